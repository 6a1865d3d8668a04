/*
 * test_bgp_adjrib.c - a BGP peer's per-prefix table (bgp/bgp_adjrib.c),
 * checked against a direct-indexed reference under random operations:
 * lookups, in/out attributes and their references, flags and the order
 * of the pending queue, counters, release and reuse of indices.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bgp/bgp_adjrib.h"

static uint64_t rng_state;

static uint64_t
rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

#define NPFX  3000 /* distinct prefixes, IPv4 and IPv6 */
#define NSETS 5

/* Prefix k: even k an IPv4 /24 (some /32s), odd k an IPv6 /48. */
static void
pfx_of(unsigned k, struct prefix *p)
{
	if (k % 2 == 0) {
		prefix_from_v4(p, 0x0a000000u + (k << 8),
			       k % 10 == 0 ? 32 : 24);
	} else {
		uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8 };

		a[4] = (uint8_t)(k >> 8);
		a[5] = (uint8_t)k;
		prefix_from_v6(p, a, 48);
	}
}

struct ref {
	const struct attrs *in, *out;
	uint8_t flags;
};

static struct ref ref[NPFX];
/* the pending queue as it should be, in order, by prefix number */
static unsigned qpend[NPFX * 4];
static size_t npend, hpend;

static void
check(const struct adj_rib *r)
{
	size_t nin = 0, nout = 0, nres = 0, live = 0;
	struct prefix got;

	for (unsigned k = 0; k < NPFX; k++) {
		struct prefix p;
		uint32_t i;
		bool want = ref[k].in || ref[k].out || ref[k].flags;

		pfx_of(k, &p);
		i = adj_find(r, &p);
		assert_int_equal(i != ADJ_NONE, want);
		if (!want)
			continue;
		live++;
		got = adj_prefix(r, i);
		assert_true(prefix_equal(&got, &p));
		assert_ptr_equal(adj_ent(r, i)->in, ref[k].in);
		assert_ptr_equal(adj_ent(r, i)->out, ref[k].out);
		assert_int_equal(adj_ent(r, i)->flags, ref[k].flags);
		nin += ref[k].in != NULL;
		nout += ref[k].out != NULL;
		nres += (ref[k].flags & ADJ_RESYNC) != 0;
	}
	assert_int_equal(r->live, live);
	assert_int_equal(r->nin, nin);
	assert_int_equal(r->nout, nout);
	assert_int_equal(r->nresync, nres);
	assert_int_equal(adj_queued(r), npend - hpend);
	/* iteration visits exactly the live entries */
	size_t seen = 0;

	for (uint32_t i = 0; (i = adj_next(r, i)) != ADJ_NONE; i++)
		seen++;
	assert_int_equal(seen, live);
	assert_true(r->nslots == 0 || r->live * 4 <= r->nslots * 3);
}

static void
release_if_empty(struct adj_rib *r, uint32_t i)
{
	adj_release(r, i);
}

static void
random_ops(void **state)
{
	struct attr_store st;
	const struct attrs *sets[NSETS];
	struct adj_rib r;

	(void)state;
	rng_state = 0x9e3779b97f4a7c15ull;
	attr_store_init(&st);
	for (int s = 0; s < NSETS; s++) {
		struct attrs a;

		attr_init(&a);
		a.med = (uint32_t)s;
		a.flags = ATTR_F_MED;
		sets[s] = attr_intern(&st, &a);
	}
	adj_init(&r);
	memset(ref, 0, sizeof(ref));
	npend = hpend = 0;
	for (int round = 0; round < 200000; round++) {
		unsigned k = (unsigned)(rng() % NPFX);
		unsigned op = (unsigned)(rng() % 100);
		const struct attrs *a =
			rng() % 4 == 0 ? NULL : sets[rng() % NSETS];
		struct prefix p, got;
		uint32_t i;

		pfx_of(k, &p);
		if (op < 30) {
			i = adj_get(&r, &p);
			adj_set_in(&r, &st, i, a);
			ref[k].in = a;
			ref[k].flags &= (uint8_t)~ADJ_STALE;
			release_if_empty(&r, i);
		} else if (op < 50) {
			i = adj_get(&r, &p);
			adj_set_out(&r, &st, i, a);
			ref[k].out = a;
			release_if_empty(&r, i);
		} else if (op < 62) {
			i = adj_get(&r, &p);
			adj_mark(&r, i, ADJ_PENDING);
			if (!(ref[k].flags & ADJ_PENDING))
				qpend[npend++] = k;
			ref[k].flags |= ADJ_PENDING;
		} else if (op < 72) {
			uint8_t f = op < 69 ? ADJ_STALE : ADJ_RESYNC;

			i = adj_get(&r, &p);
			if (rng() % 2) {
				adj_mark(&r, i, f);
				ref[k].flags |= f;
			} else {
				adj_unmark(&r, i, f);
				ref[k].flags &= (uint8_t)~f;
				release_if_empty(&r, i);
			}
		} else if (op < 90) {
			/* take from the queue: the oldest first */
			i = adj_pop(&r);
			if (hpend == npend) {
				assert_int_equal(i, ADJ_NONE);
				continue;
			}
			assert_int_not_equal(i, ADJ_NONE);
			pfx_of(qpend[hpend], &p);
			got = adj_prefix(&r, i);
			assert_true(prefix_equal(&got, &p));
			ref[qpend[hpend]].flags &= (uint8_t)~ADJ_PENDING;
			hpend++;
			assert_int_equal(adj_ent(&r, i)->flags & ADJ_PENDING,
					 0);
			release_if_empty(&r, i);
		} else if (op < 99) {
			/* a lookup of something absent makes nothing */
			i = adj_find(&r, &p);
			if (i == ADJ_NONE) {
				size_t live = r.live;

				i = adj_get(&r, &p);
				assert_int_equal(r.live, live + 1);
				adj_release(&r, i);
				assert_int_equal(r.live, live);
			}
		} else {
			switch (rng() % 4) {
			case 0:
				adj_clear_in(&r, &st);
				for (unsigned j = 0; j < NPFX; j++) {
					ref[j].in = NULL;
					ref[j].flags &= (uint8_t)~ADJ_STALE;
				}
				break;
			case 1:
				adj_clear_out(&r, &st);
				for (unsigned j = 0; j < NPFX; j++)
					ref[j].out = NULL;
				break;
			case 2:
				adj_clear_flag(&r, ADJ_PENDING);
				for (unsigned j = 0; j < NPFX; j++)
					ref[j].flags &= (uint8_t)~ADJ_PENDING;
				hpend = npend;
				break;
			default:
				adj_clear_flag(&r, ADJ_RESYNC);
				for (unsigned j = 0; j < NPFX; j++)
					ref[j].flags &= (uint8_t)~ADJ_RESYNC;
				break;
			}
		}
		if (npend > NPFX * 3) {
			/* drain, so the reference queue stays bounded */
			uint32_t j;

			while ((j = adj_pop(&r)) != ADJ_NONE) {
				ref[qpend[hpend++]].flags &=
					(uint8_t)~ADJ_PENDING;
				adj_release(&r, j);
			}
			npend = hpend = 0;
		}
		if (round % 997 == 0)
			check(&r);
	}
	check(&r);
	adj_fini(&r, &st);
	assert_int_equal(r.live, 0);
	for (int s = 0; s < NSETS; s++)
		attr_unref(&st, sets[s]);
	/* every reference the table took is back: fini aborts otherwise */
	attr_store_fini(&st, false);
}

/* The longest distance of a slot from its home. */
static size_t
max_displacement(const struct adj_rib *r)
{
	size_t max = 0;

	for (size_t s = 0; s < r->nslots; s++) {
		size_t d, home;

		if (r->slots[s].idx1 == 0)
			continue;
		/* the home slot as bgp_adjrib.c finds it */
		home = (size_t)(((uint64_t)r->slots[s].hash * r->nslots) >> 32);
		d = s >= home ? s - home : s + r->nslots - home;
		if (d > max)
			max = d;
	}
	return max;
}

/* Keys with structure (runs of neighbours, every length of one address,
 * host routes, IPv6) are all found and keep probe runs short, also after
 * deletions. */
static void
structured_keys(void **state)
{
	struct adj_rib r;
	struct prefix p;
	size_t n = 0;
	uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	(void)state;
	adj_init(&r);
	for (uint32_t i = 0; i < 65536; i++, n++) {
		prefix_from_v4(&p, 0x01000000u + (i << 8), 24);
		adj_mark(&r, adj_get(&r, &p), ADJ_STALE);
	}
	for (uint32_t i = 0; i < 1024; i++, n++) {
		prefix_from_v4(&p, 0x0a010200u + i, 32);
		adj_mark(&r, adj_get(&r, &p), ADJ_STALE);
	}
	for (unsigned len = 0; len <= 32; len++) {
		prefix_from_v4(&p, 0xc0a80101u, (uint8_t)len);
		if (adj_find(&r, &p) == ADJ_NONE)
			n++;
		adj_mark(&r, adj_get(&r, &p), ADJ_STALE);
	}
	for (uint32_t i = 0; i < 4096; i++, n++) {
		a6[4] = (uint8_t)(i >> 8);
		a6[5] = (uint8_t)i;
		prefix_from_v6(&p, a6, 48);
		adj_mark(&r, adj_get(&r, &p), ADJ_STALE);
	}
	for (uint32_t i = 0; i < 4096; i++, n++) {
		a6[14] = (uint8_t)(i >> 8);
		a6[15] = (uint8_t)i;
		prefix_from_v6(&p, a6, 128);
		adj_mark(&r, adj_get(&r, &p), ADJ_STALE);
	}
	assert_int_equal(r.live, n);
	assert_true(r.live * 4 <= r.nslots * 3);
	assert_true(max_displacement(&r) < 64);
	for (uint32_t i = 0; i < 65536; i += 7) {
		prefix_from_v4(&p, 0x01000000u + (i << 8), 24);
		assert_int_not_equal(adj_find(&r, &p), ADJ_NONE);
		prefix_from_v4(&p, 0x01000000u + (i << 8), 25);
		assert_int_equal(adj_find(&r, &p), ADJ_NONE);
	}
	for (unsigned len = 0; len <= 32; len++) {
		prefix_from_v4(&p, 0xc0a80101u, (uint8_t)len);
		assert_int_not_equal(adj_find(&r, &p), ADJ_NONE);
	}
	/* everything goes again, every other one first */
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = (uint32_t)pass; i < 65536; i += 2) {
			uint32_t k;

			prefix_from_v4(&p, 0x01000000u + (i << 8), 24);
			k = adj_find(&r, &p);
			assert_int_not_equal(k, ADJ_NONE);
			adj_unmark(&r, k, ADJ_STALE);
			adj_release(&r, k);
		}
		assert_true(max_displacement(&r) < 64);
	}
	assert_int_equal(r.live, n - 65536);
	adj_fini(&r, NULL);
}

/* A table that empties gives its memory back, and works afterwards. */
static void
empties(void **state)
{
	struct attr_store st;
	const struct attrs *a;
	struct attrs x;
	struct adj_rib r;
	struct prefix p;

	(void)state;
	attr_store_init(&st);
	attr_init(&x);
	a = attr_intern(&st, &x);
	adj_init(&r);
	for (int round = 0; round < 2; round++) {
		for (unsigned k = 0; k < 10000; k++) {
			pfx_of(k, &p);
			adj_set_in(&r, &st, adj_get(&r, &p), a);
		}
		assert_int_equal(r.nin, 10000);
		assert_int_equal(r.live, 10000);
		for (unsigned k = 0; k < 10000; k++) {
			uint32_t i;

			pfx_of(k, &p);
			i = adj_find(&r, &p);
			assert_int_not_equal(i, ADJ_NONE);
			adj_set_in(&r, &st, i, NULL);
			adj_release(&r, i);
		}
		assert_int_equal(r.live, 0);
		assert_null(r.ents);
		assert_null(r.slots);
	}
	/* a pending withdrawal keeps its entry until it is taken */
	pfx_of(7, &p);
	adj_mark(&r, adj_get(&r, &p), ADJ_PENDING);
	adj_release(&r, adj_find(&r, &p));
	assert_int_equal(r.live, 1);
	adj_release(&r, adj_pop(&r));
	assert_int_equal(r.live, 0);
	assert_int_equal(adj_find(&r, &p), ADJ_NONE);
	adj_fini(&r, &st);
	attr_unref(&st, a);
	attr_store_fini(&st, false);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_ops),
		cmocka_unit_test(structured_keys),
		cmocka_unit_test(empties),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
