/*
 * opts.c - argument parsing for cenctl's commands: "--name VALUE" and
 * "--name=VALUE" flags among positional arguments, numbers with ranges,
 * and usage errors that name the command and exit 2.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cenctl.h"

void
opts_init(struct opts *o, const char *cmd, const char *usage, int argc,
	  char **argv)
{
	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->usage = usage;
	o->argc = argc;
	o->argv = argv;
	o->i = -1;
}

bool
opts_next(struct opts *o)
{
	if (o->done)
		return false;
	o->i++;
	if (o->i >= o->argc)
		return false;
	return true;
}

int
opts_error(struct opts *o, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cenctl %s: ", o->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try 'cenctl %s --help')\n", o->cmd);
	o->done = true;
	o->rc = 2;
	return 2;
}

bool
opts_help(struct opts *o)
{
	const char *a = o->argv[o->i];

	if (strcmp(a, "-h") != 0 && strcmp(a, "--help") != 0)
		return false;
	fputs(o->usage, stdout);
	o->done = true;
	o->rc = 0;
	return true;
}

/* Matches argv[i] against name; sets *val to the "=VALUE" part or the next
 * argument.  Returns 0 (not this flag), 1 (matched) or -1 (no value). */
static int
match(struct opts *o, const char *name, const char **val)
{
	const char *a = o->argv[o->i];
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n] != '\0')
		return 0;
	if (o->i + 1 >= o->argc) {
		opts_error(o, "%s needs a value", name);
		return -1;
	}
	*val = o->argv[++o->i];
	return 1;
}

bool
opts_flag(struct opts *o, const char *name)
{
	return strcmp(o->argv[o->i], name) == 0;
}

bool
opts_str(struct opts *o, const char *name, const char **val)
{
	const char *v;
	int r = match(o, name, &v);

	if (r == 1)
		*val = v;
	return r != 0;
}

int
opts_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (s == NULL || *s < '0' || *s > '9')
		return -CEN_EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -CEN_EINVAL;
	if (x < min || x > max)
		return -CEN_ERANGE;
	*v = x;
	return 0;
}

int
opts_parse_bool(const char *s, bool *v)
{
	static const char *yes[] = { "true", "yes", "on", "1" };
	static const char *no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*v = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*v = false;
			return 0;
		}
	}
	return -CEN_EINVAL;
}

bool
opts_u64(struct opts *o, const char *name, uint64_t min, uint64_t max,
	 uint64_t *val)
{
	const char *v;
	int r = match(o, name, &v);

	if (r == 1 && opts_parse_u64(v, min, max, val) != 0)
		opts_error(o, "%s %s: expected a number %llu..%llu", name, v,
			   (unsigned long long)min, (unsigned long long)max);
	return r != 0;
}

bool
opts_u32(struct opts *o, const char *name, uint32_t min, uint32_t max,
	 uint32_t *val)
{
	uint64_t v = 0;

	if (!opts_u64(o, name, min, max, &v))
		return false;
	if (!o->done)
		*val = (uint32_t)v;
	return true;
}

bool
opts_list(struct opts *o, const char *name, const char **vals, size_t max,
	  size_t *n)
{
	const char *v;
	int r = match(o, name, &v);

	if (r != 1)
		return r != 0;
	if (*n >= max)
		opts_error(o, "%s given more than %zu times", name, max);
	else
		vals[(*n)++] = v;
	return true;
}

bool
opts_arg(struct opts *o, const char **val)
{
	const char *a = o->argv[o->i];

	if (a[0] == '-' && a[1] != '\0')
		return false;
	if (val == NULL) {
		opts_error(o, "unexpected argument '%s'", a);
		return true;
	}
	*val = a;
	o->npos++;
	return true;
}

void
opts_unknown(struct opts *o)
{
	opts_error(o, "unknown option '%s'", o->argv[o->i]);
}

/* Prints the first line of each verb's usage, without "usage: ". */
static void
verbs_help(FILE *f, const char *noun, const struct opts_verb *verbs, size_t n)
{
	fprintf(f, "usage: cenctl %s COMMAND ...\n\nCommands:\n", noun);
	for (size_t i = 0; i < n; i++) {
		const char *u = verbs[i].usage, *nl;

		if (strncmp(u, "usage: ", 7) == 0)
			u += 7;
		nl = strchr(u, '\n');
		fprintf(f, "  %.*s\n",
			nl != NULL ? (int)(nl - u) : (int)strlen(u), u);
	}
	fprintf(f, "\n'cenctl %s COMMAND --help' tells more.\n", noun);
}

int
opts_dispatch(struct cenctl *ctl, const char *noun,
	      const struct opts_verb *verbs, size_t n, const void *data,
	      int argc, char **argv)
{
	char cmd[96];
	struct opts o;

	if (argc == 0) {
		verbs_help(stderr, noun, verbs, n);
		return 2;
	}
	if (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "help") == 0) {
		verbs_help(stdout, noun, verbs, n);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(argv[0], verbs[i].verb) != 0)
			continue;
		snprintf(cmd, sizeof(cmd), "%s %s", noun, verbs[i].verb);
		opts_init(&o, cmd, verbs[i].usage, argc - 1, argv + 1);
		return verbs[i].fn(ctl, &o, data);
	}
	fprintf(stderr,
		"cenctl %s: unknown command '%s' (try 'cenctl %s --help')\n",
		noun, argv[0], noun);
	return 2;
}
