/*
 * test_apply.c - applying replicated path commands (consensus/apply.c) to
 * the engine and the store: the same routes sent as PathAdds and as
 * PathGroups (command.proto) give the same engine state and the same
 * stored paths, also when the groups come from the direct encoder
 * (proto/cmdenc.c) through the fast decoder (proto/cmddec.c); an invalid
 * group refuses the command with a message naming the group and the byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "consensus/apply.h"
#include "proto/cmddec.h"
#include "proto/cmdenc.h"

static const char topology[] =
	"cen: {id: cen-t}\n"
	"regions:\n"
	"  - id: hz\n"
	"    route_tables:\n"
	"      - {id: rt-hz, system: true}\n"
	"physical_connections:\n"
	"  - {id: pc-1, region: hz, speed_gbps: 10}\n"
	"attachments:\n"
	"  - id: vpc-a\n"
	"    type: VPC\n"
	"    region: hz\n"
	"    vswitch_cidrs: [10.1.0.0/24]\n"
	"  - id: vbr1\n"
	"    type: VBR\n"
	"    region: hz\n"
	"    physical_connection: pc-1\n"
	"    vlan: 101\n"
	"    bandwidth_mbps: 1000\n"
	"    local_ip: 10.10.10.1/30\n"
	"    peer_ip: 10.10.10.2\n"
	"    bgp:\n"
	"      peers:\n"
	"        - {address: 127.0.0.11, asn: 65001, nodes: [1, 2]}\n";

#define NSETS  4
#define NPATHS 300

/* One node's state: an engine and its store, in a directory of its own. */
struct node {
	char dir[64];
	struct store *st;
	struct engine *e;
	uint64_t index;
};

/* Applies c in a transaction of its own; the result of apply_command. */
static int
apply_command_at(struct node *n, const Cend__V1__Command *c,
		 struct cen_err *err)
{
	struct store_txn *t;
	int rc;

	assert_int_equal(store_txn_begin(n->st, &t), 0);
	rc = apply_command(n->e, t, c, NULL, err);
	assert_int_equal(store_txn_commit(t, ++n->index, 1), 0);
	engine_drain(n->e);
	return rc;
}

static void
node_open(struct node *n)
{
	Cend__V1__Command c = CEND__V1__COMMAND__INIT;
	struct cen_err err = { 0 };

	memset(n, 0, sizeof(*n));
	strcpy(n->dir, "/tmp/test_apply.XXXXXX");
	assert_non_null(mkdtemp(n->dir));
	if (store_open(n->dir, 0, &n->st, &err) != 0)
		fail_msg("store_open: %s", err.msg);
	n->e = engine_new();
	assert_non_null(n->e);
	c.cmd_case = CEND__V1__COMMAND__CMD_APPLY_YAML;
	c.apply_yaml = (char *)topology;
	assert_int_equal(apply_command_at(n, &c, &err), 0);
}

static void
node_close(struct node *n)
{
	char cmd[128];

	engine_free(n->e);
	store_close(n->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", n->dir);
	assert_int_equal(system(cmd), 0);
}

/* The hash of what a fresh engine loads from n's store. */
static uint64_t
loaded_hash(struct node *n)
{
	struct engine *e = engine_new();
	struct cen_err err = { 0 };
	uint64_t h;

	assert_non_null(e);
	if (store_load(n->st, e, &err) != 0)
		fail_msg("store_load: %s", err.msg);
	engine_drain(e);
	h = engine_hash(e);
	engine_free(e);
	return h;
}

/* The routes: NPATHS prefixes of every length 8..32, in runs of a few
 * per attribute set, as a peer's UPDATEs bring them. */
struct routes {
	Cend__V1__PathAttrs sets[NSETS];
	uint32_t aspath[NSETS][3];
	uint8_t nh[4];
	uint8_t full[NPATHS][18]; /* store_prefix_pack's form */
	size_t flen[NPATHS];
	int set_of[NPATHS];
	uint8_t peer[18];
	size_t peer_len;
};

static void
routes_make(struct routes *r)
{
	struct prefix peer;

	memset(r, 0, sizeof(*r));
	r->nh[0] = 10;
	r->nh[1] = 10;
	r->nh[2] = 10;
	r->nh[3] = 2;
	for (int k = 0; k < NSETS; k++) {
		cend__v1__path_attrs__init(&r->sets[k]);
		r->aspath[k][0] = 2;
		r->aspath[k][1] = 1;
		r->aspath[k][2] = 65001 + (uint32_t)k;
		r->sets[k].as_path = r->aspath[k];
		r->sets[k].n_as_path = 3;
		r->sets[k].has_med = true;
		r->sets[k].med = (uint32_t)k * 10;
		r->sets[k].next_hop.data = r->nh;
		r->sets[k].next_hop.len = 4;
	}
	for (int i = 0; i < NPATHS; i++) {
		struct prefix p = { .family = PREFIX_AF_INET };

		p.len = (uint8_t)(8 + i % 25);
		p.addr.v4[0] = (uint8_t)(20 + i / 100);
		p.addr.v4[1] = (uint8_t)i;
		p.addr.v4[2] = (uint8_t)(i * 7);
		p.addr.v4[3] = (uint8_t)(i * 13);
		prefix_canon(&p);
		r->flen[i] = store_prefix_pack(&p, r->full[i]);
		r->set_of[i] = (i / 5) % NSETS;
	}
	assert_int_equal(prefix_parse_addr(&peer, "127.0.0.11"), 0);
	r->peer_len = store_prefix_pack(&peer, r->peer);
}

/* The routes as one PathUpdate of PathAdds. */
static int
send_adds(struct node *n, const struct routes *r, struct cen_err *err)
{
	Cend__V1__Command c = CEND__V1__COMMAND__INIT;
	Cend__V1__PathUpdate u = CEND__V1__PATH_UPDATE__INIT;
	static Cend__V1__PathAdd adds[NPATHS], *ap[NPATHS];

	for (int i = 0; i < NPATHS; i++) {
		cend__v1__path_add__init(&adds[i]);
		adds[i].prefix.data = (uint8_t *)r->full[i];
		adds[i].prefix.len = r->flen[i];
		adds[i].attrs = (Cend__V1__PathAttrs *)&r->sets[r->set_of[i]];
		ap[i] = &adds[i];
	}
	u.attachment = "vbr1";
	u.peer.data = (uint8_t *)r->peer;
	u.peer.len = r->peer_len;
	u.node = 1;
	u.adds = ap;
	u.n_adds = NPATHS;
	c.cmd_case = CEND__V1__COMMAND__CMD_PATHS;
	c.paths = &u;
	return apply_command_at(n, &c, err);
}

/* The routes as one PathUpdate of PathGroups, one per run, built by hand
 * (protobuf-c's structures). */
static int
send_groups(struct node *n, const struct routes *r, struct cen_err *err)
{
	Cend__V1__Command c = CEND__V1__COMMAND__INIT;
	Cend__V1__PathUpdate u = CEND__V1__PATH_UPDATE__INIT;
	static Cend__V1__PathGroup groups[NPATHS], *gp[NPATHS];
	static uint8_t packed[NPATHS * 18];
	size_t ng = 0, off = 0;

	for (int i = 0; i < NPATHS; i++) {
		struct prefix p;

		if (i == 0 || r->set_of[i] != r->set_of[i - 1]) {
			cend__v1__path_group__init(&groups[ng]);
			groups[ng].attrs =
				(Cend__V1__PathAttrs *)&r->sets[r->set_of[i]];
			groups[ng].prefixes.data = packed + off;
			gp[ng] = &groups[ng];
			ng++;
		}
		assert_int_equal(
			store_prefix_unpack(r->full[i], r->flen[i], &p, NULL),
			0);
		groups[ng - 1].prefixes.len +=
			store_prefix_pack_short(&p, packed + off);
		off += store_prefix_pack_short(&p, packed + off);
	}
	u.attachment = "vbr1";
	u.peer.data = (uint8_t *)r->peer;
	u.peer.len = r->peer_len;
	u.node = 1;
	u.groups = gp;
	u.n_groups = ng;
	c.cmd_case = CEND__V1__COMMAND__CMD_PATHS;
	c.paths = &u;
	return apply_command_at(n, &c, err);
}

/* The routes through the direct encoder and the fast decoder, as the BGP
 * speaker proposes them. */
static int
send_encoded(struct node *n, const struct routes *r, struct cen_err *err)
{
	uint8_t abuf[NSETS][128];
	size_t alen[NSETS], len;
	const uint8_t *cmd;
	struct pbarena a;
	struct cmdenc enc;
	Cend__V1__Command *c;
	int rc;

	for (int k = 0; k < NSETS; k++) {
		alen[k] = cend__v1__path_attrs__get_packed_size(&r->sets[k]);
		assert_true(alen[k] <= sizeof(abuf[k]));
		cend__v1__path_attrs__pack(&r->sets[k], abuf[k]);
	}
	cmdenc_paths_begin(&enc, "vbr1", r->peer, r->peer_len, 1);
	for (int i = 0; i < NPATHS; i++)
		cmdenc_paths_add(&enc, r->full[i], r->flen[i],
				 abuf[r->set_of[i]], alen[r->set_of[i]]);
	cmd = cmdenc_paths_end(&enc, &len);
	assert_non_null(cmd);
	pbarena_init(&a);
	c = cmddec_command(&a, cmd, len);
	assert_non_null(c);
	assert_int_equal(c->paths->n_adds, 0);
	assert_int_equal(c->paths->n_groups, NPATHS / 5);
	rc = apply_command_at(n, c, err);
	pbarena_fini(&a);
	cmdenc_free(&enc);
	return rc;
}

static void
test_apply_groups_give_the_engine_and_store_that_adds_give(void **state)
{
	static struct routes r;
	struct node empty, na, ng, ne;
	struct cen_err err = { 0 };
	uint64_t h;

	(void)state;
	routes_make(&r);
	node_open(&empty);
	node_open(&na);
	node_open(&ng);
	node_open(&ne);
	if (send_adds(&na, &r, &err) != 0)
		fail_msg("adds: %s", err.msg);
	if (send_groups(&ng, &r, &err) != 0)
		fail_msg("groups: %s", err.msg);
	if (send_encoded(&ne, &r, &err) != 0)
		fail_msg("encoded: %s", err.msg);
	h = engine_hash(na.e);
	assert_true(h != engine_hash(empty.e)); /* the paths are there */
	assert_true(engine_hash(ng.e) == h);
	assert_true(engine_hash(ne.e) == h);
	assert_true(loaded_hash(&na) == h);
	assert_true(loaded_hash(&ng) == h);
	assert_true(loaded_hash(&ne) == h);
	node_close(&empty);
	node_close(&na);
	node_close(&ng);
	node_close(&ne);
}

/* Withdrawals apply before the adds, the adds before the groups, the
 * groups in order: a prefix in a later group takes that group's set. */
static void
test_apply_groups_apply_after_withdraws_and_adds_in_order(void **state)
{
	static struct routes r;
	Cend__V1__Command c = CEND__V1__COMMAND__INIT;
	Cend__V1__PathUpdate u = CEND__V1__PATH_UPDATE__INIT;
	Cend__V1__PathAdd add = CEND__V1__PATH_ADD__INIT, *ap = &add;
	Cend__V1__PathGroup g[2], *gp[2] = { &g[0], &g[1] };
	ProtobufCBinaryData wd;
	uint8_t list0[] = { 4, 16, 20, 1, 4, 8, 20 };
	uint8_t list1[] = { 4, 16, 20, 1 };
	uint8_t p16[6] = { 4, 16, 20, 1, 0, 0 };
	struct node a, b;
	struct cen_err err = { 0 };

	(void)state;
	routes_make(&r);
	node_open(&a);
	node_open(&b);
	cend__v1__path_group__init(&g[0]);
	cend__v1__path_group__init(&g[1]);
	g[0].attrs = &r.sets[0];
	g[0].prefixes.data = list0;
	g[0].prefixes.len = sizeof(list0);
	g[1].attrs = &r.sets[1];
	g[1].prefixes.data = list1;
	g[1].prefixes.len = sizeof(list1);
	add.prefix.data = p16;
	add.prefix.len = sizeof(p16);
	add.attrs = &r.sets[2];
	wd.data = p16;
	wd.len = sizeof(p16);
	u.attachment = "vbr1";
	u.peer.data = r.peer;
	u.peer.len = r.peer_len;
	u.node = 1;
	u.adds = &ap;
	u.n_adds = 1;
	u.withdraws = &wd;
	u.n_withdraws = 1;
	u.groups = gp;
	u.n_groups = 2;
	c.cmd_case = CEND__V1__COMMAND__CMD_PATHS;
	c.paths = &u;
	if (apply_command_at(&a, &c, &err) != 0)
		fail_msg("%s", err.msg);
	/* the same as: 20.1.0.0/16 with set 1, 20.0.0.0/8 with set 0 */
	g[0].prefixes.len = 3;
	g[0].prefixes.data = list0 + 4;
	u.n_adds = u.n_withdraws = 0;
	if (apply_command_at(&b, &c, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(engine_hash(a.e) == engine_hash(b.e));
	node_close(&a);
	node_close(&b);
}

/* A bad prefix list or a group without attributes refuses the command,
 * saying which group and where. */
static void
test_apply_invalid_group_refuses_naming_group_and_byte(void **state)
{
	static struct routes r;
	Cend__V1__Command c = CEND__V1__COMMAND__INIT;
	Cend__V1__PathUpdate u = CEND__V1__PATH_UPDATE__INIT;
	Cend__V1__PathGroup g[2], *gp[2] = { &g[0], &g[1] };
	uint8_t good[] = { 4, 8, 20 }, bad[] = { 4, 8, 21, 4, 8, 22, 4, 40 };
	struct cen_err err = { 0 };
	struct node n;

	(void)state;
	routes_make(&r);
	node_open(&n);
	cend__v1__path_group__init(&g[0]);
	cend__v1__path_group__init(&g[1]);
	g[0].attrs = &r.sets[0];
	g[0].prefixes.data = good;
	g[0].prefixes.len = sizeof(good);
	g[1].attrs = &r.sets[1];
	g[1].prefixes.data = bad;
	g[1].prefixes.len = sizeof(bad);
	u.attachment = "vbr1";
	u.peer.data = r.peer;
	u.peer.len = r.peer_len;
	u.node = 1;
	u.groups = gp;
	u.n_groups = 2;
	c.cmd_case = CEND__V1__COMMAND__CMD_PATHS;
	c.paths = &u;
	assert_int_equal(apply_command_at(&n, &c, &err), -CEN_EPARSE);
	assert_non_null(strstr(err.msg, "paths: groups[1].prefixes: byte 6"));
	assert_non_null(strstr(err.msg, "length 40"));
	g[1].attrs = NULL;
	assert_int_equal(apply_command_at(&n, &c, &err), -CEN_EINVAL);
	assert_non_null(strstr(err.msg, "groups[1]: attrs missing"));
	node_close(&n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_apply_groups_give_the_engine_and_store_that_adds_give),
		cmocka_unit_test(
			test_apply_groups_apply_after_withdraws_and_adds_in_order),
		cmocka_unit_test(
			test_apply_invalid_group_refuses_naming_group_and_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
