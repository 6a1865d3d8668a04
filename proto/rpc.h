/*
 * rpc.h - cend's RPC transport: length-prefixed frames carrying
 * cend.v1.Envelope (proto/rpc.proto) over TCP or a Unix socket, shared by
 * cend (server and node-to-node client), cenctl and cenfwd.
 *
 * Frames: a 4-byte big-endian length, then that many bytes of an Envelope.
 * A frame longer than the connection's limit, a frame that does not unpack
 * as an Envelope, or a request without a method closes the connection (the
 * peer gets nothing more: framing errors are not answerable).  A request for
 * an unknown method is answered STATUS_UNIMPLEMENTED; a handler that cannot
 * unpack its payload answers STATUS_INVALID_ARGUMENT with a message.
 *
 * Calls are unary (one response) or server-streaming (any number of
 * responses, then one with end_of_stream).  The answer that finishes a call
 * (rpc_reply as well as rpc_stream_end) always carries end_of_stream, so a
 * client tells the last answer of any call by end_of_stream or a status
 * other than OK, without knowing whether the method streams.
 *
 * Handlers may answer later (after a Raft apply, say): the call object
 * stays valid until it is finished with rpc_reply or rpc_stream_end, even
 * if the connection goes away meanwhile (then the answer is dropped and
 * rpc_call_gone tells so).
 *
 * Endpoints are written "HOST:PORT" (IPv4 or a bracketed IPv6 address) or
 * "unix:/path/to/socket".
 */
#ifndef CEN_RPC_H
#define CEN_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/err.h"
#include "proto/rpc.pb-c.h"

#define RPC_FRAME_MAX_DEFAULT (16u << 20) /* 16 MiB */
#define RPC_WRITE_QUEUE_MAX   (64u << 20) /* per connection, then close */

typedef Cend__V1__Status rpc_status;
#define RPC_OK			CEND__V1__STATUS__STATUS_OK
#define RPC_INVALID_ARGUMENT	CEND__V1__STATUS__STATUS_INVALID_ARGUMENT
#define RPC_NOT_FOUND		CEND__V1__STATUS__STATUS_NOT_FOUND
#define RPC_ALREADY_EXISTS	CEND__V1__STATUS__STATUS_ALREADY_EXISTS
#define RPC_FAILED_PRECONDITION CEND__V1__STATUS__STATUS_FAILED_PRECONDITION
#define RPC_UNIMPLEMENTED	CEND__V1__STATUS__STATUS_UNIMPLEMENTED
#define RPC_UNAVAILABLE		CEND__V1__STATUS__STATUS_UNAVAILABLE
#define RPC_DEADLINE_EXCEEDED	CEND__V1__STATUS__STATUS_DEADLINE_EXCEEDED
#define RPC_INTERNAL		CEND__V1__STATUS__STATUS_INTERNAL
#define RPC_NOT_LEADER		CEND__V1__STATUS__STATUS_NOT_LEADER
#define RPC_CANCELLED		CEND__V1__STATUS__STATUS_CANCELLED

const char *rpc_status_str(rpc_status s);

/* ---- endpoints (rpc.c) --------------------------------------------- */

struct rpc_endpoint {
	bool unix_socket;
	char path[108];		    /* unix */
	struct sockaddr_storage sa; /* tcp */
	socklen_t salen;
};

/* Parses "HOST:PORT", "[v6]:PORT" or "unix:/path"; 0 or -CEN_EINVAL with a
 * message.  HOST is a literal address (no name lookup); PORT is 1..65535. */
int rpc_endpoint_parse(struct rpc_endpoint *ep, const char *s,
		       struct cen_err *err);
/* The same for a listener: port 0 is accepted (any free port, see
 * rpc_server_port). */
int rpc_endpoint_parse_listen(struct rpc_endpoint *ep, const char *s,
			      struct cen_err *err);

/* ---- frames (rpc_frame.c) ------------------------------------------ */

/* Reassembles frames from a byte stream, whatever the reads' boundaries
 * (a frame split over many reads, several frames in one read), and unpacks
 * each as an Envelope.  A pure function of the bytes fed (no sockets), so
 * the server and both clients share it and it can be fuzzed.  A frame's
 * length is checked against frame_max as soon as its 4-byte prefix is
 * complete, before anything is allocated for it; the buffer grows only with
 * the bytes that actually arrive. */
struct rpc_framer {
	size_t frame_max;
	uint8_t *buf; /* the incomplete frame (prefix included), owned */
	size_t len;   /* bytes of it in buf */
	size_t cap;
	int error; /* sticky: the first framing error, or 0 */
};

/* Gets each complete Envelope; env belongs to the framer and is freed when
 * the callback returns (copy what must outlive it).  Returning non-zero
 * stops feeding: rpc_frame_feed returns that value at once and drops the
 * rest of its input. */
typedef int (*rpc_frame_fn)(Cend__V1__Envelope *env, void *arg);

/* frame_max 0 = RPC_FRAME_MAX_DEFAULT. */
void rpc_framer_init(struct rpc_framer *f, size_t frame_max);
void rpc_framer_fini(struct rpc_framer *f);
/* Feeds len bytes (not kept: the framer copies what it needs).  Returns 0,
 * a callback's non-zero result, -CEN_EPROTO with err set for a frame over
 * frame_max or one that is not an Envelope (then every later feed fails the
 * same way: the stream cannot be resynchronised, close it), or
 * -CEN_ENOMEM. */
int rpc_frame_feed(struct rpc_framer *f, const uint8_t *buf, size_t len,
		   rpc_frame_fn fn, void *arg, struct cen_err *err);
/* Bytes of env as a frame (the 4-byte prefix included), and packing it into
 * out, which must hold that many. */
size_t rpc_frame_size(const Cend__V1__Envelope *env);
void rpc_frame_pack(const Cend__V1__Envelope *env, uint8_t *out);

/* ---- server (rpc_server.c) ----------------------------------------- */

struct rpc_server;
struct rpc_call;

/* A method handler.  payload is valid only during the call.  The handler
 * must eventually finish the call (rpc_reply, or rpc_stream_end for
 * streaming methods), now or later. */
typedef void (*rpc_handler_fn)(struct rpc_call *call, const uint8_t *payload,
			       size_t len, void *arg);

struct rpc_method {
	const char *name; /* "cend.v1.Admin/Status" */
	rpc_handler_fn fn;
	void *arg;
};

/* Creates a server on loop; methods (terminated by a NULL name) must outlive
 * the server.  frame_max 0 = RPC_FRAME_MAX_DEFAULT. */
int rpc_server_new(uv_loop_t *loop, const struct rpc_method *methods,
		   size_t frame_max, struct rpc_server **out);
/* Listens on an endpoint (may be called several times: TCP and Unix). */
int rpc_server_listen(struct rpc_server *s, const char *endpoint,
		      struct cen_err *err);
/* Closes listeners and connections; pending calls become gone.  The server
 * is freed once every handle has closed (on a later loop turn). */
void rpc_server_close(struct rpc_server *s);
size_t rpc_server_connections(const struct rpc_server *s);
/* The port of the first TCP listener (useful after listening on port 0), or
 * -CEN_ENOENT when there is none. */
int rpc_server_port(struct rpc_server *s);

/* Unary (or last) answer: status, message (NULL if none) and the packed
 * response (copied).  Finishes the call. */
void rpc_reply(struct rpc_call *call, rpc_status status, const char *message,
	       const uint8_t *payload, size_t len);
/* Convenience: packs a protobuf-c message and replies OK. */
void rpc_reply_msg(struct rpc_call *call, const ProtobufCMessage *msg);
/* Error answer with a formatted message. */
void rpc_reply_error(struct rpc_call *call, rpc_status status, const char *fmt,
		     ...) __attribute__((format(printf, 3, 4)));
/* Streaming: one message (copied); returns 0, or -CEN_EIO when the
 * connection is gone or its write queue is over RPC_WRITE_QUEUE_MAX (the
 * caller should then finish the call), or -CEN_ETOOBIG when the message
 * would make a frame over the server's frame_max (nothing is sent). */
int rpc_stream_send(struct rpc_call *call, const uint8_t *payload, size_t len);
int rpc_stream_send_msg(struct rpc_call *call, const ProtobufCMessage *msg);
/* Finishes a stream with end_of_stream and a status. */
void rpc_stream_end(struct rpc_call *call, rpc_status status,
		    const char *message);
/* True once the caller's connection is closed. */
bool rpc_call_gone(const struct rpc_call *call);
/* Bytes queued for writing on the call's connection (for flow control). */
size_t rpc_call_queued(const struct rpc_call *call);
/* Per-call user data (e.g. a pending proposal). */
void rpc_call_set_data(struct rpc_call *call, void *data);
void *rpc_call_data(const struct rpc_call *call);
/* Deadline the caller sent (0 = none). */
uint32_t rpc_call_timeout_ms(const struct rpc_call *call);
/* Called when a stream's connection goes away, so the producer can stop
 * (for any call that set it, once, from the connection's close callback on
 * a later loop turn, never from inside rpc_stream_send).  The call is still
 * valid during cb and still has to be finished, in cb or later. */
void rpc_call_on_gone(struct rpc_call *call,
		      void (*cb)(struct rpc_call *, void *), void *arg);

/* ---- asynchronous client, on a libuv loop (rpc_client.c) ----------- */

struct rpc_client;

/* Result of an asynchronous call: status, message (NULL if none), payload
 * (valid during the callback only).  For streams it is called per message
 * with end_of_stream false, then once with end_of_stream true; the last
 * call for any call (unary answer, error, timeout) has end_of_stream true. */
typedef void (*rpc_client_cb)(rpc_status status, const char *message,
			      const uint8_t *payload, size_t len,
			      bool end_of_stream, void *arg);

/* A client keeps one connection per endpoint and reconnects on demand (a
 * call after a connection was lost opens a new one). */
int rpc_client_new(uv_loop_t *loop, struct rpc_client **out);
/* Fails every pending call with RPC_CANCELLED (on a later loop turn) and
 * frees the client once its handles have closed.  c must not be used
 * after. */
void rpc_client_close(struct rpc_client *c);
/* Sends a request; cb is called exactly once for unary calls (with
 * RPC_UNAVAILABLE if the endpoint cannot be reached or the connection is
 * lost, RPC_DEADLINE_EXCEEDED after timeout_ms).  timeout_ms (0 = none)
 * bounds the wait for each answer, so for a stream the wait for each
 * message.  cb is never called from within rpc_client_call.  Returns 0, or
 * -CEN_EINVAL (bad endpoint), -CEN_ETOOBIG (request over
 * RPC_FRAME_MAX_DEFAULT), -CEN_ESHUTDOWN (client closing), -CEN_ENOMEM or
 * -CEN_EIO; then cb is never called. */
int rpc_client_call(struct rpc_client *c, const char *endpoint,
		    const char *method, const uint8_t *payload, size_t len,
		    uint32_t timeout_ms, rpc_client_cb cb, void *arg);

/* ---- blocking client, for cenctl and tests (rpc_sync.c) ------------ */

struct rpc_sync;

/* Connects to an endpoint with a timeout (0 = the system's); 0, or
 * -CEN_EINVAL (bad endpoint), -CEN_EIO (refused, unreachable) or
 * -CEN_ETIMEOUT with err set.  Plain sockets and poll(), no libuv. */
int rpc_sync_connect(const char *endpoint, uint32_t timeout_ms,
		     struct rpc_sync **out, struct cen_err *err);
void rpc_sync_close(struct rpc_sync *c);
/* A unary call.  On return *status and *message (malloc'd, may be NULL) are
 * set; *resp (malloc'd) holds the payload.  Returns 0 when an answer
 * arrived (whatever its status), or a negative error for transport failures
 * (connection closed, timeout) with err set.  status, message, resp and
 * resp_len may be NULL when not wanted.  A timeout waiting for the answer
 * leaves the connection usable (the late answer is skipped). */
int rpc_sync_call(struct rpc_sync *c, const char *method,
		  const uint8_t *payload, size_t len, uint32_t timeout_ms,
		  rpc_status *status, char **message, uint8_t **resp,
		  size_t *resp_len, struct cen_err *err);
/* A server-streaming call: cb gets each message; returns like
 * rpc_sync_call with the final status (a final answer that carries a
 * payload, from rpc_reply, goes to cb first).  cb returning non-zero
 * cancels (the connection is closed; later calls on c fail): 0 is returned
 * with *status RPC_CANCELLED.  timeout_ms bounds the wait for each message
 * (0 = forever; the same for rpc_sync_call). */
int rpc_sync_stream(struct rpc_sync *c, const char *method,
		    const uint8_t *payload, size_t len, uint32_t timeout_ms,
		    int (*cb)(const uint8_t *msg, size_t len, void *arg),
		    void *arg, rpc_status *status, char **message,
		    struct cen_err *err);
/* Sends raw bytes on the connection (tests: garbage frames); 0 or
 * -CEN_EIO. */
int rpc_sync_send_raw(struct rpc_sync *c, const void *buf, size_t len);

#endif
