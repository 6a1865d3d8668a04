/*
 * routes.c - what the cluster has computed and the whole-configuration
 * write: `route list` (every path of the route tables, or what one
 * attachment has learned, with state and reason: ROUTING.md "Overlapping
 * routes and conflicts"), `route add|del` (paths as a BGP peer would
 * announce them; `route add --count N --start P` loads N consecutive
 * prefixes in pipelined batches), `fib show` (a region's FIB), `apply -f FILE`
 * (replace the configuration declaratively, or show the diff with
 * --dry-run) and `watch routes|events` (one line per event until
 * interrupted).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cli/cenctl.h"
#include "core/attr.h"
#include "core/model.h"
#include "core/model_yaml.h"
#include "core/prefix.h"
#include "proto/admin.pb-c.h"
#include "proto/rpc.h"

static const char *
state_str(int s)
{
	switch (s) {
	case CEND__V1__ROUTE_STATE__ROUTE_STATE_ACTIVE:
		return "Active";
	case CEND__V1__ROUTE_STATE__ROUTE_STATE_CANDIDATE:
		return "Candidate";
	case CEND__V1__ROUTE_STATE__ROUTE_STATE_REJECTED:
		return "Rejected";
	case CEND__V1__ROUTE_STATE__ROUTE_STATE_PROHIBITED:
		return "Prohibited";
	default:
		return "Unspecified";
	}
}

static char *
comms_fmt(const uint32_t *v, size_t n, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++) {
		int w = snprintf(buf + used, size - used, "%s%u:%u",
				 i > 0 ? " " : "", v[i] >> 16, v[i] & 0xffff);

		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}

static char *
reason_fmt(const Cend__V1__Route *r, char *buf, size_t size)
{
	if (r->route_map_priority != 0)
		snprintf(buf, size, "%s (priority %u)", r->reason,
			 r->route_map_priority);
	else
		snprintf(buf, size, "%s", r->reason);
	return buf;
}

/* ---- route list ---------------------------------------------------- */

struct listing {
	struct cenctl *ctl;
	struct table t;
	size_t n;
};

static void
route_json(const Cend__V1__Route *r, bool first)
{
	char pb[PREFIX_STRLEN], nb[1024], ab[1024], cb[1024];

	printf("%s{\"region\":", first ? "" : ",");
	json_str(r->region);
	printf(",\"table\":");
	json_str(r->table);
	printf(",\"view\":");
	if (r->view[0] != '\0')
		json_str(r->view);
	else
		printf("null");
	printf(",\"prefix\":\"%s\",\"next_hop\":",
	       wire_prefix_fmt(r->prefix, pb, sizeof(pb)));
	json_str(wire_nhg_fmt(r->next_hops, nb, sizeof(nb)));
	printf(",\"type\":\"%s\",\"origin_type\":\"%s\",\"source\":",
	       model_route_type_str((uint8_t)r->route_type),
	       model_route_type_str((uint8_t)r->origin_type));
	json_str(r->source);
	printf(",\"source_region\":");
	json_str(r->source_region);
	printf(",\"source_type\":\"%s\",\"table_static\":%s,\"state\":\"%s\","
	       "\"reason\":",
	       model_att_type_str((uint8_t)r->source_type),
	       r->table_static ? "true" : "false", state_str(r->state));
	json_str(r->reason);
	if (r->route_map_priority != 0)
		printf(",\"route_map_priority\":%u", r->route_map_priority);
	printf(",\"preference\":%u,\"as_path\":", r->preference);
	json_str(wire_aspath_fmt(r->as_path, r->n_as_path, ab, sizeof(ab)));
	printf(",\"communities\":");
	json_str(comms_fmt(r->communities, r->n_communities, cb, sizeof(cb)));
	if (r->peer != NULL) {
		/* an address: without its /32 or /128 */
		wire_prefix_fmt(r->peer, pb, sizeof(pb));
		pb[strcspn(pb, "/")] = '\0';
		printf(",\"peer\":\"%s\"", pb);
	}
	if (r->node != 0)
		printf(",\"node\":%u", r->node);
	putchar('}');
}

static int
route_cb(const ProtobufCMessage *msg, void *arg)
{
	const Cend__V1__Route *r = (const Cend__V1__Route *)msg;
	struct listing *l = arg;
	char pb[PREFIX_STRLEN], nb[1024], ab[1024], rb[256];

	if (l->ctl->json) {
		if (l->n == 0)
			putchar('['); /* opened with the first route */
		route_json(r, l->n == 0);
	} else {
		struct table *t = &l->t;

		table_cell(t, r->view[0] != '\0' ? r->view : r->table);
		table_cell(t, wire_prefix_fmt(r->prefix, pb, sizeof(pb)));
		table_cell(t, wire_nhg_fmt(r->next_hops, nb, sizeof(nb)));
		table_cell(t, model_route_type_str((uint8_t)r->route_type));
		if (r->table_static || r->source[0] == '\0')
			table_cell(t, "(table)");
		else if (r->source_region[0] != '\0' &&
			 strcmp(r->source_region, r->region) != 0)
			table_cellf(t, "%s@%s", r->source, r->source_region);
		else
			table_cell(t, r->source);
		table_cell(t, state_str(r->state));
		table_cell(t, r->reason[0] != '\0'
				      ? reason_fmt(r, rb, sizeof(rb))
				      : "-");
		table_cellf(t, "%u", r->preference);
		table_cell(t, wire_aspath_fmt(r->as_path, r->n_as_path, ab,
					      sizeof(ab)));
	}
	l->n++;
	return 0;
}

static const char route_list_usage[] =
	"usage: cenctl route list [--region R] [--table T] [--attachment A]\n"
	"                         [--prefix P [--longer]] [--linearizable]\n"
	"\n"
	"Lists the paths of the route tables (of region R, or table T) with\n"
	"each one's state (Active, Candidate, Rejected, Prohibited) and why "
	"it is\nnot Active; with --attachment, what that attachment has "
	"learned (its\ntable after RegionOut route maps).  --prefix P shows "
	"P only; with\n--longer, P and every prefix inside it.\n";

static int
route_list(struct cenctl *ctl, struct opts *o, const void *data)
{
	static const char *const hdr[] = { "TABLE",  "PREFIX", "NEXT HOP",
					   "TYPE",   "SOURCE", "STATE",
					   "REASON", "PREF",   "AS PATH" };
	static const char *const vhdr[] = { "VIEW",   "PREFIX", "NEXT HOP",
					    "TYPE",   "SOURCE", "STATE",
					    "REASON", "PREF",	"AS PATH" };
	Cend__V1__ListRoutesRequest req = CEND__V1__LIST_ROUTES_REQUEST__INIT;
	struct listing l = { .ctl = ctl };
	struct cen_err err = { 0 };
	const char *region = "", *table = "", *att = "", *pfx = NULL;
	struct prefix p;
	uint8_t pbuf[18];
	int rc;

	while (opts_next(o)) {
		if (opts_help(o) || opts_str(o, "--region", &region) ||
		    opts_str(o, "--table", &table) ||
		    opts_str(o, "--route-table", &table) ||
		    opts_str(o, "--attachment", &att) ||
		    opts_str(o, "--prefix", &pfx))
			continue;
		if (opts_flag(o, "--longer")) {
			req.longer = true;
			continue;
		}
		if (opts_flag(o, "--linearizable")) {
			req.linearizable = true;
			continue;
		}
		if (!opts_arg(o, NULL))
			opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (req.longer && pfx == NULL)
		return opts_error(o, "--longer needs --prefix");
	if (pfx != NULL) {
		if (prefix_parse(&p, pfx, true) != 0)
			return opts_error(o,
					  "--prefix %s: expected a prefix "
					  "such as 10.0.0.0/8 (no host bits)",
					  pfx);
		req.prefix.data = pbuf;
		req.prefix.len = wire_prefix_pack(&p, pbuf);
	}
	req.region = (char *)region;
	req.table = (char *)table;
	req.attachment = (char *)att;
	if (!ctl->json)
		table_init(&l.t, sizeof(hdr) / sizeof(hdr[0]),
			   att[0] != '\0' ? vhdr : hdr);
	rc = cenctl_stream(ctl, CENCTL_ADMIN("ListRoutes"), &req.base,
			   &cend__v1__route__descriptor, ctl->timeout_ms,
			   route_cb, &l, &err);
	if (ctl->json) {
		/* a failed call prints no array: "[]" would read as "no
		 * routes" to a script that ignores the exit status */
		if (l.n > 0)
			printf("]\n");
		else if (rc == 0)
			printf("[]\n");
	} else {
		if (rc == 0 && l.n > 0)
			table_print(&l.t);
		table_free(&l.t);
	}
	if (rc != 0) {
		fflush(stdout);
		return cenctl_fail(&err);
	}
	return 0;
}

/* ---- route add / del ----------------------------------------------- */

#define PATHS_MAX 1024 /* prefixes per command */
#define ASNS_MAX  64
#define COMMS_MAX 64

/* ---- route add --count: bulk loading ------------------------------- */

#define BULK_COUNT_MAX	    100000000u
#define BULK_BATCH_MAX	    100000u
#define BULK_BATCH_DEFAULT  10000u
#define BULK_INFLIGHT	    4 /* requests in flight on the connection */
#define BULK_TIMEOUT_MIN_MS 30000

struct bulk {
	uv_loop_t loop;
	struct rpc_client *client;
	char ep[128];		   /* the leader's API, or who answered */
	Cend__V1__PathUpdate *req; /* adds filled per request */
	Cend__V1__PathAdd *adds;
	Cend__V1__PathAdd **addp;
	uint8_t (*pbuf)[18];
	struct prefix next; /* the next prefix to send */
	uint64_t left, acked, requests, index;
	uint32_t batch, timeout_ms;
	unsigned inflight;
	int rc;
	struct cen_err err;
};

struct bulk_call {
	struct bulk *b;
	uint32_t n;
};

/* The next prefix of p's length (10.0.0.0/24 -> 10.0.1.0/24); -1 past the
 * end of the address space. */
static int
bulk_next_prefix(struct prefix *p)
{
	unsigned bit;

	if (p->len == 0)
		return -1;
	bit = p->len - 1u; /* the last network bit; 0 is byte 0's top bit */
	for (int i = (int)(bit / 8); i >= 0; i--) {
		unsigned v = p->addr.bytes[i] +
			     (i == (int)(bit / 8) ? 1u << (7 - bit % 8) : 1u);

		p->addr.bytes[i] = (uint8_t)v;
		if (v < 256)
			return 0;
	}
	return -1;
}

static void bulk_send(struct bulk *b);

static void
bulk_done(rpc_status status, const char *message, const uint8_t *payload,
	  size_t len, bool eos, void *arg)
{
	struct bulk_call *c = arg;
	struct bulk *b = c->b;

	b->inflight--;
	if (status != RPC_OK) {
		if (b->rc == 0)
			b->rc = cen_errf(&b->err,
					 status == RPC_INVALID_ARGUMENT
						 ? -CEN_EINVAL
						 : -CEN_EIO,
					 "%s: %s (after %llu routes)", b->ep,
					 message != NULL && message[0]
						 ? message
						 : rpc_status_str(status),
					 (unsigned long long)b->acked);
	} else {
		Cend__V1__WriteResponse *r =
			cend__v1__write_response__unpack(NULL, len, payload);

		if (r != NULL && r->index > b->index)
			b->index = r->index;
		if (r != NULL)
			cend__v1__write_response__free_unpacked(r, NULL);
		b->acked += c->n;
	}
	free(c);
	bulk_send(b);
	if (b->inflight == 0)
		uv_stop(&b->loop);
}

/* Keeps BULK_INFLIGHT requests of up to batch adds each in flight. */
static void
bulk_send(struct bulk *b)
{
	while (b->rc == 0 && b->left > 0 && b->inflight < BULK_INFLIGHT) {
		uint32_t n = b->left < b->batch ? (uint32_t)b->left : b->batch;
		struct bulk_call *c = malloc(sizeof(*c));
		uint8_t *buf;
		size_t len;
		int rc;

		for (uint32_t i = 0; i < n; i++) {
			b->adds[i].prefix.len =
				wire_prefix_pack(&b->next, b->pbuf[i]);
			/* checked to fit beforehand; the step after the
			 * last prefix may run off the end */
			(void)bulk_next_prefix(&b->next);
		}
		b->req->n_adds = n;
		len = cend__v1__path_update__get_packed_size(b->req);
		buf = malloc(len > 0 ? len : 1);
		if (c == NULL || buf == NULL) {
			free(c);
			free(buf);
			b->rc = cen_errf(&b->err, -CEN_ENOMEM, "out of memory");
			break;
		}
		cend__v1__path_update__pack(b->req, buf);
		c->b = b;
		c->n = n;
		rc = rpc_client_call(b->client, b->ep, CENCTL_ADMIN("Paths"),
				     buf, len, b->timeout_ms, bulk_done, c);
		free(buf);
		if (rc != 0) {
			free(c);
			b->rc = cen_errf(&b->err, rc, "%s: cannot send: %s",
					 b->ep, cen_strerror(rc));
			break;
		}
		b->inflight++;
		b->requests++;
		b->left -= n;
	}
}

/* Where bulk writes go: the leader's API (no forwarding hop), else the
 * endpoint that answered. */
static int
bulk_endpoint(struct cenctl *ctl, char *ep, size_t size, struct cen_err *err)
{
	Cend__V1__MemberListRequest req = CEND__V1__MEMBER_LIST_REQUEST__INIT;
	Cend__V1__MemberListResponse *r;
	int rc;

	rc = cenctl_call(ctl, CENCTL_ADMIN("MemberList"), &req.base,
			 &cend__v1__member_list_response__descriptor,
			 (ProtobufCMessage **)&r, err);
	if (rc != 0)
		return rc;
	snprintf(ep, size, "%s", ctl->conn_ep);
	for (size_t i = 0; i < r->n_members; i++)
		if (r->members[i]->is_leader && r->members[i]->api_addr[0])
			snprintf(ep, size, "%s", r->members[i]->api_addr);
	cend__v1__member_list_response__free_unpacked(r, NULL);
	return 0;
}

/* route add --count N --start P: N consecutive prefixes of P's length from
 * P, in Admin/Paths requests of batch adds each, pipelined on one
 * connection to the leader.  req carries the attachment, peer, node and
 * one add template (attrs); prints what was loaded and how fast. */
static int
route_bulk(struct cenctl *ctl, Cend__V1__PathUpdate *req,
	   const Cend__V1__PathAttrs *attrs, const struct prefix *start,
	   uint64_t count, uint32_t batch)
{
	struct bulk *b = calloc(1, sizeof(*b));
	struct prefix q = *start;
	uint64_t t0;
	double secs;
	int rc;

	if (b == NULL)
		return cenctl_fail(&(struct cen_err){ .msg = "out of memory" });
	for (uint64_t i = 1; i < count; i++)
		if (bulk_next_prefix(&q) != 0) {
			free(b);
			fprintf(stderr,
				"cenctl route add: --count %llu from --start "
				"runs past the end of the address space\n",
				(unsigned long long)count);
			return 2;
		}
	b->req = req;
	b->next = *start;
	b->left = count;
	b->batch = (uint32_t)(batch < count ? batch : count);
	cenctl_client_init(ctl, &b->err);
	b->timeout_ms = ctl->timeout_ms > BULK_TIMEOUT_MIN_MS
				? ctl->timeout_ms
				: BULK_TIMEOUT_MIN_MS;
	b->adds = calloc(b->batch, sizeof(*b->adds));
	b->addp = calloc(b->batch, sizeof(*b->addp));
	b->pbuf = calloc(b->batch, sizeof(*b->pbuf));
	if (b->adds == NULL || b->addp == NULL || b->pbuf == NULL) {
		rc = cen_errf(&b->err, -CEN_ENOMEM, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < b->batch; i++) {
		cend__v1__path_add__init(&b->adds[i]);
		b->adds[i].prefix.data = b->pbuf[i];
		b->adds[i].attrs = (Cend__V1__PathAttrs *)attrs;
		b->addp[i] = &b->adds[i];
	}
	req->adds = b->addp;
	rc = bulk_endpoint(ctl, b->ep, sizeof(b->ep), &b->err);
	if (rc != 0)
		goto out;
	uv_loop_init(&b->loop);
	rc = rpc_client_new(&b->loop, &b->client);
	if (rc != 0) {
		uv_loop_close(&b->loop);
		rc = cen_errf(&b->err, rc, "rpc client: %s", cen_strerror(rc));
		goto out;
	}
	t0 = uv_hrtime();
	bulk_send(b);
	if (b->inflight > 0)
		uv_run(&b->loop, UV_RUN_DEFAULT);
	secs = (double)(uv_hrtime() - t0) / 1e9;
	rpc_client_close(b->client);
	uv_run(&b->loop, UV_RUN_DEFAULT);
	uv_loop_close(&b->loop);
	rc = b->rc;
	if (ctl->json)
		printf("{\"added\":%llu,\"requests\":%llu,\"index\":%llu,"
		       "\"seconds\":%.3f}\n",
		       (unsigned long long)b->acked,
		       (unsigned long long)b->requests,
		       (unsigned long long)b->index, secs);
	else if (rc == 0)
		printf("%llu routes added in %llu requests to %s (index %llu) "
		       "in %.2f s, %.0f routes/s\n",
		       (unsigned long long)b->acked,
		       (unsigned long long)b->requests, b->ep,
		       (unsigned long long)b->index, secs,
		       secs > 0 ? (double)b->acked / secs : 0.0);
out:
	free(b->adds);
	free(b->addp);
	free(b->pbuf);
	if (rc != 0)
		cenctl_fail(&b->err);
	free(b);
	return rc != 0 ? 1 : 0;
}

/* route add PREFIX... / route del PREFIX...: paths as if a BGP peer of the
 * attachment had announced or withdrawn them (Admin/Paths). */
static int
route_paths(struct cenctl *ctl, struct opts *o, const void *data)
{
	bool add = strcmp((const char *)data, "add") == 0;
	Cend__V1__PathUpdate req = CEND__V1__PATH_UPDATE__INIT;
	Cend__V1__PathAttrs attrs = CEND__V1__PATH_ATTRS__INIT;
	Cend__V1__WriteResponse *r;
	const char *pfx[PATHS_MAX], *att = NULL, *peer = NULL, *as = NULL;
	const char *comms[COMMS_MAX], *nh = NULL;
	size_t npfx = 0, ncomms = 0;
	uint32_t node = 0, pref = 0, med = 0, asns[ASNS_MAX + 2], cv[COMMS_MAX];
	bool has_med = false;
	uint64_t count = 0;
	uint32_t batch = 0;
	const char *start = NULL;
	uint8_t(*pbuf)[18] = NULL, peerbuf[18], nhb[16];
	Cend__V1__PathAdd *adds = NULL, **addp = NULL;
	ProtobufCBinaryData *wd = NULL;
	struct cen_err err = { 0 };
	struct prefix p;
	int rc = 0;

	while (opts_next(o)) {
		if (opts_help(o) || opts_str(o, "--attachment", &att) ||
		    opts_str(o, "--peer", &peer) ||
		    opts_u32(o, "--node", 0, 255, &node))
			continue;
		if (add &&
		    (opts_str(o, "--as-path", &as) ||
		     opts_list(o, "--community", comms, COMMS_MAX, &ncomms) ||
		     opts_u32(o, "--preference", 1, 100, &pref) ||
		     opts_str(o, "--next-hop", &nh)))
			continue;
		if (add && opts_u32(o, "--med", 0, UINT32_MAX, &med)) {
			has_med = true;
			continue;
		}
		if (add && (opts_u64(o, "--count", 1, BULK_COUNT_MAX, &count) ||
			    opts_str(o, "--start", &start) ||
			    opts_u32(o, "--batch", 1, BULK_BATCH_MAX, &batch)))
			continue;
		if (opts_arg(o, npfx < PATHS_MAX ? &pfx[npfx] : NULL)) {
			npfx += !o->done;
			continue;
		}
		opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (count > 0 && npfx > 0)
		return opts_error(o, "give PREFIX... or --count N --start P, "
				     "not both");
	if ((count > 0) != (start != NULL))
		return opts_error(o,
				  "--count N and --start PREFIX go together");
	if (batch > 0 && count == 0)
		return opts_error(o, "--batch goes with --count");
	if (npfx == 0 && count == 0)
		return opts_error(o, "give at least one PREFIX");
	if (att == NULL)
		return opts_error(o, "--attachment ID is required");
	req.attachment = (char *)att;
	req.node = node;
	if (peer != NULL) {
		if (prefix_parse_addr(&p, peer) != 0)
			return opts_error(
				o, "--peer %s: expected an IP address", peer);
		req.peer.data = peerbuf;
		req.peer.len = wire_prefix_pack(&p, peerbuf);
	}
	if (as != NULL) {
		char buf[1024], *save = NULL;
		uint32_t n = 0;

		snprintf(buf, sizeof(buf), "%s", as);
		for (char *t = strtok_r(buf, ", ", &save); t != NULL;
		     t = strtok_r(NULL, ", ", &save)) {
			uint64_t v;

			if (n == ASNS_MAX ||
			    opts_parse_u64(t, 1, UINT32_MAX, &v) != 0)
				return opts_error(
					o,
					"--as-path %s: expected up to "
					"%d ASNs, comma-separated",
					as, ASNS_MAX);
			asns[2 + n++] = (uint32_t)v;
		}
		if (n > 0) {
			asns[0] = ATTR_SEG_SEQUENCE;
			asns[1] = n;
			attrs.as_path = asns;
			attrs.n_as_path = n + 2;
		}
	}
	for (size_t i = 0; i < ncomms; i++)
		if (attr_comm_parse(comms[i], &cv[i]) != 0)
			return opts_error(o,
					  "--community %s: expected N:M, each "
					  "0..65535",
					  comms[i]);
	attrs.communities = cv;
	attrs.n_communities = ncomms;
	attrs.preference = pref;
	attrs.has_med = has_med;
	attrs.med = med;
	if (nh != NULL) {
		if (prefix_parse_addr(&p, nh) != 0)
			return opts_error(o,
					  "--next-hop %s: expected an IP "
					  "address",
					  nh);
		memcpy(nhb, p.addr.bytes, 16);
		attrs.next_hop.data = nhb;
		attrs.next_hop.len = p.family == PREFIX_AF_INET ? 4 : 16;
	}
	if (count > 0) {
		if (prefix_parse(&p, start, true) != 0)
			return opts_error(o,
					  "--start %s: expected a prefix such "
					  "as 10.0.0.0/24 (no host bits)",
					  start);
		return route_bulk(ctl, &req, &attrs, &p, count,
				  batch > 0 ? batch : BULK_BATCH_DEFAULT);
	}
	pbuf = calloc(npfx, sizeof(*pbuf));
	adds = calloc(npfx, sizeof(*adds));
	addp = calloc(npfx, sizeof(*addp));
	wd = calloc(npfx, sizeof(*wd));
	if (pbuf == NULL || adds == NULL || addp == NULL || wd == NULL) {
		rc = cen_errf(&err, -CEN_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < npfx; i++) {
		if (prefix_parse(&p, pfx[i], true) != 0) {
			rc = opts_error(o,
					"%s: expected a prefix such as "
					"10.0.0.0/8 (no host bits)",
					pfx[i]);
			goto out;
		}
		cend__v1__path_add__init(&adds[i]);
		adds[i].prefix.data = pbuf[i];
		adds[i].prefix.len = wire_prefix_pack(&p, pbuf[i]);
		adds[i].attrs = &attrs;
		addp[i] = &adds[i];
		wd[i] = adds[i].prefix;
	}
	if (add) {
		req.adds = addp;
		req.n_adds = npfx;
	} else {
		req.withdraws = wd;
		req.n_withdraws = npfx;
	}
	rc = cenctl_call(ctl, CENCTL_ADMIN("Paths"), &req.base,
			 &cend__v1__write_response__descriptor,
			 (ProtobufCMessage **)&r, &err);
	if (rc == 0) {
		if (ctl->json)
			printf("{\"index\":%llu}\n",
			       (unsigned long long)r->index);
		else
			printf("%zu route%s %s (index %llu)\n", npfx,
			       npfx > 1 ? "s" : "", add ? "added" : "withdrawn",
			       (unsigned long long)r->index);
		cend__v1__write_response__free_unpacked(r, NULL);
	}
out:
	free(pbuf);
	free(adds);
	free(addp);
	free(wd);
	if (o->done)
		return o->rc;
	return rc != 0 ? cenctl_fail(&err) : 0;
}

static int
route_add(struct cenctl *ctl, struct opts *o, const void *data)
{
	return route_paths(ctl, o, "add");
}

static int
route_del(struct cenctl *ctl, struct opts *o, const void *data)
{
	return route_paths(ctl, o, "del");
}

static const struct opts_verb route_verbs[] = {
	{ "list", route_list_usage, route_list },
	{ "add",
	  "usage: cenctl route add PREFIX... --attachment A [--peer ADDRESS] "
	  "[--node N]\n"
	  "                 [--as-path ASN,...] [--community N:M]... "
	  "[--preference N]\n"
	  "                 [--med N] [--next-hop ADDRESS]\n"
	  "       cenctl route add --count N --start PREFIX [--batch B] "
	  "--attachment A ...\n\n"
	  "Announces PREFIX as if a BGP peer of attachment A (a VBR, VPN or "
	  "CCN) had:\nthe route is replicated and goes through route maps "
	  "and best path like one\nlearned by a session (for tests and "
	  "drills).  --node names the cluster node\nthat learned it (0: "
	  "none).\n\n"
	  "--count N --start PREFIX announces N consecutive prefixes of "
	  "PREFIX's length\n(10.0.0.0/24, 10.0.1.0/24, ...) with the same "
	  "attributes, in requests of B\nadds each (default 10000) "
	  "pipelined to the leader, and prints how long it\ntook.\n",
	  route_add },
	{ "del",
	  "usage: cenctl route del PREFIX... --attachment A [--peer ADDRESS] "
	  "[--node N]\n\n"
	  "Withdraws what `route add` announced with the same attachment and "
	  "peer.\n",
	  route_del },
};

int
cenctl_route(struct cenctl *ctl, int argc, char **argv)
{
	return opts_dispatch(ctl, "route", route_verbs,
			     sizeof(route_verbs) / sizeof(route_verbs[0]), NULL,
			     argc, argv);
}

/* ---- fib show ------------------------------------------------------ */

static const char *
fib_nh(const Cend__V1__FibEntry *e, char *buf, size_t size)
{
	if (e->withdrawn)
		return "(withdrawn)";
	if (e->no_route)
		return "(no route)";
	return wire_nhg_fmt(e->group, buf, size);
}

static int
fib_cb(const ProtobufCMessage *msg, void *arg)
{
	const Cend__V1__FibEntry *e = (const Cend__V1__FibEntry *)msg;
	struct listing *l = arg;
	char pb[PREFIX_STRLEN], nb[1024];

	if (l->ctl->json) {
		printf("%s{\"region\":", l->n == 0 ? "" : ",");
		json_str(e->region);
		printf(",\"table\":");
		json_str(e->table);
		printf(",\"view\":");
		if (e->view[0] != '\0')
			json_str(e->view);
		else
			printf("null");
		printf(",\"prefix\":\"%s\",\"next_hops\":",
		       wire_prefix_fmt(e->prefix, pb, sizeof(pb)));
		json_str(fib_nh(e, nb, sizeof(nb)));
		putchar('}');
	} else {
		table_cell(&l->t, e->region);
		table_cell(&l->t, e->table);
		table_cell(&l->t, e->view[0] != '\0' ? e->view : "-");
		table_cell(&l->t, wire_prefix_fmt(e->prefix, pb, sizeof(pb)));
		table_cell(&l->t, fib_nh(e, nb, sizeof(nb)));
	}
	l->n++;
	return 0;
}

static int
fib_show(struct cenctl *ctl, struct opts *o, const void *data)
{
	static const char *const hdr[] = { "REGION", "TABLE", "VIEW", "PREFIX",
					   "NEXT HOPS" };
	Cend__V1__ListFibRequest req = CEND__V1__LIST_FIB_REQUEST__INIT;
	struct listing l = { .ctl = ctl };
	struct cen_err err = { 0 };
	const char *region = "";
	int rc;

	while (opts_next(o)) {
		if (opts_help(o) || opts_str(o, "--region", &region) ||
		    opts_arg(o, o->npos == 0 ? &region : NULL))
			continue;
		opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	req.region = (char *)region;
	if (ctl->json)
		putchar('[');
	else
		table_init(&l.t, sizeof(hdr) / sizeof(hdr[0]), hdr);
	rc = cenctl_stream(ctl, CENCTL_ADMIN("ListFib"), &req.base,
			   &cend__v1__fib_entry__descriptor, ctl->timeout_ms,
			   fib_cb, &l, &err);
	if (ctl->json) {
		printf("]\n");
	} else {
		if (rc == 0 && l.n > 0)
			table_print(&l.t);
		table_free(&l.t);
	}
	if (rc != 0) {
		fflush(stdout);
		return cenctl_fail(&err);
	}
	return 0;
}

static const struct opts_verb fib_verbs[] = {
	{ "show",
	  "usage: cenctl fib show [--region R]\n\n"
	  "Prints the FIB of region R (of every region when left out): each "
	  "route\ntable's next hops per prefix, and each attachment view "
	  "that differs from\nits table (RegionOut route maps).\n",
	  fib_show },
};

int
cenctl_fib(struct cenctl *ctl, int argc, char **argv)
{
	return opts_dispatch(ctl, "fib", fib_verbs,
			     sizeof(fib_verbs) / sizeof(fib_verbs[0]), NULL,
			     argc, argv);
}

/* ---- apply --------------------------------------------------------- */

/* Reads a YAML file and checks its structure locally (every error with
 * its line), so a typo is caught before anything is sent. */
static int
load_yaml(const char *file, char **text, struct cen_err *err)
{
	FILE *f = fopen(file, "rb");
	struct model m;
	size_t len = 0, cap = 0;
	int rc;

	*text = NULL;
	if (f == NULL)
		return cen_errf(err, -CEN_EIO, "%s: %s", file, strerror(errno));
	for (;;) {
		size_t r;

		if (len + 4096 + 1 > cap) {
			char *p = realloc(*text, cap = (len + 4096) * 2);

			if (p == NULL) {
				fclose(f);
				return cen_errf(err, -CEN_ENOMEM,
						"out of memory");
			}
			*text = p;
		}
		r = fread(*text + len, 1, cap - len - 1, f);
		len += r;
		if (r == 0)
			break;
	}
	rc = ferror(f) ? cen_errf(err, -CEN_EIO, "%s: read error", file) : 0;
	fclose(f);
	if (rc != 0)
		return rc;
	(*text)[len] = '\0';
	model_init(&m);
	rc = model_yaml_parse(&m, *text, len, err);
	if (rc != 0)
		cen_err_prefix(err, "%s:\n", file);
	else if (!m.has_cen && m.nregions == 0 && m.nattachments == 0)
		/* apply deletes what FILE leaves out: everything */
		rc = cen_errf(err, -CEN_EINVAL,
			      "%s holds no configuration (no cen, regions or "
			      "attachments); applying it would delete "
			      "everything",
			      file);
	model_free(&m);
	return rc;
}

static int
apply(struct cenctl *ctl, struct opts *o, const void *data)
{
	Cend__V1__ApplyRequest req = CEND__V1__APPLY_REQUEST__INIT;
	Cend__V1__ApplyResponse *r;
	struct cen_err err = { 0 };
	const char *file = NULL;
	char *text;
	int rc;

	while (opts_next(o)) {
		if (opts_help(o) || opts_str(o, "-f", &file) ||
		    opts_str(o, "--file", &file))
			continue;
		if (opts_flag(o, "--dry-run")) {
			req.dry_run = true;
			continue;
		}
		if (!opts_arg(o, NULL))
			opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (file == NULL)
		return opts_error(o, "-f FILE is required");
	if (load_yaml(file, &text, &err) != 0) {
		free(text);
		return cenctl_fail(&err);
	}
	/* endpoints of several regions: each region's cluster gets it */
	if ((rc = cenctl_apply_regions(ctl, file, text, req.dry_run)) >= 0) {
		free(text);
		return rc;
	}
	req.yaml = text;
	rc = cenctl_call(ctl, CENCTL_ADMIN("Apply"), &req.base,
			 &cend__v1__apply_response__descriptor,
			 (ProtobufCMessage **)&r, &err);
	if (rc == 0 && !req.dry_run)
		cenctl_apply_warn_regions(ctl, file, text);
	free(text);
	if (rc != 0)
		return cenctl_fail(&err);
	if (ctl->json) {
		printf("{\"changed\":%s,\"index\":%llu,\"dry_run\":%s,"
		       "\"diff\":",
		       r->changed ? "true" : "false",
		       (unsigned long long)r->index,
		       req.dry_run ? "true" : "false");
		json_str(r->diff);
		printf("}\n");
	} else if (!r->changed) {
		printf("no changes\n");
	} else if (req.dry_run) {
		fputs(r->diff, stdout);
		if (r->diff[0] != '\0' && r->diff[strlen(r->diff) - 1] != '\n')
			putchar('\n');
	} else {
		printf("applied at index %llu\n", (unsigned long long)r->index);
	}
	cend__v1__apply_response__free_unpacked(r, NULL);
	return 0;
}

static const char apply_usage[] =
	"usage: cenctl apply -f FILE.yaml [--dry-run]\n\n"
	"Makes the configuration what FILE says (the format of "
	"examples/hybrid.yaml):\nobjects in FILE are created or updated, "
	"objects not in it are deleted.\nApplying the same file twice "
	"changes nothing.  --dry-run prints what would\nchange (a diff of "
	"the configuration) and changes nothing.\n\n"
	"Every region's cluster holds the whole CEN: with --endpoints "
	"naming nodes of\nseveral regions, FILE is applied to each region's "
	"cluster (one result per\nregion, with -w json an array of them; a "
	"region FILE names that no endpoint\nanswered for is an error).\n";

int
cenctl_apply(struct cenctl *ctl, int argc, char **argv)
{
	struct opts o;

	opts_init(&o, "apply", apply_usage, argc, argv);
	return apply(ctl, &o, NULL);
}

/* ---- watch --------------------------------------------------------- */

static int
watch_cb(const ProtobufCMessage *msg, void *arg)
{
	const Cend__V1__WatchEvent *ev = (const Cend__V1__WatchEvent *)msg;
	struct cenctl *ctl = arg;
	char pb[PREFIX_STRLEN], nb[1024];
	const Cend__V1__FibEntry *e = ev->fib;

	if (ctl->json) {
		printf("{\"index\":%llu,\"kind\":",
		       (unsigned long long)ev->index);
		json_str(ev->kind);
		if (e != NULL) {
			printf(",\"region\":");
			json_str(e->region);
			printf(",\"table\":");
			json_str(e->table);
			printf(",\"view\":");
			if (e->view[0] != '\0')
				json_str(e->view);
			else
				printf("null");
			printf(",\"prefix\":\"%s\",\"next_hops\":",
			       wire_prefix_fmt(e->prefix, pb, sizeof(pb)));
			json_str(fib_nh(e, nb, sizeof(nb)));
		}
		if (ev->text[0] != '\0') {
			printf(",\"text\":");
			json_str(ev->text);
		}
		printf("}\n");
	} else if (e != NULL) {
		printf("%llu %s %s %s%s%s %s -> %s\n",
		       (unsigned long long)ev->index, ev->kind, e->region,
		       e->table, e->view[0] != '\0' ? " view " : "", e->view,
		       wire_prefix_fmt(e->prefix, pb, sizeof(pb)),
		       fib_nh(e, nb, sizeof(nb)));
	} else {
		printf("%llu %s %s\n", (unsigned long long)ev->index, ev->kind,
		       ev->text);
	}
	fflush(stdout);
	return 0;
}

static const char watch_usage[] =
	"usage: cenctl watch routes|events\n\n"
	"Prints one line per event as the cluster applies changes, until "
	"interrupted\n(Ctrl-C): `routes`, every FIB change (index, region, "
	"table, view, prefix,\nnext hops); `events`, every event the node "
	"reports.  With -w json, one JSON\nobject per line.\n";

int
cenctl_watch(struct cenctl *ctl, int argc, char **argv)
{
	Cend__V1__WatchRequest req = CEND__V1__WATCH_REQUEST__INIT;
	struct cen_err err = { 0 };
	const char *what = NULL;
	struct opts o;

	opts_init(&o, "watch", watch_usage, argc, argv);
	while (opts_next(&o)) {
		if (opts_help(&o) || opts_arg(&o, what == NULL ? &what : NULL))
			continue;
		opts_unknown(&o);
	}
	if (o.done)
		return o.rc;
	if (what == NULL)
		return opts_error(&o, "say what to watch: routes or events");
	if (strcmp(what, "routes") != 0 && strcmp(what, "events") != 0)
		return opts_error(&o, "'%s': expected routes or events", what);
	req.what = (char *)what;
	if (cenctl_stream(ctl, CENCTL_ADMIN("Watch"), &req.base,
			  &cend__v1__watch_event__descriptor, 0, watch_cb, ctl,
			  &err) != 0)
		return cenctl_fail(&err);
	return 0;
}
