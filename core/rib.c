/*
 * rib.c - route tables: paths, the decision process, per-attachment views
 * and inter-region export (ROUTING.md "Route maps", "Overlapping routes and
 * conflicts", "Best path for the same prefix").
 *
 * Every change to a prefix of a table goes through refresh(): RegionIn is
 * applied to the paths that entered (rib_path_put), the decision marks every
 * path Active, Candidate, Rejected or Prohibited with a reason and interns
 * the active next-hop group, then the views of the attachments that a
 * RegionOut Deny or a protection can reach are recomputed, and, for a
 * region's system table, the active local paths are exported to every other
 * region's system table.  Nothing here walks a whole table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

#define FAM(p) ((p)->family == PREFIX_AF_INET6 ? 1 : 0)
#define SMALL  64

static bool
is_vbr_type(uint8_t t)
{
	return t == MODEL_ATT_VBR || t == MODEL_ATT_VPN || t == MODEL_ATT_CCN;
}

void
rib_table_init(struct engine *e, struct e_table *t)
{
	trie_init(&t->trie[0], PREFIX_AF_INET, sizeof(struct e_entry));
	trie_init(&t->trie[1], PREFIX_AF_INET6, sizeof(struct e_entry));
	trie_init(&t->prot[0], PREFIX_AF_INET, sizeof(struct e_prot));
	trie_init(&t->prot[1], PREFIX_AF_INET6, sizeof(struct e_prot));
}

static int
free_entry_cb(const struct prefix *p, void *payload, void *arg)
{
	struct engine *e = arg;
	struct e_entry *en = payload;
	struct e_path *path, *next;

	for (path = en->paths; path != NULL; path = next) {
		next = path->next;
		if (path->eff != NULL && path->eff != path->attrs)
			attr_unref(e->attrs, path->eff);
		attr_unref(e->attrs, path->attrs);
		slab_free(&e->paths, path);
		e->npaths--;
	}
	engine_nhg_unref(e, en->nhg);
	return 0;
}

static int
free_prot_cb(const struct prefix *p, void *payload, void *arg)
{
	struct e_prot *pr = payload;

	free(pr->v);
	return 0;
}

void
rib_table_fini(struct engine *e, struct e_table *t)
{
	for (int f = 0; f < 2; f++) {
		trie_walk(&t->trie[f], free_entry_cb, e);
		trie_fini(&t->trie[f]);
		trie_walk(&t->prot[f], free_prot_cb, NULL);
		trie_fini(&t->prot[f]);
	}
	rmap_set_fini(&t->in);
	rmap_set_fini(&t->out);
	free(t->ovf);
	free(t->atts);
}

const char *
rib_nh_name(struct engine *e, const struct e_path *p, uint8_t *kind)
{
	const struct e_att *a;

	if (p->flags & P_BLACKHOLE) {
		*kind = ENGINE_NH_BLACKHOLE;
		return "";
	}
	a = engine_att(e, p->src);
	if (p->flags & P_REMOTE) {
		*kind = ENGINE_NH_REGION;
		return e->regions[a->region]->id;
	}
	*kind = ENGINE_NH_ATTACHMENT;
	return a->id;
}

/* Path identity order inside an entry. */
static int
path_key_cmp(const struct e_path *p, uint32_t src, uint32_t peer, uint8_t type,
	     uint8_t flags)
{
	uint8_t pf = p->flags & (P_REMOTE | P_TSTATIC);

	flags &= P_REMOTE | P_TSTATIC;
	if (p->src != src)
		return p->src < src ? -1 : 1;
	if (PEER_IDX(p->peer) != PEER_IDX(peer))
		return PEER_IDX(p->peer) < PEER_IDX(peer) ? -1 : 1;
	if (p->type != type)
		return p->type < type ? -1 : 1;
	if (pf != flags)
		return pf < flags ? -1 : 1;
	return 0;
}

static uint32_t
src_table_of(struct engine *e, const struct e_table *t, const struct e_path *p)
{
	const struct e_att *a;

	if (p->flags & P_TSTATIC)
		return t->idx;
	a = engine_att(e, p->src);
	if (a == NULL)
		return E_NONE;
	if (p->flags & P_REMOTE)
		return e->regions[a->region]->system;
	return a->assoc;
}

/* RegionIn: the attributes a path has once it entered table t. */
static void
eval_in(struct engine *e, struct e_table *t, const struct prefix *pfx,
	struct e_path *p)
{
	const struct attrs *out = NULL;
	struct rmap_ctx c;

	if (p->eff != NULL && p->eff != p->attrs)
		attr_unref(e->attrs, p->eff);
	p->eff = p->attrs;
	if (t->in.n == 0 || (p->flags & P_TSTATIC))
		return;
	c.prefix = pfx;
	c.path = p;
	c.attrs = p->attrs;
	c.src_table = src_table_of(e, t, p);
	c.dst_att = E_NONE;
	c.dst_region = E_NONE;
	if (!rmap_eval(e, &t->in, &c, &out, NULL)) {
		p->eff = NULL;
		return;
	}
	if (out == p->attrs) {
		attr_unref(e->attrs, out); /* rmap_eval added one */
		return;
	}
	p->eff = out;
}

/* Quota (ROUTING.md: a route over a table's quota is Rejected, reason
 * overflow).  Prefixes are admitted in the order they first had a usable
 * path; when an admitted prefix goes away the oldest waiting one takes its
 * place. */
static void
ovf_remove(struct e_table *t, const struct prefix *p)
{
	for (size_t i = 0; i < t->novf; i++) {
		if (prefix_equal(&t->ovf[i].prefix, p)) {
			memmove(&t->ovf[i], &t->ovf[i + 1],
				(t->novf - i - 1) * sizeof(t->ovf[0]));
			t->novf--;
			return;
		}
	}
}

static void refresh(struct engine *e, struct e_table *t, const struct prefix *p,
		    struct e_entry *en, uint8_t what, uint32_t att);

static void
ovf_promote(struct engine *e, struct e_table *t)
{
	while (t->novf > 0 &&
	       (t->max_routes == 0 || t->counted < t->max_routes)) {
		size_t best = 0;
		struct prefix p;
		struct e_entry *en;

		for (size_t i = 1; i < t->novf; i++)
			if (t->ovf[i].seq < t->ovf[best].seq)
				best = i;
		p = t->ovf[best].prefix;
		ovf_remove(t, &p);
		en = trie_find(&t->trie[FAM(&p)], &p);
		if (en == NULL)
			continue;
		en->flags &= ~EN_OVERFLOW;
		en->flags |= EN_COUNTED;
		t->counted++;
		refresh(e, t, &p, en, JOB_DECIDE, E_NONE);
	}
}

/* Returns false when the prefix is over quota. */
static bool
admit(struct engine *e, struct e_table *t, const struct prefix *p,
      struct e_entry *en, bool usable)
{
	if (usable) {
		if (en->flags & EN_COUNTED)
			return true;
		if (en->flags & EN_OVERFLOW)
			return false;
		en->seq = t->next_seq++;
		if (t->max_routes == 0 || t->counted < t->max_routes) {
			en->flags |= EN_COUNTED;
			t->counted++;
			return true;
		}
		if (t->novf == t->capovf) {
			size_t cap = t->capovf ? t->capovf * 2 : 16;
			struct e_overflow *v =
				realloc(t->ovf, cap * sizeof(*v));

			if (v == NULL)
				abort();
			t->ovf = v;
			t->capovf = cap;
		}
		t->ovf[t->novf].prefix = *p;
		t->ovf[t->novf].seq = en->seq;
		t->novf++;
		en->flags |= EN_OVERFLOW;
		return false;
	}
	if (en->flags & EN_OVERFLOW) {
		ovf_remove(t, p);
		en->flags &= ~EN_OVERFLOW;
	}
	if (en->flags & EN_COUNTED) {
		en->flags &= ~EN_COUNTED;
		t->counted--;
	}
	return true;
}

static void
demote(struct e_path **v, uint32_t *n,
       bool (*lose)(const struct e_path *, const void *), const void *arg,
       uint8_t reason)
{
	uint32_t m = 0;

	for (uint32_t i = 0; i < *n; i++) {
		if (lose(v[i], arg)) {
			v[i]->state = ENGINE_STATE_CANDIDATE;
			v[i]->reason = reason;
			continue;
		}
		v[m++] = v[i];
	}
	*n = m;
}

struct dctx {
	struct engine *e;
	const struct e_table *t;
	uint32_t val;
	const char *str;
};

static bool
lose_not_static(const struct e_path *p, const void *arg)
{
	return !(p->flags & P_TSTATIC);
}

static bool
vbr_src(const struct dctx *d, const struct e_path *p)
{
	const struct e_att *a = engine_att(d->e, p->src);

	return !(p->flags & P_TSTATIC) && a != NULL && is_vbr_type(a->type);
}

static bool
lose_vbr_static(const struct e_path *p, const void *arg)
{
	return vbr_src(arg, p) && p->type != MODEL_RT_BGP;
}

static uint32_t
hops(const struct e_path *p)
{
	return p->eff->aspath != NULL ? p->eff->aspath->hops : 0;
}

static bool
lose_vbr_aspath(const struct e_path *p, const void *arg)
{
	const struct dctx *d = arg;

	return vbr_src(d, p) && hops(p) > d->val;
}

static bool
lose_remote(const struct e_path *p, const void *arg)
{
	return p->flags & P_REMOTE;
}

static bool
lose_pref(const struct e_path *p, const void *arg)
{
	const struct dctx *d = arg;

	return p->eff->pref > d->val;
}

static const char *
region_of(struct engine *e, const struct e_path *p)
{
	const struct e_att *a = engine_att(e, p->src);

	return e->regions[a->region]->id;
}

static bool
lose_region(const struct e_path *p, const void *arg)
{
	const struct dctx *d = arg;

	return strcmp(region_of(d->e, p), d->str) != 0;
}

static struct engine *tie_e;

/* The stable tie-break: attachment ID, then peer address. */
static int
tie_cmp(const void *pa, const void *pb)
{
	const struct e_path *a = *(struct e_path *const *)pa;
	const struct e_path *b = *(struct e_path *const *)pb;
	int c;

	c = strcmp(engine_att(tie_e, a->src)->id,
		   engine_att(tie_e, b->src)->id);
	if (c != 0)
		return c;
	c = prefix_cmp(&tie_e->peers[PEER_IDX(a->peer)],
		       &tie_e->peers[PEER_IDX(b->peer)]);
	if (c != 0)
		return c;
	return (int)a->type - (int)b->type;
}

/* The decision process for one prefix.  Returns the new active group (a new
 * reference, NULL when nothing is active). */
static const struct engine_nhg *
decide(struct engine *e, struct e_table *t, const struct prefix *pfx,
       struct e_entry *en)
{
	struct e_path *small[SMALL], **v = small;
	struct e_path *p;
	uint32_t n = 0, cap = SMALL;
	struct dctx d = { .e = e, .t = t };
	bool usable;

	for (p = en->paths; p != NULL; p = p->next) {
		const struct e_att *a = engine_att(e, p->src);

		p->reason = ENGINE_REASON_NONE;
		if (p->eff == NULL) {
			p->state = ENGINE_STATE_REJECTED;
			p->reason = ENGINE_REASON_ROUTE_MAP;
			continue;
		}
		if (!(p->flags & (P_REMOTE | P_BLACKHOLE)) && a != NULL &&
		    a->health_down && a->change_route) {
			p->state = ENGINE_STATE_REJECTED;
			p->reason = ENGINE_REASON_HEALTH;
			continue;
		}
		if (pfx->len == 0 && !(p->flags & (P_REMOTE | P_TSTATIC)) &&
		    a != NULL && is_vbr_type(a->type) && !a->allow_default) {
			p->state = ENGINE_STATE_PROHIBITED;
			p->reason = ENGINE_REASON_DEFAULT_ROUTE;
			continue;
		}
		if (n == cap) {
			struct e_path **nv;

			cap *= 2;
			nv = v == small ? malloc(cap * sizeof(*nv))
					: realloc(v, cap * sizeof(*nv));
			if (nv == NULL)
				abort();
			if (v == small)
				memcpy(nv, small, sizeof(small));
			v = nv;
		}
		p->state = ENGINE_STATE_ACTIVE;
		v[n++] = p;
	}
	usable = n > 0;
	if (!admit(e, t, pfx, en, usable)) {
		for (uint32_t i = 0; i < n; i++) {
			v[i]->state = ENGINE_STATE_REJECTED;
			v[i]->reason = ENGINE_REASON_OVERFLOW;
		}
		n = 0;
	}
	/* a lone path wins every step below (they only demote paths that
	 * lose to another): skip reading its attributes */
	if (n <= 1)
		goto group;

	/* 1. static routes of the table beat propagated ones */
	for (uint32_t i = 0; i < n; i++) {
		if (v[i]->flags & P_TSTATIC) {
			demote(v, &n, lose_not_static, &d,
			       ENGINE_REASON_STATIC_PREFERRED);
			break;
		}
	}
	/* 2. between VBR-type sources: BGP beats static, then the shorter
	 * AS path */
	bool any_vbr_bgp = false, any_vbr = false;
	uint32_t min_hops = UINT32_MAX;

	for (uint32_t i = 0; i < n; i++) {
		if (!vbr_src(&d, v[i]))
			continue;
		any_vbr = true;
		any_vbr_bgp |= v[i]->type == MODEL_RT_BGP;
	}
	if (any_vbr_bgp)
		demote(v, &n, lose_vbr_static, &d, ENGINE_REASON_BGP_PREFERRED);
	if (any_vbr) {
		for (uint32_t i = 0; i < n; i++)
			if (vbr_src(&d, v[i]) && hops(v[i]) < min_hops)
				min_hops = hops(v[i]);
		d.val = min_hops;
		demote(v, &n, lose_vbr_aspath, &d, ENGINE_REASON_AS_PATH);
	}
	/* 3. the table's own region beats other regions */
	for (uint32_t i = 0; i < n; i++) {
		if (!(v[i]->flags & P_REMOTE)) {
			demote(v, &n, lose_remote, &d,
			       ENGINE_REASON_REMOTE_REGION);
			break;
		}
	}
	/* 4. lower preference */
	d.val = UINT32_MAX;
	for (uint32_t i = 0; i < n; i++)
		if (v[i]->eff->pref < d.val)
			d.val = v[i]->eff->pref;
	demote(v, &n, lose_pref, &d, ENGINE_REASON_PREFERENCE);
	/* 5. region ID, unless multi-region ECMP */
	if (!t->multi_region_ecmp && n > 1) {
		const char *best = NULL;

		for (uint32_t i = 0; i < n; i++) {
			const char *r = region_of(e, v[i]);

			if (best == NULL || strcmp(r, best) < 0)
				best = r;
		}
		d.str = best;
		demote(v, &n, lose_region, &d, ENGINE_REASON_REGION_ID);
	}
	/* ECMP: the first MODEL_ECMP_MAX by the stable tie-break */
	if (n > 1) {
		tie_e = e;
		qsort(v, n, sizeof(*v), tie_cmp);
	}
	for (uint32_t i = MODEL_ECMP_MAX; i < n; i++) {
		v[i]->state = ENGINE_STATE_CANDIDATE;
		v[i]->reason = ENGINE_REASON_ECMP_LIMIT;
	}
	if (n > MODEL_ECMP_MAX)
		n = MODEL_ECMP_MAX;
group:;
	const struct engine_nhg *g = n > 0 ? nhg_of_paths(e, v, n) : NULL;

	if (v != small)
		free(v);
	return g;
}

/* Protections of table t that cover prefix p, gathered for view updates. */
struct prot_hits {
	struct e_prot_item v[SMALL];
	uint32_t n;
};

static int
prot_cb(const struct prefix *p, void *payload, void *arg)
{
	struct e_prot *pr = payload;
	struct prot_hits *h = arg;

	for (uint32_t i = 0; i < pr->n && h->n < SMALL; i++)
		h->v[h->n++] = pr->v[i];
	return 0;
}

static uint8_t
prot_reason(const struct prot_hits *h, uint32_t att)
{
	uint8_t r = ENGINE_REASON_NONE;

	for (uint32_t i = 0; i < h->n; i++) {
		if (h->v[i].att != att)
			continue;
		/* the most specific reason: conflict, then overlap */
		if (r == ENGINE_REASON_NONE ||
		    h->v[i].reason == ENGINE_REASON_CONFLICT)
			r = h->v[i].reason;
	}
	return r;
}

void
rib_view_state(struct engine *e, struct e_table *t, uint32_t att,
	       const struct prefix *pfx, const struct e_path *path,
	       uint8_t *state, uint8_t *reason, uint8_t *deny_prio,
	       const struct attrs **out_attrs)
{
	struct prot_hits h = { .n = 0 };
	uint8_t r;

	*state = path->state;
	*reason = path->reason;
	*out_attrs = NULL;
	if (path->state != ENGINE_STATE_ACTIVE)
		return;
	trie_walk_shorter(&t->prot[FAM(pfx)], pfx, prot_cb, &h);
	r = prot_reason(&h, att);
	if (r != ENGINE_REASON_NONE) {
		*state = ENGINE_STATE_REJECTED;
		*reason = r;
		return;
	}
	if (t->out.n > 0) {
		struct rmap_ctx c = { .prefix = pfx,
				      .path = path,
				      .attrs = path->eff,
				      .src_table = src_table_of(e, t, path),
				      .dst_att = att,
				      .dst_region = E_NONE };
		if (!rmap_eval(e, &t->out, &c, out_attrs, deny_prio)) {
			*state = ENGINE_STATE_REJECTED;
			*reason = ENGINE_REASON_ROUTE_MAP;
			return;
		}
	}
}

static bool
u32_in(const uint32_t *v, size_t n, uint32_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static void
set_override(struct engine *e, struct e_table *t, struct e_att *a,
	     const struct prefix *p, uint64_t h, const struct engine_nhg *want,
	     bool *any)
{
	struct e_override *o = hmap_get(&a->overrides, h, p);

	*any |= want != NULL;
	if (o == NULL && want == NULL)
		return;
	if (o != NULL && o->nhg == want) {
		engine_nhg_unref(e, want);
		return;
	}
	if (want == NULL) {
		hmap_del(&a->overrides, h, p);
		engine_nhg_unref(e, o->nhg);
		free(o);
		e->noverrides--;
		engine_emit(e, t, a, p, NULL);
		return;
	}
	if (o == NULL) {
		o = malloc(sizeof(*o));
		if (o == NULL)
			abort();
		o->prefix = *p;
		o->nhg = NULL;
		if (hmap_put(&a->overrides, h, &o->prefix, o, NULL) != 0)
			abort();
		e->noverrides++;
	}
	engine_nhg_unref(e, o->nhg);
	o->nhg = want; /* takes the caller's reference */
	engine_emit(e, t, a, p, want);
}

/* Recomputes the overrides of prefix p for the attachments whose view can
 * differ from table t there. */
static void
update_views(struct engine *e, struct e_table *t, const struct prefix *pfx,
	     struct e_entry *en)
{
	struct prot_hits h = { .n = 0 };
	struct e_path *act[MODEL_ECMP_MAX], *kept[MODEL_ECMP_MAX];
	uint32_t nact = 0;
	bool any = false;
	uint64_t ph;

	if (t->natts == 0)
		return;
	if (t->prot[FAM(pfx)].count > 0)
		trie_walk_shorter(&t->prot[FAM(pfx)], pfx, prot_cb, &h);
	if (!t->out.deny_all && t->out.ndeny_atts == 0 && h.n == 0 &&
	    !(en->flags & EN_OVERRIDES))
		return;
	for (struct e_path *p = en->paths; p != NULL; p = p->next)
		if (p->state == ENGINE_STATE_ACTIVE && nact < MODEL_ECMP_MAX)
			act[nact++] = p;

	ph = prefix_hash(pfx);
	for (size_t i = 0; i < t->natts; i++) {
		uint32_t ai = t->atts[i];
		struct e_att *a = engine_att(e, ai);
		const struct engine_nhg *want = NULL;
		uint8_t pr = prot_reason(&h, ai);
		bool target = (en->flags & EN_OVERRIDES) || pr ||
			      t->out.deny_all ||
			      u32_in(t->out.deny_atts, t->out.ndeny_atts, ai);

		if (!target)
			continue;
		if (en->nhg != NULL && pr != ENGINE_REASON_NONE) {
			want = e->empty_nhg;
			engine_nhg_ref(want);
		} else if (en->nhg != NULL && t->out.n > 0) {
			uint32_t nk = 0;

			for (uint32_t k = 0; k < nact; k++) {
				struct rmap_ctx c = { .prefix = pfx,
						      .path = act[k],
						      .attrs = act[k]->eff,
						      .src_table = src_table_of(
							      e, t, act[k]),
						      .dst_att = ai,
						      .dst_region = E_NONE };
				const struct attrs *out = NULL;

				if (rmap_eval(e, &t->out, &c, &out, NULL)) {
					attr_unref(e->attrs, out);
					kept[nk++] = act[k];
				}
			}
			if (nk != nact)
				want = nk > 0 ? nhg_of_paths(e, kept, nk)
					      : (engine_nhg_ref(e->empty_nhg),
						 e->empty_nhg);
		}
		set_override(e, t, a, pfx, ph, want, &any);
	}
	if (any)
		en->flags |= EN_OVERRIDES;
	else
		en->flags &= ~EN_OVERRIDES;
}

/* One path to export: the key of the local path and its attributes after
 * RegionOut (one reference). */
struct exp_want {
	uint32_t src, peer;
	uint8_t type;
	const struct attrs *a;
};

/* What the system table t exports of prefix pfx to region `region` now. */
static uint32_t
export_want(struct engine *e, struct e_table *t, const struct prefix *pfx,
	    uint32_t region, struct exp_want *want)
{
	struct e_entry *en = trie_find(&t->trie[FAM(pfx)], pfx);
	uint32_t nw = 0;

	/* an unreachable region exports nothing, whatever the source of its
	 * paths: its VPCs must not attract traffic either */
	if (e->regions[t->region]->unreachable)
		return 0;
	for (struct e_path *p = en != NULL ? en->paths : NULL; p != NULL;
	     p = p->next) {
		const struct attrs *out = NULL;

		if (p->state != ENGINE_STATE_ACTIVE ||
		    (p->flags & (P_REMOTE | P_BLACKHOLE)) ||
		    nw == MODEL_ECMP_MAX)
			continue;
		if (t->out.n > 0) {
			struct rmap_ctx c = { .prefix = pfx,
					      .path = p,
					      .attrs = p->eff,
					      .src_table =
						      src_table_of(e, t, p),
					      .dst_att = E_NONE,
					      .dst_region = region };

			if (!rmap_eval(e, &t->out, &c, &out, NULL))
				continue;
		} else {
			out = p->eff;
			attr_ref(out);
		}
		want[nw].src = p->src;
		want[nw].peer = p->peer;
		want[nw].type = p->type;
		want[nw].a = out;
		nw++;
	}
	return nw;
}

/* Exports the active local paths of a system table's prefix to every other
 * region's system table (after RegionOut towards that region), unless the
 * table's region is marked unreachable (engine_set_region_reachable): then
 * what it exported before is withdrawn.
 *
 * Every change made here to another region's table can come back through
 * that region's export and change this prefix again (a remote path can win
 * over a local one at step 2), so nothing is kept across a change: one
 * difference is fixed at a time, and what to export is recomputed after
 * each. */
static void export(struct engine *e, struct e_table *t,
		   const struct prefix *pfx, struct e_entry *en)
{
	(void)en;
	for (size_t r = 0; r < e->nregions; r++) {
		struct e_region *reg = e->regions[r];
		struct e_table *dt;
		unsigned rounds = 0;

		if (reg == NULL || reg->idx == t->region)
			continue;
		dt = e->tables[reg->system];
		for (;;) {
			struct exp_want want[MODEL_ECMP_MAX], x = { 0 };
			uint32_t nw = export_want(e, t, pfx, reg->idx, want);
			struct e_entry *den =
				trie_find(&dt->trie[FAM(pfx)], pfx);
			bool del = false, put = false;

			if (++rounds > 1000) {
				fprintf(stderr, "rib export: no fixpoint\n");
				abort();
			}
			/* withdraw what is no longer exported */
			for (struct e_path *q = den != NULL ? den->paths : NULL;
			     q != NULL && !del; q = q->next) {
				bool keep = false;

				if (!(q->flags & P_REMOTE) ||
				    engine_att(e, q->src)->region != t->region)
					continue;
				for (uint32_t k = 0; k < nw; k++)
					keep |= path_key_cmp(q, want[k].src,
							     want[k].peer,
							     want[k].type,
							     P_REMOTE) == 0;
				if (!keep) {
					x.src = q->src;
					x.peer = q->peer;
					x.type = q->type;
					del = true;
				}
			}
			/* then export what is missing or changed */
			for (uint32_t k = 0; k < nw && !del && !put; k++) {
				struct e_path *q =
					den != NULL ? den->paths : NULL;

				for (; q != NULL; q = q->next)
					if (path_key_cmp(q, want[k].src,
							 want[k].peer,
							 want[k].type,
							 P_REMOTE) == 0)
						break;
				if (q == NULL || q->attrs != want[k].a ||
				    q->peer != want[k].peer) {
					x = want[k];
					attr_ref(x.a);
					put = true;
				}
			}
			for (uint32_t k = 0; k < nw; k++)
				attr_unref(e->attrs, want[k].a);
			if (del) {
				rib_path_del(e, dt, pfx, x.src, x.peer, x.type,
					     P_REMOTE);
			} else if (put) {
				rib_path_put(e, dt, pfx, x.src, x.peer, x.type,
					     P_REMOTE, x.a);
				attr_unref(e->attrs, x.a);
			} else {
				break;
			}
		}
	}
}

static bool
entry_changed_active(struct e_entry *en, const struct engine_nhg *g)
{
	return en->nhg != g;
}

/* Re-runs everything derived for prefix p of table t. */
static void
refresh(struct engine *e, struct e_table *t, const struct prefix *p,
	struct e_entry *en, uint8_t what, uint32_t att)
{
	const struct engine_nhg *g;

	if (t->hidden)
		return;
	if (what & JOB_IN) {
		for (struct e_path *q = en->paths; q != NULL; q = q->next)
			if (att == E_NONE || q->src == att)
				eval_in(e, t, p, q);
	}
	g = decide(e, t, p, en);
	if (entry_changed_active(en, g)) {
		engine_nhg_unref(e, en->nhg);
		en->nhg = g;
		engine_emit(e, t, NULL, p, g);
	} else {
		engine_nhg_unref(e, g);
	}
	/* views and exports depend on the active paths' attributes too, so
	 * they are recomputed whenever the prefix is refreshed; both compare
	 * before they emit or write */
	update_views(e, t, p, en);
	if (e->touch_cb != NULL)
		e->touch_cb(e->regions[t->region]->id, t->id, p, false,
			    e->touch_arg);
	/* (with a single region there is nowhere to export to) */
	if (t->system && e->nregions > 1) {
		export(e, t, p, en);
		/* exports can come back here and change this entry, even
		 * empty and free it (see export) */
		en = trie_find(&t->trie[FAM(p)], p);
		if (en == NULL)
			return;
	}
	if (!(en->flags & EN_COUNTED) && t->novf > 0)
		ovf_promote(e, t);
}

/* Removes the entry of p if it has no paths left (looked up again: a
 * refresh may already have removed it). */
static void
entry_gc(struct engine *e, struct e_table *t, const struct prefix *p)
{
	struct e_entry *en = trie_find(&t->trie[FAM(p)], p);

	if (en == NULL || en->paths != NULL)
		return;
	engine_nhg_unref(e, en->nhg);
	en->nhg = NULL;
	trie_del(&t->trie[FAM(p)], p);
}

void
rib_refresh(struct engine *e, struct e_table *t, const struct prefix *p,
	    uint8_t what, uint32_t att)
{
	struct e_entry *en = trie_find(&t->trie[FAM(p)], p);

	if (en == NULL)
		return;
	refresh(e, t, p, en, what, att);
}

int
rib_path_put(struct engine *e, struct e_table *t, const struct prefix *p,
	     uint32_t src, uint32_t peer, uint8_t type, uint8_t flags,
	     const struct attrs *attrs)
{
	struct e_entry *en;
	struct e_path **pp, *path;
	bool created;
	int c = 1;

	en = trie_get(&t->trie[FAM(p)], p, &created);
	if (en == NULL)
		return -CEN_ENOMEM;
	for (pp = &en->paths; *pp != NULL; pp = &(*pp)->next) {
		c = path_key_cmp(*pp, src, peer, type, flags);
		if (c >= 0)
			break;
	}
	if (*pp != NULL && c == 0) {
		uint32_t old_peer;

		path = *pp;
		old_peer = path->peer;
		path->peer = peer; /* the node may change */
		path->gen = e->gen;
		if (path->attrs == attrs) {
			/* a new node still reaches the exported copies */
			if (old_peer == peer || t->hidden)
				return 0;
			refresh(e, t, p, en, 0, E_NONE);
			return 0;
		}
		attr_ref(attrs);
		if (path->eff != NULL && path->eff != path->attrs)
			attr_unref(e->attrs, path->eff);
		attr_unref(e->attrs, path->attrs);
		path->attrs = attrs;
		path->eff = attrs;
	} else {
		path = slab_alloc(&e->paths);
		if (path == NULL) {
			if (created)
				trie_del(&t->trie[FAM(p)], p);
			return -CEN_ENOMEM;
		}
		attr_ref(attrs);
		path->attrs = attrs;
		path->eff = attrs;
		path->src = src;
		path->peer = peer;
		path->type = type;
		path->flags = flags;
		path->gen = e->gen;
		path->next = *pp;
		*pp = path;
		e->npaths++;
	}
	if (t->hidden)
		return 0;
	eval_in(e, t, p, path);
	refresh(e, t, p, en, 0, E_NONE);
	return 0;
}

static void
path_free(struct engine *e, struct e_path *path)
{
	if (path->eff != NULL && path->eff != path->attrs)
		attr_unref(e->attrs, path->eff);
	attr_unref(e->attrs, path->attrs);
	slab_free(&e->paths, path);
	e->npaths--;
}

/*
 * The common withdrawal: the last path of prefix p left its entry en.
 * When nothing else derives from the entry (no view override, no quota
 * queue to promote from, no other region to export to), what refresh()
 * and entry_gc() would do comes down to this: the quota count, the FIB
 * change, the touch, and the entry removed without being looked up
 * again.  Returns false, having done nothing, when the full refresh is
 * needed.
 */
static bool
last_path_gone(struct engine *e, struct e_table *t, const struct prefix *p,
	       struct e_entry *en)
{
	struct prefix pc;
	bool had;

	if (t->hidden || (en->flags & EN_OVERRIDES) || t->novf > 0 ||
	    (t->system && e->nregions > 1))
		return false;
	/* what decide() does with no path: the prefix leaves the quota */
	admit(e, t, p, en, false);
	had = en->nhg != NULL;
	engine_nhg_unref(e, en->nhg);
	en->nhg = NULL;
	/* the entry goes before the callbacks run: they see the prefix as it
	 * is now (p is copied first: it may point into the trie) */
	pc = *p;
	trie_del(&t->trie[FAM(&pc)], &pc);
	if (had)
		engine_emit(e, t, NULL, &pc, NULL);
	if (e->touch_cb != NULL)
		e->touch_cb(e->regions[t->region]->id, t->id, &pc, true,
			    e->touch_arg);
	return true;
}

int
rib_path_del(struct engine *e, struct e_table *t, const struct prefix *p,
	     uint32_t src, uint32_t peer, uint8_t type, uint8_t flags)
{
	struct e_entry *en = trie_find(&t->trie[FAM(p)], p);
	struct e_path **pp, *path;

	if (en == NULL)
		return -CEN_ENOENT;
	for (pp = &en->paths; *pp != NULL; pp = &(*pp)->next)
		if (path_key_cmp(*pp, src, peer, type, flags) == 0)
			break;
	if (*pp == NULL)
		return -CEN_ENOENT;
	path = *pp;
	*pp = path->next;
	if (en->paths == NULL && last_path_gone(e, t, p, en)) {
		path_free(e, path);
		return 0;
	}
	/* in a large table the path's attribute set is seldom in cache:
	 * fetch it while the prefix is refreshed (the path is unlinked
	 * already), release it after */
	__builtin_prefetch(path->attrs, 1);
	refresh(e, t, p, en, 0, E_NONE);
	path_free(e, path);
	entry_gc(e, t, p);
	return 0;
}

struct att_walk {
	struct engine *e;
	struct e_table *t, *dst;
	uint32_t att;
	bool remove;
	struct prefix *todo;
	size_t ntodo, cap;
};

static int
att_collect_cb(const struct prefix *p, void *payload, void *arg)
{
	struct att_walk *w = arg;
	struct e_entry *en = payload;

	for (struct e_path *q = en->paths; q != NULL; q = q->next) {
		if (q->src != w->att || (q->flags & P_REMOTE))
			continue;
		if (w->ntodo == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 64;
			w->todo = realloc(w->todo, w->cap * sizeof(*w->todo));
			if (w->todo == NULL)
				abort();
		}
		w->todo[w->ntodo++] = *p;
		break;
	}
	return 0;
}

/* Whether a queued peer flush (JOB_FLUSH) will remove path q: such a path
 * is already withdrawn, and copying it into another table (where that job
 * does not go) would bring it back. */
static bool
flush_pending(const struct engine *e, const struct e_path *q)
{
	if (q->type != MODEL_RT_BGP || (q->flags & (P_REMOTE | P_TSTATIC)))
		return false;
	for (const struct e_job *j = e->jobs; j != NULL; j = j->next)
		if ((j->what & JOB_FLUSH) && j->att == q->src &&
		    q->gen < j->gen &&
		    (j->peer == E_NONE || PEER_IDX(q->peer) == j->peer) &&
		    (j->node == 0 || PEER_NODE(q->peer) == j->node))
			return true;
	return false;
}

void
rib_att_paths(struct engine *e, struct e_table *t, uint32_t att,
	      struct e_table *dst, bool remove)
{
	struct att_walk w = { .e = e, .t = t, .dst = dst, .att = att };

	for (int f = 0; f < 2; f++)
		trie_walk(&t->trie[f], att_collect_cb, &w);
	for (size_t i = 0; i < w.ntodo; i++) {
		struct prefix *p = &w.todo[i];
		struct e_entry *en = trie_find(&t->trie[FAM(p)], p);
		struct e_path *q;

		if (en == NULL)
			continue;
		if (dst != NULL) {
			/* copy from a list of keys: each put can come back
			 * through exports and change this entry */
			struct e_path cp[SMALL];
			uint32_t ncp = 0;

			for (q = en->paths; q != NULL && ncp < SMALL;
			     q = q->next) {
				if (q->src != att ||
				    (q->flags & (P_REMOTE | P_TSTATIC)) ||
				    flush_pending(e, q))
					continue;
				cp[ncp] = *q;
				attr_ref(cp[ncp].attrs);
				ncp++;
			}
			for (uint32_t k = 0; k < ncp; k++) {
				rib_path_put(e, dst, p, cp[k].src, cp[k].peer,
					     cp[k].type, cp[k].flags,
					     cp[k].attrs);
				attr_unref(e->attrs, cp[k].attrs);
			}
			en = trie_find(&t->trie[FAM(p)], p);
			if (en == NULL)
				continue;
		}
		if (!remove)
			continue;
		for (struct e_path **pp = &en->paths; *pp != NULL;) {
			q = *pp;
			if (q->src == att &&
			    !(q->flags & (P_REMOTE | P_TSTATIC))) {
				*pp = q->next;
				path_free(e, q);
			} else {
				pp = &q->next;
			}
		}
		refresh(e, t, p, en, 0, E_NONE);
		entry_gc(e, t, p);
	}
	free(w.todo);
}

/* Protections (ROUTING.md): a VPC never accepts a route equal to or inside
 * one of its vSwitch CIDRs; a RouterInterface custom route rejects hub
 * routes equal to or more specific than it (conflict); with overlapping
 * routing off, any custom route of the VPC does (overlap). */
static void
prot_add(struct e_table *t, const struct prefix *p, uint32_t att,
	 uint8_t reason)
{
	struct e_prot *pr = trie_get(&t->prot[FAM(p)], p, NULL);
	struct e_prot_item *v;

	if (pr == NULL)
		abort();
	for (uint32_t i = 0; i < pr->n; i++)
		if (pr->v[i].att == att && pr->v[i].reason == reason)
			return;
	v = realloc(pr->v, (pr->n + 1) * sizeof(*v));
	if (v == NULL)
		abort();
	pr->v = v;
	pr->v[pr->n].att = att;
	pr->v[pr->n].reason = reason;
	pr->n++;
}

void
rib_prot_rebuild(struct engine *e, struct e_table *t)
{
	const struct model *m = &e->model;
	bool overlapping = !m->has_cen || m->cen.overlapping_routes;

	for (int f = 0; f < 2; f++) {
		trie_walk(&t->prot[f], free_prot_cb, NULL);
		trie_fini(&t->prot[f]);
	}
	trie_init(&t->prot[0], PREFIX_AF_INET, sizeof(struct e_prot));
	trie_init(&t->prot[1], PREFIX_AF_INET6, sizeof(struct e_prot));
	for (size_t i = 0; i < t->natts; i++) {
		struct e_att *a = engine_att(e, t->atts[i]);
		const struct model_attachment *ma =
			model_find_attachment(m, a->id);

		if (ma == NULL || ma->type != MODEL_ATT_VPC)
			continue;
		for (size_t k = 0; k < ma->nvswitch; k++)
			prot_add(t, &ma->vswitch_cidrs[k], a->idx,
				 ENGINE_REASON_VSWITCH);
		for (size_t k = 0; k < ma->nroutes; k++) {
			const struct model_route *r = &ma->routes[k];

			if (r->nh.type == MODEL_NH_ROUTER_INTERFACE)
				prot_add(t, &r->prefix, a->idx,
					 ENGINE_REASON_CONFLICT);
			else if (!overlapping)
				prot_add(t, &r->prefix, a->idx,
					 ENGINE_REASON_OVERLAP);
		}
	}
}

struct pfx_list {
	struct prefix *v;
	size_t n, cap;
};

static int
collect_cb(const struct prefix *p, void *payload, void *arg)
{
	struct pfx_list *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (l->v == NULL)
			abort();
	}
	l->v[l->n++] = *p;
	return 0;
}

/* Exports every prefix of every other region's system table; used when a
 * region appears.  Collects first: exports may add paths to the table
 * walked. */
void
rib_region_export_all(struct engine *e, uint32_t to_region)
{
	for (size_t r = 0; r < e->nregions; r++) {
		struct e_region *reg = e->regions[r];
		struct pfx_list l = { 0 };
		struct e_table *t;

		if (reg == NULL || reg->idx == to_region)
			continue;
		t = e->tables[reg->system];
		for (int f = 0; f < 2; f++)
			trie_walk(&t->trie[f], collect_cb, &l);
		for (size_t i = 0; i < l.n; i++) {
			struct e_entry *en =
				trie_find(&t->trie[FAM(&l.v[i])], &l.v[i]);

			if (en != NULL)
				export(e, t, &l.v[i], en);
		}
		free(l.v);
	}
}
