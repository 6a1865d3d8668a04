/*
 * node.c - one cend cluster node (node.h): canonical/raft with its libuv
 * I/O and TCP transport, the FSM that applies batches of commands to the
 * engine and the store, batching on the leader, forwarding on followers,
 * membership.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <raft.h>
#include <raft/uv.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "consensus/apply.h"
#include "consensus/node.h"
#include "consensus/store.h"
#include "proto/admin.pb-c.h"
#include "proto/cmddec.h"
#include "proto/command.pb-c.h"
#include "proto/pbarena.h"
#include "proto/pbwire.h"
#include "proto/rpc.h"

#define NODE_FORWARD_TIMEOUT_MS 10000
#define NODE_INFLIGHT_MAX	1
#define NODE_LATER_MAX		(64u << 20) /* bytes of entries deferred */
#define NODE_TXN_ENTRIES	8	    /* entries per store transaction */
#define NODE_TXN_DELAY_MS	20	    /* see store_flush */
#define NODE_TXN_CHANGES	16384	    /* paths per store transaction */
#define NODE_LATER_DELAY_MS	1	    /* see later_push */

struct batch_req;

/* A committed entry applied on a later loop turn (see fsm_apply). */
struct later {
	struct later *next;
	struct batch_req *br; /* the leader's, answered once applied */
	uint64_t index;
	size_t len;
	uint8_t buf[];
};

/* A proposal waiting for its entry to apply. */
struct proposal {
	struct proposal *next;
	uint8_t *cmd;
	size_t len;
	node_propose_cb cb;
	void *arg;
	bool forwarded; /* a follower waits to apply it too */
};

/* Per-command outcome of an applied batch, handed to the leader's apply
 * callback through raft's result pointer. */
struct batch_result {
	uint64_t index;
	size_t n;
	struct {
		int rc;
		char *msg;
	} r[];
};

struct batch_req {
	struct raft_apply req;
	struct node *node;
	struct proposal *props; /* in command order */
	size_t n;
};

struct node {
	uv_loop_t *loop;
	struct node_config cfg;
	/* the size of an applied entry, averaged (bytes << 4), for the
	 * snapshot threshold (fsm_snapshot) */
	uint64_t entry_avg16;
	struct raft raft;
	struct raft_io io;
	struct raft_uv_transport transport;
	/* the TCP transport's own listen and connect, and raft's accept
	 * callback (see tcp_nodelay) */
	int (*tcp_listen)(struct raft_uv_transport *t, raft_uv_accept_cb cb);
	int (*tcp_connect)(struct raft_uv_transport *t,
			   struct raft_uv_connect *req, raft_id id,
			   const char *address, raft_uv_connect_cb cb);
	raft_uv_accept_cb raft_accept;
	struct raft_fsm fsm;
	struct store *store;
	/* the engine's attribute sets, kept across engine rebuilds and
	 * shared with the BGP speaker (node_attrs) */
	struct attr_store attrs;
	struct engine *engine;
	struct rpc_client *client;

	struct proposal *queue, *queue_tail; /* not yet in an entry */
	size_t queued_bytes;
	size_t inflight;
	struct raft_barrier *barrier; /* telling followers the commit index */
	bool notify;		      /* commit_notify on the next flush */
	struct pbarena arena;	      /* the entry being applied, unpacked */
	struct pbarena check;	      /* node_propose's decode check */
	struct later *later, *later_tail; /* see fsm_apply */
	size_t later_bytes;
	uv_idle_t later_idle;
	uv_timer_t later_timer;
	struct store_txn *txn; /* see store_flush */
	uint64_t txn_index, txn_term;
	unsigned txn_entries;
	uint64_t applied; /* last entry applied, committed or not */
	uv_idle_t commit_idle;
	uv_timer_t commit_timer;
	uv_timer_t flush_timer;
	uv_timer_t announce_timer;
	struct batch_result *unclaimed; /* result nobody took */
	struct forward *parked;		/* forwarded writes not applied here */

	struct node_member members[NODE_MAX_MEMBERS]; /* API addresses */
	size_t nmembers;
	bool announced; /* our MemberInfo is applied with current values */

	struct node_listener *listeners;
	uint64_t seen_leader, seen_term; /* for leader events */
	struct {
		uint64_t id;
		uint64_t last; /* uv_now when last heard of */
		bool gone;     /* reported to listeners */
	} alive[NODE_MAX_MEMBERS];
	uint64_t applying_index;

	void (*stop_cb)(void *);
	void *stop_arg;
	int closing;
};

static void
log_msg(struct node *n, const char *fmt, const char *detail)
{
	fprintf(stderr, "cend[%llu]: ", (unsigned long long)n->cfg.id);
	fprintf(stderr, fmt, detail);
	fputc('\n', stderr);
}

/* ---- members file -------------------------------------------------- */

static void
members_path(struct node *n, char *buf, size_t size)
{
	snprintf(buf, size, "%s/members", n->cfg.data_dir);
}

static void
members_save(struct node *n)
{
	char path[4200], tmp[4300];
	FILE *f;

	members_path(n, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		return;
	for (size_t i = 0; i < n->nmembers; i++)
		fprintf(f, "%llu %s %s\n", (unsigned long long)n->members[i].id,
			n->members[i].raft_addr, n->members[i].api_addr);
	if (fclose(f) == 0)
		rename(tmp, path);
}

static void
members_load(struct node *n)
{
	char path[4200], raft[NODE_ADDR_MAX], api[NODE_ADDR_MAX];
	unsigned long long id;
	FILE *f;

	members_path(n, path, sizeof(path));
	f = fopen(path, "r");
	if (f == NULL)
		return;
	while (n->nmembers < NODE_MAX_MEMBERS &&
	       fscanf(f, "%llu %63s %63s", &id, raft, api) == 3) {
		struct node_member *m = &n->members[n->nmembers++];

		m->id = id;
		snprintf(m->raft_addr, sizeof(m->raft_addr), "%s", raft);
		snprintf(m->api_addr, sizeof(m->api_addr), "%s", api);
		/* the file holds applied MemberInfo: a restart with the same
		 * addresses has nothing to announce (no entry per restart) */
		if (id == n->cfg.id &&
		    strcmp(m->api_addr, n->cfg.api_addr) == 0 &&
		    strcmp(m->raft_addr, n->cfg.raft_addr) == 0)
			n->announced = true;
	}
	fclose(f);
}

static struct node_member *
member_find(struct node *n, uint64_t id)
{
	for (size_t i = 0; i < n->nmembers; i++)
		if (n->members[i].id == id)
			return &n->members[i];
	return NULL;
}

static void
member_hook(const Cend__V1__MemberInfo *mi, void *arg)
{
	struct node *n = arg;
	struct node_member *m = member_find(n, mi->id);

	if (m == NULL) {
		if (n->nmembers == NODE_MAX_MEMBERS)
			return;
		m = &n->members[n->nmembers++];
	}
	m->id = mi->id;
	snprintf(m->raft_addr, sizeof(m->raft_addr), "%s",
		 mi->raft_addr ? mi->raft_addr : "");
	snprintf(m->api_addr, sizeof(m->api_addr), "%s",
		 mi->api_addr ? mi->api_addr : "");
	if (mi->id == n->cfg.id && strcmp(m->api_addr, n->cfg.api_addr) == 0 &&
	    strcmp(m->raft_addr, n->cfg.raft_addr) == 0)
		n->announced = true;
	members_save(n);
}

/* ---- entry encoding ------------------------------------------------ */

/* An entry is "CEN1", the batch's length (u32 little-endian), the packed
 * cend.v1.Batch, then zeros up to a multiple of 8 bytes. */
#define ENTRY_HDR   8
#define ENTRY_MAGIC "CEN1"

static void
entry_hdr_put(void *base, size_t plen)
{
	uint8_t *p = base;

	memcpy(p, ENTRY_MAGIC, 4);
	p[4] = (uint8_t)plen;
	p[5] = (uint8_t)(plen >> 8);
	p[6] = (uint8_t)(plen >> 16);
	p[7] = (uint8_t)(plen >> 24);
}

static Cend__V1__Batch *
entry_batch(const struct raft_buffer *buf, struct pbarena *arena)
{
	const uint8_t *p = buf->base;
	size_t plen;

	if (buf->len < ENTRY_HDR || memcmp(p, ENTRY_MAGIC, 4) != 0)
		return NULL;
	plen = (size_t)p[4] | (size_t)p[5] << 8 | (size_t)p[6] << 16 |
	       (size_t)p[7] << 24;
	if (plen > buf->len - ENTRY_HDR)
		return NULL;
	return cmddec_batch(arena, p + ENTRY_HDR, plen);
}

/* Wire format of a length-delimited field (tag, varint length, bytes), so
 * that a Batch of packed commands, or a ProposeRequest around one, is
 * written without unpacking and repacking the commands. */
#define BATCH_COMMANDS_TAG  0x0a /* Batch.commands: field 1, bytes */
#define PROPOSE_COMMAND_TAG 0x0a /* ProposeRequest.command: field 1 */

static uint8_t *
put_field(uint8_t *w, uint8_t tag, const uint8_t *data, size_t len)
{
	*w++ = tag;
	w = pbwire_vput(w, len);
	memcpy(w, data, len);
	return w + len;
}

/* ---- the FSM ------------------------------------------------------- */

static void parked_release(struct node *n, bool all);

/* fsm_apply's result for an entry it deferred: batch_applied hands the
 * proposals to the deferred entry, answered when it is applied. */
static struct batch_result later_result;

static void
result_free(struct batch_result *r)
{
	if (r == NULL || r == &later_result)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->r[i].msg);
	free(r);
}

static void
engine_delta(const struct engine_delta *d, void *arg)
{
	struct node *n = arg;

	for (struct node_listener *l = n->listeners; l != NULL; l = l->next)
		if (l->delta != NULL)
			l->delta(d, n->applying_index, l->arg);
}

static void
emit_event(struct node *n, uint64_t index, const char *kind, const char *text)
{
	for (struct node_listener *l = n->listeners; l != NULL; l = l->next)
		if (l->event != NULL)
			l->event(index, kind, text, l->arg);
}

/* Whether a listener takes events (`watch events`): the FIB stream and
 * the speaker listen to every entry, but only a watcher reads the text. */
static bool
wants_events(const struct node *n)
{
	for (const struct node_listener *l = n->listeners; l != NULL;
	     l = l->next)
		if (l->event != NULL)
			return true;
	return false;
}

/* The paths a PathUpdate adds: its adds and its groups' prefixes (up to
 * the first malformed one). */
static size_t
paths_added(const Cend__V1__PathUpdate *u)
{
	size_t n = u->n_adds;

	for (size_t i = 0; i < u->n_groups; i++) {
		struct store_prefix_iter it;
		struct prefix p;

		store_prefix_iter_init(&it, u->groups[i]->prefixes.data,
				       u->groups[i]->prefixes.len, i);
		while (store_prefix_iter_next(&it, &p, NULL) > 0)
			n++;
	}
	return n;
}

/* One line saying what an applied command did, for `watch events`. */
static void
describe(const Cend__V1__Command *c, int rc, char *buf, size_t size)
{
	int w;

	switch (c->cmd_case) {
	case CEND__V1__COMMAND__CMD_APPLY_YAML:
		w = snprintf(buf, size, "apply (whole configuration)");
		break;
	case CEND__V1__COMMAND__CMD_MERGE_YAML:
		w = snprintf(buf, size, "put (configuration objects)");
		break;
	case CEND__V1__COMMAND__CMD_DELETE:
		w = snprintf(buf, size, "delete %s",
			     c->delete_ && c->delete_->id ? c->delete_->id
							  : "");
		break;
	case CEND__V1__COMMAND__CMD_PATHS:
		w = snprintf(buf, size, "paths %s: +%zu -%zu",
			     c->paths->attachment, paths_added(c->paths),
			     c->paths->n_withdraws);
		break;
	case CEND__V1__COMMAND__CMD_HEALTH:
		w = snprintf(buf, size, "health %s %s", c->health->attachment,
			     c->health->up ? "up" : "down");
		break;
	case CEND__V1__COMMAND__CMD_FLUSH:
		w = snprintf(buf, size, "flush %s", c->flush->attachment);
		break;
	case CEND__V1__COMMAND__CMD_MEMBER:
		w = snprintf(buf, size, "member %llu at %s",
			     (unsigned long long)c->member->id,
			     c->member->api_addr);
		break;
	case CEND__V1__COMMAND__CMD_REGION_STATE:
		w = snprintf(buf, size, "region %s %s", c->region_state->region,
			     c->region_state->reachable ? "reachable"
							: "unreachable");
		break;
	default:
		w = snprintf(buf, size, "unknown command");
	}
	if (rc != 0 && w > 0 && (size_t)w < size)
		snprintf(buf + w, size - (size_t)w, " (refused: %s)",
			 cen_strerror(rc));
}

static void
engine_touch(const char *region, const char *table, const struct prefix *p,
	     bool gone, void *arg)
{
	struct node *n = arg;

	for (struct node_listener *l = n->listeners; l != NULL; l = l->next)
		if (l->touch != NULL)
			l->touch(region, table, p, gone, l->arg);
}

static void
flushed_hook(const char *attachment, const struct prefix *peer, uint8_t node,
	     void *arg)
{
	struct node *n = arg;

	for (struct node_listener *l = n->listeners; l != NULL; l = l->next)
		if (l->flushed != NULL)
			l->flushed(attachment, peer, node, l->arg);
}

/*
 * The store transaction of the entries applied last: committed (one
 * fdatasync) once it holds NODE_TXN_ENTRIES entries or NODE_TXN_CHANGES
 * path writes (LMDB holds a malloc'd copy of every page the transaction
 * dirties, and keeps those buffers afterwards), or NODE_TXN_DELAY_MS
 * after the node has applied what it had (under a steady stream of
 * entries several share a commit, and the B-tree pages they share are
 * written once); before a snapshot, a restore and on stop.  Only
 * snapshots read the store, and answers never waited for the commit.  The
 * store still holds the state after whole entries, with the index of the
 * last one; a crash loses the uncommitted ones from the store only, and
 * Raft applies them again from its log after the start.
 */
static void
store_flush(struct node *n)
{
	int rc;

	if (n->txn == NULL)
		return;
	rc = store_txn_commit(n->txn, n->txn_index, n->txn_term);
	n->txn = NULL;
	n->txn_entries = 0;
	if (rc != 0) {
		fprintf(stderr,
			"cend: store: commit of entry %llu failed: %s\n",
			(unsigned long long)n->txn_index, cen_strerror(rc));
		abort();
	}
}

static void
commit_timer_cb(uv_timer_t *t)
{
	store_flush(t->data);
}

static void
commit_idle_cb(uv_idle_t *h)
{
	struct node *n = h->data;

	/* with more entries to apply first, the next apply_entry starts this
	 * again (no spinning while they wait for later_timer) */
	uv_idle_stop(h);
	if (n->txn_entries >= NODE_TXN_ENTRIES ||
	    (n->txn != NULL && store_txn_changes(n->txn) >= NODE_TXN_CHANGES))
		store_flush(n);
	else if (n->later == NULL && n->txn != NULL && !n->closing &&
		 !uv_is_active((uv_handle_t *)&n->commit_timer))
		uv_timer_start(&n->commit_timer, commit_timer_cb,
			       NODE_TXN_DELAY_MS, 0);
}

/* Applies entry `index` to the engine and the store; returns the outcome
 * of each of its commands (NULL for an entry that is not a batch). */
static struct batch_result *
apply_entry(struct node *n, uint64_t index, const struct raft_buffer *buf)
{
	struct apply_hooks hooks = { .member = member_hook,
				     .flushed = flushed_hook,
				     .arg = n };
	Cend__V1__Batch *b;
	struct batch_result *res;
	struct store_txn *t;
	int rc;

	/* the batch lives in the arena until the end of the entry */
	b = entry_batch(buf, &n->arena);
	if (b == NULL) {
		/* cannot happen for entries we wrote; never take the node
		 * down over it, but say so */
		char what[64];

		snprintf(what, sizeof(what), "%llu (%zu bytes, first %02x)",
			 (unsigned long long)index, buf->len,
			 buf->len ? ((uint8_t *)buf->base)[0] : 0);
		log_msg(n, "entry %s does not decode as a batch: skipped",
			what);
		pbarena_reset(&n->arena);
		return NULL;
	}
	res = calloc(1, sizeof(*res) + b->n_commands * sizeof(res->r[0]));
	if (res == NULL)
		abort();
	res->index = index;
	res->n = b->n_commands;
	if (n->txn == NULL) {
		rc = store_txn_begin(n->store, &n->txn);
		if (rc != 0) {
			fprintf(stderr,
				"cend: store: cannot begin a transaction: "
				"%s\n",
				cen_strerror(rc));
			abort(); /* the store is gone: no way to stay
				  * consistent */
		}
	}
	t = n->txn;
	n->applying_index = index;
	for (size_t i = 0; i < b->n_commands; i++) {
		struct cen_err err = { 0 };

		rc = apply_command(n->engine, t, b->commands[i], &hooks, &err);
		/* jobs run to completion inside the entry so every node's
		 * state after an entry is the same */
		engine_drain(n->engine);
		res->r[i].rc = rc;
		if (wants_events(n)) {
			char text[256];

			describe(b->commands[i], rc, text, sizeof(text));
			emit_event(n, index, "command", text);
		}
		for (struct node_listener *l = n->listeners; l != NULL;
		     l = l->next)
			if (l->command != NULL)
				l->command(index, b->commands[i], rc, l->arg);
		if (rc != 0)
			res->r[i].msg =
				strdup(err.msg[0] ? err.msg : cen_strerror(rc));
	}
	/* committed with the entries that follow it (store_flush) */
	n->txn_index = index;
	n->txn_term = n->raft.current_term;
	n->txn_entries++;
	n->applied = index;
	if (!n->closing)
		uv_idle_start(&n->commit_idle, commit_idle_cb);
	pbarena_reset(&n->arena);
	if (n->parked != NULL)
		parked_release(n, false);
	for (struct node_listener *l = n->listeners; l != NULL; l = l->next)
		if (l->applied != NULL)
			l->applied(index, l->arg);
	return res;
}

static void batch_answer(struct node *n, struct batch_req *br, int status,
			 struct batch_result *res);

/* Applies the oldest deferred entry; false when there is none. */
static bool
later_apply_one(struct node *n)
{
	struct later *l = n->later;
	struct raft_buffer buf;
	struct batch_result *res;

	if (l == NULL)
		return false;
	n->later = l->next;
	if (n->later == NULL)
		n->later_tail = NULL;
	n->later_bytes -= l->len;
	buf.base = l->buf;
	buf.len = l->len;
	res = apply_entry(n, l->index, &buf);
	if (l->br != NULL)
		batch_answer(n, l->br, 0, res);
	else
		result_free(res);
	free(l);
	return true;
}

static void
later_drain(struct node *n)
{
	while (later_apply_one(n))
		;
	uv_idle_stop(&n->later_idle);
	uv_timer_stop(&n->later_timer);
}

/* One deferred entry per loop turn, so that Raft's I/O runs in between. */
static void
later_idle_cb(uv_idle_t *h)
{
	struct node *n = h->data;

	if (!later_apply_one(n) || n->later == NULL)
		uv_idle_stop(h);
}

static void
later_timer_cb(uv_timer_t *t)
{
	struct node *n = t->data;

	if (n->later != NULL)
		uv_idle_start(&n->later_idle, later_idle_cb);
}

/*
 * Defers entry `index` (copied); false when it must be applied now.  The
 * first entry deferred after a pause waits NODE_LATER_DELAY_MS: Raft is
 * writing the entries that came with the news of its commit, and answers
 * the leader when that write is done (about a millisecond), which an apply
 * started at once would hold up by its whole length.  The leader applies
 * on the next loop turn, after its flush timer has sent the next entry.
 */
static bool
later_push(struct node *n, uint64_t index, const struct raft_buffer *buf)
{
	struct later *l;

	if (n->closing || n->later_bytes + buf->len > NODE_LATER_MAX ||
	    (l = malloc(sizeof(*l) + buf->len)) == NULL)
		return false;
	l->next = NULL;
	l->br = NULL;
	l->index = index;
	l->len = buf->len;
	memcpy(l->buf, buf->base, buf->len);
	if (n->later_tail != NULL)
		n->later_tail->next = l;
	else
		n->later = l;
	n->later_tail = l;
	n->later_bytes += buf->len;
	if (raft_state(&n->raft) == RAFT_LEADER)
		uv_idle_start(&n->later_idle, later_idle_cb);
	else if (!uv_is_active((uv_handle_t *)&n->later_idle) &&
		 !uv_is_active((uv_handle_t *)&n->later_timer))
		uv_timer_start(&n->later_timer, later_timer_cb,
			       NODE_LATER_DELAY_MS, 0);
	return true;
}

/*
 * Raft applies an entry as soon as it learns it is committed, inside the
 * callback that received the AppendEntries carrying that news, and the
 * loop runs nothing else until the apply returns: on a follower that
 * delays its answer to the new entries of the same message (written to
 * disk meanwhile) by the whole apply, and with it the leader's commit of
 * them.  On the leader it delays the next entry, whose AppendEntries is
 * what tells the followers the commit index: the followers would start
 * applying only once the leader has finished.  So every node copies the
 * entry and applies it on a later loop turn, in order; the leader
 * proposes its next entry first (batch_applied), and its followers apply
 * while it does.  The leader's proposals are answered once their entry is
 * applied (batch_answer), in entry order.  Everything deferred is applied
 * before any entry that cannot be deferred, before a snapshot or a
 * restore, and on stop.  Status and parked forwarded writes go by what is
 * applied (n->applied), so a reader still sees its own writes.
 */
static int
fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result)
{
	struct node *n = fsm->data;
	uint64_t index = raft_last_applied(&n->raft) + 1;

	*result = NULL;
	result_free(n->unclaimed);
	n->unclaimed = NULL;
	if (index <= store_applied_index(n->store))
		return 0; /* applied before this restart */
	/* moving average over ~16 entries */
	n->entry_avg16 += buf->len - (n->entry_avg16 >> 4);
	if (later_push(n, index, buf)) {
		*result = &later_result;
		return 0;
	}
	later_drain(n);
	n->unclaimed = apply_entry(n, index, buf);
	*result = n->unclaimed;
	return 0;
}

/* The next snapshot comes after about as many bytes of log as this one
 * had of state: taking one costs time in proportion to the state (on the
 * loop, see fsm_snapshot), so with a large table they must be rarer, or
 * the cluster spends its time snapshotting (at a million paths an image
 * takes 150-400 ms; at 1024 entries apart that was every few seconds
 * under a steady trickle of updates).  Never below the configured
 * threshold, never above SNAP_THRESHOLD_MAX entries (the log in memory).
 * Node IDs stagger it a little so that the nodes do not all pause at
 * once. */
#define SNAP_THRESHOLD_MAX (1u << 20)

static void
snapshot_rethreshold(struct node *n, size_t image_len)
{
	uint64_t avg = n->entry_avg16 >> 4, t;

	if (avg < 64)
		avg = 64;
	t = image_len / avg;
	if (t < n->cfg.snapshot_threshold)
		t = n->cfg.snapshot_threshold;
	t += t / 16 * (n->cfg.id % 4);
	if (t > SNAP_THRESHOLD_MAX)
		t = SNAP_THRESHOLD_MAX;
	raft_set_snapshot_threshold(&n->raft, (unsigned)t);
}

/* Snapshots are written on the loop, from one LMDB read transaction
 * (store_snapshot): raft's fsm version 3 would move the writing to a worker
 * thread, but libraft 0.15 refuses that version at raft_init.  The image may
 * end newer than raft's snapshot index (the store is written with every
 * entry); restore never rolls the store back and apply skips what the store
 * already holds, so that is safe. */
static int
fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[], unsigned *n_bufs)
{
	struct node *n = fsm->data;
	uint8_t *img;
	size_t len;
	int rc;

	later_drain(n); /* the image is of everything raft has applied */
	store_flush(n);
	rc = store_snapshot(n->store, &img, &len);
	if (rc != 0)
		return RAFT_NOMEM;
	*bufs = raft_malloc(sizeof(**bufs));
	if (*bufs == NULL) {
		free(img);
		return RAFT_NOMEM;
	}
	(*bufs)[0].base = img;
	(*bufs)[0].len = len;
	*n_bufs = 1;
	snapshot_rethreshold(n, len);
	return 0;
}

static int
fsm_snapshot_finalize(struct raft_fsm *fsm, struct raft_buffer *bufs[],
		      unsigned *n_bufs)
{
	if (*bufs != NULL) {
		for (unsigned i = 0; i < *n_bufs; i++)
			free((*bufs)[i].base);
		raft_free(*bufs);
	}
	*bufs = NULL;
	*n_bufs = 0;
	return 0;
}

static int
rebuild_engine(struct node *n, struct cen_err *err)
{
	struct engine *e = engine_new_shared(&n->attrs);
	int rc;

	if (e == NULL)
		return cen_errf(err, -CEN_ENOMEM, "out of memory");
	rc = store_load(n->store, e, err);
	if (rc != 0) {
		engine_free(e);
		return rc;
	}
	engine_free(n->engine);
	n->engine = e;
	engine_set_delta_cb(e, engine_delta, n);
	engine_set_touch_cb(e, engine_touch, n);
	return 0;
}

static int
fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
	struct node *n = fsm->data;
	struct cen_err err = { 0 };
	uint64_t idx = store_image_index(buf->base, buf->len);
	int rc = 0;

	later_drain(n);
	store_flush(n);
	/* the store may already be newer than the snapshot (it is written
	 * with every entry): never roll it back */
	if (idx > store_applied_index(n->store)) {
		rc = store_restore(n->store, buf->base, buf->len, &err);
		if (rc == 0)
			rc = rebuild_engine(n, &err);
		if (rc != 0)
			log_msg(n, "snapshot restore failed: %s", err.msg);
		n->applied = store_applied_index(n->store);
	}
	raft_free(buf->base);
	return rc == 0 ? 0 : RAFT_CORRUPT;
}

/* ---- proposals ----------------------------------------------------- */

static void
proposals_fail(struct proposal *p, int rc, const char *msg)
{
	while (p != NULL) {
		struct proposal *next = p->next;

		if (p->cb != NULL)
			p->cb(rc, msg, 0, p->arg);
		free(p->cmd);
		free(p);
		p = next;
	}
}

static void flush_queue(struct node *n);
static void flush_timer_cb(uv_timer_t *t);

static void
barrier_done(struct raft_barrier *req, int status)
{
	struct node *n = req->data;

	(void)status;
	if (n->barrier == req)
		n->barrier = NULL;
	free(req);
}

/*
 * Followers learn that an entry is committed from the next AppendEntries,
 * and an idle leader sends one only with its next heartbeat: up to two
 * heartbeat intervals later.  A write forwarded by a follower is answered
 * once the follower has applied it (read your writes), so when the leader
 * has applied one and has nothing else to send, it appends a barrier (an
 * empty entry, never applied to the FSM), whose AppendEntries carries the
 * commit index at once.  Called from the flush timer, never from inside
 * raft's apply callback.
 */
static void
commit_notify(struct node *n)
{
	struct raft_barrier *req;

	if (n->closing || n->barrier != NULL || n->queue != NULL ||
	    n->inflight > 0 || raft_state(&n->raft) != RAFT_LEADER)
		return;
	req = calloc(1, sizeof(*req));
	if (req == NULL)
		return; /* the heartbeat will tell them */
	req->data = n;
	if (raft_barrier(&n->raft, req, barrier_done) != 0) {
		free(req);
		return;
	}
	n->barrier = req;
}

/* Answers the proposals of an entry: `res` is its outcome (NULL when it
 * failed with `status` or is not a batch). */
static void
batch_answer(struct node *n, struct batch_req *br, int status,
	     struct batch_result *res)
{
	struct proposal *p = br->props;

	for (size_t i = 0; p != NULL; i++) {
		struct proposal *next = p->next;

		n->notify |= status == 0 && p->forwarded;
		if (status != 0)
			p->cb(-CEN_EIO, raft_strerror(status), 0, p->arg);
		else if (res == NULL)
			p->cb(0, NULL, 0, p->arg);
		else if (i < res->n && res->r[i].rc != 0)
			p->cb(res->r[i].rc, res->r[i].msg, res->index, p->arg);
		else
			p->cb(0, NULL, res->index, p->arg);
		free(p->cmd);
		free(p);
		p = next;
	}
	result_free(res);
	free(br);
	/* not from inside raft's apply callback: raft_apply there would
	 * append while raft is still applying */
	if ((n->queue != NULL || n->notify) && !n->closing &&
	    !uv_is_active((uv_handle_t *)&n->flush_timer))
		uv_timer_start(&n->flush_timer, flush_timer_cb, 0, 0);
}

/*
 * Raft's callback for an entry we proposed, right after fsm_apply: when
 * the entry was deferred, its proposals wait for it in the later list,
 * and the next entry may go at once (from the flush timer), so that the
 * followers hear of this commit while this node applies it.
 */
static void
batch_applied(struct raft_apply *req, int status, void *result)
{
	struct batch_req *br = (struct batch_req *)req;
	struct node *n = br->node;
	struct batch_result *res = result;

	if (res != NULL && res == n->unclaimed)
		n->unclaimed = NULL;
	n->inflight--;
	if (status == 0 && res == &later_result) {
		/* raft calls this right after fsm_apply deferred the entry:
		 * it is the last one in the list */
		struct later *l = n->later_tail;

		if (l != NULL && l->index == req->index) {
			l->br = br;
			if (n->queue != NULL && !n->closing &&
			    !uv_is_active((uv_handle_t *)&n->flush_timer))
				uv_timer_start(&n->flush_timer, flush_timer_cb,
					       0, 0);
			return;
		}
		res = NULL; /* cannot happen: answer all the same */
	}
	batch_answer(n, br, status, res);
}

/* Packs the queued commands (up to NODE_BATCH_MAX bytes) into one entry. */
static void
flush_queue(struct node *n)
{
	while (n->queue != NULL && n->inflight < NODE_INFLIGHT_MAX) {
		struct batch_req *br;
		struct raft_buffer buf;
		struct proposal *p, *last = NULL;
		size_t n_cmds = 0, bytes = 0, plen = 0, i = 0;
		uint8_t *w;
		int rc;

		if (raft_state(&n->raft) != RAFT_LEADER) {
			struct proposal *q = n->queue;

			n->queue = n->queue_tail = NULL;
			n->queued_bytes = 0;
			proposals_fail(q, -CEN_ENOTLEADER,
				       "leadership lost before the write was "
				       "proposed; retry");
			return;
		}
		for (p = n->queue; p != NULL; p = p->next) {
			if (n_cmds > 0 && bytes + p->len > NODE_BATCH_MAX)
				break;
			bytes += p->len;
			plen += 1 + pbwire_vsize(p->len) + p->len;
			n_cmds++;
			last = p;
		}
		br = calloc(1, sizeof(*br));
		if (br == NULL)
			abort();

		/* raft's segment and wire formats need entry lengths that
		 * are multiples of 8: a header carries the real length */
		buf.len = (ENTRY_HDR + plen + 7) & ~(size_t)7;
		buf.base = raft_calloc(1, buf.len);
		if (buf.base == NULL)
			abort();
		entry_hdr_put(buf.base, plen);
		/* the packed Batch is its packed commands, each as field 1
		 * (validated in node_propose): no need to unpack them */
		w = (uint8_t *)buf.base + ENTRY_HDR;
		for (p = n->queue; i < n_cmds; p = p->next, i++)
			w = put_field(w, BATCH_COMMANDS_TAG, p->cmd, p->len);

		br->node = n;
		br->props = n->queue;
		br->n = n_cmds;
		n->queue = last->next;
		if (n->queue == NULL)
			n->queue_tail = NULL;
		last->next = NULL;
		n->queued_bytes -= bytes;
		rc = raft_apply(&n->raft, &br->req, &buf, 1, batch_applied);
		if (rc != 0) {
			raft_free(buf.base);
			proposals_fail(br->props,
				       rc == RAFT_NOTLEADER ? -CEN_ENOTLEADER
							    : -CEN_EIO,
				       raft_strerror(rc));
			free(br);
			continue;
		}
		n->inflight++;
	}
}

static void
flush_timer_cb(uv_timer_t *t)
{
	struct node *n = t->data;

	flush_queue(n);
	if (n->notify) {
		n->notify = false;
		commit_notify(n);
	}
}

struct forward {
	struct forward *next;
	struct node *node;
	node_propose_cb cb;
	void *arg;
	uint64_t index;
	uint64_t parked_at; /* uv_now when parked */
};

#define NODE_READ_YOUR_WRITES_MS 2000

/* Answers parked forwards whose entry this node has applied (so a client
 * reads its own write from the node it wrote through), or that waited too
 * long (this node is behind; the write is applied on the leader). */
static void
parked_release(struct node *n, bool all)
{
	uint64_t applied = n->applied;
	uint64_t now = uv_now(n->loop);

	for (struct forward **fp = &n->parked; *fp != NULL;) {
		struct forward *f = *fp;

		if (!all && f->index > applied &&
		    now - f->parked_at < NODE_READ_YOUR_WRITES_MS) {
			fp = &f->next;
			continue;
		}
		*fp = f->next;
		f->cb(0, NULL, f->index, f->arg);
		free(f);
	}
}

static void
forward_done(rpc_status status, const char *message, const uint8_t *payload,
	     size_t len, bool eos, void *arg)
{
	struct forward *f = arg;
	Cend__V1__WriteResponse *r = NULL;
	uint64_t index = 0;

	if (status == RPC_OK) {
		struct node *n = f->node;

		r = cend__v1__write_response__unpack(NULL, len, payload);
		if (r != NULL)
			index = r->index;
		cend__v1__write_response__free_unpacked(r, NULL);
		if (index > n->applied && !n->closing) {
			f->index = index;
			f->parked_at = uv_now(n->loop);
			f->next = n->parked;
			n->parked = f;
			return;
		}
		f->cb(0, NULL, index, f->arg);
	} else {
		int rc = status == RPC_NOT_LEADER	   ? -CEN_ENOTLEADER
			 : status == RPC_UNAVAILABLE	   ? -CEN_EIO
			 : status == RPC_DEADLINE_EXCEEDED ? -CEN_ETIMEOUT
			 : status == RPC_NOT_FOUND	   ? -CEN_ENOENT
							   : -CEN_EINVAL;

		f->cb(rc, message ? message : rpc_status_str(status), 0,
		      f->arg);
	}
	free(f);
}

static const char *
leader_api(struct node *n)
{
	raft_id id;
	const char *addr;
	struct node_member *m;

	raft_leader(&n->raft, &id, &addr);
	if (id == 0)
		return NULL;
	m = member_find(n, id);
	return m != NULL && m->api_addr[0] ? m->api_addr : NULL;
}

static void
ignore_result(int status, const char *message, uint64_t index, void *arg)
{
	(void)status;
	(void)message;
	(void)index;
	(void)arg;
}

int
node_propose(struct node *n, const uint8_t *cmd, size_t len, node_propose_cb cb,
	     void *arg)
{
	Cend__V1__Command *c;

	if (n->closing)
		return -CEN_ESHUTDOWN;
	/* a command that does not decode would spoil its whole batch */
	c = cmddec_command(&n->check, cmd, len);
	pbarena_reset(&n->check);
	if (c == NULL)
		return -CEN_EPROTO;
	return node_propose_decoded(n, cmd, len, false, cb, arg);
}

int
node_propose_decoded(struct node *n, const uint8_t *cmd, size_t len,
		     bool forwarded, node_propose_cb cb, void *arg)
{
	if (n->closing)
		return -CEN_ESHUTDOWN;
	if (cb == NULL)
		cb = ignore_result; /* fire and forget */
	if (raft_state(&n->raft) == RAFT_LEADER) {
		struct proposal *p = calloc(1, sizeof(*p));

		if (p == NULL || (p->cmd = malloc(len ? len : 1)) == NULL) {
			free(p);
			return -CEN_ENOMEM;
		}
		memcpy(p->cmd, cmd, len);
		p->len = len;
		p->cb = cb;
		p->arg = arg;
		p->forwarded = forwarded;
		if (n->queue_tail != NULL)
			n->queue_tail->next = p;
		else
			n->queue = p;
		n->queue_tail = p;
		n->queued_bytes += len;
		/* everything proposed in this loop turn goes in one entry */
		if (!uv_is_active((uv_handle_t *)&n->flush_timer))
			uv_timer_start(&n->flush_timer, flush_timer_cb, 0, 0);
		return 0;
	}
	const char *leader = leader_api(n);
	struct forward *f;
	uint8_t *buf;
	size_t blen;
	int rc;

	if (leader == NULL)
		return -CEN_ENOTLEADER;
	/* a ProposeRequest is the packed command as its field 1 */
	blen = 1 + pbwire_vsize(len) + len;
	buf = malloc(blen);
	f = calloc(1, sizeof(*f));
	if (buf == NULL || f == NULL) {
		free(buf);
		free(f);
		return -CEN_ENOMEM;
	}
	put_field(buf, PROPOSE_COMMAND_TAG, cmd, len);
	f->cb = cb;
	f->arg = arg;
	f->node = n;
	rc = rpc_client_call(n->client, leader, "cend.v1.Cluster/Propose", buf,
			     blen, NODE_FORWARD_TIMEOUT_MS, forward_done, f);
	free(buf);
	if (rc != 0)
		free(f);
	return rc;
}

/* ---- announcing our API address ------------------------------------ */

static void
announce_done(int status, const char *message, uint64_t index, void *arg)
{
	(void)status;
	(void)message;
	(void)index;
	(void)arg;
}

/* Reports leadership changes as events (checked with the announce timer). */
static void
leader_watch(struct node *n)
{
	raft_id id;
	const char *addr;
	char text[128];

	raft_leader(&n->raft, &id, &addr);
	if (id == n->seen_leader && n->raft.current_term == n->seen_term)
		return;
	n->seen_leader = id;
	n->seen_term = n->raft.current_term;
	if (n->listeners == NULL)
		return;
	if (id != 0)
		snprintf(text, sizeof(text), "leader is node %llu (term %llu)",
			 (unsigned long long)id,
			 (unsigned long long)n->raft.current_term);
	else
		snprintf(text, sizeof(text), "no leader (term %llu)",
			 (unsigned long long)n->raft.current_term);
	emit_event(n, n->applied, "leader", text);
}

/* On the leader: which voters it has heard from recently; a node silent
 * for longer than the grace period is reported once (its BGP sessions are
 * gone with it, so its paths must go too). */
static void
liveness(struct node *n)
{
	uint64_t now = uv_now(n->loop);

	if (raft_state(&n->raft) != RAFT_LEADER) {
		for (size_t i = 0; i < NODE_MAX_MEMBERS; i++)
			n->alive[i].last = now; /* start over when elected */
		return;
	}
	for (unsigned i = 0; i < n->raft.configuration.n; i++) {
		raft_id id = n->raft.configuration.servers[i].id;
		bool heard = id == n->cfg.id ||
			     n->raft.leader_state.progress[i].recent_recv;
		size_t k, free_slot = NODE_MAX_MEMBERS;

		for (k = 0; k < NODE_MAX_MEMBERS; k++) {
			if (n->alive[k].id == id)
				break;
			if (n->alive[k].id == 0 &&
			    free_slot == NODE_MAX_MEMBERS)
				free_slot = k;
		}
		if (k == NODE_MAX_MEMBERS) {
			if (free_slot == NODE_MAX_MEMBERS)
				continue;
			k = free_slot;
			n->alive[k].id = id;
			n->alive[k].last = now;
		}
		if (heard) {
			n->alive[k].last = now;
			n->alive[k].gone = false;
			continue;
		}
		if (!n->alive[k].gone &&
		    now - n->alive[k].last > n->cfg.node_grace_ms) {
			n->alive[k].gone = true;
			for (struct node_listener *l = n->listeners; l != NULL;
			     l = l->next)
				if (l->node_gone != NULL)
					l->node_gone(id, l->arg);
		}
	}
}

static void
announce_timer_cb(uv_timer_t *t)
{
	struct node *n = t->data;
	Cend__V1__Command c = CEND__V1__COMMAND__INIT;
	Cend__V1__MemberInfo mi = CEND__V1__MEMBER_INFO__INIT;
	uint8_t buf[512];
	size_t len;

	if (n->parked != NULL)
		parked_release(n, false);
	leader_watch(n);
	liveness(n);
	if (n->announced || n->closing)
		return;
	if (raft_state(&n->raft) != RAFT_LEADER && leader_api(n) == NULL)
		return; /* wait for a leader whose API we know */
	mi.id = n->cfg.id;
	mi.api_addr = n->cfg.api_addr;
	mi.raft_addr = n->cfg.raft_addr;
	c.cmd_case = CEND__V1__COMMAND__CMD_MEMBER;
	c.member = &mi;
	len = cend__v1__command__get_packed_size(&c);
	if (len > sizeof(buf))
		return;
	cend__v1__command__pack(&c, buf);
	node_propose(n, buf, len, announce_done, NULL);
}

/* ---- start and stop ------------------------------------------------ */

static int
mkdir_p(const char *path)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return -1;
		buf[i] = path[i];
	}
	return 0;
}

/*
 * Raft's TCP connections without Nagle's algorithm: libraft leaves it on,
 * and a message smaller than a segment (an AppendEntries of a few kB, a
 * result, a heartbeat) then waits for the ACK of the one before it, which
 * with one entry in flight holds up every commit.  The transport's listen
 * and connect are wrapped to set TCP_NODELAY on each stream before raft
 * gets it.
 */
static struct node *
node_of_transport(struct raft_uv_transport *t)
{
	return (struct node *)((char *)t - offsetof(struct node, transport));
}

static void
nodelay_accepted(struct raft_uv_transport *t, raft_id id, const char *address,
		 struct uv_stream_s *stream)
{
	if (stream != NULL && stream->type == UV_TCP)
		uv_tcp_nodelay((uv_tcp_t *)stream, 1);
	node_of_transport(t)->raft_accept(t, id, address, stream);
}

static int
nodelay_listen(struct raft_uv_transport *t, raft_uv_accept_cb cb)
{
	struct node *n = node_of_transport(t);

	n->raft_accept = cb;
	return n->tcp_listen(t, nodelay_accepted);
}

/* A connect request of raft's, passed on as one of ours. */
struct nodelay_connect {
	struct raft_uv_connect req;
	struct raft_uv_connect *raft_req;
	raft_uv_connect_cb raft_cb;
};

static void
nodelay_connected(struct raft_uv_connect *req, struct uv_stream_s *stream,
		  int status)
{
	struct nodelay_connect *c = req->data;
	struct raft_uv_connect *raft_req = c->raft_req;
	raft_uv_connect_cb cb = c->raft_cb;

	free(c);
	if (status == 0 && stream != NULL && stream->type == UV_TCP)
		uv_tcp_nodelay((uv_tcp_t *)stream, 1);
	cb(raft_req, stream, status);
}

static int
nodelay_connect(struct raft_uv_transport *t, struct raft_uv_connect *req,
		raft_id id, const char *address, raft_uv_connect_cb cb)
{
	struct nodelay_connect *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL)
		return RAFT_NOMEM;
	c->req.data = c;
	c->raft_req = req;
	c->raft_cb = cb;
	rc = node_of_transport(t)->tcp_connect(t, &c->req, id, address,
					       nodelay_connected);
	if (rc != 0)
		free(c);
	return rc;
}

static void
tcp_nodelay(struct node *n)
{
	n->tcp_listen = n->transport.listen;
	n->tcp_connect = n->transport.connect;
	n->transport.listen = nodelay_listen;
	n->transport.connect = nodelay_connect;
}

int
node_start(uv_loop_t *loop, const struct node_config *cfg, struct node **out,
	   struct cen_err *err)
{
	struct node *n = calloc(1, sizeof(*n));
	char raft_dir[4200];
	int rc;

	if (n == NULL)
		return cen_errf(err, -CEN_ENOMEM, "out of memory");
	n->loop = loop;
	n->cfg = *cfg;
	attr_store_init(&n->attrs);
	pbarena_init(&n->arena);
	pbarena_init(&n->check);
	if (n->cfg.election_ms == 0)
		n->cfg.election_ms = 1000;
	if (n->cfg.heartbeat_ms == 0)
		n->cfg.heartbeat_ms = 100;
	if (n->cfg.snapshot_threshold == 0)
		n->cfg.snapshot_threshold = 1024;
	if (n->cfg.snapshot_trailing == 0)
		n->cfg.snapshot_trailing = 128;
	if (n->cfg.node_grace_ms == 0)
		n->cfg.node_grace_ms = 120000;
	snprintf(raft_dir, sizeof(raft_dir), "%s/raft", cfg->data_dir);
	if (mkdir_p(raft_dir) != 0) {
		rc = cen_errf(err, -CEN_EIO, "%s: %s", raft_dir,
			      strerror(errno));
		free(n);
		return rc;
	}
	rc = store_open(cfg->data_dir, 0, &n->store, err);
	if (rc != 0) {
		free(n);
		return rc;
	}
	n->applied = store_applied_index(n->store);
	members_load(n);
	rc = rebuild_engine(n, err);
	if (rc != 0)
		goto fail_store;
	rc = rpc_client_new(loop, &n->client);
	if (rc != 0) {
		cen_errf(err, rc, "rpc client: %s", cen_strerror(rc));
		goto fail_engine;
	}
	uv_timer_init(loop, &n->flush_timer);
	n->flush_timer.data = n;
	uv_timer_init(loop, &n->announce_timer);
	n->announce_timer.data = n;
	uv_idle_init(loop, &n->later_idle);
	n->later_idle.data = n;
	uv_timer_init(loop, &n->later_timer);
	n->later_timer.data = n;
	uv_idle_init(loop, &n->commit_idle);
	n->commit_idle.data = n;
	uv_timer_init(loop, &n->commit_timer);
	n->commit_timer.data = n;

	n->fsm.version = 2;
	n->fsm.data = n;
	n->fsm.apply = fsm_apply;
	n->fsm.snapshot = fsm_snapshot;
	n->fsm.snapshot_finalize = fsm_snapshot_finalize;
	n->fsm.restore = fsm_restore;
	if ((rc = raft_uv_tcp_init(&n->transport, loop)) == 0)
		tcp_nodelay(n);
	if (rc != 0 ||
	    (rc = raft_uv_init(&n->io, loop, raft_dir, &n->transport)) != 0) {
		cen_errf(err, -CEN_EIO, "raft I/O: %s", raft_strerror(rc));
		rc = -CEN_EIO;
		goto fail_client;
	}
	rc = raft_init(&n->raft, &n->io, &n->fsm, cfg->id, cfg->raft_addr);
	if (rc != 0) {
		/* errmsg says what failed ("io: ..."); the code alone is
		 * often "unknown error" */
		cen_errf(err, -CEN_EIO, "raft: %s (%s)",
			 raft_errmsg(&n->raft)[0] ? raft_errmsg(&n->raft)
						  : "init failed",
			 raft_strerror(rc));
		rc = -CEN_EIO;
		goto fail_client;
	}
	n->raft.data = n;
	raft_set_election_timeout(&n->raft, n->cfg.election_ms);
	raft_set_heartbeat_timeout(&n->raft, n->cfg.heartbeat_ms);
	raft_set_snapshot_threshold(&n->raft, n->cfg.snapshot_threshold);
	raft_set_snapshot_trailing(&n->raft, n->cfg.snapshot_trailing);
	raft_set_pre_vote(&n->raft, true);
	if (cfg->ninitial > 0) {
		struct raft_configuration conf;

		raft_configuration_init(&conf);
		for (size_t i = 0; i < cfg->ninitial; i++)
			raft_configuration_add(&conf, cfg->initial[i].id,
					       cfg->initial[i].raft_addr,
					       RAFT_VOTER);
		rc = raft_bootstrap(&n->raft, &conf);
		raft_configuration_close(&conf);
		if (rc != 0 && rc != RAFT_CANTBOOTSTRAP) {
			cen_errf(err, -CEN_EIO, "raft bootstrap: %s",
				 raft_strerror(rc));
			rc = -CEN_EIO;
			goto fail_raft;
		}
	}
	rc = raft_start(&n->raft);
	if (rc != 0) {
		cen_errf(err, -CEN_EIO, "raft start: %s",
			 raft_errmsg(&n->raft));
		rc = -CEN_EIO;
		goto fail_raft;
	}
	/* until our API address is applied, offer it every 200 ms */
	uv_timer_start(&n->announce_timer, announce_timer_cb, 50, 200);
	*out = n;
	return 0;

fail_raft:
	/* raft_close is asynchronous; a node that failed to start exits */
	raft_close(&n->raft, NULL);
	*out = NULL;
	return rc;
fail_client:
	rpc_client_close(n->client);
fail_engine:
	engine_free(n->engine);
fail_store:
	store_close(n->store);
	attr_store_fini(&n->attrs, true);
	free(n);
	return rc;
}

static void
closed_all(struct node *n)
{
	void (*cb)(void *) = n->stop_cb;
	void *arg = n->stop_arg;

	result_free(n->unclaimed);
	while (n->later != NULL) { /* applied by Raft again after a start */
		struct later *l = n->later;

		n->later = l->next;
		if (l->br != NULL) {
			proposals_fail(l->br->props, -CEN_ESHUTDOWN,
				       "node shutting down");
			free(l->br);
		}
		free(l);
	}
	store_flush(n); /* anything applied while Raft closed */
	engine_free(n->engine);
	store_close(n->store);
	attr_store_fini(&n->attrs, true);
	pbarena_fini(&n->arena);
	pbarena_fini(&n->check);
	free(n);
	if (cb != NULL)
		cb(arg);
}

static void
handle_closed(uv_handle_t *h)
{
	struct node *n = h->data;

	if (--n->closing == 1)
		closed_all(n);
}

static void
raft_closed(struct raft *r)
{
	struct node *n = r->data;

	raft_uv_close(&n->io);
	raft_uv_tcp_close(&n->transport);
	rpc_client_close(n->client);
	uv_close((uv_handle_t *)&n->flush_timer, handle_closed);
	uv_close((uv_handle_t *)&n->announce_timer, handle_closed);
	uv_close((uv_handle_t *)&n->later_idle, handle_closed);
	uv_close((uv_handle_t *)&n->later_timer, handle_closed);
	uv_close((uv_handle_t *)&n->commit_idle, handle_closed);
	uv_close((uv_handle_t *)&n->commit_timer, handle_closed);
}

void
node_stop(struct node *n, void (*cb)(void *arg), void *arg)
{
	struct proposal *q = n->queue;

	n->stop_cb = cb;
	n->stop_arg = arg;
	later_drain(n); /* the store as far as Raft has applied */
	store_flush(n);
	n->closing = 7; /* four timers and two idle handles, then 1 = done */
	n->queue = n->queue_tail = NULL;
	proposals_fail(q, -CEN_ESHUTDOWN, "node shutting down");
	parked_release(n, true);
	uv_timer_stop(&n->flush_timer);
	uv_timer_stop(&n->announce_timer);
	raft_close(&n->raft, raft_closed);
}

/* ---- queries ------------------------------------------------------- */

struct attr_store *
node_attrs(struct node *n)
{
	return &n->attrs;
}

struct engine *
node_engine(struct node *n)
{
	return n->engine;
}

const struct node_config *
node_config(const struct node *n)
{
	return &n->cfg;
}

void
node_listen(struct node *n, struct node_listener *l)
{
	l->next = n->listeners;
	n->listeners = l;
}

void
node_unlisten(struct node *n, struct node_listener *l)
{
	for (struct node_listener **lp = &n->listeners; *lp != NULL;
	     lp = &(*lp)->next) {
		if (*lp == l) {
			*lp = l->next;
			return;
		}
	}
}

bool
node_is_leader(struct node *n)
{
	return raft_state(&n->raft) == RAFT_LEADER;
}

static uint64_t
dir_size(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	uint64_t total = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
		    S_ISREG(st.st_mode))
			total += (uint64_t)st.st_size;
	}
	closedir(d);
	return total;
}

void
node_get_status(struct node *n, struct node_status *st)
{
	raft_id id;
	const char *addr;
	char raft_dir[4200];
	const char *api;
	struct engine_stats es;

	memset(st, 0, sizeof(*st));
	st->id = n->cfg.id;
	raft_leader(&n->raft, &id, &addr);
	st->leader_id = id;
	if (addr != NULL)
		snprintf(st->leader_raft_addr, sizeof(st->leader_raft_addr),
			 "%s", addr);
	api = leader_api(n);
	if (api != NULL)
		snprintf(st->leader_api_addr, sizeof(st->leader_api_addr), "%s",
			 api);
	st->term = n->raft.current_term;
	st->commit_index = n->raft.commit_index;
	st->applied_index = n->applied;
	st->db_size = store_db_size(n->store);
	snprintf(raft_dir, sizeof(raft_dir), "%s/raft", n->cfg.data_dir);
	st->raft_log_size = dir_size(raft_dir);
	switch (raft_state(&n->raft)) {
	case RAFT_LEADER:
		st->state = "leader";
		break;
	case RAFT_FOLLOWER:
		st->state = "follower";
		break;
	case RAFT_CANDIDATE:
		st->state = "candidate";
		break;
	default:
		st->state = "unavailable";
	}
	engine_get_stats(n->engine, &es);
	st->paths = es.paths;
}

size_t
node_members(struct node *n, struct node_member_info *out, size_t max)
{
	raft_id lid;
	const char *laddr;
	size_t k = 0;

	raft_leader(&n->raft, &lid, &laddr);
	for (unsigned i = 0; i < n->raft.configuration.n && k < max; i++) {
		const struct raft_server *s = &n->raft.configuration.servers[i];
		struct node_member *m = member_find(n, s->id);

		memset(&out[k], 0, sizeof(out[k]));
		out[k].m.id = s->id;
		snprintf(out[k].m.raft_addr, sizeof(out[k].m.raft_addr), "%s",
			 s->address);
		if (m != NULL)
			snprintf(out[k].m.api_addr, sizeof(out[k].m.api_addr),
				 "%s", m->api_addr);
		out[k].role = s->role == RAFT_VOTER	? "voter"
			      : s->role == RAFT_STANDBY ? "standby"
							: "spare";
		out[k].is_leader = s->id == lid;
		k++;
	}
	return k;
}

/* ---- membership ---------------------------------------------------- */

struct change {
	union {
		struct raft_change change;
		struct raft_transfer transfer;
	} u;
	node_change_cb cb;
	void *arg;
};

static void
change_done(struct raft_change *req, int status)
{
	struct change *c = (struct change *)req;

	c->cb(status == 0 ? 0 : -CEN_EIO,
	      status == 0 ? NULL : raft_strerror(status), c->arg);
	free(c);
}

static void
transfer_done(struct raft_transfer *req)
{
	struct change *c = (struct change *)req;

	c->cb(0, NULL, c->arg);
	free(c);
}

static struct change *
change_new(struct node *n, node_change_cb cb, void *arg, int *rc)
{
	struct change *c;

	if (raft_state(&n->raft) != RAFT_LEADER) {
		*rc = -CEN_ENOTLEADER;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		*rc = -CEN_ENOMEM;
		return NULL;
	}
	c->cb = cb;
	c->arg = arg;
	*rc = 0;
	return c;
}

static int
raft_rc(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case RAFT_NOTLEADER:
	case RAFT_LEADERSHIPLOST:
		return -CEN_ENOTLEADER;
	case RAFT_DUPLICATEID:
	case RAFT_DUPLICATEADDRESS:
		return -CEN_EEXIST;
	case RAFT_BADID:
		return -CEN_ENOENT;
	case RAFT_CANTCHANGE:
		return -CEN_EINUSE;
	default:
		return -CEN_EINVAL;
	}
}

int
node_member_add(struct node *n, uint64_t id, const char *raft_addr,
		const char *api_addr, node_change_cb cb, void *arg)
{
	int rc;
	struct change *c = change_new(n, cb, arg, &rc);

	if (c == NULL)
		return rc;
	rc = raft_add(&n->raft, &c->u.change, id, raft_addr, change_done);
	if (rc != 0) {
		free(c);
		return raft_rc(rc);
	}
	if (api_addr != NULL && api_addr[0] != '\0') {
		Cend__V1__MemberInfo mi = CEND__V1__MEMBER_INFO__INIT;
		Cend__V1__Command cmd = CEND__V1__COMMAND__INIT;
		uint8_t buf[512];
		size_t len;

		mi.id = id;
		mi.api_addr = (char *)api_addr;
		mi.raft_addr = (char *)raft_addr;
		cmd.cmd_case = CEND__V1__COMMAND__CMD_MEMBER;
		cmd.member = &mi;
		len = cend__v1__command__get_packed_size(&cmd);
		if (len <= sizeof(buf)) {
			cend__v1__command__pack(&cmd, buf);
			node_propose(n, buf, len, announce_done, NULL);
		}
	}
	return 0;
}

int
node_member_promote(struct node *n, uint64_t id, node_change_cb cb, void *arg)
{
	int rc;
	struct change *c = change_new(n, cb, arg, &rc);

	if (c == NULL)
		return rc;
	rc = raft_assign(&n->raft, &c->u.change, id, RAFT_VOTER, change_done);
	if (rc != 0)
		free(c);
	return raft_rc(rc);
}

int
node_member_remove(struct node *n, uint64_t id, node_change_cb cb, void *arg)
{
	int rc;
	struct change *c = change_new(n, cb, arg, &rc);

	if (c == NULL)
		return rc;
	rc = raft_remove(&n->raft, &c->u.change, id, change_done);
	if (rc != 0)
		free(c);
	return raft_rc(rc);
}

int
node_leader_transfer(struct node *n, uint64_t id, node_change_cb cb, void *arg)
{
	int rc;
	struct change *c = change_new(n, cb, arg, &rc);

	if (c == NULL)
		return rc;
	rc = raft_transfer(&n->raft, &c->u.transfer, id, transfer_done);
	if (rc != 0)
		free(c);
	return raft_rc(rc);
}

int
node_snapshot(struct node *n, uint8_t **buf, size_t *len)
{
	store_flush(n);
	return store_snapshot(n->store, buf, len);
}
