/*
 * test_bgp_update.c - UPDATE parsing, RFC 7606 verdicts and UPDATE building
 * (bgp/bgp_update.c, bgp/bgp_update_build.c, bgp/bgp_afi.c).
 *
 * Round trips: every attribute built and parsed back gives the very same
 * interned set.  The malformed-input corpus is a table of named cases, each
 * a cmocka test of its own asserting the exact action, error kind and
 * NOTIFICATION code/subcode; the same bytes are kept as
 * tests/bgp-corpus/update-<name>.bin for the fuzzers (regenerate with
 * CEND_BGP_CORPUS_OUT=tests/bgp-corpus; a test checks they are in sync when
 * CEND_SOURCE_DIR is set, as under ctest).  Messages are parsed from
 * buffers of exactly their length, so ASan sees any over-read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bgp/bgp.h"
#include "core/attr.h"
#include "core/err.h"
#include "core/prefix.h"

#define MSG_MAX 70000

static struct attr_store store;

static int
setup(void **state)
{
	attr_store_init(&store);
	return 0;
}

/* Fails the test if it left any reference behind. */
static int
teardown(void **state)
{
	size_t left = store.bytes;

	attr_store_fini(&store, true);
	return left == 0 ? 0 : -1;
}

/* --- helpers --- */

/* Parses hex digits (spaces ignored) into out; returns the byte count. */
static size_t
hex(uint8_t *out, size_t max, const char *s)
{
	size_t n = 0;
	int hi = -1;

	for (; s != NULL && *s != '\0'; s++) {
		int v = 0;

		if (*s == ' ' || *s == '\n')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else
			fail_msg("bad hex character '%c'", *s);
		if (hi < 0) {
			hi = v;
			continue;
		}
		assert_true(n < max);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	assert_int_equal(hi, -1);
	return n;
}

/* Header with the right length for a body of blen bytes. */
static size_t
wrap(uint8_t *out, uint8_t type, size_t blen)
{
	size_t len = BGP_HDR_LEN + blen;

	memset(out, 0xff, BGP_MARKER_LEN);
	out[16] = (uint8_t)(len >> 8);
	out[17] = (uint8_t)len;
	out[18] = type;
	return len;
}

/* An UPDATE from hex withdrawn routes, attributes and NLRI. */
static size_t
mk_update(uint8_t *out, const char *wd, const char *attrs, const char *nlri)
{
	uint8_t *b = out + BGP_HDR_LEN;
	size_t wl, al, nl;

	wl = hex(b + 2, MSG_MAX - 64, wd);
	b[0] = (uint8_t)(wl >> 8);
	b[1] = (uint8_t)wl;
	al = hex(b + 4 + wl, MSG_MAX - 64 - wl, attrs);
	b[2 + wl] = (uint8_t)(al >> 8);
	b[3 + wl] = (uint8_t)al;
	nl = hex(b + 4 + wl + al, MSG_MAX - 64 - wl - al, nlri);
	return wrap(out, BGP_MSG_UPDATE, 4 + wl + al + nl);
}

enum {
	O_2OCTET = 1, /* the peer is a 2-octet AS speaker */
	O_IBGP = 2,   /* peer AS 65000 like us */
	O_AFI_DISABLE = 4,
	O_EXTMSG = 8,
	O_NO_FIRST_AS = 16,
};

static struct bgp_opts
opts(unsigned flags)
{
	struct bgp_opts o;

	bgp_msg_opts_init(&o, 65000, flags & O_IBGP ? 65000 : 65001);
	o.as4 = !(flags & O_2OCTET);
	o.afi_disable = flags & O_AFI_DISABLE;
	if (flags & O_EXTMSG)
		o.maxlen = BGP_EXT_MAX_LEN;
	if (flags & O_NO_FIRST_AS)
		o.enforce_first_as = false;
	return o;
}

/* Parses msg[0..len) from a copy of exactly len bytes. */
static int
parse(const uint8_t *msg, size_t len, const struct bgp_opts *o,
      struct bgp_update *u, uint8_t **copy)
{
	*copy = malloc(len ? len : 1);
	assert_non_null(*copy);
	memcpy(*copy, msg, len);
	return bgp_update_parse(*copy, len, o, &store, u);
}

static struct prefix
pfx(const char *s)
{
	struct prefix p;

	assert_int_equal(prefix_parse(&p, s, true), 0);
	return p;
}

/* All prefixes of the runs, in order, into out; returns how many. */
static size_t
collect(const struct bgp_nlri *runs, size_t nruns, struct prefix *out,
	size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < nruns; i++) {
		struct bgp_nlri_iter it;
		struct prefix p;

		bgp_afi_iter_init(&it, &runs[i]);
		while (bgp_afi_iter_next(&it, &p)) {
			assert_true(n < max);
			out[n++] = p;
		}
		assert_int_equal(bgp_afi_decode(&runs[i],
						out + n - runs[i].count,
						runs[i].count),
				 runs[i].count);
	}
	return n;
}

static void
assert_prefix(const struct prefix *p, const char *s)
{
	struct prefix q = pfx(s);

	assert_true(prefix_equal(p, &q));
}

static const char *
aspath_str(const struct attrs *a, char *buf, size_t size)
{
	return attr_aspath_fmt(a->aspath, buf, size);
}

/* Common attributes, hex. */
#define ORIGIN_IGP "40 01 01 00 "
#define ASPATH4	   "40 02 06 02 01 00 00 fd e9 " /* 65001, 4-octet */
#define ASPATH2	   "40 02 04 02 01 fd e9 "	 /* 65001, 2-octet */
#define NH	   "40 03 04 c0 00 02 01 "	 /* 192.0.2.1 */
#define BASE4	   ORIGIN_IGP ASPATH4 NH
#define NLRI10	   "08 0a " /* 10.0.0.0/8 */
#define V6NH	   "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 "
/* MP_REACH IPv6, next hop 2001:db8::1, NLRI 2001:db8::/32 */
#define MPR6 "80 0e 1a 00 02 01 10 " V6NH "00 20 20 01 0d b8 "
/* MP_UNREACH IPv6, 2001:db8:1::/48 */
#define MPU6 "80 0f 0a 00 02 01 30 20 01 0d b8 00 01 "

/* --- the malformed-input corpus --- */

struct ucase {
	const char *name;
	const char *wd, *attrs, *nlri; /* hex, for mk_update */
	const char *body;	       /* or the whole body, hex */
	size_t (*make)(uint8_t *out);  /* or built by code */
	unsigned opt;
	uint8_t action, kind, code, subcode;
	const char *data; /* expected NOTIFICATION data, hex; NULL: any */
	void (*check)(const struct bgp_update *u);
};

static size_t
make_aspath_300(uint8_t *out)
{
	char attrs[4096], *p = attrs;

	/* 300 hops: AS_SEQUENCE of 255 and one of 45, 4-octet ASNs */
	p += sprintf(p, ORIGIN_IGP "50 02 04 b4 02 ff");
	for (int i = 0; i < 255; i++)
		p += sprintf(p, " %08x", i == 0 ? 65001u : 70000u + i);
	p += sprintf(p, " 02 2d");
	for (int i = 0; i < 45; i++)
		p += sprintf(p, " %08x", 80000u + i);
	p += sprintf(p, " " NH);
	return mk_update(out, NULL, attrs, NLRI10);
}

static void
check_aspath_300(const struct bgp_update *u)
{
	assert_int_equal(u->nreach, 1);
	assert_non_null(u->reach[0].attrs->aspath);
	assert_int_equal(u->reach[0].attrs->aspath->hops, 300);
	assert_int_equal(u->reach[0].attrs->aspath->nwords, 304);
}

static size_t
make_marker(uint8_t *out)
{
	size_t len = mk_update(out, NULL, BASE4, NLRI10);

	out[5] = 0xfe;
	return len;
}

static size_t
make_len_18(uint8_t *out)
{
	size_t len = mk_update(out, NULL, BASE4, NLRI10);

	out[16] = 0;
	out[17] = 18;
	return len;
}

static size_t
make_len_4097(uint8_t *out)
{
	char nlri[20000], *p = nlri;
	size_t len;

	/* 4097 bytes: 23 + 21 of attributes + NLRI of 5-byte /32s and
	 * 4-byte /24s */
	for (int i = 0; i < 810; i++)
		p += sprintf(p, "20 0a %02x %02x 01 ", i >> 8 & 0xff, i & 0xff);
	p += sprintf(p, "18 0b 00 00");
	len = mk_update(out, NULL, BASE4, nlri);
	assert_int_equal(len, 4097);
	return len;
}

static void
check_first_kept(const struct bgp_update *u)
{
	assert_int_equal(u->nreach, 1);
	assert_non_null(u->reach[0].attrs->comms);
	assert_int_equal(u->reach[0].attrs->comms->n, 1);
	assert_int_equal(u->reach[0].attrs->comms->v[0], 0xfde90064);
}

static void
check_no_reach_all_withdrawn(const struct bgp_update *u)
{
	struct prefix p[8];

	assert_int_equal(u->nreach, 0);
	assert_int_equal(collect(u->withdrawn, u->nwithdrawn, p, 8), 1);
	assert_prefix(&p[0], "10.0.0.0/8");
}

static void
check_nothing(const struct bgp_update *u)
{
	assert_int_equal(u->nreach, 0);
	assert_int_equal(u->nwithdrawn, 0);
}

static void
check_tunnel_kept(const struct bgp_update *u)
{
	static const uint8_t want[] = { 0xc0, 23, 10, 0, 8, 0, 6,
					12,   4,  0,  0, 0, 1 };
	const struct attr_opaque *op;

	assert_int_equal(u->nreach, 1);
	op = u->reach[0].attrs->opaque;
	assert_non_null(op);
	assert_int_equal(op->len, sizeof(want));
	assert_memory_equal(op->bytes, want, sizeof(want));
}

static void
check_partial_set(const struct bgp_update *u)
{
	const struct attr_opaque *op;

	assert_int_equal(u->nreach, 1);
	op = u->reach[0].attrs->opaque;
	assert_non_null(op);
	/* flags 0xc0 came in; 0xe0 (Partial) goes out; type 99 */
	assert_int_equal(op->len, 5);
	assert_int_equal(op->bytes[0], 0xe0);
	assert_int_equal(op->bytes[1], 99);
	assert_int_equal(op->bytes[2], 2);
}

static void
check_no_opaque(const struct bgp_update *u)
{
	assert_int_equal(u->nreach, 1);
	assert_null(u->reach[0].attrs->opaque);
}

static void
check_no_localpref(const struct bgp_update *u)
{
	assert_int_equal(u->nreach, 1);
	assert_false(u->reach[0].attrs->flags & ATTR_F_LOCALPREF);
}

static void
check_v4_kept_v6_dropped(const struct bgp_update *u)
{
	assert_int_equal(u->err.aid, BGP_AID_IPV6);
	assert_int_equal(u->nreach, 1);
	assert_int_equal(u->reach[0].nlri.aid, BGP_AID_IPV4);
}

static void
check_ipv6_withdrawn(const struct bgp_update *u)
{
	struct prefix p[8];

	assert_int_equal(u->nreach, 0);
	assert_int_equal(collect(u->withdrawn, u->nwithdrawn, p, 8), 1);
	assert_prefix(&p[0], "2001:db8::/32");
}

#define V(act)	BGP_ACT_##act
#define K(kind) BGP_UERR_##kind

static const struct ucase ucases[] = {
	{ "valid_ipv4_announce", NULL, BASE4, NLRI10, .action = V(NONE) },
	{ "attr_flags_origin_marked_optional", NULL, "c0 01 01 00 " ASPATH4 NH,
	  NLRI10, .action = V(WITHDRAW), .kind = K(ATTR_FLAGS), .code = 3,
	  .subcode = 4, .data = "c0 01 01 00",
	  .check = check_no_reach_all_withdrawn },
	{ "attr_flags_med_marked_transitive", NULL,
	  BASE4 "c0 04 04 00 00 00 01", NLRI10, .action = V(WITHDRAW),
	  .kind = K(ATTR_FLAGS), .code = 3, .subcode = 4 },
	{ "attr_flags_aspath_marked_optional", NULL,
	  ORIGIN_IGP "80 02 06 02 01 00 00 fd e9 " NH, NLRI10,
	  .action = V(WITHDRAW), .kind = K(ATTR_FLAGS), .code = 3,
	  .subcode = 4 },
	{ "attr_length_origin_2", NULL, "40 01 02 00 00 " ASPATH4 NH, NLRI10,
	  .action = V(WITHDRAW), .kind = K(ORIGIN_LENGTH), .code = 3,
	  .subcode = 5, .data = "40 01 02 00 00" },
	{ "attr_origin_value_3", NULL, "40 01 01 03 " ASPATH4 NH, NLRI10,
	  .action = V(WITHDRAW), .kind = K(ORIGIN_VALUE), .code = 3,
	  .subcode = 6 },
	{ "attr_length_nexthop_5", NULL,
	  ORIGIN_IGP ASPATH4 "40 03 05 c0 00 02 01 01", NLRI10,
	  .action = V(WITHDRAW), .kind = K(NEXTHOP_LENGTH), .code = 3,
	  .subcode = 5 },
	{ "attr_length_med_3", NULL, BASE4 "80 04 03 00 00 01", NLRI10,
	  .action = V(WITHDRAW), .kind = K(MED_LENGTH), .code = 3,
	  .subcode = 5 },
	{ "attr_length_localpref_2_ibgp", NULL,
	  ORIGIN_IGP "40 02 00 " NH "40 05 02 00 64", NLRI10, .opt = O_IBGP,
	  .action = V(WITHDRAW), .kind = K(LOCALPREF_LENGTH), .code = 3,
	  .subcode = 5 },
	{ "attr_length_overruns_attributes_with_nlri", NULL,
	  BASE4 "c0 08 08 fd e9 00 64", NLRI10, .action = V(WITHDRAW),
	  .kind = K(ATTR_OVERRUN), .code = 3, .subcode = 5,
	  .data = "c0 08 08 fd e9 00 64",
	  .check = check_no_reach_all_withdrawn },
	{ "attr_length_overruns_attributes_no_nlri", NULL,
	  BASE4 "c0 08 08 fd e9 00 64", NULL, .action = V(RESET),
	  .kind = K(ATTR_OVERRUN), .code = 3, .subcode = 5,
	  .check = check_nothing },
	{ "attr_length_overrun_after_mp_reach_withdraws_it", NULL,
	  MPR6 ORIGIN_IGP "40 02 09 02 01 00 00", NULL, .action = V(WITHDRAW),
	  .kind = K(ATTR_OVERRUN), .code = 3, .subcode = 5,
	  .check = check_ipv6_withdrawn },
	{ "attr_header_cut_short", NULL, BASE4 "40 01", NLRI10,
	  .action = V(WITHDRAW), .kind = K(ATTR_SHORT), .code = 3,
	  .subcode = 1 },
	{ "attrs_length_overruns_message", NULL, NULL, NULL,
	  .body = "00 00 00 30 40 01 01 00", .action = V(RESET),
	  .kind = K(ATTRS_LENGTH), .code = 3, .subcode = 1 },
	{ "withdrawn_length_overruns_message", NULL, NULL, NULL,
	  .body = "00 05 08 0a 00 00", .action = V(RESET),
	  .kind = K(WITHDRAWN_LENGTH), .code = 3, .subcode = 1 },
	{ "aspath_segment_overruns_attribute", NULL,
	  ORIGIN_IGP "40 02 0a 02 03 00 00 fd e9 00 00 fd ea " NH, NLRI10,
	  .action = V(WITHDRAW), .kind = K(ASPATH), .code = 3, .subcode = 11 },
	{ "aspath_zero_length_segment", NULL,
	  ORIGIN_IGP "40 02 08 02 01 00 00 fd e9 02 00 " NH, NLRI10,
	  .action = V(WITHDRAW), .kind = K(ASPATH), .code = 3, .subcode = 11 },
	{ "aspath_bad_segment_type", NULL,
	  ORIGIN_IGP "40 02 06 05 01 00 00 fd e9 " NH, NLRI10,
	  .action = V(WITHDRAW), .kind = K(ASPATH), .code = 3, .subcode = 11 },
	{ "aspath_trailing_byte", NULL,
	  ORIGIN_IGP "40 02 07 02 01 00 00 fd e9 00 " NH, NLRI10,
	  .action = V(WITHDRAW), .kind = K(ASPATH), .code = 3, .subcode = 11 },
	{ "aspath_300_hops_is_valid", .make = make_aspath_300,
	  .action = V(NONE), .check = check_aspath_300 },
	{ "aspath_confed_segment_from_ebgp", NULL,
	  ORIGIN_IGP "40 02 0c 03 01 00 00 fd e9 02 01 00 00 fd e9 " NH, NLRI10,
	  .action = V(WITHDRAW), .kind = K(ASPATH_CONFED), .code = 3,
	  .subcode = 11 },
	{ "aspath_first_as_not_the_peer", NULL,
	  ORIGIN_IGP "40 02 06 02 01 00 00 fd ea " NH, NLRI10,
	  .action = V(WITHDRAW), .kind = K(ASPATH_FIRST_AS), .code = 3,
	  .subcode = 11 },
	{ "duplicate_communities_keeps_first", NULL,
	  BASE4 "c0 08 04 fd e9 00 64 c0 08 04 fd e9 00 c8", NLRI10,
	  .action = V(DISCARD), .kind = K(DUPLICATE), .code = 3, .subcode = 1,
	  .check = check_first_kept },
	{ "duplicate_origin_discarded", NULL, BASE4 "40 01 01 02", NLRI10,
	  .action = V(DISCARD), .kind = K(DUPLICATE), .code = 3, .subcode = 1 },
	{ "duplicate_mp_reach", NULL, MPR6 MPR6 ORIGIN_IGP ASPATH4, NULL,
	  .action = V(RESET), .kind = K(MP_DUPLICATE), .code = 3, .subcode = 1,
	  .check = check_nothing },
	{ "duplicate_mp_unreach", NULL, MPU6 MPU6, NULL, .action = V(RESET),
	  .kind = K(MP_DUPLICATE), .code = 3, .subcode = 1 },
	{ "unrecognized_wellknown_attribute", NULL, BASE4 "40 63 02 ab cd",
	  NLRI10, .action = V(RESET), .kind = K(WELLKNOWN), .code = 3,
	  .subcode = 2, .data = "40 63 02 ab cd" },
	{ "unknown_optional_transitive_passed_with_partial", NULL,
	  BASE4 "c0 63 02 ab cd", NLRI10, .action = V(NONE),
	  .check = check_partial_set },
	{ "unknown_optional_nontransitive_dropped", NULL,
	  BASE4 "80 63 02 ab cd", NLRI10, .action = V(NONE),
	  .check = check_no_opaque },
	{ "tunnel_encap_garbage", NULL,
	  BASE4 "c0 17 08 00 08 00 09 0c 04 00 00", NLRI10,
	  .action = V(WITHDRAW), .kind = K(TUNNEL_ENCAP), .code = 3,
	  .subcode = 9, .check = check_no_reach_all_withdrawn },
	{ "tunnel_encap_subtlv_overruns_tlv", NULL,
	  BASE4 "c0 17 0a 00 08 00 06 0c 05 00 00 00 01", NLRI10,
	  .action = V(WITHDRAW), .kind = K(TUNNEL_ENCAP), .code = 3,
	  .subcode = 9 },
	{ "tunnel_encap_valid_passed_on", NULL,
	  BASE4 "c0 17 0a 00 08 00 06 0c 04 00 00 00 01", NLRI10,
	  .action = V(NONE), .check = check_tunnel_kept },
	{ "mp_reach_bad_nexthop_length", NULL,
	  "80 0e 12 00 02 01 08 20 01 0d b8 00 00 00 01 00 20 20 01 0d "
	  "b8 " ORIGIN_IGP ASPATH4,
	  NULL, .action = V(RESET), .kind = K(MP_NEXTHOP_LENGTH), .code = 3,
	  .subcode = 9, .check = check_nothing },
	{ "mp_reach_bad_nexthop_length_afi_disable", NULL,
	  "80 0e 12 00 02 01 08 20 01 0d b8 00 00 00 01 00 20 20 01 0d "
	  "b8 " BASE4,
	  NLRI10, .opt = O_AFI_DISABLE, .action = V(AFI_DISABLE),
	  .kind = K(MP_NEXTHOP_LENGTH), .code = 3, .subcode = 9,
	  .check = check_v4_kept_v6_dropped },
	{ "mp_reach_nexthop_overruns_attribute", NULL,
	  "80 0e 08 00 02 01 10 20 01 0d b8 " ORIGIN_IGP ASPATH4, NULL,
	  .action = V(RESET), .kind = K(MP_MALFORMED), .code = 3,
	  .subcode = 9 },
	{ "mp_reach_cut_before_safi", NULL, "80 0e 02 00 02 " BASE4, NLRI10,
	  .action = V(RESET), .kind = K(MP_MALFORMED), .code = 3,
	  .subcode = 9 },
	{ "mp_reach_prefix_length_129", NULL,
	  "80 0e 16 00 02 01 10 " V6NH "00 81 " ORIGIN_IGP ASPATH4, NULL,
	  .action = V(RESET), .kind = K(MP_PREFIX), .code = 3, .subcode = 9 },
	{ "mp_reach_multicast_nexthop", NULL,
	  "80 0e 1a 00 02 01 10 ff 02 00 00 00 00 00 00 00 00 00 00 00 00 00 "
	  "01 00 20 20 01 0d b8 " ORIGIN_IGP ASPATH4,
	  NULL, .action = V(WITHDRAW), .kind = K(MP_NEXTHOP_INVALID), .code = 3,
	  .subcode = 8, .check = check_ipv6_withdrawn },
	{ "mp_reach_flags_wrong_still_withdraws", NULL,
	  "c0 0e 1a 00 02 01 10 " V6NH "00 20 20 01 0d b8 " ORIGIN_IGP ASPATH4,
	  NULL, .action = V(WITHDRAW), .kind = K(ATTR_FLAGS), .code = 3,
	  .subcode = 4, .check = check_ipv6_withdrawn },
	{ "mp_unreach_prefix_cut_short", NULL, "80 0f 07 00 02 01 30 20 01 0d",
	  NULL, .action = V(RESET), .kind = K(MP_PREFIX), .code = 3,
	  .subcode = 9 },
	{ "mp_reach_missing_origin", NULL, MPR6 ASPATH4, NULL,
	  .action = V(WITHDRAW), .kind = K(MISSING_ORIGIN), .code = 3,
	  .subcode = 3, .data = "01", .check = check_ipv6_withdrawn },
	{ "nexthop_zero", NULL, ORIGIN_IGP ASPATH4 "40 03 04 00 00 00 00",
	  NLRI10, .action = V(WITHDRAW), .kind = K(NEXTHOP_INVALID), .code = 3,
	  .subcode = 8 },
	{ "nexthop_multicast", NULL, ORIGIN_IGP ASPATH4 "40 03 04 e0 00 00 05",
	  NLRI10, .action = V(WITHDRAW), .kind = K(NEXTHOP_INVALID), .code = 3,
	  .subcode = 8 },
	{ "missing_origin", NULL, ASPATH4 NH, NLRI10, .action = V(WITHDRAW),
	  .kind = K(MISSING_ORIGIN), .code = 3, .subcode = 3, .data = "01" },
	{ "missing_aspath", NULL, ORIGIN_IGP NH, NLRI10, .action = V(WITHDRAW),
	  .kind = K(MISSING_ASPATH), .code = 3, .subcode = 3, .data = "02" },
	{ "missing_nexthop", NULL, ORIGIN_IGP ASPATH4, NLRI10,
	  .action = V(WITHDRAW), .kind = K(MISSING_NEXTHOP), .code = 3,
	  .subcode = 3, .data = "03" },
	{ "atomic_aggregate_length_1_discarded", NULL, BASE4 "40 06 01 00",
	  NLRI10, .action = V(DISCARD), .kind = K(ATOMIC_LENGTH), .code = 3,
	  .subcode = 5 },
	{ "aggregator_length_6_on_4octet_discarded", NULL,
	  BASE4 "c0 07 06 fd e9 c0 00 02 01", NLRI10, .action = V(DISCARD),
	  .kind = K(AGGREGATOR_LENGTH), .code = 3, .subcode = 5 },
	{ "communities_length_5", NULL, BASE4 "c0 08 05 fd e9 00 64 00", NLRI10,
	  .action = V(WITHDRAW), .kind = K(COMMUNITIES_LENGTH), .code = 3,
	  .subcode = 5 },
	{ "communities_length_0", NULL, BASE4 "c0 08 00", NLRI10,
	  .action = V(WITHDRAW), .kind = K(COMMUNITIES_LENGTH), .code = 3,
	  .subcode = 5 },
	{ "large_communities_length_13", NULL,
	  BASE4 "c0 20 0d 00 00 fd e9 00 00 00 01 00 00 00 02 00", NLRI10,
	  .action = V(WITHDRAW), .kind = K(LCOMM_LENGTH), .code = 3,
	  .subcode = 5 },
	{ "ext_communities_length_7", NULL,
	  BASE4 "c0 10 07 00 02 fd e9 00 00 00", NLRI10, .action = V(WITHDRAW),
	  .kind = K(EXTCOMM_LENGTH), .code = 3, .subcode = 5 },
	{ "originator_id_from_ebgp_discarded", NULL,
	  BASE4 "80 09 04 c0 00 02 09", NLRI10, .action = V(DISCARD),
	  .kind = K(ORIGINATOR_EBGP) },
	{ "cluster_list_from_ebgp_discarded", NULL,
	  BASE4 "80 0a 04 c0 00 02 09", NLRI10, .action = V(DISCARD),
	  .kind = K(CLUSTER_EBGP) },
	{ "cluster_list_length_6_ibgp", NULL,
	  ORIGIN_IGP "40 02 00 " NH "80 0a 06 c0 00 02 09 00 00", NLRI10,
	  .opt = O_IBGP, .action = V(WITHDRAW), .kind = K(CLUSTER_LENGTH),
	  .code = 3, .subcode = 5 },
	{ "localpref_from_ebgp_discarded", NULL, BASE4 "40 05 04 00 00 00 64",
	  NLRI10, .action = V(DISCARD), .kind = K(LOCALPREF_EBGP),
	  .check = check_no_localpref },
	{ "as4_path_on_4octet_session_ignored", NULL,
	  BASE4 "c0 11 06 02 01 00 00 fd e9", NLRI10, .action = V(DISCARD),
	  .kind = K(AS4_UNEXPECTED) },
	{ "as4_path_malformed_discarded", NULL,
	  ORIGIN_IGP ASPATH2 NH "c0 11 05 02 01 00 00 fd", NLRI10,
	  .opt = O_2OCTET, .action = V(DISCARD), .kind = K(AS4PATH), .code = 3,
	  .subcode = 9 },
	{ "nlri_prefix_length_33", NULL, BASE4, "21 0a 00 00 00 00",
	  .action = V(RESET), .kind = K(NLRI_PREFIX), .code = 3,
	  .subcode = 10 },
	{ "nlri_prefix_cut_short", NULL, BASE4, "18 0a 00", .action = V(RESET),
	  .kind = K(NLRI_PREFIX), .code = 3, .subcode = 10 },
	{ "withdrawn_prefix_length_33", "21 0a 00 00 00 00", NULL, NULL,
	  .action = V(RESET), .kind = K(WITHDRAWN_PREFIX), .code = 3,
	  .subcode = 10 },
	{ "marker_not_all_ones", .make = make_marker, .action = V(RESET),
	  .kind = K(HDR_MARKER), .code = 1, .subcode = 1 },
	{ "length_field_below_19", .make = make_len_18, .action = V(RESET),
	  .kind = K(HDR_LENGTH), .code = 1, .subcode = 2, .data = "00 12" },
	{ "length_field_above_4096", .make = make_len_4097, .action = V(RESET),
	  .kind = K(HDR_LENGTH), .code = 1, .subcode = 2, .data = "10 01" },
	{ "length_4097_with_extended_messages", .make = make_len_4097,
	  .opt = O_EXTMSG, .action = V(NONE) },
	{ "strongest_action_wins_withdraw_over_discard", NULL,
	  BASE4 "40 06 01 00 c0 08 03 00 00 01", NLRI10, .action = V(WITHDRAW),
	  .kind = K(COMMUNITIES_LENGTH), .code = 3, .subcode = 5 },
	{ "strongest_action_wins_reset_over_withdraw", NULL,
	  "c0 01 01 00 " ASPATH4 NH "40 63 00", NLRI10, .action = V(RESET),
	  .kind = K(WELLKNOWN), .code = 3, .subcode = 2 },
};

static void
corpus_bytes(const struct ucase *c, uint8_t *out, size_t *len)
{
	if (c->make != NULL) {
		*len = c->make(out);
	} else if (c->body != NULL) {
		size_t bl =
			hex(out + BGP_HDR_LEN, MSG_MAX - BGP_HDR_LEN, c->body);

		*len = wrap(out, BGP_MSG_UPDATE, bl);
	} else {
		*len = mk_update(out, c->wd, c->attrs, c->nlri);
	}
}

static void
run_case(void **state)
{
	const struct ucase *c = *state;
	static uint8_t msg[MSG_MAX];
	struct bgp_opts o = opts(c->opt);
	struct bgp_update u;
	uint8_t *copy;
	size_t len;

	corpus_bytes(c, msg, &len);
	assert_int_equal(parse(msg, len, &o, &u, &copy), 0);
	if (u.err.action != c->action || u.err.kind != c->kind)
		fail_msg("%s: got %s (%s), want %s (%s)", c->name,
			 bgp_update_action_str(u.err.action),
			 bgp_update_err_str(u.err.kind),
			 bgp_update_action_str(c->action),
			 bgp_update_err_str(c->kind));
	assert_int_equal(u.err.notify.code, c->code);
	assert_int_equal(u.err.notify.subcode, c->subcode);
	if (c->data != NULL) {
		uint8_t want[256];
		size_t wl = hex(want, sizeof(want), c->data);

		assert_int_equal(u.err.notify.datalen, wl);
		assert_memory_equal(bgp_msg_notify_data(&u.err.notify), want,
				    wl);
	}
	if (c->action == BGP_ACT_RESET) {
		assert_int_equal(u.nreach, 0);
		assert_int_equal(u.nwithdrawn, 0);
	}
	if (c->action == BGP_ACT_WITHDRAW)
		assert_int_equal(u.nreach, 0);
	for (unsigned i = 0; i < u.nreach; i++)
		assert_non_null(u.reach[i].attrs);
	if (c->check != NULL)
		c->check(&u);
	bgp_update_free(&store, &u);
	assert_int_equal(attr_store_count(&store), 0);
	free(copy);
}

/* Writes the corpus under $CEND_BGP_CORPUS_OUT, or checks it against
 * $CEND_SOURCE_DIR/tests/bgp-corpus. */
static void
test_bgp_update_corpus_files_match_cases(void **state)
{
	const char *out = getenv("CEND_BGP_CORPUS_OUT");
	const char *src = getenv("CEND_SOURCE_DIR");
	static uint8_t msg[MSG_MAX], file[MSG_MAX];
	char path[1024];

	if (out == NULL && src == NULL)
		skip();
	for (size_t i = 0; i < sizeof(ucases) / sizeof(ucases[0]); i++) {
		const struct ucase *c = &ucases[i];
		size_t len, got;
		FILE *f;

		corpus_bytes(c, msg, &len);
		if (out != NULL) {
			snprintf(path, sizeof(path), "%s/update-%s.bin", out,
				 c->name);
			f = fopen(path, "wb");
			assert_non_null(f);
			assert_int_equal(fwrite(msg, 1, len, f), len);
			fclose(f);
			continue;
		}
		snprintf(path, sizeof(path),
			 "%s/tests/bgp-corpus/update-%s.bin", src, c->name);
		f = fopen(path, "rb");
		if (f == NULL)
			fail_msg("%s missing: regenerate the corpus", path);
		got = fread(file, 1, sizeof(file), f);
		fclose(f);
		assert_int_equal(got, len);
		assert_memory_equal(file, msg, len);
	}
}

/* --- round trips --- */

/* Builds an announcement of the prefixes with a and parses it back; the
 * set must be the very same interned one. */
static void
roundtrip(const struct bgp_opts *o, int aid, const struct attrs *a,
	  const struct prefix *ll, const struct prefix *p, size_t n)
{
	struct wbuf w;
	struct bgp_update u;
	struct prefix got[64];
	uint8_t *copy;
	int k;

	wbuf_init(&w);
	k = bgp_update_build_reach(&w, o, aid, a, ll, p, n);
	assert_int_equal(k, (int)n);
	assert_int_equal(parse(w.data, w.len, o, &u, &copy), 0);
	assert_int_equal(u.err.action, BGP_ACT_NONE);
	assert_int_equal(u.nreach, 1);
	assert_int_equal(u.nwithdrawn, 0);
	assert_int_equal(u.reach[0].nlri.aid, aid);
	assert_ptr_equal(u.reach[0].attrs, a);
	assert_true(prefix_equal(&u.reach[0].nexthop, &a->nexthop));
	if (ll != NULL)
		assert_true(prefix_equal(&u.reach[0].nexthop_ll, ll));
	else
		assert_int_equal(u.reach[0].nexthop_ll.family, PREFIX_AF_NONE);
	assert_int_equal(collect(&u.reach[0].nlri, 1, got, 64), n);
	for (size_t i = 0; i < n; i++)
		assert_true(prefix_equal(&got[i], &p[i]));
	bgp_update_free(&store, &u);
	free(copy);
	wbuf_free(&w);
}

/* Every attribute we know, interned. */
static const struct attrs *
rich_attrs(const struct prefix *nh, bool ibgp, bool big_asns)
{
	static const uint8_t
		opq
			[] = {
				0xc0, 16, 8,  0,    2,	  0xfd, 0xe9,
				0,    0,  0,  100, /* ext comm */
				0xc0, 23, 10, 0,    8,	  0,	6,
				12,   4,  0,  0,    0,	  1, /* tunnel */
				0xe0, 99, 2,  0xab, 0xcd, /* unknown, Partial */
			};
	uint32_t path[] = { ATTR_SEG_SEQUENCE, 3, 65001, 65002, 65003,
			    ATTR_SEG_SET,      2, 65010, 65011 };
	uint32_t comms[] = { 0xfde90064, 0xfde900c8, 0xffffff01 };
	uint32_t clusters[] = { 0x0a000001, 0x0a000002 };
	struct attr_lcomm lc[] = { { 65001, 1, 2 }, { 4200000000u, 3, 4 } };
	const struct attrs *set;
	struct attrs a;

	if (big_asns) {
		path[3] = 4200000002u;
		path[7] = 4200000010u;
	}
	attr_init(&a);
	a.origin = ATTR_ORIGIN_EGP;
	a.nexthop = *nh;
	a.flags = ATTR_F_MED | ATTR_F_ATOMIC | ATTR_F_AGGREGATOR;
	a.med = 77;
	a.aggregator_as = big_asns ? 4200000001u : 65001;
	a.aggregator_id = 0xc0000201;
	if (ibgp) {
		a.flags |= ATTR_F_LOCALPREF | ATTR_F_ORIGINATOR;
		a.localpref = 200;
		a.originator_id = 0x0a0000ff;
		a.clusters = attr_clusters_intern(&store, clusters, 2);
	}
	a.aspath = attr_aspath_intern(&store, path, 9);
	a.comms = attr_comms_intern(&store, comms, 3);
	a.lcomms = attr_lcomms_intern(&store, lc, 2);
	a.opaque = attr_opaque_intern(&store, opq, sizeof(opq));
	set = attr_intern(&store, &a);
	assert_non_null(set);
	attr_aspath_unref(&store, a.aspath);
	attr_comms_unref(&store, a.comms);
	attr_comms_unref(&store, a.clusters);
	attr_lcomms_unref(&store, a.lcomms);
	attr_opaque_unref(&store, a.opaque);
	return set;
}

static void
test_bgp_update_roundtrip_every_attribute_ipv4(void **state)
{
	struct prefix nh = pfx("192.0.2.1");
	struct prefix p[] = { pfx("10.0.0.0/8"), pfx("192.168.1.0/24"),
			      pfx("0.0.0.0/0"), pfx("203.0.113.7/32"),
			      pfx("172.16.0.0/13") };
	struct bgp_opts ibgp = opts(O_IBGP), ebgp = opts(O_NO_FIRST_AS);
	const struct attrs *a;

	a = rich_attrs(&nh, true, true);
	roundtrip(&ibgp, BGP_AID_IPV4, a, NULL, p, 5);
	attr_unref(&store, a);
	a = rich_attrs(&nh, false, false);
	roundtrip(&ebgp, BGP_AID_IPV4, a, NULL, p, 5);
	attr_unref(&store, a);
}

static void
test_bgp_update_roundtrip_every_attribute_ipv6_link_local(void **state)
{
	struct prefix nh = pfx("2001:db8::1"), ll = pfx("fe80::1");
	struct prefix p[] = { pfx("2001:db8::/32"), pfx("::/0"),
			      pfx("2001:db8:1:2::/64"),
			      pfx("2001:db8::5/128") };
	struct bgp_opts ibgp = opts(O_IBGP);
	const struct attrs *a = rich_attrs(&nh, true, true);

	roundtrip(&ibgp, BGP_AID_IPV6, a, &ll, p, 4);
	roundtrip(&ibgp, BGP_AID_IPV6, a, NULL, p, 4);
	attr_unref(&store, a);
}

static void
test_bgp_update_roundtrip_2octet_session_uses_as_trans_and_as4_path(
	void **state)
{
	struct prefix nh = pfx("192.0.2.1");
	struct prefix p = pfx("10.1.0.0/16");
	struct bgp_opts o = opts(O_IBGP | O_2OCTET);
	const struct attrs *a = rich_attrs(&nh, true, true);
	struct bgp_update u;
	struct wbuf w;
	uint8_t *copy;
	struct buf b;

	/* on the wire: AS_TRANS in AS_PATH and AGGREGATOR, plus AS4_PATH
	 * and AS4_AGGREGATOR */
	wbuf_init(&w);
	assert_int_equal(
		bgp_update_build_reach(&w, &o, BGP_AID_IPV4, a, NULL, &p, 1),
		1);
	buf_init(&b, w.data + 23, (size_t)(w.data[21] << 8 | w.data[22]));
	{
		bool as_trans = false, as4path = false, as4agg = false;

		while (buf_left(&b) > 0) {
			uint8_t fl = b.p[0], t = b.p[1];
			size_t l = fl & BGP_ATTR_F_EXTLEN
					   ? (size_t)(b.p[2] << 8 | b.p[3])
					   : b.p[2];
			size_t h = fl & BGP_ATTR_F_EXTLEN ? 4 : 3;

			if (t == BGP_ATTR_AS_PATH)
				/* 65001 then AS_TRANS for 4200000002 */
				as_trans = b.p[h + 4] == 0x5b &&
					   b.p[h + 5] == 0xa0;
			if (t == BGP_ATTR_AS4_PATH)
				as4path = true;
			if (t == BGP_ATTR_AS4_AGGREGATOR)
				as4agg = true;
			buf_skip(&b, h + l);
		}
		assert_true(as_trans);
		assert_true(as4path);
		assert_true(as4agg);
	}
	assert_int_equal(parse(w.data, w.len, &o, &u, &copy), 0);
	assert_int_equal(u.err.action, BGP_ACT_NONE);
	assert_ptr_equal(u.reach[0].attrs, a);
	bgp_update_free(&store, &u);
	free(copy);
	wbuf_free(&w);
	attr_unref(&store, a);
}

static void
test_bgp_update_roundtrip_minimal_attrs_empty_aspath(void **state)
{
	struct prefix p = pfx("10.0.0.0/24");
	struct bgp_opts o = opts(O_IBGP);
	const struct attrs *set;
	struct attrs a;

	attr_init(&a);
	a.nexthop = pfx("192.0.2.9");
	set = attr_intern(&store, &a);
	roundtrip(&o, BGP_AID_IPV4, set, NULL, &p, 1);
	attr_unref(&store, set);
}

static void
test_bgp_update_roundtrip_300_hop_path_uses_extended_length(void **state)
{
	uint32_t asns[300];
	struct prefix p = pfx("10.0.0.0/24");
	struct bgp_opts o = opts(O_2OCTET | O_NO_FIRST_AS);
	const struct attrs *set;
	struct attrs a;

	for (int i = 0; i < 300; i++)
		asns[i] = 64512 + (uint32_t)i % 1000;
	attr_init(&a);
	a.nexthop = pfx("192.0.2.9");
	a.aspath = attr_aspath_seq(&store, asns, 300);
	set = attr_intern(&store, &a);
	attr_aspath_unref(&store, a.aspath);
	assert_int_equal(set->aspath->hops, 300);
	roundtrip(&o, BGP_AID_IPV4, set, NULL, &p, 1);
	o.as4 = true;
	roundtrip(&o, BGP_AID_IPV4, set, NULL, &p, 1);
	attr_unref(&store, set);
}

/* Packs n prefixes into messages of maxlen and checks every one comes
 * back, in order, from a series of valid messages. */
static void
pack_all(int aid, unsigned optflags, size_t n, bool withdraw)
{
	struct bgp_opts o = opts(optflags | O_IBGP);
	struct prefix *p = calloc(n, sizeof(*p)), *got = calloc(n, sizeof(*p));
	struct attrs a;
	const struct attrs *set;
	size_t done = 0, ngot = 0, msgs = 0;

	assert_non_null(p);
	assert_non_null(got);
	for (size_t i = 0; i < n; i++) {
		if (aid == BGP_AID_IPV4) {
			prefix_from_v4(&p[i], 0x0a000000u + (uint32_t)(i << 8),
				       24);
		} else {
			uint8_t b[16] = { 0x20,
					  0x01,
					  0x0d,
					  0xb8,
					  (uint8_t)(i >> 16),
					  (uint8_t)(i >> 8),
					  (uint8_t)i };

			prefix_from_v6(&p[i], b, 56);
		}
	}
	attr_init(&a);
	a.nexthop = aid == BGP_AID_IPV4 ? pfx("192.0.2.1") : pfx("2001:db8::1");
	set = attr_intern(&store, &a);
	while (done < n) {
		struct wbuf w;
		struct bgp_update u;
		uint8_t *copy;
		int k;

		wbuf_init(&w);
		k = withdraw ? bgp_update_build_withdraw(&w, &o, aid, p + done,
							 n - done)
			     : bgp_update_build_reach(&w, &o, aid, set, NULL,
						      p + done, n - done);
		assert_true(k > 0);
		assert_true(w.len <= o.maxlen);
		/* full, unless it is the last one */
		if (done + (size_t)k < n)
			assert_true(w.len + 1 + (aid == BGP_AID_IPV4 ? 3 : 7) >
				    o.maxlen);
		assert_int_equal(parse(w.data, w.len, &o, &u, &copy), 0);
		assert_int_equal(u.err.action, BGP_ACT_NONE);
		if (withdraw) {
			assert_int_equal(u.nreach, 0);
			ngot += collect(u.withdrawn, u.nwithdrawn, got + ngot,
					n - ngot);
		} else {
			assert_int_equal(u.nwithdrawn, 0);
			ngot += collect(&u.reach[0].nlri, 1, got + ngot,
					n - ngot);
		}
		bgp_update_free(&store, &u);
		free(copy);
		wbuf_free(&w);
		done += (size_t)k;
		msgs++;
	}
	assert_int_equal(ngot, n);
	for (size_t i = 0; i < n; i++)
		assert_true(prefix_equal(&got[i], &p[i]));
	assert_true(msgs > 1);
	attr_unref(&store, set);
	free(p);
	free(got);
}

static void
test_bgp_update_build_packs_to_max_size_and_counts_consumed(void **state)
{
	pack_all(BGP_AID_IPV4, 0, 3000, false);
	pack_all(BGP_AID_IPV6, 0, 3000, false);
	pack_all(BGP_AID_IPV4, O_EXTMSG, 40000, false);
}

static void
test_bgp_update_build_withdrawals_pack_and_round_trip(void **state)
{
	pack_all(BGP_AID_IPV4, 0, 3000, true);
	pack_all(BGP_AID_IPV6, 0, 3000, true);
	pack_all(BGP_AID_IPV6, O_EXTMSG, 30000, true);
}

static void
test_bgp_update_build_rejects_wrong_family_and_nexthop(void **state)
{
	struct bgp_opts o = opts(O_IBGP);
	struct prefix p4 = pfx("10.0.0.0/8"), p6 = pfx("2001:db8::/32");
	const struct attrs *set;
	struct attrs a;
	struct wbuf w;

	wbuf_init(&w);
	attr_init(&a);
	a.nexthop = pfx("192.0.2.1");
	set = attr_intern(&store, &a);
	assert_int_equal(
		bgp_update_build_reach(&w, &o, BGP_AID_IPV4, set, NULL, &p6, 1),
		-CEN_EINVAL);
	/* an IPv4 next hop cannot carry IPv6 */
	assert_int_equal(
		bgp_update_build_reach(&w, &o, BGP_AID_IPV6, set, NULL, &p6, 1),
		-CEN_EINVAL);
	assert_int_equal(
		bgp_update_build_withdraw(&w, &o, BGP_AID_IPV6, &p4, 1),
		-CEN_EINVAL);
	assert_int_equal(w.len, 0);
	attr_unref(&store, set);
	wbuf_free(&w);
}

static void
test_bgp_update_build_attrs_too_big_is_toobig(void **state)
{
	struct bgp_opts o = opts(O_IBGP);
	struct prefix p = pfx("10.0.0.0/8");
	uint32_t *v = calloc(1100, sizeof(uint32_t));
	const struct attrs *set;
	struct attrs a;
	struct wbuf w;

	for (uint32_t i = 0; i < 1100; i++)
		v[i] = i;
	wbuf_init(&w);
	attr_init(&a);
	a.nexthop = pfx("192.0.2.1");
	a.comms = attr_comms_intern(&store, v, 1100); /* 4400 bytes */
	set = attr_intern(&store, &a);
	attr_comms_unref(&store, a.comms);
	assert_int_equal(
		bgp_update_build_reach(&w, &o, BGP_AID_IPV4, set, NULL, &p, 1),
		-CEN_ETOOBIG);
	assert_int_equal(w.len, 0);
	o.maxlen = BGP_EXT_MAX_LEN;
	roundtrip(&o, BGP_AID_IPV4, set, NULL, &p, 1);
	attr_unref(&store, set);
	wbuf_free(&w);
	free(v);
}

/* --- RFC 6793 merging --- */

/* Parses an UPDATE from a 2-octet speaker and returns its AS path and
 * aggregator AS, formatted. */
static void
merged(const char *attrs, const char *want_path, uint32_t want_agg)
{
	static uint8_t msg[MSG_MAX];
	struct bgp_opts o = opts(O_2OCTET | O_NO_FIRST_AS);
	struct bgp_update u;
	char buf[256];
	uint8_t *copy;
	size_t len = mk_update(msg, NULL, attrs, NLRI10);

	assert_int_equal(parse(msg, len, &o, &u, &copy), 0);
	assert_int_equal(u.err.action, BGP_ACT_NONE);
	assert_int_equal(u.nreach, 1);
	assert_string_equal(aspath_str(u.reach[0].attrs, buf, sizeof(buf)),
			    want_path);
	if (want_agg != 0)
		assert_int_equal(u.reach[0].attrs->aggregator_as, want_agg);
	bgp_update_free(&store, &u);
	free(copy);
}

/* RFC 6793 4.2.3: the leading ASes of AS_PATH beyond AS4_PATH's count,
 * then AS4_PATH. */
static void
test_bgp_update_as4_path_merge_rfc6793(void **state)
{
	/* AS_PATH 65010 23456 23456 (the first AS is the 2-octet peer
	 * itself), AS4_PATH 4200000001 4200000002 */
	merged(ORIGIN_IGP "40 02 08 02 03 fd f2 5b a0 5b a0 " NH
			  "c0 11 0a 02 02 fa 56 ea 01 fa 56 ea 02",
	       "65010 4200000001 4200000002", 0);
	/* AS4_PATH longer than AS_PATH: ignored */
	merged(ORIGIN_IGP "40 02 04 02 01 5b a0 " NH
			  "c0 11 0a 02 02 fa 56 ea 01 fa 56 ea 02",
	       "23456", 0);
	/* a set counts as one: AS_PATH 65010 {65020,65021} 23456 (3
	 * hops), AS4_PATH {65020,65021} 4200000001 (2 hops) */
	merged(ORIGIN_IGP
	       "40 02 0e 02 01 fd f2 01 02 fd fc fd fd 02 01 5b a0 " NH
	       "c0 11 10 01 02 00 00 fd fc 00 00 fd fd 02 01 fa 56 ea 01",
	       "65010 {65020,65021} 4200000001", 0);
	/* AGGREGATOR AS_TRANS: AS4_AGGREGATOR is the aggregator */
	merged(ORIGIN_IGP "40 02 06 02 02 fd f2 5b a0 " NH
			  "c0 07 06 5b a0 c0 00 02 01 "
			  "c0 11 06 02 01 fa 56 ea 01 "
			  "c0 12 08 fa 56 ea 09 c0 00 02 01",
	       "65010 4200000001", 4200000009u);
	/* AGGREGATOR not AS_TRANS: AS4_AGGREGATOR and AS4_PATH ignored */
	merged(ORIGIN_IGP "40 02 06 02 02 fd f2 5b a0 " NH
			  "c0 07 06 fd f3 c0 00 02 01 "
			  "c0 11 06 02 01 fa 56 ea 01 "
			  "c0 12 08 fa 56 ea 09 c0 00 02 01",
	       "65010 23456", 65011);
	/* equal counts: AS4_PATH replaces the path whole */
	merged(ORIGIN_IGP "40 02 06 02 02 5b a0 5b a0 " NH
			  "c0 11 0a 02 02 fa 56 ea 01 fa 56 ea 02",
	       "4200000001 4200000002", 0);
}

/* --- treat-as-withdraw, EoR, truncation --- */

static void
test_bgp_update_treat_as_withdraw_withdraws_nlri_and_mp_reach(void **state)
{
	static uint8_t msg[MSG_MAX];
	struct bgp_opts o = opts(0);
	struct prefix p[8];
	struct bgp_update u;
	uint8_t *copy;
	size_t len;

	/* withdrawn 10.9/16, MP_REACH 2001:db8::/32, NLRI 10/8, and a
	 * COMMUNITIES of bad length */
	len = mk_update(msg, "10 0a 09", MPR6 BASE4 "c0 08 03 00 00 01",
			NLRI10);
	assert_int_equal(parse(msg, len, &o, &u, &copy), 0);
	assert_int_equal(u.err.action, BGP_ACT_WITHDRAW);
	assert_int_equal(u.nreach, 0);
	assert_int_equal(collect(u.withdrawn, u.nwithdrawn, p, 8), 3);
	assert_prefix(&p[0], "10.9.0.0/16");
	assert_prefix(&p[1], "10.0.0.0/8");
	assert_prefix(&p[2], "2001:db8::/32");
	bgp_update_free(&store, &u);
	free(copy);
}

static void
test_bgp_update_mixed_ipv4_and_ipv6_interns_one_set_per_family(void **state)
{
	static uint8_t msg[MSG_MAX];
	struct bgp_opts o = opts(0);
	struct bgp_update u;
	uint8_t *copy;
	size_t len;

	len = mk_update(msg, NULL, MPR6 BASE4 MPU6, NLRI10);
	assert_int_equal(parse(msg, len, &o, &u, &copy), 0);
	assert_int_equal(u.err.action, BGP_ACT_NONE);
	assert_int_equal(u.nreach, 2);
	assert_int_equal(u.nwithdrawn, 1);
	assert_int_equal(u.withdrawn[0].aid, BGP_AID_IPV6);
	assert_int_equal(u.reach[0].attrs->nexthop.family, PREFIX_AF_INET);
	assert_int_equal(u.reach[1].attrs->nexthop.family, PREFIX_AF_INET6);
	assert_ptr_equal(u.reach[0].attrs->aspath, u.reach[1].attrs->aspath);
	bgp_update_free(&store, &u);
	free(copy);
}

static void
test_bgp_update_mp_of_unnegotiated_family_is_skipped(void **state)
{
	static uint8_t msg[MSG_MAX];
	struct bgp_opts o = opts(0);
	struct bgp_update u;
	uint8_t *copy;
	size_t len;

	o.aids = BGP_AID_BIT(BGP_AID_IPV4);
	len = mk_update(msg, NULL, MPR6 BASE4, NLRI10);
	assert_int_equal(parse(msg, len, &o, &u, &copy), 0);
	assert_int_equal(u.err.action, BGP_ACT_NONE);
	assert_int_equal(u.nreach, 1);
	assert_int_equal(u.skipped, BGP_AID_BIT(BGP_AID_IPV6));
	bgp_update_free(&store, &u);
	free(copy);
	/* an unknown AFI/SAFI (VPNv4) is skipped too */
	len = mk_update(msg, NULL, "80 0f 03 00 01 80 " BASE4, NLRI10);
	assert_int_equal(parse(msg, len, &o, &u, &copy), 0);
	assert_int_equal(u.err.action, BGP_ACT_NONE);
	assert_int_equal(u.skipped, 0x80);
	bgp_update_free(&store, &u);
	free(copy);
}

static void
test_bgp_update_end_of_rib_both_families(void **state)
{
	struct bgp_opts o = opts(0);
	struct bgp_update u;
	struct wbuf w;
	uint8_t *copy;

	for (int aid = 0; aid < BGP_AID_MAX; aid++) {
		wbuf_init(&w);
		assert_int_equal(bgp_msg_eor_build(&w, aid), 0);
		assert_int_equal(w.len, aid == BGP_AID_IPV4 ? 23 : 29);
		assert_int_equal(parse(w.data, w.len, &o, &u, &copy), 0);
		assert_int_equal(u.err.action, BGP_ACT_NONE);
		assert_true(u.eor);
		assert_int_equal(u.eor_aid, aid);
		assert_int_equal(u.nreach + u.nwithdrawn, 0);
		bgp_update_free(&store, &u);
		free(copy);
		wbuf_free(&w);
	}
}

static void
check_clean(const struct bgp_update *u)
{
	assert_true(u->err.action <= BGP_ACT_RESET);
	assert_true(u->err.kind < BGP_UERR_MAX_);
	if (u->err.action == BGP_ACT_RESET) {
		assert_true(u->err.notify.code == BGP_ERR_UPDATE ||
			    u->err.notify.code == BGP_ERR_HEADER);
		assert_int_equal(u->nreach + u->nwithdrawn, 0);
	}
	for (unsigned i = 0; i < u->nreach; i++) {
		struct prefix p[4096];

		assert_non_null(u->reach[i].attrs);
		assert_int_equal(collect(&u->reach[i].nlri, 1, p, 4096),
				 u->reach[i].nlri.count);
	}
}

/* A valid UPDATE cut at every length: with the length field left alone
 * (a bad header), with it fixed (the fields overrun), and with only the
 * attributes cut (the attribute stream breaks off).  Never a crash, never
 * a read past the copy, always a clean verdict. */
static void
test_bgp_update_truncated_at_every_length_gives_clean_verdict(void **state)
{
	static uint8_t msg[MSG_MAX], cut[MSG_MAX];
	struct bgp_opts o = opts(O_IBGP);
	struct prefix nh = pfx("192.0.2.1"), nh6 = pfx("2001:db8::1");
	struct prefix p[] = { pfx("10.0.0.0/8"), pfx("10.1.2.0/24"),
			      pfx("10.1.2.3/32") };
	struct prefix p6[] = { pfx("2001:db8::/32"), pfx("2001:db8:1::/48") };
	const struct attrs *a;
	struct wbuf w;
	size_t len;

	wbuf_init(&w);
	a = rich_attrs(&nh, true, true);
	assert_int_equal(
		bgp_update_build_reach(&w, &o, BGP_AID_IPV4, a, NULL, p, 3), 3);
	attr_unref(&store, a);
	a = rich_attrs(&nh6, true, true);
	assert_int_equal(
		bgp_update_build_reach(&w, &o, BGP_AID_IPV6, a, NULL, p6, 2),
		2);
	attr_unref(&store, a);
	for (size_t m = 0, at = 0; m < 2; m++) {
		size_t mlen = (size_t)(w.data[at + 16] << 8 | w.data[at + 17]);
		size_t alen_at = at + 21;
		size_t alen =
			(size_t)(w.data[alen_at] << 8 | w.data[alen_at + 1]);

		memcpy(msg, w.data + at, mlen);
		len = mlen;
		for (size_t l = 0; l <= len; l++) {
			struct bgp_update u;
			uint8_t *copy;

			/* 1: as cut */
			assert_int_equal(parse(msg, l, &o, &u, &copy), 0);
			check_clean(&u);
			if (l < len)
				assert_int_equal(u.err.action, BGP_ACT_RESET);
			else
				assert_int_equal(u.err.action, BGP_ACT_NONE);
			bgp_update_free(&store, &u);
			free(copy);

			/* 2: the header length fixed */
			memcpy(cut, msg, l);
			if (l >= 18) {
				cut[16] = (uint8_t)(l >> 8);
				cut[17] = (uint8_t)l;
			}
			assert_int_equal(parse(cut, l, &o, &u, &copy), 0);
			check_clean(&u);
			bgp_update_free(&store, &u);
			free(copy);
		}
		/* 3: the attributes cut at every length, NLRI kept */
		for (size_t l = 0; l < alen; l++) {
			size_t nlen = mlen - 23 - alen, cl;
			struct bgp_update u;
			uint8_t *copy;

			memcpy(cut, msg, 23 + l);
			memcpy(cut + 23 + l, msg + 23 + alen, nlen);
			cl = 23 + l + nlen;
			cut[16] = (uint8_t)(cl >> 8);
			cut[17] = (uint8_t)cl;
			cut[21] = (uint8_t)(l >> 8);
			cut[22] = (uint8_t)l;
			assert_int_equal(parse(cut, cl, &o, &u, &copy), 0);
			check_clean(&u);
			/* an IPv4 UPDATE keeps its NLRI findable: never a
			 * reset for a broken attribute stream */
			if (m == 0)
				assert_true(u.err.action != BGP_ACT_RESET);
			bgp_update_free(&store, &u);
			free(copy);
		}
		at += mlen;
	}
	wbuf_free(&w);
	assert_int_equal(attr_store_count(&store), 0);
}

static void
test_bgp_update_err_strings_cover_every_kind(void **state)
{
	for (int k = 0; k < BGP_UERR_MAX_; k++)
		assert_string_not_equal(bgp_update_err_str(k), "unknown error");
	assert_string_equal(bgp_update_action_str(BGP_ACT_WITHDRAW),
			    "treat-as-withdraw");
}

static void
test_bgp_afi_table_finds_families(void **state)
{
	assert_int_equal(bgp_afi_find(1, 1), BGP_AID_IPV4);
	assert_int_equal(bgp_afi_find(2, 1), BGP_AID_IPV6);
	assert_int_equal(bgp_afi_find(1, 128), -1);
	assert_int_equal(bgp_afi_of_family(PREFIX_AF_INET6), BGP_AID_IPV6);
	assert_null(bgp_afi_get(BGP_AID_MAX));
	assert_true(bgp_afi_get(BGP_AID_IPV4)->classic);
	assert_false(bgp_afi_get(BGP_AID_IPV6)->classic);
}

static void
test_bgp_afi_nlri_clears_host_bits(void **state)
{
	static const uint8_t nlri[] = { 0x13, 0x0a, 0x01, 0xff };
	struct bgp_nlri n = { nlri, sizeof(nlri), 1, BGP_AID_IPV4 };
	struct prefix p;

	assert_int_equal(bgp_afi_decode(&n, &p, 1), 1);
	assert_prefix(&p, "10.1.224.0/19");
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	static const struct CMUnitTest fixed[] = {
		T(test_bgp_update_corpus_files_match_cases),
		T(test_bgp_update_roundtrip_every_attribute_ipv4),
		T(test_bgp_update_roundtrip_every_attribute_ipv6_link_local),
		T(test_bgp_update_roundtrip_2octet_session_uses_as_trans_and_as4_path),
		T(test_bgp_update_roundtrip_minimal_attrs_empty_aspath),
		T(test_bgp_update_roundtrip_300_hop_path_uses_extended_length),
		T(test_bgp_update_build_packs_to_max_size_and_counts_consumed),
		T(test_bgp_update_build_withdrawals_pack_and_round_trip),
		T(test_bgp_update_build_rejects_wrong_family_and_nexthop),
		T(test_bgp_update_build_attrs_too_big_is_toobig),
		T(test_bgp_update_as4_path_merge_rfc6793),
		T(test_bgp_update_treat_as_withdraw_withdraws_nlri_and_mp_reach),
		T(test_bgp_update_mixed_ipv4_and_ipv6_interns_one_set_per_family),
		T(test_bgp_update_mp_of_unnegotiated_family_is_skipped),
		T(test_bgp_update_end_of_rib_both_families),
		T(test_bgp_update_truncated_at_every_length_gives_clean_verdict),
		T(test_bgp_update_err_strings_cover_every_kind),
		T(test_bgp_afi_table_finds_families),
		T(test_bgp_afi_nlri_clears_host_bits),
	};
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	size_t ncases = sizeof(ucases) / sizeof(ucases[0]);
	struct CMUnitTest *tests = calloc(nfixed + ncases, sizeof(*tests));
	static char names[sizeof(ucases) / sizeof(ucases[0])][128];
	int rc;

	if (tests == NULL)
		return 1;
	memcpy(tests, fixed, sizeof(fixed));
	/* one test per corpus case, named for it */
	for (size_t i = 0; i < ncases; i++) {
		snprintf(names[i], sizeof(names[i]),
			 "test_bgp_update_corpus_%s", ucases[i].name);
		tests[nfixed + i].name = names[i];
		tests[nfixed + i].test_func = run_case;
		tests[nfixed + i].setup_func = setup;
		tests[nfixed + i].teardown_func = teardown;
		tests[nfixed + i].initial_state = (void *)&ucases[i];
	}
	rc = _cmocka_run_group_tests("bgp_update", tests, nfixed + ncases, NULL,
				     NULL);
	free(tests);
	return rc;
}
