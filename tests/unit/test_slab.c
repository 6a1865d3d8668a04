/*
 * test_slab.c - the fixed-size object allocator (core/slab.c): emptied pages
 * go back to the system and are reused before new ones, objects are never
 * handed out twice and always zeroed, a spare page absorbs alloc/free
 * ping-pong at a page boundary.  The allocator's basic behaviour (LIFO
 * reuse, a small slab stays small) is also checked in test_trie.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/slab.h"

/* Resident bytes of this process, from /proc/self/statm. */
static size_t
rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lu %lu", &size, &resident), 2);
	fclose(f);
	return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static int
ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a;
	uintptr_t y = (uintptr_t) * (void *const *)b;

	return x < y ? -1 : x > y;
}

static void
assert_zeroed(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		assert_int_equal(b[i], 0);
}

/* Fills an object with a pattern derived from its tag. */
static void
obj_mark(void *p, size_t n, uint64_t tag)
{
	uint64_t *w = p;

	for (size_t i = 0; i < n / 8; i++)
		w[i] = tag * 0x9e3779b97f4a7c15ull + i;
}

static void
obj_check(const void *p, size_t n, uint64_t tag)
{
	const uint64_t *w = p;

	for (size_t i = 0; i < n / 8; i++)
		assert_true(w[i] == tag * 0x9e3779b97f4a7c15ull + i);
}

static void
test_slab_freeing_every_object_gives_pages_back(void **state)
{
	enum {
		N = 100000
	};
	static const size_t sizes[] = { 16, 48, 200, 256, 1000, 5000 };
	void **v;
	size_t k, i, full, empty;

	(void)state;
	v = malloc(N * sizeof(*v));
	assert_non_null(v);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct slab s;
		size_t n = sizes[k] > 1000 ? N / 10 : N;

		slab_init(&s, sizes[k]);
		for (i = 0; i < n; i++) {
			v[i] = slab_alloc(&s);
			assert_non_null(v[i]);
			assert_true(((uintptr_t)v[i] & 7) == 0);
			memset(v[i], 0xa5, s.size);
		}
		full = slab_bytes(&s);
		assert_true(full >= n * s.size);
		assert_true(full <=
			    n * s.size + n * s.size / 8 + 2 * SLAB_CHUNK_MAX);
		for (i = 0; i < n; i++)
			slab_free(&s, v[i]);
		assert_int_equal(s.live, 0);
		empty = slab_bytes(&s);
		/* the spare pages and the bookkeeping */
		assert_true(empty <= SLAB_SPARE * s.page_size + full / 256);
		slab_fini(&s);
		assert_int_equal(slab_bytes(&s), 0);
	}
	free(v);
}

static void
test_slab_process_rss_drops_when_objects_are_freed(void **state)
{
	enum {
		N = 500000,
		SIZE = 64
	};
	struct slab s;
	void **v;
	size_t i, base, full, after;

	(void)state;
	v = malloc(N * sizeof(*v));
	assert_non_null(v);
	memset(v, 0, N * sizeof(*v)); /* resident before the baseline */
	slab_init(&s, SIZE);
	base = rss_bytes();
	for (i = 0; i < N; i++) {
		v[i] = slab_alloc(&s);
		assert_non_null(v[i]);
		memset(v[i], 0x5a, SIZE);
	}
	full = rss_bytes();
	assert_true(full >= base + (size_t)N * SIZE * 9 / 10);
	/* free in an order unrelated to the allocation's */
	for (i = 0; i < N; i += 2)
		slab_free(&s, v[i]);
	for (i = 1; i < N; i += 2)
		slab_free(&s, v[N - i]);
	after = rss_bytes();
	/* most of what the objects took is back (ASan's shadow stays) */
	assert_true(after < full);
	assert_true(full - after >= (full - base) * 3 / 4);
	slab_fini(&s);
	free(v);
}

static void
test_slab_random_churn_never_hands_out_a_live_object_twice(void **state)
{
	enum {
		MAXLIVE = 20000,
		STEPS = 400000
	};
	struct slab s;
	void **live, **sorted;
	uint64_t *tags, x = 0x2545f4914f6cdd1dull, next_tag = 1;
	size_t n = 0, i, step, size = 40, full = 0;

	(void)state;
	live = malloc(MAXLIVE * sizeof(*live));
	sorted = malloc(MAXLIVE * sizeof(*sorted));
	tags = malloc(MAXLIVE * sizeof(*tags));
	assert_non_null(live);
	assert_non_null(sorted);
	assert_non_null(tags);
	slab_init(&s, size);
	for (step = 0; step < STEPS; step++) {
		/* phases that grow the slab, then shrink it to nothing */
		unsigned grow = (step / 50000) % 2 == 0 ? 70 : 30;

		if (n < MAXLIVE && (n == 0 || rnd(&x) % 100 < grow)) {
			void *p = slab_alloc(&s);

			assert_non_null(p);
			assert_true(((uintptr_t)p & 7) == 0);
			assert_zeroed(p, s.size);
			live[n] = p;
			tags[n] = next_tag++;
			obj_mark(p, s.size, tags[n]);
			n++;
		} else {
			i = rnd(&x) % n;
			obj_check(live[i], s.size, tags[i]);
			slab_free(&s, live[i]);
			live[i] = live[--n];
			tags[i] = tags[n];
		}
		assert_int_equal(s.live, n);
		if (slab_bytes(&s) > full)
			full = slab_bytes(&s);
		if (step % 10000 == 0) {
			/* every live object intact and apart from the others */
			for (i = 0; i < n; i++)
				obj_check(live[i], s.size, tags[i]);
			memcpy(sorted, live, n * sizeof(*sorted));
			qsort(sorted, n, sizeof(*sorted), ptr_cmp);
			for (i = 1; i < n; i++)
				assert_true((uintptr_t)sorted[i] -
						    (uintptr_t)sorted[i - 1] >=
					    s.size);
		}
	}
	while (n > 0) {
		obj_check(live[n - 1], s.size, tags[n - 1]);
		slab_free(&s, live[--n]);
	}
	assert_int_equal(s.live, 0);
	assert_true(full >= (size_t)MAXLIVE * size / 2);
	assert_true(slab_bytes(&s) <= SLAB_SPARE * s.page_size + full / 256);
	slab_fini(&s);
	free(live);
	free(sorted);
	free(tags);
}

static void
test_slab_released_pages_are_reused_before_new_ones(void **state)
{
	enum {
		N = 50000
	};
	struct slab s;
	void **v, **pages;
	size_t i, full, npages;

	(void)state;
	v = malloc(N * sizeof(*v));
	pages = malloc(N * sizeof(*pages));
	assert_non_null(v);
	assert_non_null(pages);
	slab_init(&s, 24);
	for (i = 0; i < N; i++)
		assert_non_null(v[i] = slab_alloc(&s));
	full = slab_bytes(&s);
	for (i = 0; i < N; i++)
		pages[i] = (void *)((uintptr_t)v[i] &
				    ~(uintptr_t)(s.page_size - 1));
	qsort(pages, N, sizeof(*pages), ptr_cmp);
	for (npages = 0, i = 0; i < N; i++)
		if (npages == 0 || pages[npages - 1] != pages[i])
			pages[npages++] = pages[i];
	for (i = 0; i < N; i++)
		slab_free(&s, v[i]);
	assert_true(slab_bytes(&s) < full / 8);
	/* the same number of objects again fits in the same pages, zeroed */
	for (i = 0; i < N; i++) {
		void *pg;

		v[i] = slab_alloc(&s);
		assert_non_null(v[i]);
		assert_zeroed(v[i], s.size);
		pg = (void *)((uintptr_t)v[i] & ~(uintptr_t)(s.page_size - 1));
		assert_non_null(
			bsearch(&pg, pages, npages, sizeof(*pages), ptr_cmp));
	}
	assert_int_equal(slab_bytes(&s), full);
	slab_fini(&s);
	free(v);
	free(pages);
}

static void
test_slab_ping_pong_at_a_page_boundary_keeps_a_spare(void **state)
{
	enum {
		MAX = 10000
	};
	struct slab s;
	void **v, *p, *q;
	size_t n, i, before, bytes;

	(void)state;
	v = malloc(MAX * sizeof(*v));
	assert_non_null(v);
	slab_init(&s, 32);
	/* allocate until an object opens a new page */
	before = slab_bytes(&s);
	for (n = 0; n < MAX; n++) {
		assert_non_null(v[n] = slab_alloc(&s));
		if (n > 0 && slab_bytes(&s) != before &&
		    ((uintptr_t)v[n] & (s.page_size - 1)) == s.first)
			break;
		before = slab_bytes(&s);
	}
	assert_true(n > 0 && n < MAX);
	p = v[n];
	bytes = slab_bytes(&s);
	for (i = 0; i < 100000; i++) {
		slab_free(&s, p);
		assert_int_equal(slab_bytes(&s), bytes);
		q = slab_alloc(&s);
		assert_ptr_equal(q, p);
		assert_zeroed(q, s.size);
		memset(q, 0xee, s.size);
		assert_int_equal(slab_bytes(&s), bytes);
	}
	assert_int_equal(s.live, n + 1);
	/* and the same one page further on, with a half-full page behind */
	slab_free(&s, v[n - 1]);
	for (i = 0; i < 1000; i++) {
		slab_free(&s, p);
		p = slab_alloc(&s);
		assert_non_null(p);
		assert_int_equal(slab_bytes(&s), bytes);
	}
	v[n] = p;
	v[n - 1] = slab_alloc(&s);
	for (i = 0; i <= n; i++)
		slab_free(&s, v[i]);
	assert_int_equal(s.live, 0);
	assert_true(slab_bytes(&s) <= SLAB_SPARE * s.page_size + 256);
	slab_fini(&s);
	free(v);
}

static void
test_slab_fini_leaves_a_fresh_slab_of_the_same_size(void **state)
{
	struct slab s;
	void *v[3000];
	size_t i, round;

	(void)state;
	slab_init(&s, 100);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 3000; i++) {
			assert_non_null(v[i] = slab_alloc(&s));
			assert_zeroed(v[i], 104);
			memset(v[i], 0x11, 104);
		}
		for (i = 0; i < 3000; i += 3)
			slab_free(&s, v[i]);
		slab_fini(&s);
		assert_int_equal(s.size, 104);
		assert_int_equal(s.live, 0);
		assert_int_equal(slab_bytes(&s), 0);
	}
	/* one object costs one page */
	assert_non_null(slab_alloc(&s));
	assert_true(slab_bytes(&s) <= SLAB_CHUNK_MIN + 256);
	slab_fini(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_slab_freeing_every_object_gives_pages_back),
		cmocka_unit_test(
			test_slab_process_rss_drops_when_objects_are_freed),
		cmocka_unit_test(
			test_slab_random_churn_never_hands_out_a_live_object_twice),
		cmocka_unit_test(
			test_slab_released_pages_are_reused_before_new_ones),
		cmocka_unit_test(
			test_slab_ping_pong_at_a_page_boundary_keeps_a_spare),
		cmocka_unit_test(
			test_slab_fini_leaves_a_fresh_slab_of_the_same_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
