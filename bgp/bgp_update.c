/*
 * bgp_update.c - UPDATE parsing with RFC 7606 error handling (bgp.h).
 *
 * An UPDATE is carved up front into its withdrawn routes, path attributes
 * and NLRI sub-buffers (RFC 4271 4.3); the two NLRI runs are validated
 * before any attribute is read, so that treat-as-withdraw always knows
 * what to withdraw.  Each attribute is then cut into its own sub-buffer
 * and handed to the parser of its type (a table indexed by type code),
 * after the checks every attribute shares: duplicates (RFC 7606 3 g),
 * unknown well-known types (RFC 4271 6.3), Optional/Transitive flags (RFC
 * 7606 3 c).  Every error, of whatever kind, goes to upd_error, which
 * alone decides its action from the rule table below (RFC 7606 sections 3
 * to 7, RFC 6793 6, RFC 9012 13, RFC 8092 6) and keeps the strongest.
 *
 * Nothing is allocated per prefix: NLRI stay in the message and are
 * decoded by the caller with bgp_afi_iter_*.  Attributes are collected as
 * views of the message and decoded and interned only when something is
 * announced, once per UPDATE (the set once per announced family, since
 * the next hop is part of it).  On a 2-octet session AS4_PATH and
 * AS4_AGGREGATOR are merged in (RFC 6793 4.2.3).
 */
#include <stdlib.h>
#include <string.h>

#include "bgp/bgp.h"

#define WK	  BGP_ATTR_F_TRANSITIVE				/* well-known */
#define OPT_T	  (BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE) /* optional */
#define OPT_N	  BGP_ATTR_F_OPTIONAL /* optional non-transitive */
#define FLAG_BITS (BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE)

#define SEG_MAX 255

/* --- the rules --- */

enum {
	D_NONE,
	D_ATTR,
	D_TYPE
}; /* what the NOTIFICATION data holds */

struct uerr_rule {
	uint8_t action; /* enum bgp_action; see upd_error for the two
			 * that depend on the message or the session */
	uint8_t code, subcode;
	uint8_t data;
	const char *str;
};

#define R(kind, act, sub, data, str)                                           \
	[BGP_UERR_##kind] = { BGP_ACT_##act, BGP_ERR_UPDATE, sub, data, str }
#define H(kind, sub, data, str)                                                \
	[BGP_UERR_##kind] = { BGP_ACT_RESET, BGP_ERR_HEADER, sub, data, str }
#define Q(kind, act, str) [BGP_UERR_##kind] = { BGP_ACT_##act, 0, 0, 0, str }

static const struct uerr_rule rules[BGP_UERR_MAX_] = {
	[BGP_UERR_NONE] = { BGP_ACT_NONE, 0, 0, D_NONE, "no error" },
	H(HDR_MARKER, BGP_ERR_HDR_SYNC, D_NONE, "marker is not all ones"),
	H(HDR_LENGTH, BGP_ERR_HDR_LEN, D_ATTR, "bad message length"),
	H(HDR_TYPE, BGP_ERR_HDR_TYPE, D_ATTR, "not an UPDATE"),
	/* RFC 4271 6.3, RFC 7606 3 d: the fields cannot be located */
	R(WITHDRAWN_LENGTH, RESET, BGP_ERR_UPD_ATTR_LIST, D_NONE,
	  "withdrawn routes length overruns the message"),
	R(ATTRS_LENGTH, RESET, BGP_ERR_UPD_ATTR_LIST, D_NONE,
	  "path attribute length overruns the message"),
	/* RFC 7606 3 j, 5.3: unparsable NLRI */
	R(WITHDRAWN_PREFIX, RESET, BGP_ERR_UPD_NETWORK, D_NONE,
	  "bad prefix in withdrawn routes"),
	R(NLRI_PREFIX, RESET, BGP_ERR_UPD_NETWORK, D_NONE,
	  "bad prefix in NLRI"),
	/* RFC 7606 4: treat-as-withdraw if the NLRI can be located */
	R(ATTR_SHORT, WITHDRAW, BGP_ERR_UPD_ATTR_LIST, D_NONE,
	  "attribute header cut short"),
	R(ATTR_OVERRUN, WITHDRAW, BGP_ERR_UPD_LENGTH, D_ATTR,
	  "attribute length overruns the path attributes"),
	R(ATTR_FLAGS, WITHDRAW, BGP_ERR_UPD_FLAGS, D_ATTR,
	  "attribute flags conflict with the type"), /* 7606 3 c */
	R(WELLKNOWN, RESET, BGP_ERR_UPD_WELLKNOWN, D_ATTR,
	  "unrecognized well-known attribute"), /* 4271 6.3 */
	R(DUPLICATE, DISCARD, BGP_ERR_UPD_ATTR_LIST, D_NONE,
	  "attribute repeated"), /* 7606 3 g */
	R(MP_DUPLICATE, RESET, BGP_ERR_UPD_ATTR_LIST, D_NONE,
	  "MP_REACH_NLRI or MP_UNREACH_NLRI repeated"),
	/* RFC 7606 7.1 to 7.10 */
	R(ORIGIN_LENGTH, WITHDRAW, BGP_ERR_UPD_LENGTH, D_ATTR,
	  "ORIGIN length is not 1"),
	R(ORIGIN_VALUE, WITHDRAW, BGP_ERR_UPD_ORIGIN, D_ATTR,
	  "ORIGIN value undefined"),
	R(ASPATH, WITHDRAW, BGP_ERR_UPD_ASPATH, D_NONE,
	  "AS_PATH segment overruns the attribute, is empty or of an "
	  "unknown type"),
	R(ASPATH_CONFED, WITHDRAW, BGP_ERR_UPD_ASPATH, D_NONE,
	  "AS_PATH confederation segment from an external peer"),
	R(ASPATH_FIRST_AS, WITHDRAW, BGP_ERR_UPD_ASPATH, D_NONE,
	  "leftmost AS of AS_PATH is not the peer's"),
	R(NEXTHOP_LENGTH, WITHDRAW, BGP_ERR_UPD_LENGTH, D_ATTR,
	  "NEXT_HOP length is not 4"),
	R(NEXTHOP_INVALID, WITHDRAW, BGP_ERR_UPD_NEXTHOP, D_ATTR,
	  "NEXT_HOP is not a unicast address"),
	R(MED_LENGTH, WITHDRAW, BGP_ERR_UPD_LENGTH, D_ATTR,
	  "MULTI_EXIT_DISC length is not 4"),
	R(LOCALPREF_LENGTH, WITHDRAW, BGP_ERR_UPD_LENGTH, D_ATTR,
	  "LOCAL_PREF length is not 4"),
	Q(LOCALPREF_EBGP, DISCARD, "LOCAL_PREF from an external peer"),
	R(ATOMIC_LENGTH, DISCARD, BGP_ERR_UPD_LENGTH, D_ATTR,
	  "ATOMIC_AGGREGATE length is not 0"),
	R(AGGREGATOR_LENGTH, DISCARD, BGP_ERR_UPD_LENGTH, D_ATTR,
	  "AGGREGATOR length is not 6 (8 with 4-octet AS)"),
	R(COMMUNITIES_LENGTH, WITHDRAW, BGP_ERR_UPD_LENGTH, D_ATTR,
	  "COMMUNITIES length is not a non-zero multiple of 4"),
	R(ORIGINATOR_LENGTH, WITHDRAW, BGP_ERR_UPD_LENGTH, D_ATTR,
	  "ORIGINATOR_ID length is not 4"),
	Q(ORIGINATOR_EBGP, DISCARD, "ORIGINATOR_ID from an external peer"),
	R(CLUSTER_LENGTH, WITHDRAW, BGP_ERR_UPD_LENGTH, D_ATTR,
	  "CLUSTER_LIST length is not a non-zero multiple of 4"),
	Q(CLUSTER_EBGP, DISCARD, "CLUSTER_LIST from an external peer"),
	/* RFC 7606 7.11, RFC 4760 7: session reset or AFI/SAFI disable */
	R(MP_MALFORMED, RESET, BGP_ERR_UPD_OPTIONAL, D_ATTR,
	  "MP_REACH_NLRI or MP_UNREACH_NLRI cut short"),
	R(MP_NEXTHOP_LENGTH, RESET, BGP_ERR_UPD_OPTIONAL, D_ATTR,
	  "MP_REACH_NLRI next hop length wrong for the address family"),
	R(MP_PREFIX, RESET, BGP_ERR_UPD_OPTIONAL, D_ATTR,
	  "bad prefix in MP_REACH_NLRI or MP_UNREACH_NLRI"),
	R(MP_NEXTHOP_INVALID, WITHDRAW, BGP_ERR_UPD_NEXTHOP, D_ATTR,
	  "MP_REACH_NLRI next hop is not a unicast address"),
	R(EXTCOMM_LENGTH, WITHDRAW, BGP_ERR_UPD_LENGTH, D_ATTR,
	  "EXTENDED_COMMUNITIES length is not a non-zero multiple of 8"),
	/* RFC 6793 6 */
	R(AS4PATH, DISCARD, BGP_ERR_UPD_OPTIONAL, D_ATTR, "AS4_PATH malformed"),
	R(AS4AGGREGATOR_LENGTH, DISCARD, BGP_ERR_UPD_LENGTH, D_ATTR,
	  "AS4_AGGREGATOR length is not 8"),
	Q(AS4_UNEXPECTED, DISCARD,
	  "AS4_PATH or AS4_AGGREGATOR on a 4-octet AS session"),
	R(TUNNEL_ENCAP, WITHDRAW, BGP_ERR_UPD_OPTIONAL, D_ATTR,
	  "Tunnel Encapsulation TLVs overrun"), /* RFC 9012 13 */
	R(LCOMM_LENGTH, WITHDRAW, BGP_ERR_UPD_LENGTH, D_ATTR,
	  "LARGE_COMMUNITY length is not a non-zero multiple of 12"),
	/* RFC 7606 3 d */
	R(MISSING_ORIGIN, WITHDRAW, BGP_ERR_UPD_MISSING, D_TYPE,
	  "ORIGIN missing"),
	R(MISSING_ASPATH, WITHDRAW, BGP_ERR_UPD_MISSING, D_TYPE,
	  "AS_PATH missing"),
	R(MISSING_NEXTHOP, WITHDRAW, BGP_ERR_UPD_MISSING, D_TYPE,
	  "NEXT_HOP missing"),
};

#undef R
#undef H
#undef Q

/* --- the parse state --- */

#define SCRATCH_STACK 4096
#define SCRATCH_HEAP  8

/* Per-message scratch: a stack arena, then malloc, freed whole. */
struct scratch {
	size_t used;
	unsigned nheap;
	void *heap[SCRATCH_HEAP];
	uint64_t stack[SCRATCH_STACK / 8];
};

/* An attribute as found: flags, type, the whole attribute (for
 * NOTIFICATION data) and its value. */
struct view {
	uint8_t flags, type;
	const uint8_t *raw;
	size_t rawlen;
	struct buf val;
};

/* An attribute kept raw (attrs->opaque). */
struct opq {
	uint8_t flags, type;
	const uint8_t *p;
	uint16_t len;
};

struct upd {
	const struct bgp_opts *o;
	struct bgp_update *u;
	struct bgp_update_err *e;
	uint8_t seen[32];
	unsigned nattrs;
	bool withdraw; /* some error called for treat-as-withdraw */

	/* the classic fields, validated */
	struct bgp_nlri wd4, nlri4;

	/* attributes, as views into the message */
	struct attrs a;
	struct buf aspath, as4path, comms, lcomms, clusters;
	bool have_aspath, have_as4path, have_comms, have_lcomms, have_clusters;
	uint32_t aspath_hops, as4path_hops;
	uint32_t agg_as, agg_id, as4agg_as, as4agg_id;
	bool have_agg, have_as4agg;
	struct prefix nexthop;
	bool have_nexthop;

	/* MP_REACH / MP_UNREACH, when of a negotiated family */
	struct bgp_reach mpr;
	struct bgp_nlri mpu;
	bool have_mpr, have_mpu;

	unsigned nopq;
	struct opq opq[256]; /* last: not cleared */
};

static void *
scratch_alloc(struct scratch *s, size_t n)
{
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (n <= sizeof(s->stack) - s->used) {
		p = (uint8_t *)s->stack + s->used;
		s->used += n;
		return p;
	}
	if (s->nheap == SCRATCH_HEAP || (p = malloc(n)) == NULL)
		return NULL;
	s->heap[s->nheap++] = p;
	return p;
}

static void
scratch_free(struct scratch *s)
{
	for (unsigned i = 0; i < s->nheap; i++)
		free(s->heap[i]);
	s->nheap = 0;
	s->used = 0;
}

static uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint32_t
get_asn(const uint8_t *p, unsigned asnsize)
{
	return asnsize == 4 ? get_u32(p) : (uint32_t)(p[0] << 8 | p[1]);
}

/* NLRI can still be located when the attributes cannot be parsed to the
 * end (RFC 7606 4 and 5.1): if the classic fields carry some, or an
 * MP_REACH / MP_UNREACH (first, as 5.1 wants it) was already found. */
static bool
nlri_located(const struct upd *c)
{
	return c->wd4.len > 0 || c->nlri4.len > 0 || c->have_mpr || c->have_mpu;
}

/*
 * The one place that decides what an error does to the UPDATE.  The rule
 * table gives the action; two depend on more than the error: an attribute
 * stream that breaks off is treat-as-withdraw only if the NLRI can still
 * be located (else reset), and a malformed MP attribute is AFI/SAFI
 * disable instead of reset when the session allows it and the family is
 * known (one family per message; a second one resets).  The strongest
 * action wins; the NOTIFICATION is that of its first error.  Returns the
 * action of this error, for the caller to stop parsing (reset) or drop the
 * attribute (everything else).
 */
static enum bgp_action
upd_error(struct upd *c, enum bgp_uerr kind, uint8_t type, const uint8_t *raw,
	  size_t rawlen, int aid)
{
	const struct uerr_rule *r = &rules[kind];
	struct bgp_update_err *e = c->e;
	enum bgp_action act = r->action;

	switch (kind) {
	case BGP_UERR_ATTR_SHORT:
	case BGP_UERR_ATTR_OVERRUN:
		if (!nlri_located(c))
			act = BGP_ACT_RESET;
		break;
	case BGP_UERR_MP_MALFORMED:
	case BGP_UERR_MP_NEXTHOP_LENGTH:
	case BGP_UERR_MP_PREFIX:
		if (c->o->afi_disable && aid >= 0 &&
		    (e->action != BGP_ACT_AFI_DISABLE || e->aid == aid))
			act = BGP_ACT_AFI_DISABLE;
		break;
	default:
		break;
	}
	if (act == BGP_ACT_WITHDRAW)
		c->withdraw = true;
	if (e->nerrors < UINT16_MAX)
		e->nerrors++;
	if (act == BGP_ACT_DISCARD && e->ndiscarded < UINT16_MAX)
		e->ndiscarded++;
	if (act <= e->action)
		return act;
	e->action = (uint8_t)act;
	e->kind = (uint8_t)kind;
	e->attr = type;
	e->aid = aid >= 0 ? (uint8_t)aid : 0;
	memset(&e->notify, 0, sizeof(e->notify));
	e->notify.code = r->code;
	e->notify.subcode = r->subcode;
	if (r->data == D_ATTR && raw != NULL) {
		e->notify.data = raw;
		e->notify.datalen =
			(uint16_t)(rawlen > UINT16_MAX ? UINT16_MAX : rawlen);
	} else if (r->data == D_TYPE) {
		e->notify.inl[0] = type;
		e->notify.datalen = 1;
	}
	return act;
}

static enum bgp_action
attr_error(struct upd *c, enum bgp_uerr kind, const struct view *v)
{
	return upd_error(c, kind, v->type, v->raw, v->rawlen, -1);
}

/* --- AS paths --- */

/* Walks an AS_PATH-like value (RFC 4271 4.3, RFC 7606 7.2): segments of
 * a known type, 1..255 ASNs each, exactly filling the value.  Counts hops
 * (RFC 4271 9.1.2.2: a set counts one, confederation segments none) and
 * words (attr.h's encoding); *confed says whether any confederation
 * segment was seen. */
static int
aspath_walk(struct buf b, unsigned asnsize, uint32_t *hops, uint32_t *words,
	    bool *confed)
{
	*hops = 0;
	*words = 0;
	*confed = false;
	while (buf_left(&b) > 0) {
		uint8_t type, count;

		if (buf_get_u8(&b, &type) != 0 || buf_get_u8(&b, &count) != 0)
			return -CEN_EPARSE;
		if (type < ATTR_SEG_SET || type > ATTR_SEG_CONFED_SET ||
		    count == 0 || buf_skip(&b, (size_t)count * asnsize) != 0)
			return -CEN_EPARSE;
		if (type == ATTR_SEG_SEQUENCE)
			*hops += count;
		else if (type == ATTR_SEG_SET)
			*hops += 1;
		else
			*confed = true;
		*words += 2 + count;
	}
	return 0;
}

/* Decodes a walked path into words; returns how many. */
static uint32_t
aspath_decode(struct buf b, unsigned asnsize, uint32_t *out)
{
	uint32_t w = 0;

	while (buf_left(&b) >= 2) {
		uint8_t type = b.p[0], count = b.p[1];

		out[w++] = type;
		out[w++] = count;
		buf_skip(&b, 2);
		for (unsigned i = 0; i < count; i++) {
			out[w++] = get_asn(b.p, asnsize);
			buf_skip(&b, asnsize);
		}
	}
	return w;
}

/*
 * RFC 6793 4.2.3: the path of a 2-octet speaker is the leading part of
 * AS_PATH (as many hops as it has more than AS4_PATH; a set and
 * confederation segments are taken whole) followed by AS4_PATH.  Adjacent
 * AS_SEQUENCE segments at the seam are joined while they fit one segment,
 * so the result matches what a 4-octet speaker would have sent.  out has
 * room for na + nb words.
 */
static uint32_t
aspath_merge(const uint32_t *a, uint32_t na, uint32_t hops_a, const uint32_t *b,
	     uint32_t nb, uint32_t hops_b, uint32_t *out)
{
	uint32_t need = hops_a - hops_b, w = 0, last = UINT32_MAX, i, j;

	for (i = 0; i < na; i += 2 + a[i + 1]) {
		uint32_t type = a[i], count = a[i + 1], take;
		bool confed = type == ATTR_SEG_CONFED_SEQUENCE ||
			      type == ATTR_SEG_CONFED_SET;

		if (need == 0 && !confed)
			break;
		take = count;
		if (type == ATTR_SEG_SEQUENCE && count > need)
			take = need;
		if (type == ATTR_SEG_SEQUENCE)
			need -= take;
		else if (type == ATTR_SEG_SET)
			need--;
		last = type == ATTR_SEG_SEQUENCE ? w : UINT32_MAX;
		out[w++] = type;
		out[w++] = take;
		memcpy(out + w, a + i + 2, take * sizeof(uint32_t));
		w += take;
	}
	j = 0;
	if (last != UINT32_MAX && nb > 0 && b[0] == ATTR_SEG_SEQUENCE &&
	    out[last + 1] + b[1] <= SEG_MAX) {
		memcpy(out + w, b + 2, b[1] * sizeof(uint32_t));
		out[last + 1] += b[1];
		w += b[1];
		j = 2 + b[1];
	}
	memcpy(out + w, b + j, (nb - j) * sizeof(uint32_t));
	return w + nb - j;
}

/* --- attribute parsers, by type --- */

static void
attr_origin(struct upd *c, struct view *v)
{
	if (buf_left(&v->val) != 1) {
		attr_error(c, BGP_UERR_ORIGIN_LENGTH, v);
		return;
	}
	if (v->val.p[0] > ATTR_ORIGIN_INCOMPLETE) {
		attr_error(c, BGP_UERR_ORIGIN_VALUE, v);
		return;
	}
	c->a.origin = v->val.p[0];
}

static void
attr_aspath(struct upd *c, struct view *v)
{
	uint32_t words;
	bool confed;

	if (aspath_walk(v->val, c->o->as4 ? 4 : 2, &c->aspath_hops, &words,
			&confed) != 0) {
		attr_error(c, BGP_UERR_ASPATH, v);
		return;
	}
	if (confed && c->o->ebgp) { /* RFC 5065 5, RFC 7606 7.2 */
		attr_error(c, BGP_UERR_ASPATH_CONFED, v);
		return;
	}
	c->aspath = v->val;
	c->have_aspath = true;
}

static void
attr_nexthop(struct upd *c, struct view *v)
{
	const struct bgp_afi *af = bgp_afi_get(BGP_AID_IPV4);
	struct prefix ll;

	if (af->nh_get(v->val.p, buf_left(&v->val), &c->nexthop, &ll) != 0) {
		attr_error(c, BGP_UERR_NEXTHOP_LENGTH, v);
		return;
	}
	/* RFC 7606 7.3: a semantically wrong next hop makes its routes
	 * unusable; it only matters if the NLRI field uses it */
	if (c->nlri4.count > 0 && !af->nh_valid(&c->nexthop)) {
		attr_error(c, BGP_UERR_NEXTHOP_INVALID, v);
		return;
	}
	c->have_nexthop = true;
}

/* A 4-byte value into *out, or the error kind. */
static bool
attr_u32(struct upd *c, struct view *v, enum bgp_uerr kind, uint32_t *out)
{
	if (buf_get_u32(&v->val, out) != 0 || buf_left(&v->val) != 0) {
		attr_error(c, kind, v);
		return false;
	}
	return true;
}

static void
attr_med(struct upd *c, struct view *v)
{
	if (attr_u32(c, v, BGP_UERR_MED_LENGTH, &c->a.med))
		c->a.flags |= ATTR_F_MED;
}

static void
attr_localpref(struct upd *c, struct view *v)
{
	if (c->o->ebgp) { /* RFC 4271 5.1.5, RFC 7606 7.5 */
		attr_error(c, BGP_UERR_LOCALPREF_EBGP, v);
		return;
	}
	if (attr_u32(c, v, BGP_UERR_LOCALPREF_LENGTH, &c->a.localpref))
		c->a.flags |= ATTR_F_LOCALPREF;
}

static void
attr_atomic(struct upd *c, struct view *v)
{
	if (buf_left(&v->val) != 0) {
		attr_error(c, BGP_UERR_ATOMIC_LENGTH, v);
		return;
	}
	c->a.flags |= ATTR_F_ATOMIC;
}

static void
attr_aggregator(struct upd *c, struct view *v)
{
	unsigned asnsize = c->o->as4 ? 4 : 2;

	if (buf_left(&v->val) != asnsize + 4) {
		attr_error(c, BGP_UERR_AGGREGATOR_LENGTH, v);
		return;
	}
	c->agg_as = get_asn(v->val.p, asnsize);
	c->agg_id = get_u32(v->val.p + asnsize);
	c->have_agg = true;
}

static void
attr_communities(struct upd *c, struct view *v)
{
	size_t n = buf_left(&v->val);

	if (n == 0 || n % 4 != 0) {
		attr_error(c, BGP_UERR_COMMUNITIES_LENGTH, v);
		return;
	}
	c->comms = v->val;
	c->have_comms = true;
}

static void
attr_originator(struct upd *c, struct view *v)
{
	if (c->o->ebgp) { /* RFC 4456 8, RFC 7606 7.9 */
		attr_error(c, BGP_UERR_ORIGINATOR_EBGP, v);
		return;
	}
	if (attr_u32(c, v, BGP_UERR_ORIGINATOR_LENGTH, &c->a.originator_id))
		c->a.flags |= ATTR_F_ORIGINATOR;
}

static void
attr_cluster(struct upd *c, struct view *v)
{
	size_t n = buf_left(&v->val);

	if (c->o->ebgp) {
		attr_error(c, BGP_UERR_CLUSTER_EBGP, v);
		return;
	}
	if (n == 0 || n % 4 != 0) {
		attr_error(c, BGP_UERR_CLUSTER_LENGTH, v);
		return;
	}
	c->clusters = v->val;
	c->have_clusters = true;
}

/* AFI and SAFI of an MP attribute: the codec, or NULL when the family is
 * unknown or not negotiated (the attribute is then skipped whole) or the
 * value is too short (an error). */
static const struct bgp_afi *
mp_family(struct upd *c, struct view *v)
{
	uint16_t afi;
	uint8_t safi;
	int aid;

	if (buf_get_u16(&v->val, &afi) != 0 ||
	    buf_get_u8(&v->val, &safi) != 0) {
		attr_error(c, BGP_UERR_MP_MALFORMED, v);
		return NULL;
	}
	aid = bgp_afi_find(afi, safi);
	if (aid < 0 || !(c->o->aids & BGP_AID_BIT(aid))) {
		c->u->skipped |= aid < 0 ? 0x80 : BGP_AID_BIT(aid);
		return NULL;
	}
	return bgp_afi_get(aid);
}

static enum bgp_action
mp_error(struct upd *c, enum bgp_uerr kind, const struct view *v, int aid)
{
	return upd_error(c, kind, v->type, v->raw, v->rawlen, aid);
}

/* MP_REACH_NLRI (RFC 4760 3): AFI, SAFI, next hop length and next hop,
 * a reserved byte, NLRI. */
static void
attr_mp_reach(struct upd *c, struct view *v)
{
	const struct bgp_afi *af;
	uint8_t nhlen, reserved;
	struct buf nh;

	if ((af = mp_family(c, v)) == NULL)
		return;
	if (buf_get_u8(&v->val, &nhlen) != 0 ||
	    buf_get_sub(&v->val, nhlen, &nh) != 0 ||
	    buf_get_u8(&v->val, &reserved) != 0) {
		mp_error(c, BGP_UERR_MP_MALFORMED, v, af->aid);
		return;
	}
	if (af->nh_get(nh.p, nh.len, &c->mpr.nexthop, &c->mpr.nexthop_ll)) {
		mp_error(c, BGP_UERR_MP_NEXTHOP_LENGTH, v, af->aid);
		return;
	}
	if (af->nlri_check(v->val.p, v->val.len, &c->mpr.nlri.count) != 0) {
		mp_error(c, BGP_UERR_MP_PREFIX, v, af->aid);
		return;
	}
	c->mpr.nlri.data = v->val.p;
	c->mpr.nlri.len = (uint32_t)v->val.len;
	c->mpr.nlri.aid = af->aid;
	c->have_mpr = true;
	if (c->mpr.nlri.count > 0 && !af->nh_valid(&c->mpr.nexthop))
		mp_error(c, BGP_UERR_MP_NEXTHOP_INVALID, v, af->aid);
}

/* MP_UNREACH_NLRI (RFC 4760 4): AFI, SAFI, withdrawn NLRI. */
static void
attr_mp_unreach(struct upd *c, struct view *v)
{
	const struct bgp_afi *af;

	if ((af = mp_family(c, v)) == NULL)
		return;
	if (af->nlri_check(v->val.p, v->val.len, &c->mpu.count) != 0) {
		mp_error(c, BGP_UERR_MP_PREFIX, v, af->aid);
		return;
	}
	c->mpu.data = v->val.p;
	c->mpu.len = (uint32_t)v->val.len;
	c->mpu.aid = af->aid;
	c->have_mpu = true;
}

/* Keeps an optional transitive attribute raw, for attrs->opaque. */
static void
keep_opaque(struct upd *c, const struct view *v, uint8_t flags)
{
	struct opq *q = &c->opq[c->nopq++];

	q->flags = flags;
	q->type = v->type;
	q->p = v->val.p;
	q->len = (uint16_t)v->val.len;
}

static void
attr_extcomm(struct upd *c, struct view *v)
{
	size_t n = buf_left(&v->val);

	if (n == 0 || n % 8 != 0) { /* RFC 7606 7.14 */
		attr_error(c, BGP_UERR_EXTCOMM_LENGTH, v);
		return;
	}
	keep_opaque(c, v, v->flags);
}

static void
attr_as4path(struct upd *c, struct view *v)
{
	uint32_t words;
	bool confed;

	/* RFC 6793 6: malformed, or holding confederation segments (which
	 * it must not, 4.2.2), it is discarded */
	if (aspath_walk(v->val, 4, &c->as4path_hops, &words, &confed) != 0 ||
	    confed) {
		attr_error(c, BGP_UERR_AS4PATH, v);
		return;
	}
	c->as4path = v->val;
	c->have_as4path = true;
}

static void
attr_as4aggregator(struct upd *c, struct view *v)
{
	if (buf_left(&v->val) != 8) {
		attr_error(c, BGP_UERR_AS4AGGREGATOR_LENGTH, v);
		return;
	}
	c->as4agg_as = get_u32(v->val.p);
	c->as4agg_id = get_u32(v->val.p + 4);
	c->have_as4agg = true;
}

/* RFC 9012 2: a sequence of TLVs (type and length of two bytes each), each
 * value a sequence of sub-TLVs (type of one byte; length of one byte for
 * types below 128, two bytes from 128), each ending exactly where its
 * container does.  Malformed is treat-as-withdraw (RFC 9012 13).  We do not
 * use it: valid, it is passed on as received. */
static void
attr_tunnel(struct upd *c, struct view *v)
{
	struct buf b = v->val;

	while (buf_left(&b) > 0) {
		uint16_t ttype, tlen;
		struct buf tlv;

		if (buf_get_u16(&b, &ttype) != 0 ||
		    buf_get_u16(&b, &tlen) != 0 ||
		    buf_get_sub(&b, tlen, &tlv) != 0)
			goto bad;
		while (buf_left(&tlv) > 0) {
			uint8_t stype, l8;
			uint16_t slen;
			int rc;

			if (buf_get_u8(&tlv, &stype) != 0)
				goto bad;
			if (stype < 128) {
				rc = buf_get_u8(&tlv, &l8);
				slen = l8;
			} else {
				rc = buf_get_u16(&tlv, &slen);
			}
			if (rc != 0 || buf_skip(&tlv, slen) != 0)
				goto bad;
		}
	}
	keep_opaque(c, v, v->flags);
	return;
bad:
	attr_error(c, BGP_UERR_TUNNEL_ENCAP, v);
}

static void
attr_lcomm(struct upd *c, struct view *v)
{
	size_t n = buf_left(&v->val);

	if (n == 0 || n % 12 != 0) { /* RFC 8092 6 */
		attr_error(c, BGP_UERR_LCOMM_LENGTH, v);
		return;
	}
	c->lcomms = v->val;
	c->have_lcomms = true;
}

struct attr_rule {
	uint8_t flags; /* the Optional and Transitive bits it must have */
	void (*parse)(struct upd *c, struct view *v);
};

static const struct attr_rule attr_rules[256] = {
	[BGP_ATTR_ORIGIN] = { WK, attr_origin },
	[BGP_ATTR_AS_PATH] = { WK, attr_aspath },
	[BGP_ATTR_NEXT_HOP] = { WK, attr_nexthop },
	[BGP_ATTR_MED] = { OPT_N, attr_med },
	[BGP_ATTR_LOCAL_PREF] = { WK, attr_localpref },
	[BGP_ATTR_ATOMIC_AGGREGATE] = { WK, attr_atomic },
	[BGP_ATTR_AGGREGATOR] = { OPT_T, attr_aggregator },
	[BGP_ATTR_COMMUNITIES] = { OPT_T, attr_communities },
	[BGP_ATTR_ORIGINATOR_ID] = { OPT_N, attr_originator },
	[BGP_ATTR_CLUSTER_LIST] = { OPT_N, attr_cluster },
	[BGP_ATTR_MP_REACH] = { OPT_N, attr_mp_reach },
	[BGP_ATTR_MP_UNREACH] = { OPT_N, attr_mp_unreach },
	[BGP_ATTR_EXT_COMMUNITIES] = { OPT_T, attr_extcomm },
	[BGP_ATTR_AS4_PATH] = { OPT_T, attr_as4path },
	[BGP_ATTR_AS4_AGGREGATOR] = { OPT_T, attr_as4aggregator },
	[BGP_ATTR_TUNNEL_ENCAP] = { OPT_T, attr_tunnel },
	[BGP_ATTR_LARGE_COMMUNITIES] = { OPT_T, attr_lcomm },
};

/* The checks every attribute shares, then its own parser. */
static void
parse_attr(struct upd *c, struct view *v)
{
	const struct attr_rule *r = &attr_rules[v->type];
	bool mp =
		v->type == BGP_ATTR_MP_REACH || v->type == BGP_ATTR_MP_UNREACH;

	if (c->seen[v->type / 8] & (1u << (v->type % 8))) {
		attr_error(c, mp ? BGP_UERR_MP_DUPLICATE : BGP_UERR_DUPLICATE,
			   v);
		return;
	}
	c->seen[v->type / 8] |= (uint8_t)(1u << (v->type % 8));
	c->nattrs++;
	if (r->parse == NULL) {
		/* RFC 4271 5 and 6.3: unknown well-known is an error; an
		 * unknown optional transitive one is passed on with Partial
		 * set; an unknown optional non-transitive one dropped */
		if (!(v->flags & BGP_ATTR_F_OPTIONAL))
			attr_error(c, BGP_UERR_WELLKNOWN, v);
		else if (v->flags & BGP_ATTR_F_TRANSITIVE)
			keep_opaque(c, v, v->flags | BGP_ATTR_F_PARTIAL);
		return;
	}
	/* RFC 6793 4.1: between 4-octet speakers these are ignored */
	if (c->o->as4 && (v->type == BGP_ATTR_AS4_PATH ||
			  v->type == BGP_ATTR_AS4_AGGREGATOR)) {
		attr_error(c, BGP_UERR_AS4_UNEXPECTED, v);
		return;
	}
	if ((v->flags & FLAG_BITS) != r->flags) {
		attr_error(c, BGP_UERR_ATTR_FLAGS, v);
		/* the NLRI of MP attributes are still needed, to withdraw */
		if (!mp)
			return;
	}
	r->parse(c, v);
}

/* Walks the path attributes field; stops at a reset. */
static void
parse_attrs(struct upd *c, struct buf b)
{
	while (buf_left(&b) > 0 && c->e->action != BGP_ACT_RESET) {
		const uint8_t *start = b.p;
		size_t left = buf_left(&b);
		struct view v;
		uint16_t alen;
		uint8_t l8;

		/* RFC 7606 4: fewer than 3 (4 with Extended Length) bytes
		 * left, or an attribute running past the field: nothing
		 * after it can be trusted */
		if (left < 3 || (left < 4 && (start[0] & BGP_ATTR_F_EXTLEN))) {
			upd_error(c, BGP_UERR_ATTR_SHORT, 0, start, left, -1);
			return;
		}
		buf_get_u8(&b, &v.flags);
		buf_get_u8(&b, &v.type);
		if (v.flags & BGP_ATTR_F_EXTLEN) {
			buf_get_u16(&b, &alen);
		} else {
			buf_get_u8(&b, &l8);
			alen = l8;
		}
		if (buf_get_sub(&b, alen, &v.val) != 0) {
			upd_error(c, BGP_UERR_ATTR_OVERRUN, v.type, start, left,
				  -1);
			return;
		}
		v.raw = start;
		v.rawlen = (size_t)(b.p - start);
		parse_attr(c, &v);
	}
}

/* --- from views to interned attributes --- */

static void
put_parts_unref(struct attr_store *st, struct attrs *a)
{
	attr_aspath_unref(st, a->aspath);
	attr_comms_unref(st, a->comms);
	attr_lcomms_unref(st, a->lcomms);
	attr_comms_unref(st, a->clusters);
	attr_opaque_unref(st, a->opaque);
	a->aspath = NULL;
	a->comms = a->clusters = NULL;
	a->lcomms = NULL;
	a->opaque = NULL;
}

static const struct attr_comms *
intern_u32s(struct attr_store *st, struct scratch *s, struct buf b,
	    bool ordered, bool *fail)
{
	uint32_t n = (uint32_t)(b.len / 4), *v;
	const struct attr_comms *cm;

	if ((v = scratch_alloc(s, (size_t)n * 4)) == NULL) {
		*fail = true;
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++)
		v[i] = get_u32(b.p + 4 * (size_t)i);
	cm = ordered ? attr_clusters_intern(st, v, n)
		     : attr_comms_intern(st, v, n);
	if (cm == NULL)
		*fail = true;
	return cm;
}

static const struct attr_lcomms *
intern_lcomms(struct attr_store *st, struct scratch *s, struct buf b,
	      bool *fail)
{
	uint32_t n = (uint32_t)(b.len / 12);
	const struct attr_lcomms *lc;
	struct attr_lcomm *v;

	if ((v = scratch_alloc(s, (size_t)n * sizeof(*v))) == NULL) {
		*fail = true;
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		v[i].global = get_u32(b.p + 12 * (size_t)i);
		v[i].local1 = get_u32(b.p + 12 * (size_t)i + 4);
		v[i].local2 = get_u32(b.p + 12 * (size_t)i + 8);
	}
	if ((lc = attr_lcomms_intern(st, v, n)) == NULL)
		*fail = true;
	return lc;
}

/* The kept attributes, in type order, each re-encoded canonically
 * (Extended Length only when needed, unused flag bits cleared). */
static const struct attr_opaque *
intern_opaque(struct upd *c, struct attr_store *st, struct scratch *s,
	      bool *fail)
{
	const struct attr_opaque *op;
	size_t total = 0, w = 0;
	uint8_t *out;

	for (unsigned i = 1; i < c->nopq; i++) { /* few, nearly sorted */
		struct opq q = c->opq[i];
		unsigned j = i;

		for (; j > 0 && c->opq[j - 1].type > q.type; j--)
			c->opq[j] = c->opq[j - 1];
		c->opq[j] = q;
	}
	for (unsigned i = 0; i < c->nopq; i++)
		total += (c->opq[i].len > 255 ? 4 : 3) + (size_t)c->opq[i].len;
	if ((out = scratch_alloc(s, total)) == NULL) {
		*fail = true;
		return NULL;
	}
	for (unsigned i = 0; i < c->nopq; i++) {
		const struct opq *q = &c->opq[i];
		uint8_t flags = q->flags & (FLAG_BITS | BGP_ATTR_F_PARTIAL);

		if (q->len > 255) {
			out[w++] = flags | BGP_ATTR_F_EXTLEN;
			out[w++] = q->type;
			out[w++] = (uint8_t)(q->len >> 8);
		} else {
			out[w++] = flags;
			out[w++] = q->type;
		}
		out[w++] = (uint8_t)q->len;
		memcpy(out + w, q->p, q->len);
		w += q->len;
	}
	if ((op = attr_opaque_intern(st, out, (uint32_t)w)) == NULL)
		*fail = true;
	return op;
}

/* The AS path words, merged with AS4_PATH on a 2-octet session; NULL
 * *words when there is no AS_PATH. */
static int
build_aspath(struct upd *c, struct scratch *s, uint32_t **out, uint32_t *n)
{
	unsigned asnsize = c->o->as4 ? 4 : 2;
	uint32_t hops, na, nb, *a, *b, *m;
	bool confed;

	*out = NULL;
	*n = 0;
	if (!c->have_aspath)
		return 0;
	aspath_walk(c->aspath, asnsize, &hops, &na, &confed);
	if ((a = scratch_alloc(s, (size_t)na * 4 + 4)) == NULL)
		return -CEN_ENOMEM;
	na = aspath_decode(c->aspath, asnsize, a);
	*out = a;
	*n = na;
	if (!c->have_as4path || c->aspath_hops < c->as4path_hops)
		return 0; /* RFC 6793 4.2.3: AS4_PATH longer: ignored */
	aspath_walk(c->as4path, 4, &hops, &nb, &confed);
	b = scratch_alloc(s, (size_t)nb * 4 + 4);
	m = scratch_alloc(s, ((size_t)na + nb) * 4 + 4);
	if (b == NULL || m == NULL)
		return -CEN_ENOMEM;
	nb = aspath_decode(c->as4path, 4, b);
	*out = m;
	*n = aspath_merge(a, na, c->aspath_hops, b, nb, c->as4path_hops, m);
	return 0;
}

/* Interns the parts and one set per announced family. */
static int
intern_all(struct upd *c, struct attr_store *st)
{
	struct bgp_update *u = c->u;
	struct scratch sc, *s = &sc;
	uint32_t *words, nwords;
	bool fail = false;
	int rc = 0;

	s->used = 0;
	s->nheap = 0;

	/* RFC 6793 4.2.3: on a 2-octet session, an AGGREGATOR that is not
	 * AS_TRANS means AS4_AGGREGATOR and AS4_PATH are stale */
	if (!c->o->as4 && c->have_agg && c->agg_as != BGP_AS_TRANS) {
		c->have_as4agg = false;
		c->have_as4path = false;
	}
	if (c->have_agg) {
		c->a.flags |= ATTR_F_AGGREGATOR;
		c->a.aggregator_as = c->agg_as;
		c->a.aggregator_id = c->agg_id;
		if (!c->o->as4 && c->have_as4agg) {
			c->a.aggregator_as = c->as4agg_as;
			c->a.aggregator_id = c->as4agg_id;
		}
	}
	if (build_aspath(c, s, &words, &nwords) != 0) {
		rc = -CEN_ENOMEM;
		goto out;
	}
	if (nwords > 0 && attr_aspath_check(words, nwords) == 0 &&
	    (c->a.aspath = attr_aspath_intern(st, words, nwords)) == NULL)
		fail = true;
	if (c->have_comms)
		c->a.comms = intern_u32s(st, s, c->comms, false, &fail);
	if (c->have_clusters)
		c->a.clusters = intern_u32s(st, s, c->clusters, true, &fail);
	if (c->have_lcomms)
		c->a.lcomms = intern_lcomms(st, s, c->lcomms, &fail);
	if (c->nopq > 0)
		c->a.opaque = intern_opaque(c, st, s, &fail);
	for (unsigned i = 0; !fail && i < u->nreach; i++) {
		c->a.nexthop = u->reach[i].nexthop;
		u->reach[i].attrs = attr_intern(st, &c->a);
		if (u->reach[i].attrs == NULL)
			fail = true;
	}
	if (fail)
		rc = -CEN_ENOMEM;
out:
	put_parts_unref(st, &c->a);
	scratch_free(s);
	return rc;
}

/* --- the message --- */

static void
add_withdrawn(struct bgp_update *u, const struct bgp_nlri *n)
{
	if (n->count > 0 && u->nwithdrawn < BGP_UPD_WITHDRAWN_MAX)
		u->withdrawn[u->nwithdrawn++] = *n;
}

/* Carves the message: header, withdrawn routes, attributes, NLRI.  Returns
 * false on a reset. */
static bool
carve(struct upd *c, const uint8_t *msg, size_t len, struct buf *attrs)
{
	static const uint8_t ones[BGP_MARKER_LEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	const struct bgp_afi *af = bgp_afi_get(BGP_AID_IPV4);
	uint16_t mlen, wdlen, alen;
	struct buf b, wd;

	if (len < BGP_HDR_LEN) {
		upd_error(c, BGP_UERR_HDR_LENGTH, 0, NULL, 0, -1);
		return false;
	}
	if (memcmp(msg, ones, sizeof(ones)) != 0) {
		upd_error(c, BGP_UERR_HDR_MARKER, 0, NULL, 0, -1);
		return false;
	}
	mlen = (uint16_t)(msg[16] << 8 | msg[17]);
	if (mlen != len || mlen < BGP_UPDATE_MIN_LEN || mlen > c->o->maxlen) {
		upd_error(c, BGP_UERR_HDR_LENGTH, 0, msg + 16, 2, -1);
		return false;
	}
	if (msg[18] != BGP_MSG_UPDATE) {
		upd_error(c, BGP_UERR_HDR_TYPE, 0, msg + 18, 1, -1);
		return false;
	}
	buf_init(&b, msg + BGP_HDR_LEN, len - BGP_HDR_LEN);
	if (buf_get_u16(&b, &wdlen) != 0 || buf_get_sub(&b, wdlen, &wd)) {
		upd_error(c, BGP_UERR_WITHDRAWN_LENGTH, 0, NULL, 0, -1);
		return false;
	}
	if (buf_get_u16(&b, &alen) != 0 || buf_get_sub(&b, alen, attrs)) {
		upd_error(c, BGP_UERR_ATTRS_LENGTH, 0, NULL, 0, -1);
		return false;
	}
	c->wd4.data = wd.p;
	c->wd4.len = (uint32_t)wd.len;
	c->wd4.aid = af->aid;
	c->nlri4.data = b.p;
	c->nlri4.len = (uint32_t)b.len;
	c->nlri4.aid = af->aid;
	if (af->nlri_check(wd.p, wd.len, &c->wd4.count) != 0) {
		upd_error(c, BGP_UERR_WITHDRAWN_PREFIX, 0, NULL, 0, -1);
		return false;
	}
	if (af->nlri_check(b.p, b.len, &c->nlri4.count) != 0) {
		upd_error(c, BGP_UERR_NLRI_PREFIX, 0, NULL, 0, -1);
		return false;
	}
	return true;
}

/* After the attributes: mandatory attributes (RFC 7606 3 d) and the first
 * AS (RFC 4271 6.3), for messages that announce something. */
static void
check_reach(struct upd *c)
{
	static const struct {
		uint8_t type;
		uint8_t kind;
	} mandatory[] = {
		{ BGP_ATTR_ORIGIN, BGP_UERR_MISSING_ORIGIN },
		{ BGP_ATTR_AS_PATH, BGP_UERR_MISSING_ASPATH },
		{ BGP_ATTR_NEXT_HOP, BGP_UERR_MISSING_NEXTHOP },
	};

	for (unsigned i = 0; i < sizeof(mandatory) / sizeof(mandatory[0]);
	     i++) {
		uint8_t t = mandatory[i].type;

		/* NEXT_HOP only for the NLRI field (RFC 4760 3) */
		if (t == BGP_ATTR_NEXT_HOP && c->nlri4.count == 0)
			continue;
		if (!(c->seen[t / 8] & (1u << (t % 8))))
			upd_error(c, mandatory[i].kind, t, NULL, 0, -1);
	}
	if (c->o->ebgp && c->o->enforce_first_as && c->have_aspath) {
		struct buf b = c->aspath;
		unsigned asnsize = c->o->as4 ? 4 : 2;
		uint32_t first = 0;

		if (buf_left(&b) >= 2 + asnsize && b.p[0] == ATTR_SEG_SEQUENCE)
			first = get_asn(b.p + 2, asnsize);
		if (first != c->o->peer_as)
			upd_error(c, BGP_UERR_ASPATH_FIRST_AS, BGP_ATTR_AS_PATH,
				  NULL, 0, -1);
	}
}

/* Drops the runs of a disabled family. */
static void
drop_family(struct bgp_update *u, uint8_t aid)
{
	uint8_t n = 0;

	for (uint8_t i = 0; i < u->nwithdrawn; i++)
		if (u->withdrawn[i].aid != aid)
			u->withdrawn[n++] = u->withdrawn[i];
	u->nwithdrawn = n;
	n = 0;
	for (uint8_t i = 0; i < u->nreach; i++)
		if (u->reach[i].nlri.aid != aid)
			u->reach[n++] = u->reach[i];
	u->nreach = n;
}

int
bgp_update_parse(const uint8_t *msg, size_t len, const struct bgp_opts *o,
		 struct attr_store *st, struct bgp_update *u)
{
	struct upd cstack, *c = &cstack;
	struct buf attrs;
	int rc;

	memset(u, 0, sizeof(*u));
	memset(c, 0, offsetof(struct upd, opq));
	c->o = o;
	c->u = u;
	c->e = &u->err;
	attr_init(&c->a);

	if (!carve(c, msg, len, &attrs))
		return 0;
	parse_attrs(c, attrs);
	if (u->err.action == BGP_ACT_RESET)
		return 0;

	add_withdrawn(u, &c->wd4);
	if (c->have_mpu)
		add_withdrawn(u, &c->mpu);
	if (c->nlri4.count > 0) {
		struct bgp_reach *r = &u->reach[u->nreach++];

		memset(r, 0, sizeof(*r));
		r->nlri = c->nlri4;
		r->nexthop = c->nexthop;
	}
	if (c->have_mpr && c->mpr.nlri.count > 0)
		u->reach[u->nreach++] = c->mpr;
	if (u->nreach > 0)
		check_reach(c);
	if (u->err.action == BGP_ACT_RESET) {
		u->nwithdrawn = u->nreach = 0;
		return 0;
	}

	/* End-of-RIB (RFC 4724 2): an empty UPDATE, or one holding only an
	 * empty MP_UNREACH */
	if (u->err.action == BGP_ACT_NONE && u->nwithdrawn == 0 &&
	    u->nreach == 0) {
		if (len == BGP_UPDATE_MIN_LEN) {
			u->eor = true;
			u->eor_aid = BGP_AID_IPV4;
		} else if (c->nattrs == 1 && c->have_mpu && c->nlri4.len == 0 &&
			   c->wd4.len == 0) {
			u->eor = true;
			u->eor_aid = c->mpu.aid;
		}
	}

	if (u->err.action == BGP_ACT_AFI_DISABLE)
		drop_family(u, u->err.aid);
	if (c->withdraw) {
		for (uint8_t i = 0; i < u->nreach; i++)
			add_withdrawn(u, &u->reach[i].nlri);
		memset(u->reach, 0, sizeof(u->reach));
		u->nreach = 0;
	}
	if (u->nreach == 0)
		return 0;
	rc = intern_all(c, st);
	if (rc != 0) {
		bgp_update_free(st, u);
		memset(u, 0, sizeof(*u));
	}
	return rc;
}

void
bgp_update_free(struct attr_store *st, struct bgp_update *u)
{
	for (uint8_t i = 0; i < u->nreach; i++) {
		attr_unref(st, u->reach[i].attrs);
		u->reach[i].attrs = NULL;
	}
	u->nreach = 0;
}

const char *
bgp_update_err_str(int kind)
{
	if (kind < 0 || kind >= BGP_UERR_MAX_ || rules[kind].str == NULL)
		return "unknown error";
	return rules[kind].str;
}

const char *
bgp_update_action_str(int action)
{
	static const char *const names[] = {
		[BGP_ACT_NONE] = "none",
		[BGP_ACT_DISCARD] = "attribute-discard",
		[BGP_ACT_WITHDRAW] = "treat-as-withdraw",
		[BGP_ACT_AFI_DISABLE] = "afi-safi-disable",
		[BGP_ACT_RESET] = "session-reset",
	};

	if (action < 0 || action > BGP_ACT_RESET)
		return "unknown";
	return names[action];
}
