/*
 * api.h - a cend node's admin API and cluster service on the RPC transport.
 */
#ifndef CEN_API_H
#define CEN_API_H

#include <uv.h>

#include "consensus/node.h"
#include "proto/rpc.h"

struct api;

/* api.c */

/* Adds a method served next to the Admin ones (FIB subscriptions, ...):
 * call before api_start; m->arg is passed to its handler.  0 or
 * -CEN_ETOOBIG. */
int api_extend(const struct rpc_method *m);

/* Serves the Admin and Cluster services of node on every endpoint
 * ("HOST:PORT" or "unix:/path"). */
int api_start(uv_loop_t *loop, struct node *node, const char *const *endpoints,
	      size_t n, struct api **out, struct cen_err *err);
void api_stop(struct api *a);
/* Serves the BGP calls (summary, peer actions) from this speaker. */
struct bgp_speaker;
void api_set_speaker(struct api *a, struct bgp_speaker *sp);

#endif
