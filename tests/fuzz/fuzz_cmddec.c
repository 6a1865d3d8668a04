/*
 * fuzz_cmddec.c - libFuzzer target for the write path's fast command
 * decoder (proto/cmddec.c), which reads every route update a client or a
 * follower sends and every Raft entry a node applies.
 *
 * The first input byte picks what the rest is decoded as (Batch, Command
 * or PathUpdate); it is decoded by cmddec and by protobuf-c's own unpack.
 * Both must refuse it, or both must decode it to the same message
 * (compared by packing both again).
 *
 *   protoc-c --c_out=/tmp/fz --proto_path=. proto/command.proto
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -I/tmp/fz \
 *     proto/cmddec.c proto/pbarena.c /tmp/fz/proto/command.pb-c.c \
 *     tests/fuzz/fuzz_cmddec.c -lprotobuf-c -o /tmp/fz/fuzz_cmddec
 *   /tmp/fz/fuzz_cmddec -max_total_time=30 -max_len=4096
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/cmddec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
bug(const char *what)
{
	fprintf(stderr, "fuzz_cmddec: %s\n", what);
	abort();
}

static uint8_t *
pack(const ProtobufCMessage *m, size_t *len)
{
	uint8_t *buf;

	*len = protobuf_c_message_get_packed_size(m);
	buf = malloc(*len ? *len : 1);
	if (buf == NULL)
		bug("out of memory");
	protobuf_c_message_pack(m, buf);
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const ProtobufCMessageDescriptor *const desc[] = {
		&cend__v1__batch__descriptor,
		&cend__v1__command__descriptor,
		&cend__v1__path_update__descriptor,
	};
	const ProtobufCMessage *got;
	ProtobufCMessage *ref;
	struct pbarena a;
	uint8_t *p1, *p2;
	size_t l1, l2;
	unsigned k;

	if (size < 1)
		return 0;
	k = data[0] % 3;
	data++;
	size--;
	pbarena_init(&a);
	ref = protobuf_c_message_unpack(desc[k], NULL, size, data);
	got = k == 0 ? (const ProtobufCMessage *)cmddec_batch(&a, data, size)
	      : k == 1
		      ? (const ProtobufCMessage *)cmddec_command(&a, data, size)
		      : (const ProtobufCMessage *)cmddec_path_update(&a, data,
								     size);
	if ((ref == NULL) != (got == NULL))
		bug(ref == NULL ? "decoded what protobuf-c refuses"
				: "refused what protobuf-c decodes");
	if (ref != NULL) {
		p1 = pack(ref, &l1);
		p2 = pack(got, &l2);
		if (l1 != l2 || memcmp(p1, p2, l1) != 0)
			bug("decoded differently from protobuf-c");
		free(p1);
		free(p2);
	}
	protobuf_c_message_free_unpacked(ref, NULL);
	pbarena_fini(&a);
	return 0;
}
