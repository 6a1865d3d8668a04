/*
 * client.c - cenctl's calls to a cend cluster over the blocking RPC client
 * (proto/rpc.h, rpc_sync): the endpoint list (--endpoints a,b,c, or
 * $CENCTL_ENDPOINTS, or 127.0.0.1:7101), failover from an endpoint that
 * cannot be reached to the next, and NOT_LEADER redirects.
 *
 * A call tries the endpoints in the order given, starting with the one it
 * is connected to.  An endpoint that refuses the connection, does not
 * answer within --timeout, drops the connection or answers UNAVAILABLE
 * ("no leader is known yet") is skipped for the next.  Servers forward
 * writes to their leader, so NOT_LEADER should not reach the CLI; if it
 * does, the call is retried once on the leader the answer names (the
 * message, or its last word, when that is an endpoint).  When every
 * endpoint answered but none knew a leader (an election, or a cluster
 * just started), the round is tried again, with a growing pause, until
 * --timeout has passed: a write during an election waits for its end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cenctl.h"
#include "proto/rpc.h"

#define CLIENT_REDIRECTS_MAX 3

/* The outcome of one attempt on one endpoint. */
enum {
	TRY_DONE,     /* an answer, OK or not: stop */
	TRY_NEXT,     /* unreachable: try the next endpoint */
	TRY_REDIRECT, /* NOT_LEADER with a hint: try the hint */
};

int
cenctl_client_init(struct cenctl *ctl, struct cen_err *err)
{
	char *save = NULL, *tok;

	if (ctl->eps_buf != NULL)
		return 0;
	if (ctl->timeout_ms == 0)
		ctl->timeout_ms = CENCTL_TIMEOUT_DEFAULT_MS;
	ctl->eps_buf = strdup(ctl->endpoints != NULL ? ctl->endpoints
						     : CENCTL_DEFAULT_ENDPOINT);
	if (ctl->eps_buf == NULL)
		return cen_errf(err, -CEN_ENOMEM, "out of memory");
	ctl->neps = 0;
	for (tok = strtok_r(ctl->eps_buf, ", \t", &save); tok != NULL;
	     tok = strtok_r(NULL, ", \t", &save)) {
		if (ctl->neps == CENCTL_ENDPOINTS_MAX)
			return cen_errf(err, -CEN_ETOOBIG,
					"--endpoints: more than %d endpoints",
					CENCTL_ENDPOINTS_MAX);
		if (strlen(tok) >= sizeof(ctl->conn_ep))
			return cen_errf(err, -CEN_EINVAL,
					"--endpoints: '%.40s...' is too long",
					tok);
		ctl->eps[ctl->neps++] = tok;
	}
	if (ctl->neps == 0)
		return cen_errf(err, -CEN_EINVAL,
				"--endpoints: no endpoint given (expected "
				"HOST:PORT[,HOST:PORT...])");
	return 0;
}

static void
disconnect(struct cenctl *ctl)
{
	if (ctl->conn != NULL)
		rpc_sync_close(ctl->conn);
	ctl->conn = NULL;
	ctl->conn_ep[0] = '\0';
}

void
cenctl_client_close(struct cenctl *ctl)
{
	disconnect(ctl);
	free(ctl->eps_buf);
	ctl->eps_buf = NULL;
	ctl->neps = 0;
}

/* Rewrites a transport error as "ENDPOINT: what happened", the way a
 * person reads it: "127.0.0.1:1: connection refused" (rpc_sync says
 * "connect to 127.0.0.1:1: Connection refused"). */
static void
transport_error(struct cen_err *err, const char *ep, int rc,
		uint32_t timeout_ms)
{
	char msg[CEN_ERRMSG_SIZE + 256], prefix[160];
	const char *m = err->msg;
	size_t n = strlen(ep);

	if (rc == -CEN_EINVAL)
		return; /* a bad endpoint: the message names it */
	snprintf(prefix, sizeof(prefix), "connect to %s: ", ep);
	if (strncmp(m, prefix, strlen(prefix)) == 0)
		m += strlen(prefix);
	else if (strncmp(m, ep, n) == 0 && m[n] == ':' && m[n + 1] == ' ')
		m += n + 2;
	if (rc == -CEN_ETIMEOUT)
		snprintf(msg, sizeof(msg), "%s: no answer within %u ms", ep,
			 timeout_ms);
	else if (m[0] == '\0')
		snprintf(msg, sizeof(msg), "%s: %s", ep, cen_strerror(rc));
	else
		snprintf(msg, sizeof(msg), "%s: %s", ep, m);
	/* strerror's "Connection refused" reads "connection refused" here */
	if (msg[n + 2] >= 'A' && msg[n + 2] <= 'Z' && msg[n + 3] >= 'a' &&
	    msg[n + 3] <= 'z')
		msg[n + 2] = (char)(msg[n + 2] - 'A' + 'a');
	cen_errf(err, rc, "%s", msg);
}

static int
connect_to(struct cenctl *ctl, const char *ep, struct cen_err *err)
{
	int rc;

	if (ctl->conn != NULL && strcmp(ctl->conn_ep, ep) == 0)
		return 0;
	disconnect(ctl);
	cen_err_clear(err);
	rc = rpc_sync_connect(ep, ctl->timeout_ms, &ctl->conn, err);
	if (rc != 0) {
		ctl->conn = NULL;
		transport_error(err, ep, rc, ctl->timeout_ms);
		return rc;
	}
	snprintf(ctl->conn_ep, sizeof(ctl->conn_ep), "%s", ep);
	return 0;
}

static int
code_of(rpc_status s)
{
	switch (s) {
	case RPC_OK:
		return 0;
	case RPC_NOT_FOUND:
		return -CEN_ENOENT;
	case RPC_ALREADY_EXISTS:
		return -CEN_EEXIST;
	case RPC_INVALID_ARGUMENT:
		return -CEN_EINVAL;
	case RPC_FAILED_PRECONDITION:
		return -CEN_ECONFLICT;
	case RPC_DEADLINE_EXCEEDED:
		return -CEN_ETIMEOUT;
	case RPC_NOT_LEADER:
		return -CEN_ENOTLEADER;
	case RPC_UNAVAILABLE:
		return -CEN_EIO;
	default:
		return -CEN_EPROTO;
	}
}

/* The leader a NOT_LEADER answer names: the message itself or its last
 * word, when that parses as an endpoint. */
static bool
leader_hint(const char *msg, char *out, size_t size)
{
	struct rpc_endpoint ep;
	struct cen_err e;
	const char *w;
	size_t n;

	if (msg == NULL || msg[0] == '\0')
		return false;
	w = strrchr(msg, ' ');
	w = w != NULL ? w + 1 : msg;
	n = strlen(w);
	while (n > 0 && (w[n - 1] == '.' || w[n - 1] == ')'))
		n--;
	if (n == 0 || n >= size)
		return false;
	memcpy(out, w, n);
	out[n] = '\0';
	return rpc_endpoint_parse(&ep, out, &e) == 0;
}

/* Sorts an answer: OK or a final error (TRY_DONE, rc in *rc), a reason to
 * try elsewhere (TRY_NEXT), or a redirect (TRY_REDIRECT, hint filled). */
static int
classify(const char *ep, rpc_status status, const char *message, int *rc,
	 char *hint, size_t hsize, struct cen_err *err)
{
	const char *m = message != NULL && message[0] != '\0'
				? message
				: rpc_status_str(status);

	*rc = code_of(status);
	if (status == RPC_OK) {
		cen_err_clear(err);
		return TRY_DONE;
	}
	if (status == RPC_NOT_LEADER && leader_hint(message, hint, hsize)) {
		cen_errf(err, *rc, "%s: not the leader (leader: %s)", ep, hint);
		return TRY_REDIRECT;
	}
	if (status == RPC_UNAVAILABLE || status == RPC_NOT_LEADER) {
		cen_errf(err, *rc, "%s: %s", ep, m);
		return TRY_NEXT;
	}
	cen_errf(err, *rc, "%s", m);
	return TRY_DONE;
}

/* One call (unary if cb is NULL, else a stream) on one endpoint. */
struct attempt {
	const char *method;
	const uint8_t *req;
	size_t len;
	const ProtobufCMessageDescriptor *rdesc;
	ProtobufCMessage **resp;
	uint32_t timeout_ms;
	cenctl_stream_fn cb;
	void *arg;
	size_t received; /* stream messages delivered */
	bool leaderless; /* an endpoint answered UNAVAILABLE (no leader) */
	int cb_rc;	 /* what cb returned to stop the stream */
	int decode_rc;
	struct cen_err *err;
};

static int
stream_msg(const uint8_t *buf, size_t len, void *arg)
{
	struct attempt *at = arg;
	ProtobufCMessage *m =
		protobuf_c_message_unpack(at->rdesc, NULL, len, buf);
	int rc;

	if (m == NULL) {
		at->decode_rc = cen_errf(at->err, -CEN_EPROTO,
					 "the server sent a message that does "
					 "not decode as %s",
					 at->rdesc->name);
		return 1;
	}
	at->received++;
	rc = at->cb(m, at->arg);
	protobuf_c_message_free_unpacked(m, NULL);
	if (rc != 0)
		at->cb_rc = rc;
	return rc;
}

static int
try_one(struct cenctl *ctl, const char *ep, struct attempt *at, int *rc,
	char *hint, size_t hsize)
{
	struct cen_err *err = at->err;
	rpc_status status = RPC_OK;
	char *message = NULL;
	uint8_t *resp = NULL;
	size_t rlen = 0;
	int t;

	*rc = connect_to(ctl, ep, err);
	if (*rc != 0)
		return TRY_NEXT;
	cen_err_clear(err);
	if (at->cb == NULL)
		*rc = rpc_sync_call(ctl->conn, at->method, at->req, at->len,
				    at->timeout_ms, &status, &message, &resp,
				    &rlen, err);
	else
		*rc = rpc_sync_stream(ctl->conn, at->method, at->req, at->len,
				      at->timeout_ms, stream_msg, at, &status,
				      &message, err);
	if (at->cb_rc != 0 || at->decode_rc != 0) {
		/* we stopped the stream: the connection is closed */
		disconnect(ctl);
		*rc = at->decode_rc != 0 ? at->decode_rc : at->cb_rc;
		free(message);
		return TRY_DONE;
	}
	if (*rc != 0) {
		disconnect(ctl);
		transport_error(err, ep, *rc, at->timeout_ms);
		free(message);
		free(resp);
		/* a stream that has delivered messages cannot be replayed */
		return at->received > 0 ? TRY_DONE : TRY_NEXT;
	}
	t = classify(ep, status, message, rc, hint, hsize, err);
	if (status == RPC_UNAVAILABLE)
		at->leaderless = true;
	free(message);
	if (t == TRY_DONE && *rc == 0 && at->cb == NULL) {
		*at->resp =
			protobuf_c_message_unpack(at->rdesc, NULL, rlen, resp);
		if (*at->resp == NULL)
			*rc = cen_errf(err, -CEN_EPROTO,
				       "%s: the answer does not decode as %s",
				       ep, at->rdesc->name);
	}
	free(resp);
	if (t != TRY_DONE && at->received > 0)
		t = TRY_DONE;
	return t;
}

/* Adds "; " and the latest failure to the summary of all failures. */
static void
remember(char *all, size_t size, const struct cen_err *err)
{
	size_t n = strlen(all), m = strlen(err->msg);

	if (n > 0 && n + 2 < size) {
		memcpy(all + n, "; ", 2);
		n += 2;
	}
	if (n + m >= size)
		m = size - n - 1;
	memcpy(all + n, err->msg, m);
	all[n + m] = '\0';
}

static uint64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* One round over the endpoints (or only `only`). */
static int
round_once(struct cenctl *ctl, const char *only, struct attempt *at, bool *done)
{
	struct cen_err *err = at->err;
	char all[CEN_ERRMSG_SIZE] = "", hint[128];
	size_t start = 0, n;
	int rc, redirects = 0, last = -CEN_EIO;

	*done = true;
	n = only != NULL ? 1 : ctl->neps;
	/* start with the endpoint we are connected to */
	for (size_t i = 0; only == NULL && i < ctl->neps; i++)
		if (ctl->conn != NULL && strcmp(ctl->eps[i], ctl->conn_ep) == 0)
			start = i;
	for (size_t k = 0; k < n; k++) {
		const char *ep =
			only != NULL ? only : ctl->eps[(start + k) % ctl->neps];
		int t = try_one(ctl, ep, at, &rc, hint, sizeof(hint));

		while (t == TRY_REDIRECT && redirects < CLIENT_REDIRECTS_MAX) {
			char to[128];

			redirects++;
			remember(all, sizeof(all), err);
			snprintf(to, sizeof(to), "%s", hint);
			t = try_one(ctl, to, at, &rc, hint, sizeof(hint));
		}
		if (t == TRY_DONE)
			return rc;
		remember(all, sizeof(all), err);
		last = rc;
	}
	*done = false;
	return cen_errf(err, last, "%s", all);
}

static int
run(struct cenctl *ctl, const char *only, struct attempt *at)
{
	uint64_t deadline = now_ms() + ctl->timeout_ms, pause = 50;
	bool done;
	int rc;

	rc = cenctl_client_init(ctl, at->err);
	if (rc != 0)
		return rc;
	deadline = now_ms() + ctl->timeout_ms;
	for (;;) {
		at->leaderless = false;
		rc = round_once(ctl, only, at, &done);
		if (done || !at->leaderless || now_ms() + pause >= deadline)
			return rc;
		nanosleep(
			&(struct timespec){ .tv_nsec = (long)pause * 1000000 },
			NULL);
		pause = pause * 2 > 500 ? 500 : pause * 2;
	}
}

static int
pack(const ProtobufCMessage *req, uint8_t **buf, size_t *len,
     struct cen_err *err)
{
	*len = protobuf_c_message_get_packed_size(req);
	*buf = malloc(*len > 0 ? *len : 1);
	if (*buf == NULL)
		return cen_errf(err, -CEN_ENOMEM, "out of memory");
	protobuf_c_message_pack(req, *buf);
	return 0;
}

static int
unary(struct cenctl *ctl, const char *only, const char *method,
      const ProtobufCMessage *req, const ProtobufCMessageDescriptor *rdesc,
      ProtobufCMessage **resp, struct cen_err *err)
{
	struct attempt at = { 0 };
	uint8_t *buf;
	int rc;

	*resp = NULL;
	rc = pack(req, &buf, &at.len, err);
	if (rc != 0)
		return rc;
	at.method = method;
	at.req = buf;
	at.rdesc = rdesc;
	at.resp = resp;
	at.timeout_ms =
		ctl->timeout_ms ? ctl->timeout_ms : CENCTL_TIMEOUT_DEFAULT_MS;
	at.err = err;
	rc = run(ctl, only, &at);
	free(buf);
	return rc;
}

int
cenctl_call(struct cenctl *ctl, const char *method, const ProtobufCMessage *req,
	    const ProtobufCMessageDescriptor *rdesc, ProtobufCMessage **resp,
	    struct cen_err *err)
{
	return unary(ctl, NULL, method, req, rdesc, resp, err);
}

int
cenctl_call_at(struct cenctl *ctl, const char *endpoint, const char *method,
	       const ProtobufCMessage *req,
	       const ProtobufCMessageDescriptor *rdesc, ProtobufCMessage **resp,
	       struct cen_err *err)
{
	return unary(ctl, endpoint, method, req, rdesc, resp, err);
}

int
cenctl_stream(struct cenctl *ctl, const char *method,
	      const ProtobufCMessage *req,
	      const ProtobufCMessageDescriptor *rdesc, uint32_t timeout_ms,
	      cenctl_stream_fn cb, void *arg, struct cen_err *err)
{
	struct attempt at = { 0 };
	uint8_t *buf;
	int rc;

	rc = pack(req, &buf, &at.len, err);
	if (rc != 0)
		return rc;
	at.method = method;
	at.req = buf;
	at.rdesc = rdesc;
	at.timeout_ms = timeout_ms;
	at.cb = cb;
	at.arg = arg;
	at.err = err;
	rc = run(ctl, NULL, &at);
	free(buf);
	return rc;
}
