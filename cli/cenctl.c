/*
 * cenctl.c - the admin CLI: `cenctl [--endpoints a,b,c] [-w table|json]
 * [--timeout MS] NOUN VERB ...`, in the manner of etcdctl and gobgp.
 *
 * main parses the global flags (before or after the command, as etcdctl
 * allows) and dispatches on the noun.  Exit codes: 0 done, 1 refused by
 * the server or the system ("cenctl: <message>" on stderr), 2 usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cenctl.h"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: cenctl [--endpoints a,b,c] [-w table|json] "
		"[--timeout MS] COMMAND ...\n"
		"\n"
		"Cluster:\n"
		"  member list|add|promote|remove   cluster membership\n"
		"  endpoint status                  status of every endpoint\n"
		"  leader transfer [ID]             move leadership\n"
		"  snapshot save FILE               save the state from the "
		"cluster\n"
		"  snapshot restore FILE --data-dir DIR\n"
		"                                   restore a saved state "
		"offline\n"
		"  snapshot status FILE             what a snapshot file "
		"holds\n"
		"\n"
		"Configuration (create|update|delete|list|show):\n"
		"  cen, region, route-table, static-route, "
		"physical-connection,\n"
		"  attachment, route-map, bandwidth-package\n"
		"  health-check set ATTACHMENT --up|--down\n"
		"  apply -f FILE.yaml [--dry-run]   make the whole "
		"configuration FILE (in every\n"
		"                                   region the endpoints "
		"belong to)\n"
		"  region list                      every region: the "
		"exchange with the others\n"
		"                                   (stream, paths, model "
		"in sync)\n"
		"\n"
		"Routes:\n"
		"  route list [--region R] [--table T] [--attachment A] "
		"[--prefix P [--longer]]\n"
		"  route add|del PREFIX... --attachment A [--peer ADDRESS]\n"
		"                                   announce or withdraw as "
		"a BGP peer would\n"
		"  fib show [--region R]\n"
		"  forwarder list                   FIB subscribers of every "
		"member, with\n"
		"                                   version and lag\n"
		"  forwarder stats                  a forwarder's counters, "
		"meters and health\n"
		"                                   checks (--endpoints: its "
		"api:)\n"
		"  watch routes|events\n"
		"\n"
		"BGP (the sessions of the node answering):\n"
		"  bgp summary                      neighbor, AS, messages, "
		"up/down, prefixes\n"
		"  peer list|show|reset|enable|disable [ADDRESS]\n"
		"  peer adj-in|adj-out ADDRESS      what a peer sent / is "
		"sent\n"
		"\n"
		"Offline:\n"
		"  simulate -f TOPOLOGY.yaml [--routes ROUTES.yaml]\n"
		"      run the route engine offline and print what every "
		"attachment\n"
		"      learns and each region's FIB\n"
		"  version\n"
		"\n"
		"Options:\n"
		"  --endpoints LIST  cluster API endpoints, tried in order "
		"(default\n"
		"                    $CENCTL_ENDPOINTS or %s)\n"
		"  -w table|json     output format (default table)\n"
		"  --timeout MS      dial and call timeout (default %d)\n"
		"  -h, --help        this help; COMMAND --help for a "
		"command's\n",
		CENCTL_DEFAULT_ENDPOINT, CENCTL_TIMEOUT_DEFAULT_MS);
}

int
cenctl_fail(const struct cen_err *err)
{
	fprintf(stderr, "cenctl: %s\n",
		err->msg[0] != '\0' ? err->msg : cen_strerror(err->code));
	return 1;
}

/* Takes a global flag at argv[*i] (advancing *i past its value); returns
 * 1 if taken, 0 if argv[*i] is not one, 2 on a usage error. */
static int
global_flag(struct cenctl *ctl, int argc, char **argv, int *i)
{
	static const char *names[] = { "--endpoints", "-w", "--write-out",
				       "--timeout" };
	const char *a = argv[*i], *v = NULL;
	size_t k, n = 0;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		n = strlen(names[k]);
		if (strncmp(a, names[k], n) == 0 &&
		    (a[n] == '\0' || a[n] == '='))
			break;
	}
	if (k == sizeof(names) / sizeof(names[0]))
		return 0;
	if (a[n] == '=') {
		v = a + n + 1;
	} else if (*i + 1 < argc) {
		v = argv[++*i];
	} else {
		fprintf(stderr, "cenctl: %s needs a value (try --help)\n", a);
		return 2;
	}
	if (k == 0) {
		ctl->endpoints = v;
	} else if (k == 1 || k == 2) {
		if (strcmp(v, "json") == 0) {
			ctl->json = true;
		} else if (strcmp(v, "table") == 0) {
			ctl->json = false;
		} else {
			fprintf(stderr,
				"cenctl: -w %s: expected table or json\n", v);
			return 2;
		}
	} else {
		uint64_t ms;

		if (opts_parse_u64(v, 1, 3600000, &ms) != 0) {
			fprintf(stderr,
				"cenctl: --timeout %s: expected milliseconds "
				"1..3600000\n",
				v);
			return 2;
		}
		ctl->timeout_ms = (uint32_t)ms;
	}
	return 1;
}

struct command {
	const char *noun;
	int (*fn)(struct cenctl *ctl, int argc, char **argv);
};

static int
version(struct cenctl *ctl, int argc, char **argv)
{
	printf("cenctl 0.1.0\n");
	return 0;
}

static const struct command commands[] = {
	{ "member", cenctl_member },
	{ "endpoint", cenctl_endpoint },
	{ "leader", cenctl_leader },
	{ "snapshot", cenctl_snapshot },
	{ "health-check", cenctl_health_check },
	{ "route", cenctl_route },
	{ "routes", cenctl_route },
	{ "fib", cenctl_fib_cmd },
	{ "forwarder", cenctl_forwarder },
	{ "apply", cenctl_apply },
	{ "watch", cenctl_watch },
	{ "bgp", cenctl_bgp },
	{ "peer", cenctl_peer },
	{ "simulate", cenctl_simulate },
	{ "version", version },
};

int
main(int argc, char **argv)
{
	struct cenctl ctl = { 0 };
	const char *noun;
	int i, k, rc;

	ctl.endpoints = getenv("CENCTL_ENDPOINTS");
	if (ctl.endpoints == NULL || ctl.endpoints[0] == '\0')
		ctl.endpoints = CENCTL_DEFAULT_ENDPOINT;
	ctl.timeout_ms = CENCTL_TIMEOUT_DEFAULT_MS;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
		rc = global_flag(&ctl, argc, argv, &i);
		if (rc == 2)
			return 2;
		if (rc == 0) {
			fprintf(stderr,
				"cenctl: unknown option '%s' (try --help)\n",
				argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	noun = argv[i];
	/* global flags may also follow the command: take them out */
	k = i + 1;
	for (int j = i + 1; j < argc; j++) {
		int from = j;

		rc = global_flag(&ctl, argc, argv, &j);
		if (rc == 2)
			return 2;
		if (rc == 0)
			argv[k++] = argv[from];
	}
	argc = k;
	argv[argc] = NULL;
	argc -= i + 1;
	argv += i + 1;

	if (strcmp(noun, "help") == 0) {
		usage(stdout);
		return 0;
	}
	rc = -1;
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (strcmp(noun, commands[c].noun) == 0)
			rc = commands[c].fn(&ctl, argc, argv);
	if (rc == -1 && cenctl_model_noun(noun))
		rc = cenctl_model(&ctl, noun, argc, argv);
	if (rc == -1) {
		fprintf(stderr, "cenctl: unknown command '%s' (try --help)\n",
			noun);
		rc = 2;
	}
	cenctl_client_close(&ctl);
	fflush(stdout);
	return rc;
}
