/*
 * lpm4.c - IPv4 longest-prefix match, DIR-24-8 (lpm.h): a 2^24-entry first
 * level indexed by the top 24 address bits, and 256-entry groups for the
 * last byte of prefixes longer than /24, as DPDK's rte_lpm.  A lookup is one
 * load, or two for addresses under a prefix longer than /24 (three where
 * the group's entry is 0 and the leaf of a prefix of /24 or shorter is
 * carried by the link: lpm_int.h).  Updates and
 * memory are the engine's (lpm.c).
 */
#include <stdlib.h>

#include "core/err.h"
#include "dataplane/lpm_int.h"

struct lpm4 {
	struct lpm_tab tab;
};

/* Addresses lpm4_lookup_bulk has in flight at once. */
#define LPM4_BURST 64

static int
v4_prefix(struct prefix *p, uint32_t addr, unsigned len)
{
	if (len > 32)
		return -CEN_EINVAL;
	prefix_from_v4(p, addr, (uint8_t)len);
	return 0;
}

struct lpm4 *
lpm4_new(const struct lpm_config *cfg)
{
	struct lpm4 *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	if (lpm_tab_init(&t->tab, PREFIX_AF_INET, cfg) < 0) {
		free(t);
		return NULL;
	}
	return t;
}

void
lpm4_free(struct lpm4 *t)
{
	if (t == NULL)
		return;
	lpm_tab_fini(&t->tab);
	free(t);
}

int
lpm4_add(struct lpm4 *t, uint32_t addr, unsigned len, uint32_t nh)
{
	struct prefix p;

	if (v4_prefix(&p, addr, len) < 0)
		return -CEN_EINVAL;
	return lpm_tab_add(&t->tab, &p, nh);
}

int
lpm4_del(struct lpm4 *t, uint32_t addr, unsigned len)
{
	struct prefix p;

	if (v4_prefix(&p, addr, len) < 0)
		return -CEN_EINVAL;
	return lpm_tab_del(&t->tab, &p);
}

int
lpm4_get(const struct lpm4 *t, uint32_t addr, unsigned len, uint32_t *nh)
{
	struct prefix p;

	if (v4_prefix(&p, addr, len) < 0)
		return -CEN_EINVAL;
	return lpm_tab_get(&t->tab, &p, nh);
}

/* The leaf for addr under first-level link e: the group's entry for the
 * last byte, or where that is 0 the leaf the link carries (lpm_int.h). */
static inline uint32_t
last_byte(const struct lpm_tab *t, uint32_t e, uint32_t addr)
{
	uint32_t x = LPM_LOAD(&t->grp[(e & LPM_E_MASK) << 8 | (addr & 0xff)]);

	if (x != 0)
		return x;
	return (e & LPM_E_CARRY) ? lpm_carried(t, e) : 0;
}

uint32_t
lpm4_lookup(const struct lpm4 *t, uint32_t addr)
{
	const uint32_t *root = __atomic_load_n(&t->tab.root, __ATOMIC_CONSUME);
	uint32_t e;

	if (__builtin_expect(root == NULL, 0))
		return LPM_MISS;
	e = LPM_LOAD(&root[addr >> 8]);
	if (e & LPM_E_EXT)
		e = last_byte(&t->tab, e, addr);
	return lpm_leaf_nh(e);
}

void
lpm4_lookup_bulk(const struct lpm4 *t, const uint32_t *addrs, uint32_t *nhs,
		 size_t n)
{
	const uint32_t *root = __atomic_load_n(&t->tab.root, __ATOMIC_CONSUME);
	const uint32_t *grp = t->tab.grp;
	uint32_t e[LPM4_BURST];
	size_t base, i, m;
	unsigned ext;

	if (__builtin_expect(root == NULL, 0)) {
		for (i = 0; i < n; i++)
			nhs[i] = LPM_MISS;
		return;
	}
	/* prefetch the first-level entries of a whole burst, then read
	 * them; the few that extend are prefetched in turn and read last */
	for (base = 0; base < n; base += m) {
		m = n - base < LPM4_BURST ? n - base : LPM4_BURST;
		for (i = 0; i < m; i++)
			__builtin_prefetch(&root[addrs[base + i] >> 8]);
		ext = 0;
		for (i = 0; i < m; i++) {
			e[i] = LPM_LOAD(&root[addrs[base + i] >> 8]);
			if (e[i] & LPM_E_EXT) {
				ext++;
				__builtin_prefetch(
					&grp[(e[i] & LPM_E_MASK) << 8 |
					     (addrs[base + i] & 0xff)]);
			}
		}
		if (ext != 0) {
			for (i = 0; i < m; i++)
				if (e[i] & LPM_E_EXT)
					e[i] = last_byte(&t->tab, e[i],
							 addrs[base + i]);
		}
		for (i = 0; i < m; i++)
			nhs[base + i] = lpm_leaf_nh(e[i]);
	}
}

size_t
lpm4_count(const struct lpm4 *t)
{
	return t->tab.rules.count;
}

void
lpm4_mem(const struct lpm4 *t, struct lpm_mem *m)
{
	lpm_tab_mem(&t->tab, m);
}

void
lpm4_reclaim(struct lpm4 *t)
{
	lpm_tab_reclaim(&t->tab);
}
