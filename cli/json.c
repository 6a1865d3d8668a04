/*
 * json.c - cenctl's `-w json` output: JSON strings, and YAML documents (the
 * model as the admin API returns it) printed as JSON.
 */
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "cli/cenctl.h"

void
json_str(const char *s)
{
	putchar('"');
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* A JSON number: an optional minus, then digits without a leading zero. */
static bool
is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] != '\0'))
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void
scalar(yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
		json_str(s);
		return;
	}
	if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0 || is_number(s))
		fputs(s, stdout);
	else if (*s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0)
		fputs("null", stdout);
	else
		json_str(s);
}

void
json_yaml(struct yaml_document_s *d, struct yaml_node_s *n,
	  const char *const *extra)
{
	bool first = true;

	if (n == NULL) {
		fputs("null", stdout);
		return;
	}
	switch (n->type) {
	case YAML_SCALAR_NODE:
		scalar(n);
		break;
	case YAML_SEQUENCE_NODE:
		putchar('[');
		for (yaml_node_item_t *i = n->data.sequence.items.start;
		     i < n->data.sequence.items.top; i++) {
			if (!first)
				putchar(',');
			first = false;
			json_yaml(d, yaml_document_get_node(d, *i), NULL);
		}
		putchar(']');
		break;
	case YAML_MAPPING_NODE:
		putchar('{');
		for (size_t i = 0; extra != NULL && extra[i] != NULL; i += 2) {
			if (!first)
				putchar(',');
			first = false;
			json_str(extra[i]);
			putchar(':');
			json_str(extra[i + 1]);
		}
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(d, p->key);

			if (!first)
				putchar(',');
			first = false;
			json_str(k != NULL && k->type == YAML_SCALAR_NODE
					 ? (const char *)k->data.scalar.value
					 : "");
			putchar(':');
			json_yaml(d, yaml_document_get_node(d, p->value), NULL);
		}
		putchar('}');
		break;
	default:
		fputs("null", stdout);
		break;
	}
}
