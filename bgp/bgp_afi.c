/*
 * bgp_afi.c - the per-address-family table of the BGP codec (bgp.h): NLRI
 * and MP_REACH next hop encoding for IPv4 and IPv6 unicast.
 *
 * NLRI are <length, prefix> pairs (RFC 4271 4.3, RFC 4760 5): the length
 * in bits, then just enough bytes to hold it.  Trailing bits past the length
 * are cleared on decode so prefixes come out canonical.  Next hops (RFC
 * 4760 3, RFC 2545 3): 4 bytes for IPv4, 16 (global) or 32 (global then
 * link-local) for IPv6.  The rest of the codec reaches these only through
 * the table, so a new family is one more row.
 */
#include <string.h>

#include "bgp/bgp.h"

/* Decodes one prefix of a family whose addresses hold maxlen bits. */
static inline int
get_prefix(struct buf *b, struct prefix *p, uint8_t family, unsigned maxlen)
{
	unsigned plen, n;

	if (b->len < 1)
		return -CEN_EPARSE;
	plen = b->p[0];
	n = (plen + 7) / 8;
	if (plen > maxlen || b->len < 1 + (size_t)n)
		return -CEN_EPARSE;
	memset(p, 0, sizeof(*p));
	p->family = family;
	p->len = (uint8_t)plen;
	if (n > 0) {
		memcpy(p->addr.bytes, b->p + 1, n);
		if (plen & 7)
			p->addr.bytes[n - 1] &=
				(uint8_t)(0xff << (8 - (plen & 7)));
	}
	b->p += 1 + n;
	b->len -= 1 + n;
	return 0;
}

static inline int
check_prefixes(const uint8_t *p, size_t len, uint32_t *count, unsigned maxlen)
{
	uint32_t c = 0;
	size_t i = 0;

	while (i < len) {
		unsigned plen = p[i];

		if (plen > maxlen)
			return -CEN_EPARSE;
		i += 1 + (plen + 7) / 8;
		c++;
	}
	if (i != len)
		return -CEN_EPARSE;
	*count = c;
	return 0;
}

static size_t
nlri_size(const struct prefix *p)
{
	return 1 + ((size_t)p->len + 7) / 8;
}

static void
nlri_put(struct wbuf *w, const struct prefix *p)
{
	uint8_t *d = wbuf_reserve(w, nlri_size(p));

	if (d != NULL) {
		d[0] = p->len;
		memcpy(d + 1, p->addr.bytes, ((size_t)p->len + 7) / 8);
	}
}

/* --- IPv4 unicast --- */

static int
v4_nlri_check(const uint8_t *p, size_t len, uint32_t *count)
{
	return check_prefixes(p, len, count, 32);
}

static int
v4_nlri_get(struct buf *b, struct prefix *p)
{
	return get_prefix(b, p, PREFIX_AF_INET, 32);
}

static int
v4_nh_get(const uint8_t *p, size_t len, struct prefix *nh, struct prefix *ll)
{
	memset(ll, 0, sizeof(*ll));
	if (len != 4)
		return -CEN_EPARSE;
	memset(nh, 0, sizeof(*nh));
	nh->family = PREFIX_AF_INET;
	nh->len = 32;
	memcpy(nh->addr.v4, p, 4);
	return 0;
}

static size_t
v4_nh_size(const struct prefix *nh, const struct prefix *ll)
{
	return nh->family == PREFIX_AF_INET ? 4 : 0;
}

static void
v4_nh_put(struct wbuf *w, const struct prefix *nh, const struct prefix *ll)
{
	wbuf_put_bytes(w, nh->addr.v4, 4);
}

/* Not 0.0.0.0, multicast (224/4) or class E and broadcast (240/4). */
static bool
v4_nh_valid(const struct prefix *nh)
{
	const uint8_t *a = nh->addr.v4;

	if (nh->family != PREFIX_AF_INET)
		return false;
	if (a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0)
		return false;
	return a[0] < 224;
}

/* --- IPv6 unicast --- */

static int
v6_nlri_check(const uint8_t *p, size_t len, uint32_t *count)
{
	return check_prefixes(p, len, count, 128);
}

static int
v6_nlri_get(struct buf *b, struct prefix *p)
{
	return get_prefix(b, p, PREFIX_AF_INET6, 128);
}

static void
v6_addr(struct prefix *a, const uint8_t *p)
{
	memset(a, 0, sizeof(*a));
	a->family = PREFIX_AF_INET6;
	a->len = 128;
	memcpy(a->addr.v6, p, 16);
}

static int
v6_nh_get(const uint8_t *p, size_t len, struct prefix *nh, struct prefix *ll)
{
	memset(ll, 0, sizeof(*ll));
	if (len != 16 && len != 32)
		return -CEN_EPARSE;
	v6_addr(nh, p);
	if (len == 32)
		v6_addr(ll, p + 16);
	return 0;
}

static size_t
v6_nh_size(const struct prefix *nh, const struct prefix *ll)
{
	if (nh->family != PREFIX_AF_INET6)
		return 0;
	return ll != NULL && ll->family == PREFIX_AF_INET6 ? 32 : 16;
}

static void
v6_nh_put(struct wbuf *w, const struct prefix *nh, const struct prefix *ll)
{
	wbuf_put_bytes(w, nh->addr.v6, 16);
	if (ll != NULL && ll->family == PREFIX_AF_INET6)
		wbuf_put_bytes(w, ll->addr.v6, 16);
}

/* Not :: and not multicast (ff00::/8). */
static bool
v6_nh_valid(const struct prefix *nh)
{
	static const uint8_t zero[16];

	if (nh->family != PREFIX_AF_INET6)
		return false;
	if (memcmp(nh->addr.v6, zero, 16) == 0)
		return false;
	return nh->addr.v6[0] != 0xff;
}

static const struct bgp_afi afis[BGP_AID_MAX] = {
	[BGP_AID_IPV4] = {
		.name = "ipv4-unicast",
		.afi = BGP_AFI_IPV4,
		.safi = BGP_SAFI_UNICAST,
		.aid = BGP_AID_IPV4,
		.family = PREFIX_AF_INET,
		.maxlen = 32,
		.addrlen = 4,
		.classic = true,
		.nlri_check = v4_nlri_check,
		.nlri_get = v4_nlri_get,
		.nlri_size = nlri_size,
		.nlri_put = nlri_put,
		.nh_get = v4_nh_get,
		.nh_size = v4_nh_size,
		.nh_put = v4_nh_put,
		.nh_valid = v4_nh_valid,
	},
	[BGP_AID_IPV6] = {
		.name = "ipv6-unicast",
		.afi = BGP_AFI_IPV6,
		.safi = BGP_SAFI_UNICAST,
		.aid = BGP_AID_IPV6,
		.family = PREFIX_AF_INET6,
		.maxlen = 128,
		.addrlen = 16,
		.nlri_check = v6_nlri_check,
		.nlri_get = v6_nlri_get,
		.nlri_size = nlri_size,
		.nlri_put = nlri_put,
		.nh_get = v6_nh_get,
		.nh_size = v6_nh_size,
		.nh_put = v6_nh_put,
		.nh_valid = v6_nh_valid,
	},
};

const struct bgp_afi *
bgp_afi_get(int aid)
{
	if (aid < 0 || aid >= BGP_AID_MAX)
		return NULL;
	return &afis[aid];
}

int
bgp_afi_find(uint16_t afi, uint8_t safi)
{
	for (int i = 0; i < BGP_AID_MAX; i++)
		if (afis[i].afi == afi && afis[i].safi == safi)
			return i;
	return -1;
}

int
bgp_afi_of_family(uint8_t family)
{
	for (int i = 0; i < BGP_AID_MAX; i++)
		if (afis[i].family == family)
			return i;
	return -1;
}

void
bgp_afi_iter_init(struct bgp_nlri_iter *it, const struct bgp_nlri *n)
{
	buf_init(&it->b, n->data, n->len);
	it->af = bgp_afi_get(n->aid);
	if (it->af == NULL)
		it->b.len = 0;
}

bool
bgp_afi_iter_next(struct bgp_nlri_iter *it, struct prefix *p)
{
	if (it->b.len == 0)
		return false;
	if (it->af->nlri_get(&it->b, p) != 0) {
		it->b.len = 0; /* not validated: stop rather than loop */
		return false;
	}
	return true;
}

size_t
bgp_afi_decode(const struct bgp_nlri *n, struct prefix *out, size_t max)
{
	struct bgp_nlri_iter it;
	size_t i = 0;

	bgp_afi_iter_init(&it, n);
	while (i < max && bgp_afi_iter_next(&it, &out[i]))
		i++;
	return i;
}
