/*
 * bgp_speaker.h - a cend node's BGP speaker: the sessions this node holds
 * (the model's VBR/VPN/CCN peers whose `nodes` name it), their Adj-RIB-In
 * turned into replicated path proposals, and their Adj-RIB-Out computed from
 * what each peer's attachment learns in the engine (after RegionOut maps).
 *
 * Received paths are validated (RFC 7606 verdicts, AS loop, max-prefix) and
 * replicated pre-policy; every node applies them and advertises to its own
 * sessions, with End-of-RIB after the initial table.  Peers in the CEN's own
 * AS are iBGP route-reflector clients of the region's cluster (RFC 4456:
 * ORIGINATOR_ID / CLUSTER_LIST loop checks and reflection, bgp_rr.c).  A session that goes
 * down withdraws its paths (after the graceful-restart time when the peer
 * negotiated it).
 */
#ifndef CEN_BGP_SPEAKER_H
#define CEN_BGP_SPEAKER_H

#include <uv.h>

#include "consensus/node.h"
#include "core/err.h"

#define BGP_MAXPFX_RESTART_MS 30000 /* max-prefix: down this long */
#define BGP_GR_TIME	      120   /* our restart time */

struct bgp_speaker;

/* One peer as `cenctl bgp summary` / `peer show` see it. */
struct bgp_peer_info {
	char attachment[64];
	struct prefix address;
	uint32_t asn;
	const char *state;
	uint64_t msgs_in, msgs_out;
	uint64_t since_ms;   /* time in the current up/down state */
	uint32_t received;   /* prefixes in Adj-RIB-In */
	uint32_t advertised; /* prefixes in Adj-RIB-Out */
	uint32_t quota;
	bool admin_down;
	char reason[256]; /* why it is down (or the last error) */
};

/* bgp_speaker.c */

/* Listens on addr ("HOST:PORT"; port 179 when left out) and runs the
 * sessions of node's peers from its applied model. */
int bgp_speaker_start(uv_loop_t *loop, struct node *node, const char *addr,
		      struct bgp_speaker **out, struct cen_err *err);
void bgp_speaker_stop(struct bgp_speaker *sp);

/* How many peers the speaker runs (what bgp_speaker_peers can return). */
size_t bgp_speaker_npeers(const struct bgp_speaker *sp);
size_t bgp_speaker_peers(struct bgp_speaker *sp, struct bgp_peer_info *out,
			 size_t max);
/* Administrative actions on the peer with this address: -CEN_ENOENT when
 * this node holds no such peer. */
int bgp_speaker_reset(struct bgp_speaker *sp, const struct prefix *addr);
int bgp_speaker_enable(struct bgp_speaker *sp, const struct prefix *addr,
		       bool enable);

/* Walks a peer's Adj-RIB-In (in) or Adj-RIB-Out: cb gets each prefix and
 * its attributes (sent attributes for out). */
typedef int (*bgp_rib_cb)(const struct prefix *p, const struct attrs *a,
			  void *arg);
int bgp_speaker_adj(struct bgp_speaker *sp, const struct prefix *addr, bool in,
		    bgp_rib_cb cb, void *arg);

#endif
