/*
 * lpm.h - longest-prefix-match tables of the forwarder (cenfwd), one per
 * route table or view and address family (DESIGN.md, "dataplane/: cenfwd").
 *
 * IPv4 (lpm4.c) is DIR-24-8, as DPDK's rte_lpm: a first-level array of 2^24
 * entries indexed by the top 24 address bits, and groups of 256 entries for
 * the last byte of prefixes longer than /24.  IPv6 (lpm6.c) is a multibit
 * trie of the same entries: a first level of 2^16 entries, then one level
 * per further address byte a prefix needs (up to 14), each a group of 256
 * entries or, where a level holds one entry, part of a path-compressed
 * "single" of 16 bytes (lpm_int.h).  Both share the engine in lpm.c.  A
 * prefix's leaf is stored only in the level where it ends (a link carries
 * the leaf of its own entry), so an update writes one level and nothing
 * below it.  A lookup returns the next hop of the longest matching prefix:
 * an index into the caller's next-hop (or next-hop group) table,
 * 0..LPM_NH_MAX, or LPM_MISS when no prefix matches.
 *
 * The table keeps its rules (prefix -> next hop) in a hash table beside the
 * lookup structure (lpm_rules.c), the authoritative store: deleting a
 * prefix restores the next covering one.
 *
 * Concurrency (RCU, liburcu's default flavour: <urcu.h>, urcu-memb, linked
 * as pkg-config module liburcu):
 *
 * - Readers: any number of threads, each registered with
 *   rcu_register_thread(), call lpm4_lookup*, lpm6_lookup* inside
 *   rcu_read_lock() / rcu_read_unlock().  One read-side section may cover
 *   many lookups (a burst of packets); next hops are plain integers, so
 *   nothing needs the section once the lookup has returned.  Lookups never
 *   block, never write and never see a half-built state: each returns the
 *   next hop the table gave that address before or after any update that
 *   runs concurrently, never anything else.
 * - Writer: one thread at a time per table (the caller serialises), itself
 *   registered with rcu_register_thread() and not inside a read-side
 *   section, calls everything else.  Entries change in place with single
 *   32-bit stores; a node is set up before it is linked, and a node is
 *   replaced (split, merged, turned from a single into a group or back) by
 *   linking a new one that reads the same; an unlinked node (or an emptied
 *   first level) is reused or returned to the system only after a grace
 *   period (call_rcu), so the writer never waits for readers, with two
 *   exceptions: when it runs out of memory for its list of retired nodes,
 *   and when the nodes it needs are all waiting for a grace period (it has
 *   outrun the call_rcu thread); it then waits for one (synchronize_rcu(),
 *   rcu_barrier()).  Nodes whose grace period has passed are taken back at
 *   the writer's next add or delete; lpm*_reclaim() waits for a grace
 *   period on purpose and takes every retired node back at once.
 * - lpm*_free(): no reader may use the table any more (unpublish it, then
 *   synchronize_rcu()).  It waits for the table's pending call_rcu
 *   callbacks (rcu_barrier()).
 *
 * Memory: a new or emptied table holds no first level (lookups miss without
 * touching one); the first add maps it (64 MiB for IPv4, on transparent
 * huge pages where the kernel allows; 256 KiB for IPv6).  Groups are 1 KiB
 * (plus 8 bytes of carry word and count), singles 16 bytes, each taken
 * lowest index first from a range of address space reserved by lpm*_new
 * (max_groups of each, committed only as used, on huge pages); a 2 MiB
 * stretch whose nodes have all been freed goes back to the system.  The
 * rule store costs 8 bytes per IPv4 rule and 24 per IPv6 rule at 3/8..3/4
 * load.
 */
#ifndef CEN_LPM_H
#define CEN_LPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LPM_NH_BITS 22
#define LPM_NH_MAX  ((1u << LPM_NH_BITS) - 1) /* largest next hop */
#define LPM_MISS    UINT32_MAX		      /* lookup: no prefix matches */

/* Groups a table may use (1 KiB each) when the config says 0; as many
 * singles (16 bytes each). */
#define LPM4_GROUPS_DEFAULT (1u << 16)
#define LPM6_GROUPS_DEFAULT (1u << 20)
#define LPM_GROUPS_MAX	    (1u << LPM_NH_BITS)

struct lpm_config {
	uint32_t max_groups; /* groups, and as many singles (IPv6), a table
			      * may use; 0: the family's default; at most
			      * LPM_GROUPS_MAX */
};

/* What a table holds from the system, in bytes. */
struct lpm_mem {
	size_t root_bytes;   /* first level: 0 while the table is empty */
	size_t groups;	     /* groups linked or awaiting a grace period */
	size_t group_bytes;  /* groups * 1 KiB */
	size_t pool_bytes;   /* committed 2 MiB stretches of the group and
			     * single ranges */
	size_t rule_bytes;   /* the rule store (hash table) */
	size_t total;	     /* root + pool + rules + side + bookkeeping */
	size_t singles;	     /* singles (IPv6; lpm_int.h) */
	size_t single_bytes; /* singles * 16 */
	size_t side_bytes;   /* carry and count words of the groups */
};

struct lpm4; /* opaque */
struct lpm6; /* opaque */

/* lpm4.c */

/* A new, empty IPv4 table (cfg may be NULL); NULL when out of memory. */
struct lpm4 *lpm4_new(const struct lpm_config *cfg);
/* Frees the table; see "lpm*_free" above for when that is safe. */
void lpm4_free(struct lpm4 *t);
/* Adds addr/len (host byte order; bits past len are ignored) with next hop
 * nh, or changes the next hop of a prefix already there.  Returns 0,
 * -CEN_EINVAL (len > 32 or nh > LPM_NH_MAX), -CEN_ENOMEM, or -CEN_ETOOBIG
 * (no group left: raise max_groups); on error the table is unchanged. */
int lpm4_add(struct lpm4 *t, uint32_t addr, unsigned len, uint32_t nh);
/* Deletes addr/len; addresses it covered fall back to the next covering
 * prefix.  Returns 0, -CEN_EINVAL or -CEN_ENOENT. */
int lpm4_del(struct lpm4 *t, uint32_t addr, unsigned len);
/* Next hop of exactly addr/len (the rule store), or -CEN_ENOENT. */
int lpm4_get(const struct lpm4 *t, uint32_t addr, unsigned len, uint32_t *nh);
/* Next hop of the longest prefix containing addr (host byte order), or
 * LPM_MISS.  Reader side. */
uint32_t lpm4_lookup(const struct lpm4 *t, uint32_t addr);
/* nhs[i] = lpm4_lookup(t, addrs[i]) for i < n, with prefetching: the fast
 * path for a burst of packets.  Reader side. */
void lpm4_lookup_bulk(const struct lpm4 *t, const uint32_t *addrs,
		      uint32_t *nhs, size_t n);
/* Prefixes stored. */
size_t lpm4_count(const struct lpm4 *t);
void lpm4_mem(const struct lpm4 *t, struct lpm_mem *m);
/* Waits for a grace period and takes back every retired group (and an
 * emptied first level).  Writer side; blocks. */
void lpm4_reclaim(struct lpm4 *t);

/* lpm6.c: the same for IPv6; addresses are 16 bytes in network order. */

struct lpm6 *lpm6_new(const struct lpm_config *cfg);
void lpm6_free(struct lpm6 *t);
int lpm6_add(struct lpm6 *t, const uint8_t addr[16], unsigned len, uint32_t nh);
int lpm6_del(struct lpm6 *t, const uint8_t addr[16], unsigned len);
int lpm6_get(const struct lpm6 *t, const uint8_t addr[16], unsigned len,
	     uint32_t *nh);
uint32_t lpm6_lookup(const struct lpm6 *t, const uint8_t addr[16]);
void lpm6_lookup_bulk(const struct lpm6 *t, const uint8_t (*addrs)[16],
		      uint32_t *nhs, size_t n);
size_t lpm6_count(const struct lpm6 *t);
void lpm6_mem(const struct lpm6 *t, struct lpm_mem *m);
void lpm6_reclaim(struct lpm6 *t);

#endif
