/*
 * test_bgp_msg.c - BGP framing, OPEN and capabilities, KEEPALIVE,
 * NOTIFICATION, ROUTE-REFRESH and End-of-RIB (bgp/bgp_msg.c).
 *
 * Every builder is checked by parsing its output back.  Malformed OPENs and
 * headers form a corpus of named cases, one cmocka test each, asserting
 * the exact NOTIFICATION code, subcode and data; the same bytes are kept as
 * tests/bgp-corpus/open-<name>.bin (regenerate with
 * CEND_BGP_CORPUS_OUT=tests/bgp-corpus; checked when CEND_SOURCE_DIR is
 * set, as under ctest).
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
#include "core/err.h"

#define MSG_MAX 70000

static size_t
hex(uint8_t *out, size_t max, const char *s)
{
	size_t n = 0;
	int hi = -1;

	for (; s != NULL && *s != '\0'; s++) {
		int v = 0;

		if (*s == ' ')
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

/* An OPEN from hex fixed fields and parameters; optlen is computed. */
static size_t
mk_open(uint8_t *out, const char *fixed, const char *params)
{
	uint8_t *b = out + BGP_HDR_LEN;
	size_t fl = hex(b, 64, fixed), pl;

	pl = hex(b + fl + 1, MSG_MAX - 64, params);
	b[fl] = (uint8_t)pl;
	return wrap(out, BGP_MSG_OPEN, fl + 1 + pl);
}

static void
assert_notify(const struct bgp_notify *n, uint8_t code, uint8_t subcode,
	      const char *data)
{
	assert_int_equal(n->code, code);
	assert_int_equal(n->subcode, subcode);
	if (data != NULL) {
		uint8_t want[256];
		size_t wl = hex(want, sizeof(want), data);

		assert_int_equal(n->datalen, wl);
		assert_memory_equal(bgp_msg_notify_data(n), want, wl);
	}
}

/* Parses an OPEN from a copy of exactly len bytes. */
static int
open_parse(const uint8_t *msg, size_t len, uint32_t peer_as, struct bgp_open *o,
	   struct bgp_notify *err)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, msg, len);
	rc = bgp_msg_open_parse(copy, len, peer_as, o, err);
	free(copy);
	return rc;
}

/* version 4, AS 65001, hold 90, id 192.0.2.1 */
#define FIXED "04 fd e9 00 5a c0 00 02 01"
#define MP4   "01 04 00 01 00 01 "
#define MP6   "01 04 00 02 00 01 "
#define RR    "02 00 "
#define AS4   "41 04 00 00 fd e9 "
#define GR    "40 06 80 78 00 01 01 80 "

/* --- the corpus --- */

struct ocase {
	const char *name;
	const char *fixed, *params; /* mk_open */
	const char *body;	    /* or the whole body */
	uint32_t peer_as;
	int rc;
	uint8_t code, subcode;
	const char *data;
	void (*check)(const struct bgp_open *o);
};

static void
check_all_caps(const struct bgp_open *o)
{
	assert_int_equal(o->caps.mp, BGP_AID_ALL);
	assert_true(o->caps.route_refresh);
	assert_true(o->caps.as4);
	assert_int_equal(o->caps.as4_asn, 65001);
	assert_true(o->caps.gr);
	assert_int_equal(o->caps.gr_flags, BGP_GR_F_RESTART);
	assert_int_equal(o->caps.gr_time, 120);
	assert_int_equal(o->caps.gr_aids, BGP_AID_BIT(BGP_AID_IPV4));
	assert_int_equal(o->caps.gr_fwd, BGP_AID_BIT(BGP_AID_IPV4));
	assert_int_equal(o->holdtime, 90);
	assert_int_equal(o->bgp_id, 0xc0000201);
	assert_int_equal(bgp_msg_open_as(o), 65001);
}

static void
check_unknown_kept(const struct bgp_open *o)
{
	assert_int_equal(o->caps.nunknown, 2);
	assert_int_equal(o->caps.unknown[0], 73);
	assert_int_equal(o->caps.unknown[1], 128);
	assert_true(o->caps.as4);
}

static void
check_ext_params(const struct bgp_open *o)
{
	assert_true(o->ext_params);
	assert_int_equal(o->caps.mp, BGP_AID_ALL);
	assert_true(o->caps.as4);
}

static const struct ocase ocases[] = {
	{ "valid_all_capabilities", FIXED, "02 1c " MP4 MP6 RR AS4 GR,
	  .check = check_all_caps },
	{ "valid_one_capability_per_parameter", FIXED,
	  "02 06 " MP4 "02 06 " MP6 "02 02 " RR "02 06 " AS4 "02 08 " GR,
	  .check = check_all_caps },
	{ "valid_holdtime_0", "04 fd e9 00 00 c0 00 02 01", "", .rc = 0 },
	{ "valid_holdtime_3", "04 fd e9 00 03 c0 00 02 01", "", .rc = 0 },
	{ "valid_unknown_capabilities_ignored", FIXED,
	  "02 0e 49 04 02 61 62 63 80 00 " AS4, .check = check_unknown_kept },
	{ "valid_extended_optional_parameters_rfc9072", NULL, NULL,
	  FIXED " ff ff 00 1d 02 00 1a " MP4 MP6 AS4 GR,
	  .check = check_ext_params },
	{ "bad_version_3", "03 fd e9 00 5a c0 00 02 01", "", .rc = -CEN_EPROTO,
	  .code = 2, .subcode = 1, .data = "00 04" },
	{ "bad_holdtime_1", "04 fd e9 00 01 c0 00 02 01", "", .rc = -CEN_EPROTO,
	  .code = 2, .subcode = 6, .data = "" },
	{ "bad_holdtime_2", "04 fd e9 00 02 c0 00 02 01", "", .rc = -CEN_EPROTO,
	  .code = 2, .subcode = 6 },
	{ "bad_bgp_identifier_zero", "04 fd e9 00 5a 00 00 00 00", "",
	  .rc = -CEN_EPROTO, .code = 2, .subcode = 3 },
	{ "bad_peer_as", FIXED, "", .peer_as = 65002, .rc = -CEN_EPROTO,
	  .code = 2, .subcode = 2 },
	{ "bad_peer_as_four_octet", "04 5b a0 00 5a c0 00 02 01",
	  "02 06 41 04 fa 56 ea 01", .peer_as = 4200000002u, .rc = -CEN_EPROTO,
	  .code = 2, .subcode = 2 },
	{ "bad_my_as_disagrees_with_capability", "04 fd ea 00 5a c0 00 02 01",
	  "02 06 " AS4, .rc = -CEN_EPROTO, .code = 2, .subcode = 2 },
	{ "bad_as_zero", "04 00 00 00 5a c0 00 02 01", "", .rc = -CEN_EPROTO,
	  .code = 2, .subcode = 2 },
	{ "malformed_capability_mp_length_3", FIXED, "02 05 01 03 00 01 00",
	  .rc = -CEN_EPROTO, .code = 2, .subcode = 0,
	  .data = "01 03 00 01 00" },
	{ "malformed_capability_as4_length_2", FIXED, "02 04 41 02 fd e9",
	  .rc = -CEN_EPROTO, .code = 2, .subcode = 0, .data = "41 02 fd e9" },
	{ "malformed_capability_overruns_parameter", FIXED, "02 04 41 04 00 00",
	  .rc = -CEN_EPROTO, .code = 2, .subcode = 0 },
	{ "malformed_capability_graceful_restart_length_3", FIXED,
	  "02 05 40 03 00 78 00", .rc = -CEN_EPROTO, .code = 2, .subcode = 0 },
	{ "malformed_capability_route_refresh_length_1", FIXED,
	  "02 03 02 01 00", .rc = -CEN_EPROTO, .code = 2, .subcode = 0 },
	{ "malformed_capability_header_cut", FIXED, "02 01 41",
	  .rc = -CEN_EPROTO, .code = 2, .subcode = 0 },
	{ "unsupported_optional_parameter", FIXED, "01 02 00 00",
	  .rc = -CEN_EPROTO, .code = 2, .subcode = 4 },
	{ "optional_parameters_overrun_message", NULL, NULL,
	  FIXED " 0a 02 06 " AS4, .rc = -CEN_EPROTO, .code = 2, .subcode = 0 },
	{ "bytes_after_optional_parameters", NULL, NULL, FIXED " 00 00",
	  .rc = -CEN_EPROTO, .code = 2, .subcode = 0 },
	{ "extended_optional_parameters_overrun", NULL, NULL,
	  FIXED " ff ff 00 30 02 00 06 " AS4, .rc = -CEN_EPROTO, .code = 2,
	  .subcode = 0 },
	{ "extended_parameter_length_cut", NULL, NULL, FIXED " ff ff 00",
	  .rc = -CEN_EPROTO, .code = 2, .subcode = 0 },
};

static void
ocase_bytes(const struct ocase *c, uint8_t *out, size_t *len)
{
	if (c->body != NULL)
		*len = wrap(out, BGP_MSG_OPEN,
			    hex(out + BGP_HDR_LEN, MSG_MAX, c->body));
	else
		*len = mk_open(out, c->fixed, c->params);
}

static void
run_ocase(void **state)
{
	const struct ocase *c = *state;
	static uint8_t msg[MSG_MAX];
	struct bgp_notify err;
	struct bgp_open o;
	size_t len;
	int rc;

	ocase_bytes(c, msg, &len);
	memset(&err, 0xa5, sizeof(err));
	rc = open_parse(msg, len, c->peer_as, &o, &err);
	assert_int_equal(rc, c->rc);
	if (rc != 0)
		assert_notify(&err, c->code, c->subcode, c->data);
	if (c->check != NULL)
		c->check(&o);
}

static void
test_bgp_msg_corpus_files_match_cases(void **state)
{
	const char *out = getenv("CEND_BGP_CORPUS_OUT");
	const char *src = getenv("CEND_SOURCE_DIR");
	static uint8_t msg[MSG_MAX], file[MSG_MAX];
	char path[1024];

	if (out == NULL && src == NULL)
		skip();
	for (size_t i = 0; i < sizeof(ocases) / sizeof(ocases[0]); i++) {
		size_t len, got;
		FILE *f;

		ocase_bytes(&ocases[i], msg, &len);
		if (out != NULL) {
			snprintf(path, sizeof(path), "%s/open-%s.bin", out,
				 ocases[i].name);
			f = fopen(path, "wb");
			assert_non_null(f);
			assert_int_equal(fwrite(msg, 1, len, f), len);
			fclose(f);
			continue;
		}
		snprintf(path, sizeof(path), "%s/tests/bgp-corpus/open-%s.bin",
			 src, ocases[i].name);
		f = fopen(path, "rb");
		if (f == NULL)
			fail_msg("%s missing: regenerate the corpus", path);
		got = fread(file, 1, sizeof(file), f);
		fclose(f);
		assert_int_equal(got, len);
		assert_memory_equal(file, msg, len);
	}
}

/* --- framing --- */

static void
test_bgp_msg_frame_waits_for_whole_message(void **state)
{
	uint8_t msg[64];
	struct bgp_notify err;
	uint8_t type = 0;
	size_t len = wrap(msg, BGP_MSG_KEEPALIVE, 0);

	for (size_t l = 0; l < len; l++)
		assert_int_equal(
			bgp_msg_frame(msg, l, BGP_MAX_LEN, &type, &err), 0);
	assert_int_equal(bgp_msg_frame(msg, len, BGP_MAX_LEN, &type, &err),
			 (int)len);
	assert_int_equal(type, BGP_MSG_KEEPALIVE);
	/* the next message's first bytes behind it change nothing */
	memset(msg + len, 0xff, 10);
	assert_int_equal(bgp_msg_frame(msg, len + 10, BGP_MAX_LEN, &type, &err),
			 (int)len);
}

static void
test_bgp_msg_frame_wrong_marker_is_connection_not_synchronized(void **state)
{
	uint8_t msg[64];
	struct bgp_notify err;
	uint8_t type;

	wrap(msg, BGP_MSG_KEEPALIVE, 0);
	msg[3] = 0;
	/* seen as soon as the byte arrives */
	assert_int_equal(bgp_msg_frame(msg, 4, BGP_MAX_LEN, &type, &err),
			 -CEN_EPROTO);
	assert_notify(&err, BGP_ERR_HEADER, BGP_ERR_HDR_SYNC, "");
}

static void
test_bgp_msg_frame_length_out_of_range_is_bad_message_length(void **state)
{
	static uint8_t msg[MSG_MAX];
	struct bgp_notify err;
	uint8_t type;
	size_t len;

	len = wrap(msg, BGP_MSG_KEEPALIVE, 0);
	msg[17] = 18;
	assert_int_equal(bgp_msg_frame(msg, len, BGP_MAX_LEN, &type, &err),
			 -CEN_EPROTO);
	assert_notify(&err, BGP_ERR_HEADER, BGP_ERR_HDR_LEN, "00 12");

	/* a KEEPALIVE is exactly 19 bytes */
	len = wrap(msg, BGP_MSG_KEEPALIVE, 1);
	assert_int_equal(bgp_msg_frame(msg, len, BGP_MAX_LEN, &type, &err),
			 -CEN_EPROTO);
	assert_notify(&err, BGP_ERR_HEADER, BGP_ERR_HDR_LEN, "00 14");

	/* an OPEN below 29 */
	len = wrap(msg, BGP_MSG_OPEN, 9);
	assert_int_equal(bgp_msg_frame(msg, len, BGP_MAX_LEN, &type, &err),
			 -CEN_EPROTO);
	assert_notify(&err, BGP_ERR_HEADER, BGP_ERR_HDR_LEN, "00 1c");

	/* 4097 bytes: too long, unless extended messages (not for OPEN) */
	len = wrap(msg, BGP_MSG_UPDATE, 4097 - 19);
	assert_int_equal(bgp_msg_frame(msg, len, BGP_MAX_LEN, &type, &err),
			 -CEN_EPROTO);
	assert_notify(&err, BGP_ERR_HEADER, BGP_ERR_HDR_LEN, "10 01");
	assert_int_equal(bgp_msg_frame(msg, len, BGP_EXT_MAX_LEN, &type, &err),
			 (int)len);
	len = wrap(msg, BGP_MSG_OPEN, 4097 - 19);
	assert_int_equal(bgp_msg_frame(msg, len, BGP_EXT_MAX_LEN, &type, &err),
			 -CEN_EPROTO);
	assert_notify(&err, BGP_ERR_HEADER, BGP_ERR_HDR_LEN, "10 01");
}

static void
test_bgp_msg_frame_unknown_type_is_bad_message_type(void **state)
{
	uint8_t msg[64];
	struct bgp_notify err;
	uint8_t type;
	size_t len = wrap(msg, 9, 4);

	assert_int_equal(bgp_msg_frame(msg, len, BGP_MAX_LEN, &type, &err),
			 -CEN_EPROTO);
	assert_notify(&err, BGP_ERR_HEADER, BGP_ERR_HDR_TYPE, "09");
}

static void
test_bgp_msg_parsers_check_their_header(void **state)
{
	uint8_t msg[64];
	struct bgp_notify err;
	struct bgp_open o;
	size_t len = wrap(msg, BGP_MSG_KEEPALIVE, 0);

	/* a KEEPALIVE is not an OPEN */
	assert_int_equal(bgp_msg_open_parse(msg, len, 0, &o, &err),
			 -CEN_EPROTO);
	assert_notify(&err, BGP_ERR_HEADER, BGP_ERR_HDR_TYPE, "04");
	/* length field disagreeing with the bytes given */
	assert_int_equal(bgp_msg_keepalive_parse(msg, len - 1, &err),
			 -CEN_EPROTO);
	assert_int_equal(err.subcode, BGP_ERR_HDR_LEN);
	assert_int_equal(bgp_msg_keepalive_parse(msg, len, &err), 0);
}

/* --- OPEN round trips --- */

static void
open_roundtrip(const struct bgp_open *in, struct bgp_open *out)
{
	struct bgp_notify err;
	struct wbuf w;

	wbuf_init(&w);
	assert_int_equal(bgp_msg_open_build(&w, in), 0);
	assert_int_equal(
		open_parse(w.data, w.len, bgp_msg_open_as(in), out, &err), 0);
	assert_int_equal(out->version, 4);
	assert_int_equal(out->holdtime, in->holdtime);
	assert_int_equal(out->bgp_id, in->bgp_id);
	assert_int_equal(bgp_msg_open_as(out), bgp_msg_open_as(in));
	assert_int_equal(out->caps.mp, in->caps.mp);
	assert_int_equal(out->caps.route_refresh, in->caps.route_refresh);
	assert_int_equal(out->caps.enhanced_rr, in->caps.enhanced_rr);
	assert_int_equal(out->caps.ext_msg, in->caps.ext_msg);
	assert_int_equal(out->caps.as4, in->caps.as4);
	assert_int_equal(out->caps.gr, in->caps.gr);
	assert_int_equal(out->caps.gr_flags, in->caps.gr_flags);
	assert_int_equal(out->caps.gr_time, in->caps.gr_time);
	assert_int_equal(out->caps.gr_aids, in->caps.gr_aids);
	assert_int_equal(out->caps.gr_fwd, in->caps.gr_fwd);
	assert_int_equal(out->caps.nunknown, 0);
	wbuf_free(&w);
}

static void
test_bgp_msg_open_roundtrip_every_capability(void **state)
{
	struct bgp_open in, out;
	struct wbuf w;

	memset(&in, 0, sizeof(in));
	in.holdtime = 90;
	in.bgp_id = 0x0a000001;
	in.caps.mp = BGP_AID_ALL;
	in.caps.route_refresh = true;
	in.caps.enhanced_rr = true;
	in.caps.ext_msg = true;
	in.caps.as4 = true;
	in.caps.as4_asn = 4200000001u;
	in.caps.gr = true;
	in.caps.gr_flags = BGP_GR_F_RESTART | BGP_GR_F_NOTIFICATION;
	in.caps.gr_time = 4095;
	in.caps.gr_aids = BGP_AID_ALL;
	in.caps.gr_fwd = BGP_AID_BIT(BGP_AID_IPV6);
	open_roundtrip(&in, &out);
	/* a 4-octet ASN goes out as AS_TRANS in My AS */
	assert_int_equal(out.as, BGP_AS_TRANS);
	assert_false(out.ext_params);

	/* a small ASN goes in My AS too */
	in.caps.as4_asn = 45104;
	open_roundtrip(&in, &out);
	assert_int_equal(out.as, 45104);

	/* no capabilities at all: no optional parameters */
	memset(&in.caps, 0, sizeof(in.caps));
	in.as = 65001;
	wbuf_init(&w);
	assert_int_equal(bgp_msg_open_build(&w, &in), 0);
	assert_int_equal(w.len, 29);
	wbuf_free(&w);
	open_roundtrip(&in, &out);
}

static void
test_bgp_msg_open_roundtrip_extended_parameters_rfc9072(void **state)
{
	struct bgp_open in, out;
	struct wbuf w;

	memset(&in, 0, sizeof(in));
	in.holdtime = 0;
	in.bgp_id = 0x0a000001;
	in.ext_params = true;
	in.caps.mp = BGP_AID_ALL;
	in.caps.as4 = true;
	in.caps.as4_asn = 65001;
	open_roundtrip(&in, &out);
	assert_true(out.ext_params);
	wbuf_init(&w);
	assert_int_equal(bgp_msg_open_build(&w, &in), 0);
	/* optlen 255, type 255, then a 2-byte length */
	assert_int_equal(w.data[28], 255);
	assert_int_equal(w.data[29], 255);
	assert_int_equal(w.data[30] << 8 | w.data[31], (int)w.len - 32);
	wbuf_free(&w);
}

static void
test_bgp_msg_open_build_rejects_invalid_fields(void **state)
{
	struct bgp_open in;
	struct wbuf w;

	memset(&in, 0, sizeof(in));
	in.as = 65001;
	in.holdtime = 2;
	in.bgp_id = 1;
	wbuf_init(&w);
	assert_int_equal(bgp_msg_open_build(&w, &in), -CEN_EINVAL);
	in.holdtime = 3;
	in.bgp_id = 0;
	assert_int_equal(bgp_msg_open_build(&w, &in), -CEN_EINVAL);
	assert_int_equal(w.len, 0);
	wbuf_free(&w);
}

static void
test_bgp_msg_caps_parse_merges_and_counts_unknown(void **state)
{
	uint8_t caps[64];
	struct bgp_caps c;
	struct bgp_notify err;
	size_t len = hex(caps, sizeof(caps),
			 MP6 "46 00 06 00 " GR "01 04 00 01 00 80");

	memset(&c, 0, sizeof(c));
	assert_int_equal(bgp_msg_caps_parse(caps, len, &c, &err), 0);
	/* the VPN family (SAFI 128) is not ours: not recorded */
	assert_int_equal(c.mp, BGP_AID_BIT(BGP_AID_IPV6));
	assert_true(c.enhanced_rr);
	assert_true(c.ext_msg);
	assert_true(c.gr);
	assert_int_equal(c.nunknown, 0);
}

static void
test_bgp_msg_negotiate_takes_what_both_sides_sent(void **state)
{
	struct bgp_caps l, r;
	struct bgp_opts o;

	memset(&l, 0, sizeof(l));
	memset(&r, 0, sizeof(r));
	bgp_msg_opts_init(&o, 45104, 65001);
	assert_true(o.ebgp);
	l.mp = BGP_AID_ALL;
	l.as4 = l.ext_msg = l.route_refresh = l.enhanced_rr = true;
	r.mp = BGP_AID_BIT(BGP_AID_IPV6);
	r.as4 = r.route_refresh = true;
	bgp_msg_negotiate(&o, &l, &r);
	assert_true(o.as4);
	assert_int_equal(o.aids, BGP_AID_BIT(BGP_AID_IPV6));
	assert_int_equal(o.maxlen, BGP_MAX_LEN);
	assert_true(o.route_refresh);
	assert_false(o.enhanced_rr);
	/* no multiprotocol capability from the peer: IPv4 unicast only */
	r.mp = 0;
	r.as4 = false;
	r.ext_msg = true;
	bgp_msg_negotiate(&o, &l, &r);
	assert_false(o.as4);
	assert_int_equal(o.aids, BGP_AID_BIT(BGP_AID_IPV4));
	assert_int_equal(o.maxlen, BGP_EXT_MAX_LEN);
}

/* --- KEEPALIVE, NOTIFICATION --- */

static void
test_bgp_msg_keepalive_roundtrip(void **state)
{
	struct bgp_notify err;
	struct wbuf w;

	wbuf_init(&w);
	assert_int_equal(bgp_msg_keepalive_build(&w), 0);
	assert_int_equal(w.len, 19);
	assert_int_equal(bgp_msg_keepalive_parse(w.data, w.len, &err), 0);
	wbuf_free(&w);
}

static void
test_bgp_msg_notification_roundtrip_with_data(void **state)
{
	static const uint8_t data[] = { 0x40, 0x01, 0x02, 0x00, 0x00 };
	static uint8_t big[8000];
	struct bgp_notify n;
	struct wbuf w;

	wbuf_init(&w);
	assert_int_equal(bgp_msg_notify_build(&w, BGP_ERR_UPDATE,
					      BGP_ERR_UPD_LENGTH, data,
					      sizeof(data)),
			 0);
	assert_int_equal(bgp_msg_notify_parse(w.data, w.len, &n), 0);
	assert_int_equal(n.code, BGP_ERR_UPDATE);
	assert_int_equal(n.subcode, BGP_ERR_UPD_LENGTH);
	assert_int_equal(n.datalen, sizeof(data));
	assert_memory_equal(bgp_msg_notify_data(&n), data, sizeof(data));
	/* data too long for a message is cut to fit 4096 bytes */
	wbuf_reset(&w);
	assert_int_equal(bgp_msg_notify_build(&w, BGP_ERR_UPDATE,
					      BGP_ERR_UPD_OPTIONAL, big,
					      sizeof(big)),
			 0);
	assert_int_equal(w.len, BGP_MAX_LEN);
	assert_int_equal(bgp_msg_notify_parse(w.data, w.len, &n), 0);
	assert_int_equal(n.datalen, BGP_MAX_LEN - 21);
	/* shorter than 21 bytes is no NOTIFICATION */
	assert_int_equal(bgp_msg_notify_parse(w.data, 20, &n), -CEN_EPROTO);
	wbuf_free(&w);
}

static void
test_bgp_msg_shutdown_communication_roundtrip_rfc8203(void **state)
{
	const char *msg = "maintenance window \xc3\xa9t\xc3\xa9 #42";
	char buf[256], longmsg[300];
	struct bgp_notify n;
	struct wbuf w;

	wbuf_init(&w);
	assert_int_equal(
		bgp_msg_shutdown_build(&w, BGP_CEASE_ADMIN_SHUTDOWN, msg), 0);
	assert_int_equal(bgp_msg_notify_parse(w.data, w.len, &n), 0);
	assert_int_equal(n.code, BGP_ERR_CEASE);
	assert_int_equal(n.subcode, BGP_CEASE_ADMIN_SHUTDOWN);
	assert_int_equal(bgp_msg_notify_shutdown(&n, buf, sizeof(buf)),
			 (int)strlen(msg));
	assert_string_equal(buf, msg);
	/* cut to the caller's buffer */
	assert_int_equal(bgp_msg_notify_shutdown(&n, buf, 5), 4);
	assert_string_equal(buf, "main");

	/* no message */
	wbuf_reset(&w);
	assert_int_equal(
		bgp_msg_shutdown_build(&w, BGP_CEASE_ADMIN_RESET, NULL), 0);
	assert_int_equal(bgp_msg_notify_parse(w.data, w.len, &n), 0);
	assert_int_equal(bgp_msg_notify_shutdown(&n, buf, sizeof(buf)),
			 -CEN_ENOENT);

	/* a length past the data, and bytes that are not UTF-8 */
	n.data = (const uint8_t *)"\x05"
				  "abc";
	n.datalen = 4;
	assert_int_equal(bgp_msg_notify_shutdown(&n, buf, sizeof(buf)),
			 -CEN_EPARSE);
	n.data = (const uint8_t *)"\x03"
				  "a\xc3(";
	assert_int_equal(bgp_msg_notify_shutdown(&n, buf, sizeof(buf)),
			 -CEN_EPARSE);
	/* other Cease subcodes carry no message */
	n.subcode = BGP_CEASE_MAX_PREFIX;
	assert_int_equal(bgp_msg_notify_shutdown(&n, buf, sizeof(buf)),
			 -CEN_ENOENT);

	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	assert_int_equal(
		bgp_msg_shutdown_build(&w, BGP_CEASE_ADMIN_SHUTDOWN, longmsg),
		-CEN_EINVAL);
	wbuf_free(&w);
}

/* --- ROUTE-REFRESH, End-of-RIB --- */

static void
test_bgp_msg_route_refresh_roundtrip_both_families(void **state)
{
	struct bgp_opts o;
	struct bgp_notify err;
	struct bgp_rr rr;
	struct wbuf w;

	bgp_msg_opts_init(&o, 65000, 65001);
	o.enhanced_rr = true;
	wbuf_init(&w);
	for (int aid = 0; aid < BGP_AID_MAX; aid++) {
		for (uint8_t st = BGP_RR_NORMAL; st <= BGP_RR_EORR; st++) {
			wbuf_reset(&w);
			assert_int_equal(bgp_msg_rr_build(&w, aid, st), 0);
			assert_int_equal(w.len, 23);
			assert_int_equal(
				bgp_msg_rr_parse(w.data, w.len, &o, &rr, &err),
				0);
			assert_int_equal(rr.aid, aid);
			assert_int_equal(rr.subtype, st);
		}
	}
	/* without enhanced route refresh the subtype byte is reserved */
	o.enhanced_rr = false;
	assert_int_equal(bgp_msg_rr_parse(w.data, w.len, &o, &rr, &err), 0);
	assert_int_equal(rr.subtype, BGP_RR_NORMAL);
	assert_int_equal(bgp_msg_rr_build(&w, BGP_AID_MAX, 0), -CEN_EINVAL);
	wbuf_free(&w);
}

static void
test_bgp_msg_route_refresh_bad_length_rfc7313(void **state)
{
	uint8_t msg[64];
	struct bgp_opts o;
	struct bgp_notify err;
	struct bgp_rr rr;
	size_t len = wrap(msg, BGP_MSG_ROUTE_REFRESH, 5);

	hex(msg + 19, 5, "00 01 00 01 00");
	bgp_msg_opts_init(&o, 65000, 65001);
	o.enhanced_rr = true;
	assert_int_equal(bgp_msg_rr_parse(msg, len, &o, &rr, &err),
			 -CEN_EPROTO);
	assert_int_equal(err.code, BGP_ERR_RREFRESH);
	assert_int_equal(err.subcode, BGP_ERR_RR_LENGTH);
	assert_int_equal(err.datalen, len); /* the whole message */
	o.enhanced_rr = false;
	assert_int_equal(bgp_msg_rr_parse(msg, len, &o, &rr, &err),
			 -CEN_EPROTO);
	assert_notify(&err, BGP_ERR_HEADER, BGP_ERR_HDR_LEN, "00 18");
}

static void
test_bgp_msg_route_refresh_unknown_family_parses_with_no_aid(void **state)
{
	uint8_t msg[64];
	struct bgp_opts o;
	struct bgp_notify err;
	struct bgp_rr rr;
	size_t len = wrap(msg, BGP_MSG_ROUTE_REFRESH, 4);

	hex(msg + 19, 4, "00 01 00 80");
	bgp_msg_opts_init(&o, 65000, 65001);
	assert_int_equal(bgp_msg_rr_parse(msg, len, &o, &rr, &err), 0);
	assert_int_equal(rr.aid, -1);
	assert_int_equal(rr.afi, 1);
	assert_int_equal(rr.safi, 128);
}

static void
test_bgp_msg_end_of_rib_bytes_rfc4724(void **state)
{
	uint8_t want[64];
	struct wbuf w;
	size_t wl;

	wbuf_init(&w);
	assert_int_equal(bgp_msg_eor_build(&w, BGP_AID_IPV4), 0);
	wl = hex(want, sizeof(want),
		 "ffffffffffffffffffffffffffffffff 0017 02 0000 0000");
	assert_int_equal(w.len, wl);
	assert_memory_equal(w.data, want, wl);
	wbuf_reset(&w);
	assert_int_equal(bgp_msg_eor_build(&w, BGP_AID_IPV6), 0);
	wl = hex(want, sizeof(want),
		 "ffffffffffffffffffffffffffffffff 001d 02 0000 0006 "
		 "80 0f 03 0002 01");
	assert_int_equal(w.len, wl);
	assert_memory_equal(w.data, want, wl);
	wbuf_free(&w);
}

/* --- the bounded reader and the writer --- */

static void
test_bgp_buf_reader_fails_when_short_and_stays_put(void **state)
{
	static const uint8_t b3[] = { 1, 2, 3 };
	struct buf b, sub;
	uint32_t v32;
	uint16_t v16;
	uint8_t v8, out[4];

	buf_init(&b, b3, sizeof(b3));
	assert_int_equal(buf_get_u32(&b, &v32), -CEN_EPARSE);
	assert_int_equal(buf_left(&b), 3);
	assert_int_equal(buf_get_sub(&b, 4, &sub), -CEN_EPARSE);
	assert_int_equal(buf_get_bytes(&b, out, 4), -CEN_EPARSE);
	assert_int_equal(buf_get_u16(&b, &v16), 0);
	assert_int_equal(v16, 0x0102);
	assert_int_equal(buf_get_u16(&b, &v16), -CEN_EPARSE);
	assert_int_equal(buf_get_sub(&b, 1, &sub), 0);
	assert_int_equal(buf_left(&b), 0);
	assert_int_equal(buf_get_u8(&sub, &v8), 0);
	assert_int_equal(v8, 3);
	assert_int_equal(buf_get_u8(&sub, &v8), -CEN_EPARSE);
	assert_int_equal(buf_skip(&b, 1), -CEN_EPARSE);
}

static void
test_bgp_buf_writer_grows_and_patches(void **state)
{
	struct wbuf w;

	wbuf_init(&w);
	for (uint32_t i = 0; i < 10000; i++)
		wbuf_put_u32(&w, i);
	assert_int_equal(w.len, 40000);
	assert_int_equal(wbuf_status(&w), 0);
	wbuf_set_u16(&w, 2, 0xbeef);
	assert_int_equal(w.data[2], 0xbe);
	assert_int_equal(w.data[3], 0xef);
	wbuf_set_u16(&w, 39999, 1); /* out of range: ignored */
	assert_int_equal(w.data[39999], 0x0f);
	assert_int_equal(w.data[39996 + 3], (9999 & 0xff));
	wbuf_truncate(&w, 10);
	assert_int_equal(w.len, 10);
	wbuf_free(&w);
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_bgp_msg_corpus_files_match_cases),
		cmocka_unit_test(test_bgp_msg_frame_waits_for_whole_message),
		cmocka_unit_test(
			test_bgp_msg_frame_wrong_marker_is_connection_not_synchronized),
		cmocka_unit_test(
			test_bgp_msg_frame_length_out_of_range_is_bad_message_length),
		cmocka_unit_test(
			test_bgp_msg_frame_unknown_type_is_bad_message_type),
		cmocka_unit_test(test_bgp_msg_parsers_check_their_header),
		cmocka_unit_test(test_bgp_msg_open_roundtrip_every_capability),
		cmocka_unit_test(
			test_bgp_msg_open_roundtrip_extended_parameters_rfc9072),
		cmocka_unit_test(
			test_bgp_msg_open_build_rejects_invalid_fields),
		cmocka_unit_test(
			test_bgp_msg_caps_parse_merges_and_counts_unknown),
		cmocka_unit_test(
			test_bgp_msg_negotiate_takes_what_both_sides_sent),
		cmocka_unit_test(test_bgp_msg_keepalive_roundtrip),
		cmocka_unit_test(test_bgp_msg_notification_roundtrip_with_data),
		cmocka_unit_test(
			test_bgp_msg_shutdown_communication_roundtrip_rfc8203),
		cmocka_unit_test(
			test_bgp_msg_route_refresh_roundtrip_both_families),
		cmocka_unit_test(test_bgp_msg_route_refresh_bad_length_rfc7313),
		cmocka_unit_test(
			test_bgp_msg_route_refresh_unknown_family_parses_with_no_aid),
		cmocka_unit_test(test_bgp_msg_end_of_rib_bytes_rfc4724),
		cmocka_unit_test(
			test_bgp_buf_reader_fails_when_short_and_stays_put),
		cmocka_unit_test(test_bgp_buf_writer_grows_and_patches),
	};
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	size_t ncases = sizeof(ocases) / sizeof(ocases[0]);
	struct CMUnitTest *tests = calloc(nfixed + ncases, sizeof(*tests));
	static char names[sizeof(ocases) / sizeof(ocases[0])][128];
	int rc;

	if (tests == NULL)
		return 1;
	memcpy(tests, fixed, sizeof(fixed));
	/* one test per corpus case, named for it */
	for (size_t i = 0; i < ncases; i++) {
		snprintf(names[i], sizeof(names[i]), "test_bgp_msg_open_%s",
			 ocases[i].name);
		tests[nfixed + i].name = names[i];
		tests[nfixed + i].test_func = run_ocase;
		tests[nfixed + i].initial_state = (void *)&ocases[i];
	}
	rc = _cmocka_run_group_tests("bgp_msg", tests, nfixed + ncases, NULL,
				     NULL);
	free(tests);
	return rc;
}
