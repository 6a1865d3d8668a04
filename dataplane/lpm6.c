/*
 * lpm6.c - IPv6 longest-prefix match (lpm.h): a multibit trie with a
 * 2^16-entry first level (256 KiB, stays in cache) indexed by the top 16
 * address bits, then one level per further address byte, as far as the
 * longest prefix below needs (a /48 is four levels down, a /128 fourteen).
 * A level is a group of 256 entries, read with one address byte, or part
 * of a single (16 bytes), read by comparing up to seven address bytes with
 * its key at once: a /128 alone under a /48 is two steps, not ten.  A
 * lookup keeps the last link that carries a leaf on its way down, for when
 * it ends on a 0 (lpm_int.h).  Updates and memory are the engine's (lpm.c).
 *
 * lpm6_lookup_bulk walks a burst node by node: each round reads the entry
 * every unfinished lookup prefetched in the round before and prefetches the
 * next one, so the cache misses of a whole burst overlap instead of being
 * paid one after another down each lookup's chain.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "dataplane/lpm_int.h"

struct lpm6 {
	struct lpm_tab tab;
};

/* Lookups in flight in one round of lpm6_lookup_bulk. */
#define LPM6_BURST 64

static int
v6_prefix(struct prefix *p, const uint8_t addr[16], unsigned len)
{
	if (len > 128)
		return -CEN_EINVAL;
	prefix_from_v6(p, addr, (uint8_t)len);
	return 0;
}

struct lpm6 *
lpm6_new(const struct lpm_config *cfg)
{
	struct lpm6 *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	if (lpm_tab_init(&t->tab, PREFIX_AF_INET6, cfg) < 0) {
		free(t);
		return NULL;
	}
	return t;
}

void
lpm6_free(struct lpm6 *t)
{
	if (t == NULL)
		return;
	lpm_tab_fini(&t->tab);
	free(t);
}

int
lpm6_add(struct lpm6 *t, const uint8_t addr[16], unsigned len, uint32_t nh)
{
	struct prefix p;

	if (v6_prefix(&p, addr, len) < 0)
		return -CEN_EINVAL;
	return lpm_tab_add(&t->tab, &p, nh);
}

int
lpm6_del(struct lpm6 *t, const uint8_t addr[16], unsigned len)
{
	struct prefix p;

	if (v6_prefix(&p, addr, len) < 0)
		return -CEN_EINVAL;
	return lpm_tab_del(&t->tab, &p);
}

int
lpm6_get(const struct lpm6 *t, const uint8_t addr[16], unsigned len,
	 uint32_t *nh)
{
	struct prefix p;

	if (v6_prefix(&p, addr, len) < 0)
		return -CEN_EINVAL;
	return lpm_tab_get(&t->tab, &p, nh);
}

/* A lookup on its way down: the link it follows next, the address and
 * the byte it has reached, and the last link that carried a leaf. */
struct walk {
	const uint8_t *a;
	uint32_t link;
	uint32_t cw;
	uint32_t ib;
};

static inline uint64_t
be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return __builtin_bswap64(v);
}

/* Address bytes i.. (i < 16) as a number, the first in the top byte,
 * zeroes past the end. */
static inline uint64_t
window(const uint8_t *a, unsigned i)
{
	unsigned j = i < 8 ? i : 8;

	return be64(a + j) << (8 * (i - j));
}

/* Follows w->link: the entry of the node it leads to for the next address
 * byte(s), 0 where a single's key does not match the address.  A link
 * that carries a leaf is kept in w->cw: its carry word is read only if the
 * lookup ends on a 0 (it stays what it is until the node is reused, after
 * the reader's read-side section). */
static inline uint32_t
walk_step(const struct lpm_tab *t, struct walk *w)
{
	uint32_t l = w->link, i = l & LPM_E_MASK;
	const struct lpm_single *s;
	uint64_t key;
	unsigned n;

	w->cw = (l & LPM_E_CARRY) ? l : w->cw;
	if (!(l & LPM_E_SINGLE))
		return LPM_LOAD(&t->grp[i << 8 | w->a[w->ib++]]);
	s = &t->single[i];
	key = LPM_LOAD(&s->key);
	n = lpm_single_len(key);
	i = w->ib;
	w->ib = i + n;
	if ((window(w->a, i) ^ key) & lpm_key_mask(n))
		return 0;
	return LPM_LOAD(&s->val);
}

/* The leaf a lookup ends with: its last entry, or if that is 0 the leaf
 * carried by the last link that had one (prefixes met further down are
 * longer: this is the longest match). */
static inline uint32_t
result(const struct lpm_tab *t, uint32_t e, uint32_t cw)
{
	if (e == 0 && cw != 0)
		e = lpm_carried(t, cw);
	return lpm_leaf_nh(e);
}

static inline void
walk_start(struct walk *w, const uint8_t a[16], uint32_t link)
{
	w->a = a;
	w->ib = 2;
	w->cw = 0;
	w->link = link;
}

uint32_t
lpm6_lookup(const struct lpm6 *t, const uint8_t a[16])
{
	const uint32_t *root = __atomic_load_n(&t->tab.root, __ATOMIC_CONSUME);
	struct walk w;
	uint32_t e;

	if (__builtin_expect(root == NULL, 0))
		return LPM_MISS;
	e = LPM_LOAD(&root[(uint32_t)a[0] << 8 | a[1]]);
	if (!(e & LPM_E_EXT))
		return lpm_leaf_nh(e);
	walk_start(&w, a, e);
	while ((e = walk_step(&t->tab, &w)) & LPM_E_EXT)
		w.link = e;
	return result(&t->tab, e, w.cw);
}

/* In lpm6_lookup_bulk, the address of a single's val plus SINGLE_TAG
 * (singles are 8-byte aligned, entries 4-byte): its key must match the
 * address before the entry counts. */
#define SINGLE_TAG ((uintptr_t)1)

/* Where a lookup at address byte b goes from link e: *p is the entry it
 * reads next (prefetched), tagged for a single; returns the address byte
 * after that entry's (a single's tells its length only once read). */
static inline unsigned
follow(const struct lpm_tab *t, uint32_t e, const uint8_t *a, unsigned b,
       uintptr_t *p)
{
	uint32_t g = e & LPM_E_MASK;

	if (e & LPM_E_SINGLE) {
		*p = (uintptr_t)&t->single[g].val | SINGLE_TAG;
		__builtin_prefetch(&t->single[g]);
		return b;
	}
	*p = (uintptr_t)&t->grp[g << 8 | a[b]];
	__builtin_prefetch(&t->grp[g << 8 | a[b]]);
	return b + 1;
}

void
lpm6_lookup_bulk(const struct lpm6 *t, const uint8_t (*addrs)[16],
		 uint32_t *nhs, size_t n)
{
	const uint32_t *root = __atomic_load_n(&t->tab.root, __ATOMIC_CONSUME);
	const struct lpm_tab *tab = &t->tab;
	/* per lookup: the entry it reads next (see follow), the next
	 * address byte, the last link that carried a leaf */
	uintptr_t ep[LPM6_BURST];
	uint32_t cw[LPM6_BURST];
	uint8_t ib[LPM6_BURST];
	uint8_t act[LPM6_BURST], late[LPM6_BURST];
	unsigned na, nn, nl, k, j, m, b;
	size_t base, i;
	uint32_t e;

	if (__builtin_expect(root == NULL, 0)) {
		for (i = 0; i < n; i++)
			nhs[i] = LPM_MISS;
		return;
	}
	for (base = 0; base < n; base += LPM6_BURST) {
		const uint8_t(*a)[16] = addrs + base;

		m = n - base < LPM6_BURST ? (unsigned)(n - base) : LPM6_BURST;
		for (k = 0; k < m; k++)
			__builtin_prefetch(
				&root[(uint32_t)a[k][0] << 8 | a[k][1]]);
		/* the first level and, where it links to a group, the group
		 * too: the few groups right under the first level are in
		 * cache, not worth a round of their own */
		na = 0;
		nl = 0;
		for (k = 0; k < m; k++) {
			e = LPM_LOAD(&root[(uint32_t)a[k][0] << 8 | a[k][1]]);
			cw[k] = 0;
			b = 2;
			if ((e & (LPM_E_EXT | LPM_E_SINGLE)) == LPM_E_EXT) {
				if (e & LPM_E_CARRY)
					cw[k] = e;
				e = LPM_LOAD(&tab->grp[(e & LPM_E_MASK) << 8 |
						       a[k][2]]);
				b = 3;
			}
			if (!(e & LPM_E_EXT)) {
				nhs[base + k] = lpm_leaf_nh(e);
				late[nl] = (uint8_t)k;
				nl += e == 0 && cw[k] != 0;
				continue;
			}
			if (e & LPM_E_CARRY)
				cw[k] = e;
			ib[k] = (uint8_t)follow(tab, e, a[k], b, &ep[k]);
			act[na++] = (uint8_t)k;
		}
		/* a round per node: each lookup still going reads what the
		 * round before prefetched and prefetches its next node, so
		 * the misses of a burst overlap */
		while (na > 0) {
			nn = 0;
			for (k = 0; k < na; k++) {
				uintptr_t p;

				j = act[k];
				p = ep[j];
				b = ib[j];
				if (__builtin_expect(p & SINGLE_TAG, 0)) {
					const struct lpm_single *s =
						(const void *)(p - SINGLE_TAG);
					uint64_t key = LPM_LOAD(&s->key);
					unsigned kl = lpm_single_len(key);

					e = LPM_LOAD(&s->val);
					if ((window(a[j], b) ^ key) &
					    lpm_key_mask(kl))
						e = 0;
					b += kl;
				} else {
					e = LPM_LOAD((const uint32_t *)p);
				}
				if (e & LPM_E_EXT) {
					if (__builtin_expect(e & LPM_E_CARRY,
							     0))
						cw[j] = e;
					ib[j] = (uint8_t)follow(tab, e, a[j], b,
								&ep[j]);
					act[nn++] = (uint8_t)j;
				} else {
					/* a 0 takes the carried leaf, in a
					 * last round */
					nhs[base + j] = lpm_leaf_nh(e);
					late[nl] = (uint8_t)j;
					nl += e == 0 && cw[j] != 0;
				}
			}
			na = nn;
		}
		for (k = 0; k < nl; k++)
			nhs[base + late[k]] = result(tab, 0, cw[late[k]]);
	}
}

size_t
lpm6_count(const struct lpm6 *t)
{
	return t->tab.rules.count;
}

void
lpm6_mem(const struct lpm6 *t, struct lpm_mem *m)
{
	lpm_tab_mem(&t->tab, m);
}

void
lpm6_reclaim(struct lpm6 *t)
{
	lpm_tab_reclaim(&t->tab);
}
