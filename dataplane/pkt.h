/*
 * pkt.h - Ethernet and IP packets in the forwarder (cenfwd): the per-packet
 * parse and rewrite of the packet path (DESIGN.md, "dataplane/: cenfwd":
 * parse, ECMP by 5-tuple hash, rewrite TTL, checksum and VLAN), and the
 * packets of the control path: ARP (RFC 826), IPv6 neighbour discovery
 * (RFC 4861), ICMP and ICMPv6 errors (RFC 792, RFC 1812 4.3.2, RFC 4443)
 * and the echo probes of VBR health checks.
 *
 * Fast path (static inline below): pkt_parse reads the Ethernet header and
 * up to two 802.1Q/802.1ad tags, validates the IPv4 or IPv6 header, finds
 * the transport header behind IPv6 extension headers and fills a struct
 * pkt_info with what forwarding needs.  It never writes the frame, never
 * allocates and copies nothing; the IPv6 addresses in pkt_info point into
 * the frame.  pkt_hash5, pkt_ttl_dec, pkt_vlan_set and pkt_reframe work in
 * place from a pkt_info.  Only an IPv6 header followed by extension headers
 * leaves the inline code (pkt_parse_ip6_ext).
 *
 * Control path (pkt.c): builders write a whole frame, L2 header included,
 * into the caller's buffer and return its length, or -CEN_ETOOBIG when cap
 * is too small, or -CEN_EINVAL for arguments the packet cannot carry (the
 * buffer is then undefined).  Frames are not padded to Ethernet's 60-byte
 * minimum; the port does that.  Parsers take a frame that pkt_parse
 * classified, with its pkt_info, and check every length and checksum: 0, or
 * -CEN_EPROTO for a malformed packet, or -CEN_ENOENT for a well-formed
 * packet of another kind.  Nothing here keeps a pointer past the call;
 * the pointers it hands back (pkt_info.src6, pkt_echo.data) point into the
 * caller's frame.
 *
 * Byte order: every multi-byte number in these structs and arguments is in
 * host order (an IPv4 address 10.0.0.1 is 0x0a000001), except IPv6
 * addresses and MAC addresses, which are byte arrays as on the wire.  A
 * 16-bit checksum is returned as the number to store big-endian in the
 * packet.
 *
 * A builder's output buffer must not overlap its inputs (the frame an ICMP
 * error quotes, the addresses); pkt_l2_write and pkt_reframe say where
 * they allow it.
 */
#ifndef CEN_PKT_H
#define CEN_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PKT_ETH_HLEN  14
#define PKT_VLAN_HLEN 4
#define PKT_VLAN_MAX  2 /* tags pkt_parse reads */
#define PKT_HEADROOM  4 /* pkt_reframe: bytes before the frame it may use */
#define PKT_VID_MASK  0x0fff

#define PKT_ETH_P_IP	 0x0800
#define PKT_ETH_P_ARP	 0x0806
#define PKT_ETH_P_IPV6	 0x86dd
#define PKT_ETH_P_8021Q	 0x8100
#define PKT_ETH_P_8021AD 0x88a8
#define PKT_ETH_P_QINQ	 0x9100 /* pre-standard outer tag, still met */

#define PKT_IPPROTO_HOPOPTS  0
#define PKT_IPPROTO_ICMP     1
#define PKT_IPPROTO_TCP	     6
#define PKT_IPPROTO_UDP	     17
#define PKT_IPPROTO_DCCP     33
#define PKT_IPPROTO_ROUTING  43
#define PKT_IPPROTO_FRAGMENT 44
#define PKT_IPPROTO_ICMPV6   58
#define PKT_IPPROTO_DSTOPTS  60
#define PKT_IPPROTO_SCTP     132
#define PKT_IPPROTO_UDPLITE  136

/* Extension headers pkt_parse walks before it calls the rest BAD_L3. */
#define PKT_IP6_EXT_MAX 8

#define PKT_ICMP4_ECHOREPLY	     0
#define PKT_ICMP4_UNREACH	     3
#define PKT_ICMP4_UNREACH_NET	     0
#define PKT_ICMP4_UNREACH_NEEDFRAG   4 /* param: next-hop MTU */
#define PKT_ICMP4_ECHO		     8
#define PKT_ICMP4_TIME_EXCEEDED	     11
#define PKT_ICMP4_TIME_EXCEEDED_TTL  0
#define PKT_ICMP4_PARAM_PROBLEM	     12 /* param: pointer << 24 */
#define PKT_ICMP6_UNREACH	     1
#define PKT_ICMP6_UNREACH_NOROUTE    0
#define PKT_ICMP6_PACKET_TOO_BIG     2 /* param: MTU */
#define PKT_ICMP6_TIME_EXCEEDED	     3
#define PKT_ICMP6_TIME_EXCEEDED_HOPS 0
#define PKT_ICMP6_PARAM_PROBLEM	     4 /* param: pointer */
#define PKT_ICMP6_ECHO_REQUEST	     128
#define PKT_ICMP6_ECHO_REPLY	     129
#define PKT_ICMP6_ND_RS		     133
#define PKT_ICMP6_ND_RA		     134
#define PKT_ICMP6_ND_NS		     135
#define PKT_ICMP6_ND_NA		     136
#define PKT_ICMP6_ND_REDIRECT	     137

/* NA flags, as in the first byte after the ICMPv6 checksum. */
#define PKT_NA_F_ROUTER	   0x80
#define PKT_NA_F_SOLICITED 0x40
#define PKT_NA_F_OVERRIDE  0x20

/* Sizes of the ICMP errors built here (RFC 1812 4.3.2.3: at most 576 bytes
 * of IPv4; RFC 4443 2.4(c): at most the IPv6 minimum MTU). */
#define PKT_ICMP4_ERR_MAX 576
#define PKT_ICMP6_ERR_MAX 1280
/* TTL / hop limit of the packets built here. */
#define PKT_TTL_DEFAULT 64

/*
 * Why pkt_parse did not hand a packet to the fast path; the forwarder keeps
 * one counter each, named by pkt_verdict_name().
 */
enum pkt_verdict {
	PKT_OK = 0,
	/* the frame ends inside the Ethernet header, a tag, the fixed IPv4
	 * or IPv6 header, the IPv4 options or the ARP body */
	PKT_E_TRUNCATED,
	/* an ethertype other than IPv4, IPv6 or ARP behind the tags */
	PKT_E_NOT_IP,
	/* IPv4: version, IHL < 5, total length < IHL * 4 or beyond the
	 * frame, header checksum; IPv6: version, payload length beyond the
	 * frame, an extension header beyond the payload, a hop-by-hop header
	 * not first, two fragment headers, more than PKT_IP6_EXT_MAX
	 * extension headers, more than 65535 bytes in all */
	PKT_E_BAD_L3,
	/* an unfragmented packet too short for its TCP (20 bytes), UDP and
	 * UDP-Lite (8), SCTP and DCCP (12) or ICMP/ICMPv6 (8) header */
	PKT_E_BAD_L4,
	/* more than PKT_VLAN_MAX tags */
	PKT_E_VLAN_STACK,
	/* an ARP frame (28-byte body present): to the control path */
	PKT_ARP,
	/* ICMPv6 RS, RA, NS, NA or redirect, unfragmented: to the control
	 * path (link-scoped, never forwarded) */
	PKT_ND,
	PKT_VERDICT_COUNT
};

/* pkt_info.frag */
#define PKT_FRAG_FIRST 1 /* offset 0, more fragments follow */
#define PKT_FRAG_LATER 2 /* offset > 0: no transport header */

/*
 * What the fast path needs of a frame, filled by pkt_parse.  On a verdict
 * other than PKT_OK and PKT_ND the fields parsed before the fault are set
 * (always l2_len, l3_off, vlan, ethertype once the tags were read) and the
 * rest are 0.
 */
struct pkt_info {
	uint16_t l2_len;     /* Ethernet header + tags: 14, 18 or 22 */
	uint16_t vlan;	     /* outer VLAN ID (12 bits), 0 = untagged */
	uint16_t vlan_inner; /* inner VLAN ID of a double-tagged frame, or 0 */
	uint16_t ethertype;  /* after the tags, host order */
	uint8_t family;	     /* 4 or 6; 0 when not IP */
	/* L4 protocol; IPv6: the header after the hop-by-hop, routing,
	 * destination options and fragment headers (for a PKT_FRAG_LATER
	 * fragment: the fragment header's next header) */
	uint8_t proto;
	uint8_t ttl; /* TTL / hop limit */
	/* 0, PKT_FRAG_FIRST or PKT_FRAG_LATER.  Any fragment has sport =
	 * dport = 0, the first too: all fragments of a datagram then hash
	 * alike and take one ECMP path.  An IPv6 atomic fragment (offset 0,
	 * no more fragments) is not a fragment. */
	uint8_t frag;
	uint16_t l3_off; /* = l2_len */
	uint16_t
		l4_off; /* transport header (IPv4 options, IPv6 ext. skipped) */
	/* IPv4 total length / IPv6 40 + payload length; the frame holds at
	 * least l3_off + ip_len bytes (more is Ethernet padding) */
	uint16_t ip_len;
	/* TCP/UDP/UDP-Lite/SCTP/DCCP ports, ICMP and ICMPv6 echo id in
	 * sport; 0 otherwise; host order */
	uint16_t sport, dport;
	uint32_t src4, dst4;	    /* IPv4, host order */
	const uint8_t *src6, *dst6; /* IPv6, pointing into the frame */
};

/* An output L2 header. */
struct pkt_l2 {
	uint8_t dst[6];
	uint8_t src[6];
	uint16_t vlan; /* VLAN ID, 0: untagged */
};

/* An ARP packet for IPv4 over Ethernet. */
struct pkt_arp {
	uint16_t op; /* 1 request, 2 reply */
	uint8_t sha[6];
	uint32_t spa;
	uint8_t tha[6];
	uint32_t tpa;
};

/* A neighbour solicitation or advertisement. */
struct pkt_nd {
	uint8_t type;  /* PKT_ICMP6_ND_NS or PKT_ICMP6_ND_NA */
	uint8_t flags; /* NA: PKT_NA_F_* */
	uint8_t target[16];
	/* NS: the source link-layer address option; NA: the target
	 * link-layer address option (the first one, for Ethernet) */
	bool has_lladdr;
	uint8_t lladdr[6];
};

/* An ICMP or ICMPv6 echo request or reply. */
struct pkt_echo {
	bool reply;
	uint16_t id, seq;
	const uint8_t *data; /* the payload, in the frame */
	size_t data_len;
};

/* Reads and writes of big-endian fields at any alignment. */
static inline uint16_t
pkt_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
pkt_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void
pkt_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
pkt_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* pkt.c */

/* "ok", "truncated", "not_ip", "bad_l3", "bad_l4", "vlan_stack", "arp",
 * "nd"; "unknown" out of range.  Static strings. */
const char *pkt_verdict_name(enum pkt_verdict v);

/* The IPv6 extension-header walk of pkt_parse: from *off (bytes from the
 * IPv6 header h, whose ip_len bytes are in the frame) with next header
 * *nh, skips hop-by-hop, routing, destination options and fragment
 * headers; on PKT_OK *off and *nh are the upper-layer header's and *frag
 * is set as pkt_info.frag says; otherwise PKT_E_BAD_L3. */
enum pkt_verdict pkt_parse_ip6_ext(const uint8_t *h, size_t ip_len, size_t *off,
				   uint8_t *nh, uint8_t *frag);

/* Internet checksum (RFC 1071).  pkt_csum_partial adds data to a running
 * sum (every piece but the last must have an even length); pkt_csum_fold
 * folds and complements it into the checksum to store.  Summed over data
 * that includes a correct checksum, the result is 0. */
uint64_t pkt_csum_partial(const void *data, size_t len, uint64_t sum);
uint16_t pkt_csum_fold(uint64_t sum);
uint16_t pkt_inet_csum(const void *data, size_t len);
/* The header checksum of the IPv4 header at h (IHL from h[0], those bytes
 * readable), computed as if its checksum field were 0: the value to store
 * at h + 10. */
uint16_t pkt_ip4_csum(const uint8_t *h);
/* TCP/UDP/ICMPv6-style checksums over a pseudo-header (RFC 793, RFC 8200
 * 8.1) and len bytes of the upper-layer packet, checksum field included
 * as it is: 0 to fill (for UDP store 0xffff in place of 0), or compare
 * with 0 to verify. */
uint16_t pkt_ip4_l4_csum(uint32_t src, uint32_t dst, uint8_t proto,
			 const void *l4, size_t len);
uint16_t pkt_ip6_l4_csum(const uint8_t src[16], const uint8_t dst[16],
			 uint8_t nh, const void *l4, size_t len);

/* The solicited-node multicast address of ip (ff02::1:ffXX:XXXX, RFC 4291
 * 2.7.1) and the Ethernet address of an IPv6 multicast address
 * (33:33:XX:XX:XX:XX, RFC 2464 7). */
void pkt_ip6_solicited_node(const uint8_t ip[16], uint8_t out[16]);
void pkt_ip6_mcast_mac(const uint8_t ip[16], uint8_t mac[6]);

/* Writes the parsed frame, re-headed with dst, src and vlan, into out:
 * the L2 header then the IP packet (ip_len bytes; without Ethernet
 * padding) or, for a non-IP frame, the rest of the frame.  Returns the
 * length or -CEN_ETOOBIG.  For when out is another buffer (a transmit
 * ring); in place, pkt_reframe copies nothing. */
int pkt_reframe_copy(uint8_t *out, size_t cap, const uint8_t *frame, size_t len,
		     const struct pkt_info *pi, const uint8_t dst[6],
		     const uint8_t src[6], uint16_t vlan);

/* ARP (RFC 826).  pkt_arp_parse: pi from pkt_parse == PKT_ARP; accepts
 * Ethernet/IPv4 requests and replies.  pkt_arp_build: op 1 or 2, from
 * sha (also the Ethernet source) to dst_mac, NULL for broadcast (a
 * request); tha NULL for 00:00:00:00:00:00 (a request). */
int pkt_arp_parse(const uint8_t *frame, size_t len, const struct pkt_info *pi,
		  struct pkt_arp *arp);
int pkt_arp_build(uint8_t *out, size_t cap, uint16_t vlan, uint16_t op,
		  const uint8_t sha[6], uint32_t spa, const uint8_t *tha,
		  uint32_t tpa, const uint8_t *dst_mac);

/* Neighbour discovery (RFC 4861).  pkt_nd_parse: pi from pkt_parse ==
 * PKT_ND; checks hop limit 255, code 0, the checksum, the length, a
 * unicast target, option lengths, and RFC 4861 7.1.1/7.1.2's rules on
 * unspecified sources and multicast destinations; -CEN_ENOENT for an RS,
 * RA or redirect (nd->type says which).
 *
 * pkt_nd_ns_build: a solicitation for target from src_ip (with a source
 * link-layer address option holding src_mac, except from the unspecified
 * address: duplicate address detection), to target's solicited-node
 * address and its 33:33:ff:xx:xx:xx, or with dst_mac to target itself at
 * dst_mac (unreachability detection).
 *
 * pkt_nd_na_build: an advertisement for target from src_ip and src_mac
 * (which goes in a target link-layer address option) to dst_ip at dst_mac
 * (NULL: dst_ip must be multicast, its 33:33 address is used); flags are
 * PKT_NA_F_*, and PKT_NA_F_SOLICITED needs a unicast dst_ip. */
int pkt_nd_parse(const uint8_t *frame, size_t len, const struct pkt_info *pi,
		 struct pkt_nd *nd);
int pkt_nd_ns_build(uint8_t *out, size_t cap, uint16_t vlan,
		    const uint8_t src_mac[6], const uint8_t src_ip[16],
		    const uint8_t target[16], const uint8_t *dst_mac);
int pkt_nd_na_build(uint8_t *out, size_t cap, uint16_t vlan,
		    const uint8_t src_mac[6], const uint8_t src_ip[16],
		    const uint8_t *dst_mac, const uint8_t dst_ip[16],
		    const uint8_t target[16], uint8_t flags);

/* Whether the packet may be answered with an ICMP error of this type and
 * code: not for link-layer broadcast or multicast frames, multicast or
 * broadcast destinations, sources that are not one host, ICMP errors,
 * IPv4 fragments after the first (RFC 1812 4.3.2.7, RFC 4443 2.4(e),
 * which lets a packet too big or parameter problem code 2 answer
 * multicast).  pi from pkt_parse == PKT_OK. */
bool pkt_icmp_error_ok(const uint8_t *frame, const struct pkt_info *pi,
		       uint8_t type, uint8_t code);

/* An ICMP error about the parsed IPv4 packet (pi from pkt_parse == PKT_OK)
 * from src to its source, with l2: type PKT_ICMP4_UNREACH (code 0..15),
 * PKT_ICMP4_TIME_EXCEEDED (0..1) or PKT_ICMP4_PARAM_PROBLEM (0..2), param
 * the 32 bits after the checksum; quoting the packet as the frame holds it
 * now, as much as fits in PKT_ICMP4_ERR_MAX bytes (at least its header and
 * 8 bytes, RFC 792).  -CEN_EINVAL when pkt_icmp_error_ok says no.  Rate
 * limiting (RFC 1812 4.3.2.8) is the caller's. */
int pkt_icmp4_error_build(uint8_t *out, size_t cap, const struct pkt_l2 *l2,
			  uint32_t src, uint8_t type, uint8_t code,
			  uint32_t param, const uint8_t *frame,
			  const struct pkt_info *pi);
/* The same for IPv6 (RFC 4443): PKT_ICMP6_UNREACH (code 0..7),
 * PKT_ICMP6_PACKET_TOO_BIG (0), PKT_ICMP6_TIME_EXCEEDED (0..1),
 * PKT_ICMP6_PARAM_PROBLEM (0..3), quoting as much as fits in
 * PKT_ICMP6_ERR_MAX bytes; src must be unicast.  Rate limiting (RFC 4443
 * 2.4(f)) is the caller's. */
int pkt_icmp6_error_build(uint8_t *out, size_t cap, const struct pkt_l2 *l2,
			  const uint8_t src[16], uint8_t type, uint8_t code,
			  uint32_t param, const uint8_t *frame,
			  const struct pkt_info *pi);

/* Echo requests (health-check probes) from src to dst with l2: payload_len
 * bytes of payload, or of the pattern 0x00 0x01 .. 0xff 0x00 .. when
 * payload is NULL.  TTL / hop limit PKT_TTL_DEFAULT, DSCP CS6 (network
 * control, as BFD), IPv4 with DF. */
int pkt_echo4_build(uint8_t *out, size_t cap, const struct pkt_l2 *l2,
		    uint32_t src, uint32_t dst, uint16_t id, uint16_t seq,
		    const void *payload, size_t payload_len);
int pkt_echo6_build(uint8_t *out, size_t cap, const struct pkt_l2 *l2,
		    const uint8_t src[16], const uint8_t dst[16], uint16_t id,
		    uint16_t seq, const void *payload, size_t payload_len);
/* An ICMP or ICMPv6 echo request or reply (pi from pkt_parse == PKT_OK):
 * code 0, checksum, not a fragment; -CEN_ENOENT for other packets. */
int pkt_echo_parse(const uint8_t *frame, size_t len, const struct pkt_info *pi,
		   struct pkt_echo *e);

/*
 * The fast path.
 */

#define PKT_LIKELY(x)	__builtin_expect(!!(x), 1)
#define PKT_UNLIKELY(x) __builtin_expect(!!(x), 0)

static inline bool
pkt_is_tpid(uint16_t et)
{
	return et == PKT_ETH_P_8021Q || et == PKT_ETH_P_8021AD ||
	       et == PKT_ETH_P_QINQ;
}

/* Whether the IPv4 header h of hl bytes sums to 0xffff.  A ones'
 * complement sum does not depend on byte order (RFC 1071 2(B)), so native
 * 32-bit words are summed and folded. */
static inline uint32_t
pkt_load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline bool
pkt_ip4_csum_ok(const uint8_t *h, size_t hl)
{
	uint64_t s;

	s = (uint64_t)pkt_load32(h) + pkt_load32(h + 4) + pkt_load32(h + 8) +
	    pkt_load32(h + 12) + pkt_load32(h + 16);
	for (size_t i = 20; PKT_UNLIKELY(i < hl); i += 4)
		s += pkt_load32(h + i);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

/* Ports, or the echo id, of an unfragmented packet whose transport
 * header is at l4 with n bytes of the IP packet from there on. */
static inline enum pkt_verdict
pkt_parse_l4(const uint8_t *l4, size_t n, struct pkt_info *pi)
{
	size_t need;

	switch (pi->proto) {
	case PKT_IPPROTO_TCP:
		need = 20;
		break;
	case PKT_IPPROTO_UDP:
	case PKT_IPPROTO_UDPLITE:
		need = 8;
		break;
	case PKT_IPPROTO_SCTP:
	case PKT_IPPROTO_DCCP:
		need = 12;
		break;
	case PKT_IPPROTO_ICMP:
		if (pi->family != 4)
			return PKT_OK;
		if (PKT_UNLIKELY(n < 8))
			return PKT_E_BAD_L4;
		if (l4[0] == PKT_ICMP4_ECHO || l4[0] == PKT_ICMP4_ECHOREPLY)
			pi->sport = pkt_get16(l4 + 4);
		return PKT_OK;
	case PKT_IPPROTO_ICMPV6:
		if (pi->family != 6)
			return PKT_OK;
		if (PKT_UNLIKELY(n < 8))
			return PKT_E_BAD_L4;
		if (l4[0] == PKT_ICMP6_ECHO_REQUEST ||
		    l4[0] == PKT_ICMP6_ECHO_REPLY)
			pi->sport = pkt_get16(l4 + 4);
		else if (l4[0] >= PKT_ICMP6_ND_RS &&
			 l4[0] <= PKT_ICMP6_ND_REDIRECT)
			return PKT_ND;
		return PKT_OK;
	default:
		return PKT_OK;
	}
	if (PKT_UNLIKELY(n < need))
		return PKT_E_BAD_L4;
	pi->sport = pkt_get16(l4);
	pi->dport = pkt_get16(l4 + 2);
	return PKT_OK;
}

static inline enum pkt_verdict
pkt_parse_ip4(const uint8_t *frame, size_t len, struct pkt_info *pi)
{
	const uint8_t *h = frame + pi->l3_off;
	size_t room = len - pi->l3_off, hl, tot;
	uint16_t fo;

	if (PKT_UNLIKELY(room < 20))
		return PKT_E_TRUNCATED;
	hl = (size_t)(h[0] & 0x0f) << 2;
	if (PKT_UNLIKELY((h[0] & 0xf0) != 0x40 || hl < 20))
		return PKT_E_BAD_L3;
	if (PKT_UNLIKELY(room < hl))
		return PKT_E_TRUNCATED;
	tot = pkt_get16(h + 2);
	if (PKT_UNLIKELY(tot < hl || tot > room || !pkt_ip4_csum_ok(h, hl)))
		return PKT_E_BAD_L3;
	pi->family = 4;
	pi->ip_len = (uint16_t)tot;
	pi->ttl = h[8];
	pi->proto = h[9];
	pi->src4 = pkt_get32(h + 12);
	pi->dst4 = pkt_get32(h + 16);
	pi->l4_off = (uint16_t)(pi->l3_off + hl);
	fo = pkt_get16(h + 6);
	if (PKT_UNLIKELY(fo & 0x3fff)) { /* MF or an offset */
		pi->frag = (fo & 0x1fff) ? PKT_FRAG_LATER : PKT_FRAG_FIRST;
		return PKT_OK;
	}
	return pkt_parse_l4(h + hl, tot - hl, pi);
}

static inline bool
pkt_ip6_is_ext(uint8_t nh)
{
	return nh == PKT_IPPROTO_HOPOPTS || nh == PKT_IPPROTO_ROUTING ||
	       nh == PKT_IPPROTO_FRAGMENT || nh == PKT_IPPROTO_DSTOPTS;
}

static inline enum pkt_verdict
pkt_parse_ip6(const uint8_t *frame, size_t len, struct pkt_info *pi)
{
	const uint8_t *h = frame + pi->l3_off;
	size_t room = len - pi->l3_off, tot, off = 40;
	uint8_t nh;

	if (PKT_UNLIKELY(room < 40))
		return PKT_E_TRUNCATED;
	tot = 40 + (size_t)pkt_get16(h + 4);
	/* ip_len is 16 bits: a packet over 65535 bytes needs a 64 KiB
	 * link, which no port of a forwarder has */
	if (PKT_UNLIKELY((h[0] & 0xf0) != 0x60 || tot > room || tot > 0xffff))
		return PKT_E_BAD_L3;
	pi->family = 6;
	pi->ip_len = (uint16_t)tot;
	pi->ttl = h[7];
	pi->src6 = h + 8;
	pi->dst6 = h + 24;
	nh = h[6];
	if (PKT_UNLIKELY(pkt_ip6_is_ext(nh))) {
		enum pkt_verdict v;
		uint8_t frag = 0;

		/* locals, so that pi's address does not escape and the
		 * compiler may keep it in registers */
		v = pkt_parse_ip6_ext(h, tot, &off, &nh, &frag);
		if (v != PKT_OK)
			return v;
		pi->frag = frag;
	}
	pi->proto = nh;
	pi->l4_off = (uint16_t)(pi->l3_off + off);
	if (pi->frag != 0)
		return PKT_OK;
	return pkt_parse_l4(h + off, tot - off, pi);
}

/*
 * Parses the Ethernet frame of len bytes (without FCS) at frame into pi.
 * PKT_OK: an IPv4 or IPv6 packet to forward, pi filled; PKT_ARP (pi's L2
 * fields) and PKT_ND (pi filled): for the control path; anything else:
 * drop and count.  Reads only frame[0..len).
 */
static inline enum pkt_verdict
pkt_parse(const uint8_t *frame, size_t len, struct pkt_info *pi)
{
	size_t l3 = PKT_ETH_HLEN;
	uint16_t et;

	*pi = (struct pkt_info){ 0 };
	if (PKT_UNLIKELY(len < PKT_ETH_HLEN))
		return PKT_E_TRUNCATED;
	et = pkt_get16(frame + 12);
	if (PKT_UNLIKELY(pkt_is_tpid(et))) {
		if (len < l3 + PKT_VLAN_HLEN)
			return PKT_E_TRUNCATED;
		pi->vlan = pkt_get16(frame + l3) & PKT_VID_MASK;
		et = pkt_get16(frame + l3 + 2);
		l3 += PKT_VLAN_HLEN;
		if (pkt_is_tpid(et)) {
			if (len < l3 + PKT_VLAN_HLEN)
				return PKT_E_TRUNCATED;
			pi->vlan_inner = pkt_get16(frame + l3) & PKT_VID_MASK;
			et = pkt_get16(frame + l3 + 2);
			l3 += PKT_VLAN_HLEN;
		}
	}
	pi->l2_len = pi->l3_off = (uint16_t)l3;
	pi->ethertype = et;
	if (PKT_LIKELY(et == PKT_ETH_P_IP))
		return pkt_parse_ip4(frame, len, pi);
	if (PKT_LIKELY(et == PKT_ETH_P_IPV6))
		return pkt_parse_ip6(frame, len, pi);
	if (et == PKT_ETH_P_ARP)
		return len - l3 >= 28 ? PKT_ARP : PKT_E_TRUNCATED;
	if (pkt_is_tpid(et))
		return PKT_E_VLAN_STACK;
	return PKT_E_NOT_IP;
}

static inline uint64_t
pkt_fmix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/*
 * A well-mixed hash of (source, destination, protocol, sport, dport) for
 * ECMP and flow meters: every input bit flips each output bit with
 * probability near 1/2, so any bits of it (h % n, h >> 26) spread flows
 * evenly.  Not symmetric (the two directions of a flow hash apart).
 * Forwarders in a chain should hash with different seeds, so that flows
 * one of them sent down one path are spread again by the next (no
 * polarisation); pkt_hash5 is seed 0.  Built from MurmurHash3's
 * finaliser, a bijection of 64 bits, chained over the address words.
 */
static inline uint32_t
pkt_hash5_seed(const struct pkt_info *pi, uint64_t seed)
{
	uint64_t l4 = (uint64_t)pi->proto << 32 | (uint64_t)pi->sport << 16 |
		      pi->dport;
	uint64_t h;

	if (pi->family == 6) {
		uint64_t a[4], hs, hd;

		memcpy(&a[0], pi->src6, 16);
		memcpy(&a[2], pi->dst6, 16);
		/* two independent chains, joined at the end */
		hs = pkt_fmix64(a[0] ^ seed ^ 0x9e3779b97f4a7c15ULL);
		hd = pkt_fmix64(a[2] ^ 0xc2b2ae3d27d4eb4fULL);
		hs = pkt_fmix64(hs ^ a[1]);
		hd = pkt_fmix64(hd ^ a[3]);
		h = pkt_fmix64(hs ^ (hd + 0x165667b19e3779f9ULL) ^ l4);
	} else {
		h = pkt_fmix64(((uint64_t)pi->src4 << 32 | pi->dst4) ^ seed ^
			       0x9e3779b97f4a7c15ULL);
		h = pkt_fmix64(h ^ l4);
	}
	return (uint32_t)(h ^ h >> 32);
}

static inline uint32_t
pkt_hash5(const struct pkt_info *pi)
{
	return pkt_hash5_seed(pi, 0);
}

/*
 * Decrements the TTL / hop limit in place; for IPv4 the header checksum
 * is updated incrementally (RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), which
 * gives what a full recomputation gives).  The TTL is the high byte of the
 * word it shares with the protocol, so m' = m - 0x100 and ~m + m' is
 * 0xfeff whatever m is.  The caller checked pi->ttl > 1.
 */
static inline void
pkt_ttl_dec(uint8_t *frame, const struct pkt_info *pi)
{
	uint8_t *h = frame + pi->l3_off;
	uint32_t s;

	if (pi->family == 6) {
		h[7]--;
		return;
	}
	h[8]--;
	s = (uint32_t)(uint16_t)~pkt_get16(h + 10) + 0xfeff;
	s = (s & 0xffff) + (s >> 16);
	pkt_put16(h + 10, (uint16_t)~s);
}

/* Sets the VLAN ID of the outer tag in place, keeping its priority and
 * DEI bits.  The frame is tagged (pi->vlan_inner or a tag: l2_len > 14). */
static inline void
pkt_vlan_set(uint8_t *frame, const struct pkt_info *pi, uint16_t vid)
{
	uint8_t *tci = frame + PKT_ETH_HLEN;

	pkt_put16(tci, (uint16_t)((pkt_get16(tci) & ~PKT_VID_MASK) |
				  (vid & PKT_VID_MASK)));
}

/* Writes an L2 header at out: 14 bytes, or 18 with an 802.1Q tag holding
 * vlan (priority 0) when vlan is not 0.  dst and src may point into out. */
static inline size_t
pkt_l2_write(uint8_t *out, const uint8_t dst_mac[6], const uint8_t src_mac[6],
	     uint16_t vlan, uint16_t ethertype)
{
	uint8_t mac[12];

	memcpy(mac, dst_mac, 6);
	memcpy(mac + 6, src_mac, 6);
	memcpy(out, mac, 12);
	if (vlan == 0) {
		pkt_put16(out + 12, ethertype);
		return PKT_ETH_HLEN;
	}
	pkt_put16(out + 12, PKT_ETH_P_8021Q);
	pkt_put16(out + 14, vlan & PKT_VID_MASK);
	pkt_put16(out + 16, ethertype);
	return PKT_ETH_HLEN + PKT_VLAN_HLEN;
}

/*
 * Re-heads the parsed frame for output, in place: writes the L2 header for
 * (dst, src, vlan) just before the L3 packet, which does not move, and
 * returns where the output frame now begins, frame + pi->l2_len minus the
 * new header's length; *len becomes the output frame's length (an IP
 * packet loses its Ethernet padding).  With the same header length (the
 * usual case) that is frame itself; a tag added to an untagged frame
 * takes the PKT_HEADROOM bytes before frame, which the buffer must have.
 * dst and src may point into the frame's old header.
 */
static inline uint8_t *
pkt_reframe(uint8_t *frame, size_t *len, const struct pkt_info *pi,
	    const uint8_t dst[6], const uint8_t src[6], uint16_t vlan)
{
	size_t hl = vlan != 0 ? PKT_ETH_HLEN + PKT_VLAN_HLEN : PKT_ETH_HLEN;
	uint8_t *out = frame + pi->l2_len - hl;
	size_t body = pi->family != 0 ? pi->ip_len : *len - pi->l2_len;

	pkt_l2_write(out, dst, src, vlan, pi->ethertype);
	*len = hl + body;
	return out;
}

#endif
