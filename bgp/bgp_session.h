/*
 * bgp_session.h - one BGP session: the RFC 4271 finite state machine over
 * a libuv TCP connection, with its timers (connect retry, hold, keepalive),
 * OPEN negotiation (bgp_msg_negotiate), TCP-MD5 (RFC 2385) and GTSM
 * (RFC 5082).  The speaker (bgp_speaker.c) owns sessions and hears about
 * them through callbacks; the session never interprets routes.
 */
#ifndef CEN_BGP_SESSION_H
#define CEN_BGP_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "bgp/bgp.h"
#include "core/model.h"

enum bgp_state {
	BGP_ST_IDLE = 0,
	BGP_ST_CONNECT,
	BGP_ST_ACTIVE,
	BGP_ST_OPENSENT,
	BGP_ST_OPENCONFIRM,
	BGP_ST_ESTABLISHED,
};

#define BGP_CONNECT_RETRY_MS 5000
#define BGP_OPEN_HOLD_S	     240 /* hold time while waiting for OPEN (RFC 4271) */

struct bgp_session;

struct bgp_session_cbs {
	void (*established)(struct bgp_session *s, void *arg);
	/* A parsed UPDATE (u->err says what to do; the session has already
	 * reset itself for BGP_ACT_RESET and does not call this then). */
	void (*update)(struct bgp_session *s, const struct bgp_update *u,
		       void *arg);
	void (*refresh)(struct bgp_session *s, int aid, void *arg);
	/* The session left Established (or never got there): why, and
	 * whether the peer negotiated graceful restart (keep its routes for
	 * gr_time seconds). */
	void (*down)(struct bgp_session *s, const char *why, bool was_up,
		     void *arg);
	void *arg;
};

struct bgp_session_cfg {
	struct model_peer peer; /* address, ASN, md5, hold, port, ... */
	uint32_t local_as;
	uint32_t router_id;	  /* host order */
	struct prefix local_addr; /* bind address for outgoing connections */
	uint16_t gr_time;	  /* our restart time (0: no GR capability) */
	bool restarting;	  /* set the R bit (this node restarted) */
};

/* bgp_session.c */
/* Installs (key non-empty) or removes the TCP-MD5 key (RFC 2385) for
 * traffic with addr on socket fd: connecting sockets and the listener.
 * Returns 0 or -errno. */
int bgp_md5_set(int fd, const struct prefix *addr, const char *key);
struct bgp_session *bgp_session_new(uv_loop_t *loop,
				    const struct bgp_session_cfg *cfg,
				    const struct bgp_session_cbs *cbs,
				    struct attr_store *st);
/* Starts: connects actively unless passive (retrying every 5 s). */
void bgp_session_start(struct bgp_session *s);
/* Administrative stop: a Cease with subcode and message (may be NULL) if
 * the session is up; the session stays Idle until started again. */
void bgp_session_stop(struct bgp_session *s, uint8_t subcode, const char *msg);
/* Frees the session (after stopping it). */
void bgp_session_free(struct bgp_session *s);
/* Hands an accepted inbound connection to the session (the speaker matched
 * its peer address); collision detection decides which one stays. */
void bgp_session_accept(struct bgp_session *s, uv_tcp_t *conn);

/* Sends bytes (complete messages) on an Established session. */
int bgp_session_send(struct bgp_session *s, const uint8_t *buf, size_t len);
/* Bytes queued on the connection and not yet written. */
size_t bgp_session_queued(const struct bgp_session *s);

enum bgp_state bgp_session_state(const struct bgp_session *s);
const char *bgp_state_str(enum bgp_state st);
const struct bgp_opts *bgp_session_opts(const struct bgp_session *s);
const struct bgp_caps *bgp_session_peer_caps(const struct bgp_session *s);
/* The peer's BGP identifier (host order) from its last OPEN; 0 before the
 * first one.  It outlives the session going down. */
uint32_t bgp_session_peer_id(const struct bgp_session *s);
const struct bgp_session_cfg *bgp_session_cfg(const struct bgp_session *s);
/* The local address of the connection (the next hop we advertise). */
const struct prefix *bgp_session_local_addr(const struct bgp_session *s);
uint64_t bgp_session_msgs_in(const struct bgp_session *s);
uint64_t bgp_session_msgs_out(const struct bgp_session *s);
/* uv_now() when the session last changed between up and down. */
uint64_t bgp_session_since(const struct bgp_session *s);
const char *bgp_session_last_error(const struct bgp_session *s);
void bgp_session_set_user(struct bgp_session *s, void *user);
void *bgp_session_user(const struct bgp_session *s);

#endif
