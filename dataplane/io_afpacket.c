/*
 * io_afpacket.c - AF_PACKET ports (io.h, IO_AFPACKET).
 *
 * Receive: one socket bound to the interface for every protocol
 * (ETH_P_ALL), promiscuous, with PACKET_IGNORE_OUTGOING, and a TPACKET_V3
 * ring: blocks of cfg.frames * cfg.frame_size bytes in all, each block
 * IO_AFP_BLOCK bytes (or one frame, if larger), which the kernel fills with
 * frames back to back and hands over whole, when full or when its retire
 * timer (cfg.block_timeout_ms) fires, so a block costs one status change
 * however many frames it holds (and, at low rates, a frame waits for the
 * timer: up to 1 ms by default).  A frame handed out stays in its block, and
 * a block goes back to the kernel at the io_rx_burst() or io_rx_done()
 * after its last frame was handed out: the frames of a burst stay valid
 * until then, and writable.  V3 takes any frame up to the block's size;
 * one cut short (the kernel's tp_snaplen below tp_len) is dropped and
 * counted in rx_drops.
 *
 * 802.1Q: the kernel takes the VLAN tag out of the frame before AF_PACKET
 * sees it and gives it apart (TP_STATUS_VLAN_VALID, hv1.tp_vlan_tci and
 * tp_vlan_tpid).  The forwarder wants the frame as on the wire, so the tag
 * is put back: the two MAC addresses move 4 bytes to the front, into the
 * gap the kernel leaves before the frame, and the tag goes between them and
 * the EtherType.  That gap is PACKET_RESERVE (cfg.headroom) plus at least
 * 14 bytes, so 4 bytes are always there and io_pkt.headroom is what is
 * left of it.
 *
 * Checksums: a frame sent by the same host (a veth peer, a local socket)
 * may still carry a partial TCP or UDP checksum, to be finished by a NIC
 * that will never see it (TP_STATUS_CSUMNOTREADY).  Such a frame is
 * finished here, as the wire would have it, so that the forwarder can
 * forward it and update checksums incrementally.  Frames bigger than the
 * MTU (GRO, TSO on veth) cannot be forwarded: turn those offloads off on
 * the interfaces a forwarder uses (ethtool -K IF gro off tso off gso off).
 *
 * Transmit: a second socket bound to the interface for no protocol (so it
 * receives nothing), with PACKET_QDISC_BYPASS, and either sendmmsg(), one
 * call per io_tx_burst() (the kernel copies the frames then: a frame is
 * sent or refused when the call returns), or a TPACKET_V2 TX ring of
 * cfg.tx_frames frames: io_tx_burst() copies frames into it and
 * io_tx_flush() is one sendto() for all of them.  On veth (2 vCPUs shared
 * with other work, 64-byte frames, one thread) sendmmsg cost as much or a
 * little less: a loop receiving on one port and sending on another spent
 * 540..745 ns of CPU per frame with sendmmsg, 580..735 with the ring;
 * sending alone, 440..560 and 490..610.  sendmmsg is the default: no ring
 * memory either, and no frames left queued in a ring while the link is
 * down, to go out stale when it comes back.
 *
 * Frames that cannot be sent (shorter than an Ethernet header, longer
 * than the MTU plus one or two VLAN tags, or than a ring frame) are counted
 * in tx_errors and taken as if queued; for the ring, PACKET_LOSS makes the
 * kernel skip, rather than stop at, any frame it still refuses.
 */
#define _GNU_SOURCE /* sendmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dataplane/io.h"
#include "dataplane/io_int.h"

#define IO_AFP_BLOCK	  (128u * 1024) /* receive block */
#define IO_AFP_SNDBUF	  (4 * 1024 * 1024)
#define IO_AFP_MMSG	  64 /* frames per sendmmsg() */
#define IO_AFP_IDLE_CHECK 64 /* empty bursts between socket error checks */
#define IO_AFP_TX_OFF	  (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))
#define IO_AFP_RX_HDRLEN  TPACKET3_HDRLEN
#define IO_ETH_HLEN	  14
#define IO_VLAN_HLEN	  4

struct afp_port {
	struct io_port base;
	int rx_fd;
	int tx_fd;
	/* receive ring: blk_nr blocks of blk_size bytes */
	uint8_t *rx_map;
	size_t rx_len;
	uint32_t blk_size;
	uint32_t blk_nr;
	uint32_t blk_cur;  /* block being read, or the next to read */
	uint32_t blk_left; /* frames of blk_cur not yet handed out; 0:
			    * blk_cur is not open */
	uint32_t blk_done; /* blocks before blk_cur read to the end, to give
			    * back at the next burst */
	uint8_t *rx_next;  /* next frame header in blk_cur */
	uint32_t rx_idle;  /* empty bursts in a row */
	/* transmit: ring (tx_map != NULL) or sendmmsg */
	uint8_t *tx_map;
	size_t tx_len;
	uint32_t tx_frame_size;
	uint32_t tx_per_block;
	uint32_t tx_block_size;
	uint32_t tx_nr;
	uint32_t tx_cur;     /* next frame to fill */
	uint32_t tx_pending; /* frames filled since the last sendto() */
	uint32_t tx_max;     /* longest frame a ring frame holds */
	struct mmsghdr *msgs;
	struct iovec *iov;
};

static inline uint32_t
load_acquire(const volatile uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void
store_release(volatile uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += rd16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Finishes the TCP or UDP checksum of a frame the kernel marked
 * TP_STATUS_CSUMNOTREADY: the checksum field holds only the pseudo-header
 * sum, so it is computed anew over pseudo-header and segment.  IPv4 and
 * IPv6 (no extension headers), behind up to two VLAN tags; anything else is
 * left alone.
 */
static void
csum_finish(uint8_t *f, uint32_t len)
{
	uint32_t off = 12, l3, l4, l4len, sum, at;
	uint16_t type, c;
	uint8_t proto;
	int tags;

	for (tags = 0;; tags++) {
		if (off + 2 > len)
			return;
		type = rd16(f + off);
		if ((type != ETH_P_8021Q && type != ETH_P_8021AD) || tags == 2)
			break;
		off += IO_VLAN_HLEN;
	}
	l3 = off + 2;
	if (type == ETH_P_IP) {
		if (l3 + 20 > len || (f[l3] >> 4) != 4)
			return;
		l4 = l3 + (uint32_t)(f[l3] & 0xf) * 4;
		if (rd16(f + l3 + 2) < (l4 - l3) || (rd16(f + l3 + 6) & 0x3fff))
			return; /* bad length, or a fragment */
		l4len = rd16(f + l3 + 2) - (l4 - l3);
		proto = f[l3 + 9];
		sum = sum16(0, f + l3 + 12, 8);
	} else if (type == ETH_P_IPV6) {
		if (l3 + 40 > len)
			return;
		l4 = l3 + 40;
		l4len = rd16(f + l3 + 4);
		proto = f[l3 + 6];
		sum = sum16(0, f + l3 + 8, 32);
	} else {
		return;
	}
	if (l4 + l4len > len)
		return;
	if (proto == 6)
		at = 16;
	else if (proto == 17)
		at = 6;
	else
		return;
	if (l4len < at + 2u)
		return;
	sum += proto + l4len;
	wr16(f + l4 + at, 0);
	c = fold(sum16(sum, f + l4, l4len));
	if (c == 0 && proto == 17)
		c = 0xffff; /* 0 says "no checksum" in UDP */
	wr16(f + l4 + at, c);
}

static inline struct tpacket_block_desc *
rx_block(const struct afp_port *a, uint32_t i)
{
	return (struct tpacket_block_desc *)(a->rx_map +
					     (size_t)i * a->blk_size);
}

/* Gives the blocks read to the end back to the kernel. */
static void
rx_release(struct afp_port *a)
{
	uint32_t i = (a->blk_cur + a->blk_nr - a->blk_done) % a->blk_nr;

	for (; a->blk_done > 0; a->blk_done--) {
		store_release(&rx_block(a, i)->hdr.bh1.block_status,
			      TP_STATUS_KERNEL);
		if (++i == a->blk_nr)
			i = 0;
	}
}

/* Fills pkt from the frame at h; false if the frame is to be skipped. */
static bool
rx_frame(struct afp_port *a, struct tpacket3_hdr *h, struct io_pkt *pkt)
{
	uint32_t st = h->tp_status;
	uint8_t *d = (uint8_t *)h + h->tp_mac;
	uint32_t len = h->tp_snaplen;
	uint16_t tpid;

	if (len < h->tp_len) {
		__atomic_fetch_add(&a->base.st.rx_drops, 1, __ATOMIC_RELAXED);
		return false;
	}
	pkt->headroom = (uint16_t)(h->tp_mac - IO_AFP_RX_HDRLEN);
	if (st & TP_STATUS_VLAN_VALID) {
		tpid = (st & TP_STATUS_VLAN_TPID_VALID) ? h->hv1.tp_vlan_tpid
							: ETH_P_8021Q;
		memmove(d - IO_VLAN_HLEN, d, 12);
		d -= IO_VLAN_HLEN;
		wr16(d + 12, tpid);
		wr16(d + 14, (uint16_t)h->hv1.tp_vlan_tci);
		len += IO_VLAN_HLEN;
		pkt->headroom -= IO_VLAN_HLEN;
	}
	if (st & TP_STATUS_CSUMNOTREADY)
		csum_finish(d, len);
	pkt->data = d;
	pkt->len = len;
	pkt->port = a->base.index;
	return true;
}

/*
 * When the interface goes down the kernel leaves an error on the socket
 * (ENETDOWN), and poll() reports POLLERR until someone reads it: a loop
 * that sleeps in poll() while idle would spin.  Reading it costs a system
 * call, so it is done only every IO_AFP_IDLE_CHECK empty bursts.
 */
static void
clear_error(struct afp_port *a)
{
	socklen_t sl = sizeof(int);
	int e;

	(void)getsockopt(a->rx_fd, SOL_SOCKET, SO_ERROR, &e, &sl);
}

static size_t
afp_rx_burst(struct io_port *p, struct io_pkt *pkts, size_t max)
{
	struct afp_port *a = (struct afp_port *)p;
	struct tpacket_block_desc *bd;
	struct tpacket3_hdr *h;
	uint64_t bytes = 0;
	size_t n = 0;

	rx_release(a);
	while (n < max) {
		if (a->blk_left == 0) {
			bd = rx_block(a, a->blk_cur);
			if ((load_acquire(&bd->hdr.bh1.block_status) &
			     TP_STATUS_USER) == 0)
				break;
			a->blk_left = bd->hdr.bh1.num_pkts;
			a->rx_next =
				(uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt;
			if (a->blk_left == 0) {
				a->blk_done++;
				if (++a->blk_cur == a->blk_nr)
					a->blk_cur = 0;
				continue;
			}
		}
		h = (struct tpacket3_hdr *)a->rx_next;
		a->rx_next += h->tp_next_offset;
		if (--a->blk_left == 0) {
			a->blk_done++;
			if (++a->blk_cur == a->blk_nr)
				a->blk_cur = 0;
		}
		if (rx_frame(a, h, &pkts[n]))
			bytes += pkts[n++].len;
	}
	if (n == 0) {
		if ((++a->rx_idle & (IO_AFP_IDLE_CHECK - 1)) == 0)
			clear_error(a);
		return 0;
	}
	a->rx_idle = 0;
	IO_COUNT(p->st.rx_packets, n);
	IO_COUNT(p->st.rx_bytes, bytes);
	return n;
}

static void
afp_rx_done(struct io_port *p)
{
	rx_release((struct afp_port *)p);
}

/* Whether the kernel would send a frame of len bytes. */
static inline bool
tx_len_ok(const struct afp_port *a, uint32_t len)
{
	/* the kernel takes MTU + header + 2 tags (tpacket_snd) */
	return len >= IO_ETH_HLEN &&
	       len <= a->base.mtu + IO_ETH_HLEN + 2 * IO_VLAN_HLEN;
}

static inline struct tpacket2_hdr *
tx_frame(const struct afp_port *a, uint32_t i)
{
	return (struct tpacket2_hdr *)(a->tx_map +
				       (size_t)(i / a->tx_per_block) *
					       a->tx_block_size +
				       (size_t)(i % a->tx_per_block) *
					       a->tx_frame_size);
}

static size_t
afp_tx_ring(struct io_port *p, struct io_pkt *pkts, size_t n)
{
	struct afp_port *a = (struct afp_port *)p;
	struct tpacket2_hdr *h;
	uint64_t bytes = 0, sent = 0, bad = 0;
	uint32_t st;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!tx_len_ok(a, pkts[i].len) || pkts[i].len > a->tx_max) {
			bad++;
			continue;
		}
		h = tx_frame(a, a->tx_cur);
		st = load_acquire(&h->tp_status);
		if (st == TP_STATUS_WRONG_FORMAT)
			bad++; /* refused after all: count it, reuse */
		else if (st != TP_STATUS_AVAILABLE)
			break; /* ring full */
		memcpy((uint8_t *)h + IO_AFP_TX_OFF, pkts[i].data, pkts[i].len);
		h->tp_len = pkts[i].len;
		store_release(&h->tp_status, TP_STATUS_SEND_REQUEST);
		if (++a->tx_cur == a->tx_nr)
			a->tx_cur = 0;
		sent++;
		bytes += pkts[i].len;
	}
	a->tx_pending += (uint32_t)sent;
	IO_COUNT(p->st.tx_packets, sent);
	IO_COUNT(p->st.tx_bytes, bytes);
	if (bad != 0)
		IO_COUNT(p->st.tx_errors, bad);
	return i;
}

static void
afp_tx_ring_flush(struct io_port *p)
{
	struct afp_port *a = (struct afp_port *)p;

	if (a->tx_pending == 0)
		return;
	/*
	 * One call sends every frame marked.  When the kernel has no room
	 * (ENOBUFS, EAGAIN) or the interface is down they stay marked, and
	 * the next flush tries again.
	 */
	if (sendto(a->tx_fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0 ||
	    (errno != ENOBUFS && errno != EAGAIN && errno != ENETDOWN))
		a->tx_pending = 0;
}

static size_t
afp_tx_mmsg(struct io_port *p, struct io_pkt *pkts, size_t n)
{
	struct afp_port *a = (struct afp_port *)p;
	uint64_t bytes = 0, sent = 0, bad = 0;
	size_t i = 0, k, j;
	int r;

	while (i < n) {
		if (!tx_len_ok(a, pkts[i].len)) {
			bad++;
			i++;
			continue;
		}
		for (k = 0; k < IO_AFP_MMSG && i + k < n &&
			    tx_len_ok(a, pkts[i + k].len);
		     k++) {
			a->iov[k].iov_base = pkts[i + k].data;
			a->iov[k].iov_len = pkts[i + k].len;
		}
		/*
		 * A short count means the next message failed; sending from
		 * it again says why: no room (stop here) or refused (drop
		 * it, go on).
		 */
		r = sendmmsg(a->tx_fd, a->msgs, (unsigned)k, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EAGAIN || errno == ENOBUFS)
				break;
			bad++;
			i++;
			continue;
		}
		for (j = 0; j < (size_t)r; j++)
			bytes += pkts[i + j].len;
		sent += (uint64_t)r;
		i += (size_t)r;
	}
	IO_COUNT(p->st.tx_packets, sent);
	IO_COUNT(p->st.tx_bytes, bytes);
	if (bad != 0)
		IO_COUNT(p->st.tx_errors, bad);
	return i;
}

static void
afp_tx_mmsg_flush(struct io_port *p)
{
}

static int
afp_fd(const struct io_port *p)
{
	return ((const struct afp_port *)p)->rx_fd;
}

static void
afp_kstats(struct io_port *p)
{
	struct afp_port *a = (struct afp_port *)p;
	struct tpacket_stats_v3 ks;
	socklen_t sl = sizeof(ks);

	/* the kernel's counters restart at every read */
	if (getsockopt(a->rx_fd, SOL_PACKET, PACKET_STATISTICS, &ks, &sl) == 0)
		__atomic_fetch_add(&p->st.rx_drops, ks.tp_drops,
				   __ATOMIC_RELAXED);
}

static void
afp_close(struct io_port *p)
{
	struct afp_port *a = (struct afp_port *)p;

	if (a->rx_map != NULL)
		munmap(a->rx_map, a->rx_len);
	if (a->tx_map != NULL)
		munmap(a->tx_map, a->tx_len);
	if (a->rx_fd >= 0)
		close(a->rx_fd);
	if (a->tx_fd >= 0)
		close(a->tx_fd);
	free(a->msgs);
	free(a->iov);
	free(a);
}

static const struct io_ops afp_ring_ops = {
	.rx_burst = afp_rx_burst,
	.rx_done = afp_rx_done,
	.tx_burst = afp_tx_ring,
	.tx_flush = afp_tx_ring_flush,
	.fd = afp_fd,
	.kstats = afp_kstats,
	.close = afp_close,
};

static const struct io_ops afp_mmsg_ops = {
	.rx_burst = afp_rx_burst,
	.rx_done = afp_rx_done,
	.tx_burst = afp_tx_mmsg,
	.tx_flush = afp_tx_mmsg_flush,
	.fd = afp_fd,
	.kstats = afp_kstats,
	.close = afp_close,
};

static int
sys_err(struct afp_port *a, struct cen_err *err, const char *what)
{
	int e = errno;

	return cen_errf(err, e == ENOMEM ? -CEN_ENOMEM : -CEN_EIO,
			"%s: AF_PACKET %s: %s%s", a->base.name, what,
			strerror(e), e == EPERM ? " (needs CAP_NET_RAW)" : "");
}

static int
setopt(int fd, int opt, int v)
{
	return setsockopt(fd, SOL_PACKET, opt, &v, sizeof(v));
}

static uint32_t
round_up(uint32_t v, uint32_t to)
{
	return (v + to - 1) / to * to;
}

static int
bind_if(int fd, int ifindex, uint16_t proto)
{
	struct sockaddr_ll sll;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(proto);
	sll.sll_ifindex = ifindex;
	return bind(fd, (struct sockaddr *)&sll, sizeof(sll));
}

static int
open_rx(struct afp_port *a, const struct io_port_config *cfg,
	struct cen_err *err)
{
	uint32_t fs = cfg->frame_size ? cfg->frame_size : IO_FRAME_SIZE_DEFAULT;
	uint32_t frames = cfg->frames ? cfg->frames : IO_FRAMES_DEFAULT;
	uint32_t page = (uint32_t)sysconf(_SC_PAGESIZE), fpb;
	struct tpacket_req3 req;
	struct packet_mreq mr;

	/*
	 * Protocol 0 until the ring is ready: a socket created for
	 * ETH_P_ALL would queue frames of every interface until bound.
	 */
	a->rx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (a->rx_fd < 0)
		return sys_err(a, err, "socket");
	if (setopt(a->rx_fd, PACKET_VERSION, TPACKET_V3) != 0)
		return sys_err(a, err, "PACKET_VERSION");
	if (setopt(a->rx_fd, PACKET_RESERVE,
		   cfg->headroom ? cfg->headroom : IO_HEADROOM_DEFAULT) != 0)
		return sys_err(a, err, "PACKET_RESERVE");
	fs = round_up(fs, TPACKET_ALIGNMENT);
	a->blk_size = round_up(fs > IO_AFP_BLOCK ? fs : IO_AFP_BLOCK, page);
	fpb = a->blk_size / fs;
	a->blk_nr = (frames + fpb - 1) / fpb;
	if (a->blk_nr < 2)
		a->blk_nr = 2;
	memset(&req, 0, sizeof(req));
	req.tp_block_size = a->blk_size;
	req.tp_block_nr = a->blk_nr;
	req.tp_frame_size = fs;
	req.tp_frame_nr = fpb * a->blk_nr;
	req.tp_retire_blk_tov = cfg->block_timeout_ms ? cfg->block_timeout_ms
						      : IO_BLOCK_TIMEOUT_DEF;
	if (setsockopt(a->rx_fd, SOL_PACKET, PACKET_RX_RING, &req,
		       sizeof(req)) != 0)
		return sys_err(a, err, "PACKET_RX_RING");
	a->rx_len = (size_t)a->blk_size * a->blk_nr;
	a->rx_map = mmap(NULL, a->rx_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, a->rx_fd, 0);
	if (a->rx_map == MAP_FAILED) {
		a->rx_map = NULL;
		return sys_err(a, err, "mmap of the receive ring");
	}
	/* our own transmissions come back to ETH_P_ALL sockets otherwise;
	 * kernels before 4.20 lack the option, and bypassing the qdisc
	 * (below) already keeps them away there */
	if (setopt(a->rx_fd, PACKET_IGNORE_OUTGOING, 1) != 0 &&
	    errno != ENOPROTOOPT)
		return sys_err(a, err, "PACKET_IGNORE_OUTGOING");
	if (bind_if(a->rx_fd, a->base.ifindex, ETH_P_ALL) != 0)
		return sys_err(a, err, "bind");
	if (!cfg->no_promisc) {
		memset(&mr, 0, sizeof(mr));
		mr.mr_ifindex = a->base.ifindex;
		mr.mr_type = PACKET_MR_PROMISC;
		if (setsockopt(a->rx_fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
			       sizeof(mr)) != 0)
			return sys_err(a, err, "PACKET_MR_PROMISC");
	}
	return 0;
}

static int
open_tx(struct afp_port *a, const struct io_port_config *cfg,
	struct cen_err *err)
{
	uint32_t fs = cfg->frame_size ? cfg->frame_size : IO_FRAME_SIZE_DEFAULT;
	uint32_t nr = cfg->tx_frames ? cfg->tx_frames
		      : cfg->frames  ? cfg->frames
				     : IO_FRAMES_DEFAULT;
	uint32_t page = (uint32_t)sysconf(_SC_PAGESIZE), nblocks;
	struct tpacket_req req;
	int sndbuf = IO_AFP_SNDBUF;
	size_t i;

	a->tx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (a->tx_fd < 0)
		return sys_err(a, err, "socket");
	if (setopt(a->tx_fd, PACKET_QDISC_BYPASS, 1) != 0)
		return sys_err(a, err, "PACKET_QDISC_BYPASS");
	/* frames in flight are charged to the send buffer */
	if (setsockopt(a->tx_fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf,
		       sizeof(sndbuf)) != 0)
		(void)setsockopt(a->tx_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				 sizeof(sndbuf));
	if (cfg->tx_mode != IO_TX_RING) {
		a->msgs = calloc(IO_AFP_MMSG, sizeof(*a->msgs));
		a->iov = calloc(IO_AFP_MMSG, sizeof(*a->iov));
		if (a->msgs == NULL || a->iov == NULL)
			return cen_errf(err, -CEN_ENOMEM, "%s: no memory",
					a->base.name);
		for (i = 0; i < IO_AFP_MMSG; i++) {
			a->msgs[i].msg_hdr.msg_iov = &a->iov[i];
			a->msgs[i].msg_hdr.msg_iovlen = 1;
		}
	} else {
		if (setopt(a->tx_fd, PACKET_VERSION, TPACKET_V2) != 0)
			return sys_err(a, err, "PACKET_VERSION");
		if (setopt(a->tx_fd, PACKET_LOSS, 1) != 0)
			return sys_err(a, err, "PACKET_LOSS");
		a->tx_frame_size = round_up(fs, TPACKET_ALIGNMENT);
		a->tx_block_size = round_up(a->tx_frame_size, page);
		a->tx_per_block = a->tx_block_size / a->tx_frame_size;
		nblocks = (nr + a->tx_per_block - 1) / a->tx_per_block;
		a->tx_nr = nblocks * a->tx_per_block;
		a->tx_max = a->tx_frame_size - (uint32_t)IO_AFP_TX_OFF;
		memset(&req, 0, sizeof(req));
		req.tp_block_size = a->tx_block_size;
		req.tp_block_nr = nblocks;
		req.tp_frame_size = a->tx_frame_size;
		req.tp_frame_nr = a->tx_nr;
		if (setsockopt(a->tx_fd, SOL_PACKET, PACKET_TX_RING, &req,
			       sizeof(req)) != 0)
			return sys_err(a, err, "PACKET_TX_RING");
		a->tx_len = (size_t)a->tx_block_size * nblocks;
		a->tx_map = mmap(NULL, a->tx_len, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_POPULATE, a->tx_fd, 0);
		if (a->tx_map == MAP_FAILED) {
			a->tx_map = NULL;
			return sys_err(a, err, "mmap of the transmit ring");
		}
	}
	/* protocol 0: this socket receives nothing */
	if (bind_if(a->tx_fd, a->base.ifindex, 0) != 0)
		return sys_err(a, err, "bind");
	return 0;
}

int
io_afpacket_open(const struct io_port_config *cfg, struct io_port **out,
		 struct cen_err *err)
{
	struct afp_port *a;
	int rc;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return cen_errf(err, -CEN_ENOMEM, "%s: no memory", cfg->ifname);
	a->rx_fd = -1;
	a->tx_fd = -1;
	a->base.kind = IO_AFPACKET;
	a->base.ops =
		cfg->tx_mode == IO_TX_RING ? &afp_ring_ops : &afp_mmsg_ops;
	if ((rc = io_if_query(&a->base, cfg->ifname, err)) != 0) {
		afp_close(&a->base);
		return rc;
	}
	if ((rc = open_rx(a, cfg, err)) != 0 ||
	    (rc = open_tx(a, cfg, err)) != 0) {
		close(a->base.ctl_fd);
		afp_close(&a->base);
		return rc;
	}
	*out = &a->base;
	return 0;
}
