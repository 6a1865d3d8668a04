/*
 * slab.c - fixed-size object allocator (slab.h).
 *
 * Objects are carved from malloc'd chunks in order; freed objects go onto a
 * free list linked through their first word and are handed out again before
 * any new object is carved.  Chunk k holds min(first << k, max) objects, so
 * the chunk size doubles from SLAB_CHUNK_MIN up to SLAB_CHUNK_MAX bytes.
 * Under AddressSanitizer, free and never-used objects are poisoned so a use
 * after slab_free is reported like one after free().
 */
#include "slab.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define SLAB_POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define SLAB_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define SLAB_POISON(p, n)   ((void)(p), (void)(n))
#define SLAB_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* Objects in chunk number k. */
static size_t
chunk_objs(const struct slab *s, size_t k)
{
	size_t n, max;

	n = SLAB_CHUNK_MIN / s->size;
	max = SLAB_CHUNK_MAX / s->size;
	if (n == 0)
		n = 1;
	while (k-- > 0 && n < max)
		n *= 2;
	return n < max ? n : (max > 0 ? max : 1);
}

void
slab_init(struct slab *s, size_t size)
{
	memset(s, 0, sizeof(*s));
	if (size < sizeof(void *))
		size = sizeof(void *);
	s->size = (size + 7) & ~(size_t)7;
	s->per_chunk = chunk_objs(s, 0);
}

static int
slab_grow(struct slab *s)
{
	size_t n = chunk_objs(s, s->nchunks);
	void *chunk;

	if (s->nchunks == s->cap_chunks) {
		size_t cap = s->cap_chunks ? s->cap_chunks * 2 : 8;
		void **c = realloc(s->chunks, cap * sizeof(*c));

		if (c == NULL)
			return -1;
		s->chunks = c;
		s->cap_chunks = cap;
	}
	chunk = malloc(n * s->size);
	if (chunk == NULL)
		return -1;
	SLAB_POISON(chunk, n * s->size);
	s->chunks[s->nchunks++] = chunk;
	s->per_chunk = n;
	s->next = 0;
	return 0;
}

void *
slab_alloc(struct slab *s)
{
	void *obj;

	if (s->free != NULL) {
		obj = s->free;
		SLAB_UNPOISON(obj, s->size);
		s->free = *(void **)obj;
	} else {
		if (s->nchunks == 0 || s->next == s->per_chunk) {
			if (slab_grow(s) < 0)
				return NULL;
		}
		obj = (char *)s->chunks[s->nchunks - 1] + s->next * s->size;
		s->next++;
		SLAB_UNPOISON(obj, s->size);
	}
	memset(obj, 0, s->size);
	s->live++;
	return obj;
}

void
slab_free(struct slab *s, void *obj)
{
	if (obj == NULL)
		return;
	*(void **)obj = s->free;
	s->free = obj;
	s->live--;
	SLAB_POISON((char *)obj + sizeof(void *), s->size - sizeof(void *));
}

void
slab_fini(struct slab *s)
{
	size_t i, size = s->size;

	for (i = 0; i < s->nchunks; i++) {
		SLAB_UNPOISON(s->chunks[i], chunk_objs(s, i) * s->size);
		free(s->chunks[i]);
	}
	free(s->chunks);
	memset(s, 0, sizeof(*s));
	/* The slab stays usable, as if freshly initialised. */
	s->size = size;
	if (size != 0)
		s->per_chunk = chunk_objs(s, 0);
}

size_t
slab_bytes(const struct slab *s)
{
	size_t i, bytes = s->cap_chunks * sizeof(void *);

	for (i = 0; i < s->nchunks; i++)
		bytes += chunk_objs(s, i) * s->size;
	return bytes;
}
