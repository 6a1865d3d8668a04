/*
 * fuzz_bgp_update.c - libFuzzer target for UPDATE parsing (bgp/bgp.h,
 * bgp_update_parse) and, through it, the UPDATE builder.
 *
 * The input is tried as a whole message and as the body of one behind a
 * correct header, under several sessions (4-octet and 2-octet AS, eBGP
 * and iBGP, AFI/SAFI disable, extended messages).  Whatever it is, the
 * parse must give a clean verdict: a reset leaves nothing to apply; every
 * run of NLRI decodes to exactly its count of canonical prefixes; every
 * announced set is interned.  Announcements are then built again from what
 * was parsed and parsed back: on a 4-octet session the very same interned
 * set must come back, on a 2-octet one (where AS4_PATH rules may reorder a
 * path) at least no reset.  Nothing may leak from the attribute store.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *     bgp/bgp_buf.c bgp/bgp_afi.c bgp/bgp_msg.c bgp/bgp_update.c \
 *     bgp/bgp_update_build.c core/attr.c core/prefix.c core/err.c \
 *     core/hmap.c core/slab.c tests/fuzz/fuzz_bgp_update.c -lxxhash
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/bgp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PFX_MAX 65536

static struct attr_store store;
static struct prefix pfx[PFX_MAX];

static void
bug(const char *what)
{
	fprintf(stderr, "fuzz_bgp_update: %s\n", what);
	abort();
}

/* Decodes a run, checking count and canonical form; returns how many. */
static size_t
decode_run(const struct bgp_nlri *n, struct prefix *out, size_t max)
{
	const struct bgp_afi *af = bgp_afi_get(n->aid);
	struct bgp_nlri_iter it;
	struct prefix p;
	size_t k = 0;

	if (af == NULL)
		bug("run of unknown family");
	bgp_afi_iter_init(&it, n);
	while (bgp_afi_iter_next(&it, &p)) {
		struct prefix c = p;

		if (p.family != af->family || p.len > af->maxlen)
			bug("prefix of the wrong family or length");
		prefix_canon(&c);
		if (memcmp(&c, &p, sizeof(p)) != 0)
			bug("prefix not canonical");
		if (k < max)
			out[k] = p;
		k++;
	}
	if (k != n->count)
		bug("run count differs from its prefixes");
	return k;
}

static void
rebuild(const struct bgp_opts *o, const struct bgp_reach *r)
{
	size_t n = decode_run(&r->nlri, pfx, PFX_MAX), done = 0;
	const struct prefix *ll =
		r->nexthop_ll.family != PREFIX_AF_NONE ? &r->nexthop_ll : NULL;

	while (done < n) {
		struct bgp_update u;
		struct wbuf w;
		int k;

		wbuf_init(&w);
		k = bgp_update_build_reach(&w, o, r->nlri.aid, r->attrs, ll,
					   pfx + done, n - done);
		if (k == -CEN_ETOOBIG || k == -CEN_ENOMEM) {
			wbuf_free(&w);
			return;
		}
		if (k <= 0)
			bug("cannot build what was parsed");
		if (w.len > o->maxlen)
			bug("built message too long");
		if (bgp_update_parse(w.data, w.len, o, &store, &u) != 0)
			bug("out of memory");
		if (o->as4) {
			if (u.err.action != BGP_ACT_NONE || u.nreach != 1 ||
			    u.reach[0].attrs != r->attrs ||
			    u.reach[0].nlri.count != (uint32_t)k)
				bug("round trip changed the announcement");
		} else if (u.err.action == BGP_ACT_RESET) {
			bug("round trip on a 2-octet session resets");
		}
		bgp_update_free(&store, &u);
		wbuf_free(&w);
		done += (size_t)k;
	}
}

static void
run(const uint8_t *msg, size_t len, const struct bgp_opts *o)
{
	struct bgp_update u;

	if (bgp_update_parse(msg, len, o, &store, &u) != 0)
		return; /* out of memory: u is empty */
	if (u.err.action > BGP_ACT_RESET || u.err.kind >= BGP_UERR_MAX_)
		bug("verdict out of range");
	if ((u.err.action == BGP_ACT_NONE) != (u.err.nerrors == 0))
		bug("errors without a verdict");
	if (u.err.action == BGP_ACT_RESET &&
	    (u.nreach != 0 || u.nwithdrawn != 0 || u.err.notify.code == 0))
		bug("reset with something to apply or no NOTIFICATION");
	if (u.err.action == BGP_ACT_WITHDRAW && u.nreach != 0)
		bug("treat-as-withdraw with announcements");
	if (u.nwithdrawn > BGP_UPD_WITHDRAWN_MAX ||
	    u.nreach > BGP_UPD_REACH_MAX)
		bug("too many runs");
	if (u.err.notify.data != NULL &&
	    (u.err.notify.data < msg ||
	     u.err.notify.data + u.err.notify.datalen > msg + len))
		bug("NOTIFICATION data outside the message");
	for (unsigned i = 0; i < u.nwithdrawn; i++)
		decode_run(&u.withdrawn[i], pfx, PFX_MAX);
	for (unsigned i = 0; i < u.nreach; i++) {
		if (u.reach[i].attrs == NULL ||
		    !prefix_equal(&u.reach[i].attrs->nexthop,
				  &u.reach[i].nexthop))
			bug("announcement without its attributes");
		rebuild(o, &u.reach[i]);
	}
	bgp_update_free(&store, &u);
	if (store.bytes != 0)
		bug("attribute references leaked");
}

static void
sessions(const uint8_t *msg, size_t len, uint8_t sel)
{
	struct bgp_opts o;

	bgp_msg_opts_init(&o, 65000, sel & 1 ? 65000 : 65001);
	o.as4 = !(sel & 2);
	o.afi_disable = sel & 4;
	o.maxlen = sel & 8 ? BGP_EXT_MAX_LEN : BGP_MAX_LEN;
	o.enforce_first_as = o.ebgp && !(sel & 16);
	run(msg, len, &o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	uint8_t *msg;
	uint8_t sel = size > 0 ? data[size - 1] : 0;

	if (!init) {
		attr_store_init(&store);
		init = true;
	}
	/* as it is, under two sessions chosen by the last byte */
	sessions(data, size, sel);
	sessions(data, size, (uint8_t)(sel ^ 0x1b));
	/* as the body of an UPDATE behind a good header */
	if (size + BGP_HDR_LEN > BGP_EXT_MAX_LEN)
		return 0;
	msg = malloc(size + BGP_HDR_LEN);
	if (msg == NULL)
		return 0;
	memset(msg, 0xff, BGP_MARKER_LEN);
	msg[16] = (uint8_t)((size + BGP_HDR_LEN) >> 8);
	msg[17] = (uint8_t)(size + BGP_HDR_LEN);
	msg[18] = BGP_MSG_UPDATE;
	if (size > 0)
		memcpy(msg + BGP_HDR_LEN, data, size);
	for (uint8_t s = 0; s < 4; s++)
		sessions(msg, size + BGP_HDR_LEN, (uint8_t)(sel ^ s ^ 8));
	free(msg);
	return 0;
}
