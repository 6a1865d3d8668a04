/*
 * fwd_neigh.c - the packet side's control path (fwd.h): neighbours (ARP
 * and IPv6 ND), answers for the forwarder's own addresses (ARP, ND, echo),
 * ICMP errors, and the VBR health checks.
 *
 * Neighbours live in a fixed open-addressing table keyed by (port, VLAN,
 * address).  A next hop without a MAC costs the packet (dropped, counted
 * "no-neighbor") and sends a request, at most one a second per address; a
 * MAC learnt is used for NEIGH_STALE_NS, refreshed by a new request from
 * NEIGH_REFRESH_NS on while still in use.
 *
 * A health check sends an echo request every interval from the check's
 * source address to its target, over the VBR (its VLAN, the CE's MAC);
 * a probe not answered before the next one is a miss.  threshold
 * consecutive misses make the VBR down, one answer makes it up again; each
 * change (and the first verdict after start) goes to the control side,
 * which reports it to the cluster.
 */
#include <string.h>

#include "dataplane/fwd_int.h"

#define NEIGH_PROBE	 8 /* slots a key may be found in */
#define NEIGH_RETRY_NS	 1000000000ull
#define NEIGH_REFRESH_NS 30000000000ull
#define NEIGH_STALE_NS	 90000000000ull
#define NEIGH_RESOLVED	 (1ull << 63)
#define KEY_USED	 (1ull << 63)

#define LD(x)	 atomic_load_explicit(&(x), memory_order_relaxed)
#define ST(x, v) atomic_store_explicit(&(x), (v), memory_order_relaxed)

static inline uint64_t
nkey(uint16_t port, uint16_t vlan, uint8_t family)
{
	return KEY_USED | (uint64_t)family << 56 | (uint64_t)port << 16 | vlan;
}

static inline void
addr_words(const struct prefix *a, uint64_t *hi, uint64_t *lo)
{
	if (a->family == PREFIX_AF_INET) {
		*hi = 0;
		*lo = prefix_v4(a);
		return;
	}
	memcpy(hi, a->addr.v6, 8);
	memcpy(lo, a->addr.v6 + 8, 8);
}

bool
fwd_neigh_decode(const struct fwd_neigh *ne, uint16_t *port, uint16_t *vlan,
		 struct prefix *addr)
{
	uint64_t k = LD(ne->key), hi = LD(ne->a_hi), lo = LD(ne->a_lo);
	uint8_t fam;

	if (!(k & KEY_USED))
		return false;
	fam = (uint8_t)(k >> 56) & 0x7f;
	*port = (uint16_t)(k >> 16);
	*vlan = (uint16_t)k & 0xfff;
	if (fam == PREFIX_AF_INET) {
		prefix_from_v4(addr, (uint32_t)lo, 32);
	} else {
		uint8_t b[16];

		memcpy(b, &hi, 8);
		memcpy(b + 8, &lo, 8);
		prefix_from_v6(addr, b, 128);
	}
	return true;
}

static inline uint32_t
nhash(uint64_t k, uint64_t hi, uint64_t lo)
{
	return (uint32_t)pkt_fmix64(k ^ pkt_fmix64(hi ^ pkt_fmix64(lo)));
}

/* The slot of (port, vlan, addr); with create, a free or the oldest slot
 * of its probe window is taken for it.  NULL when absent. */
static struct fwd_neigh *
neigh_slot(struct fwd *f, uint16_t port, uint16_t vlan,
	   const struct prefix *addr, bool create, uint64_t now)
{
	uint64_t k = nkey(port, vlan, addr->family), hi, lo;
	struct fwd_neigh *victim = NULL;
	uint32_t h;

	addr_words(addr, &hi, &lo);
	h = nhash(k, hi, lo);
	for (unsigned i = 0; i < NEIGH_PROBE; i++) {
		struct fwd_neigh *ne =
			&f->neigh[(h + i) & (FWD_NEIGH_SLOTS - 1)];
		uint64_t nk = LD(ne->key);

		if (nk == k && LD(ne->a_hi) == hi && LD(ne->a_lo) == lo)
			return ne;
		if (!create)
			continue;
		if (nk == 0) {
			if (victim == NULL || LD(victim->key) != 0)
				victim = ne;
		} else if (victim == NULL ||
			   (LD(victim->key) != 0 &&
			    LD(ne->updated_ns) < LD(victim->updated_ns))) {
			victim = ne;
		}
	}
	if (victim == NULL)
		return NULL;
	ST(victim->key, 0);
	ST(victim->a_hi, hi);
	ST(victim->a_lo, lo);
	ST(victim->mac, 0);
	ST(victim->updated_ns, now);
	victim->requested_ns = 0;
	ST(victim->key, k);
	return victim;
}

static uint64_t
mac_word(const uint8_t mac[6])
{
	uint64_t m = 0;

	for (int i = 0; i < 6; i++)
		m = m << 8 | mac[i];
	return m;
}

static void
word_mac(uint64_t m, uint8_t mac[6])
{
	for (int i = 5; i >= 0; i--) {
		mac[i] = (uint8_t)m;
		m >>= 8;
	}
}

void
fwd_neigh_learn(struct fwd *f, uint16_t port, uint16_t vlan,
		const struct prefix *addr, const uint8_t mac[6], uint64_t now)
{
	struct fwd_neigh *ne = neigh_slot(f, port, vlan, addr, true, now);

	if (ne == NULL || (mac[0] & 1)) /* never a multicast MAC */
		return;
	ST(ne->mac, NEIGH_RESOLVED | mac_word(mac));
	ST(ne->updated_ns, now);
}

/* a's address to speak from towards addr: one in the same subnet, else
 * the first of the family; false if it has none. */
static bool
source_for(const struct fwd_att *a, const struct prefix *addr,
	   struct prefix *src)
{
	const struct prefix *any = NULL;

	for (uint8_t i = 0; i < a->ngw; i++) {
		if (a->gw[i].family != addr->family)
			continue;
		if (prefix_contains(&a->gw[i], addr)) {
			*src = a->gw[i];
			src->len = (uint8_t)prefix_maxlen(src->family);
			return true;
		}
		if (any == NULL)
			any = &a->gw[i];
	}
	if (any == NULL)
		return false;
	*src = *any;
	src->len = (uint8_t)prefix_maxlen(src->family);
	return true;
}

static void
neigh_request(struct fwd *f, const struct fwd_att *a, const struct prefix *addr)
{
	const uint8_t *smac = f->mac[a->port];
	struct prefix src;
	uint8_t *out = fwd_scratch(f);
	int len;

	if (out == NULL || !source_for(a, addr, &src))
		return;
	if (addr->family == PREFIX_AF_INET)
		len = pkt_arp_build(out, FWD_SCRATCH, a->vlan, 1, smac,
				    prefix_v4(&src), NULL, prefix_v4(addr),
				    NULL);
	else
		len = pkt_nd_ns_build(out, FWD_SCRATCH, a->vlan, smac,
				      src.addr.v6, addr->addr.v6, NULL);
	if (len > 0)
		fwd_send(f, a->port, out, (size_t)len);
}

bool
fwd_neigh_resolve(struct fwd *f, const struct fwd_att *a,
		  const struct prefix *addr, uint8_t mac[6], uint64_t now)
{
	struct fwd_neigh *ne = neigh_slot(f, a->port, a->vlan, addr, false, 0);
	uint64_t m, age;

	if (ne != NULL && ((m = LD(ne->mac)) & NEIGH_RESOLVED)) {
		age = now - LD(ne->updated_ns);
		if (age < NEIGH_STALE_NS) {
			word_mac(m, mac);
			if (age >= NEIGH_REFRESH_NS &&
			    now - ne->requested_ns >= NEIGH_RETRY_NS) {
				ne->requested_ns = now;
				neigh_request(f, a, addr);
			}
			return true;
		}
	}
	if (ne == NULL &&
	    (ne = neigh_slot(f, a->port, a->vlan, addr, true, now)) == NULL)
		return false;
	if (ne->requested_ns == 0 || now - ne->requested_ns >= NEIGH_RETRY_NS) {
		ne->requested_ns = now;
		neigh_request(f, a, addr);
	}
	return false;
}

static bool
is_gw4(const struct fwd_att *a, uint32_t ip)
{
	for (uint8_t i = 0; i < a->ngw; i++)
		if (a->gw[i].family == PREFIX_AF_INET &&
		    prefix_v4(&a->gw[i]) == ip)
			return true;
	return false;
}

static bool
is_gw6(const struct fwd_att *a, const uint8_t ip[16])
{
	for (uint8_t i = 0; i < a->ngw; i++)
		if (a->gw[i].family == PREFIX_AF_INET6 &&
		    !memcmp(a->gw[i].addr.v6, ip, 16))
			return true;
	return false;
}

void
fwd_neigh_input(struct fwd *f, const struct fwd_att *a, uint8_t *frame,
		size_t len, const struct pkt_info *pi, uint64_t now)
{
	const uint8_t *smac = f->mac[a->port];
	struct prefix p;
	uint8_t *out;
	int n;

	if (pi->ethertype == PKT_ETH_P_ARP) {
		struct pkt_arp arp;

		if (pkt_arp_parse(frame, len, pi, &arp) != 0)
			return;
		if (arp.spa != 0) {
			prefix_from_v4(&p, arp.spa, 32);
			/* learn only what is on our side of the VLAN */
			if (arp.op == 2 || is_gw4(a, arp.tpa) ||
			    neigh_slot(f, a->port, a->vlan, &p, false, 0))
				fwd_neigh_learn(f, a->port, a->vlan, &p,
						arp.sha, now);
		}
		if (arp.op != 1 || !is_gw4(a, arp.tpa) ||
		    (out = fwd_scratch(f)) == NULL)
			return;
		n = pkt_arp_build(out, FWD_SCRATCH, a->vlan, 2, smac, arp.tpa,
				  arp.sha, arp.spa, arp.sha);
		if (n > 0)
			fwd_send(f, a->port, out, (size_t)n);
		return;
	}
	if (pi->family == 6) {
		struct pkt_nd nd;
		static const uint8_t zero[16];

		if (pkt_nd_parse(frame, len, pi, &nd) != 0)
			return;
		if (nd.type == PKT_ICMP6_ND_NA) {
			if (nd.has_lladdr) {
				prefix_from_v6(&p, nd.target, 128);
				fwd_neigh_learn(f, a->port, a->vlan, &p,
						nd.lladdr, now);
			}
			return;
		}
		/* a solicitation */
		if (nd.has_lladdr && memcmp(pi->src6, zero, 16)) {
			prefix_from_v6(&p, pi->src6, 128);
			fwd_neigh_learn(f, a->port, a->vlan, &p, nd.lladdr,
					now);
		}
		if (!is_gw6(a, nd.target) || !memcmp(pi->src6, zero, 16) ||
		    !nd.has_lladdr || (out = fwd_scratch(f)) == NULL)
			return;
		n = pkt_nd_na_build(out, FWD_SCRATCH, a->vlan, smac, nd.target,
				    nd.lladdr, pi->src6, nd.target,
				    PKT_NA_F_ROUTER | PKT_NA_F_SOLICITED |
					    PKT_NA_F_OVERRIDE);
		if (n > 0)
			fwd_send(f, a->port, out, (size_t)n);
	}
}

/* A health probe's echo id: the attachment's name, tagged. */
static inline uint16_t
probe_id(uint16_t name)
{
	return (uint16_t)(0xc000 | name);
}

static void
health_set(struct fwd *f, const struct fwd_att *a, struct fwd_health *h,
	   uint8_t state, uint64_t now)
{
	if (LD(h->state) == state)
		return;
	ST(h->state, state);
	ST(h->changed_ns, now);
	fwd_health_event(f, a->id, state == 1);
}

/* Turns an echo request into its reply, in place, and sends it back. */
static void
echo_reply(struct fwd *f, const struct fwd_att *a, uint8_t *frame, size_t len,
	   const struct pkt_info *pi)
{
	uint8_t *ip = frame + pi->l3_off, *icmp = frame + pi->l4_off;
	uint8_t mac[6], tmp[16];
	uint32_t s;
	size_t out_len = len;
	uint8_t *out;

	memcpy(mac, frame + 6, 6);
	if (pi->family == 4) {
		memcpy(tmp, ip + 12, 4);
		memcpy(ip + 12, ip + 16, 4);
		memcpy(ip + 16, tmp, 4);
		ip[8] = PKT_TTL_DEFAULT;
		pkt_put16(ip + 10, 0);
		pkt_put16(ip + 10, pkt_ip4_csum(ip));
		icmp[0] = PKT_ICMP4_ECHOREPLY;
		/* the type went from 8 to 0: add 0x0800 back to the sum */
		s = (uint32_t)(uint16_t)~pkt_get16(icmp + 2) + 0xf7ff;
	} else {
		memcpy(tmp, ip + 8, 16);
		memcpy(ip + 8, ip + 24, 16);
		memcpy(ip + 24, tmp, 16);
		ip[7] = PKT_TTL_DEFAULT;
		icmp[0] = PKT_ICMP6_ECHO_REPLY;
		/* 128 to 129: the sum grows by 0x0100 (the pseudo-header's
		 * addresses only swapped) */
		s = (uint32_t)(uint16_t)~pkt_get16(icmp + 2) + 0x0100;
	}
	s = (s & 0xffff) + (s >> 16);
	pkt_put16(icmp + 2, (uint16_t)~s);
	out = pkt_reframe(frame, &out_len, pi, mac, f->mac[a->port], a->vlan);
	fwd_send(f, a->port, out, out_len);
}

bool
fwd_local_input(struct fwd *f, const struct fwd_att *a, uint8_t *frame,
		size_t len, const struct pkt_info *pi, uint64_t now)
{
	struct pkt_echo e;

	if (pkt_echo_parse(frame, len, pi, &e) != 0)
		return false;
	if (!e.reply) {
		/* answer pings to the gateway; a tag is only ever swapped
		 * for the same, so the frame does not grow */
		if (pi->vlan_inner || (a->vlan != 0) != (pi->vlan != 0))
			return false;
		echo_reply(f, a, frame, len, pi);
		return true;
	}
	if (a->hc && e.id == probe_id(a->name)) {
		struct fwd_health *h = &f->health[a->name];

		ST(h->received, LD(h->received) + 1);
		h->outstanding = false;
		ST(h->misses, 0);
		health_set(f, a, h, 1, now);
		return true;
	}
	return false;
}

void
fwd_icmp_error(struct fwd *f, const struct fwd_att *a, const uint8_t *frame,
	       size_t len, const struct pkt_info *pi, bool ttl, uint64_t now)
{
	struct pkt_l2 l2;
	struct prefix src, dst;
	uint8_t *out;
	int n;

	(void)len;
	(void)now;
	if (pi->family == 4)
		prefix_from_v4(&dst, pi->src4, 32);
	else
		prefix_from_v6(&dst, pi->src6, 128);
	if (!source_for(a, &dst, &src) || (out = fwd_scratch(f)) == NULL)
		return;
	memcpy(l2.dst, frame + 6, 6);
	memcpy(l2.src, f->mac[a->port], 6);
	l2.vlan = a->vlan;
	if (pi->family == 4)
		n = pkt_icmp4_error_build(
			out, FWD_SCRATCH, &l2, prefix_v4(&src),
			ttl ? PKT_ICMP4_TIME_EXCEEDED : PKT_ICMP4_UNREACH,
			ttl ? PKT_ICMP4_TIME_EXCEEDED_TTL
			    : PKT_ICMP4_UNREACH_NET,
			0, frame, pi);
	else
		n = pkt_icmp6_error_build(out, FWD_SCRATCH, &l2, src.addr.v6,
					  ttl ? PKT_ICMP6_TIME_EXCEEDED
					      : PKT_ICMP6_UNREACH,
					  ttl ? PKT_ICMP6_TIME_EXCEEDED_HOPS
					      : PKT_ICMP6_UNREACH_NOROUTE,
					  0, frame, pi);
	if (n > 0)
		fwd_send(f, a->port, out, (size_t)n);
}

void
fwd_icmp_too_big(struct fwd *f, const struct fwd_att *a, const uint8_t *frame,
		 const struct pkt_info *pi, uint32_t mtu)
{
	struct pkt_l2 l2;
	struct prefix src, dst;
	uint8_t *out;
	int n;

	if (pi->family == 4) {
		/* without DF the sender lets routers fragment; we do not,
		 * and say nothing (RFC 1191 asks only for DF packets) */
		if (!(frame[pi->l3_off + 6] & 0x40))
			return;
		prefix_from_v4(&dst, pi->src4, 32);
	} else {
		prefix_from_v6(&dst, pi->src6, 128);
	}
	if (!source_for(a, &dst, &src) || (out = fwd_scratch(f)) == NULL)
		return;
	memcpy(l2.dst, frame + 6, 6);
	memcpy(l2.src, f->mac[a->port], 6);
	l2.vlan = a->vlan;
	if (pi->family == 4)
		n = pkt_icmp4_error_build(out, FWD_SCRATCH, &l2,
					  prefix_v4(&src), PKT_ICMP4_UNREACH,
					  PKT_ICMP4_UNREACH_NEEDFRAG,
					  mtu & 0xffff, frame, pi);
	else
		n = pkt_icmp6_error_build(out, FWD_SCRATCH, &l2, src.addr.v6,
					  PKT_ICMP6_PACKET_TOO_BIG, 0, mtu,
					  frame, pi);
	if (n > 0)
		fwd_send(f, a->port, out, (size_t)n);
}

static void
probe_send(struct fwd *f, const struct fwd_att *a, struct fwd_health *h,
	   uint64_t now)
{
	struct pkt_l2 l2;
	uint8_t *out;
	int n;

	ST(h->sent, LD(h->sent) + 1);
	h->outstanding = true;
	h->seq++;
	if (!io_port_link_up(f->ports[a->port]))
		return;
	/* the target is the CE on the VBR's subnet: resolved from our
	 * address there (the check's source is not on the link) */
	if (!fwd_neigh_resolve(f, a, &a->hc_dst, l2.dst, now))
		return;
	if ((out = fwd_scratch(f)) == NULL)
		return;
	memcpy(l2.src, f->mac[a->port], 6);
	l2.vlan = a->vlan;
	if (a->hc_dst.family == PREFIX_AF_INET)
		n = pkt_echo4_build(out, FWD_SCRATCH, &l2,
				    prefix_v4(&a->hc_src),
				    prefix_v4(&a->hc_dst), probe_id(a->name),
				    h->seq, NULL, 32);
	else
		n = pkt_echo6_build(out, FWD_SCRATCH, &l2, a->hc_src.addr.v6,
				    a->hc_dst.addr.v6, probe_id(a->name),
				    h->seq, NULL, 32);
	if (n > 0)
		fwd_send(f, a->port, out, (size_t)n);
}

void
fwd_health_timers(struct fwd *f, const struct fwd_conf *c, uint64_t now)
{
	for (uint16_t n = 0; n < FWD_NAMES_MAX; n++) {
		const struct fwd_att *a = &c->att[n];
		struct fwd_health *h = &f->health[n];

		if (!a->present || !a->hc) {
			h->next_ns = 0;
			continue;
		}
		if (h->next_ns == 0)
			h->next_ns = now;
		if (now < h->next_ns)
			continue;
		if (h->outstanding) {
			uint32_t m = LD(h->misses) + 1;

			ST(h->misses, m);
			if (m >= a->hc_threshold)
				health_set(f, a, h, 2, now);
		}
		probe_send(f, a, h, now);
		h->next_ns = now + (uint64_t)a->hc_interval_s * 1000000000ull;
	}
}
