/*
 * store.c - the applied state of a cend node in LMDB (store.h, DESIGN.md
 * "consensus/"): one environment under DIR/state with the named databases
 * meta, model, paths, health and regions, written in one write transaction per
 * applied Raft entry together with that entry's index and term.
 *
 * Path keys put the attachment ID (with its NUL) and the peer first, so
 * that every path of an attachment, or of one of its peers, is one key
 * range; the owning node comes before the prefix, so replacing a path whose
 * node changed looks up the few distinct nodes of the (attachment, peer)
 * range instead of scanning it.  Keys are as short as the addresses allow
 * (store.h): a family byte comes before every address and fixes how many
 * bytes follow, and a prefix's length comes before its ceil(len/8) address
 * bytes, so two keys never differ only in where a field ends, and keys sort
 * as the fixed-size keys of format 1 did (attachment, peer, node, prefix
 * family, length, address).
 *
 * Formats ("format" in meta, u32): 1 (absent) kept paths in the database
 * "paths" with every address in 16 bytes; 2 keeps the compact keys in
 * "paths2".  store_open moves the paths of a format-1 store over in one
 * write transaction; a restore converts the keys of a version-1 image.
 *
 * Snapshot image (every integer big-endian):
 *   "CENDSNAP", version u32, applied_index u64, applied_term u64,
 *   records { db u8, key_len u32, key, val_len u32, val } in (db, key)
 *   order, then XXH3_64bits of everything before it as u64.
 * Version 2 holds format-2 path keys, version 1 format-1 ones.  A restore
 * checks the whole image before it touches the store.
 *
 * Errors from LMDB become -CEN_EIO with mdb_strerror's text, in err where
 * the call has one and always in store_errmsg.
 */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "consensus/store.h"
#include "core/model_yaml.h"
#include "proto/command.pb-c.h"

enum {
	DB_META,
	DB_MODEL,
	DB_PATHS,
	DB_HEALTH,
	DB_REGIONS,
	DB_COUNT,
};

/* paths2: the keys of format 2 (store.h); format 1 had "paths" */
static const char *const db_names[DB_COUNT] = { "meta", "model", "paths2",
						"health", "regions" };

#define MAP_SIZE_DEFAULT ((size_t)64 << 30)

#define KEY_INDEX	"applied_index"
#define KEY_TERM	"applied_term"
#define KEY_FORMAT	"format"
#define FORMAT		2
#define V1_PATHS	"paths"
#define KEY_MODEL	"yaml"
#define VAL_DOWN	"down"
#define VAL_UNREACHABLE "unreachable"
#define ATT_MAX		(MODEL_ID_MAX - 1)
#define ADDR_BYTES	16
/* attachment, NUL, peer family + 0, 4 or 16 address bytes: the key range of
 * an (attachment, peer) */
#define HEAD_MAX (ATT_MAX + 1 + 1 + ADDR_BYTES)
/* then node, prefix family, length, 0..16 address bytes */
#define KEY_MAX (HEAD_MAX + 1 + 2 + ADDR_BYTES)
/* format 1: attachment, NUL, peer family + 16 bytes, node, prefix family +
 * len + 16 bytes */
#define V1_PEER_OFF(alen) ((alen) + 1)
#define V1_NODE_OFF(alen) ((alen) + 1 + 1 + ADDR_BYTES)
#define V1_PFX_OFF(alen)  (V1_NODE_OFF(alen) + 1)
#define V1_KEY_LEN(alen)  (V1_PFX_OFF(alen) + 2 + ADDR_BYTES)

#define IMG_MAGIC	"CENDSNAP"
#define IMG_VERSION	2 /* 1: format-1 path keys */
#define IMG_HEADER	(8 + 4 + 8 + 8)
#define IMG_TRAILER	8
#define IMG_KEY_MAX	511 /* LMDB's default maximum key size */
#define ATTRS_SCRATCH	512
#define LOAD_CACHE_SIZE 16384 /* slots of the attribute cache; power of 2 */
#define HEADS_SIZE	256   /* slots of the node-set cache; power of 2 */

/*
 * The nodes that may have paths under one (attachment, peer) key range: a
 * bit per node, a superset of the truth (set by every put, never cleared by
 * a delete).  When it holds no node but the one being written, a put needs
 * no search for that prefix under other nodes: the common case, where one
 * node learns an attachment's paths.  A direct-mapped cache: a slot lost
 * to another range is recomputed when needed; everything is forgotten when
 * a transaction is aborted (it may have deleted what comes back) and on a
 * restore.
 */
struct head_nodes {
	uint8_t key[HEAD_MAX];
	size_t len; /* 0: slot unused */
	uint64_t bits[4];
};

struct store {
	MDB_env *env;
	MDB_dbi dbi[DB_COUNT];
	uint64_t applied_index, applied_term;
	char errmsg[256];
	struct head_nodes heads[HEADS_SIZE];
	struct head_nodes *last_head; /* heads_get's last answer */
};

struct store_txn {
	struct store *st;
	MDB_txn *txn;
	MDB_cursor *paths; /* see paths_cursor */
	size_t changes;	   /* paths written or deleted (store_txn_changes) */
};

/* ---- helpers ------------------------------------------------------------ */

static void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

static uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

/* Records an LMDB failure; returns -CEN_EIO. */
static int
mdb_fail(struct store *st, struct cen_err *err, int rc, const char *what)
{
	if (st != NULL)
		snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", what,
			 mdb_strerror(rc));
	return cen_errf(err, -CEN_EIO, "store: %s: %s", what, mdb_strerror(rc));
}

static int
mkdir_p(char *path)
{
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int
read_u64(struct store *st, MDB_txn *txn, const char *name, uint64_t *v,
	 struct cen_err *err)
{
	MDB_val k = { strlen(name), (void *)name }, d;
	int rc = mdb_get(txn, st->dbi[DB_META], &k, &d);

	*v = 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return mdb_fail(st, err, rc, "reading meta");
	if (d.mv_size != 8) {
		snprintf(st->errmsg, sizeof(st->errmsg),
			 "meta %s has %zu bytes, expected 8", name, d.mv_size);
		return cen_errf(err, -CEN_EIO, "store: %s", st->errmsg);
	}
	*v = get_u64(d.mv_data);
	return 0;
}

static int
write_u64(struct store *st, MDB_txn *txn, const char *name, uint64_t v)
{
	uint8_t b[8];
	MDB_val k = { strlen(name), (void *)name }, d = { 8, b };
	int rc;

	put_u64(b, v);
	rc = mdb_put(txn, st->dbi[DB_META], &k, &d, 0);
	return rc != 0 ? mdb_fail(st, NULL, rc, "writing meta") : 0;
}

/* ---- open and close ----------------------------------------------------- */

static int key_from_v1(const MDB_val *k, uint8_t out[KEY_MAX]);

/*
 * Moves the paths of a format-1 store (database "paths") into the paths
 * database of this format, within txn, and deletes the old database.  The
 * new keys sort as the old ones did, so they are appended (which fills
 * pages whole); two old keys that differ only in host bits past a prefix's
 * length become one path.
 */
static int
paths_from_v1(struct store *st, MDB_txn *txn, struct cen_err *err)
{
	uint8_t key[KEY_MAX];
	MDB_dbi old, paths = st->dbi[DB_PATHS];
	MDB_cursor *c;
	MDB_val k, d;
	int rc, klen = 0;

	rc = mdb_dbi_open(txn, V1_PATHS, 0, &old);
	if (rc == MDB_NOTFOUND)
		return 0; /* no paths were ever written */
	if (rc == 0)
		rc = mdb_cursor_open(txn, old, &c);
	if (rc != 0)
		return mdb_fail(st, err, rc, "converting the paths");
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		klen = key_from_v1(&k, key);
		if (klen < 0)
			break;
		k.mv_size = (size_t)klen;
		k.mv_data = key;
		rc = mdb_put(txn, paths, &k, &d, MDB_APPEND);
		if (rc == MDB_KEYEXIST)
			rc = mdb_put(txn, paths, &k, &d, 0);
		if (rc != 0)
			break;
	}
	mdb_cursor_close(c);
	if (klen < 0)
		return cen_errf(err, -CEN_EIO,
				"store: paths: malformed format-1 key of %zu "
				"bytes",
				k.mv_size);
	if (rc == MDB_NOTFOUND)
		rc = mdb_drop(txn, old, 1);
	return rc != 0 ? mdb_fail(st, err, rc, "converting the paths") : 0;
}

/* Checks the store's format, converting a format-1 store (written before
 * "format" was recorded); a new store gets this format. */
static int
format_check(struct store *st, MDB_txn *txn, struct cen_err *err)
{
	MDB_val k = { strlen(KEY_FORMAT), KEY_FORMAT }, d;
	uint8_t b[4];
	uint32_t format = 1;
	int rc = mdb_get(txn, st->dbi[DB_META], &k, &d);

	if (rc != 0 && rc != MDB_NOTFOUND)
		return mdb_fail(st, err, rc, "reading meta");
	if (rc == 0) {
		if (d.mv_size != 4)
			return cen_errf(err, -CEN_EIO,
					"store: meta format has %zu bytes, "
					"expected 4",
					d.mv_size);
		format = get_u32(d.mv_data);
		if (format == FORMAT)
			return 0;
		if (format != 1)
			return cen_errf(err, -CEN_EIO,
					"store: format %u, this build reads "
					"1 and %u (a newer cend wrote it)",
					format, FORMAT);
	}
	rc = paths_from_v1(st, txn, err);
	if (rc != 0)
		return rc;
	put_u32(b, FORMAT);
	d.mv_size = 4;
	d.mv_data = b;
	rc = mdb_put(txn, st->dbi[DB_META], &k, &d, 0);
	return rc != 0 ? mdb_fail(st, err, rc, "writing meta") : 0;
}

int
store_open(const char *dir, size_t map_size, struct store **out,
	   struct cen_err *err)
{
	struct store *st;
	MDB_txn *txn = NULL;
	char *path;
	int rc;

	*out = NULL;
	if (dir == NULL || *dir == '\0')
		return cen_errf(err, -CEN_EINVAL, "store: no directory given");
	path = malloc(strlen(dir) + sizeof("/state"));
	if (path == NULL)
		return cen_errf(err, -CEN_ENOMEM, "out of memory");
	sprintf(path, "%s/state", dir);
	rc = mkdir_p(path);
	if (rc < 0) {
		cen_errf(err, -CEN_EIO, "store: %s: %s", path, strerror(-rc));
		free(path);
		return -CEN_EIO;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		free(path);
		return cen_errf(err, -CEN_ENOMEM, "out of memory");
	}
	rc = mdb_env_create(&st->env);
	if (rc != 0) {
		st->env = NULL;
		goto fail;
	}
	rc = mdb_env_set_mapsize(st->env,
				 map_size ? map_size : MAP_SIZE_DEFAULT);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(st->env,
					8); /* DB_COUNT and a scratch one */
	/* MDB_NOTLS: snapshots read from a thread pool. */
	if (rc == 0)
		rc = mdb_env_open(st->env, path, MDB_NOMETASYNC | MDB_NOTLS,
				  0644);
	if (rc == 0)
		rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	for (int i = 0; rc == 0 && i < DB_COUNT; i++)
		rc = mdb_dbi_open(txn, db_names[i], MDB_CREATE, &st->dbi[i]);
	if (rc != 0)
		goto fail;
	if (read_u64(st, txn, KEY_INDEX, &st->applied_index, err) < 0 ||
	    read_u64(st, txn, KEY_TERM, &st->applied_term, err) < 0 ||
	    format_check(st, txn, err) < 0) {
		mdb_txn_abort(txn);
		cen_err_prefix(err, "%s: ", path);
		mdb_env_close(st->env);
		free(st);
		free(path);
		return -CEN_EIO;
	}
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0)
		goto fail;
	free(path);
	*out = st;
	return 0;
fail:
	cen_errf(err, -CEN_EIO, "store: %s: %s", path, mdb_strerror(rc));
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (st->env != NULL)
		mdb_env_close(st->env);
	free(st);
	free(path);
	return -CEN_EIO;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	mdb_env_close(st->env);
	free(st);
}

const char *
store_errmsg(const struct store *st)
{
	return st->errmsg;
}

uint64_t
store_applied_index(struct store *st)
{
	return st->applied_index;
}

uint64_t
store_applied_term(struct store *st)
{
	return st->applied_term;
}

uint64_t
store_db_size(struct store *st)
{
	MDB_envinfo info;
	MDB_stat stat;

	if (mdb_env_info(st->env, &info) != 0 ||
	    mdb_env_stat(st->env, &stat) != 0)
		return 0;
	return ((uint64_t)info.me_last_pgno + 1) * stat.ms_psize;
}

/* ---- write transactions ------------------------------------------------- */

static void
heads_forget(struct store *st)
{
	for (size_t i = 0; i < HEADS_SIZE; i++)
		st->heads[i].len = 0;
}

int
store_txn_begin(struct store *st, struct store_txn **out)
{
	struct store_txn *t;
	int rc;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -CEN_ENOMEM;
	rc = mdb_txn_begin(st->env, NULL, 0, &t->txn);
	if (rc != 0) {
		free(t);
		return mdb_fail(st, NULL, rc, "beginning a transaction");
	}
	t->st = st;
	*out = t;
	return 0;
}

size_t
store_txn_changes(const struct store_txn *t)
{
	return t->changes;
}

int
store_txn_commit(struct store_txn *t, uint64_t applied_index,
		 uint64_t applied_term)
{
	struct store *st = t->st;
	int rc;

	rc = write_u64(st, t->txn, KEY_INDEX, applied_index);
	if (rc == 0)
		rc = write_u64(st, t->txn, KEY_TERM, applied_term);
	if (rc != 0) {
		mdb_txn_abort(t->txn);
		heads_forget(st);
		free(t);
		return rc;
	}
	rc = mdb_txn_commit(t->txn); /* frees the txn either way */
	free(t);
	if (rc != 0) {
		heads_forget(st);
		return mdb_fail(st, NULL, rc, "committing");
	}
	st->applied_index = applied_index;
	st->applied_term = applied_term;
	return 0;
}

void
store_txn_abort(struct store_txn *t)
{
	if (t == NULL)
		return;
	mdb_txn_abort(t->txn);
	heads_forget(t->st);
	free(t);
}

int
store_put_model(struct store_txn *t, const struct model *m)
{
	char *yaml = model_yaml_emit(m);
	MDB_val k = { strlen(KEY_MODEL), KEY_MODEL }, d;
	int rc;

	if (yaml == NULL)
		return -CEN_ENOMEM;
	d.mv_size = strlen(yaml);
	d.mv_data = yaml;
	rc = mdb_put(t->txn, t->st->dbi[DB_MODEL], &k, &d, 0);
	free(yaml);
	return rc != 0 ? mdb_fail(t->st, NULL, rc, "writing the model") : 0;
}

int
store_put_health(struct store_txn *t, const char *attachment, bool up)
{
	MDB_val k, d = { strlen(VAL_DOWN), VAL_DOWN };
	size_t alen = attachment != NULL ? strlen(attachment) : 0;
	int rc;

	if (alen == 0 || alen > ATT_MAX)
		return -CEN_EINVAL;
	k.mv_size = alen;
	k.mv_data = (void *)attachment;
	if (up) {
		rc = mdb_del(t->txn, t->st->dbi[DB_HEALTH], &k, NULL);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	} else {
		rc = mdb_put(t->txn, t->st->dbi[DB_HEALTH], &k, &d, 0);
	}
	return rc != 0 ? mdb_fail(t->st, NULL, rc, "writing health") : 0;
}

int
store_put_region_state(struct store_txn *t, const char *region, bool reachable)
{
	MDB_val k, d = { strlen(VAL_UNREACHABLE), VAL_UNREACHABLE };
	size_t len = region != NULL ? strlen(region) : 0;
	int rc;

	if (len == 0 || len > ATT_MAX)
		return -CEN_EINVAL;
	k.mv_size = len;
	k.mv_data = (void *)region;
	if (reachable) {
		rc = mdb_del(t->txn, t->st->dbi[DB_REGIONS], &k, NULL);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	} else {
		rc = mdb_put(t->txn, t->st->dbi[DB_REGIONS], &k, &d, 0);
	}
	return rc != 0 ? mdb_fail(t->st, NULL, rc, "writing a region's state")
		       : 0;
}

/* ---- path keys ---------------------------------------------------------- */

static bool
addr_ok(const struct prefix *p)
{
	return (p->family == PREFIX_AF_INET && p->len == 32) ||
	       (p->family == PREFIX_AF_INET6 && p->len == 128);
}

static bool
prefix_ok(const struct prefix *p)
{
	return (p->family == PREFIX_AF_INET || p->family == PREFIX_AF_INET6) &&
	       p->len <= prefix_maxlen(p->family);
}

/* Address bytes a key holds after a family byte: 4, 16, 0 for NONE or a
 * byte that is no family. */
static size_t
family_bytes(uint8_t family)
{
	switch (family) {
	case PREFIX_AF_INET:
		return 4;
	case PREFIX_AF_INET6:
		return ADDR_BYTES;
	default:
		return 0;
	}
}

/* Writes attachment, NUL and peer (family, then its address bytes; only
 * the family byte for none) into key; returns the length written or a
 * negative error. */
static int
key_head(uint8_t *key, const char *attachment, const struct prefix *peer)
{
	size_t alen = attachment != NULL ? strlen(attachment) : 0;
	size_t n;

	if (alen == 0 || alen > ATT_MAX)
		return -CEN_EINVAL;
	memcpy(key, attachment, alen + 1);
	if (peer == NULL || peer->family == PREFIX_AF_NONE) {
		key[alen + 1] = PREFIX_AF_NONE;
		return (int)(alen + 2);
	}
	if (!addr_ok(peer))
		return -CEN_EINVAL;
	n = family_bytes(peer->family);
	key[alen + 1] = peer->family;
	memcpy(key + alen + 2, peer->addr.bytes, n);
	return (int)(alen + 2 + n);
}

/* The whole key, its head's length in *head; returns the key's length or a
 * negative error.  Bits past the prefix length are cleared. */
static int
key_path(uint8_t *key, const char *attachment, const struct prefix *peer,
	 uint8_t node, const struct prefix *prefix, size_t *head)
{
	int h = key_head(key, attachment, peer);
	size_t n;

	if (h < 0)
		return h;
	if (!prefix_ok(prefix))
		return -CEN_EINVAL;
	n = ((size_t)prefix->len + 7) / 8;
	key[h] = node;
	key[h + 1] = prefix->family;
	key[h + 2] = prefix->len;
	memcpy(key + h + 3, prefix->addr.bytes, n);
	if (prefix->len % 8 != 0)
		key[h + 2 + n] &= (uint8_t)(0xff << (8 - prefix->len % 8));
	*head = (size_t)h;
	return h + 3 + (int)n;
}

/* Splits a stored key; false if it is malformed. */
static bool
key_parse(const MDB_val *k, char *attachment, struct prefix *peer,
	  uint8_t *node, struct prefix *prefix)
{
	const uint8_t *p = k->mv_data;
	const uint8_t *nul = memchr(p, '\0', k->mv_size);
	size_t alen, off, n;

	if (nul == NULL)
		return false;
	alen = (size_t)(nul - p);
	if (alen == 0 || alen > ATT_MAX)
		return false;
	memcpy(attachment, p, alen + 1);
	memset(peer, 0, sizeof(*peer));
	memset(prefix, 0, sizeof(*prefix));
	off = alen + 1;
	if (k->mv_size < off + 1)
		return false;
	peer->family = p[off++];
	if (peer->family != PREFIX_AF_NONE) {
		n = family_bytes(peer->family);
		if (n == 0 || k->mv_size < off + n)
			return false;
		peer->len = (uint8_t)(n * 8);
		memcpy(peer->addr.bytes, p + off, n);
		off += n;
	}
	if (k->mv_size < off + 3)
		return false;
	*node = p[off];
	prefix->family = p[off + 1];
	prefix->len = p[off + 2];
	off += 3;
	if (!prefix_ok(prefix))
		return false;
	n = ((size_t)prefix->len + 7) / 8;
	if (k->mv_size != off + n)
		return false;
	memcpy(prefix->addr.bytes, p + off, n);
	return true;
}

/* Rewrites a format-1 key (every address in 16 bytes) as a key of this
 * format; returns its length, or -CEN_EPARSE if k is malformed. */
static int
key_from_v1(const MDB_val *k, uint8_t out[KEY_MAX])
{
	const uint8_t *p = k->mv_data;
	const uint8_t *nul = memchr(p, '\0', k->mv_size);
	char att[ATT_MAX + 1];
	struct prefix peer, prefix;
	size_t alen, head;
	int klen;

	if (nul == NULL)
		return -CEN_EPARSE;
	alen = (size_t)(nul - p);
	if (alen == 0 || alen > ATT_MAX || k->mv_size != V1_KEY_LEN(alen))
		return -CEN_EPARSE;
	memcpy(att, p, alen + 1);
	memset(&peer, 0, sizeof(peer));
	peer.family = p[V1_PEER_OFF(alen)];
	if (peer.family != PREFIX_AF_NONE) {
		peer.len = (uint8_t)prefix_maxlen(peer.family);
		memcpy(peer.addr.bytes, p + V1_PEER_OFF(alen) + 1,
		       family_bytes(peer.family));
	}
	memset(&prefix, 0, sizeof(prefix));
	prefix.family = p[V1_PFX_OFF(alen)];
	prefix.len = p[V1_PFX_OFF(alen) + 1];
	memcpy(prefix.addr.bytes, p + V1_PFX_OFF(alen) + 2,
	       family_bytes(prefix.family));
	klen = key_path(out, att, &peer, p[V1_NODE_OFF(alen)], &prefix, &head);
	return klen < 0 ? -CEN_EPARSE : klen;
}

/*
 * Visits the stored keys of (attachment, peer, prefix) under every node:
 * seeks to the first key of the (attachment, peer) range at node >= n, looks
 * up that node's exact key, and moves on to the next node.  Deletes each
 * key found unless its node is `keep`; returns the number deleted.
 */
static int
del_other_nodes(struct store_txn *t, uint8_t *key, size_t klen, size_t head,
		int keep)
{
	MDB_dbi dbi = t->st->dbi[DB_PATHS];
	MDB_cursor *c;
	uint8_t probe[KEY_MAX];
	int rc, n = 0, deleted = 0;

	rc = mdb_cursor_open(t->txn, dbi, &c);
	if (rc != 0)
		return mdb_fail(t->st, NULL, rc, "opening a cursor");
	memcpy(probe, key, head);
	while (n <= 255) {
		MDB_val k = { head + 1, probe }, d;
		uint8_t node;

		probe[head] = (uint8_t)n;
		rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
		if (rc == MDB_NOTFOUND)
			break;
		if (rc != 0)
			goto fail;
		if (k.mv_size <= head || memcmp(k.mv_data, key, head) != 0)
			break;
		node = ((const uint8_t *)k.mv_data)[head];
		key[head] = node;
		k.mv_size = klen;
		k.mv_data = key;
		rc = mdb_cursor_get(c, &k, &d, MDB_SET);
		if (rc == 0 && node != keep) {
			rc = mdb_cursor_del(c, 0);
			t->changes++;
			deleted++;
		} else if (rc == MDB_NOTFOUND) {
			rc = 0;
		}
		if (rc != 0)
			goto fail;
		n = node + 1;
	}
	mdb_cursor_close(c);
	return deleted;
fail:
	mdb_cursor_close(c);
	return mdb_fail(t->st, NULL, rc, "deleting a path");
}

/* ---- paths -------------------------------------------------------------- */

static int attrs_encode(const struct attrs *a, uint8_t *scratch,
			size_t scratch_size, uint8_t **out, size_t *len);

/* The transaction's cursor on the paths, or NULL if it cannot be opened:
 * a write or delete through it starts from the leaf page the last one left
 * it on when the key is there (a table arrives in key order) instead of
 * descending from the root each time.  LMDB closes it with the
 * transaction. */
static MDB_cursor *
paths_cursor(struct store_txn *t)
{
	if (t->paths == NULL &&
	    mdb_cursor_open(t->txn, t->st->dbi[DB_PATHS], &t->paths) != 0)
		t->paths = NULL;
	return t->paths;
}

/* The node set of the key range of key[0, head), computed if not cached;
 * NULL if it cannot be (then the caller searches as if every node could
 * have paths there). */
static struct head_nodes *
heads_get(struct store_txn *t, const uint8_t *key, size_t head)
{
	struct head_nodes *h;
	MDB_cursor *c;
	uint8_t probe[KEY_MAX];
	int rc, n = 0;

	/* paths come in runs of one range (a PathUpdate): the last one
	 * first, without hashing its key */
	h = t->st->last_head;
	if (h != NULL && h->len == head && memcmp(h->key, key, head) == 0)
		return h;
	h = &t->st->heads[XXH3_64bits(key, head) & (HEADS_SIZE - 1)];
	t->st->last_head = h;
	if (h->len == head && memcmp(h->key, key, head) == 0)
		return h;
	h->len = 0;
	memset(h->bits, 0, sizeof(h->bits));
	if (mdb_cursor_open(t->txn, t->st->dbi[DB_PATHS], &c) != 0)
		return NULL;
	/* one seek per distinct node of the range */
	memcpy(probe, key, head);
	while (n <= 255) {
		MDB_val k = { head + 1, probe }, d;
		uint8_t node;

		probe[head] = (uint8_t)n;
		rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
		if (rc == MDB_NOTFOUND)
			break;
		if (rc != 0) {
			mdb_cursor_close(c);
			return NULL;
		}
		if (k.mv_size <= head || memcmp(k.mv_data, key, head) != 0)
			break;
		node = ((const uint8_t *)k.mv_data)[head];
		h->bits[node >> 6] |= (uint64_t)1 << (node & 63);
		n = node + 1;
	}
	mdb_cursor_close(c);
	memcpy(h->key, key, head);
	h->len = head;
	return h;
}

static bool
heads_only(const struct head_nodes *h, uint8_t node)
{
	for (int i = 0; i < 4; i++) {
		uint64_t others = h->bits[i];

		if (i == node >> 6)
			others &= ~((uint64_t)1 << (node & 63));
		if (others != 0)
			return false;
	}
	return true;
}

int
store_put_path(struct store_txn *t, const char *attachment,
	       const struct prefix *peer, uint8_t node,
	       const struct prefix *prefix, const struct attrs *attrs)
{
	uint8_t scratch[ATTRS_SCRATCH], *val;
	size_t vlen;
	int rc;

	rc = attrs_encode(attrs, scratch, sizeof(scratch), &val, &vlen);
	if (rc != 0)
		return rc;
	rc = store_put_path_val(t, attachment, peer, node, prefix, val, vlen);
	if (val != scratch)
		free(val);
	return rc;
}

int
store_put_path_val(struct store_txn *t, const char *attachment,
		   const struct prefix *peer, uint8_t node,
		   const struct prefix *prefix, const uint8_t *val, size_t vlen)
{
	uint8_t key[KEY_MAX];
	struct head_nodes *h;
	MDB_val k, d;
	size_t head;
	int klen, rc;

	klen = key_path(key, attachment, peer, node, prefix, &head);
	if (klen < 0)
		return klen;
	k.mv_size = (size_t)klen;
	k.mv_data = key;
	h = heads_get(t, key, head);
	if (h != NULL && heads_only(h, node)) {
		/* no other node has paths here: nothing to replace */
		MDB_cursor *c = paths_cursor(t);

		h->bits[node >> 6] |= (uint64_t)1 << (node & 63);
		d.mv_size = vlen;
		d.mv_data = (void *)val;
		rc = c != NULL
			     ? mdb_cursor_put(c, &k, &d, 0)
			     : mdb_put(t->txn, t->st->dbi[DB_PATHS], &k, &d, 0);
		t->changes++;
		return rc != 0 ? mdb_fail(t->st, NULL, rc, "writing a path")
			       : 0;
	}
	if (h != NULL)
		h->bits[node >> 6] |= (uint64_t)1 << (node & 63);
	rc = mdb_get(t->txn, t->st->dbi[DB_PATHS], &k, &d);
	if (rc == MDB_NOTFOUND) {
		/* a path of another node is replaced */
		rc = del_other_nodes(t, key, (size_t)klen, head, node);
		key[head] = node;
		if (rc < 0)
			goto out;
		rc = 0;
	} else if (rc != 0) {
		rc = mdb_fail(t->st, NULL, rc, "reading a path");
		goto out;
	}
	d.mv_size = vlen;
	d.mv_data = (void *)val;
	rc = mdb_put(t->txn, t->st->dbi[DB_PATHS], &k, &d, 0);
	t->changes++;
	if (rc != 0)
		rc = mdb_fail(t->st, NULL, rc, "writing a path");
out:
	return rc;
}

int
store_del_path(struct store_txn *t, const char *attachment,
	       const struct prefix *peer, const struct prefix *prefix)
{
	uint8_t key[KEY_MAX];
	size_t head;
	struct head_nodes *h;
	int klen, rc, only = -1;

	klen = key_path(key, attachment, peer, 0, prefix, &head);
	if (klen < 0)
		return klen;
	h = heads_get(t, key, head);
	for (int i = 0; h != NULL && i < 4; i++) {
		if (h->bits[i] == 0)
			continue;
		if (only >= 0 || (h->bits[i] & (h->bits[i] - 1)) != 0) {
			only = -1;
			break;
		}
		only = i * 64 + __builtin_ctzll(h->bits[i]);
	}
	if (only >= 0) {
		/* one node has paths here: its key is the only candidate
		 * (a withdrawal of a full table goes this way, one lookup
		 * each instead of a seek per node) */
		MDB_val k = { (size_t)klen, key }, d;
		MDB_cursor *c = paths_cursor(t);

		key[head] = (uint8_t)only;
		if (c == NULL) {
			rc = mdb_del(t->txn, t->st->dbi[DB_PATHS], &k, NULL);
			t->changes++;
		} else {
			rc = mdb_cursor_get(c, &k, &d, MDB_SET);
			if (rc == 0)
				rc = mdb_cursor_del(c, 0);
			t->changes++;
		}
		if (rc == MDB_NOTFOUND)
			return -CEN_ENOENT;
		return rc != 0 ? mdb_fail(t->st, NULL, rc, "deleting a path")
			       : 0;
	}
	rc = del_other_nodes(t, key, (size_t)klen, head, -1);
	if (rc < 0)
		return rc;
	return rc == 0 ? -CEN_ENOENT : 0;
}

int
store_del_paths_of(struct store_txn *t, const char *attachment,
		   const struct prefix *peer)
{
	return store_del_paths_of_node(t, attachment, peer, 0);
}

int
store_del_paths_of_node(struct store_txn *t, const char *attachment,
			const struct prefix *peer, uint8_t node)
{
	uint8_t key[KEY_MAX];
	MDB_cursor *c;
	MDB_val k, d;
	int head, rc, deleted = 0;

	head = key_head(key, attachment, peer);
	if (head < 0)
		return head;
	if (peer == NULL || peer->family == PREFIX_AF_NONE)
		head = (int)strlen(attachment) + 1; /* name and NUL */
	rc = mdb_cursor_open(t->txn, t->st->dbi[DB_PATHS], &c);
	if (rc != 0)
		return mdb_fail(t->st, NULL, rc, "opening a cursor");
	k.mv_size = (size_t)head;
	k.mv_data = key;
	rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
	while (rc == 0) {
		if (k.mv_size <= (size_t)head ||
		    memcmp(k.mv_data, key, (size_t)head) != 0)
			break;
		/* with a peer, the node byte follows the key head */
		if (node != 0 && peer != NULL &&
		    peer->family != PREFIX_AF_NONE &&
		    ((const uint8_t *)k.mv_data)[head] != node) {
			rc = mdb_cursor_get(c, &k, &d, MDB_NEXT);
			continue;
		}
		rc = mdb_cursor_del(c, 0);
		t->changes++;
		if (rc != 0)
			break;
		deleted++;
		rc = mdb_cursor_get(c, &k, &d, MDB_NEXT);
	}
	mdb_cursor_close(c);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return mdb_fail(t->st, NULL, rc, "deleting paths");
	return deleted;
}

/* ---- load --------------------------------------------------------------- */

/* Attribute sets by their packed bytes: paths mostly share a few sets, so
 * most values are found here instead of being unpacked and interned. */
struct load_slot {
	uint64_t hash;
	size_t len;
	uint8_t *bytes;
	const struct attrs *attrs; /* one reference held by the cache */
};

struct load_cache {
	struct attr_store *as;
	struct load_slot slot[LOAD_CACHE_SIZE];
};

static int
cache_get(struct load_cache *lc, const MDB_val *v, const struct attrs **out,
	  struct cen_err *err)
{
	uint64_t h = XXH3_64bits(v->mv_data, v->mv_size);
	struct load_slot *s = &lc->slot[h & (LOAD_CACHE_SIZE - 1)];
	const struct attrs *a;
	uint8_t *copy;
	int rc;

	if (s->attrs != NULL && s->hash == h && s->len == v->mv_size &&
	    memcmp(s->bytes, v->mv_data, s->len) == 0) {
		*out = s->attrs;
		return 0;
	}
	rc = store_attrs_unpack(lc->as, v->mv_data, v->mv_size, &a, err);
	if (rc != 0)
		return rc;
	copy = malloc(v->mv_size ? v->mv_size : 1);
	if (copy == NULL) {
		attr_unref(lc->as, a);
		return cen_errf(err, -CEN_ENOMEM, "out of memory");
	}
	memcpy(copy, v->mv_data, v->mv_size);
	attr_unref(lc->as, s->attrs);
	free(s->bytes);
	s->hash = h;
	s->len = v->mv_size;
	s->bytes = copy;
	s->attrs = a;
	*out = a;
	return 0;
}

static void
cache_fini(struct load_cache *lc)
{
	for (size_t i = 0; i < LOAD_CACHE_SIZE; i++) {
		attr_unref(lc->as, lc->slot[i].attrs);
		free(lc->slot[i].bytes);
	}
	free(lc);
}

static const struct model_attachment *
model_att(const struct model *m, const char *id)
{
	for (size_t i = 0; i < m->nattachments; i++)
		if (strcmp(m->attachments[i].id, id) == 0)
			return &m->attachments[i];
	return NULL;
}

/* Only VBR, VPN and CCN attachments take BGP paths. */
static bool
model_takes_paths(const struct model *m, const char *id)
{
	const struct model_attachment *a = model_att(m, id);

	return a != NULL &&
	       (a->type == MODEL_ATT_VBR || a->type == MODEL_ATT_VPN ||
		a->type == MODEL_ATT_CCN);
}

static int
load_model(struct store *st, MDB_txn *txn, struct engine *e,
	   struct cen_err *err)
{
	MDB_val k = { strlen(KEY_MODEL), KEY_MODEL }, d;
	struct model m;
	int rc;

	rc = mdb_get(txn, st->dbi[DB_MODEL], &k, &d);
	if (rc == MDB_NOTFOUND)
		return 0; /* nothing applied yet */
	if (rc != 0)
		return mdb_fail(st, err, rc, "reading the model");
	model_init(&m);
	rc = model_yaml_parse(&m, d.mv_data, d.mv_size, err);
	if (rc == 0)
		rc = engine_apply(e, &m, err);
	model_free(&m);
	if (rc != 0)
		cen_err_prefix(err, "store: model: ");
	return rc;
}

/* Calls mark(e, id) for every key of database db (an attachment or region
 * ID) whose value is val: the health and reachability databases hold only
 * what differs from the default. */
static int
load_marked(struct store *st, MDB_txn *txn, int db, const char *val,
	    void (*mark)(struct engine *, const char *), struct engine *e,
	    const char *what, struct cen_err *err)
{
	MDB_cursor *c;
	MDB_val k, d;
	char id[ATT_MAX + 1];
	int rc;

	rc = mdb_cursor_open(txn, st->dbi[db], &c);
	if (rc != 0)
		return mdb_fail(st, err, rc, "opening a cursor");
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if (k.mv_size == 0 || k.mv_size > ATT_MAX ||
		    memchr(k.mv_data, '\0', k.mv_size) != NULL)
			continue;
		memcpy(id, k.mv_data, k.mv_size);
		id[k.mv_size] = '\0';
		if (d.mv_size == strlen(val) &&
		    memcmp(d.mv_data, val, d.mv_size) == 0)
			mark(e, id);
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : mdb_fail(st, err, rc, what);
}

static void
mark_down(struct engine *e, const char *att)
{
	/* attachments the model no longer has are skipped */
	if (model_att(engine_model(e), att) != NULL)
		engine_set_health(e, att, false, NULL);
}

static void
mark_unreachable(struct engine *e, const char *region)
{
	/* (regions the model no longer has are refused by the engine) */
	engine_set_region_reachable(e, region, false, NULL);
}

static int
load_paths(struct store *st, MDB_txn *txn, struct engine *e,
	   struct cen_err *err)
{
	struct load_cache *lc;
	struct engine_path_in in;
	MDB_cursor *c;
	MDB_val k, d;
	char att[ATT_MAX + 1], last[ATT_MAX + 1] = "";
	bool take = false;
	int rc;

	lc = calloc(1, sizeof(*lc));
	if (lc == NULL)
		return cen_errf(err, -CEN_ENOMEM, "out of memory");
	lc->as = engine_attrs(e);
	rc = mdb_cursor_open(txn, st->dbi[DB_PATHS], &c);
	if (rc != 0) {
		cache_fini(lc);
		return mdb_fail(st, err, rc, "opening a cursor");
	}
	memset(&in, 0, sizeof(in));
	in.attachment = att;
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if (!key_parse(&k, att, &in.peer, &in.node, &in.prefix)) {
			rc = cen_errf(err, -CEN_EIO,
				      "store: paths: malformed key of %zu "
				      "bytes",
				      k.mv_size);
			goto out;
		}
		if (strcmp(att, last) != 0) {
			strcpy(last, att);
			take = model_takes_paths(engine_model(e), att);
		}
		if (!take)
			continue;
		rc = cache_get(lc, &d, &in.attrs, err);
		if (rc == 0)
			rc = engine_path_add(e, &in, err);
		if (rc != 0) {
			char b[PREFIX_STRLEN];

			cen_err_prefix(err, "store: paths: %s %s: ", att,
				       prefix_fmt(&in.prefix, b, sizeof(b)));
			goto out;
		}
	}
	rc = rc == MDB_NOTFOUND ? 0 : mdb_fail(st, err, rc, "reading paths");
out:
	mdb_cursor_close(c);
	cache_fini(lc);
	return rc;
}

int
store_load(struct store *st, struct engine *e, struct cen_err *err)
{
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
	if (rc != 0)
		return mdb_fail(st, err, rc, "beginning a read transaction");
	rc = load_model(st, txn, e, err);
	if (rc == 0)
		rc = load_marked(st, txn, DB_HEALTH, VAL_DOWN, mark_down, e,
				 "reading health", err);
	if (rc == 0)
		rc = load_marked(st, txn, DB_REGIONS, VAL_UNREACHABLE,
				 mark_unreachable, e, "reading regions", err);
	if (rc == 0)
		rc = load_paths(st, txn, e, err);
	mdb_txn_abort(txn);
	if (rc == 0)
		engine_drain(e);
	return rc;
}

/* ---- snapshots ---------------------------------------------------------- */

struct img {
	uint8_t *buf;
	size_t len, cap;
};

static int
img_reserve(struct img *im, size_t more)
{
	size_t cap = im->cap ? im->cap : 4096;
	uint8_t *nb;

	if (more <= im->cap - im->len)
		return 0;
	while (more > cap - im->len) {
		if (cap > SIZE_MAX / 2)
			return -CEN_ENOMEM;
		cap *= 2;
	}
	nb = realloc(im->buf, cap);
	if (nb == NULL)
		return -CEN_ENOMEM;
	im->buf = nb;
	im->cap = cap;
	return 0;
}

static int
img_record(struct img *im, uint8_t db, const MDB_val *k, const MDB_val *d)
{
	uint8_t *p;

	if (k->mv_size > UINT32_MAX || d->mv_size > UINT32_MAX)
		return -CEN_ETOOBIG;
	if (img_reserve(im, 1 + 4 + k->mv_size + 4 + d->mv_size) != 0)
		return -CEN_ENOMEM;
	p = im->buf + im->len;
	*p++ = db;
	put_u32(p, (uint32_t)k->mv_size);
	memcpy(p + 4, k->mv_data, k->mv_size);
	p += 4 + k->mv_size;
	put_u32(p, (uint32_t)d->mv_size);
	memcpy(p + 4, d->mv_data, d->mv_size);
	im->len += 1 + 4 + k->mv_size + 4 + d->mv_size;
	return 0;
}

struct store_snap {
	struct store *st;
	MDB_txn *txn;
};

int
store_snapshot_begin(struct store *st, struct store_snap **out)
{
	struct store_snap *sn = calloc(1, sizeof(*sn));
	int rc;

	if (sn == NULL)
		return -CEN_ENOMEM;
	sn->st = st;
	/* MDB_NOTLS (store_open): the read transaction may be used and ended
	 * by other threads than this one */
	rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &sn->txn);
	if (rc != 0) {
		free(sn);
		return mdb_fail(st, NULL, rc, "beginning a read transaction");
	}
	*out = sn;
	return 0;
}

void
store_snapshot_end(struct store_snap *sn)
{
	if (sn == NULL)
		return;
	mdb_txn_abort(sn->txn);
	free(sn);
}

int
store_snapshot_write(struct store_snap *sn, uint8_t **buf, size_t *len)
{
	struct store *st = sn->st;
	MDB_txn *txn = sn->txn;
	struct img im = { 0 };
	uint64_t index, term;
	size_t guess = IMG_HEADER + IMG_TRAILER;
	int rc;

	*buf = NULL;
	*len = 0;
	rc = read_u64(st, txn, KEY_INDEX, &index, NULL);
	if (rc == 0)
		rc = read_u64(st, txn, KEY_TERM, &term, NULL);
	if (rc != 0)
		return rc;
	/* the pages in use bound the image's size closely enough */
	for (int i = 0; i < DB_COUNT; i++) {
		MDB_stat s;

		if (mdb_stat(txn, st->dbi[i], &s) == 0)
			guess += (s.ms_branch_pages + s.ms_leaf_pages +
				  s.ms_overflow_pages) *
				 (size_t)s.ms_psize;
	}
	rc = img_reserve(&im, guess);
	if (rc != 0)
		return rc;
	memcpy(im.buf, IMG_MAGIC, 8);
	put_u32(im.buf + 8, IMG_VERSION);
	put_u64(im.buf + 12, index);
	put_u64(im.buf + 20, term);
	im.len = IMG_HEADER;
	for (int i = 0; i < DB_COUNT && rc == 0; i++) {
		MDB_cursor *c;
		MDB_val k, d;
		int mrc;

		mrc = mdb_cursor_open(txn, st->dbi[i], &c);
		if (mrc != 0) {
			rc = mdb_fail(st, NULL, mrc, "opening a cursor");
			break;
		}
		for (mrc = mdb_cursor_get(c, &k, &d, MDB_FIRST); mrc == 0;
		     mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
			rc = img_record(&im, (uint8_t)i, &k, &d);
			if (rc != 0)
				break;
		}
		mdb_cursor_close(c);
		if (rc == 0 && mrc != MDB_NOTFOUND)
			rc = mdb_fail(st, NULL, mrc, "reading for a snapshot");
	}
	if (rc == 0)
		rc = img_reserve(&im, IMG_TRAILER);
	if (rc == 0) {
		put_u64(im.buf + im.len, XXH3_64bits(im.buf, im.len));
		im.len += IMG_TRAILER;
	}
	if (rc != 0) {
		free(im.buf);
		return rc;
	}
	*buf = im.buf;
	*len = im.len;
	return 0;
}

int
store_snapshot(struct store *st, uint8_t **buf, size_t *len)
{
	struct store_snap *sn;
	int rc;

	*buf = NULL;
	*len = 0;
	rc = store_snapshot_begin(st, &sn);
	if (rc != 0)
		return rc;
	rc = store_snapshot_write(sn, buf, len);
	store_snapshot_end(sn);
	return rc;
}

static int
key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* Checks an image's header, hash, record bounds and key order. */
static int
img_check(const uint8_t *buf, size_t len, size_t key_max, struct cen_err *err)
{
	const uint8_t *last[DB_COUNT] = { NULL };
	size_t last_len[DB_COUNT] = { 0 };
	size_t pos, end;

	if (buf == NULL || len < IMG_HEADER + IMG_TRAILER)
		return cen_errf(err, -CEN_EPARSE,
				"snapshot: %zu bytes, shorter than a header",
				buf != NULL ? len : 0);
	if (memcmp(buf, IMG_MAGIC, 8) != 0)
		return cen_errf(err, -CEN_EPARSE,
				"snapshot: bad magic (not a cend snapshot)");
	if (get_u32(buf + 8) != IMG_VERSION && get_u32(buf + 8) != 1)
		return cen_errf(err, -CEN_EPARSE,
				"snapshot: version %u, expected 1..%u",
				get_u32(buf + 8), IMG_VERSION);
	end = len - IMG_TRAILER;
	if (XXH3_64bits(buf, end) != get_u64(buf + end))
		return cen_errf(err, -CEN_EPARSE,
				"snapshot: checksum mismatch (truncated or "
				"corrupt)");
	for (pos = IMG_HEADER; pos < end;) {
		size_t rec = pos, klen, vlen;

		if (end - pos < 5)
			goto short_rec;
		if (buf[pos] >= DB_COUNT)
			return cen_errf(err, -CEN_EPARSE,
					"snapshot: record at %zu: database %u "
					"out of range 0..%d",
					rec, buf[pos], DB_COUNT - 1);
		klen = get_u32(buf + pos + 1);
		pos += 5;
		if (klen == 0 || klen > key_max)
			return cen_errf(err, -CEN_EPARSE,
					"snapshot: record at %zu: key of %zu "
					"bytes, allowed 1..%zu",
					rec, klen, key_max);
		if (end - pos < klen + 4)
			goto short_rec;
		/* LMDB's order: bytes, then the shorter key first */
		if (last[buf[rec]] != NULL &&
		    key_cmp(last[buf[rec]], last_len[buf[rec]], buf + pos,
			    klen) >= 0)
			return cen_errf(err, -CEN_EPARSE,
					"snapshot: record at %zu: keys of "
					"database %s out of order",
					rec, db_names[buf[rec]]);
		last[buf[rec]] = buf + pos;
		last_len[buf[rec]] = klen;
		vlen = get_u32(buf + pos + klen);
		pos += klen + 4;
		if (end - pos < vlen)
			goto short_rec;
		pos += vlen;
		continue;
short_rec:
		return cen_errf(err, -CEN_EPARSE,
				"snapshot: record at %zu runs past the end",
				rec);
	}
	return 0;
}

int
store_restore(struct store *st, const uint8_t *buf, size_t len,
	      struct cen_err *err)
{
	uint64_t index, term;
	size_t pos, end, key_max;
	uint8_t key[KEY_MAX], format[4];
	MDB_val fk = { strlen(KEY_FORMAT), KEY_FORMAT }, fd = { 4, format };
	MDB_txn *txn;
	bool v1;
	int rc;

	key_max = (size_t)mdb_env_get_maxkeysize(st->env);
	rc = img_check(buf, len, key_max, err);
	if (rc != 0)
		return rc;
	v1 = get_u32(buf + 8) == 1;
	index = get_u64(buf + 12);
	term = get_u64(buf + 20);
	end = len - IMG_TRAILER;
	rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	if (rc != 0)
		return mdb_fail(st, err, rc, "beginning a transaction");
	heads_forget(st);
	for (int i = 0; i < DB_COUNT && rc == 0; i++)
		rc = mdb_drop(txn, st->dbi[i], 0);
	if (rc != 0) {
		rc = mdb_fail(st, err, rc, "emptying the store");
		goto fail;
	}
	for (pos = IMG_HEADER; pos < end;) {
		uint8_t db = buf[pos];
		MDB_val k, d;

		k.mv_size = get_u32(buf + pos + 1);
		k.mv_data = (void *)(buf + pos + 5);
		pos += 5 + k.mv_size;
		d.mv_size = get_u32(buf + pos);
		d.mv_data = (void *)(buf + pos + 4);
		pos += 4 + d.mv_size;
		if (v1 && db == DB_PATHS) {
			int klen = key_from_v1(&k, key);

			if (klen < 0) {
				rc = cen_errf(err, -CEN_EPARSE,
					      "snapshot: paths: malformed "
					      "version-1 key of %zu bytes",
					      k.mv_size);
				goto fail;
			}
			k.mv_size = (size_t)klen;
			k.mv_data = key;
		}
		/* records come in key order (converted keys sort as the
		 * old ones did): append, which also checks it */
		rc = mdb_put(txn, st->dbi[db], &k, &d, MDB_APPEND);
		if (rc == MDB_KEYEXIST) {
			rc = cen_errf(err, -CEN_EPARSE,
				      "snapshot: records of database %s out "
				      "of key order",
				      db_names[db]);
			goto fail;
		}
		if (rc != 0) {
			rc = mdb_fail(st, err, rc, "restoring");
			goto fail;
		}
	}
	rc = write_u64(st, txn, KEY_INDEX, index);
	if (rc == 0)
		rc = write_u64(st, txn, KEY_TERM, term);
	if (rc != 0) {
		cen_errf(err, rc, "store: %s", st->errmsg);
		goto fail;
	}
	put_u32(format, FORMAT);
	rc = mdb_put(txn, st->dbi[DB_META], &fk, &fd, 0);
	if (rc != 0) {
		rc = mdb_fail(st, err, rc, "writing meta");
		goto fail;
	}
	rc = mdb_txn_commit(txn);
	if (rc != 0)
		return mdb_fail(st, err, rc, "committing the restore");
	st->applied_index = index;
	st->applied_term = term;
	return 0;
fail:
	mdb_txn_abort(txn);
	return rc;
}

uint64_t
store_image_index(const uint8_t *buf, size_t len)
{
	if (img_check(buf, len, IMG_KEY_MAX, NULL) != 0)
		return 0;
	return get_u64(buf + 12);
}

/* ---- attributes --------------------------------------------------------- */

static int
attrs_encode(const struct attrs *a, uint8_t *scratch, size_t scratch_size,
	     uint8_t **out, size_t *len)
{
	Cend__V1__PathAttrs m;
	uint32_t lc_stack[3 * 32], *lc = lc_stack;
	size_t n;

	*out = NULL;
	*len = 0;
	if (a == NULL)
		return -CEN_EINVAL;
	cend__v1__path_attrs__init(&m);
	m.origin = a->origin;
	/* the defaults are left out: 0 reads as them (attrs_decode), and a
	 * million stored paths carry 4 bytes less each */
	m.preference = a->pref != ATTR_PREF_DEFAULT ? a->pref : 0;
	m.weight = a->weight != 1 ? a->weight : 0;
	m.has_med = (a->flags & ATTR_F_MED) != 0;
	m.med = a->med;
	m.has_local_pref = (a->flags & ATTR_F_LOCALPREF) != 0;
	m.local_pref = a->localpref;
	m.atomic_aggregate = (a->flags & ATTR_F_ATOMIC) != 0;
	if (a->flags & ATTR_F_AGGREGATOR) {
		m.aggregator_as = a->aggregator_as;
		m.aggregator_id = a->aggregator_id;
	}
	if (a->flags & ATTR_F_ORIGINATOR)
		m.originator_id = a->originator_id;
	if (a->aspath != NULL) {
		m.n_as_path = a->aspath->nwords;
		m.as_path = (uint32_t *)a->aspath->words;
	}
	if (a->comms != NULL) {
		m.n_communities = a->comms->n;
		m.communities = (uint32_t *)a->comms->v;
	}
	if (a->clusters != NULL) {
		m.n_cluster_list = a->clusters->n;
		m.cluster_list = (uint32_t *)a->clusters->v;
	}
	if (a->lcomms != NULL && a->lcomms->n > 0) {
		n = a->lcomms->n;
		if (n > sizeof(lc_stack) / sizeof(lc_stack[0]) / 3) {
			lc = malloc(n * 3 * sizeof(*lc));
			if (lc == NULL)
				return -CEN_ENOMEM;
		}
		for (size_t i = 0; i < n; i++) {
			lc[3 * i] = a->lcomms->v[i].global;
			lc[3 * i + 1] = a->lcomms->v[i].local1;
			lc[3 * i + 2] = a->lcomms->v[i].local2;
		}
		m.n_large_communities = 3 * n;
		m.large_communities = lc;
	}
	switch (a->nexthop.family) {
	case PREFIX_AF_INET:
		m.next_hop.len = 4;
		break;
	case PREFIX_AF_INET6:
		m.next_hop.len = 16;
		break;
	default:
		break;
	}
	m.next_hop.data = (uint8_t *)a->nexthop.addr.bytes;
	if (a->opaque != NULL) {
		m.opaque.len = a->opaque->len;
		m.opaque.data = (uint8_t *)a->opaque->bytes;
	}
	n = cend__v1__path_attrs__get_packed_size(&m);
	if (scratch != NULL && n <= scratch_size) {
		*out = scratch;
	} else {
		*out = malloc(n ? n : 1);
		if (*out == NULL) {
			if (lc != lc_stack)
				free(lc);
			return -CEN_ENOMEM;
		}
	}
	*len = cend__v1__path_attrs__pack(&m, *out);
	if (lc != lc_stack)
		free(lc);
	return 0;
}

int
store_attrs_pack(const struct attrs *a, uint8_t **buf, size_t *len)
{
	return attrs_encode(a, NULL, 0, buf, len);
}

static int
attrs_check(const Cend__V1__PathAttrs *m, struct cen_err *err)
{
	if (m->origin > ATTR_ORIGIN_INCOMPLETE)
		return cen_errf(err, -CEN_ERANGE, "origin %u out of range 0..2",
				m->origin);
	if (m->preference > ATTR_PREF_MAX)
		return cen_errf(err, -CEN_ERANGE,
				"preference %u out of range 1..100 (0: 50)",
				m->preference);
	if (m->weight > 255)
		return cen_errf(err, -CEN_ERANGE,
				"weight %u out of range 1..255 (0: 1)",
				m->weight);
	if (m->n_as_path > UINT32_MAX ||
	    attr_aspath_check(m->as_path, (uint32_t)m->n_as_path) != 0)
		return cen_errf(err, -CEN_EPARSE,
				"as_path: malformed: expected [type 1..4, "
				"count 1..255, asn * count] runs filling its "
				"%zu words",
				m->n_as_path);
	if (m->n_communities > UINT32_MAX || m->n_cluster_list > UINT32_MAX)
		return cen_errf(err, -CEN_ETOOBIG,
				"communities: too many values");
	if (m->n_large_communities % 3 != 0 ||
	    m->n_large_communities / 3 > UINT32_MAX)
		return cen_errf(err, -CEN_EPARSE,
				"large_communities: %zu values, expected "
				"(global, local1, local2) triples",
				m->n_large_communities);
	if (m->next_hop.len != 0 && m->next_hop.len != 4 &&
	    m->next_hop.len != 16)
		return cen_errf(err, -CEN_EPARSE,
				"next_hop: %zu bytes, expected 4 (IPv4), 16 "
				"(IPv6) or none",
				m->next_hop.len);
	if (m->opaque.len > UINT32_MAX)
		return cen_errf(err, -CEN_ETOOBIG, "opaque: too long");
	return 0;
}

int
store_attrs_unpack(struct attr_store *as, const uint8_t *buf, size_t len,
		   const struct attrs **out, struct cen_err *err)
{
	Cend__V1__PathAttrs *m;
	int rc;

	*out = NULL;
	m = cend__v1__path_attrs__unpack(NULL, len, buf);
	if (m == NULL)
		return cen_errf(err, -CEN_EPARSE,
				"path attributes: not a valid PathAttrs "
				"message (%zu bytes)",
				len);
	rc = store_attrs_from_msg(as, m, out, err);
	cend__v1__path_attrs__free_unpacked(m, NULL);
	return rc;
}

int
store_attrs_from_msg(struct attr_store *as, const Cend__V1__PathAttrs *m,
		     const struct attrs **out, struct cen_err *err)
{
	struct attr_lcomm *lc = NULL;
	struct attrs a;
	bool nomem = false;
	int rc;

	*out = NULL;
	rc = attrs_check(m, err);
	if (rc != 0)
		return rc;
	attr_init(&a);
	a.origin = (uint8_t)m->origin;
	a.pref = m->preference ? (uint8_t)m->preference : ATTR_PREF_DEFAULT;
	a.weight = m->weight ? (uint8_t)m->weight : 1;
	a.med = m->med;
	a.localpref = m->local_pref;
	a.aggregator_as = m->aggregator_as;
	a.aggregator_id = m->aggregator_id;
	a.originator_id = m->originator_id;
	if (m->has_med)
		a.flags |= ATTR_F_MED;
	if (m->has_local_pref)
		a.flags |= ATTR_F_LOCALPREF;
	if (m->atomic_aggregate)
		a.flags |= ATTR_F_ATOMIC;
	if (m->aggregator_as != 0 || m->aggregator_id != 0)
		a.flags |= ATTR_F_AGGREGATOR;
	if (m->originator_id != 0)
		a.flags |= ATTR_F_ORIGINATOR;
	if (m->next_hop.len == 4 || m->next_hop.len == 16) {
		a.nexthop.family =
			m->next_hop.len == 4 ? PREFIX_AF_INET : PREFIX_AF_INET6;
		a.nexthop.len = (uint8_t)(m->next_hop.len * 8);
		memcpy(a.nexthop.addr.bytes, m->next_hop.data, m->next_hop.len);
	}
	if (m->n_as_path > 0) {
		a.aspath = attr_aspath_intern(as, m->as_path,
					      (uint32_t)m->n_as_path);
		nomem |= a.aspath == NULL;
	}
	if (m->n_communities > 0) {
		a.comms = attr_comms_intern(as, m->communities,
					    (uint32_t)m->n_communities);
		nomem |= a.comms == NULL;
	}
	if (m->n_cluster_list > 0) {
		a.clusters = attr_clusters_intern(as, m->cluster_list,
						  (uint32_t)m->n_cluster_list);
		nomem |= a.clusters == NULL;
	}
	if (m->n_large_communities > 0) {
		size_t n = m->n_large_communities / 3;

		lc = malloc(n * sizeof(*lc));
		if (lc != NULL) {
			for (size_t i = 0; i < n; i++) {
				lc[i].global = m->large_communities[3 * i];
				lc[i].local1 = m->large_communities[3 * i + 1];
				lc[i].local2 = m->large_communities[3 * i + 2];
			}
			a.lcomms = attr_lcomms_intern(as, lc, (uint32_t)n);
		}
		nomem |= a.lcomms == NULL;
		free(lc);
	}
	if (m->opaque.len > 0) {
		a.opaque = attr_opaque_intern(as, m->opaque.data,
					      (uint32_t)m->opaque.len);
		nomem |= a.opaque == NULL;
	}
	if (!nomem)
		*out = attr_intern(as, &a);
	attr_aspath_unref(as, a.aspath);
	attr_comms_unref(as, a.comms);
	attr_comms_unref(as, a.clusters);
	attr_lcomms_unref(as, a.lcomms);
	attr_opaque_unref(as, a.opaque);
	if (*out == NULL)
		return cen_errf(err, -CEN_ENOMEM, "out of memory");
	return 0;
}

/* ---- prefixes ----------------------------------------------------------- */

size_t
store_prefix_pack(const struct prefix *p, uint8_t out[18])
{
	size_t n;

	switch (p->family) {
	case PREFIX_AF_INET:
		n = 4;
		break;
	case PREFIX_AF_INET6:
		n = 16;
		break;
	default:
		return 0;
	}
	out[0] = p->family;
	out[1] = p->len;
	memcpy(out + 2, p->addr.bytes, n);
	return 2 + n;
}

int
store_prefix_unpack(const uint8_t *buf, size_t len, struct prefix *p,
		    struct cen_err *err)
{
	struct prefix q, c;
	size_t n;

	if (len < 2)
		return cen_errf(err, -CEN_EPARSE,
				"prefix: %zu bytes, expected 6 (IPv4) or 18 "
				"(IPv6)",
				len);
	switch (buf[0]) {
	case PREFIX_AF_INET:
		n = 4;
		break;
	case PREFIX_AF_INET6:
		n = 16;
		break;
	default:
		return cen_errf(err, -CEN_EPARSE,
				"prefix: family %u, expected 4 or 6", buf[0]);
	}
	if (len != 2 + n)
		return cen_errf(err, -CEN_EPARSE,
				"prefix: %zu bytes, expected %zu for IPv%u",
				len, 2 + n, buf[0]);
	if (buf[1] > n * 8)
		return cen_errf(err, -CEN_EPARSE,
				"prefix: length %u out of range 0..%zu", buf[1],
				n * 8);
	memset(&q, 0, sizeof(q));
	q.family = buf[0];
	q.len = buf[1];
	memcpy(q.addr.bytes, buf + 2, n);
	c = q;
	prefix_canon(&c);
	if (memcmp(&c, &q, sizeof(q)) != 0)
		return cen_errf(err, -CEN_EPARSE,
				"prefix: host bits set past /%u", q.len);
	*p = q;
	return 0;
}

void
store_prefix_iter_init(struct store_prefix_iter *it, const uint8_t *buf,
		       size_t len, size_t group)
{
	it->buf = buf;
	it->len = buf != NULL ? len : 0;
	it->off = 0;
	it->group = group;
}

int
store_prefix_iter_next(struct store_prefix_iter *it, struct prefix *p,
		       struct cen_err *err)
{
	const uint8_t *b = it->buf + it->off;
	size_t left = it->len - it->off, max, n;
	struct prefix q, c;

	if (left == 0)
		return 0;
	switch (b[0]) {
	case PREFIX_AF_INET:
		max = 32;
		break;
	case PREFIX_AF_INET6:
		max = 128;
		break;
	default:
		return cen_errf(err, -CEN_EPARSE,
				"groups[%zu].prefixes: byte %zu: family %u, "
				"expected 4 or 6",
				it->group, it->off, b[0]);
	}
	if (left < 2)
		return cen_errf(err, -CEN_EPARSE,
				"groups[%zu].prefixes: byte %zu: cut short "
				"before the length",
				it->group, it->off);
	if (b[1] > max)
		return cen_errf(err, -CEN_EPARSE,
				"groups[%zu].prefixes: byte %zu: length %u "
				"out of range 0..%zu",
				it->group, it->off, b[1], max);
	n = ((size_t)b[1] + 7) / 8;
	if (left < 2 + n)
		return cen_errf(err, -CEN_EPARSE,
				"groups[%zu].prefixes: byte %zu: /%u needs "
				"%zu address bytes, %zu left",
				it->group, it->off, b[1], n, left - 2);
	memset(&q, 0, sizeof(q));
	q.family = b[0];
	q.len = b[1];
	memcpy(q.addr.bytes, b + 2, n);
	c = q;
	prefix_canon(&c);
	if (memcmp(&c, &q, sizeof(q)) != 0)
		return cen_errf(err, -CEN_EPARSE,
				"groups[%zu].prefixes: byte %zu: host bits "
				"set past /%u",
				it->group, it->off, q.len);
	it->off += 2 + n;
	*p = q;
	return 1;
}

size_t
store_prefix_pack_short(const struct prefix *p, uint8_t out[18])
{
	size_t n = ((size_t)p->len + 7) / 8;

	if (p->family != PREFIX_AF_INET && p->family != PREFIX_AF_INET6)
		return 0;
	out[0] = p->family;
	out[1] = p->len;
	memcpy(out + 2, p->addr.bytes, n);
	return 2 + n;
}
