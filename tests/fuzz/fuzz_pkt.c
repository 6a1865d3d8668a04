/*
 * fuzz_pkt.c - libFuzzer target for the forwarder's packet code
 * (dataplane/pkt.h).
 *
 * Any input is a frame for pkt_parse, which must not read past it and
 * must give a consistent pkt_info for what it accepts.  Accepted frames go
 * on to what the forwarder does with them: the hash, the TTL decrement
 * (after which the frame must parse again with the TTL one less), the
 * re-heading in place and into another buffer (the L3 packet unchanged),
 * ICMP time exceeded and unreachable errors (which must parse back as
 * ICMP with good checksums), and the ARP, ND and echo parsers (what they
 * accept is answered, and the answer must parse back the same).
 *
 * Random bytes rarely carry a good IPv4 header checksum, so every input is
 * also tried with the IPv4 header checksum and an ICMP or ICMPv6 checksum
 * set right; and, so that the fuzzer starts deep without a corpus, as a
 * change to one of a few good frames built here (ARP, NS, NA, echo, UDP,
 * TCP behind IPv6 extension headers, an ICMP error): the first byte picks
 * the frame, the rest is XORed over it, and its length is the frame's
 * or, with the first byte's high bit, the input's.
 *
 *   clang -fsanitize=fuzzer,address,undefined -I. dataplane/pkt.c \
 *     core/err.c tests/fuzz/fuzz_pkt.c
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "dataplane/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			abort();                                               \
	} while (0)

static const uint8_t mac_r[6] = { 0x02, 0xcc, 0, 0, 0, 1 };
static const uint8_t ip6_r[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

static void
check_info(const uint8_t *f, size_t len, const struct pkt_info *pi)
{
	CHECK(pi->family == 4 || pi->family == 6);
	CHECK(pi->l3_off == pi->l2_len && pi->l2_len >= PKT_ETH_HLEN);
	CHECK(pi->l4_off > pi->l3_off);
	CHECK(pi->l4_off <= (size_t)pi->l3_off + pi->ip_len);
	CHECK((size_t)pi->l3_off + pi->ip_len <= len);
	CHECK(pi->frag == 0 || (pi->sport == 0 && pi->dport == 0));
	if (pi->family == 4)
		CHECK(pkt_inet_csum(f + pi->l3_off, pi->l4_off - pi->l3_off) ==
		      0);
	else
		CHECK(pi->src6 == f + pi->l3_off + 8 &&
		      pi->dst6 == f + pi->l3_off + 24);
}

/* An ICMP or ICMPv6 error just built must parse as one. */
static void
check_error(const uint8_t *out, int n, int family)
{
	struct pkt_info po;
	size_t icmp_len;

	if (n == -CEN_EINVAL)
		return;
	CHECK(n > 0);
	CHECK(pkt_parse(out, (size_t)n, &po) == PKT_OK);
	CHECK(po.family == family);
	CHECK(po.ip_len <=
	      (family == 4 ? PKT_ICMP4_ERR_MAX : PKT_ICMP6_ERR_MAX));
	icmp_len = (size_t)po.l3_off + po.ip_len - po.l4_off;
	if (family == 4)
		CHECK(po.proto == PKT_IPPROTO_ICMP &&
		      pkt_inet_csum(out + po.l4_off, icmp_len) == 0);
	else
		CHECK(po.proto == PKT_IPPROTO_ICMPV6 &&
		      pkt_ip6_l4_csum(po.src6, po.dst6, PKT_IPPROTO_ICMPV6,
				      out + po.l4_off, icmp_len) == 0);
}

static void
forward(const uint8_t *f, size_t len, const struct pkt_info *pi)
{
	static uint8_t buf[PKT_HEADROOM + 65536 + 64], out[2048];
	static const struct pkt_l2 l2 = { .dst = { 2, 0, 0, 0, 0, 9 },
					  .src = { 2, 0xcc, 0, 0, 0, 1 },
					  .vlan = 7 };
	struct pkt_info p2;
	uint8_t *o, *copy = buf + PKT_HEADROOM;
	size_t olen;
	uint32_t h = pkt_hash5(pi);
	int n;

	/* TTL decrement in place */
	memcpy(copy, f, len);
	if (pi->ttl > 1) {
		pkt_ttl_dec(copy, pi);
		CHECK(pkt_parse(copy, len, &p2) == PKT_OK);
		CHECK(p2.ttl == pi->ttl - 1 && pkt_hash5(&p2) == h);
	}
	/* re-heading in place, untagged and tagged */
	for (uint16_t vlan = 0; vlan <= 1; vlan++) {
		memcpy(copy, f, len);
		olen = len;
		o = pkt_reframe(copy, &olen, pi, mac_r, copy + 6, vlan * 4000);
		CHECK(o >= buf && olen <= len + PKT_VLAN_HLEN);
		CHECK(pkt_parse(o, olen, &p2) == PKT_OK);
		CHECK(p2.vlan == vlan * 4000 && p2.ip_len == pi->ip_len);
		CHECK(memcmp(o + p2.l3_off, f + pi->l3_off, pi->ip_len) == 0);
	}
	n = pkt_reframe_copy(out, sizeof(out), f, len, pi, mac_r, mac_r, 5);
	if (n != -CEN_ETOOBIG) {
		CHECK(n > 0 && pkt_parse(out, (size_t)n, &p2) == PKT_OK);
		CHECK(p2.vlan == 5 && pkt_hash5(&p2) == h);
	}

	if (pi->family == 4) {
		n = pkt_icmp4_error_build(out, sizeof(out), &l2, 0xc0000201,
					  PKT_ICMP4_TIME_EXCEEDED, 0, 0, f, pi);
		check_error(out, n, 4);
		n = pkt_icmp4_error_build(out, sizeof(out), &l2, 0xc0000201,
					  PKT_ICMP4_UNREACH,
					  PKT_ICMP4_UNREACH_NET, 0, f, pi);
		check_error(out, n, 4);
	} else {
		n = pkt_icmp6_error_build(out, sizeof(out), &l2, ip6_r,
					  PKT_ICMP6_TIME_EXCEEDED, 0, 0, f, pi);
		check_error(out, n, 6);
		n = pkt_icmp6_error_build(out, sizeof(out), &l2, ip6_r,
					  PKT_ICMP6_PACKET_TOO_BIG, 0, 1280, f,
					  pi);
		check_error(out, n, 6);
	}
}

static void
control(const uint8_t *f, size_t len, const struct pkt_info *pi,
	enum pkt_verdict v)
{
	static uint8_t out[2048];
	struct pkt_info p2;
	struct pkt_arp arp, arp2;
	struct pkt_nd nd, nd2;
	struct pkt_echo e, e2;
	int n;

	if (v == PKT_ARP && pkt_arp_parse(f, len, pi, &arp) == 0) {
		n = pkt_arp_build(out, sizeof(out), pi->vlan, 2, mac_r, arp.tpa,
				  arp.sha, arp.spa, arp.sha);
		CHECK(n > 0 && pkt_parse(out, (size_t)n, &p2) == PKT_ARP);
		CHECK(pkt_arp_parse(out, (size_t)n, &p2, &arp2) == 0);
		CHECK(arp2.op == 2 && arp2.tpa == arp.spa &&
		      arp2.spa == arp.tpa && p2.vlan == pi->vlan);
	}
	if (v == PKT_ND && pkt_nd_parse(f, len, pi, &nd) == 0 &&
	    nd.type == PKT_ICMP6_ND_NS && nd.has_lladdr) {
		n = pkt_nd_na_build(out, sizeof(out), pi->vlan, mac_r,
				    nd.target, nd.lladdr, pi->src6, nd.target,
				    PKT_NA_F_SOLICITED | PKT_NA_F_OVERRIDE);
		if (n != -CEN_EINVAL) {
			CHECK(n > 0 &&
			      pkt_parse(out, (size_t)n, &p2) == PKT_ND);
			CHECK(pkt_nd_parse(out, (size_t)n, &p2, &nd2) == 0);
			CHECK(nd2.type == PKT_ICMP6_ND_NA && nd2.has_lladdr &&
			      memcmp(nd2.target, nd.target, 16) == 0);
		}
		n = pkt_nd_ns_build(out, sizeof(out), pi->vlan, mac_r, ip6_r,
				    nd.target, NULL);
		CHECK(n > 0 && pkt_parse(out, (size_t)n, &p2) == PKT_ND);
		CHECK(pkt_nd_parse(out, (size_t)n, &p2, &nd2) == 0);
	}
	if (v == PKT_OK && pkt_echo_parse(f, len, pi, &e) == 0) {
		static const struct pkt_l2 l2;

		if (pi->family == 4)
			n = pkt_echo4_build(out, sizeof(out), &l2, pi->dst4,
					    pi->src4, e.id, e.seq, e.data,
					    e.data_len);
		else
			n = pkt_echo6_build(out, sizeof(out), &l2, pi->dst6,
					    pi->src6, e.id, e.seq, e.data,
					    e.data_len);
		if (n != -CEN_ETOOBIG) {
			CHECK(n > 0 &&
			      pkt_parse(out, (size_t)n, &p2) == PKT_OK);
			CHECK(pkt_echo_parse(out, (size_t)n, &p2, &e2) == 0);
			CHECK(!e2.reply && e2.id == e.id && e2.seq == e.seq &&
			      e2.data_len == e.data_len &&
			      memcmp(e2.data, e.data, e.data_len) == 0);
		}
	}
}

static void
one(const uint8_t *f, size_t len)
{
	struct pkt_info pi;
	enum pkt_verdict v = pkt_parse(f, len, &pi);

	CHECK((unsigned)v < PKT_VERDICT_COUNT);
	CHECK(strcmp(pkt_verdict_name(v), "unknown") != 0);
	if (v == PKT_OK || v == PKT_ND)
		check_info(f, len, &pi);
	if (v == PKT_OK)
		forward(f, len, &pi);
	control(f, len, &pi, v);
}

/* Sets the IPv4 header checksum and, for an unfragmented ICMP or ICMPv6
 * packet, the ICMP checksum, where the headers are long enough. */
static void
fix_checksums(uint8_t *f, size_t len)
{
	struct pkt_info pi;
	uint8_t *h;
	size_t hl;

	pkt_parse(f, len, &pi);
	if (pi.ethertype == PKT_ETH_P_IP && len >= pi.l3_off + 20u) {
		h = f + pi.l3_off;
		hl = (size_t)(h[0] & 0x0f) * 4;
		if (hl >= 20 && len >= pi.l3_off + hl) {
			pkt_put16(h + 10, pkt_ip4_csum(h));
			pkt_parse(f, len, &pi);
		}
	}
	if (pi.family == 0 || pi.frag != 0 || pi.l4_off <= pi.l3_off ||
	    pi.l4_off + 8u > (size_t)pi.l3_off + pi.ip_len)
		return;
	h = f + pi.l4_off;
	hl = (size_t)pi.l3_off + pi.ip_len - pi.l4_off;
	if (pi.family == 4 && pi.proto == PKT_IPPROTO_ICMP) {
		pkt_put16(h + 2, 0);
		pkt_put16(h + 2, pkt_inet_csum(h, hl));
	} else if (pi.family == 6 && pi.proto == PKT_IPPROTO_ICMPV6) {
		pkt_put16(h + 2, 0);
		pkt_put16(h + 2, pkt_ip6_l4_csum(pi.src6, pi.dst6,
						 PKT_IPPROTO_ICMPV6, h, hl));
	}
}

#define NTEMPL 8

static uint8_t templ[NTEMPL][2048];
static size_t templ_len[NTEMPL];

static void
templ_init(void)
{
	static const struct pkt_l2 l2 = { .dst = { 2, 0, 0, 0, 0, 9 },
					  .src = { 2, 0, 0, 0, 0, 8 },
					  .vlan = 10 };
	static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 8 };
	struct pkt_info pi;
	uint8_t *h;
	int n;

	n = pkt_arp_build(templ[0], 2048, 0, 1, l2.src, 0x0a000001, NULL,
			  0x0a000002, NULL);
	templ_len[0] = (size_t)n;
	n = pkt_nd_ns_build(templ[1], 2048, 10, l2.src, src6, ip6_r, NULL);
	templ_len[1] = (size_t)n;
	n = pkt_nd_na_build(templ[2], 2048, 0, l2.src, src6, l2.dst, ip6_r,
			    src6, PKT_NA_F_SOLICITED);
	templ_len[2] = (size_t)n;
	n = pkt_echo4_build(templ[3], 2048, &l2, 0x0a000001, 0x0a000002, 1, 2,
			    NULL, 24);
	templ_len[3] = (size_t)n;
	n = pkt_echo6_build(templ[4], 2048, &l2, src6, ip6_r, 1, 2, NULL, 24);
	templ_len[4] = (size_t)n;
	/* UDP: the echo's IPv4 header with another protocol */
	memcpy(templ[5], templ[3], templ_len[3]);
	templ_len[5] = templ_len[3];
	h = templ[5] + 18;
	h[9] = PKT_IPPROTO_UDP;
	pkt_put16(h + 10, pkt_ip4_csum(h));
	/* TCP behind hop-by-hop and fragment headers (offset 0, M) */
	memcpy(templ[6], templ[4], 18 + 40);
	h = templ[6] + 18;
	h[6] = PKT_IPPROTO_HOPOPTS;
	memset(h + 40, 0, 16 + 20);
	h[40] = PKT_IPPROTO_FRAGMENT;
	h[48] = PKT_IPPROTO_TCP;
	pkt_put16(h + 50, 1);
	pkt_put16(h + 4, 16 + 20);
	templ_len[6] = 18 + 40 + 16 + 20;
	/* an ICMP error about the UDP packet */
	pkt_parse(templ[5], templ_len[5], &pi);
	n = pkt_icmp4_error_build(templ[7], 2048, &l2, 0x0a000003,
				  PKT_ICMP4_TIME_EXCEEDED, 0, 0, templ[5], &pi);
	templ_len[7] = (size_t)n;
	for (int i = 0; i < NTEMPL; i++)
		CHECK(templ_len[i] > 0 && templ_len[i] <= 2048);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	uint8_t *f;
	size_t n, t, flen;

	if (size > 65536)
		return 0;
	one(data, size);
	if ((f = malloc(size > 2048 ? size : 2048)) == NULL)
		return 0;
	memcpy(f, data, size);
	fix_checksums(f, size);
	one(f, size);

	if (!init) {
		templ_init();
		init = true;
	}
	if (size > 0) {
		t = data[0] % NTEMPL;
		n = size - 1;
		flen = (data[0] & 0x80) || n > templ_len[t] ? n : templ_len[t];
		for (size_t i = 0; i < flen; i++)
			f[i] = (uint8_t)((i < templ_len[t] ? templ[t][i] : 0) ^
					 (i < n ? data[1 + i] : 0));
		fix_checksums(f, flen);
		one(f, flen);
	}
	free(f);
	return 0;
}
