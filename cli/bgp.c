/*
 * bgp.c - `cenctl bgp summary` and `cenctl peer list|show|reset|enable|
 * disable|adj-in|adj-out`: the BGP sessions of the node answering (every
 * node holds the sessions of the peers that name it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cenctl.h"
#include "core/prefix.h"
#include "proto/admin.pb-c.h"

static int
summary_call(struct cenctl *ctl, Cend__V1__BgpSummaryResponse **r,
	     struct cen_err *err)
{
	Cend__V1__BgpSummaryRequest req = CEND__V1__BGP_SUMMARY_REQUEST__INIT;

	return cenctl_call(ctl, CENCTL_ADMIN("BgpSummary"), &req.base,
			   &cend__v1__bgp_summary_response__descriptor,
			   (ProtobufCMessage **)r, err);
}

/* "00:03:12", "2d03h" like vtysh's Up/Down column. */
static char *
updown(uint64_t ms, char *buf, size_t size)
{
	uint64_t s = ms / 1000;

	if (s < 86400)
		snprintf(buf, size, "%02u:%02u:%02u", (unsigned)(s / 3600),
			 (unsigned)(s / 60 % 60), (unsigned)(s % 60));
	else
		snprintf(buf, size, "%ud%02uh", (unsigned)(s / 86400),
			 (unsigned)(s / 3600 % 24));
	return buf;
}

static void
peer_json(const Cend__V1__BgpPeer *p)
{
	printf("{\"neighbor\":");
	json_str(p->address);
	printf(",\"attachment\":");
	json_str(p->attachment);
	printf(",\"as\":%u,\"state\":", p->asn);
	json_str(p->state);
	printf(",\"msgs_rcvd\":%llu,\"msgs_sent\":%llu,\"up_down_ms\":%llu,"
	       "\"prefixes_received\":%u,\"prefixes_advertised\":%u,"
	       "\"route_quota\":%u,\"admin_down\":%s,\"reason\":",
	       (unsigned long long)p->msgs_in, (unsigned long long)p->msgs_out,
	       (unsigned long long)p->since_ms, p->received, p->advertised,
	       p->quota, p->admin_down ? "true" : "false");
	json_str(p->reason);
	printf("}");
}

static int
bgp_summary(struct cenctl *ctl, struct opts *o, const void *data)
{
	Cend__V1__BgpSummaryResponse *r;
	struct cen_err err = { 0 };
	static const char *const hdr[] = { "Neighbor", "AS",
					   "MsgRcvd",  "MsgSent",
					   "Up/Down",  "State/PfxRcd",
					   "PfxSnt",   "Attachment" };
	struct table t;
	char buf[32];

	while (opts_next(o)) {
		if (opts_help(o) || opts_arg(o, NULL))
			continue;
		opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (summary_call(ctl, &r, &err) != 0)
		return cenctl_fail(&err);
	if (ctl->json) {
		printf("{\"node\":%llu,\"local_as\":%u,\"peers\":[",
		       (unsigned long long)r->node, r->local_as);
		for (size_t i = 0; i < r->n_peers; i++) {
			if (i > 0)
				printf(",");
			peer_json(r->peers[i]);
		}
		printf("]}\n");
	} else {
		printf("BGP router of node %llu, local AS number %u\n",
		       (unsigned long long)r->node, r->local_as);
		printf("Neighbors: %zu\n\n", r->n_peers);
		table_init(&t, 8, hdr);
		for (size_t i = 0; i < r->n_peers; i++) {
			const Cend__V1__BgpPeer *p = r->peers[i];

			table_cell(&t, p->address);
			table_cell_u64(&t, p->asn);
			table_cell_u64(&t, p->msgs_in);
			table_cell_u64(&t, p->msgs_out);
			table_cell(&t, updown(p->since_ms, buf, sizeof(buf)));
			if (strcmp(p->state, "Established") == 0)
				table_cell_u64(&t, p->received);
			else
				table_cell(&t, p->state);
			table_cell_u64(&t, p->advertised);
			table_cell(&t, p->attachment);
		}
		table_print(&t);
		table_free(&t);
	}
	cend__v1__bgp_summary_response__free_unpacked(r, NULL);
	return 0;
}

static const struct opts_verb bgp_verbs[] = {
	{ "summary",
	  "usage: cenctl bgp summary\n\n"
	  "The BGP sessions of the node answering: neighbor, AS, messages "
	  "received and\nsent, time up or down, and the prefixes received "
	  "(or the state when not\nEstablished).\n",
	  bgp_summary },
};

int
cenctl_bgp(struct cenctl *ctl, int argc, char **argv)
{
	return opts_dispatch(ctl, "bgp", bgp_verbs,
			     sizeof(bgp_verbs) / sizeof(bgp_verbs[0]), NULL,
			     argc, argv);
}

/* ---- peer ---------------------------------------------------------- */

static int
peer_list(struct cenctl *ctl, struct opts *o, const void *data)
{
	const char *addr = NULL;
	Cend__V1__BgpSummaryResponse *r;
	struct cen_err err = { 0 };
	bool show = data != NULL, found = false;

	while (opts_next(o)) {
		if (opts_help(o) || opts_arg(o, show && !addr ? &addr : NULL))
			continue;
		opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (show && addr == NULL)
		return opts_error(o, "ADDRESS is required");
	if (summary_call(ctl, &r, &err) != 0)
		return cenctl_fail(&err);
	if (ctl->json && !show)
		printf("[");
	for (size_t i = 0; i < r->n_peers; i++) {
		const Cend__V1__BgpPeer *p = r->peers[i];
		char buf[32];

		if (show && strcmp(p->address, addr) != 0)
			continue;
		if (ctl->json) {
			if (found && !show)
				printf(",");
			peer_json(p);
			if (show)
				printf("\n");
		} else if (show) {
			printf("BGP neighbor is %s, remote AS %u, local AS %u\n"
			       "  attachment %s\n"
			       "  BGP state = %s, %s for %s\n"
			       "  Messages: %llu received, %llu sent\n"
			       "  Prefixes: %u received (quota %u), %u "
			       "advertised\n",
			       p->address, p->asn, r->local_as, p->attachment,
			       p->state,
			       strcmp(p->state, "Established") == 0 ? "up"
								    : "down",
			       updown(p->since_ms, buf, sizeof(buf)),
			       (unsigned long long)p->msgs_in,
			       (unsigned long long)p->msgs_out, p->received,
			       p->quota, p->advertised);
			if (p->admin_down)
				printf("  Administratively disabled\n");
			if (p->reason[0] != '\0')
				printf("  Last error: %s\n", p->reason);
		} else {
			printf("%-16s AS %-10u %-14s %-12s %s\n", p->address,
			       p->asn, p->state, p->attachment, p->reason);
		}
		found = true;
	}
	if (ctl->json && !show)
		printf("]\n");
	cend__v1__bgp_summary_response__free_unpacked(r, NULL);
	if (show && !found) {
		cen_errf(&err, -CEN_ENOENT,
			 "this node holds no session with %s", addr);
		return cenctl_fail(&err);
	}
	return 0;
}

static int
peer_action(struct cenctl *ctl, struct opts *o, const void *data)
{
	Cend__V1__PeerActionRequest req = CEND__V1__PEER_ACTION_REQUEST__INIT;
	Cend__V1__PeerActionResponse *r;
	struct cen_err err = { 0 };
	const char *addr = NULL;

	while (opts_next(o)) {
		if (opts_help(o) || opts_arg(o, addr == NULL ? &addr : NULL))
			continue;
		opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (addr == NULL)
		return opts_error(o, "ADDRESS is required");
	req.address = (char *)addr;
	req.action = (char *)data;
	if (cenctl_call(ctl, CENCTL_ADMIN("PeerAction"), &req.base,
			&cend__v1__peer_action_response__descriptor,
			(ProtobufCMessage **)&r, &err) != 0)
		return cenctl_fail(&err);
	cend__v1__peer_action_response__free_unpacked(r, NULL);
	if (!ctl->json)
		printf("peer %s: %s\n", addr, (const char *)data);
	else
		printf("{\"peer\":\"%s\",\"action\":\"%s\"}\n", addr,
		       (const char *)data);
	return 0;
}

struct adj_print {
	struct cenctl *ctl;
	struct table t;
	bool first;
};

static int
adj_route(const ProtobufCMessage *msg, void *arg)
{
	const Cend__V1__Route *r = (const Cend__V1__Route *)msg;
	struct adj_print *a = arg;
	char pfx[PREFIX_STRLEN + 8], as[512], comm[512] = "";
	size_t used = 0;

	wire_prefix_fmt(r->prefix, pfx, sizeof(pfx));
	wire_aspath_fmt(r->as_path, r->n_as_path, as, sizeof(as));
	for (size_t i = 0; i < r->n_communities && used < sizeof(comm) - 14;
	     i++)
		used += (size_t)snprintf(comm + used, sizeof(comm) - used,
					 "%s%u:%u", i ? " " : "",
					 r->communities[i] >> 16,
					 r->communities[i] & 0xffff);
	if (a->ctl->json) {
		printf("%s{\"prefix\":", a->first ? "" : ",");
		json_str(pfx);
		printf(",\"as_path\":");
		json_str(as);
		printf(",\"communities\":");
		json_str(comm);
		printf("}");
	} else {
		table_cell(&a->t, pfx);
		table_cell(&a->t, as);
		table_cell(&a->t, comm);
	}
	a->first = false;
	return 0;
}

static int
peer_adj(struct cenctl *ctl, struct opts *o, const void *data)
{
	Cend__V1__PeerAdjRequest req = CEND__V1__PEER_ADJ_REQUEST__INIT;
	static const char *const hdr[] = { "PREFIX", "AS PATH", "COMMUNITIES" };
	struct adj_print a = { .ctl = ctl, .first = true };
	struct cen_err err = { 0 };
	const char *addr = NULL;
	int rc;

	while (opts_next(o)) {
		if (opts_help(o) || opts_arg(o, addr == NULL ? &addr : NULL))
			continue;
		opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (addr == NULL)
		return opts_error(o, "ADDRESS is required");
	req.address = (char *)addr;
	req.out = data != NULL;
	if (ctl->json)
		printf("[");
	else
		table_init(&a.t, 3, hdr);
	rc = cenctl_stream(ctl, CENCTL_ADMIN("PeerAdj"), &req.base,
			   &cend__v1__route__descriptor, ctl->timeout_ms,
			   adj_route, &a, &err);
	if (ctl->json) {
		printf("]\n");
	} else {
		table_print(&a.t);
		table_free(&a.t);
	}
	return rc != 0 ? cenctl_fail(&err) : 0;
}

static const struct opts_verb peer_verbs[] = {
	{ "list",
	  "usage: cenctl peer list\n\nThe BGP peers of the node answering.\n",
	  peer_list },
	{ "show",
	  "usage: cenctl peer show ADDRESS\n\n"
	  "One peer: state, messages, prefixes, quota and why it is down.\n",
	  peer_list },
	{ "reset",
	  "usage: cenctl peer reset ADDRESS\n\n"
	  "Closes the session (Cease, Administrative Reset) and opens it "
	  "again; also\nends a max-prefix hold-down.\n",
	  peer_action },
	{ "enable", "usage: cenctl peer enable ADDRESS\n", peer_action },
	{ "disable",
	  "usage: cenctl peer disable ADDRESS\n\n"
	  "Closes the session (Cease, Administrative Shutdown) and keeps it "
	  "down.\n",
	  peer_action },
	{ "adj-in",
	  "usage: cenctl peer adj-in ADDRESS\n\nWhat the peer sent us "
	  "(pre-policy).\n",
	  peer_adj },
	{ "adj-out",
	  "usage: cenctl peer adj-out ADDRESS\n\nWhat we send the peer.\n",
	  peer_adj },
};

int
cenctl_peer(struct cenctl *ctl, int argc, char **argv)
{
	/* each verb gets what it needs as data: show/list share a function,
	 * the actions carry their name, adj-out a non-NULL marker */
	struct opts_verb v[sizeof(peer_verbs) / sizeof(peer_verbs[0])];

	memcpy(v, peer_verbs, sizeof(v));
	(void)v;
	if (argc > 0 && strcmp(argv[0], "show") == 0)
		return opts_dispatch(ctl, "peer", peer_verbs, 7, "show", argc,
				     argv);
	if (argc > 0 &&
	    (strcmp(argv[0], "reset") == 0 || strcmp(argv[0], "enable") == 0 ||
	     strcmp(argv[0], "disable") == 0))
		return opts_dispatch(ctl, "peer", peer_verbs, 7, argv[0], argc,
				     argv);
	if (argc > 0 && strcmp(argv[0], "adj-out") == 0)
		return opts_dispatch(ctl, "peer", peer_verbs, 7, "out", argc,
				     argv);
	return opts_dispatch(ctl, "peer", peer_verbs, 7, NULL, argc, argv);
}
