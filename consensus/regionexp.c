/*
 * regionexp.c - the exporter of a region's inputs (regionx.h,
 * proto/region.proto, service Region): a snapshot at the applied index,
 * then one delta per applied entry that changed the region's paths or
 * health, resumable from a bounded history; keepalives.  Every node of the
 * cluster serves it from what it has applied.
 *
 * Records.  The node's command listener turns each applied command that
 * concerns the region's own attachments into a packed RegionChange (the
 * PathUpdate, HealthUpdate or PeerFlush with node 0), or notes a sync of an
 * (attachment, peer) scope, resolved from the engine once the entry is
 * over into the complete set of paths in that scope.  The changes of one
 * entry become a record: its RegionDelta.changes fields laid end to end,
 * packed once, reference counted and shared by the subscribers while the
 * ring of recent records (bounded in changes and bytes) holds it.
 *
 * A subscriber's position is the last index it was sent in full; it is
 * sent the records after it, each as one delta (in chunks when large).
 * One whose position the history no longer covers (it came back too late,
 * or its connection drained so slowly that the ring moved past it) gets a
 * new snapshot, built when its connection has drained: the node never
 * queues without bound for a slow subscriber.  Sending pauses while a
 * connection has queue_max bytes waiting; the timer polls it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/regionx.h"
#include "consensus/store.h"
#include "consensus/util.h"
#include "proto/pbwire.h"
#include "proto/region.pb-c.h"

#define XP_POLL_MS	 2    /* polling a connection with too much queued */
#define XP_ADDS_MAX	 4096 /* adds per PathUpdate of a snapshot or sync */
#define XP_ATTRS_CACHE	 256  /* packed attribute sets, direct-mapped */
#define XP_RING_RECS_MAX (1u << 20)
#define XP_ID_MAX	 MODEL_ID_MAX

/* Field tags of proto/region.proto and proto/command.proto (field << 3 |
 * wire type), for the messages packed here by hand. */
enum {
	T_RESP_REGION = 0x0a,
	T_RESP_DIGEST = 0x10,
	T_RESP_APPLIED = 0x18,
	T_RESP_SNAPSHOT = 0x22,
	T_RESP_DELTA = 0x2a,
	T_SNAP_INDEX = 0x08,
	T_SNAP_PATHS = 0x12,
	T_SNAP_HEALTH = 0x1a,
	T_SNAP_MORE = 0x20,
	T_DELTA_INDEX = 0x08,
	T_DELTA_CHANGE = 0x12,
	T_DELTA_MORE = 0x18,
	T_CHANGE_SYNC = 0x22,
	T_SYNC_ATT = 0x0a,
	T_SYNC_PEER = 0x12,
	T_SYNC_PATHS = 0x1a,
	T_PU_ATT = 0x0a,
	T_PU_PEER = 0x12,
	T_PU_ADD = 0x22,
	T_ADD_PREFIX = 0x0a,
	T_ADD_ATTRS = 0x12,
	T_HEALTH_ATT = 0x0a,
	T_HEALTH_UP = 0x10,
};

/* A growing buffer of protobuf wire bytes. */
struct wbuf {
	uint8_t *p;
	size_t len, cap;
};

/* The changes of one applied entry, as RegionDelta.changes fields. */
struct xrec {
	uint32_t refs;
	uint64_t index;
	size_t n;
	size_t *off; /* n + 1: change k is buf[off[k] .. off[k + 1]) */
	uint8_t *buf;
	size_t len;
};

/* A change noted while an entry is applied. */
struct xitem {
	bool sync;
	char att[XP_ID_MAX];
	struct prefix peer; /* sync: family NONE = every peer */
	uint8_t *bytes;	    /* not sync: a packed RegionChange */
	size_t len;
};

/* A snapshot at an index, as finished response messages. */
struct xsnap {
	uint32_t refs;
	uint64_t index, gen;
	struct wbuf *chunks;
	size_t n;
	size_t paths;
};

struct xsub {
	struct xsub *next;
	struct regionexp *x;
	struct rpc_call *call;
	char subscriber[XP_ID_MAX];
	uint64_t sent; /* the last index sent in full */
	bool waiting;
	uint64_t wait_for, wait_until;
	bool need_snapshot;
	struct xsnap *snap;
	size_t snap_next;
	struct xrec *rec; /* being sent in chunks */
	size_t rec_next;
	uint64_t snapshots;
	uint64_t last_send;
};

struct attrs_slot {
	const struct attrs *a;
	uint8_t *bytes;
	size_t len;
};

struct regionexp {
	uv_loop_t *loop;
	struct node *node;
	struct engine *engine; /* as last seen */
	struct regionexp_config cfg;
	char region[XP_ID_MAX];
	struct node_listener listener;
	uv_timer_t timer;
	struct rpc_method methods[2];
	uint64_t applied;
	uint64_t gen; /* bumped when the engine is replaced */
	uint64_t digest;
	bool digest_dirty;
	bool model_changed;	 /* in the entry being applied */
	char (*atts)[XP_ID_MAX]; /* the region's BGP attachments */
	size_t natts;
	struct xitem *cur; /* the entry being applied */
	size_t ncur, capcur;
	struct xrec **ring;
	size_t ring_cap, ring_head, ring_n;
	size_t hist_changes, hist_bytes;
	uint64_t hist_from; /* every change after it is in the ring */
	struct xsnap *snap_cache;
	struct xsub *subs;
	size_t nsubs;
	uint64_t last_sub; /* uv_now when a subscriber was last there */
	struct attrs_slot acache[XP_ATTRS_CACHE];
	bool fast;
	bool stopping;
};

static void xp_log(struct regionexp *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
xp_log(struct regionexp *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	util_vlog(node_config(x->node)->id, "region export", fmt, ap);
	va_end(ap);
}

static void *
xalloc(size_t n)
{
	return util_zalloc("regionexp", n);
}

/* ---- wire bytes ------------------------------------------------------ */

static void
wb_reserve(struct wbuf *b, size_t more)
{
	size_t need = b->len + more;

	if (need <= b->cap)
		return;
	b->cap = b->cap * 2 > need ? b->cap * 2 : need + 256;
	b->p = util_realloc("regionexp", b->p, b->cap);
}

static void
wb_varint(struct wbuf *b, uint64_t v)
{
	wb_reserve(b, 10);
	b->len = (size_t)(pbwire_vput(b->p + b->len, v) - b->p);
}

static void
wb_raw(struct wbuf *b, const void *p, size_t n)
{
	wb_reserve(b, n);
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* A length-delimited field: bytes, a string, a nested message. */
static void
wb_bytes(struct wbuf *b, uint8_t tag, const void *p, size_t n)
{
	wb_varint(b, tag);
	wb_varint(b, n);
	wb_raw(b, p, n);
}

/* A varint field, left out when 0 (proto3). */
static void
wb_u64(struct wbuf *b, uint8_t tag, uint64_t v)
{
	if (v == 0)
		return;
	wb_varint(b, tag);
	wb_varint(b, v);
}

static void
wb_free(struct wbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* The packed attribute set (a PathAttrs), cached for the walk under way:
 * the engine does not change during it, so the sets stay alive. */
static const struct attrs_slot *
attrs_packed(struct regionexp *x, const struct attrs *a)
{
	struct attrs_slot *s =
		&x->acache[(a->hash ^ (a->hash >> 17)) % XP_ATTRS_CACHE];

	if (s->a == a)
		return s;
	free(s->bytes);
	s->a = a;
	if (store_attrs_pack(a, &s->bytes, &s->len) != 0) {
		fprintf(stderr, "regionexp: out of memory\n");
		abort();
	}
	return s;
}

static void
attrs_cache_clear(struct regionexp *x)
{
	for (size_t i = 0; i < XP_ATTRS_CACHE; i++) {
		free(x->acache[i].bytes);
		x->acache[i].bytes = NULL;
		x->acache[i].a = NULL;
	}
}

/* ---- the region's attachments ---------------------------------------- */

static bool
bgp_type(uint8_t t)
{
	return t == MODEL_ATT_VBR || t == MODEL_ATT_VPN || t == MODEL_ATT_CCN;
}

/* An attachment of this region (paths: one that takes BGP paths). */
static bool
own_att(struct regionexp *x, const char *id, bool paths)
{
	const struct model_attachment *a;

	if (id == NULL || id[0] == '\0')
		return false;
	a = model_find_attachment(engine_model(node_engine(x->node)), id);
	return a != NULL && strcmp(a->region, x->region) == 0 &&
	       (!paths || bgp_type(a->type));
}

static void
atts_refresh(struct regionexp *x, char (**out)[XP_ID_MAX], size_t *n)
{
	const struct model *m = engine_model(node_engine(x->node));

	*out = xalloc((m->nattachments + 1) * sizeof(**out));
	*n = 0;
	for (size_t i = 0; i < m->nattachments; i++)
		if (strcmp(m->attachments[i].region, x->region) == 0 &&
		    bgp_type(m->attachments[i].type))
			snprintf((*out)[(*n)++], XP_ID_MAX, "%s",
				 m->attachments[i].id);
}

/* ---- paths of a scope, packed as PathUpdates ------------------------ */

struct xpath {
	struct prefix peer;
	struct prefix prefix;
	const struct attrs *attrs;
	size_t seq;
};

struct xcollect {
	struct xpath *v;
	size_t n, cap;
};

static int
collect_cb(const struct engine_path_in *p, void *arg)
{
	struct xcollect *c = arg;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->v = realloc(c->v, c->cap * sizeof(*c->v));
		if (c->v == NULL)
			abort();
	}
	c->v[c->n].peer = p->peer;
	c->v[c->n].prefix = p->prefix;
	c->v[c->n].attrs = p->attrs;
	c->v[c->n].seq = c->n;
	c->n++;
	return 0;
}

static int
cmp_xpath(const void *pa, const void *pb)
{
	const struct xpath *a = pa, *b = pb;

	if (a->peer.family != b->peer.family)
		return a->peer.family < b->peer.family ? -1 : 1;
	if (a->peer.family != PREFIX_AF_NONE) {
		int c = prefix_cmp(&a->peer, &b->peer);

		if (c != 0)
			return c;
	}
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Every BGP path of att (peer NULL: of every peer), grouped by peer. */
static void
collect(struct regionexp *x, const char *att, const struct prefix *peer,
	struct xcollect *c)
{
	memset(c, 0, sizeof(*c));
	engine_att_paths(node_engine(x->node), att, peer, collect_cb, c);
	if (c->n > 1)
		qsort(c->v, c->n, sizeof(*c->v), cmp_xpath);
}

/* Writes PathUpdates (attachment att, node 0, adds) of c->v[*i ..] into
 * out, one field `tag` each, while out stays under max bytes (at least one
 * PathUpdate); advances *i. */
static void
pack_updates(struct regionexp *x, const char *att, const struct xcollect *c,
	     size_t *i, uint8_t tag, struct wbuf *out, size_t max)
{
	struct wbuf pu = { 0 }, add = { 0 };
	uint8_t pb[18];
	size_t alen = strlen(att);

	while (*i < c->n && (out->len < max || pu.len == 0)) {
		const struct prefix *peer = &c->v[*i].peer;
		size_t nadds = 0;

		pu.len = 0;
		wb_bytes(&pu, T_PU_ATT, att, alen);
		if (peer->family != PREFIX_AF_NONE)
			wb_bytes(&pu, T_PU_PEER, pb,
				 store_prefix_pack(peer, pb));
		for (; *i < c->n && nadds < XP_ADDS_MAX &&
		       (nadds == 0 || out->len + pu.len < max + 64);
		     (*i)++, nadds++) {
			const struct xpath *p = &c->v[*i];
			const struct attrs_slot *s;

			if (p->peer.family != peer->family ||
			    (peer->family != PREFIX_AF_NONE &&
			     prefix_cmp(&p->peer, peer) != 0))
				break;
			s = attrs_packed(x, p->attrs);
			add.len = 0;
			wb_bytes(&add, T_ADD_PREFIX, pb,
				 store_prefix_pack(&p->prefix, pb));
			wb_bytes(&add, T_ADD_ATTRS, s->bytes, s->len);
			wb_bytes(&pu, T_PU_ADD, add.p, add.len);
		}
		wb_bytes(out, tag, pu.p, pu.len);
	}
	wb_free(&pu);
	wb_free(&add);
}

/* ---- records and the ring -------------------------------------------- */

static void
rec_unref(struct xrec *r)
{
	if (r == NULL)
		return;
	if (r->refs == 0) {
		fprintf(stderr, "rec_unref: reference count below zero\n");
		abort();
	}
	if (--r->refs > 0)
		return;
	free(r->off);
	free(r->buf);
	free(r);
}

static void
ring_pop(struct regionexp *x)
{
	struct xrec *r = x->ring[x->ring_head];

	x->hist_from = r->index;
	x->hist_changes -= r->n;
	x->hist_bytes -= r->len;
	x->ring_head = (x->ring_head + 1) % x->ring_cap;
	x->ring_n--;
	rec_unref(r);
}

static void
ring_clear(struct regionexp *x, uint64_t from)
{
	while (x->ring_n > 0)
		ring_pop(x);
	x->hist_from = from;
}

static void
ring_push(struct regionexp *x, struct xrec *r)
{
	if (x->ring_n == x->ring_cap) {
		size_t cap = x->ring_cap ? x->ring_cap * 2 : 64;
		struct xrec **ring = xalloc(cap * sizeof(*ring));

		for (size_t i = 0; i < x->ring_n; i++)
			ring[i] = x->ring[(x->ring_head + i) % x->ring_cap];
		free(x->ring);
		x->ring = ring;
		x->ring_cap = cap;
		x->ring_head = 0;
	}
	x->ring[(x->ring_head + x->ring_n) % x->ring_cap] = r;
	x->ring_n++;
	x->hist_changes += r->n;
	x->hist_bytes += r->len;
	while (x->ring_n > 1 && (x->hist_changes > x->cfg.history_entries ||
				 x->hist_bytes > x->cfg.history_bytes ||
				 x->ring_n > XP_RING_RECS_MAX))
		ring_pop(x);
}

/* The first record after index, or NULL. */
static struct xrec *
ring_after(struct regionexp *x, uint64_t index)
{
	size_t lo = 0, hi = x->ring_n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (x->ring[(x->ring_head + mid) % x->ring_cap]->index <= index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < x->ring_n ? x->ring[(x->ring_head + lo) % x->ring_cap]
			      : NULL;
}

/* ---- following the node -------------------------------------------- */

/* Keeps the history while a subscriber is (or was lately) there. */
static bool
recording(struct regionexp *x)
{
	return x->nsubs > 0 ||
	       (x->last_sub != 0 &&
		uv_now(x->loop) - x->last_sub < x->cfg.history_idle_ms);
}

static void
cur_clear(struct regionexp *x)
{
	for (size_t i = 0; i < x->ncur; i++)
		free(x->cur[i].bytes);
	x->ncur = 0;
}

static struct xitem *
cur_add(struct regionexp *x)
{
	struct xitem *it;

	if (x->ncur == x->capcur) {
		x->capcur = x->capcur ? x->capcur * 2 : 16;
		x->cur = realloc(x->cur, x->capcur * sizeof(*x->cur));
		if (x->cur == NULL)
			abort();
	}
	it = &x->cur[x->ncur++];
	memset(it, 0, sizeof(*it));
	return it;
}

static void
note_sync(struct regionexp *x, const char *att, const struct prefix *peer)
{
	struct xitem *it = cur_add(x);

	it->sync = true;
	snprintf(it->att, sizeof(it->att), "%s", att);
	if (peer != NULL)
		it->peer = *peer;
}

static void
note_change(struct regionexp *x, const Cend__V1__RegionChange *ch)
{
	struct xitem *it = cur_add(x);

	it->len = cend__v1__region_change__get_packed_size(ch);
	it->bytes = xalloc(it->len);
	cend__v1__region_change__pack(ch, it->bytes);
}

static void
on_command(uint64_t index, const Cend__V1__Command *c, int rc, void *arg)
{
	struct regionexp *x = arg;
	Cend__V1__RegionChange ch = CEND__V1__REGION_CHANGE__INIT;
	struct prefix peer = { 0 };

	if (x->stopping)
		return;
	switch (c->cmd_case) {
	case CEND__V1__COMMAND__CMD_APPLY_YAML:
	case CEND__V1__COMMAND__CMD_MERGE_YAML:
	case CEND__V1__COMMAND__CMD_DELETE:
		if (rc == 0)
			x->model_changed = x->digest_dirty = true;
		return;
	case CEND__V1__COMMAND__CMD_PATHS: {
		Cend__V1__PathUpdate u;

		if (!recording(x) || !own_att(x, c->paths->attachment, true))
			return;
		if (rc != 0) {
			/* refused part-way: send what it left */
			if (c->paths->peer.len > 0)
				store_prefix_unpack(c->paths->peer.data,
						    c->paths->peer.len, &peer,
						    NULL);
			note_sync(x, c->paths->attachment, &peer);
			return;
		}
		u = *c->paths;
		u.node = 0;
		ch.change_case = CEND__V1__REGION_CHANGE__CHANGE_PATHS;
		ch.paths = &u;
		note_change(x, &ch);
		return;
	}
	case CEND__V1__COMMAND__CMD_HEALTH:
		if (rc != 0 || !recording(x) ||
		    !own_att(x, c->health->attachment, false))
			return;
		ch.change_case = CEND__V1__REGION_CHANGE__CHANGE_HEALTH;
		ch.health = c->health;
		note_change(x, &ch);
		return;
	case CEND__V1__COMMAND__CMD_FLUSH:
		if (rc != 0 || !recording(x) ||
		    !own_att(x, c->flush->attachment, true))
			return;
		if (c->flush->node == 0) {
			ch.change_case = CEND__V1__REGION_CHANGE__CHANGE_FLUSH;
			ch.flush = c->flush;
			note_change(x, &ch);
			return;
		}
		/* only what one node's session announced went: the paths
		 * other nodes announced stay, and the other regions have
		 * them all under node 0 */
		if (c->flush->peer.len > 0)
			store_prefix_unpack(c->flush->peer.data,
					    c->flush->peer.len, &peer, NULL);
		note_sync(x, c->flush->attachment, &peer);
		return;
	default:
		return;
	}
}

/* Appends the change bytes of one RegionChange as a changes field. */
static void
rec_put(struct xrec *r, struct wbuf *b, const uint8_t *change, size_t len,
	size_t *cap)
{
	if (r->n + 2 > *cap) {
		*cap = *cap ? *cap * 2 : 16;
		r->off = realloc(r->off, *cap * sizeof(*r->off));
		if (r->off == NULL)
			abort();
	}
	r->off[r->n++] = b->len;
	wb_bytes(b, T_DELTA_CHANGE, change, len);
}

/* The syncs of one scope: RegionChange{sync} items of at most about
 * chunk_bytes / 2 each (at least one, empty when nothing is left). */
static void
rec_put_sync(struct regionexp *x, struct xrec *r, struct wbuf *b,
	     const struct xitem *it, size_t *cap)
{
	struct xcollect c;
	struct wbuf sync = { 0 }, ch = { 0 };
	uint8_t pb[18];
	size_t i = 0, max = x->cfg.chunk_bytes / 2;

	collect(x, it->att,
		it->peer.family != PREFIX_AF_NONE ? &it->peer : NULL, &c);
	do {
		sync.len = 0;
		wb_bytes(&sync, T_SYNC_ATT, it->att, strlen(it->att));
		if (it->peer.family != PREFIX_AF_NONE)
			wb_bytes(&sync, T_SYNC_PEER, pb,
				 store_prefix_pack(&it->peer, pb));
		pack_updates(x, it->att, &c, &i, T_SYNC_PATHS, &sync, max);
		ch.len = 0;
		wb_bytes(&ch, T_CHANGE_SYNC, sync.p, sync.len);
		rec_put(r, b, ch.p, ch.len, cap);
	} while (i < c.n);
	free(c.v);
	wb_free(&sync);
	wb_free(&ch);
	attrs_cache_clear(x);
}

/* The attachments deleted (or moved away) by a model change: their paths
 * went with them here, so they go from the other regions too. */
static void
note_removed(struct regionexp *x)
{
	char(*now)[XP_ID_MAX];
	size_t n;

	atts_refresh(x, &now, &n);
	for (size_t i = 0; i < x->natts; i++) {
		bool kept = false;

		for (size_t k = 0; k < n && !kept; k++)
			kept = strcmp(x->atts[i], now[k]) == 0;
		if (!kept)
			note_sync(x, x->atts[i], NULL);
	}
	free(x->atts);
	x->atts = now;
	x->natts = n;
}

static void sub_need_snapshot(struct xsub *s);
static int sub_pump(struct xsub *s, bool tick);

/* The engine was replaced (a Raft snapshot was installed): the history no
 * longer leads to the state, so every subscriber gets a new snapshot. */
static bool
check_engine(struct regionexp *x)
{
	struct engine *e = node_engine(x->node);
	struct node_status st;

	if (e == x->engine)
		return false;
	node_get_status(x->node, &st);
	xp_log(x,
	       "state replaced (snapshot installed) at %llu: %zu "
	       "subscriber(s) get a new snapshot",
	       (unsigned long long)st.applied_index, x->nsubs);
	x->engine = e;
	x->gen++;
	x->digest_dirty = true;
	x->applied = st.applied_index;
	cur_clear(x);
	ring_clear(x, x->applied);
	free(x->atts);
	atts_refresh(x, &x->atts, &x->natts);
	for (struct xsub *s = x->subs; s != NULL; s = s->next)
		sub_need_snapshot(s);
	return true;
}

static void
on_applied(uint64_t index, void *arg)
{
	struct regionexp *x = arg;
	struct xrec *r;
	struct wbuf b = { 0 };
	size_t cap = 0;
	struct xsub *s, *next;

	if (x->stopping)
		return;
	if (check_engine(x))
		goto pump;
	if (x->model_changed) {
		x->model_changed = false;
		note_removed(x);
	}
	if (index <= x->applied) {
		cur_clear(x); /* replayed: cannot happen */
		return;
	}
	x->applied = index;
	if (!recording(x)) {
		cur_clear(x);
		ring_clear(x, index);
		goto pump;
	}
	if (x->ncur == 0)
		goto pump;
	r = xalloc(sizeof(*r));
	r->refs = 1;
	r->index = index;
	for (size_t i = 0; i < x->ncur; i++) {
		if (x->cur[i].sync)
			rec_put_sync(x, r, &b, &x->cur[i], &cap);
		else
			rec_put(r, &b, x->cur[i].bytes, x->cur[i].len, &cap);
	}
	cur_clear(x);
	if (r->off == NULL)
		r->off = xalloc(sizeof(*r->off));
	r->off[r->n] = b.len;
	r->buf = b.p;
	r->len = b.len;
	ring_push(x, r);
pump:
	for (s = x->subs; s != NULL; s = next) {
		next = s->next;
		sub_pump(s, false);
	}
}

/* ---- messages ------------------------------------------------------ */

static uint64_t
digest(struct regionexp *x)
{
	if (x->digest_dirty) {
		x->digest = engine_model_hash(node_engine(x->node));
		x->digest_dirty = false;
	}
	return x->digest;
}

/* A SubscribePathsResponse around a snapshot or delta body. */
static void
wrap(struct regionexp *x, uint8_t tag, const struct wbuf *body,
     struct wbuf *out)
{
	out->len = 0;
	wb_bytes(out, T_RESP_REGION, x->region, strlen(x->region));
	wb_u64(out, T_RESP_DIGEST, digest(x));
	wb_u64(out, T_RESP_APPLIED, x->applied);
	wb_bytes(out, tag, body->p, body->len);
}

static void
snap_unref(struct xsnap *sn)
{
	if (sn == NULL || --sn->refs > 0)
		return;
	for (size_t i = 0; i < sn->n; i++)
		wb_free(&sn->chunks[i]);
	free(sn->chunks);
	free(sn);
}

/* Finishes the chunk being built in body (more: others follow). */
static void
snap_chunk(struct regionexp *x, struct xsnap *sn, struct wbuf *body, bool more)
{
	if (more) {
		wb_varint(body, T_SNAP_MORE);
		wb_varint(body, 1);
	}
	sn->chunks = realloc(sn->chunks, (sn->n + 1) * sizeof(*sn->chunks));
	if (sn->chunks == NULL)
		abort();
	memset(&sn->chunks[sn->n], 0, sizeof(sn->chunks[0]));
	wrap(x, T_RESP_SNAPSHOT, body, &sn->chunks[sn->n]);
	sn->n++;
	body->len = 0;
	wb_u64(body, T_SNAP_INDEX, sn->index);
}

/* The snapshot at the applied index: every path of the region's BGP
 * attachments, then every attachment's health.  Built in one call. */
static struct xsnap *
snap_build(struct regionexp *x)
{
	const struct model *m = engine_model(node_engine(x->node));
	struct xsnap *sn = xalloc(sizeof(*sn));
	struct wbuf body = { 0 }, hu = { 0 };
	uint64_t t0 = uv_hrtime();

	sn->refs = 1;
	sn->index = x->applied;
	sn->gen = x->gen;
	wb_u64(&body, T_SNAP_INDEX, sn->index);
	for (size_t k = 0; k < m->nattachments; k++) {
		const struct model_attachment *a = &m->attachments[k];
		struct xcollect c;
		size_t i = 0;

		if (strcmp(a->region, x->region) != 0 || !bgp_type(a->type))
			continue;
		collect(x, a->id, NULL, &c);
		sn->paths += c.n;
		while (i < c.n) {
			pack_updates(x, a->id, &c, &i, T_SNAP_PATHS, &body,
				     x->cfg.chunk_bytes);
			if (body.len >= x->cfg.chunk_bytes)
				snap_chunk(x, sn, &body, true);
		}
		free(c.v);
	}
	attrs_cache_clear(x);
	for (size_t k = 0; k < m->nattachments; k++) {
		const struct model_attachment *a = &m->attachments[k];
		bool up = true;

		if (strcmp(a->region, x->region) != 0)
			continue;
		engine_health(node_engine(x->node), a->id, &up);
		hu.len = 0;
		wb_bytes(&hu, T_HEALTH_ATT, a->id, strlen(a->id));
		wb_u64(&hu, T_HEALTH_UP, up);
		wb_bytes(&body, T_SNAP_HEALTH, hu.p, hu.len);
	}
	snap_chunk(x, sn, &body, false);
	wb_free(&body);
	wb_free(&hu);
	xp_log(x, "snapshot at %llu: %zu paths in %zu message(s), %llu ms",
	       (unsigned long long)sn->index, sn->paths, sn->n,
	       (unsigned long long)((uv_hrtime() - t0) / 1000000));
	return sn;
}

/* The snapshot at the applied index, shared with the subscribers that
 * want the same (a reference for the caller). */
static struct xsnap *
snap_get(struct regionexp *x)
{
	struct xsnap *sn = x->snap_cache;

	if (sn == NULL || sn->index != x->applied || sn->gen != x->gen) {
		snap_unref(sn);
		sn = x->snap_cache = snap_build(x);
	}
	sn->refs++;
	return sn;
}

/* ---- subscribers --------------------------------------------------- */

static void
sub_drop_out(struct xsub *s)
{
	snap_unref(s->snap);
	s->snap = NULL;
	rec_unref(s->rec);
	s->rec = NULL;
}

static void
sub_need_snapshot(struct xsub *s)
{
	sub_drop_out(s);
	s->waiting = false;
	s->need_snapshot = true;
}

/* Finishes the call and frees s (unlinked first). */
static void
sub_finish(struct xsub *s, rpc_status st, const char *msg)
{
	struct regionexp *x = s->x;

	for (struct xsub **pp = &x->subs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			x->nsubs--;
			break;
		}
	}
	x->last_sub = uv_now(x->loop);
	rpc_stream_end(s->call, st, msg);
	sub_drop_out(s);
	free(s);
}

static void
sub_gone(struct rpc_call *call, void *arg)
{
	struct xsub *s = arg;

	xp_log(s->x, "subscriber %s gone at %llu", s->subscriber,
	       (unsigned long long)s->sent);
	sub_finish(s, RPC_CANCELLED, "subscriber gone");
}

/* Sends one message; on failure s is finished and -1 returned. */
static int
sub_send(struct xsub *s, const uint8_t *buf, size_t len)
{
	int rc = rpc_stream_send(s->call, buf, len);

	if (rc == 0) {
		s->last_send = uv_now(s->x->loop);
		return 0;
	}
	xp_log(s->x, "subscriber %s: send failed: %s", s->subscriber,
	       cen_strerror(rc));
	sub_finish(s, rc == -CEN_EIO ? RPC_CANCELLED : RPC_INTERNAL,
		   rc == -CEN_EIO ? "connection lost"
				  : "a message over the frame limit");
	return -1;
}

/* A delta with no changes: the index moves on, or a keepalive. */
static int
sub_send_empty(struct xsub *s, uint64_t index)
{
	struct wbuf body = { 0 }, msg = { 0 };
	int rc;

	wb_u64(&body, T_DELTA_INDEX, index);
	wrap(s->x, T_RESP_DELTA, &body, &msg);
	rc = sub_send(s, msg.p, msg.len);
	wb_free(&body);
	wb_free(&msg);
	return rc;
}

/* The next chunk of the record being sent. */
static int
sub_send_rec(struct xsub *s)
{
	struct regionexp *x = s->x;
	struct xrec *r = s->rec;
	struct wbuf body = { 0 }, msg = { 0 };
	size_t k = s->rec_next;
	bool more;
	int rc;

	wb_u64(&body, T_DELTA_INDEX, r->index);
	while (k < r->n &&
	       (k == s->rec_next ||
		body.len + (r->off[k + 1] - r->off[k]) <= x->cfg.chunk_bytes)) {
		wb_raw(&body, r->buf + r->off[k], r->off[k + 1] - r->off[k]);
		k++;
	}
	more = k < r->n;
	if (more) {
		wb_varint(&body, T_DELTA_MORE);
		wb_varint(&body, 1);
	}
	wrap(x, T_RESP_DELTA, &body, &msg);
	s->rec_next = k;
	rc = sub_send(s, msg.p, msg.len);
	wb_free(&body);
	wb_free(&msg);
	if (rc == 0 && !more) {
		s->sent = r->index;
		rec_unref(r);
		s->rec = NULL;
	}
	return rc;
}

static void on_tick(uv_timer_t *t);

static void
poll_fast(struct regionexp *x)
{
	if (x->fast || x->stopping)
		return;
	x->fast = true;
	uv_timer_start(&x->timer, on_tick, XP_POLL_MS, 0);
}

/* Sends what the connection takes; tick also moves the index on and keeps
 * a quiet stream alive.  0, or -1 when s was finished. */
static int
sub_pump(struct xsub *s, bool tick)
{
	struct regionexp *x = s->x;

	for (;;) {
		if (s->waiting)
			return 0;
		if (rpc_call_gone(s->call))
			return 0; /* sub_gone comes */
		if (rpc_call_queued(s->call) >= x->cfg.queue_max) {
			poll_fast(x);
			return 0;
		}
		if (s->need_snapshot) {
			s->need_snapshot = false;
			s->snap = snap_get(x);
			s->snap_next = 0;
			continue;
		}
		if (s->snap != NULL) {
			struct xsnap *sn = s->snap;
			struct wbuf *c = &sn->chunks[s->snap_next++];

			if (sub_send(s, c->p, c->len) != 0)
				return -1;
			if (s->snap_next == sn->n) {
				s->sent = sn->index;
				s->snapshots++;
				s->snap = NULL;
				snap_unref(sn);
			}
			continue;
		}
		if (s->rec != NULL) {
			if (sub_send_rec(s) != 0)
				return -1;
			continue;
		}
		if (s->sent < x->hist_from) {
			xp_log(x,
			       "subscriber %s: index %llu is older than the "
			       "history (from %llu): a new snapshot",
			       s->subscriber, (unsigned long long)s->sent,
			       (unsigned long long)x->hist_from);
			sub_need_snapshot(s);
			continue;
		}
		if ((s->rec = ring_after(x, s->sent)) != NULL) {
			s->rec->refs++;
			s->rec_next = 0;
			continue;
		}
		if (tick && s->sent < x->applied) {
			if (sub_send_empty(s, x->applied) != 0)
				return -1;
			s->sent = x->applied;
			continue;
		}
		if (tick &&
		    uv_now(x->loop) - s->last_send >= x->cfg.keepalive_ms &&
		    sub_send_empty(s, s->sent) != 0)
			return -1;
		return 0;
	}
}

/* Resumes s after index: the records since, or a snapshot when the
 * history no longer has them.  0, or -1 when s was finished. */
static int
sub_resume(struct xsub *s, uint64_t index)
{
	struct regionexp *x = s->x;

	s->waiting = false;
	if (index < x->hist_from || index > x->applied) {
		sub_need_snapshot(s);
		return sub_pump(s, false);
	}
	s->sent = index;
	/* at once: the subscriber learns its index was taken */
	if (sub_send_empty(s, index) != 0)
		return -1;
	return sub_pump(s, false);
}

static void
on_tick(uv_timer_t *t)
{
	struct regionexp *x = t->data;
	uint64_t now = uv_now(x->loop);
	struct xsub *s, *next;

	x->fast = false;
	check_engine(x);
	for (s = x->subs; s != NULL; s = next) {
		next = s->next;
		x->last_sub = now;
		if (s->waiting) {
			if (x->applied >= s->wait_for) {
				sub_resume(s, s->wait_for);
				continue; /* (s may be gone) */
			}
			if (now >= s->wait_until) {
				xp_log(x,
				       "subscriber %s: index %llu not applied "
				       "here after %u ms; a snapshot at %llu",
				       s->subscriber,
				       (unsigned long long)s->wait_for,
				       x->cfg.resume_wait_ms,
				       (unsigned long long)x->applied);
				sub_need_snapshot(s);
			}
		}
		sub_pump(s, true);
	}
	if (!x->fast)
		uv_timer_start(&x->timer, on_tick, x->cfg.tick_ms, 0);
}

/* ---- the handler ------------------------------------------------------ */

static void
h_subscribe(struct rpc_call *call, const uint8_t *payload, size_t len,
	    void *arg)
{
	struct regionexp *x = arg;
	Cend__V1__SubscribePathsRequest *req;
	struct xsub *s;
	const char *how;
	uint64_t resume;

	req = cend__v1__subscribe_paths_request__unpack(NULL, len, payload);
	if (req == NULL) {
		rpc_stream_end(call, RPC_INVALID_ARGUMENT,
			       "request does not decode as "
			       "SubscribePathsRequest");
		return;
	}
	if (req->region[0] != '\0' && strcmp(req->region, x->region) != 0) {
		char msg[256];

		snprintf(msg, sizeof(msg),
			 "this node serves region %s, not %.63s: check the "
			 "endpoints given for %.63s",
			 x->region, req->region, req->region);
		rpc_stream_end(call, RPC_FAILED_PRECONDITION, msg);
		cend__v1__subscribe_paths_request__free_unpacked(req, NULL);
		return;
	}
	check_engine(x);
	s = xalloc(sizeof(*s));
	s->x = x;
	s->call = call;
	util_copy_id(s->subscriber, sizeof(s->subscriber), req->subscriber);
	if (s->subscriber[0] == '\0')
		snprintf(s->subscriber, sizeof(s->subscriber), "-");
	s->last_send = uv_now(x->loop);
	resume = req->resume_index;
	cend__v1__subscribe_paths_request__free_unpacked(req, NULL);
	s->next = x->subs;
	x->subs = s;
	x->nsubs++;
	x->last_sub = uv_now(x->loop);
	rpc_call_on_gone(call, sub_gone, s);
	if (resume == 0) {
		s->need_snapshot = true;
		how = "snapshot";
	} else if (resume > x->applied) {
		s->waiting = true;
		s->wait_for = resume;
		s->wait_until = uv_now(x->loop) + x->cfg.resume_wait_ms;
		how = "waiting for its index";
	} else if (resume >= x->hist_from) {
		how = "resume";
	} else {
		s->need_snapshot = true;
		how = "snapshot (index older than the history)";
	}
	xp_log(x,
	       "subscriber %s from index %llu at %llu (history from %llu): %s",
	       s->subscriber, (unsigned long long)resume,
	       (unsigned long long)x->applied, (unsigned long long)x->hist_from,
	       how);
	if (!s->waiting && !s->need_snapshot) {
		sub_resume(s, resume);
		return;
	}
	sub_pump(s, false);
}

/* ---- setup --------------------------------------------------------- */

static void
config_defaults(struct regionexp_config *c)
{
	if (c->history_entries == 0)
		c->history_entries = 1u << 20;
	if (c->history_bytes == 0)
		c->history_bytes = 64u << 20;
	if (c->history_idle_ms == 0)
		c->history_idle_ms = 60000;
	if (c->queue_max == 0)
		c->queue_max = 4u << 20;
	if (c->chunk_bytes == 0)
		c->chunk_bytes = 1u << 20;
	if (c->chunk_bytes > RPC_FRAME_MAX_DEFAULT / 4)
		c->chunk_bytes = RPC_FRAME_MAX_DEFAULT / 4;
	if (c->tick_ms == 0)
		c->tick_ms = 100;
	if (c->keepalive_ms == 0)
		c->keepalive_ms = 1000;
	if (c->resume_wait_ms == 0)
		c->resume_wait_ms = 5000;
}

int
regionexp_new(uv_loop_t *loop, struct node *n,
	      const struct regionexp_config *cfg, struct regionexp **out,
	      struct cen_err *err)
{
	struct regionexp *x = calloc(1, sizeof(*x));
	struct node_status st;

	if (x == NULL)
		return cen_errf(err, -CEN_ENOMEM, "out of memory");
	x->loop = loop;
	x->node = n;
	if (cfg != NULL)
		x->cfg = *cfg;
	config_defaults(&x->cfg);
	snprintf(x->region, sizeof(x->region), "%s", node_config(n)->region);
	x->engine = node_engine(n);
	x->digest_dirty = true;
	node_get_status(n, &st);
	x->applied = x->hist_from = st.applied_index;
	atts_refresh(x, &x->atts, &x->natts);
	x->methods[0].name = REGIONX_METHOD_SUBSCRIBE;
	x->methods[0].fn = h_subscribe;
	x->methods[0].arg = x;
	x->listener.command = on_command;
	x->listener.applied = on_applied;
	x->listener.arg = x;
	node_listen(n, &x->listener);
	uv_timer_init(loop, &x->timer);
	x->timer.data = x;
	uv_timer_start(&x->timer, on_tick, x->cfg.tick_ms, 0);
	*out = x;
	return 0;
}

const struct rpc_method *
regionexp_methods(struct regionexp *x)
{
	return x->methods;
}

static void
timer_closed(uv_handle_t *h)
{
	free(h->data);
}

void
regionexp_stop(struct regionexp *x)
{
	x->stopping = true;
	while (x->subs != NULL)
		sub_finish(x->subs, RPC_UNAVAILABLE,
			   "node stopping: subscribe to another node");
	node_unlisten(x->node, &x->listener);
	cur_clear(x);
	free(x->cur);
	ring_clear(x, 0);
	free(x->ring);
	snap_unref(x->snap_cache);
	attrs_cache_clear(x);
	free(x->atts);
	uv_timer_stop(&x->timer);
	uv_close((uv_handle_t *)&x->timer, timer_closed);
}
