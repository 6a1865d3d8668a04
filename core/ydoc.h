/*
 * ydoc.h - one YAML document as a tree of nodes with their source lines,
 * and the walk's common parts: the field path named in messages, typed
 * scalars, lists, mappings checked against a table of field names.
 *
 * Loaders of YAML files (core/model_yaml.c, dataplane/fwdconf.c) never stop
 * at the first problem: each one goes through cen_err_add as
 * "line N: PATH: what is wrong", so one run shows everything to fix.  The
 * two formats differ in a few conventions (error codes, how strictly an
 * integer is written, what an alias is); struct ydoc_conv holds them, so
 * each keeps its messages while the code is shared.
 */
#ifndef CEN_YDOC_H
#define CEN_YDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "err.h"
#include "prefix.h"

enum {
	YDOC_SCALAR,
	YDOC_SEQ,
	YDOC_MAP,
	YDOC_ALIAS,
};

#define YDOC_NONE	(-1)
#define YDOC_PATH_MAX	512 /* field path in messages */
#define YDOC_SHOW	48  /* characters of a bad value quoted in messages */
#define YDOC_QUOTE_MAX	(YDOC_SHOW * 4 + 8)  /* ydoc_show's buffer */
#define YDOC_DESC_MAX	(YDOC_SHOW * 4 + 64) /* ydoc_describe's buffer */
#define YDOC_FIELDS_MAX 64

/* Nodes live in one array and refer to each other by index, so building
 * and freeing the tree never recurses, however deep the input. */
struct ynode {
	uint8_t kind;
	bool plain; /* scalar written without quotes */
	int line;   /* 1-based */
	char *str;  /* scalar value (NUL-terminated) or alias name */
	size_t len;
	int first; /* children: list items, or mapping keys and values */
	int last;  /* alternating */
	int next;  /* next sibling */
	int parent;
	int target; /* an alias's anchored node (conv->compose), or NONE */
	size_t nkids;
};

/* What differs between the formats that share this module. */
struct ydoc_conv {
	/* negative CEN_E* codes: bad YAML, a value of the wrong kind, a
	 * value out of its range, a list too long */
	int code_syntax, code_type, code_range, code_size;
	int depth_max; /* nesting refused past this (0: any) */
	/* Anchors resolved as libyaml's loader does: an unknown alias or a
	 * reused anchor name is bad YAML, and ydoc_refuse_aliases can tell
	 * where a node is reached twice.  Otherwise an alias is a node of
	 * its own, which every getter refuses. */
	bool compose;
	/* A second document is read through before it is reported, as
	 * libyaml's loader would: a syntax error in it is reported
	 * instead. */
	bool second_doc_read;
	const char *second_doc; /* message for a second document */
	bool nomem_once;	/* out of memory: reported once, the result */
	bool dup_line;		/* a field given twice names the first's line */
	/* Integers are 1..10 plain digits, and one out of its range is a
	 * bad value; otherwise a sign is allowed and "N out of range R" is
	 * reported with code_range. */
	bool int_digits;
	size_t file_max; /* ydoc_read_file refuses files this long or longer */
	bool read_errno; /* a read error names errno's reason */
};

struct ydoc_anchor {
	char *name;
	int node;
};

/* The parse of one document, and the state of its walk. */
struct ydoc {
	const struct ydoc_conv *conv;
	struct cen_err *err;
	int rc; /* the result: 0, or an error's code (see nomem_once) */
	char path[YDOC_PATH_MAX];
	size_t plen;

	struct ynode *v;
	size_t n, cap;
	int root;

	yaml_parser_t parser;
	bool live; /* parser initialised */
	const char *buf;
	size_t len;
	struct ydoc_anchor *anchors; /* of the document being read */
	size_t nanchors, anchors_cap;
};

/* ydoc.c: the tree */

/* Prepares d; err may be NULL.  ydoc_free releases what d holds. */
void ydoc_init(struct ydoc *d, const struct ydoc_conv *conv,
	       struct cen_err *err);
void ydoc_free(struct ydoc *d);

/* Reads the first document of buf (len bytes, need not be NUL-terminated,
 * NULL is empty; borrowed until ydoc_free) into the tree.  Returns 0, or
 * the error's code after reporting it; the root is NULL when the stream
 * holds no document. */
int ydoc_load(struct ydoc *d, const char *buf, size_t len);
/* Checks that nothing follows the first document; 0, or the code of the
 * error reported. */
int ydoc_load_rest(struct ydoc *d);
/* With conv->compose: reports each node reached a second time through an
 * alias; true when there is none. */
bool ydoc_refuse_aliases(struct ydoc *d);

const struct ynode *ydoc_root(const struct ydoc *d);
const struct ynode *ydoc_node(const struct ydoc *d, int i);
/* A list's or mapping's first child, a node's next sibling, or NULL. */
const struct ynode *ydoc_first(const struct ydoc *d, const struct ynode *y);
const struct ynode *ydoc_next(const struct ydoc *d, const struct ynode *y);
/* The value of key `name` in mapping y, or NULL. */
const struct ynode *ydoc_map_get(const struct ydoc *d, const struct ynode *y,
				 const char *name);

/* Reads the file at path into *buf (malloc'd, the caller frees it) and
 * *len.  0, or -CEN_EIO ("PATH: REASON"), -CEN_ETOOBIG or -CEN_ENOMEM
 * reported through err.  The only function of this module that does
 * I/O. */
int ydoc_read_file(const struct ydoc_conv *conv, const char *path, char **buf,
		   size_t *len, struct cen_err *err);

/* ydoc.c: errors.  Each records code as the result (see nomem_once). */

/* An error about the document as a whole, at a line. */
void ydoc_lerr(struct ydoc *d, int line, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* An error at a line, named by the current field path. */
void ydoc_ferr_at(struct ydoc *d, int line, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* An error about node y, named by the current field path. */
void ydoc_ferr(struct ydoc *d, const struct ynode *y, int code, const char *fmt,
	       ...) __attribute__((format(printf, 4, 5)));
void ydoc_nomem(struct ydoc *d, int line);
/* "expected WHAT, got <ydoc_describe>", with code_type. */
void ydoc_bad(struct ydoc *d, const struct ynode *y, const char *what);

/* s[0..len) as a readable, bounded quotation body (YDOC_QUOTE_MAX). */
char *ydoc_show(const char *s, size_t len, char *buf, size_t size);
bool ydoc_is_null(const struct ynode *y);
/* What a node is, for "expected X, got Y" (YDOC_DESC_MAX). */
char *ydoc_describe(const struct ynode *y, char *buf, size_t size);

/* ydoc.c: field paths, "attachments[3] (vbr-dc-1).bgp.peers[0].asn" */

void ydoc_path_add(struct ydoc *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ydoc_path_trunc(struct ydoc *d, size_t len);
void ydoc_path_field(struct ydoc *d, const char *name);

/* ydoc.c: typed values.  Each reports its own errors and returns whether
 * the value is good (and, for getters, stored). */

bool ydoc_want_scalar(struct ydoc *d, const struct ynode *y, const char *what);
/* A scalar that is text: not null, no NUL inside, and not empty unless
 * empty_ok. */
bool ydoc_want_text(struct ydoc *d, const struct ynode *y, const char *what,
		    bool empty_ok);
/* A list of min..max items (max 0: any), "a list of ITEMS" in messages
 * (ITEMS NULL: "a list"); nothing (`key:`) is an empty list.  Returns its
 * length, or -1 after reporting. */
long ydoc_want_seq(struct ydoc *d, const struct ynode *y, size_t min,
		   size_t max, const char *items);
/* A mapping; with null_ok, nothing also passes. */
bool ydoc_want_map(struct ydoc *d, const struct ynode *y, bool null_ok);

/* An integer in min..max, plain decimal; `range` (NULL: "MIN..MAX") is
 * the field's documented range for messages. */
bool ydoc_uint(struct ydoc *d, const struct ynode *y, uint64_t min,
	       uint64_t max, const char *range, uint64_t *out);
/* Plain true/false (True, TRUE, False, FALSE). */
bool ydoc_bool(struct ydoc *d, const struct ynode *y, bool *out);

/* Text parsers, for callers that word their own messages.  An address
 * with its length, "10.1.0.1/24", keeping its host bits (a bare address,
 * unless len_required, is a host prefix); a host address, bare or with the
 * family's full length.  0, or -1. */
int ydoc_parse_ifaddr(const char *s, size_t len, bool len_required,
		      struct prefix *out);
int ydoc_parse_addr(const char *s, struct prefix *out);

/* ydoc.c: mappings against a table of field names.  Unknown, duplicate
 * and non-scalar keys are reported; the path is set to each field in turn
 * and the line of each field seen is kept. */

struct ydoc_fields {
	const char *const *names;
	size_t nnames;
	uint64_t seen;
	int line[YDOC_FIELDS_MAX];
	int next;
	size_t base; /* the path's length at the mapping */
};

void ydoc_fields_begin(struct ydoc *d, struct ydoc_fields *f,
		       const struct ynode *map, const char *const *names,
		       size_t nnames);
/* The index of the next known field, its value in *val; -1 at the end. */
int ydoc_fields_next(struct ydoc *d, struct ydoc_fields *f,
		     const struct ynode **val);
bool ydoc_fields_has(const struct ydoc_fields *f, int i);
/* Reports each field of the mask (bit i: names[i]) that y left out. */
void ydoc_fields_require(struct ydoc *d, const struct ydoc_fields *f,
			 const struct ynode *y, uint64_t mask);

/* Field tables: YDOC_FIELDS(tag, LIST) with LIST(X) giving X(ENUM, "name")
 * declares the enum and tag_names[]. */
#define YDOC_FENUM(e, s) e,
#define YDOC_FNAME(e, s) s,
#define YDOC_FIELDS(tag, LIST)                                                 \
	enum {                                                                 \
		LIST(YDOC_FENUM) tag##_N                                       \
	};                                                                     \
	static const char *const tag##_names[] = { LIST(YDOC_FNAME) }

/* Walks the fields of mapping `map` named in table `tag`, setting fv to
 * each value; the body is a switch over the table's enum:
 *   YDOC_FOR_FIELDS(d, &f, y, nh, v) { case NH_ID: ...; } */
#define YDOC_FOR_FIELDS(d, f, map, tag, fv)                                    \
	for (int fi_ = (ydoc_fields_begin((d), (f), (map), tag##_names,        \
					  tag##_N),                            \
			-1);                                                   \
	     (fi_ = ydoc_fields_next((d), (f), &(fv))) >= 0;)                  \
		switch (fi_)

#define YDOC_BIT(i) (UINT64_C(1) << (i))

#endif
