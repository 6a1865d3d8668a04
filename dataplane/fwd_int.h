/*
 * fwd_int.h - what the control side (fwd.c) and the packet side
 * (fwd_worker.c, fwd_neigh.c) of the forwarder share; see fwd.h.
 *
 * Names.  Every attachment and region ID the forwarder meets (in the FIB or
 * the model) gets a small integer, its name, for the life of the process:
 * next-hop groups and the configuration refer to names, so the packet side
 * never compares strings.  At most FWD_NAMES_MAX.
 *
 * Ownership.  Fields marked (ctl) are written by the control side only;
 * (pkt) by the packet side only; the other side reads them with relaxed
 * atomics (counters) or through RCU (pointers to immutable snapshots).
 */
#ifndef CEN_FWD_INT_H
#define CEN_FWD_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <urcu.h>

#include "core/hmap.h"
#include "core/trie.h"
#include "dataplane/fwd.h"
#include "dataplane/lpm.h"
#include "dataplane/meter.h"
#include "dataplane/pkt.h"

#define FWD_NAMES_MAX	1024
#define FWD_NAME_NONE	0xffffu
#define FWD_NHG_MAX	(1u << 20)	 /* next-hop groups (LPM next hops) */
#define FWD_ECMP_SLOTS	64		 /* hash slots of a weighted group */
#define FWD_NO_ROUTE	(UINT32_MAX - 1) /* view override: no route */
#define FWD_PORTS_MAX	64
#define FWD_VLAN_MAX	4096
#define FWD_BURST	64
#define FWD_NEIGH_SLOTS 4096 /* power of two */
#define FWD_EVENTS_MAX	256
#define FWD_FLOW_SLOTS	65536
#define FWD_FLOW_DIV	12 /* a VPC->VBR flow: 1/12 of the VBR's bandwidth */
#define FWD_SCRATCH	2048
#define FWD_QPOOL	4096 /* buffers for packets a shaper holds */
#define FWD_VXLAN_PORT	4789
#define FWD_ENCAP_LEN	(14 + 20 + 8 + 8 + 14) /* outer Ethernet .. inner */

/* Drop reasons besides the parser's (enum pkt_verdict). */
#define FWD_DROPS(X)                                                           \
	X(NO_ATTACHMENT, "unknown-vlan")                                       \
	X(NO_ROUTE, "no-route")                                                \
	X(BLACKHOLE, "blackhole")                                              \
	X(TTL, "ttl-exceeded")                                                 \
	X(NOT_HERE, "next-hop-elsewhere")                                      \
	X(NO_BACKBONE, "no-backbone")                                          \
	X(NO_NEIGH, "no-neighbor")                                             \
	X(METER, "meter")                                                      \
	X(FLOW_CAP, "flow-cap")                                                \
	X(TX_FULL, "tx-full")                                                  \
	X(TOO_BIG, "too-big")                                                  \
	X(LOCAL, "to-gateway")                                                 \
	X(PARSE, "malformed")                                                  \
	X(NO_PACKAGE, "no-bandwidth-package")                                  \
	X(TRANSFER_CAP, "transfer-cap")                                        \
	X(SHAPER, "shaper-queue-full")                                         \
	X(UNKNOWN_VNI, "unknown-vni")                                          \
	X(BB_LOOP, "backbone-loop")
#define X(name, str) FWD_DROP_##name,
enum fwd_drop {
	FWD_DROPS(X) FWD_DROP_COUNT
};
#undef X

/* A weighted ECMP group, immutable once published. */
struct fwd_nh {
	uint8_t kind; /* enum engine_nh_kind */
	uint8_t weight;
	uint16_t name; /* attachment or region */
};

struct fwd_nhg {
	uint8_t n;
	uint8_t slot[FWD_ECMP_SLOTS]; /* hash slot -> index into nh */
	struct fwd_nh nh[FIBMSG_NH_MAX];
	/* (ctl) */
	uint32_t idx;
	uint32_t refs;
	uint64_t hash;
	struct rcu_head rcu;
	struct fwd *f;
};

/* The LPM tables a packet is looked up in. */
struct fwd_lpmset {
	struct lpm4 *v4;
	struct lpm6 *v6;
};

/* (ctl) A route table's FIB, or an attachment's view of it.  The tries
 * hold the entries (a uint32_t: the group index; in a view FWD_NO_ROUTE
 * for "no route"), the LPM tables what lookups see: for a table, its
 * entries; for a view, its table's entries with the overrides applied. */
struct fwd_table {
	char table[FWDCONF_ID_MAX];
	char view[FWDCONF_ID_MAX]; /* "" for the table */
	uint16_t view_name;
	struct fwd_lpmset lpm;
	struct trie t4, t6;
	struct fwd_table *base;	  /* a view's table */
	struct fwd_table **views; /* a table's views */
	size_t nviews;
};

/* An attachment as the packet side sees it: part of a configuration
 * snapshot (struct fwd_conf), immutable. */
struct fwd_att {
	bool present; /* served by this forwarder */
	uint8_t type; /* enum model_att_type */
	uint16_t name;
	uint16_t port;
	uint16_t vlan; /* 0: untagged */
	char id[FWDCONF_ID_MAX];
	/* addresses it answers ARP / ND and echo for; ICMP errors' source */
	struct prefix gw[FWDCONF_GATEWAYS_MAX];
	uint8_t ngw;
	struct prefix next_hop; /* family 0: the destination itself */
	uint64_t bw_bps;	/* VBR bandwidth; 0: unmetered */
	/* health check */
	bool hc;
	struct prefix hc_src, hc_dst;
	uint8_t hc_interval_s, hc_threshold;
	/* a backbone peer: another region's forwarder (id is the region) */
	bool backbone;
	uint32_t vni_out;      /* the peer region's system table */
	uint64_t bb_bps;       /* the connection's limit: shaped to it */
	bool bb_package;       /* a connection exists between the regions */
	bool bb_transfer;      /* pay-by-data-transfer: metered, not shaped */
	uint64_t bb_cap_bytes; /* pay-by-transfer cap; 0: none */
};

/* A VXLAN network identifier this forwarder takes from the backbone: the
 * table (of its region) a decapsulated packet is forwarded by. */
struct fwd_vni {
	uint32_t vni;
	struct fwd_lpmset *ls;
};

struct fwd_port_conf {
	uint16_t by_vlan[FWD_VLAN_MAX]; /* VLAN (0 untagged) -> name */
};

#define FWD_BB_PEERS_MAX 64
#define FWD_VNIS_MAX	 64

struct fwd_conf {
	struct fwd_att att[FWD_NAMES_MAX];
	struct fwd_port_conf port[FWD_PORTS_MAX];
	/* the backbone port, or -1 */
	int bb_port;
	uint32_t bb_addr; /* this end, host order */
	struct {
		uint32_t addr; /* a peer forwarder, host order */
		uint16_t name; /* its region */
	} bb_peer[FWD_BB_PEERS_MAX];
	size_t nbb_peers;
	struct fwd_vni vni[FWD_VNIS_MAX];
	size_t nvni;
	struct rcu_head rcu;
};

/* (pkt, read by ctl) counters of an attachment */
struct fwd_att_stats {
	_Atomic uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	_Atomic uint64_t drops[FWD_DROP_COUNT];
	_Atomic uint64_t bad[PKT_VERDICT_COUNT];
};

/* (pkt) meters of a VBR, made by the packet side when it first forwards
 * for it (ready tells the control side it may read them) and set to the
 * model's bandwidth when that changes. */
struct fwd_att_meters {
	_Atomic bool ready;
	uint64_t bw_bps;   /* what the meters were set for */
	struct meter out;  /* towards the VBR: its bandwidth */
	struct meter in;   /* from the VBR: its bandwidth */
	struct meter flow; /* one 5-tuple flow from a VPC: 1/12 of it */
	/* a backbone peer: the connection's shaper (or transfer meter) */
	_Atomic bool bb_ready;
	uint64_t bb_bps;
	bool bb_transfer;
	struct meter bb;
};

/* A neighbour: an IP address on a port / VLAN and its MAC.  Slots are
 * written by the packet side only and never freed; the control side reads
 * them for stats (a slot being rewritten may read torn: harmless there). */
struct fwd_neigh {
	_Atomic uint64_t key;	     /* 0: empty; see fwd_neigh.c */
	_Atomic uint64_t a_hi, a_lo; /* the address; IPv4 in a_lo */
	_Atomic uint64_t mac;	     /* 48 bits; bit 63: resolved */
	_Atomic uint64_t updated_ns; /* last reply, or the first request */
	uint64_t requested_ns;	     /* (pkt) last request sent */
};

/* (pkt) a VBR's health check */
struct fwd_health {
	_Atomic uint8_t state;	  /* 0 unknown, 1 up, 2 down */
	_Atomic uint8_t reported; /* the state the cluster acknowledged + 1 */
	_Atomic uint32_t misses;
	_Atomic uint64_t sent, received;
	_Atomic uint64_t changed_ns;
	uint64_t next_ns; /* next probe */
	bool outstanding; /* the last probe has not been answered */
	uint16_t seq;
};

/* (pkt) the MAC of an attachment's fixed next hop, looked up again every
 * NH_CACHE_NS */
struct fwd_nh_cache {
	const struct fwd_conf *conf; /* the snapshot it was resolved in */
	uint8_t mac[6];
	uint64_t checked_ns;
};

/* (pkt) a packet held by a backbone shaper */
struct fwd_qbuf {
	uint32_t len;
	uint8_t data[FWD_SCRATCH - 4];
};

struct fwd_tx {
	struct io_pkt pkt[FWD_BURST];
	size_t n;
};

struct fwd {
	const struct fwdconf *conf;
	uint16_t nports;
	struct io_port *ports[FWD_PORTS_MAX];
	uint8_t mac[FWD_PORTS_MAX][6];

	/* (ctl) names */
	char (*names)[FWDCONF_ID_MAX];
	uint16_t nnames;
	struct hmap name_map; /* id -> name + 1 */
	bool name_is_region[FWD_NAMES_MAX];

	/* (ctl) FIB */
	struct hmap tables;  /* "table\0view" -> struct fwd_table */
	struct hmap nhg_map; /* content -> struct fwd_nhg */
	uint32_t *nhg_free;  /* free group indexes (a stack) */
	uint32_t nhg_nfree, nhg_next;
	pthread_mutex_t nhg_lock; /* nhg_free: RCU callbacks give back */
	uint64_t version;
	size_t entries;
	uint32_t last_nhg; /* the group of the last entry, and its hops */
	uint32_t last_n;
	struct fibmsg_nh last_nh[FIBMSG_NH_MAX];

	/* published to the packet side */
	struct fwd_nhg **nhgs;			   /* [FWD_NHG_MAX] */
	struct fwd_lpmset *att_lpm[FWD_NAMES_MAX]; /* by name */
	struct fwd_conf *cur;			   /* RCU */
	char (*att_table)[FWDCONF_ID_MAX];	   /* (ctl) name -> table, from
					    * the model */

	/* (pkt) */
	struct fwd_att_stats *stats;   /* [FWD_NAMES_MAX] */
	struct fwd_att_meters *meters; /* [FWD_NAMES_MAX] */
	struct meter_flows flows;
	bool flows_ready;
	struct fwd_neigh *neigh;       /* [FWD_NEIGH_SLOTS] */
	struct fwd_health *health;     /* [FWD_NAMES_MAX] */
	struct fwd_nh_cache *nh_cache; /* [FWD_NAMES_MAX] */
	struct fwd_qbuf *qpool;	       /* [FWD_QPOOL] */
	uint32_t *qfree;	       /* free qpool indexes, a stack */
	uint32_t nqfree;
	size_t shaped; /* packets held by the shapers */
	_Atomic uint64_t drops[FWD_DROP_COUNT]; /* no attachment known */
	_Atomic uint64_t bad[PKT_VERDICT_COUNT];
	struct fwd_tx tx[FWD_PORTS_MAX];
	uint8_t (*scratch)[FWD_SCRATCH]; /* generated packets */
	size_t nscratch;
	uint64_t icmp_tokens_ns; /* ICMP error rate limit */

	/* events: packet -> control */
	pthread_mutex_t ev_lock;
	struct fwd_health_event ev[FWD_EVENTS_MAX];
	size_t nev;
	void (*notify)(void *);
	void *notify_arg;

	/* worker */
	pthread_t thread;
	_Atomic bool running;
	bool started;
	uint64_t started_ns;
};

/* fwd.c */
struct fwd_nhg *fwd_nhg_get(const struct fwd *f, uint32_t idx);
uint16_t fwd_name_find(const struct fwd *f, const char *id);

/* fwd_neigh.c (packet side) */
/* The MAC of addr on (port, vlan), or false (a request is sent, rate
 * limited, when it is unknown or stale). */
bool fwd_neigh_resolve(struct fwd *f, const struct fwd_att *a,
		       const struct prefix *addr, uint8_t mac[6],
		       uint64_t now_ns);
void fwd_neigh_learn(struct fwd *f, uint16_t port, uint16_t vlan,
		     const struct prefix *addr, const uint8_t mac[6],
		     uint64_t now_ns);
/* Handles an ARP or ND frame received on attachment a: learns, answers
 * for a's gateway addresses. */
void fwd_neigh_input(struct fwd *f, const struct fwd_att *a, uint8_t *frame,
		     size_t len, const struct pkt_info *pi, uint64_t now_ns);
/* An ICMP echo to one of a's gateway (or health-check source) addresses:
 * answers requests, takes replies to health probes.  True if it was for
 * us. */
bool fwd_local_input(struct fwd *f, const struct fwd_att *a, uint8_t *frame,
		     size_t len, const struct pkt_info *pi, uint64_t now_ns);
/* The port, VLAN and address of a neighbour slot; false if empty. */
bool fwd_neigh_decode(const struct fwd_neigh *ne, uint16_t *port,
		      uint16_t *vlan, struct prefix *addr);
/* An ICMP error about the packet (time exceeded if ttl, else destination
 * unreachable), from a's gateway, back to where it came from. */
void fwd_icmp_error(struct fwd *f, const struct fwd_att *a,
		    const uint8_t *frame, size_t len, const struct pkt_info *pi,
		    bool ttl, uint64_t now_ns);
/* An ICMP "fragmentation needed" (IPv4 with DF) or "packet too big"
 * (IPv6) with the next hop's MTU, back to the packet's source. */
void fwd_icmp_too_big(struct fwd *f, const struct fwd_att *a,
		      const uint8_t *frame, const struct pkt_info *pi,
		      uint32_t mtu);
void fwd_health_timers(struct fwd *f, const struct fwd_conf *c,
		       uint64_t now_ns);
/* Queues a frame built in scratch for transmission on port. */
uint8_t *fwd_scratch(struct fwd *f);
void fwd_send(struct fwd *f, uint16_t port, uint8_t *frame, size_t len);
void fwd_flush(struct fwd *f);
void fwd_health_event(struct fwd *f, const char *att, bool up);

#endif
