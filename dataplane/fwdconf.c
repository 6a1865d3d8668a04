/*
 * fwdconf.c - the forwarder's configuration file (fwdconf.h): YAML text to
 * struct fwdconf.
 *
 * core/ydoc.c loads the document into a tree of nodes, each with its
 * source line, and the walk below reads it with one function per kind of
 * mapping.  As in core/model_yaml.c the walk never stops at the first
 * problem: each one is reported through cen_err_add as "line N: PATH: what
 * is wrong", so one run shows everything to fix.
 *
 * Checks that span entries (an attachment, an interface or an (interface,
 * VLAN) given twice, a second backbone port, two peers for one region) are
 * made as each entry is read, against the entries before it, so the message
 * points at the second one and names the first.  `ports` is read after the
 * other top-level fields, whatever their order, so that a backbone peer can
 * be checked against the forwarder's own region.
 *
 * Aliases are refused: one names a node that would then be read twice (and
 * may be its own ancestor).
 *
 * fwdconf_load_file, at the end, is the only I/O.
 */
#include "dataplane/fwdconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "core/ydoc.h"

#define FC_DIR_MAX 4096 /* PATH_MAX */

/* This format's conventions (ydoc.h): it was first read with libyaml's
 * loader, whose checks and messages it keeps. */
static const struct ydoc_conv conv = {
	.code_syntax = -CEN_EINVAL,
	.code_type = -CEN_EINVAL,
	.code_range = -CEN_EINVAL,
	.code_size = -CEN_EINVAL,
	.compose = true,
	.second_doc_read = true,
	.file_max = 16 << 20,
	.read_errno = true,
	.second_doc = "a second YAML document; the file holds one",
	.nomem_once = true,
	.dup_line = true,
	.int_digits = true,
};

/* The parse of one document. */
struct ctx {
	struct ydoc d;
	struct fwdconf *c;
	bool region_ok;
};

/* ------------------------------------------------------------------------
 * Typed values.  Each getter reports its own errors and returns whether it
 * stored a value.
 */

static bool
get_id(struct ctx *x, const struct ynode *y, char *dst)
{
	static const char what[] =
		"an ID (1..63 characters of A-Z a-z 0-9 . _ -, starting with "
		"a letter or digit)";

	if (!ydoc_want_text(&x->d, y, what, false))
		return false;
	if (!model_id_valid(y->str)) {
		ydoc_bad(&x->d, y, what);
		return false;
	}
	memcpy(dst, y->str, y->len + 1);
	return true;
}

/* As the kernel's dev_valid_name: 1..15 bytes, not "." or "..", no '/',
 * ':' or white space. */
static bool
get_ifname(struct ctx *x, const struct ynode *y, char *dst)
{
	static const char what[] = "an interface name (1..15 characters, "
				   "no '/', ':' or spaces)";
	const char *s;
	size_t i, n;

	if (!ydoc_want_text(&x->d, y, what, false))
		return false;
	s = y->str;
	n = y->len;
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
	ydoc_bad(&x->d, y, what);
	return false;
}

/* An address with its length, "10.1.0.1/24": the address keeps its host
 * bits, and must not be the subnet's own (all host bits zero) address
 * unless the subnet is a /31, /32, /127 or /128. */
static bool
get_ifaddr(struct ctx *x, const struct ynode *y, struct prefix *out)
{
	static const char what[] =
		"an address with its length (10.1.0.1/24 or 2001:db8::1/64)";
	char v[YDOC_QUOTE_MAX], net[PREFIX_STRLEN];
	struct prefix p, canon;

	if (!ydoc_want_text(&x->d, y, what, false))
		return false;
	if (ydoc_parse_ifaddr(y->str, y->len, true, &p) < 0) {
		ydoc_bad(&x->d, y, what);
		return false;
	}
	canon = p;
	prefix_canon(&canon);
	if ((unsigned)p.len + 1 < prefix_maxlen(p.family) &&
	    prefix_equal(&canon, &p)) {
		ydoc_ferr(&x->d, y, -CEN_EINVAL,
			  "\"%s\" is the subnet's own address; give this end's "
			  "address in %s with the length",
			  ydoc_show(y->str, y->len, v, sizeof(v)),
			  prefix_fmt(&canon, net, sizeof(net)));
		return false;
	}
	*out = p;
	return true;
}

/* A host address: bare, or with the family's full length. */
static bool
get_addr(struct ctx *x, const struct ynode *y, struct prefix *out)
{
	static const char what[] = "an IP address";

	if (!ydoc_want_text(&x->d, y, what, false))
		return false;
	if (ydoc_parse_addr(y->str, out) < 0) {
		ydoc_bad(&x->d, y, what);
		return false;
	}
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
get_endpoint(struct ctx *x, const struct ynode *y, char *dst)
{
	static const char what[] =
		"an endpoint HOST:PORT, [IPv6]:PORT or unix:/path";
	char d[YDOC_DESC_MAX];
	const char *why;

	if (!ydoc_want_text(&x->d, y, what, false))
		return false;
	why = endpoint_problem(y->str, y->len);
	if (why != NULL) {
		ydoc_ferr(&x->d, y, -CEN_EINVAL, "expected %s, got %s: %s",
			  what, ydoc_describe(y, d, sizeof(d)), why);
		return false;
	}
	memcpy(dst, y->str, y->len + 1);
	return true;
}

/* ------------------------------------------------------------------------
 * Lists and mappings.
 */

/* ------------------------------------------------------------------------
 * The sections.
 */

/* An attachment ID, not on any port read before (nor earlier on this
 * one: atts[0..a) of port k). */
static void
get_att_id(struct ctx *x, const struct ynode *y, size_t k, size_t a,
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
			ydoc_ferr(&x->d, y, -CEN_EINVAL,
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
get_gateways(struct ctx *x, const struct ynode *y, struct fwdconf_att *att)
{
	const struct ynode *it;
	size_t base = x->d.plen;
	long n;

	att->ngateway = 0;
	if (y->kind == YDOC_SCALAR && !ydoc_is_null(y)) {
		if (get_ifaddr(x, y, &att->gateway[0]))
			att->ngateway = 1;
		return;
	}
	n = ydoc_want_seq(&x->d, y, 1, FWDCONF_GATEWAYS_MAX,
			  "gateway addresses");
	it = ydoc_first(&x->d, y);
	for (long i = 0; i < n; i++, it = ydoc_next(&x->d, it)) {
		ydoc_path_add(&x->d, "[%ld]", i);
		if (get_ifaddr(x, it, &att->gateway[att->ngateway]))
			att->ngateway++;
		ydoc_path_trunc(&x->d, base);
	}
}

/* A next hop lies on the subnet of one of the attachment's gateways of its
 * family and is not one of them.  With no gateway of its family given, the
 * model's is used: nothing to check here. */
static void
check_next_hop(struct ctx *x, const struct ynode *y, struct fwdconf_att *att)
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
			ydoc_ferr(
				&x->d, y, -CEN_EINVAL,
				"%s is this end's gateway address",
				prefix_fmt_addr(&att->next_hop, a, sizeof(a)));
			return;
		}
		prefix_canon(&net);
		if (prefix_contains(&net, &att->next_hop))
			on = true;
	}
	if (same && !on)
		ydoc_ferr(&x->d, y, -CEN_EINVAL,
			  "%s is on none of the gateways' subnets; the next "
			  "hop is "
			  "the neighbour on the VLAN",
			  prefix_fmt_addr(&att->next_hop, a, sizeof(a)));
}

/* Whether VLAN vlan is already one of atts[0..a) of port p (reported). */
static bool
vlan_taken(struct ctx *x, const struct ynode *y, const struct fwdconf_port *p,
	   size_t a, unsigned vlan)
{
	for (size_t i = 0; i < a; i++) {
		const struct fwdconf_att *o = &p->atts[i];

		if (!o->vlan_set || o->vlan != vlan)
			continue;
		if (o->id[0] != '\0')
			ydoc_ferr(&x->d, y, -CEN_EINVAL,
				  "VLAN %u is already vlans[%zu] (%s, line %d)",
				  vlan, i, o->id, o->line);
		else
			ydoc_ferr(&x->d, y, -CEN_EINVAL,
				  "VLAN %u is already vlans[%zu] (line %d)",
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
YDOC_FIELDS(vlan, VLAN_FIELDS);

static void
parse_vlan(struct ctx *x, size_t k, size_t a, const struct ynode *y)
{
	struct fwdconf_port *p = &x->c->ports[k];
	struct fwdconf_att *att = &p->atts[a];
	const struct ynode *v, *nh = NULL;
	struct ydoc_fields f;
	uint64_t vlan;

	att->line = y->line;
	YDOC_FOR_FIELDS(&x->d, &f, y, vlan, v)
	{
	case V_ATT:
		get_att_id(x, v, k, a, att);
		break;
	case V_VLAN:
		if (ydoc_uint(&x->d, v, 1, 4094, NULL, &vlan) &&
		    !vlan_taken(x, v, p, a, (unsigned)vlan)) {
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
	ydoc_fields_require(&x->d, &f, y, YDOC_BIT(V_ATT));
	if (nh != NULL) {
		ydoc_path_field(&x->d, "next_hop");
		check_next_hop(x, nh, att);
		ydoc_path_trunc(&x->d, f.base);
	}
}

static void
parse_vlans(struct ctx *x, size_t k, const struct ynode *y)
{
	struct fwdconf_port *p = &x->c->ports[k];
	const struct ynode *it;
	size_t base = x->d.plen;
	long n;

	p->tagged = true;
	n = ydoc_want_seq(&x->d, y, 1, 4094, "VLANs");
	if (n <= 0)
		return;
	p->atts = calloc((size_t)n, sizeof(*p->atts));
	if (p->atts == NULL) {
		ydoc_nomem(&x->d, y->line);
		return;
	}
	p->natts = (size_t)n;
	it = ydoc_first(&x->d, y);
	for (size_t i = 0; i < (size_t)n; i++, it = ydoc_next(&x->d, it)) {
		ydoc_path_add(&x->d, "[%zu]", i);
		p->atts[i].line = it->line;
		if (ydoc_want_map(&x->d, it, false))
			parse_vlan(x, k, i, it);
		ydoc_path_trunc(&x->d, base);
	}
}

/* clang-format off */
#define PEER_FIELDS(X) \
	X(PE_REGION, "region") \
	X(PE_ADDRESS, "address")
/* clang-format on */
YDOC_FIELDS(peer, PEER_FIELDS);

static void
parse_peer(struct ctx *x, struct fwdconf_port *p, size_t i,
	   const struct ynode *y)
{
	struct fwdconf_peer *pe = &p->peers[i];
	char a[PREFIX_STRLEN];
	const struct ynode *v;
	struct ydoc_fields f;

	pe->line = y->line;
	YDOC_FOR_FIELDS(&x->d, &f, y, peer, v)
	{
	case PE_REGION:
		if (!get_id(x, v, pe->region))
			break;
		if (x->region_ok && strcmp(pe->region, x->c->region) == 0) {
			ydoc_ferr(&x->d, v, -CEN_EINVAL,
				  "%s is this forwarder's own region; backbone "
				  "peers are other regions' forwarders",
				  pe->region);
			break;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->peers[j].region, pe->region) == 0) {
				ydoc_ferr(&x->d, v, -CEN_EINVAL,
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
			ydoc_ferr(&x->d, v, -CEN_EINVAL,
				  "%s is IPv%u but backbone.address is IPv%u",
				  prefix_fmt_addr(&pe->address, a, sizeof(a)),
				  pe->address.family, p->bb_address.family);
		} else {
			struct prefix own = p->bb_address;

			own.len = pe->address.len;
			if (prefix_equal(&own, &pe->address))
				ydoc_ferr(&x->d, v, -CEN_EINVAL,
					  "%s is this forwarder's own backbone "
					  "address",
					  prefix_fmt_addr(&pe->address, a,
							  sizeof(a)));
		}
		break;
	}
	ydoc_fields_require(&x->d, &f, y,
			    YDOC_BIT(PE_REGION) | YDOC_BIT(PE_ADDRESS));
}

/* clang-format off */
#define BB_FIELDS(X) \
	X(BB_ADDRESS, "address") \
	X(BB_PEERS, "peers")
/* clang-format on */
YDOC_FIELDS(bb, BB_FIELDS);

static void
parse_backbone(struct ctx *x, size_t k, const struct ynode *y)
{
	struct fwdconf_port *p = &x->c->ports[k];
	const struct ynode *it;
	const struct ynode *v, *peers = NULL;
	struct ydoc_fields f;
	long n;

	if (!ydoc_want_map(&x->d, y, false))
		return;
	/* peers after address, whatever the order: they are checked
	 * against it */
	YDOC_FOR_FIELDS(&x->d, &f, y, bb, v)
	{
	case BB_ADDRESS:
		get_ifaddr(x, v, &p->bb_address);
		break;
	case BB_PEERS:
		peers = v;
		break;
	}
	ydoc_fields_require(&x->d, &f, y,
			    YDOC_BIT(BB_ADDRESS) | YDOC_BIT(BB_PEERS));
	if (peers == NULL)
		return;
	ydoc_path_field(&x->d, "peers");
	n = ydoc_want_seq(&x->d, peers, 1, 256, "peers");
	if (n > 0) {
		p->peers = calloc((size_t)n, sizeof(*p->peers));
		if (p->peers == NULL) {
			ydoc_nomem(&x->d, peers->line);
			return;
		}
		p->npeers = (size_t)n;
	}
	it = ydoc_first(&x->d, peers);
	for (long i = 0; i < n; i++, it = ydoc_next(&x->d, it)) {
		size_t base = x->d.plen;

		ydoc_path_add(&x->d, "[%ld]", i);
		p->peers[i].line = it->line;
		if (ydoc_want_map(&x->d, it, false))
			parse_peer(x, p, (size_t)i, it);
		ydoc_path_trunc(&x->d, base);
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
YDOC_FIELDS(port, PORT_FIELDS);

static void
parse_port(struct ctx *x, size_t k, const struct ynode *y)
{
	struct fwdconf *c = x->c;
	struct fwdconf_port *p = &c->ports[k];
	const struct ynode *v, *att = NULL, *gw = NULL, *vlans = NULL,
			       *bb = NULL;
	const struct ynode *nh = NULL;
	struct ydoc_fields f;
	int kinds;

	p->line = y->line;
	YDOC_FOR_FIELDS(&x->d, &f, y, port, v)
	{
	case P_IF:
		if (!get_ifname(x, v, p->ifname))
			break;
		for (size_t j = 0; j < k; j++)
			if (strcmp(c->ports[j].ifname, p->ifname) == 0) {
				ydoc_ferr(&x->d, v, -CEN_EINVAL,
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
	ydoc_fields_require(&x->d, &f, y, YDOC_BIT(P_IF));
	kinds = (att != NULL) + (vlans != NULL) + (bb != NULL);
	if (kinds == 0) {
		ydoc_ferr(
			&x->d, y, -CEN_EINVAL,
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
		ydoc_ferr(
			&x->d, y, -CEN_EINVAL,
			"give one of attachment (untagged), vlans (tagged) or "
			"backbone; this port has %s%s%s and %s",
			has[0], n == 3 ? ", " : "", n == 3 ? has[1] : "",
			has[n - 1]);
		return;
	}
	if (nh != NULL && att == NULL) {
		ydoc_path_field(&x->d, "next_hop");
		ydoc_ferr_at(&x->d, f.line[P_NH], -CEN_EINVAL,
			     "only for an untagged port (with attachment:); %s",
			     vlans != NULL
				     ? "give a tagged port's next hops per VLAN"
				     : "a backbone's next hops are its peers");
		ydoc_path_trunc(&x->d, f.base);
	}
	if (gw != NULL && att == NULL) {
		ydoc_path_field(&x->d, "gateway");
		ydoc_ferr_at(&x->d, f.line[P_GW], -CEN_EINVAL,
			     "only for an untagged port (with attachment:); %s",
			     vlans != NULL
				     ? "give a tagged port's gateways per VLAN"
				     : "the backbone's is backbone.address");
		ydoc_path_trunc(&x->d, f.base);
	}
	if (att != NULL) {
		p->atts = calloc(1, sizeof(*p->atts));
		if (p->atts == NULL) {
			ydoc_nomem(&x->d, p->line);
			return;
		}
		p->natts = 1;
		p->atts[0].line = f.line[P_ATT];
		ydoc_path_field(&x->d, "attachment");
		get_att_id(x, att, k, 0, &p->atts[0]);
		ydoc_path_trunc(&x->d, f.base);
		if (gw != NULL) {
			ydoc_path_field(&x->d, "gateway");
			get_gateways(x, gw, &p->atts[0]);
			ydoc_path_trunc(&x->d, f.base);
		}
		if (nh != NULL) {
			ydoc_path_field(&x->d, "next_hop");
			if (get_addr(x, nh, &p->atts[0].next_hop))
				check_next_hop(x, nh, &p->atts[0]);
			ydoc_path_trunc(&x->d, f.base);
		}
	} else if (vlans != NULL) {
		ydoc_path_field(&x->d, "vlans");
		parse_vlans(x, k, vlans);
		ydoc_path_trunc(&x->d, f.base);
	} else {
		for (size_t j = 0; j < k; j++)
			if (c->ports[j].backbone) {
				ydoc_path_field(&x->d, "backbone");
				ydoc_ferr_at(
					&x->d, f.line[P_BB], -CEN_EINVAL,
					"a second backbone port (the first is "
					"ports[%zu], line %d); a forwarder has "
					"one",
					j, c->ports[j].line);
				ydoc_path_trunc(&x->d, f.base);
				break;
			}
		p->backbone = true;
		ydoc_path_field(&x->d, "backbone");
		parse_backbone(x, k, bb);
		ydoc_path_trunc(&x->d, f.base);
	}
}

static void
parse_ports(struct ctx *x, const struct ynode *y)
{
	struct fwdconf *c = x->c;
	const struct ynode *it;
	size_t base = x->d.plen;
	long n;

	n = ydoc_want_seq(&x->d, y, 1, FWDCONF_PORTS_MAX, "ports");
	if (n <= 0)
		return;
	c->ports = calloc((size_t)n, sizeof(*c->ports));
	if (c->ports == NULL) {
		ydoc_nomem(&x->d, y->line);
		return;
	}
	c->nports = (size_t)n;
	it = ydoc_first(&x->d, y);
	for (size_t k = 0; k < (size_t)n; k++, it = ydoc_next(&x->d, it)) {
		ydoc_path_add(&x->d, "[%zu]", k);
		c->ports[k].line = it->line;
		if (ydoc_want_map(&x->d, it, false))
			parse_port(x, k, it);
		ydoc_path_trunc(&x->d, base);
	}
}

/* cluster: one endpoint, or a list of them. */
static void
parse_cluster(struct ctx *x, const struct ynode *y)
{
	struct fwdconf *c = x->c;
	const struct ynode *it;
	size_t base = x->d.plen;
	long n;

	if (y->kind == YDOC_SCALAR && !ydoc_is_null(y)) {
		c->cluster = calloc(1, sizeof(*c->cluster));
		if (c->cluster == NULL) {
			ydoc_nomem(&x->d, y->line);
			return;
		}
		if (get_endpoint(x, y, c->cluster[0]))
			c->ncluster = 1;
		return;
	}
	n = ydoc_want_seq(&x->d, y, 1, FWDCONF_CLUSTER_MAX, "endpoints");
	if (n <= 0)
		return;
	c->cluster = calloc((size_t)n, sizeof(*c->cluster));
	if (c->cluster == NULL) {
		ydoc_nomem(&x->d, y->line);
		return;
	}
	it = ydoc_first(&x->d, y);
	for (long i = 0; i < n; i++, it = ydoc_next(&x->d, it)) {
		char *ep = c->cluster[c->ncluster];

		ydoc_path_add(&x->d, "[%ld]", i);
		if (get_endpoint(x, it, ep)) {
			size_t j;

			for (j = 0; j < c->ncluster; j++)
				if (strcmp(c->cluster[j], ep) == 0)
					break;
			if (j < c->ncluster)
				ydoc_ferr(&x->d, it, -CEN_EINVAL,
					  "%s is listed twice", ep);
			else
				c->ncluster++;
		}
		ydoc_path_trunc(&x->d, base);
	}
}

static void
get_io(struct ctx *x, const struct ynode *y, uint8_t *out)
{
	static const char what[] = "one of afpacket, xdp, memory";
	uint8_t i;

	if (!ydoc_want_text(&x->d, y, what, false))
		return;
	for (i = 0; i <= FWDCONF_IO_MEMORY; i++)
		if (strcmp(y->str, fwdconf_io_str(i)) == 0) {
			*out = i;
			return;
		}
	ydoc_bad(&x->d, y, what);
}

static void
get_dir(struct ctx *x, const struct ynode *y, char **out)
{
	if (!ydoc_want_text(&x->d, y, "a directory", false))
		return;
	if (y->len >= FC_DIR_MAX) {
		ydoc_ferr(&x->d, y, -CEN_EINVAL,
			  "%zu characters long, at most %d", y->len,
			  FC_DIR_MAX - 1);
		return;
	}
	*out = strdup(y->str);
	if (*out == NULL)
		ydoc_nomem(&x->d, y->line);
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
YDOC_FIELDS(top, TOP_FIELDS);

static void
parse_top(struct ctx *x, const struct ynode *y)
{
	struct fwdconf *c = x->c;
	const struct ynode *v, *ports = NULL;
	struct ydoc_fields f;

	if (ydoc_is_null(y)) {
		/* "---" and comments only: there is nothing to point at */
		ydoc_lerr(&x->d, 1, -CEN_EINVAL,
			  "the file is empty; expected a mapping with id, "
			  "region, "
			  "cluster and ports");
		return;
	}
	if (y->kind != YDOC_MAP) {
		char d[YDOC_DESC_MAX];

		ydoc_lerr(&x->d, y->line, -CEN_EINVAL,
			  "expected a mapping with id, region, cluster and "
			  "ports, "
			  "got %s",
			  ydoc_describe(y, d, sizeof(d)));
		return;
	}
	YDOC_FOR_FIELDS(&x->d, &f, y, top, v)
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
	ydoc_fields_require(&x->d, &f, y,
			    YDOC_BIT(T_ID) | YDOC_BIT(T_REGION) |
				    YDOC_BIT(T_CLUSTER) | YDOC_BIT(T_PORTS));
	if (ports != NULL) {
		ydoc_path_field(&x->d, "ports");
		parse_ports(x, ports);
		ydoc_path_trunc(&x->d, 0);
	}
}

/* ------------------------------------------------------------------------
 * The document.
 */

int
fwdconf_parse(struct fwdconf *c, const char *buf, size_t len,
	      struct cen_err *err)
{
	const struct ynode *root;
	struct ctx *x;
	int rc;

	fwdconf_free(c);
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return cen_err_add(err, -CEN_ENOMEM, "line 1: out of memory"),
		       -CEN_ENOMEM;
	ydoc_init(&x->d, &conv, err);
	x->c = c;
	if (ydoc_load(&x->d, buf, len) == 0) {
		root = ydoc_root(&x->d);
		if (root == NULL) {
			ydoc_lerr(&x->d, 1, -CEN_EINVAL,
				  "the file is empty; expected a mapping with "
				  "id, region, cluster and ports");
		} else {
			if (ydoc_refuse_aliases(&x->d))
				parse_top(x, root);
			/* one document only: what follows must be the end */
			ydoc_load_rest(&x->d);
		}
	}
	rc = x->d.rc;
	ydoc_free(&x->d);
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
	size_t len;
	char *buf;
	int rc;

	rc = ydoc_read_file(&conv, path, &buf, &len, err);
	if (rc == 0)
		rc = fwdconf_parse(c, buf, len, err);
	free(buf);
	return rc;
}
