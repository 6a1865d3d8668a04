/*
 * api.c - the admin API of a cend node (proto/admin.proto, service Admin)
 * and the node-to-node Cluster service, on the RPC transport.
 *
 * Writes become replicated commands (node_propose: batched on the leader,
 * forwarded by followers) and are answered once applied, with the entry's
 * index.  They are validated against the local state first, so a bad write
 * is refused with every error and its line before it reaches the log; the
 * apply on every node validates again, deterministically.  Reads are served
 * from the node's applied state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/bgp_speaker.h"
#include "consensus/api.h"
#include "consensus/apply.h"
#include "consensus/store.h"
#include "core/model_yaml.h"
#include "proto/admin.pb-c.h"
#include "proto/cmddec.h"
#include "proto/fibmsg.h"
#include "proto/pbarena.h"
#include "proto/pbwire.h"

#define API_CHUNK	    (1u << 20)
#define API_BUILTIN_METHODS 24 /* the table below, terminator included */
#define API_EXTRA_METHODS   16

struct watcher {
	struct watcher *next;
	struct api *api;
	struct rpc_call *call;
	bool events; /* watch events (commands, leaders), else routes */
	bool gone;
};

struct api {
	struct node *node;
	struct rpc_server *server;
	struct rpc_client *client;
	struct watcher *watchers;
	struct node_listener listener;
	struct bgp_speaker *speaker; /* NULL without --bgp-addr */
	struct pbarena arena;	     /* decode checks of the write path */
	/* engine_hash walks every path (seconds with a million): Status
	 * computes it once per applied entry (or rebuilt engine) */
	uint64_t hash;
	uint64_t hash_index;
	const struct engine *hash_engine;
};

static struct api *
api_of(void *arg)
{
	return arg;
}

static rpc_status
status_of(int rc)
{
	switch (rc) {
	case 0:
		return RPC_OK;
	case -CEN_ENOENT:
		return RPC_NOT_FOUND;
	case -CEN_EEXIST:
		return RPC_ALREADY_EXISTS;
	case -CEN_ENOTLEADER:
		return RPC_NOT_LEADER;
	case -CEN_ETIMEOUT:
		return RPC_DEADLINE_EXCEEDED;
	case -CEN_EIO:
	case -CEN_ESHUTDOWN:
		return RPC_UNAVAILABLE;
	case -CEN_ENOMEM:
		return RPC_INTERNAL;
	case -CEN_EINUSE:
	case -CEN_ECONFLICT:
		return RPC_FAILED_PRECONDITION;
	default:
		return RPC_INVALID_ARGUMENT;
	}
}

/* ---- writes -------------------------------------------------------- */

static void
write_done(int status, const char *message, uint64_t index, void *arg)
{
	struct rpc_call *call = arg;
	Cend__V1__WriteResponse r = CEND__V1__WRITE_RESPONSE__INIT;

	if (status != 0) {
		rpc_reply(call, status_of(status),
			  message ? message : cen_strerror(status), NULL, 0);
		return;
	}
	r.index = index;
	rpc_reply_msg(call, &r.base);
}

static void
apply_done(int status, const char *message, uint64_t index, void *arg)
{
	struct rpc_call *call = arg;
	Cend__V1__ApplyResponse r = CEND__V1__APPLY_RESPONSE__INIT;

	if (status != 0) {
		rpc_reply(call, status_of(status),
			  message ? message : cen_strerror(status), NULL, 0);
		return;
	}
	r.index = index;
	r.changed = true;
	rpc_reply_msg(call, &r.base);
}

/* Proposes a command and answers the call when it is applied. */
static void
propose(struct api *a, struct rpc_call *call, const Cend__V1__Command *c,
	node_propose_cb done)
{
	size_t len = cend__v1__command__get_packed_size(c);
	uint8_t *buf = malloc(len ? len : 1);
	int rc;

	if (buf == NULL) {
		rpc_reply_error(call, RPC_INTERNAL, "out of memory");
		return;
	}
	cend__v1__command__pack(c, buf);
	rc = node_propose(a->node, buf, len, done, call);
	free(buf);
	if (rc != 0)
		rpc_reply_error(call, status_of(rc),
				rc == -CEN_ENOTLEADER
					? "no leader is known yet; retry"
					: "cannot propose: %s",
				cen_strerror(rc));
}

/* Proposes the packed command that is field `tag` of a Command, given as
 * its bytes (a request that was only checked, not unpacked for keeps). */
static void
propose_field(struct api *a, struct rpc_call *call, uint8_t tag,
	      const uint8_t *field, size_t len, node_propose_cb done)
{
	uint8_t *buf = malloc(1 + 10 + len), *w = buf;
	int rc;

	if (buf == NULL) {
		rpc_reply_error(call, RPC_INTERNAL, "out of memory");
		return;
	}
	*w++ = tag;
	w = pbwire_vput(w, len);
	memcpy(w, field, len);
	/* the caller decoded the field: so does the command */
	rc = node_propose_decoded(a->node, buf, (size_t)(w - buf) + len, false,
				  done, call);
	free(buf);
	if (rc != 0)
		rpc_reply_error(call, status_of(rc),
				rc == -CEN_ENOTLEADER
					? "no leader is known yet; retry"
					: "cannot propose: %s",
				cen_strerror(rc));
}

#define UNPACK_OR_FAIL(type, fn, var)                                          \
	type *var = fn(NULL, len, payload);                                    \
	if (var == NULL) {                                                     \
		rpc_reply_error(call, RPC_INVALID_ARGUMENT,                    \
				"request does not decode as cend.v1.%s",       \
				#type + sizeof("Cend__V1__") - 1);             \
		return;                                                        \
	}

/* A canonical rendering of a model (sorted by key) for no-op detection and
 * dry-run diffs. */
static char *
canonical_yaml(const struct model *m)
{
	return model_yaml_emit(m);
}

/* A line diff of two texts ("-" removed, "+" added), by longest common
 * subsequence over lines; texts here are configuration files. */
static char *
line_diff(const char *a, const char *b)
{
	char **la = NULL, **lb = NULL;
	size_t na = 0, nb = 0, cap = 0, len = 0;
	char *out = NULL, *sa = strdup(a), *sb = strdup(b);
	uint32_t *dp;

	if (sa == NULL || sb == NULL)
		goto done;
	for (char *s = strtok(sa, "\n"); s != NULL; s = strtok(NULL, "\n")) {
		la = realloc(la, (na + 1) * sizeof(*la));
		la[na++] = s;
	}
	for (char *s = strtok(sb, "\n"); s != NULL; s = strtok(NULL, "\n")) {
		lb = realloc(lb, (nb + 1) * sizeof(*lb));
		lb[nb++] = s;
	}
	dp = calloc((na + 1) * (nb + 1), sizeof(*dp));
	if (dp == NULL)
		goto done;
#define DP(i, j) dp[(i) * (nb + 1) + (j)]
	for (size_t i = na; i-- > 0;)
		for (size_t j = nb; j-- > 0;)
			DP(i, j) = strcmp(la[i], lb[j]) == 0
					   ? DP(i + 1, j + 1) + 1
					   : (DP(i + 1, j) > DP(i, j + 1)
						      ? DP(i + 1, j)
						      : DP(i, j + 1));
	for (size_t i = 0, j = 0; i < na || j < nb;) {
		const char *line;
		char sign;

		if (i < na && j < nb && strcmp(la[i], lb[j]) == 0) {
			i++, j++;
			continue;
		}
		if (j < nb && (i == na || DP(i, j + 1) >= DP(i + 1, j))) {
			sign = '+';
			line = lb[j++];
		} else {
			sign = '-';
			line = la[i++];
		}
		size_t need = len + strlen(line) + 3;

		if (need > cap) {
			cap = need * 2;
			out = realloc(out, cap);
		}
		len += (size_t)sprintf(out + len, "%c%s\n", sign, line);
	}
#undef DP
	free(dp);
done:
	free(la);
	free(lb);
	free(sa);
	free(sb);
	return out != NULL ? out : strdup("");
}

/* Membership calls go to the leader: a follower relays them unchanged. */
struct relay {
	struct rpc_call *call;
};

static void
relay_done(rpc_status status, const char *message, const uint8_t *payload,
	   size_t len, bool eos, void *arg)
{
	struct relay *r = arg;

	rpc_reply(r->call, status, message, payload, len);
	free(r);
}

static bool
relay_to_leader(struct api *a, struct rpc_call *call, const char *method,
		const uint8_t *payload, size_t len)
{
	struct node_status st;
	struct relay *r;

	if (node_is_leader(a->node))
		return false;
	node_get_status(a->node, &st);
	if (st.leader_api_addr[0] == '\0') {
		rpc_reply_error(call, RPC_UNAVAILABLE,
				"no leader is known yet; retry");
		return true;
	}
	r = malloc(sizeof(*r));
	if (r == NULL) {
		rpc_reply_error(call, RPC_INTERNAL, "out of memory");
		return true;
	}
	r->call = call;
	if (rpc_client_call(a->client, st.leader_api_addr, method, payload, len,
			    10000, relay_done, r) != 0) {
		free(r);
		rpc_reply_error(call, RPC_UNAVAILABLE,
				"cannot reach the leader at %s",
				st.leader_api_addr);
	}
	return true;
}

static void
h_apply(struct rpc_call *call, const uint8_t *payload, size_t len, void *arg)
{
	struct api *a = api_of(arg);
	struct engine *e = node_engine(a->node);
	struct cen_err err = { 0 };
	struct model m;
	char *cur = NULL, *next = NULL;
	int rc;

	/* the no-op check and the dry-run diff compare with the leader's
	 * state, which a follower may not have applied yet */
	if (relay_to_leader(a, call, "cend.v1.Admin/Apply", payload, len))
		return;
	UNPACK_OR_FAIL(Cend__V1__ApplyRequest, cend__v1__apply_request__unpack,
		       req);
	model_init(&m);
	rc = model_yaml_parse(&m, req->yaml, strlen(req->yaml), &err);
	if (rc == 0)
		rc = engine_check(e, &m, &err);
	if (rc != 0) {
		rpc_reply(call, RPC_INVALID_ARGUMENT, err.msg, NULL, 0);
		goto out;
	}
	cur = canonical_yaml(engine_model(e));
	next = canonical_yaml(&m);
	if (cur == NULL || next == NULL) {
		rpc_reply_error(call, RPC_INTERNAL, "out of memory");
		goto out;
	}
	if (req->dry_run || strcmp(cur, next) == 0) {
		Cend__V1__ApplyResponse r = CEND__V1__APPLY_RESPONSE__INIT;
		char *diff = line_diff(cur, next);

		r.diff = diff;
		r.changed = strcmp(cur, next) != 0;
		rpc_reply_msg(call, &r.base);
		free(diff);
		goto out;
	}
	Cend__V1__Command c = CEND__V1__COMMAND__INIT;

	c.cmd_case = CEND__V1__COMMAND__CMD_APPLY_YAML;
	c.apply_yaml = req->yaml;
	propose(a, call, &c, apply_done);
out:
	free(cur);
	free(next);
	model_free(&m);
	cend__v1__apply_request__free_unpacked(req, NULL);
}

static void
h_put(struct rpc_call *call, const uint8_t *payload, size_t len, void *arg)
{
	struct api *a = api_of(arg);
	struct engine *e = node_engine(a->node);
	struct cen_err err = { 0 };
	struct model m;
	int rc;

	UNPACK_OR_FAIL(Cend__V1__PutRequest, cend__v1__put_request__unpack,
		       req);
	rc = apply_merge(engine_model(e), req->yaml, &m, &err);
	if (rc == 0)
		rc = engine_check(e, &m, &err);
	if (rc != 0) {
		rpc_reply(call, RPC_INVALID_ARGUMENT, err.msg, NULL, 0);
	} else {
		Cend__V1__Command c = CEND__V1__COMMAND__INIT;

		c.cmd_case = CEND__V1__COMMAND__CMD_MERGE_YAML;
		c.merge_yaml = req->yaml;
		propose(a, call, &c, write_done);
	}
	model_free(&m);
	cend__v1__put_request__free_unpacked(req, NULL);
}

static void
h_delete(struct rpc_call *call, const uint8_t *payload, size_t len, void *arg)
{
	struct api *a = api_of(arg);
	Cend__V1__Command c = CEND__V1__COMMAND__INIT;

	UNPACK_OR_FAIL(Cend__V1__DeleteRequest,
		       cend__v1__delete_request__unpack, req);
	if (req->key == NULL) {
		rpc_reply_error(call, RPC_INVALID_ARGUMENT, "key missing");
	} else {
		c.cmd_case = CEND__V1__COMMAND__CMD_DELETE;
		c.delete_ = req->key;
		propose(a, call, &c, write_done);
	}
	cend__v1__delete_request__free_unpacked(req, NULL);
}

#define COMMAND_PATHS_TAG 0x22 /* Command.paths: field 4, bytes */

static void
h_paths(struct rpc_call *call, const uint8_t *payload, size_t len, void *arg)
{
	struct api *a = api_of(arg);
	Cend__V1__PathUpdate *req;

	/* a PathUpdate carries thousands of adds: check that it decodes,
	 * then propose its own bytes as the Command's paths field */
	req = cmddec_path_update(&a->arena, payload, len);
	pbarena_reset(&a->arena);
	if (req == NULL) {
		rpc_reply_error(call, RPC_INVALID_ARGUMENT,
				"request does not decode as "
				"cend.v1.PathUpdate");
		return;
	}
	propose_field(a, call, COMMAND_PATHS_TAG, payload, len, write_done);
}

static void
h_health(struct rpc_call *call, const uint8_t *payload, size_t len, void *arg)
{
	struct api *a = api_of(arg);
	Cend__V1__Command c = CEND__V1__COMMAND__INIT;

	UNPACK_OR_FAIL(Cend__V1__HealthUpdate, cend__v1__health_update__unpack,
		       req);
	if (model_find_attachment(engine_model(node_engine(a->node)),
				  req->attachment) == NULL) {
		rpc_reply_error(call, RPC_NOT_FOUND,
				"attachment %s does not exist",
				req->attachment);
	} else {
		c.cmd_case = CEND__V1__COMMAND__CMD_HEALTH;
		c.health = req;
		propose(a, call, &c, write_done);
	}
	cend__v1__health_update__free_unpacked(req, NULL);
}

/* The command of a ProposeRequest that holds nothing else (field 1 once,
 * as node_propose writes it), as a slice of the payload. */
static bool
propose_request_command(const uint8_t *p, size_t len, const uint8_t **cmd,
			size_t *cmd_len)
{
	uint64_t v = 0;
	size_t i = 1;

	if (len < 2 || p[0] != 0x0a) /* ProposeRequest.command: field 1 */
		return false;
	for (int shift = 0; i < len && shift < 64; shift += 7) {
		v |= (uint64_t)(p[i] & 0x7f) << shift;
		if ((p[i++] & 0x80) == 0) {
			if (v != len - i)
				return false;
			*cmd = p + i;
			*cmd_len = (size_t)v;
			return true;
		}
	}
	return false;
}

static void
node_propose_bytes(struct api *a, struct rpc_call *call, const uint8_t *cmd,
		   size_t len)
{
	/* decoded as part of the request */
	int rc =
		node_propose_decoded(a->node, cmd, len, true, write_done, call);

	if (rc != 0)
		rpc_reply_error(call, status_of(rc),
				rc == -CEN_ENOTLEADER
					? "no leader is known yet; retry"
					: "cannot propose: %s",
				cen_strerror(rc));
}

/* The request decoded into the arena: as node_propose sends it, only its
 * command is decoded (by cmddec, fast), else the whole of it. */
static Cend__V1__ProposeRequest *
propose_request_decode(struct api *a, const uint8_t *payload, size_t len)
{
	Cend__V1__ProposeRequest *req;
	const uint8_t *cmd;
	size_t cmd_len;

	if (!propose_request_command(payload, len, &cmd, &cmd_len))
		return cend__v1__propose_request__unpack(&a->arena.alloc, len,
							 payload);
	req = pbarena_alloc(&a->arena, sizeof(*req));
	if (req == NULL)
		return NULL;
	cend__v1__propose_request__init(req);
	req->command = cmddec_command(&a->arena, cmd, cmd_len);
	return req->command != NULL ? req : NULL;
}

static void
h_propose(struct rpc_call *call, const uint8_t *payload, size_t len, void *arg)
{
	struct api *a = api_of(arg);
	Cend__V1__ProposeRequest *req;
	const uint8_t *cmd;
	size_t cmd_len;

	req = propose_request_decode(a, payload, len);
	if (req == NULL) {
		pbarena_reset(&a->arena);
		rpc_reply_error(call, RPC_INVALID_ARGUMENT,
				"request does not decode as "
				"cend.v1.ProposeRequest");
		return;
	}
	if (req->command == NULL) {
		rpc_reply_error(call, RPC_INVALID_ARGUMENT, "command missing");
	} else if (!node_is_leader(a->node)) {
		/* a stale forward: the sender retries elsewhere */
		rpc_reply_error(call, RPC_NOT_LEADER, "not the leader");
	} else if (propose_request_command(payload, len, &cmd, &cmd_len)) {
		/* as node_propose sends it: the command's own bytes */
		node_propose_bytes(a, call, cmd, cmd_len);
	} else {
		/* any other encoding of the request: its command, packed */
		size_t clen = cend__v1__command__get_packed_size(req->command);
		uint8_t *cbuf = malloc(clen ? clen : 1);

		if (cbuf == NULL) {
			rpc_reply_error(call, RPC_INTERNAL, "out of memory");
		} else {
			cend__v1__command__pack(req->command, cbuf);
			node_propose_bytes(a, call, cbuf, clen);
			free(cbuf);
		}
	}
	pbarena_reset(&a->arena);
}

/* ---- status and membership ----------------------------------------- */

static void
h_status(struct rpc_call *call, const uint8_t *payload, size_t len, void *arg)
{
	struct api *a = api_of(arg);
	const struct node_config *cfg = node_config(a->node);
	Cend__V1__StatusResponse r = CEND__V1__STATUS_RESPONSE__INIT;
	Cend__V1__StatusRequest *req;
	struct node_status st;
	char hash[17] = "";
	bool skip_hash;

	req = cend__v1__status_request__unpack(NULL, len, payload);
	skip_hash = req != NULL && req->skip_state_hash;
	cend__v1__status_request__free_unpacked(req, NULL);
	node_get_status(a->node, &st);
	if (!skip_hash) {
		struct engine *e = node_engine(a->node);

		if (a->hash_engine != e || a->hash_index != st.applied_index) {
			a->hash = engine_hash(e);
			a->hash_engine = e;
			a->hash_index = st.applied_index;
		}
		snprintf(hash, sizeof(hash), "%016llx",
			 (unsigned long long)a->hash);
	}
	r.id = st.id;
	r.region = (char *)cfg->region;
	r.leader_id = st.leader_id;
	r.leader_raft_addr = st.leader_raft_addr;
	r.term = st.term;
	r.commit_index = st.commit_index;
	r.applied_index = st.applied_index;
	r.db_size = st.db_size;
	r.raft_log_size = st.raft_log_size;
	r.state = (char *)st.state;
	r.state_hash = hash;
	r.paths = st.paths;
	r.api_addr = (char *)cfg->api_addr;
	r.raft_addr = (char *)cfg->raft_addr;
	rpc_reply_msg(call, &r.base);
}

static void
reply_members(struct api *a, struct rpc_call *call, bool list)
{
	struct node_member_info mi[NODE_MAX_MEMBERS];
	Cend__V1__Member m[NODE_MAX_MEMBERS], *mp[NODE_MAX_MEMBERS];
	size_t n = node_members(a->node, mi, NODE_MAX_MEMBERS);

	for (size_t i = 0; i < n; i++) {
		cend__v1__member__init(&m[i]);
		m[i].id = mi[i].m.id;
		m[i].raft_addr = mi[i].m.raft_addr;
		m[i].api_addr = mi[i].m.api_addr;
		m[i].role = (char *)mi[i].role;
		m[i].is_leader = mi[i].is_leader;
		mp[i] = &m[i];
	}
	if (list) {
		Cend__V1__MemberListResponse r =
			CEND__V1__MEMBER_LIST_RESPONSE__INIT;

		r.n_members = n;
		r.members = mp;
		rpc_reply_msg(call, &r.base);
	} else {
		Cend__V1__MemberResponse r = CEND__V1__MEMBER_RESPONSE__INIT;

		r.n_members = n;
		r.members = mp;
		rpc_reply_msg(call, &r.base);
	}
}

static void
h_member_list(struct rpc_call *call, const uint8_t *payload, size_t len,
	      void *arg)
{
	reply_members(api_of(arg), call, true);
}

struct change_ctx {
	struct api *api;
	struct rpc_call *call;
};

static void
change_done(int status, const char *message, void *arg)
{
	struct change_ctx *c = arg;

	if (status != 0)
		rpc_reply_error(c->call, status_of(status), "%s",
				message ? message : cen_strerror(status));
	else
		reply_members(c->api, c->call, false);
	free(c);
}

static struct change_ctx *
change_ctx(struct api *a, struct rpc_call *call)
{
	struct change_ctx *c = malloc(sizeof(*c));

	if (c != NULL) {
		c->api = a;
		c->call = call;
	}
	return c;
}

static void
change_result(struct rpc_call *call, struct change_ctx *c, int rc)
{
	if (rc != 0) {
		free(c);
		rpc_reply_error(call, status_of(rc), "%s",
				rc == -CEN_EEXIST   ? "that ID or address is "
						      "already a member"
				: rc == -CEN_ENOENT ? "no member with that ID"
				: rc == -CEN_EINUSE ? "a membership change is "
						      "already in progress"
						    : cen_strerror(rc));
	}
}

static void
h_member_add(struct rpc_call *call, const uint8_t *payload, size_t len,
	     void *arg)
{
	struct api *a = api_of(arg);
	struct change_ctx *c;

	if (relay_to_leader(a, call, "cend.v1.Admin/MemberAdd", payload, len))
		return;
	UNPACK_OR_FAIL(Cend__V1__MemberAddRequest,
		       cend__v1__member_add_request__unpack, req);
	if (req->id == 0 || req->raft_addr == NULL || !req->raft_addr[0]) {
		rpc_reply_error(call, RPC_INVALID_ARGUMENT,
				"member add needs an id >= 1 and a raft "
				"address HOST:PORT");
	} else if ((c = change_ctx(a, call)) != NULL) {
		change_result(call, c,
			      node_member_add(a->node, req->id, req->raft_addr,
					      req->api_addr, change_done, c));
	}
	cend__v1__member_add_request__free_unpacked(req, NULL);
}

/* Promote, remove and transfer: relayed to the leader, one ID each, the
 * answer is the membership once the change is committed. */
#define MEMBER_CHANGE(fn, rpc, type, unpack, unpacked_free, node_fn)           \
	static void fn(struct rpc_call *call, const uint8_t *payload,          \
		       size_t len, void *arg)                                  \
	{                                                                      \
		struct api *a = api_of(arg);                                   \
		struct change_ctx *c;                                          \
                                                                               \
		if (relay_to_leader(a, call, "cend.v1.Admin/" rpc, payload,    \
				    len))                                      \
			return;                                                \
		UNPACK_OR_FAIL(type, unpack, req);                             \
		if ((c = change_ctx(a, call)) != NULL)                         \
			change_result(                                         \
				call, c,                                       \
				node_fn(a->node, req->id, change_done, c));    \
		unpacked_free(req, NULL);                                      \
	}

MEMBER_CHANGE(h_member_promote, "MemberPromote", Cend__V1__MemberPromoteRequest,
	      cend__v1__member_promote_request__unpack,
	      cend__v1__member_promote_request__free_unpacked,
	      node_member_promote)
MEMBER_CHANGE(h_member_remove, "MemberRemove", Cend__V1__MemberRemoveRequest,
	      cend__v1__member_remove_request__unpack,
	      cend__v1__member_remove_request__free_unpacked,
	      node_member_remove)
MEMBER_CHANGE(h_leader_transfer, "LeaderTransfer",
	      Cend__V1__LeaderTransferRequest,
	      cend__v1__leader_transfer_request__unpack,
	      cend__v1__leader_transfer_request__free_unpacked,
	      node_leader_transfer)

static void
h_snapshot_save(struct rpc_call *call, const uint8_t *payload, size_t len,
		void *arg)
{
	struct api *a = api_of(arg);
	uint8_t *img;
	size_t ilen;
	int rc = node_snapshot(a->node, &img, &ilen);

	if (rc != 0) {
		rpc_stream_end(call, RPC_INTERNAL, "cannot take a snapshot");
		return;
	}
	for (size_t off = 0; off < ilen; off += API_CHUNK) {
		Cend__V1__SnapshotChunk ch = CEND__V1__SNAPSHOT_CHUNK__INIT;

		ch.data.data = img + off;
		ch.data.len = ilen - off < API_CHUNK ? ilen - off : API_CHUNK;
		ch.applied_index = store_image_index(img, ilen);
		if (rpc_stream_send_msg(call, &ch.base) != 0)
			break;
	}
	free(img);
	rpc_stream_end(call, RPC_OK, NULL);
}

/* ---- reads --------------------------------------------------------- */

static void
h_get(struct rpc_call *call, const uint8_t *payload, size_t len, void *arg)
{
	struct api *a = api_of(arg);
	const struct model *cur = engine_model(node_engine(a->node));
	Cend__V1__GetResponse r = CEND__V1__GET_RESPONSE__INIT;
	struct model m;
	char *y;
	const char *id;
	bool found = true;

	UNPACK_OR_FAIL(Cend__V1__GetRequest, cend__v1__get_request__unpack,
		       req);
	id = req->id != NULL ? req->id : "";
	model_init(&m);
	switch (req->kind) {
	case CEND__V1__OBJECT_KIND__OBJECT_KIND_UNSPECIFIED:
		model_free(&m);
		model_clone(&m, cur);
		break;
	case CEND__V1__OBJECT_KIND__OBJECT_KIND_CEN:
		m.has_cen = cur->has_cen;
		m.cen = cur->cen;
		found = cur->has_cen;
		break;
	case CEND__V1__OBJECT_KIND__OBJECT_KIND_REGION:
		for (size_t i = 0; i < cur->nregions; i++)
			if (!id[0] || !strcmp(cur->regions[i].id, id))
				model_put_region(&m, &cur->regions[i]);
		for (size_t i = 0; i < cur->ntables; i++)
			if (model_find_region(&m, cur->tables[i].region))
				model_put_table(&m, &cur->tables[i]);
		found = m.nregions > 0 || !id[0];
		break;
	case CEND__V1__OBJECT_KIND__OBJECT_KIND_ROUTE_TABLE:
	case CEND__V1__OBJECT_KIND__OBJECT_KIND_STATIC_ROUTE:
		for (size_t i = 0; i < cur->ntables; i++) {
			const struct model_table *t = &cur->tables[i];
			const struct model_region *rg =
				model_find_region(cur, t->region);

			if ((id[0] && strcmp(t->id, id)) || rg == NULL)
				continue;
			if (!model_find_region(&m, rg->id))
				model_put_region(&m, rg);
			model_put_table(&m, t);
		}
		for (size_t i = 0; i < cur->ntable_routes; i++)
			if (model_find_table(&m, cur->table_routes[i].table))
				model_put_table_route(&m,
						      &cur->table_routes[i]);
		found = m.ntables > 0 || !id[0];
		break;
	case CEND__V1__OBJECT_KIND__OBJECT_KIND_PHYSICAL_CONNECTION:
		for (size_t i = 0; i < cur->npcs; i++)
			if (!id[0] || !strcmp(cur->pcs[i].id, id))
				model_put_pc(&m, &cur->pcs[i]);
		found = m.npcs > 0 || !id[0];
		break;
	case CEND__V1__OBJECT_KIND__OBJECT_KIND_ATTACHMENT:
		for (size_t i = 0; i < cur->nattachments; i++)
			if (!id[0] || !strcmp(cur->attachments[i].id, id))
				model_put_attachment(&m, &cur->attachments[i]);
		found = m.nattachments > 0 || !id[0];
		break;
	case CEND__V1__OBJECT_KIND__OBJECT_KIND_ROUTE_MAP:
		for (size_t i = 0; i < cur->nrmaps; i++)
			if (!id[0] || !strcmp(cur->rmaps[i].region, id))
				model_put_rmap(&m, &cur->rmaps[i]);
		found = m.nrmaps > 0 || !id[0];
		break;
	case CEND__V1__OBJECT_KIND__OBJECT_KIND_BANDWIDTH_PACKAGE:
		for (size_t i = 0; i < cur->nbwps; i++)
			if (!id[0] || !strcmp(cur->bwps[i].id, id))
				model_put_bwp(&m, &cur->bwps[i]);
		found = m.nbwps > 0 || !id[0];
		break;
	default:
		found = false;
	}
	if (!found) {
		rpc_reply_error(call, RPC_NOT_FOUND, "%s does not exist",
				id[0] ? id : "that object");
	} else if ((y = model_yaml_emit(&m)) == NULL) {
		rpc_reply_error(call, RPC_INTERNAL, "out of memory");
	} else {
		r.yaml = y;
		rpc_reply_msg(call, &r.base);
		free(y);
	}
	model_free(&m);
	cend__v1__get_request__free_unpacked(req, NULL);
}

struct route_stream {
	struct rpc_call *call;
	int err;
};

static int
route_cb(const struct engine_route *er, void *arg)
{
	struct route_stream *rs = arg;
	Cend__V1__Route r = CEND__V1__ROUTE__INIT;
	Cend__V1__Prefix pfx = CEND__V1__PREFIX__INIT;
	Cend__V1__Prefix peer = CEND__V1__PREFIX__INIT;
	Cend__V1__NextHopGroup g = CEND__V1__NEXT_HOP_GROUP__INIT;
	Cend__V1__NextHop nh[16], *nhp[16];
	uint32_t as[256];
	uint32_t nas =
		attr_aspath_flat(er->attrs ? er->attrs->aspath : NULL, as, 256);

	fibmsg_prefix_to(&er->prefix, &pfx);
	r.region = (char *)er->region;
	r.table = (char *)er->table;
	r.view = (char *)(er->view ? er->view : "");
	r.prefix = &pfx;
	r.source = (char *)er->source;
	r.source_region = (char *)er->source_region;
	r.source_type = er->source_type;
	r.route_type = er->route_type;
	r.origin_type = er->origin_type;
	r.table_static = er->table_static;
	if (er->peer.family != PREFIX_AF_NONE) {
		fibmsg_prefix_to(&er->peer, &peer);
		r.peer = &peer;
	}
	r.node = er->node;
	r.n_as_path = nas < 256 ? nas : 256;
	r.as_path = as;
	if (er->attrs != NULL && er->attrs->comms != NULL) {
		r.n_communities = er->attrs->comms->n;
		r.communities = (uint32_t *)er->attrs->comms->v;
	}
	r.preference = er->attrs != NULL ? er->attrs->pref : 0;
	for (uint32_t i = 0; er->nhg != NULL && i < er->nhg->n && i < 16; i++) {
		cend__v1__next_hop__init(&nh[i]);
		nh[i].kind = er->nhg->nh[i].kind;
		nh[i].id = (char *)er->nhg->nh[i].id;
		nh[i].weight = er->nhg->nh[i].weight;
		nhp[i] = &nh[i];
		g.n_next_hops = i + 1;
	}
	g.next_hops = nhp;
	r.next_hops = &g;
	r.state = er->state;
	r.reason = (char *)engine_reason_str(er->reason);
	r.route_map_priority = er->rmap_priority;
	if (rpc_stream_send_msg(rs->call, &r.base) != 0) {
		rs->err = -CEN_EIO;
		return 1;
	}
	return 0;
}

static void
h_list_routes(struct rpc_call *call, const uint8_t *payload, size_t len,
	      void *arg)
{
	struct api *a = api_of(arg);
	struct engine *e = node_engine(a->node);
	struct route_stream rs = { .call = call };
	struct cen_err err = { 0 };
	struct prefix within = { 0 };
	int rc = 0;

	UNPACK_OR_FAIL(Cend__V1__ListRoutesRequest,
		       cend__v1__list_routes_request__unpack, req);
	if (req->prefix.len > 0 &&
	    store_prefix_unpack(req->prefix.data, req->prefix.len, &within,
				&err) != 0) {
		rpc_stream_end(call, RPC_INVALID_ARGUMENT, err.msg);
		goto out;
	}
	if (req->attachment != NULL && req->attachment[0] != '\0')
		rc = engine_view_list(e, req->attachment,
				      req->prefix.len ? &within : NULL,
				      route_cb, &rs);
	else
		rc = engine_route_list(
			e, req->region && req->region[0] ? req->region : NULL,
			req->table && req->table[0] ? req->table : NULL,
			req->prefix.len ? &within : NULL, !req->longer,
			route_cb, &rs);
	if (rs.err != 0)
		rpc_stream_end(call, RPC_CANCELLED, "stream closed");
	else if (rc == -CEN_ENOENT)
		rpc_stream_end(call, RPC_NOT_FOUND,
			       "no such region, table or attachment");
	else
		rpc_stream_end(call, RPC_OK, NULL);
out:
	cend__v1__list_routes_request__free_unpacked(req, NULL);
}

struct fib_stream {
	struct rpc_call *call;
	bool failed;
};

static void
send_fib_entry(struct rpc_call *call, const struct engine_delta *d,
	       bool *failed)
{
	Cend__V1__FibEntry fe = CEND__V1__FIB_ENTRY__INIT;
	struct fibmsg_entry_buf buf;
	struct cen_err err = { 0 };

	if (*failed || fibmsg_entry_from_delta(d, &fe, &buf, &err) != 0)
		return;
	if (rpc_stream_send_msg(call, &fe.base) != 0)
		*failed = true;
}

static void
fib_cb(const struct engine_delta *d, void *arg)
{
	struct fib_stream *fs = arg;

	send_fib_entry(fs->call, d, &fs->failed);
}

static void
h_list_fib(struct rpc_call *call, const uint8_t *payload, size_t len, void *arg)
{
	struct api *a = api_of(arg);
	struct fib_stream fs = { .call = call };
	int rc;

	UNPACK_OR_FAIL(Cend__V1__ListFibRequest,
		       cend__v1__list_fib_request__unpack, req);
	rc = engine_fib_walk(node_engine(a->node),
			     req->region && req->region[0] ? req->region : NULL,
			     fib_cb, &fs);
	if (rc == -CEN_ENOENT)
		rpc_stream_end(call, RPC_NOT_FOUND, "no such region");
	else
		rpc_stream_end(call, fs.failed ? RPC_CANCELLED : RPC_OK, NULL);
	cend__v1__list_fib_request__free_unpacked(req, NULL);
}

/* ---- watch --------------------------------------------------------- */

static void
watcher_gone(struct rpc_call *call, void *arg)
{
	struct watcher *w = arg;

	w->gone = true;
}

static void
watchers_prune(struct api *a)
{
	for (struct watcher **wp = &a->watchers; *wp != NULL;) {
		struct watcher *w = *wp;

		if (!w->gone) {
			wp = &w->next;
			continue;
		}
		*wp = w->next;
		rpc_stream_end(w->call, RPC_CANCELLED, "watcher gone");
		free(w);
	}
}

static void
h_watch(struct rpc_call *call, const uint8_t *payload, size_t len, void *arg)
{
	struct api *a = api_of(arg);
	struct watcher *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		rpc_stream_end(call, RPC_INTERNAL, "out of memory");
		return;
	}
	Cend__V1__WatchRequest *req =
		cend__v1__watch_request__unpack(NULL, len, payload);

	if (req == NULL || (req->what[0] && strcmp(req->what, "routes") &&
			    strcmp(req->what, "events"))) {
		rpc_stream_end(call, RPC_INVALID_ARGUMENT,
			       "watch: expected what = routes or events");
		cend__v1__watch_request__free_unpacked(req, NULL);
		free(w);
		return;
	}
	w->events = strcmp(req->what, "events") == 0;
	cend__v1__watch_request__free_unpacked(req, NULL);
	w->api = a;
	w->call = call;
	w->next = a->watchers;
	a->watchers = w;
	rpc_call_on_gone(call, watcher_gone, w);
}

static void
on_delta(const struct engine_delta *d, uint64_t index, void *arg)
{
	struct api *a = arg;

	for (struct watcher *w = a->watchers; w != NULL; w = w->next) {
		Cend__V1__WatchEvent ev = CEND__V1__WATCH_EVENT__INIT;
		Cend__V1__FibEntry fe = CEND__V1__FIB_ENTRY__INIT;
		struct fibmsg_entry_buf buf;

		if (w->gone || w->events ||
		    fibmsg_entry_from_delta(d, &fe, &buf, NULL))
			continue;
		ev.index = index;
		ev.kind = "fib";
		ev.fib = &fe;
		if (rpc_stream_send_msg(w->call, &ev.base) != 0)
			w->gone = true;
	}
	watchers_prune(a);
}

static void
on_event(uint64_t index, const char *kind, const char *text, void *arg)
{
	struct api *a = arg;

	for (struct watcher *w = a->watchers; w != NULL; w = w->next) {
		Cend__V1__WatchEvent ev = CEND__V1__WATCH_EVENT__INIT;

		if (w->gone || !w->events)
			continue;
		ev.index = index;
		ev.kind = (char *)kind;
		ev.text = (char *)text;
		if (rpc_stream_send_msg(w->call, &ev.base) != 0)
			w->gone = true;
	}
	watchers_prune(a);
}

/* ---- BGP ----------------------------------------------------------- */

static bool
need_speaker(struct api *a, struct rpc_call *call)
{
	if (a->speaker != NULL)
		return true;
	rpc_reply_error(call, RPC_FAILED_PRECONDITION,
			"this node runs no BGP speaker (start cend with "
			"--bgp-addr)");
	return false;
}

static void
h_bgp_summary(struct rpc_call *call, const uint8_t *payload, size_t len,
	      void *arg)
{
	struct api *a = api_of(arg);
	struct bgp_peer_info *info;
	Cend__V1__BgpPeer *pm, **pp;
	char(*addrs)[PREFIX_STRLEN];
	Cend__V1__BgpSummaryResponse r = CEND__V1__BGP_SUMMARY_RESPONSE__INIT;
	size_t n, max;

	if (!need_speaker(a, call))
		return;
	/* every peer: a node may hold hundreds of sessions */
	max = bgp_speaker_npeers(a->speaker);
	info = calloc(max + 1, sizeof(*info));
	pm = calloc(max + 1, sizeof(*pm));
	pp = calloc(max + 1, sizeof(*pp));
	addrs = calloc(max + 1, sizeof(*addrs));
	if (info == NULL || pm == NULL || pp == NULL || addrs == NULL) {
		rpc_reply_error(call, RPC_INTERNAL, "out of memory");
		goto out;
	}
	n = bgp_speaker_peers(a->speaker, info, max);
	for (size_t i = 0; i < n; i++) {
		cend__v1__bgp_peer__init(&pm[i]);
		pm[i].attachment = info[i].attachment;
		pm[i].address = prefix_fmt_addr(&info[i].address, addrs[i],
						sizeof(addrs[i]));
		pm[i].asn = info[i].asn;
		pm[i].state = (char *)info[i].state;
		pm[i].msgs_in = info[i].msgs_in;
		pm[i].msgs_out = info[i].msgs_out;
		pm[i].since_ms = info[i].since_ms;
		pm[i].received = info[i].received;
		pm[i].advertised = info[i].advertised;
		pm[i].quota = info[i].quota;
		pm[i].admin_down = info[i].admin_down;
		pm[i].reason = info[i].reason;
		pp[i] = &pm[i];
	}
	r.node = node_config(a->node)->id;
	r.local_as = engine_model(node_engine(a->node))->has_cen
			     ? engine_model(node_engine(a->node))->cen.asn
			     : MODEL_ASN_DEFAULT;
	r.n_peers = n;
	r.peers = pp;
	rpc_reply_msg(call, &r.base);
out:
	free(info);
	free(pm);
	free(pp);
	free(addrs);
}

static void
h_peer_action(struct rpc_call *call, const uint8_t *payload, size_t len,
	      void *arg)
{
	struct api *a = api_of(arg);
	struct prefix addr;
	int rc;

	if (!need_speaker(a, call))
		return;
	UNPACK_OR_FAIL(Cend__V1__PeerActionRequest,
		       cend__v1__peer_action_request__unpack, req);
	if (prefix_parse_addr(&addr, req->address) != 0) {
		rpc_reply_error(call, RPC_INVALID_ARGUMENT,
				"peer address %s: expected an IP address",
				req->address);
		goto out;
	}
	if (strcmp(req->action, "reset") == 0)
		rc = bgp_speaker_reset(a->speaker, &addr);
	else if (strcmp(req->action, "enable") == 0)
		rc = bgp_speaker_enable(a->speaker, &addr, true);
	else if (strcmp(req->action, "disable") == 0)
		rc = bgp_speaker_enable(a->speaker, &addr, false);
	else {
		rpc_reply_error(call, RPC_INVALID_ARGUMENT,
				"action %s: expected reset, enable or disable",
				req->action);
		goto out;
	}
	if (rc == -CEN_ENOENT) {
		rpc_reply_error(call, RPC_NOT_FOUND,
				"this node holds no session with %s",
				req->address);
	} else {
		Cend__V1__PeerActionResponse r =
			CEND__V1__PEER_ACTION_RESPONSE__INIT;

		rpc_reply_msg(call, &r.base);
	}
out:
	cend__v1__peer_action_request__free_unpacked(req, NULL);
}

struct adj_ctx {
	struct rpc_call *call;
	const char *address;
};

static int
adj_cb(const struct prefix *p, const struct attrs *at, void *arg)
{
	struct adj_ctx *c = arg;
	struct engine_route er;

	memset(&er, 0, sizeof(er));
	er.region = "";
	er.table = "";
	er.prefix = *p;
	er.source = c->address;
	er.source_region = "";
	er.route_type = MODEL_RT_BGP;
	er.attrs = at;
	er.state = ENGINE_STATE_ACTIVE;
	struct route_stream rs = { .call = c->call };

	return route_cb(&er, &rs);
}

static void
h_peer_adj(struct rpc_call *call, const uint8_t *payload, size_t len, void *arg)
{
	struct api *a = api_of(arg);
	struct prefix addr;
	struct adj_ctx c = { .call = call };
	int rc;

	if (a->speaker == NULL) {
		rpc_stream_end(call, RPC_FAILED_PRECONDITION,
			       "this node runs no BGP speaker");
		return;
	}
	UNPACK_OR_FAIL(Cend__V1__PeerAdjRequest,
		       cend__v1__peer_adj_request__unpack, req);
	c.address = req->address;
	if (prefix_parse_addr(&addr, req->address) != 0) {
		rpc_stream_end(call, RPC_INVALID_ARGUMENT,
			       "peer address: expected an IP address");
	} else {
		rc = bgp_speaker_adj(a->speaker, &addr, !req->out, adj_cb, &c);
		rpc_stream_end(call, rc == -CEN_ENOENT ? RPC_NOT_FOUND : RPC_OK,
			       rc == -CEN_ENOENT ? "no session with that peer"
						 : NULL);
	}
	cend__v1__peer_adj_request__free_unpacked(req, NULL);
}

void
api_set_speaker(struct api *a, struct bgp_speaker *sp)
{
	a->speaker = sp;
}

/* ---- setup --------------------------------------------------------- */

static struct rpc_method methods[] = {
	{ "cend.v1.Admin/Status", h_status, NULL },
	{ "cend.v1.Admin/MemberList", h_member_list, NULL },
	{ "cend.v1.Admin/MemberAdd", h_member_add, NULL },
	{ "cend.v1.Admin/MemberPromote", h_member_promote, NULL },
	{ "cend.v1.Admin/MemberRemove", h_member_remove, NULL },
	{ "cend.v1.Admin/LeaderTransfer", h_leader_transfer, NULL },
	{ "cend.v1.Admin/SnapshotSave", h_snapshot_save, NULL },
	{ "cend.v1.Admin/Apply", h_apply, NULL },
	{ "cend.v1.Admin/Put", h_put, NULL },
	{ "cend.v1.Admin/Delete", h_delete, NULL },
	{ "cend.v1.Admin/Paths", h_paths, NULL },
	{ "cend.v1.Admin/Health", h_health, NULL },
	{ "cend.v1.Admin/Get", h_get, NULL },
	{ "cend.v1.Admin/ListRoutes", h_list_routes, NULL },
	{ "cend.v1.Admin/ListFib", h_list_fib, NULL },
	{ "cend.v1.Admin/Watch", h_watch, NULL },
	{ "cend.v1.Admin/BgpSummary", h_bgp_summary, NULL },
	{ "cend.v1.Admin/PeerAction", h_peer_action, NULL },
	{ "cend.v1.Admin/PeerAdj", h_peer_adj, NULL },
	{ "cend.v1.Cluster/Propose", h_propose, NULL },
	{ NULL, NULL, NULL },
	/* room for api_extend */
	[API_BUILTIN_METHODS + API_EXTRA_METHODS] = { NULL, NULL, NULL },
};

int
api_extend(const struct rpc_method *m)
{
	size_t i = 0;

	while (methods[i].name != NULL)
		i++;
	if (i >= API_BUILTIN_METHODS + API_EXTRA_METHODS)
		return -CEN_ETOOBIG;
	methods[i] = *m; /* keeps its own arg */
	methods[i + 1].name = NULL;
	return 0;
}

int
api_start(uv_loop_t *loop, struct node *node, const char *const *endpoints,
	  size_t n, struct api **out, struct cen_err *err)
{
	struct api *a = calloc(1, sizeof(*a));
	int rc;

	if (a == NULL)
		return cen_errf(err, -CEN_ENOMEM, "out of memory");
	a->node = node;
	pbarena_init(&a->arena);
	for (size_t i = 0; methods[i].name != NULL; i++)
		if (methods[i].arg == NULL)
			methods[i].arg = a; /* extensions bring their own */
	rc = rpc_server_new(loop, methods, 0, &a->server);
	if (rc == 0)
		rc = rpc_client_new(loop, &a->client);
	if (rc != 0) {
		free(a);
		return cen_errf(err, rc, "rpc: %s", cen_strerror(rc));
	}
	for (size_t i = 0; i < n; i++) {
		rc = rpc_server_listen(a->server, endpoints[i], err);
		if (rc != 0) {
			api_stop(a);
			return rc;
		}
	}
	a->listener.delta = on_delta;
	a->listener.event = on_event;
	a->listener.arg = a;
	node_listen(node, &a->listener);
	*out = a;
	return 0;
}

void
api_stop(struct api *a)
{
	for (struct watcher *w = a->watchers; w != NULL; w = w->next)
		w->gone = true;
	watchers_prune(a);
	node_unlisten(a->node, &a->listener);
	rpc_server_close(a->server);
	rpc_client_close(a->client);
	pbarena_fini(&a->arena);
	free(a);
}
