/*
 * rpc_frame.c - frames of the RPC transport (rpc.h): a 4-byte big-endian
 * length, then that many bytes of a cend.v1.Envelope (proto/rpc.proto).
 *
 * The framer reassembles frames from whatever pieces the reads deliver.
 * Complete frames in the caller's buffer are unpacked in place; only the
 * incomplete tail is copied, into a buffer that grows with the bytes that
 * arrive (never with what a length prefix claims), so a peer announcing a
 * huge frame costs nothing until it sends it, and a prefix over frame_max is
 * refused before anything is allocated.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/rpc.h"

#define HDR	 4u
#define GROW_MIN 256u
#define KEEP_MAX (64u << 10) /* a larger buffer is freed after its frame */

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void
rpc_framer_init(struct rpc_framer *f, size_t frame_max)
{
	memset(f, 0, sizeof(*f));
	f->frame_max = frame_max ? frame_max : RPC_FRAME_MAX_DEFAULT;
}

void
rpc_framer_fini(struct rpc_framer *f)
{
	free(f->buf);
	f->buf = NULL;
	f->len = f->cap = 0;
}

static int
check_len(struct rpc_framer *f, uint32_t n, struct cen_err *err)
{
	if (n <= f->frame_max)
		return 0;
	f->error = -CEN_EPROTO;
	return cen_errf(err, f->error, "frame of %u bytes over the %zu limit",
			n, f->frame_max);
}

/* Unpacks one frame's body and hands it to fn. */
static int
deliver(struct rpc_framer *f, const uint8_t *body, uint32_t n, rpc_frame_fn fn,
	void *arg, struct cen_err *err)
{
	Cend__V1__Envelope *env;
	int rc;

	env = cend__v1__envelope__unpack(NULL, n, body);
	if (env == NULL) {
		f->error = -CEN_EPROTO;
		return cen_errf(err, f->error,
				"frame of %u bytes is not a cend.v1.Envelope",
				n);
	}
	rc = fn(env, arg);
	cend__v1__envelope__free_unpacked(env, NULL);
	return rc;
}

/* Appends to the incomplete frame, growing the buffer geometrically but
 * never past want (the whole frame, once its length is known). */
static int
append(struct rpc_framer *f, const uint8_t *p, size_t n, size_t want)
{
	size_t cap;
	uint8_t *nb;

	if (f->len + n > f->cap) {
		cap = f->cap ? f->cap * 2 : GROW_MIN;
		if (cap > want)
			cap = want;
		if (cap < f->len + n)
			cap = f->len + n;
		if ((nb = realloc(f->buf, cap)) == NULL)
			return -CEN_ENOMEM;
		f->buf = nb;
		f->cap = cap;
	}
	memcpy(f->buf + f->len, p, n);
	f->len += n;
	return 0;
}

/* Resets the buffer after a frame; a large one is given back. */
static void
reset(struct rpc_framer *f)
{
	f->len = 0;
	if (f->cap > KEEP_MAX)
		rpc_framer_fini(f);
}

/* Continues the incomplete frame in f->buf with input; *used says how much
 * input it took.  Delivers the frame once it is whole. */
static int
feed_partial(struct rpc_framer *f, const uint8_t *buf, size_t len, size_t *used,
	     rpc_frame_fn fn, void *arg, struct cen_err *err)
{
	size_t take, total;
	uint32_t n;
	int rc;

	*used = 0;
	if (f->len < HDR) {
		take = HDR - f->len < len ? HDR - f->len : len;
		if ((rc = append(f, buf, take, HDR)) != 0)
			return rc;
		*used = take;
		if (f->len < HDR)
			return 0;
		if ((rc = check_len(f, get_be32(f->buf), err)) != 0)
			return rc;
	}
	n = get_be32(f->buf);
	total = HDR + (size_t)n;
	take = total - f->len < len - *used ? total - f->len : len - *used;
	if ((rc = append(f, buf + *used, take, total)) != 0)
		return rc;
	*used += take;
	if (f->len < total)
		return 0;
	/* Unpacking copies, so the buffer is free for the next frame once
	 * the envelope exists; reset after fn in case fn stops us. */
	rc = deliver(f, f->buf + HDR, n, fn, arg, err);
	reset(f);
	return rc;
}

int
rpc_frame_feed(struct rpc_framer *f, const uint8_t *buf, size_t len,
	       rpc_frame_fn fn, void *arg, struct cen_err *err)
{
	size_t used;
	uint32_t n;
	int rc;

	if (f->error != 0)
		return cen_errf(err, f->error,
				"connection already failed framing");
	if (f->len > 0) {
		rc = feed_partial(f, buf, len, &used, fn, arg, err);
		if (rc != 0 || f->len > 0)
			return rc;
		buf += used;
		len -= used;
	}
	/* Whole frames straight from the input. */
	while (len >= HDR) {
		n = get_be32(buf);
		if ((rc = check_len(f, n, err)) != 0)
			return rc;
		if (len - HDR < n)
			break;
		rc = deliver(f, buf + HDR, n, fn, arg, err);
		if (rc != 0)
			return rc;
		buf += HDR + n;
		len -= HDR + n;
	}
	if (len == 0)
		return 0;
	if (len >= HDR)
		return append(f, buf, len, HDR + (size_t)get_be32(buf));
	return append(f, buf, len, HDR);
}

size_t
rpc_frame_size(const Cend__V1__Envelope *env)
{
	return HDR + cend__v1__envelope__get_packed_size(env);
}

void
rpc_frame_pack(const Cend__V1__Envelope *env, uint8_t *out)
{
	size_t n = cend__v1__envelope__pack(env, out + HDR);

	put_be32(out, (uint32_t)n);
}
