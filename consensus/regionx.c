/*
 * regionx.c - the importer of other regions' inputs (regionx.h,
 * proto/region.proto): on the leader, one subscription per peer region,
 * what arrives proposed through the node, the stale timer, the model
 * digest comparison, and cend.v1.Admin/RegionList.
 *
 * A peer region goes: barrier (a new leader's first proposal for it, a
 * RegionState that changes nothing: once it is applied, so is everything
 * its predecessor proposed), then connecting / receiving, with a pause
 * between rounds of failed endpoints.  What arrives is queued as units (a
 * complete snapshot, a complete delta) and processed in order: a delta's
 * changes become proposals one by one; a snapshot, and a run of syncs of
 * one scope, wait until every earlier proposal is applied and are then
 * compared with the engine (regiondiff.c), so only differences are
 * proposed.  Processing also pauses while inflight_max proposals are not
 * applied yet; a stream whose unprocessed units outgrow backlog_max is
 * dropped and resumed later from the last index imported.
 *
 * One subscription attempt owns one rpc_client (closing it is the only
 * way to drop a stream) and is freed in its stream's last callback, as in
 * dataplane/fibsub.c.  The regionx itself is freed once no attempt,
 * proposal or relayed call refers to it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/regionx.h"
#include "consensus/store.h"
#include "consensus/util.h"
#include "proto/admin.pb-c.h"
#include "proto/region.pb-c.h"

#define RX_ADDS_MAX	  2048	     /* changes per proposed PathUpdate */
#define RX_CMD_BYTES	  (1u << 20) /* and bytes */
#define RX_LOG_PER_SECOND 5	     /* refusals logged per peer */
#define RX_RELAY_MS	  5000

enum rx_state {
	RX_STOPPED,    /* this node does not lead */
	RX_BARRIER,    /* the new leader's first proposal is on its way */
	RX_WAITING,    /* until retry_at */
	RX_CONNECTING, /* subscribed, nothing complete yet */
	RX_RECEIVING,  /* a stream delivers */
};

enum {
	RX_WAIT = 1
}; /* processing pauses until proposals are applied */

/* A packed message kept as it came (a snapshot's chunks: about a tenth
 * of their unpacked size, which a million paths make count). */
struct rx_raw {
	uint8_t *buf;
	size_t len;
};

/* A complete snapshot or delta, queued in arrival order. */
struct rx_unit {
	struct rx_unit *next;
	bool snapshot;
	uint64_t index;
	struct rx_raw *raw; /* snapshots: unpacked one by one when imported */
	size_t nraw;
	Cend__V1__SubscribePathsResponse **parts; /* deltas */
	size_t nparts;
	size_t bytes;
	Cend__V1__RegionChange **changes; /* deltas: every part's, in order */
	size_t nchanges, pos;		  /* pos: the next to import */
};

struct rx_peer;

/* One subscription attempt. */
struct rx_att {
	struct regionx *rx;
	struct rx_peer *p; /* NULL once detached */
	struct rpc_client *client;
	bool closed, failed, got;
	char endpoint[NODE_ADDR_MAX];
};

struct rx_peer {
	struct regionx *rx;
	struct regionx_peer cfg;
	enum rx_state state;
	uint64_t gen; /* proposals and attempts of an older one are ignored */
	size_t cur, fails_in_row;
	uint32_t backoff;
	uint64_t retry_at;
	bool barrier_sent;
	struct rx_att *att;
	char endpoint[NODE_ADDR_MAX]; /* in use, or last tried */
	bool resuming;		      /* the attempt asked to resume */
	bool need_snapshot;
	bool healthy; /* the stream's inputs are imported up to date */
	uint64_t healthy_since, down_since;
	bool stale_proposed, reachable_proposed;
	uint64_t last_index; /* imported in full (proposed) */
	uint64_t recv_index; /* received in full */
	struct rx_unit *building;
	struct rx_unit *queue, *queue_tail;
	size_t backlog;
	size_t inflight;
	uint64_t theirs; /* the peer's model digest, when theirs_known */
	bool theirs_known;
	uint64_t logged_ours, logged_theirs; /* the mismatch last logged */
	uint64_t snapshots, refused, proposed;
	uint64_t log_second;
	unsigned logged;
	char last_error[256];
};

struct regionx {
	uv_loop_t *loop;
	struct node *node;
	struct engine *engine; /* as last seen */
	struct regionx_config cfg;
	char region[MODEL_ID_MAX];
	struct rx_peer *peers;
	size_t npeers;
	struct node_listener listener;
	uv_timer_t timer;
	struct rpc_client *relay;
	struct rpc_method methods[2];
	bool leading;
	uint64_t digest;
	bool digest_dirty;
	size_t refs; /* attempts, proposals and relays outstanding */
	bool timer_open;
	bool stopping;
};

static void rx_log(struct regionx *rx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
rx_log(struct regionx *rx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	util_vlog(node_config(rx->node)->id, "region", fmt, ap);
	va_end(ap);
}

static void *
xalloc(size_t n)
{
	return util_zalloc("regionx", n);
}

static void *
xrealloc(void *p, size_t n)
{
	return util_realloc("regionx", p, n);
}

static struct engine *
eng(struct regionx *rx)
{
	return node_engine(rx->node);
}

static void
rx_maybe_free(struct regionx *rx)
{
	if (!rx->stopping || rx->refs > 0 || rx->timer_open)
		return;
	free(rx->peers);
	free(rx);
}

static uint64_t
our_digest(struct regionx *rx)
{
	if (rx->digest_dirty) {
		rx->digest = engine_model_hash(eng(rx));
		rx->digest_dirty = false;
	}
	return rx->digest;
}

/* Refused input: counted, and logged a few times a second at most. */
static void __attribute__((format(printf, 2, 3)))
refuse(struct rx_peer *p, const char *fmt, ...)
{
	uint64_t sec = uv_now(p->rx->loop) / 1000;
	char msg[256];
	va_list ap;

	p->refused++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->last_error, sizeof(p->last_error), "refused: %.200s", msg);
	if (sec != p->log_second) {
		p->log_second = sec;
		p->logged = 0;
	}
	if (p->logged++ < RX_LOG_PER_SECOND)
		rx_log(p->rx, "%s: refused: %s", p->cfg.region, msg);
}

/* An attachment of the peer region here (paths: one that takes BGP
 * paths); its ID as the model holds it, or NULL. */
static const char *
peer_att(struct rx_peer *p, const char *id, bool paths)
{
	const struct model_attachment *a;

	if (id == NULL || id[0] == '\0')
		return NULL;
	a = model_find_attachment(engine_model(eng(p->rx)), id);
	if (a == NULL || strcmp(a->region, p->cfg.region) != 0)
		return NULL;
	if (paths && a->type != MODEL_ATT_VBR && a->type != MODEL_ATT_VPN &&
	    a->type != MODEL_ATT_CCN)
		return NULL;
	return a->id;
}

/* ---- units ----------------------------------------------------------- */

static void
unit_free(struct rx_unit *u)
{
	if (u == NULL)
		return;
	for (size_t i = 0; i < u->nparts; i++)
		cend__v1__subscribe_paths_response__free_unpacked(u->parts[i],
								  NULL);
	for (size_t i = 0; i < u->nraw; i++)
		free(u->raw[i].buf);
	free(u->raw);
	free(u->parts);
	free(u->changes);
	free(u);
}

static void
units_drop(struct rx_peer *p)
{
	unit_free(p->building);
	p->building = NULL;
	while (p->queue != NULL) {
		struct rx_unit *u = p->queue;

		p->queue = u->next;
		unit_free(u);
	}
	p->queue_tail = NULL;
	p->backlog = 0;
}

/* ---- proposals ------------------------------------------------------- */

enum {
	PROP_INPUT,
	PROP_BARRIER,
	PROP_STATE
};

struct rx_prop {
	struct regionx *rx;
	struct rx_peer *p;
	uint64_t gen;
	int kind;
};

static void peer_process(struct rx_peer *p);
static void peer_restart(struct rx_peer *p, const char *why);

static bool
transport_error(int status)
{
	return status == -CEN_ENOTLEADER || status == -CEN_ESHUTDOWN ||
	       status == -CEN_EIO || status == -CEN_ETIMEOUT ||
	       status == -CEN_ENOMEM;
}

static void
prop_done(int status, const char *message, uint64_t index, void *arg)
{
	struct rx_prop *c = arg;
	struct regionx *rx = c->rx;
	struct rx_peer *p = c->p;

	rx->refs--;
	if (!rx->stopping && c->gen == p->gen) {
		p->inflight--;
		if (c->kind == PROP_BARRIER) {
			/* applied, whatever its outcome: everything before
			 * it is applied too */
			if (index > 0 && p->state == RX_BARRIER) {
				p->state = RX_WAITING;
				p->retry_at = 0;
			} else if (index == 0) {
				p->barrier_sent = false; /* again */
			}
		} else if (status != 0 && transport_error(status)) {
			snprintf(p->last_error, sizeof(p->last_error),
				 "a proposal failed: %s",
				 message ? message : cen_strerror(status));
			p->need_snapshot = true;
			peer_restart(p, p->last_error);
		} else if (status != 0) {
			/* the cluster applied it and refused it (apply.c
			 * validates again): nothing else to do */
			refuse(p, "applied and refused: %s",
			       message ? message : cen_strerror(status));
		}
		peer_process(p);
	}
	free(c);
	rx_maybe_free(rx);
}

/* Proposes c for p; 0, or a negative error (then nothing is pending). */
static int
propose(struct rx_peer *p, const Cend__V1__Command *c, int kind)
{
	struct regionx *rx = p->rx;
	struct rx_prop *ctx;
	size_t len;
	uint8_t *buf;
	int rc;

	/* only the leader imports: a proposal made now is queued here, never
	 * forwarded to another node */
	if (!node_is_leader(rx->node))
		return -CEN_ENOTLEADER;
	len = cend__v1__command__get_packed_size(c);
	buf = xalloc(len);
	cend__v1__command__pack(c, buf);
	ctx = xalloc(sizeof(*ctx));
	ctx->rx = rx;
	ctx->p = p;
	ctx->gen = p->gen;
	ctx->kind = kind;
	rc = node_propose(rx->node, buf, len, prop_done, ctx);
	free(buf);
	if (rc != 0) {
		free(ctx);
		return rc;
	}
	rx->refs++;
	p->inflight++;
	p->proposed++;
	return 0;
}

static int
propose_region_state(struct rx_peer *p, bool reachable, int kind)
{
	Cend__V1__Command c = CEND__V1__COMMAND__INIT;
	Cend__V1__RegionState rs = CEND__V1__REGION_STATE__INIT;

	rs.region = p->cfg.region;
	rs.reachable = reachable;
	c.cmd_case = CEND__V1__COMMAND__CMD_REGION_STATE;
	c.region_state = &rs;
	return propose(p, &c, kind);
}

/* Changes of one (attachment, peer) gathered into PathUpdates. */
struct rx_add {
	struct prefix prefix;
	const struct attrs *attrs; /* the comparison's list holds it */
};

struct rx_batch {
	struct rx_peer *p;
	const char *att;
	struct prefix peer;
	bool open;
	struct rx_add *adds;
	size_t nadds, capadds;
	uint8_t (*wd)[18];
	size_t *wdlen;
	size_t nwd, capwd;
	size_t bytes;
	int rc;
};

/* The PathAttrs message of each distinct set among the adds, and the
 * group of its prefixes (a table of 2^k slots keyed by the set, the sets
 * repeat). */
struct attrs_msg {
	const struct attrs *a;
	Cend__V1__PathAttrs *m;
	size_t group; /* its PathGroup's index */
};

static struct attrs_msg *
attrs_msg(struct attrs_msg *t, size_t mask, const struct attrs *a)
{
	size_t i = ((uintptr_t)a >> 4) * 0x9e3779b97f4a7c15ull >> 32 & mask;
	uint8_t *buf;
	size_t len;

	while (t[i].a != NULL && t[i].a != a)
		i = (i + 1) & mask;
	if (t[i].a == a)
		return &t[i];
	if (store_attrs_pack(a, &buf, &len) != 0 ||
	    (t[i].m = cend__v1__path_attrs__unpack(NULL, len, buf)) == NULL) {
		fprintf(stderr, "regionx: cannot convert attributes\n");
		abort();
	}
	free(buf);
	t[i].a = a;
	t[i].group = SIZE_MAX;
	return &t[i];
}

/* Proposes the batch: its adds as one PathGroup per attribute set (in
 * the order the sets first come; the adds of a batch are of distinct
 * prefixes, so their order does not matter), then its withdrawals. */
static void
batch_flush(struct rx_batch *b)
{
	Cend__V1__Command c = CEND__V1__COMMAND__INIT;
	Cend__V1__PathUpdate u = CEND__V1__PATH_UPDATE__INIT;
	ProtobufCBinaryData *wd;
	Cend__V1__PathGroup *ga, **gp;
	struct attrs_msg *t, **slot;
	uint8_t pb[18], *pfx;
	size_t mask = 15, ng = 0, off = 0;
	int rc;

	if (b->nadds + b->nwd == 0)
		return;
	while (mask < 2 * b->nadds)
		mask = mask * 2 + 1;
	t = xalloc((mask + 1) * sizeof(*t));
	slot = xalloc((b->nadds + 1) * sizeof(*slot));
	for (size_t i = 0; i < b->nadds; i++) {
		slot[i] = attrs_msg(t, mask, b->adds[i].attrs);
		if (slot[i]->group == SIZE_MAX)
			slot[i]->group = ng++;
	}
	ga = xalloc((ng + 1) * sizeof(*ga));
	gp = xalloc((ng + 1) * sizeof(*gp));
	pfx = xalloc(b->nadds * 18 + 1);
	for (size_t g = 0; g < ng; g++) {
		cend__v1__path_group__init(&ga[g]);
		gp[g] = &ga[g];
	}
	for (size_t i = 0; i < b->nadds; i++) {
		Cend__V1__PathGroup *g = &ga[slot[i]->group];

		g->attrs = slot[i]->m;
		g->prefixes.len +=
			store_prefix_pack_short(&b->adds[i].prefix, pb);
	}
	/* each group's prefixes contiguous, in the order of the adds */
	for (size_t g = 0; g < ng; g++) {
		ga[g].prefixes.data = pfx + off;
		off += ga[g].prefixes.len;
		ga[g].prefixes.len = 0;
	}
	for (size_t i = 0; i < b->nadds; i++) {
		Cend__V1__PathGroup *g = &ga[slot[i]->group];

		g->prefixes.len += store_prefix_pack_short(
			&b->adds[i].prefix, g->prefixes.data + g->prefixes.len);
	}
	wd = xalloc((b->nwd + 1) * sizeof(*wd));
	for (size_t i = 0; i < b->nwd; i++) {
		wd[i].data = b->wd[i];
		wd[i].len = b->wdlen[i];
	}
	u.attachment = (char *)b->att;
	if (b->peer.family != PREFIX_AF_NONE) {
		u.peer.data = pb;
		u.peer.len = store_prefix_pack(&b->peer, pb);
	}
	u.groups = gp;
	u.n_groups = ng;
	u.withdraws = wd;
	u.n_withdraws = b->nwd;
	c.cmd_case = CEND__V1__COMMAND__CMD_PATHS;
	c.paths = &u;
	rc = propose(b->p, &c, PROP_INPUT);
	if (rc != 0 && b->rc == 0)
		b->rc = rc;
	for (size_t i = 0; i <= mask; i++)
		if (t[i].m != NULL)
			cend__v1__path_attrs__free_unpacked(t[i].m, NULL);
	free(t);
	free(slot);
	free(ga);
	free(gp);
	free(pfx);
	free(wd);
	b->nadds = b->nwd = 0;
	b->bytes = 0;
}

static void
batch_put(struct rx_batch *b, enum regiondiff_op op,
	  const struct regiondiff_path *p)
{
	if (b->open && (strcmp(b->att, p->attachment) != 0 ||
			b->peer.family != p->peer.family ||
			(p->peer.family != PREFIX_AF_NONE &&
			 prefix_cmp(&b->peer, &p->peer) != 0)))
		batch_flush(b);
	b->open = true;
	b->att = p->attachment;
	b->peer = p->peer;
	if (op == REGIONDIFF_WITHDRAW) {
		if (b->nwd == b->capwd) {
			b->capwd = b->capwd ? b->capwd * 2 : 64;
			b->wd = xrealloc(b->wd, b->capwd * sizeof(*b->wd));
			b->wdlen = xrealloc(b->wdlen,
					    b->capwd * sizeof(*b->wdlen));
		}
		b->wdlen[b->nwd] = store_prefix_pack(&p->prefix, b->wd[b->nwd]);
		b->bytes += 20;
		b->nwd++;
	} else {
		if (b->nadds == b->capadds) {
			b->capadds = b->capadds ? b->capadds * 2 : 64;
			b->adds = xrealloc(b->adds,
					   b->capadds * sizeof(*b->adds));
		}
		b->adds[b->nadds].prefix = p->prefix;
		b->adds[b->nadds].attrs = p->attrs;
		b->nadds++;
		/* a prefix, an attribute set: about this much packed */
		b->bytes += 64;
	}
	if (b->nadds + b->nwd >= RX_ADDS_MAX || b->bytes >= RX_CMD_BYTES)
		batch_flush(b);
}

static int
batch_cb(enum regiondiff_op op, const struct regiondiff_path *p, void *arg)
{
	batch_put(arg, op, p);
	return 0;
}

static void
batch_fini(struct rx_batch *b)
{
	batch_flush(b);
	free(b->adds);
	free(b->wd);
	free(b->wdlen);
}

/* ---- comparing with the engine -------------------------------------- */

struct rx_list {
	struct regiondiff_path *v;
	size_t n, cap;
	bool owns_attrs; /* theirs: a reference per path */
	const char *att; /* ours: the attachment being walked */
};

static struct regiondiff_path *
list_add(struct rx_list *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

static void
list_fini(struct regionx *rx, struct rx_list *l)
{
	if (l->owns_attrs)
		for (size_t i = 0; i < l->n; i++)
			attr_unref(engine_attrs(eng(rx)), l->v[i].attrs);
	free(l->v);
}

static int
ours_cb(const struct engine_path_in *in, void *arg)
{
	struct rx_list *l = arg;
	struct regiondiff_path *d = list_add(l);

	d->attachment = l->att;
	d->peer = in->peer;
	d->prefix = in->prefix;
	d->attrs = in->attrs;
	return 0;
}

/* What this cluster holds for att (peer NULL: of every peer); att is the
 * model's string. */
static void
ours_add(struct regionx *rx, struct rx_list *l, const char *att,
	 const struct prefix *peer)
{
	l->att = att;
	engine_att_paths(eng(rx), att, peer, ours_cb, l);
}

struct theirs_ctx {
	struct rx_peer *p;
	struct rx_list *l;
	const char *att;
	struct prefix peer;
};

static void
theirs_path(const struct prefix *prefix, const struct attrs *attrs, void *arg)
{
	struct theirs_ctx *x = arg;
	struct regiondiff_path *d = list_add(x->l);

	d->attachment = x->att;
	d->peer = x->peer;
	d->prefix = *prefix;
	d->attrs = attrs;
}

static void
theirs_refused(const char *msg, void *arg)
{
	struct theirs_ctx *x = arg;

	refuse(x->p, "paths of %s: %s", x->att, msg);
}

/* The paths of a PathUpdate another region sent (adds and groups),
 * checked; att is the model's string for its attachment (checked by the
 * caller).  A peer that is not an address refuses the whole update. */
static void
theirs_add(struct rx_peer *p, struct rx_list *l, const char *att,
	   const Cend__V1__PathUpdate *u)
{
	struct cen_err err = { 0 };
	struct theirs_ctx x = { .p = p, .l = l, .att = att };

	if (u->peer.len > 0 && store_prefix_unpack(u->peer.data, u->peer.len,
						   &x.peer, &err) != 0) {
		refuse(p, "paths of %s: peer: %s", att, err.msg);
		return;
	}
	regiondiff_update_paths(engine_attrs(eng(p->rx)), u, theirs_path,
				theirs_refused, &x);
}

/* Proposes what turns ours into theirs. */
static int
diff_propose(struct rx_peer *p, struct rx_list *theirs, struct rx_list *ours,
	     struct regiondiff_stats *st)
{
	struct rx_batch b = { .p = p };

	regiondiff_sort(theirs->v, theirs->n);
	regiondiff_sort(ours->v, ours->n);
	regiondiff_run(theirs->v, theirs->n, ours->v, ours->n, batch_cb, &b,
		       st);
	batch_fini(&b);
	return b.rc;
}

/* ---- importing -------------------------------------------------------- */

/* A peer region's paths and health are up to date: marks it reachable
 * (after everything proposed so far). */
static void
mark_healthy(struct rx_peer *p)
{
	struct regionx *rx = p->rx;

	if (!p->healthy) {
		p->healthy = true;
		p->healthy_since = uv_now(rx->loop);
		p->fails_in_row = 0;
		p->backoff = rx->cfg.retry_ms;
		if (p->down_since != 0)
			rx_log(rx, "%s: streaming from %s at index %llu",
			       p->cfg.region, p->endpoint,
			       (unsigned long long)p->last_index);
		p->down_since = 0;
		p->stale_proposed = false;
		p->last_error[0] = '\0';
	}
	if (!p->reachable_proposed &&
	    model_find_region(engine_model(eng(rx)), p->cfg.region) != NULL &&
	    !engine_region_reachable(eng(rx), p->cfg.region)) {
		if (propose_region_state(p, true, PROP_STATE) == 0) {
			p->reachable_proposed = true;
			rx_log(rx, "%s: back: marking it reachable",
			       p->cfg.region);
		}
	}
}

static int
unit_snapshot(struct rx_peer *p, struct rx_unit *u)
{
	struct regionx *rx = p->rx;
	const struct model *m = engine_model(eng(rx));
	struct rx_list theirs = { .owns_attrs = true }, ours = { 0 };
	struct regiondiff_stats st = { 0 };
	size_t nhealth = 0, health_changed = 0;
	uint64_t refused0 = p->refused;
	uint8_t *seen; /* per attachment: 0 unsaid, 1 up, 2 down */
	int rc;

	if (p->inflight > 0)
		return RX_WAIT;
	seen = xalloc((m->nattachments + 1) * sizeof(*seen));
	for (size_t i = 0; i < u->nraw; i++) {
		Cend__V1__SubscribePathsResponse *r;
		const Cend__V1__RegionSnapshot *s;

		/* (checked when it arrived) */
		r = cend__v1__subscribe_paths_response__unpack(
			NULL, u->raw[i].len, u->raw[i].buf);
		if (r == NULL || r->snapshot == NULL)
			abort();
		s = r->snapshot;
		for (size_t k = 0; k < s->n_paths; k++) {
			const Cend__V1__PathUpdate *pu = s->paths[k];
			const char *att = peer_att(p, pu->attachment, true);

			if (att == NULL) {
				refuse(p,
				       "paths of %s: not a VBR, VPN or CCN "
				       "attachment of region %s here",
				       pu->attachment, p->cfg.region);
				continue;
			}
			theirs_add(p, &theirs, att, pu);
		}
		for (size_t k = 0; k < s->n_health; k++) {
			const Cend__V1__HealthUpdate *h = s->health[k];
			const char *att = peer_att(p, h->attachment, false);

			if (att == NULL) {
				refuse(p,
				       "health of %s: not an attachment of "
				       "region %s here",
				       h->attachment, p->cfg.region);
				continue;
			}
			for (size_t j = 0; j < m->nattachments; j++)
				if (m->attachments[j].id == att)
					seen[j] = !h->up ? 2 : 1;
			nhealth++;
		}
		cend__v1__subscribe_paths_response__free_unpacked(r, NULL);
		/* the packed message is not needed again */
		free(u->raw[i].buf);
		u->raw[i].buf = NULL;
	}
	for (size_t i = 0; i < m->nattachments; i++)
		if (peer_att(p, m->attachments[i].id, true) != NULL)
			ours_add(rx, &ours, m->attachments[i].id, NULL);
	rc = diff_propose(p, &theirs, &ours, &st);
	list_fini(rx, &theirs);
	list_fini(rx, &ours);

	/* health: what the snapshot says, up where it says nothing */
	for (size_t j = 0; j < m->nattachments && rc == 0; j++) {
		Cend__V1__Command c = CEND__V1__COMMAND__INIT;
		Cend__V1__HealthUpdate h = CEND__V1__HEALTH_UPDATE__INIT;
		bool up = true, want = seen[j] != 2;

		if (peer_att(p, m->attachments[j].id, false) == NULL ||
		    engine_health(eng(rx), m->attachments[j].id, &up) != 0 ||
		    up == want)
			continue;
		h.attachment = (char *)m->attachments[j].id;
		h.up = want;
		c.cmd_case = CEND__V1__COMMAND__CMD_HEALTH;
		c.health = &h;
		rc = propose(p, &c, PROP_INPUT);
		health_changed++;
	}
	free(seen);
	if (rc != 0)
		return rc;
	p->snapshots++;
	rx_log(rx,
	       "%s: snapshot at %llu from %s: %zu paths (+%zu ~%zu -%zu, "
	       "%zu unchanged), %zu health states (%zu changed), %llu "
	       "refused",
	       p->cfg.region, (unsigned long long)u->index, p->endpoint,
	       theirs.n, st.added, st.changed, st.withdrawn, st.same, nhealth,
	       health_changed, (unsigned long long)(p->refused - refused0));
	return 0;
}

/* Whether a group another region sent is whole: attributes that convert
 * and a prefix list without a fault.  A group that is not is refused
 * whole (its list cannot be read past a fault). */
static bool
group_ok(struct rx_peer *p, const char *att, const Cend__V1__PathGroup *g,
	 size_t i)
{
	struct cen_err err = { 0 };
	struct store_prefix_iter it;
	const struct attrs *at;
	struct prefix x;
	int rc;

	if (g->attrs == NULL) {
		refuse(p, "paths of %s: groups[%zu]: no attributes", att, i);
		return false;
	}
	if (store_attrs_from_msg(engine_attrs(eng(p->rx)), g->attrs, &at,
				 &err) != 0) {
		refuse(p, "paths of %s: groups[%zu]: attributes: %s", att, i,
		       err.msg);
		return false;
	}
	attr_unref(engine_attrs(eng(p->rx)), at);
	store_prefix_iter_init(&it, g->prefixes.data, g->prefixes.len, i);
	while ((rc = store_prefix_iter_next(&it, &x, &err)) > 0)
		;
	if (rc < 0) {
		refuse(p, "paths of %s: %s", att, err.msg);
		return false;
	}
	return true;
}

static int
import_paths(struct rx_peer *p, const Cend__V1__PathUpdate *pu)
{
	const char *att = peer_att(p, pu->attachment, true);
	Cend__V1__Command c = CEND__V1__COMMAND__INIT;
	Cend__V1__PathUpdate u;
	struct cen_err err = { 0 };
	struct prefix x;
	size_t na = 0, nw = 0, ng = 0;
	int rc;

	if (att == NULL) {
		refuse(p,
		       "paths of %s: not a VBR, VPN or CCN attachment of "
		       "region %s here",
		       pu->attachment, p->cfg.region);
		return 0;
	}
	if (pu->peer.len > 0 &&
	    store_prefix_unpack(pu->peer.data, pu->peer.len, &x, &err) != 0) {
		refuse(p, "paths of %s: peer: %s", att, err.msg);
		return 0;
	}
	u = *pu;
	u.node = 0;
	u.adds = xalloc((pu->n_adds + 1) * sizeof(*u.adds));
	u.withdraws = xalloc((pu->n_withdraws + 1) * sizeof(*u.withdraws));
	u.groups = xalloc((pu->n_groups + 1) * sizeof(*u.groups));
	for (size_t i = 0; i < pu->n_adds; i++) {
		const struct attrs *at;

		if (store_prefix_unpack(pu->adds[i]->prefix.data,
					pu->adds[i]->prefix.len, &x,
					&err) != 0 ||
		    pu->adds[i]->attrs == NULL ||
		    store_attrs_from_msg(engine_attrs(eng(p->rx)),
					 pu->adds[i]->attrs, &at, &err) != 0) {
			refuse(p, "paths of %s: adds[%zu]: %s", att, i,
			       err.msg[0] ? err.msg : "no attributes");
			cen_err_clear(&err);
			continue;
		}
		attr_unref(engine_attrs(eng(p->rx)), at);
		u.adds[na++] = pu->adds[i];
	}
	for (size_t i = 0; i < pu->n_withdraws; i++) {
		if (store_prefix_unpack(pu->withdraws[i].data,
					pu->withdraws[i].len, &x, &err) != 0) {
			refuse(p, "paths of %s: withdraws[%zu]: %s", att, i,
			       err.msg);
			continue;
		}
		u.withdraws[nw++] = pu->withdraws[i];
	}
	for (size_t i = 0; i < pu->n_groups; i++)
		if (group_ok(p, att, pu->groups[i], i))
			u.groups[ng++] = pu->groups[i];
	u.n_adds = na;
	u.n_withdraws = nw;
	u.n_groups = ng;
	rc = 0;
	if (na + nw + ng > 0) {
		c.cmd_case = CEND__V1__COMMAND__CMD_PATHS;
		c.paths = &u;
		rc = propose(p, &c, PROP_INPUT);
	}
	free(u.adds);
	free(u.withdraws);
	free(u.groups);
	return rc;
}

static int
import_health(struct rx_peer *p, const Cend__V1__HealthUpdate *h)
{
	Cend__V1__Command c = CEND__V1__COMMAND__INIT;

	if (peer_att(p, h->attachment, false) == NULL) {
		refuse(p, "health of %s: not an attachment of region %s here",
		       h->attachment, p->cfg.region);
		return 0;
	}
	c.cmd_case = CEND__V1__COMMAND__CMD_HEALTH;
	c.health = (Cend__V1__HealthUpdate *)h;
	return propose(p, &c, PROP_INPUT);
}

static int
import_flush(struct rx_peer *p, const Cend__V1__PeerFlush *f)
{
	Cend__V1__Command c = CEND__V1__COMMAND__INIT;
	Cend__V1__PeerFlush x;
	struct cen_err err = { 0 };
	struct prefix peer;

	if (peer_att(p, f->attachment, true) == NULL) {
		refuse(p,
		       "flush of %s: not a VBR, VPN or CCN attachment of "
		       "region %s here",
		       f->attachment, p->cfg.region);
		return 0;
	}
	if (f->peer.len > 0 &&
	    store_prefix_unpack(f->peer.data, f->peer.len, &peer, &err) != 0) {
		refuse(p, "flush of %s: peer: %s", f->attachment, err.msg);
		return 0;
	}
	x = *f;
	x.node = 0; /* every path of the peer, whoever learned it here */
	c.cmd_case = CEND__V1__COMMAND__CMD_FLUSH;
	c.flush = &x;
	return propose(p, &c, PROP_INPUT);
}

static bool
same_scope(const Cend__V1__RegionSync *a, const Cend__V1__RegionSync *b)
{
	return strcmp(a->attachment, b->attachment) == 0 &&
	       a->peer.len == b->peer.len &&
	       (a->peer.len == 0 ||
		memcmp(a->peer.data, b->peer.data, a->peer.len) == 0);
}

/* The syncs changes[from .. to) of one scope: the scope's paths are now
 * exactly theirs. */
static int
import_sync(struct rx_peer *p, struct rx_unit *u, size_t from, size_t to)
{
	const Cend__V1__RegionSync *s = u->changes[from]->sync;
	const char *att = peer_att(p, s->attachment, true);
	struct rx_list theirs = { .owns_attrs = true }, ours = { 0 };
	struct regiondiff_stats st;
	struct cen_err err = { 0 };
	struct prefix scope = { 0 };
	int rc;

	if (att == NULL) {
		/* an attachment deleted there and here: nothing to say */
		for (size_t i = from; i < to; i++)
			if (u->changes[i]->sync->n_paths > 0) {
				refuse(p,
				       "sync of %s: not a VBR, VPN or CCN "
				       "attachment of region %s here",
				       s->attachment, p->cfg.region);
				break;
			}
		return 0;
	}
	if (s->peer.len > 0 &&
	    store_prefix_unpack(s->peer.data, s->peer.len, &scope, &err) != 0) {
		refuse(p, "sync of %s: peer: %s", att, err.msg);
		return 0;
	}
	for (size_t i = from; i < to; i++) {
		const Cend__V1__RegionSync *x = u->changes[i]->sync;

		for (size_t k = 0; k < x->n_paths; k++) {
			const Cend__V1__PathUpdate *pu = x->paths[k];

			if (strcmp(pu->attachment, att) != 0 ||
			    (s->peer.len > 0 &&
			     (pu->peer.len != s->peer.len ||
			      memcmp(pu->peer.data, s->peer.data,
				     s->peer.len) != 0))) {
				refuse(p, "sync of %s: paths of %s outside it",
				       att, pu->attachment);
				continue;
			}
			theirs_add(p, &theirs, att, pu);
		}
	}
	ours_add(p->rx, &ours, att, s->peer.len > 0 ? &scope : NULL);
	rc = diff_propose(p, &theirs, &ours, &st);
	list_fini(p->rx, &theirs);
	list_fini(p->rx, &ours);
	return rc;
}

static int
unit_delta(struct rx_peer *p, struct rx_unit *u)
{
	while (u->pos < u->nchanges) {
		const Cend__V1__RegionChange *ch = u->changes[u->pos];
		int rc = 0;

		switch (ch->change_case) {
		case CEND__V1__REGION_CHANGE__CHANGE_PATHS:
			rc = import_paths(p, ch->paths);
			break;
		case CEND__V1__REGION_CHANGE__CHANGE_HEALTH:
			rc = import_health(p, ch->health);
			break;
		case CEND__V1__REGION_CHANGE__CHANGE_FLUSH:
			rc = import_flush(p, ch->flush);
			break;
		case CEND__V1__REGION_CHANGE__CHANGE_SYNC: {
			size_t end = u->pos + 1;

			while (end < u->nchanges &&
			       u->changes[end]->change_case ==
				       CEND__V1__REGION_CHANGE__CHANGE_SYNC &&
			       same_scope(u->changes[end]->sync, ch->sync))
				end++;
			if (p->inflight > 0)
				return RX_WAIT;
			rc = import_sync(p, u, u->pos, end);
			if (rc != 0)
				return rc;
			u->pos = end;
			continue;
		}
		default:
			refuse(p, "a change of an unknown kind (%d)",
			       (int)ch->change_case);
			break;
		}
		if (rc != 0)
			return rc;
		u->pos++;
		if (p->inflight >= p->rx->cfg.inflight_max &&
		    u->pos < u->nchanges)
			return RX_WAIT;
	}
	return 0;
}

/* Processes the queued units in order, as far as it can now. */
static void
peer_process(struct rx_peer *p)
{
	struct regionx *rx = p->rx;

	while (p->queue != NULL && !rx->stopping && p->state != RX_STOPPED) {
		struct rx_unit *u = p->queue;
		int rc;

		if (p->inflight >= rx->cfg.inflight_max)
			return;
		rc = u->snapshot ? unit_snapshot(p, u) : unit_delta(p, u);
		if (rc == RX_WAIT)
			return;
		if (rc < 0) {
			snprintf(p->last_error, sizeof(p->last_error),
				 "cannot propose: %s", cen_strerror(rc));
			p->need_snapshot = true;
			peer_restart(p, p->last_error);
			return;
		}
		p->queue = u->next;
		if (p->queue == NULL)
			p->queue_tail = NULL;
		p->backlog -= u->bytes < p->backlog ? u->bytes : p->backlog;
		if (u->index > p->last_index || u->snapshot)
			p->last_index = u->index;
		if (u->snapshot || p->resuming)
			mark_healthy(p);
		unit_free(u);
	}
}

/* ---- streams ---------------------------------------------------------- */

static void
att_close(struct rx_att *a)
{
	if (!a->closed)
		rpc_client_close(a->client);
	a->closed = true;
}

/* Drops the current stream (if any); the tick subscribes again. */
static void
peer_restart(struct rx_peer *p, const char *why)
{
	struct rx_att *a = p->att;

	if (a == NULL)
		return;
	rx_log(p->rx, "%s: dropping the stream from %s: %s", p->cfg.region,
	       a->endpoint, why);
	a->failed = true;
	att_close(a);
}

static void
enqueue(struct rx_peer *p, struct rx_unit *u)
{
	if (p->queue_tail != NULL)
		p->queue_tail->next = u;
	else
		p->queue = u;
	p->queue_tail = u;
}

static struct rx_unit *
unit_new(bool snapshot, uint64_t index)
{
	struct rx_unit *u = xalloc(sizeof(*u));

	u->snapshot = snapshot;
	u->index = index;
	return u;
}

/* Adds a message to u: a snapshot's as its packed bytes (r is freed), a
 * delta's unpacked (u takes r). */
static void
unit_part(struct rx_unit *u, Cend__V1__SubscribePathsResponse *r,
	  const uint8_t *payload, size_t len)
{
	u->bytes += len;
	if (u->snapshot) {
		u->raw = xrealloc(u->raw, (u->nraw + 1) * sizeof(*u->raw));
		u->raw[u->nraw].buf = xalloc(len);
		memcpy(u->raw[u->nraw].buf, payload, len);
		u->raw[u->nraw++].len = len;
		cend__v1__subscribe_paths_response__free_unpacked(r, NULL);
		return;
	}
	u->parts = xrealloc(u->parts, (u->nparts + 1) * sizeof(*u->parts));
	u->parts[u->nparts++] = r;
	if (r->msg_case == CEND__V1__SUBSCRIBE_PATHS_RESPONSE__MSG_DELTA) {
		const Cend__V1__RegionDelta *d = r->delta;

		u->changes = xrealloc(u->changes, (u->nchanges + d->n_changes +
						   1) * sizeof(*u->changes));
		for (size_t i = 0; i < d->n_changes; i++)
			u->changes[u->nchanges++] = d->changes[i];
	}
}

static void
check_digest(struct rx_peer *p, uint64_t theirs)
{
	struct regionx *rx = p->rx;
	uint64_t ours = our_digest(rx);

	p->theirs = theirs;
	p->theirs_known = true;
	if (theirs == ours) {
		if (p->logged_theirs != 0)
			rx_log(rx,
			       "%s: runs the same model as this region "
			       "again (%016llx)",
			       p->cfg.region, (unsigned long long)ours);
		p->logged_ours = p->logged_theirs = 0;
		return;
	}
	if (p->logged_ours == ours && p->logged_theirs == theirs)
		return;
	p->logged_ours = ours;
	p->logged_theirs = theirs;
	rx_log(rx,
	       "%s: MODEL DIFFERS: region %s runs model %016llx, this region "
	       "%016llx; its paths are still imported, but the regions "
	       "decide by different configurations: apply the same file to "
	       "every region (cenctl apply -f FILE --endpoints <endpoints "
	       "of every region>)",
	       p->cfg.region, p->cfg.region, (unsigned long long)theirs,
	       (unsigned long long)ours);
}

/* One message of the stream; 0, or an error that drops the stream. */
static int
receive(struct rx_peer *p, struct rx_att *a, const uint8_t *payload, size_t len,
	struct cen_err *err)
{
	Cend__V1__SubscribePathsResponse *r;
	bool first = !a->got, more;
	uint64_t index;
	size_t head;

	r = cend__v1__subscribe_paths_response__unpack(NULL, len, payload);
	if (r == NULL)
		return cen_errf(err, -CEN_EPROTO,
				"a message that is not a "
				"SubscribePathsResponse");
	if (strcmp(r->region, p->cfg.region) != 0) {
		cen_errf(err, -CEN_EPROTO,
			 "the endpoint serves region %s, not %s", r->region,
			 p->cfg.region);
		goto bad;
	}
	a->got = true;
	check_digest(p, r->model_digest);
	switch (r->msg_case) {
	case CEND__V1__SUBSCRIBE_PATHS_RESPONSE__MSG_SNAPSHOT: {
		const Cend__V1__RegionSnapshot *s = r->snapshot;

		if (p->building != NULL && !p->building->snapshot) {
			cen_errf(err, -CEN_EPROTO,
				 "a snapshot inside the delta of %llu",
				 (unsigned long long)p->building->index);
			goto bad;
		}
		if (p->building == NULL) {
			p->building = unit_new(true, s->index);
			p->state = RX_RECEIVING;
		} else if (p->building->index != s->index) {
			cen_errf(err, -CEN_EPROTO,
				 "a snapshot chunk of %llu inside the "
				 "snapshot of %llu",
				 (unsigned long long)s->index,
				 (unsigned long long)p->building->index);
			goto bad;
		}
		more = s->more;
		index = s->index;
		unit_part(p->building, r, payload, len);
		if (!more) {
			p->recv_index = index;
			p->backlog += p->building->bytes;
			enqueue(p, p->building);
			p->building = NULL;
		}
		break;
	}
	case CEND__V1__SUBSCRIBE_PATHS_RESPONSE__MSG_DELTA: {
		const Cend__V1__RegionDelta *d = r->delta;

		if (first)
			p->resuming = true; /* the exporter took our index */
		p->state = RX_RECEIVING;
		if (p->building != NULL && p->building->snapshot) {
			cen_errf(err, -CEN_EPROTO,
				 "a delta inside the snapshot of %llu",
				 (unsigned long long)p->building->index);
			goto bad;
		}
		if (p->building == NULL) {
			if (d->index < p->recv_index) {
				cen_errf(err, -CEN_EPROTO,
					 "a delta of index %llu after %llu",
					 (unsigned long long)d->index,
					 (unsigned long long)p->recv_index);
				goto bad;
			}
			if (d->n_changes == 0 && !d->more) {
				/* the index moves on, or a keepalive */
				if (d->index > p->recv_index || first) {
					p->recv_index = d->index;
					enqueue(p, unit_new(false, d->index));
				}
				cend__v1__subscribe_paths_response__free_unpacked(
					r, NULL);
				break;
			}
			p->building = unit_new(false, d->index);
		} else if (p->building->index != d->index) {
			cen_errf(err, -CEN_EPROTO,
				 "a delta chunk of %llu inside the delta of "
				 "%llu",
				 (unsigned long long)d->index,
				 (unsigned long long)p->building->index);
			goto bad;
		}
		unit_part(p->building, r, payload, len);
		p->backlog += len;
		if (!d->more) {
			p->recv_index = d->index;
			enqueue(p, p->building);
			p->building = NULL;
		}
		break;
	}
	default:
		cen_errf(err, -CEN_EPROTO,
			 "a message with neither snapshot nor delta");
		goto bad;
	}
	/* (the unit being imported does not count: a snapshot is whole) */
	head = p->queue != NULL ? p->queue->bytes : 0;
	if (p->backlog > head && p->backlog - head > p->rx->cfg.backlog_max)
		return cen_errf(err, -CEN_ETOOBIG,
				"%zu bytes received and not imported yet: "
				"resuming later",
				p->backlog);
	peer_process(p);
	return 0;
bad:
	cend__v1__subscribe_paths_response__free_unpacked(r, NULL);
	return err->code;
}

/* The stream of an attempt is over: the next endpoint, now or after a
 * pause once every endpoint failed in a row. */
static void
stream_over(struct rx_peer *p, bool delivered)
{
	struct regionx *rx = p->rx;
	uint64_t now = uv_now(rx->loop);

	/* what was not imported yet comes again: resume from last_index */
	units_drop(p);
	if (p->healthy) {
		p->healthy = false;
		p->down_since = now;
		p->reachable_proposed = false;
		rx_log(rx,
		       "%s: stream down; its routes stay for %u ms (grace) "
		       "unless it comes back",
		       p->cfg.region, rx->cfg.grace_ms);
	} else if (p->down_since == 0) {
		p->down_since = now;
	}
	p->cur = (p->cur + 1) % p->cfg.nendpoints;
	p->retry_at = now;
	if (delivered) {
		p->fails_in_row = 0;
	} else if (++p->fails_in_row >= p->cfg.nendpoints) {
		p->fails_in_row = 0;
		p->retry_at = now + p->backoff;
		p->backoff = p->backoff * 2 > rx->cfg.retry_max_ms
				     ? rx->cfg.retry_max_ms
				     : p->backoff * 2;
	}
	p->state = RX_WAITING;
}

static void
on_stream(rpc_status status, const char *message, const uint8_t *payload,
	  size_t len, bool eos, void *arg)
{
	struct rx_att *a = arg;
	struct rx_peer *p = a->p;
	struct regionx *rx;
	struct cen_err err = { 0 };

	if (p != NULL && !a->failed && status == RPC_OK && len > 0 &&
	    receive(p, a, payload, len, &err) != 0 && a->p != NULL) {
		rx_log(p->rx, "%s: %s: dropping the stream: %s", p->cfg.region,
		       a->endpoint, err.msg);
		snprintf(p->last_error, sizeof(p->last_error), "%s: %.180s",
			 a->endpoint, err.msg);
		a->failed = true;
		att_close(a);
	}
	if (!eos)
		return;
	p = a->p;
	if (p != NULL) {
		if (!a->failed && status != RPC_CANCELLED) {
			snprintf(p->last_error, sizeof(p->last_error),
				 "%s: %s%s%s", a->endpoint,
				 rpc_status_str(status), message ? ": " : "",
				 message ? message : "");
			if (p->healthy || a->got)
				rx_log(p->rx, "%s: stream from %s ended: %s",
				       p->cfg.region, a->endpoint,
				       p->last_error);
		}
		p->att = NULL;
		stream_over(p, a->got && !a->failed);
	}
	att_close(a);
	rx = a->rx;
	free(a);
	rx->refs--;
	rx_maybe_free(rx);
}

static void
subscribe(struct rx_peer *p)
{
	struct regionx *rx = p->rx;
	Cend__V1__SubscribePathsRequest req =
		CEND__V1__SUBSCRIBE_PATHS_REQUEST__INIT;
	struct rx_att *a = xalloc(sizeof(*a));
	uint8_t buf[512];
	size_t len;
	int rc;

	if (rpc_client_new(rx->loop, &a->client) != 0) {
		free(a);
		p->retry_at = uv_now(rx->loop) + rx->cfg.retry_ms;
		return;
	}
	a->rx = rx;
	a->p = p;
	snprintf(a->endpoint, sizeof(a->endpoint), "%s",
		 p->cfg.endpoints[p->cur]);
	snprintf(p->endpoint, sizeof(p->endpoint), "%s", a->endpoint);
	/* a region marked unreachable comes back complete: a snapshot */
	if (p->need_snapshot || p->last_index == 0 ||
	    !engine_region_reachable(eng(rx), p->cfg.region))
		p->last_index = 0;
	req.region = p->cfg.region;
	req.resume_index = p->last_index;
	req.subscriber = rx->region;
	len = cend__v1__subscribe_paths_request__get_packed_size(&req);
	cend__v1__subscribe_paths_request__pack(&req, buf);
	p->need_snapshot = false;
	p->resuming = false;
	p->recv_index = p->last_index;
	rc = rpc_client_call(a->client, a->endpoint, REGIONX_METHOD_SUBSCRIBE,
			     buf, len, rx->cfg.idle_timeout_ms, on_stream, a);
	if (rc != 0) {
		snprintf(p->last_error, sizeof(p->last_error), "%s: %s",
			 a->endpoint, cen_strerror(rc));
		att_close(a);
		free(a);
		stream_over(p, false);
		return;
	}
	rx->refs++;
	p->att = a;
	p->state = RX_CONNECTING;
}

/* ---- leadership ------------------------------------------------------ */

static void
peer_start(struct rx_peer *p)
{
	struct regionx *rx = p->rx;

	p->gen++;
	p->state = RX_BARRIER;
	p->barrier_sent = false;
	p->healthy = false;
	p->down_since = uv_now(rx->loop);
	p->stale_proposed = p->reachable_proposed = false;
	p->last_index = p->recv_index = 0;
	p->need_snapshot = true;
	p->inflight = 0;
	p->fails_in_row = 0;
	p->backoff = rx->cfg.retry_ms;
}

static void
peer_stop(struct rx_peer *p)
{
	p->gen++;
	if (p->att != NULL) {
		p->att->p = NULL; /* its last callback frees it */
		att_close(p->att);
		p->att = NULL;
	}
	units_drop(p);
	p->inflight = 0;
	p->healthy = false;
	p->state = RX_STOPPED;
}

static void
peer_tick(struct rx_peer *p, uint64_t now)
{
	struct regionx *rx = p->rx;
	const struct model *m = engine_model(eng(rx));

	switch (p->state) {
	case RX_BARRIER:
		if (!p->barrier_sent &&
		    propose_region_state(
			    p, engine_region_reachable(eng(rx), p->cfg.region),
			    PROP_BARRIER) == 0)
			p->barrier_sent = true;
		break;
	case RX_WAITING:
		if (now >= p->retry_at &&
		    p->inflight < rx->cfg.inflight_max / 2 + 1)
			subscribe(p);
		break;
	default:
		break;
	}
	if (!p->healthy && p->down_since != 0 && !p->stale_proposed &&
	    now - p->down_since >= rx->cfg.grace_ms &&
	    model_find_region(m, p->cfg.region) != NULL &&
	    engine_region_reachable(eng(rx), p->cfg.region)) {
		if (propose_region_state(p, false, PROP_STATE) == 0) {
			p->stale_proposed = true;
			rx_log(rx,
			       "%s: UNREACHABLE: no stream from any of its "
			       "endpoints for %llu ms; its routes are "
			       "withdrawn from this region (last error: %s)",
			       p->cfg.region,
			       (unsigned long long)(now - p->down_since),
			       p->last_error[0] ? p->last_error : "none");
		}
	}
	peer_process(p);
}

static void
on_tick(uv_timer_t *t)
{
	struct regionx *rx = t->data;
	bool leader = node_is_leader(rx->node);
	uint64_t now = uv_now(rx->loop);

	if (rx->stopping)
		return;
	if (eng(rx) != rx->engine) {
		/* a snapshot was installed under us: compare again */
		rx->engine = eng(rx);
		rx->digest_dirty = true;
		for (size_t i = 0; i < rx->npeers; i++) {
			rx->peers[i].need_snapshot = true;
			peer_restart(&rx->peers[i], "the state was replaced");
		}
	}
	if (leader && !rx->leading) {
		rx->leading = true;
		if (rx->npeers > 0)
			rx_log(rx, "leading: importing from %zu region(s)",
			       rx->npeers);
		for (size_t i = 0; i < rx->npeers; i++)
			peer_start(&rx->peers[i]);
	} else if (!leader && rx->leading) {
		rx->leading = false;
		if (rx->npeers > 0)
			rx_log(rx, "no longer leading: imports stop here");
		for (size_t i = 0; i < rx->npeers; i++)
			peer_stop(&rx->peers[i]);
	}
	if (rx->leading)
		for (size_t i = 0; i < rx->npeers; i++)
			peer_tick(&rx->peers[i], now);
}

static void
on_command(uint64_t index, const Cend__V1__Command *c, int rc, void *arg)
{
	struct regionx *rx = arg;

	if (rc == 0 && (c->cmd_case == CEND__V1__COMMAND__CMD_APPLY_YAML ||
			c->cmd_case == CEND__V1__COMMAND__CMD_MERGE_YAML ||
			c->cmd_case == CEND__V1__COMMAND__CMD_DELETE))
		rx->digest_dirty = true;
}

/* ---- RegionList -------------------------------------------------------- */

static int
count_cb(const struct engine_path_in *p, void *arg)
{
	(*(uint64_t *)arg)++;
	return 0;
}

static uint64_t
region_paths(struct regionx *rx, const char *region)
{
	const struct model *m = engine_model(eng(rx));
	uint64_t n = 0;

	for (size_t i = 0; i < m->nattachments; i++)
		if (strcmp(m->attachments[i].region, region) == 0)
			engine_att_paths(eng(rx), m->attachments[i].id, NULL,
					 count_cb, &n);
	return n;
}

static struct rx_peer *
peer_of(struct regionx *rx, const char *region)
{
	for (size_t i = 0; i < rx->npeers; i++)
		if (strcmp(rx->peers[i].cfg.region, region) == 0)
			return &rx->peers[i];
	return NULL;
}

static const char *
peer_state(struct regionx *rx, struct rx_peer *p)
{
	if (!rx->leading)
		return "stopped";
	if (p->healthy)
		return "streaming";
	if (!engine_region_reachable(eng(rx), p->cfg.region))
		return "unreachable";
	if (p->state == RX_RECEIVING && p->building != NULL &&
	    p->building->snapshot)
		return "snapshot";
	return "stale";
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
fill_info(struct regionx *rx, Cend__V1__RegionInfo *ri, const char *region)
{
	const struct model *m = engine_model(eng(rx));
	const struct model_table *st = model_system_table(m, region);
	struct rx_peer *p = peer_of(rx, region);
	uint64_t now = uv_now(rx->loop);

	ri->region = (char *)region;
	ri->local = strcmp(region, rx->region) == 0;
	ri->in_model = model_find_region(m, region) != NULL;
	ri->system_table = st != NULL ? (char *)st->id : "";
	ri->reachable = engine_region_reachable(eng(rx), region);
	ri->paths = region_paths(rx, region);
	ri->model_ours = our_digest(rx);
	ri->node = node_config(rx->node)->id;
	if (ri->local) {
		ri->state = "local";
		ri->model_theirs = ri->model_ours;
		ri->model_in_sync = true;
		return;
	}
	if (p == NULL) {
		ri->state = "not configured";
		return;
	}
	ri->n_endpoints = p->cfg.nendpoints;
	ri->endpoints = xalloc(p->cfg.nendpoints * sizeof(char *));
	for (size_t i = 0; i < p->cfg.nendpoints; i++)
		ri->endpoints[i] = p->cfg.endpoints[i];
	ri->endpoint = p->endpoint;
	ri->state = (char *)peer_state(rx, p);
	if (p->healthy)
		ri->since_ms = now - p->healthy_since;
	else if (p->down_since != 0)
		ri->since_ms = ri->stale_ms = now - p->down_since;
	ri->last_index = p->last_index;
	ri->model_theirs = p->theirs_known ? p->theirs : 0;
	ri->model_in_sync = p->theirs_known && p->theirs == ri->model_ours;
	ri->snapshots = p->snapshots;
	ri->refused = p->refused;
	ri->proposed = p->proposed;
	ri->last_error = p->last_error;
}

static void
reply_local(struct regionx *rx, struct rpc_call *call)
{
	Cend__V1__RegionListResponse r = CEND__V1__REGION_LIST_RESPONSE__INIT;
	const struct model *m = engine_model(eng(rx));
	const char **ids =
		xalloc((m->nregions + rx->npeers + 1) * sizeof(*ids));
	Cend__V1__RegionInfo *info, **ip;
	size_t n = 0;

	for (size_t i = 0; i < m->nregions; i++)
		ids[n++] = m->regions[i].id;
	for (size_t i = 0; i < rx->npeers; i++)
		if (model_find_region(m, rx->peers[i].cfg.region) == NULL)
			ids[n++] = rx->peers[i].cfg.region;
	if (model_find_region(m, rx->region) == NULL)
		ids[n++] = rx->region;
	if (n > 1)
		qsort(ids, n, sizeof(*ids), cmp_str);
	info = xalloc((n + 1) * sizeof(*info));
	ip = xalloc((n + 1) * sizeof(*ip));
	for (size_t i = 0; i < n; i++) {
		cend__v1__region_info__init(&info[i]);
		fill_info(rx, &info[i], ids[i]);
		ip[i] = &info[i];
	}
	r.n_regions = n;
	r.regions = ip;
	rpc_reply_msg(call, &r.base);
	for (size_t i = 0; i < n; i++)
		free(info[i].endpoints);
	free(info);
	free(ip);
	free(ids);
}

struct rx_relay {
	struct regionx *rx;
	struct rpc_call *call;
};

static void
relay_done(rpc_status status, const char *message, const uint8_t *payload,
	   size_t len, bool eos, void *arg)
{
	struct rx_relay *r = arg;
	struct regionx *rx = r->rx;

	if (!eos)
		return;
	if (status == RPC_OK || rx->stopping)
		rpc_reply(r->call, status, message, payload, len);
	else
		reply_local(rx, r->call); /* the leader did not answer */
	free(r);
	rx->refs--;
	rx_maybe_free(rx);
}

static void
h_region_list(struct rpc_call *call, const uint8_t *payload, size_t len,
	      void *arg)
{
	struct regionx *rx = arg;
	Cend__V1__RegionListRequest *req,
		fwd = CEND__V1__REGION_LIST_REQUEST__INIT;
	struct node_status st;
	struct rx_relay *r;
	uint8_t buf[16];
	bool local;

	req = cend__v1__region_list_request__unpack(NULL, len, payload);
	if (req == NULL) {
		rpc_reply_error(call, RPC_INVALID_ARGUMENT,
				"request does not decode as "
				"RegionListRequest");
		return;
	}
	local = req->local;
	cend__v1__region_list_request__free_unpacked(req, NULL);
	/* the leader runs the imports: a follower asks it */
	node_get_status(rx->node, &st);
	if (local || node_is_leader(rx->node) ||
	    st.leader_api_addr[0] == '\0' || rx->relay == NULL) {
		reply_local(rx, call);
		return;
	}
	fwd.local = true;
	len = cend__v1__region_list_request__pack(&fwd, buf);
	r = xalloc(sizeof(*r));
	r->rx = rx;
	r->call = call;
	if (rpc_client_call(rx->relay, st.leader_api_addr, REGIONX_METHOD_LIST,
			    buf, len, RX_RELAY_MS, relay_done, r) != 0) {
		free(r);
		reply_local(rx, call);
		return;
	}
	rx->refs++;
}

/* ---- setup --------------------------------------------------------- */

int
regionx_parse_peer(const char *arg, struct regionx_peer *out,
		   struct cen_err *err)
{
	const char *eq = strchr(arg, '=');
	char buf[2048], *save = NULL;
	struct rpc_endpoint ep;

	memset(out, 0, sizeof(*out));
	if (eq == NULL || eq == arg || (size_t)(eq - arg) >= MODEL_ID_MAX)
		return cen_errf(err, -CEN_EINVAL,
				"%s: expected REGION=HOST:PORT[,HOST:PORT...]",
				arg);
	memcpy(out->region, arg, (size_t)(eq - arg));
	if (!model_id_valid(out->region))
		return cen_errf(err, -CEN_EINVAL,
				"%s: region: expected an ID (1..63 of A-Z a-z "
				"0-9 . _ -)",
				arg);
	if (strlen(eq + 1) >= sizeof(buf))
		return cen_errf(err, -CEN_EINVAL, "%s: too long", arg);
	strcpy(buf, eq + 1);
	for (char *tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (out->nendpoints == REGIONX_ENDPOINTS_MAX)
			return cen_errf(err, -CEN_EINVAL,
					"%s: more than %d endpoints", arg,
					REGIONX_ENDPOINTS_MAX);
		if (strlen(tok) >= NODE_ADDR_MAX ||
		    rpc_endpoint_parse(&ep, tok, err) != 0)
			return cen_errf(err, -CEN_EINVAL,
					"%s: endpoint %s: expected HOST:PORT "
					"or unix:/path",
					arg, tok);
		snprintf(out->endpoints[out->nendpoints++], NODE_ADDR_MAX, "%s",
			 tok);
	}
	if (out->nendpoints == 0)
		return cen_errf(err, -CEN_EINVAL, "%s: no endpoint given", arg);
	return 0;
}

static void
config_defaults(struct regionx_config *c)
{
	if (c->grace_ms == 0)
		c->grace_ms = 30000;
	if (c->idle_timeout_ms == 0)
		c->idle_timeout_ms = 5000;
	if (c->retry_ms == 0)
		c->retry_ms = 200;
	if (c->retry_max_ms == 0)
		c->retry_max_ms = 5000;
	if (c->tick_ms == 0)
		c->tick_ms = 100;
	if (c->backlog_max == 0)
		c->backlog_max = 64u << 20;
	if (c->inflight_max == 0)
		c->inflight_max = 256;
}

int
regionx_new(uv_loop_t *loop, struct node *n, const struct regionx_config *cfg,
	    struct regionx **out, struct cen_err *err)
{
	struct regionx *rx = calloc(1, sizeof(*rx));

	if (rx == NULL)
		return cen_errf(err, -CEN_ENOMEM, "out of memory");
	rx->loop = loop;
	rx->node = n;
	if (cfg != NULL)
		rx->cfg = *cfg;
	rx->cfg.peers = NULL;
	config_defaults(&rx->cfg);
	snprintf(rx->region, sizeof(rx->region), "%s", node_config(n)->region);
	rx->npeers = cfg != NULL ? cfg->npeers : 0;
	rx->peers = calloc(rx->npeers + 1, sizeof(*rx->peers));
	if (rx->peers == NULL) {
		free(rx);
		return cen_errf(err, -CEN_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < rx->npeers; i++) {
		struct rx_peer *p = &rx->peers[i];

		if (strcmp(cfg->peers[i].region, rx->region) == 0 ||
		    peer_of(rx, cfg->peers[i].region) != NULL) {
			cen_errf(err, -CEN_EINVAL, "--region-peer %s: %s",
				 cfg->peers[i].region,
				 strcmp(cfg->peers[i].region, rx->region) == 0
					 ? "this node's own region"
					 : "given twice");
			free(rx->peers);
			free(rx);
			return -CEN_EINVAL;
		}
		p->rx = rx;
		p->cfg = cfg->peers[i];
		p->state = RX_STOPPED;
		p->backoff = rx->cfg.retry_ms;
	}
	rx->engine = node_engine(n);
	rx->digest_dirty = true;
	if (rpc_client_new(loop, &rx->relay) != 0)
		rx->relay = NULL;
	rx->methods[0].name = REGIONX_METHOD_LIST;
	rx->methods[0].fn = h_region_list;
	rx->methods[0].arg = rx;
	rx->listener.command = on_command;
	rx->listener.arg = rx;
	node_listen(n, &rx->listener);
	uv_timer_init(loop, &rx->timer);
	rx->timer.data = rx;
	rx->timer_open = true;
	uv_timer_start(&rx->timer, on_tick, rx->cfg.tick_ms, rx->cfg.tick_ms);
	*out = rx;
	return 0;
}

const struct rpc_method *
regionx_methods(struct regionx *rx)
{
	return rx->methods;
}

static void
timer_closed(uv_handle_t *h)
{
	struct regionx *rx = h->data;

	rx->timer_open = false;
	rx_maybe_free(rx);
}

void
regionx_stop(struct regionx *rx)
{
	for (size_t i = 0; i < rx->npeers; i++)
		peer_stop(&rx->peers[i]);
	rx->stopping = true;
	node_unlisten(rx->node, &rx->listener);
	if (rx->relay != NULL)
		rpc_client_close(rx->relay); /* relays answer from here */
	rx->relay = NULL;
	uv_timer_stop(&rx->timer);
	uv_close((uv_handle_t *)&rx->timer, timer_closed);
}
