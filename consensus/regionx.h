/*
 * regionx.h - the exchange between the clusters of one CEN's regions
 * (proto/region.proto; DESIGN.md "Regions").
 *
 * The design: regions replicate inputs, not decisions.  Every region's
 * cluster holds the whole CEN model and runs the engine over all of it, so
 * whatever comes from configuration (VPC vSwitch routes, static routes) is
 * known everywhere already.  What only a region learns at run time are its
 * inputs: the BGP paths its attachments' sessions bring (validated, before
 * any policy: the PathUpdate commands of its log) and its attachments'
 * health.  Each region exports those, and every other region's leader
 * proposes the same inputs into its own cluster.  Every region then
 * computes its decisions from the same inputs with the same model:
 * RegionOut, RegionIn and region-level best path apply exactly as in a
 * single engine, and a route-map change is re-evaluated everywhere with
 * nothing exported again.
 *
 * Exporter (regionexp.c), on every node, followers included: serves
 * cend.v1.Region/SubscribePaths.  A snapshot at the applied index V (every
 * BGP path of the region's attachments as the engine holds it, and each
 * attachment's health), in chunks; then one delta per applied entry that
 * changed those inputs, tagged with its index: the entry's PathUpdate,
 * HealthUpdate and PeerFlush commands for the region's own attachments, in
 * order, with node 0, and a RegionSync (the complete paths of one
 * attachment's peer) where a command's effect cannot be replayed as it is
 * elsewhere (a flush limited to one node's session, a path update refused
 * half-way, an attachment deleted).  A bounded history of those deltas lets
 * a subscriber that comes back with its index resume; an older one, or one
 * so slow that the history dropped what it still needed, gets a new
 * snapshot.  The history is kept only while a subscriber was seen in the
 * last minute: a cluster no other region subscribes to pays nothing for it.
 * A quiet stream gets a keepalive every second.  Every message carries the
 * exporter's region and the digest of its model (engine_model_hash).
 *
 * Importer (regionx.c), on the leader only (started when the node becomes
 * leader, stopped when it stops being one): for each peer region
 * (`cend --region-peer REGION=EP,...`) it subscribes to one of the
 * endpoints (failover between them, reconnects with backoff, resumes from
 * the last index imported in full) and turns what arrives into proposals
 * through the node.  The paths keep their attachment and peer address and
 * get node 0: they were learned in another region, so this cluster's node
 * liveness never flushes them (the BGP speaker flushes its own region's
 * attachments only).  Input for an attachment that is not in the peer
 * region here, or that does not validate, is refused: logged and counted.
 * A snapshot, and a sync, is compared with what this cluster holds for the
 * peer region's attachments (regiondiff.c) once every earlier proposal is
 * applied, and only the differences are proposed: a reconnect causes no
 * flush and re-add, no traffic blip, no duplicates.  A new leader first
 * waits for one proposal of its own to apply (so that its predecessor's
 * last proposals are applied too) before it compares anything.
 *
 * Loss of a region or of the link: while a peer's stream is down (every
 * endpoint failing, or silent past the idle timeout) a stale timer runs;
 * after grace_ms the importer proposes RegionState{region, unreachable},
 * and every node's engine stops exporting that region's paths (its VPCs'
 * routes too) into this region's tables.  On reconnect a region marked
 * unreachable always gets a snapshot: its differences are proposed first,
 * then RegionState reachable, so its routes come back once and complete.
 *
 * Model-wide objects are applied to every region's cluster by
 * `cenctl apply --endpoints` naming endpoints of each (one Apply per
 * region).  Disagreement cannot go unnoticed: the importer compares the
 * peer's model digest with its own, and on a mismatch keeps importing
 * (routing keeps working) but logs it and shows it in `cenctl region list`
 * (cend.v1.Admin/RegionList, served here) until the models agree.
 *
 * Everything runs on the node's libuv loop.
 */
#ifndef CEN_REGIONX_H
#define CEN_REGIONX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "consensus/node.h"
#include "core/attr.h"
#include "core/err.h"
#include "core/model.h"
#include "core/prefix.h"
#include "proto/rpc.h"

#define REGIONX_METHOD_SUBSCRIBE "cend.v1.Region/SubscribePaths"
#define REGIONX_METHOD_LIST	 "cend.v1.Admin/RegionList"
#define REGIONX_ENDPOINTS_MAX	 16
#define REGIONX_PEERS_MAX	 16

/* ---- regiondiff.c: what turns our paths into theirs (pure) --------- */

/* A path in a comparison: its key (attachment, peer, prefix) and its
 * attributes, interned in one attr_store for both sides (equal sets are
 * the same pointer).  data is the caller's. */
struct regiondiff_path {
	const char *attachment;
	struct prefix peer; /* family NONE: no peer */
	struct prefix prefix;
	const struct attrs *attrs;
	const void *data;
	size_t seq; /* set by regiondiff_sort */
};

enum regiondiff_op {
	REGIONDIFF_ADD = 1, /* theirs has it, we do not */
	REGIONDIFF_CHANGE,  /* both, with other attributes */
	REGIONDIFF_WITHDRAW /* we have it, they do not */
};

/* Called for each difference: ADD and CHANGE with their path, WITHDRAW
 * with ours.  Non-zero stops the comparison. */
typedef int (*regiondiff_cb)(enum regiondiff_op op,
			     const struct regiondiff_path *p, void *arg);

struct regiondiff_stats {
	size_t added, changed, withdrawn, same;
};

/* Key order: attachment, peer, prefix (prefix_cmp). */
int regiondiff_cmp(const struct regiondiff_path *a,
		   const struct regiondiff_path *b);
/* Sorts by key; paths with the same key keep their order. */
void regiondiff_sort(struct regiondiff_path *v, size_t n);
/* Calls cb, in key order, for each change that turns ours into theirs;
 * both sorted (regiondiff_sort).  A key given twice on one side counts
 * once: the last one given.  st (may be NULL) gets the counts.  Returns 0
 * or what cb returned to stop. */
int regiondiff_run(const struct regiondiff_path *theirs, size_t ntheirs,
		   const struct regiondiff_path *ours, size_t nours,
		   regiondiff_cb cb, void *arg, struct regiondiff_stats *st);

/* The paths of a PathUpdate another region sent, checked and converted
 * (attributes interned in as, each distinct message once): path is called
 * for each good one of its adds, then of its groups' prefixes, in order,
 * with a reference to its attributes that passes to the callee; refused is
 * called with a message for each bad one ("adds[3].prefix: ...",
 * "groups[1].prefixes: byte 12: ...").  A group without attributes, or
 * whose attributes do not convert, is refused whole; a prefix list is read
 * up to its first fault.  Returns the paths given to path. */
struct Cend__V1__PathUpdate;
typedef void (*regiondiff_path_fn)(const struct prefix *prefix,
				   const struct attrs *attrs, void *arg);
typedef void (*regiondiff_refuse_fn)(const char *msg, void *arg);
size_t regiondiff_update_paths(struct attr_store *as,
			       const struct Cend__V1__PathUpdate *u,
			       regiondiff_path_fn path,
			       regiondiff_refuse_fn refused, void *arg);

/* ---- regionexp.c: the exporter ------------------------------------- */

/* Zero fields take the defaults in brackets. */
struct regionexp_config {
	size_t history_entries;	  /* changes kept for resume [1 << 20] */
	size_t history_bytes;	  /* and their bytes [64 MiB] */
	uint32_t history_idle_ms; /* kept while a subscriber was seen this
				   * recently [60000] */
	size_t queue_max;	  /* bytes queued on a connection before
				   * sending pauses [4 MiB] */
	size_t chunk_bytes;	  /* bytes per message [1 MiB] */
	uint32_t tick_ms;	  /* [100] */
	uint32_t keepalive_ms;	  /* [1000] */
	uint32_t resume_wait_ms;  /* for a resume_index not applied yet
				   * [5000] */
};

struct regionexp;

/* Follows node n (node_listen) and serves its region's inputs.  Register
 * the methods with api_extend before api_start (as fibstream.h shows). */
int regionexp_new(uv_loop_t *loop, struct node *n,
		  const struct regionexp_config *cfg, struct regionexp **out,
		  struct cen_err *err);
/* SubscribePaths, NULL-terminated; they belong to x. */
const struct rpc_method *regionexp_methods(struct regionexp *x);
/* Ends every stream (UNAVAILABLE: the subscribers fail over) and frees x
 * on a later loop turn.  Call before api_stop and node_stop. */
void regionexp_stop(struct regionexp *x);

/* ---- regionx.c: the importer ---------------------------------------- */

struct regionx_peer {
	char region[MODEL_ID_MAX];
	char endpoints[REGIONX_ENDPOINTS_MAX][NODE_ADDR_MAX];
	size_t nendpoints;
};

/* Zero fields take the defaults in brackets. */
struct regionx_config {
	const struct regionx_peer *peers;
	size_t npeers;
	uint32_t grace_ms;	  /* stream down this long: unreachable
				   * [30000] */
	uint32_t idle_timeout_ms; /* a stream silent this long is down
				   * [5000] */
	uint32_t retry_ms;	  /* first pause once every endpoint failed,
				   * doubling up to retry_max_ms [200] */
	uint32_t retry_max_ms;	  /* [5000] */
	uint32_t tick_ms;	  /* [100] */
	size_t backlog_max;	  /* bytes received and not yet proposed
				   * before the stream is dropped (to resume
				   * later) [64 MiB] */
	size_t inflight_max;	  /* proposals not yet applied before
				   * importing pauses [256] */
};

struct regionx;

/* Parses "REGION=HOST:PORT[,HOST:PORT...]" (the --region-peer flag). */
int regionx_parse_peer(const char *arg, struct regionx_peer *out,
		       struct cen_err *err);
/* Imports from cfg->peers (copied) whenever node n leads.  Register the
 * methods (RegionList) with api_extend before api_start. */
int regionx_new(uv_loop_t *loop, struct node *n,
		const struct regionx_config *cfg, struct regionx **out,
		struct cen_err *err);
const struct rpc_method *regionx_methods(struct regionx *rx);
/* Drops every stream and frees rx once nothing refers to it any more (a
 * later loop turn).  Call before api_stop and node_stop. */
void regionx_stop(struct regionx *rx);

#endif
