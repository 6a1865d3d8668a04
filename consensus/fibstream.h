/*
 * fibstream.h - the FIB stream a cend node serves to forwarders
 * (proto/fib.proto, service FibService; DESIGN.md "dataplane/").
 *
 * Every node, followers included, follows what it applies (a node_listener)
 * and serves cend.v1.FibService/Subscribe: a snapshot of the region's FIB at
 * version V, the applied index, then a FibDelta per applied entry that
 * changed the region.  It keeps a bounded history of recent deltas (a ring
 * of versions, bounded in entries and bytes), so a subscriber that comes
 * back with the version it holds gets only what changed since; one whose
 * version is older than the history gets a new snapshot.
 *
 * Flow control: while a subscriber's connection has more than queue_max
 * bytes waiting to be written, nothing more is sent to it; what changes
 * meanwhile is coalesced (one entry per key: the latest) and sent as one
 * delta once the connection drains.  When the coalesced set outgrows
 * pending_max it is dropped and the subscriber gets a new snapshot instead,
 * taken when its connection has drained.  So a node never queues without
 * bound for a slow subscriber.
 *
 * It also serves cend.v1.Admin/ForwarderList: the node's subscribers with
 * the version each was last sent and its lag behind the applied index.
 *
 * Big snapshots and deltas go out in chunks of about chunk_bytes (several
 * messages of one version, `more` set on all but the last).  Building a
 * snapshot walks the region's FIB in one call (engine_fib_walk); the
 * chunks are shared by the subscribers that want the same region at the
 * same version.
 */
#ifndef CEN_FIBSTREAM_H
#define CEN_FIBSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "consensus/node.h"
#include "core/engine.h"
#include "core/err.h"
#include "proto/rpc.h"

#define FIBSTREAM_METHOD_SUBSCRIBE "cend.v1.FibService/Subscribe"
#define FIBSTREAM_METHOD_LIST	   "cend.v1.Admin/ForwarderList"
#define FIBSTREAM_ID_MAX	   64

/* Zero fields take the defaults in brackets. */
struct fibstream_config {
	size_t history_entries;	 /* FIB changes kept for resume [1 << 20] */
	size_t history_bytes;	 /* and the memory they hold [16 MiB] */
	size_t queue_max;	 /* bytes queued on a connection before its
				 * deltas are coalesced [4 MiB] */
	size_t pending_max;	 /* coalesced entries of a subscriber before
				 * it gets a snapshot instead [1 << 20] */
	size_t chunk_bytes;	 /* bytes of entries per message [1 MiB] */
	uint32_t tick_ms;	 /* how often a waiting connection is polled
				 * and versions moved on [100] */
	uint32_t keepalive_ms;	 /* an empty delta after this quiet [5000] */
	uint32_t resume_wait_ms; /* how long a resume_version this node has
				  * not applied yet is waited for [5000] */
};

struct fibstream;

/* One subscriber, as ForwarderList reports it. */
struct fibstream_sub_info {
	char id[FIBSTREAM_ID_MAX]; /* the subscriber_id it gave, or "" */
	char region[FIBSTREAM_ID_MAX];
	uint64_t version;   /* last version sent to it in full */
	uint64_t lag;	    /* applied index - version */
	const char *state;  /* snapshot | waiting | streaming | coalescing */
	uint64_t pending;   /* entries waiting for its connection */
	uint64_t snapshots; /* snapshots sent on this stream */
	uint64_t since_ms;  /* since it subscribed */
};

struct fibstream_stats {
	uint64_t applied;   /* the last applied index seen */
	uint64_t hist_from; /* resume is possible from this version on */
	size_t hist_versions;
	size_t hist_entries;
	size_t hist_bytes;
	size_t subscribers;
	uint64_t snapshots;	   /* snapshots built */
	uint64_t snapshot_entries; /* entries of the last one */
	uint64_t snapshot_us;	   /* time to build the last one */
};

/* fibstream.c */

/* Follows node n (node_listen) and serves its FIB.  cfg may be NULL (the
 * defaults).  Register the methods with api_extend before api_start:
 *
 *	for (m = fibstream_methods(fs); m->name != NULL; m++)
 *		api_extend(m);
 */
int fibstream_new(uv_loop_t *loop, struct node *n,
		  const struct fibstream_config *cfg, struct fibstream **out,
		  struct cen_err *err);
/* The same without a node, for tests and benchmarks: the caller applies
 * changes to e itself and reports them with fibstream_delta and
 * fibstream_applied, as a node's listener would; applied is the version e
 * is at now. */
int fibstream_new_engine(uv_loop_t *loop, struct engine *e, uint64_t applied,
			 const struct fibstream_config *cfg,
			 struct fibstream **out, struct cen_err *err);
/* Ends every stream (UNAVAILABLE: the subscribers fail over), stops
 * following the node and frees fs once its timer has closed (a later loop
 * turn).  Call before api_stop and node_stop. */
void fibstream_stop(struct fibstream *fs);

/* Subscribe and ForwarderList, terminated by a NULL name; they belong to
 * fs (their arg) and must not be called after fibstream_stop. */
const struct rpc_method *fibstream_methods(struct fibstream *fs);

/* The node_listener callbacks (arg is fs), public for the engine mode. */
void fibstream_delta(const struct engine_delta *d, uint64_t index, void *arg);
void fibstream_applied(uint64_t index, void *arg);
/* Engine mode: the state was replaced by one at version applied (a Raft
 * snapshot was restored): the history is dropped and every subscriber gets
 * a new snapshot.  A node's restore is noticed by fibstream itself. */
void fibstream_restored(struct fibstream *fs, struct engine *e,
			uint64_t applied);

/* The subscribers (at most max of them); returns how many there are. */
size_t fibstream_subscribers(struct fibstream *fs,
			     struct fibstream_sub_info *out, size_t max);
void fibstream_get_stats(const struct fibstream *fs,
			 struct fibstream_stats *st);

#endif
