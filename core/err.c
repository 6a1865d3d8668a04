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
	char head[CEN_ERRMSG_SIZE], tail[CEN_ERRMSG_SIZE];
	va_list ap;

	if (err == NULL)
		return 0;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(tail, err->msg, sizeof(tail));
	snprintf(err->msg, sizeof(err->msg), "%s%s", head, tail);
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
