/*
 * cmddec.c - fast decoding of the write path's commands (cmddec.h).
 *
 * A bounded reader over the input; each message is decoded in one pass
 * that accepts only fields in increasing field order (a repeated message
 * or bytes field may repeat in a row), with the wire type its field
 * declares, varints no longer than protobuf-c reads them and lengths
 * inside their message.  Whatever else it meets, the message goes to
 * protobuf-c's unpack instead: protobuf-c accepts a superset of what is
 * decoded here, and both give the same values for what is.
 */
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "proto/cmddec.h"

#define WT_VARINT 0
#define WT_LEN	  2

/* How many attribute sets one PathUpdate's adds share by their bytes. */
#define ATTRS_SHARED 8

struct rd {
	const uint8_t *p, *end;
};

/* A varint of at most max bytes; false past the end or when longer. */
static bool
rd_varint(struct rd *r, unsigned max, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned i = 0; i < max && r->p < r->end; i++) {
		uint8_t b = *r->p++;

		x |= (uint64_t)(b & 0x7f) << (7 * i);
		if ((b & 0x80) == 0) {
			*v = x;
			return true;
		}
	}
	return false;
}

/* A field key, as protobuf-c reads it (at most 5 bytes, field >= 1). */
static bool
rd_tag(struct rd *r, uint32_t *field, unsigned *wt)
{
	uint64_t v;

	if (r->p >= r->end || (*r->p & 0xf8) == 0 || !rd_varint(r, 5, &v))
		return false;
	if ((v >> 3) == 0 || (v >> 3) > UINT32_MAX)
		return false;
	*field = (uint32_t)(v >> 3);
	*wt = (unsigned)(v & 7);
	return true;
}

/* A length prefix (at most 5 bytes, at most INT_MAX) and its bytes. */
static bool
rd_len(struct rd *r, const uint8_t **data, size_t *len)
{
	uint64_t v;

	if (!rd_varint(r, 5, &v) || v > INT_MAX ||
	    v > (uint64_t)(r->end - r->p))
		return false;
	*data = r->p;
	*len = (size_t)v;
	r->p += v;
	return true;
}

/* A uint32 whose varint protobuf-c reads to the same value. */
static bool
rd_u32(struct rd *r, uint32_t *out)
{
	uint64_t v;

	if (!rd_varint(r, 5, &v) || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool
rd_bool(struct rd *r, protobuf_c_boolean *out)
{
	uint64_t v;

	if (!rd_varint(r, 10, &v))
		return false;
	*out = v != 0;
	return true;
}

/* bytes: data NULL when empty, as protobuf-c leaves it. */
static bool
rd_bytes(struct rd *r, ProtobufCBinaryData *out)
{
	const uint8_t *d;
	size_t len;

	if (!rd_len(r, &d, &len))
		return false;
	out->len = len;
	out->data = len > 0 ? (uint8_t *)d : NULL;
	return true;
}

static bool
rd_string(struct pbarena *a, struct rd *r, char **out)
{
	const uint8_t *d;
	size_t len;
	char *s;

	if (!rd_len(r, &d, &len) || (s = pbarena_alloc(a, len + 1)) == NULL)
		return false;
	memcpy(s, d, len);
	s[len] = '\0';
	*out = s;
	return true;
}

/* A packed repeated uint32 with at least one element. */
static bool
rd_packed_u32(struct pbarena *a, struct rd *r, size_t *n, uint32_t **out)
{
	const uint8_t *d;
	size_t len, count = 0;
	struct rd sub;
	uint32_t *v;

	if (!rd_len(r, &d, &len) || len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		count += (d[i] & 0x80) == 0;
	if ((d[len - 1] & 0x80) != 0 ||
	    (v = pbarena_alloc(a, count * sizeof(*v))) == NULL)
		return false;
	sub.p = d;
	sub.end = d + len;
	for (size_t i = 0; i < count; i++)
		if (!rd_u32(&sub, &v[i]))
			return false;
	*n = count;
	*out = v;
	return true;
}

/* ---- PathAttrs ------------------------------------------------------ */

static Cend__V1__PathAttrs *
dec_attrs(struct pbarena *a, const uint8_t *buf, size_t len)
{
	struct rd r = { buf, buf + len };
	Cend__V1__PathAttrs *m = pbarena_alloc(a, sizeof(*m));
	uint32_t field, last = 0;
	unsigned wt;
	bool ok;

	if (m == NULL)
		return NULL;
	cend__v1__path_attrs__init(m);
	while (r.p < r.end) {
		if (!rd_tag(&r, &field, &wt) || field <= last)
			return NULL;
		last = field;
		switch (field) {
		case 1:
			ok = wt == WT_VARINT && rd_u32(&r, &m->origin);
			break;
		case 2:
			ok = wt == WT_VARINT && rd_u32(&r, &m->preference);
			break;
		case 3:
			ok = wt == WT_VARINT && rd_u32(&r, &m->weight);
			break;
		case 4:
			ok = wt == WT_VARINT && rd_bool(&r, &m->has_med);
			break;
		case 5:
			ok = wt == WT_VARINT && rd_u32(&r, &m->med);
			break;
		case 6:
			ok = wt == WT_VARINT && rd_bool(&r, &m->has_local_pref);
			break;
		case 7:
			ok = wt == WT_VARINT && rd_u32(&r, &m->local_pref);
			break;
		case 8:
			ok = wt == WT_LEN &&
			     rd_packed_u32(a, &r, &m->n_as_path, &m->as_path);
			break;
		case 9:
			ok = wt == WT_LEN &&
			     rd_packed_u32(a, &r, &m->n_communities,
					   &m->communities);
			break;
		case 10:
			ok = wt == WT_LEN &&
			     rd_packed_u32(a, &r, &m->n_large_communities,
					   &m->large_communities);
			break;
		case 11:
			ok = wt == WT_LEN && rd_bytes(&r, &m->next_hop);
			break;
		case 12:
			ok = wt == WT_VARINT &&
			     rd_bool(&r, &m->atomic_aggregate);
			break;
		case 13:
			ok = wt == WT_VARINT && rd_u32(&r, &m->aggregator_as);
			break;
		case 14:
			ok = wt == WT_VARINT && rd_u32(&r, &m->aggregator_id);
			break;
		case 15:
			ok = wt == WT_VARINT && rd_u32(&r, &m->originator_id);
			break;
		case 16:
			ok = wt == WT_LEN &&
			     rd_packed_u32(a, &r, &m->n_cluster_list,
					   &m->cluster_list);
			break;
		case 17:
			ok = wt == WT_LEN && rd_bytes(&r, &m->opaque);
			break;
		default:
			ok = false;
		}
		if (!ok)
			return NULL;
	}
	return m;
}

/* ---- PathUpdate ----------------------------------------------------- */

struct shared_attrs {
	struct {
		const uint8_t *bytes;
		size_t len;
		Cend__V1__PathAttrs *m;
	} e[ATTRS_SHARED];
	size_t n, next;
};

static Cend__V1__PathAttrs *
attrs_of(struct pbarena *a, struct shared_attrs *sh, const uint8_t *buf,
	 size_t len)
{
	Cend__V1__PathAttrs *m;
	size_t i;

	for (i = 0; i < sh->n; i++)
		if (sh->e[i].len == len &&
		    memcmp(sh->e[i].bytes, buf, len) == 0)
			return sh->e[i].m;
	if ((m = dec_attrs(a, buf, len)) == NULL)
		return NULL;
	if (sh->n < ATTRS_SHARED) {
		i = sh->n++;
	} else {
		i = sh->next;
		sh->next = (sh->next + 1) % ATTRS_SHARED;
	}
	sh->e[i].bytes = buf;
	sh->e[i].len = len;
	sh->e[i].m = m;
	return m;
}

/* A PathAdd or a PathGroup: fields 1 and 2, both length-delimited, in
 * order; one a PathAttrs (field attrs_field), the other bytes. */
static bool
dec_attrs_bytes(struct pbarena *a, struct shared_attrs *sh, const uint8_t *buf,
		size_t len, uint32_t attrs_field, Cend__V1__PathAttrs **attrs,
		ProtobufCBinaryData *bytes)
{
	struct rd r = { buf, buf + len };
	uint32_t field, last = 0;
	const uint8_t *d;
	size_t dlen;
	unsigned wt;

	while (r.p < r.end) {
		if (!rd_tag(&r, &field, &wt) || field <= last || wt != WT_LEN ||
		    field > 2)
			return false;
		last = field;
		if (field == attrs_field) {
			if (!rd_len(&r, &d, &dlen) ||
			    (*attrs = attrs_of(a, sh, d, dlen)) == NULL)
				return false;
		} else if (!rd_bytes(&r, bytes)) {
			return false;
		}
	}
	return true;
}

static Cend__V1__PathAdd *
dec_add(struct pbarena *a, struct shared_attrs *sh, const uint8_t *buf,
	size_t len)
{
	Cend__V1__PathAdd *m = pbarena_alloc(a, sizeof(*m));

	if (m == NULL)
		return NULL;
	cend__v1__path_add__init(m);
	return dec_attrs_bytes(a, sh, buf, len, 2, &m->attrs, &m->prefix)
		       ? m
		       : NULL;
}

static Cend__V1__PathGroup *
dec_group(struct pbarena *a, struct shared_attrs *sh, const uint8_t *buf,
	  size_t len)
{
	Cend__V1__PathGroup *m = pbarena_alloc(a, sizeof(*m));

	if (m == NULL)
		return NULL;
	cend__v1__path_group__init(m);
	return dec_attrs_bytes(a, sh, buf, len, 1, &m->attrs, &m->prefixes)
		       ? m
		       : NULL;
}

/* Fields of a PathUpdate in order; adds (4), withdraws (5) and groups (6)
 * repeat. */
static bool
update_order_ok(uint32_t field, uint32_t last)
{
	return field > last || (field == last && field >= 4 && field <= 6);
}

static Cend__V1__PathUpdate *
dec_update(struct pbarena *a, const uint8_t *buf, size_t len)
{
	struct rd r = { buf, buf + len };
	Cend__V1__PathUpdate *m;
	struct shared_attrs sh;
	uint32_t field, last = 0;
	size_t nadds = 0, nwd = 0, ngroups = 0;
	const uint8_t *d;
	size_t dlen;
	unsigned wt;

	/* first pass: the shape, and how many adds and withdraws */
	while (r.p < r.end) {
		if (!rd_tag(&r, &field, &wt) || !update_order_ok(field, last))
			return NULL;
		last = field;
		if (field == 3) {
			uint32_t v;

			if (wt != WT_VARINT || !rd_u32(&r, &v))
				return NULL;
			continue;
		}
		if (field < 1 || field > 6 || wt != WT_LEN ||
		    !rd_len(&r, &d, &dlen))
			return NULL;
		nadds += field == 4;
		nwd += field == 5;
		ngroups += field == 6;
	}
	m = pbarena_alloc(a, sizeof(*m));
	if (m == NULL)
		return NULL;
	cend__v1__path_update__init(m);
	if (nadds > 0 &&
	    (m->adds = pbarena_alloc(a, nadds * sizeof(*m->adds))) == NULL)
		return NULL;
	if (nwd > 0 && (m->withdraws = pbarena_alloc(
				a, nwd * sizeof(*m->withdraws))) == NULL)
		return NULL;
	if (ngroups > 0 && (m->groups = pbarena_alloc(
				    a, ngroups * sizeof(*m->groups))) == NULL)
		return NULL;
	sh.n = sh.next = 0;
	r.p = buf;
	while (r.p < r.end) {
		rd_tag(&r, &field, &wt);
		switch (field) {
		case 1:
			if (!rd_string(a, &r, &m->attachment))
				return NULL;
			break;
		case 2:
			rd_bytes(&r, &m->peer);
			break;
		case 3:
			rd_u32(&r, &m->node);
			break;
		case 4:
			rd_len(&r, &d, &dlen);
			m->adds[m->n_adds] = dec_add(a, &sh, d, dlen);
			if (m->adds[m->n_adds++] == NULL)
				return NULL;
			break;
		case 5:
			rd_bytes(&r, &m->withdraws[m->n_withdraws++]);
			break;
		default:
			rd_len(&r, &d, &dlen);
			m->groups[m->n_groups] = dec_group(a, &sh, d, dlen);
			if (m->groups[m->n_groups++] == NULL)
				return NULL;
		}
	}
	return m;
}

Cend__V1__PathUpdate *
cmddec_path_update(struct pbarena *a, const uint8_t *buf, size_t len)
{
	Cend__V1__PathUpdate *m = dec_update(a, buf, len);

	return m != NULL ? m
			 : cend__v1__path_update__unpack(&a->alloc, len, buf);
}

/* ---- Command and Batch ---------------------------------------------- */

/* A Command whose only field is paths (4); NULL for any other. */
static Cend__V1__Command *
dec_command(struct pbarena *a, const uint8_t *buf, size_t len)
{
	struct rd r = { buf, buf + len };
	Cend__V1__Command *m;
	uint32_t field;
	const uint8_t *d;
	size_t dlen;
	unsigned wt;

	if (!rd_tag(&r, &field, &wt) || field != 4 || wt != WT_LEN ||
	    !rd_len(&r, &d, &dlen) || r.p != r.end)
		return NULL;
	if ((m = pbarena_alloc(a, sizeof(*m))) == NULL)
		return NULL;
	cend__v1__command__init(m);
	m->cmd_case = CEND__V1__COMMAND__CMD_PATHS;
	m->paths = dec_update(a, d, dlen);
	return m->paths != NULL ? m : NULL;
}

Cend__V1__Command *
cmddec_command(struct pbarena *a, const uint8_t *buf, size_t len)
{
	Cend__V1__Command *m = dec_command(a, buf, len);

	return m != NULL ? m : cend__v1__command__unpack(&a->alloc, len, buf);
}

Cend__V1__Batch *
cmddec_batch(struct pbarena *a, const uint8_t *buf, size_t len)
{
	struct rd r = { buf, buf + len };
	Cend__V1__Batch *m;
	uint32_t field;
	const uint8_t *d;
	size_t dlen, n = 0;
	unsigned wt;

	/* a Batch is only its commands (field 1), each decoded on its own
	 * as protobuf-c does */
	while (r.p < r.end) {
		if (!rd_tag(&r, &field, &wt) || field != 1 || wt != WT_LEN ||
		    !rd_len(&r, &d, &dlen))
			return cend__v1__batch__unpack(&a->alloc, len, buf);
		n++;
	}
	if ((m = pbarena_alloc(a, sizeof(*m))) == NULL)
		return NULL;
	cend__v1__batch__init(m);
	if (n > 0 &&
	    (m->commands = pbarena_alloc(a, n * sizeof(*m->commands))) == NULL)
		return NULL;
	r.p = buf;
	while (r.p < r.end) {
		rd_tag(&r, &field, &wt);
		rd_len(&r, &d, &dlen);
		m->commands[m->n_commands] = cmddec_command(a, d, dlen);
		if (m->commands[m->n_commands++] == NULL)
			return NULL;
	}
	return m;
}
