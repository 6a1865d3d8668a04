/*
 * store.h - the applied state of a cend node in LMDB (DESIGN.md
 * "consensus/"): the configuration model, every path, health states, and the
 * index of the last applied Raft entry, written in one LMDB write
 * transaction per Raft entry, so that the store is always the state after
 * some whole entry.
 *
 * Layout (named databases of one environment under DIR/state):
 *   meta    "applied_index" -> u64 (big-endian), "applied_term" -> u64,
 *           "format" -> u32 (2; absent in a format-1 store)
 *   model   "yaml" -> the model as model_yaml_emit writes it
 *   paths2  key: attachment ID, NUL, peer (family byte 4, 6 or 0 for
 *           none, then 4, 16 or no address bytes), node (1 byte), prefix
 *           (family, len, then the ceil(len/8) address bytes, the bits past
 *           len zero) -> value: a packed cend.v1.PathAttrs
 *           (format 1 kept them in "paths", every address in 16 bytes;
 *           store_open moves them over in one write transaction)
 *   health  attachment ID -> "down" (absent: up)
 *   regions region ID -> "unreachable" (absent: reachable; RegionState)
 *
 * The Raft log is the durable record, so the environment is opened with
 * MDB_NOMETASYNC (a crash can only roll the store back to an older index,
 * which Raft then replays).
 *
 * Ownership: buffers returned by store_snapshot belong to the caller and are
 * freed with free().
 */
#ifndef CEN_STORE_H
#define CEN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/engine.h"
#include "core/err.h"

struct store;
struct store_txn;

/* store.c */

/* Opens (creating) the environment under dir/state; map_size 0 = 64 GiB
 * (sparse).  A store of an older format is converted first; one of a newer
 * format is refused with -CEN_EIO. */
int store_open(const char *dir, size_t map_size, struct store **out,
	       struct cen_err *err);
void store_close(struct store *st);
/* The last LMDB failure ("committing: MDB_MAP_FULL: ..."), for the calls
 * that have no struct cen_err to fill. */
const char *store_errmsg(const struct store *st);

/* The applied index and term recorded by the last committed transaction
 * (0 for a new store). */
uint64_t store_applied_index(struct store *st);
uint64_t store_applied_term(struct store *st);
/* Bytes of the data file in use (for `endpoint status`). */
uint64_t store_db_size(struct store *st);

/* One write transaction per applied Raft entry, one at a time.  Commit and
 * abort free t (commit also when it fails).  After a failed call the
 * transaction can only be aborted. */
int store_txn_begin(struct store *st, struct store_txn **out);
int store_txn_commit(struct store_txn *t, uint64_t applied_index,
		     uint64_t applied_term);
void store_txn_abort(struct store_txn *t);
/* Paths written or deleted in t so far: LMDB keeps a copy of every page a
 * transaction dirties (and those buffers for reuse), so a node commits
 * before a transaction grows large. */
size_t store_txn_changes(const struct store_txn *t);

int store_put_model(struct store_txn *t, const struct model *m);
/* Adding a path with the same (attachment, peer, prefix) replaces it, whatever
 * its node.  Deleting one that is absent gives -CEN_ENOENT (the transaction
 * stays usable). */
int store_put_path(struct store_txn *t, const char *attachment,
		   const struct prefix *peer, uint8_t node,
		   const struct prefix *prefix, const struct attrs *attrs);
/* The same with the attributes already packed by store_attrs_pack (val is
 * copied): for callers that write many paths of a few attribute sets. */
int store_put_path_val(struct store_txn *t, const char *attachment,
		       const struct prefix *peer, uint8_t node,
		       const struct prefix *prefix, const uint8_t *val,
		       size_t vlen);
int store_del_path(struct store_txn *t, const char *attachment,
		   const struct prefix *peer, const struct prefix *prefix);
/* Deletes every path of an attachment (peer NULL or family NONE: of every
 * peer); returns the number deleted or a negative error. */
int store_del_paths_of(struct store_txn *t, const char *attachment,
		       const struct prefix *peer);
/* The same, only paths last announced through node (0: any); needs a
 * peer. */
int store_del_paths_of_node(struct store_txn *t, const char *attachment,
			    const struct prefix *peer, uint8_t node);
int store_put_health(struct store_txn *t, const char *attachment, bool up);
/* Another region marked unreachable, or reachable again (which deletes
 * the key). */
int store_put_region_state(struct store_txn *t, const char *region,
			   bool reachable);

/* Rebuilds an engine from the store: the model, health states, regions
 * marked unreachable, then every path (in key order).  The engine must be empty.  Paths of attachments the
 * model no longer has are skipped. */
int store_load(struct store *st, struct engine *e, struct cen_err *err);

/* A consistent image of the whole store, taken in one read transaction:
 * a malloc'd buffer the caller frees.  Runs without blocking writers. */
int store_snapshot(struct store *st, uint8_t **buf, size_t *len);
/* The same in steps, for snapshots taken off the event loop: begin (a read
 * transaction: the image is the state at this moment), write (any thread;
 * slow), end (any thread). */
struct store_snap;
int store_snapshot_begin(struct store *st, struct store_snap **out);
int store_snapshot_write(struct store_snap *sn, uint8_t **buf, size_t *len);
void store_snapshot_end(struct store_snap *sn);
/* Replaces the whole store with an image from store_snapshot (in one write
 * transaction); an image of the previous version (format-1 path keys) is
 * converted.  Rejects a corrupt image with -CEN_EPARSE, leaving the store
 * unchanged. */
int store_restore(struct store *st, const uint8_t *buf, size_t len,
		  struct cen_err *err);
/* The applied index recorded inside an image (0 if corrupt). */
uint64_t store_image_index(const uint8_t *buf, size_t len);

/* Path attribute encoding shared with the command codec (pathmsg.c). */

/* Packs attrs as a cend.v1.PathAttrs into a malloc'd buffer.  PathAttrs has
 * no presence flags for AGGREGATOR and ORIGINATOR_ID: unpack sets them when
 * a value is non-zero. */
int store_attrs_pack(const struct attrs *a, uint8_t **buf, size_t *len);
/* Unpacks and interns into st; validates every field (preference 1..100,
 * weight, AS path encoding) with a message naming the field. */
int store_attrs_unpack(struct attr_store *as, const uint8_t *buf, size_t len,
		       const struct attrs **out, struct cen_err *err);
/* The same from an unpacked message (a command's PathAdd.attrs). */
struct Cend__V1__PathAttrs;
int store_attrs_from_msg(struct attr_store *as,
			 const struct Cend__V1__PathAttrs *m,
			 const struct attrs **out, struct cen_err *err);

/* Prefixes and addresses as command.proto writes them: family (4|6), len,
 * then 4 or 16 address bytes (an address is a /32 or /128).  Returns the
 * bytes written (6 or 18; 0 for family NONE).  Unpack checks family,
 * length and host bits. */
size_t store_prefix_pack(const struct prefix *p, uint8_t out[18]);
int store_prefix_unpack(const uint8_t *buf, size_t len, struct prefix *p,
			struct cen_err *err);

/* Packed prefix lists (PathGroup.prefixes of command.proto): per prefix,
 * family (4|6), length, then the ceil(length/8) significant address
 * bytes, the bits past the length zero.  An iterator reads one list in
 * place (buf must outlive it):
 *
 *	struct store_prefix_iter it;
 *	store_prefix_iter_init(&it, g->prefixes.data, g->prefixes.len, gi);
 *	while ((rc = store_prefix_iter_next(&it, &p, err)) > 0)
 *		... use p ...
 *	rc < 0: the list is malformed, err says where */
struct store_prefix_iter {
	const uint8_t *buf;
	size_t len, off; /* off: where the next prefix starts */
	size_t group;	 /* the group's index, named in errors */
};

void store_prefix_iter_init(struct store_prefix_iter *it, const uint8_t *buf,
			    size_t len, size_t group);
/* The next prefix into *p: 1, 0 past the last one, or -CEN_EPARSE (bad
 * family, length over 32 or 128, address bytes cut short, host bits set)
 * with a message naming the group index and the prefix's byte offset. */
int store_prefix_iter_next(struct store_prefix_iter *it, struct prefix *p,
			   struct cen_err *err);
/* Writes p in that form; returns the bytes written (2..18; 0 for family
 * NONE).  p must be canonical (no host bits). */
size_t store_prefix_pack_short(const struct prefix *p, uint8_t out[18]);

#endif
