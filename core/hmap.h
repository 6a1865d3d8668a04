/*
 * hmap.h - open-addressing hash map from caller keys to pointers.
 *
 * The caller supplies the hash of each key and an equality callback; the map
 * stores (hash, key pointer, value pointer) triples in one array with linear
 * probing and backward-shift deletion.  Keys are not copied: the key pointer
 * must stay valid while the item is in the map (usually the key lives in the
 * value).  Iteration order depends on hashes only, never on addresses,
 * provided the hash function does not hash pointers.
 */
#ifndef CEN_HMAP_H
#define CEN_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef bool (*hmap_eq_fn)(const void *key_a, const void *key_b);

struct hmap_slot {
	uint64_t hash; /* 0 marks an empty slot; real hashes of 0 become 1 */
	const void *key;
	void *val;
};

struct hmap {
	struct hmap_slot *slots;
	size_t cap; /* power of two, or 0 */
	size_t count;
	hmap_eq_fn eq;
};

/* hmap.c */
void hmap_init(struct hmap *m, hmap_eq_fn eq);
void hmap_fini(struct hmap *m);
void *hmap_get(const struct hmap *m, uint64_t hash, const void *key);
/* Inserts or replaces; returns 0 or -CEN_ENOMEM.  *old receives the value
 * replaced (NULL if none) when old is not NULL. */
int hmap_put(struct hmap *m, uint64_t hash, const void *key, void *val,
	     void **old);
/* Removes and returns the value, or NULL. */
void *hmap_del(struct hmap *m, uint64_t hash, const void *key);
/* Iteration: for (size_t i = 0; hmap_next(m, &i, &k, &v);) ...
 * Must not insert or delete during iteration. */
bool hmap_next(const struct hmap *m, size_t *iter, const void **key,
	       void **val);

/* Hash helpers (XXH3, 64-bit). */
uint64_t hmap_hash_bytes(const void *p, size_t n, uint64_t seed);
uint64_t hmap_hash_str(const char *s);

#endif
