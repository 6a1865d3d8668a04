/*
 * sessions.c - many BGP sessions against one cend node.
 *
 *   sessions --dut 127.0.60.1:1790 --sessions 500 --prefixes 1000 \
 *            [--src 127.1.0.1] [--asn 4200000001] [--hold 30] [--stay 60]
 *            [--per-update 200] [--timeout 120] [--linger 0]
 *
 * Session i binds source address SRC + i, speaks as AS ASN + i, connects to
 * the node (which must have it configured as a passive peer), and once
 * Established announces its own PREFIXES IPv4 /24s (from 16.0.0.0 on,
 * session after session), PER-UPDATE to an UPDATE, next hop its own
 * address.  Every session sends a KEEPALIVE each third of the hold time and
 * reads (and counts) whatever the node sends.  Before it is Established, a
 * session that is refused, closed, or hears nothing for CONNECT_RETRY
 * seconds connects again a second later, as a router would (ConnectRetry):
 * a daemon with a short listen queue takes a burst of connections over
 * several tries.  Once every session is
 * Established and has written its prefixes, all are kept for STAY seconds:
 * a session that gets a NOTIFICATION, is closed, or hears nothing for a
 * hold time is lost, and the run fails.
 *
 * Output: key=value lines (times in seconds from the first connect), the
 * last one "result: ok" or "result: <why not>"; exit status 0 only for ok.
 * With --linger, the sessions stay up (with their keepalives) that many
 * seconds after "result: ok", so that the node can be asked about them.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BGP_HDR	      19
#define BGP_MAX	      4096
#define T_OPEN	      1
#define T_UPDATE      2
#define T_NOTIFY      3
#define T_KEEPALIVE   4
#define AS_TRANS      23456
#define PFX_BASE      (16u << 24) /* 16.0.0.0: the first /24 announced */
#define EVENTS	      256
#define SESSIONS_MAX  4096
#define CONNECT_RETRY 5.0 /* seconds without an answer before Established */

enum state {
	S_IDLE, /* waiting to connect again */
	S_CONNECTING,
	S_OPENSENT,
	S_OPENCONFIRM,
	S_ESTABLISHED,
	S_LOST
};

struct buf {
	uint8_t *p;
	size_t len, off, cap;
};

struct session {
	int fd;
	enum state state;
	uint32_t src; /* host order */
	uint32_t asn;
	struct buf in, out;
	bool announced;	     /* every prefix written to out */
	double last_rx;	     /* any message from the node */
	double next_ka;	     /* when our next KEEPALIVE is due */
	uint64_t updates_rx; /* UPDATEs from the node */
	double retry_at;     /* S_IDLE: when to connect again */
	unsigned retries;    /* connections tried again */
	char why[96];	     /* why the session was lost */
};

static struct session *sess;
static unsigned nsess = 500, nprefixes = 1000, per_update = 200;
static unsigned hold_s = 30, stay_s = 60, linger_s;
static double timeout_s = 120;
static uint32_t src_base, dut_addr, asn_base = 4200000001u;
static uint16_t dut_port;
static int ep;

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sessions: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	printf("result: error\n");
	exit(2);
}

static void
usage(void)
{
	fprintf(stderr, "usage: sessions --dut HOST:PORT [--sessions N] "
			"[--prefixes M]\n"
			"                [--src ADDR] [--asn AS] [--hold S] "
			"[--stay S]\n"
			"                [--per-update K] [--timeout S] "
			"[--linger S]\n");
	exit(2);
}

static void
buf_put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			die("out of memory");
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A message header for a body of len bytes, then the body. */
static void
msg(struct session *s, uint8_t type, const uint8_t *body, size_t len)
{
	uint8_t h[BGP_HDR];

	memset(h, 0xff, 16);
	put16(h + 16, (unsigned)(BGP_HDR + len));
	h[18] = type;
	buf_put(&s->out, h, sizeof(h));
	if (len > 0)
		buf_put(&s->out, body, len);
}

static void
send_open(struct session *s)
{
	uint8_t b[64], *w = b;
	uint32_t id = htonl(s->src);

	*w++ = 4;
	put16(w, s->asn > 0xffff ? AS_TRANS : s->asn);
	w += 2;
	put16(w, hold_s);
	w += 2;
	memcpy(w, &id, 4);
	w += 4;
	/* optional parameters: capabilities multiprotocol IPv4 unicast and
	 * four-octet AS number */
	*w++ = 2 + 6 + 6; /* one parameter: two capabilities */
	*w++ = 2;	  /* capabilities */
	*w++ = 6 + 6;
	*w++ = 1; /* multiprotocol */
	*w++ = 4;
	put16(w, 1); /* AFI IPv4 */
	w += 2;
	*w++ = 0;
	*w++ = 1;  /* SAFI unicast */
	*w++ = 65; /* four-octet AS */
	*w++ = 4;
	*w++ = (uint8_t)(s->asn >> 24);
	*w++ = (uint8_t)(s->asn >> 16);
	*w++ = (uint8_t)(s->asn >> 8);
	*w++ = (uint8_t)s->asn;
	msg(s, T_OPEN, b, (size_t)(w - b));
}

/* The session's prefixes, per_update to an UPDATE: ORIGIN IGP, AS_PATH
 * (one AS_SEQUENCE of the session's AS, four octets), NEXT_HOP its own
 * address. */
static void
send_prefixes(struct session *s, unsigned index)
{
	uint8_t b[BGP_MAX], *w;
	uint32_t first = PFX_BASE + ((uint32_t)index * nprefixes << 8);
	uint32_t nh = htonl(s->src);

	for (unsigned k = 0; k < nprefixes;) {
		unsigned n =
			nprefixes - k < per_update ? nprefixes - k : per_update;

		w = b;
		put16(w, 0); /* no withdrawn routes */
		w += 2;
		put16(w, 4 + (3 + 6) + (3 + 4)); /* the attributes below */
		w += 2;
		*w++ = 0x40; /* ORIGIN */
		*w++ = 1;
		*w++ = 1;
		*w++ = 0;    /* IGP */
		*w++ = 0x40; /* AS_PATH */
		*w++ = 2;
		*w++ = 6;
		*w++ = 2; /* AS_SEQUENCE */
		*w++ = 1;
		*w++ = (uint8_t)(s->asn >> 24);
		*w++ = (uint8_t)(s->asn >> 16);
		*w++ = (uint8_t)(s->asn >> 8);
		*w++ = (uint8_t)s->asn;
		*w++ = 0x40; /* NEXT_HOP */
		*w++ = 3;
		*w++ = 4;
		memcpy(w, &nh, 4);
		w += 4;
		for (unsigned j = 0; j < n; j++, k++) {
			uint32_t a = first + ((uint32_t)k << 8);

			*w++ = 24;
			*w++ = (uint8_t)(a >> 24);
			*w++ = (uint8_t)(a >> 16);
			*w++ = (uint8_t)(a >> 8);
		}
		msg(s, T_UPDATE, b, (size_t)(w - b));
	}
	s->announced = true;
}

static void
lose(struct session *s, const char *fmt, ...)
{
	va_list ap;

	if (s->state == S_LOST || s->state == S_IDLE)
		return;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	if (s->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
		close(s->fd);
		s->fd = -1;
	}
	s->in.len = s->in.off = s->out.len = s->out.off = 0;
	if (s->state == S_ESTABLISHED) {
		s->state = S_LOST;
	} else {
		/* not up yet: connect again, as ConnectRetry would */
		s->state = S_IDLE;
		s->retry_at = now() + 1.0;
		s->retries++;
	}
}

static void
want_write(struct session *s, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0),
				  .data.ptr = s };

	epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
}

static void
flush(struct session *s)
{
	while (s->out.off < s->out.len) {
		ssize_t n = write(s->fd, s->out.p + s->out.off,
				  s->out.len - s->out.off);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			lose(s, "write: %s", strerror(errno));
			return;
		}
		s->out.off += (size_t)n;
	}
	if (s->out.off == s->out.len)
		s->out.off = s->out.len = 0;
	want_write(s, s->out.len > 0);
}

static void
on_message(struct session *s, unsigned index, uint8_t type, const uint8_t *body,
	   size_t len)
{
	switch (type) {
	case T_OPEN:
		if (s->state != S_OPENSENT) {
			lose(s, "OPEN in state %d", s->state);
			return;
		}
		msg(s, T_KEEPALIVE, NULL, 0);
		s->state = S_OPENCONFIRM;
		break;
	case T_KEEPALIVE:
		if (s->state == S_OPENCONFIRM) {
			s->state = S_ESTABLISHED;
			send_prefixes(s, index);
		}
		break;
	case T_UPDATE:
		s->updates_rx++;
		break;
	case T_NOTIFY:
		lose(s, "NOTIFICATION %u/%u from the node",
		     len > 0 ? body[0] : 0, len > 1 ? body[1] : 0);
		return;
	default:
		lose(s, "message type %u", type);
		return;
	}
}

static void
on_read(struct session *s, unsigned index)
{
	uint8_t tmp[65536];
	const char *gone = NULL;

	for (;;) {
		ssize_t n = read(s->fd, tmp, sizeof(tmp));

		if (n == 0) {
			gone = "closed by the node";
			break;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			gone = strerror(errno);
			break;
		}
		buf_put(&s->in, tmp, (size_t)n);
	}
	s->last_rx = now();
	while (s->in.len - s->in.off >= BGP_HDR && s->state != S_LOST) {
		const uint8_t *m = s->in.p + s->in.off;
		size_t len = (size_t)m[16] << 8 | m[17];

		if (len < BGP_HDR || len > 65535) {
			lose(s, "bad message length %zu", len);
			return;
		}
		if (s->in.len - s->in.off < len)
			break;
		on_message(s, index, m[18], m + BGP_HDR, len - BGP_HDR);
		s->in.off += len;
	}
	if (s->in.off == s->in.len)
		s->in.off = s->in.len = 0;
	/* what came before the end (a NOTIFICATION, say) says more */
	if (gone != NULL)
		lose(s, "%s", gone);
}

static void
start(struct session *s, unsigned index)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = s };
	int one = 1;

	s->src = src_base + index;
	s->asn = asn_base + index;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	a.sin_addr.s_addr = htonl(s->src);
	if (bind(s->fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		die("bind %s: %s", inet_ntoa(a.sin_addr), strerror(errno));
	a.sin_addr.s_addr = htonl(dut_addr);
	a.sin_port = htons(dut_port);
	if (connect(s->fd, (struct sockaddr *)&a, sizeof(a)) != 0 &&
	    errno != EINPROGRESS)
		die("connect: %s", strerror(errno));
	s->state = S_CONNECTING;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev) != 0)
		die("epoll_ctl: %s", strerror(errno));
}

static void
on_event(struct session *s, uint32_t events)
{
	unsigned index = (unsigned)(s - sess);

	if (s->state == S_LOST)
		return;
	if (s->state == S_CONNECTING && (events & (EPOLLOUT | EPOLLERR))) {
		int err = 0;
		socklen_t l = sizeof(err);

		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err != 0) {
			lose(s, "connect: %s", strerror(err));
			return;
		}
		send_open(s);
		s->state = S_OPENSENT;
		s->last_rx = now();
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		on_read(s, index);
	if (s->state != S_LOST)
		flush(s);
}

static void
parse_hostport(const char *arg, uint32_t *addr, uint16_t *port)
{
	char host[64];
	const char *c = strrchr(arg, ':');
	struct in_addr in;

	if (c == NULL || (size_t)(c - arg) >= sizeof(host))
		die("--dut %s: expected HOST:PORT", arg);
	memcpy(host, arg, (size_t)(c - arg));
	host[c - arg] = '\0';
	if (inet_pton(AF_INET, host, &in) != 1)
		die("--dut %s: expected an IPv4 address", arg);
	*addr = ntohl(in.s_addr);
	*port = (uint16_t)atoi(c + 1);
}

static unsigned
count(enum state st, bool announced)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nsess; i++)
		n += sess[i].state == st && (!announced || sess[i].announced);
	return n;
}

/* One turn of the loop: events, then hold timers and keepalives. */
static double
turn(struct epoll_event *evs)
{
	int n = epoll_wait(ep, evs, EVENTS, 100);
	double t;

	for (int i = 0; i < n; i++)
		on_event(evs[i].data.ptr, evs[i].events);
	t = now();
	for (unsigned i = 0; i < nsess; i++) {
		struct session *s = &sess[i];

		if (s->state == S_IDLE && t >= s->retry_at)
			start(s, i);
		if (s->state == S_LOST || s->state == S_IDLE ||
		    s->state == S_CONNECTING)
			continue;
		if (s->state != S_ESTABLISHED &&
		    t - s->last_rx > CONNECT_RETRY) {
			lose(s, "no answer for %.0f s", CONNECT_RETRY);
			continue;
		}
		if (t - s->last_rx > hold_s) {
			lose(s, "nothing from the node for %u s", hold_s);
			continue;
		}
		if (s->state == S_ESTABLISHED && t >= s->next_ka) {
			msg(s, T_KEEPALIVE, NULL, 0);
			s->next_ka = t + hold_s / 3.0;
			flush(s);
		}
	}
	return t;
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[EVENTS];
	struct in_addr in;
	struct rlimit rl;
	double t0, t_est = 0, t_sent = 0, end;
	const char *dut = NULL;

	inet_pton(AF_INET, "127.1.0.1", &in);
	src_base = ntohl(in.s_addr);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			usage();
		if (!strcmp(a, "--dut"))
			dut = v;
		else if (!strcmp(a, "--sessions"))
			nsess = (unsigned)atoi(v);
		else if (!strcmp(a, "--prefixes"))
			nprefixes = (unsigned)atoi(v);
		else if (!strcmp(a, "--per-update"))
			per_update = (unsigned)atoi(v);
		else if (!strcmp(a, "--hold"))
			hold_s = (unsigned)atoi(v);
		else if (!strcmp(a, "--stay"))
			stay_s = (unsigned)atoi(v);
		else if (!strcmp(a, "--linger"))
			linger_s = (unsigned)atoi(v);
		else if (!strcmp(a, "--timeout"))
			timeout_s = atof(v);
		else if (!strcmp(a, "--asn"))
			asn_base = (uint32_t)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--src")) {
			if (inet_pton(AF_INET, v, &in) != 1)
				die("--src %s: expected an IPv4 address", v);
			src_base = ntohl(in.s_addr);
		} else
			usage();
		i++;
	}
	if (dut == NULL || nsess == 0 || nsess > SESSIONS_MAX ||
	    per_update == 0 || per_update > 900 || hold_s < 3 ||
	    (uint64_t)nsess * nprefixes > (1u << 24) - (PFX_BASE >> 8))
		usage();
	parse_hostport(dut, &dut_addr, &dut_port);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < nsess + 64) {
		rl.rlim_cur =
			rl.rlim_max < nsess + 64 ? rl.rlim_max : nsess + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((sess = calloc(nsess, sizeof(*sess))) == NULL)
		die("out of memory");
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1: %s", strerror(errno));
	t0 = now();
	for (unsigned i = 0; i < nsess; i++)
		start(&sess[i], i);
	end = t0 + timeout_s;
	for (;;) {
		double t = turn(evs);

		if (count(S_LOST, false) > 0)
			break;
		if (t_est == 0 && count(S_ESTABLISHED, false) == nsess) {
			t_est = t;
			printf("established_s=%.3f sessions=%u\n", t_est - t0,
			       nsess);
			fflush(stdout);
		}
		if (t_sent == 0 && count(S_ESTABLISHED, true) == nsess) {
			bool drained = true;

			for (unsigned i = 0; i < nsess; i++)
				drained &= sess[i].out.len == 0;
			if (drained) {
				t_sent = t;
				printf("announced_s=%.3f prefixes=%llu\n",
				       t_sent - t0,
				       (unsigned long long)nsess * nprefixes);
				fflush(stdout);
				end = t + stay_s;
			}
		}
		if (t >= end)
			break;
	}
	if (count(S_LOST, false) > 0) {
		for (unsigned i = 0; i < nsess; i++)
			if (sess[i].state == S_LOST) {
				in.s_addr = htonl(sess[i].src);
				printf("lost session %s AS %u: %s\n",
				       inet_ntoa(in), sess[i].asn, sess[i].why);
			}
		printf("result: %u of %u sessions lost\n", count(S_LOST, false),
		       nsess);
		return 1;
	}
	if (t_sent == 0) {
		printf("result: timeout (%u of %u established)\n",
		       count(S_ESTABLISHED, false), nsess);
		return 1;
	}
	{
		uint64_t rx = 0;

		for (unsigned i = 0; i < nsess; i++)
			rx += sess[i].updates_rx;
		unsigned retries = 0;

		for (unsigned i = 0; i < nsess; i++)
			retries += sess[i].retries;
		printf("stayed_s=%u updates_received=%llu "
		       "connections_retried=%u\n",
		       stay_s, (unsigned long long)rx, retries);
	}
	printf("result: ok\n");
	fflush(stdout);
	for (end = now() + linger_s; now() < end;)
		turn(evs);
	return 0;
}
