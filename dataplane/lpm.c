/*
 * lpm.c - the LPM table engine behind lpm4.c and lpm6.c (lpm_int.h): rule
 * store, in-place updates that lookups may run against, group allocation
 * and reclamation after an RCU grace period.
 *
 * Adding P/d writes a leaf into the entries of P's range at the level where
 * d ends (level 0 for d <= root_bits, else one level per further byte),
 * creating the groups on the way (each filled with its parent entry before
 * it is linked), and only over leaves of depth <= d: longer prefixes inside
 * P keep theirs.  Extensions in the range are followed, so the leaves below
 * them are updated the same way.  Deleting P/d writes, over the leaves of
 * depth exactly d in that range, the leaf of the longest remaining prefix
 * covering P (found in the rule store), then folds back every group on P's
 * path that no longer holds anything deeper than its first bit.  This is
 * DPDK rte_lpm's add/delete generalised to any number of levels.
 *
 * Every store a lookup may read is one aligned 32-bit store: a lookup sees
 * each entry before or after it changes.  A group is linked by a release
 * store after it is filled; an unlinked group goes into a retire batch that
 * is handed to call_rcu(); the callback pushes the batch onto t->done, and
 * the writer takes the groups back at its next operation.  The writer never
 * waits for readers except in lpm_tab_reclaim() and lpm_tab_fini().
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

static inline uint32_t *
group_ptr(const struct lpm_tab *t, uint32_t g)
{
	return t->grp + (size_t)g * LPM_GROUP_SIZE;
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

static void
group_free(struct lpm_tab *t, uint32_t g)
{
	uint32_t c = g >> CHUNK_BITS;
	size_t off, len;

	if (!(t->used[g / 64] & (1ull << (g % 64)))) {
		fprintf(stderr, "lpm group_free: group %u is not in use\n", g);
		abort();
	}
	t->used[g / 64] &= ~(1ull << (g % 64));
	if (g / 64 < t->hint)
		t->hint = g / 64;
	t->ngroups--;
	if (--t->chunk_used[c] == 0) {
		t->chunks_live--;
		off = (size_t)c * CHUNK_GROUPS * LPM_GROUP_SIZE * 4;
		len = t->grp_bytes - off < HUGE_SIZE ? t->grp_bytes - off
						     : HUGE_SIZE;
		madvise((char *)t->grp + off, len, MADV_DONTNEED);
	}
}

/* Takes back the groups of every batch past its grace period. */
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
			group_free(t, b->g[i]);
		free(b);
	}
}

static void
retire_group(struct lpm_tab *t, uint32_t g)
{
	struct lpm_retire *b = batch_get(t);

	if (b == NULL) {
		synchronize_rcu();
		group_free(t, g);
		return;
	}
	b->g[b->n++] = g;
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

/* Groups */

static int
group_alloc(struct lpm_tab *t, uint32_t *gp)
{
	uint32_t nwords = t->max_groups / 64, w, g, c;
	uint64_t free_bits;

	if (t->used == NULL) {
		t->used = calloc(nwords, sizeof(*t->used));
		t->chunk_used = calloc(t->max_groups / CHUNK_GROUPS,
				       sizeof(*t->chunk_used));
		if (t->used == NULL || t->chunk_used == NULL) {
			free(t->used);
			free(t->chunk_used);
			t->used = NULL;
			t->chunk_used = NULL;
			return -CEN_ENOMEM;
		}
	}
	if (t->ngroups == t->max_groups)
		drain(t);
	if (t->ngroups == t->max_groups)
		return -CEN_ETOOBIG;
	for (w = t->hint; w < nwords && t->used[w] == UINT64_MAX; w++)
		;
	if (w == nwords) {
		fprintf(stderr,
			"lpm group_alloc: %u groups counted in use "
			"but none free\n",
			t->ngroups);
		abort();
	}
	t->hint = w;
	free_bits = ~t->used[w];
	g = w * 64 + (uint32_t)__builtin_ctzll(free_bits);
	t->used[w] |= 1ull << (g % 64);
	t->ngroups++;
	c = g >> CHUNK_BITS;
	if (t->chunk_used[c]++ == 0)
		t->chunks_live++;
	*gp = g;
	return 0;
}

/* Path */

/* Follows key k from the root down to the table of level L, recording in
 * tabs[j] the table of level j (j <= L) and in eps[j] its entry that leads
 * further (j < L); *reached tells how many eps[] are set (L unless a group
 * could not be made).  With create, missing groups are made (filled with the
 * entry they replace, then linked); else a missing one is a broken
 * invariant. */
static int
path_table(struct lpm_tab *t, const uint8_t *k, unsigned L, bool create,
	   uint32_t **eps, uint32_t **tabs, unsigned *reached)
{
	uint32_t *tab = t->root, *ep, *g, e, gi, i;
	unsigned j;
	int rc;

	for (j = 0; j < L; j++) {
		tabs[j] = tab;
		ep = &tab[key_idx(t, k, j)];
		e = *ep;
		eps[j] = ep;
		*reached = j + 1;
		if (!(e & LPM_E_EXT)) {
			if (!create) {
				fprintf(stderr,
					"lpm path_table: no group at "
					"level %u\n",
					j + 1);
				abort();
			}
			if ((rc = group_alloc(t, &gi)) < 0)
				return rc;
			g = group_ptr(t, gi);
			for (i = 0; i < LPM_GROUP_SIZE; i++)
				g[i] = e;
			e = LPM_E_EXT | gi;
			__atomic_store_n(ep, e, __ATOMIC_RELEASE);
		}
		tab = group_ptr(t, e & LPM_E_MASK);
	}
	tabs[L] = tab;
	return 0;
}

/* Folds back, deepest first, the groups on the recorded path (levels
 * L..1) that hold nothing deeper than their first bit: all their entries
 * are then the same leaf, which replaces the link. */
static void
collapse_path(struct lpm_tab *t, uint32_t **eps, unsigned L)
{
	uint32_t *g, e, first;
	unsigned j, base;
	uint32_t i;

	for (j = L; j >= 1; j--) {
		e = *eps[j - 1];
		if (!(e & LPM_E_EXT))
			continue;
		g = group_ptr(t, e & LPM_E_MASK);
		base = level_end(t, j - 1);
		first = g[0];
		/* blocks of 32 without branches inside (vectorised) */
		for (i = 0; i < LPM_GROUP_SIZE; i += 32) {
			uint32_t deep = 0;

			for (unsigned k = i; k < i + 32; k++)
				deep |= (g[k] & LPM_E_EXT) |
					(uint32_t)(depth_of(g[k]) > base);
			if (deep != 0)
				return;
		}
		__atomic_store_n(eps[j - 1], first, __ATOMIC_RELEASE);
		retire_group(t, e & LPM_E_MASK);
	}
}

/* Over entries tab[start, start + count) and everything below them:
 * leaves of depth <= d (add) or == d (delete) become v. */
static void
fill(struct lpm_tab *t, uint32_t *tab, uint32_t start, uint32_t count,
     uint32_t v, unsigned d, bool del)
{
	uint32_t i, e;
	unsigned dep;

	for (i = start; i < start + count; i++) {
		e = tab[i];
		if (e & LPM_E_EXT) {
			fill(t, group_ptr(t, e & LPM_E_MASK), 0, LPM_GROUP_SIZE,
			     v, d, del);
			continue;
		}
		dep = depth_of(e);
		if (del ? dep == d : dep <= d)
			store(&tab[i], v);
	}
}

/* Looks in the table at the sibling of P's first j bits (flip bit j - 1)
 * for a leaf shallower than j: the longest prefix matching an address
 * there, if shorter than j, also covers P|j-1 and is the longest that
 * does.  Looks at a few entries only; false when they do not tell. */
static bool
sibling_leaf(const struct lpm_tab *t, const uint8_t *k, unsigned j,
	     uint32_t **tabs, uint32_t *out)
{
	unsigned L = level_of(t, j), n, m;
	uint32_t cnt = 1u << (level_end(t, L) - j), start, e, *g;

	start = (key_idx(t, k, L) & ~(cnt - 1)) ^ cnt;
	for (n = 0; n < cnt && n < 4; n++) {
		e = tabs[L][start + n];
		if (!(e & LPM_E_EXT)) {
			if (depth_of(e) < j) {
				*out = e;
				return true;
			}
			continue;
		}
		g = group_ptr(t, e & LPM_E_MASK);
		for (m = 0; m < 8; m++) {
			e = g[m * 32];
			if (!(e & LPM_E_EXT) && depth_of(e) < j) {
				*out = e;
				return true;
			}
		}
	}
	return false;
}

/* The leaf of the longest rule shorter than p->len that contains p, or 0
 * (no such rule).  Going up one bit at a time: the table beside P answers
 * for everything shorter than j, else the rule store says whether P|j-1
 * itself is a rule.  Invariant: no rule of length j..len-1 contains P. */
static uint32_t
cover_leaf(const struct lpm_tab *t, const struct prefix *p, uint32_t **tabs)
{
	struct prefix q = *p;
	uint32_t e, nh;
	unsigned j;

	for (j = p->len; j > 0; j--) {
		if (sibling_leaf(t, p->addr.bytes, j, tabs, &e))
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
		if (maxg == 0)
			maxg = LPM6_GROUPS_DEFAULT;
	}
	t->nlevels = 1 + (t->maxlen - t->root_bits) / 8;
	if (maxg > LPM_GROUPS_MAX)
		return -CEN_ERANGE;
	t->max_groups = (maxg + CHUNK_GROUPS - 1) & ~(CHUNK_GROUPS - 1);
	t->root_bytes = (size_t)4 << t->root_bits;
	/* Reserved (not committed) now, so that its address never changes
	 * under a lookup. */
	t->grp_bytes = (size_t)t->max_groups * LPM_GROUP_SIZE * 4;
	t->grp = lpm_map(t->grp_bytes, true);
	if (t->grp == NULL)
		return -CEN_ENOMEM;
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
	munmap(t->grp, t->grp_bytes);
	free(t->used);
	free(t->chunk_used);
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
	uint32_t *eps[MAX_LEVELS], *tabs[MAX_LEVELS], *root, old = 0;
	struct prefix p = *pin;
	unsigned L, reached = 0;
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
	if ((rc = path_table(t, p.addr.bytes, L, true, eps, tabs, &reached)) <
	    0) {
		/* fold back the groups made on the way down */
		collapse_path(t, eps, reached);
		goto undo;
	}
	fill(t, tabs[L], key_idx(t, p.addr.bytes, L),
	     1u << (level_end(t, L) - p.len), leaf(nh, p.len), p.len, false);
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
	uint32_t *eps[MAX_LEVELS], *tabs[MAX_LEVELS], v;
	struct prefix p = *pin;
	unsigned L, reached;

	if (p.family != t->family || p.len > t->maxlen)
		return -CEN_EINVAL;
	prefix_canon(&p);
	drain(t);
	if (lpm_rules_del(&t->rules, &p, NULL) < 0)
		return -CEN_ENOENT;
	L = level_of(t, p.len);
	path_table(t, p.addr.bytes, L, false, eps, tabs, &reached);
	v = cover_leaf(t, &p, tabs);
	fill(t, tabs[L], key_idx(t, p.addr.bytes, L),
	     1u << (level_end(t, L) - p.len), v, p.len, true);
	collapse_path(t, eps, L);
	if (t->rules.count == 0) {
		/* Nothing left (every group has been folded back): the first
		 * level goes too, after a grace period. */
		retire_root(t);
	}
	maybe_flush(t);
	return 0;
}

void
lpm_tab_mem(const struct lpm_tab *t, struct lpm_mem *m)
{
	memset(m, 0, sizeof(*m));
	m->root_bytes = t->root != NULL ? t->root_bytes : 0;
	m->groups = t->ngroups;
	m->group_bytes = (size_t)t->ngroups * LPM_GROUP_SIZE * 4;
	m->pool_bytes = (size_t)t->chunks_live * HUGE_SIZE;
	m->rule_bytes = lpm_rules_bytes(&t->rules);
	m->total = m->root_bytes + m->pool_bytes + m->rule_bytes;
	if (t->used != NULL)
		m->total += t->max_groups / 8 +
			    t->max_groups / CHUNK_GROUPS * sizeof(uint16_t);
}

void
lpm_tab_reclaim(struct lpm_tab *t)
{
	flush(t);
	if (__atomic_load_n(&t->inflight, __ATOMIC_ACQUIRE) > 0)
		rcu_barrier();
	drain(t);
}
