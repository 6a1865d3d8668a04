/*
 * pbarena.c - a bump allocator for protobuf-c unpacking (pbarena.h).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "proto/pbarena.h"

#define PBARENA_CHUNK_MIN (64u << 10)
#define PBARENA_ALIGN	  16u
#define PBARENA_KEEP_MAX  (16u << 20) /* a bigger chunk is not kept */

struct pbarena_chunk {
	struct pbarena_chunk *next;
	size_t size; /* bytes after the header */
	char data[];
};

_Static_assert(offsetof(struct pbarena_chunk, data) % PBARENA_ALIGN == 0,
	       "chunk data must be aligned like malloc's");

static void *
arena_alloc(void *arg, size_t size)
{
	struct pbarena *a = arg;
	struct pbarena_chunk *c;
	size_t want, csize;
	char *p;

	want = (size + PBARENA_ALIGN - 1) & ~(size_t)(PBARENA_ALIGN - 1);
	if (want < size)
		return NULL;
	if (a->next != NULL && (size_t)(a->end - a->next) >= want) {
		p = a->next;
		a->next += want;
		return p;
	}
	/* a new chunk, twice the last one (so a big message takes a few) */
	csize = a->chunks != NULL ? a->chunks->size * 2 : PBARENA_CHUNK_MIN;
	if (csize < want)
		csize = want;
	c = malloc(sizeof(*c) + csize);
	if (c == NULL)
		return NULL;
	c->size = csize;
	c->next = a->chunks;
	a->chunks = c;
	a->next = c->data + want;
	a->end = c->data + csize;
	return c->data;
}

static void
arena_free(void *arg, void *ptr)
{
	(void)arg;
	(void)ptr;
}

void *
pbarena_alloc(struct pbarena *a, size_t size)
{
	return arena_alloc(a, size);
}

void
pbarena_init(struct pbarena *a)
{
	a->alloc.alloc = arena_alloc;
	a->alloc.free = arena_free;
	a->alloc.allocator_data = a;
	a->chunks = NULL;
	a->next = a->end = NULL;
}

void
pbarena_reset(struct pbarena *a)
{
	struct pbarena_chunk *keep = a->chunks, *c;

	if (keep == NULL)
		return;
	if (keep->size > PBARENA_KEEP_MAX) {
		pbarena_fini(a);
		return;
	}
	/* the newest chunk is the largest: keep it for the next message */
	c = keep->next;
	while (c != NULL) {
		struct pbarena_chunk *next = c->next;

		free(c);
		c = next;
	}
	keep->next = NULL;
	a->next = keep->data;
	a->end = keep->data + keep->size;
}

void
pbarena_fini(struct pbarena *a)
{
	struct pbarena_chunk *c = a->chunks;

	while (c != NULL) {
		struct pbarena_chunk *next = c->next;

		free(c);
		c = next;
	}
	pbarena_init(a);
}
