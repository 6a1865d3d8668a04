/*
 * test_prefix.c - prefix parsing, formatting, ordering and containment
 * (core/prefix.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/prefix.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static struct prefix
must_parse(const char *s)
{
	struct prefix p;

	memset(&p, 0xa5, sizeof(p));
	assert_int_equal(prefix_parse(&p, s, true), 0);
	return p;
}

static void
test_prefix_parse_format_round_trip_canonical_strings(void **state)
{
	static const char *const good[] = {
		"10.0.0.0/8",
		"0.0.0.0/0",
		"255.255.255.255/32",
		"192.168.1.0/24",
		"172.16.0.0/12",
		"1.2.3.4/32",
		"2001:db8::/32",
		"::/0",
		"fe80::1/128",
		"2001:db8:0:1::/64",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
		"::ffff:10.0.0.0/104",
	};
	char buf[PREFIX_STRLEN];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct prefix p = must_parse(good[i]);

		assert_string_equal(prefix_fmt(&p, buf, sizeof(buf)), good[i]);
		assert_int_equal(p.pad[0], 0);
		assert_int_equal(p.pad[1], 0);
	}
}

static void
test_prefix_parse_sets_family_len_and_zero_padding(void **state)
{
	struct prefix p = must_parse("10.1.0.0/16");
	size_t i;

	assert_int_equal(p.family, PREFIX_AF_INET);
	assert_int_equal(p.len, 16);
	assert_int_equal(prefix_v4(&p), 0x0a010000u);
	for (i = 4; i < 16; i++)
		assert_int_equal(p.addr.bytes[i], 0);

	p = must_parse("2001:db8::/32");
	assert_int_equal(p.family, PREFIX_AF_INET6);
	assert_int_equal(p.len, 32);
	assert_int_equal(p.addr.v6[0], 0x20);
	assert_int_equal(p.addr.v6[1], 0x01);
	assert_int_equal(p.addr.v6[2], 0x0d);
	assert_int_equal(p.addr.v6[3], 0xb8);
}

static void
test_prefix_parse_bare_address_is_host_prefix(void **state)
{
	char buf[PREFIX_STRLEN];
	struct prefix p;

	p = must_parse("10.1.2.3");
	assert_int_equal(p.len, 32);
	assert_string_equal(prefix_fmt(&p, buf, sizeof(buf)), "10.1.2.3/32");
	p = must_parse("::1");
	assert_int_equal(p.family, PREFIX_AF_INET6);
	assert_int_equal(p.len, 128);
	assert_string_equal(prefix_fmt(&p, buf, sizeof(buf)), "::1/128");
	assert_string_equal(prefix_fmt_addr(&p, buf, sizeof(buf)), "::1");
}

static void
test_prefix_parse_rejects_malformed_input(void **state)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"/8",
		"10.0.0.0/",
		"10.0.0.0/33",
		"10.0.0.0/-1",
		"10.0.0.0/+8",
		"10.0.0.0/08",
		"10.0.0.0/00",
		"10.0.0.0/0008",
		"10.0.0.0/1000",
		"10.0.0.0/8x",
		"10.0.0.0/8 ",
		" 10.0.0.0/8",
		"10.0.0.0 /8",
		"10.0.0.0//8",
		"10.0.0.0/8/8",
		"10.0.0/8",
		"10.0.0.0.0/8",
		"1.2.3.256",
		"01.2.3.4",
		"10.0.0.0x",
		"2001:db8::/129",
		"2001:db8::/-1",
		"2001:db8::g/32",
		"2001:db8:::/32",
		"::/",
		"1:2:3:4:5:6:7:8:9/128",
		"10.0.0.0/8\n",
		"0123456789012345678901234567890123456789012345678901234567/8",
	};
	struct prefix p, before;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&p, 0x5a, sizeof(p));
		before = p;
		if (prefix_parse(&p, bad[i], false) != -CEN_EPARSE)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(prefix_parse(&p, bad[i], true), -CEN_EPARSE);
		/* A failed parse leaves the output alone. */
		assert_memory_equal(&p, &before, sizeof(p));
	}
	assert_int_equal(prefix_parse(&p, NULL, false), -CEN_EPARSE);
}

static void
test_prefix_parse_accepts_every_length_in_range(void **state)
{
	char s[64];
	struct prefix p;
	unsigned len;

	for (len = 0; len <= 32; len++) {
		snprintf(s, sizeof(s), "0.0.0.0/%u", len);
		assert_int_equal(prefix_parse(&p, s, true), 0);
		assert_int_equal(p.len, len);
	}
	for (len = 0; len <= 128; len++) {
		snprintf(s, sizeof(s), "::/%u", len);
		assert_int_equal(prefix_parse(&p, s, true), 0);
		assert_int_equal(p.len, len);
	}
}

static void
test_prefix_parse_strict_rejects_host_bits_lax_clears_them(void **state)
{
	char buf[PREFIX_STRLEN];
	struct prefix p;

	assert_int_equal(prefix_parse(&p, "10.0.0.1/8", true), -CEN_EPARSE);
	assert_int_equal(prefix_parse(&p, "10.128.0.0/9", true), 0);
	assert_int_equal(prefix_parse(&p, "10.192.0.0/9", true), -CEN_EPARSE);
	assert_int_equal(prefix_parse(&p, "2001:db8::1/32", true), -CEN_EPARSE);
	assert_int_equal(prefix_parse(&p, "0.0.0.1/0", true), -CEN_EPARSE);

	assert_int_equal(prefix_parse(&p, "10.0.0.1/8", false), 0);
	assert_string_equal(prefix_fmt(&p, buf, sizeof(buf)), "10.0.0.0/8");
	assert_int_equal(prefix_parse(&p, "10.192.0.0/9", false), 0);
	assert_string_equal(prefix_fmt(&p, buf, sizeof(buf)), "10.128.0.0/9");
	assert_int_equal(prefix_parse(&p, "2001:db8:ffff::1/33", false), 0);
	assert_string_equal(prefix_fmt(&p, buf, sizeof(buf)),
			    "2001:db8:8000::/33");
}

static void
test_prefix_parse_addr_rejects_length(void **state)
{
	struct prefix p;

	assert_int_equal(prefix_parse_addr(&p, "192.0.2.1"), 0);
	assert_int_equal(p.family, PREFIX_AF_INET);
	assert_int_equal(p.len, 32);
	assert_int_equal(prefix_v4(&p), 0xc0000201u);
	assert_int_equal(prefix_parse_addr(&p, "2001:db8::5"), 0);
	assert_int_equal(p.len, 128);
	assert_int_equal(prefix_parse_addr(&p, "192.0.2.0/24"), -CEN_EPARSE);
	assert_int_equal(prefix_parse_addr(&p, ""), -CEN_EPARSE);
	assert_int_equal(prefix_parse_addr(&p, "x"), -CEN_EPARSE);
}

static void
random_prefix(struct prefix *p)
{
	uint8_t a[16];
	size_t i;

	for (i = 0; i < 16; i++)
		a[i] = (uint8_t)rng();
	if (rng() & 1)
		prefix_from_v4(p, (uint32_t)rng(), (uint8_t)(rng() % 33));
	else
		prefix_from_v6(p, a, (uint8_t)(rng() % 129));
}

static void
test_prefix_random_round_trip_through_text(void **state)
{
	char buf[PREFIX_STRLEN];
	struct prefix p, q;
	int i;

	for (i = 0; i < 20000; i++) {
		random_prefix(&p);
		prefix_fmt(&p, buf, sizeof(buf));
		assert_true(strlen(buf) < PREFIX_STRLEN);
		assert_int_equal(prefix_parse(&q, buf, true), 0);
		assert_true(prefix_equal(&p, &q));
		assert_memory_equal(&p, &q, sizeof(p));
	}
}

static void
test_prefix_fmt_truncates_to_buffer_size(void **state)
{
	struct prefix p = must_parse("192.168.100.0/24");
	char buf[8];

	assert_string_equal(prefix_fmt(&p, buf, sizeof(buf)), "192.168");
}

static void
test_prefix_from_v4_clears_host_bits(void **state)
{
	char buf[PREFIX_STRLEN];
	struct prefix p;

	prefix_from_v4(&p, 0x0a0b0c0du, 16);
	assert_string_equal(prefix_fmt(&p, buf, sizeof(buf)), "10.11.0.0/16");
	assert_int_equal(prefix_v4(&p), 0x0a0b0000u);
	prefix_from_v4(&p, 0xffffffffu, 0);
	assert_string_equal(prefix_fmt(&p, buf, sizeof(buf)), "0.0.0.0/0");
	prefix_from_v4(&p, 0xffffffffu, 31);
	assert_string_equal(prefix_fmt(&p, buf, sizeof(buf)),
			    "255.255.255.254/31");
}

static void
test_prefix_from_v6_clears_host_bits(void **state)
{
	uint8_t a[16];
	char buf[PREFIX_STRLEN];
	struct prefix p;

	memset(a, 0xff, sizeof(a));
	prefix_from_v6(&p, a, 17);
	assert_string_equal(prefix_fmt(&p, buf, sizeof(buf)), "ffff:8000::/17");
	prefix_from_v6(&p, a, 127);
	assert_string_equal(prefix_fmt(&p, buf, sizeof(buf)),
			    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127");
}

static void
test_prefix_canon_clears_bits_past_len_and_family(void **state)
{
	struct prefix p;

	memset(&p, 0xff, sizeof(p));
	p.family = PREFIX_AF_INET;
	p.len = 12;
	prefix_canon(&p);
	assert_int_equal(prefix_v4(&p), 0xfff00000u);
	for (size_t i = 4; i < 16; i++)
		assert_int_equal(p.addr.bytes[i], 0);
	assert_int_equal(p.pad[0], 0);
}

static void
test_prefix_maxlen_and_bit(void **state)
{
	struct prefix p = must_parse("128.0.0.1");

	assert_int_equal(prefix_maxlen(PREFIX_AF_INET), 32);
	assert_int_equal(prefix_maxlen(PREFIX_AF_INET6), 128);
	assert_int_equal(prefix_maxlen(PREFIX_AF_NONE), 0);
	assert_int_equal(prefix_bit(&p, 0), 1);
	assert_int_equal(prefix_bit(&p, 1), 0);
	assert_int_equal(prefix_bit(&p, 30), 0);
	assert_int_equal(prefix_bit(&p, 31), 1);
	p = must_parse("::1");
	assert_int_equal(prefix_bit(&p, 127), 1);
	assert_int_equal(prefix_bit(&p, 126), 0);
}

static int
qsort_cmp(const void *a, const void *b)
{
	return prefix_cmp(a, b);
}

static void
test_prefix_cmp_orders_family_then_address_then_length(void **state)
{
	static const char *const sorted[] = {
		"0.0.0.0/0",
		"0.0.0.0/1",
		"10.0.0.0/7",
		"10.0.0.0/8",
		"10.0.0.0/16",
		"10.0.0.0/24",
		"10.0.0.0/32",
		"10.0.1.0/24",
		"10.0.1.1/32",
		"10.128.0.0/9",
		"11.0.0.0/8",
		"128.0.0.0/1",
		"255.255.255.255/32",
		"::/0",
		"::/128",
		"::1/128",
		"2001:db8::/32",
		"2001:db8::/48",
		"2001:db8:1::/48",
		"fe80::/10",
	};
	size_t n = sizeof(sorted) / sizeof(sorted[0]), i, j;
	struct prefix v[32];

	for (i = 0; i < n; i++)
		v[i] = must_parse(sorted[i]);
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			int c = prefix_cmp(&v[i], &v[j]);

			if (i < j)
				assert_true(c < 0);
			else if (i > j)
				assert_true(c > 0);
			else
				assert_int_equal(c, 0);
			assert_true(prefix_equal(&v[i], &v[j]) == (i == j));
		}
	}
	/* Shuffle and sort back. */
	for (i = n - 1; i > 0; i--) {
		struct prefix tmp;

		j = rng() % (i + 1);
		tmp = v[i], v[i] = v[j], v[j] = tmp;
	}
	qsort(v, n, sizeof(v[0]), qsort_cmp);
	for (i = 0; i < n; i++) {
		struct prefix want = must_parse(sorted[i]);

		assert_true(prefix_equal(&v[i], &want));
	}
}

static void
test_prefix_contains_is_outer_same_or_shorter_with_common_bits(void **state)
{
	struct prefix a = must_parse("10.0.0.0/8");
	struct prefix b = must_parse("10.1.0.0/16");
	struct prefix c = must_parse("11.0.0.0/8");
	struct prefix d = must_parse("0.0.0.0/0");
	struct prefix e = must_parse("::/0");
	struct prefix f = must_parse("2001:db8::/32");
	struct prefix g = must_parse("2001:db8:8000::/33");
	struct prefix h = must_parse("10.0.0.0/7");

	assert_true(prefix_contains(&a, &a));
	assert_true(prefix_contains(&a, &b));
	assert_false(prefix_contains(&b, &a));
	assert_false(prefix_contains(&a, &c));
	assert_true(prefix_contains(&d, &a));
	assert_true(prefix_contains(&d, &c));
	assert_false(prefix_contains(&d, &f)); /* families differ */
	assert_false(prefix_contains(&e, &a));
	assert_true(prefix_contains(&e, &f));
	assert_true(prefix_contains(&f, &g));
	assert_false(prefix_contains(&g, &f));
	assert_true(prefix_contains(&h, &a));
	assert_true(prefix_contains(&h, &c));

	assert_true(prefix_overlaps(&a, &b));
	assert_true(prefix_overlaps(&b, &a));
	assert_false(prefix_overlaps(&a, &c));
	assert_false(prefix_overlaps(&b, &c));
	assert_false(prefix_overlaps(&d, &e));
	assert_true(prefix_overlaps(&g, &e));
}

static void
test_prefix_contains_matches_bitwise_reference(void **state)
{
	struct prefix a, b;
	unsigned i, k, common;
	int n;

	for (n = 0; n < 50000; n++) {
		random_prefix(&a);
		b = a;
		/* Derive b from a so that containment happens often. */
		b.len = (uint8_t)(rng() % (prefix_maxlen(a.family) + 1));
		for (k = 0; k < 3; k++) {
			i = (unsigned)(rng() % prefix_maxlen(a.family));
			if (rng() & 1)
				b.addr.bytes[i / 8] ^=
					(uint8_t)(0x80 >> (i % 8));
		}
		prefix_canon(&b);
		common = 0;
		while (common < a.len && common < b.len &&
		       prefix_bit(&a, common) == prefix_bit(&b, common))
			common++;
		assert_int_equal(prefix_common_len(&a, &b), common);
		assert_true(prefix_contains(&a, &b) ==
			    (a.len <= b.len && common == a.len));
		assert_true(prefix_overlaps(&a, &b) ==
			    (common == a.len || common == b.len));
	}
}

static void
test_prefix_hash_covers_family_len_and_address_only(void **state)
{
	struct prefix a = must_parse("10.0.0.0/8");
	struct prefix b = a, c;

	/* Padding and bytes beyond the family do not change the hash. */
	b.pad[0] = 7;
	b.addr.bytes[10] = 0x33;
	assert_true(prefix_hash(&a) == prefix_hash(&b));
	c = must_parse("10.0.0.0/9");
	assert_true(prefix_hash(&a) != prefix_hash(&c));
	c = must_parse("11.0.0.0/8");
	assert_true(prefix_hash(&a) != prefix_hash(&c));
	c = must_parse("::/0");
	b = must_parse("0.0.0.0/0");
	assert_true(prefix_hash(&b) != prefix_hash(&c));
	c = must_parse("2001:db8::/32");
	b = must_parse("2001:db8::/32");
	assert_true(prefix_hash(&b) == prefix_hash(&c));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_prefix_parse_format_round_trip_canonical_strings),
		cmocka_unit_test(
			test_prefix_parse_sets_family_len_and_zero_padding),
		cmocka_unit_test(test_prefix_parse_bare_address_is_host_prefix),
		cmocka_unit_test(test_prefix_parse_rejects_malformed_input),
		cmocka_unit_test(
			test_prefix_parse_accepts_every_length_in_range),
		cmocka_unit_test(
			test_prefix_parse_strict_rejects_host_bits_lax_clears_them),
		cmocka_unit_test(test_prefix_parse_addr_rejects_length),
		cmocka_unit_test(test_prefix_random_round_trip_through_text),
		cmocka_unit_test(test_prefix_fmt_truncates_to_buffer_size),
		cmocka_unit_test(test_prefix_from_v4_clears_host_bits),
		cmocka_unit_test(test_prefix_from_v6_clears_host_bits),
		cmocka_unit_test(
			test_prefix_canon_clears_bits_past_len_and_family),
		cmocka_unit_test(test_prefix_maxlen_and_bit),
		cmocka_unit_test(
			test_prefix_cmp_orders_family_then_address_then_length),
		cmocka_unit_test(
			test_prefix_contains_is_outer_same_or_shorter_with_common_bits),
		cmocka_unit_test(
			test_prefix_contains_matches_bitwise_reference),
		cmocka_unit_test(
			test_prefix_hash_covers_family_len_and_address_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
