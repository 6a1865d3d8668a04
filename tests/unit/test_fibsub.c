/*
 * test_fibsub.c - the FIB stream end to end, in one process: a route engine
 * (core/) whose changes are reported to one or two fibstreams
 * (consensus/fibstream.c, engine mode: each test step is one "applied
 * entry" with the next index), served by RPC servers on Unix sockets, and
 * read by a fibsub (dataplane/fibsub.c) or by a raw socket the test reads
 * only when it chooses (a slow subscriber).  Every check compares what the
 * subscriber holds with the engine's own FIB walk.
 *
 * Everything runs on one libuv loop; every wait is on a condition with a
 * deadline (a guard timer), never a fixed sleep.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "consensus/fibstream.h"
#include "core/attr.h"
#include "core/engine.h"
#include "core/hmap.h"
#include "core/model.h"
#include "core/model_yaml.h"
#include "dataplane/fibsub.h"
#include "proto/fibmsg.h"
#include "proto/rpc.h"

#include <cmocka.h>

#define WAIT_MS 10000
#define R_HZ	"cn-hangzhou"
#define R_SH	"cn-shanghai"

static const char topo[] = "cen:\n"
			   "  id: cen-t\n"
			   "regions:\n"
			   "  - id: cn-hangzhou\n"
			   "    route_tables:\n"
			   "      - id: rt-hz\n"
			   "        system: true\n"
			   "  - id: cn-shanghai\n"
			   "    route_tables:\n"
			   "      - id: rt-sh\n"
			   "        system: true\n"
			   "physical_connections:\n"
			   "  - id: pc-1\n"
			   "    region: cn-hangzhou\n"
			   "    access_point: ap-1\n"
			   "    speed_gbps: 10\n"
			   "  - id: pc-2\n"
			   "    region: cn-hangzhou\n"
			   "    access_point: ap-2\n"
			   "    speed_gbps: 10\n"
			   "attachments:\n"
			   "  - id: vpc-a\n"
			   "    type: VPC\n"
			   "    region: cn-hangzhou\n"
			   "    vswitch_cidrs: [10.1.0.0/24]\n"
			   "  - id: vpc-b\n"
			   "    type: VPC\n"
			   "    region: cn-hangzhou\n"
			   "    vswitch_cidrs: [10.2.0.0/24]\n"
			   "  - id: vpc-sh\n"
			   "    type: VPC\n"
			   "    region: cn-shanghai\n"
			   "    vswitch_cidrs: [10.9.0.0/24]\n"
			   "  - id: vbr-1\n"
			   "    type: VBR\n"
			   "    region: cn-hangzhou\n"
			   "    physical_connection: pc-1\n"
			   "    vlan: 101\n"
			   "    bandwidth_mbps: 1000\n"
			   "    local_ip: 10.10.10.1/30\n"
			   "    peer_ip: 10.10.10.2\n"
			   "    bgp:\n"
			   "      peers:\n"
			   "        - address: 10.10.10.2\n"
			   "          asn: 65001\n"
			   "          route_quota: 1000000\n"
			   "  - id: vbr-2\n"
			   "    type: VBR\n"
			   "    region: cn-hangzhou\n"
			   "    physical_connection: pc-2\n"
			   "    vlan: 102\n"
			   "    bandwidth_mbps: 1000\n"
			   "    local_ip: 10.10.11.1/30\n"
			   "    peer_ip: 10.10.11.2\n"
			   "    bgp:\n"
			   "      peers:\n"
			   "        - address: 10.10.11.2\n"
			   "          asn: 65001\n"
			   "          route_quota: 1000000\n"
			   "route_maps:\n"
			   "  - region: cn-hangzhou\n"
			   "    direction: RegionOut\n"
			   "    priority: 10\n"
			   "    match:\n"
			   "      source_instance_ids: [vpc-b]\n"
			   "      destination_instance_ids: [vpc-a]\n"
			   "    action: Deny\n";

struct fx {
	uv_loop_t loop;
	uv_timer_t guard;
	bool timed_out;
	struct engine *e;
	const struct attrs *at;
	uint64_t index;
	struct fibstream *fs[2];
	struct rpc_server *srv[2];
	char ep[2][128];
	char dir[64];
	struct fibsub *sub;
	/* what the subscriber's callbacks saw */
	uint64_t synced;
	size_t nsynced, nsnap_synced;
	size_t changes, withdrawals;
	char withdrawn_last[PREFIX_STRLEN];
};

/* ---- the engine ------------------------------------------------------ */

static void
engine_cb(const struct engine_delta *d, void *arg)
{
	struct fx *f = arg;

	for (int i = 0; i < 2; i++)
		if (f->fs[i] != NULL)
			fibstream_delta(d, f->index, f->fs[i]);
}

/* Ends a step: the changes made since the last one are entry f->index. */
static void
applied(struct fx *f)
{
	engine_drain(f->e);
	for (int i = 0; i < 2; i++)
		if (f->fs[i] != NULL)
			fibstream_applied(f->index, f->fs[i]);
}

/* Prefix i: 20.0.0.0/24 + i (distinct for i < 2^24). */
static struct prefix
pfx_n(uint32_t i)
{
	struct prefix p;

	prefix_from_v4(&p, (20u << 24) + (i << 8), 24);
	return p;
}

/* One step: paths for prefixes [first, first + n) from att, or their
 * withdrawal. */
static void
step_paths(struct fx *f, const char *att, const char *peer, uint32_t first,
	   uint32_t n, bool del)
{
	struct engine_path_in in = { 0 };
	struct cen_err err = { 0 };

	f->index++;
	in.attachment = att;
	assert_int_equal(prefix_parse_addr(&in.peer, peer), 0);
	in.node = 1;
	in.attrs = f->at;
	for (uint32_t i = first; i < first + n; i++) {
		struct prefix p = pfx_n(i);

		if (del) {
			if (engine_path_del(f->e, att, &in.peer, &p, &err) != 0)
				fail_msg("engine_path_del: %s", err.msg);
			continue;
		}
		in.prefix = p;
		if (engine_path_add(f->e, &in, &err) != 0)
			fail_msg("engine_path_add: %s", err.msg);
	}
	applied(f);
}

#define ADD1(f, a, n) step_paths(f, "vbr-1", "10.10.10.2", a, n, false)
#define DEL1(f, a, n) step_paths(f, "vbr-1", "10.10.10.2", a, n, true)
#define ADD2(f, a, n) step_paths(f, "vbr-2", "10.10.11.2", a, n, false)

/* ---- FIB lines: what the engine holds and what a subscriber holds ---- */

struct lines {
	char **v;
	size_t n, cap;
};

static void
lines_add(struct lines *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	l->v[l->n++] = strdup(s);
}

static void
lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
entry_key(const struct fibmsg_entry *e, char *buf, size_t size)
{
	char p[PREFIX_STRLEN];

	snprintf(buf, size, "%s %s %s %s", e->region, e->table,
		 e->view[0] ? e->view : "-",
		 prefix_fmt(&e->prefix, p, sizeof(p)));
}

static void
entry_line(const struct fibmsg_entry *e, char *buf, size_t size)
{
	size_t n;

	entry_key(e, buf, size);
	n = strlen(buf);
	if (e->no_route)
		snprintf(buf + n, size - n, " no-route");
	for (uint32_t i = 0; i < e->n && n < size; i++) {
		n += (size_t)snprintf(buf + n, size - n, " %u:%s*%u",
				      e->nh[i].kind, e->nh[i].id,
				      e->nh[i].weight);
	}
}

static void
walk_cb(const struct engine_delta *d, void *arg)
{
	Cend__V1__FibEntry fe = CEND__V1__FIB_ENTRY__INIT;
	struct fibmsg_entry_buf buf;
	struct fibmsg_entry m;
	char line[2048];

	assert_int_equal(fibmsg_entry_from_delta(d, &fe, &buf, NULL), 0);
	assert_int_equal(fibmsg_entry_decode(&fe, &m, NULL), 0);
	if (m.withdrawn)
		return; /* an empty table group is sent as withdrawn */
	entry_line(&m, line, sizeof(line));
	lines_add(arg, line);
}

static void
engine_lines(struct fx *f, const char *region, struct lines *l)
{
	int rc = engine_fib_walk(f->e, region, walk_cb, l);

	assert_true(rc == 0 || rc == -CEN_ENOENT);
	qsort(l->v, l->n, sizeof(*l->v), str_cmp);
}

static int
sub_line_cb(const struct fibmsg_entry *e, void *arg)
{
	char line[2048];

	entry_line(e, line, sizeof(line));
	lines_add(arg, line);
	return 0;
}

static void
sub_lines(struct fibsub *s, struct lines *l)
{
	fibsub_foreach(s, sub_line_cb, l);
	qsort(l->v, l->n, sizeof(*l->v), str_cmp);
}

static void
assert_same(struct lines *a, struct lines *b)
{
	size_t i;

	for (i = 0; i < a->n && i < b->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			fail_msg("line %zu differs:\n  engine: %s\n  "
				 "subscriber: %s",
				 i, a->v[i], b->v[i]);
	if (a->n != b->n)
		fail_msg("engine has %zu entries, subscriber %zu (first extra: "
			 "%s)",
			 a->n, b->n, a->n > b->n ? a->v[i] : b->v[i]);
}

static void
assert_sub_matches_engine(struct fx *f, struct fibsub *s, const char *region)
{
	struct lines a = { 0 }, b = { 0 };

	engine_lines(f, region, &a);
	sub_lines(s, &b);
	assert_same(&a, &b);
	assert_true(a.n > 0 || strcmp(region, R_SH) == 0);
	lines_free(&a);
	lines_free(&b);
}

/* ---- the loop ---------------------------------------------------------- */

static void
guard_cb(uv_timer_t *t)
{
	((struct fx *)t->data)->timed_out = true;
}

/* Runs the loop until cond holds; fails after WAIT_MS. */
#define RUN_UNTIL(f, cond)                                                     \
	do {                                                                   \
		(f)->timed_out = false;                                        \
		uv_timer_start(&(f)->guard, guard_cb, WAIT_MS, 0);             \
		while (!(cond) && !(f)->timed_out)                             \
			uv_run(&(f)->loop, UV_RUN_ONCE);                       \
		uv_timer_stop(&(f)->guard);                                    \
		if (!(cond))                                                   \
			fail_msg("timed out waiting for %s", #cond);           \
	} while (0)

/* ---- servers and subscribers ------------------------------------------ */

static void
server_start(struct fx *f, int i, const struct fibstream_config *cfg)
{
	struct cen_err err = { 0 };
	char path[96];

	assert_int_equal(fibstream_new_engine(&f->loop, f->e, f->index, cfg,
					      &f->fs[i], &err),
			 0);
	assert_int_equal(rpc_server_new(&f->loop, fibstream_methods(f->fs[i]),
					0, &f->srv[i]),
			 0);
	snprintf(path, sizeof(path), "%s/srv%d.sock", f->dir, i);
	snprintf(f->ep[i], sizeof(f->ep[i]), "unix:%s", path);
	if (rpc_server_listen(f->srv[i], f->ep[i], &err) != 0)
		fail_msg("listen %s: %s", f->ep[i], err.msg);
}

static void
server_stop(struct fx *f, int i)
{
	if (f->fs[i] != NULL)
		fibstream_stop(f->fs[i]);
	if (f->srv[i] != NULL)
		rpc_server_close(f->srv[i]);
	f->fs[i] = NULL;
	f->srv[i] = NULL;
}

static void
on_change(const struct fibmsg_entry *e, void *arg)
{
	struct fx *f = arg;

	f->changes++;
	if (e->withdrawn) {
		f->withdrawals++;
		prefix_fmt(&e->prefix, f->withdrawn_last,
			   sizeof(f->withdrawn_last));
	}
}

static void
on_synced(uint64_t version, bool snapshot, void *arg)
{
	struct fx *f = arg;

	f->synced = version;
	f->nsynced++;
	f->nsnap_synced += snapshot;
}

static void
on_log(const char *line, void *arg)
{
	if (getenv("FIBSUB_TEST_LOG") != NULL)
		fprintf(stderr, "fibsub: %s\n", line);
}

static struct fibsub *
sub_new(struct fx *f, const char *region, const char *const *eps, size_t n,
	const char *dir, uint64_t resume)
{
	struct fibsub_config c = { 0 };
	struct cen_err err = { 0 };
	struct fibsub *s;

	c.region = region;
	c.endpoints = eps;
	c.nendpoints = n;
	c.subscriber_id = "test-fwd";
	c.data_dir = dir;
	c.resume_version = resume;
	c.retry_ms = 20;
	c.change = on_change;
	c.synced = on_synced;
	c.log = on_log;
	c.arg = f;
	if (fibsub_new(&f->loop, &c, &s, &err) != 0)
		fail_msg("fibsub_new: %s", err.msg);
	return s;
}

static struct fibsub_status
sub_status(struct fibsub *s)
{
	struct fibsub_status st;

	fibsub_get_status(s, &st);
	return st;
}

static struct fibstream_sub_info
info_of(struct fx *f, int i)
{
	struct fibstream_sub_info info[4];

	memset(info, 0, sizeof(info));
	assert_int_equal(fibstream_subscribers(f->fs[i], info, 4), 1);
	return info[0];
}

static size_t
nsubs(struct fx *f, int i)
{
	struct fibstream_sub_info info[4];

	return fibstream_subscribers(f->fs[i], info, 4);
}

/* ---- fixture ------------------------------------------------------------ */

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct cen_err err = { 0 };
	struct attrs a;
	struct model m;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_fibsub.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	uv_loop_init(&f->loop);
	uv_timer_init(&f->loop, &f->guard);
	f->guard.data = f;
	f->e = engine_new();
	assert_non_null(f->e);
	engine_set_delta_cb(f->e, engine_cb, f);
	model_init(&m);
	if (model_yaml_parse(&m, topo, strlen(topo), &err) != 0)
		fail_msg("topology: %s", err.msg);
	f->index = 1;
	if (engine_apply(f->e, &m, &err) != 0)
		fail_msg("engine_apply: %s", err.msg);
	engine_drain(f->e);
	model_free(&m);
	attr_init(&a);
	f->at = attr_intern(engine_attrs(f->e), &a);
	assert_non_null(f->at);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	if (f->sub != NULL)
		fibsub_stop(f->sub);
	for (int i = 0; i < 2; i++)
		server_stop(f, i);
	uv_close((uv_handle_t *)&f->guard, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	attr_unref(engine_attrs(f->e), f->at);
	engine_free(f->e);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* ---- tests -------------------------------------------------------------- */

static void
test_fibsub_snapshot_then_deltas_equal_the_engine_fib(void **state)
{
	struct fx *f = *state;
	const char *eps[1];
	struct fibsub_status st;

	ADD1(f, 0, 100);
	server_start(f, 0, NULL);
	eps[0] = f->ep[0];
	f->sub = sub_new(f, R_HZ, eps, 1, NULL, 0);
	assert_int_equal(fibsub_start(f->sub), 0);
	RUN_UNTIL(f, f->synced == f->index);
	st = sub_status(f->sub);
	assert_int_equal(st.snapshots, 1);
	assert_int_equal(f->nsnap_synced, 1);
	assert_sub_matches_engine(f, f->sub, R_HZ);

	/* each step is one delta of its version */
	ADD2(f, 50, 100); /* ECMP over both VBRs for 50..99 */
	RUN_UNTIL(f, f->synced == f->index);
	assert_sub_matches_engine(f, f->sub, R_HZ);
	DEL1(f, 0, 60); /* 0..49 gone, 50..59 on vbr-2 alone */
	RUN_UNTIL(f, f->synced == f->index);
	assert_sub_matches_engine(f, f->sub, R_HZ);
	assert_true(f->withdrawals >= 50);
	st = sub_status(f->sub);
	assert_int_equal(st.snapshots, 1);
	assert_int_equal(st.version, f->index);

	/* the node reports the subscriber caught up */
	RUN_UNTIL(f, info_of(f, 0).lag == 0);
	assert_string_equal(info_of(f, 0).id, "test-fwd");
	assert_string_equal(info_of(f, 0).region, R_HZ);
	assert_int_equal(info_of(f, 0).version, f->index);
	assert_string_equal(info_of(f, 0).state, "streaming");
}

static void
test_fibsub_views_follow_regionout_denials(void **state)
{
	struct fx *f = *state;
	const char *eps[1];
	struct fibmsg_entry e;
	struct prefix p;

	server_start(f, 0, NULL);
	eps[0] = f->ep[0];
	f->sub = sub_new(f, R_HZ, eps, 1, NULL, 0);
	assert_int_equal(fibsub_start(f->sub), 0);
	RUN_UNTIL(f, f->synced == f->index);
	/* vpc-a learns nothing of vpc-b: its view says no route there */
	assert_int_equal(prefix_parse(&p, "10.2.0.0/24", true), 0);
	assert_int_equal(fibsub_get(f->sub, "rt-hz", "vpc-a", &p, &e), 0);
	assert_true(e.no_route);
	assert_int_equal(fibsub_get(f->sub, "rt-hz", "", &p, &e), 0);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.nh[0].id, "vpc-b");
	/* nor its own CIDR (own-route) */
	assert_int_equal(fibsub_get(f->sub, "rt-hz", "vpc-b", &p, &e), 0);
	assert_true(e.no_route);
	/* Shanghai's CIDR: vpc-a follows its table (no override) */
	assert_int_equal(prefix_parse(&p, "10.9.0.0/24", true), 0);
	assert_int_equal(fibsub_get(f->sub, "rt-hz", "vpc-a", &p, &e),
			 -CEN_ENOENT);
	assert_int_equal(fibsub_get(f->sub, "rt-hz", NULL, &p, &e), 0);
	assert_int_equal(e.nh[0].kind, ENGINE_NH_REGION);
	assert_string_equal(e.nh[0].id, R_SH);
	assert_sub_matches_engine(f, f->sub, R_HZ);
}

static void
test_fibsub_gets_only_its_region_and_versions_move_on(void **state)
{
	struct fx *f = *state;
	const char *eps[1];

	server_start(f, 0, NULL);
	eps[0] = f->ep[0];
	f->sub = sub_new(f, R_SH, eps, 1, NULL, 0);
	assert_int_equal(fibsub_start(f->sub), 0);
	RUN_UNTIL(f, f->synced == f->index);
	assert_sub_matches_engine(f, f->sub, R_SH);
	assert_true(fibsub_count(f->sub) > 0);
	f->changes = 0;
	/* Hangzhou-only changes: nothing for Shanghai, but its version
	 * still reaches the applied index (an empty delta) */
	ADD1(f, 0, 10);
	RUN_UNTIL(f, f->synced == f->index);
	assert_sub_matches_engine(f, f->sub, R_SH);
	RUN_UNTIL(f, info_of(f, 0).lag == 0);
}

static void
test_fibsub_resumes_from_its_data_dir_without_snapshot(void **state)
{
	struct fx *f = *state;
	const char *eps[1];
	char dir[128];
	size_t count;
	uint64_t version;
	struct fibsub_status st;

	snprintf(dir, sizeof(dir), "%s/fwd", f->dir);
	ADD1(f, 0, 200);
	server_start(f, 0, NULL);
	eps[0] = f->ep[0];
	f->sub = sub_new(f, R_HZ, eps, 1, dir, 0);
	assert_int_equal(fibsub_start(f->sub), 0);
	RUN_UNTIL(f, f->synced == f->index);
	count = fibsub_count(f->sub);
	version = fibsub_version(f->sub);
	fibsub_stop(f->sub); /* commits */
	f->sub = NULL;
	RUN_UNTIL(f, nsubs(f, 0) == 0);

	/* changes while the forwarder is down */
	DEL1(f, 0, 20);
	ADD2(f, 300, 5);

	/* a restarted forwarder has its FIB before it connects */
	f->changes = f->nsynced = f->nsnap_synced = 0;
	f->sub = sub_new(f, R_HZ, eps, 1, dir, 0);
	assert_int_equal(fibsub_count(f->sub), count);
	assert_int_equal(fibsub_version(f->sub), version);
	assert_int_equal(fibsub_start(f->sub), 0);
	assert_int_equal(f->changes, count); /* replayed for the LPM */
	assert_int_equal(f->nsnap_synced, 1);
	RUN_UNTIL(f, f->synced == f->index);
	st = sub_status(f->sub);
	assert_int_equal(st.snapshots, 0);
	assert_int_equal(st.resumes, 1);
	assert_true(st.persisted);
	assert_sub_matches_engine(f, f->sub, R_HZ);
}

static void
test_fibsub_version_older_than_history_gets_snapshot(void **state)
{
	struct fx *f = *state;
	struct fibstream_config cfg = { .history_entries = 50 };
	const char *eps[1];
	char dir[128];
	struct fibsub_status st;

	snprintf(dir, sizeof(dir), "%s/fwd", f->dir);
	ADD1(f, 0, 100);
	server_start(f, 0, &cfg);
	eps[0] = f->ep[0];
	f->sub = sub_new(f, R_HZ, eps, 1, dir, 0);
	assert_int_equal(fibsub_start(f->sub), 0);
	RUN_UNTIL(f, f->synced == f->index);
	fibsub_stop(f->sub);
	f->sub = NULL;
	RUN_UNTIL(f, nsubs(f, 0) == 0);

	/* more changes than the history keeps, one of them a removal */
	DEL1(f, 7, 1);
	for (int i = 0; i < 4; i++)
		ADD2(f, 1000 + 20 * (uint32_t)i, 20);

	f->withdrawals = 0;
	f->sub = sub_new(f, R_HZ, eps, 1, dir, 0);
	assert_int_equal(fibsub_start(f->sub), 0);
	RUN_UNTIL(f, f->synced == f->index);
	st = sub_status(f->sub);
	assert_int_equal(st.snapshots, 1);
	assert_int_equal(st.resumes, 0);
	assert_sub_matches_engine(f, f->sub, R_HZ);
	/* the snapshot's difference includes what went while away */
	assert_int_equal(f->withdrawals, 1);
	assert_string_equal(f->withdrawn_last, "20.0.7.0/24");
}

static void
test_fibsub_fails_over_and_resumes_on_the_next_endpoint(void **state)
{
	struct fx *f = *state;
	const char *eps[3];
	char dead[160];
	struct fibsub_status st;

	ADD1(f, 0, 50);
	server_start(f, 0, NULL);
	server_start(f, 1, NULL);
	snprintf(dead, sizeof(dead), "unix:%s/nobody.sock", f->dir);
	eps[0] = dead; /* refused: the next one is tried */
	eps[1] = f->ep[0];
	eps[2] = f->ep[1];
	f->sub = sub_new(f, R_HZ, eps, 3, NULL, 0);
	assert_int_equal(fibsub_start(f->sub), 0);
	RUN_UNTIL(f, f->synced == f->index);
	st = sub_status(f->sub);
	assert_string_equal(st.endpoint, f->ep[0]);
	assert_true(st.failovers >= 1);
	ADD1(f, 50, 10);
	RUN_UNTIL(f, f->synced == f->index);

	/* the node goes away: the stream moves to the other one, which
	 * still holds the versions since, and resumes there */
	server_stop(f, 0);
	ADD2(f, 0, 10);
	RUN_UNTIL(f, f->synced == f->index);
	st = sub_status(f->sub);
	assert_string_equal(st.endpoint, f->ep[1]);
	assert_int_equal(st.snapshots, 1);
	assert_int_equal(st.resumes, 1);
	assert_sub_matches_engine(f, f->sub, R_HZ);
	ADD2(f, 10, 10);
	RUN_UNTIL(f, f->synced == f->index);
	assert_sub_matches_engine(f, f->sub, R_HZ);
}

static void
test_fibstream_waits_for_a_resume_version_not_yet_applied(void **state)
{
	struct fx *f = *state;
	const char *eps[1];
	struct fibsub_status st;

	server_start(f, 0, NULL);
	eps[0] = f->ep[0];
	/* a forwarder that came from a node two entries ahead: it holds
	 * (here: claims) index + 2 */
	f->sub = sub_new(f, R_HZ, eps, 1, NULL, f->index + 2);
	assert_int_equal(fibsub_start(f->sub), 0);
	RUN_UNTIL(f, nsubs(f, 0) == 1 &&
			     strcmp(info_of(f, 0).state, "waiting") == 0);
	ADD1(f, 0, 5);
	assert_string_equal(info_of(f, 0).state, "waiting");
	ADD1(f, 5, 5);
	ADD1(f, 10, 5);
	RUN_UNTIL(f, f->synced == f->index);
	st = sub_status(f->sub);
	assert_int_equal(st.snapshots, 0);
	assert_int_equal(st.resumes, 1);
	/* only what came after its version: 10..14 */
	assert_int_equal(fibsub_count(f->sub), 5);
}

static void
test_fibstream_gives_up_waiting_with_a_snapshot(void **state)
{
	struct fx *f = *state;
	struct fibstream_config cfg = { .resume_wait_ms = 30, .tick_ms = 5 };
	const char *eps[1];

	ADD1(f, 0, 5);
	server_start(f, 0, &cfg);
	eps[0] = f->ep[0];
	f->sub = sub_new(f, R_HZ, eps, 1, NULL, f->index + 100);
	assert_int_equal(fibsub_start(f->sub), 0);
	RUN_UNTIL(f, sub_status(f->sub).snapshots == 1);
	/* back to what this node has: its applied index */
	assert_int_equal(f->synced, f->index);
	assert_int_equal(fibsub_version(f->sub), f->index);
	assert_sub_matches_engine(f, f->sub, R_HZ);
}

static void
test_fibstream_restored_state_sends_a_new_snapshot(void **state)
{
	struct fx *f = *state;
	const char *eps[1];

	ADD1(f, 0, 20);
	server_start(f, 0, NULL);
	eps[0] = f->ep[0];
	f->sub = sub_new(f, R_HZ, eps, 1, NULL, 0);
	assert_int_equal(fibsub_start(f->sub), 0);
	RUN_UNTIL(f, f->synced == f->index);
	/* as if a Raft snapshot replaced the state, far ahead */
	f->index += 100;
	engine_set_delta_cb(f->e, NULL, NULL);
	{
		struct engine_path_in in = { 0 };
		struct cen_err err = { 0 };
		struct prefix p = pfx_n(3);

		prefix_parse_addr(&in.peer, "10.10.10.2");
		assert_int_equal(
			engine_path_del(f->e, "vbr-1", &in.peer, &p, &err), 0);
		in.attachment = "vbr-2";
		prefix_parse_addr(&in.peer, "10.10.11.2");
		in.attrs = f->at;
		in.prefix = pfx_n(500);
		assert_int_equal(engine_path_add(f->e, &in, &err), 0);
		engine_drain(f->e);
	}
	engine_set_delta_cb(f->e, engine_cb, f);
	fibstream_restored(f->fs[0], f->e, f->index);
	RUN_UNTIL(f, f->synced == f->index);
	assert_int_equal(sub_status(f->sub).snapshots, 2);
	assert_sub_matches_engine(f, f->sub, R_HZ);
	assert_true(f->withdrawals >= 1);
}

static void
test_fibstream_chunks_a_large_snapshot_and_delta(void **state)
{
	struct fx *f = *state;
	struct fibstream_config cfg = { .chunk_bytes = 512 };
	const char *eps[1];
	struct fibsub_status st;

	ADD1(f, 0, 300);
	server_start(f, 0, &cfg);
	eps[0] = f->ep[0];
	f->sub = sub_new(f, R_HZ, eps, 1, NULL, 0);
	assert_int_equal(fibsub_start(f->sub), 0);
	RUN_UNTIL(f, f->synced == f->index);
	st = sub_status(f->sub);
	assert_true(st.messages > 10);
	assert_int_equal(f->nsynced, 1); /* complete once, at the end */
	ADD2(f, 0, 300);
	RUN_UNTIL(f, f->synced == f->index);
	assert_int_equal(f->nsynced, 2);
	assert_true(sub_status(f->sub).messages > st.messages + 10);
	assert_sub_matches_engine(f, f->sub, R_HZ);
}

/* ---- a subscriber that reads only when the test says ------------------- */

struct raw {
	int fd;
	struct rpc_framer framer;
	struct hmap state; /* "key NUL line NUL" (one block: key and value) */
	uint64_t version;
	size_t messages, snapshots, deltas;
	size_t delta_entries; /* entries of every delta read */
	bool in_snap;
	struct hmap snap;
	bool ended;
};

static bool
raw_eq(const void *a, const void *b)
{
	return strcmp(a, b) == 0;
}

static void
raw_map_clear(struct hmap *m)
{
	const void *k;
	void *v;

	for (size_t i = 0; hmap_next(m, &i, &k, &v);)
		free(v);
	hmap_fini(m);
	hmap_init(m, raw_eq);
}

static const char *
raw_line(const char *block)
{
	return block + strlen(block) + 1;
}

static void
raw_put(struct hmap *m, const struct fibmsg_entry *e)
{
	char key[512], line[2048], *block;
	void *old = NULL;
	uint64_t h;
	size_t kl, ll;

	entry_key(e, key, sizeof(key));
	h = hmap_hash_str(key);
	if (e->withdrawn) {
		free(hmap_del(m, h, key));
		return;
	}
	entry_line(e, line, sizeof(line));
	kl = strlen(key);
	ll = strlen(line);
	block = malloc(kl + ll + 2);
	assert_non_null(block);
	memcpy(block, key, kl + 1);
	memcpy(block + kl + 1, line, ll + 1);
	assert_int_equal(hmap_put(m, h, block, block, &old), 0);
	free(old);
}

static int
raw_env(Cend__V1__Envelope *env, void *arg)
{
	struct raw *r = arg;
	Cend__V1__SubscribeFibResponse *m;
	struct fibmsg_entry e;
	Cend__V1__FibEntry **v;
	size_t n;
	uint64_t version;
	bool more, snap;

	if (env->end_of_stream || env->status != RPC_OK) {
		r->ended = true;
		return 0;
	}
	m = cend__v1__subscribe_fib_response__unpack(NULL, env->payload.len,
						     env->payload.data);
	assert_non_null(m);
	r->messages++;
	snap = m->msg_case == CEND__V1__SUBSCRIBE_FIB_RESPONSE__MSG_SNAPSHOT;
	if (snap) {
		v = m->snapshot->entries;
		n = m->snapshot->n_entries;
		version = m->snapshot->version;
		more = m->snapshot->more;
		if (!r->in_snap)
			raw_map_clear(&r->snap);
		r->in_snap = true;
	} else {
		assert_int_equal(m->msg_case,
				 CEND__V1__SUBSCRIBE_FIB_RESPONSE__MSG_DELTA);
		assert_false(r->in_snap);
		v = m->delta->entries;
		n = m->delta->n_entries;
		version = m->delta->version;
		more = m->delta->more;
		assert_true(version >= r->version);
		r->delta_entries += n;
	}
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(fibmsg_entry_decode(v[i], &e, NULL), 0);
		raw_put(snap ? &r->snap : &r->state, &e);
	}
	if (!more) {
		if (snap) {
			struct hmap t = r->state;

			r->state = r->snap;
			r->snap = t;
			r->in_snap = false;
			r->snapshots++;
		} else if (n > 0 || version > r->version) {
			r->deltas++;
		}
		r->version = version;
	}
	cend__v1__subscribe_fib_response__free_unpacked(m, NULL);
	return 0;
}

static void
raw_connect(struct raw *r, const char *ep, const char *region)
{
	Cend__V1__SubscribeFibRequest req =
		CEND__V1__SUBSCRIBE_FIB_REQUEST__INIT;
	Cend__V1__Envelope env = CEND__V1__ENVELOPE__INIT;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t pl[128], frame[512];
	size_t len;

	memset(r, 0, sizeof(*r));
	hmap_init(&r->state, raw_eq);
	hmap_init(&r->snap, raw_eq);
	rpc_framer_init(&r->framer, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ep + 5);
	r->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(r->fd >= 0);
	assert_int_equal(connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	req.region = (char *)region;
	req.subscriber_id = "slow";
	len = cend__v1__subscribe_fib_request__get_packed_size(&req);
	cend__v1__subscribe_fib_request__pack(&req, pl);
	env.call_id = 1;
	env.method = FIBSTREAM_METHOD_SUBSCRIBE;
	env.payload.data = pl;
	env.payload.len = len;
	len = rpc_frame_size(&env);
	rpc_frame_pack(&env, frame);
	assert_int_equal(write(r->fd, frame, len), (ssize_t)len);
	fcntl(r->fd, F_SETFL, O_NONBLOCK);
}

/* Reads what has arrived; true once the stream is at version v. */
static bool
raw_read(struct raw *r, uint64_t v)
{
	uint8_t buf[65536];
	ssize_t n;

	while ((n = read(r->fd, buf, sizeof(buf))) > 0)
		assert_int_equal(rpc_frame_feed(&r->framer, buf, (size_t)n,
						raw_env, r, NULL),
				 0);
	return r->version == v && !r->in_snap;
}

static void
raw_close(struct raw *r)
{
	close(r->fd);
	rpc_framer_fini(&r->framer);
	raw_map_clear(&r->state);
	raw_map_clear(&r->snap);
	hmap_fini(&r->state);
	hmap_fini(&r->snap);
}

static void
assert_raw_matches_engine(struct fx *f, struct raw *r)
{
	struct lines a = { 0 }, b = { 0 };
	const void *k;
	void *v;

	engine_lines(f, R_HZ, &a);
	for (size_t i = 0; hmap_next(&r->state, &i, &k, &v);)
		lines_add(&b, raw_line(v));
	qsort(b.v, b.n, sizeof(*b.v), str_cmp);
	assert_same(&a, &b);
	lines_free(&a);
	lines_free(&b);
}

/* The changes of rounds of flapping 2000 prefixes (each round changes
 * each of them) while the subscriber reads nothing. */
static size_t
flap_until_blocked(struct fx *f, int rounds)
{
	size_t max_pending = 0;

	for (int i = 0; i < rounds; i++) {
		struct fibstream_sub_info in;

		if (i % 2 == 0)
			ADD1(f, 0, 2000);
		else
			DEL1(f, 0, 2000);
		uv_run(&f->loop, UV_RUN_NOWAIT);
		in = info_of(f, 0);
		if (in.pending > max_pending)
			max_pending = in.pending;
	}
	return max_pending;
}

static void
test_fibstream_slow_subscriber_gets_coalesced_deltas(void **state)
{
	struct fx *f = *state;
	struct fibstream_config cfg = { .queue_max = 1, .tick_ms = 5 };
	struct fibstream_sub_info in;
	struct raw r;
	size_t max_pending;

	server_start(f, 0, &cfg);
	raw_connect(&r, f->ep[0], R_HZ);
	RUN_UNTIL(f, raw_read(&r, f->index));
	assert_int_equal(r.snapshots, 1);

	max_pending = flap_until_blocked(f, 41);
	in = info_of(f, 0);
	/* the node stopped sending: the kernel's buffer is full */
	assert_string_equal(in.state, "coalescing");
	assert_true(in.lag > 0);
	/* coalesced: at most one entry per prefix waits, besides the delta
	 * already taken for sending */
	assert_true(max_pending > 0);
	assert_true(max_pending <= 2 * 2000);

	/* it reads again: far fewer messages than entries were applied,
	 * and the same FIB */
	RUN_UNTIL(f, raw_read(&r, f->index));
	assert_true(r.deltas < 41);
	assert_int_equal(r.snapshots, 1);
	assert_raw_matches_engine(f, &r);
	RUN_UNTIL(f, info_of(f, 0).lag == 0);
	raw_close(&r);
}

/* Withdraws prefixes [first, first + n) of vbr-1 and adds them back, in
 * one entry. */
static void
step_flap(struct fx *f, uint32_t first, uint32_t n, bool back)
{
	struct engine_path_in in = { .attachment = "vbr-1", .node = 1 };
	struct cen_err err = { 0 };

	f->index++;
	in.attrs = f->at;
	assert_int_equal(prefix_parse_addr(&in.peer, "10.10.10.2"), 0);
	for (uint32_t i = first; i < first + n; i++) {
		in.prefix = pfx_n(i);
		if (engine_path_del(f->e, "vbr-1", &in.peer, &in.prefix,
				    &err) != 0)
			fail_msg("engine_path_del: %s", err.msg);
	}
	for (uint32_t i = first; back && i < first + n; i++) {
		in.prefix = pfx_n(i);
		if (engine_path_add(f->e, &in, &err) != 0)
			fail_msg("engine_path_add: %s", err.msg);
	}
	applied(f);
}

/* An entry that changes the same prefixes twice sends each of them once,
 * in its latest state: as many entries as an entry that changes them
 * once. */
static void
test_fibstream_entry_sends_each_key_once(void **state)
{
	struct fx *f = *state;
	struct raw r;
	size_t once, twice;

	server_start(f, 0, NULL);
	ADD1(f, 0, 4000);
	raw_connect(&r, f->ep[0], R_HZ);
	RUN_UNTIL(f, raw_read(&r, f->index));
	assert_int_equal(r.snapshots, 1);

	step_flap(f, 0, 2000, false);
	RUN_UNTIL(f, raw_read(&r, f->index));
	once = r.delta_entries;
	assert_true(once >= 2000);
	step_flap(f, 2000, 2000, true);
	RUN_UNTIL(f, raw_read(&r, f->index));
	twice = r.delta_entries - once;
	assert_int_equal(twice, once);
	assert_raw_matches_engine(f, &r);
	raw_close(&r);
}

static void
test_fibstream_too_slow_subscriber_gets_a_new_snapshot(void **state)
{
	struct fx *f = *state;
	struct fibstream_config cfg = { .queue_max = 1,
					.tick_ms = 5,
					.pending_max = 500 };
	struct fibstream_sub_info in;
	struct raw r;

	server_start(f, 0, &cfg);
	raw_connect(&r, f->ep[0], R_HZ);
	RUN_UNTIL(f, raw_read(&r, f->index));
	flap_until_blocked(f, 21);
	in = info_of(f, 0);
	/* over pending_max: nothing is held for it but a snapshot owed */
	assert_string_equal(in.state, "snapshot");
	assert_int_equal(in.pending, 0);
	RUN_UNTIL(f, raw_read(&r, f->index));
	assert_int_equal(r.snapshots, 2);
	assert_raw_matches_engine(f, &r);
	raw_close(&r);
}

/* ---- a node that sends garbage ----------------------------------------- */

static void
bad_handler(struct rpc_call *call, const uint8_t *payload, size_t len,
	    void *arg)
{
	Cend__V1__SubscribeFibResponse r =
		CEND__V1__SUBSCRIBE_FIB_RESPONSE__INIT;
	Cend__V1__FibSnapshot s = CEND__V1__FIB_SNAPSHOT__INIT;
	Cend__V1__FibDelta d = CEND__V1__FIB_DELTA__INIT;
	Cend__V1__FibEntry e = CEND__V1__FIB_ENTRY__INIT, *ep = &e;
	Cend__V1__FibEntry bad = CEND__V1__FIB_ENTRY__INIT, *bp[2];
	Cend__V1__Prefix pm = CEND__V1__PREFIX__INIT;
	Cend__V1__NextHopGroup g = CEND__V1__NEXT_HOP_GROUP__INIT;
	Cend__V1__NextHop nh = CEND__V1__NEXT_HOP__INIT, *nhp = &nh;
	uint8_t addr[4] = { 10, 0, 0, 0 };

	pm.family = 4;
	pm.len = 8;
	pm.addr.data = addr;
	pm.addr.len = 4;
	nh.kind = CEND__V1__NEXT_HOP_KIND__NEXT_HOP_KIND_ATTACHMENT;
	nh.id = "vbr-1";
	nh.weight = 1;
	g.n_next_hops = 1;
	g.next_hops = &nhp;
	e.region = R_HZ;
	e.table = "rt-hz";
	e.prefix = &pm;
	e.group = &g;
	s.version = 7;
	s.n_entries = 1;
	s.entries = &ep;
	r.msg_case = CEND__V1__SUBSCRIBE_FIB_RESPONSE__MSG_SNAPSHOT;
	r.snapshot = &s;
	rpc_stream_send_msg(call, &r.base);
	/* a delta whose second entry is bad: none of it may be applied */
	bad = e;
	bad.table = "bad table";
	bp[0] = &e;
	bp[1] = &bad;
	d.version = 8;
	d.n_entries = 2;
	d.entries = bp;
	r.msg_case = CEND__V1__SUBSCRIBE_FIB_RESPONSE__MSG_DELTA;
	r.delta = &d; /* a oneof: replaces snapshot */
	rpc_stream_send_msg(call, &r.base);
	rpc_stream_end(call, RPC_OK, NULL);
}

static void
test_fibsub_drops_a_stream_with_a_bad_entry(void **state)
{
	struct fx *f = *state;
	static const struct rpc_method methods[] = {
		{ FIBSTREAM_METHOD_SUBSCRIBE, bad_handler, NULL },
		{ NULL, NULL, NULL },
	};
	struct cen_err err = { 0 };
	const char *eps[1];

	assert_int_equal(rpc_server_new(&f->loop, methods, 0, &f->srv[0]), 0);
	snprintf(f->ep[0], sizeof(f->ep[0]), "unix:%s/bad.sock", f->dir);
	assert_int_equal(rpc_server_listen(f->srv[0], f->ep[0], &err), 0);
	eps[0] = f->ep[0];
	f->sub = sub_new(f, R_HZ, eps, 1, NULL, 0);
	assert_int_equal(fibsub_start(f->sub), 0);
	RUN_UNTIL(f, sub_status(f->sub).failovers >= 2);
	/* the snapshot is held; the bad delta changed nothing */
	assert_int_equal(fibsub_version(f->sub), 7);
	assert_int_equal(fibsub_count(f->sub), 1);
}

/* ---- the order of a snapshot's changes -------------------------------- */

/* Room for one FibEntry 10.X.0.0/16 via an attachment. */
struct ent_room {
	Cend__V1__FibEntry e;
	Cend__V1__Prefix pm;
	Cend__V1__NextHopGroup g;
	Cend__V1__NextHop nh, *nhp;
	uint8_t addr[4];
};

static Cend__V1__FibEntry *
ent_make(struct ent_room *r, uint8_t x, const char *att)
{
	cend__v1__fib_entry__init(&r->e);
	cend__v1__prefix__init(&r->pm);
	cend__v1__next_hop_group__init(&r->g);
	cend__v1__next_hop__init(&r->nh);
	r->addr[0] = 10;
	r->addr[1] = x;
	r->addr[2] = r->addr[3] = 0;
	r->pm.family = 4;
	r->pm.len = 16;
	r->pm.addr.data = r->addr;
	r->pm.addr.len = 4;
	r->nh.kind = CEND__V1__NEXT_HOP_KIND__NEXT_HOP_KIND_ATTACHMENT;
	r->nh.id = (char *)att;
	r->nh.weight = 1;
	r->nhp = &r->nh;
	r->g.n_next_hops = 1;
	r->g.next_hops = &r->nhp;
	r->e.region = R_HZ;
	r->e.table = "rt-hz";
	r->e.prefix = &r->pm;
	r->e.group = &r->g;
	return &r->e;
}

static void
send_snapshot(struct rpc_call *call, uint64_t version, Cend__V1__FibEntry **v,
	      size_t n, bool more)
{
	Cend__V1__SubscribeFibResponse r =
		CEND__V1__SUBSCRIBE_FIB_RESPONSE__INIT;
	Cend__V1__FibSnapshot s = CEND__V1__FIB_SNAPSHOT__INIT;

	s.version = version;
	s.n_entries = n;
	s.entries = v;
	s.more = more;
	r.msg_case = CEND__V1__SUBSCRIBE_FIB_RESPONSE__MSG_SNAPSHOT;
	r.snapshot = &s;
	rpc_stream_send_msg(call, &r.base);
}

/* Snapshot 7 in two chunks, out of address order, 10.1/16 twice (the
 * second, via vbr-2, replaces the first); then snapshot 8, which keeps
 * 10.2/16 as it was, adds 10.4/16 and leaves the rest out. */
static void
order_handler(struct rpc_call *call, const uint8_t *payload, size_t len,
	      void *arg)
{
	struct ent_room r[7];
	Cend__V1__FibEntry *c1[3], *c2[2], *c3[2];

	c1[0] = ent_make(&r[0], 3, "vbr-1");
	c1[1] = ent_make(&r[1], 1, "vbr-1");
	c1[2] = ent_make(&r[2], 2, "vbr-1");
	c2[0] = ent_make(&r[3], 1, "vbr-2");
	c2[1] = ent_make(&r[4], 0, "vbr-1");
	send_snapshot(call, 7, c1, 3, true);
	send_snapshot(call, 7, c2, 2, false);
	c3[0] = ent_make(&r[5], 2, "vbr-1");
	c3[1] = ent_make(&r[6], 4, "vbr-2");
	send_snapshot(call, 8, c3, 2, false);
	rpc_stream_end(call, RPC_OK, NULL);
}

struct order {
	struct lines seen; /* "PREFIX NEXT-HOP" or "PREFIX withdrawn" */
	size_t snapshots;
};

static void
order_change(const struct fibmsg_entry *e, void *arg)
{
	struct order *o = arg;
	char p[PREFIX_STRLEN], line[PREFIX_STRLEN + FIBMSG_ID_MAX + 2];

	snprintf(line, sizeof(line), "%s %s",
		 prefix_fmt(&e->prefix, p, sizeof(p)),
		 e->withdrawn ? "withdrawn" : e->nh[0].id);
	lines_add(&o->seen, line);
}

static void
order_synced(uint64_t version, bool snapshot, void *arg)
{
	struct order *o = arg;

	o->snapshots += snapshot;
}

static void
test_fibsub_snapshot_changes_come_in_the_order_sent(void **state)
{
	struct fx *f = *state;
	static const struct rpc_method methods[] = {
		{ FIBSTREAM_METHOD_SUBSCRIBE, order_handler, NULL },
		{ NULL, NULL, NULL },
	};
	static const char *const first[] = {
		"10.3.0.0/16 vbr-1",
		"10.2.0.0/16 vbr-1",
		"10.1.0.0/16 vbr-2",
		"10.0.0.0/16 vbr-1",
	};
	struct fibsub_config c = { 0 };
	struct cen_err err = { 0 };
	struct order o = { 0 };
	struct fibmsg_entry e;
	struct prefix p;
	const char *eps[1];

	assert_int_equal(rpc_server_new(&f->loop, methods, 0, &f->srv[0]), 0);
	snprintf(f->ep[0], sizeof(f->ep[0]), "unix:%s/order.sock", f->dir);
	assert_int_equal(rpc_server_listen(f->srv[0], f->ep[0], &err), 0);
	eps[0] = f->ep[0];
	c.region = R_HZ;
	c.endpoints = eps;
	c.nendpoints = 1;
	c.retry_ms = 20;
	c.change = order_change;
	c.synced = order_synced;
	c.arg = &o;
	if (fibsub_new(&f->loop, &c, &f->sub, &err) != 0)
		fail_msg("fibsub_new: %s", err.msg);
	assert_int_equal(fibsub_start(f->sub), 0);
	RUN_UNTIL(f, o.snapshots == 2);
	/* snapshot 7: in the order sent, the replaced entry left out */
	assert_true(o.seen.n == 8);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(o.seen.v[i], first[i]);
	/* snapshot 8: what it leaves out is removed (in no given order),
	 * then what is new; 10.2/16 did not change */
	qsort(o.seen.v + 4, 3, sizeof(*o.seen.v), str_cmp);
	assert_string_equal(o.seen.v[4], "10.0.0.0/16 withdrawn");
	assert_string_equal(o.seen.v[5], "10.1.0.0/16 withdrawn");
	assert_string_equal(o.seen.v[6], "10.3.0.0/16 withdrawn");
	assert_string_equal(o.seen.v[7], "10.4.0.0/16 vbr-2");
	assert_int_equal(fibsub_version(f->sub), 8);
	assert_int_equal(fibsub_count(f->sub), 2);
	assert_int_equal(prefix_parse(&p, "10.2.0.0/16", true), 0);
	assert_int_equal(fibsub_get(f->sub, "rt-hz", NULL, &p, &e), 0);
	assert_string_equal(e.nh[0].id, "vbr-1");
	assert_int_equal(prefix_parse(&p, "10.1.0.0/16", true), 0);
	assert_int_equal(fibsub_get(f->sub, "rt-hz", NULL, &p, &e),
			 -CEN_ENOENT);
	fibsub_stop(f->sub);
	f->sub = NULL;
	lines_free(&o.seen);
}

/* ---- scale -------------------------------------------------------------- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_fibsub_snapshot_of_100k_routes_arrives_whole(void **state)
{
	struct fx *f = *state;
	const uint32_t n = 100000;
	struct fibstream_stats st;
	const char *eps[1];
	char dir[128];
	double t0, t1, t2;

	ADD1(f, 0, n);
	server_start(f, 0, NULL);
	eps[0] = f->ep[0];
	snprintf(dir, sizeof(dir), "%s/fwd", f->dir);
	f->sub = sub_new(f, R_HZ, eps, 1,
			 getenv("FIBSUB_BENCH_NO_LMDB") ? NULL : dir, 0);
	t0 = now_s();
	assert_int_equal(fibsub_start(f->sub), 0);
	RUN_UNTIL(f, f->synced == f->index);
	t1 = now_s();
	fibstream_get_stats(f->fs[0], &st);
	assert_true(fibsub_count(f->sub) >= n);
	assert_sub_matches_engine(f, f->sub, R_HZ);
	/* one delta of n withdrawals */
	DEL1(f, 0, n);
	t2 = now_s();
	RUN_UNTIL(f, f->synced == f->index);
	printf("# FIB stream: snapshot of %llu entries built in %.1f ms; "
	       "received and applied (LMDB: %s) in %.1f ms; a delta of %u "
	       "withdrawals in %.1f ms\n",
	       (unsigned long long)st.snapshot_entries, st.snapshot_us / 1e3,
	       sub_status(f->sub).persisted ? "yes" : "no", (t1 - t0) * 1e3, n,
	       (now_s() - t2) * 1e3);
	assert_sub_matches_engine(f, f->sub, R_HZ);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_fibsub_snapshot_then_deltas_equal_the_engine_fib),
		T(test_fibsub_views_follow_regionout_denials),
		T(test_fibsub_gets_only_its_region_and_versions_move_on),
		T(test_fibsub_resumes_from_its_data_dir_without_snapshot),
		T(test_fibsub_version_older_than_history_gets_snapshot),
		T(test_fibsub_fails_over_and_resumes_on_the_next_endpoint),
		T(test_fibstream_waits_for_a_resume_version_not_yet_applied),
		T(test_fibstream_gives_up_waiting_with_a_snapshot),
		T(test_fibstream_restored_state_sends_a_new_snapshot),
		T(test_fibstream_chunks_a_large_snapshot_and_delta),
		T(test_fibstream_slow_subscriber_gets_coalesced_deltas),
		T(test_fibstream_entry_sends_each_key_once),
		T(test_fibstream_too_slow_subscriber_gets_a_new_snapshot),
		T(test_fibsub_drops_a_stream_with_a_bad_entry),
		T(test_fibsub_snapshot_changes_come_in_the_order_sent),
		T(test_fibsub_snapshot_of_100k_routes_arrives_whole),
#undef T
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
