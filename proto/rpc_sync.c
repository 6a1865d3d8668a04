/*
 * rpc_sync.c - the blocking RPC client (rpc.h) for cenctl and tests: plain
 * sockets, non-blocking underneath so that every wait is a poll() with a
 * deadline (connect included), and no event loop.
 *
 * A frame being read when a deadline passes is kept (header and body read
 * so far), so the next call resumes where this one stopped and answers to
 * calls that timed out are recognised by their call_id and skipped.  A
 * write cut short, a framing error or a cancelled stream leave the
 * connection unusable: later calls fail with -CEN_EIO.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "proto/rpc.h"

#define HDR	  4u
#define NAME_MAX_ 128

struct rpc_sync {
	int fd;
	bool broken;
	uint64_t next_id;
	char name[NAME_MAX_]; /* the endpoint, for messages */
	/* the frame being read */
	uint8_t hdr[HDR];
	size_t hdr_got;
	uint8_t *body;
	size_t body_len, body_got;
};

/* ---- deadlines --------------------------------------------------------- */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 0 = no deadline. */
static int64_t
deadline_in(uint32_t timeout_ms)
{
	return timeout_ms ? now_ms() + timeout_ms : 0;
}

/* Waits for events on fd until deadline; 0, -CEN_ETIMEOUT or -CEN_EIO. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int64_t left;
	int rc;

	for (;;) {
		left = -1;
		if (deadline != 0) {
			left = deadline - now_ms();
			if (left < 0)
				left = 0;
		}
		rc = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (rc > 0)
			return 0;
		if (rc == 0 && left == 0)
			return -CEN_ETIMEOUT;
		if (rc < 0 && errno != EINTR)
			return -CEN_EIO;
	}
}

/* ---- connecting -------------------------------------------------------- */

static int
sock_open(const struct rpc_endpoint *ep, struct sockaddr_un *sun,
	  const struct sockaddr **sa, socklen_t *salen)
{
	int family = ep->unix_socket ? AF_UNIX : ep->sa.ss_family;

	if (ep->unix_socket) {
		memset(sun, 0, sizeof(*sun));
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, ep->path, strlen(ep->path) + 1);
		*sa = (const struct sockaddr *)sun;
		*salen = sizeof(*sun);
	} else {
		*sa = (const struct sockaddr *)&ep->sa;
		*salen = ep->salen;
	}
	return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

/* connect() that gives up at the deadline; 0 or a negative code. */
static int
connect_wait(int fd, const struct sockaddr *sa, socklen_t salen,
	     int64_t deadline, int *sys)
{
	socklen_t len = sizeof(*sys);
	int rc;

	*sys = 0;
	if (connect(fd, sa, salen) == 0)
		return 0;
	if (errno != EINPROGRESS) {
		*sys = errno;
		return -CEN_EIO;
	}
	if ((rc = wait_fd(fd, POLLOUT, deadline)) != 0)
		return rc;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, sys, &len) != 0)
		*sys = errno;
	return *sys != 0 ? -CEN_EIO : 0;
}

int
rpc_sync_connect(const char *endpoint, uint32_t timeout_ms,
		 struct rpc_sync **out, struct cen_err *err)
{
	struct rpc_endpoint ep;
	struct sockaddr_un sun;
	const struct sockaddr *sa;
	struct rpc_sync *c;
	socklen_t salen;
	int fd, rc, sys, one = 1;

	if ((rc = rpc_endpoint_parse(&ep, endpoint, err)) != 0)
		return rc;
	if ((fd = sock_open(&ep, &sun, &sa, &salen)) < 0)
		return cen_errf(err, -CEN_EIO, "socket for %s: %s", endpoint,
				strerror(errno));
	rc = connect_wait(fd, sa, salen, deadline_in(timeout_ms), &sys);
	if (rc != 0) {
		close(fd);
		if (rc == -CEN_ETIMEOUT)
			return cen_errf(err, rc,
					"connect to %s: no answer within %u ms",
					endpoint, timeout_ms);
		return cen_errf(err, rc, "connect to %s: %s", endpoint,
				strerror(sys ? sys : errno));
	}
	if (!ep.unix_socket)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return cen_errf(err, -CEN_ENOMEM, "out of memory");
	}
	c->fd = fd;
	c->next_id = 1;
	snprintf(c->name, sizeof(c->name), "%s", endpoint);
	*out = c;
	return 0;
}

void
rpc_sync_close(struct rpc_sync *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->body);
	free(c);
}

/* The connection can no longer be trusted to be in step with the server. */
static int
sync_break(struct rpc_sync *c, int code, struct cen_err *err, const char *what)
{
	c->broken = true;
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	return cen_errf(err, code, "%s: %s", c->name, what);
}

static int
check_usable(struct rpc_sync *c, struct cen_err *err)
{
	if (!c->broken)
		return 0;
	return cen_errf(err, -CEN_EIO,
			"%s: connection closed after an earlier failure",
			c->name);
}

/* ---- writing ----------------------------------------------------------- */

static int
write_all(struct rpc_sync *c, const void *buf, size_t len, int64_t deadline,
	  struct cen_err *err)
{
	const uint8_t *p = buf;
	size_t done = 0;
	ssize_t n;
	int rc;

	while (done < len) {
		n = send(c->fd, p + done, len - done, MSG_NOSIGNAL);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return sync_break(c, -CEN_EIO, err, strerror(errno));
		if ((rc = wait_fd(c->fd, POLLOUT, deadline)) == 0)
			continue;
		if (rc == -CEN_ETIMEOUT && done == 0)
			return cen_errf(err, rc, "%s: write timed out",
					c->name);
		return sync_break(c, rc, err, "write timed out mid-frame");
	}
	return 0;
}

static int
send_request(struct rpc_sync *c, const char *method, const uint8_t *payload,
	     size_t len, uint32_t timeout_ms, int64_t deadline, uint64_t *id,
	     struct cen_err *err)
{
	Cend__V1__Envelope env = CEND__V1__ENVELOPE__INIT;
	uint8_t *frame;
	size_t flen;
	int rc;

	if ((rc = check_usable(c, err)) != 0)
		return rc;
	if (method == NULL || method[0] == '\0')
		return cen_errf(err, -CEN_EINVAL, "method missing");
	env.call_id = *id = c->next_id++;
	env.method = (char *)method;
	env.payload.data = (uint8_t *)payload;
	env.payload.len = len;
	env.timeout_ms = timeout_ms;
	flen = rpc_frame_size(&env);
	if (flen > RPC_FRAME_MAX_DEFAULT)
		return cen_errf(err, -CEN_ETOOBIG,
				"request of %zu bytes over the %u-byte frame "
				"limit",
				flen, RPC_FRAME_MAX_DEFAULT);
	if ((frame = malloc(flen)) == NULL)
		return cen_errf(err, -CEN_ENOMEM, "out of memory");
	rpc_frame_pack(&env, frame);
	rc = write_all(c, frame, flen, deadline, err);
	free(frame);
	return rc;
}

int
rpc_sync_send_raw(struct rpc_sync *c, const void *buf, size_t len)
{
	if (c->broken)
		return -CEN_EIO;
	return write_all(c, buf, len, 0, NULL);
}

/* ---- reading ----------------------------------------------------------- */

/* Reads into p[*got..want) until full or the deadline; keeps progress. */
static int
read_some(struct rpc_sync *c, uint8_t *p, size_t want, size_t *got,
	  int64_t deadline, struct cen_err *err)
{
	ssize_t n;
	int rc;

	while (*got < want) {
		n = recv(c->fd, p + *got, want - *got, 0);
		if (n > 0) {
			*got += (size_t)n;
			continue;
		}
		if (n == 0)
			return sync_break(c, -CEN_EIO, err,
					  "connection closed by the server");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return sync_break(c, -CEN_EIO, err, strerror(errno));
		if ((rc = wait_fd(c->fd, POLLIN, deadline)) == -CEN_ETIMEOUT)
			return cen_errf(err, rc, "%s: no answer in time",
					c->name);
		if (rc != 0)
			return sync_break(c, rc, err, strerror(errno));
	}
	return 0;
}

/* Reads one whole frame and unpacks it; *env is the caller's to free. */
static int
read_frame(struct rpc_sync *c, int64_t deadline, Cend__V1__Envelope **env,
	   struct cen_err *err)
{
	uint32_t n;
	int rc;

	if ((rc = check_usable(c, err)) != 0)
		return rc;
	rc = read_some(c, c->hdr, HDR, &c->hdr_got, deadline, err);
	if (rc != 0)
		return rc;
	n = (uint32_t)c->hdr[0] << 24 | (uint32_t)c->hdr[1] << 16 |
	    (uint32_t)c->hdr[2] << 8 | c->hdr[3];
	if (n > RPC_FRAME_MAX_DEFAULT)
		return sync_break(c, -CEN_EPROTO, err,
				  "answer frame over the frame limit");
	if (c->body == NULL) {
		if ((c->body = malloc(n ? n : 1)) == NULL)
			return cen_errf(err, -CEN_ENOMEM, "out of memory");
		c->body_len = n;
		c->body_got = 0;
	}
	rc = read_some(c, c->body, c->body_len, &c->body_got, deadline, err);
	if (rc != 0)
		return rc;
	*env = cend__v1__envelope__unpack(NULL, c->body_len, c->body);
	free(c->body);
	c->body = NULL;
	c->hdr_got = 0;
	if (*env == NULL)
		return sync_break(c, -CEN_EPROTO, err,
				  "answer is not a cend.v1.Envelope");
	return 0;
}

/* Reads until the next answer to call id (earlier calls' late answers are
 * skipped). */
static int
read_answer(struct rpc_sync *c, uint64_t id, int64_t deadline,
	    Cend__V1__Envelope **env, struct cen_err *err)
{
	int rc;

	for (;;) {
		if ((rc = read_frame(c, deadline, env, err)) != 0)
			return rc;
		if ((*env)->call_id == id)
			return 0;
		cend__v1__envelope__free_unpacked(*env, NULL);
	}
}

/* Hands the final status and message to the caller. */
static void
set_result(const Cend__V1__Envelope *env, rpc_status *status, char **message)
{
	if (status != NULL)
		*status = env->status;
	if (message != NULL && env->message != NULL && env->message[0] != '\0')
		*message = strdup(env->message);
}

int
rpc_sync_call(struct rpc_sync *c, const char *method, const uint8_t *payload,
	      size_t len, uint32_t timeout_ms, rpc_status *status,
	      char **message, uint8_t **resp, size_t *resp_len,
	      struct cen_err *err)
{
	int64_t deadline = deadline_in(timeout_ms);
	Cend__V1__Envelope *env;
	uint64_t id;
	int rc;

	if (message != NULL)
		*message = NULL;
	if (resp != NULL)
		*resp = NULL;
	if (resp_len != NULL)
		*resp_len = 0;
	rc = send_request(c, method, payload, len, timeout_ms, deadline, &id,
			  err);
	if (rc != 0)
		return rc;
	if ((rc = read_answer(c, id, deadline, &env, err)) != 0)
		return rc;
	set_result(env, status, message);
	if (resp != NULL && env->payload.len > 0) {
		if ((*resp = malloc(env->payload.len)) == NULL) {
			cend__v1__envelope__free_unpacked(env, NULL);
			return cen_errf(err, -CEN_ENOMEM, "out of memory");
		}
		memcpy(*resp, env->payload.data, env->payload.len);
		if (resp_len != NULL)
			*resp_len = env->payload.len;
	}
	cend__v1__envelope__free_unpacked(env, NULL);
	return 0;
}

int
rpc_sync_stream(struct rpc_sync *c, const char *method, const uint8_t *payload,
		size_t len, uint32_t timeout_ms,
		int (*cb)(const uint8_t *msg, size_t len, void *arg), void *arg,
		rpc_status *status, char **message, struct cen_err *err)
{
	Cend__V1__Envelope *env;
	bool last, stop;
	uint64_t id;
	int rc;

	if (message != NULL)
		*message = NULL;
	rc = send_request(c, method, payload, len, timeout_ms,
			  deadline_in(timeout_ms), &id, err);
	if (rc != 0)
		return rc;
	for (;;) {
		rc = read_answer(c, id, deadline_in(timeout_ms), &env, err);
		if (rc != 0)
			return rc;
		last = env->end_of_stream || env->status != RPC_OK;
		stop = false;
		if (env->status == RPC_OK && (!last || env->payload.len > 0))
			stop = cb(env->payload.data, env->payload.len, arg) !=
			       0;
		if (last) {
			set_result(env, status, message);
			cend__v1__envelope__free_unpacked(env, NULL);
			return 0;
		}
		if (stop) {
			cend__v1__envelope__free_unpacked(env, NULL);
			sync_break(c, -CEN_EIO, NULL, "cancelled");
			if (status != NULL)
				*status = RPC_CANCELLED;
			if (message != NULL)
				*message = strdup("cancelled by the caller");
			return 0;
		}
		cend__v1__envelope__free_unpacked(env, NULL);
	}
}
