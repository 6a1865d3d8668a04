/*
 * table.c - cenctl's `-w table` output: rows of cells printed in columns
 * padded to the widest cell, two spaces apart, under an upper-case header.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cenctl.h"

static void
nomem(void)
{
	fprintf(stderr, "cenctl: out of memory\n");
	exit(1);
}

static void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL)
		nomem();
	return p;
}

void
table_init(struct table *t, size_t ncols, const char *const *header)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	for (size_t i = 0; i < ncols; i++)
		table_cell(t, header[i]);
}

void
table_cell(struct table *t, const char *s)
{
	char *c;

	if (t->ncells == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cells = xrealloc(t->cells, t->cap * sizeof(*t->cells));
	}
	c = strdup(s != NULL ? s : "");
	if (c == NULL)
		nomem();
	t->cells[t->ncells++] = c;
	t->nrows = (t->ncells + t->ncols - 1) / t->ncols;
}

void
table_cellf(struct table *t, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	table_cell(t, buf);
}

void
table_cell_u64(struct table *t, uint64_t v)
{
	table_cellf(t, "%llu", (unsigned long long)v);
}

/* Display width of a UTF-8 string: its code points. */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void
table_print(const struct table *t)
{
	size_t *w = calloc(t->ncols, sizeof(*w));

	if (w == NULL)
		nomem();
	for (size_t i = 0; i < t->ncells; i++) {
		size_t cw = width(t->cells[i]);

		if (cw > w[i % t->ncols])
			w[i % t->ncols] = cw;
	}
	for (size_t r = 0; r < t->nrows; r++) {
		size_t end = t->ncols; /* columns up to the last non-empty */

		while (end > 1) {
			size_t i = r * t->ncols + end - 1;

			if (i < t->ncells && t->cells[i][0] != '\0')
				break;
			end--;
		}
		for (size_t c = 0; c < end; c++) {
			size_t i = r * t->ncols + c;
			const char *s = i < t->ncells ? t->cells[i] : "";
			bool last = c + 1 == end;

			if (r == 0) {
				for (const char *p = s; *p != '\0'; p++)
					putchar(*p >= 'a' && *p <= 'z'
							? *p - 'a' + 'A'
							: *p);
			} else {
				fputs(s, stdout);
			}
			if (!last)
				printf("%*s", (int)(w[c] - width(s) + 2), "");
		}
		putchar('\n');
	}
	free(w);
}

void
table_free(struct table *t)
{
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

char *
table_bytes(uint64_t n, char *buf, size_t size)
{
	static const char *unit[] = { "kB", "MB", "GB", "TB", "PB", "EB" };
	double v = (double)n;
	size_t u = 0;

	if (n < 1000) {
		snprintf(buf, size, "%llu B", (unsigned long long)n);
		return buf;
	}
	v /= 1000;
	while (v >= 999.5 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1000;
		u++;
	}
	if (v < 9.95)
		snprintf(buf, size, "%.1f %s", v, unit[u]);
	else
		snprintf(buf, size, "%.0f %s", v, unit[u]);
	return buf;
}
