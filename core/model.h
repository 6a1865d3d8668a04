/*
 * model.h - the CEN configuration model (ROUTING.md "Objects", "Route maps",
 * "Bandwidth") and its validation.
 *
 * A struct model is the whole desired configuration: the CEN instance,
 * regions, route tables and their static routes, physical connections,
 * attachments, route-map entries and bandwidth packages.  It is plain data:
 * the YAML loader and the admin API build one, model_validate checks every
 * rule that can be checked from the configuration alone (reporting every
 * error, each naming its object, field and allowed range), and the engine
 * reconciles its state to it.  Objects refer to each other by string ID.
 *
 * Ownership: a model owns all of its arrays; model_free releases them.
 * model_clone makes a deep copy.
 */
#ifndef CEN_MODEL_H
#define CEN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "prefix.h"

/* IDs are 1..63 characters of [A-Za-z0-9._-] */
#define MODEL_ID_MAX		  64
#define MODEL_LIST_MAX		  32 /* route-map condition lists */
#define MODEL_PEERS_MAX		  8  /* BGP peers per attachment */
#define MODEL_NODES_MAX		  8  /* cluster nodes per peer */
#define MODEL_ECMP_MAX		  8  /* next hops per ECMP group */
#define MODEL_PREPEND_MAX	  32 /* AS path prepend */
#define MODEL_NEXTHOPS_MAX	  8  /* next hops of a table static route */
#define MODEL_ASN_DEFAULT	  45104
#define MODEL_ASN_RESERVED	  65025
#define MODEL_ROUTE_QUOTA_DEFAULT 110 /* BGP max-prefix per peer */
#define MODEL_HOLD_DEFAULT	  90

typedef char model_id[MODEL_ID_MAX];

enum model_att_type {
	MODEL_ATT_UNSPECIFIED = 0,
	MODEL_ATT_VPC,
	MODEL_ATT_VBR,
	MODEL_ATT_VPN,
	MODEL_ATT_CCN,
};

/* Route types (ROUTING.md "Route types"): what a path is at its source. */
enum model_route_type {
	MODEL_RT_UNSPECIFIED = 0,
	MODEL_RT_SYSTEM, /* a VPC's vSwitch CIDR */
	MODEL_RT_CUSTOM, /* static, entered by an admin */
	MODEL_RT_BGP,	 /* learned from a BGP peer */
	MODEL_RT_CEN,	 /* learned from another region (route-map matching) */
};

/* Next-hop kinds of custom/static routes. */
enum model_nh_type {
	MODEL_NH_UNSPECIFIED = 0,
	MODEL_NH_ATTACHMENT,	   /* an attachment of the CEN (by ID) */
	MODEL_NH_ENI,		   /* an elastic interface inside a VPC */
	MODEL_NH_INSTANCE,	   /* an instance inside a VPC */
	MODEL_NH_ROUTER_INTERFACE, /* an older peering connection */
	MODEL_NH_PHYSICAL_CONNECTION,
	MODEL_NH_VPC, /* a VPC attachment (by attachment ID) */
	MODEL_NH_BLACKHOLE,
};

enum model_dir {
	MODEL_DIR_UNSPECIFIED = 0,
	MODEL_DIR_IN,  /* RegionIn */
	MODEL_DIR_OUT, /* RegionOut */
};

enum model_match_mode {
	MODEL_MATCH_UNSPECIFIED = 0, /* means Include */
	MODEL_MATCH_INCLUDE,
	MODEL_MATCH_COMPLETE,
};

enum model_action {
	MODEL_ACTION_UNSPECIFIED = 0,
	MODEL_ACTION_PERMIT,
	MODEL_ACTION_DENY,
};

enum model_comm_mode {
	MODEL_COMM_UNSPECIFIED = 0, /* no community change */
	MODEL_COMM_ADDITIVE,
	MODEL_COMM_REPLACE,
};

/* Address family condition bits. */
#define MODEL_AF_V4 0x1
#define MODEL_AF_V6 0x2

struct model_cen {
	model_id id;
	/* default true; cannot go from true to false */
	bool overlapping_routes;
	uint32_t asn; /* default 45104 */
	int line;     /* source line (0: not from a file) */
};

struct model_table {
	model_id id;
	model_id region;
	bool system;		/* exactly one system table per region */
	uint32_t max_routes;	/* prefix quota; 0 = unlimited */
	bool multi_region_ecmp; /* ECMP across regions (stops before step 5) */
	int line;
};

struct model_region {
	model_id id;
	/* RFC 4456 cluster ID of the region's cluster towards its iBGP
	 * route-reflector clients (host order); 0: derived from the ID, see
	 * model_region_cluster_id */
	uint32_t bgp_cluster_id;
	int line;
};

struct model_nexthop {
	uint8_t type; /* enum model_nh_type */
	model_id id;
	uint8_t weight; /* 1..255, default 1 */
};

/* A route entered by an admin: a VPC custom route, a VBR/VPN/CCN static
 * route, or (in struct model_table_route) a static route of a table. */
struct model_route {
	struct prefix prefix;
	struct model_nexthop nh;
	bool publish; /* VPC custom routes: advertised into the CEN */
	int line;
};

/* A static route entered in a hub route table (ROUTING.md best path step 1).
 * Next hops are attachments of the table's region; none means blackhole. */
struct model_table_route {
	model_id table;
	struct prefix prefix;
	struct model_nexthop nh[MODEL_NEXTHOPS_MAX];
	uint8_t nnh;
	bool blackhole;
	int line;
};

struct model_pc {
	model_id id;
	model_id region;
	char access_point[MODEL_ID_MAX];
	uint32_t speed_gbps; /* 1..100 */
	int line;
};

struct model_peer {
	struct prefix address; /* host prefix */
	uint32_t asn;	       /* 1..4294967295, not 65025; the CEN's own
				* ASN makes the peer an iBGP route-reflector
				* client (RFC 4456) */
	uint8_t nodes[MODEL_NODES_MAX];
	uint8_t nnodes;
	char md5_key[81];     /* empty: none; at most 80 characters */
	uint16_t hold_time_s; /* 0 or 3..65535, default 90 */
	uint32_t route_quota; /* max-prefix, default 110 */
	bool passive;
	uint16_t port;	      /* default 179 */
	bool ipv4, ipv6;      /* families; default ipv4 only */
	uint8_t ttl_security; /* GTSM hops; 0 = off */
	int line;
};

struct model_health {
	bool enabled;
	struct prefix source_ip; /* default 100.96.0.1 + index */
	struct prefix target_ip; /* default the attachment's peer_ip */
	uint8_t interval_s;	 /* 2 or 3, default 2 */
	uint8_t threshold;	 /* 3..8, default 8 */
	bool change_route;	 /* default true */
};

struct model_attachment {
	model_id id;
	uint8_t type; /* enum model_att_type */
	model_id region;
	model_id route_table;		    /* association; "" = system */
	model_id propagate[MODEL_LIST_MAX]; /* none given = association */
	uint8_t npropagate;
	bool propagate_set; /* propagate given explicitly (may be empty) */

	/* VPC */
	struct prefix *vswitch_cidrs;
	size_t nvswitch;

	/* VPC custom routes, or VBR/VPN/CCN static routes */
	struct model_route *routes;
	size_t nroutes;

	/* VBR */
	model_id physical_connection;
	uint16_t vlan;		  /* 1..2999 */
	uint32_t bandwidth_mbps;  /* 2..speed */
	struct prefix local_ip;	  /* with its length, e.g. 10.10.10.1/30 */
	struct prefix peer_ip;	  /* host */
	bool allow_default_route; /* default true; false: 0/0 is Prohibited */

	/* VBR, VPN, CCN */
	struct model_peer peers[MODEL_PEERS_MAX];
	uint8_t npeers;
	struct model_health health;
	int line;
};

struct model_rmap {
	model_id region;
	uint8_t direction;    /* enum model_dir */
	model_id route_table; /* "" = the region's system table */
	uint8_t priority; /* 1..100, unique per (region, direction, table) */
	int line;

	/* conditions; an empty list matches everything */
	model_id src_regions[MODEL_LIST_MAX];
	uint8_t nsrc_regions;
	model_id src_instances[MODEL_LIST_MAX];
	uint8_t nsrc_instances;
	bool src_instances_inverse;
	model_id dst_instances[MODEL_LIST_MAX];
	uint8_t ndst_instances;
	bool dst_instances_inverse;
	model_id src_tables[MODEL_LIST_MAX];
	uint8_t nsrc_tables;
	model_id dst_tables[MODEL_LIST_MAX];
	uint8_t ndst_tables;
	uint8_t src_types[MODEL_LIST_MAX]; /* enum model_att_type */
	uint8_t nsrc_types;
	uint8_t dst_types[MODEL_LIST_MAX];
	uint8_t ndst_types;
	struct prefix cidrs[MODEL_LIST_MAX];
	uint8_t ncidrs;
	uint8_t cidr_mode;		     /* enum model_match_mode */
	uint8_t route_types[MODEL_LIST_MAX]; /* enum model_route_type */
	uint8_t nroute_types;
	uint32_t asns[MODEL_LIST_MAX];
	uint8_t nasns;
	uint8_t asn_mode;
	uint32_t comms[MODEL_LIST_MAX];
	uint8_t ncomms;
	uint8_t comm_mode;
	uint8_t families; /* MODEL_AF_* bits; 0 = both */

	/* action */
	uint8_t action;	       /* enum model_action */
	uint8_t next_priority; /* 0 = none; else > priority */
	uint8_t set_pref;      /* 0 = unchanged; else 1..100 */
	uint8_t set_comm_mode; /* enum model_comm_mode */
	uint32_t set_comms[MODEL_LIST_MAX];
	uint8_t nset_comms;
	uint32_t prepend[MODEL_PREPEND_MAX];
	uint8_t nprepend;
};

struct model_bwp_conn {
	model_id regions[2];
	uint32_t bandwidth_mbps;
	bool pay_by_transfer; /* metered for billing instead of committed */
	uint64_t cap_bytes;   /* pay-by-transfer cap; 0 = none */
	int line;
};

struct model_bwp {
	model_id id;
	model_id regions[2];
	uint32_t bandwidth_mbps;
	struct model_bwp_conn *conns;
	size_t nconns;
	int line;
};

struct model {
	bool has_cen;
	struct model_cen cen;
	struct model_region *regions;
	size_t nregions;
	struct model_table *tables;
	size_t ntables;
	struct model_table_route *table_routes;
	size_t ntable_routes;
	struct model_pc *pcs;
	size_t npcs;
	struct model_attachment *attachments;
	size_t nattachments;
	struct model_rmap *rmaps;
	size_t nrmaps;
	struct model_bwp *bwps;
	size_t nbwps;
};

/* model.c */
void model_init(struct model *m);
void model_free(struct model *m);
int model_clone(struct model *dst, const struct model *src);

/* Defaults for a new object of each kind (zeroes plus the documented
 * defaults: weight 1, hold 90, quota 110, threshold 8, ...). */
void model_cen_defaults(struct model_cen *c);
void model_table_defaults(struct model_table *t);
void model_attachment_defaults(struct model_attachment *a);
void model_peer_defaults(struct model_peer *p);
void model_rmap_defaults(struct model_rmap *r);
/* Weight 1, the rest zero. */
void model_nexthop_defaults(struct model_nexthop *nh);

/* Validates everything that can be checked from the model alone; reports
 * every error (cen_err_add), each prefixed with "line N: " when the object
 * has a line, and names the object and field.  Returns 0 or the first
 * error's code.  `prev` (may be NULL) is the model currently applied, for
 * rules about changes (overlapping routes cannot be turned off once on). */
int model_validate(const struct model *m, const struct model *prev,
		   struct cen_err *err);

/* Lookups by ID (NULL if absent). */
const struct model_region *model_find_region(const struct model *m,
					     const char *id);
const struct model_table *model_find_table(const struct model *m,
					   const char *id);
/* The cluster ID (RFC 4456) of a region's cluster: its bgp_cluster_id,
 * or when that is 0 one derived from the region ID alone (FNV-1a, 32 bits,
 * never 0), so that every node of the region, and every restart, uses the
 * same. */
uint32_t model_region_cluster_id(const struct model_region *r);
/* The system table of a region, or NULL. */
const struct model_table *model_system_table(const struct model *m,
					     const char *region);
const struct model_attachment *model_find_attachment(const struct model *m,
						     const char *id);
const struct model_pc *model_find_pc(const struct model *m, const char *id);
const struct model_bwp *model_find_bwp(const struct model *m, const char *id);
/* The route-map entry with this key, or NULL; table "" = system. */
const struct model_rmap *model_find_rmap(const struct model *m,
					 const char *region, uint8_t dir,
					 const char *table, uint8_t priority);

/* Mutators used by single-object admin commands: each replaces the object
 * with the same key or appends it, copying arrays; *_del returns
 * -CEN_ENOENT if absent. */
int model_put_region(struct model *m, const struct model_region *r);
int model_del_region(struct model *m, const char *id);
int model_put_table(struct model *m, const struct model_table *t);
int model_del_table(struct model *m, const char *id);
int model_put_table_route(struct model *m, const struct model_table_route *r);
int model_del_table_route(struct model *m, const char *table,
			  const struct prefix *p);
int model_put_pc(struct model *m, const struct model_pc *pc);
int model_del_pc(struct model *m, const char *id);
int model_put_attachment(struct model *m, const struct model_attachment *a);
int model_del_attachment(struct model *m, const char *id);
int model_put_rmap(struct model *m, const struct model_rmap *r);
int model_del_rmap(struct model *m, const char *region, uint8_t dir,
		   const char *table, uint8_t priority);
int model_put_bwp(struct model *m, const struct model_bwp *b);
int model_del_bwp(struct model *m, const char *id);

/* Names for enums, as written in YAML and shown by cenctl ("VPC",
 * "RegionIn", "Permit", "Include", "System", "RouterInterface"), and their
 * inverse (case-insensitive; 0 when unknown). */
const char *model_att_type_str(uint8_t t);
uint8_t model_att_type_parse(const char *s);
const char *model_route_type_str(uint8_t t);
uint8_t model_route_type_parse(const char *s);
const char *model_nh_type_str(uint8_t t);
uint8_t model_nh_type_parse(const char *s);
const char *model_dir_str(uint8_t d);
uint8_t model_dir_parse(const char *s);
const char *model_action_str(uint8_t a);
uint8_t model_action_parse(const char *s);
const char *model_match_mode_str(uint8_t m);
uint8_t model_match_mode_parse(const char *s);
const char *model_comm_mode_str(uint8_t m);
uint8_t model_comm_mode_parse(const char *s);

/* True if s is a valid ID (1..63 of [A-Za-z0-9._-], starting alnum). */
bool model_id_valid(const char *s);

#endif
