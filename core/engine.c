/*
 * engine.c - the engine's API (engine.h): configuration reconcile, paths,
 * jobs, reads, the state hash.
 *
 * Configuration changes are whole-model: every single-object command builds
 * the next model, validates it with model_validate and reconciles the
 * engine's derived state to it (engine_apply).  Reconcile touches only what
 * changed: new and removed tables and attachments, the config-derived paths
 * of changed attachments (vSwitch CIDRs, published custom routes, static
 * routes), table static routes, and route-map entries, each of which queues a
 * job limited to the prefixes and sources its conditions can match.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "engine_int.h"
#include "model_yaml.h"

#define FAM(p) ((p)->family == PREFIX_AF_INET6 ? 1 : 0)

static bool
id_eq(const void *a, const void *b)
{
	return strcmp(a, b) == 0;
}

static bool
pfx_eq(const void *a, const void *b)
{
	return prefix_equal(a, b);
}

struct engine *
engine_new(void)
{
	return engine_new_shared(NULL);
}

struct engine *
engine_new_shared(struct attr_store *st)
{
	struct engine *e = calloc(1, sizeof(*e));
	struct prefix none = { 0 };

	if (e == NULL)
		return NULL;
	model_init(&e->model);
	if (st == NULL) {
		attr_store_init(&e->own_attrs);
		st = &e->own_attrs;
	}
	e->attrs = st;
	slab_init(&e->paths, sizeof(struct e_path));
	engine_nhg_init(e);
	hmap_init(&e->att_by_id, id_eq);
	hmap_init(&e->region_by_id, id_eq);
	hmap_init(&e->table_by_id, id_eq);
	hmap_init(&e->peer_by_addr, pfx_eq);
	e->empty_nhg = nhg_intern(e, NULL, 0);
	e->peers = calloc(16, sizeof(*e->peers));
	if (e->peers == NULL || e->empty_nhg == NULL) {
		engine_free(e);
		return NULL;
	}
	e->cappeers = 16;
	e->peers[0] = none;
	e->npeers = 1;
	return e;
}

static void
att_clear_overrides(struct engine *e, struct e_att *a, bool emit)
{
	const void *k;
	void *v;

	for (size_t i = 0; hmap_next(&a->overrides, &i, &k, &v);) {
		struct e_override *o = v;

		if (emit && a->assoc != E_NONE && e->tables[a->assoc] != NULL)
			engine_emit(e, e->tables[a->assoc], a, &o->prefix,
				    NULL);
		engine_nhg_unref(e, o->nhg);
		free(o);
		e->noverrides--;
	}
	hmap_fini(&a->overrides);
	hmap_init(&a->overrides, pfx_eq);
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	while (e->jobs != NULL) {
		struct e_job *j = e->jobs;

		e->jobs = j->next;
		free(j);
	}
	/* next-hop groups name attachments: release them first */
	for (size_t i = 0; i < e->natts; i++)
		if (e->atts[i] != NULL)
			att_clear_overrides(e, e->atts[i], false);
	for (size_t i = 0; i < e->ntables; i++) {
		if (e->tables[i] == NULL)
			continue;
		rib_table_fini(e, e->tables[i]);
		free(e->tables[i]);
	}
	for (size_t i = 0; i < e->natts; i++) {
		if (e->atts[i] == NULL)
			continue;
		hmap_fini(&e->atts[i]->overrides);
		free(e->atts[i]);
	}
	for (size_t i = 0; i < e->nregions; i++)
		free(e->regions[i]);
	free(e->atts);
	free(e->tables);
	free(e->regions);
	free(e->peers);
	hmap_fini(&e->att_by_id);
	hmap_fini(&e->region_by_id);
	hmap_fini(&e->table_by_id);
	hmap_fini(&e->peer_by_addr);
	engine_nhg_unref(e, e->empty_nhg);
	nhg_store_fini(e);
	slab_fini(&e->paths);
	if (e->attrs == &e->own_attrs)
		attr_store_fini(&e->own_attrs, true);
	model_free(&e->model);
	free(e);
}

void
engine_set_delta_cb(struct engine *e, engine_delta_cb cb, void *arg)
{
	e->cb = cb;
	e->cb_arg = arg;
}

void
engine_set_touch_cb(struct engine *e, engine_touch_cb cb, void *arg)
{
	e->touch_cb = cb;
	e->touch_arg = arg;
}

struct attr_store *
engine_attrs(struct engine *e)
{
	return e->attrs;
}

const struct model *
engine_model(const struct engine *e)
{
	return &e->model;
}

struct e_att *
engine_att(struct engine *e, uint32_t idx)
{
	return idx < e->natts ? e->atts[idx] : NULL;
}

void
engine_emit(struct engine *e, const struct e_table *t, const struct e_att *view,
	    const struct prefix *p, const struct engine_nhg *nhg)
{
	struct engine_delta d;

	if (e->cb == NULL)
		return;
	d.region = e->regions[t->region]->id;
	d.table = t->id;
	d.view = view != NULL ? view->id : NULL;
	d.prefix = *p;
	d.nhg = nhg;
	e->cb(&d, e->cb_arg);
}

static void *
by_id(struct hmap *m, const char *id)
{
	return hmap_get(m, hmap_hash_str(id), id);
}

static struct e_att *
att_by_id(struct engine *e, const char *id)
{
	struct e_att *a;

	if (id == NULL)
		return NULL;
	/* paths come in runs of one attachment (a PathUpdate): the last one
	 * found is compared first */
	if (e->last_att < e->natts && (a = e->atts[e->last_att]) != NULL &&
	    strcmp(a->id, id) == 0)
		return a;
	a = by_id(&e->att_by_id, id);
	if (a != NULL)
		e->last_att = a->idx;
	return a;
}

static struct e_table *
table_by_id(struct engine *e, const char *id)
{
	return by_id(&e->table_by_id, id);
}

static struct e_region *
region_by_id(struct engine *e, const char *id)
{
	return by_id(&e->region_by_id, id);
}

static void *
grow(void *v, size_t n, size_t size)
{
	/* arrays grow by one slot at a time only for rare objects */
	void *nv = realloc(v, (n + 1) * size);

	if (nv == NULL)
		abort();
	return nv;
}

/* ---- jobs ---------------------------------------------------------- */

void
engine_job_add(struct engine *e, uint32_t table, uint8_t what, uint32_t att,
	       const struct prefix *within)
{
	struct e_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->table = table;
	j->what = what;
	j->att = att;
	j->peer = E_NONE;
	j->gen = e->gen;
	if (within != NULL)
		j->within = *within;
	j->fam = within != NULL && within->family != PREFIX_AF_NONE
			 ? FAM(within)
			 : 0;
	if (e->jobs_tail != NULL)
		e->jobs_tail->next = j;
	else
		e->jobs = j;
	e->jobs_tail = j;
	e->njobs++;
}

struct job_arg {
	struct engine *e;
	struct e_table *t;
	struct e_job *j;
};

static int
job_cb(const struct prefix *p, void *payload, void *arg)
{
	struct job_arg *ja = arg;
	struct e_entry *en = payload;
	struct e_job *j = ja->j;
	bool hit = j->att == E_NONE;

	/* a flush removes local paths only; other jobs (RegionIn naming one
	 * source) must also reach that source's paths from other regions */
	for (struct e_path *q = en->paths; q != NULL && !hit; q = q->next)
		hit = q->src == j->att &&
		      (!(q->flags & P_REMOTE) || !(j->what & JOB_FLUSH));
	if (!hit)
		return 0;
	if (j->what & JOB_FLUSH) {
		struct e_path *q, *next;
		struct e_path *victims[64];
		uint32_t nv = 0;

		for (q = en->paths; q != NULL; q = next) {
			next = q->next;
			if (q->src == j->att && q->type == MODEL_RT_BGP &&
			    !(q->flags & (P_REMOTE | P_TSTATIC)) &&
			    q->gen < j->gen &&
			    (j->peer == E_NONE ||
			     PEER_IDX(q->peer) == j->peer) &&
			    (j->node == 0 || PEER_NODE(q->peer) == j->node) &&
			    nv < 64)
				victims[nv++] = q;
		}
		for (uint32_t i = 0; i < nv; i++) {
			struct e_path v = *victims[i];

			rib_path_del(ja->e, ja->t, p, v.src, v.peer, v.type,
				     v.flags);
		}
		return 0;
	}
	rib_refresh(ja->e, ja->t, p, j->what, j->att);
	return 0;
}

bool
engine_run(struct engine *e, size_t budget)
{
	while (budget > 0 && e->jobs != NULL) {
		struct e_job *j = e->jobs;
		struct e_table *t =
			j->table < e->ntables ? e->tables[j->table] : NULL;
		struct job_arg ja = { e, t, j };
		size_t n = 0;
		bool done;

		if (t != NULL) {
			const struct prefix *w =
				j->within.family != 0 ? &j->within : NULL;

			n = trie_walk_from(&t->trie[j->fam], w, &j->cursor,
					   &j->started, budget, job_cb, &ja);
		}
		done = t == NULL || n < budget;
		budget = n < budget ? budget - n : 0;
		if (!done)
			break;
		if (t != NULL && j->within.family == 0 && j->fam == 0) {
			/* IPv4 done: go on with IPv6 */
			j->fam = 1;
			j->started = false;
			continue;
		}
		e->jobs = j->next;
		if (e->jobs == NULL)
			e->jobs_tail = NULL;
		e->njobs--;
		free(j);
	}
	return e->jobs != NULL;
}

void
engine_drain(struct engine *e)
{
	while (engine_run(e, 65536))
		;
}

size_t
engine_pending(const struct engine *e)
{
	return e->njobs;
}

/* ---- reconcile ------------------------------------------------------ */

static struct e_region *
region_create(struct engine *e, const char *id)
{
	struct e_region *r = calloc(1, sizeof(*r));

	if (r == NULL)
		abort();
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->idx = (uint32_t)e->nregions;
	r->system = E_NONE;
	r->hidden = E_NONE;
	e->regions = grow(e->regions, e->nregions, sizeof(*e->regions));
	e->regions[e->nregions++] = r;
	if (hmap_put(&e->region_by_id, hmap_hash_str(r->id), r->id, r, NULL))
		abort();
	return r;
}

static struct e_table *
table_create(struct engine *e, const char *id, uint32_t region, bool hidden)
{
	struct e_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		abort();
	snprintf(t->id, sizeof(t->id), "%s", id);
	t->idx = (uint32_t)e->ntables;
	t->region = region;
	t->hidden = hidden;
	rib_table_init(e, t);
	e->tables = grow(e->tables, e->ntables, sizeof(*e->tables));
	e->tables[e->ntables++] = t;
	if (!hidden &&
	    hmap_put(&e->table_by_id, hmap_hash_str(t->id), t->id, t, NULL))
		abort();
	return t;
}

static void
table_destroy(struct engine *e, struct e_table *t)
{
	if (!t->hidden)
		hmap_del(&e->table_by_id, hmap_hash_str(t->id), t->id);
	e->tables[t->idx] = NULL;
	rib_table_fini(e, t);
	free(t);
}

static int
u32cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
table_att_add(struct e_table *t, uint32_t att)
{
	t->atts = grow(t->atts, t->natts, sizeof(*t->atts));
	t->atts[t->natts++] = att;
	qsort(t->atts, t->natts, sizeof(*t->atts), u32cmp);
}

static void
table_att_del(struct e_table *t, uint32_t att)
{
	for (size_t i = 0; i < t->natts; i++) {
		if (t->atts[i] == att) {
			memmove(&t->atts[i], &t->atts[i + 1],
				(t->natts - i - 1) * sizeof(*t->atts));
			t->natts--;
			return;
		}
	}
}

/* The tables an attachment propagates into, resolved from its config. */
static void
att_resolve(struct engine *e, struct e_att *a, const struct model_attachment *m)
{
	struct e_region *r = region_by_id(e, m->region);
	struct e_table *assoc = m->route_table[0] != '\0'
					? table_by_id(e, m->route_table)
					: e->tables[r->system];

	a->type = m->type;
	a->region = r->idx;
	a->assoc = assoc->idx;
	a->nprop = 0;
	if (m->propagate_set) {
		for (uint8_t i = 0; i < m->npropagate; i++) {
			struct e_table *t = table_by_id(e, m->propagate[i]);

			if (t != NULL)
				a->prop[a->nprop++] = t->idx;
		}
	} else {
		a->prop[a->nprop++] = assoc->idx;
	}
	qsort(a->prop, a->nprop, sizeof(a->prop[0]), u32cmp);
	a->change_route = !m->health.enabled || m->health.change_route;
	a->allow_default = m->allow_default_route;
}

/* Tables holding an attachment's paths: its propagation, or the hidden
 * table of its region when it propagates nowhere. */
static size_t
att_tables(struct engine *e, const struct e_att *a, struct e_table **out)
{
	size_t n = 0;

	for (uint8_t i = 0; i < a->nprop; i++)
		out[n++] = e->tables[a->prop[i]];
	if (n == 0)
		out[n++] = e->tables[e->regions[a->region]->hidden];
	return n;
}

/* Queues the re-decision of att's paths after its health (or what health
 * does to it) changed: in the tables holding its paths, and in every other
 * table of its region, where static routes may name it as next hop. */
static void
att_decide_jobs(struct engine *e, const struct e_att *a)
{
	struct e_table *tabs[MODEL_LIST_MAX + 1];
	size_t nt = att_tables(e, a, tabs);

	for (size_t k = 0; k < nt; k++)
		engine_job_add(e, tabs[k]->idx, JOB_DECIDE | JOB_OUT, a->idx,
			       NULL);
	for (size_t i = 0; i < e->ntables; i++) {
		const struct e_table *t = e->tables[i];
		bool queued = false;

		if (t == NULL || t->hidden || t->region != a->region)
			continue;
		for (size_t k = 0; k < nt; k++)
			queued |= tabs[k] == t;
		if (!queued)
			engine_job_add(e, t->idx, JOB_DECIDE | JOB_OUT, a->idx,
				       NULL);
	}
}

/* A config-derived path: System (vSwitch CIDR) or Custom (published VPC
 * route, VBR/VPN/CCN static route). */
struct cfg_path {
	struct prefix prefix;
	uint8_t type;
	uint8_t weight;
};

static size_t
cfg_paths(const struct model_attachment *m, struct cfg_path **out)
{
	size_t n = 0;
	struct cfg_path *v;

	*out = NULL;
	if (m == NULL)
		return 0;
	v = calloc(m->nvswitch + m->nroutes + 1, sizeof(*v));
	if (v == NULL)
		abort();
	for (size_t i = 0; i < m->nvswitch; i++) {
		v[n].prefix = m->vswitch_cidrs[i];
		v[n].type = MODEL_RT_SYSTEM;
		v[n].weight = 1;
		n++;
	}
	for (size_t i = 0; i < m->nroutes; i++) {
		const struct model_route *r = &m->routes[i];

		/* VPC custom routes are advertised only when published */
		if (m->type == MODEL_ATT_VPC && !r->publish)
			continue;
		v[n].prefix = r->prefix;
		v[n].type = MODEL_RT_CUSTOM;
		v[n].weight = r->nh.weight ? r->nh.weight : 1;
		n++;
	}
	*out = v;
	return n;
}

static bool
cfg_path_has(const struct cfg_path *v, size_t n, const struct cfg_path *x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].type == x->type && v[i].weight == x->weight &&
		    prefix_equal(&v[i].prefix, &x->prefix))
			return true;
	return false;
}

static const struct attrs *
default_attrs(struct engine *e, uint8_t weight)
{
	struct attrs a;

	attr_init(&a);
	a.weight = weight;
	return attr_intern(e->attrs, &a);
}

static void
cfg_paths_apply(struct engine *e, struct e_att *a,
		const struct model_attachment *oldm,
		const struct model_attachment *newm)
{
	struct cfg_path *ov, *nv;
	size_t on = cfg_paths(oldm, &ov), nn = cfg_paths(newm, &nv);
	struct e_table *tabs[MODEL_LIST_MAX + 1];
	size_t nt = att_tables(e, a, tabs);

	for (size_t i = 0; i < on; i++) {
		if (cfg_path_has(nv, nn, &ov[i]))
			continue;
		for (size_t k = 0; k < nt; k++)
			rib_path_del(e, tabs[k], &ov[i].prefix, a->idx, 0,
				     ov[i].type, 0);
	}
	for (size_t i = 0; i < nn; i++) {
		const struct attrs *at;

		if (cfg_path_has(ov, on, &nv[i]))
			continue;
		at = default_attrs(e, nv[i].weight);
		for (size_t k = 0; k < nt; k++)
			rib_path_put(e, tabs[k], &nv[i].prefix, a->idx, 0,
				     nv[i].type, 0, at);
		attr_unref(e->attrs, at);
	}
	free(ov);
	free(nv);
}

static void
att_remove(struct engine *e, struct e_att *a,
	   const struct model_attachment *oldm)
{
	struct e_table *tabs[MODEL_LIST_MAX + 1];
	size_t nt = att_tables(e, a, tabs);

	for (size_t k = 0; k < nt; k++)
		rib_att_paths(e, tabs[k], a->idx, NULL, true);
	att_clear_overrides(e, a, true);
	table_att_del(e->tables[a->assoc], a->idx);
	hmap_del(&e->att_by_id, hmap_hash_str(a->id), a->id);
	/* the slot stays (as a tombstone) so indices are never reused while
	 * next-hop groups or jobs may still name it */
	a->assoc = E_NONE;
}

static bool
same_tables(const uint32_t *a, uint8_t na, const uint32_t *b, uint8_t nb)
{
	if (na != nb)
		return false;
	for (uint8_t i = 0; i < na; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* Moves an attachment's paths when its propagation changes. */
static void
att_move(struct engine *e, struct e_att *a, const struct e_att *old)
{
	struct e_table *src, *oldt[MODEL_LIST_MAX + 1],
		*newt[MODEL_LIST_MAX + 1];
	size_t no = att_tables(e, old, oldt), nn = att_tables(e, a, newt);

	src = oldt[0];
	for (size_t i = 0; i < nn; i++) {
		bool had = false;

		for (size_t k = 0; k < no; k++)
			had |= oldt[k] == newt[i];
		if (!had)
			rib_att_paths(e, src, a->idx, newt[i], false);
	}
	for (size_t k = 0; k < no; k++) {
		bool keep = false;

		for (size_t i = 0; i < nn; i++)
			keep |= oldt[k] == newt[i];
		if (!keep)
			rib_att_paths(e, oldt[k], a->idx, NULL, true);
	}
}

static bool
prot_changed(const struct model_attachment *o, const struct model_attachment *n)
{
	if (o == NULL || n == NULL)
		return true;
	if (o->nvswitch != n->nvswitch || o->nroutes != n->nroutes)
		return true;
	for (size_t i = 0; i < o->nvswitch; i++)
		if (!prefix_equal(&o->vswitch_cidrs[i], &n->vswitch_cidrs[i]))
			return true;
	for (size_t i = 0; i < o->nroutes; i++)
		if (!prefix_equal(&o->routes[i].prefix, &n->routes[i].prefix) ||
		    o->routes[i].nh.type != n->routes[i].nh.type)
			return true;
	return false;
}

static bool
rmap_same(const struct model_rmap *a, const struct model_rmap *b)
{
	struct model_rmap x = *a, y = *b;

	x.line = y.line = 0;
	return memcmp(&x, &y, sizeof(x)) == 0;
}

static const char *
rmap_table_id(struct engine *e, const struct model_rmap *r)
{
	struct e_region *reg;

	if (r->route_table[0] != '\0')
		return r->route_table;
	reg = region_by_id(e, r->region);
	return reg != NULL && reg->system != E_NONE ? e->tables[reg->system]->id
						    : "";
}

/* Queues the re-evaluation a changed route-map entry needs: only prefixes
 * inside its CIDR conditions and, for a single named source, only that
 * source's paths. */
static void
rmap_jobs(struct engine *e, const struct model_rmap *r)
{
	struct e_table *t = table_by_id(e, rmap_table_id(e, r));
	uint8_t what = r->direction == MODEL_DIR_IN
			       ? (JOB_IN | JOB_DECIDE | JOB_OUT)
			       : JOB_OUT;
	uint32_t att = E_NONE;

	if (t == NULL)
		return;
	if (r->direction == MODEL_DIR_IN && r->nsrc_instances == 1 &&
	    !r->src_instances_inverse) {
		struct e_att *a = att_by_id(e, r->src_instances[0]);

		if (a == NULL)
			return; /* names nothing: matches nothing */
		att = a->idx;
	}
	if (r->ncidrs == 0) {
		engine_job_add(e, t->idx, what, att, NULL);
		return;
	}
	for (uint8_t i = 0; i < r->ncidrs; i++) {
		struct prefix w = r->cidrs[i];

		if (r->cidr_mode == MODEL_MATCH_COMPLETE) {
			rib_refresh(e, t, &w, what, att);
			continue;
		}
		engine_job_add(e, t->idx, what, att, &w);
	}
}

static void
table_out_job(struct engine *e, struct e_table *t)
{
	engine_job_add(e, t->idx, JOB_OUT, E_NONE, NULL);
}

/* Extra checks that need the engine's state (ROUTING.md: with overlapping
 * routing off, a VPC cannot get a custom route overlapping a route it has
 * learned from the hub). */
struct learned_ctx {
	struct engine *e;
	struct e_table *t;
	uint32_t att;
	bool hit;
};

/* A route the VPC has learned: Active in its view (a route its RegionOut
 * map or its protections keep from it was never learned). */
static int
learned_cb(const struct prefix *p, void *payload, void *arg)
{
	struct learned_ctx *c = arg;
	struct e_entry *en = payload;

	for (struct e_path *q = en->paths; q != NULL; q = q->next) {
		const struct attrs *out = NULL;
		uint8_t st, reason, prio;

		if (q->state != ENGINE_STATE_ACTIVE ||
		    (q->src == c->att && !(q->flags & P_REMOTE)))
			continue;
		rib_view_state(c->e, c->t, c->att, p, q, &st, &reason, &prio,
			       &out);
		if (out != NULL)
			attr_unref(c->e->attrs, out);
		if (st == ENGINE_STATE_ACTIVE) {
			c->hit = true;
			return 1;
		}
	}
	return 0;
}

static int
check_state(struct engine *e, const struct model *m, struct cen_err *err)
{
	int rc = 0;

	if (!m->has_cen || m->cen.overlapping_routes)
		return 0;
	for (size_t i = 0; i < m->nattachments; i++) {
		const struct model_attachment *na = &m->attachments[i];
		const struct model_attachment *oa =
			model_find_attachment(&e->model, na->id);
		struct e_att *a = att_by_id(e, na->id);

		if (a == NULL || na->type != MODEL_ATT_VPC)
			continue;
		for (size_t k = 0; k < na->nroutes; k++) {
			const struct prefix *p = &na->routes[k].prefix;
			struct e_table *t = e->tables[a->assoc];
			struct learned_ctx c = { .e = e,
						 .t = t,
						 .att = a->idx };
			bool existed = false;
			char buf[PREFIX_STRLEN];

			for (size_t j = 0; oa != NULL && j < oa->nroutes; j++)
				existed |=
					prefix_equal(&oa->routes[j].prefix, p);
			if (existed)
				continue;
			trie_walk_longer(&t->trie[FAM(p)], p, learned_cb, &c);
			if (!c.hit)
				trie_walk_shorter(&t->trie[FAM(p)], p,
						  learned_cb, &c);
			if (c.hit)
				rc = cen_err_add(
					err, -CEN_ECONFLICT,
					"%sattachment %s: custom route %s "
					"overlaps a route learned from the "
					"hub; with overlapping routing off "
					"it cannot be created",
					"", na->id,
					prefix_fmt(p, buf, sizeof(buf)));
		}
	}
	return rc;
}

int
engine_check(struct engine *e, const struct model *m, struct cen_err *err)
{
	int rc;

	cen_err_clear(err);
	rc = model_validate(m, &e->model, err);
	if (rc != 0)
		return rc;
	return check_state(e, m, err);
}

static bool
table_route_same(const struct model_table_route *a,
		 const struct model_table_route *b)
{
	struct model_table_route x = *a, y = *b;

	x.line = y.line = 0;
	return memcmp(&x, &y, sizeof(x)) == 0;
}

static void
table_route_paths(struct engine *e, const struct model_table_route *r, bool add)
{
	struct e_table *t = table_by_id(e, r->table);

	if (t == NULL)
		return;
	if (r->blackhole || r->nnh == 0) {
		/* blackhole: a path with no attachment; src names the
		 * table's first attachment slot E_NONE is not usable, so
		 * blackholes use index 0 with the flag */
		if (add) {
			const struct attrs *at = default_attrs(e, 1);

			rib_path_put(e, t, &r->prefix, 0, 0, MODEL_RT_CUSTOM,
				     P_TSTATIC | P_BLACKHOLE, at);
			attr_unref(e->attrs, at);
		} else {
			rib_path_del(e, t, &r->prefix, 0, 0, MODEL_RT_CUSTOM,
				     P_TSTATIC | P_BLACKHOLE);
		}
		return;
	}
	for (uint8_t i = 0; i < r->nnh; i++) {
		struct e_att *a = att_by_id(e, r->nh[i].id);

		if (a == NULL)
			continue;
		if (add) {
			const struct attrs *at =
				default_attrs(e, r->nh[i].weight);

			rib_path_put(e, t, &r->prefix, a->idx, 0,
				     MODEL_RT_CUSTOM, P_TSTATIC, at);
			attr_unref(e->attrs, at);
		} else {
			rib_path_del(e, t, &r->prefix, a->idx, 0,
				     MODEL_RT_CUSTOM, P_TSTATIC);
		}
	}
}

static void
reconcile(struct engine *e, struct model *old)
{
	struct model *m = &e->model;
	bool *prot_dirty;
	bool overlap_changed =
		(old->has_cen ? old->cen.overlapping_routes : true) !=
		(m->has_cen ? m->cen.overlapping_routes : true);
	bool rmaps_changed = old->nrmaps != m->nrmaps;
	size_t first_new_region = e->nregions;

	/* regions and tables appear first */
	for (size_t i = 0; i < m->nregions; i++) {
		if (region_by_id(e, m->regions[i].id) == NULL) {
			struct e_region *r = region_create(e, m->regions[i].id);

			r->hidden = table_create(e, "", r->idx, true)->idx;
		}
	}
	for (size_t i = 0; i < m->ntables; i++) {
		const struct model_table *mt = &m->tables[i];
		struct e_table *t = table_by_id(e, mt->id);
		struct e_region *r = region_by_id(e, mt->region);

		if (t == NULL) {
			t = table_create(e, mt->id, r->idx, false);
			t->max_routes = mt->max_routes;
			t->multi_region_ecmp = mt->multi_region_ecmp;
		} else if (t->max_routes != mt->max_routes ||
			   t->multi_region_ecmp != mt->multi_region_ecmp) {
			t->max_routes = mt->max_routes;
			t->multi_region_ecmp = mt->multi_region_ecmp;
			engine_job_add(e, t->idx, JOB_DECIDE | JOB_OUT, E_NONE,
				       NULL);
		}
		t->system = mt->system;
		if (mt->system)
			r->system = t->idx;
	}
	prot_dirty = calloc(e->ntables + 1, sizeof(*prot_dirty));
	if (prot_dirty == NULL)
		abort();

	/* attachments removed */
	for (size_t i = 0; i < e->natts; i++) {
		struct e_att *a = e->atts[i];

		if (a == NULL || a->assoc == E_NONE ||
		    model_find_attachment(m, a->id) != NULL)
			continue;
		prot_dirty[a->assoc] = true;
		att_remove(e, a, model_find_attachment(old, a->id));
		rmaps_changed = true;
	}
	/* attachments added or changed */
	for (size_t i = 0; i < m->nattachments; i++) {
		const struct model_attachment *na = &m->attachments[i];
		const struct model_attachment *oa =
			model_find_attachment(old, na->id);
		struct e_att *a = att_by_id(e, na->id);

		if (a == NULL) {
			a = calloc(1, sizeof(*a));
			if (a == NULL)
				abort();
			snprintf(a->id, sizeof(a->id), "%s", na->id);
			a->idx = (uint32_t)e->natts;
			hmap_init(&a->overrides, pfx_eq);
			e->atts = grow(e->atts, e->natts, sizeof(*e->atts));
			e->atts[e->natts++] = a;
			if (hmap_put(&e->att_by_id, hmap_hash_str(a->id), a->id,
				     a, NULL))
				abort();
			att_resolve(e, a, na);
			table_att_add(e->tables[a->assoc], a->idx);
			prot_dirty[a->assoc] = true;
			cfg_paths_apply(e, a, NULL, na);
			rmaps_changed = true;
			continue;
		}
		struct e_att before = *a;

		att_resolve(e, a, na);
		if (before.assoc != a->assoc) {
			uint32_t assoc = a->assoc;

			/* the overrides are views of the old table: withdraw
			 * them under its name */
			a->assoc = before.assoc;
			att_clear_overrides(e, a, true);
			a->assoc = assoc;
			table_att_del(e->tables[before.assoc], a->idx);
			table_att_add(e->tables[a->assoc], a->idx);
			/* its paths now come from another source table, which
			 * route maps' src_tables conditions look at */
			{
				struct e_table *tabs[MODEL_LIST_MAX + 1];
				size_t nt = att_tables(e, a, tabs);

				for (size_t k = 0; k < nt; k++)
					engine_job_add(e, tabs[k]->idx,
						       JOB_IN | JOB_DECIDE |
							       JOB_OUT,
						       a->idx, NULL);
			}
			prot_dirty[before.assoc] = true;
			prot_dirty[a->assoc] = true;
		}
		if (!same_tables(before.prop, before.nprop, a->prop, a->nprop))
			att_move(e, a, &before);
		if (prot_changed(oa, na))
			prot_dirty[a->assoc] = true;
		cfg_paths_apply(e, a, oa, na);
		if (before.change_route != a->change_route ||
		    before.allow_default != a->allow_default)
			att_decide_jobs(e, a);
	}

	/* table static routes */
	for (size_t i = 0; i < old->ntable_routes; i++) {
		const struct model_table_route *o = &old->table_routes[i];
		bool same = false;

		for (size_t k = 0; k < m->ntable_routes && !same; k++)
			same = table_route_same(o, &m->table_routes[k]);
		if (!same)
			table_route_paths(e, o, false);
	}
	for (size_t i = 0; i < m->ntable_routes; i++) {
		const struct model_table_route *n = &m->table_routes[i];
		bool same = false;

		for (size_t k = 0; k < old->ntable_routes && !same; k++)
			same = table_route_same(n, &old->table_routes[k]);
		if (!same)
			table_route_paths(e, n, true);
	}

	/* route maps: recompile every set (IDs may have been resolved
	 * differently), then re-evaluate what changed entries can match */
	for (size_t i = 0; i < old->nrmaps && !rmaps_changed; i++)
		rmaps_changed = !rmap_same(&old->rmaps[i], &m->rmaps[i]);
	if (rmaps_changed) {
		for (size_t i = 0; i < e->ntables; i++) {
			struct e_table *t = e->tables[i];

			if (t == NULL || t->hidden ||
			    table_by_id(e, t->id) == NULL ||
			    model_find_table(m, t->id) == NULL)
				continue;
			rmap_set_build(e, &t->in, t->region, MODEL_DIR_IN,
				       t->idx);
			rmap_set_build(e, &t->out, t->region, MODEL_DIR_OUT,
				       t->idx);
		}
		for (size_t i = 0; i < old->nrmaps; i++) {
			const struct model_rmap *o = &old->rmaps[i];
			const struct model_rmap *n =
				model_find_rmap(m, o->region, o->direction,
						o->route_table, o->priority);

			if (n == NULL || !rmap_same(o, n))
				rmap_jobs(e, o);
		}
		for (size_t i = 0; i < m->nrmaps; i++) {
			const struct model_rmap *n = &m->rmaps[i];
			const struct model_rmap *o =
				model_find_rmap(old, n->region, n->direction,
						n->route_table, n->priority);

			if (o == NULL || !rmap_same(o, n))
				rmap_jobs(e, n);
		}
	}

	/* protections, and the views they shape */
	for (size_t i = 0; i < e->ntables; i++) {
		struct e_table *t = e->tables[i];

		if (t == NULL || t->hidden)
			continue;
		if (i < e->ntables && (prot_dirty[i] || overlap_changed)) {
			rib_prot_rebuild(e, t);
			table_out_job(e, t);
		}
	}
	free(prot_dirty);

	/* tables and regions removed (validation made sure nothing uses
	 * them) */
	for (size_t i = 0; i < e->ntables; i++) {
		struct e_table *t = e->tables[i];

		if (t == NULL || t->hidden || model_find_table(m, t->id))
			continue;
		table_destroy(e, t);
	}
	for (size_t i = 0; i < e->nregions; i++) {
		struct e_region *r = e->regions[i];

		if (r == NULL || model_find_region(m, r->id) != NULL)
			continue;
		if (r->hidden != E_NONE && e->tables[r->hidden] != NULL)
			table_destroy(e, e->tables[r->hidden]);
		hmap_del(&e->region_by_id, hmap_hash_str(r->id), r->id);
		e->regions[i] = NULL;
		free(r);
	}
	/* a new region learns what the others export */
	for (size_t i = first_new_region; i < e->nregions; i++)
		if (e->regions[i] != NULL)
			rib_region_export_all(e, (uint32_t)i);
}

int
engine_apply(struct engine *e, const struct model *m, struct cen_err *err)
{
	struct model old, next;
	int rc;

	rc = engine_check(e, m, err);
	if (rc != 0)
		return rc;
	rc = model_clone(&next, m);
	if (rc != 0)
		return cen_errf(err, rc, "out of memory");
	old = e->model;
	e->model = next;
	e->gen++;
	reconcile(e, &old);
	model_free(&old);
	return 0;
}

/* Single-object commands: put or delete on a copy, then apply it. */
#define ENGINE_PUT(name, type)                                                 \
	int engine_put_##name(struct engine *e, const type *obj,               \
			      struct cen_err *err)                             \
	{                                                                      \
		struct model m;                                                \
		int rc = model_clone(&m, &e->model);                           \
                                                                               \
		if (rc == 0)                                                   \
			rc = model_put_##name(&m, obj);                        \
		if (rc == 0)                                                   \
			rc = engine_apply(e, &m, err);                         \
		else                                                           \
			cen_errf(err, rc, "%s", cen_strerror(rc));             \
		model_free(&m);                                                \
		return rc;                                                     \
	}

ENGINE_PUT(region, struct model_region)
ENGINE_PUT(table, struct model_table)
ENGINE_PUT(table_route, struct model_table_route)
ENGINE_PUT(pc, struct model_pc)
ENGINE_PUT(attachment, struct model_attachment)
ENGINE_PUT(rmap, struct model_rmap)
ENGINE_PUT(bwp, struct model_bwp)

int
engine_put_cen(struct engine *e, const struct model_cen *c, struct cen_err *err)
{
	struct model m;
	int rc = model_clone(&m, &e->model);

	if (rc != 0)
		return cen_errf(err, rc, "out of memory");
	m.has_cen = true;
	m.cen = *c;
	rc = engine_apply(e, &m, err);
	model_free(&m);
	return rc;
}

#define ENGINE_DEL(name, what)                                                 \
	int engine_del_##name(struct engine *e, const char *id,                \
			      struct cen_err *err)                             \
	{                                                                      \
		struct model m;                                                \
		int rc = model_clone(&m, &e->model);                           \
                                                                               \
		if (rc == 0)                                                   \
			rc = model_del_##name(&m, id);                         \
		if (rc == 0)                                                   \
			rc = engine_apply(e, &m, err);                         \
		else if (rc == -CEN_ENOENT)                                    \
			cen_errf(err, rc, what " %s does not exist", id);      \
		else                                                           \
			cen_errf(err, rc, "%s", cen_strerror(rc));             \
		model_free(&m);                                                \
		return rc;                                                     \
	}

ENGINE_DEL(region, "region")
ENGINE_DEL(table, "route table")
ENGINE_DEL(pc, "physical connection")
ENGINE_DEL(attachment, "attachment")
ENGINE_DEL(bwp, "bandwidth package")

int
engine_del_table_route(struct engine *e, const char *table,
		       const struct prefix *p, struct cen_err *err)
{
	struct model m;
	char buf[PREFIX_STRLEN];
	int rc = model_clone(&m, &e->model);

	if (rc == 0)
		rc = model_del_table_route(&m, table, p);
	if (rc == 0)
		rc = engine_apply(e, &m, err);
	else
		cen_errf(err, rc, "route table %s has no static route %s",
			 table, prefix_fmt(p, buf, sizeof(buf)));
	model_free(&m);
	return rc;
}

int
engine_del_rmap(struct engine *e, const char *region, uint8_t dir,
		const char *table, uint8_t priority, struct cen_err *err)
{
	struct model m;
	int rc = model_clone(&m, &e->model);

	if (rc == 0)
		rc = model_del_rmap(&m, region, dir, table, priority);
	if (rc == 0)
		rc = engine_apply(e, &m, err);
	else
		cen_errf(err, rc,
			 "route map %s/%s/%s has no entry with priority %u",
			 region, model_dir_str(dir),
			 table != NULL && table[0] ? table : "system",
			 priority);
	model_free(&m);
	return rc;
}

int
engine_set_health(struct engine *e, const char *attachment, bool up,
		  struct cen_err *err)
{
	struct e_att *a = att_by_id(e, attachment);

	if (a == NULL)
		return cen_errf(err, -CEN_ENOENT,
				"attachment %s does not exist", attachment);
	if (a->health_down == !up)
		return 0;
	e->gen++;
	a->health_down = !up;
	att_decide_jobs(e, a);
	return 0;
}

/* ---- paths --------------------------------------------------------- */

/* The index of peer address addr, 0 if it has none (peers are never
 * removed; the last one found is compared first). */
static uint32_t
peer_find(struct engine *e, const struct prefix *addr)
{
	uintptr_t idx;

	if (e->last_peer != 0 && e->last_peer < e->npeers &&
	    prefix_equal(&e->peers[e->last_peer], addr))
		return e->last_peer;
	idx = (uintptr_t)hmap_get(&e->peer_by_addr, prefix_hash(addr), addr);
	if (idx != 0)
		e->last_peer = (uint32_t)idx;
	return (uint32_t)idx;
}

static uint32_t
peer_intern(struct engine *e, const struct prefix *addr)
{
	uint64_t h;
	uintptr_t idx;

	if (addr == NULL || addr->family == PREFIX_AF_NONE)
		return 0;
	if ((idx = peer_find(e, addr)) != 0)
		return (uint32_t)idx;
	h = prefix_hash(addr);
	if (e->npeers == e->cappeers) {
		struct prefix *nv =
			realloc(e->peers, e->cappeers * 2 * sizeof(*nv));

		if (nv == NULL)
			abort();
		e->peers = nv;
		e->cappeers *= 2;
		/* keys point into peers[]: rebuild the index */
		hmap_fini(&e->peer_by_addr);
		hmap_init(&e->peer_by_addr, pfx_eq);
		for (size_t i = 1; i < e->npeers; i++)
			hmap_put(&e->peer_by_addr, prefix_hash(&e->peers[i]),
				 &e->peers[i], (void *)(uintptr_t)i, NULL);
	}
	idx = e->npeers++;
	e->peers[idx] = *addr;
	if (hmap_put(&e->peer_by_addr, h, &e->peers[idx], (void *)idx, NULL))
		abort();
	return (uint32_t)idx;
}

static int
check_prefix(const struct prefix *p, const char *field, struct cen_err *err)
{
	struct prefix c = *p;

	if (p->family != PREFIX_AF_INET && p->family != PREFIX_AF_INET6)
		return cen_errf(err, -CEN_EINVAL,
				"%s: address family must be IPv4 or IPv6",
				field);
	if (p->len > prefix_maxlen(p->family))
		return cen_errf(err, -CEN_ERANGE,
				"%s: length %u out of range 0..%u", field,
				p->len, prefix_maxlen(p->family));
	prefix_canon(&c);
	if (!prefix_equal(&c, p))
		return cen_errf(err, -CEN_EINVAL,
				"%s: host bits set past the prefix length",
				field);
	return 0;
}

static struct e_att *
bgp_att(struct engine *e, const char *id, struct cen_err *err)
{
	struct e_att *a = att_by_id(e, id);

	if (a == NULL) {
		cen_errf(err, -CEN_ENOENT, "attachment %s does not exist",
			 id != NULL ? id : "(none)");
		return NULL;
	}
	if (a->type == MODEL_ATT_VPC) {
		cen_errf(err, -CEN_EINVAL,
			 "attachment %s is a VPC: only VBR, VPN and CCN "
			 "attachments learn BGP routes",
			 id);
		return NULL;
	}
	return a;
}

int
engine_path_add(struct engine *e, const struct engine_path_in *in,
		struct cen_err *err)
{
	struct e_att *a = bgp_att(e, in->attachment, err);
	struct e_table *tabs[MODEL_LIST_MAX + 1];
	uint32_t peer;
	size_t nt;
	int rc;

	if (a == NULL)
		return err != NULL ? err->code : -CEN_ENOENT;
	rc = check_prefix(&in->prefix, "prefix", err);
	if (rc != 0)
		return rc;
	if (in->attrs == NULL)
		return cen_errf(err, -CEN_EINVAL, "path without attributes");
	if (in->attrs->pref < ATTR_PREF_MIN || in->attrs->pref > ATTR_PREF_MAX)
		return cen_errf(err, -CEN_ERANGE,
				"preference %u out of range 1..100",
				in->attrs->pref);
	e->gen++;
	peer = peer_intern(e, &in->peer) | ((uint32_t)in->node << 24);
	nt = att_tables(e, a, tabs);
	for (size_t k = 0; k < nt; k++) {
		rc = rib_path_put(e, tabs[k], &in->prefix, a->idx, peer,
				  MODEL_RT_BGP, 0, in->attrs);
		if (rc != 0)
			return cen_errf(err, rc, "out of memory");
	}
	return 0;
}

int
engine_path_del(struct engine *e, const char *attachment,
		const struct prefix *peer, const struct prefix *prefix,
		struct cen_err *err)
{
	struct e_att *a = bgp_att(e, attachment, err);
	struct e_table *tabs[MODEL_LIST_MAX + 1];
	uint32_t pi;
	size_t nt;
	int rc, found = 0;
	char buf[PREFIX_STRLEN];

	if (a == NULL)
		return err != NULL ? err->code : -CEN_ENOENT;
	rc = check_prefix(prefix, "prefix", err);
	if (rc != 0)
		return rc;
	pi = peer != NULL && peer->family != PREFIX_AF_NONE ? peer_find(e, peer)
							    : 0;
	/* a peer never heard of has sent nothing (index 0 is "no peer") */
	if (pi == 0 && peer != NULL && peer->family != PREFIX_AF_NONE)
		return cen_errf(err, -CEN_ENOENT,
				"attachment %s has no path for %s from that "
				"peer",
				attachment,
				prefix_fmt(prefix, buf, sizeof(buf)));
	e->gen++;
	nt = att_tables(e, a, tabs);
	for (size_t k = 0; k < nt; k++)
		if (rib_path_del(e, tabs[k], prefix, a->idx, pi, MODEL_RT_BGP,
				 0) == 0)
			found++;
	if (found == 0)
		return cen_errf(err, -CEN_ENOENT,
				"attachment %s has no path for %s from that "
				"peer",
				attachment,
				prefix_fmt(prefix, buf, sizeof(buf)));
	return 0;
}

int
engine_peer_flush(struct engine *e, const char *attachment,
		  const struct prefix *peer, struct cen_err *err)
{
	return engine_peer_flush_node(e, attachment, peer, 0, err);
}

int
engine_peer_flush_node(struct engine *e, const char *attachment,
		       const struct prefix *peer, uint8_t node,
		       struct cen_err *err)
{
	struct e_att *a = bgp_att(e, attachment, err);
	struct e_table *tabs[MODEL_LIST_MAX + 1];
	uint32_t pi = E_NONE;
	size_t nt;

	if (a == NULL)
		return err != NULL ? err->code : -CEN_ENOENT;
	if (peer != NULL && peer->family != PREFIX_AF_NONE) {
		pi = (uint32_t)(uintptr_t)hmap_get(&e->peer_by_addr,
						   prefix_hash(peer), peer);
		if (pi == 0)
			return 0; /* never learned anything from it */
	}
	e->gen++;
	nt = att_tables(e, a, tabs);
	for (size_t k = 0; k < nt; k++) {
		engine_job_add(e, tabs[k]->idx, JOB_FLUSH, a->idx, NULL);
		e->jobs_tail->peer = pi;
		e->jobs_tail->node = node;
		/* paths added from now on (gen >= this) survive the flush */
		e->jobs_tail->gen = e->gen + 1;
	}
	e->gen++;
	return 0;
}

/* ---- regions ------------------------------------------------------- */

int
engine_set_region_reachable(struct engine *e, const char *region,
			    bool reachable, struct cen_err *err)
{
	struct e_region *r = region != NULL ? region_by_id(e, region) : NULL;

	if (r == NULL)
		return cen_errf(err, -CEN_ENOENT, "region %s does not exist",
				region != NULL ? region : "(none)");
	if (r->unreachable == !reachable)
		return 0;
	e->gen++;
	r->unreachable = !reachable;
	/* every prefix of its system table exports again (or withdraws
	 * what it exported): one bounded job, as for a route-map change */
	if (e->nregions > 1 && r->system != E_NONE)
		engine_job_add(e, r->system, JOB_OUT, E_NONE, NULL);
	return 0;
}

bool
engine_region_reachable(struct engine *e, const char *region)
{
	struct e_region *r = region != NULL ? region_by_id(e, region) : NULL;

	return r == NULL || !r->unreachable;
}

/* ---- reads --------------------------------------------------------- */

static const struct e_region *
region_of_table(struct engine *e, const struct e_table *t)
{
	return e->regions[t->region];
}

static int
cmp_table_ptr(const void *a, const void *b)
{
	const struct e_table *x = *(struct e_table *const *)a;
	const struct e_table *y = *(struct e_table *const *)b;

	return strcmp(x->id, y->id);
}

static int
cmp_region_ptr(const void *a, const void *b)
{
	const struct e_region *x = *(struct e_region *const *)a;
	const struct e_region *y = *(struct e_region *const *)b;

	return strcmp(x->id, y->id);
}

static int
cmp_att_ptr(const void *a, const void *b)
{
	const struct e_att *x = *(struct e_att *const *)a;
	const struct e_att *y = *(struct e_att *const *)b;

	return strcmp(x->id, y->id);
}

/* Visible tables, sorted by (region ID, table ID); filters may be NULL. */
static size_t
tables_sorted(struct engine *e, const char *region, const char *table,
	      struct e_table ***out)
{
	struct e_table **v = calloc(e->ntables + 1, sizeof(*v));
	size_t n = 0;

	if (v == NULL)
		abort();
	for (size_t i = 0; i < e->nregions; i++) {
		struct e_region *r = e->regions[i];

		if (r == NULL || (region != NULL && strcmp(r->id, region)))
			continue;
		size_t first = n;

		for (size_t k = 0; k < e->ntables; k++) {
			struct e_table *t = e->tables[k];

			if (t == NULL || t->hidden || t->region != r->idx ||
			    (table != NULL && strcmp(t->id, table)))
				continue;
			v[n++] = t;
		}
		qsort(v + first, n - first, sizeof(*v), cmp_table_ptr);
	}
	/* order the regions' runs by region ID */
	{
		struct e_region **rs = calloc(e->nregions + 1, sizeof(*rs));
		struct e_table **w = calloc(e->ntables + 1, sizeof(*w));
		size_t nr = 0, m = 0;

		if (rs == NULL || w == NULL)
			abort();
		for (size_t i = 0; i < e->nregions; i++)
			if (e->regions[i] != NULL)
				rs[nr++] = e->regions[i];
		qsort(rs, nr, sizeof(*rs), cmp_region_ptr);
		for (size_t i = 0; i < nr; i++)
			for (size_t k = 0; k < n; k++)
				if (v[k]->region == rs[i]->idx)
					w[m++] = v[k];
		free(rs);
		free(v);
		v = w;
	}
	*out = v;
	return n;
}

static void
route_fill(struct engine *e, const struct e_table *t, const struct prefix *p,
	   const struct e_path *q, struct engine_route *r)
{
	const struct e_att *src = engine_att(e, q->src);
	uint8_t kind;

	memset(r, 0, sizeof(*r));
	r->region = region_of_table(e, t)->id;
	r->table = t->id;
	r->prefix = *p;
	if (q->flags & P_BLACKHOLE) {
		r->source = "";
		r->source_region = r->region;
	} else {
		r->source = src->id;
		r->source_region = e->regions[src->region]->id;
		r->source_type = src->type;
	}
	r->origin_type = q->type;
	r->route_type = (q->flags & P_REMOTE) ? MODEL_RT_CEN : q->type;
	r->table_static = (q->flags & P_TSTATIC) != 0;
	r->peer = e->peers[PEER_IDX(q->peer)];
	r->node = PEER_NODE(q->peer);
	r->attrs = q->eff != NULL ? q->eff : q->attrs;
	(void)rib_nh_name(e, q, &kind);
	r->state = q->state;
	r->reason = q->reason;
}

/* The priority of the RegionIn entry that denies a path (for listings). */
static uint8_t
deny_prio_in(struct engine *e, const struct e_table *t, const struct prefix *p,
	     const struct e_path *q)
{
	struct rmap_ctx c = { .prefix = p,
			      .path = q,
			      .attrs = q->attrs,
			      .src_table = E_NONE,
			      .dst_att = E_NONE,
			      .dst_region = E_NONE };
	const struct attrs *out = NULL;
	const struct e_att *a = engine_att(e, q->src);
	uint8_t prio = 0;

	/* the source table as RegionIn saw it (rib.c src_table_of), so
	 * that entries with a src_tables condition are found */
	if (q->flags & P_TSTATIC)
		c.src_table = t->idx;
	else if (a != NULL && (q->flags & P_REMOTE))
		c.src_table = e->regions[a->region]->system;
	else if (a != NULL)
		c.src_table = a->assoc;
	if (rmap_eval(e, &t->in, &c, &out, &prio))
		attr_unref(e->attrs, out);
	return prio;
}

struct list_arg {
	struct engine *e;
	struct e_table *t;
	engine_route_cb cb;
	void *arg;
	uint32_t view; /* E_NONE: table listing */
	int rc;
};

static int cmp_path_ident(struct engine *e, const struct e_path *a,
			  const struct e_path *b);

/* The paths of an entry in identity order (the order of engine_dump), so
 * that listings do not depend on the order paths and peers arrived in.
 * Returns small, or a malloc'd array when the entry has more paths. */
static struct e_path **
paths_sorted(struct engine *e, const struct e_entry *en, struct e_path **small,
	     size_t nsmall, size_t *np)
{
	struct e_path **v = small;
	size_t n = 0;

	for (struct e_path *q = en->paths; q != NULL; q = q->next)
		n++;
	if (n > nsmall) {
		v = malloc(n * sizeof(*v));
		if (v == NULL)
			abort();
	}
	n = 0;
	for (struct e_path *q = en->paths; q != NULL; q = q->next) {
		size_t k = n++;

		/* insertion sort: lists are short */
		while (k > 0 && cmp_path_ident(e, v[k - 1], q) > 0) {
			v[k] = v[k - 1];
			k--;
		}
		v[k] = q;
	}
	*np = n;
	return v;
}

static int
list_cb(const struct prefix *p, void *payload, void *arg)
{
	struct list_arg *la = arg;
	struct e_entry *en = payload;
	struct engine *e = la->e;
	struct e_path *small[32], **v;
	size_t n;

	v = paths_sorted(e, en, small, 32, &n);
	for (size_t i = 0; i < n; i++) {
		struct e_path *q = v[i];
		struct engine_route r;
		const struct engine_nhg *g;

		if (la->view != E_NONE && q->src == la->view &&
		    !(q->flags & (P_REMOTE | P_TSTATIC)))
			continue; /* an attachment's own route */
		route_fill(e, la->t, p, q, &r);
		g = nhg_of_paths(e, &q, 1);
		r.nhg = g;
		if (q->reason == ENGINE_REASON_ROUTE_MAP)
			r.rmap_priority = deny_prio_in(e, la->t, p, q);
		if (la->view != E_NONE) {
			const struct attrs *out = NULL;

			r.view = engine_att(e, la->view)->id;
			rib_view_state(e, la->t, la->view, p, q, &r.state,
				       &r.reason, &r.rmap_priority, &out);
			if (out != NULL)
				r.attrs = out;
			la->rc = la->cb(&r, la->arg);
			if (out != NULL)
				attr_unref(e->attrs, out);
		} else {
			la->rc = la->cb(&r, la->arg);
		}
		engine_nhg_unref(e, g);
		if (la->rc != 0)
			break;
	}
	if (v != small)
		free(v);
	return la->rc;
}

static int
walk_table(struct e_table *t, const struct prefix *within, bool exact,
	   trie_walk_cb cb, void *arg)
{
	int rc = 0;

	if (within != NULL && within->family != PREFIX_AF_NONE) {
		struct trie *tr = &t->trie[FAM(within)];

		if (exact) {
			void *pl = trie_find(tr, within);

			return pl != NULL ? cb(within, pl, arg) : 0;
		}
		return trie_walk_longer(tr, within, cb, arg);
	}
	for (int f = 0; f < 2 && rc == 0; f++)
		rc = trie_walk(&t->trie[f], cb, arg);
	return rc;
}

int
engine_route_list(struct engine *e, const char *region, const char *table,
		  const struct prefix *within, bool exact, engine_route_cb cb,
		  void *arg)
{
	struct e_table **v;
	size_t n = tables_sorted(e, region, table, &v);
	struct list_arg la = { .e = e, .cb = cb, .arg = arg, .view = E_NONE };

	if (n == 0 && (table != NULL || region != NULL)) {
		free(v);
		if (table != NULL && table_by_id(e, table) == NULL)
			return -CEN_ENOENT;
		if (region != NULL && region_by_id(e, region) == NULL)
			return -CEN_ENOENT;
		return 0;
	}
	for (size_t i = 0; i < n && la.rc == 0; i++) {
		la.t = v[i];
		walk_table(v[i], within, exact, list_cb, &la);
	}
	free(v);
	return la.rc;
}

int
engine_view_list(struct engine *e, const char *attachment,
		 const struct prefix *within, engine_route_cb cb, void *arg)
{
	struct e_att *a = att_by_id(e, attachment);
	struct list_arg la = { .e = e, .cb = cb, .arg = arg };

	if (a == NULL)
		return -CEN_ENOENT;
	la.t = e->tables[a->assoc];
	la.view = a->idx;
	walk_table(la.t, within, false, list_cb, &la);
	return la.rc;
}

struct fib_arg {
	struct engine *e;
	struct e_table *t;
	engine_delta_cb cb;
	void *arg;
};

static int
fib_cb(const struct prefix *p, void *payload, void *arg)
{
	struct fib_arg *fa = arg;
	struct e_entry *en = payload;
	struct engine_delta d;

	if (en->nhg == NULL)
		return 0;
	d.region = fa->e->regions[fa->t->region]->id;
	d.table = fa->t->id;
	d.view = NULL;
	d.prefix = *p;
	d.nhg = en->nhg;
	fa->cb(&d, fa->arg);
	return 0;
}

static int
cmp_override_ptr(const void *a, const void *b)
{
	const struct e_override *x = *(struct e_override *const *)a;
	const struct e_override *y = *(struct e_override *const *)b;

	return prefix_cmp(&x->prefix, &y->prefix);
}

/* An attachment's overrides in prefix order. */
static size_t
overrides_sorted(const struct e_att *a, struct e_override ***out)
{
	struct e_override **v = calloc(a->overrides.count + 1, sizeof(*v));
	const void *k;
	void *val;
	size_t n = 0;

	if (v == NULL)
		abort();
	for (size_t i = 0; hmap_next(&a->overrides, &i, &k, &val);)
		v[n++] = val;
	qsort(v, n, sizeof(*v), cmp_override_ptr);
	*out = v;
	return n;
}

static size_t
atts_sorted(struct engine *e, struct e_att ***out)
{
	struct e_att **v = calloc(e->natts + 1, sizeof(*v));
	size_t n = 0;

	if (v == NULL)
		abort();
	for (size_t i = 0; i < e->natts; i++)
		if (e->atts[i] != NULL && e->atts[i]->assoc != E_NONE)
			v[n++] = e->atts[i];
	qsort(v, n, sizeof(*v), cmp_att_ptr);
	*out = v;
	return n;
}

int
engine_fib_walk(struct engine *e, const char *region, engine_delta_cb cb,
		void *arg)
{
	struct e_table **v;
	struct e_att **atts;
	size_t n, na;
	struct fib_arg fa = { .e = e, .cb = cb, .arg = arg };

	if (region != NULL && region_by_id(e, region) == NULL)
		return -CEN_ENOENT;
	n = tables_sorted(e, region, NULL, &v);
	for (size_t i = 0; i < n; i++) {
		fa.t = v[i];
		for (int f = 0; f < 2; f++)
			trie_walk(&v[i]->trie[f], fib_cb, &fa);
	}
	free(v);
	na = atts_sorted(e, &atts);
	for (size_t i = 0; i < na; i++) {
		struct e_att *a = atts[i];
		struct e_override **ov;
		size_t no;

		if (region != NULL &&
		    strcmp(e->regions[a->region]->id, region) != 0)
			continue;
		no = overrides_sorted(a, &ov);
		for (size_t k = 0; k < no; k++) {
			struct engine_delta d = {
				.region = e->regions[a->region]->id,
				.table = e->tables[a->assoc]->id,
				.view = a->id,
				.prefix = ov[k]->prefix,
				.nhg = ov[k]->nhg
			};

			cb(&d, arg);
		}
		free(ov);
	}
	free(atts);
	return 0;
}

struct lpm_arg {
	struct prefix v[130];
	void *pl[130];
	int n;
};

static int
lpm_cb(const struct prefix *p, void *payload, void *arg)
{
	struct lpm_arg *la = arg;

	if (la->n < 130) {
		la->v[la->n] = *p;
		la->pl[la->n] = payload;
		la->n++;
	}
	return 0;
}

const struct engine_nhg *
engine_fib_lookup(struct engine *e, const char *attachment,
		  const struct prefix *dst, struct prefix *matched)
{
	struct e_att *a = att_by_id(e, attachment);
	struct lpm_arg la = { .n = 0 };
	struct e_table *t;

	if (a == NULL || dst == NULL || dst->family == PREFIX_AF_NONE)
		return NULL;
	t = e->tables[a->assoc];
	trie_walk_shorter(&t->trie[FAM(dst)], dst, lpm_cb, &la);
	for (int i = la.n - 1; i >= 0; i--) {
		struct e_entry *en = la.pl[i];
		struct e_override *o = hmap_get(
			&a->overrides, prefix_hash(&la.v[i]), &la.v[i]);
		const struct engine_nhg *g = o != NULL ? o->nhg : en->nhg;

		if (g == NULL || g->n == 0)
			continue; /* this view has no route here */
		if (matched != NULL)
			*matched = la.v[i];
		return g;
	}
	return NULL;
}

/* ---- an attachment's inputs ------------------------------------------ */

struct att_paths_arg {
	struct engine *e;
	uint32_t att;
	uint32_t peer; /* peer index; E_NONE: any */
	engine_path_cb cb;
	void *arg;
	struct engine_path_in in;
};

static int
att_paths_cb(const struct prefix *p, void *payload, void *arg)
{
	struct att_paths_arg *w = arg;
	struct e_entry *en = payload;
	int rc;

	for (struct e_path *q = en->paths; q != NULL; q = q->next) {
		if (q->src != w->att || q->type != MODEL_RT_BGP ||
		    (q->flags & (P_REMOTE | P_TSTATIC)) ||
		    (w->peer != E_NONE && PEER_IDX(q->peer) != w->peer))
			continue;
		w->in.peer = w->e->peers[PEER_IDX(q->peer)];
		w->in.node = PEER_NODE(q->peer);
		w->in.prefix = *p;
		w->in.attrs = q->attrs;
		if ((rc = w->cb(&w->in, w->arg)) != 0)
			return rc;
	}
	return 0;
}

int
engine_att_paths(struct engine *e, const char *attachment,
		 const struct prefix *peer, engine_path_cb cb, void *arg)
{
	struct e_att *a = att_by_id(e, attachment);
	struct e_table *tabs[MODEL_LIST_MAX + 1];
	struct att_paths_arg w = { .e = e, .cb = cb, .arg = arg };
	int rc = 0;

	if (a == NULL)
		return -CEN_ENOENT;
	w.att = a->idx;
	w.peer = E_NONE;
	if (peer != NULL && peer->family != PREFIX_AF_NONE) {
		w.peer = (uint32_t)(uintptr_t)hmap_get(&e->peer_by_addr,
						       prefix_hash(peer), peer);
		if (w.peer == 0)
			return 0; /* never learned anything from it */
	}
	w.in.attachment = a->id;
	/* every table holding the attachment's paths holds all of them: the
	 * first one will do */
	if (att_tables(e, a, tabs) == 0)
		return 0;
	for (int f = 0; f < 2 && rc == 0; f++)
		rc = trie_walk(&tabs[0]->trie[f], att_paths_cb, &w);
	return rc;
}

int
engine_health(struct engine *e, const char *attachment, bool *up)
{
	struct e_att *a = att_by_id(e, attachment);

	if (a == NULL)
		return -CEN_ENOENT;
	*up = !a->health_down;
	return 0;
}

/* ---- hash and dump ------------------------------------------------- */

struct sink {
	XXH3_state_t *xx;
	char *buf;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3)))
sink_printf(struct sink *s, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	if (s->xx != NULL)
		XXH3_64bits_update(s->xx, tmp, (size_t)n);
	if (s->buf == NULL && s->xx != NULL)
		return;
	if (s->len + (size_t)n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 65536;

		while (cap < s->len + (size_t)n + 1)
			cap *= 2;
		s->buf = realloc(s->buf, cap);
		if (s->buf == NULL)
			abort();
		s->cap = cap;
	}
	memcpy(s->buf + s->len, tmp, (size_t)n);
	s->len += (size_t)n;
	s->buf[s->len] = '\0';
}

static void
sink_write(struct sink *s, const char *p, size_t n)
{
	if (s->xx != NULL)
		XXH3_64bits_update(s->xx, p, n);
	if (s->buf == NULL && s->xx != NULL)
		return;
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 65536;

		while (cap < s->len + n + 1)
			cap *= 2;
		s->buf = realloc(s->buf, cap);
		if (s->buf == NULL)
			abort();
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

static int
cmp_path_ident(struct engine *e, const struct e_path *a, const struct e_path *b)
{
	int c;

	if ((a->flags & P_BLACKHOLE) != (b->flags & P_BLACKHOLE))
		return (a->flags & P_BLACKHOLE) ? -1 : 1;
	c = strcmp(engine_att(e, a->src)->id, engine_att(e, b->src)->id);
	if (c != 0)
		return c;
	c = prefix_cmp(&e->peers[PEER_IDX(a->peer)],
		       &e->peers[PEER_IDX(b->peer)]);
	if (c != 0)
		return c;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return (int)(a->flags & (P_REMOTE | P_TSTATIC)) -
	       (int)(b->flags & (P_REMOTE | P_TSTATIC));
}

struct dump_arg {
	struct engine *e;
	struct sink *s;
};

static int
dump_entry_cb(const struct prefix *p, void *payload, void *arg)
{
	struct dump_arg *da = arg;
	struct engine *e = da->e;
	struct e_entry *en = payload;
	struct e_path *small[64], **v;
	size_t n;
	char pb[PREFIX_STRLEN], nb[512], ab[512], cb[512], peer[PREFIX_STRLEN];

	sink_printf(da->s, "  %s -> %s%s\n", prefix_fmt(p, pb, sizeof(pb)),
		    engine_nhg_fmt(en->nhg, nb, sizeof(nb)),
		    (en->flags & EN_OVERFLOW) ? " (overflow)" : "");
	/* every path, however many: the hash must cover them all */
	v = paths_sorted(e, en, small, 64, &n);
	for (size_t i = 0; i < n; i++) {
		const struct e_path *q = v[i];
		const struct attrs *a = q->eff != NULL ? q->eff : q->attrs;
		const struct e_att *src = engine_att(e, q->src);

		if (PEER_IDX(q->peer) != 0)
			prefix_fmt_addr(&e->peers[PEER_IDX(q->peer)], peer,
					sizeof(peer));
		else
			snprintf(peer, sizeof(peer), "-");
		sink_printf(da->s,
			    "    %s %s%s%s peer=%s node=%u %s %s pref=%u "
			    "w=%u as=[%s] comm=[%s]\n",
			    (q->flags & P_BLACKHOLE) ? "blackhole" : src->id,
			    model_route_type_str(q->type),
			    (q->flags & P_REMOTE) ? " remote" : "",
			    (q->flags & P_TSTATIC) ? " table-static" : "", peer,
			    PEER_NODE(q->peer), engine_state_str(q->state),
			    engine_reason_str(q->reason), a->pref, a->weight,
			    attr_aspath_fmt(a->aspath, ab, sizeof(ab)),
			    attr_comms_fmt(a->comms, cb, sizeof(cb)));
	}
	if (v != small)
		free(v);
	return 0;
}

static int
cmp_region_cfg(const void *a, const void *b)
{
	return strcmp(((const struct model_region *)a)->id,
		      ((const struct model_region *)b)->id);
}

static int
cmp_table_cfg(const void *a, const void *b)
{
	return strcmp(((const struct model_table *)a)->id,
		      ((const struct model_table *)b)->id);
}

static int
cmp_table_route_cfg(const void *a, const void *b)
{
	const struct model_table_route *x = a, *y = b;
	int c = strcmp(x->table, y->table);

	return c != 0 ? c : prefix_cmp(&x->prefix, &y->prefix);
}

static int
cmp_pc_cfg(const void *a, const void *b)
{
	return strcmp(((const struct model_pc *)a)->id,
		      ((const struct model_pc *)b)->id);
}

static int
cmp_att_cfg(const void *a, const void *b)
{
	return strcmp(((const struct model_attachment *)a)->id,
		      ((const struct model_attachment *)b)->id);
}

static int
cmp_rmap_cfg(const void *a, const void *b)
{
	const struct model_rmap *x = a, *y = b;
	int c = strcmp(x->region, y->region);

	if (c == 0)
		c = (int)x->direction - (int)y->direction;
	if (c == 0)
		c = strcmp(x->route_table, y->route_table);
	return c != 0 ? c : (int)x->priority - (int)y->priority;
}

static int
cmp_bwp_cfg(const void *a, const void *b)
{
	return strcmp(((const struct model_bwp *)a)->id,
		      ((const struct model_bwp *)b)->id);
}

static void
cfg_sort(void *base, size_t n, size_t size,
	 int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/* The configuration in a canonical form: sorted by key, lines cleared,
 * written as YAML. */
static void
dump_config(struct engine *e, struct sink *s)
{
	struct model m;
	char *y;

	if (model_clone(&m, &e->model) != 0)
		abort();
	/* empty arrays are NULL, which qsort must not be given */
	cfg_sort(m.regions, m.nregions, sizeof(*m.regions), cmp_region_cfg);
	cfg_sort(m.tables, m.ntables, sizeof(*m.tables), cmp_table_cfg);
	cfg_sort(m.table_routes, m.ntable_routes, sizeof(*m.table_routes),
		 cmp_table_route_cfg);
	cfg_sort(m.pcs, m.npcs, sizeof(*m.pcs), cmp_pc_cfg);
	cfg_sort(m.attachments, m.nattachments, sizeof(*m.attachments),
		 cmp_att_cfg);
	cfg_sort(m.rmaps, m.nrmaps, sizeof(*m.rmaps), cmp_rmap_cfg);
	cfg_sort(m.bwps, m.nbwps, sizeof(*m.bwps), cmp_bwp_cfg);
	y = model_yaml_emit(&m);
	if (y == NULL)
		abort();
	sink_write(s, y, strlen(y));
	free(y);
	model_free(&m);
}

static void
dump(struct engine *e, struct sink *s)
{
	dump_config(e, s);
	struct e_table **tv;
	struct e_att **av;
	size_t nt = tables_sorted(e, NULL, NULL, &tv);
	size_t na = atts_sorted(e, &av);
	struct dump_arg da = { e, s };
	char pb[PREFIX_STRLEN], nb[512];

	if (e->model.has_cen)
		sink_printf(s, "cen %s overlapping=%d asn=%u\n",
			    e->model.cen.id, e->model.cen.overlapping_routes,
			    e->model.cen.asn);
	/* by region ID, and only when marked: a state without it dumps as
	 * it always did */
	struct e_region **rv = calloc(e->nregions + 1, sizeof(*rv));
	size_t nr = 0;

	if (rv == NULL)
		abort();
	for (size_t i = 0; i < e->nregions; i++)
		if (e->regions[i] != NULL && e->regions[i]->unreachable)
			rv[nr++] = e->regions[i];
	if (nr > 1)
		qsort(rv, nr, sizeof(*rv), cmp_region_ptr);
	for (size_t i = 0; i < nr; i++)
		sink_printf(s, "region %s unreachable\n", rv[i]->id);
	free(rv);
	for (size_t i = 0; i < nt; i++) {
		struct e_table *t = tv[i];

		sink_printf(s,
			    "table %s/%s system=%d max=%u mrecmp=%d "
			    "counted=%zu\n",
			    e->regions[t->region]->id, t->id, t->system,
			    t->max_routes, t->multi_region_ecmp, t->counted);
		for (int f = 0; f < 2; f++)
			trie_walk(&t->trie[f], dump_entry_cb, &da);
	}
	for (size_t i = 0; i < na; i++) {
		struct e_att *a = av[i];
		struct e_override **ov;
		size_t no = overrides_sorted(a, &ov);

		sink_printf(s,
			    "attachment %s %s region=%s table=%s "
			    "health=%s\n",
			    a->id, model_att_type_str(a->type),
			    e->regions[a->region]->id, e->tables[a->assoc]->id,
			    a->health_down ? "down" : "up");
		for (size_t k = 0; k < no; k++)
			sink_printf(s, "  view %s -> %s\n",
				    prefix_fmt(&ov[k]->prefix, pb, sizeof(pb)),
				    ov[k]->nhg->n == 0
					    ? "(none)"
					    : engine_nhg_fmt(ov[k]->nhg, nb,
							     sizeof(nb)));
		free(ov);
	}
	free(tv);
	free(av);
}

uint64_t
engine_hash(struct engine *e)
{
	struct sink s = { 0 };
	uint64_t h;

	s.xx = XXH3_createState();
	if (s.xx == NULL)
		abort();
	XXH3_64bits_reset(s.xx);
	dump(e, &s);
	h = XXH3_64bits_digest(s.xx);
	XXH3_freeState(s.xx);
	return h;
}

uint64_t
engine_model_hash(struct engine *e)
{
	struct sink s = { 0 };
	uint64_t h;

	s.xx = XXH3_createState();
	if (s.xx == NULL)
		abort();
	XXH3_64bits_reset(s.xx);
	dump_config(e, &s);
	h = XXH3_64bits_digest(s.xx);
	XXH3_freeState(s.xx);
	return h;
}

char *
engine_dump(struct engine *e)
{
	struct sink s = { 0 };

	sink_printf(&s, "%s", "");
	dump(e, &s);
	return s.buf;
}

void
engine_get_stats(const struct engine *e, struct engine_stats *st)
{
	size_t prefixes = 0, bytes = 0;

	for (size_t i = 0; i < e->ntables; i++) {
		const struct e_table *t = e->tables[i];

		if (t == NULL)
			continue;
		for (int f = 0; f < 2; f++) {
			prefixes += t->trie[f].count;
			bytes += slab_bytes(&t->trie[f].full) +
				 slab_bytes(&t->trie[f].glue);
		}
	}
	st->paths = e->npaths;
	st->prefixes = prefixes;
	st->attr_sets = attr_store_count(e->attrs);
	st->nhgs = e->nhgs.count;
	st->overrides = e->noverrides;
	st->jobs = e->njobs;
	st->bytes = bytes + slab_bytes(&e->paths) + e->attrs->bytes;
}

const char *
engine_state_str(uint8_t s)
{
	switch (s) {
	case ENGINE_STATE_ACTIVE:
		return "Active";
	case ENGINE_STATE_CANDIDATE:
		return "Candidate";
	case ENGINE_STATE_REJECTED:
		return "Rejected";
	case ENGINE_STATE_PROHIBITED:
		return "Prohibited";
	default:
		return "Unspecified";
	}
}

const char *
engine_reason_str(uint8_t r)
{
	static const char *names[] = {
#define ENGINE_REASON_STR(name, str) str,
		ENGINE_REASON_MAP(ENGINE_REASON_STR)
#undef ENGINE_REASON_STR
	};

	return r < ENGINE_REASON_COUNT_ ? names[r] : "unknown";
}

const struct attrs *
engine_view_route(struct engine *e, const char *attachment,
		  const struct prefix *p, const char **source)
{
	struct e_att *a = att_by_id(e, attachment);
	struct e_table *t;
	struct e_entry *en;

	if (a == NULL || p == NULL || p->family == PREFIX_AF_NONE)
		return NULL;
	t = e->tables[a->assoc];
	en = trie_find(&t->trie[FAM(p)], p);
	if (en == NULL || en->nhg == NULL)
		return NULL;
	for (struct e_path *q = en->paths; q != NULL; q = q->next) {
		const struct attrs *out = NULL;
		uint8_t state, reason, prio = 0;

		if (q->state != ENGINE_STATE_ACTIVE ||
		    (q->src == a->idx && !(q->flags & (P_REMOTE | P_TSTATIC))))
			continue;
		rib_view_state(e, t, a->idx, p, q, &state, &reason, &prio,
			       &out);
		if (state != ENGINE_STATE_ACTIVE) {
			if (out != NULL)
				attr_unref(e->attrs, out);
			continue;
		}
		if (out == NULL) {
			out = q->eff;
			attr_ref(out);
		}
		if (source != NULL)
			*source = (q->flags & P_BLACKHOLE)
					  ? ""
					  : engine_att(e, q->src)->id;
		return out;
	}
	return NULL;
}
