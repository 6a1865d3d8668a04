/*
 * test_hmap.c - the open-addressing hash map (core/hmap.c), checked
 * against a direct-indexed reference under random operations and hostile
 * hash functions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/hmap.h"

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

#define NKEYS 4096

/* Keys live in key_store[k]; the map is handed &key_store[k] or an equal
 * copy, never compared by address. */
static uint64_t key_store[NKEYS];
static int val_store[NKEYS * 4];

static bool
u64_eq(const void *a, const void *b)
{
	return *(const uint64_t *)a == *(const uint64_t *)b;
}

typedef uint64_t (*hash_fn)(uint64_t k);

static uint64_t
hash_good(uint64_t k)
{
	return hmap_hash_bytes(&k, sizeof(k), 7);
}

static uint64_t
hash_clustered(uint64_t k)
{
	return k % 16; /* long probe runs, and hash 0 */
}

static uint64_t
hash_high(uint64_t k)
{
	/* Every key homes near the end of the array: runs wrap around. */
	return ~(uint64_t)0 - (k % 3);
}

/* Every occupied slot is reachable from its home without crossing an empty
 * slot; no slot has hash 0 with a key; load stays <= 3/4. */
static void
check_structure(const struct hmap *m)
{
	size_t i, j, used = 0, mask;

	if (m->cap == 0) {
		assert_int_equal(m->count, 0);
		return;
	}
	assert_int_equal(m->cap & (m->cap - 1), 0);
	assert_true(m->count * 4 <= m->cap * 3);
	mask = m->cap - 1;
	for (i = 0; i < m->cap; i++) {
		if (m->slots[i].hash == 0)
			continue;
		used++;
		for (j = m->slots[i].hash & mask; j != i; j = (j + 1) & mask)
			assert_true(m->slots[j].hash != 0);
	}
	assert_int_equal(used, m->count);
}

static void
check_against_reference(const struct hmap *m, const int *ref[NKEYS],
			size_t nref, hash_fn h)
{
	const void *key;
	void *val;
	bool seen[NKEYS];
	size_t it, n = 0, k;

	check_structure(m);
	assert_int_equal(m->count, nref);
	for (k = 0; k < NKEYS; k++) {
		uint64_t copy = k;

		assert_ptr_equal(hmap_get(m, h(k), &copy), ref[k]);
	}
	memset(seen, 0, sizeof(seen));
	for (it = 0; hmap_next(m, &it, &key, &val);) {
		k = *(const uint64_t *)key;
		assert_true(k < NKEYS);
		assert_false(seen[k]);
		seen[k] = true;
		assert_ptr_equal(val, ref[k]);
		n++;
	}
	assert_int_equal(n, nref);
}

static void
random_ops(hash_fn h, size_t nkeys, int ops, uint64_t seed)
{
	const int *ref[NKEYS];
	struct hmap m;
	size_t nref = 0, k;
	void *old;
	int i;

	rng_state = seed;
	memset(ref, 0, sizeof(ref));
	hmap_init(&m, u64_eq);
	for (i = 0; i < ops; i++) {
		uint64_t copy;

		k = rng() % nkeys;
		copy = k;
		switch (rng() % 5) {
		case 0:
		case 1: {
			int *v = &val_store[rng() % (NKEYS * 4)];

			old = (void *)0x1;
			assert_int_equal(
				hmap_put(&m, h(k), &key_store[k], v, &old), 0);
			assert_ptr_equal(old, ref[k]);
			if (ref[k] == NULL)
				nref++;
			ref[k] = v;
			break;
		}
		case 2:
		case 3:
			assert_ptr_equal(hmap_del(&m, h(k), &copy), ref[k]);
			if (ref[k] != NULL)
				nref--;
			ref[k] = NULL;
			break;
		default:
			assert_ptr_equal(hmap_get(&m, h(k), &copy), ref[k]);
			break;
		}
		if (i % 5000 == 0)
			check_against_reference(&m, ref, nref, h);
	}
	check_against_reference(&m, ref, nref, h);
	/* Empty it through deletes only. */
	for (k = 0; k < nkeys; k++) {
		uint64_t copy = k;

		assert_ptr_equal(hmap_del(&m, h(k), &copy), ref[k]);
		ref[k] = NULL;
	}
	assert_int_equal(m.count, 0);
	check_structure(&m);
	hmap_fini(&m);
}

static void
test_hmap_random_ops_match_reference_with_good_hash(void **state)
{
	random_ops(hash_good, NKEYS, 300000, 0x1234);
	random_ops(hash_good, 64, 100000, 0x5678);
}

static void
test_hmap_random_ops_match_reference_with_colliding_hashes(void **state)
{
	random_ops(hash_clustered, 1024, 100000, 0x9abc);
	random_ops(hash_high, 300, 50000, 0xdef0);
}

static void
test_hmap_put_replaces_and_returns_old_value(void **state)
{
	uint64_t k1 = 5, k1b = 5;
	int a, b;
	struct hmap m;
	const void *key;
	void *old, *val;
	size_t it = 0;

	hmap_init(&m, u64_eq);
	assert_int_equal(hmap_put(&m, hash_good(5), &k1, &a, &old), 0);
	assert_null(old);
	assert_int_equal(hmap_put(&m, hash_good(5), &k1b, &b, &old), 0);
	assert_ptr_equal(old, &a);
	assert_int_equal(m.count, 1);
	assert_ptr_equal(hmap_get(&m, hash_good(5), &k1), &b);
	/* The key pointer follows the new value's key. */
	assert_true(hmap_next(&m, &it, &key, &val));
	assert_ptr_equal(key, &k1b);
	assert_ptr_equal(val, &b);
	assert_false(hmap_next(&m, &it, &key, &val));
	assert_int_equal(hmap_put(&m, hash_good(5), &k1, &a, NULL), 0);
	assert_ptr_equal(hmap_get(&m, hash_good(5), &k1), &a);
	hmap_fini(&m);
}

static void
test_hmap_hash_zero_is_stored_as_one(void **state)
{
	uint64_t k0 = 0, k1 = 1;
	int a, b;
	struct hmap m;

	hmap_init(&m, u64_eq);
	assert_int_equal(hmap_put(&m, 0, &k0, &a, NULL), 0);
	assert_int_equal(hmap_put(&m, 1, &k1, &b, NULL), 0);
	assert_int_equal(m.count, 2);
	assert_ptr_equal(hmap_get(&m, 0, &k0), &a);
	assert_ptr_equal(hmap_get(&m, 1, &k0), &a);
	assert_ptr_equal(hmap_get(&m, 0, &k1), &b);
	for (size_t i = 0; i < m.cap; i++)
		if (m.slots[i].key != NULL)
			assert_true(m.slots[i].hash == 1);
	assert_ptr_equal(hmap_del(&m, 0, &k0), &a);
	assert_null(hmap_get(&m, 0, &k0));
	assert_ptr_equal(hmap_get(&m, 0, &k1), &b);
	hmap_fini(&m);
}

static void
test_hmap_grows_by_doubling_at_three_quarters(void **state)
{
	struct hmap m;
	size_t k, cap = 0;

	hmap_init(&m, u64_eq);
	for (k = 0; k < 1000; k++) {
		assert_int_equal(hmap_put(&m, hash_good(k), &key_store[k],
					  &val_store[k], NULL),
				 0);
		if (m.cap != cap) {
			/* Grew only because the next item would pass 3/4. */
			if (cap != 0) {
				assert_int_equal(m.cap, cap * 2);
				assert_true(m.count * 4 > cap * 3);
			}
			cap = m.cap;
		}
		assert_true(m.count * 4 <= m.cap * 3);
	}
	assert_int_equal(m.cap, 2048);
	hmap_fini(&m);
	assert_int_equal(m.cap, 0);
	assert_null(m.slots);
}

static void
test_hmap_delete_shifts_back_across_wraparound(void **state)
{
	uint64_t keys[6] = { 10, 11, 12, 13, 14, 15 };
	struct hmap m;
	size_t i, j;

	/* Six keys all homed at slot 7 of 8 fill 7,0,1,2,3,4; deleting any
	 * one must keep the others findable with no holes. */
	for (j = 0; j < 6; j++) {
		hmap_init(&m, u64_eq);
		for (i = 0; i < 6; i++)
			assert_int_equal(
				hmap_put(&m, 7, &keys[i], &keys[i], NULL), 0);
		assert_int_equal(m.cap, 8);
		assert_ptr_equal(hmap_del(&m, 7, &keys[j]), &keys[j]);
		check_structure(&m);
		for (i = 0; i < 6; i++)
			assert_ptr_equal(hmap_get(&m, 7, &keys[i]),
					 i == j ? NULL : &keys[i]);
		/* The freed slot is the run's end: slot 4. */
		assert_true(m.slots[4].hash == 0);
		hmap_fini(&m);
	}
}

static void
test_hmap_empty_map_finds_nothing(void **state)
{
	uint64_t k = 1;
	struct hmap m;
	const void *key;
	void *val;
	size_t it = 0;

	hmap_init(&m, u64_eq);
	assert_null(hmap_get(&m, 1, &k));
	assert_null(hmap_del(&m, 1, &k));
	assert_false(hmap_next(&m, &it, &key, &val));
	assert_int_equal(hmap_put(&m, 1, &k, &k, NULL), 0);
	assert_ptr_equal(hmap_del(&m, 1, &k), &k);
	assert_null(hmap_get(&m, 1, &k));
	assert_null(hmap_del(&m, 1, &k));
	it = 0;
	assert_false(hmap_next(&m, &it, NULL, NULL));
	hmap_fini(&m);
	hmap_fini(&m); /* idempotent */
}

static void
test_hmap_hash_helpers_are_xxh3(void **state)
{
	static const char s[] = "route-table-1";
	uint8_t buf[3] = { 1, 2, 3 };

	assert_true(hmap_hash_str(s) == XXH3_64bits(s, strlen(s)));
	assert_true(hmap_hash_str(s) == hmap_hash_bytes(s, strlen(s), 0));
	assert_true(hmap_hash_bytes(buf, 3, 9) ==
		    XXH3_64bits_withSeed(buf, 3, 9));
	assert_true(hmap_hash_bytes(buf, 3, 9) != hmap_hash_bytes(buf, 3, 10));
	assert_true(hmap_hash_str("a") != hmap_hash_str("b"));
	assert_true(hmap_hash_str("") == XXH3_64bits("", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_hmap_random_ops_match_reference_with_good_hash),
		cmocka_unit_test(
			test_hmap_random_ops_match_reference_with_colliding_hashes),
		cmocka_unit_test(test_hmap_put_replaces_and_returns_old_value),
		cmocka_unit_test(test_hmap_hash_zero_is_stored_as_one),
		cmocka_unit_test(test_hmap_grows_by_doubling_at_three_quarters),
		cmocka_unit_test(
			test_hmap_delete_shifts_back_across_wraparound),
		cmocka_unit_test(test_hmap_empty_map_finds_nothing),
		cmocka_unit_test(test_hmap_hash_helpers_are_xxh3),
	};
	size_t i;

	for (i = 0; i < NKEYS; i++)
		key_store[i] = i;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
