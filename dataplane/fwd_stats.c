/*
 * fwd_stats.c - the forwarder's counters as ForwarderAdmin.Stats answers
 * them (proto/forwarder.proto), read on the control side while the packet
 * side counts: counters are relaxed atomics with one writer, meters are
 * read with meter_snapshot, which any thread may call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/fwd_int.h"
#include "proto/forwarder.pb-c.h"

#define LD(x)	     atomic_load_explicit(&(x), memory_order_relaxed)
#define P95_WINDOW_S 300

static const char *const drop_names[] = {
#define X(name, str) str,
	FWD_DROPS(X)
#undef X
};

/* Everything the response points to is malloc'd and freed by
 * fwd_stats_free; strings too (strdup), so the response owns it all. */

static char *
xstrdup(const char *s)
{
	return strdup(s ? s : "");
}

static int
counters(Cend__V1__Counter ***out, size_t *nout, const _Atomic uint64_t *drops,
	 const _Atomic uint64_t *bad)
{
	Cend__V1__Counter **v;
	size_t n = 0;

	v = calloc(FWD_DROP_COUNT + PKT_VERDICT_COUNT, sizeof(*v));
	if (v == NULL)
		return -1;
	*out = v;
	for (unsigned i = 0; i < FWD_DROP_COUNT + PKT_VERDICT_COUNT; i++) {
		uint64_t val;
		const char *name;

		if (i < FWD_DROP_COUNT) {
			val = LD(drops[i]);
			name = drop_names[i];
		} else {
			if (i - FWD_DROP_COUNT == PKT_OK)
				continue;
			val = LD(bad[i - FWD_DROP_COUNT]);
			name = pkt_verdict_name(i - FWD_DROP_COUNT);
		}
		if (val == 0)
			continue;
		if ((v[n] = malloc(sizeof(*v[n]))) == NULL)
			return -1;
		cend__v1__counter__init(v[n]);
		v[n]->name = xstrdup(name);
		v[n]->value = val;
		*nout = ++n;
	}
	return 0;
}

static void
mac_fmt(uint64_t m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x",
		 (unsigned)(m >> 40) & 0xff, (unsigned)(m >> 32) & 0xff,
		 (unsigned)(m >> 24) & 0xff, (unsigned)(m >> 16) & 0xff,
		 (unsigned)(m >> 8) & 0xff, (unsigned)m & 0xff);
}

static int
meter_add(Cend__V1__ForwarderStatsResponse *r, const struct meter *m,
	  uint64_t now)
{
	Cend__V1__MeterStats *ms;
	struct meter_snap s;

	meter_snapshot(m, now, P95_WINDOW_S, &s);
	if ((ms = malloc(sizeof(*ms))) == NULL)
		return -1;
	cend__v1__meter_stats__init(ms);
	r->meters[r->n_meters++] = ms;
	ms->id = xstrdup(s.id);
	ms->kind = xstrdup(s.kind == METER_KIND_VBR	   ? "vbr"
			   : s.kind == METER_KIND_FLOW_CAP ? "flow-cap"
			   : s.kind == METER_KIND_BACKBONE ? "backbone"
							   : "transfer");
	ms->committed_bps =
		s.kind == METER_KIND_FLOW_CAP ? s.limit_bps : s.committed_bps;
	ms->rate_bps = s.rate_bps;
	ms->p95_bps = s.p95_bps;
	ms->passed_packets = s.pass_pkts;
	ms->passed_bytes = s.pass_bytes;
	ms->dropped_packets = s.drop_pkts;
	ms->dropped_bytes = s.drop_bytes;
	ms->queued_packets = s.queue_pkts;
	return 0;
}

int
fwd_stats_fill(struct fwd *f, Cend__V1__ForwarderStatsResponse *r, uint64_t now)
{
	const struct fwd_conf *c;
	size_t natt = 0;

	r->uptime_ms = (now - f->started_ns) / 1000000;
	r->ports = calloc(f->nports ? f->nports : 1, sizeof(*r->ports));
	if (r->ports == NULL)
		return -1;
	for (uint16_t p = 0; p < f->nports; p++) {
		Cend__V1__PortStats *ps = malloc(sizeof(*ps));
		struct io_port_stats st;

		if (ps == NULL)
			return -1;
		cend__v1__port_stats__init(ps);
		r->ports[r->n_ports++] = ps;
		io_port_stats(f->ports[p], &st);
		ps->interface = xstrdup(f->conf->ports[p].ifname);
		ps->link_up = io_port_link_up(f->ports[p]);
		ps->rx_packets = st.rx_packets;
		ps->rx_bytes = st.rx_bytes;
		ps->tx_packets = st.tx_packets;
		ps->tx_bytes = st.tx_bytes;
		ps->rx_ring_drops = st.rx_drops;
		ps->tx_errors = st.tx_errors;
		ps->io = xstrdup(io_port_kind(f->ports[p]) == IO_MEM ? "memory"
				 : io_port_kind(f->ports[p]) == IO_XDP
					 ? "xdp"
					 : "afpacket");
	}

	rcu_read_lock();
	c = rcu_dereference(f->cur);
	for (uint16_t n = 0; c != NULL && n < FWD_NAMES_MAX; n++)
		natt += c->att[n].present;
	r->attachments = calloc(natt + 1, sizeof(*r->attachments));
	r->meters = calloc(4 * natt + 1, sizeof(*r->meters));
	r->health = calloc(natt + 1, sizeof(*r->health));
	if (!r->attachments || !r->meters || !r->health)
		goto fail;
	for (uint16_t n = 0; c != NULL && n < FWD_NAMES_MAX; n++) {
		const struct fwd_att *a = &c->att[n];
		const struct fwd_att_stats *st = &f->stats[n];
		const struct fwd_att_meters *m = &f->meters[n];
		const struct fwd_health *h = &f->health[n];
		Cend__V1__AttachmentStats *as;
		char buf[64];

		if (!a->present)
			continue;
		if ((as = malloc(sizeof(*as))) == NULL)
			goto fail;
		cend__v1__attachment_stats__init(as);
		r->attachments[r->n_attachments++] = as;
		as->id = xstrdup(a->id);
		as->interface = xstrdup(f->conf->ports[a->port].ifname);
		as->vlan = a->vlan;
		as->rx_packets = LD(st->rx_packets);
		as->rx_bytes = LD(st->rx_bytes);
		as->tx_packets = LD(st->tx_packets);
		as->tx_bytes = LD(st->tx_bytes);
		as->table = xstrdup(f->att_table[n]);
		if (counters(&as->drops, &as->n_drops, st->drops, st->bad))
			goto fail;
		if (atomic_load_explicit(&m->ready, memory_order_acquire)) {
			if (meter_add(r, &m->out, now) ||
			    meter_add(r, &m->in, now) ||
			    meter_add(r, &m->flow, now))
				goto fail;
		}
		if (atomic_load_explicit(&m->bb_ready, memory_order_acquire) &&
		    meter_add(r, &m->bb, now))
			goto fail;
		if (a->hc) {
			Cend__V1__HealthStats *hs = malloc(sizeof(*hs));
			uint8_t s = LD(h->state);

			if (hs == NULL)
				goto fail;
			cend__v1__health_stats__init(hs);
			r->health[r->n_health++] = hs;
			hs->attachment = xstrdup(a->id);
			hs->source = xstrdup(
				prefix_fmt_addr(&a->hc_src, buf, sizeof(buf)));
			hs->target = xstrdup(
				prefix_fmt_addr(&a->hc_dst, buf, sizeof(buf)));
			hs->interval_s = a->hc_interval_s;
			hs->threshold = a->hc_threshold;
			hs->state = xstrdup(s == 1   ? "up"
					    : s == 2 ? "down"
						     : "unknown");
			hs->misses = LD(h->misses);
			hs->sent = LD(h->sent);
			hs->received = LD(h->received);
			hs->last_change_ms =
				LD(h->changed_ns)
					? (now - LD(h->changed_ns)) / 1000000
					: 0;
			hs->reported = s != 0 && LD(h->reported) == s + 1;
		}
	}
	rcu_read_unlock();

	r->neighbors = calloc(FWD_NEIGH_SLOTS, sizeof(*r->neighbors));
	if (r->neighbors == NULL)
		return -1;
	for (size_t i = 0; i < FWD_NEIGH_SLOTS; i++) {
		const struct fwd_neigh *ne = &f->neigh[i];
		Cend__V1__NeighborStats *ns;
		uint64_t mac = LD(ne->mac), upd = LD(ne->updated_ns);
		struct prefix a;
		uint16_t port, vlan;
		char buf[64];

		if (!fwd_neigh_decode(ne, &port, &vlan, &a))
			continue;
		if ((ns = malloc(sizeof(*ns))) == NULL)
			return -1;
		cend__v1__neighbor_stats__init(ns);
		r->neighbors[r->n_neighbors++] = ns;
		ns->interface = xstrdup(
			port < f->nports ? f->conf->ports[port].ifname : "?");
		ns->vlan = vlan;
		ns->address = xstrdup(prefix_fmt_addr(&a, buf, sizeof(buf)));
		if (mac >> 63) {
			mac_fmt(mac, buf, sizeof(buf));
			ns->mac = xstrdup(buf);
		} else {
			ns->mac = xstrdup("");
		}
		ns->age_ms = upd && now > upd ? (now - upd) / 1000000 : 0;
	}
	return counters(&r->drops, &r->n_drops, f->drops, f->bad);
fail:
	rcu_read_unlock();
	return -1;
}

void
fwd_stats_free(Cend__V1__ForwarderStatsResponse *r)
{
	/* everything is owned: protobuf-c's own free would do it for an
	 * unpacked message, but this one was built by hand */
	for (size_t i = 0; i < r->n_ports; i++) {
		free(r->ports[i]->interface);
		free(r->ports[i]->io);
		free(r->ports[i]);
	}
	free(r->ports);
	for (size_t i = 0; i < r->n_attachments; i++) {
		Cend__V1__AttachmentStats *a = r->attachments[i];

		for (size_t j = 0; j < a->n_drops; j++) {
			free(a->drops[j]->name);
			free(a->drops[j]);
		}
		free(a->drops);
		free(a->id);
		free(a->interface);
		free(a->table);
		free(a);
	}
	free(r->attachments);
	for (size_t i = 0; i < r->n_meters; i++) {
		free(r->meters[i]->id);
		free(r->meters[i]->kind);
		free(r->meters[i]);
	}
	free(r->meters);
	for (size_t i = 0; i < r->n_health; i++) {
		Cend__V1__HealthStats *h = r->health[i];

		free(h->attachment);
		free(h->source);
		free(h->target);
		free(h->state);
		free(h);
	}
	free(r->health);
	for (size_t i = 0; i < r->n_neighbors; i++) {
		free(r->neighbors[i]->interface);
		free(r->neighbors[i]->address);
		free(r->neighbors[i]->mac);
		free(r->neighbors[i]);
	}
	free(r->neighbors);
	for (size_t i = 0; i < r->n_drops; i++) {
		free(r->drops[i]->name);
		free(r->drops[i]);
	}
	free(r->drops);
}
