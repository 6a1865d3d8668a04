/*
 * slab.h - fixed-size object allocator.
 *
 * Objects live in size-aligned pages (the smallest power of two of at least
 * SLAB_PAGE bytes that holds SLAB_PAGE_MIN_OBJS objects), each with its
 * own free list and count of live objects, so that the page of an object is
 * found by masking its address.  Pages are carved from blocks that start at
 * SLAB_CHUNK_MIN bytes and double up to SLAB_CHUNK_MAX: a slab holding a
 * handful of objects stays small and a slab holding millions costs one
 * mmap per SLAB_CHUNK_MAX bytes.  A page whose last object is freed
 * goes back to the system (madvise MADV_DONTNEED) and is reused, zero-filled
 * by the kernel, before any new page is carved.  SLAB_SPARE empty pages stay
 * resident so that allocating and freeing across a page boundary does not
 * call the kernel each time, and emptied pages are released in batches (of
 * more than SLAB_PENDING pages and a sixteenth of the slab, or all of them
 * as soon as the slab holds no object) so that adjacent ones go back
 * together.  Blocks themselves are unmapped by slab_fini.
 *
 * Used for the objects the RIB holds by the million (paths, trie nodes,
 * attribute sets) so that they cost their size and not malloc's
 * per-allocation overhead, and so that a withdrawn table gives its memory
 * back.
 */
#ifndef CEN_SLAB_H
#define CEN_SLAB_H

#include <stddef.h>
#include <stdint.h>

#define SLAB_PAGE	   (4u << 10)	/* smallest page */
#define SLAB_PAGE_MIN_OBJS 16		/* objects a page holds at least */
#define SLAB_CHUNK_MIN	   (4u << 10)	/* first block */
#define SLAB_CHUNK_MAX	   (256u << 10) /* largest block */
#define SLAB_SPARE	   2		/* empty pages kept resident */
#define SLAB_PENDING	   16 /* a release waits for more empty pages */

struct slab_page;

/* Private to slab.c; size, live, page_size and first may be read. */
struct slab {
	size_t size;		   /* object size, rounded up to 8 */
	size_t live;		   /* objects handed out and not freed */
	size_t page_size;	   /* a power of two */
	uint32_t per_page;	   /* objects in a page */
	uint32_t first;		   /* offset of a page's first object */
	struct slab_page *partial; /* pages with live and free objects */
	struct slab_page *spare;   /* empty pages kept resident */
	size_t nspare;
	/* empty pages: released ones at the bottom, pending ones at the top */
	void **empty;
	size_t nreleased, npending, cap_empty;
	char *carve, *carve_end; /* the last block's pages not yet used */
	void **blocks;
	size_t nblocks, cap_blocks;
	size_t npages; /* pages carved from the blocks */
};

/* slab.c */
void slab_init(struct slab *s, size_t size);
/* Returns zeroed memory aligned to 8 bytes, or NULL when out of memory. */
void *slab_alloc(struct slab *s);
/* obj must come from slab_alloc on s and be live; NULL is ignored. */
void slab_free(struct slab *s, void *obj);
/* Frees every block; every object becomes invalid.  The slab stays usable,
 * as if freshly initialised with the same size. */
void slab_fini(struct slab *s);
/* Bytes resident: pages holding objects or empty but not yet released,
 * plus the slab's own bookkeeping.  Released pages and pages not yet
 * carved from the last block are not counted. */
size_t slab_bytes(const struct slab *s);

#endif
