/*
 * member.c - cluster membership and node status: `member list|add|promote|
 * remove`, `endpoint status` (every endpoint of --endpoints, one row each,
 * as etcdctl's) and `leader transfer`.  Membership changes go to the leader
 * (a follower relays them) and answer with the new member list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cenctl.h"
#include "proto/admin.pb-c.h"

#define ID_MAX UINT64_MAX

static void
members_json(Cend__V1__Member **m, size_t n)
{
	putchar('[');
	for (size_t i = 0; i < n; i++) {
		printf("%s{\"id\":%llu,\"role\":", i > 0 ? "," : "",
		       (unsigned long long)m[i]->id);
		json_str(m[i]->role);
		printf(",\"is_leader\":%s,\"raft_addr\":",
		       m[i]->is_leader ? "true" : "false");
		json_str(m[i]->raft_addr);
		printf(",\"api_addr\":");
		json_str(m[i]->api_addr);
		putchar('}');
	}
	putchar(']');
}

static void
print_members(struct cenctl *ctl, Cend__V1__Member **m, size_t n)
{
	static const char *const hdr[] = { "ID", "ROLE", "LEADER", "RAFT ADDR",
					   "API ADDR" };
	struct table t;

	if (ctl->json) {
		members_json(m, n);
		putchar('\n');
		return;
	}
	table_init(&t, 5, hdr);
	for (size_t i = 0; i < n; i++) {
		table_cell_u64(&t, m[i]->id);
		table_cell(&t, m[i]->role);
		table_cell(&t, m[i]->is_leader ? "*" : "");
		table_cell(&t, m[i]->raft_addr);
		table_cell(&t, m[i]->api_addr[0] ? m[i]->api_addr : "-");
	}
	table_print(&t);
	table_free(&t);
}

static int
member_list(struct cenctl *ctl, struct opts *o, const void *data)
{
	Cend__V1__MemberListRequest req = CEND__V1__MEMBER_LIST_REQUEST__INIT;
	Cend__V1__MemberListResponse *r;
	struct cen_err err = { 0 };

	while (opts_next(o)) {
		if (opts_help(o))
			continue;
		if (opts_flag(o, "--linearizable")) {
			req.linearizable = true;
			continue;
		}
		if (!opts_arg(o, NULL))
			opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (cenctl_call(ctl, CENCTL_ADMIN("MemberList"), &req.base,
			&cend__v1__member_list_response__descriptor,
			(ProtobufCMessage **)&r, &err) != 0)
		return cenctl_fail(&err);
	print_members(ctl, r->members, r->n_members);
	cend__v1__member_list_response__free_unpacked(r, NULL);
	return 0;
}

/* Takes the one positional ID argument of a command. */
static bool
id_arg(struct opts *o, uint64_t *id, bool *have)
{
	const char *s;

	if (!opts_arg(o, *have ? NULL : &s))
		return false;
	if (o->done)
		return true;
	if (opts_parse_u64(s, 1, ID_MAX, id) != 0)
		opts_error(o, "member ID '%s': expected a number >= 1", s);
	*have = true;
	return true;
}

/* Prints a membership change's outcome: a sentence and the members. */
static void
print_change(struct cenctl *ctl, const char *what, uint64_t id,
	     Cend__V1__MemberResponse *r)
{
	if (ctl->json) {
		printf("{\"%s\":%llu,\"members\":", what,
		       (unsigned long long)id);
		members_json(r->members, r->n_members);
		printf("}\n");
		return;
	}
	printf("Member %llu %s.\n", (unsigned long long)id, what);
	print_members(ctl, r->members, r->n_members);
}

static int
member_add(struct cenctl *ctl, struct opts *o, const void *data)
{
	Cend__V1__MemberAddRequest req = CEND__V1__MEMBER_ADD_REQUEST__INIT;
	Cend__V1__MemberResponse *r;
	struct cen_err err = { 0 };
	const char *raft = NULL, *api = "";
	bool have = false;

	while (opts_next(o)) {
		if (opts_help(o) || opts_str(o, "--raft-addr", &raft) ||
		    opts_str(o, "--api-addr", &api) ||
		    id_arg(o, &req.id, &have))
			continue;
		opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (!have)
		return opts_error(o, "the new member's ID is required");
	if (raft == NULL || raft[0] == '\0')
		return opts_error(o, "--raft-addr HOST:PORT is required");
	req.raft_addr = (char *)raft;
	req.api_addr = (char *)api;
	if (cenctl_call(ctl, CENCTL_ADMIN("MemberAdd"), &req.base,
			&cend__v1__member_response__descriptor,
			(ProtobufCMessage **)&r, &err) != 0)
		return cenctl_fail(&err);
	print_change(ctl, ctl->json ? "added" : "added to the cluster", req.id,
		     r);
	cend__v1__member_response__free_unpacked(r, NULL);
	return 0;
}

/* member promote ID / member remove ID */
static int
member_change(struct cenctl *ctl, struct opts *o, const void *data)
{
	bool promote = strcmp((const char *)data, "promote") == 0;
	Cend__V1__MemberPromoteRequest preq =
		CEND__V1__MEMBER_PROMOTE_REQUEST__INIT;
	Cend__V1__MemberRemoveRequest rreq =
		CEND__V1__MEMBER_REMOVE_REQUEST__INIT;
	Cend__V1__MemberResponse *r;
	struct cen_err err = { 0 };
	uint64_t id = 0;
	bool have = false;
	int rc;

	while (opts_next(o)) {
		if (opts_help(o) || id_arg(o, &id, &have))
			continue;
		opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (!have)
		return opts_error(o, "the member's ID is required");
	preq.id = rreq.id = id;
	rc = cenctl_call(ctl,
			 promote ? CENCTL_ADMIN("MemberPromote")
				 : CENCTL_ADMIN("MemberRemove"),
			 promote ? &preq.base : &rreq.base,
			 &cend__v1__member_response__descriptor,
			 (ProtobufCMessage **)&r, &err);
	if (rc != 0)
		return cenctl_fail(&err);
	if (ctl->json)
		print_change(ctl, promote ? "promoted" : "removed", id, r);
	else
		print_change(ctl,
			     promote ? "promoted to voter"
				     : "removed from the cluster",
			     id, r);
	cend__v1__member_response__free_unpacked(r, NULL);
	return 0;
}

static int
member_promote_fn(struct cenctl *ctl, struct opts *o, const void *data)
{
	return member_change(ctl, o, "promote");
}

static int
member_remove_fn(struct cenctl *ctl, struct opts *o, const void *data)
{
	return member_change(ctl, o, "remove");
}

static const struct opts_verb member_verbs[] = {
	{ "list",
	  "usage: cenctl member list [--linearizable]\n\n"
	  "Lists the cluster's members: ID, role (voter, standby, spare), "
	  "whether it\nleads, and its Raft and API addresses.  "
	  "--linearizable asks the leader.\n",
	  member_list },
	{ "add",
	  "usage: cenctl member add ID --raft-addr HOST:PORT "
	  "[--api-addr HOST:PORT]\n\n"
	  "Adds a node to the cluster as a spare (promote it to vote).  "
	  "Start the new\nnode with --join pointing at the cluster "
	  "afterwards.\n",
	  member_add },
	{ "promote",
	  "usage: cenctl member promote ID\n\n"
	  "Makes a member a voter once it has caught up.\n",
	  member_promote_fn },
	{ "remove",
	  "usage: cenctl member remove ID\n\n"
	  "Removes a member from the cluster.\n",
	  member_remove_fn },
};

int
cenctl_member(struct cenctl *ctl, int argc, char **argv)
{
	return opts_dispatch(ctl, "member", member_verbs,
			     sizeof(member_verbs) / sizeof(member_verbs[0]),
			     NULL, argc, argv);
}

/* ---- endpoint status ---------------------------------------------- */

static void
status_json(const char *ep, const Cend__V1__StatusResponse *s, bool first)
{
	printf("%s{\"endpoint\":", first ? "" : ",");
	json_str(ep);
	printf(",\"id\":%llu,\"region\":", (unsigned long long)s->id);
	json_str(s->region);
	printf(",\"leader\":%llu,\"leader_raft_addr\":",
	       (unsigned long long)s->leader_id);
	json_str(s->leader_raft_addr);
	printf(",\"term\":%llu,\"commit_index\":%llu,\"applied_index\":%llu,"
	       "\"db_size\":%llu,\"raft_log_size\":%llu,\"state\":",
	       (unsigned long long)s->term, (unsigned long long)s->commit_index,
	       (unsigned long long)s->applied_index,
	       (unsigned long long)s->db_size,
	       (unsigned long long)s->raft_log_size);
	json_str(s->state);
	printf(",\"state_hash\":");
	json_str(s->state_hash);
	printf(",\"paths\":%llu,\"api_addr\":", (unsigned long long)s->paths);
	json_str(s->api_addr);
	printf(",\"raft_addr\":");
	json_str(s->raft_addr);
	putchar('}');
}

static void
status_row(struct table *t, const char *ep, const Cend__V1__StatusResponse *s)
{
	char b[32];

	table_cell(t, ep);
	table_cell_u64(t, s->id);
	table_cell(t, s->region);
	if (s->leader_id != 0)
		table_cell_u64(t, s->leader_id);
	else
		table_cell(t, "-");
	table_cell_u64(t, s->term);
	table_cell_u64(t, s->commit_index);
	table_cell_u64(t, s->applied_index);
	table_cell(t, table_bytes(s->db_size, b, sizeof(b)));
	table_cell(t, table_bytes(s->raft_log_size, b, sizeof(b)));
	table_cell(t, s->state);
	table_cell(t, s->state_hash);
}

static int
endpoint_status(struct cenctl *ctl, struct opts *o, const void *data)
{
	static const char *const hdr[] = {
		"ENDPOINT",	 "ID",	       "REGION",      "LEADER",
		"TERM",		 "COMMIT IDX", "APPLIED IDX", "DB SIZE",
		"RAFT LOG SIZE", "STATE",      "STATE HASH",
	};
	Cend__V1__StatusRequest req = CEND__V1__STATUS_REQUEST__INIT;
	struct cen_err err = { 0 };
	struct table t;
	int failed = 0, ok = 0;

	while (opts_next(o)) {
		if (opts_help(o))
			continue;
		if (!opts_arg(o, NULL))
			opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (cenctl_client_init(ctl, &err) != 0)
		return cenctl_fail(&err);
	table_init(&t, sizeof(hdr) / sizeof(hdr[0]), hdr);
	if (ctl->json)
		putchar('[');
	for (size_t i = 0; i < ctl->neps; i++) {
		Cend__V1__StatusResponse *s;

		if (cenctl_call_at(ctl, ctl->eps[i], CENCTL_ADMIN("Status"),
				   &req.base,
				   &cend__v1__status_response__descriptor,
				   (ProtobufCMessage **)&s, &err) != 0) {
			fflush(stdout);
			cenctl_fail(&err);
			failed++;
			continue;
		}
		if (ctl->json)
			status_json(ctl->eps[i], s, ok == 0);
		else
			status_row(&t, ctl->eps[i], s);
		ok++;
		cend__v1__status_response__free_unpacked(s, NULL);
	}
	if (ctl->json)
		printf("]\n");
	else if (ok > 0)
		table_print(&t);
	table_free(&t);
	return failed > 0 ? 1 : 0;
}

static const struct opts_verb endpoint_verbs[] = {
	{ "status",
	  "usage: cenctl endpoint status\n\n"
	  "Asks every endpoint of --endpoints for its status, one row "
	  "each: member ID,\nregion, the leader it knows, term, commit "
	  "and applied index, store and Raft\nlog size, state and the hash "
	  "of its applied state (equal on every node that\nhas applied "
	  "the same index).  Exits 1 if any endpoint did not answer.\n",
	  endpoint_status },
};

int
cenctl_endpoint(struct cenctl *ctl, int argc, char **argv)
{
	return opts_dispatch(ctl, "endpoint", endpoint_verbs,
			     sizeof(endpoint_verbs) / sizeof(endpoint_verbs[0]),
			     NULL, argc, argv);
}

/* ---- leader transfer ---------------------------------------------- */

static int
leader_transfer(struct cenctl *ctl, struct opts *o, const void *data)
{
	Cend__V1__LeaderTransferRequest req =
		CEND__V1__LEADER_TRANSFER_REQUEST__INIT;
	Cend__V1__MemberResponse *r;
	struct cen_err err = { 0 };
	uint64_t leader = 0;
	bool have = false;

	while (opts_next(o)) {
		if (opts_help(o) || id_arg(o, &req.id, &have))
			continue;
		opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (cenctl_call(ctl, CENCTL_ADMIN("LeaderTransfer"), &req.base,
			&cend__v1__member_response__descriptor,
			(ProtobufCMessage **)&r, &err) != 0)
		return cenctl_fail(&err);
	for (size_t i = 0; i < r->n_members; i++)
		if (r->members[i]->is_leader)
			leader = r->members[i]->id;
	if (ctl->json)
		print_change(ctl, "leader", leader, r);
	else if (leader != 0)
		printf("Leadership transferred to member %llu.\n",
		       (unsigned long long)leader);
	else
		printf("Leadership transfer started.\n");
	cend__v1__member_response__free_unpacked(r, NULL);
	return 0;
}

static const struct opts_verb leader_verbs[] = {
	{ "transfer",
	  "usage: cenctl leader transfer [ID]\n\n"
	  "Hands leadership to voter ID, or to any other voter when ID is "
	  "left out.\n",
	  leader_transfer },
};

int
cenctl_leader(struct cenctl *ctl, int argc, char **argv)
{
	return opts_dispatch(ctl, "leader", leader_verbs,
			     sizeof(leader_verbs) / sizeof(leader_verbs[0]),
			     NULL, argc, argv);
}
