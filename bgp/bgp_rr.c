/*
 * bgp_rr.c - route reflection (RFC 4456) towards the iBGP clients of a
 * regional cluster, and the mapping between LOCAL_PREF and the route-map
 * preference of ROUTING.md (bgp.h).
 *
 * The cend nodes of a region form one route-reflector cluster with one
 * cluster ID (model_region_cluster_id); every peer whose ASN is the CEN's
 * own is a client.  Pure code on interned attribute sets: the speaker
 * (bgp_speaker.c) calls it on what a client sends (the loop check, then the
 * attributes replicated through Raft) and on what a client is sent.
 *
 * What a client sends is replicated with ORIGINATOR_ID set to the client's
 * BGP identifier when it carries none (section 8): only the node holding
 * the session knows that identifier, and every node of the cluster must be
 * able to reflect the path.  The attribute also marks the path as learned
 * from a client.  Reflected paths keep their next hop and AS path and get
 * the cluster ID in front of their CLUSTER_LIST; every other path (from an
 * eBGP peer, a static route, a VPC) goes to clients as a route the
 * reflector itself originates into the AS: our address as next hop, the AS
 * path unchanged, neither RFC 4456 attribute.
 *
 * Preference and LOCAL_PREF: preference = 150 - LOCAL_PREF, clamped to
 * 1..100, so that the defaults meet (LOCAL_PREF 100 is preference 50) and a
 * higher LOCAL_PREF is a better, lower, preference.  A client is sent the
 * path's own LOCAL_PREF when its preference still maps from it (no route
 * map changed it), else 150 - preference.
 */
#include <stdlib.h>
#include <string.h>

#include "bgp/bgp.h"

/* CLUSTER_LIST entries that fit in one attribute (65535 bytes) */
#define CLUSTERS_MAX (65535 / 4)

uint8_t
bgp_rr_pref(uint32_t localpref)
{
	if (localpref >= BGP_RR_LOCALPREF_BASE - ATTR_PREF_MIN)
		return ATTR_PREF_MIN;
	if (localpref <= BGP_RR_LOCALPREF_BASE - ATTR_PREF_MAX)
		return ATTR_PREF_MAX;
	return (uint8_t)(BGP_RR_LOCALPREF_BASE - localpref);
}

uint32_t
bgp_rr_localpref(const struct attrs *a)
{
	uint8_t pref = a->pref != 0 ? a->pref : ATTR_PREF_DEFAULT;

	if ((a->flags & ATTR_F_LOCALPREF) && bgp_rr_pref(a->localpref) == pref)
		return a->localpref;
	return BGP_RR_LOCALPREF_BASE - pref;
}

bool
bgp_rr_looped(const struct attrs *a, uint32_t router_id, uint32_t cluster_id)
{
	if ((a->flags & ATTR_F_ORIGINATOR) && a->originator_id == router_id)
		return true;
	return attr_comms_has(a->clusters, cluster_id);
}

const struct attrs *
bgp_rr_import(struct attr_store *st, const struct attrs *a, uint32_t client_id)
{
	struct attrs x = *a;

	if (!(x.flags & ATTR_F_ORIGINATOR) && client_id != 0) {
		x.flags |= ATTR_F_ORIGINATOR;
		x.originator_id = client_id;
	}
	if (x.flags & ATTR_F_LOCALPREF)
		x.pref = bgp_rr_pref(x.localpref);
	return attr_intern(st, &x);
}

int
bgp_rr_export(struct attr_store *st, const struct attrs *in,
	      uint32_t cluster_id, uint32_t client_id,
	      const struct prefix *self, const struct attrs **out)
{
	struct attrs a = *in;
	bool reflect = (in->flags & ATTR_F_ORIGINATOR) != 0;
	uint32_t n = reflect && in->clusters != NULL ? in->clusters->n : 0;
	uint32_t stackv[16], *v = stackv;
	bool nomem = false;

	*out = NULL;
	/* section 8: a client never gets its own routes back, nor a list
	 * that would not fit in the attribute any more */
	if (reflect && client_id != 0 && in->originator_id == client_id)
		return 0;
	if (n >= CLUSTERS_MAX)
		return 0;
	a.localpref = bgp_rr_localpref(in);
	a.flags |= ATTR_F_LOCALPREF;
	a.pref = ATTR_PREF_DEFAULT;
	a.weight = 1;
	a.aspath = NULL;
	a.comms = a.clusters = NULL;
	a.lcomms = NULL;
	a.opaque = NULL;
	if (reflect) {
		if (n + 1 > sizeof(stackv) / sizeof(stackv[0])) {
			v = malloc((n + 1) * sizeof(*v));
			if (v == NULL)
				return -CEN_ENOMEM;
		}
		v[0] = cluster_id;
		if (n > 0)
			memcpy(v + 1, in->clusters->v, n * sizeof(*v));
		a.clusters = attr_clusters_intern(st, v, n + 1);
		nomem |= a.clusters == NULL;
		if (v != stackv)
			free(v);
		/* the client's next hop, unless the family differs (an
		 * IPv4 next hop cannot go with an IPv6 prefix) */
		if (in->nexthop.family != self->family)
			a.nexthop = *self;
	} else {
		a.flags &= ~ATTR_F_ORIGINATOR;
		a.originator_id = 0;
		a.nexthop = *self;
	}
	/* the parts of `in` may belong to another store (the engine's) */
	if (in->aspath != NULL && in->aspath->nwords > 0) {
		a.aspath = attr_aspath_intern(st, in->aspath->words,
					      in->aspath->nwords);
		nomem |= a.aspath == NULL;
	}
	if (in->comms != NULL && in->comms->n > 0) {
		a.comms = attr_comms_intern(st, in->comms->v, in->comms->n);
		nomem |= a.comms == NULL;
	}
	if (in->lcomms != NULL && in->lcomms->n > 0) {
		a.lcomms = attr_lcomms_intern(st, in->lcomms->v, in->lcomms->n);
		nomem |= a.lcomms == NULL;
	}
	if (in->opaque != NULL && in->opaque->len > 0) {
		a.opaque = attr_opaque_intern(st, in->opaque->bytes,
					      in->opaque->len);
		nomem |= a.opaque == NULL;
	}
	if (!nomem)
		*out = attr_intern(st, &a);
	attr_aspath_unref(st, a.aspath);
	attr_comms_unref(st, a.comms);
	attr_comms_unref(st, a.clusters);
	attr_lcomms_unref(st, a.lcomms);
	attr_opaque_unref(st, a.opaque);
	return *out != NULL ? 0 : -CEN_ENOMEM;
}
