/*
 * attr.h - interned, refcounted path attribute sets.
 *
 * Paths point at an attribute set instead of owning their attributes, so a
 * million paths with a few thousand distinct sets cost a few thousand set
 * objects.  AS paths, community lists and large-community lists are interned
 * on their own, and a set is interned over the pointers to them.  Everything
 * returned by attr_intern is immutable and shared: take a reference with
 * attr_ref, drop it with attr_unref; a refcount below zero aborts.
 *
 * The store is per engine (struct attr_store) so that engines never share
 * state.  Nothing here hashes a pointer's address: a set's hash is computed
 * from the contents of its parts, so iteration and hashes are the same on
 * every node whatever the allocation order.
 */
#ifndef CEN_ATTR_H
#define CEN_ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hmap.h"
#include "prefix.h"
#include "slab.h"

enum {
	ATTR_ORIGIN_IGP = 0,
	ATTR_ORIGIN_EGP = 1,
	ATTR_ORIGIN_INCOMPLETE = 2,
};

enum {
	ATTR_SEG_SET = 1,      /* AS_SET */
	ATTR_SEG_SEQUENCE = 2, /* AS_SEQUENCE */
	ATTR_SEG_CONFED_SEQUENCE = 3,
	ATTR_SEG_CONFED_SET = 4,
};

#define ATTR_PREF_DEFAULT 50
#define ATTR_PREF_MIN	  1
#define ATTR_PREF_MAX	  100

/* An AS path: segments encoded as [type, count, asn * count] runs in asns[]
 * (type and count each take one uint32 slot). */
struct attr_aspath {
	uint32_t refcnt;
	uint64_t hash;
	uint32_t nwords; /* length of words[] */
	uint32_t hops;	 /* path length for best-path (a SET counts as 1) */
	bool has_set;	 /* any AS_SET / CONFED_SET segment */
	uint32_t words[];
};

/* A sorted, duplicate-free list of 32-bit values (RFC 1997 communities). */
struct attr_comms {
	uint32_t refcnt;
	uint64_t hash;
	uint32_t n;
	uint32_t v[];
};

/* RFC 8092 large communities, sorted, duplicate-free, as triples. */
struct attr_lcomm {
	uint32_t global, local1, local2;
};
struct attr_lcomms {
	uint32_t refcnt;
	uint64_t hash;
	uint32_t n;
	struct attr_lcomm v[];
};

/* Optional transitive attributes we do not interpret, passed on as received
 * (issue: BGP speaker); raw wire bytes, flags included. */
struct attr_opaque {
	uint32_t refcnt;
	uint64_t hash;
	uint32_t len;
	uint8_t bytes[];
};

#define ATTR_F_MED	  0x01 /* med is set */
#define ATTR_F_LOCALPREF  0x02 /* localpref is set */
#define ATTR_F_ATOMIC	  0x04 /* ATOMIC_AGGREGATE */
#define ATTR_F_AGGREGATOR 0x08 /* aggregator_as/aggregator_id set */
#define ATTR_F_ORIGINATOR 0x10 /* originator_id set */

/* An attribute set.  Build one on the stack with the parts already interned
 * (or NULL for empty), then intern it. */
struct attrs {
	uint32_t refcnt;
	uint64_t hash;
	uint8_t origin; /* ATTR_ORIGIN_* */
	uint8_t pref;	/* route-map preference 1..100, default 50 */
	uint8_t flags;	/* ATTR_F_* */
	uint8_t weight; /* ECMP weight 1..255, default 1 */
	uint32_t med;
	uint32_t localpref;
	uint32_t aggregator_as;
	uint32_t aggregator_id;
	uint32_t originator_id;
	struct prefix nexthop;		   /* family NONE when absent */
	const struct attr_aspath *aspath;  /* NULL: empty */
	const struct attr_comms *comms;	   /* NULL: none */
	const struct attr_lcomms *lcomms;  /* NULL: none */
	const struct attr_comms *clusters; /* CLUSTER_LIST, in order; NULL */
	const struct attr_opaque *opaque;  /* NULL: none */
};

/* An open-addressing table of interned objects (private to attr.c): each
 * slot holds an object's content hash next to its address, so a probe
 * reads no object but the one whose hash matches, and a removal touches
 * only the slots. */
struct attr_slot {
	uint64_t hash;
	void *obj; /* NULL: empty */
};

struct attr_table {
	struct attr_slot *slots; /* mask + 1; NULL while empty */
	size_t mask;
	size_t count; /* objects in the table */
};

struct attr_store {
	struct attr_table sets, aspaths, comms, lcomms, opaques;
	struct slab set_mem; /* the sets themselves */
	size_t bytes;	     /* memory held by interned objects */
};

/* attr.c */
void attr_store_init(struct attr_store *st);
/* Every object must have been released; aborts listing the leak otherwise
 * unless force is true. */
void attr_store_fini(struct attr_store *st, bool force);

/* Fills a with defaults: origin IGP, pref 50, weight 1, nothing else. */
void attr_init(struct attrs *a);

/* Checks an AS path encoding: a sequence of [type, count, asn * count] runs
 * exactly filling nwords, type ATTR_SEG_*, count 1..255 (the wire's one-octet
 * segment length).  nwords == 0 (the empty path) is valid.  Returns 0 or
 * -CEN_EPARSE.  Callers holding words from outside (the BGP codec) must check
 * before attr_aspath_intern. */
int attr_aspath_check(const uint32_t *words, uint32_t nwords);

/* Interning: each returns a shared object with one reference added for the
 * caller, or NULL when out of memory (only then, except attr_aspath_seq with
 * n == 0).  The input is copied and stays the caller's.  An empty input
 * (nwords/n/len 0) gives an interned empty object; attr_intern treats an
 * empty part as NULL.  Communities are sorted and deduplicated.
 * attr_aspath_intern's words must be valid (attr_aspath_check): malformed
 * words abort, they are a caller bug. */
const struct attr_aspath *attr_aspath_intern(struct attr_store *st,
					     const uint32_t *words,
					     uint32_t nwords);
/* Convenience: a single AS_SEQUENCE of n ASNs (n == 0 gives NULL; more than
 * 255 ASNs are split into consecutive AS_SEQUENCE segments of at most 255). */
const struct attr_aspath *attr_aspath_seq(struct attr_store *st,
					  const uint32_t *asns, uint32_t n);
/* A new path: prepend asns (an AS_SEQUENCE run) to old (NULL: empty).  If
 * old starts with an AS_SEQUENCE and the merged count stays <= 255 the ASNs
 * join that segment, otherwise they form a new leading AS_SEQUENCE segment.
 * old keeps its reference; the result carries one for the caller. */
const struct attr_aspath *attr_aspath_prepend(struct attr_store *st,
					      const struct attr_aspath *old,
					      const uint32_t *asns, uint32_t n);
/* The ASNs of all AS_SEQUENCE segments in path order, flattened (SET and
 * confederation segments skipped): fills out (up to max), returns how many
 * there are in all, which may exceed max.  NULL is empty.  Used by route-map
 * AS conditions. */
uint32_t attr_aspath_flat(const struct attr_aspath *ap, uint32_t *out,
			  uint32_t max);
const struct attr_comms *attr_comms_intern(struct attr_store *st,
					   const uint32_t *v, uint32_t n);
/* CLUSTER_LIST: interned like communities (same map, same struct) but kept
 * in the given order, duplicates included. */
const struct attr_comms *attr_clusters_intern(struct attr_store *st,
					      const uint32_t *v, uint32_t n);
const struct attr_lcomms *attr_lcomms_intern(struct attr_store *st,
					     const struct attr_lcomm *v,
					     uint32_t n);
const struct attr_opaque *
attr_opaque_intern(struct attr_store *st, const uint8_t *bytes, uint32_t len);
/* Interns a set whose parts are already interned; the set takes its own
 * references on the parts (the caller keeps its references). */
const struct attrs *attr_intern(struct attr_store *st, const struct attrs *a);

/* References; unref of NULL does nothing.  Dropping the last reference to a
 * set frees it and drops its references on its parts. */
void attr_ref(const struct attrs *a);
void attr_unref(struct attr_store *st, const struct attrs *a);
void attr_aspath_unref(struct attr_store *st, const struct attr_aspath *p);
void attr_comms_unref(struct attr_store *st, const struct attr_comms *c);
void attr_lcomms_unref(struct attr_store *st, const struct attr_lcomms *c);
void attr_opaque_unref(struct attr_store *st, const struct attr_opaque *o);

/* Number of interned attribute sets (for tests and statistics). */
size_t attr_store_count(const struct attr_store *st);

/* Community helpers on interned lists (NULL is the empty list).
 * attr_comms_has also works on a CLUSTER_LIST; intersects and union need
 * sorted lists (attr_comms_intern); equal compares element by element.
 * attr_comms_union returns a reference for the caller (a or b itself when
 * one covers the other); NULL only when out of memory. */
bool attr_comms_has(const struct attr_comms *c, uint32_t v);
bool attr_comms_intersects(const struct attr_comms *a,
			   const struct attr_comms *b);
bool attr_comms_equal(const struct attr_comms *a, const struct attr_comms *b);
const struct attr_comms *attr_comms_union(struct attr_store *st,
					  const struct attr_comms *a,
					  const struct attr_comms *b);

/* Formatting for listings: "65001 65002 {65003,65004}" (confederation
 * segments as "(65001 65002)" and "[65003,65004]"), "65000:300 65000:301";
 * NULL or empty gives "".  Output is truncated to size; returns buf. */
char *attr_aspath_fmt(const struct attr_aspath *p, char *buf, size_t size);
char *attr_comms_fmt(const struct attr_comms *c, char *buf, size_t size);
/* Parses "65000:300" (each half 0..65535) into v; 0 or -CEN_EPARSE. */
int attr_comm_parse(const char *s, uint32_t *v);

#endif
