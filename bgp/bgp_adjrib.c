/*
 * bgp_adjrib.c - a BGP peer's per-prefix state (bgp_adjrib.h).
 *
 * Entries live in one array that doubles as it fills (the pages past the
 * last entry used are never touched, so they cost no memory); freed
 * indices go on a stack and are used again first.  IPv6 addresses live in
 * an array of their own, managed the same way.  The index is an array
 * of (hash, index + 1) slots, probed linearly from the hash's high bits
 * scaled to the table (which grows by half), and kept at most 3/4 full; a deleted slot pulls the later slots of its run back
 * (Knuth's algorithm R), so there are no tombstones.  The hash is of the
 * prefix's bytes only, never of an address, and nothing iterates the
 * slots: the order of everything the table hands out is the order of the
 * entries and of the queue.
 */
#include <stdlib.h>
#include <string.h>

#include "bgp/bgp_adjrib.h"

#define SLOTS_MIN 16
#define ENTS_MIN  16

static void *
xrealloc(void *p, size_t n, size_t size)
{
	void *q = realloc(p, (n ? n : 1) * size);

	if (q == NULL)
		abort();
	return q;
}

/* The slot a hash starts at: its high bits scaled to the table, so that
 * the table can grow by half rather than double. */
static inline size_t
home_of(const struct adj_rib *r, uint32_t hash)
{
	return (size_t)(((uint64_t)hash * r->nslots) >> 32);
}

static inline size_t
next_of(const struct adj_rib *r, size_t s)
{
	return s + 1 == r->nslots ? 0 : s + 1;
}

/* How far slot `to` is past slot `from`, around the end. */
static inline size_t
dist_of(const struct adj_rib *r, size_t from, size_t to)
{
	return to >= from ? to - from : to + r->nslots - from;
}

static uint32_t
pfx_hash(const struct prefix *p)
{
	uint64_t a, b, h;

	/* the address bytes past the family are zero */
	memcpy(&a, p->addr.bytes, 8);
	memcpy(&b, p->addr.bytes + 8, 8);
	h = a * 0x9e3779b97f4a7c15ull;
	h ^= (b ^ ((uint64_t)p->len << 8 | p->family)) * 0xc2b2ae3d27d4eb4full;
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return (uint32_t)h;
}

/* Whether entry e holds prefix p. */
static bool
ent_is(const struct adj_rib *r, const struct adj_ent *e, const struct prefix *p)
{
	if (e->family != p->family || e->len != p->len)
		return false;
	return e->family == PREFIX_AF_INET
		       ? memcmp(&e->addr, p->addr.v4, 4) == 0
		       : memcmp(r->v6[e->addr], p->addr.v6, 16) == 0;
}

/* Keeps the IPv6 address of p aside; its index. */
static uint32_t
v6_put(struct adj_rib *r, const struct prefix *p)
{
	uint32_t k;

	if (r->nv6_free > 0) {
		k = r->v6_free[--r->nv6_free];
	} else {
		if (r->nv6 == r->v6_cap) {
			r->v6_cap = r->v6_cap ? r->v6_cap * 2 : ENTS_MIN;
			r->v6 = xrealloc(r->v6, r->v6_cap, sizeof(*r->v6));
		}
		k = (uint32_t)r->nv6++;
	}
	memcpy(r->v6[k], p->addr.v6, 16);
	return k;
}

static void
v6_drop(struct adj_rib *r, uint32_t k)
{
	if (r->nv6_free == r->v6_free_cap) {
		r->v6_free_cap = r->v6_free_cap ? r->v6_free_cap * 2 : ENTS_MIN;
		r->v6_free = xrealloc(r->v6_free, r->v6_free_cap,
				      sizeof(*r->v6_free));
	}
	r->v6_free[r->nv6_free++] = k;
}

void
adj_init(struct adj_rib *r)
{
	memset(r, 0, sizeof(*r));
}

static void
ents_free(struct adj_rib *r)
{
	free(r->ents);
	r->ents = NULL;
	r->nents = r->cap = 0;
	free(r->v6);
	free(r->v6_free);
	r->v6 = NULL;
	r->v6_free = NULL;
	r->nv6 = r->v6_cap = r->nv6_free = r->v6_free_cap = 0;
}

static void
queue_free(struct adj_queue *q)
{
	free(q->v);
	memset(q, 0, sizeof(*q));
}

void
adj_fini(struct adj_rib *r, struct attr_store *st)
{
	for (size_t i = 0; i < r->nents; i++) {
		struct adj_ent *e = adj_ent(r, (uint32_t)i);

		if (e->family == PREFIX_AF_NONE)
			continue;
		attr_unref(st, e->in);
		attr_unref(st, e->out);
	}
	ents_free(r);
	free(r->free);
	free(r->slots);
	queue_free(&r->pending);
	adj_init(r);
}

/* The slot holding entry index + 1 == idx1 (or the prefix p when idx1 is
 * 0), or the empty slot that ends its run. */
static size_t
slot_find(const struct adj_rib *r, uint32_t hash, const struct prefix *p,
	  uint32_t idx1)
{
	size_t s = home_of(r, hash);

	for (;; s = next_of(r, s)) {
		const struct adj_slot *sl = &r->slots[s];

		if (sl->idx1 == 0)
			return s;
		if (sl->hash != hash)
			continue;
		if (idx1 != 0 ? sl->idx1 == idx1
			      : ent_is(r, adj_ent(r, sl->idx1 - 1), p))
			return s;
	}
}

uint32_t
adj_find(const struct adj_rib *r, const struct prefix *p)
{
	size_t s;

	if (r->live == 0)
		return ADJ_NONE;
	s = slot_find(r, pfx_hash(p), p, 0);
	return r->slots[s].idx1 != 0 ? r->slots[s].idx1 - 1 : ADJ_NONE;
}

void
adj_prefetch(const struct adj_rib *r, const struct prefix *p, bool far)
{
	uint32_t hash;
	const struct adj_slot *sl;

	if (r->nslots == 0)
		return;
	hash = pfx_hash(p);
	sl = &r->slots[home_of(r, hash)];
	if (far) {
		__builtin_prefetch(sl);
		return;
	}
	/* the first slot of the run is the one, nearly always */
	if (sl->idx1 != 0 && sl->hash == hash)
		__builtin_prefetch(&r->ents[sl->idx1 - 1]);
}

static void
slots_grow(struct adj_rib *r)
{
	struct adj_rib old = *r;
	size_t n = r->nslots ? r->nslots + r->nslots / 2 : SLOTS_MIN;

	r->slots = calloc(n, sizeof(*r->slots));
	if (r->slots == NULL)
		abort();
	r->nslots = n;
	for (size_t i = 0; i < old.nslots; i++) {
		size_t s;

		if (old.slots[i].idx1 == 0)
			continue;
		for (s = home_of(r, old.slots[i].hash); r->slots[s].idx1 != 0;
		     s = next_of(r, s))
			;
		r->slots[s] = old.slots[i];
	}
	free(old.slots);
}

uint32_t
adj_get(struct adj_rib *r, const struct prefix *p)
{
	uint32_t hash = pfx_hash(p), i;
	struct adj_ent *e;
	size_t s;

	if (r->live > 0) {
		s = slot_find(r, hash, p, 0);
		if (r->slots[s].idx1 != 0)
			return r->slots[s].idx1 - 1;
	}
	if ((r->live + 1) * 4 > r->nslots * 3)
		slots_grow(r);
	if (r->nfree > 0) {
		i = r->free[--r->nfree];
	} else {
		if (r->nents == r->cap) {
			r->cap = r->cap ? r->cap * 2 : ENTS_MIN;
			if (r->cap >= ADJ_NONE)
				abort();
			r->ents = xrealloc(r->ents, r->cap, sizeof(*r->ents));
		}
		i = (uint32_t)r->nents++;
	}
	e = adj_ent(r, i);
	memset(e, 0, sizeof(*e));
	e->family = p->family;
	e->len = p->len;
	if (p->family == PREFIX_AF_INET)
		memcpy(&e->addr, p->addr.v4, 4);
	else
		e->addr = v6_put(r, p);
	s = slot_find(r, hash, p, 0);
	r->slots[s].hash = hash;
	r->slots[s].idx1 = i + 1;
	r->live++;
	return i;
}

void
adj_release(struct adj_rib *r, uint32_t i)
{
	struct adj_ent *e = adj_ent(r, i);
	size_t s, j;
	struct prefix p;

	if (e->in != NULL || e->out != NULL || e->flags != 0 ||
	    e->family == PREFIX_AF_NONE)
		return;
	p = adj_prefix(r, i);
	s = slot_find(r, pfx_hash(&p), &p, i + 1);
	/* pull back every later slot of the run that may move to s */
	for (j = next_of(r, s); r->slots[j].idx1 != 0; j = next_of(r, j)) {
		size_t home = home_of(r, r->slots[j].hash);

		if (dist_of(r, home, j) >= dist_of(r, s, j)) {
			r->slots[s] = r->slots[j];
			s = j;
		}
	}
	r->slots[s].idx1 = 0;
	if (e->family == PREFIX_AF_INET6)
		v6_drop(r, e->addr);
	e->family = PREFIX_AF_NONE;
	if (--r->live == 0) {
		/* a table that empties (a peer withdrew everything) gives
		 * its memory back; nothing is queued when nothing lives */
		ents_free(r);
		free(r->free);
		free(r->slots);
		r->free = NULL;
		r->slots = NULL;
		r->nfree = r->free_cap = r->nslots = 0;
		return;
	}
	if (r->nfree == r->free_cap) {
		r->free_cap = r->free_cap ? r->free_cap * 2 : ENTS_MIN;
		r->free = xrealloc(r->free, r->free_cap, sizeof(*r->free));
	}
	r->free[r->nfree++] = i;
}

void
adj_set_in(struct adj_rib *r, struct attr_store *st, uint32_t i,
	   const struct attrs *a)
{
	struct adj_ent *e = adj_ent(r, i);

	e->flags &= (uint8_t)~ADJ_STALE;
	if (e->in == a)
		return;
	r->nin += (a != NULL) - (e->in != NULL);
	if (a != NULL)
		attr_ref(a);
	attr_unref(st, e->in);
	e->in = a;
}

void
adj_set_out(struct adj_rib *r, struct attr_store *st, uint32_t i,
	    const struct attrs *a)
{
	struct adj_ent *e = adj_ent(r, i);

	if (e->out == a)
		return;
	r->nout += (a != NULL) - (e->out != NULL);
	if (a != NULL)
		attr_ref(a);
	attr_unref(st, e->out);
	e->out = a;
}

void
adj_mark(struct adj_rib *r, uint32_t i, uint8_t flag)
{
	struct adj_ent *e = adj_ent(r, i);
	struct adj_queue *q = &r->pending;

	if (e->flags & flag)
		return;
	e->flags |= flag;
	if (flag == ADJ_RESYNC)
		r->nresync++;
	if (flag != ADJ_PENDING)
		return;
	if (q->n == q->cap) {
		if (q->head > 0 && q->head >= q->n / 2) {
			/* reuse the taken front before growing */
			memmove(q->v, q->v + q->head,
				(q->n - q->head) * sizeof(*q->v));
			q->n -= q->head;
			q->head = 0;
		} else {
			q->cap = q->cap ? q->cap * 2 : ENTS_MIN;
			q->v = xrealloc(q->v, q->cap, sizeof(*q->v));
		}
	}
	q->v[q->n++] = i;
}

void
adj_unmark(struct adj_rib *r, uint32_t i, uint8_t flag)
{
	struct adj_ent *e = adj_ent(r, i);

	if (!(e->flags & flag))
		return;
	e->flags &= (uint8_t)~flag;
	if (flag == ADJ_RESYNC)
		r->nresync--;
}

uint32_t
adj_pop(struct adj_rib *r)
{
	struct adj_queue *q = &r->pending;
	uint32_t i;

	if (q->head == q->n)
		return ADJ_NONE;
	i = q->v[q->head++];
	if (q->head == q->n) {
		q->head = q->n = 0;
		if (q->cap > 4096) {
			/* a full table went through: give the memory back */
			free(q->v);
			q->v = NULL;
			q->cap = 0;
		}
	}
	adj_ent(r, i)->flags &= (uint8_t)~ADJ_PENDING;
	return i;
}

size_t
adj_queued(const struct adj_rib *r)
{
	return r->pending.n - r->pending.head;
}

uint32_t
adj_next(const struct adj_rib *r, uint32_t from)
{
	for (size_t i = from; i < r->nents; i++)
		if (adj_ent(r, (uint32_t)i)->family != PREFIX_AF_NONE)
			return (uint32_t)i;
	return ADJ_NONE;
}

void
adj_clear_in(struct adj_rib *r, struct attr_store *st)
{
	for (uint32_t i = 0; (i = adj_next(r, i)) != ADJ_NONE; i++) {
		adj_set_in(r, st, i, NULL);
		adj_release(r, i);
	}
}

void
adj_clear_out(struct adj_rib *r, struct attr_store *st)
{
	for (uint32_t i = 0; (i = adj_next(r, i)) != ADJ_NONE; i++) {
		adj_set_out(r, st, i, NULL);
		adj_release(r, i);
	}
}

void
adj_clear_flag(struct adj_rib *r, uint8_t flag)
{
	uint32_t i;

	if (flag == ADJ_PENDING) {
		while ((i = adj_pop(r)) != ADJ_NONE)
			adj_release(r, i);
		return;
	}
	for (i = 0; (i = adj_next(r, i)) != ADJ_NONE; i++) {
		adj_unmark(r, i, flag);
		adj_release(r, i);
	}
}
