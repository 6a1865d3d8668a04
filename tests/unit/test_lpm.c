/*
 * test_lpm.c - the forwarder's LPM tables (dataplane/lpm*.c): lookups
 * checked against a brute-force model over thousands of random adds and
 * deletes (fixed seeds), the edge cases (default routes, host routes,
 * deletes falling back to covering routes), memory coming back when groups
 * and tables empty, bulk lookups agreeing with single ones, and a reader
 * thread that must only ever see an old or a new next hop while a writer
 * changes the table under it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthread.h>
#include <urcu.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/prefix.h"
#include "dataplane/lpm.h"

/* Seconds on the monotonic clock: deadlines for the concurrent tests. */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* xorshift64: fixed seeds give the same prefixes everywhere. */
static uint64_t rng_state;

static void
rng_seed(uint64_t seed)
{
	rng_state = seed != 0 ? seed : 1;
}

static uint64_t
rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static uint32_t
rng_below(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

static uint32_t
v4(const char *s)
{
	struct prefix p;

	if (prefix_parse_addr(&p, s) != 0)
		fail_msg("bad address in test: %s", s);
	return prefix_v4(&p);
}

static void
v6(const char *s, uint8_t out[16])
{
	struct prefix p;

	if (prefix_parse_addr(&p, s) != 0)
		fail_msg("bad address in test: %s", s);
	memcpy(out, p.addr.v6, 16);
}

/* The brute-force model: a list of (prefix, next hop). */
struct model {
	struct prefix p[8192];
	uint32_t nh[8192];
	size_t n;
};

static long
model_find(const struct model *m, const struct prefix *p)
{
	for (size_t i = 0; i < m->n; i++)
		if (prefix_equal(&m->p[i], p))
			return (long)i;
	return -1;
}

static uint32_t
model_lookup(const struct model *m, const struct prefix *addr)
{
	int best = -1;
	uint32_t nh = LPM_MISS;

	for (size_t i = 0; i < m->n; i++)
		if (prefix_contains(&m->p[i], addr) && m->p[i].len > best) {
			best = m->p[i].len;
			nh = m->nh[i];
		}
	return nh;
}

/* One table of either family behind the same calls. */
struct tab {
	uint8_t family;
	struct lpm4 *t4;
	struct lpm6 *t6;
};

static void
tab_new(struct tab *t, uint8_t family, const struct lpm_config *cfg)
{
	t->family = family;
	t->t4 = NULL;
	t->t6 = NULL;
	if (family == PREFIX_AF_INET)
		assert_non_null(t->t4 = lpm4_new(cfg));
	else
		assert_non_null(t->t6 = lpm6_new(cfg));
}

static void
tab_free(struct tab *t)
{
	lpm4_free(t->t4);
	lpm6_free(t->t6);
}

static int
tab_add(struct tab *t, const struct prefix *p, uint32_t nh)
{
	return t->t4 != NULL ? lpm4_add(t->t4, prefix_v4(p), p->len, nh)
			     : lpm6_add(t->t6, p->addr.v6, p->len, nh);
}

static int
tab_del(struct tab *t, const struct prefix *p)
{
	return t->t4 != NULL ? lpm4_del(t->t4, prefix_v4(p), p->len)
			     : lpm6_del(t->t6, p->addr.v6, p->len);
}

static uint32_t
tab_lookup(struct tab *t, const struct prefix *a)
{
	uint32_t nh;

	rcu_read_lock();
	nh = t->t4 != NULL ? lpm4_lookup(t->t4, prefix_v4(a))
			   : lpm6_lookup(t->t6, a->addr.v6);
	rcu_read_unlock();
	return nh;
}

static void
tab_mem(struct tab *t, struct lpm_mem *m)
{
	if (t->t4 != NULL) {
		lpm4_reclaim(t->t4);
		lpm4_mem(t->t4, m);
	} else {
		lpm6_reclaim(t->t6);
		lpm6_mem(t->t6, m);
	}
}

static size_t
tab_count(struct tab *t)
{
	return t->t4 != NULL ? lpm4_count(t->t4) : lpm6_count(t->t6);
}

/* Random prefixes that nest often: a few base blocks, every length, more
 * of the lengths around the levels' edges (/16, /24, /32, /48...). */
static void
rand_prefix(uint8_t family, struct prefix *p)
{
	static const uint32_t v4_base[] = { 0x0a000000, 0x0a010000, 0xc0a80000,
					    0xffffff00 };
	unsigned max = prefix_maxlen(family), len;
	uint8_t a[16];

	/* short IPv4 prefixes rewrite up to 2^24 first-level entries: rarer */
	if (rng_below(family == PREFIX_AF_INET ? 24 : 4) == 0)
		len = rng_below(max + 1);
	else if (family == PREFIX_AF_INET)
		len = 16 + rng_below(17);
	else
		len = 16 + rng_below(49);
	if (family == PREFIX_AF_INET) {
		uint32_t x =
			v4_base[rng_below(4)] |
			((uint32_t)rng() & (rng_below(2) ? 0xffff : 0x3ff));

		prefix_from_v4(p, x, (uint8_t)len);
		return;
	}
	for (unsigned i = 0; i < 16; i++)
		a[i] = (uint8_t)rng();
	a[0] = 0x20;
	a[1] = rng_below(2) ? 0x01 : 0x02;
	a[2] = 0x0d;
	a[3] = (uint8_t)rng_below(2);
	if (rng_below(2))
		memset(a + 6, 0, 4);
	prefix_from_v6(p, a, (uint8_t)len);
}

/* An address inside p (or near it): its first, last or a random one. */
static void
addr_near(const struct prefix *p, struct prefix *a)
{
	unsigned max = prefix_maxlen(p->family), i;
	uint32_t how = rng_below(4);

	*a = *p;
	a->len = (uint8_t)max;
	for (i = p->len; i < max; i++) {
		int bit = how == 0 ? 0 : how == 1 ? 1 : (int)(rng() & 1);

		if (bit)
			a->addr.bytes[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	}
	if (how == 3 && p->len > 0) {
		/* flip a bit of the network part: just outside */
		i = rng_below(p->len);
		a->addr.bytes[i / 8] ^= (uint8_t)(0x80 >> (i % 8));
	}
}

static void
check_against_model(struct tab *t, const struct model *m, unsigned probes)
{
	struct prefix a[64];
	uint32_t got[64], bulk[64];
	uint8_t a6[64][16];
	uint32_t a4[64];

	for (unsigned k = 0; k < probes; k += 64) {
		for (unsigned j = 0; j < 64; j++) {
			if (m->n > 0 && rng_below(8) != 0)
				addr_near(&m->p[rng_below((uint32_t)m->n)],
					  &a[j]);
			else
				rand_prefix(t->family, &a[j]),
					addr_near(&a[j], &a[j]);
			got[j] = tab_lookup(t, &a[j]);
			if (got[j] != model_lookup(m, &a[j])) {
				char b[PREFIX_STRLEN];

				fail_msg("lookup %s: got %u, want %u",
					 prefix_fmt_addr(&a[j], b, sizeof(b)),
					 got[j], model_lookup(m, &a[j]));
			}
			a4[j] = t->t4 != NULL ? prefix_v4(&a[j]) : 0;
			memcpy(a6[j], a[j].addr.v6, 16);
		}
		rcu_read_lock();
		if (t->t4 != NULL)
			lpm4_lookup_bulk(t->t4, a4, bulk, 64);
		else
			lpm6_lookup_bulk(t->t6, (const uint8_t(*)[16])a6, bulk,
					 64);
		rcu_read_unlock();
		assert_memory_equal(bulk, got, sizeof(got));
	}
}

/* Random adds (new prefixes and next-hop changes) and deletes, checked
 * against the model every few operations. */
static void
random_ops(uint8_t family, uint64_t seed, unsigned ops)
{
	struct model *m = calloc(1, sizeof(*m));
	struct prefix p;
	struct tab t;
	struct lpm_mem mem;

	assert_non_null(m);
	rng_seed(seed);
	tab_new(&t, family, NULL);
	for (unsigned op = 0; op < ops; op++) {
		bool del = m->n > 0 && rng_below(100) < 40;
		long i;

		if (del) {
			i = (long)rng_below((uint32_t)m->n);
			p = m->p[i];
			assert_int_equal(tab_del(&t, &p), 0);
			m->p[i] = m->p[m->n - 1];
			m->nh[i] = m->nh[m->n - 1];
			m->n--;
			assert_int_equal(tab_del(&t, &p), -CEN_ENOENT);
		} else {
			uint32_t nh = rng_below(LPM_NH_MAX + 1);

			rand_prefix(family, &p);
			if ((i = model_find(m, &p)) < 0) {
				assert_true(m->n < 8192);
				i = (long)m->n++;
				m->p[i] = p;
			}
			m->nh[i] = nh;
			assert_int_equal(tab_add(&t, &p, nh), 0);
		}
		assert_int_equal(tab_count(&t), m->n);
		if (op % 16 == 0)
			check_against_model(&t, m, 64);
	}
	check_against_model(&t, m, 4096);
	/* delete everything: back to no memory but the empty rule store */
	while (m->n > 0) {
		assert_int_equal(tab_del(&t, &m->p[--m->n]), 0);
		if (m->n % 64 == 0)
			check_against_model(&t, m, 64);
	}
	tab_mem(&t, &mem);
	assert_int_equal(mem.groups, 0);
	assert_int_equal(mem.singles, 0);
	assert_int_equal(mem.pool_bytes, 0);
	assert_int_equal(mem.root_bytes, 0);
	tab_free(&t);
	free(m);
}

static void
test_lpm4_matches_brute_force_over_random_adds_and_deletes(void **state)
{
	random_ops(PREFIX_AF_INET, 1, 6000);
	random_ops(PREFIX_AF_INET, 2, 6000);
}

static void
test_lpm6_matches_brute_force_over_random_adds_and_deletes(void **state)
{
	random_ops(PREFIX_AF_INET6, 3, 6000);
	random_ops(PREFIX_AF_INET6, 4, 6000);
}

static void
test_lpm4_empty_table_misses_and_maps_no_first_level(void **state)
{
	struct lpm4 *t = lpm4_new(NULL);
	uint32_t a[3] = { 0, 0x0a000001, UINT32_MAX }, nh[3];
	struct lpm_mem m;

	assert_non_null(t);
	assert_int_equal(lpm4_lookup(t, 0x0a000001), LPM_MISS);
	lpm4_lookup_bulk(t, a, nh, 3);
	assert_int_equal(nh[0], LPM_MISS);
	assert_int_equal(nh[2], LPM_MISS);
	lpm4_mem(t, &m);
	assert_int_equal(m.root_bytes, 0);
	assert_int_equal(m.groups, 0);
	assert_true(m.total < 4096);
	lpm4_free(t);
}

static void
test_lpm4_default_route_matches_every_address(void **state)
{
	struct lpm4 *t = lpm4_new(NULL);

	assert_int_equal(lpm4_add(t, 0, 0, 7), 0);
	assert_int_equal(lpm4_lookup(t, 0), 7);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.3")), 7);
	assert_int_equal(lpm4_lookup(t, UINT32_MAX), 7);
	/* a /32 under it, then the default goes and the /32 stays */
	assert_int_equal(lpm4_add(t, v4("10.1.2.3"), 32, 9), 0);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.3")), 9);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.4")), 7);
	assert_int_equal(lpm4_del(t, 0, 0), 0);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.3")), 9);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.4")), LPM_MISS);
	assert_int_equal(lpm4_lookup(t, 0), LPM_MISS);
	/* the default comes back under the /32 */
	assert_int_equal(lpm4_add(t, 0, 0, 8), 0);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.3")), 9);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.2")), 8);
	lpm4_free(t);
}

static void
test_lpm4_host_route_beats_every_covering_prefix(void **state)
{
	struct lpm4 *t = lpm4_new(NULL);

	assert_int_equal(lpm4_add(t, v4("10.0.0.0"), 8, 1), 0);
	assert_int_equal(lpm4_add(t, v4("10.1.0.0"), 16, 2), 0);
	assert_int_equal(lpm4_add(t, v4("10.1.2.0"), 24, 3), 0);
	assert_int_equal(lpm4_add(t, v4("10.1.2.0"), 28, 4), 0);
	assert_int_equal(lpm4_add(t, v4("10.1.2.5"), 32, 5), 0);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.5")), 5);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.4")), 4);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.16")), 3);
	assert_int_equal(lpm4_lookup(t, v4("10.1.3.0")), 2);
	assert_int_equal(lpm4_lookup(t, v4("10.2.0.0")), 1);
	assert_int_equal(lpm4_lookup(t, v4("11.0.0.0")), LPM_MISS);
	/* a shorter prefix added afterwards leaves longer ones alone */
	assert_int_equal(lpm4_add(t, v4("10.1.0.0"), 20, 6), 0);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.5")), 5);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.4")), 4);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.16")), 3);
	assert_int_equal(lpm4_lookup(t, v4("10.1.3.0")), 6);
	assert_int_equal(lpm4_lookup(t, v4("10.1.16.0")), 2);
	lpm4_free(t);
}

static void
test_lpm4_delete_restores_next_covering_prefix(void **state)
{
	struct lpm4 *t = lpm4_new(NULL);
	uint32_t nh;

	assert_int_equal(lpm4_add(t, v4("10.0.0.0"), 8, 1), 0);
	assert_int_equal(lpm4_add(t, v4("10.1.0.0"), 16, 2), 0);
	assert_int_equal(lpm4_add(t, v4("10.1.2.0"), 24, 3), 0);
	assert_int_equal(lpm4_add(t, v4("10.1.2.128"), 25, 4), 0);
	assert_int_equal(lpm4_add(t, v4("10.1.2.129"), 32, 5), 0);
	/* from the middle out */
	assert_int_equal(lpm4_del(t, v4("10.1.2.0"), 24), 0);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.1")), 2);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.130")), 4);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.129")), 5);
	assert_int_equal(lpm4_del(t, v4("10.1.2.128"), 25), 0);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.130")), 2);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.129")), 5);
	assert_int_equal(lpm4_del(t, v4("10.1.0.0"), 16), 0);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.130")), 1);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.129")), 5);
	assert_int_equal(lpm4_del(t, v4("10.1.2.129"), 32), 0);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.129")), 1);
	assert_int_equal(lpm4_get(t, v4("10.0.0.0"), 8, &nh), 0);
	assert_int_equal(nh, 1);
	assert_int_equal(lpm4_get(t, v4("10.1.0.0"), 16, &nh), -CEN_ENOENT);
	assert_int_equal(lpm4_del(t, v4("10.0.0.0"), 8), 0);
	assert_int_equal(lpm4_lookup(t, v4("10.1.2.129")), LPM_MISS);
	assert_int_equal(lpm4_count(t), 0);
	lpm4_free(t);
}

static void
test_lpm4_rejects_bad_lengths_next_hops_and_absent_prefixes(void **state)
{
	struct lpm4 *t = lpm4_new(NULL);
	struct lpm_config cfg = { LPM_GROUPS_MAX + 1 };

	assert_int_equal(lpm4_add(t, 0, 33, 1), -CEN_EINVAL);
	assert_int_equal(lpm4_add(t, 0, 8, LPM_NH_MAX + 1), -CEN_EINVAL);
	assert_int_equal(lpm4_add(t, 0, 8, LPM_NH_MAX), 0);
	assert_int_equal(lpm4_lookup(t, 1), LPM_NH_MAX);
	assert_int_equal(lpm4_del(t, 0, 33), -CEN_EINVAL);
	assert_int_equal(lpm4_del(t, 0, 9), -CEN_ENOENT);
	/* host bits are ignored */
	assert_int_equal(lpm4_del(t, 0x00ffffff, 8), 0);
	assert_null(lpm4_new(&cfg));
	lpm4_free(t);
}

static void
test_lpm4_groups_and_first_level_freed_when_emptied(void **state)
{
	struct lpm4 *t = lpm4_new(NULL);
	struct lpm_mem m0, m;
	uint32_t i;

	assert_int_equal(lpm4_add(t, v4("10.0.0.0"), 8, 1), 0);
	lpm4_reclaim(t);
	lpm4_mem(t, &m0);
	assert_int_equal(m0.root_bytes, 64u << 20);
	assert_int_equal(m0.groups, 0);
	/* 3000 /24s with a /28 inside each: one group apiece */
	for (i = 0; i < 3000; i++)
		assert_int_equal(
			lpm4_add(t, v4("10.0.0.0") + (i << 8) + 16, 28, 2 + i),
			0);
	lpm4_mem(t, &m);
	assert_int_equal(m.groups, 3000);
	assert_int_equal(m.group_bytes, 3000u * 1024);
	assert_true(m.pool_bytes >= 3000u * 1024);
	for (i = 0; i < 3000; i++)
		assert_int_equal(lpm4_lookup(t, v4("10.0.0.17") + (i << 8)),
				 2 + i);
	for (i = 0; i < 3000; i++)
		assert_int_equal(
			lpm4_del(t, v4("10.0.0.0") + (i << 8) + 16, 28), 0);
	lpm4_reclaim(t);
	lpm4_mem(t, &m);
	assert_int_equal(m.groups, 0);
	assert_int_equal(m.pool_bytes, 0);
	assert_int_equal(m.root_bytes, m0.root_bytes);
	assert_int_equal(lpm4_lookup(t, v4("10.0.0.17")), 1);
	/* and the last prefix takes the first level with it */
	assert_int_equal(lpm4_del(t, v4("10.0.0.0"), 8), 0);
	lpm4_reclaim(t);
	lpm4_mem(t, &m);
	assert_int_equal(m.root_bytes, 0);
	assert_int_equal(lpm4_lookup(t, v4("10.0.0.17")), LPM_MISS);
	lpm4_free(t);
}

static void
test_lpm4_add_fails_cleanly_when_groups_run_out(void **state)
{
	struct lpm_config cfg = { 1 }; /* rounded up to 2048 */
	struct lpm4 *t = lpm4_new(&cfg);
	struct lpm_mem m;
	uint32_t i, nh;
	int rc = 0;

	assert_non_null(t);
	for (i = 0; i < 4096 && rc == 0; i++)
		rc = lpm4_add(t, (i << 8) | 0x80, 25, i);
	assert_int_equal(rc, -CEN_ETOOBIG);
	assert_int_equal(i, 2049);
	assert_int_equal(lpm4_count(t), 2048);
	assert_int_equal(lpm4_get(t, (2048u << 8) | 0x80, 25, &nh),
			 -CEN_ENOENT);
	assert_int_equal(lpm4_lookup(t, (2048u << 8) | 0x80), LPM_MISS);
	/* a prefix that needs no group still goes in */
	assert_int_equal(lpm4_add(t, 0x0b000000, 8, 5), 0);
	/* and after a delete (and a grace period) the group is reused */
	assert_int_equal(lpm4_del(t, 0x80, 25), 0);
	lpm4_reclaim(t);
	assert_int_equal(lpm4_add(t, (2048u << 8) | 0x80, 25, 9), 0);
	assert_int_equal(lpm4_lookup(t, (2048u << 8) | 0x81), 9);
	lpm4_mem(t, &m);
	assert_int_equal(m.groups, 2048);
	lpm4_free(t);
}

static void
test_lpm6_default_and_host_routes(void **state)
{
	struct lpm6 *t = lpm6_new(NULL);
	uint8_t zero[16] = { 0 }, a[16], b[16], c[16];

	v6("2001:db8::1", a);
	v6("2001:db8::2", b);
	v6("2001:db8:1::", c);
	assert_int_equal(lpm6_lookup(t, a), LPM_MISS);
	assert_int_equal(lpm6_add(t, zero, 0, 1), 0);
	assert_int_equal(lpm6_lookup(t, a), 1);
	assert_int_equal(lpm6_lookup(t, zero), 1);
	assert_int_equal(lpm6_add(t, a, 128, 2), 0);
	assert_int_equal(lpm6_add(t, a, 32, 3), 0);
	assert_int_equal(lpm6_add(t, a, 48, 4), 0);
	assert_int_equal(lpm6_add(t, a, 127, 5), 0);
	assert_int_equal(lpm6_lookup(t, a), 2);
	assert_int_equal(lpm6_lookup(t, zero), 1);
	assert_int_equal(lpm6_lookup(t, b), 4);
	v6("2001:db8::", b);
	assert_int_equal(lpm6_lookup(t, b), 5);
	assert_int_equal(lpm6_lookup(t, c), 3);
	assert_int_equal(lpm6_del(t, a, 48), 0);
	assert_int_equal(lpm6_lookup(t, b), 5);
	v6("2001:db8::3", b);
	assert_int_equal(lpm6_lookup(t, b), 3);
	assert_int_equal(lpm6_del(t, a, 127), 0);
	assert_int_equal(lpm6_del(t, a, 32), 0);
	assert_int_equal(lpm6_lookup(t, b), 1);
	assert_int_equal(lpm6_lookup(t, a), 2);
	assert_int_equal(lpm6_add(t, a, 129, 2), -CEN_EINVAL);
	assert_int_equal(lpm6_del(t, zero, 0), 0);
	assert_int_equal(lpm6_lookup(t, b), LPM_MISS);
	assert_int_equal(lpm6_lookup(t, a), 2);
	lpm6_free(t);
}

static void
test_lpm6_host_route_nodes_freed_when_deleted(void **state)
{
	struct lpm6 *t = lpm6_new(NULL);
	uint8_t a[16];
	struct lpm_mem m;

	v6("2001:db8::", a);
	assert_int_equal(lpm6_add(t, a, 32, 1), 0);
	lpm6_reclaim(t);
	lpm6_mem(t, &m);
	/* a /32 ends in the second level below the root (bits 24..31):
	 * one single holds the two bytes */
	assert_int_equal(m.groups, 0);
	assert_int_equal(m.singles, 1);
	assert_int_equal(m.single_bytes, 16);
	assert_int_equal(m.root_bytes, 256u << 10);
	v6("2001:db8::1", a);
	assert_int_equal(lpm6_add(t, a, 128, 2), 0);
	lpm6_mem(t, &m);
	/* the twelve bytes past the /32: singles of seven and five */
	assert_int_equal(m.groups, 0);
	assert_int_equal(m.singles, 3);
	assert_int_equal(lpm6_lookup(t, a), 2);
	v6("2001:db8::2", a);
	assert_int_equal(lpm6_lookup(t, a), 1);
	v6("2001:db8:0:1::1", a);
	assert_int_equal(lpm6_lookup(t, a), 1);
	v6("2001:db8::1", a);
	assert_int_equal(lpm6_del(t, a, 128), 0);
	lpm6_reclaim(t);
	lpm6_mem(t, &m);
	assert_int_equal(m.groups, 0);
	assert_int_equal(m.singles, 1);
	assert_int_equal(lpm6_lookup(t, a), 1);
	v6("2001:db8::", a);
	assert_int_equal(lpm6_del(t, a, 32), 0);
	lpm6_reclaim(t);
	lpm6_mem(t, &m);
	assert_int_equal(m.groups, 0);
	assert_int_equal(m.singles, 0);
	assert_int_equal(m.pool_bytes, 0);
	assert_int_equal(m.root_bytes, 0);
	v6("2001:db8::1", a);
	assert_int_equal(lpm6_lookup(t, a), LPM_MISS);
	assert_int_equal(lpm6_add(t, a, 32, 1), 0);
	assert_int_equal(lpm6_lookup(t, a), 1);
	lpm6_free(t);
}

/* Two prefixes whose paths part inside a single: it is split there (a
 * group where they part), and joined again when one goes. */
static void
test_lpm6_single_split_where_paths_part_and_joined_when_one_goes(void **state)
{
	struct lpm6 *t = lpm6_new(NULL);
	uint8_t a[16], b[16], c[16];
	struct lpm_mem m;

	v6("2001:db8:1:2:3:4:5:6", a);
	v6("2001:db8:1:2:3:4:5:7", b);
	v6("2001:db8:1:2:3:4:5:8", c);
	assert_int_equal(lpm6_add(t, a, 128, 1), 0);
	lpm6_reclaim(t);
	lpm6_mem(t, &m);
	assert_int_equal(m.singles, 2); /* levels 1..7 and 8..14 */
	assert_int_equal(m.groups, 0);
	/* b parts from a in the last byte: a group at level 14 */
	assert_int_equal(lpm6_add(t, b, 128, 2), 0);
	assert_int_equal(lpm6_lookup(t, a), 1);
	assert_int_equal(lpm6_lookup(t, b), 2);
	assert_int_equal(lpm6_lookup(t, c), LPM_MISS);
	lpm6_reclaim(t);
	lpm6_mem(t, &m);
	assert_int_equal(m.groups, 1);
	assert_int_equal(m.singles, 2); /* 1..7 and 8..13 */
	/* a /120 over both ends in the same group */
	assert_int_equal(lpm6_add(t, c, 120, 3), 0);
	assert_int_equal(lpm6_lookup(t, a), 1);
	assert_int_equal(lpm6_lookup(t, c), 3);
	assert_int_equal(lpm6_del(t, c, 120), 0);
	assert_int_equal(lpm6_lookup(t, c), LPM_MISS);
	/* a /64 ends at level 6, inside the single of levels 1..7: it is
	 * split there, and the link between the halves carries the /64 */
	assert_int_equal(lpm6_add(t, a, 64, 4), 0);
	assert_int_equal(lpm6_lookup(t, c), 4);
	assert_int_equal(lpm6_lookup(t, a), 1);
	assert_int_equal(lpm6_del(t, a, 64), 0);
	assert_int_equal(lpm6_lookup(t, c), LPM_MISS);
	assert_int_equal(lpm6_del(t, b, 128), 0);
	assert_int_equal(lpm6_lookup(t, a), 1);
	assert_int_equal(lpm6_lookup(t, b), LPM_MISS);
	lpm6_reclaim(t);
	lpm6_mem(t, &m);
	/* back to the two singles of a lone /128 */
	assert_int_equal(m.groups, 0);
	assert_int_equal(m.singles, 2);
	assert_int_equal(lpm6_del(t, a, 128), 0);
	lpm6_reclaim(t);
	lpm6_mem(t, &m);
	assert_int_equal(m.singles + m.groups + m.root_bytes, 0);
	lpm6_free(t);
}

/* Singles and groups each have max_groups; an add that runs out of either
 * halfway down leaves the table as it was. */
static void
test_lpm6_add_fails_cleanly_when_singles_run_out_midway(void **state)
{
	struct lpm_config cfg = { 2048 };
	struct lpm6 *t = lpm6_new(&cfg);
	uint8_t a[16] = { 0 };
	struct lpm_mem m;
	uint32_t i, nh;
	int rc = 0;

	assert_non_null(t);
	/* a /64 in a /16 of its own: one single (levels 1..6) */
	a[0] = 0x3f;
	assert_int_equal(lpm6_add(t, a, 64, 7), 0);
	/* a /128 in a /16 of its own: two singles (levels 1..7, 8..14);
	 * after 1023 of them one single is left, the next add takes it for
	 * the bottom of its chain and fails on the top */
	a[15] = 1;
	for (i = 0; i < 2000 && rc == 0; i++) {
		a[0] = (uint8_t)(0x20 + i / 256);
		a[1] = (uint8_t)i;
		rc = lpm6_add(t, a, 128, i);
	}
	assert_int_equal(rc, -CEN_ETOOBIG);
	assert_int_equal(i, 1024);
	assert_int_equal(lpm6_count(t), 1024);
	assert_int_equal(lpm6_get(t, a, 128, &nh), -CEN_ENOENT);
	assert_int_equal(lpm6_lookup(t, a), LPM_MISS);
	lpm6_reclaim(t);
	lpm6_mem(t, &m);
	assert_int_equal(m.singles, 2047);
	assert_int_equal(m.groups, 0);
	for (i = 0; i < 1023; i++) {
		a[0] = (uint8_t)(0x20 + i / 256);
		a[1] = (uint8_t)i;
		assert_int_equal(lpm6_lookup(t, a), i);
	}
	/* room again once a prefix goes (and a grace period passes) */
	a[0] = 0x3f;
	a[1] = 0;
	a[15] = 0;
	assert_int_equal(lpm6_del(t, a, 64), 0);
	lpm6_reclaim(t);
	a[0] = (uint8_t)(0x20 + 1023 / 256);
	a[1] = (uint8_t)1023;
	a[15] = 1;
	assert_int_equal(lpm6_add(t, a, 128, 5), 0);
	assert_int_equal(lpm6_lookup(t, a), 5);
	lpm6_free(t);
}

static void
test_lpm6_add_fails_cleanly_when_groups_run_out(void **state)
{
	struct lpm_config cfg = { 2048 };
	struct lpm6 *t = lpm6_new(&cfg);
	uint8_t a[16] = { 0 };
	struct lpm_mem m;
	uint32_t i, nh;
	int rc = 0;

	assert_non_null(t);
	/* a /20 owns 16 entries of the level below the root: a group
	 * each, in /16s of their own */
	for (i = 0; i < 4096 && rc == 0; i++) {
		a[0] = (uint8_t)(i >> 8);
		a[1] = (uint8_t)i;
		a[2] = 0x50;
		rc = lpm6_add(t, a, 20, i);
	}
	assert_int_equal(rc, -CEN_ETOOBIG);
	assert_int_equal(i, 2049);
	assert_int_equal(lpm6_count(t), 2048);
	assert_int_equal(lpm6_get(t, a, 20, &nh), -CEN_ENOENT);
	assert_int_equal(lpm6_lookup(t, a), LPM_MISS);
	lpm6_reclaim(t);
	lpm6_mem(t, &m);
	assert_int_equal(m.groups, 2048);
	assert_int_equal(m.singles, 0);
	/* a prefix that needs only a single still goes in */
	a[0] = 0x30;
	a[1] = 0;
	assert_int_equal(lpm6_add(t, a, 48, 9), 0);
	assert_int_equal(lpm6_lookup(t, a), 9);
	lpm6_free(t);
}

/* Adds and deletes as fast as the writer goes retire nodes faster than
 * grace periods may pass: a pool full of nodes that only wait for one
 * must not fail an add (the writer waits for the grace period). */
static void
test_lpm6_churn_never_fails_for_nodes_awaiting_a_grace_period(void **state)
{
	struct lpm_config cfg = { 2048 };
	struct lpm6 *t = lpm6_new(&cfg);
	uint8_t a[16] = { 0x20, 0x01 };
	struct lpm_mem m;

	assert_non_null(t);
	/* each round makes and retires two singles and a group */
	for (uint32_t i = 0; i < 20000; i++) {
		a[2] = (uint8_t)(i >> 8);
		a[15] = (uint8_t)i;
		assert_int_equal(lpm6_add(t, a, 128, i), 0);
		a[14] = 1;
		assert_int_equal(lpm6_add(t, a, 120, i), 0);
		assert_int_equal(lpm6_lookup(t, a), i);
		assert_int_equal(lpm6_del(t, a, 120), 0);
		a[14] = 0;
		assert_int_equal(lpm6_lookup(t, a), i);
		assert_int_equal(lpm6_del(t, a, 128), 0);
	}
	lpm6_reclaim(t);
	lpm6_mem(t, &m);
	assert_int_equal(m.groups + m.singles + m.root_bytes, 0);
	lpm6_free(t);
}

/* A handful of nested prefixes of every length, added and deleted at
 * random, checked after every change (single and bulk lookups) around
 * each of them: paths share long stretches, so singles are split, turned
 * into groups, shrunk and joined over and over. */
static void
test_lpm6_nested_deep_prefixes_match_brute_force_after_every_change(
	void **state)
{
	struct model *m = calloc(1, sizeof(*m));
	struct prefix base[6], p, a;
	struct tab t;
	struct lpm_mem mem;
	uint8_t x[16];

	assert_non_null(m);
	for (uint64_t seed = 1; seed <= 40; seed++) {
		rng_seed(seed * 7919);
		tab_new(&t, PREFIX_AF_INET6, NULL);
		m->n = 0;
		for (unsigned k = 0; k < 6; k++) {
			memset(x, 0, 16);
			x[0] = 0x20;
			x[1] = 0x01;
			for (unsigned b = 2; b < 16; b++)
				if (rng_below(4) == 0)
					x[b] = (uint8_t)rng();
			prefix_from_v6(&base[k], x, 128);
		}
		for (unsigned op = 0; op < 300; op++) {
			long i;

			p = base[rng_below(6)];
			p.len = (uint8_t)(rng_below(3) == 0
						  ? rng_below(129)
						  : 120 + rng_below(9) -
							    8 * rng_below(15));
			prefix_canon(&p);
			i = model_find(m, &p);
			if (i >= 0 && rng_below(2) == 0) {
				assert_int_equal(tab_del(&t, &p), 0);
				m->p[i] = m->p[m->n - 1];
				m->nh[i] = m->nh[m->n - 1];
				m->n--;
			} else {
				uint32_t nh = rng_below(LPM_NH_MAX + 1);

				if (i < 0) {
					i = (long)m->n++;
					m->p[i] = p;
				}
				m->nh[i] = nh;
				assert_int_equal(tab_add(&t, &p, nh), 0);
			}
			for (unsigned k = 0; k < 6; k++) {
				addr_near(&base[k], &a);
				assert_int_equal(tab_lookup(&t, &a),
						 model_lookup(m, &a));
			}
			check_against_model(&t, m, 64);
		}
		while (m->n > 0)
			assert_int_equal(tab_del(&t, &m->p[--m->n]), 0);
		tab_mem(&t, &mem);
		assert_int_equal(mem.groups + mem.singles + mem.root_bytes, 0);
		tab_free(&t);
	}
	free(m);
}

/* Concurrency: a writer flips prefixes between next hops 1 and 2 and
 * deletes them (falling back to the covering /16, next hop 100) while a
 * reader looks up addresses under them: every answer must be 1, 2 or 100,
 * never a miss and never anything else.  The /28s make groups come and
 * go, so groups are retired and reused under the reader. */
struct conc {
	struct lpm4 *t4;
	struct lpm6 *t6;
	volatile int stop;
	unsigned long lookups, bad;
	uint32_t bad_nh;
};

static void *
conc_reader(void *arg)
{
	struct conc *c = arg;
	uint32_t a4[64], out[64];
	uint8_t a6[64][16];
	uint64_t x = 88172645463325252ull;

	rcu_register_thread();
	while (!c->stop) {
		for (unsigned k = 0; k < 64; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			a4[k] = 0x0a000000u | (uint32_t)(x & 0x3fff);
			memset(a6[k], 0, 16);
			a6[k][0] = 0x20;
			a6[k][1] = 0x01;
			a6[k][4] = (uint8_t)(x >> 16 & 0x3f);
			a6[k][15] = (uint8_t)(x >> 24);
		}
		rcu_read_lock();
		if (c->t4 != NULL) {
			lpm4_lookup_bulk(c->t4, a4, out, 64);
			out[0] = lpm4_lookup(c->t4, a4[0]);
		} else {
			lpm6_lookup_bulk(c->t6, (const uint8_t(*)[16])a6, out,
					 64);
			out[0] = lpm6_lookup(c->t6, a6[0]);
		}
		rcu_read_unlock();
		for (unsigned k = 0; k < 64; k++)
			if (out[k] != 1 && out[k] != 2 && out[k] != 100) {
				c->bad++;
				c->bad_nh = out[k];
			}
		__atomic_add_fetch(&c->lookups, 64, __ATOMIC_RELAXED);
	}
	rcu_unregister_thread();
	return NULL;
}

static void
concurrent(uint8_t family)
{
	struct conc c = { 0 };
	pthread_t th;
	uint8_t a[16] = { 0x20, 0x01 };
	bool in[64 * 2] = { false };

	rng_seed(family);
	if (family == PREFIX_AF_INET) {
		assert_non_null(c.t4 = lpm4_new(NULL));
		assert_int_equal(lpm4_add(c.t4, 0x0a000000, 16, 100), 0);
	} else {
		assert_non_null(c.t6 = lpm6_new(NULL));
		assert_int_equal(lpm6_add(c.t6, a, 16, 100), 0);
	}
	assert_int_equal(pthread_create(&th, NULL, conc_reader, &c), 0);
	/* at least 300000 changes, and on until the reader has looked up
	 * through many of them (it may start late on a busy machine) */
	double end = now_s() + 30;

	for (unsigned i = 0;
	     (i < 300000 ||
	      __atomic_load_n(&c.lookups, __ATOMIC_RELAXED) < (1u << 20)) &&
	     c.bad == 0 && now_s() < end;
	     i++) {
		/* 64 /24s (IPv6: /40s) and a /28 (/124) inside each */
		unsigned k = rng_below(128), blk = k % 64;
		unsigned len = family == PREFIX_AF_INET ? (k < 64 ? 24 : 28)
							: (k < 64 ? 40 : 124);
		uint32_t nh = 1 + rng_below(2);
		bool del = in[k] && rng_below(2) == 0;
		int rc;

		if (family == PREFIX_AF_INET) {
			uint32_t p = 0x0a000000u | blk << 8;

			rc = del ? lpm4_del(c.t4, p, len)
				 : lpm4_add(c.t4, p, len, nh);
		} else {
			memset(a + 2, 0, 14);
			a[4] = (uint8_t)blk;
			rc = del ? lpm6_del(c.t6, a, len)
				 : lpm6_add(c.t6, a, len, nh);
		}
		assert_int_equal(rc, 0);
		in[k] = !del;
	}
	c.stop = 1;
	pthread_join(th, NULL);
	if (c.bad != 0)
		fail_msg("reader saw %lu bad next hops (e.g. %u) in %lu "
			 "lookups",
			 c.bad, c.bad_nh, c.lookups);
	assert_true(c.lookups >= (1u << 20));
	lpm4_free(c.t4);
	lpm6_free(c.t6);
}

/* IPv6 paths reshaped under a reader: 24 prefixes along three /128s that
 * share long stretches (so singles are split, become groups, shrink and
 * are joined again), each with a next hop of its own, come and go, but for
 * the /64s and one /127, which stay; a reader checks that every answer is
 * the next hop of a prefix that contains the address (or of the /16 under
 * them all) and no shorter than the longest of those that stay: never a
 * miss, a next hop from elsewhere, or a hole while a node is replaced. */
#define RESHAPE_N      24
#define RESHAPE_PROBES 96

struct reshape {
	struct lpm6 *t;
	struct prefix p[RESHAPE_N];
	uint8_t probe[RESHAPE_PROBES][16];
	uint32_t ok[RESHAPE_PROBES]; /* bit i: p[i] contains the probe */
	uint8_t min[RESHAPE_PROBES]; /* longest pinned prefix over it */
	volatile int stop;
	unsigned long lookups, bad;
	uint32_t bad_nh;
};

/* The prefixes that stay: the /64s and the first base's /127. */
static bool
reshape_pinned(const struct reshape *r, unsigned i)
{
	return r->p[i].len == 64 || (r->p[i].len == 127 && i % 3 == 0);
}

static void *
reshape_reader(void *arg)
{
	struct reshape *r = arg;
	uint32_t out[RESHAPE_PROBES], nh;

	rcu_register_thread();
	while (!r->stop) {
		rcu_read_lock();
		lpm6_lookup_bulk(r->t, (const uint8_t(*)[16])r->probe, out,
				 RESHAPE_PROBES);
		out[r->lookups % RESHAPE_PROBES] = lpm6_lookup(
			r->t, r->probe[r->lookups % RESHAPE_PROBES]);
		rcu_read_unlock();
		for (unsigned k = 0; k < RESHAPE_PROBES; k++) {
			nh = out[k];
			if (nh == 100 && r->min[k] == 0)
				continue;
			if (nh >= 1 && nh <= RESHAPE_N &&
			    (r->ok[k] >> (nh - 1) & 1) &&
			    r->p[nh - 1].len >= r->min[k])
				continue;
			r->bad++;
			r->bad_nh = nh;
		}
		__atomic_add_fetch(&r->lookups, RESHAPE_PROBES,
				   __ATOMIC_RELAXED);
	}
	rcu_unregister_thread();
	return NULL;
}

static void
test_lpm6_reader_sees_only_covering_prefixes_while_paths_reshape(void **state)
{
	static const char *const bases[] = { "2001:db8:1:2:3:4:5:6",
					     "2001:db8:1:2:3:4:9:6",
					     "2001:db8:1:7:3:4:5:6" };
	static const uint8_t lens[] = { 32, 48, 56, 63, 64, 100, 127, 128 };
	struct reshape *r = calloc(1, sizeof(*r));
	bool in[RESHAPE_N] = { false };
	struct prefix a;
	uint8_t x[16];
	pthread_t th;

	assert_non_null(r);
	rng_seed(77);
	assert_non_null(r->t = lpm6_new(NULL));
	for (unsigned i = 0; i < RESHAPE_N; i++) {
		v6(bases[i % 3], x);
		prefix_from_v6(&r->p[i], x, lens[i / 3]);
		prefix_canon(&r->p[i]);
	}
	for (unsigned k = 0; k < RESHAPE_PROBES; k++) {
		addr_near(&r->p[k % RESHAPE_N], &a);
		memcpy(r->probe[k], a.addr.v6, 16);
		for (unsigned i = 0; i < RESHAPE_N; i++)
			if (prefix_contains(&r->p[i], &a))
				r->ok[k] |= 1u << i;
		/* addr_near may step outside the /16 */
		r->probe[k][0] = 0x20;
		r->probe[k][1] = 0x01;
		memcpy(a.addr.v6, r->probe[k], 16);
		r->ok[k] = 0;
		for (unsigned i = 0; i < RESHAPE_N; i++) {
			if (!prefix_contains(&r->p[i], &a))
				continue;
			r->ok[k] |= 1u << i;
			if (reshape_pinned(r, i) && r->p[i].len > r->min[k])
				r->min[k] = r->p[i].len;
		}
	}
	v6("2001::", x);
	assert_int_equal(lpm6_add(r->t, x, 16, 100), 0);
	for (unsigned i = 0; i < RESHAPE_N; i++)
		if (reshape_pinned(r, i))
			assert_int_equal(lpm6_add(r->t, r->p[i].addr.v6,
						  r->p[i].len, i + 1),
					 0);
	assert_int_equal(pthread_create(&th, NULL, reshape_reader, r), 0);
	double end = now_s() + 30;

	for (unsigned op = 0;
	     (op < 100000 ||
	      __atomic_load_n(&r->lookups, __ATOMIC_RELAXED) < (1u << 20)) &&
	     r->bad == 0 && now_s() < end;
	     op++) {
		unsigned i = rng_below(RESHAPE_N);
		int rc;

		/* the bases share their first bytes: some prefixes are
		 * the same, and go by the first of them */
		for (unsigned j = 0; j < i; j++)
			if (prefix_equal(&r->p[j], &r->p[i]))
				i = j;
		if (reshape_pinned(r, i))
			continue;

		if (in[i])
			rc = lpm6_del(r->t, r->p[i].addr.v6, r->p[i].len);
		else
			rc = lpm6_add(r->t, r->p[i].addr.v6, r->p[i].len,
				      i + 1);
		assert_int_equal(rc, 0);
		in[i] = !in[i];
	}
	r->stop = 1;
	pthread_join(th, NULL);
	if (r->bad != 0)
		fail_msg("reader saw %lu wrong answers "
			 "(e.g. %u) in %lu lookups",
			 r->bad, r->bad_nh, r->lookups);
	assert_true(r->lookups >= (1u << 20));
	lpm6_free(r->t);
	free(r);
}

static void
test_lpm4_reader_sees_only_old_or_new_next_hops_during_updates(void **state)
{
	concurrent(PREFIX_AF_INET);
}

static void
test_lpm6_reader_sees_only_old_or_new_next_hops_during_updates(void **state)
{
	concurrent(PREFIX_AF_INET6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_lpm4_empty_table_misses_and_maps_no_first_level),
		cmocka_unit_test(test_lpm4_default_route_matches_every_address),
		cmocka_unit_test(
			test_lpm4_host_route_beats_every_covering_prefix),
		cmocka_unit_test(
			test_lpm4_delete_restores_next_covering_prefix),
		cmocka_unit_test(
			test_lpm4_rejects_bad_lengths_next_hops_and_absent_prefixes),
		cmocka_unit_test(
			test_lpm4_groups_and_first_level_freed_when_emptied),
		cmocka_unit_test(
			test_lpm4_add_fails_cleanly_when_groups_run_out),
		cmocka_unit_test(
			test_lpm4_matches_brute_force_over_random_adds_and_deletes),
		cmocka_unit_test(test_lpm6_default_and_host_routes),
		cmocka_unit_test(test_lpm6_host_route_nodes_freed_when_deleted),
		cmocka_unit_test(
			test_lpm6_single_split_where_paths_part_and_joined_when_one_goes),
		cmocka_unit_test(
			test_lpm6_add_fails_cleanly_when_singles_run_out_midway),
		cmocka_unit_test(
			test_lpm6_add_fails_cleanly_when_groups_run_out),
		cmocka_unit_test(
			test_lpm6_churn_never_fails_for_nodes_awaiting_a_grace_period),
		cmocka_unit_test(
			test_lpm6_nested_deep_prefixes_match_brute_force_after_every_change),
		cmocka_unit_test(
			test_lpm6_matches_brute_force_over_random_adds_and_deletes),
		cmocka_unit_test(
			test_lpm4_reader_sees_only_old_or_new_next_hops_during_updates),
		cmocka_unit_test(
			test_lpm6_reader_sees_only_old_or_new_next_hops_during_updates),
		cmocka_unit_test(
			test_lpm6_reader_sees_only_covering_prefixes_while_paths_reshape),
	};
	int rc;

	rcu_register_thread();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rcu_unregister_thread();
	return rc;
}
