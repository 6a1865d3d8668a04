/*
 * model.c - the CEN configuration model (model.h): lifetime, defaults,
 * lookups, single-object mutators, enum names and model_validate, which
 * checks the rules of ROUTING.md "Objects", "Route types", "Route maps",
 * "BGP towards customer edges", "Redundancy" and "Bandwidth" that need only
 * the configuration.
 *
 * model_validate reports every error, one line each, in the form
 * "line N: <object>: <field> <problem>", the object named by kind and key
 * ("attachment vbr-dc-1: vlan 5000 out of range 1..2999").  It first builds
 * sorted indexes of the IDs, so lookups and duplicate checks stay
 * O(n log n) for large models.
 */
#include "model.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NONE	    ((size_t)-1)
#define VSWITCH_MAX 256
#define ASN_RANGE   "1..4294967295"

/*
 * IDs
 */

static bool
id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

bool
model_id_valid(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '.' || s[0] == '_' || s[0] == '-')
		return false;
	for (i = 0; i < MODEL_ID_MAX && s[i] != '\0'; i++)
		if (!id_char(s[i]))
			return false;
	return i > 0 && i < MODEL_ID_MAX;
}

/* IDs are compared within their buffer, even when a buggy builder left one
 * unterminated. */
static bool
id_eq(const char *a, const char *b)
{
	return strncmp(a, b, MODEL_ID_MAX) == 0;
}

/*
 * Enum names
 */

static const char *const att_type_names[] = { "Unspecified", "VPC", "VBR",
					      "VPN", "CCN" };
static const char *const route_type_names[] = { "Unspecified", "System",
						"Custom", "BGP", "CEN" };
static const char *const nh_type_names[] = {
	"Unspecified",	   "Attachment",	 "ENI", "Instance",
	"RouterInterface", "PhysicalConnection", "VPC", "Blackhole"
};
static const char *const dir_names[] = { "Unspecified", "RegionIn",
					 "RegionOut" };
static const char *const action_names[] = { "Unspecified", "Permit", "Deny" };
static const char *const match_mode_names[] = { "Unspecified", "Include",
						"Complete" };
static const char *const comm_mode_names[] = { "Unspecified", "Additive",
					       "Replace" };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *
enum_str(const char *const *names, size_t n, uint8_t v)
{
	return v < n ? names[v] : "Unknown";
}

static uint8_t
enum_parse(const char *const *names, size_t n, const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 1; i < n; i++)
		if (strcasecmp(names[i], s) == 0)
			return (uint8_t)i;
	return 0;
}

const char *
model_att_type_str(uint8_t v)
{
	return enum_str(att_type_names, NELEM(att_type_names), v);
}

uint8_t
model_att_type_parse(const char *s)
{
	return enum_parse(att_type_names, NELEM(att_type_names), s);
}

const char *
model_route_type_str(uint8_t v)
{
	return enum_str(route_type_names, NELEM(route_type_names), v);
}

uint8_t
model_route_type_parse(const char *s)
{
	return enum_parse(route_type_names, NELEM(route_type_names), s);
}

const char *
model_nh_type_str(uint8_t v)
{
	return enum_str(nh_type_names, NELEM(nh_type_names), v);
}

uint8_t
model_nh_type_parse(const char *s)
{
	return enum_parse(nh_type_names, NELEM(nh_type_names), s);
}

const char *
model_dir_str(uint8_t v)
{
	return enum_str(dir_names, NELEM(dir_names), v);
}

uint8_t
model_dir_parse(const char *s)
{
	return enum_parse(dir_names, NELEM(dir_names), s);
}

const char *
model_action_str(uint8_t v)
{
	return enum_str(action_names, NELEM(action_names), v);
}

uint8_t
model_action_parse(const char *s)
{
	return enum_parse(action_names, NELEM(action_names), s);
}

const char *
model_match_mode_str(uint8_t v)
{
	return enum_str(match_mode_names, NELEM(match_mode_names), v);
}

uint8_t
model_match_mode_parse(const char *s)
{
	return enum_parse(match_mode_names, NELEM(match_mode_names), s);
}

const char *
model_comm_mode_str(uint8_t v)
{
	return enum_str(comm_mode_names, NELEM(comm_mode_names), v);
}

uint8_t
model_comm_mode_parse(const char *s)
{
	return enum_parse(comm_mode_names, NELEM(comm_mode_names), s);
}

/*
 * Defaults
 */

void
model_cen_defaults(struct model_cen *c)
{
	memset(c, 0, sizeof(*c));
	c->overlapping_routes = true;
	c->asn = MODEL_ASN_DEFAULT;
}

void
model_table_defaults(struct model_table *t)
{
	memset(t, 0, sizeof(*t));
	t->max_routes = 0;
	t->multi_region_ecmp = false;
}

void
model_attachment_defaults(struct model_attachment *a)
{
	memset(a, 0, sizeof(*a));
	a->allow_default_route = true;
	a->health.enabled = false;
	a->health.interval_s = 2;
	a->health.threshold = 8;
	a->health.change_route = true;
}

void
model_peer_defaults(struct model_peer *p)
{
	memset(p, 0, sizeof(*p));
	p->hold_time_s = MODEL_HOLD_DEFAULT;
	p->route_quota = MODEL_ROUTE_QUOTA_DEFAULT;
	p->port = 179;
	p->ipv4 = true;
}

void
model_rmap_defaults(struct model_rmap *r)
{
	memset(r, 0, sizeof(*r));
	r->cidr_mode = MODEL_MATCH_INCLUDE;
	r->asn_mode = MODEL_MATCH_INCLUDE;
	r->comm_mode = MODEL_MATCH_INCLUDE;
	r->action = MODEL_ACTION_PERMIT;
}

void
model_nexthop_defaults(struct model_nexthop *nh)
{
	memset(nh, 0, sizeof(*nh));
	nh->weight = 1;
}

/*
 * Lifetime
 */

void
model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	model_cen_defaults(&m->cen);
}

static void
att_release(struct model_attachment *a)
{
	free(a->vswitch_cidrs);
	free(a->routes);
	a->vswitch_cidrs = NULL;
	a->nvswitch = 0;
	a->routes = NULL;
	a->nroutes = 0;
}

static void
bwp_release(struct model_bwp *b)
{
	free(b->conns);
	b->conns = NULL;
	b->nconns = 0;
}

void
model_free(struct model *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nattachments; i++)
		att_release(&m->attachments[i]);
	for (i = 0; i < m->nbwps; i++)
		bwp_release(&m->bwps[i]);
	free(m->regions);
	free(m->tables);
	free(m->table_routes);
	free(m->pcs);
	free(m->attachments);
	free(m->rmaps);
	free(m->bwps);
	model_init(m);
}

/* Copies n elements of size bytes into a new array (NULL when n is 0). */
static int
dup_array(void *dstp, const void *src, size_t n, size_t size)
{
	void **dst = dstp;

	*dst = NULL;
	if (n == 0)
		return 0;
	if (src == NULL)
		return -CEN_EINVAL;
	if (n > SIZE_MAX / size)
		return -CEN_ENOMEM;
	*dst = malloc(n * size);
	if (*dst == NULL)
		return -CEN_ENOMEM;
	memcpy(*dst, src, n * size);
	return 0;
}

/* Deep copy of one attachment; on failure dst owns nothing. */
static int
att_copy(struct model_attachment *dst, const struct model_attachment *src)
{
	struct model_attachment tmp = *src;
	int rc;

	tmp.vswitch_cidrs = NULL;
	tmp.routes = NULL;
	rc = dup_array(&tmp.vswitch_cidrs, src->vswitch_cidrs, src->nvswitch,
		       sizeof(*src->vswitch_cidrs));
	if (rc == 0)
		rc = dup_array(&tmp.routes, src->routes, src->nroutes,
			       sizeof(*src->routes));
	if (rc < 0) {
		att_release(&tmp);
		return rc;
	}
	*dst = tmp;
	return 0;
}

static int
bwp_copy(struct model_bwp *dst, const struct model_bwp *src)
{
	struct model_bwp tmp = *src;
	int rc;

	rc = dup_array(&tmp.conns, src->conns, src->nconns,
		       sizeof(*src->conns));
	if (rc < 0)
		return rc;
	*dst = tmp;
	return 0;
}

int
model_clone(struct model *dst, const struct model *src)
{
	size_t i;
	int rc;

	model_init(dst);
	dst->has_cen = src->has_cen;
	dst->cen = src->cen;

#define CLONE_FLAT(arr, n)                                                     \
	do {                                                                   \
		rc = dup_array(&dst->arr, src->arr, src->n,                    \
			       sizeof(*src->arr));                             \
		if (rc < 0)                                                    \
			goto fail;                                             \
		dst->n = src->n;                                               \
	} while (0)

	CLONE_FLAT(regions, nregions);
	CLONE_FLAT(tables, ntables);
	CLONE_FLAT(table_routes, ntable_routes);
	CLONE_FLAT(pcs, npcs);
	CLONE_FLAT(rmaps, nrmaps);
#undef CLONE_FLAT

	if (src->nattachments > 0) {
		rc = -CEN_ENOMEM;
		dst->attachments =
			calloc(src->nattachments, sizeof(*dst->attachments));
		if (dst->attachments == NULL)
			goto fail;
		for (i = 0; i < src->nattachments; i++) {
			rc = att_copy(&dst->attachments[i],
				      &src->attachments[i]);
			if (rc < 0)
				goto fail;
			dst->nattachments = i + 1;
		}
	}
	if (src->nbwps > 0) {
		rc = -CEN_ENOMEM;
		dst->bwps = calloc(src->nbwps, sizeof(*dst->bwps));
		if (dst->bwps == NULL)
			goto fail;
		for (i = 0; i < src->nbwps; i++) {
			rc = bwp_copy(&dst->bwps[i], &src->bwps[i]);
			if (rc < 0)
				goto fail;
			dst->nbwps = i + 1;
		}
	}
	return 0;
fail:
	model_free(dst);
	return rc;
}

/*
 * Lookups
 */

static size_t
region_index(const struct model *m, const char *id)
{
	for (size_t i = 0; i < m->nregions; i++)
		if (id_eq(m->regions[i].id, id))
			return i;
	return NONE;
}

static size_t
table_index(const struct model *m, const char *id)
{
	for (size_t i = 0; i < m->ntables; i++)
		if (id_eq(m->tables[i].id, id))
			return i;
	return NONE;
}

static size_t
pc_index(const struct model *m, const char *id)
{
	for (size_t i = 0; i < m->npcs; i++)
		if (id_eq(m->pcs[i].id, id))
			return i;
	return NONE;
}

static size_t
att_index(const struct model *m, const char *id)
{
	for (size_t i = 0; i < m->nattachments; i++)
		if (id_eq(m->attachments[i].id, id))
			return i;
	return NONE;
}

static size_t
bwp_index(const struct model *m, const char *id)
{
	for (size_t i = 0; i < m->nbwps; i++)
		if (id_eq(m->bwps[i].id, id))
			return i;
	return NONE;
}

static size_t
table_route_index(const struct model *m, const char *table,
		  const struct prefix *p)
{
	for (size_t i = 0; i < m->ntable_routes; i++)
		if (id_eq(m->table_routes[i].table, table) &&
		    prefix_equal(&m->table_routes[i].prefix, p))
			return i;
	return NONE;
}

/* The table a route-map entry is keyed by: its own, or "" meaning the
 * region's system table. */
static const char *
rmap_eff_table(const struct model *m, const char *region, const char *table)
{
	const struct model_table *t;

	if (table[0] != '\0')
		return table;
	t = model_system_table(m, region);
	return t != NULL ? t->id : "";
}

static size_t
rmap_index(const struct model *m, const char *region, uint8_t dir,
	   const char *table, uint8_t priority)
{
	const char *want = rmap_eff_table(m, region, table);

	for (size_t i = 0; i < m->nrmaps; i++) {
		const struct model_rmap *r = &m->rmaps[i];

		if (r->direction == dir && r->priority == priority &&
		    id_eq(r->region, region) &&
		    id_eq(rmap_eff_table(m, r->region, r->route_table), want))
			return i;
	}
	return NONE;
}

const struct model_region *
model_find_region(const struct model *m, const char *id)
{
	size_t i = region_index(m, id);

	return i == NONE ? NULL : &m->regions[i];
}

const struct model_table *
model_find_table(const struct model *m, const char *id)
{
	size_t i = table_index(m, id);

	return i == NONE ? NULL : &m->tables[i];
}

uint32_t
model_region_cluster_id(const struct model_region *r)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	if (r->bgp_cluster_id != 0)
		return r->bgp_cluster_id;
	for (size_t i = 0; i < MODEL_ID_MAX && r->id[i] != '\0'; i++) {
		h ^= (uint8_t)r->id[i];
		h *= 16777619u;
	}
	return h != 0 ? h : 1;
}

const struct model_table *
model_system_table(const struct model *m, const char *region)
{
	for (size_t i = 0; i < m->ntables; i++)
		if (m->tables[i].system && id_eq(m->tables[i].region, region))
			return &m->tables[i];
	return NULL;
}

const struct model_attachment *
model_find_attachment(const struct model *m, const char *id)
{
	size_t i = att_index(m, id);

	return i == NONE ? NULL : &m->attachments[i];
}

const struct model_pc *
model_find_pc(const struct model *m, const char *id)
{
	size_t i = pc_index(m, id);

	return i == NONE ? NULL : &m->pcs[i];
}

const struct model_bwp *
model_find_bwp(const struct model *m, const char *id)
{
	size_t i = bwp_index(m, id);

	return i == NONE ? NULL : &m->bwps[i];
}

const struct model_rmap *
model_find_rmap(const struct model *m, const char *region, uint8_t dir,
		const char *table, uint8_t priority)
{
	size_t i = rmap_index(m, region, dir, table, priority);

	return i == NONE ? NULL : &m->rmaps[i];
}

/*
 * Mutators
 */

/* Replaces element `at` with *obj, or appends *obj when at is NONE.  obj may
 * point into the array itself. */
static int
array_put(void *arrp, size_t *n, size_t size, size_t at, const void *obj)
{
	char **arr = arrp;
	char *tmp, *grown;

	if (at != NONE) {
		memmove(*arr + at * size, obj, size);
		return 0;
	}
	if (*n + 1 > SIZE_MAX / size)
		return -CEN_ENOMEM;
	tmp = malloc(size);
	if (tmp == NULL)
		return -CEN_ENOMEM;
	memcpy(tmp, obj, size);
	grown = realloc(*arr, (*n + 1) * size);
	if (grown == NULL) {
		free(tmp);
		return -CEN_ENOMEM;
	}
	memcpy(grown + *n * size, tmp, size);
	free(tmp);
	*arr = grown;
	(*n)++;
	return 0;
}

static int
array_del(void *arrp, size_t *n, size_t size, size_t at)
{
	char **arr = arrp;

	if (at == NONE)
		return -CEN_ENOENT;
	memmove(*arr + at * size, *arr + (at + 1) * size, (*n - at - 1) * size);
	if (--*n == 0) {
		free(*arr);
		*arr = NULL;
	}
	return 0;
}

int
model_put_region(struct model *m, const struct model_region *r)
{
	return array_put(&m->regions, &m->nregions, sizeof(*r),
			 region_index(m, r->id), r);
}

int
model_del_region(struct model *m, const char *id)
{
	return array_del(&m->regions, &m->nregions, sizeof(*m->regions),
			 region_index(m, id));
}

int
model_put_table(struct model *m, const struct model_table *t)
{
	return array_put(&m->tables, &m->ntables, sizeof(*t),
			 table_index(m, t->id), t);
}

int
model_del_table(struct model *m, const char *id)
{
	return array_del(&m->tables, &m->ntables, sizeof(*m->tables),
			 table_index(m, id));
}

int
model_put_table_route(struct model *m, const struct model_table_route *r)
{
	return array_put(&m->table_routes, &m->ntable_routes, sizeof(*r),
			 table_route_index(m, r->table, &r->prefix), r);
}

int
model_del_table_route(struct model *m, const char *table,
		      const struct prefix *p)
{
	return array_del(&m->table_routes, &m->ntable_routes,
			 sizeof(*m->table_routes),
			 table_route_index(m, table, p));
}

int
model_put_pc(struct model *m, const struct model_pc *pc)
{
	return array_put(&m->pcs, &m->npcs, sizeof(*pc), pc_index(m, pc->id),
			 pc);
}

int
model_del_pc(struct model *m, const char *id)
{
	return array_del(&m->pcs, &m->npcs, sizeof(*m->pcs), pc_index(m, id));
}

int
model_put_attachment(struct model *m, const struct model_attachment *a)
{
	struct model_attachment copy;
	size_t i;
	int rc;

	rc = att_copy(&copy, a);
	if (rc < 0)
		return rc;
	i = att_index(m, a->id);
	if (i != NONE) {
		att_release(&m->attachments[i]);
		m->attachments[i] = copy;
		return 0;
	}
	rc = array_put(&m->attachments, &m->nattachments, sizeof(copy), NONE,
		       &copy);
	if (rc < 0)
		att_release(&copy);
	return rc;
}

int
model_del_attachment(struct model *m, const char *id)
{
	size_t i = att_index(m, id);

	if (i == NONE)
		return -CEN_ENOENT;
	att_release(&m->attachments[i]);
	return array_del(&m->attachments, &m->nattachments,
			 sizeof(*m->attachments), i);
}

int
model_put_rmap(struct model *m, const struct model_rmap *r)
{
	return array_put(&m->rmaps, &m->nrmaps, sizeof(*r),
			 rmap_index(m, r->region, r->direction, r->route_table,
				    r->priority),
			 r);
}

int
model_del_rmap(struct model *m, const char *region, uint8_t dir,
	       const char *table, uint8_t priority)
{
	return array_del(&m->rmaps, &m->nrmaps, sizeof(*m->rmaps),
			 rmap_index(m, region, dir, table, priority));
}

int
model_put_bwp(struct model *m, const struct model_bwp *b)
{
	struct model_bwp copy;
	size_t i;
	int rc;

	rc = bwp_copy(&copy, b);
	if (rc < 0)
		return rc;
	i = bwp_index(m, b->id);
	if (i != NONE) {
		bwp_release(&m->bwps[i]);
		m->bwps[i] = copy;
		return 0;
	}
	rc = array_put(&m->bwps, &m->nbwps, sizeof(copy), NONE, &copy);
	if (rc < 0)
		bwp_release(&copy);
	return rc;
}

int
model_del_bwp(struct model *m, const char *id)
{
	size_t i = bwp_index(m, id);

	if (i == NONE)
		return -CEN_ENOENT;
	bwp_release(&m->bwps[i]);
	return array_del(&m->bwps, &m->nbwps, sizeof(*m->bwps), i);
}

/*
 * Validation helpers
 */

/* One entry of a sorted index: the object, its key and its position. */
struct sent {
	const void *obj;
	const char *key;
	size_t i;
	int line;
};

struct index {
	struct sent *e;
	size_t n;
};

struct vctx {
	const struct model *m;
	const struct model *prev;
	struct cen_err *err;
	int code;
	bool nomem;
	struct index regions, tables, pcs, atts, bwps;
	size_t *sys_count;  /* per region: system tables */
	size_t *sys_first;  /* per region: first system table, NONE */
	size_t *sys_second; /* per region: second system table, NONE */
	size_t *troute_dup; /* per table route: earlier equal, NONE */
	size_t *vlan_dup;   /* per attachment: earlier VBR, same pc+vlan */
	size_t *rmap_dup;   /* per route map: earlier entry, same key */
	size_t *bwp_dup;    /* per package: earlier one, same region pair */
	const char **rmap_table; /* per route map: effective table */
};

static void verr(struct vctx *v, int code, int line, const char *obj,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
verr(struct vctx *v, int code, int line, const char *obj, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (v->code == 0)
		v->code = code;
	if (line > 0)
		cen_err_add(v->err, code, "line %d: %s: %s", line, obj, msg);
	else
		cen_err_add(v->err, code, "%s: %s", obj, msg);
}

/* " at line N", or "" for an object not from a file. */
static const char *
at_line(char *buf, size_t size, int line)
{
	if (line > 0)
		snprintf(buf, size, " at line %d", line);
	else
		buf[0] = '\0';
	return buf;
}

static int
icmp(size_t a, size_t b)
{
	return a < b ? -1 : a > b;
}

static int
sent_key_cmp(const void *x, const void *y)
{
	const struct sent *a = x, *b = y;
	int c = strncmp(a->key, b->key, MODEL_ID_MAX);

	return c != 0 ? c : icmp(a->i, b->i);
}

static int
index_build(struct index *ix, const void *base, size_t n, size_t stride,
	    size_t key_off, size_t line_off)
{
	const char *p = base;

	ix->n = 0;
	ix->e = NULL;
	if (n == 0)
		return 0;
	ix->e = calloc(n, sizeof(*ix->e));
	if (ix->e == NULL)
		return -CEN_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		ix->e[i].obj = p + i * stride;
		ix->e[i].key = p + i * stride + key_off;
		memcpy(&ix->e[i].line, p + i * stride + line_off, sizeof(int));
		ix->e[i].i = i;
	}
	ix->n = n;
	qsort(ix->e, n, sizeof(*ix->e), sent_key_cmp);
	return 0;
}

/* The first (lowest position) entry with this key, or NULL. */
static const struct sent *
index_find(const struct index *ix, const char *key)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strncmp(ix->e[mid].key, key, MODEL_ID_MAX) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ix->n && id_eq(ix->e[lo].key, key))
		return &ix->e[lo];
	return NULL;
}

static const struct model_region *
v_region(const struct vctx *v, const char *id)
{
	const struct sent *s = index_find(&v->regions, id);

	return s != NULL ? s->obj : NULL;
}

static const struct model_table *
v_table(const struct vctx *v, const char *id)
{
	const struct sent *s = index_find(&v->tables, id);

	return s != NULL ? s->obj : NULL;
}

static const struct model_pc *
v_pc(const struct vctx *v, const char *id)
{
	const struct sent *s = index_find(&v->pcs, id);

	return s != NULL ? s->obj : NULL;
}

static const struct model_attachment *
v_att(const struct vctx *v, const char *id)
{
	const struct sent *s = index_find(&v->atts, id);

	return s != NULL ? s->obj : NULL;
}

/* Marks, for each of n sorted entries, the earlier entry with an equal key
 * (keycmp ignores positions): dup[i] = position of the first, else NONE. */
static size_t *
mark_dups(struct sent *e, size_t n, size_t total,
	  int (*keycmp)(const struct sent *, const struct sent *))
{
	size_t *dup = malloc((total > 0 ? total : 1) * sizeof(*dup));
	size_t first = 0;

	if (dup == NULL)
		return NULL;
	for (size_t i = 0; i < total; i++)
		dup[i] = NONE;
	for (size_t k = 1; k < n; k++) {
		if (keycmp(&e[first], &e[k]) == 0)
			dup[e[k].i] = e[first].i;
		else
			first = k;
	}
	return dup;
}

/* Prefix checks that do not trust the prefix to be canonical. */
static unsigned
family_max(uint8_t family)
{
	switch (family) {
	case PREFIX_AF_INET:
		return 32;
	case PREFIX_AF_INET6:
		return 128;
	default:
		return 0;
	}
}

static bool
pfx_bit(const struct prefix *p, unsigned i)
{
	return (p->addr.bytes[i / 8] >> (7 - i % 8)) & 1;
}

/* A known family, a length within it, no bytes past the family. */
static bool
addr_ok(const struct prefix *p)
{
	unsigned max = family_max(p->family);

	if (max == 0 || p->len > max)
		return false;
	for (unsigned i = max; i < 128; i++)
		if (pfx_bit(p, i))
			return false;
	return true;
}

/* A canonical network prefix: no host bits past len. */
static bool
pfx_ok(const struct prefix *p)
{
	if (!addr_ok(p))
		return false;
	for (unsigned i = p->len; i < 128; i++)
		if (pfx_bit(p, i))
			return false;
	return true;
}

static bool
host_ok(const struct prefix *p)
{
	return addr_ok(p) && p->len == family_max(p->family);
}

static bool
pfx_set(const struct prefix *p)
{
	return p->family != PREFIX_AF_NONE;
}

/* Same family and the same first `bits` bits. */
static bool
same_bits(const struct prefix *a, const struct prefix *b, unsigned bits)
{
	if (a->family != b->family)
		return false;
	for (unsigned i = 0; i < bits; i++)
		if (pfx_bit(a, i) != pfx_bit(b, i))
			return false;
	return true;
}

static bool
pfx_same(const struct prefix *a, const struct prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       memcmp(a->addr.bytes, b->addr.bytes, 16) == 0;
}

static int
pfx_order(const struct prefix *a, const struct prefix *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int c = memcmp(a->addr.bytes, b->addr.bytes, 16);
	if (c != 0)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

static bool
pfx_reserved(const struct prefix *p)
{
	return p->family == PREFIX_AF_INET && p->len == 10 &&
	       p->addr.v4[0] == 100 && p->addr.v4[1] == 64 &&
	       p->addr.v4[2] == 0 && p->addr.v4[3] == 0;
}

#define RESERVED_MSG                                                           \
	"100.64.0.0/10 is reserved for cloud services; use 100.64.0.0/11 "     \
	"and 100.96.0.0/11"

/* Formats a prefix (with its address as stored) or says why it cannot. */
static const char *
pfx_show(const struct prefix *p, char *buf, size_t size)
{
	if (p->family == PREFIX_AF_NONE)
		snprintf(buf, size, "(none)");
	else if (!addr_ok(p))
		snprintf(buf, size, "(family %u length %u)", p->family, p->len);
	else
		prefix_fmt(p, buf, size);
	return buf;
}

static const char *
addr_show(const struct prefix *p, char *buf, size_t size)
{
	if (addr_ok(p) && p->len == family_max(p->family))
		return prefix_fmt_addr(p, buf, size);
	return pfx_show(p, buf, size);
}

/* An ID safe to print: printable characters, at most 63. */
static const char *
id_show(const char *id, char *buf, size_t size)
{
	size_t i;

	for (i = 0; i + 1 < size && i + 1 < MODEL_ID_MAX && id[i] != '\0'; i++)
		buf[i] = (id[i] >= 0x20 && id[i] < 0x7f) ? id[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* "attachment vbr-dc-1", or "attachment #3" when it has no ID. */
static void
obj_name(char *buf, size_t size, const char *kind, const char *id, size_t i)
{
	char s[MODEL_ID_MAX];

	if (id[0] == '\0')
		snprintf(buf, size, "%s #%zu", kind, i + 1);
	else
		snprintf(buf, size, "%s %s", kind, id_show(id, s, sizeof(s)));
}

static void
check_id(struct vctx *v, int line, const char *obj, const char *kind,
	 const struct index *ix, const char *id, size_t i)
{
	const struct sent *first;
	char s[MODEL_ID_MAX];

	if (!model_id_valid(id)) {
		verr(v, -CEN_EINVAL, line, obj,
		     "id \"%s\" invalid: use 1..63 characters of A-Z a-z "
		     "0-9 . _ -, starting with a letter or digit",
		     id_show(id, s, sizeof(s)));
		return;
	}
	first = index_find(ix, id);
	if (first != NULL && first->i != i) {
		if (first->line > 0)
			verr(v, -CEN_EEXIST, line, obj,
			     "id %s already used by the %s at line %d; give "
			     "each %s a unique id",
			     id, kind, first->line, kind);
		else
			verr(v, -CEN_EEXIST, line, obj,
			     "id %s already used by another %s; give each %s "
			     "a unique id",
			     id, kind, kind);
	}
}

/* A dangling reference to an object the previous model had (prev_obj, NULL
 * otherwise): the object is being deleted while this one still names it.
 * Reports that (CEN_EINUSE) and returns true; false when it never existed,
 * for the caller's "does not exist". */
static bool
ref_in_use(struct vctx *v, int line, const char *obj, const char *field,
	   const char *id, const char *kind, const void *prev_obj)
{
	if (prev_obj == NULL)
		return false;
	verr(v, -CEN_EINUSE, line, obj,
	     "%s %.63s is still in use here: remove this reference before "
	     "deleting the %s",
	     field, id, kind);
	return true;
}

/* A reference to a region: set and existing. */
static const struct model_region *
check_region_ref(struct vctx *v, int line, const char *obj, const char *field,
		 const char *id)
{
	const struct model_region *r;

	if (id[0] == '\0') {
		verr(v, -CEN_EINVAL, line, obj,
		     "%s missing: name an existing region", field);
		return NULL;
	}
	r = v_region(v, id);
	if (r == NULL &&
	    !ref_in_use(v, line, obj, field, id, "region",
			v->prev ? model_find_region(v->prev, id) : NULL))
		verr(v, -CEN_ENOENT, line, obj,
		     "%s %.63s does not exist; create the region or name an "
		     "existing one",
		     field, id);
	return r;
}

/* A reference to a table that must belong to `region` (NULL: any). */
static const struct model_table *
check_table_ref(struct vctx *v, int line, const char *obj, const char *field,
		const char *id, const char *region)
{
	const struct model_table *t = v_table(v, id);

	if (t == NULL) {
		if (!ref_in_use(v, line, obj, field, id, "route table",
				v->prev ? model_find_table(v->prev, id) : NULL))
			verr(v, -CEN_ENOENT, line, obj,
			     "%s %.63s does not exist; create the route table "
			     "or name an existing one",
			     field, id);
		return NULL;
	}
	if (region != NULL && !id_eq(t->region, region)) {
		verr(v, -CEN_ECONFLICT, line, obj,
		     "%s %.63s is in region %.63s, not %.63s; use a route "
		     "table of region %.63s",
		     field, id, t->region, region, region);
		return NULL;
	}
	return t;
}

static bool
asn_ok(uint32_t asn)
{
	return asn != 0 && asn != MODEL_ASN_RESERVED;
}

static void
check_asn(struct vctx *v, int line, const char *obj, const char *field,
	  uint32_t asn)
{
	if (asn == 0)
		verr(v, -CEN_ERANGE, line, obj, "%s 0 out of range " ASN_RANGE,
		     field);
	else if (asn == MODEL_ASN_RESERVED)
		verr(v, -CEN_ERANGE, line, obj,
		     "%s 65025 is reserved; use another ASN in " ASN_RANGE,
		     field);
}

/*
 * Validation: CEN, regions, tables, table routes, physical connections
 */

static void
check_cen(struct vctx *v)
{
	const struct model *m = v->m;
	const struct model_cen *c = &m->cen;
	char obj[128];

	if (!m->has_cen) {
		if (m->nattachments > 0)
			verr(v, -CEN_EINVAL, 0, "cen",
			     "missing; attachments need a CEN instance: add "
			     "one with an id (and an asn, default 45104)");
		return;
	}
	obj_name(obj, sizeof(obj), "cen", c->id, 0);
	if (!model_id_valid(c->id)) {
		char s[MODEL_ID_MAX];

		verr(v, -CEN_EINVAL, c->line, obj,
		     "id \"%s\" invalid: use 1..63 characters of A-Z a-z 0-9 "
		     ". _ -, starting with a letter or digit",
		     id_show(c->id, s, sizeof(s)));
	}
	check_asn(v, c->line, obj, "asn", c->asn);
	if (v->prev != NULL && v->prev->has_cen &&
	    v->prev->cen.overlapping_routes && !c->overlapping_routes)
		verr(v, -CEN_ECONFLICT, c->line, obj,
		     "overlapping_routes cannot be turned off once on; keep "
		     "it true");
}

static void
check_regions(struct vctx *v)
{
	const struct model *m = v->m;
	char obj[128];

	for (size_t i = 0; i < m->nregions; i++) {
		const struct model_region *r = &m->regions[i];
		const struct sent *first;

		obj_name(obj, sizeof(obj), "region", r->id, i);
		check_id(v, r->line, obj, "region", &v->regions, r->id, i);
		first = index_find(&v->regions, r->id);
		if (first == NULL || first->i != i)
			continue;
		if (v->sys_count[i] == 0)
			verr(v, -CEN_EINVAL, r->line, obj,
			     "route_tables: no system table; mark exactly one "
			     "route table of the region system: true");
		else if (v->sys_count[i] > 1)
			verr(v, -CEN_ECONFLICT, r->line, obj,
			     "route_tables: %zu system tables (%.63s, %.63s"
			     "%s); exactly one may be system: true",
			     v->sys_count[i], m->tables[v->sys_first[i]].id,
			     m->tables[v->sys_second[i]].id,
			     v->sys_count[i] > 2 ? ", ..." : "");
		else if (v->prev != NULL) {
			/* the engine keeps other regions' routes in the
			 * system table: it is fixed when the region is made */
			const struct model_table *was =
				model_system_table(v->prev, r->id);
			const char *now = m->tables[v->sys_first[i]].id;

			if (was != NULL && !id_eq(was->id, now))
				verr(v, -CEN_ECONFLICT, r->line, obj,
				     "route_tables: the system table is %.63s "
				     "and cannot change to %.63s; keep %.63s "
				     "system: true",
				     was->id, now, was->id);
		}
	}
}

/* "10.0.0.1" */
static const char *
cluster_show(uint32_t id, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u.%u", id >> 24, (id >> 16) & 0xff,
		 (id >> 8) & 0xff, id & 0xff);
	return buf;
}

static int
cluster_sortcmp(const void *x, const void *y)
{
	const struct sent *a = x, *b = y;
	uint32_t ca = model_region_cluster_id(a->obj);
	uint32_t cb = model_region_cluster_id(b->obj);

	if (ca != cb)
		return ca < cb ? -1 : 1;
	return icmp(a->i, b->i);
}

/* Each regional cluster reflects with its own cluster ID (RFC 4456 7): two
 * regions sharing one would drop each other's reflected routes as loops.
 * Regions whose ID is repeated are reported by check_regions already. */
static void
check_cluster_ids(struct vctx *v)
{
	const struct model *m = v->m;
	struct sent *e = calloc(m->nregions + 1, sizeof(*e));
	size_t n = 0;

	if (e == NULL) {
		v->nomem = true;
		return;
	}
	for (size_t i = 0; i < m->nregions; i++) {
		const struct sent *first =
			index_find(&v->regions, m->regions[i].id);

		if (first != NULL && first->i == i)
			e[n++] = (struct sent){ .obj = &m->regions[i],
						.i = i,
						.line = m->regions[i].line };
	}
	if (n > 1)
		qsort(e, n, sizeof(*e), cluster_sortcmp);
	for (size_t k = 1, first = 0; k < n; k++) {
		const struct model_region *a = e[first].obj, *r = e[k].obj;
		uint32_t id = model_region_cluster_id(r);
		char obj[128], cs[16], at[32], rid[MODEL_ID_MAX];

		if (model_region_cluster_id(a) != id) {
			first = k;
			continue;
		}
		obj_name(obj, sizeof(obj), "region", r->id, e[k].i);
		cluster_show(id, cs, sizeof(cs));
		if (r->bgp_cluster_id != 0)
			verr(v, -CEN_ECONFLICT, r->line, obj,
			     "bgp_cluster_id %s is already the cluster ID of "
			     "region %s%s; give each regional cluster its own",
			     cs, id_show(a->id, rid, sizeof(rid)),
			     at_line(at, sizeof(at), a->line));
		else
			verr(v, -CEN_ECONFLICT, r->line, obj,
			     "the cluster ID derived from its ID, %s, is "
			     "already the cluster ID of region %s%s; set "
			     "bgp_cluster_id to another IPv4 address",
			     cs, id_show(a->id, rid, sizeof(rid)),
			     at_line(at, sizeof(at), a->line));
	}
	free(e);
}

static void
check_tables(struct vctx *v)
{
	const struct model *m = v->m;
	char obj[128];

	for (size_t i = 0; i < m->ntables; i++) {
		const struct model_table *t = &m->tables[i];

		obj_name(obj, sizeof(obj), "route_table", t->id, i);
		check_id(v, t->line, obj, "route_table", &v->tables, t->id, i);
		check_region_ref(v, t->line, obj, "region", t->region);
	}
}

static void
check_table_route(struct vctx *v, size_t i)
{
	const struct model_table_route *r = &v->m->table_routes[i];
	const struct model_table *t = NULL;
	char obj[256], p[PREFIX_STRLEN], tid[MODEL_ID_MAX];
	uint8_t n;

	snprintf(obj, sizeof(obj), "route_table %s route %s",
		 r->table[0] != '\0' ? id_show(r->table, tid, sizeof(tid))
				     : "(none)",
		 pfx_show(&r->prefix, p, sizeof(p)));
	if (r->table[0] == '\0')
		verr(v, -CEN_EINVAL, r->line, obj,
		     "table missing: name the route table the route is in");
	else
		t = check_table_ref(v, r->line, obj, "table", r->table, NULL);
	if (!pfx_ok(&r->prefix))
		verr(v, -CEN_EINVAL, r->line, obj,
		     "prefix %s invalid: give a network prefix without host "
		     "bits, e.g. 10.0.0.0/16",
		     p);
	else if (pfx_reserved(&r->prefix))
		verr(v, -CEN_EINVAL, r->line, obj, "prefix " RESERVED_MSG);
	if (v->troute_dup[i] != NONE) {
		int l = v->m->table_routes[v->troute_dup[i]].line;

		char at[32];

		verr(v, -CEN_EEXIST, r->line, obj,
		     "prefix %s already routed in this table%s; give each "
		     "prefix one route per table (several next hops for ECMP)",
		     p, at_line(at, sizeof(at), l));
	}
	if (r->nnh > MODEL_NEXTHOPS_MAX)
		verr(v, -CEN_ETOOBIG, r->line, obj,
		     "next_hops: %u given, at most %d", r->nnh,
		     MODEL_NEXTHOPS_MAX);
	if (r->blackhole && r->nnh > 0)
		verr(v, -CEN_EINVAL, r->line, obj,
		     "blackhole with %u next hops: give next hops or "
		     "blackhole, not both",
		     r->nnh);
	else if (!r->blackhole && r->nnh == 0)
		verr(v, -CEN_EINVAL, r->line, obj,
		     "next_hops missing: give 1..%d attachments as next hops "
		     "or set blackhole",
		     MODEL_NEXTHOPS_MAX);
	n = r->nnh < MODEL_NEXTHOPS_MAX ? r->nnh : MODEL_NEXTHOPS_MAX;
	for (uint8_t k = 0; k < n; k++) {
		const struct model_nexthop *nh = &r->nh[k];
		const struct model_attachment *a;
		bool dup = false;

		for (uint8_t j = 0; j < k; j++)
			dup = dup || id_eq(r->nh[j].id, nh->id);
		if (dup)
			verr(v, -CEN_EEXIST, r->line, obj,
			     "next_hop %.63s listed twice; list each next hop "
			     "once",
			     nh->id);
		if (nh->weight == 0)
			verr(v, -CEN_ERANGE, r->line, obj,
			     "next_hop %.63s weight 0 out of range 1..255",
			     nh->id);
		if (nh->type != MODEL_NH_ATTACHMENT &&
		    nh->type != MODEL_NH_VPC) {
			verr(v, -CEN_EINVAL, r->line, obj,
			     "next_hop %.63s type %s not allowed: a route "
			     "table's next hops are of type Attachment or VPC",
			     nh->id, model_nh_type_str(nh->type));
			continue;
		}
		a = v_att(v, nh->id);
		if (a == NULL) {
			if (!ref_in_use(v, r->line, obj, "next_hop", nh->id,
					"attachment",
					v->prev ? model_find_attachment(v->prev,
									nh->id)
						: NULL))
				verr(v, -CEN_ENOENT, r->line, obj,
				     "next_hop %.63s does not exist as an "
				     "attachment; name an attachment of the "
				     "table's region",
				     nh->id);
			continue;
		}
		if (nh->type == MODEL_NH_VPC && a->type != MODEL_ATT_VPC)
			verr(v, -CEN_EINVAL, r->line, obj,
			     "next_hop %.63s is a %s attachment, not a VPC; "
			     "use type Attachment",
			     nh->id, model_att_type_str(a->type));
		if (t != NULL && !id_eq(a->region, t->region))
			verr(v, -CEN_ECONFLICT, r->line, obj,
			     "next_hop %.63s is in region %.63s; next hops of "
			     "route_table %.63s must be attachments of region "
			     "%.63s",
			     nh->id, a->region, t->id, t->region);
	}
}

static void
check_pcs(struct vctx *v)
{
	const struct model *m = v->m;
	char obj[128];

	for (size_t i = 0; i < m->npcs; i++) {
		const struct model_pc *pc = &m->pcs[i];

		obj_name(obj, sizeof(obj), "physical_connection", pc->id, i);
		check_id(v, pc->line, obj, "physical_connection", &v->pcs,
			 pc->id, i);
		check_region_ref(v, pc->line, obj, "region", pc->region);
		if (pc->speed_gbps < 1 || pc->speed_gbps > 100)
			verr(v, -CEN_ERANGE, pc->line, obj,
			     "speed_gbps %u out of range 1..100",
			     pc->speed_gbps);
	}
}

/*
 * Validation: attachments
 */

static void
check_vswitch(struct vctx *v, const struct model_attachment *a, const char *obj)
{
	size_t n = a->nvswitch < VSWITCH_MAX ? a->nvswitch : VSWITCH_MAX;
	char p[PREFIX_STRLEN], q[PREFIX_STRLEN];

	if (a->nvswitch > VSWITCH_MAX)
		verr(v, -CEN_ETOOBIG, a->line, obj,
		     "vswitch_cidrs: %zu given, at most %d", a->nvswitch,
		     VSWITCH_MAX);
	for (size_t i = 0; i < n; i++) {
		const struct prefix *c = &a->vswitch_cidrs[i];

		if (!pfx_ok(c)) {
			verr(v, -CEN_EINVAL, a->line, obj,
			     "vswitch_cidrs %s invalid: give a network prefix "
			     "without host bits, e.g. 10.0.0.0/24",
			     pfx_show(c, p, sizeof(p)));
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			const struct prefix *d = &a->vswitch_cidrs[j];

			if (pfx_ok(d) && prefix_overlaps(c, d)) {
				verr(v, -CEN_ECONFLICT, a->line, obj,
				     "vswitch_cidrs %s overlaps %s; the "
				     "vSwitch CIDRs of a VPC must be disjoint",
				     pfx_show(c, p, sizeof(p)),
				     pfx_show(d, q, sizeof(q)));
				break;
			}
		}
	}
}

static int
route_keycmp(const struct sent *a, const struct sent *b)
{
	const struct model_route *x = a->obj, *y = b->obj;

	return pfx_order(&x->prefix, &y->prefix);
}

static int
route_sortcmp(const void *x, const void *y)
{
	const struct sent *a = x, *b = y;
	int c = route_keycmp(a, b);

	return c != 0 ? c : icmp(a->i, b->i);
}

/* Next hops allowed in a VPC's custom routes and in VBR/VPN/CCN static
 * routes (ROUTING.md "Route types", "Overlapping routes"). */
static bool
nh_allowed(uint8_t att_type, uint8_t nh)
{
	if (att_type == MODEL_ATT_VPC)
		return nh == MODEL_NH_ENI || nh == MODEL_NH_INSTANCE ||
		       nh == MODEL_NH_ROUTER_INTERFACE || nh == MODEL_NH_VPC ||
		       nh == MODEL_NH_ATTACHMENT || nh == MODEL_NH_BLACKHOLE;
	return nh == MODEL_NH_UNSPECIFIED ||
	       nh == MODEL_NH_PHYSICAL_CONNECTION || nh == MODEL_NH_VPC ||
	       nh == MODEL_NH_ATTACHMENT || nh == MODEL_NH_BLACKHOLE;
}

static void
check_route_nh(struct vctx *v, const struct model_attachment *a,
	       const struct model_route *rt, int line, const char *obj,
	       const char *rname)
{
	const struct model_nexthop *nh = &rt->nh;
	const struct model_attachment *t;
	char s[MODEL_ID_MAX];

	if (!nh_allowed(a->type, nh->type)) {
		if (a->type == MODEL_ATT_VPC)
			verr(v, -CEN_EINVAL, line, obj,
			     "%s next_hop type %s not allowed: a VPC custom "
			     "route's next hop is ENI, Instance, "
			     "RouterInterface, VPC, Attachment or Blackhole",
			     rname, model_nh_type_str(nh->type));
		else
			verr(v, -CEN_EINVAL, line, obj,
			     "%s next_hop type %s not allowed: a static "
			     "route's next hop is PhysicalConnection, VPC, "
			     "Attachment or Blackhole",
			     rname, model_nh_type_str(nh->type));
		return;
	}
	if (nh->type == MODEL_NH_UNSPECIFIED || nh->type == MODEL_NH_BLACKHOLE)
		return;
	if (nh->id[0] == '\0') {
		verr(v, -CEN_EINVAL, line, obj,
		     "%s next_hop id missing: name the %s", rname,
		     model_nh_type_str(nh->type));
		return;
	}
	if (!model_id_valid(nh->id)) {
		verr(v, -CEN_EINVAL, line, obj,
		     "%s next_hop id \"%s\" invalid: use 1..63 characters of "
		     "A-Z a-z 0-9 . _ -",
		     rname, id_show(nh->id, s, sizeof(s)));
		return;
	}
	switch (nh->type) {
	case MODEL_NH_PHYSICAL_CONNECTION:
		if (v_pc(v, nh->id) == NULL)
			verr(v, -CEN_ENOENT, line, obj,
			     "%s next_hop physical_connection %s does not "
			     "exist",
			     rname, nh->id);
		break;
	case MODEL_NH_ATTACHMENT:
	case MODEL_NH_VPC:
		t = v_att(v, nh->id);
		if (t == NULL &&
		    ref_in_use(v, line, obj, rname, nh->id, "attachment",
			       v->prev ? model_find_attachment(v->prev, nh->id)
				       : NULL))
			break;
		if (t == NULL)
			verr(v, -CEN_ENOENT, line, obj,
			     "%s next_hop %s %s does not exist as an "
			     "attachment",
			     rname, model_nh_type_str(nh->type), nh->id);
		else if (nh->type == MODEL_NH_VPC && t->type != MODEL_ATT_VPC)
			verr(v, -CEN_EINVAL, line, obj,
			     "%s next_hop %s is a %s attachment, not a VPC; "
			     "use type Attachment",
			     rname, nh->id, model_att_type_str(t->type));
		break;
	default:
		break;
	}
}

static void
check_routes(struct vctx *v, const struct model_attachment *a, const char *obj)
{
	const char *kind =
		a->type == MODEL_ATT_VPC ? "custom_route" : "static_route";
	struct sent *e = NULL;
	size_t *dup = NULL;
	char p[PREFIX_STRLEN], rname[PREFIX_STRLEN + 32];

	if (a->nroutes > 1) {
		e = calloc(a->nroutes, sizeof(*e));
		if (e != NULL) {
			for (size_t i = 0; i < a->nroutes; i++) {
				e[i].obj = &a->routes[i];
				e[i].i = i;
			}
			qsort(e, a->nroutes, sizeof(*e), route_sortcmp);
			dup = mark_dups(e, a->nroutes, a->nroutes,
					route_keycmp);
		}
		if (dup == NULL)
			v->nomem = true;
	}
	for (size_t i = 0; i < a->nroutes; i++) {
		const struct model_route *rt = &a->routes[i];
		int line = rt->line > 0 ? rt->line : a->line;

		snprintf(rname, sizeof(rname), "%s %s", kind,
			 pfx_show(&rt->prefix, p, sizeof(p)));
		if (!pfx_ok(&rt->prefix))
			verr(v, -CEN_EINVAL, line, obj,
			     "%s: prefix invalid: give a network prefix "
			     "without host bits, e.g. 10.0.0.0/16",
			     rname);
		else if (pfx_reserved(&rt->prefix))
			verr(v, -CEN_EINVAL, line, obj, "%s: " RESERVED_MSG,
			     rname);
		if (dup != NULL && dup[i] != NONE)
			verr(v, -CEN_EEXIST, line, obj,
			     "%s: prefix listed twice; give each prefix one "
			     "route per attachment",
			     rname);
		check_route_nh(v, a, rt, line, obj, rname);
	}
	free(dup);
	free(e);
}

static void
check_vbr(struct vctx *v, size_t i, const char *obj)
{
	const struct model_attachment *a = &v->m->attachments[i];
	const struct model_pc *pc = NULL;
	char p[PREFIX_STRLEN], q[PREFIX_STRLEN];

	if (a->physical_connection[0] == '\0') {
		verr(v, -CEN_EINVAL, a->line, obj,
		     "physical_connection missing: a VBR needs the physical "
		     "connection it runs on");
	} else {
		pc = v_pc(v, a->physical_connection);
		if (pc == NULL) {
			if (!ref_in_use(
				    v, a->line, obj, "physical_connection",
				    a->physical_connection,
				    "physical connection",
				    v->prev ? model_find_pc(
						      v->prev,
						      a->physical_connection)
					    : NULL))
				verr(v, -CEN_ENOENT, a->line, obj,
				     "physical_connection %.63s does not "
				     "exist; create it or name an existing one",
				     a->physical_connection);
		} else if (!id_eq(pc->region, a->region))
			verr(v, -CEN_ECONFLICT, a->line, obj,
			     "physical_connection %.63s is in region %.63s, "
			     "not %.63s; use a physical connection of the "
			     "VBR's region",
			     pc->id, pc->region, a->region);
	}
	if (a->vlan < 1 || a->vlan > 2999)
		verr(v, -CEN_ERANGE, a->line, obj,
		     "vlan %u out of range 1..2999", a->vlan);
	else if (v->vlan_dup[i] != NONE)
		verr(v, -CEN_ECONFLICT, a->line, obj,
		     "vlan %u already used on physical_connection %.63s by "
		     "attachment %.63s; use a free VLAN ID",
		     a->vlan, a->physical_connection,
		     v->m->attachments[v->vlan_dup[i]].id);
	if (pc != NULL && pc->speed_gbps >= 1 && pc->speed_gbps <= 100) {
		uint32_t max = pc->speed_gbps * 1000;

		if (a->bandwidth_mbps < 2 || a->bandwidth_mbps > max)
			verr(v, -CEN_ERANGE, a->line, obj,
			     "bandwidth_mbps %u out of range 2..%u "
			     "(physical_connection %.63s is %u Gbps)",
			     a->bandwidth_mbps, max, pc->id, pc->speed_gbps);
	} else if (a->bandwidth_mbps < 2) {
		verr(v, -CEN_ERANGE, a->line, obj,
		     "bandwidth_mbps %u out of range 2..(circuit speed)",
		     a->bandwidth_mbps);
	}

	if (pfx_set(&a->local_ip) &&
	    (!addr_ok(&a->local_ip) ||
	     a->local_ip.len >= family_max(a->local_ip.family)))
		verr(v, -CEN_EINVAL, a->line, obj,
		     "local_ip %s invalid: give the VBR's address with its "
		     "subnet length, e.g. 10.10.10.1/30",
		     pfx_show(&a->local_ip, p, sizeof(p)));
	else if (pfx_set(&a->peer_ip) && !host_ok(&a->peer_ip))
		verr(v, -CEN_EINVAL, a->line, obj,
		     "peer_ip %s invalid: give the CE's host address, e.g. "
		     "10.10.10.2",
		     pfx_show(&a->peer_ip, p, sizeof(p)));
	else if (pfx_set(&a->local_ip) && pfx_set(&a->peer_ip)) {
		pfx_show(&a->local_ip, q, sizeof(q));
		addr_show(&a->peer_ip, p, sizeof(p));
		if (a->local_ip.family != a->peer_ip.family)
			verr(v, -CEN_EINVAL, a->line, obj,
			     "peer_ip %s and local_ip %s are of different "
			     "families; use addresses of one family",
			     p, q);
		else if (!same_bits(&a->local_ip, &a->peer_ip, a->local_ip.len))
			verr(v, -CEN_EINVAL, a->line, obj,
			     "peer_ip %s is outside local_ip %s's subnet; give "
			     "a peer address inside it",
			     p, q);
		else if (same_bits(&a->local_ip, &a->peer_ip,
				   family_max(a->peer_ip.family)))
			verr(v, -CEN_ECONFLICT, a->line, obj,
			     "peer_ip %s equals local_ip %s; give the CE's own "
			     "address",
			     p, q);
	}
}

static void
check_peer(struct vctx *v, const struct model_attachment *a, size_t k,
	   const char *aobj)
{
	const struct model_peer *p = &a->peers[k];
	int line = p->line > 0 ? p->line : a->line;
	char obj[256], s[PREFIX_STRLEN];
	uint8_t n;

	if (host_ok(&p->address))
		snprintf(obj, sizeof(obj), "%s peer %s", aobj,
			 addr_show(&p->address, s, sizeof(s)));
	else
		snprintf(obj, sizeof(obj), "%s peers[%zu]", aobj, k);

	if (!pfx_set(&p->address))
		verr(v, -CEN_EINVAL, line, obj,
		     "address missing: give the peer's host address");
	else if (!host_ok(&p->address))
		verr(v, -CEN_EINVAL, line, obj,
		     "address %s invalid: give a host address (/32 or /128)",
		     pfx_show(&p->address, s, sizeof(s)));
	else
		for (size_t j = 0; j < k; j++)
			if (pfx_same(&a->peers[j].address, &p->address)) {
				verr(v, -CEN_EEXIST, line, obj,
				     "address %s listed twice; each peer of "
				     "an attachment needs its own address",
				     addr_show(&p->address, s, sizeof(s)));
				break;
			}
	check_asn(v, line, obj, "asn", p->asn);
	if (p->hold_time_s == 1 || p->hold_time_s == 2)
		verr(v, -CEN_ERANGE, line, obj,
		     "hold_time_s %u out of range: 0 (no keepalives) or "
		     "3..65535",
		     p->hold_time_s);
	if (p->route_quota < 1)
		verr(v, -CEN_ERANGE, line, obj,
		     "route_quota 0 out of range: at least 1 (default %d)",
		     MODEL_ROUTE_QUOTA_DEFAULT);
	if (p->port == 0)
		verr(v, -CEN_ERANGE, line, obj,
		     "port 0 out of range 1..65535 (default 179)");
	if (p->nnodes > MODEL_NODES_MAX)
		verr(v, -CEN_ETOOBIG, line, obj, "nodes: %u given, at most %d",
		     p->nnodes, MODEL_NODES_MAX);
	n = p->nnodes < MODEL_NODES_MAX ? p->nnodes : MODEL_NODES_MAX;
	for (uint8_t j = 0; j < n; j++) {
		bool dup = false;

		if (p->nodes[j] == 0) {
			verr(v, -CEN_ERANGE, line, obj,
			     "nodes: node 0 out of range 1..255");
			continue;
		}
		for (uint8_t l = 0; l < j; l++)
			dup = dup || p->nodes[l] == p->nodes[j];
		if (dup)
			verr(v, -CEN_EEXIST, line, obj,
			     "nodes: node %u listed twice; list each node once",
			     p->nodes[j]);
	}
	if (strnlen(p->md5_key, sizeof(p->md5_key)) > 80)
		verr(v, -CEN_ERANGE, line, obj,
		     "md5_key longer than 80 characters; use at most 80");
	if (!p->ipv4 && !p->ipv6)
		verr(v, -CEN_EINVAL, line, obj,
		     "families: none enabled; enable ipv4, ipv6 or both");
}

static void
check_health(struct vctx *v, const struct model_attachment *a, const char *obj)
{
	const struct model_health *h = &a->health;
	char s[PREFIX_STRLEN];

	if ((h->enabled || h->interval_s != 0) && h->interval_s != 2 &&
	    h->interval_s != 3)
		verr(v, -CEN_ERANGE, a->line, obj,
		     "health_check interval_s %u out of range: 2 or 3",
		     h->interval_s);
	if ((h->enabled || h->threshold != 0) &&
	    (h->threshold < 3 || h->threshold > 8))
		verr(v, -CEN_ERANGE, a->line, obj,
		     "health_check threshold %u out of range 3..8",
		     h->threshold);
	if (pfx_set(&h->source_ip) && !host_ok(&h->source_ip))
		verr(v, -CEN_EINVAL, a->line, obj,
		     "health_check source_ip %s invalid: give a host address",
		     pfx_show(&h->source_ip, s, sizeof(s)));
	if (pfx_set(&h->target_ip) && !host_ok(&h->target_ip))
		verr(v, -CEN_EINVAL, a->line, obj,
		     "health_check target_ip %s invalid: give a host address",
		     pfx_show(&h->target_ip, s, sizeof(s)));
	if (h->enabled && !pfx_set(&h->target_ip) && !pfx_set(&a->peer_ip))
		verr(v, -CEN_EINVAL, a->line, obj,
		     "health_check target_ip missing: set target_ip or the "
		     "attachment's peer_ip");
}

static void
check_attachment(struct vctx *v, size_t i)
{
	const struct model_attachment *a = &v->m->attachments[i];
	const struct model_region *r = NULL;
	char obj[128];
	uint8_t n;

	obj_name(obj, sizeof(obj), "attachment", a->id, i);
	check_id(v, a->line, obj, "attachment", &v->atts, a->id, i);
	if (a->type == MODEL_ATT_UNSPECIFIED)
		verr(v, -CEN_EINVAL, a->line, obj,
		     "type missing: set VPC, VBR, VPN or CCN");
	else if (a->type > MODEL_ATT_CCN)
		verr(v, -CEN_EINVAL, a->line, obj,
		     "type %u unknown: use VPC, VBR, VPN or CCN", a->type);
	r = check_region_ref(v, a->line, obj, "region", a->region);

	if (a->route_table[0] != '\0')
		check_table_ref(v, a->line, obj, "route_table", a->route_table,
				r != NULL ? a->region : NULL);
	if (a->npropagate > MODEL_LIST_MAX)
		verr(v, -CEN_ETOOBIG, a->line, obj,
		     "propagate: %u tables given, at most %d", a->npropagate,
		     MODEL_LIST_MAX);
	n = a->npropagate < MODEL_LIST_MAX ? a->npropagate : MODEL_LIST_MAX;
	for (uint8_t k = 0; k < n; k++) {
		bool dup = false;

		for (uint8_t j = 0; j < k; j++)
			dup = dup || id_eq(a->propagate[j], a->propagate[k]);
		if (dup)
			verr(v, -CEN_EEXIST, a->line, obj,
			     "propagate table %.63s listed twice; list each "
			     "table once",
			     a->propagate[k]);
		else
			check_table_ref(v, a->line, obj, "propagate table",
					a->propagate[k],
					r != NULL ? a->region : NULL);
	}

	if (a->type == MODEL_ATT_VPC) {
		check_vswitch(v, a, obj);
		if (a->npeers > 0)
			verr(v, -CEN_EINVAL, a->line, obj,
			     "peers: a VPC has no BGP peers; only VBR, VPN "
			     "and CCN attachments do");
		if (a->health.enabled)
			verr(v, -CEN_EINVAL, a->line, obj,
			     "health_check: a VPC has no health check; only "
			     "VBR, VPN and CCN attachments do");
	} else if (a->nvswitch > 0) {
		verr(v, -CEN_EINVAL, a->line, obj,
		     "vswitch_cidrs: only VPC attachments have vSwitch CIDRs; "
		     "remove them");
	}
	if (a->type == MODEL_ATT_VBR) {
		check_vbr(v, i, obj);
	} else {
		if (a->vlan != 0)
			verr(v, -CEN_EINVAL, a->line, obj,
			     "vlan: only VBR attachments have a VLAN; remove "
			     "it");
		if (a->physical_connection[0] != '\0')
			verr(v, -CEN_EINVAL, a->line, obj,
			     "physical_connection: only VBR attachments run "
			     "on a physical connection; remove it");
	}
	check_routes(v, a, obj);
	if (a->type != MODEL_ATT_VPC) {
		if (a->npeers > MODEL_PEERS_MAX)
			verr(v, -CEN_ETOOBIG, a->line, obj,
			     "peers: %u given, at most %d per attachment",
			     a->npeers, MODEL_PEERS_MAX);
		n = a->npeers < MODEL_PEERS_MAX ? a->npeers : MODEL_PEERS_MAX;
		for (uint8_t k = 0; k < n; k++)
			check_peer(v, a, k, obj);
		check_health(v, a, obj);
	}
}

/*
 * Validation: route maps
 */

static bool
check_count(struct vctx *v, int line, const char *obj, const char *field,
	    unsigned n, unsigned max)
{
	if (n <= max)
		return true;
	verr(v, -CEN_ETOOBIG, line, obj, "%s: %u items given, at most %u",
	     field, n, max);
	return false;
}

static unsigned
cap(unsigned n, unsigned max)
{
	return n < max ? n : max;
}

static void
check_rmap_lists(struct vctx *v, const struct model_rmap *r, const char *obj)
{
	char p[PREFIX_STRLEN];
	unsigned n;

	check_count(v, r->line, obj, "src_regions", r->nsrc_regions,
		    MODEL_LIST_MAX);
	n = cap(r->nsrc_regions, MODEL_LIST_MAX);
	for (unsigned k = 0; k < n; k++)
		if (v_region(v, r->src_regions[k]) == NULL &&
		    !ref_in_use(v, r->line, obj, "src_regions",
				r->src_regions[k], "region",
				v->prev ? model_find_region(v->prev,
							    r->src_regions[k])
					: NULL))
			verr(v, -CEN_ENOENT, r->line, obj,
			     "src_regions %.63s does not exist; name an "
			     "existing region",
			     r->src_regions[k]);

	check_count(v, r->line, obj, "src_instances", r->nsrc_instances,
		    MODEL_LIST_MAX);
	n = cap(r->nsrc_instances, MODEL_LIST_MAX);
	for (unsigned k = 0; k < n; k++)
		if (v_att(v, r->src_instances[k]) == NULL &&
		    !ref_in_use(v, r->line, obj, "src_instances",
				r->src_instances[k], "attachment",
				v->prev ? model_find_attachment(
						  v->prev, r->src_instances[k])
					: NULL))
			verr(v, -CEN_ENOENT, r->line, obj,
			     "src_instances %.63s does not exist as an "
			     "attachment",
			     r->src_instances[k]);

	check_count(v, r->line, obj, "dst_instances", r->ndst_instances,
		    MODEL_LIST_MAX);
	n = cap(r->ndst_instances, MODEL_LIST_MAX);
	for (unsigned k = 0; k < n; k++)
		if (v_att(v, r->dst_instances[k]) == NULL &&
		    !ref_in_use(v, r->line, obj, "dst_instances",
				r->dst_instances[k], "attachment",
				v->prev ? model_find_attachment(
						  v->prev, r->dst_instances[k])
					: NULL))
			verr(v, -CEN_ENOENT, r->line, obj,
			     "dst_instances %.63s does not exist as an "
			     "attachment",
			     r->dst_instances[k]);

	check_count(v, r->line, obj, "src_tables", r->nsrc_tables,
		    MODEL_LIST_MAX);
	n = cap(r->nsrc_tables, MODEL_LIST_MAX);
	for (unsigned k = 0; k < n; k++)
		check_table_ref(v, r->line, obj, "src_tables", r->src_tables[k],
				NULL);

	check_count(v, r->line, obj, "dst_tables", r->ndst_tables,
		    MODEL_LIST_MAX);
	n = cap(r->ndst_tables, MODEL_LIST_MAX);
	for (unsigned k = 0; k < n; k++)
		check_table_ref(v, r->line, obj, "dst_tables", r->dst_tables[k],
				NULL);

	check_count(v, r->line, obj, "src_types", r->nsrc_types,
		    MODEL_LIST_MAX);
	n = cap(r->nsrc_types, MODEL_LIST_MAX);
	for (unsigned k = 0; k < n; k++)
		if (r->src_types[k] < MODEL_ATT_VPC ||
		    r->src_types[k] > MODEL_ATT_CCN)
			verr(v, -CEN_EINVAL, r->line, obj,
			     "src_types value %u unknown: use VPC, VBR, VPN "
			     "or CCN",
			     r->src_types[k]);

	check_count(v, r->line, obj, "dst_types", r->ndst_types,
		    MODEL_LIST_MAX);
	n = cap(r->ndst_types, MODEL_LIST_MAX);
	for (unsigned k = 0; k < n; k++)
		if (r->dst_types[k] < MODEL_ATT_VPC ||
		    r->dst_types[k] > MODEL_ATT_CCN)
			verr(v, -CEN_EINVAL, r->line, obj,
			     "dst_types value %u unknown: use VPC, VBR, VPN "
			     "or CCN",
			     r->dst_types[k]);

	check_count(v, r->line, obj, "cidrs", r->ncidrs, MODEL_LIST_MAX);
	n = cap(r->ncidrs, MODEL_LIST_MAX);
	for (unsigned k = 0; k < n; k++)
		if (!pfx_ok(&r->cidrs[k]))
			verr(v, -CEN_EINVAL, r->line, obj,
			     "cidrs %s invalid: give a network prefix without "
			     "host bits, e.g. 10.0.0.0/8",
			     pfx_show(&r->cidrs[k], p, sizeof(p)));

	check_count(v, r->line, obj, "route_types", r->nroute_types,
		    MODEL_LIST_MAX);
	n = cap(r->nroute_types, MODEL_LIST_MAX);
	for (unsigned k = 0; k < n; k++)
		if (r->route_types[k] < MODEL_RT_SYSTEM ||
		    r->route_types[k] > MODEL_RT_CEN)
			verr(v, -CEN_EINVAL, r->line, obj,
			     "route_types value %u unknown: use System, "
			     "Custom, BGP or CEN",
			     r->route_types[k]);

	check_count(v, r->line, obj, "asns", r->nasns, MODEL_LIST_MAX);
	check_count(v, r->line, obj, "comms", r->ncomms, MODEL_LIST_MAX);

	if (r->cidr_mode > MODEL_MATCH_COMPLETE)
		verr(v, -CEN_EINVAL, r->line, obj,
		     "cidr_mode %u unknown: use Include or Complete",
		     r->cidr_mode);
	if (r->asn_mode > MODEL_MATCH_COMPLETE)
		verr(v, -CEN_EINVAL, r->line, obj,
		     "asn_mode %u unknown: use Include or Complete",
		     r->asn_mode);
	if (r->comm_mode > MODEL_MATCH_COMPLETE)
		verr(v, -CEN_EINVAL, r->line, obj,
		     "comm_mode %u unknown: use Include or Complete",
		     r->comm_mode);
	if (r->families & ~(MODEL_AF_V4 | MODEL_AF_V6))
		verr(v, -CEN_EINVAL, r->line, obj,
		     "families 0x%x unknown: use IPv4, IPv6 or both",
		     r->families);

	if (r->direction == MODEL_DIR_IN) {
		if (r->ndst_instances > 0)
			verr(v, -CEN_EINVAL, r->line, obj,
			     "dst_instances: destination conditions apply "
			     "only to RegionOut; remove them or use RegionOut");
		if (r->ndst_tables > 0)
			verr(v, -CEN_EINVAL, r->line, obj,
			     "dst_tables: destination conditions apply only "
			     "to RegionOut; remove them or use RegionOut");
		if (r->ndst_types > 0)
			verr(v, -CEN_EINVAL, r->line, obj,
			     "dst_types: destination conditions apply only to "
			     "RegionOut; remove them or use RegionOut");
	}
}

static void
check_rmap_prepend(struct vctx *v, const struct model_rmap *r, const char *obj)
{
	unsigned n;

	if (r->nprepend == 0)
		return;
	check_count(v, r->line, obj, "prepend", r->nprepend, MODEL_PREPEND_MAX);
	n = cap(r->nprepend, MODEL_PREPEND_MAX);
	for (unsigned k = 0; k < n; k++)
		if (!asn_ok(r->prepend[k]))
			verr(v, -CEN_ERANGE, r->line, obj,
			     "prepend asn %u invalid: use " ASN_RANGE
			     ", not 65025",
			     r->prepend[k]);
	if (r->direction == MODEL_DIR_IN) {
		if (r->nsrc_instances == 0 || r->src_instances_inverse) {
			verr(v, -CEN_EINVAL, r->line, obj,
			     "prepend: on RegionIn only with a src_instances "
			     "condition (not inverse) naming attachments of "
			     "region %.63s",
			     r->region);
			return;
		}
		n = cap(r->nsrc_instances, MODEL_LIST_MAX);
		for (unsigned k = 0; k < n; k++) {
			const struct model_attachment *a =
				v_att(v, r->src_instances[k]);

			if (a != NULL && !id_eq(a->region, r->region))
				verr(v, -CEN_EINVAL, r->line, obj,
				     "prepend: src_instances %.63s is in "
				     "region %.63s; RegionIn prepend needs "
				     "source instances of region %.63s",
				     a->id, a->region, r->region);
		}
	} else if (r->direction == MODEL_DIR_OUT) {
		if (r->ndst_instances == 0 || r->dst_instances_inverse)
			verr(v, -CEN_EINVAL, r->line, obj,
			     "prepend: on RegionOut only with a dst_instances "
			     "condition (not inverse)");
	}
}

static void
check_rmap(struct vctx *v, size_t i)
{
	const struct model_rmap *r = &v->m->rmaps[i];
	const struct model_region *reg = NULL;
	char obj[256], rs[MODEL_ID_MAX], ts[MODEL_ID_MAX];
	const char *tname = v->rmap_table[i];

	snprintf(obj, sizeof(obj), "route_map %s/%s/%s priority %u",
		 r->region[0] != '\0' ? id_show(r->region, rs, sizeof(rs))
				      : "(none)",
		 model_dir_str(r->direction),
		 tname[0] != '\0' ? id_show(tname, ts, sizeof(ts)) : "system",
		 r->priority);

	reg = check_region_ref(v, r->line, obj, "region", r->region);
	if (r->direction != MODEL_DIR_IN && r->direction != MODEL_DIR_OUT)
		verr(v, -CEN_EINVAL, r->line, obj,
		     "direction missing: set RegionIn or RegionOut");
	if (r->route_table[0] != '\0')
		check_table_ref(v, r->line, obj, "route_table", r->route_table,
				reg != NULL ? r->region : NULL);
	if (r->priority < 1 || r->priority > 100)
		verr(v, -CEN_ERANGE, r->line, obj,
		     "priority out of range 1..100");
	else if (v->rmap_dup[i] != NONE) {
		int l = v->m->rmaps[v->rmap_dup[i]].line;

		char at[32];

		verr(v, -CEN_EEXIST, r->line, obj,
		     "priority %u already used%s; priorities are unique per "
		     "region, direction and route table",
		     r->priority, at_line(at, sizeof(at), l));
	}
	check_rmap_lists(v, r, obj);

	if (r->action != MODEL_ACTION_PERMIT && r->action != MODEL_ACTION_DENY)
		verr(v, -CEN_EINVAL, r->line, obj,
		     "action missing: set Permit or Deny");
	if (r->next_priority != 0 &&
	    (r->next_priority <= r->priority || r->next_priority > 100))
		verr(v, -CEN_ERANGE, r->line, obj,
		     "next_priority %u out of range %u..100: it must follow "
		     "this entry's priority (0 for none)",
		     r->next_priority, r->priority + 1u);
	if (r->action == MODEL_ACTION_DENY) {
		if (r->next_priority != 0)
			verr(v, -CEN_EINVAL, r->line, obj,
			     "next_priority: a Deny entry stops evaluation; "
			     "remove next_priority or use Permit");
		if (r->set_pref != 0)
			verr(v, -CEN_EINVAL, r->line, obj,
			     "set_pref: a Deny entry cannot change routes; "
			     "remove it or use Permit");
		if (r->nset_comms != 0 || r->set_comm_mode != 0)
			verr(v, -CEN_EINVAL, r->line, obj,
			     "set_comms: a Deny entry cannot change routes; "
			     "remove it or use Permit");
		if (r->nprepend != 0)
			verr(v, -CEN_EINVAL, r->line, obj,
			     "prepend: a Deny entry cannot change routes; "
			     "remove it or use Permit");
		return;
	}
	if (r->set_pref > 100)
		verr(v, -CEN_ERANGE, r->line, obj,
		     "set_pref %u out of range 1..100 (0 keeps the preference)",
		     r->set_pref);
	check_count(v, r->line, obj, "set_comms", r->nset_comms,
		    MODEL_LIST_MAX);
	if (r->set_comm_mode > MODEL_COMM_REPLACE)
		verr(v, -CEN_EINVAL, r->line, obj,
		     "set_comm_mode %u unknown: use Additive or Replace",
		     r->set_comm_mode);
	else if (r->nset_comms > 0 && r->set_comm_mode == 0)
		verr(v, -CEN_EINVAL, r->line, obj,
		     "set_comm_mode missing: give Additive or Replace with "
		     "set_comms");
	else if (r->nset_comms == 0 && r->set_comm_mode != 0)
		verr(v, -CEN_EINVAL, r->line, obj,
		     "set_comm_mode %s without set_comms: give the "
		     "communities or remove the mode",
		     model_comm_mode_str(r->set_comm_mode));
	check_rmap_prepend(v, r, obj);
}

/*
 * Validation: bandwidth packages
 */

static void
check_bwp(struct vctx *v, size_t i)
{
	const struct model_bwp *b = &v->m->bwps[i];
	const struct model_bwp *old = NULL;
	char obj[128], cobj[320];
	uint64_t sum = 0;

	obj_name(obj, sizeof(obj), "bandwidth_package", b->id, i);
	check_id(v, b->line, obj, "bandwidth_package", &v->bwps, b->id, i);
	check_region_ref(v, b->line, obj, "regions[0]", b->regions[0]);
	check_region_ref(v, b->line, obj, "regions[1]", b->regions[1]);
	if (b->regions[0][0] != '\0' && id_eq(b->regions[0], b->regions[1]))
		verr(v, -CEN_EINVAL, b->line, obj,
		     "regions: both ends are %.63s; a package joins two "
		     "different regions",
		     b->regions[0]);
	else if (v->bwp_dup[i] != NONE)
		verr(v, -CEN_ECONFLICT, b->line, obj,
		     "regions %.63s/%.63s already have bandwidth_package "
		     "%.63s; use one package per region pair",
		     b->regions[0], b->regions[1],
		     v->m->bwps[v->bwp_dup[i]].id);
	if (b->bandwidth_mbps < 1)
		verr(v, -CEN_ERANGE, b->line, obj,
		     "bandwidth_mbps 0 out of range: at least 1 Mbps");

	for (size_t k = 0; k < b->nconns; k++) {
		const struct model_bwp_conn *c = &b->conns[k];
		int line = c->line > 0 ? c->line : b->line;
		char r0[MODEL_ID_MAX], r1[MODEL_ID_MAX];

		snprintf(cobj, sizeof(cobj), "%s connection %s/%s", obj,
			 id_show(c->regions[0], r0, sizeof(r0)),
			 id_show(c->regions[1], r1, sizeof(r1)));
		if (!((id_eq(c->regions[0], b->regions[0]) &&
		       id_eq(c->regions[1], b->regions[1])) ||
		      (id_eq(c->regions[0], b->regions[1]) &&
		       id_eq(c->regions[1], b->regions[0]))))
			verr(v, -CEN_EINVAL, line, cobj,
			     "regions %s/%s are not the package's regions "
			     "%.63s/%.63s; carve connections only between "
			     "the package's regions",
			     r0, r1, b->regions[0], b->regions[1]);
		if (c->bandwidth_mbps < 1)
			verr(v, -CEN_ERANGE, line, cobj,
			     "bandwidth_mbps 0 out of range: at least 1 Mbps");
		else if (c->bandwidth_mbps > b->bandwidth_mbps)
			verr(v, -CEN_ERANGE, line, cobj,
			     "bandwidth_mbps %u exceeds the package: each "
			     "connection must be <= package %u Mbps",
			     c->bandwidth_mbps, b->bandwidth_mbps);
		if (c->cap_bytes != 0 && !c->pay_by_transfer)
			verr(v, -CEN_EINVAL, line, cobj,
			     "cap_bytes is only for pay_by_transfer "
			     "connections; set pay_by_transfer or remove "
			     "cap_bytes");
		sum += c->bandwidth_mbps;
	}
	if (sum <= b->bandwidth_mbps)
		return;
	if (v->prev != NULL && model_id_valid(b->id))
		old = model_find_bwp(v->prev, b->id);
	if (old != NULL && old->bandwidth_mbps > b->bandwidth_mbps)
		verr(v, -CEN_ECONFLICT, b->line, obj,
		     "bandwidth_mbps: cannot shrink package %s to %u Mbps "
		     "below the sum of its connection limits %llu Mbps; lower "
		     "the connection limits first",
		     b->id, b->bandwidth_mbps, (unsigned long long)sum);
	else
		verr(v, -CEN_ECONFLICT, b->line, obj,
		     "connections: sum of connection limits %llu Mbps exceeds "
		     "package bandwidth %u Mbps; lower the limits or raise the "
		     "package",
		     (unsigned long long)sum, b->bandwidth_mbps);
}

/*
 * Validation: the precomputed indexes
 */

static int
troute_keycmp(const struct sent *a, const struct sent *b)
{
	const struct model_table_route *x = a->obj, *y = b->obj;
	int c = strncmp(x->table, y->table, MODEL_ID_MAX);

	return c != 0 ? c : pfx_order(&x->prefix, &y->prefix);
}

static int
troute_sortcmp(const void *x, const void *y)
{
	const struct sent *a = x, *b = y;
	int c = troute_keycmp(a, b);

	return c != 0 ? c : icmp(a->i, b->i);
}

static int
vlan_keycmp(const struct sent *a, const struct sent *b)
{
	const struct model_attachment *x = a->obj, *y = b->obj;
	int c = strncmp(x->physical_connection, y->physical_connection,
			MODEL_ID_MAX);

	return c != 0 ? c : (int)x->vlan - (int)y->vlan;
}

static int
vlan_sortcmp(const void *x, const void *y)
{
	const struct sent *a = x, *b = y;
	int c = vlan_keycmp(a, b);

	return c != 0 ? c : icmp(a->i, b->i);
}

static int
rmap_keycmp(const struct sent *a, const struct sent *b)
{
	const struct model_rmap *x = a->obj, *y = b->obj;
	int c = strncmp(x->region, y->region, MODEL_ID_MAX);

	if (c != 0)
		return c;
	if (x->direction != y->direction)
		return (int)x->direction - (int)y->direction;
	c = strncmp(a->key, b->key, MODEL_ID_MAX);
	if (c != 0)
		return c;
	return (int)x->priority - (int)y->priority;
}

static int
rmap_sortcmp(const void *x, const void *y)
{
	const struct sent *a = x, *b = y;
	int c = rmap_keycmp(a, b);

	return c != 0 ? c : icmp(a->i, b->i);
}

/* The region pair of a package in a fixed order. */
static void
bwp_pair(const struct model_bwp *b, const char **lo, const char **hi)
{
	bool swap = strncmp(b->regions[0], b->regions[1], MODEL_ID_MAX) > 0;

	*lo = b->regions[swap ? 1 : 0];
	*hi = b->regions[swap ? 0 : 1];
}

static int
bwp_keycmp(const struct sent *a, const struct sent *b)
{
	const char *alo, *ahi, *blo, *bhi;
	int c;

	bwp_pair(a->obj, &alo, &ahi);
	bwp_pair(b->obj, &blo, &bhi);
	c = strncmp(alo, blo, MODEL_ID_MAX);
	return c != 0 ? c : strncmp(ahi, bhi, MODEL_ID_MAX);
}

static int
bwp_sortcmp(const void *x, const void *y)
{
	const struct sent *a = x, *b = y;
	int c = bwp_keycmp(a, b);

	return c != 0 ? c : icmp(a->i, b->i);
}

/* Sorts the entries and marks duplicates; NULL on allocation failure. */
static size_t *
dups_of(struct sent *e, size_t n, size_t total,
	int (*sortcmp)(const void *, const void *),
	int (*keycmp)(const struct sent *, const struct sent *))
{
	if (n > 1)
		qsort(e, n, sizeof(*e), sortcmp);
	return mark_dups(e, n, total, keycmp);
}

static size_t
maxz(size_t a, size_t b)
{
	return a > b ? a : b;
}

static int
vctx_build(struct vctx *v)
{
	const struct model *m = v->m;
	struct sent *e;
	size_t n, total;

#define BUILD(ix, arr, cnt, T)                                                 \
	if (index_build(&v->ix, m->arr, m->cnt, sizeof(T), offsetof(T, id),    \
			offsetof(T, line)) < 0)                                \
		return -CEN_ENOMEM;
	BUILD(regions, regions, nregions, struct model_region)
	BUILD(tables, tables, ntables, struct model_table)
	BUILD(pcs, pcs, npcs, struct model_pc)
	BUILD(atts, attachments, nattachments, struct model_attachment)
	BUILD(bwps, bwps, nbwps, struct model_bwp)
#undef BUILD

	n = maxz(m->nregions, 1);
	v->sys_count = calloc(n, sizeof(size_t));
	v->sys_first = calloc(n, sizeof(size_t));
	v->sys_second = calloc(n, sizeof(size_t));
	if (v->sys_count == NULL || v->sys_first == NULL ||
	    v->sys_second == NULL)
		return -CEN_ENOMEM;
	for (size_t i = 0; i < m->ntables; i++) {
		const struct sent *r;

		if (!m->tables[i].system)
			continue;
		r = index_find(&v->regions, m->tables[i].region);
		if (r == NULL)
			continue;
		if (v->sys_count[r->i] == 0)
			v->sys_first[r->i] = i;
		else if (v->sys_count[r->i] == 1)
			v->sys_second[r->i] = i;
		v->sys_count[r->i]++;
	}

	/* one scratch array, large enough for every kind */
	total = maxz(maxz(m->ntable_routes, m->nattachments),
		     maxz(m->nrmaps, m->nbwps));
	e = calloc(maxz(total, 1), sizeof(*e));
	if (e == NULL)
		return -CEN_ENOMEM;

	for (size_t i = 0; i < m->ntable_routes; i++)
		e[i] = (struct sent){ .obj = &m->table_routes[i], .i = i };
	v->troute_dup = dups_of(e, m->ntable_routes, m->ntable_routes,
				troute_sortcmp, troute_keycmp);

	n = 0;
	for (size_t i = 0; i < m->nattachments; i++)
		if (m->attachments[i].type == MODEL_ATT_VBR &&
		    m->attachments[i].physical_connection[0] != '\0')
			e[n++] = (struct sent){ .obj = &m->attachments[i],
						.i = i };
	v->vlan_dup = dups_of(e, n, m->nattachments, vlan_sortcmp, vlan_keycmp);

	v->rmap_table = calloc(maxz(m->nrmaps, 1), sizeof(*v->rmap_table));
	if (v->rmap_table == NULL) {
		free(e);
		return -CEN_ENOMEM;
	}
	for (size_t i = 0; i < m->nrmaps; i++) {
		const struct model_rmap *r = &m->rmaps[i];
		const struct sent *reg = index_find(&v->regions, r->region);
		const char *t = r->route_table;

		if (t[0] == '\0' && reg != NULL && v->sys_count[reg->i] > 0)
			t = m->tables[v->sys_first[reg->i]].id;
		v->rmap_table[i] = t;
		e[i] = (struct sent){ .obj = r, .key = t, .i = i };
	}
	v->rmap_dup =
		dups_of(e, m->nrmaps, m->nrmaps, rmap_sortcmp, rmap_keycmp);

	n = 0;
	for (size_t i = 0; i < m->nbwps; i++)
		if (m->bwps[i].regions[0][0] != '\0' &&
		    m->bwps[i].regions[1][0] != '\0')
			e[n++] = (struct sent){ .obj = &m->bwps[i], .i = i };
	v->bwp_dup = dups_of(e, n, m->nbwps, bwp_sortcmp, bwp_keycmp);
	free(e);

	if (v->troute_dup == NULL || v->vlan_dup == NULL ||
	    v->rmap_dup == NULL || v->bwp_dup == NULL)
		return -CEN_ENOMEM;
	return 0;
}

static void
vctx_free(struct vctx *v)
{
	free(v->regions.e);
	free(v->tables.e);
	free(v->pcs.e);
	free(v->atts.e);
	free(v->bwps.e);
	free(v->sys_count);
	free(v->sys_first);
	free(v->sys_second);
	free(v->troute_dup);
	free(v->vlan_dup);
	free(v->rmap_dup);
	free(v->bwp_dup);
	free(v->rmap_table);
}

int
model_validate(const struct model *m, const struct model *prev,
	       struct cen_err *err)
{
	struct vctx v;

	memset(&v, 0, sizeof(v));
	v.m = m;
	v.prev = prev;
	v.err = err;
	if (vctx_build(&v) < 0) {
		vctx_free(&v);
		return cen_err_add(err, -CEN_ENOMEM,
				   "validation: out of memory");
	}
	check_cen(&v);
	check_regions(&v);
	check_cluster_ids(&v);
	check_tables(&v);
	for (size_t i = 0; i < m->ntable_routes; i++)
		check_table_route(&v, i);
	check_pcs(&v);
	for (size_t i = 0; i < m->nattachments; i++)
		check_attachment(&v, i);
	for (size_t i = 0; i < m->nrmaps; i++)
		check_rmap(&v, i);
	for (size_t i = 0; i < m->nbwps; i++)
		check_bwp(&v, i);
	if (v.nomem)
		verr(&v, -CEN_ENOMEM, 0, "validation",
		     "out of memory; some duplicate checks were skipped");
	vctx_free(&v);
	return v.code;
}
