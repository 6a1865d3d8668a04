/*
 * cend.c - the cluster node daemon: flags, the event loop, signals.
 *
 *   cend --id N --region R --data-dir DIR --raft-addr HOST:PORT
 *        --api-addr HOST:PORT [--initial-cluster 1=H:P,2=H:P,...]
 *        [--join API-ADDR] [--region-peer REGION=H:P,...]
 *        [--log-level LEVEL]
 *
 * Runs in the foreground, logs to stderr, exits cleanly on SIGTERM/SIGINT.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "bgp/bgp_speaker.h"
#include "consensus/api.h"
#include "consensus/fibstream.h"
#include "consensus/node.h"
#include "consensus/regionx.h"
#include "proto/admin.pb-c.h"

static const char usage_text[] =
	"usage: cend --id N --region R --data-dir DIR --raft-addr HOST:PORT\n"
	"            --api-addr HOST:PORT [options]\n\n"
	"Runs one node of a region's cend cluster in the foreground.\n\n"
	"  --id N                 this node's ID (1..65535)\n"
	"  --region R             the region this cluster serves\n"
	"  --data-dir DIR         Raft log and LMDB state (created if "
	"missing)\n"
	"  --raft-addr HOST:PORT  address for Raft traffic between nodes\n"
	"  --api-addr HOST:PORT   admin API (cenctl); repeatable, also\n"
	"                         unix:/path for a Unix socket\n"
	"  --initial-cluster LIST bootstrap members: 1=HOST:PORT,2=HOST:PORT\n"
	"                         (Raft addresses; every founding node gets\n"
	"                         the same list; ignored once bootstrapped)\n"
	"  --bgp-addr HOST[:PORT] run the BGP speaker there (port 179 when\n"
	"                         left out) for the peers that name this node\n"
	"  --join API-ADDR        join a running cluster through any member's\n"
	"                         API (as a spare; then `cenctl member\n"
	"                         promote`)\n"
	"  --node-grace-ms MS     the leader withdraws the BGP paths of a\n"
	"                         node silent this long (default 120000)\n"
	"  --region-peer REGION=HOST:PORT[,HOST:PORT...]\n"
	"                         another region's cluster (API endpoints of\n"
	"                         its nodes): the leader imports the paths\n"
	"                         and health that region learns; repeatable,\n"
	"                         one per other region of the CEN\n"
	"  --region-grace-ms MS   a peer region whose stream is down this "
	"long\n"
	"                         is marked unreachable: its routes leave\n"
	"                         this region's tables (default 30000)\n"
	"  --fib-history-mb N     FIB changes kept for forwarders that resume\n"
	"                         (MiB of memory; older versions get a new\n"
	"                         snapshot; default 16)\n"
	"  --election-ms MS       election timeout (default 1000)\n"
	"  --heartbeat-ms MS      heartbeat interval (default 100)\n"
	"  --snapshot-threshold N entries between snapshots (default 1024)\n"
	"  --snapshot-trailing N  entries kept after a snapshot (default 128)\n"
	"  --log-level LEVEL      error | warn | info | debug (default info)\n"
	"  -h, --help             this help\n";

static uv_loop_t loop;
static struct node *node;
static struct api *api;
static struct fibstream *fibstream;
static struct regionexp *regionexp;
static struct regionx *regionx;
static struct bgp_speaker *speaker;
static uv_signal_t sigterm, sigint;
static uv_timer_t handoff_timer;
static int log_level = 2;

static void logf_(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
logf_(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *s == '\0' || *s == '-' || *end != '\0' || v < min ||
	    v > max)
		return -1;
	*out = v;
	return 0;
}

static int
parse_cluster(const char *s, struct node_config *cfg)
{
	char buf[4096], *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (char *tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		uint64_t id;

		if (eq == NULL || cfg->ninitial == NODE_MAX_MEMBERS)
			return -1;
		*eq = '\0';
		if (parse_u64(tok, 1, 65535, &id) != 0 || strlen(eq + 1) == 0 ||
		    strlen(eq + 1) >= NODE_ADDR_MAX)
			return -1;
		cfg->initial[cfg->ninitial].id = id;
		snprintf(cfg->initial[cfg->ninitial].raft_addr, NODE_ADDR_MAX,
			 "%s", eq + 1);
		cfg->ninitial++;
	}
	return cfg->ninitial > 0 ? 0 : -1;
}

static void
stopped(void *arg)
{
	(void)arg;
	uv_close((uv_handle_t *)&sigterm, NULL);
	uv_close((uv_handle_t *)&sigint, NULL);
	uv_close((uv_handle_t *)&handoff_timer, NULL);
}

static void
shutdown_now(uv_timer_t *t)
{
	static bool down;

	if (down)
		return;
	down = true;
	uv_timer_stop(&handoff_timer);
	if (speaker != NULL)
		bgp_speaker_stop(speaker);
	speaker = NULL;
	if (fibstream != NULL)
		fibstream_stop(fibstream); /* subscribers fail over now */
	fibstream = NULL;
	if (regionx != NULL)
		regionx_stop(regionx);
	regionx = NULL;
	if (regionexp != NULL)
		regionexp_stop(regionexp); /* other regions fail over now */
	regionexp = NULL;
	if (api != NULL)
		api_stop(api);
	api = NULL;
	if (node != NULL)
		node_stop(node, stopped, NULL);
	else
		stopped(NULL);
}

/* The leadership transfer is over (done or given up): stop on the next
 * loop turn, outside Raft's callback. */
static void
handed_off(int status, const char *message, void *arg)
{
	if (!uv_is_closing((uv_handle_t *)&handoff_timer))
		uv_timer_start(&handoff_timer, shutdown_now, 0, 0);
}

/* A leader told to stop first hands leadership to an up-to-date voter (as
 * `leader transfer` does), so a planned restart does not leave the cluster
 * without a leader for an election timeout; the API keeps serving and
 * forwarding meanwhile.  Raft gives a transfer up after an election
 * timeout; the timer is a guard should it never call back. */
static void
on_signal(uv_signal_t *h, int signum)
{
	static bool stopping;

	if (stopping)
		return;
	stopping = true;
	logf_(2, "cend: %s: shutting down",
	      signum == SIGTERM ? "SIGTERM" : "SIGINT");
	uv_timer_start(&handoff_timer, shutdown_now,
		       2 * (uint64_t)node_config(node)->election_ms, 0);
	if (node_is_leader(node) &&
	    node_leader_transfer(node, 0, handed_off, NULL) == 0)
		logf_(2, "cend: handing leadership over first");
	else
		shutdown_now(NULL);
}

/* --join: ask the cluster (through any member's API) to add this node as a
 * spare, then start without bootstrapping. */
static int
join_cluster(const struct node_config *cfg, struct cen_err *err)
{
	struct rpc_sync *c;
	Cend__V1__MemberAddRequest req = CEND__V1__MEMBER_ADD_REQUEST__INIT;
	uint8_t buf[512], *resp = NULL;
	size_t len, rlen = 0;
	rpc_status status;
	char *msg = NULL;
	int rc;

	rc = rpc_sync_connect(cfg->join, 5000, &c, err);
	if (rc != 0)
		return rc;
	req.id = cfg->id;
	req.raft_addr = (char *)cfg->raft_addr;
	req.api_addr = (char *)cfg->api_addr;
	len = cend__v1__member_add_request__get_packed_size(&req);
	cend__v1__member_add_request__pack(&req, buf);
	rc = rpc_sync_call(c, "cend.v1.Admin/MemberAdd", buf, len, 15000,
			   &status, &msg, &resp, &rlen, err);
	rpc_sync_close(c);
	if (rc == 0 && status != RPC_OK && status != RPC_ALREADY_EXISTS)
		rc = cen_errf(err, -CEN_EIO, "join via %s: %s", cfg->join,
			      msg ? msg : rpc_status_str(status));
	free(msg);
	free(resp);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "region", required_argument, NULL, 'r' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "raft-addr", required_argument, NULL, 'R' },
		{ "api-addr", required_argument, NULL, 'a' },
		{ "initial-cluster", required_argument, NULL, 'c' },
		{ "join", required_argument, NULL, 'j' },
		{ "bgp-addr", required_argument, NULL, 'b' },
		{ "node-grace-ms", required_argument, NULL, 'g' },
		{ "election-ms", required_argument, NULL, 'E' },
		{ "heartbeat-ms", required_argument, NULL, 'H' },
		{ "snapshot-threshold", required_argument, NULL, 'S' },
		{ "snapshot-trailing", required_argument, NULL, 'T' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "region-peer", required_argument, NULL, 'P' },
		{ "region-grace-ms", required_argument, NULL, 'G' },
		{ "fib-history-mb", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct node_config cfg;
	static struct regionx_peer peers[REGIONX_PEERS_MAX];
	struct regionx_config rxcfg = { .peers = peers };
	struct fibstream_config fscfg = { 0 };
	const char *apis[8];
	const char *bgp_addr = NULL;
	size_t napis = 0;
	struct cen_err err = { 0 };
	uint64_t v;
	int c, rc;

	memset(&cfg, 0, sizeof(cfg));
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (parse_u64(optarg, 1, 65535, &cfg.id) != 0) {
				fprintf(stderr,
					"cend: --id %s: expected "
					"1..65535\n",
					optarg);
				return 2;
			}
			break;
		case 'r':
			snprintf(cfg.region, sizeof(cfg.region), "%s", optarg);
			break;
		case 'd':
			snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s",
				 optarg);
			break;
		case 'R':
			snprintf(cfg.raft_addr, sizeof(cfg.raft_addr), "%s",
				 optarg);
			break;
		case 'a':
			if (napis == 8) {
				fprintf(stderr, "cend: at most 8 --api-addr\n");
				return 2;
			}
			apis[napis++] = optarg;
			if (cfg.api_addr[0] == '\0' &&
			    strncmp(optarg, "unix:", 5) != 0)
				snprintf(cfg.api_addr, sizeof(cfg.api_addr),
					 "%s", optarg);
			break;
		case 'c':
			if (parse_cluster(optarg, &cfg) != 0) {
				fprintf(stderr,
					"cend: --initial-cluster %s: expected "
					"ID=HOST:PORT[,ID=HOST:PORT...] with "
					"IDs 1..65535\n",
					optarg);
				return 2;
			}
			break;
		case 'b':
			bgp_addr = optarg;
			break;
		case 'j':
			snprintf(cfg.join, sizeof(cfg.join), "%s", optarg);
			break;
		case 'g':
			if (parse_u64(optarg, 1, 86400000, &v) != 0) {
				fprintf(stderr,
					"cend: --node-grace-ms %s: "
					"expected 1..86400000\n",
					optarg);
				return 2;
			}
			cfg.node_grace_ms = (unsigned)v;
			break;
		case 'E':
		case 'H':
		case 'S':
		case 'T':
			if (parse_u64(optarg, 1, 1000000000, &v) != 0) {
				fprintf(stderr, "cend: bad number '%s'\n",
					optarg);
				return 2;
			}
			if (c == 'E')
				cfg.election_ms = (unsigned)v;
			else if (c == 'H')
				cfg.heartbeat_ms = (unsigned)v;
			else if (c == 'S')
				cfg.snapshot_threshold = (unsigned)v;
			else
				cfg.snapshot_trailing = (unsigned)v;
			break;
		case 'P':
			if (rxcfg.npeers == REGIONX_PEERS_MAX) {
				fprintf(stderr,
					"cend: at most %d --region-peer\n",
					REGIONX_PEERS_MAX);
				return 2;
			}
			if (regionx_parse_peer(optarg, &peers[rxcfg.npeers],
					       &err) != 0) {
				fprintf(stderr, "cend: --region-peer %s\n",
					err.msg);
				return 2;
			}
			rxcfg.npeers++;
			break;
		case 'G':
			if (parse_u64(optarg, 1, 86400000, &v) != 0) {
				fprintf(stderr,
					"cend: --region-grace-ms %s: "
					"expected 1..86400000\n",
					optarg);
				return 2;
			}
			rxcfg.grace_ms = (uint32_t)v;
			break;
		case 'F':
			if (parse_u64(optarg, 1, 65536, &v) != 0) {
				fprintf(stderr,
					"cend: --fib-history-mb %s: "
					"expected 1..65536\n",
					optarg);
				return 2;
			}
			fscfg.history_bytes = (size_t)v << 20;
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
					"cend: --log-level %s: "
					"expected error, warn, info or "
					"debug\n",
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
	if (optind < argc || cfg.id == 0 || cfg.region[0] == '\0' ||
	    cfg.data_dir[0] == '\0' || cfg.raft_addr[0] == '\0' || napis == 0) {
		fprintf(stderr, "cend: --id, --region, --data-dir, --raft-addr "
				"and --api-addr are required (try --help)\n");
		return 2;
	}
	if (cfg.api_addr[0] == '\0')
		snprintf(cfg.api_addr, sizeof(cfg.api_addr), "%s", apis[0]);
	for (size_t i = 0; i < rxcfg.npeers; i++) {
		bool twice = false;

		for (size_t k = 0; k < i; k++)
			twice |= strcmp(peers[k].region, peers[i].region) == 0;
		if (twice || strcmp(peers[i].region, cfg.region) == 0) {
			fprintf(stderr, "cend: --region-peer %s: %s\n",
				peers[i].region,
				twice ? "given twice"
				      : "the node's own region (--region)");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&loop);
	if (cfg.join[0] != '\0' && cfg.ninitial == 0) {
		rc = join_cluster(&cfg, &err);
		if (rc != 0) {
			fprintf(stderr, "cend: %s\n", err.msg);
			return 1;
		}
	}
	rc = node_start(&loop, &cfg, &node, &err);
	if (rc != 0) {
		fprintf(stderr, "cend: %s\n", err.msg);
		return 1;
	}
	/* the FIB stream (FibService/Subscribe, Admin/ForwarderList) */
	rc = fibstream_new(&loop, node, &fscfg, &fibstream, &err);
	if (rc != 0) {
		fprintf(stderr, "cend: %s\n", err.msg);
		return 1;
	}
	for (const struct rpc_method *m = fibstream_methods(fibstream);
	     m->name != NULL; m++) {
		if (api_extend(m) != 0) {
			fprintf(stderr, "cend: no room for method %s\n",
				m->name);
			return 1;
		}
	}
	/* the exchange between regions (Region/SubscribePaths served to
	 * other regions; the imports from them; Admin/RegionList) */
	rc = regionexp_new(&loop, node, NULL, &regionexp, &err);
	if (rc == 0)
		rc = regionx_new(&loop, node, &rxcfg, &regionx, &err);
	if (rc != 0) {
		fprintf(stderr, "cend: %s\n", err.msg);
		return 1;
	}
	for (int k = 0; k < 2; k++) {
		const struct rpc_method *m =
			k == 0 ? regionexp_methods(regionexp)
			       : regionx_methods(regionx);

		for (; m->name != NULL; m++) {
			if (api_extend(m) != 0) {
				fprintf(stderr, "cend: no room for method %s\n",
					m->name);
				return 1;
			}
		}
	}
	rc = api_start(&loop, node, apis, napis, &api, &err);
	if (rc != 0) {
		fprintf(stderr, "cend: %s\n", err.msg);
		return 1;
	}
	if (bgp_addr != NULL) {
		rc = bgp_speaker_start(&loop, node, bgp_addr, &speaker, &err);
		if (rc != 0) {
			fprintf(stderr, "cend: %s\n", err.msg);
			return 1;
		}
		api_set_speaker(api, speaker);
	}
	uv_signal_init(&loop, &sigterm);
	uv_signal_init(&loop, &sigint);
	uv_timer_init(&loop, &handoff_timer);
	uv_signal_start(&sigterm, on_signal, SIGTERM);
	uv_signal_start(&sigint, on_signal, SIGINT);
	logf_(2, "cend: node %llu of %s: raft %s, api %s, data %s",
	      (unsigned long long)cfg.id, cfg.region, cfg.raft_addr,
	      cfg.api_addr, cfg.data_dir);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	logf_(2, "cend: stopped");
	return 0;
}
