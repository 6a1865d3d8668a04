/*
 * cluster_bench.c - write throughput and latency of a running cend cluster
 * (scripts/bench-cluster starts one on loopback and runs this against it).
 *
 * Phase 1, unbatched baseline: one client sends Admin/Paths requests of
 * one route add each, one at a time, to the leader.
 *
 * Phase 2, throughput: K client connections (threads) send Admin/Paths
 * requests of B route adds each (distinct IPv4 /24 prefixes, runs of 16
 * with one of 8 attribute sets, as BGP UPDATEs bring them; each run sent
 * as one PathGroup, or with --ungrouped as one PathAdd per route, every
 * one carrying its attributes) to the endpoints given, leader and
 * followers in turn (so
 * that followers forward), until N updates are acknowledged; then Admin/
 * Status is polled on every node until each has applied the index of the
 * last acknowledged write.  updates/s = N / (first send .. all applied).
 *
 * Phase 3, latency: sequential single-route writes (Admin/Paths with one
 * add, or Admin/Health toggling an attachment) to a follower, then to the
 * leader, each timed from send to answer; p50/p90/p99/max.
 *
 * Prints a table, then one JSON line.
 *
 * Usage: cluster_bench --endpoints HOST:PORT,... [--attachment ID]
 *                      [--peer ADDRESS] [--node N] [--clients K]
 *                      [--batch B] [--updates N] [--base-updates M]
 *                      [--latency-writes L] [--latency-kind paths|health]
 *                      [--health-attachment ID] [--cpu-pids PID,...]
 *                      [--ungrouped] [--json-only]
 *
 * --cpu-pids names the nodes' processes (when they run on this machine):
 * their CPU time over each throughput phase is printed too, a figure that
 * holds when other work shares the machine and wall-clock time does not.
 * bytes_per_update is the requests' size over the routes they carry: what
 * a route costs in the replicated log, give or take a few bytes a command.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/attr.h"
#include "proto/admin.pb-c.h"
#include "proto/rpc.h"

#define BENCH_MAX_EP   16
#define BENCH_NSETS    8
#define BENCH_CALL_MS  120000
#define BENCH_WAIT_S   600
#define BENCH_PFX_BASE 0x10000000u /* 16.0.0.0: first /24 of phase 1 */
#define BENCH_PFX_MAX  ((0xc0000000u - BENCH_PFX_BASE) >> 8)
#define BENCH_LAT_PFX  0xc8000000u /* 200.0.0.0: past the /24s above */
#define BENCH_POLL_US  2000

struct opts {
	const char *ep[BENCH_MAX_EP];
	size_t nep;
	const char *attachment;
	const char *peer;
	uint32_t node;
	unsigned clients;
	unsigned batch;
	uint64_t updates;
	uint64_t base_updates;
	unsigned lat_writes;
	bool lat_health;
	const char *health_att;
	int cpu_pids[BENCH_MAX_EP];
	size_t ncpu_pids;
	bool json_only;
	bool ungrouped; /* one PathAdd per route, not PathGroups */
};

static struct opts o = {
	.attachment = "vbr-dc-1",
	.peer = "127.0.0.11",
	.node = 1,
	.clients = 4,
	.batch = 1000,
	.updates = 1000000,
	.base_updates = 2000,
	.lat_writes = 2000,
	.health_att = "vpc-bu-b",
};

/* ---- helpers ------------------------------------------------------- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
die(const char *what, const struct cen_err *err)
{
	fprintf(stderr, "cluster_bench: %s%s%s\n", what, err ? ": " : "",
		err ? err->msg : "");
	exit(1);
}

static struct rpc_sync *
connect_ep(const char *ep)
{
	struct cen_err err = { 0 };
	struct rpc_sync *c;

	if (rpc_sync_connect(ep, 5000, &c, &err) != 0)
		die(ep, &err);
	return c;
}

/* A unary call whose answer must be OK; returns the payload (malloc'd). */
static uint8_t *
call_ok(struct rpc_sync *c, const char *method, const ProtobufCMessage *req,
	size_t *rlen)
{
	size_t len = protobuf_c_message_get_packed_size(req);
	uint8_t *buf = malloc(len ? len : 1), *resp = NULL;
	struct cen_err err = { 0 };
	rpc_status st;
	char *msg = NULL;
	int rc;

	if (buf == NULL)
		die("out of memory", NULL);
	protobuf_c_message_pack(req, buf);
	rc = rpc_sync_call(c, method, buf, len, BENCH_CALL_MS, &st, &msg, &resp,
			   rlen, &err);
	free(buf);
	if (rc != 0)
		die(method, &err);
	if (st != RPC_OK) {
		fprintf(stderr, "cluster_bench: %s: %s: %s\n", method,
			rpc_status_str(st), msg ? msg : "");
		exit(1);
	}
	free(msg);
	return resp;
}

static Cend__V1__StatusResponse *
status(struct rpc_sync *c)
{
	Cend__V1__StatusRequest req = CEND__V1__STATUS_REQUEST__INIT;
	Cend__V1__StatusResponse *r;
	uint8_t *resp;
	size_t len = 0;

	/* the state hash walks the whole state: pollers do without */
	req.skip_state_hash = true;
	resp = call_ok(c, "cend.v1.Admin/Status", &req.base, &len);
	r = cend__v1__status_response__unpack(NULL, len, resp);
	free(resp);
	if (r == NULL)
		die("Status: answer does not decode", NULL);
	return r;
}

/* True when the node knows every member's API address (so that it can
 * forward writes to whichever is the leader). */
static bool
knows_members(struct rpc_sync *c)
{
	Cend__V1__MemberListRequest req = CEND__V1__MEMBER_LIST_REQUEST__INIT;
	Cend__V1__MemberListResponse *r;
	uint8_t *resp;
	size_t len = 0;
	bool ok;

	resp = call_ok(c, "cend.v1.Admin/MemberList", &req.base, &len);
	r = cend__v1__member_list_response__unpack(NULL, len, resp);
	free(resp);
	if (r == NULL)
		die("MemberList: answer does not decode", NULL);
	ok = r->n_members > 0;
	for (size_t i = 0; i < r->n_members; i++)
		if (r->members[i]->api_addr == NULL ||
		    r->members[i]->api_addr[0] == '\0')
			ok = false;
	cend__v1__member_list_response__free_unpacked(r, NULL);
	return ok;
}

static uint64_t
write_index(const uint8_t *resp, size_t len)
{
	Cend__V1__WriteResponse *r;
	uint64_t idx;

	r = cend__v1__write_response__unpack(NULL, len, resp);
	if (r == NULL)
		die("WriteResponse does not decode", NULL);
	idx = r->index;
	cend__v1__write_response__free_unpacked(r, NULL);
	return idx;
}

/* CPU seconds (user + system) used so far by the --cpu-pids processes. */
static double
cpu_used(void)
{
	long hz = sysconf(_SC_CLK_TCK);
	double total = 0;

	for (size_t i = 0; i < o.ncpu_pids; i++) {
		char path[64], buf[1024], *p;
		unsigned long long ut = 0, st = 0;
		FILE *f;
		size_t n;

		snprintf(path, sizeof(path), "/proc/%d/stat", o.cpu_pids[i]);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		/* fields 14 and 15, counted after the command's ")" */
		p = strrchr(buf, ')');
		if (p == NULL || sscanf(p + 2,
					"%*c %*d %*d %*d %*d %*d %*u %*u %*u "
					"%*u %*u %llu %llu",
					&ut, &st) != 2)
			continue;
		total += (double)(ut + st) / (double)hz;
	}
	return total;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ---- the request generator ----------------------------------------- */

static uint8_t peer_buf[6];
static uint32_t set_asns[BENCH_NSETS][2 + 3];
static uint32_t set_comms[BENCH_NSETS][2];
static uint8_t set_nh[4] = { 10, 10, 10, 2 };
static Cend__V1__PathAttrs sets[BENCH_NSETS];

static void
sets_init(void)
{
	struct in_addr a;

	if (inet_pton(AF_INET, o.peer, &a) != 1)
		die("--peer: expected an IPv4 address", NULL);
	peer_buf[0] = 4;
	peer_buf[1] = 32;
	memcpy(peer_buf + 2, &a, 4);
	for (int i = 0; i < BENCH_NSETS; i++) {
		cend__v1__path_attrs__init(&sets[i]);
		set_asns[i][0] = ATTR_SEG_SEQUENCE;
		set_asns[i][1] = 3;
		set_asns[i][2] = 65001;
		set_asns[i][3] = 64600 + (uint32_t)i;
		set_asns[i][4] = 64900 + (uint32_t)(i % 3);
		set_comms[i][0] = 65001u << 16 | (uint32_t)(100 + i);
		set_comms[i][1] = 65001u << 16 | 999;
		sets[i].as_path = set_asns[i];
		sets[i].n_as_path = 5;
		sets[i].communities = set_comms[i];
		sets[i].n_communities = 1 + (size_t)(i & 1);
		sets[i].has_med = (i & 2) != 0;
		sets[i].med = 10 * (uint32_t)i;
		sets[i].next_hop.data = set_nh;
		sets[i].next_hop.len = 4;
	}
}

/* Requests of up to `max` adds, reused for every call of one client. */
struct req_buf {
	Cend__V1__PathUpdate u;
	Cend__V1__PathAdd *adds;
	Cend__V1__PathAdd **addp;
	uint8_t (*pfx)[6];
	Cend__V1__PathGroup *groups; /* the same routes, grouped */
	Cend__V1__PathGroup **groupp;
	uint8_t *gpfx; /* 5 bytes a /24: 4, 24, 3 address bytes */
	uint8_t *wire;
	size_t wire_cap;
};

static void
req_init(struct req_buf *r, const char *attachment, size_t max)
{
	cend__v1__path_update__init(&r->u);
	r->u.attachment = (char *)attachment;
	r->u.peer.data = peer_buf;
	r->u.peer.len = sizeof(peer_buf);
	r->u.node = o.node;
	r->adds = calloc(max, sizeof(*r->adds));
	r->addp = calloc(max, sizeof(*r->addp));
	r->pfx = calloc(max, sizeof(*r->pfx));
	r->groups = calloc(max, sizeof(*r->groups));
	r->groupp = calloc(max, sizeof(*r->groupp));
	r->gpfx = calloc(max, 5);
	r->wire = NULL;
	r->wire_cap = 0;
	if (r->adds == NULL || r->addp == NULL || r->pfx == NULL ||
	    r->groups == NULL || r->groupp == NULL || r->gpfx == NULL)
		die("out of memory", NULL);
	for (size_t i = 0; i < max; i++) {
		cend__v1__path_add__init(&r->adds[i]);
		r->adds[i].prefix.data = r->pfx[i];
		r->adds[i].prefix.len = 6;
		r->addp[i] = &r->adds[i];
		cend__v1__path_group__init(&r->groups[i]);
		r->groupp[i] = &r->groups[i];
	}
	r->u.adds = r->addp;
	r->u.groups = r->groupp;
}

static void
req_fini(struct req_buf *r)
{
	free(r->adds);
	free(r->addp);
	free(r->pfx);
	free(r->groups);
	free(r->groupp);
	free(r->gpfx);
	free(r->wire);
}

/* Fills groups with the /24s of indices [first, first + n) from base: a
 * group for each run of one attribute set. */
static void
req_fill_groups(struct req_buf *r, uint32_t base, uint64_t first, size_t n)
{
	size_t ng = 0;
	uint8_t *w = r->gpfx;

	for (size_t i = 0; i < n; i++) {
		uint64_t idx = first + i;
		uint32_t addr = base + (uint32_t)(idx << 8);
		Cend__V1__PathAttrs *a = &sets[(idx / 16) % BENCH_NSETS];

		if (ng == 0 || r->groups[ng - 1].attrs != a) {
			r->groups[ng].attrs = a;
			r->groups[ng].prefixes.data = w;
			r->groups[ng].prefixes.len = 0;
			ng++;
		}
		*w++ = 4;
		*w++ = 24;
		*w++ = (uint8_t)(addr >> 24);
		*w++ = (uint8_t)(addr >> 16);
		*w++ = (uint8_t)(addr >> 8);
		r->groups[ng - 1].prefixes.len += 5;
	}
	r->u.n_adds = 0;
	r->u.n_groups = ng;
}

/* Fills adds with the /24s of indices [first, first + n) from base. */
static void
req_fill_adds(struct req_buf *r, uint32_t base, uint64_t first, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t idx = first + i;
		uint32_t addr = base + (uint32_t)(idx << 8);

		r->pfx[i][0] = 4;
		r->pfx[i][1] = 24;
		r->pfx[i][2] = (uint8_t)(addr >> 24);
		r->pfx[i][3] = (uint8_t)(addr >> 16);
		r->pfx[i][4] = (uint8_t)(addr >> 8);
		r->pfx[i][5] = 0;
		r->adds[i].attrs = &sets[(idx / 16) % BENCH_NSETS];
	}
	r->u.n_adds = n;
	r->u.n_groups = 0;
}

/* Fills the request with the /24s of indices [first, first + n) from
 * base (groups, or adds with --ungrouped); returns its packed size. */
static size_t
req_fill(struct req_buf *r, uint32_t base, uint64_t first, size_t n)
{
	size_t len;

	if (o.ungrouped)
		req_fill_adds(r, base, first, n);
	else
		req_fill_groups(r, base, first, n);
	len = cend__v1__path_update__get_packed_size(&r->u);
	if (len > r->wire_cap) {
		free(r->wire);
		r->wire_cap = len * 2;
		r->wire = malloc(r->wire_cap);
		if (r->wire == NULL)
			die("out of memory", NULL);
	}
	return cend__v1__path_update__pack(&r->u, r->wire);
}

/* Sends the request in r; returns the index it was applied at. */
static uint64_t
req_send(struct rpc_sync *c, struct req_buf *r, size_t len)
{
	struct cen_err err = { 0 };
	uint8_t *resp = NULL;
	size_t rlen = 0;
	rpc_status st;
	char *msg = NULL;
	uint64_t idx;

	if (rpc_sync_call(c, "cend.v1.Admin/Paths", r->wire, len, BENCH_CALL_MS,
			  &st, &msg, &resp, &rlen, &err) != 0)
		die("Paths", &err);
	if (st != RPC_OK) {
		fprintf(stderr, "cluster_bench: Paths: %s: %s\n",
			rpc_status_str(st), msg ? msg : "");
		exit(1);
	}
	idx = write_index(resp, rlen);
	free(resp);
	free(msg);
	return idx;
}

/* ---- throughput ---------------------------------------------------- */

struct load {
	uint64_t total;		  /* updates to send */
	unsigned batch;		  /* adds per request */
	uint64_t first;		  /* index of the first prefix */
	_Atomic uint64_t next;	  /* next prefix index to hand out */
	_Atomic uint64_t max_idx; /* highest applied index acknowledged */
	_Atomic uint64_t requests;
	_Atomic uint64_t bytes; /* of the requests sent */
	pthread_barrier_t go;
};

struct client {
	struct load *load;
	const char *ep;
	pthread_t thread;
};

static void *
client_run(void *arg)
{
	struct client *cl = arg;
	struct load *l = cl->load;
	struct rpc_sync *c = connect_ep(cl->ep);
	struct req_buf r;

	req_init(&r, o.attachment, l->batch);
	pthread_barrier_wait(&l->go);
	for (;;) {
		uint64_t at = atomic_fetch_add(&l->next, l->batch);
		uint64_t n, idx, cur;
		size_t len;

		if (at >= l->total)
			break;
		n = l->total - at < l->batch ? l->total - at : l->batch;
		len = req_fill(&r, BENCH_PFX_BASE, l->first + at, n);
		idx = req_send(c, &r, len);
		atomic_fetch_add(&l->requests, 1);
		atomic_fetch_add(&l->bytes, len);
		cur = atomic_load(&l->max_idx);
		while (idx > cur &&
		       !atomic_compare_exchange_weak(&l->max_idx, &cur, idx))
			;
	}
	req_fini(&r);
	rpc_sync_close(c);
	return NULL;
}

struct tput {
	uint64_t updates, requests, last_index;
	unsigned clients, batch;
	double ack_s;	  /* first send .. last answer */
	double applied_s; /* first send .. applied on every node */
	double cpu_s;	  /* CPU of the --cpu-pids meanwhile */
	double node_s[BENCH_MAX_EP];
	uint64_t entries; /* Raft entries it took (leader's index delta) */
	uint64_t bytes;	  /* of the requests */
};

/* Waits until every node has applied idx; fills per-node times. */
static void
wait_applied(struct rpc_sync **st, uint64_t idx, double t0, double *node_s)
{
	bool done[BENCH_MAX_EP] = { false };
	size_t left = o.nep;
	double deadline = now_s() + BENCH_WAIT_S;

	while (left > 0) {
		for (size_t i = 0; i < o.nep; i++) {
			Cend__V1__StatusResponse *r;

			if (done[i])
				continue;
			r = status(st[i]);
			if (r->applied_index >= idx) {
				done[i] = true;
				node_s[i] = now_s() - t0;
				left--;
			}
			cend__v1__status_response__free_unpacked(r, NULL);
		}
		if (left == 0)
			break;
		if (now_s() > deadline)
			die("nodes did not apply the last write in time", NULL);
		usleep(BENCH_POLL_US);
	}
}

static void
run_tput(struct rpc_sync **st, const char *const *eps, size_t neps,
	 unsigned clients, unsigned batch, uint64_t total, uint64_t first,
	 uint64_t leader_idx0, struct tput *out)
{
	struct load l = { .total = total, .batch = batch, .first = first };
	struct client *cl = calloc(clients, sizeof(*cl));
	double t0, t1, tall = 0, c0;

	if (cl == NULL)
		die("out of memory", NULL);
	atomic_init(&l.next, 0);
	atomic_init(&l.max_idx, 0);
	atomic_init(&l.requests, 0);
	atomic_init(&l.bytes, 0);
	pthread_barrier_init(&l.go, NULL, clients + 1);
	for (unsigned i = 0; i < clients; i++) {
		cl[i].load = &l;
		cl[i].ep = eps[i % neps];
		if (pthread_create(&cl[i].thread, NULL, client_run, &cl[i]))
			die("pthread_create failed", NULL);
	}
	pthread_barrier_wait(&l.go); /* every client is connected */
	c0 = cpu_used();
	t0 = now_s();
	for (unsigned i = 0; i < clients; i++)
		pthread_join(cl[i].thread, NULL);
	t1 = now_s();
	pthread_barrier_destroy(&l.go);
	free(cl);
	memset(out, 0, sizeof(*out));
	wait_applied(st, atomic_load(&l.max_idx), t0, out->node_s);
	out->cpu_s = cpu_used() - c0;
	for (size_t i = 0; i < o.nep; i++)
		if (out->node_s[i] > tall)
			tall = out->node_s[i];
	out->updates = total;
	out->requests = atomic_load(&l.requests);
	out->bytes = atomic_load(&l.bytes);
	out->last_index = atomic_load(&l.max_idx);
	out->entries = out->last_index - leader_idx0;
	out->clients = clients;
	out->batch = batch;
	out->ack_s = t1 - t0;
	out->applied_s = tall;
}

/* ---- latency ------------------------------------------------------- */

struct lat {
	double p50, p90, p99, max, mean;
	unsigned n;
};

static void
run_latency(const char *ep, uint64_t first, struct lat *out)
{
	struct rpc_sync *c = connect_ep(ep);
	double *v = calloc(o.lat_writes, sizeof(*v)), sum = 0;
	struct req_buf r;
	Cend__V1__HealthUpdate h = CEND__V1__HEALTH_UPDATE__INIT;
	uint8_t hbuf[256];

	if (v == NULL)
		die("out of memory", NULL);
	req_init(&r, o.attachment, 1);
	h.attachment = (char *)o.health_att;
	for (unsigned i = 0; i < o.lat_writes; i++) {
		double t;
		size_t len;

		if (o.lat_health) {
			struct cen_err err = { 0 };
			rpc_status st;
			char *msg = NULL;

			h.up = (i & 1) != 0; /* down, up, down, ... */
			len = cend__v1__health_update__get_packed_size(&h);
			if (len > sizeof(hbuf))
				die("health request too long", NULL);
			cend__v1__health_update__pack(&h, hbuf);
			t = now_s();
			if (rpc_sync_call(c, "cend.v1.Admin/Health", hbuf, len,
					  BENCH_CALL_MS, &st, &msg, NULL, NULL,
					  &err) != 0)
				die("Health", &err);
			v[i] = now_s() - t;
			if (st != RPC_OK) {
				fprintf(stderr, "cluster_bench: Health: %s\n",
					msg ? msg : rpc_status_str(st));
				exit(1);
			}
			free(msg);
		} else {
			len = req_fill(&r, BENCH_LAT_PFX, first + i, 1);
			t = now_s();
			req_send(c, &r, len);
			v[i] = now_s() - t;
		}
		sum += v[i];
	}
	if (o.lat_health) {
		/* leave the attachment up */
		struct cen_err err = { 0 };
		size_t len;

		h.up = true;
		len = cend__v1__health_update__get_packed_size(&h);
		cend__v1__health_update__pack(&h, hbuf);
		rpc_sync_call(c, "cend.v1.Admin/Health", hbuf, len,
			      BENCH_CALL_MS, NULL, NULL, NULL, NULL, &err);
	}
	qsort(v, o.lat_writes, sizeof(*v), cmp_double);
	out->n = o.lat_writes;
	out->p50 = v[(size_t)(0.50 * (o.lat_writes - 1))] * 1e3;
	out->p90 = v[(size_t)(0.90 * (o.lat_writes - 1))] * 1e3;
	out->p99 = v[(size_t)(0.99 * (o.lat_writes - 1))] * 1e3;
	out->max = v[o.lat_writes - 1] * 1e3;
	out->mean = sum / o.lat_writes * 1e3;
	free(v);
	req_fini(&r);
	rpc_sync_close(c);
}

/* ---- main ---------------------------------------------------------- */

static const char usage_text[] =
	"usage: cluster_bench --endpoints HOST:PORT,... [--attachment ID]\n"
	"         [--peer ADDRESS] [--node N] [--clients K] [--batch B]\n"
	"         [--updates N] [--base-updates M] [--latency-writes L]\n"
	"         [--latency-kind paths|health] [--health-attachment ID]\n"
	"         [--cpu-pids PID,...] [--ungrouped] [--json-only]\n";

static uint64_t
num(const char *s, uint64_t min, uint64_t max, const char *what)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "cluster_bench: %s: %s out of range\n", what,
			s);
		exit(2);
	}
	return v;
}

static void
parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage_text, stdout);
			exit(0);
		}
		if (strcmp(a, "--json-only") == 0) {
			o.json_only = true;
			continue;
		}
		if (strcmp(a, "--ungrouped") == 0) {
			o.ungrouped = true;
			continue;
		}
		if (v == NULL) {
			fputs(usage_text, stderr);
			exit(2);
		}
		i++;
		if (strcmp(a, "--endpoints") == 0) {
			char *s = strdup(v), *save = NULL;

			for (char *t = strtok_r(s, ",", &save); t != NULL;
			     t = strtok_r(NULL, ",", &save))
				if (o.nep < BENCH_MAX_EP)
					o.ep[o.nep++] = t;
		} else if (strcmp(a, "--attachment") == 0) {
			o.attachment = v;
		} else if (strcmp(a, "--peer") == 0) {
			o.peer = v;
		} else if (strcmp(a, "--node") == 0) {
			o.node = (uint32_t)num(v, 0, 255, a);
		} else if (strcmp(a, "--clients") == 0) {
			o.clients = (unsigned)num(v, 1, 256, a);
		} else if (strcmp(a, "--batch") == 0) {
			o.batch = (unsigned)num(v, 1, 100000, a);
		} else if (strcmp(a, "--updates") == 0) {
			o.updates = num(v, 1, BENCH_PFX_MAX, a);
		} else if (strcmp(a, "--base-updates") == 0) {
			o.base_updates = num(v, 0, 1000000, a);
		} else if (strcmp(a, "--latency-writes") == 0) {
			o.lat_writes = (unsigned)num(v, 1, 30000, a);
		} else if (strcmp(a, "--latency-kind") == 0) {
			if (strcmp(v, "health") != 0 && strcmp(v, "paths") != 0)
				die("--latency-kind: paths or health", NULL);
			o.lat_health = strcmp(v, "health") == 0;
		} else if (strcmp(a, "--health-attachment") == 0) {
			o.health_att = v;
		} else if (strcmp(a, "--cpu-pids") == 0) {
			char *s = strdup(v), *save = NULL;

			for (char *t = strtok_r(s, ",", &save); t != NULL;
			     t = strtok_r(NULL, ",", &save))
				if (o.ncpu_pids < BENCH_MAX_EP)
					o.cpu_pids[o.ncpu_pids++] =
						(int)num(t, 1, INT32_MAX, a);
			free(s);
		} else {
			fputs(usage_text, stderr);
			exit(2);
		}
	}
	if (o.nep == 0) {
		fputs(usage_text, stderr);
		exit(2);
	}
	if (o.updates + o.base_updates > BENCH_PFX_MAX)
		die("--updates plus --base-updates: too many prefixes", NULL);
}

static void
print_tput(const char *name, const struct tput *t)
{
	printf("%-22s %9" PRIu64 " upd %4u clients x %5u/req  %7.3f s  "
	       "%10.0f upd/s  (acked %.3f s, %" PRIu64 " entries)\n",
	       name, t->updates, t->clients, t->batch, t->applied_s,
	       t->updates / t->applied_s, t->ack_s, t->entries);
	if (o.ncpu_pids > 0)
		printf("%-22s nodes' CPU %.2f s: %.0f upd per CPU-second "
		       "(%.2f cores busy)\n",
		       "", t->cpu_s, t->cpu_s > 0 ? t->updates / t->cpu_s : 0,
		       t->cpu_s / t->applied_s);
	printf("%-22s %.1f request bytes per update (%s)\n", "",
	       t->updates ? (double)t->bytes / t->updates : 0.0,
	       o.ungrouped ? "one add per route" : "grouped by attributes");
}

static void
print_lat(const char *name, const struct lat *l)
{
	printf("%-22s %5u writes  p50 %7.3f  p90 %7.3f  p99 %7.3f  "
	       "max %7.3f  mean %7.3f ms\n",
	       name, l->n, l->p50, l->p90, l->p99, l->max, l->mean);
}

int
main(int argc, char **argv)
{
	struct rpc_sync *st[BENCH_MAX_EP];
	size_t leader = BENCH_MAX_EP, follower = BENCH_MAX_EP;
	uint64_t idx0, paths0 = 0;
	struct tput base = { 0 }, batched;
	struct lat lat_f, lat_l;
	const char *lead_ep[1], *order[BENCH_MAX_EP];
	double deadline = now_s() + 30;

	parse_args(argc, argv);
	sets_init();
	for (size_t i = 0; i < o.nep; i++)
		st[i] = connect_ep(o.ep[i]);
	/* the leader, the highest index anyone has applied, and every node
	 * ready to forward */
	for (;;) {
		idx0 = 0;
		leader = follower = BENCH_MAX_EP;
		for (size_t i = 0; i < o.nep; i++) {
			Cend__V1__StatusResponse *r = status(st[i]);

			if (strcmp(r->state, "leader") == 0) {
				leader = i;
				paths0 = r->paths;
			} else if (follower == BENCH_MAX_EP) {
				follower = i;
			}
			if (r->applied_index > idx0)
				idx0 = r->applied_index;
			cend__v1__status_response__free_unpacked(r, NULL);
		}
		for (size_t i = 0; leader != BENCH_MAX_EP && i < o.nep; i++)
			if (!knows_members(st[i]))
				leader = follower = BENCH_MAX_EP;
		if (leader != BENCH_MAX_EP)
			break;
		if (now_s() > deadline)
			die("no leader among the endpoints", NULL);
		usleep(100000);
	}
	lead_ep[0] = o.ep[leader];
	if (!o.json_only)
		printf("cluster_bench: %zu nodes, leader %s; attachment %s, "
		       "peer %s; %" PRIu64 " paths before\n",
		       o.nep, o.ep[leader], o.attachment, o.peer, paths0);

	/* phase 1: unbatched baseline, one write of one route at a time */
	if (o.base_updates > 0) {
		run_tput(st, lead_ep, 1, 1, 1, o.base_updates, o.updates, idx0,
			 &base);
		idx0 = base.last_index;
		if (!o.json_only)
			print_tput("unbatched (leader)", &base);
	}
	/* phase 2: batched, through every endpoint, the leader first (so
	 * that which node leads does not change how many clients forward) */
	for (size_t i = 0; i < o.nep; i++)
		order[i] = o.ep[(leader + i) % o.nep];
	run_tput(st, order, o.nep, o.clients, o.batch, o.updates, 0, idx0,
		 &batched);
	if (!o.json_only) {
		print_tput("batched (all nodes)", &batched);
		for (size_t i = 0; i < o.nep; i++)
			printf("  %-20s applied at %.3f s\n", o.ep[i],
			       batched.node_s[i]);
	}
	/* phase 3: latency through a follower, then the leader */
	if (follower == BENCH_MAX_EP)
		follower = leader;
	run_latency(o.ep[follower], 0, &lat_f);
	run_latency(o.ep[leader], o.lat_writes, &lat_l);
	if (!o.json_only) {
		print_lat("latency via follower", &lat_f);
		print_lat("latency via leader", &lat_l);
		if (o.base_updates > 0)
			printf("batched / unbatched    %.1fx\n",
			       (batched.updates / batched.applied_s) /
				       (base.updates / base.applied_s));
	}
	printf("{\"bench\":\"cluster\",\"nodes\":%zu,\"clients\":%u,"
	       "\"batch\":%u,\"updates\":%" PRIu64 ",\"applied_s\":%.4f,"
	       "\"acked_s\":%.4f,\"updates_per_s\":%.0f,\"nodes_cpu_s\":%.3f,"
	       "\"entries\":%" PRIu64 ",\"unbatched_updates\":%" PRIu64
	       ",\"unbatched_per_s\":%.0f,\"batched_over_unbatched\":%.1f,"
	       "\"latency_kind\":\"%s\",\"latency_writes\":%u,"
	       "\"follower_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,"
	       "\"max\":%.3f},\"leader_ms\":{\"p50\":%.3f,\"p90\":%.3f,"
	       "\"p99\":%.3f,\"max\":%.3f},\"encoding\":\"%s\","
	       "\"bytes_per_update\":%.1f}\n",
	       o.nep, batched.clients, batched.batch, batched.updates,
	       batched.applied_s, batched.ack_s,
	       batched.updates / batched.applied_s, batched.cpu_s,
	       batched.entries, base.updates,
	       base.updates ? base.updates / base.applied_s : 0.0,
	       base.updates ? (batched.updates / batched.applied_s) /
				      (base.updates / base.applied_s)
			    : 0.0,
	       o.lat_health ? "health" : "paths", o.lat_writes, lat_f.p50,
	       lat_f.p90, lat_f.p99, lat_f.max, lat_l.p50, lat_l.p90, lat_l.p99,
	       lat_l.max, o.ungrouped ? "adds" : "groups",
	       batched.updates ? (double)batched.bytes / batched.updates : 0.0);
	for (size_t i = 0; i < o.nep; i++)
		rpc_sync_close(st[i]);
	return 0;
}
