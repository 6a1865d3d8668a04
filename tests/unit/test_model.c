/*
 * test_model.c - the configuration model (core/model.c): lifetime, deep
 * copies, lookups, put/del by key, enum names, defaults and every rule of
 * model_validate (ROUTING.md "Objects", "Route maps", "BGP towards customer
 * edges", "Redundancy", "Bandwidth").
 *
 * Each validation test starts from a C copy of examples/hybrid.yaml (which
 * must validate cleanly), breaks one rule, and checks that the error names
 * the object, the field and the allowed range or the fix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/model.h"

#define RESERVED_MSG                                                           \
	"100.64.0.0/10 is reserved for cloud services; use 100.64.0.0/11 "     \
	"and 100.96.0.0/11"

/*
 * Building blocks
 */

static void
setid(char *dst, const char *s)
{
	snprintf(dst, MODEL_ID_MAX, "%s", s);
}

static struct prefix
pfx(const char *s)
{
	struct prefix p;

	assert_int_equal(prefix_parse(&p, s, true), 0);
	return p;
}

/* An address with a subnet length, keeping its host bits (local_ip). */
static struct prefix
ifaddr(const char *addr, uint8_t len)
{
	struct prefix p;

	assert_int_equal(prefix_parse_addr(&p, addr), 0);
	p.len = len;
	return p;
}

static void
add_region(struct model *m, const char *id, int line)
{
	struct model_region r = { .line = line };

	setid(r.id, id);
	assert_int_equal(model_put_region(m, &r), 0);
}

static void
add_table(struct model *m, const char *id, const char *region, bool sys,
	  int line)
{
	struct model_table t;

	model_table_defaults(&t);
	setid(t.id, id);
	setid(t.region, region);
	t.system = sys;
	t.line = line;
	assert_int_equal(model_put_table(m, &t), 0);
}

static void
add_pc(struct model *m, const char *id, const char *region, uint32_t gbps,
       int line)
{
	struct model_pc pc = { .speed_gbps = gbps, .line = line };

	setid(pc.id, id);
	setid(pc.region, region);
	setid(pc.access_point, "ap-1");
	assert_int_equal(model_put_pc(m, &pc), 0);
}

static struct model_route
route(const char *prefix, uint8_t nh_type, const char *nh_id, int line)
{
	struct model_route r = { .prefix = pfx(prefix), .line = line };

	model_nexthop_defaults(&r.nh);
	r.nh.type = nh_type;
	setid(r.nh.id, nh_id);
	return r;
}

static struct model_peer
peer(const char *addr, uint32_t asn, int line)
{
	struct model_peer p;

	model_peer_defaults(&p);
	p.address = pfx(addr);
	p.asn = asn;
	p.nodes[p.nnodes++] = 1;
	p.line = line;
	return p;
}

static void
add_vpc(struct model *m, const char *id, const char *region,
	const char *const *cidrs, const struct model_route *routes,
	size_t nroutes, int line)
{
	struct model_attachment a;
	struct prefix v[8];
	size_t n = 0;

	model_attachment_defaults(&a);
	setid(a.id, id);
	setid(a.region, region);
	a.type = MODEL_ATT_VPC;
	a.line = line;
	for (; cidrs[n] != NULL; n++)
		v[n] = pfx(cidrs[n]);
	a.vswitch_cidrs = v;
	a.nvswitch = n;
	a.routes = (struct model_route *)routes;
	a.nroutes = nroutes;
	assert_int_equal(model_put_attachment(m, &a), 0);
}

static struct model_rmap
rmap(const char *region, uint8_t dir, uint8_t priority, uint8_t action,
     int line)
{
	struct model_rmap r;

	model_rmap_defaults(&r);
	setid(r.region, region);
	r.direction = dir;
	r.priority = priority;
	r.action = action;
	r.line = line;
	return r;
}

/*
 * examples/hybrid.yaml, built in C with the lines of the file, plus a
 * custom route table in Hangzhou and an ECMP static route in its system
 * table (the file has neither) so the table rules have something to bite.
 */
static void
build_hybrid(struct model *m)
{
	static const char *const bu_a[] = { "10.1.0.0/24", "10.1.1.0/24",
					    NULL };
	static const char *const bu_b[] = { "10.2.0.0/24", NULL };
	static const char *const shared[] = { "10.9.0.0/24", NULL };
	struct model_route r[2];
	struct model_attachment a;
	struct model_table_route tr;
	struct model_rmap rm;
	struct model_bwp_conn conn;
	struct model_bwp b;

	model_init(m);
	m->has_cen = true;
	model_cen_defaults(&m->cen);
	setid(m->cen.id, "cen-corp");
	m->cen.line = 7;

	add_region(m, "cn-hangzhou", 13);
	add_table(m, "rt-hz-system", "cn-hangzhou", true, 15);
	add_table(m, "rt-hz-custom", "cn-hangzhou", false, 16);
	add_region(m, "cn-shanghai", 17);
	add_table(m, "rt-sh-system", "cn-shanghai", true, 19);

	add_pc(m, "pc-hz-1", "cn-hangzhou", 10, 23);
	add_pc(m, "pc-hz-2", "cn-hangzhou", 10, 27);

	add_vpc(m, "vpc-bu-a", "cn-hangzhou", bu_a, NULL, 0, 33);
	add_vpc(m, "vpc-bu-b", "cn-hangzhou", bu_b, NULL, 0, 37);
	r[0] = route("10.9.128.0/20", MODEL_NH_ENI, "eni-appliance-1", 46);
	r[0].publish = true;
	add_vpc(m, "vpc-shared", "cn-shanghai", shared, r, 1, 41);

	model_attachment_defaults(&a);
	setid(a.id, "vbr-dc-1");
	a.type = MODEL_ATT_VBR;
	setid(a.region, "cn-hangzhou");
	setid(a.physical_connection, "pc-hz-1");
	a.vlan = 101;
	a.bandwidth_mbps = 1000;
	a.local_ip = ifaddr("10.10.10.1", 30);
	a.peer_ip = pfx("10.10.10.2");
	r[0] = route("172.16.0.0/12", MODEL_NH_PHYSICAL_CONNECTION, "pc-hz-1",
		     58);
	a.routes = r;
	a.nroutes = 1;
	a.peers[0] = peer("127.0.0.11", 65001, 63);
	a.peers[0].nodes[a.peers[0].nnodes++] = 2;
	snprintf(a.peers[0].md5_key, sizeof(a.peers[0].md5_key), "s3cret");
	a.peers[0].route_quota = 1000;
	a.npeers = 1;
	a.health.enabled = true;
	a.health.source_ip = pfx("100.96.0.10");
	a.health.target_ip = pfx("10.10.10.2");
	a.line = 49;
	assert_int_equal(model_put_attachment(m, &a), 0);

	model_attachment_defaults(&a);
	setid(a.id, "vbr-dc-2");
	a.type = MODEL_ATT_VBR;
	setid(a.region, "cn-hangzhou");
	setid(a.physical_connection, "pc-hz-2");
	a.vlan = 102;
	a.bandwidth_mbps = 1000;
	a.local_ip = ifaddr("10.10.11.1", 30);
	a.peer_ip = pfx("10.10.11.2");
	a.peers[0] = peer("127.0.0.12", 65001, 83);
	a.peers[0].nodes[0] = 2;
	a.peers[0].nodes[a.peers[0].nnodes++] = 3;
	a.peers[0].route_quota = 1000;
	a.npeers = 1;
	r[0] = route("100.64.0.0/11", MODEL_NH_VPC, "vpc-shared", 89);
	r[1] = route("100.96.0.0/11", MODEL_NH_VPC, "vpc-shared", 91);
	a.routes = r;
	a.nroutes = 2;
	a.line = 74;
	assert_int_equal(model_put_attachment(m, &a), 0);

	model_attachment_defaults(&a);
	setid(a.id, "ccn-branch-1");
	a.type = MODEL_ATT_CCN;
	setid(a.region, "cn-shanghai");
	a.peers[0] = peer("127.0.0.21", 65101, 98);
	a.npeers = 1;
	a.line = 93;
	assert_int_equal(model_put_attachment(m, &a), 0);

	memset(&tr, 0, sizeof(tr));
	setid(tr.table, "rt-hz-system");
	tr.prefix = pfx("192.168.0.0/16");
	model_nexthop_defaults(&tr.nh[0]);
	tr.nh[0].type = MODEL_NH_ATTACHMENT;
	setid(tr.nh[0].id, "vbr-dc-1");
	model_nexthop_defaults(&tr.nh[1]);
	tr.nh[1].type = MODEL_NH_ATTACHMENT;
	setid(tr.nh[1].id, "vbr-dc-2");
	tr.nnh = 2;
	assert_int_equal(model_put_table_route(m, &tr), 0);

	rm = rmap("cn-hangzhou", MODEL_DIR_OUT, 10, MODEL_ACTION_DENY, 105);
	setid(rm.src_instances[rm.nsrc_instances++], "vpc-bu-b");
	setid(rm.dst_instances[rm.ndst_instances++], "vpc-bu-a");
	assert_int_equal(model_put_rmap(m, &rm), 0);
	rm = rmap("cn-hangzhou", MODEL_DIR_OUT, 11, MODEL_ACTION_DENY, 112);
	setid(rm.src_instances[rm.nsrc_instances++], "vpc-bu-a");
	setid(rm.dst_instances[rm.ndst_instances++], "vpc-bu-b");
	assert_int_equal(model_put_rmap(m, &rm), 0);
	rm = rmap("cn-hangzhou", MODEL_DIR_IN, 20, MODEL_ACTION_PERMIT, 120);
	setid(rm.src_regions[rm.nsrc_regions++], "cn-shanghai");
	rm.src_types[rm.nsrc_types++] = MODEL_ATT_CCN;
	rm.set_pref = 70;
	rm.set_comm_mode = MODEL_COMM_ADDITIVE;
	rm.set_comms[rm.nset_comms++] = (65000u << 16) | 300;
	assert_int_equal(model_put_rmap(m, &rm), 0);

	memset(&conn, 0, sizeof(conn));
	setid(conn.regions[0], "cn-hangzhou");
	setid(conn.regions[1], "cn-shanghai");
	conn.bandwidth_mbps = 50;
	conn.line = 136;
	memset(&b, 0, sizeof(b));
	setid(b.id, "bwp-hz-sh");
	setid(b.regions[0], "cn-hangzhou");
	setid(b.regions[1], "cn-shanghai");
	b.bandwidth_mbps = 100;
	b.conns = &conn;
	b.nconns = 1;
	b.line = 132;
	assert_int_equal(model_put_bwp(m, &b), 0);
}

/* Mutable views of objects in the model under test. */
static struct model_attachment *
att(struct model *m, const char *id)
{
	struct model_attachment *a =
		(struct model_attachment *)model_find_attachment(m, id);

	assert_non_null(a);
	return a;
}

static struct model_rmap *
rm_at(struct model *m, uint8_t dir, uint8_t priority)
{
	struct model_rmap *r = (struct model_rmap *)model_find_rmap(
		m, "cn-hangzhou", dir, "", priority);

	assert_non_null(r);
	return r;
}

static struct model_bwp *
bwp(struct model *m)
{
	struct model_bwp *b =
		(struct model_bwp *)model_find_bwp(m, "bwp-hz-sh");

	assert_non_null(b);
	return b;
}

static struct model_table_route *
troute(struct model *m)
{
	assert_true(m->ntable_routes > 0);
	return &m->table_routes[0];
}

/* Appends without replacing by key, as a loader reading a file might. */
static void
append_rmap(struct model *m, const struct model_rmap *r)
{
	struct model_rmap *v = realloc(m->rmaps, (m->nrmaps + 1) * sizeof(*v));

	assert_non_null(v);
	v[m->nrmaps++] = *r;
	m->rmaps = v;
}

static void
append_table_route(struct model *m, const struct model_table_route *r)
{
	struct model_table_route *v =
		realloc(m->table_routes, (m->ntable_routes + 1) * sizeof(*v));

	assert_non_null(v);
	v[m->ntable_routes++] = *r;
	m->table_routes = v;
}

static void
add_route(struct model_attachment *a, const struct model_route *r)
{
	struct model_route *v =
		realloc(a->routes, (a->nroutes + 1) * sizeof(*v));

	assert_non_null(v);
	v[a->nroutes++] = *r;
	a->routes = v;
}

static size_t
nlines(const char *s)
{
	size_t n = s[0] != '\0';

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Validates and checks that it fails and that every fragment appears;
 * returns the number of error lines.  Prints the message on mismatch. */
static size_t
expect_errs(const struct model *m, const struct model *prev,
	    const char *const *frags)
{
	struct cen_err err;
	int rc;

	cen_err_clear(&err);
	rc = model_validate(m, prev, &err);
	for (size_t i = 0; frags[i] != NULL; i++)
		if (strstr(err.msg, frags[i]) == NULL)
			print_message("missing \"%s\" in:\n%s\n", frags[i],
				      err.msg);
	assert_true(rc < 0);
	assert_int_equal(rc, err.code);
	for (size_t i = 0; frags[i] != NULL; i++)
		assert_non_null(strstr(err.msg, frags[i]));
	return nlines(err.msg);
}

#define EXPECT(m, ...)                                                         \
	expect_errs((m), NULL, (const char *const[]){ __VA_ARGS__, NULL })
#define EXPECT_PREV(m, prev, ...)                                              \
	expect_errs((m), (prev), (const char *const[]){ __VA_ARGS__, NULL })
/* Exactly one error line, containing every fragment. */
#define EXPECT_ONE(m, ...) assert_int_equal(EXPECT(m, __VA_ARGS__), 1)

static void
expect_ok(const struct model *m, const struct model *prev)
{
	struct cen_err err;
	int rc;

	cen_err_clear(&err);
	rc = model_validate(m, prev, &err);
	if (rc != 0)
		print_message("unexpected errors:\n%s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.msg, "");
}

static int
setup(void **state)
{
	struct model *m = malloc(sizeof(*m));

	if (m == NULL)
		return -1;
	build_hybrid(m);
	*state = m;
	return 0;
}

static int
teardown(void **state)
{
	model_free(*state);
	free(*state);
	return 0;
}

/*
 * The example and the empty model
 */

static void
test_model_hybrid_example_is_valid(void **state)
{
	expect_ok(*state, NULL);
	expect_ok(*state, *state);
}

static void
test_model_empty_model_is_valid(void **state)
{
	struct model m;

	model_init(&m);
	expect_ok(&m, NULL);
	model_free(&m);
}

static void
test_model_attachments_need_a_cen(void **state)
{
	struct model *m = *state;

	m->has_cen = false;
	EXPECT_ONE(m, "cen: missing");
}

static void
test_model_regions_without_attachments_need_no_cen(void **state)
{
	struct model m;

	model_init(&m);
	add_region(&m, "cn-hangzhou", 0);
	add_table(&m, "rt-hz-system", "cn-hangzhou", true, 0);
	expect_ok(&m, NULL);
	model_free(&m);
}

/*
 * IDs
 */

static void
test_model_id_valid_accepts_1_to_63_safe_characters(void **state)
{
	char id[80];

	assert_true(model_id_valid("vbr-dc-1"));
	assert_true(model_id_valid("a"));
	assert_true(model_id_valid("0.x_y-Z"));
	assert_false(model_id_valid(""));
	assert_false(model_id_valid(NULL));
	assert_false(model_id_valid("-vbr"));
	assert_false(model_id_valid(".vbr"));
	assert_false(model_id_valid("_vbr"));
	assert_false(model_id_valid("vbr dc"));
	assert_false(model_id_valid("vbr/dc"));
	assert_false(model_id_valid("vbr\n"));
	memset(id, 'a', 63);
	id[63] = '\0';
	assert_true(model_id_valid(id));
	id[63] = 'a';
	id[64] = '\0';
	assert_false(model_id_valid(id));
}

static void
test_model_invalid_id_is_refused(void **state)
{
	struct model *m = *state;

	setid(bwp(m)->id, "bwp hz");
	EXPECT_ONE(m,
		   "line 132: bandwidth_package bwp hz: id \"bwp hz\" invalid",
		   "1..63 characters");
}

static void
test_model_ids_unique_per_kind(void **state)
{
	struct model *m = *state;
	struct model_attachment a;
	struct model_region r = { .line = 200 };
	struct model_table t;
	struct model_pc pc;
	struct model_bwp b;

	/* appended directly: put would replace by key */
	setid(r.id, "cn-hangzhou");
	m->regions = realloc(m->regions, (m->nregions + 1) * sizeof(r));
	m->regions[m->nregions++] = r;

	t = m->tables[0];
	setid(t.region, "cn-shanghai");
	t.system = false;
	t.line = 201;
	m->tables = realloc(m->tables, (m->ntables + 1) * sizeof(t));
	m->tables[m->ntables++] = t;

	pc = m->pcs[0];
	pc.line = 202;
	m->pcs = realloc(m->pcs, (m->npcs + 1) * sizeof(pc));
	m->pcs[m->npcs++] = pc;

	model_attachment_defaults(&a);
	setid(a.id, "vpc-bu-a");
	a.type = MODEL_ATT_VPC;
	setid(a.region, "cn-shanghai");
	a.line = 203;
	m->attachments =
		realloc(m->attachments, (m->nattachments + 1) * sizeof(a));
	m->attachments[m->nattachments++] = a;

	add_region(m, "cn-beijing", 0);
	add_table(m, "rt-bj-system", "cn-beijing", true, 0);
	memset(&b, 0, sizeof(b));
	setid(b.id, "bwp-hz-sh");
	setid(b.regions[0], "cn-hangzhou");
	setid(b.regions[1], "cn-beijing");
	b.bandwidth_mbps = 10;
	b.line = 204;
	m->bwps = realloc(m->bwps, (m->nbwps + 1) * sizeof(b));
	m->bwps[m->nbwps++] = b;

	assert_int_equal(
		EXPECT(m,
		       "line 200: region cn-hangzhou: id cn-hangzhou already "
		       "used by the region at line 13",
		       "line 201: route_table rt-hz-system: id rt-hz-system "
		       "already used by the route_table at line 15",
		       "line 202: physical_connection pc-hz-1: id pc-hz-1 "
		       "already used",
		       "line 203: attachment vpc-bu-a: id vpc-bu-a already "
		       "used by the attachment at line 33",
		       "line 204: bandwidth_package bwp-hz-sh: id bwp-hz-sh "
		       "already used",
		       "unique id"),
		5);
}

static void
test_model_same_id_in_different_kinds_is_allowed(void **state)
{
	struct model *m = *state;

	add_pc(m, "vpc-bu-a", "cn-hangzhou", 1, 0);
	add_table(m, "vbr-dc-1", "cn-hangzhou", false, 0);
	expect_ok(m, NULL);
}

/*
 * CEN
 */

static void
test_model_cen_asn_in_range_and_not_reserved(void **state)
{
	struct model *m = *state;

	m->cen.asn = 0;
	EXPECT_ONE(m, "line 7: cen cen-corp: asn 0 out of range 1..4294967295");
	m->cen.asn = MODEL_ASN_RESERVED;
	EXPECT_ONE(m, "cen cen-corp: asn 65025 is reserved", "1..4294967295");
	m->cen.asn = 4294967295u;
	expect_ok(m, NULL);
}

static void
test_model_overlapping_routes_cannot_be_turned_off(void **state)
{
	struct model *m = *state;
	struct model prev;

	assert_int_equal(model_clone(&prev, m), 0);
	m->cen.overlapping_routes = false;
	assert_int_equal(EXPECT_PREV(m, &prev,
				     "cen cen-corp: overlapping_routes cannot "
				     "be turned off once on"),
			 1);
	expect_ok(m, NULL); /* a new instance may start with it off */
	prev.cen.overlapping_routes = false;
	expect_ok(m, &prev); /* legacy instance stays off */
	m->cen.overlapping_routes = true;
	expect_ok(m, &prev); /* and may be turned on */
	model_free(&prev);
}

/*
 * Regions and tables
 */

static void
test_model_region_needs_exactly_one_system_table(void **state)
{
	struct model *m = *state;

	((struct model_table *)model_find_table(m, "rt-sh-system"))->system =
		false;
	EXPECT_ONE(m, "line 17: region cn-shanghai: route_tables: no system "
		      "table; mark exactly one");
	((struct model_table *)model_find_table(m, "rt-sh-system"))->system =
		true;
	((struct model_table *)model_find_table(m, "rt-hz-custom"))->system =
		true;
	EXPECT_ONE(m, "region cn-hangzhou: route_tables: 2 system tables "
		      "(rt-hz-system, rt-hz-custom); exactly one may be "
		      "system");
}

static void
test_model_region_cluster_id_defaults_to_a_hash_of_the_region_id(void **state)
{
	struct model_region a = { 0 }, b = { 0 };

	setid(a.id, "cn-hangzhou");
	setid(b.id, "cn-shanghai");
	/* FNV-1a of the ID: the same on every node and after restarts */
	assert_int_equal(model_region_cluster_id(&a), 0xe87c8b81u);
	assert_int_not_equal(model_region_cluster_id(&a),
			     model_region_cluster_id(&b));
	a.bgp_cluster_id = 0x0a000001;
	assert_int_equal(model_region_cluster_id(&a), 0x0a000001);
}

static void
test_model_regions_need_distinct_cluster_ids(void **state)
{
	struct model *m = *state;
	struct model_region *hz =
		(struct model_region *)model_find_region(m, "cn-hangzhou");
	struct model_region *sh =
		(struct model_region *)model_find_region(m, "cn-shanghai");

	hz->bgp_cluster_id = 0x0a000001;
	sh->bgp_cluster_id = 0x0a000002;
	expect_ok(m, NULL);
	sh->bgp_cluster_id = 0x0a000001;
	EXPECT_ONE(m, "line 17: region cn-shanghai: bgp_cluster_id 10.0.0.1 "
		      "is already the cluster ID of region cn-hangzhou at "
		      "line 13; give each regional cluster its own");
	/* an explicit one equal to another region's derived one */
	hz->bgp_cluster_id = 0;
	sh->bgp_cluster_id = model_region_cluster_id(hz);
	EXPECT_ONE(m, "region cn-shanghai: bgp_cluster_id ",
		   "is already the cluster ID of region cn-hangzhou");
	/* or the other way round: the derived one is named as such */
	sh->bgp_cluster_id = 0;
	hz->bgp_cluster_id = model_region_cluster_id(sh);
	EXPECT_ONE(m,
		   "line 17: region cn-shanghai: the cluster ID derived "
		   "from its ID, ",
		   "set bgp_cluster_id to another IPv4 address");
}

static void
test_model_table_region_must_exist(void **state)
{
	struct model *m = *state;

	add_table(m, "rt-x", "cn-nowhere", false, 300);
	EXPECT_ONE(m, "line 300: route_table rt-x: region cn-nowhere does not "
		      "exist");
}

static void
test_model_table_max_routes_accepts_any_uint32(void **state)
{
	struct model *m = *state;

	((struct model_table *)model_find_table(m, "rt-hz-system"))
		->max_routes = UINT32_MAX;
	((struct model_table *)model_find_table(m, "rt-sh-system"))
		->max_routes = 0;
	expect_ok(m, NULL);
}

/*
 * Table static routes
 */

static void
test_model_table_route_table_must_exist(void **state)
{
	struct model *m = *state;

	setid(troute(m)->table, "rt-ghost");
	EXPECT(m, "route_table rt-ghost route 192.168.0.0/16: table rt-ghost "
		  "does not exist");
	setid(troute(m)->table, "");
	EXPECT_ONE(m, "table missing");
}

static void
test_model_table_route_prefix_must_be_valid(void **state)
{
	struct model *m = *state;

	troute(m)->prefix.addr.v4[3] = 1; /* 192.168.0.1/16: host bits */
	EXPECT_ONE(m, "prefix 192.168.0.1/16 invalid", "without host bits");
	troute(m)->prefix = pfx("192.168.0.0/16");
	troute(m)->prefix.len = 33;
	EXPECT_ONE(m, "invalid");
	troute(m)->prefix.family = 0;
	EXPECT_ONE(m, "prefix (none) invalid");
}

static void
test_model_table_route_reserved_range_refused(void **state)
{
	struct model *m = *state;

	troute(m)->prefix = pfx("100.64.0.0/10");
	EXPECT_ONE(m, "route_table rt-hz-system route 100.64.0.0/10: "
		      "prefix " RESERVED_MSG);
	troute(m)->prefix = pfx("100.64.0.0/11");
	expect_ok(m, NULL);
}

static void
test_model_table_route_nexthops_are_attachments_of_the_table_region(
	void **state)
{
	struct model *m = *state;

	setid(troute(m)->nh[1].id, "vpc-shared");
	EXPECT_ONE(m, "next_hop vpc-shared is in region cn-shanghai",
		   "must be attachments of region cn-hangzhou");
	setid(troute(m)->nh[1].id, "vbr-ghost");
	EXPECT_ONE(m, "next_hop vbr-ghost does not exist as an attachment");
}

static void
test_model_table_route_nexthop_type_attachment_or_vpc(void **state)
{
	struct model *m = *state;

	troute(m)->nh[0].type = MODEL_NH_ENI;
	EXPECT_ONE(m, "next_hop vbr-dc-1 type ENI not allowed",
		   "Attachment or VPC");
	troute(m)->nh[0].type = MODEL_NH_VPC;
	EXPECT_ONE(m, "next_hop vbr-dc-1 is a VBR attachment, not a VPC");
	setid(troute(m)->nh[0].id, "vpc-bu-a");
	expect_ok(m, NULL);
}

static void
test_model_table_route_at_most_8_nexthops(void **state)
{
	struct model *m = *state;
	struct model_table_route *r = troute(m);

	r->nnh = MODEL_NEXTHOPS_MAX + 1;
	assert_true(EXPECT(m, "next_hops: 9 given, at most 8") >= 1);
}

static void
test_model_table_route_weight_1_to_255(void **state)
{
	struct model *m = *state;

	troute(m)->nh[1].weight = 0;
	EXPECT_ONE(m, "next_hop vbr-dc-2 weight 0 out of range 1..255");
	troute(m)->nh[1].weight = 255;
	expect_ok(m, NULL);
}

static void
test_model_table_route_blackhole_xor_nexthops(void **state)
{
	struct model *m = *state;

	troute(m)->blackhole = true;
	EXPECT_ONE(m, "blackhole with 2 next hops", "not both");
	troute(m)->nnh = 0;
	expect_ok(m, NULL);
	troute(m)->blackhole = false;
	EXPECT_ONE(m, "next_hops missing", "or set blackhole");
}

static void
test_model_table_route_unique_per_table_and_prefix(void **state)
{
	struct model *m = *state;
	struct model_table_route r = *troute(m);

	r.line = 400;
	append_table_route(m, &r);
	EXPECT_ONE(m, "line 400: route_table rt-hz-system route "
		      "192.168.0.0/16: prefix 192.168.0.0/16 already routed "
		      "in this table");
	setid(m->table_routes[1].table, "rt-hz-custom");
	expect_ok(m, NULL);
}

/*
 * Physical connections
 */

static void
test_model_pc_region_must_exist(void **state)
{
	struct model *m = *state;

	add_pc(m, "pc-x", "cn-nowhere", 1, 0);
	EXPECT_ONE(m, "physical_connection pc-x: region cn-nowhere does not "
		      "exist");
}

static void
test_model_pc_speed_1_to_100_gbps(void **state)
{
	struct model *m = *state;

	add_pc(m, "pc-x", "cn-hangzhou", 101, 0);
	EXPECT_ONE(m, "physical_connection pc-x: speed_gbps 101 out of range "
		      "1..100");
	add_pc(m, "pc-x", "cn-hangzhou", 0, 0);
	EXPECT_ONE(m, "speed_gbps 0 out of range 1..100");
	add_pc(m, "pc-x", "cn-hangzhou", 100, 0);
	expect_ok(m, NULL);
}

/*
 * Attachments: common fields
 */

static void
test_model_attachment_type_required(void **state)
{
	struct model *m = *state;

	att(m, "ccn-branch-1")->type = MODEL_ATT_UNSPECIFIED;
	EXPECT_ONE(m, "line 93: attachment ccn-branch-1: type missing: set "
		      "VPC, VBR, VPN or CCN");
	att(m, "ccn-branch-1")->type = 9;
	EXPECT_ONE(m, "type 9 unknown");
}

static void
test_model_attachment_region_must_exist(void **state)
{
	struct model *m = *state;

	setid(att(m, "vpc-bu-b")->region, "cn-nowhere");
	EXPECT_ONE(m, "attachment vpc-bu-b: region cn-nowhere does not exist");
	setid(att(m, "vpc-bu-b")->region, "");
	EXPECT_ONE(m, "attachment vpc-bu-b: region missing");
}

static void
test_model_attachment_route_table_in_same_region(void **state)
{
	struct model *m = *state;

	setid(att(m, "vpc-bu-a")->route_table, "rt-sh-system");
	EXPECT_ONE(m, "attachment vpc-bu-a: route_table rt-sh-system is in "
		      "region cn-shanghai, not cn-hangzhou");
	setid(att(m, "vpc-bu-a")->route_table, "rt-ghost");
	EXPECT_ONE(m, "attachment vpc-bu-a: route_table rt-ghost does not "
		      "exist");
	setid(att(m, "vpc-bu-a")->route_table, "rt-hz-custom");
	expect_ok(m, NULL);
}

static void
test_model_attachment_propagate_tables_exist_in_region_once(void **state)
{
	struct model *m = *state;
	struct model_attachment *a = att(m, "vpc-bu-a");

	a->propagate_set = true;
	setid(a->propagate[0], "rt-hz-system");
	setid(a->propagate[1], "rt-hz-custom");
	a->npropagate = 2;
	expect_ok(m, NULL);
	setid(a->propagate[1], "rt-sh-system");
	EXPECT_ONE(m, "propagate table rt-sh-system is in region cn-shanghai, "
		      "not cn-hangzhou");
	setid(a->propagate[1], "rt-ghost");
	EXPECT_ONE(m, "propagate table rt-ghost does not exist");
	setid(a->propagate[1], "rt-hz-system");
	EXPECT_ONE(m, "propagate table rt-hz-system listed twice");
	a->npropagate = MODEL_LIST_MAX + 1;
	assert_true(EXPECT(m, "propagate: 33 tables given, at most 32") >= 1);
}

/*
 * VPCs
 */

static void
test_model_vpc_vswitch_cidrs_valid_and_disjoint(void **state)
{
	struct model *m = *state;
	struct model_attachment *a = att(m, "vpc-bu-a");

	a->vswitch_cidrs[1] = pfx("10.1.0.128/25");
	EXPECT_ONE(m,
		   "attachment vpc-bu-a: vswitch_cidrs 10.1.0.128/25 "
		   "overlaps 10.1.0.0/24",
		   "must be disjoint");
	a->vswitch_cidrs[1] = pfx("10.1.1.0/24");
	a->vswitch_cidrs[1].addr.v4[3] = 7;
	EXPECT_ONE(m, "vswitch_cidrs 10.1.1.7/24 invalid");
}

static void
test_model_vpc_at_most_256_vswitch_cidrs(void **state)
{
	struct model *m = *state;
	struct model_attachment *a = att(m, "vpc-bu-b");
	struct prefix *v = calloc(257, sizeof(*v));

	assert_non_null(v);
	for (unsigned i = 0; i < 257; i++)
		prefix_from_v4(&v[i], (10u << 24) | (3u << 16) | (i << 8), 24);
	free(a->vswitch_cidrs);
	a->vswitch_cidrs = v;
	a->nvswitch = 256;
	expect_ok(m, NULL);
	a->nvswitch = 257;
	EXPECT_ONE(m, "attachment vpc-bu-b: vswitch_cidrs: 257 given, at most "
		      "256");
}

static void
test_model_vpc_custom_routes_unique_prefix(void **state)
{
	struct model *m = *state;
	struct model_route r =
		route("10.9.128.0/20", MODEL_NH_INSTANCE, "i-123", 500);

	add_route(att(m, "vpc-shared"), &r);
	EXPECT_ONE(m, "line 500: attachment vpc-shared: custom_route "
		      "10.9.128.0/20: prefix listed twice");
}

static void
test_model_vpc_custom_route_nexthop_types(void **state)
{
	struct model *m = *state;
	struct model_attachment *a = att(m, "vpc-shared");

	a->routes[0].nh.type = MODEL_NH_PHYSICAL_CONNECTION;
	EXPECT_ONE(m,
		   "custom_route 10.9.128.0/20 next_hop type "
		   "PhysicalConnection not allowed",
		   "ENI, Instance, RouterInterface, VPC, Attachment or "
		   "Blackhole");
	a->routes[0].nh.type = MODEL_NH_UNSPECIFIED;
	EXPECT_ONE(m, "next_hop type Unspecified not allowed");
	a->routes[0].nh.type = MODEL_NH_ROUTER_INTERFACE;
	expect_ok(m, NULL);
	a->routes[0].nh.type = MODEL_NH_BLACKHOLE;
	expect_ok(m, NULL);
	a->routes[0].nh.type = MODEL_NH_INSTANCE;
	setid(a->routes[0].nh.id, "");
	EXPECT_ONE(m, "next_hop id missing: name the Instance");
}

static void
test_model_vpc_has_no_vbr_fields(void **state)
{
	struct model *m = *state;
	struct model_attachment *a = att(m, "vpc-bu-a");

	a->vlan = 7;
	setid(a->physical_connection, "pc-hz-1");
	a->peers[0] = peer("10.0.0.1", 65001, 0);
	a->npeers = 1;
	assert_int_equal(EXPECT(m, "attachment vpc-bu-a: vlan: only VBR",
				"physical_connection: only VBR",
				"peers: a VPC has no BGP peers"),
			 3);
}

static void
test_model_non_vpc_has_no_vswitch_cidrs(void **state)
{
	struct model *m = *state;
	struct model_attachment *a = att(m, "vbr-dc-2");

	a->vswitch_cidrs = malloc(sizeof(struct prefix));
	assert_non_null(a->vswitch_cidrs);
	a->vswitch_cidrs[0] = pfx("10.50.0.0/24");
	a->nvswitch = 1;
	EXPECT_ONE(m, "attachment vbr-dc-2: vswitch_cidrs: only VPC "
		      "attachments have vSwitch CIDRs");
}

/*
 * VBRs
 */

static void
test_model_vbr_physical_connection_exists_in_same_region(void **state)
{
	struct model *m = *state;

	setid(att(m, "vbr-dc-2")->physical_connection, "pc-ghost");
	EXPECT_ONE(m, "attachment vbr-dc-2: physical_connection pc-ghost does "
		      "not exist");
	add_pc(m, "pc-sh-1", "cn-shanghai", 10, 0);
	setid(att(m, "vbr-dc-2")->physical_connection, "pc-sh-1");
	EXPECT_ONE(m, "physical_connection pc-sh-1 is in region cn-shanghai, "
		      "not cn-hangzhou");
	setid(att(m, "vbr-dc-2")->physical_connection, "");
	EXPECT_ONE(m, "physical_connection missing");
}

static void
test_model_vbr_vlan_1_to_2999(void **state)
{
	struct model *m = *state;
	struct cen_err err;

	att(m, "vbr-dc-1")->vlan = 5000;
	EXPECT_ONE(m, "line 49: attachment vbr-dc-1: vlan 5000 out of range "
		      "1..2999");
	cen_err_clear(&err);
	assert_int_equal(model_validate(m, NULL, &err), -CEN_ERANGE);
	att(m, "vbr-dc-1")->vlan = 0;
	EXPECT_ONE(m, "vlan 0 out of range 1..2999");
	att(m, "vbr-dc-1")->vlan = 2999;
	expect_ok(m, NULL);
}

static void
test_model_vbr_vlan_unique_per_physical_connection(void **state)
{
	struct model *m = *state;

	att(m, "vbr-dc-2")->vlan = 101; /* on pc-hz-2: no clash */
	expect_ok(m, NULL);
	setid(att(m, "vbr-dc-2")->physical_connection, "pc-hz-1");
	EXPECT_ONE(m, "line 74: attachment vbr-dc-2: vlan 101 already used on "
		      "physical_connection pc-hz-1 by attachment vbr-dc-1");
}

static void
test_model_vbr_bandwidth_2_to_circuit_speed(void **state)
{
	struct model *m = *state;

	att(m, "vbr-dc-1")->bandwidth_mbps = 20000;
	EXPECT_ONE(m, "attachment vbr-dc-1: bandwidth_mbps 20000 out of range "
		      "2..10000");
	att(m, "vbr-dc-1")->bandwidth_mbps = 1;
	EXPECT_ONE(m, "bandwidth_mbps 1 out of range 2..10000");
	att(m, "vbr-dc-1")->bandwidth_mbps = 10000;
	expect_ok(m, NULL);
}

static void
test_model_vbr_peer_ip_inside_local_subnet(void **state)
{
	struct model *m = *state;
	struct model_attachment *a = att(m, "vbr-dc-1");

	a->peer_ip = pfx("10.10.10.6");
	EXPECT_ONE(m, "attachment vbr-dc-1: peer_ip 10.10.10.6 is outside "
		      "local_ip 10.10.10.1/30's subnet");
	a->peer_ip = pfx("2001:db8::2");
	EXPECT_ONE(m, "peer_ip 2001:db8::2 and local_ip 10.10.10.1/30 are of "
		      "different families");
	a->peer_ip = pfx("10.10.10.1");
	EXPECT_ONE(m, "peer_ip 10.10.10.1 equals local_ip");
	a->peer_ip = pfx("10.10.10.0/30");
	EXPECT_ONE(m, "peer_ip 10.10.10.0/30 invalid: give the CE's host "
		      "address");
	/* a canonical local_ip (host bits cleared by a parser) works too */
	a->peer_ip = pfx("10.10.10.2");
	a->local_ip = pfx("10.10.10.0/30");
	expect_ok(m, NULL);
	memset(&a->local_ip, 0, sizeof(a->local_ip));
	expect_ok(m, NULL);
}

static void
test_model_vbr_static_route_nexthop_types(void **state)
{
	struct model *m = *state;
	struct model_attachment *a = att(m, "vbr-dc-1");

	a->routes[0].nh.type = MODEL_NH_ENI;
	EXPECT_ONE(m,
		   "line 58: attachment vbr-dc-1: static_route "
		   "172.16.0.0/12 next_hop type ENI not allowed",
		   "PhysicalConnection, VPC, Attachment or Blackhole");
	a->routes[0].nh.type = MODEL_NH_UNSPECIFIED;
	expect_ok(m, NULL);
	a->routes[0].nh.type = MODEL_NH_PHYSICAL_CONNECTION;
	setid(a->routes[0].nh.id, "pc-ghost");
	EXPECT_ONE(m, "next_hop physical_connection pc-ghost does not exist");
	a->routes[0].nh.type = MODEL_NH_VPC;
	setid(a->routes[0].nh.id, "vpc-ghost");
	EXPECT_ONE(m, "next_hop VPC vpc-ghost does not exist as an "
		      "attachment");
	setid(a->routes[0].nh.id, "vbr-dc-2");
	EXPECT_ONE(m, "next_hop vbr-dc-2 is a VBR attachment, not a VPC");
	a->routes[0].nh.type = MODEL_NH_ATTACHMENT;
	expect_ok(m, NULL);
}

static void
test_model_attachment_routes_never_100_64_0_0_10(void **state)
{
	struct model *m = *state;
	struct model_route r =
		route("100.64.0.0/10", MODEL_NH_VPC, "vpc-shared", 600);

	add_route(att(m, "vbr-dc-2"), &r);
	EXPECT_ONE(m, "line 600: attachment vbr-dc-2: static_route "
		      "100.64.0.0/10: " RESERVED_MSG);
	att(m, "vpc-shared")->routes[0].prefix = pfx("100.64.0.0/10");
	assert_int_equal(EXPECT(m, "attachment vpc-shared: custom_route "
				   "100.64.0.0/10: " RESERVED_MSG),
			 2);
}

/*
 * BGP peers
 */

static void
test_model_peers_at_most_8(void **state)
{
	struct model *m = *state;
	struct model_attachment *a = att(m, "vbr-dc-1");

	a->npeers = MODEL_PEERS_MAX + 1;
	assert_true(EXPECT(m, "attachment vbr-dc-1: peers: 9 given, at most "
			      "8 per attachment") >= 1);
}

static void
test_model_peer_address_valid_host(void **state)
{
	struct model *m = *state;
	struct model_peer *p = &att(m, "vbr-dc-1")->peers[0];

	p->address = pfx("10.0.0.0/24");
	EXPECT_ONE(m, "attachment vbr-dc-1 peers[0]: address 10.0.0.0/24 "
		      "invalid: give a host address (/32 or /128)");
	memset(&p->address, 0, sizeof(p->address));
	EXPECT_ONE(m, "address missing");
	p->address = pfx("2001:db8::1");
	expect_ok(m, NULL);
}

static void
test_model_peer_address_unique_per_attachment(void **state)
{
	struct model *m = *state;
	struct model_attachment *a = att(m, "vbr-dc-1");

	a->peers[1] = peer("127.0.0.11", 65002, 700);
	a->npeers = 2;
	EXPECT_ONE(m, "line 700: attachment vbr-dc-1 peer 127.0.0.11: address "
		      "127.0.0.11 listed twice");
	/* the same address on another attachment is fine */
	a->peers[1].address = pfx("127.0.0.12");
	expect_ok(m, NULL);
}

static void
test_model_peer_asn_in_range_and_not_reserved(void **state)
{
	struct model *m = *state;
	struct model_peer *p = &att(m, "vbr-dc-1")->peers[0];

	p->asn = 0;
	EXPECT_ONE(m, "line 63: attachment vbr-dc-1 peer 127.0.0.11: asn 0 out "
		      "of range 1..4294967295");
	p->asn = 65025;
	EXPECT_ONE(m, "asn 65025 is reserved; use another ASN in "
		      "1..4294967295");
	p->asn = 4200000000u;
	expect_ok(m, NULL);
}

static void
test_model_peer_hold_time_0_or_3_to_65535(void **state)
{
	struct model *m = *state;
	struct model_peer *p = &att(m, "vbr-dc-1")->peers[0];

	p->hold_time_s = 2;
	EXPECT_ONE(m, "hold_time_s 2 out of range: 0 (no keepalives) or "
		      "3..65535");
	p->hold_time_s = 1;
	EXPECT_ONE(m, "hold_time_s 1 out of range");
	p->hold_time_s = 0;
	expect_ok(m, NULL);
	p->hold_time_s = 3;
	expect_ok(m, NULL);
	p->hold_time_s = 65535;
	expect_ok(m, NULL);
}

static void
test_model_peer_route_quota_at_least_1(void **state)
{
	struct model *m = *state;

	att(m, "vbr-dc-1")->peers[0].route_quota = 0;
	EXPECT_ONE(m, "route_quota 0 out of range: at least 1");
}

static void
test_model_peer_nodes_1_to_255_at_most_8(void **state)
{
	struct model *m = *state;
	struct model_peer *p = &att(m, "vbr-dc-1")->peers[0];

	p->nodes[1] = 0;
	EXPECT_ONE(m, "nodes: node 0 out of range 1..255");
	p->nodes[1] = 1;
	EXPECT_ONE(m, "nodes: node 1 listed twice");
	for (uint8_t i = 0; i < MODEL_NODES_MAX; i++)
		p->nodes[i] = i + 1;
	p->nnodes = MODEL_NODES_MAX;
	expect_ok(m, NULL);
	p->nnodes = MODEL_NODES_MAX + 1;
	EXPECT_ONE(m, "nodes: 9 given, at most 8");
}

static void
test_model_peer_md5_key_at_most_80(void **state)
{
	struct model *m = *state;
	struct model_peer *p = &att(m, "vbr-dc-1")->peers[0];

	memset(p->md5_key, 'k', 80);
	p->md5_key[80] = '\0';
	expect_ok(m, NULL);
	p->md5_key[80] = 'k'; /* 81 characters, unterminated */
	EXPECT_ONE(m, "md5_key longer than 80 characters");
}

static void
test_model_peer_needs_an_address_family(void **state)
{
	struct model *m = *state;
	struct model_peer *p = &att(m, "vbr-dc-1")->peers[0];

	p->ipv4 = false;
	EXPECT_ONE(m, "families: none enabled; enable ipv4, ipv6 or both");
	p->ipv6 = true;
	expect_ok(m, NULL);
}

/*
 * Health checks
 */

static void
test_model_health_interval_2_or_3(void **state)
{
	struct model *m = *state;

	att(m, "vbr-dc-1")->health.interval_s = 5;
	EXPECT_ONE(m, "attachment vbr-dc-1: health_check interval_s 5 out of "
		      "range: 2 or 3");
	att(m, "vbr-dc-1")->health.interval_s = 3;
	expect_ok(m, NULL);
}

static void
test_model_health_threshold_3_to_8(void **state)
{
	struct model *m = *state;

	att(m, "vbr-dc-1")->health.threshold = 9;
	EXPECT_ONE(m, "health_check threshold 9 out of range 3..8");
	att(m, "vbr-dc-1")->health.threshold = 2;
	EXPECT_ONE(m, "health_check threshold 2 out of range 3..8");
	att(m, "vbr-dc-1")->health.threshold = 3;
	expect_ok(m, NULL);
}

static void
test_model_health_needs_target_or_peer_ip(void **state)
{
	struct model *m = *state;
	struct model_attachment *a = att(m, "vbr-dc-1");

	memset(&a->health.target_ip, 0, sizeof(a->health.target_ip));
	expect_ok(m, NULL); /* defaults to peer_ip */
	memset(&a->peer_ip, 0, sizeof(a->peer_ip));
	EXPECT_ONE(m, "health_check target_ip missing: set target_ip or the "
		      "attachment's peer_ip");
	a->health.enabled = false;
	expect_ok(m, NULL);
}

/*
 * Route maps
 */

static void
test_model_rmap_region_must_exist(void **state)
{
	struct model *m = *state;

	setid(rm_at(m, MODEL_DIR_IN, 20)->region, "cn-nowhere");
	EXPECT_ONE(m, "line 120: route_map cn-nowhere/RegionIn/system priority "
		      "20: region cn-nowhere does not exist");
}

static void
test_model_rmap_direction_required(void **state)
{
	struct model *m = *state;

	rm_at(m, MODEL_DIR_IN, 20)->direction = MODEL_DIR_UNSPECIFIED;
	EXPECT_ONE(m, "route_map cn-hangzhou/Unspecified/rt-hz-system priority "
		      "20: direction missing: set RegionIn or RegionOut");
}

static void
test_model_rmap_route_table_in_its_region(void **state)
{
	struct model *m = *state;
	struct model_rmap *r = rm_at(m, MODEL_DIR_IN, 20);

	setid(r->route_table, "rt-sh-system");
	EXPECT_ONE(m, "route_map cn-hangzhou/RegionIn/rt-sh-system priority "
		      "20: route_table rt-sh-system is in region cn-shanghai, "
		      "not cn-hangzhou");
	setid(r->route_table, "rt-hz-custom");
	expect_ok(m, NULL);
}

static void
test_model_rmap_priority_1_to_100(void **state)
{
	struct model *m = *state;
	struct model_rmap *r = rm_at(m, MODEL_DIR_IN, 20);

	r->priority = 120;
	r->line = 0;
	EXPECT_ONE(m, "route_map cn-hangzhou/RegionIn/rt-hz-system priority "
		      "120: priority out of range 1..100");
	r->priority = 0;
	EXPECT_ONE(m, "priority 0: priority out of range 1..100");
	r->priority = 100;
	expect_ok(m, NULL);
}

static void
test_model_rmap_priority_unique_per_region_direction_table(void **state)
{
	struct model *m = *state;
	struct model_rmap r = rmap("cn-hangzhou", MODEL_DIR_OUT, 10,
				   MODEL_ACTION_PERMIT, 800);

	/* the system table named explicitly is the same key as "" */
	setid(r.route_table, "rt-hz-system");
	append_rmap(m, &r);
	EXPECT_ONE(m,
		   "line 800: route_map cn-hangzhou/RegionOut/rt-hz-system "
		   "priority 10: priority 10 already used at line 105",
		   "unique per region, direction and route table");
	setid(m->rmaps[m->nrmaps - 1].route_table, "rt-hz-custom");
	expect_ok(m, NULL);
	m->rmaps[m->nrmaps - 1].direction = MODEL_DIR_IN;
	setid(m->rmaps[m->nrmaps - 1].route_table, "");
	expect_ok(m, NULL);
}

static void
test_model_rmap_condition_lists_at_most_32(void **state)
{
	struct model *m = *state;
	struct model_rmap *r = rm_at(m, MODEL_DIR_IN, 20);

	r->nsrc_regions = 33; /* a loader's count beyond the array */
	for (unsigned i = 1; i < MODEL_LIST_MAX; i++)
		setid(r->src_regions[i], "cn-shanghai");
	EXPECT_ONE(m, "src_regions: 33 items given, at most 32");
	r->nsrc_regions = 1;
	r->ncidrs = 40;
	for (unsigned i = 0; i < MODEL_LIST_MAX; i++)
		r->cidrs[i] = pfx("10.0.0.0/8");
	EXPECT_ONE(m, "cidrs: 40 items given, at most 32");
	r->ncidrs = 0;
	r->nasns = 255;
	EXPECT_ONE(m, "asns: 255 items given, at most 32");
	r->nasns = 0;
	r->nset_comms = 33;
	EXPECT_ONE(m, "set_comms: 33 items given, at most 32");
}

static void
test_model_rmap_next_priority_after_this_entry(void **state)
{
	struct model *m = *state;
	struct model_rmap *r = rm_at(m, MODEL_DIR_IN, 20);

	r->next_priority = 20;
	EXPECT_ONE(m, "next_priority 20 out of range 21..100");
	r->next_priority = 101;
	EXPECT_ONE(m, "next_priority 101 out of range 21..100");
	r->next_priority = 21;
	expect_ok(m, NULL);
}

static void
test_model_rmap_deny_sets_nothing(void **state)
{
	struct model *m = *state;
	struct model_rmap *r = rm_at(m, MODEL_DIR_OUT, 10);

	r->set_pref = 60;
	r->set_comm_mode = MODEL_COMM_REPLACE;
	r->set_comms[r->nset_comms++] = 1;
	r->prepend[r->nprepend++] = 45104;
	r->next_priority = 50;
	assert_int_equal(
		EXPECT(m,
		       "route_map cn-hangzhou/RegionOut/rt-hz-system "
		       "priority 10: set_pref: a Deny entry cannot change "
		       "routes",
		       "set_comms: a Deny entry cannot change routes",
		       "prepend: a Deny entry cannot change routes",
		       "next_priority: a Deny entry stops evaluation"),
		4);
}

static void
test_model_rmap_set_pref_1_to_100(void **state)
{
	struct model *m = *state;

	rm_at(m, MODEL_DIR_IN, 20)->set_pref = 101;
	EXPECT_ONE(m, "set_pref 101 out of range 1..100");
	rm_at(m, MODEL_DIR_IN, 20)->set_pref = 0;
	expect_ok(m, NULL);
}

static void
test_model_rmap_prepend_at_most_32_valid_asns(void **state)
{
	struct model *m = *state;
	struct model_rmap *r = rm_at(m, MODEL_DIR_IN, 20);

	setid(r->src_instances[r->nsrc_instances++], "vbr-dc-1");
	for (unsigned i = 0; i < MODEL_PREPEND_MAX; i++)
		r->prepend[i] = 45104;
	r->nprepend = MODEL_PREPEND_MAX;
	expect_ok(m, NULL);
	r->nprepend = MODEL_PREPEND_MAX + 1;
	EXPECT_ONE(m, "prepend: 33 items given, at most 32");
	r->nprepend = 2;
	r->prepend[1] = 0;
	EXPECT_ONE(m, "prepend asn 0 invalid: use 1..4294967295");
	r->prepend[1] = 65025;
	EXPECT_ONE(m, "prepend asn 65025 invalid");
}

static void
test_model_rmap_regionin_prepend_needs_local_src_instances(void **state)
{
	struct model *m = *state;
	struct model_rmap *r = rm_at(m, MODEL_DIR_IN, 20);

	r->prepend[r->nprepend++] = 45104;
	EXPECT_ONE(m, "prepend: on RegionIn only with a src_instances "
		      "condition (not inverse) naming attachments of region "
		      "cn-hangzhou");
	setid(r->src_instances[r->nsrc_instances++], "vbr-dc-1");
	expect_ok(m, NULL);
	r->src_instances_inverse = true;
	EXPECT_ONE(m, "prepend: on RegionIn only with a src_instances");
	r->src_instances_inverse = false;
	setid(r->src_instances[r->nsrc_instances++], "ccn-branch-1");
	EXPECT_ONE(m, "prepend: src_instances ccn-branch-1 is in region "
		      "cn-shanghai; RegionIn prepend needs source instances of "
		      "region cn-hangzhou");
}

static void
test_model_rmap_regionout_prepend_needs_dst_instances(void **state)
{
	struct model *m = *state;
	struct model_rmap r =
		rmap("cn-hangzhou", MODEL_DIR_OUT, 30, MODEL_ACTION_PERMIT, 0);

	r.prepend[r.nprepend++] = 45104;
	assert_int_equal(model_put_rmap(m, &r), 0);
	EXPECT_ONE(m, "route_map cn-hangzhou/RegionOut/rt-hz-system priority "
		      "30: prepend: on RegionOut only with a dst_instances "
		      "condition (not inverse)");
	setid(r.dst_instances[r.ndst_instances++], "vpc-bu-a");
	assert_int_equal(model_put_rmap(m, &r), 0);
	expect_ok(m, NULL);
	r.dst_instances_inverse = true;
	assert_int_equal(model_put_rmap(m, &r), 0);
	EXPECT_ONE(m, "prepend: on RegionOut only with a dst_instances");
}

static void
test_model_rmap_destination_conditions_only_on_regionout(void **state)
{
	struct model *m = *state;
	struct model_rmap *r = rm_at(m, MODEL_DIR_IN, 20);

	setid(r->dst_instances[r->ndst_instances++], "vpc-bu-a");
	setid(r->dst_tables[r->ndst_tables++], "rt-hz-system");
	r->dst_types[r->ndst_types++] = MODEL_ATT_VPC;
	assert_int_equal(
		EXPECT(m,
		       "dst_instances: destination conditions apply only "
		       "to RegionOut",
		       "dst_tables: destination conditions apply only to "
		       "RegionOut",
		       "dst_types: destination conditions apply only to "
		       "RegionOut"),
		3);
	r->direction = MODEL_DIR_OUT;
	expect_ok(m, NULL);
}

static void
test_model_rmap_references_must_exist(void **state)
{
	struct model *m = *state;
	struct model_rmap *r = rm_at(m, MODEL_DIR_OUT, 10);

	setid(r->src_instances[0], "vpc-ghost");
	setid(r->dst_instances[0], "vpc-phantom");
	setid(r->src_regions[r->nsrc_regions++], "cn-ghost");
	setid(r->src_tables[r->nsrc_tables++], "rt-ghost");
	setid(r->dst_tables[r->ndst_tables++], "rt-phantom");
	assert_int_equal(
		EXPECT(m,
		       "src_instances vpc-ghost does not exist as an "
		       "attachment",
		       "dst_instances vpc-phantom does not exist as an "
		       "attachment",
		       "src_regions cn-ghost does not exist",
		       "src_tables rt-ghost does not exist",
		       "dst_tables rt-phantom does not exist"),
		5);
}

static void
test_model_rmap_cidrs_and_enum_values_valid(void **state)
{
	struct model *m = *state;
	struct model_rmap *r = rm_at(m, MODEL_DIR_IN, 20);

	r->cidrs[0] = pfx("10.0.0.0/8");
	r->cidrs[0].addr.v4[3] = 1;
	r->ncidrs = 1;
	EXPECT_ONE(m, "cidrs 10.0.0.1/8 invalid: give a network prefix");
	r->cidrs[0] = pfx("10.0.0.0/8");
	r->cidr_mode = MODEL_MATCH_COMPLETE;
	expect_ok(m, NULL);
	r->src_types[0] = 7;
	EXPECT_ONE(m, "src_types value 7 unknown: use VPC, VBR, VPN or CCN");
	r->src_types[0] = MODEL_ATT_CCN;
	r->route_types[r->nroute_types++] = 9;
	EXPECT_ONE(m, "route_types value 9 unknown");
	r->nroute_types = 0;
	r->asn_mode = 3;
	EXPECT_ONE(m, "asn_mode 3 unknown: use Include or Complete");
	r->asn_mode = 0;
	r->families = 4;
	EXPECT_ONE(m, "families 0x4 unknown");
	r->families = 0;
	r->action = 0;
	EXPECT_ONE(m, "action missing: set Permit or Deny");
}

static void
test_model_rmap_set_comm_mode_given_iff_set_comms(void **state)
{
	struct model *m = *state;
	struct model_rmap *r = rm_at(m, MODEL_DIR_IN, 20);

	r->set_comm_mode = MODEL_COMM_UNSPECIFIED;
	EXPECT_ONE(m, "set_comm_mode missing: give Additive or Replace with "
		      "set_comms");
	r->set_comm_mode = MODEL_COMM_REPLACE;
	r->nset_comms = 0;
	EXPECT_ONE(m, "set_comm_mode Replace without set_comms");
	r->set_comm_mode = MODEL_COMM_UNSPECIFIED;
	expect_ok(m, NULL);
}

/*
 * Bandwidth packages
 */

static void
test_model_bwp_regions_exist_and_differ(void **state)
{
	struct model *m = *state;
	struct model_bwp *b = bwp(m);

	setid(b->regions[1], "cn-nowhere");
	EXPECT(m, "line 132: bandwidth_package bwp-hz-sh: regions[1] "
		  "cn-nowhere does not exist");
	setid(b->regions[1], "cn-hangzhou");
	EXPECT(m, "regions: both ends are cn-hangzhou; a package joins two "
		  "different regions");
}

static void
test_model_bwp_one_package_per_region_pair(void **state)
{
	struct model *m = *state;
	struct model_bwp b;

	memset(&b, 0, sizeof(b));
	setid(b.id, "bwp-sh-hz");
	setid(b.regions[0], "cn-shanghai");
	setid(b.regions[1], "cn-hangzhou");
	b.bandwidth_mbps = 10;
	assert_int_equal(model_put_bwp(m, &b), 0);
	EXPECT_ONE(m, "bandwidth_package bwp-sh-hz: regions "
		      "cn-shanghai/cn-hangzhou already have bandwidth_package "
		      "bwp-hz-sh; use one package per region pair");
}

static void
test_model_bwp_bandwidth_at_least_1(void **state)
{
	struct model *m = *state;

	bwp(m)->nconns = 0;
	bwp(m)->bandwidth_mbps = 0;
	EXPECT_ONE(m, "bandwidth_package bwp-hz-sh: bandwidth_mbps 0 out of "
		      "range: at least 1 Mbps");
}

static void
test_model_bwp_connection_regions_are_the_package_pair(void **state)
{
	struct model *m = *state;
	struct model_bwp_conn *c = &bwp(m)->conns[0];

	setid(c->regions[0], "cn-shanghai");
	setid(c->regions[1], "cn-hangzhou");
	expect_ok(m, NULL); /* either order */
	setid(c->regions[1], "cn-beijing");
	EXPECT_ONE(m, "line 136: bandwidth_package bwp-hz-sh connection "
		      "cn-shanghai/cn-beijing: regions cn-shanghai/cn-beijing "
		      "are not the package's regions");
}

static void
test_model_bwp_connection_within_package(void **state)
{
	struct model *m = *state;
	struct model_bwp_conn *c = &bwp(m)->conns[0];

	c->bandwidth_mbps = 0;
	EXPECT_ONE(m, "connection cn-hangzhou/cn-shanghai: bandwidth_mbps 0 "
		      "out of range: at least 1 Mbps");
	c->bandwidth_mbps = 150;
	EXPECT(m,
	       "connection cn-hangzhou/cn-shanghai: bandwidth_mbps 150 "
	       "exceeds the package",
	       "<= package 100 Mbps");
	c->bandwidth_mbps = 100;
	expect_ok(m, NULL);
	c->cap_bytes = 1000000;
	EXPECT_ONE(m, "cap_bytes is only for pay_by_transfer");
	c->pay_by_transfer = true;
	expect_ok(m, NULL);
}

static void
test_model_bwp_connection_sum_within_package(void **state)
{
	struct model *m = *state;
	struct model_bwp b = *bwp(m);
	struct model_bwp_conn c[2];

	c[0] = b.conns[0];
	c[1] = b.conns[0];
	c[0].bandwidth_mbps = 80;
	c[1].bandwidth_mbps = 70;
	b.conns = c;
	b.nconns = 2;
	assert_int_equal(model_put_bwp(m, &b), 0);
	EXPECT_ONE(m, "line 132: bandwidth_package bwp-hz-sh: connections: sum "
		      "of connection limits 150 Mbps exceeds package bandwidth "
		      "100 Mbps");
	c[1].bandwidth_mbps = 20;
	assert_int_equal(model_put_bwp(m, &b), 0);
	expect_ok(m, NULL);
}

static void
test_model_bwp_cannot_shrink_below_connection_sum(void **state)
{
	struct model *m = *state;
	struct model prev;

	assert_int_equal(model_clone(&prev, m), 0);
	bwp(m)->bandwidth_mbps = 40;
	EXPECT_PREV(m, &prev,
		    "cannot shrink package bwp-hz-sh to 40 Mbps below the sum "
		    "of its connection limits 50 Mbps");
	bwp(m)->bandwidth_mbps = 50;
	expect_ok(m, &prev);
	model_free(&prev);
}

/*
 * Referential integrity on delete
 */

static void
test_model_delete_pc_used_by_vbr_is_a_dangling_reference(void **state)
{
	struct model *m = *state;

	assert_int_equal(model_del_pc(m, "pc-hz-1"), 0);
	EXPECT(m,
	       "line 49: attachment vbr-dc-1: physical_connection pc-hz-1 "
	       "does not exist",
	       "static_route 172.16.0.0/12 next_hop physical_connection "
	       "pc-hz-1 does not exist");
}

static void
test_model_delete_region_reports_every_user(void **state)
{
	struct model *m = *state;

	assert_int_equal(model_del_region(m, "cn-shanghai"), 0);
	EXPECT(m, "route_table rt-sh-system: region cn-shanghai does not exist",
	       "attachment vpc-shared: region cn-shanghai does not exist",
	       "attachment ccn-branch-1: region cn-shanghai does not exist",
	       "priority 20: src_regions cn-shanghai does not exist",
	       "bandwidth_package bwp-hz-sh: regions[1] cn-shanghai does not "
	       "exist");
}

static void
test_model_delete_table_reports_every_user(void **state)
{
	struct model *m = *state;
	struct model_rmap *r = rm_at(m, MODEL_DIR_IN, 20);

	setid(att(m, "vpc-bu-a")->route_table, "rt-hz-custom");
	setid(att(m, "vpc-bu-b")->propagate[0], "rt-hz-custom");
	att(m, "vpc-bu-b")->npropagate = 1;
	setid(r->src_tables[r->nsrc_tables++], "rt-hz-custom");
	setid(troute(m)->table, "rt-hz-custom");
	expect_ok(m, NULL);
	assert_int_equal(model_del_table(m, "rt-hz-custom"), 0);
	assert_int_equal(
		EXPECT(m,
		       "attachment vpc-bu-a: route_table rt-hz-custom does "
		       "not exist",
		       "attachment vpc-bu-b: propagate table rt-hz-custom "
		       "does not exist",
		       "src_tables rt-hz-custom does not exist",
		       "route_table rt-hz-custom route 192.168.0.0/16: table "
		       "rt-hz-custom does not exist"),
		4);
}

static void
test_model_delete_attachment_used_by_route_maps(void **state)
{
	struct model *m = *state;

	assert_int_equal(model_del_attachment(m, "vpc-bu-b"), 0);
	assert_int_equal(EXPECT(m,
				"priority 10: src_instances vpc-bu-b does "
				"not exist",
				"priority 11: dst_instances vpc-bu-b does not "
				"exist"),
			 2);
}

/*
 * Reporting
 */

static void
test_model_reports_every_error(void **state)
{
	struct model *m = *state;
	struct cen_err err;

	att(m, "vbr-dc-1")->vlan = 5000;
	((struct model_pc *)model_find_pc(m, "pc-hz-2"))->speed_gbps = 0;
	rm_at(m, MODEL_DIR_IN, 20)->set_pref = 200;
	assert_int_equal(EXPECT(m, "vlan 5000 out of range 1..2999",
				"speed_gbps 0 out of range 1..100",
				"set_pref 200 out of range 1..100"),
			 3);
	/* err may be NULL: the code alone */
	assert_int_equal(model_validate(m, NULL, NULL), -CEN_ERANGE);
	/* the first error's code is returned */
	m->has_cen = false;
	cen_err_clear(&err);
	assert_int_equal(model_validate(m, NULL, &err), -CEN_EINVAL);
	assert_int_equal(nlines(err.msg), 4);
}

static void
test_model_error_lines_say_line_only_when_known(void **state)
{
	struct model *m = *state;
	struct cen_err err;

	att(m, "vbr-dc-1")->vlan = 5000;
	cen_err_clear(&err);
	model_validate(m, NULL, &err);
	assert_string_equal(err.msg, "line 49: attachment vbr-dc-1: vlan 5000 "
				     "out of range 1..2999");
	att(m, "vbr-dc-1")->line = 0;
	cen_err_clear(&err);
	model_validate(m, NULL, &err);
	assert_string_equal(err.msg,
			    "attachment vbr-dc-1: vlan 5000 out of range "
			    "1..2999");
}

static void
test_model_validate_appends_to_earlier_errors(void **state)
{
	struct model *m = *state;
	struct cen_err err;

	cen_err_clear(&err);
	cen_err_add(&err, -CEN_EPARSE, "line 3: unknown key \"foo\"");
	att(m, "vbr-dc-1")->vlan = 5000;
	model_validate(m, NULL, &err);
	assert_int_equal(err.code, -CEN_EPARSE);
	assert_non_null(strstr(err.msg, "unknown key \"foo\"\nline 49:"));
}

/*
 * Lifetime, lookups, mutators
 */

static void
test_model_clone_is_deep(void **state)
{
	struct model *m = *state;
	struct model c;

	assert_int_equal(model_clone(&c, m), 0);
	expect_ok(&c, NULL);
	assert_int_equal(c.nattachments, m->nattachments);
	assert_ptr_not_equal(c.attachments, m->attachments);
	assert_ptr_not_equal(att(&c, "vpc-bu-a")->vswitch_cidrs,
			     att(m, "vpc-bu-a")->vswitch_cidrs);
	assert_ptr_not_equal(att(&c, "vbr-dc-2")->routes,
			     att(m, "vbr-dc-2")->routes);
	assert_ptr_not_equal(bwp(&c)->conns, bwp(m)->conns);

	att(&c, "vpc-bu-a")->vswitch_cidrs[0] = pfx("192.0.2.0/24");
	att(&c, "vbr-dc-2")->routes[1].prefix = pfx("198.51.100.0/24");
	bwp(&c)->conns[0].bandwidth_mbps = 1;
	setid(c.regions[0].id, "changed");
	{
		struct prefix want = pfx("10.1.0.0/24");
		struct prefix want2 = pfx("100.96.0.0/11");

		assert_true(prefix_equal(&att(m, "vpc-bu-a")->vswitch_cidrs[0],
					 &want));
		assert_true(prefix_equal(&att(m, "vbr-dc-2")->routes[1].prefix,
					 &want2));
	}
	assert_int_equal(bwp(m)->conns[0].bandwidth_mbps, 50);
	assert_string_equal(m->regions[0].id, "cn-hangzhou");
	model_free(&c);
	assert_int_equal(c.nattachments, 0);
	assert_null(c.attachments);
	model_free(&c); /* freeing twice is harmless */
	expect_ok(m, NULL);
}

static void
test_model_clone_of_empty_model_is_empty(void **state)
{
	struct model a, b;

	model_init(&a);
	assert_int_equal(model_clone(&b, &a), 0);
	assert_int_equal(b.nregions + b.nattachments + b.nbwps, 0);
	assert_null(b.attachments);
	assert_false(b.has_cen);
	model_free(&b);
	model_free(&a);
}

static void
test_model_lookups_find_by_id(void **state)
{
	struct model *m = *state;

	assert_string_equal(model_find_region(m, "cn-shanghai")->id,
			    "cn-shanghai");
	assert_null(model_find_region(m, "cn-beijing"));
	assert_string_equal(model_find_table(m, "rt-hz-custom")->region,
			    "cn-hangzhou");
	assert_null(model_find_table(m, "rt-x"));
	assert_string_equal(model_system_table(m, "cn-hangzhou")->id,
			    "rt-hz-system");
	assert_string_equal(model_system_table(m, "cn-shanghai")->id,
			    "rt-sh-system");
	assert_null(model_system_table(m, "cn-beijing"));
	assert_int_equal(model_find_attachment(m, "vbr-dc-2")->vlan, 102);
	assert_null(model_find_attachment(m, "vbr-dc-3"));
	assert_int_equal(model_find_pc(m, "pc-hz-2")->speed_gbps, 10);
	assert_null(model_find_pc(m, "pc-hz-3"));
	assert_int_equal(model_find_bwp(m, "bwp-hz-sh")->bandwidth_mbps, 100);
	assert_null(model_find_bwp(m, "bwp-x"));
	assert_int_equal(model_find_rmap(m, "cn-hangzhou", MODEL_DIR_IN, "", 20)
				 ->set_pref,
			 70);
	assert_null(model_find_rmap(m, "cn-hangzhou", MODEL_DIR_OUT, "", 20));
	assert_null(model_find_rmap(m, "cn-hangzhou", MODEL_DIR_IN,
				    "rt-hz-custom", 20));
}

static void
test_model_rmap_key_empty_table_means_system_table(void **state)
{
	struct model *m = *state;
	struct model_rmap r = *rm_at(m, MODEL_DIR_OUT, 10);
	size_t n = m->nrmaps;

	assert_ptr_equal(model_find_rmap(m, "cn-hangzhou", MODEL_DIR_OUT,
					 "rt-hz-system", 10),
			 rm_at(m, MODEL_DIR_OUT, 10));
	setid(r.route_table, "rt-hz-system");
	r.action = MODEL_ACTION_PERMIT;
	assert_int_equal(model_put_rmap(m, &r), 0);
	assert_int_equal(m->nrmaps, n); /* replaced, not appended */
	assert_int_equal(rm_at(m, MODEL_DIR_OUT, 10)->action,
			 MODEL_ACTION_PERMIT);
	assert_int_equal(
		model_del_rmap(m, "cn-hangzhou", MODEL_DIR_OUT, "", 10), 0);
	assert_int_equal(m->nrmaps, n - 1);
	assert_int_equal(model_del_rmap(m, "cn-hangzhou", MODEL_DIR_OUT,
					"rt-hz-system", 10),
			 -CEN_ENOENT);
}

static void
test_model_put_replaces_by_key_and_appends_new(void **state)
{
	struct model *m = *state;
	struct model_region r = { .line = 5 };
	struct model_table t = *model_find_table(m, "rt-hz-custom");
	struct model_pc pc = *model_find_pc(m, "pc-hz-2");
	struct model_table_route tr = *troute(m);
	size_t nr = m->nregions, nt = m->ntables, np = m->npcs,
	       ntr = m->ntable_routes;

	setid(r.id, "cn-hangzhou");
	assert_int_equal(model_put_region(m, &r), 0);
	assert_int_equal(m->nregions, nr);
	assert_int_equal(model_find_region(m, "cn-hangzhou")->line, 5);
	setid(r.id, "cn-beijing");
	assert_int_equal(model_put_region(m, &r), 0);
	assert_int_equal(m->nregions, nr + 1);

	t.max_routes = 77;
	assert_int_equal(model_put_table(m, &t), 0);
	assert_int_equal(m->ntables, nt);
	assert_int_equal(model_find_table(m, "rt-hz-custom")->max_routes, 77);

	pc.speed_gbps = 40;
	assert_int_equal(model_put_pc(m, &pc), 0);
	assert_int_equal(m->npcs, np);
	assert_int_equal(model_find_pc(m, "pc-hz-2")->speed_gbps, 40);

	tr.nnh = 1;
	assert_int_equal(model_put_table_route(m, &tr), 0);
	assert_int_equal(m->ntable_routes, ntr);
	assert_int_equal(troute(m)->nnh, 1);
	tr.prefix = pfx("192.168.0.0/17");
	assert_int_equal(model_put_table_route(m, &tr), 0);
	assert_int_equal(m->ntable_routes, ntr + 1);

	/* putting an element of the model onto itself is safe */
	assert_int_equal(model_put_table(m, &m->tables[0]), 0);
	assert_int_equal(model_put_attachment(m, &m->attachments[0]), 0);
	assert_int_equal(model_put_bwp(m, &m->bwps[0]), 0);
	add_table(m, "rt-bj-system", "cn-beijing", true, 0);
	expect_ok(m, NULL);
}

static void
test_model_put_attachment_copies_its_arrays(void **state)
{
	struct model *m = *state;
	struct model_attachment a = *att(m, "vpc-bu-a");
	struct prefix v[1] = { pfx("10.7.0.0/16") };
	struct model_route r[1] = { route("0.0.0.0/0", MODEL_NH_INSTANCE,
					  "i-nat", 0) };
	size_t n = m->nattachments;

	a.vswitch_cidrs = v;
	a.nvswitch = 1;
	a.routes = r;
	a.nroutes = 1;
	assert_int_equal(model_put_attachment(m, &a), 0);
	assert_int_equal(m->nattachments, n);
	v[0] = pfx("10.8.0.0/16");
	r[0].prefix = pfx("10.0.0.0/8");
	{
		struct prefix want = pfx("10.7.0.0/16");
		struct prefix want_r = pfx("0.0.0.0/0");

		assert_ptr_not_equal(att(m, "vpc-bu-a")->vswitch_cidrs, v);
		assert_true(prefix_equal(&att(m, "vpc-bu-a")->vswitch_cidrs[0],
					 &want));
		assert_true(prefix_equal(&att(m, "vpc-bu-a")->routes[0].prefix,
					 &want_r));
	}
	setid(a.id, "vpc-new");
	assert_int_equal(model_put_attachment(m, &a), 0);
	assert_int_equal(m->nattachments, n + 1);
	expect_ok(m, NULL);
}

static void
test_model_del_removes_by_key_or_returns_enoent(void **state)
{
	struct model *m = *state;
	struct prefix p = pfx("192.168.0.0/16");
	size_t n = m->nattachments;

	assert_int_equal(model_del_attachment(m, "vbr-dc-2"), 0);
	assert_int_equal(m->nattachments, n - 1);
	assert_null(model_find_attachment(m, "vbr-dc-2"));
	assert_non_null(model_find_attachment(m, "ccn-branch-1"));
	assert_int_equal(model_del_attachment(m, "vbr-dc-2"), -CEN_ENOENT);

	assert_int_equal(model_del_table_route(m, "rt-hz-custom", &p),
			 -CEN_ENOENT);
	assert_int_equal(model_del_table_route(m, "rt-hz-system", &p), 0);
	assert_int_equal(m->ntable_routes, 0);
	assert_null(m->table_routes);

	assert_int_equal(model_del_bwp(m, "bwp-hz-sh"), 0);
	assert_int_equal(model_del_bwp(m, "bwp-hz-sh"), -CEN_ENOENT);
	assert_int_equal(model_del_pc(m, "pc-hz-2"), 0);
	assert_int_equal(model_del_pc(m, "pc-hz-2"), -CEN_ENOENT);
	assert_int_equal(model_del_table(m, "rt-hz-custom"), 0);
	assert_int_equal(model_del_table(m, "rt-hz-custom"), -CEN_ENOENT);
	assert_int_equal(model_del_region(m, "cn-beijing"), -CEN_ENOENT);
	assert_int_equal(model_del_rmap(m, "cn-hangzhou", MODEL_DIR_IN, "", 21),
			 -CEN_ENOENT);
	expect_ok(m, NULL);
	assert_int_equal(model_del_region(m, "cn-hangzhou"), 0);
	assert_null(model_find_region(m, "cn-hangzhou"));
	assert_non_null(model_find_region(m, "cn-shanghai"));
}

/*
 * Enums and defaults
 */

typedef const char *(*str_fn)(uint8_t);
typedef uint8_t (*parse_fn)(const char *);

static void
round_trip(str_fn str, parse_fn parse, uint8_t last)
{
	for (uint8_t v = 1; v <= last; v++) {
		char lower[64];
		const char *s = str(v);
		size_t i;

		assert_int_equal(parse(s), v);
		for (i = 0; s[i] != '\0' && i + 1 < sizeof(lower); i++)
			lower[i] = (char)(s[i] | 0x20);
		lower[i] = '\0';
		assert_int_equal(parse(lower), v);
	}
	assert_int_equal(parse("no-such-name"), 0);
	assert_int_equal(parse(""), 0);
	assert_int_equal(parse(NULL), 0);
	assert_int_equal(parse(str(0)), 0);
	assert_non_null(str(last + 1));
}

static void
test_model_enum_names_round_trip(void **state)
{
	round_trip(model_att_type_str, model_att_type_parse, MODEL_ATT_CCN);
	round_trip(model_route_type_str, model_route_type_parse, MODEL_RT_CEN);
	round_trip(model_nh_type_str, model_nh_type_parse, MODEL_NH_BLACKHOLE);
	round_trip(model_dir_str, model_dir_parse, MODEL_DIR_OUT);
	round_trip(model_action_str, model_action_parse, MODEL_ACTION_DENY);
	round_trip(model_match_mode_str, model_match_mode_parse,
		   MODEL_MATCH_COMPLETE);
	round_trip(model_comm_mode_str, model_comm_mode_parse,
		   MODEL_COMM_REPLACE);

	assert_string_equal(model_att_type_str(MODEL_ATT_VPC), "VPC");
	assert_string_equal(model_att_type_str(MODEL_ATT_VBR), "VBR");
	assert_string_equal(model_att_type_str(MODEL_ATT_VPN), "VPN");
	assert_string_equal(model_att_type_str(MODEL_ATT_CCN), "CCN");
	assert_string_equal(model_route_type_str(MODEL_RT_SYSTEM), "System");
	assert_string_equal(model_route_type_str(MODEL_RT_CUSTOM), "Custom");
	assert_string_equal(model_route_type_str(MODEL_RT_BGP), "BGP");
	assert_string_equal(model_route_type_str(MODEL_RT_CEN), "CEN");
	assert_string_equal(model_nh_type_str(MODEL_NH_ATTACHMENT),
			    "Attachment");
	assert_string_equal(model_nh_type_str(MODEL_NH_ENI), "ENI");
	assert_string_equal(model_nh_type_str(MODEL_NH_INSTANCE), "Instance");
	assert_string_equal(model_nh_type_str(MODEL_NH_ROUTER_INTERFACE),
			    "RouterInterface");
	assert_string_equal(model_nh_type_str(MODEL_NH_PHYSICAL_CONNECTION),
			    "PhysicalConnection");
	assert_string_equal(model_nh_type_str(MODEL_NH_VPC), "VPC");
	assert_string_equal(model_nh_type_str(MODEL_NH_BLACKHOLE), "Blackhole");
	assert_string_equal(model_dir_str(MODEL_DIR_IN), "RegionIn");
	assert_string_equal(model_dir_str(MODEL_DIR_OUT), "RegionOut");
	assert_string_equal(model_action_str(MODEL_ACTION_PERMIT), "Permit");
	assert_string_equal(model_action_str(MODEL_ACTION_DENY), "Deny");
	assert_string_equal(model_match_mode_str(MODEL_MATCH_INCLUDE),
			    "Include");
	assert_string_equal(model_match_mode_str(MODEL_MATCH_COMPLETE),
			    "Complete");
	assert_string_equal(model_comm_mode_str(MODEL_COMM_ADDITIVE),
			    "Additive");
	assert_string_equal(model_comm_mode_str(MODEL_COMM_REPLACE), "Replace");
	assert_int_equal(model_dir_parse("REGIONOUT"), MODEL_DIR_OUT);
	assert_int_equal(model_nh_type_parse("routerinterface"),
			 MODEL_NH_ROUTER_INTERFACE);
	assert_int_equal(model_route_type_parse("bgp"), MODEL_RT_BGP);
}

static void
test_model_defaults_match_documentation(void **state)
{
	struct model_cen c;
	struct model_table t;
	struct model_attachment a;
	struct model_peer p;
	struct model_rmap r;
	struct model_nexthop nh;

	model_cen_defaults(&c);
	assert_true(c.overlapping_routes);
	assert_int_equal(c.asn, 45104);
	model_table_defaults(&t);
	assert_int_equal(t.max_routes, 0);
	assert_false(t.multi_region_ecmp);
	assert_false(t.system);
	model_attachment_defaults(&a);
	assert_true(a.allow_default_route);
	assert_false(a.health.enabled);
	assert_int_equal(a.health.interval_s, 2);
	assert_int_equal(a.health.threshold, 8);
	assert_true(a.health.change_route);
	assert_null(a.routes);
	assert_int_equal(a.npeers, 0);
	model_peer_defaults(&p);
	assert_int_equal(p.hold_time_s, 90);
	assert_int_equal(p.route_quota, 110);
	assert_int_equal(p.port, 179);
	assert_true(p.ipv4);
	assert_false(p.ipv6);
	assert_false(p.passive);
	model_rmap_defaults(&r);
	assert_int_equal(r.cidr_mode, MODEL_MATCH_INCLUDE);
	assert_int_equal(r.asn_mode, MODEL_MATCH_INCLUDE);
	assert_int_equal(r.comm_mode, MODEL_MATCH_INCLUDE);
	assert_int_equal(r.action, MODEL_ACTION_PERMIT);
	assert_int_equal(r.set_comm_mode, MODEL_COMM_UNSPECIFIED);
	model_nexthop_defaults(&nh);
	assert_int_equal(nh.weight, 1);
	assert_int_equal(nh.type, MODEL_NH_UNSPECIFIED);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_model_hybrid_example_is_valid),
		cmocka_unit_test(test_model_empty_model_is_valid),
		T(test_model_attachments_need_a_cen),
		cmocka_unit_test(
			test_model_regions_without_attachments_need_no_cen),
		cmocka_unit_test(
			test_model_id_valid_accepts_1_to_63_safe_characters),
		T(test_model_invalid_id_is_refused),
		T(test_model_ids_unique_per_kind),
		T(test_model_same_id_in_different_kinds_is_allowed),
		T(test_model_cen_asn_in_range_and_not_reserved),
		T(test_model_overlapping_routes_cannot_be_turned_off),
		T(test_model_region_needs_exactly_one_system_table),
		T(test_model_region_cluster_id_defaults_to_a_hash_of_the_region_id),
		T(test_model_regions_need_distinct_cluster_ids),
		T(test_model_table_region_must_exist),
		T(test_model_table_max_routes_accepts_any_uint32),
		T(test_model_table_route_table_must_exist),
		T(test_model_table_route_prefix_must_be_valid),
		T(test_model_table_route_reserved_range_refused),
		T(test_model_table_route_nexthops_are_attachments_of_the_table_region),
		T(test_model_table_route_nexthop_type_attachment_or_vpc),
		T(test_model_table_route_at_most_8_nexthops),
		T(test_model_table_route_weight_1_to_255),
		T(test_model_table_route_blackhole_xor_nexthops),
		T(test_model_table_route_unique_per_table_and_prefix),
		T(test_model_pc_region_must_exist),
		T(test_model_pc_speed_1_to_100_gbps),
		T(test_model_attachment_type_required),
		T(test_model_attachment_region_must_exist),
		T(test_model_attachment_route_table_in_same_region),
		T(test_model_attachment_propagate_tables_exist_in_region_once),
		T(test_model_vpc_vswitch_cidrs_valid_and_disjoint),
		T(test_model_vpc_at_most_256_vswitch_cidrs),
		T(test_model_vpc_custom_routes_unique_prefix),
		T(test_model_vpc_custom_route_nexthop_types),
		T(test_model_vpc_has_no_vbr_fields),
		T(test_model_non_vpc_has_no_vswitch_cidrs),
		T(test_model_vbr_physical_connection_exists_in_same_region),
		T(test_model_vbr_vlan_1_to_2999),
		T(test_model_vbr_vlan_unique_per_physical_connection),
		T(test_model_vbr_bandwidth_2_to_circuit_speed),
		T(test_model_vbr_peer_ip_inside_local_subnet),
		T(test_model_vbr_static_route_nexthop_types),
		T(test_model_attachment_routes_never_100_64_0_0_10),
		T(test_model_peers_at_most_8),
		T(test_model_peer_address_valid_host),
		T(test_model_peer_address_unique_per_attachment),
		T(test_model_peer_asn_in_range_and_not_reserved),
		T(test_model_peer_hold_time_0_or_3_to_65535),
		T(test_model_peer_route_quota_at_least_1),
		T(test_model_peer_nodes_1_to_255_at_most_8),
		T(test_model_peer_md5_key_at_most_80),
		T(test_model_peer_needs_an_address_family),
		T(test_model_health_interval_2_or_3),
		T(test_model_health_threshold_3_to_8),
		T(test_model_health_needs_target_or_peer_ip),
		T(test_model_rmap_region_must_exist),
		T(test_model_rmap_direction_required),
		T(test_model_rmap_route_table_in_its_region),
		T(test_model_rmap_priority_1_to_100),
		T(test_model_rmap_priority_unique_per_region_direction_table),
		T(test_model_rmap_condition_lists_at_most_32),
		T(test_model_rmap_next_priority_after_this_entry),
		T(test_model_rmap_deny_sets_nothing),
		T(test_model_rmap_set_pref_1_to_100),
		T(test_model_rmap_prepend_at_most_32_valid_asns),
		T(test_model_rmap_regionin_prepend_needs_local_src_instances),
		T(test_model_rmap_regionout_prepend_needs_dst_instances),
		T(test_model_rmap_destination_conditions_only_on_regionout),
		T(test_model_rmap_references_must_exist),
		T(test_model_rmap_cidrs_and_enum_values_valid),
		T(test_model_rmap_set_comm_mode_given_iff_set_comms),
		T(test_model_bwp_regions_exist_and_differ),
		T(test_model_bwp_one_package_per_region_pair),
		T(test_model_bwp_bandwidth_at_least_1),
		T(test_model_bwp_connection_regions_are_the_package_pair),
		T(test_model_bwp_connection_within_package),
		T(test_model_bwp_connection_sum_within_package),
		T(test_model_bwp_cannot_shrink_below_connection_sum),
		T(test_model_delete_pc_used_by_vbr_is_a_dangling_reference),
		T(test_model_delete_region_reports_every_user),
		T(test_model_delete_table_reports_every_user),
		T(test_model_delete_attachment_used_by_route_maps),
		T(test_model_reports_every_error),
		T(test_model_error_lines_say_line_only_when_known),
		T(test_model_validate_appends_to_earlier_errors),
		T(test_model_clone_is_deep),
		cmocka_unit_test(test_model_clone_of_empty_model_is_empty),
		T(test_model_lookups_find_by_id),
		T(test_model_rmap_key_empty_table_means_system_table),
		T(test_model_put_replaces_by_key_and_appends_new),
		T(test_model_put_attachment_copies_its_arrays),
		T(test_model_del_removes_by_key_or_returns_enoent),
		cmocka_unit_test(test_model_enum_names_round_trip),
		cmocka_unit_test(test_model_defaults_match_documentation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
