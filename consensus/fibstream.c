/*
 * fibstream.c - the FIB stream of a cend node (fibstream.h,
 * proto/fib.proto): snapshot at the applied index, then ordered deltas;
 * resume from a bounded history; coalescing for slow subscribers.
 *
 * Items.  Every FIB change the engine reports is turned at once into an
 * immutable, reference-counted item: its key (region, table, view, prefix)
 * and the FibEntry packed as it goes on the wire.  The changes of one
 * applied entry are coalesced by key into a record (version = the entry's
 * index) kept in the history ring; the subscribers' outgoing lists and
 * coalesced sets hold references to the same items, so a change is packed
 * once however many subscribers it goes to, and messages are the items'
 * bytes laid end to end (protobuf's repeated field is just that).
 *
 * A subscriber is in one of these states, checked in this order by pump():
 *   need_snapshot  a snapshot is owed: built (or shared) when its
 *                  connection has drained, at the applied index;
 *   snap           snapshot chunks being sent;
 *   out            a delta (items of one version) being sent in chunks;
 *   pending        what changed since, coalesced, sent as the next delta;
 *   waiting        it resumed from a version this node has not applied yet.
 * Sending stops whenever the connection has queue_max bytes waiting; the
 * timer and every applied entry pump again.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/fibstream.h"
#include "consensus/util.h"
#include "core/hmap.h"
#include "core/model.h"
#include "proto/admin.pb-c.h"
#include "proto/fibmsg.h"
#include "proto/pbwire.h"

#define FS_HEAD	   16 /* room before a message body for its outer header */
#define FS_TAIL	   2  /* room after it for `more` */
#define FS_POLL_MS 2  /* polling a connection that has too much queued */

/* Items up to 256 bytes come from one slab per 16-byte size class: a full
 * table's changes go through the history, each one allocated as an older
 * one is freed (often of another size: an announcement's change evicted
 * for a withdrawal's), and a slab's free list is much cheaper than
 * malloc's with that churn.  The history evicts in the order it filled,
 * so a class's pages empty in turn and go back to the system (slab.h). */
#define FS_SPARE_CLASSES 16

/* A FIB change, packed; shared by the history and the subscribers. */
struct fs_item {
	uint32_t refs;
	uint32_t klen;	/* key bytes */
	uint32_t vlen;	/* packed FibEntry bytes */
	uint32_t rlen;	/* bytes of the region at the start of the key */
	uint64_t hash;	/* of the key */
	uint8_t data[]; /* key: region NUL table NUL view NUL family len
			 * address; then the packed FibEntry */
};

/* Items coalesced by key, in the order their keys were first put.  The
 * index is open addressing over slots of (low 32 bits of the key's hash)
 * << 32 | (index + 1 in v), 0 for an empty slot, at most half full: a
 * probe touches an item only when 32 bits of its hash match.  An entry of
 * a full table puts tens of thousands of items here, once each. */
struct fs_set {
	uint64_t *slots;
	size_t nslots; /* power of two, or 0 */
	struct fs_item **v;
	size_t n, cap;
	size_t bytes; /* memory the items hold (item_held) */
};

/* The changes of one applied entry. */
struct fs_rec {
	uint64_t version;
	struct fs_item **v;
	size_t n;
	size_t bytes;
};

/* One SubscribeFibResponse being built: FS_HEAD bytes of room, then the
 * body (a FibSnapshot or FibDelta), then FS_TAIL bytes of room. */
struct fs_msg {
	uint8_t *buf;
	size_t len;	    /* body bytes */
	size_t cap;	    /* bytes of buf */
	size_t n;	    /* entries */
	const uint8_t *out; /* the finished message, inside buf */
	size_t outlen;
};

/* A snapshot of a region at a version, shared by the subscribers that
 * send it (linked in fs->snaps while any does). */
struct fs_snap {
	struct fs_snap *next;
	uint32_t refs;
	char region[FIBSTREAM_ID_MAX];
	uint64_t version;
	uint64_t gen;
	struct fs_msg *chunks;
	size_t n;
	size_t entries;
};

struct fs_sub {
	struct fs_sub *next;
	struct fibstream *fs;
	struct rpc_call *call;
	char id[FIBSTREAM_ID_MAX];
	char region[FIBSTREAM_ID_MAX];
	uint32_t rlen;
	uint64_t version; /* sent in full */
	bool waiting;	  /* for wait_for to be applied */
	uint64_t wait_for;
	uint64_t wait_until;
	bool need_snapshot;
	struct fs_snap *snap;
	size_t snap_next;
	bool out_active;
	struct fs_item **out;
	size_t out_n, out_next;
	uint64_t out_version;
	struct fs_set pending; /* changes after what snap/out carry */
	uint64_t snapshots;
	uint64_t since;	    /* uv_now */
	uint64_t last_send; /* uv_now */
};

struct fibstream {
	uv_loop_t *loop;
	struct node *node;     /* NULL in engine mode */
	struct engine *engine; /* the engine as last seen */
	struct node_listener listener;
	struct fibstream_config cfg;
	uv_timer_t timer;
	struct rpc_method methods[3];
	uint64_t applied;
	uint64_t gen; /* bumped when the engine is replaced */
	/* the changes of the entry being applied, in order and not yet
	 * coalesced (cur_coalesce), and for each its sort key */
	struct fs_set cur;
	uint64_t *cur_keys, *cur_tmp;
	size_t cur_kcap;
	struct fs_rec *ring;
	size_t ring_cap, ring_head, ring_n;
	size_t hist_entries, hist_bytes;
	uint64_t hist_from; /* every change after it is in the ring */
	struct fs_snap *snaps;
	struct fs_sub *subs;
	size_t nsubs;
	uint64_t nsnapshots, snap_entries, snap_us;
	bool fast; /* the timer polls blocked connections every FS_POLL_MS */
	bool stopping;
	/* freed items by size class, linked through their first bytes */
	struct slab items[FS_SPARE_CLASSES]; /* see FS_SPARE_CLASSES */
};

static void fs_log(struct fibstream *fs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
fs_log(struct fibstream *fs, const char *fmt, ...)
{
	va_list ap;

	if (fs->node == NULL)
		return; /* engine mode: tests and benchmarks */
	va_start(ap, fmt);
	util_vlog(0, "fib", fmt, ap);
	va_end(ap);
}

static void *
xalloc(size_t n)
{
	return util_alloc("fibstream", n);
}

static void *
xrealloc(void *p, size_t n)
{
	return util_realloc("fibstream", p, n);
}

/* ---- items --------------------------------------------------------- */

static size_t
item_size(const struct fs_item *it)
{
	return sizeof(*it) + it->klen + it->vlen;
}

/* The size class of an item of size bytes (a multiple of 16 less one). */
static size_t
item_class(size_t size)
{
	return (size + 15) / 16 - 1;
}

static struct fs_item *
item_alloc(struct fibstream *fs, size_t size)
{
	size_t c = item_class(size);
	struct fs_item *it;

	if (c >= FS_SPARE_CLASSES)
		return xalloc(size);
	if (fs->items[c].size == 0)
		slab_init(&fs->items[c], (c + 1) * 16);
	if ((it = slab_alloc(&fs->items[c])) == NULL)
		abort(); /* as xalloc */
	return it;
}

/* The memory an item holds: its block, with malloc's header and rounding,
 * and a pointer to it.  The history is bounded by this (history_bytes is a
 * bound on memory, not on the changes' payload). */
static size_t
item_held(const struct fs_item *it)
{
	return (item_class(item_size(it)) + 1) * 16 + 16 + sizeof(it);
}

static void
item_unref(struct fibstream *fs, struct fs_item *it)
{
	size_t c;

	if (it->refs == 0) {
		fprintf(stderr, "item_unref: reference count below zero\n");
		abort();
	}
	if (--it->refs > 0)
		return;
	c = item_class(item_size(it));
	if (c >= FS_SPARE_CLASSES)
		free(it);
	else
		slab_free(&fs->items[c], it);
}

static void
items_fini(struct fibstream *fs)
{
	for (size_t c = 0; c < FS_SPARE_CLASSES; c++)
		if (fs->items[c].size != 0)
			slab_fini(&fs->items[c]);
}

static bool
item_eq(const void *a, const void *b)
{
	const struct fs_item *x = a, *y = b;

	return x->klen == y->klen && memcmp(x->data, y->data, x->klen) == 0;
}

/* The item for an engine delta (no reference taken yet), or NULL when the
 * delta cannot be sent (logged). */
static struct fs_item *
item_from_delta(struct fibstream *fs, const struct engine_delta *d)
{
	uint8_t val[2048];
	struct cen_err err = { 0 };
	size_t rl, tl, vl, al, klen, vlen;
	struct fs_item *it;
	uint8_t *k;

	if (fibmsg_entry_encode(d, val, sizeof(val), &vlen, &err) != 0) {
		fs_log(fs, "a FIB change cannot be streamed: %s", err.msg);
		return NULL;
	}
	rl = strlen(d->region);
	tl = strlen(d->table);
	vl = d->view != NULL ? strlen(d->view) : 0;
	al = d->prefix.family == PREFIX_AF_INET6 ? 16 : 4;
	klen = rl + tl + vl + 3 + 2 + al;
	it = item_alloc(fs, sizeof(*it) + klen + vlen);
	it->refs = 0;
	it->klen = (uint32_t)klen;
	it->vlen = (uint32_t)vlen;
	it->rlen = (uint32_t)rl;
	k = it->data;
	memcpy(k, d->region, rl + 1);
	k += rl + 1;
	memcpy(k, d->table, tl + 1);
	k += tl + 1;
	if (vl > 0)
		memcpy(k, d->view, vl);
	k[vl] = '\0';
	k += vl + 1;
	*k++ = d->prefix.family;
	*k++ = d->prefix.len;
	memcpy(k, d->prefix.addr.bytes, al);
	it->hash = hmap_hash_bytes(it->data, klen, 0);
	memcpy(it->data + klen, val, vlen);
	return it;
}

static bool
item_in_region(const struct fs_item *it, const struct fs_sub *s)
{
	return it->rlen == s->rlen && memcmp(it->data, s->region, s->rlen) == 0;
}

/* ---- coalescing sets ----------------------------------------------- */

#define SET_TAG(hash) ((uint64_t)(uint32_t)(hash) << 32)

static void
set_init(struct fs_set *s)
{
	memset(s, 0, sizeof(*s));
}

/* The slot of it's key, or the empty slot where it would go. */
static size_t
set_find(const struct fs_set *s, const struct fs_item *it)
{
	size_t mask = s->nslots - 1, i = (uint32_t)it->hash & mask;
	uint64_t tag = SET_TAG(it->hash);

	for (;; i = (i + 1) & mask) {
		uint64_t x = s->slots[i];

		if (x == 0 || ((x & ~(uint64_t)UINT32_MAX) == tag &&
			       item_eq(s->v[(uint32_t)x - 1], it)))
			return i;
	}
}

static void
set_grow(struct fs_set *s)
{
	size_t n = s->nslots ? s->nslots * 2 : 64, mask = n - 1;
	uint64_t *v = calloc(n, sizeof(*v));

	if (v == NULL) {
		fprintf(stderr, "set_put: out of memory\n");
		abort();
	}
	for (size_t i = 0; i < s->nslots; i++) {
		uint64_t x = s->slots[i];
		size_t j;

		if (x == 0)
			continue;
		for (j = (x >> 32) & mask; v[j] != 0; j = (j + 1) & mask)
			;
		v[j] = x;
	}
	free(s->slots);
	s->slots = v;
	s->nslots = n;
}

/* Puts it (taking a reference), replacing the item of the same key. */
static void
set_put(struct fibstream *fs, struct fs_set *s, struct fs_item *it)
{
	size_t slot;

	if ((s->n + 1) * 2 > s->nslots)
		set_grow(s);
	slot = set_find(s, it);
	it->refs++;
	s->bytes += item_held(it);
	if (s->slots[slot] != 0) {
		uint32_t idx = (uint32_t)s->slots[slot];
		struct fs_item *old = s->v[idx - 1];

		s->v[idx - 1] = it;
		s->bytes -= item_held(old);
		item_unref(fs, old);
		return;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = it;
	s->slots[slot] = SET_TAG(it->hash) | s->n;
}

/* Frees the index; the items are the caller's business. */
static void
set_fini_index(struct fs_set *s)
{
	free(s->slots);
	s->slots = NULL;
	s->nslots = 0;
}

/* Hands over the items (and their references) in order; s is empty
 * after.  The index stays allocated for the next entry's changes unless
 * it is far bigger than these needed. */
static struct fs_item **
set_steal(struct fs_set *s, size_t *n)
{
	struct fs_item **v = s->v;
	uint64_t *slots = s->slots;
	size_t nslots = s->nslots;

	*n = s->n;
	if (nslots > 64 && nslots > 8 * s->n) {
		free(slots);
		slots = NULL;
		nslots = 0;
	} else if (slots != NULL) {
		memset(slots, 0, nslots * sizeof(*slots));
	}
	set_init(s);
	s->slots = slots;
	s->nslots = nslots;
	return v;
}

static void
items_free(struct fibstream *fs, struct fs_item **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		item_unref(fs, v[i]);
	free(v);
}

static void
set_clear(struct fibstream *fs, struct fs_set *s)
{
	size_t n;
	struct fs_item **v = set_steal(s, &n);

	items_free(fs, v, n);
}

/* ---- messages ------------------------------------------------------ */

static uint8_t *
msg_body(struct fs_msg *m)
{
	return m->buf + FS_HEAD;
}

static void
msg_reserve(struct fs_msg *m, size_t more)
{
	size_t need = FS_HEAD + m->len + more + FS_TAIL;

	if (need <= m->cap)
		return;
	m->cap = m->cap * 2 > need ? m->cap * 2 : need;
	m->buf = xrealloc(m->buf, m->cap);
}

/* Starts a FibSnapshot or FibDelta body: its version (field 1). */
static void
msg_begin(struct fs_msg *m, uint64_t version, size_t hint)
{
	memset(m, 0, sizeof(*m));
	msg_reserve(m, hint + 11);
	msg_body(m)[m->len++] = 0x08;
	m->len = (size_t)(pbwire_vput(msg_body(m) + m->len, version) -
			  msg_body(m));
}

/* Appends one packed FibEntry (field 2). */
static void
msg_add(struct fs_msg *m, const uint8_t *entry, size_t len)
{
	msg_reserve(m, 1 + 10 + len);
	msg_body(m)[m->len++] = 0x12;
	m->len = (size_t)(pbwire_vput(msg_body(m) + m->len, len) - msg_body(m));
	memcpy(msg_body(m) + m->len, entry, len);
	m->len += len;
	m->n++;
}

/* Finishes the message: `more` (field 3) and the SubscribeFibResponse
 * around the body (field 1 snapshot, field 2 delta). */
static void
msg_end(struct fs_msg *m, bool snapshot, bool more)
{
	size_t hl = 1 + pbwire_vsize(m->len + (more ? 2 : 0));
	uint8_t *h;

	if (more) {
		msg_body(m)[m->len++] = 0x18;
		msg_body(m)[m->len++] = 0x01;
	}
	h = m->buf + FS_HEAD - hl;
	h[0] = snapshot ? 0x0a : 0x12;
	pbwire_vput(h + 1, m->len);
	m->out = h;
	m->outlen = hl + m->len;
}

/* ---- snapshots ----------------------------------------------------- */

struct snap_build {
	struct fibstream *fs;
	struct fs_snap *snap;
	struct fs_msg cur;
	size_t cap;
};

static void
snap_chunk_done(struct snap_build *b)
{
	struct fs_snap *sn = b->snap;

	if (sn->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 8;
		sn->chunks = xrealloc(sn->chunks, b->cap * sizeof(*sn->chunks));
	}
	sn->chunks[sn->n++] = b->cur;
	memset(&b->cur, 0, sizeof(b->cur));
}

static void
snap_walk_cb(const struct engine_delta *d, void *arg)
{
	struct snap_build *b = arg;
	Cend__V1__FibEntry fe = CEND__V1__FIB_ENTRY__INIT;
	struct fibmsg_entry_buf buf;
	struct cen_err err = { 0 };
	size_t len;
	struct fs_msg *m = &b->cur;

	if (fibmsg_entry_from_delta(d, &fe, &buf, &err) != 0) {
		fs_log(b->fs, "a FIB entry cannot be streamed: %s", err.msg);
		return;
	}
	if (m->buf == NULL)
		msg_begin(m, b->snap->version, b->fs->cfg.chunk_bytes + 4096);
	len = cend__v1__fib_entry__get_packed_size(&fe);
	msg_reserve(m, 1 + 10 + len);
	msg_body(m)[m->len++] = 0x12;
	m->len = (size_t)(pbwire_vput(msg_body(m) + m->len, len) - msg_body(m));
	cend__v1__fib_entry__pack(&fe, msg_body(m) + m->len);
	m->len += len;
	m->n++;
	b->snap->entries++;
	if (m->len >= b->fs->cfg.chunk_bytes)
		snap_chunk_done(b);
}

/* The snapshot of region at the applied index, shared or built. */
static struct fs_snap *
snap_get(struct fibstream *fs, const char *region)
{
	struct snap_build b = { .fs = fs };
	struct fs_snap *sn;
	uint64_t t0;
	int rc;

	for (sn = fs->snaps; sn != NULL; sn = sn->next) {
		if (sn->version == fs->applied && sn->gen == fs->gen &&
		    strcmp(sn->region, region) == 0) {
			sn->refs++;
			return sn;
		}
	}
	sn = xalloc(sizeof(*sn));
	memset(sn, 0, sizeof(*sn));
	snprintf(sn->region, sizeof(sn->region), "%s", region);
	sn->version = fs->applied;
	sn->gen = fs->gen;
	sn->refs = 1;
	b.snap = sn;
	t0 = uv_hrtime();
	rc = engine_fib_walk(fs->engine, region, snap_walk_cb, &b);
	/* no such region (yet): an empty FIB, the deltas will fill it */
	if (rc != 0 && rc != -CEN_ENOENT)
		fs_log(fs, "walk of the FIB of %s: %s", region,
		       cen_strerror(rc));
	if (b.cur.buf == NULL && sn->n == 0)
		msg_begin(&b.cur, sn->version, 64); /* an empty FIB */
	if (b.cur.buf != NULL)
		snap_chunk_done(&b);
	for (size_t i = 0; i < sn->n; i++)
		msg_end(&sn->chunks[i], true, i + 1 < sn->n);
	fs->snap_us = (uv_hrtime() - t0) / 1000;
	fs->snap_entries = sn->entries;
	fs->nsnapshots++;
	sn->next = fs->snaps;
	fs->snaps = sn;
	fs_log(fs,
	       "snapshot of %s at %llu: %zu entries in %zu messages, %llu us",
	       region, (unsigned long long)sn->version, sn->entries, sn->n,
	       (unsigned long long)fs->snap_us);
	return sn;
}

static void
snap_unref(struct fibstream *fs, struct fs_snap *sn)
{
	if (--sn->refs > 0)
		return;
	for (struct fs_snap **pp = &fs->snaps; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == sn) {
			*pp = sn->next;
			break;
		}
	}
	for (size_t i = 0; i < sn->n; i++)
		free(sn->chunks[i].buf);
	free(sn->chunks);
	free(sn);
}

/* ---- subscribers --------------------------------------------------- */

static void
sub_drop_out(struct fs_sub *s)
{
	if (s->snap != NULL)
		snap_unref(s->fs, s->snap);
	s->snap = NULL;
	s->snap_next = 0;
	if (s->out_active)
		items_free(s->fs, s->out + s->out_next, s->out_n - s->out_next);
	else
		free(s->out);
	/* the sent ones were unreferenced as they went */
	s->out = NULL;
	s->out_active = false;
	s->out_n = s->out_next = 0;
	set_clear(s->fs, &s->pending);
}

/* Finishes the call and frees s (unlinked first). */
static void
sub_finish(struct fs_sub *s, rpc_status st, const char *msg)
{
	struct fibstream *fs = s->fs;

	for (struct fs_sub **pp = &fs->subs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			fs->nsubs--;
			break;
		}
	}
	rpc_stream_end(s->call, st, msg);
	sub_drop_out(s);
	set_fini_index(&s->pending);
	free(s);
}

static void
sub_gone(struct rpc_call *call, void *arg)
{
	struct fs_sub *s = arg;

	fs_log(s->fs, "subscriber %s (%s) gone at version %llu",
	       s->id[0] ? s->id : "-", s->region,
	       (unsigned long long)s->version);
	sub_finish(s, RPC_CANCELLED, "subscriber gone");
}

static void
sub_need_snapshot(struct fs_sub *s)
{
	sub_drop_out(s);
	s->waiting = false;
	s->need_snapshot = true;
}

/* Sends one message; on failure the subscriber is finished and -1
 * returned. */
static int
sub_send(struct fs_sub *s, const uint8_t *buf, size_t len)
{
	int rc = rpc_stream_send(s->call, buf, len);

	if (rc == 0) {
		s->last_send = uv_now(s->fs->loop);
		return 0;
	}
	fs_log(s->fs, "subscriber %s (%s): send failed: %s", s->id, s->region,
	       cen_strerror(rc));
	sub_finish(s, rc == -CEN_EIO ? RPC_CANCELLED : RPC_INTERNAL,
		   rc == -CEN_EIO ? "connection lost"
				  : "a message over the frame limit");
	return -1;
}

static int
sub_send_empty(struct fs_sub *s, uint64_t version)
{
	struct fs_msg m;
	int rc;

	msg_begin(&m, version, 0);
	msg_end(&m, false, false);
	rc = sub_send(s, m.out, m.outlen);
	free(m.buf);
	return rc;
}

/* Sends the next chunk of the outgoing delta. */
static int
sub_send_out(struct fs_sub *s)
{
	struct fs_msg m;
	bool more;
	int rc;

	msg_begin(&m, s->out_version, s->fs->cfg.chunk_bytes + 4096);
	while (s->out_next < s->out_n && m.len < s->fs->cfg.chunk_bytes) {
		struct fs_item *it = s->out[s->out_next++];

		msg_add(&m, it->data + it->klen, it->vlen);
		item_unref(s->fs, it);
	}
	more = s->out_next < s->out_n;
	msg_end(&m, false, more);
	if (!more) {
		free(s->out);
		s->out = NULL;
		s->out_n = s->out_next = 0;
		s->out_active = false;
	}
	rc = sub_send(s, m.out, m.outlen);
	free(m.buf);
	if (rc == 0 && !more)
		s->version = s->out_version;
	return rc;
}

static void on_tick(uv_timer_t *t);

/* Polls soon: a connection has too much queued (rpc.h tells nothing when
 * a write completes). */
static void
fs_poll_fast(struct fibstream *fs)
{
	if (fs->fast || fs->stopping)
		return;
	fs->fast = true;
	uv_timer_start(&fs->timer, on_tick, FS_POLL_MS, 0);
}

/* Sends what the connection takes; tick also moves the version on and
 * keeps a quiet stream alive.  0, or -1 when s was finished. */
static int
sub_pump(struct fs_sub *s, bool tick)
{
	struct fibstream *fs = s->fs;

	if (s->waiting)
		return 0;
	for (;;) {
		if (rpc_call_queued(s->call) >= fs->cfg.queue_max) {
			if (s->need_snapshot || s->snap != NULL ||
			    s->out_active || s->pending.n > 0)
				fs_poll_fast(fs);
			break;
		}
		if (rpc_call_gone(s->call))
			return 0; /* sub_gone comes */
		if (s->need_snapshot) {
			s->need_snapshot = false;
			s->snap = snap_get(fs, s->region);
			s->snap_next = 0;
			continue;
		}
		if (s->snap != NULL) {
			struct fs_snap *sn = s->snap;
			struct fs_msg *c = &sn->chunks[s->snap_next++];
			bool last = s->snap_next == sn->n;

			if (sub_send(s, c->out, c->outlen) != 0)
				return -1;
			if (last) {
				s->version = sn->version;
				s->snapshots++;
				s->snap = NULL;
				snap_unref(fs, sn);
			}
			continue;
		}
		if (s->out_active) {
			if (sub_send_out(s) != 0)
				return -1;
			continue;
		}
		if (s->pending.n > 0) {
			s->out = set_steal(&s->pending, &s->out_n);
			s->out_next = 0;
			s->out_version = fs->applied;
			s->out_active = true;
			continue;
		}
		if (tick && s->version < fs->applied) {
			if (sub_send_empty(s, fs->applied) != 0)
				return -1;
			s->version = fs->applied;
			continue;
		}
		if (tick &&
		    uv_now(fs->loop) - s->last_send >= fs->cfg.keepalive_ms) {
			if (sub_send_empty(s, s->version) != 0)
				return -1;
		}
		break;
	}
	return 0;
}

/* Resumes s after version v: the history's changes since, coalesced. */
static void
sub_resume(struct fs_sub *s, uint64_t v)
{
	struct fibstream *fs = s->fs;

	s->waiting = false;
	if (v < fs->hist_from || v > fs->applied) {
		sub_need_snapshot(s);
		return;
	}
	s->version = v;
	for (size_t i = 0; i < fs->ring_n; i++) {
		struct fs_rec *r =
			&fs->ring[(fs->ring_head + i) % fs->ring_cap];

		if (r->version <= v)
			continue;
		for (size_t k = 0; k < r->n; k++)
			if (item_in_region(r->v[k], s))
				set_put(fs, &s->pending, r->v[k]);
		if (s->pending.n > fs->cfg.pending_max) {
			sub_need_snapshot(s);
			return;
		}
	}
}

static const char *
sub_state(const struct fs_sub *s)
{
	if (s->waiting)
		return "waiting";
	if (s->need_snapshot || s->snap != NULL)
		return "snapshot";
	if (s->pending.n > 0)
		return "coalescing";
	return "streaming";
}

/* ---- following the node -------------------------------------------- */

static void
ring_pop(struct fibstream *fs)
{
	struct fs_rec *r = &fs->ring[fs->ring_head];

	fs->hist_from = r->version;
	fs->hist_entries -= r->n;
	fs->hist_bytes -= r->bytes;
	items_free(fs, r->v, r->n);
	fs->ring_head = (fs->ring_head + 1) % fs->ring_cap;
	fs->ring_n--;
}

static void
ring_push(struct fibstream *fs, uint64_t version, struct fs_item **v, size_t n,
	  size_t bytes)
{
	struct fs_rec *r;

	if (fs->ring_n == fs->ring_cap) {
		size_t cap = fs->ring_cap ? fs->ring_cap * 2 : 64;
		struct fs_rec *ring = xalloc(cap * sizeof(*ring));

		for (size_t i = 0; i < fs->ring_n; i++)
			ring[i] = fs->ring[(fs->ring_head + i) % fs->ring_cap];
		free(fs->ring);
		fs->ring = ring;
		fs->ring_cap = cap;
		fs->ring_head = 0;
	}
	r = &fs->ring[(fs->ring_head + fs->ring_n) % fs->ring_cap];
	r->version = version;
	r->v = v;
	r->n = n;
	r->bytes = bytes;
	fs->ring_n++;
	fs->hist_entries += n;
	fs->hist_bytes += bytes;
	while (fs->ring_n > 0 && (fs->hist_entries > fs->cfg.history_entries ||
				  fs->hist_bytes > fs->cfg.history_bytes))
		ring_pop(fs);
}

void
fibstream_restored(struct fibstream *fs, struct engine *e, uint64_t applied)
{
	fs_log(fs,
	       "state replaced (snapshot installed) at %llu: %zu "
	       "subscriber(s) get a new snapshot",
	       (unsigned long long)applied, fs->nsubs);
	fs->engine = e;
	fs->gen++;
	fs->applied = applied;
	set_clear(fs, &fs->cur);
	while (fs->ring_n > 0)
		ring_pop(fs);
	fs->hist_from = applied;
	for (struct fs_sub *s = fs->subs; s != NULL; s = s->next)
		if (!s->waiting)
			sub_need_snapshot(s);
}

/* Node mode: notices a restored snapshot (the node rebuilds its engine). */
static bool
check_source(struct fibstream *fs, uint64_t index)
{
	struct node_status st;
	struct engine *e;

	if (fs->node == NULL || (e = node_engine(fs->node)) == fs->engine)
		return false;
	if (index == 0) {
		node_get_status(fs->node, &st);
		index = st.applied_index;
	}
	fibstream_restored(fs, e, index);
	return true;
}

/* Appends a change of the entry being applied (taking a reference). */
static void
cur_append(struct fibstream *fs, struct fs_item *it)
{
	struct fs_set *s = &fs->cur;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	if (s->n == fs->cur_kcap) {
		fs->cur_kcap = fs->cur_kcap ? fs->cur_kcap * 2 : 64;
		fs->cur_keys = xrealloc(fs->cur_keys,
					fs->cur_kcap * sizeof(*fs->cur_keys));
	}
	it->refs++;
	s->bytes += item_held(it);
	/* high 32 bits of the key's hash, then the position */
	fs->cur_keys[s->n] = (it->hash & ~(uint64_t)UINT32_MAX) | s->n;
	s->v[s->n++] = it;
}

/*
 * Coalesces the changes of the entry being applied by key, as set_put
 * would have: the latest change of a key takes the place of its first.
 * An entry of a full table brings hundreds of thousands of changes, nearly
 * all to distinct keys, and probing a hash index for each one misses the
 * caches every time; sorting the (hash, position) pairs (LSD radix, 8 bits
 * a pass, stable) reads and writes memory in order instead, and only keys
 * whose hashes meet are compared.
 */
static void
cur_coalesce(struct fibstream *fs)
{
	struct fs_set *s = &fs->cur;
	uint64_t *a = fs->cur_keys, *b;
	size_t n = s->n, k = 0;
	bool dup = false;

	if (n < 2)
		return;
	b = fs->cur_tmp = xrealloc(fs->cur_tmp, n * sizeof(*b));
	for (unsigned shift = 32; shift < 64; shift += 8) {
		size_t cnt[256] = { 0 }, at = 0;

		for (size_t i = 0; i < n; i++)
			cnt[(a[i] >> shift) & 0xff]++;
		for (size_t d = 0; d < 256; d++) {
			size_t c = cnt[d];

			cnt[d] = at;
			at += c;
		}
		for (size_t i = 0; i < n; i++)
			b[cnt[(a[i] >> shift) & 0xff]++] = a[i];
		a = b;
		b = a == fs->cur_keys ? fs->cur_tmp : fs->cur_keys;
	}
	/* an even number of passes: a is cur_keys again */
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && (a[j] >> 32) == (a[i] >> 32))
			j++;
		/* a run of equal hashes, in the order of the changes */
		for (size_t x = i; x + 1 < j; x++) {
			uint32_t first = (uint32_t)a[x];

			if (s->v[first] == NULL)
				continue;
			for (size_t y = x + 1; y < j; y++) {
				uint32_t later = (uint32_t)a[y];
				struct fs_item *it = s->v[later];

				if (it == NULL ||
				    it->hash != s->v[first]->hash ||
				    !item_eq(it, s->v[first]))
					continue;
				s->bytes -= item_held(s->v[first]);
				item_unref(fs, s->v[first]);
				s->v[first] = it;
				s->v[later] = NULL;
				dup = true;
			}
		}
		i = j;
	}
	if (dup) {
		for (size_t i = 0; i < n; i++)
			if (s->v[i] != NULL)
				s->v[k++] = s->v[i];
		s->n = k;
	}
	if (fs->cur_kcap > 4096 && n < fs->cur_kcap / 8) {
		/* a full table went through: give the memory back */
		free(fs->cur_keys);
		fs->cur_keys = NULL;
		fs->cur_kcap = 0;
	}
	free(fs->cur_tmp);
	fs->cur_tmp = NULL;
}

void
fibstream_delta(const struct engine_delta *d, uint64_t index, void *arg)
{
	struct fibstream *fs = arg;
	struct fs_item *it;

	if (fs->stopping)
		return;
	if ((it = item_from_delta(fs, d)) != NULL)
		cur_append(fs, it);
}

void
fibstream_applied(uint64_t index, void *arg)
{
	struct fibstream *fs = arg;
	struct fs_item **v;
	size_t n, bytes;
	struct fs_sub *s, *next;

	if (fs->stopping)
		return;
	if (check_source(fs, index))
		goto pump;
	if (index <= fs->applied) {
		set_clear(fs, &fs->cur); /* replayed: cannot happen */
		return;
	}
	fs->applied = index;
	cur_coalesce(fs);
	bytes = fs->cur.bytes;
	v = set_steal(&fs->cur, &n);
	if (n == 0) {
		free(v);
		goto pump;
	}
	for (s = fs->subs; s != NULL; s = s->next) {
		bool idle = !s->waiting && !s->need_snapshot &&
			    s->snap == NULL && !s->out_active &&
			    s->pending.n == 0;

		if (s->waiting || s->need_snapshot)
			continue;
		if (idle) {
			/* the common case: this entry is the next delta */
			s->out = xalloc(n * sizeof(*s->out));
			s->out_n = s->out_next = 0;
			for (size_t k = 0; k < n; k++) {
				if (!item_in_region(v[k], s))
					continue;
				v[k]->refs++;
				s->out[s->out_n++] = v[k];
			}
			s->out_version = index;
			s->out_active = s->out_n > 0;
			if (!s->out_active) {
				free(s->out);
				s->out = NULL;
			}
			continue;
		}
		for (size_t k = 0; k < n; k++)
			if (item_in_region(v[k], s))
				set_put(fs, &s->pending, v[k]);
		if (s->pending.n + (s->out_n - s->out_next) >
		    fs->cfg.pending_max) {
			fs_log(fs,
			       "subscriber %s (%s) is too slow: %zu changes "
			       "waiting; it gets a new snapshot",
			       s->id, s->region, s->pending.n);
			sub_need_snapshot(s);
		}
	}
	ring_push(fs, index, v, n, bytes);
pump:
	for (s = fs->subs; s != NULL; s = next) {
		next = s->next;
		if (s->waiting && fs->applied >= s->wait_for)
			sub_resume(s, s->wait_for);
		sub_pump(s, false);
	}
}

static void
on_tick(uv_timer_t *t)
{
	struct fibstream *fs = t->data;
	uint64_t now = uv_now(fs->loop);
	struct fs_sub *s, *next;

	fs->fast = false;
	check_source(fs, 0);
	for (s = fs->subs; s != NULL; s = next) {
		next = s->next;
		if (s->waiting) {
			if (fs->applied >= s->wait_for) {
				sub_resume(s, s->wait_for);
			} else if (now >= s->wait_until) {
				fs_log(fs,
				       "subscriber %s (%s): version %llu not "
				       "applied here after %u ms; sending a "
				       "snapshot at %llu",
				       s->id, s->region,
				       (unsigned long long)s->wait_for,
				       fs->cfg.resume_wait_ms,
				       (unsigned long long)fs->applied);
				sub_need_snapshot(s);
			}
		}
		sub_pump(s, true);
	}
	if (!fs->fast)
		uv_timer_start(&fs->timer, on_tick, fs->cfg.tick_ms, 0);
}

/* ---- handlers ------------------------------------------------------ */

static void
h_subscribe(struct rpc_call *call, const uint8_t *payload, size_t len,
	    void *arg)
{
	struct fibstream *fs = arg;
	Cend__V1__SubscribeFibRequest *req;
	struct fs_sub *s;
	const char *how;

	req = cend__v1__subscribe_fib_request__unpack(NULL, len, payload);
	if (req == NULL) {
		rpc_stream_end(call, RPC_INVALID_ARGUMENT,
			       "request does not decode as "
			       "SubscribeFibRequest");
		return;
	}
	if (!model_id_valid(req->region)) {
		rpc_stream_end(call, RPC_INVALID_ARGUMENT,
			       req->region[0] == '\0'
				       ? "region is required"
				       : "region: expected an ID (1..63 of "
					 "A-Z a-z 0-9 . _ -)");
		cend__v1__subscribe_fib_request__free_unpacked(req, NULL);
		return;
	}
	check_source(fs, 0);
	s = xalloc(sizeof(*s));
	memset(s, 0, sizeof(*s));
	s->fs = fs;
	s->call = call;
	util_copy_id(s->id, sizeof(s->id), req->subscriber_id);
	snprintf(s->region, sizeof(s->region), "%s", req->region);
	s->rlen = (uint32_t)strlen(s->region);
	set_init(&s->pending);
	s->since = s->last_send = uv_now(fs->loop);
	if (req->resume_version == 0) {
		s->need_snapshot = true;
		how = "snapshot";
	} else if (req->resume_version > fs->applied) {
		s->waiting = true;
		s->wait_for = req->resume_version;
		s->wait_until = s->since + fs->cfg.resume_wait_ms;
		s->version = req->resume_version;
		how = "waiting for its version";
	} else if (req->resume_version >= fs->hist_from) {
		sub_resume(s, req->resume_version);
		how = s->need_snapshot ? "snapshot (too much to resume)"
				       : "resume";
	} else {
		s->need_snapshot = true;
		how = "snapshot (version older than the history)";
	}
	fs_log(fs,
	       "subscriber %s (%s) from version %llu at %llu (history from "
	       "%llu): %s",
	       s->id[0] ? s->id : "-", s->region,
	       (unsigned long long)req->resume_version,
	       (unsigned long long)fs->applied,
	       (unsigned long long)fs->hist_from, how);
	cend__v1__subscribe_fib_request__free_unpacked(req, NULL);
	s->next = fs->subs;
	fs->subs = s;
	fs->nsubs++;
	rpc_call_on_gone(call, sub_gone, s);
	sub_pump(s, true);
}

static void
h_forwarder_list(struct rpc_call *call, const uint8_t *payload, size_t len,
		 void *arg)
{
	struct fibstream *fs = arg;
	Cend__V1__ForwarderListResponse r =
		CEND__V1__FORWARDER_LIST_RESPONSE__INIT;
	struct fibstream_sub_info *info;
	Cend__V1__Forwarder *fw, **fp;
	size_t n = fs->nsubs;
	uint64_t node_id = fs->node ? node_config(fs->node)->id : 0;

	info = xalloc(n * sizeof(*info));
	fw = xalloc(n * sizeof(*fw));
	fp = xalloc(n * sizeof(*fp));
	n = fibstream_subscribers(fs, info, n);
	for (size_t i = 0; i < n; i++) {
		cend__v1__forwarder__init(&fw[i]);
		fw[i].id = info[i].id;
		fw[i].region = info[i].region;
		fw[i].node = node_id;
		fw[i].version = info[i].version;
		fw[i].lag = info[i].lag;
		fw[i].state = (char *)info[i].state;
		fw[i].pending = info[i].pending;
		fw[i].snapshots = info[i].snapshots;
		fw[i].since_ms = info[i].since_ms;
		fp[i] = &fw[i];
	}
	r.n_forwarders = n;
	r.forwarders = fp;
	rpc_reply_msg(call, &r.base);
	free(fp);
	free(fw);
	free(info);
}

/* ---- setup --------------------------------------------------------- */

static void
config_defaults(struct fibstream_config *c)
{
	if (c->history_entries == 0)
		c->history_entries = 1u << 20;
	if (c->history_bytes == 0)
		c->history_bytes = 16u << 20;
	if (c->queue_max == 0)
		c->queue_max = 4u << 20;
	if (c->pending_max == 0)
		c->pending_max = 1u << 20;
	if (c->chunk_bytes == 0)
		c->chunk_bytes = 1u << 20;
	if (c->chunk_bytes > RPC_FRAME_MAX_DEFAULT / 2)
		c->chunk_bytes = RPC_FRAME_MAX_DEFAULT / 2;
	if (c->tick_ms == 0)
		c->tick_ms = 100;
	if (c->keepalive_ms == 0)
		c->keepalive_ms = 5000;
	if (c->resume_wait_ms == 0)
		c->resume_wait_ms = 5000;
}

static int
fs_new(uv_loop_t *loop, const struct fibstream_config *cfg,
       struct fibstream **out, struct cen_err *err)
{
	struct fibstream *fs = calloc(1, sizeof(*fs));

	if (fs == NULL)
		return cen_errf(err, -CEN_ENOMEM, "out of memory");
	fs->loop = loop;
	if (cfg != NULL)
		fs->cfg = *cfg;
	config_defaults(&fs->cfg);
	set_init(&fs->cur);
	fs->methods[0].name = FIBSTREAM_METHOD_SUBSCRIBE;
	fs->methods[0].fn = h_subscribe;
	fs->methods[0].arg = fs;
	fs->methods[1].name = FIBSTREAM_METHOD_LIST;
	fs->methods[1].fn = h_forwarder_list;
	fs->methods[1].arg = fs;
	uv_timer_init(loop, &fs->timer);
	fs->timer.data = fs;
	uv_timer_start(&fs->timer, on_tick, fs->cfg.tick_ms, 0);
	*out = fs;
	return 0;
}

int
fibstream_new(uv_loop_t *loop, struct node *n,
	      const struct fibstream_config *cfg, struct fibstream **out,
	      struct cen_err *err)
{
	struct node_status st;
	struct fibstream *fs;
	int rc;

	if ((rc = fs_new(loop, cfg, &fs, err)) != 0)
		return rc;
	fs->node = n;
	fs->engine = node_engine(n);
	node_get_status(n, &st);
	fs->applied = fs->hist_from = st.applied_index;
	fs->listener.delta = fibstream_delta;
	fs->listener.applied = fibstream_applied;
	fs->listener.arg = fs;
	node_listen(n, &fs->listener);
	*out = fs;
	return 0;
}

int
fibstream_new_engine(uv_loop_t *loop, struct engine *e, uint64_t applied,
		     const struct fibstream_config *cfg, struct fibstream **out,
		     struct cen_err *err)
{
	struct fibstream *fs;
	int rc;

	if ((rc = fs_new(loop, cfg, &fs, err)) != 0)
		return rc;
	fs->engine = e;
	fs->applied = fs->hist_from = applied;
	*out = fs;
	return 0;
}

const struct rpc_method *
fibstream_methods(struct fibstream *fs)
{
	return fs->methods;
}

static void
timer_closed(uv_handle_t *h)
{
	free(h->data);
}

void
fibstream_stop(struct fibstream *fs)
{
	fs->stopping = true;
	while (fs->subs != NULL)
		sub_finish(fs->subs, RPC_UNAVAILABLE,
			   "node stopping: subscribe to another node");
	if (fs->node != NULL)
		node_unlisten(fs->node, &fs->listener);
	set_clear(fs, &fs->cur);
	free(fs->cur_keys);
	while (fs->ring_n > 0)
		ring_pop(fs);
	free(fs->ring);
	items_fini(fs);
	uv_timer_stop(&fs->timer);
	uv_close((uv_handle_t *)&fs->timer, timer_closed);
}

size_t
fibstream_subscribers(struct fibstream *fs, struct fibstream_sub_info *out,
		      size_t max)
{
	uint64_t now = uv_now(fs->loop);
	size_t i = 0;

	for (struct fs_sub *s = fs->subs; s != NULL; s = s->next, i++) {
		struct fibstream_sub_info *o = &out[i];

		if (i >= max)
			continue;
		memset(o, 0, sizeof(*o));
		snprintf(o->id, sizeof(o->id), "%s", s->id);
		snprintf(o->region, sizeof(o->region), "%s", s->region);
		o->version = s->version;
		o->lag =
			fs->applied > s->version ? fs->applied - s->version : 0;
		o->state = sub_state(s);
		o->pending = s->pending.n + (s->out_n - s->out_next);
		o->snapshots = s->snapshots;
		o->since_ms = now - s->since;
	}
	return i;
}

void
fibstream_get_stats(const struct fibstream *fs, struct fibstream_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->applied = fs->applied;
	st->hist_from = fs->hist_from;
	st->hist_versions = fs->ring_n;
	st->hist_entries = fs->hist_entries;
	st->hist_bytes = fs->hist_bytes;
	st->subscribers = fs->nsubs;
	st->snapshots = fs->nsnapshots;
	st->snapshot_entries = fs->snap_entries;
	st->snapshot_us = fs->snap_us;
}
