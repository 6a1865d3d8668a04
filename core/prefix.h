/*
 * prefix.h - IPv4 and IPv6 prefixes: parse, format, compare, contain.
 *
 * A prefix is stored canonical: host bits beyond len are always zero.  The
 * total order (prefix_cmp) is family first (IPv4 < IPv6), then address bytes,
 * then length; it is the order of trie walks and of every listing.
 */
#ifndef CEN_PREFIX_H
#define CEN_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	PREFIX_AF_NONE = 0,
	PREFIX_AF_INET = 4,
	PREFIX_AF_INET6 = 6,
};

#define PREFIX_STRLEN 48 /* "ffff:...:ffff/128" plus NUL, rounded up */

struct prefix {
	uint8_t family; /* PREFIX_AF_INET or PREFIX_AF_INET6 */
	uint8_t len;	/* 0..32 or 0..128 */
	uint8_t pad[2];
	union {
		uint8_t v6[16];
		uint8_t v4[4];
		uint8_t bytes[16];
	} addr; /* network byte order; bytes beyond the family are zero */
};

/* An address is a /32 or /128 prefix. */
typedef struct prefix prefix_addr;

/* prefix.c */

/* Parses "10.0.0.0/8", "2001:db8::/32"; a bare address is a host prefix.
 * Fails with -CEN_EPARSE on anything else, including host bits set past len
 * when strict is true ("10.0.0.1/8"); with strict false such bits are
 * cleared. */
int prefix_parse(struct prefix *p, const char *s, bool strict);
/* Parses an address only (no "/len"). */
int prefix_parse_addr(struct prefix *p, const char *s);
/* Formats into buf (at least PREFIX_STRLEN bytes); returns buf. */
char *prefix_fmt(const struct prefix *p, char *buf, size_t size);
/* Formats the address without "/len". */
char *prefix_fmt_addr(const struct prefix *p, char *buf, size_t size);

void prefix_from_v4(struct prefix *p, uint32_t host_order_addr, uint8_t len);
void prefix_from_v6(struct prefix *p, const uint8_t addr[16], uint8_t len);
/* Host-order IPv4 address of an IPv4 prefix. */
uint32_t prefix_v4(const struct prefix *p);

/* Clears bits past p->len. */
void prefix_canon(struct prefix *p);
/* Maximum length of the family: 32 or 128 (0 for none). */
unsigned prefix_maxlen(uint8_t family);
/* Bit i (0 = most significant) of the address. */
int prefix_bit(const struct prefix *p, unsigned i);

/* Total order: family, then address, then length. */
int prefix_cmp(const struct prefix *a, const struct prefix *b);
bool prefix_equal(const struct prefix *a, const struct prefix *b);
/* True if outer contains inner: same family, outer->len <= inner->len and
 * the first outer->len bits agree ("inner is outer or longer"). */
bool prefix_contains(const struct prefix *outer, const struct prefix *inner);
/* True if either contains the other. */
bool prefix_overlaps(const struct prefix *a, const struct prefix *b);
/* Length of the common leading bits of a and b, at most min(len). */
unsigned prefix_common_len(const struct prefix *a, const struct prefix *b);
uint64_t prefix_hash(const struct prefix *p);

#endif
