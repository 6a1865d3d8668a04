/*
 * test_rpc.c - the RPC transport (proto/rpc*.c): frames reassemble from any
 * split of the byte stream; a server on a libuv loop (in its own thread, on
 * 127.0.0.1 port 0 and a Unix socket in a fresh directory) answers unary
 * and streaming calls, now or later, and closes only the connection that
 * sent something it cannot frame; the blocking and the asynchronous clients
 * get every answer, deadline and failure as documented in rpc.h.
 *
 * Every wait is on a condition with a 5 s deadline, never a fixed sleep.
 * The server's state is touched only on its loop thread: the test thread
 * asks it through loop_exec (a uv_async) and reads atomics.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "proto/rpc.h"

#include <cmocka.h>

#define WAIT_MS	  5000
#define FLOOD_MSG (1u << 20)

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A pause between two looks at a condition (not a wait for time to pass). */
static void
pause_briefly(void)
{
	struct timespec ts = { 0, 1000000 };

	nanosleep(&ts, NULL);
}

#define WAIT_UNTIL(cond)                                                       \
	do {                                                                   \
		int64_t dl_ = now_ms() + WAIT_MS;                              \
		while (!(cond)) {                                              \
			if (now_ms() > dl_)                                    \
				fail_msg("timed out waiting for %s", #cond);   \
			pause_briefly();                                       \
		}                                                              \
	} while (0)

/* ---- the server's handlers (run on the loop thread) -------------------- */

typedef void (*exec_fn)(void *);

static struct {
	uv_loop_t loop;
	uv_async_t wake;
	pthread_t thread;
	struct rpc_server *srv;
	char dir[64];
	char tcp_ep[64];
	char unix_ep[128];
	int port;
	_Atomic(exec_fn) exec;
	void *exec_arg;
	atomic_int exec_done;
	atomic_bool stopping;
} fx;

static struct {
	struct rpc_call *held; /* loop thread only */
	atomic_int held_entered;
	atomic_int gone;	/* on_gone callbacks */
	atomic_int later_fired; /* answers sent from a timer */
	atomic_uint seen_timeout_ms;
	atomic_int flood_done, flood_rc, flood_sent;
	atomic_size_t flood_max_queued;
} g;

static void
h_unary(struct rpc_call *call, const uint8_t *p, size_t len, void *arg)
{
	rpc_reply(call, RPC_OK, NULL, p, len);
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Payload: a 4-byte count; sends that many Envelopes numbered by call_id,
 * then ends the stream. */
static void
h_stream(struct rpc_call *call, const uint8_t *p, size_t len, void *arg)
{
	Cend__V1__Envelope m = CEND__V1__ENVELOPE__INIT;
	uint32_t i, n;

	if (len != 4) {
		rpc_reply_error(call, RPC_INVALID_ARGUMENT,
				"payload of %zu bytes: want a 4-byte count",
				len);
		return;
	}
	n = get_be32(p);
	for (i = 0; i < n; i++) {
		m.call_id = i;
		if (rpc_stream_send_msg(call, &m.base) != 0)
			break;
	}
	rpc_stream_end(call, RPC_OK, NULL);
}

struct later {
	uv_timer_t timer;
	struct rpc_call *call;
	size_t len;
	uint8_t data[];
};

static void
later_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
later_fire(uv_timer_t *t)
{
	struct later *l = t->data;

	atomic_fetch_add(&g.later_fired, 1);
	rpc_reply(l->call, RPC_OK, NULL, l->data, l->len);
	uv_close((uv_handle_t *)t, later_closed);
}

/* Answers 20 ms later, from a timer. */
static void
h_later(struct rpc_call *call, const uint8_t *p, size_t len, void *arg)
{
	struct later *l = malloc(sizeof(*l) + len);

	atomic_store(&g.seen_timeout_ms, rpc_call_timeout_ms(call));
	l->call = call;
	l->len = len;
	memcpy(l->data, p, len);
	uv_timer_init(arg, &l->timer);
	l->timer.data = l;
	uv_timer_start(&l->timer, later_fire, 20, 0);
}

static void
never_gone(struct rpc_call *call, void *arg)
{
	atomic_fetch_add(&g.gone, 1);
	rpc_reply(call, RPC_OK, NULL, NULL, 0); /* dropped */
}

/* Never answers while the caller is there. */
static void
h_never(struct rpc_call *call, const uint8_t *p, size_t len, void *arg)
{
	atomic_store(&g.seen_timeout_ms, rpc_call_timeout_ms(call));
	rpc_call_on_gone(call, never_gone, NULL);
}

static void
hold_gone(struct rpc_call *call, void *arg)
{
	atomic_fetch_add(&g.gone, 1);
}

/* Keeps the call for the test to answer through loop_exec. */
static void
h_hold(struct rpc_call *call, const uint8_t *p, size_t len, void *arg)
{
	g.held = call;
	rpc_call_on_gone(call, hold_gone, NULL);
	atomic_fetch_add(&g.held_entered, 1);
}

/* Payload must unpack as a cend.v1.Envelope; answers it back. */
static void
h_strict(struct rpc_call *call, const uint8_t *p, size_t len, void *arg)
{
	Cend__V1__Envelope *m = cend__v1__envelope__unpack(NULL, len, p);

	if (m == NULL) {
		rpc_reply_error(call, RPC_INVALID_ARGUMENT,
				"payload of %zu bytes is not a "
				"cend.v1.Envelope",
				len);
		return;
	}
	rpc_reply_msg(call, &m->base);
	cend__v1__envelope__free_unpacked(m, NULL);
}

static void
watch_gone(struct rpc_call *call, void *arg)
{
	atomic_fetch_add(&g.gone, 1);
	rpc_stream_end(call, RPC_CANCELLED, "caller left"); /* dropped */
}

/* A stream that sends one message and then waits for events. */
static void
h_watch(struct rpc_call *call, const uint8_t *p, size_t len, void *arg)
{
	rpc_stream_send(call, (const uint8_t *)"event", 5);
	rpc_call_on_gone(call, watch_gone, NULL);
}

/* Sends 1 MiB messages to a caller that does not read, until refused. */
static void
h_flood(struct rpc_call *call, const uint8_t *p, size_t len, void *arg)
{
	uint8_t *msg = calloc(1, FLOOD_MSG);
	size_t q, maxq = 0;
	int i, rc = 0;

	for (i = 0; i < 200; i++) {
		if ((rc = rpc_stream_send(call, msg, FLOOD_MSG)) != 0)
			break;
		if ((q = rpc_call_queued(call)) > maxq)
			maxq = q;
	}
	free(msg);
	atomic_store(&g.flood_sent, i);
	atomic_store(&g.flood_rc, rc);
	atomic_store(&g.flood_max_queued, maxq);
	atomic_store(&g.flood_done, 1);
	rpc_stream_end(call, RPC_OK, NULL);
}

struct ticks {
	uv_timer_t timer;
	struct rpc_call *call;
	uint32_t sent, n;
};

static void
ticks_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
ticks_fire(uv_timer_t *t)
{
	Cend__V1__Envelope m = CEND__V1__ENVELOPE__INIT;
	struct ticks *k = t->data;

	m.call_id = k->sent++;
	if (rpc_stream_send_msg(k->call, &m.base) == 0 && k->sent < k->n)
		return;
	rpc_stream_end(k->call, RPC_OK, NULL);
	uv_close((uv_handle_t *)t, ticks_closed);
}

/* A slow stream: a 4-byte count of messages, one every TICK_MS. */
#define TICK_MS 30
static void
h_ticks(struct rpc_call *call, const uint8_t *p, size_t len, void *arg)
{
	struct ticks *k = calloc(1, sizeof(*k));

	k->call = call;
	k->n = len == 4 ? get_be32(p) : 1;
	uv_timer_init(arg, &k->timer);
	k->timer.data = k;
	uv_timer_start(&k->timer, ticks_fire, TICK_MS, TICK_MS);
}

static const struct rpc_method methods[] = {
	{ "test.Echo/Unary", h_unary, NULL },
	{ "test.Echo/Stream", h_stream, NULL },
	{ "test.Echo/Later", h_later, &fx.loop },
	{ "test.Echo/Never", h_never, NULL },
	{ "test.Echo/Hold", h_hold, NULL },
	{ "test.Echo/Strict", h_strict, NULL },
	{ "test.Echo/Watch", h_watch, NULL },
	{ "test.Echo/Flood", h_flood, NULL },
	{ "test.Echo/Ticks", h_ticks, &fx.loop },
	{ NULL, NULL, NULL },
};

/* ---- the server's loop thread ------------------------------------------ */

static void
on_wake(uv_async_t *a)
{
	exec_fn fn = atomic_exchange(&fx.exec, NULL);

	if (fn != NULL) {
		fn(fx.exec_arg);
		atomic_store(&fx.exec_done, 1);
	}
	if (atomic_load(&fx.stopping)) {
		rpc_server_close(fx.srv);
		uv_close((uv_handle_t *)a, NULL);
	}
}

static void *
loop_main(void *arg)
{
	uv_run(&fx.loop, UV_RUN_DEFAULT);
	return NULL;
}

/* Runs fn(arg) on the loop thread and waits for it. */
static void
loop_exec(exec_fn fn, void *arg)
{
	atomic_store(&fx.exec_done, 0);
	fx.exec_arg = arg;
	atomic_store(&fx.exec, fn);
	uv_async_send(&fx.wake);
	WAIT_UNTIL(atomic_load(&fx.exec_done));
}

static void
get_conns(void *arg)
{
	*(size_t *)arg = rpc_server_connections(fx.srv);
}

static size_t
server_conns(void)
{
	size_t n = 0;

	loop_exec(get_conns, &n);
	return n;
}

/* Answers the held call; records whether it was gone. */
static void
reply_held(void *arg)
{
	*(int *)arg = rpc_call_gone(g.held);
	rpc_reply(g.held, RPC_OK, NULL, (const uint8_t *)"late", 4);
	g.held = NULL;
}

static int
server_start(struct rpc_server **out, const char *tcp, const char *unx)
{
	struct cen_err err;
	int rc;

	if ((rc = rpc_server_new(&fx.loop, methods, 0, out)) != 0)
		return rc;
	if ((rc = rpc_server_listen(*out, tcp, &err)) != 0 ||
	    (rc = rpc_server_listen(*out, unx, &err)) != 0)
		fprintf(stderr, "listen: %s\n", err.msg);
	return rc;
}

static int
setup(void **state)
{
	memset(&fx, 0, sizeof(fx));
	memset(&g, 0, sizeof(g));
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/test_rpc.XXXXXX");
	if (mkdtemp(fx.dir) == NULL)
		return -1;
	snprintf(fx.unix_ep, sizeof(fx.unix_ep), "unix:%s/rpc.sock", fx.dir);
	if (uv_loop_init(&fx.loop) != 0)
		return -1;
	if (server_start(&fx.srv, "127.0.0.1:0", fx.unix_ep) != 0)
		return -1;
	if ((fx.port = rpc_server_port(fx.srv)) <= 0)
		return -1;
	snprintf(fx.tcp_ep, sizeof(fx.tcp_ep), "127.0.0.1:%d", fx.port);
	uv_async_init(&fx.loop, &fx.wake, on_wake);
	if (pthread_create(&fx.thread, NULL, loop_main, NULL) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	struct stat st;
	int rc;

	atomic_store(&fx.stopping, true);
	uv_async_send(&fx.wake);
	pthread_join(fx.thread, NULL);
	/* Every handle closed: listeners, connections, handlers' timers. */
	rc = uv_loop_close(&fx.loop);
	if (rc != 0) {
		fprintf(stderr, "uv_loop_close: %s\n", uv_strerror(rc));
		return -1;
	}
	/* The server removed its socket file. */
	if (stat(fx.unix_ep + 5, &st) == 0) {
		fprintf(stderr, "%s left behind\n", fx.unix_ep + 5);
		return -1;
	}
	return rmdir(fx.dir);
}

/* ---- raw sockets: the wire format, independently of the clients -------- */

static int
raw_connect(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	assert_true(fd >= 0);
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void
raw_send(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

/* A request frame, malloc'd. */
static uint8_t *
request_frame(uint64_t id, const char *method, const void *payload, size_t len,
	      size_t *flen)
{
	Cend__V1__Envelope env = CEND__V1__ENVELOPE__INIT;
	uint8_t *f;

	env.call_id = id;
	if (method != NULL)
		env.method = (char *)method;
	env.payload.data = (uint8_t *)payload;
	env.payload.len = len;
	*flen = rpc_frame_size(&env);
	f = malloc(*flen);
	rpc_frame_pack(&env, f);
	return f;
}

static void
raw_request(int fd, uint64_t id, const char *method, const char *payload)
{
	size_t flen;
	uint8_t *f = request_frame(id, method, payload,
				   payload ? strlen(payload) : 0, &flen);

	raw_send(fd, f, flen);
	free(f);
}

/* Reads exactly len bytes within the deadline; false on EOF, error or
 * timeout. */
static bool
raw_read(int fd, uint8_t *buf, size_t len, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	while (len > 0) {
		int left = (int)(deadline - now_ms());

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return false;
		n = recv(fd, buf, len, 0);
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* The next answer, or NULL if the connection closed (or nothing came). */
static Cend__V1__Envelope *
raw_answer(int fd)
{
	int64_t dl = now_ms() + WAIT_MS;
	Cend__V1__Envelope *env;
	uint8_t hdr[4], *body;
	uint32_t n;

	if (!raw_read(fd, hdr, 4, dl))
		return NULL;
	n = get_be32(hdr);
	assert_true(n <= RPC_FRAME_MAX_DEFAULT);
	body = malloc(n ? n : 1);
	if (!raw_read(fd, body, n, dl)) {
		free(body);
		return NULL;
	}
	env = cend__v1__envelope__unpack(NULL, n, body);
	free(body);
	assert_non_null(env);
	return env;
}

/* True when the server closes the connection within the deadline (after
 * whatever it had sent). */
static bool
raw_closed(int fd)
{
	int64_t dl = now_ms() + WAIT_MS;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint8_t buf[65536];
	ssize_t n;

	for (;;) {
		int left = (int)(dl - now_ms());

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return false;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
		if (n < 0)
			return false;
	}
}

/* stderr into a file for a while, to check the server's log lines. */
static int saved_stderr = -1;
static FILE *capture;

static void
stderr_capture(void)
{
	fflush(stderr);
	capture = tmpfile();
	assert_non_null(capture);
	saved_stderr = dup(2);
	dup2(fileno(capture), 2);
}

static void
stderr_restore(char *out, size_t cap)
{
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	rewind(capture);
	n = fread(out, 1, cap - 1, capture);
	out[n] = '\0';
	fclose(capture);
}

/* ---- the framer -------------------------------------------------------- */

struct seen {
	int n;
	uint64_t ids[16];
	char methods[16][32];
	int stop_after; /* return 1 after this many (0 = never) */
};

static int
seen_env(Cend__V1__Envelope *env, void *arg)
{
	struct seen *s = arg;

	if (s->n < 16) {
		s->ids[s->n] = env->call_id;
		snprintf(s->methods[s->n], sizeof(s->methods[0]), "%s",
			 env->method);
	}
	s->n++;
	return s->stop_after != 0 && s->n >= s->stop_after;
}

/* Three frames, one with an empty body (an all-default Envelope). */
static uint8_t *
three_frames(size_t *len)
{
	size_t l1, l2, l3;
	uint8_t *a = request_frame(1, "a.B/C", "xyz", 3, &l1);
	uint8_t *b = request_frame(0, NULL, NULL, 0, &l2);
	uint8_t *c = request_frame(300, "d.E/F", NULL, 0, &l3);
	uint8_t *all = malloc(l1 + l2 + l3);

	assert_int_equal(l2, 4);
	memcpy(all, a, l1);
	memcpy(all + l1, b, l2);
	memcpy(all + l1 + l2, c, l3);
	free(a);
	free(b);
	free(c);
	*len = l1 + l2 + l3;
	return all;
}

static void
check_three(const struct seen *s)
{
	assert_int_equal(s->n, 3);
	assert_int_equal(s->ids[0], 1);
	assert_string_equal(s->methods[0], "a.B/C");
	assert_int_equal(s->ids[1], 0);
	assert_string_equal(s->methods[1], "");
	assert_int_equal(s->ids[2], 300);
	assert_string_equal(s->methods[2], "d.E/F");
}

static void
test_rpc_frame_feed_reassembles_any_split_into_reads(void **state)
{
	struct rpc_framer f;
	struct cen_err err;
	struct seen s;
	size_t len, cut1, cut2;
	uint8_t *all = three_frames(&len);

	/* All at once, byte by byte, and every split into three reads. */
	memset(&s, 0, sizeof(s));
	rpc_framer_init(&f, 0);
	assert_int_equal(rpc_frame_feed(&f, all, len, seen_env, &s, &err), 0);
	check_three(&s);
	assert_int_equal(f.len, 0);
	rpc_framer_fini(&f);

	memset(&s, 0, sizeof(s));
	rpc_framer_init(&f, 0);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(
			rpc_frame_feed(&f, all + i, 1, seen_env, &s, &err), 0);
	check_three(&s);
	rpc_framer_fini(&f);

	for (cut1 = 0; cut1 <= len; cut1++) {
		for (cut2 = cut1; cut2 <= len; cut2++) {
			memset(&s, 0, sizeof(s));
			rpc_framer_init(&f, 0);
			assert_int_equal(rpc_frame_feed(&f, all, cut1, seen_env,
							&s, &err),
					 0);
			assert_int_equal(rpc_frame_feed(&f, all + cut1,
							cut2 - cut1, seen_env,
							&s, &err),
					 0);
			assert_int_equal(rpc_frame_feed(&f, all + cut2,
							len - cut2, seen_env,
							&s, &err),
					 0);
			check_three(&s);
			assert_int_equal(f.len, 0);
			rpc_framer_fini(&f);
		}
	}
	free(all);
}

static void
test_rpc_frame_feed_callback_nonzero_stops_feeding(void **state)
{
	struct rpc_framer f;
	struct cen_err err;
	struct seen s = { .stop_after = 2 };
	size_t len;
	uint8_t *all = three_frames(&len);

	rpc_framer_init(&f, 0);
	assert_int_equal(rpc_frame_feed(&f, all, len, seen_env, &s, &err), 1);
	assert_int_equal(s.n, 2);
	rpc_framer_fini(&f);
	free(all);
}

static void
test_rpc_frame_length_over_limit_fails_before_allocating(void **state)
{
	const uint8_t hdr[4] = { 0x7f, 0xff, 0xff, 0xff };
	struct rpc_framer f;
	struct cen_err err;
	struct seen s;

	/* Only the prefix has arrived: refused at once, nothing allocated
	 * beyond the 4 bytes of the prefix itself. */
	memset(&s, 0, sizeof(s));
	rpc_framer_init(&f, 0);
	assert_int_equal(rpc_frame_feed(&f, hdr, 2, seen_env, &s, &err), 0);
	assert_int_equal(rpc_frame_feed(&f, hdr + 2, 2, seen_env, &s, &err),
			 -CEN_EPROTO);
	assert_true(f.cap <= 4);
	assert_string_equal(
		err.msg, "frame of 2147483647 bytes over the 16777216 limit");
	/* Sticky: the stream cannot be resynchronised. */
	assert_int_equal(rpc_frame_feed(&f, hdr, 0, seen_env, &s, &err),
			 -CEN_EPROTO);
	assert_int_equal(s.n, 0);
	rpc_framer_fini(&f);

	/* In one read, with a small limit: nothing buffered at all. */
	rpc_framer_init(&f, 100);
	uint8_t big[4 + 101] = { 0, 0, 0, 101 };
	assert_int_equal(
		rpc_frame_feed(&f, big, sizeof(big), seen_env, &s, &err),
		-CEN_EPROTO);
	assert_int_equal(f.cap, 0);
	assert_string_equal(err.msg, "frame of 101 bytes over the 100 limit");
	rpc_framer_fini(&f);
}

static void
test_rpc_frame_not_an_envelope_fails(void **state)
{
	/* Field 1 with wire type 7 (invalid). */
	const uint8_t bad[] = { 0, 0, 0, 2, 0x0f, 0x01 };
	struct rpc_framer f;
	struct cen_err err;
	struct seen s;

	memset(&s, 0, sizeof(s));
	rpc_framer_init(&f, 0);
	assert_int_equal(
		rpc_frame_feed(&f, bad, sizeof(bad), seen_env, &s, &err),
		-CEN_EPROTO);
	assert_string_equal(err.msg,
			    "frame of 2 bytes is not a cend.v1.Envelope");
	assert_int_equal(s.n, 0);
	rpc_framer_fini(&f);
}

/* ---- endpoints and statuses -------------------------------------------- */

static void
test_rpc_endpoint_parse_accepts_v4_v6_and_unix(void **state)
{
	struct rpc_endpoint ep;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ep.sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ep.sa;
	struct cen_err err;

	assert_int_equal(rpc_endpoint_parse(&ep, "127.0.0.1:7101", &err), 0);
	assert_false(ep.unix_socket);
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(ntohs(sin->sin_port), 7101);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(ep.salen, sizeof(*sin));

	assert_int_equal(rpc_endpoint_parse(&ep, "[::1]:65535", &err), 0);
	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(sin6->sin6_port), 65535);
	assert_true(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
	assert_int_equal(ep.salen, sizeof(*sin6));

	assert_int_equal(
		rpc_endpoint_parse(&ep, "unix:/run/cend/api.sock", &err), 0);
	assert_true(ep.unix_socket);
	assert_string_equal(ep.path, "/run/cend/api.sock");

	/* Listeners may ask for any free port. */
	assert_int_equal(rpc_endpoint_parse_listen(&ep, "127.0.0.1:0", &err),
			 0);
	assert_int_equal(ntohs(sin->sin_port), 0);
}

static void
expect_bad(const char *s, const char *msg)
{
	struct rpc_endpoint ep;
	struct cen_err err;

	cen_err_clear(&err);
	assert_int_equal(rpc_endpoint_parse(&ep, s, &err), -CEN_EINVAL);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", s ? s : "NULL",
			 err.msg, msg);
}

static void
test_rpc_endpoint_parse_rejects_with_what_to_write(void **state)
{
	char longpath[200];

	expect_bad(NULL, "endpoint missing");
	expect_bad("", "endpoint missing");
	expect_bad("127.0.0.1", "port missing");
	expect_bad("127.0.0.1:", "port missing");
	expect_bad("127.0.0.1:0", "port 0 out of range 1..65535");
	expect_bad("127.0.0.1:65536", "port 65536 out of range 1..65535");
	expect_bad("127.0.0.1:99999999999999999999", "out of range");
	expect_bad("127.0.0.1:71x", "port \"71x\" is not a number");
	expect_bad("127.0.0.1:-1", "is not a number");
	expect_bad("localhost:7101", "\"localhost\" is not an IPv4 address");
	expect_bad("300.0.0.1:7101", "is not an IPv4 address");
	expect_bad(":7101", "address missing");
	expect_bad("::1:7101", "brackets");
	expect_bad("[::1]", "port missing");
	expect_bad("[::1]7101", "port missing");
	expect_bad("[::1:7101", "']' missing");
	expect_bad("[]:7101", "not an IPv6 address");
	expect_bad("[1.2.3.4]:7101", "\"1.2.3.4\" is not an IPv6 address");
	expect_bad("[::1]:0", "out of range");
	expect_bad("unix:", "socket path missing");
	memset(longpath, 'a', sizeof(longpath));
	memcpy(longpath, "unix:/", 6);
	longpath[5 + 108] = '\0'; /* a 108-byte path: one too many */
	expect_bad(longpath, "socket path of 108 bytes too long (at most 107)");
	longpath[5 + 107] = '\0';
	struct rpc_endpoint ep;
	assert_int_equal(rpc_endpoint_parse(&ep, longpath, NULL), 0);
}

static void
test_rpc_status_str_names_every_status(void **state)
{
	assert_string_equal(rpc_status_str(RPC_OK), "OK");
	assert_string_equal(rpc_status_str(RPC_INVALID_ARGUMENT),
			    "INVALID_ARGUMENT");
	assert_string_equal(rpc_status_str(RPC_UNIMPLEMENTED), "UNIMPLEMENTED");
	assert_string_equal(rpc_status_str(RPC_DEADLINE_EXCEEDED),
			    "DEADLINE_EXCEEDED");
	assert_string_equal(rpc_status_str(RPC_NOT_LEADER), "NOT_LEADER");
	assert_string_equal(rpc_status_str(RPC_CANCELLED), "CANCELLED");
	for (int s = RPC_OK; s <= RPC_CANCELLED; s++)
		assert_string_not_equal(rpc_status_str((rpc_status)s),
					"UNKNOWN");
	assert_string_equal(rpc_status_str((rpc_status)99), "UNKNOWN");
}

/* ---- the server, through the blocking client --------------------------- */

static struct rpc_sync *
sync_connect(const char *ep)
{
	struct rpc_sync *c = NULL;
	struct cen_err err;

	if (rpc_sync_connect(ep, WAIT_MS, &c, &err) != 0)
		fail_msg("connect %s: %s", ep, err.msg);
	return c;
}

static void
expect_echo(struct rpc_sync *c, const char *method, const char *text)
{
	struct cen_err err;
	rpc_status st = RPC_INTERNAL;
	char *msg = NULL;
	uint8_t *resp = NULL;
	size_t rlen = 0;

	if (rpc_sync_call(c, method, (const uint8_t *)text, strlen(text),
			  WAIT_MS, &st, &msg, &resp, &rlen, &err) != 0)
		fail_msg("%s: %s", method, err.msg);
	assert_int_equal(st, RPC_OK);
	assert_null(msg);
	assert_int_equal(rlen, strlen(text));
	assert_memory_equal(resp, text, rlen);
	free(resp);
}

static void
test_rpc_unary_echo_over_tcp(void **state)
{
	struct rpc_sync *c = sync_connect(fx.tcp_ep);

	expect_echo(c, "test.Echo/Unary", "hello");
	expect_echo(c, "test.Echo/Unary", "again, on the same connection");
	expect_echo(c, "test.Echo/Unary", "");
	assert_int_equal(server_conns(), 1);
	rpc_sync_close(c);
	WAIT_UNTIL(server_conns() == 0);
}

static void
test_rpc_unary_echo_over_unix_socket(void **state)
{
	struct rpc_sync *c = sync_connect(fx.unix_ep);

	expect_echo(c, "test.Echo/Unary", "over a unix socket");
	rpc_sync_close(c);
}

struct stream_seen {
	uint32_t n;
	int bad;
	int cancel_after; /* 0 = never */
};

static int
stream_cb(const uint8_t *msg, size_t len, void *arg)
{
	struct stream_seen *s = arg;
	Cend__V1__Envelope *m = cend__v1__envelope__unpack(NULL, len, msg);

	if (m == NULL || m->call_id != s->n)
		s->bad++;
	if (m != NULL)
		cend__v1__envelope__free_unpacked(m, NULL);
	s->n++;
	return s->cancel_after != 0 && (int)s->n >= s->cancel_after;
}

static void
test_rpc_stream_sends_1000_messages_in_order_then_ends(void **state)
{
	struct rpc_sync *c = sync_connect(fx.tcp_ep);
	struct stream_seen s = { 0 };
	struct cen_err err;
	uint8_t count[4];
	rpc_status st = RPC_INTERNAL;
	char *msg = NULL;

	put_be32(count, 1000);
	assert_int_equal(rpc_sync_stream(c, "test.Echo/Stream", count, 4,
					 WAIT_MS, stream_cb, &s, &st, &msg,
					 &err),
			 0);
	assert_int_equal(st, RPC_OK);
	assert_null(msg);
	assert_int_equal(s.n, 1000);
	assert_int_equal(s.bad, 0);
	/* The connection is in step for the next call. */
	expect_echo(c, "test.Echo/Unary", "after the stream");
	rpc_sync_close(c);
}

static void
test_rpc_handler_may_answer_later_from_a_timer(void **state)
{
	struct rpc_sync *c = sync_connect(fx.tcp_ep);

	expect_echo(c, "test.Echo/Later", "answered from a timer");
	assert_int_equal(atomic_load(&g.later_fired), 1);
	/* The caller's deadline reached the handler. */
	assert_int_equal(atomic_load(&g.seen_timeout_ms), WAIT_MS);
	expect_echo(c, "test.Echo/Unary", "still usable");
	rpc_sync_close(c);
}

static void
test_rpc_unknown_method_is_unimplemented_and_connection_stays(void **state)
{
	struct rpc_sync *c = sync_connect(fx.tcp_ep);
	struct cen_err err;
	rpc_status st = RPC_OK;
	char *msg = NULL;
	uint8_t *resp = NULL;
	size_t rlen = 1;

	assert_int_equal(rpc_sync_call(c, "test.Nope/Missing", NULL, 0, WAIT_MS,
				       &st, &msg, &resp, &rlen, &err),
			 0);
	assert_int_equal(st, RPC_UNIMPLEMENTED);
	assert_string_equal(msg, "unknown method test.Nope/Missing");
	assert_null(resp);
	assert_int_equal(rlen, 0);
	free(msg);
	expect_echo(c, "test.Echo/Unary", "served after the unknown method");
	rpc_sync_close(c);
}

static void
test_rpc_handler_answers_invalid_argument_for_truncated_payload(void **state)
{
	Cend__V1__Envelope m = CEND__V1__ENVELOPE__INIT, *back;
	struct rpc_sync *c = sync_connect(fx.tcp_ep);
	struct cen_err err;
	rpc_status st = RPC_OK;
	char *msg = NULL;
	uint8_t buf[256], *resp = NULL;
	size_t len, rlen = 0;

	m.call_id = 42;
	m.method = "cend.v1.Admin/Status";
	len = cend__v1__envelope__pack(&m, buf);

	/* Whole: the handler unpacks it and answers it back (rpc_reply_msg). */
	assert_int_equal(rpc_sync_call(c, "test.Echo/Strict", buf, len, WAIT_MS,
				       &st, &msg, &resp, &rlen, &err),
			 0);
	assert_int_equal(st, RPC_OK);
	back = cend__v1__envelope__unpack(NULL, rlen, resp);
	assert_non_null(back);
	assert_int_equal(back->call_id, 42);
	assert_string_equal(back->method, "cend.v1.Admin/Status");
	cend__v1__envelope__free_unpacked(back, NULL);
	free(resp);

	/* Cut inside the method string: INVALID_ARGUMENT with a message. */
	assert_true(cend__v1__envelope__unpack(NULL, len - 5, buf) == NULL);
	assert_int_equal(rpc_sync_call(c, "test.Echo/Strict", buf, len - 5,
				       WAIT_MS, &st, &msg, &resp, &rlen, &err),
			 0);
	assert_int_equal(st, RPC_INVALID_ARGUMENT);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "is not a cend.v1.Envelope"));
	assert_null(resp);
	free(msg);
	rpc_sync_close(c);
}

static void
test_rpc_garbage_frame_closes_only_that_connection(void **state)
{
	struct rpc_sync *bad = sync_connect(fx.tcp_ep);
	struct rpc_sync *good = sync_connect(fx.tcp_ep);
	Cend__V1__Envelope *env;
	struct cen_err err;
	uint8_t frame[4 + 64];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	char log[4096];
	rpc_status st;

	put_be32(frame, 64);
	for (size_t i = 4; i < sizeof(frame); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		frame[i] = (uint8_t)x;
	}
	/* The bytes are garbage to the server: no request comes out. */
	env = cend__v1__envelope__unpack(NULL, 64, frame + 4);
	assert_true(env == NULL || env->method[0] == '\0');
	if (env != NULL)
		cend__v1__envelope__free_unpacked(env, NULL);

	expect_echo(good, "test.Echo/Unary", "before");
	stderr_capture();
	assert_int_equal(rpc_sync_send_raw(bad, frame, sizeof(frame)), 0);
	/* The bad connection is closed: no answer, ever. */
	int rc = rpc_sync_call(bad, "test.Echo/Unary", NULL, 0, WAIT_MS, &st,
			       NULL, NULL, NULL, &err);
	stderr_restore(log, sizeof(log));
	assert_int_equal(rc, -CEN_EIO);
	assert_non_null(strstr(log, "rpc: closing 127.0.0.1:"));
	/* Once per connection. */
	assert_null(strstr(strstr(log, "rpc: closing") + 1, "rpc: closing"));
	/* The other client is served meanwhile and afterwards. */
	expect_echo(good, "test.Echo/Unary", "after");
	WAIT_UNTIL(server_conns() == 1);
	rpc_sync_close(bad);
	rpc_sync_close(good);
}

static void
test_rpc_oversized_frame_length_closes_at_once_with_a_log_line(void **state)
{
	const uint8_t hdr[4] = { 0x7f, 0xff, 0xff, 0xff };
	int fd = raw_connect(fx.port), other = raw_connect(fx.port);
	char log[4096], want[128];
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	Cend__V1__Envelope *env;

	getsockname(fd, (struct sockaddr *)&sin, &slen);
	stderr_capture();
	/* Only the prefix: the server does not wait for (nor allocate) the
	 * 2 GiB it announces. */
	raw_send(fd, hdr, sizeof(hdr));
	bool closed = raw_closed(fd);
	stderr_restore(log, sizeof(log));
	assert_true(closed);
	snprintf(want, sizeof(want),
		 "rpc: closing 127.0.0.1:%u: frame of 2147483647 bytes over "
		 "the 16777216 limit\n",
		 ntohs(sin.sin_port));
	assert_non_null(strstr(log, want));

	raw_request(other, 9, "test.Echo/Unary", "fine");
	env = raw_answer(other);
	assert_non_null(env);
	assert_int_equal(env->call_id, 9);
	cend__v1__envelope__free_unpacked(env, NULL);
	close(fd);
	close(other);
}

static void
test_rpc_frame_split_into_one_byte_writes_is_answered(void **state)
{
	int fd = raw_connect(fx.port);
	Cend__V1__Envelope *env;
	size_t flen;
	uint8_t *f = request_frame(77, "test.Echo/Unary", "one byte at a time",
				   18, &flen);

	for (size_t i = 0; i < flen; i++)
		raw_send(fd, f + i, 1);
	free(f);
	env = raw_answer(fd);
	assert_non_null(env);
	assert_int_equal(env->call_id, 77);
	assert_int_equal(env->status, RPC_OK);
	assert_true(env->end_of_stream); /* a call's last answer */
	assert_int_equal(env->payload.len, 18);
	assert_memory_equal(env->payload.data, "one byte at a time", 18);
	cend__v1__envelope__free_unpacked(env, NULL);
	close(fd);
}

static void
test_rpc_several_frames_in_one_write_are_answered_in_order(void **state)
{
	int fd = raw_connect(fx.port);
	uint8_t buf[1024];
	size_t len = 0, flen;
	Cend__V1__Envelope *env;
	const char *methods_[] = { "test.Echo/Unary", "test.Echo/Unary",
				   "test.Nope/X", "test.Echo/Unary" };

	for (int i = 0; i < 4; i++) {
		uint8_t *f = request_frame(100 + (uint64_t)i, methods_[i], "p",
					   1, &flen);
		memcpy(buf + len, f, flen);
		len += flen;
		free(f);
	}
	raw_send(fd, buf, len);
	for (int i = 0; i < 4; i++) {
		env = raw_answer(fd);
		assert_non_null(env);
		assert_int_equal(env->call_id, 100 + i);
		assert_int_equal(env->status,
				 i == 2 ? RPC_UNIMPLEMENTED : RPC_OK);
		cend__v1__envelope__free_unpacked(env, NULL);
	}
	close(fd);
}

static void
test_rpc_request_without_method_closes_connection(void **state)
{
	int fd = raw_connect(fx.port);
	char log[4096];

	stderr_capture();
	raw_request(fd, 5, NULL, "no method");
	bool closed = raw_closed(fd);
	stderr_restore(log, sizeof(log));
	assert_true(closed);
	assert_non_null(strstr(log, ": request 5 without a method\n"));
	close(fd);
	WAIT_UNTIL(server_conns() == 0);
}

struct gone_check {
	int gone;
};

static void
check_held_gone(void *arg)
{
	((struct gone_check *)arg)->gone = rpc_call_gone(g.held);
}

static void
test_rpc_answer_after_client_left_is_dropped(void **state)
{
	int fd = raw_connect(fx.port);
	struct gone_check gc = { -1 };
	int gone = -1;

	raw_request(fd, 1, "test.Echo/Hold", NULL);
	WAIT_UNTIL(atomic_load(&g.held_entered) == 1);
	loop_exec(check_held_gone, &gc);
	assert_int_equal(gc.gone, 0);
	close(fd);
	WAIT_UNTIL(server_conns() == 0);
	WAIT_UNTIL(atomic_load(&g.gone) == 1); /* on_gone ran */
	/* The call object outlived its connection; the answer goes nowhere. */
	loop_exec(reply_held, &gone);
	assert_int_equal(gone, 1);
	/* The server still serves. */
	struct rpc_sync *c = sync_connect(fx.tcp_ep);
	expect_echo(c, "test.Echo/Unary", "still here");
	rpc_sync_close(c);
}

static int
count_and_stop(const uint8_t *m, size_t len, void *arg)
{
	(*(int *)arg)++;
	return 1; /* enough */
}

static void
test_rpc_stream_on_gone_fires_when_the_caller_cancels(void **state)
{
	struct rpc_sync *c = sync_connect(fx.unix_ep);
	struct cen_err err;
	rpc_status st = RPC_OK;
	char *msg = NULL;
	int n = 0;

	assert_int_equal(rpc_sync_stream(c, "test.Echo/Watch", NULL, 0, WAIT_MS,
					 count_and_stop, &n, &st, &msg, &err),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(st, RPC_CANCELLED);
	free(msg);
	WAIT_UNTIL(atomic_load(&g.gone) == 1);
	/* A cancelled stream leaves the connection unusable. */
	assert_int_equal(rpc_sync_call(c, "test.Echo/Unary", NULL, 0, WAIT_MS,
				       &st, NULL, NULL, NULL, &err),
			 -CEN_EIO);
	rpc_sync_close(c);
}

static void
test_rpc_write_queue_over_max_closes_connection(void **state)
{
	int fd = raw_connect(fx.port);
	char log[4096];

	stderr_capture();
	raw_request(fd, 1, "test.Echo/Flood", NULL); /* and never read */
	WAIT_UNTIL(atomic_load(&g.flood_done) == 1);
	stderr_restore(log, sizeof(log));
	assert_int_equal(atomic_load(&g.flood_rc), -CEN_EIO);
	assert_true(atomic_load(&g.flood_max_queued) <= RPC_WRITE_QUEUE_MAX);
	assert_true(atomic_load(&g.flood_max_queued) >
		    RPC_WRITE_QUEUE_MAX - 2 * FLOOD_MSG);
	assert_true(atomic_load(&g.flood_sent) < 200);
	assert_non_null(strstr(log, "over the 67108864 limit"));
	assert_true(raw_closed(fd));
	close(fd);
	WAIT_UNTIL(server_conns() == 0);
}

static void
test_rpc_sync_call_times_out_and_connection_stays_usable(void **state)
{
	struct rpc_sync *c = sync_connect(fx.tcp_ep);
	struct cen_err err;
	rpc_status st;
	int64_t t0 = now_ms();

	assert_int_equal(rpc_sync_call(c, "test.Echo/Never", NULL, 0, 100, &st,
				       NULL, NULL, NULL, &err),
			 -CEN_ETIMEOUT);
	assert_true(now_ms() - t0 >= 100);
	assert_int_equal(atomic_load(&g.seen_timeout_ms), 100);
	expect_echo(c, "test.Echo/Unary", "after a timeout");
	rpc_sync_close(c);
	WAIT_UNTIL(atomic_load(&g.gone) == 1);
}

static void
test_rpc_sync_connect_reports_refused_and_bad_endpoints(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct rpc_sync *c = NULL;
	struct cen_err err;
	char ep[64], path[160];
	socklen_t slen = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* A port that is bound but not listening: refused. */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(fd, (struct sockaddr *)&sin, &slen);
	snprintf(ep, sizeof(ep), "127.0.0.1:%u", ntohs(sin.sin_port));
	assert_int_equal(rpc_sync_connect(ep, WAIT_MS, &c, &err), -CEN_EIO);
	assert_non_null(strstr(err.msg, "connect to 127.0.0.1:"));
	assert_non_null(strstr(err.msg, "refused"));
	close(fd);

	snprintf(path, sizeof(path), "unix:%s/nothing.sock", fx.dir);
	assert_int_equal(rpc_sync_connect(path, WAIT_MS, &c, &err), -CEN_EIO);
	assert_int_equal(rpc_sync_connect("127.0.0.1", WAIT_MS, &c, &err),
			 -CEN_EINVAL);
	assert_non_null(strstr(err.msg, "port missing"));
	assert_null(c);
}

struct listen_try {
	char stale_ep[160];
	int stale_rc, live_rc, port_rc;
	char live_msg[256];
};

static void
listen_try(void *arg)
{
	struct listen_try *t = arg;
	struct rpc_server *s;
	struct cen_err err;

	if (rpc_server_new(&fx.loop, methods, 0, &s) != 0)
		abort();
	t->stale_rc = rpc_server_listen(s, t->stale_ep, &err);
	t->port_rc = rpc_server_port(s);
	t->live_rc = rpc_server_listen(s, fx.unix_ep, &err);
	snprintf(t->live_msg, sizeof(t->live_msg), "%.200s", err.msg);
	rpc_server_close(s);
}

static void
test_rpc_listen_replaces_a_stale_socket_file_but_not_a_live_one(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct listen_try t;
	struct rpc_sync *c;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	/* A socket file whose server is gone. */
	snprintf(t.stale_ep, sizeof(t.stale_ep), "unix:%s/stale.sock", fx.dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%.100s", t.stale_ep + 5);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	loop_exec(listen_try, &t);
	assert_int_equal(t.stale_rc, 0);
	assert_int_equal(t.port_rc, -CEN_ENOENT); /* no TCP listener */
	/* The live server's socket stays, and keeps serving. */
	assert_int_equal(t.live_rc, -CEN_EIO);
	assert_non_null(strstr(t.live_msg, "listen on unix:"));
	assert_non_null(strstr(t.live_msg, "address already in use"));
	c = sync_connect(fx.unix_ep);
	expect_echo(c, "test.Echo/Unary", "still listening");
	rpc_sync_close(c);
	/* The second server removed its own socket file when it closed. */
	WAIT_UNTIL(access(t.stale_ep + 5, F_OK) != 0);
}

/* ---- the asynchronous client ------------------------------------------- */

struct cres {
	int calls, msgs, bad;
	bool done, eos;
	rpc_status status;
	char message[256];
	uint8_t payload[64];
	size_t len;
	int64_t t_done;
};

static void
client_cb(rpc_status status, const char *message, const uint8_t *payload,
	  size_t len, bool eos, void *arg)
{
	struct cres *r = arg;
	Cend__V1__Envelope *m;

	r->calls++;
	if (!eos) {
		m = cend__v1__envelope__unpack(NULL, len, payload);
		if (m == NULL || m->call_id != (uint64_t)r->msgs ||
		    status != RPC_OK)
			r->bad++;
		if (m != NULL)
			cend__v1__envelope__free_unpacked(m, NULL);
		r->msgs++;
		return;
	}
	if (r->done)
		r->bad++; /* a second last answer */
	r->done = true;
	r->eos = eos;
	r->status = status;
	snprintf(r->message, sizeof(r->message), "%s", message ? message : "");
	r->len = len < sizeof(r->payload) ? len : sizeof(r->payload);
	if (len > 0)
		memcpy(r->payload, payload, r->len);
	r->t_done = now_ms();
}

struct cloop {
	uv_loop_t loop;
	uv_timer_t tick;
	struct rpc_client *c;
};

static void
tick_cb(uv_timer_t *t)
{
}

static void
cloop_init(struct cloop *cl)
{
	assert_int_equal(uv_loop_init(&cl->loop), 0);
	uv_timer_init(&cl->loop, &cl->tick);
	assert_int_equal(rpc_client_new(&cl->loop, &cl->c), 0);
}

/* Runs the client's loop until *flag (set by a callback or by the server's
 * thread), at most WAIT_MS; a 1 ms tick lets it look at flags the loop
 * cannot see. */
static bool
cloop_run_until(struct cloop *cl, const bool *flag, const atomic_int *n,
		int want)
{
	int64_t dl = now_ms() + WAIT_MS;

	uv_timer_start(&cl->tick, tick_cb, 1, 1);
	while (!(flag ? *flag : atomic_load(n) >= want) && now_ms() < dl)
		uv_run(&cl->loop, UV_RUN_ONCE);
	uv_timer_stop(&cl->tick);
	return flag ? *flag : atomic_load(n) >= want;
}

/* Closes the client and checks that every handle went with it. */
static void
cloop_fini(struct cloop *cl)
{
	if (cl->c != NULL)
		rpc_client_close(cl->c);
	uv_close((uv_handle_t *)&cl->tick, NULL);
	uv_run(&cl->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&cl->loop), 0);
}

static void
test_rpc_client_unary_call(void **state)
{
	struct cloop cl;
	struct cres r = { 0 }, r2 = { 0 };

	cloop_init(&cl);
	assert_int_equal(rpc_client_call(cl.c, fx.tcp_ep, "test.Echo/Unary",
					 (const uint8_t *)"ping", 4, WAIT_MS,
					 client_cb, &r),
			 0);
	/* A second call shares the connection being opened. */
	assert_int_equal(rpc_client_call(cl.c, fx.tcp_ep, "test.Echo/Later",
					 (const uint8_t *)"pong", 4, WAIT_MS,
					 client_cb, &r2),
			 0);
	assert_false(r.done); /* never from within rpc_client_call */
	assert_true(cloop_run_until(&cl, &r.done, NULL, 0));
	assert_true(cloop_run_until(&cl, &r2.done, NULL, 0));
	assert_int_equal(r.calls, 1);
	assert_true(r.eos);
	assert_int_equal(r.status, RPC_OK);
	assert_int_equal(r.len, 4);
	assert_memory_equal(r.payload, "ping", 4);
	assert_int_equal(r2.calls, 1);
	assert_int_equal(r2.status, RPC_OK);
	assert_memory_equal(r2.payload, "pong", 4);
	assert_int_equal(server_conns(), 1);

	/* An unknown method ends the call with its status. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(rpc_client_call(cl.c, fx.tcp_ep, "test.Nope/Y", NULL,
					 0, WAIT_MS, client_cb, &r),
			 0);
	assert_true(cloop_run_until(&cl, &r.done, NULL, 0));
	assert_int_equal(r.status, RPC_UNIMPLEMENTED);
	assert_string_equal(r.message, "unknown method test.Nope/Y");
	cloop_fini(&cl);
}

static void
test_rpc_client_stream_call(void **state)
{
	struct cloop cl;
	struct cres r = { 0 };
	uint8_t count[4];

	cloop_init(&cl);
	put_be32(count, 1000);
	assert_int_equal(rpc_client_call(cl.c, fx.unix_ep, "test.Echo/Stream",
					 count, 4, WAIT_MS, client_cb, &r),
			 0);
	assert_true(cloop_run_until(&cl, &r.done, NULL, 0));
	assert_int_equal(r.msgs, 1000);
	assert_int_equal(r.calls, 1001);
	assert_int_equal(r.bad, 0);
	assert_int_equal(r.status, RPC_OK);
	assert_int_equal(r.len, 0);
	cloop_fini(&cl);
}

/* 15 messages 30 ms apart take 450 ms; a 300 ms timeout bounds the wait
 * for each, not the whole stream. */
static void
test_rpc_stream_timeout_bounds_the_wait_for_each_message(void **state)
{
	struct rpc_sync *s = sync_connect(fx.tcp_ep);
	struct stream_seen seen = { 0 };
	struct cloop cl;
	struct cres r = { 0 };
	struct cen_err err;
	uint8_t count[4];
	rpc_status st = RPC_INTERNAL;
	int64_t t0 = now_ms();

	put_be32(count, 15);
	cloop_init(&cl);
	assert_int_equal(rpc_client_call(cl.c, fx.tcp_ep, "test.Echo/Ticks",
					 count, 4, 10 * TICK_MS, client_cb, &r),
			 0);
	assert_true(cloop_run_until(&cl, &r.done, NULL, 0));
	assert_true(now_ms() - t0 >= 15 * TICK_MS);
	assert_int_equal(r.status, RPC_OK);
	assert_int_equal(r.msgs, 15);
	assert_int_equal(r.bad, 0);
	cloop_fini(&cl);

	assert_int_equal(rpc_sync_stream(s, "test.Echo/Ticks", count, 4,
					 10 * TICK_MS, stream_cb, &seen, &st,
					 NULL, &err),
			 0);
	assert_int_equal(st, RPC_OK);
	assert_int_equal(seen.n, 15);
	assert_int_equal(seen.bad, 0);
	rpc_sync_close(s);
}

static void
test_rpc_client_deadline_exceeded_after_timeout(void **state)
{
	struct cloop cl;
	struct cres r = { 0 };
	int64_t t0;

	cloop_init(&cl);
	t0 = now_ms();
	assert_int_equal(rpc_client_call(cl.c, fx.tcp_ep, "test.Echo/Never",
					 NULL, 0, 200, client_cb, &r),
			 0);
	assert_true(cloop_run_until(&cl, &r.done, NULL, 0));
	assert_int_equal(r.status, RPC_DEADLINE_EXCEEDED);
	assert_int_equal(r.calls, 1);
	assert_true(r.t_done - t0 >= 195); /* libuv's clock is per turn */
	assert_true(r.t_done - t0 < WAIT_MS);
	assert_non_null(strstr(r.message, "within 200 ms"));
	assert_int_equal(atomic_load(&g.seen_timeout_ms), 200);
	cloop_fini(&cl);
	/* The server learns its caller left. */
	WAIT_UNTIL(atomic_load(&g.gone) == 1);
}

static void
test_rpc_client_unreachable_endpoint_is_unavailable(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct cloop cl;
	struct cres r = { 0 }, r2 = { 0 };
	socklen_t slen = sizeof(sin);
	char ep[64], path[160];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(fd, (struct sockaddr *)&sin, &slen);
	snprintf(ep, sizeof(ep), "127.0.0.1:%u", ntohs(sin.sin_port));
	snprintf(path, sizeof(path), "unix:%s/nothing.sock", fx.dir);

	cloop_init(&cl);
	assert_int_equal(rpc_client_call(cl.c, ep, "test.Echo/Unary", NULL, 0,
					 WAIT_MS, client_cb, &r),
			 0);
	assert_int_equal(rpc_client_call(cl.c, path, "test.Echo/Unary", NULL, 0,
					 0, client_cb, &r2),
			 0);
	assert_true(cloop_run_until(&cl, &r.done, NULL, 0));
	assert_true(cloop_run_until(&cl, &r2.done, NULL, 0));
	assert_int_equal(r.status, RPC_UNAVAILABLE);
	assert_int_equal(r.calls, 1);
	assert_non_null(strstr(r.message, "cannot connect to 127.0.0.1:"));
	assert_int_equal(r2.status, RPC_UNAVAILABLE);
	assert_int_equal(r2.calls, 1);

	/* Bad arguments fail at once, and the callback is never called. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(rpc_client_call(cl.c, "nowhere", "test.Echo/Unary",
					 NULL, 0, 0, client_cb, &r),
			 -CEN_EINVAL);
	assert_int_equal(
		rpc_client_call(cl.c, fx.tcp_ep, "", NULL, 0, 0, client_cb, &r),
		-CEN_EINVAL);
	cloop_fini(&cl);
	assert_int_equal(r.calls, 0);
	close(fd);
}

static void
restart_server(void *arg)
{
	rpc_server_close(fx.srv);
	if (server_start(&fx.srv, "127.0.0.1:0", fx.unix_ep) != 0)
		abort();
}

static void
test_rpc_client_fails_pending_on_loss_and_reconnects(void **state)
{
	struct cloop cl;
	struct cres r = { 0 }, r2 = { 0 };
	int gone = -1;

	cloop_init(&cl);
	assert_int_equal(rpc_client_call(cl.c, fx.unix_ep, "test.Echo/Hold",
					 NULL, 0, 0, client_cb, &r),
			 0);
	assert_true(cloop_run_until(&cl, NULL, &g.held_entered, 1));
	/* The server goes away (and a new one comes up on the same path). */
	loop_exec(restart_server, NULL);
	assert_true(cloop_run_until(&cl, &r.done, NULL, 0));
	assert_int_equal(r.status, RPC_UNAVAILABLE);
	assert_int_equal(r.calls, 1);
	loop_exec(reply_held, &gone);
	assert_int_equal(gone, 1);

	/* The next call opens a new connection. */
	assert_int_equal(rpc_client_call(cl.c, fx.unix_ep, "test.Echo/Unary",
					 (const uint8_t *)"again", 5, WAIT_MS,
					 client_cb, &r2),
			 0);
	assert_true(cloop_run_until(&cl, &r2.done, NULL, 0));
	assert_int_equal(r2.status, RPC_OK);
	assert_memory_equal(r2.payload, "again", 5);
	cloop_fini(&cl);
}

static void
test_rpc_client_close_cancels_pending_calls(void **state)
{
	struct cloop cl;
	struct cres r = { 0 };
	int gone = -1;

	cloop_init(&cl);
	assert_int_equal(rpc_client_call(cl.c, fx.tcp_ep, "test.Echo/Hold",
					 NULL, 0, WAIT_MS, client_cb, &r),
			 0);
	assert_true(cloop_run_until(&cl, NULL, &g.held_entered, 1));
	rpc_client_close(cl.c);
	cl.c = NULL;
	assert_false(r.done); /* on a later turn */
	cloop_fini(&cl);
	assert_true(r.done);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.status, RPC_CANCELLED);
	WAIT_UNTIL(server_conns() == 0);
	loop_exec(reply_held, &gone);
	assert_int_equal(gone, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_rpc_frame_feed_reassembles_any_split_into_reads),
		cmocka_unit_test(
			test_rpc_frame_feed_callback_nonzero_stops_feeding),
		cmocka_unit_test(
			test_rpc_frame_length_over_limit_fails_before_allocating),
		cmocka_unit_test(test_rpc_frame_not_an_envelope_fails),
		cmocka_unit_test(
			test_rpc_endpoint_parse_accepts_v4_v6_and_unix),
		cmocka_unit_test(
			test_rpc_endpoint_parse_rejects_with_what_to_write),
		cmocka_unit_test(test_rpc_status_str_names_every_status),
#define SRV(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
		SRV(test_rpc_unary_echo_over_tcp),
		SRV(test_rpc_unary_echo_over_unix_socket),
		SRV(test_rpc_stream_sends_1000_messages_in_order_then_ends),
		SRV(test_rpc_handler_may_answer_later_from_a_timer),
		SRV(test_rpc_unknown_method_is_unimplemented_and_connection_stays),
		SRV(test_rpc_handler_answers_invalid_argument_for_truncated_payload),
		SRV(test_rpc_garbage_frame_closes_only_that_connection),
		SRV(test_rpc_oversized_frame_length_closes_at_once_with_a_log_line),
		SRV(test_rpc_frame_split_into_one_byte_writes_is_answered),
		SRV(test_rpc_several_frames_in_one_write_are_answered_in_order),
		SRV(test_rpc_request_without_method_closes_connection),
		SRV(test_rpc_answer_after_client_left_is_dropped),
		SRV(test_rpc_stream_on_gone_fires_when_the_caller_cancels),
		SRV(test_rpc_write_queue_over_max_closes_connection),
		SRV(test_rpc_sync_call_times_out_and_connection_stays_usable),
		SRV(test_rpc_sync_connect_reports_refused_and_bad_endpoints),
		SRV(test_rpc_listen_replaces_a_stale_socket_file_but_not_a_live_one),
		SRV(test_rpc_client_unary_call),
		SRV(test_rpc_client_stream_call),
		SRV(test_rpc_client_deadline_exceeded_after_timeout),
		SRV(test_rpc_stream_timeout_bounds_the_wait_for_each_message),
		SRV(test_rpc_client_unreachable_endpoint_is_unavailable),
		SRV(test_rpc_client_fails_pending_on_loss_and_reconnects),
		SRV(test_rpc_client_close_cancels_pending_calls),
#undef SRV
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
