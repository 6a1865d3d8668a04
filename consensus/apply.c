/*
 * apply.c - applies one replicated command (proto/command.proto) to the
 * engine and, in the same breath, to the LMDB store transaction of the entry
 * being applied.
 *
 * Runs on every node for every committed entry, so it is deterministic: the
 * outcome depends on the command and the applied state only.  A command that
 * the engine refuses (a model that does not validate, a path for an unknown
 * attachment) changes nothing and reports why; the entry still counts as
 * applied.
 */
#include <stdlib.h>
#include <string.h>

#include "consensus/apply.h"
#include "core/model_yaml.h"

/* The IDs of a model's attachments, then of its regions (for forgetting
 * removed ones); the regions start at *nregions_at. */
static char **
att_ids(const struct model *m, size_t *n, size_t *regions_at)
{
	char **v = calloc(m->nattachments + m->nregions + 1, sizeof(*v));

	*n = 0;
	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < m->nattachments; i++)
		v[(*n)++] = strdup(m->attachments[i].id);
	*regions_at = *n;
	for (size_t i = 0; i < m->nregions; i++)
		v[(*n)++] = strdup(m->regions[i].id);
	return v;
}

/* Writes the applied model; the paths and health of attachments it no
 * longer has go from the store too, so that an attachment created later
 * under the same ID starts empty on every node, restarted or not; so does
 * the state of a region it no longer has. */
static int
store_model(struct store_txn *t, struct engine *e, char **before,
	    size_t nbefore, size_t regions_at, struct cen_err *err)
{
	const struct model *m = engine_model(e);
	int rc = store_put_model(t, m);

	if (rc != 0)
		return cen_errf(err, rc, "store: cannot write the model");
	for (size_t i = regions_at; i < nbefore; i++) {
		if (before[i] == NULL || model_find_region(m, before[i]))
			continue;
		if ((rc = store_put_region_state(t, before[i], true)) < 0)
			return cen_errf(err, rc, "store: cannot forget %s",
					before[i]);
	}
	for (size_t i = 0; i < regions_at; i++) {
		if (before[i] == NULL || model_find_attachment(m, before[i]))
			continue;
		rc = store_del_paths_of(t, before[i], NULL);
		if (rc >= 0)
			rc = store_put_health(t, before[i], true);
		if (rc < 0)
			return cen_errf(err, rc, "store: cannot forget %s",
					before[i]);
	}
	return 0;
}

static void
ids_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
parse_yaml(const char *yaml, struct model *m, struct cen_err *err)
{
	model_init(m);
	return model_yaml_parse(m, yaml, strlen(yaml), err);
}

/* Puts every object of `add` into m (replacing those with the same key). */
static int
merge(struct model *m, const struct model *add)
{
	int rc = 0;

	if (add->has_cen) {
		m->has_cen = true;
		m->cen = add->cen;
	}
	for (size_t i = 0; rc == 0 && i < add->nregions; i++)
		rc = model_put_region(m, &add->regions[i]);
	for (size_t i = 0; rc == 0 && i < add->ntables; i++)
		rc = model_put_table(m, &add->tables[i]);
	for (size_t i = 0; rc == 0 && i < add->ntable_routes; i++)
		rc = model_put_table_route(m, &add->table_routes[i]);
	for (size_t i = 0; rc == 0 && i < add->npcs; i++)
		rc = model_put_pc(m, &add->pcs[i]);
	for (size_t i = 0; rc == 0 && i < add->nattachments; i++)
		rc = model_put_attachment(m, &add->attachments[i]);
	for (size_t i = 0; rc == 0 && i < add->nrmaps; i++)
		rc = model_put_rmap(m, &add->rmaps[i]);
	for (size_t i = 0; rc == 0 && i < add->nbwps; i++)
		rc = model_put_bwp(m, &add->bwps[i]);
	return rc;
}

int
apply_merge(const struct model *cur, const char *yaml, struct model *out,
	    struct cen_err *err)
{
	struct model add;
	int rc;

	model_init(out);
	rc = parse_yaml(yaml, &add, err);
	if (rc == 0) {
		model_free(out);
		rc = model_clone(out, cur);
	}
	if (rc == 0 && (rc = merge(out, &add)) != 0)
		cen_errf(err, rc, "cannot merge: %s", cen_strerror(rc));
	model_free(&add);
	return rc;
}

static int
del_key(struct model *m, const Cend__V1__ObjectKey *k, struct cen_err *err)
{
	const char *id = k->id != NULL ? k->id : "";
	struct prefix p;
	int rc;

	switch (k->kind) {
	case CEND__V1__OBJECT_KIND__OBJECT_KIND_REGION:
		rc = model_del_region(m, id);
		break;
	case CEND__V1__OBJECT_KIND__OBJECT_KIND_ROUTE_TABLE:
		rc = model_del_table(m, id);
		break;
	case CEND__V1__OBJECT_KIND__OBJECT_KIND_PHYSICAL_CONNECTION:
		rc = model_del_pc(m, id);
		break;
	case CEND__V1__OBJECT_KIND__OBJECT_KIND_ATTACHMENT:
		rc = model_del_attachment(m, id);
		break;
	case CEND__V1__OBJECT_KIND__OBJECT_KIND_BANDWIDTH_PACKAGE:
		rc = model_del_bwp(m, id);
		break;
	case CEND__V1__OBJECT_KIND__OBJECT_KIND_ROUTE_MAP: {
		uint8_t dir = model_dir_parse(k->direction ? k->direction : "");

		if (dir == 0 || k->priority < 1 || k->priority > 100)
			return cen_errf(err, -CEN_EINVAL,
					"route map key needs direction "
					"RegionIn|RegionOut and priority "
					"1..100");
		rc = model_del_rmap(m, k->region ? k->region : "", dir,
				    k->route_table ? k->route_table : "",
				    (uint8_t)k->priority);
		break;
	}
	case CEND__V1__OBJECT_KIND__OBJECT_KIND_STATIC_ROUTE:
		rc = store_prefix_unpack(k->prefix.data, k->prefix.len, &p,
					 err);
		if (rc != 0)
			return rc;
		rc = model_del_table_route(
			m, k->route_table ? k->route_table : "", &p);
		break;
	case CEND__V1__OBJECT_KIND__OBJECT_KIND_CEN:
		if (m->nregions > 0 || m->nattachments > 0)
			return cen_errf(err, -CEN_EINUSE,
					"cen %s still has regions or "
					"attachments: delete them first",
					m->cen.id);
		m->has_cen = false;
		rc = 0;
		break;
	default:
		return cen_errf(err, -CEN_EINVAL,
				"delete: unknown object kind "
				"%d",
				(int)k->kind);
	}
	if (rc == -CEN_ENOENT)
		return cen_errf(err, rc, "%s does not exist",
				id[0] ? id : "that object");
	return rc;
}

/*
 * The attribute sets of one PathUpdate: its adds mostly share a few (all
 * the routes of one BGP UPDATE have the same), so each distinct message is
 * converted, interned and packed for the store once, not once per add.
 */
#define ATTRS_CACHE 8

struct attrs_cache {
	struct {
		const Cend__V1__PathAttrs *msg;
		const struct attrs *attrs; /* a reference held here */
		uint8_t *val;		   /* store_attrs_pack of attrs */
		size_t vlen;
	} e[ATTRS_CACHE];
	size_t n, next; /* entries used, the next to replace */
};

static bool
u32s_equal(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
}

static bool
bytes_equal(const ProtobufCBinaryData *a, const ProtobufCBinaryData *b)
{
	return a->len == b->len &&
	       (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Whether two messages give the same attribute set (every field that
 * store_attrs_from_msg reads). */
static bool
pathattrs_equal(const Cend__V1__PathAttrs *a, const Cend__V1__PathAttrs *b)
{
	return a == b ||
	       (a->origin == b->origin && a->preference == b->preference &&
		a->weight == b->weight && a->has_med == b->has_med &&
		a->med == b->med && a->has_local_pref == b->has_local_pref &&
		a->local_pref == b->local_pref &&
		a->atomic_aggregate == b->atomic_aggregate &&
		a->aggregator_as == b->aggregator_as &&
		a->aggregator_id == b->aggregator_id &&
		a->originator_id == b->originator_id &&
		u32s_equal(a->as_path, a->n_as_path, b->as_path,
			   b->n_as_path) &&
		u32s_equal(a->communities, a->n_communities, b->communities,
			   b->n_communities) &&
		u32s_equal(a->large_communities, a->n_large_communities,
			   b->large_communities, b->n_large_communities) &&
		u32s_equal(a->cluster_list, a->n_cluster_list, b->cluster_list,
			   b->n_cluster_list) &&
		bytes_equal(&a->next_hop, &b->next_hop) &&
		bytes_equal(&a->opaque, &b->opaque));
}

/* The interned set of m and its packed form: 0, or an error about m. */
static int
attrs_cache_get(struct attrs_cache *c, struct attr_store *as,
		const Cend__V1__PathAttrs *m, size_t *slot, struct cen_err *err)
{
	const struct attrs *a;
	uint8_t *val;
	size_t vlen, i;
	int rc;

	for (i = 0; i < c->n; i++) {
		if (pathattrs_equal(c->e[i].msg, m)) {
			*slot = i;
			return 0;
		}
	}
	rc = store_attrs_from_msg(as, m, &a, err);
	if (rc != 0)
		return rc;
	rc = store_attrs_pack(a, &val, &vlen);
	if (rc != 0) {
		attr_unref(as, a);
		return cen_errf(err, rc, "out of memory");
	}
	if (c->n < ATTRS_CACHE) {
		i = c->n++;
	} else {
		i = c->next;
		c->next = (c->next + 1) % ATTRS_CACHE;
		attr_unref(as, c->e[i].attrs);
		free(c->e[i].val);
	}
	c->e[i].msg = m;
	c->e[i].attrs = a;
	c->e[i].val = val;
	c->e[i].vlen = vlen;
	*slot = i;
	return 0;
}

static void
attrs_cache_fini(struct attrs_cache *c, struct attr_store *as)
{
	for (size_t i = 0; i < c->n; i++) {
		attr_unref(as, c->e[i].attrs);
		free(c->e[i].val);
	}
}

/* The prefixes of groups[i], each added as a PathAdd of the group's
 * attribute set would be (the set converted once for the group). */
static int
apply_group(struct engine *e, struct store_txn *t,
	    const Cend__V1__PathUpdate *u, size_t i, struct attrs_cache *cache,
	    struct engine_path_in *in, struct cen_err *err)
{
	const Cend__V1__PathGroup *g = u->groups[i];
	struct store_prefix_iter it;
	size_t k = 0;
	int rc;

	if (g->attrs == NULL)
		return cen_errf(err, -CEN_EINVAL,
				"paths: groups[%zu]: attrs missing", i);
	rc = attrs_cache_get(cache, engine_attrs(e), g->attrs, &k, err);
	if (rc != 0)
		return cen_err_prefix(err, "paths: groups[%zu].attrs: ", i);
	in->attrs = cache->e[k].attrs;
	store_prefix_iter_init(&it, g->prefixes.data, g->prefixes.len, i);
	while ((rc = store_prefix_iter_next(&it, &in->prefix, err)) > 0) {
		rc = engine_path_add(e, in, err);
		if (rc == 0)
			rc = store_put_path_val(
				t, u->attachment, &in->peer, in->node,
				&in->prefix, cache->e[k].val, cache->e[k].vlen);
		if (rc != 0)
			return rc;
	}
	if (rc < 0)
		return cen_err_prefix(err, "paths: ");
	return 0;
}

static int
apply_paths(struct engine *e, struct store_txn *t,
	    const Cend__V1__PathUpdate *u, struct cen_err *err)
{
	struct prefix peer = { 0 };
	struct engine_path_in in = { 0 };
	struct attrs_cache cache = { 0 };
	int rc;

	if (u->attachment == NULL || u->attachment[0] == '\0')
		return cen_errf(err, -CEN_EINVAL, "paths: attachment missing");
	if (u->node > 255)
		return cen_errf(err, -CEN_ERANGE,
				"paths: node %u out of range 0..255", u->node);
	if (u->peer.len > 0 &&
	    (rc = store_prefix_unpack(u->peer.data, u->peer.len, &peer, err)) !=
		    0)
		return cen_err_prefix(err, "paths: peer: ");
	in.attachment = u->attachment;
	in.peer = peer;
	in.node = (uint8_t)u->node;
	for (size_t i = 0; i < u->n_withdraws; i++) {
		struct prefix p;

		rc = store_prefix_unpack(u->withdraws[i].data,
					 u->withdraws[i].len, &p, err);
		if (rc != 0)
			return cen_err_prefix(err,
					      "paths: withdraws[%zu]: ", i);
		/* withdrawing what is not there is not an error: peers do */
		if (engine_path_del(e, u->attachment, &peer, &p, NULL) == 0)
			store_del_path(t, u->attachment, &peer, &p);
	}
	rc = 0;
	for (size_t i = 0; rc == 0 && i < u->n_adds; i++) {
		const Cend__V1__PathAdd *a = u->adds[i];
		size_t k = 0;

		rc = store_prefix_unpack(a->prefix.data, a->prefix.len,
					 &in.prefix, err);
		if (rc != 0) {
			rc = cen_err_prefix(err,
					    "paths: adds[%zu].prefix: ", i);
			break;
		}
		if (a->attrs == NULL) {
			rc = cen_errf(err, -CEN_EINVAL,
				      "paths: adds[%zu]: attrs missing", i);
			break;
		}
		rc = attrs_cache_get(&cache, engine_attrs(e), a->attrs, &k,
				     err);
		if (rc != 0) {
			rc = cen_err_prefix(err, "paths: adds[%zu].attrs: ", i);
			break;
		}
		in.attrs = cache.e[k].attrs;
		rc = engine_path_add(e, &in, err);
		if (rc == 0)
			rc = store_put_path_val(
				t, u->attachment, &peer, in.node, &in.prefix,
				cache.e[k].val, cache.e[k].vlen);
	}
	for (size_t i = 0; rc == 0 && i < u->n_groups; i++)
		rc = apply_group(e, t, u, i, &cache, &in, err);
	attrs_cache_fini(&cache, engine_attrs(e));
	return rc;
}

int
apply_command(struct engine *e, struct store_txn *t, const Cend__V1__Command *c,
	      struct apply_hooks *hooks, struct cen_err *err)
{
	struct model m;
	char **before;
	size_t nbefore, regions_at = 0;
	int rc;

	cen_err_clear(err);
	switch (c->cmd_case) {
	case CEND__V1__COMMAND__CMD_APPLY_YAML:
		rc = parse_yaml(c->apply_yaml, &m, err);
		break;
	case CEND__V1__COMMAND__CMD_MERGE_YAML:
		rc = apply_merge(engine_model(e), c->merge_yaml, &m, err);
		break;
	case CEND__V1__COMMAND__CMD_DELETE:
		if (c->delete_ == NULL)
			return cen_errf(err, -CEN_EINVAL,
					"delete: key missing");
		rc = model_clone(&m, engine_model(e));
		if (rc == 0)
			rc = del_key(&m, c->delete_, err);
		break;
	case CEND__V1__COMMAND__CMD_PATHS:
		return apply_paths(e, t, c->paths, err);
	case CEND__V1__COMMAND__CMD_HEALTH:
		rc = engine_set_health(e, c->health->attachment, c->health->up,
				       err);
		if (rc == 0)
			rc = store_put_health(t, c->health->attachment,
					      c->health->up);
		return rc;
	case CEND__V1__COMMAND__CMD_FLUSH: {
		struct prefix peer = { 0 };

		if (c->flush->peer.len > 0 &&
		    (rc = store_prefix_unpack(c->flush->peer.data,
					      c->flush->peer.len, &peer,
					      err)) != 0)
			return rc;
		if (c->flush->node > 255)
			return cen_errf(err, -CEN_ERANGE,
					"flush: node %u out of range 0..255",
					c->flush->node);
		rc = engine_peer_flush_node(e, c->flush->attachment, &peer,
					    (uint8_t)c->flush->node, err);
		if (rc == 0)
			rc = peer.family != PREFIX_AF_NONE
				     ? store_del_paths_of_node(
					       t, c->flush->attachment, &peer,
					       (uint8_t)c->flush->node)
				     : store_del_paths_of(
					       t, c->flush->attachment, &peer);
		if (rc >= 0 && hooks != NULL && hooks->flushed != NULL)
			hooks->flushed(c->flush->attachment, &peer,
				       (uint8_t)c->flush->node, hooks->arg);
		return rc < 0 ? rc : 0;
	}
	case CEND__V1__COMMAND__CMD_MEMBER:
		if (hooks != NULL && hooks->member != NULL)
			hooks->member(c->member, hooks->arg);
		return 0;
	case CEND__V1__COMMAND__CMD_REGION_STATE:
		if (c->region_state->region == NULL ||
		    c->region_state->region[0] == '\0')
			return cen_errf(err, -CEN_EINVAL,
					"region state: region missing");
		rc = engine_set_region_reachable(e, c->region_state->region,
						 c->region_state->reachable,
						 err);
		if (rc == 0)
			rc = store_put_region_state(t, c->region_state->region,
						    c->region_state->reachable);
		return rc;
	default:
		return cen_errf(err, -CEN_EINVAL, "unknown command");
	}
	/* the model commands end here */
	before = att_ids(engine_model(e), &nbefore, &regions_at);
	if (before == NULL)
		rc = cen_errf(err, -CEN_ENOMEM, "out of memory");
	if (rc == 0)
		rc = engine_apply(e, &m, err);
	if (rc == 0)
		rc = store_model(t, e, before, nbefore, regions_at, err);
	ids_free(before, nbefore);
	model_free(&m);
	return rc;
}
