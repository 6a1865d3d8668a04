/*
 * pbwire.h - the protobuf wire format's varints, for the encoders that
 * write messages directly (proto/cmdenc.c, proto/fibmsg.c, the batches of
 * consensus/node.c) instead of through protobuf-c.
 */
#ifndef CEN_PBWIRE_H
#define CEN_PBWIRE_H

#include <stddef.h>
#include <stdint.h>

/* Bytes the varint of v takes. */
static inline size_t
pbwire_vsize(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Writes the varint of v at w; returns the byte after it. */
static inline uint8_t *
pbwire_vput(uint8_t *w, uint64_t v)
{
	while (v >= 0x80) {
		*w++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*w++ = (uint8_t)v;
	return w;
}

#endif
