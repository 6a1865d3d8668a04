/*
 * engine.h - the routing engine: the public API of core/.
 *
 * An engine holds one CEN: its configuration (struct model), every path its
 * attachments have contributed, and everything derived from them per route
 * table: RegionIn route-map results, overlap/conflict/quota rules, best path
 * and ECMP (ROUTING.md), per-attachment views shaped by RegionOut maps and
 * VPC protections, inter-region exchange, and the FIB of every region.
 *
 * It is pure and deterministic: no I/O, no clock, no randomness, nothing that
 * depends on addresses.  The same sequence of calls gives the same state and
 * the same engine_hash on every node.
 *
 * Every mutation recomputes only the prefixes it affects and reports FIB
 * changes through the delta callback.  Changes whose reach is a whole table
 * (a route-map entry without a CIDR condition, an association change) are
 * queued as jobs and advanced in bounded slices by engine_run; until the queue
 * is empty, the FIB reflects the new configuration only in part.  Callers that
 * need a settled state (tests, engine_hash) call engine_drain.
 *
 * Errors: every call returns 0 or a negative CEN_E* code and, for bad input,
 * fills err with a message naming the field and what is allowed; a failed
 * call leaves the engine unchanged.
 */
#ifndef CEN_ENGINE_H
#define CEN_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "err.h"
#include "model.h"
#include "prefix.h"

struct engine;

/* Path states (ROUTING.md "Overlapping routes and conflicts"). */
enum engine_state {
	ENGINE_STATE_UNSPECIFIED = 0,
	ENGINE_STATE_ACTIVE,
	ENGINE_STATE_CANDIDATE,
	ENGINE_STATE_REJECTED,
	ENGINE_STATE_PROHIBITED,
};

/* Why a path is not Active (or, for Active, why it is not in the view). */
#define ENGINE_REASON_MAP(X)                                                   \
	X(NONE, "")                                                            \
	X(STATIC_PREFERRED, "static-preferred") /* step 1 */                   \
	X(BGP_PREFERRED, "bgp-over-static")	/* step 2 */                   \
	X(AS_PATH, "as-path-longer")		/* step 2 */                   \
	X(REMOTE_REGION, "remote-region")	/* step 3 */                   \
	X(PREFERENCE, "preference")		/* step 4 */                   \
	X(REGION_ID, "region-id")		/* step 5 */                   \
	X(ECMP_LIMIT, "ecmp-limit")		/* beyond 8 next hops */       \
	X(ROUTE_MAP, "route-map-deny")                                         \
	X(OVERFLOW, "overflow")                                                \
	X(CONFLICT, "conflict")	   /* RouterInterface static route */          \
	X(OVERLAP, "overlap")	   /* overlapping routing off */               \
	X(VSWITCH, "vswitch-cidr") /* inside the VPC's own vSwitch CIDR */     \
	X(HEALTH, "health-check-down")                                         \
	X(DEFAULT_ROUTE, "default-route-prohibited")                           \
	X(OWN_ROUTE, "own-route") /* an attachment's own route */

enum engine_reason {
#define ENGINE_REASON_ENUM(name, str) ENGINE_REASON_##name,
	ENGINE_REASON_MAP(ENGINE_REASON_ENUM)
#undef ENGINE_REASON_ENUM
	ENGINE_REASON_COUNT_
};

/* One next hop of a FIB entry. */
enum engine_nh_kind {
	ENGINE_NH_UNSPECIFIED = 0,
	ENGINE_NH_ATTACHMENT, /* forward to a local attachment */
	ENGINE_NH_REGION,     /* forward over the backbone to a region */
	ENGINE_NH_BLACKHOLE,
};

struct engine_nh {
	uint8_t kind;	/* enum engine_nh_kind */
	uint8_t weight; /* 1..255 */
	const char *id; /* attachment or region ID; owned by the engine */
};

/* An interned next-hop group: shared, immutable, sorted by (kind, id). */
struct engine_nhg {
	uint32_t refcnt;
	uint64_t hash;
	uint32_t n;
	struct engine_nh nh[];
};

/* A FIB change.  `view` is NULL for a route table's own FIB; otherwise the
 * change is to that attachment's override of its table: nhg NULL then means
 * "no override, use the table's entry" and an nhg with n == 0 means "this
 * attachment has no route for the prefix" (LPM continues to shorter ones). */
struct engine_delta {
	const char *region;
	const char *table;
	const char *view; /* attachment ID, or NULL */
	struct prefix prefix;
	const struct engine_nhg *nhg; /* NULL: withdrawn / override removed */
};

/* Called for every FIB change, in order.  The pointers are valid only during
 * the call (take a reference with engine_nhg_ref to keep an nhg). */
typedef void (*engine_delta_cb)(const struct engine_delta *d, void *arg);

/* Called whenever a prefix of a table was re-decided, whether or not its
 * FIB entry changed: attribute changes that keep the next hops (an AS path,
 * communities) reach BGP advertisements this way.  An over-approximation:
 * the receiver compares with what it last advertised.  gone: the prefix
 * left the table, and no view of the table has a route for it (until it
 * is touched again). */
typedef void (*engine_touch_cb)(const char *region, const char *table,
				const struct prefix *p, bool gone, void *arg);

/* A path contributed by an attachment: what a BGP session (or, later,
 * another region) hands to the engine. */
struct engine_path_in {
	const char *attachment; /* source attachment ID */
	struct prefix peer;	/* peer address (family NONE for non-BGP) */
	uint8_t node;		/* cluster node that learned it (0 = none) */
	struct prefix prefix;
	const struct attrs *attrs; /* interned in engine_attrs(e); the engine
				    * takes its own reference */
};

/* One path as listed by engine_route_list. */
struct engine_route {
	const char *region;
	const char *table;
	const char *view; /* set when listing an attachment's learned routes */
	struct prefix prefix;
	const char *source;	   /* source attachment ID */
	const char *source_region; /* region of the source attachment */
	uint8_t source_type;	   /* enum model_att_type */
	uint8_t route_type;	   /* enum model_route_type (CEN if remote) */
	uint8_t origin_type;	   /* route type at its source */
	bool table_static;	   /* a static route of the table */
	struct prefix peer;
	uint8_t node;
	/* attributes after RegionIn (and RegionOut for views) */
	const struct attrs *attrs;
	const struct engine_nhg *nhg; /* this path's next hop */
	uint8_t state;		      /* enum engine_state */
	uint8_t reason;		      /* enum engine_reason */
	uint8_t rmap_priority;	      /* for ROUTE_MAP: the denying entry */
};

typedef int (*engine_route_cb)(const struct engine_route *r, void *arg);

struct engine_stats {
	size_t paths;	  /* path objects over all tables */
	size_t prefixes;  /* table entries with at least one path */
	size_t attr_sets; /* interned attribute sets */
	size_t nhgs;	  /* interned next-hop groups */
	size_t overrides; /* per-attachment view overrides */
	size_t jobs;	  /* queued jobs */
	size_t bytes;	  /* memory held by the RIB's slabs and stores */
};

/* engine.c */
struct engine *engine_new(void);
/* An engine that interns its attribute sets in st, which the caller owns
 * and keeps until after engine_free: sets outlive the engine (a node
 * rebuilds its engine from a snapshot) and are shared with whoever else
 * interns in st (the BGP speaker's Adj-RIBs). */
struct engine *engine_new_shared(struct attr_store *st);
void engine_free(struct engine *e);
void engine_set_delta_cb(struct engine *e, engine_delta_cb cb, void *arg);
void engine_set_touch_cb(struct engine *e, engine_touch_cb cb, void *arg);
/* The store in which callers intern attribute sets for engine_path_add. */
struct attr_store *engine_attrs(struct engine *e);

/* The applied configuration (read-only). */
const struct model *engine_model(const struct engine *e);

/* Replaces the whole configuration with m, atomically: validates it (every
 * error reported, with lines), then reconciles; on error nothing changes.
 * m is copied. */
int engine_apply(struct engine *e, const struct model *m, struct cen_err *err);
/* Validates m against the current state without applying it. */
int engine_check(struct engine *e, const struct model *m, struct cen_err *err);

/* Single-object commands: each is engine_apply of the current model with one
 * object put or deleted. */
int engine_put_cen(struct engine *e, const struct model_cen *c,
		   struct cen_err *err);
int engine_put_region(struct engine *e, const struct model_region *r,
		      struct cen_err *err);
int engine_del_region(struct engine *e, const char *id, struct cen_err *err);
int engine_put_table(struct engine *e, const struct model_table *t,
		     struct cen_err *err);
int engine_del_table(struct engine *e, const char *id, struct cen_err *err);
int engine_put_table_route(struct engine *e, const struct model_table_route *r,
			   struct cen_err *err);
int engine_del_table_route(struct engine *e, const char *table,
			   const struct prefix *p, struct cen_err *err);
int engine_put_pc(struct engine *e, const struct model_pc *pc,
		  struct cen_err *err);
int engine_del_pc(struct engine *e, const char *id, struct cen_err *err);
int engine_put_attachment(struct engine *e, const struct model_attachment *a,
			  struct cen_err *err);
int engine_del_attachment(struct engine *e, const char *id,
			  struct cen_err *err);
int engine_put_rmap(struct engine *e, const struct model_rmap *r,
		    struct cen_err *err);
int engine_del_rmap(struct engine *e, const char *region, uint8_t dir,
		    const char *table, uint8_t priority, struct cen_err *err);
int engine_put_bwp(struct engine *e, const struct model_bwp *b,
		   struct cen_err *err);
int engine_del_bwp(struct engine *e, const char *id, struct cen_err *err);

/* Health of an attachment as measured by its health check: down withdraws
 * its routes when the check's change_route is on (state Rejected, reason
 * health-check-down); up restores them. */
int engine_set_health(struct engine *e, const char *attachment, bool up,
		      struct cen_err *err);

/* Paths.  Adding a path with the same (attachment, peer, prefix) replaces
 * it; only VBR, VPN and CCN attachments take BGP paths. */
int engine_path_add(struct engine *e, const struct engine_path_in *p,
		    struct cen_err *err);
int engine_path_del(struct engine *e, const char *attachment,
		    const struct prefix *peer, const struct prefix *prefix,
		    struct cen_err *err);
/* Withdraws every BGP path learned from peer (family NONE: from every peer)
 * of the attachment, as a job over its tables (engine_run); paths the peer
 * sends again after this call are kept.  Returns 0 or a negative error. */
int engine_peer_flush(struct engine *e, const char *attachment,
		      const struct prefix *peer, struct cen_err *err);
/* The same for the paths whose last announcement came through one cluster
 * node (node 0: any): what a session loss on that node withdraws, while
 * other nodes holding a session with the same peer announce again. */
int engine_peer_flush_node(struct engine *e, const char *attachment,
			   const struct prefix *peer, uint8_t node,
			   struct cen_err *err);

/* Regions (DESIGN.md "Regions").  A region marked unreachable (its cluster
 * is gone, or the link to it) exports nothing into other regions' tables:
 * neither its BGP paths nor its configuration's (VPC vSwitch CIDRs, static
 * routes), so nothing elsewhere forwards towards it; its own tables are
 * left as they are.  Marked reachable again, it exports everything as
 * before (a job over its system table, engine_run).  Unknown region:
 * -CEN_ENOENT. */
int engine_set_region_reachable(struct engine *e, const char *region,
				bool reachable, struct cen_err *err);
/* True unless the region is marked unreachable (an unknown region is
 * reachable). */
bool engine_region_reachable(struct engine *e, const char *region);

/* What an attachment has contributed, as it was received (for other
 * regions' clusters, which replicate these inputs and not the decisions).
 * engine_att_paths calls cb for every BGP path of the attachment (peer NULL
 * or family NONE: of every peer), with its attributes before any policy,
 * in prefix order; cb must not change the engine, and a non-zero return
 * stops the walk and is returned.  -CEN_ENOENT for an unknown
 * attachment. */
typedef int (*engine_path_cb)(const struct engine_path_in *p, void *arg);
int engine_att_paths(struct engine *e, const char *attachment,
		     const struct prefix *peer, engine_path_cb cb, void *arg);
/* The attachment's health as last set (engine_set_health); 0 or
 * -CEN_ENOENT. */
int engine_health(struct engine *e, const char *attachment, bool *up);

/* Jobs: advances queued work by about `budget` paths; returns true while
 * work remains. */
bool engine_run(struct engine *e, size_t budget);
void engine_drain(struct engine *e);
size_t engine_pending(const struct engine *e);

/* Reads. */
/* Every path of a table (table NULL: every table of the region; region NULL:
 * every region), optionally only inside `within` (or exactly it, when
 * exact), in prefix order. */
int engine_route_list(struct engine *e, const char *region, const char *table,
		      const struct prefix *within, bool exact,
		      engine_route_cb cb, void *arg);
/* What an attachment has learned: every path of its table but its own, with
 * the state it has in the attachment's view (RegionOut denials and VPC
 * protections make an Active path Rejected there). */
int engine_view_list(struct engine *e, const char *attachment,
		     const struct prefix *within, engine_route_cb cb,
		     void *arg);
/* What an attachment learns for exactly prefix p: the attributes (after
 * RegionOut, with a reference the caller drops with attr_unref) of the first
 * path Active in its view, and that path's source attachment; NULL when it
 * learns nothing there.  For BGP advertisements. */
const struct attrs *engine_view_route(struct engine *e, const char *attachment,
				      const struct prefix *p,
				      const char **source);
/* The FIB of a region: every table's active groups, then every view
 * override, as deltas (one per entry). */
int engine_fib_walk(struct engine *e, const char *region, engine_delta_cb cb,
		    void *arg);
/* Longest-match lookup in the FIB that traffic from `attachment` follows. */
const struct engine_nhg *engine_fib_lookup(struct engine *e,
					   const char *attachment,
					   const struct prefix *dst,
					   struct prefix *matched);

/* A 64-bit hash over the whole state (configuration, paths with their state
 * and reason, FIB, views); equal states hash equal.  Call on a drained
 * engine. */
uint64_t engine_hash(struct engine *e);
/* A 64-bit hash over the configuration alone (the CEN, regions, tables,
 * attachments, route maps, bandwidth packages), in a canonical form: two
 * engines given the same model hash equal, whatever the order of its
 * objects or their source lines.  Regions compare it to tell whether they
 * run the same model. */
uint64_t engine_model_hash(struct engine *e);
/* Writes a canonical text dump of the state (what engine_hash covers) into a
 * malloc'd string; the caller frees it.  For tests and debugging. */
char *engine_dump(struct engine *e);
void engine_get_stats(const struct engine *e, struct engine_stats *st);

void engine_nhg_ref(const struct engine_nhg *g);
void engine_nhg_unref(struct engine *e, const struct engine_nhg *g);
/* Formats "vbr-dc-1, vbr-dc-2" / "region:cn-shanghai" / "blackhole". */
char *engine_nhg_fmt(const struct engine_nhg *g, char *buf, size_t size);

const char *engine_state_str(uint8_t s);
const char *engine_reason_str(uint8_t r);

#endif
