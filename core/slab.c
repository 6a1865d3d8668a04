/*
 * slab.c - fixed-size object allocator (slab.h).
 *
 * A slab's objects live in pages of page_size bytes, aligned to their size,
 * so that slab_free finds an object's page by masking its address.  A page
 * starts with a header (struct slab_page): its free list, linked through
 * the first word of the free objects, the offset of its next never-used
 * object, and its count of live objects.  A page is in one of five states:
 *
 *   partial   some objects live, some free or never used: on s->partial
 *   full      every object live: on no list
 *   spare     no object live, memory kept: on s->spare (at most SLAB_SPARE)
 *   pending   no object live, memory kept until the next release: at the
 *             top of s->empty
 *   released  no object live, memory given back with MADV_DONTNEED: at the
 *             bottom of s->empty; its header is gone (the kernel hands the
 *             page back zero-filled when it is touched again)
 *
 * A page that empties becomes a spare if there is room, else pending.  When
 * more than SLAB_PENDING pages and more than a sixteenth of the resident
 * ones are pending, and when the slab's last object is freed, the pending
 * pages are sorted and released with one madvise per run of adjacent
 * pages.  A table being withdrawn, in whatever order, empties its pages in
 * bursts that go back in long runs: the kernel is called once per many
 * pages rather than once per page, and the pages held back stay a bounded
 * fraction of the slab.
 *
 * slab_alloc takes an object from the first partial page; when there is
 * none it takes a spare page, else a pending one, else a released one,
 * else carves a new page from the last block, else maps a new block.
 * Block k is min(SLAB_CHUNK_MIN << k, SLAB_CHUNK_MAX) bytes (at least one
 * page), so a small slab costs one page and a large one one mmap per
 * SLAB_CHUNK_MAX bytes; blocks are mapped rather than malloc'd so that no
 * allocator header shares (and keeps resident) a page before them.
 * s->empty always has room for every page of every block, so slab_free
 * never allocates.  Everything is O(1) except a release, which is
 * O(n log n) in the n pages it releases.
 *
 * Under AddressSanitizer, free and never-used objects and released pages
 * are poisoned so a use after slab_free is reported like one after free();
 * the headers of pages that are not released are not.
 */
#include "slab.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SLAB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_ASAN 1 /* clang's spelling */
#endif
#endif

#if defined(SLAB_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
#define SLAB_POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define SLAB_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
/* LeakSanitizer must see the pointers objects hold: blocks are roots. */
#define SLAB_ROOT(p, n)	  __lsan_register_root_region((p), (n))
#define SLAB_UNROOT(p, n) __lsan_unregister_root_region((p), (n))
#else
#define SLAB_POISON(p, n)   ((void)(p), (void)(n))
#define SLAB_UNPOISON(p, n) ((void)(p), (void)(n))
#define SLAB_ROOT(p, n)	    ((void)(p), (void)(n))
#define SLAB_UNROOT(p, n)   ((void)(p), (void)(n))
#endif

struct slab_page {
	struct slab_page *next, *prev; /* on s->partial; next on s->spare */
	void *free;		       /* free objects, linked through word 0 */
	uint32_t fresh; /* offset of the next never-used object */
	uint32_t live;	/* objects handed out and not freed */
};

/* Objects start after the header, 8-aligned. */
#define SLAB_FIRST ((sizeof(struct slab_page) + 7) & ~(size_t)7)

static struct slab_page *
page_of(const struct slab *s, const void *obj)
{
	return (struct slab_page *)((uintptr_t)obj &
				    ~(uintptr_t)(s->page_size - 1));
}

/* Bytes of block number k. */
static size_t
block_bytes(const struct slab *s, size_t k)
{
	size_t b = SLAB_CHUNK_MIN, max = SLAB_CHUNK_MAX;

	if (b < s->page_size)
		b = s->page_size;
	if (max < s->page_size)
		max = s->page_size;
	while (k-- > 0 && b < max)
		b *= 2;
	return b < max ? b : max;
}

void
slab_init(struct slab *s, size_t size)
{
	size_t ps = SLAB_PAGE;
	long sys = sysconf(_SC_PAGESIZE);

	memset(s, 0, sizeof(*s));
	if (size < sizeof(void *))
		size = sizeof(void *);
	s->size = (size + 7) & ~(size_t)7;
	/* madvise works on whole system pages */
	while (sys > 0 && ps < (size_t)sys)
		ps *= 2;
	while ((ps - SLAB_FIRST) / s->size < SLAB_PAGE_MIN_OBJS)
		ps *= 2;
	s->page_size = ps;
	s->per_page = (uint32_t)((ps - SLAB_FIRST) / s->size);
	s->first = (uint32_t)SLAB_FIRST;
}

/* bytes of fresh memory aligned to align (both powers of two, at least the
 * system page), or NULL. */
static void *
block_map(size_t align, size_t bytes)
{
	size_t sys = (size_t)sysconf(_SC_PAGESIZE), extra, head;
	char *p;

	extra = align > sys ? align - sys : 0;
	p = mmap(NULL, bytes + extra, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (extra == 0)
		return p;
	head = (align - ((uintptr_t)p & (align - 1))) & (align - 1);
	if (head > 0)
		munmap(p, head);
	if (extra > head)
		munmap(p + head + bytes, extra - head);
	return p + head;
}

static int
block_new(struct slab *s)
{
	size_t bytes = block_bytes(s, s->nblocks);
	size_t pages = s->npages + bytes / s->page_size;
	void *b;

	if (s->nblocks == s->cap_blocks) {
		size_t cap = s->cap_blocks ? s->cap_blocks * 2 : 8;
		void **v = realloc(s->blocks, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		s->blocks = v;
		s->cap_blocks = cap;
	}
	if (s->cap_empty < pages) {
		size_t cap = s->cap_empty ? s->cap_empty * 2 : 8;
		void **v;

		if (cap < pages)
			cap = pages;
		if ((v = realloc(s->empty, cap * sizeof(*v))) == NULL)
			return -1;
		/* the pending pages stay at the top */
		memmove(v + cap - s->npending, v + s->cap_empty - s->npending,
			s->npending * sizeof(*v));
		s->empty = v;
		s->cap_empty = cap;
	}
	if ((b = block_map(s->page_size, bytes)) == NULL)
		return -1;
	SLAB_ROOT(b, bytes);
	SLAB_POISON(b, bytes);
	s->blocks[s->nblocks++] = b;
	s->carve = b;
	s->carve_end = (char *)b + bytes;
	return 0;
}

/* A page for s->partial, which is empty: a spare, a pending, a released or
 * a new one.  NULL when out of memory. */
static struct slab_page *
page_get(struct slab *s)
{
	struct slab_page *pg;

	if ((pg = s->spare) != NULL) {
		s->spare = pg->next;
		s->nspare--;
	} else if (s->npending > 0) {
		pg = s->empty[s->cap_empty - s->npending--];
	} else {
		if (s->nreleased > 0) {
			pg = s->empty[--s->nreleased];
		} else {
			if (s->carve == s->carve_end && block_new(s) < 0)
				return NULL;
			pg = (struct slab_page *)s->carve;
			s->carve += s->page_size;
			s->npages++;
		}
		SLAB_UNPOISON(pg, SLAB_FIRST);
		pg->free = NULL;
		pg->fresh = s->first;
		pg->live = 0;
	}
	pg->next = pg->prev = NULL;
	s->partial = pg;
	return pg;
}

static int
addr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a;
	uintptr_t y = (uintptr_t) * (void *const *)b;

	return x < y ? -1 : x > y;
}

/* Gives the pending pages back to the system, one run of adjacent pages at
 * a time; they become released. */
static void
pending_release(struct slab *s)
{
	void **v = s->empty + s->cap_empty - s->npending;
	size_t i, j, n = s->npending, len;

	qsort(v, n, sizeof(*v), addr_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n; j++)
			if ((char *)v[j] != (char *)v[j - 1] + s->page_size)
				break;
		len = (j - i) * s->page_size;
		/* If the kernel refuses, the pages merely stay resident. */
		(void)madvise(v[i], len, MADV_DONTNEED);
		SLAB_POISON(v[i], len);
	}
	/* nreleased + n <= cap_empty: the copy never overtakes its source */
	for (i = 0; i < n; i++)
		s->empty[s->nreleased++] = v[i];
	s->npending = 0;
}

/* pg has no live object left and is on no list. */
static void
page_empty(struct slab *s, struct slab_page *pg)
{
	size_t limit;

	if (s->nspare < SLAB_SPARE) {
		pg->next = s->spare;
		s->spare = pg;
		s->nspare++;
		return;
	}
	s->empty[s->cap_empty - ++s->npending] = pg;
	limit = (s->npages - s->nreleased) / 16;
	if (s->npending > (limit > SLAB_PENDING ? limit : SLAB_PENDING))
		pending_release(s);
}

void *
slab_alloc(struct slab *s)
{
	struct slab_page *pg;
	void **obj;

	if ((pg = s->partial) == NULL && (pg = page_get(s)) == NULL)
		return NULL;
	if ((obj = pg->free) != NULL) {
		SLAB_UNPOISON(obj, s->size);
		pg->free = *obj;
	} else {
		/* live + free + never used = per_page, and live < per_page */
		obj = (void **)((char *)pg + pg->fresh);
		pg->fresh += (uint32_t)s->size;
		SLAB_UNPOISON(obj, s->size);
	}
	if (++pg->live == s->per_page) {
		/* full: off the partial list, whose head it is */
		s->partial = pg->next;
		if (pg->next != NULL)
			pg->next->prev = NULL;
	}
	s->live++;
	memset(obj, 0, s->size);
	return obj;
}

void
slab_free(struct slab *s, void *obj)
{
	struct slab_page *pg;
	bool was_full;

	if (obj == NULL)
		return;
	pg = page_of(s, obj);
	if (pg->live == 0 || s->live == 0) {
		fprintf(stderr, "slab_free: %p is not a live object\n", obj);
		abort();
	}
	*(void **)obj = pg->free;
	pg->free = obj;
	SLAB_POISON((char *)obj + sizeof(void *), s->size - sizeof(void *));
	s->live--;
	was_full = pg->live-- == s->per_page;
	if (pg->live == 0) {
		if (!was_full) {
			if (pg->prev != NULL)
				pg->prev->next = pg->next;
			else
				s->partial = pg->next;
			if (pg->next != NULL)
				pg->next->prev = pg->prev;
		}
		page_empty(s, pg);
		if (s->live == 0 && s->npending > 0)
			pending_release(s);
	} else if (was_full) {
		pg->prev = NULL;
		pg->next = s->partial;
		if (s->partial != NULL)
			s->partial->prev = pg;
		s->partial = pg;
	}
}

void
slab_fini(struct slab *s)
{
	size_t i, size = s->size;

	for (i = 0; i < s->nblocks; i++) {
		size_t bytes = block_bytes(s, i);

		SLAB_UNPOISON(s->blocks[i], bytes);
		SLAB_UNROOT(s->blocks[i], bytes);
		munmap(s->blocks[i], bytes);
	}
	free(s->blocks);
	free(s->empty);
	/* The slab stays usable, as if freshly initialised. */
	if (size != 0)
		slab_init(s, size);
	else
		memset(s, 0, sizeof(*s));
}

size_t
slab_bytes(const struct slab *s)
{
	return (s->npages - s->nreleased) * s->page_size +
	       (s->cap_blocks + s->cap_empty) * sizeof(void *);
}
