/*
 * lpm6.c - IPv6 longest-prefix match (lpm.h): a multibit trie with a
 * 2^16-entry first level (256 KiB, stays in cache) indexed by the top 16
 * address bits, then one 256-entry group per further address byte, as far
 * as the longest prefix below needs (a /48 is four groups down, a /128
 * fourteen).  Updates and memory are the engine's (lpm.c).
 *
 * lpm6_lookup_bulk walks a burst level by level: each round reads the entry
 * every unfinished lookup prefetched in the round before and prefetches the
 * next one, so the cache misses of a whole burst overlap instead of being
 * paid one after another down each lookup's chain.
 */
#include <stdlib.h>

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

uint32_t
lpm6_lookup(const struct lpm6 *t, const uint8_t a[16])
{
	const uint32_t *root = __atomic_load_n(&t->tab.root, __ATOMIC_CONSUME);
	const uint32_t *grp = t->tab.grp;
	uint32_t e;
	unsigned i = 2;

	if (__builtin_expect(root == NULL, 0))
		return LPM_MISS;
	e = LPM_LOAD(&root[(uint32_t)a[0] << 8 | a[1]]);
	while (e & LPM_E_EXT)
		e = LPM_LOAD(&grp[(e & LPM_E_MASK) << 8 | a[i++]]);
	return lpm_leaf_nh(e);
}

void
lpm6_lookup_bulk(const struct lpm6 *t, const uint8_t (*addrs)[16],
		 uint32_t *nhs, size_t n)
{
	const uint32_t *root = __atomic_load_n(&t->tab.root, __ATOMIC_CONSUME);
	const uint32_t *grp = t->tab.grp;
	const uint32_t *ptr[LPM6_BURST];
	uint16_t act[LPM6_BURST];
	unsigned na, nn, k, level, m;
	size_t base, i;
	uint32_t e;

	if (__builtin_expect(root == NULL, 0)) {
		for (i = 0; i < n; i++)
			nhs[i] = LPM_MISS;
		return;
	}
	for (base = 0; base < n; base += LPM6_BURST) {
		m = n - base < LPM6_BURST ? (unsigned)(n - base) : LPM6_BURST;
		for (k = 0; k < m; k++) {
			const uint8_t *a = addrs[base + k];

			ptr[k] = &root[(uint32_t)a[0] << 8 | a[1]];
			__builtin_prefetch(ptr[k]);
			act[k] = (uint16_t)k;
		}
		na = m;
		for (level = 2; na > 0; level++) {
			nn = 0;
			for (k = 0; k < na; k++) {
				unsigned j = act[k];

				e = LPM_LOAD(ptr[j]);
				if (e & LPM_E_EXT) {
					ptr[j] = &grp[(e & LPM_E_MASK) << 8 |
						      addrs[base + j][level]];
					__builtin_prefetch(ptr[j]);
					act[nn++] = (uint16_t)j;
				} else {
					nhs[base + j] = lpm_leaf_nh(e);
				}
			}
			na = nn;
		}
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
