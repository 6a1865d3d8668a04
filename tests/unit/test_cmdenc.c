/*
 * test_cmdenc.c - the write path's direct route-update encoder
 * (proto/cmdenc.c) against protobuf-c: for random PathUpdates (empty and
 * long fields, every varint length, adds without prefix or attributes,
 * malformed prefixes) it writes exactly the bytes cend__v1__command__pack
 * writes for the same adds grouped by runs of equal attribute bytes, and
 * cmddec decodes them on its fast path to the same message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/cmddec.h"
#include "proto/cmdenc.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint32_t
rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (uint32_t)(rng_state % n) : 0;
}

static uint32_t
rnd_u32(void)
{
	static const uint32_t edge[] = { 0,	      1,	 127,
					 128,	      16383,	 16384,
					 2097151,     2097152,	 1u << 28,
					 0x7fffffffu, UINT32_MAX };

	return rnd(2) ? edge[rnd(sizeof(edge) / sizeof(edge[0]))]
		      : (uint32_t)rnd(UINT32_MAX);
}

#define MAXADDS 300
#define MAXWD	300

struct sample {
	Cend__V1__Command cmd;
	Cend__V1__PathUpdate u;
	Cend__V1__PathAdd adds[MAXADDS], *addp[MAXADDS];
	size_t nadds; /* the adds given to the encoder */
	/* what it should write: the adds it keeps, and the groups */
	Cend__V1__PathAdd *plain[MAXADDS];
	Cend__V1__PathGroup groups[MAXADDS], *groupp[MAXADDS];
	int group_attrs[MAXADDS];
	uint8_t gpfx[MAXADDS * 18];
	Cend__V1__PathAttrs attrs[8];
	uint32_t words[8][8];
	uint8_t attrs_bytes[8][256];
	size_t attrs_len[8];
	int attrs_of[MAXADDS]; /* -1: none */
	uint8_t pfx[MAXADDS + MAXWD][20];
	ProtobufCBinaryData wd[MAXWD];
	char att[300];
	uint8_t peer[16];
};

/* The significant address bytes of a well-formed prefix, or -1. */
static int
short_len(const uint8_t *p, size_t len)
{
	size_t max = len == 6 && p[0] == 4    ? 32
		     : len == 18 && p[0] == 6 ? 128
					      : 0;
	size_t n;

	if (max == 0 || p[1] > max)
		return -1;
	n = ((size_t)p[1] + 7) / 8;
	for (size_t i = 2 + n; i < len; i++)
		if (p[i] != 0)
			return -1;
	if (p[1] % 8 != 0 && (p[1 + n] & (0xff >> (p[1] % 8))) != 0)
		return -1;
	return (int)n;
}

/* Zeroes the bits of addr past the first `bits`. */
static void
clear_host_bits(uint8_t *addr, size_t n, size_t bits)
{
	for (size_t j = 0; j < n; j++) {
		if (j * 8 >= bits)
			addr[j] = 0;
		else if (bits - j * 8 < 8)
			addr[j] &= (uint8_t)(0xff << (8 - (bits - j * 8)));
	}
}

static bool
same_attrs(const struct sample *s, int a, int b)
{
	return s->attrs_len[a] == s->attrs_len[b] &&
	       memcmp(s->attrs_bytes[a], s->attrs_bytes[b], s->attrs_len[a]) ==
		       0;
}

/* The PathUpdate the encoder should write for s's adds: those without
 * attributes or with a malformed prefix stay, runs of equal attribute
 * bytes become groups. */
static void
expect(struct sample *s)
{
	Cend__V1__PathGroup *g = NULL;
	size_t off = 0;

	s->u.n_adds = s->u.n_groups = 0;
	for (size_t i = 0; i < s->nadds; i++) {
		int k = s->attrs_of[i], n;

		n = short_len(s->pfx[i], s->adds[i].prefix.len);
		if (k < 0 || n < 0) {
			s->plain[s->u.n_adds++] = &s->adds[i];
			continue;
		}
		if (g == NULL ||
		    !same_attrs(s, s->group_attrs[s->u.n_groups - 1], k)) {
			g = &s->groups[s->u.n_groups];
			cend__v1__path_group__init(g);
			g->attrs = &s->attrs[k];
			g->prefixes.data = s->gpfx + off;
			s->group_attrs[s->u.n_groups] = k;
			s->groupp[s->u.n_groups++] = g;
		}
		memcpy(s->gpfx + off, s->pfx[i], 2 + (size_t)n);
		off += 2 + (size_t)n;
		g->prefixes.len += 2 + (size_t)n;
	}
	s->u.adds = s->plain;
	s->u.groups = s->groupp;
}

static void
gen(struct sample *s)
{
	size_t nsets = 1 + rnd(8);

	memset(s, 0, sizeof(*s));
	cend__v1__command__init(&s->cmd);
	cend__v1__path_update__init(&s->u);
	s->cmd.cmd_case = CEND__V1__COMMAND__CMD_PATHS;
	s->cmd.paths = &s->u;
	/* an attachment of 0, a few or 200+ characters (two-byte length) */
	{
		size_t n = rnd(3) == 0 ? 0
			   : rnd(2)    ? 1 + rnd(20)
				       : 200 + rnd(90);

		for (size_t i = 0; i < n; i++)
			s->att[i] = (char)('a' + rnd(26));
		s->att[n] = '\0';
		s->u.attachment = s->att;
	}
	s->u.peer.len = (size_t[]){ 0, 4, 16 }[rnd(3)];
	for (size_t i = 0; i < s->u.peer.len; i++)
		s->peer[i] = (uint8_t)rnd(256);
	s->u.peer.data = s->peer;
	s->u.node = rnd_u32();
	for (size_t k = 0; k < nsets; k++) {
		Cend__V1__PathAttrs *a = &s->attrs[k];
		size_t nw = rnd(8);

		cend__v1__path_attrs__init(a);
		if (rnd(4) == 0) /* an empty set packs to no bytes */
			goto pack;
		a->origin = rnd(3);
		a->preference = rnd(2) ? rnd_u32() : 0;
		a->has_med = rnd(2);
		a->med = rnd_u32();
		for (size_t i = 0; i < nw; i++)
			s->words[k][i] = rnd_u32();
		a->n_as_path = nw;
		a->as_path = s->words[k];
		if (rnd(2)) {
			a->next_hop.len = 4;
			a->next_hop.data = s->peer;
		}
pack:
		s->attrs_len[k] = cend__v1__path_attrs__get_packed_size(a);
		assert_true(s->attrs_len[k] <= sizeof(s->attrs_bytes[k]));
		cend__v1__path_attrs__pack(a, s->attrs_bytes[k]);
	}
	s->nadds = rnd(4) == 0 ? 0 : rnd(MAXADDS);
	for (size_t i = 0; i < s->nadds; i++) {
		Cend__V1__PathAdd *a = &s->adds[i];
		size_t plen = rnd(8) == 0 ? 0 : rnd(2) ? 6 : 18;

		cend__v1__path_add__init(a);
		if (plen > 0 && rnd(6) != 0) {
			/* a well-formed prefix, often with a short run */
			size_t bits = rnd((uint32_t)(plen - 2) * 8 + 1);

			s->pfx[i][0] = plen == 6 ? 4 : 6;
			s->pfx[i][1] = (uint8_t)bits;
			for (size_t j = 0; j < plen - 2; j++)
				s->pfx[i][2 + j] = (uint8_t)rnd(256);
			clear_host_bits(s->pfx[i] + 2, plen - 2, bits);
		} else {
			for (size_t j = 0; j < plen; j++)
				s->pfx[i][j] = (uint8_t)rnd(256);
		}
		a->prefix.len = plen;
		a->prefix.data = s->pfx[i];
		if (rnd(8) == 0)
			s->attrs_of[i] = -1;
		else if (i > 0 && rnd(4) != 0)
			s->attrs_of[i] = s->attrs_of[i - 1]; /* a run */
		else
			s->attrs_of[i] = (int)rnd((uint32_t)nsets);
		if (s->attrs_of[i] >= 0)
			a->attrs = &s->attrs[s->attrs_of[i]];
		s->addp[i] = a;
	}
	expect(s);
	s->u.n_withdraws = rnd(3) == 0 ? 0 : rnd(MAXWD);
	for (size_t i = 0; i < s->u.n_withdraws; i++) {
		uint8_t *p = s->pfx[MAXADDS + i];
		size_t plen = rnd(10) == 0 ? 0 : rnd(2) ? 6 : 18;

		for (size_t j = 0; j < plen; j++)
			p[j] = (uint8_t)rnd(256);
		s->wd[i].len = plen;
		s->wd[i].data = p;
	}
	s->u.withdraws = s->wd;
}

static const uint8_t *
encode(const struct sample *s, struct cmdenc *e, size_t *len)
{
	cmdenc_paths_begin(e, s->u.attachment, s->u.peer.data, s->u.peer.len,
			   s->u.node);
	for (size_t i = 0; i < s->nadds; i++) {
		int k = s->attrs_of[i];

		cmdenc_paths_add(e, s->adds[i].prefix.data,
				 s->adds[i].prefix.len,
				 k >= 0 ? s->attrs_bytes[k] : NULL,
				 k >= 0 ? s->attrs_len[k] : 0);
	}
	for (size_t i = 0; i < s->u.n_withdraws; i++)
		cmdenc_paths_withdraw(e, s->wd[i].data, s->wd[i].len);
	return cmdenc_paths_end(e, len);
}

static void
same_bytes_as_protobuf_c(void **state)
{
	static struct sample s;
	static uint8_t want[1 << 20];

	(void)state;
	for (int round = 0; round < 2000; round++) {
		struct cmdenc e;
		struct pbarena a;
		const uint8_t *got;
		Cend__V1__Command *m;
		size_t wlen, glen = 0;

		gen(&s);
		wlen = cend__v1__command__get_packed_size(&s.cmd);
		assert_true(wlen <= sizeof(want));
		cend__v1__command__pack(&s.cmd, want);
		got = encode(&s, &e, &glen);
		assert_non_null(got);
		assert_int_equal(glen, wlen);
		assert_memory_equal(got, want, wlen);
		/* and it decodes to the message it was made from */
		pbarena_init(&a);
		m = cmddec_command(&a, got, glen);
		assert_non_null(m);
		assert_int_equal(m->cmd_case, CEND__V1__COMMAND__CMD_PATHS);
		assert_int_equal(m->paths->n_adds, s.u.n_adds);
		assert_int_equal(m->paths->n_groups, s.u.n_groups);
		assert_int_equal(m->paths->n_withdraws, s.u.n_withdraws);
		assert_int_equal(m->paths->node, s.u.node);
		assert_string_equal(m->paths->attachment, s.att);
		/* the fast path shares one decoded set between the groups
		 * that have the same (protobuf-c's unpack would not) */
		for (size_t i = 2; i < s.u.n_groups; i++)
			if (s.group_attrs[i] == s.group_attrs[i - 2]) {
				assert_ptr_equal(
					m->paths->groups[i]->attrs,
					m->paths->groups[i - 2]->attrs);
				break;
			}
		pbarena_fini(&a);
		cmdenc_free(&e);
	}
}

/* One BGP UPDATE's prefixes: one group, its attributes written once. */
static void
runs_of_equal_attrs_share_one_group(void **state)
{
	uint8_t a1[2] = { 0x10, 0x01 }, a2[2] = { 0x10, 0x02 };
	uint8_t copy[2], p[3][6] = { { 4, 24, 10, 0, 1, 0 },
				     { 4, 24, 10, 0, 2, 0 },
				     { 4, 8, 11, 0, 0, 0 } };
	struct pbarena ar;
	Cend__V1__Command *m;
	struct cmdenc e;
	const uint8_t *out;
	size_t len;

	(void)state;
	memcpy(copy, a1, sizeof(copy));
	cmdenc_paths_begin(&e, "vbr-1", NULL, 0, 1);
	cmdenc_paths_add(&e, p[0], 6, a1, sizeof(a1));
	cmdenc_paths_add(&e, p[1], 6, copy, sizeof(copy)); /* same bytes */
	cmdenc_paths_add(&e, p[2], 6, a2, sizeof(a2));
	cmdenc_paths_add(&e, p[0], 6, a1, sizeof(a1));
	cmdenc_paths_withdraw(&e, p[2], 6);
	out = cmdenc_paths_end(&e, &len);
	assert_non_null(out);
	pbarena_init(&ar);
	m = cmddec_command(&ar, out, len);
	assert_non_null(m);
	assert_int_equal(m->paths->n_adds, 0);
	assert_int_equal(m->paths->n_withdraws, 1);
	assert_int_equal(m->paths->n_groups, 3);
	assert_int_equal(m->paths->groups[0]->prefixes.len, 10);
	assert_memory_equal(m->paths->groups[0]->prefixes.data,
			    ((uint8_t[]){ 4, 24, 10, 0, 1, 4, 24, 10, 0, 2 }),
			    10);
	assert_int_equal(m->paths->groups[0]->attrs->preference, 1);
	assert_int_equal(m->paths->groups[1]->prefixes.len, 3);
	assert_int_equal(m->paths->groups[1]->attrs->preference, 2);
	assert_ptr_equal(m->paths->groups[2]->attrs,
			 m->paths->groups[0]->attrs);
	/* canonical: protobuf-c packs what it decoded to the same size */
	assert_int_equal(cend__v1__command__get_packed_size(m), len);
	pbarena_fini(&ar);
	cmdenc_free(&e);
}

/* Fields in order: an add after a withdrawal fails the command. */
static void
add_after_withdraw_fails(void **state)
{
	struct cmdenc e;
	uint8_t p[6] = { 4, 24, 10, 0, 0, 0 };
	size_t len;

	(void)state;
	cmdenc_paths_begin(&e, "vbr-1", NULL, 0, 1);
	cmdenc_paths_add(&e, p, sizeof(p), NULL, 0);
	cmdenc_paths_withdraw(&e, p, sizeof(p));
	assert_non_null(cmdenc_paths_end(&e, &len));
	cmdenc_paths_add(&e, p, sizeof(p), NULL, 0);
	assert_null(cmdenc_paths_end(&e, &len));
	cmdenc_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_bytes_as_protobuf_c),
		cmocka_unit_test(runs_of_equal_attrs_share_one_group),
		cmocka_unit_test(add_after_withdraw_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
