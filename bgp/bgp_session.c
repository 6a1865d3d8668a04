/*
 * bgp_session.c - one BGP session (bgp_session.h): RFC 4271 section 8's
 * state machine over libuv TCP.
 *
 *   Idle --start--> Connect --TCP up, OPEN sent--> OpenSent
 *   Idle --start (passive)--> Active --inbound TCP, OPEN sent--> OpenSent
 *   Connect --TCP fails--> Active (retry after 5 s) --> Connect
 *   OpenSent --OPEN ok, KEEPALIVE sent--> OpenConfirm
 *   OpenConfirm --KEEPALIVE--> Established
 *   any --NOTIFICATION, hold timer, TCP loss, bad message--> Idle
 *       (then Connect/Active again after the retry time unless stopped)
 *
 * Connection collision (6.8): the peer's BGP identifier is not known before
 * its OPEN, so an inbound connection that arrives while an outbound one is
 * being opened is resolved by comparing our identifier with the peer's
 * address: the connection opened by the higher one stays.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bgp/bgp_session.h"

#define RBUF_MIN 65536

struct bgp_session {
	uv_loop_t *loop;
	struct bgp_session_cfg cfg;
	struct bgp_session_cbs cbs;
	struct attr_store *st;
	enum bgp_state state;
	bool stopped; /* administratively: stay Idle */
	bool up;      /* reached Established since the last down */
	uv_tcp_t *conn;
	bool connecting;
	uv_connect_t creq;
	uv_timer_t retry, hold, keepalive;
	uint16_t holdtime; /* negotiated, seconds */
	uint8_t *rbuf;
	size_t rlen, rcap;
	size_t queued;
	struct bgp_opts opts;
	struct bgp_caps local_caps, peer_caps;
	uint32_t peer_id; /* the BGP identifier of the peer's last OPEN */
	struct prefix local_addr;
	uint64_t msgs_in, msgs_out, since;
	char last_error[256];
	void *user;
	bool freeing;
	int closing; /* handles still closing before free */
};

const char *
bgp_state_str(enum bgp_state st)
{
	static const char *names[] = {
		"Idle",	    "Connect",	   "Active",
		"OpenSent", "OpenConfirm", "Established"
	};

	return (unsigned)st < 6 ? names[st] : "?";
}

static void close_conn(struct bgp_session *s);
static void start_connect(struct bgp_session *s);

static void
set_error(struct bgp_session *s, const char *fmt, const char *detail)
{
	snprintf(s->last_error, sizeof(s->last_error), fmt, detail);
}

/* ---- writing ------------------------------------------------------- */

struct wreq {
	uv_write_t req;
	struct bgp_session *s;
	size_t len;
	uint8_t data[];
};

static void
write_done(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;

	if (w->s != NULL && w->s->queued >= w->len)
		w->s->queued -= w->len;
	free(w);
}

static int
send_raw(struct bgp_session *s, const uint8_t *buf, size_t len)
{
	struct wreq *w;
	uv_buf_t b;

	if (s->conn == NULL)
		return -CEN_EIO;
	w = malloc(sizeof(*w) + len);
	if (w == NULL)
		return -CEN_ENOMEM;
	w->s = s;
	w->len = len;
	memcpy(w->data, buf, len);
	b = uv_buf_init((char *)w->data, (unsigned)len);
	if (uv_write(&w->req, (uv_stream_t *)s->conn, &b, 1, write_done) != 0) {
		free(w);
		return -CEN_EIO;
	}
	s->queued += len;
	s->msgs_out++;
	return 0;
}

int
bgp_session_send(struct bgp_session *s, const uint8_t *buf, size_t len)
{
	if (s->state != BGP_ST_ESTABLISHED)
		return -CEN_EIO;
	/* one message counted per call: callers send one or a few */
	return send_raw(s, buf, len);
}

static void
send_notify(struct bgp_session *s, const struct bgp_notify *n)
{
	struct wbuf w;

	wbuf_init(&w);
	bgp_msg_notify_build(&w, n->code, n->subcode, bgp_msg_notify_data(n),
			     n->datalen);
	if (wbuf_status(&w) == 0)
		send_raw(s, w.data, w.len);
	wbuf_free(&w);
}

/* ---- going down ---------------------------------------------------- */

static void
retry_cb(uv_timer_t *t)
{
	struct bgp_session *s = t->data;

	if (!s->stopped && s->state == BGP_ST_IDLE)
		start_connect(s);
}

/* Leaves the current state for Idle, telling the speaker once. */
static void
go_down(struct bgp_session *s, const char *why)
{
	bool was_up = s->up;

	uv_timer_stop(&s->hold);
	uv_timer_stop(&s->keepalive);
	close_conn(s);
	if (why != NULL)
		set_error(s, "%s", why);
	s->state = BGP_ST_IDLE;
	s->up = false;
	if (was_up)
		s->since = uv_now(s->loop);
	if (s->cbs.down != NULL)
		s->cbs.down(s, s->last_error, was_up, s->cbs.arg);
	if (!s->stopped && !s->freeing)
		uv_timer_start(&s->retry, retry_cb, BGP_CONNECT_RETRY_MS, 0);
}

static void
fail(struct bgp_session *s, const struct bgp_notify *n, const char *why)
{
	if (n != NULL && n->code != 0)
		send_notify(s, n);
	go_down(s, why);
}

/* ---- timers -------------------------------------------------------- */

static void
hold_cb(uv_timer_t *t)
{
	struct bgp_session *s = t->data;
	struct bgp_notify n = { .code = BGP_ERR_HOLD };

	fail(s, &n, "hold timer expired");
}

static void
keepalive_cb(uv_timer_t *t)
{
	struct bgp_session *s = t->data;
	struct wbuf w;

	wbuf_init(&w);
	bgp_msg_keepalive_build(&w);
	if (wbuf_status(&w) == 0)
		send_raw(s, w.data, w.len);
	wbuf_free(&w);
}

static void
hold_reset(struct bgp_session *s)
{
	if (s->state == BGP_ST_OPENSENT)
		uv_timer_start(&s->hold, hold_cb, BGP_OPEN_HOLD_S * 1000ull, 0);
	else if (s->holdtime > 0)
		uv_timer_start(&s->hold, hold_cb, s->holdtime * 1000ull, 0);
	else
		uv_timer_stop(&s->hold);
}

/* ---- OPEN ---------------------------------------------------------- */

static void
local_caps(struct bgp_session *s, struct bgp_caps *c)
{
	memset(c, 0, sizeof(*c));
	c->mp = 0;
	if (s->cfg.peer.ipv4 || !s->cfg.peer.ipv6)
		c->mp |= BGP_AID_BIT(BGP_AID_IPV4);
	if (s->cfg.peer.ipv6)
		c->mp |= BGP_AID_BIT(BGP_AID_IPV6);
	c->route_refresh = true;
	c->as4 = true;
	c->as4_asn = s->cfg.local_as;
	if (s->cfg.gr_time > 0) {
		c->gr = true;
		c->gr_time = s->cfg.gr_time;
		c->gr_flags = s->cfg.restarting ? BGP_GR_F_RESTART : 0;
		c->gr_aids = c->mp;
	}
}

static void
send_open(struct bgp_session *s)
{
	struct bgp_open o;
	struct wbuf w;

	memset(&o, 0, sizeof(o));
	o.version = BGP_VERSION;
	o.as = s->cfg.local_as > 65535 ? BGP_AS_TRANS
				       : (uint16_t)s->cfg.local_as;
	o.holdtime = s->cfg.peer.hold_time_s;
	o.bgp_id = s->cfg.router_id;
	local_caps(s, &o.caps);
	s->local_caps = o.caps;
	wbuf_init(&w);
	bgp_msg_open_build(&w, &o);
	if (wbuf_status(&w) == 0)
		send_raw(s, w.data, w.len);
	wbuf_free(&w);
	s->state = BGP_ST_OPENSENT;
	hold_reset(s);
}

static void
on_open(struct bgp_session *s, const uint8_t *msg, size_t len)
{
	struct bgp_open o;
	struct bgp_notify err = { 0 };
	struct wbuf w;
	char why[128];

	if (bgp_msg_open_parse(msg, len, s->cfg.peer.asn, &o, &err) != 0) {
		snprintf(why, sizeof(why),
			 "OPEN refused (NOTIFICATION %u/%u sent)", err.code,
			 err.subcode);
		fail(s, &err, why);
		return;
	}
	if (o.bgp_id == s->cfg.router_id) {
		err.code = BGP_ERR_OPEN;
		err.subcode = BGP_ERR_OPEN_BGP_ID;
		fail(s, &err, "peer uses our BGP identifier");
		return;
	}
	s->peer_caps = o.caps;
	s->peer_id = o.bgp_id;
	bgp_msg_opts_init(&s->opts, s->cfg.local_as, s->cfg.peer.asn);
	bgp_msg_negotiate(&s->opts, &s->local_caps, &o.caps);
	s->holdtime = o.holdtime < s->cfg.peer.hold_time_s
			      ? o.holdtime
			      : s->cfg.peer.hold_time_s;
	wbuf_init(&w);
	bgp_msg_keepalive_build(&w);
	if (wbuf_status(&w) == 0)
		send_raw(s, w.data, w.len);
	wbuf_free(&w);
	s->state = BGP_ST_OPENCONFIRM;
	hold_reset(s);
	if (s->holdtime > 0)
		uv_timer_start(&s->keepalive, keepalive_cb,
			       s->holdtime * 1000ull / 3,
			       s->holdtime * 1000ull / 3);
}

/* ---- receiving ----------------------------------------------------- */

static void
on_message(struct bgp_session *s, uint8_t type, const uint8_t *msg, size_t len)
{
	struct bgp_notify err = { 0 };
	char why[300];

	s->msgs_in++;
	hold_reset(s);
	switch (type) {
	case BGP_MSG_OPEN:
		if (s->state != BGP_ST_OPENSENT) {
			err.code = BGP_ERR_FSM;
			err.subcode = s->state == BGP_ST_OPENCONFIRM
					      ? BGP_ERR_FSM_OPENCONFIRM
					      : BGP_ERR_FSM_ESTABLISHED;
			fail(s, &err, "unexpected OPEN");
			return;
		}
		on_open(s, msg, len);
		return;
	case BGP_MSG_KEEPALIVE:
		if (bgp_msg_keepalive_parse(msg, len, &err) != 0) {
			fail(s, &err, "malformed KEEPALIVE");
			return;
		}
		if (s->state == BGP_ST_OPENCONFIRM) {
			s->state = BGP_ST_ESTABLISHED;
			s->up = true;
			s->since = uv_now(s->loop);
			s->last_error[0] = '\0';
			if (s->cbs.established != NULL)
				s->cbs.established(s, s->cbs.arg);
		} else if (s->state != BGP_ST_ESTABLISHED) {
			err.code = BGP_ERR_FSM;
			err.subcode = BGP_ERR_FSM_OPENSENT;
			fail(s, &err, "unexpected KEEPALIVE");
		}
		return;
	case BGP_MSG_NOTIFICATION: {
		struct bgp_notify n;
		char text[256] = "";

		if (bgp_msg_notify_parse(msg, len, &n) == 0) {
			if (bgp_msg_notify_shutdown(&n, text, sizeof(text)) < 0)
				text[0] = '\0';
			snprintf(why, sizeof(why),
				 "NOTIFICATION received: %u/%u%s%s", n.code,
				 n.subcode, text[0] ? ": " : "", text);
		} else {
			snprintf(why, sizeof(why),
				 "malformed NOTIFICATION received");
		}
		go_down(s, why);
		return;
	}
	case BGP_MSG_UPDATE: {
		struct bgp_update u;

		if (s->state != BGP_ST_ESTABLISHED) {
			err.code = BGP_ERR_FSM;
			err.subcode = BGP_ERR_FSM_OPENCONFIRM;
			fail(s, &err, "UPDATE before Established");
			return;
		}
		if (bgp_update_parse(msg, len, &s->opts, s->st, &u) != 0) {
			bgp_update_free(s->st, &u);
			err.code = BGP_ERR_CEASE;
			err.subcode = BGP_CEASE_RESOURCES;
			fail(s, &err, "out of memory parsing an UPDATE");
			return;
		}
		if (u.err.action == BGP_ACT_RESET) {
			snprintf(why, sizeof(why), "malformed UPDATE: %s",
				 bgp_update_err_str(u.err.kind));
			err = u.err.notify;
			bgp_update_free(s->st, &u);
			fail(s, &err, why);
			return;
		}
		if (s->cbs.update != NULL)
			s->cbs.update(s, &u, s->cbs.arg);
		bgp_update_free(s->st, &u);
		return;
	}
	case BGP_MSG_ROUTE_REFRESH: {
		struct bgp_rr rr;

		if (bgp_msg_rr_parse(msg, len, &s->opts, &rr, &err) != 0) {
			fail(s, &err, "malformed ROUTE-REFRESH");
			return;
		}
		if (rr.aid >= 0 && rr.subtype == BGP_RR_NORMAL &&
		    s->cbs.refresh != NULL)
			s->cbs.refresh(s, rr.aid, s->cbs.arg);
		return;
	}
	default:
		err.code = BGP_ERR_HEADER;
		err.subcode = BGP_ERR_HDR_TYPE;
		fail(s, &err, "unknown message type");
	}
}

static void
alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct bgp_session *s = h->data;

	if (s->rcap - s->rlen < RBUF_MIN) {
		size_t cap = s->rcap ? s->rcap * 2 : RBUF_MIN * 2;
		uint8_t *nb = realloc(s->rbuf, cap);

		if (nb == NULL) {
			buf->base = NULL;
			buf->len = 0;
			return;
		}
		s->rbuf = nb;
		s->rcap = cap;
	}
	buf->base = (char *)s->rbuf + s->rlen;
	buf->len = s->rcap - s->rlen;
}

static void
read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct bgp_session *s = stream->data;
	size_t off = 0;

	if (nread < 0) {
		go_down(s, nread == UV_EOF ? "connection closed by peer"
					   : uv_strerror((int)nread));
		return;
	}
	s->rlen += (size_t)nread;
	while (s->conn != NULL && (uv_stream_t *)s->conn == stream) {
		struct bgp_notify err = { 0 };
		uint8_t type;
		int n = bgp_msg_frame(s->rbuf + off, s->rlen - off,
				      s->opts.maxlen ? s->opts.maxlen
						     : BGP_MAX_LEN,
				      &type, &err);

		if (n == 0)
			break;
		if (n < 0) {
			fail(s, &err, "bad message header");
			return;
		}
		on_message(s, type, s->rbuf + off, (size_t)n);
		off += (size_t)n;
	}
	if (s->conn == NULL || (uv_stream_t *)s->conn != stream)
		return; /* went down meanwhile: rlen was reset */
	memmove(s->rbuf, s->rbuf + off, s->rlen - off);
	s->rlen -= off;
}

/* ---- connections --------------------------------------------------- */

static void
conn_closed(uv_handle_t *h)
{
	struct bgp_session *s = h->data;

	free(h);
	if (s != NULL && s->freeing && --s->closing == 0) {
		free(s->rbuf);
		free(s);
	}
}

static void
close_conn(struct bgp_session *s)
{
	if (s->conn != NULL) {
		uv_tcp_t *c = s->conn;

		s->conn = NULL;
		c->data = s->freeing ? s : NULL;
		if (s->freeing)
			s->closing++;
		uv_close((uv_handle_t *)c, conn_closed);
	}
	s->rlen = 0;
	s->queued = 0;
	s->connecting = false;
}

int
bgp_md5_set(int fd, const struct prefix *addr, const char *key)
{
	struct tcp_md5sig sig;
	struct sockaddr_storage ss;

	memset(&sig, 0, sizeof(sig));
	memset(&ss, 0, sizeof(ss));
	if (addr->family == PREFIX_AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, addr->addr.v4, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, addr->addr.v6, 16);
	}
	memcpy(&sig.tcpm_addr, &ss, sizeof(ss));
	sig.tcpm_keylen = (uint16_t)strlen(key);
	if (sig.tcpm_keylen > TCP_MD5SIG_MAXKEYLEN)
		return -EINVAL;
	memcpy(sig.tcpm_key, key, sig.tcpm_keylen);
	if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof(sig)) != 0)
		return -errno;
	return 0;
}

/* TCP-MD5 (RFC 2385) and GTSM (RFC 5082) on a socket. */
static int
secure_socket(struct bgp_session *s, int fd)
{
	const struct model_peer *p = &s->cfg.peer;

	if (p->md5_key[0] != '\0') {
		int rc = bgp_md5_set(fd, &p->address, p->md5_key);

		if (rc != 0)
			return rc;
	}
	if (p->ttl_security > 0 && p->address.family == PREFIX_AF_INET) {
		int ttl = 255, min = 256 - p->ttl_security;

		if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) ||
		    setsockopt(fd, IPPROTO_IP, IP_MINTTL, &min, sizeof(min)))
			return -errno;
	}
	return 0;
}

static void
learn_local_addr(struct bgp_session *s)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	memset(&s->local_addr, 0, sizeof(s->local_addr));
	if (uv_tcp_getsockname(s->conn, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		prefix_from_v4(&s->local_addr, ntohl(sin->sin_addr.s_addr), 32);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		prefix_from_v6(&s->local_addr, sin6->sin6_addr.s6_addr, 128);
	}
}

static void
connected(uv_connect_t *req, int status)
{
	struct bgp_session *s = req->data;

	if (s == NULL)
		return;
	s->connecting = false;
	if (status != 0 || s->conn == NULL) {
		set_error(s, "connect: %s",
			  status ? uv_strerror(status) : "cancelled");
		close_conn(s);
		s->state = BGP_ST_ACTIVE;
		if (!s->stopped && !s->freeing)
			uv_timer_start(&s->retry, retry_cb,
				       BGP_CONNECT_RETRY_MS, 0);
		return;
	}
	uv_tcp_nodelay(s->conn, 1);
	learn_local_addr(s);
	uv_read_start((uv_stream_t *)s->conn, alloc_cb, read_cb);
	send_open(s);
}

static void
sockaddr_of(const struct prefix *a, uint16_t port, struct sockaddr_storage *ss,
	    socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == PREFIX_AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, a->addr.v6, 16);
		*len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, a->addr.v4, 4);
		*len = sizeof(*sin);
	}
}

static void
start_connect(struct bgp_session *s)
{
	const struct model_peer *p = &s->cfg.peer;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, af = p->address.family == PREFIX_AF_INET6 ? AF_INET6 : AF_INET;

	if (p->passive || s->conn != NULL) {
		s->state = BGP_ST_ACTIVE;
		return;
	}
	fd = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		set_error(s, "socket: %s", strerror(errno));
		go_down(s, NULL);
		return;
	}
	if (secure_socket(s, fd) != 0) {
		set_error(s, "TCP-MD5/GTSM: %s", strerror(errno));
		close(fd);
		s->state = BGP_ST_IDLE;
		return;
	}
	if (s->cfg.local_addr.family == p->address.family) {
		sockaddr_of(&s->cfg.local_addr, 0, &ss, &sl);
		if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
			set_error(s, "bind: %s", strerror(errno));
			close(fd);
			s->state = BGP_ST_ACTIVE;
			uv_timer_start(&s->retry, retry_cb,
				       BGP_CONNECT_RETRY_MS, 0);
			return;
		}
	}
	s->conn = calloc(1, sizeof(*s->conn));
	if (s->conn == NULL || uv_tcp_init(s->loop, s->conn) != 0 ||
	    uv_tcp_open(s->conn, fd) != 0) {
		free(s->conn);
		s->conn = NULL;
		close(fd);
		return;
	}
	s->conn->data = s;
	sockaddr_of(&p->address, p->port ? p->port : 179, &ss, &sl);
	s->creq.data = s;
	s->state = BGP_ST_CONNECT;
	s->connecting = true;
	if (uv_tcp_connect(&s->creq, s->conn, (struct sockaddr *)&ss,
			   connected) != 0) {
		s->connecting = false;
		close_conn(s);
		s->state = BGP_ST_ACTIVE;
		uv_timer_start(&s->retry, retry_cb, BGP_CONNECT_RETRY_MS, 0);
	}
}

void
bgp_session_accept(struct bgp_session *s, uv_tcp_t *conn)
{
	uint32_t peer = prefix_v4(&s->cfg.peer.address);

	if (s->stopped || s->state == BGP_ST_ESTABLISHED ||
	    s->state == BGP_ST_OPENCONFIRM ||
	    (s->state == BGP_ST_OPENSENT && !s->connecting &&
	     s->cfg.router_id > peer)) {
		/* keep what we have: refuse the newcomer */
		conn->data = NULL;
		uv_close((uv_handle_t *)conn, conn_closed);
		return;
	}
	if (s->conn != NULL) {
		if (s->connecting)
			s->creq.data = NULL;
		close_conn(s);
	}
	uv_timer_stop(&s->retry);
	s->conn = conn;
	conn->data = s;
	uv_tcp_nodelay(conn, 1);
	learn_local_addr(s);
	uv_read_start((uv_stream_t *)conn, alloc_cb, read_cb);
	send_open(s);
}

/* ---- lifecycle ----------------------------------------------------- */

struct bgp_session *
bgp_session_new(uv_loop_t *loop, const struct bgp_session_cfg *cfg,
		const struct bgp_session_cbs *cbs, struct attr_store *st)
{
	struct bgp_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->loop = loop;
	s->cfg = *cfg;
	if (s->cfg.peer.hold_time_s != 0 && s->cfg.peer.hold_time_s < 3)
		s->cfg.peer.hold_time_s = 3;
	s->cbs = *cbs;
	s->st = st;
	s->stopped = true;
	uv_timer_init(loop, &s->retry);
	uv_timer_init(loop, &s->hold);
	uv_timer_init(loop, &s->keepalive);
	s->retry.data = s->hold.data = s->keepalive.data = s;
	bgp_msg_opts_init(&s->opts, cfg->local_as, cfg->peer.asn);
	s->since = uv_now(loop);
	return s;
}

void
bgp_session_start(struct bgp_session *s)
{
	s->stopped = false;
	if (s->state == BGP_ST_IDLE || s->state == BGP_ST_ACTIVE)
		start_connect(s);
}

void
bgp_session_stop(struct bgp_session *s, uint8_t subcode, const char *msg)
{
	s->stopped = true;
	uv_timer_stop(&s->retry);
	if (s->state >= BGP_ST_OPENSENT && s->conn != NULL) {
		struct wbuf w;

		wbuf_init(&w);
		bgp_msg_shutdown_build(&w, subcode, msg);
		if (wbuf_status(&w) == 0)
			send_raw(s, w.data, w.len);
		wbuf_free(&w);
	}
	if (s->conn != NULL || s->state != BGP_ST_IDLE)
		go_down(s, msg != NULL ? msg : "stopped");
}

static void
timer_closed(uv_handle_t *h)
{
	struct bgp_session *s = h->data;

	if (--s->closing == 0) {
		free(s->rbuf);
		free(s);
	}
}

void
bgp_session_free(struct bgp_session *s)
{
	if (s == NULL)
		return;
	s->freeing = true;
	s->cbs.down = NULL;
	if (s->connecting)
		s->creq.data = NULL;
	s->closing = 3;
	close_conn(s);
	uv_close((uv_handle_t *)&s->retry, timer_closed);
	uv_close((uv_handle_t *)&s->hold, timer_closed);
	uv_close((uv_handle_t *)&s->keepalive, timer_closed);
}

enum bgp_state
bgp_session_state(const struct bgp_session *s)
{
	return s->state;
}

const struct bgp_opts *
bgp_session_opts(const struct bgp_session *s)
{
	return &s->opts;
}

const struct bgp_caps *
bgp_session_peer_caps(const struct bgp_session *s)
{
	return &s->peer_caps;
}

uint32_t
bgp_session_peer_id(const struct bgp_session *s)
{
	return s->peer_id;
}

const struct bgp_session_cfg *
bgp_session_cfg(const struct bgp_session *s)
{
	return &s->cfg;
}

const struct prefix *
bgp_session_local_addr(const struct bgp_session *s)
{
	return &s->local_addr;
}

size_t
bgp_session_queued(const struct bgp_session *s)
{
	return s->queued;
}

uint64_t
bgp_session_msgs_in(const struct bgp_session *s)
{
	return s->msgs_in;
}

uint64_t
bgp_session_msgs_out(const struct bgp_session *s)
{
	return s->msgs_out;
}

uint64_t
bgp_session_since(const struct bgp_session *s)
{
	return s->since;
}

const char *
bgp_session_last_error(const struct bgp_session *s)
{
	return s->last_error;
}

void
bgp_session_set_user(struct bgp_session *s, void *user)
{
	s->user = user;
}

void *
bgp_session_user(const struct bgp_session *s)
{
	return s->user;
}
