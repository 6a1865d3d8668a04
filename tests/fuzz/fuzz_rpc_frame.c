/*
 * fuzz_rpc_frame.c - libFuzzer target for the RPC transport's frame parser
 * (rpc_frame_feed in proto/rpc_frame.c), the code that reads every byte a
 * peer sends to cend's API and node-to-node ports.
 *
 * The first input byte seeds how the rest is cut into reads; the rest is
 * the byte stream.  The stream is fed twice, in one read and cut into reads
 * of 1 to 64 bytes: both must yield the same envelopes and end the same way
 * (framing error, stop, or waiting for more), since a frame's meaning must
 * not depend on how TCP delivered it.  The callback stops, as the server
 * does, at a request without a method.  Every envelope delivered must pack
 * again into a frame that parses back to the same fields.  A small frame
 * limit (4 KiB) lets mutations reach the limit check.
 *
 *   protoc-c --c_out=/tmp/fz --proto_path=. proto/rpc.proto
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -I/tmp/fz \
 *     $(pkg-config --cflags libuv) proto/rpc_frame.c \
 *     /tmp/fz/proto/rpc.pb-c.c core/err.c tests/fuzz/fuzz_rpc_frame.c \
 *     -lprotobuf-c -o /tmp/fz/fuzz_rpc_frame
 *   /tmp/fz/fuzz_rpc_frame -max_total_time=30 -max_len=16384
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/rpc.h"

#define FRAME_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct trace {
	size_t n;
	uint64_t hash; /* FNV-1a over the envelopes' fields */
};

static void
mix(struct trace *t, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++) {
		t->hash ^= b[i];
		t->hash *= 0x100000001b3ull;
	}
}

static int
count_one(Cend__V1__Envelope *env, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

/* The fields cend uses, in a fresh envelope (as the server builds its
 * answers), pack into a frame that parses back to the same fields.  Unknown
 * fields are left out: protobuf-c accepts some encodings it will not parse
 * again once repacked (field number 0 as a two-byte varint), and the
 * transport never forwards a received envelope. */
static void
check_roundtrip(const Cend__V1__Envelope *in)
{
	Cend__V1__Envelope copy = CEND__V1__ENVELOPE__INIT, *back;
	const Cend__V1__Envelope *env = &copy;
	struct rpc_framer f;
	size_t len;
	uint8_t *buf;
	int n = 0;

	copy.call_id = in->call_id;
	copy.method = in->method;
	copy.status = in->status;
	copy.message = in->message;
	copy.payload = in->payload;
	copy.end_of_stream = in->end_of_stream;
	copy.timeout_ms = in->timeout_ms;
	copy.leader_hint = in->leader_hint;
	len = rpc_frame_size(env);
	if ((buf = malloc(len)) == NULL)
		abort();
	rpc_frame_pack(env, buf);
	back = cend__v1__envelope__unpack(NULL, len - 4, buf + 4);
	if (back == NULL || back->call_id != env->call_id ||
	    strcmp(back->method, env->method) != 0 ||
	    strcmp(back->message, env->message) != 0 ||
	    back->status != env->status ||
	    back->end_of_stream != env->end_of_stream ||
	    back->timeout_ms != env->timeout_ms ||
	    back->payload.len != env->payload.len ||
	    (env->payload.len != 0 &&
	     memcmp(back->payload.data, env->payload.data, env->payload.len) !=
		     0))
		abort();
	cend__v1__envelope__free_unpacked(back, NULL);
	/* The same frame through a framer of a large enough limit. */
	rpc_framer_init(&f, len);
	if (rpc_frame_feed(&f, buf, len, count_one, &n, NULL) != 0 || n != 1 ||
	    f.len != 0)
		abort();
	rpc_framer_fini(&f);
	free(buf);
}

/* What the server does with a request, short of calling a handler. */
static int
on_env(Cend__V1__Envelope *env, void *arg)
{
	struct trace *t = arg;

	check_roundtrip(env);
	t->n++;
	mix(t, &env->call_id, sizeof(env->call_id));
	mix(t, env->method, strlen(env->method) + 1);
	mix(t, &env->payload.len, sizeof(env->payload.len));
	if (env->payload.len != 0)
		mix(t, env->payload.data, env->payload.len);
	if (env->method[0] == '\0')
		return 1; /* the server closes the connection */
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace whole = { 0, 0xcbf29ce484222325ull };
	struct trace cut = whole;
	struct rpc_framer f;
	struct cen_err err;
	int rc_whole, rc_cut = 0;
	uint32_t x;
	size_t off, n, pending_whole, pending_cut;

	if (size == 0)
		return 0;
	x = data[0] * 2654435761u + 1;
	data++;
	size--;

	rpc_framer_init(&f, FRAME_MAX);
	rc_whole = rpc_frame_feed(&f, data, size, on_env, &whole, &err);
	if (rc_whole == -CEN_EPROTO && err.msg[0] == '\0')
		abort();
	pending_whole = f.len;
	rpc_framer_fini(&f);

	rpc_framer_init(&f, FRAME_MAX);
	for (off = 0; off < size && rc_cut == 0; off += n) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		n = 1 + x % 64;
		if (n > size - off)
			n = size - off;
		rc_cut = rpc_frame_feed(&f, data + off, n, on_env, &cut, &err);
	}
	pending_cut = f.len;
	/* After a framing error every feed fails the same way. */
	if (rc_cut == -CEN_EPROTO &&
	    rpc_frame_feed(&f, data, size, on_env, &cut, &err) != -CEN_EPROTO)
		abort();
	if (f.len > FRAME_MAX + 4 || f.cap > FRAME_MAX + 4)
		abort();
	rpc_framer_fini(&f);

	if (rc_whole != rc_cut || whole.n != cut.n || whole.hash != cut.hash)
		abort();
	if (rc_whole == 0 && pending_whole != pending_cut)
		abort();
	return 0;
}
