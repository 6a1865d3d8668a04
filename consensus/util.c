/*
 * util.c - small helpers shared by the consensus/ services (util.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "consensus/util.h"

void
util_vlog(uint64_t node, const char *what, const char *fmt, va_list ap)
{
	if (node != 0)
		fprintf(stderr, "cend[%llu]: %s: ", (unsigned long long)node,
			what);
	else
		fprintf(stderr, "cend: %s: ", what);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void
oom(const char *who, size_t n)
{
	fprintf(stderr, "%s: out of memory (%zu bytes)\n", who, n);
	abort();
}

void *
util_alloc(const char *who, size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(who, n);
	return p;
}

void *
util_zalloc(const char *who, size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (p == NULL)
		oom(who, n);
	return p;
}

void *
util_realloc(const char *who, void *p, size_t n)
{
	if ((p = realloc(p, n ? n : 1)) == NULL)
		oom(who, n);
	return p;
}

void
util_copy_id(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	for (; src != NULL && *src != '\0' && n + 1 < size; src++)
		if (*src > ' ' && *src < 0x7f)
			dst[n++] = *src;
	dst[n] = '\0';
}
