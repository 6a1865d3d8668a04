/*
 * util.h - small helpers shared by the consensus/ services (fibstream.c,
 * regionexp.c, regionx.c): their log lines, allocation that aborts when
 * memory runs out, and copying an ID a client sent.
 */
#ifndef CEN_CONS_UTIL_H
#define CEN_CONS_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* util.c */

/* Writes one line to stderr: "cend[<node>]: <what>: " and the message
 * (node 0, no node: "cend: <what>: "). */
void util_vlog(uint64_t node, const char *what, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* malloc, calloc and realloc of n bytes (0 taken as 1) that never return
 * NULL: out of memory, they print "<who>: out of memory (<n> bytes)" and
 * abort.  The memory belongs to the caller (free). */
void *util_alloc(const char *who, size_t n);
void *util_zalloc(const char *who, size_t n);
void *util_realloc(const char *who, void *p, size_t n);

/* Copies src (NULL: "") into dst of size bytes (size >= 1), keeping only
 * the printable characters other than space and truncating to fit; dst is
 * always terminated.  For IDs and names that came from outside and go
 * into logs and listings. */
void util_copy_id(char *dst, size_t size, const char *src);

#endif
