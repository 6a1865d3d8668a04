/*
 * test_regiondiff.c - the comparison a region's importer makes between
 * another region's snapshot and what its own cluster holds
 * (consensus/regiondiff.c, regionx.h), and the --region-peer flag
 * (regionx_parse_peer): only differences are reported, in key order, each
 * once; applying them to ours gives theirs; a key given twice counts
 * once, the last given; the paths of another region's PathUpdate are
 * the same whether it sends them as adds or as groups, and bad ones are
 * refused by name.
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
#include "consensus/store.h"
#include "proto/command.pb-c.h"

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

/* What regiondiff_update_paths gives: the paths (prefix and set) and
 * the refusals. */
struct got {
	struct prefix pfx[16];
	const struct attrs *attrs[16];
	size_t n;
	char refused[4][128];
	size_t nrefused;
};

static void
got_path(const struct prefix *prefix, const struct attrs *attrs, void *arg)
{
	struct got *g = arg;

	assert_true(g->n < 16);
	g->pfx[g->n] = *prefix;
	g->attrs[g->n++] = attrs;
}

static void
got_refused(const char *msg, void *arg)
{
	struct got *g = arg;

	assert_true(g->nrefused < 4);
	snprintf(g->refused[g->nrefused++], sizeof(g->refused[0]), "%s", msg);
}

static void
got_fini(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		attr_unref(&as, g->attrs[i]);
}

static struct prefix
pfx_of(const char *s)
{
	struct prefix p;

	assert_int_equal(prefix_parse(&p, s, true), 0);
	return p;
}

static void
test_regiondiff_update_paths_same_from_adds_and_groups(void **state)
{
	static const char *const names[] = { "10.0.0.0/8", "10.1.0.0/16",
					     "192.0.2.0/24", "2001:db8::/32",
					     "0.0.0.0/0" };
	Cend__V1__PathUpdate ua = CEND__V1__PATH_UPDATE__INIT;
	Cend__V1__PathUpdate ug = CEND__V1__PATH_UPDATE__INIT;
	Cend__V1__PathAttrs m[2] = { CEND__V1__PATH_ATTRS__INIT,
				     CEND__V1__PATH_ATTRS__INIT };
	Cend__V1__PathAdd adds[5], *ap[5];
	Cend__V1__PathGroup grp[2], *gp[2] = { &grp[0], &grp[1] };
	uint8_t full[5][18], list[2][64];
	struct got ga = { .n = 0 }, gg = { .n = 0 };

	(void)state;
	m[0].preference = 20;
	m[1].preference = 30;
	cend__v1__path_group__init(&grp[0]);
	cend__v1__path_group__init(&grp[1]);
	grp[0].attrs = &m[0];
	grp[1].attrs = &m[1];
	grp[0].prefixes.data = list[0];
	grp[1].prefixes.data = list[1];
	for (int i = 0; i < 5; i++) {
		struct prefix p = pfx_of(names[i]);
		Cend__V1__PathGroup *g = &grp[i < 3 ? 0 : 1];

		cend__v1__path_add__init(&adds[i]);
		adds[i].prefix.data = full[i];
		adds[i].prefix.len = store_prefix_pack(&p, full[i]);
		adds[i].attrs = &m[i < 3 ? 0 : 1];
		ap[i] = &adds[i];
		g->prefixes.len += store_prefix_pack_short(
			&p, g->prefixes.data + g->prefixes.len);
	}
	ua.adds = ap;
	ua.n_adds = 5;
	ug.groups = gp;
	ug.n_groups = 2;
	assert_int_equal(
		regiondiff_update_paths(&as, &ua, got_path, got_refused, &ga),
		5);
	assert_int_equal(
		regiondiff_update_paths(&as, &ug, got_path, got_refused, &gg),
		5);
	assert_int_equal(ga.nrefused + gg.nrefused, 0);
	for (int i = 0; i < 5; i++) {
		assert_true(prefix_equal(&ga.pfx[i], &gg.pfx[i]));
		assert_true(prefix_equal(&gg.pfx[i], &(struct prefix){ 0 }) ==
			    false);
		assert_ptr_equal(ga.attrs[i], gg.attrs[i]);
	}
	assert_ptr_equal(gg.attrs[0], gg.attrs[2]);
	assert_ptr_not_equal(gg.attrs[2], gg.attrs[3]);
	assert_int_equal(gg.attrs[3]->pref, 30);
	got_fini(&ga);
	got_fini(&gg);
}

static void
test_regiondiff_update_paths_refuses_bad_groups_by_index_and_byte(void **state)
{
	Cend__V1__PathUpdate u = CEND__V1__PATH_UPDATE__INIT;
	Cend__V1__PathAttrs good = CEND__V1__PATH_ATTRS__INIT;
	Cend__V1__PathAttrs bad = CEND__V1__PATH_ATTRS__INIT;
	Cend__V1__PathGroup grp[3], *gp[3] = { &grp[0], &grp[1], &grp[2] };
	/* 10.0.0.0/8, then 11.0.0.0/8 with a host bit at byte 3 */
	uint8_t l0[] = { 4, 8, 10, 4, 7, 11 }, l1[] = { 4, 8, 12 };
	struct got g = { .n = 0 };

	(void)state;
	good.preference = 20;
	bad.preference = 101; /* out of range 1..100 */
	for (int i = 0; i < 3; i++)
		cend__v1__path_group__init(&grp[i]);
	grp[0].attrs = &good;
	grp[0].prefixes.data = l0;
	grp[0].prefixes.len = sizeof(l0);
	grp[1].attrs = &bad;
	grp[1].prefixes.data = l1;
	grp[1].prefixes.len = sizeof(l1);
	grp[2].attrs = NULL;
	grp[2].prefixes.data = l1;
	grp[2].prefixes.len = sizeof(l1);
	u.groups = gp;
	u.n_groups = 3;
	assert_int_equal(
		regiondiff_update_paths(&as, &u, got_path, got_refused, &g), 1);
	assert_true(prefix_equal(&g.pfx[0],
				 &(struct prefix){ .family = PREFIX_AF_INET,
						   .len = 8,
						   .addr.v4 = { 10 } }));
	assert_int_equal(g.nrefused, 3);
	assert_non_null(strstr(g.refused[0], "groups[0].prefixes: byte 3"));
	assert_non_null(strstr(g.refused[0], "host bits"));
	assert_non_null(strstr(g.refused[1], "groups[1].attrs"));
	assert_non_null(strstr(g.refused[2], "groups[2]: no attributes"));
	got_fini(&g);
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
		cmocka_unit_test(
			test_regiondiff_update_paths_same_from_adds_and_groups),
		cmocka_unit_test(
			test_regiondiff_update_paths_refuses_bad_groups_by_index_and_byte),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
