/*
 * test_attr.c - interned attribute sets, AS paths and communities (attr.c).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/attr.h"
#include "core/err.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Runs fn in a child; returns true if it died of SIGABRT with a message on
 * stderr containing want. */
static bool
child_aborts_with(void (*fn)(void), const char *want)
{
	char msg[1024];
	size_t len = 0;
	int fds[2], status;
	ssize_t r;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], 2);
		fn();
		_exit(0);
	}
	close(fds[1]);
	while (len < sizeof(msg) - 1 &&
	       (r = read(fds[0], msg + len, sizeof(msg) - 1 - len)) > 0)
		len += (size_t)r;
	msg[len] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT &&
	       strstr(msg, want) != NULL;
}

static void
set_v4(struct prefix *p, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memset(p, 0, sizeof(*p));
	p->family = PREFIX_AF_INET;
	p->len = 32;
	p->addr.v4[0] = a;
	p->addr.v4[1] = b;
	p->addr.v4[2] = c;
	p->addr.v4[3] = d;
}

static const struct attr_aspath *
seq(struct attr_store *st, uint32_t a, uint32_t b)
{
	uint32_t asns[] = { a, b };

	return attr_aspath_seq(st, asns, 2);
}

static void
test_attr_intern_same_content_returns_same_pointer(void **state)
{
	struct attr_store st;
	uint32_t w[] = { ATTR_SEG_SEQUENCE, 2, 65001, 65002 };
	uint32_t c1[] = { 1, 2, 3 }, c2[] = { 1, 2, 3 };
	struct attr_lcomm l[] = { { 1, 2, 3 } };
	uint8_t blob1[] = { 0xc0, 99, 1, 7 }, blob2[] = { 0xc0, 99, 1, 7 };
	const struct attr_aspath *p1, *p2;
	const struct attr_comms *k1, *k2;
	const struct attr_lcomms *l1, *l2;
	const struct attr_opaque *o1, *o2;
	const struct attrs *s1, *s2;
	struct attrs a, b;

	attr_store_init(&st);
	p1 = attr_aspath_intern(&st, w, NELEM(w));
	p2 = seq(&st, 65001, 65002);
	assert_non_null(p1);
	assert_ptr_equal(p1, p2);
	assert_int_equal(p1->refcnt, 2);
	k1 = attr_comms_intern(&st, c1, 3);
	k2 = attr_comms_intern(&st, c2, 3);
	assert_ptr_equal(k1, k2);
	l1 = attr_lcomms_intern(&st, l, 1);
	l2 = attr_lcomms_intern(&st, l, 1);
	assert_ptr_equal(l1, l2);
	o1 = attr_opaque_intern(&st, blob1, sizeof(blob1));
	o2 = attr_opaque_intern(&st, blob2, sizeof(blob2));
	assert_ptr_equal(o1, o2);
	assert_int_equal(o1->len, 4);
	assert_memory_equal(o1->bytes, blob1, 4);

	attr_init(&a);
	a.aspath = p1;
	a.comms = k1;
	a.lcomms = l1;
	a.opaque = o1;
	a.med = 10;
	a.flags = ATTR_F_MED;
	b = a;
	b.aspath = p2;
	s1 = attr_intern(&st, &a);
	s2 = attr_intern(&st, &b);
	assert_non_null(s1);
	assert_ptr_equal(s1, s2);
	assert_int_equal(s1->refcnt, 2);
	assert_int_equal(attr_store_count(&st), 1);

	attr_unref(&st, s1);
	attr_unref(&st, s2);
	attr_aspath_unref(&st, p1);
	attr_aspath_unref(&st, p2);
	attr_comms_unref(&st, k1);
	attr_comms_unref(&st, k2);
	attr_lcomms_unref(&st, l1);
	attr_lcomms_unref(&st, l2);
	attr_opaque_unref(&st, o1);
	attr_opaque_unref(&st, o2);
	assert_int_equal(st.bytes, 0);
	attr_store_fini(&st, false);
}

static void
test_attr_intern_different_content_returns_different_pointers(void **state)
{
	struct attr_store st;
	const struct attr_aspath *p1, *p2;
	const struct attrs *s[6];
	struct attrs a;
	size_t i, j;

	attr_store_init(&st);
	p1 = seq(&st, 65001, 65002);
	p2 = seq(&st, 65002, 65001);
	assert_ptr_not_equal(p1, p2);

	for (i = 0; i < NELEM(s); i++) {
		attr_init(&a);
		a.aspath = p1;
		switch (i) {
		case 1:
			a.aspath = p2;
			break;
		case 2:
			a.med = 5;
			break;
		case 3:
			a.pref = 60;
			break;
		case 4:
			set_v4(&a.nexthop, 10, 0, 0, 1);
			break;
		case 5:
			a.origin = ATTR_ORIGIN_INCOMPLETE;
			break;
		}
		s[i] = attr_intern(&st, &a);
		assert_non_null(s[i]);
	}
	for (i = 0; i < NELEM(s); i++)
		for (j = i + 1; j < NELEM(s); j++)
			assert_ptr_not_equal(s[i], s[j]);
	assert_int_equal(attr_store_count(&st), NELEM(s));
	for (i = 0; i < NELEM(s); i++)
		attr_unref(&st, s[i]);
	attr_aspath_unref(&st, p1);
	attr_aspath_unref(&st, p2);
	attr_store_fini(&st, false);
}

static void
test_attr_unref_frees_set_at_zero_and_releases_its_parts(void **state)
{
	struct attr_store st;
	uint32_t c[] = { 7 };
	const struct attrs *s;
	struct attrs a;

	attr_store_init(&st);
	attr_init(&a);
	a.aspath = seq(&st, 1, 2);
	a.comms = attr_comms_intern(&st, c, 1);
	a.clusters = attr_clusters_intern(&st, c, 1);
	assert_ptr_equal(a.comms, a.clusters);
	s = attr_intern(&st, &a);
	assert_non_null(s);
	/* the set holds its own references */
	assert_int_equal(s->aspath->refcnt, 2);
	assert_int_equal(s->comms->refcnt, 4);
	attr_aspath_unref(&st, a.aspath);
	attr_comms_unref(&st, a.comms);
	attr_comms_unref(&st, a.clusters);
	assert_int_equal(st.aspaths.count, 1);
	assert_int_equal(st.comms.count, 1);
	assert_int_equal(s->aspath->refcnt, 1);

	attr_ref(s);
	attr_unref(&st, s);
	assert_int_equal(attr_store_count(&st), 1);
	attr_unref(&st, s);
	assert_int_equal(attr_store_count(&st), 0);
	assert_int_equal(st.aspaths.count, 0);
	assert_int_equal(st.comms.count, 0);
	assert_int_equal(st.bytes, 0);
	attr_unref(&st, NULL);
	attr_store_fini(&st, false);
}

static void
test_attr_store_bytes_tracks_interned_memory(void **state)
{
	struct attr_store st;
	uint32_t big[1000];
	const struct attr_comms *c;
	size_t before;

	attr_store_init(&st);
	for (uint32_t i = 0; i < NELEM(big); i++)
		big[i] = i;
	c = attr_comms_intern(&st, big, NELEM(big));
	assert_true(st.bytes >= sizeof(big));
	before = st.bytes;
	/* a hit adds nothing */
	assert_ptr_equal(attr_comms_intern(&st, big, NELEM(big)), c);
	assert_int_equal(st.bytes, before);
	attr_comms_unref(&st, c);
	attr_comms_unref(&st, c);
	assert_int_equal(st.bytes, 0);
	attr_store_fini(&st, false);
}

static void
test_attr_million_interns_of_1000_sets_give_1000_objects(void **state)
{
	struct attr_store st;
	const struct attr_aspath *paths[10];
	const struct attr_comms *comms[100];
	const struct attrs *first[1000];
	size_t bytes = 0;
	uint32_t i, j;

	attr_store_init(&st);
	for (i = 0; i < 10; i++)
		paths[i] = seq(&st, 65000, 64512 + i);
	for (i = 0; i < 100; i++)
		comms[i] = attr_comms_intern(&st, &i, 1);
	memset(first, 0, sizeof(first));
	for (j = 0; j < 1000000; j++) {
		const struct attrs *s;
		struct attrs a;

		i = j % 1000;
		attr_init(&a);
		a.aspath = paths[i % 10];
		a.comms = comms[i % 100];
		a.med = i / 100;
		a.flags = ATTR_F_MED;
		s = attr_intern(&st, &a);
		assert_non_null(s);
		if (j < 1000)
			first[i] = s;
		else if (s != first[i])
			fail_msg("call %u: set %u not the interned one", j, i);
		if (j == 999)
			bytes = st.bytes;
	}
	assert_int_equal(attr_store_count(&st), 1000);
	assert_int_equal(st.bytes, bytes);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(first[i]->refcnt, 1000);
		for (j = 0; j < 1000; j++)
			attr_unref(&st, first[i]);
	}
	assert_int_equal(attr_store_count(&st), 0);
	for (i = 0; i < 10; i++)
		attr_aspath_unref(&st, paths[i]);
	for (i = 0; i < 100; i++)
		attr_comms_unref(&st, comms[i]);
	attr_store_fini(&st, false);
}

static void
ref_unref_balanced(void)
{
	struct attr_store st;
	const struct attrs *s;
	struct attrs a;

	attr_store_init(&st);
	attr_init(&a);
	s = attr_intern(&st, &a);
	attr_ref(s);
	attr_unref(&st, s);
	attr_unref(&st, s);
	attr_store_fini(&st, false);
}

/* A live object whose count is already zero stands for a lost reference
 * (the real bug is an extra unref elsewhere). */
static void
aspath_unref_below_zero(void)
{
	struct attr_store st;
	const struct attr_aspath *p;

	attr_store_init(&st);
	p = seq(&st, 1, 2);
	((struct attr_aspath *)p)->refcnt = 0;
	attr_aspath_unref(&st, p);
}

static void
set_unref_below_zero(void)
{
	struct attr_store st;
	struct attrs *s;
	struct attrs a;

	attr_store_init(&st);
	attr_init(&a);
	s = (struct attrs *)attr_intern(&st, &a);
	s->refcnt = 0;
	attr_unref(&st, s);
}

static void
test_attr_refcount_below_zero_aborts_naming_function(void **state)
{
	assert_false(child_aborts_with(ref_unref_balanced, "attr_unref"));
	assert_true(child_aborts_with(set_unref_below_zero, "attr_unref"));
	assert_true(child_aborts_with(aspath_unref_below_zero,
				      "attr_aspath_unref"));
}

static void
fini_with_leak(void)
{
	struct attr_store st;
	struct attrs a;

	attr_store_init(&st);
	attr_init(&a);
	attr_intern(&st, &a);
	attr_store_fini(&st, false);
}

static void
fini_after_release(void)
{
	struct attr_store st;
	struct attrs a;

	attr_store_init(&st);
	attr_init(&a);
	attr_unref(&st, attr_intern(&st, &a));
	attr_store_fini(&st, false);
}

static void
test_attr_store_fini_aborts_on_leak_unless_forced(void **state)
{
	struct attr_store st;
	uint32_t c[] = { 1, 2 };
	struct attrs a;

	assert_true(child_aborts_with(fini_with_leak, "1 attribute sets"));
	assert_false(child_aborts_with(fini_after_release, "attr_store_fini"));

	/* force frees everything (ASan checks nothing leaks) */
	attr_store_init(&st);
	attr_init(&a);
	a.aspath = seq(&st, 1, 2);
	a.comms = attr_comms_intern(&st, c, 2);
	assert_non_null(attr_intern(&st, &a));
	attr_store_fini(&st, true);
}

static void
malformed_intern(void)
{
	struct attr_store st;
	uint32_t w[] = { ATTR_SEG_SEQUENCE, 3, 1, 2 };

	attr_store_init(&st);
	attr_aspath_intern(&st, w, NELEM(w));
}

static void
test_attr_aspath_check_rejects_malformed_encodings(void **state)
{
	uint32_t ok[] = { ATTR_SEG_SEQUENCE,
			  2,
			  1,
			  2,
			  ATTR_SEG_SET,
			  1,
			  3,
			  ATTR_SEG_CONFED_SEQUENCE,
			  1,
			  4,
			  ATTR_SEG_CONFED_SET,
			  1,
			  5 };
	uint32_t type0[] = { 0, 1, 1 }, type5[] = { 5, 1, 1 };
	uint32_t count0[] = { ATTR_SEG_SEQUENCE, 0 };
	uint32_t overrun[] = { ATTR_SEG_SEQUENCE, 3, 1, 2 };
	uint32_t trailing[] = { ATTR_SEG_SEQUENCE, 1, 1, ATTR_SEG_SET };
	uint32_t long_seg[2 + 256];

	assert_int_equal(attr_aspath_check(ok, NELEM(ok)), 0);
	assert_int_equal(attr_aspath_check(NULL, 0), 0);
	assert_int_equal(attr_aspath_check(type0, 3), -CEN_EPARSE);
	assert_int_equal(attr_aspath_check(type5, 3), -CEN_EPARSE);
	assert_int_equal(attr_aspath_check(count0, 2), -CEN_EPARSE);
	assert_int_equal(attr_aspath_check(overrun, 4), -CEN_EPARSE);
	assert_int_equal(attr_aspath_check(trailing, 4), -CEN_EPARSE);
	memset(long_seg, 0, sizeof(long_seg));
	long_seg[0] = ATTR_SEG_SEQUENCE;
	long_seg[1] = 256;
	assert_int_equal(attr_aspath_check(long_seg, NELEM(long_seg)),
			 -CEN_EPARSE);
	long_seg[1] = 255;
	assert_int_equal(attr_aspath_check(long_seg, 257), 0);

	assert_true(child_aborts_with(malformed_intern, "attr_aspath_intern"));
}

static void
test_attr_aspath_hops_count_set_as_one_and_confed_as_zero(void **state)
{
	struct attr_store st;
	uint32_t w1[] = {
		ATTR_SEG_SEQUENCE, 3, 1, 2, 3, ATTR_SEG_SET, 2, 4, 5
	};
	uint32_t w2[] = { ATTR_SEG_CONFED_SEQUENCE, 2, 1, 2,
			  ATTR_SEG_SEQUENCE,	    1, 3 };
	uint32_t w3[] = { ATTR_SEG_CONFED_SET, 2, 1, 2 };
	const struct attr_aspath *p1, *p2, *p3, *p4;

	attr_store_init(&st);
	p1 = attr_aspath_intern(&st, w1, NELEM(w1));
	p2 = attr_aspath_intern(&st, w2, NELEM(w2));
	p3 = attr_aspath_intern(&st, w3, NELEM(w3));
	p4 = attr_aspath_intern(&st, NULL, 0);
	assert_non_null(p4);
	assert_int_equal(p1->hops, 4);
	assert_true(p1->has_set);
	assert_int_equal(p2->hops, 1);
	assert_false(p2->has_set);
	assert_int_equal(p3->hops, 0);
	assert_true(p3->has_set);
	assert_int_equal(p4->hops, 0);
	assert_false(p4->has_set);
	assert_int_equal(p4->nwords, 0);
	attr_aspath_unref(&st, p1);
	attr_aspath_unref(&st, p2);
	attr_aspath_unref(&st, p3);
	attr_aspath_unref(&st, p4);
	attr_store_fini(&st, false);
}

static void
test_attr_aspath_seq_builds_one_sequence_and_null_for_none(void **state)
{
	struct attr_store st;
	uint32_t asns[300], want[] = { ATTR_SEG_SEQUENCE, 2, 10, 20 };
	const struct attr_aspath *p;

	attr_store_init(&st);
	assert_null(attr_aspath_seq(&st, asns, 0));
	p = seq(&st, 10, 20);
	assert_int_equal(p->nwords, 4);
	assert_memory_equal(p->words, want, sizeof(want));
	assert_int_equal(p->hops, 2);
	attr_aspath_unref(&st, p);

	for (uint32_t i = 0; i < 300; i++)
		asns[i] = i + 1;
	p = attr_aspath_seq(&st, asns, 300);
	assert_int_equal(p->hops, 300);
	assert_int_equal(p->nwords, 304);
	assert_int_equal(p->words[1], 255);
	assert_int_equal(p->words[257], ATTR_SEG_SEQUENCE);
	assert_int_equal(p->words[258], 45);
	assert_int_equal(attr_aspath_check(p->words, p->nwords), 0);
	attr_aspath_unref(&st, p);
	attr_store_fini(&st, false);
}

static void
test_attr_aspath_prepend_merges_into_leading_sequence(void **state)
{
	struct attr_store st;
	uint32_t pre[] = { 100, 100 };
	uint32_t want[] = { ATTR_SEG_SEQUENCE, 4, 100, 100, 1, 2 };
	const struct attr_aspath *old, *p, *q;

	attr_store_init(&st);
	old = seq(&st, 1, 2);
	p = attr_aspath_prepend(&st, old, pre, 2);
	assert_non_null(p);
	assert_ptr_not_equal(p, old);
	assert_int_equal(p->nwords, NELEM(want));
	assert_memory_equal(p->words, want, sizeof(want));
	assert_int_equal(p->hops, 4);
	/* old keeps its content and its reference */
	assert_int_equal(old->nwords, 4);
	assert_int_equal(old->refcnt, 1);
	/* same as interning the result directly */
	q = attr_aspath_intern(&st, want, NELEM(want));
	assert_ptr_equal(p, q);
	/* prepending onto nothing gives a plain sequence */
	attr_aspath_unref(&st, q);
	q = attr_aspath_prepend(&st, NULL, pre, 2);
	assert_int_equal(q->nwords, 4);
	assert_int_equal(q->words[0], ATTR_SEG_SEQUENCE);
	assert_int_equal(q->hops, 2);
	attr_aspath_unref(&st, q);
	attr_aspath_unref(&st, p);
	attr_aspath_unref(&st, old);
	attr_store_fini(&st, false);
}

static void
test_attr_aspath_prepend_past_255_adds_new_segment(void **state)
{
	struct attr_store st;
	uint32_t asns[255], pre[] = { 7, 8 };
	const struct attr_aspath *old, *p, *q;
	uint32_t set[] = { ATTR_SEG_SET, 2, 5, 6 };

	attr_store_init(&st);
	for (uint32_t i = 0; i < 254; i++)
		asns[i] = 1000 + i;
	old = attr_aspath_seq(&st, asns, 254);
	/* 254 + 1 = 255 still merges */
	p = attr_aspath_prepend(&st, old, pre, 1);
	assert_int_equal(p->nwords, 2 + 255);
	assert_int_equal(p->words[1], 255);
	assert_int_equal(p->words[2], 7);
	attr_aspath_unref(&st, p);
	/* 254 + 2 = 256 does not */
	p = attr_aspath_prepend(&st, old, pre, 2);
	assert_int_equal(p->nwords, 4 + 2 + 254);
	assert_int_equal(p->words[0], ATTR_SEG_SEQUENCE);
	assert_int_equal(p->words[1], 2);
	assert_int_equal(p->words[2], 7);
	assert_int_equal(p->words[3], 8);
	assert_int_equal(p->words[4], ATTR_SEG_SEQUENCE);
	assert_int_equal(p->words[5], 254);
	assert_int_equal(p->hops, 256);
	assert_int_equal(attr_aspath_check(p->words, p->nwords), 0);
	attr_aspath_unref(&st, p);

	/* a leading SET is never merged into */
	q = attr_aspath_intern(&st, set, NELEM(set));
	p = attr_aspath_prepend(&st, q, pre, 2);
	assert_int_equal(p->nwords, 8);
	assert_int_equal(p->words[0], ATTR_SEG_SEQUENCE);
	assert_int_equal(p->words[4], ATTR_SEG_SET);
	assert_int_equal(p->hops, 3);
	assert_true(p->has_set);
	attr_aspath_unref(&st, p);
	attr_aspath_unref(&st, q);
	attr_aspath_unref(&st, old);
	attr_store_fini(&st, false);
}

static void
test_attr_aspath_large_paths_intern_and_prepend(void **state)
{
	struct attr_store st;
	enum {
		SEGS = 20
	};
	uint32_t w[SEGS * 202], n = 0, flat[5000], pre[] = { 9 };
	const struct attr_aspath *p, *q, *r;

	for (uint32_t s = 0; s < SEGS; s++) {
		w[n++] = ATTR_SEG_SEQUENCE;
		w[n++] = 200;
		for (uint32_t i = 0; i < 200; i++)
			w[n++] = s * 1000 + i;
	}
	attr_store_init(&st);
	p = attr_aspath_intern(&st, w, n);
	q = attr_aspath_intern(&st, w, n);
	assert_ptr_equal(p, q);
	assert_int_equal(p->hops, SEGS * 200);
	r = attr_aspath_prepend(&st, p, pre, 1);
	assert_int_equal(r->nwords, n + 1);
	assert_int_equal(r->words[1], 201);
	assert_int_equal(attr_aspath_flat(r, flat, NELEM(flat)), 4001);
	assert_int_equal(flat[0], 9);
	assert_int_equal(flat[4000], 19199);
	attr_aspath_unref(&st, r);
	attr_aspath_unref(&st, q);
	attr_aspath_unref(&st, p);
	attr_store_fini(&st, false);
}

static void
test_attr_aspath_flat_returns_sequence_asns_and_full_count(void **state)
{
	struct attr_store st;
	uint32_t w[] = { ATTR_SEG_CONFED_SEQUENCE,
			 1,
			 9,
			 ATTR_SEG_SEQUENCE,
			 2,
			 1,
			 2,
			 ATTR_SEG_SET,
			 2,
			 50,
			 51,
			 ATTR_SEG_SEQUENCE,
			 2,
			 3,
			 4 };
	uint32_t out[8], want[] = { 1, 2, 3, 4 };
	const struct attr_aspath *p;

	attr_store_init(&st);
	p = attr_aspath_intern(&st, w, NELEM(w));
	memset(out, 0xff, sizeof(out));
	assert_int_equal(attr_aspath_flat(p, out, NELEM(out)), 4);
	assert_memory_equal(out, want, sizeof(want));
	memset(out, 0xff, sizeof(out));
	assert_int_equal(attr_aspath_flat(p, out, 3), 4);
	assert_memory_equal(out, want, 3 * sizeof(uint32_t));
	assert_int_equal(out[3], 0xffffffff);
	assert_int_equal(attr_aspath_flat(NULL, out, 8), 0);
	attr_aspath_unref(&st, p);
	attr_store_fini(&st, false);
}

static void
test_attr_comms_intern_sorts_and_dedups(void **state)
{
	struct attr_store st;
	uint32_t in[] = { 30, 10, 20, 10, 30 }, sorted[] = { 10, 20, 30 };
	const struct attr_comms *a, *b, *e;

	attr_store_init(&st);
	a = attr_comms_intern(&st, in, NELEM(in));
	assert_int_equal(a->n, 3);
	assert_memory_equal(a->v, sorted, sizeof(sorted));
	b = attr_comms_intern(&st, sorted, 3);
	assert_ptr_equal(a, b);
	assert_memory_equal(in, ((uint32_t[]){ 30, 10, 20, 10, 30 }),
			    sizeof(in));
	e = attr_comms_intern(&st, NULL, 0);
	assert_non_null(e);
	assert_int_equal(e->n, 0);
	attr_comms_unref(&st, a);
	attr_comms_unref(&st, b);
	attr_comms_unref(&st, e);
	attr_store_fini(&st, false);
}

static void
test_attr_comms_union_is_sorted_union_with_caller_reference(void **state)
{
	struct attr_store st;
	uint32_t x[] = { 1, 3, 5 }, y[] = { 2, 3, 6 }, z[] = { 3 };
	uint32_t want[] = { 1, 2, 3, 5, 6 };
	const struct attr_comms *a, *b, *c, *u, *v;

	attr_store_init(&st);
	a = attr_comms_intern(&st, x, 3);
	b = attr_comms_intern(&st, y, 3);
	c = attr_comms_intern(&st, z, 1);
	u = attr_comms_union(&st, a, b);
	assert_int_equal(u->n, 5);
	assert_memory_equal(u->v, want, sizeof(want));
	assert_int_equal(u->refcnt, 1);
	v = attr_comms_union(&st, b, a);
	assert_ptr_equal(u, v);
	attr_comms_unref(&st, v);
	/* a subset gives the superset back, with a reference */
	v = attr_comms_union(&st, c, a);
	assert_ptr_equal(v, a);
	assert_int_equal(a->refcnt, 2);
	attr_comms_unref(&st, v);
	v = attr_comms_union(&st, a, c);
	assert_ptr_equal(v, a);
	assert_int_equal(a->refcnt, 2);
	attr_comms_unref(&st, v);
	v = attr_comms_union(&st, NULL, b);
	assert_ptr_equal(v, b);
	attr_comms_unref(&st, v);
	v = attr_comms_union(&st, b, NULL);
	assert_ptr_equal(v, b);
	attr_comms_unref(&st, v);
	v = attr_comms_union(&st, NULL, NULL);
	assert_non_null(v);
	assert_int_equal(v->n, 0);
	attr_comms_unref(&st, v);
	attr_comms_unref(&st, u);
	attr_comms_unref(&st, a);
	attr_comms_unref(&st, b);
	attr_comms_unref(&st, c);
	attr_store_fini(&st, false);
}

static void
test_attr_comms_intersects_and_equal_treat_null_as_empty(void **state)
{
	struct attr_store st;
	uint32_t x[] = { 1, 3, 5 }, y[] = { 2, 4, 5 }, z[] = { 2, 4 };
	const struct attr_comms *a, *b, *c, *e;
	struct attr_store st2;
	const struct attr_comms *a2;

	attr_store_init(&st);
	attr_store_init(&st2);
	a = attr_comms_intern(&st, x, 3);
	b = attr_comms_intern(&st, y, 3);
	c = attr_comms_intern(&st, z, 2);
	e = attr_comms_intern(&st, NULL, 0);
	a2 = attr_comms_intern(&st2, x, 3);
	assert_true(attr_comms_intersects(a, b));
	assert_false(attr_comms_intersects(a, c));
	assert_true(attr_comms_intersects(b, c));
	assert_false(attr_comms_intersects(a, NULL));
	assert_false(attr_comms_intersects(NULL, NULL));
	assert_true(attr_comms_has(a, 3));
	assert_false(attr_comms_has(a, 4));
	assert_false(attr_comms_has(NULL, 4));
	assert_true(attr_comms_equal(a, a2));
	assert_false(attr_comms_equal(a, b));
	assert_false(attr_comms_equal(c, b));
	assert_true(attr_comms_equal(NULL, NULL));
	assert_true(attr_comms_equal(NULL, e));
	assert_false(attr_comms_equal(NULL, a));
	attr_comms_unref(&st, a);
	attr_comms_unref(&st, b);
	attr_comms_unref(&st, c);
	attr_comms_unref(&st, e);
	attr_comms_unref(&st2, a2);
	attr_store_fini(&st, false);
	attr_store_fini(&st2, false);
}

static void
test_attr_clusters_intern_keeps_order_and_duplicates(void **state)
{
	struct attr_store st;
	uint32_t in[] = { 30, 10, 30 };
	const struct attr_comms *c, *s;

	attr_store_init(&st);
	c = attr_clusters_intern(&st, in, 3);
	assert_int_equal(c->n, 3);
	assert_memory_equal(c->v, in, sizeof(in));
	assert_true(attr_comms_has(c, 10));
	assert_false(attr_comms_has(c, 20));
	s = attr_comms_intern(&st, in, 3);
	assert_ptr_not_equal(c, s);
	assert_int_equal(s->n, 2);
	attr_comms_unref(&st, c);
	attr_comms_unref(&st, s);
	attr_store_fini(&st, false);
}

static void
test_attr_lcomms_intern_sorts_and_dedups(void **state)
{
	struct attr_store st;
	struct attr_lcomm in[] = {
		{ 2, 1, 1 }, { 1, 2, 3 }, { 1, 2, 1 }, { 2, 1, 1 }
	};
	struct attr_lcomm want[] = { { 1, 2, 1 }, { 1, 2, 3 }, { 2, 1, 1 } };
	const struct attr_lcomms *a, *b;

	attr_store_init(&st);
	a = attr_lcomms_intern(&st, in, NELEM(in));
	assert_int_equal(a->n, 3);
	assert_memory_equal(a->v, want, sizeof(want));
	b = attr_lcomms_intern(&st, want, 3);
	assert_ptr_equal(a, b);
	attr_lcomms_unref(&st, a);
	attr_lcomms_unref(&st, b);
	attr_store_fini(&st, false);
}

static void
test_attr_intern_treats_empty_part_as_absent(void **state)
{
	struct attr_store st;
	const struct attrs *s1, *s2;
	struct attrs a;

	attr_store_init(&st);
	attr_init(&a);
	s1 = attr_intern(&st, &a);
	a.comms = attr_comms_intern(&st, NULL, 0);
	a.aspath = attr_aspath_intern(&st, NULL, 0);
	s2 = attr_intern(&st, &a);
	assert_ptr_equal(s1, s2);
	assert_null(s2->comms);
	assert_null(s2->aspath);
	attr_comms_unref(&st, a.comms);
	attr_aspath_unref(&st, a.aspath);
	attr_unref(&st, s1);
	attr_unref(&st, s2);
	attr_store_fini(&st, false);
}

/* Builds the same set in st, interning its parts after junk objects and in
 * the given order, so addresses differ between stores. */
static const struct attrs *
build_set(struct attr_store *st, bool reverse, int junk)
{
	uint32_t c[] = { 65000u << 16 | 300, 65000u << 16 | 301 };
	uint32_t cl[] = { 0x0a000001, 0x0a000002 };
	uint8_t blob[] = { 0xc0, 0x63, 2, 0xab, 0xcd };
	struct attr_lcomm l[] = { { 45104, 1, 2 } };
	const struct attr_comms *junkc[8];
	const struct attrs *s;
	struct attrs a;

	for (int i = 0; i < junk; i++) {
		uint32_t v = 1000 + (uint32_t)i;
		junkc[i] = attr_comms_intern(st, &v, 1);
	}
	attr_init(&a);
	if (reverse) {
		a.opaque = attr_opaque_intern(st, blob, sizeof(blob));
		a.clusters = attr_clusters_intern(st, cl, 2);
		a.lcomms = attr_lcomms_intern(st, l, 1);
		a.comms = attr_comms_intern(st, c, 2);
		a.aspath = seq(st, 65001, 65002);
	} else {
		a.aspath = seq(st, 65001, 65002);
		a.comms = attr_comms_intern(st, c, 2);
		a.lcomms = attr_lcomms_intern(st, l, 1);
		a.clusters = attr_clusters_intern(st, cl, 2);
		a.opaque = attr_opaque_intern(st, blob, sizeof(blob));
	}
	a.med = 100;
	a.flags = ATTR_F_MED | ATTR_F_ORIGINATOR;
	a.originator_id = 0x0a000009;
	set_v4(&a.nexthop, 192, 168, 0, 1);
	s = attr_intern(st, &a);
	assert_non_null(s);
	attr_aspath_unref(st, a.aspath);
	attr_comms_unref(st, a.comms);
	attr_lcomms_unref(st, a.lcomms);
	attr_comms_unref(st, a.clusters);
	attr_opaque_unref(st, a.opaque);
	for (int i = 0; i < junk; i++)
		attr_comms_unref(st, junkc[i]);
	return s;
}

static void
test_attr_set_hash_depends_on_content_not_intern_order(void **state)
{
	struct attr_store st1, st2;
	const struct attrs *s1, *s2, *s3;
	struct attrs a;

	attr_store_init(&st1);
	attr_store_init(&st2);
	s1 = build_set(&st1, false, 0);
	s2 = build_set(&st2, true, 7);
	assert_ptr_not_equal(s1, s2);
	assert_ptr_not_equal(s1->aspath, s2->aspath);
	assert_int_equal(s1->aspath->hash, s2->aspath->hash);
	assert_int_equal(s1->comms->hash, s2->comms->hash);
	assert_int_equal(s1->lcomms->hash, s2->lcomms->hash);
	assert_int_equal(s1->clusters->hash, s2->clusters->hash);
	assert_int_equal(s1->opaque->hash, s2->opaque->hash);
	assert_int_equal(s1->hash, s2->hash);

	/* and a different part changes the set's hash */
	a = *s1;
	a.comms = NULL;
	s3 = attr_intern(&st1, &a);
	assert_true(s3->hash != s1->hash);
	attr_unref(&st1, s3);

	attr_unref(&st1, s1);
	attr_unref(&st2, s2);
	assert_int_equal(st1.bytes, 0);
	assert_int_equal(st2.bytes, 0);
	attr_store_fini(&st1, false);
	attr_store_fini(&st2, false);
}

static void
test_attr_aspath_fmt_writes_segments_by_type(void **state)
{
	struct attr_store st;
	uint32_t w[] = { ATTR_SEG_SEQUENCE, 2, 65001, 65002,
			 ATTR_SEG_SET,	    2, 65003, 65004 };
	uint32_t cw[] = { ATTR_SEG_CONFED_SEQUENCE, 2, 65001, 65002,
			  ATTR_SEG_CONFED_SET,	    2, 65003, 65004,
			  ATTR_SEG_SEQUENCE,	    1, 7 };
	const struct attr_aspath *p, *c, *e;
	char buf[128], small[8];

	attr_store_init(&st);
	p = attr_aspath_intern(&st, w, NELEM(w));
	c = attr_aspath_intern(&st, cw, NELEM(cw));
	e = attr_aspath_intern(&st, NULL, 0);
	assert_string_equal(attr_aspath_fmt(p, buf, sizeof(buf)),
			    "65001 65002 {65003,65004}");
	assert_string_equal(attr_aspath_fmt(c, buf, sizeof(buf)),
			    "(65001 65002) [65003,65004] 7");
	assert_string_equal(attr_aspath_fmt(e, buf, sizeof(buf)), "");
	assert_string_equal(attr_aspath_fmt(NULL, buf, sizeof(buf)), "");
	assert_string_equal(attr_aspath_fmt(p, small, sizeof(small)),
			    "65001 6");
	attr_aspath_unref(&st, p);
	attr_aspath_unref(&st, c);
	attr_aspath_unref(&st, e);
	attr_store_fini(&st, false);
}

static void
test_attr_comms_fmt_writes_high_colon_low(void **state)
{
	struct attr_store st;
	uint32_t v[] = { 65000u << 16 | 301, 65000u << 16 | 300, 0xffffffff };
	const struct attr_comms *c;
	char buf[64];

	attr_store_init(&st);
	c = attr_comms_intern(&st, v, NELEM(v));
	assert_string_equal(attr_comms_fmt(c, buf, sizeof(buf)),
			    "65000:300 65000:301 65535:65535");
	assert_string_equal(attr_comms_fmt(NULL, buf, sizeof(buf)), "");
	attr_comms_unref(&st, c);
	attr_store_fini(&st, false);
}

static void
test_attr_comm_parse_accepts_halves_to_65535_and_rejects_junk(void **state)
{
	const char *bad[] = { "65536:1", "1:65536",	 "1",	 "a:b",
			      "",	 ":1",		 "1:",	 "1:2:3",
			      " 1:2",	 "1:2 ",	 "-1:2", "+1:2",
			      "1:0x2",	 "99999999999:1" };
	uint32_t v = 0;

	assert_int_equal(attr_comm_parse("65000:300", &v), 0);
	assert_int_equal(v, (65000u << 16) | 300);
	assert_int_equal(attr_comm_parse("0:0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(attr_comm_parse("65535:65535", &v), 0);
	assert_int_equal(v, 0xffffffff);
	for (size_t i = 0; i < NELEM(bad); i++) {
		v = 12345;
		if (attr_comm_parse(bad[i], &v) != -CEN_EPARSE)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_int_equal(v, 12345);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_attr_intern_same_content_returns_same_pointer),
		cmocka_unit_test(
			test_attr_intern_different_content_returns_different_pointers),
		cmocka_unit_test(
			test_attr_unref_frees_set_at_zero_and_releases_its_parts),
		cmocka_unit_test(test_attr_store_bytes_tracks_interned_memory),
		cmocka_unit_test(
			test_attr_million_interns_of_1000_sets_give_1000_objects),
		cmocka_unit_test(
			test_attr_refcount_below_zero_aborts_naming_function),
		cmocka_unit_test(
			test_attr_store_fini_aborts_on_leak_unless_forced),
		cmocka_unit_test(
			test_attr_aspath_check_rejects_malformed_encodings),
		cmocka_unit_test(
			test_attr_aspath_hops_count_set_as_one_and_confed_as_zero),
		cmocka_unit_test(
			test_attr_aspath_seq_builds_one_sequence_and_null_for_none),
		cmocka_unit_test(
			test_attr_aspath_prepend_merges_into_leading_sequence),
		cmocka_unit_test(
			test_attr_aspath_prepend_past_255_adds_new_segment),
		cmocka_unit_test(
			test_attr_aspath_large_paths_intern_and_prepend),
		cmocka_unit_test(
			test_attr_aspath_flat_returns_sequence_asns_and_full_count),
		cmocka_unit_test(test_attr_comms_intern_sorts_and_dedups),
		cmocka_unit_test(
			test_attr_comms_union_is_sorted_union_with_caller_reference),
		cmocka_unit_test(
			test_attr_comms_intersects_and_equal_treat_null_as_empty),
		cmocka_unit_test(
			test_attr_clusters_intern_keeps_order_and_duplicates),
		cmocka_unit_test(test_attr_lcomms_intern_sorts_and_dedups),
		cmocka_unit_test(test_attr_intern_treats_empty_part_as_absent),
		cmocka_unit_test(
			test_attr_set_hash_depends_on_content_not_intern_order),
		cmocka_unit_test(test_attr_aspath_fmt_writes_segments_by_type),
		cmocka_unit_test(test_attr_comms_fmt_writes_high_colon_low),
		cmocka_unit_test(
			test_attr_comm_parse_accepts_halves_to_65535_and_rejects_junk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
