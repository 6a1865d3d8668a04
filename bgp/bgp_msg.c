/*
 * bgp_msg.c - BGP message framing and the small messages (bgp.h): the
 * header, OPEN with its optional parameters and capabilities, KEEPALIVE,
 * NOTIFICATION, ROUTE-REFRESH and End-of-RIB markers.
 *
 * RFC 4271 4.1-4.5 and 6.1-6.2 (header and OPEN checks, and the
 * NOTIFICATION each failure earns), RFC 5492 (capabilities; a malformed
 * recognised capability is OPEN Message Error / Unspecific as RFC 4271 6.2
 * says of malformed parameters), RFC 9072 (extended optional parameters
 * length), RFC 4760 (multiprotocol), RFC 2918 and 7313 (route refresh),
 * RFC 6793 (4-octet AS), RFC 4724 and 8538 (graceful restart), RFC 8654
 * (extended messages), RFC 7607 (AS 0), RFC 4486, 8203 and 9003 (Cease and
 * the shutdown communication).  Every read goes through the bounded reader
 * of bgp_buf.h.
 */
#include <string.h>

#include "bgp/bgp.h"

static const uint8_t marker[BGP_MARKER_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

/* --- NOTIFICATION bookkeeping --- */

static int
notify(struct bgp_notify *err, uint8_t code, uint8_t subcode)
{
	memset(err, 0, sizeof(*err));
	err->code = code;
	err->subcode = subcode;
	return -CEN_EPROTO;
}

/* With data pointing into the message. */
static int
notify_ptr(struct bgp_notify *err, uint8_t code, uint8_t subcode,
	   const uint8_t *data, size_t len)
{
	notify(err, code, subcode);
	err->data = data;
	err->datalen = (uint16_t)(len > UINT16_MAX ? UINT16_MAX : len);
	return -CEN_EPROTO;
}

/* With a 16-bit value as data (a length, a version). */
static int
notify_u16(struct bgp_notify *err, uint8_t code, uint8_t subcode, uint16_t v)
{
	notify(err, code, subcode);
	err->inl[0] = (uint8_t)(v >> 8);
	err->inl[1] = (uint8_t)v;
	err->datalen = 2;
	return -CEN_EPROTO;
}

const uint8_t *
bgp_msg_notify_data(const struct bgp_notify *n)
{
	return n->data != NULL ? n->data : n->inl;
}

/* --- options --- */

void
bgp_msg_opts_init(struct bgp_opts *o, uint32_t local_as, uint32_t peer_as)
{
	memset(o, 0, sizeof(*o));
	o->local_as = local_as;
	o->peer_as = peer_as;
	o->ebgp = local_as != peer_as;
	o->enforce_first_as = o->ebgp;
	o->as4 = true;
	o->aids = BGP_AID_ALL;
	o->maxlen = BGP_MAX_LEN;
}

void
bgp_msg_negotiate(struct bgp_opts *o, const struct bgp_caps *local,
		  const struct bgp_caps *remote)
{
	/* RFC 4760 1: without the capability, a speaker does IPv4 unicast */
	uint8_t l = local->mp ? local->mp : BGP_AID_BIT(BGP_AID_IPV4);
	uint8_t r = remote->mp ? remote->mp : BGP_AID_BIT(BGP_AID_IPV4);

	o->as4 = local->as4 && remote->as4;
	o->aids = l & r;
	o->maxlen = local->ext_msg && remote->ext_msg ? BGP_EXT_MAX_LEN
						      : BGP_MAX_LEN;
	o->route_refresh = local->route_refresh && remote->route_refresh;
	o->enhanced_rr = local->enhanced_rr && remote->enhanced_rr;
}

/* --- header --- */

static void
put_header(struct wbuf *w, uint16_t len, uint8_t type)
{
	wbuf_put_bytes(w, marker, sizeof(marker));
	wbuf_put_u16(w, len);
	wbuf_put_u8(w, type);
}

/* The length range of each message type: [min, max]. */
static int
type_range(uint8_t type, uint32_t maxlen, uint32_t *min, uint32_t *max)
{
	*max = maxlen;
	switch (type) {
	case BGP_MSG_OPEN:
		*min = BGP_OPEN_MIN_LEN;
		*max = BGP_MAX_LEN; /* RFC 8654 2: OPEN stays within 4096 */
		return 0;
	case BGP_MSG_UPDATE:
		*min = BGP_UPDATE_MIN_LEN;
		return 0;
	case BGP_MSG_NOTIFICATION:
		*min = BGP_NOTIFY_MIN_LEN;
		return 0;
	case BGP_MSG_KEEPALIVE:
		*min = *max = BGP_KEEPALIVE_LEN;
		return 0;
	case BGP_MSG_ROUTE_REFRESH:
		/* the exact length is checked by bgp_msg_rr_parse, whose
		 * error depends on enhanced route refresh (RFC 7313 5) */
		*min = BGP_HDR_LEN;
		return 0;
	default:
		return -CEN_EPROTO;
	}
}

int
bgp_msg_frame(const uint8_t *buf, size_t len, uint32_t maxlen, uint8_t *type,
	      struct bgp_notify *err)
{
	uint32_t min, max;
	uint16_t mlen;

	/* a wrong marker fails as soon as it is seen */
	if (len > 0 &&
	    memcmp(buf, marker, len < BGP_MARKER_LEN ? len : BGP_MARKER_LEN))
		return notify(err, BGP_ERR_HEADER, BGP_ERR_HDR_SYNC);
	if (len < BGP_HDR_LEN)
		return 0;
	mlen = (uint16_t)(buf[16] << 8 | buf[17]);
	*type = buf[18];
	if (mlen < BGP_HDR_LEN || mlen > maxlen)
		return notify_u16(err, BGP_ERR_HEADER, BGP_ERR_HDR_LEN, mlen);
	if (type_range(*type, maxlen, &min, &max) != 0) {
		notify(err, BGP_ERR_HEADER, BGP_ERR_HDR_TYPE);
		err->inl[0] = *type;
		err->datalen = 1;
		return -CEN_EPROTO;
	}
	if (mlen < min || mlen > max)
		return notify_u16(err, BGP_ERR_HEADER, BGP_ERR_HDR_LEN, mlen);
	return len < mlen ? 0 : mlen;
}

/* Checks the header of a whole message of len bytes that should be of the
 * given type, and sets b to its body. */
static int
hdr_check(const uint8_t *msg, size_t len, uint8_t type, uint32_t maxlen,
	  struct buf *b, struct bgp_notify *err)
{
	uint32_t min, max;
	uint16_t mlen;

	if (len < BGP_HDR_LEN || len > UINT16_MAX)
		return notify_u16(err, BGP_ERR_HEADER, BGP_ERR_HDR_LEN,
				  (uint16_t)(len > UINT16_MAX ? 0 : len));
	if (memcmp(msg, marker, sizeof(marker)) != 0)
		return notify(err, BGP_ERR_HEADER, BGP_ERR_HDR_SYNC);
	mlen = (uint16_t)(msg[16] << 8 | msg[17]);
	if (msg[18] != type) {
		notify(err, BGP_ERR_HEADER, BGP_ERR_HDR_TYPE);
		err->inl[0] = msg[18];
		err->datalen = 1;
		return -CEN_EPROTO;
	}
	type_range(type, maxlen, &min, &max);
	if (mlen != len || mlen < min || mlen > max)
		return notify_u16(err, BGP_ERR_HEADER, BGP_ERR_HDR_LEN, mlen);
	buf_init(b, msg + BGP_HDR_LEN, len - BGP_HDR_LEN);
	return 0;
}

/* Writes the final length into a message started at off. */
static int
finish(struct wbuf *w, size_t off)
{
	if (w->failed)
		return -CEN_ENOMEM;
	wbuf_set_u16(w, off + BGP_MARKER_LEN, (uint16_t)(w->len - off));
	return 0;
}

/* --- capabilities --- */

static int
caps_malformed(struct bgp_notify *err, const uint8_t *cap, size_t len)
{
	return notify_ptr(err, BGP_ERR_OPEN, BGP_ERR_OPEN_UNSPEC, cap, len);
}

/* Multiprotocol (RFC 4760 8): AFI, reserved, SAFI. */
static int
cap_mp(struct buf *v, struct bgp_caps *caps)
{
	uint16_t afi;
	uint8_t res, safi;
	int aid;

	if (buf_left(v) != 4 || buf_get_u16(v, &afi) != 0 ||
	    buf_get_u8(v, &res) != 0 || buf_get_u8(v, &safi) != 0)
		return -CEN_EPARSE;
	aid = bgp_afi_find(afi, safi);
	if (aid >= 0)
		caps->mp |= BGP_AID_BIT(aid);
	return 0;
}

/* Graceful restart (RFC 4724 3): flags and time, then AFI, SAFI, flags
 * per family. */
static int
cap_gr(struct buf *v, struct bgp_caps *caps)
{
	uint16_t ft;

	if (buf_left(v) % 4 != 2 || buf_get_u16(v, &ft) != 0)
		return -CEN_EPARSE;
	caps->gr = true;
	caps->gr_flags = (uint8_t)(ft >> 12);
	caps->gr_time = ft & BGP_GR_TIME_MAX;
	caps->gr_aids = 0;
	caps->gr_fwd = 0;
	while (buf_left(v) > 0) {
		uint16_t afi;
		uint8_t safi, flags;
		int aid;

		if (buf_get_u16(v, &afi) != 0 || buf_get_u8(v, &safi) != 0 ||
		    buf_get_u8(v, &flags) != 0)
			return -CEN_EPARSE;
		aid = bgp_afi_find(afi, safi);
		if (aid < 0)
			continue;
		caps->gr_aids |= BGP_AID_BIT(aid);
		if (flags & 0x80)
			caps->gr_fwd |= BGP_AID_BIT(aid);
	}
	return 0;
}

/* One capability of the given code; -CEN_EPARSE when malformed. */
static int
cap_one(uint8_t code, struct buf *v, struct bgp_caps *caps)
{
	switch (code) {
	case BGP_CAPA_MP:
		return cap_mp(v, caps);
	case BGP_CAPA_ROUTE_REFRESH:
		caps->route_refresh = true;
		return buf_left(v) == 0 ? 0 : -CEN_EPARSE;
	case BGP_CAPA_ENHANCED_RR:
		caps->enhanced_rr = true;
		return buf_left(v) == 0 ? 0 : -CEN_EPARSE;
	case BGP_CAPA_EXT_MSG:
		caps->ext_msg = true;
		return buf_left(v) == 0 ? 0 : -CEN_EPARSE;
	case BGP_CAPA_GRACEFUL_RESTART:
		return cap_gr(v, caps);
	case BGP_CAPA_AS4:
		if (buf_get_u32(v, &caps->as4_asn) != 0 || buf_left(v) != 0)
			return -CEN_EPARSE;
		caps->as4 = true;
		return 0;
	default:
		/* RFC 5492 3: unknown capabilities are ignored */
		if (caps->nunknown < BGP_CAPA_UNKNOWN_MAX)
			caps->unknown[caps->nunknown] = code;
		if (caps->nunknown < UINT8_MAX)
			caps->nunknown++;
		return 0;
	}
}

int
bgp_msg_caps_parse(const uint8_t *p, size_t len, struct bgp_caps *caps,
		   struct bgp_notify *err)
{
	struct buf b;

	buf_init(&b, p, len);
	while (buf_left(&b) > 0) {
		const uint8_t *start = b.p;
		uint8_t code, clen;
		struct buf v;

		if (buf_get_u8(&b, &code) != 0 || buf_get_u8(&b, &clen) != 0 ||
		    buf_get_sub(&b, clen, &v) != 0)
			return caps_malformed(err, start,
					      (size_t)(p + len - start));
		if (cap_one(code, &v, caps) != 0)
			return caps_malformed(err, start, 2 + (size_t)clen);
	}
	return 0;
}

/* --- OPEN --- */

/* The optional parameters (RFC 4271 4.2, RFC 9072 2): b holds exactly
 * the parameters. */
static int
open_params(struct buf *b, bool ext, struct bgp_open *o, struct bgp_notify *err)
{
	while (buf_left(b) > 0) {
		uint8_t type, l8;
		uint16_t plen;
		struct buf v;
		int rc;

		if (buf_get_u8(b, &type) != 0)
			return notify(err, BGP_ERR_OPEN, BGP_ERR_OPEN_UNSPEC);
		if (ext) {
			rc = buf_get_u16(b, &plen);
		} else {
			rc = buf_get_u8(b, &l8);
			plen = l8;
		}
		if (rc != 0 || buf_get_sub(b, plen, &v) != 0)
			return notify(err, BGP_ERR_OPEN, BGP_ERR_OPEN_UNSPEC);
		if (type != BGP_OPT_CAPABILITIES)
			return notify(err, BGP_ERR_OPEN,
				      BGP_ERR_OPEN_OPT_PARAM);
		rc = bgp_msg_caps_parse(v.p, v.len, &o->caps, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

uint32_t
bgp_msg_open_as(const struct bgp_open *o)
{
	return o->caps.as4 ? o->caps.as4_asn : o->as;
}

int
bgp_msg_open_parse(const uint8_t *msg, size_t len, uint32_t peer_as,
		   struct bgp_open *o, struct bgp_notify *err)
{
	struct buf b, params;
	uint8_t optlen;
	uint32_t as;
	int rc;

	memset(o, 0, sizeof(*o));
	if ((rc = hdr_check(msg, len, BGP_MSG_OPEN, BGP_MAX_LEN, &b, err)))
		return rc;
	if (buf_get_u8(&b, &o->version) != 0 || buf_get_u16(&b, &o->as) != 0 ||
	    buf_get_u16(&b, &o->holdtime) != 0 ||
	    buf_get_u32(&b, &o->bgp_id) != 0 || buf_get_u8(&b, &optlen) != 0)
		return notify_u16(err, BGP_ERR_HEADER, BGP_ERR_HDR_LEN,
				  (uint16_t)len);
	if (o->version != BGP_VERSION)
		return notify_u16(err, BGP_ERR_OPEN, BGP_ERR_OPEN_VERSION,
				  BGP_VERSION);
	if (o->holdtime > 0 && o->holdtime < BGP_HOLDTIME_MIN)
		return notify(err, BGP_ERR_OPEN, BGP_ERR_OPEN_HOLDTIME);
	if (o->bgp_id == 0) /* RFC 6286 2.2 */
		return notify(err, BGP_ERR_OPEN, BGP_ERR_OPEN_BGP_ID);

	/* RFC 9072 2: a length of 255 followed by a type of 255 marks the
	 * extended encoding with a 2-byte length */
	if (optlen == BGP_OPT_EXTENDED && buf_left(&b) > 0 &&
	    b.p[0] == BGP_OPT_EXTENDED) {
		uint16_t extlen;

		buf_skip(&b, 1);
		if (buf_get_u16(&b, &extlen) != 0 ||
		    buf_get_sub(&b, extlen, &params) != 0)
			return notify(err, BGP_ERR_OPEN, BGP_ERR_OPEN_UNSPEC);
		rc = open_params(&params, true, o, err);
		o->ext_params = true;
	} else {
		if (buf_get_sub(&b, optlen, &params) != 0)
			return notify(err, BGP_ERR_OPEN, BGP_ERR_OPEN_UNSPEC);
		rc = open_params(&params, false, o, err);
	}
	if (rc != 0)
		return rc;
	if (buf_left(&b) != 0) /* bytes after the parameters */
		return notify(err, BGP_ERR_OPEN, BGP_ERR_OPEN_UNSPEC);

	as = bgp_msg_open_as(o);
	/* RFC 7607 2: AS 0 is an error; RFC 6793 4.1: with the capability,
	 * My AS is the same AS or AS_TRANS */
	if (as == 0 || o->as == 0 ||
	    (o->caps.as4 && o->as != BGP_AS_TRANS && o->as != as) ||
	    (peer_as != 0 && as != peer_as))
		return notify(err, BGP_ERR_OPEN, BGP_ERR_OPEN_PEER_AS);
	return 0;
}

/* Appends one capability header and returns nothing: the callers know the
 * lengths of what follows. */
static void
put_cap(struct wbuf *w, uint8_t code, uint8_t len)
{
	wbuf_put_u8(w, code);
	wbuf_put_u8(w, len);
}

static void
put_caps(struct wbuf *w, const struct bgp_caps *c)
{
	for (int aid = 0; aid < BGP_AID_MAX; aid++) {
		const struct bgp_afi *af = bgp_afi_get(aid);

		if (!(c->mp & BGP_AID_BIT(aid)))
			continue;
		put_cap(w, BGP_CAPA_MP, 4);
		wbuf_put_u16(w, af->afi);
		wbuf_put_u8(w, 0);
		wbuf_put_u8(w, af->safi);
	}
	if (c->route_refresh)
		put_cap(w, BGP_CAPA_ROUTE_REFRESH, 0);
	if (c->enhanced_rr)
		put_cap(w, BGP_CAPA_ENHANCED_RR, 0);
	if (c->ext_msg)
		put_cap(w, BGP_CAPA_EXT_MSG, 0);
	if (c->gr) {
		size_t at = w->len + 1;
		uint8_t n = 0;

		put_cap(w, BGP_CAPA_GRACEFUL_RESTART, 0);
		wbuf_put_u16(w, (uint16_t)((c->gr_flags & 0xf) << 12 |
					   (c->gr_time & BGP_GR_TIME_MAX)));
		for (int aid = 0; aid < BGP_AID_MAX; aid++) {
			const struct bgp_afi *af = bgp_afi_get(aid);

			if (!(c->gr_aids & BGP_AID_BIT(aid)))
				continue;
			wbuf_put_u16(w, af->afi);
			wbuf_put_u8(w, af->safi);
			wbuf_put_u8(w, c->gr_fwd & BGP_AID_BIT(aid) ? 0x80 : 0);
			n++;
		}
		wbuf_set_u8(w, at, (uint8_t)(2 + 4 * n));
	}
	if (c->as4) {
		put_cap(w, BGP_CAPA_AS4, 4);
		wbuf_put_u32(w, c->as4_asn);
	}
}

int
bgp_msg_open_build(struct wbuf *w, const struct bgp_open *o)
{
	size_t off = w->len, popt, pcaps, clen;
	uint16_t my_as = o->as;

	if (o->caps.as4)
		my_as = o->caps.as4_asn > UINT16_MAX
				? BGP_AS_TRANS
				: (uint16_t)o->caps.as4_asn;
	if (my_as == 0 || o->bgp_id == 0 ||
	    (o->holdtime > 0 && o->holdtime < BGP_HOLDTIME_MIN))
		return -CEN_EINVAL;
	put_header(w, 0, BGP_MSG_OPEN);
	wbuf_put_u8(w, BGP_VERSION);
	wbuf_put_u16(w, my_as);
	wbuf_put_u16(w, o->holdtime);
	wbuf_put_u32(w, o->bgp_id);
	popt = w->len;
	wbuf_put_u8(w, 0); /* optional parameters length, patched below */
	/* one capabilities parameter holding them all (RFC 5492 4) */
	pcaps = w->len;
	wbuf_put_u8(w, BGP_OPT_CAPABILITIES);
	wbuf_put_u8(w, 0);
	put_caps(w, &o->caps);
	if (w->failed) {
		wbuf_truncate(w, off);
		return -CEN_ENOMEM;
	}
	clen = w->len - pcaps - 2;
	if (clen == 0) {
		wbuf_truncate(w, pcaps); /* no parameters at all */
	} else if (clen + 2 <= 255 && !o->ext_params) {
		wbuf_set_u8(w, pcaps + 1, (uint8_t)clen);
		wbuf_set_u8(w, popt, (uint8_t)(clen + 2));
	} else {
		/* RFC 9072: 255, 255, a 2-byte length, then parameters
		 * with 2-byte lengths: a 6-byte lead instead of 2 */
		if (clen + 3 > UINT16_MAX || !wbuf_reserve(w, 4)) {
			wbuf_truncate(w, off);
			return w->failed ? -CEN_ENOMEM : -CEN_EINVAL;
		}
		memmove(w->data + pcaps + 6, w->data + pcaps + 2, clen);
		w->data[popt] = BGP_OPT_EXTENDED;
		w->data[pcaps] = BGP_OPT_EXTENDED;
		wbuf_set_u16(w, pcaps + 1, (uint16_t)(clen + 3));
		w->data[pcaps + 3] = BGP_OPT_CAPABILITIES;
		wbuf_set_u16(w, pcaps + 4, (uint16_t)clen);
	}
	if (w->len - off > BGP_MAX_LEN) {
		wbuf_truncate(w, off);
		return -CEN_EINVAL;
	}
	return finish(w, off);
}

/* --- KEEPALIVE --- */

int
bgp_msg_keepalive_parse(const uint8_t *msg, size_t len, struct bgp_notify *err)
{
	struct buf b;

	return hdr_check(msg, len, BGP_MSG_KEEPALIVE, BGP_KEEPALIVE_LEN, &b,
			 err);
}

int
bgp_msg_keepalive_build(struct wbuf *w)
{
	size_t off = w->len;

	put_header(w, BGP_KEEPALIVE_LEN, BGP_MSG_KEEPALIVE);
	return finish(w, off);
}

/* --- NOTIFICATION --- */

int
bgp_msg_notify_parse(const uint8_t *msg, size_t len, struct bgp_notify *n)
{
	struct bgp_notify err;
	struct buf b;

	memset(n, 0, sizeof(*n));
	if (hdr_check(msg, len, BGP_MSG_NOTIFICATION, BGP_EXT_MAX_LEN, &b,
		      &err) != 0)
		return -CEN_EPROTO;
	if (buf_get_u8(&b, &n->code) != 0 || buf_get_u8(&b, &n->subcode) != 0)
		return -CEN_EPROTO;
	n->data = b.p;
	n->datalen = (uint16_t)buf_left(&b);
	return 0;
}

/* Checks that s[0..len) is well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF). */
static bool
utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		uint32_t cp;
		size_t n;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

int
bgp_msg_notify_shutdown(const struct bgp_notify *n, char *buf, size_t size)
{
	const uint8_t *d = bgp_msg_notify_data(n);
	size_t mlen, copy;

	if (size > 0)
		buf[0] = '\0';
	if (n->code != BGP_ERR_CEASE ||
	    (n->subcode != BGP_CEASE_ADMIN_SHUTDOWN &&
	     n->subcode != BGP_CEASE_ADMIN_RESET) ||
	    n->datalen == 0 || d[0] == 0)
		return -CEN_ENOENT;
	mlen = d[0];
	if (mlen > (size_t)n->datalen - 1 || !utf8_valid(d + 1, mlen) ||
	    memchr(d + 1, 0, mlen) != NULL)
		return -CEN_EPARSE;
	if (size == 0)
		return (int)mlen;
	copy = mlen < size - 1 ? mlen : size - 1;
	memcpy(buf, d + 1, copy);
	buf[copy] = '\0';
	return (int)copy;
}

int
bgp_msg_notify_build(struct wbuf *w, uint8_t code, uint8_t subcode,
		     const void *data, size_t datalen)
{
	size_t off = w->len;

	if (datalen > BGP_MAX_LEN - BGP_NOTIFY_MIN_LEN)
		datalen = BGP_MAX_LEN - BGP_NOTIFY_MIN_LEN;
	put_header(w, 0, BGP_MSG_NOTIFICATION);
	wbuf_put_u8(w, code);
	wbuf_put_u8(w, subcode);
	if (datalen > 0)
		wbuf_put_bytes(w, data, datalen);
	return finish(w, off);
}

int
bgp_msg_shutdown_build(struct wbuf *w, uint8_t subcode, const char *msg)
{
	uint8_t data[1 + BGP_SHUTDOWN_MSG_MAX];
	size_t mlen = msg != NULL ? strlen(msg) : 0;

	if (mlen > BGP_SHUTDOWN_MSG_MAX ||
	    !utf8_valid((const uint8_t *)msg, mlen))
		return -CEN_EINVAL;
	data[0] = (uint8_t)mlen;
	if (mlen > 0)
		memcpy(data + 1, msg, mlen);
	return bgp_msg_notify_build(w, BGP_ERR_CEASE, subcode, data, 1 + mlen);
}

/* --- ROUTE-REFRESH --- */

int
bgp_msg_rr_parse(const uint8_t *msg, size_t len, const struct bgp_opts *o,
		 struct bgp_rr *rr, struct bgp_notify *err)
{
	struct buf b;
	int rc;

	memset(rr, 0, sizeof(*rr));
	rr->aid = -1;
	rc = hdr_check(msg, len, BGP_MSG_ROUTE_REFRESH, o->maxlen, &b, err);
	if (rc != 0)
		return rc;
	if (len != BGP_RREFRESH_LEN) {
		if (o->enhanced_rr)
			return notify_ptr(err, BGP_ERR_RREFRESH,
					  BGP_ERR_RR_LENGTH, msg, len);
		return notify_u16(err, BGP_ERR_HEADER, BGP_ERR_HDR_LEN,
				  (uint16_t)len);
	}
	if (buf_get_u16(&b, &rr->afi) != 0 ||
	    buf_get_u8(&b, &rr->subtype) != 0 || buf_get_u8(&b, &rr->safi) != 0)
		return notify_u16(err, BGP_ERR_HEADER, BGP_ERR_HDR_LEN,
				  (uint16_t)len);
	/* RFC 2918 3: without enhanced route refresh the field is reserved
	 * and ignored */
	if (!o->enhanced_rr)
		rr->subtype = BGP_RR_NORMAL;
	rr->aid = bgp_afi_find(rr->afi, rr->safi);
	return 0;
}

int
bgp_msg_rr_build(struct wbuf *w, int aid, uint8_t subtype)
{
	const struct bgp_afi *af = bgp_afi_get(aid);
	size_t off = w->len;

	if (af == NULL)
		return -CEN_EINVAL;
	put_header(w, BGP_RREFRESH_LEN, BGP_MSG_ROUTE_REFRESH);
	wbuf_put_u16(w, af->afi);
	wbuf_put_u8(w, subtype);
	wbuf_put_u8(w, af->safi);
	return finish(w, off);
}

/* --- End-of-RIB --- */

int
bgp_msg_eor_build(struct wbuf *w, int aid)
{
	const struct bgp_afi *af = bgp_afi_get(aid);
	size_t off = w->len;

	if (af == NULL)
		return -CEN_EINVAL;
	put_header(w, 0, BGP_MSG_UPDATE);
	wbuf_put_u16(w, 0); /* withdrawn routes length */
	if (af->classic) {
		wbuf_put_u16(w, 0); /* path attribute length */
	} else {
		wbuf_put_u16(w, 6);
		wbuf_put_u8(w, BGP_ATTR_F_OPTIONAL);
		wbuf_put_u8(w, BGP_ATTR_MP_UNREACH);
		wbuf_put_u8(w, 3);
		wbuf_put_u16(w, af->afi);
		wbuf_put_u8(w, af->safi);
	}
	return finish(w, off);
}
