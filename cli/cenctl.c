/*
 * cenctl.c - the admin CLI: `cenctl [--endpoints a,b,c] [-w table|json]
 * NOUN VERB ...`, in the manner of etcdctl and gobgp.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cenctl.h"

#define CENCTL_DEFAULT_ENDPOINT "127.0.0.1:7101"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: cenctl [--endpoints a,b,c] [-w table|json] COMMAND "
		"...\n\n"
		"Commands:\n"
		"  simulate -f TOPOLOGY.yaml [--routes ROUTES.yaml]\n"
		"      run the route engine offline and print what every "
		"attachment\n"
		"      learns and each region's FIB\n"
		"  version\n\n"
		"Options:\n"
		"  --endpoints LIST  cluster API endpoints (default "
		"$CENCTL_ENDPOINTS or %s)\n"
		"  -w table|json     output format (default table)\n"
		"  -h, --help        this help\n",
		CENCTL_DEFAULT_ENDPOINT);
}

int
main(int argc, char **argv)
{
	struct cenctl ctl = { 0 };
	int i;

	ctl.endpoints = getenv("CENCTL_ENDPOINTS");
	if (ctl.endpoints == NULL || ctl.endpoints[0] == '\0')
		ctl.endpoints = CENCTL_DEFAULT_ENDPOINT;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--endpoints") == 0 &&
			   i + 1 < argc) {
			ctl.endpoints = argv[++i];
		} else if (strcmp(argv[i], "-w") == 0 && i + 1 < argc) {
			const char *w = argv[++i];

			if (strcmp(w, "json") == 0) {
				ctl.json = true;
			} else if (strcmp(w, "table") != 0) {
				fprintf(stderr,
					"cenctl: -w %s: expected table or "
					"json\n",
					w);
				return 2;
			}
		} else {
			fprintf(stderr,
				"cenctl: unknown option '%s' (try "
				"--help)\n",
				argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	/* -w may also follow the command, as etcdctl allows */
	for (int k = i + 1; k + 1 < argc; k++) {
		if (strcmp(argv[k], "-w") == 0) {
			ctl.json = strcmp(argv[k + 1], "json") == 0;
			memmove(&argv[k], &argv[k + 2],
				(size_t)(argc - k - 2) * sizeof(*argv));
			argc -= 2;
			break;
		}
	}
	if (strcmp(argv[i], "simulate") == 0)
		return cenctl_simulate(&ctl, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "version") == 0) {
		printf("cenctl 0.1.0\n");
		return 0;
	}
	fprintf(stderr, "cenctl: unknown command '%s' (try --help)\n", argv[i]);
	return 2;
}
