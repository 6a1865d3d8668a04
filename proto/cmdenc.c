/*
 * cmdenc.c - the write path's route updates, encoded directly (cmdenc.h).
 *
 * The PathUpdate is written into a buffer that keeps CMDENC_HEAD bytes
 * free in front; cmdenc_paths_end puts the Command's own field header (its
 * tag and the PathUpdate's length, known only then) right before the
 * PathUpdate, so nothing is copied.  The groups (PathUpdate field 6) are
 * written into a buffer of their own as they close and appended after the
 * withdrawals (field 5) at the end; the open group's attributes and short
 * prefixes wait in a scratch buffer until then.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/cmdenc.h"
#include "proto/pbwire.h"

#define CMDENC_HEAD 16 /* a tag and a varint length fit */

/* Field keys (field << 3 | wire type) of command.proto. */
#define K_COMMAND_PATHS 0x22 /* Command.paths: 4, length-delimited */
#define K_PU_ATTACHMENT 0x0a /* PathUpdate.attachment: 1 */
#define K_PU_PEER	0x12 /* PathUpdate.peer: 2 */
#define K_PU_NODE	0x18 /* PathUpdate.node: 3, varint */
#define K_PU_ADDS	0x22 /* PathUpdate.adds: 4 */
#define K_PU_WITHDRAWS	0x2a /* PathUpdate.withdraws: 5 */
#define K_PU_GROUPS	0x32 /* PathUpdate.groups: 6 */
#define K_ADD_PREFIX	0x0a /* PathAdd.prefix: 1 */
#define K_ADD_ATTRS	0x12 /* PathAdd.attrs: 2 */
#define K_GROUP_ATTRS	0x0a /* PathGroup.attrs: 1 */
#define K_GROUP_PFXS	0x12 /* PathGroup.prefixes: 2 */

/* Room for n more bytes; false (and the encoder failed) without it. */
static bool
room(struct cmdenc *e, size_t n)
{
	uint8_t *b;
	size_t cap;

	if (e->failed)
		return false;
	if (e->len + n <= e->cap)
		return true;
	cap = (e->len + n) * 2;
	b = realloc(e->buf, cap);
	if (b == NULL) {
		e->failed = true;
		return false;
	}
	e->buf = b;
	e->cap = cap;
	return true;
}

/* Room for n more bytes in one of the side buffers. */
static bool
buf_room(struct cmdenc *e, struct cmdenc_buf *b, size_t n)
{
	uint8_t *p;
	size_t cap;

	if (e->failed)
		return false;
	if (b->len + n <= b->cap)
		return true;
	cap = (b->len + n) * 2;
	p = realloc(b->p, cap);
	if (p == NULL) {
		e->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

/* Writes the open group into the groups, if one is open. */
static void
group_close(struct cmdenc *e)
{
	size_t alen = e->open_alen, plen = e->open.len - alen, inner;
	uint8_t *w;

	if (!e->grouping)
		return;
	e->grouping = false;
	inner = 1 + pbwire_vsize(alen) + alen + 1 + pbwire_vsize(plen) + plen;
	if (!buf_room(e, &e->groups, 1 + 10 + inner))
		return;
	w = e->groups.p + e->groups.len;
	*w++ = K_PU_GROUPS;
	w = pbwire_vput(w, inner);
	*w++ = K_GROUP_ATTRS;
	w = pbwire_vput(w, alen);
	if (alen > 0)
		memcpy(w, e->open.p, alen);
	w += alen;
	*w++ = K_GROUP_PFXS;
	w = pbwire_vput(w, plen);
	memcpy(w, e->open.p + alen, plen);
	e->groups.len = (size_t)(w - e->groups.p) + plen;
}

/* The significant bytes of a well-formed prefix (store_prefix_pack's
 * form: family, length, 4 or 16 address bytes, no host bits), or -1. */
static int
short_len(const uint8_t *prefix, size_t plen)
{
	size_t max, n;

	if (plen == 6 && prefix[0] == 4)
		max = 32;
	else if (plen == 18 && prefix[0] == 6)
		max = 128;
	else
		return -1;
	if (prefix[1] > max)
		return -1;
	n = ((size_t)prefix[1] + 7) / 8;
	for (size_t i = 2 + n; i < plen; i++)
		if (prefix[i] != 0)
			return -1;
	if (prefix[1] % 8 != 0 &&
	    (prefix[1 + n] & (0xff >> (prefix[1] % 8))) != 0)
		return -1;
	return (int)n;
}

/* Adds prefix to the group of attrs (opening it if it is not the open
 * one). */
static void
group_add(struct cmdenc *e, const uint8_t *prefix, size_t n,
	  const uint8_t *attrs, size_t alen)
{
	if (e->grouping && (e->open_alen != alen ||
			    (alen > 0 && memcmp(e->open.p, attrs, alen) != 0)))
		group_close(e);
	if (!e->grouping) {
		e->open.len = 0;
		if (!buf_room(e, &e->open, alen))
			return;
		if (alen > 0)
			memcpy(e->open.p, attrs, alen);
		e->open.len = e->open_alen = alen;
		e->grouping = true;
	}
	if (!buf_room(e, &e->open, 2 + n))
		return;
	memcpy(e->open.p + e->open.len, prefix, 2 + n);
	e->open.len += 2 + n;
}

/* A length-delimited field: key, length, bytes. */
static void
put_field(struct cmdenc *e, uint8_t key, const void *data, size_t len)
{
	uint8_t *w;

	if (!room(e, 1 + 10 + len))
		return;
	w = e->buf + e->len;
	*w++ = key;
	w = pbwire_vput(w, len);
	if (len > 0)
		memcpy(w, data, len);
	e->len = (size_t)(w - e->buf) + len;
}

void
cmdenc_paths_begin(struct cmdenc *e, const char *attachment,
		   const uint8_t *peer, size_t peer_len, uint32_t node)
{
	size_t alen = attachment != NULL ? strlen(attachment) : 0;

	memset(e, 0, sizeof(*e));
	if (!room(e, CMDENC_HEAD))
		return;
	e->len = CMDENC_HEAD;
	if (alen > 0)
		put_field(e, K_PU_ATTACHMENT, attachment, alen);
	if (peer_len > 0)
		put_field(e, K_PU_PEER, peer, peer_len);
	if (node != 0 && room(e, 1 + 5)) {
		e->buf[e->len++] = K_PU_NODE;
		e->len = (size_t)(pbwire_vput(e->buf + e->len, node) - e->buf);
	}
}

void
cmdenc_paths_add(struct cmdenc *e, const uint8_t *prefix, size_t plen,
		 const uint8_t *attrs, size_t alen)
{
	size_t inner = (plen > 0 ? 1 + pbwire_vsize(plen) + plen : 0) +
		       (attrs != NULL ? 1 + pbwire_vsize(alen) + alen : 0);
	uint8_t *w;
	int n;

	if (e->withdrawing)
		e->failed = true;
	if (attrs != NULL && (n = short_len(prefix, plen)) >= 0) {
		group_add(e, prefix, (size_t)n, attrs, alen);
		return;
	}
	if (!room(e, 1 + 10 + inner))
		return;
	w = e->buf + e->len;
	*w++ = K_PU_ADDS;
	w = pbwire_vput(w, inner);
	if (plen > 0) {
		*w++ = K_ADD_PREFIX;
		w = pbwire_vput(w, plen);
		memcpy(w, prefix, plen);
		w += plen;
	}
	if (attrs != NULL) {
		*w++ = K_ADD_ATTRS;
		w = pbwire_vput(w, alen);
		if (alen > 0)
			memcpy(w, attrs, alen);
		w += alen;
	}
	e->len = (size_t)(w - e->buf);
}

void
cmdenc_paths_withdraw(struct cmdenc *e, const uint8_t *prefix, size_t plen)
{
	e->withdrawing = true;
	group_close(e);
	put_field(e, K_PU_WITHDRAWS, prefix, plen);
}

const uint8_t *
cmdenc_paths_end(struct cmdenc *e, size_t *len)
{
	size_t body, hlen;
	uint8_t head[CMDENC_HEAD], *start;

	group_close(e);
	if (e->groups.len > 0 && room(e, e->groups.len)) {
		memcpy(e->buf + e->len, e->groups.p, e->groups.len);
		e->len += e->groups.len;
		e->groups.len = 0;
	}
	if (e->failed)
		return NULL;
	body = e->len - CMDENC_HEAD;
	head[0] = K_COMMAND_PATHS;
	hlen = (size_t)(pbwire_vput(head + 1, body) - head);
	start = e->buf + CMDENC_HEAD - hlen;
	memcpy(start, head, hlen);
	*len = hlen + body;
	return start;
}

void
cmdenc_free(struct cmdenc *e)
{
	free(e->buf);
	free(e->groups.p);
	free(e->open.p);
	memset(e, 0, sizeof(*e));
}
