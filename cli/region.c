/*
 * region.c - the regions of the CEN as cenctl sees them (DESIGN.md
 * "Regions", consensus/regionx.h):
 *
 *   `region list`: every region, as the cluster answering sees it
 *   (Admin/RegionList, answered by its leader, which runs the imports):
 *   for each other region the endpoint in use, the state of its stream
 *   (streaming, stale since, unreachable), the paths held for it, the last
 *   index imported and whether it runs the same model;
 *
 *   `apply -f FILE` with --endpoints of several regions: the endpoints'
 *   Status says which region each serves, and FILE is applied to each
 *   region's cluster (one Apply per region, through any endpoint of it that
 *   answers), with one result per region.  A region FILE names that no
 *   endpoint answered for is an error: nothing may end up applied to some
 *   regions only without saying so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cenctl.h"
#include "core/model.h"
#include "core/model_yaml.h"
#include "proto/admin.pb-c.h"

#define CENCTL_PROBE_MS 2000

/* ---- region list ------------------------------------------------------- */

const char cenctl_region_list_usage[] =
	"usage: cenctl region list\n\n"
	"Lists every region of the CEN as the cluster answering sees it (its "
	"leader\nanswers: it imports the other regions' paths).  For each "
	"other region:\nthe endpoint of its cluster in use, the state of the "
	"stream (streaming,\nstale for how long, unreachable: its routes are "
	"withdrawn here), the BGP\npaths held for its attachments, the last "
	"of its indexes imported, and\nwhether it runs the same model: "
	"\"in sync\", or \"DIFFERS (ours X, theirs Y)\"\nwhen the regions "
	"were given different configurations.  With -w json, an\narray of "
	"objects.  (`region show ID` prints a region's configuration.)\n";

static char *
dur(uint64_t ms, char *buf, size_t size)
{
	if (ms < 1000)
		snprintf(buf, size, "%llums", (unsigned long long)ms);
	else if (ms < 120000)
		snprintf(buf, size, "%llus", (unsigned long long)(ms / 1000));
	else if (ms < 7200000)
		snprintf(buf, size, "%llum", (unsigned long long)(ms / 60000));
	else
		snprintf(buf, size, "%lluh",
			 (unsigned long long)(ms / 3600000));
	return buf;
}

static char *
model_str(const Cend__V1__RegionInfo *r, char *buf, size_t size)
{
	if (r->local)
		snprintf(buf, size, "ours %016llx",
			 (unsigned long long)r->model_ours);
	else if (r->model_theirs == 0)
		snprintf(buf, size, "unknown");
	else if (r->model_in_sync)
		snprintf(buf, size, "in sync");
	else
		snprintf(buf, size, "DIFFERS (ours %016llx, theirs %016llx)",
			 (unsigned long long)r->model_ours,
			 (unsigned long long)r->model_theirs);
	return buf;
}

static void
region_json(const Cend__V1__RegionInfo *r, bool first)
{
	char hex[20];

	printf("%s{\"region\":", first ? "" : ",");
	json_str(r->region);
	printf(",\"local\":%s,\"in_model\":%s,\"system_table\":",
	       r->local ? "true" : "false", r->in_model ? "true" : "false");
	json_str(r->system_table);
	printf(",\"reachable\":%s,\"endpoints\":[",
	       r->reachable ? "true" : "false");
	for (size_t i = 0; i < r->n_endpoints; i++) {
		if (i > 0)
			putchar(',');
		json_str(r->endpoints[i]);
	}
	printf("],\"endpoint\":");
	json_str(r->endpoint);
	printf(",\"state\":");
	json_str(r->state);
	printf(",\"since_ms\":%llu,\"stale_ms\":%llu,\"paths\":%llu,"
	       "\"last_index\":%llu,\"model\":",
	       (unsigned long long)r->since_ms, (unsigned long long)r->stale_ms,
	       (unsigned long long)r->paths, (unsigned long long)r->last_index);
	json_str(r->local		? "local"
		 : r->model_theirs == 0 ? "unknown"
		 : r->model_in_sync	? "in sync"
					: "differs");
	snprintf(hex, sizeof(hex), "%016llx",
		 (unsigned long long)r->model_ours);
	printf(",\"model_ours\":");
	json_str(hex);
	snprintf(hex, sizeof(hex), "%016llx",
		 (unsigned long long)r->model_theirs);
	printf(",\"model_theirs\":");
	json_str(r->model_theirs != 0 ? hex : "");
	printf(",\"snapshots\":%llu,\"refused\":%llu,\"proposed\":%llu,"
	       "\"last_error\":",
	       (unsigned long long)r->snapshots, (unsigned long long)r->refused,
	       (unsigned long long)r->proposed);
	json_str(r->last_error);
	printf(",\"node\":%llu}", (unsigned long long)r->node);
}

int
cenctl_region_list(struct cenctl *ctl, struct opts *o, const void *data)
{
	static const char *const hdr[] = { "REGION",   "ROLE",	"REACHABLE",
					   "ENDPOINT", "STATE", "PATHS",
					   "INDEX",    "MODEL" };
	Cend__V1__RegionListRequest req = CEND__V1__REGION_LIST_REQUEST__INIT;
	Cend__V1__RegionListResponse *r;
	struct cen_err err = { 0 };
	struct table t;
	char buf[128], d[32];

	while (opts_next(o)) {
		if (opts_help(o))
			continue;
		if (!opts_arg(o, NULL))
			opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (cenctl_call(ctl, CENCTL_ADMIN("RegionList"), &req.base,
			&cend__v1__region_list_response__descriptor,
			(ProtobufCMessage **)&r, &err) != 0)
		return cenctl_fail(&err);
	if (ctl->json) {
		putchar('[');
		for (size_t i = 0; i < r->n_regions; i++)
			region_json(r->regions[i], i == 0);
		printf("]\n");
		cend__v1__region_list_response__free_unpacked(r, NULL);
		return 0;
	}
	table_init(&t, sizeof(hdr) / sizeof(hdr[0]), hdr);
	for (size_t i = 0; i < r->n_regions; i++) {
		const Cend__V1__RegionInfo *x = r->regions[i];

		table_cell(&t, x->region);
		table_cell(&t, x->local		    ? "local"
			       : x->n_endpoints > 0 ? "peer"
						    : "-");
		table_cell(&t, x->reachable ? "yes" : "NO");
		table_cell(&t, x->endpoint[0] ? x->endpoint : "-");
		if (x->local || x->n_endpoints == 0 ||
		    strcmp(x->state, "stopped") == 0)
			table_cell(&t, x->state);
		else
			table_cellf(&t, "%s %s", x->state,
				    dur(x->since_ms, d, sizeof(d)));
		table_cell_u64(&t, x->paths);
		if (x->local || x->n_endpoints == 0)
			table_cell(&t, "-");
		else
			table_cell_u64(&t, x->last_index);
		table_cell(&t, model_str(x, buf, sizeof(buf)));
	}
	table_print(&t);
	table_free(&t);
	for (size_t i = 0; i < r->n_regions; i++) {
		const Cend__V1__RegionInfo *x = r->regions[i];

		if (x->last_error[0] != '\0' &&
		    strcmp(x->state, "streaming") != 0)
			printf("%s: %s\n", x->region, x->last_error);
		if (!x->local && !x->in_model)
			printf("%s: --region-peer names it, the configuration "
			       "does not\n",
			       x->region);
	}
	cend__v1__region_list_response__free_unpacked(r, NULL);
	return 0;
}

/* ---- apply to every region ------------------------------------------- */

struct ep_region {
	char *region; /* NULL: no answer */
	char error[CEN_ERRMSG_SIZE];
};

/* The regions FILE names (its model is valid: the caller checked). */
static size_t
file_regions(const char *yaml, char (**out)[MODEL_ID_MAX])
{
	struct model m;
	struct cen_err err = { 0 };
	size_t n = 0;

	*out = NULL;
	model_init(&m);
	if (model_yaml_parse(&m, yaml, strlen(yaml), &err) == 0) {
		*out = calloc(m.nregions + 1, sizeof(**out));
		for (size_t i = 0; *out != NULL && i < m.nregions; i++)
			snprintf((*out)[n++], MODEL_ID_MAX, "%s",
				 m.regions[i].id);
	}
	model_free(&m);
	return n;
}

void
cenctl_apply_warn_regions(struct cenctl *ctl, const char *file,
			  const char *yaml)
{
	Cend__V1__StatusRequest sreq = CEND__V1__STATUS_REQUEST__INIT;
	Cend__V1__StatusResponse *s;
	char(*named)[MODEL_ID_MAX] = NULL;
	struct cen_err e = { 0 };
	size_t n;

	n = file_regions(yaml, &named);
	sreq.skip_state_hash = true;
	if (n > 1 && cenctl_call(ctl, CENCTL_ADMIN("Status"), &sreq.base,
				 &cend__v1__status_response__descriptor,
				 (ProtobufCMessage **)&s, &e) == 0) {
		for (size_t i = 0; i < n; i++)
			if (strcmp(named[i], s->region) != 0)
				fprintf(stderr,
					"cenctl: warning: %s names region %s "
					"too, whose own cluster was not given: "
					"apply it there as well, or the "
					"regions "
					"run different models (`cenctl region "
					"list` shows DIFFERS until they "
					"agree); "
					"give the endpoints of every region to "
					"apply it everywhere at once\n",
					file, named[i]);
		cend__v1__status_response__free_unpacked(s, NULL);
	}
	free(named);
}

/* Apply through the endpoints of one region (ctl's list swapped for
 * them). */
static int
apply_one(struct cenctl *ctl, char **eps, size_t neps, const char *yaml,
	  bool dry_run, Cend__V1__ApplyResponse **r, struct cen_err *err)
{
	Cend__V1__ApplyRequest req = CEND__V1__APPLY_REQUEST__INIT;
	char *saved[CENCTL_ENDPOINTS_MAX];
	size_t nsaved = ctl->neps;
	int rc;

	memcpy(saved, ctl->eps, sizeof(saved));
	memcpy(ctl->eps, eps, neps * sizeof(*eps));
	ctl->neps = neps;
	req.yaml = (char *)yaml;
	req.dry_run = dry_run;
	rc = cenctl_call(ctl, CENCTL_ADMIN("Apply"), &req.base,
			 &cend__v1__apply_response__descriptor,
			 (ProtobufCMessage **)r, err);
	memcpy(ctl->eps, saved, sizeof(saved));
	ctl->neps = nsaved;
	return rc;
}

int
cenctl_apply_regions(struct cenctl *ctl, const char *file, const char *yaml,
		     bool dry_run)
{
	Cend__V1__StatusRequest sreq = CEND__V1__STATUS_REQUEST__INIT;
	struct ep_region er[CENCTL_ENDPOINTS_MAX] = { { 0 } };
	char *regions[CENCTL_ENDPOINTS_MAX];
	char(*named)[MODEL_ID_MAX] = NULL;
	struct cen_err err = { 0 };
	size_t nregions = 0, nnamed;
	uint32_t timeout;
	int rc = 0;

	if (cenctl_client_init(ctl, &err) != 0)
		return cenctl_fail(&err);
	if (ctl->neps < 2)
		return -1;
	/* which region each endpoint serves (asked with a short timeout: a
	 * node that is down must not hold up an apply to one cluster) */
	sreq.skip_state_hash = true;
	timeout = ctl->timeout_ms;
	if (ctl->timeout_ms > CENCTL_PROBE_MS)
		ctl->timeout_ms = CENCTL_PROBE_MS;
	for (size_t i = 0; i < ctl->neps; i++) {
		Cend__V1__StatusResponse *s;
		struct cen_err e = { 0 };

		if (cenctl_call_at(ctl, ctl->eps[i], CENCTL_ADMIN("Status"),
				   &sreq.base,
				   &cend__v1__status_response__descriptor,
				   (ProtobufCMessage **)&s, &e) != 0) {
			snprintf(er[i].error, sizeof(er[i].error), "%s", e.msg);
			continue;
		}
		er[i].region = strdup(s->region);
		cend__v1__status_response__free_unpacked(s, NULL);
		if (er[i].region == NULL)
			abort();
		for (size_t k = 0; k <= nregions; k++) {
			if (k == nregions) {
				regions[nregions++] = er[i].region;
				break;
			}
			if (strcmp(regions[k], er[i].region) == 0)
				break;
		}
	}
	ctl->timeout_ms = timeout;
	if (nregions <= 1) {
		/* one region's cluster: apply as always, with failover */
		for (size_t i = 0; i < ctl->neps; i++)
			free(er[i].region);
		return -1;
	}

	if (ctl->json)
		putchar('[');
	for (size_t k = 0; k < nregions; k++) {
		Cend__V1__ApplyResponse *r = NULL;
		char *eps[CENCTL_ENDPOINTS_MAX];
		size_t neps = 0;

		for (size_t i = 0; i < ctl->neps; i++)
			if (er[i].region != NULL &&
			    strcmp(er[i].region, regions[k]) == 0)
				eps[neps++] = ctl->eps[i];
		cen_err_clear(&err);
		if (apply_one(ctl, eps, neps, yaml, dry_run, &r, &err) != 0) {
			rc = 1;
			if (ctl->json) {
				printf("%s{\"region\":", k > 0 ? "," : "");
				json_str(regions[k]);
				printf(",\"error\":");
				json_str(err.msg);
				putchar('}');
			} else {
				fflush(stdout);
				fprintf(stderr, "cenctl: %s: not applied: %s\n",
					regions[k], err.msg);
			}
			continue;
		}
		if (ctl->json) {
			printf("%s{\"region\":", k > 0 ? "," : "");
			json_str(regions[k]);
			printf(",\"endpoint\":");
			json_str(ctl->conn_ep);
			printf(",\"changed\":%s,\"index\":%llu,\"dry_run\":%s,"
			       "\"diff\":",
			       r->changed ? "true" : "false",
			       (unsigned long long)r->index,
			       dry_run ? "true" : "false");
			json_str(r->diff);
			putchar('}');
		} else if (dry_run) {
			printf("== %s ==\n", regions[k]);
			if (!r->changed)
				printf("no changes\n");
			else
				fputs(r->diff, stdout);
			if (r->changed && r->diff[0] != '\0' &&
			    r->diff[strlen(r->diff) - 1] != '\n')
				putchar('\n');
		} else if (!r->changed) {
			printf("%s: no changes\n", regions[k]);
		} else {
			printf("%s: applied at index %llu (through %s)\n",
			       regions[k], (unsigned long long)r->index,
			       ctl->conn_ep);
		}
		cend__v1__apply_response__free_unpacked(r, NULL);
	}
	if (ctl->json)
		printf("]\n");
	fflush(stdout);

	/* what did not answer, and regions of FILE left out */
	for (size_t i = 0; i < ctl->neps; i++)
		if (er[i].region == NULL)
			fprintf(stderr,
				"cenctl: warning: %s did not answer (%s): "
				"the region it serves is unknown\n",
				ctl->eps[i], er[i].error);
	nnamed = file_regions(yaml, &named);
	for (size_t i = 0; i < nnamed; i++) {
		bool covered = false;

		for (size_t k = 0; k < nregions && !covered; k++)
			covered = strcmp(named[i], regions[k]) == 0;
		if (!covered) {
			fprintf(stderr,
				"cenctl: %s names region %s, but no endpoint "
				"given answered for it: %s not applied there "
				"(give an endpoint of its cluster too)\n",
				file, named[i], file);
			rc = 1;
		}
	}
	free(named);
	for (size_t i = 0; i < ctl->neps; i++)
		free(er[i].region);
	return rc;
}
