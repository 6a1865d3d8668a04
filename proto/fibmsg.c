/*
 * fibmsg.c - the FIB stream's messages (proto/fib.proto) to and from the
 * core types (fibmsg.h).
 *
 * Building messages is zero-copy: an entry borrows the engine's strings and
 * keeps its submessages in caller storage.  Decoding copies into fixed-size
 * structs and checks every field, since the bytes come from another process
 * or another region (STYLE.md "Errors": bad input from outside is answered
 * with an error that says what to fix, never a crash).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "proto/fibmsg.h"
#include "proto/pbwire.h"

#define VARINT_MAX 10 /* bytes of a 64-bit varint */

/* ---- prefixes ---------------------------------------------------------- */

static size_t
addr_len(uint8_t family)
{
	switch (family) {
	case PREFIX_AF_INET:
		return 4;
	case PREFIX_AF_INET6:
		return 16;
	default:
		return 0;
	}
}

void
fibmsg_prefix_to(const struct prefix *p, Cend__V1__Prefix *out)
{
	cend__v1__prefix__init(out);
	out->family = p->family;
	out->len = p->len;
	out->addr.len = addr_len(p->family);
	out->addr.data = (uint8_t *)p->addr.bytes;
}

int
fibmsg_prefix_from(const Cend__V1__Prefix *m, struct prefix *p,
		   struct cen_err *err)
{
	char have[PREFIX_STRLEN], want[PREFIX_STRLEN];
	struct prefix q, canon;
	size_t alen;
	unsigned max;

	if (m == NULL)
		return cen_errf(err, -CEN_EPROTO, "prefix missing");
	if (m->family != PREFIX_AF_INET && m->family != PREFIX_AF_INET6)
		return cen_errf(err, -CEN_EPROTO,
				"prefix.family %u invalid: use 4 (IPv4) or 6 "
				"(IPv6)",
				m->family);
	alen = addr_len((uint8_t)m->family);
	if (m->addr.len != alen || m->addr.data == NULL)
		return cen_errf(err, -CEN_EPROTO,
				"prefix.addr has %zu bytes: an IPv%u address "
				"has %zu",
				m->addr.data == NULL ? (size_t)0 : m->addr.len,
				m->family, alen);
	max = prefix_maxlen((uint8_t)m->family);
	if (m->len > max)
		return cen_errf(err, -CEN_EPROTO,
				"prefix.len %u out of range 0..%u for IPv%u",
				m->len, max, m->family);
	memset(&q, 0, sizeof(q));
	q.family = (uint8_t)m->family;
	q.len = (uint8_t)m->len;
	memcpy(q.addr.bytes, m->addr.data, alen);
	canon = q;
	prefix_canon(&canon);
	if (memcmp(canon.addr.bytes, q.addr.bytes, sizeof(q.addr)) != 0)
		return cen_errf(err, -CEN_EPROTO,
				"prefix %s has bits set past /%u: use %s",
				prefix_fmt(&q, have, sizeof(have)), q.len,
				prefix_fmt(&canon, want, sizeof(want)));
	*p = q;
	return 0;
}

/* ---- building entries --------------------------------------------------- */

/* Where one entry's submessages go. */
struct slots {
	struct prefix *prefix;
	Cend__V1__Prefix *pmsg;
	Cend__V1__NextHopGroup *group;
	Cend__V1__NextHop *nh;
	Cend__V1__NextHop **nhp;
};

/* Next hops the entry for d carries: none when withdrawn or no_route. */
static uint32_t
delta_nh_count(const struct engine_delta *d)
{
	return d->nhg != NULL ? d->nhg->n : 0;
}

static int
delta_check(const struct engine_delta *d, struct cen_err *err)
{
	if (d->region == NULL || d->region[0] == '\0')
		return cen_errf(err, -CEN_EINVAL, "region missing");
	if (d->table == NULL || d->table[0] == '\0')
		return cen_errf(err, -CEN_EINVAL, "table missing");
	if (addr_len(d->prefix.family) == 0)
		return cen_errf(err, -CEN_EINVAL,
				"prefix family %u invalid: use 4 or 6",
				d->prefix.family);
	if (delta_nh_count(d) > FIBMSG_NH_MAX)
		return cen_errf(err, -CEN_ETOOBIG,
				"%u next hops: a FIB entry carries at most %d",
				delta_nh_count(d), FIBMSG_NH_MAX);
	return 0;
}

static void
entry_fill(const struct engine_delta *d, Cend__V1__FibEntry *out,
	   const struct slots *s)
{
	const struct engine_nhg *g = d->nhg;

	cend__v1__fib_entry__init(out);
	out->region = (char *)d->region;
	out->table = (char *)d->table;
	out->view = (char *)(d->view != NULL ? d->view : "");
	*s->prefix = d->prefix;
	fibmsg_prefix_to(s->prefix, s->pmsg);
	out->prefix = s->pmsg;
	if (g == NULL || g->n == 0) {
		/* An empty group forwards nothing: for a view that is "no
		 * route here", for a table the same as no entry. */
		if (g != NULL && d->view != NULL && d->view[0] != '\0')
			out->no_route = true;
		else
			out->withdrawn = true;
		return;
	}
	cend__v1__next_hop_group__init(s->group);
	for (uint32_t i = 0; i < g->n; i++) {
		Cend__V1__NextHop *nh = &s->nh[i];

		cend__v1__next_hop__init(nh);
		nh->kind = (Cend__V1__NextHopKind)g->nh[i].kind;
		nh->id = (char *)(g->nh[i].id != NULL ? g->nh[i].id : "");
		nh->weight = g->nh[i].weight;
		s->nhp[i] = nh;
	}
	s->group->n_next_hops = g->n;
	s->group->next_hops = s->nhp;
	out->group = s->group;
}

int
fibmsg_entry_from_delta(const struct engine_delta *d, Cend__V1__FibEntry *out,
			struct fibmsg_entry_buf *buf, struct cen_err *err)
{
	struct slots s = { .prefix = &buf->prefix,
			   .pmsg = &buf->pmsg,
			   .group = &buf->group,
			   .nh = buf->nh,
			   .nhp = buf->nhp };
	int rc;

	if ((rc = delta_check(d, err)) != 0)
		return rc;
	entry_fill(d, out, &s);
	return 0;
}

/* ---- encoding entries directly ------------------------------------------ */

/* Field keys of FibEntry, Prefix, NextHopGroup and NextHop (fib.proto). */
#define K_ENTRY_REGION	  0x0a /* 1, bytes */
#define K_ENTRY_TABLE	  0x12 /* 2, bytes */
#define K_ENTRY_VIEW	  0x1a /* 3, bytes */
#define K_ENTRY_PREFIX	  0x22 /* 4, bytes */
#define K_ENTRY_GROUP	  0x2a /* 5, bytes */
#define K_ENTRY_WITHDRAWN 0x30 /* 6, varint */
#define K_ENTRY_NO_ROUTE  0x38 /* 7, varint */
#define K_PREFIX_FAMILY	  0x08
#define K_PREFIX_LEN	  0x10
#define K_PREFIX_ADDR	  0x1a
#define K_GROUP_NH	  0x0a
#define K_NH_KIND	  0x08
#define K_NH_ID		  0x12
#define K_NH_WEIGHT	  0x18

/* A string or bytes field; proto3 leaves an empty one out. */
static size_t
lsize(size_t len)
{
	return len > 0 ? 1 + pbwire_vsize(len) + len : 0;
}

static uint8_t *
lput(uint8_t *w, uint8_t key, const void *data, size_t len)
{
	if (len == 0)
		return w;
	*w++ = key;
	w = pbwire_vput(w, len);
	memcpy(w, data, len);
	return w + len;
}

/* A varint field; left out when 0. */
static size_t
isize(uint64_t v)
{
	return v != 0 ? 1 + pbwire_vsize(v) : 0;
}

static uint8_t *
iput(uint8_t *w, uint8_t key, uint64_t v)
{
	if (v == 0)
		return w;
	*w++ = key;
	return pbwire_vput(w, v);
}

static size_t
nh_size(const struct engine_nh *nh)
{
	return isize(nh->kind) + lsize(nh->id != NULL ? strlen(nh->id) : 0) +
	       isize(nh->weight);
}

int
fibmsg_entry_encode(const struct engine_delta *d, uint8_t *buf, size_t size,
		    size_t *len, struct cen_err *err)
{
	const struct engine_nhg *g = d->nhg;
	size_t rl, tl, vl, al, plen, glen = 0, n;
	bool group, no_route = false, withdrawn = false;
	uint8_t *w = buf;
	int rc;

	if ((rc = delta_check(d, err)) != 0)
		return rc;
	rl = strlen(d->region);
	tl = strlen(d->table);
	vl = d->view != NULL ? strlen(d->view) : 0;
	al = addr_len(d->prefix.family);
	/* as entry_fill: an empty group is a view's no_route, else a
	 * withdrawal */
	group = g != NULL && g->n > 0;
	if (!group) {
		if (g != NULL && vl > 0)
			no_route = true;
		else
			withdrawn = true;
	}
	plen = isize(d->prefix.family) + isize(d->prefix.len) + lsize(al);
	if (group)
		for (uint32_t i = 0; i < g->n; i++) {
			size_t k = nh_size(&g->nh[i]);

			glen += 1 + pbwire_vsize(k) + k;
		}
	/* a submessage is written even when empty */
	n = lsize(rl) + lsize(tl) + lsize(vl) + 1 + pbwire_vsize(plen) + plen +
	    (group ? 1 + pbwire_vsize(glen) + glen : 0) + (withdrawn ? 2 : 0) +
	    (no_route ? 2 : 0);
	*len = n;
	if (n > size)
		return cen_errf(err, -CEN_ETOOBIG,
				"a FIB entry of %zu bytes does not fit in %zu",
				n, size);
	w = lput(w, K_ENTRY_REGION, d->region, rl);
	w = lput(w, K_ENTRY_TABLE, d->table, tl);
	w = lput(w, K_ENTRY_VIEW, d->view, vl);
	*w++ = K_ENTRY_PREFIX;
	w = pbwire_vput(w, plen);
	w = iput(w, K_PREFIX_FAMILY, d->prefix.family);
	w = iput(w, K_PREFIX_LEN, d->prefix.len);
	w = lput(w, K_PREFIX_ADDR, d->prefix.addr.bytes, al);
	if (group) {
		*w++ = K_ENTRY_GROUP;
		w = pbwire_vput(w, glen);
		for (uint32_t i = 0; i < g->n; i++) {
			const struct engine_nh *nh = &g->nh[i];

			*w++ = K_GROUP_NH;
			w = pbwire_vput(w, nh_size(nh));
			w = iput(w, K_NH_KIND, nh->kind);
			w = lput(w, K_NH_ID, nh->id,
				 nh->id != NULL ? strlen(nh->id) : 0);
			w = iput(w, K_NH_WEIGHT, nh->weight);
		}
	}
	w = iput(w, K_ENTRY_WITHDRAWN, withdrawn);
	w = iput(w, K_ENTRY_NO_ROUTE, no_route);
	return 0;
}

void
fibmsg_entry_to(const struct fibmsg_entry *e, Cend__V1__FibEntry *out,
		struct fibmsg_entry_buf *buf)
{
	cend__v1__fib_entry__init(out);
	out->region = (char *)e->region;
	out->table = (char *)e->table;
	out->view = (char *)e->view;
	buf->prefix = e->prefix;
	fibmsg_prefix_to(&buf->prefix, &buf->pmsg);
	out->prefix = &buf->pmsg;
	out->withdrawn = e->withdrawn;
	out->no_route = e->no_route;
	if (e->n == 0)
		return;
	cend__v1__next_hop_group__init(&buf->group);
	for (uint32_t i = 0; i < e->n && i < FIBMSG_NH_MAX; i++) {
		Cend__V1__NextHop *nh = &buf->nh[i];

		cend__v1__next_hop__init(nh);
		nh->kind = (Cend__V1__NextHopKind)e->nh[i].kind;
		nh->id = (char *)e->nh[i].id;
		nh->weight = e->nh[i].weight;
		buf->nhp[i] = nh;
	}
	buf->group.n_next_hops = e->n < FIBMSG_NH_MAX ? e->n : FIBMSG_NH_MAX;
	buf->group.next_hops = buf->nhp;
	out->group = &buf->group;
}

/* ---- decoding entries --------------------------------------------------- */

/* A string from the wire, fit for an error message: at most 40 characters,
 * anything unprintable as \xNN. */
static const char *
show(const char *s, char *buf, size_t size)
{
	size_t used = 0, i;

	for (i = 0; s[i] != '\0' && i < 40 && used + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			buf[used++] = (char)c;
		else
			used += (size_t)snprintf(buf + used, size - used,
						 "\\x%02x", c);
	}
	if (s[i] != '\0' && used + 4 <= size) {
		memcpy(buf + used, "...", 3);
		used += 3;
	}
	buf[used] = '\0';
	return buf;
}

/* Copies ID s (NULL is "") into dst after checking it; field names it in
 * messages. */
static int
get_id(const char *field, const char *s, bool required, char *dst,
       struct cen_err *err)
{
	char shown[256];
	size_t len;

	if (s == NULL)
		s = "";
	len = strlen(s);
	if (len == 0) {
		if (required)
			return cen_errf(err, -CEN_EPROTO, "%s missing", field);
		dst[0] = '\0';
		return 0;
	}
	if (len >= FIBMSG_ID_MAX)
		return cen_errf(err, -CEN_EPROTO,
				"%s \"%s\" is %zu bytes long: at most %d",
				field, show(s, shown, sizeof(shown)), len,
				FIBMSG_ID_MAX - 1);
	if (!model_id_valid(s))
		return cen_errf(err, -CEN_EPROTO,
				"%s \"%s\" invalid: use 1..%d characters of "
				"A-Z a-z 0-9 . _ -, starting with a letter or "
				"digit",
				field, show(s, shown, sizeof(shown)),
				FIBMSG_ID_MAX - 1);
	memcpy(dst, s, len + 1);
	return 0;
}

static const char *
kind_str(uint8_t kind)
{
	switch (kind) {
	case ENGINE_NH_ATTACHMENT:
		return "ATTACHMENT";
	case ENGINE_NH_REGION:
		return "REGION";
	case ENGINE_NH_BLACKHOLE:
		return "BLACKHOLE";
	default:
		return "UNSPECIFIED";
	}
}

static int
nh_decode(const Cend__V1__NextHop *m, size_t i, struct fibmsg_nh *out,
	  struct cen_err *err)
{
	char field[32], shown[256];
	int rc;

	snprintf(field, sizeof(field), "next_hops[%zu].id", i);
	if (m == NULL)
		return cen_errf(err, -CEN_EPROTO, "next_hops[%zu] missing", i);
	switch (m->kind) {
	case CEND__V1__NEXT_HOP_KIND__NEXT_HOP_KIND_ATTACHMENT:
	case CEND__V1__NEXT_HOP_KIND__NEXT_HOP_KIND_REGION:
		if ((rc = get_id(field, m->id, true, out->id, err)) != 0)
			return rc;
		break;
	case CEND__V1__NEXT_HOP_KIND__NEXT_HOP_KIND_BLACKHOLE:
		if (m->id != NULL && m->id[0] != '\0')
			return cen_errf(err, -CEN_EPROTO,
					"%s \"%s\" given for a BLACKHOLE next "
					"hop: leave it empty",
					field,
					show(m->id, shown, sizeof(shown)));
		out->id[0] = '\0';
		break;
	default:
		return cen_errf(err, -CEN_EPROTO,
				"next_hops[%zu].kind %d invalid: use "
				"ATTACHMENT, REGION or BLACKHOLE",
				i, (int)m->kind);
	}
	out->kind = (uint8_t)m->kind;
	if (m->weight < 1 || m->weight > 255)
		return cen_errf(err, -CEN_EPROTO,
				"next_hops[%zu].weight %u out of range 1..255",
				i, m->weight);
	out->weight = (uint8_t)m->weight;
	return 0;
}

int
fibmsg_entry_decode(const Cend__V1__FibEntry *m, struct fibmsg_entry *out,
		    struct cen_err *err)
{
	size_t nnh;
	int rc;

	memset(out, 0, sizeof(*out));
	if (m == NULL)
		return cen_errf(err, -CEN_EPROTO, "entry missing");
	if ((rc = get_id("region", m->region, true, out->region, err)) != 0 ||
	    (rc = get_id("table", m->table, true, out->table, err)) != 0 ||
	    (rc = get_id("view", m->view, false, out->view, err)) != 0)
		return rc;
	if ((rc = fibmsg_prefix_from(m->prefix, &out->prefix, err)) != 0)
		return rc;
	nnh = m->group != NULL ? m->group->n_next_hops : 0;
	if (m->withdrawn && m->no_route)
		return cen_errf(err, -CEN_EPROTO,
				"withdrawn and no_route both set: an entry is "
				"one or the other");
	if (m->no_route && out->view[0] == '\0')
		return cen_errf(err, -CEN_EPROTO,
				"no_route set without a view: only an "
				"attachment's view can have no route");
	if (m->withdrawn || m->no_route) {
		if (nnh > 0)
			return cen_errf(
				err, -CEN_EPROTO,
				"%zu next_hops in a %s entry: it has "
				"none",
				nnh, m->withdrawn ? "withdrawn" : "no_route");
		out->withdrawn = m->withdrawn;
		out->no_route = m->no_route;
		return 0;
	}
	if (nnh == 0)
		return cen_errf(err, -CEN_EPROTO,
				"next_hops missing: an entry that is neither "
				"withdrawn nor no_route has 1..%d",
				FIBMSG_NH_MAX);
	if (nnh > FIBMSG_NH_MAX)
		return cen_errf(err, -CEN_EPROTO, "%zu next_hops: at most %d",
				nnh, FIBMSG_NH_MAX);
	for (size_t i = 0; i < nnh; i++) {
		struct fibmsg_nh *nh = &out->nh[i];

		rc = nh_decode(m->group->next_hops[i], i, nh, err);
		if (rc != 0)
			return rc;
		for (size_t k = 0; k < i; k++)
			if (out->nh[k].kind == nh->kind &&
			    strcmp(out->nh[k].id, nh->id) == 0)
				return cen_errf(err, -CEN_EPROTO,
						"next_hops[%zu] repeats "
						"next_hops[%zu] (%s %s)",
						i, k, kind_str(nh->kind),
						nh->id);
	}
	out->n = (uint32_t)nnh;
	return 0;
}

/* ---- batches ------------------------------------------------------------ */

/* Carves arrays out of one allocation: the first pass (base NULL) sizes it,
 * the second hands out pointers. */
struct carve {
	char *base;
	size_t off;
};

static void *
carve(struct carve *c, size_t n, size_t size)
{
	const size_t align = _Alignof(max_align_t);
	void *p;

	c->off = (c->off + align - 1) & ~(align - 1);
	p = c->base != NULL ? c->base + c->off : NULL;
	c->off += n * size;
	return p;
}

int
fibmsg_batch_build(struct fibmsg_batch *b, const struct engine_delta *d,
		   size_t n, struct cen_err *err)
{
	Cend__V1__FibEntry *msgs;
	struct slots all;
	struct carve c;
	size_t total = 0;
	int rc;

	memset(b, 0, sizeof(*b));
	/* Bounded per entry (1 KB at 16 next hops), so n is what matters. */
	if (n > SIZE_MAX / 4096)
		return cen_errf(err, -CEN_ETOOBIG, "%zu entries in one batch",
				n);
	for (size_t i = 0; i < n; i++) {
		if ((rc = delta_check(&d[i], err)) != 0) {
			cen_err_prefix(err, "entries[%zu]: ", i);
			return rc;
		}
		total += delta_nh_count(&d[i]);
	}
	for (int pass = 0; pass < 2; pass++) {
		c.base = pass == 0 ? NULL : b->mem;
		c.off = 0;
		b->entries = carve(&c, n, sizeof(*b->entries));
		msgs = carve(&c, n, sizeof(*msgs));
		all.prefix = carve(&c, n, sizeof(*all.prefix));
		all.pmsg = carve(&c, n, sizeof(*all.pmsg));
		all.group = carve(&c, n, sizeof(*all.group));
		all.nh = carve(&c, total, sizeof(*all.nh));
		all.nhp = carve(&c, total, sizeof(*all.nhp));
		if (pass == 0 && (b->mem = malloc(c.off + 1)) == NULL)
			return cen_errf(err, -CEN_ENOMEM,
					"FIB batch of %zu entries", n);
	}
	total = 0;
	for (size_t i = 0; i < n; i++) {
		struct slots s = { .prefix = &all.prefix[i],
				   .pmsg = &all.pmsg[i],
				   .group = &all.group[i],
				   .nh = &all.nh[total],
				   .nhp = &all.nhp[total] };

		entry_fill(&d[i], &msgs[i], &s);
		b->entries[i] = &msgs[i];
		total += delta_nh_count(&d[i]);
	}
	b->n = n;
	return 0;
}

void
fibmsg_batch_free(struct fibmsg_batch *b)
{
	free(b->mem);
	memset(b, 0, sizeof(*b));
}

/* ---- deltas as bytes ---------------------------------------------------- */

static size_t
varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	do {
		uint8_t byte = v & 0x7f;

		v >>= 7;
		if (p != NULL)
			p[n] = byte | (v != 0 ? 0x80 : 0);
		n++;
	} while (v != 0);
	return n;
}

/* Reads a varint; returns its length in bytes, or 0 if it is cut short or
 * longer than 64 bits. */
static size_t
varint_get(const uint8_t *p, size_t len, uint64_t *v)
{
	uint64_t x = 0;

	for (size_t i = 0; i < len && i < VARINT_MAX; i++) {
		if (i == VARINT_MAX - 1 && p[i] > 1)
			return 0;
		x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if ((p[i] & 0x80) == 0) {
			*v = x;
			return i + 1;
		}
	}
	return 0;
}

int
fibmsg_delta_pack(uint64_t version, const struct engine_delta *entries,
		  size_t n, uint8_t **buf, size_t *len, struct cen_err *err)
{
	Cend__V1__FibDelta m = CEND__V1__FIB_DELTA__INIT;
	struct fibmsg_batch b;
	size_t mlen, hlen;
	uint8_t *p;
	int rc;

	*buf = NULL;
	*len = 0;
	if (version == 0)
		return cen_errf(err, -CEN_EINVAL,
				"FibDelta version 0: versions start at 1");
	if ((rc = fibmsg_batch_build(&b, entries, n, err)) != 0)
		return rc;
	m.version = version;
	m.n_entries = b.n;
	m.entries = b.entries;
	mlen = cend__v1__fib_delta__get_packed_size(&m);
	hlen = varint_put(NULL, mlen);
	if ((p = malloc(hlen + mlen)) == NULL) {
		fibmsg_batch_free(&b);
		return cen_errf(err, -CEN_ENOMEM, "FibDelta of %zu bytes",
				hlen + mlen);
	}
	varint_put(p, mlen);
	if (cend__v1__fib_delta__pack(&m, p + hlen) != mlen) {
		fprintf(stderr, "fibmsg_delta_pack: packed size changed\n");
		abort();
	}
	fibmsg_batch_free(&b);
	*buf = p;
	*len = hlen + mlen;
	return 0;
}

/* protobuf-c answers NULL both for bad input and for a failed allocation;
 * this allocator tells them apart. */
static void *
unpack_alloc(void *data, size_t size)
{
	void *p = malloc(size);

	if (p == NULL)
		*(bool *)data = true;
	return p;
}

static void
unpack_free(void *data, void *p)
{
	free(p);
}

int
fibmsg_delta_unpack(const uint8_t *buf, size_t len, Cend__V1__FibDelta **out,
		    struct cen_err *err)
{
	bool nomem = false;
	ProtobufCAllocator a = { .alloc = unpack_alloc,
				 .free = unpack_free,
				 .allocator_data = &nomem };
	Cend__V1__FibDelta *m;
	uint64_t mlen;
	size_t hlen;

	*out = NULL;
	if (buf == NULL || (hlen = varint_get(buf, len, &mlen)) == 0)
		return cen_errf(err, -CEN_EPROTO,
				"FibDelta: length prefix cut short or "
				"malformed (%zu bytes in all)",
				len);
	if (mlen != len - hlen)
		return cen_errf(err, -CEN_EPROTO,
				"FibDelta: length prefix says %llu bytes, %zu "
				"follow",
				(unsigned long long)mlen, len - hlen);
	m = cend__v1__fib_delta__unpack(&a, (size_t)mlen, buf + hlen);
	if (m == NULL) {
		if (nomem)
			return cen_errf(err, -CEN_ENOMEM,
					"FibDelta of %zu bytes", len);
		return cen_errf(err, -CEN_EPROTO,
				"FibDelta: %zu bytes are not a valid "
				"protobuf FibDelta",
				(size_t)mlen);
	}
	if (m->version == 0) {
		fibmsg_delta_free(m);
		return cen_errf(err, -CEN_EPROTO,
				"FibDelta: version 0: versions start at 1");
	}
	*out = m;
	return 0;
}

void
fibmsg_delta_free(Cend__V1__FibDelta *m)
{
	if (m != NULL)
		cend__v1__fib_delta__free_unpacked(m, NULL);
}
