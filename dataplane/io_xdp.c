/*
 * io_xdp.c - AF_XDP ports (io.h, IO_XDP), with libxdp's xsk API.
 *
 * One AF_XDP socket on queue cfg.xdp_queue of the interface, and libxdp's
 * default program on the interface, which redirects that queue's frames to
 * the socket (a second port on the same interface and queue is refused by
 * the kernel).  Attach mode: cfg.xdp_mode (generic XDP works on any
 * driver, native needs the driver's support, veth has it); frames are
 * copied into the UMEM unless cfg.xdp_zerocopy and the driver can.
 *
 * The UMEM is one anonymous mapping of cfg.frames receive frames followed
 * by cfg.tx_frames transmit frames, each cfg.frame_size bytes (2048 or
 * 4096: aligned mode).  Receive frames live in the fill ring, the kernel
 * writes frames into them and passes them in the RX ring; a burst's frames
 * go back to the fill ring at the next io_rx_burst() or io_rx_done(), so
 * they stay valid and writable until then.  The kernel puts a frame
 * XDP_PACKET_HEADROOM (256) bytes into its chunk, after cfg.headroom less
 * those 256 bytes if more was asked: io_pkt.headroom is all of it.
 * Transmit frames sit on a free stack; io_tx_burst() copies each frame into
 * one and queues it on the TX ring, and the completion ring gives them
 * back.  Frames arrive as the driver gives them: generic and veth XDP see
 * 802.1Q tags in the frame.
 *
 * With XDP_USE_NEED_WAKEUP the kernel says when it needs a system call:
 * io_tx_flush() sends only then (copy mode always needs one, and sends at
 * most a budget of frames per call, so it calls again while the kernel
 * asks), and an empty io_rx_burst() wakes the driver when the fill ring
 * asks.
 *
 * On veth (copy mode, 2 shared vCPUs, 64-byte frames) AF_XDP sent frames
 * for less CPU than AF_PACKET (about 300 ns a frame against 450..600), but
 * a loop receiving on one port and sending on another cost more (770..1000
 * ns a frame against 540..745): on veth, AF_PACKET is the better choice;
 * AF_XDP pays where the driver does zero-copy.
 *
 * libbpf and libxdp print their warnings (no bpffs for libxdp's dispatcher,
 * so one program per interface is loaded instead) only when the
 * environment has CEND_XDP_DEBUG set; failures come back as errors.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include "dataplane/io.h"
#include "dataplane/io_int.h"

#define IO_XDP_KICKS   64   /* sendto() calls per flush at most */
#define IO_XDP_BUSY_MS 1000 /* waiting for a queue to be let go */

struct xdp_port {
	struct io_port base;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	int fd;
	uint8_t *area;
	size_t area_len;
	uint32_t frame_size;
	/* receive frames of the last burst, to give back to the fill ring */
	uint64_t *held;
	uint32_t nheld;
	uint32_t rx_nr;
	/* free transmit frames (addresses in the UMEM) */
	uint64_t *tx_free;
	uint32_t ntx_free;
	uint32_t tx_nr;
	uint32_t tx_queued; /* on the TX ring, not yet completed */
	/* what XDP_STATISTICS said last (the kernel's counters only grow) */
	pthread_mutex_t kmu;
	uint64_t k_rx_drops;
	uint64_t k_tx_errors;
};

static uint32_t
pow2_up(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/* Puts the frames of the last burst back in the fill ring. */
static void
rx_release(struct xdp_port *x)
{
	uint32_t idx, i;

	if (x->nheld == 0)
		return;
	/* the fill ring holds every receive frame: there is room */
	if (xsk_ring_prod__reserve(&x->fill, x->nheld, &idx) != x->nheld) {
		fprintf(stderr, "io_xdp rx_release: %s: fill ring full\n",
			x->base.name);
		abort();
	}
	for (i = 0; i < x->nheld; i++)
		*xsk_ring_prod__fill_addr(&x->fill, idx + i) = x->held[i];
	xsk_ring_prod__submit(&x->fill, x->nheld);
	x->nheld = 0;
}

static size_t
xdp_rx_burst(struct io_port *p, struct io_pkt *pkts, size_t max)
{
	struct xdp_port *x = (struct xdp_port *)p;
	const struct xdp_desc *d;
	uint64_t bytes = 0, base;
	uint32_t idx, n, i;

	rx_release(x);
	if (max > x->rx_nr)
		max = x->rx_nr;
	n = xsk_ring_cons__peek(&x->rx, (uint32_t)max, &idx);
	if (n == 0) {
		if (xsk_ring_prod__needs_wakeup(&x->fill))
			(void)recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL,
				       NULL);
		return 0;
	}
	for (i = 0; i < n; i++) {
		d = xsk_ring_cons__rx_desc(&x->rx, idx + i);
		base = d->addr - d->addr % x->frame_size;
		x->held[i] = base;
		pkts[i].data = x->area + d->addr;
		pkts[i].len = d->len;
		pkts[i].port = p->index;
		pkts[i].headroom = (uint16_t)(d->addr - base);
		bytes += d->len;
	}
	/* the descriptors are copied out; the frames stay ours (held) */
	xsk_ring_cons__release(&x->rx, n);
	x->nheld = n;
	IO_COUNT(p->st.rx_packets, n);
	IO_COUNT(p->st.rx_bytes, bytes);
	return n;
}

static void
xdp_rx_done(struct io_port *p)
{
	rx_release((struct xdp_port *)p);
}

/* Takes back the transmit frames the kernel is done with. */
static void
tx_complete(struct xdp_port *x)
{
	uint32_t idx, n, i;

	n = xsk_ring_cons__peek(&x->comp, x->tx_nr, &idx);
	for (i = 0; i < n; i++)
		x->tx_free[x->ntx_free++] =
			*xsk_ring_cons__comp_addr(&x->comp, idx + i);
	if (n != 0) {
		xsk_ring_cons__release(&x->comp, n);
		x->tx_queued -= n;
	}
}

static size_t
xdp_tx_burst(struct io_port *p, struct io_pkt *pkts, size_t n)
{
	struct xdp_port *x = (struct xdp_port *)p;
	uint64_t bytes = 0, bad = 0;
	struct xdp_desc *d;
	uint32_t idx, k = 0;
	size_t i;

	tx_complete(x);
	for (i = 0; i < n; i++) {
		if (pkts[i].len < 14 || pkts[i].len > x->frame_size ||
		    pkts[i].len > p->mtu + 14 + 8) {
			bad++;
			continue;
		}
		/* the ring has a slot for every transmit frame */
		if (x->ntx_free == 0 ||
		    xsk_ring_prod__reserve(&x->tx, 1, &idx) != 1)
			break;
		d = xsk_ring_prod__tx_desc(&x->tx, idx);
		d->addr = x->tx_free[--x->ntx_free];
		d->len = pkts[i].len;
		d->options = 0;
		memcpy(x->area + d->addr, pkts[i].data, pkts[i].len);
		bytes += pkts[i].len;
		k++;
	}
	if (k != 0)
		xsk_ring_prod__submit(&x->tx, k);
	x->tx_queued += k;
	IO_COUNT(p->st.tx_packets, k);
	IO_COUNT(p->st.tx_bytes, bytes);
	if (bad != 0)
		IO_COUNT(p->st.tx_errors, bad);
	return i;
}

static void
xdp_tx_flush(struct io_port *p)
{
	struct xdp_port *x = (struct xdp_port *)p;
	int i;

	if (x->tx_queued == 0)
		return;
	/*
	 * In copy mode one call sends a budget of frames and answers EAGAIN
	 * when more are waiting; EBUSY and ENOBUFS mean come back later.
	 */
	for (i = 0; i < IO_XDP_KICKS && xsk_ring_prod__needs_wakeup(&x->tx);
	     i++) {
		if (sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
			break;
		if (errno != EAGAIN)
			break;
	}
	tx_complete(x);
}

static int
xdp_fd(const struct io_port *p)
{
	return ((const struct xdp_port *)p)->fd;
}

static void
xdp_kstats(struct io_port *p)
{
	struct xdp_port *x = (struct xdp_port *)p;
	struct xdp_statistics ks;
	socklen_t sl = sizeof(ks);
	uint64_t drops, errs;

	if (getsockopt(x->fd, SOL_XDP, XDP_STATISTICS, &ks, &sl) != 0)
		return;
	drops = ks.rx_dropped + ks.rx_ring_full;
	errs = ks.tx_invalid_descs;
	pthread_mutex_lock(&x->kmu);
	if (drops > x->k_rx_drops)
		__atomic_fetch_add(&p->st.rx_drops, drops - x->k_rx_drops,
				   __ATOMIC_RELAXED);
	if (errs > x->k_tx_errors)
		__atomic_fetch_add(&p->st.tx_errors, errs - x->k_tx_errors,
				   __ATOMIC_RELAXED);
	x->k_rx_drops = drops > x->k_rx_drops ? drops : x->k_rx_drops;
	x->k_tx_errors = errs > x->k_tx_errors ? errs : x->k_tx_errors;
	pthread_mutex_unlock(&x->kmu);
}

static void
xdp_close(struct io_port *p)
{
	struct xdp_port *x = (struct xdp_port *)p;

	if (x->xsk != NULL)
		xsk_socket__delete(x->xsk);
	if (x->umem != NULL)
		xsk_umem__delete(x->umem);
	if (x->area != NULL)
		munmap(x->area, x->area_len);
	pthread_mutex_destroy(&x->kmu);
	free(x->held);
	free(x->tx_free);
	free(x);
}

static const struct io_ops xdp_ops = {
	.rx_burst = xdp_rx_burst,
	.rx_done = xdp_rx_done,
	.tx_burst = xdp_tx_burst,
	.tx_flush = xdp_tx_flush,
	.fd = xdp_fd,
	.kstats = xdp_kstats,
	.close = xdp_close,
};

static int
print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static int
print_libxdp(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	return level == LIBXDP_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static int
print_none_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static int
print_none_libxdp(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static void
set_print(void)
{
	bool debug = getenv("CEND_XDP_DEBUG") != NULL;

	libbpf_set_print(debug ? print_libbpf : print_none_libbpf);
	libxdp_set_print(debug ? print_libxdp : print_none_libxdp);
}

static int
lib_err(struct xdp_port *x, struct cen_err *err, const char *what, int rc)
{
	int e = rc < 0 ? -rc : rc;

	return cen_errf(err, e == ENOMEM ? -CEN_ENOMEM : -CEN_EIO,
			"%s: AF_XDP %s: %s%s", x->base.name, what, strerror(e),
			e == EPERM ? " (needs CAP_NET_ADMIN, CAP_BPF)"
			: e == EBUSY
				? " (another XDP program or socket holds the "
				  "queue)"
				: "");
}

static int
open_xsk(struct xdp_port *x, const struct io_port_config *cfg,
	 struct cen_err *err)
{
	uint32_t hr = cfg->headroom ? cfg->headroom : IO_HEADROOM_DEFAULT;
	struct xsk_umem_config uc;
	struct xsk_socket_config sc;
	uint32_t idx, i;
	int rc;

	x->area_len = (size_t)(x->rx_nr + x->tx_nr) * x->frame_size;
	x->area = mmap(NULL, x->area_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (x->area == MAP_FAILED) {
		x->area = NULL;
		return lib_err(x, err, "UMEM mmap", errno);
	}
	memset(&uc, 0, sizeof(uc));
	uc.fill_size = x->rx_nr;
	uc.comp_size = x->tx_nr;
	uc.frame_size = x->frame_size;
	uc.frame_headroom =
		hr > XDP_PACKET_HEADROOM ? hr - XDP_PACKET_HEADROOM : 0;
	rc = xsk_umem__create(&x->umem, x->area, x->area_len, &x->fill,
			      &x->comp, &uc);
	if (rc != 0) {
		x->umem = NULL;
		return lib_err(x, err, "xsk_umem__create", rc);
	}
	memset(&sc, 0, sizeof(sc));
	sc.rx_size = x->rx_nr;
	sc.tx_size = x->tx_nr;
	sc.xdp_flags = cfg->xdp_mode == IO_XDP_GENERIC	? XDP_FLAGS_SKB_MODE
		       : cfg->xdp_mode == IO_XDP_NATIVE ? XDP_FLAGS_DRV_MODE
							: 0;
	sc.bind_flags = XDP_USE_NEED_WAKEUP |
			(cfg->xdp_zerocopy ? XDP_ZEROCOPY : XDP_COPY);
	/*
	 * A socket just closed on this queue lets go of it only after a
	 * grace period, in a work item (some 10..30 ms here): until then
	 * binding answers EBUSY.  Closing and reopening a port is normal
	 * (a configuration change), so wait for it, a bounded time.
	 */
	for (i = 0;; i++) {
		rc = xsk_socket__create(&x->xsk, x->base.name, cfg->xdp_queue,
					x->umem, &x->rx, &x->tx, &sc);
		if (rc != -EBUSY || i == IO_XDP_BUSY_MS / 2)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 2000000 }, NULL);
	}
	if (rc != 0) {
		x->xsk = NULL;
		return lib_err(x, err, "xsk_socket__create", rc);
	}
	x->fd = xsk_socket__fd(x->xsk);
	/* every receive frame to the kernel */
	if (xsk_ring_prod__reserve(&x->fill, x->rx_nr, &idx) != x->rx_nr)
		return cen_errf(err, -CEN_EIO, "%s: AF_XDP fill ring too small",
				x->base.name);
	for (i = 0; i < x->rx_nr; i++)
		*xsk_ring_prod__fill_addr(&x->fill, idx + i) =
			(uint64_t)i * x->frame_size;
	xsk_ring_prod__submit(&x->fill, x->rx_nr);
	for (i = 0; i < x->tx_nr; i++)
		x->tx_free[x->ntx_free++] =
			(uint64_t)(x->rx_nr + i) * x->frame_size;
	return 0;
}

int
io_xdp_open(const struct io_port_config *cfg, struct io_port **out,
	    struct cen_err *err)
{
	uint32_t fs = cfg->frame_size ? cfg->frame_size : IO_FRAME_SIZE_DEFAULT;
	struct xdp_port *x;
	int rc;

	static pthread_once_t print_once = PTHREAD_ONCE_INIT;

	pthread_once(&print_once, set_print);
	if (fs != 2048 && fs != 4096)
		return cen_errf(err, -CEN_EINVAL,
				"%s: frame_size %u: AF_XDP takes 2048 or 4096",
				cfg->ifname, fs);
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return cen_errf(err, -CEN_ENOMEM, "%s: no memory", cfg->ifname);
	pthread_mutex_init(&x->kmu, NULL);
	x->fd = -1;
	x->base.kind = IO_XDP;
	x->base.ops = &xdp_ops;
	x->frame_size = fs;
	x->rx_nr = pow2_up(cfg->frames ? cfg->frames : IO_FRAMES_DEFAULT);
	x->tx_nr = pow2_up(cfg->tx_frames ? cfg->tx_frames
			   : cfg->frames  ? cfg->frames
					  : IO_FRAMES_DEFAULT);
	x->held = calloc(x->rx_nr, sizeof(*x->held));
	x->tx_free = calloc(x->tx_nr, sizeof(*x->tx_free));
	if (x->held == NULL || x->tx_free == NULL) {
		xdp_close(&x->base);
		return cen_errf(err, -CEN_ENOMEM, "%s: no memory", cfg->ifname);
	}
	if ((rc = io_if_query(&x->base, cfg->ifname, err)) != 0) {
		xdp_close(&x->base);
		return rc;
	}
	if ((rc = open_xsk(x, cfg, err)) != 0) {
		close(x->base.ctl_fd);
		xdp_close(&x->base);
		return rc;
	}
	*out = &x->base;
	return 0;
}
