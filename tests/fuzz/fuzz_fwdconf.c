/*
 * fuzz_fwdconf.c - libFuzzer target for the forwarder's configuration file
 * (dataplane/fwdconf.h).
 *
 * Any input must parse or fail without crashing or leaking, and a failure
 * must say why.  What parses must hold what the parser promises: valid
 * IDs, ports that carry something, no attachment twice (each found by
 * fwdconf_find_att on its own port), no VLAN twice on a port, one backbone
 * port at most, and 1..FWDCONF_CLUSTER_MAX endpoints.
 *
 *   clang -fsanitize=fuzzer,address,undefined -I. dataplane/fwdconf.c core/ydoc.c \
 *     core/model.c core/prefix.c core/err.c core/hmap.c \
 *     tests/fuzz/fuzz_fwdconf.c -lyaml -lxxhash
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "dataplane/fwdconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
broken(const char *what, const uint8_t *data, size_t size)
{
	fprintf(stderr, "%s; the input:\n%.*s\n", what, (int)size,
		(const char *)data);
	abort();
}

static void
check(const struct fwdconf *c, const uint8_t *data, size_t size)
{
	size_t backbones = 0;

	if (!model_id_valid(c->id) || !model_id_valid(c->region))
		broken("an ID is invalid", data, size);
	if (c->ncluster == 0 || c->ncluster > FWDCONF_CLUSTER_MAX)
		broken("the cluster list is empty or too long", data, size);
	if (c->nports == 0)
		broken("there is no port", data, size);
	for (size_t i = 0; i < c->nports; i++) {
		const struct fwdconf_port *p = &c->ports[i], *q;

		if (p->ifname[0] == '\0')
			broken("a port has no interface", data, size);
		backbones += p->backbone;
		if (p->backbone
			    ? p->natts != 0 || p->npeers == 0
			    : p->natts == 0 || (!p->tagged && p->natts != 1))
			broken("a port carries nothing or too much", data,
			       size);
		for (size_t j = 0; j < p->natts; j++) {
			const struct fwdconf_att *a = &p->atts[j];

			if (!model_id_valid(a->id))
				broken("an attachment ID is invalid", data,
				       size);
			if (fwdconf_find_att(c, a->id, &q) != a || q != p)
				broken("an attachment is on two ports", data,
				       size);
			if (a->vlan_set && (a->vlan < 1 || a->vlan > 4094))
				broken("a VLAN is out of range", data, size);
			for (size_t k = 0; a->vlan_set && k < j; k++)
				if (p->atts[k].vlan_set &&
				    p->atts[k].vlan == a->vlan)
					broken("a VLAN is used twice", data,
					       size);
		}
		for (size_t j = i + 1; j < c->nports; j++)
			if (strcmp(p->ifname, c->ports[j].ifname) == 0)
				broken("an interface is used twice", data,
				       size);
	}
	if (backbones > 1)
		broken("there are two backbone ports", data, size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fwdconf c;
	struct cen_err err;
	int rc;

	fwdconf_init(&c);
	cen_err_clear(&err);
	rc = fwdconf_parse(&c, (const char *)data, size, &err);
	if (rc == 0)
		check(&c, data, size);
	else if (err.msg[0] == '\0')
		broken("the parse failed without a message", data, size);
	fwdconf_free(&c);
	return 0;
}
