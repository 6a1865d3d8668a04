/*
 * rpc_server.c - the RPC server (rpc.h) on a libuv loop: TCP and Unix
 * socket listeners, one reader per connection feeding an rpc_framer, and
 * dispatch of each request envelope to its method's handler.
 *
 * Lifetimes.  The server owns its listeners and connections; each is a
 * libuv handle freed in its close callback, and the server itself is freed
 * when the last of them has closed after rpc_server_close.  A call holds
 * two references: the handler's (dropped when it finishes the call) and the
 * connection's (dropped when the call is finished or the connection goes
 * away).  So a handler may answer long after its caller left: the answer is
 * dropped, and the call is freed when both are done.  on_gone callbacks run
 * from the connection's close callback, never inside a handler's own
 * rpc_stream_send, so a producer is never re-entered.
 *
 * Bad input from a peer (a frame over the limit, bytes that are not an
 * Envelope, a request without a method) closes that connection with one
 * line on stderr naming the peer and what was wrong; everything else on the
 * server carries on.
 */
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto/rpc.h"

#define READ_BUF     (64u << 10)
#define BACKLOG	     128
#define PEER_MAX     128
#define METHOD_SHOWN 200 /* bytes of an unknown method quoted back */

union rpc_handle {
	uv_handle_t handle;
	uv_stream_t stream;
	uv_tcp_t tcp;
	uv_pipe_t pipe;
};

struct rpc_listener {
	union rpc_handle h;
	struct rpc_server *srv;
	struct rpc_listener *next;
	bool unix_socket;
	char path[sizeof(((struct rpc_endpoint *)0)->path)];
};

struct rpc_conn {
	union rpc_handle h;
	struct rpc_server *srv;
	struct rpc_conn *prev, *next;
	struct rpc_call *calls; /* open calls, for on_gone */
	struct rpc_framer framer;
	bool closing;
	char peer[PEER_MAX];
};

struct rpc_call {
	struct rpc_conn *conn; /* NULL once the connection has closed */
	struct rpc_call *prev, *next;
	uint64_t id;
	uint32_t timeout_ms;
	int refs; /* the handler's, and the connection's while linked */
	bool finished;
	void *data;
	void (*on_gone)(struct rpc_call *, void *);
	void *gone_arg;
};

struct rpc_server {
	uv_loop_t *loop;
	const struct rpc_method *methods;
	size_t frame_max;
	struct rpc_listener *listeners;
	struct rpc_conn *conns;
	size_t nconns;	/* connections not closing */
	size_t handles; /* open libuv handles, listeners and connections */
	bool closing;
	uint8_t rbuf[READ_BUF]; /* shared: each read is consumed at once */
};

/* A frame being written; freed by the write callback. */
struct wreq {
	uv_write_t req;
	size_t len;
	uint8_t data[];
};

static void conn_close(struct rpc_conn *conn);

/* ---- server and handles ------------------------------------------------ */

int
rpc_server_new(uv_loop_t *loop, const struct rpc_method *methods,
	       size_t frame_max, struct rpc_server **out)
{
	struct rpc_server *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -CEN_ENOMEM;
	s->loop = loop;
	s->methods = methods;
	s->frame_max = frame_max ? frame_max : RPC_FRAME_MAX_DEFAULT;
	*out = s;
	return 0;
}

/* One handle of the server has closed; the last one after
 * rpc_server_close frees the server. */
static void
server_handle_closed(struct rpc_server *s)
{
	if (s->handles == 0) {
		fprintf(stderr, "server_handle_closed: no open handle\n");
		abort();
	}
	s->handles--;
	if (s->closing && s->handles == 0)
		free(s);
}

size_t
rpc_server_connections(const struct rpc_server *s)
{
	return s->nconns;
}

int
rpc_server_port(struct rpc_server *s)
{
	struct sockaddr_storage ss;
	struct rpc_listener *l;
	int len = sizeof(ss);

	for (l = s->listeners; l != NULL; l = l->next) {
		if (l->unix_socket)
			continue;
		if (uv_tcp_getsockname(&l->h.tcp, (struct sockaddr *)&ss,
				       &len) != 0)
			return -CEN_EIO;
		if (ss.ss_family == AF_INET)
			return ntohs(((struct sockaddr_in *)&ss)->sin_port);
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return -CEN_ENOENT;
}

static void
listener_closed(uv_handle_t *h)
{
	struct rpc_listener *l = h->data;
	struct rpc_server *s = l->srv;

	free(l);
	server_handle_closed(s);
}

void
rpc_server_close(struct rpc_server *s)
{
	struct rpc_listener *l;
	struct rpc_conn *conn, *next;

	if (s->closing)
		return;
	s->closing = true;
	/* Closing a bound uv_pipe_t also removes its socket file. */
	while ((l = s->listeners) != NULL) {
		s->listeners = l->next;
		uv_close(&l->h.handle, listener_closed);
	}
	for (conn = s->conns; conn != NULL; conn = next) {
		next = conn->next;
		conn_close(conn);
	}
	if (s->handles == 0)
		free(s);
}

/* ---- calls ------------------------------------------------------------- */

/* Drops n references. */
static void
call_unref(struct rpc_call *call, int n)
{
	if (call->refs < n) {
		fprintf(stderr, "call_unref: call %llu has %d references\n",
			(unsigned long long)call->id, call->refs);
		abort();
	}
	call->refs -= n;
	if (call->refs == 0)
		free(call);
}

/* Unlinks the call from its connection; the connection's reference is
 * still to be dropped. */
static void
call_unlink(struct rpc_call *call)
{
	struct rpc_conn *conn = call->conn;

	if (call->prev != NULL)
		call->prev->next = call->next;
	else
		conn->calls = call->next;
	if (call->next != NULL)
		call->next->prev = call->prev;
	call->prev = call->next = NULL;
	call->conn = NULL;
}

static struct rpc_call *
call_new(struct rpc_conn *conn, const Cend__V1__Envelope *env)
{
	struct rpc_call *call;

	if ((call = calloc(1, sizeof(*call))) == NULL)
		return NULL;
	call->conn = conn;
	call->id = env->call_id;
	call->timeout_ms = env->timeout_ms;
	call->refs = 2;
	call->next = conn->calls;
	if (conn->calls != NULL)
		conn->calls->prev = call;
	conn->calls = call;
	return call;
}

bool
rpc_call_gone(const struct rpc_call *call)
{
	return call->conn == NULL || call->conn->closing;
}

size_t
rpc_call_queued(const struct rpc_call *call)
{
	if (call->conn == NULL)
		return 0;
	return uv_stream_get_write_queue_size(&call->conn->h.stream);
}

void
rpc_call_set_data(struct rpc_call *call, void *data)
{
	call->data = data;
}

void *
rpc_call_data(const struct rpc_call *call)
{
	return call->data;
}

uint32_t
rpc_call_timeout_ms(const struct rpc_call *call)
{
	return call->timeout_ms;
}

void
rpc_call_on_gone(struct rpc_call *call, void (*cb)(struct rpc_call *, void *),
		 void *arg)
{
	call->on_gone = cb;
	call->gone_arg = arg;
}

/* ---- connections ------------------------------------------------------- */

static void
conn_closed(uv_handle_t *h)
{
	struct rpc_conn *conn = h->data;
	struct rpc_server *s = conn->srv;
	struct rpc_call *call;

	/* The calls outlive us: each learns it is gone, then loses our
	 * reference (the handler's keeps it until finished). */
	while ((call = conn->calls) != NULL) {
		call_unlink(call);
		if (call->on_gone != NULL)
			call->on_gone(call, call->gone_arg);
		call_unref(call, 1);
	}
	if (conn->prev != NULL)
		conn->prev->next = conn->next;
	else
		s->conns = conn->next;
	if (conn->next != NULL)
		conn->next->prev = conn->prev;
	rpc_framer_fini(&conn->framer);
	free(conn);
	server_handle_closed(s);
}

static void
conn_close(struct rpc_conn *conn)
{
	if (conn->closing)
		return;
	conn->closing = true;
	conn->srv->nconns--;
	uv_close(&conn->h.handle, conn_closed);
}

/* Closes the connection for the peer's fault: one line on stderr. */
static void __attribute__((format(printf, 2, 3)))
conn_fail(struct rpc_conn *conn, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (conn->closing)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "rpc: closing %s: %s\n", conn->peer, msg);
	conn_close(conn);
}

static void
on_write(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct rpc_conn *conn = req->handle->data;

	free(w);
	if (status < 0 && status != UV_ECANCELED)
		conn_close(conn); /* the peer left; nothing to tell it */
}

/* Queues one envelope; 0, or -CEN_EIO when the connection is gone or has
 * just been closed for a write queue over RPC_WRITE_QUEUE_MAX. */
static int
conn_send(struct rpc_conn *conn, const Cend__V1__Envelope *env)
{
	size_t len = rpc_frame_size(env);
	size_t queued;
	struct wreq *w;
	uv_buf_t b;

	if (conn->closing)
		return -CEN_EIO;
	queued = uv_stream_get_write_queue_size(&conn->h.stream);
	if (queued + len > RPC_WRITE_QUEUE_MAX) {
		conn_fail(conn,
			  "write queue of %zu bytes plus %zu over the %u limit "
			  "(the peer does not read)",
			  queued, len, RPC_WRITE_QUEUE_MAX);
		return -CEN_EIO;
	}
	if ((w = malloc(sizeof(*w) + len)) == NULL) {
		conn_fail(conn, "out of memory for a %zu-byte answer", len);
		return -CEN_EIO;
	}
	w->len = len;
	rpc_frame_pack(env, w->data);
	b = uv_buf_init((char *)w->data, (unsigned)len);
	if (uv_write(&w->req, &conn->h.stream, &b, 1, on_write) != 0) {
		free(w);
		conn_close(conn);
		return -CEN_EIO;
	}
	return 0;
}

/* Sends one answer for call if its connection is still there.  An answer
 * over frame_max would be refused by the peer: -CEN_ETOOBIG, unsent. */
static int
call_send(struct rpc_call *call, rpc_status status, const char *message,
	  const uint8_t *payload, size_t len, bool eos)
{
	Cend__V1__Envelope env = CEND__V1__ENVELOPE__INIT;

	if (rpc_call_gone(call))
		return -CEN_EIO;
	env.call_id = call->id;
	env.status = status;
	if (message != NULL)
		env.message = (char *)message;
	env.payload.data = (uint8_t *)payload;
	env.payload.len = len;
	env.end_of_stream = eos;
	if (rpc_frame_size(&env) > call->conn->srv->frame_max)
		return -CEN_ETOOBIG;
	return conn_send(call->conn, &env);
}

/* Finishes a call: drops the handler's reference and, if the connection is
 * still there, its own (calls on a connection's list are never finished). */
static void
call_finish(struct rpc_call *call, const char *fn)
{
	if (call->finished) {
		fprintf(stderr, "%s: call %llu already finished\n", fn,
			(unsigned long long)call->id);
		abort();
	}
	call->finished = true;
	if (call->conn == NULL) {
		call_unref(call, 1);
		return;
	}
	call_unlink(call);
	call_unref(call, 2);
}

/* The last answer of a call, turned into INTERNAL if it is too big. */
static void
call_send_last(struct rpc_call *call, rpc_status status, const char *message,
	       const uint8_t *payload, size_t len)
{
	char msg[128];

	if (call_send(call, status, message, payload, len, true) !=
	    -CEN_ETOOBIG)
		return;
	snprintf(msg, sizeof(msg),
		 "answer of %zu bytes over the %zu-byte frame limit", len,
		 call->conn->srv->frame_max);
	call_send(call, RPC_INTERNAL, msg, NULL, 0, true);
}

void
rpc_reply(struct rpc_call *call, rpc_status status, const char *message,
	  const uint8_t *payload, size_t len)
{
	call_send_last(call, status, message, payload, len);
	call_finish(call, "rpc_reply");
}

/* Packs msg into a malloc'd buffer (a 1-byte one when msg packs to
 * nothing); NULL when out of memory. */
static uint8_t *
pack_msg(const ProtobufCMessage *msg, size_t *len)
{
	uint8_t *buf;

	*len = protobuf_c_message_get_packed_size(msg);
	if ((buf = malloc(*len ? *len : 1)) == NULL)
		return NULL;
	protobuf_c_message_pack(msg, buf);
	return buf;
}

void
rpc_reply_msg(struct rpc_call *call, const ProtobufCMessage *msg)
{
	uint8_t *buf;
	size_t len;

	if (rpc_call_gone(call)) {
		call_finish(call, "rpc_reply_msg");
		return;
	}
	if ((buf = pack_msg(msg, &len)) == NULL) {
		rpc_reply(call, RPC_INTERNAL, "out of memory", NULL, 0);
		return;
	}
	call_send_last(call, RPC_OK, NULL, buf, len);
	free(buf);
	call_finish(call, "rpc_reply_msg");
}

void
rpc_reply_error(struct rpc_call *call, rpc_status status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rpc_reply(call, status, msg, NULL, 0);
}

int
rpc_stream_send(struct rpc_call *call, const uint8_t *payload, size_t len)
{
	if (call->finished) {
		fprintf(stderr, "rpc_stream_send: call %llu already finished\n",
			(unsigned long long)call->id);
		abort();
	}
	return call_send(call, RPC_OK, NULL, payload, len, false);
}

int
rpc_stream_send_msg(struct rpc_call *call, const ProtobufCMessage *msg)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (rpc_call_gone(call))
		return -CEN_EIO;
	if ((buf = pack_msg(msg, &len)) == NULL)
		return -CEN_ENOMEM;
	rc = rpc_stream_send(call, buf, len);
	free(buf);
	return rc;
}

void
rpc_stream_end(struct rpc_call *call, rpc_status status, const char *message)
{
	call_send(call, status, message, NULL, 0, true);
	call_finish(call, "rpc_stream_end");
}

/* ---- requests ---------------------------------------------------------- */

static const struct rpc_method *
method_find(const struct rpc_server *s, const char *name)
{
	const struct rpc_method *m;

	for (m = s->methods; m != NULL && m->name != NULL; m++)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

/* Answers a request that never became a call. */
static void
conn_answer(struct rpc_conn *conn, uint64_t id, rpc_status status,
	    const char *message)
{
	Cend__V1__Envelope env = CEND__V1__ENVELOPE__INIT;

	env.call_id = id;
	env.status = status;
	env.message = (char *)message;
	env.end_of_stream = true;
	conn_send(conn, &env);
}

/* One request envelope (rpc_frame_fn): non-zero stops the framer once the
 * connection is closing. */
static int
conn_on_request(Cend__V1__Envelope *env, void *arg)
{
	struct rpc_conn *conn = arg;
	const struct rpc_method *m;
	struct rpc_call *call;
	char msg[METHOD_SHOWN + 32];

	if (conn->closing)
		return -CEN_EIO;
	if (env->method == NULL || env->method[0] == '\0') {
		conn_fail(conn, "request %llu without a method",
			  (unsigned long long)env->call_id);
		return -CEN_EPROTO;
	}
	if ((m = method_find(conn->srv, env->method)) == NULL) {
		snprintf(msg, sizeof(msg), "unknown method %.*s", METHOD_SHOWN,
			 env->method);
		conn_answer(conn, env->call_id, RPC_UNIMPLEMENTED, msg);
	} else if ((call = call_new(conn, env)) == NULL) {
		conn_answer(conn, env->call_id, RPC_INTERNAL, "out of memory");
	} else {
		m->fn(call, env->payload.data, env->payload.len, m->arg);
	}
	return conn->closing ? -CEN_EIO : 0;
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct rpc_conn *conn = h->data;

	*buf = uv_buf_init((char *)conn->srv->rbuf, READ_BUF);
}

static void
on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct rpc_conn *conn = stream->data;
	struct cen_err err;
	int rc;

	if (nread < 0) {
		conn_close(conn); /* EOF or reset: pending calls are gone */
		return;
	}
	if (nread == 0 || conn->closing)
		return;
	rc = rpc_frame_feed(&conn->framer, (const uint8_t *)buf->base,
			    (size_t)nread, conn_on_request, conn, &err);
	if (rc == -CEN_EPROTO)
		conn_fail(conn, "%s", err.msg);
	else if (rc == -CEN_ENOMEM)
		conn_fail(conn, "out of memory for a frame");
	else if (rc != 0)
		conn_close(conn);
}

/* "127.0.0.1:53312", "[::1]:53312" or "unix:/path". */
static void
peer_name(struct rpc_conn *conn, const struct rpc_listener *l)
{
	struct sockaddr_storage ss = { .ss_family = AF_UNSPEC };
	char host[INET6_ADDRSTRLEN] = "?";
	int len = sizeof(ss);
	unsigned port = 0;

	if (l->unix_socket) {
		snprintf(conn->peer, sizeof(conn->peer), "unix:%s", l->path);
		return;
	}
	if (uv_tcp_getpeername(&conn->h.tcp, (struct sockaddr *)&ss, &len) ==
	    0) {
		if (ss.ss_family == AF_INET) {
			uv_ip4_name((struct sockaddr_in *)&ss, host,
				    sizeof(host));
			port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		} else {
			uv_ip6_name((struct sockaddr_in6 *)&ss, host,
				    sizeof(host));
			port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		}
	}
	snprintf(conn->peer, sizeof(conn->peer),
		 ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
}

static void
on_connection(uv_stream_t *ls, int status)
{
	struct rpc_listener *l = ls->data;
	struct rpc_server *s = l->srv;
	struct rpc_conn *conn;

	if (status < 0) {
		fprintf(stderr, "rpc: accept: %s\n", uv_strerror(status));
		return;
	}
	if ((conn = calloc(1, sizeof(*conn))) == NULL) {
		fprintf(stderr, "rpc: accept: out of memory\n");
		return;
	}
	conn->srv = s;
	rpc_framer_init(&conn->framer, s->frame_max);
	if (l->unix_socket)
		uv_pipe_init(s->loop, &conn->h.pipe, 0);
	else
		uv_tcp_init(s->loop, &conn->h.tcp);
	conn->h.handle.data = conn;
	s->handles++;
	conn->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = conn;
	s->conns = conn;
	s->nconns++;
	snprintf(conn->peer, sizeof(conn->peer), "a new connection");
	if ((status = uv_accept(ls, &conn->h.stream)) != 0) {
		conn_fail(conn, "accept: %s", uv_strerror(status));
		return;
	}
	if (!l->unix_socket)
		uv_tcp_nodelay(&conn->h.tcp, 1);
	peer_name(conn, l);
	if ((status = uv_read_start(&conn->h.stream, on_alloc, on_read)) != 0)
		conn_fail(conn, "read: %s", uv_strerror(status));
}

/* ---- listeners --------------------------------------------------------- */

/* A socket file left by a server that is gone (nothing accepts on it) is
 * removed, so a restart does not fail with "address already in use". */
static void
unlink_stale(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (stat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
		return;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc != 0)
		unlink(path);
}

static int
listener_bind(struct rpc_listener *l, const struct rpc_endpoint *ep)
{
	int rc;

	if (ep->unix_socket) {
		unlink_stale(ep->path);
		if ((rc = uv_pipe_bind(&l->h.pipe, ep->path)) != 0)
			return rc;
		l->unix_socket = true;
		memcpy(l->path, ep->path, sizeof(l->path));
		return 0;
	}
	/* libuv sets SO_REUSEADDR on every TCP bind. */
	return uv_tcp_bind(&l->h.tcp, (const struct sockaddr *)&ep->sa, 0);
}

int
rpc_server_listen(struct rpc_server *s, const char *endpoint,
		  struct cen_err *err)
{
	struct rpc_listener *l, **tail;
	struct rpc_endpoint ep;
	int rc;

	if (s->closing)
		return cen_errf(err, -CEN_ESHUTDOWN, "server closing");
	if ((rc = rpc_endpoint_parse_listen(&ep, endpoint, err)) != 0)
		return rc;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return cen_errf(err, -CEN_ENOMEM, "out of memory");
	l->srv = s;
	if (ep.unix_socket)
		uv_pipe_init(s->loop, &l->h.pipe, 0);
	else
		uv_tcp_init(s->loop, &l->h.tcp);
	l->h.handle.data = l;
	s->handles++;
	if ((rc = listener_bind(l, &ep)) != 0 ||
	    (rc = uv_listen(&l->h.stream, BACKLOG, on_connection)) != 0) {
		uv_close(&l->h.handle, listener_closed);
		return cen_errf(err, -CEN_EIO, "listen on %s: %s", endpoint,
				uv_strerror(rc));
	}
	for (tail = &s->listeners; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = l; /* in order: rpc_server_port finds the first */
	return 0;
}
