/*
 * err.h - the error codes every module returns, as one X-macro table.
 *
 * Functions return 0 or a negative CEN_E* code.  Where a caller needs to know
 * what to fix, they also fill a struct cen_err with a message naming the field
 * and the allowed range ("priority 120 out of range 1..100").
 */
#ifndef CEN_ERR_H
#define CEN_ERR_H

#include <stdarg.h>

#define CEN_ERRNO_MAP(X)                                                       \
	X(NOMEM, "out of memory")                                              \
	X(INVAL, "invalid argument")                                           \
	X(RANGE, "value out of range")                                         \
	X(NOENT, "no such object")                                             \
	X(EXIST, "object already exists")                                      \
	X(CONFLICT, "conflicts with existing configuration")                   \
	X(INUSE, "object is in use")                                           \
	X(PARSE, "parse error")                                                \
	X(TOOBIG, "too many items")                                            \
	X(IO, "input/output error")                                            \
	X(PROTO, "protocol error")                                             \
	X(NOTLEADER, "not the leader")                                         \
	X(SHUTDOWN, "shutting down")                                           \
	X(TIMEOUT, "timed out")

enum {
	CEN_OK = 0,
#define CEN_ERR_ENUM(name, msg) CEN_E##name,
	CEN_ERR_FIRST_ = 1000,
	CEN_ERRNO_MAP(CEN_ERR_ENUM)
#undef CEN_ERR_ENUM
	CEN_ERR_LAST_
};
/* Codes are returned negated: return -CEN_ENOENT. */

#define CEN_ERRMSG_SIZE 4096

struct cen_err {
	int code;		   /* negative CEN_E* or 0 */
	char msg[CEN_ERRMSG_SIZE]; /* human-readable, names the field */
};

/* err.c */
const char *cen_strerror(int code);
/* Sets err->code and formats err->msg; returns code so callers can
 * `return cen_errf(err, -CEN_ERANGE, "...")`.  err may be NULL. */
int cen_errf(struct cen_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prepends context: "attachments[2].vlan: " + existing message. */
int cen_err_prefix(struct cen_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cen_err_clear(struct cen_err *err);
/* Appends one more error line ("\n" separated) and keeps the first code;
 * used by validators that report every error, not just the first. */
int cen_err_add(struct cen_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
