/*
 * cmddec.h - decoding the replicated commands of the write path
 * (proto/command.proto) fast.
 *
 * Every route update is decoded several times on its way: checked by the
 * node that takes the request, checked again by the leader when a follower
 * forwards it, and unpacked by every node that applies its entry.
 * protobuf-c's unpack walks its descriptors field by field; these decode
 * the canonical encoding of a PathUpdate (what protobuf-c and every
 * proto3 encoder write: known fields in field order, packed repeated
 * scalars, minimal varints) straight into the same structures, sharing one
 * decoded PathAttrs between the adds and groups whose attribute bytes are
 * equal.
 * Anything else (unknown fields, fields out of order or repeated,
 * non-packed repeated scalars, other commands) is handed to protobuf-c's
 * own unpack, so that the result is always what protobuf-c would give:
 * NULL exactly when it would refuse the bytes, the same values otherwise.
 *
 * The result lives in the arena (until pbarena_reset; never free_unpacked
 * it with another allocator) and its bytes fields may point into buf,
 * which must outlive it.  Decoded sub-messages may be shared: read only.
 */
#ifndef CEN_CMDDEC_H
#define CEN_CMDDEC_H

#include <stddef.h>
#include <stdint.h>

#include "proto/command.pb-c.h"
#include "proto/pbarena.h"

/* cmddec.c: drop-in replacements for cend__v1__*__unpack(&a->alloc, ...) */
Cend__V1__Batch *cmddec_batch(struct pbarena *a, const uint8_t *buf,
			      size_t len);
Cend__V1__Command *cmddec_command(struct pbarena *a, const uint8_t *buf,
				  size_t len);
Cend__V1__PathUpdate *cmddec_path_update(struct pbarena *a, const uint8_t *buf,
					 size_t len);

#endif
