/*
 * wire.c - the admin API's wire forms (proto/command.proto, proto/fib.proto)
 * to and from what cenctl reads and prints: prefixes as bytes, next-hop
 * groups and AS paths as text.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cenctl.h"
#include "core/prefix.h"
#include "proto/fib.pb-c.h"

size_t
wire_prefix_pack(const struct prefix *p, uint8_t out[18])
{
	size_t n = p->family == PREFIX_AF_INET ? 4 : 16;

	out[0] = p->family;
	out[1] = p->len;
	memcpy(out + 2, p->addr.bytes, n);
	return 2 + n;
}

char *
wire_prefix_fmt(const struct Cend__V1__Prefix *m, char *buf, size_t size)
{
	struct prefix p;

	if (m == NULL) {
		snprintf(buf, size, "-");
		return buf;
	}
	memset(&p, 0, sizeof(p));
	if ((m->family != 4 || m->addr.len != 4 || m->len > 32) &&
	    (m->family != 6 || m->addr.len != 16 || m->len > 128)) {
		snprintf(buf, size, "(bad prefix)");
		return buf;
	}
	p.family = (uint8_t)m->family;
	p.len = (uint8_t)m->len;
	memcpy(p.addr.bytes, m->addr.data, m->addr.len);
	if (size < PREFIX_STRLEN) {
		char tmp[PREFIX_STRLEN];

		snprintf(buf, size, "%s", prefix_fmt(&p, tmp, sizeof(tmp)));
		return buf;
	}
	return prefix_fmt(&p, buf, size);
}

char *
wire_nhg_fmt(const struct Cend__V1__NextHopGroup *g, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	if (g == NULL || g->n_next_hops == 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	for (size_t i = 0; i < g->n_next_hops && used < size; i++) {
		const Cend__V1__NextHop *nh = g->next_hops[i];
		const char *sep = i > 0 ? ", " : "";
		int w;

		if (nh->kind ==
		    CEND__V1__NEXT_HOP_KIND__NEXT_HOP_KIND_BLACKHOLE)
			w = snprintf(buf + used, size - used, "%sblackhole",
				     sep);
		else if (nh->kind ==
			 CEND__V1__NEXT_HOP_KIND__NEXT_HOP_KIND_REGION)
			w = snprintf(buf + used, size - used, "%sregion:%s",
				     sep, nh->id);
		else
			w = snprintf(buf + used, size - used, "%s%s", sep,
				     nh->id);
		if (w < 0)
			break;
		if (nh->weight > 1 && used + (size_t)w < size)
			w += snprintf(buf + used + w, size - used - w, "*%u",
				      nh->weight);
		used += (size_t)w;
	}
	return buf;
}

char *
wire_aspath_fmt(const uint32_t *asns, size_t n, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++) {
		int w = snprintf(buf + used, size - used, "%s%u",
				 i > 0 ? " " : "", asns[i]);

		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}
