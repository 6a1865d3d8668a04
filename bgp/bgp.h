/*
 * bgp.h - the BGP-4 wire codec of cend's speaker: message framing, OPEN and
 * capabilities, KEEPALIVE, NOTIFICATION, ROUTE-REFRESH, UPDATE parsing with
 * RFC 7606 error handling, UPDATE building, and the attribute rules of
 * route reflection towards iBGP clients.
 *
 * Pure code: no I/O, no clock, no libuv.  The session FSM reads bytes from
 * its socket, frames them with bgp_msg_frame, hands each message to the
 * parser of its type, and sends what the builders append to a struct wbuf.
 *
 * RFCs: 4271 (BGP-4), 4760 (multiprotocol), 5492 (capabilities), 2918 and
 * 7313 (route refresh), 6793 (4-octet AS), 4724 (graceful restart, End-of-
 * RIB), 8654 (extended messages), 9072 (extended optional parameters
 * length), 4486 / 8203 / 9003 (Cease subcodes, shutdown communication),
 * 7606 (UPDATE error handling), 1997 / 8092 (communities), 4456 (route
 * reflection, bgp_rr.c), 9012 (Tunnel Encapsulation, validated and passed
 * on).
 *
 * Ownership: parsers never copy the message; what they return may point
 * into it (struct bgp_nlri, struct bgp_notify data), so the message buffer
 * must outlive the parse result.  Attribute sets come from the caller's
 * struct attr_store with one reference held by the result
 * (bgp_update_free drops them).  Builders append to a caller's wbuf.
 */
#ifndef CEN_BGP_H
#define CEN_BGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bgp/bgp_buf.h"
#include "core/attr.h"
#include "core/prefix.h"

/* --- sizes --- */

#define BGP_MARKER_LEN	   16
#define BGP_HDR_LEN	   19	 /* marker, length, type */
#define BGP_MAX_LEN	   4096	 /* RFC 4271 */
#define BGP_EXT_MAX_LEN	   65535 /* RFC 8654 extended messages */
#define BGP_OPEN_MIN_LEN   29
#define BGP_UPDATE_MIN_LEN 23
#define BGP_NOTIFY_MIN_LEN 21
#define BGP_KEEPALIVE_LEN  19
#define BGP_RREFRESH_LEN   23

#define BGP_VERSION	     4
#define BGP_AS_TRANS	     23456 /* RFC 6793 */
#define BGP_HOLDTIME_MIN     3	   /* a non-zero hold time is at least this */
#define BGP_SHUTDOWN_MSG_MAX 255   /* RFC 9003 shutdown communication */

/* --- message types --- */

enum {
	BGP_MSG_OPEN = 1,
	BGP_MSG_UPDATE = 2,
	BGP_MSG_NOTIFICATION = 3,
	BGP_MSG_KEEPALIVE = 4,
	BGP_MSG_ROUTE_REFRESH = 5, /* RFC 2918 */
};

/* --- NOTIFICATION error codes and subcodes --- */

enum {
	BGP_ERR_HEADER = 1,
	BGP_ERR_OPEN = 2,
	BGP_ERR_UPDATE = 3,
	BGP_ERR_HOLD = 4,
	BGP_ERR_FSM = 5,
	BGP_ERR_CEASE = 6,
	BGP_ERR_RREFRESH = 7, /* RFC 7313 */
};

/* Message Header Error */
enum {
	BGP_ERR_HDR_SYNC = 1, /* Connection Not Synchronized (marker) */
	BGP_ERR_HDR_LEN = 2,  /* Bad Message Length */
	BGP_ERR_HDR_TYPE = 3, /* Bad Message Type */
};

/* OPEN Message Error */
enum {
	BGP_ERR_OPEN_UNSPEC = 0,    /* a recognised parameter is malformed */
	BGP_ERR_OPEN_VERSION = 1,   /* Unsupported Version Number */
	BGP_ERR_OPEN_PEER_AS = 2,   /* Bad Peer AS */
	BGP_ERR_OPEN_BGP_ID = 3,    /* Bad BGP Identifier */
	BGP_ERR_OPEN_OPT_PARAM = 4, /* Unsupported Optional Parameter */
	BGP_ERR_OPEN_HOLDTIME = 6,  /* Unacceptable Hold Time */
	BGP_ERR_OPEN_CAPA = 7,	    /* Unsupported Capability (RFC 5492) */
	BGP_ERR_OPEN_ROLE = 11,	    /* Role Mismatch (RFC 9234) */
};

/* UPDATE Message Error */
enum {
	BGP_ERR_UPD_ATTR_LIST = 1, /* Malformed Attribute List */
	BGP_ERR_UPD_WELLKNOWN = 2, /* Unrecognized Well-known Attribute */
	BGP_ERR_UPD_MISSING = 3,   /* Missing Well-known Attribute */
	BGP_ERR_UPD_FLAGS = 4,	   /* Attribute Flags Error */
	BGP_ERR_UPD_LENGTH = 5,	   /* Attribute Length Error */
	BGP_ERR_UPD_ORIGIN = 6,	   /* Invalid ORIGIN Attribute */
	BGP_ERR_UPD_NEXTHOP = 8,   /* Invalid NEXT_HOP Attribute */
	BGP_ERR_UPD_OPTIONAL = 9,  /* Optional Attribute Error */
	BGP_ERR_UPD_NETWORK = 10,  /* Invalid Network Field */
	BGP_ERR_UPD_ASPATH = 11,   /* Malformed AS_PATH */
};

/* Finite State Machine Error (RFC 6608) */
enum {
	BGP_ERR_FSM_UNSPEC = 0,
	BGP_ERR_FSM_OPENSENT = 1,
	BGP_ERR_FSM_OPENCONFIRM = 2,
	BGP_ERR_FSM_ESTABLISHED = 3,
};

/* Cease (RFC 4486, 8538, 9384) */
enum {
	BGP_CEASE_MAX_PREFIX = 1,
	BGP_CEASE_ADMIN_SHUTDOWN = 2, /* may carry a shutdown message */
	BGP_CEASE_PEER_DECONF = 3,
	BGP_CEASE_ADMIN_RESET = 4, /* may carry a shutdown message */
	BGP_CEASE_CONN_REJECT = 5,
	BGP_CEASE_CONFIG_CHANGE = 6,
	BGP_CEASE_COLLISION = 7,
	BGP_CEASE_RESOURCES = 8,
	BGP_CEASE_HARD_RESET = 9,
	BGP_CEASE_BFD_DOWN = 10,
};

/* ROUTE-REFRESH Message Error (RFC 7313) */
enum {
	BGP_ERR_RR_LENGTH = 1, /* Invalid Message Length */
};

/* --- path attributes --- */

enum {
	BGP_ATTR_ORIGIN = 1,
	BGP_ATTR_AS_PATH = 2,
	BGP_ATTR_NEXT_HOP = 3,
	BGP_ATTR_MED = 4,
	BGP_ATTR_LOCAL_PREF = 5,
	BGP_ATTR_ATOMIC_AGGREGATE = 6,
	BGP_ATTR_AGGREGATOR = 7,
	BGP_ATTR_COMMUNITIES = 8,
	BGP_ATTR_ORIGINATOR_ID = 9,
	BGP_ATTR_CLUSTER_LIST = 10,
	BGP_ATTR_MP_REACH = 14,
	BGP_ATTR_MP_UNREACH = 15,
	BGP_ATTR_EXT_COMMUNITIES = 16,
	BGP_ATTR_AS4_PATH = 17,
	BGP_ATTR_AS4_AGGREGATOR = 18,
	BGP_ATTR_TUNNEL_ENCAP = 23, /* RFC 9012 */
	BGP_ATTR_LARGE_COMMUNITIES = 32,
};

#define BGP_ATTR_F_OPTIONAL   0x80
#define BGP_ATTR_F_TRANSITIVE 0x40
#define BGP_ATTR_F_PARTIAL    0x20
#define BGP_ATTR_F_EXTLEN     0x10

/* --- capabilities and optional parameters --- */

#define BGP_OPT_CAPABILITIES 2	 /* the only optional parameter we know */
#define BGP_OPT_EXTENDED     255 /* RFC 9072 marker */

enum {
	BGP_CAPA_MP = 1,
	BGP_CAPA_ROUTE_REFRESH = 2,
	BGP_CAPA_EXT_MSG = 6, /* RFC 8654 */
	BGP_CAPA_GRACEFUL_RESTART = 64,
	BGP_CAPA_AS4 = 65,
	BGP_CAPA_ADD_PATH = 69,
	BGP_CAPA_ENHANCED_RR = 70, /* RFC 7313 */
};

#define BGP_GR_F_RESTART      0x8 /* R: the speaker has restarted */
#define BGP_GR_F_NOTIFICATION 0x4 /* N: RFC 8538 */
#define BGP_GR_TIME_MAX	      4095

/* ROUTE-REFRESH message subtypes (RFC 7313) */
enum {
	BGP_RR_NORMAL = 0,
	BGP_RR_BORR = 1, /* beginning of route refresh */
	BGP_RR_EORR = 2, /* end of route refresh */
};

/* --- address families ---
 *
 * An AID is our index for an AFI/SAFI pair; per-family code lives in the
 * table of struct bgp_afi (bgp_afi.c), never in if-chains. */

enum {
	BGP_AFI_IPV4 = 1,
	BGP_AFI_IPV6 = 2,
};
#define BGP_SAFI_UNICAST 1

enum {
	BGP_AID_IPV4 = 0, /* IPv4 unicast */
	BGP_AID_IPV6 = 1, /* IPv6 unicast */
	BGP_AID_MAX = 2,
};
#define BGP_AID_BIT(aid) ((uint8_t)(1u << (aid)))
#define BGP_AID_ALL	 ((uint8_t)((1u << BGP_AID_MAX) - 1))

/* A run of NLRI in a parsed message, already validated: it points into
 * the message and decodes without error (bgp_afi_iter_*). */
struct bgp_nlri {
	const uint8_t *data;
	uint32_t len;	/* bytes */
	uint32_t count; /* prefixes */
	uint8_t aid;
};

struct bgp_nlri_iter {
	struct buf b;
	const struct bgp_afi *af;
};

/* One address family's wire codec. */
struct bgp_afi {
	const char *name; /* "ipv4-unicast" */
	uint16_t afi;
	uint8_t safi;
	uint8_t aid;
	uint8_t family;	 /* PREFIX_AF_* */
	uint8_t maxlen;	 /* 32 or 128 */
	uint8_t addrlen; /* 4 or 16 */
	bool classic;	 /* carried in the UPDATE's own withdrawn routes and
			  * NLRI fields (IPv4 unicast, RFC 4271), not in
			  * MP_REACH / MP_UNREACH */
	/* Checks a run of NLRI, counting its prefixes: 0 or -CEN_EPARSE
	 * (a prefix length past maxlen, or a prefix cut short). */
	int (*nlri_check)(const uint8_t *p, size_t len, uint32_t *count);
	/* Decodes the next prefix (host bits cleared): 0 or -CEN_EPARSE. */
	int (*nlri_get)(struct buf *b, struct prefix *p);
	/* Wire size of p's NLRI, and its encoding. */
	size_t (*nlri_size)(const struct prefix *p);
	void (*nlri_put)(struct wbuf *w, const struct prefix *p);
	/* MP_REACH next hop of len bytes into nh (and ll, the IPv6
	 * link-local, family NONE when absent): 0, or -CEN_EPARSE when the
	 * length is not one this family allows. */
	int (*nh_get)(const uint8_t *p, size_t len, struct prefix *nh,
		      struct prefix *ll);
	/* Wire length of an MP_REACH next hop (ll may be NULL), and its
	 * encoding; nh_size is 0 when nh is not of this family. */
	size_t (*nh_size)(const struct prefix *nh, const struct prefix *ll);
	void (*nh_put)(struct wbuf *w, const struct prefix *nh,
		       const struct prefix *ll);
	/* False for next hops no route may use (unspecified, multicast). */
	bool (*nh_valid)(const struct prefix *nh);
};

/* --- session options --- */

/* What the codec needs to know about one session: configuration plus the
 * negotiated capabilities (bgp_msg_negotiate fills the latter). */
struct bgp_opts {
	uint32_t local_as;
	uint32_t peer_as;
	bool ebgp;
	bool as4;	       /* 4-octet AS numbers on the wire (both sent
			       * the capability) */
	bool enforce_first_as; /* eBGP: the leftmost AS must be the peer's */
	bool afi_disable;      /* answer a malformed MP attribute with
				* AFI/SAFI disable instead of a reset */
	bool route_refresh;
	bool enhanced_rr;
	uint8_t aids;	 /* negotiated families (BGP_AID_BIT) */
	uint32_t maxlen; /* BGP_MAX_LEN, or BGP_EXT_MAX_LEN (RFC 8654) */
};

/* --- NOTIFICATION --- */

/* A NOTIFICATION to send (an error a parser found) or one received.  The
 * data is data[0..datalen), or inl[0..datalen) when data is NULL (short
 * data made up by the parser); use bgp_msg_notify_data.  data points into
 * the message that was parsed. */
struct bgp_notify {
	uint8_t code;
	uint8_t subcode;
	uint16_t datalen;
	const uint8_t *data;
	uint8_t inl[4];
};

/* --- OPEN --- */

#define BGP_CAPA_UNKNOWN_MAX 16

struct bgp_caps {
	uint8_t mp; /* families with a multiprotocol capability (AID bits) */
	bool route_refresh;
	bool enhanced_rr;
	bool ext_msg;
	bool as4;
	uint32_t as4_asn; /* the speaker's AS, when as4 */
	bool gr;
	uint8_t gr_flags; /* BGP_GR_F_* */
	uint16_t gr_time; /* restart time, seconds, 0..4095 */
	uint8_t gr_aids;  /* families listed in the GR capability */
	uint8_t gr_fwd;	  /* ... with forwarding state preserved (F) */
	uint8_t nunknown; /* capabilities we do not know (ignored) */
	uint8_t unknown[BGP_CAPA_UNKNOWN_MAX]; /* their codes, first ones */
};

struct bgp_open {
	uint8_t version;
	uint16_t as;	   /* My Autonomous System (AS_TRANS for big ASNs) */
	uint16_t holdtime; /* seconds: 0 or >= 3 */
	uint32_t bgp_id;   /* host byte order, non-zero */
	bool ext_params;   /* RFC 9072 encoding: parse says the peer used it,
			    * build uses it even when not needed (it is
			    * used anyway past 255 bytes of parameters) */
	struct bgp_caps caps;
};

/* --- ROUTE-REFRESH --- */

struct bgp_rr {
	uint16_t afi;
	uint8_t safi;
	uint8_t subtype; /* BGP_RR_* (others are to be ignored) */
	int aid;	 /* BGP_AID_*, or -1 for a family we do not know */
};

/* --- UPDATE --- */

/* What to do with an UPDATE, in increasing strength (RFC 7606 section 2);
 * when errors call for different actions the strongest one wins. */
enum bgp_action {
	BGP_ACT_NONE = 0,	 /* no error */
	BGP_ACT_DISCARD = 1,	 /* attribute discard: use what remains */
	BGP_ACT_WITHDRAW = 2,	 /* treat-as-withdraw: every NLRI of the
				  * message is a withdrawal */
	BGP_ACT_AFI_DISABLE = 3, /* stop the family err.aid for the session */
	BGP_ACT_RESET = 4,	 /* session reset: send err.notify */
};

/* Every error an UPDATE can carry (the rule deciding each one's action is
 * the table in bgp_update.c). */
enum bgp_uerr {
	BGP_UERR_NONE = 0,
	BGP_UERR_HDR_MARKER,	   /* marker not all ones */
	BGP_UERR_HDR_LENGTH,	   /* length field out of range / wrong */
	BGP_UERR_HDR_TYPE,	   /* not an UPDATE */
	BGP_UERR_WITHDRAWN_LENGTH, /* withdrawn routes overrun the message */
	BGP_UERR_ATTRS_LENGTH,	   /* path attributes overrun the message */
	BGP_UERR_WITHDRAWN_PREFIX, /* bad prefix in withdrawn routes */
	BGP_UERR_NLRI_PREFIX,	   /* bad prefix in the NLRI field */
	BGP_UERR_ATTR_SHORT,	   /* too few bytes left for a header */
	BGP_UERR_ATTR_OVERRUN,	   /* an attribute runs past the field */
	BGP_UERR_ATTR_FLAGS,	   /* optional/transitive bits wrong */
	BGP_UERR_WELLKNOWN,	   /* unrecognized well-known attribute */
	BGP_UERR_DUPLICATE,	   /* an attribute repeated */
	BGP_UERR_MP_DUPLICATE,	   /* MP_REACH or MP_UNREACH repeated */
	BGP_UERR_ORIGIN_LENGTH,
	BGP_UERR_ORIGIN_VALUE,
	BGP_UERR_ASPATH,	  /* malformed segments */
	BGP_UERR_ASPATH_CONFED,	  /* confederation segment from eBGP */
	BGP_UERR_ASPATH_FIRST_AS, /* leftmost AS is not the peer's */
	BGP_UERR_NEXTHOP_LENGTH,
	BGP_UERR_NEXTHOP_INVALID, /* 0.0.0.0, multicast, class E */
	BGP_UERR_MED_LENGTH,
	BGP_UERR_LOCALPREF_LENGTH,
	BGP_UERR_LOCALPREF_EBGP, /* LOCAL_PREF from eBGP: ignored */
	BGP_UERR_ATOMIC_LENGTH,
	BGP_UERR_AGGREGATOR_LENGTH,
	BGP_UERR_COMMUNITIES_LENGTH,
	BGP_UERR_ORIGINATOR_LENGTH,
	BGP_UERR_ORIGINATOR_EBGP, /* ORIGINATOR_ID from eBGP: ignored */
	BGP_UERR_CLUSTER_LENGTH,
	BGP_UERR_CLUSTER_EBGP,	    /* CLUSTER_LIST from eBGP: ignored */
	BGP_UERR_MP_MALFORMED,	    /* MP_REACH/UNREACH fields cut short */
	BGP_UERR_MP_NEXTHOP_LENGTH, /* next hop length wrong for the AFI */
	BGP_UERR_MP_PREFIX,	    /* bad prefix in MP_REACH/UNREACH */
	BGP_UERR_MP_NEXTHOP_INVALID,
	BGP_UERR_EXTCOMM_LENGTH,
	BGP_UERR_AS4PATH, /* malformed AS4_PATH */
	BGP_UERR_AS4AGGREGATOR_LENGTH,
	BGP_UERR_AS4_UNEXPECTED, /* AS4_* on a 4-octet session: ignored */
	BGP_UERR_TUNNEL_ENCAP,	 /* malformed Tunnel Encapsulation */
	BGP_UERR_LCOMM_LENGTH,
	BGP_UERR_MISSING_ORIGIN,
	BGP_UERR_MISSING_ASPATH,
	BGP_UERR_MISSING_NEXTHOP,
	BGP_UERR_MAX_
};

struct bgp_update_err {
	uint8_t action;	     /* enum bgp_action: the strongest found */
	uint8_t kind;	     /* enum bgp_uerr that decided it (first one of
			      * that strength) */
	uint8_t attr;	     /* attribute type concerned, 0 if none */
	uint8_t aid;	     /* the family, for BGP_ACT_AFI_DISABLE */
	uint16_t nerrors;    /* errors found in all */
	uint16_t ndiscarded; /* attributes discarded */
	/* What to send for BGP_ACT_RESET; for weaker actions what RFC 4271
	 * alone would have sent, for the log.  Code 0 for errors that are
	 * just ignored by rule (LOCAL_PREF from eBGP). */
	struct bgp_notify notify;
};

#define BGP_UPD_WITHDRAWN_MAX 4
#define BGP_UPD_REACH_MAX     2

/* Announced prefixes of one family with their next hop(s). */
struct bgp_reach {
	struct bgp_nlri nlri;
	struct prefix nexthop;	   /* NEXT_HOP, or the MP_REACH next hop */
	struct prefix nexthop_ll;  /* IPv6 link-local, family NONE if absent */
	const struct attrs *attrs; /* interned; attrs->nexthop is nexthop;
				    * one reference held by the update */
};

struct bgp_update {
	/* IPv4 withdrawn routes, MP_UNREACH, and (treat-as-withdraw) the
	 * announced NLRI; empty runs are left out. */
	struct bgp_nlri withdrawn[BGP_UPD_WITHDRAWN_MAX];
	uint8_t nwithdrawn;
	/* The NLRI field and MP_REACH (families not negotiated skipped). */
	struct bgp_reach reach[BGP_UPD_REACH_MAX];
	uint8_t nreach;
	bool eor; /* an End-of-RIB marker (RFC 4724) */
	uint8_t eor_aid;
	uint8_t skipped; /* AID bits, or 0x80 for unknown families, of MP
			  * attributes ignored as not negotiated */
	struct bgp_update_err err;
};

/* --- functions, by file --- */

/* bgp_afi.c */
/* The codec of aid, or NULL when aid is not one of ours. */
const struct bgp_afi *bgp_afi_get(int aid);
/* The AID of an AFI/SAFI pair, or -1 if we do not know it. */
int bgp_afi_find(uint16_t afi, uint8_t safi);
/* The AID of a prefix family (PREFIX_AF_*), or -1. */
int bgp_afi_of_family(uint8_t family);
/* Iterates over a validated run (as a parsed update gives them). */
void bgp_afi_iter_init(struct bgp_nlri_iter *it, const struct bgp_nlri *n);
bool bgp_afi_iter_next(struct bgp_nlri_iter *it, struct prefix *p);
/* Decodes up to max prefixes of n into out; returns how many it wrote
 * (n->count when max is large enough). */
size_t bgp_afi_decode(const struct bgp_nlri *n, struct prefix *out, size_t max);

/* bgp_msg.c */
/* Defaults: IPv4 and IPv6, 4-octet AS, 4096-byte messages, iBGP unless
 * the ASes differ. */
void bgp_msg_opts_init(struct bgp_opts *o, uint32_t local_as, uint32_t peer_as);
/* Fills the negotiated part of o from what both sides advertised: as4,
 * families (IPv4 unicast when neither sent a multiprotocol capability),
 * extended messages, route refresh. */
void bgp_msg_negotiate(struct bgp_opts *o, const struct bgp_caps *local,
		       const struct bgp_caps *remote);
/* The data of a NOTIFICATION (see struct bgp_notify). */
const uint8_t *bgp_msg_notify_data(const struct bgp_notify *n);

/* Frames a message at the start of a byte stream of len bytes: returns 0
 * when more bytes are needed, the message length (>= 19) when a whole
 * message is there (*type set), or -CEN_EPROTO with err filled when the
 * header is bad (wrong marker, length below 19 or above maxlen or below the
 * minimum of its type, unknown type). */
int bgp_msg_frame(const uint8_t *buf, size_t len, uint32_t maxlen,
		  uint8_t *type, struct bgp_notify *err);

/* The parsers take one whole message (header included) of len bytes and
 * check its header again.  They return 0, or -CEN_EPROTO with err filled
 * with the NOTIFICATION to send. */

/* OPEN: version 4, hold time 0 or >= 3, BGP identifier non-zero, optional
 * parameters (RFC 9072 extended ones too), capabilities.  When peer_as is
 * non-zero the speaker's AS (bgp_msg_open_as) must equal it. */
int bgp_msg_open_parse(const uint8_t *msg, size_t len, uint32_t peer_as,
		       struct bgp_open *o, struct bgp_notify *err);
/* A list of capabilities (the value of one capabilities parameter), merged
 * into caps: unknown ones are counted and ignored, a malformed one fails
 * with OPEN Message Error / Unspecific (RFC 4271 6.2). */
int bgp_msg_caps_parse(const uint8_t *p, size_t len, struct bgp_caps *caps,
		       struct bgp_notify *err);
/* The speaker's AS: the 4-octet capability's if present, else My AS. */
uint32_t bgp_msg_open_as(const struct bgp_open *o);
/* Appends an OPEN (version 4; My AS is AS_TRANS when caps.as4 and the ASN
 * needs four octets; the parameters use RFC 9072 encoding when they need
 * more than 255 bytes).  0, -CEN_EINVAL or -CEN_ENOMEM. */
int bgp_msg_open_build(struct wbuf *w, const struct bgp_open *o);

int bgp_msg_keepalive_parse(const uint8_t *msg, size_t len,
			    struct bgp_notify *err);
int bgp_msg_keepalive_build(struct wbuf *w);

/* A received NOTIFICATION into n (its data points into msg).  Returns 0 or
 * -CEN_EPROTO (no NOTIFICATION is ever sent about one). */
int bgp_msg_notify_parse(const uint8_t *msg, size_t len, struct bgp_notify *n);
/* The shutdown communication of a Cease / Administrative Shutdown or Reset
 * (RFC 8203, 9003), NUL-terminated in buf (size >= 256 holds any):
 * returns its length, -CEN_ENOENT when there is none, -CEN_EPARSE when its
 * length runs past the data or it is not UTF-8. */
int bgp_msg_notify_shutdown(const struct bgp_notify *n, char *buf, size_t size);
/* Appends a NOTIFICATION; data longer than fits in BGP_MAX_LEN is cut. */
int bgp_msg_notify_build(struct wbuf *w, uint8_t code, uint8_t subcode,
			 const void *data, size_t datalen);
/* Appends a Cease with a shutdown communication (msg may be NULL or empty;
 * longer than BGP_SHUTDOWN_MSG_MAX bytes is -CEN_EINVAL). */
int bgp_msg_shutdown_build(struct wbuf *w, uint8_t subcode, const char *msg);

/* ROUTE-REFRESH: the length must be 23 (otherwise ROUTE-REFRESH Message
 * Error / Invalid Message Length when enhanced route refresh is
 * negotiated, Bad Message Length when not). */
int bgp_msg_rr_parse(const uint8_t *msg, size_t len, const struct bgp_opts *o,
		     struct bgp_rr *rr, struct bgp_notify *err);
int bgp_msg_rr_build(struct wbuf *w, int aid, uint8_t subtype);

/* End-of-RIB marker: an empty UPDATE for IPv4 unicast, an UPDATE holding
 * only an MP_UNREACH with no NLRI for other families. */
int bgp_msg_eor_build(struct wbuf *w, int aid);

/* bgp_update.c */
/* Parses an UPDATE of len bytes.  Returns 0 with the verdict in u->err
 * (u->err.action says what to do; withdrawn and reach hold what remains
 * to apply), or -CEN_ENOMEM when interning failed (u is then empty).
 * Allocates nothing per prefix: the NLRI stay in msg, validated, for
 * bgp_afi_iter_*; attributes are interned once per announced family.
 * Always call bgp_update_free afterwards. */
int bgp_update_parse(const uint8_t *msg, size_t len, const struct bgp_opts *o,
		     struct attr_store *st, struct bgp_update *u);
/* Drops the update's attribute references. */
void bgp_update_free(struct attr_store *st, struct bgp_update *u);
/* Human-readable names, for logs: "AS_PATH segment overruns the
 * attribute", "treat-as-withdraw". */
const char *bgp_update_err_str(int kind);
const char *bgp_update_action_str(int action);

/* bgp_update_build.c */
/* Appends one UPDATE announcing prefixes from pfx[0..n) (all of family
 * aid) with the attributes a, exactly as given (the caller has already
 * prepended its AS, removed LOCAL_PREF for eBGP, ...).  The next hop is
 * a->nexthop; for IPv6, ll is an optional link-local next hop (NULL: none).
 * On a 2-octet session big ASNs become AS_TRANS with AS4_PATH and
 * AS4_AGGREGATOR.  IPv4 uses the NLRI field, others MP_REACH.  Packs as
 * many prefixes as fit in o->maxlen and returns how many it consumed (at
 * least 1 when n > 0), or -CEN_EINVAL (wrong family, no usable next hop,
 * malformed opaque attributes), -CEN_ETOOBIG (the attributes leave no room
 * for a prefix), -CEN_ENOMEM; on error nothing is appended. */
int bgp_update_build_reach(struct wbuf *w, const struct bgp_opts *o, int aid,
			   const struct attrs *a, const struct prefix *ll,
			   const struct prefix *pfx, size_t n);
/* Appends one UPDATE withdrawing prefixes from pfx[0..n): IPv4 in the
 * withdrawn routes field, others in MP_UNREACH.  Returns how many it
 * consumed, or a negative code as above. */
int bgp_update_build_withdraw(struct wbuf *w, const struct bgp_opts *o, int aid,
			      const struct prefix *pfx, size_t n);

/* bgp_rr.c: route reflection towards iBGP clients (RFC 4456).  Attribute
 * sets are interned in st; what is returned carries one reference for the
 * caller. */
#define BGP_RR_LOCALPREF_BASE 150 /* preference = 150 - LOCAL_PREF */
/* The preference (1..100, lower preferred) of a path whose LOCAL_PREF is
 * localpref: 150 - localpref, clamped (100 gives the default, 50). */
uint8_t bgp_rr_pref(uint32_t localpref);
/* The LOCAL_PREF to send for a: its own when its preference still maps
 * from it, else 150 - its preference. */
uint32_t bgp_rr_localpref(const struct attrs *a);
/* Section 8's loop check on a route from a client: its ORIGINATOR_ID is
 * our BGP identifier, or its CLUSTER_LIST holds our cluster ID.  Such a
 * route is treated as withdrawn. */
bool bgp_rr_looped(const struct attrs *a, uint32_t router_id,
		   uint32_t cluster_id);
/* The attributes a route from client client_id (its BGP identifier) is
 * kept with: ORIGINATOR_ID client_id unless it has one (0: left alone),
 * preference from LOCAL_PREF when present.  NULL when out of memory. */
const struct attrs *bgp_rr_import(struct attr_store *st, const struct attrs *a,
				  uint32_t client_id);
/* The attributes to send client client_id for a path with attributes in
 * (whose parts may live in another store): no AS prepended, LOCAL_PREF
 * (bgp_rr_localpref), MED kept.  A path learned from a client (it has an
 * ORIGINATOR_ID) is reflected: cluster_id in front of its CLUSTER_LIST,
 * its next hop kept unless of another family than self; any other path
 * goes with next hop self and neither ORIGINATOR_ID nor CLUSTER_LIST.
 * Returns 0 with *out set, or NULL when the client must not get the path
 * (its own: ORIGINATOR_ID is client_id); -CEN_ENOMEM. */
int bgp_rr_export(struct attr_store *st, const struct attrs *in,
		  uint32_t cluster_id, uint32_t client_id,
		  const struct prefix *self, const struct attrs **out);

#endif
