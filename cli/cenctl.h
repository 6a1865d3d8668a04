/*
 * cenctl.h - the admin CLI's shared state and its commands.
 *
 * main (cenctl.c) parses the global flags and hands each command the
 * arguments after its noun.  Commands return the process's exit code: 0, 1
 * when the server (or the file system) refused ("cenctl: <message>" on
 * stderr), 2 on a usage error.
 */
#ifndef CEN_CENCTL_H
#define CEN_CENCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "core/err.h"

#define CENCTL_DEFAULT_ENDPOINT	  "127.0.0.1:7101"
#define CENCTL_TIMEOUT_DEFAULT_MS 5000
#define CENCTL_ENDPOINTS_MAX	  32
/* Admin method names: CENCTL_ADMIN("Status") */
#define CENCTL_ADMIN(rpc) "cend.v1.Admin/" rpc

struct rpc_sync;

struct cenctl {
	const char *endpoints; /* --endpoints or $CENCTL_ENDPOINTS */
	bool json;	       /* -w json */
	uint32_t timeout_ms;   /* --timeout: dial and per call (per message
				  for streams) */

	/* client.c: the parsed endpoint list and the open connection */
	char *eps_buf;
	char *eps[CENCTL_ENDPOINTS_MAX];
	size_t neps;
	struct rpc_sync *conn;
	char conn_ep[128]; /* endpoint conn is connected to */
};

/* cenctl.c */

/* Prints "cenctl: <err->msg>" to stderr; returns 1 (the exit code). */
int cenctl_fail(const struct cen_err *err);

/* client.c: calls to the cluster.  Each tries the endpoints in order until
 * one answers: a refused connection, a timeout or an UNAVAILABLE answer
 * moves on to the next; a NOT_LEADER answer retries on the leader it names.
 * A non-OK answer becomes a negative code (NOT_FOUND -> -CEN_ENOENT, ...)
 * with the server's message in err; when no endpoint answers, err lists
 * each endpoint's failure ("127.0.0.1:1: connection refused"). */

/* Splits ctl->endpoints; -CEN_EINVAL on an empty or over-long list. */
int cenctl_client_init(struct cenctl *ctl, struct cen_err *err);
void cenctl_client_close(struct cenctl *ctl);
/* A unary call: req is packed and sent; on success *resp (unpacked with
 * rdesc) belongs to the caller, freed with protobuf_c_message_free_unpacked
 * (NULL allocator). */
int cenctl_call(struct cenctl *ctl, const char *method,
		const ProtobufCMessage *req,
		const ProtobufCMessageDescriptor *rdesc,
		ProtobufCMessage **resp, struct cen_err *err);
/* The same, to one endpoint only, with no failover (endpoint status). */
int cenctl_call_at(struct cenctl *ctl, const char *endpoint, const char *method,
		   const ProtobufCMessage *req,
		   const ProtobufCMessageDescriptor *rdesc,
		   ProtobufCMessage **resp, struct cen_err *err);

/* Called for each message of a stream (valid during the call only);
 * non-zero stops the stream (and is returned by cenctl_stream). */
typedef int (*cenctl_stream_fn)(const ProtobufCMessage *msg, void *arg);

/* A server-streaming call; fails over like cenctl_call until the first
 * message has arrived.  timeout_ms bounds the wait for each message (0:
 * forever, for watch). */
int cenctl_stream(struct cenctl *ctl, const char *method,
		  const ProtobufCMessage *req,
		  const ProtobufCMessageDescriptor *rdesc, uint32_t timeout_ms,
		  cenctl_stream_fn cb, void *arg, struct cen_err *err);

/* member.c: member list|add|promote|remove, endpoint status, leader
 * transfer */
int cenctl_member(struct cenctl *ctl, int argc, char **argv);
int cenctl_endpoint(struct cenctl *ctl, int argc, char **argv);
int cenctl_leader(struct cenctl *ctl, int argc, char **argv);

/* bgp.c: bgp summary; peer list|show|reset|enable|disable|adj-in|adj-out */
int cenctl_bgp(struct cenctl *ctl, int argc, char **argv);
int cenctl_peer(struct cenctl *ctl, int argc, char **argv);

/* snapshot.c: snapshot save|restore|status */
int cenctl_snapshot(struct cenctl *ctl, int argc, char **argv);

/* model.c: the model nouns (cen, region, route-table, static-route,
 * physical-connection, attachment, route-map, bandwidth-package) and
 * health-check; cenctl_model_noun tells whether noun is one of them. */
bool cenctl_model_noun(const char *noun);
int cenctl_model(struct cenctl *ctl, const char *noun, int argc, char **argv);
int cenctl_health_check(struct cenctl *ctl, int argc, char **argv);

/* routes.c: route list, fib show, apply, watch */
int cenctl_route(struct cenctl *ctl, int argc, char **argv);
int cenctl_fib(struct cenctl *ctl, int argc, char **argv);
int cenctl_apply(struct cenctl *ctl, int argc, char **argv);
int cenctl_watch(struct cenctl *ctl, int argc, char **argv);

/* opts.c: argument parsing for the commands.  A command loops
 *
 *	opts_init(&o, "member add", USAGE, argc, argv);
 *	while (opts_next(&o)) {
 *		if (opts_help(&o) || opts_str(&o, "--raft-addr", &raft) ||
 *		    opts_arg(&o, &id))
 *			continue;
 *		opts_unknown(&o);
 *	}
 *	if (o.done)
 *		return o.rc;
 *
 * Options are "--name VALUE" or "--name=VALUE", anywhere among the
 * positional arguments.  A usage error prints "cenctl member add: ..." and
 * sets rc 2; --help prints the usage and sets rc 0; either ends the loop
 * with done set. */
struct opts {
	const char *cmd;   /* "member add" */
	const char *usage; /* the command's --help text */
	int argc;
	char **argv;
	int i;	   /* the argument being looked at */
	bool done; /* stop: rc is the exit code */
	int rc;
	int npos; /* positional arguments taken so far */
};

void opts_init(struct opts *o, const char *cmd, const char *usage, int argc,
	       char **argv);
bool opts_next(struct opts *o);
bool opts_help(struct opts *o);
/* True if the argument is the flag (a valued flag's value is taken). */
bool opts_flag(struct opts *o, const char *name);
bool opts_str(struct opts *o, const char *name, const char **val);
bool opts_u32(struct opts *o, const char *name, uint32_t min, uint32_t max,
	      uint32_t *val);
bool opts_u64(struct opts *o, const char *name, uint64_t min, uint64_t max,
	      uint64_t *val);
/* A repeatable flag: appends to vals (at most max). */
bool opts_list(struct opts *o, const char *name, const char **vals, size_t max,
	       size_t *n);
/* A positional argument (one not starting with '-'): stored in *val, or a
 * usage error ("unexpected argument") when val is NULL, which is how a
 * command says it takes no more of them. */
bool opts_arg(struct opts *o, const char **val);
/* The argument was not recognised: a usage error. */
void opts_unknown(struct opts *o);
/* A usage error with a message; returns 2. */
int opts_error(struct opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A noun's verbs: opts_dispatch finds argv[0] among them and calls its fn
 * with o ready for the arguments after the verb (o->cmd "noun verb",
 * o->usage the verb's usage) and data as given.  `NOUN --help` (or no
 * verb) lists the verbs' usage lines. */
struct opts_verb {
	const char *verb;
	const char *usage; /* "usage: cenctl NOUN VERB ...\n..." */
	int (*fn)(struct cenctl *ctl, struct opts *o, const void *data);
};

int opts_dispatch(struct cenctl *ctl, const char *noun,
		  const struct opts_verb *verbs, size_t n, const void *data,
		  int argc, char **argv);
/* Parses a decimal number in min..max; 0, -CEN_EINVAL or -CEN_ERANGE. */
int opts_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v);
/* true|false|yes|no|on|off; 0 or -CEN_EINVAL. */
int opts_parse_bool(const char *s, bool *v);

/* table.c: aligned text tables.  Cells are copied; the first row is the
 * header. */
struct table {
	size_t ncols;
	size_t nrows;
	size_t ncells; /* cells filled so far */
	size_t cap;
	char **cells;
};

void table_init(struct table *t, size_t ncols, const char *const *header);
/* Adds the next cell (rows wrap after ncols cells); NULL prints "". */
void table_cell(struct table *t, const char *s);
void table_cellf(struct table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void table_cell_u64(struct table *t, uint64_t v);
/* Prints the rows padded to each column's width, two spaces apart. */
void table_print(const struct table *t);
void table_free(struct table *t);
/* Bytes for people: "512 B", "25 kB", "1.2 MB" (SI). */
char *table_bytes(uint64_t n, char *buf, size_t size);

/* json.c: JSON on stdout. */
void json_str(const char *s);
struct yaml_document_s;
struct yaml_node_s;
/* Prints a YAML node as JSON: mappings are objects, sequences arrays;
 * plain scalars true/false, null/~/empty and integers become booleans,
 * null and numbers, everything else a string.  extra (may be NULL) is a
 * NULL-terminated list of key, value string pairs printed first in a
 * mapping. */
void json_yaml(struct yaml_document_s *d, struct yaml_node_s *n,
	       const char *const *extra);

/* wire.c: wire messages to and from what people read and write. */
struct prefix;
struct Cend__V1__Prefix;
struct Cend__V1__NextHopGroup;
/* A prefix as command.proto's bytes fields hold it: family (4|6), len, 4
 * or 16 address bytes; returns the length (6 or 18). */
size_t wire_prefix_pack(const struct prefix *p, uint8_t out[18]);
/* "10.0.0.0/8"; "-" when absent; "(bad prefix)" when malformed. */
char *wire_prefix_fmt(const struct Cend__V1__Prefix *m, char *buf, size_t size);
/* "vbr-dc-1, vbr-dc-2*2", "region:cn-shanghai", "blackhole"; "-" when
 * empty (as engine_nhg_fmt). */
char *wire_nhg_fmt(const struct Cend__V1__NextHopGroup *g, char *buf,
		   size_t size);
/* AS path "65001 65002" (empty: ""). */
char *wire_aspath_fmt(const uint32_t *asns, size_t n, char *buf, size_t size);

/* forwarder.c: forwarder list; fib watch, and the `fib` noun (fib watch
 * here, the other verbs to cenctl_fib) */
int cenctl_forwarder(struct cenctl *ctl, int argc, char **argv);
int cenctl_fib_cmd(struct cenctl *ctl, int argc, char **argv);

/* region.c: `region list` (the verb of the region noun that lists the
 * exchange between regions, not the configuration), and apply -f with
 * endpoints of several regions: returns -1 when the endpoints all serve
 * one region (apply then goes on as for one cluster), else the exit
 * code. */
extern const char cenctl_region_list_usage[];
int cenctl_region_list(struct cenctl *ctl, struct opts *o, const void *data);
/* After an apply to one region's cluster: warns about every other region
 * FILE names (their clusters did not get it). */
void cenctl_apply_warn_regions(struct cenctl *ctl, const char *file,
			       const char *yaml);
int cenctl_apply_regions(struct cenctl *ctl, const char *file, const char *yaml,
			 bool dry_run);

/* simulate.c */
int cenctl_simulate(struct cenctl *ctl, int argc, char **argv);

#endif
