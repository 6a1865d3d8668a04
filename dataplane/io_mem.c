/*
 * io_mem.c - in-memory ports (io.h, IO_MEM), for benchmarks and tests: no
 * interface, no system call.
 *
 * Receiving copies the loaded template frames, round-robin, into the
 * port's buffers, so the forwarder can rewrite them in place as it does
 * frames of a ring.  The buffers of one burst are released by the next, so
 * every burst reuses the same first buffers, which stay in the cache as a
 * NIC's recycled buffers do: cfg.frames is the number of buffers and so the
 * largest burst (0: IO_MEM_BUFS).  The copy is the whole frame: a memcpy of
 * a 64-byte frame costs about what a ring's descriptor does.
 *
 * Transmitting counts frames and bytes and keeps copies of the last
 * cfg.mem_capture frames for io_mem_capture(); it refuses frames as an
 * interface with an MTU of 1500 would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/io.h"
#include "dataplane/io_int.h"

#define IO_MEM_BUFS 256

struct mem_port {
	struct io_port base;
	uint32_t frame_size;
	uint32_t headroom;
	uint32_t nbufs;
	uint8_t *bufs; /* nbufs * frame_size */
	/* templates: tlen[i] bytes at tmpl + toff[i] */
	uint8_t *tmpl;
	uint32_t *toff;
	uint32_t *tlen;
	size_t ntmpl;
	size_t next; /* template of the next frame received */
	/* the last cap_max frames transmitted, slot i at cap + i*frame_size */
	uint32_t cap_max;
	uint8_t *cap;
	uint32_t *cap_len;
	uint64_t cap_total; /* frames captured since the last clear */
};

static struct mem_port *
mem_port(const struct io_port *p, const char *fn)
{
	if (p->kind != IO_MEM) {
		fprintf(stderr, "%s: port %s is not an in-memory port\n", fn,
			p->name);
		abort();
	}
	return (struct mem_port *)(uintptr_t)p;
}

static size_t
mem_rx_burst(struct io_port *p, struct io_pkt *pkts, size_t max)
{
	struct mem_port *m = (struct mem_port *)p;
	uint64_t bytes = 0;
	size_t i, t = m->next;
	uint8_t *buf;

	if (m->ntmpl == 0)
		return 0;
	if (max > m->nbufs)
		max = m->nbufs;
	buf = m->bufs + m->headroom;
	for (i = 0; i < max; i++) {
		memcpy(buf, m->tmpl + m->toff[t], m->tlen[t]);
		pkts[i].data = buf;
		pkts[i].len = m->tlen[t];
		pkts[i].port = p->index;
		pkts[i].headroom = (uint16_t)m->headroom;
		bytes += m->tlen[t];
		buf += m->frame_size;
		if (++t == m->ntmpl)
			t = 0;
	}
	m->next = t;
	IO_COUNT(p->st.rx_packets, max);
	IO_COUNT(p->st.rx_bytes, bytes);
	return max;
}

static void
mem_rx_done(struct io_port *p)
{
}

static size_t
mem_tx_burst(struct io_port *p, struct io_pkt *pkts, size_t n)
{
	struct mem_port *m = (struct mem_port *)p;
	uint64_t bytes = 0, sent = 0, bad = 0;
	uint32_t slot;
	size_t i;

	for (i = 0; i < n; i++) {
		if (pkts[i].len < 14 || pkts[i].len > m->frame_size ||
		    pkts[i].len > p->mtu + 22) {
			bad++;
			continue;
		}
		sent++;
		bytes += pkts[i].len;
		if (m->cap_max == 0)
			continue;
		slot = (uint32_t)(m->cap_total % m->cap_max);
		memcpy(m->cap + (size_t)slot * m->frame_size, pkts[i].data,
		       pkts[i].len);
		m->cap_len[slot] = pkts[i].len;
		m->cap_total++;
	}
	IO_COUNT(p->st.tx_packets, sent);
	IO_COUNT(p->st.tx_bytes, bytes);
	if (bad != 0)
		IO_COUNT(p->st.tx_errors, bad);
	return i;
}

static void
mem_tx_flush(struct io_port *p)
{
}

static int
mem_fd(const struct io_port *p)
{
	return -1;
}

static void
mem_close(struct io_port *p)
{
	struct mem_port *m = (struct mem_port *)p;

	free(m->bufs);
	free(m->tmpl);
	free(m->toff);
	free(m->tlen);
	free(m->cap);
	free(m->cap_len);
	free(m);
}

static const struct io_ops mem_ops = {
	.rx_burst = mem_rx_burst,
	.rx_done = mem_rx_done,
	.tx_burst = mem_tx_burst,
	.tx_flush = mem_tx_flush,
	.fd = mem_fd,
	.kstats = NULL,
	.close = mem_close,
};

int
io_mem_open(const struct io_port_config *cfg, struct io_port **out,
	    struct cen_err *err)
{
	struct mem_port *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return cen_errf(err, -CEN_ENOMEM, "in-memory port: no memory");
	m->base.ops = &mem_ops;
	m->base.kind = IO_MEM;
	m->base.ctl_fd = -1;
	m->base.mem_up = true;
	m->base.mtu = 1500;
	snprintf(m->base.name, sizeof(m->base.name), "%s",
		 cfg->ifname != NULL ? cfg->ifname : "mem");
	m->frame_size =
		cfg->frame_size != 0 ? cfg->frame_size : IO_FRAME_SIZE_DEFAULT;
	m->headroom = cfg->headroom != 0 ? cfg->headroom : IO_HEADROOM_DEFAULT;
	m->nbufs = cfg->frames != 0 ? cfg->frames : IO_MEM_BUFS;
	m->cap_max = cfg->mem_capture;
	m->bufs = calloc(m->nbufs, m->frame_size);
	if (m->cap_max != 0) {
		m->cap = calloc(m->cap_max, m->frame_size);
		m->cap_len = calloc(m->cap_max, sizeof(*m->cap_len));
	}
	if (m->bufs == NULL ||
	    (m->cap_max != 0 && (m->cap == NULL || m->cap_len == NULL))) {
		mem_close(&m->base);
		return cen_errf(err, -CEN_ENOMEM,
				"in-memory port: no memory for %u buffers",
				m->nbufs);
	}
	*out = &m->base;
	return 0;
}

int
io_mem_load(struct io_port *p, const uint8_t *const frames[],
	    const uint32_t lens[], size_t n)
{
	struct mem_port *m = mem_port(p, "io_mem_load");
	uint32_t *toff, *tlen;
	size_t i, total = 0;
	uint8_t *tmpl;

	if (n == 0 || n > IO_MEM_TEMPLATES_MAX)
		return -CEN_EINVAL;
	for (i = 0; i < n; i++) {
		if (lens[i] == 0 || lens[i] > m->frame_size - m->headroom)
			return -CEN_EINVAL;
		total += lens[i];
	}
	tmpl = malloc(total);
	toff = calloc(n, sizeof(*toff));
	tlen = calloc(n, sizeof(*tlen));
	if (tmpl == NULL || toff == NULL || tlen == NULL) {
		free(tmpl);
		free(toff);
		free(tlen);
		return -CEN_ENOMEM;
	}
	total = 0;
	for (i = 0; i < n; i++) {
		memcpy(tmpl + total, frames[i], lens[i]);
		toff[i] = (uint32_t)total;
		tlen[i] = lens[i];
		total += lens[i];
	}
	free(m->tmpl);
	free(m->toff);
	free(m->tlen);
	m->tmpl = tmpl;
	m->toff = toff;
	m->tlen = tlen;
	m->ntmpl = n;
	m->next = 0;
	return 0;
}

size_t
io_mem_captured(const struct io_port *p)
{
	const struct mem_port *m = mem_port(p, "io_mem_captured");

	return m->cap_total < m->cap_max ? (size_t)m->cap_total : m->cap_max;
}

int
io_mem_capture(const struct io_port *p, size_t i, const uint8_t **frame,
	       uint32_t *len)
{
	const struct mem_port *m = mem_port(p, "io_mem_capture");
	size_t kept = io_mem_captured(p);
	uint32_t slot;

	if (i >= kept)
		return -CEN_ENOENT;
	slot = (uint32_t)((m->cap_total - kept + i) % m->cap_max);
	*frame = m->cap + (size_t)slot * m->frame_size;
	*len = m->cap_len[slot];
	return 0;
}

void
io_mem_capture_clear(struct io_port *p)
{
	mem_port(p, "io_mem_capture_clear")->cap_total = 0;
}

void
io_mem_set_link(struct io_port *p, bool up)
{
	__atomic_store_n(&mem_port(p, "io_mem_set_link")->base.mem_up, up,
			 __ATOMIC_RELAXED);
}
