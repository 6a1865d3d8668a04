/*
 * apply.h - applying replicated commands to the engine and the store.
 */
#ifndef CEN_APPLY_H
#define CEN_APPLY_H

#include "consensus/store.h"
#include "core/engine.h"
#include "proto/command.pb-c.h"

/* Side effects outside the engine (membership announcements). */
struct apply_hooks {
	void (*member)(const Cend__V1__MemberInfo *m, void *arg);
	/* a peer's paths learned through node were withdrawn */
	void (*flushed)(const char *attachment, const struct prefix *peer,
			uint8_t node, void *arg);
	void *arg;
};

/* apply.c */

/* Applies c to e and records its effect in t.  Returns 0, or the reason the
 * command changed nothing (the entry is applied either way). */
int apply_command(struct engine *e, struct store_txn *t,
		  const Cend__V1__Command *c, struct apply_hooks *hooks,
		  struct cen_err *err);
/* The model after putting the objects of a YAML document into cur (for
 * merge commands and dry runs); out is initialised here. */
int apply_merge(const struct model *cur, const char *yaml, struct model *out,
		struct cen_err *err);

#endif
