/*
 * core_bench.c - throughput and memory of the route engine (core/).
 *
 * Loads 1,000,000 IPv4 paths (about 60% /24, the rest spread over /8../23)
 * from 10 VBR attachments with about 100,000 distinct attribute sets, plus
 * 100,000 IPv6 paths (/32../64), into one region's system table; then adds a
 * RegionIn Permit entry whose CIDR condition covers about 10% of the prefixes
 * and sets preference 70; then withdraws every path.  About 10% of the
 * prefixes get a second path from another attachment, so that entries with
 * more than one path (and ECMP) are exercised; the path counts stay as
 * given.  Reports paths/s per phase, the time of the route-map change (put
 * plus drain) and bytes per path, as a table and as one JSON line.
 *
 * Everything is generated on the fly from a seeded PRNG, so the input costs
 * no memory and the same seed gives the same run: prefixes are distinct by
 * construction (an affine bijection of an index inside each length class).
 * Attribute sets are interned before the clock starts (interning is the
 * caller's job); a second run interns inside the timed loop, as a BGP speaker
 * would per UPDATE, and a third registers a delta callback that counts FIB
 * changes.  Peak RSS is taken from /proc/self/status after the first run's
 * load, before any variant runs.
 *
 * Usage: core_bench [--paths N] [--v6 N] [--attrs N] [--seed S]
 *                   [--repeat N] [--json] [--no-variants]
 *        core_bench --bgpblast N [--per-update P] [--json]
 *
 * --bgpblast runs instead the workload rr-bench.sh sends a route reflector
 * (see run_blast), for comparison with BIRD.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/engine.h"

#define NSRC	   10
#define MAXCLS	   24
#define REGION	   "cn-hangzhou"
#define TABLE	   "rt-hangzhou"
#define RMAP_PREF  70
#define RMAP_PRIO  10
#define BENCH_ASN0 65001u

struct opts {
	uint32_t v4, v6, attrs;
	uint64_t seed;
	bool json, variants;
};

/* One address family's generator: npaths paths over npfx prefixes; paths
 * [npfx, npaths) are second paths of prefixes [0, npaths - npfx). */
struct fam_gen {
	uint8_t family;
	uint32_t npaths, npfx;
	uint32_t ncls;
	uint8_t len[MAXCLS];
	uint8_t bits[MAXCLS];	    /* free address bits of the class */
	uint32_t start[MAXCLS + 1]; /* first scrambled index of each class */
	uint64_t mult[MAXCLS], add[MAXCLS];
	uint64_t pmul, padd; /* prefix index scramble, mod npfx */
	uint64_t omul, oadd; /* path order, mod npaths */
};

struct bench {
	struct opts o;
	struct fam_gen g[2]; /* [0] IPv4, [1] IPv6 */
	char att_id[NSRC][MODEL_ID_MAX];
	struct prefix peer[NSRC];
	const struct attrs **pool; /* pre-interned sets, o.attrs of them */
	uint32_t per_src;	   /* pool entries per source */
	struct prefix cidrs[8];	   /* the route map's condition */
	uint8_t ncidrs;
};

static uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t
hash3(uint64_t seed, uint64_t a, uint64_t b)
{
	return mix64(seed ^ mix64(a ^ mix64(b + 0x51ed27)));
}

static uint64_t
gcd64(uint64_t a, uint64_t b)
{
	while (b != 0) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* A multiplier coprime to n, so k -> (k * m + a) mod n is a bijection. */
static uint64_t
coprime(uint64_t n, uint64_t r)
{
	uint64_t m;

	if (n <= 1)
		return 1;
	m = r % n;
	if (m < 2)
		m = 2;
	while (gcd64(m, n) != 1)
		m++;
	return m;
}

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A phase's wall-clock time (CLOCK_MONOTONIC, the figure reported) and the
 * CPU time the process spent in it: when the wall time is much larger,
 * something else was using the machine. */
struct span {
	double wall, cpu;
};

struct stamp {
	double wall, cpu;
};

static struct stamp
stamp(void)
{
	struct stamp st = { clock_s(CLOCK_MONOTONIC),
			    clock_s(CLOCK_PROCESS_CPUTIME_ID) };

	return st;
}

static struct span
since(struct stamp a)
{
	struct stamp b = stamp();
	struct span sp = { b.wall - a.wall, b.cpu - a.cpu };

	return sp;
}

/* VmRSS or VmHWM of this process, in bytes. */
static size_t
proc_mem(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t klen = strlen(key), kb = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ':')
			kb = strtoull(line + klen + 1, NULL, 10);
	fclose(f);
	return kb * 1024;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "core_bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- prefixes ------------------------------------------------------- */

/* Length mixes, in parts per 10,000; the last class takes the rest. */
static const struct {
	uint8_t len;
	uint16_t w;
} mix_v4[] = {
	{ 8, 1 },     { 9, 1 },	   { 10, 3 },	{ 11, 5 },   { 12, 10 },
	{ 13, 20 },   { 14, 30 },  { 15, 20 },	{ 16, 150 }, { 17, 100 },
	{ 18, 150 },  { 19, 300 }, { 20, 450 }, { 21, 450 }, { 22, 1100 },
	{ 23, 1000 }, { 24, 0 },
};
static const struct {
	uint8_t len;
	uint16_t w;
} mix_v6[] = {
	{ 32, 1500 }, { 36, 300 },  { 40, 500 }, { 44, 700 },
	{ 48, 4500 }, { 56, 1000 }, { 64, 0 },
};

static void
gen_init(struct fam_gen *g, uint8_t family, uint32_t npaths, uint64_t seed)
{
	uint32_t n, left, cap;
	size_t ncls = family == PREFIX_AF_INET
			      ? sizeof(mix_v4) / sizeof(mix_v4[0])
			      : sizeof(mix_v6) / sizeof(mix_v6[0]);

	memset(g, 0, sizeof(*g));
	g->family = family;
	g->npaths = npaths;
	/* one prefix in 11 gets a second path: npfx * 1.1 == npaths */
	g->npfx = (uint32_t)(((uint64_t)npaths * 10 + 10) / 11);
	if (g->npfx > npaths)
		g->npfx = npaths;
	g->ncls = (uint32_t)ncls;
	left = g->npfx;
	for (size_t c = 0; c < ncls; c++) {
		uint8_t len = family == PREFIX_AF_INET ? mix_v4[c].len
						       : mix_v6[c].len;
		uint16_t w =
			family == PREFIX_AF_INET ? mix_v4[c].w : mix_v6[c].w;

		g->len[c] = len;
		/* IPv6 prefixes live in 2000::/3 */
		g->bits[c] =
			family == PREFIX_AF_INET ? len : (uint8_t)(len - 3);
		cap = g->bits[c] >= 31 ? UINT32_MAX : (1u << g->bits[c]) / 2;
		n = c + 1 == ncls ? left
				  : (uint32_t)((uint64_t)g->npfx * w / 10000);
		if (n > cap) {
			if (c + 1 == ncls)
				die("%u prefixes do not fit the length mix",
				    g->npfx);
			n = cap;
		}
		if (n > left)
			n = left;
		g->start[c + 1] = g->start[c] + n;
		left -= n;
		g->mult[c] = hash3(seed, family, c) | 1;
		g->add[c] = hash3(seed, family, c + 100);
	}
	g->pmul = coprime(g->npfx, hash3(seed, family, 1000));
	g->padd = hash3(seed, family, 1001) % (g->npfx ? g->npfx : 1);
	g->omul = coprime(g->npaths, hash3(seed, family, 1002));
	g->oadd = hash3(seed, family, 1003) % (g->npaths ? g->npaths : 1);
}

/* Prefix number k (< npfx). */
static void
gen_prefix(const struct fam_gen *g, uint32_t k, struct prefix *p)
{
	uint32_t j = (uint32_t)(((uint64_t)k * g->pmul + g->padd) % g->npfx);
	uint32_t c = 0;
	uint64_t x, mask;

	while (j >= g->start[c + 1])
		c++;
	mask = g->bits[c] >= 64 ? ~0ull : (1ull << g->bits[c]) - 1;
	x = ((uint64_t)(j - g->start[c]) * g->mult[c] + g->add[c]) & mask;
	if (g->family == PREFIX_AF_INET) {
		prefix_from_v4(p, (uint32_t)(x << (32 - g->len[c])), g->len[c]);
	} else {
		uint8_t a[16] = { 0 };
		uint64_t hi = (2ull << 61) | (x << (64 - g->len[c]));

		for (int i = 0; i < 8; i++)
			a[i] = (uint8_t)(hi >> (56 - 8 * i));
		prefix_from_v6(p, a, g->len[c]);
	}
}

/* The i-th path in load order: its prefix, source and attribute set. */
static void
gen_path(const struct bench *b, const struct fam_gen *g, uint32_t i,
	 struct prefix *p, uint32_t *src, uint32_t *attr)
{
	uint32_t id = (uint32_t)(((uint64_t)i * g->omul + g->oadd) % g->npaths);
	uint32_t k = id < g->npfx ? id : id - g->npfx;
	uint64_t h = hash3(b->o.seed, g->family, k);
	uint32_t s = (uint32_t)(h % NSRC);

	if (id >= g->npfx) /* the second path: another source */
		s = (s + 1 + (uint32_t)((h >> 32) % (NSRC - 1))) % NSRC;
	gen_prefix(g, k, p);
	*src = s;
	*attr = s * b->per_src +
		(uint32_t)(hash3(b->o.seed, k, s + 77) % b->per_src);
}

/* ---- attributes ----------------------------------------------------- */

/* The parts of pool set a: an AS path of 2..6 ASNs (the source's AS, up to
 * four transit ASes, and an origin AS of its own, so that every set of the
 * pool is distinct), 0..3 communities; the next hop is the source's peer. */
static void
attr_parts(const struct bench *b, uint32_t a, struct attrs *at, uint32_t *asns,
	   uint32_t *nasns, uint32_t *comms, uint32_t *ncomms)
{
	uint64_t h = hash3(b->o.seed, 0xa77, a);
	uint32_t src = a / b->per_src;

	attr_init(at);
	*nasns = 2 + (uint32_t)(h % 5);
	asns[0] = BENCH_ASN0 + src;
	for (uint32_t i = 1; i + 1 < *nasns; i++)
		asns[i] = 1 + (uint32_t)(hash3(h, i, 1) % 399999);
	asns[*nasns - 1] =
		1 + (uint32_t)((uint64_t)(a % b->per_src) * 37 % 399999);
	*ncomms = (uint32_t)((h >> 8) % 4);
	for (uint32_t i = 0; i < *ncomms; i++) {
		uint64_t r = hash3(h, i, 2);

		comms[i] = (uint32_t)(65000 + r % 100) << 16 |
			   (uint32_t)((r >> 16) % 1000);
	}
	at->nexthop = b->peer[src];
	at->med = (uint32_t)((h >> 16) % 3) * 10;
	if (at->med != 0)
		at->flags |= ATTR_F_MED;
}

/* Interns pool set a (the caller owns the returned reference). */
static const struct attrs *
attr_make(const struct bench *b, struct attr_store *st, uint32_t a)
{
	uint32_t asns[8], comms[4], nasns, ncomms;
	const struct attrs *r;
	struct attrs at;

	attr_parts(b, a, &at, asns, &nasns, comms, &ncomms);
	at.aspath = attr_aspath_seq(st, asns, nasns);
	at.comms = ncomms ? attr_comms_intern(st, comms, ncomms) : NULL;
	r = attr_intern(st, &at);
	if (r == NULL)
		die("out of memory interning attributes");
	attr_aspath_unref(st, at.aspath);
	attr_comms_unref(st, at.comms);
	return r;
}

/* ---- the engine's configuration ------------------------------------ */

static void
setup(struct bench *b, struct engine *e)
{
	struct model m;
	struct cen_err err = { 0 };
	struct model_region r = { 0 };
	struct model_table t;
	struct model_pc pc = { 0 };

	model_init(&m);
	m.has_cen = true;
	model_cen_defaults(&m.cen);
	snprintf(m.cen.id, sizeof(m.cen.id), "cen-bench");
	snprintf(r.id, sizeof(r.id), REGION);
	model_put_region(&m, &r);
	model_table_defaults(&t);
	snprintf(t.id, sizeof(t.id), TABLE);
	snprintf(t.region, sizeof(t.region), REGION);
	t.system = true;
	model_put_table(&m, &t);
	snprintf(pc.id, sizeof(pc.id), "pc-1");
	snprintf(pc.region, sizeof(pc.region), REGION);
	pc.speed_gbps = 100;
	model_put_pc(&m, &pc);
	for (uint32_t i = 0; i < NSRC; i++) {
		struct model_attachment a;
		char s[PREFIX_STRLEN];

		model_attachment_defaults(&a);
		snprintf(a.id, sizeof(a.id), "vbr-%02u", i);
		snprintf(b->att_id[i], sizeof(b->att_id[i]), "%s", a.id);
		a.type = MODEL_ATT_VBR;
		snprintf(a.region, sizeof(a.region), REGION);
		snprintf(a.physical_connection, sizeof(a.physical_connection),
			 "pc-1");
		a.vlan = (uint16_t)(100 + i);
		a.bandwidth_mbps = 1000;
		snprintf(s, sizeof(s), "10.0.%u.1/30", i * 4);
		prefix_parse(&a.local_ip, s, true);
		snprintf(s, sizeof(s), "10.0.%u.2", i * 4);
		prefix_parse_addr(&a.peer_ip, s);
		b->peer[i] = a.peer_ip;
		model_peer_defaults(&a.peers[0]);
		a.peers[0].address = a.peer_ip;
		a.peers[0].asn = BENCH_ASN0 + i;
		a.npeers = 1;
		model_put_attachment(&m, &a);
	}
	if (engine_apply(e, &m, &err) != 0)
		die("engine_apply: %s", err.msg);
	engine_drain(e); /* the new attachments' view jobs */
	model_free(&m);
}

static void
rmap_entry(const struct bench *b, struct model_rmap *rm)
{
	model_rmap_defaults(rm);
	snprintf(rm->region, sizeof(rm->region), REGION);
	rm->direction = MODEL_DIR_IN;
	rm->priority = RMAP_PRIO;
	rm->action = MODEL_ACTION_PERMIT;
	rm->set_pref = RMAP_PREF;
	rm->cidr_mode = MODEL_MATCH_INCLUDE;
	memcpy(rm->cidrs, b->cidrs, b->ncidrs * sizeof(b->cidrs[0]));
	rm->ncidrs = b->ncidrs;
}

static bool
in_cidrs(const struct bench *b, const struct prefix *p)
{
	for (uint8_t i = 0; i < b->ncidrs; i++)
		if (prefix_contains(&b->cidrs[i], p))
			return true;
	return false;
}

/* ---- the runs ------------------------------------------------------- */

enum {
	RUN_MAIN,
	RUN_INTERN,
	RUN_CB
};

struct result {
	struct span insert, insert_v4, insert_v6, rmap, withdraw;
	size_t rss_before, rss_loaded, hwm_loaded, hwm_rmap;
	struct engine_stats st;
	size_t rmap_hits; /* paths with preference 70 after the change */
	uint64_t deltas_insert, deltas_rmap, deltas_withdraw;
};

static uint64_t ndeltas;

static void
count_cb(const struct engine_delta *d, void *arg)
{
	(void)d;
	(void)arg;
	ndeltas++;
}

static int
pref_cb(const struct engine_route *r, void *arg)
{
	size_t *n = arg;

	if (r->attrs != NULL && r->attrs->pref == RMAP_PREF)
		(*n)++;
	return 0;
}

/* One generated path. */
struct gpath {
	struct prefix prefix;
	uint32_t src, attr;
};

#define BATCH 4096
static struct gpath batch[BATCH];

static void
span_add(struct span *a, struct span b)
{
	a->wall += b.wall;
	a->cpu += b.cpu;
}

/* Adds (or withdraws) every path of family f, a batch at a time.  Batches
 * are generated with the clock stopped, so the time is the engine's (and,
 * for RUN_INTERN, interning's) alone. */
static struct span
load(struct bench *b, struct engine *e, int f, int mode, bool del)
{
	const struct fam_gen *g = &b->g[f];
	struct attr_store *st = engine_attrs(e);
	struct cen_err err = { 0 };
	struct engine_path_in in = { 0 };
	struct span sp = { 0, 0 };

	in.node = 1;
	for (uint32_t i = 0; i < g->npaths; i += BATCH) {
		uint32_t n = g->npaths - i < BATCH ? g->npaths - i : BATCH;
		struct stamp t;

		for (uint32_t k = 0; k < n; k++)
			gen_path(b, g, i + k, &batch[k].prefix, &batch[k].src,
				 &batch[k].attr);
		t = stamp();
		for (uint32_t k = 0; k < n; k++) {
			const struct gpath *q = &batch[k];

			if (del) {
				if (engine_path_del(e, b->att_id[q->src],
						    &b->peer[q->src],
						    &q->prefix, &err) != 0)
					die("engine_path_del: %s", err.msg);
				continue;
			}
			in.prefix = q->prefix;
			in.attachment = b->att_id[q->src];
			in.peer = b->peer[q->src];
			in.attrs = mode == RUN_INTERN
					   ? attr_make(b, st, q->attr)
					   : b->pool[q->attr];
			if (engine_path_add(e, &in, &err) != 0)
				die("engine_path_add: %s", err.msg);
			if (mode == RUN_INTERN)
				attr_unref(st, in.attrs);
		}
		span_add(&sp, since(t));
	}
	return sp;
}

static void
run(struct bench *b, int mode, struct result *r)
{
	struct engine *e;
	struct engine_stats st;
	struct model_rmap rm;
	struct cen_err err = { 0 };
	size_t total = (size_t)b->o.v4 + b->o.v6;
	struct stamp t0, t2;

	memset(r, 0, sizeof(*r));
	r->rss_before = proc_mem("VmRSS");
	e = engine_new();
	if (e == NULL)
		die("engine_new: out of memory");
	setup(b, e);
	if (mode == RUN_CB)
		engine_set_delta_cb(e, count_cb, NULL);
	b->pool = calloc(b->o.attrs, sizeof(*b->pool));
	if (b->pool == NULL)
		die("out of memory");
	if (mode != RUN_INTERN)
		for (uint32_t a = 0; a < b->o.attrs; a++)
			b->pool[a] = attr_make(b, engine_attrs(e), a);

	ndeltas = 0;
	r->insert_v4 = load(b, e, 0, mode, false);
	r->insert_v6 = load(b, e, 1, mode, false);
	t0 = stamp();
	engine_drain(e); /* nothing queued: paths are applied at once */
	r->insert = since(t0);
	span_add(&r->insert, r->insert_v4);
	span_add(&r->insert, r->insert_v6);
	r->deltas_insert = ndeltas;
	r->rss_loaded = proc_mem("VmRSS");
	r->hwm_loaded = proc_mem("VmHWM");
	engine_get_stats(e, &r->st);
	if (r->st.paths != total)
		die("%zu paths in the engine after loading %zu", r->st.paths,
		    total);

	/* the route-map change: put and drain, timed together */
	rmap_entry(b, &rm);
	ndeltas = 0;
	t2 = stamp();
	if (engine_put_rmap(e, &rm, &err) != 0)
		die("engine_put_rmap: %s", err.msg);
	engine_drain(e);
	r->rmap = since(t2);
	r->deltas_rmap = ndeltas;
	r->hwm_rmap = proc_mem("VmHWM");
	for (uint8_t i = 0; mode == RUN_MAIN && i < b->ncidrs; i++)
		engine_route_list(e, REGION, TABLE, &b->cidrs[i], false,
				  pref_cb, &r->rmap_hits);

	ndeltas = 0;
	r->withdraw = load(b, e, 0, mode, true);
	span_add(&r->withdraw, load(b, e, 1, mode, true));
	t2 = stamp();
	engine_drain(e);
	span_add(&r->withdraw, since(t2));
	r->deltas_withdraw = ndeltas;
	engine_get_stats(e, &st);
	if (st.paths != 0 || st.prefixes != 0)
		die("%zu paths, %zu prefixes left after withdrawing all",
		    st.paths, st.prefixes);

	for (uint32_t a = 0; mode != RUN_INTERN && a < b->o.attrs; a++)
		attr_unref(engine_attrs(e), b->pool[a]);
	free(b->pool);
	b->pool = NULL;
	engine_free(e);
}

/* ---- main ----------------------------------------------------------- */

static uint64_t
arg_num(int argc, char **argv, int *i)
{
	char *end;
	unsigned long long v;

	if (*i + 1 >= argc)
		die("%s needs a number", argv[*i]);
	v = strtoull(argv[++*i], &end, 0);
	if (*end != '\0')
		die("%s: %s is not a number", argv[*i - 1], argv[*i]);
	return v;
}

static void
usage(void)
{
	printf("usage: core_bench [--paths N] [--v6 N] [--attrs N] [--seed S] "
	       "[--repeat N] [--json] [--no-variants]\n"
	       "       core_bench --bgpblast N [--per-update P] [--json]\n"
	       "  --paths N      IPv4 paths (default 1000000)\n"
	       "  --v6 N         IPv6 paths (default 100000)\n"
	       "  --attrs N      attribute sets in the pool (default 100000)\n"
	       "  --seed S       PRNG seed (default 1)\n"
	       "  --repeat N     run the main phases N times, report the best\n"
	       "  --json         print only the JSON line\n"
	       "  --no-variants  skip the intern-in-loop and callback runs\n"
	       "  --bgpblast N   instead, the workload of bgpblast / "
	       "rr-bench.sh:\n"
	       "                 N /24s in order from one peer, interning per "
	       "UPDATE\n"
	       "  --per-update P prefixes per UPDATE for --bgpblast "
	       "(default 4)\n");
}

static double
rate(size_t n, struct span sp)
{
	return sp.wall > 0 ? (double)n / sp.wall : 0;
}

static double
per_path(size_t bytes, size_t paths)
{
	return paths ? (double)bytes / (double)paths : 0;
}

/* RSS growth (0 if the RSS shrank). */
static size_t
growth(size_t before, size_t after)
{
	return after > before ? after - before : 0;
}

/* Keeps the faster of two measurements of a phase. */
static void
best(struct span *a, struct span b)
{
	if (b.wall < a->wall)
		*a = b;
}

static void
row(const char *name, size_t n, struct span sp, const char *note)
{
	if (n > 0)
		printf("%-34s %12.0f %9.3f %9.3f  %s\n", name, rate(n, sp),
		       sp.wall, sp.cpu, note);
	else
		printf("%-34s %12s %9.3f %9.3f  %s\n", name, "", sp.wall,
		       sp.cpu, note);
}

/* ---- the bgpblast workload ------------------------------------------ */

/* bgpblast's PRNG (xorshift32, seed 12345), so the attributes are the ones
 * it sends. */
static uint32_t
blast_rnd(uint32_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 17;
	*st ^= *st << 5;
	return *st;
}

/*
 * What /work/shared/bench/bgpblast.c sends a route reflector, fed to the
 * engine directly: n /24s from 1.0.0.0/24 upwards, in order, per_update to
 * an UPDATE, each UPDATE with its own AS path (the sender's AS and 1..6
 * random ASNs), next hop 192.0.2.1 and one community, all from one peer;
 * then the same prefixes withdrawn in order.  The attributes of each UPDATE
 * are interned inside the timed loop, as the BGP speaker will.  This is the
 * engine's part of the work rr-bench.sh measures end to end.
 */
static void
run_blast(struct bench *b, uint32_t n, uint32_t per)
{
	struct engine *e;
	struct attr_store *st;
	struct engine_stats es;
	struct cen_err err = { 0 };
	struct engine_path_in in = { 0 };
	struct span add, del;
	struct stamp t;
	size_t rss0, rss1, hwm;
	uint32_t rs = 12345;

	rss0 = proc_mem("VmRSS");
	e = engine_new();
	if (e == NULL)
		die("engine_new: out of memory");
	setup(b, e);
	st = engine_attrs(e);
	in.attachment = b->att_id[0];
	in.peer = b->peer[0];
	in.node = 1;
	t = stamp();
	for (uint32_t i = 0; i < n; i += per) {
		uint32_t asns[7], comm, k = n - i < per ? n - i : per;
		uint32_t plen = 1 + blast_rnd(&rs) % 6;
		struct attrs at;

		attr_init(&at);
		asns[0] = BENCH_ASN0;
		for (uint32_t j = 0; j < plen; j++)
			asns[1 + j] = 1000 + blast_rnd(&rs) % 60000;
		comm = 65001u << 16 | blast_rnd(&rs) % 100;
		prefix_parse_addr(&at.nexthop, "192.0.2.1");
		at.aspath = attr_aspath_seq(st, asns, plen + 1);
		at.comms = attr_comms_intern(st, &comm, 1);
		in.attrs = attr_intern(st, &at);
		if (in.attrs == NULL)
			die("out of memory interning attributes");
		attr_aspath_unref(st, at.aspath);
		attr_comms_unref(st, at.comms);
		for (uint32_t j = 0; j < k; j++) {
			prefix_from_v4(&in.prefix, (1u << 24) + ((i + j) << 8),
				       24);
			if (engine_path_add(e, &in, &err) != 0)
				die("engine_path_add: %s", err.msg);
		}
		attr_unref(st, in.attrs);
	}
	engine_drain(e);
	add = since(t);
	rss1 = proc_mem("VmRSS");
	hwm = proc_mem("VmHWM");
	engine_get_stats(e, &es);
	if (es.paths != n)
		die("%zu paths in the engine after loading %u", es.paths, n);
	t = stamp();
	for (uint32_t i = 0; i < n; i++) {
		prefix_from_v4(&in.prefix, (1u << 24) + (i << 8), 24);
		if (engine_path_del(e, in.attachment, &in.peer, &in.prefix,
				    &err) != 0)
			die("engine_path_del: %s", err.msg);
	}
	engine_drain(e);
	del = since(t);
	engine_free(e);

	if (!b->o.json) {
		printf("core_bench --bgpblast: %u /24s in order, %u per "
		       "UPDATE, %zu attribute sets, one peer\n",
		       n, per, es.attr_sets);
		printf("%-34s %12s %9s %9s\n", "phase", "prefixes/s", "wall s",
		       "cpu s");
		row("announce (interning per UPDATE)", n, add, "");
		row("withdraw", n, del, "");
		printf("%-34s %12.1f\n", "bytes/prefix, peak RSS (VmHWM)",
		       per_path(hwm, n));
		printf("%-34s %12.1f\n", "bytes/prefix, engine RSS growth",
		       per_path(growth(rss0, rss1), n));
	}
	printf("{\"bench\":\"core-bgpblast\",\"prefixes\":%u,"
	       "\"per_update\":%u,\"attr_sets\":%zu,"
	       "\"announce_prefixes_per_s\":%.0f,\"announce_s\":%.4f,"
	       "\"withdraw_prefixes_per_s\":%.0f,\"withdraw_s\":%.4f,"
	       "\"bytes_per_prefix_hwm\":%.1f,"
	       "\"engine_bytes_per_prefix\":%.1f}\n",
	       n, per, es.attr_sets, rate(n, add), add.wall, rate(n, del),
	       del.wall, per_path(hwm, n), per_path(growth(rss0, rss1), n));
}

int
main(int argc, char **argv)
{
	struct bench b;
	struct result r, rr, ri = { 0 }, rc = { 0 };
	size_t total, hits = 0;
	unsigned repeat = 1;
	uint32_t blast = 0, per_update = 4;
	char note[64];

	memset(&b, 0, sizeof(b));
	b.o.v4 = 1000000;
	b.o.v6 = 100000;
	b.o.attrs = 100000;
	b.o.seed = 1;
	b.o.variants = true;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--paths") == 0)
			b.o.v4 = (uint32_t)arg_num(argc, argv, &i);
		else if (strcmp(argv[i], "--v6") == 0)
			b.o.v6 = (uint32_t)arg_num(argc, argv, &i);
		else if (strcmp(argv[i], "--attrs") == 0)
			b.o.attrs = (uint32_t)arg_num(argc, argv, &i);
		else if (strcmp(argv[i], "--seed") == 0)
			b.o.seed = arg_num(argc, argv, &i);
		else if (strcmp(argv[i], "--repeat") == 0)
			repeat = (unsigned)arg_num(argc, argv, &i);
		else if (strcmp(argv[i], "--json") == 0)
			b.o.json = true;
		else if (strcmp(argv[i], "--no-variants") == 0)
			b.o.variants = false;
		else if (strcmp(argv[i], "--bgpblast") == 0)
			blast = (uint32_t)arg_num(argc, argv, &i);
		else if (strcmp(argv[i], "--per-update") == 0)
			per_update = (uint32_t)arg_num(argc, argv, &i);
		else if (strcmp(argv[i], "--help") == 0 ||
			 strcmp(argv[i], "-h") == 0) {
			usage();
			return 0;
		} else {
			usage();
			return 2;
		}
	}
	if (b.o.attrs < NSRC)
		b.o.attrs = NSRC;
	if (repeat < 1)
		repeat = 1;
	b.per_src = b.o.attrs / NSRC;
	b.o.attrs = b.per_src * NSRC;
	if (blast > 0) {
		if (blast > (1u << 24) - (1u << 16) || per_update < 1)
			die("--bgpblast takes 1..%u prefixes, --per-update "
			    "at least 1",
			    (1u << 24) - (1u << 16));
		run_blast(&b, blast, per_update);
		return 0;
	}
	total = (size_t)b.o.v4 + b.o.v6;
	gen_init(&b.g[0], PREFIX_AF_INET, b.o.v4, b.o.seed);
	gen_init(&b.g[1], PREFIX_AF_INET6, b.o.v6, b.o.seed);

	/* 0/4 + 16/5 + 24/8 is 25/256 of IPv4, 2000::/7 + 2200::/8 is 3/32
	 * of 2000::/3: about 10% of the prefixes either way */
	prefix_parse(&b.cidrs[0], "0.0.0.0/4", true);
	prefix_parse(&b.cidrs[1], "16.0.0.0/5", true);
	prefix_parse(&b.cidrs[2], "24.0.0.0/8", true);
	prefix_parse(&b.cidrs[3], "2000::/7", true);
	prefix_parse(&b.cidrs[4], "2200::/8", true);
	b.ncidrs = 5;
	for (int f = 0; f < 2; f++) {
		for (uint32_t i = 0; i < b.g[f].npaths; i++) {
			struct prefix p;
			uint32_t s, a;

			gen_path(&b, &b.g[f], i, &p, &s, &a);
			hits += in_cidrs(&b, &p);
		}
	}

	/* memory is that of the first run; times the best of all */
	run(&b, RUN_MAIN, &r);
	if (r.rmap_hits != hits)
		die("route map: %zu paths have preference %d, expected %zu",
		    r.rmap_hits, RMAP_PREF, hits);
	for (unsigned i = 1; i < repeat; i++) {
		run(&b, RUN_MAIN, &rr);
		best(&r.insert, rr.insert);
		best(&r.insert_v4, rr.insert_v4);
		best(&r.insert_v6, rr.insert_v6);
		best(&r.rmap, rr.rmap);
		best(&r.withdraw, rr.withdraw);
	}
	if (b.o.variants) {
		run(&b, RUN_INTERN, &ri);
		run(&b, RUN_CB, &rc);
	}

	if (!b.o.json) {
		printf("core_bench: %u IPv4 + %u IPv6 paths (%u + %u "
		       "prefixes), "
		       "%zu attribute sets, %d sources, seed %" PRIu64 "%s\n",
		       b.o.v4, b.o.v6, b.g[0].npfx, b.g[1].npfx, r.st.attr_sets,
		       NSRC, b.o.seed,
		       repeat > 1 ? ", best of several runs" : "");
		printf("%-34s %12s %9s %9s\n", "phase", "paths/s", "wall s",
		       "cpu s");
		row("insert (pre-interned attributes)", total, r.insert, "");
		row("  IPv4", b.o.v4, r.insert_v4, "");
		row("  IPv6", b.o.v6, r.insert_v6, "");
		snprintf(note, sizeof(note), "%zu paths matched", r.rmap_hits);
		row("route-map change (put + drain)", 0, r.rmap, note);
		row("withdraw", total, r.withdraw, "");
		if (b.o.variants) {
			row("insert, interning in the loop", total, ri.insert,
			    "");
			snprintf(note, sizeof(note), "%" PRIu64 " deltas",
				 rc.deltas_insert);
			row("insert, counting delta callback", total, rc.insert,
			    note);
			snprintf(note, sizeof(note), "%" PRIu64 " deltas",
				 rc.deltas_rmap);
			row("route-map change, callback", 0, rc.rmap, note);
			snprintf(note, sizeof(note), "%" PRIu64 " deltas",
				 rc.deltas_withdraw);
			row("withdraw, counting delta callback", total,
			    rc.withdraw, note);
		}
		printf("%-34s %12.1f\n", "bytes/path, peak RSS (VmHWM)",
		       per_path(r.hwm_loaded, total));
		printf("%-34s %12.1f\n", "bytes/path, engine RSS growth",
		       per_path(growth(r.rss_before, r.rss_loaded), total));
		printf("%-34s %12.1f\n", "bytes/path, engine_get_stats",
		       per_path(r.st.bytes, total));
		printf("%-34s %12.1f\n", "bytes/path, VmHWM after route map",
		       per_path(r.hwm_rmap, total));
	}
	printf("{\"bench\":\"core\",\"paths_v4\":%u,\"paths_v6\":%u,"
	       "\"prefixes\":%zu,\"attr_sets\":%zu,\"seed\":%" PRIu64 ","
	       "\"runs\":%u,"
	       "\"insert_paths_per_s\":%.0f,\"insert_s\":%.4f,"
	       "\"insert_cpu_s\":%.4f,"
	       "\"rmap_change_s\":%.4f,\"rmap_matched_paths\":%zu,"
	       "\"withdraw_paths_per_s\":%.0f,\"withdraw_s\":%.4f,"
	       "\"withdraw_cpu_s\":%.4f,"
	       "\"bytes_per_path_hwm\":%.1f,\"engine_bytes_per_path\":%.1f,"
	       "\"stats_bytes_per_path\":%.1f",
	       b.o.v4, b.o.v6, r.st.prefixes, r.st.attr_sets, b.o.seed, repeat,
	       rate(total, r.insert), r.insert.wall, r.insert.cpu, r.rmap.wall,
	       r.rmap_hits, rate(total, r.withdraw), r.withdraw.wall,
	       r.withdraw.cpu, per_path(r.hwm_loaded, total),
	       per_path(growth(r.rss_before, r.rss_loaded), total),
	       per_path(r.st.bytes, total));
	if (b.o.variants)
		printf(",\"insert_intern_paths_per_s\":%.0f,"
		       "\"insert_cb_paths_per_s\":%.0f,"
		       "\"rmap_change_cb_s\":%.4f,"
		       "\"withdraw_cb_paths_per_s\":%.0f,"
		       "\"cb_deltas\":%" PRIu64,
		       rate(total, ri.insert), rate(total, rc.insert),
		       rc.rmap.wall, rate(total, rc.withdraw),
		       rc.deltas_insert + rc.deltas_rmap + rc.deltas_withdraw);
	printf("}\n");
	return 0;
}
