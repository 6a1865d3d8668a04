/*
 * lpm_int.h - the table engine shared by lpm4.c and lpm6.c (lpm.c); not for
 * other modules, which use lpm.h.
 *
 * A table is a first level ("root") of 2^root_bits entries indexed by the
 * top root_bits address bits (24 for IPv4, 16 for IPv6), then groups of 256
 * entries, one per further address byte.  An entry is 32 bits:
 *
 *   bits  0..21  next hop (a leaf) or group index (an extension)
 *   bit  22      LPM_E_EXT: the entry points to a group for the next byte
 *   bit  23      LPM_E_VALID: a leaf holding a next hop
 *   bits 24..31  depth: length of the prefix the leaf came from
 *
 * 0 is the invalid leaf (no route, depth 0).  Every leaf holds the longest
 * prefix covering its whole range (leaf pushing), so a lookup follows
 * extensions until it reaches a leaf.  Invariant: a group exists only when
 * it holds an extension or a leaf deeper than the group's first bit;
 * otherwise all its entries would be equal and it is folded back into its
 * parent entry.
 */
#ifndef CEN_LPM_INT_H
#define CEN_LPM_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/prefix.h"
#include "dataplane/lpm.h"

#define LPM_E_MASK	  LPM_NH_MAX
#define LPM_E_EXT	  (1u << 22)
#define LPM_E_VALID	  (1u << 23)
#define LPM_E_DEPTH_SHIFT 24
#define LPM_GROUP_BITS	  8
#define LPM_GROUP_SIZE	  (1u << LPM_GROUP_BITS)

#define LPM_LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)

struct lpm_retire;

/* The rule store (lpm_rules.c): prefix -> next hop. */
struct lpm_rules {
	uint8_t family;
	uint32_t cap;	       /* slots, a power of two (0 before the first) */
	uint32_t count;	       /* rules */
	uint32_t per_len[129]; /* rules per prefix length */
	void *slots;
};

struct lpm_tab {
	/* Read by lookups. */
	uint32_t *root; /* 2^root_bits entries; NULL while empty */
	uint32_t *grp;	/* reserved group range, max_groups * 256 entries */
	/* Writer only. */
	uint8_t family, maxlen, root_bits, nlevels;
	uint32_t max_groups;
	uint32_t ngroups;     /* groups linked or awaiting reclaim */
	uint32_t hint;	      /* lowest word of used[] with a clear bit */
	uint64_t *used;	      /* a bit per group; NULL until the first */
	uint16_t *chunk_used; /* groups in use per 2 MiB stretch */
	uint32_t chunks_live; /* stretches with groups in use */
	size_t root_bytes, grp_bytes;
	struct lpm_rules rules;
	struct lpm_retire *batch; /* groups retired since the last call_rcu */
	struct lpm_retire *done;  /* batches past their grace period */
	unsigned long inflight;	  /* batches handed to call_rcu */
};

/* lpm.c */
int lpm_tab_init(struct lpm_tab *t, uint8_t family,
		 const struct lpm_config *cfg);
void lpm_tab_fini(struct lpm_tab *t);
int lpm_tab_add(struct lpm_tab *t, const struct prefix *p, uint32_t nh);
int lpm_tab_del(struct lpm_tab *t, const struct prefix *p);
int lpm_tab_get(const struct lpm_tab *t, const struct prefix *p, uint32_t *nh);
void lpm_tab_mem(const struct lpm_tab *t, struct lpm_mem *m);
void lpm_tab_reclaim(struct lpm_tab *t);
/* Maps size bytes of zeroes, committed as touched; with huge, 2 MiB
 * aligned and advised for transparent huge pages.  munmap() to free. */
void *lpm_map(size_t size, bool huge);

/* lpm_rules.c */
void lpm_rules_init(struct lpm_rules *r, uint8_t family);
void lpm_rules_fini(struct lpm_rules *r);
/* True if p is stored; its next hop goes to *nh (may be NULL). */
bool lpm_rules_find(const struct lpm_rules *r, const struct prefix *p,
		    uint32_t *nh);
/* Stores p -> nh: returns 1 if p is new, 0 if it was there (its previous
 * next hop goes to *old), -CEN_ENOMEM. */
int lpm_rules_put(struct lpm_rules *r, const struct prefix *p, uint32_t nh,
		  uint32_t *old);
/* Removes p (its next hop to *nh, may be NULL): 0 or -CEN_ENOENT. */
int lpm_rules_del(struct lpm_rules *r, const struct prefix *p, uint32_t *nh);
size_t lpm_rules_bytes(const struct lpm_rules *r);
size_t lpm_rules_slot_size(const struct lpm_rules *r);

static inline uint32_t
lpm_leaf_nh(uint32_t e)
{
	return (e & LPM_E_VALID) ? (e & LPM_E_MASK) : LPM_MISS;
}

#endif
