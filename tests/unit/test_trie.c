/*
 * test_trie.c - the prefix trie (core/trie.c) and the slab allocator it
 * draws its nodes from (core/slab.c), checked against a brute-force model
 * over thousands of random prefixes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/prefix.h"
#include "core/slab.h"
#include "core/trie.h"

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

static struct prefix
pfx(const char *s)
{
	struct prefix p;

	if (prefix_parse(&p, s, true) != 0)
		fail_msg("bad prefix in test: %s", s);
	return p;
}

/* Random prefixes that nest and share leading bits often, so the trie gets
 * deep chains, glue nodes and every kind of split. */
static void
rand_prefix(uint8_t family, struct prefix *p)
{
	static const uint8_t v4_first[] = { 10, 10, 10, 11, 192, 0, 255 };
	uint8_t a[16];
	unsigned max = prefix_maxlen(family), len, i;

	for (i = 0; i < 16; i++)
		a[i] = (uint8_t)rng();
	if (family == PREFIX_AF_INET) {
		if (rng() % 4 != 0)
			a[0] = v4_first[rng() % sizeof(v4_first)];
		if (rng() % 2 != 0)
			a[1] = (uint8_t)(rng() % 4);
		if (rng() % 2 != 0)
			a[2] = (uint8_t)(rng() % 4);
	} else {
		if (rng() % 4 != 0) {
			a[0] = 0x20;
			a[1] = 0x01;
			a[2] = 0x0d;
			a[3] = (uint8_t)(0xb8 + rng() % 2);
		}
		if (rng() % 2 != 0)
			a[4] = (uint8_t)(rng() % 4);
		if (rng() % 2 != 0)
			memset(a + 6, 0, 8);
	}
	switch (rng() % 4) {
	case 0:
		len = (unsigned)(rng() % (max + 1));
		break;
	case 1:
		len = max;
		break;
	default:
		len = (unsigned)(max / 4 + rng() % (max - max / 4 + 1));
		break;
	}
	memset(p, 0, sizeof(*p));
	p->family = family;
	p->len = (uint8_t)len;
	memcpy(p->addr.bytes, a, max / 8);
	prefix_canon(p);
}

struct payload {
	uint64_t tag;
	struct prefix p;
};

/* The model: unique prefixes in prefix_cmp order, each present or not. */
struct ref {
	struct prefix p;
	bool present;
	uint64_t tag;
};

struct model {
	struct ref *r;
	size_t n;
	size_t present;
};

static int
ref_cmp(const void *a, const void *b)
{
	return prefix_cmp(&((const struct ref *)a)->p,
			  &((const struct ref *)b)->p);
}

static void
model_init(struct model *m, uint8_t family, size_t want)
{
	size_t i, j;

	m->r = calloc(want + 2, sizeof(*m->r));
	assert_non_null(m->r);
	for (i = 0; i < want; i++)
		rand_prefix(family, &m->r[i].p);
	/* The default route is always a candidate. */
	memset(&m->r[want].p, 0, sizeof(struct prefix));
	m->r[want].p.family = family;
	want++;
	qsort(m->r, want, sizeof(*m->r), ref_cmp);
	for (i = j = 0; i < want; i++) {
		if (j > 0 && prefix_equal(&m->r[j - 1].p, &m->r[i].p))
			continue;
		m->r[j++] = m->r[i];
	}
	m->n = j;
	m->present = 0;
}

static void
model_insert(struct model *m, struct trie *t, size_t i)
{
	struct payload *pl;
	bool created = false;

	pl = trie_get(t, &m->r[i].p, &created);
	assert_non_null(pl);
	assert_true(created == !m->r[i].present);
	if (created) {
		/* Fresh payloads are zeroed. */
		assert_int_equal(pl->tag, 0);
		assert_int_equal(pl->p.family, 0);
		m->r[i].tag = rng() | 1;
		pl->tag = m->r[i].tag;
		pl->p = m->r[i].p;
		m->r[i].present = true;
		m->present++;
	} else {
		assert_true(pl->tag == m->r[i].tag);
	}
}

static void
model_delete(struct model *m, struct trie *t, size_t i)
{
	int rc = trie_del(t, &m->r[i].p);

	if (m->r[i].present) {
		assert_int_equal(rc, 0);
		m->r[i].present = false;
		m->present--;
	} else {
		assert_int_equal(rc, -CEN_ENOENT);
	}
}

/* A growing list of visited prefixes. */
struct seen {
	struct prefix v[8192];
	size_t n;
};

static int
collect_cb(const struct prefix *p, void *payload, void *arg)
{
	struct seen *s = arg;
	const struct payload *pl = payload;

	/* The payload is the one stored for this prefix. */
	assert_true(prefix_equal(&pl->p, p));
	assert_true(s->n < sizeof(s->v) / sizeof(s->v[0]));
	s->v[s->n++] = *p;
	return 0;
}

static int
collect_plain_cb(const struct prefix *p, void *payload, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < sizeof(s->v) / sizeof(s->v[0]));
	s->v[s->n++] = *p;
	return 0;
}

static void
expect_seen(const struct seen *s, const struct prefix *want, size_t nwant)
{
	char a[PREFIX_STRLEN], b[PREFIX_STRLEN];
	size_t i;

	for (i = 0; i < s->n && i < nwant; i++) {
		if (!prefix_equal(&s->v[i], &want[i]))
			fail_msg("walk item %zu: got %s want %s", i,
				 prefix_fmt(&s->v[i], a, sizeof(a)),
				 prefix_fmt(&want[i], b, sizeof(b)));
	}
	assert_int_equal(s->n, nwant);
}

static struct seen seen, want_seen;

/* Checks every query against the model. */
static void
model_check(struct model *m, struct trie *t, int queries)
{
	struct prefix q, found;
	struct payload *pl;
	size_t i, best;
	int k;

	assert_int_equal(t->count, m->present);
	assert_int_equal(t->full.live, m->present);
	/* Every glue node branches, so there are fewer glue than full. */
	assert_true(t->glue.live <= (m->present > 0 ? m->present - 1 : 0));

	for (i = 0; i < m->n; i++) {
		pl = trie_find(t, &m->r[i].p);
		if (!m->r[i].present) {
			assert_null(pl);
			continue;
		}
		assert_non_null(pl);
		assert_true(pl->tag == m->r[i].tag);
		trie_payload_prefix(t, pl, &q);
		assert_true(prefix_equal(&q, &m->r[i].p));
	}

	/* Full walk: every present prefix, in order. */
	seen.n = want_seen.n = 0;
	for (i = 0; i < m->n; i++)
		if (m->r[i].present)
			want_seen.v[want_seen.n++] = m->r[i].p;
	assert_int_equal(trie_walk(t, collect_cb, &seen), 0);
	expect_seen(&seen, want_seen.v, want_seen.n);

	for (k = 0; k < queries; k++) {
		switch (k % 3) {
		case 0:
			rand_prefix(t->family, &q);
			break;
		case 1:
			q = m->r[rng() % m->n].p;
			break;
		default:
			/* A host address inside a stored prefix. */
			q = m->r[rng() % m->n].p;
			for (i = q.len; i < prefix_maxlen(q.family); i++)
				if (rng() & 1)
					q.addr.bytes[i / 8] |=
						(uint8_t)(0x80 >> (i % 8));
			q.len = (uint8_t)prefix_maxlen(q.family);
			break;
		}

		/* Longest match. */
		best = SIZE_MAX;
		for (i = 0; i < m->n; i++)
			if (m->r[i].present &&
			    prefix_contains(&m->r[i].p, &q) &&
			    (best == SIZE_MAX ||
			     m->r[i].p.len > m->r[best].p.len))
				best = i;
		memset(&found, 0xee, sizeof(found));
		pl = trie_lpm(t, &q, &found);
		if (best == SIZE_MAX) {
			assert_null(pl);
		} else {
			assert_non_null(pl);
			assert_true(pl->tag == m->r[best].tag);
			assert_memory_equal(&found, &m->r[best].p,
					    sizeof(found));
		}

		/* Or-longer. */
		seen.n = want_seen.n = 0;
		for (i = 0; i < m->n; i++)
			if (m->r[i].present && prefix_contains(&q, &m->r[i].p))
				want_seen.v[want_seen.n++] = m->r[i].p;
		assert_int_equal(trie_walk_longer(t, &q, collect_cb, &seen), 0);
		expect_seen(&seen, want_seen.v, want_seen.n);

		/* Or-shorter: shortest first, which is also model order. */
		seen.n = want_seen.n = 0;
		for (i = 0; i < m->n; i++)
			if (m->r[i].present && prefix_contains(&m->r[i].p, &q))
				want_seen.v[want_seen.n++] = m->r[i].p;
		assert_int_equal(trie_walk_shorter(t, &q, collect_cb, &seen),
				 0);
		expect_seen(&seen, want_seen.v, want_seen.n);
		for (i = 1; i < seen.n; i++)
			assert_true(seen.v[i - 1].len < seen.v[i].len);
	}
}

static void
random_model_run(uint8_t family, uint64_t seed)
{
	struct model m;
	struct trie t;
	size_t i, round;

	rng_seed(seed);
	model_init(&m, family, 3000);
	trie_init(&t, family, sizeof(struct payload));
	model_check(&m, &t, 50);

	/* Insert about two thirds, checking now and then. */
	for (i = 0; i < m.n; i++) {
		if (rng() % 3 != 0)
			model_insert(&m, &t, i);
		if (i % 500 == 0)
			model_check(&m, &t, 20);
	}
	model_check(&m, &t, 600);

	/* Rounds of random deletes and inserts (also of absent and present
	 * prefixes, which must fail and find respectively). */
	for (round = 0; round < 6; round++) {
		for (i = 0; i < m.n; i++) {
			size_t j = rng() % m.n;

			if (rng() % 2 == 0)
				model_delete(&m, &t, j);
			else if (rng() % 3 == 0)
				model_insert(&m, &t, j);
		}
		model_check(&m, &t, 300);
	}

	/* Delete everything, in random order. */
	for (i = m.n; i > 1; i--) {
		size_t j = rng() % i;
		struct ref tmp = m.r[j];

		m.r[j] = m.r[i - 1];
		m.r[i - 1] = tmp;
	}
	for (i = 0; i < m.n; i++)
		model_delete(&m, &t, i);
	assert_int_equal(t.count, 0);
	assert_null(t.root);
	assert_int_equal(t.full.live, 0);
	assert_int_equal(t.glue.live, 0);
	trie_fini(&t);
	free(m.r);
}

static void
test_trie_ipv4_matches_brute_force_model(void **state)
{
	random_model_run(PREFIX_AF_INET, 0x1234567);
	random_model_run(PREFIX_AF_INET, 0xfeedface);
}

static void
test_trie_ipv6_matches_brute_force_model(void **state)
{
	random_model_run(PREFIX_AF_INET6, 0x7654321);
	random_model_run(PREFIX_AF_INET6, 0xdecafbad);
}

static void
test_trie_get_returns_same_payload_and_zeroes_new_ones(void **state)
{
	struct prefix p = pfx("10.0.0.0/8");
	uint64_t *a, *b;
	bool created;
	struct trie t;

	trie_init(&t, PREFIX_AF_INET, 16);
	a = trie_get(&t, &p, &created);
	assert_non_null(a);
	assert_true(created);
	assert_true(a[0] == 0 && a[1] == 0);
	a[0] = 42;
	b = trie_get(&t, &p, &created);
	assert_ptr_equal(a, b);
	assert_false(created);
	assert_true(b[0] == 42);
	assert_ptr_equal(trie_get(&t, &p, NULL), a);
	assert_int_equal(t.count, 1);
	/* Deleted and re-added: zeroed again. */
	assert_int_equal(trie_del(&t, &p), 0);
	assert_int_equal(trie_del(&t, &p), -CEN_ENOENT);
	b = trie_get(&t, &p, &created);
	assert_true(created);
	assert_true(b[0] == 0);
	trie_fini(&t);
}

static void
test_trie_lpm_returns_longest_covering_prefix(void **state)
{
	static const char *const stored[] = {
		"10.0.0.0/8",	 "10.1.0.0/16", "10.1.2.0/24",
		"10.1.2.128/25", "10.1.3.0/24",
	};
	static const struct {
		const char *addr, *want;
	} cases[] = {
		{ "10.1.2.200/32", "10.1.2.128/25" },
		{ "10.1.2.5/32", "10.1.2.0/24" },
		{ "10.1.3.5/32", "10.1.3.0/24" },
		{ "10.1.4.5/32", "10.1.0.0/16" },
		{ "10.2.0.0/32", "10.0.0.0/8" },
		{ "10.1.2.0/23", "10.1.0.0/16" },
		{ "10.1.2.0/24", "10.1.2.0/24" },
		{ "11.0.0.0/32", NULL },
		{ "0.0.0.0/0", NULL },
	};
	struct prefix p, found;
	char buf[PREFIX_STRLEN];
	struct trie t;
	size_t i;

	trie_init(&t, PREFIX_AF_INET, 8);
	for (i = 0; i < sizeof(stored) / sizeof(stored[0]); i++) {
		p = pfx(stored[i]);
		assert_non_null(trie_get(&t, &p, NULL));
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = pfx(cases[i].addr);
		if (cases[i].want == NULL) {
			assert_null(trie_lpm(&t, &p, &found));
			continue;
		}
		assert_non_null(trie_lpm(&t, &p, &found));
		assert_string_equal(prefix_fmt(&found, buf, sizeof(buf)),
				    cases[i].want);
	}
	/* found may be NULL. */
	p = pfx("10.9.9.9");
	assert_non_null(trie_lpm(&t, &p, NULL));
	trie_fini(&t);
}

static void
test_trie_default_routes_match_everything_in_both_families(void **state)
{
	uint8_t fam[2] = { PREFIX_AF_INET, PREFIX_AF_INET6 };
	const char *def[2] = { "0.0.0.0/0", "::/0" };
	const char *other[2] = { "10.0.0.0/8", "2001:db8::/32" };
	const char *inside[2] = { "10.1.1.1", "2001:db8::1" };
	const char *outside[2] = { "192.0.2.1", "fe80::1" };
	struct prefix p, d, o, found;
	struct trie t;
	int f;

	for (f = 0; f < 2; f++) {
		trie_init(&t, fam[f], 8);
		d = pfx(def[f]);
		o = pfx(other[f]);
		assert_non_null(trie_get(&t, &o, NULL));
		p = pfx(outside[f]);
		assert_null(trie_lpm(&t, &p, NULL));
		assert_non_null(trie_get(&t, &d, NULL));
		assert_non_null(trie_find(&t, &d));
		assert_non_null(trie_lpm(&t, &p, &found));
		assert_true(prefix_equal(&found, &d));
		p = pfx(inside[f]);
		assert_non_null(trie_lpm(&t, &p, &found));
		assert_true(prefix_equal(&found, &o));
		/* lpm of the default route itself. */
		assert_non_null(trie_lpm(&t, &d, &found));
		assert_true(prefix_equal(&found, &d));
		/* The default route is first in a walk, and or-longer of it
		 * is everything. */
		seen.n = 0;
		assert_int_equal(trie_walk(&t, collect_plain_cb, &seen), 0);
		assert_int_equal(seen.n, 2);
		assert_true(prefix_equal(&seen.v[0], &d));
		assert_true(prefix_equal(&seen.v[1], &o));
		seen.n = 0;
		trie_walk_longer(&t, &d, collect_plain_cb, &seen);
		assert_int_equal(seen.n, 2);
		seen.n = 0;
		trie_walk_shorter(&t, &o, collect_plain_cb, &seen);
		assert_int_equal(seen.n, 2);
		assert_true(prefix_equal(&seen.v[0], &d));
		assert_int_equal(trie_del(&t, &d), 0);
		assert_null(trie_find(&t, &d));
		p = pfx(outside[f]);
		assert_null(trie_lpm(&t, &p, NULL));
		assert_int_equal(trie_del(&t, &o), 0);
		assert_int_equal(t.full.live + t.glue.live, 0);
		trie_fini(&t);
	}
}

static void
test_trie_other_family_is_absent(void **state)
{
	struct prefix v4 = pfx("0.0.0.0/0"), v6 = pfx("::/0");
	struct trie t;

	trie_init(&t, PREFIX_AF_INET, 8);
	assert_non_null(trie_get(&t, &v4, NULL));
	assert_null(trie_find(&t, &v6));
	assert_null(trie_lpm(&t, &v6, NULL));
	assert_int_equal(trie_del(&t, &v6), -CEN_ENOENT);
	seen.n = 0;
	assert_int_equal(trie_walk_longer(&t, &v6, collect_plain_cb, &seen), 0);
	assert_int_equal(seen.n, 0);
	trie_fini(&t);
}

static void
test_trie_glue_becomes_full_and_useless_glue_is_removed(void **state)
{
	struct prefix a = pfx("10.0.0.0/24"), b = pfx("10.0.1.0/24");
	struct prefix g = pfx("10.0.0.0/23"), c = pfx("10.0.2.0/24");
	uint64_t *pl;
	bool created;
	struct trie t;

	trie_init(&t, PREFIX_AF_INET, 8);
	assert_non_null(trie_get(&t, &a, NULL));
	assert_non_null(trie_get(&t, &b, NULL));
	/* a and b part at bit 23: one glue node at 10.0.0.0/23. */
	assert_int_equal(t.full.live, 2);
	assert_int_equal(t.glue.live, 1);
	assert_null(trie_find(&t, &g));
	assert_int_equal(trie_del(&t, &g), -CEN_ENOENT);

	/* Storing the glue's own prefix turns it into a full node. */
	pl = trie_get(&t, &g, &created);
	assert_non_null(pl);
	assert_true(created);
	assert_true(*pl == 0);
	assert_int_equal(t.full.live, 3);
	assert_int_equal(t.glue.live, 0);
	assert_int_equal(t.count, 3);

	/* Deleting it with two children leaves glue again. */
	assert_int_equal(trie_del(&t, &g), 0);
	assert_int_equal(t.full.live, 2);
	assert_int_equal(t.glue.live, 1);

	/* A third prefix adds glue at /22; deleting a leaf splices out the
	 * glue it hung from. */
	assert_non_null(trie_get(&t, &c, NULL));
	assert_int_equal(t.glue.live, 2);
	assert_int_equal(trie_del(&t, &a), 0);
	assert_int_equal(t.glue.live, 1);
	assert_null(trie_find(&t, &a));
	assert_non_null(trie_find(&t, &b));
	assert_non_null(trie_find(&t, &c));
	assert_int_equal(trie_del(&t, &c), 0);
	assert_int_equal(t.glue.live, 0);
	assert_int_equal(t.full.live, 1);
	assert_ptr_not_equal(t.root, NULL);
	assert_int_equal(trie_del(&t, &b), 0);
	assert_null(t.root);
	trie_fini(&t);
}

static void
test_trie_node_sizes_are_family_sized(void **state)
{
	struct trie t;

	if (sizeof(void *) != 8)
		skip();
	trie_init(&t, PREFIX_AF_INET, 0);
	assert_int_equal(trie_node_size(&t, false), 24);
	assert_int_equal(trie_node_size(&t, true), 24);
	trie_fini(&t);
	trie_init(&t, PREFIX_AF_INET, 20);
	assert_int_equal(trie_node_size(&t, false), 24);
	assert_int_equal(trie_node_size(&t, true), 48);
	trie_fini(&t);
	trie_init(&t, PREFIX_AF_INET6, 8);
	assert_int_equal(trie_node_size(&t, false), 40);
	assert_int_equal(trie_node_size(&t, true), 48);
	trie_fini(&t);
}

static int
stop_at_third_cb(const struct prefix *p, void *payload, void *arg)
{
	int *n = arg;

	return ++*n == 3 ? 77 : 0;
}

static void
test_trie_walk_stops_when_callback_returns_nonzero(void **state)
{
	struct prefix p;
	struct trie t;
	int n = 0, i;

	trie_init(&t, PREFIX_AF_INET, 0);
	for (i = 0; i < 10; i++) {
		prefix_from_v4(&p, 0x0a000000u + ((uint32_t)i << 8), 24);
		assert_non_null(trie_get(&t, &p, NULL));
	}
	assert_int_equal(trie_walk(&t, stop_at_third_cb, &n), 77);
	assert_int_equal(n, 3);
	n = 0;
	p = pfx("10.0.0.0/8");
	assert_int_equal(trie_walk_longer(&t, &p, stop_at_third_cb, &n), 77);
	n = 0;
	p = pfx("10.0.0.0/8");
	assert_int_equal(trie_walk_shorter(&t, &p, stop_at_third_cb, &n), 0);
	assert_int_equal(n, 0);
	/* A chain of four covering prefixes: stopped at the third. */
	p = pfx("10.0.0.0/8");
	assert_non_null(trie_get(&t, &p, NULL));
	p = pfx("10.0.0.0/16");
	assert_non_null(trie_get(&t, &p, NULL));
	p = pfx("10.0.0.0/32");
	assert_non_null(trie_get(&t, &p, NULL));
	assert_int_equal(trie_walk_shorter(&t, &p, stop_at_third_cb, &n), 77);
	assert_int_equal(n, 3);
	trie_fini(&t);
}

static struct trie *del_trie;

static int
delete_visited_cb(const struct prefix *p, void *payload, void *arg)
{
	struct seen *s = arg;

	s->v[s->n++] = *p;
	assert_int_equal(trie_del(del_trie, p), 0);
	return 0;
}

static void
test_trie_walk_callback_may_delete_visited_prefix(void **state)
{
	struct model m;
	struct trie t;
	size_t i;

	rng_seed(99);
	model_init(&m, PREFIX_AF_INET, 3000);
	trie_init(&t, PREFIX_AF_INET, sizeof(struct payload));
	for (i = 0; i < m.n; i++)
		model_insert(&m, &t, i);
	del_trie = &t;

	/* Or-longer with deletes, then the full walk deletes the rest. */
	seen.n = want_seen.n = 0;
	for (i = 0; i < m.n; i++)
		if (prefix_contains(&m.r[m.n / 2].p, &m.r[i].p))
			want_seen.v[want_seen.n++] = m.r[i].p;
	trie_walk_longer(&t, &m.r[m.n / 2].p, delete_visited_cb, &seen);
	expect_seen(&seen, want_seen.v, want_seen.n);
	assert_int_equal(t.count, m.n - want_seen.n);

	seen.n = want_seen.n = 0;
	for (i = 0; i < m.n; i++)
		if (!prefix_contains(&m.r[m.n / 2].p, &m.r[i].p))
			want_seen.v[want_seen.n++] = m.r[i].p;
	trie_walk(&t, delete_visited_cb, &seen);
	expect_seen(&seen, want_seen.v, want_seen.n);
	assert_int_equal(t.count, 0);
	assert_int_equal(t.full.live + t.glue.live, 0);

	/* Or-shorter deleting as it goes. */
	for (i = 0; i < m.n; i++)
		assert_non_null(trie_get(&t, &m.r[i].p, NULL));
	for (i = 0; i < 200; i++) {
		struct prefix q;
		size_t j, before = t.count;

		rand_prefix(PREFIX_AF_INET, &q);
		seen.n = want_seen.n = 0;
		for (j = 0; j < m.n; j++)
			if (trie_find(&t, &m.r[j].p) != NULL &&
			    prefix_contains(&m.r[j].p, &q))
				want_seen.v[want_seen.n++] = m.r[j].p;
		trie_walk_shorter(&t, &q, delete_visited_cb, &seen);
		expect_seen(&seen, want_seen.v, want_seen.n);
		assert_int_equal(t.count, before - want_seen.n);
	}
	trie_fini(&t);
	free(m.r);
}

/* trie_walk_from: slices of budget 1..7, the callback deleting about half
 * of what it visits, over the whole trie or within one prefix. */
struct slice_arg {
	struct trie *t;
	struct seen *seen;
	struct model *m;
	bool delete_visited;
	bool churn;
};

static int
slice_cb(const struct prefix *p, void *payload, void *arg)
{
	struct slice_arg *a = arg;
	const struct payload *pl = payload;

	assert_true(prefix_equal(&pl->p, p));
	assert_true(a->seen->n < sizeof(a->seen->v) / sizeof(a->seen->v[0]));
	a->seen->v[a->seen->n++] = *p;
	if (a->delete_visited && (rng() & 1))
		assert_int_equal(trie_del(a->t, p), 0);
	return 0;
}

static void
test_trie_walk_from_slices_visit_everything_once_in_order(void **state)
{
	struct slice_arg arg;
	struct prefix cursor, within;
	struct model m;
	struct trie t;
	size_t budget, i, got, slices;
	bool started;
	int w;

	for (w = 0; w < 4; w++) {
		for (budget = 1; budget <= 7; budget++) {
			uint8_t fam = w % 2 ? PREFIX_AF_INET6 : PREFIX_AF_INET;
			bool whole = w < 2;

			rng_seed(1000 + budget * 10 + (uint64_t)w);
			model_init(&m, fam, 1500);
			trie_init(&t, fam, sizeof(struct payload));
			for (i = 0; i < m.n; i++)
				if (rng() % 4 != 0)
					model_insert(&m, &t, i);
			within = m.r[m.n / 3].p;
			within.len = fam == PREFIX_AF_INET ? 8 : 32;
			prefix_canon(&within);

			want_seen.n = seen.n = 0;
			for (i = 0; i < m.n; i++)
				if (m.r[i].present &&
				    (whole ||
				     prefix_contains(&within, &m.r[i].p)))
					want_seen.v[want_seen.n++] = m.r[i].p;
			assert_true(want_seen.n > 10);

			memset(&arg, 0, sizeof(arg));
			arg.t = &t;
			arg.seen = &seen;
			arg.delete_visited = true;
			started = false;
			memset(&cursor, 0, sizeof(cursor));
			slices = 0;
			do {
				got = trie_walk_from(&t, whole ? NULL : &within,
						     &cursor, &started, budget,
						     slice_cb, &arg);
				assert_true(got <= budget);
				slices++;
				if (got > 0) {
					assert_true(started);
					assert_true(prefix_equal(
						&cursor, &seen.v[seen.n - 1]));
				}
				assert_true(slices <= want_seen.n + 1);
			} while (got == budget);
			expect_seen(&seen, want_seen.v, want_seen.n);
			assert_int_equal(slices, want_seen.n / budget + 1);
			/* A finished walk stays finished. */
			assert_int_equal(trie_walk_from(&t,
							whole ? NULL : &within,
							&cursor, &started,
							budget, slice_cb, &arg),
					 0);
			trie_fini(&t);
			free(m.r);
		}
	}
}

static void
test_trie_walk_from_empty_trie_and_empty_within_finish_at_once(void **state)
{
	struct slice_arg arg = { 0 };
	struct prefix cursor, within = pfx("10.0.0.0/8"), p;
	struct trie t;
	bool started = false;

	trie_init(&t, PREFIX_AF_INET, sizeof(struct payload));
	seen.n = 0;
	arg.t = &t;
	arg.seen = &seen;
	assert_int_equal(
		trie_walk_from(&t, NULL, &cursor, &started, 5, slice_cb, &arg),
		0);
	assert_false(started);
	p = pfx("11.0.0.0/8");
	((struct payload *)trie_get(&t, &p, NULL))->p = p;
	p = pfx("9.0.0.0/8");
	((struct payload *)trie_get(&t, &p, NULL))->p = p;
	p = pfx("10.0.0.0/7");
	((struct payload *)trie_get(&t, &p, NULL))->p = p;
	assert_int_equal(trie_walk_from(&t, &within, &cursor, &started, 5,
					slice_cb, &arg),
			 0);
	assert_int_equal(seen.n, 0);
	/* within itself is included. */
	((struct payload *)trie_get(&t, &within, NULL))->p = within;
	assert_int_equal(trie_walk_from(&t, &within, &cursor, &started, 5,
					slice_cb, &arg),
			 1);
	assert_true(prefix_equal(&seen.v[0], &within));
	trie_fini(&t);
}

/* Churn: between slices and inside the callback, other prefixes come and
 * go.  Every prefix present for the whole walk is visited exactly once;
 * the visits are strictly increasing. */
static int
churn_cb(const struct prefix *p, void *payload, void *arg)
{
	struct slice_arg *a = arg;
	size_t j;

	slice_cb(p, payload, arg);
	j = rng() % a->m->n;
	if (!prefix_equal(&a->m->r[j].p, p)) {
		if (rng() & 1)
			model_delete(a->m, a->t, j);
		else
			model_insert(a->m, a->t, j);
	}
	return 0;
}

static void
test_trie_walk_from_survives_inserts_and_deletes_between_slices(void **state)
{
	struct slice_arg arg;
	struct prefix cursor;
	struct model m;
	struct trie t;
	size_t budget, i, j, got;
	bool *stable, started;

	for (budget = 1; budget <= 7; budget++) {
		rng_seed(5000 + budget);
		model_init(&m, PREFIX_AF_INET, 2000);
		trie_init(&t, PREFIX_AF_INET, sizeof(struct payload));
		for (i = 0; i < m.n; i++)
			if (rng() % 2 != 0)
				model_insert(&m, &t, i);
		stable = calloc(m.n, sizeof(*stable));
		assert_non_null(stable);
		for (i = 0; i < m.n; i++)
			stable[i] = m.r[i].present;

		memset(&arg, 0, sizeof(arg));
		arg.t = &t;
		arg.m = &m;
		arg.seen = &seen;
		arg.delete_visited = false;
		seen.n = 0;
		started = false;
		do {
			got = trie_walk_from(&t, NULL, &cursor, &started,
					     budget, churn_cb, &arg);
			for (i = 0; i < m.n; i++)
				if (!m.r[i].present)
					stable[i] = false;
			/* Churn between slices too. */
			for (i = 0; i < 3; i++) {
				j = rng() % m.n;
				if (rng() & 1)
					model_delete(&m, &t, j);
				else
					model_insert(&m, &t, j);
				if (!m.r[j].present)
					stable[j] = false;
			}
		} while (got == budget);

		for (i = 1; i < seen.n; i++)
			assert_true(prefix_cmp(&seen.v[i - 1], &seen.v[i]) < 0);
		for (i = j = 0; i < m.n; i++) {
			if (!stable[i])
				continue;
			while (j < seen.n &&
			       prefix_cmp(&seen.v[j], &m.r[i].p) < 0)
				j++;
			assert_true(j < seen.n);
			assert_true(prefix_equal(&seen.v[j], &m.r[i].p));
		}
		model_check(&m, &t, 50);
		free(stable);
		trie_fini(&t);
		free(m.r);
	}
}

static void
test_trie_walk_from_stops_slice_on_nonzero_callback(void **state)
{
	struct prefix p, cursor;
	struct trie t;
	bool started = false;
	int n = 0, i;

	trie_init(&t, PREFIX_AF_INET, 0);
	for (i = 0; i < 10; i++) {
		prefix_from_v4(&p, 0x0a000000u + ((uint32_t)i << 8), 24);
		assert_non_null(trie_get(&t, &p, NULL));
	}
	assert_int_equal(trie_walk_from(&t, NULL, &cursor, &started, 8,
					stop_at_third_cb, &n),
			 3);
	prefix_from_v4(&p, 0x0a000200u, 24);
	assert_true(prefix_equal(&cursor, &p));
	n = 10;
	assert_int_equal(trie_walk_from(&t, NULL, &cursor, &started, 100,
					stop_at_third_cb, &n),
			 7);
	trie_fini(&t);
}

/* Not timed: a quick run at scale that must leave nothing behind. */
static void
test_trie_200k_random_slash24_insert_delete_leaves_nothing(void **state)
{
	enum {
		N = 200000
	};
	struct prefix p;
	uint32_t *addrs;
	struct trie t;
	size_t i, distinct = 0;
	bool created;

	rng_seed(424242);
	addrs = malloc(N * sizeof(*addrs));
	assert_non_null(addrs);
	trie_init(&t, PREFIX_AF_INET, 64);
	for (i = 0; i < N; i++) {
		addrs[i] = (uint32_t)rng() & 0xffffff00u;
		prefix_from_v4(&p, addrs[i], 24);
		assert_non_null(trie_get(&t, &p, &created));
		distinct += created;
	}
	assert_int_equal(t.count, distinct);
	assert_true(distinct > N * 99 / 100);
	/* Bytes per prefix: payload 64 + node 24 + glue 24 at most. */
	assert_true(trie_bytes(&t) / distinct < 64 + 24 + 24 + 16);
	for (i = 0; i < N; i++) {
		prefix_from_v4(&p, addrs[i], 24);
		assert_non_null(trie_find(&t, &p));
		assert_non_null(trie_lpm(&t, &p, NULL));
	}
	for (i = 0; i < N; i++) {
		prefix_from_v4(&p, addrs[i], 24);
		trie_del(&t, &p);
	}
	assert_int_equal(t.count, 0);
	assert_null(t.root);
	assert_int_equal(t.full.live, 0);
	assert_int_equal(t.glue.live, 0);
	trie_fini(&t);
	free(addrs);
}

/* The slab: zeroed objects, LIFO reuse, bounded memory. */
static void
test_slab_reuses_freed_objects_and_zeroes_them(void **state)
{
	struct slab s;
	uint8_t *a, *b, *c;
	size_t i;

	slab_init(&s, 20);
	assert_int_equal(s.size, 24);
	a = slab_alloc(&s);
	b = slab_alloc(&s);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_int_equal(s.live, 2);
	for (i = 0; i < 24; i++)
		assert_int_equal(a[i], 0);
	memset(a, 0xff, 24);
	slab_free(&s, a);
	assert_int_equal(s.live, 1);
	c = slab_alloc(&s);
	assert_ptr_equal(c, a);
	for (i = 0; i < 24; i++)
		assert_int_equal(c[i], 0);
	slab_free(&s, b);
	slab_free(&s, c);
	assert_int_equal(s.live, 0);
	slab_fini(&s);
	assert_int_equal(slab_bytes(&s), 0);
}

static void
test_slab_objects_are_distinct_and_memory_is_reused(void **state)
{
	enum {
		N = 100000
	};
	struct slab s;
	uint64_t **v;
	size_t i, bytes;

	v = malloc(N * sizeof(*v));
	assert_non_null(v);
	slab_init(&s, 3);
	assert_int_equal(s.size, 8);
	slab_fini(&s);
	slab_init(&s, 16);
	for (i = 0; i < N; i++) {
		v[i] = slab_alloc(&s);
		assert_non_null(v[i]);
		assert_true(((uintptr_t)v[i] & 7) == 0);
		v[i][0] = i;
		v[i][1] = ~(uint64_t)i;
	}
	for (i = 0; i < N; i++)
		assert_true(v[i][0] == i && v[i][1] == ~(uint64_t)i);
	bytes = slab_bytes(&s);
	/* Memory is the objects plus less than the growth tail. */
	assert_true(bytes >= (size_t)N * 16);
	assert_true(bytes <= (size_t)N * 16 + 2 * SLAB_CHUNK_MAX);
	/* A small slab stays small. */
	for (i = 0; i < N; i++)
		slab_free(&s, v[i]);
	assert_int_equal(s.live, 0);
	for (i = 0; i < N; i++)
		v[i] = slab_alloc(&s);
	assert_int_equal(slab_bytes(&s), bytes);
	slab_fini(&s);

	slab_init(&s, 24);
	assert_non_null(slab_alloc(&s));
	assert_true(slab_bytes(&s) <= SLAB_CHUNK_MIN + 256);
	slab_fini(&s);
	free(v);
}

/* The last exact lookup is remembered (trie->hint); a deleted prefix, one
 * whose node became glue, and a node whose memory the slab handed to
 * another prefix must never be found through it. */
static void
test_trie_lookup_hint_never_finds_removed_prefixes(void **state)
{
	struct prefix a = pfx("10.0.0.0/24"), b = pfx("10.0.1.0/24");
	struct prefix g = pfx("10.0.0.0/23"), c = pfx("192.0.2.0/24");
	uint64_t *pl;
	struct trie t;

	(void)state;
	trie_init(&t, PREFIX_AF_INET, 8);
	pl = trie_get(&t, &a, NULL);
	*pl = 1;
	assert_ptr_equal(trie_find(&t, &a), pl);
	assert_ptr_equal(trie_find(&t, &a), pl); /* from the hint */
	assert_int_equal(trie_del(&t, &a), 0);
	assert_null(trie_find(&t, &a));

	/* the slab reuses a's node for c: the hint must not name it as a */
	pl = trie_get(&t, &c, NULL);
	*pl = 3;
	assert_null(trie_find(&t, &a));
	assert_ptr_equal(trie_find(&t, &c), pl);

	/* a full node with two children becomes glue when deleted */
	assert_non_null(trie_get(&t, &a, NULL));
	assert_non_null(trie_get(&t, &b, NULL));
	pl = trie_get(&t, &g, NULL);
	*pl = 7;
	assert_ptr_equal(trie_find(&t, &g), pl);
	assert_int_equal(trie_del(&t, &g), 0);
	assert_null(trie_find(&t, &g));
	assert_int_equal(trie_del(&t, &g), -CEN_ENOENT);
	pl = trie_get(&t, &g, NULL);
	assert_true(*pl == 0); /* a new, zeroed payload */
	trie_fini(&t);
	assert_null(t.hint);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trie_ipv4_matches_brute_force_model),
		cmocka_unit_test(test_trie_ipv6_matches_brute_force_model),
		cmocka_unit_test(
			test_trie_get_returns_same_payload_and_zeroes_new_ones),
		cmocka_unit_test(test_trie_lpm_returns_longest_covering_prefix),
		cmocka_unit_test(
			test_trie_default_routes_match_everything_in_both_families),
		cmocka_unit_test(test_trie_other_family_is_absent),
		cmocka_unit_test(
			test_trie_glue_becomes_full_and_useless_glue_is_removed),
		cmocka_unit_test(test_trie_node_sizes_are_family_sized),
		cmocka_unit_test(
			test_trie_lookup_hint_never_finds_removed_prefixes),
		cmocka_unit_test(
			test_trie_walk_stops_when_callback_returns_nonzero),
		cmocka_unit_test(
			test_trie_walk_callback_may_delete_visited_prefix),
		cmocka_unit_test(
			test_trie_walk_from_slices_visit_everything_once_in_order),
		cmocka_unit_test(
			test_trie_walk_from_empty_trie_and_empty_within_finish_at_once),
		cmocka_unit_test(
			test_trie_walk_from_survives_inserts_and_deletes_between_slices),
		cmocka_unit_test(
			test_trie_walk_from_stops_slice_on_nonzero_callback),
		cmocka_unit_test(
			test_trie_200k_random_slash24_insert_delete_leaves_nothing),
		cmocka_unit_test(
			test_slab_reuses_freed_objects_and_zeroes_them),
		cmocka_unit_test(
			test_slab_objects_are_distinct_and_memory_is_reused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
