/*
 * test_cmdenc.c - the write path's direct route-update encoder
 * (proto/cmdenc.c) against protobuf-c: for random PathUpdates (empty and
 * long fields, every varint length, adds without prefix or attributes) it
 * writes exactly the bytes cend__v1__command__pack writes, and cmddec
 * decodes them on its fast path to the same message.
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
	s->u.n_adds = rnd(4) == 0 ? 0 : rnd(MAXADDS);
	for (size_t i = 0; i < s->u.n_adds; i++) {
		Cend__V1__PathAdd *a = &s->adds[i];
		size_t plen = rnd(8) == 0 ? 0 : rnd(2) ? 6 : 18;

		cend__v1__path_add__init(a);
		for (size_t j = 0; j < plen; j++)
			s->pfx[i][j] = (uint8_t)rnd(256);
		a->prefix.len = plen;
		a->prefix.data = s->pfx[i];
		s->attrs_of[i] = rnd(8) == 0 ? -1 : (int)rnd((uint32_t)nsets);
		if (s->attrs_of[i] >= 0)
			a->attrs = &s->attrs[s->attrs_of[i]];
		s->addp[i] = a;
	}
	s->u.adds = s->addp;
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
	for (size_t i = 0; i < s->u.n_adds; i++) {
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
		assert_int_equal(m->paths->n_withdraws, s.u.n_withdraws);
		assert_int_equal(m->paths->node, s.u.node);
		assert_string_equal(m->paths->attachment, s.att);
		/* the fast path shares one decoded set between the adds
		 * that have the same (protobuf-c's unpack would not) */
		for (size_t i = 1; i < s.u.n_adds; i++)
			if (s.attrs_of[i] >= 0 &&
			    s.attrs_of[i] == s.attrs_of[i - 1]) {
				assert_ptr_equal(m->paths->adds[i]->attrs,
						 m->paths->adds[i - 1]->attrs);
				break;
			}
		pbarena_fini(&a);
		cmdenc_free(&e);
	}
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
		cmocka_unit_test(add_after_withdraw_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
