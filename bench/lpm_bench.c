/*
 * lpm_bench.c - throughput and memory of the forwarder's LPM tables
 * (dataplane/lpm.h).
 *
 * IPv4: 1,000,000 distinct prefixes with a realistic length mix (58% /24,
 * 35% /16../23, 1% /8../15, 3% /25../32 clustered in 6,000 /24s, as a
 * cloud network's customer subnets are), next hops below 65,536; lookups of
 * 16M uniformly random addresses generated before the clock starts.
 * IPv6: 150,000 prefixes shaped like a real table (20,000 /29../32
 * allocations under the RIR blocks, more-specifics /33../48 inside them,
 * some /49../64 and /128); lookups of 16M addresses, 90% inside a random
 * table prefix (so lookups go as deep as the table does), 10% random in
 * 2000::/3.
 *
 * Per family: the load (adds/s into an empty table), lookups/s on one core
 * with lpm*_lookup one address at a time and with lpm*_lookup_bulk in
 * bursts of 64 (each burst inside rcu_read_lock, as cenfwd will do), a
 * reference (core/trie.h trie_lpm over the same prefixes: the control
 * plane's binary trie), updates/s (delete and re-add of random table
 * prefixes with a new next hop) alone and with a reader thread running bulk
 * lookups on the other core (both rates reported), and the table's memory.
 * Prints a table, then one JSON line.
 *
 * Usage: lpm_bench [--v4 N] [--v6 N] [--lookups N] [--updates N]
 *                  [--seed S] [--repeat N] [--json]
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu.h>

#include "core/prefix.h"
#include "core/trie.h"
#include "dataplane/lpm.h"

#define BURST	  64
#define NH_SPACE  65536
#define DPDK_REF4 136.0 /* M lookups/s, published rte_lpm figure */

struct opts {
	uint32_t v4, v6, lookups, updates, repeat;
	uint64_t seed;
	bool json;
};

struct rate {
	double wall; /* lookups / wall-clock second over the whole run */
	double cpu;  /* lookups / CPU-second of the thread */
	double win;  /* median over windows of WINDOW lookups */
};

struct fam_res {
	uint32_t routes;
	double load_s;
	struct rate single, bulk;
	double trie_mps;
	size_t thp_bytes; /* AnonHugePages after load */
	double upd_alone, upd_conc, conc_lookup_mps;
	double upd_cpu, upd_conc_cpu; /* per CPU-second of the writer */
	struct lpm_mem mem;
	uint64_t check;
};

static uint64_t rng_state;

static inline uint64_t
rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint32_t
rnd_below(uint32_t n)
{
	return (uint32_t)(((rnd() >> 32) * (uint64_t)n) >> 32);
}

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "lpm_bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of the calling thread: the machine may be shared, and a
 * lookup loop's rate per CPU-second is the figure that does not depend on
 * how often the thread was descheduled. */
static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A field of /proc/self/smaps_rollup (or status), in bytes. */
static size_t
proc_kb(const char *file, const char *key)
{
	FILE *f = fopen(file, "r");
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

static void *
xmalloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL)
		die("out of memory (%zu bytes)", n);
	return p;
}

static void
best_of(double *best, double v)
{
	if (v > *best)
		*best = v;
}

/* A lookup loop over addresses [from, to) (a multiple of BURST long);
 * returns the sum of the next hops, so nothing is optimised away. */
typedef uint64_t (*look_fn)(void *arg, uint32_t from, uint32_t to);

#define WINDOW (1u << 18)

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Runs fn over all n addresses, window by window, repeat times; keeps the
 * best of each figure.  The windows (a few ms each) show what the loop
 * does when the thread is not descheduled: on a shared machine the whole
 * run's wall-clock rate drops with the load, the median window's far
 * less. */
static void
measure(look_fn fn, void *arg, uint32_t n, unsigned repeat, struct rate *r,
	uint64_t *sum)
{
	uint32_t nw = n / WINDOW > 0 ? n / WINDOW : 1;
	uint32_t w_len = n / nw / BURST * BURST;
	double *win = xmalloc(nw * sizeof(*win));

	memset(r, 0, sizeof(*r));
	for (unsigned k = 0; k < repeat; k++) {
		double t0 = now(), c0 = cpu_now(), t1;
		uint64_t s = 0;

		for (uint32_t w = 0; w < nw; w++) {
			double ws = now();

			s += fn(arg, w * w_len, (w + 1) * w_len);
			win[w] = w_len / (now() - ws) / 1e6;
		}
		t1 = now();
		best_of(&r->wall, (double)nw * w_len / (t1 - t0) / 1e6);
		best_of(&r->cpu, (double)nw * w_len / (cpu_now() - c0) / 1e6);
		qsort(win, nw, sizeof(*win), cmp_double);
		best_of(&r->win, win[nw / 2]);
		*sum = s;
	}
	free(win);
}

/* IPv4 */

struct v4route {
	uint32_t addr;
	uint8_t len;
};

static uint32_t
v4_mask(unsigned len)
{
	return len == 0 ? 0 : ~0u << (32 - len);
}

/* A length from the mix: per mille weights. */
static unsigned
v4_len(void)
{
	static const struct {
		uint16_t w;
		uint8_t len;
	} mix[] = {
		{ 580, 24 }, { 90, 23 }, { 100, 22 }, { 45, 21 },
		{ 45, 20 },  { 30, 19 }, { 15, 18 },  { 10, 17 },
		{ 15, 16 },  { 10, 0 },	 { 30, 25 },
	};
	uint32_t r = rnd_below(1000), acc = 0;

	for (size_t i = 0; i < sizeof(mix) / sizeof(mix[0]); i++) {
		acc += mix[i].w;
		if (r < acc) {
			if (mix[i].len == 0)
				return 8 + rnd_below(8); /* /8../15 */
			if (mix[i].len == 25) {
				static const uint8_t l[] = { 25, 25, 26, 26,
							     27, 27, 28, 28,
							     29, 30, 32, 32 };
				return l[rnd_below(sizeof(l))];
			}
			return mix[i].len;
		}
	}
	return 24;
}

static struct v4route *
v4_routes(struct lpm4 *t, uint32_t n)
{
	struct v4route *r = xmalloc(n * sizeof(*r));
	uint32_t hubs[6000], i = 0, nh;

	for (i = 0; i < 6000; i++)
		hubs[i] = (0x01000000u + rnd_below(0xdf000000u)) & 0xffffff00u;
	i = 0;
	while (i < n) {
		unsigned len = v4_len();
		uint32_t a;

		if (len > 24)
			a = hubs[rnd_below(6000)] | (uint32_t)(rnd() & 0xff);
		else
			a = 0x01000000u + rnd_below(0xdf000000u);
		a &= v4_mask(len);
		if (lpm4_get(t, a, len, &nh) == 0)
			continue;
		/* the generator inserts as it goes to keep prefixes
		 * distinct; the timed load is into a fresh table */
		if (lpm4_add(t, a, len, 0) != 0)
			die("lpm4_add during generation");
		r[i].addr = a;
		r[i].len = (uint8_t)len;
		i++;
	}
	return r;
}

struct reader4 {
	struct lpm4 *t;
	const uint32_t *addrs;
	uint32_t n;
	volatile int stop;
	uint64_t done, sum;
};

static void *
reader4_main(void *arg)
{
	struct reader4 *rd = arg;
	uint32_t out[BURST], i = 0;
	uint64_t s = 0, done = 0;

	rcu_register_thread();
	while (!rd->stop) {
		rcu_read_lock();
		lpm4_lookup_bulk(rd->t, rd->addrs + i, out, BURST);
		rcu_read_unlock();
		for (unsigned k = 0; k < BURST; k++)
			s += out[k];
		done += BURST;
		i += BURST;
		if (i + BURST > rd->n)
			i = 0;
	}
	rd->done = done;
	rd->sum = s;
	rcu_unregister_thread();
	return NULL;
}

struct look4 {
	struct lpm4 *t;
	const uint32_t *a;
};

static uint64_t
v4_single(void *arg, uint32_t from, uint32_t to)
{
	struct look4 *c = arg;
	uint64_t s = 0;

	for (uint32_t i = from; i < to; i += BURST) {
		rcu_read_lock();
		for (uint32_t k = i; k < i + BURST && k < to; k++)
			s += lpm4_lookup(c->t, c->a[k]);
		rcu_read_unlock();
	}
	return s;
}

static uint64_t
v4_bulk(void *arg, uint32_t from, uint32_t to)
{
	struct look4 *c = arg;
	uint32_t out[BURST];
	uint64_t s = 0;

	for (uint32_t i = from; i + BURST <= to; i += BURST) {
		rcu_read_lock();
		lpm4_lookup_bulk(c->t, c->a + i, out, BURST);
		rcu_read_unlock();
		for (unsigned k = 0; k < BURST; k++)
			s += out[k];
	}
	return s;
}

/* Deletes and re-adds random table prefixes with a new next hop: 2 *
 * (n / 2) updates.  Returns updates/s. */
static double
v4_updates(struct lpm4 *t, const struct v4route *r, uint32_t nr, uint32_t n,
	   double *cpu_rate)
{
	double t0 = now(), c0 = cpu_now();

	for (uint32_t i = 0; i < n / 2; i++) {
		const struct v4route *x = &r[rnd_below(nr)];

		if (lpm4_del(t, x->addr, x->len) != 0)
			die("lpm4_del");
		if (lpm4_add(t, x->addr, x->len, rnd_below(NH_SPACE)) != 0)
			die("lpm4_add");
	}
	*cpu_rate = (n / 2 * 2) / (cpu_now() - c0);
	return (n / 2 * 2) / (now() - t0);
}

static void
run_v4(const struct opts *o, struct fam_res *res)
{
	struct lpm4 *gen, *t;
	struct v4route *r;
	uint32_t *addrs, nlook = o->lookups;
	struct trie tr;
	double t0;
	uint64_t s1 = 0, s2 = 0, s3 = 0;

	memset(res, 0, sizeof(*res));
	res->routes = o->v4;
	if ((gen = lpm4_new(NULL)) == NULL)
		die("lpm4_new");
	r = v4_routes(gen, o->v4);
	lpm4_free(gen);

	addrs = xmalloc((size_t)nlook * sizeof(*addrs));
	for (uint32_t i = 0; i < nlook; i++)
		addrs[i] = (uint32_t)rnd();

	if ((t = lpm4_new(NULL)) == NULL)
		die("lpm4_new");
	t0 = now();
	for (uint32_t i = 0; i < o->v4; i++)
		if (lpm4_add(t, r[i].addr, r[i].len, rnd_below(NH_SPACE)) != 0)
			die("lpm4_add %u", i);
	res->load_s = now() - t0;
	lpm4_reclaim(t);
	lpm4_mem(t, &res->mem);

	res->thp_bytes = proc_kb("/proc/self/smaps_rollup", "AnonHugePages");
	{
		struct look4 c = { t, addrs };

		measure(v4_single, &c, nlook, o->repeat, &res->single, &s1);
		measure(v4_bulk, &c, nlook, o->repeat, &res->bulk, &s2);
	}
	if (s1 != s2)
		die("single and bulk lookups disagree (%" PRIu64 " / %" PRIu64
		    ")",
		    s1, s2);
	res->check = s1;

	/* the reference: the control plane's binary trie */
	trie_init(&tr, PREFIX_AF_INET, sizeof(uint32_t));
	for (uint32_t i = 0; i < o->v4; i++) {
		struct prefix p;
		uint32_t *v;

		prefix_from_v4(&p, r[i].addr, r[i].len);
		if ((v = trie_get(&tr, &p, NULL)) == NULL)
			die("trie_get");
		lpm4_get(t, r[i].addr, r[i].len, v);
	}
	{
		uint32_t nt = nlook / 8;
		struct prefix p;
		uint64_t s = 0;

		t0 = now();
		for (uint32_t i = 0; i < nt; i++) {
			const uint32_t *v;

			prefix_from_v4(&p, addrs[i], 32);
			v = trie_lpm(&tr, &p, NULL);
			s += v != NULL ? *v : LPM_MISS;
		}
		res->trie_mps = nt / (now() - t0) / 1e6;
		for (uint32_t i = 0; i < nt; i++)
			s3 += lpm4_lookup(t, addrs[i]);
		if (s != s3)
			die("trie and lpm4 disagree");
	}
	trie_fini(&tr);

	if (o->updates == 0)
		goto out;
	res->upd_alone = v4_updates(t, r, o->v4, o->updates, &res->upd_cpu);
	{
		struct reader4 rd = { t, addrs, nlook, 0, 0, 0 };
		pthread_t th;
		double t1;

		if (pthread_create(&th, NULL, reader4_main, &rd) != 0)
			die("pthread_create");
		t0 = now();
		res->upd_conc =
			v4_updates(t, r, o->v4, o->updates, &res->upd_conc_cpu);
		rd.stop = 1;
		t1 = now();
		pthread_join(th, NULL);
		res->conc_lookup_mps = rd.done / (t1 - t0) / 1e6;
	}
out:
	lpm4_free(t);
	free(addrs);
	free(r);
}

/* IPv6 */

struct v6route {
	uint8_t a[16];
	uint8_t len;
};

static void
v6_canon(uint8_t a[16], unsigned len)
{
	for (unsigned i = 0; i < 16; i++) {
		if (len >= 8 * (i + 1))
			continue;
		if (len <= 8 * i)
			a[i] = 0;
		else
			a[i] &= (uint8_t)(0xff << (8 - (len - 8 * i)));
	}
}

static void
v6_rand_bits(uint8_t a[16], unsigned from)
{
	uint64_t x = rnd(), y = rnd();
	uint8_t r[16];

	memcpy(r, &x, 8);
	memcpy(r + 8, &y, 8);
	for (unsigned i = 0; i < 16; i++) {
		uint8_t keep;

		if (from >= 8 * (i + 1))
			continue;
		keep = from <= 8 * i ? 0
				     : (uint8_t)(0xff << (8 - (from - 8 * i)));
		a[i] = (uint8_t)((a[i] & keep) | (r[i] & ~keep));
	}
}

static struct v6route *
v6_routes(struct lpm6 *t, uint32_t n)
{
	/* RIR blocks the allocations come from */
	static const uint8_t blocks[][2] = { { 0x24, 0x00 }, { 0x26, 0x00 },
					     { 0x28, 0x00 }, { 0x2a, 0x00 },
					     { 0x2c, 0x00 }, { 0x20, 0x01 } };
	struct v6route *r = xmalloc(n * sizeof(*r)), *alloc;
	uint32_t nalloc = n / 7 > 0 ? n / 7 : 1, i = 0, nh;

	alloc = xmalloc(nalloc * sizeof(*alloc));
	for (uint32_t k = 0; k < nalloc; k++) {
		unsigned b = rnd_below(6);

		memset(alloc[k].a, 0, 16);
		alloc[k].a[0] = blocks[b][0];
		alloc[k].a[1] = blocks[b][1];
		v6_rand_bits(alloc[k].a, b == 5 ? 16 : 12);
		alloc[k].len = (uint8_t)(29 + rnd_below(4));
		v6_canon(alloc[k].a, alloc[k].len);
	}
	while (i < n) {
		const struct v6route *al = &alloc[rnd_below(nalloc)];
		uint32_t w = rnd_below(1000);
		unsigned len;
		uint8_t a[16];

		if (w < 130)
			len = al->len; /* the allocation itself */
		else if (w < 400)
			len = 33 + rnd_below(15); /* /33../47 */
		else if (w < 900)
			len = 48;
		else if (w < 980)
			len = 49 + rnd_below(16); /* /49../64 */
		else
			len = 128;
		if (len < al->len)
			len = al->len;
		memcpy(a, al->a, 16);
		v6_rand_bits(a, al->len);
		v6_canon(a, len);
		if (lpm6_get(t, a, len, &nh) == 0)
			continue;
		if (lpm6_add(t, a, len, 0) != 0)
			die("lpm6_add during generation");
		memcpy(r[i].a, a, 16);
		r[i].len = (uint8_t)len;
		i++;
	}
	free(alloc);
	return r;
}

struct reader6 {
	struct lpm6 *t;
	const uint8_t (*addrs)[16];
	uint32_t n;
	volatile int stop;
	uint64_t done, sum;
};

static void *
reader6_main(void *arg)
{
	struct reader6 *rd = arg;
	uint32_t out[BURST], i = 0;
	uint64_t s = 0, done = 0;

	rcu_register_thread();
	while (!rd->stop) {
		rcu_read_lock();
		lpm6_lookup_bulk(rd->t, rd->addrs + i, out, BURST);
		rcu_read_unlock();
		for (unsigned k = 0; k < BURST; k++)
			s += out[k];
		done += BURST;
		i += BURST;
		if (i + BURST > rd->n)
			i = 0;
	}
	rd->done = done;
	rd->sum = s;
	rcu_unregister_thread();
	return NULL;
}

struct look6 {
	struct lpm6 *t;
	const uint8_t (*a)[16];
};

static uint64_t
v6_single(void *arg, uint32_t from, uint32_t to)
{
	struct look6 *c = arg;
	uint64_t s = 0;

	for (uint32_t i = from; i < to; i += BURST) {
		rcu_read_lock();
		for (uint32_t k = i; k < i + BURST && k < to; k++)
			s += lpm6_lookup(c->t, c->a[k]);
		rcu_read_unlock();
	}
	return s;
}

static uint64_t
v6_bulk(void *arg, uint32_t from, uint32_t to)
{
	struct look6 *c = arg;
	uint32_t out[BURST];
	uint64_t s = 0;

	for (uint32_t i = from; i + BURST <= to; i += BURST) {
		rcu_read_lock();
		lpm6_lookup_bulk(c->t, c->a + i, out, BURST);
		rcu_read_unlock();
		for (unsigned k = 0; k < BURST; k++)
			s += out[k];
	}
	return s;
}

static double
v6_updates(struct lpm6 *t, const struct v6route *r, uint32_t nr, uint32_t n,
	   double *cpu_rate)
{
	double t0 = now(), c0 = cpu_now();

	for (uint32_t i = 0; i < n / 2; i++) {
		const struct v6route *x = &r[rnd_below(nr)];

		if (lpm6_del(t, x->a, x->len) != 0)
			die("lpm6_del");
		if (lpm6_add(t, x->a, x->len, rnd_below(NH_SPACE)) != 0)
			die("lpm6_add");
	}
	*cpu_rate = (n / 2 * 2) / (cpu_now() - c0);
	return (n / 2 * 2) / (now() - t0);
}

static void
run_v6(const struct opts *o, struct fam_res *res)
{
	struct lpm6 *gen, *t;
	struct v6route *r;
	uint8_t(*addrs)[16];
	uint32_t nlook = o->lookups;
	struct trie tr;
	double t0;
	uint64_t s1 = 0, s2 = 0;

	memset(res, 0, sizeof(*res));
	res->routes = o->v6;
	if ((gen = lpm6_new(NULL)) == NULL)
		die("lpm6_new");
	r = v6_routes(gen, o->v6);
	lpm6_free(gen);

	addrs = xmalloc((size_t)nlook * 16);
	for (uint32_t i = 0; i < nlook; i++) {
		if (rnd_below(10) == 0) {
			memset(addrs[i], 0, 16);
			addrs[i][0] = 0x20;
			v6_rand_bits(addrs[i], 3);
		} else {
			const struct v6route *x = &r[rnd_below(o->v6)];

			memcpy(addrs[i], x->a, 16);
			v6_rand_bits(addrs[i], x->len);
		}
	}

	if ((t = lpm6_new(NULL)) == NULL)
		die("lpm6_new");
	t0 = now();
	for (uint32_t i = 0; i < o->v6; i++)
		if (lpm6_add(t, r[i].a, r[i].len, rnd_below(NH_SPACE)) != 0)
			die("lpm6_add %u", i);
	res->load_s = now() - t0;
	lpm6_reclaim(t);
	lpm6_mem(t, &res->mem);

	res->thp_bytes = proc_kb("/proc/self/smaps_rollup", "AnonHugePages");
	{
		struct look6 c = { t, (const uint8_t(*)[16])addrs };

		measure(v6_single, &c, nlook, o->repeat, &res->single, &s1);
		measure(v6_bulk, &c, nlook, o->repeat, &res->bulk, &s2);
	}
	if (s1 != s2)
		die("IPv6 single and bulk lookups disagree");
	res->check = s1;

	trie_init(&tr, PREFIX_AF_INET6, sizeof(uint32_t));
	for (uint32_t i = 0; i < o->v6; i++) {
		struct prefix p;
		uint32_t *v;

		prefix_from_v6(&p, r[i].a, r[i].len);
		if ((v = trie_get(&tr, &p, NULL)) == NULL)
			die("trie_get");
		lpm6_get(t, r[i].a, r[i].len, v);
	}
	{
		uint32_t nt = nlook / 8;
		struct prefix p;
		uint64_t s = 0, s3 = 0;

		t0 = now();
		for (uint32_t i = 0; i < nt; i++) {
			const uint32_t *v;

			prefix_from_v6(&p, addrs[i], 128);
			v = trie_lpm(&tr, &p, NULL);
			s += v != NULL ? *v : LPM_MISS;
		}
		res->trie_mps = nt / (now() - t0) / 1e6;
		for (uint32_t i = 0; i < nt; i++)
			s3 += lpm6_lookup(t, addrs[i]);
		if (s != s3)
			die("trie and lpm6 disagree");
	}
	trie_fini(&tr);

	if (o->updates == 0)
		goto out;
	res->upd_alone = v6_updates(t, r, o->v6, o->updates, &res->upd_cpu);
	{
		struct reader6 rd = { t,     (const uint8_t(*)[16])addrs,
				      nlook, 0,
				      0,     0 };
		pthread_t th;
		double t1;

		if (pthread_create(&th, NULL, reader6_main, &rd) != 0)
			die("pthread_create");
		t0 = now();
		res->upd_conc =
			v6_updates(t, r, o->v6, o->updates, &res->upd_conc_cpu);
		rd.stop = 1;
		t1 = now();
		pthread_join(th, NULL);
		res->conc_lookup_mps = rd.done / (t1 - t0) / 1e6;
	}
out:
	lpm6_free(t);
	free(addrs);
	free(r);
}

static void
print_fam(const char *name, const struct fam_res *r)
{
	printf("%s: %u prefixes\n", name, r->routes);
	printf("  %-34s %12.0f prefixes/s (%.3f s)\n", "load (add into empty)",
	       r->routes / r->load_s, r->load_s);
	printf("  %-34s %7.1f M/s (per CPU-s %.1f, median window %.1f)\n",
	       "lookup, one at a time", r->single.wall, r->single.cpu,
	       r->single.win);
	printf("  %-34s %7.1f M/s (per CPU-s %.1f, median window %.1f)\n",
	       "lookup, bulk (bursts of 64)", r->bulk.wall, r->bulk.cpu,
	       r->bulk.win);
	printf("  %-34s %12.2f M/s (bulk is %.0fx)\n",
	       "reference: core/trie.h trie_lpm", r->trie_mps,
	       r->bulk.wall / r->trie_mps);
	if (r->upd_alone == 0)
		goto mem;
	printf("  %-34s %12.0f /s (per CPU-s %.0f)\n", "updates alone",
	       r->upd_alone, r->upd_cpu);
	printf("  %-34s %12.0f /s (per CPU-s %.0f), lookups meanwhile "
	       "%.1f M/s\n",
	       "updates with a reader running", r->upd_conc, r->upd_conc_cpu,
	       r->conc_lookup_mps);
mem:
	printf("  %-34s %12.1f MiB (first level %.1f, %zu groups %.1f, "
	       "%zu singles %.1f, committed pools %.1f, rules %.1f)\n",
	       "memory", r->mem.total / 1048576.0,
	       r->mem.root_bytes / 1048576.0, r->mem.groups,
	       r->mem.group_bytes / 1048576.0, r->mem.singles,
	       r->mem.single_bytes / 1048576.0, r->mem.pool_bytes / 1048576.0,
	       r->mem.rule_bytes / 1048576.0);
	printf("  %-34s %12.1f MiB\n", "huge pages in the process",
	       r->thp_bytes / 1048576.0);
}

static void
json_fam(const char *name, const struct fam_res *r, bool last)
{
	printf("\"%s\":{\"prefixes\":%u,\"load_per_s\":%.0f,"
	       "\"lookup_single_mps\":%.1f,\"lookup_bulk_mps\":%.1f,"
	       "\"lookup_single_cpu_mps\":%.1f,\"lookup_bulk_cpu_mps\":%.1f,"
	       "\"lookup_single_window_mps\":%.1f,"
	       "\"lookup_bulk_window_mps\":%.1f,"
	       "\"trie_lpm_mps\":%.2f,\"updates_per_s\":%.0f,"
	       "\"updates_per_cpu_s\":%.0f,"
	       "\"updates_per_s_with_reader\":%.0f,"
	       "\"updates_per_cpu_s_with_reader\":%.0f,"
	       "\"lookup_mps_during_updates\":%.1f,\"mem_bytes\":%zu,"
	       "\"root_bytes\":%zu,\"groups\":%zu,\"singles\":%zu,"
	       "\"rule_bytes\":%zu}%s",
	       name, r->routes, r->load_s > 0 ? r->routes / r->load_s : 0,
	       r->single.wall, r->bulk.wall, r->single.cpu, r->bulk.cpu,
	       r->single.win, r->bulk.win, r->trie_mps, r->upd_alone,
	       r->upd_cpu, r->upd_conc, r->upd_conc_cpu, r->conc_lookup_mps,
	       r->mem.total, r->mem.root_bytes, r->mem.groups, r->mem.singles,
	       r->mem.rule_bytes, last ? "" : ",");
}

int
main(int argc, char **argv)
{
	struct opts o = { 1000000, 150000, 16u << 20, 1000000, 3, 1, false };
	struct fam_res r4, r6;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0) {
			o.json = true;
			continue;
		}
		if (i + 1 >= argc)
			die("%s needs a value", a);
		uint64_t v = strtoull(argv[++i], NULL, 10);
		if (strcmp(a, "--v4") == 0)
			o.v4 = (uint32_t)v;
		else if (strcmp(a, "--v6") == 0)
			o.v6 = (uint32_t)v;
		else if (strcmp(a, "--lookups") == 0)
			o.lookups = (uint32_t)v;
		else if (strcmp(a, "--updates") == 0)
			o.updates = (uint32_t)v;
		else if (strcmp(a, "--seed") == 0)
			o.seed = v;
		else if (strcmp(a, "--repeat") == 0)
			o.repeat = v > 0 ? (uint32_t)v : 1;
		else
			die("unknown option %s", a);
	}
	if (o.lookups < BURST)
		die("--lookups must be at least 64");
	rcu_register_thread();
	memset(&r4, 0, sizeof(r4));
	memset(&r6, 0, sizeof(r6));
	rng_state = o.seed;
	if (o.v4 > 0)
		run_v4(&o, &r4);
	rng_state = o.seed + 1;
	if (o.v6 > 0)
		run_v6(&o, &r6);

	if (!o.json) {
		if (o.v4 > 0)
			print_fam("IPv4", &r4);
		if (o.v6 > 0)
			print_fam("IPv6", &r6);
		printf("published reference: DPDK rte_lpm ~%.0f M/s "
		       "(cache-hot, not measured here)\n",
		       DPDK_REF4);
	}
	printf("{\"bench\":\"lpm\",\"lookups\":%u,\"seed\":%" PRIu64 ",",
	       o.lookups, o.seed);
	json_fam("ipv4", &r4, false);
	json_fam("ipv6", &r6, false);
	printf("\"dpdk_rte_lpm_published_mps\":%.0f}\n", DPDK_REF4);
	rcu_unregister_thread();
	return 0;
}
