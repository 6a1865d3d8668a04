/*
 * trie.h - a path-compressed binary (Patricia) trie keyed by prefix.
 *
 * One trie holds one family.  Every stored prefix owns a node with
 * `payload_size` bytes of caller data (zeroed on insert); branching ("glue")
 * nodes carry no payload and are invisible to callers.  Nodes come from two
 * slabs (with and without payload).  Supports exact match, longest match, and
 * ordered walks of everything under a prefix ("or-longer") and of everything
 * covering a prefix ("or-shorter").
 *
 * Ordered walks visit prefixes in prefix_cmp order.  Walks that must not run
 * unbounded take a cursor: trie_walk_from visits at most `budget` prefixes
 * starting after a given key and returns where to resume; the cursor is a
 * key, so it stays valid across inserts and deletes between slices.
 */
#ifndef CEN_TRIE_H
#define CEN_TRIE_H

#include <stdbool.h>
#include <stddef.h>

#include "prefix.h"
#include "slab.h"

struct trie_node; /* opaque */

struct trie {
	uint8_t family;
	size_t payload_size;
	struct trie_node *root;
	size_t count; /* prefixes stored (not glue) */
	struct slab full, glue;
	void *jump; /* private to trie.c: per 16-bit slot, where exact-match
		     * descents start (NULL until the trie is large) */
	struct trie_node *hint; /* private to trie.c: the node the last exact
				 * lookup found (not thread-safe, as the rest) */
};

/* Called by walks; return non-zero to stop the walk early (the value is
 * returned by the walk function).  In trie_walk, trie_walk_longer and
 * trie_walk_shorter the callback may delete the prefix it is visiting but
 * must not otherwise insert or delete; trie_walk_from allows both. */
typedef int (*trie_walk_cb)(const struct prefix *p, void *payload, void *arg);

/* trie.c */
void trie_init(struct trie *t, uint8_t family, size_t payload_size);
/* Frees every node; payloads are not visited (free what they point to
 * first, with a walk). */
void trie_fini(struct trie *t);

/* Returns the payload of p, creating it (zeroed) if absent; *created tells
 * which (may be NULL).  NULL when out of memory.  p must be of the trie's
 * family (a caller bug aborts); lookups, deletes and walks treat a prefix of
 * another family as absent.  Host bits past p->len are ignored. */
void *trie_get(struct trie *t, const struct prefix *p, bool *created);
/* Returns the payload of exactly p, or NULL. */
void *trie_find(const struct trie *t, const struct prefix *p);
/* Removes p; returns 0 or -CEN_ENOENT.  The payload memory is released. */
int trie_del(struct trie *t, const struct prefix *p);
/* Longest stored prefix containing p (p itself included); NULL if none.
 * *found receives that prefix when not NULL. */
void *trie_lpm(const struct trie *t, const struct prefix *p,
	       struct prefix *found);
/* The prefix a payload belongs to (payload must come from this trie). */
void trie_payload_prefix(const struct trie *t, const void *payload,
			 struct prefix *out);

/* Every stored prefix inside p (p included), in order. */
int trie_walk_longer(const struct trie *t, const struct prefix *p,
		     trie_walk_cb cb, void *arg);
/* Every stored prefix containing p (p included), shortest first. */
int trie_walk_shorter(const struct trie *t, const struct prefix *p,
		      trie_walk_cb cb, void *arg);
/* Every stored prefix, in order. */
int trie_walk(const struct trie *t, trie_walk_cb cb, void *arg);

/* Bytes held from the system by the trie's nodes (both slabs). */
size_t trie_bytes(const struct trie *t);
/* Bytes per node: with payload (full) or glue. */
size_t trie_node_size(const struct trie *t, bool full);

/* Resumable ordered walk over the prefixes inside `within` (NULL: all).
 * Starts after *cursor (or at the beginning when *started is false), visits
 * at most budget prefixes, updates *cursor and *started, and returns the number
 * visited; a return below budget means the walk is complete.  The callback
 * may insert or delete prefixes other than the one it is visiting, and may
 * delete the visited one.  A non-zero callback return ends the slice after
 * that prefix (it counts as visited and the cursor is left on it). */
size_t trie_walk_from(struct trie *t, const struct prefix *within,
		      struct prefix *cursor, bool *started, size_t budget,
		      trie_walk_cb cb, void *arg);

#endif
