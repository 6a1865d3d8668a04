/*
 * pbarena.h - a bump allocator for protobuf-c: every allocation made while
 * unpacking a message comes from a few large chunks, freeing one is a
 * no-op, and the whole arena is released at once.  The write path unpacks
 * messages of thousands of sub-messages (a cend.v1.Batch of PathAdds);
 * with the default allocator that is one malloc and one free each.
 *
 *	struct pbarena a;
 *	pbarena_init(&a);
 *	m = cend__v1__batch__unpack(&a.alloc, len, buf);
 *	... use m ...
 *	pbarena_reset(&a);	(m is gone; no free_unpacked needed)
 *	pbarena_fini(&a);
 *
 * Not thread-safe; one arena per user.
 */
#ifndef CEN_PBARENA_H
#define CEN_PBARENA_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

struct pbarena_chunk;

struct pbarena {
	ProtobufCAllocator alloc;     /* hand &a->alloc to protobuf-c */
	struct pbarena_chunk *chunks; /* newest first */
	char *next, *end;	      /* free space of the newest chunk */
};

/* pbarena.c */
void pbarena_init(struct pbarena *a);
/* size bytes (aligned for any type) until the next reset, or NULL. */
void *pbarena_alloc(struct pbarena *a, size_t size);
/* Frees everything allocated from a; keeps one chunk for reuse. */
void pbarena_reset(struct pbarena *a);
void pbarena_fini(struct pbarena *a);

#endif
