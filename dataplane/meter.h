/*
 * meter.h - the forwarder's bandwidth meters (ROUTING.md "Bandwidth",
 * DESIGN.md "dataplane/: cenfwd", Metering).
 *
 * Four mechanisms and a registry that ties them to what the operator
 * configured:
 *
 * - meter_tb: a token-bucket policer (a VBR's bandwidth, a transfer cap).
 *   A packet conforms or it does not; the caller drops what does not.
 * - meter_flows: a fixed table of per-flow token buckets keyed by the
 *   flow's 32-bit hash and its (source, destination) attachments, for "a
 *   single 5-tuple flow from a VPC to a VBR is limited to 1/12 of the
 *   VBR's bandwidth".
 * - meter_shaper: a token bucket in front of a bounded FIFO of the
 *   caller's packet handles, for inter-region traffic: above the committed
 *   rate packets wait (the symptom is latency), and are dropped only when
 *   the queue is full.
 * - meter_stats: totals and a ring of the last METER_STATS_SECONDS
 *   one-second rates, read as the last second's rate and as a P95.
 * - struct meter and meter_reg: one named meter of a kind (VBR, FLOW_CAP,
 *   BACKBONE, TRANSFER) with its mechanism and stats, and the list of them
 *   that the forwarder exports as snapshots (struct meter_snap).
 *
 * Time.  Every call that needs the time takes now_ns, a monotonic clock in
 * nanoseconds read by the caller (once per burst of packets is enough).  A
 * now_ns earlier than one the meter has already seen is taken as the
 * latest time seen: nothing accrues and nothing breaks.
 *
 * Tokens.  A bucket counts in units of 1/8e9 byte (METER_UNIT per byte),
 * so that one nanosecond at R bit/s adds exactly R units: a refill is one
 * multiplication, with no division and no rounding drift on the packet
 * path.  The bucket holds at most the burst and may go into debt by one
 * packet: a packet conforms when the bucket holds its size, or is full (so
 * a packet larger than the burst, a jumbo frame at a low rate, still goes
 * when the bucket is full instead of never); its whole size is taken, and
 * later packets repay the debt, so the long-run rate holds for every packet
 * size.  Packet sizes above METER_PKT_MAX are counted as METER_PKT_MAX.
 *
 * Default burst: max(rate * 10 ms, 2 * METER_FRAME) bytes
 * (meter_burst_default).  10 ms at the rate lets through the back-to-back
 * bursts that TCP sends at a faster link's line rate (a window's worth
 * arriving at once), which a smaller bucket would drop although the flow's
 * average is within the rate, while any 10 ms still carries at most twice
 * the rate.  Below 2.4 Mbit/s 10 ms is less than two full-size Ethernet
 * frames; the floor keeps two back-to-back frames conforming there.  The
 * burst is at most METER_BURST_MAX bytes (which keeps the arithmetic in 64
 * bits).
 *
 * Concurrency.  A meter (and a meter_flows table) belongs to one
 * forwarding thread, which makes every call that takes a non-const
 * pointer; there are no locks.  The counters, the per-second ring, the
 * committed rate and the queue depth that another thread reads (the
 * control thread: meter_stats_* readers, meter_snapshot, meter_reg_*) are
 * C11 atomics written with relaxed stores (plain stores on x86-64, no
 * locked instruction): a reader sees each value whole, old or new.  The
 * ring's roll to a new second is guarded by a sequence count, so a reader
 * never mixes seconds.  A rate change runs on the forwarding thread (post
 * it there).  Several threads carrying one attachment's traffic need one
 * meter each, with a share of the rate: steer an attachment to one thread
 * where the rate must be exact.
 *
 * Memory.  meter_flows_init and meter_shaper_init allocate their tables
 * once; nothing on the packet path allocates.
 */
#ifndef CEN_METER_H
#define CEN_METER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define METER_NSEC	1000000000ull
#define METER_UNIT	8000000000ll	 /* token units per byte */
#define METER_RATE_MAX	1000000000000ull /* 1 Tbit/s */
#define METER_BURST_MAX (256ull << 20)	 /* bytes */
#define METER_PKT_MAX	(1u << 20)	 /* bytes; larger counts as this */
#define METER_FRAME	1514u		 /* a full-size Ethernet frame */
#define METER_BURST_MS	10u		 /* default burst: 10 ms of rate */
#define METER_NEVER	UINT64_MAX	 /* meter_shaper_next_ns: empty */

/* The parameters of a bucket, derived once from (rate, burst). */
struct meter_rate {
	uint64_t rate_bps;    /* 1..METER_RATE_MAX */
	uint64_t burst_bytes; /* as configured, or the default */
	int64_t burst;	      /* burst_bytes * METER_UNIT */
	uint64_t fill_ns;     /* from a packet's worth of debt to full */
	bool burst_auto;      /* burst follows the rate */
};

/* A token-bucket policer. */
struct meter_tb {
	struct meter_rate r;
	int64_t tokens; /* METER_UNITs; below 0 while in debt */
	uint64_t last_ns;
};

/*
 * Per-flow buckets: nslots entries (a power of two, at least
 * METER_FLOWS_WAYS) in sets of METER_FLOWS_WAYS.  A flow's set is chosen by
 * a mix of (hash, src, dst); within it the flow has the entry with the same
 * key, or, for a new flow, in this order: an unused entry, the least
 * recently seen entry if it has been idle for idle_ns (reused: counted in
 * expired), or else the least recently seen entry all the same (evicted:
 * counted in evicted).  An evicted flow that comes back starts again with
 * a full bucket, so overflow can let it exceed its cap by one burst per
 * eviction; being the set's least recently seen flow, it was the one
 * sending least.  Size the table for the concurrent flows of a thread at
 * most about 1/2 full, and watch evicted.  The rate of a flow's bucket is
 * the cap passed with each packet (the table is shared by the flow caps of
 * every VBR the thread serves).  Flows with equal keys (the same hash
 * between the same attachments) share a bucket.
 *
 * An idle entry costs nothing but its slot: a new flow takes it in
 * passing.  meter_flows_expire sweeps a bounded number of entries per
 * call and frees the idle ones, so that used tells how many flows are
 * live.  idle_ns should be at least the time a cap's bucket takes to fill
 * (burst / rate, 10 ms by default), so that forgetting an idle flow never
 * changes how it is treated.
 */
#define METER_FLOWS_WAYS      8
#define METER_FLOWS_DEFAULT   (1u << 16)
#define METER_FLOWS_MAX	      (1u << 26)
#define METER_FLOWS_IDLE_NS   METER_NSEC /* 1 s */
#define METER_FLOW_CAP_DIVIDE 12 /* a flow's cap: 1/12 of the VBR's rate */

struct meter_flow_ent {
	uint32_t hash, src, dst;
	uint32_t used;
	int64_t tokens;
	uint64_t last_ns;
};

struct meter_flows {
	struct meter_flow_ent *ent; /* owned */
	uint32_t nsets_mask;
	uint32_t cursor; /* meter_flows_expire's next entry */
	uint64_t idle_ns;
	uint32_t nslots;
	_Atomic uint64_t used;	   /* entries holding a flow */
	_Atomic uint64_t inserted; /* new flows given an entry */
	_Atomic uint64_t expired;  /* idle entries reused or freed */
	_Atomic uint64_t evicted;  /* live entries taken by a new flow */
};

struct meter_flows_counters {
	uint64_t nslots, used, inserted, expired, evicted;
};

/*
 * The shaper: a token bucket at the committed rate in front of a FIFO of
 * at most max_pkts handles and max_bytes bytes (the first bound reached
 * drops).  Defaults: max_pkts 1024, max_bytes 50 ms at the rate (at least
 * 2 * METER_FRAME).  50 ms bounds the latency the queue adds (about an
 * inter-region round trip: enough for TCP to keep the link busy, not so
 * much that its RTT balloons); 1024 bounds the buffers the caller keeps
 * pinned per shaper (packet buffers, an AF_XDP UMEM, are the scarce
 * resource).  At 100 Mbit/s the byte bound (625 kB, 416 full frames) is
 * reached first; from about 250 Mbit/s on, the packet bound is.
 *
 * Handles are the caller's (a buffer pointer, or an index cast through
 * uintptr_t); the shaper only keeps them in order, with their lengths, and
 * never dereferences them.  A handle given to meter_shaper_enqueue comes
 * back exactly once: at once (SENT_NOW: transmit it; DROPPED: free it), or
 * later from meter_shaper_dequeue or meter_shaper_flush.
 */
#define METER_SHAPER_PKTS     1024u
#define METER_SHAPER_PKTS_MAX (1u << 20)
#define METER_SHAPER_QUEUE_MS 50u

enum meter_verdict {
	METER_SENT_NOW = 1, /* transmit now */
	METER_QUEUED,	    /* held; comes back from dequeue */
	METER_DROPPED,	    /* queue full: free it */
};

struct meter_shaper_config {
	uint64_t rate_bps;    /* required */
	uint64_t burst_bytes; /* 0: meter_burst_default */
	uint32_t max_pkts;    /* 0: METER_SHAPER_PKTS */
	uint64_t max_bytes;   /* 0: 50 ms at the rate */
};

struct meter_shaper_slot {
	void *handle;
	uint32_t bytes;
};

struct meter_shaper {
	struct meter_tb tb;
	struct meter_shaper_slot *q; /* owned; qmask + 1 slots */
	uint32_t qmask;
	uint32_t head, tail; /* free-running: next out, next in */
	uint32_t max_pkts;
	uint64_t max_bytes;
	bool max_bytes_auto;
	uint64_t qbytes;
	_Atomic uint32_t depth_pkts; /* copies for other threads */
	_Atomic uint64_t depth_bytes;
};

/*
 * Statistics: totals, and the bytes passed in each of the last
 * METER_STATS_SECONDS seconds (second s = now_ns / 1e9 in ring[s % 300]).
 * Passing a packet in a new second zeroes the seconds skipped since the
 * last one, so seconds without packets read 0.  Readers take the seconds
 * they ask about as complete: those before now_ns's second.  Seconds
 * before meter_stats_init are not part of any window.
 */
#define METER_STATS_SECONDS 300

struct meter_stats {
	_Atomic uint64_t pass_bytes, pass_pkts;
	_Atomic uint64_t drop_bytes, drop_pkts;
	_Atomic uint64_t sec; /* the second being counted */
	_Atomic uint32_t seq; /* odd while the ring rolls */
	uint32_t cur;	      /* sec % METER_STATS_SECONDS */
	uint64_t start_sec;   /* the second of meter_stats_init */
	_Atomic uint64_t ring[METER_STATS_SECONDS]; /* bytes */
};

struct meter_totals {
	uint64_t pass_bytes, pass_pkts, drop_bytes, drop_pkts;
};

/*
 * A named meter.  Its kind chooses the mechanism:
 *   VBR       policer at committed_bps (a VBR's bandwidth);
 *   FLOW_CAP  per-flow buckets at committed_bps / 12 in a meter_flows
 *             table the caller owns (committed_bps is the VBR's);
 *   BACKBONE  shaper at committed_bps (an inter-region connection);
 *   TRANSFER  policer at committed_bps if set, else counting only (a
 *             pay-by-data-transfer connection, metered for billing).
 * Each kind is driven with its own call (meter_police, meter_flow,
 * meter_shape / meter_release); calling another kind's is a bug and
 * aborts.  Passed traffic is counted when it leaves (for a shaper, when
 * dequeued), dropped traffic when dropped.
 */
#define METER_ID_MAX 64 /* with the NUL */

enum meter_kind {
	METER_KIND_UNSPECIFIED = 0,
	METER_KIND_VBR,
	METER_KIND_FLOW_CAP,
	METER_KIND_BACKBONE,
	METER_KIND_TRANSFER,
};

struct meter_config {
	const char *id; /* 1..METER_ID_MAX-1 characters; copied */
	enum meter_kind kind;
	uint64_t committed_bps; /* 0 only for TRANSFER (no cap) */
	uint64_t burst_bytes;	/* 0: the default for the rate */
	uint32_t queue_pkts;	/* BACKBONE: 0 for the defaults */
	uint64_t queue_bytes;
	struct meter_flows *flows; /* FLOW_CAP: required, not owned */
};

struct meter {
	char id[METER_ID_MAX];
	enum meter_kind kind;
	_Atomic uint64_t committed_bps;
	_Atomic uint64_t limit_bps; /* the rate enforced, 0: none */
	union {
		struct meter_tb tb;	/* VBR, TRANSFER with a cap */
		struct meter_shaper sh; /* BACKBONE */
		struct {
			struct meter_rate cap;
			struct meter_flows *flows;
		} fc; /* FLOW_CAP */
	} u;
	struct meter_stats stats;
};

/* One meter as exported to cenctl. */
struct meter_snap {
	char id[METER_ID_MAX];
	enum meter_kind kind;
	uint64_t committed_bps;
	uint64_t limit_bps; /* FLOW_CAP: per flow */
	uint64_t rate_bps;  /* the last complete second */
	uint64_t p95_bps;   /* over the window asked for */
	uint64_t pass_bytes, pass_pkts, drop_bytes, drop_pkts;
	uint32_t queue_pkts; /* BACKBONE; 0 otherwise */
	uint64_t queue_bytes;
};

/* The meters a forwarder exports; used by the control thread only. */
struct meter_reg {
	struct meter **m; /* not owned */
	size_t n, cap;
};

/* meter.c: buckets */

/* max(rate_bps * 10 ms, 2 * METER_FRAME) bytes, at most METER_BURST_MAX. */
uint64_t meter_burst_default(uint64_t rate_bps);
/* Fills r for rate_bps (1..METER_RATE_MAX) and burst_bytes (0: the
 * default; else at most METER_BURST_MAX).  Returns 0 or -CEN_ERANGE. */
int meter_rate_init(struct meter_rate *r, uint64_t rate_bps,
		    uint64_t burst_bytes);

/* A policer with a full bucket at now_ns.  0 or -CEN_ERANGE. */
int meter_tb_init(struct meter_tb *tb, uint64_t rate_bps, uint64_t burst_bytes,
		  uint64_t now_ns);
/* Takes bytes from the bucket if the packet conforms; false: drop it. */
bool meter_tb_take(struct meter_tb *tb, uint64_t now_ns, uint32_t bytes);
/* Changes rate and burst (0: the default for the new rate).  Tokens
 * earned up to now_ns are credited at the old rate, then kept (at most the
 * new burst), debt included.  0 or -CEN_ERANGE (tb unchanged). */
int meter_tb_set_rate(struct meter_tb *tb, uint64_t now_ns, uint64_t rate_bps,
		      uint64_t burst_bytes);

/* meter.c: per-flow caps */

/* An empty table of nslots entries (0: METER_FLOWS_DEFAULT; else a power
 * of two in METER_FLOWS_WAYS..METER_FLOWS_MAX), forgetting flows idle for
 * idle_ns (0: METER_FLOWS_IDLE_NS).  0, -CEN_ERANGE or -CEN_ENOMEM. */
int meter_flows_init(struct meter_flows *fl, uint32_t nslots, uint64_t idle_ns);
void meter_flows_fini(struct meter_flows *fl);
/* Meters a packet of the flow (hash, src, dst) against its own bucket at
 * rate cap (see above for how a new flow gets an entry).  true: it
 * conforms. */
bool meter_flows_take(struct meter_flows *fl, const struct meter_rate *cap,
		      uint64_t now_ns, uint32_t hash, uint32_t src,
		      uint32_t dst, uint32_t bytes);
/* Frees the entries idle for idle_ns among the next budget entries
 * (round robin); returns how many it freed. */
size_t meter_flows_expire(struct meter_flows *fl, uint64_t now_ns,
			  size_t budget);
/* Any thread. */
void meter_flows_get_counters(const struct meter_flows *fl,
			      struct meter_flows_counters *c);

/* meter.c: shaper */

/* An empty shaper with a full bucket at now_ns; the queue's slots are
 * allocated here.  0, -CEN_ERANGE or -CEN_ENOMEM. */
int meter_shaper_init(struct meter_shaper *sh,
		      const struct meter_shaper_config *cfg, uint64_t now_ns);
/* Frees the queue; any handle still queued is forgotten (flush first). */
void meter_shaper_fini(struct meter_shaper *sh);
/* SENT_NOW if the queue is empty and the bucket allows the packet;
 * QUEUED if it fits in the queue; else DROPPED. */
enum meter_verdict meter_shaper_enqueue(struct meter_shaper *sh,
					uint64_t now_ns, void *handle,
					uint32_t bytes);
/* Takes from the head of the queue, in order, the handles the bucket
 * allows by now_ns, at most max, into out; adds their lengths to *bytes
 * (may be NULL).  Returns how many. */
size_t meter_shaper_dequeue(struct meter_shaper *sh, uint64_t now_ns,
			    void **out, size_t max, uint64_t *bytes);
/* When the head may go (at most the last now_ns seen if it may go
 * already), or METER_NEVER if the queue is empty: the caller's next
 * dequeue time.  Costs a division. */
uint64_t meter_shaper_next_ns(const struct meter_shaper *sh);
/* Takes up to max handles from the head regardless of the bucket (to free
 * them: shutdown, a removed connection).  Adds their lengths to *bytes
 * (may be NULL).  Returns how many. */
size_t meter_shaper_flush(struct meter_shaper *sh, void **out, size_t max,
			  uint64_t *bytes);
/* Changes rate and burst as meter_tb_set_rate does; a byte bound that was
 * the default follows the rate.  A queue above a lowered bound is kept;
 * arrivals are dropped until it drains below.  0 or -CEN_ERANGE. */
int meter_shaper_set_rate(struct meter_shaper *sh, uint64_t now_ns,
			  uint64_t rate_bps, uint64_t burst_bytes);
/* Any thread. */
void meter_shaper_depth(const struct meter_shaper *sh, uint32_t *pkts,
			uint64_t *bytes);

/* meter.c: statistics */

void meter_stats_init(struct meter_stats *st, uint64_t now_ns);
/* Forwarding thread: a packet passed (sent) at now_ns; a packet dropped. */
void meter_stats_pass(struct meter_stats *st, uint64_t now_ns, uint32_t bytes);
void meter_stats_drop(struct meter_stats *st, uint32_t bytes);
/* Any thread.  The bit rate of the second before now_ns's (0 if that
 * second is before meter_stats_init or no longer held). */
uint64_t meter_stats_rate(const struct meter_stats *st, uint64_t now_ns);
/* The 95th percentile (nearest rank: ceil(0.95 n)-th smallest) of the
 * bit rates of the last window_s (1..METER_STATS_SECONDS, larger is
 * clamped) complete seconds, not counting seconds before
 * meter_stats_init; 0 if there are none. */
uint64_t meter_stats_p95(const struct meter_stats *st, uint64_t now_ns,
			 unsigned window_s);
/* The bit rates of the last min(n, METER_STATS_SECONDS) complete seconds,
 * oldest first, into bps; seconds before meter_stats_init are left out.
 * Returns how many were written. */
size_t meter_stats_series(const struct meter_stats *st, uint64_t now_ns,
			  uint64_t *bps, size_t n);
void meter_stats_get_totals(const struct meter_stats *st,
			    struct meter_totals *t);

/* meter.c: named meters */

/* 0, or -CEN_EINVAL / -CEN_ERANGE / -CEN_ENOMEM with err saying which
 * field is wrong. */
int meter_init(struct meter *m, const struct meter_config *cfg, uint64_t now_ns,
	       struct cen_err *err);
/* A BACKBONE meter forgets the handles still queued: meter_flush first. */
void meter_fini(struct meter *m);
/* VBR, TRANSFER: true if the packet passes (counted), false: drop it
 * (counted). */
bool meter_police(struct meter *m, uint64_t now_ns, uint32_t bytes);
/* FLOW_CAP: the same for the flow (hash, src, dst). */
bool meter_flow(struct meter *m, uint64_t now_ns, uint32_t hash, uint32_t src,
		uint32_t dst, uint32_t bytes);
/* BACKBONE: meter_shaper_enqueue / meter_shaper_dequeue, counted. */
enum meter_verdict meter_shape(struct meter *m, uint64_t now_ns, void *handle,
			       uint32_t bytes);
size_t meter_release(struct meter *m, uint64_t now_ns, void **out, size_t max);
/* BACKBONE: takes up to max queued handles back regardless of the bucket
 * (the connection goes away), counted as dropped.  Returns how many. */
size_t meter_flush(struct meter *m, void **out, size_t max);
/* A new committed rate (and burst, 0: the default), from now_ns.  For
 * TRANSFER, 0 removes the cap and a rate adds one.  0 or -CEN_ERANGE. */
int meter_set_rate(struct meter *m, uint64_t now_ns, uint64_t committed_bps,
		   uint64_t burst_bytes);
/* Any thread: the meter as exported, P95 over window_s seconds. */
void meter_snapshot(const struct meter *m, uint64_t now_ns, unsigned window_s,
		    struct meter_snap *out);

/* meter.c: the registry (control thread) */

void meter_reg_init(struct meter_reg *reg);
void meter_reg_fini(struct meter_reg *reg);
/* Lists m (which stays the caller's).  0, -CEN_EEXIST (its id is listed)
 * or -CEN_ENOMEM. */
int meter_reg_add(struct meter_reg *reg, struct meter *m);
/* Unlists the meter with this id and returns it, or NULL. */
struct meter *meter_reg_remove(struct meter_reg *reg, const char *id);
struct meter *meter_reg_find(const struct meter_reg *reg, const char *id);
/* Snapshots of up to max listed meters, in the order they were added;
 * returns how many are listed (more than max: call again with room). */
size_t meter_reg_snapshot(const struct meter_reg *reg, uint64_t now_ns,
			  unsigned window_s, struct meter_snap *out,
			  size_t max);

#endif
