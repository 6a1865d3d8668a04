/*
 * bgp_adjrib.h - one BGP peer's per-prefix state in one table: its
 * Adj-RIB-In (what the peer sent), its Adj-RIB-Out (what it was sent), and
 * which prefixes wait to be proposed to the cluster (pending), are stale
 * (graceful restart) or were in the cluster before this node started
 * (resync).
 *
 * A full table is a million prefixes per peer, each touched several times
 * on its way through the cluster, so the state of a prefix is one entry in
 * one array, found through one array of index slots (open addressing,
 * linear probing, backward-shift deletion): no allocation per prefix, and
 * one lookup gives all of it.  An entry keeps its index while it lives, so
 * the pending queue holds indices and runs in the order the prefixes were
 * queued; an entry lives while it holds attributes or a flag, and
 * adj_release frees the index of one that holds nothing (indices are
 * reused).
 *
 * Attribute sets are counted references in the caller's attr_store: the
 * table takes one for each set it holds and drops it when the set is
 * replaced or cleared.  Out of memory aborts (as everywhere in the
 * speaker).  Not thread-safe.
 */
#ifndef CEN_BGP_ADJRIB_H
#define CEN_BGP_ADJRIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/attr.h"
#include "core/prefix.h"

#define ADJ_NONE UINT32_MAX

/* Entry flags.  PENDING is queued: an index is in the queue exactly while
 * its entry has the flag. */
enum {
	ADJ_PENDING = 0x01, /* to propose: the current `in` (NULL: withdraw) */
	ADJ_STALE = 0x02,   /* in: kept over the peer's graceful restart */
	ADJ_RESYNC = 0x04,  /* the cluster has it from this node's session
			     * before this node started */
};

/* 24 bytes: a million prefixes per peer, on every node.  An IPv6 address
 * is kept aside (adj_prefix puts a prefix together). */
struct adj_ent {
	const struct attrs *in;	 /* Adj-RIB-In; NULL: not received */
	const struct attrs *out; /* Adj-RIB-Out; NULL: not advertised */
	uint32_t addr;		 /* IPv4: the address's bytes; IPv6: its index
				  * in v6 */
	uint8_t family;		 /* PREFIX_AF_NONE: a free entry */
	uint8_t len;
	uint8_t flags; /* ADJ_* */
};

struct adj_queue {
	uint32_t *v;
	size_t head, n, cap; /* live indices are v[head..n) */
};

struct adj_rib {
	struct adj_ent *ents; /* nents used (live or free), cap allocated */
	size_t nents, cap;
	uint32_t *free; /* indices of free entries */
	size_t nfree, free_cap;
	uint8_t (*v6)[16]; /* the IPv6 entries' addresses, nv6 used */
	size_t nv6, v6_cap;
	uint32_t *v6_free; /* free indices of v6 */
	size_t nv6_free, v6_free_cap;
	struct adj_slot {
		uint32_t hash;
		uint32_t idx1; /* entry index + 1; 0: empty slot */
	} * slots;
	size_t nslots;		   /* any size (grows by half), or 0 */
	size_t live;		   /* entries in use */
	size_t nin, nout, nresync; /* entries with in, out, ADJ_RESYNC */
	struct adj_queue pending;
};

/* bgp_adjrib.c */
void adj_init(struct adj_rib *r);
/* Drops every reference and frees the table (it is empty afterwards). */
void adj_fini(struct adj_rib *r, struct attr_store *st);

/* The entry of p: ADJ_NONE when there is none. */
uint32_t adj_find(const struct adj_rib *r, const struct prefix *p);
/* Starts loading what adj_find(r, p) will read: p's index slot, and its
 * entry once the slot is in the cache (a caller that walks a list of
 * prefixes calls it with far = true a few prefixes ahead, then with far =
 * false nearer).  A hint only. */
void adj_prefetch(const struct adj_rib *r, const struct prefix *p, bool far);
/* The entry of p, made (empty) when there is none.  An empty entry must be
 * given to adj_release once the caller is done with it. */
uint32_t adj_get(struct adj_rib *r, const struct prefix *p);
/* Frees entry i if it holds nothing (no in, no out, no flag). */
void adj_release(struct adj_rib *r, uint32_t i);

static inline struct adj_ent *
adj_ent(const struct adj_rib *r, uint32_t i)
{
	return &r->ents[i];
}

/* The prefix of entry i. */
static inline struct prefix
adj_prefix(const struct adj_rib *r, uint32_t i)
{
	const struct adj_ent *e = &r->ents[i];
	struct prefix p = { .family = e->family, .len = e->len };

	if (e->family == PREFIX_AF_INET)
		memcpy(p.addr.v4, &e->addr, 4);
	else if (e->family == PREFIX_AF_INET6)
		memcpy(p.addr.v6, r->v6[e->addr], 16);
	return p;
}

/* Replace in or out of entry i (a NULL clears it), references taken and
 * dropped in st.  Setting in also clears ADJ_STALE. */
void adj_set_in(struct adj_rib *r, struct attr_store *st, uint32_t i,
		const struct attrs *a);
void adj_set_out(struct adj_rib *r, struct attr_store *st, uint32_t i,
		 const struct attrs *a);

/* Sets flag on entry i, queueing it for ADJ_PENDING. */
void adj_mark(struct adj_rib *r, uint32_t i, uint8_t flag);
/* Clears a flag that has no queue (ADJ_STALE, ADJ_RESYNC). */
void adj_unmark(struct adj_rib *r, uint32_t i, uint8_t flag);
/* Takes the oldest index from the pending queue and clears its
 * ADJ_PENDING; ADJ_NONE when the queue is empty.  The caller adj_releases
 * it when done. */
uint32_t adj_pop(struct adj_rib *r);
/* Indices in the pending queue. */
size_t adj_queued(const struct adj_rib *r);

/* Iteration over live entries in index order:
 *   for (uint32_t i = 0; (i = adj_next(r, i)) != ADJ_NONE; i++) ...
 * Entries may be changed and released meanwhile, not added.  A pointer from
 * adj_ent stays valid until the entry is released. */
uint32_t adj_next(const struct adj_rib *r, uint32_t from);

/* Whole-table operations: clear every in (and ADJ_STALE), every out, or a
 * flag everywhere (emptying its queue), releasing what becomes empty. */
void adj_clear_in(struct adj_rib *r, struct attr_store *st);
void adj_clear_out(struct adj_rib *r, struct attr_store *st);
void adj_clear_flag(struct adj_rib *r, uint8_t flag);

#endif
