/*
 * test_store.c - the applied-state store (consensus/store.c): transactions
 * are all or nothing and the applied index survives a reopen; path keys
 * make an attachment's (or a peer's) paths one range without touching an
 * attachment whose ID merely starts the same; store_load rebuilds exactly
 * the engine the same commands built directly; snapshots restore into
 * another store unchanged and corrupt images are refused; the attribute
 * and prefix encodings round-trip and reject bad fields by name.
 */
#include <errno.h>
#include <lmdb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include <cmocka.h>

#include "consensus/store.h"
#include "core/model_yaml.h"
#include "proto/command.pb-c.h"

static const char topology[] =
	"cen: {id: cen-t}\n"
	"regions:\n"
	"  - id: hz\n"
	"    route_tables:\n"
	"      - {id: rt-hz, system: true}\n"
	"  - id: sh\n"
	"    route_tables:\n"
	"      - {id: rt-sh, system: true}\n"
	"physical_connections:\n"
	"  - {id: pc-1, region: hz, speed_gbps: 10}\n"
	"  - {id: pc-2, region: hz, speed_gbps: 10}\n"
	"attachments:\n"
	"  - id: vpc-a\n"
	"    type: VPC\n"
	"    region: hz\n"
	"    vswitch_cidrs: [10.1.0.0/24]\n"
	"  - id: vpc-s\n"
	"    type: VPC\n"
	"    region: sh\n"
	"    vswitch_cidrs: [10.9.0.0/24]\n"
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
	"        - {address: 127.0.0.11, asn: 65001, nodes: [1, 2]}\n"
	"        - {address: 127.0.0.12, asn: 65001, nodes: [2, 3]}\n"
	"    health_check: {change_route: true}\n"
	"  - id: vbr10\n"
	"    type: VBR\n"
	"    region: hz\n"
	"    physical_connection: pc-2\n"
	"    vlan: 102\n"
	"    bandwidth_mbps: 1000\n"
	"    local_ip: 10.10.11.1/30\n"
	"    peer_ip: 10.10.11.2\n"
	"    bgp:\n"
	"      peers:\n"
	"        - {address: 127.0.0.21, asn: 65002, nodes: [1]}\n"
	"        - {address: 127.0.0.22, asn: 65002, nodes: [3]}\n"
	"    health_check: {change_route: true}\n"
	"  - id: ccn1\n"
	"    type: CCN\n"
	"    region: sh\n"
	"    bgp:\n"
	"      peers:\n"
	"        - {address: \"2001:db8::1\", asn: 65101, nodes: [1]}\n";

/* ---- fixtures and helpers ---------------------------------------------- */

struct dir {
	char path[64];
};

/* Directories not yet removed, so that a failed test leaves none behind. */
static char made[16][64];

static void
dir_make(struct dir *d)
{
	strcpy(d->path, "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(d->path));
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++)
		if (made[i][0] == '\0') {
			strcpy(made[i], d->path);
			return;
		}
	fail_msg("too many directories");
}

static void
rm_rf(const char *path)
{
	char cmd[1100];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static void
dir_remove(struct dir *d)
{
	rm_rf(d->path);
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++)
		if (strcmp(made[i], d->path) == 0)
			made[i][0] = '\0';
}

static int
remove_leftovers(void **state)
{
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++)
		if (made[i][0] != '\0') {
			rm_rf(made[i]);
			made[i][0] = '\0';
		}
	return 0;
}

static struct store *
open_store(const struct dir *d)
{
	struct cen_err err = { 0 };
	struct store *st = NULL;

	if (store_open(d->path, 0, &st, &err) != 0)
		fail_msg("store_open: %s", err.msg);
	return st;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static struct prefix
pfx(const char *s)
{
	struct prefix p;

	assert_int_equal(prefix_parse(&p, s, true), 0);
	return p;
}

static struct prefix
addr(const char *s)
{
	struct prefix p;

	assert_int_equal(prefix_parse_addr(&p, s), 0);
	return p;
}

static void
load_topology(struct model *m)
{
	struct cen_err err = { 0 };

	model_init(m);
	if (model_yaml_parse(m, topology, strlen(topology), &err) != 0)
		fail_msg("topology: %s", err.msg);
}

/* A simple attribute set: AS path [asn], weight. */
static const struct attrs *
simple_attrs(struct attr_store *as, uint32_t asn, uint8_t weight)
{
	const struct attrs *r;
	struct attrs a;

	attr_init(&a);
	a.weight = weight;
	a.aspath = attr_aspath_seq(as, &asn, 1);
	r = attr_intern(as, &a);
	attr_aspath_unref(as, a.aspath);
	assert_non_null(r);
	return r;
}

static void
put_path(struct store_txn *t, const char *att, const struct prefix *peer,
	 uint8_t node, const struct prefix *p, const struct attrs *a)
{
	assert_int_equal(store_put_path(t, att, peer, node, p, a), 0);
}

/* Records of one database in an image (the documented format). */
struct rec {
	uint8_t db;
	const uint8_t *key, *val;
	uint32_t klen, vlen;
};

static size_t
image_records(const uint8_t *buf, size_t len, int db, struct rec *out,
	      size_t max)
{
	size_t pos = 28, end = len - 8, n = 0;

	assert_true(len >= 36);
	while (pos < end) {
		struct rec r;

		r.db = buf[pos];
		r.klen = (uint32_t)buf[pos + 1] << 24 |
			 (uint32_t)buf[pos + 2] << 16 |
			 (uint32_t)buf[pos + 3] << 8 | buf[pos + 4];
		r.key = buf + pos + 5;
		pos += 5 + r.klen;
		r.vlen = (uint32_t)buf[pos] << 24 |
			 (uint32_t)buf[pos + 1] << 16 |
			 (uint32_t)buf[pos + 2] << 8 | buf[pos + 3];
		r.val = buf + pos + 4;
		pos += 4 + r.vlen;
		assert_true(pos <= end);
		if (db >= 0 && r.db != db)
			continue;
		if (n < max)
			out[n] = r;
		n++;
	}
	return n;
}

static size_t
count_records(struct store *st, int db)
{
	uint8_t *buf;
	size_t len, n;

	assert_int_equal(store_snapshot(st, &buf, &len), 0);
	n = image_records(buf, len, db, NULL, 0);
	free(buf);
	return n;
}

enum {
	DB_META,
	DB_MODEL,
	DB_PATHS,
	DB_HEALTH,
	DB_REGIONS
};

/* Loads st into a fresh engine; returns it (caller frees). */
static struct engine *
load_engine(struct store *st)
{
	struct engine *e = engine_new();
	struct cen_err err = { 0 };

	assert_non_null(e);
	if (store_load(st, e, &err) != 0)
		fail_msg("store_load: %s", err.msg);
	return e;
}

/* The engine loaded from st is the one built directly. */
static void
assert_loads_as(struct store *st, struct engine *direct)
{
	struct engine *e = load_engine(st);
	char *want = engine_dump(direct), *got = engine_dump(e);

	assert_non_null(want);
	assert_non_null(got);
	assert_string_equal(got, want);
	assert_true(engine_hash(e) == engine_hash(direct));
	free(want);
	free(got);
	engine_free(e);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- transactions ------------------------------------------------------- */

static void
test_store_abort_leaves_nothing_and_index_persists_across_reopen(void **state)
{
	struct attr_store as;
	struct store_txn *t;
	struct store *st;
	struct dir d;
	struct prefix peer = addr("127.0.0.11");
	struct prefix p1 = pfx("192.168.1.0/24"), p2 = pfx("192.168.2.0/24");
	const struct attrs *a;

	attr_store_init(&as);
	a = simple_attrs(&as, 65001, 1);
	dir_make(&d);
	st = open_store(&d);
	assert_int_equal(store_applied_index(st), 0);
	assert_int_equal(store_applied_term(st), 0);

	assert_int_equal(store_txn_begin(st, &t), 0);
	put_path(t, "vbr1", &peer, 1, &p1, a);
	assert_int_equal(store_txn_commit(t, 5, 2), 0);
	assert_int_equal(store_applied_index(st), 5);
	assert_int_equal(store_applied_term(st), 2);

	assert_int_equal(store_txn_begin(st, &t), 0);
	put_path(t, "vbr1", &peer, 1, &p2, a);
	assert_int_equal(store_put_health(t, "vbr1", false), 0);
	assert_int_equal(store_del_paths_of(t, "vbr1", NULL), 2);
	store_txn_abort(t);
	assert_int_equal(store_applied_index(st), 5);
	assert_int_equal(count_records(st, DB_PATHS), 1);
	assert_int_equal(count_records(st, DB_HEALTH), 0);
	assert_true(store_db_size(st) > 0);
	store_close(st);

	st = open_store(&d);
	assert_int_equal(store_applied_index(st), 5);
	assert_int_equal(store_applied_term(st), 2);
	assert_int_equal(count_records(st, DB_PATHS), 1);
	store_close(st);
	dir_remove(&d);
	attr_unref(&as, a);
	attr_store_fini(&as, false);
}

static void
test_store_open_on_a_file_fails_with_eio(void **state)
{
	struct cen_err err = { 0 };
	struct store *st = (struct store *)1;
	struct dir d;
	char path[128];
	FILE *f;

	dir_make(&d);
	snprintf(path, sizeof(path), "%s/file", d.path);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(store_open(path, 0, &st, &err), -CEN_EIO);
	assert_null(st);
	assert_non_null(strstr(err.msg, path));
	dir_remove(&d);
}

/* ---- paths -------------------------------------------------------------- */

static void
test_store_put_path_with_new_node_replaces_and_del_path_removes(void **state)
{
	struct attr_store as;
	struct store_txn *t;
	struct store *st;
	struct dir d;
	struct prefix peer = addr("127.0.0.11"), none = { 0 };
	struct prefix p = pfx("192.168.1.0/24"), q = pfx("192.168.2.0/24");
	struct rec r[4];
	uint8_t *buf;
	size_t len;
	const struct attrs *a;

	attr_store_init(&as);
	a = simple_attrs(&as, 65001, 1);
	dir_make(&d);
	st = open_store(&d);
	assert_int_equal(store_txn_begin(st, &t), 0);
	put_path(t, "vbr1", &peer, 1, &p, a);
	put_path(t, "vbr1", &peer, 3, &q, a);
	put_path(t, "vbr1", &peer, 200, &p, a); /* node 1 -> 200 */
	put_path(t, "vbr1", &peer, 200, &p, a); /* same key again */
	put_path(t, "vbr1", &none, 0, &p, a);	/* no peer: another path */
	assert_int_equal(store_txn_commit(t, 1, 1), 0);

	assert_int_equal(store_snapshot(st, &buf, &len), 0);
	assert_int_equal(image_records(buf, len, DB_PATHS, r, 4), 3);
	/* key: "vbr1\0", peer (family only for none, 1 + 4 for IPv4),
	 * node, prefix (family, len, 3 bytes for a /24); none sorts first */
	assert_int_equal(r[0].klen, 5 + 1 + 1 + 2 + 3);
	assert_int_equal(r[0].key[5], 0);
	assert_int_equal(r[1].klen, 5 + 5 + 1 + 2 + 3);
	assert_int_equal(r[1].key[5], PREFIX_AF_INET);
	assert_int_equal(r[1].key[5 + 5], 3);
	assert_int_equal(r[2].key[5 + 5], 200);
	assert_int_equal(r[2].key[5 + 5 + 2], 24);
	free(buf);

	assert_int_equal(store_txn_begin(st, &t), 0);
	assert_int_equal(store_del_path(t, "vbr1", &peer, &p), 0);
	assert_int_equal(store_del_path(t, "vbr1", &peer, &p), -CEN_ENOENT);
	assert_int_equal(store_del_path(t, "vbr10", &peer, &q), -CEN_ENOENT);
	assert_int_equal(store_put_path(t, "", &peer, 1, &p, a), -CEN_EINVAL);
	assert_int_equal(store_txn_commit(t, 2, 1), 0);
	assert_int_equal(count_records(st, DB_PATHS), 2);
	store_close(st);
	dir_remove(&d);
	attr_unref(&as, a);
	attr_store_fini(&as, false);
}

static void
test_store_del_paths_of_spares_attachment_with_longer_id(void **state)
{
	struct attr_store as;
	struct store_txn *t;
	struct store *st;
	struct dir d;
	const char *atts[] = { "vbr", "vbr1", "vbr10", "vbr1a" };
	struct prefix peers[2] = { addr("127.0.0.11"), addr("127.0.0.12") };
	struct rec *r;
	uint8_t *buf;
	size_t len, n;
	const struct attrs *a;
	enum {
		PER = 1500
	}; /* per (attachment, peer): many pages */

	attr_store_init(&as);
	a = simple_attrs(&as, 65001, 1);
	dir_make(&d);
	st = open_store(&d);
	assert_int_equal(store_txn_begin(st, &t), 0);
	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < 2; j++)
			for (uint32_t k = 0; k < PER; k++) {
				struct prefix p;

				prefix_from_v4(&p, 0x0a000000u + (k << 8), 24);
				put_path(t, atts[i], &peers[j],
					 (uint8_t)(j + 1), &p, a);
			}
	assert_int_equal(store_txn_commit(t, 1, 1), 0);
	assert_int_equal(count_records(st, DB_PATHS), 4 * 2 * PER);

	assert_int_equal(store_txn_begin(st, &t), 0);
	assert_int_equal(store_del_paths_of(t, "vbr1", &peers[1]), PER);
	assert_int_equal(store_del_paths_of(t, "vbr1", &peers[1]), 0);
	assert_int_equal(store_txn_commit(t, 2, 1), 0);
	assert_int_equal(count_records(st, DB_PATHS), 4 * 2 * PER - PER);

	assert_int_equal(store_txn_begin(st, &t), 0);
	assert_int_equal(store_del_paths_of(t, "vbr1", NULL), PER);
	assert_int_equal(store_del_paths_of(t, "vb", NULL), 0);
	assert_int_equal(store_txn_commit(t, 3, 1), 0);

	/* what is left is every path of the other attachments */
	assert_int_equal(store_snapshot(st, &buf, &len), 0);
	r = calloc(4 * 2 * PER, sizeof(*r));
	assert_non_null(r);
	n = image_records(buf, len, DB_PATHS, r, 4 * 2 * PER);
	assert_int_equal(n, 3 * 2 * PER);
	for (size_t i = 0; i < n; i++)
		assert_string_not_equal((const char *)r[i].key, "vbr1");
	free(r);
	free(buf);

	assert_int_equal(store_txn_begin(st, &t), 0);
	assert_int_equal(store_del_paths_of(t, "vbr", NULL), 2 * PER);
	assert_int_equal(store_del_paths_of(t, "vbr10", &peers[0]), PER);
	assert_int_equal(store_txn_commit(t, 4, 1), 0);
	assert_int_equal(count_records(st, DB_PATHS), 3 * PER);
	store_close(st);
	dir_remove(&d);
	attr_unref(&as, a);
	attr_store_fini(&as, false);
}

/* ---- path keys ---------------------------------------------------------- */

/* Splits a path key by the layout store.h documents into att (at least
 * 64 bytes), peer, node and prefix; false if it does not follow it. */
static bool
key_split(const uint8_t *k, size_t klen, char *att, struct prefix *peer,
	  uint8_t *node, struct prefix *p)
{
	const uint8_t *nul = memchr(k, '\0', klen);
	size_t off, n;

	if (nul == NULL || nul - k >= 64)
		return false;
	off = (size_t)(nul - k) + 1;
	memcpy(att, k, off);
	memset(peer, 0, sizeof(*peer));
	memset(p, 0, sizeof(*p));
	if (off + 1 > klen)
		return false;
	peer->family = k[off++];
	n = peer->family == PREFIX_AF_INET    ? 4
	    : peer->family == PREFIX_AF_INET6 ? 16
					      : 0;
	if (peer->family != PREFIX_AF_NONE) {
		if (n == 0 || off + n > klen)
			return false;
		peer->len = (uint8_t)(n * 8);
		memcpy(peer->addr.bytes, k + off, n);
		off += n;
	}
	if (off + 3 > klen)
		return false;
	*node = k[off];
	p->family = k[off + 1];
	p->len = k[off + 2];
	off += 3;
	if (p->len > prefix_maxlen(p->family) || prefix_maxlen(p->family) == 0)
		return false;
	n = ((size_t)p->len + 7) / 8;
	if (off + n != klen)
		return false;
	memcpy(p->addr.bytes, k + off, n);
	return true;
}

/* A path key as "att|peer|node|prefix", or NULL if it does not follow the
 * layout.  The caller frees it. */
static char *
key_string(const uint8_t *k, size_t klen)
{
	struct prefix peer, p;
	char att[64], pb[PREFIX_STRLEN] = "-", xb[PREFIX_STRLEN], *s;
	uint8_t node;

	if (!key_split(k, klen, att, &peer, &node, &p))
		return NULL;
	if (peer.family != PREFIX_AF_NONE)
		prefix_fmt_addr(&peer, pb, sizeof(pb));
	s = malloc(strlen(att) + 2 * PREFIX_STRLEN + 16);
	assert_non_null(s);
	sprintf(s, "%s|%s|%u|%s", att, pb, node,
		prefix_fmt(&p, xb, sizeof(xb)));
	return s;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The paths the model of the test expects. */
struct want_path {
	const char *att;
	struct prefix peer, prefix;
	uint8_t node;
	bool alive;
};

/* Fails unless st holds exactly the live paths of w, each key in the
 * documented layout. */
static void
expect_paths(struct store *st, const struct want_path *w, size_t nw,
	     const char *when)
{
	uint8_t *buf;
	size_t len, n, nwant = 0;
	struct rec *r;
	char **got, **want;

	assert_int_equal(store_snapshot(st, &buf, &len), 0);
	n = image_records(buf, len, DB_PATHS, NULL, 0);
	r = calloc(n + 1, sizeof(*r));
	got = calloc(n + 1, sizeof(*got));
	want = calloc(nw + 1, sizeof(*want));
	assert_true(r != NULL && got != NULL && want != NULL);
	image_records(buf, len, DB_PATHS, r, n);
	for (size_t i = 0; i < n; i++) {
		got[i] = key_string(r[i].key, r[i].klen);
		if (got[i] == NULL)
			fail_msg("%s: key %zu of %u bytes is malformed", when,
				 i, r[i].klen);
	}
	for (size_t i = 0; i < nw; i++) {
		char pb[PREFIX_STRLEN] = "-", xb[PREFIX_STRLEN];

		if (!w[i].alive)
			continue;
		if (w[i].peer.family != PREFIX_AF_NONE)
			prefix_fmt_addr(&w[i].peer, pb, sizeof(pb));
		want[nwant] = malloc(strlen(w[i].att) + 2 * PREFIX_STRLEN + 16);
		assert_non_null(want[nwant]);
		sprintf(want[nwant++], "%s|%s|%u|%s", w[i].att, pb, w[i].node,
			prefix_fmt(&w[i].prefix, xb, sizeof(xb)));
	}
	qsort(want, nwant, sizeof(*want), str_cmp);
	qsort(got, n, sizeof(*got), str_cmp);
	for (size_t i = 0; i < n || i < nwant; i++) {
		const char *g = i < n ? got[i] : "(none)";
		const char *x = i < nwant ? want[i] : "(none)";

		if (strcmp(g, x) != 0)
			fail_msg("%s: path %zu: store has %s, expected %s "
				 "(%zu paths, expected %zu)",
				 when, i, g, x, n, nwant);
	}
	for (size_t i = 0; i < n; i++)
		free(got[i]);
	for (size_t i = 0; i < nwant; i++)
		free(want[i]);
	free(got);
	free(want);
	free(r);
	free(buf);
}

static bool
same_peer(const struct prefix *a, const struct prefix *b)
{
	return a->family == b->family &&
	       (a->family == PREFIX_AF_NONE ||
		memcmp(a->addr.bytes, b->addr.bytes, 16) == 0);
}

static void
test_store_path_keys_keep_families_peers_and_attachments_apart(void **state)
{
	static const char *atts[] = { "vbr-1", "vbr-10", "vbr-1a", "vbr" };
	static const char *peer_s[] = { "10.0.0.1", "10.0.0.2", "2001:db8::1",
					"2001:db8::2", NULL };
	static const char *pfx_s[] = {
		"0.0.0.0/0",
		"10.0.0.0/8",
		"10.1.2.128/25",
		"192.0.2.1/32",
		"255.255.255.255/32",
		"::/0",
		"2001:db8::/32",
		"2001:db8:0:0:8000::/65",
		"2001:db8::1/128",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
	};
	enum {
		NA = 4,
		NP = 5,
		NX = 10
	};
	struct want_path w[NA * NP * NX];
	struct attr_store as;
	struct store_txn *t;
	struct store *st;
	struct dir d;
	const struct attrs *a;
	size_t nw = 0;
	int expect;

	attr_store_init(&as);
	a = simple_attrs(&as, 65001, 1);
	dir_make(&d);
	st = open_store(&d);
	/* every prefix under node 1 or 2 (by prefix), for every peer */
	assert_int_equal(store_txn_begin(st, &t), 0);
	for (size_t i = 0; i < NA; i++)
		for (size_t j = 0; j < NP; j++)
			for (size_t k = 0; k < NX; k++) {
				struct want_path *x = &w[nw++];

				x->att = atts[i];
				memset(&x->peer, 0, sizeof(x->peer));
				if (peer_s[j] != NULL)
					x->peer = addr(peer_s[j]);
				x->prefix = pfx(pfx_s[k]);
				x->node = (uint8_t)(1 + k % 2);
				x->alive = true;
				put_path(t, x->att, &x->peer, x->node,
					 &x->prefix, a);
			}
	assert_int_equal(store_txn_commit(t, 1, 1), 0);
	expect_paths(st, w, nw, "after the puts");

	/* a store reopened reads the same keys */
	store_close(st);
	st = open_store(&d);
	expect_paths(st, w, nw, "after a reopen");

	/* a new node replaces the path of another node, whatever the
	 * lengths of the keys around it */
	assert_int_equal(store_txn_begin(st, &t), 0);
	for (size_t i = 0; i < nw; i++) {
		if (i % 3 != 0)
			continue;
		w[i].node = (uint8_t)(w[i].node == 1 ? 7 : 1);
		put_path(t, w[i].att, &w[i].peer, w[i].node, &w[i].prefix, a);
	}
	assert_int_equal(store_txn_commit(t, 2, 1), 0);
	expect_paths(st, w, nw, "after replacing nodes");

	/* single deletes: "vbr-1"'s /0 and /128 paths of its IPv6 peer */
	assert_int_equal(store_txn_begin(st, &t), 0);
	for (size_t i = 0; i < nw; i++) {
		if (strcmp(w[i].att, "vbr-1") != 0 ||
		    w[i].peer.family != PREFIX_AF_INET6 ||
		    (w[i].prefix.len != 0 && w[i].prefix.len != 128))
			continue;
		assert_int_equal(
			store_del_path(t, w[i].att, &w[i].peer, &w[i].prefix),
			0);
		assert_int_equal(
			store_del_path(t, w[i].att, &w[i].peer, &w[i].prefix),
			-CEN_ENOENT);
		w[i].alive = false;
	}
	assert_int_equal(store_txn_commit(t, 3, 1), 0);
	expect_paths(st, w, nw, "after single deletes");

	/* the paths of one peer and one node: "vbr-10", 10.0.0.1, node 1 */
	{
		struct prefix peer = addr("10.0.0.1");

		expect = 0;
		for (size_t i = 0; i < nw; i++)
			if (w[i].alive && strcmp(w[i].att, "vbr-10") == 0 &&
			    same_peer(&w[i].peer, &peer) && w[i].node == 1) {
				w[i].alive = false;
				expect++;
			}
		assert_true(expect > 0);
		assert_int_equal(store_txn_begin(st, &t), 0);
		assert_int_equal(store_del_paths_of_node(t, "vbr-10", &peer, 1),
				 expect);
		assert_int_equal(store_txn_commit(t, 4, 1), 0);
		expect_paths(st, w, nw, "after deleting a peer's node");
	}

	/* every path of one peer: "vbr-1", 2001:db8::2 */
	{
		struct prefix peer = addr("2001:db8::2");

		expect = 0;
		for (size_t i = 0; i < nw; i++)
			if (w[i].alive && strcmp(w[i].att, "vbr-1") == 0 &&
			    same_peer(&w[i].peer, &peer)) {
				w[i].alive = false;
				expect++;
			}
		assert_int_equal(expect, NX - 4); /* less the single ones */
		assert_int_equal(store_txn_begin(st, &t), 0);
		assert_int_equal(store_del_paths_of(t, "vbr-1", &peer), expect);
		assert_int_equal(store_del_paths_of(t, "vbr-1", &peer), 0);
		assert_int_equal(store_txn_commit(t, 5, 1), 0);
		expect_paths(st, w, nw, "after deleting a peer");
	}

	/* every path of an attachment: "vbr-1", whose ID starts others */
	expect = 0;
	for (size_t i = 0; i < nw; i++)
		if (w[i].alive && strcmp(w[i].att, "vbr-1") == 0) {
			w[i].alive = false;
			expect++;
		}
	assert_int_equal(store_txn_begin(st, &t), 0);
	assert_int_equal(store_del_paths_of(t, "vbr-1", NULL), expect);
	assert_int_equal(store_del_paths_of(t, "vbr-", NULL), 0);
	assert_int_equal(store_txn_commit(t, 6, 1), 0);
	expect_paths(st, w, nw, "after deleting an attachment");

	store_close(st);
	dir_remove(&d);
	attr_unref(&as, a);
	attr_store_fini(&as, false);
}

/* Paths of both families under IPv4 and IPv6 peers load back into the
 * engine they were built into directly, /0 to /32 and /128. */
static void
test_store_path_keys_round_trip_both_families_through_load(void **state)
{
	static const char *atts[] = { "vbr1", "vbr10", "ccn1" };
	static const char *peer_s[] = { "127.0.0.11", "127.0.0.21",
					"2001:db8::1" };
	static const char *pfx_s[] = {
		"0.0.0.0/0",	      "10.0.0.0/8",
		"10.1.2.128/25",      "10.1.2.3/32",
		"255.255.255.255/32", "::/0",
		"2001:db8::/32",      "2001:db8:0:0:8000::/65",
		"2001:db8::1/128",
	};
	struct engine *direct;
	struct cen_err err = { 0 };
	struct store_txn *t;
	const struct attrs *a;
	struct store *st;
	struct model m;
	struct dir d;

	load_topology(&m);
	direct = engine_new();
	assert_int_equal(engine_apply(direct, &m, &err), 0);
	a = simple_attrs(engine_attrs(direct), 65001, 1);
	dir_make(&d);
	st = open_store(&d);
	assert_int_equal(store_txn_begin(st, &t), 0);
	assert_int_equal(store_put_model(t, &m), 0);
	for (size_t i = 0; i < 3; i++)
		for (size_t k = 0; k < sizeof(pfx_s) / sizeof(pfx_s[0]); k++) {
			struct engine_path_in in = { .attachment = atts[i] };

			in.peer = addr(peer_s[i]);
			in.node = (uint8_t)(1 + k % 3);
			in.prefix = pfx(pfx_s[k]);
			in.attrs = a;
			if (engine_path_add(direct, &in, &err) != 0)
				fail_msg("engine_path_add: %s", err.msg);
			put_path(t, in.attachment, &in.peer, in.node,
				 &in.prefix, a);
		}
	assert_int_equal(store_txn_commit(t, 1, 1), 0);
	engine_drain(direct);
	assert_loads_as(st, direct);
	attr_unref(engine_attrs(direct), a);
	engine_free(direct);
	model_free(&m);
	store_close(st);
	dir_remove(&d);
}

/* ---- model and health --------------------------------------------------- */

static void
test_store_model_round_trips_through_load(void **state)
{
	struct store_txn *t;
	struct store *st;
	struct engine *e;
	struct model m;
	struct dir d;
	char *want, *got;

	load_topology(&m);
	dir_make(&d);
	st = open_store(&d);
	assert_int_equal(store_txn_begin(st, &t), 0);
	assert_int_equal(store_put_model(t, &m), 0);
	assert_int_equal(store_txn_commit(t, 1, 1), 0);
	e = load_engine(st);
	want = model_yaml_emit(&m);
	got = model_yaml_emit(engine_model(e));
	assert_non_null(want);
	assert_non_null(got);
	assert_string_equal(got, want);
	assert_true(engine_model(e)->nattachments == m.nattachments);
	free(want);
	free(got);
	engine_free(e);
	model_free(&m);
	store_close(st);
	dir_remove(&d);
}

static void
test_store_health_down_is_kept_and_up_removes_it(void **state)
{
	struct engine *direct, *e;
	struct cen_err err = { 0 };
	struct store_txn *t;
	struct store *st;
	struct model m;
	struct dir d;
	struct prefix peer = addr("127.0.0.11");
	struct engine_path_in in = { .attachment = "vbr1", .node = 1 };

	load_topology(&m);
	direct = engine_new();
	assert_int_equal(engine_apply(direct, &m, &err), 0);
	in.peer = peer;
	in.prefix = pfx("192.168.0.0/16");
	in.attrs = simple_attrs(engine_attrs(direct), 65001, 1);
	assert_int_equal(engine_path_add(direct, &in, &err), 0);
	assert_int_equal(engine_set_health(direct, "vbr1", false, &err), 0);
	engine_drain(direct);

	dir_make(&d);
	st = open_store(&d);
	assert_int_equal(store_txn_begin(st, &t), 0);
	assert_int_equal(store_put_model(t, &m), 0);
	put_path(t, "vbr1", &peer, 1, &in.prefix, in.attrs);
	assert_int_equal(store_put_health(t, "vbr1", false), 0);
	assert_int_equal(store_put_health(t, "vbr10", true), 0);
	assert_int_equal(store_txn_commit(t, 1, 1), 0);
	assert_int_equal(count_records(st, DB_HEALTH), 1);
	e = load_engine(st);
	assert_true(engine_hash(e) == engine_hash(direct));
	engine_free(e);

	/* up again: the key goes, and the load matches an up engine */
	assert_int_equal(store_txn_begin(st, &t), 0);
	assert_int_equal(store_put_health(t, "vbr1", true), 0);
	assert_int_equal(store_txn_commit(t, 2, 1), 0);
	assert_int_equal(count_records(st, DB_HEALTH), 0);
	e = load_engine(st);
	assert_true(engine_hash(e) != engine_hash(direct));
	assert_int_equal(engine_set_health(direct, "vbr1", true, &err), 0);
	engine_drain(direct);
	assert_true(engine_hash(e) == engine_hash(direct));
	engine_free(e);

	attr_unref(engine_attrs(direct), in.attrs);
	engine_free(direct);
	model_free(&m);
	store_close(st);
	dir_remove(&d);
}

/* A region marked unreachable (RegionState) is kept, through a load and a
 * snapshot restored elsewhere; marked reachable, its key goes. */
static void
test_store_region_unreachable_is_kept_and_reachable_removes_it(void **state)
{
	struct engine *direct, *e;
	struct cen_err err = { 0 };
	struct store_txn *t;
	struct store *st, *st2;
	struct model m;
	struct dir d, d2;
	uint8_t *img;
	size_t len;

	load_topology(&m);
	direct = engine_new();
	assert_int_equal(engine_apply(direct, &m, &err), 0);
	assert_int_equal(engine_set_region_reachable(direct, "sh", false, &err),
			 0);
	engine_drain(direct);

	dir_make(&d);
	st = open_store(&d);
	assert_int_equal(store_txn_begin(st, &t), 0);
	assert_int_equal(store_put_model(t, &m), 0);
	assert_int_equal(store_put_region_state(t, "sh", false), 0);
	assert_int_equal(store_put_region_state(t, "hz", true), 0);
	assert_int_equal(store_put_region_state(t, "", false), -CEN_EINVAL);
	assert_int_equal(store_txn_commit(t, 1, 1), 0);
	assert_int_equal(count_records(st, DB_REGIONS), 1);
	e = load_engine(st);
	assert_false(engine_region_reachable(e, "sh"));
	assert_true(engine_region_reachable(e, "hz"));
	assert_true(engine_hash(e) == engine_hash(direct));
	engine_free(e);

	/* a snapshot carries it */
	dir_make(&d2);
	st2 = open_store(&d2);
	assert_int_equal(store_snapshot(st, &img, &len), 0);
	assert_int_equal(store_restore(st2, img, len, &err), 0);
	free(img);
	e = load_engine(st2);
	assert_false(engine_region_reachable(e, "sh"));
	engine_free(e);
	store_close(st2);
	dir_remove(&d2);

	/* reachable again: the key goes */
	assert_int_equal(store_txn_begin(st, &t), 0);
	assert_int_equal(store_put_region_state(t, "sh", true), 0);
	assert_int_equal(store_txn_commit(t, 2, 1), 0);
	assert_int_equal(count_records(st, DB_REGIONS), 0);
	e = load_engine(st);
	assert_true(engine_region_reachable(e, "sh"));
	assert_int_equal(engine_set_region_reachable(direct, "sh", true, &err),
			 0);
	engine_drain(direct);
	assert_true(engine_hash(e) == engine_hash(direct));
	engine_free(e);

	engine_free(direct);
	model_free(&m);
	store_close(st);
	dir_remove(&d);
}

/* ---- load --------------------------------------------------------------- */

/* Attribute variants for the mirrored build. */
static const struct attrs *
variant_attrs(struct attr_store *as, unsigned v)
{
	uint32_t asns[3] = { 65001, 65100 + v, 65200 };
	uint32_t comms[2] = { 65000u << 16 | v, 65000u << 16 | 7 };
	const struct attrs *r;
	struct attrs a;

	attr_init(&a);
	a.pref = (uint8_t)(40 + 10 * (v % 3));
	a.weight = (uint8_t)(1 + v % 4);
	a.origin = (uint8_t)(v % 3);
	if (v & 1) {
		a.flags |= ATTR_F_MED;
		a.med = v * 10;
	}
	a.aspath = attr_aspath_seq(as, asns, 1 + v % 3);
	if (v & 2)
		a.comms = attr_comms_intern(as, comms, 2);
	if (v & 4)
		a.nexthop = addr("10.10.10.2");
	r = attr_intern(as, &a);
	attr_aspath_unref(as, a.aspath);
	attr_comms_unref(as, a.comms);
	assert_non_null(r);
	return r;
}

static void
test_store_load_rebuilds_the_engine_built_directly(void **state)
{
	static const char *atts[] = { "vbr1", "vbr10", "ccn1" };
	static const char *peer_s[3][2] = { { "127.0.0.11", "127.0.0.12" },
					    { "127.0.0.21", "127.0.0.22" },
					    { "2001:db8::1", "2001:db8::1" } };
	struct engine *direct;
	struct cen_err err = { 0 };
	struct store_txn *t = NULL;
	const struct attrs *va[8];
	struct store *st;
	struct model m;
	struct dir d;

	load_topology(&m);
	direct = engine_new();
	assert_int_equal(engine_apply(direct, &m, &err), 0);
	for (unsigned v = 0; v < 8; v++)
		va[v] = variant_attrs(engine_attrs(direct), v);
	dir_make(&d);
	st = open_store(&d);
	assert_int_equal(store_txn_begin(st, &t), 0);
	assert_int_equal(store_put_model(t, &m), 0);

	for (int i = 0; i < 4000; i++) {
		unsigned ai = (unsigned)(rng() % 3), pi = (unsigned)(rng() % 2);
		struct engine_path_in in = { .attachment = atts[ai] };
		unsigned k = (unsigned)(rng() % 400),
			 op = (unsigned)(rng() % 10);

		in.peer = addr(peer_s[ai][pi]);
		in.node = (uint8_t)(1 + rng() % 3);
		if (ai == 2) {
			uint8_t b[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x10 };

			b[5] = (uint8_t)k;
			prefix_from_v6(&in.prefix, b, 48);
		} else {
			prefix_from_v4(&in.prefix, 0xac100000u + (k << 8), 24);
		}
		if (op == 0) {
			int rc1 = engine_path_del(direct, in.attachment,
						  &in.peer, &in.prefix, NULL);
			int rc2 = store_del_path(t, in.attachment, &in.peer,
						 &in.prefix);

			assert_int_equal(rc1, rc2);
			continue;
		}
		in.attrs = va[rng() % 8];
		assert_int_equal(engine_path_add(direct, &in, &err), 0);
		put_path(t, in.attachment, &in.peer, in.node, &in.prefix,
			 in.attrs);
		if (i % 500 == 499) {
			assert_int_equal(store_txn_commit(t, (uint64_t)i, 3),
					 0);
			assert_int_equal(store_txn_begin(st, &t), 0);
		}
		if (i == 2000) {
			/* a peer flush, then the peer sends more */
			struct prefix p = addr("127.0.0.12");

			assert_int_equal(
				engine_peer_flush(direct, "vbr1", &p, &err), 0);
			assert_true(store_del_paths_of(t, "vbr1", &p) > 0);
			engine_drain(direct);
		}
	}
	assert_int_equal(engine_set_health(direct, "vbr10", false, &err), 0);
	assert_int_equal(store_put_health(t, "vbr10", false), 0);
	/* paths of an attachment the model does not have are skipped */
	{
		struct prefix p = pfx("10.99.0.0/16"), peer = addr("1.1.1.1");

		put_path(t, "vbr-gone", &peer, 1, &p, va[0]);
		assert_int_equal(store_put_health(t, "vbr-gone", false), 0);
		put_path(t, "vpc-a", &peer, 1, &p, va[0]);
	}
	assert_int_equal(store_txn_commit(t, 9999, 3), 0);
	engine_drain(direct);

	assert_loads_as(st, direct);

	for (unsigned v = 0; v < 8; v++)
		attr_unref(engine_attrs(direct), va[v]);
	engine_free(direct);
	model_free(&m);
	store_close(st);
	dir_remove(&d);
}

/* A store with the topology and n paths over 64 attribute sets. */
static void
fill_store(struct store *st, size_t n)
{
	static const char *atts[] = { "vbr1", "vbr10" };
	struct attr_store as;
	const struct attrs *va[64];
	struct store_txn *t;
	struct model m;

	attr_store_init(&as);
	for (unsigned v = 0; v < 64; v++)
		va[v] = simple_attrs(&as, 65001 + v, (uint8_t)(1 + v % 8));
	load_topology(&m);
	assert_int_equal(store_txn_begin(st, &t), 0);
	assert_int_equal(store_put_model(t, &m), 0);
	for (size_t i = 0; i < n; i++) {
		struct prefix peer, p;

		peer = addr(i & 1 ? "127.0.0.11" : "127.0.0.21");
		prefix_from_v4(&p, 0x40000000u + (uint32_t)(i << 8), 24);
		put_path(t, atts[i & 1], &peer, 1, &p, va[(i >> 1) % 64]);
	}
	assert_int_equal(store_txn_commit(t, n, 1), 0);
	model_free(&m);
	for (unsigned v = 0; v < 64; v++)
		attr_unref(&as, va[v]);
	attr_store_fini(&as, false);
}

static void
test_store_load_200k_paths_timing(void **state)
{
	struct engine_stats stats;
	struct store *st;
	struct engine *e;
	struct dir d;
	double t0, t1;

	dir_make(&d);
	st = open_store(&d);
	fill_store(st, 200000);
	t0 = now_s();
	e = load_engine(st);
	t1 = now_s();
	engine_get_stats(e, &stats);
	print_message("store_load of 200000 paths: %.3f s (%zu path objects, "
		      "%zu attribute sets, db %llu bytes)\n",
		      t1 - t0, stats.paths, stats.attr_sets,
		      (unsigned long long)store_db_size(st));
	assert_true(stats.paths >= 200000);
	assert_true(stats.attr_sets >= 64);
	engine_free(e);
	store_close(st);
	dir_remove(&d);
}

/* ---- snapshots ---------------------------------------------------------- */

static void
test_store_snapshot_restores_into_another_store_with_same_load_hash(
	void **state)
{
	struct store *a, *b;
	struct engine *ea, *eb;
	struct cen_err err = { 0 };
	struct dir da, db;
	uint8_t *img, *img2;
	size_t len, len2;

	dir_make(&da);
	dir_make(&db);
	a = open_store(&da);
	b = open_store(&db);
	fill_store(a, 5000);
	fill_store(b, 300); /* replaced whole */
	{
		struct store_txn *t;

		assert_int_equal(store_txn_begin(a, &t), 0);
		assert_int_equal(store_put_health(t, "vbr1", false), 0);
		assert_int_equal(store_txn_commit(t, 7777, 4), 0);
	}
	assert_int_equal(store_snapshot(a, &img, &len), 0);
	assert_int_equal(store_image_index(img, len), 7777);
	assert_int_equal(store_restore(b, img, len, &err), 0);
	assert_int_equal(store_applied_index(b), 7777);
	assert_int_equal(store_applied_term(b), 4);

	ea = load_engine(a);
	eb = load_engine(b);
	assert_true(engine_hash(ea) == engine_hash(eb));
	/* the restored store images the same, and survives a reopen */
	assert_int_equal(store_snapshot(b, &img2, &len2), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(img2, img, len);
	free(img2);
	store_close(b);
	b = open_store(&db);
	assert_int_equal(store_applied_index(b), 7777);
	assert_int_equal(count_records(b, DB_PATHS), 5000);

	engine_free(ea);
	engine_free(eb);
	free(img);
	store_close(a);
	store_close(b);
	dir_remove(&da);
	dir_remove(&db);
}

/* Recomputes an edited image's trailing hash (big-endian XXH3). */
static void
rehash(uint8_t *buf, size_t len)
{
	uint64_t h = XXH3_64bits(buf, len - 8);

	for (int i = 0; i < 8; i++)
		buf[len - 8 + i] = (uint8_t)(h >> (56 - 8 * i));
}

static void
expect_rejected(struct store *target, const uint8_t *before, size_t blen,
		const uint8_t *img, size_t len, const char *what)
{
	struct cen_err err = { 0 };
	uint8_t *after;
	size_t alen;

	if (store_restore(target, img, len, &err) != -CEN_EPARSE)
		fail_msg("%s: not rejected with -CEN_EPARSE", what);
	if (strstr(err.msg, "snapshot") == NULL)
		fail_msg("%s: message \"%s\" names no snapshot", what, err.msg);
	assert_int_equal(store_image_index(img, len), 0);
	assert_int_equal(store_snapshot(target, &after, &alen), 0);
	if (alen != blen || memcmp(after, before, blen) != 0)
		fail_msg("%s: target store changed", what);
	free(after);
}

static void
test_store_restore_rejects_corrupt_images_leaving_store_unchanged(void **state)
{
	struct store *src, *dst;
	struct dir ds, dd;
	uint8_t *img, *before, *bad;
	size_t len, blen;
	size_t cuts[] = { 0, 7, 12, 27, 28, 35, 36, 100 };
	char what[64];

	dir_make(&ds);
	dir_make(&dd);
	src = open_store(&ds);
	dst = open_store(&dd);
	fill_store(src, 1000);
	fill_store(dst, 10);
	assert_int_equal(store_snapshot(src, &img, &len), 0);
	assert_int_equal(store_snapshot(dst, &before, &blen), 0);
	bad = malloc(len);
	assert_non_null(bad);

	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		snprintf(what, sizeof(what), "truncated to %zu", cuts[i]);
		expect_rejected(dst, before, blen, img, cuts[i], what);
	}
	expect_rejected(dst, before, blen, img, len / 2, "truncated to half");
	expect_rejected(dst, before, blen, img, len - 1, "one byte short");
	expect_rejected(dst, before, blen, NULL, 0, "no image");

	for (size_t pos = 0; pos < len; pos += len / 7) {
		memcpy(bad, img, len);
		bad[pos] ^= 0x20;
		snprintf(what, sizeof(what), "byte %zu flipped", pos);
		expect_rejected(dst, before, blen, bad, len, what);
	}
	memcpy(bad, img, len);
	bad[len - 1] ^= 1;
	expect_rejected(dst, before, blen, bad, len, "hash flipped");

	memcpy(bad, img, len);
	memcpy(bad, "CENDSNAQ", 8);
	rehash(bad, len);
	expect_rejected(dst, before, blen, bad, len, "bad magic");

	memcpy(bad, img, len);
	bad[11] = 3;
	rehash(bad, len);
	expect_rejected(dst, before, blen, bad, len, "version 3");

	/* valid hash, but the first record's key runs past the end */
	memcpy(bad, img, len);
	bad[29] = 0x7f;
	rehash(bad, len);
	expect_rejected(dst, before, blen, bad, len, "key length past end");

	/* valid hash, but a database id out of range */
	memcpy(bad, img, len);
	bad[28] = 9;
	rehash(bad, len);
	expect_rejected(dst, before, blen, bad, len, "database 9");

	/* valid hash and bounds, but two paths swapped: out of order.  The
	 * last two records are paths of the same size. */
	{
		struct rec r[2000];
		size_t n = image_records(img, len, DB_PATHS, r, 2000);
		size_t rl = 1 + 4 + r[n - 1].klen + 4 + r[n - 1].vlen;
		size_t off1 = (size_t)(r[n - 2].key - 5 - img);
		size_t off2 = (size_t)(r[n - 1].key - 5 - img);

		assert_int_equal(n, 1000);
		assert_int_equal(off2 - off1, rl);
		memcpy(bad, img, len);
		memcpy(bad + off1, img + off2, rl);
		memcpy(bad + off2, img + off1, rl);
		rehash(bad, len);
		expect_rejected(dst, before, blen, bad, len, "out of order");
	}

	free(bad);
	free(img);
	free(before);
	store_close(src);
	store_close(dst);
	dir_remove(&ds);
	dir_remove(&dd);
}

/* ---- format 1 ----------------------------------------------------------- */

/* A format-1 path key: attachment, NUL, peer family + 16 address bytes,
 * node, prefix family + len + 16 address bytes. */
static size_t
v1_key(uint8_t *key, const char *att, const struct prefix *peer, uint8_t node,
       const struct prefix *p)
{
	size_t alen = strlen(att);

	memset(key, 0, alen + 37);
	memcpy(key, att, alen + 1);
	if (peer->family != PREFIX_AF_NONE) {
		key[alen + 1] = peer->family;
		memcpy(key + alen + 2, peer->addr.bytes, 16);
	}
	key[alen + 18] = node;
	key[alen + 19] = p->family;
	key[alen + 20] = p->len;
	memcpy(key + alen + 21, p->addr.bytes, 16);
	return alen + 37;
}

static void
mdb_ok(int rc, const char *what)
{
	if (rc != 0)
		fail_msg("%s: %s", what, mdb_strerror(rc));
}

static void
raw_put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen, const void *v,
	size_t vlen)
{
	MDB_val key = { klen, (void *)k }, val = { vlen, (void *)v };

	mdb_ok(mdb_put(txn, dbi, &key, &val, 0), "mdb_put");
}

/* Opens dir/state with LMDB directly: the named databases of the store. */
static MDB_env *
raw_open(const struct dir *d, MDB_txn **txn, MDB_dbi dbi[5])
{
	static const char *names[] = { "meta", "model", "paths", "health",
				       "regions" };
	char path[128];
	MDB_env *env;

	snprintf(path, sizeof(path), "%s/state", d->path);
	assert_int_equal(mkdir(path, 0755) == 0 || errno == EEXIST, 1);
	mdb_ok(mdb_env_create(&env), "mdb_env_create");
	mdb_ok(mdb_env_set_maxdbs(env, 8), "mdb_env_set_maxdbs");
	mdb_ok(mdb_env_set_mapsize(env, (size_t)1 << 30), "mapsize");
	mdb_ok(mdb_env_open(env, path, 0, 0644), "mdb_env_open");
	mdb_ok(mdb_txn_begin(env, NULL, 0, txn), "mdb_txn_begin");
	for (int i = 0; i < 5; i++)
		mdb_ok(mdb_dbi_open(*txn, names[i], MDB_CREATE, &dbi[i]),
		       "mdb_dbi_open");
	return env;
}

/* The value of meta "format" in an image, or -1 if it has none. */
static long
image_format(const uint8_t *buf, size_t len)
{
	struct rec r[8];
	size_t n = image_records(buf, len, DB_META, r, 8);

	for (size_t i = 0; i < n && i < 8; i++)
		if (r[i].klen == 6 && memcmp(r[i].key, "format", 6) == 0) {
			assert_int_equal(r[i].vlen, 4);
			return (long)((uint32_t)r[i].val[0] << 24 |
				      (uint32_t)r[i].val[1] << 16 |
				      (uint32_t)r[i].val[2] << 8 | r[i].val[3]);
		}
	return -1;
}

static void
test_store_open_converts_a_format_1_store_in_place(void **state)
{
	static const char *atts[] = { "vbr1", "vbr10", "ccn1" };
	static const char *peer_s[] = { "127.0.0.11", "127.0.0.21",
					"2001:db8::1" };
	static const char *pfx_s[] = {
		"0.0.0.0/0",	   "10.0.0.0/8",    "10.1.2.128/25",
		"10.1.2.3/32",	   "2001:db8::/32", "2001:db8:0:0:8000::/65",
		"2001:db8::1/128", "::/0",
	};
	enum {
		NX = sizeof(pfx_s) / sizeof(pfx_s[0]),
		MANY = 3000 /* /24s of vbr1: many pages */
	};
	struct want_path *w;
	struct engine *direct;
	struct cen_err err = { 0 };
	const struct attrs *a;
	struct store *st;
	struct model m;
	struct dir d;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi[5];
	uint8_t key[128], num[8], *val, *img, *img2;
	size_t vlen, len, len2, nw = 0;
	char *yaml;

	w = calloc(3 * NX + MANY + 1, sizeof(*w));
	assert_non_null(w);
	load_topology(&m);
	direct = engine_new();
	assert_int_equal(engine_apply(direct, &m, &err), 0);
	a = simple_attrs(engine_attrs(direct), 65001, 1);
	assert_int_equal(store_attrs_pack(a, &val, &vlen), 0);
	for (size_t i = 0; i < 3; i++)
		for (size_t k = 0; k < NX; k++) {
			w[nw].att = atts[i];
			w[nw].peer = addr(peer_s[i]);
			w[nw].prefix = pfx(pfx_s[k]);
			w[nw].node = (uint8_t)(1 + k % 3);
			w[nw++].alive = true;
		}
	for (uint32_t k = 0; k < MANY; k++) {
		w[nw].att = "vbr1";
		w[nw].peer = addr("127.0.0.12");
		prefix_from_v4(&w[nw].prefix, 0x0b000000u + (k << 8), 24);
		w[nw].node = 2;
		w[nw++].alive = true;
	}
	for (size_t i = 0; i < nw; i++) {
		struct engine_path_in in = { .attachment = w[i].att };

		in.peer = w[i].peer;
		in.node = w[i].node;
		in.prefix = w[i].prefix;
		in.attrs = a;
		if (engine_path_add(direct, &in, &err) != 0)
			fail_msg("engine_path_add: %s", err.msg);
	}
	engine_drain(direct);
	/* a peerless path, not loaded (no such path in the engine) but kept */
	w[nw].att = "vbr-gone";
	w[nw].prefix = pfx("10.9.0.0/16");
	w[nw].node = 1;
	w[nw++].alive = true;

	/* the store as a build of format 1 left it */
	dir_make(&d);
	env = raw_open(&d, &txn, dbi);
	memset(num, 0, sizeof(num));
	num[7] = 42;
	raw_put(txn, dbi[DB_META], "applied_index", 13, num, 8);
	num[7] = 3;
	raw_put(txn, dbi[DB_META], "applied_term", 12, num, 8);
	yaml = model_yaml_emit(&m);
	assert_non_null(yaml);
	raw_put(txn, dbi[DB_MODEL], "yaml", 4, yaml, strlen(yaml));
	free(yaml);
	for (size_t i = 0; i < nw; i++)
		raw_put(txn, dbi[DB_PATHS], key,
			v1_key(key, w[i].att, &w[i].peer, w[i].node,
			       &w[i].prefix),
			val, vlen);
	mdb_ok(mdb_txn_commit(txn), "mdb_txn_commit");
	mdb_env_close(env);

	st = open_store(&d);
	assert_int_equal(store_applied_index(st), 42);
	assert_int_equal(store_applied_term(st), 3);
	expect_paths(st, w, nw, "after the conversion");
	assert_loads_as(st, direct);
	assert_int_equal(store_snapshot(st, &img, &len), 0);
	assert_int_equal(image_format(img, len), 2);

	/* converted once: a reopen finds the same store */
	store_close(st);
	st = open_store(&d);
	assert_int_equal(store_snapshot(st, &img2, &len2), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(img2, img, len);
	free(img2);
	free(img);
	store_close(st);

	/* the format-1 database is gone */
	{
		char path[128];
		MDB_dbi old;

		snprintf(path, sizeof(path), "%s/state", d.path);
		mdb_ok(mdb_env_create(&env), "mdb_env_create");
		mdb_ok(mdb_env_set_maxdbs(env, 8), "mdb_env_set_maxdbs");
		mdb_ok(mdb_env_open(env, path, MDB_RDONLY, 0644),
		       "mdb_env_open");
		mdb_ok(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn),
		       "mdb_txn_begin");
		assert_int_equal(mdb_dbi_open(txn, "paths", 0, &old),
				 MDB_NOTFOUND);
		mdb_txn_abort(txn);
		mdb_env_close(env);
	}

	/* a format this build does not know is refused */
	env = raw_open(&d, &txn, dbi);
	memset(num, 0, sizeof(num));
	num[3] = 3;
	raw_put(txn, dbi[DB_META], "format", 6, num, 4);
	mdb_ok(mdb_txn_commit(txn), "mdb_txn_commit");
	mdb_env_close(env);
	st = NULL;
	assert_int_equal(store_open(d.path, 0, &st, &err), -CEN_EIO);
	assert_null(st);
	assert_non_null(strstr(err.msg, "format 3"));

	dir_remove(&d);
	free(val);
	free(w);
	attr_unref(engine_attrs(direct), a);
	engine_free(direct);
	model_free(&m);
}

/* A version-1 image (format-1 path keys, no "format" in meta) restores
 * into the store its version-2 twin gives. */
static void
test_store_restore_converts_a_version_1_image(void **state)
{
	struct store *a, *b;
	struct cen_err err = { 0 };
	struct dir da, db;
	uint8_t *img, *img2, *old;
	size_t len, len2, olen = 28, pos = 28;

	dir_make(&da);
	dir_make(&db);
	a = open_store(&da);
	b = open_store(&db);
	fill_store(a, 3000);
	{
		struct prefix peer = addr("2001:db8::1"), none = { 0 };
		struct prefix p = pfx("2001:db8:1::/48"), q = pfx("0.0.0.0/0");
		struct attr_store as;
		const struct attrs *x;
		struct store_txn *t;

		attr_store_init(&as);
		x = simple_attrs(&as, 65009, 2);
		assert_int_equal(store_txn_begin(a, &t), 0);
		put_path(t, "ccn1", &peer, 4, &p, x);
		put_path(t, "ccn1", &peer, 4, &q, x);
		put_path(t, "vbr1", &none, 0, &p, x);
		assert_int_equal(store_txn_commit(t, 5000, 2), 0);
		attr_unref(&as, x);
		attr_store_fini(&as, false);
	}
	assert_int_equal(store_snapshot(a, &img, &len), 0);

	/* the same image as version 1 wrote it */
	old = malloc(2 * len);
	assert_non_null(old);
	memcpy(old, img, 28);
	old[11] = 1;
	while (pos < len - 8) {
		uint8_t rdb = img[pos], k1[128];
		const uint8_t *k = img + pos + 5, *v;
		uint32_t klen = (uint32_t)img[pos + 1] << 24 |
				(uint32_t)img[pos + 2] << 16 |
				(uint32_t)img[pos + 3] << 8 | img[pos + 4];
		uint32_t vlen;

		v = k + klen + 4;
		vlen = (uint32_t)k[klen] << 24 | (uint32_t)k[klen + 1] << 16 |
		       (uint32_t)k[klen + 2] << 8 | k[klen + 3];
		pos += 5 + klen + 4 + vlen;
		if (rdb == DB_META && klen == 6 && memcmp(k, "format", 6) == 0)
			continue;
		if (rdb == DB_PATHS) {
			char att[64];
			struct prefix peer, p;
			uint8_t node;

			assert_true(key_split(k, klen, att, &peer, &node, &p));
			klen = (uint32_t)v1_key(k1, att, &peer, node, &p);
			k = k1;
		}
		old[olen] = rdb;
		old[olen + 1] = (uint8_t)(klen >> 24);
		old[olen + 2] = (uint8_t)(klen >> 16);
		old[olen + 3] = (uint8_t)(klen >> 8);
		old[olen + 4] = (uint8_t)klen;
		memcpy(old + olen + 5, k, klen);
		olen += 5 + klen;
		memcpy(old + olen, v - 4, 4 + vlen);
		olen += 4 + vlen;
	}
	olen += 8;
	rehash(old, olen);
	assert_true(olen > len); /* format-1 keys are longer */

	assert_int_equal(store_image_index(old, olen), 5000);
	if (store_restore(b, old, olen, &err) != 0)
		fail_msg("store_restore: %s", err.msg);
	assert_int_equal(store_snapshot(b, &img2, &len2), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(img2, img, len);
	free(img2);
	store_close(b);
	b = open_store(&db);
	assert_int_equal(count_records(b, DB_PATHS), 3003);

	free(old);
	free(img);
	store_close(a);
	store_close(b);
	dir_remove(&da);
	dir_remove(&db);
}

/* ---- attributes and prefixes -------------------------------------------- */

static void
test_store_attrs_round_trip_every_field(void **state)
{
	struct attr_store as;
	struct cen_err err = { 0 };
	uint32_t words[] = { ATTR_SEG_SEQUENCE, 2, 65001, 65002,
			     ATTR_SEG_SET,	2, 65003, 65004 };
	uint32_t comms[] = { 65000u << 16 | 300, 65000u << 16 | 1 };
	uint32_t clusters[] = { 0x0a000001, 0x0a000001, 0x01020304 };
	struct attr_lcomm lc[] = { { 65000, 1, 2 }, { 4200000000u, 3, 4 } };
	uint8_t opaque[] = { 0xc0, 0x63, 0x02, 0xab, 0xcd };
	const struct attrs *in[3], *out;
	struct attrs a;
	uint8_t *buf;
	size_t len;

	attr_store_init(&as);
	attr_init(&a);
	a.origin = ATTR_ORIGIN_INCOMPLETE;
	a.pref = 77;
	a.weight = 255;
	a.flags = ATTR_F_MED | ATTR_F_LOCALPREF | ATTR_F_ATOMIC |
		  ATTR_F_AGGREGATOR | ATTR_F_ORIGINATOR;
	a.med = 12345;
	a.localpref = 200;
	a.aggregator_as = 65010;
	a.aggregator_id = 0x0a0a0a0a;
	a.originator_id = 0x0b0b0b0b;
	a.nexthop = addr("2001:db8::99");
	a.aspath = attr_aspath_intern(&as, words, 8);
	a.comms = attr_comms_intern(&as, comms, 2);
	a.clusters = attr_clusters_intern(&as, clusters, 3);
	a.lcomms = attr_lcomms_intern(&as, lc, 2);
	a.opaque = attr_opaque_intern(&as, opaque, sizeof(opaque));
	in[0] = attr_intern(&as, &a);
	attr_aspath_unref(&as, a.aspath);
	attr_comms_unref(&as, a.comms);
	attr_comms_unref(&as, a.clusters);
	attr_lcomms_unref(&as, a.lcomms);
	attr_opaque_unref(&as, a.opaque);
	attr_init(&a);
	in[1] = attr_intern(&as, &a); /* every default */
	a.nexthop = addr("10.0.0.1");
	a.flags = ATTR_F_AGGREGATOR;
	a.aggregator_as = 65020;
	in[2] = attr_intern(&as, &a);

	for (int i = 0; i < 3; i++) {
		assert_int_equal(store_attrs_pack(in[i], &buf, &len), 0);
		if (store_attrs_unpack(&as, buf, len, &out, &err) != 0)
			fail_msg("unpack %d: %s", i, err.msg);
		/* interned in the same store: the very same set */
		assert_ptr_equal(out, in[i]);
		attr_unref(&as, out);
		free(buf);
	}
	/* the default set packs to nothing: preference and weight at their
	 * defaults are left out (a stored path is 4 bytes shorter) */
	assert_int_equal(store_attrs_pack(in[1], &buf, &len), 0);
	assert_int_equal(len, 0);
	free(buf);
	for (int i = 0; i < 3; i++)
		attr_unref(&as, in[i]);
	attr_store_fini(&as, false);
}

static int
unpack_msg(struct attr_store *as, const Cend__V1__PathAttrs *m,
	   const struct attrs **out, struct cen_err *err)
{
	uint8_t buf[256];
	size_t len = cend__v1__path_attrs__pack(m, buf);

	return store_attrs_unpack(as, buf, len, out, err);
}

static void
expect_attrs_reject(struct attr_store *as, const Cend__V1__PathAttrs *m,
		    int code, const char *field)
{
	struct cen_err err = { 0 };
	const struct attrs *out = (const struct attrs *)1;

	assert_int_equal(unpack_msg(as, m, &out, &err), code);
	assert_null(out);
	if (strstr(err.msg, field) == NULL)
		fail_msg("message \"%s\" does not name %s", err.msg, field);
}

static void
test_store_attrs_unpack_rejects_bad_fields_by_name(void **state)
{
	struct attr_store as;
	struct cen_err err = { 0 };
	Cend__V1__PathAttrs m;
	uint32_t bad1[] = { 2, 3, 65001, 65002 }, bad2[] = { 5, 1, 65001 };
	uint32_t bad3[] = { 2, 0 }, lc[4] = { 1, 2, 3, 4 };
	uint8_t nh5[5] = { 10, 0, 0, 1, 0 }, junk[] = { 0xff, 0xff, 0xff };
	const struct attrs *out;

	attr_store_init(&as);
	cend__v1__path_attrs__init(&m);
	m.preference = 101;
	expect_attrs_reject(&as, &m, -CEN_ERANGE, "preference");
	cend__v1__path_attrs__init(&m);
	m.weight = 256;
	expect_attrs_reject(&as, &m, -CEN_ERANGE, "weight");
	cend__v1__path_attrs__init(&m);
	m.origin = 3;
	expect_attrs_reject(&as, &m, -CEN_ERANGE, "origin");
	cend__v1__path_attrs__init(&m);
	m.as_path = bad1;
	m.n_as_path = 4; /* count 3, two ASNs */
	expect_attrs_reject(&as, &m, -CEN_EPARSE, "as_path");
	m.as_path = bad2;
	m.n_as_path = 3; /* type 5 */
	expect_attrs_reject(&as, &m, -CEN_EPARSE, "as_path");
	m.as_path = bad3;
	m.n_as_path = 2; /* count 0 */
	expect_attrs_reject(&as, &m, -CEN_EPARSE, "as_path");
	cend__v1__path_attrs__init(&m);
	m.next_hop.data = nh5;
	m.next_hop.len = 5;
	expect_attrs_reject(&as, &m, -CEN_EPARSE, "next_hop");
	cend__v1__path_attrs__init(&m);
	m.large_communities = lc;
	m.n_large_communities = 4;
	expect_attrs_reject(&as, &m, -CEN_EPARSE, "large_communities");
	out = (const struct attrs *)1;
	assert_int_equal(
		store_attrs_unpack(&as, junk, sizeof(junk), &out, &err),
		-CEN_EPARSE);
	assert_null(out);

	/* 0 means the default: preference 50, weight 1 */
	cend__v1__path_attrs__init(&m);
	assert_int_equal(unpack_msg(&as, &m, &out, &err), 0);
	assert_int_equal(out->pref, ATTR_PREF_DEFAULT);
	assert_int_equal(out->weight, 1);
	assert_int_equal(out->nexthop.family, PREFIX_AF_NONE);
	attr_unref(&as, out);
	m.preference = 100;
	m.weight = 255;
	assert_int_equal(unpack_msg(&as, &m, &out, &err), 0);
	assert_int_equal(out->pref, 100);
	assert_int_equal(out->weight, 255);
	attr_unref(&as, out);
	assert_int_equal(attr_store_count(&as), 0);
	attr_store_fini(&as, false);
}

static void
test_store_prefix_pack_round_trips_and_unpack_rejects(void **state)
{
	struct cen_err err = { 0 };
	const char *good[] = { "10.0.0.0/8", "0.0.0.0/0", "192.0.2.1/32",
			       "2001:db8::/32", "::/0" };
	uint8_t b[18];
	struct prefix p, q;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		size_t n;

		p = pfx(good[i]);
		n = store_prefix_pack(&p, b);
		assert_int_equal(n, p.family == PREFIX_AF_INET ? 6 : 18);
		assert_int_equal(store_prefix_unpack(b, n, &q, &err), 0);
		assert_true(prefix_equal(&p, &q));
	}
	memset(&p, 0, sizeof(p));
	assert_int_equal(store_prefix_pack(&p, b), 0);

	p = pfx("10.0.0.0/8");
	store_prefix_pack(&p, b);
	b[0] = 5;
	assert_int_equal(store_prefix_unpack(b, 6, &q, &err), -CEN_EPARSE);
	assert_non_null(strstr(err.msg, "family"));
	b[0] = 4;
	assert_int_equal(store_prefix_unpack(b, 5, &q, &err), -CEN_EPARSE);
	assert_int_equal(store_prefix_unpack(b, 18, &q, &err), -CEN_EPARSE);
	assert_int_equal(store_prefix_unpack(b, 1, &q, &err), -CEN_EPARSE);
	b[1] = 33;
	assert_int_equal(store_prefix_unpack(b, 6, &q, &err), -CEN_EPARSE);
	assert_non_null(strstr(err.msg, "length"));
	b[1] = 6; /* 10.0.0.0/6 has host bit 6 set */
	assert_int_equal(store_prefix_unpack(b, 6, &q, &err), -CEN_EPARSE);
	assert_non_null(strstr(err.msg, "host bits"));
	p = pfx("2001:db8::/32");
	store_prefix_pack(&p, b);
	assert_int_equal(store_prefix_unpack(b, 6, &q, &err), -CEN_EPARSE);
	b[1] = 129;
	assert_int_equal(store_prefix_unpack(b, 18, &q, &err), -CEN_EPARSE);
}

/* Reads a packed list to the end: the prefixes read, or -1 on an error. */
static int
read_list(const uint8_t *b, size_t len, struct prefix *out, size_t max,
	  struct cen_err *err)
{
	struct store_prefix_iter it;
	size_t n = 0;
	int rc;

	store_prefix_iter_init(&it, b, len, 7);
	while ((rc = store_prefix_iter_next(&it, &out[n], err)) > 0)
		if (++n == max)
			break;
	return rc < 0 ? -1 : (int)n;
}

static void
test_store_prefix_list_round_trips_and_errors_name_group_and_offset(
	void **state)
{
	struct cen_err err = { 0 };
	const char *good[] = {
		"10.0.0.0/8",	   "0.0.0.0/0",	   "192.0.2.1/32",
		"172.16.0.0/12",   "::/0",	   "2001:db8::/32",
		"2001:db8::1/128", "10.1.2.128/25"
	};
	struct prefix in[8], out[9];
	uint8_t b[8 * 18], bad[8];
	size_t len = 0;

	(void)state;
	for (size_t i = 0; i < 8; i++) {
		in[i] = pfx(good[i]);
		len += store_prefix_pack_short(&in[i], b + len);
	}
	/* 10.0.0.0/8 is 3 bytes, 0.0.0.0/0 two, 192.0.2.1/32 six */
	assert_int_equal(b[0], 4);
	assert_int_equal(b[1], 8);
	assert_int_equal(b[2], 10);
	assert_int_equal(b[3], 4);
	assert_int_equal(b[4], 0);
	assert_int_equal(b[5], 4);
	assert_int_equal(read_list(b, len, out, 9, &err), 8);
	for (size_t i = 0; i < 8; i++)
		assert_true(prefix_equal(&in[i], &out[i]));
	assert_int_equal(read_list(NULL, 0, out, 9, &err), 0);

	/* the second prefix (byte 3) of group 7 is bad in each way */
	memcpy(bad, (uint8_t[]){ 4, 8, 10, 5, 0 }, 5);
	assert_int_equal(read_list(bad, 5, out, 9, &err), -1);
	assert_non_null(strstr(err.msg, "groups[7]"));
	assert_non_null(strstr(err.msg, "byte 3"));
	assert_non_null(strstr(err.msg, "family 5"));
	memcpy(bad, (uint8_t[]){ 4, 8, 10, 4, 33, 0, 0, 0 }, 8);
	assert_int_equal(read_list(bad, 8, out, 9, &err), -1);
	assert_non_null(strstr(err.msg, "byte 3"));
	assert_non_null(strstr(err.msg, "length 33"));
	memcpy(bad, (uint8_t[]){ 4, 8, 10, 6, 129 }, 5);
	assert_int_equal(read_list(bad, 5, out, 9, &err), -1);
	assert_non_null(strstr(err.msg, "length 129"));
	memcpy(bad, (uint8_t[]){ 4, 8, 10, 4, 24, 192, 0 }, 7);
	assert_int_equal(read_list(bad, 7, out, 9, &err), -1);
	assert_non_null(strstr(err.msg, "byte 3"));
	assert_non_null(strstr(err.msg, "3 address bytes, 2 left"));
	memcpy(bad, (uint8_t[]){ 4, 8, 10, 4 }, 4);
	assert_int_equal(read_list(bad, 4, out, 9, &err), -1);
	assert_non_null(strstr(err.msg, "cut short"));
	memcpy(bad, (uint8_t[]){ 4, 8, 10, 4, 7, 3 }, 6);
	assert_int_equal(read_list(bad, 6, out, 9, &err), -1);
	assert_non_null(strstr(err.msg, "byte 3"));
	assert_non_null(strstr(err.msg, "host bits set past /7"));
	/* a first prefix with host bits: byte 0 */
	memcpy(bad, (uint8_t[]){ 4, 1, 0xc0 }, 3);
	assert_int_equal(read_list(bad, 3, out, 9, &err), -1);
	assert_non_null(strstr(err.msg, "byte 0"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_store_abort_leaves_nothing_and_index_persists_across_reopen),
		cmocka_unit_test(test_store_open_on_a_file_fails_with_eio),
		cmocka_unit_test(
			test_store_put_path_with_new_node_replaces_and_del_path_removes),
		cmocka_unit_test(
			test_store_del_paths_of_spares_attachment_with_longer_id),
		cmocka_unit_test(
			test_store_path_keys_keep_families_peers_and_attachments_apart),
		cmocka_unit_test(
			test_store_path_keys_round_trip_both_families_through_load),
		cmocka_unit_test(test_store_model_round_trips_through_load),
		cmocka_unit_test(
			test_store_region_unreachable_is_kept_and_reachable_removes_it),
		cmocka_unit_test(
			test_store_health_down_is_kept_and_up_removes_it),
		cmocka_unit_test(
			test_store_load_rebuilds_the_engine_built_directly),
		cmocka_unit_test(
			test_store_snapshot_restores_into_another_store_with_same_load_hash),
		cmocka_unit_test(
			test_store_restore_rejects_corrupt_images_leaving_store_unchanged),
		cmocka_unit_test(
			test_store_open_converts_a_format_1_store_in_place),
		cmocka_unit_test(test_store_restore_converts_a_version_1_image),
		cmocka_unit_test(test_store_attrs_round_trip_every_field),
		cmocka_unit_test(
			test_store_attrs_unpack_rejects_bad_fields_by_name),
		cmocka_unit_test(
			test_store_prefix_pack_round_trips_and_unpack_rejects),
		cmocka_unit_test(
			test_store_prefix_list_round_trips_and_errors_name_group_and_offset),
		cmocka_unit_test(test_store_load_200k_paths_timing),
	};

	return cmocka_run_group_tests(tests, NULL, remove_leftovers);
}
