/*
 * bgp_speaker.c - the BGP speaker of a cend node (bgp_speaker.h).
 *
 * Every prefix a peer's session knows of is one entry of the peer's table
 * (bgp_adjrib.h): what the peer sent, what it was sent, and whether it
 * waits to be proposed or advertised.
 *
 * Inbound: UPDATE -> Adj-RIB-In, and the prefix queued as pending; the
 * pending queue is flushed once per loop turn as cend.v1.PathUpdate
 * commands (node_propose; followers forward them to the leader), each
 * prefix with the peer's current attributes for it (none: a withdrawal).
 *
 * Outbound: the engine reports every re-decided prefix (touch) and view
 * change (delta) while entries are applied; the prefixes a peer's
 * attachment may learn differently are listed as dirty, and after each
 * applied entry the dirty prefixes are looked up (engine_view_route),
 * compared with the Adj-RIB-Out and sent as UPDATEs grouped by attribute
 * set.
 *
 * A peer in the CEN's own AS is an iBGP route-reflector client of the
 * region's cluster (RFC 4456, bgp_rr.c): what it sends is checked against
 * our BGP identifier and the region's cluster ID instead of our AS, and it
 * is sent what its attachment learns without our AS prepended, with
 * LOCAL_PREF, and, for paths of other clients, their next hop with
 * ORIGINATOR_ID and CLUSTER_LIST.  An attachment never learns its own
 * paths, so a client never gets back what its attachment's peers sent.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/bgp_adjrib.h"
#include "bgp/bgp_session.h"
#include "bgp/bgp_speaker.h"
#include "consensus/store.h"
#include "proto/cmdenc.h"
#include "proto/command.pb-c.h"

#define PROPOSE_MAX 20000 /* paths per proposed command */
/* How many prefixes ahead a walk over a peer's prefixes prefetches their
 * Adj-RIB slots (adj_prefetch). */
#define ADJ_AHEAD 8
/* Commands proposed and not yet committed, of all peers: enough to keep
 * Raft's pipeline full; beyond it, what peers send waits in their pending
 * queues (4 bytes a prefix) instead of in commands and their copies. */
#ifndef PROPOSE_INFLIGHT
#define PROPOSE_INFLIGHT 8
#endif
#define LINGER_MS 5 /* received changes wait this long for company */
#define RETRY_MS  500

struct peer {
	struct bgp_speaker *sp;
	char att[MODEL_ID_MAX];
	char table[MODEL_ID_MAX]; /* the attachment's route table */
	struct model_peer cfg;
	bool ibgp;	     /* a route-reflector client: cfg.asn is ours */
	uint32_t cluster_id; /* its region's (model_region_cluster_id) */
	uint32_t local_as;   /* the session's */
	struct bgp_session *s;
	/* Adj-RIB-In and -Out, and the pending queue.  This node
	 * restarted: the cluster still has the paths its session with the
	 * peer announced before (ADJ_RESYNC); the ones the peer does not
	 * send again before its End-of-RIB are withdrawn then (RFC 4724, the
	 * restarting side). */
	struct adj_rib rib;
	uint64_t pending_since; /* uv_now when pending became non-empty */
	/* prefixes to advertise again (touched while an entry applied), in
	 * the order they were touched; a prefix may repeat.  pad[0] is
	 * DIRTY_GONE when the touch said the prefix left the table. */
	struct prefix *dirty;
	size_t ndirty, dirty_cap;
	bool resyncing; /* no session up yet since this node started */
	bool admin_down, maxpfx_down, gr_waiting, seen;
	uv_timer_t timer; /* max-prefix restart, GR stale time, resync */
	char reason[256];
	uint64_t since;
};

struct bgp_speaker {
	uv_loop_t *loop;
	struct node *node;
	uv_tcp_t listener;
	struct prefix bind;
	uint16_t port;
	struct attr_store *st; /* the node's: shared with its engine */
	struct peer **peers;
	size_t npeers;
	struct node_listener listener_node;
	uv_check_t flush;
	uv_timer_t linger; /* wakes the loop while changes wait */
	uint32_t local_as;
	uint32_t router_id;
	bool restarting;  /* no peer up yet since this node started */
	size_t proposing; /* commands proposed, not answered yet */
	int closing; /* handles still closing after stop; -1: closed, waiting
		      * for the answers to its proposals (propose_done) */
};

#define DIRTY_GONE 1

static void
dirty_clear(struct peer *p)
{
	p->ndirty = 0;
	if (p->dirty_cap > 65536) {
		/* a whole table went through: give the memory back */
		free(p->dirty);
		p->dirty = NULL;
		p->dirty_cap = 0;
	}
}

/* Queues prefix i of p to be proposed (with whatever `in` says then). */
static void
pend(struct peer *p, uint32_t i)
{
	adj_mark(&p->rib, i, ADJ_PENDING);
}

/* ---- proposals (Adj-RIB-In to the cluster) ------------------------- */

struct propose_ctx {
	struct bgp_speaker *sp;
	char att[MODEL_ID_MAX];
	struct prefix peer;
	struct prefix *prefixes;
	size_t n;
};

static struct peer *
peer_by_addr(struct bgp_speaker *sp, const char *att, const struct prefix *a)
{
	for (size_t i = 0; i < sp->npeers; i++)
		if (prefix_equal(&sp->peers[i]->cfg.address, a) &&
		    (att == NULL || strcmp(sp->peers[i]->att, att) == 0))
			return sp->peers[i];
	return NULL;
}

static void
propose_done(int status, const char *message, uint64_t index, void *arg)
{
	struct propose_ctx *c = arg;
	struct bgp_speaker *sp = c->sp;
	struct peer *p;

	sp->proposing--;
	if (sp->closing < 0) {
		/* stopped: the last answer frees it */
		if (sp->proposing == 0)
			free(sp);
		free(c->prefixes);
		free(c);
		return;
	}
	p = peer_by_addr(sp, c->att, &c->peer);
	if (status != 0 && p != NULL) {
		/* not committed: propose the peer's current view of these
		 * prefixes again */
		for (size_t i = 0; i < c->n; i++)
			pend(p, adj_get(&p->rib, &c->prefixes[i]));
	}
	free(c->prefixes);
	free(c);
}

/* The replicated form of what peer p sent, packed (a cend.v1.PathAttrs):
 * as received from an eBGP peer; from a route-reflector client with its
 * ORIGINATOR_ID and the preference its LOCAL_PREF maps to
 * (bgp_rr_import). */
static int
attrs_pack_of(struct bgp_speaker *sp, struct peer *p, const struct attrs *a,
	      uint8_t **buf, size_t *len)
{
	const struct attrs *x;
	int rc;

	if (!p->ibgp)
		return store_attrs_pack(a, buf, len);
	x = bgp_rr_import(sp->st, a, bgp_session_peer_id(p->s));
	if (x == NULL)
		return -CEN_ENOMEM;
	rc = store_attrs_pack(x, buf, len);
	attr_unref(sp->st, x);
	return rc;
}

/*
 * Sends up to PROPOSE_MAX pending changes of a peer as one command,
 * written by cmdenc with each attribute set packed once for the run of
 * prefixes that share it: the UPDATEs of a full table carry a few prefixes
 * each, and a conversion per prefix through protobuf-c's structures would
 * cost more than the rest of the proposal.  The command is built here from
 * what the session parsed, so it is proposed without node_propose's
 * decode check.
 */
static void
propose_peer(struct bgp_speaker *sp, struct peer *p)
{
	size_t n = adj_queued(&p->rib);
	struct propose_ctx *ctx = calloc(1, sizeof(*ctx));
	uint32_t *idx;
	uint8_t peer[18], pfx[18];
	struct cmdenc enc;
	const struct attrs *last = NULL;
	uint8_t *abuf = NULL;
	size_t alen = 0, len;
	const uint8_t *cmd;

	if (n > PROPOSE_MAX)
		n = PROPOSE_MAX;
	idx = calloc(n + 1, sizeof(*idx));
	if (ctx == NULL || idx == NULL)
		abort();
	ctx->sp = sp;
	snprintf(ctx->att, sizeof(ctx->att), "%s", p->att);
	ctx->peer = p->cfg.address;
	ctx->prefixes = calloc(n + 1, sizeof(*ctx->prefixes));
	if (ctx->prefixes == NULL)
		abort();
	for (size_t k = 0; k < n; k++) {
		idx[k] = adj_pop(&p->rib);
		ctx->prefixes[ctx->n++] = adj_prefix(&p->rib, idx[k]);
	}
	cmdenc_paths_begin(&enc, p->att, peer,
			   store_prefix_pack(&p->cfg.address, peer),
			   (uint32_t)node_config(sp->node)->id);
	/* the adds (field 4) come before the withdrawals (field 5) */
	for (size_t k = 0; k < n; k++) {
		const struct adj_ent *e = adj_ent(&p->rib, idx[k]);

		if (e->in == NULL)
			continue;
		if (e->in != last) {
			free(abuf);
			if (attrs_pack_of(sp, p, e->in, &abuf, &alen) != 0)
				abort();
			last = e->in;
		}
		cmdenc_paths_add(&enc, pfx,
				 store_prefix_pack(&ctx->prefixes[k], pfx),
				 abuf, alen);
	}
	free(abuf);
	for (size_t k = 0; k < n; k++) {
		const struct adj_ent *e = adj_ent(&p->rib, idx[k]);

		if (e->in == NULL)
			cmdenc_paths_withdraw(
				&enc, pfx,
				store_prefix_pack(&ctx->prefixes[k], pfx));
	}
	/* the proposed prefixes leave the pending queue */
	for (size_t k = 0; k < n; k++) {
		if (k + ADJ_AHEAD < n)
			adj_prefetch(&p->rib, &ctx->prefixes[k + ADJ_AHEAD],
				     true);
		adj_release(&p->rib, idx[k]);
	}
	free(idx);
	cmd = cmdenc_paths_end(&enc, &len);
	if (cmd == NULL)
		abort(); /* out of memory */
	sp->proposing++;
	if (node_propose_decoded(sp->node, cmd, len, false, propose_done,
				 ctx) != 0) {
		/* no leader yet: keep them pending and retry soon */
		propose_done(-CEN_ENOTLEADER, NULL, 0, ctx);
	}
	cmdenc_free(&enc);
}

static void
propose_flush(struct bgp_speaker *sp, struct peer *p)
{
	Cend__V1__Command cmd = CEND__V1__COMMAND__INIT;
	Cend__V1__PeerFlush f = CEND__V1__PEER_FLUSH__INIT;
	uint8_t peer[18], buf[256];
	size_t len;

	adj_clear_flag(&p->rib, ADJ_PENDING);
	f.attachment = p->att;
	f.peer.data = peer;
	f.peer.len = store_prefix_pack(&p->cfg.address, peer);
	/* only what this node's session announced: other nodes holding a
	 * session with the same peer announce theirs again */
	f.node = (uint32_t)node_config(sp->node)->id;
	cmd.cmd_case = CEND__V1__COMMAND__CMD_FLUSH;
	cmd.flush = &f;
	len = cend__v1__command__get_packed_size(&cmd);
	if (len > sizeof(buf))
		return;
	cend__v1__command__pack(&cmd, buf);
	node_propose(sp->node, buf, len, NULL, NULL);
}

/* ---- advertisements (engine to Adj-RIB-Out) ------------------------ */

/* Our address on p's session as a next hop for prefixes of pfx's family;
 * false when there is none. */
static bool
self_nexthop(struct peer *p, const struct prefix *pfx, struct prefix *nh)
{
	const struct prefix *local = bgp_session_local_addr(p->s);

	if (pfx->family == local->family) {
		*nh = *local;
	} else if (pfx->family == PREFIX_AF_INET6 &&
		   local->family == PREFIX_AF_INET) {
		/* IPv6 over an IPv4 session: the IPv4-mapped address */
		uint8_t v6[16] = { 0 };

		v6[10] = v6[11] = 0xff;
		memcpy(v6 + 12, local->addr.v4, 4);
		prefix_from_v6(nh, v6, 128);
	} else {
		return false;
	}
	return true;
}

/* The attributes we send for what the attachment learned.  To eBGP: our AS
 * in front, our address as next hop, nothing that must not leave the AS.
 * To a route-reflector client: bgp_rr_export. */
static const struct attrs *
export_attrs(struct bgp_speaker *sp, struct peer *p, const struct attrs *in,
	     const struct prefix *pfx)
{
	struct attrs a = *in;
	const struct attr_aspath *ap;
	const struct attrs *out;
	struct prefix self;
	uint32_t as = sp->local_as;

	if (!self_nexthop(p, pfx, &self))
		return NULL;
	if (p->ibgp) {
		if (bgp_rr_export(sp->st, in, p->cluster_id,
				  bgp_session_peer_id(p->s), &self, &out) != 0)
			return NULL;
		return out;
	}
	/* eBGP: the peer must not get its own routes back */
	if (in->aspath != NULL) {
		uint32_t flat[256];
		uint32_t n = attr_aspath_flat(in->aspath, flat, 256);

		for (uint32_t i = 0; i < n && i < 256; i++)
			if (flat[i] == p->cfg.asn)
				return NULL;
	}
	ap = attr_aspath_prepend(sp->st, in->aspath, &as, 1);
	a.aspath = ap;
	a.flags &= ~(ATTR_F_MED | ATTR_F_LOCALPREF | ATTR_F_ORIGINATOR);
	a.med = a.localpref = a.originator_id = 0;
	a.clusters = NULL;
	a.pref = ATTR_PREF_DEFAULT;
	a.weight = 1;
	a.nexthop = self;
	/* parts of `in` belong to the engine's store: intern them here */
	const struct attr_comms *c =
		in->comms
			? attr_comms_intern(sp->st, in->comms->v, in->comms->n)
			: NULL;
	const struct attr_lcomms *lc =
		in->lcomms ? attr_lcomms_intern(sp->st, in->lcomms->v,
						in->lcomms->n)
			   : NULL;
	const struct attr_opaque *op =
		in->opaque ? attr_opaque_intern(sp->st, in->opaque->bytes,
						in->opaque->len)
			   : NULL;

	a.comms = c;
	a.lcomms = lc;
	a.opaque = op;
	out = attr_intern(sp->st, &a);
	attr_aspath_unref(sp->st, ap);
	if (c != NULL)
		attr_comms_unref(sp->st, c);
	if (lc != NULL)
		attr_lcomms_unref(sp->st, lc);
	if (op != NULL)
		attr_opaque_unref(sp->st, op);
	return out;
}

struct adv {
	struct prefix prefix;
	const struct attrs *attrs; /* NULL: withdraw */
};

/*
 * Puts the n advertisements of v in groups of one attribute set (or
 * withdrawal) and family, each group in the order of its members, the
 * withdrawals first and then the groups in the order of their first
 * members, so that one UPDATE carries as many prefixes as fit.  A prefix
 * may be in v twice, withdrawn (it left the table: see advertise_dirty)
 * and announced (it came back); its announcement goes last.  Linear: the
 * groups are found through a hash table on the sets' content hashes
 * (compared by address).
 */
static void
adv_group(struct adv *v, size_t n)
{
	struct grp {
		const struct attrs *a;
		uint8_t family;
		size_t at; /* where its members go */
	} * g;
	size_t cap = 16, ng = 0, same = 1;
	uint32_t *slot, *gid;
	struct adv *tmp;

	/* one group already (a withdrawn table, a VPC's routes) */
	while (same < n && v[same].attrs == v[0].attrs &&
	       v[same].prefix.family == v[0].prefix.family)
		same++;
	if (same >= n)
		return;
	g = malloc((n + 1) * sizeof(*g));
	gid = malloc((n + 1) * sizeof(*gid));
	tmp = malloc((n + 1) * sizeof(*tmp));
	while (cap < 2 * n)
		cap <<= 1;
	slot = calloc(cap, sizeof(*slot));
	if (g == NULL || gid == NULL || tmp == NULL || slot == NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		uint64_t h = (v[i].attrs != NULL ? v[i].attrs->hash : 0) ^
			     v[i].prefix.family;
		size_t s;

		h *= 0x9e3779b97f4a7c15ull;
		for (s = (size_t)(h >> 32) & (cap - 1); slot[s] != 0;
		     s = (s + 1) & (cap - 1)) {
			const struct grp *x = &g[slot[s] - 1];

			if (x->a == v[i].attrs &&
			    x->family == v[i].prefix.family)
				break;
		}
		if (slot[s] == 0) {
			g[ng].a = v[i].attrs;
			g[ng].family = v[i].prefix.family;
			g[ng].at = 0;
			slot[s] = (uint32_t)++ng;
		}
		gid[i] = slot[s] - 1;
		g[gid[i]].at++;
	}
	for (size_t pass = 0, at = 0; pass < 2; pass++) {
		for (size_t k = 0; k < ng; k++) {
			size_t cnt = g[k].at;

			if ((g[k].a == NULL) != (pass == 0))
				continue;
			g[k].at = at;
			at += cnt;
		}
	}
	for (size_t i = 0; i < n; i++)
		tmp[g[gid[i]].at++] = v[i];
	memcpy(v, tmp, n * sizeof(*v));
	free(tmp);
	free(slot);
	free(gid);
	free(g);
}

static void
send_wbuf(struct peer *p, struct wbuf *w)
{
	if (w->len > 0 && wbuf_status(w) == 0)
		bgp_session_send(p->s, w->data, w->len);
	wbuf_reset(w);
}

/* Appends the UPDATEs for a run of advertisements of one attribute
 * set (or withdrawals) of one family to w, sending whenever w holds more
 * than 256 KiB (one write for many UPDATEs, not one each). */
static void
send_run(struct peer *p, struct wbuf *w, const struct adv *v, size_t n)
{
	const struct bgp_opts *o = bgp_session_opts(p->s);
	int aid = bgp_afi_of_family(v[0].prefix.family);
	struct prefix *pf = malloc(n * sizeof(*pf));
	size_t done = 0;

	if (pf == NULL || aid < 0 || !(o->aids & BGP_AID_BIT(aid))) {
		free(pf);
		return;
	}
	for (size_t i = 0; i < n; i++)
		pf[i] = v[i].prefix;
	while (done < n) {
		int k = v[0].attrs != NULL
				? bgp_update_build_reach(w, o, aid, v[0].attrs,
							 NULL, pf + done,
							 n - done)
				: bgp_update_build_withdraw(
					  w, o, aid, pf + done, n - done);

		if (k <= 0)
			break;
		done += (size_t)k;
		if (w->len > 256 * 1024)
			send_wbuf(p, w);
	}
	free(pf);
}

/*
 * What a peer is sent for the paths its attachment learns, by learned
 * attribute set: the prefixes of one set (a few per UPDATE in a full
 * table, thousands for a VPC's routes) are exported once.  Direct-mapped
 * on the set's content hash; an entry holds its learned set so that its
 * address cannot be reused while cached, and the exported set.  Lives for
 * one advertise_dirty.
 */
#define EXPORT_CACHE 64

struct export_cache {
	struct {
		const struct attrs *learned;
		const struct attrs *out; /* NULL: not exported */
		uint8_t family;
	} e[EXPORT_CACHE];
};

/* export_attrs through the cache; takes over the caller's reference to
 * learned (which stays valid while cached), returns one to the result. */
static const struct attrs *
export_cached(struct bgp_speaker *sp, struct peer *p, struct export_cache *c,
	      const struct attrs *learned, const struct prefix *pfx)
{
	size_t k = (size_t)(learned->hash ^ pfx->family) & (EXPORT_CACHE - 1);

	if (c->e[k].learned == learned && c->e[k].family == pfx->family) {
		attr_unref(sp->st, learned);
	} else {
		attr_unref(sp->st, c->e[k].learned);
		attr_unref(sp->st, c->e[k].out);
		c->e[k].learned = learned;
		c->e[k].family = pfx->family;
		c->e[k].out = export_attrs(sp, p, learned, pfx);
	}
	if (c->e[k].out != NULL)
		attr_ref(c->e[k].out);
	return c->e[k].out;
}

static void
export_cache_fini(struct bgp_speaker *sp, struct export_cache *c)
{
	for (size_t k = 0; k < EXPORT_CACHE; k++) {
		attr_unref(sp->st, c->e[k].learned);
		attr_unref(sp->st, c->e[k].out);
	}
}

/* Sends the n advertisements of v, grouped, and drops their references. */
static void
advertise(struct peer *p, struct adv *v, size_t n)
{
	struct wbuf w;

	adv_group(v, n);
	wbuf_init(&w);
	for (size_t k = 0; k < n;) {
		size_t j = k + 1;

		while (j < n && v[j].attrs == v[k].attrs &&
		       v[j].prefix.family == v[k].prefix.family)
			j++;
		send_run(p, &w, v + k, j - k);
		k = j;
	}
	send_wbuf(p, &w);
	wbuf_free(&w);
	for (size_t k = 0; k < n; k++)
		attr_unref(p->sp->st, v[k].attrs);
}

/* Prefixes exported and sent at a time: the exported sets live until
 * their UPDATEs are built, so a whole table goes out in slices. */
#define ADVERTISE_SLICE 16384

/*
 * Sends the peer what changed for its dirty prefixes.  The Adj-RIB-Out
 * holds the learned set a prefix was last advertised with (a set of the
 * node's store, shared with the engine: it costs nothing of its own); the
 * exported set is a function of it, the peer and the family, built for
 * the UPDATE and not kept.
 */
static void
advertise_dirty(struct bgp_speaker *sp, struct peer *p)
{
	struct engine *e = node_engine(sp->node);
	struct export_cache *cache;
	struct adv *v;
	size_t n = 0, cap = p->ndirty;

	if (cap == 0 || p->s == NULL ||
	    bgp_session_state(p->s) != BGP_ST_ESTABLISHED)
		return;
	if (cap > ADVERTISE_SLICE)
		cap = ADVERTISE_SLICE;
	v = calloc(cap, sizeof(*v));
	cache = calloc(1, sizeof(*cache));
	if (v == NULL || cache == NULL)
		abort();
	for (size_t d = 0; d < p->ndirty; d++) {
		struct prefix pfx = p->dirty[d];
		const char *src = NULL;
		bool gone = pfx.pad[0] == DIRTY_GONE;
		const struct attrs *learned;

		/* the Adj-RIB-Out's slots and entries are cache misses one
		 * by one: start them ahead */
		if (d + ADJ_AHEAD < p->ndirty)
			adj_prefetch(&p->rib, &p->dirty[d + ADJ_AHEAD], true);
		if (d + ADJ_AHEAD / 2 < p->ndirty)
			adj_prefetch(&p->rib, &p->dirty[d + ADJ_AHEAD / 2],
				     false);
		/* a prefix gone from the table is in no view of it: no
		 * lookup (if it came back, a later touch has it) */
		pfx.pad[0] = 0;
		learned =
			gone ? NULL : engine_view_route(e, p->att, &pfx, &src);
		const struct attrs *out =
			learned != NULL
				? export_cached(sp, p, cache, learned, &pfx)
				: NULL;
		/* what the Adj-RIB-Out is to hold; learned stays valid
		 * while the cache holds it */
		const struct attrs *keep = out != NULL ? learned : NULL;
		/* one probe: an entry is needed when there is something to
		 * send; none when the peer holds nothing of ours (as the
		 * peer the prefixes come from: they are not sent back) */
		uint32_t i = keep != NULL      ? adj_get(&p->rib, &pfx)
			     : p->rib.nout > 0 ? adj_find(&p->rib, &pfx)
					       : ADJ_NONE;

		/* unchanged (or touched twice: the first one sent it) */
		if ((i != ADJ_NONE ? adj_ent(&p->rib, i)->out : NULL) == keep) {
			attr_unref(sp->st, out);
			if (i != ADJ_NONE)
				adj_release(&p->rib, i);
			continue;
		}
		adj_set_out(&p->rib, sp->st, i, keep);
		adj_release(&p->rib, i);
		v[n].prefix = pfx;
		v[n].attrs = out; /* our reference, dropped once sent */
		if (++n == cap) {
			advertise(p, v, n);
			n = 0;
		}
	}
	dirty_clear(p);
	advertise(p, v, n);
	export_cache_fini(sp, cache);
	free(cache);
	free(v);
}

static void
mark_dirty(struct peer *p, const struct prefix *pfx, bool gone)
{
	if (p->ndirty == p->dirty_cap) {
		p->dirty_cap = p->dirty_cap ? p->dirty_cap * 2 : 1024;
		p->dirty = realloc(p->dirty, p->dirty_cap * sizeof(*p->dirty));
		if (p->dirty == NULL)
			abort();
	}
	p->dirty[p->ndirty] = *pfx;
	p->dirty[p->ndirty++].pad[0] = gone ? DIRTY_GONE : 0;
}

static int
initial_cb(const struct engine_route *r, void *arg)
{
	struct peer *p = arg;

	if (r->state == ENGINE_STATE_ACTIVE)
		mark_dirty(p, &r->prefix, false);
	return 0;
}

static void
send_eor(struct peer *p)
{
	const struct bgp_opts *o = bgp_session_opts(p->s);
	struct wbuf w;

	wbuf_init(&w);
	for (int aid = 0; aid < BGP_AID_MAX; aid++)
		if (o->aids & BGP_AID_BIT(aid))
			bgp_msg_eor_build(&w, aid);
	send_wbuf(p, &w);
	wbuf_free(&w);
}

/* ---- node listener ------------------------------------------------- */

static void
on_touch(const char *region, const char *table, const struct prefix *pfx,
	 bool gone, void *arg)
{
	struct bgp_speaker *sp = arg;

	for (size_t i = 0; i < sp->npeers; i++) {
		struct peer *p = sp->peers[i];

		if (p->s != NULL &&
		    bgp_session_state(p->s) == BGP_ST_ESTABLISHED &&
		    strcmp(p->table, table) == 0)
			mark_dirty(p, pfx, gone);
	}
}

static void
on_delta(const struct engine_delta *d, uint64_t index, void *arg)
{
	struct bgp_speaker *sp = arg;

	if (d->view == NULL)
		return; /* table changes arrive as touches */
	for (size_t i = 0; i < sp->npeers; i++) {
		struct peer *p = sp->peers[i];

		if (strcmp(p->att, d->view) == 0 && p->s != NULL &&
		    bgp_session_state(p->s) == BGP_ST_ESTABLISHED)
			mark_dirty(p, &d->prefix, false);
	}
}

/* Another node's session with a peer we also hold went down and its
 * paths (possibly last announced by that node) were withdrawn: announce
 * ours again. */
static void
on_flushed(const char *attachment, const struct prefix *peer, uint8_t node,
	   void *arg)
{
	struct bgp_speaker *sp = arg;
	struct peer *p = peer_by_addr(sp, attachment, peer);

	if (p == NULL || node == node_config(sp->node)->id ||
	    bgp_session_state(p->s) != BGP_ST_ESTABLISHED)
		return;
	for (uint32_t i = 0; (i = adj_next(&p->rib, i)) != ADJ_NONE; i++)
		if (adj_ent(&p->rib, i)->in != NULL)
			pend(p, i);
}

/* Leader: a node died; withdraw what its sessions announced. */
static void
on_node_gone(uint64_t id, void *arg)
{
	struct bgp_speaker *sp = arg;
	const struct model *m = engine_model(node_engine(sp->node));

	for (size_t i = 0; i < m->nattachments; i++) {
		const struct model_attachment *a = &m->attachments[i];

		/* another region's attachments: their paths were learned
		 * there (node 0 here) */
		if (strcmp(a->region, node_config(sp->node)->region) != 0)
			continue;
		for (uint8_t k = 0; k < a->npeers; k++) {
			const struct model_peer *mp = &a->peers[k];
			Cend__V1__Command cmd = CEND__V1__COMMAND__INIT;
			Cend__V1__PeerFlush f = CEND__V1__PEER_FLUSH__INIT;
			uint8_t peer[18], buf[256];
			size_t len;
			bool named = mp->nnodes == 0;

			for (uint8_t j = 0; j < mp->nnodes; j++)
				named |= mp->nodes[j] == id;
			if (!named)
				continue;
			f.attachment = (char *)a->id;
			f.peer.data = peer;
			f.peer.len = store_prefix_pack(&mp->address, peer);
			f.node = (uint32_t)id;
			cmd.cmd_case = CEND__V1__COMMAND__CMD_FLUSH;
			cmd.flush = &f;
			len = cend__v1__command__get_packed_size(&cmd);
			if (len > sizeof(buf))
				continue;
			cend__v1__command__pack(&cmd, buf);
			node_propose(sp->node, buf, len, NULL, NULL);
		}
	}
}

static void reconcile_peers(struct bgp_speaker *sp);

static void
on_applied(uint64_t index, void *arg)
{
	struct bgp_speaker *sp = arg;

	reconcile_peers(sp);
	for (size_t i = 0; i < sp->npeers; i++)
		advertise_dirty(sp, sp->peers[i]);
}

static void
linger_cb(uv_timer_t *t)
{
	/* nothing: the check handle after this loop turn does the work */
	(void)t;
}

/* After each loop turn: what the sessions received goes to the cluster,
 * in commands of up to PROPOSE_MAX paths, or sooner once the first change
 * has waited LINGER_MS (one Raft entry per few thousand paths, not per
 * UPDATE). */
static void
flush_cb(uv_check_t *h)
{
	struct bgp_speaker *sp = h->data;
	uint64_t now = uv_now(sp->loop);
	bool waiting = false;

	for (size_t i = 0; i < sp->npeers; i++) {
		struct peer *p = sp->peers[i];

		size_t queued = adj_queued(&p->rib);

		if (queued == 0)
			continue;
		if (p->pending_since == 0)
			p->pending_since = now;
		if (queued < PROPOSE_MAX &&
		    now - p->pending_since < LINGER_MS) {
			waiting = true;
			continue;
		}
		p->pending_since = 0;
		while ((queued = adj_queued(&p->rib)) > 0 &&
		       sp->proposing < PROPOSE_INFLIGHT) {
			propose_peer(sp, p);
			if (adj_queued(&p->rib) >= queued)
				break; /* no leader: retried on the timer */
		}
		if (adj_queued(&p->rib) > 0) {
			/* held back by the commands in flight, the rest goes
			 * as soon as one is answered, without lingering */
			p->pending_since = sp->proposing >= PROPOSE_INFLIGHT
						   ? now - LINGER_MS
						   : now;
			waiting = true;
		}
	}
	if (waiting && !uv_is_active((uv_handle_t *)&sp->linger))
		uv_timer_start(&sp->linger, linger_cb, LINGER_MS, LINGER_MS);
	else if (!waiting)
		uv_timer_stop(&sp->linger);
}

/* ---- session callbacks --------------------------------------------- */

/* Collects the paths of the cluster that this node's session with the
 * peer announced (into resync). */
static int
resync_cb(const struct engine_route *r, void *arg)
{
	struct peer *p = arg;

	if (r->view == NULL && r->source != NULL &&
	    strcmp(r->source, p->att) == 0 &&
	    prefix_equal(&r->peer, &p->cfg.address) &&
	    r->node == node_config(p->sp->node)->id)
		adj_mark(&p->rib, adj_get(&p->rib, &r->prefix), ADJ_RESYNC);
	return 0;
}

static void
resync_collect(struct peer *p)
{
	engine_route_list(node_engine(p->sp->node), NULL, p->table, NULL, false,
			  resync_cb, p);
}

/* End-of-RIB for family aid (-1: all) after this node restarted: what the
 * peer did not send again goes. */
static void
resync_eor(struct bgp_speaker *sp, struct peer *p, int aid)
{
	if (p->rib.nresync == 0)
		return;
	for (uint32_t i = 0; (i = adj_next(&p->rib, i)) != ADJ_NONE; i++) {
		const struct adj_ent *e = adj_ent(&p->rib, i);

		if (!(e->flags & ADJ_RESYNC) ||
		    (aid >= 0 && bgp_afi_of_family(e->family) != aid))
			continue;
		adj_unmark(&p->rib, i, ADJ_RESYNC);
		if (e->in == NULL)
			pend(p, i);
		adj_release(&p->rib, i);
	}
}

/* This node restarted and the peer did not come back within the restart
 * time: what its session announced before goes. */
static void
resync_timer_cb(uv_timer_t *t)
{
	struct peer *p = t->data;

	if (!p->resyncing)
		return;
	p->resyncing = false;
	resync_collect(p);
	if (p->rib.nresync > 0)
		propose_flush(p->sp, p);
	adj_clear_flag(&p->rib, ADJ_RESYNC);
}

static void
established(struct bgp_session *s, void *arg)
{
	struct peer *p = arg;
	struct bgp_speaker *sp = p->sp;

	p->since = uv_now(sp->loop);
	p->reason[0] = '\0';
	sp->restarting = false;
	if (p->resyncing) {
		p->resyncing = false;
		uv_timer_stop(&p->timer);
		resync_collect(p);
	}
	if (p->gr_waiting) {
		/* graceful restart: what the peer does not send again before
		 * its End-of-RIB is withdrawn then */
		uv_timer_stop(&p->timer);
		for (uint32_t i = 0; (i = adj_next(&p->rib, i)) != ADJ_NONE;
		     i++)
			if (adj_ent(&p->rib, i)->in != NULL)
				adj_mark(&p->rib, i, ADJ_STALE);
	}
	adj_clear_out(&p->rib, sp->st);
	engine_view_list(node_engine(sp->node), p->att, NULL, initial_cb, p);
	advertise_dirty(sp, p);
	send_eor(p);
}

/* Withdraws the stale paths of family aid (-1: all); the peer's graceful
 * restart is over when none is left.  One family's End-of-RIB must not
 * take the others' paths: they may still be on their way. */
static void
withdraw_stale(struct bgp_speaker *sp, struct peer *p, int aid)
{
	size_t left = 0;

	for (uint32_t i = 0; (i = adj_next(&p->rib, i)) != ADJ_NONE; i++) {
		const struct adj_ent *e = adj_ent(&p->rib, i);

		if (!(e->flags & ADJ_STALE))
			continue;
		if (aid >= 0 && bgp_afi_of_family(e->family) != aid) {
			left++;
			continue;
		}
		adj_set_in(&p->rib, sp->st, i, NULL);
		pend(p, i);
	}
	if (left == 0)
		p->gr_waiting = false;
}

static void maxpfx_timer_cb(uv_timer_t *t);

static void
update(struct bgp_session *s, const struct bgp_update *u, void *arg)
{
	struct peer *p = arg;
	struct bgp_speaker *sp = p->sp;
	struct bgp_nlri_iter it;
	struct prefix pfx;

	if (u->eor) {
		if (p->gr_waiting)
			withdraw_stale(sp, p, u->eor_aid);
		resync_eor(sp, p, u->eor_aid);
		return;
	}
	/* the withdrawn prefixes' index slots, loaded together */
	for (uint8_t i = 0; i < u->nwithdrawn; i++) {
		bgp_afi_iter_init(&it, &u->withdrawn[i]);
		while (bgp_afi_iter_next(&it, &pfx))
			adj_prefetch(&p->rib, &pfx, true);
	}
	for (uint8_t i = 0; i < u->nwithdrawn; i++) {
		bgp_afi_iter_init(&it, &u->withdrawn[i]);
		while (bgp_afi_iter_next(&it, &pfx)) {
			uint32_t k = adj_find(&p->rib, &pfx);
			const struct adj_ent *e;

			if (k == ADJ_NONE)
				continue;
			e = adj_ent(&p->rib, k);
			if (e->in != NULL || (e->flags & ADJ_RESYNC)) {
				adj_set_in(&p->rib, sp->st, k, NULL);
				adj_unmark(&p->rib, k, ADJ_RESYNC);
				pend(p, k);
			}
			adj_release(&p->rib, k);
		}
	}
	for (uint8_t i = 0; i < u->nreach; i++) {
		const struct attrs *a = u->reach[i].attrs;
		bool loop = false;

		/* a client's routes carry no AS of ours to find; what our
		 * cluster reflected already comes back with our cluster ID
		 * (RFC 4456 8) */
		if (p->ibgp) {
			loop = bgp_rr_looped(a, sp->router_id, p->cluster_id);
		} else if (a->aspath != NULL) {
			uint32_t flat[256];
			uint32_t n = attr_aspath_flat(a->aspath, flat, 256);

			for (uint32_t j = 0; j < n && j < 256; j++)
				loop |= flat[j] == sp->local_as;
		}
		bgp_afi_iter_init(&it, &u->reach[i].nlri);
		while (bgp_afi_iter_next(&it, &pfx)) {
			uint32_t k = adj_get(&p->rib, &pfx);
			const struct adj_ent *e = adj_ent(&p->rib, k);
			bool had = e->in != NULL || (e->flags & ADJ_RESYNC);

			adj_unmark(&p->rib, k, ADJ_RESYNC);
			if (loop) {
				/* our own AS in the path, or a reflection
				 * loop: not usable (treat-as-withdraw) */
				adj_set_in(&p->rib, sp->st, k, NULL);
				if (had)
					pend(p, k);
				adj_release(&p->rib, k);
				continue;
			}
			adj_set_in(&p->rib, sp->st, k, a);
			pend(p, k);
		}
	}
	if (p->cfg.route_quota > 0 && p->rib.nin > p->cfg.route_quota) {
		char why[160];

		snprintf(why, sizeof(why),
			 "maximum prefixes reached: %zu received, quota %u",
			 p->rib.nin, p->cfg.route_quota);
		p->maxpfx_down = true;
		bgp_session_stop(p->s, BGP_CEASE_MAX_PREFIX, why);
		snprintf(p->reason, sizeof(p->reason), "%s", why);
		uv_timer_start(&p->timer, maxpfx_timer_cb,
			       BGP_MAXPFX_RESTART_MS, 0);
	}
}

static void
refresh(struct bgp_session *s, int aid, void *arg)
{
	struct peer *p = arg;

	/* send the whole Adj-RIB-Out again */
	adj_clear_out(&p->rib, p->sp->st);
	engine_view_list(node_engine(p->sp->node), p->att, NULL, initial_cb, p);
	advertise_dirty(p->sp, p);
	send_eor(p);
}

static void
gr_timer_cb(uv_timer_t *t)
{
	struct peer *p = t->data;

	if (p->gr_waiting) {
		p->gr_waiting = false;
		adj_clear_in(&p->rib, p->sp->st);
		adj_clear_flag(&p->rib, ADJ_RESYNC);
		propose_flush(p->sp, p);
	}
}

static void
down(struct bgp_session *s, const char *why, bool was_up, void *arg)
{
	struct peer *p = arg;
	struct bgp_speaker *sp = p->sp;
	const struct bgp_caps *pc = bgp_session_peer_caps(s);

	if (!p->maxpfx_down)
		snprintf(p->reason, sizeof(p->reason), "%s", why);
	p->since = uv_now(sp->loop);
	adj_clear_out(&p->rib, sp->st);
	dirty_clear(p);
	if (!was_up && !p->gr_waiting)
		return;
	if (was_up && pc->gr && pc->gr_time > 0 && pc->gr_aids != 0 &&
	    !p->maxpfx_down && !p->admin_down &&
	    strncmp(why, "NOTIFICATION", 12) != 0) {
		/* graceful restart helper (RFC 4724 4.2): the routes of the
		 * families the peer's capability lists stay for its restart
		 * time; the others go now (a capability without families,
		 * "GR aware", keeps nothing) */
		for (uint32_t i = 0; (i = adj_next(&p->rib, i)) != ADJ_NONE;
		     i++) {
			const struct adj_ent *e = adj_ent(&p->rib, i);
			int aid = bgp_afi_of_family(e->family);

			if (e->in == NULL)
				continue;
			if (aid < 0 || !(pc->gr_aids & BGP_AID_BIT(aid)))
				adj_mark(&p->rib, i, ADJ_STALE);
			else
				adj_unmark(&p->rib, i, ADJ_STALE);
		}
		withdraw_stale(sp, p, -1);
		p->gr_waiting = true;
		uv_timer_start(&p->timer, gr_timer_cb, pc->gr_time * 1000ull,
			       0);
		return;
	}
	p->gr_waiting = false;
	adj_clear_in(&p->rib, sp->st);
	adj_clear_flag(&p->rib, ADJ_RESYNC);
	propose_flush(sp, p);
}

static void
maxpfx_timer_cb(uv_timer_t *t)
{
	struct peer *p = t->data;

	p->maxpfx_down = false;
	if (!p->admin_down)
		bgp_session_start(p->s);
}

/* ---- peers from the model ------------------------------------------ */

static struct peer *
peer_new(struct bgp_speaker *sp, const struct model_attachment *a,
	 const struct model_peer *mp, const char *table, uint32_t cluster_id)
{
	struct peer *p = calloc(1, sizeof(*p));
	struct bgp_session_cfg cfg;
	static const struct bgp_session_cbs cbs_tmpl = {
		.established = established,
		.update = update,
		.refresh = refresh,
		.down = down,
	};
	struct bgp_session_cbs cbs = cbs_tmpl;

	if (p == NULL)
		abort();
	p->sp = sp;
	snprintf(p->att, sizeof(p->att), "%s", a->id);
	snprintf(p->table, sizeof(p->table), "%s", table);
	p->cfg = *mp;
	p->local_as = sp->local_as;
	p->ibgp = mp->asn == sp->local_as;
	p->cluster_id = cluster_id;
	adj_init(&p->rib);
	uv_timer_init(sp->loop, &p->timer);
	p->timer.data = p;
	memset(&cfg, 0, sizeof(cfg));
	cfg.peer = *mp;
	cfg.local_as = sp->local_as;
	cfg.router_id = sp->router_id;
	cfg.local_addr = sp->bind;
	cfg.gr_time = BGP_GR_TIME;
	cfg.restarting = sp->restarting;
	cbs.arg = p;
	p->s = bgp_session_new(sp->loop, &cfg, &cbs, sp->st);
	if (p->s == NULL)
		abort();
	bgp_session_set_user(p->s, p);
	p->since = uv_now(sp->loop);
	if (sp->restarting) {
		/* what our session announced before this node started may
		 * still be in the cluster: reconciled when the peer is back,
		 * withdrawn if it is not back within our restart time */
		p->resyncing = true;
		uv_timer_start(&p->timer, resync_timer_cb,
			       BGP_GR_TIME * 1000ull, 0);
	}
	bgp_session_start(p->s);
	return p;
}

static void
peer_timer_closed(uv_handle_t *h)
{
	struct peer *p = h->data;

	free(p);
}

static void
peer_free(struct bgp_speaker *sp, struct peer *p, bool flush)
{
	/* Without flush this node is stopping: the connection just closes
	 * (no NOTIFICATION, no down callback, nothing proposed), so the
	 * peer's paths stay in the cluster and the peer, as our graceful
	 * restart helper (RFC 4724), keeps ours until we are back. */
	if (flush)
		bgp_session_stop(p->s, BGP_CEASE_PEER_DECONF, "peer removed");
	bgp_session_free(p->s);
	if (flush && p->rib.nin > 0)
		propose_flush(sp, p);
	adj_fini(&p->rib, sp->st);
	free(p->dirty);
	uv_close((uv_handle_t *)&p->timer, peer_timer_closed);
}

static bool
holds(const struct model_peer *mp, uint64_t id)
{
	if (mp->nnodes == 0)
		return true;
	for (uint8_t i = 0; i < mp->nnodes; i++)
		if (mp->nodes[i] == id)
			return true;
	return false;
}

static bool
peer_same(const struct model_peer *a, const struct model_peer *b)
{
	struct model_peer x = *a, y = *b;

	x.line = y.line = 0;
	return memcmp(&x, &y, sizeof(x)) == 0;
}

/* Starts, stops and restarts sessions to follow the applied model. */
static void
reconcile_peers(struct bgp_speaker *sp)
{
	const struct model *m = engine_model(node_engine(sp->node));
	uint64_t me = node_config(sp->node)->id;

	if (m->has_cen)
		sp->local_as = m->cen.asn;
	for (size_t i = 0; i < sp->npeers; i++)
		sp->peers[i]->seen = false;
	for (size_t i = 0; i < m->nattachments; i++) {
		const struct model_attachment *a = &m->attachments[i];
		const struct model_table *t =
			a->route_table[0] ? model_find_table(m, a->route_table)
					  : model_system_table(m, a->region);
		const struct model_region *r = model_find_region(m, a->region);
		uint32_t cid = r != NULL ? model_region_cluster_id(r) : 0;

		/* the model holds every region of the CEN: each region's
		 * cluster speaks to its own attachments' peers only */
		if (strcmp(a->region, node_config(sp->node)->region) != 0)
			continue;
		for (uint8_t k = 0; k < a->npeers; k++) {
			const struct model_peer *mp = &a->peers[k];
			struct peer *p = peer_by_addr(sp, a->id, &mp->address);

			if (!holds(mp, me))
				continue;
			/* a new hub ASN changes every OPEN (and who is a
			 * client); a new cluster ID what clients were sent
			 * and what they sent that passed the loop check */
			if (p != NULL && (!peer_same(&p->cfg, mp) ||
					  p->local_as != sp->local_as ||
					  (p->ibgp && p->cluster_id != cid))) {
				/* changed: restart it */
				for (size_t j = 0; j < sp->npeers; j++)
					if (sp->peers[j] == p)
						sp->peers[j] =
							sp->peers[--sp->npeers];
				peer_free(sp, p, true);
				p = NULL;
			}
			if (p == NULL) {
				struct peer **nv =
					realloc(sp->peers,
						(sp->npeers + 1) * sizeof(*nv));

				if (nv == NULL)
					abort();
				sp->peers = nv;
				p = peer_new(sp, a, mp, t ? t->id : "", cid);
				sp->peers[sp->npeers++] = p;
			}
			snprintf(p->table, sizeof(p->table), "%s",
				 t ? t->id : "");
			p->seen = true;
		}
	}
	for (size_t i = 0; i < sp->npeers;) {
		struct peer *p = sp->peers[i];

		if (p->seen) {
			i++;
			continue;
		}
		sp->peers[i] = sp->peers[--sp->npeers];
		peer_free(sp, p, true);
	}
	/* inbound connections from peers with a key are signed too */
	uv_os_fd_t fd;

	if (uv_fileno((uv_handle_t *)&sp->listener, &fd) == 0)
		for (size_t i = 0; i < sp->npeers; i++)
			if (sp->peers[i]->cfg.md5_key[0] != '\0')
				bgp_md5_set(fd, &sp->peers[i]->cfg.address,
					    sp->peers[i]->cfg.md5_key);
}

/* ---- listening ----------------------------------------------------- */

static void
on_connection(uv_stream_t *server, int status)
{
	struct bgp_speaker *sp = server->data;
	uv_tcp_t *c;
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	struct prefix addr = { 0 };
	struct peer *p;

	if (status != 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL || uv_tcp_init(sp->loop, c) != 0) {
		free(c);
		return;
	}
	if (uv_accept(server, (uv_stream_t *)c) != 0 ||
	    uv_tcp_getpeername(c, (struct sockaddr *)&ss, &len) != 0) {
		c->data = NULL;
		uv_close((uv_handle_t *)c, (uv_close_cb)free);
		return;
	}
	if (ss.ss_family == AF_INET)
		prefix_from_v4(
			&addr,
			ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr),
			32);
	else
		prefix_from_v6(&addr,
			       ((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr,
			       128);
	p = peer_by_addr(sp, NULL, &addr);
	if (p == NULL || p->admin_down || p->maxpfx_down) {
		/* not a peer of this node, or held down: refuse */
		uv_close((uv_handle_t *)c, (uv_close_cb)free);
		return;
	}
	bgp_session_accept(p->s, c);
}

static int
parse_addr(const char *s, struct prefix *a, uint16_t *port, struct cen_err *err)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	unsigned long pt = 179;

	if (colon != NULL && strchr(s, ':') == colon) {
		char *end;

		if ((size_t)(colon - s) >= sizeof(host))
			return cen_errf(err, -CEN_EINVAL,
					"--bgp-addr %s: bad "
					"address",
					s);
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		pt = strtoul(colon + 1, &end, 10);
		if (*end != '\0' || pt == 0 || pt > 65535)
			return cen_errf(err, -CEN_EINVAL,
					"--bgp-addr %s: port out of range "
					"1..65535",
					s);
	} else {
		snprintf(host, sizeof(host), "%s", s);
	}
	if (prefix_parse_addr(a, host) != 0 || a->family != PREFIX_AF_INET)
		return cen_errf(err, -CEN_EINVAL,
				"--bgp-addr %s: expected IPv4 HOST[:PORT]", s);
	*port = (uint16_t)pt;
	return 0;
}

int
bgp_speaker_start(uv_loop_t *loop, struct node *node, const char *addr,
		  struct bgp_speaker **out, struct cen_err *err)
{
	struct bgp_speaker *sp = calloc(1, sizeof(*sp));
	struct sockaddr_in sin;
	int rc;

	if (sp == NULL)
		return cen_errf(err, -CEN_ENOMEM, "out of memory");
	rc = parse_addr(addr, &sp->bind, &sp->port, err);
	if (rc != 0) {
		free(sp);
		return rc;
	}
	sp->loop = loop;
	sp->node = node;
	sp->local_as = MODEL_ASN_DEFAULT;
	sp->router_id = prefix_v4(&sp->bind);
	if (sp->router_id == 0)
		sp->router_id = (uint32_t)node_config(node)->id;
	sp->restarting = true;
	sp->st = node_attrs(node);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(sp->port);
	memcpy(&sin.sin_addr, sp->bind.addr.v4, 4);
	uv_tcp_init(loop, &sp->listener);
	sp->listener.data = sp;
	rc = uv_tcp_bind(&sp->listener, (struct sockaddr *)&sin, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&sp->listener, 128,
			       on_connection);
	if (rc != 0) {
		cen_errf(err, -CEN_EIO, "BGP listen on %s: %s", addr,
			 uv_strerror(rc));
		uv_close((uv_handle_t *)&sp->listener, NULL);
		/* the handle closes on the next loop turn; sp leaks with it
		 * only on this fatal start-up error */
		return -CEN_EIO;
	}
	uv_check_init(loop, &sp->flush);
	sp->flush.data = sp;
	uv_timer_init(loop, &sp->linger);
	sp->linger.data = sp;
	uv_check_start(&sp->flush, flush_cb);
	sp->listener_node.touch = on_touch;
	sp->listener_node.delta = on_delta;
	sp->listener_node.applied = on_applied;
	sp->listener_node.flushed = on_flushed;
	sp->listener_node.node_gone = on_node_gone;
	sp->listener_node.arg = sp;
	node_listen(node, &sp->listener_node);
	reconcile_peers(sp);
	*out = sp;
	return 0;
}

static void
speaker_handle_closed(uv_handle_t *h)
{
	struct bgp_speaker *sp = h->data;

	if (--sp->closing > 0)
		return;
	/* sessions and peers hold no more attribute references (the
	 * store is the node's); commands still proposed come back to it */
	if (sp->proposing > 0) {
		sp->closing = -1;
		return;
	}
	free(sp);
}

void
bgp_speaker_stop(struct bgp_speaker *sp)
{
	node_unlisten(sp->node, &sp->listener_node);
	for (size_t i = 0; i < sp->npeers; i++)
		peer_free(sp, sp->peers[i], false);
	free(sp->peers);
	sp->peers = NULL;
	sp->npeers = 0;
	uv_check_stop(&sp->flush);
	sp->closing = 3;
	uv_close((uv_handle_t *)&sp->flush, speaker_handle_closed);
	uv_close((uv_handle_t *)&sp->linger, speaker_handle_closed);
	uv_close((uv_handle_t *)&sp->listener, speaker_handle_closed);
}

size_t
bgp_speaker_npeers(const struct bgp_speaker *sp)
{
	return sp->npeers;
}

size_t
bgp_speaker_peers(struct bgp_speaker *sp, struct bgp_peer_info *out, size_t max)
{
	size_t n = 0;
	uint64_t now = uv_now(sp->loop);

	for (size_t i = 0; i < sp->npeers && n < max; i++) {
		struct peer *p = sp->peers[i];
		struct bgp_peer_info *o = &out[n++];

		memset(o, 0, sizeof(*o));
		snprintf(o->attachment, sizeof(o->attachment), "%s", p->att);
		o->address = p->cfg.address;
		o->asn = p->cfg.asn;
		o->state = p->admin_down ? "Idle (Admin)"
			   : p->maxpfx_down
				   ? "Idle (PfxCt)"
				   : bgp_state_str(bgp_session_state(p->s));
		o->msgs_in = bgp_session_msgs_in(p->s);
		o->msgs_out = bgp_session_msgs_out(p->s);
		o->since_ms = now - p->since;
		o->received = (uint32_t)p->rib.nin;
		o->advertised = (uint32_t)p->rib.nout;
		o->quota = p->cfg.route_quota;
		o->admin_down = p->admin_down;
		snprintf(o->reason, sizeof(o->reason), "%s",
			 p->reason[0] ? p->reason
				      : bgp_session_last_error(p->s));
	}
	return n;
}

int
bgp_speaker_reset(struct bgp_speaker *sp, const struct prefix *addr)
{
	struct peer *p = peer_by_addr(sp, NULL, addr);

	if (p == NULL)
		return -CEN_ENOENT;
	bgp_session_stop(p->s, BGP_CEASE_ADMIN_RESET, "reset by operator");
	p->maxpfx_down = false;
	uv_timer_stop(&p->timer);
	if (!p->admin_down)
		bgp_session_start(p->s);
	return 0;
}

int
bgp_speaker_enable(struct bgp_speaker *sp, const struct prefix *addr,
		   bool enable)
{
	struct peer *p = peer_by_addr(sp, NULL, addr);

	if (p == NULL)
		return -CEN_ENOENT;
	p->admin_down = !enable;
	if (enable) {
		snprintf(p->reason, sizeof(p->reason), "%s", "");
		bgp_session_start(p->s);
	} else {
		bgp_session_stop(p->s, BGP_CEASE_ADMIN_SHUTDOWN,
				 "disabled by operator");
		snprintf(p->reason, sizeof(p->reason), "disabled by operator");
	}
	return 0;
}

int
bgp_speaker_adj(struct bgp_speaker *sp, const struct prefix *addr, bool in,
		bgp_rib_cb cb, void *arg)
{
	struct peer *p = peer_by_addr(sp, NULL, addr);

	if (p == NULL)
		return -CEN_ENOENT;
	for (uint32_t i = 0; (i = adj_next(&p->rib, i)) != ADJ_NONE; i++) {
		const struct adj_ent *e = adj_ent(&p->rib, i);
		const struct prefix pfx = adj_prefix(&p->rib, i);
		const struct attrs *a;
		int rc;

		if (in) {
			a = e->in;
			rc = a != NULL ? cb(&pfx, a, arg) : 0;
		} else {
			/* the Adj-RIB-Out holds what was exported from */
			a = e->out != NULL ? export_attrs(sp, p, e->out, &pfx)
					   : NULL;
			rc = a != NULL ? cb(&pfx, a, arg) : 0;
			attr_unref(sp->st, a);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}
