/*
 * test_bgp_rr.c - route reflection towards iBGP clients (bgp/bgp_rr.c,
 * RFC 4456): the LOCAL_PREF / preference mapping, the loop checks on
 * receipt, the attributes a client's route is kept with, and what a client
 * is sent, down to the UPDATE on the wire.
 *
 * Paths to export are interned in a store of their own, as the engine's
 * are, so that every test also checks that bgp_rr_export takes its parts
 * into the speaker's store; both stores must be empty after each test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bgp/bgp.h"
#include "core/attr.h"
#include "core/err.h"
#include "core/prefix.h"

#define CLUSTER	  0x0a000001u /* 10.0.0.1: ours */
#define OTHER_CL  0x0a000002u /* 10.0.0.2: another cluster's */
#define ROUTER_ID 0x7f000701u /* 127.0.7.1: this node */
#define CLIENT1	  0x7f00070bu /* 127.0.7.11 */
#define CLIENT2	  0x7f00070cu /* 127.0.7.12 */

static struct attr_store st;	 /* the speaker's */
static struct attr_store eng_st; /* the engine's */

static int
setup(void **state)
{
	attr_store_init(&st);
	attr_store_init(&eng_st);
	return 0;
}

/* Fails the test if it left any reference behind in either store. */
static int
teardown(void **state)
{
	size_t left = st.bytes + eng_st.bytes;

	attr_store_fini(&st, true);
	attr_store_fini(&eng_st, true);
	return left == 0 ? 0 : -1;
}

static struct prefix
pfx(const char *s)
{
	struct prefix p;

	assert_int_equal(prefix_parse(&p, s, true), 0);
	return p;
}

/* A path as the engine holds it: AS path asns[0..nas), communities
 * 65001:100, next hop nh; the caller sets the rest on a before. */
static const struct attrs *
path(struct attrs *a, const uint32_t *asns, uint32_t nas, const char *nh)
{
	uint32_t comm = 65001u << 16 | 100;
	const struct attrs *out;

	a->aspath = nas > 0 ? attr_aspath_seq(&eng_st, asns, nas) : NULL;
	a->comms = attr_comms_intern(&eng_st, &comm, 1);
	a->nexthop = pfx(nh);
	out = attr_intern(&eng_st, a);
	assert_non_null(out);
	attr_aspath_unref(&eng_st, a->aspath);
	attr_comms_unref(&eng_st, a->comms);
	return out;
}

static void
test_bgp_rr_localpref_100_is_the_default_preference_and_higher_is_better(
	void **state)
{
	assert_int_equal(bgp_rr_pref(100), ATTR_PREF_DEFAULT);
	assert_int_equal(bgp_rr_pref(101), 49);
	assert_int_equal(bgp_rr_pref(99), 51);
	assert_int_equal(bgp_rr_pref(148), 2);
	assert_int_equal(bgp_rr_pref(149), ATTR_PREF_MIN);
	assert_int_equal(bgp_rr_pref(200), ATTR_PREF_MIN);
	assert_int_equal(bgp_rr_pref(UINT32_MAX), ATTR_PREF_MIN);
	assert_int_equal(bgp_rr_pref(51), 99);
	assert_int_equal(bgp_rr_pref(50), ATTR_PREF_MAX);
	assert_int_equal(bgp_rr_pref(0), ATTR_PREF_MAX);
}

static void
test_bgp_rr_localpref_sent_is_the_received_one_unless_a_map_changed_it(
	void **state)
{
	struct attrs a;

	attr_init(&a);
	assert_int_equal(bgp_rr_localpref(&a), 100);
	a.pref = 20; /* a route map's */
	assert_int_equal(bgp_rr_localpref(&a), 130);

	/* 300 maps to preference 1 (clamped): 300 goes out again */
	a.flags |= ATTR_F_LOCALPREF;
	a.localpref = 300;
	a.pref = bgp_rr_pref(300);
	assert_int_equal(bgp_rr_localpref(&a), 300);
	/* a route map set preference 70: the LOCAL_PREF says so */
	a.pref = 70;
	assert_int_equal(bgp_rr_localpref(&a), 80);
}

static void
test_bgp_rr_our_cluster_id_in_cluster_list_is_a_loop(void **state)
{
	uint32_t theirs[] = { OTHER_CL }, both[] = { OTHER_CL, CLUSTER };
	struct attrs a;

	attr_init(&a);
	assert_false(bgp_rr_looped(&a, ROUTER_ID, CLUSTER));
	a.clusters = attr_clusters_intern(&st, theirs, 1);
	assert_false(bgp_rr_looped(&a, ROUTER_ID, CLUSTER));
	attr_comms_unref(&st, a.clusters);
	/* anywhere in the list, not only first */
	a.clusters = attr_clusters_intern(&st, both, 2);
	assert_true(bgp_rr_looped(&a, ROUTER_ID, CLUSTER));
	attr_comms_unref(&st, a.clusters);
}

static void
test_bgp_rr_our_router_id_as_originator_is_a_loop(void **state)
{
	struct attrs a;

	attr_init(&a);
	a.originator_id = ROUTER_ID; /* without the flag: not there */
	assert_false(bgp_rr_looped(&a, ROUTER_ID, CLUSTER));
	a.flags |= ATTR_F_ORIGINATOR;
	assert_true(bgp_rr_looped(&a, ROUTER_ID, CLUSTER));
	a.originator_id = CLIENT1;
	assert_false(bgp_rr_looped(&a, ROUTER_ID, CLUSTER));
}

static void
test_bgp_rr_import_sets_client_as_originator_and_pref_from_localpref(
	void **state)
{
	struct attrs a;
	const struct attrs *in, *x;

	attr_init(&a);
	a.flags |= ATTR_F_LOCALPREF;
	a.localpref = 200;
	a.nexthop = pfx("127.0.7.11");
	in = attr_intern(&st, &a);

	x = bgp_rr_import(&st, in, CLIENT1);
	assert_non_null(x);
	assert_true(x->flags & ATTR_F_ORIGINATOR);
	assert_int_equal(x->originator_id, CLIENT1);
	assert_int_equal(x->pref, ATTR_PREF_MIN);
	assert_int_equal(x->localpref, 200);
	assert_true(prefix_equal(&x->nexthop, &a.nexthop));
	/* a client reflecting for another cluster gave one: kept */
	assert_ptr_equal(bgp_rr_import(&st, x, CLIENT2), x);
	attr_unref(&st, x);
	attr_unref(&st, x);

	/* no LOCAL_PREF: the default preference; no identifier yet: no
	 * ORIGINATOR_ID */
	attr_unref(&st, in);
	attr_init(&a);
	in = attr_intern(&st, &a);
	x = bgp_rr_import(&st, in, 0);
	assert_ptr_equal(x, in);
	assert_int_equal(x->pref, ATTR_PREF_DEFAULT);
	assert_false(x->flags & ATTR_F_ORIGINATOR);
	attr_unref(&st, x);
	attr_unref(&st, in);
}

static void
test_bgp_rr_reflection_prepends_cluster_id_keeps_next_hop_and_as_path(
	void **state)
{
	uint32_t asns[] = { 64512 }, cl[] = { OTHER_CL };
	struct prefix self = pfx("127.0.7.3");
	const struct attrs *in, *out;
	struct attrs a;
	char buf[64];

	/* a client's path, learned on another node, LOCAL_PREF 200 */
	attr_init(&a);
	a.flags |= ATTR_F_ORIGINATOR | ATTR_F_LOCALPREF | ATTR_F_MED;
	a.originator_id = CLIENT1;
	a.localpref = 200;
	a.pref = bgp_rr_pref(200);
	a.med = 7;
	a.clusters = attr_clusters_intern(&eng_st, cl, 1);
	in = path(&a, asns, 1, "127.0.7.11");
	attr_comms_unref(&eng_st, a.clusters);

	assert_int_equal(bgp_rr_export(&st, in, CLUSTER, CLIENT2, &self, &out),
			 0);
	assert_non_null(out);
	assert_true(out->flags & ATTR_F_ORIGINATOR);
	assert_int_equal(out->originator_id, CLIENT1);
	assert_non_null(out->clusters);
	assert_int_equal(out->clusters->n, 2);
	assert_int_equal(out->clusters->v[0], CLUSTER);
	assert_int_equal(out->clusters->v[1], OTHER_CL);
	assert_true(out->flags & ATTR_F_LOCALPREF);
	assert_int_equal(out->localpref, 200);
	assert_true(out->flags & ATTR_F_MED);
	assert_int_equal(out->med, 7);
	assert_string_equal(attr_aspath_fmt(out->aspath, buf, sizeof(buf)),
			    "64512");
	assert_string_equal(attr_comms_fmt(out->comms, buf, sizeof(buf)),
			    "65001:100");
	assert_true(prefix_equal(&out->nexthop, &in->nexthop));
	assert_int_equal(out->pref, ATTR_PREF_DEFAULT);
	/* the same path gives the same set */
	{
		const struct attrs *again;

		assert_int_equal(
			bgp_rr_export(&st, in, CLUSTER, CLIENT2, &self, &again),
			0);
		assert_ptr_equal(again, out);
		attr_unref(&st, again);
	}
	attr_unref(&st, out);
	attr_unref(&eng_st, in);
}

static void
test_bgp_rr_path_not_from_a_client_goes_with_next_hop_self_and_no_rr_attrs(
	void **state)
{
	uint32_t asns[] = { 65071 };
	struct prefix self = pfx("127.0.7.3");
	const struct attrs *in, *out;
	struct attrs a;
	char buf[64];

	/* from an eBGP peer */
	attr_init(&a);
	in = path(&a, asns, 1, "127.0.7.31");
	assert_int_equal(bgp_rr_export(&st, in, CLUSTER, CLIENT2, &self, &out),
			 0);
	assert_non_null(out);
	assert_false(out->flags & ATTR_F_ORIGINATOR);
	assert_null(out->clusters);
	assert_true(prefix_equal(&out->nexthop, &self));
	/* inside the AS: no AS of ours in front */
	assert_string_equal(attr_aspath_fmt(out->aspath, buf, sizeof(buf)),
			    "65071");
	assert_true(out->flags & ATTR_F_LOCALPREF);
	assert_int_equal(out->localpref, 100);
	attr_unref(&st, out);
	attr_unref(&eng_st, in);

	/* a VPC's: empty AS path, no next hop, a route map's preference */
	attr_init(&a);
	a.pref = 10;
	in = attr_intern(&eng_st, &a);
	assert_int_equal(bgp_rr_export(&st, in, CLUSTER, CLIENT2, &self, &out),
			 0);
	assert_null(out->aspath);
	assert_int_equal(out->localpref, 140);
	assert_true(prefix_equal(&out->nexthop, &self));
	attr_unref(&st, out);
	attr_unref(&eng_st, in);
}

static void
test_bgp_rr_client_never_gets_its_own_route_back(void **state)
{
	struct prefix self = pfx("127.0.7.3");
	const struct attrs *in, *out = (const void *)1;
	struct attrs a;

	attr_init(&a);
	a.flags |= ATTR_F_ORIGINATOR;
	a.originator_id = CLIENT1;
	in = path(&a, NULL, 0, "127.0.7.11");
	assert_int_equal(bgp_rr_export(&st, in, CLUSTER, CLIENT1, &self, &out),
			 0);
	assert_null(out);
	/* the other client does get it */
	assert_int_equal(bgp_rr_export(&st, in, CLUSTER, CLIENT2, &self, &out),
			 0);
	assert_non_null(out);
	attr_unref(&st, out);
	attr_unref(&eng_st, in);
}

static void
test_bgp_rr_next_hop_of_another_family_becomes_next_hop_self(void **state)
{
	/* an IPv6 prefix whose path carries an IPv4 next hop */
	struct prefix self = pfx("::ffff:127.0.7.3");
	const struct attrs *in, *out;
	struct attrs a;

	attr_init(&a);
	a.flags |= ATTR_F_ORIGINATOR;
	a.originator_id = CLIENT1;
	in = path(&a, NULL, 0, "127.0.7.11");
	assert_int_equal(bgp_rr_export(&st, in, CLUSTER, CLIENT2, &self, &out),
			 0);
	assert_true(prefix_equal(&out->nexthop, &self));
	assert_int_equal(out->clusters->v[0], CLUSTER);
	attr_unref(&st, out);
	attr_unref(&eng_st, in);
}

static void
test_bgp_rr_long_cluster_list_keeps_its_order_behind_ours(void **state)
{
	struct prefix self = pfx("127.0.7.3");
	uint32_t cl[40];
	const struct attrs *in, *out;
	struct attrs a;

	for (uint32_t i = 0; i < 40; i++)
		cl[i] = 0xc0000200u + 40 - i; /* not sorted */
	attr_init(&a);
	a.flags |= ATTR_F_ORIGINATOR;
	a.originator_id = CLIENT1;
	a.clusters = attr_clusters_intern(&eng_st, cl, 40);
	in = path(&a, NULL, 0, "127.0.7.11");
	attr_comms_unref(&eng_st, a.clusters);
	assert_int_equal(bgp_rr_export(&st, in, CLUSTER, CLIENT2, &self, &out),
			 0);
	assert_int_equal(out->clusters->n, 41);
	assert_int_equal(out->clusters->v[0], CLUSTER);
	assert_memory_equal(out->clusters->v + 1, cl, sizeof(cl));
	attr_unref(&st, out);
	attr_unref(&eng_st, in);
}

/* What a client is sent, built and parsed back as the client (iBGP) would:
 * the very same set, with ORIGINATOR_ID, CLUSTER_LIST and LOCAL_PREF on
 * the wire; and sent back to us, it is a loop. */
static void
test_bgp_rr_reflected_update_round_trips_and_is_a_loop_back_home(void **state)
{
	struct prefix self = pfx("127.0.7.3"), p = pfx("10.171.0.0/24");
	struct bgp_opts o;
	struct bgp_update u;
	const struct attrs *in, *out;
	struct attrs a;
	struct wbuf w;
	uint8_t *copy;
	bool seen[BGP_ATTR_LARGE_COMMUNITIES + 1] = { false };
	struct buf b;

	attr_init(&a);
	a.flags |= ATTR_F_ORIGINATOR | ATTR_F_LOCALPREF;
	a.originator_id = CLIENT1;
	a.localpref = 200;
	a.pref = bgp_rr_pref(200);
	in = path(&a, NULL, 0, "127.0.7.11");
	assert_int_equal(bgp_rr_export(&st, in, CLUSTER, CLIENT2, &self, &out),
			 0);

	bgp_msg_opts_init(&o, 45104, 45104);
	assert_false(o.ebgp);
	wbuf_init(&w);
	assert_int_equal(
		bgp_update_build_reach(&w, &o, BGP_AID_IPV4, out, NULL, &p, 1),
		1);
	buf_init(&b, w.data + 23, (size_t)(w.data[21] << 8 | w.data[22]));
	while (buf_left(&b) > 0) {
		uint8_t fl = b.p[0], t = b.p[1];
		size_t h = fl & BGP_ATTR_F_EXTLEN ? 4 : 3;
		size_t l = fl & BGP_ATTR_F_EXTLEN
				   ? (size_t)(b.p[2] << 8 | b.p[3])
				   : b.p[2];

		if (t <= BGP_ATTR_LARGE_COMMUNITIES)
			seen[t] = true;
		assert_int_equal(buf_skip(&b, h + l), 0);
	}
	assert_true(seen[BGP_ATTR_ORIGINATOR_ID]);
	assert_true(seen[BGP_ATTR_CLUSTER_LIST]);
	assert_true(seen[BGP_ATTR_LOCAL_PREF]);

	copy = malloc(w.len);
	assert_non_null(copy);
	memcpy(copy, w.data, w.len);
	assert_int_equal(bgp_update_parse(copy, w.len, &o, &st, &u), 0);
	assert_int_equal(u.err.action, BGP_ACT_NONE);
	assert_int_equal(u.nreach, 1);
	assert_ptr_equal(u.reach[0].attrs, out);
	assert_true(bgp_rr_looped(u.reach[0].attrs, ROUTER_ID, CLUSTER));
	assert_false(bgp_rr_looped(u.reach[0].attrs, ROUTER_ID, OTHER_CL));
	bgp_update_free(&st, &u);
	free(copy);
	wbuf_free(&w);
	attr_unref(&st, out);
	attr_unref(&eng_st, in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_bgp_rr_localpref_100_is_the_default_preference_and_higher_is_better,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bgp_rr_localpref_sent_is_the_received_one_unless_a_map_changed_it,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bgp_rr_our_cluster_id_in_cluster_list_is_a_loop,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bgp_rr_our_router_id_as_originator_is_a_loop,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bgp_rr_import_sets_client_as_originator_and_pref_from_localpref,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bgp_rr_reflection_prepends_cluster_id_keeps_next_hop_and_as_path,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bgp_rr_path_not_from_a_client_goes_with_next_hop_self_and_no_rr_attrs,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bgp_rr_client_never_gets_its_own_route_back, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_bgp_rr_next_hop_of_another_family_becomes_next_hop_self,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bgp_rr_long_cluster_list_keeps_its_order_behind_ours,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bgp_rr_reflected_update_round_trips_and_is_a_loop_back_home,
			setup, teardown),
	};

	return cmocka_run_group_tests_name("bgp_rr", tests, NULL, NULL);
}
