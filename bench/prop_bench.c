/*
 * prop_bench.c - propagation from a customer edge to a forwarder's FIB
 * (bench/prop-bench.sh starts a 3-node cluster on loopback and runs this).
 *
 * latency: one process is both ends of the path a route takes.  It is an
 * eBGP customer edge of one cend node (OPEN, KEEPALIVE and UPDATEs built
 * with the speaker's own codec, bgp/bgp.h) and, on the same libuv loop, a
 * forwarder subscribed to the region's FIB (dataplane/fibsub.h) at another
 * node.  Once the FIB is synced, it opens the session; once the node has
 * sent its table and End-of-RIB (the steady state is measured, not a
 * session's start), it announces distinct IPv4 /24s at a fixed rate, one
 * prefix per UPDATE, sent on a 1 ms timer (each tick sends what is due, so
 * a late tick sends a small batch), and records when each was written to
 * the socket; the change callback records when its table entry arrives.
 * It prints p50/p90/p99/p99.9/max of (arrival - send) over the updates
 * after the warm-up, and the stalls: runs of updates slower than
 * PB_STALL_MS, with when they began.  The path measured is the whole one:
 * the speaker's Adj-RIB-In and its LINGER_MS batching, the proposal
 * (forwarded to the leader when node 1 follows), Raft replication and
 * fsync, the apply on the subscriber's node, its FIB stream, and the
 * subscriber's decoding.  Closing the session at the end withdraws what
 * was sent: give each run on the same cluster its own --start.
 * --no-wait-eor starts as soon as the session is up, while the node is
 * still sending its table (what a session's start costs the path).
 *
 * sync: the initial synchronisation of a fresh forwarder.  A fibsub without
 * a data directory (or with a new, empty one) is started; the time to its
 * first message (the node walking its FIB into a snapshot and the first
 * chunk arriving), to the first change callback (every chunk received and
 * collected), and to synced(snapshot) are printed, with the entry count
 * and the CPU time used.  With --start P the snapshot must hold the
 * --expect consecutive /24s from P (what `cenctl route add --count N
 * --start P` loads) in its tables, else --expect entries.  Repeated
 * --repeat times, each with a new subscription (the node builds the
 * snapshot again each time).  --wait first follows each endpoint alone
 * until its FIB holds them all (every node has applied the load).
 *
 * cenfwd: the same for the forwarder daemon itself.  cenfwd --config FILE
 * is started (the file gives io: memory ports, no data directory); its log
 * lines are read from its stderr as they come, timestamped, until it says
 * "FIB complete at version V (N entries)" with N >= --expect; then it is
 * stopped (SIGTERM).  Prints the time from exec to that line, the time to
 * its "subscribing to" line, its CPU time then, and its peak RSS.
 *
 * Usage:
 *   prop_bench latency --bgp SRC:AS@HOST:PORT --hub-as ASN
 *       --endpoints HOST:PORT,... --region R --table T [--rate N]
 *       [--updates N] [--warmup N] [--start PREFIX] [--no-wait-eor]
 *       [--timeout S]
 *   prop_bench sync --endpoints HOST:PORT,... --region R --expect N
 *       [--start PREFIX] [--wait] [--repeat K] [--data-dir DIR]
 *       [--timeout S]
 *   prop_bench cenfwd --cenfwd PATH --config FILE --expect N [--repeat K]
 *       [--timeout S]
 * Every mode ends with one JSON line (--json-only: that line alone).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "bgp/bgp.h"
#include "core/attr.h"
#include "dataplane/fibsub.h"

#define PB_EP_MAX	FIBSUB_ENDPOINTS_MAX
#define PB_HOLD_S	90
#define PB_KEEPALIVE_MS 30000
#define PB_TICK_MS	1
#define PB_CONNECT_MS	200 /* pause between connection attempts */
#define PB_LINE_MAX	1024
#define PB_STALL_MS	50 /* an update slower than this is in a stall */
#define PB_STALLS_SHOWN 12

struct opts {
	const char *mode;
	/* latency */
	struct sockaddr_in src, dst;
	uint32_t as, hub_as;
	const char *table;
	double rate;
	uint32_t updates, warmup;
	struct prefix start;
	/* sync, cenfwd */
	const char *ep[PB_EP_MAX];
	size_t nep;
	const char *region;
	const char *data_dir;
	uint64_t expect;
	unsigned repeat;
	const char *cenfwd, *config;
	double timeout_s;
	bool wait;
	bool no_wait_eor;
	bool json_only;
};

static struct opts o = {
	.rate = 1000,
	.updates = 10000,
	.warmup = 1000,
	.repeat = 3,
	.timeout_s = 120,
};

static uv_loop_t loop;

/* ---- helpers ------------------------------------------------------- */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("prop_bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Progress and tables: not with --json-only. */
static void
say(const char *fmt, ...)
{
	va_list ap;

	if (o.json_only)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static uint64_t
now_ns(void)
{
	return uv_hrtime();
}

static double
ms_since(uint64_t t0, uint64_t t)
{
	return (double)(t - t0) / 1e6;
}

/* CPU seconds this process has used. */
static double
cpu_self(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static double
pct(const double *v, size_t n, double q)
{
	size_t k = (size_t)ceil(q * (double)n);

	if (n == 0)
		return 0;
	return v[k == 0 ? 0 : k - 1];
}

static void
parse_sockaddr(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *c = strrchr(s, ':');
	size_t n = c ? (size_t)(c - s) : 0;

	if (c == NULL || n == 0 || n >= sizeof(host))
		die("expected ADDRESS:PORT, got \"%s\"", s);
	memcpy(host, s, n);
	host[n] = '\0';
	if (uv_ip4_addr(host, atoi(c + 1), sa) != 0)
		die("\"%s\": expected an IPv4 address and a port", s);
}

/* --bgp SRC:AS@HOST:PORT */
static void
parse_bgp(const char *s)
{
	char buf[128];
	char *at, *c;

	snprintf(buf, sizeof(buf), "%s", s);
	if ((at = strchr(buf, '@')) == NULL || (c = strchr(buf, ':')) == NULL ||
	    c > at)
		die("--bgp: expected SRC:AS@HOST:PORT, got \"%s\"", s);
	*at = '\0';
	*c = '\0';
	if (uv_ip4_addr(buf, 0, &o.src) != 0)
		die("--bgp: bad source address \"%s\"", buf);
	o.as = (uint32_t)strtoul(c + 1, NULL, 10);
	parse_sockaddr(at + 1, &o.dst);
}

static void
parse_endpoints(const char *s)
{
	char *dup = strdup(s), *tok, *save = NULL;

	for (tok = strtok_r(dup, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o.nep == PB_EP_MAX)
			die("--endpoints: at most %d", PB_EP_MAX);
		o.ep[o.nep++] = tok; /* dup is kept for the run */
	}
}

static void
fibsub_log(const char *line, void *arg)
{
	(void)arg;
	if (!o.json_only)
		fprintf(stderr, "prop_bench: fibsub: %s\n", line);
}

/* ---- latency: the BGP session -------------------------------------- */

enum {
	SESS_CONNECTING,
	SESS_OPENSENT,
	SESS_OPENCONFIRM,
	SESS_ESTABLISHED
};

struct wreq {
	uv_write_t req;
	uint8_t data[];
};

static struct {
	uv_tcp_t tcp;
	bool tcp_live; /* tcp is initialised and not closed */
	uv_connect_t conn;
	uv_timer_t retry, keepalive, tick, deadline;
	int state;
	uint8_t *in;
	size_t inlen, incap;
	struct bgp_opts bo;
	struct bgp_caps caps;
	struct attr_store st;
	const struct attrs *attrs;
	uint64_t connect_until;
	uint64_t t_est;	     /* the session came up */
	bool eor;	     /* the node's End-of-RIB came */
	uint64_t rx_updates; /* UPDATEs before it */

	struct fibsub *fs;
	bool synced;
	bool sending;
	uint64_t t0;	     /* first UPDATE due */
	uint32_t sent;	     /* UPDATEs written */
	uint32_t arrived;    /* of them, in the FIB */
	uint64_t *sent_ns;   /* per prefix */
	uint64_t *arr_ns;    /* per prefix */
	uint32_t base;	     /* first prefix, host order */
	uint32_t late_ticks; /* ticks that sent more than one UPDATE */
	uint64_t t_last_sent;
	bool done;
} L;

static void sess_connect(void);

static void
on_written(uv_write_t *req, int status)
{
	if (status < 0 && !L.done)
		die("BGP session: write: %s", uv_strerror(status));
	free(req);
}

/* Writes the bytes of w to the session (copied when the kernel does not
 * take them at once) and empties w. */
static void
sess_send(struct wbuf *w)
{
	uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)w->len);
	struct wreq *r;
	int n = 0;

	if (wbuf_status(w) != 0)
		die("BGP: out of memory");
	if (w->len == 0)
		return;
	if (uv_stream_get_write_queue_size((uv_stream_t *)&L.tcp) == 0)
		n = uv_try_write((uv_stream_t *)&L.tcp, &b, 1);
	if (n == UV_EAGAIN)
		n = 0;
	if (n < 0)
		die("BGP session: write: %s", uv_strerror(n));
	if ((size_t)n < w->len) {
		r = malloc(sizeof(*r) + w->len - (size_t)n);
		if (r == NULL)
			die("out of memory");
		memcpy(r->data, w->data + n, w->len - (size_t)n);
		b = uv_buf_init((char *)r->data,
				(unsigned)(w->len - (size_t)n));
		if ((n = uv_write(&r->req, (uv_stream_t *)&L.tcp, &b, 1,
				  on_written)) != 0)
			die("BGP session: write: %s", uv_strerror(n));
	}
	wbuf_reset(w);
}

static void
send_keepalive(uv_timer_t *t)
{
	struct wbuf w;

	(void)t;
	wbuf_init(&w);
	bgp_msg_keepalive_build(&w);
	sess_send(&w);
	wbuf_free(&w);
}

static void
send_open(void)
{
	struct bgp_open op = { 0 };
	struct wbuf w;

	op.version = BGP_VERSION;
	op.as = o.as > UINT16_MAX ? BGP_AS_TRANS : (uint16_t)o.as;
	op.holdtime = PB_HOLD_S;
	op.bgp_id = ntohl(o.src.sin_addr.s_addr);
	op.caps.mp = BGP_AID_BIT(BGP_AID_IPV4);
	op.caps.as4 = true;
	op.caps.as4_asn = o.as;
	op.caps.route_refresh = true;
	L.caps = op.caps;
	wbuf_init(&w);
	if (bgp_msg_open_build(&w, &op) != 0)
		die("BGP: cannot build the OPEN");
	sess_send(&w);
	wbuf_free(&w);
	L.state = SESS_OPENSENT;
}

static void maybe_start(void);

static void
on_msg(const uint8_t *m, size_t len, uint8_t type)
{
	struct bgp_notify nf;
	struct bgp_open op;
	struct wbuf w;

	switch (type) {
	case BGP_MSG_OPEN:
		if (bgp_msg_open_parse(m, len, o.hub_as, &op, &nf) != 0)
			die("BGP: the node's OPEN does not parse (%u/%u)",
			    nf.code, nf.subcode);
		bgp_msg_opts_init(&L.bo, o.as, o.hub_as);
		bgp_msg_negotiate(&L.bo, &L.caps, &op.caps);
		wbuf_init(&w);
		bgp_msg_keepalive_build(&w);
		sess_send(&w);
		wbuf_free(&w);
		L.state = SESS_OPENCONFIRM;
		break;
	case BGP_MSG_KEEPALIVE:
		if (L.state == SESS_OPENCONFIRM) {
			L.state = SESS_ESTABLISHED;
			L.t_est = now_ns();
			say("BGP session with %s:%u established\n",
			    inet_ntoa(o.dst.sin_addr), ntohs(o.dst.sin_port));
			maybe_start();
		}
		break;
	case BGP_MSG_UPDATE:
		/* the node's table for our attachment, then End-of-RIB (an
		 * empty UPDATE): we start once it has come */
		if (len > BGP_UPDATE_MIN_LEN) {
			L.rx_updates++;
		} else if (!L.eor) {
			L.eor = true;
			say("End-of-RIB from the node %.3f s after the session "
			    "came up (%llu UPDATEs before it)\n",
			    ms_since(L.t_est, now_ns()) / 1e3,
			    (unsigned long long)L.rx_updates);
			maybe_start();
		}
		break;
	case BGP_MSG_NOTIFICATION:
		if (bgp_msg_notify_parse(m, len, &nf) == 0)
			die("BGP: NOTIFICATION %u/%u from the node", nf.code,
			    nf.subcode);
		die("BGP: a NOTIFICATION that does not parse");
		break;
	default:
		break; /* what the node advertises to us is not measured */
	}
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)h;
	(void)hint;
	if (L.incap - L.inlen < 65536) {
		L.incap = L.incap * 2 + 65536;
		if ((L.in = realloc(L.in, L.incap)) == NULL)
			die("out of memory");
	}
	*b = uv_buf_init((char *)L.in + L.inlen, (unsigned)(L.incap - L.inlen));
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct bgp_notify nf;
	size_t off = 0;
	uint8_t type;
	int len;

	(void)s;
	(void)b;
	if (n < 0) {
		if (L.done)
			return;
		die("BGP session closed by the node: %s", uv_strerror((int)n));
	}
	L.inlen += (size_t)n;
	while ((len = bgp_msg_frame(L.in + off, L.inlen - off, BGP_EXT_MAX_LEN,
				    &type, &nf)) > 0) {
		on_msg(L.in + off, (size_t)len, type);
		off += (size_t)len;
	}
	if (len < 0)
		die("BGP: a bad message header from the node (%u/%u)", nf.code,
		    nf.subcode);
	memmove(L.in, L.in + off, L.inlen - off);
	L.inlen -= off;
}

static void
retry_cb(uv_timer_t *t)
{
	(void)t;
	sess_connect();
}

static void
tcp_closed(uv_handle_t *h)
{
	(void)h;
	L.tcp_live = false;
	if (L.done)
		return;
	if (uv_now(&loop) > L.connect_until)
		die("BGP: cannot connect to %s:%u", inet_ntoa(o.dst.sin_addr),
		    ntohs(o.dst.sin_port));
	uv_timer_start(&L.retry, retry_cb, PB_CONNECT_MS, 0);
}

static void
on_connect(uv_connect_t *c, int status)
{
	(void)c;
	if (status < 0) {
		/* the node may not run the session yet: try again */
		uv_close((uv_handle_t *)&L.tcp, tcp_closed);
		return;
	}
	uv_tcp_nodelay(&L.tcp, 1);
	uv_read_start((uv_stream_t *)&L.tcp, on_alloc, on_read);
	send_open();
	uv_timer_start(&L.keepalive, send_keepalive, PB_KEEPALIVE_MS,
		       PB_KEEPALIVE_MS);
}

static void
sess_connect(void)
{
	int rc;

	uv_tcp_init(&loop, &L.tcp);
	L.tcp_live = true;
	if ((rc = uv_tcp_bind(&L.tcp, (const struct sockaddr *)&o.src, 0)) != 0)
		die("BGP: bind %s: %s", inet_ntoa(o.src.sin_addr),
		    uv_strerror(rc));
	L.state = SESS_CONNECTING;
	if ((rc = uv_tcp_connect(&L.conn, &L.tcp,
				 (const struct sockaddr *)&o.dst,
				 on_connect)) != 0)
		die("BGP: connect: %s", uv_strerror(rc));
}

/* ---- latency: sending and receiving -------------------------------- */

static void
prefix_of(uint32_t i, struct prefix *p)
{
	prefix_from_v4(p, L.base + (i << 8), 24);
}

static void finish_latency(void);

/* Stalls: runs of consecutive measured updates (in the order sent) that
 * took over PB_STALL_MS, which is what a pause of some part of the path (a
 * node busy with one long task) looks like.  Prints the first few; returns
 * how many there were and, in *n_upd, how many updates they held. */
static uint32_t
stalls(uint32_t *n_upd)
{
	uint32_t runs = 0, in = 0, first = 0;
	double worst = 0;

	*n_upd = 0;
	for (uint32_t i = o.warmup; i <= o.updates; i++) {
		double ms = i < o.updates && L.arr_ns[i] != 0
				    ? ms_since(L.sent_ns[i], L.arr_ns[i])
				    : 0;

		if (ms > PB_STALL_MS) {
			if (in++ == 0) {
				first = i;
				worst = 0;
			}
			worst = ms > worst ? ms : worst;
			continue;
		}
		if (in == 0)
			continue;
		if (runs++ < PB_STALLS_SHOWN)
			say("  stall at %6.3f s: %4u updates over %d ms, up to "
			    "%.1f ms\n",
			    ms_since(L.t0, L.sent_ns[first]) / 1e3, in,
			    PB_STALL_MS, worst);
		*n_upd += in;
		in = 0;
	}
	if (runs > PB_STALLS_SHOWN)
		say("  (%u stalls in all)\n", runs);
	return runs;
}

/* Sends every UPDATE due by now: one prefix each, back to back. */
static void
on_tick(uv_timer_t *t)
{
	uint64_t now = now_ns();
	double due_f = (double)(now - L.t0) / 1e9 * o.rate + 1;
	uint32_t due = due_f > o.updates ? o.updates : (uint32_t)due_f;
	uint32_t first = L.sent;
	struct wbuf w;

	(void)t;
	if (L.sent >= due)
		return;
	wbuf_init(&w);
	for (; L.sent < due; L.sent++) {
		struct prefix p;

		prefix_of(L.sent, &p);
		if (bgp_update_build_reach(&w, &L.bo, BGP_AID_IPV4, L.attrs,
					   NULL, &p, 1) != 1)
			die("BGP: cannot build an UPDATE");
	}
	now = now_ns();
	sess_send(&w);
	wbuf_free(&w);
	for (uint32_t i = first; i < L.sent; i++)
		L.sent_ns[i] = now;
	if (L.sent - first > 1)
		L.late_ticks++;
	if (L.sent == o.updates) {
		L.t_last_sent = now;
		uv_timer_stop(&L.tick);
		say("sent %u UPDATEs in %.3f s; waiting for the FIB\n", L.sent,
		    ms_since(L.t0, now) / 1e3);
	}
}

static void
on_change(const struct fibmsg_entry *e, void *arg)
{
	uint32_t a, i;

	(void)arg;
	if (e->withdrawn || e->no_route || e->view[0] != '\0' ||
	    e->prefix.family != PREFIX_AF_INET || e->prefix.len != 24 ||
	    strcmp(e->table, o.table) != 0)
		return;
	a = prefix_v4(&e->prefix);
	if (a < L.base || ((a - L.base) >> 8) >= o.updates)
		return;
	i = (a - L.base) >> 8;
	if (L.sent_ns[i] == 0 || L.arr_ns[i] != 0)
		return; /* not ours, or not sent yet */
	L.arr_ns[i] = now_ns();
	if (++L.arrived == o.updates)
		finish_latency();
}

static void
on_synced(uint64_t version, bool snapshot, void *arg)
{
	(void)arg;
	if (L.synced)
		return;
	L.synced = true;
	say("FIB synced at version %llu (%zu entries, %s)\n",
	    (unsigned long long)version, fibsub_count(L.fs),
	    snapshot ? "snapshot" : "delta");
	/* the session only now: our loop is free to read the node's table
	 * as fast as it comes */
	L.connect_until = uv_now(&loop) + 30000;
	sess_connect();
}

/* Starts sending once the FIB is held and then the session is up and the
 * node has sent its table (the steady state is measured, not the
 * session's start), after checking that none of the prefixes to send is there already (its
 * announcement would change nothing in the FIB). */
static void
maybe_start(void)
{
	struct fibmsg_entry e;
	uint32_t held = 0;

	if (L.sending || !L.synced || L.state != SESS_ESTABLISHED ||
	    (!L.eor && !o.no_wait_eor))
		return;
	for (uint32_t i = 0; i < o.updates; i++) {
		struct prefix p;

		prefix_of(i, &p);
		if (fibsub_get(L.fs, o.table, NULL, &p, &e) == 0)
			held++;
	}
	if (held > 0)
		die("%u of the prefixes to send are in %s already: give "
		    "another --start",
		    held, o.table);
	L.sending = true;
	L.t0 = now_ns();
	say("sending %u UPDATEs at %.0f/s (%u of warm-up)\n", o.updates, o.rate,
	    o.warmup);
	uv_timer_start(&L.tick, on_tick, 0, PB_TICK_MS);
}

static void
on_deadline(uv_timer_t *t)
{
	(void)t;
	say("timed out after %.0f s: %u sent, %u in the FIB\n", o.timeout_s,
	    L.sent, L.arrived);
	finish_latency();
}

static void
tcp_done(uv_handle_t *h)
{
	(void)h;
	L.tcp_live = false;
}

static void
finish_latency(void)
{
	uint32_t n = 0, missing = 0, nstalls, stall_upd;
	double *v = malloc((o.updates + 1) * sizeof(*v)), sum = 0;

	if (L.done)
		return;
	L.done = true;
	if (v == NULL)
		die("out of memory");
	for (uint32_t i = o.warmup; i < o.updates; i++) {
		if (L.arr_ns[i] == 0) {
			missing++;
			continue;
		}
		v[n] = ms_since(L.sent_ns[i], L.arr_ns[i]);
		sum += v[n++];
	}
	qsort(v, n, sizeof(*v), cmp_double);
	double secs = L.t_last_sent ? ms_since(L.t0, L.t_last_sent) / 1e3 : 0;
	double p50 = pct(v, n, .50), p90 = pct(v, n, .90);
	double p99 = pct(v, n, .99), p999 = pct(v, n, .999);
	double mx = n ? v[n - 1] : 0, mean = n ? sum / n : 0;

	say("\nCE UPDATE -> forwarder FIB, %u updates measured after %u of "
	    "warm-up, %.0f/s offered, %.0f/s sent\n",
	    n, o.warmup, o.rate, secs > 0 ? (o.updates - 1) / secs : 0);
	say("  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max "
	    "%.2f ms  mean %.2f ms\n",
	    p50, p90, p99, p999, mx, mean);
	say("  missing %u; 1 ms ticks that sent more than one UPDATE: %u\n",
	    missing, L.late_ticks);
	nstalls = stalls(&stall_upd);
	printf("{\"bench\":\"prop_latency\",\"updates\":%u,\"warmup\":%u,"
	       "\"rate\":%.0f,\"sent_rate\":%.0f,\"measured\":%u,"
	       "\"missing\":%u,\"late_ticks\":%u,\"stalls\":%u,"
	       "\"stall_updates\":%u,\"ms\":{\"p50\":%.3f,\"p90\":%.3f,"
	       "\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f,\"mean\":%.3f}}\n",
	       o.updates, o.warmup, o.rate,
	       secs > 0 ? (o.updates - 1) / secs : 0, n, missing, L.late_ticks,
	       nstalls, stall_upd, p50, p90, p99, p999, mx, mean);
	fflush(stdout);
	free(v);
	if (missing > 0)
		exit(1);
	/* closing the session withdraws what it announced */
	uv_timer_stop(&L.tick);
	uv_timer_stop(&L.keepalive);
	uv_timer_stop(&L.deadline);
	uv_timer_stop(&L.retry);
	fibsub_stop(L.fs);
	if (L.tcp_live && !uv_is_closing((uv_handle_t *)&L.tcp))
		uv_close((uv_handle_t *)&L.tcp, tcp_done);
	uv_close((uv_handle_t *)&L.tick, NULL);
	uv_close((uv_handle_t *)&L.keepalive, NULL);
	uv_close((uv_handle_t *)&L.deadline, NULL);
	uv_close((uv_handle_t *)&L.retry, NULL);
}

static int
run_latency(void)
{
	struct fibsub_config fc = { 0 };
	struct cen_err err = { 0 };
	uint32_t asn = o.as;
	struct attrs a;

	if (o.as == 0 || o.hub_as == 0 || o.table == NULL || o.nep == 0 ||
	    o.region == NULL || o.rate <= 0 || o.updates == 0 ||
	    o.warmup >= o.updates)
		die("latency: needs --bgp, --hub-as, --endpoints, --region, "
		    "--table, and --warmup below --updates");
	if (o.start.family != PREFIX_AF_INET || o.start.len != 24)
		prefix_from_v4(&o.start, 0x78000000u, 24); /* 120.0.0.0/24 */
	L.base = prefix_v4(&o.start);
	if ((uint64_t)L.base + ((uint64_t)o.updates << 8) > 0xe0000000u)
		die("--start: %u /24s from there run into class D", o.updates);
	L.sent_ns = calloc(o.updates, sizeof(*L.sent_ns));
	L.arr_ns = calloc(o.updates, sizeof(*L.arr_ns));
	if (L.sent_ns == NULL || L.arr_ns == NULL)
		die("out of memory");

	/* one attribute set for every UPDATE: what a CE sends for its own
	 * prefixes (AS_PATH its AS, NEXT_HOP itself) */
	attr_store_init(&L.st);
	attr_init(&a);
	a.origin = ATTR_ORIGIN_IGP;
	a.aspath = attr_aspath_seq(&L.st, &asn, 1);
	prefix_from_v4(&a.nexthop, ntohl(o.src.sin_addr.s_addr), 32);
	if ((L.attrs = attr_intern(&L.st, &a)) == NULL)
		die("out of memory");
	attr_aspath_unref(&L.st, a.aspath);

	fc.region = o.region;
	fc.endpoints = o.ep;
	fc.nendpoints = o.nep;
	fc.subscriber_id = "prop-bench";
	fc.change = on_change;
	fc.synced = on_synced;
	fc.log = fibsub_log;
	if (fibsub_new(&loop, &fc, &L.fs, &err) != 0)
		die("fibsub: %s", err.msg);
	uv_timer_init(&loop, &L.retry);
	uv_timer_init(&loop, &L.keepalive);
	uv_timer_init(&loop, &L.tick);
	uv_timer_init(&loop, &L.deadline);
	uv_timer_start(&L.deadline, on_deadline, (uint64_t)(o.timeout_s * 1e3),
		       0);
	fibsub_start(L.fs);
	uv_run(&loop, UV_RUN_DEFAULT);
	attr_unref(&L.st, L.attrs);
	attr_store_fini(&L.st, false);
	free(L.in);
	free(L.sent_ns);
	free(L.arr_ns);
	return 0;
}

/* ---- sync: a fresh fibsub ------------------------------------------ */

/* One subscription.  With --start the N = --expect consecutive /24s from
 * there (what `cenctl route add --count N --start P` loaded) are counted
 * in the table's own entries as they come; without it, the entries. */
static struct {
	struct fibsub *fs;
	bool wait; /* follow deltas until complete (else: first
			 * snapshot only) */
	uv_check_t check;
	uv_timer_t deadline;
	uint64_t t0, t_first_msg, t_first_change, t_synced;
	double cpu0, cpu; /* CPU seconds at t0, and used until synced */
	uint64_t changes;
	uint8_t *have; /* a bit per counted prefix */
	uint64_t held; /* counted prefixes in the table */
	uint32_t base;
	size_t entries;
	uint64_t version;
	bool over;
} S;

static bool
sync_complete(void)
{
	if (o.start.family == PREFIX_AF_INET)
		return S.held == o.expect;
	return fibsub_count(S.fs) >= o.expect;
}

/* After every loop turn: when did the first message come (fibsub has no
 * callback for it; its counter moves). */
static void
sync_check(uv_check_t *h)
{
	struct fibsub_status st;

	(void)h;
	if (S.t_first_msg != 0 || S.fs == NULL)
		return;
	fibsub_get_status(S.fs, &st);
	if (st.messages > 0)
		S.t_first_msg = now_ns();
}

static void
sync_change(const struct fibmsg_entry *e, void *arg)
{
	uint32_t a, i;
	bool in;

	(void)arg;
	if (S.changes++ == 0)
		S.t_first_change = now_ns();
	if (S.have == NULL || e->view[0] != '\0' ||
	    e->prefix.family != PREFIX_AF_INET || e->prefix.len != 24)
		return;
	a = prefix_v4(&e->prefix);
	if (a < S.base || ((a - S.base) >> 8) >= o.expect)
		return;
	i = (a - S.base) >> 8;
	in = !e->withdrawn && !e->no_route;
	if (in == !!(S.have[i / 8] & (1u << (i % 8))))
		return;
	S.have[i / 8] ^= (uint8_t)(1u << (i % 8));
	S.held += in ? 1 : (uint64_t)-1;
}

static void
sync_end(void)
{
	S.over = true;
	S.entries = fibsub_count(S.fs);
	uv_check_stop(&S.check);
	uv_timer_stop(&S.deadline);
	fibsub_stop(S.fs);
	S.fs = NULL;
}

static void
sync_synced(uint64_t version, bool snapshot, void *arg)
{
	(void)arg;
	if (S.over || (!S.wait && !snapshot))
		return;
	if (S.wait && !sync_complete())
		return;
	S.t_synced = now_ns();
	S.cpu = cpu_self() - S.cpu0;
	S.version = version;
	sync_end();
}

static void
sync_deadline(uv_timer_t *t)
{
	(void)t;
	say("timed out after %.0f s\n", o.timeout_s);
	sync_end();
}

/* Runs one subscription to eps[0..n) until synced (wait: until every
 * counted prefix is there); true when it completed. */
static bool
sync_once(const char *const *eps, size_t n, const char *data_dir, bool wait)
{
	struct fibsub_config fc = { 0 };
	struct cen_err err = { 0 };

	S.wait = wait;
	S.t_first_msg = S.t_first_change = S.t_synced = 0;
	S.changes = S.held = 0;
	S.entries = 0;
	S.version = 0;
	S.over = false;
	if (S.have != NULL)
		memset(S.have, 0, (o.expect + 7) / 8);
	fc.region = o.region;
	fc.endpoints = eps;
	fc.nendpoints = n;
	fc.subscriber_id = "prop-bench-sync";
	fc.data_dir = data_dir;
	fc.change = sync_change;
	fc.synced = sync_synced;
	fc.log = fibsub_log;
	S.t0 = now_ns();
	S.cpu0 = cpu_self();
	if (fibsub_new(&loop, &fc, &S.fs, &err) != 0)
		die("fibsub: %s", err.msg);
	uv_check_start(&S.check, sync_check);
	uv_timer_start(&S.deadline, sync_deadline,
		       (uint64_t)(o.timeout_s * 1e3), 0);
	fibsub_start(S.fs);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (S.t_synced == 0)
		return false;
	if (o.start.family == PREFIX_AF_INET)
		return S.held == o.expect;
	return S.entries >= o.expect;
}

static int
run_sync(void)
{
	double *tot, *first, *recv, *cpu, *sorted;
	size_t entries = 0;
	unsigned done = 0;

	if (o.nep == 0 || o.region == NULL || o.expect == 0 || o.repeat == 0)
		die("sync: needs --endpoints, --region and --expect");
	tot = calloc(o.repeat, sizeof(*tot));
	first = calloc(o.repeat, sizeof(*first));
	recv = calloc(o.repeat, sizeof(*recv));
	cpu = calloc(o.repeat, sizeof(*cpu));
	sorted = calloc(o.repeat, sizeof(*sorted));
	if (tot == NULL || first == NULL || recv == NULL || cpu == NULL ||
	    sorted == NULL)
		die("out of memory");
	if (o.start.family == PREFIX_AF_INET) {
		if (o.start.len != 24 || o.expect > (1u << 24))
			die("--start: expected an IPv4 /24 and --expect of at "
			    "most 2^24");
		S.base = prefix_v4(&o.start);
		if ((S.have = calloc((o.expect + 7) / 8, 1)) == NULL)
			die("out of memory");
	}
	uv_check_init(&loop, &S.check);
	uv_timer_init(&loop, &S.deadline);
	if (o.wait) {
		/* every node has applied the load before anything is timed:
		 * a subscription to each follows it until its table holds
		 * every prefix */
		for (size_t i = 0; i < o.nep; i++) {
			if (!sync_once(&o.ep[i], 1, NULL, true))
				die("%s: the FIB does not hold the %llu "
				    "routes after %.0f s (%llu there)",
				    o.ep[i], (unsigned long long)o.expect,
				    o.timeout_s, (unsigned long long)S.held);
			say("%s holds all %llu routes (version %llu, %zu "
			    "entries)\n",
			    o.ep[i], (unsigned long long)o.expect,
			    (unsigned long long)S.version, S.entries);
		}
	}
	say("initial sync of a fresh forwarder's FIB from %s (fibsub, %s), "
	    "%u runs\n",
	    o.ep[0], o.data_dir ? "new data directory" : "no data directory",
	    o.repeat);
	say("%-4s %12s %16s %12s %8s %10s %9s\n", "run", "first msg ms",
	    "all received ms", "synced ms", "cpu s", "entries", "version");
	for (unsigned r = 0; r < o.repeat; r++) {
		char dir[4096];

		if (o.data_dir != NULL)
			snprintf(dir, sizeof(dir), "%s/sync-%u-%d", o.data_dir,
				 r, (int)getpid());
		if (!sync_once(o.ep, o.nep, o.data_dir ? dir : NULL, false)) {
			say("run %u: the snapshot holds %zu entries (%llu of "
			    "the counted routes), expected %llu\n",
			    r + 1, S.entries, (unsigned long long)S.held,
			    (unsigned long long)o.expect);
			break;
		}
		tot[r] = ms_since(S.t0, S.t_synced);
		/* a snapshot of one message: its first is its last */
		recv[r] = S.t_first_change ? ms_since(S.t0, S.t_first_change)
					   : tot[r];
		first[r] =
			S.t_first_msg ? ms_since(S.t0, S.t_first_msg) : recv[r];
		cpu[r] = S.cpu;
		entries = S.entries;
		done++;
		say("%-4u %12.1f %16.1f %12.1f %8.2f %10zu %9llu\n", r + 1,
		    first[r], recv[r], tot[r], cpu[r], S.entries,
		    (unsigned long long)S.version);
	}
	uv_close((uv_handle_t *)&S.check, NULL);
	uv_close((uv_handle_t *)&S.deadline, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	free(S.have);
	if (done == o.repeat) {
		memcpy(sorted, tot, done * sizeof(*tot));
		qsort(sorted, done, sizeof(*sorted), cmp_double);
		say("fresh forwarder, %zu entries: best %.1f ms, median %.1f "
		    "ms\n",
		    entries, sorted[0], sorted[(done - 1) / 2]);
		printf("{\"bench\":\"prop_sync\",\"kind\":\"fibsub\","
		       "\"data_dir\":%s,\"endpoint\":\"%s\",\"entries\":%zu,"
		       "\"routes\":%llu,\"runs\":%u,\"best_ms\":%.1f,"
		       "\"median_ms\":%.1f,\"runs_ms\":[",
		       o.data_dir ? "true" : "false", o.ep[0], entries,
		       (unsigned long long)o.expect, done, sorted[0],
		       sorted[(done - 1) / 2]);
		for (unsigned r = 0; r < done; r++)
			printf("%s{\"first_msg\":%.1f,\"received\":%.1f,"
			       "\"synced\":%.1f,\"cpu_s\":%.2f}",
			       r ? "," : "", first[r], recv[r], tot[r], cpu[r]);
		printf("]}\n");
	}
	free(tot);
	free(first);
	free(recv);
	free(cpu);
	free(sorted);
	return done == o.repeat ? 0 : 1;
}

/* ---- cenfwd: the daemon -------------------------------------------- */

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long
peak_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* CPU seconds process pid has used (utime + stime), or -1. */
static double
cpu_of(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* past "pid (comm) ": the state is field 3, utime 14, stime 15 */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
		   &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* One cenfwd run: ms from exec to "FIB complete ... (N entries)" with N
 * >= expect (and to its "subscribing to" line), or -1. */
static double
cenfwd_once(double *t_sub, size_t *entries, long *rss_kb, double *cpu)
{
	char buf[PB_LINE_MAX * 4], line[PB_LINE_MAX];
	size_t len = 0;
	int fds[2], status;
	double t0, t_done = -1;
	pid_t pid;

	if (pipe(fds) != 0)
		die("pipe: %s", strerror(errno));
	t0 = mono_ms();
	if ((pid = fork()) < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execl(o.cenfwd, o.cenfwd, "--config", o.config, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", o.cenfwd, strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	*t_sub = -1;
	while (t_done < 0) {
		struct pollfd pf = { .fd = fds[0], .events = POLLIN };
		double left = t0 + o.timeout_s * 1e3 - mono_ms();
		unsigned long long ver;
		char *nl;
		ssize_t n;
		size_t cnt;

		if (left <= 0) {
			say("cenfwd: timed out after %.0f s\n", o.timeout_s);
			break;
		}
		if (poll(&pf, 1, (int)left + 1) <= 0)
			continue;
		if ((n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) <= 0) {
			say("cenfwd ended before its FIB was complete\n");
			break;
		}
		len += (size_t)n;
		while ((nl = memchr(buf, '\n', len)) != NULL) {
			size_t ll = (size_t)(nl - buf);
			double t = mono_ms() - t0;

			snprintf(line, sizeof(line), "%.*s", (int)ll, buf);
			memmove(buf, nl + 1, len - ll - 1);
			len -= ll + 1;
			if (!o.json_only)
				fprintf(stderr, "  %9.1f ms  %s\n", t, line);
			if (*t_sub < 0 && strstr(line, "subscribing to"))
				*t_sub = t;
			if (sscanf(line,
				   "cenfwd: FIB complete at version %llu "
				   "(%zu entries)",
				   &ver, &cnt) == 2 &&
			    cnt >= o.expect && t_done < 0) {
				t_done = t;
				*entries = cnt;
				*cpu = cpu_of(pid);
			}
		}
		if (len == sizeof(buf) - 1)
			len = 0; /* a line too long to be one we look for */
	}
	*rss_kb = peak_rss_kb(pid);
	kill(pid, SIGTERM);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	close(fds[0]);
	return t_done;
}

static int
run_cenfwd(void)
{
	double best = -1, sum = 0, cpu = 0, best_cpu = 0;
	size_t entries = 0;
	long rss = 0;
	unsigned ok = 0;

	if (o.cenfwd == NULL || o.config == NULL || o.expect == 0 ||
	    o.repeat == 0)
		die("cenfwd: needs --cenfwd, --config, --expect and --repeat "
		    "of at least 1");
	say("initial sync of cenfwd (%s), %u runs\n", o.config, o.repeat);
	for (unsigned r = 0; r < o.repeat; r++) {
		double t_sub, t = cenfwd_once(&t_sub, &entries, &rss, &cpu);

		if (t < 0)
			return 1;
		say("run %u: FIB complete (%zu entries) %.1f ms after exec "
		    "(subscribing at %.1f ms), %.2f CPU s; peak RSS %ld MB\n",
		    r + 1, entries, t, t_sub, cpu, rss / 1024);
		if (best < 0 || t < best) {
			best = t;
			best_cpu = cpu;
		}
		sum += t;
		ok++;
	}
	printf("{\"bench\":\"prop_sync\",\"kind\":\"cenfwd\",\"entries\":%zu,"
	       "\"runs\":%u,\"best_ms\":%.1f,\"best_cpu_s\":%.2f,"
	       "\"mean_ms\":%.1f,\"peak_rss_kb\":%ld}\n",
	       entries, ok, best, best_cpu, sum / ok, rss);
	return 0;
}

/* ---- main ---------------------------------------------------------- */

static void
usage(void)
{
	fputs("usage: prop_bench latency --bgp SRC:AS@HOST:PORT --hub-as ASN "
	      "--endpoints EP,...\n"
	      "                  --region R --table T [--rate N] [--updates N] "
	      "[--warmup N]\n"
	      "                  [--start PREFIX] [--no-wait-eor] [--timeout "
	      "S] "
	      "[--json-only]\n"
	      "       prop_bench sync --endpoints EP,... --region R --expect N "
	      "[--start PREFIX]\n"
	      "                  [--wait] [--repeat K] [--data-dir DIR] "
	      "[--timeout S] [--json-only]\n"
	      "       prop_bench cenfwd --cenfwd PATH --config FILE --expect N "
	      "[--repeat K]\n"
	      "                  [--timeout S] [--json-only]\n",
	      stderr);
	exit(2);
}

int
main(int argc, char **argv)
{
	int rc;

	if (argc < 2)
		usage();
	o.mode = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--json-only")) {
			o.json_only = true;
			continue;
		}
		if (!strcmp(a, "--wait")) {
			o.wait = true;
			continue;
		}
		if (!strcmp(a, "--no-wait-eor")) {
			o.no_wait_eor = true;
			continue;
		}
		if (v == NULL)
			usage();
		i++;
		if (!strcmp(a, "--bgp"))
			parse_bgp(v);
		else if (!strcmp(a, "--hub-as"))
			o.hub_as = (uint32_t)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--endpoints"))
			parse_endpoints(v);
		else if (!strcmp(a, "--region"))
			o.region = v;
		else if (!strcmp(a, "--table"))
			o.table = v;
		else if (!strcmp(a, "--rate"))
			o.rate = atof(v);
		else if (!strcmp(a, "--updates"))
			o.updates = (uint32_t)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--warmup"))
			o.warmup = (uint32_t)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--start")) {
			if (prefix_parse(&o.start, v, true) != 0)
				die("--start: expected an IPv4 /24, got \"%s\"",
				    v);
		} else if (!strcmp(a, "--expect"))
			o.expect = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--repeat"))
			o.repeat = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--data-dir"))
			o.data_dir = v;
		else if (!strcmp(a, "--cenfwd"))
			o.cenfwd = v;
		else if (!strcmp(a, "--config"))
			o.config = v;
		else if (!strcmp(a, "--timeout"))
			o.timeout_s = atof(v);
		else
			usage();
	}
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&loop);
	if (!strcmp(o.mode, "latency"))
		rc = run_latency();
	else if (!strcmp(o.mode, "sync"))
		rc = run_sync();
	else if (!strcmp(o.mode, "cenfwd"))
		rc = run_cenfwd();
	else
		usage();
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return rc;
}
