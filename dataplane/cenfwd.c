/*
 * cenfwd.c - the forwarder daemon: its configuration, the FIB
 * subscription, the model from the cluster, health-check reports and the
 * stats endpoint, all on one libuv loop; packets are forwarded on a thread
 * of their own (fwd_worker.c).
 *
 *   cenfwd --config FILE.yaml [--log-level LEVEL]
 *
 * What the forwarder needs of the model (the attachments' route tables,
 * VLANs, addresses, bandwidth and health checks) it reads from the cluster
 * (Admin/Get) every few seconds and keeps in DATA_DIR/model.yaml, as
 * fibsub keeps the FIB in DATA_DIR/fib/: a forwarder restarted while the
 * cluster is unreachable forwards at once by what it last had.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <urcu.h>
#include <uv.h>

#include "core/model_yaml.h"
#include "dataplane/fibsub.h"
#include "dataplane/fwd.h"
#include "proto/admin.pb-c.h"
#include "proto/command.pb-c.h"
#include "proto/forwarder.pb-c.h"
#include "proto/rpc.h"

#define MODEL_POLL_MS	2000
#define HEALTH_RETRY_MS 1000
#define CALL_TIMEOUT_MS 3000
#define PENDING_MAX	64

static const char usage_text[] =
	"usage: cenfwd --config FILE.yaml [--log-level LEVEL]\n\n"
	"Runs a forwarder in the foreground: subscribes to its region's FIB "
	"on\n"
	"the cluster, forwards packets between its ports by it, meters the\n"
	"VBRs' bandwidth and runs their health checks.  The file names the\n"
	"forwarder, its region, the cluster's endpoints and which port (and\n"
	"VLAN) carries which attachment; see dataplane/fwdconf.h or the\n"
	"README.\n\n"
	"  -c, --config FILE      the forwarder's configuration (required)\n"
	"  --check                parse the configuration, print it back in\n"
	"                         one line per port, and exit\n"
	"  --log-level LEVEL      error | warn | info | debug (default info)\n"
	"  -h, --help             this help\n";

static uv_loop_t loop;
static struct fwdconf conf;
static struct fwd *fwd;
static struct fibsub *fsub;
static struct rpc_client *client;
static struct rpc_server *server;
static uv_signal_t sigterm, sigint;
static uv_timer_t model_timer, health_timer;
static uv_async_t events_async;
static int log_level = 2;
static size_t endpoint_next; /* the cluster endpoint to call next */
static char *model_yaml;     /* the model last applied */
static bool model_inflight, stopping;

/* Health states not yet acknowledged by the cluster. */
static struct pending_health {
	char attachment[FWDCONF_ID_MAX];
	bool up;
	bool inflight;
} pending[PENDING_MAX];
static size_t npending;

static void logf_(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
logf_(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	fputs("cenfwd: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *
next_endpoint(void)
{
	return conf.cluster[endpoint_next++ % conf.ncluster];
}

/* ---- the model ------------------------------------------------------ */

static char *
model_path(void)
{
	static char path[4096];

	if (conf.data_dir == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/model.yaml", conf.data_dir);
	return path;
}

static void
model_save(const char *yaml)
{
	char tmp[4200], *path = model_path();
	FILE *fp;

	if (path == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL || fputs(yaml, fp) == EOF ||
	    fclose(fp) != 0 || rename(tmp, path) != 0) {
		logf_(1, "cannot keep the model in %s: %s", path,
		      strerror(errno));
		if (fp != NULL)
			unlink(tmp);
	}
}

/* Applies a model in YAML; false when it does not parse. */
static bool
model_apply(const char *yaml, size_t len, const char *from)
{
	struct model m;
	struct cen_err err;
	int rc;

	model_init(&m);
	cen_err_clear(&err);
	rc = model_yaml_parse(&m, yaml, len, &err);
	if (rc) {
		logf_(1, "the model from %s does not parse: %s", from, err.msg);
		model_free(&m);
		return false;
	}
	cen_err_clear(&err);
	fwd_set_model(fwd, &m, &err);
	if (err.msg[0])
		logf_(1, "%s", err.msg);
	model_free(&m);
	logf_(3, "model from %s applied", from);
	return true;
}

static void
on_model(rpc_status status, const char *message, const uint8_t *payload,
	 size_t len, bool eos, void *arg)
{
	Cend__V1__GetResponse *r;
	const char *ep = arg;

	(void)eos;
	model_inflight = false;
	if (stopping)
		return;
	if (status != RPC_OK) {
		logf_(3, "%s: reading the model: %s", ep,
		      message ? message : rpc_status_str(status));
		return;
	}
	r = cend__v1__get_response__unpack(NULL, len, payload);
	if (r == NULL || r->yaml == NULL) {
		logf_(1, "%s: a Get answer that does not decode", ep);
	} else if (model_yaml == NULL || strcmp(model_yaml, r->yaml)) {
		if (model_apply(r->yaml, strlen(r->yaml), ep)) {
			free(model_yaml);
			model_yaml = strdup(r->yaml);
			if (model_yaml != NULL)
				model_save(model_yaml);
		}
	}
	if (r != NULL)
		cend__v1__get_response__free_unpacked(r, NULL);
}

static void
model_poll(uv_timer_t *t)
{
	Cend__V1__GetRequest req = CEND__V1__GET_REQUEST__INIT;
	uint8_t buf[16];
	const char *ep;
	size_t len;

	(void)t;
	if (model_inflight || stopping)
		return;
	/* the node the FIB comes from, else the next one */
	{
		struct fibsub_status st;

		fibsub_get_status(fsub, &st);
		ep = st.endpoint != NULL ? st.endpoint : next_endpoint();
	}
	len = cend__v1__get_request__pack(&req, buf);
	if (rpc_client_call(client, ep, "cend.v1.Admin/Get", buf, len,
			    CALL_TIMEOUT_MS, on_model, (void *)ep) == 0)
		model_inflight = true;
}

static void
model_load_saved(void)
{
	char *path = model_path(), *buf;
	FILE *fp;
	long n;

	if (path == NULL || (fp = fopen(path, "r")) == NULL)
		return;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) > 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
		if (fread(buf, 1, (size_t)n, fp) == (size_t)n) {
			buf[n] = '\0';
			if (model_apply(buf, (size_t)n, path)) {
				model_yaml = buf;
				buf = NULL;
			}
		}
		free(buf);
	}
	fclose(fp);
}

/* ---- health reports ------------------------------------------------- */

static void health_send(void);

static void
on_health(rpc_status status, const char *message, const uint8_t *payload,
	  size_t len, bool eos, void *arg)
{
	struct pending_health *p = arg;

	(void)payload;
	(void)len;
	(void)eos;
	p->inflight = false;
	if (stopping)
		return;
	if (status != RPC_OK) {
		logf_(1, "reporting %s %s: %s; retrying", p->attachment,
		      p->up ? "up" : "down",
		      message ? message : rpc_status_str(status));
		uv_timer_start(&health_timer, (uv_timer_cb)health_send,
			       HEALTH_RETRY_MS, 0);
		return;
	}
	logf_(2, "health: %s %s, committed by the cluster", p->attachment,
	      p->up ? "up" : "down");
	fwd_health_reported(fwd, p->attachment, p->up);
	memmove(p, p + 1, (size_t)(&pending[npending] - (p + 1)) * sizeof(*p));
	npending--;
	health_send();
}

static void
health_send(void)
{
	Cend__V1__HealthUpdate h = CEND__V1__HEALTH_UPDATE__INIT;
	struct pending_health *p;
	uint8_t buf[256];
	size_t len;

	if (npending == 0 || pending[0].inflight || stopping)
		return;
	p = &pending[0];
	h.attachment = p->attachment;
	h.up = p->up;
	len = cend__v1__health_update__pack(&h, buf);
	if (rpc_client_call(client, next_endpoint(), "cend.v1.Admin/Health",
			    buf, len, CALL_TIMEOUT_MS, on_health, p) == 0)
		p->inflight = true;
	else
		uv_timer_start(&health_timer, (uv_timer_cb)health_send,
			       HEALTH_RETRY_MS, 0);
}

static void
on_events(uv_async_t *h)
{
	struct fwd_health_event ev[16];
	size_t n;

	(void)h;
	while ((n = fwd_health_events(fwd, ev, 16)) > 0) {
		for (size_t i = 0; i < n; i++) {
			struct pending_health *p = NULL;

			logf_(2, "health: %s is %s", ev[i].attachment,
			      ev[i].up ? "up" : "down");
			/* the latest state of an attachment replaces one
			 * not yet sent */
			for (size_t j = 0; j < npending; j++)
				if (!strcmp(pending[j].attachment,
					    ev[i].attachment) &&
				    !pending[j].inflight)
					p = &pending[j];
			if (p == NULL && npending < PENDING_MAX)
				p = &pending[npending++];
			if (p == NULL)
				continue;
			memcpy(p->attachment, ev[i].attachment,
			       sizeof(p->attachment));
			p->up = ev[i].up;
			p->inflight = false;
		}
	}
	health_send();
}

static void
notify_events(void *arg)
{
	(void)arg;
	uv_async_send(&events_async);
}

/* ---- the FIB -------------------------------------------------------- */

static void
on_change(const struct fibmsg_entry *e, void *arg)
{
	(void)arg;
	fwd_fib_change(fwd, e);
}

static void
on_synced(uint64_t version, bool snapshot, void *arg)
{
	(void)arg;
	fwd_fib_synced(fwd, version);
	logf_(snapshot ? 2 : 3, "FIB %s at version %llu (%zu entries)",
	      snapshot ? "complete" : "updated", (unsigned long long)version,
	      fibsub_count(fsub));
}

static void
on_fsub_log(const char *line, void *arg)
{
	(void)arg;
	logf_(2, "%s", line);
}

/* ---- stats endpoint ------------------------------------------------- */

static void
h_stats(struct rpc_call *call, const uint8_t *payload, size_t len, void *arg)
{
	Cend__V1__ForwarderStatsResponse r =
		CEND__V1__FORWARDER_STATS_RESPONSE__INIT;
	struct fibsub_status st;

	(void)payload;
	(void)len;
	(void)arg;
	fibsub_get_status(fsub, &st);
	if (fwd_stats_fill(fwd, &r, fwd_now_ns())) {
		rpc_reply_error(call, RPC_INTERNAL, "out of memory");
		fwd_stats_free(&r);
		return;
	}
	r.id = conf.id;
	r.region = conf.region;
	r.fib_version = st.version;
	r.fib_entries = st.entries;
	r.endpoint = (char *)(st.endpoint ? st.endpoint : "");
	rpc_reply_msg(call, &r.base);
	r.id = r.region = r.endpoint = NULL;
	fwd_stats_free(&r);
}

static const struct rpc_method methods[] = {
	{ "cend.v1.ForwarderAdmin/Stats", h_stats, NULL },
	{ NULL, NULL, NULL },
};

/* ---- main ----------------------------------------------------------- */

static void
close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	(void)h;
	logf_(2, "signal %d: stopping", signum);
	stopping = true;
	fwd_worker_stop(fwd);
	if (fsub != NULL)
		fibsub_stop(fsub);
	fsub = NULL;
	if (server != NULL)
		rpc_server_close(server);
	server = NULL;
	rpc_client_close(client);
	client = NULL;
	uv_timer_stop(&model_timer);
	uv_timer_stop(&health_timer);
	uv_close((uv_handle_t *)&model_timer, NULL);
	uv_close((uv_handle_t *)&health_timer, NULL);
	uv_close((uv_handle_t *)&events_async, NULL);
	uv_close((uv_handle_t *)&sigterm, NULL);
	uv_close((uv_handle_t *)&sigint, NULL);
}

static void
print_conf(const struct fwdconf *c)
{
	printf("forwarder %s in %s, cluster", c->id, c->region);
	for (size_t i = 0; i < c->ncluster; i++)
		printf(" %s", c->cluster[i]);
	printf("\n");
	for (size_t p = 0; p < c->nports; p++) {
		const struct fwdconf_port *cp = &c->ports[p];

		printf("port %s:", cp->ifname);
		if (cp->backbone)
			printf(" backbone (%zu peers)", cp->npeers);
		for (size_t i = 0; i < cp->natts; i++) {
			if (cp->atts[i].vlan_set)
				printf(" %s@vlan%u", cp->atts[i].id,
				       cp->atts[i].vlan);
			else
				printf(" %s", cp->atts[i].id);
		}
		printf("\n");
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	struct fibsub_config fc = { 0 };
	struct cen_err err;
	bool check = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'k':
			check = true;
			break;
		case 'l':
			if (!strcmp(optarg, "error"))
				log_level = 0;
			else if (!strcmp(optarg, "warn"))
				log_level = 1;
			else if (!strcmp(optarg, "info"))
				log_level = 2;
			else if (!strcmp(optarg, "debug"))
				log_level = 3;
			else {
				fprintf(stderr,
					"cenfwd: --log-level: expected error, "
					"warn, info or debug, got \"%s\"\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (path == NULL || optind != argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	fwdconf_init(&conf);
	cen_err_clear(&err);
	if ((rc = fwdconf_load_file(&conf, path, &err)) != 0) {
		fprintf(stderr, "cenfwd: %s\n", err.msg);
		return 1;
	}
	if (check) {
		print_conf(&conf);
		fwdconf_free(&conf);
		return 0;
	}
	rcu_register_thread();
	if (conf.data_dir != NULL && mkdir(conf.data_dir, 0755) != 0 &&
	    errno != EEXIST) {
		fprintf(stderr, "cenfwd: %s: %s\n", conf.data_dir,
			strerror(errno));
		return 1;
	}
	if ((rc = fwd_new(&conf, &fwd, &err)) != 0) {
		fprintf(stderr, "cenfwd: %s\n", err.msg);
		return 1;
	}
	uv_loop_init(&loop);
	uv_async_init(&loop, &events_async, on_events);
	fwd_set_event_notify(fwd, notify_events, NULL);
	model_load_saved();

	fc.region = conf.region;
	fc.endpoints =
		(const char *const *)calloc(conf.ncluster, sizeof(char *));
	for (size_t i = 0; fc.endpoints != NULL && i < conf.ncluster; i++)
		((const char **)fc.endpoints)[i] = conf.cluster[i];
	fc.nendpoints = conf.ncluster;
	fc.subscriber_id = conf.id;
	fc.data_dir = conf.data_dir;
	fc.change = on_change;
	fc.synced = on_synced;
	fc.log = on_fsub_log;
	cen_err_clear(&err);
	if (fc.endpoints == NULL ||
	    (rc = fibsub_new(&loop, &fc, &fsub, &err)) != 0) {
		fprintf(stderr, "cenfwd: %s\n",
			fc.endpoints ? err.msg : "out of memory");
		return 1;
	}
	if (rpc_client_new(&loop, &client) != 0) {
		fprintf(stderr, "cenfwd: cannot make an RPC client\n");
		return 1;
	}
	if (conf.api[0]) {
		if (rpc_server_new(&loop, methods, 0, &server) != 0 ||
		    rpc_server_listen(server, conf.api, &err) != 0) {
			fprintf(stderr, "cenfwd: api %s: %s\n", conf.api,
				err.msg);
			return 1;
		}
	}
	/* the saved FIB first, so forwarding starts before the cluster
	 * answers */
	fibsub_start(fsub);
	if ((rc = fwd_worker_start(fwd, &err)) != 0) {
		fprintf(stderr, "cenfwd: %s\n", err.msg);
		return 1;
	}
	uv_timer_init(&loop, &model_timer);
	uv_timer_init(&loop, &health_timer);
	uv_timer_start(&model_timer, model_poll, 0, MODEL_POLL_MS);
	uv_signal_init(&loop, &sigterm);
	uv_signal_init(&loop, &sigint);
	uv_signal_start(&sigterm, on_signal, SIGTERM);
	uv_signal_start(&sigint, on_signal, SIGINT);
	logf_(2, "forwarder %s of %s: %zu ports, %zu cluster endpoints",
	      conf.id, conf.region, conf.nports, conf.ncluster);

	uv_run(&loop, UV_RUN_DEFAULT);
	uv_walk(&loop, close_walk, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	fwd_free(fwd);
	free((void *)fc.endpoints);
	free(model_yaml);
	fwdconf_free(&conf);
	rcu_unregister_thread();
	return 0;
}
