/*
 * fuzz_bgp_mp.c - libFuzzer target for the multiprotocol attributes
 * (RFC 4760 MP_REACH_NLRI / MP_UNREACH_NLRI) and the per-family NLRI and
 * next hop codecs behind them (bgp/bgp_afi.c).
 *
 * The first byte chooses a session; the rest is an attribute value,
 * carried in an UPDATE (with ORIGIN and AS_PATH, as the first attribute as
 * RFC 7606 5.1 wants it) as MP_REACH and as MP_UNREACH, and also fed to
 * every family's NLRI and next hop decoders directly.  NLRI that check
 * must decode to exactly their count and encode back to NLRI that decode to
 * the same prefixes.  A malformed MP attribute must reset the session or
 * disable the family, never be treat-as-withdraw with it unfound.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *     bgp/bgp_buf.c bgp/bgp_afi.c bgp/bgp_msg.c bgp/bgp_update.c \
 *     bgp/bgp_update_build.c core/attr.c core/prefix.c core/err.c \
 *     core/hmap.c core/slab.c tests/fuzz/fuzz_bgp_mp.c -lxxhash
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/bgp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct attr_store store;

static void
bug(const char *what)
{
	fprintf(stderr, "fuzz_bgp_mp: %s\n", what);
	abort();
}

/* NLRI codec of one family on raw bytes. */
static void
nlri_codec(const struct bgp_afi *af, const uint8_t *p, size_t len)
{
	static struct prefix a[65536], b[65536];
	struct bgp_nlri n = { p, (uint32_t)len, 0, af->aid }, n2;
	struct prefix nh, ll;
	struct wbuf w;
	uint32_t count, c2;
	size_t k;

	if (af->nh_get(p, len, &nh, &ll) == 0) {
		if (nh.family != af->family)
			bug("next hop of the wrong family");
		wbuf_init(&w);
		if (af->nh_size(&nh, &ll) != len)
			bug("next hop size differs from its length");
		af->nh_put(&w, &nh, &ll);
		if (w.failed || w.len != len || memcmp(w.data, p, len) != 0)
			bug("next hop round trip");
		wbuf_free(&w);
		(void)af->nh_valid(&nh);
	}
	if (af->nlri_check(p, len, &count) != 0)
		return;
	n.count = count;
	if ((k = bgp_afi_decode(&n, a, 65536)) != count)
		bug("NLRI check and decode disagree");
	wbuf_init(&w);
	for (size_t i = 0; i < k; i++) {
		if (af->nlri_size(&a[i]) > 17)
			bug("NLRI size");
		af->nlri_put(&w, &a[i]);
	}
	if (w.failed || w.len != len)
		bug("NLRI re-encoding changed the length");
	if (af->nlri_check(w.data, w.len, &c2) != 0 || c2 != count)
		bug("re-encoded NLRI do not check");
	n2 = (struct bgp_nlri){ w.data, (uint32_t)w.len, c2, af->aid };
	if (bgp_afi_decode(&n2, b, 65536) != k ||
	    memcmp(a, b, k * sizeof(a[0])) != 0)
		bug("NLRI round trip");
	wbuf_free(&w);
}

static void
in_update(const uint8_t *val, size_t len, uint8_t type, uint8_t sel)
{
	static const uint8_t rest[] = {
		0x40, 1, 1, 0, /* ORIGIN */
		0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xe9
	}; /* AS_PATH */
	size_t alen = 4 + len + sizeof(rest), mlen = 23 + alen;
	struct bgp_update u;
	struct bgp_opts o;
	uint8_t *m;

	if (mlen > BGP_EXT_MAX_LEN || (m = malloc(mlen)) == NULL)
		return;
	memset(m, 0xff, BGP_MARKER_LEN);
	m[16] = (uint8_t)(mlen >> 8);
	m[17] = (uint8_t)mlen;
	m[18] = BGP_MSG_UPDATE;
	m[19] = m[20] = 0;
	m[21] = (uint8_t)(alen >> 8);
	m[22] = (uint8_t)alen;
	m[23] = BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_EXTLEN;
	m[24] = type;
	m[25] = (uint8_t)(len >> 8);
	m[26] = (uint8_t)len;
	if (len > 0)
		memcpy(m + 27, val, len);
	memcpy(m + 27 + len, rest, sizeof(rest));

	bgp_msg_opts_init(&o, 65000, 65001);
	o.afi_disable = sel & 1;
	o.maxlen = BGP_EXT_MAX_LEN;
	o.aids = sel & 2 ? BGP_AID_BIT(BGP_AID_IPV6) : BGP_AID_ALL;
	o.ebgp = sel & 4;
	if (bgp_update_parse(m, mlen, &o, &store, &u) == 0) {
		bool mp_err = u.err.kind == BGP_UERR_MP_MALFORMED ||
			      u.err.kind == BGP_UERR_MP_NEXTHOP_LENGTH ||
			      u.err.kind == BGP_UERR_MP_PREFIX;

		if (mp_err && u.err.action != BGP_ACT_RESET &&
		    u.err.action != BGP_ACT_AFI_DISABLE)
			bug("malformed MP attribute not reset or disable");
		if (u.err.action == BGP_ACT_AFI_DISABLE &&
		    (!o.afi_disable || u.err.aid >= BGP_AID_MAX))
			bug("AFI/SAFI disable not allowed");
		for (unsigned i = 0; i < u.nreach; i++)
			if (u.reach[i].attrs == NULL ||
			    !(o.aids & BGP_AID_BIT(u.reach[i].nlri.aid)))
				bug("announcement of a family not asked for");
		bgp_update_free(&store, &u);
	}
	if (store.bytes != 0)
		bug("attribute references leaked");
	free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	uint8_t sel;

	if (!init) {
		attr_store_init(&store);
		init = true;
	}
	if (size == 0)
		return 0;
	sel = data[0];
	data++;
	size--;
	for (int aid = 0; aid < BGP_AID_MAX; aid++)
		nlri_codec(bgp_afi_get(aid), data, size);
	in_update(data, size, BGP_ATTR_MP_REACH, sel);
	in_update(data, size, BGP_ATTR_MP_UNREACH, sel);
	return 0;
}
