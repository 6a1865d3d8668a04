/*
 * fwd.h - the forwarding core of cenfwd: the region's FIB as LPM tables,
 * the attachments this forwarder serves, and the packet path between its
 * ports (DESIGN.md "dataplane/", ROUTING.md "Bandwidth", "Redundancy").
 *
 * Two sides, two threads:
 *
 * - The control side (the libuv loop of cenfwd) owns the configuration:
 *   it feeds FIB changes from the subscription (fwd_fib_change), the model
 *   from the cluster (fwd_set_model), and reads counters (fwd_stats_*).
 *   FIB entries go into one LPM table per route table, and one per
 *   attachment view (an attachment whose learned routes differ from its
 *   table's: the view is the table with the attachment's overrides, kept
 *   materialised so a packet costs one lookup).  Next-hop groups are
 *   interned and referenced by index from the LPM tables.
 *
 * - The packet side (fwd_worker_*, one thread) polls the ports and forwards:
 *   parse, find the ingress attachment (port and VLAN), look the
 *   destination up in the attachment's FIB, pick a next hop of the group by
 *   the 5-tuple hash (weighted ECMP), meter, decrement the TTL (ICMP time
 *   exceeded where due), resolve the next hop's MAC (ARP / ND), rewrite and
 *   transmit.  It also answers ARP and ND for its gateway addresses, echo
 *   requests to them, and sends the VBR health-check probes.
 *
 * The packet side reads what the control side publishes through RCU
 * (liburcu): a configuration snapshot, the next-hop group array and the LPM
 * tables; it never waits for the control side, which reclaims after a
 * grace period.  Health-check results go the other way, through a small
 * queue the control side drains (fwd_health_events).
 */
#ifndef CEN_FWD_H
#define CEN_FWD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/model.h"
#include "dataplane/fwdconf.h"
#include "dataplane/io.h"
#include "proto/fibmsg.h"
#include "proto/forwarder.pb-c.h"

struct fwd;

/* A change of a VBR's health, from the packet side. */
struct fwd_health_event {
	char attachment[FWDCONF_ID_MAX];
	bool up;
};

/* fwd.c: control side */

/* A forwarder for conf (kept by reference: it must outlive fwd), with its
 * ports opened (or in-memory ports for FWDCONF_IO_MEMORY).  Returns 0 or a
 * negative CEN_E* code with err set (an interface that cannot be opened,
 * a port without a MAC address, ...). */
int fwd_new(const struct fwdconf *conf, struct fwd **out, struct cen_err *err);
/* Stops the worker if running, closes the ports, frees everything. */
void fwd_free(struct fwd *f);

/* Applies one FIB change (fibsub's change callback). */
void fwd_fib_change(struct fwd *f, const struct fibmsg_entry *e);
/* The FIB is complete at version (fibsub's synced callback). */
void fwd_fib_synced(struct fwd *f, uint64_t version);
/* The CEN model as the cluster has it: attachments' tables, VLANs,
 * addresses, bandwidth and health checks.  Publishes a new configuration
 * to the packet side; problems (a configured attachment the model does not
 * have, of another region, a VLAN that differs from the model's) are
 * reported through err as warnings (the forwarder keeps going without
 * that attachment).  Returns 0, or -CEN_ENOMEM. */
int fwd_set_model(struct fwd *f, const struct model *m, struct cen_err *err);

/* Health events queued by the packet side since the last call (at most
 * max); fires the callback given to fwd_set_event_notify when new ones
 * arrive. */
size_t fwd_health_events(struct fwd *f, struct fwd_health_event *ev,
			 size_t max);
void fwd_set_event_notify(struct fwd *f, void (*notify)(void *arg), void *arg);
/* The cluster acknowledged the health state of attachment. */
void fwd_health_reported(struct fwd *f, const char *attachment, bool up);

/* fwd_worker.c: the packet side */

/* Starts the forwarding thread (busy polls its ports while there is
 * traffic, sleeps in poll() when idle). */
int fwd_worker_start(struct fwd *f, struct cen_err *err);
void fwd_worker_stop(struct fwd *f);
/* Forwards one burst received on port (the worker's inner step; also the
 * in-memory benchmark's).  The caller is registered with RCU and inside a
 * read-side section.  Returns packets transmitted. */
size_t fwd_process_burst(struct fwd *f, uint16_t port, struct io_pkt *pkts,
			 size_t n, uint64_t now_ns);
/* Sends health probes and ARP / ND refreshes that are due; the worker
 * calls it every few milliseconds. */
void fwd_timers(struct fwd *f, uint64_t now_ns);

/* Counters.  fwd_stats.c fills the ForwarderAdmin.Stats response. */
int fwd_stats_fill(struct fwd *f, Cend__V1__ForwarderStatsResponse *r,
		   uint64_t now_ns);
void fwd_stats_free(Cend__V1__ForwarderStatsResponse *r);

/* For tests and benchmarks. */
struct io_port *fwd_port(struct fwd *f, uint16_t port);
uint16_t fwd_nports(const struct fwd *f);
uint64_t fwd_version(const struct fwd *f);
/* The next-hop attachment (or region, "region:ID"; "blackhole"; "" when
 * no route) the FIB of attachment att gives for address addr and a flow
 * hash. */
int fwd_route_lookup(struct fwd *f, const char *att, const struct prefix *addr,
		     uint32_t hash, char *out, size_t outlen);
uint64_t fwd_now_ns(void);
/* The VXLAN network identifier of a route table: 24 bits of a hash of the
 * CEN's and the table's IDs, never 0 (DESIGN.md: the backbone carries the
 * CEN and the route table). */
uint32_t fwd_vni_of(const char *cen, const char *table);

#endif
