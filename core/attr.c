/*
 * attr.c - interned, refcounted path attributes (attr.h).
 *
 * Every kind of object lives in an open-addressing table (struct
 * attr_table) of (content hash, address) slots, linear probing at most
 * three quarters full, removal by backward shift.  Sets come from a slab;
 * parts (AS paths, community and CLUSTER_LIST lists, large communities,
 * opaque blobs) are malloc'd after a struct part_head that records the
 * allocation's size.  An object costs about 21 bytes of slots besides
 * itself.  A chained table cost less (a bucket and a link), but its removal
 * walked the chain, and objects die in about the order they were made, at
 * the far end of their chains: a cache miss per object passed, which was
 * a sixth of a withdrawal's CPU.  Lookups compare the caller's input with
 * the stored contents, so a hit neither copies nor allocates.  A set is its own key: the scalar fields plus the
 * interned part pointers, hashed over the parts' content hashes (never their
 * addresses), so hashes are the same in every process.  AS path rules: RFC
 * 4271 4.3 and 9.1.2.2 a (an AS_SET counts as one hop, confederation
 * segments as none).
 */
#include "attr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define SEG_MAX	      255 /* ASNs in one segment (one-octet length) */
#define SCRATCH_WORDS 512 /* stack scratch before falling back to malloc */

/* What a part is looked up by: a view of its contents. */
struct part_key {
	const void *p;
	size_t len;
};

/* Precedes every part in memory (8 bytes: parts need no more alignment
 * than their 64-bit hash). */
struct part_head {
	size_t size; /* whole allocation, for st->bytes and lookups */
};

#define PART_HEAD(obj)                                                         \
	((struct part_head *)((char *)(obj) - sizeof(struct part_head)))

/* Every object begins with a refcount and then its content hash, so the
 * tables can read the hash without knowing the kind. */
#define OBJ_HASH_OFF 8
_Static_assert(offsetof(struct attrs, hash) == OBJ_HASH_OFF, "attrs");
_Static_assert(offsetof(struct attr_aspath, hash) == OBJ_HASH_OFF, "aspath");
_Static_assert(offsetof(struct attr_comms, hash) == OBJ_HASH_OFF, "comms");
_Static_assert(offsetof(struct attr_lcomms, hash) == OBJ_HASH_OFF, "lcomms");
_Static_assert(offsetof(struct attr_opaque, hash) == OBJ_HASH_OFF, "opaque");
_Static_assert(sizeof(struct part_head) % 8 == 0, "part alignment");

static const uint32_t empty_words[1];

static void __attribute__((noreturn, format(printf, 2, 3)))
bug(const char *fn, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", fn);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void
ref_inc(uint32_t *refcnt, const char *fn)
{
	if (*refcnt == UINT32_MAX)
		bug(fn, "refcount overflow");
	(*refcnt)++;
}

/* Drops a reference; true when it was the last one. */
static bool
ref_dec(uint32_t *refcnt, const char *fn)
{
	if (*refcnt == 0)
		bug(fn, "refcount below zero");
	return --*refcnt == 0;
}

static uint64_t
obj_hash(const void *obj)
{
	uint64_t h;

	memcpy(&h, (const char *)obj + OBJ_HASH_OFF, sizeof(h));
	return h;
}

/* The slot where obj (whose hash is `hash`) is, or the empty one that
 * ends its probe sequence when it is not there. */
static size_t
slot_of(const struct attr_table *tb, uint64_t hash, const void *obj)
{
	size_t i = hash & tb->mask;

	while (tb->slots[i].obj != NULL && tb->slots[i].obj != obj)
		i = (i + 1) & tb->mask;
	return i;
}

/* Adds obj (whose hash is `hash`, not in tb yet), growing the table to
 * keep it at most three quarters full.  Returns 0 or -CEN_ENOMEM. */
static int
table_add(struct attr_table *tb, void *obj, uint64_t hash)
{
	if (tb->slots == NULL || (tb->count + 1) * 4 > (tb->mask + 1) * 3) {
		size_t n = tb->slots != NULL ? (tb->mask + 1) * 2 : 64;
		struct attr_slot *v = calloc(n, sizeof(*v));
		struct attr_table old = *tb;

		if (v == NULL)
			return -CEN_ENOMEM;
		tb->slots = v;
		tb->mask = n - 1;
		for (size_t i = 0; old.slots != NULL && i <= old.mask; i++)
			if (old.slots[i].obj != NULL)
				tb->slots[slot_of(tb, old.slots[i].hash,
						  NULL)] = old.slots[i];
		free(old.slots);
	}
	tb->slots[slot_of(tb, hash, NULL)] =
		(struct attr_slot){ .hash = hash, .obj = obj };
	tb->count++;
	return 0;
}

static inline void
slot_prefetch(const struct attr_table *tb, uint64_t hash)
{
	if (tb->slots != NULL)
		__builtin_prefetch(&tb->slots[hash & tb->mask]);
}

/* The slot of part obj when its last reference is about to go. */
#define part_prefetch(tb, obj)                                                 \
	do {                                                                   \
		if ((obj) != NULL && (obj)->refcnt == 1)                       \
			slot_prefetch((tb), obj_hash(obj));                    \
	} while (0)

/* Removes obj from tb: later slots of its run that may move back do so
 * (no tombstones); the slots go when the table is empty. */
static void
table_del(struct attr_table *tb, void *obj, const char *fn)
{
	size_t i, j;

	if (tb->slots == NULL)
		bug(fn, "object not in its store");
	i = slot_of(tb, obj_hash(obj), obj);
	if (tb->slots[i].obj != obj)
		bug(fn, "object not in its store");
	for (j = (i + 1) & tb->mask; tb->slots[j].obj != NULL;
	     j = (j + 1) & tb->mask) {
		size_t home = tb->slots[j].hash & tb->mask;

		if (((j - home) & tb->mask) >= ((j - i) & tb->mask)) {
			tb->slots[i] = tb->slots[j];
			i = j;
		}
	}
	tb->slots[i].obj = NULL;
	if (--tb->count == 0) {
		free(tb->slots);
		tb->slots = NULL;
		tb->mask = 0;
	}
}

static uint64_t
part_hash(const struct part_key *k)
{
	return hmap_hash_bytes(k->p, k->len, 0);
}

/*
 * Looks k up in tb; on a miss allocates a part of hdrsize bytes plus the
 * contents (copied to offset dataoff), with its hash set, and links it in.
 * *created says which; NULL when out of memory.
 */
static void *
part_get(struct attr_store *st, struct attr_table *tb, const struct part_key *k,
	 uint64_t hash, size_t hdrsize, size_t dataoff, bool *created)
{
	size_t size = sizeof(struct part_head) + hdrsize + k->len;
	struct part_head *hd;
	void *obj;

	*created = false;
	for (size_t i = hash & tb->mask; tb->slots != NULL && tb->slots[i].obj;
	     i = (i + 1) & tb->mask) {
		obj = tb->slots[i].obj;
		/* one table per kind: equal sizes mean equal lengths */
		if (tb->slots[i].hash == hash && PART_HEAD(obj)->size == size &&
		    (k->len == 0 ||
		     memcmp((char *)obj + dataoff, k->p, k->len) == 0))
			return obj;
	}
	hd = malloc(size);
	if (hd == NULL)
		return NULL;
	memset(hd, 0, sizeof(*hd) + hdrsize);
	obj = hd + 1;
	if (k->len > 0)
		memcpy((char *)obj + dataoff, k->p, k->len);
	hd->size = size;
	memcpy((char *)obj + OBJ_HASH_OFF, &hash, sizeof(hash));
	if (table_add(tb, obj, hash) < 0) {
		free(hd);
		return NULL;
	}
	st->bytes += size;
	*created = true;
	return obj;
}

static void
part_free(struct attr_store *st, struct attr_table *tb, void *obj,
	  const char *fn)
{
	struct part_head *hd = PART_HEAD(obj);

	table_del(tb, obj, fn);
	st->bytes -= hd->size;
	free(hd);
}

/* --- store --- */

void
attr_store_init(struct attr_store *st)
{
	memset(st, 0, sizeof(*st));
	slab_init(&st->set_mem, sizeof(struct attrs));
}

/* Frees every part of tb, and its slots. */
static void
free_parts(struct attr_table *tb)
{
	for (size_t i = 0; tb->slots != NULL && i <= tb->mask; i++)
		if (tb->slots[i].obj != NULL)
			free(PART_HEAD(tb->slots[i].obj));
	free(tb->slots);
	memset(tb, 0, sizeof(*tb));
}

void
attr_store_fini(struct attr_store *st, bool force)
{
	if (!force && (st->sets.count || st->aspaths.count || st->comms.count ||
		       st->lcomms.count || st->opaques.count))
		bug("attr_store_fini",
		    "still interned: %zu attribute sets, %zu AS paths, "
		    "%zu community/cluster lists, %zu large community lists, "
		    "%zu opaque blobs",
		    st->sets.count, st->aspaths.count, st->comms.count,
		    st->lcomms.count, st->opaques.count);
	/* the sets live in set_mem, which goes whole */
	free(st->sets.slots);
	memset(&st->sets, 0, sizeof(st->sets));
	slab_fini(&st->set_mem);
	free_parts(&st->aspaths);
	free_parts(&st->comms);
	free_parts(&st->lcomms);
	free_parts(&st->opaques);
	st->bytes = 0;
}

size_t
attr_store_count(const struct attr_store *st)
{
	return st->sets.count;
}

void
attr_init(struct attrs *a)
{
	memset(a, 0, sizeof(*a));
	a->origin = ATTR_ORIGIN_IGP;
	a->pref = ATTR_PREF_DEFAULT;
	a->weight = 1;
	a->nexthop.family = PREFIX_AF_NONE;
}

/* --- AS paths --- */

int
attr_aspath_check(const uint32_t *words, uint32_t nwords)
{
	uint32_t i = 0;

	while (i < nwords) {
		uint32_t type, count;

		if (nwords - i < 2)
			return -CEN_EPARSE;
		type = words[i];
		count = words[i + 1];
		if (type < ATTR_SEG_SET || type > ATTR_SEG_CONFED_SET)
			return -CEN_EPARSE;
		if (count < 1 || count > SEG_MAX || count > nwords - i - 2)
			return -CEN_EPARSE;
		i += 2 + count;
	}
	return 0;
}

static const struct attr_aspath *
aspath_get(struct attr_store *st, const uint32_t *words, uint32_t nwords,
	   const char *fn)
{
	struct part_key k;
	struct attr_aspath *ap;
	bool created;
	uint64_t hash;

	if (attr_aspath_check(words, nwords) != 0)
		bug(fn, "malformed AS path (%u words)", nwords);
	k.p = nwords ? words : empty_words;
	k.len = (size_t)nwords * sizeof(uint32_t);
	hash = part_hash(&k);
	ap = part_get(st, &st->aspaths, &k, hash, sizeof(*ap),
		      offsetof(struct attr_aspath, words), &created);
	if (ap == NULL)
		return NULL;
	if (!created) {
		ref_inc(&ap->refcnt, fn);
		return ap;
	}
	ap->refcnt = 1;
	ap->hash = hash;
	ap->nwords = nwords;
	for (uint32_t i = 0; i < nwords; i += 2 + words[i + 1]) {
		switch (words[i]) {
		case ATTR_SEG_SEQUENCE:
			ap->hops += words[i + 1];
			break;
		case ATTR_SEG_SET:
			ap->hops++;
			ap->has_set = true;
			break;
		case ATTR_SEG_CONFED_SET:
			ap->has_set = true;
			break;
		}
	}
	return ap;
}

const struct attr_aspath *
attr_aspath_intern(struct attr_store *st, const uint32_t *words,
		   uint32_t nwords)
{
	return aspath_get(st, words, nwords, "attr_aspath_intern");
}

/* Writes asns as AS_SEQUENCE segments of at most SEG_MAX; returns words. */
static uint32_t
put_seq(uint32_t *out, const uint32_t *asns, uint32_t n)
{
	uint32_t w = 0;

	while (n > 0) {
		uint32_t c = n > SEG_MAX ? SEG_MAX : n;

		out[w++] = ATTR_SEG_SEQUENCE;
		out[w++] = c;
		memcpy(out + w, asns, c * sizeof(uint32_t));
		w += c;
		asns += c;
		n -= c;
	}
	return w;
}

const struct attr_aspath *
attr_aspath_prepend(struct attr_store *st, const struct attr_aspath *old,
		    const uint32_t *asns, uint32_t n)
{
	uint32_t stackbuf[SCRATCH_WORDS], *buf = stackbuf;
	const struct attr_aspath *ap;
	uint32_t oldn = old ? old->nwords : 0, w;
	bool merge;
	size_t need;

	merge = oldn > 0 && n > 0 && old->words[0] == ATTR_SEG_SEQUENCE &&
		old->words[1] + n <= SEG_MAX;
	need = (size_t)oldn + n + 2 * ((size_t)n / SEG_MAX + 1);
	if (need > SCRATCH_WORDS) {
		buf = malloc(need * sizeof(uint32_t));
		if (buf == NULL)
			return NULL;
	}
	if (merge) {
		buf[0] = ATTR_SEG_SEQUENCE;
		buf[1] = old->words[1] + n;
		memcpy(buf + 2, asns, n * sizeof(uint32_t));
		memcpy(buf + 2 + n, old->words + 2,
		       (oldn - 2) * sizeof(uint32_t));
		w = oldn + n;
	} else {
		w = put_seq(buf, asns, n);
		if (oldn > 0)
			memcpy(buf + w, old->words, oldn * sizeof(uint32_t));
		w += oldn;
	}
	ap = aspath_get(st, buf, w, "attr_aspath_prepend");
	if (buf != stackbuf)
		free(buf);
	return ap;
}

const struct attr_aspath *
attr_aspath_seq(struct attr_store *st, const uint32_t *asns, uint32_t n)
{
	if (n == 0)
		return NULL;
	return attr_aspath_prepend(st, NULL, asns, n);
}

uint32_t
attr_aspath_flat(const struct attr_aspath *ap, uint32_t *out, uint32_t max)
{
	uint32_t total = 0;

	if (ap == NULL)
		return 0;
	for (uint32_t i = 0; i < ap->nwords; i += 2 + ap->words[i + 1]) {
		uint32_t c = ap->words[i + 1];

		if (ap->words[i] != ATTR_SEG_SEQUENCE)
			continue;
		for (uint32_t j = 0; j < c; j++, total++)
			if (total < max)
				out[total] = ap->words[i + 2 + j];
	}
	return total;
}

void
attr_aspath_unref(struct attr_store *st, const struct attr_aspath *p)
{
	struct attr_aspath *ap = (struct attr_aspath *)p;

	if (ap != NULL && ref_dec(&ap->refcnt, "attr_aspath_unref"))
		part_free(st, &st->aspaths, ap, "attr_aspath_unref");
}

/* --- communities and CLUSTER_LIST --- */

static const struct attr_comms *
comms_get(struct attr_store *st, const uint32_t *v, uint32_t n, const char *fn)
{
	struct part_key k;
	struct attr_comms *c;
	bool created;
	uint64_t hash;

	k.p = n ? v : empty_words;
	k.len = (size_t)n * sizeof(uint32_t);
	hash = part_hash(&k);
	c = part_get(st, &st->comms, &k, hash, sizeof(*c),
		     offsetof(struct attr_comms, v), &created);
	if (c == NULL)
		return NULL;
	if (!created) {
		ref_inc(&c->refcnt, fn);
		return c;
	}
	c->refcnt = 1;
	c->hash = hash;
	c->n = n;
	return c;
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

const struct attr_comms *
attr_comms_intern(struct attr_store *st, const uint32_t *v, uint32_t n)
{
	uint32_t stackbuf[SCRATCH_WORDS], *buf = stackbuf, i, m;
	const struct attr_comms *c;

	for (i = 1; i < n && v[i - 1] < v[i]; i++)
		;
	if (n <= 1 || i == n)
		return comms_get(st, v, n, "attr_comms_intern");
	if (n > SCRATCH_WORDS) {
		buf = malloc((size_t)n * sizeof(uint32_t));
		if (buf == NULL)
			return NULL;
	}
	memcpy(buf, v, (size_t)n * sizeof(uint32_t));
	qsort(buf, n, sizeof(uint32_t), u32_cmp);
	for (i = 1, m = 1; i < n; i++)
		if (buf[i] != buf[m - 1])
			buf[m++] = buf[i];
	c = comms_get(st, buf, m, "attr_comms_intern");
	if (buf != stackbuf)
		free(buf);
	return c;
}

const struct attr_comms *
attr_clusters_intern(struct attr_store *st, const uint32_t *v, uint32_t n)
{
	return comms_get(st, v, n, "attr_clusters_intern");
}

void
attr_comms_unref(struct attr_store *st, const struct attr_comms *cc)
{
	struct attr_comms *c = (struct attr_comms *)cc;

	if (c != NULL && ref_dec(&c->refcnt, "attr_comms_unref"))
		part_free(st, &st->comms, c, "attr_comms_unref");
}

bool
attr_comms_has(const struct attr_comms *c, uint32_t v)
{
	if (c == NULL)
		return false;
	for (uint32_t i = 0; i < c->n; i++)
		if (c->v[i] == v)
			return true;
	return false;
}

bool
attr_comms_intersects(const struct attr_comms *a, const struct attr_comms *b)
{
	uint32_t i = 0, j = 0;

	if (a == NULL || b == NULL)
		return false;
	while (i < a->n && j < b->n) {
		if (a->v[i] == b->v[j])
			return true;
		if (a->v[i] < b->v[j])
			i++;
		else
			j++;
	}
	return false;
}

bool
attr_comms_equal(const struct attr_comms *a, const struct attr_comms *b)
{
	uint32_t na = a ? a->n : 0, nb = b ? b->n : 0;

	if (a == b)
		return true;
	if (na != nb)
		return false;
	return na == 0 || memcmp(a->v, b->v, na * sizeof(uint32_t)) == 0;
}

const struct attr_comms *
attr_comms_union(struct attr_store *st, const struct attr_comms *a,
		 const struct attr_comms *b)
{
	uint32_t stackbuf[SCRATCH_WORDS], *buf = stackbuf, i = 0, j = 0, m = 0;
	uint32_t na = a ? a->n : 0, nb = b ? b->n : 0;
	const struct attr_comms *c, *keep = NULL;
	size_t need = (size_t)na + nb;

	if (nb == 0 && a != NULL)
		keep = a;
	else if (na == 0 && b != NULL)
		keep = b;
	else if (na == 0)
		return comms_get(st, NULL, 0, "attr_comms_union");
	if (keep != NULL) {
		ref_inc(&((struct attr_comms *)keep)->refcnt,
			"attr_comms_union");
		return keep;
	}
	if (need > SCRATCH_WORDS) {
		buf = malloc(need * sizeof(uint32_t));
		if (buf == NULL)
			return NULL;
	}
	while (i < na || j < nb) {
		if (j == nb || (i < na && a->v[i] < b->v[j]))
			buf[m++] = a->v[i++];
		else if (i == na || b->v[j] < a->v[i])
			buf[m++] = b->v[j++];
		else
			buf[m++] = a->v[i++], j++;
	}
	if (m == na)
		keep = a;
	else if (m == nb)
		keep = b;
	if (keep != NULL) {
		ref_inc(&((struct attr_comms *)keep)->refcnt,
			"attr_comms_union");
		c = keep;
	} else {
		c = comms_get(st, buf, m, "attr_comms_union");
	}
	if (buf != stackbuf)
		free(buf);
	return c;
}

/* --- large communities --- */

static int
lcomm_cmp(const void *pa, const void *pb)
{
	const struct attr_lcomm *a = pa, *b = pb;

	if (a->global != b->global)
		return a->global < b->global ? -1 : 1;
	if (a->local1 != b->local1)
		return a->local1 < b->local1 ? -1 : 1;
	if (a->local2 != b->local2)
		return a->local2 < b->local2 ? -1 : 1;
	return 0;
}

static const struct attr_lcomms *
lcomms_get(struct attr_store *st, const struct attr_lcomm *v, uint32_t n)
{
	struct part_key k;
	struct attr_lcomms *c;
	bool created;
	uint64_t hash;

	k.p = n ? (const void *)v : empty_words;
	k.len = (size_t)n * sizeof(struct attr_lcomm);
	hash = part_hash(&k);
	c = part_get(st, &st->lcomms, &k, hash, sizeof(*c),
		     offsetof(struct attr_lcomms, v), &created);
	if (c == NULL)
		return NULL;
	if (!created) {
		ref_inc(&c->refcnt, "attr_lcomms_intern");
		return c;
	}
	c->refcnt = 1;
	c->hash = hash;
	c->n = n;
	return c;
}

const struct attr_lcomms *
attr_lcomms_intern(struct attr_store *st, const struct attr_lcomm *v,
		   uint32_t n)
{
	struct attr_lcomm stackbuf[SCRATCH_WORDS / 3], *buf = stackbuf;
	const struct attr_lcomms *c;
	uint32_t i, m;

	for (i = 1; i < n && lcomm_cmp(&v[i - 1], &v[i]) < 0; i++)
		;
	if (n <= 1 || i == n)
		return lcomms_get(st, v, n);
	if (n > SCRATCH_WORDS / 3) {
		buf = malloc((size_t)n * sizeof(*buf));
		if (buf == NULL)
			return NULL;
	}
	memcpy(buf, v, (size_t)n * sizeof(*buf));
	qsort(buf, n, sizeof(*buf), lcomm_cmp);
	for (i = 1, m = 1; i < n; i++)
		if (lcomm_cmp(&buf[i], &buf[m - 1]) != 0)
			buf[m++] = buf[i];
	c = lcomms_get(st, buf, m);
	if (buf != stackbuf)
		free(buf);
	return c;
}

void
attr_lcomms_unref(struct attr_store *st, const struct attr_lcomms *cc)
{
	struct attr_lcomms *c = (struct attr_lcomms *)cc;

	if (c != NULL && ref_dec(&c->refcnt, "attr_lcomms_unref"))
		part_free(st, &st->lcomms, c, "attr_lcomms_unref");
}

/* --- opaque blobs --- */

const struct attr_opaque *
attr_opaque_intern(struct attr_store *st, const uint8_t *bytes, uint32_t len)
{
	struct part_key k;
	struct attr_opaque *o;
	bool created;
	uint64_t hash;

	k.p = len ? (const void *)bytes : empty_words;
	k.len = len;
	hash = part_hash(&k);
	o = part_get(st, &st->opaques, &k, hash, sizeof(*o),
		     offsetof(struct attr_opaque, bytes), &created);
	if (o == NULL)
		return NULL;
	if (!created) {
		ref_inc(&o->refcnt, "attr_opaque_intern");
		return o;
	}
	o->refcnt = 1;
	o->hash = hash;
	o->len = len;
	return o;
}

void
attr_opaque_unref(struct attr_store *st, const struct attr_opaque *oo)
{
	struct attr_opaque *o = (struct attr_opaque *)oo;

	if (o != NULL && ref_dec(&o->refcnt, "attr_opaque_unref"))
		part_free(st, &st->opaques, o, "attr_opaque_unref");
}

/* --- attribute sets --- */

static bool
set_eq(const void *pa, const void *pb)
{
	const struct attrs *a = pa, *b = pb;

	return a->origin == b->origin && a->pref == b->pref &&
	       a->flags == b->flags && a->weight == b->weight &&
	       a->med == b->med && a->localpref == b->localpref &&
	       a->aggregator_as == b->aggregator_as &&
	       a->aggregator_id == b->aggregator_id &&
	       a->originator_id == b->originator_id &&
	       a->nexthop.family == b->nexthop.family &&
	       a->nexthop.len == b->nexthop.len &&
	       memcmp(a->nexthop.addr.bytes, b->nexthop.addr.bytes,
		      sizeof(a->nexthop.addr.bytes)) == 0 &&
	       a->aspath == b->aspath && a->comms == b->comms &&
	       a->lcomms == b->lcomms && a->clusters == b->clusters &&
	       a->opaque == b->opaque;
}

/* Over the fields and the parts' content hashes, never their addresses. */
static uint64_t
set_hash(const struct attrs *a)
{
	uint64_t w[11];

	w[0] = a->origin | (uint64_t)a->pref << 8 | (uint64_t)a->flags << 16 |
	       (uint64_t)a->weight << 24 | (uint64_t)a->med << 32;
	w[1] = a->localpref | (uint64_t)a->aggregator_as << 32;
	w[2] = a->aggregator_id | (uint64_t)a->originator_id << 32;
	w[3] = a->nexthop.family | (uint64_t)a->nexthop.len << 8;
	memcpy(&w[4], a->nexthop.addr.bytes, 16);
	w[6] = a->aspath ? a->aspath->hash : 0;
	w[7] = a->comms ? a->comms->hash : 0;
	w[8] = a->lcomms ? a->lcomms->hash : 0;
	w[9] = a->clusters ? a->clusters->hash : 0;
	w[10] = a->opaque ? a->opaque->hash : 0;
	return hmap_hash_bytes(w, sizeof(w), 0);
}

const struct attrs *
attr_intern(struct attr_store *st, const struct attrs *a)
{
	struct attrs key = *a, *s;

	/* An empty part and no part are the same attribute. */
	if (key.aspath != NULL && key.aspath->nwords == 0)
		key.aspath = NULL;
	if (key.comms != NULL && key.comms->n == 0)
		key.comms = NULL;
	if (key.lcomms != NULL && key.lcomms->n == 0)
		key.lcomms = NULL;
	if (key.clusters != NULL && key.clusters->n == 0)
		key.clusters = NULL;
	if (key.opaque != NULL && key.opaque->len == 0)
		key.opaque = NULL;
	memset(key.nexthop.pad, 0, sizeof(key.nexthop.pad));
	key.refcnt = 0;
	key.hash = set_hash(&key);

	for (size_t i = key.hash & st->sets.mask;
	     st->sets.slots != NULL && st->sets.slots[i].obj != NULL;
	     i = (i + 1) & st->sets.mask) {
		s = st->sets.slots[i].obj;
		if (st->sets.slots[i].hash == key.hash && set_eq(s, &key)) {
			ref_inc(&s->refcnt, "attr_intern");
			return s;
		}
	}
	s = slab_alloc(&st->set_mem);
	if (s == NULL)
		return NULL;
	*s = key;
	s->refcnt = 1;
	if (table_add(&st->sets, s, s->hash) < 0) {
		slab_free(&st->set_mem, s);
		return NULL;
	}
	if (s->aspath != NULL)
		ref_inc(&((struct attr_aspath *)s->aspath)->refcnt,
			"attr_intern");
	if (s->comms != NULL)
		ref_inc(&((struct attr_comms *)s->comms)->refcnt,
			"attr_intern");
	if (s->lcomms != NULL)
		ref_inc(&((struct attr_lcomms *)s->lcomms)->refcnt,
			"attr_intern");
	if (s->clusters != NULL)
		ref_inc(&((struct attr_comms *)s->clusters)->refcnt,
			"attr_intern");
	if (s->opaque != NULL)
		ref_inc(&((struct attr_opaque *)s->opaque)->refcnt,
			"attr_intern");
	st->bytes += st->set_mem.size;
	return s;
}

void
attr_ref(const struct attrs *a)
{
	if (a != NULL)
		ref_inc(&((struct attrs *)a)->refcnt, "attr_ref");
}

void
attr_unref(struct attr_store *st, const struct attrs *ca)
{
	struct attrs *a = (struct attrs *)ca;

	if (a == NULL || !ref_dec(&a->refcnt, "attr_unref"))
		return;
	/* the set's slot, each part and each dying part's slot are cache
	 * misses of their own (a withdrawn table frees sets by the hundred
	 * thousand): start them together rather than one after another */
	slot_prefetch(&st->sets, a->hash);
	__builtin_prefetch(a->aspath);
	__builtin_prefetch(a->comms);
	__builtin_prefetch(a->lcomms);
	table_del(&st->sets, a, "attr_unref");
	part_prefetch(&st->aspaths, a->aspath);
	part_prefetch(&st->comms, a->comms);
	part_prefetch(&st->lcomms, a->lcomms);
	attr_aspath_unref(st, a->aspath);
	attr_comms_unref(st, a->comms);
	attr_lcomms_unref(st, a->lcomms);
	attr_comms_unref(st, a->clusters);
	attr_opaque_unref(st, a->opaque);
	st->bytes -= st->set_mem.size;
	slab_free(&st->set_mem, a);
}

/* --- formatting and parsing --- */

struct out {
	char *buf;
	size_t size, len;
};

static void __attribute__((format(printf, 2, 3)))
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (o->len + 1 >= o->size)
		return;
	va_start(ap, fmt);
	r = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	o->len += (size_t)r;
	if (o->len >= o->size)
		o->len = o->size - 1;
}

char *
attr_aspath_fmt(const struct attr_aspath *p, char *buf, size_t size)
{
	struct out o = { buf, size, 0 };

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (p == NULL)
		return buf;
	for (uint32_t i = 0; i < p->nwords; i += 2 + p->words[i + 1]) {
		uint32_t type = p->words[i], c = p->words[i + 1];
		const char *open = "", *close = "", *sep = " ";

		switch (type) {
		case ATTR_SEG_SET:
			open = "{", close = "}", sep = ",";
			break;
		case ATTR_SEG_CONFED_SEQUENCE:
			open = "(", close = ")";
			break;
		case ATTR_SEG_CONFED_SET:
			open = "[", close = "]", sep = ",";
			break;
		}
		out_printf(&o, "%s%s", i > 0 ? " " : "", open);
		for (uint32_t j = 0; j < c; j++)
			out_printf(&o, "%s%u", j > 0 ? sep : "",
				   p->words[i + 2 + j]);
		out_printf(&o, "%s", close);
	}
	return buf;
}

char *
attr_comms_fmt(const struct attr_comms *c, char *buf, size_t size)
{
	struct out o = { buf, size, 0 };

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (c == NULL)
		return buf;
	for (uint32_t i = 0; i < c->n; i++)
		out_printf(&o, "%s%u:%u", i > 0 ? " " : "", c->v[i] >> 16,
			   c->v[i] & 0xffff);
	return buf;
}

/* Parses 1..5 decimal digits worth at most 65535; returns the end or NULL. */
static const char *
parse_half(const char *s, uint32_t *v)
{
	uint32_t x = 0;
	int n = 0;

	while (*s >= '0' && *s <= '9') {
		x = x * 10 + (uint32_t)(*s++ - '0');
		if (++n > 5 || x > 0xffff)
			return NULL;
	}
	if (n == 0)
		return NULL;
	*v = x;
	return s;
}

int
attr_comm_parse(const char *s, uint32_t *v)
{
	uint32_t hi, lo;

	if (s == NULL || (s = parse_half(s, &hi)) == NULL || *s++ != ':' ||
	    (s = parse_half(s, &lo)) == NULL || *s != '\0')
		return -CEN_EPARSE;
	*v = hi << 16 | lo;
	return 0;
}
