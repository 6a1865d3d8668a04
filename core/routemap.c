/*
 * routemap.c - compiled route maps and their evaluation (ROUTING.md "Route
 * maps").
 *
 * The entries of one (region, direction, route table) key are compiled from
 * the model into struct e_rmap: IDs resolved to indices, type lists to bit
 * sets.  Evaluation walks the entries by ascending priority; an entry matches
 * only if every configured condition matches; Deny drops the route and stops;
 * Permit applies its changes and stops unless it names a next priority, in
 * which case evaluation continues at the first entry at or above it.  A route
 * that matches nothing is permitted unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

/* A next-priority chain visits each priority 1..100 at most once. */
#define RMAP_CHAIN_MAX 101

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static bool
u32_has(const uint32_t *v, uint32_t n, uint32_t x)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (v[mid] == x)
			return true;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int
rmap_cmp(const void *a, const void *b)
{
	const struct e_rmap *x = a, *y = b;

	return (int)x->cfg.priority - (int)y->cfg.priority;
}

/* Resolves a list of IDs through map; an ID that names nothing is left out
 * and marks the entry unresolved when the list is a positive condition. */
static uint32_t *
resolve(struct hmap *map, const model_id *ids, uint8_t n, uint32_t *count,
	bool *missing)
{
	uint32_t *v;
	uint32_t m = 0;

	*count = 0;
	if (n == 0)
		return NULL;
	v = calloc(n, sizeof(*v));
	if (v == NULL)
		return NULL;
	for (uint8_t i = 0; i < n; i++) {
		const uint32_t *obj =
			hmap_get(map, hmap_hash_str(ids[i]), ids[i]);

		/* every object kept in these maps begins with its id, then
		 * its index */
		if (obj == NULL) {
			*missing = true;
			continue;
		}
		v[m++] = *(const uint32_t *)((const char *)obj + MODEL_ID_MAX);
	}
	qsort(v, m, sizeof(*v), u32_cmp);
	*count = m;
	return v;
}

static void
rmap_fini(struct e_rmap *r)
{
	free(r->src_atts);
	free(r->dst_atts);
	free(r->src_regions);
	free(r->src_tables);
	free(r->dst_tables);
}

void
rmap_set_fini(struct e_rmap_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		rmap_fini(&s->v[i]);
	free(s->v);
	free(s->deny_atts);
	memset(s, 0, sizeof(*s));
}

static void
compile(struct engine *e, struct e_rmap *r, const struct model_rmap *cfg)
{
	bool miss = false, dummy = false;

	memset(r, 0, sizeof(*r));
	r->cfg = *cfg;
	r->src_atts = resolve(&e->att_by_id, cfg->src_instances,
			      cfg->nsrc_instances, &r->nsrc_atts,
			      cfg->src_instances_inverse ? &dummy : &miss);
	r->dst_atts = resolve(&e->att_by_id, cfg->dst_instances,
			      cfg->ndst_instances, &r->ndst_atts,
			      cfg->dst_instances_inverse ? &dummy : &miss);
	r->src_regions = resolve(&e->region_by_id, cfg->src_regions,
				 cfg->nsrc_regions, &r->nsrc_regions, &miss);
	r->src_tables = resolve(&e->table_by_id, cfg->src_tables,
				cfg->nsrc_tables, &r->nsrc_tables, &miss);
	r->dst_tables = resolve(&e->table_by_id, cfg->dst_tables,
				cfg->ndst_tables, &r->ndst_tables, &miss);
	for (uint8_t i = 0; i < cfg->nsrc_types; i++)
		r->src_types |= 1u << (cfg->src_types[i] & 31);
	for (uint8_t i = 0; i < cfg->ndst_types; i++)
		r->dst_types |= 1u << (cfg->dst_types[i] & 31);
	for (uint8_t i = 0; i < cfg->nroute_types; i++)
		r->route_types |= 1u << (cfg->route_types[i] & 31);
	/* a positive list whose every ID is gone can match nothing */
	r->unresolved = miss && ((cfg->nsrc_instances && !r->nsrc_atts &&
				  !cfg->src_instances_inverse) ||
				 (cfg->ndst_instances && !r->ndst_atts &&
				  !cfg->dst_instances_inverse) ||
				 (cfg->nsrc_regions && !r->nsrc_regions) ||
				 (cfg->nsrc_tables && !r->nsrc_tables) ||
				 (cfg->ndst_tables && !r->ndst_tables));
}

int
rmap_set_build(struct engine *e, struct e_rmap_set *s, uint32_t region,
	       uint8_t dir, uint32_t table)
{
	const struct model *m = &e->model;
	const struct e_table *t = e->tables[table];
	const char *rid = e->regions[region]->id;
	size_t n = 0;

	rmap_set_fini(s);
	for (size_t i = 0; i < m->nrmaps; i++) {
		const struct model_rmap *cfg = &m->rmaps[i];
		const char *tid =
			cfg->route_table[0] != '\0'
				? cfg->route_table
				: e->tables[e->regions[region]->system]->id;

		if (cfg->direction != dir || strcmp(cfg->region, rid) != 0 ||
		    strcmp(tid, t->id) != 0)
			continue;
		n++;
	}
	if (n == 0)
		return 0;
	s->v = calloc(n, sizeof(*s->v));
	if (s->v == NULL)
		return -CEN_ENOMEM;
	for (size_t i = 0; i < m->nrmaps; i++) {
		const struct model_rmap *cfg = &m->rmaps[i];
		const char *tid =
			cfg->route_table[0] != '\0'
				? cfg->route_table
				: e->tables[e->regions[region]->system]->id;

		if (cfg->direction != dir || strcmp(cfg->region, rid) != 0 ||
		    strcmp(tid, t->id) != 0)
			continue;
		compile(e, &s->v[s->n++], cfg);
	}
	qsort(s->v, s->n, sizeof(*s->v), rmap_cmp);

	/* Which destinations can a Deny entry reach?  Only those can have a
	 * view that differs from the table because of this map. */
	for (size_t i = 0; i < s->n; i++) {
		const struct e_rmap *r = &s->v[i];

		if (r->cfg.action != MODEL_ACTION_DENY || r->unresolved)
			continue;
		if (r->cfg.ndst_instances == 0 ||
		    r->cfg.dst_instances_inverse) {
			s->deny_all = true;
			continue;
		}
		uint32_t *nv =
			realloc(s->deny_atts,
				(s->ndeny_atts + r->ndst_atts) * sizeof(*nv));
		if (nv == NULL)
			return -CEN_ENOMEM;
		s->deny_atts = nv;
		memcpy(nv + s->ndeny_atts, r->dst_atts,
		       r->ndst_atts * sizeof(*nv));
		s->ndeny_atts += r->ndst_atts;
	}
	if (s->ndeny_atts > 0)
		qsort(s->deny_atts, s->ndeny_atts, sizeof(uint32_t), u32_cmp);
	return 0;
}

static bool
match_cidrs(const struct e_rmap *r, const struct prefix *p)
{
	for (uint8_t i = 0; i < r->cfg.ncidrs; i++) {
		if (r->cfg.cidr_mode == MODEL_MATCH_COMPLETE) {
			if (prefix_equal(&r->cfg.cidrs[i], p))
				return true;
		} else if (prefix_contains(&r->cfg.cidrs[i], p)) {
			return true;
		}
	}
	return false;
}

static bool
match_asns(const struct e_rmap *r, const struct attrs *a)
{
	uint32_t flat[256];
	uint32_t n;

	if (a->aspath != NULL && a->aspath->has_set)
		return false;
	n = attr_aspath_flat(a->aspath, flat, 256);
	if (n > 256)
		n = 256;
	if (r->cfg.asn_mode == MODEL_MATCH_COMPLETE) {
		if (n != r->cfg.nasns)
			return false;
		for (uint32_t i = 0; i < n; i++)
			if (flat[i] != r->cfg.asns[i])
				return false;
		return true;
	}
	for (uint32_t i = 0; i < n; i++)
		for (uint8_t j = 0; j < r->cfg.nasns; j++)
			if (flat[i] == r->cfg.asns[j])
				return true;
	return false;
}

static bool
match_comms(const struct e_rmap *r, const struct attrs *a)
{
	const struct attr_comms *c = a->comms;
	uint32_t have = c != NULL ? c->n : 0;

	if (r->cfg.comm_mode == MODEL_MATCH_COMPLETE) {
		uint32_t distinct = 0;

		/* cfg list may hold duplicates: compare as sets */
		for (uint8_t i = 0; i < r->cfg.ncomms; i++) {
			bool dup = false;

			for (uint8_t j = 0; j < i; j++)
				dup |= r->cfg.comms[j] == r->cfg.comms[i];
			if (dup)
				continue;
			if (!attr_comms_has(c, r->cfg.comms[i]))
				return false;
			distinct++;
		}
		return distinct == have;
	}
	for (uint8_t i = 0; i < r->cfg.ncomms; i++)
		if (attr_comms_has(c, r->cfg.comms[i]))
			return true;
	return false;
}

/* The conditions that do not depend on the destination. */
static bool
match_src(struct engine *e, const struct e_rmap *r, const struct rmap_ctx *c)
{
	const struct e_path *p = c->path;
	/* a blackhole table route has no source attachment (its src is a
	 * placeholder index): source conditions see "none" */
	const struct e_att *src =
		(p->flags & P_BLACKHOLE) ? NULL : engine_att(e, p->src);
	bool in;

	if (r->unresolved)
		return false;
	if (r->cfg.families != 0) {
		uint8_t bit = c->prefix->family == PREFIX_AF_INET ? MODEL_AF_V4
								  : MODEL_AF_V6;
		if (!(r->cfg.families & bit))
			return false;
	}
	if (r->cfg.ncidrs > 0 && !match_cidrs(r, c->prefix))
		return false;
	if (r->cfg.nsrc_instances > 0) {
		in = src != NULL && u32_has(r->src_atts, r->nsrc_atts, p->src);
		if (in == r->cfg.src_instances_inverse)
			return false;
	}
	if (r->cfg.nsrc_regions > 0 &&
	    (src == NULL ||
	     !u32_has(r->src_regions, r->nsrc_regions, src->region)))
		return false;
	if (r->cfg.nsrc_types > 0 &&
	    (src == NULL || !(r->src_types & (1u << src->type))))
		return false;
	if (r->cfg.nsrc_tables > 0 &&
	    (c->src_table == E_NONE ||
	     !u32_has(r->src_tables, r->nsrc_tables, c->src_table)))
		return false;
	if (r->cfg.nroute_types > 0) {
		bool ok = (r->route_types & (1u << p->type)) ||
			  ((p->flags & P_REMOTE) &&
			   (r->route_types & (1u << MODEL_RT_CEN)));
		if (!ok)
			return false;
	}
	if (r->cfg.nasns > 0 && !match_asns(r, c->attrs))
		return false;
	if (r->cfg.ncomms > 0 && !match_comms(r, c->attrs))
		return false;
	return true;
}

static bool
match_dst(struct engine *e, const struct e_rmap *r, const struct rmap_ctx *c)
{
	const struct e_att *dst =
		c->dst_att != E_NONE ? engine_att(e, c->dst_att) : NULL;

	if (r->cfg.ndst_instances > 0) {
		/* destination instances name local attachments only */
		if (dst == NULL)
			return false;
		if (u32_has(r->dst_atts, r->ndst_atts, dst->idx) ==
		    r->cfg.dst_instances_inverse)
			return false;
	}
	if (r->cfg.ndst_types > 0 &&
	    (dst == NULL || !(r->dst_types & (1u << dst->type))))
		return false;
	if (r->cfg.ndst_tables > 0) {
		/* a local attachment's table is its association; another
		 * region receives exports in its system table, so naming
		 * that table means "towards that region" */
		uint32_t dt = E_NONE;

		if (dst != NULL)
			dt = dst->assoc;
		else if (c->dst_region != E_NONE &&
			 e->regions[c->dst_region] != NULL)
			dt = e->regions[c->dst_region]->system;
		if (dt == E_NONE || !u32_has(r->dst_tables, r->ndst_tables, dt))
			return false;
	}
	return true;
}

bool
rmap_entry_may_match(const struct e_rmap *r, const struct prefix *p,
		     uint32_t src_att)
{
	if (r->unresolved)
		return false;
	if (r->cfg.ncidrs > 0 && !match_cidrs(r, p))
		return false;
	if (src_att != E_NONE && r->cfg.nsrc_instances > 0 &&
	    u32_has(r->src_atts, r->nsrc_atts, src_att) ==
		    r->cfg.src_instances_inverse)
		return false;
	return true;
}

/* Applies a Permit entry's changes to the working set w (parts owned by the
 * caller's references in *own). */
static void
apply_sets(struct engine *e, const struct e_rmap *r, struct attrs *w,
	   bool *changed)
{
	struct attr_store *st = e->attrs;

	if (r->cfg.set_pref != 0 && w->pref != r->cfg.set_pref) {
		w->pref = r->cfg.set_pref;
		*changed = true;
	}
	if (r->cfg.set_comm_mode != MODEL_COMM_UNSPECIFIED) {
		const struct attr_comms *add = attr_comms_intern(
			st, r->cfg.set_comms, r->cfg.nset_comms);
		const struct attr_comms *nc;

		if (r->cfg.set_comm_mode == MODEL_COMM_REPLACE) {
			nc = add;
		} else {
			nc = attr_comms_union(st, w->comms, add);
			attr_comms_unref(st, add);
		}
		/* w->comms is a borrowed pointer kept alive by the
		 * attribute set it came from or by the scratch list */
		if (!attr_comms_equal(nc, w->comms))
			*changed = true;
		w->comms = nc; /* reference parked: released by caller */
	}
	if (r->cfg.nprepend > 0) {
		w->aspath = attr_aspath_prepend(st, w->aspath, r->cfg.prepend,
						r->cfg.nprepend);
		*changed = true;
	}
}

bool
rmap_eval(struct engine *e, const struct e_rmap_set *s,
	  const struct rmap_ctx *c, const struct attrs **out,
	  uint8_t *deny_prio)
{
	struct attr_store *st = e->attrs;
	struct attrs w = *c->attrs;
	/* references taken while applying sets, released at the end */
	const struct attr_comms *held_c[RMAP_CHAIN_MAX];
	const struct attr_aspath *held_a[RMAP_CHAIN_MAX];
	size_t nhc = 0, nha = 0;
	bool changed = false, permit = true;
	size_t i = 0;

	while (i < s->n) {
		const struct e_rmap *r = &s->v[i];
		struct rmap_ctx cur = *c;

		cur.attrs = &w;
		if (!match_src(e, r, &cur) || !match_dst(e, r, &cur)) {
			i++;
			continue;
		}
		if (r->cfg.action == MODEL_ACTION_DENY) {
			permit = false;
			if (deny_prio != NULL)
				*deny_prio = r->cfg.priority;
			break;
		}
		const struct attr_comms *pc = w.comms;
		const struct attr_aspath *pa = w.aspath;

		apply_sets(e, r, &w, &changed);
		/* every list apply_sets returns carries a reference, even
		 * when it is the list it started from */
		if (r->cfg.set_comm_mode != MODEL_COMM_UNSPECIFIED)
			held_c[nhc++] = w.comms;
		if (r->cfg.nprepend > 0)
			held_a[nha++] = w.aspath;
		(void)pc;
		(void)pa;
		if (r->cfg.next_priority == 0)
			break;
		/* continue at the first entry at or above next priority */
		while (i < s->n && s->v[i].cfg.priority < r->cfg.next_priority)
			i++;
	}
	if (permit) {
		if (changed) {
			w.refcnt = 0;
			*out = attr_intern(st, &w);
		} else {
			attr_ref(c->attrs);
			*out = c->attrs;
		}
	}
	for (size_t k = 0; k < nhc; k++)
		attr_comms_unref(st, held_c[k]);
	for (size_t k = 0; k < nha; k++)
		attr_aspath_unref(st, held_a[k]);
	return permit;
}
