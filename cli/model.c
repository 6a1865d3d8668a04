/*
 * model.c - the configuration nouns of cenctl: cen, region, route-table,
 * static-route, physical-connection, attachment, route-map and
 * bandwidth-package, each with create|update|delete|list|show, and
 * `health-check set` (ROUTING.md "Objects", "Route maps", "Bandwidth").
 *
 * Objects travel as YAML documents in the format of examples/hybrid.yaml.
 * create and update take either `-f FILE.yaml` (sent as written, after a
 * local structure check) or flags, which build the object as a struct
 * model and emit it with model_yaml_emit, so the server sees exactly what
 * a file would say.  update fetches the object first (Admin/Get) and
 * changes only what the flags name; a list flag given replaces the whole
 * list.  create refuses an object that exists, update one that does not.
 * delete sends the object's key (Admin/Delete, cend.v1.ObjectKey).
 *
 * list and show fetch with Admin/Get, parse the YAML back into a model and
 * select the objects asked for: a table of their main fields, the YAML of
 * the object (show), or with -w json the same YAML printed as JSON (a list
 * is an array of objects; a route table carries its "region", a static
 * route its "route_table").
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "cli/cenctl.h"
#include "core/attr.h"
#include "core/model.h"
#include "core/model_yaml.h"
#include "proto/admin.pb-c.h"

#define PAIRS_MAX 128
#define CIDRS_MAX 64

enum kind_id {
	K_CEN,
	K_REGION,
	K_TABLE,
	K_SROUTE,
	K_PC,
	K_ATT,
	K_RMAP,
	K_BWP,
};

/* A flag's role: part of the object's key, a field, or a list (repeatable,
 * comma-separated values allowed; given on update, it replaces the list). */
enum {
	F_KEY,
	F_FIELD,
	F_LIST
};

struct flag {
	const char *name; /* "--vlan" */
	const char *arg;  /* "N"; NULL: a switch (--name or --name=false) */
	uint8_t role;
	const char *help;
};

/* The key of an object, and the filters of list. */
struct key {
	const char *id;
	const char *region;
	const char *table; /* route maps: "" = the system table */
	bool has_prefix;
	struct prefix prefix;
	uint8_t dir;
	uint32_t prio;
};

/* The object being built by create or changed by update. */
struct obj {
	struct model_cen cen;
	struct model_region region;
	model_id system_table;
	struct model_table table;
	struct model_table_route troute;
	struct model_pc pc;
	struct model_attachment att;
	struct prefix cidrs[CIDRS_MAX]; /* att.vswitch_cidrs when set here */
	struct model_peer *peer;	/* the peer --peer-* flags apply to */
	struct model_rmap rmap;
	struct model_bwp bwp;
	uint8_t nbwp_regions;
};

struct kind {
	const char *noun;
	const char *title; /* "route table" */
	enum kind_id k;
	Cend__V1__ObjectKind kind;
	const char *about; /* what it is, for create's help: "a ..." */
	const struct flag *flags;
	size_t nflags;
	int (*set)(struct obj *o, struct key *key, const struct flag *f,
		   const char *v, bool first, struct cen_err *err);
};

/* ---- setting fields from flags ------------------------------------- */

static int
bad(struct cen_err *err, const struct flag *f, const char *v, const char *what)
{
	return cen_errf(err, -CEN_EINVAL, "%s %s: expected %s", f->name, v,
			what);
}

static int
set_id(char *dst, const struct flag *f, const char *v, struct cen_err *err)
{
	if (!model_id_valid(v))
		return bad(err, f, v,
			   "an ID (1..63 of A-Z a-z 0-9 . _ -, starting with "
			   "a letter or digit)");
	memcpy(dst, v, strlen(v) + 1); /* valid IDs fit MODEL_ID_MAX */
	return 0;
}

static int
set_u32(uint32_t *dst, const struct flag *f, const char *v, uint32_t min,
	uint32_t max, struct cen_err *err)
{
	uint64_t x;
	char what[64];

	if (opts_parse_u64(v, min, max, &x) != 0) {
		snprintf(what, sizeof(what), "a number %u..%u", min, max);
		return bad(err, f, v, what);
	}
	*dst = (uint32_t)x;
	return 0;
}

static int
set_u8(uint8_t *dst, const struct flag *f, const char *v, uint32_t min,
       uint32_t max, struct cen_err *err)
{
	uint32_t x = 0;
	int rc = set_u32(&x, f, v, min, max, err);

	if (rc == 0)
		*dst = (uint8_t)x;
	return rc;
}

static int
set_u16(uint16_t *dst, const struct flag *f, const char *v, uint32_t min,
	uint32_t max, struct cen_err *err)
{
	uint32_t x = 0;
	int rc = set_u32(&x, f, v, min, max, err);

	if (rc == 0)
		*dst = (uint16_t)x;
	return rc;
}

static int
set_bool(bool *dst, const struct flag *f, const char *v, struct cen_err *err)
{
	if (opts_parse_bool(v, dst) != 0)
		return bad(err, f, v, "true or false");
	return 0;
}

static int
set_prefix(struct prefix *dst, const struct flag *f, const char *v,
	   struct cen_err *err)
{
	if (prefix_parse(dst, v, true) != 0)
		return bad(err, f, v,
			   "a prefix such as 10.1.0.0/24 (no host bits)");
	return 0;
}

static int
set_addr(struct prefix *dst, const struct flag *f, const char *v,
	 struct cen_err *err)
{
	if (prefix_parse_addr(dst, v) != 0)
		return bad(err, f, v, "an IP address");
	return 0;
}

/* "10.10.10.1/30": the address keeps its host bits. */
static int
set_ifaddr(struct prefix *dst, const struct flag *f, const char *v,
	   struct cen_err *err)
{
	char a[64];
	const char *slash = strchr(v, '/');
	size_t n = slash != NULL ? (size_t)(slash - v) : strlen(v);
	struct prefix p;
	uint64_t len;

	if (n >= sizeof(a))
		return bad(err, f, v,
			   "an address with its length (10.0.0.1/30)");
	memcpy(a, v, n);
	a[n] = '\0';
	if (prefix_parse_addr(&p, a) != 0 ||
	    (slash != NULL &&
	     opts_parse_u64(slash + 1, 0, prefix_maxlen(p.family), &len) != 0))
		return bad(err, f, v,
			   "an address with its length (10.0.0.1/30)");
	if (slash != NULL)
		p.len = (uint8_t)len;
	*dst = p;
	return 0;
}

static int
set_enum(uint8_t *dst, uint8_t (*parse)(const char *), const struct flag *f,
	 const char *v, const char *what, struct cen_err *err)
{
	uint8_t x = parse(v);

	if (x == 0)
		return bad(err, f, v, what);
	*dst = x;
	return 0;
}

static int
set_comm(uint32_t *dst, const struct flag *f, const char *v,
	 struct cen_err *err)
{
	if (attr_comm_parse(v, dst) != 0)
		return bad(err, f, v, "a community ASN:VALUE, each 0..65535");
	return 0;
}

/* Appends to a fixed list (cleared by the first value of a command). */
#define LIST_ADD(arr, n, max, f, v, err)                                       \
	((n) >= (max) ? cen_errf((err), -CEN_ETOOBIG, "%s: at most %d values", \
				 (f)->name, (int)(max))                        \
		      : 0)

static bool
is(const struct flag *f, const char *name)
{
	return strcmp(f->name, name) == 0;
}

/* Key flags shared by route maps and static routes. */
static int
set_key(struct key *key, const struct flag *f, const char *v,
	struct cen_err *err)
{
	if (is(f, "--region")) {
		if (!model_id_valid(v))
			return bad(err, f, v, "a region ID");
		key->region = v;
	} else if (is(f, "--route-table")) {
		if (v[0] != '\0' && !model_id_valid(v))
			return bad(err, f, v, "a route table ID");
		key->table = v;
	} else if (is(f, "--direction")) {
		key->dir = model_dir_parse(v);
		if (key->dir == 0)
			return bad(err, f, v, "RegionIn or RegionOut");
	} else if (is(f, "--priority")) {
		uint64_t p;

		if (opts_parse_u64(v, 1, 100, &p) != 0)
			return bad(err, f, v, "a number 1..100");
		key->prio = (uint32_t)p;
	} else if (is(f, "--prefix")) {
		if (prefix_parse(&key->prefix, v, true) != 0)
			return bad(err, f, v,
				   "a prefix such as 10.0.0.0/8 (no host "
				   "bits)");
		key->has_prefix = true;
	}
	return 0;
}

static const struct flag cen_flags[] = {
	{ "--asn", "N", F_FIELD,
	  "the hub side's ASN towards customer edges (default 45104)" },
	{ "--overlapping-routes", NULL, F_FIELD,
	  "overlapping routes (default true; cannot be turned off once on)" },
};

static int
cen_set(struct obj *o, struct key *key, const struct flag *f, const char *v,
	bool first, struct cen_err *err)
{
	if (is(f, "--asn"))
		return set_u32(&o->cen.asn, f, v, 1, UINT32_MAX, err);
	return set_bool(&o->cen.overlapping_routes, f, v, err);
}

static const struct flag region_flags[] = {
	{ "--system-table", "ID", F_FIELD,
	  "ID of its system route table (default rt-REGION-system)" },
};

static int
region_set(struct obj *o, struct key *key, const struct flag *f, const char *v,
	   bool first, struct cen_err *err)
{
	return set_id(o->system_table, f, v, err);
}

static const struct flag table_flags[] = {
	{ "--region", "R", F_FIELD, "its region (required to create)" },
	{ "--system", NULL, F_FIELD, "the region's system table" },
	{ "--max-routes", "N", F_FIELD, "prefix quota (0: unlimited)" },
	{ "--multi-region-ecmp", NULL, F_FIELD,
	  "ECMP across regions (default false)" },
};

static int
table_set(struct obj *o, struct key *key, const struct flag *f, const char *v,
	  bool first, struct cen_err *err)
{
	struct model_table *t = &o->table;

	if (is(f, "--region"))
		return set_id(t->region, f, v, err);
	if (is(f, "--system"))
		return set_bool(&t->system, f, v, err);
	if (is(f, "--max-routes"))
		return set_u32(&t->max_routes, f, v, 0, UINT32_MAX, err);
	return set_bool(&t->multi_region_ecmp, f, v, err);
}

static const struct flag sroute_flags[] = {
	{ "--route-table", "T", F_KEY, "the route table (required)" },
	{ "--prefix", "P", F_KEY, "the destination (required)" },
	{ "--next-hop", "ATTACHMENT[*WEIGHT]", F_LIST,
	  "an attachment of the table's region; repeat for ECMP" },
	{ "--blackhole", NULL, F_FIELD, "drop what matches" },
};

static int
sroute_set(struct obj *o, struct key *key, const struct flag *f, const char *v,
	   bool first, struct cen_err *err)
{
	struct model_table_route *r = &o->troute;
	struct model_nexthop *nh;
	char id[MODEL_ID_MAX + 8];
	const char *star;
	int rc;

	if (f->role == F_KEY)
		return set_key(key, f, v, err);
	if (is(f, "--blackhole"))
		return set_bool(&r->blackhole, f, v, err);
	if (first)
		r->nnh = 0;
	if ((rc = LIST_ADD(r->nh, r->nnh, MODEL_NEXTHOPS_MAX, f, v, err)) != 0)
		return rc;
	nh = &r->nh[r->nnh];
	model_nexthop_defaults(nh);
	nh->type = MODEL_NH_ATTACHMENT;
	star = strchr(v, '*');
	snprintf(id, sizeof(id), "%.*s",
		 star != NULL ? (int)(star - v) : (int)strlen(v), v);
	if ((rc = set_id(nh->id, f, id, err)) != 0)
		return rc;
	if (star != NULL &&
	    (rc = set_u8(&nh->weight, f, star + 1, 1, 255, err)) != 0)
		return rc;
	r->nnh++;
	return 0;
}

static const struct flag pc_flags[] = {
	{ "--region", "R", F_FIELD, "its region (required to create)" },
	{ "--access-point", "NAME", F_FIELD, "where the circuit lands" },
	{ "--speed-gbps", "N", F_FIELD, "port speed, 1..100" },
};

static int
pc_set(struct obj *o, struct key *key, const struct flag *f, const char *v,
       bool first, struct cen_err *err)
{
	if (is(f, "--region"))
		return set_id(o->pc.region, f, v, err);
	if (is(f, "--access-point"))
		return set_id(o->pc.access_point, f, v, err);
	return set_u32(&o->pc.speed_gbps, f, v, 1, 100, err);
}

static const struct flag att_flags[] = {
	{ "--type", "VPC|VBR|VPN|CCN", F_FIELD, "required to create" },
	{ "--region", "R", F_FIELD, "its region (required to create)" },
	{ "--route-table", "T", F_FIELD,
	  "the route table it is associated with (default: the system "
	  "table)" },
	{ "--propagate", "T", F_LIST,
	  "a route table its routes propagate to (default: its own)" },
	{ "--vswitch-cidr", "P", F_LIST, "VPC: a vSwitch CIDR" },
	{ "--physical-connection", "ID", F_FIELD, "VBR: its circuit" },
	{ "--vlan", "N", F_FIELD, "VBR: VLAN ID, 1..2999" },
	{ "--bandwidth-mbps", "N", F_FIELD, "VBR: bandwidth" },
	{ "--local-ip", "A/LEN", F_FIELD, "VBR: the cloud side's address" },
	{ "--peer-ip", "A", F_FIELD, "VBR: the customer side's address" },
	{ "--allow-default-route", NULL, F_FIELD,
	  "VBR: accept 0.0.0.0/0 (default true)" },
	{ "--bgp-peer", "ADDRESS", F_LIST,
	  "a BGP peer; the --peer-* flags after it describe it" },
	{ "--peer-asn", "N", F_FIELD, "the last --bgp-peer's ASN" },
	{ "--peer-nodes", "N[,N...]", F_FIELD,
	  "cluster nodes that hold a session with it" },
	{ "--peer-md5-key", "KEY", F_FIELD, "its TCP-MD5 key" },
	{ "--health-check", NULL, F_FIELD, "VBR: probe the customer edge" },
	{ "--health-check-source", "A", F_FIELD, "the probes' source" },
	{ "--health-check-target", "A", F_FIELD,
	  "the probes' target (default --peer-ip)" },
};

static int
peer_set(struct obj *o, const struct flag *f, const char *v,
	 struct cen_err *err)
{
	struct model_peer *p = o->peer;
	char buf[256], *save = NULL;

	if (p == NULL)
		return cen_errf(err, -CEN_EINVAL,
				"%s: give --bgp-peer ADDRESS before it",
				f->name);
	if (is(f, "--peer-asn"))
		return set_u32(&p->asn, f, v, 1, UINT32_MAX, err);
	if (is(f, "--peer-md5-key")) {
		if (strlen(v) >= sizeof(p->md5_key))
			return bad(err, f, v, "at most 80 characters");
		snprintf(p->md5_key, sizeof(p->md5_key), "%s", v);
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", v);
	p->nnodes = 0;
	for (char *t = strtok_r(buf, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save)) {
		int rc;

		if (p->nnodes == MODEL_NODES_MAX)
			return bad(err, f, v, "at most 8 nodes");
		rc = set_u8(&p->nodes[p->nnodes], f, t, 0, 255, err);
		if (rc != 0)
			return rc;
		p->nnodes++;
	}
	return 0;
}

static int
att_set(struct obj *o, struct key *key, const struct flag *f, const char *v,
	bool first, struct cen_err *err)
{
	struct model_attachment *a = &o->att;
	int rc;

	if (is(f, "--type"))
		return set_enum(&a->type, model_att_type_parse, f, v,
				"VPC, VBR, VPN or CCN", err);
	if (is(f, "--region"))
		return set_id(a->region, f, v, err);
	if (is(f, "--route-table"))
		return set_id(a->route_table, f, v, err);
	if (is(f, "--propagate")) {
		if (first)
			a->npropagate = 0;
		a->propagate_set = true;
		if ((rc = LIST_ADD(a->propagate, a->npropagate, MODEL_LIST_MAX,
				   f, v, err)) != 0 ||
		    (rc = set_id(a->propagate[a->npropagate], f, v, err)) != 0)
			return rc;
		a->npropagate++;
		return 0;
	}
	if (is(f, "--vswitch-cidr")) {
		if (first) {
			a->vswitch_cidrs = o->cidrs;
			a->nvswitch = 0;
		}
		if ((rc = LIST_ADD(o->cidrs, a->nvswitch, CIDRS_MAX, f, v,
				   err)) != 0 ||
		    (rc = set_prefix(&o->cidrs[a->nvswitch], f, v, err)) != 0)
			return rc;
		a->nvswitch++;
		return 0;
	}
	if (is(f, "--physical-connection"))
		return set_id(a->physical_connection, f, v, err);
	if (is(f, "--vlan"))
		return set_u16(&a->vlan, f, v, 1, 2999, err);
	if (is(f, "--bandwidth-mbps"))
		return set_u32(&a->bandwidth_mbps, f, v, 2, UINT32_MAX, err);
	if (is(f, "--local-ip"))
		return set_ifaddr(&a->local_ip, f, v, err);
	if (is(f, "--peer-ip"))
		return set_addr(&a->peer_ip, f, v, err);
	if (is(f, "--allow-default-route"))
		return set_bool(&a->allow_default_route, f, v, err);
	if (is(f, "--bgp-peer")) {
		if (first)
			a->npeers = 0;
		if ((rc = LIST_ADD(a->peers, a->npeers, MODEL_PEERS_MAX, f, v,
				   err)) != 0)
			return rc;
		o->peer = &a->peers[a->npeers];
		model_peer_defaults(o->peer);
		if ((rc = set_addr(&o->peer->address, f, v, err)) != 0)
			return rc;
		a->npeers++;
		return 0;
	}
	if (strncmp(f->name, "--peer-", 7) == 0 && !is(f, "--peer-ip"))
		return peer_set(o, f, v, err);
	if (is(f, "--health-check"))
		return set_bool(&a->health.enabled, f, v, err);
	a->health.enabled = true;
	if (is(f, "--health-check-source"))
		return set_addr(&a->health.source_ip, f, v, err);
	return set_addr(&a->health.target_ip, f, v, err);
}

static const struct flag rmap_flags[] = {
	{ "--region", "R", F_KEY, "the region (required)" },
	{ "--direction", "RegionIn|RegionOut", F_KEY, "required" },
	{ "--priority", "N", F_KEY, "1..100, lowest first (required)" },
	{ "--route-table", "T", F_KEY, "the route table (default: system)" },
	{ "--source-region", "ID", F_LIST, "match: source region" },
	{ "--source-instance", "ID", F_LIST, "match: source attachment" },
	{ "--source-instance-inverse", NULL, F_FIELD,
	  "match: source NOT among --source-instance" },
	{ "--destination-instance", "ID", F_LIST,
	  "match: destination attachment" },
	{ "--destination-instance-inverse", NULL, F_FIELD,
	  "match: destination NOT among --destination-instance" },
	{ "--source-route-table", "ID", F_LIST, "match: source route table" },
	{ "--destination-route-table", "ID", F_LIST,
	  "match: destination route table" },
	{ "--source-type", "TYPE", F_LIST, "match: source type (VPC, VBR...)" },
	{ "--destination-type", "TYPE", F_LIST, "match: destination type" },
	{ "--cidr", "P", F_LIST, "match: destination CIDR block" },
	{ "--cidr-match-mode", "Include|Complete", F_FIELD,
	  "how --cidr matches" },
	{ "--route-type", "TYPE", F_LIST, "match: System, Custom, BGP or CEN" },
	{ "--as-path", "ASN", F_LIST, "match: AS in the AS path" },
	{ "--as-path-match-mode", "Include|Complete", F_FIELD,
	  "how --as-path matches" },
	{ "--community", "N:M", F_LIST, "match: community" },
	{ "--community-match-mode", "Include|Complete", F_FIELD,
	  "how --community matches" },
	{ "--family", "IPv4|IPv6|both", F_FIELD, "match: address family" },
	{ "--action", "Permit|Deny", F_FIELD, "default Permit" },
	{ "--next-priority", "N", F_FIELD, "Permit: go on with this entry" },
	{ "--set-preference", "N", F_FIELD, "Permit: route preference" },
	{ "--set-community", "N:M", F_LIST, "Permit: communities to set" },
	{ "--set-community-mode", "Additive|Replace", F_FIELD,
	  "how --set-community applies" },
	{ "--prepend", "ASN", F_LIST, "Permit: AS path prepend" },
};

/* A list of IDs in a route map entry. */
static int
rmap_ids(model_id *arr, uint8_t *n, bool first, const struct flag *f,
	 const char *v, struct cen_err *err)
{
	int rc;

	if (first)
		*n = 0;
	if ((rc = LIST_ADD(arr, *n, MODEL_LIST_MAX, f, v, err)) != 0 ||
	    (rc = set_id(arr[*n], f, v, err)) != 0)
		return rc;
	(*n)++;
	return 0;
}

static int
rmap_enums(uint8_t *arr, uint8_t *n, bool first, uint8_t (*parse)(const char *),
	   const char *what, const struct flag *f, const char *v,
	   struct cen_err *err)
{
	int rc;

	if (first)
		*n = 0;
	if ((rc = LIST_ADD(arr, *n, MODEL_LIST_MAX, f, v, err)) != 0 ||
	    (rc = set_enum(&arr[*n], parse, f, v, what, err)) != 0)
		return rc;
	(*n)++;
	return 0;
}

static int
rmap_u32s(uint32_t *arr, uint8_t *n, size_t max, bool first, bool comm,
	  const struct flag *f, const char *v, struct cen_err *err)
{
	int rc;

	if (first)
		*n = 0;
	if ((rc = LIST_ADD(arr, *n, max, f, v, err)) != 0)
		return rc;
	rc = comm ? set_comm(&arr[*n], f, v, err)
		  : set_u32(&arr[*n], f, v, 1, UINT32_MAX, err);
	if (rc == 0)
		(*n)++;
	return rc;
}

static int
rmap_set(struct obj *o, struct key *key, const struct flag *f, const char *v,
	 bool first, struct cen_err *err)
{
	struct model_rmap *r = &o->rmap;
	int rc;

	if (f->role == F_KEY)
		return set_key(key, f, v, err);
	if (is(f, "--source-region"))
		return rmap_ids(r->src_regions, &r->nsrc_regions, first, f, v,
				err);
	if (is(f, "--source-instance"))
		return rmap_ids(r->src_instances, &r->nsrc_instances, first, f,
				v, err);
	if (is(f, "--source-instance-inverse"))
		return set_bool(&r->src_instances_inverse, f, v, err);
	if (is(f, "--destination-instance"))
		return rmap_ids(r->dst_instances, &r->ndst_instances, first, f,
				v, err);
	if (is(f, "--destination-instance-inverse"))
		return set_bool(&r->dst_instances_inverse, f, v, err);
	if (is(f, "--source-route-table"))
		return rmap_ids(r->src_tables, &r->nsrc_tables, first, f, v,
				err);
	if (is(f, "--destination-route-table"))
		return rmap_ids(r->dst_tables, &r->ndst_tables, first, f, v,
				err);
	if (is(f, "--source-type"))
		return rmap_enums(r->src_types, &r->nsrc_types, first,
				  model_att_type_parse, "VPC, VBR, VPN or CCN",
				  f, v, err);
	if (is(f, "--destination-type"))
		return rmap_enums(r->dst_types, &r->ndst_types, first,
				  model_att_type_parse, "VPC, VBR, VPN or CCN",
				  f, v, err);
	if (is(f, "--route-type"))
		return rmap_enums(r->route_types, &r->nroute_types, first,
				  model_route_type_parse,
				  "System, Custom, BGP or CEN", f, v, err);
	if (is(f, "--cidr")) {
		if (first)
			r->ncidrs = 0;
		if ((rc = LIST_ADD(r->cidrs, r->ncidrs, MODEL_LIST_MAX, f, v,
				   err)) != 0 ||
		    (rc = set_prefix(&r->cidrs[r->ncidrs], f, v, err)) != 0)
			return rc;
		r->ncidrs++;
		return 0;
	}
	if (is(f, "--as-path"))
		return rmap_u32s(r->asns, &r->nasns, MODEL_LIST_MAX, first,
				 false, f, v, err);
	if (is(f, "--community"))
		return rmap_u32s(r->comms, &r->ncomms, MODEL_LIST_MAX, first,
				 true, f, v, err);
	if (is(f, "--set-community"))
		return rmap_u32s(r->set_comms, &r->nset_comms, MODEL_LIST_MAX,
				 first, true, f, v, err);
	if (is(f, "--prepend"))
		return rmap_u32s(r->prepend, &r->nprepend, MODEL_PREPEND_MAX,
				 first, false, f, v, err);
	if (is(f, "--cidr-match-mode"))
		return set_enum(&r->cidr_mode, model_match_mode_parse, f, v,
				"Include or Complete", err);
	if (is(f, "--as-path-match-mode"))
		return set_enum(&r->asn_mode, model_match_mode_parse, f, v,
				"Include or Complete", err);
	if (is(f, "--community-match-mode"))
		return set_enum(&r->comm_mode, model_match_mode_parse, f, v,
				"Include or Complete", err);
	if (is(f, "--set-community-mode"))
		return set_enum(&r->set_comm_mode, model_comm_mode_parse, f, v,
				"Additive or Replace", err);
	if (is(f, "--action"))
		return set_enum(&r->action, model_action_parse, f, v,
				"Permit or Deny", err);
	if (is(f, "--next-priority"))
		return set_u8(&r->next_priority, f, v, 0, 100, err);
	if (is(f, "--set-preference"))
		return set_u8(&r->set_pref, f, v, 0, 100, err);
	/* --family */
	if (strcasecmp(v, "IPv4") == 0)
		r->families = MODEL_AF_V4;
	else if (strcasecmp(v, "IPv6") == 0)
		r->families = MODEL_AF_V6;
	else if (strcasecmp(v, "both") == 0)
		r->families = MODEL_AF_V4 | MODEL_AF_V6;
	else
		return bad(err, f, v, "IPv4, IPv6 or both");
	return 0;
}

static const struct flag bwp_flags[] = {
	{ "--region", "R", F_LIST,
	  "one of the two regions it joins (give two; required to create)" },
	{ "--bandwidth-mbps", "N", F_FIELD, "committed rate" },
};

static int
bwp_set(struct obj *o, struct key *key, const struct flag *f, const char *v,
	bool first, struct cen_err *err)
{
	if (is(f, "--bandwidth-mbps"))
		return set_u32(&o->bwp.bandwidth_mbps, f, v, 1, UINT32_MAX,
			       err);
	if (first)
		o->nbwp_regions = 0;
	if (o->nbwp_regions == 2)
		return bad(err, f, v, "exactly two regions");
	return set_id(o->bwp.regions[o->nbwp_regions++], f, v, err);
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct kind kinds[] = {
	{ "cen", "cen", K_CEN, CEND__V1__OBJECT_KIND__OBJECT_KIND_CEN,
	  "the CEN instance (one per configuration)", cen_flags,
	  NELEM(cen_flags), cen_set },
	{ "region", "region", K_REGION,
	  CEND__V1__OBJECT_KIND__OBJECT_KIND_REGION,
	  "a region with its system route table", region_flags,
	  NELEM(region_flags), region_set },
	{ "route-table", "route table", K_TABLE,
	  CEND__V1__OBJECT_KIND__OBJECT_KIND_ROUTE_TABLE,
	  "a route table of a region's hub", table_flags, NELEM(table_flags),
	  table_set },
	{ "static-route", "static route", K_SROUTE,
	  CEND__V1__OBJECT_KIND__OBJECT_KIND_STATIC_ROUTE,
	  "a static route of a hub route table (preferred over every learned "
	  "route)",
	  sroute_flags, NELEM(sroute_flags), sroute_set },
	{ "physical-connection", "physical connection", K_PC,
	  CEND__V1__OBJECT_KIND__OBJECT_KIND_PHYSICAL_CONNECTION,
	  "a physical connection: a leased circuit that VBRs run on", pc_flags,
	  NELEM(pc_flags), pc_set },
	{ "attachment", "attachment", K_ATT,
	  CEND__V1__OBJECT_KIND__OBJECT_KIND_ATTACHMENT,
	  "an attachment: a VPC, VBR, VPN or CCN joined to its region's hub",
	  att_flags, NELEM(att_flags), att_set },
	{ "route-map", "route map", K_RMAP,
	  CEND__V1__OBJECT_KIND__OBJECT_KIND_ROUTE_MAP,
	  "a route map entry, named by its region, direction, route table "
	  "and priority (the entries of a route map apply lowest priority "
	  "first)",
	  rmap_flags, NELEM(rmap_flags), rmap_set },
	{ "bandwidth-package", "bandwidth package", K_BWP,
	  CEND__V1__OBJECT_KIND__OBJECT_KIND_BANDWIDTH_PACKAGE,
	  "a bandwidth package: a committed rate between two regions",
	  bwp_flags, NELEM(bwp_flags), bwp_set },
};

static bool
by_id(const struct kind *k)
{
	return k->k != K_RMAP && k->k != K_SROUTE;
}

/* "attachment vpc-x", "route map cn-hangzhou RegionOut 10", ... */
static char *
describe(const struct kind *k, const struct key *key, char *buf, size_t size)
{
	char pb[PREFIX_STRLEN];

	if (k->k == K_RMAP)
		snprintf(buf, size, "route map %s %s %u%s%s", key->region,
			 model_dir_str(key->dir), key->prio,
			 key->table[0] ? " of " : "", key->table);
	else if (k->k == K_SROUTE)
		snprintf(buf, size, "static route %s of %s",
			 prefix_fmt(&key->prefix, pb, sizeof(pb)), key->table);
	else
		snprintf(buf, size, "%s %s", k->title, key->id);
	return buf;
}

/* ---- talking to the cluster ---------------------------------------- */

/* Admin/Get: the objects of a kind (id "" = all; route maps: id is the
 * region) parsed into m (initialised here).  -CEN_ENOENT when the server
 * has none. */
static int
fetch(struct cenctl *ctl, const struct kind *k, const char *id,
      bool linearizable, struct model *m, struct cen_err *err)
{
	Cend__V1__GetRequest req = CEND__V1__GET_REQUEST__INIT;
	Cend__V1__GetResponse *r;
	int rc;

	model_init(m);
	req.kind = k->kind;
	req.linearizable = linearizable;
	req.id = (char *)(id != NULL ? id : "");
	rc = cenctl_call(ctl, CENCTL_ADMIN("Get"), &req.base,
			 &cend__v1__get_response__descriptor,
			 (ProtobufCMessage **)&r, err);
	if (rc != 0)
		return rc;
	rc = model_yaml_parse(m, r->yaml, strlen(r->yaml), err);
	if (rc != 0)
		cen_err_prefix(err, "the server's answer does not parse: ");
	cend__v1__get_response__free_unpacked(r, NULL);
	return rc;
}

/* Prints a write's outcome. */
static void
written(struct cenctl *ctl, const char *what, const char *done, uint64_t index)
{
	if (ctl->json)
		printf("{\"index\":%llu}\n", (unsigned long long)index);
	else
		printf("%s %s (index %llu)\n", what, done,
		       (unsigned long long)index);
}

static int
put_yaml(struct cenctl *ctl, const char *yaml, uint64_t *index,
	 struct cen_err *err)
{
	Cend__V1__PutRequest req = CEND__V1__PUT_REQUEST__INIT;
	Cend__V1__WriteResponse *r;
	int rc;

	req.yaml = (char *)yaml;
	rc = cenctl_call(ctl, CENCTL_ADMIN("Put"), &req.base,
			 &cend__v1__write_response__descriptor,
			 (ProtobufCMessage **)&r, err);
	if (rc != 0)
		return rc;
	*index = r->index;
	cend__v1__write_response__free_unpacked(r, NULL);
	return 0;
}

/* Reads FILE and checks its structure before sending it. */
static int
read_yaml(const char *file, char **text, struct cen_err *err)
{
	FILE *f = fopen(file, "rb");
	struct model m;
	size_t len = 0, cap = 0, r;
	int rc;

	*text = NULL;
	if (f == NULL)
		return cen_errf(err, -CEN_EIO, "%s: %s", file, strerror(errno));
	do {
		if (len + 4097 > cap) {
			char *p = realloc(*text, cap = (len + 4097) * 2);

			if (p == NULL) {
				fclose(f);
				return cen_errf(err, -CEN_ENOMEM,
						"out of memory");
			}
			*text = p;
		}
		r = fread(*text + len, 1, cap - len - 1, f);
		len += r;
	} while (r > 0);
	rc = ferror(f) ? cen_errf(err, -CEN_EIO, "%s: read error", file) : 0;
	fclose(f);
	if (rc != 0)
		return rc;
	(*text)[len] = '\0';
	model_init(&m);
	rc = model_yaml_parse(&m, *text, len, err);
	if (rc == 0 &&
	    m.nregions + m.ntables + m.ntable_routes + m.npcs + m.nattachments +
			    m.nrmaps + m.nbwps ==
		    0 &&
	    !m.has_cen)
		rc = cen_errf(err, -CEN_EINVAL, "holds no object");
	model_free(&m);
	if (rc != 0)
		cen_err_prefix(err, "%s:\n", file);
	return rc;
}

/* ---- selecting what list and show print ---------------------------- */

static bool
match(const char *filter, const char *v)
{
	return filter == NULL || strcmp(filter, v) == 0;
}

/* Puts the region of table t (from m, or a bare one) into out. */
static void
put_region_of(struct model *out, const struct model *m, const char *region)
{
	const struct model_region *r = model_find_region(m, region);
	struct model_region bare;

	if (model_find_region(out, region) != NULL)
		return;
	if (r == NULL) {
		memset(&bare, 0, sizeof(bare));
		snprintf(bare.id, sizeof(bare.id), "%s", region);
		r = &bare;
	}
	model_put_region(out, r);
}

/* Copies the objects of kind k that key selects from m into out, with
 * what they are written under (a table's region, a route's table).
 * Returns how many were selected. */
static size_t
select_objects(const struct kind *k, const struct model *m,
	       const struct key *key, struct model *out)
{
	size_t n = 0;

	model_init(out);
	switch (k->k) {
	case K_CEN:
		if (m->has_cen && match(key->id, m->cen.id)) {
			out->has_cen = true;
			out->cen = m->cen;
			n++;
		}
		break;
	case K_REGION:
		for (size_t i = 0; i < m->nregions; i++)
			if (match(key->id, m->regions[i].id)) {
				model_put_region(out, &m->regions[i]);
				n++;
			}
		for (size_t i = 0; i < m->ntables; i++)
			if (model_find_region(out, m->tables[i].region))
				model_put_table(out, &m->tables[i]);
		break;
	case K_TABLE:
		for (size_t i = 0; i < m->ntables; i++) {
			const struct model_table *t = &m->tables[i];

			if (!match(key->id, t->id) ||
			    !match(key->region, t->region))
				continue;
			put_region_of(out, m, t->region);
			model_put_table(out, t);
			n++;
		}
		for (size_t i = 0; i < m->ntable_routes; i++)
			if (model_find_table(out, m->table_routes[i].table))
				model_put_table_route(out, &m->table_routes[i]);
		break;
	case K_SROUTE:
		for (size_t i = 0; i < m->ntable_routes; i++) {
			const struct model_table_route *r = &m->table_routes[i];
			const struct model_table *t =
				model_find_table(m, r->table);

			if (t == NULL || !match(key->table, r->table) ||
			    !match(key->region, t->region) ||
			    (key->has_prefix &&
			     !prefix_equal(&key->prefix, &r->prefix)))
				continue;
			put_region_of(out, m, t->region);
			if (model_find_table(out, t->id) == NULL)
				model_put_table(out, t);
			model_put_table_route(out, r);
			n++;
		}
		break;
	case K_PC:
		for (size_t i = 0; i < m->npcs; i++)
			if (match(key->id, m->pcs[i].id) &&
			    match(key->region, m->pcs[i].region)) {
				model_put_pc(out, &m->pcs[i]);
				n++;
			}
		break;
	case K_ATT:
		for (size_t i = 0; i < m->nattachments; i++)
			if (match(key->id, m->attachments[i].id) &&
			    match(key->region, m->attachments[i].region)) {
				model_put_attachment(out, &m->attachments[i]);
				n++;
			}
		break;
	case K_RMAP:
		for (size_t i = 0; i < m->nrmaps; i++) {
			const struct model_rmap *r = &m->rmaps[i];

			if (!match(key->region, r->region) ||
			    !match(key->table, r->route_table) ||
			    (key->dir != 0 && key->dir != r->direction) ||
			    (key->prio != 0 && key->prio != r->priority))
				continue;
			model_put_rmap(out, r);
			n++;
		}
		break;
	case K_BWP:
		for (size_t i = 0; i < m->nbwps; i++) {
			const struct model_bwp *b = &m->bwps[i];

			if (match(key->id, b->id) &&
			    (key->region == NULL ||
			     strcmp(key->region, b->regions[0]) == 0 ||
			     strcmp(key->region, b->regions[1]) == 0)) {
				model_put_bwp(out, b);
				n++;
			}
		}
		break;
	}
	return n;
}

/* ---- printing ------------------------------------------------------ */

static yaml_node_t *
map_get(yaml_document_t *d, yaml_node_t *n, const char *key)
{
	if (n == NULL || n->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);

		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

static const char *
map_str(yaml_document_t *d, yaml_node_t *n, const char *key)
{
	yaml_node_t *v = map_get(d, n, key);

	return v != NULL && v->type == YAML_SCALAR_NODE
		       ? (const char *)v->data.scalar.value
		       : "";
}

struct jwalk {
	yaml_document_t *d;
	size_t n;
	bool list;
};

static void
jitem(struct jwalk *w, yaml_node_t *item, const char *const *extra)
{
	if (w->list && w->n > 0)
		putchar(',');
	if (w->list || w->n == 0)
		json_yaml(w->d, item, extra);
	w->n++;
}

static size_t
seq_len(const yaml_node_t *n)
{
	return n != NULL && n->type == YAML_SEQUENCE_NODE
		       ? (size_t)(n->data.sequence.items.top -
				  n->data.sequence.items.start)
		       : 0;
}

static yaml_node_t *
seq_at(yaml_document_t *d, yaml_node_t *n, size_t i)
{
	return yaml_document_get_node(d, n->data.sequence.items.start[i]);
}

/* Prints the selected objects (emitted as YAML in text) as JSON: an array
 * (list) or the one object (show). */
static int
print_json(const struct kind *k, const char *text, bool list,
	   struct cen_err *err)
{
	static const char *const sections[] = {
		[K_PC] = "physical_connections",
		[K_ATT] = "attachments",
		[K_RMAP] = "route_maps",
		[K_BWP] = "bandwidth_packages",
	};
	yaml_parser_t p;
	yaml_document_t d;
	yaml_node_t *root, *regions;
	struct jwalk w = { .d = &d, .list = list };

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text,
				     strlen(text));
	if (!yaml_parser_load(&p, &d)) {
		yaml_parser_delete(&p);
		return cen_errf(err, -CEN_EPARSE, "cannot read back the YAML");
	}
	root = yaml_document_get_root_node(&d);
	regions = map_get(&d, root, "regions");
	if (list)
		putchar('[');
	switch (k->k) {
	case K_CEN:
		if (map_get(&d, root, "cen") != NULL)
			jitem(&w, map_get(&d, root, "cen"), NULL);
		break;
	case K_REGION:
		for (size_t i = 0; i < seq_len(regions); i++)
			jitem(&w, seq_at(&d, regions, i), NULL);
		break;
	case K_TABLE:
	case K_SROUTE:
		for (size_t i = 0; i < seq_len(regions); i++) {
			yaml_node_t *r = seq_at(&d, regions, i);
			yaml_node_t *tables = map_get(&d, r, "route_tables");
			const char *rx[] = { "region", map_str(&d, r, "id"),
					     NULL };

			for (size_t j = 0; j < seq_len(tables); j++) {
				yaml_node_t *t = seq_at(&d, tables, j);
				yaml_node_t *sr =
					map_get(&d, t, "static_routes");
				const char *tx[] = { "route_table",
						     map_str(&d, t, "id"),
						     NULL };

				if (k->k == K_TABLE) {
					jitem(&w, t, rx);
					continue;
				}
				for (size_t l = 0; l < seq_len(sr); l++)
					jitem(&w, seq_at(&d, sr, l), tx);
			}
		}
		break;
	default: {
		yaml_node_t *sec = map_get(&d, root, sections[k->k]);

		for (size_t i = 0; i < seq_len(sec); i++)
			jitem(&w, seq_at(&d, sec, i), NULL);
		break;
	}
	}
	if (list)
		putchar(']');
	else if (w.n == 0)
		fputs("null", stdout);
	putchar('\n');
	yaml_document_delete(&d);
	yaml_parser_delete(&p);
	return 0;
}

static char *
nexthops_fmt(const struct model_table_route *r, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	if (r->blackhole || r->nnh == 0) {
		snprintf(buf, size, "blackhole");
		return buf;
	}
	for (uint8_t i = 0; i < r->nnh && used < size; i++) {
		int w = snprintf(buf + used, size - used, "%s%s",
				 i > 0 ? ", " : "", r->nh[i].id);

		if (w > 0 && r->nh[i].weight > 1 && used + (size_t)w < size)
			w += snprintf(buf + used + w, size - used - w, "*%u",
				      r->nh[i].weight);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}

static char *
ids_fmt(const model_id *ids, size_t n, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++) {
		int w = snprintf(buf + used, size - used, "%s%s",
				 i > 0 ? "," : "", ids[i]);

		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}

static void __attribute__((format(printf, 4, 5)))
appendf(char *buf, size_t size, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*used >= size)
		return;
	va_start(ap, fmt);
	w = vsnprintf(buf + *used, size - *used, fmt, ap);
	va_end(ap);
	if (w > 0)
		*used += (size_t)w;
}

#define ADD(...) appendf(buf, size, &used, __VA_ARGS__)

/* A short summary of a route map entry's conditions. */
static char *
rmap_match_fmt(const struct model_rmap *r, char *buf, size_t size)
{
	char ids[1024], pb[PREFIX_STRLEN];
	size_t used = 0;

	buf[0] = '\0';
	if (r->nsrc_regions)
		ADD(" src-region=%s",
		    ids_fmt(r->src_regions, r->nsrc_regions, ids, sizeof(ids)));
	if (r->nsrc_instances)
		ADD(" src%s=%s", r->src_instances_inverse ? "!" : "",
		    ids_fmt(r->src_instances, r->nsrc_instances, ids,
			    sizeof(ids)));
	if (r->ndst_instances)
		ADD(" dst%s=%s", r->dst_instances_inverse ? "!" : "",
		    ids_fmt(r->dst_instances, r->ndst_instances, ids,
			    sizeof(ids)));
	if (r->nsrc_tables)
		ADD(" src-table=%s",
		    ids_fmt(r->src_tables, r->nsrc_tables, ids, sizeof(ids)));
	if (r->ndst_tables)
		ADD(" dst-table=%s",
		    ids_fmt(r->dst_tables, r->ndst_tables, ids, sizeof(ids)));
	for (uint8_t i = 0; i < r->nsrc_types; i++)
		ADD("%s%s", i ? "," : " src-type=",
		    model_att_type_str(r->src_types[i]));
	for (uint8_t i = 0; i < r->ndst_types; i++)
		ADD("%s%s", i ? "," : " dst-type=",
		    model_att_type_str(r->dst_types[i]));
	for (uint8_t i = 0; i < r->ncidrs; i++)
		ADD("%s%s", i ? "," : " cidr=",
		    prefix_fmt(&r->cidrs[i], pb, sizeof(pb)));
	for (uint8_t i = 0; i < r->nroute_types; i++)
		ADD("%s%s", i ? "," : " route-type=",
		    model_route_type_str(r->route_types[i]));
	for (uint8_t i = 0; i < r->nasns; i++)
		ADD("%s%u", i ? "," : " as-path=", r->asns[i]);
	for (uint8_t i = 0; i < r->ncomms; i++)
		ADD("%s%u:%u", i ? "," : " community=", r->comms[i] >> 16,
		    r->comms[i] & 0xffff);
	if (r->families == MODEL_AF_V4)
		ADD(" family=IPv4");
	else if (r->families == MODEL_AF_V6)
		ADD(" family=IPv6");
	if (buf[0] == '\0')
		snprintf(buf, size, " (any)");
	memmove(buf, buf + 1, strlen(buf));
	return buf;
}

static char *
rmap_set_fmt(const struct model_rmap *r, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	if (r->next_priority)
		ADD(" next=%u", r->next_priority);
	if (r->set_pref)
		ADD(" preference=%u", r->set_pref);
	for (uint8_t i = 0; i < r->nset_comms; i++)
		ADD("%s%u:%u",
		    i ? ","
		      : (r->set_comm_mode == MODEL_COMM_REPLACE
				 ? " communities="
				 : " +communities="),
		    r->set_comms[i] >> 16, r->set_comms[i] & 0xffff);
	for (uint8_t i = 0; i < r->nprepend; i++)
		ADD("%s%u", i ? "," : " prepend=", r->prepend[i]);
#undef ADD
	if (buf[0] == '\0')
		snprintf(buf, size, " -");
	memmove(buf, buf + 1, strlen(buf));
	return buf;
}

static void
att_detail(struct table *t, const struct model_attachment *a)
{
	char buf[1024], pb[PREFIX_STRLEN];
	size_t used = 0;

	buf[0] = '\0';
	if (a->type == MODEL_ATT_VPC) {
		for (size_t i = 0; i < a->nvswitch && used < sizeof(buf); i++)
			used += (size_t)snprintf(
				buf + used, sizeof(buf) - used, "%s%s",
				i ? "," : "",
				prefix_fmt(&a->vswitch_cidrs[i], pb,
					   sizeof(pb)));
	} else if (a->type == MODEL_ATT_VBR) {
		used = (size_t)snprintf(buf, sizeof(buf), "%s vlan %u %u Mbps",
					a->physical_connection, a->vlan,
					a->bandwidth_mbps);
	}
	if (a->npeers > 0 && used < sizeof(buf))
		snprintf(buf + used, sizeof(buf) - used, "%s%u BGP peer%s",
			 used ? ", " : "", a->npeers, a->npeers > 1 ? "s" : "");
	table_cell(t, buf[0] ? buf : "-");
}

static void
print_table(const struct kind *k, const struct model *m)
{
	static const char *const hdrs[][8] = {
		[K_CEN] = { "ID", "ASN", "OVERLAPPING ROUTES" },
		[K_REGION] = { "ID", "SYSTEM TABLE", "ROUTE TABLES" },
		[K_TABLE] = { "ID", "REGION", "SYSTEM", "MAX ROUTES",
			      "MULTI-REGION ECMP", "STATIC ROUTES" },
		[K_SROUTE] = { "ROUTE TABLE", "PREFIX", "NEXT HOPS" },
		[K_PC] = { "ID", "REGION", "ACCESS POINT", "SPEED" },
		[K_ATT] = { "ID", "TYPE", "REGION", "ROUTE TABLE", "DETAIL" },
		[K_RMAP] = { "REGION", "DIRECTION", "ROUTE TABLE", "PRIORITY",
			     "ACTION", "MATCH", "SET" },
		[K_BWP] = { "ID", "REGIONS", "BANDWIDTH", "CONNECTIONS" },
	};
	static const size_t ncols[] = { 3, 3, 6, 3, 4, 5, 7, 4 };
	char buf[1024], pb[PREFIX_STRLEN];
	struct table t;

	table_init(&t, ncols[k->k], hdrs[k->k]);
	switch (k->k) {
	case K_CEN:
		if (m->has_cen) {
			table_cell(&t, m->cen.id);
			table_cell_u64(&t, m->cen.asn);
			table_cell(&t, m->cen.overlapping_routes ? "true"
								 : "false");
		}
		break;
	case K_REGION:
		for (size_t i = 0; i < m->nregions; i++) {
			const struct model_table *st =
				model_system_table(m, m->regions[i].id);
			size_t nt = 0;

			for (size_t j = 0; j < m->ntables; j++)
				nt += strcmp(m->tables[j].region,
					     m->regions[i].id) == 0;
			table_cell(&t, m->regions[i].id);
			table_cell(&t, st != NULL ? st->id : "-");
			table_cell_u64(&t, nt);
		}
		break;
	case K_TABLE:
		for (size_t i = 0; i < m->ntables; i++) {
			const struct model_table *tb = &m->tables[i];
			size_t nr = 0;

			for (size_t j = 0; j < m->ntable_routes; j++)
				nr += strcmp(m->table_routes[j].table,
					     tb->id) == 0;
			table_cell(&t, tb->id);
			table_cell(&t, tb->region);
			table_cell(&t, tb->system ? "true" : "false");
			if (tb->max_routes)
				table_cell_u64(&t, tb->max_routes);
			else
				table_cell(&t, "-");
			table_cell(&t,
				   tb->multi_region_ecmp ? "true" : "false");
			table_cell_u64(&t, nr);
		}
		break;
	case K_SROUTE:
		for (size_t i = 0; i < m->ntable_routes; i++) {
			const struct model_table_route *r = &m->table_routes[i];

			table_cell(&t, r->table);
			table_cell(&t, prefix_fmt(&r->prefix, pb, sizeof(pb)));
			table_cell(&t, nexthops_fmt(r, buf, sizeof(buf)));
		}
		break;
	case K_PC:
		for (size_t i = 0; i < m->npcs; i++) {
			table_cell(&t, m->pcs[i].id);
			table_cell(&t, m->pcs[i].region);
			table_cell(&t, m->pcs[i].access_point);
			table_cellf(&t, "%u Gbps", m->pcs[i].speed_gbps);
		}
		break;
	case K_ATT:
		for (size_t i = 0; i < m->nattachments; i++) {
			const struct model_attachment *a = &m->attachments[i];

			table_cell(&t, a->id);
			table_cell(&t, model_att_type_str(a->type));
			table_cell(&t, a->region);
			table_cell(&t, a->route_table[0] ? a->route_table
							 : "(system)");
			att_detail(&t, a);
		}
		break;
	case K_RMAP:
		for (size_t i = 0; i < m->nrmaps; i++) {
			const struct model_rmap *r = &m->rmaps[i];

			table_cell(&t, r->region);
			table_cell(&t, model_dir_str(r->direction));
			table_cell(&t, r->route_table[0] ? r->route_table
							 : "(system)");
			table_cell_u64(&t, r->priority);
			table_cell(&t, model_action_str(r->action));
			table_cell(&t, rmap_match_fmt(r, buf, sizeof(buf)));
			table_cell(&t, rmap_set_fmt(r, buf, sizeof(buf)));
		}
		break;
	case K_BWP:
		for (size_t i = 0; i < m->nbwps; i++) {
			table_cell(&t, m->bwps[i].id);
			table_cellf(&t, "%s<->%s", m->bwps[i].regions[0],
				    m->bwps[i].regions[1]);
			table_cellf(&t, "%u Mbps", m->bwps[i].bandwidth_mbps);
			table_cell_u64(&t, m->bwps[i].nconns);
		}
		break;
	}
	table_print(&t);
	table_free(&t);
}

/* ---- the verbs ----------------------------------------------------- */

/* A flag of kind k at the current argument: returns it and its value
 * (switches: "true" or what follows '='), or NULL. */
static const struct flag *
kind_flag(struct opts *o, const struct kind *k, const char **val)
{
	const char *a = o->argv[o->i];

	for (size_t i = 0; i < k->nflags; i++) {
		const struct flag *f = &k->flags[i];
		size_t n = strlen(f->name);

		if (f->arg == NULL) {
			if (strcmp(a, f->name) == 0) {
				*val = "true";
				return f;
			}
			if (strncmp(a, f->name, n) == 0 && a[n] == '=') {
				*val = a + n + 1;
				return f;
			}
			continue;
		}
		if (opts_str(o, f->name, val))
			return o->done ? NULL : f;
	}
	return NULL;
}

/* Only the key flags of k (show, delete): route maps and static routes. */
static bool
key_flag(struct opts *o, const struct kind *k, struct key *key)
{
	const struct flag *f;
	const char *v;
	struct cen_err err = { 0 };
	int save = o->i;

	f = kind_flag(o, k, &v);
	if (f == NULL || f->role != F_KEY) {
		if (!o->done)
			o->i = save;
		return o->done;
	}
	if (set_key(key, f, v, &err) != 0)
		opts_error(o, "%s", err.msg);
	return true;
}

/* Checks that key names one object of k. */
static int
key_complete(struct opts *o, const struct kind *k, struct key *key)
{
	if (k->k == K_RMAP) {
		if (key->region == NULL || key->dir == 0 || key->prio == 0)
			return opts_error(o, "a route map entry is named by "
					     "--region, --direction and "
					     "--priority (and --route-table)");
		if (key->table == NULL)
			key->table = "";
	} else if (k->k == K_SROUTE) {
		if (key->table == NULL || !key->has_prefix)
			return opts_error(o, "a static route is named by "
					     "--route-table and --prefix");
	} else if (key->id == NULL) {
		return opts_error(o, "the %s's ID is required", k->title);
	} else if (!model_id_valid(key->id)) {
		return opts_error(o,
				  "'%s' is not an ID (1..63 of A-Z a-z 0-9 "
				  ". _ -)",
				  key->id);
	}
	return 0;
}

/* Positional ID of the kinds named by ID. */
static bool
id_arg(struct opts *o, const struct kind *k, struct key *key)
{
	return by_id(k) && opts_arg(o, key->id == NULL ? &key->id : NULL);
}

static int
v_show(struct cenctl *ctl, struct opts *o, const struct kind *k, bool list)
{
	struct cen_err err = { 0 };
	struct key key = { 0 };
	struct model m, sel;
	const char *server_id = "";
	bool linearizable = false;
	char what[256];
	size_t n;
	int rc;

	while (opts_next(o)) {
		if (opts_help(o))
			continue;
		if (opts_flag(o, "--linearizable")) {
			linearizable = true;
			continue;
		}
		if (list) {
			const char *dir = NULL;

			if (opts_str(o, "--region", &key.region) ||
			    ((k->k == K_SROUTE || k->k == K_RMAP) &&
			     opts_str(o, "--route-table", &key.table)))
				continue;
			if (k->k == K_RMAP &&
			    opts_str(o, "--direction", &dir)) {
				if (dir != NULL &&
				    (key.dir = model_dir_parse(dir)) == 0)
					opts_error(o,
						   "--direction %s: expected "
						   "RegionIn or RegionOut",
						   dir);
				continue;
			}
		} else if (id_arg(o, k, &key) || key_flag(o, k, &key)) {
			continue;
		}
		if (!opts_arg(o, NULL))
			opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (!list && key_complete(o, k, &key) != 0)
		return 2;
	/* what the server can select by */
	if (k->k == K_RMAP)
		server_id = key.region != NULL ? key.region : "";
	else if (k->k == K_SROUTE)
		server_id = key.table != NULL ? key.table : "";
	else if (!list)
		server_id = key.id;
	rc = fetch(ctl, k, server_id, linearizable, &m, &err);
	if (rc == -CEN_ENOENT) {
		/* nothing of that kind: an empty list (or, for show, the
		 * "does not exist" below, naming the object) */
		model_free(&m);
		model_init(&m);
		rc = 0;
	}
	if (rc != 0) {
		model_free(&m);
		return cenctl_fail(&err);
	}
	n = select_objects(k, &m, &key, &sel);
	model_free(&m);
	if (!list && n == 0) {
		model_free(&sel);
		cen_errf(&err, -CEN_ENOENT, "%s does not exist",
			 describe(k, &key, what, sizeof(what)));
		return cenctl_fail(&err);
	}
	if (ctl->json || !list) {
		char *y = model_yaml_emit(&sel);

		if (y == NULL) {
			rc = cen_errf(&err, -CEN_ENOMEM, "out of memory");
		} else if (ctl->json) {
			rc = print_json(k, y, list, &err);
		} else {
			fputs(y, stdout);
		}
		free(y);
	} else {
		print_table(k, &sel);
	}
	model_free(&sel);
	return rc != 0 ? cenctl_fail(&err) : 0;
}

static int
v_delete(struct cenctl *ctl, struct opts *o, const struct kind *k)
{
	Cend__V1__DeleteRequest req = CEND__V1__DELETE_REQUEST__INIT;
	Cend__V1__ObjectKey ok = CEND__V1__OBJECT_KEY__INIT;
	Cend__V1__WriteResponse *r;
	struct cen_err err = { 0 };
	struct key key = { 0 };
	uint8_t pbuf[18];
	char what[256];

	while (opts_next(o)) {
		if (opts_help(o) || id_arg(o, k, &key) || key_flag(o, k, &key))
			continue;
		opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (key_complete(o, k, &key) != 0)
		return 2;
	ok.kind = k->kind;
	if (k->k == K_RMAP) {
		ok.region = (char *)key.region;
		ok.direction = (char *)model_dir_str(key.dir);
		ok.route_table = (char *)key.table;
		ok.priority = key.prio;
	} else if (k->k == K_SROUTE) {
		ok.route_table = (char *)key.table;
		ok.prefix.data = pbuf;
		ok.prefix.len = wire_prefix_pack(&key.prefix, pbuf);
	} else {
		ok.id = (char *)key.id;
	}
	req.key = &ok;
	if (cenctl_call(ctl, CENCTL_ADMIN("Delete"), &req.base,
			&cend__v1__write_response__descriptor,
			(ProtobufCMessage **)&r, &err) != 0)
		return cenctl_fail(&err);
	written(ctl, describe(k, &key, what, sizeof(what)), "deleted",
		r->index);
	cend__v1__write_response__free_unpacked(r, NULL);
	return 0;
}

struct pair {
	const struct flag *f;
	const char *v;
};

/* Finds the object key names in m (fetched), copying it into ob. */
static bool
find_existing(const struct kind *k, const struct model *m,
	      const struct key *key, struct obj *ob)
{
	const struct model_attachment *a;
	const struct model_table *t;
	const struct model_pc *pc;
	const struct model_rmap *r;
	const struct model_bwp *b;

	switch (k->k) {
	case K_CEN:
		if (!m->has_cen || strcmp(m->cen.id, key->id) != 0)
			return false;
		ob->cen = m->cen;
		return true;
	case K_REGION:
		return model_find_region(m, key->id) != NULL;
	case K_TABLE:
		if ((t = model_find_table(m, key->id)) == NULL)
			return false;
		ob->table = *t;
		return true;
	case K_SROUTE:
		for (size_t i = 0; i < m->ntable_routes; i++)
			if (strcmp(m->table_routes[i].table, key->table) == 0 &&
			    prefix_equal(&m->table_routes[i].prefix,
					 &key->prefix)) {
				ob->troute = m->table_routes[i];
				return true;
			}
		return false;
	case K_PC:
		if ((pc = model_find_pc(m, key->id)) == NULL)
			return false;
		ob->pc = *pc;
		return true;
	case K_ATT:
		if ((a = model_find_attachment(m, key->id)) == NULL)
			return false;
		ob->att = *a; /* arrays stay m's until replaced by flags */
		return true;
	case K_RMAP:
		r = model_find_rmap(m, key->region, key->dir, key->table,
				    (uint8_t)key->prio);
		if (r == NULL)
			return false;
		ob->rmap = *r;
		return true;
	case K_BWP:
		if ((b = model_find_bwp(m, key->id)) == NULL)
			return false;
		ob->bwp = *b;
		ob->nbwp_regions = 2;
		return true;
	}
	return false;
}

/* A new object of kind k with its key and defaults. */
static void
new_object(const struct kind *k, const struct key *key, struct obj *ob)
{
	switch (k->k) {
	case K_CEN:
		model_cen_defaults(&ob->cen);
		snprintf(ob->cen.id, sizeof(ob->cen.id), "%s", key->id);
		break;
	case K_REGION:
		snprintf(ob->region.id, sizeof(ob->region.id), "%s", key->id);
		if (strlen(key->id) + 10 < MODEL_ID_MAX)
			snprintf(ob->system_table, sizeof(ob->system_table),
				 "rt-%s-system", key->id);
		break;
	case K_TABLE:
		model_table_defaults(&ob->table);
		snprintf(ob->table.id, sizeof(ob->table.id), "%s", key->id);
		break;
	case K_SROUTE:
		memset(&ob->troute, 0, sizeof(ob->troute));
		snprintf(ob->troute.table, sizeof(ob->troute.table), "%s",
			 key->table);
		ob->troute.prefix = key->prefix;
		break;
	case K_PC:
		snprintf(ob->pc.id, sizeof(ob->pc.id), "%s", key->id);
		break;
	case K_ATT:
		model_attachment_defaults(&ob->att);
		snprintf(ob->att.id, sizeof(ob->att.id), "%s", key->id);
		break;
	case K_RMAP:
		model_rmap_defaults(&ob->rmap);
		snprintf(ob->rmap.region, sizeof(ob->rmap.region), "%s",
			 key->region);
		ob->rmap.direction = key->dir;
		snprintf(ob->rmap.route_table, sizeof(ob->rmap.route_table),
			 "%s", key->table);
		ob->rmap.priority = (uint8_t)key->prio;
		break;
	case K_BWP:
		snprintf(ob->bwp.id, sizeof(ob->bwp.id), "%s", key->id);
		break;
	}
}

/* What create needs beyond the key; a usage error names it. */
static int
create_complete(struct opts *o, const struct kind *k, const struct obj *ob)
{
	if (k->k == K_REGION && ob->system_table[0] == '\0')
		return opts_error(o, "--system-table ID is required (the "
				     "default name would be too long)");
	if (k->k == K_TABLE && ob->table.region[0] == '\0')
		return opts_error(o, "--region is required");
	if (k->k == K_PC && ob->pc.region[0] == '\0')
		return opts_error(o, "--region is required");
	if (k->k == K_ATT && (ob->att.type == 0 || ob->att.region[0] == '\0'))
		return opts_error(o, "--type and --region are required");
	if (k->k == K_BWP && ob->nbwp_regions != 2)
		return opts_error(o, "give the two regions: --region A "
				     "--region B");
	if (k->k == K_SROUTE && ob->troute.nnh == 0 && !ob->troute.blackhole)
		return opts_error(o, "give --next-hop ATTACHMENT or "
				     "--blackhole");
	return 0;
}

/* The document to Put: the object, and what it is written under. */
static int
build_put(const struct kind *k, const struct obj *ob, const struct model *m,
	  struct model *out)
{
	struct model_table sys;
	int rc = 0;

	model_init(out);
	switch (k->k) {
	case K_CEN:
		out->has_cen = true;
		out->cen = ob->cen;
		break;
	case K_REGION:
		rc = model_put_region(out, &ob->region);
		model_table_defaults(&sys);
		snprintf(sys.id, sizeof(sys.id), "%s", ob->system_table);
		snprintf(sys.region, sizeof(sys.region), "%s", ob->region.id);
		sys.system = true;
		if (rc == 0)
			rc = model_put_table(out, &sys);
		break;
	case K_TABLE:
		put_region_of(out, m, ob->table.region);
		rc = model_put_table(out, &ob->table);
		break;
	case K_SROUTE: {
		const struct model_table *t =
			model_find_table(m, ob->troute.table);
		struct model_table_route r = ob->troute;

		if (t == NULL)
			return -CEN_ENOENT;
		put_region_of(out, m, t->region);
		rc = model_put_table(out, t);
		if (rc == 0) {
			if (r.nnh > 0)
				r.blackhole = false;
			rc = model_put_table_route(out, &r);
		}
		break;
	}
	case K_PC:
		rc = model_put_pc(out, &ob->pc);
		break;
	case K_ATT:
		rc = model_put_attachment(out, &ob->att);
		break;
	case K_RMAP:
		rc = model_put_rmap(out, &ob->rmap);
		break;
	case K_BWP:
		rc = model_put_bwp(out, &ob->bwp);
		break;
	}
	return rc;
}

/* Applies the flags, in order, to ob; the first value of a list flag
 * clears the list. */
static int
apply_pairs(const struct kind *k, struct obj *ob, struct key *key,
	    const struct pair *pairs, size_t npairs, struct cen_err *err)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < npairs; i++) {
		bool first = true;

		for (size_t j = 0; j < i; j++)
			first = first && pairs[j].f != pairs[i].f;
		if (pairs[i].f->role == F_LIST) {
			char buf[1024], *save = NULL;

			snprintf(buf, sizeof(buf), "%s", pairs[i].v);
			for (char *t = strtok_r(buf, ",", &save);
			     t != NULL && rc == 0;
			     t = strtok_r(NULL, ",", &save), first = false)
				rc = k->set(ob, key, pairs[i].f, t, first, err);
		} else {
			rc = k->set(ob, key, pairs[i].f, pairs[i].v, first,
				    err);
		}
	}
	return rc;
}

/* Checks the flags offline, on a new object, before anything is asked
 * of the cluster: a typo is a usage error with or without a server. */
static int
check_pairs(struct opts *o, const struct kind *k, const struct key *key,
	    const struct pair *pairs, size_t npairs, bool create)
{
	struct obj *ob = calloc(1, sizeof(*ob));
	struct key scratch = *key;
	struct cen_err err = { 0 };
	int rc;

	if (ob == NULL)
		return 0; /* checked again later */
	new_object(k, key, ob);
	rc = apply_pairs(k, ob, &scratch, pairs, npairs, &err);
	if (rc != 0)
		rc = opts_error(o, "%s", err.msg);
	else if (create)
		rc = create_complete(o, k, ob);
	free(ob);
	return rc;
}

static int
v_write(struct cenctl *ctl, struct opts *o, const struct kind *k, bool create)
{
	struct pair pairs[PAIRS_MAX];
	size_t npairs = 0;
	struct cen_err err = { 0 };
	struct key key = { 0 };
	const char *file = NULL;
	struct model m, out;
	struct obj *ob;
	char what[256], *y;
	uint64_t index = 0;
	bool exists;
	int rc;

	while (opts_next(o)) {
		const struct flag *f;
		const char *v;

		if (opts_help(o) || opts_str(o, "-f", &file) ||
		    opts_str(o, "--file", &file) || id_arg(o, k, &key))
			continue;
		f = kind_flag(o, k, &v);
		if (o->done)
			break;
		if (f == NULL) {
			if (!opts_arg(o, NULL))
				opts_unknown(o);
			continue;
		}
		if (f->role == F_KEY) {
			if (set_key(&key, f, v, &err) != 0)
				opts_error(o, "%s", err.msg);
			continue;
		}
		if (npairs == PAIRS_MAX) {
			opts_error(o, "too many flags");
			continue;
		}
		pairs[npairs++] = (struct pair){ f, v };
	}
	if (o->done)
		return o->rc;
	if (file != NULL) {
		if (npairs > 0 || key.id != NULL || key.region != NULL ||
		    key.table != NULL)
			return opts_error(o, "-f FILE takes no other "
					     "arguments: the file says it all");
		if (read_yaml(file, &y, &err) != 0 ||
		    put_yaml(ctl, y, &index, &err) != 0) {
			free(y);
			return cenctl_fail(&err);
		}
		free(y);
		written(ctl, file, "written", index);
		return 0;
	}
	if (key_complete(o, k, &key) != 0)
		return 2;
	if (!create && npairs == 0)
		return opts_error(o, "nothing to change: give flags or -f "
				     "FILE");
	if (k->k == K_REGION && !create)
		return opts_error(o, "a region has nothing to change but its "
				     "tables (see route-table)");
	if (check_pairs(o, k, &key, pairs, npairs, create) != 0)
		return 2;

	/* fetch what exists: the object, or for a static route its table */
	if (k->k == K_RMAP)
		rc = fetch(ctl, k, key.region, true, &m, &err);
	else if (k->k == K_SROUTE)
		rc = fetch(ctl, &kinds[K_TABLE], key.table, true, &m, &err);
	else if (k->k == K_CEN)
		rc = fetch(ctl, k, "", true, &m, &err);
	else
		rc = fetch(ctl, k, key.id, true, &m, &err);
	if (rc == -CEN_ENOENT && k->k == K_SROUTE) {
		model_free(&m);
		cen_errf(&err, rc, "route table %s does not exist", key.table);
		return cenctl_fail(&err);
	}
	if (rc == -CEN_ENOENT) {
		model_free(&m);
		model_init(&m);
		rc = 0;
	}
	if (rc != 0) {
		model_free(&m);
		return cenctl_fail(&err);
	}
	describe(k, &key, what, sizeof(what));
	ob = calloc(1, sizeof(*ob));
	if (ob == NULL) {
		model_free(&m);
		cen_errf(&err, -CEN_ENOMEM, "out of memory");
		return cenctl_fail(&err);
	}
	exists = find_existing(k, &m, &key, ob);
	if (k->k == K_CEN && !exists && m.has_cen)
		rc = cen_errf(&err, create ? -CEN_EEXIST : -CEN_ENOENT,
			      "the configuration's CEN is %s: there is one "
			      "CEN",
			      m.cen.id);
	else if (create && exists)
		rc = cen_errf(&err, -CEN_EEXIST,
			      "%s already exists (use 'cenctl %s update')",
			      what, k->noun);
	else if (!create && !exists)
		rc = cen_errf(&err, -CEN_ENOENT,
			      "%s does not exist (use 'cenctl %s create')",
			      what, k->noun);
	if (rc != 0)
		goto fail;
	if (create)
		new_object(k, &key, ob);
	if (apply_pairs(k, ob, &key, pairs, npairs, &err) != 0) {
		opts_error(o, "%s", err.msg);
		free(ob);
		model_free(&m);
		return 2;
	}
	if (create && create_complete(o, k, ob) != 0) {
		free(ob);
		model_free(&m);
		return 2;
	}
	rc = build_put(k, ob, &m, &out);
	y = rc == 0 ? model_yaml_emit(&out) : NULL;
	model_free(&out);
	if (rc == 0 && y == NULL)
		rc = cen_errf(&err, -CEN_ENOMEM, "out of memory");
	else if (rc != 0)
		cen_errf(&err, rc, "%s: %s", what, cen_strerror(rc));
	if (rc == 0)
		rc = put_yaml(ctl, y, &index, &err);
	free(y);
	if (rc != 0)
		goto fail;
	written(ctl, what, create ? "created" : "updated", index);
	free(ob);
	model_free(&m);
	return 0;
fail:
	free(ob);
	model_free(&m);
	return cenctl_fail(&err);
}

/* ---- usage --------------------------------------------------------- */

static char *
key_synopsis(const struct kind *k, char *buf, size_t size)
{
	if (k->k == K_RMAP)
		snprintf(buf, size,
			 "--region R --direction RegionIn|RegionOut "
			 "--priority N [--route-table T]");
	else if (k->k == K_SROUTE)
		snprintf(buf, size, "--route-table T --prefix P");
	else
		snprintf(buf, size, "ID");
	return buf;
}

/* Appends text word-wrapped at 79 columns: the first line continues from
 * column col, later lines start at column indent. */
static void
wrap(char *buf, size_t size, size_t *used, const char *text, size_t col,
     size_t indent)
{
	const char *p = text;
	bool first = true;

	while (*p != '\0') {
		size_t w = strcspn(p, " ");

		if (!first && col + 1 + w > 79) {
			appendf(buf, size, used, "\n%*s", (int)indent, "");
			col = indent;
		} else if (!first) {
			appendf(buf, size, used, " ");
			col++;
		}
		appendf(buf, size, used, "%.*s", (int)w, p);
		col += w;
		first = false;
		p += w;
		p += strspn(p, " ");
	}
	appendf(buf, size, used, "\n");
}

/* "  --name ARG   help" with the help wrapped under its column. */
static void
help_line(char *buf, size_t size, size_t *used, const char *name,
	  const char *help)
{
	enum {
		COL = 30
	};
	size_t col = strlen(name) + 2;

	appendf(buf, size, used, "  %s", name);
	if (col + 1 > COL) {
		appendf(buf, size, used, "\n");
		col = 0;
	}
	appendf(buf, size, used, "%*s", (int)(COL - col), "");
	wrap(buf, size, used, help, COL, COL);
}

/* "usage: cenctl NOUN VERB KEY...", wrapped under the key. */
static void
usage_line(char *buf, size_t size, size_t *used, const char *lead,
	   const struct kind *k, const char *verb, const char *rest)
{
	char head[128], key[160], line[512];

	snprintf(head, sizeof(head), "%scenctl %s %s ", lead, k->noun, verb);
	appendf(buf, size, used, "%s", head);
	key_synopsis(k, key, sizeof(key));
	snprintf(line, sizeof(line), "%s%s", key, rest);
	wrap(buf, size, used, line, strlen(head), strlen(head));
}

static void
usage_write(const struct kind *k, bool create, char *buf, size_t size)
{
	const char *verb = create ? "create" : "update";
	char text[512];
	size_t used = 0;

	buf[0] = '\0';
	usage_line(buf, size, &used, "usage: ", k, verb, " [FLAGS]");
	appendf(buf, size, &used, "       cenctl %s %s -f FILE.yaml\n\n",
		k->noun, verb);
	snprintf(text, sizeof(text), "%s %s.%s", create ? "Creates" : "Changes",
		 k->about,
		 create ? ""
			: "  Only the fields named by flags change; a list "
			  "flag given replaces the whole list.");
	wrap(buf, size, &used, text, 0, 0);
	appendf(buf, size, &used,
		"With -f, FILE (in the format of examples/hybrid.yaml) is "
		"sent as written:\nevery object in it is created or "
		"replaced.\n\nFlags:\n");
	for (size_t i = 0; i < k->nflags; i++) {
		const struct flag *f = &k->flags[i];
		char name[96], help[256];

		snprintf(name, sizeof(name), "%s%s%s", f->name,
			 f->arg ? " " : "", f->arg ? f->arg : "");
		snprintf(help, sizeof(help), "%s%s", f->help,
			 f->role == F_LIST ? " (repeatable)" : "");
		help_line(buf, size, &used, name, help);
	}
}

/* ---- dispatch ------------------------------------------------------ */

static int
create_fn(struct cenctl *ctl, struct opts *o, const void *data)
{
	return v_write(ctl, o, data, true);
}

static int
update_fn(struct cenctl *ctl, struct opts *o, const void *data)
{
	return v_write(ctl, o, data, false);
}

static int
delete_fn(struct cenctl *ctl, struct opts *o, const void *data)
{
	return v_delete(ctl, o, data);
}

static int
list_fn(struct cenctl *ctl, struct opts *o, const void *data)
{
	return v_show(ctl, o, data, true);
}

static int
show_fn(struct cenctl *ctl, struct opts *o, const void *data)
{
	return v_show(ctl, o, data, false);
}

static const struct kind *
find_kind(const char *noun)
{
	for (size_t i = 0; i < NELEM(kinds); i++)
		if (strcmp(kinds[i].noun, noun) == 0)
			return &kinds[i];
	return NULL;
}

bool
cenctl_model_noun(const char *noun)
{
	return find_kind(noun) != NULL;
}

int
cenctl_model(struct cenctl *ctl, const char *noun, int argc, char **argv)
{
	static char u[5][6144];
	const struct kind *k = find_kind(noun);
	struct opts_verb verbs[5];
	char filters[128], head[64], line[256];
	size_t used;

	if (k == NULL)
		return -1;
	usage_write(k, true, u[0], sizeof(u[0]));
	usage_write(k, false, u[1], sizeof(u[1]));
	used = 0;
	usage_line(u[2], sizeof(u[2]), &used, "usage: ", k, "delete", "");
	appendf(u[2], sizeof(u[2]), &used, "\nDeletes the %s.\n",
		k->k == K_CEN	 ? "CEN (it must have no regions left)"
		: k->k == K_RMAP ? "route map entry"
				 : k->title);
	if (k->k == K_RMAP)
		snprintf(filters, sizeof(filters),
			 " [--region R] [--direction D] [--route-table T]");
	else if (k->k == K_SROUTE)
		snprintf(filters, sizeof(filters),
			 " [--route-table T] [--region R]");
	else if (k->k == K_CEN || k->k == K_REGION)
		filters[0] = '\0';
	else
		snprintf(filters, sizeof(filters), " [--region R]");
	used = 0;
	snprintf(head, sizeof(head), "usage: cenctl %s list", k->noun);
	snprintf(line, sizeof(line), "%s%s [--linearizable]", head, filters);
	wrap(u[3], sizeof(u[3]), &used, line, 0, strlen(head) + 1);
	appendf(u[3], sizeof(u[3]), &used,
		"\nLists the configuration's %s%s (with -w json, an array of "
		"objects).\n--linearizable reads through the leader.\n",
		k->k == K_CEN ? "CEN" : k->title, k->k == K_CEN ? "" : "s");
	used = 0;
	usage_line(u[4], sizeof(u[4]), &used, "usage: ", k, "show",
		   " [--linearizable]");
	appendf(u[4], sizeof(u[4]), &used,
		"\nPrints the %s as YAML (with -w json, as a JSON "
		"object).\n",
		k->k == K_RMAP ? "route map entry" : k->title);
	verbs[0] = (struct opts_verb){ "create", u[0], create_fn };
	verbs[1] = (struct opts_verb){ "update", u[1], update_fn };
	verbs[2] = (struct opts_verb){ "delete", u[2], delete_fn };
	verbs[3] = (struct opts_verb){ "list", u[3], list_fn };
	/* the regions are listed with their exchange (cli/region.c) */
	if (k->k == K_REGION)
		verbs[3] = (struct opts_verb){ "list", cenctl_region_list_usage,
					       cenctl_region_list };
	verbs[4] = (struct opts_verb){ "show", u[4], show_fn };
	return opts_dispatch(ctl, k->noun, verbs, NELEM(verbs), k, argc, argv);
}

/* ---- health-check set ---------------------------------------------- */

static int
health_set(struct cenctl *ctl, struct opts *o, const void *data)
{
	Cend__V1__HealthUpdate req = CEND__V1__HEALTH_UPDATE__INIT;
	Cend__V1__WriteResponse *r;
	struct cen_err err = { 0 };
	const char *att = NULL;
	int up = -1;
	char what[128];

	while (opts_next(o)) {
		if (opts_help(o) || opts_arg(o, att == NULL ? &att : NULL))
			continue;
		if (opts_flag(o, "--up") || opts_flag(o, "--down")) {
			int v = opts_flag(o, "--up");

			if (up != -1 && up != v)
				opts_error(o, "give --up or --down, not both");
			up = v;
			continue;
		}
		opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (att == NULL)
		return opts_error(o, "the attachment's ID is required");
	if (up == -1)
		return opts_error(o, "say --up or --down");
	req.attachment = (char *)att;
	req.up = up == 1;
	if (cenctl_call(ctl, CENCTL_ADMIN("Health"), &req.base,
			&cend__v1__write_response__descriptor,
			(ProtobufCMessage **)&r, &err) != 0)
		return cenctl_fail(&err);
	snprintf(what, sizeof(what), "attachment %s", att);
	written(ctl, what, up == 1 ? "marked up" : "marked down", r->index);
	cend__v1__write_response__free_unpacked(r, NULL);
	return 0;
}

static const struct opts_verb health_verbs[] = {
	{ "set",
	  "usage: cenctl health-check set ATTACHMENT --up|--down\n\n"
	  "Records a health-check result for an attachment (as the "
	  "forwarders'\nprobes do): down withdraws or demotes its routes, "
	  "up restores them.\n",
	  health_set },
};

int
cenctl_health_check(struct cenctl *ctl, int argc, char **argv)
{
	return opts_dispatch(ctl, "health-check", health_verbs,
			     NELEM(health_verbs), NULL, argc, argv);
}
