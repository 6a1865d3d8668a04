/*
 * model_yaml.c - the declarative configuration file: YAML to struct model
 * and back (model_yaml.h; the format is examples/hybrid.yaml's).
 *
 * Parsing has ydoc.c read the document into a tree of nodes, each with its
 * source line, then walks the tree with one function per kind of object.
 * The walk never stops at the first problem: every one is reported through
 * cen_err_add as "line N: PATH: what is wrong", so one run shows everything
 * to fix.  Only structure is checked here (field names, value types, C type
 * ranges, list capacities, prefix syntax); the rules of ROUTING.md are
 * model_validate's.
 *
 * Emitting writes the same format and leaves out fields at their defaults,
 * so that parsing the output gives back an equal model.
 *
 * model_yaml_load_file, at the end of the file, is the only I/O (through
 * ydoc_read_file).
 */
#include "model_yaml.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "prefix.h"
#include "ydoc.h"

/* This format's conventions (ydoc.h).  It nests 8 deep: more is a
 * mistake. */
static const struct ydoc_conv conv = {
	.code_syntax = -CEN_EPARSE,
	.code_type = -CEN_EPARSE,
	.code_range = -CEN_ERANGE,
	.code_size = -CEN_ETOOBIG,
	.depth_max = 64,
	.file_max = 64 << 20,
	.second_doc = "a second YAML document; a file holds one",
};

/* The parse of one document. */
struct ctx {
	struct ydoc d;
	struct model *m;
	size_t tables_cap, troutes_cap;
};

/* "[i]", plus " (id)" or " (prefix)" when the item has one. */
static void
path_item(struct ctx *c, size_t i, const struct ynode *item)
{
	const struct ynode *label;
	char v[YDOC_QUOTE_MAX];

	ydoc_path_add(&c->d, "[%zu]", i);
	label = ydoc_map_get(&c->d, item, "id");
	if (label == NULL)
		label = ydoc_map_get(&c->d, item, "prefix");
	if (label != NULL && label->kind == YDOC_SCALAR && !ydoc_is_null(label))
		ydoc_path_add(&c->d, " (%s)",
			      ydoc_show(label->str, label->len, v, sizeof(v)));
}

/* ------------------------------------------------------------------------
 * Typed values.  Each getter reports its own errors and returns whether it
 * stored a value.
 */

static bool
get_str(struct ctx *c, const struct ynode *y, char *dst, size_t cap)
{
	if (!ydoc_want_scalar(&c->d, y, "a string"))
		return false;
	if (ydoc_is_null(y)) {
		ydoc_ferr(
			&c->d, y, -CEN_EPARSE,
			"expected a string, got nothing (null); write \"\" for "
			"an empty one");
		return false;
	}
	if (memchr(y->str, '\0', y->len) != NULL) {
		ydoc_ferr(&c->d, y, -CEN_EPARSE, "contains a NUL character");
		return false;
	}
	if (y->len >= cap) {
		ydoc_ferr(&c->d, y, -CEN_ERANGE,
			  "%zu characters long, at most %zu", y->len, cap - 1);
		return false;
	}
	memcpy(dst, y->str, y->len + 1);
	return true;
}

static bool
get_id(struct ctx *c, const struct ynode *y, char *dst)
{
	return get_str(c, y, dst, MODEL_ID_MAX);
}

static void
get_u8(struct ctx *c, const struct ynode *y, const char *range, uint8_t *out)
{
	uint64_t v;

	if (ydoc_uint(&c->d, y, 0, UINT8_MAX, range, &v))
		*out = (uint8_t)v;
}

static void
get_u16(struct ctx *c, const struct ynode *y, const char *range, uint16_t *out)
{
	uint64_t v;

	if (ydoc_uint(&c->d, y, 0, UINT16_MAX, range, &v))
		*out = (uint16_t)v;
}

static void
get_u32(struct ctx *c, const struct ynode *y, const char *range, uint32_t *out)
{
	uint64_t v;

	if (ydoc_uint(&c->d, y, 0, UINT32_MAX, range, &v))
		*out = (uint32_t)v;
}

static void
get_u64(struct ctx *c, const struct ynode *y, const char *range, uint64_t *out)
{
	ydoc_uint(&c->d, y, 0, UINT64_MAX, range, out);
}

/* An enum of model.h, by the names of its model_*_str. */
struct yenum {
	uint8_t (*parse)(const char *s);
	const char *(*str)(uint8_t v);
	uint8_t last;
};

static const struct yenum E_ATT = { model_att_type_parse, model_att_type_str,
				    MODEL_ATT_CCN };
static const struct yenum E_RT = { model_route_type_parse, model_route_type_str,
				   MODEL_RT_CEN };
static const struct yenum E_NH = { model_nh_type_parse, model_nh_type_str,
				   MODEL_NH_BLACKHOLE };
static const struct yenum E_DIR = { model_dir_parse, model_dir_str,
				    MODEL_DIR_OUT };
static const struct yenum E_ACTION = { model_action_parse, model_action_str,
				       MODEL_ACTION_DENY };
static const struct yenum E_MATCH = { model_match_mode_parse,
				      model_match_mode_str,
				      MODEL_MATCH_COMPLETE };
static const struct yenum E_COMM = { model_comm_mode_parse, model_comm_mode_str,
				     MODEL_COMM_REPLACE };

static void
get_enum(struct ctx *c, const struct ynode *y, const struct yenum *e,
	 uint8_t *out)
{
	char what[256], d[YDOC_DESC_MAX];
	size_t o;
	uint8_t v;

	o = (size_t)snprintf(what, sizeof(what), "one of");
	for (v = 1; v <= e->last && o < sizeof(what); v++)
		o += (size_t)snprintf(what + o, sizeof(what) - o, "%s %s",
				      v > 1 ? "," : "", e->str(v));
	if (!ydoc_want_text(&c->d, y, what, true))
		return;
	v = e->parse(y->str);
	if (v == 0 || v > e->last) {
		ydoc_ferr(&c->d, y, -CEN_EPARSE, "expected %s, got %s", what,
			  ydoc_describe(y, d, sizeof(d)));
		return;
	}
	*out = v;
}

static void
get_family(struct ctx *c, const struct ynode *y, uint8_t *out)
{
	static const char what[] = "one of IPv4, IPv6, both";
	char d[YDOC_DESC_MAX];

	if (!ydoc_want_text(&c->d, y, what, true))
		return;
	if (strcasecmp(y->str, "IPv4") == 0)
		*out = MODEL_AF_V4;
	else if (strcasecmp(y->str, "IPv6") == 0)
		*out = MODEL_AF_V6;
	else if (strcasecmp(y->str, "both") == 0)
		*out = MODEL_AF_V4 | MODEL_AF_V6;
	else
		ydoc_ferr(&c->d, y, -CEN_EPARSE, "expected %s, got %s", what,
			  ydoc_describe(y, d, sizeof(d)));
}

/* A prefix; host bits past the length are an error. */
static bool
get_prefix(struct ctx *c, const struct ynode *y, struct prefix *out)
{
	char v[YDOC_QUOTE_MAX], canon[PREFIX_STRLEN];
	struct prefix p;

	if (!ydoc_want_text(&c->d, y, "a prefix", true))
		return false;
	if (prefix_parse(&p, y->str, true) == 0) {
		*out = p;
		return true;
	}
	if (strchr(y->str, '/') != NULL && prefix_parse(&p, y->str, false) == 0)
		ydoc_ferr(&c->d, y, -CEN_EPARSE,
			  "invalid prefix \"%s\": host bits set past /%u (the "
			  "network is %s)",
			  ydoc_show(y->str, y->len, v, sizeof(v)), p.len,
			  prefix_fmt(&p, canon, sizeof(canon)));
	else
		ydoc_ferr(&c->d, y, -CEN_EPARSE, "invalid prefix \"%s\"",
			  ydoc_show(y->str, y->len, v, sizeof(v)));
	return false;
}

/* A host address: bare, or with the family's full length. */
static void
get_addr(struct ctx *c, const struct ynode *y, struct prefix *out)
{
	char v[YDOC_QUOTE_MAX];

	if (!ydoc_want_text(&c->d, y, "an IP address", true))
		return;
	if (ydoc_parse_addr(y->str, out) < 0)
		ydoc_ferr(&c->d, y, -CEN_EPARSE,
			  "expected an IP address, got \"%s\"",
			  ydoc_show(y->str, y->len, v, sizeof(v)));
}

/* An RFC 4456 cluster ID, written as an IPv4 address ("10.0.0.1"); 0.0.0.0
 * is refused, since 0 stands for the derived default. */
static void
get_cluster_id(struct ctx *c, const struct ynode *y, uint32_t *out)
{
	char v[YDOC_QUOTE_MAX];
	struct prefix p;

	if (!ydoc_want_text(&c->d, y, "an IPv4 address", true))
		return;
	if (prefix_parse(&p, y->str, true) < 0 || p.family != PREFIX_AF_INET ||
	    p.len != 32 || prefix_v4(&p) == 0) {
		ydoc_ferr(&c->d, y, -CEN_EPARSE,
			  "expected a cluster ID written as an IPv4 address "
			  "other "
			  "than 0.0.0.0 (e.g. 10.0.0.1), got \"%s\"",
			  ydoc_show(y->str, y->len, v, sizeof(v)));
		return;
	}
	*out = prefix_v4(&p);
}

/* An interface address "10.10.10.1/30": the address keeps its host bits.
 * A bare address is a host prefix. */
static void
get_ifaddr(struct ctx *c, const struct ynode *y, struct prefix *out)
{
	char v[YDOC_QUOTE_MAX];

	if (!ydoc_want_text(&c->d, y, "an address/length", true))
		return;
	if (ydoc_parse_ifaddr(y->str, y->len, false, out) < 0)
		ydoc_ferr(
			&c->d, y, -CEN_EPARSE,
			"expected an address with its length (10.10.10.1/30), "
			"got \"%s\"",
			ydoc_show(y->str, y->len, v, sizeof(v)));
}

/* An RFC 1997 community "n:m", each half 0..65535. */
static bool
get_comm(struct ctx *c, const struct ynode *y, uint32_t *out)
{
	char v[YDOC_QUOTE_MAX];
	uint32_t half[2] = { 0, 0 };
	size_t i, h = 0, digits = 0;

	if (!ydoc_want_text(&c->d, y, "a community \"n:m\"", true))
		return false;
	for (i = 0; i < y->len; i++) {
		char ch = y->str[i];

		if (ch == ':' && h == 0 && digits > 0) {
			h = 1;
			digits = 0;
		} else if (ch >= '0' && ch <= '9' && digits < 5) {
			half[h] = half[h] * 10 + (uint32_t)(ch - '0');
			digits++;
		} else {
			goto bad;
		}
	}
	if (h != 1 || digits == 0 || half[0] > 65535 || half[1] > 65535)
		goto bad;
	*out = half[0] << 16 | half[1];
	return true;
bad:
	ydoc_ferr(&c->d, y, -CEN_EPARSE,
		  "expected a community \"n:m\" (each 0..65535), got \"%s\"",
		  ydoc_show(y->str, y->len, v, sizeof(v)));
	return false;
}

/* ------------------------------------------------------------------------
 * Lists and mappings.
 */

/* Grows an array of size-byte elements holding n to hold n + add, zeroing
 * the new room; *cap (NULL: the array is exactly n long) is its capacity.
 * Returns the array, or NULL (the old one intact) after reporting. */
static void *
grow(struct ctx *c, int line, void *arr, size_t n, size_t *cap, size_t add,
     size_t size)
{
	size_t have = cap != NULL ? *cap : n, want;
	char *p;

	if (n + add <= have)
		return arr;
	if (add > SIZE_MAX / size / 2 - n) {
		ydoc_nomem(&c->d, line);
		return NULL;
	}
	want = n + add;
	if (cap != NULL && want < have * 2)
		want = have * 2;
	p = realloc(arr, want * size);
	if (p == NULL) {
		ydoc_nomem(&c->d, line);
		return NULL;
	}
	memset(p + n * size, 0, (want - n) * size);
	if (cap != NULL)
		*cap = want;
	return p;
}

/* A list of at most max scalars into a fixed array; each item goes
 * through fn, which stores into dst and reports its own errors. */
typedef bool (*item_fn)(struct ctx *c, const struct ynode *y, void *dst,
			const void *arg);

static void
fixed_list(struct ctx *c, const struct ynode *y, size_t max, void *arr,
	   size_t size, uint8_t *n, item_fn fn, const void *arg)
{
	size_t base = c->d.plen, k = 0;
	int i;

	*n = 0;
	if (ydoc_want_seq(&c->d, y, 0, max, NULL) <= 0)
		return;
	for (i = y->first; i != YDOC_NONE; i = ydoc_node(&c->d, i)->next, k++) {
		ydoc_path_add(&c->d, "[%zu]", k);
		if (fn(c, ydoc_node(&c->d, i), (char *)arr + *n * size, arg))
			(*n)++;
		ydoc_path_trunc(&c->d, base);
	}
}

static bool
id_item(struct ctx *c, const struct ynode *y, void *dst, const void *arg)
{
	return get_id(c, y, dst);
}

static bool
u8_item(struct ctx *c, const struct ynode *y, void *dst, const void *arg)
{
	uint64_t v;

	if (!ydoc_uint(&c->d, y, 0, UINT8_MAX, arg, &v))
		return false;
	*(uint8_t *)dst = (uint8_t)v;
	return true;
}

static bool
u32_item(struct ctx *c, const struct ynode *y, void *dst, const void *arg)
{
	uint64_t v;

	if (!ydoc_uint(&c->d, y, 0, UINT32_MAX, arg, &v))
		return false;
	*(uint32_t *)dst = (uint32_t)v;
	return true;
}

static bool
enum_item(struct ctx *c, const struct ynode *y, void *dst, const void *arg)
{
	uint8_t v = 0;

	get_enum(c, y, arg, &v);
	*(uint8_t *)dst = v;
	return v != 0;
}

static bool
prefix_item(struct ctx *c, const struct ynode *y, void *dst, const void *arg)
{
	return get_prefix(c, y, dst);
}

static bool
comm_item(struct ctx *c, const struct ynode *y, void *dst, const void *arg)
{
	return get_comm(c, y, dst);
}

static void
id_list(struct ctx *c, const struct ynode *y, model_id *arr, uint8_t *n)
{
	fixed_list(c, y, MODEL_LIST_MAX, arr, sizeof(*arr), n, id_item, NULL);
}

/* A pair of region IDs: [a, b]. */
static void
get_pair(struct ctx *c, const struct ynode *y, model_id regions[2])
{
	uint8_t n;

	if (y->kind == YDOC_SEQ && y->nkids != 2) {
		ydoc_ferr(&c->d, y, -CEN_EPARSE,
			  "expected a pair of region IDs [a, b], got %zu items",
			  y->nkids);
		return;
	}
	fixed_list(c, y, 2, regions, sizeof(regions[0]), &n, id_item, NULL);
}

/* ------------------------------------------------------------------------
 * The objects.
 */

/* clang-format off */
#define NH_FIELDS(X) \
	X(NH_TYPE, "type") \
	X(NH_ID, "id") \
	X(NH_WEIGHT, "weight")
/* clang-format on */
YDOC_FIELDS(nh, NH_FIELDS);

static void
parse_nexthop(struct ctx *c, const struct ynode *y, struct model_nexthop *nh)
{
	const struct ynode *v;
	struct ydoc_fields f;

	if (!ydoc_want_map(&c->d, y, true))
		return;
	YDOC_FOR_FIELDS(&c->d, &f, y, nh, v)
	{
	case NH_TYPE:
		get_enum(c, v, &E_NH, &nh->type);
		break;
	case NH_ID:
		get_id(c, v, nh->id);
		break;
	case NH_WEIGHT:
		get_u8(c, v, "1..255", &nh->weight);
		break;
	}
}

static bool
nexthop_item(struct ctx *c, const struct ynode *y, void *dst, const void *arg)
{
	struct model_nexthop *nh = dst;

	memset(nh, 0, sizeof(*nh));
	nh->weight = 1;
	if (!ydoc_want_map(&c->d, y, false))
		return false;
	parse_nexthop(c, y, nh);
	return true;
}

/* clang-format off */
#define TROUTE_FIELDS(X) \
	X(TR_PREFIX, "prefix") \
	X(TR_NEXT_HOPS, "next_hops") \
	X(TR_BLACKHOLE, "blackhole")
/* clang-format on */
YDOC_FIELDS(troute, TROUTE_FIELDS);

static void
parse_table_route(struct ctx *c, const struct ynode *y)
{
	struct model_table_route *r;
	const struct ynode *v;
	struct ydoc_fields f;

	r = &c->m->table_routes[c->m->ntable_routes++];
	r->line = y->line;
	YDOC_FOR_FIELDS(&c->d, &f, y, troute, v)
	{
	case TR_PREFIX:
		get_prefix(c, v, &r->prefix);
		break;
	case TR_NEXT_HOPS:
		fixed_list(c, v, MODEL_NEXTHOPS_MAX, r->nh, sizeof(r->nh[0]),
			   &r->nnh, nexthop_item, NULL);
		break;
	case TR_BLACKHOLE:
		ydoc_bool(&c->d, v, &r->blackhole);
		break;
	}
}

/* Runs fn on each item of list y that is a mapping; fn appends one object
 * to the array EACH_OBJ has grown for them. */
typedef void (*obj_fn)(struct ctx *c, const struct ynode *y, void *arg);

static void
each_obj(struct ctx *c, const struct ynode *y, obj_fn fn, void *arg)
{
	size_t base = c->d.plen, k = 0;
	int i;

	for (i = y->first; i != YDOC_NONE; i = ydoc_node(&c->d, i)->next, k++) {
		const struct ynode *item = ydoc_node(&c->d, i);

		path_item(c, k, item);
		if (ydoc_want_map(&c->d, item, false))
			fn(c, item, arg);
		ydoc_path_trunc(&c->d, base);
	}
}

/* Grows arr (n objects, capacity *cap or NULL: exact) for the items of list
 * y, then parses them with fn. */
#define EACH_OBJ(c, y, arr, n, cap, fn, arg)                                   \
	do {                                                                   \
		long cnt_ = ydoc_want_seq(&(c)->d, (y), 0, 0, NULL);           \
		void *p_;                                                      \
                                                                               \
		if (cnt_ <= 0)                                                 \
			break;                                                 \
		p_ = grow((c), (y)->line, (arr), (n), (cap), (size_t)cnt_,     \
			  sizeof(*(arr)));                                     \
		if (p_ == NULL)                                                \
			break;                                                 \
		(arr) = p_;                                                    \
		each_obj((c), (y), (fn), (arg));                               \
	} while (0)

static void
table_route_obj(struct ctx *c, const struct ynode *y, void *arg)
{
	parse_table_route(c, y);
}

/* clang-format off */
#define TABLE_FIELDS(X) \
	X(TB_ID, "id") \
	X(TB_SYSTEM, "system") \
	X(TB_MAX_ROUTES, "max_routes") \
	X(TB_ECMP, "multi_region_ecmp") \
	X(TB_STATIC_ROUTES, "static_routes")
/* clang-format on */
YDOC_FIELDS(table, TABLE_FIELDS);

static void
table_obj(struct ctx *c, const struct ynode *y, void *arg)
{
	struct model *m = c->m;
	struct model_table *t = &m->tables[m->ntables++];
	size_t r0 = m->ntable_routes, i;
	const struct ynode *v;
	struct ydoc_fields f;

	model_table_defaults(t);
	t->line = y->line;
	YDOC_FOR_FIELDS(&c->d, &f, y, table, v)
	{
	case TB_ID:
		get_id(c, v, t->id);
		break;
	case TB_SYSTEM:
		ydoc_bool(&c->d, v, &t->system);
		break;
	case TB_MAX_ROUTES:
		get_u32(c, v, "0..4294967295", &t->max_routes);
		break;
	case TB_ECMP:
		ydoc_bool(&c->d, v, &t->multi_region_ecmp);
		break;
	case TB_STATIC_ROUTES:
		EACH_OBJ(c, v, m->table_routes, m->ntable_routes,
			 &c->troutes_cap, table_route_obj, NULL);
		break;
	}
	for (i = r0; i < m->ntable_routes; i++)
		memcpy(m->table_routes[i].table, t->id, sizeof(t->id));
}

/* clang-format off */
#define REGION_FIELDS(X) \
	X(RG_ID, "id") \
	X(RG_CLUSTER_ID, "bgp_cluster_id") \
	X(RG_TABLES, "route_tables")
/* clang-format on */
YDOC_FIELDS(region, REGION_FIELDS);

static void
region_obj(struct ctx *c, const struct ynode *y, void *arg)
{
	struct model *m = c->m;
	struct model_region *r = &m->regions[m->nregions++];
	size_t t0 = m->ntables, i;
	const struct ynode *v;
	struct ydoc_fields f;

	r->line = y->line;
	YDOC_FOR_FIELDS(&c->d, &f, y, region, v)
	{
	case RG_ID:
		get_id(c, v, r->id);
		break;
	case RG_CLUSTER_ID:
		get_cluster_id(c, v, &r->bgp_cluster_id);
		break;
	case RG_TABLES:
		EACH_OBJ(c, v, m->tables, m->ntables, &c->tables_cap, table_obj,
			 NULL);
		break;
	}
	for (i = t0; i < m->ntables; i++)
		memcpy(m->tables[i].region, r->id, sizeof(r->id));
}

/* clang-format off */
#define PC_FIELDS(X) \
	X(PC_ID, "id") \
	X(PC_REGION, "region") \
	X(PC_ACCESS_POINT, "access_point") \
	X(PC_SPEED, "speed_gbps")
/* clang-format on */
YDOC_FIELDS(pc, PC_FIELDS);

static void
pc_obj(struct ctx *c, const struct ynode *y, void *arg)
{
	struct model_pc *pc = &c->m->pcs[c->m->npcs++];
	const struct ynode *v;
	struct ydoc_fields f;

	pc->line = y->line;
	YDOC_FOR_FIELDS(&c->d, &f, y, pc, v)
	{
	case PC_ID:
		get_id(c, v, pc->id);
		break;
	case PC_REGION:
		get_id(c, v, pc->region);
		break;
	case PC_ACCESS_POINT:
		get_str(c, v, pc->access_point, sizeof(pc->access_point));
		break;
	case PC_SPEED:
		get_u32(c, v, "1..100", &pc->speed_gbps);
		break;
	}
}

/* clang-format off */
#define CROUTE_FIELDS(X) \
	X(CR_PREFIX, "prefix") \
	X(CR_NEXT_HOP, "next_hop") \
	X(CR_PUBLISH, "publish")
/* clang-format on */
YDOC_FIELDS(croute, CROUTE_FIELDS);

/* clang-format off */
#define SROUTE_FIELDS(X) \
	X(SR_PREFIX, "prefix") \
	X(SR_NEXT_HOP, "next_hop")
/* clang-format on */
YDOC_FIELDS(sroute, SROUTE_FIELDS);

/* A VPC custom route (keeps publish) or a VBR/VPN/CCN static route. */
static void
custom_route_obj(struct ctx *c, const struct ynode *y, void *arg)
{
	struct model_attachment *a = arg;
	struct model_route *r = &a->routes[a->nroutes++];
	const struct ynode *v;
	struct ydoc_fields f;

	r->line = y->line;
	r->nh.weight = 1;
	YDOC_FOR_FIELDS(&c->d, &f, y, croute, v)
	{
	case CR_PREFIX:
		get_prefix(c, v, &r->prefix);
		break;
	case CR_NEXT_HOP:
		parse_nexthop(c, v, &r->nh);
		break;
	case CR_PUBLISH:
		ydoc_bool(&c->d, v, &r->publish);
		break;
	}
}

static void
static_route_obj(struct ctx *c, const struct ynode *y, void *arg)
{
	struct model_attachment *a = arg;
	struct model_route *r = &a->routes[a->nroutes++];
	const struct ynode *v;
	struct ydoc_fields f;

	r->line = y->line;
	r->nh.weight = 1;
	YDOC_FOR_FIELDS(&c->d, &f, y, sroute, v)
	{
	case SR_PREFIX:
		get_prefix(c, v, &r->prefix);
		break;
	case SR_NEXT_HOP:
		parse_nexthop(c, v, &r->nh);
		break;
	}
}

/* clang-format off */
#define PEER_FIELDS(X) \
	X(PR_ADDRESS, "address") \
	X(PR_ASN, "asn") \
	X(PR_NODES, "nodes") \
	X(PR_MD5, "md5_key") \
	X(PR_HOLD, "hold_time_s") \
	X(PR_QUOTA, "route_quota") \
	X(PR_PASSIVE, "passive") \
	X(PR_PORT, "port") \
	X(PR_IPV4, "ipv4") \
	X(PR_IPV6, "ipv6") \
	X(PR_TTL, "ttl_security")
/* clang-format on */
YDOC_FIELDS(peer, PEER_FIELDS);

static bool
peer_item(struct ctx *c, const struct ynode *y, void *dst, const void *arg)
{
	struct model_peer *p = dst;
	const struct ynode *v;
	struct ydoc_fields f;

	model_peer_defaults(p);
	p->line = y->line;
	if (!ydoc_want_map(&c->d, y, false))
		return false;
	YDOC_FOR_FIELDS(&c->d, &f, y, peer, v)
	{
	case PR_ADDRESS:
		get_addr(c, v, &p->address);
		break;
	case PR_ASN:
		get_u32(c, v, "1..4294967295", &p->asn);
		break;
	case PR_NODES:
		fixed_list(c, v, MODEL_NODES_MAX, p->nodes, sizeof(p->nodes[0]),
			   &p->nnodes, u8_item, "0..255");
		break;
	case PR_MD5:
		get_str(c, v, p->md5_key, sizeof(p->md5_key));
		break;
	case PR_HOLD:
		get_u16(c, v, "0 or 3..65535", &p->hold_time_s);
		break;
	case PR_QUOTA:
		get_u32(c, v, "0..4294967295", &p->route_quota);
		break;
	case PR_PASSIVE:
		ydoc_bool(&c->d, v, &p->passive);
		break;
	case PR_PORT:
		get_u16(c, v, "1..65535", &p->port);
		break;
	case PR_IPV4:
		ydoc_bool(&c->d, v, &p->ipv4);
		break;
	case PR_IPV6:
		ydoc_bool(&c->d, v, &p->ipv6);
		break;
	case PR_TTL:
		get_u8(c, v, "0..255", &p->ttl_security);
		break;
	}
	return true;
}

/* Peers are listed with a path label: "peers[0]". */
/* clang-format off */
#define BGP_FIELDS(X) \
	X(BGP_PEERS, "peers")
/* clang-format on */
YDOC_FIELDS(bgp, BGP_FIELDS);

static void
parse_bgp(struct ctx *c, const struct ynode *y, struct model_attachment *a)
{
	const struct ynode *v;
	struct ydoc_fields f;

	if (!ydoc_want_map(&c->d, y, true))
		return;
	YDOC_FOR_FIELDS(&c->d, &f, y, bgp, v)
	{
	case BGP_PEERS:
		fixed_list(c, v, MODEL_PEERS_MAX, a->peers, sizeof(a->peers[0]),
			   &a->npeers, peer_item, NULL);
		break;
	}
}

/* clang-format off */
#define HEALTH_FIELDS(X) \
	X(HC_ENABLED, "enabled") \
	X(HC_SOURCE, "source_ip") \
	X(HC_TARGET, "target_ip") \
	X(HC_INTERVAL, "interval_s") \
	X(HC_THRESHOLD, "threshold") \
	X(HC_CHANGE_ROUTE, "change_route")
/* clang-format on */
YDOC_FIELDS(health, HEALTH_FIELDS);

static void
parse_health(struct ctx *c, const struct ynode *y, struct model_health *h)
{
	const struct ynode *v;
	struct ydoc_fields f;

	if (!ydoc_want_map(&c->d, y, true))
		return;
	h->enabled = true;
	YDOC_FOR_FIELDS(&c->d, &f, y, health, v)
	{
	case HC_ENABLED:
		ydoc_bool(&c->d, v, &h->enabled);
		break;
	case HC_SOURCE:
		get_addr(c, v, &h->source_ip);
		break;
	case HC_TARGET:
		get_addr(c, v, &h->target_ip);
		break;
	case HC_INTERVAL:
		get_u8(c, v, "2..3", &h->interval_s);
		break;
	case HC_THRESHOLD:
		get_u8(c, v, "3..8", &h->threshold);
		break;
	case HC_CHANGE_ROUTE:
		ydoc_bool(&c->d, v, &h->change_route);
		break;
	}
}

/* clang-format off */
#define ATT_FIELDS(X) \
	X(AT_ID, "id") \
	X(AT_TYPE, "type") \
	X(AT_REGION, "region") \
	X(AT_ROUTE_TABLE, "route_table") \
	X(AT_PROPAGATE, "propagate") \
	X(AT_VSWITCH, "vswitch_cidrs") \
	X(AT_CUSTOM_ROUTES, "custom_routes") \
	X(AT_PC, "physical_connection") \
	X(AT_VLAN, "vlan") \
	X(AT_BANDWIDTH, "bandwidth_mbps") \
	X(AT_LOCAL_IP, "local_ip") \
	X(AT_PEER_IP, "peer_ip") \
	X(AT_ALLOW_DEFAULT, "allow_default_route") \
	X(AT_STATIC_ROUTES, "static_routes") \
	X(AT_BGP, "bgp") \
	X(AT_HEALTH, "health_check")
/* clang-format on */
YDOC_FIELDS(att, ATT_FIELDS);

static void
parse_vswitches(struct ctx *c, const struct ynode *y,
		struct model_attachment *a)
{
	size_t base = c->d.plen, k = 0;
	struct prefix *p;
	long cnt;
	int i;

	if ((cnt = ydoc_want_seq(&c->d, y, 0, 0, NULL)) <= 0)
		return;
	p = grow(c, y->line, a->vswitch_cidrs, a->nvswitch, NULL, (size_t)cnt,
		 sizeof(*p));
	if (p == NULL)
		return;
	a->vswitch_cidrs = p;
	for (i = y->first; i != YDOC_NONE; i = ydoc_node(&c->d, i)->next, k++) {
		ydoc_path_add(&c->d, "[%zu]", k);
		if (get_prefix(c, ydoc_node(&c->d, i), &p[a->nvswitch]))
			a->nvswitch++;
		ydoc_path_trunc(&c->d, base);
	}
}

static void
att_obj(struct ctx *c, const struct ynode *y, void *arg)
{
	struct model_attachment *a = &c->m->attachments[c->m->nattachments++];
	const struct ynode *v;
	struct ydoc_fields f;

	model_attachment_defaults(a);
	a->line = y->line;
	YDOC_FOR_FIELDS(&c->d, &f, y, att, v)
	{
	case AT_ID:
		get_id(c, v, a->id);
		break;
	case AT_TYPE:
		get_enum(c, v, &E_ATT, &a->type);
		break;
	case AT_REGION:
		get_id(c, v, a->region);
		break;
	case AT_ROUTE_TABLE:
		get_id(c, v, a->route_table);
		break;
	case AT_PROPAGATE:
		a->propagate_set = true;
		id_list(c, v, a->propagate, &a->npropagate);
		break;
	case AT_VSWITCH:
		parse_vswitches(c, v, a);
		break;
	case AT_CUSTOM_ROUTES:
		EACH_OBJ(c, v, a->routes, a->nroutes, NULL, custom_route_obj,
			 a);
		break;
	case AT_STATIC_ROUTES:
		EACH_OBJ(c, v, a->routes, a->nroutes, NULL, static_route_obj,
			 a);
		break;
	case AT_PC:
		get_id(c, v, a->physical_connection);
		break;
	case AT_VLAN:
		get_u16(c, v, "1..2999", &a->vlan);
		break;
	case AT_BANDWIDTH:
		get_u32(c, v, "2..4294967295", &a->bandwidth_mbps);
		break;
	case AT_LOCAL_IP:
		get_ifaddr(c, v, &a->local_ip);
		break;
	case AT_PEER_IP:
		get_addr(c, v, &a->peer_ip);
		break;
	case AT_ALLOW_DEFAULT:
		ydoc_bool(&c->d, v, &a->allow_default_route);
		break;
	case AT_BGP:
		parse_bgp(c, v, a);
		break;
	case AT_HEALTH:
		parse_health(c, v, &a->health);
		break;
	}
}

/* clang-format off */
#define MATCH_FIELDS(X) \
	X(MA_SRC_REGIONS, "source_region_ids") \
	X(MA_SRC_INSTANCES, "source_instance_ids") \
	X(MA_SRC_INSTANCES_INV, "source_instance_ids_inverse") \
	X(MA_DST_INSTANCES, "destination_instance_ids") \
	X(MA_DST_INSTANCES_INV, "destination_instance_ids_inverse") \
	X(MA_SRC_TABLES, "source_route_table_ids") \
	X(MA_DST_TABLES, "destination_route_table_ids") \
	X(MA_SRC_TYPES, "source_instance_types") \
	X(MA_DST_TYPES, "destination_instance_types") \
	X(MA_CIDRS, "destination_cidr_blocks") \
	X(MA_CIDR_MODE, "cidr_match_mode") \
	X(MA_ROUTE_TYPES, "route_types") \
	X(MA_ASNS, "as_paths") \
	X(MA_ASN_MODE, "as_path_match_mode") \
	X(MA_COMMS, "communities") \
	X(MA_COMM_MODE, "community_match_mode") \
	X(MA_FAMILY, "address_family")
/* clang-format on */
YDOC_FIELDS(match, MATCH_FIELDS);

static void
parse_match(struct ctx *c, const struct ynode *y, struct model_rmap *r)
{
	const struct ynode *v;
	struct ydoc_fields f;

	if (!ydoc_want_map(&c->d, y, true))
		return;
	YDOC_FOR_FIELDS(&c->d, &f, y, match, v)
	{
	case MA_SRC_REGIONS:
		id_list(c, v, r->src_regions, &r->nsrc_regions);
		break;
	case MA_SRC_INSTANCES:
		id_list(c, v, r->src_instances, &r->nsrc_instances);
		break;
	case MA_SRC_INSTANCES_INV:
		ydoc_bool(&c->d, v, &r->src_instances_inverse);
		break;
	case MA_DST_INSTANCES:
		id_list(c, v, r->dst_instances, &r->ndst_instances);
		break;
	case MA_DST_INSTANCES_INV:
		ydoc_bool(&c->d, v, &r->dst_instances_inverse);
		break;
	case MA_SRC_TABLES:
		id_list(c, v, r->src_tables, &r->nsrc_tables);
		break;
	case MA_DST_TABLES:
		id_list(c, v, r->dst_tables, &r->ndst_tables);
		break;
	case MA_SRC_TYPES:
		fixed_list(c, v, MODEL_LIST_MAX, r->src_types,
			   sizeof(r->src_types[0]), &r->nsrc_types, enum_item,
			   &E_ATT);
		break;
	case MA_DST_TYPES:
		fixed_list(c, v, MODEL_LIST_MAX, r->dst_types,
			   sizeof(r->dst_types[0]), &r->ndst_types, enum_item,
			   &E_ATT);
		break;
	case MA_CIDRS:
		fixed_list(c, v, MODEL_LIST_MAX, r->cidrs, sizeof(r->cidrs[0]),
			   &r->ncidrs, prefix_item, NULL);
		break;
	case MA_CIDR_MODE:
		get_enum(c, v, &E_MATCH, &r->cidr_mode);
		break;
	case MA_ROUTE_TYPES:
		fixed_list(c, v, MODEL_LIST_MAX, r->route_types,
			   sizeof(r->route_types[0]), &r->nroute_types,
			   enum_item, &E_RT);
		break;
	case MA_ASNS:
		fixed_list(c, v, MODEL_LIST_MAX, r->asns, sizeof(r->asns[0]),
			   &r->nasns, u32_item, "0..4294967295");
		break;
	case MA_ASN_MODE:
		get_enum(c, v, &E_MATCH, &r->asn_mode);
		break;
	case MA_COMMS:
		fixed_list(c, v, MODEL_LIST_MAX, r->comms, sizeof(r->comms[0]),
			   &r->ncomms, comm_item, NULL);
		break;
	case MA_COMM_MODE:
		get_enum(c, v, &E_MATCH, &r->comm_mode);
		break;
	case MA_FAMILY:
		get_family(c, v, &r->families);
		break;
	}
}

/* clang-format off */
#define SETCOMM_FIELDS(X) \
	X(SC_MODE, "mode") \
	X(SC_VALUES, "values")
/* clang-format on */
YDOC_FIELDS(setcomm, SETCOMM_FIELDS);

/* clang-format off */
#define SET_FIELDS(X) \
	X(SE_PREF, "preference") \
	X(SE_COMMS, "communities") \
	X(SE_PREPEND, "prepend_as_path")
/* clang-format on */
YDOC_FIELDS(set, SET_FIELDS);

static void
parse_set_comms(struct ctx *c, const struct ynode *y, struct model_rmap *r)
{
	const struct ynode *v;
	struct ydoc_fields f;

	if (!ydoc_want_map(&c->d, y, true))
		return;
	YDOC_FOR_FIELDS(&c->d, &f, y, setcomm, v)
	{
	case SC_MODE:
		get_enum(c, v, &E_COMM, &r->set_comm_mode);
		break;
	case SC_VALUES:
		fixed_list(c, v, MODEL_LIST_MAX, r->set_comms,
			   sizeof(r->set_comms[0]), &r->nset_comms, comm_item,
			   NULL);
		break;
	}
}

static void
parse_set(struct ctx *c, const struct ynode *y, struct model_rmap *r)
{
	const struct ynode *v;
	struct ydoc_fields f;

	if (!ydoc_want_map(&c->d, y, true))
		return;
	YDOC_FOR_FIELDS(&c->d, &f, y, set, v)
	{
	case SE_PREF:
		get_u8(c, v, "1..100", &r->set_pref);
		break;
	case SE_COMMS:
		parse_set_comms(c, v, r);
		break;
	case SE_PREPEND:
		fixed_list(c, v, MODEL_PREPEND_MAX, r->prepend,
			   sizeof(r->prepend[0]), &r->nprepend, u32_item,
			   "0..4294967295");
		break;
	}
}

/* clang-format off */
#define RMAP_FIELDS(X) \
	X(RM_REGION, "region") \
	X(RM_DIRECTION, "direction") \
	X(RM_TABLE, "route_table") \
	X(RM_PRIORITY, "priority") \
	X(RM_MATCH, "match") \
	X(RM_ACTION, "action") \
	X(RM_NEXT_PRIORITY, "next_priority") \
	X(RM_SET, "set")
/* clang-format on */
YDOC_FIELDS(rmap, RMAP_FIELDS);

static void
rmap_obj(struct ctx *c, const struct ynode *y, void *arg)
{
	struct model_rmap *r = &c->m->rmaps[c->m->nrmaps++];
	const struct ynode *v;
	struct ydoc_fields f;

	model_rmap_defaults(r);
	r->line = y->line;
	YDOC_FOR_FIELDS(&c->d, &f, y, rmap, v)
	{
	case RM_REGION:
		get_id(c, v, r->region);
		break;
	case RM_DIRECTION:
		get_enum(c, v, &E_DIR, &r->direction);
		break;
	case RM_TABLE:
		get_id(c, v, r->route_table);
		break;
	case RM_PRIORITY:
		get_u8(c, v, "1..100", &r->priority);
		break;
	case RM_MATCH:
		parse_match(c, v, r);
		break;
	case RM_ACTION:
		get_enum(c, v, &E_ACTION, &r->action);
		break;
	case RM_NEXT_PRIORITY:
		get_u8(c, v, "1..100", &r->next_priority);
		break;
	case RM_SET:
		parse_set(c, v, r);
		break;
	}
}

/* clang-format off */
#define CONN_FIELDS(X) \
	X(CN_REGIONS, "regions") \
	X(CN_BANDWIDTH, "bandwidth_mbps") \
	X(CN_PAY_BY_TRANSFER, "pay_by_data_transfer") \
	X(CN_CAP, "cap_bytes")
/* clang-format on */
YDOC_FIELDS(conn, CONN_FIELDS);

static void
conn_obj(struct ctx *c, const struct ynode *y, void *arg)
{
	struct model_bwp *b = arg;
	struct model_bwp_conn *cn = &b->conns[b->nconns++];
	const struct ynode *v;
	struct ydoc_fields f;

	cn->line = y->line;
	YDOC_FOR_FIELDS(&c->d, &f, y, conn, v)
	{
	case CN_REGIONS:
		get_pair(c, v, cn->regions);
		break;
	case CN_BANDWIDTH:
		get_u32(c, v, "0..4294967295", &cn->bandwidth_mbps);
		break;
	case CN_PAY_BY_TRANSFER:
		ydoc_bool(&c->d, v, &cn->pay_by_transfer);
		break;
	case CN_CAP:
		get_u64(c, v, "0..18446744073709551615", &cn->cap_bytes);
		break;
	}
}

/* clang-format off */
#define BWP_FIELDS(X) \
	X(BW_ID, "id") \
	X(BW_REGIONS, "regions") \
	X(BW_BANDWIDTH, "bandwidth_mbps") \
	X(BW_CONNS, "connections")
/* clang-format on */
YDOC_FIELDS(bwp, BWP_FIELDS);

static void
bwp_obj(struct ctx *c, const struct ynode *y, void *arg)
{
	struct model_bwp *b = &c->m->bwps[c->m->nbwps++];
	const struct ynode *v;
	struct ydoc_fields f;

	b->line = y->line;
	YDOC_FOR_FIELDS(&c->d, &f, y, bwp, v)
	{
	case BW_ID:
		get_id(c, v, b->id);
		break;
	case BW_REGIONS:
		get_pair(c, v, b->regions);
		break;
	case BW_BANDWIDTH:
		get_u32(c, v, "0..4294967295", &b->bandwidth_mbps);
		break;
	case BW_CONNS:
		EACH_OBJ(c, v, b->conns, b->nconns, NULL, conn_obj, b);
		break;
	}
}

/* clang-format off */
#define CEN_FIELDS(X) \
	X(CE_ID, "id") \
	X(CE_OVERLAPPING, "overlapping_routes") \
	X(CE_ASN, "asn")
/* clang-format on */
YDOC_FIELDS(cen, CEN_FIELDS);

static void
parse_cen(struct ctx *c, const struct ynode *y)
{
	struct model_cen *cen = &c->m->cen;
	const struct ynode *v;
	struct ydoc_fields f;

	if (!ydoc_want_map(&c->d, y, true))
		return;
	c->m->has_cen = true;
	model_cen_defaults(cen);
	cen->line = y->line;
	YDOC_FOR_FIELDS(&c->d, &f, y, cen, v)
	{
	case CE_ID:
		get_id(c, v, cen->id);
		break;
	case CE_OVERLAPPING:
		ydoc_bool(&c->d, v, &cen->overlapping_routes);
		break;
	case CE_ASN:
		get_u32(c, v, "1..4294967295", &cen->asn);
		break;
	}
}

/* clang-format off */
#define TOP_FIELDS(X) \
	X(TOP_CEN, "cen") \
	X(TOP_REGIONS, "regions") \
	X(TOP_PCS, "physical_connections") \
	X(TOP_ATTS, "attachments") \
	X(TOP_RMAPS, "route_maps") \
	X(TOP_BWPS, "bandwidth_packages")
/* clang-format on */
YDOC_FIELDS(top, TOP_FIELDS);

static void
parse_top(struct ctx *c, const struct ynode *y)
{
	struct model *m = c->m;
	const struct ynode *v;
	struct ydoc_fields f;

	if (ydoc_is_null(y))
		return;
	if (!ydoc_want_map(&c->d, y, false))
		return;
	YDOC_FOR_FIELDS(&c->d, &f, y, top, v)
	{
	case TOP_CEN:
		parse_cen(c, v);
		break;
	case TOP_REGIONS:
		EACH_OBJ(c, v, m->regions, m->nregions, NULL, region_obj, NULL);
		break;
	case TOP_PCS:
		EACH_OBJ(c, v, m->pcs, m->npcs, NULL, pc_obj, NULL);
		break;
	case TOP_ATTS:
		EACH_OBJ(c, v, m->attachments, m->nattachments, NULL, att_obj,
			 NULL);
		break;
	case TOP_RMAPS:
		EACH_OBJ(c, v, m->rmaps, m->nrmaps, NULL, rmap_obj, NULL);
		break;
	case TOP_BWPS:
		EACH_OBJ(c, v, m->bwps, m->nbwps, NULL, bwp_obj, NULL);
		break;
	}
}

int
model_yaml_parse(struct model *m, const char *buf, size_t len,
		 struct cen_err *err)
{
	struct ctx *c;
	int rc;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return cen_err_add(err, -CEN_ENOMEM, "line 1: out of memory"),
		       -CEN_ENOMEM;
	ydoc_init(&c->d, &conv, err);
	c->m = m;
	c->tables_cap = m->ntables;
	c->troutes_cap = m->ntable_routes;
	if (ydoc_load(&c->d, buf, len) == 0 && ydoc_load_rest(&c->d) == 0 &&
	    ydoc_root(&c->d) != NULL)
		parse_top(c, ydoc_root(&c->d));
	rc = c->d.rc;
	ydoc_free(&c->d);
	free(c);
	return rc;
}

/* ------------------------------------------------------------------------
 * Emitting.  Lines are appended to a growing buffer; a failed allocation
 * is remembered and turns the result into NULL.
 */

struct ybuf {
	char *s;
	size_t len, cap;
	bool oom;
	bool dash; /* the next key starts a list item: "- key: " */
};

static void __attribute__((format(printf, 2, 3)))
bput(struct ybuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s != NULL ? b->s + b->len : NULL, room, fmt,
			      ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap * 2 + (size_t)n + 1;
		char *s = realloc(b->s, cap);

		if (s == NULL) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

/* Length of the UTF-8 sequence at s (n bytes left) and its code point;
 * 0 when it is not valid UTF-8. */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t v;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, v = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, v = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, v = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) ||
	    v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* Characters that read back as themselves unescaped in a double-quoted
 * scalar: printable to libyaml and not a line break (NEL, LS, PS) or BOM. */
static bool
yaml_printable(uint32_t cp)
{
	if (cp == 0x2028 || cp == 0x2029 || cp == 0xfeff)
		return false;
	return (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xd7ff) ||
	       (cp >= 0xe000 && cp <= 0xfffd) ||
	       (cp >= 0x10000 && cp <= 0x10ffff);
}

/* True if s can be written without quotes and reads back as the same
 * string in any YAML reader: no indicators, not a null, bool or number. */
static bool
plain_ok(const char *s)
{
	static const char *const words[] = { "null", "true", "false",
					     "yes",  "no",   "on",
					     "off",  "y",    "n" };
	bool digits = true;
	size_t i, dots = 0;

	if (s[0] == '\0' ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		      ch == '-' || ch == '/'))
			return false;
		if (ch == '.')
			dots++;
		else if (ch < '0' || ch > '9')
			digits = false;
	}
	if (digits && dots <= 1) /* 123, 1.5: numbers to other readers */
		return false;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i]) == 0)
			return false;
	return true;
}

/* A string scalar: plain when safe, else double-quoted with escapes.
 * Bytes that are not UTF-8 cannot be kept and are written as \xNN. */
static void
bscalar(struct ybuf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, n = strlen(s), k;
	uint32_t cp;

	if (plain_ok(s)) {
		bput(b, "%s", s);
		return;
	}
	bput(b, "\"");
	for (i = 0; i < n; i += k) {
		k = utf8_decode(u + i, n - i, &cp);
		if (k == 0) {
			bput(b, "\\x%02x", u[i]);
			k = 1;
		} else if (cp == '"' || cp == '\\') {
			bput(b, "\\%c", (char)cp);
		} else if (cp == '\n') {
			bput(b, "\\n");
		} else if (cp == '\t') {
			bput(b, "\\t");
		} else if (!yaml_printable(cp)) {
			if (cp <= 0xff)
				bput(b, "\\x%02x", (unsigned)cp);
			else if (cp <= 0xffff)
				bput(b, "\\u%04x", (unsigned)cp);
			else
				bput(b, "\\U%08x", (unsigned)cp);
		} else {
			bput(b, "%.*s", (int)k, s + i);
		}
	}
	bput(b, "\"");
}

/* "key: " at indentation ind (or "- key: " when an item starts). */
static void
bkey(struct ybuf *b, int ind, const char *key)
{
	if (b->dash) {
		bput(b, "%*s- %s:", ind - 2, "", key);
		b->dash = false;
	} else {
		bput(b, "%*s%s:", ind, "", key);
	}
}

static void
item_begin(struct ybuf *b)
{
	b->dash = true;
}

/* An item none of whose fields was written. */
static void
item_end(struct ybuf *b, int ind)
{
	if (b->dash)
		bput(b, "%*s- {}\n", ind - 2, "");
	b->dash = false;
}

static void
e_str(struct ybuf *b, int ind, const char *key, const char *v)
{
	bkey(b, ind, key);
	bput(b, " ");
	bscalar(b, v);
	bput(b, "\n");
}

static void
e_uint(struct ybuf *b, int ind, const char *key, uint64_t v)
{
	bkey(b, ind, key);
	bput(b, " %llu\n", (unsigned long long)v);
}

static void
e_bool(struct ybuf *b, int ind, const char *key, bool v)
{
	bkey(b, ind, key);
	bput(b, " %s\n", v ? "true" : "false");
}

static void
e_enum(struct ybuf *b, int ind, const char *key, const struct yenum *e,
       uint8_t v)
{
	if (v >= 1 && v <= e->last)
		e_str(b, ind, key, e->str(v));
}

static bool
has_family(const struct prefix *p)
{
	return p->family == PREFIX_AF_INET || p->family == PREFIX_AF_INET6;
}

static void
e_prefix(struct ybuf *b, int ind, const char *key, const struct prefix *p)
{
	char s[PREFIX_STRLEN];

	if (has_family(p))
		e_str(b, ind, key, prefix_fmt(p, s, sizeof(s)));
}

/* An address, bare when it is a host prefix; an interface address keeps
 * its length and host bits. */
static void
e_addr(struct ybuf *b, int ind, const char *key, const struct prefix *p,
       bool with_len)
{
	char s[PREFIX_STRLEN + 8], a[PREFIX_STRLEN];

	if (!has_family(p))
		return;
	prefix_fmt_addr(p, a, sizeof(a));
	if (with_len || p->len != prefix_maxlen(p->family)) {
		snprintf(s, sizeof(s), "%s/%u", a, p->len);
		e_str(b, ind, key, s);
	} else {
		e_str(b, ind, key, a);
	}
}

static bool
prefix_same(const struct prefix *a, const struct prefix *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* "key: [a, b]" lists; `fmt` writes item i. */
typedef void (*flow_fn)(struct ybuf *b, const void *arr, size_t i);

static void
e_flow(struct ybuf *b, int ind, const char *key, const void *arr, size_t n,
       flow_fn fn)
{
	size_t i;

	bkey(b, ind, key);
	bput(b, " [");
	for (i = 0; i < n; i++) {
		if (i > 0)
			bput(b, ", ");
		fn(b, arr, i);
	}
	bput(b, "]\n");
}

static void
flow_id(struct ybuf *b, const void *arr, size_t i)
{
	bscalar(b, ((const model_id *)arr)[i]);
}

static void
flow_u8(struct ybuf *b, const void *arr, size_t i)
{
	bput(b, "%u", ((const uint8_t *)arr)[i]);
}

static void
flow_u32(struct ybuf *b, const void *arr, size_t i)
{
	bput(b, "%u", (unsigned)((const uint32_t *)arr)[i]);
}

static void
flow_comm(struct ybuf *b, const void *arr, size_t i)
{
	uint32_t v = ((const uint32_t *)arr)[i];

	bput(b, "\"%u:%u\"", (unsigned)(v >> 16), (unsigned)(v & 0xffff));
}

static void
flow_prefix(struct ybuf *b, const void *arr, size_t i)
{
	char s[PREFIX_STRLEN];
	const struct prefix *p = &((const struct prefix *)arr)[i];

	if (has_family(p))
		bscalar(b, prefix_fmt(p, s, sizeof(s)));
	else
		bput(b, "\"\"");
}

static void
flow_att_type(struct ybuf *b, const void *arr, size_t i)
{
	uint8_t v = ((const uint8_t *)arr)[i];

	bscalar(b, v >= 1 && v <= E_ATT.last ? E_ATT.str(v) : "");
}

static void
flow_route_type(struct ybuf *b, const void *arr, size_t i)
{
	uint8_t v = ((const uint8_t *)arr)[i];

	bscalar(b, v >= 1 && v <= E_RT.last ? E_RT.str(v) : "");
}

/* "{ type: ENI, id: eni-1, weight: 2 }", defaults left out. */
static void
e_nexthop_flow(struct ybuf *b, const struct model_nexthop *nh)
{
	const char *sep = " ";

	bput(b, "{");
	if (nh->type >= 1 && nh->type <= E_NH.last) {
		bput(b, "%stype: ", sep);
		bscalar(b, E_NH.str(nh->type));
		sep = ", ";
	}
	if (nh->id[0] != '\0') {
		bput(b, "%sid: ", sep);
		bscalar(b, nh->id);
		sep = ", ";
	}
	if (nh->weight != 1) {
		bput(b, "%sweight: %u", sep, nh->weight);
		sep = ", ";
	}
	bput(b, "%s}", sep[0] == ',' ? " " : "");
}

static bool
nexthop_default(const struct model_nexthop *nh)
{
	return (nh->type < 1 || nh->type > E_NH.last) && nh->id[0] == '\0' &&
	       nh->weight == 1;
}

static void
emit_cen(struct ybuf *b, const struct model_cen *cen)
{
	bput(b, "cen:\n");
	e_str(b, 2, "id", cen->id);
	e_bool(b, 2, "overlapping_routes", cen->overlapping_routes);
	e_uint(b, 2, "asn", cen->asn);
}

static void
emit_table_routes(struct ybuf *b, const struct model *m, const char *table,
		  int ind)
{
	bool first = true;
	size_t i, j;

	for (i = 0; i < m->ntable_routes; i++) {
		const struct model_table_route *r = &m->table_routes[i];

		if (strcmp(r->table, table) != 0)
			continue;
		if (first)
			bput(b, "%*sstatic_routes:\n", ind, "");
		first = false;
		item_begin(b);
		e_prefix(b, ind + 4, "prefix", &r->prefix);
		if (r->nnh > 0) {
			bkey(b, ind + 4, "next_hops");
			bput(b, "\n");
			for (j = 0; j < r->nnh && j < MODEL_NEXTHOPS_MAX; j++) {
				bput(b, "%*s- ", ind + 6, "");
				e_nexthop_flow(b, &r->nh[j]);
				bput(b, "\n");
			}
		}
		if (r->blackhole)
			e_bool(b, ind + 4, "blackhole", true);
		item_end(b, ind + 4);
	}
}

static bool
first_of(const model_id *arr, size_t stride, size_t i, const char *id)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(*(const model_id *)((const char *)arr + j * stride),
			   id) == 0)
			return false;
	return true;
}

static void
emit_table(struct ybuf *b, const struct model *m, size_t j,
	   const struct model_table *dt)
{
	const struct model_table *t = &m->tables[j];

	item_begin(b);
	e_str(b, 8, "id", t->id);
	if (t->system != dt->system)
		e_bool(b, 8, "system", t->system);
	if (t->max_routes != dt->max_routes)
		e_uint(b, 8, "max_routes", t->max_routes);
	if (t->multi_region_ecmp != dt->multi_region_ecmp)
		e_bool(b, 8, "multi_region_ecmp", t->multi_region_ecmp);
	/* a table ID given twice gets its routes once, under the first */
	if (first_of(&m->tables[0].id, sizeof(*t), j, t->id))
		emit_table_routes(b, m, t->id, 8);
	item_end(b, 8);
}

/* Tables go under the first region of their `region`. */
static void
emit_regions(struct ybuf *b, const struct model *m)
{
	struct model_table dt;
	size_t i, j;

	model_table_defaults(&dt);
	bput(b, "regions:\n");
	for (i = 0; i < m->nregions; i++) {
		const struct model_region *r = &m->regions[i];
		bool first = true;

		item_begin(b);
		e_str(b, 4, "id", r->id);
		if (r->bgp_cluster_id != 0) {
			char cs[16];
			uint32_t id = r->bgp_cluster_id;

			snprintf(cs, sizeof(cs), "%u.%u.%u.%u", id >> 24,
				 (id >> 16) & 0xff, (id >> 8) & 0xff,
				 id & 0xff);
			e_str(b, 4, "bgp_cluster_id", cs);
		}
		if (first_of(&m->regions[0].id, sizeof(*r), i, r->id)) {
			for (j = 0; j < m->ntables; j++) {
				if (strcmp(m->tables[j].region, r->id) != 0)
					continue;
				if (first)
					bput(b, "    route_tables:\n");
				first = false;
				emit_table(b, m, j, &dt);
			}
		}
		item_end(b, 4);
	}
}

static void
emit_pcs(struct ybuf *b, const struct model *m)
{
	size_t i;

	bput(b, "physical_connections:\n");
	for (i = 0; i < m->npcs; i++) {
		const struct model_pc *pc = &m->pcs[i];

		item_begin(b);
		e_str(b, 4, "id", pc->id);
		e_str(b, 4, "region", pc->region);
		if (pc->access_point[0] != '\0')
			e_str(b, 4, "access_point", pc->access_point);
		e_uint(b, 4, "speed_gbps", pc->speed_gbps);
		item_end(b, 4);
	}
}

static void
emit_routes(struct ybuf *b, const struct model_attachment *a)
{
	bool custom = a->type == MODEL_ATT_VPC;
	size_t i;

	for (i = 0; i < a->nroutes; i++)
		custom = custom || a->routes[i].publish;
	bput(b, "    %s:\n", custom ? "custom_routes" : "static_routes");
	for (i = 0; i < a->nroutes; i++) {
		const struct model_route *r = &a->routes[i];

		item_begin(b);
		e_prefix(b, 8, "prefix", &r->prefix);
		if (!nexthop_default(&r->nh)) {
			bkey(b, 8, "next_hop");
			bput(b, " ");
			e_nexthop_flow(b, &r->nh);
			bput(b, "\n");
		}
		if (r->publish)
			e_bool(b, 8, "publish", true);
		item_end(b, 8);
	}
}

static void
emit_peer(struct ybuf *b, const struct model_peer *p)
{
	struct model_peer d;

	model_peer_defaults(&d);
	item_begin(b);
	if (!prefix_same(&p->address, &d.address))
		e_addr(b, 10, "address", &p->address, false);
	if (p->asn != d.asn)
		e_uint(b, 10, "asn", p->asn);
	if (p->nnodes > 0)
		e_flow(b, 10, "nodes", p->nodes,
		       p->nnodes < MODEL_NODES_MAX ? p->nnodes
						   : MODEL_NODES_MAX,
		       flow_u8);
	if (strcmp(p->md5_key, d.md5_key) != 0)
		e_str(b, 10, "md5_key", p->md5_key);
	if (p->hold_time_s != d.hold_time_s)
		e_uint(b, 10, "hold_time_s", p->hold_time_s);
	if (p->route_quota != d.route_quota)
		e_uint(b, 10, "route_quota", p->route_quota);
	if (p->passive != d.passive)
		e_bool(b, 10, "passive", p->passive);
	if (p->port != d.port)
		e_uint(b, 10, "port", p->port);
	if (p->ipv4 != d.ipv4)
		e_bool(b, 10, "ipv4", p->ipv4);
	if (p->ipv6 != d.ipv6)
		e_bool(b, 10, "ipv6", p->ipv6);
	if (p->ttl_security != d.ttl_security)
		e_uint(b, 10, "ttl_security", p->ttl_security);
	item_end(b, 10);
}

static void
emit_health(struct ybuf *b, const struct model_health *h,
	    const struct model_health *d)
{
	bool src = !prefix_same(&h->source_ip, &d->source_ip) &&
		   has_family(&h->source_ip);
	bool dst = !prefix_same(&h->target_ip, &d->target_ip) &&
		   has_family(&h->target_ip);
	bool any = src || dst || h->interval_s != d->interval_s ||
		   h->threshold != d->threshold ||
		   h->change_route != d->change_route;

	if (!h->enabled && !any)
		return;
	if (h->enabled && !any) {
		bput(b, "    health_check: {}\n");
		return;
	}
	bput(b, "    health_check:\n");
	if (!h->enabled)
		e_bool(b, 6, "enabled", false);
	if (src)
		e_addr(b, 6, "source_ip", &h->source_ip, false);
	if (dst)
		e_addr(b, 6, "target_ip", &h->target_ip, false);
	if (h->interval_s != d->interval_s)
		e_uint(b, 6, "interval_s", h->interval_s);
	if (h->threshold != d->threshold)
		e_uint(b, 6, "threshold", h->threshold);
	if (h->change_route != d->change_route)
		e_bool(b, 6, "change_route", h->change_route);
}

static void
emit_attachment(struct ybuf *b, const struct model_attachment *a,
		const struct model_attachment *d)
{
	size_t i;

	item_begin(b);
	e_str(b, 4, "id", a->id);
	e_enum(b, 4, "type", &E_ATT, a->type);
	if (strcmp(a->region, d->region) != 0)
		e_str(b, 4, "region", a->region);
	if (strcmp(a->route_table, d->route_table) != 0)
		e_str(b, 4, "route_table", a->route_table);
	if (a->propagate_set)
		e_flow(b, 4, "propagate", a->propagate,
		       a->npropagate < MODEL_LIST_MAX ? a->npropagate
						      : MODEL_LIST_MAX,
		       flow_id);
	if (a->nvswitch > 0)
		e_flow(b, 4, "vswitch_cidrs", a->vswitch_cidrs, a->nvswitch,
		       flow_prefix);
	if (strcmp(a->physical_connection, d->physical_connection) != 0)
		e_str(b, 4, "physical_connection", a->physical_connection);
	if (a->vlan != d->vlan)
		e_uint(b, 4, "vlan", a->vlan);
	if (a->bandwidth_mbps != d->bandwidth_mbps)
		e_uint(b, 4, "bandwidth_mbps", a->bandwidth_mbps);
	if (!prefix_same(&a->local_ip, &d->local_ip))
		e_addr(b, 4, "local_ip", &a->local_ip, true);
	if (!prefix_same(&a->peer_ip, &d->peer_ip))
		e_addr(b, 4, "peer_ip", &a->peer_ip, false);
	if (a->allow_default_route != d->allow_default_route)
		e_bool(b, 4, "allow_default_route", a->allow_default_route);
	if (a->nroutes > 0)
		emit_routes(b, a);
	if (a->npeers > 0) {
		bput(b, "    bgp:\n      peers:\n");
		for (i = 0; i < a->npeers && i < MODEL_PEERS_MAX; i++)
			emit_peer(b, &a->peers[i]);
	}
	emit_health(b, &a->health, &d->health);
	item_end(b, 4);
}

static uint8_t
clamp_n(uint8_t n, size_t max)
{
	return n < max ? n : (uint8_t)max;
}

static void
emit_match(struct ybuf *b, const struct model_rmap *r,
	   const struct model_rmap *d)
{
	struct ybuf t = { 0 };

	/* Written to a scratch buffer first: the block only if non-empty. */
#define ML(name, arr, n, fn)                                                   \
	if ((n) > 0)                                                           \
		e_flow(&t, 6, name, arr, clamp_n(n, MODEL_LIST_MAX), fn);
#define MB(name, field)                                                        \
	if (r->field != d->field)                                              \
		e_bool(&t, 6, name, r->field);
	ML("source_region_ids", r->src_regions, r->nsrc_regions, flow_id)
	ML("source_instance_ids", r->src_instances, r->nsrc_instances, flow_id)
	MB("source_instance_ids_inverse", src_instances_inverse)
	ML("destination_instance_ids", r->dst_instances, r->ndst_instances,
	   flow_id)
	MB("destination_instance_ids_inverse", dst_instances_inverse)
	ML("source_route_table_ids", r->src_tables, r->nsrc_tables, flow_id)
	ML("destination_route_table_ids", r->dst_tables, r->ndst_tables,
	   flow_id)
	ML("source_instance_types", r->src_types, r->nsrc_types, flow_att_type)
	ML("destination_instance_types", r->dst_types, r->ndst_types,
	   flow_att_type)
	ML("destination_cidr_blocks", r->cidrs, r->ncidrs, flow_prefix)
	if (r->cidr_mode != d->cidr_mode)
		e_enum(&t, 6, "cidr_match_mode", &E_MATCH, r->cidr_mode);
	ML("route_types", r->route_types, r->nroute_types, flow_route_type)
	ML("as_paths", r->asns, r->nasns, flow_u32)
	if (r->asn_mode != d->asn_mode)
		e_enum(&t, 6, "as_path_match_mode", &E_MATCH, r->asn_mode);
	ML("communities", r->comms, r->ncomms, flow_comm)
	if (r->comm_mode != d->comm_mode)
		e_enum(&t, 6, "community_match_mode", &E_MATCH, r->comm_mode);
	if (r->families != d->families) {
		uint8_t fam = r->families & (MODEL_AF_V4 | MODEL_AF_V6);

		if (fam != 0)
			e_str(&t, 6, "address_family",
			      fam == MODEL_AF_V4   ? "IPv4"
			      : fam == MODEL_AF_V6 ? "IPv6"
						   : "both");
	}
#undef ML
#undef MB
	if (t.oom)
		b->oom = true;
	else if (t.len > 0)
		bput(b, "    match:\n%s", t.s);
	free(t.s);
}

static void
emit_set(struct ybuf *b, const struct model_rmap *r, const struct model_rmap *d)
{
	bool comms = r->set_comm_mode != d->set_comm_mode || r->nset_comms > 0;

	if (r->set_pref == d->set_pref && !comms && r->nprepend == 0)
		return;
	bput(b, "    set:\n");
	if (r->set_pref != d->set_pref)
		e_uint(b, 6, "preference", r->set_pref);
	if (comms) {
		const char *sep = " ";

		bput(b, "      communities: {");
		if (r->set_comm_mode >= 1 && r->set_comm_mode <= E_COMM.last) {
			bput(b, " mode: ");
			bscalar(b, E_COMM.str(r->set_comm_mode));
			sep = ", ";
		}
		bput(b, "%svalues: [", sep);
		for (size_t i = 0; i < clamp_n(r->nset_comms, MODEL_LIST_MAX);
		     i++) {
			if (i > 0)
				bput(b, ", ");
			flow_comm(b, r->set_comms, i);
		}
		bput(b, "] }\n");
	}
	if (r->nprepend > 0)
		e_flow(b, 6, "prepend_as_path", r->prepend,
		       clamp_n(r->nprepend, MODEL_PREPEND_MAX), flow_u32);
}

static void
emit_rmap(struct ybuf *b, const struct model_rmap *r,
	  const struct model_rmap *d)
{
	item_begin(b);
	e_str(b, 4, "region", r->region);
	e_enum(b, 4, "direction", &E_DIR, r->direction);
	if (strcmp(r->route_table, d->route_table) != 0)
		e_str(b, 4, "route_table", r->route_table);
	e_uint(b, 4, "priority", r->priority);
	emit_match(b, r, d);
	e_enum(b, 4, "action", &E_ACTION, r->action);
	if (r->next_priority != d->next_priority)
		e_uint(b, 4, "next_priority", r->next_priority);
	emit_set(b, r, d);
	item_end(b, 4);
}

static void
emit_bwps(struct ybuf *b, const struct model *m)
{
	size_t i, j;

	bput(b, "bandwidth_packages:\n");
	for (i = 0; i < m->nbwps; i++) {
		const struct model_bwp *bw = &m->bwps[i];

		item_begin(b);
		e_str(b, 4, "id", bw->id);
		e_flow(b, 4, "regions", bw->regions, 2, flow_id);
		e_uint(b, 4, "bandwidth_mbps", bw->bandwidth_mbps);
		if (bw->nconns > 0)
			bput(b, "    connections:\n");
		for (j = 0; j < bw->nconns; j++) {
			const struct model_bwp_conn *cn = &bw->conns[j];

			item_begin(b);
			e_flow(b, 8, "regions", cn->regions, 2, flow_id);
			e_uint(b, 8, "bandwidth_mbps", cn->bandwidth_mbps);
			if (cn->pay_by_transfer)
				e_bool(b, 8, "pay_by_data_transfer", true);
			if (cn->cap_bytes != 0)
				e_uint(b, 8, "cap_bytes", cn->cap_bytes);
			item_end(b, 8);
		}
		item_end(b, 4);
	}
}

char *
model_yaml_emit(const struct model *m)
{
	struct ybuf b = { 0 };
	size_t i;

	b.cap = 4096;
	b.s = malloc(b.cap);
	if (b.s == NULL)
		return NULL;
	b.s[0] = '\0';
	if (m->has_cen)
		emit_cen(&b, &m->cen);
	if (m->nregions > 0) {
		bput(&b, "%s", b.len > 0 ? "\n" : "");
		emit_regions(&b, m);
	}
	if (m->npcs > 0) {
		bput(&b, "%s", b.len > 0 ? "\n" : "");
		emit_pcs(&b, m);
	}
	if (m->nattachments > 0) {
		struct model_attachment *d = malloc(sizeof(*d));

		if (d == NULL) {
			free(b.s);
			return NULL;
		}
		model_attachment_defaults(d);
		bput(&b, "%sattachments:\n", b.len > 0 ? "\n" : "");
		for (i = 0; i < m->nattachments; i++)
			emit_attachment(&b, &m->attachments[i], d);
		free(d);
	}
	if (m->nrmaps > 0) {
		struct model_rmap *d = malloc(sizeof(*d));

		if (d == NULL) {
			free(b.s);
			return NULL;
		}
		model_rmap_defaults(d);
		bput(&b, "%sroute_maps:\n", b.len > 0 ? "\n" : "");
		for (i = 0; i < m->nrmaps; i++)
			emit_rmap(&b, &m->rmaps[i], d);
		free(d);
	}
	if (m->nbwps > 0) {
		bput(&b, "%s", b.len > 0 ? "\n" : "");
		emit_bwps(&b, m);
	}
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* ------------------------------------------------------------------------
 * I/O: reading a file.  Nothing above this line touches the file system.
 */

int
model_yaml_load_file(struct model *m, const char *path, struct cen_err *err)
{
	size_t len;
	char *buf;
	int rc;

	rc = ydoc_read_file(&conv, path, &buf, &len, err);
	if (rc == 0)
		rc = model_yaml_parse(m, buf, len, err);
	free(buf);
	return rc;
}
