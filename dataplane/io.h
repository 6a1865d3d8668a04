/*
 * io.h - packet I/O of the forwarder (cenfwd): ports that receive and
 * transmit Ethernet frames in bursts (DESIGN.md, "dataplane/: cenfwd").
 *
 * A port is one network interface, opened as
 *
 * - IO_AFPACKET (io_afpacket.c): a TPACKET_V3 receive ring (blocks of
 *   frames shared with the kernel, promiscuous) and, on a second socket
 *   that bypasses the qdisc, sendmmsg() or a TPACKET_V2 transmit ring;
 * - IO_XDP (io_xdp.c): an AF_XDP socket on one queue of the interface, with
 *   libxdp's default redirect program (only when built with libxdp: see
 *   io_xdp_available());
 * - IO_MEM (io_mem.c): no interface at all, for benchmarks and tests: it
 *   receives copies of template frames round-robin, forever, and counts (and
 *   optionally keeps) what it transmits.
 *
 * Threads: a port belongs to one thread, the one that polls it: every call
 * on a port is made from that thread, except io_port_stats(),
 * io_port_link_up() and the accessors of what was found at open
 * (io_port_mac(), io_port_mtu(), io_port_ifindex(), io_port_name()), which
 * any thread may call while the port is open.
 *
 * Receiving: io_rx_burst() never blocks; when it returns 0 the caller may
 * sleep in poll() on io_port_fd() (POLLIN) instead of spinning.  The frames
 * it returns are as they were on the wire, 802.1Q tag included (AF_PACKET
 * hands the tag over apart from the frame; it is put back, 4 bytes taken
 * from the headroom).  They point into memory of the port (the kernel's ring
 * for AF_PACKET and AF_XDP) and stay valid, and writable, until the next
 * io_rx_burst() or io_rx_done() on the same port: the forwarder may rewrite
 * a frame in place (and grow it to the front, into its headroom bytes) and
 * hand it to io_tx_burst() of any port before then.  Frames are not
 * returned to the kernel before that, so a caller that stops receiving
 * should call io_rx_done().
 *
 * Transmitting: io_tx_burst() copies the frames (into the transmit ring,
 * or into the kernel with sendmmsg: the caller keeps its buffers) and
 * returns how many it took, the first ones; the rest did not fit and are
 * the caller's to drop and count.  A frame the port cannot send at all
 * (shorter than an Ethernet header, longer than the MTU plus two VLAN tags
 * or than a frame of the port) is taken, dropped and counted in tx_errors.
 * io_tx_flush() has the kernel send what was queued: call it once per
 * burst, after the io_tx_burst() calls of that burst.
 *
 * Offloads: a frame a local stack sent through veth may carry a partial
 * TCP/UDP checksum (checksum offload); AF_PACKET ports finish it, so
 * frames are as on the wire.  Frames merged by GRO or not yet cut by
 * TSO/GSO are bigger than the MTU and cannot be forwarded: turn those
 * offloads off on a forwarder's interfaces (ethtool -K IF gro off tso off
 * gso off).
 *
 * Errors: io_port_open() returns 0 or a negative CEN_E* code with a message
 * in err: -CEN_EINVAL (bad configuration, or a kind not built in),
 * -CEN_ENOENT (no such interface), -CEN_ENOMEM, -CEN_EIO (the kernel
 * refused: the message names the call and errno; AF_PACKET and AF_XDP need
 * CAP_NET_RAW, AF_XDP also CAP_BPF/CAP_NET_ADMIN).
 */
#ifndef CEN_IO_H
#define CEN_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define IO_FRAMES_DEFAULT     4096 /* receive ring: frames */
#define IO_FRAME_SIZE_DEFAULT 2048
#define IO_HEADROOM_DEFAULT   64 /* bytes before each received frame */
#define IO_BLOCK_TIMEOUT_DEF  1	 /* ms, TPACKET_V3 block retire timer */
#define IO_MEM_TEMPLATES_MAX  4096
#define IO_MEM_CAPTURE_MAX    65536
#define IO_IFNAME_MAX	      16 /* IFNAMSIZ, with the NUL */

enum io_kind {
	IO_AFPACKET = 0,
	IO_XDP,
	IO_MEM,
};

/* AF_PACKET transmit path (measured on veth, see io_afpacket.c). */
enum io_tx_mode {
	IO_TX_DEFAULT = 0, /* IO_TX_SENDMMSG */
	IO_TX_SENDMMSG,	   /* one sendmmsg() per io_tx_burst() */
	IO_TX_RING,	   /* TPACKET_V2 TX ring, one sendto() per flush */
};

/* AF_XDP attach mode of the redirect program. */
enum io_xdp_mode {
	IO_XDP_AUTO = 0, /* native where the driver has it, else generic */
	IO_XDP_GENERIC,	 /* XDP_FLAGS_SKB_MODE: any driver, copies */
	IO_XDP_NATIVE,	 /* XDP_FLAGS_DRV_MODE */
};

/* A received frame, or one to transmit. */
struct io_pkt {
	uint8_t *data;	   /* first byte of the Ethernet header */
	uint32_t len;	   /* bytes from data */
	uint16_t port;	   /* receiving port's index (io_port_open) */
	uint16_t headroom; /* bytes before data the caller may write */
};

struct io_port; /* opaque */

struct io_port_config {
	/* IO_AFPACKET, IO_XDP: the interface; IO_MEM: a name for messages
	 * (may be NULL). */
	const char *ifname;
	enum io_kind kind;
	/* Receive ring size in frames of frame_size bytes (0: the
	 * defaults).  AF_PACKET rounds the ring up to whole blocks (see
	 * io_afpacket.c); AF_XDP needs frame_size 2048 or 4096. */
	uint32_t frames;
	uint32_t frame_size;
	uint32_t tx_frames;	   /* transmit ring (0: as frames) */
	uint16_t headroom;	   /* at least this many bytes before each
			       * received frame (0: IO_HEADROOM_DEFAULT) */
	bool no_promisc;	   /* AF_PACKET: do not set the interface
			       * promiscuous */
	uint32_t block_timeout_ms; /* AF_PACKET: 0: IO_BLOCK_TIMEOUT_DEF */
	enum io_tx_mode tx_mode;   /* AF_PACKET */
	uint32_t xdp_queue;	   /* AF_XDP: the queue to bind */
	enum io_xdp_mode xdp_mode;
	bool xdp_zerocopy;    /* AF_XDP: ask for zero-copy (fails
				    * where the driver has none) */
	uint32_t mem_capture; /* IO_MEM: last transmitted frames kept
				    * for io_mem_capture() (0: none) */
};

/* Counters since open.  rx_drops: frames the kernel dropped because the
 * ring was full (PACKET_STATISTICS; AF_XDP: XDP_STATISTICS rx_dropped and
 * rx_ring_full), plus frames that arrived cut short (longer than a ring
 * frame holds).  tx_packets and tx_bytes count what was queued;
 * tx_errors what the kernel later refused (a frame longer than the MTU). */
struct io_port_stats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t rx_drops;
	uint64_t tx_errors;
};

/* io.c */

/* Opens a port; received frames carry port_index in io_pkt.port.  On
 * success *out belongs to the caller until io_port_close(). */
int io_port_open(const struct io_port_config *cfg, uint16_t port_index,
		 struct io_port **out, struct cen_err *err);
/* Returns the frames held to the kernel and closes the sockets.  p may be
 * NULL. */
void io_port_close(struct io_port *p);
/* Up to max received frames into pkts[]; 0 when none is waiting.  Releases
 * the frames of the previous burst first. */
size_t io_rx_burst(struct io_port *p, struct io_pkt *pkts, size_t max);
/* Releases the frames of the last burst now. */
void io_rx_done(struct io_port *p);
/* Queues copies of pkts[0..n) (data, len; port and headroom are ignored)
 * in order; returns how many were taken, the first ones (see
 * "Transmitting" above). */
size_t io_tx_burst(struct io_port *p, struct io_pkt *pkts, size_t n);
/* Has the kernel send what io_tx_burst() queued (and, for AF_XDP, takes
 * back the transmit frames the kernel is done with). */
void io_tx_flush(struct io_port *p);
/* The descriptor to poll() for POLLIN while idle; -1 for IO_MEM, which is
 * always ready (or never, without templates). */
int io_port_fd(const struct io_port *p);
void io_port_stats(struct io_port *p, struct io_port_stats *st);
/* The interface's MAC address, MTU and index as at open (IO_MEM:
 * 02:00:00:00:xx:yy from the port index, MTU 1500, index 0). */
void io_port_mac(const struct io_port *p, uint8_t mac[6]);
uint32_t io_port_mtu(const struct io_port *p);
int io_port_ifindex(const struct io_port *p);
const char *io_port_name(const struct io_port *p);
enum io_kind io_port_kind(const struct io_port *p);
/* Whether the interface is up with its carrier (IFF_UP and IFF_RUNNING,
 * which is what operstate "up" reports), read from the kernel at each call
 * (an ioctl: call it every second or so, not per burst).  IO_MEM: as set by
 * io_mem_set_link(), initially up. */
bool io_port_link_up(const struct io_port *p);
/* Whether this build has AF_XDP (libxdp). */
bool io_xdp_available(void);

/* io_mem.c: IO_MEM ports only (these abort on another kind). */

/* Copies n (1..IO_MEM_TEMPLATES_MAX) template frames; io_rx_burst() then
 * returns copies of them in order, round-robin, in buffers of the port
 * (frame_size bytes, headroom before the data).  Replaces earlier
 * templates.  Returns 0, -CEN_EINVAL (n out of range, a frame empty or
 * longer than frame_size - headroom) or -CEN_ENOMEM. */
int io_mem_load(struct io_port *p, const uint8_t *const frames[],
		const uint32_t lens[], size_t n);
/* Frames kept from io_tx_burst(): at most cfg.mem_capture, the latest. */
size_t io_mem_captured(const struct io_port *p);
/* The i-th kept frame, oldest first (i < io_mem_captured()); valid until
 * the next io_tx_burst() or io_mem_capture_clear().  Returns 0 or
 * -CEN_ENOENT. */
int io_mem_capture(const struct io_port *p, size_t i, const uint8_t **frame,
		   uint32_t *len);
void io_mem_capture_clear(struct io_port *p);
/* What io_port_link_up() reports, to test link loss without an interface. */
void io_mem_set_link(struct io_port *p, bool up);

#endif
