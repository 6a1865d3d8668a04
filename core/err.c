/*
 * err.c - error codes and messages (err.h).
 */
#include "err.h"

#include <stdio.h>
#include <string.h>

const char *
cen_strerror(int code)
{
	if (code < 0)
		code = -code;
	switch (code) {
	case 0:
		return "ok";
#define CEN_ERR_CASE(name, msg)                                                \
	case CEN_E##name:                                                      \
		return msg;
		CEN_ERRNO_MAP(CEN_ERR_CASE)
#undef CEN_ERR_CASE
	default:
		return "unknown error";
	}
}

int
cen_errf(struct cen_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int
cen_err_prefix(struct cen_err *err, const char *fmt, ...)
{
	char head[CEN_ERRMSG_SIZE];
	size_t hl, tl;
	va_list ap;
	int n;

	if (err == NULL)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	if (n < 0)
		return err->code;
	hl = strlen(head);
	tl = strlen(err->msg);
	if (hl + tl + 1 > sizeof(err->msg))
		tl = sizeof(err->msg) - hl - 1;
	memmove(err->msg + hl, err->msg, tl);
	memcpy(err->msg, head, hl);
	err->msg[hl + tl] = '\0';
	return err->code;
}

void
cen_err_clear(struct cen_err *err)
{
	if (err == NULL)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

int
cen_err_add(struct cen_err *err, int code, const char *fmt, ...)
{
	size_t used;
	va_list ap;

	if (err == NULL)
		return code;
	if (err->code == 0) {
		err->code = code;
		err->msg[0] = '\0';
	}
	used = strlen(err->msg);
	if (used > 0 && used + 1 < sizeof(err->msg))
		err->msg[used++] = '\n', err->msg[used] = '\0';
	if (used + 1 >= sizeof(err->msg))
		return err->code;
	va_start(ap, fmt);
	vsnprintf(err->msg + used, sizeof(err->msg) - used, fmt, ap);
	va_end(ap);
	return err->code;
}
