/*
 * fwd_worker.c - the packet side of the forwarder (fwd.h): the forwarding
 * thread and the per-packet path.
 *
 * A burst is forwarded in place: frames stay in the receive ring, are
 * rewritten there (the Ethernet header is moved by 4 bytes when a VLAN tag
 * is added or removed, into the ring's headroom) and copied once, into the
 * transmit ring of the egress port, when the burst ends.  Nothing is
 * allocated per packet and nothing waits for the control side: the
 * configuration, the groups and the LPM tables are read under RCU.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "core/engine.h"
#include "dataplane/fwd_int.h"

#define IDLE_SPINS    256	   /* empty polls before sleeping */
#define IDLE_SLEEP_MS 5		   /* poll() timeout when idle */
#define TIMER_NS      5000000ull   /* fwd_timers every 5 ms */
#define ICMP_ERR_NS   1000000ull   /* at most 1000 ICMP errors a second */
#define NH_CACHE_NS   100000000ull /* a fixed next hop's MAC: 100 ms */

static inline void
cnt_add(_Atomic uint64_t *c, uint64_t v)
{
	/* one writer: a relaxed load and store, no locked instruction */
	atomic_store_explicit(c,
			      atomic_load_explicit(c, memory_order_relaxed) + v,
			      memory_order_relaxed);
}

static inline void
drop(struct fwd *f, uint16_t name, enum fwd_drop why)
{
	if (name == FWD_NAME_NONE)
		cnt_add(&f->drops[why], 1);
	else
		cnt_add(&f->stats[name].drops[why], 1);
}

static void
tx_drain(struct fwd *f, uint16_t port)
{
	struct fwd_tx *tx = &f->tx[port];
	size_t sent = io_tx_burst(f->ports[port], tx->pkt, tx->n);

	if (sent < tx->n)
		cnt_add(&f->drops[FWD_DROP_TX_FULL], tx->n - sent);
	tx->n = 0;
}

static inline void
tx_queue(struct fwd *f, uint16_t port, const struct io_pkt *pk)
{
	struct fwd_tx *tx = &f->tx[port];

	if (tx->n == FWD_BURST)
		tx_drain(f, port);
	tx->pkt[tx->n++] = *pk;
}

void
fwd_send(struct fwd *f, uint16_t port, uint8_t *frame, size_t len)
{
	struct io_pkt pk = {
		.data = frame,
		.len = (uint32_t)len,
		.port = port,
	};

	if (port < f->nports)
		tx_queue(f, port, &pk);
}

uint8_t *
fwd_scratch(struct fwd *f)
{
	/* a burst makes at most one frame per packet and per timer step;
	 * the buffers are reused once fwd_flush has copied them out */
	if (f->nscratch >= (size_t)FWD_BURST * FWD_PORTS_MAX)
		return NULL;
	return f->scratch[f->nscratch++];
}

void
fwd_flush(struct fwd *f)
{
	for (uint16_t p = 0; p < f->nports; p++) {
		struct fwd_tx *tx = &f->tx[p];
		size_t sent;

		if (tx->n == 0)
			continue;
		sent = io_tx_burst(f->ports[p], tx->pkt, tx->n);
		if (sent < tx->n)
			cnt_add(&f->drops[FWD_DROP_TX_FULL], tx->n - sent);
		tx->n = 0;
		io_tx_flush(f->ports[p]);
	}
	f->nscratch = 0;
}

/* The VBR's meters, made or re-rated when the model's bandwidth changed. */
static struct fwd_att_meters *
vbr_meters(struct fwd *f, const struct fwd_att *e, uint64_t now)
{
	struct fwd_att_meters *m = &f->meters[e->name];
	char id[METER_ID_MAX];

	if (m->bw_bps == e->bw_bps)
		return m;
	if (!atomic_load_explicit(&m->ready, memory_order_relaxed)) {
		struct meter_config mc = {
			.id = id,
			.committed_bps = e->bw_bps,
		};

		mc.kind = METER_KIND_VBR;
		snprintf(id, sizeof(id), "%s", e->id);
		if (meter_init(&m->out, &mc, now, NULL))
			return NULL;
		snprintf(id, sizeof(id), "%.50s/in", e->id);
		if (meter_init(&m->in, &mc, now, NULL)) {
			meter_fini(&m->out);
			return NULL;
		}
		snprintf(id, sizeof(id), "%.50s/flow", e->id);
		mc.kind = METER_KIND_FLOW_CAP;
		mc.flows = &f->flows;
		if (meter_init(&m->flow, &mc, now, NULL)) {
			meter_fini(&m->out);
			meter_fini(&m->in);
			return NULL;
		}
		atomic_store_explicit(&m->ready, true, memory_order_release);
	} else {
		meter_set_rate(&m->out, now, e->bw_bps, 0);
		meter_set_rate(&m->in, now, e->bw_bps, 0);
		meter_set_rate(&m->flow, now, e->bw_bps, 0);
	}
	m->bw_bps = e->bw_bps;
	return m;
}

static inline bool
is_gateway(const struct fwd_att *a, const struct pkt_info *pi)
{
	for (uint8_t i = 0; i < a->ngw; i++) {
		const struct prefix *g = &a->gw[i];

		if (g->family !=
		    (pi->family == 4 ? PREFIX_AF_INET : PREFIX_AF_INET6))
			continue;
		if (pi->family == 4 ? prefix_v4(g) == pi->dst4
				    : !memcmp(g->addr.v6, pi->dst6, 16))
			return true;
	}
	if (a->hc && pi->family == 4 && a->hc_src.family == PREFIX_AF_INET)
		return prefix_v4(&a->hc_src) == pi->dst4;
	return false;
}

static inline bool
icmp_err_allowed(struct fwd *f, uint64_t now)
{
	if (now < f->icmp_tokens_ns)
		return false;
	f->icmp_tokens_ns = now + ICMP_ERR_NS;
	return true;
}

/* The MAC of e's next hop: cached per attachment when the next hop is
 * fixed (a VBR's CE, a VPC's router), else the neighbour table's entry for
 * the destination itself. */
static inline bool
nh_mac(struct fwd *f, const struct fwd_conf *conf, const struct fwd_att *e,
       const struct pkt_info *pi, uint8_t mac[6], uint64_t now)
{
	struct prefix nhaddr;

	if (e->next_hop.family) {
		struct fwd_nh_cache *nc = &f->nh_cache[e->name];

		/* valid for this configuration snapshot only (the next
		 * hop may change with the model) */
		if (now - nc->checked_ns < NH_CACHE_NS && nc->conf == conf) {
			memcpy(mac, nc->mac, 6);
			return true;
		}
		if (!fwd_neigh_resolve(f, e, &e->next_hop, mac, now))
			return false;
		nc->conf = conf;
		memcpy(nc->mac, mac, 6);
		nc->checked_ns = now;
		return true;
	}
	if (pi->family == 4)
		prefix_from_v4(&nhaddr, pi->dst4, 32);
	else
		prefix_from_v6(&nhaddr, pi->dst6, 128);
	return fwd_neigh_resolve(f, e, &nhaddr, mac, now);
}

/* The slow part of a packet that is not simply forwarded: ARP / ND,
 * malformed, to one of our addresses.  True when it was consumed. */
static inline bool
not_forwarded(struct fwd *f, const struct fwd_att *a, struct io_pkt *pk,
	      const struct pkt_info *pi, enum pkt_verdict v, uint64_t now)
{
	struct fwd_att_stats *st = &f->stats[a->name];

	if (PKT_UNLIKELY(v == PKT_ARP || v == PKT_ND)) {
		fwd_neigh_input(f, a, pk->data, pk->len, pi, now);
		return true;
	}
	if (PKT_UNLIKELY(v != PKT_OK)) {
		cnt_add(&st->bad[v], 1);
		return true;
	}
	if (PKT_UNLIKELY(is_gateway(a, pi))) {
		if (!fwd_local_input(f, a, pk->data, pk->len, pi, now))
			drop(f, a->name, FWD_DROP_LOCAL);
		return true;
	}
	return false;
}

/* ---- the backbone: VXLAN to other regions' forwarders ---------------- */

static void bb_flush(struct fwd *f, struct fwd_att_meters *m);

static inline bool
is_vxlan(const struct fwd_conf *c, const struct pkt_info *pi)
{
	return pi->family == 4 && pi->proto == PKT_IPPROTO_UDP &&
	       pi->dport == FWD_VXLAN_PORT && pi->dst4 == c->bb_addr &&
	       !pi->frag;
}

/* Takes the outer headers off a VXLAN packet from a peer region's
 * forwarder: pk and pi become the inner frame's, *ls the FIB of the table
 * its VNI names.  Returns the peer's name, or -1 when it was dropped. */
static int
bb_decap(struct fwd *f, const struct fwd_conf *c, struct io_pkt *pk,
	 struct pkt_info *pi, const struct fwd_lpmset **ls)
{
	size_t off = pi->l4_off + 8u, end = (size_t)pi->l3_off + pi->ip_len;
	uint16_t name = FWD_NAME_NONE;
	uint32_t vni;
	enum pkt_verdict v;

	for (size_t i = 0; i < c->nbb_peers; i++)
		if (c->bb_peer[i].addr == pi->src4)
			name = c->bb_peer[i].name;
	if (name == FWD_NAME_NONE) {
		cnt_add(&f->drops[FWD_DROP_NO_ATTACHMENT], 1);
		return -1;
	}
	cnt_add(&f->stats[name].rx_packets, 1);
	cnt_add(&f->stats[name].rx_bytes, pk->len);
	if (end < off + 8 + PKT_ETH_HLEN || !(pk->data[off] & 0x08)) {
		drop(f, name, FWD_DROP_PARSE);
		return -1;
	}
	vni = pkt_get32(pk->data + off + 4) >> 8;
	*ls = NULL;
	for (size_t i = 0; i < c->nvni; i++)
		if (c->vni[i].vni == vni)
			*ls = c->vni[i].ls;
	if (*ls == NULL) {
		drop(f, name, FWD_DROP_UNKNOWN_VNI);
		return -1;
	}
	pk->headroom = (uint16_t)(pk->headroom + off + 8);
	pk->data += off + 8;
	pk->len = (uint32_t)(end - off - 8);
	v = pkt_parse(pk->data, pk->len, pi);
	if (v != PKT_OK) {
		cnt_add(&f->stats[name].bad[v], 1);
		return -1;
	}
	return name;
}

/* The shaper or transfer meter of the connection towards backbone peer e,
 * made or re-rated when the model changed it. */
static struct fwd_att_meters *
bb_meters(struct fwd *f, const struct fwd_att *e, uint64_t now)
{
	struct fwd_att_meters *m = &f->meters[e->name];
	struct meter_config mc = { .id = e->id };

	if (atomic_load_explicit(&m->bb_ready, memory_order_relaxed)) {
		if (m->bb_bps == e->bb_bps && m->bb_transfer == e->bb_transfer)
			return m;
		if (m->bb_transfer == e->bb_transfer) {
			meter_set_rate(&m->bb, now,
				       e->bb_transfer ? 0 : e->bb_bps, 0);
			m->bb_bps = e->bb_bps;
			return m;
		}
		/* the kind changed: a new meter (queued packets go) */
		atomic_store_explicit(&m->bb_ready, false,
				      memory_order_release);
		bb_flush(f, m);
		meter_fini(&m->bb);
	}
	mc.kind = e->bb_transfer ? METER_KIND_TRANSFER : METER_KIND_BACKBONE;
	mc.committed_bps = e->bb_transfer ? 0 : e->bb_bps;
	if (meter_init(&m->bb, &mc, now, NULL))
		return NULL;
	m->bb_bps = e->bb_bps;
	m->bb_transfer = e->bb_transfer;
	atomic_store_explicit(&m->bb_ready, true, memory_order_release);
	return m;
}

/* Writes the VXLAN encapsulation in front of the IP packet of pk (its
 * headroom was checked) and returns the outer frame's length. */
static uint32_t
bb_encap(struct fwd *f, const struct fwd_conf *c, const struct fwd_att *e,
	 struct io_pkt *pk, const struct pkt_info *pi, const uint8_t mac[6],
	 uint32_t hash)
{
	static const uint8_t inner_dst[6] = { 2, 0, 0, 0, 0, 2 };
	static const uint8_t inner_src[6] = { 2, 0, 0, 0, 0, 1 };
	uint8_t *ip = pk->data + pi->l2_len, *o = ip - FWD_ENCAP_LEN;
	uint32_t inner = PKT_ETH_HLEN + pi->ip_len;
	uint8_t *oip = o + 14, *udp = oip + 20, *vx = udp + 8, *eth = vx + 8;

	memcpy(o, mac, 6);
	memcpy(o + 6, f->mac[e->port], 6);
	pkt_put16(o + 12, PKT_ETH_P_IP);
	oip[0] = 0x45;
	oip[1] = 0;
	pkt_put16(oip + 2, (uint16_t)(20 + 8 + 8 + inner));
	pkt_put16(oip + 4, 0);
	pkt_put16(oip + 6, 0x4000); /* DF: the underlay does not fragment */
	oip[8] = PKT_TTL_DEFAULT;
	oip[9] = PKT_IPPROTO_UDP;
	pkt_put16(oip + 10, 0);
	pkt_put32(oip + 12, c->bb_addr);
	pkt_put32(oip + 16, prefix_v4(&e->next_hop));
	pkt_put16(oip + 10, pkt_ip4_csum(oip));
	/* the source port spreads flows over the underlay's ECMP */
	pkt_put16(udp, (uint16_t)(0xc000 | (hash & 0x3fff)));
	pkt_put16(udp + 2, FWD_VXLAN_PORT);
	pkt_put16(udp + 4, (uint16_t)(8 + 8 + inner));
	pkt_put16(udp + 6, 0);
	pkt_put32(vx, 0x08000000u);
	pkt_put32(vx + 4, e->vni_out << 8);
	memcpy(eth, inner_dst, 6);
	memcpy(eth + 6, inner_src, 6);
	pkt_put16(eth + 12, pi->ethertype);
	pk->headroom = (uint16_t)(pk->headroom + pi->l2_len - FWD_ENCAP_LEN);
	pk->data = o;
	pk->len = FWD_ENCAP_LEN + pi->ip_len;
	return pk->len;
}

/* Sends pk to another region over the backbone peer e: VXLAN, then the
 * connection's shaper (queued while over the rate, dropped when the queue
 * is full) or its transfer meter. */
static bool
bb_send(struct fwd *f, const struct fwd_conf *c, const struct fwd_att *a,
	const struct fwd_att *e, struct io_pkt *pk, const struct pkt_info *pi,
	uint32_t hash, uint64_t now)
{
	struct fwd_att_meters *m;
	struct fwd_tx *tx;
	uint8_t mac[6];
	uint32_t len;

	if (PKT_UNLIKELY(!e->present || !e->backbone)) {
		drop(f, a->name, FWD_DROP_NO_BACKBONE);
		return false;
	}
	if (PKT_UNLIKELY(a->backbone)) {
		/* what came over the backbone never goes back on it */
		drop(f, a->name, FWD_DROP_BB_LOOP);
		return false;
	}
	if (PKT_UNLIKELY(!e->bb_package)) {
		drop(f, a->name, FWD_DROP_NO_PACKAGE);
		return false;
	}
	if (PKT_UNLIKELY(pi->ttl <= 1)) {
		drop(f, a->name, FWD_DROP_TTL);
		if (icmp_err_allowed(f, now))
			fwd_icmp_error(f, a, pk->data, pk->len, pi, true, now);
		return false;
	}
	if (PKT_UNLIKELY((uint32_t)FWD_ENCAP_LEN - 14 + pi->ip_len >
			 io_port_mtu(f->ports[e->port]))) {
		/* the underlay's MTU less the encapsulation: tell the
		 * sender (path MTU discovery) */
		drop(f, a->name, FWD_DROP_TOO_BIG);
		if (icmp_err_allowed(f, now))
			fwd_icmp_too_big(f, a, pk->data, pi,
					 io_port_mtu(f->ports[e->port]) -
						 (FWD_ENCAP_LEN - 14));
		return false;
	}
	if (PKT_UNLIKELY((uint32_t)pk->headroom + pi->l2_len < FWD_ENCAP_LEN)) {
		drop(f, a->name, FWD_DROP_TOO_BIG);
		return false;
	}
	if ((m = bb_meters(f, e, now)) == NULL ||
	    !nh_mac(f, c, e, pi, mac, now)) {
		drop(f, a->name, FWD_DROP_NO_NEIGH);
		return false;
	}
	pkt_ttl_dec(pk->data, pi);
	len = bb_encap(f, c, e, pk, pi, mac, hash);
	if (e->bb_transfer) {
		struct meter_totals t;

		meter_stats_get_totals(&m->bb.stats, &t);
		if (e->bb_cap_bytes && t.pass_bytes + len > e->bb_cap_bytes) {
			meter_stats_drop(&m->bb.stats, len);
			drop(f, a->name, FWD_DROP_TRANSFER_CAP);
			return false;
		}
		meter_police(&m->bb, now, len);
	} else {
		struct fwd_qbuf *q;
		uint32_t qi;

		if (f->nqfree == 0) {
			meter_stats_drop(&m->bb.stats, len);
			drop(f, a->name, FWD_DROP_SHAPER);
			return false;
		}
		qi = f->qfree[--f->nqfree];
		q = &f->qpool[qi];
		switch (meter_shape(&m->bb, now, q, len)) {
		case METER_SENT_NOW:
			f->qfree[f->nqfree++] = qi;
			break;
		case METER_QUEUED:
			memcpy(q->data, pk->data, len);
			q->len = len;
			f->shaped++;
			return true;
		default:
			f->qfree[f->nqfree++] = qi;
			drop(f, a->name, FWD_DROP_SHAPER);
			return false;
		}
	}
	cnt_add(&f->stats[e->name].tx_packets, 1);
	cnt_add(&f->stats[e->name].tx_bytes, len);
	tx = &f->tx[e->port];
	if (PKT_UNLIKELY(tx->n == FWD_BURST))
		tx_drain(f, e->port);
	tx->pkt[tx->n] = *pk;
	tx->n++;
	return true;
}

/* Frees a queue's packets (its meter is going). */
static void
bb_flush(struct fwd *f, struct fwd_att_meters *m)
{
	void *h[64];
	size_t n;

	while ((n = meter_shaper_flush(&m->bb.u.sh, h, 64, NULL)) > 0)
		for (size_t i = 0; i < n; i++) {
			f->qfree[f->nqfree++] =
				(uint32_t)((struct fwd_qbuf *)h[i] - f->qpool);
			f->shaped--;
		}
}

/* Sends what the shapers let go by now. */
static void
bb_release(struct fwd *f, const struct fwd_conf *c, uint64_t now)
{
	for (size_t i = 0; i < c->nbb_peers && f->shaped > 0; i++) {
		uint16_t name = c->bb_peer[i].name;
		struct fwd_att_meters *m = &f->meters[name];
		struct io_pkt out[64];
		void *h[64];
		size_t n;

		if (!atomic_load_explicit(&m->bb_ready, memory_order_relaxed) ||
		    m->bb_transfer)
			continue;
		while ((n = meter_release(&m->bb, now, h, 64)) > 0) {
			for (size_t k = 0; k < n; k++) {
				struct fwd_qbuf *q = h[k];

				out[k].data = q->data;
				out[k].len = q->len;
				out[k].port = (uint16_t)c->bb_port;
				out[k].headroom = 0;
				cnt_add(&f->stats[name].tx_packets, 1);
				cnt_add(&f->stats[name].tx_bytes, q->len);
			}
			if (io_tx_burst(f->ports[c->bb_port], out, n) < n)
				cnt_add(&f->drops[FWD_DROP_TX_FULL], 1);
			io_tx_flush(f->ports[c->bb_port]);
			for (size_t k = 0; k < n; k++) {
				f->qfree[f->nqfree++] =
					(uint32_t)((struct fwd_qbuf *)h[k] -
						   f->qpool);
				f->shaped--;
			}
		}
	}
}

/* Forwards packet pk, whose FIB lookup gave idx, from a. */
static inline bool
forward_one(struct fwd *f, const struct fwd_conf *c, const struct fwd_att *a,
	    struct io_pkt *pk, const struct pkt_info *pi, uint32_t idx,
	    uint64_t now)
{
	const struct fwd_nhg *g;
	const struct fwd_nh *nh;
	const struct fwd_att *e;
	uint16_t name = a->name;
	uint8_t mac[6];
	uint32_t hash;

	g = idx == LPM_MISS ? NULL : fwd_nhg_get(f, idx);
	if (PKT_UNLIKELY(g == NULL)) {
		drop(f, name, FWD_DROP_NO_ROUTE);
		if (icmp_err_allowed(f, now))
			fwd_icmp_error(f, a, pk->data, pk->len, pi, false, now);
		return false;
	}
	/* the 5-tuple hash only where something needs it: a choice among
	 * next hops, a per-flow meter, the backbone's source port */
	hash = g->n > 1 ? pkt_hash5(pi) : 0;
	nh = &g->nh[g->slot[hash % FWD_ECMP_SLOTS]];
	if (PKT_UNLIKELY(nh->kind != ENGINE_NH_ATTACHMENT)) {
		if (nh->kind == ENGINE_NH_REGION)
			return bb_send(f, c, a, &c->att[nh->name], pk, pi,
				       g->n > 1 ? hash : pkt_hash5(pi), now);
		drop(f, name, FWD_DROP_BLACKHOLE);
		return false;
	}
	e = &c->att[nh->name];
	if (PKT_UNLIKELY(!e->present)) {
		drop(f, name, FWD_DROP_NOT_HERE);
		return false;
	}
	if (PKT_UNLIKELY(pi->ttl <= 1)) {
		drop(f, name, FWD_DROP_TTL);
		if (icmp_err_allowed(f, now))
			fwd_icmp_error(f, a, pk->data, pk->len, pi, true, now);
		return false;
	}
	if (e->bw_bps || a->bw_bps) {
		struct fwd_att_meters *m;
		uint32_t l3 = pi->ip_len;

		if (g->n == 1)
			hash = pkt_hash5(pi);

		if (e->bw_bps && (m = vbr_meters(f, e, now)) != NULL) {
			if (a->type == MODEL_ATT_VPC &&
			    !meter_flow(&m->flow, now, hash, a->name, e->name,
					l3)) {
				drop(f, name, FWD_DROP_FLOW_CAP);
				return false;
			}
			if (!meter_police(&m->out, now, l3)) {
				drop(f, name, FWD_DROP_METER);
				return false;
			}
		}
		if (a->bw_bps && (m = vbr_meters(f, a, now)) != NULL &&
		    !meter_police(&m->in, now, l3)) {
			drop(f, name, FWD_DROP_METER);
			return false;
		}
	}
	if (PKT_UNLIKELY(!nh_mac(f, c, e, pi, mac, now))) {
		drop(f, name, FWD_DROP_NO_NEIGH);
		return false;
	}
	if (PKT_UNLIKELY(e->vlan && pi->l2_len < PKT_ETH_HLEN + PKT_VLAN_HLEN &&
			 pk->headroom < PKT_VLAN_HLEN)) {
		drop(f, name, FWD_DROP_TOO_BIG);
		return false;
	}
	pkt_ttl_dec(pk->data, pi);
	{
		/* the new L2 header just before the IP packet, written in
		 * place (neither MAC points into the frame) */
		size_t hl =
			e->vlan ? PKT_ETH_HLEN + PKT_VLAN_HLEN : PKT_ETH_HLEN;
		uint8_t *out = pk->data + pi->l2_len - hl;
		struct fwd_tx *tx = &f->tx[e->port];
		uint32_t len = (uint32_t)(hl + pi->ip_len);

		memcpy(out, mac, 6);
		memcpy(out + 6, f->mac[e->port], 6);
		if (e->vlan) {
			pkt_put16(out + 12, PKT_ETH_P_8021Q);
			pkt_put16(out + 14, e->vlan);
		}
		pkt_put16(out + hl - 2, pi->ethertype);
		cnt_add(&f->stats[e->name].tx_packets, 1);
		cnt_add(&f->stats[e->name].tx_bytes, len);
		if (PKT_UNLIKELY(tx->n == FWD_BURST))
			tx_drain(f, e->port);
		tx->pkt[tx->n].data = out;
		tx->pkt[tx->n].len = len;
		tx->pkt[tx->n].port = e->port;
		tx->pkt[tx->n].headroom =
			(uint16_t)(pk->headroom + (out - pk->data));
		tx->n++;
	}
	return true;
}

/*
 * A burst in three passes: parse and classify every packet (the slow ones
 * are handled and dropped from the burst here); look the rest up, all at
 * once with the LPM's prefetching bulk lookup when they share a FIB (the
 * usual case: a port's burst comes from one attachment); then forward.
 */
size_t
fwd_process_burst(struct fwd *f, uint16_t port, struct io_pkt *pkts, size_t n,
		  uint64_t now)
{
	const struct fwd_conf *c = rcu_dereference(f->cur);
	struct pkt_info pi[FWD_BURST];
	const struct fwd_lpmset *ls[FWD_BURST];
	uint16_t who[FWD_BURST], keep[FWD_BURST];
	uint32_t addr4[FWD_BURST], idx[FWD_BURST];
	const struct fwd_port_conf *pc;
	size_t sent = 0, k = 0;
	bool same4 = true;

	if (PKT_UNLIKELY(c == NULL)) {
		cnt_add(&f->drops[FWD_DROP_NO_ATTACHMENT], n);
		return 0;
	}
	if (n > FWD_BURST)
		n = FWD_BURST;
	pc = &c->port[port];
	for (size_t i = 0; i < n; i++) {
		struct io_pkt *pk = &pkts[i];
		enum pkt_verdict v = pkt_parse(pk->data, pk->len, &pi[k]);
		const struct fwd_att *a;
		uint16_t name;

		if (PKT_UNLIKELY(v == PKT_E_TRUNCATED ||
				 v == PKT_E_VLAN_STACK)) {
			cnt_add(&f->bad[v], 1);
			continue;
		}
		if (PKT_UNLIKELY((int)port == c->bb_port) && v == PKT_OK &&
		    is_vxlan(c, &pi[k])) {
			int r = bb_decap(f, c, pk, &pi[k], &ls[k]);

			if (r < 0)
				continue;
			name = (uint16_t)r;
			goto lookup;
		}
		name = pc->by_vlan[pi[k].vlan & (FWD_VLAN_MAX - 1)];
		if (PKT_UNLIKELY(name == FWD_NAME_NONE)) {
			cnt_add(&f->drops[FWD_DROP_NO_ATTACHMENT], 1);
			continue;
		}
		a = &c->att[name];
		cnt_add(&f->stats[name].rx_packets, 1);
		cnt_add(&f->stats[name].rx_bytes, pk->len);
		if (not_forwarded(f, a, pk, &pi[k], v, now))
			continue;
		ls[k] = rcu_dereference(f->att_lpm[name]);
lookup:
		if (PKT_UNLIKELY(ls[k] == NULL)) {
			drop(f, name, FWD_DROP_NO_ROUTE);
			continue;
		}
		if (pi[k].family == 4)
			addr4[k] = pi[k].dst4;
		else
			same4 = false;
		if (k > 0 && ls[k] != ls[0])
			same4 = false;
		who[k] = name;
		keep[k] = (uint16_t)i;
		k++;
	}
	if (k > 0 && same4) {
		lpm4_lookup_bulk(ls[0]->v4, addr4, idx, k);
	} else {
		for (size_t j = 0; j < k; j++)
			idx[j] = pi[j].family == 4
					 ? lpm4_lookup(ls[j]->v4, pi[j].dst4)
					 : lpm6_lookup(ls[j]->v6, pi[j].dst6);
	}
	for (size_t j = 0; j < k; j++)
		sent += forward_one(f, c, &c->att[who[j]], &pkts[keep[j]],
				    &pi[j], idx[j], now);
	fwd_flush(f);
	return sent;
}

void
fwd_timers(struct fwd *f, uint64_t now)
{
	const struct fwd_conf *c = rcu_dereference(f->cur);

	if (c != NULL) {
		fwd_health_timers(f, c, now);
		if (f->shaped > 0)
			bb_release(f, c, now);
	}
	meter_flows_expire(&f->flows, now, 1024);
	fwd_flush(f);
}

static void *
worker_main(void *arg)
{
	struct fwd *f = arg;
	struct io_pkt pkts[FWD_BURST];
	struct pollfd pfd[FWD_PORTS_MAX];
	uint64_t next_timer = 0, now;
	unsigned idle = 0;

	rcu_register_thread();
	for (uint16_t p = 0; p < f->nports; p++) {
		pfd[p].fd = io_port_fd(f->ports[p]);
		pfd[p].events = POLLIN;
	}
	while (atomic_load_explicit(&f->running, memory_order_relaxed)) {
		size_t got = 0;

		now = fwd_now_ns();
		rcu_read_lock();
		for (uint16_t p = 0; p < f->nports; p++) {
			size_t k = io_rx_burst(f->ports[p], pkts, FWD_BURST);

			if (k > 0) {
				fwd_process_burst(f, p, pkts, k, now);
				got += k;
			}
			io_rx_done(f->ports[p]);
		}
		if (now >= next_timer) {
			fwd_timers(f, now);
			next_timer = now + TIMER_NS;
		} else if (f->shaped > 0) {
			const struct fwd_conf *c = rcu_dereference(f->cur);

			if (c != NULL)
				bb_release(f, c, now);
		}
		rcu_read_unlock();
		if (got > 0) {
			idle = 0;
		} else if (++idle >= IDLE_SPINS) {
			/* nothing for a while: sleep until a port has
			 * traffic or the next timer step */
			if (poll(pfd, f->nports,
				 f->shaped > 0 ? 1 : IDLE_SLEEP_MS) < 0 &&
			    errno != EINTR)
				break;
			idle = 0;
		}
	}
	rcu_unregister_thread();
	return NULL;
}

int
fwd_worker_start(struct fwd *f, struct cen_err *err)
{
	int rc;

	atomic_store(&f->running, true);
	rc = pthread_create(&f->thread, NULL, worker_main, f);
	if (rc) {
		atomic_store(&f->running, false);
		cen_errf(err, -CEN_EIO,
			 "cannot start the forwarding thread: %s",
			 strerror(rc));
		return -CEN_EIO;
	}
	f->started = true;
	return 0;
}

void
fwd_worker_stop(struct fwd *f)
{
	if (!f->started)
		return;
	atomic_store(&f->running, false);
	pthread_join(f->thread, NULL);
	f->started = false;
}
