/*
 * cmdenc.h - writing the write path's route updates (a cend.v1.Command
 * whose PathUpdate is its paths, proto/command.proto) straight into
 * protobuf's canonical encoding: the bytes cend__v1__command__pack writes
 * for the same message, without building protobuf-c's structures first.
 *
 * A BGP speaker proposes tens of thousands of paths a command, a few per
 * attribute set: the caller packs each set once (store_attrs_pack), and
 * a run of adds with the same attribute bytes becomes one PathGroup that
 * carries them once, where building the message would convert and size
 * every add's attributes again.  The result is what cmddec decodes on its
 * fast path.
 *
 * Fields go out in field order, so every add comes before the first
 * withdrawal:
 *
 *	struct cmdenc e;
 *	cmdenc_paths_begin(&e, attachment, peer, peer_len, node);
 *	cmdenc_paths_add(&e, prefix, plen, attrs, alen);	(any number)
 *	cmdenc_paths_withdraw(&e, prefix, plen);		(any number)
 *	cmd = cmdenc_paths_end(&e, &len);
 *	... use cmd ...
 *	cmdenc_free(&e);
 *
 * An add after a withdrawal, or running out of memory, fails the encoder:
 * cmdenc_paths_end returns NULL then.
 *
 * Consecutive adds whose attribute bytes are equal (same length, same
 * bytes: the bytes are compared, not the pointers, so a caller may reuse
 * its buffer) share one group, written with the short prefix form
 * (PathGroup.prefixes); a different set, a withdrawal or the end closes
 * it.  The groups go out after the withdrawals (field 6), so they apply
 * after the PathAdds.  An add without attributes, or whose prefix is not a
 * well-formed one (6 bytes for IPv4, 18 for IPv6, no host bits), stays a
 * PathAdd, so that apply refuses it exactly as before: such adds are
 * applied before every grouped one.
 */
#ifndef CEN_CMDENC_H
#define CEN_CMDENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cmdenc_buf {
	uint8_t *p;
	size_t len, cap;
};

struct cmdenc {
	uint8_t *buf; /* room for the Command's header, then the PathUpdate */
	size_t len, cap;
	struct cmdenc_buf groups; /* the closed groups (fields 6), in order */
	struct cmdenc_buf open;	  /* the open group: attrs, then prefixes */
	size_t open_alen;	  /* the open group's attribute bytes */
	bool grouping;		  /* a group is open */
	bool withdrawing;	  /* a withdrawal is written: no more adds */
	bool failed;
};

/* cmdenc.c */

/* Starts a Command with a PathUpdate of these fields (an empty attachment
 * or peer, or node 0, is left out, as proto3 does). */
void cmdenc_paths_begin(struct cmdenc *e, const char *attachment,
			const uint8_t *peer, size_t peer_len, uint32_t node);
/* An add: prefix (a PathAdd's, store_prefix_pack: left out when plen is
 * 0) and attrs, a packed cend.v1.PathAttrs (left out when NULL; alen 0 is
 * an empty one), copied: into the open group when attrs are its bytes,
 * else into a new group, or into a PathAdd (see above). */
void cmdenc_paths_add(struct cmdenc *e, const uint8_t *prefix, size_t plen,
		      const uint8_t *attrs, size_t alen);
void cmdenc_paths_withdraw(struct cmdenc *e, const uint8_t *prefix,
			   size_t plen);
/* The finished Command (valid until cmdenc_free), or NULL when the
 * encoder failed. */
const uint8_t *cmdenc_paths_end(struct cmdenc *e, size_t *len);
void cmdenc_free(struct cmdenc *e);

#endif
