/*
 * pkt.c - the slow half of pkt.h: the IPv6 extension-header walk, internet
 * checksums (RFC 1071), and the control path's packets: ARP (RFC 826),
 * neighbour discovery (RFC 4861), ICMP errors (RFC 792, RFC 1812 4.3.2),
 * ICMPv6 errors (RFC 4443) and echo probes.  Correctness before speed:
 * every read is bounded by the lengths pkt_parse checked or by the frame's
 * length, every write by the caller's cap.
 */
#include <string.h>

#include "core/err.h"
#include "dataplane/pkt.h"

#define IP4_HLEN   20
#define IP6_HLEN   40
#define ICMP_HLEN  8
#define ARP_LEN	   28
#define ND_LEN	   24 /* NS/NA without options */
#define ND_OPT_LEN 8  /* an Ethernet link-layer address option */

#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2

/* DSCP CS6 (network control) in the IPv4 TOS / IPv6 traffic class byte,
 * for ICMP errors (as Linux) and health-check probes (as BFD). */
#define TOS_CS6 0xc0

static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_zero[6];

static const char *const verdict_names[PKT_VERDICT_COUNT] = {
	[PKT_OK] = "ok",	   [PKT_E_TRUNCATED] = "truncated",
	[PKT_E_NOT_IP] = "not_ip", [PKT_E_BAD_L3] = "bad_l3",
	[PKT_E_BAD_L4] = "bad_l4", [PKT_E_VLAN_STACK] = "vlan_stack",
	[PKT_ARP] = "arp",	   [PKT_ND] = "nd",
};

const char *
pkt_verdict_name(enum pkt_verdict v)
{
	if ((unsigned)v >= PKT_VERDICT_COUNT)
		return "unknown";
	return verdict_names[v];
}

/*
 * RFC 8200 4.1: hop-by-hop options only right after the IPv6 header, a
 * fragment header at most once.  Every header is at least 8 bytes and
 * must end within the packet; a fragment after the first ends the walk,
 * since what follows its header is not the start of the payload.
 */
enum pkt_verdict
pkt_parse_ip6_ext(const uint8_t *h, size_t ip_len, size_t *offp, uint8_t *nhp,
		  uint8_t *frag)
{
	size_t off = *offp, elen;
	uint8_t nh = *nhp;
	bool seen_frag = false;

	for (unsigned n = 0; pkt_ip6_is_ext(nh); n++) {
		if (n == PKT_IP6_EXT_MAX || off > ip_len || ip_len - off < 8)
			return PKT_E_BAD_L3;
		if (nh == PKT_IPPROTO_HOPOPTS && n != 0)
			return PKT_E_BAD_L3;
		if (nh == PKT_IPPROTO_FRAGMENT) {
			uint16_t fo = pkt_get16(h + off + 2);

			if (seen_frag)
				return PKT_E_BAD_L3;
			seen_frag = true;
			nh = h[off];
			off += 8;
			if (fo & 0xfff8) {
				*frag = PKT_FRAG_LATER;
				break;
			}
			if (fo & 1)
				*frag = PKT_FRAG_FIRST;
			continue;
		}
		elen = ((size_t)h[off + 1] + 1) * 8;
		if (elen > ip_len - off)
			return PKT_E_BAD_L3;
		nh = h[off];
		off += elen;
	}
	*offp = off;
	*nhp = nh;
	return PKT_OK;
}

/*
 * Checksums.  Big-endian 16-bit words are summed into 64 bits, which
 * cannot overflow for any length that fits in memory.
 */

uint64_t
pkt_csum_partial(const void *data, size_t len, uint64_t sum)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t
pkt_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t
pkt_inet_csum(const void *data, size_t len)
{
	return pkt_csum_fold(pkt_csum_partial(data, len, 0));
}

uint16_t
pkt_ip4_csum(const uint8_t *h)
{
	size_t hl = (size_t)(h[0] & 0x0f) << 2;
	uint64_t s;

	if (hl < 12)
		return pkt_inet_csum(h, hl);
	s = pkt_csum_partial(h, 10, 0);
	return pkt_csum_fold(pkt_csum_partial(h + 12, hl - 12, s));
}

uint16_t
pkt_ip4_l4_csum(uint32_t src, uint32_t dst, uint8_t proto, const void *l4,
		size_t len)
{
	uint64_t s;

	s = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
	    proto + (uint64_t)len;
	return pkt_csum_fold(pkt_csum_partial(l4, len, s));
}

uint16_t
pkt_ip6_l4_csum(const uint8_t src[16], const uint8_t dst[16], uint8_t nh,
		const void *l4, size_t len)
{
	uint64_t s;

	s = pkt_csum_partial(src, 16, 0);
	s = pkt_csum_partial(dst, 16, s);
	s += (len >> 16) + (len & 0xffff) + nh;
	return pkt_csum_fold(pkt_csum_partial(l4, len, s));
}

/*
 * IPv6 addresses.
 */

static bool
ip6_is_unspec(const uint8_t a[16])
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

static bool
ip6_is_mcast(const uint8_t a[16])
{
	return a[0] == 0xff;
}

static bool
ip6_is_solicited_node(const uint8_t a[16])
{
	static const uint8_t pfx[13] = { 0xff, 0x02, 0, 0, 0, 0,   0,
					 0,    0,    0, 0, 1, 0xff };

	return memcmp(a, pfx, sizeof(pfx)) == 0;
}

void
pkt_ip6_solicited_node(const uint8_t ip[16], uint8_t out[16])
{
	static const uint8_t pfx[13] = { 0xff, 0x02, 0, 0, 0, 0,   0,
					 0,    0,    0, 0, 1, 0xff };

	memcpy(out, pfx, sizeof(pfx));
	memcpy(out + 13, ip + 13, 3);
}

void
pkt_ip6_mcast_mac(const uint8_t ip[16], uint8_t mac[6])
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, ip + 12, 4);
}

/*
 * Header writers for the builders; the caller checked the room.
 */

static size_t
l2_hlen(uint16_t vlan)
{
	return vlan != 0 ? PKT_ETH_HLEN + PKT_VLAN_HLEN : PKT_ETH_HLEN;
}

static void
ip4_write(uint8_t *h, uint8_t tos, size_t tot, bool df, uint8_t proto,
	  uint32_t src, uint32_t dst)
{
	h[0] = 0x45;
	h[1] = tos;
	pkt_put16(h + 2, (uint16_t)tot);
	pkt_put16(h + 4, 0); /* RFC 6864: only fragments need an ID */
	pkt_put16(h + 6, df ? 0x4000 : 0);
	h[8] = PKT_TTL_DEFAULT;
	h[9] = proto;
	pkt_put16(h + 10, 0);
	pkt_put32(h + 12, src);
	pkt_put32(h + 16, dst);
	pkt_put16(h + 10, pkt_ip4_csum(h));
}

static void
ip6_write(uint8_t *h, uint8_t tclass, size_t plen, uint8_t hops,
	  const uint8_t src[16], const uint8_t dst[16])
{
	pkt_put32(h, 0x60000000u | (uint32_t)tclass << 20);
	pkt_put16(h + 4, (uint16_t)plen);
	h[6] = PKT_IPPROTO_ICMPV6;
	h[7] = hops;
	memmove(h + 8, src, 16);
	memmove(h + 24, dst, 16);
}

/* The ICMPv6 checksum of the packet whose IPv6 header is at h. */
static void
icmp6_csum_set(uint8_t *h, size_t icmp_len)
{
	uint8_t *icmp = h + IP6_HLEN;

	pkt_put16(icmp + 2, 0);
	pkt_put16(icmp + 2, pkt_ip6_l4_csum(h + 8, h + 24, PKT_IPPROTO_ICMPV6,
					    icmp, icmp_len));
}

/* The IP packet of a parsed frame is whole within len (pkt_parse saw to
 * it; a caller might pass another length). */
static bool
ip_whole(size_t len, const struct pkt_info *pi)
{
	return pi->family != 0 && pi->l4_off >= pi->l3_off &&
	       (size_t)pi->l3_off + pi->ip_len <= len &&
	       pi->l4_off <= (size_t)pi->l3_off + pi->ip_len;
}

/*
 * Re-heading into another buffer.
 */

int
pkt_reframe_copy(uint8_t *out, size_t cap, const uint8_t *frame, size_t len,
		 const struct pkt_info *pi, const uint8_t dst[6],
		 const uint8_t src[6], uint16_t vlan)
{
	size_t hl = l2_hlen(vlan), body;

	if (pi->l2_len > len)
		return -CEN_EINVAL;
	body = pi->family != 0 ? pi->ip_len : len - pi->l2_len;
	if ((size_t)pi->l3_off + body > len)
		return -CEN_EINVAL;
	if (cap < hl + body)
		return -CEN_ETOOBIG;
	pkt_l2_write(out, dst, src, vlan, pi->ethertype);
	memcpy(out + hl, frame + pi->l3_off, body);
	return (int)(hl + body);
}

/*
 * ARP
 */

int
pkt_arp_parse(const uint8_t *frame, size_t len, const struct pkt_info *pi,
	      struct pkt_arp *arp)
{
	const uint8_t *p = frame + pi->l3_off;
	uint16_t op;

	memset(arp, 0, sizeof(*arp));
	if (pi->ethertype != PKT_ETH_P_ARP || pi->l3_off > len ||
	    len - pi->l3_off < ARP_LEN)
		return -CEN_EPROTO;
	/* Ethernet hardware, IPv4 protocol, their address lengths */
	if (pkt_get16(p) != 1 || pkt_get16(p + 2) != PKT_ETH_P_IP ||
	    p[4] != 6 || p[5] != 4)
		return -CEN_EPROTO;
	op = pkt_get16(p + 6);
	if (op != 1 && op != 2)
		return -CEN_EPROTO;
	arp->op = op;
	memcpy(arp->sha, p + 8, 6);
	arp->spa = pkt_get32(p + 14);
	memcpy(arp->tha, p + 18, 6);
	arp->tpa = pkt_get32(p + 24);
	return 0;
}

int
pkt_arp_build(uint8_t *out, size_t cap, uint16_t vlan, uint16_t op,
	      const uint8_t sha[6], uint32_t spa, const uint8_t *tha,
	      uint32_t tpa, const uint8_t *dst_mac)
{
	size_t hl = l2_hlen(vlan);
	uint8_t *p;

	if ((op != 1 && op != 2) || vlan > PKT_VID_MASK)
		return -CEN_EINVAL;
	if (cap < hl + ARP_LEN)
		return -CEN_ETOOBIG;
	p = out + pkt_l2_write(out, dst_mac != NULL ? dst_mac : mac_bcast, sha,
			       vlan, PKT_ETH_P_ARP);
	pkt_put16(p, 1);
	pkt_put16(p + 2, PKT_ETH_P_IP);
	p[4] = 6;
	p[5] = 4;
	pkt_put16(p + 6, op);
	memmove(p + 8, sha, 6);
	pkt_put32(p + 14, spa);
	memmove(p + 18, tha != NULL ? tha : mac_zero, 6);
	pkt_put32(p + 24, tpa);
	return (int)(hl + ARP_LEN);
}

/*
 * Neighbour discovery
 */

int
pkt_nd_parse(const uint8_t *frame, size_t len, const struct pkt_info *pi,
	     struct pkt_nd *nd)
{
	const uint8_t *icmp;
	size_t n, off;
	uint8_t want;

	memset(nd, 0, sizeof(*nd));
	if (!ip_whole(len, pi) || pi->family != 6 ||
	    pi->proto != PKT_IPPROTO_ICMPV6 || pi->frag != 0)
		return -CEN_EPROTO;
	icmp = frame + pi->l4_off;
	n = (size_t)pi->l3_off + pi->ip_len - pi->l4_off;
	if (n < ICMP_HLEN)
		return -CEN_EPROTO;
	nd->type = icmp[0];
	if (nd->type != PKT_ICMP6_ND_NS && nd->type != PKT_ICMP6_ND_NA)
		return -CEN_ENOENT;
	/* RFC 4861 7.1.1 and 7.1.2 */
	if (pi->ttl != 255 || icmp[1] != 0 || n < ND_LEN ||
	    pkt_ip6_l4_csum(pi->src6, pi->dst6, PKT_IPPROTO_ICMPV6, icmp, n) !=
		    0)
		return -CEN_EPROTO;
	memcpy(nd->target, icmp + 8, 16);
	if (ip6_is_mcast(nd->target))
		return -CEN_EPROTO;
	if (nd->type == PKT_ICMP6_ND_NS) {
		want = ND_OPT_SLLA;
		if (ip6_is_unspec(pi->src6) && !ip6_is_solicited_node(pi->dst6))
			return -CEN_EPROTO;
	} else {
		want = ND_OPT_TLLA;
		nd->flags = icmp[4] & (PKT_NA_F_ROUTER | PKT_NA_F_SOLICITED |
				       PKT_NA_F_OVERRIDE);
		if (ip6_is_mcast(pi->dst6) && (nd->flags & PKT_NA_F_SOLICITED))
			return -CEN_EPROTO;
	}
	for (off = ND_LEN; off < n;) {
		size_t olen;

		if (n - off < 2)
			return -CEN_EPROTO;
		olen = (size_t)icmp[off + 1] * 8;
		if (olen == 0 || olen > n - off)
			return -CEN_EPROTO;
		/* Ethernet's option is 8 bytes (RFC 2464 8); others are for
		 * another link layer and are skipped */
		if (icmp[off] == want && olen == ND_OPT_LEN &&
		    !nd->has_lladdr) {
			nd->has_lladdr = true;
			memcpy(nd->lladdr, icmp + off + 2, 6);
		}
		off += olen;
	}
	/* no source link-layer address from the unspecified address */
	if (nd->type == PKT_ICMP6_ND_NS && nd->has_lladdr &&
	    ip6_is_unspec(pi->src6))
		return -CEN_EPROTO;
	return 0;
}

int
pkt_nd_ns_build(uint8_t *out, size_t cap, uint16_t vlan,
		const uint8_t src_mac[6], const uint8_t src_ip[16],
		const uint8_t target[16], const uint8_t *dst_mac)
{
	bool dad = ip6_is_unspec(src_ip);
	size_t hl = l2_hlen(vlan), icmp_len = ND_LEN + (dad ? 0 : ND_OPT_LEN);
	uint8_t dst_ip[16], mac[6], *h, *icmp;

	if (vlan > PKT_VID_MASK || ip6_is_mcast(target) ||
	    ip6_is_mcast(src_ip) || (dad && dst_mac != NULL))
		return -CEN_EINVAL;
	if (cap < hl + IP6_HLEN + icmp_len)
		return -CEN_ETOOBIG;
	if (dst_mac != NULL) {
		memcpy(dst_ip, target, 16);
		memcpy(mac, dst_mac, 6);
	} else {
		pkt_ip6_solicited_node(target, dst_ip);
		pkt_ip6_mcast_mac(dst_ip, mac);
	}
	h = out + pkt_l2_write(out, mac, src_mac, vlan, PKT_ETH_P_IPV6);
	ip6_write(h, 0, icmp_len, 255, src_ip, dst_ip);
	icmp = h + IP6_HLEN;
	memset(icmp, 0, ND_LEN);
	icmp[0] = PKT_ICMP6_ND_NS;
	memcpy(icmp + 8, target, 16);
	if (!dad) {
		icmp[ND_LEN] = ND_OPT_SLLA;
		icmp[ND_LEN + 1] = 1;
		memcpy(icmp + ND_LEN + 2, src_mac, 6);
	}
	icmp6_csum_set(h, icmp_len);
	return (int)(hl + IP6_HLEN + icmp_len);
}

int
pkt_nd_na_build(uint8_t *out, size_t cap, uint16_t vlan,
		const uint8_t src_mac[6], const uint8_t src_ip[16],
		const uint8_t *dst_mac, const uint8_t dst_ip[16],
		const uint8_t target[16], uint8_t flags)
{
	size_t hl = l2_hlen(vlan), icmp_len = ND_LEN + ND_OPT_LEN;
	uint8_t mac[6], *h, *icmp;

	if (vlan > PKT_VID_MASK || ip6_is_mcast(target) ||
	    ip6_is_unspec(src_ip) || ip6_is_mcast(src_ip) ||
	    (flags & ~(PKT_NA_F_ROUTER | PKT_NA_F_SOLICITED |
		       PKT_NA_F_OVERRIDE)) != 0 ||
	    (ip6_is_mcast(dst_ip) && (flags & PKT_NA_F_SOLICITED)) ||
	    (dst_mac == NULL && !ip6_is_mcast(dst_ip)))
		return -CEN_EINVAL;
	if (cap < hl + IP6_HLEN + icmp_len)
		return -CEN_ETOOBIG;
	if (dst_mac != NULL)
		memcpy(mac, dst_mac, 6);
	else
		pkt_ip6_mcast_mac(dst_ip, mac);
	h = out + pkt_l2_write(out, mac, src_mac, vlan, PKT_ETH_P_IPV6);
	ip6_write(h, 0, icmp_len, 255, src_ip, dst_ip);
	icmp = h + IP6_HLEN;
	memset(icmp, 0, ND_LEN);
	icmp[0] = PKT_ICMP6_ND_NA;
	icmp[4] = flags;
	memmove(icmp + 8, target, 16);
	icmp[ND_LEN] = ND_OPT_TLLA;
	icmp[ND_LEN + 1] = 1;
	memmove(icmp + ND_LEN + 2, src_mac, 6);
	icmp6_csum_set(h, icmp_len);
	return (int)(hl + IP6_HLEN + icmp_len);
}

/*
 * ICMP errors
 */

/* RFC 1812 4.3.2.7: a source that names one host: not 0/8, 127/8,
 * multicast, class E or the limited broadcast. */
static bool
ip4_src_is_host(uint32_t a)
{
	return (a >> 24) != 0 && (a >> 24) != 127 && a < 0xe0000000u;
}

static bool
icmp4_is_error(uint8_t type)
{
	return type == PKT_ICMP4_UNREACH || type == 4 /* source quench */ ||
	       type == 5 /* redirect */ || type == PKT_ICMP4_TIME_EXCEEDED ||
	       type == PKT_ICMP4_PARAM_PROBLEM;
}

bool
pkt_icmp_error_ok(const uint8_t *frame, const struct pkt_info *pi, uint8_t type,
		  uint8_t code)
{
	size_t end = (size_t)pi->l3_off + pi->ip_len;
	bool l4 = pi->frag != PKT_FRAG_LATER && pi->l4_off < end;
	bool mcast_ok;

	if (pi->family == 4) {
		if ((frame[0] & 1) || pi->frag == PKT_FRAG_LATER ||
		    !ip4_src_is_host(pi->src4) || pi->dst4 >= 0xe0000000u)
			return false;
		return !(pi->proto == PKT_IPPROTO_ICMP && l4 &&
			 icmp4_is_error(frame[pi->l4_off]));
	}
	if (pi->family != 6)
		return false;
	/* RFC 4443 2.4(e.3) and (e.4) */
	mcast_ok = type == PKT_ICMP6_PACKET_TOO_BIG ||
		   (type == PKT_ICMP6_PARAM_PROBLEM && code == 2);
	if (((frame[0] & 1) || ip6_is_mcast(pi->dst6)) && !mcast_ok)
		return false;
	if (ip6_is_unspec(pi->src6) || ip6_is_mcast(pi->src6))
		return false;
	/* (e.1) and (e.2): errors and redirects */
	return !(pi->proto == PKT_IPPROTO_ICMPV6 && l4 &&
		 (frame[pi->l4_off] < 128 ||
		  frame[pi->l4_off] == PKT_ICMP6_ND_REDIRECT));
}

int
pkt_icmp4_error_build(uint8_t *out, size_t cap, const struct pkt_l2 *l2,
		      uint32_t src, uint8_t type, uint8_t code, uint32_t param,
		      const uint8_t *frame, const struct pkt_info *pi)
{
	size_t hl = l2_hlen(l2->vlan), quote, tot;
	uint8_t *h, *icmp;

	if (pi->family != 4 || l2->vlan > PKT_VID_MASK || !ip4_src_is_host(src))
		return -CEN_EINVAL;
	if (!((type == PKT_ICMP4_UNREACH && code <= 15) ||
	      (type == PKT_ICMP4_TIME_EXCEEDED && code <= 1) ||
	      (type == PKT_ICMP4_PARAM_PROBLEM && code <= 2)))
		return -CEN_EINVAL;
	if (!pkt_icmp_error_ok(frame, pi, type, code))
		return -CEN_EINVAL;
	quote = pi->ip_len;
	if (quote > PKT_ICMP4_ERR_MAX - IP4_HLEN - ICMP_HLEN)
		quote = PKT_ICMP4_ERR_MAX - IP4_HLEN - ICMP_HLEN;
	tot = IP4_HLEN + ICMP_HLEN + quote;
	if (cap < hl + tot)
		return -CEN_ETOOBIG;
	h = out + pkt_l2_write(out, l2->dst, l2->src, l2->vlan, PKT_ETH_P_IP);
	ip4_write(h, TOS_CS6, tot, false, PKT_IPPROTO_ICMP, src, pi->src4);
	icmp = h + IP4_HLEN;
	icmp[0] = type;
	icmp[1] = code;
	pkt_put16(icmp + 2, 0);
	pkt_put32(icmp + 4, param);
	memmove(icmp + ICMP_HLEN, frame + pi->l3_off, quote);
	pkt_put16(icmp + 2, pkt_inet_csum(icmp, ICMP_HLEN + quote));
	return (int)(hl + tot);
}

int
pkt_icmp6_error_build(uint8_t *out, size_t cap, const struct pkt_l2 *l2,
		      const uint8_t src[16], uint8_t type, uint8_t code,
		      uint32_t param, const uint8_t *frame,
		      const struct pkt_info *pi)
{
	size_t hl = l2_hlen(l2->vlan), quote, icmp_len;
	uint8_t *h, *icmp;

	if (pi->family != 6 || l2->vlan > PKT_VID_MASK || ip6_is_unspec(src) ||
	    ip6_is_mcast(src))
		return -CEN_EINVAL;
	if (!((type == PKT_ICMP6_UNREACH && code <= 7) ||
	      (type == PKT_ICMP6_PACKET_TOO_BIG && code == 0) ||
	      (type == PKT_ICMP6_TIME_EXCEEDED && code <= 1) ||
	      (type == PKT_ICMP6_PARAM_PROBLEM && code <= 3)))
		return -CEN_EINVAL;
	if (!pkt_icmp_error_ok(frame, pi, type, code))
		return -CEN_EINVAL;
	quote = pi->ip_len;
	if (quote > PKT_ICMP6_ERR_MAX - IP6_HLEN - ICMP_HLEN)
		quote = PKT_ICMP6_ERR_MAX - IP6_HLEN - ICMP_HLEN;
	icmp_len = ICMP_HLEN + quote;
	if (cap < hl + IP6_HLEN + icmp_len)
		return -CEN_ETOOBIG;
	h = out + pkt_l2_write(out, l2->dst, l2->src, l2->vlan, PKT_ETH_P_IPV6);
	ip6_write(h, TOS_CS6, icmp_len, PKT_TTL_DEFAULT, src, pi->src6);
	icmp = h + IP6_HLEN;
	icmp[0] = type;
	icmp[1] = code;
	pkt_put32(icmp + 4, param);
	memmove(icmp + ICMP_HLEN, frame + pi->l3_off, quote);
	icmp6_csum_set(h, icmp_len);
	return (int)(hl + IP6_HLEN + icmp_len);
}

/*
 * Echo
 */

static void
echo_fill(uint8_t *icmp, uint8_t type, uint16_t id, uint16_t seq,
	  const void *payload, size_t payload_len)
{
	icmp[0] = type;
	icmp[1] = 0;
	pkt_put16(icmp + 2, 0);
	pkt_put16(icmp + 4, id);
	pkt_put16(icmp + 6, seq);
	if (payload != NULL) {
		memcpy(icmp + ICMP_HLEN, payload, payload_len);
		return;
	}
	for (size_t i = 0; i < payload_len; i++)
		icmp[ICMP_HLEN + i] = (uint8_t)i;
}

int
pkt_echo4_build(uint8_t *out, size_t cap, const struct pkt_l2 *l2, uint32_t src,
		uint32_t dst, uint16_t id, uint16_t seq, const void *payload,
		size_t payload_len)
{
	size_t hl = l2_hlen(l2->vlan), tot;
	uint8_t *h, *icmp;

	if (l2->vlan > PKT_VID_MASK ||
	    payload_len > 0xffff - IP4_HLEN - ICMP_HLEN)
		return -CEN_EINVAL;
	tot = IP4_HLEN + ICMP_HLEN + payload_len;
	if (cap < hl + tot)
		return -CEN_ETOOBIG;
	h = out + pkt_l2_write(out, l2->dst, l2->src, l2->vlan, PKT_ETH_P_IP);
	ip4_write(h, TOS_CS6, tot, true, PKT_IPPROTO_ICMP, src, dst);
	icmp = h + IP4_HLEN;
	echo_fill(icmp, PKT_ICMP4_ECHO, id, seq, payload, payload_len);
	pkt_put16(icmp + 2, pkt_inet_csum(icmp, ICMP_HLEN + payload_len));
	return (int)(hl + tot);
}

int
pkt_echo6_build(uint8_t *out, size_t cap, const struct pkt_l2 *l2,
		const uint8_t src[16], const uint8_t dst[16], uint16_t id,
		uint16_t seq, const void *payload, size_t payload_len)
{
	size_t hl = l2_hlen(l2->vlan), icmp_len;
	uint8_t *h;

	if (l2->vlan > PKT_VID_MASK || payload_len > 0xffff - ICMP_HLEN)
		return -CEN_EINVAL;
	icmp_len = ICMP_HLEN + payload_len;
	if (cap < hl + IP6_HLEN + icmp_len)
		return -CEN_ETOOBIG;
	h = out + pkt_l2_write(out, l2->dst, l2->src, l2->vlan, PKT_ETH_P_IPV6);
	ip6_write(h, TOS_CS6, icmp_len, PKT_TTL_DEFAULT, src, dst);
	echo_fill(h + IP6_HLEN, PKT_ICMP6_ECHO_REQUEST, id, seq, payload,
		  payload_len);
	icmp6_csum_set(h, icmp_len);
	return (int)(hl + IP6_HLEN + icmp_len);
}

int
pkt_echo_parse(const uint8_t *frame, size_t len, const struct pkt_info *pi,
	       struct pkt_echo *e)
{
	const uint8_t *icmp;
	size_t n;
	uint16_t csum;

	memset(e, 0, sizeof(*e));
	if (!ip_whole(len, pi))
		return -CEN_EPROTO;
	if (pi->frag != 0 ||
	    pi->proto !=
		    (pi->family == 4 ? PKT_IPPROTO_ICMP : PKT_IPPROTO_ICMPV6))
		return -CEN_ENOENT;
	icmp = frame + pi->l4_off;
	n = (size_t)pi->l3_off + pi->ip_len - pi->l4_off;
	if (n < ICMP_HLEN)
		return -CEN_EPROTO;
	if (pi->family == 4) {
		if (icmp[0] != PKT_ICMP4_ECHO && icmp[0] != PKT_ICMP4_ECHOREPLY)
			return -CEN_ENOENT;
		e->reply = icmp[0] == PKT_ICMP4_ECHOREPLY;
		csum = pkt_inet_csum(icmp, n);
	} else {
		if (icmp[0] != PKT_ICMP6_ECHO_REQUEST &&
		    icmp[0] != PKT_ICMP6_ECHO_REPLY)
			return -CEN_ENOENT;
		e->reply = icmp[0] == PKT_ICMP6_ECHO_REPLY;
		csum = pkt_ip6_l4_csum(pi->src6, pi->dst6, PKT_IPPROTO_ICMPV6,
				       icmp, n);
	}
	if (icmp[1] != 0 || csum != 0)
		return -CEN_EPROTO;
	e->id = pkt_get16(icmp + 4);
	e->seq = pkt_get16(icmp + 6);
	e->data = icmp + ICMP_HLEN;
	e->data_len = n - ICMP_HLEN;
	return 0;
}
