/*
 * test_engine_badinput.c - bad input through the engine API (engine.h):
 * every call is refused with a negative code and a message that names the
 * field and what is allowed, and leaves the engine unchanged (engine_dump
 * and engine_hash equal before and after, no FIB delta, no job queued).
 *
 * Covers malformed prefixes, route-map ranges and lists, preference ranges,
 * bandwidth packages, unknown attachments, VLANs, the overlapping-routes
 * switch, the reserved 100.64.0.0/10, health checks, BGP peers, and deletes
 * of objects still in use (ROUTING.md "Route maps", "Bandwidth", "BGP
 * towards customer edges", "Redundancy").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/attr.h"
#include "core/engine.h"
#include "core/err.h"
#include "core/model.h"
#include "core/prefix.h"

/* ---- the fixture: a small CEN with paths, drained ---------------------- */

struct fx {
	struct engine *e;
	size_t ndeltas;
	/* the state before the bad call */
	char *dump;
	uint64_t hash;
	size_t deltas0;
};

static void
count_cb(const struct engine_delta *d, void *arg)
{
	struct fx *f = arg;

	(void)d;
	f->ndeltas++;
}

static struct prefix
P(const char *s) {
	struct prefix p;

	if (prefix_parse(&p, s, true) != 0)
		fail_msg("cannot parse %s", s);
	return p;
}

static struct prefix
A(const char *s) {
	struct prefix p;

	if (prefix_parse_addr(&p, s) != 0)
		fail_msg("cannot parse address %s", s);
	return p;
}

static void
att_vpc(struct model_attachment *a, const char *id, const char *region,
	struct prefix *cidr)
{
	model_attachment_defaults(a);
	snprintf(a->id, sizeof(a->id), "%s", id);
	snprintf(a->region, sizeof(a->region), "%s", region);
	a->type = MODEL_ATT_VPC;
	a->vswitch_cidrs = cidr;
	a->nvswitch = 1;
}

static void
att_vbr(struct model_attachment *a, const char *id, uint16_t vlan)
{
	model_attachment_defaults(a);
	snprintf(a->id, sizeof(a->id), "%s", id);
	snprintf(a->region, sizeof(a->region), "hz");
	a->type = MODEL_ATT_VBR;
	snprintf(a->physical_connection, sizeof(a->physical_connection),
		 "pc-hz");
	a->vlan = vlan;
	a->bandwidth_mbps = 1000;
	a->local_ip = P("10.10.10.0/30");
	a->local_ip.addr.v4[3] = 1; /* 10.10.10.1/30: an address with its
				     * subnet length */
	a->peer_ip = A("10.10.10.2");
	model_peer_defaults(&a->peers[0]);
	a->peers[0].address = A("10.10.10.2");
	a->peers[0].asn = 65001;
	a->npeers = 1;
	a->health.enabled = true;
}

/* hz: rt-hz (system), rt-hz-c; sh: rt-sh (system).  vpc-a, vbr-1 (on
 * pc-hz, VLAN 100) in hz, vpc-s in sh; a table static route, a route map
 * naming vbr-1, a bandwidth package hz/sh of 100 Mbps with a 60 Mbps
 * connection; two BGP paths from vbr-1. */
static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct cen_err err = { 0 };
	struct model m;
	struct model_region reg = { 0 };
	struct model_table t;
	struct model_pc pc = { 0 };
	struct model_attachment a;
	struct prefix c1 = P("10.0.0.0/16"), c2 = P("10.9.0.0/16");
	struct model_table_route tr;
	struct model_rmap rm;
	struct model_bwp bwp = { 0 };
	struct model_bwp_conn conn = { 0 };
	struct attrs at;
	const struct attrs *ia;
	uint32_t asn = 65001;
	struct engine_path_in in = { 0 };

	assert_non_null(f);
	f->e = engine_new();
	assert_non_null(f->e);
	engine_set_delta_cb(f->e, count_cb, f);
	model_init(&m);
	m.has_cen = true;
	model_cen_defaults(&m.cen);
	snprintf(m.cen.id, sizeof(m.cen.id), "cen1");
	snprintf(reg.id, sizeof(reg.id), "hz");
	assert_int_equal(model_put_region(&m, &reg), 0);
	snprintf(reg.id, sizeof(reg.id), "sh");
	assert_int_equal(model_put_region(&m, &reg), 0);
	model_table_defaults(&t);
	snprintf(t.id, sizeof(t.id), "rt-hz");
	snprintf(t.region, sizeof(t.region), "hz");
	t.system = true;
	assert_int_equal(model_put_table(&m, &t), 0);
	snprintf(t.id, sizeof(t.id), "rt-hz-c");
	t.system = false;
	assert_int_equal(model_put_table(&m, &t), 0);
	snprintf(t.id, sizeof(t.id), "rt-sh");
	snprintf(t.region, sizeof(t.region), "sh");
	t.system = true;
	assert_int_equal(model_put_table(&m, &t), 0);
	snprintf(pc.id, sizeof(pc.id), "pc-hz");
	snprintf(pc.region, sizeof(pc.region), "hz");
	pc.speed_gbps = 10;
	assert_int_equal(model_put_pc(&m, &pc), 0);
	att_vpc(&a, "vpc-a", "hz", &c1);
	assert_int_equal(model_put_attachment(&m, &a), 0);
	att_vpc(&a, "vpc-s", "sh", &c2);
	assert_int_equal(model_put_attachment(&m, &a), 0);
	att_vbr(&a, "vbr-1", 100);
	assert_int_equal(model_put_attachment(&m, &a), 0);

	memset(&tr, 0, sizeof(tr));
	snprintf(tr.table, sizeof(tr.table), "rt-hz-c");
	tr.prefix = P("192.168.0.0/16");
	model_nexthop_defaults(&tr.nh[0]);
	tr.nh[0].type = MODEL_NH_ATTACHMENT;
	snprintf(tr.nh[0].id, sizeof(tr.nh[0].id), "vbr-1");
	tr.nnh = 1;
	assert_int_equal(model_put_table_route(&m, &tr), 0);

	model_rmap_defaults(&rm);
	snprintf(rm.region, sizeof(rm.region), "hz");
	rm.direction = MODEL_DIR_IN;
	rm.priority = 10;
	snprintf(rm.src_instances[0], MODEL_ID_MAX, "vbr-1");
	rm.nsrc_instances = 1;
	rm.set_pref = 20;
	assert_int_equal(model_put_rmap(&m, &rm), 0);

	snprintf(bwp.id, sizeof(bwp.id), "bwp-1");
	snprintf(bwp.regions[0], MODEL_ID_MAX, "hz");
	snprintf(bwp.regions[1], MODEL_ID_MAX, "sh");
	bwp.bandwidth_mbps = 100;
	snprintf(conn.regions[0], MODEL_ID_MAX, "hz");
	snprintf(conn.regions[1], MODEL_ID_MAX, "sh");
	conn.bandwidth_mbps = 60;
	bwp.conns = &conn;
	bwp.nconns = 1;
	assert_int_equal(model_put_bwp(&m, &bwp), 0);

	if (engine_apply(f->e, &m, &err) != 0)
		fail_msg("base model refused: %s", err.msg);
	model_free(&m);

	attr_init(&at);
	at.aspath = attr_aspath_seq(engine_attrs(f->e), &asn, 1);
	ia = attr_intern(engine_attrs(f->e), &at);
	attr_aspath_unref(engine_attrs(f->e), at.aspath);
	in.attachment = "vbr-1";
	in.peer = A("10.10.10.2");
	in.node = 1;
	in.attrs = ia;
	in.prefix = P("172.16.0.0/12");
	assert_int_equal(engine_path_add(f->e, &in, &err), 0);
	in.prefix = P("2001:db8::/32");
	assert_int_equal(engine_path_add(f->e, &in, &err), 0);
	attr_unref(engine_attrs(f->e), ia);
	engine_drain(f->e);
	assert_true(f->ndeltas > 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	free(f->dump);
	engine_free(f->e);
	free(f);
	return 0;
}

/* Records the state before a bad call. */
static void
before(struct fx *f)
{
	free(f->dump);
	f->dump = engine_dump(f->e);
	f->hash = engine_hash(f->e);
	f->deltas0 = f->ndeltas;
	assert_int_equal(engine_pending(f->e), 0);
}

/* The call was refused (with code, when code != 0), its message holds
 * every fragment given (NULL-terminated), and nothing changed. */
static void
refused(struct fx *f, int rc, int code, const struct cen_err *err, ...)
{
	va_list ap;
	const char *frag;
	char *now;

	if (rc >= 0)
		fail_msg("accepted (%d), expected a refusal", rc);
	if (code != 0 && rc != code)
		fail_msg("refused with %d (%s), expected %d: %s", rc,
			 cen_strerror(rc), code, err->msg);
	if (err->code != rc)
		fail_msg("err.code %d but returned %d", err->code, rc);
	va_start(ap, err);
	while ((frag = va_arg(ap, const char *)) != NULL)
		if (strstr(err->msg, frag) == NULL) {
			va_end(ap);
			fail_msg("message \"%s\" lacks \"%s\"", err->msg, frag);
		}
	va_end(ap);
	if (f->ndeltas != f->deltas0)
		fail_msg("refused call emitted %zu FIB deltas",
			 f->ndeltas - f->deltas0);
	if (engine_pending(f->e) != 0)
		fail_msg("refused call queued %zu jobs", engine_pending(f->e));
	now = engine_dump(f->e);
	if (strcmp(now, f->dump) != 0) {
		fprintf(stderr, "before:\n%s\nafter:\n%s\n", f->dump, now);
		free(now);
		fail_msg("refused call changed engine_dump");
	}
	free(now);
	assert_true(engine_hash(f->e) == f->hash);
}

#define REFUSED(f, rc, code, err, ...)                                         \
	refused((f), (rc), (code), (err), __VA_ARGS__, (const char *)NULL)

/* A copy of an attachment of the engine's model, arrays in buffers. */
struct att_copy {
	struct model_attachment a;
	struct prefix vsw[8];
	struct model_route routes[8];
};

static void
att_get(struct fx *f, const char *id, struct att_copy *c)
{
	const struct model_attachment *a =
		model_find_attachment(engine_model(f->e), id);

	assert_non_null(a);
	assert_true(a->nvswitch <= 8 && a->nroutes <= 8);
	c->a = *a;
	if (a->nvswitch > 0)
		memcpy(c->vsw, a->vswitch_cidrs,
		       a->nvswitch * sizeof(c->vsw[0]));
	if (a->nroutes > 0)
		memcpy(c->routes, a->routes, a->nroutes * sizeof(c->routes[0]));
	c->a.vswitch_cidrs = c->vsw;
	c->a.routes = c->routes;
}

static void
path_in(struct fx *f, struct engine_path_in *in, const char *att,
	const struct prefix *p, uint8_t pref)
{
	struct attrs at;

	memset(in, 0, sizeof(*in));
	attr_init(&at);
	at.pref = pref;
	in->attachment = att;
	in->peer = A("10.10.10.2");
	in->prefix = *p;
	in->attrs = attr_intern(engine_attrs(f->e), &at);
	assert_non_null(in->attrs);
}

static void
path_in_done(struct fx *f, struct engine_path_in *in)
{
	attr_unref(engine_attrs(f->e), in->attrs);
}

static void
rmap_base(struct model_rmap *r, uint8_t dir, uint8_t prio)
{
	model_rmap_defaults(r);
	snprintf(r->region, sizeof(r->region), "hz");
	r->direction = dir;
	r->priority = prio;
}

/* ---- malformed prefixes -------------------------------------------------- */

static void
test_badinput_path_prefix_with_host_bits_is_refused(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct engine_path_in in;
	struct prefix p = P("10.0.0.0/8");

	p.addr.v4[3] = 1; /* 10.0.0.1/8 */
	path_in(f, &in, "vbr-1", &p, 50);
	before(f);
	REFUSED(f, engine_path_add(f->e, &in, &err), -CEN_EINVAL, &err,
		"prefix", "host bits");
	cen_err_clear(&err);
	REFUSED(f, engine_path_del(f->e, "vbr-1", &in.peer, &p, &err),
		-CEN_EINVAL, &err, "prefix", "host bits");
	path_in_done(f, &in);
}

static void
test_badinput_path_prefix_of_unknown_family_is_refused(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct engine_path_in in;
	struct prefix p = { 0 };

	p.family = 5;
	p.len = 8;
	path_in(f, &in, "vbr-1", &p, 50);
	before(f);
	REFUSED(f, engine_path_add(f->e, &in, &err), -CEN_EINVAL, &err,
		"prefix", "IPv4 or IPv6");
	cen_err_clear(&err);
	p.family = PREFIX_AF_NONE;
	in.prefix = p;
	REFUSED(f, engine_path_add(f->e, &in, &err), -CEN_EINVAL, &err,
		"prefix", "IPv4 or IPv6");
	path_in_done(f, &in);
}

static void
test_badinput_path_prefix_length_out_of_range_is_refused(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct engine_path_in in;
	struct prefix p4 = P("10.0.0.0/8"), p6 = P("2001:db8::/32");

	p4.len = 33;
	p6.len = 129;
	path_in(f, &in, "vbr-1", &p4, 50);
	before(f);
	REFUSED(f, engine_path_add(f->e, &in, &err), -CEN_ERANGE, &err,
		"prefix", "length 33 out of range 0..32");
	cen_err_clear(&err);
	in.prefix = p6;
	REFUSED(f, engine_path_add(f->e, &in, &err), -CEN_ERANGE, &err,
		"prefix", "length 129 out of range 0..128");
	cen_err_clear(&err);
	REFUSED(f, engine_path_del(f->e, "vbr-1", &in.peer, &p6, &err),
		-CEN_ERANGE, &err, "length 129 out of range 0..128");
	path_in_done(f, &in);
}

static void
test_badinput_config_prefixes_malformed_are_refused(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct model_table_route tr;
	struct model_rmap rm;
	struct att_copy c;

	before(f);
	/* a table static route with host bits */
	memset(&tr, 0, sizeof(tr));
	snprintf(tr.table, sizeof(tr.table), "rt-hz");
	tr.prefix = P("10.1.0.0/16");
	tr.prefix.addr.v4[3] = 7;
	tr.blackhole = true;
	REFUSED(f, engine_put_table_route(f->e, &tr, &err), -CEN_EINVAL, &err,
		"route_table rt-hz", "prefix", "without host bits");
	/* a route-map CIDR of length 40 */
	cen_err_clear(&err);
	rmap_base(&rm, MODEL_DIR_IN, 30);
	rm.cidrs[0] = P("10.0.0.0/8");
	rm.cidrs[0].len = 40;
	rm.ncidrs = 1;
	REFUSED(f, engine_put_rmap(f->e, &rm, &err), -CEN_EINVAL, &err, "cidrs",
		"length 40", "without host bits");
	/* a vSwitch CIDR of an unknown family */
	cen_err_clear(&err);
	att_get(f, "vpc-a", &c);
	c.vsw[0].family = 9;
	REFUSED(f, engine_put_attachment(f->e, &c.a, &err), -CEN_EINVAL, &err,
		"attachment vpc-a", "vswitch_cidrs", "family 9");
}

/* ---- ranges --------------------------------------------------------------- */

static void
test_badinput_rmap_priority_0_and_120_out_of_range(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct model_rmap rm;

	before(f);
	rmap_base(&rm, MODEL_DIR_IN, 0);
	REFUSED(f, engine_put_rmap(f->e, &rm, &err), -CEN_ERANGE, &err,
		"priority 0", "priority out of range 1..100");
	cen_err_clear(&err);
	rm.priority = 120;
	REFUSED(f, engine_put_rmap(f->e, &rm, &err), -CEN_ERANGE, &err,
		"priority 120", "out of range 1..100");
}

static void
test_badinput_rmap_set_pref_101_out_of_range(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct model_rmap rm;

	before(f);
	rmap_base(&rm, MODEL_DIR_IN, 30);
	rm.set_pref = 101;
	REFUSED(f, engine_put_rmap(f->e, &rm, &err), -CEN_ERANGE, &err,
		"set_pref 101", "out of range 1..100");
}

/* model.h: set_pref 0 is not a preference but "unchanged"; the entry is
 * accepted and leaves preferences alone. */
static void
test_badinput_rmap_set_pref_0_means_unchanged(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct model_rmap rm;

	rmap_base(&rm, MODEL_DIR_IN, 5);
	rm.set_pref = 0;
	assert_int_equal(engine_put_rmap(f->e, &rm, &err), 0);
	engine_drain(f->e);
	assert_non_null(
		model_find_rmap(engine_model(f->e), "hz", MODEL_DIR_IN, "", 5));
}

static void
test_badinput_path_pref_0_and_101_out_of_range(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct engine_path_in in;
	struct prefix p = P("10.20.0.0/16");

	before(f);
	path_in(f, &in, "vbr-1", &p, 0);
	REFUSED(f, engine_path_add(f->e, &in, &err), -CEN_ERANGE, &err,
		"preference 0 out of range 1..100");
	path_in_done(f, &in);
	cen_err_clear(&err);
	path_in(f, &in, "vbr-1", &p, 101);
	REFUSED(f, engine_path_add(f->e, &in, &err), -CEN_ERANGE, &err,
		"preference 101 out of range 1..100");
	path_in_done(f, &in);
}

/* Sets list n of r to 33 items (of valid values where that is easy). */
static void
rmap_list_33(struct model_rmap *r, int which, const char **field)
{
	switch (which) {
	case 0:
		*field = "src_regions";
		for (int i = 0; i < MODEL_LIST_MAX; i++)
			snprintf(r->src_regions[i], MODEL_ID_MAX, "hz");
		r->nsrc_regions = 33;
		break;
	case 1:
		*field = "src_instances";
		for (int i = 0; i < MODEL_LIST_MAX; i++)
			snprintf(r->src_instances[i], MODEL_ID_MAX, "vpc-a");
		r->nsrc_instances = 33;
		break;
	case 2:
		*field = "dst_instances";
		r->direction = MODEL_DIR_OUT;
		for (int i = 0; i < MODEL_LIST_MAX; i++)
			snprintf(r->dst_instances[i], MODEL_ID_MAX, "vpc-a");
		r->ndst_instances = 33;
		break;
	case 3:
		*field = "src_tables";
		for (int i = 0; i < MODEL_LIST_MAX; i++)
			snprintf(r->src_tables[i], MODEL_ID_MAX, "rt-hz");
		r->nsrc_tables = 33;
		break;
	case 4:
		*field = "dst_tables";
		r->direction = MODEL_DIR_OUT;
		for (int i = 0; i < MODEL_LIST_MAX; i++)
			snprintf(r->dst_tables[i], MODEL_ID_MAX, "rt-hz");
		r->ndst_tables = 33;
		break;
	case 5:
		*field = "src_types";
		memset(r->src_types, MODEL_ATT_VPC, sizeof(r->src_types));
		r->nsrc_types = 33;
		break;
	case 6:
		*field = "dst_types";
		r->direction = MODEL_DIR_OUT;
		memset(r->dst_types, MODEL_ATT_VPC, sizeof(r->dst_types));
		r->ndst_types = 33;
		break;
	case 7:
		*field = "cidrs";
		for (int i = 0; i < MODEL_LIST_MAX; i++)
			r->cidrs[i] = P("10.0.0.0/8");
		r->ncidrs = 33;
		break;
	case 8:
		*field = "route_types";
		memset(r->route_types, MODEL_RT_BGP, sizeof(r->route_types));
		r->nroute_types = 33;
		break;
	case 9:
		*field = "asns";
		for (int i = 0; i < MODEL_LIST_MAX; i++)
			r->asns[i] = 65001;
		r->nasns = 33;
		break;
	case 10:
		*field = "comms";
		for (int i = 0; i < MODEL_LIST_MAX; i++)
			r->comms[i] = 65000u << 16 | 1;
		r->ncomms = 33;
		break;
	case 11:
		*field = "set_comms";
		for (int i = 0; i < MODEL_LIST_MAX; i++)
			r->set_comms[i] = 65000u << 16 | 1;
		r->nset_comms = 33;
		r->set_comm_mode = MODEL_COMM_ADDITIVE;
		break;
	default:
		*field = "prepend";
		r->direction = MODEL_DIR_OUT;
		snprintf(r->dst_instances[0], MODEL_ID_MAX, "vpc-a");
		r->ndst_instances = 1;
		for (int i = 0; i < MODEL_PREPEND_MAX; i++)
			r->prepend[i] = 45104;
		r->nprepend = 33;
		break;
	}
}

static void
test_badinput_rmap_lists_over_32_items_are_refused(void **state)
{
	struct fx *f = *state;

	before(f);
	for (int which = 0; which <= 12; which++) {
		struct cen_err err = { 0 };
		struct model_rmap rm;
		const char *field = NULL;
		char want[64];

		rmap_base(&rm, MODEL_DIR_IN, 30);
		rmap_list_33(&rm, which, &field);
		snprintf(want, sizeof(want), "%s: 33 items given, at most 32",
			 field);
		REFUSED(f, engine_put_rmap(f->e, &rm, &err), -CEN_ETOOBIG, &err,
			want);
	}
}

static void
test_badinput_rmap_next_priority_must_follow_priority(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct model_rmap rm;

	before(f);
	rmap_base(&rm, MODEL_DIR_IN, 30);
	rm.next_priority = 30;
	REFUSED(f, engine_put_rmap(f->e, &rm, &err), -CEN_ERANGE, &err,
		"next_priority 30 out of range 31..100");
	cen_err_clear(&err);
	rm.next_priority = 20;
	REFUSED(f, engine_put_rmap(f->e, &rm, &err), -CEN_ERANGE, &err,
		"next_priority 20 out of range 31..100");
	cen_err_clear(&err);
	rm.next_priority = 101;
	REFUSED(f, engine_put_rmap(f->e, &rm, &err), -CEN_ERANGE, &err,
		"next_priority 101 out of range 31..100");
}

static void
test_badinput_rmap_deny_entry_cannot_change_routes(void **state)
{
	struct fx *f = *state;
	struct model_rmap rm;

	before(f);
	for (int which = 0; which < 4; which++) {
		struct cen_err err = { 0 };
		const char *field;

		rmap_base(&rm, MODEL_DIR_OUT, 30);
		rm.action = MODEL_ACTION_DENY;
		snprintf(rm.dst_instances[0], MODEL_ID_MAX, "vpc-a");
		rm.ndst_instances = 1;
		switch (which) {
		case 0:
			field = "set_pref";
			rm.set_pref = 10;
			break;
		case 1:
			field = "set_comms";
			rm.set_comms[0] = 65000u << 16 | 1;
			rm.nset_comms = 1;
			rm.set_comm_mode = MODEL_COMM_ADDITIVE;
			break;
		case 2:
			field = "prepend";
			rm.prepend[0] = 45104;
			rm.nprepend = 1;
			break;
		default:
			field = "next_priority";
			rm.next_priority = 40;
			break;
		}
		REFUSED(f, engine_put_rmap(f->e, &rm, &err), -CEN_EINVAL, &err,
			field, "Deny entry");
	}
}

/* ---- bandwidth packages --------------------------------------------------- */

static void
bwp_get(struct fx *f, struct model_bwp *b, struct model_bwp_conn *conns)
{
	const struct model_bwp *cur =
		model_find_bwp(engine_model(f->e), "bwp-1");

	assert_non_null(cur);
	assert_true(cur->nconns <= 4);
	*b = *cur;
	memcpy(conns, cur->conns, cur->nconns * sizeof(*conns));
	b->conns = conns;
}

static void
test_badinput_bwp_connection_over_package_is_refused(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct model_bwp b;
	struct model_bwp_conn conns[4];

	before(f);
	bwp_get(f, &b, conns);
	conns[0].bandwidth_mbps = 150;
	REFUSED(f, engine_put_bwp(f->e, &b, &err), 0, &err,
		"bandwidth_package bwp-1", "bandwidth_mbps 150",
		"<= package 100 Mbps");
}

static void
test_badinput_bwp_connections_sum_over_package_is_refused(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct model_bwp b;
	struct model_bwp_conn conns[4];

	before(f);
	bwp_get(f, &b, conns);
	conns[1] = conns[0];
	conns[1].bandwidth_mbps = 50;
	b.nconns = 2;
	REFUSED(f, engine_put_bwp(f->e, &b, &err), -CEN_ECONFLICT, &err,
		"bandwidth_package bwp-1",
		"sum of connection limits 110 Mbps exceeds package bandwidth "
		"100 Mbps");
}

static void
test_badinput_bwp_cannot_shrink_below_its_connections(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct model_bwp b;
	struct model_bwp_conn conns[4];

	before(f);
	bwp_get(f, &b, conns);
	b.bandwidth_mbps = 50;
	REFUSED(f, engine_put_bwp(f->e, &b, &err), 0, &err,
		"cannot shrink package bwp-1 to 50 Mbps",
		"sum of its connection limits 60 Mbps");
}

/* ---- unknown attachments ------------------------------------------------- */

static void
test_badinput_path_to_unknown_attachment_is_refused(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct engine_path_in in;
	struct prefix p = P("10.20.0.0/16");

	before(f);
	path_in(f, &in, "vbr-9", &p, 50);
	REFUSED(f, engine_path_add(f->e, &in, &err), -CEN_ENOENT, &err,
		"attachment vbr-9 does not exist");
	cen_err_clear(&err);
	REFUSED(f, engine_path_del(f->e, "vbr-9", &in.peer, &p, &err),
		-CEN_ENOENT, &err, "attachment vbr-9 does not exist");
	cen_err_clear(&err);
	REFUSED(f, engine_peer_flush(f->e, "vbr-9", NULL, &err), -CEN_ENOENT,
		&err, "attachment vbr-9 does not exist");
	cen_err_clear(&err);
	REFUSED(f, engine_set_health(f->e, "vbr-9", false, &err), -CEN_ENOENT,
		&err, "attachment vbr-9 does not exist");
	cen_err_clear(&err);
	in.attachment = NULL;
	REFUSED(f, engine_path_add(f->e, &in, &err), -CEN_ENOENT, &err,
		"does not exist");
	path_in_done(f, &in);
}

static void
test_badinput_bgp_path_to_vpc_is_refused(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct engine_path_in in;
	struct prefix p = P("10.20.0.0/16");

	before(f);
	path_in(f, &in, "vpc-a", &p, 50);
	REFUSED(f, engine_path_add(f->e, &in, &err), -CEN_EINVAL, &err,
		"attachment vpc-a is a VPC", "VBR, VPN and CCN");
	cen_err_clear(&err);
	REFUSED(f, engine_peer_flush(f->e, "vpc-a", NULL, &err), -CEN_EINVAL,
		&err, "attachment vpc-a is a VPC");
	path_in_done(f, &in);
}

static void
test_badinput_rmap_naming_missing_instance_is_refused(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct model_rmap rm;

	before(f);
	rmap_base(&rm, MODEL_DIR_IN, 30);
	snprintf(rm.src_instances[0], MODEL_ID_MAX, "vbr-9");
	rm.nsrc_instances = 1;
	REFUSED(f, engine_put_rmap(f->e, &rm, &err), -CEN_ENOENT, &err,
		"src_instances vbr-9 does not exist");
	cen_err_clear(&err);
	rmap_base(&rm, MODEL_DIR_OUT, 30);
	snprintf(rm.dst_instances[0], MODEL_ID_MAX, "vpc-9");
	rm.ndst_instances = 1;
	REFUSED(f, engine_put_rmap(f->e, &rm, &err), -CEN_ENOENT, &err,
		"dst_instances vpc-9 does not exist");
}

static void
test_badinput_table_route_to_missing_attachment_is_refused(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct model_table_route tr;

	before(f);
	memset(&tr, 0, sizeof(tr));
	snprintf(tr.table, sizeof(tr.table), "rt-hz");
	tr.prefix = P("10.30.0.0/16");
	model_nexthop_defaults(&tr.nh[0]);
	tr.nh[0].type = MODEL_NH_ATTACHMENT;
	snprintf(tr.nh[0].id, sizeof(tr.nh[0].id), "vbr-9");
	tr.nnh = 1;
	REFUSED(f, engine_put_table_route(f->e, &tr, &err), -CEN_ENOENT, &err,
		"route_table rt-hz", "next_hop vbr-9 does not exist");
	/* and to a table that does not exist */
	cen_err_clear(&err);
	snprintf(tr.table, sizeof(tr.table), "rt-nope");
	snprintf(tr.nh[0].id, sizeof(tr.nh[0].id), "vbr-1");
	REFUSED(f, engine_put_table_route(f->e, &tr, &err), -CEN_ENOENT, &err,
		"table rt-nope does not exist");
}

/* ---- VLANs, overlapping routes, reserved prefixes ---------------------- */

static void
test_badinput_vlan_out_of_range_is_refused(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct att_copy c;

	before(f);
	att_get(f, "vbr-1", &c);
	c.a.vlan = 3000;
	REFUSED(f, engine_put_attachment(f->e, &c.a, &err), -CEN_ERANGE, &err,
		"attachment vbr-1", "vlan 3000 out of range 1..2999");
	cen_err_clear(&err);
	c.a.vlan = 0;
	REFUSED(f, engine_put_attachment(f->e, &c.a, &err), -CEN_ERANGE, &err,
		"vlan 0 out of range 1..2999");
}

static void
test_badinput_duplicate_vlan_on_physical_connection_is_refused(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct model_attachment a;

	before(f);
	att_vbr(&a, "vbr-2", 100);
	a.peers[0].address = A("10.10.10.6");
	a.local_ip.addr.v4[3] = 5;
	a.local_ip.len = 30;
	a.peer_ip = A("10.10.10.6");
	REFUSED(f, engine_put_attachment(f->e, &a, &err), -CEN_ECONFLICT, &err,
		"attachment vbr-2",
		"vlan 100 already used on "
		"physical_connection pc-hz by attachment "
		"vbr-1");
}

static void
test_badinput_overlapping_routes_cannot_be_turned_off(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct model_cen c = engine_model(f->e)->cen;
	struct model m;

	before(f);
	c.overlapping_routes = false;
	REFUSED(f, engine_put_cen(f->e, &c, &err), -CEN_ECONFLICT, &err,
		"cen cen1", "overlapping_routes cannot be turned off once on");
	/* the same through a whole-model apply */
	cen_err_clear(&err);
	assert_int_equal(model_clone(&m, engine_model(f->e)), 0);
	m.cen.overlapping_routes = false;
	REFUSED(f, engine_apply(f->e, &m, &err), -CEN_ECONFLICT, &err,
		"overlapping_routes cannot be turned off");
	cen_err_clear(&err);
	REFUSED(f, engine_check(f->e, &m, &err), -CEN_ECONFLICT, &err,
		"overlapping_routes cannot be turned off");
	model_free(&m);
}

static void
test_badinput_custom_route_100_64_0_0_10_is_refused(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct att_copy c;
	struct model_table_route tr;

	before(f);
	/* a VPC custom route */
	att_get(f, "vpc-a", &c);
	memset(&c.routes[c.a.nroutes], 0, sizeof(c.routes[0]));
	c.routes[c.a.nroutes].prefix = P("100.64.0.0/10");
	c.routes[c.a.nroutes].nh.type = MODEL_NH_INSTANCE;
	snprintf(c.routes[c.a.nroutes].nh.id, MODEL_ID_MAX, "i-1");
	c.routes[c.a.nroutes].nh.weight = 1;
	c.a.nroutes++;
	REFUSED(f, engine_put_attachment(f->e, &c.a, &err), -CEN_EINVAL, &err,
		"attachment vpc-a", "custom_route 100.64.0.0/10",
		"100.64.0.0/11 and 100.96.0.0/11");
	/* a VBR static route */
	cen_err_clear(&err);
	att_get(f, "vbr-1", &c);
	memset(&c.routes[c.a.nroutes], 0, sizeof(c.routes[0]));
	c.routes[c.a.nroutes].prefix = P("100.64.0.0/10");
	c.routes[c.a.nroutes].nh.weight = 1;
	c.a.nroutes++;
	REFUSED(f, engine_put_attachment(f->e, &c.a, &err), -CEN_EINVAL, &err,
		"static_route 100.64.0.0/10", "reserved");
	/* a table static route */
	cen_err_clear(&err);
	memset(&tr, 0, sizeof(tr));
	snprintf(tr.table, sizeof(tr.table), "rt-hz");
	tr.prefix = P("100.64.0.0/10");
	tr.blackhole = true;
	REFUSED(f, engine_put_table_route(f->e, &tr, &err), -CEN_EINVAL, &err,
		"100.64.0.0/10 is reserved");
}

/* ---- health checks and peers ---------------------------------------------- */

static void
test_badinput_health_threshold_and_interval_out_of_range(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct att_copy c;

	before(f);
	att_get(f, "vbr-1", &c);
	c.a.health.threshold = 2;
	REFUSED(f, engine_put_attachment(f->e, &c.a, &err), -CEN_ERANGE, &err,
		"attachment vbr-1", "threshold 2 out of range 3..8");
	cen_err_clear(&err);
	c.a.health.threshold = 9;
	REFUSED(f, engine_put_attachment(f->e, &c.a, &err), -CEN_ERANGE, &err,
		"threshold 9 out of range 3..8");
	cen_err_clear(&err);
	c.a.health.threshold = 8;
	c.a.health.interval_s = 4;
	REFUSED(f, engine_put_attachment(f->e, &c.a, &err), -CEN_ERANGE, &err,
		"interval_s 4 out of range: 2 or 3");
}

static void
test_badinput_peer_asn_65025_and_0_are_refused(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct att_copy c;

	before(f);
	att_get(f, "vbr-1", &c);
	c.a.peers[0].asn = 65025;
	REFUSED(f, engine_put_attachment(f->e, &c.a, &err), -CEN_ERANGE, &err,
		"peer 10.10.10.2", "asn 65025 is reserved", "1..4294967295");
	cen_err_clear(&err);
	c.a.peers[0].asn = 0;
	REFUSED(f, engine_put_attachment(f->e, &c.a, &err), -CEN_ERANGE, &err,
		"peer 10.10.10.2", "asn 0 out of range 1..4294967295");
}

static void
test_badinput_nine_peers_on_a_vbr_are_refused(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct att_copy c;

	before(f);
	att_get(f, "vbr-1", &c);
	for (int i = 1; i < MODEL_PEERS_MAX; i++) {
		c.a.peers[i] = c.a.peers[0];
		c.a.peers[i].address.addr.v4[3] = (uint8_t)(10 + i);
	}
	c.a.npeers = 9;
	REFUSED(f, engine_put_attachment(f->e, &c.a, &err), -CEN_ETOOBIG, &err,
		"attachment vbr-1", "peers: 9 given, at most 8");
}

/* The system table holds what other regions export: a region keeps the one
 * it was made with. */
static void
test_badinput_system_table_cannot_change(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };
	struct model m;

	before(f);
	assert_int_equal(model_clone(&m, engine_model(f->e)), 0);
	for (size_t i = 0; i < m.ntables; i++)
		if (strcmp(m.tables[i].region, "hz") == 0)
			m.tables[i].system = !m.tables[i].system;
	REFUSED(f, engine_apply(f->e, &m, &err), -CEN_ECONFLICT, &err,
		"region hz",
		"the system table is rt-hz and cannot change to rt-hz-c");
	model_free(&m);
}

/* ---- deleting what is still in use --------------------------------------- */

static void
test_badinput_delete_region_in_use_is_refused(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };

	before(f);
	REFUSED(f, engine_del_region(f->e, "hz", &err), -CEN_EINUSE, &err,
		"route_table rt-hz: region hz is still in use here",
		"attachment vbr-1: region hz is still in use here",
		"bandwidth_package bwp-1: regions[0] hz is still in use");
	cen_err_clear(&err);
	REFUSED(f, engine_del_region(f->e, "nowhere", &err), -CEN_ENOENT, &err,
		"region nowhere does not exist");
}

static void
test_badinput_delete_table_in_use_is_refused(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };

	before(f);
	/* rt-hz-c holds a static route */
	REFUSED(f, engine_del_table(f->e, "rt-hz-c", &err), -CEN_EINUSE, &err,
		"route_table rt-hz-c route 192.168.0.0/16",
		"table rt-hz-c is still in use here",
		"before deleting the route table");
	/* a region cannot lose its system table */
	cen_err_clear(&err);
	REFUSED(f, engine_del_table(f->e, "rt-hz", &err), 0, &err, "region hz",
		"no system table");
	cen_err_clear(&err);
	REFUSED(f, engine_del_table(f->e, "rt-nope", &err), -CEN_ENOENT, &err,
		"route table rt-nope does not exist");
}

static void
test_badinput_delete_physical_connection_in_use_is_refused(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };

	before(f);
	REFUSED(f, engine_del_pc(f->e, "pc-hz", &err), -CEN_EINUSE, &err,
		"attachment vbr-1: physical_connection pc-hz is still in use",
		"before deleting the physical connection");
}

static void
test_badinput_delete_attachment_in_use_is_refused(void **state)
{
	struct fx *f = *state;
	struct cen_err err = { 0 };

	before(f);
	/* named by a table static route and a route map */
	REFUSED(f, engine_del_attachment(f->e, "vbr-1", &err), -CEN_EINUSE,
		&err, "next_hop vbr-1 is still in use here",
		"src_instances vbr-1 is still in use here",
		"before deleting the attachment");
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_badinput_path_prefix_with_host_bits_is_refused),
		T(test_badinput_path_prefix_of_unknown_family_is_refused),
		T(test_badinput_path_prefix_length_out_of_range_is_refused),
		T(test_badinput_config_prefixes_malformed_are_refused),
		T(test_badinput_rmap_priority_0_and_120_out_of_range),
		T(test_badinput_rmap_set_pref_101_out_of_range),
		T(test_badinput_rmap_set_pref_0_means_unchanged),
		T(test_badinput_path_pref_0_and_101_out_of_range),
		T(test_badinput_rmap_lists_over_32_items_are_refused),
		T(test_badinput_rmap_next_priority_must_follow_priority),
		T(test_badinput_rmap_deny_entry_cannot_change_routes),
		T(test_badinput_bwp_connection_over_package_is_refused),
		T(test_badinput_bwp_connections_sum_over_package_is_refused),
		T(test_badinput_bwp_cannot_shrink_below_its_connections),
		T(test_badinput_path_to_unknown_attachment_is_refused),
		T(test_badinput_bgp_path_to_vpc_is_refused),
		T(test_badinput_rmap_naming_missing_instance_is_refused),
		T(test_badinput_table_route_to_missing_attachment_is_refused),
		T(test_badinput_vlan_out_of_range_is_refused),
		T(test_badinput_duplicate_vlan_on_physical_connection_is_refused),
		T(test_badinput_overlapping_routes_cannot_be_turned_off),
		T(test_badinput_custom_route_100_64_0_0_10_is_refused),
		T(test_badinput_health_threshold_and_interval_out_of_range),
		T(test_badinput_peer_asn_65025_and_0_are_refused),
		T(test_badinput_nine_peers_on_a_vbr_are_refused),
		T(test_badinput_system_table_cannot_change),
		T(test_badinput_delete_region_in_use_is_refused),
		T(test_badinput_delete_table_in_use_is_refused),
		T(test_badinput_delete_physical_connection_in_use_is_refused),
		T(test_badinput_delete_attachment_in_use_is_refused),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
