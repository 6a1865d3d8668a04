/*
 * test_ydoc.c - the YAML document module the file loaders share
 * (core/ydoc.h): nodes carry their lines; messages name the field path
 * ("a[1].x"); every error of a document is collected with its line; integer
 * ranges, duplicate and unknown fields, lists too short or too long; bad
 * YAML, a second document, aliases and deep nesting under each format's
 * conventions; the text parsers; reading a file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/ydoc.h"

/* As core/model_yaml.c: codes by kind, signed integers, aliases as nodes. */
static const struct ydoc_conv LOOSE = {
	.code_syntax = -CEN_EPARSE,
	.code_type = -CEN_EPARSE,
	.code_range = -CEN_ERANGE,
	.code_size = -CEN_ETOOBIG,
	.depth_max = 4,
	.file_max = 64,
	.second_doc = "a second YAML document; a file holds one",
};

/* As dataplane/fwdconf.c: libyaml's loader's checks, one code. */
static const struct ydoc_conv STRICT = {
	.code_syntax = -CEN_EINVAL,
	.code_type = -CEN_EINVAL,
	.code_range = -CEN_EINVAL,
	.code_size = -CEN_EINVAL,
	.compose = true,
	.second_doc_read = true,
	.file_max = 64,
	.read_errno = true,
	.second_doc = "a second YAML document; the file holds one",
	.nomem_once = true,
	.dup_line = true,
	.int_digits = true,
};

struct fx {
	struct ydoc d;
	struct cen_err err;
};

static int
load(struct fx *x, const struct ydoc_conv *conv, const char *text)
{
	int rc;

	cen_err_clear(&x->err);
	ydoc_init(&x->d, conv, &x->err);
	rc = ydoc_load(&x->d, text, strlen(text));
	if (rc == 0 && !conv->second_doc_read)
		rc = ydoc_load_rest(&x->d);
	return rc;
}

/* clang-format off */
#define ITEM_FIELDS(X) \
	X(I_X, "x") \
	X(I_ON, "on")
#define TOP_FIELDS(X) \
	X(T_NAME, "name") \
	X(T_ITEMS, "items")
/* clang-format on */
YDOC_FIELDS(item, ITEM_FIELDS);
YDOC_FIELDS(top, TOP_FIELDS);

static void
walk_item(struct ydoc *d, const struct ynode *y)
{
	const struct ynode *v;
	struct ydoc_fields f;
	uint64_t u;
	bool b;

	if (!ydoc_want_map(d, y, false))
		return;
	YDOC_FOR_FIELDS(d, &f, y, item, v)
	{
	case I_X:
		ydoc_uint(d, v, 0, 9, NULL, &u);
		break;
	case I_ON:
		ydoc_bool(d, v, &b);
		break;
	}
}

/* A small format: name (required), items: [{x: 0..9, on: bool}]. */
static void
walk(struct ydoc *d)
{
	const struct ynode *root = ydoc_root(d), *v, *it;
	struct ydoc_fields f;
	long n;

	if (root == NULL || !ydoc_want_map(d, root, false))
		return;
	YDOC_FOR_FIELDS(d, &f, root, top, v)
	{
	case T_NAME:
		ydoc_want_text(d, v, "a name", false);
		break;
	case T_ITEMS:
		n = ydoc_want_seq(d, v, 1, 3, "items");
		it = ydoc_first(d, v);
		for (long i = 0; i < n; i++, it = ydoc_next(d, it)) {
			size_t base = d->plen;

			ydoc_path_add(d, "[%ld]", i);
			walk_item(d, it);
			ydoc_path_trunc(d, base);
		}
		break;
	}
	ydoc_fields_require(d, &f, root, YDOC_BIT(T_NAME));
}

static void
check(const struct ydoc_conv *conv, const char *text, int code, const char *msg)
{
	struct fx x;
	int rc;

	rc = load(&x, conv, text);
	if (rc == 0) {
		walk(&x.d);
		if (conv->second_doc_read)
			ydoc_load_rest(&x.d);
		rc = x.d.rc;
	}
	if (strcmp(x.err.msg, msg) != 0)
		fail_msg("for:\n%s\ngot:\n%s\nwanted:\n%s", text, x.err.msg,
			 msg);
	assert_int_equal(rc, code);
	ydoc_free(&x.d);
}

/* ------------------------------------------------------------------------
 * The tree.
 */

static void
test_ydoc_nodes_carry_their_lines_and_children(void **state)
{
	const struct ynode *root, *k, *v, *a;
	struct fx x;

	(void)state;
	assert_int_equal(load(&x, &LOOSE,
			      "# comment\n"
			      "name: n\n"
			      "items:\n"
			      "  - x: 1\n"
			      "  - 'q'\n"),
			 0);
	root = ydoc_root(&x.d);
	assert_non_null(root);
	assert_int_equal(root->kind, YDOC_MAP);
	assert_int_equal(root->line, 2);
	assert_int_equal(root->nkids, 4); /* keys and values alternate */
	k = ydoc_first(&x.d, root);
	assert_string_equal(k->str, "name");
	assert_true(k->plain);
	v = ydoc_map_get(&x.d, root, "items");
	assert_non_null(v);
	assert_int_equal(v->kind, YDOC_SEQ);
	assert_int_equal(v->line, 4);
	a = ydoc_first(&x.d, v);
	assert_int_equal(a->kind, YDOC_MAP);
	assert_int_equal(a->line, 4);
	a = ydoc_next(&x.d, a);
	assert_int_equal(a->line, 5);
	assert_false(a->plain);
	assert_string_equal(a->str, "q");
	assert_null(ydoc_next(&x.d, a));
	assert_null(ydoc_map_get(&x.d, root, "none"));
	ydoc_free(&x.d);

	assert_int_equal(load(&x, &LOOSE, "# nothing\n"), 0);
	assert_null(ydoc_root(&x.d));
	ydoc_free(&x.d);
}

/* ------------------------------------------------------------------------
 * Messages.
 */

static void
test_ydoc_errors_name_line_and_field_path(void **state)
{
	(void)state;
	check(&LOOSE,
	      "name: n\n"
	      "items:\n"
	      "  - x: 1\n"
	      "  - x: abc\n",
	      -CEN_EPARSE,
	      "line 4: items[1].x: expected an integer 0..9, got \"abc\"");
	/* the document as a whole has no path */
	check(&LOOSE, "- a\n", -CEN_EPARSE,
	      "line 1: expected a mapping, got a list");
}

static void
test_ydoc_every_error_is_collected_first_code_kept(void **state)
{
	(void)state;
	check(&LOOSE,
	      "items:\n"
	      "  - x: 10\n"
	      "    on: maybe\n"
	      "    y: 1\n",
	      -CEN_ERANGE,
	      "line 2: items[0].x: 10 out of range 0..9\n"
	      "line 3: items[0].on: expected true or false, got \"maybe\"\n"
	      "line 4: items[0]: unknown field 'y'; expected one of: x, on\n"
	      "line 1: missing field 'name'");
}

static void
test_ydoc_integer_range_follows_the_format(void **state)
{
	(void)state;
	check(&LOOSE, "name: n\nitems: [{x: -0}, {x: +3}, {x: '4'}]\n",
	      -CEN_EPARSE,
	      "line 2: items[2].x: expected an integer 0..9, got the quoted "
	      "string \"4\"");
	check(&LOOSE, "name: n\nitems: [{x: 99999999999999999999999}]\n",
	      -CEN_ERANGE,
	      "line 2: items[0].x: 99999999999999999999999 out of range "
	      "0..9");
	/* digits only; out of range is a bad value like any other */
	check(&STRICT, "name: n\nitems: [{x: +3}, {x: 10}, {x: 0000000003}]\n",
	      -CEN_EINVAL,
	      "line 2: items[0].x: expected an integer 0..9, got \"+3\"\n"
	      "line 2: items[1].x: expected an integer 0..9, got \"10\"");
	check(&STRICT, "name: n\nitems: [{x: 00000000003}]\n", -CEN_EINVAL,
	      "line 2: items[0].x: expected an integer 0..9, got "
	      "\"00000000003\"");
}

static void
test_ydoc_field_given_twice_is_an_error(void **state)
{
	(void)state;
	check(&LOOSE, "name: a\nitems: [{}]\nname: b\n", -CEN_EPARSE,
	      "line 3: field 'name' given twice");
	check(&STRICT, "name: a\nitems: [{}]\nname: b\n", -CEN_EINVAL,
	      "line 3: field 'name' given twice (first at line 1)");
	check(&LOOSE, "name: n\n[1]: b\n", -CEN_EPARSE,
	      "line 2: expected a field name, got a list");
}

static void
test_ydoc_list_bounds_and_empty_values(void **state)
{
	(void)state;
	check(&LOOSE, "name: n\nitems: [{}, {}, {}, {}]\n", -CEN_ETOOBIG,
	      "line 2: items: 4 items, at most 3");
	check(&LOOSE, "name: n\nitems:\n", -CEN_EPARSE,
	      "line 2: items: expected a list of items, got nothing (null)");
	check(&LOOSE, "name: n\nitems: []\n", -CEN_EPARSE,
	      "line 2: items: expected a list of items, got an empty one");
	check(&LOOSE, "name: n\nitems: x\n", -CEN_EPARSE,
	      "line 2: items: expected a list of items, got \"x\"");
	check(&STRICT, "name: ''\n", -CEN_EINVAL,
	      "line 1: name: expected a name, got the quoted string \"\"");
	check(&LOOSE, "name: ~\n", -CEN_EPARSE,
	      "line 1: name: expected a name, got nothing (null)");
}

/* ------------------------------------------------------------------------
 * The document.
 */

static void
test_ydoc_bad_yaml_gives_line_and_column(void **state)
{
	(void)state;
	check(&LOOSE, "name: n\nitems: [1, 2\n", -CEN_EPARSE,
	      "line 3: column 1: did not find expected ',' or ']' (while "
	      "parsing a flow sequence at line 2)");
	check(&STRICT, "name: \"a\xff\"\n", -CEN_EINVAL,
	      "line 1: byte 9: invalid leading UTF-8 octet");
}

static void
test_ydoc_second_document_is_refused(void **state)
{
	(void)state;
	check(&LOOSE, "name: a\n---\nname: b\n", -CEN_EPARSE,
	      "line 2: a second YAML document; a file holds one");
	/* read through first: its own mistakes come before the refusal,
	 * after the first document's */
	check(&STRICT, "name: a\nitems: 1\n---\nname: b\n", -CEN_EINVAL,
	      "line 2: items: expected a list of items, got \"1\"\n"
	      "line 3: a second YAML document; the file holds one");
	check(&STRICT, "name: a\n---\n[\n", -CEN_EINVAL,
	      "line 4: column 1: did not find expected node content (while "
	      "parsing a flow node at line 4)");
}

static void
test_ydoc_aliases_follow_the_format(void **state)
{
	struct fx x;

	(void)state;
	/* a node of its own, which the getters refuse */
	check(&LOOSE, "name: &n a\nitems: [*n]\n", -CEN_EPARSE,
	      "line 2: items[0]: expected a mapping, got the alias *n "
	      "(aliases are not supported)");
	/* libyaml's loader's rules, then no node reached twice */
	check(&STRICT, "name: *n\n", -CEN_EINVAL,
	      "line 1: column 7: found undefined alias");
	check(&STRICT, "name: &n a\nitems: &n [1]\n", -CEN_EINVAL,
	      "line 2: column 8: second occurrence (found duplicate anchor; "
	      "first occurrence at line 1)");
	assert_int_equal(load(&x, &STRICT, "a: &n [1]\nb: *n\nc: &s [*s]\n"),
			 0);
	assert_false(ydoc_refuse_aliases(&x.d));
	assert_string_equal(x.err.msg,
			    "line 1: this node is used again through an alias; "
			    "aliases are not supported\n"
			    "line 3: this node is used again through an alias; "
			    "aliases are not supported");
	ydoc_free(&x.d);
	assert_int_equal(load(&x, &STRICT, "a: &n [1]\n"), 0);
	assert_true(ydoc_refuse_aliases(&x.d));
	ydoc_free(&x.d);
}

static void
test_ydoc_nesting_deeper_than_the_limit_is_refused(void **state)
{
	(void)state;
	check(&LOOSE, "name: n\nitems: [[[[1]]]]\n", -CEN_EPARSE,
	      "line 2: nested deeper than 4 levels");
	check(&LOOSE, "name: n\nitems: [[[1]]]\n", -CEN_EPARSE,
	      "line 2: items[0]: expected a mapping, got a list");
}

/* ------------------------------------------------------------------------
 * Text parsers and files.
 */

static void
test_ydoc_parse_ifaddr_keeps_host_bits(void **state)
{
	struct prefix p;

	(void)state;
	assert_int_equal(ydoc_parse_ifaddr("10.1.0.1/24", 11, true, &p), 0);
	assert_int_equal(p.len, 24);
	assert_int_equal(prefix_v4(&p), 0x0a010001u);
	assert_int_equal(ydoc_parse_ifaddr("10.1.0.1", 8, false, &p), 0);
	assert_int_equal(p.len, 32);
	assert_int_equal(ydoc_parse_ifaddr("10.1.0.1", 8, true, &p), -1);
	assert_int_equal(ydoc_parse_ifaddr("10.1.0.1/024", 12, true, &p), -1);
	assert_int_equal(ydoc_parse_ifaddr("10.1.0.1/33", 11, true, &p), -1);
	assert_int_equal(ydoc_parse_ifaddr("2001:db8::1/64", 14, true, &p), 0);
	assert_int_equal(p.len, 64);
	assert_int_equal(ydoc_parse_addr("2001:db8::1/128", &p), 0);
	assert_int_equal(ydoc_parse_addr("10.0.0.0/8", &p), -1);
}

static void
test_ydoc_read_file_names_the_file(void **state)
{
	char path[] = "/tmp/test_ydoc_XXXXXX", *buf;
	struct cen_err err;
	size_t len;
	FILE *f;
	int fd;

	(void)state;
	cen_err_clear(&err);
	assert_int_equal(ydoc_read_file(&LOOSE, "/nonexistent/ydoc.yaml", &buf,
					&len, &err),
			 -CEN_EIO);
	assert_string_equal(err.msg, "/nonexistent/ydoc.yaml: No such file "
				     "or directory");
	assert_null(buf);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("name: n\n", f);
	fclose(f);
	assert_int_equal(ydoc_read_file(&LOOSE, path, &buf, &len, &err), 0);
	assert_int_equal(len, 8);
	assert_memory_equal(buf, "name: n\n", 8);
	free(buf);

	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 10; i++)
		fputs("name: n\n", f);
	fclose(f);
	cen_err_clear(&err);
	assert_int_equal(ydoc_read_file(&LOOSE, path, &buf, &len, &err),
			 -CEN_ETOOBIG);
	assert_non_null(strstr(err.msg, ": larger than 64 bytes"));
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_ydoc_nodes_carry_their_lines_and_children),
		cmocka_unit_test(test_ydoc_errors_name_line_and_field_path),
		cmocka_unit_test(
			test_ydoc_every_error_is_collected_first_code_kept),
		cmocka_unit_test(test_ydoc_integer_range_follows_the_format),
		cmocka_unit_test(test_ydoc_field_given_twice_is_an_error),
		cmocka_unit_test(test_ydoc_list_bounds_and_empty_values),
		cmocka_unit_test(test_ydoc_bad_yaml_gives_line_and_column),
		cmocka_unit_test(test_ydoc_second_document_is_refused),
		cmocka_unit_test(test_ydoc_aliases_follow_the_format),
		cmocka_unit_test(
			test_ydoc_nesting_deeper_than_the_limit_is_refused),
		cmocka_unit_test(test_ydoc_parse_ifaddr_keeps_host_bits),
		cmocka_unit_test(test_ydoc_read_file_names_the_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
