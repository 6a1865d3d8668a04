/*
 * fibmsg.h - the FIB stream's messages (proto/fib.proto) to and from the
 * core types (core/engine.h).
 *
 * Outgoing: an engine_delta becomes a Cend__V1__FibEntry that borrows the
 * delta's strings and keeps its submessages in caller-provided storage, so
 * building a message allocates nothing (fibmsg_entry_from_delta), or a whole
 * batch in one allocation (fibmsg_batch_build); fibmsg_delta_pack turns a
 * batch into bytes.  fibmsg_entry_encode packs one entry without building
 * the message at all.
 *
 * Incoming: bytes from outside are unpacked (fibmsg_delta_unpack) and every
 * entry is checked and copied into a self-contained struct fibmsg_entry
 * (fibmsg_entry_decode).  Nothing from the wire is trusted: a bad message
 * gives -CEN_EPROTO and a message in struct cen_err naming the field and what
 * is allowed, never a crash.
 *
 * Meaning of an entry (DESIGN.md "dataplane/", engine.h struct engine_delta):
 *   view ""            the route table's own FIB entry;
 *   view "vpc-a"       vpc-a's override of its table's entry;
 *   withdrawn          table: the prefix has no route; view: the override is
 *                      removed, the attachment follows its table again;
 *   no_route (views)   the attachment has no route for the prefix; its
 *                      longest-prefix match continues with shorter prefixes;
 *   otherwise          forward over the next hops (1..16, weighted ECMP).
 */
#ifndef CEN_FIBMSG_H
#define CEN_FIBMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/engine.h"
#include "core/err.h"
#include "core/prefix.h"
#include "proto/fib.pb-c.h"

#define FIBMSG_NH_MAX 16 /* next hops per entry */
#define FIBMSG_ID_MAX 64 /* IDs: 1..63 bytes and a NUL (MODEL_ID_MAX) */

/* One next hop of a decoded entry. */
struct fibmsg_nh {
	uint8_t kind;	/* enum engine_nh_kind: ATTACHMENT, REGION, BLACKHOLE */
	uint8_t weight; /* 1..255 */
	char id[FIBMSG_ID_MAX]; /* attachment or region ID; "" for BLACKHOLE */
};

/* A decoded, checked FIB entry; owns all its data. */
struct fibmsg_entry {
	char region[FIBMSG_ID_MAX];
	char table[FIBMSG_ID_MAX];
	char view[FIBMSG_ID_MAX]; /* attachment ID, "" for the table itself */
	struct prefix prefix;	  /* canonical */
	bool withdrawn;
	bool no_route; /* only with a view */
	uint32_t n;    /* next hops: 0 when withdrawn or no_route, else 1..16 */
	struct fibmsg_nh nh[FIBMSG_NH_MAX]; /* distinct (kind, id) pairs */
};

/* Storage for the submessages of one FibEntry built by
 * fibmsg_entry_from_delta or fibmsg_entry_to.  It must outlive the entry;
 * it needs no initialisation and no cleanup. */
struct fibmsg_entry_buf {
	struct prefix prefix; /* the entry's prefix.addr points here */
	Cend__V1__Prefix pmsg;
	Cend__V1__NextHopGroup group;
	Cend__V1__NextHop nh[FIBMSG_NH_MAX];
	Cend__V1__NextHop *nhp[FIBMSG_NH_MAX];
};

/* A batch of FibEntry messages built from engine deltas, ready to hang on a
 * FibDelta or FibSnapshot (entries, n_entries).  Everything but the strings
 * lives in one allocation, `mem`; the strings are borrowed from the deltas,
 * as in fibmsg_entry_from_delta. */
struct fibmsg_batch {
	size_t n;
	Cend__V1__FibEntry **entries;
	void *mem;
};

/* fibmsg.c */

/* Fills out from p.  out->addr.data points into p->addr, which must
 * outlive out. */
void fibmsg_prefix_to(const struct prefix *p, Cend__V1__Prefix *out);
/* Checks and converts a Prefix from the wire: family 4 or 6, addr of 4 or
 * 16 bytes to match, len 0..32 or 0..128, no bits set past len.  m NULL is
 * "prefix missing".  Returns 0 or -CEN_EPROTO with err filled; p is
 * written only on success. */
int fibmsg_prefix_from(const Cend__V1__Prefix *m, struct prefix *p,
		       struct cen_err *err);

/* Builds the FibEntry for engine delta d (nhg NULL: withdrawn; a view's
 * empty group: no_route; a table's empty group, which forwards nothing, is
 * sent as withdrawn).  out borrows d's strings (region, table, view and
 * next-hop IDs: the engine's, so keep a reference on d->nhg, and the delta's
 * strings alive, for as long as out is used) and points into buf for the
 * rest.  Returns 0, or -CEN_EINVAL (no prefix family, region or table) or
 * -CEN_ETOOBIG (more than FIBMSG_NH_MAX next hops) with err filled. */
int fibmsg_entry_from_delta(const struct engine_delta *d,
			    Cend__V1__FibEntry *out,
			    struct fibmsg_entry_buf *buf, struct cen_err *err);
/* The same entry packed straight into buf (size bytes): the bytes
 * cend__v1__fib_entry__pack writes for it, without building the message
 * first (the FIB stream packs every change the engine reports).  *len
 * gets the entry's size, also when it does not fit (-CEN_ETOOBIG; 2048
 * bytes hold any entry of IDs of at most 63 bytes).  Returns 0 or the
 * errors of fibmsg_entry_from_delta, with err filled. */
int fibmsg_entry_encode(const struct engine_delta *d, uint8_t *buf, size_t size,
			size_t *len, struct cen_err *err);
/* Builds the FibEntry for a decoded entry; out borrows e's strings and
 * points into buf, both of which must outlive it.  e is trusted (what
 * fibmsg_entry_decode produced). */
void fibmsg_entry_to(const struct fibmsg_entry *e, Cend__V1__FibEntry *out,
		     struct fibmsg_entry_buf *buf);
/* Checks a FibEntry from the wire and copies it into out: region and table
 * present, every ID a valid ID (1..63 of A-Z a-z 0-9 . _ -, as
 * model_id_valid), a valid prefix, withdrawn and no_route not both, no_route
 * only with a view, next hops absent when withdrawn or no_route and 1..16
 * otherwise, each of kind ATTACHMENT or REGION with an ID or BLACKHOLE with
 * none, weight 1..255, no (kind, id) twice.  Returns 0 or -CEN_EPROTO with
 * err naming the field ("next_hops[2].weight 0 out of range 1..255"); out
 * is unspecified on error. */
int fibmsg_entry_decode(const Cend__V1__FibEntry *m, struct fibmsg_entry *out,
			struct cen_err *err);

/* Builds one FibEntry per delta (fibmsg_entry_from_delta; n may be 0).  On
 * success b holds the batch, freed with fibmsg_batch_free; on error b holds
 * nothing and err names the index ("entries[3]: ..."). */
int fibmsg_batch_build(struct fibmsg_batch *b, const struct engine_delta *d,
		       size_t n, struct cen_err *err);
void fibmsg_batch_free(struct fibmsg_batch *b);

/* Encodes a FibDelta {version, one entry per delta} in protobuf's delimited
 * form: a varint byte count, then the message.  A bare protobuf message can
 * be cut at a field boundary and still parse; the count makes any cut (and
 * any trailing byte) detectable.  version is at least 1 (a Raft index).  On
 * success *buf is malloc'd and belongs to the caller (free()); returns 0,
 * -CEN_EINVAL, -CEN_ETOOBIG or -CEN_ENOMEM with err filled. */
int fibmsg_delta_pack(uint64_t version, const struct engine_delta *entries,
		      size_t n, uint8_t **buf, size_t *len,
		      struct cen_err *err);
/* Decodes what fibmsg_delta_pack wrote.  Input that is cut short, has bytes
 * past the message, is not a FibDelta or has version 0 gives -CEN_EPROTO
 * (-CEN_ENOMEM when out of memory) with err filled.  The entries are not
 * checked: run fibmsg_entry_decode on each.  On success *out belongs to the
 * caller, freed with fibmsg_delta_free; buf stays the caller's and may be
 * freed at once. */
int fibmsg_delta_unpack(const uint8_t *buf, size_t len,
			Cend__V1__FibDelta **out, struct cen_err *err);
/* Frees an unpacked delta; NULL does nothing. */
void fibmsg_delta_free(Cend__V1__FibDelta *m);

#endif
