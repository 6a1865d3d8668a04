/*
 * fuzz_bgp_caps.c - libFuzzer target for capability parsing
 * (bgp_msg_caps_parse, RFC 5492) and the OPEN optional parameters around it
 * (RFC 4271 4.2, RFC 9072).
 *
 * The input is a capability list: parsed alone, then carried in an OPEN
 * both as one ordinary capabilities parameter and with the extended
 * (RFC 9072) encoding; all three must agree.  A malformed capability is
 * OPEN Message Error / Unspecific with data inside the input.  Capabilities
 * that parse are built into an OPEN again and must come back unchanged.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *     bgp/bgp_buf.c bgp/bgp_afi.c bgp/bgp_msg.c core/prefix.c core/err.c \
 *     tests/fuzz/fuzz_bgp_caps.c -lxxhash
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
	fprintf(stderr, "fuzz_bgp_caps: %s\n", what);
	abort();
}

static bool
caps_equal(const struct bgp_caps *a, const struct bgp_caps *b, bool unknown)
{
	return a->mp == b->mp && a->route_refresh == b->route_refresh &&
	       a->enhanced_rr == b->enhanced_rr && a->ext_msg == b->ext_msg &&
	       a->as4 == b->as4 && (!a->as4 || a->as4_asn == b->as4_asn) &&
	       a->gr == b->gr && a->gr_flags == b->gr_flags &&
	       a->gr_time == b->gr_time && a->gr_aids == b->gr_aids &&
	       a->gr_fwd == b->gr_fwd &&
	       (!unknown ||
		(a->nunknown == b->nunknown &&
		 memcmp(a->unknown, b->unknown, sizeof(a->unknown)) == 0));
}

/* An OPEN carrying the list, ordinary (ext false) or RFC 9072 encoded. */
static int
in_open(const uint8_t *caps, size_t len, bool ext, struct bgp_open *o,
	struct bgp_notify *err)
{
	static const uint8_t fixed[] = { 4, 0x5b, 0xa0, 0, 90, 10, 0, 0, 1 };
	size_t plen = (ext ? 3 : 2) + len, mlen;
	uint8_t *m;
	size_t at;
	int rc;

	mlen = BGP_HDR_LEN + sizeof(fixed) + (ext ? 4 : 1) + plen;
	if (mlen > BGP_MAX_LEN || (!ext && plen > 255))
		return 1; /* does not fit: not tried */
	if ((m = malloc(mlen)) == NULL)
		return 1;
	memset(m, 0xff, BGP_MARKER_LEN);
	m[16] = (uint8_t)(mlen >> 8);
	m[17] = (uint8_t)mlen;
	m[18] = BGP_MSG_OPEN;
	memcpy(m + BGP_HDR_LEN, fixed, sizeof(fixed));
	at = BGP_HDR_LEN + sizeof(fixed);
	if (ext) {
		m[at++] = 255;
		m[at++] = 255;
		m[at++] = (uint8_t)(plen >> 8);
		m[at++] = (uint8_t)plen;
		m[at++] = BGP_OPT_CAPABILITIES;
		m[at++] = (uint8_t)(len >> 8);
		m[at++] = (uint8_t)len;
	} else {
		m[at++] = (uint8_t)plen;
		m[at++] = BGP_OPT_CAPABILITIES;
		m[at++] = (uint8_t)len;
	}
	if (len > 0)
		memcpy(m + at, caps, len);
	rc = bgp_msg_open_parse(m, mlen, 0, o, err);
	free(m);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bgp_caps caps;
	struct bgp_open o, again;
	struct bgp_notify err;
	struct wbuf w;
	int rc, rc2;

	memset(&caps, 0, sizeof(caps));
	rc = bgp_msg_caps_parse(data, size, &caps, &err);
	if (rc != 0) {
		if (rc != -CEN_EPROTO || err.code != BGP_ERR_OPEN ||
		    err.subcode != BGP_ERR_OPEN_UNSPEC || err.data == NULL ||
		    err.data < data || err.data + err.datalen > data + size)
			bug("malformed capability not OPEN/Unspecific");
	}
	for (int ext = 0; ext < 2; ext++) {
		rc2 = in_open(data, size, ext, &o, &err);
		if (rc2 == 1)
			continue;
		if (rc != 0) {
			if (rc2 != -CEN_EPROTO || err.code != BGP_ERR_OPEN ||
			    err.subcode != BGP_ERR_OPEN_UNSPEC)
				bug("OPEN accepted a malformed capability");
			continue;
		}
		/* AS 0 or a My AS disagreeing with the capability is a
		 * Bad Peer AS, nothing else */
		if (rc2 != 0) {
			if (err.code != BGP_ERR_OPEN ||
			    err.subcode != BGP_ERR_OPEN_PEER_AS)
				bug("valid capabilities rejected");
			continue;
		}
		if (!caps_equal(&o.caps, &caps, true) || o.ext_params != ext)
			bug("capabilities differ inside an OPEN");
		wbuf_init(&w);
		if (bgp_msg_open_build(&w, &o) != 0 ||
		    bgp_msg_open_parse(w.data, w.len, 0, &again, &err) != 0 ||
		    !caps_equal(&again.caps, &caps, false))
			bug("capabilities round trip");
		wbuf_free(&w);
	}
	return 0;
}
