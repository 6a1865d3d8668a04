/*
 * test_engine_rules.c - the routing rules of ROUTING.md, checked through the
 * engine's public API (core/engine.h): one or more tests per rule, each
 * asserting on what an operator sees - route and view listings with their
 * states and reasons, FIB lookups, the FIB deltas the engine emits, the
 * errors a refused command returns.
 *
 * Every test builds its CEN with the small builders at the top (a model
 * kept in the fixture and applied with engine_apply, or engine_put_*
 * single-object commands) and feeds BGP paths with engine_path_add.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/attr.h"
#include "core/engine.h"
#include "core/err.h"
#include "core/model.h"
#include "core/prefix.h"

#include <cmocka.h>

/* ---- fixture --------------------------------------------------------- */

/* One FIB change as the delta callback reported it. */
struct delta_rec {
	char region[MODEL_ID_MAX];
	char table[MODEL_ID_MAX];
	char view[MODEL_ID_MAX]; /* "" for a table's own FIB */
	struct prefix prefix;
	bool withdrawn; /* nhg NULL */
	char nhg[256];
};

struct fx {
	struct engine *e;
	struct model m; /* the desired configuration; commit() applies it */
	struct cen_err err;
	unsigned vlan;
	struct delta_rec *d;
	size_t nd, capd;
	size_t mark; /* deltas_reset: "since" queries start here */
	char buf[512];
};

#define PEER_DEFAULT "192.0.2.1"

static void
on_delta(const struct engine_delta *d, void *arg)
{
	struct fx *f = arg;
	struct delta_rec *r;

	if (f->nd == f->capd) {
		f->capd = f->capd ? f->capd * 2 : 256;
		f->d = realloc(f->d, f->capd * sizeof(*f->d));
		assert_non_null(f->d);
	}
	r = &f->d[f->nd++];
	memset(r, 0, sizeof(*r));
	snprintf(r->region, sizeof(r->region), "%s", d->region);
	snprintf(r->table, sizeof(r->table), "%s", d->table);
	snprintf(r->view, sizeof(r->view), "%s", d->view ? d->view : "");
	r->prefix = d->prefix;
	r->withdrawn = d->nhg == NULL;
	if (d->nhg != NULL)
		engine_nhg_fmt(d->nhg, r->nhg, sizeof(r->nhg));
}

static void
model_start(struct model *m)
{
	model_init(m);
	m->has_cen = true;
	model_cen_defaults(&m->cen);
	snprintf(m->cen.id, sizeof(m->cen.id), "cen1");
}

static struct fx *
fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->e = engine_new();
	assert_non_null(f->e);
	model_start(&f->m);
	f->vlan = 100;
	engine_set_delta_cb(f->e, on_delta, f);
	return f;
}

static void
fx_free(struct fx *f)
{
	engine_free(f->e);
	model_free(&f->m);
	free(f->d);
	free(f);
}

/* ---- FIB deltas replayed against engine_fib_walk ----------------------------------- */

struct fib_line {
	char s[512];
};

struct fib_lines {
	struct fib_line *v;
	size_t n, cap;
};

static void
fib_lines_put(struct fib_lines *l, const char *region, const char *table,
	      const char *view_id, const struct prefix *p, const char *nhg)
{
	char pb[PREFIX_STRLEN];

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	snprintf(l->v[l->n++].s, sizeof(l->v[0].s), "%s %s %s %s -> %s", region,
		 table, view_id[0] ? view_id : "(table)",
		 prefix_fmt(p, pb, sizeof(pb)), nhg);
}

static void
walk_cb(const struct engine_delta *d, void *arg)
{
	char nb[256];

	fib_lines_put(arg, d->region, d->table, d->view ? d->view : "",
		      &d->prefix, engine_nhg_fmt(d->nhg, nb, sizeof(nb)));
}

static int
line_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fib_line *)a)->s,
		      ((const struct fib_line *)b)->s);
}

/* Replays every delta since the fixture began and compares the result with
 * engine_fib_walk. */
static bool
fib_consistent(struct fx *f)
{
	struct fib_lines walk = { 0 }, replay = { 0 };

	assert_int_equal(engine_fib_walk(f->e, NULL, walk_cb, &walk), 0);
	for (size_t i = 0; i < f->nd; i++) {
		const struct delta_rec *d = &f->d[i];
		size_t k;

		/* the last delta for a key wins */
		for (k = i + 1; k < f->nd; k++)
			if (strcmp(f->d[k].region, d->region) == 0 &&
			    strcmp(f->d[k].table, d->table) == 0 &&
			    strcmp(f->d[k].view, d->view) == 0 &&
			    prefix_equal(&f->d[k].prefix, &d->prefix))
				break;
		if (k < f->nd || d->withdrawn)
			continue;
		fib_lines_put(&replay, d->region, d->table, d->view, &d->prefix,
			      d->nhg);
	}
	if (walk.n > 0)
		qsort(walk.v, walk.n, sizeof(walk.v[0]), line_cmp);
	if (replay.n > 0)
		qsort(replay.v, replay.n, sizeof(replay.v[0]), line_cmp);
	bool same = walk.n == replay.n;

	for (size_t i = 0; same && i < walk.n; i++)
		same = strcmp(walk.v[i].s, replay.v[i].s) == 0;
	if (!same) {
		fprintf(stderr, "---- engine_fib_walk ----\n");
		for (size_t i = 0; i < walk.n; i++)
			fprintf(stderr, "%s\n", walk.v[i].s);
		fprintf(stderr, "---- replayed deltas ----\n");
		for (size_t i = 0; i < replay.n; i++)
			fprintf(stderr, "%s\n", replay.v[i].s);
	}
	free(walk.v);
	free(replay.v);
	return same;
}

#define expect_fib_consistent(f)                                               \
	do {                                                                   \
		if (!fib_consistent(f))                                        \
			fail_msg("line %d: FIB deltas disagree with "          \
				 "engine_fib_walk",                            \
				 __LINE__);                                    \
	} while (0)

static int
fx_setup(void **state)
{
	*state = fx_new();
	return 0;
}

/* Every test ends with a FIB that its deltas describe exactly. */
static int
fx_teardown(void **state)
{
	struct fx *f = *state;
	bool ok = fib_consistent(f);

	if (!ok)
		fprintf(stderr, "teardown: FIB deltas disagree with "
				"engine_fib_walk\n");
	fx_free(f);
	return ok ? 0 : -1;
}

static void
dump_state(struct fx *f)
{
	char *s = engine_dump(f->e);

	fprintf(stderr, "---- engine state ----\n%s----\n", s ? s : "");
	free(s);
}

static struct prefix
pfx(const char *s)
{
	struct prefix p;

	if (prefix_parse(&p, s, true) != 0)
		fail_msg("bad prefix in test: %s", s);
	return p;
}

/* ---- configuration builders (on f->m) --------------------------------- */

/* The fixture's model follows the engine's after a refused change. */
static void
sync_model(struct fx *f)
{
	const struct model *cur = engine_model(f->e);

	model_free(&f->m);
	if (!cur->has_cen) {
		model_start(&f->m);
		return;
	}
	assert_int_equal(model_clone(&f->m, cur), 0);
}

#define commit(f)	  commit_at(f, __LINE__, true)
#define commit_nodrain(f) commit_at(f, __LINE__, false)

static void
commit_at(struct fx *f, int line, bool drain)
{
	int rc = engine_apply(f->e, &f->m, &f->err);

	if (rc != 0)
		fail_msg("line %d: engine_apply failed (%d): %s", line, rc,
			 f->err.msg);
	if (drain)
		engine_drain(f->e);
}

/* Applies f->m; on refusal the fixture's model is reset to the engine's. */
static int
try_commit(struct fx *f)
{
	int rc = engine_apply(f->e, &f->m, &f->err);

	if (rc != 0)
		sync_model(f);
	else
		engine_drain(f->e);
	return rc;
}

/* A region with its system table "rt-<region>". */
static void
add_region(struct fx *f, const char *id)
{
	struct model_region r = { 0 };
	struct model_table t;

	snprintf(r.id, sizeof(r.id), "%s", id);
	assert_int_equal(model_put_region(&f->m, &r), 0);
	model_table_defaults(&t);
	snprintf(t.id, sizeof(t.id), "rt-%s", id);
	snprintf(t.region, sizeof(t.region), "%s", id);
	t.system = true;
	assert_int_equal(model_put_table(&f->m, &t), 0);
}

static void
add_table(struct fx *f, const char *id, const char *region)
{
	struct model_table t;

	model_table_defaults(&t);
	snprintf(t.id, sizeof(t.id), "%s", id);
	snprintf(t.region, sizeof(t.region), "%s", region);
	assert_int_equal(model_put_table(&f->m, &t), 0);
}

static struct model_table *
table_cfg(struct fx *f, const char *id)
{
	struct model_table *t =
		(struct model_table *)model_find_table(&f->m, id);

	if (t == NULL)
		fail_msg("no table %s in the test model", id);
	return t;
}

static struct model_attachment *
att(struct fx *f, const char *id)
{
	struct model_attachment *a =
		(struct model_attachment *)model_find_attachment(&f->m, id);

	if (a == NULL)
		fail_msg("no attachment %s in the test model", id);
	return a;
}

/* A VPC with space-separated vSwitch CIDRs. */
static void
add_vpc(struct fx *f, const char *id, const char *region, const char *cidrs)
{
	struct model_attachment a;
	struct prefix v[16];
	char tmp[512], *save = NULL;
	size_t n = 0;

	snprintf(tmp, sizeof(tmp), "%s", cidrs);
	for (char *s = strtok_r(tmp, " ", &save); s != NULL && n < 16;
	     s = strtok_r(NULL, " ", &save))
		v[n++] = pfx(s);
	model_attachment_defaults(&a);
	snprintf(a.id, sizeof(a.id), "%s", id);
	snprintf(a.region, sizeof(a.region), "%s", region);
	a.type = MODEL_ATT_VPC;
	a.vswitch_cidrs = v;
	a.nvswitch = n;
	assert_int_equal(model_put_attachment(&f->m, &a), 0);
}

/* A VBR on the region's physical connection "pc-<region>" (created on
 * first use), with its own VLAN. */
static void
add_vbr(struct fx *f, const char *id, const char *region)
{
	struct model_attachment a;
	char pcid[MODEL_ID_MAX];

	snprintf(pcid, sizeof(pcid), "pc-%s", region);
	if (model_find_pc(&f->m, pcid) == NULL) {
		struct model_pc pc = { 0 };

		snprintf(pc.id, sizeof(pc.id), "%s", pcid);
		snprintf(pc.region, sizeof(pc.region), "%s", region);
		snprintf(pc.access_point, sizeof(pc.access_point), "ap-%s",
			 region);
		pc.speed_gbps = 10;
		assert_int_equal(model_put_pc(&f->m, &pc), 0);
	}
	model_attachment_defaults(&a);
	snprintf(a.id, sizeof(a.id), "%s", id);
	snprintf(a.region, sizeof(a.region), "%s", region);
	a.type = MODEL_ATT_VBR;
	snprintf(a.physical_connection, sizeof(a.physical_connection), "%s",
		 pcid);
	a.vlan = (uint16_t)f->vlan++;
	a.bandwidth_mbps = 100;
	assert_int_equal(model_put_attachment(&f->m, &a), 0);
}

/* A VPN or CCN attachment (routes like a VBR, no circuit). */
static void
add_gw(struct fx *f, const char *id, uint8_t type, const char *region)
{
	struct model_attachment a;

	model_attachment_defaults(&a);
	snprintf(a.id, sizeof(a.id), "%s", id);
	snprintf(a.region, sizeof(a.region), "%s", region);
	a.type = type;
	assert_int_equal(model_put_attachment(&f->m, &a), 0);
}

/* A VPC custom route (published or not) or a VBR/VPN/CCN static route. */
static void
add_route(struct fx *f, const char *att_id, const char *prefix, uint8_t nh_type,
	  const char *nh_id, bool publish)
{
	struct model_attachment *a = att(f, att_id);
	struct model_route *r;

	a->routes = realloc(a->routes, (a->nroutes + 1) * sizeof(*r));
	assert_non_null(a->routes);
	r = &a->routes[a->nroutes++];
	memset(r, 0, sizeof(*r));
	r->prefix = pfx(prefix);
	model_nexthop_defaults(&r->nh);
	r->nh.type = nh_type;
	if (nh_id != NULL)
		snprintf(r->nh.id, sizeof(r->nh.id), "%s", nh_id);
	r->publish = publish;
}

static void
add_static(struct fx *f, const char *att_id, const char *prefix)
{
	add_route(f, att_id, prefix, MODEL_NH_UNSPECIFIED, NULL, false);
}

static void
del_route(struct fx *f, const char *att_id, const char *prefix)
{
	struct model_attachment *a = att(f, att_id);
	struct prefix p = pfx(prefix);

	for (size_t i = 0; i < a->nroutes; i++) {
		if (!prefix_equal(&a->routes[i].prefix, &p))
			continue;
		memmove(&a->routes[i], &a->routes[i + 1],
			(a->nroutes - i - 1) * sizeof(a->routes[0]));
		a->nroutes--;
		return;
	}
	fail_msg("%s has no route %s", att_id, prefix);
}

/* A static route of a hub table; nhs "vbr1*3 vbr2" (weight after '*'), or
 * NULL for a blackhole. */
static void
add_table_route(struct fx *f, const char *table, const char *prefix,
		const char *nhs)
{
	struct model_table_route r;
	char tmp[512], *save = NULL;

	memset(&r, 0, sizeof(r));
	snprintf(r.table, sizeof(r.table), "%s", table);
	r.prefix = pfx(prefix);
	if (nhs == NULL) {
		r.blackhole = true;
	} else {
		snprintf(tmp, sizeof(tmp), "%s", nhs);
		for (char *s = strtok_r(tmp, " ", &save); s != NULL;
		     s = strtok_r(NULL, " ", &save)) {
			struct model_nexthop *nh = &r.nh[r.nnh++];
			char *star = strchr(s, '*');

			model_nexthop_defaults(nh);
			nh->type = MODEL_NH_ATTACHMENT;
			if (star != NULL) {
				*star = '\0';
				nh->weight = (uint8_t)atoi(star + 1);
			}
			snprintf(nh->id, sizeof(nh->id), "%s", s);
		}
	}
	assert_int_equal(model_put_table_route(&f->m, &r), 0);
}

/* A route-map entry of the region's system table with defaults. */
static struct model_rmap
rm(const char *region, uint8_t dir, uint8_t prio, uint8_t action)
{
	struct model_rmap r;

	model_rmap_defaults(&r);
	snprintf(r.region, sizeof(r.region), "%s", region);
	r.direction = dir;
	r.priority = prio;
	r.action = action;
	return r;
}

static void
put_rmap(struct fx *f, const struct model_rmap *r)
{
	assert_int_equal(model_put_rmap(&f->m, r), 0);
}

/* Space-separated lists into route-map condition fields. */
static void
set_ids(model_id *v, uint8_t *n, const char *s)
{
	char tmp[2048], *save = NULL;

	*n = 0;
	snprintf(tmp, sizeof(tmp), "%s", s);
	for (char *t = strtok_r(tmp, " ", &save);
	     t != NULL && *n < MODEL_LIST_MAX; t = strtok_r(NULL, " ", &save))
		snprintf(v[(*n)++], MODEL_ID_MAX, "%s", t);
}

static void
set_cidrs(struct prefix *v, uint8_t *n, const char *s)
{
	char tmp[2048], *save = NULL;

	*n = 0;
	snprintf(tmp, sizeof(tmp), "%s", s);
	for (char *t = strtok_r(tmp, " ", &save);
	     t != NULL && *n < MODEL_LIST_MAX; t = strtok_r(NULL, " ", &save))
		v[(*n)++] = pfx(t);
}

static void
set_asns(uint32_t *v, uint8_t *n, const char *s)
{
	char tmp[2048], *save = NULL;

	*n = 0;
	snprintf(tmp, sizeof(tmp), "%s", s);
	for (char *t = strtok_r(tmp, " ", &save); t != NULL;
	     t = strtok_r(NULL, " ", &save))
		v[(*n)++] = (uint32_t)strtoul(t, NULL, 10);
}

static void
set_comms(uint32_t *v, uint8_t *n, const char *s)
{
	char tmp[2048], *save = NULL;

	*n = 0;
	snprintf(tmp, sizeof(tmp), "%s", s);
	for (char *t = strtok_r(tmp, " ", &save); t != NULL;
	     t = strtok_r(NULL, " ", &save))
		assert_int_equal(attr_comm_parse(t, &v[(*n)++]), 0);
}

/* ---- paths ----------------------------------------------------------- */

/* Interned attributes from "65001 65002 {65003,65004}" and
 * "65000:1 65000:2" (either may be NULL); the caller unrefs. */
static const struct attrs *
mkattrs(struct fx *f, const char *aspath, const char *comms)
{
	struct attr_store *st = engine_attrs(f->e);
	uint32_t words[256], cv[64], seq[64];
	uint32_t nw = 0, nc = 0, ns = 0;
	struct attrs a;
	const struct attrs *ia;
	char tmp[512], *save = NULL;

	attr_init(&a);
	if (aspath != NULL) {
		snprintf(tmp, sizeof(tmp), "%s", aspath);
		for (char *t = strtok_r(tmp, " ", &save); t != NULL;
		     t = strtok_r(NULL, " ", &save)) {
			if (t[0] != '{') {
				seq[ns++] = (uint32_t)strtoul(t, NULL, 10);
				continue;
			}
			if (ns > 0) {
				words[nw++] = ATTR_SEG_SEQUENCE;
				words[nw++] = ns;
				memcpy(&words[nw], seq, ns * sizeof(seq[0]));
				nw += ns;
				ns = 0;
			}
			uint32_t at = nw;
			char *p = t + 1;

			words[nw++] = ATTR_SEG_SET;
			words[nw++] = 0;
			while (*p != '\0' && *p != '}') {
				words[nw++] = (uint32_t)strtoul(p, &p, 10);
				words[at + 1]++;
				if (*p == ',')
					p++;
			}
		}
		if (ns > 0) {
			words[nw++] = ATTR_SEG_SEQUENCE;
			words[nw++] = ns;
			memcpy(&words[nw], seq, ns * sizeof(seq[0]));
			nw += ns;
		}
		assert_int_equal(attr_aspath_check(words, nw), 0);
		a.aspath = attr_aspath_intern(st, words, nw);
	}
	if (comms != NULL) {
		uint8_t n8 = 0;

		set_comms(cv, &n8, comms);
		nc = n8;
		a.comms = attr_comms_intern(st, cv, nc);
	}
	ia = attr_intern(st, &a);
	assert_non_null(ia);
	attr_aspath_unref(st, a.aspath);
	attr_comms_unref(st, a.comms);
	return ia;
}

static void
bgp_from(struct fx *f, const char *att_id, const char *peer, const char *prefix,
	 const char *aspath, const char *comms)
{
	struct engine_path_in in = { 0 };
	int rc;

	in.attachment = att_id;
	assert_int_equal(prefix_parse_addr(&in.peer, peer), 0);
	in.node = 1;
	in.prefix = pfx(prefix);
	in.attrs = mkattrs(f, aspath, comms);
	rc = engine_path_add(f->e, &in, &f->err);
	if (rc != 0)
		fail_msg("engine_path_add %s %s: %s", att_id, prefix,
			 f->err.msg);
	attr_unref(engine_attrs(f->e), in.attrs);
	engine_drain(f->e);
}

static void
bgp(struct fx *f, const char *att_id, const char *prefix, const char *aspath,
    const char *comms)
{
	bgp_from(f, att_id, PEER_DEFAULT, prefix, aspath, comms);
}

static void
withdraw_from(struct fx *f, const char *att_id, const char *peer_addr,
	      const char *prefix)
{
	struct prefix peer, p = pfx(prefix);

	assert_int_equal(prefix_parse_addr(&peer, peer_addr), 0);
	if (engine_path_del(f->e, att_id, &peer, &p, &f->err) != 0)
		fail_msg("engine_path_del %s %s: %s", att_id, prefix,
			 f->err.msg);
	engine_drain(f->e);
}

static void
withdraw(struct fx *f, const char *att_id, const char *prefix)
{
	withdraw_from(f, att_id, PEER_DEFAULT, prefix);
}

/* ---- reads ----------------------------------------------------------- */

/* A path as listed, copied out of the listing callback. */
struct rt {
	bool found;
	int count; /* paths of the prefix matching the source filter */
	uint8_t state, reason, prio, route_type, origin_type, pref;
	bool table_static;
	char source_region[MODEL_ID_MAX];
	char as[256], comm[256], nh[256];
	const struct attrs *attrs; /* valid until the next change */
};

struct rt_query {
	struct prefix prefix;
	char source[MODEL_ID_MAX]; /* "" matches any source */
	uint8_t origin;		   /* 0: any route type at the source */
	int table_static;	   /* -1: either */
	struct rt out;
};

/* source: "vbr1", "vbr1#BGP" / "vbr1#Custom" / "vbr1#System" (route type
 * at the source), "vbr1#table" (a static route of the table). */
static void
query_init(struct rt_query *q, const char *prefix, const char *source)
{
	char *hash;

	memset(q, 0, sizeof(*q));
	q->prefix = pfx(prefix);
	q->table_static = -1;
	snprintf(q->source, sizeof(q->source), "%s", source ? source : "");
	hash = strchr(q->source, '#');
	if (hash == NULL)
		return;
	*hash++ = '\0';
	if (strcmp(hash, "table") == 0) {
		q->table_static = 1;
		return;
	}
	q->origin = model_route_type_parse(hash);
	q->table_static = 0;
	assert_int_not_equal(q->origin, 0);
}

static int
rt_cb(const struct engine_route *r, void *arg)
{
	struct rt_query *q = arg;
	struct rt *o = &q->out;

	if (!prefix_equal(&r->prefix, &q->prefix))
		return 0;
	if (q->source[0] != '\0' && strcmp(r->source, q->source) != 0)
		return 0;
	if (q->origin != 0 && r->origin_type != q->origin)
		return 0;
	if (q->table_static >= 0 && r->table_static != (q->table_static == 1))
		return 0;
	o->count++;
	if (o->found)
		return 0;
	o->found = true;
	o->state = r->state;
	o->reason = r->reason;
	o->prio = r->rmap_priority;
	o->route_type = r->route_type;
	o->origin_type = r->origin_type;
	o->table_static = r->table_static;
	o->pref = r->attrs->pref;
	o->attrs = r->attrs;
	snprintf(o->source_region, sizeof(o->source_region), "%s",
		 r->source_region);
	attr_aspath_fmt(r->attrs->aspath, o->as, sizeof(o->as));
	attr_comms_fmt(r->attrs->comms, o->comm, sizeof(o->comm));
	engine_nhg_fmt(r->nhg, o->nh, sizeof(o->nh));
	return 0;
}

/* A path of a table. */
static struct rt
route(struct fx *f, const char *table, const char *prefix, const char *source)
{
	struct rt_query q;
	int rc;

	query_init(&q, prefix, source);
	rc = engine_route_list(f->e, NULL, table, &q.prefix, true, rt_cb, &q);
	assert_int_equal(rc, 0);
	return q.out;
}

/* A path as an attachment has learned it. */
static struct rt
view(struct fx *f, const char *att_id, const char *prefix, const char *source)
{
	struct rt_query q;
	int rc;

	query_init(&q, prefix, source);
	rc = engine_view_list(f->e, att_id, &q.prefix, rt_cb, &q);
	assert_int_equal(rc, 0);
	return q.out;
}

static void
expect_rt_at(struct fx *f, struct rt r, const char *what, const char *where,
	     const char *prefix, const char *source, const char *state,
	     const char *reason, int line)
{
	if (!r.found) {
		dump_state(f);
		fail_msg("line %d: %s %s: %s from %s is not listed", line, what,
			 where, prefix, source);
	}
	if (strcmp(engine_state_str(r.state), state) != 0 ||
	    strcmp(engine_reason_str(r.reason), reason) != 0) {
		dump_state(f);
		fail_msg("line %d: %s %s: %s from %s is %s (%s), want %s (%s)",
			 line, what, where, prefix, source,
			 engine_state_str(r.state), engine_reason_str(r.reason),
			 state, reason);
	}
}

#define expect_route(f, table, prefix, source, state, reason)                  \
	expect_rt_at(f, route(f, table, prefix, source), "table", table,       \
		     prefix, source, state, reason, __LINE__)
#define expect_view(f, att_id, prefix, source, state, reason)                  \
	expect_rt_at(f, view(f, att_id, prefix, source), "view of", att_id,    \
		     prefix, source, state, reason, __LINE__)

#define expect_no_route(f, table, prefix, source)                              \
	do {                                                                   \
		if (route(f, table, prefix, source).found) {                   \
			dump_state(f);                                         \
			fail_msg("line %d: %s still lists %s from %s",         \
				 __LINE__, table, prefix, source);             \
		}                                                              \
	} while (0)

/* The next hops traffic from att to addr follows: "vbr1, vbr2",
 * "region:hz", or "miss". */
static const char *
lookup(struct fx *f, const char *att_id, const char *addr)
{
	struct prefix dst = pfx(addr), matched;
	const struct engine_nhg *g;

	g = engine_fib_lookup(f->e, att_id, &dst, &matched);
	if (g == NULL)
		return "miss";
	return engine_nhg_fmt(g, f->buf, sizeof(f->buf));
}

#define expect_lookup(f, att_id, addr, want)                                   \
	do {                                                                   \
		const char *got_ = lookup(f, att_id, addr);                    \
		if (strcmp(got_, want) != 0) {                                 \
			dump_state(f);                                         \
			fail_msg("line %d: from %s to %s: got %s, want %s",    \
				 __LINE__, att_id, addr, got_, want);          \
		}                                                              \
	} while (0)

static void
deltas_reset(struct fx *f)
{
	f->mark = f->nd;
}

/* The last delta for (table, view, prefix) since the last reset, or NULL. */
static const struct delta_rec *
last_delta(struct fx *f, const char *table, const char *view_id,
	   const char *prefix)
{
	struct prefix p = pfx(prefix);

	for (size_t i = f->nd; i-- > f->mark;) {
		const struct delta_rec *d = &f->d[i];

		if (strcmp(d->table, table) == 0 &&
		    strcmp(d->view, view_id ? view_id : "") == 0 &&
		    prefix_equal(&d->prefix, &p))
			return d;
	}
	return NULL;
}

/* ---- ROUTING.md "Route maps": evaluation order ------------------------ */

static void
test_routemap_permit_stops_without_next_priority(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;
	struct rt x;

	add_region(f, "hz");
	add_vpc(f, "vpc-a", "hz", "192.168.1.0/24");
	add_vbr(f, "vbr1", "hz");
	commit(f);
	bgp(f, "vbr1", "10.1.0.0/16", "65001", NULL);
	bgp(f, "vbr1", "10.2.0.0/16", "65001", NULL);

	/* 10 permits 10.1/16 and stops there: 20 never sees it */
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_PERMIT);
	set_cidrs(r.cidrs, &r.ncidrs, "10.1.0.0/16");
	r.set_pref = 20;
	put_rmap(f, &r);
	r = rm("hz", MODEL_DIR_IN, 20, MODEL_ACTION_DENY);
	set_ids(r.src_instances, &r.nsrc_instances, "vbr1");
	put_rmap(f, &r);
	commit(f);

	expect_route(f, "rt-hz", "10.1.0.0/16", "vbr1", "Active", "");
	x = route(f, "rt-hz", "10.1.0.0/16", "vbr1");
	assert_int_equal(x.pref, 20);
	expect_route(f, "rt-hz", "10.2.0.0/16", "vbr1", "Rejected",
		     "route-map-deny");
	assert_int_equal(route(f, "rt-hz", "10.2.0.0/16", "vbr1").prio, 20);
	expect_lookup(f, "vpc-a", "10.1.1.1", "vbr1");
	expect_lookup(f, "vpc-a", "10.2.1.1", "miss");
}

static void
test_routemap_lower_priority_evaluated_first(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	add_region(f, "hz");
	add_vbr(f, "vbr1", "hz");
	commit(f);
	bgp(f, "vbr1", "10.1.0.0/16", "65001", NULL);

	/* written in the "wrong" order: 90 first, then 5 */
	r = rm("hz", MODEL_DIR_IN, 90, MODEL_ACTION_DENY);
	put_rmap(f, &r);
	r = rm("hz", MODEL_DIR_IN, 5, MODEL_ACTION_PERMIT);
	r.set_pref = 10;
	put_rmap(f, &r);
	commit(f);

	expect_route(f, "rt-hz", "10.1.0.0/16", "vbr1", "Active", "");
	assert_int_equal(route(f, "rt-hz", "10.1.0.0/16", "vbr1").pref, 10);
}

static void
test_routemap_next_priority_continues(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;
	struct rt x;

	add_region(f, "hz");
	add_vpc(f, "vpc-a", "hz", "192.168.1.0/24");
	add_vbr(f, "vbr1", "hz");
	commit(f);
	bgp(f, "vbr1", "10.1.0.0/16", "65001", NULL);
	bgp(f, "vbr1", "10.2.0.0/16", "65001", NULL);
	bgp(f, "vbr1", "10.3.0.0/16", "65001", NULL);
	bgp(f, "vbr1", "11.0.0.0/8", "65001", NULL);

	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_PERMIT);
	set_cidrs(r.cidrs, &r.ncidrs, "10.0.0.0/8");
	r.set_pref = 20;
	r.next_priority = 30;
	put_rmap(f, &r);
	/* skipped by the jump from 10 to 30 */
	r = rm("hz", MODEL_DIR_IN, 20, MODEL_ACTION_DENY);
	set_cidrs(r.cidrs, &r.ncidrs, "10.0.0.0/8");
	put_rmap(f, &r);
	r = rm("hz", MODEL_DIR_IN, 30, MODEL_ACTION_PERMIT);
	set_cidrs(r.cidrs, &r.ncidrs, "10.1.0.0/16");
	r.cidr_mode = MODEL_MATCH_COMPLETE;
	r.set_comm_mode = MODEL_COMM_ADDITIVE;
	set_comms(r.set_comms, &r.nset_comms, "65000:30");
	put_rmap(f, &r);
	r = rm("hz", MODEL_DIR_IN, 40, MODEL_ACTION_DENY);
	set_cidrs(r.cidrs, &r.ncidrs, "10.2.0.0/16");
	r.cidr_mode = MODEL_MATCH_COMPLETE;
	put_rmap(f, &r);
	commit(f);

	/* 10 (pref 20) -> 30 (community) -> stop */
	x = route(f, "rt-hz", "10.1.0.0/16", "vbr1");
	expect_route(f, "rt-hz", "10.1.0.0/16", "vbr1", "Active", "");
	assert_int_equal(x.pref, 20);
	assert_string_equal(x.comm, "65000:30");
	/* 10 -> 30 (no match) -> 40 denies */
	expect_route(f, "rt-hz", "10.2.0.0/16", "vbr1", "Rejected",
		     "route-map-deny");
	assert_int_equal(route(f, "rt-hz", "10.2.0.0/16", "vbr1").prio, 40);
	/* 10 -> nothing further matches: permitted with 10's change; the
	 * Deny at 20 was jumped over */
	x = route(f, "rt-hz", "10.3.0.0/16", "vbr1");
	expect_route(f, "rt-hz", "10.3.0.0/16", "vbr1", "Active", "");
	assert_int_equal(x.pref, 20);
	assert_string_equal(x.comm, "");
	/* matches nothing at all */
	x = route(f, "rt-hz", "11.0.0.0/8", "vbr1");
	assert_int_equal(x.pref, ATTR_PREF_DEFAULT);
	expect_lookup(f, "vpc-a", "10.3.0.1", "vbr1");
	expect_lookup(f, "vpc-a", "10.2.0.1", "miss");
}

static void
test_routemap_no_match_permits_unchanged(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;
	const struct attrs *in;
	struct engine_path_in p = { 0 };
	struct rt x;

	add_region(f, "hz");
	add_vbr(f, "vbr1", "hz");
	add_vbr(f, "vbr2", "hz");
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	set_cidrs(r.cidrs, &r.ncidrs, "99.0.0.0/8");
	put_rmap(f, &r);
	r = rm("hz", MODEL_DIR_IN, 20, MODEL_ACTION_PERMIT);
	set_ids(r.src_instances, &r.nsrc_instances, "vbr2");
	r.set_pref = 10;
	r.set_comm_mode = MODEL_COMM_REPLACE;
	set_comms(r.set_comms, &r.nset_comms, "65000:99");
	put_rmap(f, &r);
	r = rm("hz", MODEL_DIR_OUT, 10, MODEL_ACTION_DENY);
	set_comms(r.comms, &r.ncomms, "65000:66");
	put_rmap(f, &r);
	commit(f);

	in = mkattrs(f, "65001 65002", "65000:1 65000:2");
	p.attachment = "vbr1";
	assert_int_equal(prefix_parse_addr(&p.peer, PEER_DEFAULT), 0);
	p.prefix = pfx("10.1.0.0/16");
	p.attrs = in;
	assert_int_equal(engine_path_add(f->e, &p, &f->err), 0);
	engine_drain(f->e);

	x = route(f, "rt-hz", "10.1.0.0/16", "vbr1");
	expect_route(f, "rt-hz", "10.1.0.0/16", "vbr1", "Active", "");
	/* the very same attribute set: nothing was changed */
	assert_ptr_equal(x.attrs, in);
	assert_int_equal(x.pref, ATTR_PREF_DEFAULT);
	assert_string_equal(x.as, "65001 65002");
	assert_string_equal(x.comm, "65000:1 65000:2");
	x = view(f, "vbr2", "10.1.0.0/16", "vbr1");
	expect_view(f, "vbr2", "10.1.0.0/16", "vbr1", "Active", "");
	assert_ptr_equal(x.attrs, in);
	attr_unref(engine_attrs(f->e), in);
}

/* "A pattern of deny all at 100, permit pairs at 50 must work as written":
 * two business units, each a VPC plus its data centre's VBR, isolated from
 * each other; both reach a shared-services VPC. */
static void
test_routemap_deny_all_at_100_permit_pairs_at_50(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	add_region(f, "hz");
	add_vpc(f, "vpc-bu1", "hz", "10.1.0.0/16");
	add_vpc(f, "vpc-bu2", "hz", "10.2.0.0/16");
	add_vpc(f, "vpc-shared", "hz", "10.9.0.0/16");
	add_vbr(f, "vbr-dc1", "hz");
	add_vbr(f, "vbr-dc2", "hz");
	commit(f);
	bgp(f, "vbr-dc1", "172.16.0.0/16", "65001", NULL);
	bgp(f, "vbr-dc2", "172.17.0.0/16", "65002", NULL);

	r = rm("hz", MODEL_DIR_OUT, 50, MODEL_ACTION_PERMIT);
	set_ids(r.src_instances, &r.nsrc_instances, "vpc-bu1 vbr-dc1");
	set_ids(r.dst_instances, &r.ndst_instances,
		"vpc-bu1 vbr-dc1 vpc-shared");
	put_rmap(f, &r);
	r = rm("hz", MODEL_DIR_OUT, 51, MODEL_ACTION_PERMIT);
	set_ids(r.src_instances, &r.nsrc_instances, "vpc-bu2 vbr-dc2");
	set_ids(r.dst_instances, &r.ndst_instances,
		"vpc-bu2 vbr-dc2 vpc-shared");
	put_rmap(f, &r);
	r = rm("hz", MODEL_DIR_OUT, 52, MODEL_ACTION_PERMIT);
	set_ids(r.src_instances, &r.nsrc_instances, "vpc-shared");
	put_rmap(f, &r);
	r = rm("hz", MODEL_DIR_OUT, 100, MODEL_ACTION_DENY);
	put_rmap(f, &r);
	commit(f);

	/* BU1 */
	expect_lookup(f, "vpc-bu1", "172.16.0.1", "vbr-dc1");
	expect_lookup(f, "vpc-bu1", "10.9.0.1", "vpc-shared");
	expect_lookup(f, "vpc-bu1", "172.17.0.1", "miss");
	expect_lookup(f, "vpc-bu1", "10.2.0.1", "miss");
	expect_view(f, "vpc-bu1", "172.17.0.0/16", "vbr-dc2", "Rejected",
		    "route-map-deny");
	assert_int_equal(view(f, "vpc-bu1", "172.17.0.0/16", "vbr-dc2").prio,
			 100);
	expect_lookup(f, "vbr-dc1", "10.1.0.1", "vpc-bu1");
	expect_lookup(f, "vbr-dc1", "10.9.0.1", "vpc-shared");
	expect_lookup(f, "vbr-dc1", "10.2.0.1", "miss");
	/* BU2 */
	expect_lookup(f, "vpc-bu2", "172.17.0.1", "vbr-dc2");
	expect_lookup(f, "vpc-bu2", "10.9.0.1", "vpc-shared");
	expect_lookup(f, "vpc-bu2", "172.16.0.1", "miss");
	expect_lookup(f, "vpc-bu2", "10.1.0.1", "miss");
	expect_lookup(f, "vbr-dc2", "172.16.0.1", "miss");
	/* shared services reach both */
	expect_lookup(f, "vpc-shared", "172.16.0.1", "vbr-dc1");
	expect_lookup(f, "vpc-shared", "172.17.0.1", "vbr-dc2");
	expect_lookup(f, "vpc-shared", "10.1.0.1", "vpc-bu1");
	expect_lookup(f, "vpc-shared", "10.2.0.1", "vpc-bu2");
	/* the table itself is untouched: route maps shape what is
	 * advertised to each attachment */
	expect_route(f, "rt-hz", "172.17.0.0/16", "vbr-dc2", "Active", "");
}

/* A route map is keyed by (region, direction, route table): an entry of a
 * custom table acts on that table only. */
static void
test_routemap_keyed_by_route_table(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;
	struct model_attachment *a;

	add_region(f, "hz");
	add_table(f, "rt-x", "hz");
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	add_vpc(f, "vpc-x", "hz", "10.2.0.0/16");
	snprintf(att(f, "vpc-x")->route_table, MODEL_ID_MAX, "rt-x");
	add_vbr(f, "vbr1", "hz");
	a = att(f, "vbr1");
	snprintf(a->propagate[0], MODEL_ID_MAX, "rt-hz");
	snprintf(a->propagate[1], MODEL_ID_MAX, "rt-x");
	a->npropagate = 2;
	a->propagate_set = true;
	commit(f);
	bgp(f, "vbr1", "172.16.0.0/16", "65001", NULL);

	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	snprintf(r.route_table, sizeof(r.route_table), "rt-x");
	put_rmap(f, &r);
	/* the same priority under another key */
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_PERMIT);
	r.set_pref = 40;
	put_rmap(f, &r);
	commit(f);

	expect_route(f, "rt-x", "172.16.0.0/16", "vbr1", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Active", "");
	assert_int_equal(route(f, "rt-hz", "172.16.0.0/16", "vbr1").pref, 40);
	expect_lookup(f, "vpc-x", "172.16.0.1", "miss");
	expect_lookup(f, "vpc-a", "172.16.0.1", "vbr1");

	assert_int_equal(
		engine_del_rmap(f->e, "hz", MODEL_DIR_IN, "rt-x", 10, &f->err),
		0);
	engine_drain(f->e);
	sync_model(f);
	expect_lookup(f, "vpc-x", "172.16.0.1", "vbr1");
	assert_int_equal(route(f, "rt-hz", "172.16.0.0/16", "vbr1").pref, 40);
}

static void
test_routemap_priority_rules_validated(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	add_region(f, "hz");
	add_vbr(f, "vbr1", "hz");
	commit(f);

	r = rm("hz", MODEL_DIR_IN, 0, MODEL_ACTION_DENY);
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), -CEN_ERANGE);
	assert_non_null(strstr(f->err.msg, "1..100"));
	r = rm("hz", MODEL_DIR_IN, 101, MODEL_ACTION_DENY);
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), -CEN_ERANGE);

	/* unique per (region, direction, table) */
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	put_rmap(f, &r);
	f->m.rmaps = realloc(f->m.rmaps, (f->m.nrmaps + 1) * sizeof(r));
	assert_non_null(f->m.rmaps);
	f->m.rmaps[f->m.nrmaps++] = r;
	assert_int_equal(try_commit(f), -CEN_EEXIST);
	/* same priority, other direction: fine */
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	put_rmap(f, &r);
	r = rm("hz", MODEL_DIR_OUT, 10, MODEL_ACTION_DENY);
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), 0);

	/* next priority must follow; Deny cannot name one */
	r = rm("hz", MODEL_DIR_IN, 20, MODEL_ACTION_PERMIT);
	r.next_priority = 20;
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), -CEN_ERANGE);
	r = rm("hz", MODEL_DIR_IN, 20, MODEL_ACTION_DENY);
	r.next_priority = 30;
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), -CEN_EINVAL);

	/* condition lists hold at most 32 items */
	r = rm("hz", MODEL_DIR_IN, 20, MODEL_ACTION_DENY);
	for (unsigned i = 0; i < MODEL_LIST_MAX; i++)
		prefix_from_v4(&r.cidrs[i], (10u << 24) | (i << 16), 16);
	r.ncidrs = MODEL_LIST_MAX + 1;
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), -CEN_ETOOBIG);
	r.ncidrs = MODEL_LIST_MAX;
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), 0);
}

/* ---- route-map conditions, one test each ------------------------------ */

/* A table in region hz with VPCs vpc-a/vpc-b, VBRs vbr1/vbr2, and paths
 * 172.16/16 from vbr1, 172.17/16 from vbr2. */
static void
cond_world(struct fx *f)
{
	add_region(f, "hz");
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	add_vpc(f, "vpc-b", "hz", "10.2.0.0/16");
	add_vbr(f, "vbr1", "hz");
	add_vbr(f, "vbr2", "hz");
	commit(f);
	bgp(f, "vbr1", "172.16.0.0/16", "65001", NULL);
	bgp(f, "vbr2", "172.17.0.0/16", "65002", NULL);
}

static void
test_routemap_condition_source_region(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	add_region(f, "hz");
	add_region(f, "sh");
	add_region(f, "bj");
	add_vpc(f, "vpc-hz", "hz", "10.1.0.0/16");
	add_vpc(f, "vpc-sh", "sh", "10.2.0.0/16");
	add_vpc(f, "vpc-bj", "bj", "10.3.0.0/16");
	commit(f);
	expect_route(f, "rt-hz", "10.2.0.0/16", "vpc-sh", "Active", "");

	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	set_ids(r.src_regions, &r.nsrc_regions, "sh");
	put_rmap(f, &r);
	commit(f);

	expect_route(f, "rt-hz", "10.2.0.0/16", "vpc-sh", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "10.3.0.0/16", "vpc-bj", "Active", "");
	expect_route(f, "rt-hz", "10.1.0.0/16", "vpc-hz", "Active", "");
	expect_lookup(f, "vpc-hz", "10.2.0.1", "miss");
	expect_lookup(f, "vpc-hz", "10.3.0.1", "region:bj");
	/* only region hz's RegionIn: bj still learns sh's routes */
	expect_route(f, "rt-bj", "10.2.0.0/16", "vpc-sh", "Active", "");
}

static void
test_routemap_condition_source_instance(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	set_ids(r.src_instances, &r.nsrc_instances, "vbr1");
	put_rmap(f, &r);
	commit(f);

	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Rejected",
		     "route-map-deny");
	assert_int_equal(route(f, "rt-hz", "172.16.0.0/16", "vbr1").prio, 10);
	expect_route(f, "rt-hz", "172.17.0.0/16", "vbr2", "Active", "");
	expect_route(f, "rt-hz", "10.1.0.0/16", "vpc-a", "Active", "");
	expect_lookup(f, "vpc-a", "172.16.0.1", "miss");
	expect_lookup(f, "vpc-a", "172.17.0.1", "vbr2");
}

static void
test_routemap_condition_source_instance_inverse(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	/* deny everything not from vbr1 */
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	set_ids(r.src_instances, &r.nsrc_instances, "vbr1");
	r.src_instances_inverse = true;
	put_rmap(f, &r);
	commit(f);

	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "172.17.0.0/16", "vbr2", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "10.1.0.0/16", "vpc-a", "Rejected",
		     "route-map-deny");
	expect_lookup(f, "vpc-b", "172.16.0.1", "vbr1");
	expect_lookup(f, "vpc-b", "172.17.0.1", "miss");
}

static void
test_routemap_condition_destination_instance(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	r = rm("hz", MODEL_DIR_OUT, 10, MODEL_ACTION_DENY);
	set_ids(r.dst_instances, &r.ndst_instances, "vpc-a");
	put_rmap(f, &r);
	commit(f);

	expect_view(f, "vpc-a", "172.16.0.0/16", "vbr1", "Rejected",
		    "route-map-deny");
	expect_view(f, "vpc-a", "10.2.0.0/16", "vpc-b", "Rejected",
		    "route-map-deny");
	expect_view(f, "vpc-b", "172.16.0.0/16", "vbr1", "Active", "");
	expect_view(f, "vbr2", "172.16.0.0/16", "vbr1", "Active", "");
	expect_lookup(f, "vpc-a", "172.16.0.1", "miss");
	expect_lookup(f, "vpc-b", "172.16.0.1", "vbr1");
	/* RegionOut shapes views, not the table */
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Active", "");

	/* destination conditions are RegionOut only */
	r.direction = MODEL_DIR_IN;
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), -CEN_EINVAL);
	r = rm("hz", MODEL_DIR_IN, 20, MODEL_ACTION_DENY);
	set_ids(r.dst_tables, &r.ndst_tables, "rt-hz");
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), -CEN_EINVAL);
	r.ndst_tables = 0;
	r.dst_types[0] = MODEL_ATT_VPC;
	r.ndst_types = 1;
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), -CEN_EINVAL);
}

static void
test_routemap_condition_destination_instance_inverse(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	add_region(f, "sh");
	add_vpc(f, "vpc-sh", "sh", "10.9.0.0/16");
	commit(f);
	/* deny towards every local attachment except vpc-a */
	r = rm("hz", MODEL_DIR_OUT, 10, MODEL_ACTION_DENY);
	set_ids(r.src_instances, &r.nsrc_instances, "vbr1");
	set_ids(r.dst_instances, &r.ndst_instances, "vpc-a");
	r.dst_instances_inverse = true;
	put_rmap(f, &r);
	commit(f);

	expect_view(f, "vpc-a", "172.16.0.0/16", "vbr1", "Active", "");
	expect_view(f, "vpc-b", "172.16.0.0/16", "vbr1", "Rejected",
		    "route-map-deny");
	expect_view(f, "vbr2", "172.16.0.0/16", "vbr1", "Rejected",
		    "route-map-deny");
	expect_lookup(f, "vpc-a", "172.16.0.1", "vbr1");
	expect_lookup(f, "vpc-b", "172.16.0.1", "miss");
	/* destination instances name local attachments only: the export to
	 * region sh is not a destination instance */
	expect_route(f, "rt-sh", "172.16.0.0/16", "vbr1", "Active", "");
	expect_lookup(f, "vpc-sh", "172.16.0.1", "region:hz");
}

static void
test_routemap_condition_source_table(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;
	struct model_attachment *a;

	add_region(f, "hz");
	add_table(f, "rt-dc", "hz");
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	add_vbr(f, "vbr1", "hz");
	add_vbr(f, "vbr2", "hz");
	/* vbr2 is associated with rt-dc and propagates into rt-hz */
	a = att(f, "vbr2");
	snprintf(a->route_table, sizeof(a->route_table), "rt-dc");
	snprintf(a->propagate[0], sizeof(a->propagate[0]), "rt-hz");
	a->npropagate = 1;
	a->propagate_set = true;
	commit(f);
	bgp(f, "vbr1", "172.16.0.0/16", "65001", NULL);
	bgp(f, "vbr2", "172.17.0.0/16", "65002", NULL);
	expect_route(f, "rt-hz", "172.17.0.0/16", "vbr2", "Active", "");

	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	set_ids(r.src_tables, &r.nsrc_tables, "rt-dc");
	put_rmap(f, &r);
	commit(f);

	expect_route(f, "rt-hz", "172.17.0.0/16", "vbr2", "Rejected",
		     "route-map-deny");
	assert_int_equal(route(f, "rt-hz", "172.17.0.0/16", "vbr2").prio, 10);
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Active", "");
	expect_lookup(f, "vpc-a", "172.17.0.1", "miss");
	expect_lookup(f, "vpc-a", "172.16.0.1", "vbr1");

	/* the condition follows association changes: vbr1 joins rt-dc
	 * (still propagating into rt-hz), vbr2 leaves it */
	a = att(f, "vbr1");
	snprintf(a->route_table, sizeof(a->route_table), "rt-dc");
	snprintf(a->propagate[0], sizeof(a->propagate[0]), "rt-hz");
	a->npropagate = 1;
	a->propagate_set = true;
	a = att(f, "vbr2");
	snprintf(a->route_table, sizeof(a->route_table), "rt-hz");
	commit(f);
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "172.17.0.0/16", "vbr2", "Active", "");
	expect_lookup(f, "vpc-a", "172.16.0.1", "miss");
	expect_lookup(f, "vpc-a", "172.17.0.1", "vbr2");
}

/* Destination route tables (RegionOut only).  A table's RegionOut reaches
 * its own associated attachments (whose table is the map's table) and the
 * other regions, whose receiving table is their system table: naming
 * rt-sh therefore means "towards region sh".  This reading is ours: the
 * rule names the condition without saying what a remote destination's
 * table is; an operator naming a region's table expects it to work. */
static void
test_routemap_condition_destination_table(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	add_region(f, "hz");
	add_region(f, "sh");
	add_region(f, "bj");
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	add_vpc(f, "vpc-b", "hz", "10.2.0.0/16");
	add_vpc(f, "vpc-sh", "sh", "10.8.0.0/16");
	add_vpc(f, "vpc-bj", "bj", "10.9.0.0/16");
	commit(f);

	r = rm("hz", MODEL_DIR_OUT, 10, MODEL_ACTION_DENY);
	set_ids(r.dst_tables, &r.ndst_tables, "rt-sh");
	put_rmap(f, &r);
	commit(f);
	expect_no_route(f, "rt-sh", "10.1.0.0/16", "vpc-a");
	expect_lookup(f, "vpc-sh", "10.1.0.1", "miss");
	expect_route(f, "rt-bj", "10.1.0.0/16", "vpc-a", "Active", "");
	expect_view(f, "vpc-b", "10.1.0.0/16", "vpc-a", "Active", "");

	/* naming the map's own table reaches its local attachments */
	r = rm("hz", MODEL_DIR_OUT, 10, MODEL_ACTION_DENY);
	set_ids(r.dst_tables, &r.ndst_tables, "rt-hz");
	put_rmap(f, &r);
	commit(f);
	expect_view(f, "vpc-b", "10.1.0.0/16", "vpc-a", "Rejected",
		    "route-map-deny");
	expect_lookup(f, "vpc-b", "10.1.0.1", "miss");
	expect_route(f, "rt-sh", "10.1.0.0/16", "vpc-a", "Active", "");
	expect_lookup(f, "vpc-sh", "10.1.0.1", "region:hz");
}

static void
test_routemap_condition_source_type(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	add_gw(f, "vpn1", MODEL_ATT_VPN, "hz");
	add_gw(f, "ccn1", MODEL_ATT_CCN, "hz");
	commit(f);
	bgp(f, "vpn1", "172.18.0.0/16", "65003", NULL);
	bgp(f, "ccn1", "172.19.0.0/16", "65004", NULL);

	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	r.src_types[0] = MODEL_ATT_VBR;
	r.src_types[1] = MODEL_ATT_CCN;
	r.nsrc_types = 2;
	put_rmap(f, &r);
	commit(f);

	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "172.19.0.0/16", "ccn1", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "172.18.0.0/16", "vpn1", "Active", "");
	expect_route(f, "rt-hz", "10.1.0.0/16", "vpc-a", "Active", "");
}

static void
test_routemap_condition_destination_type(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	r = rm("hz", MODEL_DIR_OUT, 10, MODEL_ACTION_DENY);
	r.dst_types[0] = MODEL_ATT_VBR;
	r.ndst_types = 1;
	put_rmap(f, &r);
	commit(f);

	expect_view(f, "vbr2", "10.1.0.0/16", "vpc-a", "Rejected",
		    "route-map-deny");
	expect_view(f, "vbr2", "172.16.0.0/16", "vbr1", "Rejected",
		    "route-map-deny");
	expect_view(f, "vpc-b", "10.1.0.0/16", "vpc-a", "Active", "");
	expect_lookup(f, "vbr2", "10.1.0.1", "miss");
	expect_lookup(f, "vpc-b", "10.1.0.1", "vpc-a");
}

static void
test_routemap_condition_cidr_include(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	bgp(f, "vbr1", "192.168.0.0/16", "65001", NULL);
	bgp(f, "vbr1", "192.168.1.0/24", "65001", NULL);
	bgp(f, "vbr1", "192.0.0.0/8", "65001", NULL);
	bgp(f, "vbr1", "193.0.0.0/8", "65001", NULL);

	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	set_cidrs(r.cidrs, &r.ncidrs, "192.168.0.0/16 172.17.0.0/16");
	r.cidr_mode = MODEL_MATCH_INCLUDE;
	put_rmap(f, &r);
	commit(f);

	/* or-longer, any listed block */
	expect_route(f, "rt-hz", "192.168.0.0/16", "vbr1", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "192.168.1.0/24", "vbr1", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "172.17.0.0/16", "vbr2", "Rejected",
		     "route-map-deny");
	/* shorter or outside: no match */
	expect_route(f, "rt-hz", "192.0.0.0/8", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "193.0.0.0/8", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Active", "");
	expect_lookup(f, "vpc-a", "192.168.1.1", "vbr1"); /* via the /8 */
}

static void
test_routemap_condition_cidr_complete(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	bgp(f, "vbr1", "192.168.0.0/16", "65001", NULL);
	bgp(f, "vbr1", "192.168.1.0/24", "65001", NULL);
	bgp(f, "vbr1", "192.0.0.0/8", "65001", NULL);

	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	set_cidrs(r.cidrs, &r.ncidrs, "192.168.0.0/16");
	r.cidr_mode = MODEL_MATCH_COMPLETE;
	put_rmap(f, &r);
	commit(f);

	expect_route(f, "rt-hz", "192.168.0.0/16", "vbr1", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "192.168.1.0/24", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "192.0.0.0/8", "vbr1", "Active", "");
}

static void
test_routemap_condition_route_type(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	add_static(f, "vbr1", "172.20.0.0/16");
	add_route(f, "vpc-b", "10.200.0.0/16", MODEL_NH_ENI, "eni-1", true);
	add_region(f, "sh");
	add_vpc(f, "vpc-sh", "sh", "10.8.0.0/16");
	commit(f);
	expect_route(f, "rt-hz", "10.200.0.0/16", "vpc-b", "Active", "");

	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	r.route_types[0] = MODEL_RT_SYSTEM;
	r.nroute_types = 1;
	put_rmap(f, &r);
	commit(f);
	expect_route(f, "rt-hz", "10.1.0.0/16", "vpc-a", "Rejected",
		     "route-map-deny");
	/* a remote System route is a System route at its source */
	expect_route(f, "rt-hz", "10.8.0.0/16", "vpc-sh", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "172.20.0.0/16", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "10.200.0.0/16", "vpc-b", "Active", "");

	r.route_types[0] = MODEL_RT_CUSTOM;
	put_rmap(f, &r);
	commit(f);
	expect_route(f, "rt-hz", "10.1.0.0/16", "vpc-a", "Active", "");
	expect_route(f, "rt-hz", "172.20.0.0/16", "vbr1", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "10.200.0.0/16", "vpc-b", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Active", "");

	r.route_types[0] = MODEL_RT_BGP;
	put_rmap(f, &r);
	commit(f);
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "172.20.0.0/16", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "10.1.0.0/16", "vpc-a", "Active", "");

	/* CEN: learned from another region */
	r.route_types[0] = MODEL_RT_CEN;
	put_rmap(f, &r);
	commit(f);
	expect_route(f, "rt-hz", "10.8.0.0/16", "vpc-sh", "Rejected",
		     "route-map-deny");
	assert_int_equal(route(f, "rt-hz", "10.8.0.0/16", "vpc-sh").route_type,
			 MODEL_RT_CEN);
	expect_route(f, "rt-hz", "10.1.0.0/16", "vpc-a", "Active", "");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Active", "");
}

static void
test_routemap_condition_as_include(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	bgp(f, "vbr1", "192.168.1.0/24", "65001 65002", NULL);
	bgp(f, "vbr1", "192.168.2.0/24", "65003", NULL);
	add_static(f, "vbr1", "192.168.3.0/24"); /* empty AS path */
	commit(f);

	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	set_asns(r.asns, &r.nasns, "65002 65009");
	r.asn_mode = MODEL_MATCH_INCLUDE;
	put_rmap(f, &r);
	commit(f);

	expect_route(f, "rt-hz", "192.168.1.0/24", "vbr1", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "192.168.2.0/24", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "192.168.3.0/24", "vbr1", "Active", "");
}

static void
test_routemap_condition_as_complete(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	bgp(f, "vbr1", "192.168.1.0/24", "65001 65002", NULL);
	bgp(f, "vbr1", "192.168.2.0/24", "65001 65002 65003", NULL);
	bgp(f, "vbr1", "192.168.3.0/24", "65002 65001", NULL);
	bgp(f, "vbr1", "192.168.4.0/24", "65001", NULL);

	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	set_asns(r.asns, &r.nasns, "65001 65002");
	r.asn_mode = MODEL_MATCH_COMPLETE;
	put_rmap(f, &r);
	commit(f);

	expect_route(f, "rt-hz", "192.168.1.0/24", "vbr1", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "192.168.2.0/24", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "192.168.3.0/24", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "192.168.4.0/24", "vbr1", "Active", "");
}

static void
test_routemap_condition_as_set_never_matches(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	bgp(f, "vbr1", "192.168.1.0/24", "65001 {65002,65003}", NULL);
	bgp(f, "vbr1", "192.168.2.0/24", "65002 {65009}", NULL);
	bgp(f, "vbr1", "192.168.3.0/24", "65002", NULL);

	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	set_asns(r.asns, &r.nasns, "65002");
	put_rmap(f, &r);
	r = rm("hz", MODEL_DIR_IN, 20, MODEL_ACTION_DENY);
	set_asns(r.asns, &r.nasns, "65001");
	r.asn_mode = MODEL_MATCH_COMPLETE;
	put_rmap(f, &r);
	commit(f);

	/* a path with an AS_SET matches no AS condition, even when its
	 * AS_SEQUENCE part would */
	expect_route(f, "rt-hz", "192.168.1.0/24", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "192.168.2.0/24", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "192.168.3.0/24", "vbr1", "Rejected",
		     "route-map-deny");
}

static void
test_routemap_condition_community_include(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	bgp(f, "vbr1", "192.168.1.0/24", "65001", "65000:1 65000:2");
	bgp(f, "vbr1", "192.168.2.0/24", "65001", "65000:3");
	bgp(f, "vbr1", "192.168.3.0/24", "65001", NULL);

	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	set_comms(r.comms, &r.ncomms, "65000:2 65000:9");
	r.comm_mode = MODEL_MATCH_INCLUDE;
	put_rmap(f, &r);
	commit(f);

	expect_route(f, "rt-hz", "192.168.1.0/24", "vbr1", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "192.168.2.0/24", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "192.168.3.0/24", "vbr1", "Active", "");
}

static void
test_routemap_condition_community_complete(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	bgp(f, "vbr1", "192.168.1.0/24", "65001", "65000:2 65000:1");
	bgp(f, "vbr1", "192.168.2.0/24", "65001", "65000:1");
	bgp(f, "vbr1", "192.168.3.0/24", "65001", "65000:1 65000:2 65000:3");
	bgp(f, "vbr1", "192.168.4.0/24", "65001", NULL);

	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	set_comms(r.comms, &r.ncomms, "65000:1 65000:2");
	r.comm_mode = MODEL_MATCH_COMPLETE;
	put_rmap(f, &r);
	commit(f);

	/* equal sets, whatever the order */
	expect_route(f, "rt-hz", "192.168.1.0/24", "vbr1", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "192.168.2.0/24", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "192.168.3.0/24", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "192.168.4.0/24", "vbr1", "Active", "");
}

static void
test_routemap_condition_address_family(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	bgp(f, "vbr1", "2001:db8::/32", "65001", NULL);
	bgp(f, "vbr1", "192.168.1.0/24", "65001", NULL);

	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	r.families = MODEL_AF_V6;
	put_rmap(f, &r);
	commit(f);
	expect_route(f, "rt-hz", "2001:db8::/32", "vbr1", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "192.168.1.0/24", "vbr1", "Active", "");
	expect_lookup(f, "vpc-a", "2001:db8::1", "miss");

	r.families = MODEL_AF_V4;
	put_rmap(f, &r);
	commit(f);
	expect_route(f, "rt-hz", "2001:db8::/32", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "192.168.1.0/24", "vbr1", "Rejected",
		     "route-map-deny");
	expect_lookup(f, "vpc-a", "2001:db8::1", "vbr1");

	r.families = MODEL_AF_V4 | MODEL_AF_V6;
	put_rmap(f, &r);
	commit(f);
	expect_route(f, "rt-hz", "2001:db8::/32", "vbr1", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "192.168.1.0/24", "vbr1", "Rejected",
		     "route-map-deny");
}

static void
test_routemap_conditions_all_must_match(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	bgp(f, "vbr1", "172.17.0.0/16", "65001", NULL);
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	set_ids(r.src_instances, &r.nsrc_instances, "vbr1");
	set_cidrs(r.cidrs, &r.ncidrs, "172.17.0.0/16");
	put_rmap(f, &r);
	commit(f);

	expect_route(f, "rt-hz", "172.17.0.0/16", "vbr1", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "172.17.0.0/16", "vbr2", "Active", "");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Active", "");
	expect_lookup(f, "vpc-a", "172.17.0.1", "vbr2");
}

/* ---- route-map actions ----------------------------------------------- */

static void
test_routemap_action_preference(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_PERMIT);
	set_ids(r.src_instances, &r.nsrc_instances, "vbr1");
	r.set_pref = 30;
	put_rmap(f, &r);
	commit(f);
	assert_int_equal(route(f, "rt-hz", "172.16.0.0/16", "vbr1").pref, 30);
	assert_int_equal(route(f, "rt-hz", "172.17.0.0/16", "vbr2").pref,
			 ATTR_PREF_DEFAULT);

	r.set_pref = 101;
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), -CEN_ERANGE);
	assert_int_equal(route(f, "rt-hz", "172.16.0.0/16", "vbr1").pref, 30);
}

static void
test_routemap_action_communities_additive(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	bgp(f, "vbr1", "192.168.1.0/24", "65001", "65000:1");
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_PERMIT);
	set_ids(r.src_instances, &r.nsrc_instances, "vbr1");
	r.set_comm_mode = MODEL_COMM_ADDITIVE;
	set_comms(r.set_comms, &r.nset_comms, "65000:2 65000:1");
	put_rmap(f, &r);
	commit(f);
	assert_string_equal(route(f, "rt-hz", "192.168.1.0/24", "vbr1").comm,
			    "65000:1 65000:2");
	assert_string_equal(route(f, "rt-hz", "172.16.0.0/16", "vbr1").comm,
			    "65000:1 65000:2");
	assert_string_equal(route(f, "rt-hz", "172.17.0.0/16", "vbr2").comm,
			    "");
}

static void
test_routemap_action_communities_replace(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	bgp(f, "vbr1", "192.168.1.0/24", "65001", "65000:1 65000:3");
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_PERMIT);
	set_ids(r.src_instances, &r.nsrc_instances, "vbr1");
	r.set_comm_mode = MODEL_COMM_REPLACE;
	set_comms(r.set_comms, &r.nset_comms, "65000:2");
	put_rmap(f, &r);
	commit(f);
	assert_string_equal(route(f, "rt-hz", "192.168.1.0/24", "vbr1").comm,
			    "65000:2");
	assert_string_equal(route(f, "rt-hz", "172.16.0.0/16", "vbr1").comm,
			    "65000:2");
}

static void
test_routemap_action_as_prepend_region_in(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_PERMIT);
	set_ids(r.src_instances, &r.nsrc_instances, "vbr1");
	set_asns(r.prepend, &r.nprepend, "45104 45104");
	put_rmap(f, &r);
	commit(f);
	assert_string_equal(route(f, "rt-hz", "172.16.0.0/16", "vbr1").as,
			    "45104 45104 65001");
	assert_string_equal(route(f, "rt-hz", "172.17.0.0/16", "vbr2").as,
			    "65002");
}

static void
test_routemap_action_as_prepend_region_out(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	r = rm("hz", MODEL_DIR_OUT, 10, MODEL_ACTION_PERMIT);
	set_ids(r.dst_instances, &r.ndst_instances, "vbr2");
	set_asns(r.prepend, &r.nprepend, "45104");
	put_rmap(f, &r);
	commit(f);
	/* what vbr2 is told, not what the table holds */
	assert_string_equal(view(f, "vbr2", "172.16.0.0/16", "vbr1").as,
			    "45104 65001");
	expect_view(f, "vbr2", "172.16.0.0/16", "vbr1", "Active", "");
	assert_string_equal(view(f, "vpc-a", "172.16.0.0/16", "vbr1").as,
			    "65001");
	assert_string_equal(route(f, "rt-hz", "172.16.0.0/16", "vbr1").as,
			    "65001");
	expect_lookup(f, "vbr2", "172.16.0.1", "vbr1");
}

static void
test_routemap_action_as_prepend_constraints(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	add_region(f, "sh");
	add_vbr(f, "vbr-sh", "sh");
	commit(f);

	/* RegionIn: needs a source-instance condition ... */
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_PERMIT);
	set_asns(r.prepend, &r.nprepend, "45104");
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), -CEN_EINVAL);
	assert_non_null(strstr(f->err.msg, "prepend"));
	/* ... not an inverse one ... */
	set_ids(r.src_instances, &r.nsrc_instances, "vbr1");
	r.src_instances_inverse = true;
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), -CEN_EINVAL);
	/* ... whose instances are in the map's region */
	r.src_instances_inverse = false;
	set_ids(r.src_instances, &r.nsrc_instances, "vbr-sh");
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), -CEN_EINVAL);
	set_ids(r.src_instances, &r.nsrc_instances, "vbr1");
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), 0);

	/* RegionOut: needs a destination-instance condition */
	r = rm("hz", MODEL_DIR_OUT, 10, MODEL_ACTION_PERMIT);
	set_asns(r.prepend, &r.nprepend, "45104");
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), -CEN_EINVAL);
	set_ids(r.dst_instances, &r.ndst_instances, "vbr2");
	r.dst_instances_inverse = true;
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), -CEN_EINVAL);
	r.dst_instances_inverse = false;
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), 0);

	/* at most 32 ASNs */
	r = rm("hz", MODEL_DIR_OUT, 20, MODEL_ACTION_PERMIT);
	set_ids(r.dst_instances, &r.ndst_instances, "vbr2");
	for (unsigned i = 0; i < MODEL_PREPEND_MAX; i++)
		r.prepend[i] = 45104;
	r.nprepend = MODEL_PREPEND_MAX + 1;
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), -CEN_ETOOBIG);
	r.nprepend = MODEL_PREPEND_MAX;
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), 0);
	assert_int_equal(view(f, "vbr2", "172.16.0.0/16", "vbr1").count, 1);

	/* only Permit entries change routes */
	r = rm("hz", MODEL_DIR_OUT, 30, MODEL_ACTION_DENY);
	set_ids(r.dst_instances, &r.ndst_instances, "vbr2");
	set_asns(r.prepend, &r.nprepend, "45104");
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), -CEN_EINVAL);
	r.nprepend = 0;
	r.set_pref = 10;
	put_rmap(f, &r);
	assert_int_equal(try_commit(f), -CEN_EINVAL);
}

/* ---- ROUTING.md "Objects" and "Route types" --------------------------- */

static void
test_eleventh_vpc_is_one_attachment(void **state)
{
	struct fx *f = *state;
	struct model_attachment a;
	struct prefix cidr = pfx("10.11.0.0/16");
	char id[16], addr[32];

	add_region(f, "hz");
	for (int i = 1; i <= 10; i++) {
		snprintf(id, sizeof(id), "vpc-%d", i);
		snprintf(addr, sizeof(addr), "10.%d.0.0/16", i);
		add_vpc(f, id, "hz", addr);
	}
	commit(f);

	/* one single-object command, no peerings */
	model_attachment_defaults(&a);
	snprintf(a.id, sizeof(a.id), "vpc-11");
	snprintf(a.region, sizeof(a.region), "hz");
	a.type = MODEL_ATT_VPC;
	a.vswitch_cidrs = &cidr;
	a.nvswitch = 1;
	assert_int_equal(engine_put_attachment(f->e, &a, &f->err), 0);
	engine_drain(f->e);
	sync_model(f);
	for (int i = 1; i <= 10; i++) {
		snprintf(id, sizeof(id), "vpc-%d", i);
		snprintf(addr, sizeof(addr), "10.%d.0.1", i);
		expect_lookup(f, "vpc-11", addr, id);
		expect_lookup(f, id, "10.11.0.1", "vpc-11");
	}
}

static void
test_attachment_propagates_into_listed_tables(void **state)
{
	struct fx *f = *state;
	struct model_attachment *a;

	add_region(f, "hz");
	add_table(f, "rt-x", "hz");
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	add_vpc(f, "vpc-x", "hz", "10.2.0.0/16");
	snprintf(att(f, "vpc-x")->route_table, MODEL_ID_MAX, "rt-x");
	add_vbr(f, "vbr1", "hz");
	a = att(f, "vbr1");
	snprintf(a->propagate[0], MODEL_ID_MAX, "rt-hz");
	snprintf(a->propagate[1], MODEL_ID_MAX, "rt-x");
	a->npropagate = 2;
	a->propagate_set = true;
	commit(f);
	bgp(f, "vbr1", "172.16.0.0/16", "65001", NULL);

	/* associated with one table, propagating into two */
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Active", "");
	expect_route(f, "rt-x", "172.16.0.0/16", "vbr1", "Active", "");
	expect_lookup(f, "vpc-a", "172.16.0.1", "vbr1");
	expect_lookup(f, "vpc-x", "172.16.0.1", "vbr1");
	/* vpc-x propagates into its own table only */
	expect_no_route(f, "rt-hz", "10.2.0.0/16", "vpc-x");
	expect_lookup(f, "vpc-a", "10.2.0.1", "miss");

	/* propagation narrowed */
	a = att(f, "vbr1");
	a->npropagate = 1;
	snprintf(a->propagate[0], MODEL_ID_MAX, "rt-x");
	commit(f);
	expect_no_route(f, "rt-hz", "172.16.0.0/16", "vbr1");
	expect_lookup(f, "vpc-a", "172.16.0.1", "miss");
	expect_lookup(f, "vpc-x", "172.16.0.1", "vbr1");

	/* propagating nowhere: routes learned meanwhile are kept for when
	 * it propagates again */
	att(f, "vbr1")->npropagate = 0;
	commit(f);
	expect_lookup(f, "vpc-x", "172.16.0.1", "miss");
	bgp(f, "vbr1", "172.17.0.0/16", "65001", NULL);
	expect_no_route(f, "rt-x", "172.17.0.0/16", "vbr1");
	a = att(f, "vbr1");
	a->npropagate = 1;
	snprintf(a->propagate[0], MODEL_ID_MAX, "rt-hz");
	commit(f);
	expect_lookup(f, "vpc-a", "172.16.0.1", "vbr1");
	expect_lookup(f, "vpc-a", "172.17.0.1", "vbr1");
	expect_lookup(f, "vpc-x", "172.17.0.1", "miss");
}

static void
test_vpc_custom_routes_advertised_only_when_published(void **state)
{
	struct fx *f = *state;
	struct rt x;

	add_region(f, "hz");
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	add_vbr(f, "vbr1", "hz");
	add_route(f, "vpc-a", "192.168.0.0/16", MODEL_NH_ENI, "eni-1", false);
	add_static(f, "vbr1", "172.16.0.0/16");
	commit(f);

	/* advertised by default: VPC system routes, VBR static routes */
	x = route(f, "rt-hz", "10.1.0.0/16", "vpc-a");
	expect_route(f, "rt-hz", "10.1.0.0/16", "vpc-a", "Active", "");
	assert_int_equal(x.route_type, MODEL_RT_SYSTEM);
	x = route(f, "rt-hz", "172.16.0.0/16", "vbr1");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Active", "");
	assert_int_equal(x.route_type, MODEL_RT_CUSTOM);
	/* a VPC custom route only once published */
	expect_no_route(f, "rt-hz", "192.168.0.0/16", "vpc-a");
	expect_lookup(f, "vbr1", "192.168.0.1", "miss");

	att(f, "vpc-a")->routes[0].publish = true;
	commit(f);
	x = route(f, "rt-hz", "192.168.0.0/16", "vpc-a");
	expect_route(f, "rt-hz", "192.168.0.0/16", "vpc-a", "Active", "");
	assert_int_equal(x.route_type, MODEL_RT_CUSTOM);
	expect_lookup(f, "vbr1", "192.168.0.1", "vpc-a");

	att(f, "vpc-a")->routes[0].publish = false;
	commit(f);
	expect_no_route(f, "rt-hz", "192.168.0.0/16", "vpc-a");
	expect_lookup(f, "vbr1", "192.168.0.1", "miss");
}

static void
test_physical_connection_and_vbr_rules(void **state)
{
	struct fx *f = *state;
	struct model_attachment *a;

	add_region(f, "hz");
	add_vbr(f, "vbr1", "hz");
	add_vbr(f, "vbr2", "hz");
	commit(f);

	/* a circuit is 1..100 Gbps */
	((struct model_pc *)model_find_pc(&f->m, "pc-hz"))->speed_gbps = 101;
	assert_int_equal(try_commit(f), -CEN_ERANGE);
	((struct model_pc *)model_find_pc(&f->m, "pc-hz"))->speed_gbps = 0;
	assert_int_equal(try_commit(f), -CEN_ERANGE);
	/* each VBR has its own VLAN tag on the circuit, 1..2999 */
	att(f, "vbr2")->vlan = att(f, "vbr1")->vlan;
	assert_int_equal(try_commit(f), -CEN_ECONFLICT);
	att(f, "vbr2")->vlan = 3000;
	assert_int_equal(try_commit(f), -CEN_ERANGE);
	/* and a bandwidth within the circuit's */
	att(f, "vbr2")->bandwidth_mbps = 10001;
	assert_int_equal(try_commit(f), -CEN_ERANGE);
	att(f, "vbr2")->bandwidth_mbps = 10000;
	assert_int_equal(try_commit(f), 0);
	/* a VBR needs a circuit; a VPC has none */
	att(f, "vbr2")->physical_connection[0] = '\0';
	assert_int_equal(try_commit(f), -CEN_EINVAL);
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	a = att(f, "vpc-a");
	snprintf(a->physical_connection, MODEL_ID_MAX, "pc-hz");
	assert_int_equal(try_commit(f), -CEN_EINVAL);
}

/* ---- ROUTING.md "BGP towards customer edges" -------------------------- */

static void
test_bgp_peer_config_rules(void **state)
{
	struct fx *f = *state;
	struct model_peer p;
	struct model_attachment *a;

	/* defaults: hub ASN 45104, hold 90 s, quota 110 */
	assert_int_equal(f->m.cen.asn, 45104);
	model_peer_defaults(&p);
	assert_int_equal(p.hold_time_s, 90);
	assert_int_equal(p.route_quota, 110);
	assert_true(p.ipv4);

	add_region(f, "hz");
	add_vbr(f, "vbr1", "hz");
	commit(f);

	f->m.cen.asn = MODEL_ASN_RESERVED;
	assert_int_equal(try_commit(f), -CEN_ERANGE);
	assert_non_null(strstr(f->err.msg, "65025"));

	a = att(f, "vbr1");
	for (int i = 0; i < MODEL_PEERS_MAX; i++) {
		char addr[32];

		model_peer_defaults(&a->peers[i]);
		snprintf(addr, sizeof(addr), "192.0.2.%d", i + 1);
		assert_int_equal(prefix_parse_addr(&a->peers[i].address, addr),
				 0);
		a->peers[i].asn =
			i % 2 ? 65001 : 4200000001u; /* 2 or 4 octets */
	}
	a->npeers = MODEL_PEERS_MAX;
	assert_int_equal(try_commit(f), 0);

	a = att(f, "vbr1");
	a->npeers = MODEL_PEERS_MAX + 1;
	assert_int_equal(try_commit(f), -CEN_ETOOBIG);
	a = att(f, "vbr1");
	a->peers[0].asn = MODEL_ASN_RESERVED;
	assert_int_equal(try_commit(f), -CEN_ERANGE);
	a = att(f, "vbr1");
	a->peers[0].hold_time_s = 2;
	assert_int_equal(try_commit(f), -CEN_ERANGE);
	a = att(f, "vbr1");
	a->peers[0].hold_time_s = 3;
	assert_int_equal(try_commit(f), 0);
}

/* All attachments signal failure by BGP withdrawal: session loss withdraws
 * every path learned over that session (and only those). */
static void
test_session_loss_withdraws_every_path_learned_over_it(void **state)
{
	struct fx *f = *state;
	struct prefix peer1, none = { 0 };

	add_region(f, "hz");
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	add_vbr(f, "vbr1", "hz");
	add_static(f, "vbr1", "172.30.0.0/16");
	commit(f);
	bgp_from(f, "vbr1", "192.0.2.1", "172.16.0.0/16", "65001", NULL);
	bgp_from(f, "vbr1", "192.0.2.1", "172.17.0.0/16", "65001", NULL);
	bgp_from(f, "vbr1", "192.0.2.2", "172.16.0.0/16", "65001", NULL);
	bgp_from(f, "vbr1", "192.0.2.2", "172.18.0.0/16", "65001", NULL);
	assert_int_equal(route(f, "rt-hz", "172.16.0.0/16", "vbr1#BGP").count,
			 2);

	assert_int_equal(prefix_parse_addr(&peer1, "192.0.2.1"), 0);
	assert_true(engine_peer_flush(f->e, "vbr1", &peer1, &f->err) >= 0);
	/* the session comes back before the flush has run: what it
	 * announces again survives the flush */
	bgp_from(f, "vbr1", "192.0.2.1", "172.19.0.0/16", "65001", NULL);
	engine_drain(f->e);
	assert_int_equal(route(f, "rt-hz", "172.16.0.0/16", "vbr1#BGP").count,
			 1);
	expect_no_route(f, "rt-hz", "172.17.0.0/16", "vbr1");
	expect_route(f, "rt-hz", "172.18.0.0/16", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "172.19.0.0/16", "vbr1", "Active", "");
	expect_lookup(f, "vpc-a", "172.16.0.1", "vbr1");
	expect_lookup(f, "vpc-a", "172.17.0.1", "miss");

	/* family NONE: every BGP path; static routes do not signal */
	assert_true(engine_peer_flush(f->e, "vbr1", &none, &f->err) >= 0);
	engine_drain(f->e);
	assert_false(route(f, "rt-hz", "172.16.0.0/16", "vbr1").found);
	expect_no_route(f, "rt-hz", "172.18.0.0/16", "vbr1");
	expect_no_route(f, "rt-hz", "172.19.0.0/16", "vbr1");
	expect_route(f, "rt-hz", "172.30.0.0/16", "vbr1", "Active", "");
	expect_lookup(f, "vpc-a", "172.30.0.1", "vbr1");
}

static void
test_bgp_paths_only_from_vbr_vpn_ccn(void **state)
{
	struct fx *f = *state;
	struct engine_path_in in = { 0 };
	struct prefix peer;

	add_region(f, "hz");
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	add_vbr(f, "vbr1", "hz");
	add_gw(f, "vpn1", MODEL_ATT_VPN, "hz");
	add_gw(f, "ccn1", MODEL_ATT_CCN, "hz");
	commit(f);
	bgp(f, "vpn1", "172.16.0.0/16", "65001", NULL);
	bgp(f, "ccn1", "172.17.0.0/16", "65001", NULL);
	expect_lookup(f, "vpc-a", "172.16.0.1", "vpn1");
	expect_lookup(f, "vpc-a", "172.17.0.1", "ccn1");

	in.attachment = "vpc-a";
	in.prefix = pfx("172.18.0.0/16");
	in.attrs = mkattrs(f, "65001", NULL);
	assert_int_equal(engine_path_add(f->e, &in, &f->err), -CEN_EINVAL);
	in.attachment = "nope";
	assert_int_equal(engine_path_add(f->e, &in, &f->err), -CEN_ENOENT);
	in.attachment = "vbr1";
	assert_int_equal(prefix_parse(&in.prefix, "172.18.0.1/16", false), 0);
	in.prefix.addr.v4[3] = 1; /* host bits past the length */
	assert_int_equal(engine_path_add(f->e, &in, &f->err), -CEN_EINVAL);
	attr_unref(engine_attrs(f->e), in.attrs);
	assert_int_equal(prefix_parse_addr(&peer, PEER_DEFAULT), 0);
	in.prefix = pfx("172.18.0.0/16");
	assert_int_equal(
		engine_path_del(f->e, "vbr1", &peer, &in.prefix, &f->err),
		-CEN_ENOENT);
	expect_lookup(f, "vpc-a", "172.18.0.1", "miss");
}

/* ---- ROUTING.md "Best path for the same prefix" ----------------------- */

static void
test_bestpath_static_beats_propagated(void **state)
{
	struct fx *f = *state;

	add_region(f, "hz");
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	add_vbr(f, "vbr1", "hz");
	add_vbr(f, "vbr2", "hz");
	commit(f);
	bgp(f, "vbr1", "172.16.0.0/16", "65001", NULL);
	expect_lookup(f, "vpc-a", "172.16.0.1", "vbr1");

	add_table_route(f, "rt-hz", "172.16.0.0/16", "vbr2");
	commit(f);
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr2#table", "Active", "");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Candidate",
		     "static-preferred");
	expect_lookup(f, "vpc-a", "172.16.0.1", "vbr2");

	/* a blackhole static route beats learned ones too */
	add_table_route(f, "rt-hz", "10.1.0.0/16", NULL);
	commit(f);
	expect_route(f, "rt-hz", "10.1.0.0/16", "vpc-a", "Candidate",
		     "static-preferred");
	expect_lookup(f, "vbr1", "10.1.0.1", "blackhole");

	assert_int_equal(engine_del_table_route(f->e, "rt-hz",
						&(struct prefix){ 0 }, &f->err),
			 -CEN_ENOENT);
	{
		struct prefix p = pfx("172.16.0.0/16");

		assert_int_equal(
			engine_del_table_route(f->e, "rt-hz", &p, &f->err), 0);
	}
	engine_drain(f->e);
	sync_model(f);
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Active", "");
	expect_lookup(f, "vpc-a", "172.16.0.1", "vbr1");
}

static void
test_bestpath_vbr_bgp_beats_static(void **state)
{
	struct fx *f = *state;

	add_region(f, "hz");
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	add_vbr(f, "vbr1", "hz");
	add_vbr(f, "vbr2", "hz");
	add_gw(f, "vpn1", MODEL_ATT_VPN, "hz");
	add_static(f, "vbr1", "172.16.0.0/16");
	add_static(f, "vpn1", "172.17.0.0/16");
	commit(f);
	expect_lookup(f, "vpc-a", "172.16.0.1", "vbr1");

	/* BGP wins even with a longer AS path than the static's (empty) */
	bgp(f, "vbr2", "172.16.0.0/16", "65002 65002 65002", NULL);
	bgp(f, "vbr2", "172.17.0.0/16", "65002", NULL);
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr2", "Active", "");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Candidate",
		     "bgp-over-static");
	expect_route(f, "rt-hz", "172.17.0.0/16", "vpn1", "Candidate",
		     "bgp-over-static");
	expect_lookup(f, "vpc-a", "172.16.0.1", "vbr2");

	withdraw(f, "vbr2", "172.16.0.0/16");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Active", "");
	expect_lookup(f, "vpc-a", "172.16.0.1", "vbr1");
}

static void
test_bestpath_shorter_as_path_between_vbrs(void **state)
{
	struct fx *f = *state;

	add_region(f, "hz");
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	add_vbr(f, "vbr1", "hz");
	add_vbr(f, "vbr2", "hz");
	add_gw(f, "vpn1", MODEL_ATT_VPN, "hz");
	add_gw(f, "ccn1", MODEL_ATT_CCN, "hz");
	commit(f);
	bgp(f, "vbr1", "172.16.0.0/16", "65001 65001", NULL);
	bgp(f, "vbr2", "172.16.0.0/16", "65002 65002 65002", NULL);
	bgp(f, "vpn1", "172.16.0.0/16", "65003", NULL);
	bgp(f, "ccn1", "172.16.0.0/16", "65004 {65005,65006}", NULL);

	expect_route(f, "rt-hz", "172.16.0.0/16", "vpn1", "Active", "");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Candidate",
		     "as-path-longer");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr2", "Candidate",
		     "as-path-longer");
	/* an AS_SET counts as one hop: 2 hops */
	expect_route(f, "rt-hz", "172.16.0.0/16", "ccn1", "Candidate",
		     "as-path-longer");
	expect_lookup(f, "vpc-a", "172.16.0.1", "vpn1");

	withdraw(f, "vpn1", "172.16.0.0/16");
	/* vbr1 (2 hops) and ccn1 (2 hops) tie: ECMP */
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "172.16.0.0/16", "ccn1", "Active", "");
	expect_lookup(f, "vpc-a", "172.16.0.1", "ccn1, vbr1");
}

static void
test_bestpath_local_region_beats_remote(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	add_region(f, "hz");
	add_region(f, "sh");
	add_vpc(f, "vpc-hz", "hz", "10.1.0.0/16");
	add_vpc(f, "vpc-sh", "sh", "10.2.0.0/16");
	add_vbr(f, "vbr-hz", "hz");
	add_vbr(f, "vbr-sh", "sh");
	commit(f);
	bgp(f, "vbr-hz", "172.16.0.0/16", "65001", NULL);
	bgp(f, "vbr-sh", "172.16.0.0/16", "65002", NULL);

	/* the remote path gets the better preference in hz, after it was
	 * learned: locality still comes first */
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_PERMIT);
	set_ids(r.src_instances, &r.nsrc_instances, "vbr-sh");
	r.set_pref = 10;
	put_rmap(f, &r);
	commit(f);

	assert_int_equal(route(f, "rt-hz", "172.16.0.0/16", "vbr-sh").pref, 10);
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr-hz", "Active", "");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr-sh", "Candidate",
		     "remote-region");
	expect_route(f, "rt-sh", "172.16.0.0/16", "vbr-sh", "Active", "");
	expect_route(f, "rt-sh", "172.16.0.0/16", "vbr-hz", "Candidate",
		     "remote-region");
	expect_lookup(f, "vpc-hz", "172.16.0.1", "vbr-hz");
	expect_lookup(f, "vpc-sh", "172.16.0.1", "vbr-sh");

	/* losing the local path falls back to the other region */
	withdraw(f, "vbr-hz", "172.16.0.0/16");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr-sh", "Active", "");
	expect_lookup(f, "vpc-hz", "172.16.0.1", "region:sh");

	/* the steps are compared in order: between VBR-type sources the
	 * shorter AS path (step 2) comes before locality (step 3) */
	bgp(f, "vbr-hz", "172.16.0.0/16", "65001 65001", NULL);
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr-hz", "Candidate",
		     "as-path-longer");
	expect_lookup(f, "vpc-hz", "172.16.0.1", "region:sh");
}

static void
test_bestpath_lower_preference_wins(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	bgp(f, "vbr1", "172.18.0.0/16", "65001", NULL);
	bgp(f, "vbr2", "172.18.0.0/16", "65002", NULL);
	expect_lookup(f, "vpc-a", "172.18.0.1", "vbr1, vbr2");

	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_PERMIT);
	set_ids(r.src_instances, &r.nsrc_instances, "vbr1");
	r.set_pref = 70;
	put_rmap(f, &r);
	commit(f);
	expect_route(f, "rt-hz", "172.18.0.0/16", "vbr2", "Active", "");
	expect_route(f, "rt-hz", "172.18.0.0/16", "vbr1", "Candidate",
		     "preference");
	expect_lookup(f, "vpc-a", "172.18.0.1", "vbr2");

	r.set_pref = 20;
	put_rmap(f, &r);
	commit(f);
	expect_route(f, "rt-hz", "172.18.0.0/16", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "172.18.0.0/16", "vbr2", "Candidate",
		     "preference");
	expect_lookup(f, "vpc-a", "172.18.0.1", "vbr1");
}

/* Regions hz, bj, sh; vbr-bj and vbr-sh announce the same prefix with
 * equal paths. */
static void
regions3_world(struct fx *f)
{
	add_region(f, "hz");
	add_region(f, "bj");
	add_region(f, "sh");
	add_vpc(f, "vpc-hz", "hz", "10.1.0.0/16");
	add_vbr(f, "vbr-bj", "bj");
	add_vbr(f, "vbr-sh", "sh");
	commit(f);
	bgp(f, "vbr-sh", "172.16.0.0/16", "65001", NULL);
	bgp(f, "vbr-bj", "172.16.0.0/16", "65001", NULL);
}

static void
test_bestpath_region_id_tiebreak(void **state)
{
	struct fx *f = *state;

	regions3_world(f);
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr-bj", "Active", "");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr-sh", "Candidate",
		     "region-id");
	expect_lookup(f, "vpc-hz", "172.16.0.1", "region:bj");

	withdraw(f, "vbr-bj", "172.16.0.0/16");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr-sh", "Active", "");
	expect_lookup(f, "vpc-hz", "172.16.0.1", "region:sh");
}

static void
test_multi_region_ecmp(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	regions3_world(f);
	table_cfg(f, "rt-hz")->multi_region_ecmp = true;
	commit(f);
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr-bj", "Active", "");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr-sh", "Active", "");
	expect_lookup(f, "vpc-hz", "172.16.0.1", "region:bj, region:sh");

	/* stops before step 5 only: preference still decides */
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_PERMIT);
	set_ids(r.src_regions, &r.nsrc_regions, "sh");
	r.set_pref = 60;
	put_rmap(f, &r);
	commit(f);
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr-sh", "Candidate",
		     "preference");
	expect_lookup(f, "vpc-hz", "172.16.0.1", "region:bj");
	assert_int_equal(
		engine_del_rmap(f->e, "hz", MODEL_DIR_IN, "", 10, &f->err), 0);
	engine_drain(f->e);
	sync_model(f);
	expect_lookup(f, "vpc-hz", "172.16.0.1", "region:bj, region:sh");

	/* and a local path with an equal AS path length still beats both */
	add_vbr(f, "vbr-hz", "hz");
	commit(f);
	bgp(f, "vbr-hz", "172.16.0.0/16", "65009", NULL);
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr-hz", "Active", "");
	expect_lookup(f, "vpc-hz", "172.16.0.1", "vbr-hz");

	/* the other regions' tables are not multi-region */
	expect_route(f, "rt-sh", "172.16.0.0/16", "vbr-sh", "Active", "");
}

static void
test_ecmp_up_to_8_next_hops(void **state)
{
	struct fx *f = *state;
	const struct engine_nhg *g;
	struct prefix dst;
	char id[16];

	add_region(f, "hz");
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	for (int i = 1; i <= 9; i++) {
		snprintf(id, sizeof(id), "vbr-%d", i);
		add_vbr(f, id, "hz");
	}
	commit(f);
	/* announce in reverse so that arrival order is not the tie-break */
	for (int i = 9; i >= 1; i--) {
		snprintf(id, sizeof(id), "vbr-%d", i);
		bgp(f, id, "172.16.0.0/16", "65001", NULL);
	}
	for (int i = 1; i <= 8; i++) {
		snprintf(id, sizeof(id), "vbr-%d", i);
		expect_route(f, "rt-hz", "172.16.0.0/16", id, "Active", "");
	}
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr-9", "Candidate",
		     "ecmp-limit");
	dst = pfx("172.16.0.1");
	g = engine_fib_lookup(f->e, "vpc-a", &dst, NULL);
	assert_non_null(g);
	assert_int_equal(g->n, MODEL_ECMP_MAX);
	expect_lookup(f, "vpc-a", "172.16.0.1",
		      "vbr-1, vbr-2, vbr-3, vbr-4, vbr-5, vbr-6, vbr-7, vbr-8");

	/* losing one circuit moves its share to the rest */
	withdraw(f, "vbr-3", "172.16.0.0/16");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr-9", "Active", "");
	expect_lookup(f, "vpc-a", "172.16.0.1",
		      "vbr-1, vbr-2, vbr-4, vbr-5, vbr-6, vbr-7, vbr-8, vbr-9");
	withdraw(f, "vbr-9", "172.16.0.0/16");
	expect_lookup(f, "vpc-a", "172.16.0.1",
		      "vbr-1, vbr-2, vbr-4, vbr-5, vbr-6, vbr-7, vbr-8");

	/* weights 1..255 on static next hops */
	add_table_route(f, "rt-hz", "172.20.0.0/16", "vbr-1*3 vbr-2");
	commit(f);
	dst = pfx("172.20.0.1");
	g = engine_fib_lookup(f->e, "vpc-a", &dst, NULL);
	assert_non_null(g);
	assert_int_equal(g->n, 2);
	assert_string_equal(g->nh[0].id, "vbr-1");
	assert_int_equal(g->nh[0].weight, 3);
	assert_string_equal(g->nh[1].id, "vbr-2");
	assert_int_equal(g->nh[1].weight, 1);
	add_table_route(f, "rt-hz", "172.21.0.0/16", "vbr-1*0");
	assert_int_equal(try_commit(f), -CEN_ERANGE);
}

static void
test_active_standby_by_preference(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;
	struct prefix peer;

	cond_world(f);
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_PERMIT);
	set_ids(r.src_instances, &r.nsrc_instances, "vbr2");
	r.set_pref = 90;
	put_rmap(f, &r);
	commit(f);
	bgp(f, "vbr1", "192.168.0.0/16", "65001", NULL);
	bgp(f, "vbr2", "192.168.0.0/16", "65002", NULL);
	expect_route(f, "rt-hz", "192.168.0.0/16", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "192.168.0.0/16", "vbr2", "Candidate",
		     "preference");
	expect_lookup(f, "vpc-a", "192.168.0.1", "vbr1");

	/* the active session goes down: BGP withdrawal of all its paths */
	assert_int_equal(prefix_parse_addr(&peer, PEER_DEFAULT), 0);
	assert_true(engine_peer_flush(f->e, "vbr1", &peer, &f->err) >= 0);
	engine_drain(f->e);
	expect_no_route(f, "rt-hz", "192.168.0.0/16", "vbr1");
	expect_route(f, "rt-hz", "192.168.0.0/16", "vbr2", "Active", "");
	expect_lookup(f, "vpc-a", "192.168.0.1", "vbr2");
	expect_lookup(f, "vpc-a", "172.16.0.1", "miss");

	/* it comes back: the active path takes over again */
	bgp(f, "vbr1", "192.168.0.0/16", "65001", NULL);
	expect_route(f, "rt-hz", "192.168.0.0/16", "vbr2", "Candidate",
		     "preference");
	expect_lookup(f, "vpc-a", "192.168.0.1", "vbr1");
}

static void
test_active_standby_by_as_path_prepend(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	cond_world(f);
	bgp(f, "vbr1", "192.168.0.0/16", "65001", NULL);
	bgp(f, "vbr2", "192.168.0.0/16", "65001", NULL);
	expect_lookup(f, "vpc-a", "192.168.0.1", "vbr1, vbr2");

	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_PERMIT);
	set_ids(r.src_instances, &r.nsrc_instances, "vbr2");
	set_asns(r.prepend, &r.nprepend, "45104 45104");
	put_rmap(f, &r);
	commit(f);
	expect_route(f, "rt-hz", "192.168.0.0/16", "vbr2", "Candidate",
		     "as-path-longer");
	expect_lookup(f, "vpc-a", "192.168.0.1", "vbr1");

	withdraw(f, "vbr1", "192.168.0.0/16");
	expect_route(f, "rt-hz", "192.168.0.0/16", "vbr2", "Active", "");
	expect_lookup(f, "vpc-a", "192.168.0.1", "vbr2");
}

/* ---- ROUTING.md "Overlapping routes and conflicts" -------------------- */

/* vpc-a has a custom route 192.168.0.0/16 (to an ENI); vbr1 and vpc-b
 * offer routes inside, equal to and around it. */
static void
overlap_world(struct fx *f, bool overlapping)
{
	f->m.cen.overlapping_routes = overlapping;
	add_region(f, "hz");
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	add_vpc(f, "vpc-b", "hz", "192.168.5.0/24");
	add_vbr(f, "vbr1", "hz");
	add_route(f, "vpc-a", "192.168.0.0/16", MODEL_NH_ENI, "eni-1", false);
	commit(f);
	bgp(f, "vbr1", "192.168.1.0/24", "65001", NULL);
	bgp(f, "vbr1", "192.168.0.0/16", "65001", NULL);
	bgp(f, "vbr1", "192.0.0.0/8", "65001", NULL);
}

static void
test_overlap_off_rejects_routes_inside_custom_route(void **state)
{
	struct fx *f = *state;

	overlap_world(f, false);
	expect_view(f, "vpc-a", "192.168.1.0/24", "vbr1", "Rejected",
		    "overlap");
	expect_view(f, "vpc-a", "192.168.0.0/16", "vbr1", "Rejected",
		    "overlap");
	expect_view(f, "vpc-a", "192.168.5.0/24", "vpc-b", "Rejected",
		    "overlap");
	/* shorter than the custom route: not "inside" it */
	expect_view(f, "vpc-a", "192.0.0.0/8", "vbr1", "Active", "");
	/* other attachments are unaffected */
	expect_view(f, "vpc-b", "192.168.1.0/24", "vbr1", "Active", "");
	expect_lookup(f, "vpc-b", "192.168.1.1", "vbr1");
	expect_lookup(f, "vpc-a", "192.168.1.1", "vbr1"); /* via the /8 */
	expect_route(f, "rt-hz", "192.168.1.0/24", "vbr1", "Active", "");

	/* removing the custom route lets them in */
	del_route(f, "vpc-a", "192.168.0.0/16");
	commit(f);
	expect_view(f, "vpc-a", "192.168.1.0/24", "vbr1", "Active", "");
	expect_view(f, "vpc-a", "192.168.5.0/24", "vpc-b", "Active", "");
}

static void
test_overlap_on_accepts_routes_inside_custom_route(void **state)
{
	struct fx *f = *state;

	overlap_world(f, true);
	expect_view(f, "vpc-a", "192.168.1.0/24", "vbr1", "Active", "");
	expect_view(f, "vpc-a", "192.168.0.0/16", "vbr1", "Active", "");
	expect_lookup(f, "vpc-a", "192.168.1.1", "vbr1");

	/* cannot be turned off once on */
	f->m.cen.overlapping_routes = false;
	assert_int_equal(try_commit(f), -CEN_ECONFLICT);
	assert_true(engine_model(f->e)->cen.overlapping_routes);
}

static void
test_overlap_on_longest_prefix_match(void **state)
{
	struct fx *f = *state;

	cond_world(f);
	bgp(f, "vbr1", "192.168.0.0/16", "65001", NULL);
	bgp(f, "vbr2", "192.168.1.0/24", "65002", NULL);
	bgp(f, "vbr1", "192.168.1.128/25", "65001", NULL);
	/* same address, different lengths: all coexist */
	expect_route(f, "rt-hz", "192.168.0.0/16", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "192.168.1.0/24", "vbr2", "Active", "");
	expect_route(f, "rt-hz", "192.168.1.128/25", "vbr1", "Active", "");
	expect_lookup(f, "vpc-a", "192.168.2.1", "vbr1");
	expect_lookup(f, "vpc-a", "192.168.1.1", "vbr2");
	expect_lookup(f, "vpc-a", "192.168.1.200", "vbr1");
	withdraw(f, "vbr2", "192.168.1.0/24");
	expect_lookup(f, "vpc-a", "192.168.1.1", "vbr1");
}

static void
test_overlap_off_refuses_custom_route_over_learned(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	f->m.cen.overlapping_routes = false;
	add_region(f, "hz");
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	add_vbr(f, "vbr1", "hz");
	commit(f);
	bgp(f, "vbr1", "192.168.1.0/24", "65001", NULL);

	/* covering, equal and inside the learned route: all refused */
	add_route(f, "vpc-a", "192.168.0.0/16", MODEL_NH_ENI, "eni-1", false);
	assert_int_equal(try_commit(f), -CEN_ECONFLICT);
	assert_non_null(strstr(f->err.msg, "192.168.0.0/16"));
	add_route(f, "vpc-a", "192.168.1.0/24", MODEL_NH_ENI, "eni-1", false);
	assert_int_equal(try_commit(f), -CEN_ECONFLICT);
	add_route(f, "vpc-a", "192.168.1.128/25", MODEL_NH_ENI, "eni-1", false);
	assert_int_equal(try_commit(f), -CEN_ECONFLICT);
	/* refused means unchanged */
	assert_int_equal(
		model_find_attachment(engine_model(f->e), "vpc-a")->nroutes, 0);
	expect_view(f, "vpc-a", "192.168.1.0/24", "vbr1", "Active", "");

	/* no overlap: fine */
	add_route(f, "vpc-a", "172.16.0.0/16", MODEL_NH_ENI, "eni-1", false);
	assert_int_equal(try_commit(f), 0);

	/* a hub route that vpc-a was never given (RegionOut denies it to
	 * vpc-a) is not one it learned: the custom route is allowed */
	r = rm("hz", MODEL_DIR_OUT, 10, MODEL_ACTION_DENY);
	set_ids(r.dst_instances, &r.ndst_instances, "vpc-a");
	set_cidrs(r.cidrs, &r.ncidrs, "10.50.0.0/16");
	put_rmap(f, &r);
	commit(f);
	bgp(f, "vbr1", "10.50.0.0/16", "65001", NULL);
	expect_view(f, "vpc-a", "10.50.0.0/16", "vbr1", "Rejected",
		    "route-map-deny");
	add_route(f, "vpc-a", "10.50.0.0/16", MODEL_NH_ENI, "eni-1", false);
	assert_int_equal(try_commit(f), 0);

	/* once the hub route is gone the custom route can be created */
	withdraw(f, "vbr1", "192.168.1.0/24");
	add_route(f, "vpc-a", "192.168.0.0/16", MODEL_NH_ENI, "eni-1", false);
	assert_int_equal(try_commit(f), 0);
}

static void
test_overlap_on_allows_custom_route_over_learned(void **state)
{
	struct fx *f = *state;

	add_region(f, "hz");
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	add_vbr(f, "vbr1", "hz");
	commit(f);
	bgp(f, "vbr1", "192.168.1.0/24", "65001", NULL);
	add_route(f, "vpc-a", "192.168.0.0/16", MODEL_NH_ENI, "eni-1", false);
	assert_int_equal(try_commit(f), 0);
	/* longest match: the learned /24 is still used */
	expect_view(f, "vpc-a", "192.168.1.0/24", "vbr1", "Active", "");
}

static void
test_vswitch_cidr_rejects_equal_and_inside_accepts_covering(void **state)
{
	struct fx *f = *state;

	add_region(f, "hz");
	add_vpc(f, "vpc-a", "hz", "10.0.0.0/16");
	add_vpc(f, "vpc-b", "hz", "10.200.0.0/16");
	add_vbr(f, "vbr1", "hz");
	commit(f);
	bgp(f, "vbr1", "10.0.0.0/16", "65001", NULL);
	bgp(f, "vbr1", "10.0.0.0/24", "65001", NULL);
	bgp(f, "vbr1", "10.0.0.0/8", "65001", NULL);

	expect_view(f, "vpc-a", "10.0.0.0/16", "vbr1", "Rejected",
		    "vswitch-cidr");
	expect_view(f, "vpc-a", "10.0.0.0/24", "vbr1", "Rejected",
		    "vswitch-cidr");
	expect_view(f, "vpc-a", "10.0.0.0/8", "vbr1", "Active", "");
	/* its own route is not something it learned */
	assert_false(view(f, "vpc-a", "10.0.0.0/16", "vpc-a").found);
	expect_lookup(f, "vpc-a", "10.5.0.1", "vbr1");
	/* vpc-b has no such vSwitch */
	expect_view(f, "vpc-b", "10.0.0.0/24", "vbr1", "Active", "");
	expect_lookup(f, "vpc-b", "10.0.0.1", "vbr1");
	expect_view(f, "vpc-a", "10.200.0.0/16", "vpc-b", "Active", "");
	expect_lookup(f, "vpc-a", "10.200.0.1", "vpc-b");
}

/* The documented migration from an older peering connection: a custom
 * route to a router interface rejects hub routes equal to or inside it;
 * split it into more specifics, delete the original (the hub route takes
 * effect at once), delete the temporary routes; rollback re-adds the
 * static route. */
static void
test_router_interface_static_conflict_migration_and_rollback(void **state)
{
	struct fx *f = *state;
	const struct delta_rec *d;

	add_region(f, "hz");
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	add_vpc(f, "vpc-b", "hz", "172.16.0.0/16");
	add_vpc(f, "vpc-c", "hz", "10.3.0.0/16");
	add_vbr(f, "vbr1", "hz");
	add_route(f, "vpc-a", "172.16.0.0/16", MODEL_NH_ROUTER_INTERFACE,
		  "ri-1", false);
	commit(f);
	bgp(f, "vbr1", "172.16.5.0/24", "65001", NULL);
	bgp(f, "vbr1", "172.0.0.0/8", "65001", NULL);

	/* 1. the static route over the peering wins */
	expect_view(f, "vpc-a", "172.16.0.0/16", "vpc-b", "Rejected",
		    "conflict");
	expect_view(f, "vpc-a", "172.16.5.0/24", "vbr1", "Rejected",
		    "conflict");
	expect_view(f, "vpc-a", "172.0.0.0/8", "vbr1", "Active", "");
	expect_view(f, "vpc-c", "172.16.0.0/16", "vpc-b", "Active", "");
	expect_lookup(f, "vpc-c", "172.16.1.1", "vpc-b");

	/* 2. split into more specifics: still rejected */
	add_route(f, "vpc-a", "172.16.0.0/17", MODEL_NH_ROUTER_INTERFACE,
		  "ri-1", false);
	add_route(f, "vpc-a", "172.16.128.0/17", MODEL_NH_ROUTER_INTERFACE,
		  "ri-1", false);
	commit(f);
	expect_view(f, "vpc-a", "172.16.0.0/16", "vpc-b", "Rejected",
		    "conflict");
	expect_view(f, "vpc-a", "172.16.5.0/24", "vbr1", "Rejected",
		    "conflict");

	/* 3. delete the original: the hub /16 takes effect at once; what is
	 * inside a remaining /17 stays rejected */
	deltas_reset(f);
	del_route(f, "vpc-a", "172.16.0.0/16");
	commit(f);
	expect_view(f, "vpc-a", "172.16.0.0/16", "vpc-b", "Active", "");
	expect_view(f, "vpc-a", "172.16.5.0/24", "vbr1", "Rejected",
		    "conflict");
	expect_lookup(f, "vpc-a", "172.16.200.1", "vpc-b");
	d = last_delta(f, "rt-hz", "vpc-a", "172.16.0.0/16");
	assert_non_null(d);
	assert_true(d->withdrawn); /* the view override is gone */

	/* 4. delete the temporary routes: every hub route in use */
	del_route(f, "vpc-a", "172.16.0.0/17");
	commit(f);
	del_route(f, "vpc-a", "172.16.128.0/17");
	commit(f);
	expect_view(f, "vpc-a", "172.16.0.0/16", "vpc-b", "Active", "");
	expect_view(f, "vpc-a", "172.16.5.0/24", "vbr1", "Active", "");
	expect_lookup(f, "vpc-a", "172.16.5.1", "vbr1");
	expect_lookup(f, "vpc-a", "172.16.6.1", "vpc-b");

	/* 5. rollback: the static route again rejects the hub routes */
	deltas_reset(f);
	add_route(f, "vpc-a", "172.16.0.0/16", MODEL_NH_ROUTER_INTERFACE,
		  "ri-1", false);
	commit(f);
	expect_view(f, "vpc-a", "172.16.0.0/16", "vpc-b", "Rejected",
		    "conflict");
	expect_view(f, "vpc-a", "172.16.5.0/24", "vbr1", "Rejected",
		    "conflict");
	expect_lookup(f, "vpc-a", "172.16.6.1", "vbr1"); /* the /8 */
	d = last_delta(f, "rt-hz", "vpc-a", "172.16.0.0/16");
	assert_non_null(d);
	assert_false(d->withdrawn);
	assert_string_equal(d->nhg, "-"); /* no route in this view */
}

static void
test_quota_overflow_rejected_not_lost(void **state)
{
	struct fx *f = *state;
	const struct delta_rec *d;

	add_region(f, "hz");
	table_cfg(f, "rt-hz")->max_routes = 3;
	add_vbr(f, "vbr1", "hz");
	add_vbr(f, "vbr2", "hz");
	commit(f);
	bgp(f, "vbr1", "10.1.0.0/16", "65001", NULL);
	bgp(f, "vbr1", "10.2.0.0/16", "65001", NULL);
	bgp(f, "vbr1", "10.3.0.0/16", "65001", NULL);
	bgp(f, "vbr1", "10.4.0.0/16", "65001", NULL);
	bgp(f, "vbr1", "10.5.0.0/16", "65001", NULL);

	expect_route(f, "rt-hz", "10.3.0.0/16", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "10.4.0.0/16", "vbr1", "Rejected", "overflow");
	expect_route(f, "rt-hz", "10.5.0.0/16", "vbr1", "Rejected", "overflow");
	expect_lookup(f, "vbr2", "10.4.0.1", "miss");
	/* a second path for an admitted prefix costs nothing */
	bgp(f, "vbr2", "10.1.0.0/16", "65001", NULL);
	expect_lookup(f, "vbr2", "10.1.0.1", "vbr1, vbr2");
	expect_route(f, "rt-hz", "10.4.0.0/16", "vbr1", "Rejected", "overflow");

	/* an admitted prefix leaves: the oldest waiting one is promoted */
	deltas_reset(f);
	withdraw(f, "vbr1", "10.2.0.0/16");
	expect_route(f, "rt-hz", "10.4.0.0/16", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "10.5.0.0/16", "vbr1", "Rejected", "overflow");
	expect_lookup(f, "vbr2", "10.4.0.1", "vbr1");
	d = last_delta(f, "rt-hz", NULL, "10.4.0.0/16");
	assert_non_null(d);
	assert_string_equal(d->nhg, "vbr1");

	/* withdrawing a waiting prefix frees nothing */
	withdraw(f, "vbr1", "10.5.0.0/16");
	expect_no_route(f, "rt-hz", "10.5.0.0/16", "vbr1");
	bgp(f, "vbr1", "10.6.0.0/16", "65001", NULL);
	expect_route(f, "rt-hz", "10.6.0.0/16", "vbr1", "Rejected", "overflow");

	/* raising the quota admits what waits */
	table_cfg(f, "rt-hz")->max_routes = 0;
	commit(f);
	expect_route(f, "rt-hz", "10.6.0.0/16", "vbr1", "Active", "");
	expect_lookup(f, "vbr2", "10.6.0.1", "vbr1");
}

static void
test_default_route_prohibited_when_vbr_disallows(void **state)
{
	struct fx *f = *state;

	add_region(f, "hz");
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	add_vbr(f, "vbr1", "hz");
	add_vbr(f, "vbr2", "hz");
	att(f, "vbr1")->allow_default_route = false;
	add_static(f, "vbr1", "0.0.0.0/0");
	commit(f);
	bgp(f, "vbr1", "0.0.0.0/0", "65001", NULL);
	bgp(f, "vbr1", "::/0", "65001", NULL);
	bgp(f, "vbr1", "8.0.0.0/8", "65001", NULL);

	expect_route(f, "rt-hz", "0.0.0.0/0", "vbr1#BGP", "Prohibited",
		     "default-route-prohibited");
	expect_route(f, "rt-hz", "0.0.0.0/0", "vbr1#Custom", "Prohibited",
		     "default-route-prohibited");
	expect_route(f, "rt-hz", "::/0", "vbr1", "Prohibited",
		     "default-route-prohibited");
	expect_route(f, "rt-hz", "8.0.0.0/8", "vbr1", "Active", "");
	expect_lookup(f, "vpc-a", "9.9.9.9", "miss");

	/* another VBR may still offer one */
	bgp(f, "vbr2", "0.0.0.0/0", "65001", NULL);
	expect_route(f, "rt-hz", "0.0.0.0/0", "vbr2", "Active", "");
	expect_lookup(f, "vpc-a", "9.9.9.9", "vbr2");

	/* allowing it again restores vbr1's default route */
	att(f, "vbr1")->allow_default_route = true;
	commit(f);
	expect_route(f, "rt-hz", "0.0.0.0/0", "vbr1#BGP", "Active", "");
	expect_route(f, "rt-hz", "::/0", "vbr1", "Active", "");
	expect_lookup(f, "vpc-a", "2001:db8::1", "vbr1");
}

static void
test_reserved_100_64_10_refused_as_custom_route(void **state)
{
	struct fx *f = *state;
	struct model_attachment a;
	struct model_route rt;

	add_region(f, "hz");
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	add_vbr(f, "vbr1", "hz");
	commit(f);

	add_route(f, "vpc-a", "100.64.0.0/10", MODEL_NH_ENI, "eni-1", true);
	assert_int_equal(try_commit(f), -CEN_EINVAL);
	assert_non_null(strstr(f->err.msg, "100.64.0.0/11"));
	assert_non_null(strstr(f->err.msg, "100.96.0.0/11"));
	add_static(f, "vbr1", "100.64.0.0/10");
	assert_int_equal(try_commit(f), -CEN_EINVAL);
	add_table_route(f, "rt-hz", "100.64.0.0/10", "vbr1");
	assert_int_equal(try_commit(f), -CEN_EINVAL);

	/* the single-object command refuses it the same way */
	a = *model_find_attachment(engine_model(f->e), "vbr1");
	memset(&rt, 0, sizeof(rt));
	rt.prefix = pfx("100.64.0.0/10");
	model_nexthop_defaults(&rt.nh);
	a.routes = &rt;
	a.nroutes = 1;
	assert_int_equal(engine_put_attachment(f->e, &a, &f->err), -CEN_EINVAL);
	assert_int_equal(
		model_find_attachment(engine_model(f->e), "vbr1")->nroutes, 0);
	expect_lookup(f, "vpc-a", "100.100.0.1", "miss");

	/* the documented workaround */
	add_static(f, "vbr1", "100.64.0.0/11");
	add_static(f, "vbr1", "100.96.0.0/11");
	commit(f);
	expect_route(f, "rt-hz", "100.64.0.0/11", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "100.96.0.0/11", "vbr1", "Active", "");
	expect_lookup(f, "vpc-a", "100.100.0.1", "vbr1");
	expect_lookup(f, "vpc-a", "100.64.0.1", "vbr1");
}

/* ---- ROUTING.md "Redundancy" ------------------------------------------ */

static void
test_health_down_withdraws_vbr_routes_and_standby_takes_over(void **state)
{
	struct fx *f = *state;
	struct model_attachment *a;
	struct model_rmap r;
	const struct delta_rec *d;

	add_region(f, "hz");
	add_region(f, "sh");
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	add_vpc(f, "vpc-sh", "sh", "10.2.0.0/16");
	add_vbr(f, "vbr1", "hz");
	add_vbr(f, "vbr2", "hz");
	add_vbr(f, "vbr3", "hz");
	a = att(f, "vbr1");
	a->health.enabled = true;
	a->health.target_ip = pfx("10.255.0.2");
	a = att(f, "vbr3");
	a->health.enabled = true;
	a->health.target_ip = pfx("10.255.0.6");
	a->health.change_route = false;
	add_static(f, "vbr1", "10.50.0.0/16");
	add_static(f, "vbr2", "10.50.0.0/16");
	add_static(f, "vbr3", "10.60.0.0/16");
	/* a static route of another table names vbr1 as its next hop */
	add_table(f, "rt-x", "hz");
	add_vpc(f, "vpc-x", "hz", "10.3.0.0/16");
	snprintf(att(f, "vpc-x")->route_table, MODEL_ID_MAX, "rt-x");
	add_table_route(f, "rt-x", "10.70.0.0/16", "vbr1");
	/* vbr2 is the standby */
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_PERMIT);
	set_ids(r.src_instances, &r.nsrc_instances, "vbr2");
	r.set_pref = 80;
	put_rmap(f, &r);
	commit(f);
	bgp(f, "vbr1", "11.0.0.0/8", "65001", NULL);

	expect_route(f, "rt-hz", "10.50.0.0/16", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "10.50.0.0/16", "vbr2", "Candidate",
		     "preference");
	expect_lookup(f, "vpc-a", "10.50.0.1", "vbr1");
	expect_lookup(f, "vpc-sh", "11.0.0.1", "region:hz");

	deltas_reset(f);
	assert_int_equal(engine_set_health(f->e, "vbr1", false, &f->err), 0);
	engine_drain(f->e);
	expect_route(f, "rt-hz", "10.50.0.0/16", "vbr1", "Rejected",
		     "health-check-down");
	expect_route(f, "rt-hz", "11.0.0.0/8", "vbr1", "Rejected",
		     "health-check-down");
	expect_route(f, "rt-hz", "10.50.0.0/16", "vbr2", "Active", "");
	expect_lookup(f, "vpc-a", "10.50.0.1", "vbr2");
	expect_lookup(f, "vpc-a", "11.0.0.1", "miss");
	expect_lookup(f, "vpc-sh", "11.0.0.1", "miss");
	expect_route(f, "rt-x", "10.70.0.0/16", "vbr1#table", "Rejected",
		     "health-check-down");
	expect_lookup(f, "vpc-x", "10.70.0.1", "miss");
	d = last_delta(f, "rt-hz", NULL, "10.50.0.0/16");
	assert_non_null(d);
	assert_string_equal(d->nhg, "vbr2");

	/* change_route off: the check only reports */
	assert_int_equal(engine_set_health(f->e, "vbr3", false, &f->err), 0);
	engine_drain(f->e);
	expect_route(f, "rt-hz", "10.60.0.0/16", "vbr3", "Active", "");

	assert_int_equal(engine_set_health(f->e, "vbr1", true, &f->err), 0);
	engine_drain(f->e);
	expect_route(f, "rt-hz", "10.50.0.0/16", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "10.50.0.0/16", "vbr2", "Candidate",
		     "preference");
	expect_lookup(f, "vpc-a", "10.50.0.1", "vbr1");
	expect_lookup(f, "vpc-sh", "11.0.0.1", "region:hz");
	expect_lookup(f, "vpc-x", "10.70.0.1", "vbr1");

	assert_int_equal(engine_set_health(f->e, "nope", false, &f->err),
			 -CEN_ENOENT);

	/* probe every 2 or 3 s, down after 3..8 misses (default 2 s, 8) */
	a = att(f, "vbr1");
	assert_int_equal(a->health.interval_s, 2);
	assert_int_equal(a->health.threshold, 8);
	a->health.threshold = 9;
	assert_int_equal(try_commit(f), -CEN_ERANGE);
	a = att(f, "vbr1");
	a->health.interval_s = 4;
	assert_int_equal(try_commit(f), -CEN_ERANGE);
	a = att(f, "vbr1");
	a->health.threshold = 3;
	a->health.interval_s = 3;
	assert_int_equal(try_commit(f), 0);
}

/* ---- ROUTING.md "Bandwidth" ------------------------------------------- */

static void
test_bandwidth_package_rules(void **state)
{
	struct fx *f = *state;
	struct model_bwp b;
	struct model_bwp_conn c[2];

	add_region(f, "hz");
	add_region(f, "sh");
	commit(f);

	memset(&b, 0, sizeof(b));
	memset(c, 0, sizeof(c));
	snprintf(b.id, sizeof(b.id), "bwp1");
	snprintf(b.regions[0], sizeof(b.regions[0]), "hz");
	snprintf(b.regions[1], sizeof(b.regions[1]), "sh");
	b.bandwidth_mbps = 100;
	for (int i = 0; i < 2; i++) {
		snprintf(c[i].regions[0], sizeof(c[i].regions[0]), "hz");
		snprintf(c[i].regions[1], sizeof(c[i].regions[1]), "sh");
	}
	b.conns = c;

	/* each limit <= the package */
	c[0].bandwidth_mbps = 150;
	b.nconns = 1;
	assert_int_equal(engine_put_bwp(f->e, &b, &f->err), -CEN_ERANGE);
	assert_non_null(strstr(f->err.msg, "<= package"));
	assert_null(model_find_bwp(engine_model(f->e), "bwp1"));

	/* their sum <= the package */
	c[0].bandwidth_mbps = 60;
	c[1].bandwidth_mbps = 60;
	b.nconns = 2;
	assert_int_equal(engine_put_bwp(f->e, &b, &f->err), -CEN_ECONFLICT);
	assert_non_null(strstr(f->err.msg, "sum"));

	c[1].bandwidth_mbps = 40;
	assert_int_equal(engine_put_bwp(f->e, &b, &f->err), 0);
	assert_int_equal(model_find_bwp(engine_model(f->e), "bwp1")->nconns, 2);

	/* the package cannot shrink below the sum of its limits */
	b.bandwidth_mbps = 90;
	assert_int_equal(engine_put_bwp(f->e, &b, &f->err), -CEN_ECONFLICT);
	assert_non_null(strstr(f->err.msg, "shrink"));
	assert_int_equal(
		model_find_bwp(engine_model(f->e), "bwp1")->bandwidth_mbps,
		100);
	/* growing, or shrinking to the sum exactly, is fine */
	b.bandwidth_mbps = 100;
	assert_int_equal(engine_put_bwp(f->e, &b, &f->err), 0);
	b.bandwidth_mbps = 200;
	assert_int_equal(engine_put_bwp(f->e, &b, &f->err), 0);

	/* a cap only on pay-by-data-transfer connections */
	c[1].cap_bytes = 1000000;
	assert_int_equal(engine_put_bwp(f->e, &b, &f->err), -CEN_EINVAL);
	c[1].pay_by_transfer = true;
	assert_int_equal(engine_put_bwp(f->e, &b, &f->err), 0);

	/* one package per pair of regions */
	snprintf(b.id, sizeof(b.id), "bwp2");
	b.nconns = 0;
	assert_int_equal(engine_put_bwp(f->e, &b, &f->err), -CEN_ECONFLICT);
	sync_model(f);
}

/* ---- states and reasons ----------------------------------------------- */

struct state_census {
	int states[8];
	int reasons[ENGINE_REASON_COUNT_];
	int bad;
	char first_bad[256];
};

static int
census_cb(const struct engine_route *r, void *arg)
{
	struct state_census *c = arg;
	char pb[PREFIX_STRLEN];
	bool ok;

	assert_true(r->state < 8);
	assert_true(r->reason < ENGINE_REASON_COUNT_);
	c->states[r->state]++;
	c->reasons[r->reason]++;
	if (r->state == ENGINE_STATE_ACTIVE)
		ok = r->reason == ENGINE_REASON_NONE;
	else
		ok = r->state != ENGINE_STATE_UNSPECIFIED &&
		     r->reason != ENGINE_REASON_NONE &&
		     engine_reason_str(r->reason)[0] != '\0';
	if (!ok && c->bad++ == 0)
		snprintf(c->first_bad, sizeof(c->first_bad),
			 "%s %s from %s: %s (%s)", r->table,
			 prefix_fmt(&r->prefix, pb, sizeof(pb)), r->source,
			 engine_state_str(r->state),
			 engine_reason_str(r->reason));
	return 0;
}

static void
test_states_have_reasons(void **state)
{
	struct fx *f = *state;
	struct state_census c;
	struct model_rmap r;
	struct model_attachment *a;

	add_region(f, "hz");
	add_table(f, "rt-q", "hz");
	table_cfg(f, "rt-q")->max_routes = 1;
	add_vpc(f, "vpc-a", "hz", "10.0.0.0/16");
	add_vbr(f, "vbr1", "hz");
	add_vbr(f, "vbr2", "hz");
	add_vbr(f, "vbr3", "hz");
	att(f, "vbr1")->allow_default_route = false;
	a = att(f, "vbr3");
	snprintf(a->route_table, sizeof(a->route_table), "rt-q");
	add_table_route(f, "rt-hz", "172.16.0.0/16", "vbr2");
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	set_cidrs(r.cidrs, &r.ncidrs, "203.0.113.0/24");
	put_rmap(f, &r);
	r = rm("hz", MODEL_DIR_OUT, 10, MODEL_ACTION_DENY);
	set_ids(r.dst_instances, &r.ndst_instances, "vpc-a");
	set_cidrs(r.cidrs, &r.ncidrs, "198.51.100.0/24");
	put_rmap(f, &r);
	commit(f);
	bgp(f, "vbr1", "172.16.0.0/16", "65001", NULL);	  /* Candidate */
	bgp(f, "vbr1", "0.0.0.0/0", "65001", NULL);	  /* Prohibited */
	bgp(f, "vbr2", "203.0.113.0/24", "65002", NULL);  /* route map */
	bgp(f, "vbr2", "10.0.1.0/24", "65002", NULL);	  /* vSwitch */
	bgp(f, "vbr2", "198.51.100.0/24", "65002", NULL); /* RegionOut */
	bgp(f, "vbr2", "192.0.2.0/24", "65002 65002", NULL);
	bgp(f, "vbr1", "192.0.2.0/24", "65001", NULL); /* AS path */
	bgp(f, "vbr3", "10.7.0.0/16", "65003", NULL);
	bgp(f, "vbr3", "10.8.0.0/16", "65003", NULL); /* overflow */

	memset(&c, 0, sizeof(c));
	assert_int_equal(
		engine_route_list(f->e, NULL, NULL, NULL, false, census_cb, &c),
		0);
	if (c.bad > 0) {
		dump_state(f);
		fail_msg("%d listed paths without a proper reason, first: %s",
			 c.bad, c.first_bad);
	}
	assert_true(c.states[ENGINE_STATE_ACTIVE] > 0);
	assert_true(c.states[ENGINE_STATE_CANDIDATE] > 0);
	assert_true(c.states[ENGINE_STATE_REJECTED] > 0);
	assert_true(c.states[ENGINE_STATE_PROHIBITED] > 0);
	assert_true(c.reasons[ENGINE_REASON_STATIC_PREFERRED] > 0);
	assert_true(c.reasons[ENGINE_REASON_AS_PATH] > 0);
	assert_true(c.reasons[ENGINE_REASON_ROUTE_MAP] > 0);
	assert_true(c.reasons[ENGINE_REASON_OVERFLOW] > 0);
	assert_true(c.reasons[ENGINE_REASON_DEFAULT_ROUTE] > 0);

	/* what vpc-a has learned, with the view's own rejections */
	memset(&c, 0, sizeof(c));
	assert_int_equal(engine_view_list(f->e, "vpc-a", NULL, census_cb, &c),
			 0);
	if (c.bad > 0) {
		dump_state(f);
		fail_msg("%d viewed paths without a proper reason, first: %s",
			 c.bad, c.first_bad);
	}
	assert_true(c.reasons[ENGINE_REASON_VSWITCH] > 0);
	assert_true(c.reasons[ENGINE_REASON_ROUTE_MAP] > 0);
	assert_int_equal(engine_view_list(f->e, "nope", NULL, census_cb, &c),
			 -CEN_ENOENT);

	/* every state and reason has a name */
	for (uint8_t s = ENGINE_STATE_ACTIVE; s <= ENGINE_STATE_PROHIBITED; s++)
		assert_string_not_equal(engine_state_str(s), "Unspecified");
	for (uint8_t i = 1; i < ENGINE_REASON_COUNT_; i++)
		assert_true(engine_reason_str(i)[0] != '\0');
}

/* ---- inter-region exchange -------------------------------------------- */

static void
regions_export_world(struct fx *f)
{
	add_region(f, "hz");
	add_region(f, "sh");
	add_region(f, "bj");
	add_vpc(f, "vpc-hz", "hz", "10.1.0.0/16");
	add_vpc(f, "vpc-hz2", "hz", "10.4.0.0/16");
	add_vpc(f, "vpc-sh", "sh", "10.2.0.0/16");
	add_vpc(f, "vpc-bj", "bj", "10.3.0.0/16");
	add_vbr(f, "vbr-hz", "hz");
	commit(f);
	bgp(f, "vbr-hz", "172.16.0.0/16", "65001", NULL);
}

static void
test_inter_region_vpc_learns_routes_via_region_next_hop(void **state)
{
	struct fx *f = *state;
	struct rt x;
	const struct delta_rec *d;

	regions_export_world(f);
	x = route(f, "rt-sh", "10.1.0.0/16", "vpc-hz");
	expect_route(f, "rt-sh", "10.1.0.0/16", "vpc-hz", "Active", "");
	assert_int_equal(x.route_type, MODEL_RT_CEN);
	assert_int_equal(x.origin_type, MODEL_RT_SYSTEM);
	assert_string_equal(x.source_region, "hz");
	assert_string_equal(x.nh, "region:hz");
	expect_lookup(f, "vpc-sh", "10.1.0.1", "region:hz");
	expect_lookup(f, "vpc-sh", "172.16.0.1", "region:hz");
	expect_lookup(f, "vpc-hz", "10.2.0.1", "region:sh");
	expect_lookup(f, "vpc-bj", "10.2.0.1", "region:sh");

	/* no transit: bj learns hz's routes from hz only */
	x = route(f, "rt-bj", "10.1.0.0/16", NULL);
	assert_int_equal(x.count, 1);
	assert_string_equal(x.source_region, "hz");

	/* a withdrawal reaches the other regions */
	deltas_reset(f);
	withdraw(f, "vbr-hz", "172.16.0.0/16");
	expect_no_route(f, "rt-sh", "172.16.0.0/16", "vbr-hz");
	expect_lookup(f, "vpc-sh", "172.16.0.1", "miss");
	d = last_delta(f, "rt-sh", NULL, "172.16.0.0/16");
	assert_non_null(d);
	assert_true(d->withdrawn);

	/* a region added later learns what the others have */
	add_region(f, "gz");
	add_vpc(f, "vpc-gz", "gz", "10.5.0.0/16");
	commit(f);
	expect_lookup(f, "vpc-gz", "10.1.0.1", "region:hz");
	expect_lookup(f, "vpc-hz", "10.5.0.1", "region:gz");

	/* an attachment that leaves takes its routes out of every region */
	bgp(f, "vbr-hz", "172.20.0.0/16", "65001", NULL);
	expect_lookup(f, "vpc-gz", "172.20.0.1", "region:hz");
	assert_int_equal(engine_del_attachment(f->e, "vbr-hz", &f->err), 0);
	engine_drain(f->e);
	sync_model(f);
	expect_no_route(f, "rt-hz", "172.20.0.0/16", "vbr-hz");
	expect_no_route(f, "rt-gz", "172.20.0.0/16", "vbr-hz");
	expect_lookup(f, "vpc-gz", "172.20.0.1", "miss");
	expect_lookup(f, "vpc-sh", "172.20.0.1", "miss");
	assert_int_equal(engine_del_attachment(f->e, "vbr-hz", &f->err),
			 -CEN_ENOENT);
}

static void
test_inter_region_region_out_towards_region(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	regions_export_world(f);

	/* towards region sh only (its system table receives the routes) */
	r = rm("hz", MODEL_DIR_OUT, 10, MODEL_ACTION_DENY);
	set_cidrs(r.cidrs, &r.ncidrs, "10.1.0.0/16");
	set_ids(r.dst_tables, &r.ndst_tables, "rt-sh");
	put_rmap(f, &r);
	commit(f);
	expect_no_route(f, "rt-sh", "10.1.0.0/16", "vpc-hz");
	expect_lookup(f, "vpc-sh", "10.1.0.1", "miss");
	expect_route(f, "rt-bj", "10.1.0.0/16", "vpc-hz", "Active", "");
	expect_lookup(f, "vpc-bj", "10.1.0.1", "region:hz");
	expect_view(f, "vpc-hz2", "10.1.0.0/16", "vpc-hz", "Active", "");

	/* without destination conditions it applies to every destination:
	 * local attachments and every other region */
	r.ndst_tables = 0;
	put_rmap(f, &r);
	commit(f);
	expect_no_route(f, "rt-sh", "10.1.0.0/16", "vpc-hz");
	expect_no_route(f, "rt-bj", "10.1.0.0/16", "vpc-hz");
	expect_view(f, "vpc-hz2", "10.1.0.0/16", "vpc-hz", "Rejected",
		    "route-map-deny");
	expect_lookup(f, "vpc-hz2", "10.1.0.1", "miss");
	/* other prefixes are still exported */
	expect_lookup(f, "vpc-sh", "172.16.0.1", "region:hz");

	/* deleting the entry restores the exports */
	assert_int_equal(engine_del_rmap(f->e, "hz", MODEL_DIR_OUT, "rt-hz", 10,
					 &f->err),
			 0);
	engine_drain(f->e);
	sync_model(f);
	expect_lookup(f, "vpc-sh", "10.1.0.1", "region:hz");
	expect_lookup(f, "vpc-bj", "10.1.0.1", "region:hz");
	expect_lookup(f, "vpc-hz2", "10.1.0.1", "vpc-hz");
}

/* Active/standby between regions: the standby region's RegionOut towards
 * hz lowers its path's preference there. */
static void
test_inter_region_standby_by_region_out_preference(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;

	regions3_world(f);
	expect_lookup(f, "vpc-hz", "172.16.0.1", "region:bj");

	r = rm("bj", MODEL_DIR_OUT, 10, MODEL_ACTION_PERMIT);
	set_ids(r.dst_tables, &r.ndst_tables, "rt-hz");
	r.set_pref = 80;
	put_rmap(f, &r);
	commit(f);
	assert_int_equal(route(f, "rt-hz", "172.16.0.0/16", "vbr-bj").pref, 80);
	assert_int_equal(route(f, "rt-sh", "172.16.0.0/16", "vbr-bj").pref,
			 ATTR_PREF_DEFAULT);
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr-sh", "Active", "");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr-bj", "Candidate",
		     "preference");
	expect_lookup(f, "vpc-hz", "172.16.0.1", "region:sh");

	/* the active region loses its path: the standby takes over */
	withdraw(f, "vbr-sh", "172.16.0.0/16");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr-bj", "Active", "");
	expect_lookup(f, "vpc-hz", "172.16.0.1", "region:bj");
}

/* ---- regions marked unreachable (DESIGN.md "Regions") ---------------- */

/* A region whose cluster is gone exports nothing: its BGP routes, its VPCs'
 * vSwitch CIDRs and its VBRs' static routes leave every other region's
 * tables, while its own tables, and what it learns from the others, stay.
 * Marked reachable again, everything comes back once, and the state is the
 * one it was before. */
static void
test_region_unreachable_withdraws_everything_it_exported(void **state)
{
	struct fx *f = *state;
	const struct delta_rec *d;
	uint64_t before;
	struct rt x;
	char *dump;

	regions_export_world(f);
	add_static(f, "vbr-hz", "192.168.0.0/16");
	commit(f);
	expect_lookup(f, "vpc-sh", "10.1.0.1", "region:hz");
	expect_lookup(f, "vpc-sh", "172.16.0.1", "region:hz");
	expect_lookup(f, "vpc-bj", "192.168.0.1", "region:hz");
	before = engine_hash(f->e);

	deltas_reset(f);
	assert_int_equal(
		engine_set_region_reachable(f->e, "hz", false, &f->err), 0);
	engine_drain(f->e);
	assert_false(engine_region_reachable(f->e, "hz"));
	assert_true(engine_region_reachable(f->e, "sh"));
	for (int i = 0; i < 2; i++) {
		const char *t = i == 0 ? "rt-sh" : "rt-bj";

		expect_no_route(f, t, "10.1.0.0/16", "vpc-hz");
		expect_no_route(f, t, "10.4.0.0/16", "vpc-hz2");
		expect_no_route(f, t, "172.16.0.0/16", "vbr-hz");
		expect_no_route(f, t, "192.168.0.0/16", "vbr-hz");
	}
	expect_lookup(f, "vpc-sh", "10.1.0.1", "miss");
	expect_lookup(f, "vpc-sh", "172.16.0.1", "miss");
	expect_lookup(f, "vpc-bj", "192.168.0.1", "miss");
	d = last_delta(f, "rt-sh", NULL, "10.1.0.0/16");
	assert_non_null(d);
	assert_true(d->withdrawn);
	/* its own tables are untouched, and it still learns the others' */
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr-hz", "Active", "");
	expect_lookup(f, "vpc-hz2", "10.1.0.1", "vpc-hz");
	expect_lookup(f, "vpc-hz", "10.2.0.1", "region:sh");
	expect_lookup(f, "vpc-sh", "10.3.0.1", "region:bj");
	/* the mark is part of the state */
	assert_true(engine_hash(f->e) != before);
	dump = engine_dump(f->e);
	assert_non_null(strstr(dump, "region hz unreachable"));
	free(dump);

	/* marking it again changes nothing and queues nothing */
	deltas_reset(f);
	assert_int_equal(
		engine_set_region_reachable(f->e, "hz", false, &f->err), 0);
	assert_int_equal(engine_pending(f->e), 0);
	assert_int_equal(f->nd, f->mark);

	assert_int_equal(engine_set_region_reachable(f->e, "hz", true, &f->err),
			 0);
	engine_drain(f->e);
	assert_true(engine_region_reachable(f->e, "hz"));
	x = route(f, "rt-sh", "10.1.0.0/16", "vpc-hz");
	assert_int_equal(x.count, 1);
	expect_route(f, "rt-sh", "10.1.0.0/16", "vpc-hz", "Active", "");
	assert_int_equal(route(f, "rt-bj", "172.16.0.0/16", "vbr-hz").count, 1);
	expect_lookup(f, "vpc-sh", "172.16.0.1", "region:hz");
	expect_lookup(f, "vpc-bj", "192.168.0.1", "region:hz");
	assert_true(engine_hash(f->e) == before);

	assert_int_equal(
		engine_set_region_reachable(f->e, "nowhere", false, &f->err),
		-CEN_ENOENT);
	assert_true(engine_region_reachable(f->e, "nowhere"));
}

/* While a region is unreachable its own changes stay inside it (paths
 * added and withdrawn, a new VPC), a region created meanwhile learns
 * nothing from it; once it is back every region gets its state as it is
 * then. */
static void
test_region_unreachable_holds_its_changes_until_it_is_back(void **state)
{
	struct fx *f = *state;

	regions_export_world(f);
	assert_int_equal(
		engine_set_region_reachable(f->e, "hz", false, &f->err), 0);
	engine_drain(f->e);

	bgp(f, "vbr-hz", "172.17.0.0/16", "65001", NULL);
	withdraw(f, "vbr-hz", "172.16.0.0/16");
	add_vpc(f, "vpc-hz3", "hz", "10.6.0.0/16");
	add_region(f, "gz");
	add_vpc(f, "vpc-gz", "gz", "10.5.0.0/16");
	commit(f);
	expect_route(f, "rt-hz", "172.17.0.0/16", "vbr-hz", "Active", "");
	expect_lookup(f, "vpc-hz", "10.6.0.1", "vpc-hz3");
	expect_no_route(f, "rt-sh", "172.17.0.0/16", "vbr-hz");
	expect_no_route(f, "rt-sh", "10.6.0.0/16", "vpc-hz3");
	expect_lookup(f, "vpc-gz", "10.1.0.1", "miss");
	expect_lookup(f, "vpc-gz", "10.2.0.1", "region:sh");
	expect_lookup(f, "vpc-hz", "10.5.0.1", "region:gz");

	assert_int_equal(engine_set_region_reachable(f->e, "hz", true, &f->err),
			 0);
	engine_drain(f->e);
	expect_lookup(f, "vpc-sh", "172.17.0.1", "region:hz");
	expect_lookup(f, "vpc-sh", "172.16.0.1", "miss");
	expect_lookup(f, "vpc-bj", "10.6.0.1", "region:hz");
	expect_lookup(f, "vpc-gz", "10.1.0.1", "region:hz");
	assert_int_equal(route(f, "rt-gz", "172.17.0.0/16", "vbr-hz").count, 1);
}

/* ---- per-attachment views --------------------------------------------- */

static void
test_view_region_out_deny_per_attachment(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;
	struct rt x;

	cond_world(f);
	bgp(f, "vbr2", "172.0.0.0/8", "65002", NULL);
	r = rm("hz", MODEL_DIR_OUT, 20, MODEL_ACTION_DENY);
	set_ids(r.src_instances, &r.nsrc_instances, "vbr1");
	set_ids(r.dst_instances, &r.ndst_instances, "vpc-a");
	put_rmap(f, &r);
	commit(f);

	x = view(f, "vpc-a", "172.16.0.0/16", "vbr1");
	expect_view(f, "vpc-a", "172.16.0.0/16", "vbr1", "Rejected",
		    "route-map-deny");
	assert_int_equal(x.prio, 20);
	expect_view(f, "vpc-b", "172.16.0.0/16", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "172.16.0.0/16", "vbr1", "Active", "");
	/* vpc-a falls through to the next shorter route it has */
	expect_lookup(f, "vpc-a", "172.16.0.1", "vbr2");
	expect_lookup(f, "vpc-b", "172.16.0.1", "vbr1");

	/* no shorter route: a miss */
	withdraw(f, "vbr2", "172.0.0.0/8");
	expect_lookup(f, "vpc-a", "172.16.0.1", "miss");
	expect_lookup(f, "vpc-b", "172.16.0.1", "vbr1");

	/* the listing of an attachment leaves out its own routes */
	assert_false(view(f, "vbr1", "172.16.0.0/16", "vbr1").found);
}

/* ---- determinism ------------------------------------------------------ */

static const struct {
	const char *att, *peer, *prefix, *as, *comm;
} world_paths[] = {
	{ "vbr1", "192.0.2.1", "172.16.0.0/16", "65001", NULL },
	{ "vbr1", "192.0.2.2", "172.16.0.0/16", "65001", "65000:1" },
	{ "vbr2", "192.0.2.9", "172.16.0.0/16", "65002", NULL },
	{ "vbr2", "192.0.2.9", "172.17.0.0/16", "65002 65002", NULL },
	{ "vbr1", "192.0.2.1", "172.17.0.0/16", "65001", "65000:2" },
	{ "vbr-sh", "198.51.100.1", "172.16.0.0/16", "65003", NULL },
	{ "vbr-sh", "198.51.100.1", "10.1.5.0/24", "65003", NULL },
	{ "vbr1", "192.0.2.1", "0.0.0.0/0", "65001", NULL },
	{ "vbr2", "192.0.2.9", "2001:db8::/32", "65002", NULL },
	{ "vbr2", "192.0.2.9", "203.0.113.0/24", "65002", "65000:66" },
	{ "vbr-sh", "198.51.100.2", "203.0.113.0/24", "65003", NULL },
};

static void
world_config(struct fx *f)
{
	struct model_rmap r;

	add_region(f, "hz");
	add_region(f, "sh");
	add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
	add_vpc(f, "vpc-b", "hz", "10.2.0.0/16");
	add_vpc(f, "vpc-sh", "sh", "10.9.0.0/16");
	add_vbr(f, "vbr1", "hz");
	add_vbr(f, "vbr2", "hz");
	add_vbr(f, "vbr-sh", "sh");
	add_table_route(f, "rt-hz", "192.168.0.0/16", "vbr1*2 vbr2");
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_PERMIT);
	set_comms(r.comms, &r.ncomms, "65000:66");
	r.set_pref = 30;
	put_rmap(f, &r);
	r = rm("hz", MODEL_DIR_OUT, 10, MODEL_ACTION_DENY);
	set_ids(r.src_instances, &r.nsrc_instances, "vbr2");
	set_ids(r.dst_instances, &r.ndst_instances, "vpc-b");
	put_rmap(f, &r);
	commit(f);
}

static void
world_paths_add(struct fx *f, bool reverse)
{
	size_t n = sizeof(world_paths) / sizeof(world_paths[0]);

	for (size_t k = 0; k < n; k++) {
		size_t i = reverse ? n - 1 - k : k;

		bgp_from(f, world_paths[i].att, world_paths[i].peer,
			 world_paths[i].prefix, world_paths[i].as,
			 world_paths[i].comm);
	}
}

static void
expect_same_state(struct fx *a, struct fx *b)
{
	char *da = engine_dump(a->e), *db = engine_dump(b->e);

	if (strcmp(da, db) != 0) {
		fprintf(stderr, "---- A ----\n%s---- B ----\n%s----\n", da, db);
		free(da);
		free(db);
		fail_msg("the two engines' states differ");
	}
	free(da);
	free(db);
	assert_true(engine_hash(a->e) == engine_hash(b->e));
}

static void
test_hash_same_commands_same_hash(void **state)
{
	struct fx *a = *state, *b = fx_new();
	uint64_t h;

	world_config(a);
	world_paths_add(a, false);
	world_config(b);
	world_paths_add(b, false);
	expect_same_state(a, b);

	/* the hash covers the state: a change shows, undoing it restores */
	h = engine_hash(a->e);
	withdraw_from(b, "vbr2", "192.0.2.9", "172.16.0.0/16");
	assert_true(engine_hash(b->e) != h);
	bgp_from(b, "vbr2", "192.0.2.9", "172.16.0.0/16", "65002", NULL);
	expect_same_state(a, b);
	assert_true(engine_hash(b->e) == h);
	assert_true(engine_set_health(b->e, "vbr1", false, &b->err) == 0);
	engine_drain(b->e);
	assert_true(engine_hash(b->e) != h);
	fx_free(b);
}

static void
test_hash_independent_of_path_insertion_order(void **state)
{
	struct fx *a = *state, *b = fx_new();

	world_config(a);
	world_paths_add(a, false);
	world_config(b);
	world_paths_add(b, true);
	expect_same_state(a, b);
	fx_free(b);
}

/* Equal states hash equal, however the configuration got there: here the
 * objects are created in opposite orders. */
static void
test_hash_equal_states_whatever_config_order(void **state)
{
	struct fx *a = *state, *b = fx_new();

	add_region(a, "hz");
	add_region(a, "sh");
	add_vpc(a, "vpc-a", "hz", "10.1.0.0/16");
	add_vbr(a, "vbr1", "hz");
	add_vbr(a, "vbr2", "hz");
	add_vpc(a, "vpc-s", "sh", "10.9.0.0/16");
	commit(a);

	add_region(b, "sh");
	add_vpc(b, "vpc-s", "sh", "10.9.0.0/16");
	commit(b);
	add_region(b, "hz");
	b->vlan = 101; /* vbr2 gets the VLAN it has in a */
	add_vbr(b, "vbr2", "hz");
	commit(b);
	b->vlan = 100;
	add_vbr(b, "vbr1", "hz");
	add_vpc(b, "vpc-a", "hz", "10.1.0.0/16");
	commit(b);

	bgp(a, "vbr1", "172.16.0.0/16", "65001", NULL);
	bgp(a, "vbr2", "172.16.0.0/16", "65001", NULL);
	bgp(b, "vbr2", "172.16.0.0/16", "65001", NULL);
	bgp(b, "vbr1", "172.16.0.0/16", "65001", NULL);
	expect_same_state(a, b);
	fx_free(b);
}

static void
test_hash_independent_of_ecmp_arrival_order(void **state)
{
	struct fx *a = *state, *b = fx_new();
	char id[16];

	for (int k = 0; k < 2; k++) {
		struct fx *f = k == 0 ? a : b;

		add_region(f, "hz");
		add_vpc(f, "vpc-a", "hz", "10.1.0.0/16");
		for (int i = 1; i <= 9; i++) {
			snprintf(id, sizeof(id), "vbr-%d", i);
			add_vbr(f, id, "hz");
		}
		commit(f);
		for (int j = 1; j <= 9; j++) {
			/* a: 1..9; b: 5,1,6,2,7,3,8,4,9 */
			int i = k == 0 ? j : (j % 2 ? 5 + j / 2 : j / 2);

			snprintf(id, sizeof(id), "vbr-%d", i);
			bgp(f, id, "172.16.0.0/16", "65001", NULL);
		}
	}
	expect_same_state(a, b);
	expect_lookup(b, "vpc-a", "172.16.0.1",
		      "vbr-1, vbr-2, vbr-3, vbr-4, vbr-5, vbr-6, vbr-7, vbr-8");
	fx_free(b);
}

/* ---- incremental work ------------------------------------------------- */

static void
many_prefixes_world(struct fx *f)
{
	char p[32];

	add_region(f, "hz");
	add_vpc(f, "vpc-a", "hz", "192.168.0.0/24");
	add_vbr(f, "vbr1", "hz");
	commit(f);
	for (int i = 0; i < 50; i++) {
		snprintf(p, sizeof(p), "10.0.%d.0/24", i);
		bgp(f, "vbr1", p, "65001", NULL);
		snprintf(p, sizeof(p), "20.0.%d.0/24", i);
		bgp(f, "vbr1", p, "65001", NULL);
	}
}

/* Deltas since the last reset: how many, and whether all lie in w. */
static size_t
deltas_inside(struct fx *f, const char *within, size_t *outside)
{
	struct prefix w = pfx(within);
	size_t in = 0;

	*outside = 0;
	for (size_t i = f->mark; i < f->nd; i++) {
		if (prefix_contains(&w, &f->d[i].prefix))
			in++;
		else
			(*outside)++;
	}
	return in;
}

static void
test_routemap_change_with_cidr_touches_only_matching_prefixes(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;
	size_t in, out;

	many_prefixes_world(f);

	deltas_reset(f);
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	set_cidrs(r.cidrs, &r.ncidrs, "10.0.0.0/16");
	put_rmap(f, &r);
	commit(f);
	in = deltas_inside(f, "10.0.0.0/16", &out);
	assert_int_equal(out, 0);
	assert_int_equal(in, 50); /* each 10.0.x.0/24 withdrawn once */
	expect_route(f, "rt-hz", "10.0.7.0/24", "vbr1", "Rejected",
		     "route-map-deny");
	expect_route(f, "rt-hz", "20.0.7.0/24", "vbr1", "Active", "");

	/* narrowing the entry brings back 10.0.16-49 and nothing else */
	deltas_reset(f);
	set_cidrs(r.cidrs, &r.ncidrs, "10.0.0.0/20");
	put_rmap(f, &r);
	commit(f);
	in = deltas_inside(f, "10.0.16.0/20", &out);
	assert_int_equal(out + in, 34);
	assert_int_equal(deltas_inside(f, "10.0.0.0/16", &out), 34);
	assert_int_equal(out, 0);
	expect_route(f, "rt-hz", "10.0.16.0/24", "vbr1", "Active", "");
	expect_route(f, "rt-hz", "10.0.15.0/24", "vbr1", "Rejected",
		     "route-map-deny");

	/* a RegionOut entry with a CIDR: only that attachment's views of
	 * prefixes inside it */
	deltas_reset(f);
	r = rm("hz", MODEL_DIR_OUT, 10, MODEL_ACTION_DENY);
	set_cidrs(r.cidrs, &r.ncidrs, "20.0.0.0/19");
	set_ids(r.dst_instances, &r.ndst_instances, "vpc-a");
	put_rmap(f, &r);
	commit(f);
	in = deltas_inside(f, "20.0.0.0/19", &out);
	assert_int_equal(out, 0);
	assert_int_equal(in, 32);
	for (size_t i = f->mark; i < f->nd; i++)
		assert_string_equal(f->d[i].view, "vpc-a");
	expect_lookup(f, "vpc-a", "20.0.3.1", "miss");
	expect_lookup(f, "vpc-a", "20.0.33.1", "vbr1");
}

static void
test_jobs_resume_in_bounded_slices(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;
	struct engine_stats st;
	struct state_census c;
	char p[32];
	int slices = 0;
	bool more;

	add_region(f, "hz");
	add_vbr(f, "vbr1", "hz");
	commit(f);
	for (int i = 0; i < 300; i++) {
		snprintf(p, sizeof(p), "10.%d.%d.0/24", i / 256, i % 256);
		bgp(f, "vbr1", p, "65001", NULL);
	}

	/* a whole-table change is queued, not done in the call */
	r = rm("hz", MODEL_DIR_IN, 10, MODEL_ACTION_DENY);
	put_rmap(f, &r);
	commit_nodrain(f);
	assert_true(engine_pending(f->e) > 0);
	engine_get_stats(f->e, &st);
	assert_true(st.jobs > 0);

	more = engine_run(f->e, 16);
	slices++;
	assert_true(more);
	memset(&c, 0, sizeof(c));
	engine_route_list(f->e, NULL, "rt-hz", NULL, false, census_cb, &c);
	assert_true(c.states[ENGINE_STATE_REJECTED] > 0);
	assert_true(c.states[ENGINE_STATE_REJECTED] < 300);
	while (more) {
		more = engine_run(f->e, 16);
		slices++;
		assert_true(slices < 1000);
	}
	assert_true(slices >= 300 / 16);
	assert_int_equal(engine_pending(f->e), 0);
	memset(&c, 0, sizeof(c));
	engine_route_list(f->e, NULL, "rt-hz", NULL, false, census_cb, &c);
	assert_int_equal(c.states[ENGINE_STATE_REJECTED], 300);
	assert_int_equal(c.states[ENGINE_STATE_ACTIVE], 0);
	assert_false(engine_run(f->e, 16));
}

static void
test_fib_deltas_consistent_with_fib_walk(void **state)
{
	struct fx *f = *state;
	struct model_rmap r;
	struct model_attachment *a;

	add_region(f, "hz");
	add_region(f, "sh");
	add_table(f, "rt-x", "hz");
	add_vpc(f, "vpc-a", "hz", "10.0.0.0/16");
	add_vpc(f, "vpc-b", "hz", "10.2.0.0/16");
	add_vpc(f, "vpc-s", "sh", "10.9.0.0/16");
	add_vbr(f, "vbr1", "hz");
	add_vbr(f, "vbr2", "hz");
	commit(f);
	expect_fib_consistent(f);

	bgp(f, "vbr1", "172.16.0.0/16", "65001", NULL);
	bgp(f, "vbr2", "172.16.0.0/16", "65001", NULL);
	bgp(f, "vbr1", "10.0.5.0/24", "65001", NULL);
	bgp(f, "vbr1", "0.0.0.0/0", "65001", NULL);
	bgp(f, "vbr2", "2001:db8::/32", "65002", NULL);
	expect_fib_consistent(f);

	r = rm("hz", MODEL_DIR_OUT, 10, MODEL_ACTION_DENY);
	set_ids(r.src_instances, &r.nsrc_instances, "vbr1");
	set_ids(r.dst_instances, &r.ndst_instances, "vpc-b");
	put_rmap(f, &r);
	add_table_route(f, "rt-hz", "192.168.0.0/16", "vbr1*2 vbr2");
	commit(f);
	expect_fib_consistent(f);

	assert_int_equal(engine_set_health(f->e, "vbr2", false, &f->err), 0);
	engine_drain(f->e);
	expect_fib_consistent(f);
	withdraw(f, "vbr1", "172.16.0.0/16");
	expect_fib_consistent(f);
	assert_int_equal(engine_set_health(f->e, "vbr2", true, &f->err), 0);
	engine_drain(f->e);
	expect_fib_consistent(f);

	/* vpc-b moves to a custom table */
	a = att(f, "vpc-b");
	snprintf(a->route_table, sizeof(a->route_table), "rt-x");
	commit(f);
	expect_fib_consistent(f);
	expect_lookup(f, "vpc-b", "172.16.0.1", "miss");

	/* vpc-a leaves */
	model_del_attachment(&f->m, "vpc-a");
	commit(f);
	expect_fib_consistent(f);
	expect_no_route(f, "rt-sh", "10.0.0.0/16", "vpc-a");

	assert_int_equal(
		engine_del_rmap(f->e, "hz", MODEL_DIR_OUT, "", 10, &f->err), 0);
	engine_drain(f->e);
	expect_fib_consistent(f);
	assert_int_equal(engine_fib_walk(f->e, "nope", walk_cb, NULL),
			 -CEN_ENOENT);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_routemap_permit_stops_without_next_priority),
		T(test_routemap_lower_priority_evaluated_first),
		T(test_routemap_next_priority_continues),
		T(test_routemap_no_match_permits_unchanged),
		T(test_routemap_deny_all_at_100_permit_pairs_at_50),
		T(test_routemap_keyed_by_route_table),
		T(test_routemap_priority_rules_validated),
		T(test_routemap_condition_source_region),
		T(test_routemap_condition_source_instance),
		T(test_routemap_condition_source_instance_inverse),
		T(test_routemap_condition_destination_instance),
		T(test_routemap_condition_destination_instance_inverse),
		T(test_routemap_condition_source_table),
		T(test_routemap_condition_destination_table),
		T(test_routemap_condition_source_type),
		T(test_routemap_condition_destination_type),
		T(test_routemap_condition_cidr_include),
		T(test_routemap_condition_cidr_complete),
		T(test_routemap_condition_route_type),
		T(test_routemap_condition_as_include),
		T(test_routemap_condition_as_complete),
		T(test_routemap_condition_as_set_never_matches),
		T(test_routemap_condition_community_include),
		T(test_routemap_condition_community_complete),
		T(test_routemap_condition_address_family),
		T(test_routemap_conditions_all_must_match),
		T(test_routemap_action_preference),
		T(test_routemap_action_communities_additive),
		T(test_routemap_action_communities_replace),
		T(test_routemap_action_as_prepend_region_in),
		T(test_routemap_action_as_prepend_region_out),
		T(test_routemap_action_as_prepend_constraints),
		T(test_eleventh_vpc_is_one_attachment),
		T(test_attachment_propagates_into_listed_tables),
		T(test_vpc_custom_routes_advertised_only_when_published),
		T(test_physical_connection_and_vbr_rules),
		T(test_bgp_peer_config_rules),
		T(test_session_loss_withdraws_every_path_learned_over_it),
		T(test_bgp_paths_only_from_vbr_vpn_ccn),
		T(test_bestpath_static_beats_propagated),
		T(test_bestpath_vbr_bgp_beats_static),
		T(test_bestpath_shorter_as_path_between_vbrs),
		T(test_bestpath_local_region_beats_remote),
		T(test_bestpath_lower_preference_wins),
		T(test_bestpath_region_id_tiebreak),
		T(test_multi_region_ecmp),
		T(test_ecmp_up_to_8_next_hops),
		T(test_active_standby_by_preference),
		T(test_active_standby_by_as_path_prepend),
		T(test_overlap_off_rejects_routes_inside_custom_route),
		T(test_overlap_on_accepts_routes_inside_custom_route),
		T(test_overlap_on_longest_prefix_match),
		T(test_overlap_off_refuses_custom_route_over_learned),
		T(test_overlap_on_allows_custom_route_over_learned),
		T(test_vswitch_cidr_rejects_equal_and_inside_accepts_covering),
		T(test_router_interface_static_conflict_migration_and_rollback),
		T(test_quota_overflow_rejected_not_lost),
		T(test_default_route_prohibited_when_vbr_disallows),
		T(test_reserved_100_64_10_refused_as_custom_route),
		T(test_health_down_withdraws_vbr_routes_and_standby_takes_over),
		T(test_bandwidth_package_rules),
		T(test_states_have_reasons),
		T(test_inter_region_vpc_learns_routes_via_region_next_hop),
		T(test_inter_region_region_out_towards_region),
		T(test_inter_region_standby_by_region_out_preference),
		T(test_region_unreachable_withdraws_everything_it_exported),
		T(test_region_unreachable_holds_its_changes_until_it_is_back),
		T(test_view_region_out_deny_per_attachment),
		T(test_hash_same_commands_same_hash),
		T(test_hash_independent_of_path_insertion_order),
		T(test_hash_independent_of_ecmp_arrival_order),
		T(test_hash_equal_states_whatever_config_order),
		T(test_routemap_change_with_cidr_touches_only_matching_prefixes),
		T(test_jobs_resume_in_bounded_slices),
		T(test_fib_deltas_consistent_with_fib_walk),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
