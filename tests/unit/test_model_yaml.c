/*
 * test_model_yaml.c - the declarative file loader and writer
 * (core/model_yaml.h): examples/hybrid.yaml loads as written, every field
 * survives emit -> parse, every kind of mistake is reported with its line
 * and field path, and no input (truncated, malformed) crashes or leaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/model_yaml.h"

/* ------------------------------------------------------------------------
 * Helpers.
 */

static char *
read_all(const char *path, size_t *len)
{
	char *buf = NULL;
	size_t cap = 0, n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return NULL;
	*len = 0;
	for (;;) {
		if (*len + 4096 + 1 > cap) {
			cap = cap * 2 + 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = fread(buf + *len, 1, cap - *len - 1, f);
		if (n == 0)
			break;
		*len += n;
	}
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

/* examples/hybrid.yaml: from CEND_SOURCE_DIR (ctest), this file's path, or
 * the working directory. */
static char *
hybrid_path(void)
{
	static char path[4096];
	const char *dir = getenv("CEND_SOURCE_DIR");
	const char *tail = "tests/unit/test_model_yaml.c";
	const char *f = __FILE__;
	size_t n = strlen(f), t = strlen(tail);
	FILE *fp;

	if (dir != NULL) {
		snprintf(path, sizeof(path), "%s/examples/hybrid.yaml", dir);
		return path;
	}
	if (n >= t && strcmp(f + n - t, tail) == 0) {
		snprintf(path, sizeof(path), "%.*sexamples/hybrid.yaml",
			 (int)(n - t), f);
		if ((fp = fopen(path, "rb")) != NULL) {
			fclose(fp);
			return path;
		}
	}
	snprintf(path, sizeof(path), "examples/hybrid.yaml");
	return path;
}

static char *
hybrid_text(size_t *len)
{
	char *s = read_all(hybrid_path(), len);

	if (s == NULL)
		fail_msg("cannot read %s", hybrid_path());
	return s;
}

/* 1-based line of the first line of text containing needle. */
static int
line_of(const char *text, const char *needle)
{
	const char *p = strstr(text, needle), *q;
	int line = 1;

	if (p == NULL)
		fail_msg("'%s' not in text", needle);
	for (q = text; q < p; q++)
		if (*q == '\n')
			line++;
	return line;
}

static int
parse(struct model *m, const char *text, struct cen_err *err)
{
	model_init(m);
	cen_err_clear(err);
	return model_yaml_parse(m, text, strlen(text), err);
}

/* Number of lines (errors) in an error message. */
static int
nlines(const char *msg)
{
	int n = msg[0] != '\0';

	for (; *msg != '\0'; msg++)
		n += *msg == '\n';
	return n;
}

/* True if some line of msg is exactly want. */
static bool
has_line(const char *msg, const char *want)
{
	size_t n = strlen(want);
	const char *p = msg;

	while (p != NULL && *p != '\0') {
		const char *e = strchr(p, '\n');
		size_t len = e != NULL ? (size_t)(e - p) : strlen(p);

		if (len == n && memcmp(p, want, n) == 0)
			return true;
		p = e != NULL ? e + 1 : NULL;
	}
	return false;
}

#define assert_has_line(msg, want)                                             \
	do {                                                                   \
		if (!has_line((msg), (want)))                                  \
			fail_msg("expected error line\n  %s\nin\n%s", (want),  \
				 (msg));                                       \
	} while (0)

/* Every line of msg starts "line N: ". */
static void
assert_all_lines_numbered(const char *msg)
{
	const char *p = msg;
	unsigned n;

	while (p != NULL && *p != '\0') {
		if (sscanf(p, "line %u: ", &n) != 1)
			fail_msg("error line without 'line N: ': %s", p);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
}

static const struct model_attachment *
att(const struct model *m, const char *id)
{
	size_t i;

	for (i = 0; i < m->nattachments; i++)
		if (strcmp(m->attachments[i].id, id) == 0)
			return &m->attachments[i];
	fail_msg("no attachment %s", id);
	return NULL;
}

static void
assert_prefix(const struct prefix *p, const char *want)
{
	char buf[PREFIX_STRLEN];

	assert_string_equal(prefix_fmt(p, buf, sizeof(buf)), want);
}

/* Emits m, parses the text back, emits again: the texts must be equal. */
static void
round_trip(const struct model *m, struct model *out)
{
	struct cen_err err;
	char *a, *b;

	a = model_yaml_emit(m);
	assert_non_null(a);
	model_init(out);
	cen_err_clear(&err);
	if (model_yaml_parse(out, a, strlen(a), &err) != 0)
		fail_msg("emitted YAML does not parse: %s\n---\n%s", err.msg,
			 a);
	b = model_yaml_emit(out);
	assert_non_null(b);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

/* ------------------------------------------------------------------------
 * hybrid.yaml.
 */

static void
test_yaml_hybrid_example_loads_as_written(void **state)
{
	const struct model_attachment *a;
	const struct model_rmap *r;
	struct cen_err err;
	struct model m;

	model_init(&m);
	cen_err_clear(&err);
	assert_int_equal(model_yaml_load_file(&m, hybrid_path(), &err), 0);
	assert_string_equal(err.msg, "");

	assert_true(m.has_cen);
	assert_string_equal(m.cen.id, "cen-corp");
	assert_true(m.cen.overlapping_routes);
	assert_int_equal(m.cen.asn, 45104);

	assert_int_equal(m.nregions, 2);
	assert_string_equal(m.regions[0].id, "cn-hangzhou");
	assert_string_equal(m.regions[1].id, "cn-shanghai");
	assert_int_equal(m.ntables, 2);
	assert_string_equal(m.tables[0].id, "rt-hz-system");
	assert_string_equal(m.tables[0].region, "cn-hangzhou");
	assert_true(m.tables[0].system);
	assert_string_equal(m.tables[1].id, "rt-sh-system");
	assert_string_equal(m.tables[1].region, "cn-shanghai");
	assert_true(m.tables[1].system);
	assert_int_equal(m.ntable_routes, 0);

	assert_int_equal(m.npcs, 2);
	assert_string_equal(m.pcs[0].id, "pc-hz-1");
	assert_string_equal(m.pcs[0].region, "cn-hangzhou");
	assert_string_equal(m.pcs[0].access_point, "hangzhou-yuhang-a");
	assert_int_equal(m.pcs[0].speed_gbps, 10);
	assert_string_equal(m.pcs[1].access_point, "hangzhou-xiaoshan-a");

	assert_int_equal(m.nattachments, 6);
	a = att(&m, "vpc-bu-a");
	assert_int_equal(a->type, MODEL_ATT_VPC);
	assert_string_equal(a->region, "cn-hangzhou");
	assert_int_equal(a->nvswitch, 2);
	assert_prefix(&a->vswitch_cidrs[0], "10.1.0.0/24");
	assert_prefix(&a->vswitch_cidrs[1], "10.1.1.0/24");
	assert_false(a->propagate_set);
	assert_int_equal(a->nroutes, 0);

	a = att(&m, "vpc-shared");
	assert_string_equal(a->region, "cn-shanghai");
	assert_int_equal(a->nroutes, 1);
	assert_prefix(&a->routes[0].prefix, "10.9.128.0/20");
	assert_int_equal(a->routes[0].nh.type, MODEL_NH_ENI);
	assert_string_equal(a->routes[0].nh.id, "eni-appliance-1");
	assert_int_equal(a->routes[0].nh.weight, 1);
	assert_true(a->routes[0].publish);

	a = att(&m, "vbr-dc-1");
	assert_int_equal(a->type, MODEL_ATT_VBR);
	assert_string_equal(a->physical_connection, "pc-hz-1");
	assert_int_equal(a->vlan, 101);
	assert_int_equal(a->bandwidth_mbps, 1000);
	/* local_ip keeps its host bits and its length */
	assert_int_equal(a->local_ip.family, PREFIX_AF_INET);
	assert_int_equal(a->local_ip.len, 30);
	assert_memory_equal(a->local_ip.addr.v4, "\x0a\x0a\x0a\x01", 4);
	assert_prefix(&a->peer_ip, "10.10.10.2/32");
	assert_int_equal(a->nroutes, 1);
	assert_prefix(&a->routes[0].prefix, "172.16.0.0/12");
	assert_int_equal(a->routes[0].nh.type, MODEL_NH_PHYSICAL_CONNECTION);
	assert_string_equal(a->routes[0].nh.id, "pc-hz-1");
	assert_false(a->routes[0].publish);
	assert_int_equal(a->npeers, 1);
	assert_prefix(&a->peers[0].address, "127.0.0.11/32");
	assert_int_equal(a->peers[0].asn, 65001);
	assert_int_equal(a->peers[0].nnodes, 2);
	assert_int_equal(a->peers[0].nodes[0], 1);
	assert_int_equal(a->peers[0].nodes[1], 2);
	assert_string_equal(a->peers[0].md5_key, "s3cret");
	assert_int_equal(a->peers[0].hold_time_s, 90);
	assert_int_equal(a->peers[0].route_quota, 1000);
	assert_true(a->health.enabled);
	assert_prefix(&a->health.source_ip, "100.96.0.10/32");
	assert_prefix(&a->health.target_ip, "10.10.10.2/32");
	assert_int_equal(a->health.interval_s, 2);
	assert_int_equal(a->health.threshold, 8);
	assert_true(a->health.change_route);

	a = att(&m, "vbr-dc-2");
	assert_int_equal(a->vlan, 102);
	assert_int_equal(a->nroutes, 2);
	assert_prefix(&a->routes[0].prefix, "100.64.0.0/11");
	assert_prefix(&a->routes[1].prefix, "100.96.0.0/11");
	assert_int_equal(a->routes[1].nh.type, MODEL_NH_VPC);
	assert_string_equal(a->routes[1].nh.id, "vpc-shared");
	assert_int_equal(a->peers[0].nnodes, 2);
	assert_int_equal(a->peers[0].nodes[1], 3);
	assert_false(a->health.enabled);

	a = att(&m, "ccn-branch-1");
	assert_int_equal(a->type, MODEL_ATT_CCN);
	assert_int_equal(a->npeers, 1);
	assert_int_equal(a->peers[0].asn, 65101);
	/* fields left out take the peer defaults */
	assert_int_equal(a->peers[0].route_quota, MODEL_ROUTE_QUOTA_DEFAULT);
	assert_int_equal(a->peers[0].hold_time_s, MODEL_HOLD_DEFAULT);

	assert_int_equal(m.nrmaps, 3);
	r = &m.rmaps[0];
	assert_string_equal(r->region, "cn-hangzhou");
	assert_int_equal(r->direction, MODEL_DIR_OUT);
	assert_string_equal(r->route_table, "");
	assert_int_equal(r->priority, 10);
	assert_int_equal(r->nsrc_instances, 1);
	assert_string_equal(r->src_instances[0], "vpc-bu-b");
	assert_int_equal(r->ndst_instances, 1);
	assert_string_equal(r->dst_instances[0], "vpc-bu-a");
	assert_int_equal(r->action, MODEL_ACTION_DENY);
	assert_int_equal(r->set_pref, 0);
	r = &m.rmaps[1];
	assert_int_equal(r->priority, 11);
	assert_string_equal(r->src_instances[0], "vpc-bu-a");
	assert_string_equal(r->dst_instances[0], "vpc-bu-b");
	assert_int_equal(r->action, MODEL_ACTION_DENY);
	r = &m.rmaps[2];
	assert_int_equal(r->direction, MODEL_DIR_IN);
	assert_int_equal(r->priority, 20);
	assert_int_equal(r->nsrc_regions, 1);
	assert_string_equal(r->src_regions[0], "cn-shanghai");
	assert_int_equal(r->nsrc_types, 1);
	assert_int_equal(r->src_types[0], MODEL_ATT_CCN);
	assert_int_equal(r->nsrc_instances, 0);
	assert_int_equal(r->action, MODEL_ACTION_PERMIT);
	assert_int_equal(r->set_pref, 70);
	assert_int_equal(r->set_comm_mode, MODEL_COMM_ADDITIVE);
	assert_int_equal(r->nset_comms, 1);
	assert_int_equal(r->set_comms[0], 65000u << 16 | 300);

	assert_int_equal(m.nbwps, 1);
	assert_string_equal(m.bwps[0].id, "bwp-hz-sh");
	assert_string_equal(m.bwps[0].regions[0], "cn-hangzhou");
	assert_string_equal(m.bwps[0].regions[1], "cn-shanghai");
	assert_int_equal(m.bwps[0].bandwidth_mbps, 100);
	assert_int_equal(m.bwps[0].nconns, 1);
	assert_int_equal(m.bwps[0].conns[0].bandwidth_mbps, 50);
	assert_string_equal(m.bwps[0].conns[0].regions[1], "cn-shanghai");
	assert_false(m.bwps[0].conns[0].pay_by_transfer);
	model_free(&m);
}

static void
test_yaml_object_line_is_where_its_mapping_starts(void **state)
{
	struct cen_err err;
	struct model m;
	size_t len;
	char *text = hybrid_text(&len);

	assert_int_equal(parse(&m, text, &err), 0);
	assert_int_equal(m.cen.line, line_of(text, "  id: cen-corp"));
	assert_int_equal(m.regions[1].line, line_of(text, "- id: cn-shanghai"));
	assert_int_equal(m.tables[0].line, line_of(text, "- id: rt-hz-system"));
	assert_int_equal(m.pcs[1].line, line_of(text, "- id: pc-hz-2"));
	assert_int_equal(att(&m, "vbr-dc-1")->line,
			 line_of(text, "- id: vbr-dc-1"));
	assert_int_equal(att(&m, "vbr-dc-1")->peers[0].line,
			 line_of(text, "- address: 127.0.0.11"));
	assert_int_equal(att(&m, "vbr-dc-2")->routes[1].line,
			 line_of(text, "- prefix: 100.96.0.0/11"));
	assert_int_equal(att(&m, "vpc-shared")->routes[0].line,
			 line_of(text, "- prefix: 10.9.128.0/20"));
	assert_int_equal(m.rmaps[2].line,
			 line_of(text, "direction: RegionIn") - 1);
	assert_int_equal(m.bwps[0].line, line_of(text, "- id: bwp-hz-sh"));
	assert_int_equal(m.bwps[0].conns[0].line,
			 line_of(text, "      - regions: [cn-hangzhou"));
	model_free(&m);
	free(text);
}

static void
test_yaml_hybrid_emit_parse_round_trip_is_equal(void **state)
{
	struct model m, back;
	struct cen_err err;
	size_t len, i;
	char *text = hybrid_text(&len);

	assert_int_equal(parse(&m, text, &err), 0);
	round_trip(&m, &back);
	assert_int_equal(back.nregions, m.nregions);
	assert_int_equal(back.ntables, m.ntables);
	assert_int_equal(back.npcs, m.npcs);
	assert_int_equal(back.nattachments, m.nattachments);
	assert_int_equal(back.nrmaps, m.nrmaps);
	assert_int_equal(back.nbwps, m.nbwps);
	for (i = 0; i < m.nattachments; i++) {
		const struct model_attachment *a = &m.attachments[i];
		const struct model_attachment *b = &back.attachments[i];

		assert_string_equal(a->id, b->id);
		assert_int_equal(a->nroutes, b->nroutes);
		assert_int_equal(a->npeers, b->npeers);
		assert_int_equal(a->vlan, b->vlan);
		assert_memory_equal(&a->local_ip, &b->local_ip,
				    sizeof(a->local_ip));
		assert_int_equal(a->health.enabled, b->health.enabled);
		if (a->nroutes > 0)
			assert_int_equal(a->routes[0].publish,
					 b->routes[0].publish);
	}
	assert_int_equal(back.rmaps[2].set_comms[0], m.rmaps[2].set_comms[0]);
	model_free(&m);
	model_free(&back);
	free(text);
}

/* ------------------------------------------------------------------------
 * Every field, at a value other than its default.
 */

static const char full_yaml[] =
	"cen:\n"
	"  id: cen-x\n"
	"  overlapping_routes: false\n"
	"  asn: 4200000000\n"
	"regions:\n"
	"  - id: r1\n"
	"    bgp_cluster_id: 10.0.0.1\n"
	"    route_tables:\n"
	"      - id: t1\n"
	"        system: true\n"
	"        max_routes: 500\n"
	"        multi_region_ecmp: true\n"
	"        static_routes:\n"
	"          - prefix: 192.168.0.0/16\n"
	"            next_hops:\n"
	"              - { type: Attachment, id: vbr-1, weight: 3 }\n"
	"              - { type: Attachment, id: vpc-1, weight: 0 }\n"
	"          - prefix: 2001:db8::/32\n"
	"            blackhole: true\n"
	"      - id: t2\n"
	"  - id: r2\n"
	"physical_connections:\n"
	"  - id: pc-1\n"
	"    region: r1\n"
	"    access_point: ap-1\n"
	"    speed_gbps: 100\n"
	"attachments:\n"
	"  - id: vpc-1\n"
	"    type: VPC\n"
	"    region: r1\n"
	"    route_table: t2\n"
	"    propagate: [t1, t2]\n"
	"    vswitch_cidrs: [10.0.0.0/16, \"2001:db8:1::/48\"]\n"
	"    custom_routes:\n"
	"      - prefix: 10.99.0.0/16\n"
	"        next_hop: { type: Instance, id: i-1, weight: 7 }\n"
	"        publish: true\n"
	"      - prefix: 10.98.0.0/16\n"
	"        next_hop: { type: RouterInterface, id: ri-1 }\n"
	"  - id: vbr-1\n"
	"    type: VBR\n"
	"    region: r1\n"
	"    propagate: []\n"
	"    physical_connection: pc-1\n"
	"    vlan: 2999\n"
	"    bandwidth_mbps: 5000\n"
	"    local_ip: 10.10.10.1/30\n"
	"    peer_ip: 10.10.10.2\n"
	"    allow_default_route: false\n"
	"    static_routes:\n"
	"      - prefix: 0.0.0.0/0\n"
	"        next_hop: { type: PhysicalConnection, id: pc-1 }\n"
	"    bgp:\n"
	"      peers:\n"
	"        - address: 10.10.10.2\n"
	"          asn: 65001\n"
	"          nodes: [1, 2, 3]\n"
	"          md5_key: \"k\\\"ey: #1\\\\\"\n"
	"          hold_time_s: 0\n"
	"          route_quota: 5000\n"
	"          passive: true\n"
	"          port: 1179\n"
	"          ipv4: false\n"
	"          ipv6: true\n"
	"          ttl_security: 1\n"
	"        - address: 2001:db8::2\n"
	"          asn: 4200000001\n"
	"    health_check:\n"
	"      enabled: false\n"
	"      source_ip: 100.96.0.10\n"
	"      target_ip: 10.10.10.2\n"
	"      interval_s: 3\n"
	"      threshold: 3\n"
	"      change_route: false\n"
	"  - id: vpn-1\n"
	"    type: VPN\n"
	"    region: r2\n"
	"    health_check: {}\n"
	"route_maps:\n"
	"  - region: r1\n"
	"    direction: RegionIn\n"
	"    route_table: t2\n"
	"    priority: 10\n"
	"    match:\n"
	"      source_region_ids: [r2]\n"
	"      source_instance_ids: [vpc-1]\n"
	"      source_instance_ids_inverse: true\n"
	"      destination_instance_ids: [vbr-1]\n"
	"      destination_instance_ids_inverse: true\n"
	"      source_route_table_ids: [t1]\n"
	"      destination_route_table_ids: [t2]\n"
	"      source_instance_types: [VPC, VBR]\n"
	"      destination_instance_types: [VPN, CCN]\n"
	"      destination_cidr_blocks: [10.0.0.0/8, \"2001:db8::/32\"]\n"
	"      cidr_match_mode: Complete\n"
	"      route_types: [System, Custom, BGP]\n"
	"      as_paths: [65001, 4200000000]\n"
	"      as_path_match_mode: Include\n"
	"      communities: [\"65000:1\", \"0:65535\"]\n"
	"      community_match_mode: Complete\n"
	"      address_family: IPv6\n"
	"    action: Permit\n"
	"    next_priority: 20\n"
	"    set:\n"
	"      preference: 1\n"
	"      communities: { mode: Replace, values: [\"65535:65535\"] }\n"
	"      prepend_as_path: [65001, 65001]\n"
	"  - region: r2\n"
	"    direction: RegionOut\n"
	"    priority: 100\n"
	"    match: { address_family: both }\n"
	"    action: Deny\n"
	"bandwidth_packages:\n"
	"  - id: bwp-1\n"
	"    regions: [r1, r2]\n"
	"    bandwidth_mbps: 1000\n"
	"    connections:\n"
	"      - regions: [r1, r2]\n"
	"        bandwidth_mbps: 400\n"
	"        pay_by_data_transfer: true\n"
	"        cap_bytes: 18446744073709551615\n"
	"      - regions: [r2, r1]\n"
	"        bandwidth_mbps: 600\n";

static void
check_full(const struct model *m)
{
	const struct model_table_route *tr;
	const struct model_attachment *a;
	const struct model_peer *p;
	const struct model_rmap *r;

	assert_true(m->has_cen);
	assert_string_equal(m->cen.id, "cen-x");
	assert_false(m->cen.overlapping_routes);
	assert_int_equal(m->cen.asn, 4200000000u);

	assert_int_equal(m->nregions, 2);
	assert_int_equal(m->regions[0].bgp_cluster_id, 0x0a000001);
	assert_int_equal(m->regions[1].bgp_cluster_id, 0); /* derived */
	assert_int_equal(m->ntables, 2);
	assert_string_equal(m->tables[0].region, "r1");
	assert_true(m->tables[0].system);
	assert_int_equal(m->tables[0].max_routes, 500);
	assert_true(m->tables[0].multi_region_ecmp);
	assert_string_equal(m->tables[1].id, "t2");
	assert_string_equal(m->tables[1].region, "r1");
	assert_false(m->tables[1].system);
	assert_int_equal(m->ntable_routes, 2);
	tr = &m->table_routes[0];
	assert_string_equal(tr->table, "t1");
	assert_prefix(&tr->prefix, "192.168.0.0/16");
	assert_int_equal(tr->nnh, 2);
	assert_int_equal(tr->nh[0].type, MODEL_NH_ATTACHMENT);
	assert_string_equal(tr->nh[0].id, "vbr-1");
	assert_int_equal(tr->nh[0].weight, 3);
	assert_int_equal(tr->nh[1].weight, 0);
	assert_false(tr->blackhole);
	tr = &m->table_routes[1];
	assert_string_equal(tr->table, "t1");
	assert_prefix(&tr->prefix, "2001:db8::/32");
	assert_int_equal(tr->nnh, 0);
	assert_true(tr->blackhole);

	assert_int_equal(m->npcs, 1);
	assert_int_equal(m->pcs[0].speed_gbps, 100);
	assert_string_equal(m->pcs[0].access_point, "ap-1");

	assert_int_equal(m->nattachments, 3);
	a = att(m, "vpc-1");
	assert_string_equal(a->route_table, "t2");
	assert_true(a->propagate_set);
	assert_int_equal(a->npropagate, 2);
	assert_string_equal(a->propagate[1], "t2");
	assert_int_equal(a->nvswitch, 2);
	assert_prefix(&a->vswitch_cidrs[1], "2001:db8:1::/48");
	assert_int_equal(a->nroutes, 2);
	assert_int_equal(a->routes[0].nh.type, MODEL_NH_INSTANCE);
	assert_int_equal(a->routes[0].nh.weight, 7);
	assert_true(a->routes[0].publish);
	assert_int_equal(a->routes[1].nh.type, MODEL_NH_ROUTER_INTERFACE);
	assert_false(a->routes[1].publish);

	a = att(m, "vbr-1");
	assert_true(a->propagate_set);
	assert_int_equal(a->npropagate, 0);
	assert_int_equal(a->vlan, 2999);
	assert_int_equal(a->bandwidth_mbps, 5000);
	assert_int_equal(a->local_ip.len, 30);
	assert_memory_equal(a->local_ip.addr.v4, "\x0a\x0a\x0a\x01", 4);
	assert_false(a->allow_default_route);
	assert_int_equal(a->nroutes, 1);
	assert_prefix(&a->routes[0].prefix, "0.0.0.0/0");
	assert_false(a->routes[0].publish);
	assert_int_equal(a->npeers, 2);
	p = &a->peers[0];
	assert_prefix(&p->address, "10.10.10.2/32");
	assert_int_equal(p->nnodes, 3);
	assert_int_equal(p->nodes[2], 3);
	assert_string_equal(p->md5_key, "k\"ey: #1\\");
	assert_int_equal(p->hold_time_s, 0);
	assert_int_equal(p->route_quota, 5000);
	assert_true(p->passive);
	assert_int_equal(p->port, 1179);
	assert_false(p->ipv4);
	assert_true(p->ipv6);
	assert_int_equal(p->ttl_security, 1);
	p = &a->peers[1];
	assert_prefix(&p->address, "2001:db8::2/128");
	assert_int_equal(p->asn, 4200000001u);
	assert_false(a->health.enabled);
	assert_prefix(&a->health.source_ip, "100.96.0.10/32");
	assert_int_equal(a->health.interval_s, 3);
	assert_int_equal(a->health.threshold, 3);
	assert_false(a->health.change_route);

	a = att(m, "vpn-1");
	assert_true(a->health.enabled);
	assert_int_equal(a->health.threshold, 8);

	assert_int_equal(m->nrmaps, 2);
	r = &m->rmaps[0];
	assert_int_equal(r->direction, MODEL_DIR_IN);
	assert_string_equal(r->route_table, "t2");
	assert_string_equal(r->src_regions[0], "r2");
	assert_true(r->src_instances_inverse);
	assert_true(r->dst_instances_inverse);
	assert_string_equal(r->dst_instances[0], "vbr-1");
	assert_string_equal(r->src_tables[0], "t1");
	assert_string_equal(r->dst_tables[0], "t2");
	assert_int_equal(r->nsrc_types, 2);
	assert_int_equal(r->src_types[1], MODEL_ATT_VBR);
	assert_int_equal(r->ndst_types, 2);
	assert_int_equal(r->dst_types[0], MODEL_ATT_VPN);
	assert_int_equal(r->ncidrs, 2);
	assert_prefix(&r->cidrs[1], "2001:db8::/32");
	assert_int_equal(r->cidr_mode, MODEL_MATCH_COMPLETE);
	assert_int_equal(r->nroute_types, 3);
	assert_int_equal(r->route_types[2], MODEL_RT_BGP);
	assert_int_equal(r->nasns, 2);
	assert_int_equal(r->asns[1], 4200000000u);
	assert_int_equal(r->asn_mode, MODEL_MATCH_INCLUDE);
	assert_int_equal(r->ncomms, 2);
	assert_int_equal(r->comms[0], 65000u << 16 | 1);
	assert_int_equal(r->comms[1], 65535);
	assert_int_equal(r->comm_mode, MODEL_MATCH_COMPLETE);
	assert_int_equal(r->families, MODEL_AF_V6);
	assert_int_equal(r->action, MODEL_ACTION_PERMIT);
	assert_int_equal(r->next_priority, 20);
	assert_int_equal(r->set_pref, 1);
	assert_int_equal(r->set_comm_mode, MODEL_COMM_REPLACE);
	assert_int_equal(r->nset_comms, 1);
	assert_int_equal(r->set_comms[0], 0xffffffffu);
	assert_int_equal(r->nprepend, 2);
	assert_int_equal(r->prepend[1], 65001);
	r = &m->rmaps[1];
	assert_int_equal(r->families, MODEL_AF_V4 | MODEL_AF_V6);
	assert_int_equal(r->priority, 100);
	assert_int_equal(r->action, MODEL_ACTION_DENY);

	assert_int_equal(m->nbwps, 1);
	assert_int_equal(m->bwps[0].nconns, 2);
	assert_true(m->bwps[0].conns[0].pay_by_transfer);
	assert_true(m->bwps[0].conns[0].cap_bytes == UINT64_MAX);
	assert_string_equal(m->bwps[0].conns[1].regions[0], "r2");
	assert_int_equal(m->bwps[0].conns[1].bandwidth_mbps, 600);
}

static void
test_yaml_every_field_survives_emit_and_parse(void **state)
{
	struct model m, back;
	struct cen_err err;

	if (parse(&m, full_yaml, &err) != 0)
		fail_msg("%s", err.msg);
	check_full(&m);
	round_trip(&m, &back);
	check_full(&back);
	model_free(&m);
	model_free(&back);
}

static void
test_yaml_emit_quotes_strings_that_would_read_back_differently(void **state)
{
	static const char *const ids[] = {
		"true", "null", "123", "1.5", "-x", "a b",
		"x: y", "#c",	"yes", "",    "~",
	};
	struct model m, back;
	size_t i;

	model_init(&m);
	m.nattachments = sizeof(ids) / sizeof(ids[0]);
	m.attachments = calloc(m.nattachments, sizeof(*m.attachments));
	assert_non_null(m.attachments);
	for (i = 0; i < m.nattachments; i++) {
		model_attachment_defaults(&m.attachments[i]);
		strcpy(m.attachments[i].id, ids[i]);
		m.attachments[i].type = MODEL_ATT_VBR;
	}
	m.attachments[0].npeers = 1;
	model_peer_defaults(&m.attachments[0].peers[0]);
	/* escapes, UTF-8 kept as is, line breaks NEL/LS that must be escaped */
	strcpy(m.attachments[0].peers[0].md5_key,
	       "q\"b\\n\nt\t\x01 \xc3\xa9 \xc2\x85 \xe2\x80\xa8 \xef\xbb\xbf");
	round_trip(&m, &back);
	assert_int_equal(back.nattachments, m.nattachments);
	for (i = 0; i < m.nattachments; i++)
		assert_string_equal(back.attachments[i].id, ids[i]);
	assert_string_equal(back.attachments[0].peers[0].md5_key,
			    m.attachments[0].peers[0].md5_key);
	model_free(&m);
	model_free(&back);
}

static void
test_yaml_table_routes_emitted_under_their_table(void **state)
{
	struct model m, back;
	struct prefix p;

	/* Built in code, not from a file: routes of t2 listed before t1's. */
	model_init(&m);
	m.nregions = 1;
	m.regions = calloc(1, sizeof(*m.regions));
	strcpy(m.regions[0].id, "r1");
	m.ntables = 2;
	m.tables = calloc(2, sizeof(*m.tables));
	model_table_defaults(&m.tables[0]);
	model_table_defaults(&m.tables[1]);
	strcpy(m.tables[0].id, "t1");
	strcpy(m.tables[0].region, "r1");
	strcpy(m.tables[1].id, "t2");
	strcpy(m.tables[1].region, "r1");
	m.ntable_routes = 2;
	m.table_routes = calloc(2, sizeof(*m.table_routes));
	strcpy(m.table_routes[0].table, "t2");
	assert_int_equal(prefix_parse(&p, "10.2.0.0/16", true), 0);
	m.table_routes[0].prefix = p;
	m.table_routes[0].blackhole = true;
	strcpy(m.table_routes[1].table, "t1");
	assert_int_equal(prefix_parse(&p, "10.1.0.0/16", true), 0);
	m.table_routes[1].prefix = p;
	m.table_routes[1].nnh = 1;
	m.table_routes[1].nh[0].type = MODEL_NH_ATTACHMENT;
	m.table_routes[1].nh[0].weight = 1;
	strcpy(m.table_routes[1].nh[0].id, "a");

	round_trip(&m, &back);
	assert_int_equal(back.ntable_routes, 2);
	assert_string_equal(back.table_routes[0].table, "t1");
	assert_prefix(&back.table_routes[0].prefix, "10.1.0.0/16");
	assert_string_equal(back.table_routes[0].nh[0].id, "a");
	assert_string_equal(back.table_routes[1].table, "t2");
	assert_true(back.table_routes[1].blackhole);
	model_free(&m);
	model_free(&back);
}

static void
test_yaml_empty_document_is_an_empty_model(void **state)
{
	static const char *const docs[] = { "", "# nothing\n", "---\n", "~\n" };
	struct cen_err err;
	struct model m;
	size_t i;
	char *s;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		assert_int_equal(parse(&m, docs[i], &err), 0);
		assert_false(m.has_cen);
		assert_int_equal(m.nattachments, 0);
		s = model_yaml_emit(&m);
		assert_string_equal(s, "");
		free(s);
		model_free(&m);
	}
}

/* ------------------------------------------------------------------------
 * Errors.
 */

static void
test_yaml_syntax_error_gives_one_error_with_line_and_column(void **state)
{
	static const char doc[] = "cen:\n"
				  "  id: x\n"
				  "  asn: [1, 2\n"
				  "regions: []\n";
	struct cen_err err;
	struct model m;

	assert_int_equal(parse(&m, doc, &err), -CEN_EPARSE);
	assert_int_equal(err.code, -CEN_EPARSE);
	assert_int_equal(nlines(err.msg), 1);
	assert_non_null(strstr(err.msg, "column "));
	assert_int_equal(strncmp(err.msg, "line 4: ", 8), 0);
	/* nothing is loaded from a file that does not parse */
	assert_false(m.has_cen);
	model_free(&m);

	assert_int_equal(parse(&m, "a: b: c\n", &err), -CEN_EPARSE);
	assert_string_equal(err.msg, "line 1: column 5: mapping values are "
				     "not allowed in this context");
	model_free(&m);
}

static void
test_yaml_invalid_utf8_reports_its_line(void **state)
{
	static const char doc[] = "cen:\n  id: x\n  asn: \xff\n";
	struct cen_err err;
	struct model m;

	assert_int_equal(parse(&m, doc, &err), -CEN_EPARSE);
	assert_int_equal(nlines(err.msg), 1);
	assert_int_equal(strncmp(err.msg, "line 3: ", 8), 0);
	model_free(&m);
}

static void
test_yaml_unknown_field_lists_the_known_ones(void **state)
{
	static const char doc[] = "attachments:\n"
				  "  - id: vbr-x\n"
				  "    type: VBR\n"
				  "    vlam: 101\n";
	struct cen_err err;
	struct model m;

	assert_int_equal(parse(&m, doc, &err), -CEN_EPARSE);
	assert_has_line(err.msg,
			"line 4: attachments[0] (vbr-x): unknown field 'vlam'; "
			"expected one of: id, type, region, route_table, "
			"propagate, vswitch_cidrs, custom_routes, "
			"physical_connection, vlan, bandwidth_mbps, local_ip, "
			"peer_ip, allow_default_route, static_routes, bgp, "
			"health_check");
	assert_int_equal(nlines(err.msg), 1);
	model_free(&m);

	assert_int_equal(parse(&m, "region: [a]\n", &err), -CEN_EPARSE);
	assert_has_line(err.msg, "line 1: unknown field 'region'; expected "
				 "one of: cen, regions, physical_connections, "
				 "attachments, route_maps, bandwidth_packages");
	model_free(&m);
}

static void
test_yaml_wrong_type_names_field_and_expected_type(void **state)
{
	static const char doc[] =
		"cen: [1]\n"				 /* 1 */
		"regions:\n"				 /* 2 */
		"  - id: r1\n"				 /* 3 */
		"    route_tables: { id: t }\n"		 /* 4 */
		"    \n"				 /* 5 */
		"attachments:\n"			 /* 6 */
		"  - id: vbr-dc-1\n"			 /* 7 */
		"    vlan: abc\n"			 /* 8 */
		"    allow_default_route: yes\n"	 /* 9 */
		"    bandwidth_mbps: \"100\"\n"		 /* 10 */
		"    region: [a]\n"			 /* 11 */
		"    bgp: { peers: [ { asn: 1.5 } ] }\n" /* 12 */
		"  - 7\n";				 /* 13 */
	struct cen_err err;
	struct model m;

	assert_int_equal(parse(&m, doc, &err), -CEN_EPARSE);
	assert_all_lines_numbered(err.msg);
	assert_has_line(err.msg, "line 1: cen: expected a mapping, got a list");
	assert_has_line(err.msg, "line 4: regions[0] (r1).route_tables: "
				 "expected a list, got a mapping");
	assert_has_line(err.msg, "line 8: attachments[0] (vbr-dc-1).vlan: "
				 "expected an integer 1..2999, got \"abc\"");
	assert_has_line(
		err.msg,
		"line 9: attachments[0] (vbr-dc-1).allow_default_route: "
		"expected true or false, got \"yes\"");
	assert_has_line(err.msg,
			"line 10: attachments[0] (vbr-dc-1).bandwidth_mbps: "
			"expected an integer 2..4294967295, got the quoted "
			"string \"100\"");
	assert_has_line(err.msg, "line 11: attachments[0] (vbr-dc-1).region: "
				 "expected a string, got a list");
	assert_has_line(err.msg,
			"line 12: attachments[0] (vbr-dc-1).bgp.peers[0].asn: "
			"expected an integer 1..4294967295, got \"1.5\"");
	assert_has_line(
		err.msg,
		"line 13: attachments[1]: expected a mapping, got \"7\"");
	assert_int_equal(nlines(err.msg), 8);
	model_free(&m);
}

static void
test_yaml_integer_outside_c_type_is_out_of_range(void **state)
{
	static const char doc[] =
		"attachments:\n"	  /* 1 */
		"  - id: v\n"		  /* 2 */
		"    vlan: 70000\n"	  /* 3 */
		"route_maps:\n"		  /* 4 */
		"  - region: r\n"	  /* 5 */
		"    priority: 300\n"	  /* 6 */
		"    next_priority: -1\n" /* 7 */
		"  - region: r\n"	  /* 8 */
		"    priority: 150\n"	  /* 9: fits, validation's */
		"    set: { preference: 99999999999999999999999 }\n" /* 10 */
		"bandwidth_packages:\n"				     /* 11 */
		"  - id: b\n"					     /* 12 */
		"    regions: [a, b]\n"				     /* 13 */
		"    connections:\n"				     /* 14 */
		"      - cap_bytes: 18446744073709551616\n";	     /* 15 */
	struct cen_err err;
	struct model m;

	assert_int_equal(parse(&m, doc, &err), -CEN_ERANGE);
	assert_has_line(err.msg,
			"line 3: attachments[0] (v).vlan: 70000 out of range "
			"1..2999");
	assert_has_line(err.msg,
			"line 6: route_maps[0].priority: 300 out of range "
			"1..100");
	assert_has_line(err.msg, "line 7: route_maps[0].next_priority: -1 "
				 "out of range 1..100");
	assert_has_line(err.msg, "line 10: route_maps[1].set.preference: "
				 "99999999999999999999999 out of range 1..100");
	assert_has_line(err.msg,
			"line 15: bandwidth_packages[0] (b).connections[0]"
			".cap_bytes: 18446744073709551616 out of range "
			"0..18446744073709551615");
	assert_int_equal(nlines(err.msg), 5);
	/* an out-of-range value is not truncated into the field */
	assert_int_equal(m.attachments[0].vlan, 0);
	assert_int_equal(m.rmaps[0].priority, 0);
	/* in the C type but outside 1..100: left to model_validate */
	assert_int_equal(m.rmaps[1].priority, 150);
	model_free(&m);
}

static void
test_yaml_list_over_capacity_names_field_and_maximum(void **state)
{
	char doc[2048];
	struct cen_err err;
	struct model m;
	size_t o;
	int i;

	o = (size_t)snprintf(doc, sizeof(doc),
			     "route_maps:\n"
			     "  - region: r\n"
			     "    priority: 1\n"
			     "    match:\n"
			     "      source_instance_ids: [");
	for (i = 0; i < 40; i++)
		o += (size_t)snprintf(doc + o, sizeof(doc) - o, "%sv%d",
				      i ? ", " : "", i);
	o += (size_t)snprintf(doc + o, sizeof(doc) - o,
			      "]\n"
			      "attachments:\n"
			      "  - id: a\n"
			      "    bgp:\n"
			      "      peers:\n"
			      "        - { nodes: [1,2,3,4,5,6,7,8,9] }\n");
	assert_true(o < sizeof(doc));
	assert_int_equal(parse(&m, doc, &err), -CEN_ETOOBIG);
	assert_has_line(err.msg, "line 5: route_maps[0].match."
				 "source_instance_ids: 40 items, at most 32");
	assert_has_line(err.msg, "line 10: attachments[0] (a).bgp.peers[0]."
				 "nodes: 9 items, at most 8");
	assert_int_equal(m.rmaps[0].nsrc_instances, 0);
	model_free(&m);
}

static void
test_yaml_cluster_id_must_be_a_nonzero_ipv4_address(void **state)
{
	static const char doc[] = "regions:\n"
				  "  - id: r1\n"
				  "    bgp_cluster_id: 2001:db8::1\n"
				  "  - id: r2\n"
				  "    bgp_cluster_id: 0.0.0.0\n"
				  "  - id: r3\n"
				  "    bgp_cluster_id: 167772161\n"
				  "  - id: r4\n"
				  "    bgp_cluster_id: 10.0.0.4\n";
	struct cen_err err;
	struct model m;

	assert_int_equal(parse(&m, doc, &err), -CEN_EPARSE);
	assert_all_lines_numbered(err.msg);
	assert_has_line(err.msg,
			"line 3: regions[0] (r1).bgp_cluster_id: expected a "
			"cluster ID written as an IPv4 address other than "
			"0.0.0.0 (e.g. 10.0.0.1), got \"2001:db8::1\"");
	assert_has_line(err.msg,
			"line 5: regions[1] (r2).bgp_cluster_id: expected a "
			"cluster ID written as an IPv4 address other than "
			"0.0.0.0 (e.g. 10.0.0.1), got \"0.0.0.0\"");
	assert_has_line(err.msg,
			"line 7: regions[2] (r3).bgp_cluster_id: expected a "
			"cluster ID written as an IPv4 address other than "
			"0.0.0.0 (e.g. 10.0.0.1), got \"167772161\"");
	assert_int_equal(nlines(err.msg), 3);
	assert_int_equal(m.regions[3].bgp_cluster_id, 0x0a000004);
	model_free(&m);
}

static void
test_yaml_bad_prefix_is_reported_with_its_index(void **state)
{
	static const char doc[] =
		"attachments:\n"
		"  - id: vpc-1\n"
		"    vswitch_cidrs: [10.0.0.0/24, 10.1.0.0/33, 10.2.0.1/24]\n"
		"    local_ip: 10.0.0.1/40\n"
		"    peer_ip: 10.0.0.2/30\n";
	struct cen_err err;
	struct model m;

	assert_int_equal(parse(&m, doc, &err), -CEN_EPARSE);
	assert_has_line(err.msg, "line 3: attachments[0] (vpc-1)."
				 "vswitch_cidrs[1]: invalid prefix "
				 "\"10.1.0.0/33\"");
	assert_has_line(err.msg, "line 3: attachments[0] (vpc-1)."
				 "vswitch_cidrs[2]: invalid prefix "
				 "\"10.2.0.1/24\": host bits set past /24 (the "
				 "network is 10.2.0.0/24)");
	assert_has_line(err.msg,
			"line 4: attachments[0] (vpc-1).local_ip: expected an "
			"address with its length (10.10.10.1/30), got "
			"\"10.0.0.1/40\"");
	assert_has_line(err.msg, "line 5: attachments[0] (vpc-1).peer_ip: "
				 "expected an IP address, got \"10.0.0.2/30\"");
	assert_int_equal(m.attachments[0].nvswitch, 1);
	model_free(&m);
}

static void
test_yaml_bad_enum_lists_the_allowed_names(void **state)
{
	static const char doc[] = "attachments:\n"
				  "  - id: a\n"
				  "    type: VPX\n"
				  "    static_routes:\n"
				  "      - prefix: 10.0.0.0/8\n"
				  "        next_hop: { type: Router, id: x }\n"
				  "route_maps:\n"
				  "  - direction: Sideways\n"
				  "    match: { address_family: IPv5, "
				  "communities: [\"1:70000\"] }\n";
	struct cen_err err;
	struct model m;
	char want[512];

	assert_int_equal(parse(&m, doc, &err), -CEN_EPARSE);
	snprintf(want, sizeof(want),
		 "line 3: attachments[0] (a).type: expected one of %s, %s, %s, "
		 "%s, got \"VPX\"",
		 model_att_type_str(MODEL_ATT_VPC),
		 model_att_type_str(MODEL_ATT_VBR),
		 model_att_type_str(MODEL_ATT_VPN),
		 model_att_type_str(MODEL_ATT_CCN));
	assert_has_line(err.msg, want);
	assert_non_null(strstr(err.msg,
			       "line 6: attachments[0] (a).static_routes[0] "
			       "(10.0.0.0/8).next_hop.type: expected one of"));
	assert_non_null(strstr(err.msg, "line 8: route_maps[0].direction: "
					"expected one of"));
	assert_has_line(err.msg, "line 9: route_maps[0].match.address_family: "
				 "expected one of IPv4, IPv6, both, got "
				 "\"IPv5\"");
	assert_has_line(err.msg,
			"line 9: route_maps[0].match.communities[0]: "
			"expected a community \"n:m\" (each 0..65535), "
			"got \"1:70000\"");
	assert_int_equal(nlines(err.msg), 5);
	model_free(&m);
}

static void
test_yaml_every_error_in_a_file_is_reported_in_order(void **state)
{
	static const char doc[] = "cen:\n"			  /* 1 */
				  "  asn: big\n"		  /* 2 */
				  "regions:\n"			  /* 3 */
				  "  - id: r1\n"		  /* 4 */
				  "    colour: blue\n"		  /* 5 */
				  "physical_connections:\n"	  /* 6 */
				  "  - id: pc-1\n"		  /* 7 */
				  "    speed_gbps: 5000000000\n"  /* 8 */
				  "attachments:\n"		  /* 9 */
				  "  - id: a\n"			  /* 10 */
				  "    id: b\n"			  /* 11 */
				  "    vswitch_cidrs: [banana]\n" /* 12 */
				  "bandwidth_packages:\n"	  /* 13 */
				  "  - id: bwp\n"		  /* 14 */
				  "    regions: [r1]\n";	  /* 15 */
	static const char *const want[] = {
		"line 2: cen.asn: expected an integer 1..4294967295, got "
		"\"big\"",
		"line 5: regions[0] (r1): unknown field 'colour'; expected one "
		"of: id, bgp_cluster_id, route_tables",
		"line 8: physical_connections[0] (pc-1).speed_gbps: 5000000000 "
		"out of range 1..100",
		"line 11: attachments[0] (a): field 'id' given twice",
		"line 12: attachments[0] (a).vswitch_cidrs[0]: invalid prefix "
		"\"banana\"",
		"line 15: bandwidth_packages[0] (bwp).regions: expected a pair "
		"of region IDs [a, b], got 1 items",
	};
	char *expected;
	struct cen_err err;
	struct model m;
	size_t i, o = 0;

	assert_int_equal(parse(&m, doc, &err), -CEN_EPARSE);
	expected = calloc(1, 4096);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		o += (size_t)snprintf(expected + o, 4096 - o, "%s%s",
				      i ? "\n" : "", want[i]);
	assert_string_equal(err.msg, expected);
	free(expected);
	model_free(&m);
}

static void
test_yaml_structural_mistakes_are_errors(void **state)
{
	static const struct {
		const char *doc;
		const char *want;
	} cases[] = {
		{ "cen: &c { id: x }\nregions: [ *c ]\n",
		  "line 2: regions[0]: expected a mapping, got the alias *c "
		  "(aliases are not supported)" },
		{ "cen: { id: x }\n---\ncen: { id: y }\n",
		  "line 2: a second YAML document; a file holds one" },
		{ "cen: { id: "
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaa"
		  " }\n",
		  "line 1: cen.id: 64 characters long, at most 63" },
		{ "cen: { id: }\n", "line 1: cen.id: expected a string, got "
				    "nothing (null); write "
				    "\"\" for an empty one" },
		{ "cen: { id: \"a\\0b\" }\n",
		  "line 1: cen.id: contains a NUL character" },
		{ "[1, 2]\n", "line 1: expected a mapping, got a list" },
		{ "cen: { [a]: 1 }\n",
		  "line 1: cen: expected a field name, got a list" },
		{ "bandwidth_packages: [ { regions: [a, b, c] } ]\n",
		  "line 1: bandwidth_packages[0].regions: expected a pair of "
		  "region IDs [a, b], got 3 items" },
	};
	struct cen_err err;
	struct model m;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(parse(&m, cases[i].doc, &err) < 0);
		assert_has_line(err.msg, cases[i].want);
		model_free(&m);
	}
}

static void
test_yaml_deep_nesting_is_refused_without_recursion(void **state)
{
	size_t depth = 100000, i;
	char *doc = malloc(depth * 2 + 16);
	struct cen_err err;
	struct model m;

	assert_non_null(doc);
	memcpy(doc, "cen: ", 5);
	for (i = 0; i < depth; i++)
		doc[5 + i] = '[';
	for (i = 0; i < depth; i++)
		doc[5 + depth + i] = ']';
	doc[5 + 2 * depth] = '\0';
	assert_int_equal(parse(&m, doc, &err), -CEN_EPARSE);
	assert_non_null(strstr(err.msg, "nested deeper than"));
	model_free(&m);
	free(doc);
}

static void
test_yaml_null_err_still_returns_the_error(void **state)
{
	struct model m;

	model_init(&m);
	assert_int_equal(model_yaml_parse(&m, "cen: { asn: x }\n", 16, NULL),
			 -CEN_EPARSE);
	model_free(&m);
	model_init(&m);
	assert_int_equal(model_yaml_parse(&m, "a: [", 4, NULL), -CEN_EPARSE);
	model_free(&m);
}

static void
test_yaml_missing_file_is_an_io_error_naming_it(void **state)
{
	struct cen_err err;
	struct model m;

	model_init(&m);
	cen_err_clear(&err);
	assert_int_equal(
		model_yaml_load_file(&m, "/nonexistent/cend.yaml", &err),
		-CEN_EIO);
	assert_non_null(strstr(err.msg, "/nonexistent/cend.yaml: "));
	model_free(&m);
}

/* ------------------------------------------------------------------------
 * Robustness.
 */

/* Every prefix of hybrid.yaml, in a buffer of exactly that length (so a
 * read past it is caught under ASan): parses or fails cleanly; what parses
 * re-emits to a text that parses to the same text. */
static void
test_yaml_every_truncation_of_hybrid_is_handled(void **state)
{
	size_t len, i;
	char *text = hybrid_text(&len);
	int ok = 0;

	for (i = 0; i <= len; i++) {
		char *buf = malloc(i + 1);
		struct cen_err err;
		struct model m, back;

		assert_non_null(buf);
		memcpy(buf, text, i);
		model_init(&m);
		cen_err_clear(&err);
		if (model_yaml_parse(&m, i > 0 ? buf : NULL, i, &err) == 0) {
			ok++;
			round_trip(&m, &back);
			model_free(&back);
		} else {
			assert_true(err.msg[0] != '\0');
			assert_all_lines_numbered(err.msg);
		}
		model_free(&m);
		free(buf);
	}
	assert_true(ok > 0);
	free(text);
}

/* Every single-byte change of a small document at every offset. */
static void
test_yaml_byte_mutations_never_crash(void **state)
{
	static const char muts[] = "\0\n -:[]{}\"'#&*!|>%@`,?\xff";
	size_t len = strlen(full_yaml), i, j;
	char *buf = malloc(len);

	assert_non_null(buf);
	for (i = 0; i < len; i += 3) {
		for (j = 0; j < sizeof(muts) - 1; j++) {
			struct cen_err err;
			struct model m;

			memcpy(buf, full_yaml, len);
			buf[i] = muts[j];
			model_init(&m);
			cen_err_clear(&err);
			if (model_yaml_parse(&m, buf, len, &err) == 0) {
				char *s = model_yaml_emit(&m);

				assert_non_null(s);
				free(s);
			}
			model_free(&m);
		}
	}
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_hybrid_example_loads_as_written),
		cmocka_unit_test(
			test_yaml_object_line_is_where_its_mapping_starts),
		cmocka_unit_test(
			test_yaml_hybrid_emit_parse_round_trip_is_equal),
		cmocka_unit_test(test_yaml_every_field_survives_emit_and_parse),
		cmocka_unit_test(
			test_yaml_emit_quotes_strings_that_would_read_back_differently),
		cmocka_unit_test(
			test_yaml_table_routes_emitted_under_their_table),
		cmocka_unit_test(test_yaml_empty_document_is_an_empty_model),
		cmocka_unit_test(
			test_yaml_syntax_error_gives_one_error_with_line_and_column),
		cmocka_unit_test(test_yaml_invalid_utf8_reports_its_line),
		cmocka_unit_test(test_yaml_unknown_field_lists_the_known_ones),
		cmocka_unit_test(
			test_yaml_wrong_type_names_field_and_expected_type),
		cmocka_unit_test(
			test_yaml_integer_outside_c_type_is_out_of_range),
		cmocka_unit_test(
			test_yaml_list_over_capacity_names_field_and_maximum),
		cmocka_unit_test(
			test_yaml_bad_prefix_is_reported_with_its_index),
		cmocka_unit_test(
			test_yaml_cluster_id_must_be_a_nonzero_ipv4_address),
		cmocka_unit_test(test_yaml_bad_enum_lists_the_allowed_names),
		cmocka_unit_test(
			test_yaml_every_error_in_a_file_is_reported_in_order),
		cmocka_unit_test(test_yaml_structural_mistakes_are_errors),
		cmocka_unit_test(
			test_yaml_deep_nesting_is_refused_without_recursion),
		cmocka_unit_test(test_yaml_null_err_still_returns_the_error),
		cmocka_unit_test(
			test_yaml_missing_file_is_an_io_error_naming_it),
		cmocka_unit_test(
			test_yaml_every_truncation_of_hybrid_is_handled),
		cmocka_unit_test(test_yaml_byte_mutations_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
