/*
 * prefix.c - IPv4 and IPv6 prefixes: parse, format, compare, contain
 * (prefix.h).
 *
 * Prefixes are kept canonical (no host bits past len, no bytes past the
 * family), so equality is a byte comparison and the total order of
 * prefix_cmp (family, address, length) is the order of every listing.
 */
#include "prefix.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "err.h"

static unsigned
family_bytes(uint8_t family)
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

/* Parses a decimal length: digits only, no sign, no leading zero (except
 * "0" itself, as inet_pton does for IPv4 octets), at most max. */
static int
parse_len(const char *s, unsigned max, uint8_t *out)
{
	unsigned v = 0;
	size_t i;

	if (s[0] == '\0')
		return -CEN_EPARSE;
	if (s[0] == '0' && s[1] != '\0')
		return -CEN_EPARSE;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 3)
			return -CEN_EPARSE;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -CEN_EPARSE;
	*out = (uint8_t)v;
	return 0;
}

/* Parses an address of either family from s[0..n). */
static int
parse_addr(struct prefix *p, const char *s, size_t n)
{
	char buf[INET6_ADDRSTRLEN];

	memset(p, 0, sizeof(*p));
	if (n == 0 || n >= sizeof(buf))
		return -CEN_EPARSE;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (memchr(buf, ':', n) != NULL) {
		if (inet_pton(AF_INET6, buf, p->addr.v6) != 1)
			return -CEN_EPARSE;
		p->family = PREFIX_AF_INET6;
		p->len = 128;
	} else {
		if (inet_pton(AF_INET, buf, p->addr.v4) != 1)
			return -CEN_EPARSE;
		p->family = PREFIX_AF_INET;
		p->len = 32;
	}
	return 0;
}

int
prefix_parse(struct prefix *p, const char *s, bool strict)
{
	struct prefix tmp;
	const char *slash;
	uint8_t len;
	int rc;

	if (s == NULL)
		return -CEN_EPARSE;
	slash = strchr(s, '/');
	rc = parse_addr(&tmp, s,
			slash != NULL ? (size_t)(slash - s) : strlen(s));
	if (rc < 0)
		return rc;
	if (slash != NULL) {
		rc = parse_len(slash + 1, prefix_maxlen(tmp.family), &len);
		if (rc < 0)
			return rc;
		tmp.len = len;
	}
	if (strict) {
		struct prefix canon = tmp;

		prefix_canon(&canon);
		if (memcmp(&canon, &tmp, sizeof(tmp)) != 0)
			return -CEN_EPARSE;
	}
	prefix_canon(&tmp);
	*p = tmp;
	return 0;
}

int
prefix_parse_addr(struct prefix *p, const char *s)
{
	struct prefix tmp;
	int rc;

	if (s == NULL)
		return -CEN_EPARSE;
	rc = parse_addr(&tmp, s, strlen(s));
	if (rc < 0)
		return rc;
	*p = tmp;
	return 0;
}

char *
prefix_fmt(const struct prefix *p, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];

	if (size == 0)
		return buf;
	if (family_bytes(p->family) == 0) {
		snprintf(buf, size, "(none)");
		return buf;
	}
	prefix_fmt_addr(p, addr, sizeof(addr));
	snprintf(buf, size, "%s/%u", addr, p->len);
	return buf;
}

char *
prefix_fmt_addr(const struct prefix *p, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];
	int af;

	if (size == 0)
		return buf;
	switch (p->family) {
	case PREFIX_AF_INET:
		af = AF_INET;
		break;
	case PREFIX_AF_INET6:
		af = AF_INET6;
		break;
	default:
		snprintf(buf, size, "(none)");
		return buf;
	}
	if (inet_ntop(af, p->addr.bytes, addr, sizeof(addr)) == NULL)
		addr[0] = '\0';
	snprintf(buf, size, "%s", addr);
	return buf;
}

void
prefix_from_v4(struct prefix *p, uint32_t host_order_addr, uint8_t len)
{
	uint32_t a = htonl(host_order_addr);

	if (len > 32) {
		fprintf(stderr, "prefix_from_v4: length %u > 32\n", len);
		abort();
	}
	memset(p, 0, sizeof(*p));
	p->family = PREFIX_AF_INET;
	p->len = len;
	memcpy(p->addr.v4, &a, 4);
	prefix_canon(p);
}

void
prefix_from_v6(struct prefix *p, const uint8_t addr[16], uint8_t len)
{
	if (len > 128) {
		fprintf(stderr, "prefix_from_v6: length %u > 128\n", len);
		abort();
	}
	memset(p, 0, sizeof(*p));
	p->family = PREFIX_AF_INET6;
	p->len = len;
	memcpy(p->addr.v6, addr, 16);
	prefix_canon(p);
}

uint32_t
prefix_v4(const struct prefix *p)
{
	uint32_t a;

	memcpy(&a, p->addr.v4, 4);
	return ntohl(a);
}

void
prefix_canon(struct prefix *p)
{
	unsigned nbytes = family_bytes(p->family);
	unsigned len = p->len, i;

	if (len > nbytes * 8)
		len = p->len = (uint8_t)(nbytes * 8);
	p->pad[0] = p->pad[1] = 0;
	for (i = len / 8; i < sizeof(p->addr.bytes); i++) {
		if (i == len / 8 && (len & 7) != 0 && i < nbytes)
			p->addr.bytes[i] &= (uint8_t)(0xff00 >> (len & 7));
		else
			p->addr.bytes[i] = 0;
	}
}

unsigned
prefix_maxlen(uint8_t family)
{
	return family_bytes(family) * 8;
}

int
prefix_bit(const struct prefix *p, unsigned i)
{
	if (i >= 128)
		return 0;
	return (p->addr.bytes[i >> 3] >> (7 - (i & 7))) & 1;
}

int
prefix_cmp(const struct prefix *a, const struct prefix *b)
{
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	c = memcmp(a->addr.bytes, b->addr.bytes, family_bytes(a->family));
	if (c != 0)
		return c < 0 ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return 0;
}

bool
prefix_equal(const struct prefix *a, const struct prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       memcmp(a->addr.bytes, b->addr.bytes, family_bytes(a->family)) ==
		       0;
}

/* Common leading bits of two address byte strings, at most limit. */
static unsigned
common_bits(const uint8_t *a, const uint8_t *b, unsigned limit)
{
	unsigned i, n;

	if (limit > 128)
		limit = 128;
	for (i = 0; i * 8 < limit; i++) {
		uint8_t x = a[i] ^ b[i];

		if (x != 0) {
			n = i * 8 + (unsigned)__builtin_clz(x) - 24;
			return n < limit ? n : limit;
		}
	}
	return limit;
}

bool
prefix_contains(const struct prefix *outer, const struct prefix *inner)
{
	if (outer->family != inner->family || outer->len > inner->len)
		return false;
	return common_bits(outer->addr.bytes, inner->addr.bytes, outer->len) ==
	       outer->len;
}

bool
prefix_overlaps(const struct prefix *a, const struct prefix *b)
{
	return prefix_contains(a, b) || prefix_contains(b, a);
}

unsigned
prefix_common_len(const struct prefix *a, const struct prefix *b)
{
	unsigned limit = a->len < b->len ? a->len : b->len;

	if (a->family != b->family)
		return 0;
	return common_bits(a->addr.bytes, b->addr.bytes, limit);
}

uint64_t
prefix_hash(const struct prefix *p)
{
	uint8_t buf[2 + 16];
	unsigned n = family_bytes(p->family);

	buf[0] = p->family;
	buf[1] = p->len;
	memcpy(buf + 2, p->addr.bytes, n);
	return XXH3_64bits(buf, 2 + n);
}
