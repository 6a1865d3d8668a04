/*
 * lpm_int.h - the table engine shared by lpm4.c and lpm6.c (lpm.c); not for
 * other modules, which use lpm.h.
 *
 * A table is a first level ("root") of 2^root_bits entries indexed by the
 * top root_bits address bits (24 for IPv4, 16 for IPv6), then nodes of 256
 * entries, one per further address byte.  An entry is 32 bits:
 *
 *   bits  0..21  next hop (a leaf) or node index (a link)
 *   bit  22      LPM_E_EXT: a link to a node for the next byte
 *   bit  23      LPM_E_VALID: a leaf holding a next hop
 *   bits 24..31  leaf: depth, the length of the prefix the leaf came from
 *   bit  24      link: LPM_E_CARRY, the link carries a leaf (below)
 *   bit  25      link: LPM_E_SINGLE, the node is a single (below)
 *
 * Level L holds only the prefixes that end in it: lengths 0..root_bits in
 * the root, then lengths root_bits + 8(L-1) + 1 .. root_bits + 8L.  Within
 * a level an entry holds the longest such prefix covering its whole range
 * (leaf pushing), or 0 when none does; prefixes of other levels are not
 * pushed into it.  A link holds that leaf aside, in the node's carry word
 * (car[] for a group, the single's car), flagged by LPM_E_CARRY.  A lookup
 * follows links and keeps the last leaf it met (a carried one, or the last
 * entry's): prefixes met further down are longer, so that is the longest
 * match.  Updating a prefix therefore writes only the entries of its own
 * level, never the nodes below.
 *
 * A node is a group (256 entries, 1 KiB, one level) or, in IPv6 tables, a
 * single (16 bytes): a path-compressed chain of 1..LPM_SINGLE_MAX levels
 * that hold one non-zero entry each, the links between them carrying
 * nothing; it keeps the address bytes that select those entries (its key)
 * and the entry of its last level.  Most nodes of a real IPv6 table are
 * singles: a /48 alone in its /40, and everything below a lone /64 or /128
 * (a /128 alone under a /48 is two singles, not ten groups).  A node exists
 * only while it holds a non-zero entry; an empty one is folded back into
 * its link (which becomes the carried leaf, or 0), a group left with one
 * entry becomes a single, and two singles joined by a link that carries
 * nothing are merged.  Free groups are all zeroes, so a new one needs no
 * filling, and a count per group says when it is empty without reading it.
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
#define LPM_E_CARRY	  (1u << 24) /* links only */
#define LPM_E_SINGLE	  (1u << 25) /* links only */
#define LPM_GROUP_BITS	  8
#define LPM_GROUP_SIZE	  (1u << LPM_GROUP_BITS)

#define LPM_LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)

struct lpm_retire;

/* A single: key holds the address bytes that select its entries, the
 * first in the top byte, and their number (its levels) in the low byte;
 * val is the entry of its last level.  The key never changes while the
 * single is linked (a lookup reads key and val apart). */
#define LPM_SINGLE_MAX 7
struct lpm_single {
	uint32_t val;
	uint32_t car; /* carried leaf, read when the link has LPM_E_CARRY */
	uint64_t key;
};

_Static_assert(sizeof(struct lpm_single) == 16, "a single is 16 bytes");

static inline unsigned
lpm_single_len(uint64_t key)
{
	return (unsigned)(key & 0xff);
}

/* The top n bytes (1 <= n <= 7) of a key. */
static inline uint64_t
lpm_key_mask(unsigned n)
{
	return ~0ull << (64 - 8 * n);
}

/* Elements of one kind (groups, singles) taken lowest index first from a
 * range of address space reserved once, committed as used; a 2 MiB stretch
 * whose elements are all free goes back to the system. */
struct lpm_pool {
	char *base;
	size_t bytes;	      /* reserved */
	uint32_t esize;	      /* bytes per element */
	uint32_t max;	      /* elements */
	uint32_t n;	      /* in use or awaiting reclaim */
	uint32_t hint;	      /* lowest word of used[] with a clear bit */
	unsigned chunk_shift; /* log2 of the elements per 2 MiB */
	uint64_t *used;	      /* a bit per element; NULL until the first */
	uint32_t *chunk_used; /* elements in use per 2 MiB stretch */
	uint32_t chunks_live; /* stretches with elements in use */
};

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
	uint32_t *root;		   /* 2^root_bits entries; NULL while empty */
	uint32_t *grp;		   /* group range, max_groups * 256 entries */
	uint32_t *car;		   /* carry word per group */
	struct lpm_single *single; /* single range, max_groups */
	/* Writer only. */
	uint8_t family, maxlen, root_bits, nlevels;
	bool use_single; /* make singles (IPv6); else groups only */
	uint32_t max_groups;
	/* per group: non-zero entries (bits 0..15) and the xor of their
	 * indices (16..23), which is the index when there is one */
	uint32_t *meta;
	struct lpm_pool groups, singles;
	size_t root_bytes, side_bytes;
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

/* The leaf a link carries (only called when it has LPM_E_CARRY). */
static inline uint32_t
lpm_carried(const struct lpm_tab *t, uint32_t e)
{
	if (e & LPM_E_SINGLE)
		return LPM_LOAD(&t->single[e & LPM_E_MASK].car);
	return LPM_LOAD(&t->car[e & LPM_E_MASK]);
}

#endif
