/*
 * rpc_client.c - the asynchronous RPC client (rpc.h) on a libuv loop, for
 * node-to-node calls: one connection per endpoint, opened on the first call
 * and again on the first call after it was lost; pending calls keyed by
 * call_id; a timer per call for its deadline.
 *
 * Lifetimes.  A connection (struct cconn) is linked in the client while it
 * is usable; once lost it is unlinked at once (the next call opens a new
 * one) and freed in its handle's close callback, which also fails its
 * pending calls.  A pending call (struct pend) owns a timer handle and is
 * freed in the timer's close callback.  Both frees happen on a later loop
 * turn, never inside a user callback, so a callback may call rpc_client_call
 * or rpc_client_close freely.  The client is freed when rpc_client_close has
 * been called and its last handle has closed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hmap.h"
#include "proto/rpc.h"

#define READ_BUF (64u << 10)

union cc_handle {
	uv_handle_t handle;
	uv_stream_t stream;
	uv_tcp_t tcp;
	uv_pipe_t pipe;
};

/* A frame to write, queued until the connection is up; freed by the write
 * callback. */
struct wreq {
	uv_write_t req;
	struct wreq *next;
	size_t len;
	uint8_t data[];
};

struct cconn {
	union cc_handle h;
	uv_connect_t creq;
	struct rpc_client *c;
	struct cconn *next; /* in c->conns while usable */
	char *name;	    /* the endpoint as the caller wrote it */
	struct rpc_endpoint ep;
	bool connected;
	bool lost;
	rpc_status fail_status; /* for pending calls, once lost */
	char fail_msg[160];
	struct rpc_framer framer;
	struct hmap calls; /* call_id -> struct pend */
	struct pend *pend; /* the same, as a list */
	struct wreq *unsent, **unsent_tail;
};

struct pend {
	uv_timer_t timer;
	struct rpc_client *c;
	struct cconn *conn; /* NULL once done */
	struct pend *prev, *next;
	uint64_t id;
	uint32_t timeout_ms;
	bool done;
	rpc_client_cb cb;
	void *arg;
};

struct rpc_client {
	uv_loop_t *loop;
	struct cconn *conns;
	uint64_t next_id;
	size_t handles; /* connections and timers not yet closed */
	bool closing;
	uint8_t rbuf[READ_BUF]; /* shared: each read is consumed at once */
};

static void conn_lost(struct cconn *conn, rpc_status status, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));

int
rpc_client_new(uv_loop_t *loop, struct rpc_client **out)
{
	struct rpc_client *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -CEN_ENOMEM;
	c->loop = loop;
	c->next_id = 1;
	*out = c;
	return 0;
}

static void
client_handle_closed(struct rpc_client *c)
{
	if (c->handles == 0) {
		fprintf(stderr, "client_handle_closed: no open handle\n");
		abort();
	}
	if (--c->handles == 0 && c->closing)
		free(c);
}

/* ---- pending calls ----------------------------------------------------- */

static bool
id_eq(const void *a, const void *b)
{
	return *(const uint64_t *)a == *(const uint64_t *)b;
}

static uint64_t
id_hash(uint64_t id)
{
	return hmap_hash_bytes(&id, sizeof(id), 0);
}

static void
pend_closed(uv_handle_t *h)
{
	struct pend *p = h->data;
	struct rpc_client *c = p->c;

	free(p);
	client_handle_closed(c);
}

static void
pend_unlink(struct pend *p)
{
	struct cconn *conn = p->conn;

	hmap_del(&conn->calls, id_hash(p->id), &p->id);
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		conn->pend = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	p->prev = p->next = NULL;
	p->conn = NULL;
}

/* The last callback of a call; the pend is freed on a later turn. */
static void
pend_complete(struct pend *p, rpc_status status, const char *message,
	      const uint8_t *payload, size_t len)
{
	if (p->done)
		return;
	p->done = true;
	if (p->conn != NULL)
		pend_unlink(p);
	uv_close((uv_handle_t *)&p->timer, pend_closed);
	p->cb(status, message, payload, len, true, p->arg);
}

static void
on_timeout(uv_timer_t *t)
{
	struct pend *p = t->data;
	char msg[200];

	snprintf(msg, sizeof(msg), "no answer from %s within %u ms",
		 p->conn != NULL ? p->conn->name : "the server", p->timeout_ms);
	pend_complete(p, RPC_DEADLINE_EXCEEDED, msg, NULL, 0);
}

/* ---- connections ------------------------------------------------------- */

static void
conn_closed(uv_handle_t *h)
{
	struct cconn *conn = h->data;
	struct rpc_client *c = conn->c;
	struct wreq *w;

	while ((w = conn->unsent) != NULL) {
		conn->unsent = w->next;
		free(w);
	}
	while (conn->pend != NULL)
		pend_complete(conn->pend, conn->fail_status, conn->fail_msg,
			      NULL, 0);
	hmap_fini(&conn->calls);
	rpc_framer_fini(&conn->framer);
	free(conn->name);
	free(conn);
	client_handle_closed(c);
}

/* The connection is unusable: unlinks it (the next call to its endpoint
 * opens a new one) and closes it; its pending calls fail with status once
 * the handle has closed. */
static void
conn_lost(struct cconn *conn, rpc_status status, const char *fmt, ...)
{
	struct cconn **pp;
	va_list ap;

	if (conn->lost)
		return;
	conn->lost = true;
	conn->fail_status = status;
	va_start(ap, fmt);
	vsnprintf(conn->fail_msg, sizeof(conn->fail_msg), fmt, ap);
	va_end(ap);
	for (pp = &conn->c->conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == conn) {
			*pp = conn->next;
			break;
		}
	}
	conn->next = NULL;
	uv_close(&conn->h.handle, conn_closed);
}

static void
on_write(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct cconn *conn = req->handle->data;

	free(w);
	if (status < 0 && status != UV_ECANCELED)
		conn_lost(conn, RPC_UNAVAILABLE, "write to %s: %s", conn->name,
			  uv_strerror(status));
}

/* Writes a frame, or queues it until the connection is up.  Takes w. */
static void
conn_write(struct cconn *conn, struct wreq *w)
{
	uv_buf_t b;
	int rc;

	if (conn->lost) {
		free(w);
		return;
	}
	if (!conn->connected) {
		w->next = NULL;
		*conn->unsent_tail = w;
		conn->unsent_tail = &w->next;
		return;
	}
	b = uv_buf_init((char *)w->data, (unsigned)w->len);
	if ((rc = uv_write(&w->req, &conn->h.stream, &b, 1, on_write)) != 0) {
		free(w);
		conn_lost(conn, RPC_UNAVAILABLE, "write to %s: %s", conn->name,
			  uv_strerror(rc));
	}
}

/* One answer (rpc_frame_fn).  An answer for no pending call (it timed
 * out) is dropped. */
static int
conn_on_answer(Cend__V1__Envelope *env, void *arg)
{
	struct cconn *conn = arg;
	const char *msg;
	struct pend *p;

	if (conn->lost)
		return -CEN_EIO;
	p = hmap_get(&conn->calls, id_hash(env->call_id), &env->call_id);
	if (p == NULL)
		return 0;
	msg = env->message != NULL && env->message[0] != '\0' ? env->message
							      : NULL;
	if (env->end_of_stream || env->status != RPC_OK) {
		pend_complete(p, env->status, msg, env->payload.data,
			      env->payload.len);
	} else {
		if (p->timeout_ms != 0)
			uv_timer_start(&p->timer, on_timeout, p->timeout_ms, 0);
		p->cb(env->status, msg, env->payload.data, env->payload.len,
		      false, p->arg);
	}
	return conn->lost ? -CEN_EIO : 0;
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct cconn *conn = h->data;

	*buf = uv_buf_init((char *)conn->c->rbuf, READ_BUF);
}

static void
on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct cconn *conn = stream->data;
	struct cen_err err;
	int rc;

	if (nread == UV_EOF) {
		conn_lost(conn, RPC_UNAVAILABLE,
			  "connection to %s closed by the server", conn->name);
		return;
	}
	if (nread < 0) {
		conn_lost(conn, RPC_UNAVAILABLE, "read from %s: %s", conn->name,
			  uv_strerror((int)nread));
		return;
	}
	if (nread == 0 || conn->lost)
		return;
	rc = rpc_frame_feed(&conn->framer, (const uint8_t *)buf->base,
			    (size_t)nread, conn_on_answer, conn, &err);
	if (rc == -CEN_EPROTO)
		conn_lost(conn, RPC_UNAVAILABLE, "bad answer from %s: %s",
			  conn->name, err.msg);
	else if (rc == -CEN_ENOMEM)
		conn_lost(conn, RPC_UNAVAILABLE,
			  "out of memory reading from %s", conn->name);
}

static void
on_connect(uv_connect_t *req, int status)
{
	struct cconn *conn = req->data;
	struct wreq *w;
	int rc;

	if (status == UV_ECANCELED || conn->lost)
		return;
	if (status < 0) {
		conn_lost(conn, RPC_UNAVAILABLE, "cannot connect to %s: %s",
			  conn->name, uv_strerror(status));
		return;
	}
	conn->connected = true;
	if (!conn->ep.unix_socket)
		uv_tcp_nodelay(&conn->h.tcp, 1);
	if ((rc = uv_read_start(&conn->h.stream, on_alloc, on_read)) != 0) {
		conn_lost(conn, RPC_UNAVAILABLE, "read from %s: %s", conn->name,
			  uv_strerror(rc));
		return;
	}
	while ((w = conn->unsent) != NULL && !conn->lost) {
		conn->unsent = w->next;
		conn_write(conn, w);
	}
	if (conn->unsent == NULL)
		conn->unsent_tail = &conn->unsent;
}

/* Opens a connection to a parsed endpoint.  A connect that fails at once
 * fails the same way as a later one: the calls made on it get
 * RPC_UNAVAILABLE on a later loop turn. */
static struct cconn *
conn_open(struct rpc_client *c, const char *endpoint,
	  const struct rpc_endpoint *ep)
{
	struct cconn *conn;
	int rc = 0;

	if ((conn = calloc(1, sizeof(*conn))) == NULL)
		return NULL;
	if ((conn->name = strdup(endpoint)) == NULL) {
		free(conn);
		return NULL;
	}
	conn->c = c;
	conn->ep = *ep;
	rpc_framer_init(&conn->framer, 0);
	hmap_init(&conn->calls, id_eq);
	conn->unsent_tail = &conn->unsent;
	if (ep->unix_socket)
		uv_pipe_init(c->loop, &conn->h.pipe, 0);
	else
		uv_tcp_init(c->loop, &conn->h.tcp);
	conn->h.handle.data = conn;
	conn->creq.data = conn;
	c->handles++;
	conn->next = c->conns;
	c->conns = conn;
	if (ep->unix_socket)
		uv_pipe_connect(&conn->creq, &conn->h.pipe, ep->path,
				on_connect);
	else
		rc = uv_tcp_connect(&conn->creq, &conn->h.tcp,
				    (const struct sockaddr *)&ep->sa,
				    on_connect);
	if (rc != 0)
		conn_lost(conn, RPC_UNAVAILABLE, "cannot connect to %s: %s",
			  endpoint, uv_strerror(rc));
	return conn;
}

/* The usable connection to endpoint, or a new one; NULL with *rc set. */
static struct cconn *
conn_get(struct rpc_client *c, const char *endpoint, int *rc)
{
	struct rpc_endpoint ep;
	struct cconn *conn;

	for (conn = c->conns; conn != NULL; conn = conn->next)
		if (strcmp(conn->name, endpoint) == 0)
			return conn;
	if ((*rc = rpc_endpoint_parse(&ep, endpoint, NULL)) != 0)
		return NULL;
	if ((conn = conn_open(c, endpoint, &ep)) == NULL)
		*rc = -CEN_ENOMEM;
	return conn;
}

/* ---- calls ------------------------------------------------------------- */

static struct pend *
pend_new(struct rpc_client *c, struct cconn *conn, uint64_t id,
	 uint32_t timeout_ms, rpc_client_cb cb, void *arg)
{
	struct pend *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->c = c;
	p->id = id;
	p->timeout_ms = timeout_ms;
	p->cb = cb;
	p->arg = arg;
	if (hmap_put(&conn->calls, id_hash(id), &p->id, p, NULL) != 0) {
		free(p);
		return NULL;
	}
	p->conn = conn;
	p->next = conn->pend;
	if (conn->pend != NULL)
		conn->pend->prev = p;
	conn->pend = p;
	uv_timer_init(c->loop, &p->timer);
	p->timer.data = p;
	c->handles++;
	if (timeout_ms != 0)
		uv_timer_start(&p->timer, on_timeout, timeout_ms, 0);
	return p;
}

int
rpc_client_call(struct rpc_client *c, const char *endpoint, const char *method,
		const uint8_t *payload, size_t len, uint32_t timeout_ms,
		rpc_client_cb cb, void *arg)
{
	Cend__V1__Envelope env = CEND__V1__ENVELOPE__INIT;
	struct cconn *conn;
	struct wreq *w;
	size_t flen;
	int rc = 0;

	if (c->closing)
		return -CEN_ESHUTDOWN;
	if (method == NULL || method[0] == '\0' || cb == NULL)
		return -CEN_EINVAL;
	env.call_id = c->next_id;
	env.method = (char *)method;
	env.payload.data = (uint8_t *)payload;
	env.payload.len = len;
	env.timeout_ms = timeout_ms;
	flen = rpc_frame_size(&env);
	if (flen > RPC_FRAME_MAX_DEFAULT)
		return -CEN_ETOOBIG;
	if ((conn = conn_get(c, endpoint, &rc)) == NULL)
		return rc;
	if ((w = malloc(sizeof(*w) + flen)) == NULL)
		return -CEN_ENOMEM;
	if (pend_new(c, conn, env.call_id, timeout_ms, cb, arg) == NULL) {
		free(w);
		return -CEN_ENOMEM;
	}
	c->next_id++;
	w->len = flen;
	rpc_frame_pack(&env, w->data);
	conn_write(conn, w);
	return 0;
}

void
rpc_client_close(struct rpc_client *c)
{
	c->closing = true;
	while (c->conns != NULL)
		conn_lost(c->conns, RPC_CANCELLED, "client closed");
	if (c->handles == 0)
		free(c);
}
