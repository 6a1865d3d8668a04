/*
 * test_cmddec.c - the write path's fast command decoder (proto/cmddec.c)
 * against protobuf-c's own unpack: for every input, canonical or not,
 * valid or not, it refuses exactly what protobuf-c refuses and gives the
 * same message (compared by packing both results again); canonical route
 * updates take the fast path (their adds and groups share one decoded
 * attribute set).
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

/* ---- a deterministic generator -------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (uint32_t)(rng_state % n) : 0;
}

/* Values that exercise every varint length, 0 and the top of uint32. */
static uint32_t
rnd_u32(void)
{
	static const uint32_t edge[] = { 0,	   1,		127,
					 128,	   16383,	16384,
					 2097151,  2097152,	65535,
					 1u << 28, 0x7fffffffu, UINT32_MAX };

	return rnd(2) ? edge[rnd(sizeof(edge) / sizeof(edge[0]))]
		      : (uint32_t)rnd(UINT32_MAX);
}

/* Storage for one generated message, freed by gen_fini. */
struct gen {
	void *blocks[4096];
	size_t n;
};

static void *
gen_alloc(struct gen *g, size_t size)
{
	void *p = calloc(1, size ? size : 1);

	assert_non_null(p);
	assert_true(g->n < sizeof(g->blocks) / sizeof(g->blocks[0]));
	g->blocks[g->n++] = p;
	return p;
}

static void
gen_fini(struct gen *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->blocks[i]);
	g->n = 0;
}

static void
gen_u32s(struct gen *g, size_t *n, uint32_t **v)
{
	*n = rnd(3) == 0 ? 0 : 1 + rnd(6);
	*v = gen_alloc(g, *n * sizeof(**v));
	for (size_t i = 0; i < *n; i++)
		(*v)[i] = rnd_u32();
}

static void
gen_bytes(struct gen *g, ProtobufCBinaryData *b, size_t max)
{
	b->len = rnd(3) == 0 ? 0 : 1 + rnd((uint32_t)max);
	b->data = gen_alloc(g, b->len);
	for (size_t i = 0; i < b->len; i++)
		b->data[i] = (uint8_t)rnd(256);
}

static Cend__V1__PathAttrs *
gen_attrs(struct gen *g)
{
	Cend__V1__PathAttrs *m = gen_alloc(g, sizeof(*m));

	cend__v1__path_attrs__init(m);
	if (rnd(2)) {
		m->origin = rnd_u32();
		m->preference = rnd_u32();
		m->weight = rnd_u32();
		m->has_med = rnd(2);
		m->med = rnd_u32();
		m->has_local_pref = rnd(2);
		m->local_pref = rnd_u32();
		m->atomic_aggregate = rnd(2);
		m->aggregator_as = rnd_u32();
		m->aggregator_id = rnd_u32();
		m->originator_id = rnd_u32();
		gen_u32s(g, &m->n_cluster_list, &m->cluster_list);
		gen_u32s(g, &m->n_large_communities, &m->large_communities);
		gen_bytes(g, &m->opaque, 40);
	}
	gen_u32s(g, &m->n_as_path, &m->as_path);
	gen_u32s(g, &m->n_communities, &m->communities);
	gen_bytes(g, &m->next_hop, 16);
	return m;
}

static Cend__V1__PathUpdate *
gen_update(struct gen *g)
{
	Cend__V1__PathUpdate *m = gen_alloc(g, sizeof(*m));
	Cend__V1__PathAttrs *sets[3];
	char *att;

	cend__v1__path_update__init(m);
	if (rnd(4)) {
		att = gen_alloc(g, 16);
		snprintf(att, 16, "vbr-%u", rnd(1000));
		m->attachment = att;
	}
	gen_bytes(g, &m->peer, 16);
	m->node = rnd(2) ? rnd_u32() : 0;
	for (int i = 0; i < 3; i++)
		sets[i] = gen_attrs(g);
	m->n_adds = rnd(4) == 0 ? 0 : 1 + rnd(40);
	m->adds = gen_alloc(g, m->n_adds * sizeof(*m->adds));
	for (size_t i = 0; i < m->n_adds; i++) {
		Cend__V1__PathAdd *a = gen_alloc(g, sizeof(*a));

		cend__v1__path_add__init(a);
		gen_bytes(g, &a->prefix, 18);
		a->attrs = rnd(10) == 0 ? NULL : sets[rnd(3)];
		m->adds[i] = a;
	}
	m->n_withdraws = rnd(3) == 0 ? 1 + rnd(5) : 0;
	m->withdraws = gen_alloc(g, m->n_withdraws * sizeof(*m->withdraws));
	for (size_t i = 0; i < m->n_withdraws; i++)
		gen_bytes(g, &m->withdraws[i], 18);
	/* groups: prefix lists of any bytes (this decoder does not read
	 * them), sets shared with the adds, now and then none */
	m->n_groups = rnd(3) == 0 ? 0 : 1 + rnd(6);
	m->groups = gen_alloc(g, m->n_groups * sizeof(*m->groups));
	for (size_t i = 0; i < m->n_groups; i++) {
		Cend__V1__PathGroup *gr = gen_alloc(g, sizeof(*gr));

		cend__v1__path_group__init(gr);
		gr->attrs = rnd(10) == 0 ? NULL : sets[rnd(3)];
		gen_bytes(g, &gr->prefixes, 200);
		m->groups[i] = gr;
	}
	return m;
}

/* A Batch of path updates and, now and then, other commands. */
static uint8_t *
gen_batch(struct gen *g, size_t *len)
{
	Cend__V1__Batch b = CEND__V1__BATCH__INIT;
	uint8_t *buf;

	b.n_commands = rnd(5);
	b.commands = gen_alloc(g, b.n_commands * sizeof(*b.commands));
	for (size_t i = 0; i < b.n_commands; i++) {
		Cend__V1__Command *c = gen_alloc(g, sizeof(*c));

		cend__v1__command__init(c);
		if (rnd(5) == 0) {
			c->cmd_case = CEND__V1__COMMAND__CMD_MERGE_YAML;
			c->merge_yaml = "cen: {id: x}\n";
		} else if (rnd(8) != 0) {
			c->cmd_case = CEND__V1__COMMAND__CMD_PATHS;
			c->paths = gen_update(g);
		}
		b.commands[i] = c;
	}
	*len = cend__v1__batch__get_packed_size(&b);
	buf = gen_alloc(g, *len);
	cend__v1__batch__pack(&b, buf);
	return buf;
}

/* ---- comparing with protobuf-c -------------------------------------- */

static uint8_t *
pack_msg(const ProtobufCMessage *m, size_t *len)
{
	uint8_t *buf;

	*len = protobuf_c_message_get_packed_size(m);
	buf = malloc(*len ? *len : 1);
	assert_non_null(buf);
	protobuf_c_message_pack(m, buf);
	return buf;
}

enum kind {
	K_BATCH,
	K_COMMAND,
	K_UPDATE
};

static const ProtobufCMessageDescriptor *const desc[] = {
	&cend__v1__batch__descriptor,
	&cend__v1__command__descriptor,
	&cend__v1__path_update__descriptor,
};

static const ProtobufCMessage *
fast(enum kind k, struct pbarena *a, const uint8_t *buf, size_t len)
{
	switch (k) {
	case K_BATCH:
		return (const ProtobufCMessage *)cmddec_batch(a, buf, len);
	case K_COMMAND:
		return (const ProtobufCMessage *)cmddec_command(a, buf, len);
	default:
		return (const ProtobufCMessage *)cmddec_path_update(a, buf,
								    len);
	}
}

/* Decodes buf both ways: both refuse it, or both give the same message.
 * Returns whether it decoded. */
static bool
same_as_protobuf_c(enum kind k, const uint8_t *buf, size_t len)
{
	struct pbarena a;
	ProtobufCMessage *ref;
	const ProtobufCMessage *got;
	uint8_t *p1, *p2;
	size_t l1, l2;

	pbarena_init(&a);
	ref = protobuf_c_message_unpack(desc[k], NULL, len, buf);
	got = fast(k, &a, buf, len);
	if (ref == NULL || got == NULL) {
		if ((ref == NULL) != (got == NULL))
			fail_msg("kind %d, %zu bytes: protobuf-c %s, cmddec %s",
				 k, len, ref ? "decodes" : "refuses",
				 got ? "decodes" : "refuses");
		protobuf_c_message_free_unpacked(ref, NULL);
		pbarena_fini(&a);
		return false;
	}
	p1 = pack_msg(ref, &l1);
	p2 = pack_msg(got, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(p1, p2, l1);
	free(p1);
	free(p2);
	protobuf_c_message_free_unpacked(ref, NULL);
	pbarena_fini(&a);
	return true;
}

/* ---- tests ---------------------------------------------------------- */

static void
test_cmddec_canonical_batches_decode_as_protobuf_c_does(void **state)
{
	struct gen g = { .n = 0 };

	(void)state;
	for (int i = 0; i < 2000; i++) {
		size_t len;
		uint8_t *buf = gen_batch(&g, &len);

		assert_true(same_as_protobuf_c(K_BATCH, buf, len));
		gen_fini(&g);
	}
}

static void
test_cmddec_canonical_updates_and_commands_decode_as_protobuf_c_does(
	void **state)
{
	struct gen g = { .n = 0 };

	(void)state;
	for (int i = 0; i < 2000; i++) {
		Cend__V1__Command c = CEND__V1__COMMAND__INIT;
		uint8_t *buf;
		size_t len;

		c.cmd_case = CEND__V1__COMMAND__CMD_PATHS;
		c.paths = gen_update(&g);
		buf = pack_msg(&c.paths->base, &len);
		assert_true(same_as_protobuf_c(K_UPDATE, buf, len));
		free(buf);
		buf = pack_msg(&c.base, &len);
		assert_true(same_as_protobuf_c(K_COMMAND, buf, len));
		free(buf);
		gen_fini(&g);
	}
}

static void
test_cmddec_corrupt_bytes_are_refused_exactly_when_protobuf_c_refuses(
	void **state)
{
	struct gen g = { .n = 0 };
	size_t decoded = 0, refused = 0;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		size_t len;
		uint8_t *orig = gen_batch(&g, &len);
		uint8_t *buf = malloc(len + 8);

		assert_non_null(buf);
		memcpy(buf, orig, len);
		/* flip, overwrite or truncate a few bytes */
		for (int m = 1 + rnd(3); m > 0 && len > 0; m--) {
			size_t at = rnd((uint32_t)len);

			switch (rnd(4)) {
			case 0:
				buf[at] ^= (uint8_t)(1u << rnd(8));
				break;
			case 1:
				buf[at] = (uint8_t)rnd(256);
				break;
			case 2:
				buf[at] = rnd(2) ? 0x80 : 0xff;
				break;
			default:
				len = at;
			}
		}
		for (int k = K_BATCH; k <= K_UPDATE; k++) {
			if (same_as_protobuf_c(k, buf, len))
				decoded++;
			else
				refused++;
		}
		free(buf);
		gen_fini(&g);
	}
	/* both outcomes were exercised */
	assert_true(decoded > 1000);
	assert_true(refused > 1000);
}

/* Hand-written encodings the fast path does not take: fields out of
 * order, repeated singular fields, unknown fields, unpacked repeated
 * scalars, non-minimal varints. */
static void
test_cmddec_non_canonical_encodings_decode_as_protobuf_c_does(void **state)
{
	static const uint8_t attrs_reordered[] = {
		0x10, 0x05,	  /* preference 5 */
		0x08, 0x01,	  /* origin 1 */
		0x10, 0x07,	  /* preference 7: the last one counts */
		0x40, 0x02,	  /* as_path, unpacked */
		0x40, 0x01,	  /* as_path, unpacked */
		0x28, 0x80, 0x00, /* med 0, two bytes */
		0xf8, 0x01, 0x05, /* unknown field 31 */
		0x48, 0x81, 0x80, 0x80, 0x80, 0x10, /* community, >32 bits */
	};
	static const uint8_t update_reordered[] = {
		0x18, 0x02,			/* node 2 */
		0x0a, 0x03, 'v',  'b',	'r',	/* attachment */
		0x2a, 0x02, 0x04, 0x00,		/* a withdraw */
		0x22, 0x04, 0x0a, 0x02, 4,   0, /* an add, no attrs */
		0x0a, 0x01, 'x',		/* attachment again */
	};
	static const uint8_t update_merged_add[] = {
		0x0a,
		0x01,
		'a',
		/* add with attrs given in two parts (merged) */
		0x22,
		0x0c,
		0x12,
		0x02,
		0x08,
		0x01,
		0x0a,
		0x02,
		4,
		0,
		0x12,
		0x02,
		0x10,
		0x09,
	};
	static const uint8_t update_group_first[] = {
		0x0a, 0x01, 'a',		  /* attachment */
		0x32, 0x05, 0x12, 0x03, 4, 8, 10, /* a group, no attrs */
		0x2a, 0x02, 0x04, 0x00,		  /* a withdraw after it */
	};
	static const uint8_t update_group_reordered[] = {
		0x32, 0x09, 0x12, 0x03, 4, 8, 10, /* prefixes, then */
		0x0a, 0x02, 0x10, 0x05,		  /* attrs: preference 5 */
		0x32, 0x02, 0x1a, 0x00,		  /* unknown field 3 */
	};
	static const uint8_t empty[] = { 0 };
	struct pbarena a;
	uint8_t cmd[64];

	(void)state;
	pbarena_init(&a);
	assert_true(same_as_protobuf_c(K_UPDATE, update_reordered,
				       sizeof(update_reordered)));
	assert_true(same_as_protobuf_c(K_UPDATE, update_merged_add,
				       sizeof(update_merged_add)));
	assert_true(same_as_protobuf_c(K_UPDATE, update_group_first,
				       sizeof(update_group_first)));
	assert_true(same_as_protobuf_c(K_UPDATE, update_group_reordered,
				       sizeof(update_group_reordered)));
	assert_true(same_as_protobuf_c(K_UPDATE, empty, 0));
	assert_true(same_as_protobuf_c(K_BATCH, empty, 0));
	assert_true(same_as_protobuf_c(K_COMMAND, empty, 0));
	/* attrs inside an add inside a command */
	cmd[0] = 0x22;
	cmd[1] = (uint8_t)(2 + 2 + sizeof(attrs_reordered));
	cmd[2] = 0x22;
	cmd[3] = (uint8_t)(2 + sizeof(attrs_reordered));
	cmd[4] = 0x12;
	cmd[5] = (uint8_t)sizeof(attrs_reordered);
	memcpy(cmd + 6, attrs_reordered, sizeof(attrs_reordered));
	assert_true(same_as_protobuf_c(K_COMMAND, cmd,
				       6 + sizeof(attrs_reordered)));
	pbarena_fini(&a);
}

static void
test_cmddec_canonical_update_shares_one_decoded_set_per_distinct_attrs(
	void **state)
{
	Cend__V1__PathUpdate u = CEND__V1__PATH_UPDATE__INIT, *got;
	Cend__V1__PathAttrs s1 = CEND__V1__PATH_ATTRS__INIT;
	Cend__V1__PathAttrs s2 = CEND__V1__PATH_ATTRS__INIT;
	Cend__V1__PathAdd adds[6], *ap[6];
	uint8_t pfx[6][6], *buf;
	uint32_t asn[] = { 2, 1, 65001 };
	struct pbarena a;
	size_t len;

	(void)state;
	s1.as_path = asn;
	s1.n_as_path = 3;
	s2.preference = 70;
	for (int i = 0; i < 6; i++) {
		cend__v1__path_add__init(&adds[i]);
		pfx[i][0] = 4;
		pfx[i][1] = 24;
		pfx[i][2] = 10;
		pfx[i][3] = (uint8_t)i;
		pfx[i][4] = pfx[i][5] = 0;
		adds[i].prefix.data = pfx[i];
		adds[i].prefix.len = 6;
		adds[i].attrs = i % 3 == 2 ? &s2 : &s1;
		ap[i] = &adds[i];
	}
	u.attachment = "vbr-1";
	u.adds = ap;
	u.n_adds = 6;
	buf = pack_msg(&u.base, &len);
	pbarena_init(&a);
	got = cmddec_path_update(&a, buf, len);
	assert_non_null(got);
	assert_int_equal(got->n_adds, 6);
	assert_ptr_equal(got->adds[0]->attrs, got->adds[1]->attrs);
	assert_ptr_equal(got->adds[0]->attrs, got->adds[4]->attrs);
	assert_ptr_equal(got->adds[2]->attrs, got->adds[5]->attrs);
	assert_ptr_not_equal(got->adds[0]->attrs, got->adds[2]->attrs);
	assert_int_equal(got->adds[2]->attrs->preference, 70);
	assert_int_equal(got->adds[0]->attrs->n_as_path, 3);
	assert_int_equal(got->adds[0]->attrs->as_path[2], 65001);
	assert_string_equal(got->attachment, "vbr-1");
	assert_int_equal(got->adds[3]->prefix.data[3], 3);
	pbarena_fini(&a);
	free(buf);
}

/* The groups of a canonical update take the fast path: they share the
 * decoded set of the adds with the same attribute bytes. */
static void
test_cmddec_canonical_update_groups_share_the_adds_decoded_sets(void **state)
{
	Cend__V1__PathUpdate u = CEND__V1__PATH_UPDATE__INIT, *got;
	Cend__V1__PathAttrs s1 = CEND__V1__PATH_ATTRS__INIT;
	Cend__V1__PathAttrs s2 = CEND__V1__PATH_ATTRS__INIT;
	Cend__V1__PathAdd add = CEND__V1__PATH_ADD__INIT, *ap = &add;
	Cend__V1__PathGroup gr[3], *gp[3];
	uint8_t p4[6] = { 4, 24, 10, 0, 9, 0 }, list[] = { 4, 8, 10, 6, 0 };
	ProtobufCBinaryData wd = { sizeof(p4), p4 };
	uint8_t *buf;
	struct pbarena a;
	size_t len;

	(void)state;
	s1.preference = 20;
	s2.preference = 30;
	add.prefix.data = p4;
	add.prefix.len = sizeof(p4);
	add.attrs = &s1;
	for (int i = 0; i < 3; i++) {
		cend__v1__path_group__init(&gr[i]);
		gr[i].attrs = i == 1 ? &s2 : &s1;
		gr[i].prefixes.data = list;
		gr[i].prefixes.len = sizeof(list);
		gp[i] = &gr[i];
	}
	u.attachment = "vbr-1";
	u.adds = &ap;
	u.n_adds = 1;
	u.withdraws = &wd;
	u.n_withdraws = 1;
	u.groups = gp;
	u.n_groups = 3;
	buf = pack_msg(&u.base, &len);
	assert_true(same_as_protobuf_c(K_UPDATE, buf, len));
	pbarena_init(&a);
	got = cmddec_path_update(&a, buf, len);
	assert_non_null(got);
	assert_int_equal(got->n_groups, 3);
	assert_ptr_equal(got->groups[0]->attrs, got->adds[0]->attrs);
	assert_ptr_equal(got->groups[2]->attrs, got->adds[0]->attrs);
	assert_ptr_not_equal(got->groups[1]->attrs, got->adds[0]->attrs);
	assert_int_equal(got->groups[1]->attrs->preference, 30);
	assert_int_equal(got->groups[1]->prefixes.len, sizeof(list));
	/* the prefixes point into the input */
	assert_true(got->groups[1]->prefixes.data >= buf &&
		    got->groups[1]->prefixes.data < buf + len);
	pbarena_fini(&a);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_cmddec_canonical_batches_decode_as_protobuf_c_does),
		cmocka_unit_test(
			test_cmddec_canonical_updates_and_commands_decode_as_protobuf_c_does),
		cmocka_unit_test(
			test_cmddec_corrupt_bytes_are_refused_exactly_when_protobuf_c_refuses),
		cmocka_unit_test(
			test_cmddec_non_canonical_encodings_decode_as_protobuf_c_does),
		cmocka_unit_test(
			test_cmddec_canonical_update_shares_one_decoded_set_per_distinct_attrs),
		cmocka_unit_test(
			test_cmddec_canonical_update_groups_share_the_adds_decoded_sets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
