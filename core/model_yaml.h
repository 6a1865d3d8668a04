/*
 * model_yaml.h - the declarative configuration file (`cenctl apply -f`):
 * YAML text to struct model (model.h) and back.
 *
 * The format is the one of examples/hybrid.yaml: top-level sections cen,
 * regions (with their route_tables and the tables' static_routes),
 * physical_connections, attachments, route_maps and bandwidth_packages.
 * Fields left out take the defaults of model_*_defaults; a list or mapping
 * field left empty (`propagate:`) counts as an empty one.  Integers are
 * plain decimal scalars and booleans plain true/false: a quoted "100" is a
 * string.  Only `health_check:` being present enables the health check
 * (unless it says `enabled: false`), and only `propagate:` being present
 * sets propagate_set.
 *
 * The loader checks structure only: field names, value types, the range of
 * each field's C type, list capacities and prefix syntax.  The routing rules
 * (ROUTING.md) are model_validate's job.  Anchors and aliases are not
 * supported; a file holds one YAML document.
 */
#ifndef CEN_MODEL_YAML_H
#define CEN_MODEL_YAML_H

#include <stddef.h>

#include "err.h"
#include "model.h"

/* model_yaml.c */

/* Parses a YAML document from buf (len bytes, need not be NUL-terminated)
 * into m (initialised by the caller with model_init; objects are appended).
 * Returns 0, or the first error's negative code with EVERY problem found
 * reported through cen_err_add (err may be NULL), each line starting
 * "line N: " (1-based line of the offending node) and naming the field
 * path, e.g.
 *   line 53: attachments[3] (vbr-dc-1).vlan: expected an integer 1..2999,
 *   got "abc"
 * Unknown fields are errors that list the known ones.  A YAML syntax error
 * gives one error with libyaml's line, column and problem.  Every object's
 * `line` is the line where its mapping starts.  On error m may hold partial
 * data; the caller frees it with model_free either way. */
int model_yaml_parse(struct model *m, const char *buf, size_t len,
		     struct cen_err *err);

/* Writes m as YAML in the same format, leaving out fields at their
 * defaults.  Returns a malloc'd NUL-terminated string the caller frees, or
 * NULL when out of memory.  model_yaml_parse of the result gives an equal
 * model (lines aside) for any model that model_yaml_parse can produce;
 * tables are written under the first region of their `region`, table
 * routes under the first table of their `table`, so objects referring to
 * absent regions or tables are not written. */
char *model_yaml_emit(const struct model *m);

/* Reads the file at path and parses it with model_yaml_parse.  A file that
 * cannot be read gives -CEN_EIO ("PATH: REASON").  The only function of
 * this module that does I/O. */
int model_yaml_load_file(struct model *m, const char *path,
			 struct cen_err *err);

#endif
