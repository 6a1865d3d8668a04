/*
 * fuzz_model_yaml.c - libFuzzer target for the declarative file loader
 * (core/model_yaml.h).
 *
 * Any input must parse or fail without crashing or leaking.  What parses
 * must also emit, and the emitted text must parse again and emit the same
 * text (the loader and the writer agree on the format).
 *
 *   clang -fsanitize=fuzzer,address,undefined -I. core/model_yaml.c core/ydoc.c \
 *     core/model.c core/prefix.c core/err.c \
 *     tests/fuzz/fuzz_model_yaml.c -lyaml -lxxhash
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model_yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model m, back;
	struct cen_err err;
	char *a, *b;

	model_init(&m);
	cen_err_clear(&err);
	if (model_yaml_parse(&m, (const char *)data, size, &err) != 0) {
		model_free(&m);
		return 0;
	}
	a = model_yaml_emit(&m);
	model_free(&m);
	if (a == NULL)
		return 0;
	model_init(&back);
	cen_err_clear(&err);
	if (model_yaml_parse(&back, a, strlen(a), &err) != 0) {
		fprintf(stderr, "emitted YAML does not parse:\n%s\n---\n%s\n",
			err.msg, a);
		abort();
	}
	b = model_yaml_emit(&back);
	model_free(&back);
	if (b != NULL && strcmp(a, b) != 0) {
		fprintf(stderr, "emit is not stable:\n%s\n---\n%s\n", a, b);
		abort();
	}
	free(a);
	free(b);
	return 0;
}
