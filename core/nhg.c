/*
 * nhg.c - interned next-hop groups (engine.h struct engine_nhg).
 *
 * The FIB maps a prefix to a next-hop group; groups repeat across thousands
 * of prefixes, so they are interned and refcounted like attribute sets.  A
 * group is sorted by (kind, id) and holds each next hop once (the largest
 * weight wins when two paths lead to the same next hop).  Hashes cover the
 * contents (IDs as strings), never addresses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

static bool
nhg_eq(const void *ka, const void *kb)
{
	const struct engine_nhg *a = ka, *b = kb;

	if (a->n != b->n)
		return false;
	for (uint32_t i = 0; i < a->n; i++) {
		if (a->nh[i].kind != b->nh[i].kind ||
		    a->nh[i].weight != b->nh[i].weight ||
		    strcmp(a->nh[i].id, b->nh[i].id) != 0)
			return false;
	}
	return true;
}

static int
nh_cmp(const void *pa, const void *pb)
{
	const struct engine_nh *a = pa, *b = pb;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return strcmp(a->id, b->id);
}

static uint64_t
nhg_hash(const struct engine_nh *nh, uint32_t n)
{
	/* one pass over (kind, weight, ID, NUL) of every next hop: this runs
	 * on every decision */
	uint8_t buf[MODEL_ECMP_MAX * 2 * (2 + MODEL_ID_MAX)];
	size_t len = 0;

	for (uint32_t i = 0; i < n && i < MODEL_ECMP_MAX * 2; i++) {
		size_t l = strnlen(nh[i].id, MODEL_ID_MAX - 1);

		buf[len++] = nh[i].kind;
		buf[len++] = nh[i].weight;
		memcpy(buf + len, nh[i].id, l);
		len += l;
		buf[len++] = 0;
	}
	return hmap_hash_bytes(buf, len, 0x6e6867 + (uint64_t)n);
}

const struct engine_nhg *
nhg_intern(struct engine *e, const struct engine_nh *nh, uint32_t n)
{
	struct {
		struct engine_nhg g;
		struct engine_nh nh[MODEL_ECMP_MAX * 2];
	} key;
	struct engine_nhg *g;
	uint32_t m = 0;

	if (n > MODEL_ECMP_MAX * 2)
		n = MODEL_ECMP_MAX * 2;
	if (n > 0) {
		memcpy(key.nh, nh, n * sizeof(*nh));
		qsort(key.nh, n, sizeof(*nh), nh_cmp);
	}
	for (uint32_t i = 0; i < n; i++) {
		if (m > 0 && nh_cmp(&key.nh[m - 1], &key.nh[i]) == 0) {
			if (key.nh[i].weight > key.nh[m - 1].weight)
				key.nh[m - 1].weight = key.nh[i].weight;
			continue;
		}
		key.nh[m++] = key.nh[i];
	}
	key.g.n = m;
	key.g.hash = nhg_hash(key.nh, m);
	g = hmap_get(&e->nhgs, key.g.hash, &key.g);
	if (g != NULL) {
		g->refcnt++;
		return g;
	}
	g = malloc(sizeof(*g) + m * sizeof(g->nh[0]));
	if (g == NULL)
		return NULL;
	g->refcnt = 1;
	g->hash = key.g.hash;
	g->n = m;
	memcpy(g->nh, key.nh, m * sizeof(g->nh[0]));
	if (hmap_put(&e->nhgs, g->hash, g, g, NULL) != 0) {
		free(g);
		return NULL;
	}
	return g;
}

const struct engine_nhg *
nhg_of_paths(struct engine *e, struct e_path *const *paths, uint32_t n)
{
	struct engine_nh nh[MODEL_ECMP_MAX * 2];
	uint32_t m = 0;

	for (uint32_t i = 0; i < n && m < MODEL_ECMP_MAX * 2; i++) {
		const struct e_path *p = paths[i];
		const struct attrs *a = p->eff != NULL ? p->eff : p->attrs;

		nh[m].id = rib_nh_name(e, p, &nh[m].kind);
		nh[m].weight = a->weight != 0 ? a->weight : 1;
		m++;
	}
	return nhg_intern(e, nh, m);
}

void
engine_nhg_ref(const struct engine_nhg *g)
{
	if (g != NULL)
		((struct engine_nhg *)g)->refcnt++;
}

void
engine_nhg_unref(struct engine *e, const struct engine_nhg *g)
{
	struct engine_nhg *m = (struct engine_nhg *)g;

	if (m == NULL)
		return;
	if (m->refcnt == 0) {
		fprintf(stderr, "engine_nhg_unref: refcount below zero\n");
		abort();
	}
	if (--m->refcnt > 0)
		return;
	hmap_del(&e->nhgs, m->hash, m);
	free(m);
}

void
nhg_store_fini(struct engine *e)
{
	const void *k;
	void *v;

	for (size_t i = 0; hmap_next(&e->nhgs, &i, &k, &v);)
		free(v);
	hmap_fini(&e->nhgs);
}

void
engine_nhg_init(struct engine *e)
{
	hmap_init(&e->nhgs, nhg_eq);
}

char *
engine_nhg_fmt(const struct engine_nhg *g, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	if (g == NULL || g->n == 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	for (uint32_t i = 0; i < g->n && used < size; i++) {
		const struct engine_nh *nh = &g->nh[i];
		const char *sep = i > 0 ? ", " : "";
		int w;

		if (nh->kind == ENGINE_NH_BLACKHOLE)
			w = snprintf(buf + used, size - used, "%sblackhole",
				     sep);
		else if (nh->kind == ENGINE_NH_REGION)
			w = snprintf(buf + used, size - used, "%sregion:%s",
				     sep, nh->id);
		else
			w = snprintf(buf + used, size - used, "%s%s", sep,
				     nh->id);
		if (nh->weight > 1 && w > 0 && used + w < size)
			w += snprintf(buf + used + w, size - used - w, "*%u",
				      nh->weight);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}
