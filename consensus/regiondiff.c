/*
 * regiondiff.c - the difference between the paths another region holds
 * for its attachments and the ones this cluster holds for them
 * (regionx.h): a merge of two lists sorted by (attachment, peer, prefix).
 *
 * Pure: no I/O, no engine; attributes are compared by pointer, which is
 * equality for sets interned in one attr_store.  The importer proposes
 * what it reports, so a reconnect changes only what really changed.
 */
#include <stdlib.h>
#include <string.h>

#include "consensus/regionx.h"

int
regiondiff_cmp(const struct regiondiff_path *a, const struct regiondiff_path *b)
{
	int c = strcmp(a->attachment, b->attachment);

	if (c != 0)
		return c;
	if (a->peer.family != b->peer.family)
		return a->peer.family < b->peer.family ? -1 : 1;
	if (a->peer.family != PREFIX_AF_NONE &&
	    (c = prefix_cmp(&a->peer, &b->peer)) != 0)
		return c;
	return prefix_cmp(&a->prefix, &b->prefix);
}

static int
cmp_seq(const void *pa, const void *pb)
{
	const struct regiondiff_path *a = pa, *b = pb;
	int c = regiondiff_cmp(a, b);

	if (c != 0)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void
regiondiff_sort(struct regiondiff_path *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		v[i].seq = i;
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_seq);
}

/* The index of the last path with the key of v[i] (duplicates are
 * adjacent once sorted). */
static size_t
last_of(const struct regiondiff_path *v, size_t n, size_t i)
{
	while (i + 1 < n && regiondiff_cmp(&v[i], &v[i + 1]) == 0)
		i++;
	return i;
}

int
regiondiff_run(const struct regiondiff_path *theirs, size_t ntheirs,
	       const struct regiondiff_path *ours, size_t nours,
	       regiondiff_cb cb, void *arg, struct regiondiff_stats *st)
{
	struct regiondiff_stats s = { 0 };
	size_t i = 0, k = 0;
	int rc = 0;

	while (rc == 0 && (i < ntheirs || k < nours)) {
		int c;

		if (i < ntheirs)
			i = last_of(theirs, ntheirs, i);
		if (k < nours)
			k = last_of(ours, nours, k);
		if (i == ntheirs)
			c = 1;
		else if (k == nours)
			c = -1;
		else
			c = regiondiff_cmp(&theirs[i], &ours[k]);
		if (c < 0) {
			s.added++;
			rc = cb(REGIONDIFF_ADD, &theirs[i++], arg);
		} else if (c > 0) {
			s.withdrawn++;
			rc = cb(REGIONDIFF_WITHDRAW, &ours[k++], arg);
		} else if (theirs[i].attrs != ours[k].attrs) {
			s.changed++;
			rc = cb(REGIONDIFF_CHANGE, &theirs[i++], arg);
			k++;
		} else {
			s.same++;
			i++;
			k++;
		}
	}
	if (st != NULL)
		*st = s;
	return rc;
}
