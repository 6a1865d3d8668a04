/*
 * regiondiff.c - the difference between the paths another region holds
 * for its attachments and the ones this cluster holds for them
 * (regionx.h): a merge of two lists sorted by (attachment, peer, prefix).
 *
 * Pure: no I/O, no engine; attributes are compared by pointer, which is
 * equality for sets interned in one attr_store.  The importer proposes
 * what it reports, so a reconnect changes only what really changed.  The
 * paths of the other side come from its PathUpdates, adds and groups
 * alike (regiondiff_update_paths).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/regionx.h"
#include "consensus/store.h"
#include "proto/command.pb-c.h"

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

/* The last attribute message converted and its set: the adds of one
 * update mostly repeat one (a decoded update shares the message). */
struct conv {
	const Cend__V1__PathAttrs *m;
	const struct attrs *a; /* a reference held here */
};

static int
conv_get(struct attr_store *as, struct conv *c, const Cend__V1__PathAttrs *m,
	 const struct attrs **out, struct cen_err *err)
{
	if (c->m != m) {
		const struct attrs *a;
		int rc = store_attrs_from_msg(as, m, &a, err);

		if (rc != 0)
			return rc;
		if (c->a != NULL)
			attr_unref(as, c->a);
		c->m = m;
		c->a = a;
	}
	attr_ref(c->a);
	*out = c->a;
	return 0;
}

size_t
regiondiff_update_paths(struct attr_store *as, const Cend__V1__PathUpdate *u,
			regiondiff_path_fn path, regiondiff_refuse_fn refused,
			void *arg)
{
	struct cen_err err = { 0 };
	struct conv c = { 0 };
	const struct attrs *at;
	struct prefix pfx;
	char msg[sizeof(err.msg) + 64];
	size_t n = 0;

	for (size_t i = 0; i < u->n_adds; i++) {
		const Cend__V1__PathAdd *a = u->adds[i];

		if (store_prefix_unpack(a->prefix.data, a->prefix.len, &pfx,
					&err) != 0) {
			snprintf(msg, sizeof(msg), "adds[%zu].%s", i, err.msg);
			refused(msg, arg);
			continue;
		}
		if (a->attrs == NULL) {
			snprintf(msg, sizeof(msg), "adds[%zu]: no attributes",
				 i);
			refused(msg, arg);
			continue;
		}
		if (conv_get(as, &c, a->attrs, &at, &err) != 0) {
			snprintf(msg, sizeof(msg), "adds[%zu].attrs: %s", i,
				 err.msg);
			refused(msg, arg);
			continue;
		}
		path(&pfx, at, arg);
		n++;
	}
	for (size_t i = 0; i < u->n_groups; i++) {
		const Cend__V1__PathGroup *g = u->groups[i];
		struct store_prefix_iter it;
		int rc;

		if (g->attrs == NULL) {
			snprintf(msg, sizeof(msg), "groups[%zu]: no attributes",
				 i);
			refused(msg, arg);
			continue;
		}
		if (conv_get(as, &c, g->attrs, &at, &err) != 0) {
			snprintf(msg, sizeof(msg), "groups[%zu].attrs: %s", i,
				 err.msg);
			refused(msg, arg);
			continue;
		}
		attr_unref(as, at); /* c holds one while the group is read */
		store_prefix_iter_init(&it, g->prefixes.data, g->prefixes.len,
				       i);
		while ((rc = store_prefix_iter_next(&it, &pfx, &err)) > 0) {
			attr_ref(c.a);
			path(&pfx, c.a, arg);
			n++;
		}
		if (rc < 0)
			refused(err.msg, arg);
	}
	if (c.a != NULL)
		attr_unref(as, c.a);
	return n;
}
