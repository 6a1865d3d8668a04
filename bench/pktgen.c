/*
 * pktgen.c - a traffic generator for bench/fwd-veth-bench.sh: IPv4/UDP
 * frames, as fast as one thread can send them, on a raw AF_PACKET socket
 * that bypasses the qdisc, for a fixed time.  libc only.
 *
 *   pktgen --if IF --dst-mac MAC --src IP --dst IP [--flows N]
 *          [--size BYTES] [--seconds S] [--batch N] [--mode mmsg|ring]
 *
 * Frames: BYTES long without the FCS (60, the default, is a 64-byte frame
 * on the wire), from IF's own MAC to MAC, UDP from SRC to DST port 9, with
 * FLOWS different source ports (1024 up), sent round-robin, so that a
 * forwarder that hashes flows sees many.  The IPv4 checksum is right; the
 * UDP checksum is 0 ("none", RFC 768).
 *
 * Modes: "mmsg" sends BATCH frames per sendmmsg(); "ring" fills a
 * TPACKET_V2 transmit ring and sends BATCH frames per sendto().  A frame
 * the kernel refuses for lack of room (ENOBUFS: on veth, the peer's
 * backlog is full) is counted in "refused" and not sent again: the
 * generator measures what it offered, the receiver what got through.
 *
 * Output: one JSON line, {"sent":N,"refused":N,"seconds":S,"pps":N}.
 */
#define _GNU_SOURCE /* sendmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GEN_FLOWS_MAX 65536
#define GEN_BATCH_MAX 1024
#define GEN_SIZE_MIN  42 /* Ethernet + IPv4 + UDP headers */
#define GEN_SIZE_MAX  1514
#define GEN_RING_FR   4096 /* transmit ring: frames */
#define GEN_RING_FS   2048 /* transmit ring: bytes a frame */
#define GEN_TX_OFF    (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))

struct gen {
	int fd;
	int ifindex;
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
	struct in_addr src, dst;
	uint32_t flows;
	uint32_t size;
	uint32_t batch;
	double seconds;
	uint8_t *frames; /* flows frames of size bytes */
	uint64_t sent;
	uint64_t refused;
};

static void
die(const char *what)
{
	fprintf(stderr, "pktgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint16_t
ip_csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
build_frames(struct gen *g)
{
	g->frames = calloc(g->flows, g->size);
	if (g->frames == NULL)
		die("calloc");
	for (uint32_t i = 0; i < g->flows; i++) {
		uint8_t *f = g->frames + (size_t)i * g->size;
		uint8_t *ip = f + 14, *udp = ip + 20;

		memcpy(f, g->dst_mac, 6);
		memcpy(f + 6, g->src_mac, 6);
		put16(f + 12, ETH_P_IP);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(g->size - 14));
		put16(ip + 4, (uint16_t)i);
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, &g->src, 4);
		memcpy(ip + 16, &g->dst, 4);
		put16(ip + 10, ip_csum(ip, 20));
		put16(udp, (uint16_t)(1024 + i));
		put16(udp + 2, 9);
		put16(udp + 4, (uint16_t)(g->size - 34));
	}
}

static void
open_socket(struct gen *g, const char *ifname)
{
	struct sockaddr_ll sll;
	struct ifreq ifr;
	int one = 1, sndbuf = 4 << 20;

	g->fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (g->fd < 0)
		die("socket (needs CAP_NET_RAW)");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(g->fd, SIOCGIFINDEX, &ifr) != 0)
		die(ifname);
	g->ifindex = ifr.ifr_ifindex;
	if (ioctl(g->fd, SIOCGIFHWADDR, &ifr) != 0)
		die("SIOCGIFHWADDR");
	memcpy(g->src_mac, ifr.ifr_hwaddr.sa_data, 6);
	if (setsockopt(g->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
		       sizeof(one)) != 0)
		die("PACKET_QDISC_BYPASS");
	if (setsockopt(g->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf,
		       sizeof(sndbuf)) != 0)
		(void)setsockopt(g->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				 sizeof(sndbuf));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = g->ifindex;
	if (bind(g->fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
		die("bind");
}

static void
run_mmsg(struct gen *g)
{
	struct mmsghdr *msgs = calloc(g->batch, sizeof(*msgs));
	struct iovec *iov = calloc(g->batch, sizeof(*iov));
	double end = now_s() + g->seconds;
	uint32_t next = 0;

	if (msgs == NULL || iov == NULL)
		die("calloc");
	for (uint32_t i = 0; i < g->batch; i++) {
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		iov[i].iov_len = g->size;
	}
	while (now_s() < end) {
		uint32_t k = 0;

		for (uint32_t i = 0; i < g->batch; i++) {
			iov[i].iov_base = g->frames + (size_t)next * g->size;
			if (++next == g->flows)
				next = 0;
		}
		/* a short count means the next frame was refused: skip it */
		while (k < g->batch) {
			int r = sendmmsg(g->fd, msgs + k, g->batch - k, 0);

			if (r < 0) {
				if (errno != ENOBUFS && errno != EAGAIN &&
				    errno != EINTR)
					die("sendmmsg");
				g->refused++;
				k++;
				continue;
			}
			g->sent += (uint64_t)r;
			k += (uint32_t)r;
			if (k < g->batch) {
				g->refused++;
				k++;
			}
		}
	}
	free(msgs);
	free(iov);
}

static void
run_ring(struct gen *g)
{
	struct tpacket_req req = {
		.tp_block_size = GEN_RING_FS * 16,
		.tp_block_nr = GEN_RING_FR / 16,
		.tp_frame_size = GEN_RING_FS,
		.tp_frame_nr = GEN_RING_FR,
	};
	int v = TPACKET_V2, one = 1;
	double end;
	uint32_t cur = 0, next = 0;
	uint8_t *map;
	size_t len = (size_t)req.tp_block_size * req.tp_block_nr;

	if (setsockopt(g->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) != 0)
		die("PACKET_VERSION");
	/* skip a refused frame rather than stop the ring at it */
	if (setsockopt(g->fd, SOL_PACKET, PACKET_LOSS, &one, sizeof(one)) != 0)
		die("PACKET_LOSS");
	if (setsockopt(g->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) !=
	    0)
		die("PACKET_TX_RING");
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, g->fd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	end = now_s() + g->seconds;
	while (now_s() < end) {
		uint32_t queued = 0;

		for (uint32_t i = 0; i < g->batch; i++) {
			struct tpacket2_hdr *h =
				(void *)(map + (size_t)cur * GEN_RING_FS);
			uint32_t st = __atomic_load_n(&h->tp_status,
						      __ATOMIC_ACQUIRE);

			if (st == TP_STATUS_WRONG_FORMAT)
				g->refused++;
			else if (st != TP_STATUS_AVAILABLE)
				break; /* the kernel has not sent it yet */
			memcpy((uint8_t *)h + GEN_TX_OFF,
			       g->frames + (size_t)next * g->size, g->size);
			h->tp_len = g->size;
			__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST,
					 __ATOMIC_RELEASE);
			if (++next == g->flows)
				next = 0;
			if (++cur == GEN_RING_FR)
				cur = 0;
			queued++;
		}
		/* the kernel sends every frame marked; with PACKET_LOSS a
		 * frame the device refused is marked available again and
		 * counts as sent here (the receiver's count tells) */
		if (sendto(g->fd, NULL, 0, 0, NULL, 0) < 0 &&
		    errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
			die("sendto");
		g->sent += queued;
	}
	munmap(map, len);
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: pktgen --if IF --dst-mac MAC --src IP --dst IP "
		"[--flows N] [--size BYTES]\n"
		"              [--seconds S] [--batch N] [--mode mmsg|ring]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "if", required_argument, NULL, 'i' },
		{ "dst-mac", required_argument, NULL, 'm' },
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },
		{ "flows", required_argument, NULL, 'f' },
		{ "size", required_argument, NULL, 'z' },
		{ "seconds", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, 'b' },
		{ "mode", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	struct gen g = {
		.flows = 1024,
		.size = 60,
		.batch = 64,
		.seconds = 5,
	};
	const char *ifname = NULL, *mode = "mmsg";
	bool have_mac = false, have_src = false, have_dst = false;
	double t0, t;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			ifname = optarg;
			break;
		case 'm':
			if (parse_mac(optarg, g.dst_mac) != 0)
				usage();
			have_mac = true;
			break;
		case 's':
			have_src = inet_pton(AF_INET, optarg, &g.src) == 1;
			break;
		case 'd':
			have_dst = inet_pton(AF_INET, optarg, &g.dst) == 1;
			break;
		case 'f':
			g.flows = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'z':
			g.size = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 't':
			g.seconds = strtod(optarg, NULL);
			break;
		case 'b':
			g.batch = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'M':
			mode = optarg;
			break;
		default:
			usage();
		}
	}
	if (ifname == NULL || !have_mac || !have_src || !have_dst ||
	    g.flows < 1 || g.flows > GEN_FLOWS_MAX || g.size < GEN_SIZE_MIN ||
	    g.size > GEN_SIZE_MAX || g.batch < 1 || g.batch > GEN_BATCH_MAX ||
	    g.seconds <= 0 ||
	    (strcmp(mode, "mmsg") != 0 && strcmp(mode, "ring") != 0))
		usage();
	open_socket(&g, ifname);
	build_frames(&g);
	t0 = now_s();
	if (strcmp(mode, "ring") == 0)
		run_ring(&g);
	else
		run_mmsg(&g);
	t = now_s() - t0;
	printf("{\"sent\":%" PRIu64 ",\"refused\":%" PRIu64
	       ",\"seconds\":%.3f,\"pps\":%.0f}\n",
	       g.sent, g.refused, t, (double)g.sent / t);
	free(g.frames);
	close(g.fd);
	return 0;
}
