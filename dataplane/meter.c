/*
 * meter.c - the forwarder's bandwidth meters (meter.h; ROUTING.md
 * "Bandwidth"): token buckets, per-flow caps, the shaper's queue, per-second
 * rate statistics and the named meters the forwarder exports.
 *
 * The packet path (bucket_take, meter_flows_take, meter_shaper_enqueue,
 * stats_count) is straight-line integer code: one multiplication to refill
 * a bucket, one to price a packet, no division (the second of a timestamp
 * is a division by a constant, which the compiler turns into a
 * multiplication).  Divisions happen only where a time must be computed
 * from tokens (meter_shaper_next_ns) and when a rate is set.
 */
#include "dataplane/meter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RELAXED	  memory_order_relaxed
#define SEQ_TRIES 64 /* reader retries while the ring rolls */

/* The writer of a counter is its one forwarding thread: a load and a
 * store, not a locked read-modify-write. */
static inline void
add_relaxed(_Atomic uint64_t *p, uint64_t v)
{
	atomic_store_explicit(p, atomic_load_explicit(p, RELAXED) + v, RELAXED);
}

static inline uint64_t
get_relaxed(const _Atomic uint64_t *p)
{
	return atomic_load_explicit(p, RELAXED);
}

/*
 * Buckets
 */

uint64_t
meter_burst_default(uint64_t rate_bps)
{
	/* rate * 10 ms in bytes: rate / 8 / 100 */
	uint64_t b = rate_bps / (8 * (1000 / METER_BURST_MS));

	if (b < 2 * METER_FRAME)
		b = 2 * METER_FRAME;
	if (b > METER_BURST_MAX)
		b = METER_BURST_MAX;
	return b;
}

int
meter_rate_init(struct meter_rate *r, uint64_t rate_bps, uint64_t burst_bytes)
{
	uint64_t span;

	if (rate_bps == 0 || rate_bps > METER_RATE_MAX)
		return -CEN_ERANGE;
	if (burst_bytes > METER_BURST_MAX)
		return -CEN_ERANGE;
	r->rate_bps = rate_bps;
	r->burst_auto = burst_bytes == 0;
	r->burst_bytes =
		r->burst_auto ? meter_burst_default(rate_bps) : burst_bytes;
	r->burst = (int64_t)r->burst_bytes * METER_UNIT;
	/*
	 * The lowest a bucket goes is one largest packet below zero (it
	 * conformed with the bucket full); from there it is full again after
	 * fill_ns.  A refill over less than that adds less than
	 * burst + METER_PKT_MAX units + rate: at most about 2.2e18, so
	 * neither the product nor the sum overflows.
	 */
	span = (uint64_t)r->burst + (uint64_t)METER_PKT_MAX * METER_UNIT;
	r->fill_ns = (span + rate_bps - 1) / rate_bps;
	return 0;
}

static inline void
bucket_refill(const struct meter_rate *r, int64_t *tokens, uint64_t *last_ns,
	      uint64_t now_ns)
{
	uint64_t dt;
	int64_t t;

	if (now_ns <= *last_ns)
		return;
	dt = now_ns - *last_ns;
	*last_ns = now_ns;
	if (dt >= r->fill_ns) {
		*tokens = r->burst;
		return;
	}
	t = *tokens + (int64_t)(dt * r->rate_bps);
	*tokens = t < r->burst ? t : r->burst;
}

static inline int64_t
bucket_cost(uint32_t bytes)
{
	if (bytes > METER_PKT_MAX)
		bytes = METER_PKT_MAX;
	return (int64_t)bytes * METER_UNIT;
}

/* The bucket holds the packet, or is full (a packet above the burst). */
static inline bool
bucket_conforms(const struct meter_rate *r, int64_t tokens, int64_t cost)
{
	return tokens >= cost || tokens >= r->burst;
}

static inline bool
bucket_take(const struct meter_rate *r, int64_t *tokens, uint64_t *last_ns,
	    uint64_t now_ns, uint32_t bytes)
{
	int64_t cost = bucket_cost(bytes);

	bucket_refill(r, tokens, last_ns, now_ns);
	if (!bucket_conforms(r, *tokens, cost))
		return false;
	*tokens -= cost;
	return true;
}

int
meter_tb_init(struct meter_tb *tb, uint64_t rate_bps, uint64_t burst_bytes,
	      uint64_t now_ns)
{
	int rc;

	memset(tb, 0, sizeof(*tb));
	if ((rc = meter_rate_init(&tb->r, rate_bps, burst_bytes)) != 0)
		return rc;
	tb->tokens = tb->r.burst;
	tb->last_ns = now_ns;
	return 0;
}

bool
meter_tb_take(struct meter_tb *tb, uint64_t now_ns, uint32_t bytes)
{
	return bucket_take(&tb->r, &tb->tokens, &tb->last_ns, now_ns, bytes);
}

int
meter_tb_set_rate(struct meter_tb *tb, uint64_t now_ns, uint64_t rate_bps,
		  uint64_t burst_bytes)
{
	struct meter_rate r;
	int rc;

	if ((rc = meter_rate_init(&r, rate_bps, burst_bytes)) != 0)
		return rc;
	/* What was earned so far was earned at the old rate. */
	bucket_refill(&tb->r, &tb->tokens, &tb->last_ns, now_ns);
	tb->r = r;
	if (tb->tokens > r.burst)
		tb->tokens = r.burst;
	return 0;
}

/*
 * Per-flow caps
 */

int
meter_flows_init(struct meter_flows *fl, uint32_t nslots, uint64_t idle_ns)
{
	memset(fl, 0, sizeof(*fl));
	if (nslots == 0)
		nslots = METER_FLOWS_DEFAULT;
	if (nslots < METER_FLOWS_WAYS || nslots > METER_FLOWS_MAX ||
	    (nslots & (nslots - 1)) != 0)
		return -CEN_ERANGE;
	fl->ent = calloc(nslots, sizeof(*fl->ent));
	if (fl->ent == NULL)
		return -CEN_ENOMEM;
	fl->nslots = nslots;
	fl->nsets_mask = nslots / METER_FLOWS_WAYS - 1;
	fl->idle_ns = idle_ns != 0 ? idle_ns : METER_FLOWS_IDLE_NS;
	return 0;
}

void
meter_flows_fini(struct meter_flows *fl)
{
	free(fl->ent);
	fl->ent = NULL;
}

/* The flow hash is already mixed (it picks the ECMP member too); the
 * attachments are small integers, spread by odd multipliers, and the
 * whole is finished so that every bit reaches the set index. */
static inline uint32_t
flow_set(const struct meter_flows *fl, uint32_t hash, uint32_t src,
	 uint32_t dst)
{
	uint32_t h = hash ^ (src * 0x9e3779b1u) ^ (dst * 0x85ebca77u);

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h & fl->nsets_mask;
}

static inline uint64_t
idle_for(uint64_t now_ns, uint64_t last_ns)
{
	return now_ns > last_ns ? now_ns - last_ns : 0;
}

/* An entry of set for a new flow: unused, else the least recently seen. */
static struct meter_flow_ent *
flow_claim(struct meter_flows *fl, struct meter_flow_ent *set, uint64_t now_ns)
{
	struct meter_flow_ent *old = &set[0];
	int i;

	for (i = 0; i < METER_FLOWS_WAYS; i++) {
		if (!set[i].used) {
			add_relaxed(&fl->used, 1);
			return &set[i];
		}
		if (set[i].last_ns < old->last_ns)
			old = &set[i];
	}
	if (idle_for(now_ns, old->last_ns) >= fl->idle_ns)
		add_relaxed(&fl->expired, 1);
	else
		add_relaxed(&fl->evicted, 1);
	return old;
}

bool
meter_flows_take(struct meter_flows *fl, const struct meter_rate *cap,
		 uint64_t now_ns, uint32_t hash, uint32_t src, uint32_t dst,
		 uint32_t bytes)
{
	struct meter_flow_ent *set, *e;
	int i;

	set = fl->ent + (size_t)flow_set(fl, hash, src, dst) * METER_FLOWS_WAYS;
	for (i = 0; i < METER_FLOWS_WAYS; i++) {
		e = &set[i];
		if (e->hash == hash && e->src == src && e->dst == dst &&
		    e->used)
			goto found;
	}
	e = flow_claim(fl, set, now_ns);
	e->hash = hash;
	e->src = src;
	e->dst = dst;
	e->used = 1;
	e->tokens = cap->burst;
	e->last_ns = now_ns;
	add_relaxed(&fl->inserted, 1);
found:
	return bucket_take(cap, &e->tokens, &e->last_ns, now_ns, bytes);
}

size_t
meter_flows_expire(struct meter_flows *fl, uint64_t now_ns, size_t budget)
{
	struct meter_flow_ent *e;
	size_t freed = 0;

	if (budget > fl->nslots)
		budget = fl->nslots;
	while (budget-- > 0) {
		e = &fl->ent[fl->cursor];
		fl->cursor = (fl->cursor + 1) & (fl->nslots - 1);
		if (e->used && idle_for(now_ns, e->last_ns) >= fl->idle_ns) {
			memset(e, 0, sizeof(*e));
			freed++;
		}
	}
	if (freed > 0) {
		atomic_store_explicit(&fl->used, get_relaxed(&fl->used) - freed,
				      RELAXED);
		add_relaxed(&fl->expired, freed);
	}
	return freed;
}

void
meter_flows_get_counters(const struct meter_flows *fl,
			 struct meter_flows_counters *c)
{
	c->nslots = fl->nslots;
	c->used = get_relaxed(&fl->used);
	c->inserted = get_relaxed(&fl->inserted);
	c->expired = get_relaxed(&fl->expired);
	c->evicted = get_relaxed(&fl->evicted);
}

/*
 * Shaper
 */

static uint64_t
shaper_bytes_default(uint64_t rate_bps)
{
	/* rate * 50 ms in bytes: rate / 8 / 20 */
	uint64_t b = rate_bps / (8 * (1000 / METER_SHAPER_QUEUE_MS));

	return b > 2 * METER_FRAME ? b : 2 * METER_FRAME;
}

static void
shaper_publish(struct meter_shaper *sh)
{
	atomic_store_explicit(&sh->depth_pkts, sh->tail - sh->head, RELAXED);
	atomic_store_explicit(&sh->depth_bytes, sh->qbytes, RELAXED);
}

int
meter_shaper_init(struct meter_shaper *sh,
		  const struct meter_shaper_config *cfg, uint64_t now_ns)
{
	uint32_t size;
	int rc;

	memset(sh, 0, sizeof(*sh));
	if (cfg->max_pkts > METER_SHAPER_PKTS_MAX)
		return -CEN_ERANGE;
	rc = meter_tb_init(&sh->tb, cfg->rate_bps, cfg->burst_bytes, now_ns);
	if (rc != 0)
		return rc;
	sh->max_pkts = cfg->max_pkts != 0 ? cfg->max_pkts : METER_SHAPER_PKTS;
	sh->max_bytes_auto = cfg->max_bytes == 0;
	sh->max_bytes = sh->max_bytes_auto ? shaper_bytes_default(cfg->rate_bps)
					   : cfg->max_bytes;
	for (size = 1; size < sh->max_pkts; size <<= 1)
		;
	sh->q = calloc(size, sizeof(*sh->q));
	if (sh->q == NULL)
		return -CEN_ENOMEM;
	sh->qmask = size - 1;
	return 0;
}

void
meter_shaper_fini(struct meter_shaper *sh)
{
	free(sh->q);
	sh->q = NULL;
	sh->head = sh->tail = 0;
	sh->qbytes = 0;
	shaper_publish(sh);
}

enum meter_verdict
meter_shaper_enqueue(struct meter_shaper *sh, uint64_t now_ns, void *handle,
		     uint32_t bytes)
{
	struct meter_shaper_slot *s;

	/* Nothing may overtake a queued packet. */
	if (sh->head == sh->tail && meter_tb_take(&sh->tb, now_ns, bytes))
		return METER_SENT_NOW;
	/* An empty queue takes any packet, so that one larger than the byte
	 * bound is delayed, not always dropped. */
	if (sh->tail - sh->head >= sh->max_pkts ||
	    (sh->qbytes != 0 && sh->qbytes + bytes > sh->max_bytes))
		return METER_DROPPED;
	s = &sh->q[sh->tail & sh->qmask];
	s->handle = handle;
	s->bytes = bytes;
	sh->tail++;
	sh->qbytes += bytes;
	shaper_publish(sh);
	return METER_QUEUED;
}

size_t
meter_shaper_dequeue(struct meter_shaper *sh, uint64_t now_ns, void **out,
		     size_t max, uint64_t *bytes)
{
	struct meter_tb *tb = &sh->tb;
	struct meter_shaper_slot *s;
	uint64_t sum = 0;
	int64_t cost;
	size_t n = 0;

	if (sh->head == sh->tail)
		return 0;
	bucket_refill(&tb->r, &tb->tokens, &tb->last_ns, now_ns);
	while (n < max && sh->head != sh->tail) {
		s = &sh->q[sh->head & sh->qmask];
		cost = bucket_cost(s->bytes);
		if (!bucket_conforms(&tb->r, tb->tokens, cost))
			break;
		tb->tokens -= cost;
		out[n++] = s->handle;
		sum += s->bytes;
		sh->head++;
	}
	if (n > 0) {
		sh->qbytes -= sum;
		shaper_publish(sh);
	}
	if (bytes != NULL)
		*bytes += sum;
	return n;
}

uint64_t
meter_shaper_next_ns(const struct meter_shaper *sh)
{
	const struct meter_tb *tb = &sh->tb;
	int64_t cost, need;

	if (sh->head == sh->tail)
		return METER_NEVER;
	cost = bucket_cost(sh->q[sh->head & sh->qmask].bytes);
	/* Tokens grow linearly from last_ns up to the burst; the head goes
	 * once they reach its cost, or the burst if it is larger. */
	need = (cost < tb->r.burst ? cost : tb->r.burst) - tb->tokens;
	if (need <= 0)
		return tb->last_ns;
	return tb->last_ns +
	       ((uint64_t)need + tb->r.rate_bps - 1) / tb->r.rate_bps;
}

size_t
meter_shaper_flush(struct meter_shaper *sh, void **out, size_t max,
		   uint64_t *bytes)
{
	struct meter_shaper_slot *s;
	uint64_t sum = 0;
	size_t n = 0;

	while (n < max && sh->head != sh->tail) {
		s = &sh->q[sh->head & sh->qmask];
		out[n++] = s->handle;
		sum += s->bytes;
		sh->head++;
	}
	sh->qbytes -= sum;
	shaper_publish(sh);
	if (bytes != NULL)
		*bytes += sum;
	return n;
}

int
meter_shaper_set_rate(struct meter_shaper *sh, uint64_t now_ns,
		      uint64_t rate_bps, uint64_t burst_bytes)
{
	int rc;

	if ((rc = meter_tb_set_rate(&sh->tb, now_ns, rate_bps, burst_bytes)))
		return rc;
	if (sh->max_bytes_auto)
		sh->max_bytes = shaper_bytes_default(rate_bps);
	return 0;
}

void
meter_shaper_depth(const struct meter_shaper *sh, uint32_t *pkts,
		   uint64_t *bytes)
{
	*pkts = atomic_load_explicit(&sh->depth_pkts, RELAXED);
	*bytes = get_relaxed(&sh->depth_bytes);
}

/*
 * Statistics
 *
 * The writer adds each packet to ring[cur], the slot of second sec.  A
 * packet of a later second first rolls the ring: zeroes the slots of the
 * seconds in between (all of them after a silence of 300 s or more) and
 * advances sec, with seq odd for the duration, so that a reader copying
 * slots can tell that it may have read a slot being reused and retries (a
 * seqlock; the writer never waits).  A reader's window ends at the second
 * before its now_ns: slots after sec are seconds without packets (0),
 * slots more than 299 seconds before sec are gone.
 */

void
meter_stats_init(struct meter_stats *st, uint64_t now_ns)
{
	uint64_t s = now_ns / METER_NSEC;
	int i;

	atomic_store_explicit(&st->pass_bytes, 0, RELAXED);
	atomic_store_explicit(&st->pass_pkts, 0, RELAXED);
	atomic_store_explicit(&st->drop_bytes, 0, RELAXED);
	atomic_store_explicit(&st->drop_pkts, 0, RELAXED);
	atomic_store_explicit(&st->seq, 0, RELAXED);
	for (i = 0; i < METER_STATS_SECONDS; i++)
		atomic_store_explicit(&st->ring[i], 0, RELAXED);
	st->start_sec = s;
	st->cur = (uint32_t)(s % METER_STATS_SECONDS);
	atomic_store_explicit(&st->sec, s, memory_order_release);
}

static void
stats_roll(struct meter_stats *st, uint64_t s)
{
	uint32_t seq = atomic_load_explicit(&st->seq, RELAXED);
	uint64_t gap = s - get_relaxed(&st->sec);
	uint32_t i = st->cur;

	atomic_store_explicit(&st->seq, seq + 1, RELAXED);
	atomic_thread_fence(memory_order_release);
	if (gap > METER_STATS_SECONDS)
		gap = METER_STATS_SECONDS;
	while (gap-- > 0) {
		if (++i == METER_STATS_SECONDS)
			i = 0;
		atomic_store_explicit(&st->ring[i], 0, RELAXED);
	}
	st->cur = (uint32_t)(s % METER_STATS_SECONDS);
	atomic_store_explicit(&st->sec, s, RELAXED);
	atomic_store_explicit(&st->seq, seq + 2, memory_order_release);
}

static inline void
stats_count(struct meter_stats *st, uint64_t now_ns, uint64_t pkts,
	    uint64_t bytes)
{
	uint64_t s = now_ns / METER_NSEC;

	if (s > get_relaxed(&st->sec))
		stats_roll(st, s);
	add_relaxed(&st->ring[st->cur], bytes);
	add_relaxed(&st->pass_bytes, bytes);
	add_relaxed(&st->pass_pkts, pkts);
}

void
meter_stats_pass(struct meter_stats *st, uint64_t now_ns, uint32_t bytes)
{
	stats_count(st, now_ns, 1, bytes);
}

void
meter_stats_drop(struct meter_stats *st, uint32_t bytes)
{
	add_relaxed(&st->drop_bytes, bytes);
	add_relaxed(&st->drop_pkts, 1);
}

/* One attempt at copying the series (see meter_stats_series). */
static size_t
stats_copy(const struct meter_stats *st, uint64_t now_s, uint64_t *bps,
	   size_t n)
{
	uint64_t w = get_relaxed(&st->sec);
	uint64_t first, t;
	size_t k = 0;

	if (now_s == 0)
		return 0;
	first = now_s > n ? now_s - n : 0;
	if (first < st->start_sec)
		first = st->start_sec;
	if (w >= METER_STATS_SECONDS && first <= w - METER_STATS_SECONDS)
		first = w - METER_STATS_SECONDS + 1;
	for (t = first; t < now_s; t++) {
		if (t > w)
			bps[k++] = 0;
		else
			bps[k++] =
				8 *
				get_relaxed(&st->ring[t % METER_STATS_SECONDS]);
	}
	return k;
}

size_t
meter_stats_series(const struct meter_stats *st, uint64_t now_ns, uint64_t *bps,
		   size_t n)
{
	uint64_t now_s = now_ns / METER_NSEC;
	uint32_t s1, s2;
	size_t k;
	int tries;

	if (n > METER_STATS_SECONDS)
		n = METER_STATS_SECONDS;
	for (tries = 0;; tries++) {
		s1 = atomic_load_explicit(&st->seq, memory_order_acquire);
		k = stats_copy(st, now_s, bps, n);
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&st->seq, RELAXED);
		/* A writer stopped in mid-roll cannot hold a reader for
		 * long: past SEQ_TRIES, a second may read 0. */
		if ((s1 == s2 && (s1 & 1) == 0) || tries == SEQ_TRIES)
			return k;
	}
}

uint64_t
meter_stats_rate(const struct meter_stats *st, uint64_t now_ns)
{
	uint64_t bps;

	return meter_stats_series(st, now_ns, &bps, 1) == 1 ? bps : 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

uint64_t
meter_stats_p95(const struct meter_stats *st, uint64_t now_ns,
		unsigned window_s)
{
	uint64_t v[METER_STATS_SECONDS];
	size_t k;

	if (window_s == 0)
		return 0;
	k = meter_stats_series(st, now_ns, v, window_s);
	if (k == 0)
		return 0;
	qsort(v, k, sizeof(v[0]), cmp_u64);
	/* nearest rank: the ceil(0.95 k)-th smallest */
	return v[(95 * k + 99) / 100 - 1];
}

void
meter_stats_get_totals(const struct meter_stats *st, struct meter_totals *t)
{
	t->pass_bytes = get_relaxed(&st->pass_bytes);
	t->pass_pkts = get_relaxed(&st->pass_pkts);
	t->drop_bytes = get_relaxed(&st->drop_bytes);
	t->drop_pkts = get_relaxed(&st->drop_pkts);
}

/*
 * Named meters
 */

static const char *
kind_name(enum meter_kind k)
{
	switch (k) {
	case METER_KIND_VBR:
		return "VBR";
	case METER_KIND_FLOW_CAP:
		return "FLOW_CAP";
	case METER_KIND_BACKBONE:
		return "BACKBONE";
	case METER_KIND_TRANSFER:
		return "TRANSFER";
	default:
		return "UNSPECIFIED";
	}
}

static void __attribute__((noreturn))
meter_bug(const char *fn, const struct meter *m)
{
	fprintf(stderr, "%s: meter %s is of kind %s\n", fn, m->id,
		kind_name(m->kind));
	abort();
}

/* The rate a kind enforces for a committed rate. */
static uint64_t
limit_of(enum meter_kind kind, uint64_t committed_bps)
{
	return kind == METER_KIND_FLOW_CAP
		       ? committed_bps / METER_FLOW_CAP_DIVIDE
		       : committed_bps;
}

static int
check_rate(enum meter_kind kind, uint64_t committed_bps, uint64_t burst_bytes,
	   struct cen_err *err)
{
	uint64_t min = kind == METER_KIND_FLOW_CAP ? METER_FLOW_CAP_DIVIDE : 1;

	if (kind == METER_KIND_TRANSFER && committed_bps == 0)
		min = 0;
	if (committed_bps < min || committed_bps > METER_RATE_MAX)
		return cen_errf(err, -CEN_ERANGE,
				"committed_bps %llu out of range %llu..%llu "
				"for a %s meter",
				(unsigned long long)committed_bps,
				(unsigned long long)min,
				(unsigned long long)METER_RATE_MAX,
				kind_name(kind));
	if (burst_bytes > METER_BURST_MAX)
		return cen_errf(err, -CEN_ERANGE,
				"burst_bytes %llu out of range 0..%llu "
				"(0: 10 ms at the rate)",
				(unsigned long long)burst_bytes,
				(unsigned long long)METER_BURST_MAX);
	return 0;
}

int
meter_init(struct meter *m, const struct meter_config *cfg, uint64_t now_ns,
	   struct cen_err *err)
{
	struct meter_shaper_config sc;
	uint64_t limit;
	size_t len;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	len = cfg->id != NULL ? strlen(cfg->id) : 0;
	if (len == 0 || len >= METER_ID_MAX)
		return cen_errf(err, -CEN_EINVAL,
				"id must have 1..%d characters",
				METER_ID_MAX - 1);
	if (cfg->kind <= METER_KIND_UNSPECIFIED ||
	    cfg->kind > METER_KIND_TRANSFER)
		return cen_errf(
			err, -CEN_EINVAL,
			"meter %s: kind %d is not one of VBR, FLOW_CAP, "
			"BACKBONE, TRANSFER",
			cfg->id, (int)cfg->kind);
	rc = check_rate(cfg->kind, cfg->committed_bps, cfg->burst_bytes, err);
	if (rc != 0) {
		cen_err_prefix(err, "meter %s: ", cfg->id);
		return rc;
	}
	memcpy(m->id, cfg->id, len + 1);
	m->kind = cfg->kind;
	limit = limit_of(cfg->kind, cfg->committed_bps);
	switch (cfg->kind) {
	case METER_KIND_VBR:
	case METER_KIND_TRANSFER:
		if (limit != 0)
			rc = meter_tb_init(&m->u.tb, limit, cfg->burst_bytes,
					   now_ns);
		break;
	case METER_KIND_FLOW_CAP:
		if (cfg->flows == NULL)
			return cen_errf(err, -CEN_EINVAL,
					"meter %s: a FLOW_CAP meter needs a "
					"flow table",
					cfg->id);
		m->u.fc.flows = cfg->flows;
		rc = meter_rate_init(&m->u.fc.cap, limit, cfg->burst_bytes);
		break;
	case METER_KIND_BACKBONE:
		if (cfg->queue_pkts > METER_SHAPER_PKTS_MAX)
			return cen_errf(err, -CEN_ERANGE,
					"meter %s: queue_pkts %u out of range "
					"0..%u",
					cfg->id, cfg->queue_pkts,
					METER_SHAPER_PKTS_MAX);
		sc = (struct meter_shaper_config){
			.rate_bps = limit,
			.burst_bytes = cfg->burst_bytes,
			.max_pkts = cfg->queue_pkts,
			.max_bytes = cfg->queue_bytes,
		};
		rc = meter_shaper_init(&m->u.sh, &sc, now_ns);
		if (rc == -CEN_ENOMEM)
			return cen_errf(err, rc,
					"meter %s: no memory for "
					"the queue",
					cfg->id);
		break;
	default:
		break;
	}
	if (rc != 0)
		return cen_errf(err, rc, "meter %s: rate %llu bit/s: %s",
				cfg->id, (unsigned long long)limit,
				cen_strerror(rc));
	atomic_store_explicit(&m->committed_bps, cfg->committed_bps, RELAXED);
	atomic_store_explicit(&m->limit_bps, limit, RELAXED);
	meter_stats_init(&m->stats, now_ns);
	return 0;
}

void
meter_fini(struct meter *m)
{
	if (m->kind == METER_KIND_BACKBONE)
		meter_shaper_fini(&m->u.sh);
}

bool
meter_police(struct meter *m, uint64_t now_ns, uint32_t bytes)
{
	if (m->kind != METER_KIND_VBR && m->kind != METER_KIND_TRANSFER)
		meter_bug(__func__, m);
	/* rate 0: an uncapped TRANSFER meter */
	if (m->u.tb.r.rate_bps == 0 || meter_tb_take(&m->u.tb, now_ns, bytes)) {
		stats_count(&m->stats, now_ns, 1, bytes);
		return true;
	}
	meter_stats_drop(&m->stats, bytes);
	return false;
}

bool
meter_flow(struct meter *m, uint64_t now_ns, uint32_t hash, uint32_t src,
	   uint32_t dst, uint32_t bytes)
{
	if (m->kind != METER_KIND_FLOW_CAP)
		meter_bug(__func__, m);
	if (meter_flows_take(m->u.fc.flows, &m->u.fc.cap, now_ns, hash, src,
			     dst, bytes)) {
		stats_count(&m->stats, now_ns, 1, bytes);
		return true;
	}
	meter_stats_drop(&m->stats, bytes);
	return false;
}

enum meter_verdict
meter_shape(struct meter *m, uint64_t now_ns, void *handle, uint32_t bytes)
{
	enum meter_verdict v;

	if (m->kind != METER_KIND_BACKBONE)
		meter_bug(__func__, m);
	v = meter_shaper_enqueue(&m->u.sh, now_ns, handle, bytes);
	if (v == METER_SENT_NOW)
		stats_count(&m->stats, now_ns, 1, bytes);
	else if (v == METER_DROPPED)
		meter_stats_drop(&m->stats, bytes);
	return v;
}

size_t
meter_release(struct meter *m, uint64_t now_ns, void **out, size_t max)
{
	uint64_t bytes = 0;
	size_t n;

	if (m->kind != METER_KIND_BACKBONE)
		meter_bug(__func__, m);
	n = meter_shaper_dequeue(&m->u.sh, now_ns, out, max, &bytes);
	if (n > 0)
		stats_count(&m->stats, now_ns, n, bytes);
	return n;
}

size_t
meter_flush(struct meter *m, void **out, size_t max)
{
	uint64_t bytes = 0;
	size_t n;

	if (m->kind != METER_KIND_BACKBONE)
		meter_bug(__func__, m);
	n = meter_shaper_flush(&m->u.sh, out, max, &bytes);
	add_relaxed(&m->stats.drop_pkts, n);
	add_relaxed(&m->stats.drop_bytes, bytes);
	return n;
}

int
meter_set_rate(struct meter *m, uint64_t now_ns, uint64_t committed_bps,
	       uint64_t burst_bytes)
{
	uint64_t limit = limit_of(m->kind, committed_bps);
	int rc;

	if ((rc = check_rate(m->kind, committed_bps, burst_bytes, NULL)) != 0)
		return rc;
	switch (m->kind) {
	case METER_KIND_VBR:
	case METER_KIND_TRANSFER:
		if (limit == 0)
			memset(&m->u.tb, 0, sizeof(m->u.tb));
		else if (m->u.tb.r.rate_bps == 0)
			rc = meter_tb_init(&m->u.tb, limit, burst_bytes,
					   now_ns);
		else
			rc = meter_tb_set_rate(&m->u.tb, now_ns, limit,
					       burst_bytes);
		break;
	case METER_KIND_FLOW_CAP:
		rc = meter_rate_init(&m->u.fc.cap, limit, burst_bytes);
		break;
	case METER_KIND_BACKBONE:
		rc = meter_shaper_set_rate(&m->u.sh, now_ns, limit,
					   burst_bytes);
		break;
	default:
		meter_bug(__func__, m);
	}
	if (rc != 0)
		return rc;
	atomic_store_explicit(&m->committed_bps, committed_bps, RELAXED);
	atomic_store_explicit(&m->limit_bps, limit, RELAXED);
	return 0;
}

void
meter_snapshot(const struct meter *m, uint64_t now_ns, unsigned window_s,
	       struct meter_snap *out)
{
	struct meter_totals t;

	memset(out, 0, sizeof(*out));
	memcpy(out->id, m->id, sizeof(out->id));
	out->kind = m->kind;
	out->committed_bps = get_relaxed(&m->committed_bps);
	out->limit_bps = get_relaxed(&m->limit_bps);
	out->rate_bps = meter_stats_rate(&m->stats, now_ns);
	out->p95_bps = meter_stats_p95(&m->stats, now_ns, window_s);
	meter_stats_get_totals(&m->stats, &t);
	out->pass_bytes = t.pass_bytes;
	out->pass_pkts = t.pass_pkts;
	out->drop_bytes = t.drop_bytes;
	out->drop_pkts = t.drop_pkts;
	if (m->kind == METER_KIND_BACKBONE)
		meter_shaper_depth(&m->u.sh, &out->queue_pkts,
				   &out->queue_bytes);
}

/*
 * Registry
 */

void
meter_reg_init(struct meter_reg *reg)
{
	memset(reg, 0, sizeof(*reg));
}

void
meter_reg_fini(struct meter_reg *reg)
{
	free(reg->m);
	memset(reg, 0, sizeof(*reg));
}

static size_t
reg_index(const struct meter_reg *reg, const char *id)
{
	size_t i;

	for (i = 0; i < reg->n; i++)
		if (strcmp(reg->m[i]->id, id) == 0)
			return i;
	return SIZE_MAX;
}

int
meter_reg_add(struct meter_reg *reg, struct meter *m)
{
	struct meter **nm;
	size_t cap;

	if (reg_index(reg, m->id) != SIZE_MAX)
		return -CEN_EEXIST;
	if (reg->n == reg->cap) {
		cap = reg->cap != 0 ? 2 * reg->cap : 16;
		nm = realloc(reg->m, cap * sizeof(*nm));
		if (nm == NULL)
			return -CEN_ENOMEM;
		reg->m = nm;
		reg->cap = cap;
	}
	reg->m[reg->n++] = m;
	return 0;
}

struct meter *
meter_reg_remove(struct meter_reg *reg, const char *id)
{
	size_t i = reg_index(reg, id);
	struct meter *m;

	if (i == SIZE_MAX)
		return NULL;
	m = reg->m[i];
	memmove(&reg->m[i], &reg->m[i + 1],
		(reg->n - i - 1) * sizeof(reg->m[0]));
	reg->n--;
	return m;
}

struct meter *
meter_reg_find(const struct meter_reg *reg, const char *id)
{
	size_t i = reg_index(reg, id);

	return i != SIZE_MAX ? reg->m[i] : NULL;
}

size_t
meter_reg_snapshot(const struct meter_reg *reg, uint64_t now_ns,
		   unsigned window_s, struct meter_snap *out, size_t max)
{
	size_t i;

	for (i = 0; i < reg->n && i < max; i++)
		meter_snapshot(reg->m[i], now_ns, window_s, &out[i]);
	return reg->n;
}
