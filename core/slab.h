/*
 * slab.h - fixed-size object allocator.
 *
 * Objects come from large chunks and go back onto a free list; a slab never
 * returns memory to the system until slab_fini.  Chunks start at
 * SLAB_CHUNK_MIN bytes and double up to SLAB_CHUNK_MAX, so a slab holding a
 * handful of objects stays small and a slab holding millions costs one
 * malloc per SLAB_CHUNK_MAX bytes.  Used for the objects the RIB
 * holds by the million (paths, trie nodes) so that they cost their size and
 * not malloc's per-allocation overhead.
 */
#ifndef CEN_SLAB_H
#define CEN_SLAB_H

#include <stddef.h>
#include <stdint.h>

#define SLAB_CHUNK_MIN (4u << 10)
#define SLAB_CHUNK_MAX (256u << 10)

struct slab {
	size_t size;	  /* object size, rounded up to 8 */
	size_t per_chunk; /* objects in the last chunk */
	void **chunks;	  /* chunk pointers */
	size_t nchunks, cap_chunks;
	size_t next; /* next never-used object in the last chunk */
	void *free;  /* free list, linked through the objects */
	size_t live; /* objects handed out and not freed */
};

/* slab.c */
void slab_init(struct slab *s, size_t size);
/* Returns zeroed memory, or NULL when out of memory. */
void *slab_alloc(struct slab *s);
void slab_free(struct slab *s, void *obj);
/* Frees every chunk; every object becomes invalid. */
void slab_fini(struct slab *s);
/* Bytes held from the system. */
size_t slab_bytes(const struct slab *s);

#endif
