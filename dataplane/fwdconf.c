/*
 * fwdconf.c - the forwarder's configuration file (fwdconf.h): YAML text to
 * struct fwdconf.
 *
 * libyaml loads the document (yaml_parser_load) into its graph of nodes,
 * each with its source position, and the walk below reads it with one
 * function per kind of mapping.  As in core/model_yaml.c the walk never
 * stops at the first problem: each one is reported through cen_err_add as
 * "line N: PATH: what is wrong", so one run shows everything to fix.
 *
 * Checks that span entries (an attachment, an interface or an (interface,
 * VLAN) given twice, a second backbone port, two peers for one region) are
 * made as each entry is read, against the entries before it, so the message
 * points at the second one and names the first.  `ports` is read after the
 * other top-level fields, whatever their order, so that a backbone peer can
 * be checked against the forwarder's own region.
 *
 * Aliases are refused: libyaml resolves one to the node it names, which
 * would then be read twice (and may be its own ancestor).
 *
 * fwdconf_load_file, at the end, is the only I/O.
 */
#include "dataplane/fwdconf.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/model.h"

#define FC_PATH_MAX   256 /* field path in messages */
#define FC_SHOW	      48  /* characters of a bad value quoted */
#define FC_FIELDS_MAX 16  /* fields of one mapping */
#define FC_FILE_MAX   (16u << 20)
#define FC_DIR_MAX    4096 /* PATH_MAX */

/* The parse of one document. */
struct ctx {
	yaml_document_t doc;
	struct fwdconf *c;
	struct cen_err *err;
	int rc; /* -CEN_EINVAL, or -CEN_ENOMEM once memory ran out */
	bool region_ok;
	char path[FC_PATH_MAX];
	size_t plen;
};

static yaml_node_t *
node(struct ctx *x, int i)
{
	return yaml_document_get_node(&x->doc, i);
}

static int
mark_line(const yaml_mark_t *m)
{
	return m->line >= INT_MAX ? INT_MAX : (int)m->line + 1;
}

static int
line_of(const yaml_node_t *y)
{
	return mark_line(&y->start_mark);
}

/* ------------------------------------------------------------------------
 * Error reporting.
 */

static void
vreport(struct ctx *x, int line, int code, bool with_path, const char *fmt,
	va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (x->rc == 0 || code == -CEN_ENOMEM)
		x->rc = code;
	if (with_path && x->plen > 0)
		cen_err_add(x->err, code, "line %d: %s: %s", line, x->path,
			    msg);
	else
		cen_err_add(x->err, code, "line %d: %s", line, msg);
}

/* An error about the document as a whole, at a line. */
static void __attribute__((format(printf, 3, 4)))
lerr(struct ctx *x, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(x, line, -CEN_EINVAL, false, fmt, ap);
	va_end(ap);
}

/* An error at a line, named by the current field path. */
static void __attribute__((format(printf, 3, 4)))
ferr_at(struct ctx *x, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(x, line, -CEN_EINVAL, true, fmt, ap);
	va_end(ap);
}

/* An error about node y, named by the current field path. */
static void __attribute__((format(printf, 3, 4)))
ferr(struct ctx *x, const yaml_node_t *y, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(x, line_of(y), -CEN_EINVAL, true, fmt, ap);
	va_end(ap);
}

static void
nomem(struct ctx *x, int line)
{
	if (x->rc != -CEN_ENOMEM)
		cen_err_add(x->err, -CEN_ENOMEM, "line %d: out of memory",
			    line);
	x->rc = -CEN_ENOMEM;
}

/* Copies s[0..len) into buf as a readable, bounded quotation body. */
static char *
show(const char *s, size_t len, char *buf, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 8 < size; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (i == FC_SHOW) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (ch == '"' || ch == '\\')
			o += (size_t)snprintf(buf + o, size - o, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	buf[o] = '\0';
	return buf;
}

static const char *
sval(const yaml_node_t *y)
{
	return (const char *)y->data.scalar.value;
}

static bool
is_plain(const yaml_node_t *y)
{
	return y->type == YAML_SCALAR_NODE &&
	       y->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static bool
is_null(const yaml_node_t *y)
{
	const char *s;

	if (!is_plain(y))
		return false;
	s = sval(y);
	return y->data.scalar.length == 0 || strcmp(s, "~") == 0 ||
	       strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	       strcmp(s, "NULL") == 0;
}

/* What a node is, for "expected X, got Y". */
static char *
describe(const yaml_node_t *y, char *buf, size_t size)
{
	char v[FC_SHOW * 4 + 8];

	if (y->type == YAML_SEQUENCE_NODE)
		snprintf(buf, size, "a list");
	else if (y->type == YAML_MAPPING_NODE)
		snprintf(buf, size, "a mapping");
	else if (is_null(y))
		snprintf(buf, size, "nothing (null)");
	else
		snprintf(buf, size, "%s\"%s\"",
			 is_plain(y) ? "" : "the quoted string ",
			 show(sval(y), y->data.scalar.length, v, sizeof(v)));
	return buf;
}

/* ------------------------------------------------------------------------
 * Field paths: "ports[1].vlans[0].vlan".
 */

static void __attribute__((format(printf, 2, 3)))
path_add(struct ctx *x, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (x->plen + 1 >= sizeof(x->path))
		return;
	va_start(ap, fmt);
	n = vsnprintf(x->path + x->plen, sizeof(x->path) - x->plen, fmt, ap);
	va_end(ap);
	if (n > 0)
		x->plen += (size_t)n;
	if (x->plen >= sizeof(x->path))
		x->plen = sizeof(x->path) - 1;
}

static void
path_trunc(struct ctx *x, size_t len)
{
	x->plen = len;
	x->path[len] = '\0';
}

static void
path_field(struct ctx *x, const char *name)
{
	path_add(x, x->plen > 0 ? ".%s" : "%s", name);
}

/* ------------------------------------------------------------------------
 * Typed values.  Each getter reports its own errors and returns whether it
 * stored a value.
 */

static bool
want_text(struct ctx *x, const yaml_node_t *y, const char *what)
{
	char d[FC_SHOW * 4 + 64];

	if (y->type == YAML_SCALAR_NODE && !is_null(y) &&
	    y->data.scalar.length > 0 &&
	    memchr(sval(y), '\0', y->data.scalar.length) == NULL)
		return true;
	ferr(x, y, "expected %s, got %s", what, describe(y, d, sizeof(d)));
	return false;
}

static void
bad_value(struct ctx *x, const yaml_node_t *y, const char *what)
{
	char d[FC_SHOW * 4 + 64];

	ferr(x, y, "expected %s, got %s", what, describe(y, d, sizeof(d)));
}

static bool
get_id(struct ctx *x, const yaml_node_t *y, char *dst)
{
	static const char what[] =
		"an ID (1..63 characters of A-Z a-z 0-9 . _ -, starting with "
		"a letter or digit)";

	if (!want_text(x, y, what))
		return false;
	if (!model_id_valid(sval(y))) {
		bad_value(x, y, what);
		return false;
	}
	memcpy(dst, sval(y), y->data.scalar.length + 1);
	return true;
}

/* As the kernel's dev_valid_name: 1..15 bytes, not "." or "..", no '/',
 * ':' or white space. */
static bool
get_ifname(struct ctx *x, const yaml_node_t *y, char *dst)
{
	static const char what[] = "an interface name (1..15 characters, "
				   "no '/', ':' or spaces)";
	const char *s;
	size_t i, n;

	if (!want_text(x, y, what))
		return false;
	s = sval(y);
	n = y->data.scalar.length;
	if (n >= FWDCONF_IFNAME_MAX || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		goto bad;
	for (i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || (unsigned char)s[i] <= ' ' ||
		    s[i] == 0x7f)
			goto bad;
	memcpy(dst, s, n + 1);
	return true;
bad:
	bad_value(x, y, what);
	return false;
}

/* An integer in min..max, written as a plain decimal scalar. */
static bool
get_uint(struct ctx *x, const yaml_node_t *y, unsigned min, unsigned max,
	 unsigned *out)
{
	char what[64];
	unsigned long v = 0;
	const char *s;
	size_t i, n;

	snprintf(what, sizeof(what), "an integer %u..%u", min, max);
	if (!want_text(x, y, what))
		return false;
	s = sval(y);
	n = y->data.scalar.length;
	if (!is_plain(y) || n > 10)
		goto bad;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			goto bad;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < min || v > max)
		goto bad;
	*out = (unsigned)v;
	return true;
bad:
	bad_value(x, y, what);
	return false;
}

/* An address with its length, "10.1.0.1/24": the address keeps its host
 * bits, and must not be the subnet's own (all host bits zero) address
 * unless the subnet is a /31, /32, /127 or /128. */
static bool
get_ifaddr(struct ctx *x, const yaml_node_t *y, struct prefix *out)
{
	static const char what[] =
		"an address with its length (10.1.0.1/24 or 2001:db8::1/64)";
	char a[64], v[FC_SHOW * 4 + 8], net[PREFIX_STRLEN];
	const char *s, *slash, *l;
	struct prefix p, canon;
	unsigned len = 0;
	size_t n, i;

	if (!want_text(x, y, what))
		return false;
	s = sval(y);
	slash = strchr(s, '/');
	if (slash == NULL)
		goto bad;
	n = (size_t)(slash - s);
	if (n >= sizeof(a))
		goto bad;
	memcpy(a, s, n);
	a[n] = '\0';
	if (prefix_parse_addr(&p, a) < 0)
		goto bad;
	l = slash + 1;
	if (l[0] == '\0' || (l[0] == '0' && l[1] != '\0'))
		goto bad;
	for (i = 0; l[i] != '\0'; i++) {
		if (l[i] < '0' || l[i] > '9' || i >= 3)
			goto bad;
		len = len * 10 + (unsigned)(l[i] - '0');
	}
	if (len > prefix_maxlen(p.family))
		goto bad;
	p.len = (uint8_t)len;
	canon = p;
	prefix_canon(&canon);
	if (len + 1 < prefix_maxlen(p.family) && prefix_equal(&canon, &p)) {
		ferr(x, y,
		     "\"%s\" is the subnet's own address; give this end's "
		     "address in %s with the length",
		     show(s, y->data.scalar.length, v, sizeof(v)),
		     prefix_fmt(&canon, net, sizeof(net)));
		return false;
	}
	*out = p;
	return true;
bad:
	bad_value(x, y, what);
	return false;
}

/* A host address: bare, or with the family's full length. */
static bool
get_addr(struct ctx *x, const yaml_node_t *y, struct prefix *out)
{
	static const char what[] = "an IP address";
	struct prefix p;

	if (!want_text(x, y, what))
		return false;
	if (prefix_parse(&p, sval(y), true) < 0 ||
	    p.len != prefix_maxlen(p.family)) {
		bad_value(x, y, what);
		return false;
	}
	*out = p;
	return true;
}

/* What is wrong with endpoint s ("HOST:PORT", "[V6]:PORT", "unix:/path"),
 * or NULL.  The rules of rpc_endpoint_parse (proto/rpc.c): literal
 * addresses only, ports 1..65535. */
static const char *
endpoint_problem(const char *s, size_t len)
{
	const char *port, *end;
	unsigned long v = 0;
	char host[64];
	struct prefix a;
	size_t n, i;

	if (len >= FWDCONF_ENDPOINT_MAX)
		return "longer than 107 characters";
	if (strncmp(s, "unix:", 5) == 0)
		return s[5] == '/' ? NULL
				   : "a socket's path is absolute "
				     "(unix:/run/cend.sock)";
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (end == NULL)
			return "']' missing after the IPv6 address";
		n = (size_t)(end - s - 1);
		if (n == 0 || n >= sizeof(host))
			return "no IPv6 address between the brackets";
		memcpy(host, s + 1, n);
		host[n] = '\0';
		if (prefix_parse_addr(&a, host) < 0 ||
		    a.family != PREFIX_AF_INET6)
			return "no IPv6 address between the brackets";
		if (end[1] != ':')
			return "port missing";
		port = end + 2;
	} else {
		end = strrchr(s, ':');
		if (end == NULL)
			return "port missing";
		if (strchr(s, ':') != end)
			return "put an IPv6 address in brackets ([::1]:7101)";
		n = (size_t)(end - s);
		if (n == 0 || n >= sizeof(host))
			return "no IPv4 address before the port";
		memcpy(host, s, n);
		host[n] = '\0';
		if (prefix_parse_addr(&a, host) < 0 ||
		    a.family != PREFIX_AF_INET)
			return "not an IPv4 address before the port (names "
			       "are not looked up)";
		port = end + 1;
	}
	if (port[0] == '\0')
		return "port missing";
	for (i = 0; port[i] != '\0'; i++) {
		if (port[i] < '0' || port[i] > '9' || i >= 5)
			return "port out of range 1..65535";
		v = v * 10 + (unsigned long)(port[i] - '0');
	}
	if (v == 0 || v > 65535)
		return "port out of range 1..65535";
	return NULL;
}

static bool
get_endpoint(struct ctx *x, const yaml_node_t *y, char *dst)
{
	static const char what[] =
		"an endpoint HOST:PORT, [IPv6]:PORT or unix:/path";
	char d[FC_SHOW * 4 + 64];
	const char *why;

	if (!want_text(x, y, what))
		return false;
	why = endpoint_problem(sval(y), y->data.scalar.length);
	if (why != NULL) {
		ferr(x, y, "expected %s, got %s: %s", what,
		     describe(y, d, sizeof(d)), why);
		return false;
	}
	memcpy(dst, sval(y), y->data.scalar.length + 1);
	return true;
}

/* ------------------------------------------------------------------------
 * Lists and mappings.
 */

/* Checks that y is a list of min..max items; returns its length, or -1
 * after reporting.  Nothing (`key:`) is an empty list. */
static long
want_seq(struct ctx *x, const yaml_node_t *y, size_t min, size_t max,
	 const char *items)
{
	char d[FC_SHOW * 4 + 64];
	size_t n;

	if (is_null(y)) {
		n = 0;
	} else if (y->type != YAML_SEQUENCE_NODE) {
		ferr(x, y, "expected a list of %s, got %s", items,
		     describe(y, d, sizeof(d)));
		return -1;
	} else {
		n = (size_t)(y->data.sequence.items.top -
			     y->data.sequence.items.start);
	}
	if (n < min) {
		ferr(x, y, "expected a list of %s, got %s", items,
		     is_null(y) ? "nothing (null)" : "an empty one");
		return -1;
	}
	if (n > max) {
		ferr(x, y, "%zu items, at most %zu", n, max);
		return -1;
	}
	return (long)n;
}

static yaml_node_t *
item(struct ctx *x, const yaml_node_t *seq, size_t k)
{
	return node(x, seq->data.sequence.items.start[k]);
}

static bool
want_map(struct ctx *x, const yaml_node_t *y)
{
	char d[FC_SHOW * 4 + 64];

	if (y->type == YAML_MAPPING_NODE)
		return true;
	ferr(x, y, "expected a mapping, got %s", describe(y, d, sizeof(d)));
	return false;
}

/* Iterates a mapping's fields against a table of known names, reporting
 * unknown, duplicate and non-scalar keys; sets the path to each field and
 * remembers the line of each field seen. */
struct fields {
	const char *const *names;
	size_t nnames;
	uint32_t seen;
	int line[FC_FIELDS_MAX];
	yaml_node_pair_t *next, *end;
	size_t base;
};

static void
fields_begin(struct ctx *x, struct fields *f, const yaml_node_t *map,
	     const char *const *names, size_t nnames)
{
	f->names = names;
	f->nnames = nnames;
	f->seen = 0;
	f->next = f->end = NULL;
	if (map->type == YAML_MAPPING_NODE) {
		f->next = map->data.mapping.pairs.start;
		f->end = map->data.mapping.pairs.top;
	}
	f->base = x->plen;
}

static void
unknown_field(struct ctx *x, struct fields *f, const yaml_node_t *k)
{
	char v[FC_SHOW * 4 + 8], list[512];
	size_t i, o = 0;

	list[0] = '\0';
	for (i = 0; i < f->nnames && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
				      i > 0 ? ", " : "", f->names[i]);
	ferr(x, k, "unknown field '%s'; expected one of: %s",
	     show(sval(k), k->data.scalar.length, v, sizeof(v)), list);
}

/* The index of the next known field, its value in *val; -1 at the end. */
static int
fields_next(struct ctx *x, struct fields *f, yaml_node_t **val)
{
	char d[FC_SHOW * 4 + 64];

	path_trunc(x, f->base);
	while (f->next != NULL && f->next < f->end) {
		yaml_node_t *k = node(x, f->next->key);
		yaml_node_t *v = node(x, f->next->value);
		size_t i;

		f->next++;
		if (k == NULL || v == NULL)
			continue;
		if (k->type != YAML_SCALAR_NODE || is_null(k)) {
			ferr(x, k, "expected a field name, got %s",
			     describe(k, d, sizeof(d)));
			continue;
		}
		for (i = 0; i < f->nnames; i++)
			if (strlen(f->names[i]) == k->data.scalar.length &&
			    memcmp(f->names[i], sval(k),
				   k->data.scalar.length) == 0)
				break;
		if (i == f->nnames) {
			unknown_field(x, f, k);
			continue;
		}
		if (f->seen & (UINT32_C(1) << i)) {
			ferr(x, k, "field '%s' given twice (first at line %d)",
			     f->names[i], f->line[i]);
			continue;
		}
		f->seen |= UINT32_C(1) << i;
		f->line[i] = line_of(k);
		path_field(x, f->names[i]);
		*val = v;
		return (int)i;
	}
	return -1;
}

static bool
fields_has(const struct fields *f, int i)
{
	return (f->seen & (UINT32_C(1) << i)) != 0;
}

/* Reports each field of the mask that mapping y left out. */
static void
fields_require(struct ctx *x, const struct fields *f, const yaml_node_t *y,
	       uint32_t mask)
{
	size_t i;

	path_trunc(x, f->base);
	for (i = 0; i < f->nnames; i++)
		if ((mask & (UINT32_C(1) << i)) && !fields_has(f, (int)i))
			ferr(x, y, "missing field '%s'", f->names[i]);
}

/* Field tables: X(ENUM, "name"). */
#define FC_ENUM(e, s) e,
#define FC_NAME(e, s) s,
#define FC_FIELDS(tag, LIST)                                                   \
	enum {                                                                 \
		LIST(FC_ENUM) tag##_N                                          \
	};                                                                     \
	static const char *const tag##_names[] = { LIST(FC_NAME) }

/* Walks the fields of mapping `map` named in table `tag`, setting fv to
 * each value and the path to each field; the body is a switch over the
 * table's enum. */
#define FOR_FIELDS(x, f, map, tag, fv)                                         \
	for (int fi_ = (fields_begin((x), (f), (map), tag##_names, tag##_N),   \
			-1);                                                   \
	     (fi_ = fields_next((x), (f), &(fv))) >= 0;)                       \
		switch (fi_)

#define BIT(i) (UINT32_C(1) << (i))

/* ------------------------------------------------------------------------
 * The sections.
 */

/* An attachment ID, not on any port read before (nor earlier on this
 * one: atts[0..a) of port k). */
static void
get_att_id(struct ctx *x, const yaml_node_t *y, size_t k, size_t a,
	   struct fwdconf_att *att)
{
	const struct fwdconf *c = x->c;
	size_t j, i;

	if (!get_id(x, y, att->id))
		return;
	for (j = 0; j <= k; j++) {
		const struct fwdconf_port *p = &c->ports[j];
		size_t n = j < k ? p->natts : a;

		for (i = 0; i < n && p->atts != NULL; i++) {
			char where[48] = "";

			if (strcmp(p->atts[i].id, att->id) != 0)
				continue;
			if (p->tagged)
				snprintf(where, sizeof(where), ".vlans[%zu]",
					 i);
			ferr(x, y,
			     "%s is already on ports[%zu]%s (line %d); an "
			     "attachment is on one port only",
			     att->id, j, where, p->atts[i].line);
			att->id[0] = '\0';
			return;
		}
	}
}

/* gateway: one address/len, or a list of them. */
static void
get_gateways(struct ctx *x, const yaml_node_t *y, struct fwdconf_att *att)
{
	size_t base = x->plen;
	long n;

	att->ngateway = 0;
	if (y->type == YAML_SCALAR_NODE && !is_null(y)) {
		if (get_ifaddr(x, y, &att->gateway[0]))
			att->ngateway = 1;
		return;
	}
	n = want_seq(x, y, 1, FWDCONF_GATEWAYS_MAX, "gateway addresses");
	for (long i = 0; i < n; i++) {
		path_add(x, "[%ld]", i);
		if (get_ifaddr(x, item(x, y, (size_t)i),
			       &att->gateway[att->ngateway]))
			att->ngateway++;
		path_trunc(x, base);
	}
}

/* A next hop lies on the subnet of one of the attachment's gateways of its
 * family and is not one of them.  With no gateway of its family given, the
 * model's is used: nothing to check here. */
static void
check_next_hop(struct ctx *x, const yaml_node_t *y, struct fwdconf_att *att)
{
	char a[PREFIX_STRLEN];
	size_t i;
	bool same = false, on = false;

	if (att->next_hop.family == 0)
		return;
	for (i = 0; i < att->ngateway; i++) {
		struct prefix net = att->gateway[i], own = att->gateway[i];

		if (net.family != att->next_hop.family)
			continue;
		same = true;
		own.len = att->next_hop.len;
		if (prefix_equal(&own, &att->next_hop)) {
			ferr(x, y, "%s is this end's gateway address",
			     prefix_fmt_addr(&att->next_hop, a, sizeof(a)));
			return;
		}
		prefix_canon(&net);
		if (prefix_contains(&net, &att->next_hop))
			on = true;
	}
	if (same && !on)
		ferr(x, y,
		     "%s is on none of the gateways' subnets; the next hop is "
		     "the neighbour on the VLAN",
		     prefix_fmt_addr(&att->next_hop, a, sizeof(a)));
}

/* Whether VLAN vlan is already one of atts[0..a) of port p (reported). */
static bool
vlan_taken(struct ctx *x, const yaml_node_t *y, const struct fwdconf_port *p,
	   size_t a, unsigned vlan)
{
	for (size_t i = 0; i < a; i++) {
		const struct fwdconf_att *o = &p->atts[i];

		if (!o->vlan_set || o->vlan != vlan)
			continue;
		if (o->id[0] != '\0')
			ferr(x, y,
			     "VLAN %u is already vlans[%zu] (%s, line %d)",
			     vlan, i, o->id, o->line);
		else
			ferr(x, y, "VLAN %u is already vlans[%zu] (line %d)",
			     vlan, i, o->line);
		return true;
	}
	return false;
}

/* clang-format off */
#define VLAN_FIELDS(X) \
	X(V_ATT, "attachment") \
	X(V_VLAN, "vlan") \
	X(V_GW, "gateway") \
	X(V_NH, "next_hop")
/* clang-format on */
FC_FIELDS(vlan, VLAN_FIELDS);

static void
parse_vlan(struct ctx *x, size_t k, size_t a, const yaml_node_t *y)
{
	struct fwdconf_port *p = &x->c->ports[k];
	struct fwdconf_att *att = &p->atts[a];
	yaml_node_t *v, *nh = NULL;
	struct fields f;
	unsigned vlan;

	att->line = line_of(y);
	FOR_FIELDS(x, &f, y, vlan, v)
	{
	case V_ATT:
		get_att_id(x, v, k, a, att);
		break;
	case V_VLAN:
		if (get_uint(x, v, 1, 4094, &vlan) &&
		    !vlan_taken(x, v, p, a, vlan)) {
			att->vlan = (uint16_t)vlan;
			att->vlan_set = true;
		}
		break;
	case V_GW:
		get_gateways(x, v, att);
		break;
	case V_NH:
		if (get_addr(x, v, &att->next_hop))
			nh = v;
		break;
	}
	fields_require(x, &f, y, BIT(V_ATT));
	if (nh != NULL) {
		path_field(x, "next_hop");
		check_next_hop(x, nh, att);
		path_trunc(x, f.base);
	}
}

static void
parse_vlans(struct ctx *x, size_t k, const yaml_node_t *y)
{
	struct fwdconf_port *p = &x->c->ports[k];
	size_t base = x->plen;
	long n;

	p->tagged = true;
	n = want_seq(x, y, 1, 4094, "VLANs");
	if (n <= 0)
		return;
	p->atts = calloc((size_t)n, sizeof(*p->atts));
	if (p->atts == NULL) {
		nomem(x, line_of(y));
		return;
	}
	p->natts = (size_t)n;
	for (size_t i = 0; i < (size_t)n; i++) {
		const yaml_node_t *it = item(x, y, i);

		path_add(x, "[%zu]", i);
		p->atts[i].line = line_of(it);
		if (want_map(x, it))
			parse_vlan(x, k, i, it);
		path_trunc(x, base);
	}
}

/* clang-format off */
#define PEER_FIELDS(X) \
	X(PE_REGION, "region") \
	X(PE_ADDRESS, "address")
/* clang-format on */
FC_FIELDS(peer, PEER_FIELDS);

static void
parse_peer(struct ctx *x, struct fwdconf_port *p, size_t i,
	   const yaml_node_t *y)
{
	struct fwdconf_peer *pe = &p->peers[i];
	char a[PREFIX_STRLEN];
	yaml_node_t *v;
	struct fields f;

	pe->line = line_of(y);
	FOR_FIELDS(x, &f, y, peer, v)
	{
	case PE_REGION:
		if (!get_id(x, v, pe->region))
			break;
		if (x->region_ok && strcmp(pe->region, x->c->region) == 0) {
			ferr(x, v,
			     "%s is this forwarder's own region; backbone "
			     "peers are other regions' forwarders",
			     pe->region);
			break;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->peers[j].region, pe->region) == 0) {
				ferr(x, v,
				     "region %s already has a peer "
				     "(peers[%zu], line %d)",
				     pe->region, j, p->peers[j].line);
				break;
			}
		break;
	case PE_ADDRESS:
		if (!get_addr(x, v, &pe->address))
			break;
		if (p->bb_address.family == 0)
			break;
		if (pe->address.family != p->bb_address.family) {
			ferr(x, v, "%s is IPv%u but backbone.address is IPv%u",
			     prefix_fmt_addr(&pe->address, a, sizeof(a)),
			     pe->address.family, p->bb_address.family);
		} else {
			struct prefix own = p->bb_address;

			own.len = pe->address.len;
			if (prefix_equal(&own, &pe->address))
				ferr(x, v,
				     "%s is this forwarder's own backbone "
				     "address",
				     prefix_fmt_addr(&pe->address, a,
						     sizeof(a)));
		}
		break;
	}
	fields_require(x, &f, y, BIT(PE_REGION) | BIT(PE_ADDRESS));
}

/* clang-format off */
#define BB_FIELDS(X) \
	X(BB_ADDRESS, "address") \
	X(BB_PEERS, "peers")
/* clang-format on */
FC_FIELDS(bb, BB_FIELDS);

static void
parse_backbone(struct ctx *x, size_t k, const yaml_node_t *y)
{
	struct fwdconf_port *p = &x->c->ports[k];
	yaml_node_t *v, *peers = NULL;
	struct fields f;
	long n;

	if (!want_map(x, y))
		return;
	/* peers after address, whatever the order: they are checked
	 * against it */
	FOR_FIELDS(x, &f, y, bb, v)
	{
	case BB_ADDRESS:
		get_ifaddr(x, v, &p->bb_address);
		break;
	case BB_PEERS:
		peers = v;
		break;
	}
	fields_require(x, &f, y, BIT(BB_ADDRESS) | BIT(BB_PEERS));
	if (peers == NULL)
		return;
	path_field(x, "peers");
	n = want_seq(x, peers, 1, 256, "peers");
	if (n > 0) {
		p->peers = calloc((size_t)n, sizeof(*p->peers));
		if (p->peers == NULL) {
			nomem(x, line_of(peers));
			return;
		}
		p->npeers = (size_t)n;
	}
	for (long i = 0; i < n; i++) {
		const yaml_node_t *it = item(x, peers, (size_t)i);
		size_t base = x->plen;

		path_add(x, "[%ld]", i);
		p->peers[i].line = line_of(it);
		if (want_map(x, it))
			parse_peer(x, p, (size_t)i, it);
		path_trunc(x, base);
	}
}

/* clang-format off */
#define PORT_FIELDS(X) \
	X(P_IF, "interface") \
	X(P_ATT, "attachment") \
	X(P_GW, "gateway") \
	X(P_NH, "next_hop") \
	X(P_VLANS, "vlans") \
	X(P_BB, "backbone")
/* clang-format on */
FC_FIELDS(port, PORT_FIELDS);

static void
parse_port(struct ctx *x, size_t k, const yaml_node_t *y)
{
	struct fwdconf *c = x->c;
	struct fwdconf_port *p = &c->ports[k];
	yaml_node_t *v, *att = NULL, *gw = NULL, *vlans = NULL, *bb = NULL;
	yaml_node_t *nh = NULL;
	struct fields f;
	int kinds;

	p->line = line_of(y);
	FOR_FIELDS(x, &f, y, port, v)
	{
	case P_IF:
		if (!get_ifname(x, v, p->ifname))
			break;
		for (size_t j = 0; j < k; j++)
			if (strcmp(c->ports[j].ifname, p->ifname) == 0) {
				ferr(x, v,
				     "%s is already ports[%zu] (line %d); "
				     "list an interface once (a tagged "
				     "one's VLANs under one vlans:)",
				     p->ifname, j, c->ports[j].line);
				break;
			}
		break;
	case P_ATT:
		att = v;
		break;
	case P_GW:
		gw = v;
		break;
	case P_NH:
		nh = v;
		break;
	case P_VLANS:
		vlans = v;
		break;
	case P_BB:
		bb = v;
		break;
	}
	fields_require(x, &f, y, BIT(P_IF));
	kinds = (att != NULL) + (vlans != NULL) + (bb != NULL);
	if (kinds == 0) {
		ferr(x, y,
		     "missing what the port carries: attachment (untagged), "
		     "vlans (tagged) or backbone");
		return;
	}
	if (kinds > 1) {
		const char *has[3];
		int n = 0;

		if (att != NULL)
			has[n++] = "attachment";
		if (vlans != NULL)
			has[n++] = "vlans";
		if (bb != NULL)
			has[n++] = "backbone";
		ferr(x, y,
		     "give one of attachment (untagged), vlans (tagged) or "
		     "backbone; this port has %s%s%s and %s",
		     has[0], n == 3 ? ", " : "", n == 3 ? has[1] : "",
		     has[n - 1]);
		return;
	}
	if (nh != NULL && att == NULL) {
		path_field(x, "next_hop");
		ferr_at(x, f.line[P_NH],
			"only for an untagged port (with attachment:); %s",
			vlans != NULL
				? "give a tagged port's next hops per VLAN"
				: "a backbone's next hops are its peers");
		path_trunc(x, f.base);
	}
	if (gw != NULL && att == NULL) {
		path_field(x, "gateway");
		ferr_at(x, f.line[P_GW],
			"only for an untagged port (with attachment:); %s",
			vlans != NULL ? "give a tagged port's gateways per VLAN"
				      : "the backbone's is backbone.address");
		path_trunc(x, f.base);
	}
	if (att != NULL) {
		p->atts = calloc(1, sizeof(*p->atts));
		if (p->atts == NULL) {
			nomem(x, p->line);
			return;
		}
		p->natts = 1;
		p->atts[0].line = f.line[P_ATT];
		path_field(x, "attachment");
		get_att_id(x, att, k, 0, &p->atts[0]);
		path_trunc(x, f.base);
		if (gw != NULL) {
			path_field(x, "gateway");
			get_gateways(x, gw, &p->atts[0]);
			path_trunc(x, f.base);
		}
		if (nh != NULL) {
			path_field(x, "next_hop");
			if (get_addr(x, nh, &p->atts[0].next_hop))
				check_next_hop(x, nh, &p->atts[0]);
			path_trunc(x, f.base);
		}
	} else if (vlans != NULL) {
		path_field(x, "vlans");
		parse_vlans(x, k, vlans);
		path_trunc(x, f.base);
	} else {
		for (size_t j = 0; j < k; j++)
			if (c->ports[j].backbone) {
				path_field(x, "backbone");
				ferr_at(x, f.line[P_BB],
					"a second backbone port (the first is "
					"ports[%zu], line %d); a forwarder has "
					"one",
					j, c->ports[j].line);
				path_trunc(x, f.base);
				break;
			}
		p->backbone = true;
		path_field(x, "backbone");
		parse_backbone(x, k, bb);
		path_trunc(x, f.base);
	}
}

static void
parse_ports(struct ctx *x, const yaml_node_t *y)
{
	struct fwdconf *c = x->c;
	size_t base = x->plen;
	long n;

	n = want_seq(x, y, 1, FWDCONF_PORTS_MAX, "ports");
	if (n <= 0)
		return;
	c->ports = calloc((size_t)n, sizeof(*c->ports));
	if (c->ports == NULL) {
		nomem(x, line_of(y));
		return;
	}
	c->nports = (size_t)n;
	for (size_t k = 0; k < (size_t)n; k++) {
		const yaml_node_t *it = item(x, y, k);

		path_add(x, "[%zu]", k);
		c->ports[k].line = line_of(it);
		if (want_map(x, it))
			parse_port(x, k, it);
		path_trunc(x, base);
	}
}

/* cluster: one endpoint, or a list of them. */
static void
parse_cluster(struct ctx *x, const yaml_node_t *y)
{
	struct fwdconf *c = x->c;
	size_t base = x->plen;
	long n;

	if (y->type == YAML_SCALAR_NODE && !is_null(y)) {
		c->cluster = calloc(1, sizeof(*c->cluster));
		if (c->cluster == NULL) {
			nomem(x, line_of(y));
			return;
		}
		if (get_endpoint(x, y, c->cluster[0]))
			c->ncluster = 1;
		return;
	}
	n = want_seq(x, y, 1, FWDCONF_CLUSTER_MAX, "endpoints");
	if (n <= 0)
		return;
	c->cluster = calloc((size_t)n, sizeof(*c->cluster));
	if (c->cluster == NULL) {
		nomem(x, line_of(y));
		return;
	}
	for (long i = 0; i < n; i++) {
		const yaml_node_t *it = item(x, y, (size_t)i);
		char *ep = c->cluster[c->ncluster];

		path_add(x, "[%ld]", i);
		if (get_endpoint(x, it, ep)) {
			size_t j;

			for (j = 0; j < c->ncluster; j++)
				if (strcmp(c->cluster[j], ep) == 0)
					break;
			if (j < c->ncluster)
				ferr(x, it, "%s is listed twice", ep);
			else
				c->ncluster++;
		}
		path_trunc(x, base);
	}
}

static void
get_io(struct ctx *x, const yaml_node_t *y, uint8_t *out)
{
	static const char what[] = "one of afpacket, xdp, memory";
	uint8_t i;

	if (!want_text(x, y, what))
		return;
	for (i = 0; i <= FWDCONF_IO_MEMORY; i++)
		if (strcmp(sval(y), fwdconf_io_str(i)) == 0) {
			*out = i;
			return;
		}
	bad_value(x, y, what);
}

static void
get_dir(struct ctx *x, const yaml_node_t *y, char **out)
{
	if (!want_text(x, y, "a directory"))
		return;
	if (y->data.scalar.length >= FC_DIR_MAX) {
		ferr(x, y, "%zu characters long, at most %d",
		     y->data.scalar.length, FC_DIR_MAX - 1);
		return;
	}
	*out = strdup(sval(y));
	if (*out == NULL)
		nomem(x, line_of(y));
}

/* clang-format off */
#define TOP_FIELDS(X) \
	X(T_ID, "id") \
	X(T_REGION, "region") \
	X(T_CLUSTER, "cluster") \
	X(T_DATA_DIR, "data_dir") \
	X(T_API, "api") \
	X(T_IO, "io") \
	X(T_PORTS, "ports")
/* clang-format on */
FC_FIELDS(top, TOP_FIELDS);

static void
parse_top(struct ctx *x, const yaml_node_t *y)
{
	struct fwdconf *c = x->c;
	yaml_node_t *v, *ports = NULL;
	struct fields f;

	if (is_null(y)) {
		/* "---" and comments only: there is nothing to point at */
		lerr(x, 1,
		     "the file is empty; expected a mapping with id, region, "
		     "cluster and ports");
		return;
	}
	if (y->type != YAML_MAPPING_NODE) {
		char d[FC_SHOW * 4 + 64];

		lerr(x, line_of(y),
		     "expected a mapping with id, region, cluster and ports, "
		     "got %s",
		     describe(y, d, sizeof(d)));
		return;
	}
	FOR_FIELDS(x, &f, y, top, v)
	{
	case T_ID:
		get_id(x, v, c->id);
		break;
	case T_REGION:
		x->region_ok = get_id(x, v, c->region);
		break;
	case T_CLUSTER:
		parse_cluster(x, v);
		break;
	case T_DATA_DIR:
		get_dir(x, v, &c->data_dir);
		break;
	case T_API:
		get_endpoint(x, v, c->api);
		break;
	case T_IO:
		get_io(x, v, &c->io);
		break;
	case T_PORTS:
		ports = v;
		break;
	}
	fields_require(x, &f, y,
		       BIT(T_ID) | BIT(T_REGION) | BIT(T_CLUSTER) |
			       BIT(T_PORTS));
	if (ports != NULL) {
		path_field(x, "ports");
		parse_ports(x, ports);
		path_trunc(x, 0);
	}
}

/* ------------------------------------------------------------------------
 * The document.
 */

/* Line of a reader error, which libyaml gives as a byte offset. */
static int
offset_line(const char *buf, size_t len, size_t off)
{
	size_t i;
	int line = 1;

	for (i = 0; i < off && i < len; i++)
		if (buf[i] == '\n' && line < INT_MAX)
			line++;
	return line;
}

static void
syntax_error(struct ctx *x, const yaml_parser_t *p, const char *buf, size_t len)
{
	const char *problem = p->problem ? p->problem : "invalid YAML";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		nomem(x, 1);
		break;
	case YAML_READER_ERROR:
		lerr(x, offset_line(buf, len, p->problem_offset),
		     "byte %zu: %s", p->problem_offset + 1, problem);
		break;
	default:
		if (p->context != NULL)
			lerr(x, mark_line(&p->problem_mark),
			     "column %zu: %s (%s at line %d)",
			     p->problem_mark.column + 1, problem, p->context,
			     mark_line(&p->context_mark));
		else
			lerr(x, mark_line(&p->problem_mark), "column %zu: %s",
			     p->problem_mark.column + 1, problem);
		break;
	}
}

/* Counts a reference to node i; the second one is an alias (reported
 * once per node).  False when i was already reached. */
static bool
reach(struct ctx *x, uint8_t *refs, size_t n, int i)
{
	if (i < 1 || (size_t)i > n)
		return true;
	if (refs[i] == 0) {
		refs[i] = 1;
		return true;
	}
	if (refs[i] == 1)
		lerr(x, line_of(node(x, i)),
		     "this node is used again through an alias; aliases are "
		     "not supported");
	refs[i] = 2;
	return false;
}

/* Refuses a document in which a node is reached twice (through an alias,
 * maybe from inside itself); true when there is none. */
static bool
no_aliases(struct ctx *x)
{
	size_t n = (size_t)(x->doc.nodes.top - x->doc.nodes.start), i;
	uint8_t *refs;
	bool ok = true;

	refs = calloc(n + 1, 1);
	if (refs == NULL) {
		nomem(x, 1);
		return false;
	}
	refs[1] = 1; /* the root, node 1 */
	for (i = 0; i < n; i++) {
		const yaml_node_t *y = &x->doc.nodes.start[i];
		const yaml_node_item_t *it;
		const yaml_node_pair_t *pr;

		if (y->type == YAML_SEQUENCE_NODE) {
			for (it = y->data.sequence.items.start;
			     it < y->data.sequence.items.top; it++)
				ok &= reach(x, refs, n, *it);
		} else if (y->type == YAML_MAPPING_NODE) {
			for (pr = y->data.mapping.pairs.start;
			     pr < y->data.mapping.pairs.top; pr++) {
				ok &= reach(x, refs, n, pr->key);
				ok &= reach(x, refs, n, pr->value);
			}
		}
	}
	free(refs);
	return ok;
}

int
fwdconf_parse(struct fwdconf *c, const char *buf, size_t len,
	      struct cen_err *err)
{
	yaml_document_t next;
	yaml_parser_t p;
	yaml_node_t *root;
	struct ctx *x;
	int rc;

	fwdconf_free(c);
	if (buf == NULL)
		buf = "", len = 0;
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return cen_err_add(err, -CEN_ENOMEM, "line 1: out of memory"),
		       -CEN_ENOMEM;
	x->c = c;
	x->err = err;
	if (!yaml_parser_initialize(&p)) {
		free(x);
		return cen_err_add(err, -CEN_ENOMEM, "line 1: out of memory"),
		       -CEN_ENOMEM;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&p, &x->doc)) {
		syntax_error(x, &p, buf, len);
		goto out;
	}
	root = yaml_document_get_root_node(&x->doc);
	if (root == NULL) {
		lerr(x, 1,
		     "the file is empty; expected a mapping with id, region, "
		     "cluster and ports");
	} else {
		if (no_aliases(x))
			parse_top(x, root);
		/* one document only: the next load must find the end */
		if (!yaml_parser_load(&p, &next)) {
			syntax_error(x, &p, buf, len);
		} else {
			if (yaml_document_get_root_node(&next) != NULL)
				lerr(x, mark_line(&next.start_mark),
				     "a second YAML document; the file holds "
				     "one");
			yaml_document_delete(&next);
		}
	}
	yaml_document_delete(&x->doc);
out:
	yaml_parser_delete(&p);
	rc = x->rc;
	free(x);
	return rc;
}

/* ------------------------------------------------------------------------
 * The rest of the API.
 */

void
fwdconf_init(struct fwdconf *c)
{
	memset(c, 0, sizeof(*c));
	c->io = FWDCONF_IO_AFPACKET;
}

void
fwdconf_free(struct fwdconf *c)
{
	size_t i;

	for (i = 0; i < c->nports; i++) {
		free(c->ports[i].atts);
		free(c->ports[i].peers);
	}
	free(c->ports);
	free(c->cluster);
	free(c->data_dir);
	fwdconf_init(c);
}

const char *
fwdconf_io_str(uint8_t io)
{
	switch (io) {
	case FWDCONF_IO_AFPACKET:
		return "afpacket";
	case FWDCONF_IO_XDP:
		return "xdp";
	case FWDCONF_IO_MEMORY:
		return "memory";
	default:
		return "unknown";
	}
}

const struct fwdconf_att *
fwdconf_find_att(const struct fwdconf *c, const char *id,
		 const struct fwdconf_port **port)
{
	size_t i, j;

	for (i = 0; i < c->nports; i++)
		for (j = 0; j < c->ports[i].natts; j++)
			if (strcmp(c->ports[i].atts[j].id, id) == 0) {
				if (port != NULL)
					*port = &c->ports[i];
				return &c->ports[i].atts[j];
			}
	if (port != NULL)
		*port = NULL;
	return NULL;
}

int
fwdconf_load_file(struct fwdconf *c, const char *path, struct cen_err *err)
{
	size_t len = 0, cap = 0, n;
	char *buf = NULL, *p;
	FILE *f;
	int rc;

	f = fopen(path, "rb");
	if (f == NULL)
		return cen_err_add(err, -CEN_EIO, "%s: %s", path,
				   strerror(errno)),
		       -CEN_EIO;
	for (;;) {
		if (len == cap) {
			if (cap >= FC_FILE_MAX) {
				cen_err_add(err, -CEN_ETOOBIG,
					    "%s: larger than %u bytes", path,
					    FC_FILE_MAX);
				rc = -CEN_ETOOBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 16384;
			p = realloc(buf, cap);
			if (p == NULL) {
				cen_err_add(err, -CEN_ENOMEM,
					    "%s: out of memory", path);
				rc = -CEN_ENOMEM;
				goto out;
			}
			buf = p;
		}
		errno = 0;
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		cen_err_add(err, -CEN_EIO, "%s: %s", path,
			    errno != 0 ? strerror(errno) : "read error");
		rc = -CEN_EIO;
		goto out;
	}
	rc = fwdconf_parse(c, buf, len, err);
out:
	free(buf);
	fclose(f);
	return rc;
}
