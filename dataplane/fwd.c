/*
 * fwd.c - the control side of the forwarding core (fwd.h): names, next-hop
 * groups, the route tables and views as LPM tables, and the configuration
 * snapshot the packet side forwards by.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/engine.h"
#include "dataplane/fwd_int.h"

uint64_t
fwd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- names ---------------------------------------------------------- */

static bool
str_eq(const void *a, const void *b)
{
	return strcmp(a, b) == 0;
}

uint16_t
fwd_name_find(const struct fwd *f, const char *id)
{
	uintptr_t v = (uintptr_t)hmap_get(&f->name_map, hmap_hash_str(id), id);

	return v ? (uint16_t)(v - 1) : FWD_NAME_NONE;
}

/* The name of id, made if new; FWD_NAME_NONE when the space is full. */
static uint16_t
name_get(struct fwd *f, const char *id, bool region)
{
	uint16_t n = fwd_name_find(f, id);

	if (n != FWD_NAME_NONE)
		return n;
	if (f->nnames >= FWD_NAMES_MAX)
		return FWD_NAME_NONE;
	n = f->nnames;
	snprintf(f->names[n], FWDCONF_ID_MAX, "%s", id);
	if (hmap_put(&f->name_map, hmap_hash_str(f->names[n]), f->names[n],
		     (void *)(uintptr_t)(n + 1), NULL))
		return FWD_NAME_NONE;
	f->name_is_region[n] = region;
	f->nnames++;
	return n;
}

/* ---- next-hop groups ------------------------------------------------ */

static bool
nhg_eq(const void *a, const void *b)
{
	const struct fwd_nhg *x = a, *y = b;

	return x->n == y->n && !memcmp(x->nh, y->nh, x->n * sizeof(x->nh[0]));
}

static uint64_t
nhg_hash(const struct fwd_nhg *g)
{
	return hmap_hash_bytes(g->nh, g->n * sizeof(g->nh[0]), g->n);
}

struct fwd_nhg *
fwd_nhg_get(const struct fwd *f, uint32_t idx)
{
	if (idx >= FWD_NHG_MAX)
		return NULL;
	return rcu_dereference(f->nhgs[idx]);
}

/* Hash slots in proportion to the weights: slot s goes to the next hop
 * whose cumulative weight range holds the middle of s's share. */
static void
nhg_fill_slots(struct fwd_nhg *g)
{
	uint32_t sum = 0, cum, target;
	unsigned i;

	for (i = 0; i < g->n; i++)
		sum += g->nh[i].weight;
	for (unsigned s = 0; s < FWD_ECMP_SLOTS; s++) {
		target =
			(uint32_t)((2ull * s + 1) * sum / (2 * FWD_ECMP_SLOTS));
		cum = 0;
		for (i = 0; i + 1 < g->n; i++) {
			cum += g->nh[i].weight;
			if (target < cum)
				break;
		}
		g->slot[s] = (uint8_t)i;
	}
}

static void
nhg_free_rcu(struct rcu_head *h)
{
	struct fwd_nhg *g = caa_container_of(h, struct fwd_nhg, rcu);
	struct fwd *f = g->f;

	pthread_mutex_lock(&f->nhg_lock);
	f->nhg_free[f->nhg_nfree++] = g->idx;
	pthread_mutex_unlock(&f->nhg_lock);
	free(g);
}

static void
nhg_remember(struct fwd *f, const struct fibmsg_entry *e, uint32_t idx)
{
	f->last_nhg = idx;
	f->last_n = e->n;
	memcpy(f->last_nh, e->nh, e->n * sizeof(e->nh[0]));
}

/* The group of entry e, interned, with a reference taken; UINT32_MAX when
 * the group cannot be made (no names or indexes left, out of memory). */
static uint32_t
nhg_ref(struct fwd *f, const struct fibmsg_entry *e)
{
	struct fwd_nhg key, *g;
	uint64_t h;

	/* a snapshot gives many entries the same next hops in a row */
	if (f->last_nhg < FWD_NHG_MAX && f->nhgs[f->last_nhg] != NULL &&
	    e->n == f->last_n &&
	    !memcmp(e->nh, f->last_nh, e->n * sizeof(e->nh[0]))) {
		f->nhgs[f->last_nhg]->refs++;
		return f->last_nhg;
	}
	memset(&key, 0, sizeof(key));
	key.n = (uint8_t)e->n;
	for (uint32_t i = 0; i < e->n; i++) {
		const struct fibmsg_nh *nh = &e->nh[i];

		key.nh[i].kind = nh->kind;
		key.nh[i].weight = nh->weight;
		key.nh[i].name =
			nh->kind == ENGINE_NH_BLACKHOLE
				? FWD_NAME_NONE
				: name_get(f, nh->id,
					   nh->kind == ENGINE_NH_REGION);
		if (nh->kind != ENGINE_NH_BLACKHOLE &&
		    key.nh[i].name == FWD_NAME_NONE)
			return UINT32_MAX;
	}
	h = nhg_hash(&key);
	g = hmap_get(&f->nhg_map, h, &key);
	if (g != NULL) {
		g->refs++;
		nhg_remember(f, e, g->idx);
		return g->idx;
	}
	if ((g = malloc(sizeof(*g))) == NULL)
		return UINT32_MAX;
	*g = key;
	nhg_fill_slots(g);
	pthread_mutex_lock(&f->nhg_lock);
	if (f->nhg_nfree > 0)
		g->idx = f->nhg_free[--f->nhg_nfree];
	else if (f->nhg_next < FWD_NHG_MAX)
		g->idx = f->nhg_next++;
	else
		g->idx = UINT32_MAX;
	pthread_mutex_unlock(&f->nhg_lock);
	if (g->idx == UINT32_MAX) {
		free(g);
		return UINT32_MAX;
	}
	g->refs = 1;
	g->hash = h;
	g->f = f;
	if (hmap_put(&f->nhg_map, h, g, g, NULL)) {
		pthread_mutex_lock(&f->nhg_lock);
		f->nhg_free[f->nhg_nfree++] = g->idx;
		pthread_mutex_unlock(&f->nhg_lock);
		free(g);
		return UINT32_MAX;
	}
	rcu_assign_pointer(f->nhgs[g->idx], g);
	nhg_remember(f, e, g->idx);
	return g->idx;
}

static void
nhg_unref(struct fwd *f, uint32_t idx)
{
	struct fwd_nhg *g;

	if (idx >= FWD_NHG_MAX || (g = f->nhgs[idx]) == NULL)
		return;
	if (--g->refs > 0)
		return;
	hmap_del(&f->nhg_map, g->hash, g);
	if (f->last_nhg == idx)
		f->last_nhg = UINT32_MAX;
	rcu_assign_pointer(f->nhgs[idx], NULL);
	/* packets may still hold idx from a lookup: the index is reused
	 * only after a grace period */
	call_rcu(&g->rcu, nhg_free_rcu);
}

/* ---- tables and views ----------------------------------------------- */

static void
lpm_set(struct fwd_lpmset *s, const struct prefix *p, uint32_t nh)
{
	int rc;

	if (nh == UINT32_MAX || nh == FWD_NO_ROUTE) {
		if (p->family == PREFIX_AF_INET)
			lpm4_del(s->v4, prefix_v4(p), p->len);
		else
			lpm6_del(s->v6, p->addr.v6, p->len);
		return;
	}
	if (p->family == PREFIX_AF_INET)
		rc = lpm4_add(s->v4, prefix_v4(p), p->len, nh);
	else
		rc = lpm6_add(s->v6, p->addr.v6, p->len, nh);
	if (rc)
		fprintf(stderr, "cenfwd: LPM add failed: %s\n",
			cen_strerror(rc));
}

struct tab_key {
	char k[2 * FWDCONF_ID_MAX];
};

static bool
tab_eq(const void *a, const void *b)
{
	return !memcmp(a, b, sizeof(struct tab_key));
}

static void
tab_key_make(struct tab_key *k, const char *table, const char *view)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->k, FWDCONF_ID_MAX, "%s", table);
	snprintf(k->k + FWDCONF_ID_MAX, FWDCONF_ID_MAX, "%s", view);
}

struct table_rec {
	struct tab_key key;
	struct fwd_table t;
};

static struct fwd_table *
table_find(struct fwd *f, const char *table, const char *view)
{
	struct tab_key k;
	struct table_rec *r;

	tab_key_make(&k, table, view);
	r = hmap_get(&f->tables, hmap_hash_bytes(&k, sizeof(k), 0), &k);
	return r ? &r->t : NULL;
}

struct copy_arg {
	struct fwd_lpmset *to;
};

static int
copy_entry(const struct prefix *p, void *payload, void *arg)
{
	struct copy_arg *c = arg;

	lpm_set(c->to, p, *(uint32_t *)payload);
	return 0;
}

static void att_lpm_update(struct fwd *f, uint16_t name);

static struct fwd_table *
table_get(struct fwd *f, const char *table, const char *view)
{
	struct fwd_table *t = table_find(f, table, view), *base = NULL;
	struct table_rec *r;
	struct copy_arg c;

	if (t != NULL)
		return t;
	if (view[0] && (base = table_get(f, table, "")) == NULL)
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	tab_key_make(&r->key, table, view);
	t = &r->t;
	snprintf(t->table, sizeof(t->table), "%s", table);
	snprintf(t->view, sizeof(t->view), "%s", view);
	t->view_name = view[0] ? name_get(f, view, false) : FWD_NAME_NONE;
	t->lpm.v4 = lpm4_new(NULL);
	t->lpm.v6 = lpm6_new(NULL);
	trie_init(&t->t4, PREFIX_AF_INET, sizeof(uint32_t));
	trie_init(&t->t6, PREFIX_AF_INET6, sizeof(uint32_t));
	if (t->lpm.v4 == NULL || t->lpm.v6 == NULL ||
	    (view[0] && t->view_name == FWD_NAME_NONE) ||
	    hmap_put(&f->tables, hmap_hash_bytes(&r->key, sizeof(r->key), 0),
		     &r->key, r, NULL)) {
		lpm4_free(t->lpm.v4);
		lpm6_free(t->lpm.v6);
		trie_fini(&t->t4);
		trie_fini(&t->t6);
		free(r);
		return NULL;
	}
	if (base != NULL) {
		struct fwd_table **v;

		v = realloc(base->views, (base->nviews + 1) * sizeof(*v));
		if (v != NULL) {
			v[base->nviews++] = t;
			base->views = v;
		}
		t->base = base;
		/* the view starts as a copy of its table */
		c.to = &t->lpm;
		trie_walk(&base->t4, copy_entry, &c);
		trie_walk(&base->t6, copy_entry, &c);
		att_lpm_update(f, t->view_name);
	}
	return t;
}

static struct trie *
fam_trie(struct fwd_table *t, const struct prefix *p)
{
	return p->family == PREFIX_AF_INET ? &t->t4 : &t->t6;
}

/* Table t's entry for p becomes idx (UINT32_MAX: none); the reference on
 * idx passes to the table. */
static void
table_set(struct fwd *f, struct fwd_table *t, const struct prefix *p,
	  uint32_t idx)
{
	struct trie *tr = fam_trie(t, p);
	uint32_t *slot, old = UINT32_MAX;
	bool created;

	if (idx != UINT32_MAX) {
		if ((slot = trie_get(tr, p, &created)) == NULL) {
			nhg_unref(f, idx);
			return;
		}
		if (created)
			f->entries++;
		else
			old = *slot;
		*slot = idx;
	} else if ((slot = trie_find(tr, p)) != NULL) {
		old = *slot;
		trie_del(tr, p);
		f->entries--;
	}
	lpm_set(&t->lpm, p, idx);
	for (size_t i = 0; i < t->nviews; i++)
		if (trie_find(fam_trie(t->views[i], p), p) == NULL)
			lpm_set(&t->views[i]->lpm, p, idx);
	if (old != UINT32_MAX)
		nhg_unref(f, old);
}

/* View v's override of p becomes val: a group (reference passed),
 * FWD_NO_ROUTE, or UINT32_MAX (withdrawn: follow the table again). */
static void
view_set(struct fwd *f, struct fwd_table *v, const struct prefix *p,
	 uint32_t val)
{
	struct trie *tr = fam_trie(v, p);
	uint32_t *slot = trie_find(tr, p), old = slot ? *slot : UINT32_MAX;
	uint32_t *base;
	bool created;

	if (val != UINT32_MAX) {
		if ((slot = trie_get(tr, p, &created)) == NULL) {
			if (val != FWD_NO_ROUTE)
				nhg_unref(f, val);
			return;
		}
		*slot = val;
		if (created)
			f->entries++;
		lpm_set(&v->lpm, p, val);
	} else {
		if (slot != NULL) {
			trie_del(tr, p);
			f->entries--;
		}
		base = trie_find(fam_trie(v->base, p), p);
		lpm_set(&v->lpm, p, base ? *base : UINT32_MAX);
	}
	if (old != UINT32_MAX && old != FWD_NO_ROUTE)
		nhg_unref(f, old);
}

void
fwd_fib_change(struct fwd *f, const struct fibmsg_entry *e)
{
	struct fwd_table *t;
	uint32_t idx = UINT32_MAX;

	if (strcmp(e->region, f->conf->region))
		return;
	t = table_get(f, e->table, e->view);
	if (t == NULL) {
		fprintf(stderr, "cenfwd: out of memory for table %s\n",
			e->table);
		return;
	}
	if (e->no_route)
		idx = FWD_NO_ROUTE;
	else if (!e->withdrawn && e->n > 0 &&
		 (idx = nhg_ref(f, e)) == UINT32_MAX)
		fprintf(stderr,
			"cenfwd: no room for the next-hop group of an entry "
			"of %s\n",
			e->table);
	if (e->view[0])
		view_set(f, t, &e->prefix, idx);
	else
		table_set(f, t, &e->prefix,
			  idx == FWD_NO_ROUTE ? UINT32_MAX : idx);
}

void
fwd_fib_synced(struct fwd *f, uint64_t version)
{
	__atomic_store_n(&f->version, version, __ATOMIC_RELAXED);
}

uint64_t
fwd_version(const struct fwd *f)
{
	return __atomic_load_n(&f->version, __ATOMIC_RELAXED);
}

/* Publishes the FIB attachment `name` forwards by: its view if it has one,
 * else its table's (once the model says which). */
static void
att_lpm_update(struct fwd *f, uint16_t name)
{
	struct fwd_table *t = NULL;

	if (name == FWD_NAME_NONE)
		return;
	if (f->att_table[name][0]) {
		t = f->name_is_region[name]
			    ? NULL
			    : table_find(f, f->att_table[name], f->names[name]);
		if (t == NULL)
			t = table_get(f, f->att_table[name], "");
	}
	rcu_assign_pointer(f->att_lpm[name], t ? &t->lpm : NULL);
}

/* ---- the configuration ---------------------------------------------- */

static void
conf_free_rcu(struct rcu_head *h)
{
	free(caa_container_of(h, struct fwd_conf, rcu));
}

/* The first host of a subnet (its gateway, as a cloud VPC's), as an
 * address with the subnet's length. */
static void
first_host(const struct prefix *net, struct prefix *gw)
{
	*gw = *net;
	if (net->family == PREFIX_AF_INET && net->len < 31) {
		uint32_t a = prefix_v4(net) + 1;

		gw->addr.v4[0] = (uint8_t)(a >> 24);
		gw->addr.v4[1] = (uint8_t)(a >> 16);
		gw->addr.v4[2] = (uint8_t)(a >> 8);
		gw->addr.v4[3] = (uint8_t)a;
	} else if (net->family == PREFIX_AF_INET6 && net->len < 127) {
		gw->addr.v6[15] |= 1;
	}
}

static void
att_from_model(struct fwd_att *a, const struct fwdconf_att *ca, bool tagged,
	       const struct model_attachment *ma)
{
	a->type = ma->type;
	/* a VBR on a tagged port takes its VLAN from the model unless the
	 * file says otherwise; an untagged port carries one attachment */
	if (ca->vlan_set)
		a->vlan = ca->vlan;
	else if (tagged && ma->type == MODEL_ATT_VBR)
		a->vlan = ma->vlan;
	else
		a->vlan = 0;
	a->ngw = 0;
	for (uint8_t i = 0; i < ca->ngateway; i++)
		a->gw[a->ngw++] = ca->gateway[i];
	if (a->ngw == 0 && ma->type == MODEL_ATT_VBR && ma->local_ip.family)
		a->gw[a->ngw++] = ma->local_ip;
	/* none given: the first host of every vSwitch CIDR */
	if (a->ngw == 0)
		for (size_t i = 0;
		     i < ma->nvswitch && a->ngw < FWDCONF_GATEWAYS_MAX; i++)
			first_host(&ma->vswitch_cidrs[i], &a->gw[a->ngw++]);
	a->next_hop = ca->next_hop;
	if (!a->next_hop.family && ma->type == MODEL_ATT_VBR)
		a->next_hop = ma->peer_ip;
	a->bw_bps = ma->type == MODEL_ATT_VBR
			    ? (uint64_t)ma->bandwidth_mbps * 1000000ull
			    : 0;
	a->hc = ma->type == MODEL_ATT_VBR && ma->health.enabled;
	if (a->hc) {
		a->hc_src = ma->health.source_ip;
		if (!a->hc_src.family)
			prefix_from_v4(&a->hc_src,
				       (100u << 24) | (96u << 16) | 1, 32);
		a->hc_dst = ma->health.target_ip.family ? ma->health.target_ip
							: ma->peer_ip;
		a->hc_interval_s =
			ma->health.interval_s ? ma->health.interval_s : 2;
		a->hc_threshold =
			ma->health.threshold ? ma->health.threshold : 8;
		if (!a->hc_dst.family)
			a->hc = false;
	}
}

uint32_t
fwd_vni_of(const char *cen, const char *table)
{
	/* FNV-1a over "CEN/TABLE", folded to 24 bits; 0 is not used */
	uint32_t h = 2166136261u;
	const char *parts[3] = { cen, "/", table };

	for (int i = 0; i < 3; i++)
		for (const char *q = parts[i]; *q; q++)
			h = (h ^ (uint8_t)*q) * 16777619u;
	h = (h >> 24) ^ (h & 0xffffff);
	return h ? h : 1;
}

/* The connection of a bandwidth package between regions a and b, or
 * NULL. */
static const struct model_bwp_conn *
bwp_conn(const struct model *m, const char *a, const char *b)
{
	for (size_t i = 0; i < m->nbwps; i++)
		for (size_t j = 0; j < m->bwps[i].nconns; j++) {
			const struct model_bwp_conn *k = &m->bwps[i].conns[j];

			if ((!strcmp(k->regions[0], a) &&
			     !strcmp(k->regions[1], b)) ||
			    (!strcmp(k->regions[0], b) &&
			     !strcmp(k->regions[1], a)))
				return k;
		}
	return NULL;
}

/* The backbone port p: its peers become attachments named by their
 * region, and this region's tables take the VNIs they are sent with. */
static void
conf_backbone(struct fwd *f, struct fwd_conf *c, const struct model *m,
	      uint16_t p, struct cen_err *err)
{
	const struct fwdconf_port *cp = &f->conf->ports[p];
	const char *cen = m->has_cen ? m->cen.id : "";
	const struct model_table *own = model_system_table(m, f->conf->region);

	if (cp->bb_address.family != PREFIX_AF_INET) {
		cen_err_add(err, -CEN_EINVAL,
			    "line %d: %s: the backbone runs over IPv4 only: "
			    "port not used",
			    cp->line, cp->ifname);
		return;
	}
	c->bb_port = p;
	c->bb_addr = prefix_v4(&cp->bb_address);
	for (size_t i = 0; i < m->ntables && c->nvni < FWD_VNIS_MAX; i++) {
		const struct model_table *t = &m->tables[i];
		struct fwd_table *ft;

		if (strcmp(t->region, f->conf->region) ||
		    (ft = table_get(f, t->id, "")) == NULL)
			continue;
		c->vni[c->nvni].vni = fwd_vni_of(cen, t->id);
		c->vni[c->nvni].ls = &ft->lpm;
		c->nvni++;
	}
	for (size_t i = 0; i < cp->npeers && c->nbb_peers < FWD_BB_PEERS_MAX;
	     i++) {
		const struct fwdconf_peer *pe = &cp->peers[i];
		const struct model_table *st =
			model_system_table(m, pe->region);
		const struct model_bwp_conn *k;
		uint16_t name = name_get(f, pe->region, true);
		struct fwd_att *a;

		if (name == FWD_NAME_NONE)
			continue;
		if (st == NULL)
			cen_err_add(err, -CEN_ENOENT,
				    "line %d: backbone peer region %s is not "
				    "in the CEN",
				    pe->line, pe->region);
		a = &c->att[name];
		a->present = true;
		a->backbone = true;
		a->name = name;
		a->port = p;
		snprintf(a->id, sizeof(a->id), "%s", pe->region);
		a->gw[0] = cp->bb_address;
		a->ngw = 1;
		a->next_hop = pe->address;
		a->vni_out = st != NULL ? fwd_vni_of(cen, st->id) : 0;
		k = bwp_conn(m, f->conf->region, pe->region);
		a->bb_package = k != NULL;
		if (k != NULL) {
			a->bb_transfer = k->pay_by_transfer;
			a->bb_cap_bytes = k->cap_bytes;
			a->bb_bps = (uint64_t)k->bandwidth_mbps * 1000000ull;
		}
		/* packets from it are forwarded by this region's system
		 * table (where the CEN's other regions' routes are) */
		if (own != NULL)
			snprintf(f->att_table[name], FWDCONF_ID_MAX, "%s",
				 own->id);
		att_lpm_update(f, name);
		c->bb_peer[c->nbb_peers].addr = prefix_v4(&pe->address);
		c->bb_peer[c->nbb_peers].name = name;
		c->nbb_peers++;
		/* ARP and pings on the port answer for the backbone
		 * address through the first peer */
		if (c->port[p].by_vlan[0] == FWD_NAME_NONE)
			c->port[p].by_vlan[0] = name;
	}
}

int
fwd_set_model(struct fwd *f, const struct model *m, struct cen_err *err)
{
	struct fwd_conf *c = calloc(1, sizeof(*c)), *old;

	if (c == NULL)
		return -CEN_ENOMEM;
	for (uint16_t p = 0; p < FWD_PORTS_MAX; p++)
		memset(c->port[p].by_vlan, 0xff, sizeof(c->port[p].by_vlan));
	for (uint16_t p = 0; p < f->conf->nports; p++) {
		const struct fwdconf_port *cp = &f->conf->ports[p];

		for (size_t i = 0; i < cp->natts; i++) {
			const struct fwdconf_att *ca = &cp->atts[i];
			const struct model_attachment *ma =
				model_find_attachment(m, ca->id);
			const struct model_table *st;
			struct fwd_att *a;
			uint16_t name;

			if (ma == NULL) {
				cen_err_add(err, -CEN_ENOENT,
					    "line %d: attachment %s is not in "
					    "the CEN (yet): not forwarding for "
					    "it",
					    ca->line, ca->id);
				continue;
			}
			if (strcmp(ma->region, f->conf->region)) {
				cen_err_add(err, -CEN_EINVAL,
					    "line %d: attachment %s is in "
					    "region %s, not %s: ignored",
					    ca->line, ca->id, ma->region,
					    f->conf->region);
				continue;
			}
			if ((name = name_get(f, ca->id, false)) ==
			    FWD_NAME_NONE)
				continue;
			a = &c->att[name];
			a->present = true;
			a->name = name;
			a->port = p;
			snprintf(a->id, sizeof(a->id), "%s", ca->id);
			att_from_model(a, ca, cp->tagged, ma);
			if (c->port[p].by_vlan[a->vlan] != FWD_NAME_NONE) {
				cen_err_add(err, -CEN_EEXIST,
					    "line %d: %s: VLAN %u of %s is "
					    "taken: ignored",
					    ca->line, ca->id, a->vlan,
					    cp->ifname);
				a->present = false;
				continue;
			}
			c->port[p].by_vlan[a->vlan] = name;
			if (ma->route_table[0]) {
				snprintf(f->att_table[name], FWDCONF_ID_MAX,
					 "%s", ma->route_table);
			} else if ((st = model_system_table(m, ma->region))) {
				snprintf(f->att_table[name], FWDCONF_ID_MAX,
					 "%s", st->id);
			}
			att_lpm_update(f, name);
		}
	}
	c->bb_port = -1;
	for (uint16_t p = 0; p < f->conf->nports; p++)
		if (f->conf->ports[p].backbone)
			conf_backbone(f, c, m, p, err);
	old = f->cur;
	rcu_assign_pointer(f->cur, c);
	if (old != NULL)
		call_rcu(&old->rcu, conf_free_rcu);
	return 0;
}

/* ---- events --------------------------------------------------------- */

void
fwd_health_event(struct fwd *f, const char *att, bool up)
{
	void (*notify)(void *);

	pthread_mutex_lock(&f->ev_lock);
	if (f->nev < FWD_EVENTS_MAX) {
		snprintf(f->ev[f->nev].attachment, FWDCONF_ID_MAX, "%s", att);
		f->ev[f->nev].up = up;
		f->nev++;
	}
	notify = f->notify;
	pthread_mutex_unlock(&f->ev_lock);
	if (notify != NULL)
		notify(f->notify_arg);
}

size_t
fwd_health_events(struct fwd *f, struct fwd_health_event *ev, size_t max)
{
	size_t n;

	pthread_mutex_lock(&f->ev_lock);
	n = f->nev < max ? f->nev : max;
	memcpy(ev, f->ev, n * sizeof(*ev));
	memmove(f->ev, f->ev + n, (f->nev - n) * sizeof(*ev));
	f->nev -= n;
	pthread_mutex_unlock(&f->ev_lock);
	return n;
}

void
fwd_set_event_notify(struct fwd *f, void (*notify)(void *arg), void *arg)
{
	pthread_mutex_lock(&f->ev_lock);
	f->notify = notify;
	f->notify_arg = arg;
	pthread_mutex_unlock(&f->ev_lock);
}

void
fwd_health_reported(struct fwd *f, const char *attachment, bool up)
{
	uint16_t n = fwd_name_find(f, attachment);

	if (n != FWD_NAME_NONE)
		atomic_store_explicit(&f->health[n].reported, up ? 2 : 3,
				      memory_order_relaxed);
}

/* ---- lifetime ------------------------------------------------------- */

int
fwd_new(const struct fwdconf *conf, struct fwd **out, struct cen_err *err)
{
	struct fwd *f;
	int rc = -CEN_ENOMEM;

	*out = NULL;
	if (conf->nports > FWD_PORTS_MAX) {
		cen_errf(err, -CEN_ETOOBIG, "at most %d ports", FWD_PORTS_MAX);
		return -CEN_ETOOBIG;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		goto nomem;
	f->conf = conf;
	f->last_nhg = UINT32_MAX;
	hmap_init(&f->name_map, str_eq);
	hmap_init(&f->tables, tab_eq);
	hmap_init(&f->nhg_map, nhg_eq);
	pthread_mutex_init(&f->nhg_lock, NULL);
	pthread_mutex_init(&f->ev_lock, NULL);
	f->names = calloc(FWD_NAMES_MAX, sizeof(*f->names));
	f->att_table = calloc(FWD_NAMES_MAX, sizeof(*f->att_table));
	f->nhgs = calloc(FWD_NHG_MAX, sizeof(*f->nhgs));
	f->nhg_free = calloc(FWD_NHG_MAX, sizeof(*f->nhg_free));
	f->stats = calloc(FWD_NAMES_MAX, sizeof(*f->stats));
	f->meters = calloc(FWD_NAMES_MAX, sizeof(*f->meters));
	f->health = calloc(FWD_NAMES_MAX, sizeof(*f->health));
	f->nh_cache = calloc(FWD_NAMES_MAX, sizeof(*f->nh_cache));
	f->qpool = calloc(FWD_QPOOL, sizeof(*f->qpool));
	f->qfree = calloc(FWD_QPOOL, sizeof(*f->qfree));
	for (uint32_t i = 0; f->qfree != NULL && i < FWD_QPOOL; i++)
		f->qfree[f->nqfree++] = FWD_QPOOL - 1 - i;
	f->neigh = calloc(FWD_NEIGH_SLOTS, sizeof(*f->neigh));
	f->scratch = calloc(FWD_BURST * FWD_PORTS_MAX, FWD_SCRATCH);
	if (!f->names || !f->att_table || !f->nhgs || !f->nhg_free ||
	    !f->stats || !f->meters || !f->health || !f->nh_cache ||
	    !f->neigh || !f->scratch)
		goto nomem;
	if ((rc = meter_flows_init(&f->flows, FWD_FLOW_SLOTS, 0)) != 0)
		goto nomem;
	f->flows_ready = true;
	f->started_ns = fwd_now_ns();
	for (uint16_t p = 0; p < conf->nports; p++) {
		struct io_port_config pc = {
			.ifname = conf->ports[p].ifname,
			.kind = conf->io == FWDCONF_IO_MEMORY ? IO_MEM
				: conf->io == FWDCONF_IO_XDP  ? IO_XDP
							      : IO_AFPACKET,
			.mem_capture = conf->mem_capture,
		};

		rc = io_port_open(&pc, p, &f->ports[p], err);
		if (rc) {
			cen_err_prefix(err, "port %s", conf->ports[p].ifname);
			goto fail;
		}
		io_port_mac(f->ports[p], f->mac[p]);
		f->nports++;
	}
	*out = f;
	return 0;
nomem:
	rc = -CEN_ENOMEM;
	cen_errf(err, rc, "out of memory");
fail:
	fwd_free(f);
	return rc;
}

static void
table_free(struct fwd_table *t)
{
	lpm4_free(t->lpm.v4);
	lpm6_free(t->lpm.v6);
	trie_fini(&t->t4);
	trie_fini(&t->t6);
	free(t->views);
}

void
fwd_free(struct fwd *f)
{
	const void *k;
	void *v;

	if (f == NULL)
		return;
	fwd_worker_stop(f);
	for (uint16_t p = 0; p < f->nports; p++)
		io_port_close(f->ports[p]);
	synchronize_rcu();
	rcu_barrier();
	for (size_t i = 0; hmap_next(&f->tables, &i, &k, &v);) {
		table_free(&((struct table_rec *)v)->t);
		free(v);
	}
	for (size_t i = 0; hmap_next(&f->nhg_map, &i, &k, &v);)
		free(v);
	hmap_fini(&f->tables);
	hmap_fini(&f->nhg_map);
	hmap_fini(&f->name_map);
	free(f->cur);
	for (uint16_t n = 0; f->meters != NULL && n < FWD_NAMES_MAX; n++) {
		struct fwd_att_meters *m = &f->meters[n];

		if (!atomic_load(&m->ready))
			continue;
		meter_fini(&m->out);
		meter_fini(&m->in);
		meter_fini(&m->flow);
	}
	for (uint16_t n = 0; f->meters != NULL && n < FWD_NAMES_MAX; n++)
		if (atomic_load(&f->meters[n].bb_ready))
			meter_fini(&f->meters[n].bb);
	if (f->flows_ready)
		meter_flows_fini(&f->flows);
	free(f->names);
	free(f->att_table);
	free(f->nhgs);
	free(f->nhg_free);
	free(f->stats);
	free(f->meters);
	free(f->health);
	free(f->nh_cache);
	free(f->qpool);
	free(f->qfree);
	free(f->neigh);
	free(f->scratch);
	pthread_mutex_destroy(&f->nhg_lock);
	pthread_mutex_destroy(&f->ev_lock);
	free(f);
}

struct io_port *
fwd_port(struct fwd *f, uint16_t port)
{
	return port < f->nports ? f->ports[port] : NULL;
}

uint16_t
fwd_nports(const struct fwd *f)
{
	return f->nports;
}

/* ---- lookups for tests and tools ------------------------------------ */

int
fwd_route_lookup(struct fwd *f, const char *att, const struct prefix *addr,
		 uint32_t hash, char *out, size_t outlen)
{
	uint16_t name = fwd_name_find(f, att);
	struct fwd_lpmset *s;
	struct fwd_nhg *g;
	const struct fwd_nh *nh;
	uint32_t idx;

	if (name == FWD_NAME_NONE)
		return -CEN_ENOENT;
	rcu_read_lock();
	s = rcu_dereference(f->att_lpm[name]);
	if (s == NULL) {
		rcu_read_unlock();
		return -CEN_ENOENT;
	}
	idx = addr->family == PREFIX_AF_INET
		      ? lpm4_lookup(s->v4, prefix_v4(addr))
		      : lpm6_lookup(s->v6, addr->addr.v6);
	g = idx == LPM_MISS ? NULL : fwd_nhg_get(f, idx);
	if (g == NULL) {
		snprintf(out, outlen, "%s", "");
	} else {
		nh = &g->nh[g->slot[hash % FWD_ECMP_SLOTS]];
		if (nh->kind == ENGINE_NH_BLACKHOLE)
			snprintf(out, outlen, "blackhole");
		else if (nh->kind == ENGINE_NH_REGION)
			snprintf(out, outlen, "region:%s", f->names[nh->name]);
		else
			snprintf(out, outlen, "%s", f->names[nh->name]);
	}
	rcu_read_unlock();
	return 0;
}
