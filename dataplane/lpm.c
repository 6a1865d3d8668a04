/*
 * lpm.c - the LPM table engine behind lpm4.c and lpm6.c (lpm_int.h): rule
 * store, in-place updates that lookups may run against, node allocation
 * and reclamation after an RCU grace period.
 *
 * Adding P/d writes a leaf into the entries of P's range at the level where
 * d ends (level 0 for d <= root_bits, else one level per further byte),
 * over the entries whose own leaf (a link's is the carried one) is 0 or no
 * longer than d: longer prefixes inside P keep theirs.  Nodes missing on
 * the way are made (from the bottom up, singles of up to LPM_SINGLE_MAX
 * levels) and linked first; a single is split where P ends inside it or
 * where P's path leaves it, and becomes a group where it would need a
 * second entry.  Deleting P/d writes, over the entries whose own leaf has
 * depth exactly d, the leaf of the longest remaining prefix of the same
 * level covering P (or 0), then folds back the nodes on P's path that are
 * left empty, turns a group left with one entry into a single, and merges
 * it with the singles next to it where the links between carry nothing.
 * Nodes below P's level are never touched: a lookup takes the carried leaf
 * on its way down (lpm_int.h).
 *
 * Every store a lookup may read is one aligned 32-bit store: a lookup sees
 * each entry before or after it changes.  A node is linked by a release
 * store after it is set up (a new group is already all zeroes; setting a
 * link's carry writes the carry word before the flag); an unlinked node
 * goes into a retire batch that is handed to call_rcu(); the callback pushes
 * the batch onto t->done, and the writer takes the nodes back at its next
 * operation.  The writer never waits for readers except in
 * lpm_tab_reclaim() and lpm_tab_fini().
 */
#include "dataplane/lpm_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <urcu.h>

#include "core/err.h"

#define RETIRE_MAX   256
#define CHUNK_BITS   11 /* groups per 2 MiB stretch: 2^11 * 1 KiB */
#define CHUNK_GROUPS (1u << CHUNK_BITS)
#define HUGE_SIZE    (2u << 20)
#define MAX_LEVELS   16
#define ID_SINGLE    (1u << 31) /* retired id: a single, not a group */

struct lpm_retire {
	struct rcu_head rcu;
	struct lpm_tab *tab;
	struct lpm_retire *next;
	uint32_t *root; /* an emptied first level, or NULL */
	uint32_t n;
	uint32_t g[RETIRE_MAX];
};

/* Maps size bytes (page-aligned), zeroed and not committed until touched;
 * with huge, aligned to HUGE_SIZE and advised so that transparent huge
 * pages can back it. */
void *
lpm_map(size_t size, bool huge)
{
	char *p, *q;
	size_t head;

	if (!huge) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		return p == MAP_FAILED ? NULL : p;
	}
	p = mmap(NULL, size + HUGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	q = (char *)(((uintptr_t)p + HUGE_SIZE - 1) &
		     ~(uintptr_t)(HUGE_SIZE - 1));
	head = (size_t)(q - p);
	if (head > 0)
		munmap(p, head);
	munmap(q + size, HUGE_SIZE - head);
#ifdef MADV_HUGEPAGE
	if (huge)
		madvise(q, size, MADV_HUGEPAGE);
#endif
	return q;
}

static inline uint32_t
leaf(uint32_t nh, unsigned depth)
{
	return LPM_E_VALID | (uint32_t)depth << LPM_E_DEPTH_SHIFT | nh;
}

static inline unsigned
depth_of(uint32_t e)
{
	return e >> LPM_E_DEPTH_SHIFT;
}

static inline void
store(uint32_t *p, uint32_t v)
{
	if (*p != v)
		__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* Level at which a prefix of length d ends. */
static inline unsigned
level_of(const struct lpm_tab *t, unsigned d)
{
	return d <= t->root_bits ? 0 : (d - t->root_bits + 7) / 8;
}

/* First bit past level L. */
static inline unsigned
level_end(const struct lpm_tab *t, unsigned level)
{
	return t->root_bits + 8 * level;
}

/* Index of key k in the table at level L. */
static inline uint32_t
key_idx(const struct lpm_tab *t, const uint8_t *k, unsigned level)
{
	if (level > 0)
		return k[t->root_bits / 8 + level - 1];
	if (t->root_bits == 24)
		return (uint32_t)k[0] << 16 | (uint32_t)k[1] << 8 | k[2];
	return (uint32_t)k[0] << 8 | k[1];
}

/* Retire and reclaim */

static void
retire_cb(struct rcu_head *head)
{
	struct lpm_retire *b = caa_container_of(head, struct lpm_retire, rcu);
	struct lpm_tab *t = b->tab;

	if (b->root != NULL) {
		munmap(b->root, t->root_bytes);
		b->root = NULL;
	}
	b->next = __atomic_load_n(&t->done, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&t->done, &b->next, b, true,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
	__atomic_sub_fetch(&t->inflight, 1, __ATOMIC_RELEASE);
}

static void
flush(struct lpm_tab *t)
{
	struct lpm_retire *b = t->batch;

	if (b == NULL || (b->n == 0 && b->root == NULL))
		return;
	t->batch = NULL;
	__atomic_add_fetch(&t->inflight, 1, __ATOMIC_RELAXED);
	call_rcu(&b->rcu, retire_cb);
}

/* Hands the batch to call_rcu when it is full, holds a first level, or
 * when no batch is waiting (so memory comes back soon after a delete while
 * a burst of deletes still shares one grace period). */
static void
maybe_flush(struct lpm_tab *t)
{
	struct lpm_retire *b = t->batch;

	if (b == NULL || (b->n == 0 && b->root == NULL))
		return;
	if (b->n == RETIRE_MAX || b->root != NULL ||
	    __atomic_load_n(&t->inflight, __ATOMIC_ACQUIRE) == 0)
		flush(t);
}

static struct lpm_retire *
batch_get(struct lpm_tab *t)
{
	struct lpm_retire *b = t->batch;

	if (b != NULL && b->n == RETIRE_MAX) {
		flush(t);
		b = NULL;
	}
	if (b == NULL) {
		/* The one allocation a delete may need: on failure, wait for
		 * readers here rather than leak or reuse early. */
		b = calloc(1, sizeof(*b));
		if (b == NULL)
			return NULL;
		b->tab = t;
		t->batch = b;
	}
	return b;
}

/* Pools */

static int
pool_init(struct lpm_pool *p, uint32_t esize, uint32_t max)
{
	uint32_t chunk;

	memset(p, 0, sizeof(*p));
	p->esize = esize;
	p->chunk_shift = (unsigned)__builtin_ctz(HUGE_SIZE / esize);
	chunk = 1u << p->chunk_shift;
	p->max = max;
	/* reserved (not committed) now, so that its address never changes
	 * under a lookup */
	p->bytes = (size_t)((max + chunk - 1) >> p->chunk_shift) * HUGE_SIZE;
	p->base = lpm_map(p->bytes, true);
	return p->base == NULL ? -CEN_ENOMEM : 0;
}

static void
pool_fini(struct lpm_pool *p)
{
	if (p->base != NULL)
		munmap(p->base, p->bytes);
	free(p->used);
	free(p->chunk_used);
	memset(p, 0, sizeof(*p));
}

static int
pool_alloc(struct lpm_pool *p, uint32_t *ip)
{
	uint32_t nwords = (p->max + 63) / 64, w, i, c;

	if (p->used == NULL) {
		p->used = calloc(nwords, sizeof(*p->used));
		p->chunk_used = calloc((p->max >> p->chunk_shift) + 1,
				       sizeof(*p->chunk_used));
		if (p->used == NULL || p->chunk_used == NULL) {
			free(p->used);
			free(p->chunk_used);
			p->used = NULL;
			p->chunk_used = NULL;
			return -CEN_ENOMEM;
		}
	}
	if (p->n == p->max)
		return -CEN_ETOOBIG;
	for (w = p->hint; w < nwords && p->used[w] == UINT64_MAX; w++)
		;
	if (w == nwords) {
		fprintf(stderr,
			"lpm pool_alloc: %u elements counted in use "
			"but none free\n",
			p->n);
		abort();
	}
	p->hint = w;
	i = w * 64 + (uint32_t)__builtin_ctzll(~p->used[w]);
	if (i >= p->max)
		return -CEN_ETOOBIG; /* the last word's tail */
	p->used[w] |= 1ull << (i % 64);
	p->n++;
	c = i >> p->chunk_shift;
	if (p->chunk_used[c]++ == 0)
		p->chunks_live++;
	*ip = i;
	return 0;
}

/* Frees element i; true if its 2 MiB stretch went back to the system. */
static bool
pool_free(struct lpm_pool *p, uint32_t i)
{
	uint32_t c = i >> p->chunk_shift;

	if (i >= p->max || !(p->used[i / 64] & (1ull << (i % 64)))) {
		fprintf(stderr, "lpm pool_free: element %u is not in use\n", i);
		abort();
	}
	p->used[i / 64] &= ~(1ull << (i % 64));
	if (i / 64 < p->hint)
		p->hint = i / 64;
	p->n--;
	if (--p->chunk_used[c] != 0)
		return false;
	p->chunks_live--;
	madvise(p->base + (size_t)c * HUGE_SIZE, HUGE_SIZE, MADV_DONTNEED);
	return true;
}

static void
group_free(struct lpm_tab *t, uint32_t g)
{
	uint32_t m = t->meta[g];
	size_t off, len;

	/* a group folds back when empty, or becomes a single with its one
	 * entry, which is cleared now that no lookup can read it: free
	 * groups are all zeroes */
	if ((m & 0xffff) > 1) {
		fprintf(stderr, "lpm group_free: group %u holds %u entries\n",
			g, m & 0xffff);
		abort();
	}
	if ((m & 0xffff) == 1)
		t->grp[(size_t)g << 8 | (m >> 16 & 0xff)] = 0;
	t->meta[g] = 0;
	if (pool_free(&t->groups, g)) {
		off = (size_t)(g >> CHUNK_BITS) * CHUNK_GROUPS * 4;
		len = (size_t)CHUNK_GROUPS * 4;
		if (off + len <= t->side_bytes) {
			madvise((char *)t->car + off, len, MADV_DONTNEED);
			madvise((char *)t->meta + off, len, MADV_DONTNEED);
		}
	}
}

static void
id_free(struct lpm_tab *t, uint32_t id)
{
	if (id & ID_SINGLE)
		pool_free(&t->singles, id & ~ID_SINGLE);
	else
		group_free(t, id);
}

/* Takes back the nodes of every batch past its grace period. */
static void
drain(struct lpm_tab *t)
{
	struct lpm_retire *b, *next;
	uint32_t i;

	if (__atomic_load_n(&t->done, __ATOMIC_RELAXED) == NULL)
		return;
	b = __atomic_exchange_n(&t->done, NULL, __ATOMIC_ACQUIRE);
	for (; b != NULL; b = next) {
		next = b->next;
		for (i = 0; i < b->n; i++)
			id_free(t, b->g[i]);
		free(b);
	}
}

/* Retires the node link w points to, now unlinked. */
static void
retire_node(struct lpm_tab *t, uint32_t w)
{
	uint32_t id = (w & LPM_E_MASK) | (w & LPM_E_SINGLE ? ID_SINGLE : 0);
	struct lpm_retire *b = batch_get(t);

	if (b == NULL) {
		synchronize_rcu();
		id_free(t, id);
		return;
	}
	b->g[b->n++] = id;
}

static void
retire_root(struct lpm_tab *t)
{
	uint32_t *root = t->root;
	struct lpm_retire *b;

	__atomic_store_n(&t->root, NULL, __ATOMIC_RELEASE);
	b = batch_get(t);
	if (b == NULL || b->root != NULL) {
		synchronize_rcu();
		munmap(root, t->root_bytes);
		return;
	}
	b->root = root;
	flush(t);
}

static int
node_alloc(struct lpm_tab *t, bool single, uint32_t *ip)
{
	struct lpm_pool *p = single ? &t->singles : &t->groups;

	if (p->n == p->max)
		drain(t);
	if (p->n == p->max &&
	    (t->batch != NULL ||
	     __atomic_load_n(&t->inflight, __ATOMIC_ACQUIRE) > 0)) {
		/* full of nodes that wait for a grace period (the writer
		 * has outrun the call_rcu thread): wait for them rather than
		 * fail */
		flush(t);
		rcu_barrier();
		drain(t);
	}
	return pool_alloc(p, ip);
}

/* Entries */

static inline uint32_t *
carry_ptr(const struct lpm_tab *t, uint32_t w)
{
	if (w & LPM_E_SINGLE)
		return &t->single[w & LPM_E_MASK].car;
	return &t->car[w & LPM_E_MASK];
}

/* The leaf link w carries, or 0 (its carry word may hold an old one). */
static inline uint32_t
carried(const struct lpm_tab *t, uint32_t w)
{
	return (w & LPM_E_CARRY) ? *carry_ptr(t, w) : 0;
}

/* The leaf of entry e's own level: e itself, a link's carried leaf, or 0. */
static inline uint32_t
own_leaf(const struct lpm_tab *t, uint32_t e)
{
	if (!(e & LPM_E_EXT))
		return e;
	return carried(t, e);
}

static inline struct lpm_single *
single_of(const struct lpm_tab *t, uint32_t w)
{
	return &t->single[w & LPM_E_MASK];
}

/* Key byte m of a single. */
static inline uint32_t
s_byte(const struct lpm_single *s, unsigned m)
{
	return (uint32_t)(s->key >> (56 - 8 * m)) & 0xff;
}

/* Levels of the node link w points to. */
static inline unsigned
node_levels(const struct lpm_tab *t, uint32_t w)
{
	return (w & LPM_E_SINGLE) ? lpm_single_len(single_of(t, w)->key) : 1;
}

/* Address byte that indexes level l >= 1. */
static inline unsigned
level_byte(const struct lpm_tab *t, unsigned l)
{
	return t->root_bits / 8 + l - 1;
}

/* Key k's bytes from index b on, the first in the top byte (zeroes past
 * the address). */
static uint64_t
key_window(const struct lpm_tab *t, const uint8_t *k, unsigned b)
{
	unsigned n = t->maxlen / 8, i;
	uint64_t v = 0;

	for (i = 0; i < 8; i++)
		v = v << 8 | (b + i < n ? k[b + i] : 0);
	return v;
}

/* Entry i of the last level of node w (below the root), or NULL for one
 * a single does not hold (0 by definition). */
static inline uint32_t *
last_entry(const struct lpm_tab *t, uint32_t w, uint32_t i)
{
	struct lpm_single *s;

	if (w & LPM_E_SINGLE) {
		s = single_of(t, w);
		return s_byte(s, lpm_single_len(s->key) - 1) == i ? &s->val
								  : NULL;
	}
	return &t->grp[(size_t)(w & LPM_E_MASK) << 8 | i];
}

/* Entry i of node w (w == 0: the root) went from 0 to non-zero (on) or
 * back: a group's count and index xor follow. */
static inline void
count(struct lpm_tab *t, uint32_t w, uint32_t i, bool on)
{
	uint32_t *m, n;

	if (w == 0 || (w & LPM_E_SINGLE))
		return;
	m = &t->meta[w & LPM_E_MASK];
	n = (*m & 0xffff) + (on ? 1u : 0xffffu);
	*m = (n & 0xffff) | (((*m >> 16) ^ i) & 0xff) << 16;
}

/* Gives entry *p (index i of node w) the own leaf v. */
static void
set_own(struct lpm_tab *t, uint32_t w, uint32_t i, uint32_t *p, uint32_t v)
{
	uint32_t e = *p, *cp;

	if (e & LPM_E_EXT) {
		if (v == 0) {
			if (e & LPM_E_CARRY)
				__atomic_store_n(p, e & ~LPM_E_CARRY,
						 __ATOMIC_RELAXED);
			return;
		}
		cp = carry_ptr(t, e);
		if (e & LPM_E_CARRY) {
			store(cp, v);
			return;
		}
		/* the carry word before the flag that makes lookups read
		 * it; an old value there is a leaf of an earlier state */
		__atomic_store_n(cp, v, __ATOMIC_RELAXED);
		__atomic_store_n(p, e | LPM_E_CARRY, __ATOMIC_RELEASE);
		return;
	}
	if (e == v)
		return;
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
	if ((e == 0) != (v == 0))
		count(t, w, i, v != 0);
}

/* Nodes */

/* The nodes a prefix's path goes through, the root first. */
struct path {
	uint32_t w[MAX_LEVELS];	  /* link to node k; 0 for the root */
	uint8_t lv[MAX_LEVELS];	  /* its first level */
	uint8_t nl[MAX_LEVELS];	  /* its levels */
	uint32_t *ep[MAX_LEVELS]; /* its entry on the path, last level */
	uint32_t idx[MAX_LEVELS]; /* that entry's index */
	unsigned n;		  /* nodes */
};

/* A single for key bytes win (first in the top byte), n of them, holding
 * val; its link carries car.  Not linked yet. */
static int
single_new(struct lpm_tab *t, uint64_t win, unsigned n, uint32_t val,
	   uint32_t car, uint32_t *wp)
{
	struct lpm_single *s;
	uint32_t i;
	int rc;

	if ((rc = node_alloc(t, true, &i)) < 0)
		return rc;
	s = &t->single[i];
	s->key = (win & lpm_key_mask(n)) | n;
	s->val = val;
	s->car = car;
	*wp = LPM_E_EXT | LPM_E_SINGLE | (car != 0 ? LPM_E_CARRY : 0) | i;
	return 0;
}

/* A group whose entry i (if val != 0) is val; its link carries car. */
static int
group_new(struct lpm_tab *t, uint32_t i, uint32_t val, uint32_t car,
	  uint32_t *wp)
{
	uint32_t g;
	int rc;

	if ((rc = node_alloc(t, false, &g)) < 0)
		return rc;
	if (val != 0) {
		t->grp[(size_t)g << 8 | i] = val;
		t->meta[g] = 1u | i << 16;
	}
	t->car[g] = car;
	*wp = LPM_E_EXT | (car != 0 ? LPM_E_CARRY : 0) | g;
	return 0;
}

/* Node k of the path is replaced by the one link nw points to. */
static void
relink(struct lpm_tab *t, struct path *path, unsigned k, uint32_t nw)
{
	uint32_t w = path->w[k];

	__atomic_store_n(path->ep[k - 1], nw, __ATOMIC_RELEASE);
	path->w[k] = nw;
	path->nl[k] = (uint8_t)node_levels(t, nw);
	retire_node(t, w);
}

/* The single at node k becomes two: its first m levels, linked to the
 * rest.  Lookups find the same. */
static int
split(struct lpm_tab *t, struct path *path, unsigned k, unsigned m)
{
	uint32_t w = path->w[k], wa, wb;
	const struct lpm_single *s = single_of(t, w);
	unsigned n = lpm_single_len(s->key);
	int rc;

	if ((rc = single_new(t, s->key << (8 * m), n - m, s->val, 0, &wb)) < 0)
		return rc;
	if ((rc = single_new(t, s->key, m, wb, carried(t, w), &wa)) < 0) {
		pool_free(&t->singles, wb & LPM_E_MASK);
		return rc;
	}
	relink(t, path, k, wa);
	return 0;
}

/* The first level of the single at node k becomes a group (linked to a
 * single for the other levels, if any), so it can hold other entries. */
static int
expand(struct lpm_tab *t, struct path *path, unsigned k)
{
	uint32_t w = path->w[k], v, wg;
	const struct lpm_single *s = single_of(t, w);
	unsigned n = lpm_single_len(s->key);
	int rc;

	v = s->val;
	if (n > 1 &&
	    (rc = single_new(t, s->key << 8, n - 1, s->val, 0, &v)) < 0)
		return rc;
	if ((rc = group_new(t, s_byte(s, 0), v, carried(t, w), &wg)) < 0) {
		if (n > 1)
			pool_free(&t->singles, v & LPM_E_MASK);
		return rc;
	}
	relink(t, path, k, wg);
	return 0;
}

/* The group at node k, left with one entry, becomes a single (if one can
 * be had: else it stays a group). */
static void
shrink(struct lpm_tab *t, struct path *path, unsigned k)
{
	uint32_t w = path->w[k], g = w & LPM_E_MASK, i, ws;

	i = t->meta[g] >> 16 & 0xff;
	if (single_new(t, (uint64_t)i << 56, 1, t->grp[(size_t)g << 8 | i],
		       carried(t, w), &ws) < 0)
		return;
	/* the group keeps its entry until it is freed (group_free) */
	relink(t, path, k, ws);
}

/* Joins the single at node k with the single its entry links to, if that
 * link carries nothing and the two fit in one. */
static void
merge(struct lpm_tab *t, struct path *path, unsigned k)
{
	uint32_t w = path->w[k], c, wm;
	const struct lpm_single *s, *d;
	unsigned n, m;

	if (!(w & LPM_E_SINGLE))
		return;
	s = single_of(t, w);
	c = s->val;
	if ((c & (LPM_E_EXT | LPM_E_SINGLE | LPM_E_CARRY)) !=
	    (LPM_E_EXT | LPM_E_SINGLE))
		return;
	d = single_of(t, c);
	n = lpm_single_len(s->key);
	m = lpm_single_len(d->key);
	if (n + m > LPM_SINGLE_MAX)
		return;
	if (single_new(t,
		       (s->key & lpm_key_mask(n)) |
			       (d->key & lpm_key_mask(m)) >> (8 * n),
		       n + m, d->val, carried(t, w), &wm) < 0)
		return;
	relink(t, path, k, wm);
	retire_node(t, c);
}

/* Below an entry whose own leaf is c: new nodes for levels a..L (singles
 * of up to LPM_SINGLE_MAX levels; a group at L unless the prefix owns one
 * entry there, or without singles a group per level), made from the
 * bottom up and linked to each other, not yet to the table. */
static int
chain_new(struct lpm_tab *t, const uint8_t *k, unsigned a, unsigned L,
	  bool one_at_L, uint32_t c, uint32_t *top)
{
	uint32_t made[MAX_LEVELS], below = 0, w;
	unsigned nm = 0, hi = L, n;
	int rc = 0;

	if (!t->use_single || !one_at_L) {
		if ((rc = group_new(t, 0, 0, a == L ? c : 0, &below)) < 0)
			return rc;
		made[nm++] = below;
		hi = L - 1;
	}
	while (hi >= a) {
		n = t->use_single ? hi - a + 1 : 1;
		if (n > LPM_SINGLE_MAX)
			n = LPM_SINGLE_MAX;
		if (t->use_single)
			rc = single_new(
				t, key_window(t, k, level_byte(t, hi - n + 1)),
				n, below, hi - n + 1 == a ? c : 0, &w);
		else
			rc = group_new(t, key_idx(t, k, hi), below,
				       hi == a ? c : 0, &w);
		if (rc < 0)
			goto fail;
		below = w;
		made[nm++] = below;
		hi -= n;
	}
	*top = below;
	return 0;

fail:
	/* never linked: no lookup can have seen them */
	while (nm > 0) {
		w = made[--nm];
		if (w & LPM_E_SINGLE)
			pool_free(&t->singles, w & LPM_E_MASK);
		else
			group_free(t, w & LPM_E_MASK);
	}
	return rc;
}

static void
broken(const char *what, unsigned level)
{
	fprintf(stderr, "lpm: %s at level %u\n", what, level);
	abort();
}

/* Follows key k from the root down to the node whose last level is L,
 * recording the path.  With create, missing nodes are made and linked, and
 * a single in the way is reshaped: split where the prefix ends inside it,
 * or where the prefix's path leaves it (which becomes a group there); a
 * group too where the prefix needs more of level L than one entry
 * (one_at_L false).  On failure path->n tells how far it got. */
static int
path_walk(struct lpm_tab *t, const uint8_t *k, unsigned L, bool create,
	  bool one_at_L, struct path *path)
{
	uint32_t w, *p, e, i;
	unsigned pos = 0, lv, n, lim, m, end;
	const struct lpm_single *s;
	uint64_t x;
	int rc;

	path->w[0] = 0;
	path->lv[0] = 0;
	path->nl[0] = 1;
	path->n = 1;
	for (;;) {
		w = path->w[pos];
		lv = path->lv[pos];
		if (pos > 0 && (w & LPM_E_SINGLE)) {
			s = single_of(t, w);
			n = lpm_single_len(s->key);
			lim = n < L - lv + 1 ? n : L - lv + 1;
			x = (s->key ^ key_window(t, k, level_byte(t, lv))) &
			    lpm_key_mask(lim);
			m = x != 0 ? (unsigned)__builtin_clzll(x) / 8 : lim;
			if (m < lim || n > lim ||
			    (lv + n - 1 == L && !one_at_L)) {
				if (!create)
					broken("single off a prefix's path",
					       lv);
				if (m < lim)
					rc = m > 0 ? split(t, path, pos, m)
						   : expand(t, path, pos);
				else if (n > lim)
					rc = split(t, path, pos, lim);
				else
					rc = n > 1 ? split(t, path, pos, n - 1)
						   : expand(t, path, pos);
				if (rc < 0)
					return rc;
				continue;
			}
		}
		end = lv + path->nl[pos] - 1;
		if (end == L)
			return 0;
		i = key_idx(t, k, end);
		p = pos == 0 ? &t->root[i] : last_entry(t, w, i);
		if (p == NULL)
			broken("no entry on a prefix's path", end);
		path->ep[pos] = p;
		path->idx[pos] = i;
		e = *p;
		if (!(e & LPM_E_EXT)) {
			if (!create)
				broken("no node on a prefix's path", end + 1);
			if ((rc = chain_new(t, k, end + 1, L, one_at_L, e,
					    &e)) < 0)
				return rc;
			if (*p == 0)
				count(t, w, i, true);
			__atomic_store_n(p, e, __ATOMIC_RELEASE);
		}
		pos++;
		path->w[pos] = e;
		path->lv[pos] = (uint8_t)(end + 1);
		path->nl[pos] = (uint8_t)node_levels(t, e);
		path->n = pos + 1;
	}
}

/* Folds back, deepest first, the nodes top..1 of the path that are empty:
 * the link becomes its carried leaf (or 0).  The first one that is not
 * empty becomes a single if it is a group of one entry, and is joined to
 * the singles around it where the links between carry nothing. */
static void
collapse(struct lpm_tab *t, struct path *path, unsigned top)
{
	uint32_t w, c, n;
	unsigned k;

	for (k = top; k >= 1; k--) {
		w = path->w[k];
		if (w & LPM_E_SINGLE) {
			if (single_of(t, w)->val != 0)
				break;
		} else if ((n = t->meta[w & LPM_E_MASK] & 0xffff) != 0) {
			if (n == 1 && t->use_single)
				shrink(t, path, k);
			break;
		}
		c = carried(t, w);
		__atomic_store_n(path->ep[k - 1], c, __ATOMIC_RELEASE);
		if (c == 0)
			count(t, path->w[k - 1], path->idx[k - 1], false);
		retire_node(t, w);
	}
	if (k == 0 || !t->use_single)
		return;
	merge(t, path, k);
	if (k > 1 && (path->w[k - 1] & LPM_E_SINGLE))
		merge(t, path, k - 1);
}

/* Over entries [start, start + n) of the last level of the path's last
 * node: own leaves of depth <= d (add; and 0) or == d (delete) become
 * v. */
static void
fill(struct lpm_tab *t, const struct path *path, uint32_t start, uint32_t n,
     uint32_t v, unsigned d, bool del)
{
	uint32_t w = path->w[path->n - 1], *tab, *p, i, o;
	const struct lpm_single *s;

	if (w & LPM_E_SINGLE) {
		/* its other entries are 0 and stay so (path_walk made a
		 * group where an add needs more) */
		s = single_of(t, w);
		i = s_byte(s, lpm_single_len(s->key) - 1);
		if (i < start || i - start >= n)
			return;
		p = last_entry(t, w, i);
		o = own_leaf(t, *p);
		if (del ? o != 0 && depth_of(o) == d
			: o == 0 || depth_of(o) <= d)
			set_own(t, w, i, p, v);
		return;
	}
	tab = w == 0 ? t->root : &t->grp[(size_t)(w & LPM_E_MASK) << 8];
	for (i = start; i < start + n; i++) {
		o = own_leaf(t, tab[i]);
		if (del ? o != 0 && depth_of(o) == d
			: o == 0 || depth_of(o) <= d)
			set_own(t, w, i, &tab[i], v);
	}
}

/* Looks in the last level of node w (level L) at the sibling of P's first
 * j bits (flip bit j - 1) for what its own leaf says about the prefixes of
 * this level shorter than j: 0 there means none covers P|j-1 (it would
 * cover the sibling too), and a leaf shallower than j is the longest that
 * does.  Looks at a few entries only; false when they do not tell. */
static bool
sibling_leaf(const struct lpm_tab *t, uint32_t w, const uint8_t *k, unsigned L,
	     unsigned j, uint32_t *out)
{
	uint32_t n = 1u << (level_end(t, L) - j), start, e, o, m, *p;

	start = (key_idx(t, k, L) & ~(n - 1)) ^ n;
	for (m = 0; m < n && m < 4; m++) {
		if (w == 0) {
			e = t->root[start + m];
		} else {
			p = last_entry(t, w, start + m);
			e = p != NULL ? *p : 0;
		}
		o = own_leaf(t, e);
		if (o == 0 || depth_of(o) < j) {
			*out = o;
			return true;
		}
	}
	return false;
}

/* The leaf of the longest rule of P's level (lpm_int.h) shorter than
 * p->len that contains p, or 0.  Going up one bit at a time: the node
 * beside P answers for everything shorter than j, else the rule store says
 * whether P|j-1 itself is a rule.  Invariant: no rule of length
 * j..len-1 contains P. */
static uint32_t
cover_leaf(const struct lpm_tab *t, const struct prefix *p, uint32_t w,
	   unsigned L)
{
	unsigned lo = L == 0 ? 0 : level_end(t, L - 1) + 1, j;
	struct prefix q = *p;
	uint32_t e, nh;

	for (j = p->len; j > lo; j--) {
		if (sibling_leaf(t, w, p->addr.bytes, L, j, &e))
			return e;
		q.len = (uint8_t)(j - 1);
		prefix_canon(&q);
		if (lpm_rules_find(&t->rules, &q, &nh))
			return leaf(nh, j - 1);
	}
	return 0;
}

/* Public */

int
lpm_tab_init(struct lpm_tab *t, uint8_t family, const struct lpm_config *cfg)
{
	uint32_t maxg = cfg != NULL ? cfg->max_groups : 0;

	memset(t, 0, sizeof(*t));
	t->family = family;
	if (family == PREFIX_AF_INET) {
		t->maxlen = 32;
		t->root_bits = 24;
		if (maxg == 0)
			maxg = LPM4_GROUPS_DEFAULT;
	} else {
		t->maxlen = 128;
		t->root_bits = 16;
		t->use_single = true;
		if (maxg == 0)
			maxg = LPM6_GROUPS_DEFAULT;
	}
	t->nlevels = 1 + (t->maxlen - t->root_bits) / 8;
	if (maxg > LPM_GROUPS_MAX)
		return -CEN_ERANGE;
	t->max_groups = (maxg + CHUNK_GROUPS - 1) & ~(CHUNK_GROUPS - 1);
	t->root_bytes = (size_t)4 << t->root_bits;
	t->side_bytes = (size_t)t->max_groups * 4;
	if (pool_init(&t->groups, LPM_GROUP_SIZE * 4, t->max_groups) < 0 ||
	    pool_init(&t->singles, sizeof(struct lpm_single), t->max_groups) <
		    0 ||
	    (t->car = lpm_map(t->side_bytes, false)) == NULL ||
	    (t->meta = lpm_map(t->side_bytes, false)) == NULL) {
		pool_fini(&t->groups);
		pool_fini(&t->singles);
		if (t->car != NULL)
			munmap(t->car, t->side_bytes);
		return -CEN_ENOMEM;
	}
	t->grp = (uint32_t *)(void *)t->groups.base;
	t->single = (struct lpm_single *)(void *)t->singles.base;
	lpm_rules_init(&t->rules, family);
	return 0;
}

void
lpm_tab_fini(struct lpm_tab *t)
{
	struct lpm_retire *b, *next;

	if (__atomic_load_n(&t->inflight, __ATOMIC_ACQUIRE) > 0)
		rcu_barrier();
	for (b = __atomic_exchange_n(&t->done, NULL, __ATOMIC_ACQUIRE);
	     b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	if (t->batch != NULL) {
		if (t->batch->root != NULL)
			munmap(t->batch->root, t->root_bytes);
		free(t->batch);
	}
	if (t->root != NULL)
		munmap(t->root, t->root_bytes);
	pool_fini(&t->groups);
	pool_fini(&t->singles);
	munmap(t->car, t->side_bytes);
	munmap(t->meta, t->side_bytes);
	lpm_rules_fini(&t->rules);
	memset(t, 0, sizeof(*t));
}

int
lpm_tab_get(const struct lpm_tab *t, const struct prefix *p, uint32_t *nh)
{
	struct prefix q;

	if (p->family != t->family || p->len > t->maxlen)
		return -CEN_EINVAL;
	q = *p;
	prefix_canon(&q);
	return lpm_rules_find(&t->rules, &q, nh) ? 0 : -CEN_ENOENT;
}

int
lpm_tab_add(struct lpm_tab *t, const struct prefix *pin, uint32_t nh)
{
	struct prefix p = *pin;
	struct path path;
	uint32_t *root, old = 0, n;
	unsigned L;
	int rc, created;

	if (p.family != t->family || p.len > t->maxlen || nh > LPM_NH_MAX)
		return -CEN_EINVAL;
	prefix_canon(&p);
	drain(t);
	if ((created = lpm_rules_put(&t->rules, &p, nh, &old)) < 0)
		return created;
	if (!created && old == nh)
		return 0;
	if (t->root == NULL) {
		/* IPv4's first level is dense (every address lands in
		 * it); IPv6's is touched only where prefixes are, and huge
		 * pages would commit 2 MiB for each such spot. */
		root = lpm_map(t->root_bytes, t->family == PREFIX_AF_INET);
		if (root == NULL) {
			rc = -CEN_ENOMEM;
			goto undo;
		}
		__atomic_store_n(&t->root, root, __ATOMIC_RELEASE);
	}
	L = level_of(t, p.len);
	n = 1u << (level_end(t, L) - p.len);
	if ((rc = path_walk(t, p.addr.bytes, L, true, n == 1, &path)) < 0) {
		/* fold back the nodes made on the way down */
		collapse(t, &path, path.n - 1);
		goto undo;
	}
	fill(t, &path, key_idx(t, p.addr.bytes, L), n, leaf(nh, p.len), p.len,
	     false);
	maybe_flush(t);
	return 0;

undo:
	if (created)
		lpm_rules_del(&t->rules, &p, NULL);
	else
		lpm_rules_put(&t->rules, &p, old, &old);
	if (t->rules.count == 0 && t->root != NULL)
		retire_root(t);
	maybe_flush(t);
	return rc;
}

int
lpm_tab_del(struct lpm_tab *t, const struct prefix *pin)
{
	struct prefix p = *pin;
	struct path path;
	unsigned L;
	uint32_t v, n;

	if (p.family != t->family || p.len > t->maxlen)
		return -CEN_EINVAL;
	prefix_canon(&p);
	drain(t);
	if (lpm_rules_del(&t->rules, &p, NULL) < 0)
		return -CEN_ENOENT;
	L = level_of(t, p.len);
	n = 1u << (level_end(t, L) - p.len);
	path_walk(t, p.addr.bytes, L, false, n == 1, &path);
	v = cover_leaf(t, &p, path.w[path.n - 1], L);
	fill(t, &path, key_idx(t, p.addr.bytes, L), n, v, p.len, true);
	collapse(t, &path, path.n - 1);
	if (t->rules.count == 0) {
		/* Nothing left (every node has been folded back): the first
		 * level goes too, after a grace period. */
		retire_root(t);
	}
	maybe_flush(t);
	return 0;
}

void
lpm_tab_mem(const struct lpm_tab *t, struct lpm_mem *m)
{
	const struct lpm_pool *g = &t->groups, *s = &t->singles;

	memset(m, 0, sizeof(*m));
	m->root_bytes = t->root != NULL ? t->root_bytes : 0;
	m->groups = g->n;
	m->group_bytes = (size_t)g->n * LPM_GROUP_SIZE * 4;
	m->singles = s->n;
	m->single_bytes = (size_t)s->n * sizeof(struct lpm_single);
	m->pool_bytes = (size_t)(g->chunks_live + s->chunks_live) * HUGE_SIZE;
	m->rule_bytes = lpm_rules_bytes(&t->rules);
	/* the carry and count words of the groups' live stretches */
	m->side_bytes = (size_t)g->chunks_live * CHUNK_GROUPS * 8;
	m->total =
		m->root_bytes + m->pool_bytes + m->rule_bytes + m->side_bytes;
	if (g->used != NULL)
		m->total += g->max / 8 + (g->max >> g->chunk_shift) * 4;
	if (s->used != NULL)
		m->total += s->max / 8 + (s->max >> s->chunk_shift) * 4;
}

void
lpm_tab_reclaim(struct lpm_tab *t)
{
	flush(t);
	if (__atomic_load_n(&t->inflight, __ATOMIC_ACQUIRE) > 0)
		rcu_barrier();
	drain(t);
}
