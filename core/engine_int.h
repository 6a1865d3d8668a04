/*
 * engine_int.h - the engine's internal structures, shared by the files of
 * the engine: engine.c (API, reconcile, jobs, reads), rib.c (paths, the
 * decision process, views, inter-region export), routemap.c (compiled route
 * maps), nhg.c (next-hop groups).
 *
 * Indices, not pointers, name attachments, regions and tables inside paths,
 * so that a path costs 40 bytes and nothing depends on addresses.
 */
#ifndef CEN_ENGINE_INT_H
#define CEN_ENGINE_INT_H

#include "attr.h"
#include "engine.h"
#include "hmap.h"
#include "model.h"
#include "slab.h"
#include "trie.h"

#define E_NONE UINT32_MAX

/* Path flags. */
#define P_REMOTE    0x01 /* learned from another region */
#define P_TSTATIC   0x02 /* a static route of the table */
#define P_BLACKHOLE 0x04 /* table static route to nowhere */

/* One path in one table's entry.  Sorted in the entry by (src, peer, type,
 * flags): the path's identity. */
struct e_path {
	struct e_path *next;
	const struct attrs *attrs; /* as received (pre-policy); one ref */
	const struct attrs *eff;   /* after RegionIn, NULL if denied; one ref
				    * unless eff == attrs */
	uint32_t src;		   /* attachment index */
	uint32_t peer;		   /* low 24 bits: peer index; high 8: node */
	uint32_t gen;		   /* engine generation when added */
	uint8_t type;		   /* enum model_route_type at the source */
	uint8_t state;		   /* enum engine_state */
	uint8_t reason;		   /* enum engine_reason */
	uint8_t flags;		   /* P_* */
};

#define PEER_IDX(p)  ((p)&0xffffffu)
#define PEER_NODE(p) ((uint8_t)((p) >> 24))

/* Entry flags. */
#define EN_COUNTED   0x01 /* admitted under the table's quota */
#define EN_OVERFLOW  0x02 /* over quota */
#define EN_OVERRIDES 0x04 /* some attachment has a view override */

/* The payload of a table trie node: one prefix of one table. */
struct e_entry {
	struct e_path *paths;
	const struct engine_nhg *nhg; /* active group; NULL when none */
	uint32_t seq;		      /* admission order for the quota */
	uint8_t flags;
};

/* A compiled route-map entry. */
struct e_rmap {
	struct model_rmap cfg;
	uint32_t *src_atts, *dst_atts; /* sorted attachment indices */
	uint32_t nsrc_atts, ndst_atts;
	uint32_t *src_regions;
	uint32_t nsrc_regions;
	uint32_t *src_tables, *dst_tables;
	uint32_t nsrc_tables, ndst_tables;
	uint32_t src_types, dst_types; /* bit (1 << model_att_type) */
	uint32_t route_types;	       /* bit (1 << model_route_type) */
	bool unresolved; /* names something absent: never matches */
};

/* Entries of one (region, direction, table) key, by priority. */
struct e_rmap_set {
	struct e_rmap *v;
	size_t n;
	/* RegionOut: which destinations some Deny entry can reach */
	bool deny_all;	     /* a Deny entry without a plain dst list */
	uint32_t *deny_atts; /* else these attachment indices */
	size_t ndeny_atts;
};

/* Who is protected where: the payload of a table's protection trie. */
struct e_prot_item {
	uint32_t att;
	uint8_t reason; /* VSWITCH, CONFLICT, OVERLAP */
};
struct e_prot {
	struct e_prot_item *v;
	uint32_t n;
};

struct e_overflow {
	struct prefix prefix;
	uint32_t seq;
};

struct e_table {
	char id[MODEL_ID_MAX];
	uint32_t idx;
	uint32_t region;
	bool system;
	bool hidden; /* holds paths of attachments that propagate nowhere */
	uint32_t max_routes;
	bool multi_region_ecmp;
	struct trie trie[2]; /* [0] IPv4, [1] IPv6 */
	struct trie prot[2]; /* protections, payload struct e_prot */
	size_t counted;
	struct e_overflow *ovf;
	size_t novf, capovf;
	uint32_t next_seq;
	struct e_rmap_set in, out;
	uint32_t *atts; /* attachments associated with this table, sorted */
	size_t natts;
};

struct e_region {
	char id[MODEL_ID_MAX];
	uint32_t idx;
	uint32_t system;  /* table index */
	uint32_t hidden;  /* table index */
	bool unreachable; /* its paths are not exported (see export) */
};

struct e_att {
	char id[MODEL_ID_MAX];
	uint32_t idx;
	uint8_t type;
	uint32_t region;
	uint32_t assoc;		       /* table index */
	uint32_t prop[MODEL_LIST_MAX]; /* table indices; none = hidden */
	uint8_t nprop;
	bool health_down;
	bool change_route;
	bool allow_default;
	struct hmap overrides; /* struct prefix -> struct e_override */
};

struct e_override {
	struct prefix prefix;
	const struct engine_nhg *nhg; /* n == 0: no route in this view */
};

/* A resumable walk over one table. */
enum {
	JOB_IN = 0x1,	  /* re-run RegionIn on matching paths */
	JOB_DECIDE = 0x2, /* re-run the decision */
	JOB_OUT = 0x4,	  /* recompute views and exports */
	JOB_FLUSH = 0x8,  /* remove paths of (att, peer) older than gen */
};

struct e_job {
	struct e_job *next;
	uint32_t table;
	uint8_t what;
	uint32_t att;  /* E_NONE: any source */
	uint32_t peer; /* JOB_FLUSH: peer index, E_NONE: every peer */
	uint8_t node;  /* JOB_FLUSH: only paths learned by this node; 0 any */
	uint32_t gen;
	struct prefix within; /* family NONE: everything */
	int fam;	      /* 0 or 1 */
	struct prefix cursor;
	bool started;
};

struct engine {
	struct model model;
	struct attr_store *attrs; /* own_attrs, or the caller's */
	struct attr_store own_attrs;
	struct slab paths;
	struct hmap nhgs;
	const struct engine_nhg *empty_nhg;

	struct e_region **regions; /* by index; NULL when deleted */
	size_t nregions;
	struct e_table **tables;
	size_t ntables;
	struct e_att **atts;
	size_t natts;
	struct hmap att_by_id, region_by_id, table_by_id; /* id -> object */

	struct prefix *peers; /* peer index -> address; [0] unused */
	size_t npeers, cappeers;
	struct hmap peer_by_addr;
	uint32_t last_peer; /* peer_find's last answer (0: none) */
	uint32_t last_att;  /* att_by_id's last answer (an index) */

	struct e_job *jobs, *jobs_tail;
	size_t njobs;
	uint32_t gen;
	size_t npaths;
	size_t noverrides;

	engine_delta_cb cb;
	void *cb_arg;
	engine_touch_cb touch_cb;
	void *touch_arg;
};

/* rib.c */
void rib_table_init(struct engine *e, struct e_table *t);
void rib_table_fini(struct engine *e, struct e_table *t);
/* Inserts or replaces a path; recomputes its prefix. */
int rib_path_put(struct engine *e, struct e_table *t, const struct prefix *p,
		 uint32_t src, uint32_t peer, uint8_t type, uint8_t flags,
		 const struct attrs *attrs);
/* Removes a path; recomputes its prefix.  Returns 0 or -CEN_ENOENT. */
int rib_path_del(struct engine *e, struct e_table *t, const struct prefix *p,
		 uint32_t src, uint32_t peer, uint8_t type, uint8_t flags);
/* Re-runs RegionIn (optionally), the decision, views and exports of one
 * prefix. */
void rib_refresh(struct engine *e, struct e_table *t, const struct prefix *p,
		 uint8_t what, uint32_t att);
/* Removes every path of att from t (synchronously), or copies them into
 * dst when dst is not NULL. */
void rib_att_paths(struct engine *e, struct e_table *t, uint32_t att,
		   struct e_table *dst, bool remove);
/* Rebuilds table t's protection trie from the model. */
void rib_prot_rebuild(struct engine *e, struct e_table *t);
const char *rib_nh_name(struct engine *e, const struct e_path *p,
			uint8_t *kind);
void rib_region_export_all(struct engine *e, uint32_t to_region);
/* The state a path has in att's view (its table state unless a RegionOut
 * map or a protection rejects it there). */
void rib_view_state(struct engine *e, struct e_table *t, uint32_t att,
		    const struct prefix *p, const struct e_path *path,
		    uint8_t *state, uint8_t *reason, uint8_t *deny_prio,
		    const struct attrs **out_attrs);

/* routemap.c */
void rmap_set_fini(struct e_rmap_set *s);
/* Compiles every entry of (region, dir, table) from the model. */
int rmap_set_build(struct engine *e, struct e_rmap_set *s, uint32_t region,
		   uint8_t dir, uint32_t table);

struct rmap_ctx {
	const struct prefix *prefix;
	const struct e_path *path; /* src, type, flags */
	const struct attrs *attrs; /* input attributes */
	uint32_t src_table;	   /* E_NONE if none */
	uint32_t dst_att;	   /* RegionOut to an attachment, or E_NONE */
	uint32_t dst_region;	   /* RegionOut to a region, or E_NONE */
};

/* Evaluates s for ctx.  Returns true (permit) with *out the resulting
 * attributes (a new reference; == ctx->attrs with a reference added when
 * unchanged), or false (deny) with *deny_prio the denying entry. */
bool rmap_eval(struct engine *e, const struct e_rmap_set *s,
	       const struct rmap_ctx *ctx, const struct attrs **out,
	       uint8_t *deny_prio);
/* Whether entry r can match paths of src att (E_NONE: unknown) under
 * prefix p: the cheap, dst-independent conditions only. */
bool rmap_entry_may_match(const struct e_rmap *r, const struct prefix *p,
			  uint32_t src_att);

/* nhg.c */
const struct engine_nhg *nhg_intern(struct engine *e,
				    const struct engine_nh *nh, uint32_t n);
/* Builds the group of a list of active paths (those with state ACTIVE, or
 * marked in keep[] when keep is not NULL). */
const struct engine_nhg *nhg_of_paths(struct engine *e,
				      struct e_path *const *paths, uint32_t n);
void nhg_store_fini(struct engine *e);
void engine_nhg_init(struct engine *e);

/* engine.c */
struct e_att *engine_att(struct engine *e, uint32_t idx);
void engine_emit(struct engine *e, const struct e_table *t,
		 const struct e_att *view, const struct prefix *p,
		 const struct engine_nhg *nhg);
void engine_job_add(struct engine *e, uint32_t table, uint8_t what,
		    uint32_t att, const struct prefix *within);

#endif
