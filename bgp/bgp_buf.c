/*
 * bgp_buf.c - the growable writer of bgp_buf.h (the bounded reader is
 * inline in the header).
 *
 * The buffer doubles as it fills; a failed allocation marks the writer
 * failed and every later put is a no-op, so builders check once at the end.
 */
#include "bgp/bgp_buf.h"

#include <stdlib.h>

#define WBUF_MIN 256

void
wbuf_init(struct wbuf *w)
{
	memset(w, 0, sizeof(*w));
}

void
wbuf_free(struct wbuf *w)
{
	free(w->data);
	memset(w, 0, sizeof(*w));
}

void
wbuf_reset(struct wbuf *w)
{
	w->len = 0;
	w->failed = false;
}

int
wbuf_status(const struct wbuf *w)
{
	return w->failed ? -CEN_ENOMEM : 0;
}

uint8_t *
wbuf_reserve(struct wbuf *w, size_t n)
{
	uint8_t *p;

	if (w->failed)
		return NULL;
	if (n > SIZE_MAX / 2 - w->len) {
		w->failed = true;
		return NULL;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : WBUF_MIN;
		uint8_t *d;

		while (cap < w->len + n)
			cap *= 2;
		d = realloc(w->data, cap);
		if (d == NULL) {
			w->failed = true;
			return NULL;
		}
		w->data = d;
		w->cap = cap;
	}
	p = w->data + w->len;
	w->len += n;
	return p;
}

void
wbuf_put_u8(struct wbuf *w, uint8_t v)
{
	uint8_t *p = wbuf_reserve(w, 1);

	if (p != NULL)
		p[0] = v;
}

void
wbuf_put_u16(struct wbuf *w, uint16_t v)
{
	uint8_t *p = wbuf_reserve(w, 2);

	if (p != NULL) {
		p[0] = (uint8_t)(v >> 8);
		p[1] = (uint8_t)v;
	}
}

void
wbuf_put_u32(struct wbuf *w, uint32_t v)
{
	uint8_t *p = wbuf_reserve(w, 4);

	if (p != NULL) {
		p[0] = (uint8_t)(v >> 24);
		p[1] = (uint8_t)(v >> 16);
		p[2] = (uint8_t)(v >> 8);
		p[3] = (uint8_t)v;
	}
}

void
wbuf_put_bytes(struct wbuf *w, const void *src, size_t n)
{
	uint8_t *p = wbuf_reserve(w, n);

	if (p != NULL && n > 0)
		memcpy(p, src, n);
}

void
wbuf_set_u8(struct wbuf *w, size_t off, uint8_t v)
{
	if (!w->failed && off < w->len)
		w->data[off] = v;
}

void
wbuf_set_u16(struct wbuf *w, size_t off, uint16_t v)
{
	if (!w->failed && off + 2 <= w->len) {
		w->data[off] = (uint8_t)(v >> 8);
		w->data[off + 1] = (uint8_t)v;
	}
}

void
wbuf_truncate(struct wbuf *w, size_t len)
{
	if (len < w->len)
		w->len = len;
}
