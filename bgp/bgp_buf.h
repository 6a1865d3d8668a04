/*
 * bgp_buf.h - the bounded reader and the growable writer every BGP parser
 * and builder goes through.
 *
 * The reader (struct buf) is a view of bytes that belong to the caller: p is
 * the next byte, len how many are left.  Every get checks the length first
 * and fails with -CEN_EPARSE, leaving the reader unchanged, when fewer bytes
 * are left than asked for, so nothing built on it can read past its end.
 * buf_get_sub carves the next len bytes into a reader of their own and moves
 * past them: an UPDATE is carved into withdrawn routes, attributes and NLRI
 * up front, and each attribute into its own sub-reader, before any of them
 * is parsed.  The getters are inline: they are the inner loop of a full
 * table load.
 *
 * The writer (struct wbuf) owns a malloc'd buffer that grows on demand.  An
 * allocation failure is sticky (failed), and every later put does nothing,
 * so a builder checks once, at the end, with wbuf_status (as OpenBGPD's ibuf
 * is used).  Multi-byte values are written in network byte order.
 */
#ifndef CEN_BGP_BUF_H
#define CEN_BGP_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"

struct buf {
	const uint8_t *p; /* next byte */
	size_t len;	  /* bytes left */
};

static inline void
buf_init(struct buf *b, const void *p, size_t len)
{
	b->p = p;
	b->len = len;
}

static inline size_t
buf_left(const struct buf *b)
{
	return b->len;
}

static inline int
buf_get_u8(struct buf *b, uint8_t *v)
{
	if (b->len < 1)
		return -CEN_EPARSE;
	*v = b->p[0];
	b->p++;
	b->len--;
	return 0;
}

static inline int
buf_get_u16(struct buf *b, uint16_t *v)
{
	if (b->len < 2)
		return -CEN_EPARSE;
	*v = (uint16_t)(b->p[0] << 8 | b->p[1]);
	b->p += 2;
	b->len -= 2;
	return 0;
}

static inline int
buf_get_u32(struct buf *b, uint32_t *v)
{
	if (b->len < 4)
		return -CEN_EPARSE;
	*v = (uint32_t)b->p[0] << 24 | (uint32_t)b->p[1] << 16 |
	     (uint32_t)b->p[2] << 8 | b->p[3];
	b->p += 4;
	b->len -= 4;
	return 0;
}

/* Copies the next n bytes to dst. */
static inline int
buf_get_bytes(struct buf *b, void *dst, size_t n)
{
	if (b->len < n)
		return -CEN_EPARSE;
	if (n > 0)
		memcpy(dst, b->p, n);
	b->p += n;
	b->len -= n;
	return 0;
}

/* Makes sub a reader of the next n bytes and moves past them. */
static inline int
buf_get_sub(struct buf *b, size_t n, struct buf *sub)
{
	if (b->len < n)
		return -CEN_EPARSE;
	sub->p = b->p;
	sub->len = n;
	b->p += n;
	b->len -= n;
	return 0;
}

static inline int
buf_skip(struct buf *b, size_t n)
{
	if (b->len < n)
		return -CEN_EPARSE;
	b->p += n;
	b->len -= n;
	return 0;
}

struct wbuf {
	uint8_t *data; /* NULL until the first put */
	size_t len;    /* bytes written */
	size_t cap;    /* bytes allocated */
	bool failed;   /* an allocation failed: the contents are incomplete */
};

/* bgp_buf.c */
void wbuf_init(struct wbuf *w);
/* Frees the buffer; w can be used again after wbuf_init. */
void wbuf_free(struct wbuf *w);
/* Empties w (keeping its memory) and clears failed. */
void wbuf_reset(struct wbuf *w);
/* 0, or -CEN_ENOMEM if any put since the last reset failed. */
int wbuf_status(const struct wbuf *w);
/* Appends n bytes and returns a pointer to them (valid until the next put),
 * or NULL when w has failed. */
uint8_t *wbuf_reserve(struct wbuf *w, size_t n);
void wbuf_put_u8(struct wbuf *w, uint8_t v);
void wbuf_put_u16(struct wbuf *w, uint16_t v);
void wbuf_put_u32(struct wbuf *w, uint32_t v);
void wbuf_put_bytes(struct wbuf *w, const void *p, size_t n);
/* Overwrites bytes already written at offset off (back-patching a length);
 * does nothing if they are not all within len (a failed writer). */
void wbuf_set_u8(struct wbuf *w, size_t off, uint8_t v);
void wbuf_set_u16(struct wbuf *w, size_t off, uint16_t v);
/* Cuts w back to len bytes (len <= w->len). */
void wbuf_truncate(struct wbuf *w, size_t len);

#endif
