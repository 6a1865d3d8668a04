/*
 * ydoc.c - one YAML document as a tree of nodes (ydoc.h), read with
 * libyaml's event parser, and what the loaders built on it share.
 *
 * The tree is built from events rather than with yaml_parser_load so that
 * each format decides what an alias is (a node of its own that getters
 * refuse, or a second reference found after loading) and how deep a
 * document may nest.  With conv->compose the events are checked as
 * libyaml's loader would check them (undefined alias, anchor given twice),
 * with its messages, so a format that once used the loader reads the same.
 */
#include "ydoc.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Errors.
 */

static int
mark_line(const yaml_mark_t *m)
{
	return m->line >= INT_MAX ? INT_MAX : (int)m->line + 1;
}

static void
vreport(struct ydoc *d, int line, int code, bool with_path, const char *fmt,
	va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (d->rc == 0 || (d->conv->nomem_once && code == -CEN_ENOMEM))
		d->rc = code;
	if (with_path && d->plen > 0)
		cen_err_add(d->err, code, "line %d: %s: %s", line, d->path,
			    msg);
	else
		cen_err_add(d->err, code, "line %d: %s", line, msg);
}

void
ydoc_lerr(struct ydoc *d, int line, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(d, line, code, false, fmt, ap);
	va_end(ap);
}

void
ydoc_ferr_at(struct ydoc *d, int line, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(d, line, code, true, fmt, ap);
	va_end(ap);
}

void
ydoc_ferr(struct ydoc *d, const struct ynode *y, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(d, y->line, code, true, fmt, ap);
	va_end(ap);
}

void
ydoc_nomem(struct ydoc *d, int line)
{
	/* one report is enough when every later allocation fails too */
	if (d->conv->nomem_once && d->rc == -CEN_ENOMEM)
		return;
	ydoc_lerr(d, line, -CEN_ENOMEM, "out of memory");
}

char *
ydoc_show(const char *s, size_t len, char *buf, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 8 < size; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (i == YDOC_SHOW) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (ch == '"' || ch == '\\')
			o += (size_t)snprintf(buf + o, size - o, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	buf[o] = '\0';
	return buf;
}

bool
ydoc_is_null(const struct ynode *y)
{
	if (y->kind != YDOC_SCALAR || !y->plain)
		return false;
	return y->len == 0 || strcmp(y->str, "~") == 0 ||
	       strcmp(y->str, "null") == 0 || strcmp(y->str, "Null") == 0 ||
	       strcmp(y->str, "NULL") == 0;
}

char *
ydoc_describe(const struct ynode *y, char *buf, size_t size)
{
	char v[YDOC_QUOTE_MAX];

	switch (y->kind) {
	case YDOC_SEQ:
		snprintf(buf, size, "a list");
		break;
	case YDOC_MAP:
		snprintf(buf, size, "a mapping");
		break;
	case YDOC_ALIAS:
		snprintf(buf, size, "the alias *%s (aliases are not supported)",
			 ydoc_show(y->str, y->len, v, sizeof(v)));
		break;
	default:
		if (ydoc_is_null(y))
			snprintf(buf, size, "nothing (null)");
		else
			snprintf(buf, size, "%s\"%s\"",
				 y->plain ? "" : "the quoted string ",
				 ydoc_show(y->str, y->len, v, sizeof(v)));
		break;
	}
	return buf;
}

void
ydoc_bad(struct ydoc *d, const struct ynode *y, const char *what)
{
	char desc[YDOC_DESC_MAX];

	ydoc_ferr(d, y, d->conv->code_type, "expected %s, got %s", what,
		  ydoc_describe(y, desc, sizeof(desc)));
}

/* ------------------------------------------------------------------------
 * The tree.
 */

void
ydoc_init(struct ydoc *d, const struct ydoc_conv *conv, struct cen_err *err)
{
	memset(d, 0, sizeof(*d));
	d->conv = conv;
	d->err = err;
	d->root = YDOC_NONE;
}

static void
anchors_clear(struct ydoc *d)
{
	size_t i;

	for (i = 0; i < d->nanchors; i++)
		free(d->anchors[i].name);
	d->nanchors = 0;
}

void
ydoc_free(struct ydoc *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->v[i].str);
	free(d->v);
	anchors_clear(d);
	free(d->anchors);
	if (d->live)
		yaml_parser_delete(&d->parser);
	d->v = NULL;
	d->n = d->cap = 0;
	d->anchors = NULL;
	d->anchors_cap = 0;
	d->live = false;
	d->root = YDOC_NONE;
}

const struct ynode *
ydoc_node(const struct ydoc *d, int i)
{
	return i == YDOC_NONE ? NULL : &d->v[i];
}

const struct ynode *
ydoc_root(const struct ydoc *d)
{
	return ydoc_node(d, d->root);
}

const struct ynode *
ydoc_first(const struct ydoc *d, const struct ynode *y)
{
	return ydoc_node(d, y->first);
}

const struct ynode *
ydoc_next(const struct ydoc *d, const struct ynode *y)
{
	return ydoc_node(d, y->next);
}

const struct ynode *
ydoc_map_get(const struct ydoc *d, const struct ynode *y, const char *name)
{
	int i;

	if (y->kind != YDOC_MAP)
		return NULL;
	for (i = y->first; i != YDOC_NONE; i = d->v[d->v[i].next].next) {
		const struct ynode *k = &d->v[i];

		if (k->next == YDOC_NONE)
			break;
		if (k->kind == YDOC_SCALAR && strcmp(k->str, name) == 0)
			return &d->v[k->next];
	}
	return NULL;
}

/* Appends a node under parent (NONE: a document's root, which becomes the
 * tree's when `root`); its index, or -CEN_ENOMEM. */
static int
add_node(struct ydoc *d, int parent, bool root, uint8_t kind,
	 const yaml_mark_t *mark)
{
	struct ynode *y;
	int idx;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct ynode *v;

		if (cap > INT_MAX)
			return -CEN_ENOMEM;
		v = realloc(d->v, cap * sizeof(*v));
		if (v == NULL)
			return -CEN_ENOMEM;
		d->v = v;
		d->cap = cap;
	}
	idx = (int)d->n++;
	y = &d->v[idx];
	memset(y, 0, sizeof(*y));
	y->kind = kind;
	y->line = mark_line(mark);
	y->first = y->last = y->next = y->target = YDOC_NONE;
	y->parent = parent;
	if (parent == YDOC_NONE) {
		if (root)
			d->root = idx;
	} else {
		struct ynode *p = &d->v[parent];

		if (p->last == YDOC_NONE)
			p->first = idx;
		else
			d->v[p->last].next = idx;
		p->last = idx;
		p->nkids++;
	}
	return idx;
}

static int
add_text(struct ydoc *d, int parent, bool root, uint8_t kind,
	 const yaml_mark_t *mark, const unsigned char *s, size_t len)
{
	char *str;
	int idx;

	str = malloc(len + 1);
	if (str == NULL)
		return -CEN_ENOMEM;
	memcpy(str, s, len);
	str[len] = '\0';
	idx = add_node(d, parent, root, kind, mark);
	if (idx < 0) {
		free(str);
		return idx;
	}
	d->v[idx].str = str;
	d->v[idx].len = len;
	return idx;
}

/* Line of a reader error, which libyaml gives as a byte offset. */
static int
offset_line(const char *buf, size_t len, size_t off)
{
	size_t i;
	int line = 1;

	for (i = 0; i < off && i < len; i++)
		if (buf[i] == '\n' && line < INT_MAX)
			line++;
	return line;
}

/* A problem at mark, in libyaml's words: "column C: PROBLEM (CONTEXT at
 * line L)". */
static void
syntax_at(struct ydoc *d, const yaml_mark_t *mark, const char *problem,
	  const char *context, int context_line)
{
	if (context != NULL)
		ydoc_lerr(d, mark_line(mark), d->conv->code_syntax,
			  "column %zu: %s (%s at line %d)", mark->column + 1,
			  problem, context, context_line);
	else
		ydoc_lerr(d, mark_line(mark), d->conv->code_syntax,
			  "column %zu: %s", mark->column + 1, problem);
}

static int
syntax_error(struct ydoc *d)
{
	const yaml_parser_t *p = &d->parser;
	const char *problem = p->problem ? p->problem : "invalid YAML";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		ydoc_nomem(d, 1);
		break;
	case YAML_READER_ERROR:
		ydoc_lerr(d, offset_line(d->buf, d->len, p->problem_offset),
			  d->conv->code_syntax, "byte %zu: %s",
			  p->problem_offset + 1, problem);
		break;
	default:
		syntax_at(d, &p->problem_mark, problem, p->context,
			  mark_line(&p->context_mark));
		break;
	}
	return d->rc;
}

/* Names node idx by its anchor; a name given twice in a document is the
 * loader's error. */
static int
anchor_add(struct ydoc *d, const unsigned char *name, int idx,
	   const yaml_mark_t *mark)
{
	struct ydoc_anchor *a;
	size_t i;

	if (name == NULL || !d->conv->compose)
		return 0;
	for (i = 0; i < d->nanchors; i++)
		if (strcmp(d->anchors[i].name, (const char *)name) == 0) {
			syntax_at(d, mark, "second occurrence",
				  "found duplicate anchor; first occurrence",
				  d->v[d->anchors[i].node].line);
			return d->rc;
		}
	if (d->nanchors == d->anchors_cap) {
		size_t cap = d->anchors_cap ? d->anchors_cap * 2 : 8;

		a = realloc(d->anchors, cap * sizeof(*a));
		if (a == NULL)
			goto nomem;
		d->anchors = a;
		d->anchors_cap = cap;
	}
	a = &d->anchors[d->nanchors];
	a->name = strdup((const char *)name);
	if (a->name == NULL)
		goto nomem;
	a->node = idx;
	d->nanchors++;
	return 0;
nomem:
	ydoc_nomem(d, mark_line(mark));
	return d->rc;
}

static int
alias_add(struct ydoc *d, int parent, bool root, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	int target = YDOC_NONE, idx;
	size_t i;

	if (d->conv->compose) {
		for (i = 0; i < d->nanchors; i++)
			if (strcmp(d->anchors[i].name, name) == 0)
				target = d->anchors[i].node;
		if (target == YDOC_NONE) {
			syntax_at(d, &ev->start_mark, "found undefined alias",
				  NULL, 0);
			return d->rc;
		}
	}
	idx = add_text(d, parent, root, YDOC_ALIAS, &ev->start_mark,
		       (const unsigned char *)name, strlen(name));
	if (idx < 0) {
		ydoc_nomem(d, mark_line(&ev->start_mark));
		return d->rc;
	}
	d->v[idx].target = target;
	return 0;
}

/* Reads the events of a document whose start was just read, up to its
 * end, into the tree (its root becoming the tree's when `root`). */
static int
read_doc(struct ydoc *d, bool root)
{
	const struct ydoc_conv *cv = d->conv;
	int cur = YDOC_NONE, depth = 0, rc = 0, idx;
	yaml_event_t ev;
	bool done = false;

	anchors_clear(d);
	while (!done && rc == 0) {
		const unsigned char *anchor = NULL;

		if (!yaml_parser_parse(&d->parser, &ev))
			return syntax_error(d);
		idx = 0;
		switch (ev.type) {
		case YAML_DOCUMENT_END_EVENT:
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_SCALAR_EVENT:
			idx = add_text(d, cur, root, YDOC_SCALAR,
				       &ev.start_mark, ev.data.scalar.value,
				       ev.data.scalar.length);
			if (idx >= 0)
				d->v[idx].plain = ev.data.scalar.style ==
						  YAML_PLAIN_SCALAR_STYLE;
			anchor = ev.data.scalar.anchor;
			break;
		case YAML_ALIAS_EVENT:
			rc = alias_add(d, cur, root, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (cv->depth_max > 0 && depth == cv->depth_max) {
				ydoc_lerr(d, mark_line(&ev.start_mark),
					  cv->code_syntax,
					  "nested deeper than %d levels",
					  cv->depth_max);
				rc = d->rc;
				break;
			}
			idx = add_node(d, cur, root,
				       ev.type == YAML_SEQUENCE_START_EVENT
					       ? YDOC_SEQ
					       : YDOC_MAP,
				       &ev.start_mark);
			if (idx < 0)
				break;
			cur = idx;
			depth++;
			anchor = ev.type == YAML_SEQUENCE_START_EVENT
					 ? ev.data.sequence_start.anchor
					 : ev.data.mapping_start.anchor;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0) {
				cur = d->v[cur].parent;
				depth--;
			}
			break;
		default:
			break;
		}
		if (idx < 0) {
			ydoc_nomem(d, mark_line(&ev.start_mark));
			rc = d->rc;
		} else if (anchor != NULL) {
			rc = anchor_add(d, anchor, idx, &ev.start_mark);
		}
		yaml_event_delete(&ev);
	}
	return rc;
}

int
ydoc_load(struct ydoc *d, const char *buf, size_t len)
{
	yaml_event_t ev;
	int rc = 0;

	d->buf = buf != NULL ? buf : "";
	d->len = buf != NULL ? len : 0;
	if (!yaml_parser_initialize(&d->parser)) {
		ydoc_nomem(d, 1);
		return d->rc;
	}
	d->live = true;
	yaml_parser_set_input_string(&d->parser, (const unsigned char *)d->buf,
				     d->len);
	for (;;) {
		if (!yaml_parser_parse(&d->parser, &ev))
			return syntax_error(d);
		if (ev.type == YAML_DOCUMENT_START_EVENT)
			rc = read_doc(d, true);
		if (ev.type == YAML_DOCUMENT_START_EVENT ||
		    ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			return rc;
		}
		yaml_event_delete(&ev);
	}
}

int
ydoc_load_rest(struct ydoc *d)
{
	yaml_event_t ev;
	int line, rc;

	if (!d->live || d->parser.stream_end_produced)
		return 0;
	if (!yaml_parser_parse(&d->parser, &ev))
		return syntax_error(d);
	if (ev.type != YAML_DOCUMENT_START_EVENT) {
		yaml_event_delete(&ev);
		return 0;
	}
	line = mark_line(&ev.start_mark);
	yaml_event_delete(&ev);
	if (d->conv->second_doc_read) {
		rc = read_doc(d, false);
		if (rc != 0)
			return rc;
	}
	ydoc_lerr(d, line, d->conv->code_syntax, "%s", d->conv->second_doc);
	return d->rc;
}

/* Counts a reference to node i; the second one is through an alias
 * (reported once per node).  False when i was already reached. */
static bool
reach(struct ydoc *d, uint8_t *refs, int i)
{
	if (d->v[i].kind == YDOC_ALIAS)
		i = d->v[i].target;
	if (i == YDOC_NONE)
		return true;
	if (refs[i] == 0) {
		refs[i] = 1;
		return true;
	}
	if (refs[i] == 1)
		ydoc_lerr(d, d->v[i].line, d->conv->code_syntax,
			  "this node is used again through an alias; aliases "
			  "are not supported");
	refs[i] = 2;
	return false;
}

bool
ydoc_refuse_aliases(struct ydoc *d)
{
	uint8_t *refs;
	bool ok = true;
	size_t i;
	int k;

	if (d->root == YDOC_NONE)
		return true;
	refs = calloc(d->n, 1);
	if (refs == NULL) {
		ydoc_nomem(d, 1);
		return false;
	}
	refs[d->root] = 1;
	/* nodes in the order of their starts, as libyaml's loader numbers
	 * them: the reports come in the loader's order */
	for (i = 0; i < d->n; i++)
		if (d->v[i].kind == YDOC_SEQ || d->v[i].kind == YDOC_MAP)
			for (k = d->v[i].first; k != YDOC_NONE;
			     k = d->v[k].next)
				ok &= reach(d, refs, k);
	free(refs);
	return ok;
}

/* ------------------------------------------------------------------------
 * Field paths.
 */

void
ydoc_path_add(struct ydoc *d, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (d->plen + 1 >= sizeof(d->path))
		return;
	va_start(ap, fmt);
	n = vsnprintf(d->path + d->plen, sizeof(d->path) - d->plen, fmt, ap);
	va_end(ap);
	if (n > 0)
		d->plen += (size_t)n;
	if (d->plen >= sizeof(d->path))
		d->plen = sizeof(d->path) - 1;
}

void
ydoc_path_trunc(struct ydoc *d, size_t len)
{
	d->plen = len;
	d->path[len] = '\0';
}

void
ydoc_path_field(struct ydoc *d, const char *name)
{
	ydoc_path_add(d, d->plen > 0 ? ".%s" : "%s", name);
}

/* ------------------------------------------------------------------------
 * Typed values.
 */

bool
ydoc_want_scalar(struct ydoc *d, const struct ynode *y, const char *what)
{
	if (y->kind == YDOC_SCALAR)
		return true;
	ydoc_bad(d, y, what);
	return false;
}

bool
ydoc_want_text(struct ydoc *d, const struct ynode *y, const char *what,
	       bool empty_ok)
{
	if (y->kind == YDOC_SCALAR && !ydoc_is_null(y) &&
	    (empty_ok || y->len > 0) && memchr(y->str, '\0', y->len) == NULL)
		return true;
	ydoc_bad(d, y, what);
	return false;
}

long
ydoc_want_seq(struct ydoc *d, const struct ynode *y, size_t min, size_t max,
	      const char *items)
{
	char desc[YDOC_DESC_MAX];
	size_t n = 0;

	if (!ydoc_is_null(y) && y->kind != YDOC_SEQ) {
		ydoc_describe(y, desc, sizeof(desc));
		if (items != NULL)
			ydoc_ferr(d, y, d->conv->code_type,
				  "expected a list of %s, got %s", items, desc);
		else
			ydoc_ferr(d, y, d->conv->code_type,
				  "expected a list, got %s", desc);
		return -1;
	}
	if (y->kind == YDOC_SEQ)
		n = y->nkids;
	if (n < min) {
		ydoc_ferr(d, y, d->conv->code_type,
			  "expected a list of %s, got %s",
			  items != NULL ? items : "items",
			  ydoc_is_null(y) ? "nothing (null)" : "an empty one");
		return -1;
	}
	if (max > 0 && n > max) {
		ydoc_ferr(d, y, d->conv->code_size, "%zu items, at most %zu", n,
			  max);
		return -1;
	}
	return (long)(n > LONG_MAX ? LONG_MAX : n);
}

bool
ydoc_want_map(struct ydoc *d, const struct ynode *y, bool null_ok)
{
	char desc[YDOC_DESC_MAX];

	if (y->kind == YDOC_MAP || (null_ok && ydoc_is_null(y)))
		return true;
	ydoc_ferr(d, y, d->conv->code_type, "expected a mapping, got %s",
		  ydoc_describe(y, desc, sizeof(desc)));
	return false;
}

bool
ydoc_uint(struct ydoc *d, const struct ynode *y, uint64_t min, uint64_t max,
	  const char *range, uint64_t *out)
{
	char what[64], r[48], v[YDOC_QUOTE_MAX];
	const char *s = y->str;
	bool neg = false, over = false;
	uint64_t val = 0;
	size_t i = 0;

	if (range == NULL) {
		snprintf(r, sizeof(r), "%" PRIu64 "..%" PRIu64, min, max);
		range = r;
	}
	snprintf(what, sizeof(what), "an integer %s", range);
	if (d->conv->int_digits) {
		/* 10 digits: an unsigned int's worth, and no long runs of
		 * leading zeros */
		if (!ydoc_want_text(d, y, what, false))
			return false;
		if (!y->plain || y->len > 10)
			goto bad;
	} else {
		if (!ydoc_want_scalar(d, y, what))
			return false;
		if (!y->plain)
			goto bad;
		if (i < y->len && (s[i] == '+' || s[i] == '-'))
			neg = s[i++] == '-';
	}
	if (i == y->len)
		goto bad;
	for (; i < y->len; i++) {
		unsigned dig = (unsigned)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9')
			goto bad;
		if (val > (UINT64_MAX - dig) / 10)
			over = true;
		else
			val = val * 10 + dig;
	}
	if (over || (neg && val != 0) || val < min || val > max) {
		if (d->conv->int_digits)
			goto bad;
		ydoc_ferr(d, y, d->conv->code_range, "%s out of range %s",
			  ydoc_show(y->str, y->len, v, sizeof(v)), range);
		return false;
	}
	*out = val;
	return true;
bad:
	ydoc_bad(d, y, what);
	return false;
}

bool
ydoc_bool(struct ydoc *d, const struct ynode *y, bool *out)
{
	static const char *const t[] = { "true", "True", "TRUE" };
	static const char *const f[] = { "false", "False", "FALSE" };
	size_t i;

	if (!ydoc_want_scalar(d, y, "true or false"))
		return false;
	for (i = 0; y->plain && i < 3; i++) {
		if (strcmp(y->str, t[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcmp(y->str, f[i]) == 0) {
			*out = false;
			return true;
		}
	}
	ydoc_bad(d, y, "true or false");
	return false;
}

int
ydoc_parse_ifaddr(const char *s, size_t len, bool len_required,
		  struct prefix *out)
{
	const char *slash = strchr(s, '/');
	struct prefix p;
	unsigned plen = 0;
	char a[64];
	size_t n, i;

	if (slash == NULL && len_required)
		return -1;
	n = slash != NULL ? (size_t)(slash - s) : len;
	if (n >= sizeof(a))
		return -1;
	memcpy(a, s, n);
	a[n] = '\0';
	if (prefix_parse_addr(&p, a) < 0)
		return -1;
	if (slash != NULL) {
		const char *l = slash + 1;

		/* no sign, no leading zero, at most 3 digits */
		if (l[0] == '\0' || (l[0] == '0' && l[1] != '\0'))
			return -1;
		for (i = 0; l[i] != '\0'; i++) {
			if (l[i] < '0' || l[i] > '9' || i >= 3)
				return -1;
			plen = plen * 10 + (unsigned)(l[i] - '0');
		}
		if (plen > prefix_maxlen(p.family))
			return -1;
		p.len = (uint8_t)plen;
	}
	*out = p;
	return 0;
}

int
ydoc_parse_addr(const char *s, struct prefix *out)
{
	struct prefix p;

	if (prefix_parse(&p, s, true) < 0 || p.len != prefix_maxlen(p.family))
		return -1;
	*out = p;
	return 0;
}

/* ------------------------------------------------------------------------
 * Mappings against a table of field names.
 */

void
ydoc_fields_begin(struct ydoc *d, struct ydoc_fields *f,
		  const struct ynode *map, const char *const *names,
		  size_t nnames)
{
	f->names = names;
	f->nnames = nnames;
	f->seen = 0;
	f->next = map->kind == YDOC_MAP ? map->first : YDOC_NONE;
	f->base = d->plen;
}

static void
unknown_field(struct ydoc *d, const struct ydoc_fields *f,
	      const struct ynode *k)
{
	char v[YDOC_QUOTE_MAX], list[768];
	size_t i, o = 0;

	list[0] = '\0';
	for (i = 0; i < f->nnames && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
				      i > 0 ? ", " : "", f->names[i]);
	ydoc_ferr(d, k, d->conv->code_type,
		  "unknown field '%s'; expected one of: %s",
		  ydoc_show(k->str, k->len, v, sizeof(v)), list);
}

int
ydoc_fields_next(struct ydoc *d, struct ydoc_fields *f,
		 const struct ynode **val)
{
	ydoc_path_trunc(d, f->base);
	while (f->next != YDOC_NONE) {
		const struct ynode *k = &d->v[f->next], *v;
		size_t i;

		if (k->next == YDOC_NONE)
			break;
		v = &d->v[k->next];
		f->next = v->next;
		if (k->kind != YDOC_SCALAR || ydoc_is_null(k)) {
			ydoc_bad(d, k, "a field name");
			continue;
		}
		for (i = 0; i < f->nnames; i++)
			if (strlen(f->names[i]) == k->len &&
			    memcmp(f->names[i], k->str, k->len) == 0)
				break;
		if (i == f->nnames || i >= YDOC_FIELDS_MAX) {
			unknown_field(d, f, k);
			continue;
		}
		if (f->seen & YDOC_BIT(i)) {
			if (d->conv->dup_line)
				ydoc_ferr(d, k, d->conv->code_type,
					  "field '%s' given twice (first at "
					  "line %d)",
					  f->names[i], f->line[i]);
			else
				ydoc_ferr(d, k, d->conv->code_type,
					  "field '%s' given twice",
					  f->names[i]);
			continue;
		}
		f->seen |= YDOC_BIT(i);
		f->line[i] = k->line;
		ydoc_path_field(d, f->names[i]);
		*val = v;
		return (int)i;
	}
	return -1;
}

bool
ydoc_fields_has(const struct ydoc_fields *f, int i)
{
	return (f->seen & YDOC_BIT(i)) != 0;
}

void
ydoc_fields_require(struct ydoc *d, const struct ydoc_fields *f,
		    const struct ynode *y, uint64_t mask)
{
	size_t i;

	ydoc_path_trunc(d, f->base);
	for (i = 0; i < f->nnames && i < YDOC_FIELDS_MAX; i++)
		if ((mask & YDOC_BIT(i)) && !ydoc_fields_has(f, (int)i))
			ydoc_ferr(d, y, d->conv->code_type,
				  "missing field '%s'", f->names[i]);
}

/* ------------------------------------------------------------------------
 * I/O: reading a file.  Nothing above this line touches the file system.
 */

int
ydoc_read_file(const struct ydoc_conv *conv, const char *path, char **bufp,
	       size_t *lenp, struct cen_err *err)
{
	size_t len = 0, cap = 0, n;
	char *buf = NULL, *p;
	FILE *f;
	int rc = 0;

	*bufp = NULL;
	*lenp = 0;
	f = fopen(path, "rb");
	if (f == NULL) {
		cen_err_add(err, -CEN_EIO, "%s: %s", path, strerror(errno));
		return -CEN_EIO;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= conv->file_max) {
				cen_err_add(err, -CEN_ETOOBIG,
					    "%s: larger than %zu bytes", path,
					    conv->file_max);
				rc = -CEN_ETOOBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 65536;
			if (cap > conv->file_max)
				cap = conv->file_max;
			p = realloc(buf, cap);
			if (p == NULL) {
				cen_err_add(err, -CEN_ENOMEM,
					    "%s: out of memory", path);
				rc = -CEN_ENOMEM;
				goto out;
			}
			buf = p;
		}
		errno = 0;
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		cen_err_add(err, -CEN_EIO, "%s: %s", path,
			    conv->read_errno && errno != 0 ? strerror(errno)
							   : "read error");
		rc = -CEN_EIO;
		goto out;
	}
	*bufp = buf;
	*lenp = len;
	buf = NULL;
out:
	free(buf);
	fclose(f);
	return rc;
}
