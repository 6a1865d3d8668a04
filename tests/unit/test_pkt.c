/*
 * test_pkt.c - packet parsing and rewriting (dataplane/pkt.[ch]): frames
 * built here byte by byte (IPv4 and IPv6; TCP, UDP, ICMP; untagged, one and
 * two tags; IPv6 extension headers and fragments) parsed field by field;
 * every truncation of them and malformed headers rejected with the right
 * verdict; random mutations parsed within bounds; the incremental TTL
 * checksum against a full recomputation over many random headers; the
 * L2 rewrites; the 5-tuple hash's spread and avalanche; and ARP, ND, ICMP
 * errors and echo built, parsed back and their checksums checked with a
 * checksum written here, not pkt.c's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "dataplane/pkt.h"

/* xorshift64: fixed seeds give the same packets everywhere. */
static uint64_t rng_state;

static void
rng_seed(uint64_t seed)
{
	rng_state = seed != 0 ? seed : 1;
}

static uint64_t
rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static uint32_t
rng_below(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

static void
rng_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rng();
}

/* The reference checksum: byte by byte, folded at every step (pieces
 * chained through ref_sum must have even lengths). */
static uint32_t
ref_sum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i < n; i++) {
		s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
		s = (s & 0xffff) + (s >> 16);
	}
	return s;
}

static uint16_t
ref_csum(const uint8_t *p, size_t n)
{
	return (uint16_t)~ref_sum(p, n, 0);
}

/* The IPv6 pseudo-header (RFC 8200 8.1) and the upper-layer packet. */
static uint16_t
ref_csum6(const uint8_t *src, const uint8_t *dst, uint8_t nh, const uint8_t *l4,
	  size_t n)
{
	uint8_t ph[40] = { 0 };
	uint32_t s;

	memcpy(ph, src, 16);
	memcpy(ph + 16, dst, 16);
	ph[32] = (uint8_t)(n >> 24);
	ph[33] = (uint8_t)(n >> 16);
	ph[34] = (uint8_t)(n >> 8);
	ph[35] = (uint8_t)n;
	ph[39] = nh;
	s = ref_sum(ph, sizeof(ph), 0);
	return (uint16_t)~ref_sum(l4, n, s);
}

static uint16_t
ref_csum4(uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *l4,
	  size_t n)
{
	uint8_t ph[12];

	pkt_put32(ph, src);
	pkt_put32(ph + 4, dst);
	ph[8] = 0;
	ph[9] = proto;
	pkt_put16(ph + 10, (uint16_t)n);
	return (uint16_t)~ref_sum(l4, n, ref_sum(ph, sizeof(ph), 0));
}

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t mac_r[6] = { 0x02, 0xcc, 0, 0, 0, 0x01 };

static void
ip6(const char *s, uint8_t out[16])
{
	/* a small parser for the forms used here: groups, one "::" */
	uint16_t head[8], tail[8];
	size_t nh = 0, nt = 0;
	bool gap = false;

	while (*s != '\0') {
		if (s[0] == ':' && s[1] == ':') {
			gap = true;
			s += 2;
			continue;
		}
		if (*s == ':') {
			s++;
			continue;
		}
		{
			char *end;
			unsigned long v = strtoul(s, &end, 16);

			if (gap)
				tail[nt++] = (uint16_t)v;
			else
				head[nh++] = (uint16_t)v;
			s = end;
		}
	}
	memset(out, 0, 16);
	for (size_t i = 0; i < nh; i++)
		pkt_put16(out + 2 * i, head[i]);
	for (size_t i = 0; i < nt; i++)
		pkt_put16(out + 16 - 2 * (nt - i), tail[i]);
}

#define V4(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

/*
 * Frames built by hand.
 */
struct mk {
	int ntags;
	uint16_t tpid[3], vid[3];
	int family; /* 4 or 6 */
	uint8_t proto;
	uint8_t ttl;
	uint32_t src4, dst4;
	uint8_t src6[16], dst6[16];
	uint16_t sport, dport;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq;
	uint16_t frag4;	    /* IPv4 flags and fragment offset word */
	size_t opt4;	    /* IPv4 option bytes, a multiple of 4 */
	const uint8_t *ext; /* IPv6 extension headers, raw */
	size_t ext_len;
	uint8_t ext_nh; /* the IPv6 header's next header when ext is set */
	bool no_l4;	/* no transport header (a later fragment) */
	size_t paylen;
	size_t pad; /* Ethernet padding after the IP packet */
};

static void
mk_defaults(struct mk *m, int family, uint8_t proto)
{
	memset(m, 0, sizeof(*m));
	m->family = family;
	m->proto = proto;
	m->ttl = 64;
	m->src4 = V4(10, 1, 1, 1);
	m->dst4 = V4(10, 2, 2, 2);
	ip6("2001:db8:1::1", m->src6);
	ip6("2001:db8:2::2", m->dst6);
	m->sport = 40000;
	m->dport = 443;
	m->icmp_type = family == 4 ? 8 : 128;
	m->icmp_id = 0x1234;
	m->icmp_seq = 7;
	m->paylen = 16;
}

static size_t
l4_hlen(const struct mk *m)
{
	if (m->no_l4)
		return 0;
	switch (m->proto) {
	case PKT_IPPROTO_TCP:
		return 20;
	case PKT_IPPROTO_SCTP:
		return 12;
	case PKT_IPPROTO_UDP:
	case PKT_IPPROTO_ICMP:
	case PKT_IPPROTO_ICMPV6:
		return 8;
	default:
		return 0;
	}
}

/* Writes the frame into f (room for 2048 bytes); returns its length. */
static size_t
mk_frame(uint8_t *f, const struct mk *m)
{
	size_t off = 12, l3, l4, l4n, iplen;
	uint8_t *p;

	memcpy(f, mac_b, 6);
	memcpy(f + 6, mac_a, 6);
	for (int i = 0; i < m->ntags; i++) {
		pkt_put16(f + off, m->tpid[i]);
		pkt_put16(f + off + 2, m->vid[i]);
		off += 4;
	}
	pkt_put16(f + off, m->family == 4 ? 0x0800 : 0x86dd);
	l3 = off + 2;
	l4n = l4_hlen(m) + m->paylen;
	if (m->family == 4) {
		size_t hl = 20 + m->opt4;

		p = f + l3;
		memset(p, 0, hl);
		p[0] = (uint8_t)(0x40 | hl / 4);
		iplen = hl + l4n;
		pkt_put16(p + 2, (uint16_t)iplen);
		pkt_put16(p + 4, 0xbeef);
		pkt_put16(p + 6, m->frag4);
		p[8] = m->ttl;
		p[9] = m->proto;
		pkt_put32(p + 12, m->src4);
		pkt_put32(p + 16, m->dst4);
		for (size_t i = 20; i < hl; i++)
			p[i] = 1; /* NOP options */
		pkt_put16(p + 10, ref_csum(p, hl));
		l4 = l3 + hl;
	} else {
		p = f + l3;
		memset(p, 0, 40);
		p[0] = 0x60;
		iplen = 40 + m->ext_len + l4n;
		pkt_put16(p + 4, (uint16_t)(iplen - 40));
		p[6] = m->ext != NULL ? m->ext_nh : m->proto;
		p[7] = m->ttl;
		memcpy(p + 8, m->src6, 16);
		memcpy(p + 24, m->dst6, 16);
		if (m->ext_len != 0)
			memcpy(p + 40, m->ext, m->ext_len);
		l4 = l3 + 40 + m->ext_len;
	}
	p = f + l4;
	memset(p, 0, l4_hlen(m));
	for (size_t i = 0; i < m->paylen; i++)
		p[l4_hlen(m) + i] = (uint8_t)(0xa0 + i);
	if (!m->no_l4) {
		switch (m->proto) {
		case PKT_IPPROTO_TCP:
		case PKT_IPPROTO_UDP:
		case PKT_IPPROTO_SCTP:
			pkt_put16(p, m->sport);
			pkt_put16(p + 2, m->dport);
			if (m->proto == PKT_IPPROTO_TCP)
				p[12] = 0x50;
			if (m->proto == PKT_IPPROTO_UDP)
				pkt_put16(p + 4, (uint16_t)l4n);
			break;
		case PKT_IPPROTO_ICMP:
		case PKT_IPPROTO_ICMPV6:
			p[0] = m->icmp_type;
			p[1] = m->icmp_code;
			pkt_put16(p + 4, m->icmp_id);
			pkt_put16(p + 6, m->icmp_seq);
			break;
		}
		if (m->proto == PKT_IPPROTO_ICMP && m->family == 4)
			pkt_put16(p + 2, ref_csum(p, l4n));
		else if (m->proto == PKT_IPPROTO_ICMPV6 && m->family == 6 &&
			 m->ext == NULL)
			pkt_put16(p + 2,
				  ref_csum6(m->src6, m->dst6, 58, p, l4n));
		else if (m->proto == PKT_IPPROTO_UDP && m->family == 4)
			pkt_put16(p + 6,
				  ref_csum4(m->src4, m->dst4, 17, p, l4n));
	}
	memset(f + l3 + iplen, 0, m->pad);
	return l3 + iplen + m->pad;
}

/* A copy of exactly len bytes, so that ASan sees any read past the end. */
static enum pkt_verdict
parse_exact(const uint8_t *f, size_t len, struct pkt_info *pi)
{
	uint8_t *c = malloc(len);
	enum pkt_verdict v;

	assert_true(c != NULL || len == 0);
	if (len != 0)
		memcpy(c, f, len);
	v = pkt_parse(c, len, pi);
	/* pointers into the copy are not used after it is freed */
	pi->src6 = pi->src6 != NULL ? f + (pi->src6 - c) : NULL;
	pi->dst6 = pi->dst6 != NULL ? f + (pi->dst6 - c) : NULL;
	free(c);
	return v;
}

/*
 * pkt_parse: fields
 */

static void
test_parse_ipv4_udp_untagged_fills_every_field(void **state)
{
	uint8_t f[2048];
	struct pkt_info pi;
	struct mk m;
	size_t len;

	(void)state;
	mk_defaults(&m, 4, PKT_IPPROTO_UDP);
	len = mk_frame(f, &m);
	assert_int_equal(parse_exact(f, len, &pi), PKT_OK);
	assert_int_equal(pi.l2_len, 14);
	assert_int_equal(pi.l3_off, 14);
	assert_int_equal(pi.l4_off, 34);
	assert_int_equal(pi.vlan, 0);
	assert_int_equal(pi.vlan_inner, 0);
	assert_int_equal(pi.ethertype, 0x0800);
	assert_int_equal(pi.family, 4);
	assert_int_equal(pi.proto, 17);
	assert_int_equal(pi.ip_len, 20 + 8 + 16);
	assert_int_equal(pi.ttl, 64);
	assert_int_equal(pi.frag, 0);
	assert_int_equal(pi.sport, 40000);
	assert_int_equal(pi.dport, 443);
	assert_int_equal(pi.src4, V4(10, 1, 1, 1));
	assert_int_equal(pi.dst4, V4(10, 2, 2, 2));
	assert_null(pi.src6);
	assert_null(pi.dst6);
}

static void
test_parse_ipv4_tcp_one_tag_reports_vid_and_offsets(void **state)
{
	uint8_t f[2048];
	struct pkt_info pi;
	struct mk m;

	(void)state;
	mk_defaults(&m, 4, PKT_IPPROTO_TCP);
	m.ntags = 1;
	m.tpid[0] = 0x8100;
	m.vid[0] = 0xe000 | 100; /* priority 7 is not part of the VID */
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_int_equal(pi.l2_len, 18);
	assert_int_equal(pi.l3_off, 18);
	assert_int_equal(pi.l4_off, 38);
	assert_int_equal(pi.vlan, 100);
	assert_int_equal(pi.proto, 6);
	assert_int_equal(pi.sport, 40000);
	assert_int_equal(pi.dport, 443);
	assert_int_equal(pi.ip_len, 20 + 20 + 16);
}

static void
test_parse_two_tags_report_outer_and_inner_vid(void **state)
{
	static const uint16_t outer[] = { 0x88a8, 0x9100, 0x8100 };
	uint8_t f[2048];
	struct pkt_info pi;
	struct mk m;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		mk_defaults(&m, 6, PKT_IPPROTO_UDP);
		m.ntags = 2;
		m.tpid[0] = outer[i];
		m.vid[0] = 300;
		m.tpid[1] = 0x8100;
		m.vid[1] = 4000;
		assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
		assert_int_equal(pi.l2_len, 22);
		assert_int_equal(pi.vlan, 300);
		assert_int_equal(pi.vlan_inner, 4000);
		assert_int_equal(pi.ethertype, 0x86dd);
		assert_int_equal(pi.l4_off, 22 + 40);
		assert_int_equal(pi.sport, 40000);
	}
}

static void
test_parse_three_tags_is_vlan_stack(void **state)
{
	uint8_t f[2048];
	struct pkt_info pi;
	struct mk m;

	(void)state;
	mk_defaults(&m, 4, PKT_IPPROTO_UDP);
	m.ntags = 3;
	m.tpid[0] = 0x88a8;
	m.tpid[1] = 0x8100;
	m.tpid[2] = 0x8100;
	m.vid[0] = 1;
	m.vid[1] = 2;
	m.vid[2] = 3;
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi),
			 PKT_E_VLAN_STACK);
	assert_int_equal(pi.vlan, 1);
	assert_int_equal(pi.vlan_inner, 2);
	assert_int_equal(pi.family, 0);
}

static void
test_parse_ipv4_options_move_the_transport_header(void **state)
{
	uint8_t f[2048];
	struct pkt_info pi;
	struct mk m;

	(void)state;
	mk_defaults(&m, 4, PKT_IPPROTO_TCP);
	m.opt4 = 40; /* IHL 15 */
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_int_equal(pi.l4_off, 14 + 60);
	assert_int_equal(pi.sport, 40000);
	assert_int_equal(pi.dport, 443);
}

static void
test_parse_ipv4_fragments_have_no_ports(void **state)
{
	uint8_t f[2048];
	struct pkt_info pi;
	struct mk m;

	(void)state;
	/* first fragment: MF, offset 0 */
	mk_defaults(&m, 4, PKT_IPPROTO_UDP);
	m.frag4 = 0x2000;
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_int_equal(pi.frag, PKT_FRAG_FIRST);
	assert_int_equal(pi.proto, 17);
	assert_int_equal(pi.sport, 0);
	assert_int_equal(pi.dport, 0);
	/* a later one, which has no UDP header (not even a short one
	 * counts as BAD_L4) */
	mk_defaults(&m, 4, PKT_IPPROTO_UDP);
	m.frag4 = 185;
	m.no_l4 = true;
	m.paylen = 3;
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_int_equal(pi.frag, PKT_FRAG_LATER);
	assert_int_equal(pi.sport, 0);
	/* DF alone is not a fragment */
	mk_defaults(&m, 4, PKT_IPPROTO_UDP);
	m.frag4 = 0x4000;
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_int_equal(pi.frag, 0);
	assert_int_equal(pi.sport, 40000);
}

static void
test_parse_icmp_echo_id_goes_in_sport_other_icmp_has_none(void **state)
{
	uint8_t f[2048];
	struct pkt_info pi;
	struct mk m;

	(void)state;
	mk_defaults(&m, 4, PKT_IPPROTO_ICMP);
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_int_equal(pi.sport, 0x1234);
	assert_int_equal(pi.dport, 0);
	m.icmp_type = 0;
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_int_equal(pi.sport, 0x1234);
	m.icmp_type = 3;
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_int_equal(pi.sport, 0);

	mk_defaults(&m, 6, PKT_IPPROTO_ICMPV6);
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_int_equal(pi.proto, 58);
	assert_int_equal(pi.sport, 0x1234);
	m.icmp_type = 129;
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_int_equal(pi.sport, 0x1234);
	m.icmp_type = 1;
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_int_equal(pi.sport, 0);
}

static void
test_parse_ipv6_tcp_points_at_the_addresses(void **state)
{
	uint8_t f[2048];
	struct pkt_info pi;
	struct mk m;
	size_t len;

	(void)state;
	mk_defaults(&m, 6, PKT_IPPROTO_TCP);
	m.ttl = 3;
	len = mk_frame(f, &m);
	assert_int_equal(pkt_parse(f, len, &pi), PKT_OK);
	assert_int_equal(pi.family, 6);
	assert_int_equal(pi.ttl, 3);
	assert_int_equal(pi.ip_len, 40 + 20 + 16);
	assert_int_equal(pi.l4_off, 14 + 40);
	assert_ptr_equal(pi.src6, f + 14 + 8);
	assert_ptr_equal(pi.dst6, f + 14 + 24);
	assert_memory_equal(pi.src6, m.src6, 16);
	assert_memory_equal(pi.dst6, m.dst6, 16);
	assert_int_equal(pi.src4, 0);
	assert_int_equal(pi.sport, 40000);
	assert_int_equal(pi.dport, 443);
}

static void
test_parse_ipv6_skips_hop_by_hop_routing_and_dest_options(void **state)
{
	/* HBH (8 bytes) -> routing (24) -> destination options (16) -> UDP */
	uint8_t ext[48] = { 0 };
	uint8_t f[2048];
	struct pkt_info pi;
	struct mk m;

	(void)state;
	ext[0] = 43;
	ext[1] = 0;
	ext[8] = 60;
	ext[9] = 2;
	ext[32] = 17;
	ext[33] = 1;
	mk_defaults(&m, 6, PKT_IPPROTO_UDP);
	m.ext = ext;
	m.ext_len = sizeof(ext);
	m.ext_nh = 0;
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_int_equal(pi.proto, 17);
	assert_int_equal(pi.l4_off, 14 + 40 + 48);
	assert_int_equal(pi.sport, 40000);
	assert_int_equal(pi.dport, 443);
	assert_int_equal(pi.frag, 0);
}

static void
test_parse_ipv6_fragments_first_later_and_atomic(void **state)
{
	uint8_t ext[8] = { 0 };
	uint8_t f[2048];
	struct pkt_info pi;
	struct mk m;

	(void)state;
	ext[0] = 17;
	mk_defaults(&m, 6, PKT_IPPROTO_UDP);
	m.ext = ext;
	m.ext_len = 8;
	m.ext_nh = 44;

	pkt_put16(ext + 2, 0x0001); /* offset 0, M */
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_int_equal(pi.frag, PKT_FRAG_FIRST);
	assert_int_equal(pi.proto, 17);
	assert_int_equal(pi.l4_off, 14 + 48);
	assert_int_equal(pi.sport, 0);
	assert_int_equal(pi.dport, 0);

	pkt_put16(ext + 2, 0x0008 * 100); /* offset 800, last */
	m.no_l4 = true;
	m.paylen = 2;
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_int_equal(pi.frag, PKT_FRAG_LATER);
	assert_int_equal(pi.proto, 17);
	assert_int_equal(pi.sport, 0);

	pkt_put16(ext + 2, 0); /* atomic: RFC 6946, not a fragment */
	m.no_l4 = false;
	m.paylen = 16;
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_int_equal(pi.frag, 0);
	assert_int_equal(pi.sport, 40000);
}

static void
test_parse_ipv6_bad_extension_chains_are_bad_l3(void **state)
{
	uint8_t ext[128] = { 0 };
	uint8_t f[2048];
	struct pkt_info pi;
	struct mk m;

	(void)state;
	mk_defaults(&m, 6, PKT_IPPROTO_UDP);
	m.ext = ext;

	/* hop-by-hop after a destination options header */
	memset(ext, 0, sizeof(ext));
	ext[0] = 0;
	ext[8] = 17;
	m.ext_nh = 60;
	m.ext_len = 16;
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_E_BAD_L3);

	/* a header longer than the payload */
	memset(ext, 0, sizeof(ext));
	ext[0] = 17;
	ext[1] = 200;
	m.ext_nh = 60;
	m.ext_len = 8;
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_E_BAD_L3);

	/* nine destination options headers */
	memset(ext, 0, sizeof(ext));
	for (int i = 0; i < 9; i++)
		ext[8 * i] = i < 8 ? 60 : 17;
	m.ext_nh = 60;
	m.ext_len = 72;
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_E_BAD_L3);
	/* eight are fine */
	ext[8 * 7] = 17;
	m.ext_len = 64;
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_int_equal(pi.l4_off, 14 + 40 + 64);

	/* two fragment headers */
	memset(ext, 0, sizeof(ext));
	ext[0] = 44;
	ext[8] = 17;
	m.ext_nh = 44;
	m.ext_len = 16;
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_E_BAD_L3);
}

static void
test_parse_classifies_non_ip_arp_and_nd(void **state)
{
	uint8_t f[2048], ext[8] = { 0 };
	struct pkt_info pi;
	struct mk m;
	size_t len;

	(void)state;
	/* LLDP */
	memset(f, 0, 64);
	pkt_put16(f + 12, 0x88cc);
	assert_int_equal(parse_exact(f, 64, &pi), PKT_E_NOT_IP);
	assert_int_equal(pi.ethertype, 0x88cc);
	/* an 802.3 length field */
	pkt_put16(f + 12, 46);
	assert_int_equal(parse_exact(f, 64, &pi), PKT_E_NOT_IP);

	len = (size_t)pkt_arp_build(f, sizeof(f), 0, 1, mac_a, V4(10, 0, 0, 1),
				    NULL, V4(10, 0, 0, 2), NULL);
	assert_int_equal(parse_exact(f, len, &pi), PKT_ARP);
	assert_int_equal(pi.family, 0);
	assert_int_equal(pi.l3_off, 14);

	for (uint8_t t = 133; t <= 137; t++) {
		mk_defaults(&m, 6, PKT_IPPROTO_ICMPV6);
		m.icmp_type = t;
		m.ttl = 255;
		assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_ND);
		assert_int_equal(pi.proto, 58);
	}
	/* MLD and echo are not ND */
	m.icmp_type = 130;
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
	/* a fragmented NS is not ND (RFC 6980): it is not for us */
	ext[0] = 58;
	pkt_put16(ext + 2, 1);
	m.icmp_type = 135;
	m.ext = ext;
	m.ext_len = 8;
	m.ext_nh = 44;
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_int_equal(pi.frag, PKT_FRAG_FIRST);
	/* ICMPv6's number in IPv4 is just a protocol */
	mk_defaults(&m, 4, PKT_IPPROTO_ICMPV6);
	m.paylen = 0;
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
}

/* Every frame of the samples, cut at every length, is TRUNCATED while a
 * header the parser must read is cut and BAD_L3 once only the IP
 * packet's length disagrees with the frame; never OK, never out of
 * bounds (the copies are exact, for ASan). */
static void
test_parse_every_truncation_is_truncated_or_bad_l3(void **state)
{
	uint8_t ext[24] = { 0 }, frag[8] = { 0 };
	uint8_t f[2048];
	struct pkt_info pi;
	struct mk m[10];
	size_t nm = 0;

	(void)state;
	ext[0] = 44;
	ext[1] = 1;
	ext[16] = 6;
	pkt_put16(ext + 18, 1);
	frag[0] = 17;
	pkt_put16(frag + 2, 0x100);

	mk_defaults(&m[nm++], 4, PKT_IPPROTO_UDP);
	mk_defaults(&m[nm], 4, PKT_IPPROTO_TCP);
	m[nm].ntags = 1;
	m[nm].tpid[0] = 0x8100;
	m[nm++].opt4 = 12;
	mk_defaults(&m[nm], 4, PKT_IPPROTO_ICMP);
	m[nm].ntags = 2;
	m[nm].tpid[0] = 0x88a8;
	m[nm++].tpid[1] = 0x8100;
	mk_defaults(&m[nm++], 6, PKT_IPPROTO_TCP);
	mk_defaults(&m[nm], 6, PKT_IPPROTO_TCP);
	m[nm].ext = ext;
	m[nm].ext_len = sizeof(ext);
	m[nm++].ext_nh = 60;
	mk_defaults(&m[nm], 6, PKT_IPPROTO_UDP);
	m[nm].ntags = 1;
	m[nm].tpid[0] = 0x8100;
	m[nm].ext = frag;
	m[nm].ext_len = sizeof(frag);
	m[nm].ext_nh = 44;
	m[nm++].no_l4 = true;
	mk_defaults(&m[nm], 6, PKT_IPPROTO_ICMPV6);
	m[nm].icmp_type = 135;
	m[nm++].ntags = 0;

	for (size_t i = 0; i < nm; i++) {
		size_t full = mk_frame(f, &m[i]);
		size_t l3 = 14 + 4 * (size_t)m[i].ntags;
		size_t hdr = l3 + (m[i].family == 4 ? 20 + m[i].opt4 : 40);
		enum pkt_verdict want =
			m[i].icmp_type == 135 && m[i].family == 6 ? PKT_ND
								  : PKT_OK;

		assert_int_equal(parse_exact(f, full, &pi), want);
		for (size_t len = 0; len < full; len++) {
			enum pkt_verdict v = parse_exact(f, len, &pi);

			if (v != (len < hdr ? PKT_E_TRUNCATED : PKT_E_BAD_L3))
				fail_msg("sample %zu cut at %zu of %zu: %s", i,
					 len, full, pkt_verdict_name(v));
		}
	}
	/* ARP: its 28-byte body */
	{
		int n = pkt_arp_build(f, sizeof(f), 5, 2, mac_a, 1, mac_b, 2,
				      mac_b);

		assert_int_equal(n, 18 + 28);
		for (int len = 0; len < n; len++)
			assert_int_equal(parse_exact(f, (size_t)len, &pi),
					 PKT_E_TRUNCATED);
		assert_int_equal(parse_exact(f, (size_t)n, &pi), PKT_ARP);
	}
}

static void
test_parse_bad_ipv4_headers_are_bad_l3(void **state)
{
	uint8_t f[2048], g[2048];
	struct pkt_info pi;
	struct mk m;
	size_t len;

	(void)state;
	mk_defaults(&m, 4, PKT_IPPROTO_UDP);
	len = mk_frame(f, &m);

	memcpy(g, f, len); /* checksum */
	g[14 + 10] ^= 0x01;
	assert_int_equal(parse_exact(g, len, &pi), PKT_E_BAD_L3);
	memcpy(g, f, len); /* a changed field under a good checksum... */
	g[14 + 1] = 0x10;
	assert_int_equal(parse_exact(g, len, &pi), PKT_E_BAD_L3);
	pkt_put16(g + 14 + 10, 0); /* ...is fine once it is recomputed */
	pkt_put16(g + 14 + 10, ref_csum(g + 14, 20));
	assert_int_equal(parse_exact(g, len, &pi), PKT_OK);

	for (uint8_t ihl = 0; ihl < 5; ihl++) { /* IHL < 5 */
		memcpy(g, f, len);
		g[14] = (uint8_t)(0x40 | ihl);
		pkt_put16(g + 14 + 10, 0);
		pkt_put16(g + 14 + 10, ref_csum(g + 14, 20));
		assert_int_equal(parse_exact(g, len, &pi), PKT_E_BAD_L3);
	}
	memcpy(g, f, len); /* version 6 in an IPv4 ethertype */
	g[14] = 0x65;
	pkt_put16(g + 14 + 10, 0);
	pkt_put16(g + 14 + 10, ref_csum(g + 14, 20));
	assert_int_equal(parse_exact(g, len, &pi), PKT_E_BAD_L3);

	memcpy(g, f, len); /* total length below the header's */
	pkt_put16(g + 14 + 2, 19);
	pkt_put16(g + 14 + 10, 0);
	pkt_put16(g + 14 + 10, ref_csum(g + 14, 20));
	assert_int_equal(parse_exact(g, len, &pi), PKT_E_BAD_L3);

	memcpy(g, f, len); /* total length beyond the frame */
	pkt_put16(g + 14 + 2, (uint16_t)(len - 14 + 1));
	pkt_put16(g + 14 + 10, 0);
	pkt_put16(g + 14 + 10, ref_csum(g + 14, 20));
	assert_int_equal(parse_exact(g, len, &pi), PKT_E_BAD_L3);

	/* IHL 15 in a frame that ends inside the options */
	memcpy(g, f, len);
	g[14] = 0x4f;
	assert_int_equal(parse_exact(g, 14 + 40, &pi), PKT_E_TRUNCATED);

	/* Ethernet padding behind a short packet is not part of it */
	m.paylen = 0;
	m.pad = 60 - 42;
	len = mk_frame(f, &m);
	assert_int_equal(len, 60);
	assert_int_equal(parse_exact(f, len, &pi), PKT_OK);
	assert_int_equal(pi.ip_len, 28);
}

static void
test_parse_bad_ipv6_headers_are_bad_l3(void **state)
{
	uint8_t f[2048], g[2048];
	struct pkt_info pi;
	struct mk m;
	size_t len;

	(void)state;
	mk_defaults(&m, 6, PKT_IPPROTO_UDP);
	len = mk_frame(f, &m);
	memcpy(g, f, len);
	g[14] = 0x40;
	assert_int_equal(parse_exact(g, len, &pi), PKT_E_BAD_L3);
	memcpy(g, f, len);
	pkt_put16(g + 14 + 4, (uint16_t)(len - 14 - 40 + 1));
	assert_int_equal(parse_exact(g, len, &pi), PKT_E_BAD_L3);
	/* a payload length shorter than the frame: the rest is padding */
	pkt_put16(g + 14 + 4, 8);
	assert_int_equal(parse_exact(g, len, &pi), PKT_OK);
	assert_int_equal(pi.ip_len, 48);
}

static void
test_parse_short_transport_headers_are_bad_l4(void **state)
{
	static const struct {
		int family;
		uint8_t proto;
		size_t need;
	} c[] = {
		{ 4, PKT_IPPROTO_TCP, 20 },   { 4, PKT_IPPROTO_UDP, 8 },
		{ 4, PKT_IPPROTO_SCTP, 12 },  { 4, PKT_IPPROTO_ICMP, 8 },
		{ 6, PKT_IPPROTO_TCP, 20 },   { 6, PKT_IPPROTO_UDP, 8 },
		{ 6, PKT_IPPROTO_ICMPV6, 8 },
	};
	uint8_t f[2048];
	struct pkt_info pi;
	struct mk m;

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		for (size_t n = 0; n <= c[i].need; n++) {
			size_t len;

			mk_defaults(&m, c[i].family, c[i].proto);
			m.no_l4 = true;
			m.paylen = n;
			len = mk_frame(f, &m);
			assert_int_equal(parse_exact(f, len, &pi),
					 n < c[i].need ? PKT_E_BAD_L4 : PKT_OK);
		}
	}
	/* an unknown protocol needs nothing */
	mk_defaults(&m, 4, 47);
	m.paylen = 0;
	assert_int_equal(parse_exact(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_int_equal(pi.proto, 47);
}

/* Random mutations of good frames: whatever pkt_parse says, reads stay
 * in the frame (ASan) and an accepted packet is consistent. */
static void
test_parse_random_mutations_stay_in_bounds(void **state)
{
	uint8_t base[4][2048], f[2048];
	size_t blen[4];
	struct pkt_info pi;
	struct mk m;
	unsigned ok = 0;

	(void)state;
	rng_seed(11);
	mk_defaults(&m, 4, PKT_IPPROTO_TCP);
	blen[0] = mk_frame(base[0], &m);
	mk_defaults(&m, 6, PKT_IPPROTO_UDP);
	m.ntags = 1;
	m.tpid[0] = 0x8100;
	blen[1] = mk_frame(base[1], &m);
	{
		uint8_t ext[16] = { 60, 0, 0, 0, 0, 0, 0, 0, 17 };

		m.ext = ext;
		m.ext_len = 16;
		m.ext_nh = 0;
		blen[2] = mk_frame(base[2], &m);
	}
	mk_defaults(&m, 6, PKT_IPPROTO_ICMPV6);
	m.icmp_type = 135;
	blen[3] = mk_frame(base[3], &m);

	for (int it = 0; it < 50000; it++) {
		size_t b = rng_below(4), len = blen[b];
		enum pkt_verdict v;

		memcpy(f, base[b], len);
		for (uint32_t k = 1 + rng_below(3); k > 0; k--) {
			/* mostly the headers */
			size_t at =
				rng_below(rng_below(2) ? 80 : (uint32_t)len);

			if (at < len)
				f[at] = (uint8_t)rng();
		}
		if (rng_below(4) == 0)
			len = rng_below((uint32_t)len + 1);
		v = parse_exact(f, len, &pi);
		assert_true((unsigned)v < PKT_VERDICT_COUNT);
		if (v != PKT_OK && v != PKT_ND)
			continue;
		ok++;
		assert_true(pi.family == 4 || pi.family == 6);
		assert_int_equal(pi.l3_off, pi.l2_len);
		assert_true(pi.l4_off > pi.l3_off);
		assert_true(pi.l4_off <= (size_t)pi.l3_off + pi.ip_len);
		assert_true((size_t)pi.l3_off + pi.ip_len <= len);
		if (pi.frag != 0)
			assert_true(pi.sport == 0 && pi.dport == 0);
		if (pi.family == 4)
			assert_int_equal(
				ref_csum(f + pi.l3_off, pi.l4_off - pi.l3_off),
				0);
	}
	/* the mutations left some packets good, or this proved little */
	assert_true(ok > 1000);
}

/*
 * TTL decrement
 */

/* A random IPv4 header (IHL 5..15, random options and fields), with a
 * correct checksum and a transport header long enough for any protocol,
 * behind 0..2 tags; returns the frame's length. */
static size_t
random_ip4_frame(uint8_t *f, size_t *l3)
{
	size_t ntags = rng_below(3), hl = 20 + 4 * rng_below(11);
	size_t tot = hl + 20 + rng_below(40);
	uint8_t *h;

	rng_bytes(f, 12);
	*l3 = 14 + 4 * ntags;
	for (size_t i = 0; i < ntags; i++) {
		pkt_put16(f + 12 + 4 * i, 0x8100);
		pkt_put16(f + 14 + 4 * i, (uint16_t)rng_below(4096));
	}
	pkt_put16(f + *l3 - 2, 0x0800);
	h = f + *l3;
	rng_bytes(h, tot);
	h[0] = (uint8_t)(0x40 | hl / 4);
	pkt_put16(h + 2, (uint16_t)tot);
	h[8] = (uint8_t)(2 + rng_below(254));
	pkt_put16(h + 10, 0);
	pkt_put16(h + 10, ref_csum(h, hl));
	return *l3 + tot;
}

static void
test_ttl_dec_checksum_matches_full_recomputation(void **state)
{
	uint8_t f[2048];
	struct pkt_info pi;
	size_t l3, len, hl;

	(void)state;
	rng_seed(7);
	for (int i = 0; i < 300000; i++) {
		uint8_t ttl;
		uint16_t got;

		len = random_ip4_frame(f, &l3);
		assert_int_equal(pkt_parse(f, len, &pi), PKT_OK);
		hl = (size_t)(f[l3] & 15) * 4;
		ttl = f[l3 + 8];
		pkt_ttl_dec(f, &pi);
		assert_int_equal(f[l3 + 8], ttl - 1);
		got = pkt_get16(f + l3 + 10);
		pkt_put16(f + l3 + 10, 0);
		if (got != ref_csum(f + l3, hl))
			fail_msg("header %d: checksum %04x, recomputed %04x", i,
				 got, ref_csum(f + l3, hl));
		pkt_put16(f + l3 + 10, got);
		assert_int_equal(pkt_parse(f, len, &pi), PKT_OK);
		assert_int_equal(pi.ttl, ttl - 1);
	}
}

/* The values where one's complement arithmetic has two zeros: a checksum
 * that becomes 0x0000, one that was 0x0000, and a header that carries
 * the other zero 0xffff. */
static void
test_ttl_dec_checksum_edge_values(void **state)
{
	uint8_t f[2048];
	struct pkt_info pi;
	size_t l3, len;

	(void)state;
	rng_seed(8);
	for (int i = 0; i < 2000; i++) {
		int kind = i % 3;
		uint8_t *h;
		uint32_t r;
		uint16_t want;

		len = random_ip4_frame(f, &l3);
		h = f + l3;
		h[0] = 0x45;
		/* choose the ID so the header sums to 0 (mod 0xffff) after
		 * the decrement (kind 0) or before it (kinds 1, 2) */
		pkt_put16(h + 4, 0);
		pkt_put16(h + 10, 0);
		if (kind == 0)
			h[8]--;
		r = ref_sum(h, 20, 0);
		pkt_put16(h + 4, (uint16_t)(0xffff - r));
		if (kind == 0)
			h[8]++;
		pkt_put16(h + 10, ref_csum(h, 20));
		if (kind == 1)
			assert_int_equal(pkt_get16(h + 10), 0);
		if (kind == 2) /* the same sum, the other zero */
			pkt_put16(h + 10, 0xffff);
		assert_int_equal(pkt_parse(f, len, &pi), PKT_OK);
		pkt_ttl_dec(f, &pi);
		{
			uint16_t got = pkt_get16(h + 10);

			pkt_put16(h + 10, 0);
			want = ref_csum(h, 20);
			assert_int_equal(got, want);
			if (kind == 0)
				assert_int_equal(got, 0);
			pkt_put16(h + 10, got);
		}
		assert_int_equal(pkt_parse(f, len, &pi), PKT_OK);
	}
}

static void
test_ttl_dec_ipv6_hop_limit(void **state)
{
	uint8_t f[2048], g[2048];
	struct pkt_info pi;
	struct mk m;
	size_t len;

	(void)state;
	mk_defaults(&m, 6, PKT_IPPROTO_UDP);
	m.ttl = 2;
	m.ntags = 1;
	m.tpid[0] = 0x8100;
	len = mk_frame(f, &m);
	memcpy(g, f, len);
	assert_int_equal(pkt_parse(g, len, &pi), PKT_OK);
	pkt_ttl_dec(g, &pi);
	assert_int_equal(g[18 + 7], 1);
	g[18 + 7] = 2; /* nothing else changed */
	assert_memory_equal(f, g, len);
}

/*
 * L2 rewrites
 */

static void
test_l2_write_untagged_and_tagged(void **state)
{
	uint8_t out[32];

	(void)state;
	memset(out, 0xee, sizeof(out));
	assert_int_equal(pkt_l2_write(out, mac_b, mac_a, 0, 0x86dd), 14);
	assert_memory_equal(out, mac_b, 6);
	assert_memory_equal(out + 6, mac_a, 6);
	assert_int_equal(pkt_get16(out + 12), 0x86dd);
	assert_int_equal(out[14], 0xee);

	assert_int_equal(pkt_l2_write(out, mac_b, mac_a, 4094, 0x0800), 18);
	assert_int_equal(pkt_get16(out + 12), 0x8100);
	assert_int_equal(pkt_get16(out + 14), 4094);
	assert_int_equal(pkt_get16(out + 16), 0x0800);

	/* the addresses may come from the header being overwritten */
	pkt_l2_write(out, out + 6, out, 0, 0x0800);
	assert_memory_equal(out, mac_a, 6);
	assert_memory_equal(out + 6, mac_b, 6);
}

static void
test_vlan_set_keeps_priority_bits(void **state)
{
	uint8_t f[2048];
	struct pkt_info pi;
	struct mk m;
	size_t len;

	(void)state;
	mk_defaults(&m, 4, PKT_IPPROTO_UDP);
	m.ntags = 1;
	m.tpid[0] = 0x8100;
	m.vid[0] = 0xb000 | 10; /* PCP 5, DEI 1 */
	len = mk_frame(f, &m);
	assert_int_equal(pkt_parse(f, len, &pi), PKT_OK);
	pkt_vlan_set(f, &pi, 2000);
	assert_int_equal(pkt_get16(f + 14), 0xb000 | 2000);
	assert_int_equal(pkt_parse(f, len, &pi), PKT_OK);
	assert_int_equal(pi.vlan, 2000);
}

/* Re-heading in place between 0, 1 and 2 tags: the L3 packet does not
 * move or change, the new header sits right before it. */
static void
test_reframe_in_place_writes_header_before_unmoved_packet(void **state)
{
	uint8_t buf[PKT_HEADROOM + 2048], l3copy[2048];
	struct pkt_info pi, po;
	struct mk m;

	(void)state;
	for (int in_tags = 0; in_tags <= 2; in_tags++) {
		for (int out_vlan = 0; out_vlan <= 1; out_vlan++) {
			uint8_t *f = buf + PKT_HEADROOM, *o;
			size_t len, olen;

			mk_defaults(&m, 4, PKT_IPPROTO_UDP);
			m.ntags = in_tags;
			m.tpid[0] = in_tags == 2 ? 0x88a8 : 0x8100;
			m.tpid[1] = 0x8100;
			m.vid[0] = 7;
			m.vid[1] = 8;
			m.paylen = 0;
			m.pad = 20; /* a short frame, padded */
			len = mk_frame(f, &m);
			assert_int_equal(pkt_parse(f, len, &pi), PKT_OK);
			memcpy(l3copy, f + pi.l3_off, pi.ip_len);
			olen = len;
			o = pkt_reframe(f, &olen, &pi, mac_r, f + 6,
					out_vlan ? 900 : 0);
			assert_ptr_equal(o,
					 f + pi.l2_len - (out_vlan ? 18 : 14));
			assert_true(o >= buf);
			assert_int_equal(olen, (out_vlan ? 18 : 14) + 28);
			assert_int_equal(pkt_parse(o, olen, &po), PKT_OK);
			assert_memory_equal(o, mac_r, 6);
			assert_memory_equal(o + 6, mac_a, 6);
			assert_int_equal(po.vlan, out_vlan ? 900 : 0);
			assert_int_equal(po.vlan_inner, 0);
			assert_memory_equal(o + po.l3_off, l3copy, pi.ip_len);
			assert_int_equal(po.src4, pi.src4);
			assert_int_equal(po.sport, pi.sport);
		}
	}
}

static void
test_reframe_copy_writes_whole_frame_or_too_big(void **state)
{
	uint8_t f[2048], out[2048];
	struct pkt_info pi, po;
	struct mk m;
	size_t len;
	int n;

	(void)state;
	mk_defaults(&m, 6, PKT_IPPROTO_TCP);
	m.ntags = 2;
	m.tpid[0] = 0x88a8;
	m.tpid[1] = 0x8100;
	len = mk_frame(f, &m);
	assert_int_equal(pkt_parse(f, len, &pi), PKT_OK);
	n = pkt_reframe_copy(out, sizeof(out), f, len, &pi, mac_r, mac_b, 33);
	assert_int_equal(n, 18 + pi.ip_len);
	assert_int_equal(pkt_parse(out, (size_t)n, &po), PKT_OK);
	assert_int_equal(po.vlan, 33);
	assert_memory_equal(out + 18, f + 22, pi.ip_len);
	assert_int_equal(pkt_reframe_copy(out, (size_t)n - 1, f, len, &pi,
					  mac_r, mac_b, 33),
			 -CEN_ETOOBIG);
}

/*
 * 5-tuple hash
 */

static void
info4(struct pkt_info *pi, uint32_t s, uint32_t d, uint8_t proto, uint16_t sp,
      uint16_t dp)
{
	memset(pi, 0, sizeof(*pi));
	pi->family = 4;
	pi->src4 = s;
	pi->dst4 = d;
	pi->proto = proto;
	pi->sport = sp;
	pi->dport = dp;
}

/* Pearson's chi-square of 64 buckets against a uniform spread, and
 * whether every bucket is within 15% of its share. */
static double
chi2_64(const unsigned *b, unsigned n, bool *within)
{
	double e = n / 64.0, c = 0;

	*within = true;
	for (int i = 0; i < 64; i++) {
		c += (b[i] - e) * (b[i] - e) / e;
		if (b[i] < e * 0.85 || b[i] > e * 1.15)
			*within = false;
	}
	return c;
}

/* 63 degrees of freedom: the 99.99th percentile is about 113. */
#define CHI2_64_MAX 120.0

static void
check_spread(const uint32_t *h, unsigned n, const char *what)
{
	unsigned lo[64] = { 0 }, hi[64] = { 0 };
	bool w1, w2;
	double c1, c2;

	/* the low bits (h % n) and the high bits ((h * n) >> 32) */
	for (unsigned i = 0; i < n; i++) {
		lo[h[i] & 63]++;
		hi[h[i] >> 26]++;
	}
	c1 = chi2_64(lo, n, &w1);
	c2 = chi2_64(hi, n, &w2);
	if (c1 > CHI2_64_MAX || c2 > CHI2_64_MAX || !w1 || !w2)
		fail_msg("%s: chi2 low bits %.1f, high bits %.1f "
			 "(max %.0f), buckets within 15%%: %d %d",
			 what, c1, c2, CHI2_64_MAX, w1, w2);
}

#define NHASH 100000

static void
test_hash_spreads_random_tuples_over_64_buckets(void **state)
{
	static uint32_t h[NHASH];
	static uint8_t a6[NHASH][32];
	struct pkt_info pi;

	(void)state;
	rng_seed(21);
	for (unsigned i = 0; i < NHASH; i++) {
		info4(&pi, (uint32_t)rng(), (uint32_t)rng(),
		      rng_below(2) ? 6 : 17, (uint16_t)rng(), (uint16_t)rng());
		h[i] = pkt_hash5(&pi);
	}
	check_spread(h, NHASH, "random IPv4 tuples");
	for (unsigned i = 0; i < NHASH; i++) {
		rng_bytes(a6[i], 32);
		memset(&pi, 0, sizeof(pi));
		pi.family = 6;
		pi.src6 = a6[i];
		pi.dst6 = a6[i] + 16;
		pi.proto = 6;
		pi.sport = (uint16_t)rng();
		pi.dport = 443;
		h[i] = pkt_hash5(&pi);
	}
	check_spread(h, NHASH, "random IPv6 tuples");
}

/* The realistic worst case: one client, one server, the source port
 * counting up; and one source to consecutive destinations. */
static void
test_hash_spreads_structured_tuples(void **state)
{
	static uint32_t h[NHASH];
	static uint8_t a6[NHASH][32];
	struct pkt_info pi;

	(void)state;
	for (unsigned i = 0; i < 60000; i++) {
		info4(&pi, V4(10, 0, 0, 1), V4(10, 9, 9, 9), 6,
		      (uint16_t)(1024 + i), 80);
		h[i] = pkt_hash5(&pi);
	}
	check_spread(h, 60000, "IPv4 consecutive source ports");
	for (unsigned i = 0; i < NHASH; i++) {
		info4(&pi, V4(10, 0, 0, 1), V4(172, 16, 0, 0) + i, 17, 53, 53);
		h[i] = pkt_hash5(&pi);
	}
	check_spread(h, NHASH, "IPv4 consecutive destinations");
	for (unsigned i = 0; i < NHASH; i++) {
		ip6("2001:db8::1", a6[i]);
		ip6("2001:db8:ffff::", a6[i] + 16);
		pkt_put32(a6[i] + 28, i);
		memset(&pi, 0, sizeof(pi));
		pi.family = 6;
		pi.src6 = a6[i];
		pi.dst6 = a6[i] + 16;
		pi.proto = 17;
		h[i] = pkt_hash5(&pi);
	}
	check_spread(h, NHASH, "IPv6 consecutive destinations");
}

/* Strict avalanche: flipping any one input bit flips every output bit
 * with probability within 0.4..0.6. */
static void
test_hash_avalanche(void **state)
{
	enum {
		SAMPLES = 2000,
		BITS4 = 32 + 32 + 8 + 16 + 16
	};
	static unsigned flips[296][32];
	uint8_t a[32], b[32];
	struct pkt_info p, q;

	(void)state;
	rng_seed(33);
	memset(flips, 0, sizeof(flips));
	for (int s = 0; s < SAMPLES; s++) {
		uint32_t base;

		info4(&p, (uint32_t)rng(), (uint32_t)rng(), (uint8_t)rng(),
		      (uint16_t)rng(), (uint16_t)rng());
		base = pkt_hash5(&p);
		for (int bit = 0; bit < BITS4; bit++) {
			uint32_t d;

			q = p;
			if (bit < 32)
				q.src4 ^= 1u << bit;
			else if (bit < 64)
				q.dst4 ^= 1u << (bit - 32);
			else if (bit < 72)
				q.proto ^= (uint8_t)(1u << (bit - 64));
			else if (bit < 88)
				q.sport ^= (uint16_t)(1u << (bit - 72));
			else
				q.dport ^= (uint16_t)(1u << (bit - 88));
			d = base ^ pkt_hash5(&q);
			for (int o = 0; o < 32; o++)
				flips[bit][o] += d >> o & 1;
		}
	}
	for (int bit = 0; bit < BITS4; bit++)
		for (int o = 0; o < 32; o++)
			if (flips[bit][o] < SAMPLES * 0.4 ||
			    flips[bit][o] > SAMPLES * 0.6)
				fail_msg("IPv4 input bit %d flips output bit "
					 "%d %u times of %d",
					 bit, o, flips[bit][o], SAMPLES);

	memset(flips, 0, sizeof(flips));
	for (int s = 0; s < SAMPLES; s++) {
		uint32_t base;

		rng_bytes(a, 32);
		memset(&p, 0, sizeof(p));
		p.family = 6;
		p.src6 = a;
		p.dst6 = a + 16;
		p.proto = (uint8_t)rng();
		p.sport = (uint16_t)rng();
		p.dport = (uint16_t)rng();
		base = pkt_hash5(&p);
		for (int bit = 0; bit < 296; bit++) {
			uint32_t d;

			memcpy(b, a, 32);
			q = p;
			q.src6 = b;
			q.dst6 = b + 16;
			if (bit < 256)
				b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			else if (bit < 264)
				q.proto ^= (uint8_t)(1u << (bit - 256));
			else if (bit < 280)
				q.sport ^= (uint16_t)(1u << (bit - 264));
			else
				q.dport ^= (uint16_t)(1u << (bit - 280));
			d = base ^ pkt_hash5(&q);
			for (int o = 0; o < 32; o++)
				flips[bit][o] += d >> o & 1;
		}
	}
	for (int bit = 0; bit < 296; bit++)
		for (int o = 0; o < 32; o++)
			if (flips[bit][o] < SAMPLES * 0.4 ||
			    flips[bit][o] > SAMPLES * 0.6)
				fail_msg("IPv6 input bit %d flips output bit "
					 "%d %u times of %d",
					 bit, o, flips[bit][o], SAMPLES);
}

static void
test_hash_depends_on_direction_and_seed(void **state)
{
	struct pkt_info p, q;

	(void)state;
	info4(&p, V4(10, 0, 0, 1), V4(10, 0, 0, 2), 6, 1000, 2000);
	info4(&q, V4(10, 0, 0, 2), V4(10, 0, 0, 1), 6, 2000, 1000);
	assert_int_equal(pkt_hash5(&p), pkt_hash5(&p));
	assert_int_equal(pkt_hash5(&p), pkt_hash5_seed(&p, 0));
	assert_int_not_equal(pkt_hash5(&p), pkt_hash5(&q));
	assert_int_not_equal(pkt_hash5_seed(&p, 1), pkt_hash5_seed(&p, 2));
	/* other fields of pkt_info do not count */
	q = p;
	q.ttl = 9;
	q.ip_len = 1500;
	q.vlan = 3;
	assert_int_equal(pkt_hash5(&p), pkt_hash5(&q));
}

/*
 * Checksums
 */

static void
test_csum_matches_rfc1071_example_and_reference(void **state)
{
	/* RFC 1071 3: the sum of these words is ddf2 */
	static const uint8_t ex[8] = { 0x00, 0x01, 0xf2, 0x03,
				       0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t buf[1501];

	(void)state;
	assert_int_equal(pkt_inet_csum(ex, 8), (uint16_t)~0xddf2);
	assert_int_equal(pkt_csum_fold(pkt_csum_partial(ex, 8, 0)),
			 (uint16_t)~0xddf2);
	rng_seed(5);
	for (int i = 0; i < 200; i++) {
		size_t n = rng_below(sizeof(buf) + 1), cut;
		uint64_t s;

		/* a first piece of even length, then the rest */
		cut = rng_below((uint32_t)n + 1) & ~(size_t)1;

		rng_bytes(buf, n);
		assert_int_equal(pkt_inet_csum(buf, n), ref_csum(buf, n));
		s = pkt_csum_partial(buf, cut, 0);
		assert_int_equal(
			pkt_csum_fold(pkt_csum_partial(buf + cut, n - cut, s)),
			ref_csum(buf, n));
	}
	/* the IPv4 header checksum ignores the field it fills */
	{
		uint8_t h[24];

		rng_bytes(h, sizeof(h));
		h[0] = 0x46;
		pkt_put16(h + 10, pkt_ip4_csum(h));
		assert_int_equal(ref_csum(h, 24), 0);
	}
}

/*
 * ARP
 */

static void
test_arp_request_and_reply_build_and_parse_back(void **state)
{
	uint8_t f[64];
	struct pkt_info pi;
	struct pkt_arp arp;
	int n;

	(void)state;
	n = pkt_arp_build(f, sizeof(f), 0, 1, mac_r, V4(10, 0, 0, 1), NULL,
			  V4(10, 0, 0, 9), NULL);
	assert_int_equal(n, 42);
	assert_memory_equal(f, "\xff\xff\xff\xff\xff\xff", 6);
	assert_memory_equal(f + 6, mac_r, 6);
	assert_int_equal(parse_exact(f, (size_t)n, &pi), PKT_ARP);
	assert_int_equal(pkt_arp_parse(f, (size_t)n, &pi, &arp), 0);
	assert_int_equal(arp.op, 1);
	assert_memory_equal(arp.sha, mac_r, 6);
	assert_int_equal(arp.spa, V4(10, 0, 0, 1));
	assert_memory_equal(arp.tha, "\0\0\0\0\0\0", 6);
	assert_int_equal(arp.tpa, V4(10, 0, 0, 9));

	n = pkt_arp_build(f, sizeof(f), 42, 2, mac_b, V4(10, 0, 0, 9), mac_r,
			  V4(10, 0, 0, 1), mac_r);
	assert_int_equal(n, 46);
	assert_memory_equal(f, mac_r, 6);
	assert_int_equal(parse_exact(f, (size_t)n, &pi), PKT_ARP);
	assert_int_equal(pi.vlan, 42);
	assert_int_equal(pkt_arp_parse(f, (size_t)n, &pi, &arp), 0);
	assert_int_equal(arp.op, 2);
	assert_memory_equal(arp.sha, mac_b, 6);
	assert_memory_equal(arp.tha, mac_r, 6);
	assert_int_equal(arp.spa, V4(10, 0, 0, 9));

	assert_int_equal(pkt_arp_build(f, 45, 42, 2, mac_b, 1, mac_r, 2, NULL),
			 -CEN_ETOOBIG);
	assert_int_equal(
		pkt_arp_build(f, sizeof(f), 0, 3, mac_b, 1, NULL, 2, NULL),
		-CEN_EINVAL);
	assert_int_equal(
		pkt_arp_build(f, sizeof(f), 4096, 1, mac_b, 1, NULL, 2, NULL),
		-CEN_EINVAL);
}

static void
test_arp_parse_rejects_other_hardware_protocols_and_ops(void **state)
{
	/* the low bytes of hardware type, protocol type, their lengths,
	 * the operation */
	static const size_t field[] = { 1, 3, 4, 5, 7 };
	uint8_t f[64], g[64];
	struct pkt_info pi;
	struct pkt_arp arp;
	int n;

	(void)state;
	n = pkt_arp_build(f, sizeof(f), 0, 1, mac_r, 1, NULL, 2, NULL);
	for (size_t i = 0; i < sizeof(field) / sizeof(field[0]); i++) {
		memcpy(g, f, (size_t)n);
		g[14 + field[i]] ^= 0x04;
		assert_int_equal(pkt_parse(g, (size_t)n, &pi), PKT_ARP);
		assert_int_equal(pkt_arp_parse(g, (size_t)n, &pi, &arp),
				 -CEN_EPROTO);
	}
	/* a length shorter than pkt_parse saw */
	assert_int_equal(pkt_parse(f, (size_t)n, &pi), PKT_ARP);
	assert_int_equal(pkt_arp_parse(f, (size_t)n - 1, &pi, &arp),
			 -CEN_EPROTO);
}

/*
 * Neighbour discovery
 */

/* The ICMPv6 message of a parsed frame checks with ref_csum6. */
static void
assert_icmp6_csum(const uint8_t *f, const struct pkt_info *pi)
{
	size_t n = (size_t)pi->l3_off + pi->ip_len - pi->l4_off;

	assert_int_equal(ref_csum6(pi->src6, pi->dst6, 58, f + pi->l4_off, n),
			 0);
}

static void
test_nd_ns_goes_to_solicited_node_address_and_parses_back(void **state)
{
	uint8_t f[128], src[16], target[16], want[16];
	struct pkt_info pi;
	struct pkt_nd nd;
	int n;

	(void)state;
	ip6("fe80::cc:1", src);
	ip6("2001:db8::12:3456", target);
	n = pkt_nd_ns_build(f, sizeof(f), 77, mac_r, src, target, NULL);
	assert_int_equal(n, 18 + 40 + 32);
	/* 33:33:ff + the last 24 bits */
	assert_memory_equal(f, "\x33\x33\xff\x12\x34\x56", 6);
	assert_memory_equal(f + 6, mac_r, 6);
	assert_int_equal(parse_exact(f, (size_t)n, &pi), PKT_ND);
	assert_int_equal(pi.vlan, 77);
	assert_int_equal(pi.ttl, 255);
	ip6("ff02::1:ff12:3456", want);
	assert_memory_equal(pi.dst6, want, 16);
	assert_memory_equal(pi.src6, src, 16);
	assert_icmp6_csum(f, &pi);
	assert_int_equal(pkt_nd_parse(f, (size_t)n, &pi, &nd), 0);
	assert_int_equal(nd.type, PKT_ICMP6_ND_NS);
	assert_memory_equal(nd.target, target, 16);
	assert_true(nd.has_lladdr);
	assert_memory_equal(nd.lladdr, mac_r, 6);

	assert_int_equal(
		pkt_nd_ns_build(f, (size_t)n - 1, 77, mac_r, src, target, NULL),
		-CEN_ETOOBIG);
	ip6("ff02::1", target);
	assert_int_equal(
		pkt_nd_ns_build(f, sizeof(f), 0, mac_r, src, target, NULL),
		-CEN_EINVAL);
}

static void
test_nd_ns_for_dad_and_unreachability_detection(void **state)
{
	uint8_t f[128], unspec[16] = { 0 }, src[16], target[16];
	struct pkt_info pi;
	struct pkt_nd nd;
	int n;

	(void)state;
	ip6("2001:db8::7", target);
	/* duplicate address detection: from ::, no link-layer option */
	n = pkt_nd_ns_build(f, sizeof(f), 0, mac_r, unspec, target, NULL);
	assert_int_equal(n, 14 + 40 + 24);
	assert_int_equal(parse_exact(f, (size_t)n, &pi), PKT_ND);
	assert_icmp6_csum(f, &pi);
	assert_int_equal(pkt_nd_parse(f, (size_t)n, &pi, &nd), 0);
	assert_false(nd.has_lladdr);
	assert_int_equal(
		pkt_nd_ns_build(f, sizeof(f), 0, mac_r, unspec, target, mac_b),
		-CEN_EINVAL);

	/* unicast, to the neighbour itself */
	ip6("2001:db8::1", src);
	n = pkt_nd_ns_build(f, sizeof(f), 0, mac_r, src, target, mac_b);
	assert_int_equal(parse_exact(f, (size_t)n, &pi), PKT_ND);
	assert_memory_equal(f, mac_b, 6);
	assert_memory_equal(pi.dst6, target, 16);
	assert_icmp6_csum(f, &pi);
	assert_int_equal(pkt_nd_parse(f, (size_t)n, &pi, &nd), 0);
	assert_true(nd.has_lladdr);
}

static void
test_nd_na_carries_flags_and_target_address(void **state)
{
	uint8_t f[128], src[16], dst[16], all[16];
	struct pkt_info pi;
	struct pkt_nd nd;
	int n;

	(void)state;
	ip6("2001:db8::1", src);
	ip6("2001:db8::99", dst);
	n = pkt_nd_na_build(f, sizeof(f), 0, mac_r, src, mac_b, dst, src,
			    PKT_NA_F_ROUTER | PKT_NA_F_SOLICITED |
				    PKT_NA_F_OVERRIDE);
	assert_int_equal(n, 14 + 40 + 32);
	assert_memory_equal(f, mac_b, 6);
	assert_int_equal(parse_exact(f, (size_t)n, &pi), PKT_ND);
	assert_icmp6_csum(f, &pi);
	assert_int_equal(pkt_nd_parse(f, (size_t)n, &pi, &nd), 0);
	assert_int_equal(nd.type, PKT_ICMP6_ND_NA);
	assert_int_equal(nd.flags, PKT_NA_F_ROUTER | PKT_NA_F_SOLICITED |
					   PKT_NA_F_OVERRIDE);
	assert_memory_equal(nd.target, src, 16);
	assert_true(nd.has_lladdr);
	assert_memory_equal(nd.lladdr, mac_r, 6);

	/* unsolicited, to all nodes */
	ip6("ff02::1", all);
	n = pkt_nd_na_build(f, sizeof(f), 5, mac_r, src, NULL, all, src,
			    PKT_NA_F_OVERRIDE);
	assert_int_equal(n, 18 + 40 + 32);
	assert_memory_equal(f, "\x33\x33\x00\x00\x00\x01", 6);
	assert_int_equal(parse_exact(f, (size_t)n, &pi), PKT_ND);
	assert_icmp6_csum(f, &pi);
	assert_int_equal(pkt_nd_parse(f, (size_t)n, &pi, &nd), 0);
	assert_int_equal(nd.flags, PKT_NA_F_OVERRIDE);

	assert_int_equal(pkt_nd_na_build(f, sizeof(f), 0, mac_r, src, NULL, all,
					 src, PKT_NA_F_SOLICITED),
			 -CEN_EINVAL);
	assert_int_equal(
		pkt_nd_na_build(f, sizeof(f), 0, mac_r, src, NULL, dst, src, 0),
		-CEN_EINVAL);
	assert_int_equal(pkt_nd_na_build(f, sizeof(f), 0, mac_r, src, mac_b,
					 dst, src, 0x01),
			 -CEN_EINVAL);
}

/* Writes a fresh ICMPv6 checksum into the parsed frame. */
static void
fix_icmp6(uint8_t *f, const struct pkt_info *pi)
{
	size_t n = (size_t)pi->l3_off + pi->ip_len - pi->l4_off;

	pkt_put16(f + pi->l4_off + 2, 0);
	pkt_put16(f + pi->l4_off + 2,
		  ref_csum6(pi->src6, pi->dst6, 58, f + pi->l4_off, n));
}

static void
test_nd_parse_rejects_what_rfc4861_says_to_drop(void **state)
{
	uint8_t f[128], g[128], src[16], target[16];
	struct pkt_info pi;
	struct pkt_nd nd;
	size_t n, icmp;

	(void)state;
	ip6("2001:db8::1", src);
	ip6("2001:db8::2", target);
	n = (size_t)pkt_nd_ns_build(f, sizeof(f), 0, mac_r, src, target, NULL);
	icmp = 14 + 40;

	memcpy(g, f, n); /* hop limit below 255: it crossed a router */
	g[14 + 7] = 254;
	assert_int_equal(pkt_parse(g, n, &pi), PKT_ND);
	assert_int_equal(pkt_nd_parse(g, n, &pi, &nd), -CEN_EPROTO);

	memcpy(g, f, n); /* checksum */
	g[icmp + 2] ^= 0x80;
	assert_int_equal(pkt_parse(g, n, &pi), PKT_ND);
	assert_int_equal(pkt_nd_parse(g, n, &pi, &nd), -CEN_EPROTO);

	memcpy(g, f, n); /* code */
	g[icmp + 1] = 1;
	assert_int_equal(pkt_parse(g, n, &pi), PKT_ND);
	fix_icmp6(g, &pi);
	assert_int_equal(pkt_nd_parse(g, n, &pi, &nd), -CEN_EPROTO);

	memcpy(g, f, n); /* a multicast target */
	g[icmp + 8] = 0xff;
	assert_int_equal(pkt_parse(g, n, &pi), PKT_ND);
	fix_icmp6(g, &pi);
	assert_int_equal(pkt_nd_parse(g, n, &pi, &nd), -CEN_EPROTO);

	memcpy(g, f, n); /* an option of length 0 */
	g[icmp + 24 + 1] = 0;
	assert_int_equal(pkt_parse(g, n, &pi), PKT_ND);
	fix_icmp6(g, &pi);
	assert_int_equal(pkt_nd_parse(g, n, &pi, &nd), -CEN_EPROTO);

	memcpy(g, f, n); /* an option longer than the message */
	g[icmp + 24 + 1] = 2;
	assert_int_equal(pkt_parse(g, n, &pi), PKT_ND);
	fix_icmp6(g, &pi);
	assert_int_equal(pkt_nd_parse(g, n, &pi, &nd), -CEN_EPROTO);

	memcpy(g, f, n); /* a message shorter than an NS */
	pkt_put16(g + 14 + 4, 16);
	assert_int_equal(pkt_parse(g, n, &pi), PKT_ND);
	fix_icmp6(g, &pi);
	assert_int_equal(pkt_nd_parse(g, n, &pi, &nd), -CEN_EPROTO);

	memcpy(g, f, n); /* from ::, with a source link-layer address */
	memset(g + 14 + 8, 0, 16);
	assert_int_equal(pkt_parse(g, n, &pi), PKT_ND);
	fix_icmp6(g, &pi);
	assert_int_equal(pkt_nd_parse(g, n, &pi, &nd), -CEN_EPROTO);

	memcpy(g, f, n); /* an unknown option is skipped */
	g[icmp + 24 + 1] = 1;
	assert_int_equal(pkt_parse(g, n, &pi), PKT_ND);
	assert_int_equal(pkt_nd_parse(g, n, &pi, &nd), 0);
	g[icmp + 24] = 14; /* nonce option, unknown here */
	fix_icmp6(g, &pi);
	assert_int_equal(pkt_nd_parse(g, n, &pi, &nd), 0);
	assert_false(nd.has_lladdr);

	memcpy(g, f, n); /* an RS is ND but not parsed here */
	g[icmp] = PKT_ICMP6_ND_RS;
	assert_int_equal(pkt_parse(g, n, &pi), PKT_ND);
	assert_int_equal(pkt_nd_parse(g, n, &pi, &nd), -CEN_ENOENT);
	assert_int_equal(nd.type, PKT_ICMP6_ND_RS);

	/* a solicited NA to a multicast address */
	{
		uint8_t all[16];

		ip6("ff02::1", all);
		n = (size_t)pkt_nd_na_build(g, sizeof(g), 0, mac_r, src, NULL,
					    all, src, 0);
		g[icmp + 4] = PKT_NA_F_SOLICITED;
		assert_int_equal(pkt_parse(g, n, &pi), PKT_ND);
		fix_icmp6(g, &pi);
		assert_int_equal(pkt_nd_parse(g, n, &pi, &nd), -CEN_EPROTO);
	}
}

/*
 * ICMP errors
 */

static const struct pkt_l2 err_l2 = {
	.dst = { 0x02, 0, 0, 0, 0, 0x0a },
	.src = { 0x02, 0xcc, 0, 0, 0, 0x01 },
	.vlan = 100,
};

static void
test_icmp4_time_exceeded_quotes_up_to_576_bytes(void **state)
{
	uint8_t f[2048], out[2048];
	struct pkt_info pi, po;
	struct mk m;
	size_t len;
	int n;

	(void)state;
	for (int big = 0; big <= 1; big++) {
		size_t quote;

		mk_defaults(&m, 4, PKT_IPPROTO_UDP);
		m.ttl = 1;
		m.ntags = 1;
		m.tpid[0] = 0x8100;
		m.vid[0] = 100;
		m.paylen = big ? 1000 : 20;
		m.pad = 6;
		len = mk_frame(f, &m);
		assert_int_equal(pkt_parse(f, len, &pi), PKT_OK);
		n = pkt_icmp4_error_build(
			out, sizeof(out), &err_l2, V4(192, 0, 2, 1),
			PKT_ICMP4_TIME_EXCEEDED, 0, 0, f, &pi);
		quote = big ? 576 - 28 : pi.ip_len;
		assert_int_equal(n, 18 + 28 + quote);
		assert_memory_equal(out, err_l2.dst, 6);
		assert_memory_equal(out + 6, err_l2.src, 6);
		assert_int_equal(parse_exact(out, (size_t)n, &po), PKT_OK);
		assert_int_equal(po.vlan, 100);
		assert_int_equal(po.proto, 1);
		assert_int_equal(po.src4, V4(192, 0, 2, 1));
		assert_int_equal(po.dst4, V4(10, 1, 1, 1));
		assert_int_equal(po.ttl, PKT_TTL_DEFAULT);
		assert_int_equal(po.ip_len, 28 + quote);
		assert_int_equal(ref_csum(out + 18, 20), 0);
		assert_int_equal(ref_csum(out + 38, 8 + quote), 0);
		assert_int_equal(out[38], 11);
		assert_int_equal(out[39], 0);
		assert_int_equal(pkt_get32(out + 42), 0);
		assert_memory_equal(out + 46, f + 18, quote);
		assert_int_equal(pkt_icmp4_error_build(
					 out, (size_t)n - 1, &err_l2,
					 V4(192, 0, 2, 1),
					 PKT_ICMP4_TIME_EXCEEDED, 0, 0, f, &pi),
				 -CEN_ETOOBIG);
	}
}

static void
test_icmp4_unreachable_and_its_parameter(void **state)
{
	uint8_t f[2048], out[2048];
	struct pkt_info pi, po;
	struct mk m;
	int n;

	(void)state;
	mk_defaults(&m, 4, PKT_IPPROTO_ICMP); /* about an echo: allowed */
	assert_int_equal(pkt_parse(f, mk_frame(f, &m), &pi), PKT_OK);
	n = pkt_icmp4_error_build(out, sizeof(out), &err_l2, V4(192, 0, 2, 1),
				  PKT_ICMP4_UNREACH, PKT_ICMP4_UNREACH_NEEDFRAG,
				  1400, f, &pi);
	assert_true(n > 0);
	assert_int_equal(parse_exact(out, (size_t)n, &po), PKT_OK);
	assert_int_equal(out[po.l4_off], 3);
	assert_int_equal(out[po.l4_off + 1], 4);
	assert_int_equal(pkt_get32(out + po.l4_off + 4), 1400);
	assert_int_equal(ref_csum(out + po.l4_off, po.ip_len - 20), 0);
	assert_int_equal(pkt_icmp4_error_build(
				 out, sizeof(out), &err_l2, V4(192, 0, 2, 1),
				 PKT_ICMP4_UNREACH, 16, 0, f, &pi),
			 -CEN_EINVAL);
	assert_int_equal(pkt_icmp4_error_build(out, sizeof(out), &err_l2,
					       V4(192, 0, 2, 1), 5, 0, 0, f,
					       &pi),
			 -CEN_EINVAL);
	assert_int_equal(pkt_icmp4_error_build(out, sizeof(out), &err_l2, 0,
					       PKT_ICMP4_UNREACH, 0, 0, f, &pi),
			 -CEN_EINVAL);
}

static void
test_icmp4_error_not_sent_where_rfc1812_forbids(void **state)
{
	uint8_t f[2048], out[2048];
	struct pkt_info pi;
	struct mk m;
	size_t len;

	(void)state;
	/* about an ICMP error */
	mk_defaults(&m, 4, PKT_IPPROTO_ICMP);
	m.icmp_type = 11;
	len = mk_frame(f, &m);
	assert_int_equal(pkt_parse(f, len, &pi), PKT_OK);
	assert_false(pkt_icmp_error_ok(f, &pi, 11, 0));
	assert_int_equal(pkt_icmp4_error_build(out, sizeof(out), &err_l2,
					       V4(192, 0, 2, 1), 11, 0, 0, f,
					       &pi),
			 -CEN_EINVAL);
	/* a later fragment; the first one is answered */
	mk_defaults(&m, 4, PKT_IPPROTO_UDP);
	m.frag4 = 0x0010;
	m.no_l4 = true;
	assert_int_equal(pkt_parse(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_false(pkt_icmp_error_ok(f, &pi, 11, 0));
	m.frag4 = 0x2000;
	m.no_l4 = false;
	assert_int_equal(pkt_parse(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_true(pkt_icmp_error_ok(f, &pi, 11, 0));
	/* multicast or broadcast destination, odd sources */
	mk_defaults(&m, 4, PKT_IPPROTO_UDP);
	m.dst4 = V4(224, 0, 0, 5);
	assert_int_equal(pkt_parse(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_false(pkt_icmp_error_ok(f, &pi, 11, 0));
	m.dst4 = V4(255, 255, 255, 255);
	assert_int_equal(pkt_parse(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_false(pkt_icmp_error_ok(f, &pi, 11, 0));
	mk_defaults(&m, 4, PKT_IPPROTO_UDP);
	m.src4 = 0;
	assert_int_equal(pkt_parse(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_false(pkt_icmp_error_ok(f, &pi, 11, 0));
	m.src4 = V4(127, 0, 0, 1);
	assert_int_equal(pkt_parse(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_false(pkt_icmp_error_ok(f, &pi, 11, 0));
	m.src4 = V4(240, 0, 0, 1);
	assert_int_equal(pkt_parse(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_false(pkt_icmp_error_ok(f, &pi, 11, 0));
	/* a link-layer broadcast */
	mk_defaults(&m, 4, PKT_IPPROTO_UDP);
	len = mk_frame(f, &m);
	memset(f, 0xff, 6);
	assert_int_equal(pkt_parse(f, len, &pi), PKT_OK);
	assert_false(pkt_icmp_error_ok(f, &pi, 11, 0));
	f[0] = 0x02;
	assert_true(pkt_icmp_error_ok(f, &pi, 11, 0));
}

static void
test_icmp6_time_exceeded_quotes_up_to_1280_bytes(void **state)
{
	uint8_t f[2048], out[2048], rsrc[16];
	struct pkt_info pi, po;
	struct mk m;
	size_t len;
	int n;

	(void)state;
	ip6("2001:db8:ffff::1", rsrc);
	for (int big = 0; big <= 1; big++) {
		size_t quote;

		mk_defaults(&m, 6, PKT_IPPROTO_UDP);
		m.ttl = 1;
		m.paylen = big ? 1400 : 30;
		len = mk_frame(f, &m);
		assert_int_equal(pkt_parse(f, len, &pi), PKT_OK);
		n = pkt_icmp6_error_build(out, sizeof(out), &err_l2, rsrc,
					  PKT_ICMP6_TIME_EXCEEDED, 0, 0, f,
					  &pi);
		quote = big ? 1280 - 48 : pi.ip_len;
		assert_int_equal(n, 18 + 48 + quote);
		assert_int_equal(parse_exact(out, (size_t)n, &po), PKT_OK);
		assert_int_equal(po.ip_len, 48 + quote);
		assert_true(po.ip_len <= 1280);
		assert_int_equal(po.proto, 58);
		assert_memory_equal(po.src6, rsrc, 16);
		assert_memory_equal(po.dst6, m.src6, 16);
		assert_int_equal(out[po.l4_off], 3);
		assert_int_equal(out[po.l4_off + 1], 0);
		assert_icmp6_csum(out, &po);
		assert_memory_equal(out + po.l4_off + 8, f + 14, quote);
	}
}

static void
test_icmp6_unreachable_and_what_rfc4443_forbids(void **state)
{
	uint8_t f[2048], out[2048], rsrc[16], mc[16], unspec[16] = { 0 };
	struct pkt_info pi, po;
	struct mk m;
	size_t len;
	int n;

	(void)state;
	ip6("2001:db8:ffff::1", rsrc);
	mk_defaults(&m, 6, PKT_IPPROTO_TCP);
	len = mk_frame(f, &m);
	assert_int_equal(pkt_parse(f, len, &pi), PKT_OK);
	n = pkt_icmp6_error_build(out, sizeof(out), &err_l2, rsrc,
				  PKT_ICMP6_UNREACH, PKT_ICMP6_UNREACH_NOROUTE,
				  0, f, &pi);
	assert_true(n > 0);
	assert_int_equal(parse_exact(out, (size_t)n, &po), PKT_OK);
	assert_int_equal(out[po.l4_off], 1);
	assert_icmp6_csum(out, &po);
	/* from a multicast or unspecified source address */
	assert_int_equal(pkt_icmp6_error_build(out, sizeof(out), &err_l2,
					       unspec, 1, 0, 0, f, &pi),
			 -CEN_EINVAL);
	ip6("ff02::1", mc);
	assert_int_equal(pkt_icmp6_error_build(out, sizeof(out), &err_l2, mc, 1,
					       0, 0, f, &pi),
			 -CEN_EINVAL);
	/* a code the type does not have */
	assert_int_equal(pkt_icmp6_error_build(out, sizeof(out), &err_l2, rsrc,
					       1, 8, 0, f, &pi),
			 -CEN_EINVAL);

	/* about an ICMPv6 error, or a redirect; an echo is answered */
	mk_defaults(&m, 6, PKT_IPPROTO_ICMPV6);
	m.icmp_type = 1;
	assert_int_equal(pkt_parse(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_int_equal(pkt_icmp6_error_build(out, sizeof(out), &err_l2, rsrc,
					       3, 0, 0, f, &pi),
			 -CEN_EINVAL);
	m.icmp_type = 137;
	assert_int_equal(pkt_parse(f, mk_frame(f, &m), &pi), PKT_ND);
	assert_false(pkt_icmp_error_ok(f, &pi, 3, 0));
	m.icmp_type = 128;
	assert_int_equal(pkt_parse(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_true(pkt_icmp_error_ok(f, &pi, 3, 0));

	/* to a multicast address: only packet too big */
	mk_defaults(&m, 6, PKT_IPPROTO_UDP);
	ip6("ff0e::101", m.dst6);
	assert_int_equal(pkt_parse(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_false(pkt_icmp_error_ok(f, &pi, 3, 0));
	assert_true(pkt_icmp_error_ok(f, &pi, PKT_ICMP6_PACKET_TOO_BIG, 0));
	n = pkt_icmp6_error_build(out, sizeof(out), &err_l2, rsrc,
				  PKT_ICMP6_PACKET_TOO_BIG, 0, 1280, f, &pi);
	assert_true(n > 0);
	assert_int_equal(parse_exact(out, (size_t)n, &po), PKT_OK);
	assert_int_equal(pkt_get32(out + po.l4_off + 4), 1280);
	assert_icmp6_csum(out, &po);
	/* from the unspecified address */
	mk_defaults(&m, 6, PKT_IPPROTO_UDP);
	memset(m.src6, 0, 16);
	assert_int_equal(pkt_parse(f, mk_frame(f, &m), &pi), PKT_OK);
	assert_false(pkt_icmp_error_ok(f, &pi, 3, 0));
}

/*
 * Echo
 */

static void
test_echo4_request_builds_and_reply_parses(void **state)
{
	static const struct pkt_l2 l2 = { .dst = { 2, 0, 0, 0, 0, 0xb },
					  .src = { 2, 0, 0, 0, 0, 0xa } };
	uint8_t f[256];
	struct pkt_info pi;
	struct pkt_echo e;
	int n;

	(void)state;
	n = pkt_echo4_build(f, sizeof(f), &l2, V4(169, 254, 0, 1),
			    V4(169, 254, 0, 2), 0xabcd, 3, NULL, 56);
	assert_int_equal(n, 14 + 28 + 56);
	assert_int_equal(parse_exact(f, (size_t)n, &pi), PKT_OK);
	assert_int_equal(pi.proto, 1);
	assert_int_equal(pi.sport, 0xabcd);
	assert_int_equal(pi.ttl, PKT_TTL_DEFAULT);
	assert_int_equal(f[14 + 1], 0xc0);		 /* CS6 */
	assert_int_equal(pkt_get16(f + 14 + 6), 0x4000); /* DF */
	assert_int_equal(ref_csum(f + 34, 64), 0);
	assert_int_equal(pkt_echo_parse(f, (size_t)n, &pi, &e), 0);
	assert_false(e.reply);
	assert_int_equal(e.id, 0xabcd);
	assert_int_equal(e.seq, 3);
	assert_int_equal(e.data_len, 56);
	for (size_t i = 0; i < 56; i++)
		assert_int_equal(e.data[i], i);

	/* the peer's reply */
	f[34] = 0;
	pkt_put16(f + 36, 0);
	pkt_put16(f + 36, ref_csum(f + 34, 64));
	assert_int_equal(pkt_parse(f, (size_t)n, &pi), PKT_OK);
	assert_int_equal(pkt_echo_parse(f, (size_t)n, &pi, &e), 0);
	assert_true(e.reply);
	assert_int_equal(e.id, 0xabcd);
	assert_int_equal(e.seq, 3);
	f[40] ^= 1; /* checksum now wrong */
	assert_int_equal(pkt_echo_parse(f, (size_t)n, &pi, &e), -CEN_EPROTO);
	f[40] ^= 1;
	f[35] = 1; /* code 1 */
	pkt_put16(f + 36, 0);
	pkt_put16(f + 36, ref_csum(f + 34, 64));
	assert_int_equal(pkt_echo_parse(f, (size_t)n, &pi, &e), -CEN_EPROTO);
	f[34] = 3; /* not an echo */
	assert_int_equal(pkt_echo_parse(f, (size_t)n, &pi, &e), -CEN_ENOENT);

	assert_int_equal(
		pkt_echo4_build(f, 14 + 28 + 55, &l2, 1, 2, 0, 0, NULL, 56),
		-CEN_ETOOBIG);
	assert_int_equal(
		pkt_echo4_build(f, sizeof(f), &l2, 1, 2, 0, 0, "x", 65536),
		-CEN_EINVAL);
}

static void
test_echo6_request_builds_and_reply_parses(void **state)
{
	static const struct pkt_l2 l2 = { .dst = { 2, 0, 0, 0, 0, 0xb },
					  .src = { 2, 0, 0, 0, 0, 0xa },
					  .vlan = 12 };
	uint8_t f[256], src[16], dst[16];
	struct pkt_info pi;
	struct pkt_echo e;
	int n;

	(void)state;
	ip6("2001:db8::1", src);
	ip6("2001:db8::2", dst);
	n = pkt_echo6_build(f, sizeof(f), &l2, src, dst, 7, 65535, "probe", 5);
	assert_int_equal(n, 18 + 48 + 5);
	assert_int_equal(parse_exact(f, (size_t)n, &pi), PKT_OK);
	assert_int_equal(pi.vlan, 12);
	assert_int_equal(pi.proto, 58);
	assert_int_equal(pi.sport, 7);
	assert_icmp6_csum(f, &pi);
	assert_int_equal(pkt_echo_parse(f, (size_t)n, &pi, &e), 0);
	assert_false(e.reply);
	assert_int_equal(e.seq, 65535);
	assert_int_equal(e.data_len, 5);
	assert_memory_equal(e.data, "probe", 5);

	f[pi.l4_off] = 129;
	fix_icmp6(f, &pi);
	assert_int_equal(pkt_echo_parse(f, (size_t)n, &pi, &e), 0);
	assert_true(e.reply);
	assert_int_equal(e.id, 7);
	f[n - 1] ^= 0x10;
	assert_int_equal(pkt_echo_parse(f, (size_t)n, &pi, &e), -CEN_EPROTO);
}

static void
test_verdict_names_are_distinct(void **state)
{
	(void)state;
	assert_string_equal(pkt_verdict_name(PKT_OK), "ok");
	assert_string_equal(pkt_verdict_name(PKT_E_TRUNCATED), "truncated");
	assert_string_equal(pkt_verdict_name(PKT_VERDICT_COUNT), "unknown");
	for (int i = 0; i < PKT_VERDICT_COUNT; i++) {
		assert_non_null(pkt_verdict_name(i));
		for (int j = 0; j < i; j++)
			assert_string_not_equal(pkt_verdict_name(i),
						pkt_verdict_name(j));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_parse_ipv4_udp_untagged_fills_every_field),
		cmocka_unit_test(
			test_parse_ipv4_tcp_one_tag_reports_vid_and_offsets),
		cmocka_unit_test(
			test_parse_two_tags_report_outer_and_inner_vid),
		cmocka_unit_test(test_parse_three_tags_is_vlan_stack),
		cmocka_unit_test(
			test_parse_ipv4_options_move_the_transport_header),
		cmocka_unit_test(test_parse_ipv4_fragments_have_no_ports),
		cmocka_unit_test(
			test_parse_icmp_echo_id_goes_in_sport_other_icmp_has_none),
		cmocka_unit_test(test_parse_ipv6_tcp_points_at_the_addresses),
		cmocka_unit_test(
			test_parse_ipv6_skips_hop_by_hop_routing_and_dest_options),
		cmocka_unit_test(
			test_parse_ipv6_fragments_first_later_and_atomic),
		cmocka_unit_test(
			test_parse_ipv6_bad_extension_chains_are_bad_l3),
		cmocka_unit_test(test_parse_classifies_non_ip_arp_and_nd),
		cmocka_unit_test(
			test_parse_every_truncation_is_truncated_or_bad_l3),
		cmocka_unit_test(test_parse_bad_ipv4_headers_are_bad_l3),
		cmocka_unit_test(test_parse_bad_ipv6_headers_are_bad_l3),
		cmocka_unit_test(test_parse_short_transport_headers_are_bad_l4),
		cmocka_unit_test(test_parse_random_mutations_stay_in_bounds),
		cmocka_unit_test(
			test_ttl_dec_checksum_matches_full_recomputation),
		cmocka_unit_test(test_ttl_dec_checksum_edge_values),
		cmocka_unit_test(test_ttl_dec_ipv6_hop_limit),
		cmocka_unit_test(test_l2_write_untagged_and_tagged),
		cmocka_unit_test(test_vlan_set_keeps_priority_bits),
		cmocka_unit_test(
			test_reframe_in_place_writes_header_before_unmoved_packet),
		cmocka_unit_test(
			test_reframe_copy_writes_whole_frame_or_too_big),
		cmocka_unit_test(
			test_hash_spreads_random_tuples_over_64_buckets),
		cmocka_unit_test(test_hash_spreads_structured_tuples),
		cmocka_unit_test(test_hash_avalanche),
		cmocka_unit_test(test_hash_depends_on_direction_and_seed),
		cmocka_unit_test(
			test_csum_matches_rfc1071_example_and_reference),
		cmocka_unit_test(
			test_arp_request_and_reply_build_and_parse_back),
		cmocka_unit_test(
			test_arp_parse_rejects_other_hardware_protocols_and_ops),
		cmocka_unit_test(
			test_nd_ns_goes_to_solicited_node_address_and_parses_back),
		cmocka_unit_test(
			test_nd_ns_for_dad_and_unreachability_detection),
		cmocka_unit_test(test_nd_na_carries_flags_and_target_address),
		cmocka_unit_test(
			test_nd_parse_rejects_what_rfc4861_says_to_drop),
		cmocka_unit_test(
			test_icmp4_time_exceeded_quotes_up_to_576_bytes),
		cmocka_unit_test(test_icmp4_unreachable_and_its_parameter),
		cmocka_unit_test(
			test_icmp4_error_not_sent_where_rfc1812_forbids),
		cmocka_unit_test(
			test_icmp6_time_exceeded_quotes_up_to_1280_bytes),
		cmocka_unit_test(
			test_icmp6_unreachable_and_what_rfc4443_forbids),
		cmocka_unit_test(test_echo4_request_builds_and_reply_parses),
		cmocka_unit_test(test_echo6_request_builds_and_reply_parses),
		cmocka_unit_test(test_verdict_names_are_distinct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
