/*
 * fibsub.c - a forwarder's FIB subscription (fibsub.h): failover between
 * the cluster's endpoints, resume by version, snapshot and delta
 * application to an in-memory FIB, and its copy in LMDB.
 *
 * The FIB is a hash map from a key (table NUL view NUL family len address)
 * to the entry packed as a FibEntry (canonical: re-packed after
 * fibmsg_entry_decode checked it), the same bytes LMDB keeps; entries are
 * decoded again only to be handed to callbacks or looked up.  Withdrawn
 * entries are not kept: withdrawing removes the key.
 *
 * A snapshot being received is kept aside in a map (for duplicates and the
 * comparison with the FIB) and in a list in the order it came, which is
 * the node's walk of its tables, by prefix: once complete, its changes are
 * handed to the change callback in that order, so a forwarder fills its
 * tables in address order (neighbouring prefixes share trie nodes and LPM
 * groups) and the entries are read in the order they were allocated.
 * Messages are unpacked into an arena (proto/pbarena.h): a snapshot chunk
 * holds some 25,000 entries, each of several submessages.
 *
 * One subscription attempt owns one rpc_client: closing it is the only way
 * to drop a stream (rpc.h has no per-call cancel), and the attempt is
 * freed in its stream's last callback, which rpc_client always calls.
 *
 * LMDB (DATA_DIR/fib): "entries" key -> packed entry, "meta" version and
 * region.  Changes go into one write transaction committed FIBSUB_COMMIT_MS
 * later, so a burst of deltas costs one sync; the version is written in
 * the same transaction as the entries it covers.  If a write fails the
 * copy is wiped (version 0) and no longer used, never left inconsistent.
 */
#include <errno.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/hmap.h"
#include "core/model.h"
#include "dataplane/fibsub.h"
#include "proto/pbarena.h"
#include "proto/rpc.h"

#define FSUB_METHOD	  "cend.v1.FibService/Subscribe"
#define FSUB_KEY_MAX	  (2 * FIBMSG_ID_MAX + 2 + 16)
#define FSUB_VAL_MAX	  4096 /* a packed entry: 3 IDs, a prefix, 16 hops */
#define FSUB_META_VERSION "version"
#define FSUB_META_REGION  "region"

struct fsub_ent {
	uint64_t hash;
	uint32_t klen;
	uint32_t vlen;
	uint8_t data[]; /* key, then the packed FibEntry */
};

/* Room for a lookup key shaped as an entry. */
struct fsub_probe {
	uint64_t raw[(sizeof(struct fsub_ent) + FSUB_KEY_MAX + 7) / 8];
};

/* One subscription attempt. */
struct fsub_att {
	struct fibsub *fs; /* NULL once fibsub_stop detached it */
	struct rpc_client *client;
	bool closed; /* rpc_client_close was called */
	bool failed; /* dropped for a bad message */
	bool got;    /* a message came */
	char endpoint[128];
};

struct fibsub {
	uv_loop_t *loop;
	struct fibsub_config cfg;
	char region[FIBMSG_ID_MAX];
	char id[FIBMSG_ID_MAX];
	char *eps[FIBSUB_ENDPOINTS_MAX];
	size_t neps;
	char *data_dir;

	struct hmap map;	  /* the FIB: ent -> ent */
	struct hmap snap;	  /* a snapshot being received: ent -> ent */
	struct fsub_ent **snap_v; /* its entries in the order received
				   * (klen 0: replaced by a later one) */
	size_t snap_n, snap_cap;
	bool in_snap;
	uint64_t snap_version;
	uint64_t version;

	size_t cur;	     /* endpoint being used or tried next */
	size_t fails_in_row; /* attempts that got nothing */
	struct fsub_att *att;
	uv_timer_t retry;
	uv_timer_t commit;
	int handles;
	bool started, stopping;

	MDB_env *env;
	MDB_dbi dbi_ent, dbi_meta;
	MDB_txn *txn;

	struct pbarena msg_arena; /* the message being applied */
	struct pbarena ent_arena; /* one entry being decoded */

	uint64_t snapshots, resumes, failovers, messages;
};

static void fsub_log(struct fibsub *fs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
fsub_log(struct fibsub *fs, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (fs->cfg.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fs->cfg.log(line, fs->cfg.arg);
}

/* ---- entries ------------------------------------------------------- */

static bool
ent_eq(const void *a, const void *b)
{
	const struct fsub_ent *x = a, *y = b;

	return x->klen == y->klen && memcmp(x->data, y->data, x->klen) == 0;
}

static size_t
key_make(uint8_t *k, const char *table, const char *view,
	 const struct prefix *p)
{
	size_t tl = strlen(table), vl = view ? strlen(view) : 0, n = 0;
	size_t al = p->family == PREFIX_AF_INET6 ? 16 : 4;

	memcpy(k, table, tl + 1);
	n += tl + 1;
	if (vl > 0)
		memcpy(k + n, view, vl);
	k[n + vl] = '\0';
	n += vl + 1;
	k[n++] = p->family;
	k[n++] = p->len;
	memcpy(k + n, p->addr.bytes, al);
	return n + al;
}

static struct fsub_ent *
probe_make(struct fsub_probe *pr, const char *table, const char *view,
	   const struct prefix *p)
{
	struct fsub_ent *e = (struct fsub_ent *)pr->raw;

	e->klen = (uint32_t)key_make(e->data, table, view, p);
	e->vlen = 0;
	e->hash = hmap_hash_bytes(e->data, e->klen, 0);
	return e;
}

static struct fsub_ent *
ent_new(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
	struct fsub_ent *e = malloc(sizeof(*e) + klen + vlen);

	if (e == NULL) {
		fprintf(stderr, "fibsub: out of memory\n");
		abort();
	}
	e->klen = (uint32_t)klen;
	e->vlen = (uint32_t)vlen;
	memcpy(e->data, key, klen);
	memcpy(e->data + klen, val, vlen);
	e->hash = hmap_hash_bytes(e->data, klen, 0);
	return e;
}

/* Builds an entry from a checked one: its key and canonical bytes. */
static struct fsub_ent *
ent_from(const struct fibmsg_entry *m)
{
	Cend__V1__FibEntry fe;
	struct fibmsg_entry_buf buf;
	uint8_t key[FSUB_KEY_MAX], val[FSUB_VAL_MAX];
	size_t klen, vlen;

	fibmsg_entry_to(m, &fe, &buf);
	vlen = cend__v1__fib_entry__get_packed_size(&fe);
	if (vlen > sizeof(val))
		return NULL; /* cannot be: bounded IDs and hops */
	cend__v1__fib_entry__pack(&fe, val);
	klen = key_make(key, m->table, m->view, &m->prefix);
	return ent_new(key, klen, val, vlen);
}

/* Decodes a kept entry; a (may be NULL: malloc) holds the unpacked
 * message meanwhile. */
static int
ent_decode(struct pbarena *a, const uint8_t *val, size_t vlen,
	   struct fibmsg_entry *out)
{
	Cend__V1__FibEntry *m;
	int rc;

	m = cend__v1__fib_entry__unpack(a ? &a->alloc : NULL, vlen, val);
	if (m == NULL) {
		rc = -CEN_EPROTO;
	} else {
		rc = fibmsg_entry_decode(m, out, NULL);
		if (a == NULL)
			cend__v1__fib_entry__free_unpacked(m, NULL);
	}
	if (a != NULL)
		pbarena_reset(a);
	return rc;
}

static void
map_free(struct hmap *m)
{
	const void *k;
	void *v;

	for (size_t i = 0; hmap_next(m, &i, &k, &v);)
		free(v);
	hmap_fini(m);
	hmap_init(m, ent_eq);
}

/* Drops the snapshot being received (its list owns every entry). */
static void
snap_free(struct fibsub *fs)
{
	for (size_t i = 0; i < fs->snap_n; i++)
		free(fs->snap_v[i]);
	free(fs->snap_v);
	fs->snap_v = NULL;
	fs->snap_n = fs->snap_cap = 0;
	hmap_fini(&fs->snap);
	hmap_init(&fs->snap, ent_eq);
}

static void
snap_add(struct fibsub *fs, struct fsub_ent *e)
{
	struct fsub_ent *old = NULL;

	if (fs->snap_n == fs->snap_cap) {
		size_t cap = fs->snap_cap ? fs->snap_cap * 2 : 1024;
		struct fsub_ent **v = realloc(fs->snap_v, cap * sizeof(*v));

		if (v == NULL) {
			fprintf(stderr, "fibsub: out of memory\n");
			abort();
		}
		fs->snap_v = v;
		fs->snap_cap = cap;
	}
	fs->snap_v[fs->snap_n++] = e;
	if (hmap_put(&fs->snap, e->hash, e, e, (void **)&old) != 0)
		abort();
	if (old != NULL)
		old->klen = 0; /* replaced; freed with the list */
}

/* ---- LMDB ---------------------------------------------------------- */

static void db_commit(struct fibsub *fs);

static void
db_close(struct fibsub *fs)
{
	if (fs->env == NULL)
		return;
	if (fs->txn != NULL)
		mdb_txn_abort(fs->txn);
	fs->txn = NULL;
	mdb_env_close(fs->env);
	fs->env = NULL;
}

/* A write failed: the copy on disk may now miss changes its version
 * claims, so it is wiped (version 0) and not used any more. */
static void
db_fail(struct fibsub *fs, const char *what, int rc)
{
	MDB_txn *t;

	fsub_log(fs, "FIB copy in %s: %s: %s; no longer kept", fs->data_dir,
		 what, mdb_strerror(rc));
	if (fs->txn != NULL)
		mdb_txn_abort(fs->txn);
	fs->txn = NULL;
	if (mdb_txn_begin(fs->env, NULL, 0, &t) == 0) {
		if (mdb_drop(t, fs->dbi_ent, 0) == 0 &&
		    mdb_drop(t, fs->dbi_meta, 0) == 0)
			mdb_txn_commit(t);
		else
			mdb_txn_abort(t);
	}
	db_close(fs);
}

static void
commit_cb(uv_timer_t *t)
{
	db_commit(t->data);
}

static MDB_txn *
db_txn(struct fibsub *fs)
{
	int rc;

	if (fs->env == NULL)
		return NULL;
	if (fs->txn != NULL)
		return fs->txn;
	if ((rc = mdb_txn_begin(fs->env, NULL, 0, &fs->txn)) != 0) {
		fs->txn = NULL;
		db_fail(fs, "begin", rc);
		return NULL;
	}
	if (!fs->stopping)
		uv_timer_start(&fs->commit, commit_cb, FIBSUB_COMMIT_MS, 0);
	return fs->txn;
}

static void
db_commit(struct fibsub *fs)
{
	int rc;

	if (fs->txn == NULL)
		return;
	rc = mdb_txn_commit(fs->txn);
	fs->txn = NULL;
	if (rc != 0)
		db_fail(fs, "commit", rc);
}

static void
db_put(struct fibsub *fs, const struct fsub_ent *e)
{
	MDB_txn *t = db_txn(fs);
	MDB_val k = { e->klen, (void *)e->data };
	MDB_val v = { e->vlen, (void *)(e->data + e->klen) };
	int rc;

	if (t != NULL && (rc = mdb_put(t, fs->dbi_ent, &k, &v, 0)) != 0)
		db_fail(fs, "put", rc);
}

static void
db_del(struct fibsub *fs, const struct fsub_ent *e)
{
	MDB_txn *t = db_txn(fs);
	MDB_val k = { e->klen, (void *)e->data };
	int rc;

	if (t == NULL)
		return;
	rc = mdb_del(t, fs->dbi_ent, &k, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND)
		db_fail(fs, "delete", rc);
}

static void
db_version(struct fibsub *fs)
{
	MDB_txn *t = db_txn(fs);
	MDB_val k = { strlen(FSUB_META_VERSION), FSUB_META_VERSION };
	uint8_t b[8];
	MDB_val v = { sizeof(b), b };
	int rc;

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(fs->version >> (56 - 8 * i));
	if (t != NULL && (rc = mdb_put(t, fs->dbi_meta, &k, &v, 0)) != 0)
		db_fail(fs, "put version", rc);
}

static int
mkdirs(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return -1;
		buf[i] = path[i];
	}
	return 0;
}

/* Opens DATA_DIR/fib and loads what it holds for our region. */
static int
db_open(struct fibsub *fs, struct cen_err *err)
{
	char path[4200];
	MDB_txn *t = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	size_t bad = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/fib", fs->data_dir);
	if (strlen(path) >= 4096 || mkdirs(path) != 0)
		return cen_errf(err, -CEN_EIO, "%s: cannot create: %s", path,
				strerror(errno));
	rc = mdb_env_create(&fs->env);
	if (rc == 0)
		rc = mdb_env_set_mapsize(fs->env, fs->cfg.map_size);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(fs->env, 2);
	if (rc == 0)
		rc = mdb_env_open(fs->env, path, MDB_NOMETASYNC, 0644);
	if (rc == 0)
		rc = mdb_txn_begin(fs->env, NULL, 0, &t);
	if (rc == 0)
		rc = mdb_dbi_open(t, "entries", MDB_CREATE, &fs->dbi_ent);
	if (rc == 0)
		rc = mdb_dbi_open(t, "meta", MDB_CREATE, &fs->dbi_meta);
	if (rc != 0)
		goto fail;
	k.mv_size = strlen(FSUB_META_REGION);
	k.mv_data = FSUB_META_REGION;
	rc = mdb_get(t, fs->dbi_meta, &k, &v);
	if (rc == 0 && (v.mv_size != strlen(fs->region) ||
			memcmp(v.mv_data, fs->region, v.mv_size) != 0)) {
		/* another region's FIB: start afresh */
		fsub_log(fs, "%s holds the FIB of another region: dropped",
			 path);
		rc = mdb_drop(t, fs->dbi_ent, 0);
		if (rc == 0)
			rc = mdb_drop(t, fs->dbi_meta, 0);
		if (rc != 0)
			goto fail;
		rc = MDB_NOTFOUND;
	}
	if (rc == MDB_NOTFOUND) {
		v.mv_size = strlen(fs->region);
		v.mv_data = fs->region;
		rc = mdb_put(t, fs->dbi_meta, &k, &v, 0);
	}
	if (rc != 0)
		goto fail;
	k.mv_size = strlen(FSUB_META_VERSION);
	k.mv_data = FSUB_META_VERSION;
	rc = mdb_get(t, fs->dbi_meta, &k, &v);
	if (rc == 0 && v.mv_size == 8) {
		const uint8_t *b = v.mv_data;

		fs->version = 0;
		for (int i = 0; i < 8; i++)
			fs->version = fs->version << 8 | b[i];
	} else if (rc != 0 && rc != MDB_NOTFOUND) {
		goto fail;
	}
	if ((rc = mdb_cursor_open(t, fs->dbi_ent, &cur)) != 0)
		goto fail;
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		struct fibmsg_entry m;
		struct fsub_ent *e;

		if (k.mv_size > FSUB_KEY_MAX ||
		    ent_decode(&fs->ent_arena, v.mv_data, v.mv_size, &m) != 0 ||
		    strcmp(m.region, fs->region) != 0) {
			bad++;
			continue;
		}
		e = ent_new(k.mv_data, k.mv_size, v.mv_data, v.mv_size);
		if (hmap_put(&fs->map, e->hash, e, e, NULL) != 0)
			abort();
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		goto fail;
	if (bad > 0) {
		/* not what we wrote: trust none of it */
		fsub_log(fs, "%s: %zu entries do not decode: dropped", path,
			 bad);
		map_free(&fs->map);
		fs->version = 0;
		rc = mdb_drop(t, fs->dbi_ent, 0);
		if (rc == 0)
			rc = mdb_del(t, fs->dbi_meta, &k, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			goto fail;
	}
	if ((rc = mdb_txn_commit(t)) != 0) {
		t = NULL;
		goto fail;
	}
	return 0;
fail:
	if (t != NULL)
		mdb_txn_abort(t);
	if (fs->env != NULL)
		mdb_env_close(fs->env);
	fs->env = NULL;
	map_free(&fs->map);
	fs->version = 0;
	return cen_errf(err, -CEN_EIO, "%s: %s", path, mdb_strerror(rc));
}

/* ---- applying messages --------------------------------------------- */

static void
change(struct fibsub *fs, const struct fibmsg_entry *m)
{
	if (fs->cfg.change != NULL && !fs->stopping)
		fs->cfg.change(m, fs->cfg.arg);
}

static void
synced(struct fibsub *fs, bool snapshot)
{
	if (fs->cfg.synced != NULL && !fs->stopping)
		fs->cfg.synced(fs->version, snapshot, fs->cfg.arg);
}

/* Puts (or, withdrawn, removes) one checked entry in the FIB. */
static void
apply_entry(struct fibsub *fs, const struct fibmsg_entry *m)
{
	struct fsub_probe pr;
	struct fsub_ent *e, *old;

	if (m->withdrawn) {
		e = probe_make(&pr, m->table, m->view, &m->prefix);
		old = hmap_del(&fs->map, e->hash, e);
		if (old == NULL)
			return; /* nothing held: no change */
		db_del(fs, old);
		free(old);
		change(fs, m);
		return;
	}
	if ((e = ent_from(m)) == NULL)
		return;
	old = hmap_get(&fs->map, e->hash, e);
	if (old != NULL && old->vlen == e->vlen &&
	    memcmp(old->data + old->klen, e->data + e->klen, e->vlen) == 0) {
		free(e);
		return;
	}
	if (hmap_put(&fs->map, e->hash, e, e, NULL) != 0)
		abort();
	free(old);
	db_put(fs, e);
	change(fs, m);
}

/* The snapshot is complete: the FIB becomes it, and the callbacks get
 * the differences. */
static void
snapshot_done(struct fibsub *fs)
{
	struct fibmsg_entry m;
	const void *k;
	void *v;

	for (size_t i = 0; hmap_next(&fs->map, &i, &k, &v);) {
		struct fsub_ent *old = v;

		if (hmap_get(&fs->snap, old->hash, old) != NULL)
			continue;
		db_del(fs, old);
		if (fs->cfg.change != NULL &&
		    ent_decode(&fs->ent_arena, old->data + old->klen, old->vlen,
			       &m) == 0) {
			m.withdrawn = true;
			m.no_route = false;
			m.n = 0;
			change(fs, &m);
		}
	}
	/* in the order the node sent them (fibsub_stop from a callback
	 * empties the list) */
	for (size_t i = 0; i < fs->snap_n; i++) {
		struct fsub_ent *e = fs->snap_v[i], *old;

		if (e->klen == 0)
			continue;
		old = hmap_get(&fs->map, e->hash, e);
		if (old != NULL && old->vlen == e->vlen &&
		    memcmp(old->data + old->klen, e->data + e->klen, e->vlen) ==
			    0)
			continue;
		db_put(fs, e);
		if (fs->cfg.change != NULL &&
		    ent_decode(&fs->ent_arena, e->data + e->klen, e->vlen,
			       &m) == 0)
			change(fs, &m);
	}
	map_free(&fs->map);
	fs->map = fs->snap;
	hmap_init(&fs->snap, ent_eq);
	for (size_t i = 0; i < fs->snap_n; i++)
		if (fs->snap_v[i]->klen == 0)
			free(fs->snap_v[i]);
	free(fs->snap_v);
	fs->snap_v = NULL;
	fs->snap_n = fs->snap_cap = 0;
	fs->in_snap = false;
	fs->version = fs->snap_version;
	db_version(fs);
	fs->snapshots++;
	fsub_log(fs, "snapshot at version %llu: %zu entries",
		 (unsigned long long)fs->version, (size_t)fs->map.count);
	synced(fs, true);
}

/* Checks every entry of a message before any is applied. */
static int
check_entries(struct fibsub *fs, Cend__V1__FibEntry **v, size_t n,
	      struct cen_err *err)
{
	struct fibmsg_entry m;

	for (size_t i = 0; i < n; i++) {
		if (fibmsg_entry_decode(v[i], &m, err) != 0)
			return cen_err_prefix(err, "entries[%zu]: ", i);
		if (strcmp(m.region, fs->region) != 0)
			return cen_errf(err, -CEN_EPROTO,
					"entries[%zu]: region %s, not %s", i,
					m.region, fs->region);
	}
	return 0;
}

static int
on_snapshot(struct fibsub *fs, const Cend__V1__FibSnapshot *s,
	    struct cen_err *err)
{
	struct fibmsg_entry m;
	int rc;

	if (fs->in_snap && s->version != fs->snap_version)
		return cen_errf(err, -CEN_EPROTO,
				"snapshot chunk of version %llu inside the "
				"snapshot of %llu",
				(unsigned long long)s->version,
				(unsigned long long)fs->snap_version);
	if (!fs->in_snap) {
		snap_free(fs);
		fs->in_snap = true;
		fs->snap_version = s->version;
	}
	/* checked as they come: a bad chunk drops the stream, and with it
	 * the snapshot collected aside, so nothing of it is applied */
	for (size_t i = 0; i < s->n_entries; i++) {
		struct fsub_ent *e;

		if ((rc = fibmsg_entry_decode(s->entries[i], &m, err)) != 0)
			return cen_err_prefix(err, "entries[%zu]: ", i);
		if (strcmp(m.region, fs->region) != 0)
			return cen_errf(err, -CEN_EPROTO,
					"entries[%zu]: region %s, not %s", i,
					m.region, fs->region);
		if (m.withdrawn || (e = ent_from(&m)) == NULL)
			continue;
		snap_add(fs, e);
	}
	if (!s->more)
		snapshot_done(fs);
	return 0;
}

static int
on_delta(struct fibsub *fs, const Cend__V1__FibDelta *d, struct cen_err *err)
{
	struct fibmsg_entry m;
	int rc;

	if (fs->in_snap)
		return cen_errf(err, -CEN_EPROTO,
				"a delta before the snapshot of %llu was "
				"complete",
				(unsigned long long)fs->snap_version);
	if (d->version < fs->version)
		return cen_errf(err, -CEN_EPROTO,
				"delta of version %llu after %llu",
				(unsigned long long)d->version,
				(unsigned long long)fs->version);
	if ((rc = check_entries(fs, d->entries, d->n_entries, err)) != 0)
		return rc;
	for (size_t i = 0; i < d->n_entries; i++) {
		fibmsg_entry_decode(d->entries[i], &m, NULL);
		apply_entry(fs, &m);
	}
	if (d->more || (d->version == fs->version && d->n_entries == 0))
		return 0; /* a chunk, or a keepalive */
	fs->version = d->version;
	db_version(fs);
	synced(fs, false);
	return 0;
}

static int
on_message(struct fibsub *fs, struct fsub_att *a, const uint8_t *payload,
	   size_t len, struct cen_err *err)
{
	Cend__V1__SubscribeFibResponse *r;
	bool first = !a->got;
	int rc;

	r = cend__v1__subscribe_fib_response__unpack(&fs->msg_arena.alloc, len,
						     payload);
	if (r == NULL) {
		pbarena_reset(&fs->msg_arena);
		return cen_errf(err, -CEN_EPROTO,
				"a message that is not a "
				"SubscribeFibResponse");
	}
	a->got = true;
	fs->messages++;
	switch (r->msg_case) {
	case CEND__V1__SUBSCRIBE_FIB_RESPONSE__MSG_SNAPSHOT:
		rc = on_snapshot(fs, r->snapshot, err);
		break;
	case CEND__V1__SUBSCRIBE_FIB_RESPONSE__MSG_DELTA:
		if (first) {
			fs->resumes++;
			fsub_log(fs, "%s: resumed from version %llu",
				 a->endpoint, (unsigned long long)fs->version);
		}
		rc = on_delta(fs, r->delta, err);
		break;
	default:
		rc = cen_errf(err, -CEN_EPROTO,
			      "a message with neither snapshot nor delta");
	}
	pbarena_reset(&fs->msg_arena);
	return rc;
}

/* ---- connections --------------------------------------------------- */

static void subscribe(struct fibsub *fs);

static void
retry_cb(uv_timer_t *t)
{
	subscribe(t->data);
}

/* The stream of an attempt is over: the next endpoint, now or after a
 * pause once every endpoint failed in a row. */
static void
stream_over(struct fibsub *fs, bool healthy)
{
	uint64_t delay = 0;

	fs->failovers++;
	fs->in_snap = false;
	snap_free(fs);
	db_commit(fs);
	fs->cur = (fs->cur + 1) % fs->neps;
	if (healthy) {
		fs->fails_in_row = 0;
	} else if (++fs->fails_in_row >= fs->neps) {
		fs->fails_in_row = 0;
		delay = fs->cfg.retry_ms;
	}
	uv_timer_start(&fs->retry, retry_cb, delay, 0);
}

static void
att_close(struct fsub_att *a)
{
	if (!a->closed)
		rpc_client_close(a->client);
	a->closed = true;
}

static void
on_stream(rpc_status status, const char *message, const uint8_t *payload,
	  size_t len, bool eos, void *arg)
{
	struct fsub_att *a = arg;
	struct fibsub *fs = a->fs;
	struct cen_err err = { 0 };

	if (fs != NULL && !a->failed && status == RPC_OK && len > 0 &&
	    on_message(fs, a, payload, len, &err) != 0 && a->fs != NULL) {
		fsub_log(fs, "%s: bad message, dropping the stream: %s",
			 a->endpoint, err.msg);
		a->failed = true;
		att_close(a);
	}
	if (!eos)
		return;
	fs = a->fs; /* a callback may have stopped it */
	if (fs != NULL) {
		if (!a->failed)
			fsub_log(fs, "%s: stream ended: %s%s%s", a->endpoint,
				 rpc_status_str(status), message ? ": " : "",
				 message ? message : "");
		fs->att = NULL;
		stream_over(fs, a->got && !a->failed);
	}
	att_close(a);
	free(a);
}

static void
subscribe(struct fibsub *fs)
{
	Cend__V1__SubscribeFibRequest req =
		CEND__V1__SUBSCRIBE_FIB_REQUEST__INIT;
	struct fsub_att *a;
	uint8_t buf[256];
	size_t len;
	int rc;

	if (fs->stopping || fs->att != NULL)
		return;
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    rpc_client_new(fs->loop, &a->client) != 0) {
		free(a);
		fsub_log(fs, "out of memory; trying again");
		uv_timer_start(&fs->retry, retry_cb, fs->cfg.retry_ms, 0);
		return;
	}
	a->fs = fs;
	snprintf(a->endpoint, sizeof(a->endpoint), "%s", fs->eps[fs->cur]);
	req.region = fs->region;
	req.resume_version = fs->version;
	req.subscriber_id = fs->id;
	len = cend__v1__subscribe_fib_request__get_packed_size(&req);
	cend__v1__subscribe_fib_request__pack(&req, buf);
	rc = rpc_client_call(a->client, a->endpoint, FSUB_METHOD, buf, len,
			     fs->cfg.idle_timeout_ms, on_stream, a);
	if (rc != 0) {
		fsub_log(fs, "%s: %s", a->endpoint, cen_strerror(rc));
		att_close(a);
		free(a);
		stream_over(fs, false);
		return;
	}
	fs->att = a;
	fsub_log(fs, "subscribing to %s for %s from version %llu", a->endpoint,
		 fs->region, (unsigned long long)fs->version);
}

/* ---- setup --------------------------------------------------------- */

int
fibsub_new(uv_loop_t *loop, const struct fibsub_config *cfg,
	   struct fibsub **out, struct cen_err *err)
{
	struct fibsub *fs;
	int rc;

	if (cfg->region == NULL || !model_id_valid(cfg->region))
		return cen_errf(err, -CEN_EINVAL,
				"region: expected an ID (1..63 of A-Z a-z "
				"0-9 . _ -)");
	if (cfg->nendpoints == 0 || cfg->nendpoints > FIBSUB_ENDPOINTS_MAX)
		return cen_errf(err, -CEN_EINVAL,
				"endpoints: expected 1..%d, got %zu",
				FIBSUB_ENDPOINTS_MAX, cfg->nendpoints);
	for (size_t i = 0; i < cfg->nendpoints; i++) {
		struct rpc_endpoint ep;

		if (strlen(cfg->endpoints[i]) >= 128 ||
		    rpc_endpoint_parse(&ep, cfg->endpoints[i], err) != 0)
			return cen_errf(err, -CEN_EINVAL,
					"endpoint '%s': expected HOST:PORT "
					"or unix:/path",
					cfg->endpoints[i]);
	}
	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return cen_errf(err, -CEN_ENOMEM, "out of memory");
	fs->loop = loop;
	fs->cfg = *cfg;
	if (fs->cfg.retry_ms == 0)
		fs->cfg.retry_ms = 500;
	if (fs->cfg.idle_timeout_ms == 0)
		fs->cfg.idle_timeout_ms = 15000;
	if (fs->cfg.map_size == 0)
		fs->cfg.map_size = (size_t)1 << 30;
	snprintf(fs->region, sizeof(fs->region), "%s", cfg->region);
	for (const char *p = cfg->subscriber_id; p && *p; p++) {
		size_t n = strlen(fs->id);

		if (n + 1 < sizeof(fs->id) && *p > ' ' && *p < 0x7f) {
			fs->id[n] = *p;
			fs->id[n + 1] = '\0';
		}
	}
	fs->cfg.region = fs->region;
	fs->cfg.subscriber_id = fs->id;
	fs->cfg.endpoints = NULL;
	fs->cfg.data_dir = NULL;
	hmap_init(&fs->map, ent_eq);
	hmap_init(&fs->snap, ent_eq);
	pbarena_init(&fs->msg_arena);
	pbarena_init(&fs->ent_arena);
	for (size_t i = 0; i < cfg->nendpoints; i++)
		if ((fs->eps[fs->neps++] = strdup(cfg->endpoints[i])) == NULL)
			goto nomem;
	if (cfg->data_dir != NULL) {
		if ((fs->data_dir = strdup(cfg->data_dir)) == NULL)
			goto nomem;
		if ((rc = db_open(fs, err)) != 0) {
			fibsub_stop(fs);
			return rc;
		}
	} else {
		fs->version = cfg->resume_version;
	}
	uv_timer_init(loop, &fs->retry);
	uv_timer_init(loop, &fs->commit);
	fs->retry.data = fs->commit.data = fs;
	fs->handles = 2;
	*out = fs;
	return 0;
nomem:
	fibsub_stop(fs);
	return cen_errf(err, -CEN_ENOMEM, "out of memory");
}

int
fibsub_start(struct fibsub *fs)
{
	struct fibmsg_entry m;
	const void *k;
	void *v;

	if (fs->started)
		return -CEN_EINVAL;
	fs->started = true;
	if (fs->env != NULL && (fs->map.count > 0 || fs->version > 0)) {
		for (size_t i = 0; hmap_next(&fs->map, &i, &k, &v);) {
			struct fsub_ent *e = v;

			if (ent_decode(&fs->ent_arena, e->data + e->klen,
				       e->vlen, &m) == 0)
				change(fs, &m);
		}
		fsub_log(fs, "loaded %zu entries at version %llu",
			 (size_t)fs->map.count,
			 (unsigned long long)fs->version);
		if (fs->version > 0)
			synced(fs, true);
	}
	subscribe(fs);
	return 0;
}

/* The arenas go last: fibsub_stop may be called from a callback while
 * the message it came in is still in use. */
static void
fs_free(struct fibsub *fs)
{
	pbarena_fini(&fs->msg_arena);
	pbarena_fini(&fs->ent_arena);
	free(fs);
}

static void
handle_closed(uv_handle_t *h)
{
	struct fibsub *fs = h->data;

	if (--fs->handles == 0)
		fs_free(fs);
}

void
fibsub_stop(struct fibsub *fs)
{
	fs->stopping = true;
	if (fs->att != NULL) {
		fs->att->fs = NULL;
		att_close(fs->att);
		fs->att = NULL;
	}
	db_commit(fs);
	db_close(fs);
	map_free(&fs->map);
	snap_free(fs);
	hmap_fini(&fs->map);
	hmap_fini(&fs->snap);
	for (size_t i = 0; i < fs->neps; i++)
		free(fs->eps[i]);
	fs->neps = 0;
	free(fs->data_dir);
	fs->data_dir = NULL;
	if (fs->handles == 0) {
		fs_free(fs); /* fibsub_new failed before the timers */
		return;
	}
	uv_close((uv_handle_t *)&fs->retry, handle_closed);
	uv_close((uv_handle_t *)&fs->commit, handle_closed);
}

/* ---- reads --------------------------------------------------------- */

uint64_t
fibsub_version(const struct fibsub *fs)
{
	return fs->version;
}

size_t
fibsub_count(const struct fibsub *fs)
{
	return fs->map.count;
}

void
fibsub_get_status(const struct fibsub *fs, struct fibsub_status *st)
{
	memset(st, 0, sizeof(*st));
	st->endpoint = fs->att != NULL ? fs->att->endpoint : NULL;
	st->streaming = fs->att != NULL && fs->att->got;
	st->version = fs->version;
	st->entries = fs->map.count;
	st->snapshots = fs->snapshots;
	st->resumes = fs->resumes;
	st->failovers = fs->failovers;
	st->messages = fs->messages;
	st->persisted = fs->env != NULL;
}

int
fibsub_get(const struct fibsub *fs, const char *table, const char *view,
	   const struct prefix *p, struct fibmsg_entry *out)
{
	struct fsub_probe pr;
	const struct fsub_ent *e;

	if (strlen(table) >= FIBMSG_ID_MAX ||
	    (view != NULL && strlen(view) >= FIBMSG_ID_MAX))
		return -CEN_ENOENT;
	e = probe_make(&pr, table, view, p);
	e = hmap_get(&fs->map, e->hash, e);
	if (e == NULL)
		return -CEN_ENOENT;
	return ent_decode(NULL, e->data + e->klen, e->vlen, out);
}

int
fibsub_foreach(const struct fibsub *fs,
	       int (*cb)(const struct fibmsg_entry *e, void *arg), void *arg)
{
	struct fibmsg_entry m;
	const void *k;
	void *v;
	int rc;

	for (size_t i = 0; hmap_next(&fs->map, &i, &k, &v);) {
		const struct fsub_ent *e = v;

		if (ent_decode(NULL, e->data + e->klen, e->vlen, &m) != 0)
			continue;
		if ((rc = cb(&m, arg)) != 0)
			return rc;
	}
	return 0;
}
