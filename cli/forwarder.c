/*
 * forwarder.c - the FIB stream seen from cenctl: `forwarder list` (every
 * node's FIB subscribers, with the version each was last sent and its lag
 * behind the node's applied index: Admin/ForwarderList on each member),
 * `forwarder stats` (one forwarder's counters, meters and health checks,
 * from its own API: ForwarderAdmin/Stats) and
 * `fib watch` (subscribes as a forwarder does, with dataplane/fibsub.c:
 * failover between the endpoints, resume by version, optionally a data
 * directory, and prints every change and every complete version as a
 * line), which is how an operator sees what forwarders get and how the
 * integration tests check the stream.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "cli/cenctl.h"
#include "dataplane/fibsub.h"
#include "proto/admin.pb-c.h"
#include "proto/forwarder.pb-c.h"

/* ---- forwarder list ------------------------------------------------ */

struct fw_list {
	struct cenctl *ctl;
	struct table t;
	size_t n;
};

static void
fw_row(struct fw_list *l, const Cend__V1__Forwarder *f)
{
	char since[32];

	snprintf(since, sizeof(since), "%llus",
		 (unsigned long long)(f->since_ms / 1000));
	if (l->ctl->json) {
		printf("%s{\"id\":", l->n == 0 ? "" : ",");
		json_str(f->id);
		printf(",\"region\":");
		json_str(f->region);
		printf(",\"node\":%llu,\"version\":%llu,\"lag\":%llu,"
		       "\"state\":",
		       (unsigned long long)f->node,
		       (unsigned long long)f->version,
		       (unsigned long long)f->lag);
		json_str(f->state);
		printf(",\"pending\":%llu,\"snapshots\":%llu,\"since_ms\":%"
		       "llu}",
		       (unsigned long long)f->pending,
		       (unsigned long long)f->snapshots,
		       (unsigned long long)f->since_ms);
	} else {
		table_cell(&l->t, f->id[0] ? f->id : "-");
		table_cell(&l->t, f->region);
		table_cell_u64(&l->t, f->node);
		table_cell_u64(&l->t, f->version);
		table_cell_u64(&l->t, f->lag);
		table_cell(&l->t, f->state);
		table_cell_u64(&l->t, f->pending);
		table_cell(&l->t, since);
	}
	l->n++;
}

/* Asks one node for its subscribers; 0, or 1 when it did not answer. */
static int
fw_ask(struct fw_list *l, const char *endpoint)
{
	Cend__V1__ForwarderListRequest req =
		CEND__V1__FORWARDER_LIST_REQUEST__INIT;
	Cend__V1__ForwarderListResponse *r;
	struct cen_err err = { 0 };

	if (cenctl_call_at(l->ctl, endpoint, CENCTL_ADMIN("ForwarderList"),
			   &req.base,
			   &cend__v1__forwarder_list_response__descriptor,
			   (ProtobufCMessage **)&r, &err) != 0) {
		fflush(stdout);
		cenctl_fail(&err); /* names the endpoint */
		return 1;
	}
	for (size_t i = 0; i < r->n_forwarders; i++)
		fw_row(l, r->forwarders[i]);
	cend__v1__forwarder_list_response__free_unpacked(r, NULL);
	return 0;
}

static int
forwarder_list(struct cenctl *ctl, struct opts *o, const void *data)
{
	static const char *const hdr[] = { "ID",      "REGION", "NODE",
					   "VERSION", "LAG",	"STATE",
					   "PENDING", "SINCE" };
	Cend__V1__MemberListRequest mreq = CEND__V1__MEMBER_LIST_REQUEST__INIT;
	Cend__V1__MemberListResponse *m = NULL;
	struct fw_list l = { .ctl = ctl };
	struct cen_err err = { 0 };
	size_t asked = 0, failed = 0;

	while (opts_next(o)) {
		if (opts_help(o))
			continue;
		if (!opts_arg(o, NULL))
			opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (cenctl_client_init(ctl, &err) != 0)
		return cenctl_fail(&err);
	if (ctl->json)
		putchar('[');
	else
		table_init(&l.t, sizeof(hdr) / sizeof(hdr[0]), hdr);
	/* every member serves forwarders: ask each of them */
	if (cenctl_call(ctl, CENCTL_ADMIN("MemberList"), &mreq.base,
			&cend__v1__member_list_response__descriptor,
			(ProtobufCMessage **)&m, &err) == 0) {
		for (size_t i = 0; i < m->n_members; i++) {
			if (m->members[i]->api_addr[0] == '\0')
				continue;
			failed += fw_ask(&l, m->members[i]->api_addr);
			asked++;
		}
		cend__v1__member_list_response__free_unpacked(m, NULL);
	}
	if (asked == 0) {
		/* no member list: the endpoints given */
		for (size_t i = 0; i < ctl->neps; i++, asked++)
			failed += fw_ask(&l, ctl->eps[i]);
	}
	if (ctl->json) {
		printf("]\n");
	} else {
		if (l.n > 0)
			table_print(&l.t);
		table_free(&l.t);
	}
	return failed == asked ? 1 : 0;
}

/* ---- forwarder stats ----------------------------------------------- */

#define FW_STATS_METHOD "cend.v1.ForwarderAdmin/Stats"

/* Any protobuf-c message as JSON, walking its descriptor: every field,
 * zero values included, named as in the .proto; repeated fields are
 * arrays, messages objects, enums their names, bytes hex strings. */
static void json_pb(const ProtobufCMessage *m);

static size_t
pb_elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_ENUM:
		return sizeof(int);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

static void
json_pb_value(const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		printf("%d", *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		printf("%u", *(const uint32_t *)p);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		printf("%lld", (long long)*(const int64_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		printf("%llu", (unsigned long long)*(const uint64_t *)p);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		printf("%.9g", (double)*(const float *)p);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		printf("%.17g", *(const double *)p);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		fputs(*(const protobuf_c_boolean *)p ? "true" : "false",
		      stdout);
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *v =
			protobuf_c_enum_descriptor_get_value(f->descriptor,
							     *(const int *)p);

		if (v != NULL)
			json_str(v->name);
		else
			printf("%d", *(const int *)p);
		break;
	}
	case PROTOBUF_C_TYPE_STRING:
		json_str(*(char *const *)p);
		break;
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;

		putchar('"');
		for (size_t i = 0; i < b->len; i++)
			printf("%02x", b->data[i]);
		putchar('"');
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		if (*(ProtobufCMessage *const *)p != NULL)
			json_pb(*(ProtobufCMessage *const *)p);
		else
			fputs("null", stdout);
		break;
	}
}

static void
json_pb(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;

	putchar('{');
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const void *p = base + f->offset;

		printf("%s\"%s\":", i > 0 ? "," : "", f->name);
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n =
				*(const size_t *)(base + f->quantifier_offset);
			const char *arr = *(char *const *)p;

			putchar('[');
			for (size_t k = 0; k < n; k++) {
				if (k > 0)
					putchar(',');
				json_pb_value(f,
					      arr + k * pb_elem_size(f->type));
			}
			putchar(']');
		} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
			   f->quantifier_offset != 0 &&
			   !*(const protobuf_c_boolean
				      *)(base + f->quantifier_offset)) {
			fputs("null", stdout);
		} else {
			json_pb_value(f, p);
		}
	}
	putchar('}');
}

/* Bits per second for people: "950 bit/s", "12.5 kbit/s", "100.0
 * Mbit/s" (SI, as link speeds are written). */
static char *
fw_rate(uint64_t bps, char *buf, size_t size)
{
	static const char *unit[] = { "kbit/s", "Mbit/s", "Gbit/s",
				      "Tbit/s", "Pbit/s", "Ebit/s" };
	double v = (double)bps / 1000;
	size_t u = 0;

	if (bps < 1000) {
		snprintf(buf, size, "%llu bit/s", (unsigned long long)bps);
		return buf;
	}
	while (v >= 999.95 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1000;
		u++;
	}
	snprintf(buf, size, "%.1f %s", v, unit[u]);
	return buf;
}

/* "00:03:12" under a day, "2d03h" after, as `bgp summary` shows times. */
static char *
fw_duration(uint64_t ms, char *buf, size_t size)
{
	uint64_t s = ms / 1000;

	if (s < 86400)
		snprintf(buf, size, "%02u:%02u:%02u", (unsigned)(s / 3600),
			 (unsigned)(s / 60 % 60), (unsigned)(s % 60));
	else
		snprintf(buf, size, "%llud%02uh",
			 (unsigned long long)(s / 86400),
			 (unsigned)(s / 3600 % 24));
	return buf;
}

/* "1234 (1.2 MB)": packets with their bytes. */
static void
fw_cell_pkts(struct table *t, uint64_t pkts, uint64_t bytes)
{
	char b[32];

	table_cellf(t, "%llu (%s)", (unsigned long long)pkts,
		    table_bytes(bytes, b, sizeof(b)));
}

/* The non-zero counters, "no-route=3 ttl=1", or "-". */
static void
fw_cell_drops(struct table *t, Cend__V1__Counter **c, size_t n)
{
	char buf[1024];
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o < sizeof(buf); i++) {
		if (c[i]->value == 0)
			continue;
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s=%llu",
				      o > 0 ? " " : "", c[i]->name,
				      (unsigned long long)c[i]->value);
	}
	table_cell(t, o > 0 ? buf : "-");
}

/* Prints a section's title and its table, or "TITLE: none". */
static void
fw_section(const char *title, struct table *t)
{
	if (t->nrows > 1) {
		printf("\n%s:\n", title);
		table_print(t);
	} else {
		printf("\n%s: none\n", title);
	}
	table_free(t);
}

static void
fw_stats_print(const Cend__V1__ForwarderStatsResponse *r)
{
	static const char *const port_hdr[] = { "INTERFACE", "IO",
						"LINK",	     "RX",
						"TX",	     "RX RING DROPS",
						"TX ERRORS" };
	static const char *const att_hdr[] = { "ID",	"INTERFACE", "VLAN",
					       "TABLE", "RX",	     "TX",
					       "DROPS" };
	static const char *const meter_hdr[] = { "ID",	      "KIND",
						 "COMMITTED", "RATE",
						 "P95",	      "PASSED",
						 "DROPPED",   "QUEUED" };
	static const char *const hc_hdr[] = {
		"ATTACHMENT", "SOURCE", "TARGET",  "INTERVAL",
		"THRESHOLD",  "STATE",	"MISSES",  "SENT",
		"RECEIVED",   "SINCE",	"REPORTED"
	};
	static const char *const nb_hdr[] = { "INTERFACE", "VLAN", "ADDRESS",
					      "MAC", "AGE" };
	static const char *const drop_hdr[] = { "REASON", "PACKETS" };
	char a[32], b[32], up[32];
	struct table t;
	size_t i;

	printf("Forwarder %s, region %s, FIB version %llu (%llu entries) "
	       "from %s, up %s\n",
	       r->id[0] ? r->id : "-", r->region[0] ? r->region : "-",
	       (unsigned long long)r->fib_version,
	       (unsigned long long)r->fib_entries,
	       r->endpoint[0] ? r->endpoint : "(no cluster node)",
	       fw_duration(r->uptime_ms, up, sizeof(up)));

	table_init(&t, 7, port_hdr);
	for (i = 0; i < r->n_ports; i++) {
		const Cend__V1__PortStats *p = r->ports[i];

		table_cell(&t, p->interface);
		table_cell(&t, p->io[0] ? p->io : "-");
		table_cell(&t, p->link_up ? "up" : "down");
		fw_cell_pkts(&t, p->rx_packets, p->rx_bytes);
		fw_cell_pkts(&t, p->tx_packets, p->tx_bytes);
		table_cell_u64(&t, p->rx_ring_drops);
		table_cell_u64(&t, p->tx_errors);
	}
	fw_section("Ports", &t);

	table_init(&t, 7, att_hdr);
	for (i = 0; i < r->n_attachments; i++) {
		const Cend__V1__AttachmentStats *s = r->attachments[i];

		table_cell(&t, s->id);
		table_cell(&t, s->interface);
		if (s->vlan != 0)
			table_cell_u64(&t, s->vlan);
		else
			table_cell(&t, "-");
		table_cell(&t, s->table[0] ? s->table : "-");
		fw_cell_pkts(&t, s->rx_packets, s->rx_bytes);
		fw_cell_pkts(&t, s->tx_packets, s->tx_bytes);
		fw_cell_drops(&t, s->drops, s->n_drops);
	}
	fw_section("Attachments", &t);

	table_init(&t, 8, meter_hdr);
	for (i = 0; i < r->n_meters; i++) {
		const Cend__V1__MeterStats *m = r->meters[i];

		table_cell(&t, m->id);
		table_cell(&t, m->kind);
		table_cell(&t, fw_rate(m->committed_bps, a, sizeof(a)));
		table_cell(&t, fw_rate(m->rate_bps, b, sizeof(b)));
		table_cell(&t, fw_rate(m->p95_bps, a, sizeof(a)));
		fw_cell_pkts(&t, m->passed_packets, m->passed_bytes);
		fw_cell_pkts(&t, m->dropped_packets, m->dropped_bytes);
		table_cell_u64(&t, m->queued_packets);
	}
	fw_section("Meters", &t);

	table_init(&t, 11, hc_hdr);
	for (i = 0; i < r->n_health; i++) {
		const Cend__V1__HealthStats *h = r->health[i];

		table_cell(&t, h->attachment);
		table_cell(&t, h->source);
		table_cell(&t, h->target);
		table_cellf(&t, "%us", h->interval_s);
		table_cell_u64(&t, h->threshold);
		table_cell(&t, h->state);
		table_cell_u64(&t, h->misses);
		table_cell_u64(&t, h->sent);
		table_cell_u64(&t, h->received);
		table_cell(&t, fw_duration(h->last_change_ms, a, sizeof(a)));
		table_cell(&t, h->reported ? "yes" : "no");
	}
	fw_section("Health checks", &t);

	table_init(&t, 5, nb_hdr);
	for (i = 0; i < r->n_neighbors; i++) {
		const Cend__V1__NeighborStats *nb = r->neighbors[i];

		table_cell(&t, nb->interface);
		if (nb->vlan != 0)
			table_cell_u64(&t, nb->vlan);
		else
			table_cell(&t, "-");
		table_cell(&t, nb->address);
		table_cell(&t, nb->mac[0] ? nb->mac : "(unresolved)");
		table_cell(&t, fw_duration(nb->age_ms, a, sizeof(a)));
	}
	fw_section("Neighbors", &t);

	table_init(&t, 2, drop_hdr);
	for (i = 0; i < r->n_drops; i++) {
		if (r->drops[i]->value == 0)
			continue;
		table_cell(&t, r->drops[i]->name);
		table_cell_u64(&t, r->drops[i]->value);
	}
	fw_section("Drops", &t);
}

static int
forwarder_stats(struct cenctl *ctl, struct opts *o, const void *data)
{
	Cend__V1__ForwarderStatsRequest req =
		CEND__V1__FORWARDER_STATS_REQUEST__INIT;
	Cend__V1__ForwarderStatsResponse *r;
	struct cen_err err = { 0 };
	int rc;

	while (opts_next(o)) {
		if (opts_help(o))
			continue;
		if (!opts_arg(o, NULL))
			opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	rc = cenctl_call(ctl, FW_STATS_METHOD, &req.base,
			 &cend__v1__forwarder_stats_response__descriptor,
			 (ProtobufCMessage **)&r, &err);
	if (rc == -CEN_EIO || rc == -CEN_ETIMEOUT) {
		/* err lists each endpoint tried and what happened */
		cen_err_prefix(&err, "cannot reach the forwarder's API: ");
		return cenctl_fail(&err);
	}
	if (rc == -CEN_EPROTO && strstr(err.msg, "unknown method") != NULL) {
		cen_errf(&err, rc,
			 "%s does not serve %s: is it a forwarder's API "
			 "endpoint (its config's api:)?",
			 ctl->conn_ep, FW_STATS_METHOD);
		return cenctl_fail(&err);
	}
	if (rc != 0)
		return cenctl_fail(&err);
	if (ctl->json) {
		json_pb(&r->base);
		putchar('\n');
	} else {
		fw_stats_print(r);
	}
	cend__v1__forwarder_stats_response__free_unpacked(r, NULL);
	return 0;
}

static const struct opts_verb forwarder_verbs[] = {
	{ "list",
	  "usage: cenctl forwarder list\n\n"
	  "Lists the FIB subscribers (forwarders) of every member of the "
	  "cluster: the\nID each gave, its region, the node it is subscribed "
	  "to, the last version\n(applied index) sent to it in full, its lag "
	  "behind that node's applied\nindex, and its state (snapshot, "
	  "waiting, streaming, or coalescing while its\nconnection drains, "
	  "with the changes pending).  A member that does not answer\nis "
	  "reported on stderr.\n",
	  forwarder_list },
	{ "stats",
	  "usage: cenctl --endpoints FORWARDER-API forwarder stats\n\n"
	  "Asks a forwarder (cenfwd, at the api: endpoint of its "
	  "configuration, not a\ncluster node) for its counters "
	  "(ForwarderAdmin/Stats): its ID, region, FIB\nversion and the "
	  "node it is subscribed to; per port and per attachment the\n"
	  "packets and bytes received and sent, with each attachment's drops "
	  "by reason;\nthe meters with their committed rate, the rate of the "
	  "last second, the P95\nover 5 minutes, and the traffic passed, "
	  "dropped and queued; the health\nchecks; the neighbours; and the "
	  "drops not tied to an attachment.  With\n-w json, the whole "
	  "answer as one object, fields named as in\nproto/"
	  "forwarder.proto.\n",
	  forwarder_stats },
};

int
cenctl_forwarder(struct cenctl *ctl, int argc, char **argv)
{
	return opts_dispatch(ctl, "forwarder", forwarder_verbs,
			     sizeof(forwarder_verbs) /
				     sizeof(forwarder_verbs[0]),
			     NULL, argc, argv);
}

/* ---- fib watch ----------------------------------------------------- */

struct watch {
	struct cenctl *ctl;
	struct fibsub *sub;
	uv_signal_t sigint, sigterm;
	uint64_t until; /* exit once this version is held (0: never) */
	bool done;
};

static void
watch_change(const struct fibmsg_entry *e, void *arg)
{
	struct watch *w = arg;
	Cend__V1__FibEntry fe;
	struct fibmsg_entry_buf buf;
	char pb[PREFIX_STRLEN], nb[1024];
	const char *nh;

	fibmsg_entry_to(e, &fe, &buf);
	prefix_fmt(&e->prefix, pb, sizeof(pb));
	if (e->withdrawn)
		nh = "(withdrawn)";
	else if (e->no_route)
		nh = "(no route)";
	else
		nh = wire_nhg_fmt(fe.group, nb, sizeof(nb));
	if (w->ctl->json) {
		printf("{\"event\":\"change\",\"region\":");
		json_str(e->region);
		printf(",\"table\":");
		json_str(e->table);
		printf(",\"view\":");
		if (e->view[0] != '\0')
			json_str(e->view);
		else
			printf("null");
		printf(",\"prefix\":\"%s\",\"next_hops\":", pb);
		json_str(nh);
		printf("}\n");
	} else {
		printf("%c %s %s %s %s\n", e->withdrawn ? '-' : '+', e->table,
		       e->view[0] ? e->view : "-", pb, nh);
	}
}

static void
watch_stop(struct watch *w)
{
	if (w->done)
		return;
	w->done = true;
	fibsub_stop(w->sub);
	uv_close((uv_handle_t *)&w->sigint, NULL);
	uv_close((uv_handle_t *)&w->sigterm, NULL);
}

static void
watch_synced(uint64_t version, bool snapshot, void *arg)
{
	struct watch *w = arg;

	if (w->ctl->json)
		printf("{\"event\":\"synced\",\"version\":%llu,"
		       "\"snapshot\":%s,\"entries\":%zu}\n",
		       (unsigned long long)version, snapshot ? "true" : "false",
		       fibsub_count(w->sub));
	else
		printf("@ %llu %s %zu entries\n", (unsigned long long)version,
		       snapshot ? "snapshot" : "delta", fibsub_count(w->sub));
	fflush(stdout);
	if (w->until != 0 && version >= w->until)
		watch_stop(w);
}

static void
watch_log(const char *line, void *arg)
{
	struct watch *w = arg;

	if (w->ctl->json) {
		printf("{\"event\":\"log\",\"text\":");
		json_str(line);
		printf("}\n");
	} else {
		printf("# %s\n", line);
	}
	fflush(stdout);
}

static void
watch_signal(uv_signal_t *h, int signum)
{
	watch_stop(h->data);
}

static int
fib_watch(struct cenctl *ctl, struct opts *o, const void *data)
{
	struct fibsub_config c = { 0 };
	struct cen_err err = { 0 };
	struct watch w = { .ctl = ctl };
	const char *region = NULL, *dir = NULL, *id = NULL;
	char idbuf[64];
	uv_loop_t loop;
	int rc;

	while (opts_next(o)) {
		if (opts_help(o) || opts_str(o, "--region", &region) ||
		    opts_str(o, "--data-dir", &dir) ||
		    opts_str(o, "--id", &id) ||
		    opts_u64(o, "--resume", 1, UINT64_MAX, &c.resume_version) ||
		    opts_u64(o, "--until", 1, UINT64_MAX, &w.until))
			continue;
		if (!opts_arg(o, NULL))
			opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (region == NULL)
		return opts_error(o, "--region R is required");
	if (dir != NULL && c.resume_version != 0)
		return opts_error(o, "--resume and --data-dir exclude each "
				     "other (the data directory holds the "
				     "version)");
	if (cenctl_client_init(ctl, &err) != 0)
		return cenctl_fail(&err);
	if (id == NULL) {
		snprintf(idbuf, sizeof(idbuf), "cenctl-%ld", (long)getpid());
		id = idbuf;
	}
	c.region = region;
	c.endpoints = (const char *const *)ctl->eps;
	c.nendpoints = ctl->neps;
	c.subscriber_id = id;
	c.data_dir = dir;
	c.change = watch_change;
	c.synced = watch_synced;
	c.log = watch_log;
	c.arg = &w;
	uv_loop_init(&loop);
	if ((rc = fibsub_new(&loop, &c, &w.sub, &err)) != 0) {
		uv_loop_close(&loop);
		return cenctl_fail(&err);
	}
	uv_signal_init(&loop, &w.sigint);
	uv_signal_init(&loop, &w.sigterm);
	w.sigint.data = w.sigterm.data = &w;
	uv_signal_start(&w.sigint, watch_signal, SIGINT);
	uv_signal_start(&w.sigterm, watch_signal, SIGTERM);
	signal(SIGPIPE, SIG_IGN);
	fibsub_start(w.sub);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return 0;
}

static const struct opts_verb fib_watch_verb[] = {
	{ "watch",
	  "usage: cenctl fib watch --region R [--resume V | --data-dir DIR] "
	  "[--id ID]\n                       [--until V]\n\n"
	  "Subscribes to the FIB stream of region R as a forwarder does "
	  "(FibService/\nSubscribe): a snapshot, then every change, failing "
	  "over between --endpoints\nand resuming from the version held.  "
	  "Prints one line per change\n(\"+ TABLE VIEW PREFIX NEXT-HOPS\", "
	  "\"- ...\" for a removal), one per complete\nversion (\"@ VERSION "
	  "snapshot|delta ENTRIES\") and one per connection event\n(\"# "
	  "...\"); "
	  "with -w json, one object per line.  Runs until interrupted, or\n"
	  "until version V is held with --until.\n\n"
	  "  --resume V      claim to hold version V (with an empty FIB): "
	  "the node\n                  resumes after V if it can\n"
	  "  --data-dir DIR  keep the FIB in DIR/fib (LMDB) and resume from "
	  "it\n  --id ID         subscriber ID shown by `forwarder list` "
	  "(default cenctl-PID)\n",
	  fib_watch },
};

int
cenctl_fib_cmd(struct cenctl *ctl, int argc, char **argv)
{
	if (argc > 0 && strcmp(argv[0], "watch") == 0)
		return opts_dispatch(ctl, "fib", fib_watch_verb, 1, NULL, argc,
				     argv);
	return cenctl_fib(ctl, argc, argv);
}
