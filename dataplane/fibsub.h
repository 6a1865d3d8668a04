/*
 * fibsub.h - a forwarder's subscription to its region's FIB
 * (proto/fib.proto, FibService/Subscribe; DESIGN.md "dataplane/").
 *
 * A fibsub holds the region's FIB in memory: one entry per (table, view,
 * prefix), what the cluster last sent for it.  It subscribes to one
 * endpoint of a list (any node of the cluster, followers too) and fails
 * over to the next when a connection fails, is refused, ends or stays
 * silent past idle_timeout_ms; it reconnects with the version it holds, so
 * the node sends only what changed since (or a new snapshot when it no
 * longer can).  Each change to the FIB is handed to the change callback, in
 * order, so the forwarder can update its LPM tables; synced says when a
 * snapshot or delta is complete (a good moment to swap them in).
 *
 * With a data directory the FIB and its version are kept in LMDB
 * (DATA_DIR/fib/), written at most every FIBSUB_COMMIT_MS: a restarted
 * forwarder has its last FIB at once, before it connects, and then
 * resumes from its version.
 *
 * A snapshot replaces the FIB only once complete (its chunks are
 * collected aside), and the change callback then gets only the
 * differences: the entries that are new or changed, and removals for the
 * ones the snapshot left out.  A message with an entry that does not decode
 * (fibmsg_entry_decode) is not applied; the stream is dropped and the next
 * endpoint tried.
 *
 * Everything runs on the caller's libuv loop; callbacks are never called
 * from inside fibsub_start or fibsub_stop except as said there.
 */
#ifndef CEN_FIBSUB_H
#define CEN_FIBSUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/err.h"
#include "proto/fibmsg.h"

#define FIBSUB_ENDPOINTS_MAX 16
#define FIBSUB_COMMIT_MS     10 /* LMDB commit delay */

struct fibsub;

/* A change to the FIB: e is the entry's new state (e->withdrawn: the entry
 * is gone; for a view, the attachment follows its table again).  e is
 * valid during the call only. */
typedef void (*fibsub_change_cb)(const struct fibmsg_entry *e, void *arg);
/* The FIB is complete at version: after a snapshot (snapshot true; also
 * after the FIB was loaded from the data directory) or after a delta. */
typedef void (*fibsub_synced_cb)(uint64_t version, bool snapshot, void *arg);
/* One line about the subscription ("subscribed to 127.0.0.1:7101 from
 * version 12", "127.0.0.1:7101: connection lost: ..."). */
typedef void (*fibsub_log_cb)(const char *line, void *arg);

struct fibsub_config {
	const char *region;	      /* required */
	const char *const *endpoints; /* "HOST:PORT" or "unix:/path" */
	size_t nendpoints;	      /* 1..FIBSUB_ENDPOINTS_MAX */
	const char *subscriber_id;    /* for the node's logs and
					  * `cenctl forwarder list` */
	const char *data_dir;	      /* NULL: nothing kept */
	uint64_t resume_version;      /* without data_dir: claim to hold this
					  * version with an empty FIB (tools
					  * and tests); 0 otherwise */
	uint32_t retry_ms;	      /* pause once every endpoint failed
					  * in a row [500] */
	uint32_t idle_timeout_ms;     /* a stream silent this long is dead
					  * (the node sends a keepalive every
					  * 5 s) [15000] */
	size_t map_size;	      /* LMDB map size [1 GiB] */
	fibsub_change_cb change;      /* each may be NULL */
	fibsub_synced_cb synced;
	fibsub_log_cb log;
	void *arg;
};

struct fibsub_status {
	const char *endpoint; /* the one subscribed to, or NULL */
	bool streaming;	      /* a message has come on this stream */
	uint64_t version;     /* held in full */
	size_t entries;
	uint64_t snapshots; /* snapshots received */
	uint64_t resumes;   /* streams that resumed with a delta */
	uint64_t failovers; /* streams that ended or failed */
	uint64_t messages;
	bool persisted; /* LMDB in use */
};

/* fibsub.c */

/* Opens the data directory (created if missing) and loads the FIB kept
 * there; connects nothing yet.  cfg is copied.  Returns 0, or -CEN_EINVAL
 * (bad region or endpoints), -CEN_EIO (the data directory cannot be used)
 * or -CEN_ENOMEM with err set. */
int fibsub_new(uv_loop_t *loop, const struct fibsub_config *cfg,
	       struct fibsub **out, struct cen_err *err);
/* Hands the FIB loaded from the data directory to the change callback,
 * entry by entry, then calls synced(version, true) if it holds a version
 * (from inside this call), and subscribes to the first endpoint. */
int fibsub_start(struct fibsub *fs);
/* Drops the subscription, commits what is not yet written and frees fs on
 * a later loop turn.  No callback is called after.  May be called from a
 * callback. */
void fibsub_stop(struct fibsub *fs);

uint64_t fibsub_version(const struct fibsub *fs);
size_t fibsub_count(const struct fibsub *fs);
void fibsub_get_status(const struct fibsub *fs, struct fibsub_status *st);
/* The entry of (table, view, prefix) (view "" or NULL: the table's own);
 * 0, or -CEN_ENOENT. */
int fibsub_get(const struct fibsub *fs, const char *table, const char *view,
	       const struct prefix *p, struct fibmsg_entry *out);
/* Calls cb for every entry, in no particular order; cb returning non-zero
 * stops the walk and is returned. */
int fibsub_foreach(const struct fibsub *fs,
		   int (*cb)(const struct fibmsg_entry *e, void *arg),
		   void *arg);

#endif
