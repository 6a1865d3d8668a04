/*
 * cenctl.h - the admin CLI's shared state and its commands.
 */
#ifndef CEN_CENCTL_H
#define CEN_CENCTL_H

#include <stdbool.h>

struct cenctl {
	const char *endpoints; /* --endpoints or $CENCTL_ENDPOINTS */
	bool json;	       /* -w json */
};

/* simulate.c */
int cenctl_simulate(struct cenctl *ctl, int argc, char **argv);

#endif
