/*
 * fuzz_fibmsg.c - libFuzzer target for the FIB stream's decoder
 * (proto/fibmsg.h).
 *
 * Any input must unpack and decode or fail with -CEN_EPROTO, without
 * crashing or leaking.  The input is tried twice: as it is (the length
 * prefix must hold), and as the FibDelta body behind a correct length
 * prefix, so that mutations reach protobuf-c and the entry checks.  Every
 * entry that decodes must encode again (fibmsg_entry_to) and decode to the
 * same entry.
 *
 *   protoc-c --c_out=/tmp/fz --proto_path=. proto/fib.proto
 *   clang -fsanitize=fuzzer,address,undefined -I. -I/tmp/fz \
 *     proto/fibmsg.c /tmp/fz/proto/fib.pb-c.c core/model.c core/prefix.c \
 *     core/err.c tests/fuzz/fuzz_fibmsg.c -lprotobuf-c -lxxhash
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/fibmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_entry(const Cend__V1__FibEntry *m)
{
	struct fibmsg_entry got, again;
	struct fibmsg_entry_buf b;
	Cend__V1__FibEntry back;
	struct cen_err err;

	cen_err_clear(&err);
	if (fibmsg_entry_decode(m, &got, &err) != 0) {
		if (err.code != -CEN_EPROTO || err.msg[0] == '\0')
			abort();
		return;
	}
	fibmsg_entry_to(&got, &back, &b);
	if (fibmsg_entry_decode(&back, &again, &err) != 0 ||
	    memcmp(&got, &again, sizeof(got)) != 0)
		abort();
}

static void
try_unpack(const uint8_t *buf, size_t len)
{
	Cend__V1__FibDelta *m;
	struct cen_err err;
	int rc;

	cen_err_clear(&err);
	rc = fibmsg_delta_unpack(buf, len, &m, &err);
	if (rc != 0) {
		if ((rc != -CEN_EPROTO && rc != -CEN_ENOMEM) || m != NULL ||
		    err.msg[0] == '\0')
			abort();
		return;
	}
	for (size_t i = 0; i < m->n_entries; i++)
		check_entry(m->entries[i]);
	fibmsg_delta_free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *framed;
	size_t hl = 0;
	uint64_t v = size;

	try_unpack(data, size);
	if ((framed = malloc(size + 10)) == NULL)
		return 0;
	do {
		framed[hl++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	memcpy(framed + hl, data, size);
	try_unpack(framed, hl + size);
	free(framed);
	return 0;
}
