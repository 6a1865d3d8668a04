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
	hash = pkt_hash5(pi);
	nh = &g->nh[g->slot[hash % FWD_ECMP_SLOTS]];
	if (PKT_UNLIKELY(nh->kind != ENGINE_NH_ATTACHMENT)) {
		drop(f, name,
		     nh->kind == ENGINE_NH_REGION ? FWD_DROP_NO_BACKBONE
						  : FWD_DROP_BLACKHOLE);
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

	if (c != NULL)
		fwd_health_timers(f, c, now);
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
		}
		rcu_read_unlock();
		if (got > 0) {
			idle = 0;
		} else if (++idle >= IDLE_SPINS) {
			/* nothing for a while: sleep until a port has
			 * traffic or the next timer step */
			if (poll(pfd, f->nports, IDLE_SLEEP_MS) < 0 &&
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
