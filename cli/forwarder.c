/*
 * forwarder.c - the FIB stream seen from cenctl: `forwarder list` (every
 * node's FIB subscribers, with the version each was last sent and its lag
 * behind the node's applied index: Admin/ForwarderList on each member) and
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
