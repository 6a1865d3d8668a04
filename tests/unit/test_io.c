/*
 * test_io.c - the forwarder's packet I/O (dataplane/io*.c).
 *
 * In-memory ports: round-robin copies of the templates, capture of what is
 * transmitted, link state, bad configurations.
 *
 * AF_PACKET (and AF_XDP, when built) on real interfaces: run as root with
 * iproute2, the test makes a network namespace of its own, ciot<pid>, with
 * two veth pairs (ciot<pid>a-ciot<pid>b, ciot<pid>c-ciot<pid>d), and moves
 * itself into it.  Ports are opened on a and c; raw sockets on b and d play
 * the other end: they send frames that the ports must receive byte for
 * byte (802.1Q and 802.1ad tags included, put back by the port), and
 * receive what the ports transmit.  The namespace (and the veths in it) is
 * removed at the end, also when a test fails.  Without root or `ip` these
 * tests are skipped, saying why.  Every wait is a poll() with a deadline.
 */
#define _GNU_SOURCE /* setns */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "dataplane/io.h"

#include <cmocka.h>

#define WAIT_MS	    3000
#define ETH_TEST    0x88b5 /* IEEE local experimental EtherType */
#define MAGIC	    "cen-iot!"
#define MAGIC_LEN   8
#define FRAME_MAX   2048
#define OPEN_PORTS  4
#define SEND_FRAMES 200

/* ---- frames ---- */

static const uint8_t mac_x[6] = { 0x02, 0xc1, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t mac_y[6] = { 0x02, 0xc1, 0x00, 0x00, 0x00, 0x02 };

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * A test frame of len bytes: dst, src, ntags (TPID, TCI) pairs, ETH_TEST,
 * MAGIC, seq, then bytes that depend on seq.
 */
static size_t
mkframe(uint8_t *f, size_t len, const uint8_t dst[6], const uint8_t src[6],
	const uint16_t *tags, int ntags, uint32_t seq)
{
	size_t off = 12, i;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	for (int t = 0; t < ntags; t++, off += 4) {
		put16(f + off, tags[2 * t]);
		put16(f + off + 2, tags[2 * t + 1]);
	}
	put16(f + off, ETH_TEST);
	memcpy(f + off + 2, MAGIC, MAGIC_LEN);
	off += 2 + MAGIC_LEN;
	f[off++] = (uint8_t)(seq >> 24);
	f[off++] = (uint8_t)(seq >> 16);
	f[off++] = (uint8_t)(seq >> 8);
	f[off++] = (uint8_t)seq;
	for (i = off; i < len; i++)
		f[i] = (uint8_t)(seq * 7 + i);
	return len;
}

/* Whether f is a test frame; its sequence number in *seq. */
static bool
ours(const uint8_t *f, size_t len, uint32_t *seq)
{
	size_t off = 12;

	while (off + 2 <= len &&
	       (get16(f + off) == 0x8100 || get16(f + off) == 0x88a8))
		off += 4;
	if (off + 2 + MAGIC_LEN + 4 > len || get16(f + off) != ETH_TEST ||
	    memcmp(f + off + 2, MAGIC, MAGIC_LEN) != 0)
		return false;
	off += 2 + MAGIC_LEN;
	if (seq != NULL)
		*seq = (uint32_t)f[off] << 24 | (uint32_t)f[off + 1] << 16 |
		       (uint32_t)f[off + 2] << 8 | f[off + 3];
	return true;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the namespace ---- */

static struct {
	bool ready; /* we are in the namespace, links up */
	char why[160];
	char ns[32];
	char a[IFNAMSIZ], b[IFNAMSIZ], c[IFNAMSIZ], d[IFNAMSIZ];
	int orig_ns;
	bool ns_made;
	int peer_b, peer_d; /* raw sockets on b and d */
} env = { .orig_ns = -1, .peer_b = -1, .peer_d = -1 };

/* Ports a test opened, closed by the teardown even when it fails. */
static struct io_port *open_ports[OPEN_PORTS];

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static void
ns_remove(void)
{
	if (env.peer_b >= 0)
		close(env.peer_b);
	if (env.peer_d >= 0)
		close(env.peer_d);
	env.peer_b = env.peer_d = -1;
	if (env.orig_ns >= 0) {
		if (setns(env.orig_ns, CLONE_NEWNET) != 0)
			fprintf(stderr, "test_io: setns back: %s\n",
				strerror(errno));
		close(env.orig_ns);
		env.orig_ns = -1;
	}
	if (env.ns_made) {
		if (run("ip netns del %s", env.ns) != 0)
			fprintf(stderr, "test_io: could not delete netns %s\n",
				env.ns);
		env.ns_made = false;
	}
	env.ready = false;
}

static bool
if_running(const char *ifname)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	bool up;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	up = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 &&
	     (ifr.ifr_flags & IFF_RUNNING);
	close(fd);
	return up;
}

static int
peer_open(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int fd, one = 1;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    htons(ETH_P_ALL));
	if (fd < 0)
		return -1;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		       sizeof(one))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
ns_make(void)
{
	char path[64];
	int fd;

	if (geteuid() != 0) {
		snprintf(env.why, sizeof(env.why),
			 "not root (veth and AF_PACKET need it)");
		return -1;
	}
	if (run("ip -V >/dev/null 2>&1") != 0) {
		snprintf(env.why, sizeof(env.why), "ip (iproute2) not found");
		return -1;
	}
	snprintf(env.ns, sizeof(env.ns), "ciot%d", (int)getpid());
	snprintf(env.a, sizeof(env.a), "ciot%da", (int)getpid());
	snprintf(env.b, sizeof(env.b), "ciot%db", (int)getpid());
	snprintf(env.c, sizeof(env.c), "ciot%dc", (int)getpid());
	snprintf(env.d, sizeof(env.d), "ciot%dd", (int)getpid());
	if (run("ip netns add %s", env.ns) != 0) {
		snprintf(env.why, sizeof(env.why), "ip netns add %s failed",
			 env.ns);
		return -1;
	}
	env.ns_made = true;
	if (run("ip -n %s link add %s type veth peer name %s && "
		"ip -n %s link add %s type veth peer name %s && "
		"ip -n %s link set %s up && ip -n %s link set %s up && "
		"ip -n %s link set %s up && ip -n %s link set %s up",
		env.ns, env.a, env.b, env.ns, env.c, env.d, env.ns, env.a,
		env.ns, env.b, env.ns, env.c, env.ns, env.d) != 0) {
		snprintf(env.why, sizeof(env.why),
			 "could not make veth pairs in netns %s", env.ns);
		return -1;
	}
	env.orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/run/netns/%s", env.ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (env.orig_ns < 0 || fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
		snprintf(env.why, sizeof(env.why), "cannot enter netns %s: %s",
			 env.ns, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	env.peer_b = peer_open(env.b);
	env.peer_d = peer_open(env.d);
	if (env.peer_b < 0 || env.peer_d < 0) {
		snprintf(env.why, sizeof(env.why), "raw socket on %s: %s",
			 env.b, strerror(errno));
		return -1;
	}
	return 0;
}

/* Waits until both ends of both pairs have their carrier. */
static bool
links_up(void)
{
	long end = now_ms() + WAIT_MS;

	while (now_ms() < end) {
		if (if_running(env.a) && if_running(env.b) &&
		    if_running(env.c) && if_running(env.d))
			return true;
		poll(NULL, 0, 10);
	}
	return false;
}

static int
group_setup(void **state)
{
	if (ns_make() != 0) {
		ns_remove();
		return 0;
	}
	if (!links_up()) {
		snprintf(env.why, sizeof(env.why),
			 "veth links did not come up");
		ns_remove();
		return 0;
	}
	env.ready = true;
	return 0;
}

static int
group_teardown(void **state)
{
	ns_remove();
	return 0;
}

static int
teardown(void **state)
{
	for (int i = 0; i < OPEN_PORTS; i++) {
		io_port_close(open_ports[i]);
		open_ports[i] = NULL;
	}
	return 0;
}

#define NEED_NETNS()                                                           \
	do {                                                                   \
		if (!env.ready) {                                              \
			print_message("skipped: %s\n", env.why);               \
			skip();                                                \
		}                                                              \
	} while (0)

/* ---- helpers on the veth pairs ---- */

static struct io_port *
port_open(const struct io_port_config *cfg, uint16_t index)
{
	struct cen_err err = { 0 };
	struct io_port *p = NULL;
	int slot;

	for (slot = 0; slot < OPEN_PORTS && open_ports[slot]; slot++)
		;
	assert_true(slot < OPEN_PORTS);
	if (io_port_open(cfg, index, &p, &err) != 0)
		fail_msg("io_port_open %s: %s", cfg->ifname, err.msg);
	open_ports[slot] = p;
	return p;
}

static void
peer_send(int fd, const char *ifname, const uint8_t *f, size_t len)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };

	sll.sll_ifindex = (int)if_nametoindex(ifname);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, f, 6);
	if (sendto(fd, f, len, 0, (struct sockaddr *)&sll, sizeof(sll)) !=
	    (ssize_t)len)
		fail_msg("send on %s: %s", ifname, strerror(errno));
}

/*
 * Receives the next test frame on a raw socket, tag put back from the
 * auxiliary data as the port does; its length, or 0 at the deadline.
 */
static size_t
peer_recv(int fd, uint8_t *buf, size_t cap)
{
	long end = now_ms() + WAIT_MS;
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} cb;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct tpacket_auxdata *aux;
	struct cmsghdr *cm;
	struct msghdr mh;
	struct iovec iov;
	ssize_t n;

	for (;;) {
		iov.iov_base = buf + 4;
		iov.iov_len = cap - 4;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cb.b;
		mh.msg_controllen = sizeof(cb.b);
		n = recvmsg(fd, &mh, 0);
		if (n < 0) {
			if (errno != EAGAIN)
				fail_msg("recvmsg: %s", strerror(errno));
			if (now_ms() >= end)
				return 0;
			poll(&pfd, 1, 50);
			continue;
		}
		aux = NULL;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_PACKET &&
			    cm->cmsg_type == PACKET_AUXDATA)
				aux = (struct tpacket_auxdata *)CMSG_DATA(cm);
		if (aux != NULL && (aux->tp_status & TP_STATUS_VLAN_VALID)) {
			memmove(buf, buf + 4, 12);
			put16(buf + 12,
			      (aux->tp_status & TP_STATUS_VLAN_TPID_VALID)
				      ? aux->tp_vlan_tpid
				      : 0x8100);
			put16(buf + 14, aux->tp_vlan_tci);
			n += 4;
		} else {
			memmove(buf, buf + 4, (size_t)n);
		}
		if (ours(buf, (size_t)n, NULL))
			return (size_t)n;
	}
}

struct got {
	uint8_t data[FRAME_MAX];
	uint32_t len;
	uint16_t port;
	uint16_t headroom;
};

/* Receives want test frames through the port into got[]. */
static void
port_recv(struct io_port *p, struct got *got, size_t want)
{
	struct pollfd pfd = { .fd = io_port_fd(p), .events = POLLIN };
	long end = now_ms() + WAIT_MS;
	struct io_pkt pk[32];
	size_t have = 0, n, i;

	while (have < want) {
		n = io_rx_burst(p, pk, 32);
		for (i = 0; i < n; i++) {
			if (!ours(pk[i].data, pk[i].len, NULL))
				continue;
			if (have == want)
				fail_msg("more test frames than sent");
			assert_true(pk[i].len <= FRAME_MAX);
			memcpy(got[have].data, pk[i].data, pk[i].len);
			got[have].len = pk[i].len;
			got[have].port = pk[i].port;
			got[have].headroom = pk[i].headroom;
			have++;
		}
		if (n == 0) {
			if (now_ms() >= end)
				fail_msg("%s: %zu of %zu frames by the "
					 "deadline",
					 io_port_name(p), have, want);
			poll(&pfd, 1, 50);
		}
	}
	io_rx_done(p);
}

/* Receives until the test frame seq arrives, skipping others. */
static bool
port_wait_seq(struct io_port *p, uint32_t want)
{
	struct pollfd pfd = { .fd = io_port_fd(p), .events = POLLIN };
	long end = now_ms() + WAIT_MS;
	struct io_pkt pk[32];
	uint32_t seq;
	size_t n, i;

	for (;;) {
		n = io_rx_burst(p, pk, 32);
		for (i = 0; i < n; i++)
			if (ours(pk[i].data, pk[i].len, &seq) && seq == want) {
				io_rx_done(p);
				return true;
			}
		if (n == 0) {
			if (now_ms() >= end)
				return false;
			poll(&pfd, 1, 50);
		}
	}
}

static struct io_port_config
afp_config(const char *ifname)
{
	struct io_port_config c = { .ifname = ifname, .kind = IO_AFPACKET };

	return c;
}

/* ---- in-memory ports ---- */

static struct io_port *
mem_open(uint32_t frames, uint32_t capture, uint16_t index)
{
	struct io_port_config c = {
		.kind = IO_MEM,
		.ifname = "mem0",
		.frames = frames,
		.mem_capture = capture,
	};

	return port_open(&c, index);
}

static void
test_io_mem_rx_hands_out_copies_of_the_templates_round_robin(void **state)
{
	uint8_t f[3][128];
	const uint8_t *fr[3] = { f[0], f[1], f[2] };
	uint32_t lens[3] = { 60, 128, 64 };
	struct io_pkt pk[8];
	struct io_port_stats st;
	struct io_port *p = mem_open(8, 0, 5);
	size_t i, n, k = 0;

	for (i = 0; i < 3; i++)
		mkframe(f[i], lens[i], mac_x, mac_y, NULL, 0, (uint32_t)i);
	assert_int_equal(io_rx_burst(p, pk, 8), 0); /* nothing loaded */
	assert_int_equal(io_mem_load(p, fr, lens, 3), 0);
	for (int round = 0; round < 4; round++) {
		n = io_rx_burst(p, pk, round == 0 ? 2 : 100);
		assert_int_equal(n, round == 0 ? 2 : 8); /* 8 buffers */
		for (i = 0; i < n; i++, k++) {
			assert_int_equal(pk[i].len, lens[k % 3]);
			assert_memory_equal(pk[i].data, f[k % 3], lens[k % 3]);
			assert_int_equal(pk[i].port, 5);
			assert_true(pk[i].headroom >= IO_HEADROOM_DEFAULT);
			/* the forwarder rewrites in place, headroom too */
			memset(pk[i].data - pk[i].headroom, 0xee,
			       pk[i].headroom + pk[i].len);
		}
		io_rx_done(p);
	}
	io_port_stats(p, &st);
	assert_int_equal(st.rx_packets, k);
	assert_int_equal(io_port_fd(p), -1);
}

static void
test_io_mem_tx_counts_and_keeps_the_last_frames(void **state)
{
	struct io_port *p = mem_open(0, 4, 0);
	static uint8_t f[6][1600];
	struct io_pkt pk[6];
	struct io_port_stats st;
	const uint8_t *c;
	uint32_t len, seq;

	for (uint32_t i = 0; i < 6; i++) {
		mkframe(f[i], 60 + i, mac_x, mac_y, NULL, 0, i);
		pk[i].data = f[i];
		pk[i].len = 60 + i;
	}
	assert_int_equal(io_mem_captured(p), 0);
	assert_int_equal(io_tx_burst(p, pk, 6), 6);
	io_tx_flush(p);
	assert_int_equal(io_mem_captured(p), 4);
	for (uint32_t i = 0; i < 4; i++) {
		assert_int_equal(io_mem_capture(p, i, &c, &len), 0);
		assert_true(ours(c, len, &seq));
		assert_int_equal(seq, i + 2); /* oldest kept first */
		assert_int_equal(len, 62 + i);
		assert_memory_equal(c, f[i + 2], len);
	}
	assert_int_equal(io_mem_capture(p, 4, &c, &len), -CEN_ENOENT);
	io_port_stats(p, &st);
	assert_int_equal(st.tx_packets, 6);
	assert_int_equal(st.tx_bytes, 60 + 61 + 62 + 63 + 64 + 65);
	io_mem_capture_clear(p);
	assert_int_equal(io_mem_captured(p), 0);
	/* a runt and a frame over the MTU are taken, dropped, counted */
	pk[1].len = 13;
	pk[2].len = 1500 + 23;
	assert_int_equal(io_tx_burst(p, pk, 4), 4);
	assert_int_equal(io_mem_captured(p), 2);
	assert_int_equal(io_mem_capture(p, 0, &c, &len), 0);
	assert_int_equal(len, 60);
	assert_int_equal(io_mem_capture(p, 1, &c, &len), 0);
	assert_int_equal(len, 63);
	io_port_stats(p, &st);
	assert_int_equal(st.tx_packets, 8);
	assert_int_equal(st.tx_errors, 2);
}

static void
test_io_mem_link_and_mac_come_from_the_port(void **state)
{
	struct io_port *p = mem_open(0, 0, 0x0102);
	uint8_t mac[6];
	const uint8_t want[6] = { 0x02, 0, 0, 0, 0x01, 0x02 };

	io_port_mac(p, mac);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(io_port_mtu(p), 1500);
	assert_int_equal(io_port_kind(p), IO_MEM);
	assert_true(io_port_link_up(p));
	io_mem_set_link(p, false);
	assert_false(io_port_link_up(p));
	io_mem_set_link(p, true);
	assert_true(io_port_link_up(p));
}

static void
test_io_open_rejects_bad_configs_saying_what_to_fix(void **state)
{
	struct cen_err err = { 0 };
	struct io_port *p = (struct io_port *)&err;
	struct io_port_config c = { .kind = IO_AFPACKET };
	uint8_t big[FRAME_MAX];
	const uint8_t *fr[1] = { big };
	uint32_t len = FRAME_MAX;

	assert_int_equal(io_port_open(&c, 0, &p, &err), -CEN_EINVAL);
	assert_null(p);
	assert_non_null(strstr(err.msg, "ifname"));
	c.ifname = "ciot-no-such0";
	assert_int_equal(io_port_open(&c, 0, &p, &err), -CEN_ENOENT);
	assert_non_null(strstr(err.msg, "no such interface"));
	c.ifname = "an-interface-name-too-long";
	assert_int_equal(io_port_open(&c, 0, &p, &err), -CEN_EINVAL);
	c.kind = (enum io_kind)7;
	assert_int_equal(io_port_open(&c, 0, &p, &err), -CEN_EINVAL);
	c.kind = IO_MEM;
	c.ifname = NULL;
	c.headroom = 2000;
	assert_int_equal(io_port_open(&c, 0, &p, &err), -CEN_EINVAL);
	assert_non_null(strstr(err.msg, "headroom"));
	if (!io_xdp_available()) {
		c.kind = IO_XDP;
		c.headroom = 0;
		c.ifname = "eth0";
		assert_int_equal(io_port_open(&c, 0, &p, &err), -CEN_EINVAL);
		assert_non_null(strstr(err.msg, "AF_XDP"));
	}
	p = mem_open(0, 0, 0);
	/* longer than a buffer holds after its headroom */
	memset(big, 0, sizeof(big));
	assert_int_equal(io_mem_load(p, fr, &len, 1), -CEN_EINVAL);
	len = 0;
	assert_int_equal(io_mem_load(p, fr, &len, 1), -CEN_EINVAL);
	assert_int_equal(io_mem_load(p, fr, &len, 0), -CEN_EINVAL);
}

/* ---- AF_PACKET on veth ---- */

static void
test_io_afpacket_port_reports_the_interface(void **state)
{
	struct io_port_config c;
	struct io_port *p;
	struct ifreq ifr;
	uint8_t mac[6];
	int fd;

	NEED_NETNS();
	c = afp_config(env.a);
	p = port_open(&c, 3);
	assert_int_equal(io_port_ifindex(p), (int)if_nametoindex(env.a));
	assert_int_equal(io_port_mtu(p), 1500);
	assert_string_equal(io_port_name(p), env.a);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", env.a);
	assert_int_equal(ioctl(fd, SIOCGIFHWADDR, &ifr), 0);
	close(fd);
	io_port_mac(p, mac);
	assert_memory_equal(mac, ifr.ifr_hwaddr.sa_data, 6);
	assert_true(io_port_fd(p) >= 0);
	assert_true(io_port_link_up(p));
}

/* Untagged (smallest and largest), 802.1Q and 802.1ad over 802.1Q. */
static void
test_io_afpacket_rx_gives_frames_as_on_the_wire_tags_included(void **state)
{
	static const uint16_t q[] = { 0x8100, 0x2064 }; /* pcp 1 */
	static const uint16_t qinq[] = { 0x88a8, 0x00c8, 0x8100, 0x0064 };
	static struct got got[4];
	uint8_t f[4][FRAME_MAX];
	size_t len[4];
	struct io_port_config c;
	struct io_port_stats st;
	struct io_port *p;

	NEED_NETNS();
	c = afp_config(env.a);
	p = port_open(&c, 7);
	len[0] = mkframe(f[0], 60, mac_x, mac_y, NULL, 0, 1);
	len[1] = mkframe(f[1], 1514, mac_x, mac_y, NULL, 0, 2);
	len[2] = mkframe(f[2], 64, mac_x, mac_y, q, 1, 3);
	len[3] = mkframe(f[3], 1000, mac_x, mac_y, qinq, 2, 4);
	for (int i = 0; i < 4; i++)
		peer_send(env.peer_b, env.b, f[i], len[i]);
	port_recv(p, got, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(got[i].len, len[i]);
		assert_memory_equal(got[i].data, f[i], len[i]);
		assert_int_equal(got[i].port, 7);
		assert_true(got[i].headroom >= IO_HEADROOM_DEFAULT);
	}
	io_port_stats(p, &st);
	assert_true(st.rx_packets >= 4);
	assert_true(st.rx_bytes >= 60 + 1514 + 64 + 1000);
	assert_int_equal(st.rx_drops, 0);
}

static void
tx_frames_reach_the_peer(enum io_tx_mode mode)
{
	static const uint16_t q[] = { 0x8100, 0x0123 };
	static uint8_t f[4][FRAME_MAX], buf[FRAME_MAX + 4];
	struct io_port_config c;
	struct io_port_stats st;
	struct io_pkt pk[4];
	struct io_port *p;
	size_t n;

	NEED_NETNS();
	c = afp_config(env.a);
	c.tx_mode = mode;
	p = port_open(&c, 0);
	pk[0].len = (uint32_t)mkframe(f[0], 60, mac_y, mac_x, NULL, 0, 10);
	pk[1].len = (uint32_t)mkframe(f[1], 1518, mac_y, mac_x, q, 1, 11);
	/* longer than the MTU allows: counted, dropped, not stopping the
	 * burst */
	pk[2].len = (uint32_t)mkframe(f[2], 1600, mac_y, mac_x, NULL, 0, 12);
	pk[3].len = (uint32_t)mkframe(f[3], 200, mac_y, mac_x, NULL, 0, 13);
	for (int i = 0; i < 4; i++)
		pk[i].data = f[i];
	assert_int_equal(io_tx_burst(p, pk, 4), 4);
	io_tx_flush(p);
	for (int i = 0; i < 4; i++) {
		if (i == 2)
			continue;
		n = peer_recv(env.peer_b, buf, sizeof(buf));
		if (n == 0)
			fail_msg("frame %d did not arrive on %s", i, env.b);
		assert_int_equal(n, pk[i].len);
		assert_memory_equal(buf, f[i], n);
	}
	io_port_stats(p, &st);
	assert_int_equal(st.tx_packets, 3);
	assert_int_equal(st.tx_bytes, 60 + 1518 + 200);
	assert_int_equal(st.tx_errors, 1);
}

static void
test_io_afpacket_tx_ring_sends_frames_unchanged(void **state)
{
	tx_frames_reach_the_peer(IO_TX_RING);
}

static void
test_io_afpacket_tx_sendmmsg_sends_frames_unchanged(void **state)
{
	tx_frames_reach_the_peer(IO_TX_SENDMMSG);
}

/*
 * Frames of a burst stay put while the kernel goes on writing the ring
 * (more frames arrive between bursts), and none is lost or reordered.
 */
static void
test_io_afpacket_burst_frames_stay_valid_until_the_next_burst(void **state)
{
	static uint8_t copy[8][FRAME_MAX];
	uint8_t f[FRAME_MAX];
	struct io_port_config c;
	struct io_pkt pk[8];
	struct io_port *p;
	uint32_t next = 0, seq, sent = 0;
	struct pollfd pfd;
	long end;
	size_t n, i, k;

	NEED_NETNS();
	c = afp_config(env.a);
	c.frames = 256; /* two blocks */
	p = port_open(&c, 0);
	pfd.fd = io_port_fd(p);
	pfd.events = POLLIN;
	for (; sent < 100; sent++)
		peer_send(env.peer_b, env.b, f,
			  mkframe(f, 60 + sent % 200, mac_x, mac_y, NULL, 0,
				  sent));
	end = now_ms() + WAIT_MS;
	while (next < SEND_FRAMES) {
		n = io_rx_burst(p, pk, 8);
		if (n == 0) {
			if (now_ms() >= end)
				fail_msg("%u of %u frames by the deadline",
					 next, SEND_FRAMES);
			poll(&pfd, 1, 50);
			continue;
		}
		for (i = 0, k = 0; i < n; i++)
			if (ours(pk[i].data, pk[i].len, NULL))
				memcpy(copy[k++], pk[i].data, pk[i].len);
		/* the kernel writes on meanwhile */
		for (int j = 0; j < 4 && sent < SEND_FRAMES; j++, sent++)
			peer_send(env.peer_b, env.b, f,
				  mkframe(f, 60 + sent % 200, mac_x, mac_y,
					  NULL, 0, sent));
		for (i = 0, k = 0; i < n; i++) {
			if (!ours(pk[i].data, pk[i].len, &seq))
				continue;
			assert_int_equal(seq, next);
			assert_int_equal(pk[i].len, 60 + seq % 200);
			assert_memory_equal(pk[i].data, copy[k++], pk[i].len);
			mkframe(f, 60 + seq % 200, mac_x, mac_y, NULL, 0, seq);
			assert_memory_equal(pk[i].data, f, pk[i].len);
			/* and they are ours to write */
			memset(pk[i].data, 0, pk[i].len);
			next++;
		}
	}
	io_rx_done(p);
}

/*
 * The forwarder's case: a frame received on one port is rewritten in place
 * (new destination, a VLAN tag pushed into the headroom) and transmitted on
 * another port before the burst is released.
 */
static void
rewrite_in_place_and_forward(const struct io_port_config *ca,
			     const struct io_port_config *cc)
{
	static const uint16_t q[] = { 0x8100, 0x0234 };
	static uint8_t f[FRAME_MAX], want[FRAME_MAX], buf[FRAME_MAX + 4];
	struct io_port *pa, *pc;
	struct pollfd pfd;
	struct io_pkt pk[8], out;
	long end = now_ms() + WAIT_MS;
	size_t n = 0, i, len;

	pa = port_open(ca, 0);
	pc = port_open(cc, 1);
	pfd.fd = io_port_fd(pa);
	pfd.events = POLLIN;
	len = mkframe(f, 300, mac_x, mac_y, NULL, 0, 77);
	mkframe(want, 304, mac_y, mac_x, q, 1, 77);
	memcpy(want + 4 + 26, f + 26, 300 - 26); /* same payload */
	peer_send(env.peer_b, env.b, f, len);
	for (;;) {
		n = io_rx_burst(pa, pk, 8);
		for (i = 0; i < n && !ours(pk[i].data, pk[i].len, NULL); i++)
			;
		if (i < n)
			break;
		if (now_ms() >= end)
			fail_msg("frame did not arrive on %s", env.a);
		poll(&pfd, 1, 50);
	}
	assert_true(pk[i].headroom >= 4);
	out = pk[i];
	out.data -= 4;
	out.len += 4;
	memcpy(out.data, mac_y, 6);
	memcpy(out.data + 6, mac_x, 6);
	put16(out.data + 12, 0x8100);
	put16(out.data + 14, 0x0234);
	assert_int_equal(io_tx_burst(pc, &out, 1), 1);
	io_tx_flush(pc);
	io_rx_done(pa);
	n = peer_recv(env.peer_d, buf, sizeof(buf));
	assert_int_equal(n, 304);
	assert_memory_equal(buf, want, n);
}

static void
test_io_afpacket_frame_rewritten_in_place_goes_out_another_port(void **state)
{
	struct io_port_config ca, cc;

	NEED_NETNS();
	ca = afp_config(env.a);
	cc = afp_config(env.c);
	rewrite_in_place_and_forward(&ca, &cc);
}

static uint16_t
csum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += get16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Waits for the UDP datagram to port 9 of family af; true if its
 * checksum is complete and right. */
static bool
udp_checksum_ok(struct io_port *p, int af)
{
	struct pollfd pfd = { .fd = io_port_fd(p), .events = POLLIN };
	long end = now_ms() + WAIT_MS;
	struct io_pkt pk[16];
	uint32_t sum;
	uint16_t ulen;
	size_t n, i;
	uint8_t *d;

	for (;;) {
		n = io_rx_burst(p, pk, 16);
		for (i = 0; i < n; i++) {
			d = pk[i].data;
			if (af == AF_INET && pk[i].len >= 42 &&
			    get16(d + 12) == ETH_P_IP && d[23] == 17 &&
			    get16(d + 36) == 9) {
				ulen = get16(d + 38);
				sum = csum(d + 26, 8, 0) + 17 + ulen;
				return get16(d + 40) != 0 &&
				       csum(d + 34, ulen, sum) == 0xffff;
			}
			if (af == AF_INET6 && pk[i].len >= 62 &&
			    get16(d + 12) == ETH_P_IPV6 && d[20] == 17 &&
			    get16(d + 56) == 9) {
				ulen = get16(d + 58);
				sum = csum(d + 22, 32, 0) + 17 + ulen;
				return csum(d + 54, ulen, sum) == 0xffff;
			}
		}
		if (now_ms() >= end)
			fail_msg("no UDP datagram on %s", env.a);
		if (n == 0)
			poll(&pfd, 1, 50);
	}
}

/*
 * A datagram from the peer's own stack leaves veth with a partial
 * checksum (checksum offload); the port finishes it.
 */
static void
test_io_afpacket_finishes_partial_udp_checksums(void **state)
{
	static const char msg[] = "an odd-sized payload: 31 bytes";
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct io_port_config c;
	struct io_port *p;
	char mac[32];
	uint8_t m[6];
	int fd;

	NEED_NETNS();
	c = afp_config(env.a);
	p = port_open(&c, 0);
	io_port_mac(p, m);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
		 m[2], m[3], m[4], m[5]);
	if (run("ip addr add 10.77.0.1/24 dev %s && "
		"ip neigh replace 10.77.0.2 lladdr %s dev %s nud permanent && "
		"ip -6 addr add fd77::1/64 dev %s nodad && "
		"ip -6 neigh replace fd77::2 lladdr %s dev %s nud permanent",
		env.b, mac, env.b, env.b, mac, env.b) != 0)
		fail_msg("could not address %s", env.b);
	s4.sin_port = htons(9);
	inet_pton(AF_INET, "10.77.0.2", &s4.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sendto(fd, msg, sizeof(msg), 0, (struct sockaddr *)&s4,
				sizeof(s4)),
			 sizeof(msg));
	close(fd);
	assert_true(udp_checksum_ok(p, AF_INET));
	s6.sin6_port = htons(9);
	inet_pton(AF_INET6, "fd77::2", &s6.sin6_addr);
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	assert_int_equal(sendto(fd, msg, sizeof(msg), 0, (struct sockaddr *)&s6,
				sizeof(s6)),
			 sizeof(msg));
	close(fd);
	assert_true(udp_checksum_ok(p, AF_INET6));
	run("ip addr flush dev %s", env.b);
}

static bool
wait_link(struct io_port *p, bool up)
{
	long end = now_ms() + WAIT_MS;

	while (io_port_link_up(p) != up) {
		if (now_ms() >= end)
			return false;
		poll(NULL, 0, 10);
	}
	return true;
}

static void
test_io_afpacket_link_up_follows_the_carrier(void **state)
{
	struct io_port_config c;
	struct io_port *p;
	struct io_pkt pk[8];
	struct pollfd pfd;
	uint8_t f[64];
	socklen_t sl;
	int e;

	NEED_NETNS();
	c = afp_config(env.a);
	p = port_open(&c, 0);
	assert_true(io_port_link_up(p));
	assert_int_equal(run("ip -n %s link set %s down", env.ns, env.b), 0);
	assert_true(wait_link(p, false));
	assert_int_equal(run("ip -n %s link set %s up", env.ns, env.b), 0);
	assert_true(wait_link(p, true));
	/* set down itself: the kernel leaves an error on the port's sockets
	 * (as on the peer's above) */
	assert_int_equal(run("ip -n %s link set %s down", env.ns, env.a), 0);
	assert_true(wait_link(p, false));
	assert_int_equal(run("ip -n %s link set %s up", env.ns, env.a), 0);
	assert_true(wait_link(p, true));
	sl = sizeof(e);
	getsockopt(env.peer_b, SOL_SOCKET, SO_ERROR, &e, &sl);
	/* frames come in again, and once idle the port's descriptor does not
	 * keep reporting the error (a loop sleeping in poll() would spin) */
	mkframe(f, 60, mac_x, mac_y, NULL, 0, 5);
	peer_send(env.peer_b, env.b, f, 60);
	assert_true(port_wait_seq(p, 5));
	for (int i = 0; i < 256; i++)
		io_rx_burst(p, pk, 8);
	pfd.fd = io_port_fd(p);
	pfd.events = POLLIN;
	assert_true(poll(&pfd, 1, 0) == 0 || !(pfd.revents & POLLERR));
}

/* A ring nobody reads fills up; the kernel's drops are reported. */
static void
test_io_afpacket_counts_frames_dropped_on_a_full_ring(void **state)
{
	struct io_port_config c;
	struct io_port_stats st;
	struct io_pkt pk[64];
	struct io_port *p;
	uint8_t f[64];
	long end;

	NEED_NETNS();
	c = afp_config(env.a);
	c.frames = 64; /* the smallest ring: two blocks */
	p = port_open(&c, 0);
	mkframe(f, 60, mac_x, mac_y, NULL, 0, 0);
	end = now_ms() + WAIT_MS;
	do {
		for (int i = 0; i < 500; i++)
			peer_send(env.peer_b, env.b, f, 60);
		io_port_stats(p, &st);
	} while (st.rx_drops == 0 && now_ms() < end);
	assert_true(st.rx_drops > 0);
	/* and the ring still works, once read */
	while (io_rx_burst(p, pk, 64) > 0)
		;
	io_rx_done(p);
	mkframe(f, 60, mac_x, mac_y, NULL, 0, 1);
	peer_send(env.peer_b, env.b, f, 60);
	assert_true(port_wait_seq(p, 1));
}

/* ---- AF_XDP on veth ---- */

#define NEED_XDP()                                                             \
	do {                                                                   \
		NEED_NETNS();                                                  \
		if (!io_xdp_available()) {                                     \
			print_message("skipped: built without libxdp\n");      \
			skip();                                                \
		}                                                              \
	} while (0)

static bool
xdp_prog_on(const char *ifname)
{
	return run("ip -n %s link show %s | grep -q prog/xdp", env.ns,
		   ifname) == 0;
}

/* Opens an AF_XDP port; skips when the kernel cannot (no AF_XDP). */
static struct io_port *
xdp_open(const char *ifname, enum io_xdp_mode mode, uint16_t index)
{
	struct io_port_config c = {
		.ifname = ifname,
		.kind = IO_XDP,
		.xdp_mode = mode,
		.frames = 512,
	};
	struct cen_err err = { 0 };
	struct io_port *p;
	int slot;

	for (slot = 0; slot < OPEN_PORTS && open_ports[slot]; slot++)
		;
	assert_true(slot < OPEN_PORTS);
	if (io_port_open(&c, index, &p, &err) != 0) {
		if (strstr(err.msg, "not supported") != NULL) {
			print_message("skipped: %s\n", err.msg);
			skip();
		}
		fail_msg("io_port_open %s: %s", ifname, err.msg);
	}
	open_ports[slot] = p;
	return p;
}

static void
xdp_rx_and_tx(enum io_xdp_mode mode)
{
	static const uint16_t q[] = { 0x8100, 0x2064 };
	static struct got got[3];
	static uint8_t f[3][FRAME_MAX], buf[FRAME_MAX + 4];
	struct io_port_stats st;
	struct io_pkt pk[2];
	struct io_port *p;
	size_t len[3], n;

	NEED_XDP();
	p = xdp_open(env.a, mode, 9);
	assert_true(xdp_prog_on(env.a));
	len[0] = mkframe(f[0], 60, mac_x, mac_y, NULL, 0, 1);
	len[1] = mkframe(f[1], 1514, mac_x, mac_y, NULL, 0, 2);
	len[2] = mkframe(f[2], 64, mac_x, mac_y, q, 1, 3);
	for (int i = 0; i < 3; i++)
		peer_send(env.peer_b, env.b, f[i], len[i]);
	port_recv(p, got, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(got[i].len, len[i]);
		assert_memory_equal(got[i].data, f[i], len[i]);
		assert_int_equal(got[i].port, 9);
		assert_true(got[i].headroom >= IO_HEADROOM_DEFAULT);
	}
	/* and back out, a tagged one too */
	pk[0].data = f[0];
	pk[0].len = (uint32_t)mkframe(f[0], 60, mac_y, mac_x, NULL, 0, 20);
	pk[1].data = f[2];
	pk[1].len = (uint32_t)mkframe(f[2], 1518, mac_y, mac_x, q, 1, 21);
	assert_int_equal(io_tx_burst(p, pk, 2), 2);
	io_tx_flush(p);
	for (int i = 0; i < 2; i++) {
		n = peer_recv(env.peer_b, buf, sizeof(buf));
		assert_int_equal(n, pk[i].len);
		assert_memory_equal(buf, pk[i].data, n);
	}
	io_port_stats(p, &st);
	assert_true(st.rx_packets >= 3);
	assert_int_equal(st.tx_packets, 2);
	assert_int_equal(st.tx_errors, 0);
	/* closing takes the program off the interface */
	teardown(NULL);
	assert_false(xdp_prog_on(env.a));
}

static void
test_io_xdp_native_rx_and_tx_frames_unchanged(void **state)
{
	xdp_rx_and_tx(IO_XDP_NATIVE);
}

static void
test_io_xdp_generic_rx_and_tx_frames_unchanged(void **state)
{
	xdp_rx_and_tx(IO_XDP_GENERIC);
}

static void
test_io_xdp_frame_rewritten_in_place_goes_out_another_port(void **state)
{
	struct io_port_config ca = { .ifname = env.a, .kind = IO_XDP };
	struct io_port_config cc = { .ifname = env.c, .kind = IO_XDP };

	NEED_XDP();
	rewrite_in_place_and_forward(&ca, &cc);
}

int
main(void)
{
	const struct CMUnitTest mem[] = {
		cmocka_unit_test_teardown(
			test_io_mem_rx_hands_out_copies_of_the_templates_round_robin,
			teardown),
		cmocka_unit_test_teardown(
			test_io_mem_tx_counts_and_keeps_the_last_frames,
			teardown),
		cmocka_unit_test_teardown(
			test_io_mem_link_and_mac_come_from_the_port, teardown),
		cmocka_unit_test_teardown(
			test_io_open_rejects_bad_configs_saying_what_to_fix,
			teardown),
	};
	const struct CMUnitTest veth[] = {
		cmocka_unit_test_teardown(
			test_io_afpacket_port_reports_the_interface, teardown),
		cmocka_unit_test_teardown(
			test_io_afpacket_rx_gives_frames_as_on_the_wire_tags_included,
			teardown),
		cmocka_unit_test_teardown(
			test_io_afpacket_tx_ring_sends_frames_unchanged,
			teardown),
		cmocka_unit_test_teardown(
			test_io_afpacket_tx_sendmmsg_sends_frames_unchanged,
			teardown),
		cmocka_unit_test_teardown(
			test_io_afpacket_burst_frames_stay_valid_until_the_next_burst,
			teardown),
		cmocka_unit_test_teardown(
			test_io_afpacket_frame_rewritten_in_place_goes_out_another_port,
			teardown),
		cmocka_unit_test_teardown(
			test_io_afpacket_finishes_partial_udp_checksums,
			teardown),
		cmocka_unit_test_teardown(
			test_io_afpacket_link_up_follows_the_carrier, teardown),
		cmocka_unit_test_teardown(
			test_io_afpacket_counts_frames_dropped_on_a_full_ring,
			teardown),
		cmocka_unit_test_teardown(
			test_io_xdp_native_rx_and_tx_frames_unchanged,
			teardown),
		cmocka_unit_test_teardown(
			test_io_xdp_generic_rx_and_tx_frames_unchanged,
			teardown),
		cmocka_unit_test_teardown(
			test_io_xdp_frame_rewritten_in_place_goes_out_another_port,
			teardown),
	};
	int rc;

	/* an early exit still removes the namespace */
	atexit(ns_remove);
	rc = cmocka_run_group_tests_name("io_mem", mem, NULL, NULL);
	rc += cmocka_run_group_tests_name("io_veth", veth, group_setup,
					  group_teardown);
	return rc;
}
