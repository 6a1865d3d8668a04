/*
 * hmap.c - open-addressing hash map (hmap.h).
 *
 * One array of (hash, key, value) slots, power-of-two sized, probed
 * linearly from hash & (cap - 1).  A hash of 0 marks an empty slot, so a
 * real hash of 0 is stored as 1.  The map doubles when it would pass 3/4
 * full.  Deletion shifts the following entries of the probe run back
 * (Knuth's algorithm R), so there are no tombstones and lookups never probe
 * past the first empty slot.
 */
#include "hmap.h"

#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "err.h"

#define HMAP_MIN_CAP 8

static inline uint64_t
fix_hash(uint64_t hash)
{
	return hash != 0 ? hash : 1;
}

void
hmap_init(struct hmap *m, hmap_eq_fn eq)
{
	memset(m, 0, sizeof(*m));
	m->eq = eq;
}

void
hmap_fini(struct hmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = 0;
	m->count = 0;
}

/* Index of the slot holding key, or of the empty slot ending its probe
 * run.  The map must have at least one empty slot. */
static size_t
find_slot(const struct hmap *m, uint64_t hash, const void *key)
{
	size_t mask = m->cap - 1, i = hash & mask;
	const struct hmap_slot *s;

	for (;; i = (i + 1) & mask) {
		s = &m->slots[i];
		if (s->hash == 0)
			return i;
		if (s->hash == hash && m->eq(s->key, key))
			return i;
	}
}

static int
hmap_resize(struct hmap *m, size_t cap)
{
	struct hmap_slot *old = m->slots, *slots;
	size_t old_cap = m->cap, i, j, mask = cap - 1;

	slots = calloc(cap, sizeof(*slots));
	if (slots == NULL)
		return -CEN_ENOMEM;
	for (i = 0; i < old_cap; i++) {
		if (old[i].hash == 0)
			continue;
		for (j = old[i].hash & mask; slots[j].hash != 0;
		     j = (j + 1) & mask)
			;
		slots[j] = old[i];
	}
	free(old);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

void *
hmap_get(const struct hmap *m, uint64_t hash, const void *key)
{
	size_t i;

	if (m->count == 0)
		return NULL;
	hash = fix_hash(hash);
	i = find_slot(m, hash, key);
	return m->slots[i].hash != 0 ? m->slots[i].val : NULL;
}

int
hmap_put(struct hmap *m, uint64_t hash, const void *key, void *val, void **old)
{
	struct hmap_slot *s;
	size_t i;
	int rc;

	hash = fix_hash(hash);
	if (m->cap != 0) {
		i = find_slot(m, hash, key);
		s = &m->slots[i];
		if (s->hash != 0) {
			if (old != NULL)
				*old = s->val;
			s->key = key;
			s->val = val;
			return 0;
		}
	}
	if ((m->count + 1) * 4 > m->cap * 3) {
		rc = hmap_resize(m, m->cap != 0 ? m->cap * 2 : HMAP_MIN_CAP);
		if (rc < 0)
			return rc;
	}
	i = find_slot(m, hash, key);
	s = &m->slots[i];
	s->hash = hash;
	s->key = key;
	s->val = val;
	m->count++;
	if (old != NULL)
		*old = NULL;
	return 0;
}

void *
hmap_del(struct hmap *m, uint64_t hash, const void *key)
{
	size_t mask = m->cap - 1, i, j, home;
	void *val;

	if (m->count == 0)
		return NULL;
	hash = fix_hash(hash);
	i = find_slot(m, hash, key);
	if (m->slots[i].hash == 0)
		return NULL;
	val = m->slots[i].val;
	/* Shift back every later entry of the run that may move to i. */
	for (j = (i + 1) & mask; m->slots[j].hash != 0; j = (j + 1) & mask) {
		home = m->slots[j].hash & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	memset(&m->slots[i], 0, sizeof(m->slots[i]));
	m->count--;
	return val;
}

bool
hmap_next(const struct hmap *m, size_t *iter, const void **key, void **val)
{
	size_t i;

	for (i = *iter; i < m->cap; i++) {
		if (m->slots[i].hash == 0)
			continue;
		if (key != NULL)
			*key = m->slots[i].key;
		if (val != NULL)
			*val = m->slots[i].val;
		*iter = i + 1;
		return true;
	}
	*iter = m->cap;
	return false;
}

uint64_t
hmap_hash_bytes(const void *p, size_t n, uint64_t seed)
{
	return XXH3_64bits_withSeed(p, n, seed);
}

uint64_t
hmap_hash_str(const char *s)
{
	return XXH3_64bits(s, strlen(s));
}
