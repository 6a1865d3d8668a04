/*
 * test_regiondiff.c - the comparison a region's importer makes between
 * another region's snapshot and what its own cluster holds
 * (consensus/regiondiff.c, regionx.h), and the --region-peer flag
 * (regionx_parse_peer): only differences are reported, in key order, each
 * once; applying them to ours gives theirs; a key given twice counts
 * once, the last given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "consensus/regionx.h"

/* Interned attribute sets: preference 1..N, so that sets differ. */
static struct attr_store as;
static const struct attrs *sets[8];

static int
setup(void **state)
{
	attr_store_init(&as);
	for (int i = 0; i < 8; i++) {
		struct attrs a;

		attr_init(&a);
		a.pref = (uint8_t)(10 + i);
		sets[i] = attr_intern(&as, &a);
		assert_non_null(sets[i]);
	}
	return 0;
}

static int
teardown(void **state)
{
	for (int i = 0; i < 8; i++)
		attr_unref(&as, sets[i]);
	attr_store_fini(&as, false);
	return 0;
}

/* "att peer prefix set": peer "-" for none. */
static struct regiondiff_path
path(const char *att, const char *peer, const char *prefix, int set)
{
	struct regiondiff_path p = { 0 };

	p.attachment = att;
	if (strcmp(peer, "-") != 0)
		assert_int_equal(prefix_parse_addr(&p.peer, peer), 0);
	assert_int_equal(prefix_parse(&p.prefix, prefix, true), 0);
	p.attrs = sets[set];
	return p;
}

struct rec {
	char line[8][128];
	size_t n;
	int stop_after; /* 0: never */
};

static int
rec_cb(enum regiondiff_op op, const struct regiondiff_path *p, void *arg)
{
	struct rec *r = arg;
	char pb[PREFIX_STRLEN], peer[PREFIX_STRLEN] = "-";
	int set = -1;

	for (int i = 0; i < 8; i++)
		if (sets[i] == p->attrs)
			set = i;
	if (p->peer.family != PREFIX_AF_NONE)
		prefix_fmt_addr(&p->peer, peer, sizeof(peer));
	assert_true(r->n < 8);
	snprintf(r->line[r->n++], sizeof(r->line[0]), "%s %s %s %s %d",
		 op == REGIONDIFF_ADD	   ? "add"
		 : op == REGIONDIFF_CHANGE ? "change"
					   : "withdraw",
		 p->attachment, peer, prefix_fmt(&p->prefix, pb, sizeof(pb)),
		 set);
	return r->stop_after != 0 && (int)r->n == r->stop_after ? 7 : 0;
}

static void
run(struct regiondiff_path *t, size_t nt, struct regiondiff_path *o, size_t no,
    struct rec *r, struct regiondiff_stats *st)
{
	regiondiff_sort(t, nt);
	regiondiff_sort(o, no);
	assert_int_equal(regiondiff_run(t, nt, o, no, rec_cb, r, st), 0);
}

static void
test_regiondiff_reports_only_differences_in_key_order(void **state)
{
	struct regiondiff_path theirs[] = {
		path("vbr-b", "10.0.0.1", "10.2.0.0/16", 0), /* add */
		path("vbr-a", "10.0.0.1", "10.1.0.0/16", 1), /* same */
		path("vbr-a", "10.0.0.1", "10.1.1.0/24", 2), /* change */
		path("vbr-a", "10.0.0.2", "10.1.0.0/16", 1), /* add */
	};
	struct regiondiff_path ours[] = {
		path("vbr-a", "10.0.0.1", "10.1.1.0/24", 3),
		path("vbr-a", "10.0.0.1", "10.1.0.0/16", 1),
		path("vbr-a", "10.0.0.1", "10.3.0.0/16", 1), /* withdraw */
		path("vbr-c", "-", "10.4.0.0/16", 4),	     /* withdraw */
	};
	struct regiondiff_stats st;
	struct rec r = { 0 };

	run(theirs, 4, ours, 4, &r, &st);
	assert_int_equal(r.n, 5);
	assert_string_equal(r.line[0], "change vbr-a 10.0.0.1 10.1.1.0/24 2");
	assert_string_equal(r.line[1], "withdraw vbr-a 10.0.0.1 10.3.0.0/16 1");
	assert_string_equal(r.line[2], "add vbr-a 10.0.0.2 10.1.0.0/16 1");
	assert_string_equal(r.line[3], "add vbr-b 10.0.0.1 10.2.0.0/16 0");
	assert_string_equal(r.line[4], "withdraw vbr-c - 10.4.0.0/16 4");
	assert_int_equal(st.added, 2);
	assert_int_equal(st.changed, 1);
	assert_int_equal(st.withdrawn, 2);
	assert_int_equal(st.same, 1);
}

static void
test_regiondiff_equal_sides_report_nothing(void **state)
{
	struct regiondiff_path theirs[] = {
		path("vbr-a", "10.0.0.1", "10.1.0.0/16", 1),
		path("vbr-a", "2001:db8::1", "2001:db8:1::/48", 2),
		path("vbr-a", "-", "10.5.0.0/16", 3),
	};
	struct regiondiff_path ours[3];
	struct regiondiff_stats st;
	struct rec r = { 0 };

	/* the same paths in another order */
	ours[0] = theirs[2];
	ours[1] = theirs[0];
	ours[2] = theirs[1];
	run(theirs, 3, ours, 3, &r, &st);
	assert_int_equal(r.n, 0);
	assert_int_equal(st.same, 3);
	/* and nothing on either side is nothing */
	run(NULL, 0, NULL, 0, &r, &st);
	assert_int_equal(r.n, 0);
	assert_int_equal(st.same + st.added + st.withdrawn + st.changed, 0);
}

static void
test_regiondiff_one_side_empty_adds_or_withdraws_everything(void **state)
{
	struct regiondiff_path v[] = {
		path("vbr-a", "10.0.0.1", "10.1.0.0/16", 1),
		path("vbr-a", "10.0.0.1", "10.1.0.0/24", 2),
	};
	struct regiondiff_stats st;
	struct rec r = { 0 };

	run(v, 2, NULL, 0, &r, &st);
	assert_int_equal(st.added, 2);
	assert_string_equal(r.line[0], "add vbr-a 10.0.0.1 10.1.0.0/16 1");
	memset(&r, 0, sizeof(r));
	run(NULL, 0, v, 2, &r, &st);
	assert_int_equal(st.withdrawn, 2);
	assert_string_equal(r.line[1], "withdraw vbr-a 10.0.0.1 10.1.0.0/24 2");
}

/* A key given twice on one side counts once: the last one given. */
static void
test_regiondiff_last_of_a_repeated_key_counts(void **state)
{
	struct regiondiff_path theirs[] = {
		path("vbr-a", "10.0.0.1", "10.1.0.0/16", 1),
		path("vbr-a", "10.0.0.1", "10.1.0.0/16", 2),
	};
	struct regiondiff_path ours[] = {
		path("vbr-a", "10.0.0.1", "10.1.0.0/16", 2),
		path("vbr-a", "10.0.0.1", "10.1.0.0/16", 2),
	};
	struct regiondiff_stats st;
	struct rec r = { 0 };

	run(theirs, 2, ours, 2, &r, &st);
	assert_int_equal(r.n, 0);
	assert_int_equal(st.same, 1);

	theirs[0].attrs = sets[2];
	theirs[1].attrs = sets[5];
	run(theirs, 2, ours, 2, &r, &st);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.line[0], "change vbr-a 10.0.0.1 10.1.0.0/16 5");
}

static void
test_regiondiff_callback_stops_the_comparison(void **state)
{
	struct regiondiff_path v[] = {
		path("vbr-a", "10.0.0.1", "10.1.0.0/16", 1),
		path("vbr-a", "10.0.0.1", "10.2.0.0/16", 1),
		path("vbr-a", "10.0.0.1", "10.3.0.0/16", 1),
	};
	struct rec r = { .stop_after = 2 };

	regiondiff_sort(v, 3);
	assert_int_equal(regiondiff_run(v, 3, NULL, 0, rec_cb, &r, NULL), 7);
	assert_int_equal(r.n, 2);
}

/* Random sides: applying what is reported to ours gives theirs. */
struct model_set {
	struct regiondiff_path *v;
	size_t n;
};

static int
apply_cb(enum regiondiff_op op, const struct regiondiff_path *p, void *arg)
{
	struct model_set *m = arg;
	size_t i;

	for (i = 0; i < m->n; i++)
		if (regiondiff_cmp(&m->v[i], p) == 0)
			break;
	if (op == REGIONDIFF_WITHDRAW) {
		assert_true(i < m->n);
		m->v[i] = m->v[--m->n];
	} else if (op == REGIONDIFF_CHANGE) {
		assert_true(i < m->n);
		assert_true(m->v[i].attrs != p->attrs);
		m->v[i] = *p;
	} else {
		assert_true(i == m->n);
		m->v[m->n++] = *p;
	}
	return 0;
}

static void
test_regiondiff_applying_the_changes_gives_theirs(void **state)
{
	static const char *atts[] = { "ccn-1", "vbr-1", "vbr-2" };
	static const char *peers[] = { "-", "10.0.0.1", "10.0.0.2",
				       "2001:db8::2" };
	static const char *pfxs[] = { "10.1.0.0/16", "10.1.0.0/24",
				      "10.2.0.0/16", "2001:db8:5::/48",
				      "0.0.0.0/0" };
	uint64_t x = 88172645463325252ull;

	for (int round = 0; round < 200; round++) {
		struct regiondiff_path t[60], o[60], applied[120];
		struct model_set m = { .v = applied };
		size_t nt = 0, no = 0;

		for (int k = 0; k < 60; k++) {
			struct regiondiff_path p;

			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			p = path(atts[x % 3], peers[(x >> 8) % 4],
				 pfxs[(x >> 16) % 5], (int)((x >> 24) % 3));
			/* (a key once per side: duplicates are the test
			 * above) */
			if ((x >> 32) % 2) {
				bool dup = false;

				for (size_t i = 0; i < nt; i++)
					dup |= regiondiff_cmp(&t[i], &p) == 0;
				if (!dup)
					t[nt++] = p;
			} else {
				bool dup = false;

				for (size_t i = 0; i < no; i++)
					dup |= regiondiff_cmp(&o[i], &p) == 0;
				if (!dup)
					o[no++] = p;
			}
		}
		regiondiff_sort(t, nt);
		regiondiff_sort(o, no);
		memcpy(applied, o, no * sizeof(*o));
		m.n = no;
		assert_int_equal(
			regiondiff_run(t, nt, o, no, apply_cb, &m, NULL), 0);
		assert_int_equal(m.n, nt);
		regiondiff_sort(m.v, m.n);
		for (size_t i = 0; i < nt; i++) {
			assert_int_equal(regiondiff_cmp(&m.v[i], &t[i]), 0);
			assert_ptr_equal(m.v[i].attrs, t[i].attrs);
		}
	}
}

static void
test_regionx_parse_peer_takes_region_and_endpoints(void **state)
{
	struct regionx_peer p;
	struct cen_err err = { 0 };

	assert_int_equal(regionx_parse_peer("cn-shanghai=127.0.0.1:7101,"
					    "[::1]:7102,unix:/run/c.sock",
					    &p, &err),
			 0);
	assert_string_equal(p.region, "cn-shanghai");
	assert_int_equal(p.nendpoints, 3);
	assert_string_equal(p.endpoints[1], "[::1]:7102");
	assert_string_equal(p.endpoints[2], "unix:/run/c.sock");

	assert_int_equal(regionx_parse_peer("127.0.0.1:7101", &p, &err),
			 -CEN_EINVAL);
	assert_non_null(strstr(err.msg, "REGION=HOST:PORT"));
	assert_int_equal(regionx_parse_peer("=127.0.0.1:7101", &p, &err),
			 -CEN_EINVAL);
	assert_int_equal(regionx_parse_peer("bad region=127.0.0.1:1", &p, &err),
			 -CEN_EINVAL);
	assert_int_equal(regionx_parse_peer("sh=", &p, &err), -CEN_EINVAL);
	assert_non_null(strstr(err.msg, "no endpoint"));
	assert_int_equal(regionx_parse_peer("sh=127.0.0.1", &p, &err),
			 -CEN_EINVAL);
	assert_non_null(strstr(err.msg, "127.0.0.1"));
	assert_int_equal(
		regionx_parse_peer("sh=127.0.0.1:1,127.0.0.1:2,127.0.0.1:3,"
				   "127.0.0.1:4,127.0.0.1:5,127.0.0.1:6,"
				   "127.0.0.1:7,127.0.0.1:8,127.0.0.1:9,"
				   "127.0.0.1:10,127.0.0.1:11,127.0.0.1:12,"
				   "127.0.0.1:13,127.0.0.1:14,127.0.0.1:15,"
				   "127.0.0.1:16,127.0.0.1:17",
				   &p, &err),
		-CEN_EINVAL);
	assert_non_null(strstr(err.msg, "more than 16"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_regiondiff_reports_only_differences_in_key_order),
		cmocka_unit_test(test_regiondiff_equal_sides_report_nothing),
		cmocka_unit_test(
			test_regiondiff_one_side_empty_adds_or_withdraws_everything),
		cmocka_unit_test(test_regiondiff_last_of_a_repeated_key_counts),
		cmocka_unit_test(test_regiondiff_callback_stops_the_comparison),
		cmocka_unit_test(
			test_regiondiff_applying_the_changes_gives_theirs),
		cmocka_unit_test(
			test_regionx_parse_peer_takes_region_and_endpoints),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
