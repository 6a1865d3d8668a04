/*
 * simulate.c - `cenctl simulate`: run the route engine offline on a topology
 * file and a file of announced routes, and print what every attachment
 * learns (with state and reason) and the FIB of every region.
 *
 * The routes file:
 *
 *   routes:
 *     - attachment: vbr-dc-1      # a VBR, VPN or CCN attachment
 *       peer: 127.0.0.11          # the BGP peer it came from
 *       prefixes: [172.16.0.0/16, 2001:db8::/32]
 *       as_path: [65001]          # optional
 *       communities: ["65001:100"] # optional
 *       preference: 50            # optional, 1..100
 *   health:                       # optional: health-check results
 *     - attachment: vbr-dc-2
 *       up: false
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cli/cenctl.h"
#include "core/engine.h"
#include "core/model_yaml.h"

/* ---- the routes file ------------------------------------------------ */

static const char *
scalar(yaml_document_t *d, yaml_node_t *n)
{
	return n != NULL && n->type == YAML_SCALAR_NODE
		       ? (const char *)n->data.scalar.value
		       : NULL;
}

static int
bad(struct cen_err *err, yaml_node_t *n, const char *what)
{
	return cen_err_add(err, -CEN_EPARSE, "line %zu: %s",
			   n != NULL ? n->start_mark.line + 1 : 0, what);
}

static int
parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long long x;

	if (s == NULL || *s == '\0' || *s == '-')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static int
announce(struct engine *e, yaml_document_t *d, yaml_node_t *item,
	 struct cen_err *err)
{
	struct attr_store *st = engine_attrs(e);
	const char *att = NULL, *peer = NULL;
	yaml_node_t *prefixes = NULL, *aspath = NULL, *comms = NULL;
	uint32_t asns[64], cv[64], pref = ATTR_PREF_DEFAULT;
	uint32_t nas = 0, nc = 0;
	struct attrs a;
	const struct attrs *ia;
	struct engine_path_in in;
	int rc = 0;

	for (yaml_node_pair_t *p = item->data.mapping.pairs.start;
	     p < item->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);
		yaml_node_t *v = yaml_document_get_node(d, p->value);
		const char *key = scalar(d, k);

		if (key == NULL)
			return bad(err, k, "expected a field name");
		if (strcmp(key, "attachment") == 0)
			att = scalar(d, v);
		else if (strcmp(key, "peer") == 0)
			peer = scalar(d, v);
		else if (strcmp(key, "prefixes") == 0)
			prefixes = v;
		else if (strcmp(key, "as_path") == 0)
			aspath = v;
		else if (strcmp(key, "communities") == 0)
			comms = v;
		else if (strcmp(key, "preference") == 0) {
			if (parse_u32(scalar(d, v), &pref) != 0 ||
			    pref < ATTR_PREF_MIN || pref > ATTR_PREF_MAX)
				return bad(err, v,
					   "preference: expected 1..100");
		} else {
			char msg[128];

			snprintf(msg, sizeof(msg),
				 "unknown field '%s'; expected attachment, "
				 "peer, prefixes, as_path, communities, "
				 "preference",
				 key);
			return bad(err, k, msg);
		}
	}
	if (att == NULL || prefixes == NULL ||
	    prefixes->type != YAML_SEQUENCE_NODE)
		return bad(err, item, "a route needs attachment and prefixes");
	if (aspath != NULL && aspath->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *i = aspath->data.sequence.items.start;
		     i < aspath->data.sequence.items.top && nas < 64; i++) {
			yaml_node_t *n = yaml_document_get_node(d, *i);

			if (parse_u32(scalar(d, n), &asns[nas]) != 0)
				return bad(err, n, "as_path: expected ASNs");
			nas++;
		}
	}
	if (comms != NULL && comms->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *i = comms->data.sequence.items.start;
		     i < comms->data.sequence.items.top && nc < 64; i++) {
			yaml_node_t *n = yaml_document_get_node(d, *i);

			if (attr_comm_parse(scalar(d, n), &cv[nc]) != 0)
				return bad(err, n,
					   "communities: expected \"n:m\"");
			nc++;
		}
	}
	attr_init(&a);
	a.pref = (uint8_t)pref;
	a.aspath = attr_aspath_seq(st, asns, nas);
	a.comms = nc > 0 ? attr_comms_intern(st, cv, nc) : NULL;
	ia = attr_intern(st, &a);
	memset(&in, 0, sizeof(in));
	in.attachment = att;
	in.node = 1;
	in.attrs = ia;
	if (peer != NULL && prefix_parse_addr(&in.peer, peer) != 0)
		rc = bad(err, item, "peer: expected an IP address");
	for (yaml_node_item_t *i = prefixes->data.sequence.items.start;
	     rc == 0 && i < prefixes->data.sequence.items.top; i++) {
		yaml_node_t *n = yaml_document_get_node(d, *i);
		struct cen_err perr = { 0 };

		if (prefix_parse(&in.prefix, scalar(d, n) ? scalar(d, n) : "",
				 true) != 0) {
			rc = bad(err, n, "prefixes: invalid prefix");
			break;
		}
		if (engine_path_add(e, &in, &perr) != 0)
			rc = bad(err, n, perr.msg);
	}
	attr_unref(st, ia);
	if (a.aspath != NULL)
		attr_aspath_unref(st, a.aspath);
	if (a.comms != NULL)
		attr_comms_unref(st, a.comms);
	return rc;
}

static int
load_routes(struct engine *e, const char *path, struct cen_err *err)
{
	FILE *f = fopen(path, "rb");
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int rc = 0;

	if (f == NULL)
		return cen_errf(err, -CEN_EIO, "%s: %s", path, strerror(errno));
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = cen_errf(err, -CEN_EPARSE, "%s: line %zu: %s", path,
			      parser.problem_mark.line + 1,
			      parser.problem ? parser.problem : "syntax error");
		yaml_parser_delete(&parser);
		fclose(f);
		return rc;
	}
	root = yaml_document_get_root_node(&doc);
	if (root != NULL && root->type != YAML_MAPPING_NODE)
		rc = bad(err, root, "expected sections routes and health");
	for (yaml_node_pair_t *p = root != NULL && rc == 0
					   ? root->data.mapping.pairs.start
					   : NULL;
	     p != NULL && p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&doc, p->value);
		const char *key = scalar(&doc, k);
		bool health;

		if (key == NULL || (strcmp(key, "routes") != 0 &&
				    strcmp(key, "health") != 0)) {
			rc = bad(err, k, "expected sections routes and health");
			continue;
		}
		health = strcmp(key, "health") == 0;
		if (v->type != YAML_SEQUENCE_NODE) {
			rc = bad(err, v, "expected a list");
			continue;
		}
		for (yaml_node_item_t *i = v->data.sequence.items.start;
		     i < v->data.sequence.items.top; i++) {
			yaml_node_t *item = yaml_document_get_node(&doc, *i);

			if (item->type != YAML_MAPPING_NODE) {
				rc = bad(err, item, "expected a mapping");
				continue;
			}
			if (!health) {
				if (announce(e, &doc, item, err) != 0)
					rc = -CEN_EPARSE;
				continue;
			}
			const char *att = NULL, *up = NULL;

			for (yaml_node_pair_t *q =
				     item->data.mapping.pairs.start;
			     q < item->data.mapping.pairs.top; q++) {
				const char *hk = scalar(
					&doc,
					yaml_document_get_node(&doc, q->key));
				const char *hv = scalar(
					&doc,
					yaml_document_get_node(&doc, q->value));

				if (hk != NULL && strcmp(hk, "attachment") == 0)
					att = hv;
				else if (hk != NULL && strcmp(hk, "up") == 0)
					up = hv;
			}
			if (att == NULL || up == NULL ||
			    engine_set_health(e, att, strcmp(up, "true") == 0,
					      NULL) != 0)
				rc = bad(err, item,
					 "health: expected attachment (an "
					 "existing ID) and up: true|false");
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

/* ---- output --------------------------------------------------------- */

struct out {
	struct cenctl *ctl;
	bool first;
	int count;
};

static const char *
reason_text(const struct engine_route *r, char *buf, size_t size)
{
	if (r->reason == ENGINE_REASON_ROUTE_MAP && r->rmap_priority != 0)
		snprintf(buf, size, "route-map-deny (priority %u)",
			 r->rmap_priority);
	else
		snprintf(buf, size, "%s", engine_reason_str(r->reason));
	return buf;
}

static int
route_cb(const struct engine_route *r, void *arg)
{
	struct out *o = arg;
	char pb[PREFIX_STRLEN], nb[256], ab[256], cb[256], rb[64];
	const char *type = model_route_type_str(r->route_type);

	if (o->ctl->json) {
		printf("%s{\"prefix\":\"%s\",\"next_hop\":",
		       o->first ? "" : ",",
		       prefix_fmt(&r->prefix, pb, sizeof(pb)));
		json_str(engine_nhg_fmt(r->nhg, nb, sizeof(nb)));
		printf(",\"type\":\"%s\",\"source\":", type);
		json_str(r->source);
		printf(",\"source_region\":");
		json_str(r->source_region);
		printf(",\"state\":\"%s\",\"reason\":",
		       engine_state_str(r->state));
		json_str(engine_reason_str(r->reason));
		if (r->rmap_priority != 0)
			printf(",\"route_map_priority\":%u", r->rmap_priority);
		printf(",\"preference\":%u,\"as_path\":",
		       r->attrs != NULL ? r->attrs->pref : 0);
		json_str(attr_aspath_fmt(r->attrs ? r->attrs->aspath : NULL, ab,
					 sizeof(ab)));
		printf(",\"communities\":");
		json_str(attr_comms_fmt(r->attrs ? r->attrs->comms : NULL, cb,
					sizeof(cb)));
		printf("}");
	} else {
		printf("  %-20s %-22s %-7s %-14s %-11s %-3u %-16s %s\n",
		       prefix_fmt(&r->prefix, pb, sizeof(pb)),
		       engine_nhg_fmt(r->nhg, nb, sizeof(nb)), type,
		       r->source[0] ? r->source : "(table)",
		       engine_state_str(r->state),
		       r->attrs != NULL ? r->attrs->pref : 0,
		       attr_aspath_fmt(r->attrs ? r->attrs->aspath : NULL, ab,
				       sizeof(ab)),
		       reason_text(r, rb, sizeof(rb)));
	}
	o->first = false;
	o->count++;
	return 0;
}

static void
fib_cb(const struct engine_delta *d, void *arg)
{
	struct out *o = arg;
	char pb[PREFIX_STRLEN], nb[256];
	const char *nh = d->nhg != NULL && d->nhg->n == 0
				 ? "(no route)"
				 : engine_nhg_fmt(d->nhg, nb, sizeof(nb));

	if (o->ctl->json) {
		printf("%s{\"region\":\"%s\",\"table\":\"%s\",\"view\":",
		       o->first ? "" : ",", d->region, d->table);
		if (d->view != NULL)
			json_str(d->view);
		else
			printf("null");
		printf(",\"prefix\":\"%s\",\"next_hops\":",
		       prefix_fmt(&d->prefix, pb, sizeof(pb)));
		json_str(nh);
		printf("}");
	} else {
		printf("  %-16s %-14s %-20s %s\n", d->table,
		       d->view != NULL ? d->view : "-",
		       prefix_fmt(&d->prefix, pb, sizeof(pb)), nh);
	}
	o->first = false;
}

static void
print_all(struct cenctl *ctl, struct engine *e)
{
	const struct model *m = engine_model(e);
	struct out o = { .ctl = ctl, .first = true };

	if (ctl->json)
		printf("{\"attachments\":[");
	for (size_t i = 0; i < m->nattachments; i++) {
		const struct model_attachment *a = &m->attachments[i];

		if (ctl->json) {
			printf("%s{\"id\":", i > 0 ? "," : "");
			json_str(a->id);
			printf(",\"type\":\"%s\",\"region\":",
			       model_att_type_str(a->type));
			json_str(a->region);
			printf(",\"routes\":[");
		} else {
			printf("\n%s (%s, %s) learns:\n", a->id,
			       model_att_type_str(a->type), a->region);
			printf("  %-20s %-22s %-7s %-14s %-11s %-3s %-16s %s\n",
			       "PREFIX", "NEXT HOP", "TYPE", "SOURCE", "STATE",
			       "PRF", "AS PATH", "REASON");
		}
		o.first = true;
		o.count = 0;
		engine_view_list(e, a->id, NULL, route_cb, &o);
		if (ctl->json)
			printf("]}");
		else if (o.count == 0)
			printf("  (nothing)\n");
	}
	if (ctl->json)
		printf("],\"fib\":[");
	o.first = true;
	for (size_t i = 0; i < m->nregions; i++) {
		if (!ctl->json) {
			printf("\nFIB of region %s:\n", m->regions[i].id);
			printf("  %-16s %-14s %-20s %s\n", "TABLE", "VIEW",
			       "PREFIX", "NEXT HOPS");
		}
		engine_fib_walk(e, m->regions[i].id, fib_cb, &o);
	}
	if (ctl->json)
		printf("],\"state_hash\":\"%016llx\"}\n",
		       (unsigned long long)engine_hash(e));
	else
		printf("\nstate hash %016llx\n",
		       (unsigned long long)engine_hash(e));
}

int
cenctl_simulate(struct cenctl *ctl, int argc, char **argv)
{
	const char *file = NULL, *routes = NULL;
	struct model m;
	struct cen_err err = { 0 };
	struct engine *e;
	int rc;

	for (int i = 0; i < argc; i++) {
		if ((strcmp(argv[i], "-f") == 0 ||
		     strcmp(argv[i], "--file") == 0) &&
		    i + 1 < argc)
			file = argv[++i];
		else if (strcmp(argv[i], "--routes") == 0 && i + 1 < argc)
			routes = argv[++i];
		else if (strcmp(argv[i], "-h") == 0 ||
			 strcmp(argv[i], "--help") == 0) {
			printf("usage: cenctl simulate -f TOPOLOGY.yaml "
			       "[--routes ROUTES.yaml] [-w table|json]\n\n"
			       "Runs the route engine offline: applies the "
			       "topology, announces the routes,\nand prints "
			       "what every attachment learns (state and "
			       "reason) and each\nregion's FIB.\n");
			return 0;
		} else {
			fprintf(stderr,
				"cenctl simulate: unexpected '%s' "
				"(try --help)\n",
				argv[i]);
			return 2;
		}
	}
	if (file == NULL) {
		fprintf(stderr, "cenctl simulate: -f FILE is required\n");
		return 2;
	}
	model_init(&m);
	rc = model_yaml_load_file(&m, file, &err);
	e = rc == 0 ? engine_new() : NULL;
	if (rc == 0 && e == NULL)
		rc = cen_errf(&err, -CEN_ENOMEM, "out of memory");
	if (rc == 0)
		rc = engine_apply(e, &m, &err);
	if (rc != 0) {
		fprintf(stderr, "cenctl: %s: refused:\n%s\n", file, err.msg);
		engine_free(e);
		model_free(&m);
		return 1;
	}
	if (routes != NULL && (rc = load_routes(e, routes, &err)) != 0) {
		fprintf(stderr, "cenctl: %s:\n%s\n", routes, err.msg);
		engine_free(e);
		model_free(&m);
		return 1;
	}
	engine_drain(e);
	print_all(ctl, e);
	engine_free(e);
	model_free(&m);
	return 0;
}
