/*
 * fuzz_bgp_open.c - libFuzzer target for BGP framing and the small messages
 * (bgp/bgp.h): bgp_msg_frame, OPEN, KEEPALIVE, NOTIFICATION, ROUTE-REFRESH.
 *
 * The input is framed as a byte stream, then parsed as each message type:
 * as it is, and as the body of that type behind a correct header.  A parse
 * either succeeds or fails with -CEN_EPROTO and a NOTIFICATION whose data
 * lies inside the message.  A parsed OPEN is built again and must parse to
 * the same fields and capabilities.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *     bgp/bgp_buf.c bgp/bgp_afi.c bgp/bgp_msg.c core/prefix.c core/err.c \
 *     tests/fuzz/fuzz_bgp_open.c -lxxhash
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/bgp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
bug(const char *what)
{
	fprintf(stderr, "fuzz_bgp_open: %s\n", what);
	abort();
}

static void
check_err(int rc, const struct bgp_notify *err, const uint8_t *msg, size_t len)
{
	if (rc == 0)
		return;
	if (rc != -CEN_EPROTO)
		bug("parse failed with something else than EPROTO");
	if (err->code < BGP_ERR_HEADER || err->code > BGP_ERR_RREFRESH)
		bug("NOTIFICATION code out of range");
	if (err->data != NULL &&
	    (err->data < msg || err->data + err->datalen > msg + len))
		bug("NOTIFICATION data outside the message");
	if (err->data == NULL && err->datalen > sizeof(err->inl))
		bug("inline NOTIFICATION data too long");
}

static void
open_again(const struct bgp_open *o)
{
	struct bgp_open again;
	struct bgp_notify err;
	struct wbuf w;

	wbuf_init(&w);
	if (bgp_msg_open_build(&w, o) != 0)
		bug("cannot build a parsed OPEN");
	if (bgp_msg_open_parse(w.data, w.len, bgp_msg_open_as(o), &again,
			       &err) != 0)
		bug("built OPEN does not parse");
	if (again.holdtime != o->holdtime || again.bgp_id != o->bgp_id ||
	    bgp_msg_open_as(&again) != bgp_msg_open_as(o) ||
	    again.caps.mp != o->caps.mp || again.caps.as4 != o->caps.as4 ||
	    again.caps.route_refresh != o->caps.route_refresh ||
	    again.caps.enhanced_rr != o->caps.enhanced_rr ||
	    again.caps.ext_msg != o->caps.ext_msg ||
	    again.caps.gr != o->caps.gr ||
	    again.caps.gr_flags != o->caps.gr_flags ||
	    again.caps.gr_time != o->caps.gr_time ||
	    again.caps.gr_aids != o->caps.gr_aids ||
	    again.caps.gr_fwd != o->caps.gr_fwd)
		bug("OPEN round trip changed it");
	wbuf_free(&w);
}

static void
parse_all(const uint8_t *msg, size_t len, uint8_t sel)
{
	struct bgp_notify err, n;
	struct bgp_opts o;
	struct bgp_open op;
	struct bgp_rr rr;
	char sd[256];
	uint8_t type;
	int rc;

	rc = bgp_msg_frame(msg, len, sel & 1 ? BGP_EXT_MAX_LEN : BGP_MAX_LEN,
			   &type, &err);
	check_err(rc < 0 ? rc : 0, &err, msg, len);
	if (rc > 0 && (size_t)rc > len)
		bug("frame longer than the input");

	rc = bgp_msg_open_parse(msg, len, sel & 2 ? 65001 : 0, &op, &err);
	check_err(rc, &err, msg, len);
	if (rc == 0)
		open_again(&op);
	check_err(bgp_msg_keepalive_parse(msg, len, &err), &err, msg, len);
	if (bgp_msg_notify_parse(msg, len, &n) == 0) {
		if (n.data + n.datalen != msg + len)
			bug("NOTIFICATION data is not the rest");
		rc = bgp_msg_notify_shutdown(&n, sd, sel & 4 ? 8 : sizeof(sd));
		if (rc >= 0 && strlen(sd) != (size_t)rc)
			bug("shutdown message length");
	}
	bgp_msg_opts_init(&o, 65000, 65001);
	o.enhanced_rr = sel & 8;
	check_err(bgp_msg_rr_parse(msg, len, &o, &rr, &err), &err, msg, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t types[] = { BGP_MSG_OPEN, BGP_MSG_KEEPALIVE,
					 BGP_MSG_NOTIFICATION,
					 BGP_MSG_ROUTE_REFRESH };
	uint8_t sel = size > 0 ? data[0] : 0;
	uint8_t *msg;

	parse_all(data, size, sel);
	if (size + BGP_HDR_LEN > BGP_EXT_MAX_LEN)
		return 0;
	if ((msg = malloc(size + BGP_HDR_LEN)) == NULL)
		return 0;
	memset(msg, 0xff, BGP_MARKER_LEN);
	msg[16] = (uint8_t)((size + BGP_HDR_LEN) >> 8);
	msg[17] = (uint8_t)(size + BGP_HDR_LEN);
	if (size > 0)
		memcpy(msg + BGP_HDR_LEN, data, size);
	for (size_t i = 0; i < sizeof(types); i++) {
		msg[18] = types[i];
		parse_all(msg, size + BGP_HDR_LEN, (uint8_t)(sel + i));
	}
	free(msg);
	return 0;
}
