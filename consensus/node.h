/*
 * node.h - one cend cluster node: canonical/raft over libuv, the replicated
 * command log applied to the engine and the LMDB store, leader forwarding
 * and batching (DESIGN.md "consensus/", "The write path").
 *
 * Every write is a cend.v1.Command.  node_propose on the leader queues it;
 * the commands queued during one loop turn (bounded in bytes) become one
 * cend.v1.Batch in one Raft entry.  On a follower node_propose forwards the
 * command to the leader's API (Cluster/Propose).  Either way the callback
 * runs once the command is applied (or failed), with the entry's index.
 *
 * Apply is idempotent by index: the store records the index of the last
 * applied entry in the same LMDB transaction as the entry's writes, and an
 * entry at or below it is skipped (Raft replays its log after every start).
 */
#ifndef CEN_NODE_H
#define CEN_NODE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/engine.h"
#include "core/err.h"
#include "proto/command.pb-c.h"

#define NODE_MAX_MEMBERS 16
#define NODE_ADDR_MAX	 64
/* Bytes of commands per Raft entry (a command larger than this goes
 * alone).  An entry is applied in one loop turn and one store transaction:
 * 256 KiB (about 16,000 grouped BGP paths) keeps the apply pipelined with
 * the next entry's replication and LMDB's dirty pages few; with 4 MiB a
 * 1M-route blast took 20% more CPU and 90 MB more memory per node. */
#define NODE_BATCH_MAX (256u << 10)

struct node_member {
	uint64_t id;
	char raft_addr[NODE_ADDR_MAX];
	char api_addr[NODE_ADDR_MAX];
};

struct node_config {
	uint64_t id;
	char region[64];
	char data_dir[4096];
	char raft_addr[NODE_ADDR_MAX];
	char api_addr[NODE_ADDR_MAX];
	struct node_member initial[NODE_MAX_MEMBERS]; /* --initial-cluster */
	size_t ninitial;
	char join[NODE_ADDR_MAX];    /* --join: an API address of the cluster */
	unsigned election_ms;	     /* default 1000 */
	unsigned heartbeat_ms;	     /* default 100 */
	unsigned snapshot_threshold; /* entries between snapshots, 1024 */
	unsigned snapshot_trailing;  /* entries kept after one, 128 */
	unsigned node_grace_ms;	     /* a silent node's paths go after this,
				      * default 120 000 (graceful restart) */
};

struct node;

/* Called once a proposal is applied (status 0, index of its entry) or has
 * failed (negative CEN_E* code and a message). */
typedef void (*node_propose_cb)(int status, const char *message, uint64_t index,
				void *arg);

/* Called for every FIB change the engine emits while applying, with the
 * index of the entry being applied. */
typedef void (*node_delta_cb)(const struct engine_delta *d, uint64_t index,
			      void *arg);

/* Called for every applied command and every leadership change seen by
 * this node: kind is "command" or "leader", text says what happened
 * ("paths vbr-dc-1: +1000 -0", "leader is node 2 (term 3)"). */
typedef void (*node_event_cb)(uint64_t index, const char *kind,
			      const char *text, void *arg);

/* node.c */
int node_start(uv_loop_t *loop, const struct node_config *cfg,
	       struct node **out, struct cen_err *err);
/* Closes Raft, the store and the engine; cb runs when everything is closed
 * (then the node is freed). */
void node_stop(struct node *n, void (*cb)(void *arg), void *arg);

/* A packed cend.v1.Command (copied).  See above.  cb may be NULL. */
int node_propose(struct node *n, const uint8_t *cmd, size_t len,
		 node_propose_cb cb, void *arg);
/* The same for a command the caller has decoded already (a request of the
 * admin API): node_propose's own decode check is skipped.  forwarded: a
 * follower's write (Cluster/Propose), which that follower answers once it
 * has applied it too, so followers are told of its commit at once. */
int node_propose_decoded(struct node *n, const uint8_t *cmd, size_t len,
			 bool forwarded, node_propose_cb cb, void *arg);

struct engine *node_engine(struct node *n);
/* The node's attribute store: the engine's sets, whichever engine is
 * current, and anything else that interns in it (the BGP speaker). */
struct attr_store *node_attrs(struct node *n);
const struct node_config *node_config(const struct node *n);
/* Whoever follows what the node applies (the admin API's watchers, the BGP
 * speaker): FIB changes, events, and the end of each applied entry.  Any
 * callback may be NULL.  The listener must stay valid until removed. */
struct node_listener {
	struct node_listener *next;
	node_delta_cb delta;
	node_event_cb event;
	void (*applied)(uint64_t index, void *arg); /* after each entry */
	engine_touch_cb touch; /* a prefix re-decided (engine.h) */
	/* the paths of a peer last announced through node were withdrawn
	 * (its session there went down) */
	void (*flushed)(const char *attachment, const struct prefix *peer,
			uint8_t node, void *arg);
	/* leader only: node has not been heard from for the grace period
	 * (its BGP paths should go), or is back */
	void (*node_gone)(uint64_t node, void *arg);
	/* every command of an applied entry, after it was applied, in order:
	 * rc is 0, or why it changed nothing (or, for paths, not all it
	 * said); c is valid during the call only */
	void (*command)(uint64_t index, const Cend__V1__Command *c, int rc,
			void *arg);
	void *arg;
};
void node_listen(struct node *n, struct node_listener *l);
void node_unlisten(struct node *n, struct node_listener *l);

struct node_status {
	uint64_t id;
	uint64_t leader_id;
	char leader_raft_addr[NODE_ADDR_MAX];
	char leader_api_addr[NODE_ADDR_MAX];
	uint64_t term;
	uint64_t commit_index;
	uint64_t applied_index;
	uint64_t db_size;
	uint64_t raft_log_size;
	const char *state; /* leader | follower | candidate | unavailable */
	uint64_t paths;
};
void node_get_status(struct node *n, struct node_status *st);
bool node_is_leader(struct node *n);

/* Members as Raft's configuration has them, with the API addresses the
 * members announced; roles "voter", "standby", "spare". */
struct node_member_info {
	struct node_member m;
	const char *role;
	bool is_leader;
};
size_t node_members(struct node *n, struct node_member_info *out, size_t max);

/* Membership changes (leader only; -CEN_ENOTLEADER otherwise).  add puts a
 * node in as a spare; promote makes it a voter once it caught up. */
typedef void (*node_change_cb)(int status, const char *message, void *arg);
int node_member_add(struct node *n, uint64_t id, const char *raft_addr,
		    const char *api_addr, node_change_cb cb, void *arg);
int node_member_promote(struct node *n, uint64_t id, node_change_cb cb,
			void *arg);
int node_member_remove(struct node *n, uint64_t id, node_change_cb cb,
		       void *arg);
int node_leader_transfer(struct node *n, uint64_t id, node_change_cb cb,
			 void *arg);

/* A consistent image of the applied state (store_snapshot). */
int node_snapshot(struct node *n, uint8_t **buf, size_t *len);

#endif
