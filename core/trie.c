/*
 * trie.c - path-compressed binary trie keyed by prefix (trie.h).
 *
 * A node holds two child pointers, its prefix length, flags and the key
 * bytes of the trie's family (4 for IPv4, 16 for IPv6); a node that stores a
 * prefix ("full") is followed by the caller's payload at a fixed offset, so
 * payload <-> node is pointer arithmetic.  On x86-64 an IPv4 node costs 24
 * bytes plus the payload rounded to 8, an IPv6 node 40 plus the payload;
 * glue nodes (branch points that store nothing) come from their own slab and
 * cost 24 (IPv4) or 40 (IPv6) bytes.
 *
 * Invariants: child[b] of a node at plen L holds keys whose bit L is b and
 * whose plen is > L; keys are canonical (no bits past plen); a glue node has
 * exactly two children.  A pre-order walk (node, child[0], child[1]) is
 * therefore prefix_cmp order.
 *
 * A large trie (TRIE_JUMP_MIN prefixes) also gets a jump table: for each
 * value of the first 16 address bits, the link below the deepest node of
 * plen < 16 covering them, where exact-match descents (get, find, delete) of
 * prefixes of length 16 and more can start.  With a million prefixes the top
 * sixteen levels no longer stay in cache, and skipping them makes those
 * operations about three times faster.  Entries are filled on first use;
 * when a node of plen < 16 is replaced or freed, the entries naming its
 * child links are moved to the links that take their place, and when one
 * is linked in, the entries starting at its link move below it (only such a
 * node can hold a link an entry names, or be a deeper start).
 */
#include "trie.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

struct trie_node {
	struct trie_node *child[2];
	uint8_t plen;
	uint8_t flags;
	uint8_t key[]; /* keylen bytes, then (full nodes) the payload */
};

#define TRIE_F_FULL 0x01 /* stores a prefix: has a payload */
#define TRIE_F_BIG  0x02 /* allocated from the full slab */

#ifndef TRIE_JUMP_BITS
#define TRIE_JUMP_BITS 16
#endif
#define TRIE_JUMP_SLOTS (1u << TRIE_JUMP_BITS)
#ifndef TRIE_JUMP_MIN
#define TRIE_JUMP_MIN 65536 /* prefixes before a trie gets a jump table */
#endif

/* Deepest possible path is 129 nodes (plen 0..128); a pre-order walk keeps
 * at most one pending sibling per level. */
#define TRIE_STACK 160

static inline unsigned
keylen(uint8_t family)
{
	return family == PREFIX_AF_INET ? 4 : 16;
}

static inline size_t
payload_off(uint8_t family)
{
	return (offsetof(struct trie_node, key) + keylen(family) + 7) &
	       ~(size_t)7;
}

static inline void *
node_payload(const struct trie *t, struct trie_node *n)
{
	return (char *)n + payload_off(t->family);
}

static inline uint32_t
load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

/* Number of leading bits a and b share, at most limit. */
static inline unsigned
key_common(const uint8_t *a, const uint8_t *b, unsigned klen, unsigned limit)
{
	unsigned i;

	for (i = 0; i < klen && i * 8 < limit; i += 4) {
		uint32_t x = load32(a + i) ^ load32(b + i);

		if (x != 0) {
			unsigned n = i * 8 + (unsigned)__builtin_clz(x);

			return n < limit ? n : limit;
		}
	}
	return limit;
}

static inline int
key_bit(const uint8_t *k, unsigned i)
{
	return (k[i >> 3] >> (7 - (i & 7))) & 1;
}

/* Copies the first bits of src into dst and clears the rest. */
static void
key_mask(uint8_t *dst, const uint8_t *src, unsigned klen, unsigned bits)
{
	unsigned i;

	for (i = 0; i < klen; i++) {
		if (i * 8 + 8 <= bits)
			dst[i] = src[i];
		else if (i * 8 < bits)
			dst[i] = src[i] & (uint8_t)(0xff00 >> (bits & 7));
		else
			dst[i] = 0;
	}
}

static void
node_free(struct trie *t, struct trie_node *n)
{
	if (t->hint == n)
		t->hint = NULL;
	slab_free(n->flags & TRIE_F_BIG ? &t->full : &t->glue, n);
}

static void
node_prefix(const struct trie *t, const struct trie_node *n, struct prefix *out)
{
	memset(out, 0, sizeof(*out));
	out->family = t->family;
	out->len = n->plen;
	memcpy(out->addr.bytes, n->key, keylen(t->family));
}

/* The first full node of a subtree in walk order (the subtree is not empty
 * and every leaf is full, so there is one). */
static struct trie_node *
leftmost(struct trie_node *n)
{
	while (!(n->flags & TRIE_F_FULL))
		n = n->child[0] != NULL ? n->child[0] : n->child[1];
	return n;
}

/* ---- the jump table ------------------------------------------------ */

static inline uint32_t
jump_slot(const uint8_t *key)
{
	return load32(key) >> (32 - TRIE_JUMP_BITS);
}

/* The entries a node of plen < 16 covers: *first and the count. */
static uint32_t
jump_range(const struct trie_node *n, uint32_t *first)
{
	uint32_t count = 1u << (TRIE_JUMP_BITS - n->plen);

	*first = jump_slot(n->key) & ~(count - 1);
	return count;
}

/* Node n (of plen < 16) is being replaced or freed: entries naming one of
 * its child links name to[0] or to[1] instead (only entries of slots n
 * covers can name them). */
static void
jump_move(struct trie *t, const struct trie_node *n, struct trie_node **to0,
	  struct trie_node **to1)
{
	struct trie_node ***j = t->jump;
	struct trie_node **c0 = (struct trie_node **)&n->child[0];
	struct trie_node **c1 = (struct trie_node **)&n->child[1];
	uint32_t first, count;

	if (j == NULL || n->plen >= TRIE_JUMP_BITS)
		return;
	count = jump_range(n, &first);
	for (uint32_t s = first; s < first + count; s++) {
		if (j[s] == c0)
			j[s] = to0;
		else if (j[s] == c1)
			j[s] = to1;
	}
}

/* Node x (of plen < 16) was just linked in at link: entries starting at
 * link can start below it. */
static void
jump_deepen(struct trie *t, struct trie_node *x, struct trie_node **link)
{
	struct trie_node ***j = t->jump;
	unsigned shift = TRIE_JUMP_BITS - 1 - x->plen;
	uint32_t first, count;

	if (j == NULL || x->plen >= TRIE_JUMP_BITS)
		return;
	count = jump_range(x, &first);
	for (uint32_t s = first; s < first + count; s++)
		if (j[s] == link)
			j[s] = &x->child[(s >> shift) & 1];
}

/* Where an exact-match descent for p (canonical, of t's family) may start:
 * the root, or for p.len >= 16 the link below the deepest node of plen < 16
 * that covers p.  Fills the slot's entry when fill is true. */
static struct trie_node **
jump_link(const struct trie *t, const struct prefix *p, bool fill)
{
	struct trie_node ***j = t->jump;
	struct trie_node **link = (struct trie_node **)&t->root, *n;
	unsigned klen = keylen(t->family);
	uint32_t s;

	if (j == NULL || p->len < TRIE_JUMP_BITS)
		return link;
	s = jump_slot(p->addr.bytes);
	if (j[s] != NULL)
		return j[s];
	while ((n = *link) != NULL && n->plen < TRIE_JUMP_BITS &&
	       key_common(n->key, p->addr.bytes, klen, n->plen) == n->plen)
		link = &n->child[key_bit(p->addr.bytes, n->plen)];
	if (fill)
		j[s] = link;
	return link;
}

/* A canonical copy of p if it belongs in t; false if it cannot.  (What
 * prefix_canon does, a word at a time: this runs on every operation.) */
static bool
key_of(const struct trie *t, const struct prefix *p, struct prefix *out)
{
	unsigned klen = keylen(t->family), len = p->len;

	if (p->family != t->family || len > klen * 8)
		return false;
	memset(out, 0, sizeof(*out));
	out->family = p->family;
	out->len = (uint8_t)len;
	for (unsigned i = 0; i < klen; i += 4) {
		uint32_t w = load32(p->addr.bytes + i);

		if (len <= i * 8)
			w = 0;
		else if (len < i * 8 + 32)
			w &= ~0u << (i * 8 + 32 - len);
		w = htonl(w);
		memcpy(out->addr.bytes + i, &w, 4);
	}
	return true;
}

/* The hint node if it stores exactly p (canonical). */
static inline struct trie_node *
hint_match(const struct trie *t, const struct prefix *p)
{
	struct trie_node *n = t->hint;

	if (n != NULL && n->plen == p->len && (n->flags & TRIE_F_FULL) &&
	    memcmp(n->key, p->addr.bytes, keylen(t->family)) == 0)
		return n;
	return NULL;
}

void
trie_init(struct trie *t, uint8_t family, size_t payload_size)
{
	size_t off;

	if (family != PREFIX_AF_INET && family != PREFIX_AF_INET6) {
		fprintf(stderr, "trie_init: bad family %u\n", family);
		abort();
	}
	memset(t, 0, sizeof(*t));
	t->family = family;
	t->payload_size = payload_size;
	off = payload_off(family);
	slab_init(&t->full, off + payload_size);
	slab_init(&t->glue, off);
}

void
trie_fini(struct trie *t)
{
	slab_fini(&t->full);
	slab_fini(&t->glue);
	free(t->jump);
	t->jump = NULL;
	t->root = NULL;
	t->hint = NULL;
	t->count = 0;
}

size_t
trie_bytes(const struct trie *t)
{
	return slab_bytes(&t->full) + slab_bytes(&t->glue) +
	       (t->jump != NULL ? TRIE_JUMP_SLOTS * sizeof(void *) : 0);
}

size_t
trie_node_size(const struct trie *t, bool full)
{
	return full ? t->full.size : t->glue.size;
}

void *
trie_get(struct trie *t, const struct prefix *pin, bool *created)
{
	unsigned klen = keylen(t->family), c, lim;
	struct trie_node **link, *n, *nn, *g;
	struct prefix p;
	int b;

	if (!key_of(t, pin, &p)) {
		fprintf(stderr,
			"trie_get: prefix family %u len %u in a family "
			"%u trie\n",
			pin->family, pin->len, t->family);
		abort();
	}
	if ((n = hint_match(t, &p)) != NULL) {
		if (created != NULL)
			*created = false;
		return node_payload(t, n);
	}
	link = jump_link(t, &p, true);
	while ((n = *link) != NULL && n->plen <= p.len) {
		if (key_common(n->key, p.addr.bytes, klen, n->plen) < n->plen)
			break;
		if (n->plen == p.len) {
			if (n->flags & TRIE_F_FULL) {
				if (created != NULL)
					*created = false;
				t->hint = n;
				return node_payload(t, n);
			}
			/* A glue node becomes a full one. */
			nn = slab_alloc(&t->full);
			if (nn == NULL)
				return NULL;
			memcpy(nn, n, offsetof(struct trie_node, key) + klen);
			nn->flags = TRIE_F_FULL | TRIE_F_BIG;
			jump_move(t, n, &nn->child[0], &nn->child[1]);
			*link = nn;
			node_free(t, n);
			goto added;
		}
		link = &n->child[key_bit(p.addr.bytes, n->plen)];
	}

	nn = slab_alloc(&t->full);
	if (nn == NULL)
		return NULL;
	nn->plen = p.len;
	nn->flags = TRIE_F_FULL | TRIE_F_BIG;
	memcpy(nn->key, p.addr.bytes, klen);
	if (n == NULL) {
		*link = nn;
		jump_deepen(t, nn, link);
		goto added;
	}
	lim = n->plen < p.len ? n->plen : p.len;
	c = key_common(n->key, p.addr.bytes, klen, lim);
	if (c == p.len) {
		/* p contains n: n hangs below the new node. */
		nn->child[key_bit(n->key, p.len)] = n;
		*link = nn;
		jump_deepen(t, nn, link);
		goto added;
	}
	/* p and n part at bit c: a glue node at c holds both. */
	g = slab_alloc(&t->glue);
	if (g == NULL) {
		slab_free(&t->full, nn);
		return NULL;
	}
	g->plen = (uint8_t)c;
	key_mask(g->key, p.addr.bytes, klen, c);
	b = key_bit(p.addr.bytes, c);
	g->child[b] = nn;
	g->child[!b] = n;
	*link = g;
	jump_deepen(t, g, link);
	jump_deepen(t, nn, &g->child[b]);
added:
	t->count++;
	if (t->jump == NULL && t->count >= TRIE_JUMP_MIN)
		t->jump = calloc(TRIE_JUMP_SLOTS, sizeof(struct trie_node **));
	if (created != NULL)
		*created = true;
	t->hint = nn;
	return node_payload(t, nn);
}

void *
trie_find(const struct trie *t, const struct prefix *pin)
{
	unsigned klen = keylen(t->family);
	struct trie_node *n;
	struct prefix p;

	if (!key_of(t, pin, &p))
		return NULL;
	if ((n = hint_match(t, &p)) != NULL)
		return node_payload(t, n);
	n = *jump_link(t, &p, false);
	while (n != NULL && n->plen < p.len)
		n = n->child[key_bit(p.addr.bytes, n->plen)];
	if (n == NULL || n->plen != p.len || !(n->flags & TRIE_F_FULL) ||
	    memcmp(n->key, p.addr.bytes, klen) != 0)
		return NULL;
	/* the engine looks the same prefix up several times in a row (a
	 * path's table, then the other region's and back): remember it.
	 * Only the hint changes, never what the trie holds. */
	((struct trie *)t)->hint = n;
	return node_payload(t, n);
}

/* Deletes p (canonical), descending from start.  Returns 1, having changed
 * nothing, when the node's parent is the one start hangs below and may have
 * to go: the caller then retries from the root. */
static int
del_from(struct trie *t, const struct prefix *p, struct trie_node **start)
{
	unsigned klen = keylen(t->family);
	struct trie_node **links[TRIE_STACK], **link, *n, *g, *parent;
	size_t depth = 0;

	link = start;
	while ((n = *link) != NULL && n->plen < p->len) {
		links[depth++] = link;
		link = &n->child[key_bit(p->addr.bytes, n->plen)];
	}
	if (n == NULL || n->plen != p->len || !(n->flags & TRIE_F_FULL) ||
	    memcmp(n->key, p->addr.bytes, klen) != 0)
		return -CEN_ENOENT;
	if (n->child[0] == NULL && n->child[1] == NULL && depth == 0 &&
	    start != &t->root)
		return 1;
	t->count--;

	if (n->child[0] != NULL && n->child[1] != NULL) {
		/* Still a branch point: becomes glue.  Without memory for a
		 * small node it stays in its big one. */
		g = slab_alloc(&t->glue);
		if (g == NULL) {
			n->flags &= (uint8_t)~TRIE_F_FULL;
			if (t->hint == n)
				t->hint = NULL;
			return 0;
		}
		memcpy(g, n, offsetof(struct trie_node, key) + klen);
		g->flags = 0;
		jump_move(t, n, &g->child[0], &g->child[1]);
		*link = g;
		node_free(t, n);
		return 0;
	}
	jump_move(t, n, link, link);
	if (n->child[0] != NULL || n->child[1] != NULL) {
		*link = n->child[0] != NULL ? n->child[0] : n->child[1];
		node_free(t, n);
		return 0;
	}
	*link = NULL;
	node_free(t, n);
	if (depth == 0)
		return 0;
	/* The parent lost a child; a glue parent is now useless. */
	link = links[depth - 1];
	parent = *link;
	if (!(parent->flags & TRIE_F_FULL)) {
		jump_move(t, parent, link, link);
		*link = parent->child[0] != NULL ? parent->child[0]
						 : parent->child[1];
		node_free(t, parent);
	}
	return 0;
}

int
trie_del(struct trie *t, const struct prefix *pin)
{
	struct prefix p;
	int rc;

	if (!key_of(t, pin, &p))
		return -CEN_ENOENT;
	rc = del_from(t, &p, jump_link(t, &p, true));
	if (rc > 0)
		rc = del_from(t, &p, &t->root);
	if (t->count == 0 && t->jump != NULL) {
		free(t->jump);
		t->jump = NULL;
	}
	return rc;
}

void *
trie_lpm(const struct trie *t, const struct prefix *pin, struct prefix *found)
{
	unsigned klen = keylen(t->family);
	struct trie_node *n, *best = NULL;
	struct prefix p;

	if (!key_of(t, pin, &p))
		return NULL;
	n = t->root;
	while (n != NULL && n->plen <= p.len) {
		if (key_common(n->key, p.addr.bytes, klen, n->plen) < n->plen)
			break;
		if (n->flags & TRIE_F_FULL)
			best = n;
		if (n->plen == p.len)
			break;
		n = n->child[key_bit(p.addr.bytes, n->plen)];
	}
	if (best == NULL)
		return NULL;
	if (found != NULL)
		node_prefix(t, best, found);
	return node_payload(t, best);
}

void
trie_payload_prefix(const struct trie *t, const void *payload,
		    struct prefix *out)
{
	const struct trie_node *n;

	n = (const void *)((const char *)payload - payload_off(t->family));
	node_prefix(t, n, out);
}

/* Pre-order walk of the subtree n.  Children are stacked before the
 * callback runs, so the callback may delete the prefix it visits (that
 * only frees or replaces n and its glue parent, never n's children). */
static int
walk_subtree(const struct trie *t, struct trie_node *n, trie_walk_cb cb,
	     void *arg)
{
	struct trie_node *stack[TRIE_STACK];
	struct prefix p;
	size_t sp = 0;
	int rc;

	if (n == NULL)
		return 0;
	stack[sp++] = n;
	while (sp > 0) {
		n = stack[--sp];
		if (n->child[1] != NULL)
			stack[sp++] = n->child[1];
		if (n->child[0] != NULL)
			stack[sp++] = n->child[0];
		if (!(n->flags & TRIE_F_FULL))
			continue;
		node_prefix(t, n, &p);
		rc = cb(&p, node_payload(t, n), arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
trie_walk_longer(const struct trie *t, const struct prefix *pin,
		 trie_walk_cb cb, void *arg)
{
	unsigned klen = keylen(t->family);
	struct trie_node *n;
	struct prefix p;

	if (!key_of(t, pin, &p))
		return 0;
	n = t->root;
	while (n != NULL && n->plen < p.len)
		n = n->child[key_bit(p.addr.bytes, n->plen)];
	if (n == NULL || key_common(n->key, p.addr.bytes, klen, p.len) < p.len)
		return 0;
	return walk_subtree(t, n, cb, arg);
}

int
trie_walk_shorter(const struct trie *t, const struct prefix *pin,
		  trie_walk_cb cb, void *arg)
{
	unsigned klen = keylen(t->family);
	struct trie_node *n, *next;
	struct prefix p, q;
	int rc;

	if (!key_of(t, pin, &p))
		return 0;
	n = t->root;
	while (n != NULL && n->plen <= p.len) {
		if (key_common(n->key, p.addr.bytes, klen, n->plen) < n->plen)
			break;
		next = n->plen < p.len
			       ? n->child[key_bit(p.addr.bytes, n->plen)]
			       : NULL;
		if (n->flags & TRIE_F_FULL) {
			node_prefix(t, n, &q);
			rc = cb(&q, node_payload(t, n), arg);
			if (rc != 0)
				return rc;
		}
		n = next;
	}
	return 0;
}

int
trie_walk(const struct trie *t, trie_walk_cb cb, void *arg)
{
	return walk_subtree(t, t->root, cb, arg);
}

/* The first stored prefix greater than c in prefix_cmp order.  A subtree
 * at (K, L) holds keys whose first L bits are K's; comparing those bits of
 * c's address with K places the whole subtree before or after c, or says c
 * falls inside it. */
static struct trie_node *
next_after(const struct trie *t, const struct prefix *c)
{
	unsigned klen = keylen(t->family), d;
	struct trie_node *n = t->root, *alt = NULL;

	while (n != NULL) {
		d = key_common(n->key, c->addr.bytes, klen, n->plen);
		if (d < n->plen) {
			if (key_bit(n->key, d))
				return leftmost(n); /* all after c */
			break;			    /* all before c */
		}
		if (c->len < n->plen)
			return leftmost(n); /* same address, all longer */
		if (c->len == n->plen) {
			/* n is c: everything below it follows c. */
			if (n->child[0] != NULL)
				return leftmost(n->child[0]);
			if (n->child[1] != NULL)
				return leftmost(n->child[1]);
			break;
		}
		if (key_bit(c->addr.bytes, n->plen) == 0) {
			if (n->child[1] != NULL)
				alt = n->child[1];
			n = n->child[0];
		} else {
			n = n->child[1];
		}
	}
	return alt != NULL ? leftmost(alt) : NULL;
}

/* The first stored prefix >= c. */
static struct trie_node *
first_from(const struct trie *t, const struct prefix *c)
{
	struct trie_node *n = t->root;

	while (n != NULL && n->plen < c->len)
		n = n->child[key_bit(c->addr.bytes, n->plen)];
	if (n != NULL && n->plen == c->len && (n->flags & TRIE_F_FULL) &&
	    memcmp(n->key, c->addr.bytes, keylen(t->family)) == 0)
		return n;
	return next_after(t, c);
}

size_t
trie_walk_from(struct trie *t, const struct prefix *within,
	       struct prefix *cursor, bool *started, size_t budget,
	       trie_walk_cb cb, void *arg)
{
	struct prefix w, p, c;
	struct trie_node *n;
	size_t visited = 0;

	if (within != NULL) {
		if (!key_of(t, within, &w))
			return 0;
	} else {
		memset(&w, 0, sizeof(w));
		w.family = t->family;
	}
	if (*started && !key_of(t, cursor, &c))
		return 0;
	while (visited < budget) {
		if (!*started || prefix_cmp(&c, &w) < 0)
			n = first_from(t, &w);
		else
			n = next_after(t, &c);
		if (n == NULL)
			break;
		node_prefix(t, n, &p);
		if (!prefix_contains(&w, &p))
			break;
		*cursor = c = p;
		*started = true;
		visited++;
		if (cb(&p, node_payload(t, n), arg) != 0)
			break;
	}
	return visited;
}
