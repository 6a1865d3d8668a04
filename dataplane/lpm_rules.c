/*
 * lpm_rules.c - the rule store of an LPM table (lpm_int.h): prefix -> next
 * hop, exact match only, in an open-addressing hash table (linear probing,
 * deletion by backward shift, at most 3/4 full).
 *
 * A slot is 8 bytes for IPv4 (address, length + 1, next hop packed in one
 * word; 0 is empty) and 24 for IPv6, so a million IPv4 rules cost 16 MiB.
 * An add or delete is one probe sequence, usually one cache line; the count
 * per prefix length lets the covering-rule search skip lengths no rule has.
 * Growing rehashes everything at once: the writer pauses (lookups do not
 * read this table).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/err.h"
#include "dataplane/lpm_int.h"

#define HUGE_BYTES (2u << 20)

struct slot6 {
	uint64_t hi, lo;
	uint32_t nh;
	uint32_t len1; /* length + 1; 0: empty */
};

struct key {
	uint64_t hi, lo; /* IPv4: the address in hi */
	uint32_t len1;
};

static inline uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static inline uint64_t
be64(const uint8_t *b)
{
	uint64_t v;

	memcpy(&v, b, 8);
	return __builtin_bswap64(v);
}

static inline void
key_of(const struct lpm_rules *r, const struct prefix *p, struct key *k)
{
	if (r->family == PREFIX_AF_INET) {
		k->hi = prefix_v4(p);
		k->lo = 0;
	} else {
		k->hi = be64(p->addr.v6);
		k->lo = be64(p->addr.v6 + 8);
	}
	k->len1 = p->len + 1u;
}

static inline uint64_t
key_hash(const struct lpm_rules *r, const struct key *k)
{
	if (r->family == PREFIX_AF_INET)
		return mix(k->hi << 8 | k->len1);
	return mix(k->hi ^ mix(k->lo ^ k->len1));
}

/* Slot access, per family */

static inline bool
slot_empty(const struct lpm_rules *r, uint32_t i)
{
	if (r->family == PREFIX_AF_INET)
		return ((const uint64_t *)r->slots)[i] == 0;
	return ((const struct slot6 *)r->slots)[i].len1 == 0;
}

static inline void
slot_key(const struct lpm_rules *r, uint32_t i, struct key *k)
{
	if (r->family == PREFIX_AF_INET) {
		uint64_t s = ((const uint64_t *)r->slots)[i];

		k->hi = s >> 32;
		k->lo = 0;
		k->len1 = (uint32_t)(s >> 24) & 0xff;
	} else {
		const struct slot6 *s = &((const struct slot6 *)r->slots)[i];

		k->hi = s->hi;
		k->lo = s->lo;
		k->len1 = s->len1;
	}
}

static inline bool
slot_is(const struct lpm_rules *r, uint32_t i, const struct key *k)
{
	if (r->family == PREFIX_AF_INET)
		return ((const uint64_t *)r->slots)[i] >> 24 ==
		       (k->hi << 8 | k->len1);
	const struct slot6 *s = &((const struct slot6 *)r->slots)[i];

	return s->len1 == k->len1 && s->hi == k->hi && s->lo == k->lo;
}

static inline uint32_t
slot_nh(const struct lpm_rules *r, uint32_t i)
{
	if (r->family == PREFIX_AF_INET)
		return (uint32_t)((const uint64_t *)r->slots)[i] & 0xffffff;
	return ((const struct slot6 *)r->slots)[i].nh;
}

static inline void
slot_set(struct lpm_rules *r, uint32_t i, const struct key *k, uint32_t nh)
{
	if (r->family == PREFIX_AF_INET) {
		((uint64_t *)r->slots)[i] =
			k->hi << 32 | (uint64_t)k->len1 << 24 | nh;
	} else {
		struct slot6 *s = &((struct slot6 *)r->slots)[i];

		s->hi = k->hi;
		s->lo = k->lo;
		s->nh = nh;
		s->len1 = k->len1;
	}
}

static inline void
slot_move(struct lpm_rules *r, uint32_t dst, uint32_t src)
{
	size_t sz = lpm_rules_slot_size(r);

	memcpy((char *)r->slots + dst * sz, (char *)r->slots + src * sz, sz);
}

static inline void
slot_clear(struct lpm_rules *r, uint32_t i)
{
	size_t sz = lpm_rules_slot_size(r);

	memset((char *)r->slots + i * sz, 0, sz);
}

/* Index of k, or of the empty slot where it would go. */
static inline uint32_t
probe(const struct lpm_rules *r, const struct key *k, bool *hit)
{
	uint32_t mask = r->cap - 1, i = (uint32_t)key_hash(r, k) & mask;

	for (;; i = (i + 1) & mask) {
		if (slot_empty(r, i)) {
			*hit = false;
			return i;
		}
		if (slot_is(r, i, k)) {
			*hit = true;
			return i;
		}
	}
}

/* Slot arrays of 2 MiB and more are mapped on huge pages: a probe is a
 * random access, and with a million rules the TLB misses would cost as much
 * as the cache misses. */
static void *
slots_alloc(const struct lpm_rules *r, uint32_t cap)
{
	size_t bytes = (size_t)cap * lpm_rules_slot_size(r);

	if (bytes >= HUGE_BYTES)
		return lpm_map(bytes, true);
	return calloc(cap, lpm_rules_slot_size(r));
}

static void
slots_free(const struct lpm_rules *r, void *slots, uint32_t cap)
{
	size_t bytes = (size_t)cap * lpm_rules_slot_size(r);

	if (bytes >= HUGE_BYTES)
		munmap(slots, bytes);
	else
		free(slots);
}

static int
grow(struct lpm_rules *r)
{
	struct lpm_rules n = *r;
	struct key k;
	bool hit;

	n.cap = r->cap == 0 ? 64 : r->cap * 2;
	n.slots = slots_alloc(r, n.cap);
	if (n.slots == NULL)
		return -CEN_ENOMEM;
	for (uint32_t i = 0; i < r->cap; i++) {
		if (slot_empty(r, i))
			continue;
		slot_key(r, i, &k);
		slot_set(&n, probe(&n, &k, &hit), &k, slot_nh(r, i));
	}
	if (r->slots != NULL)
		slots_free(r, r->slots, r->cap);
	r->slots = n.slots;
	r->cap = n.cap;
	return 0;
}

size_t
lpm_rules_slot_size(const struct lpm_rules *r)
{
	return r->family == PREFIX_AF_INET ? sizeof(uint64_t)
					   : sizeof(struct slot6);
}

void
lpm_rules_init(struct lpm_rules *r, uint8_t family)
{
	memset(r, 0, sizeof(*r));
	r->family = family;
}

void
lpm_rules_fini(struct lpm_rules *r)
{
	if (r->slots != NULL)
		slots_free(r, r->slots, r->cap);
	memset(r, 0, sizeof(*r));
}

bool
lpm_rules_find(const struct lpm_rules *r, const struct prefix *p, uint32_t *nh)
{
	struct key k;
	uint32_t i;
	bool hit;

	if (r->count == 0 || r->per_len[p->len] == 0)
		return false;
	key_of(r, p, &k);
	i = probe(r, &k, &hit);
	if (hit && nh != NULL)
		*nh = slot_nh(r, i);
	return hit;
}

int
lpm_rules_put(struct lpm_rules *r, const struct prefix *p, uint32_t nh,
	      uint32_t *old)
{
	struct key k;
	uint32_t i;
	bool hit;
	int rc;

	if ((uint64_t)(r->count + 1) * 4 > (uint64_t)r->cap * 3 &&
	    (rc = grow(r)) < 0)
		return rc;
	key_of(r, p, &k);
	i = probe(r, &k, &hit);
	if (hit) {
		*old = slot_nh(r, i);
		slot_set(r, i, &k, nh);
		return 0;
	}
	slot_set(r, i, &k, nh);
	r->count++;
	r->per_len[p->len]++;
	return 1;
}

int
lpm_rules_del(struct lpm_rules *r, const struct prefix *p, uint32_t *nh)
{
	uint32_t mask = r->cap - 1, i, j, home;
	struct key k;
	bool hit;

	if (r->count == 0)
		return -CEN_ENOENT;
	key_of(r, p, &k);
	i = probe(r, &k, &hit);
	if (!hit)
		return -CEN_ENOENT;
	if (nh != NULL)
		*nh = slot_nh(r, i);
	/* backward shift: pull up every later slot of the run that may
	 * live at i */
	for (j = (i + 1) & mask; !slot_empty(r, j); j = (j + 1) & mask) {
		slot_key(r, j, &k);
		home = (uint32_t)key_hash(r, &k) & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			slot_move(r, i, j);
			i = j;
		}
	}
	slot_clear(r, i);
	r->count--;
	r->per_len[p->len]--;
	return 0;
}

size_t
lpm_rules_bytes(const struct lpm_rules *r)
{
	return (size_t)r->cap * lpm_rules_slot_size(r);
}
