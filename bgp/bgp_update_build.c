/*
 * bgp_update_build.c - UPDATE building (bgp.h): announcements and
 * withdrawals packed into as few messages as the session's maximum
 * message size allows.
 *
 * The attributes are encoded exactly as the caller's interned set says;
 * policy (prepending, stripping LOCAL_PREF towards eBGP) is the caller's.
 * Order: MP_REACH_NLRI first (RFC 7606 5.1), then the others by ascending
 * type code (RFC 4271 5), the opaque ones we pass on merged in by type.
 * Towards a 2-octet speaker ASNs above 65535 become AS_TRANS, with
 * AS4_PATH and AS4_AGGREGATOR carrying the real ones (RFC 6793 4.2.2).
 * IPv4 unicast uses the message's own fields, other families MP_REACH /
 * MP_UNREACH (RFC 4760) through the per-family table.  MP attributes are
 * always written with the Extended Length bit, so their length can be
 * patched once the NLRI are in.
 */
#include <string.h>

#include "bgp/bgp.h"

#define WK    BGP_ATTR_F_TRANSITIVE
#define OPT_T (BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE)
#define OPT_N BGP_ATTR_F_OPTIONAL

#define ATTR_VALUE_MAX 65535

static const uint8_t marker[BGP_MARKER_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

static void
put_header(struct wbuf *w)
{
	wbuf_put_bytes(w, marker, sizeof(marker));
	wbuf_put_u16(w, 0); /* patched by finish */
	wbuf_put_u8(w, BGP_MSG_UPDATE);
}

/* Patches the message length; on failure cuts the message off again. */
static int
finish(struct wbuf *w, size_t off, int rc)
{
	if (rc >= 0 && w->failed)
		rc = -CEN_ENOMEM;
	if (rc < 0) {
		wbuf_truncate(w, off);
		return rc;
	}
	wbuf_set_u16(w, off + BGP_MARKER_LEN, (uint16_t)(w->len - off));
	return rc;
}

static int
put_attr_hdr(struct wbuf *w, uint8_t flags, uint8_t type, size_t len)
{
	if (len > ATTR_VALUE_MAX)
		return -CEN_ETOOBIG;
	if (len > 255) {
		wbuf_put_u8(w, flags | BGP_ATTR_F_EXTLEN);
		wbuf_put_u8(w, type);
		wbuf_put_u16(w, (uint16_t)len);
	} else {
		wbuf_put_u8(w, flags);
		wbuf_put_u8(w, type);
		wbuf_put_u8(w, (uint8_t)len);
	}
	return 0;
}

/* --- AS paths --- */

static bool
is_confed(uint32_t type)
{
	return type == ATTR_SEG_CONFED_SEQUENCE || type == ATTR_SEG_CONFED_SET;
}

/* Whether a 2-octet speaker needs AS4_PATH for this path. */
static bool
needs_as4path(const struct attr_aspath *ap)
{
	if (ap == NULL)
		return false;
	for (uint32_t i = 0; i < ap->nwords; i += 2 + ap->words[i + 1]) {
		if (is_confed(ap->words[i]))
			continue;
		for (uint32_t j = 0; j < ap->words[i + 1]; j++)
			if (ap->words[i + 2 + j] > UINT16_MAX)
				return true;
	}
	return false;
}

/* AS_PATH with ASNs of asnsize bytes (2: big ones as AS_TRANS), or
 * AS4_PATH (as4path: 4 bytes, confederation segments left out). */
static int
put_aspath(struct wbuf *w, const struct attr_aspath *ap, unsigned asnsize,
	   bool as4path)
{
	uint32_t nwords = ap != NULL ? ap->nwords : 0;
	size_t len = 0;
	int rc;

	for (uint32_t i = 0; i < nwords; i += 2 + ap->words[i + 1])
		if (!(as4path && is_confed(ap->words[i])))
			len += 2 + (size_t)ap->words[i + 1] * asnsize;
	rc = put_attr_hdr(w, as4path ? OPT_T : WK,
			  as4path ? BGP_ATTR_AS4_PATH : BGP_ATTR_AS_PATH, len);
	if (rc != 0)
		return rc;
	for (uint32_t i = 0; i < nwords; i += 2 + ap->words[i + 1]) {
		uint32_t count = ap->words[i + 1];

		if (as4path && is_confed(ap->words[i]))
			continue;
		wbuf_put_u8(w, (uint8_t)ap->words[i]);
		wbuf_put_u8(w, (uint8_t)count);
		for (uint32_t j = 0; j < count; j++) {
			uint32_t asn = ap->words[i + 2 + j];

			if (asnsize == 4)
				wbuf_put_u32(w, asn);
			else
				wbuf_put_u16(w, asn > UINT16_MAX
							? BGP_AS_TRANS
							: (uint16_t)asn);
		}
	}
	return 0;
}

/* --- the attributes we pass on raw --- */

/* Writes the opaque attributes of type below `below` (all with 256),
 * advancing b; -CEN_EINVAL if the blob is not a run of attributes. */
static int
put_opaque(struct wbuf *w, struct buf *b, unsigned below)
{
	while (buf_left(b) > 0) {
		const uint8_t *start = b->p;
		uint8_t flags, type, l8;
		uint16_t len;
		int rc;

		if (buf_left(b) >= 2 && b->p[1] >= below)
			break;
		if (buf_get_u8(b, &flags) != 0 || buf_get_u8(b, &type) != 0)
			return -CEN_EINVAL;
		if (flags & BGP_ATTR_F_EXTLEN) {
			rc = buf_get_u16(b, &len);
		} else {
			rc = buf_get_u8(b, &l8);
			len = l8;
		}
		if (rc != 0 || buf_skip(b, len) != 0)
			return -CEN_EINVAL;
		wbuf_put_bytes(w, start, (size_t)(b->p - start));
	}
	return 0;
}

/* --- all attributes but MP_REACH --- */

static void
put_u32_attr(struct wbuf *w, uint8_t flags, uint8_t type, uint32_t v)
{
	put_attr_hdr(w, flags, type, 4);
	wbuf_put_u32(w, v);
}

static int
put_u32_list(struct wbuf *w, uint8_t flags, uint8_t type,
	     const struct attr_comms *c)
{
	int rc = put_attr_hdr(w, flags, type, (size_t)c->n * 4);

	for (uint32_t i = 0; rc == 0 && i < c->n; i++)
		wbuf_put_u32(w, c->v[i]);
	return rc;
}

/*
 * Every attribute of a but MP_REACH, by type, with the opaque ones merged
 * in.  The NEXT_HOP attribute is written for the NLRI field only
 * (classic); MP families carry their next hop in MP_REACH.
 */
static int
put_attrs(struct wbuf *w, const struct bgp_opts *o, const struct attrs *a,
	  bool classic)
{
	unsigned asnsize = o->as4 ? 4 : 2;
	bool as4agg = !o->as4 && (a->flags & ATTR_F_AGGREGATOR) &&
		      a->aggregator_as > UINT16_MAX;
	struct buf ob;
	int rc;

	buf_init(&ob, a->opaque ? a->opaque->bytes : NULL,
		 a->opaque ? a->opaque->len : 0);
	if ((rc = put_opaque(w, &ob, BGP_ATTR_ORIGIN)) != 0)
		return rc;
	put_attr_hdr(w, WK, BGP_ATTR_ORIGIN, 1);
	wbuf_put_u8(w, a->origin);
	if ((rc = put_opaque(w, &ob, BGP_ATTR_AS_PATH)) != 0 ||
	    (rc = put_aspath(w, a->aspath, asnsize, false)) != 0 ||
	    (rc = put_opaque(w, &ob, BGP_ATTR_NEXT_HOP)) != 0)
		return rc;
	if (classic) {
		put_attr_hdr(w, WK, BGP_ATTR_NEXT_HOP, 4);
		wbuf_put_bytes(w, a->nexthop.addr.v4, 4);
	}
	if ((rc = put_opaque(w, &ob, BGP_ATTR_MED)) != 0)
		return rc;
	if (a->flags & ATTR_F_MED)
		put_u32_attr(w, OPT_N, BGP_ATTR_MED, a->med);
	if ((rc = put_opaque(w, &ob, BGP_ATTR_LOCAL_PREF)) != 0)
		return rc;
	if (a->flags & ATTR_F_LOCALPREF)
		put_u32_attr(w, WK, BGP_ATTR_LOCAL_PREF, a->localpref);
	if ((rc = put_opaque(w, &ob, BGP_ATTR_ATOMIC_AGGREGATE)) != 0)
		return rc;
	if (a->flags & ATTR_F_ATOMIC)
		put_attr_hdr(w, WK, BGP_ATTR_ATOMIC_AGGREGATE, 0);
	if ((rc = put_opaque(w, &ob, BGP_ATTR_AGGREGATOR)) != 0)
		return rc;
	if (a->flags & ATTR_F_AGGREGATOR) {
		put_attr_hdr(w, OPT_T, BGP_ATTR_AGGREGATOR, asnsize + 4);
		if (asnsize == 4)
			wbuf_put_u32(w, a->aggregator_as);
		else
			wbuf_put_u16(w, as4agg ? BGP_AS_TRANS
					       : (uint16_t)a->aggregator_as);
		wbuf_put_u32(w, a->aggregator_id);
	}
	if ((rc = put_opaque(w, &ob, BGP_ATTR_COMMUNITIES)) != 0)
		return rc;
	if (a->comms != NULL && a->comms->n > 0 &&
	    (rc = put_u32_list(w, OPT_T, BGP_ATTR_COMMUNITIES, a->comms)))
		return rc;
	if ((rc = put_opaque(w, &ob, BGP_ATTR_ORIGINATOR_ID)) != 0)
		return rc;
	if (a->flags & ATTR_F_ORIGINATOR)
		put_u32_attr(w, OPT_N, BGP_ATTR_ORIGINATOR_ID,
			     a->originator_id);
	if ((rc = put_opaque(w, &ob, BGP_ATTR_CLUSTER_LIST)) != 0)
		return rc;
	if (a->clusters != NULL && a->clusters->n > 0 &&
	    (rc = put_u32_list(w, OPT_N, BGP_ATTR_CLUSTER_LIST, a->clusters)))
		return rc;
	if ((rc = put_opaque(w, &ob, BGP_ATTR_AS4_PATH)) != 0)
		return rc;
	if (!o->as4 && needs_as4path(a->aspath) &&
	    (rc = put_aspath(w, a->aspath, 4, true)) != 0)
		return rc;
	if ((rc = put_opaque(w, &ob, BGP_ATTR_AS4_AGGREGATOR)) != 0)
		return rc;
	if (as4agg) {
		put_attr_hdr(w, OPT_T, BGP_ATTR_AS4_AGGREGATOR, 8);
		wbuf_put_u32(w, a->aggregator_as);
		wbuf_put_u32(w, a->aggregator_id);
	}
	if ((rc = put_opaque(w, &ob, BGP_ATTR_LARGE_COMMUNITIES)) != 0)
		return rc;
	if (a->lcomms != NULL && a->lcomms->n > 0) {
		rc = put_attr_hdr(w, OPT_T, BGP_ATTR_LARGE_COMMUNITIES,
				  (size_t)a->lcomms->n * 12);
		for (uint32_t i = 0; rc == 0 && i < a->lcomms->n; i++) {
			wbuf_put_u32(w, a->lcomms->v[i].global);
			wbuf_put_u32(w, a->lcomms->v[i].local1);
			wbuf_put_u32(w, a->lcomms->v[i].local2);
		}
		if (rc != 0)
			return rc;
	}
	return put_opaque(w, &ob, 256);
}

/* --- packing --- */

/* How many of pfx[0..n) fit in room bytes (all of family af), and their
 * size; -CEN_EINVAL for a prefix of another family. */
static int
fit(const struct bgp_afi *af, const struct prefix *pfx, size_t n, size_t room,
    size_t *bytes)
{
	size_t k, sz = 0;

	for (k = 0; k < n; k++) {
		size_t s;

		if (pfx[k].family != af->family || pfx[k].len > af->maxlen)
			return -CEN_EINVAL;
		s = af->nlri_size(&pfx[k]);
		if (sz + s > room)
			break;
		sz += s;
	}
	*bytes = sz;
	return k > (size_t)INT32_MAX ? INT32_MAX : (int)k;
}

static void
put_nlri(struct wbuf *w, const struct bgp_afi *af, const struct prefix *pfx,
	 int k)
{
	for (int i = 0; i < k; i++)
		af->nlri_put(w, &pfx[i]);
}

int
bgp_update_build_reach(struct wbuf *w, const struct bgp_opts *o, int aid,
		       const struct attrs *a, const struct prefix *ll,
		       const struct prefix *pfx, size_t n)
{
	const struct bgp_afi *af = bgp_afi_get(aid);
	size_t off = w->len, alen_at, mplen_at = 0, mark, room, bytes;
	size_t nhlen;
	int k, rc;

	if (af == NULL || (nhlen = af->nh_size(&a->nexthop, ll)) == 0)
		return -CEN_EINVAL;
	if (n == 0)
		return 0;
	put_header(w);
	wbuf_put_u16(w, 0); /* no withdrawn routes */
	alen_at = w->len;
	wbuf_put_u16(w, 0);
	if (!af->classic) {
		wbuf_put_u8(w, OPT_N | BGP_ATTR_F_EXTLEN);
		wbuf_put_u8(w, BGP_ATTR_MP_REACH);
		mplen_at = w->len;
		wbuf_put_u16(w, 0);
		wbuf_put_u16(w, af->afi);
		wbuf_put_u8(w, af->safi);
		wbuf_put_u8(w, (uint8_t)nhlen);
		af->nh_put(w, &a->nexthop, ll);
		wbuf_put_u8(w, 0); /* reserved */
	}
	/* the other attributes once to learn their size; for MP they are
	 * then written again after the NLRI */
	mark = w->len;
	if ((rc = put_attrs(w, o, a, af->classic)) != 0)
		return finish(w, off, rc);
	if (w->failed)
		return finish(w, off, -CEN_ENOMEM);
	room = w->len - off >= o->maxlen ? 0 : o->maxlen - (w->len - off);
	if ((k = fit(af, pfx, n, room, &bytes)) < 0)
		return finish(w, off, k);
	if (k == 0)
		return finish(w, off, -CEN_ETOOBIG);
	if (af->classic) {
		wbuf_set_u16(w, alen_at, (uint16_t)(w->len - alen_at - 2));
		put_nlri(w, af, pfx, k);
		return finish(w, off, k);
	}
	wbuf_truncate(w, mark);
	put_nlri(w, af, pfx, k);
	wbuf_set_u16(w, mplen_at, (uint16_t)(w->len - mplen_at - 2));
	if ((rc = put_attrs(w, o, a, false)) != 0)
		return finish(w, off, rc);
	wbuf_set_u16(w, alen_at, (uint16_t)(w->len - alen_at - 2));
	return finish(w, off, k);
}

int
bgp_update_build_withdraw(struct wbuf *w, const struct bgp_opts *o, int aid,
			  const struct prefix *pfx, size_t n)
{
	const struct bgp_afi *af = bgp_afi_get(aid);
	size_t off = w->len, len_at, room, bytes;
	int k;

	if (af == NULL)
		return -CEN_EINVAL;
	if (n == 0)
		return 0;
	put_header(w);
	if (af->classic) {
		len_at = w->len;
		wbuf_put_u16(w, 0);
		room = o->maxlen - BGP_UPDATE_MIN_LEN;
	} else {
		wbuf_put_u16(w, 0);
		wbuf_put_u16(w, 0);
		wbuf_put_u8(w, OPT_N | BGP_ATTR_F_EXTLEN);
		wbuf_put_u8(w, BGP_ATTR_MP_UNREACH);
		len_at = w->len;
		wbuf_put_u16(w, 0);
		wbuf_put_u16(w, af->afi);
		wbuf_put_u8(w, af->safi);
		room = o->maxlen - BGP_UPDATE_MIN_LEN - 7;
	}
	if ((k = fit(af, pfx, n, room, &bytes)) <= 0)
		return finish(w, off, k < 0 ? k : -CEN_ETOOBIG);
	put_nlri(w, af, pfx, k);
	wbuf_set_u16(w, len_at, (uint16_t)(w->len - len_at - 2));
	if (af->classic) {
		wbuf_put_u16(w, 0); /* no path attributes */
	} else {
		/* the path attribute length, before MP_UNREACH */
		wbuf_set_u16(w, len_at - 4,
			     (uint16_t)(w->len - (len_at - 4) - 2));
	}
	return finish(w, off, k);
}
