/*
 * test_fwdconf.c - the forwarder's configuration file (dataplane/fwdconf.h):
 * a file with every field parses into the right values; each kind of
 * mistake is reported with its line and field path; every mistake of a
 * file is reported, not just the first; an empty file, a file that is not
 * a mapping and a YAML syntax error say so; an unreadable file is named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dataplane/fwdconf.h"

/* ------------------------------------------------------------------------
 * Helpers.
 */

/* Every field, each once (the header's example, plus what it leaves out). */
static const char FULL[] =
	"id: fwd-hz-1\n"	/* 1 */
	"region: cn-hangzhou\n" /* 2 */
	"cluster: [127.0.0.1:7101, '[::1]:7102', unix:/run/cend.sock]\n"
	"data_dir: /var/lib/cenfwd/fwd-hz-1\n"			      /* 4 */
	"api: 127.0.0.1:7301\n"					      /* 5 */
	"io: xdp\n"						      /* 6 */
	"ports:\n"						      /* 7 */
	"  - interface: hz-vpca\n"				      /* 8 */
	"    attachment: vpc-bu-a\n"				      /* 9 */
	"    gateway: [10.1.0.1/24, 10.1.1.1/24, 2001:db8::1/64]\n"   /* 10 */
	"  - interface: hz-vpcb\n"				      /* 11 */
	"    attachment: vpc-bu-b\n"				      /* 12 */
	"    gateway: 10.2.0.1/24\n"				      /* 13 */
	"  - interface: hz-dc\n"				      /* 14 */
	"    vlans:\n"						      /* 15 */
	"      - attachment: vbr-dc-1\n"			      /* 16 */
	"      - attachment: vbr-dc-2\n"			      /* 17 */
	"        vlan: 102\n"					      /* 18 */
	"        gateway: 10.10.11.1/30\n"			      /* 19 */
	"        next_hop: 10.10.11.2\n"			      /* 20 */
	"  - interface: hz-bb\n"				      /* 21 */
	"    backbone:\n"					      /* 22 */
	"      address: 192.168.100.1/24\n"			      /* 23 */
	"      peers:\n"					      /* 24 */
	"        - { region: cn-shanghai, address: 192.168.100.2 }\n" /* 25 */
	"        - region: cn-beijing\n"			      /* 26 */
	"          address: 192.168.100.3\n";			      /* 27 */

/* A valid start to which a test appends its ports (lines 1..4). */
#define HEAD                                                                   \
	"id: fwd-1\n"                                                          \
	"region: r1\n"                                                         \
	"cluster: 127.0.0.1:7101\n"                                            \
	"ports:\n"

static int
parse(struct fwdconf *c, const char *yaml, struct cen_err *err)
{
	cen_err_clear(err);
	return fwdconf_parse(c, yaml, strlen(yaml), err);
}

/* Whether msg has a line equal to want. */
static bool
has_line(const char *msg, const char *want)
{
	size_t n = strlen(want);

	for (const char *l = msg; l != NULL && *l != '\0';) {
		const char *e = strchr(l, '\n');
		size_t len = e != NULL ? (size_t)(e - l) : strlen(l);

		if (len == n && memcmp(l, want, n) == 0)
			return true;
		l = e != NULL ? e + 1 : NULL;
	}
	return false;
}

static size_t
count_lines(const char *msg)
{
	size_t n = msg[0] != '\0';

	for (; *msg != '\0'; msg++)
		n += *msg == '\n';
	return n;
}

/* yaml fails to parse with want among its messages and nothing else. */
static void
expect_only(const char *yaml, const char *want)
{
	struct fwdconf c;
	struct cen_err err;
	int rc;

	fwdconf_init(&c);
	rc = parse(&c, yaml, &err);
	if (rc != -CEN_EINVAL || !has_line(err.msg, want) ||
	    count_lines(err.msg) != 1)
		fail_msg("rc %d; input:\n%s\nwanted exactly:\n%s\ngot:\n%s", rc,
			 yaml, want, err.msg);
	fwdconf_free(&c);
}

static char *
addr(const struct prefix *p, char *buf)
{
	char a[PREFIX_STRLEN];

	snprintf(buf, PREFIX_STRLEN + 8, "%s/%u",
		 prefix_fmt_addr(p, a, sizeof(a)), p->len);
	return buf;
}

/* ------------------------------------------------------------------------
 * A valid file.
 */

static void
test_fwdconf_every_field_parses_into_its_value(void **state)
{
	char b[PREFIX_STRLEN + 8];
	const struct fwdconf_port *p;
	const struct fwdconf_att *a;
	struct fwdconf c;
	struct cen_err err;

	fwdconf_init(&c);
	if (parse(&c, FULL, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(c.id, "fwd-hz-1");
	assert_string_equal(c.region, "cn-hangzhou");
	assert_int_equal(c.ncluster, 3);
	assert_string_equal(c.cluster[0], "127.0.0.1:7101");
	assert_string_equal(c.cluster[1], "[::1]:7102");
	assert_string_equal(c.cluster[2], "unix:/run/cend.sock");
	assert_string_equal(c.data_dir, "/var/lib/cenfwd/fwd-hz-1");
	assert_string_equal(c.api, "127.0.0.1:7301");
	assert_int_equal(c.io, FWDCONF_IO_XDP);
	assert_string_equal(fwdconf_io_str(c.io), "xdp");
	assert_int_equal(c.nports, 4);

	p = &c.ports[0];
	assert_string_equal(p->ifname, "hz-vpca");
	assert_false(p->tagged);
	assert_false(p->backbone);
	assert_int_equal(p->line, 8);
	assert_int_equal(p->natts, 1);
	a = &p->atts[0];
	assert_string_equal(a->id, "vpc-bu-a");
	assert_int_equal(a->line, 9);
	assert_int_equal(a->vlan, 0);
	assert_false(a->vlan_set);
	assert_int_equal(a->ngateway, 3);
	/* a gateway keeps its host bits */
	assert_string_equal(addr(&a->gateway[0], b), "10.1.0.1/24");
	assert_string_equal(addr(&a->gateway[1], b), "10.1.1.1/24");
	assert_string_equal(addr(&a->gateway[2], b), "2001:db8::1/64");
	assert_int_equal(a->next_hop.family, 0);

	p = &c.ports[1];
	assert_string_equal(p->ifname, "hz-vpcb");
	assert_int_equal(p->natts, 1);
	assert_int_equal(p->atts[0].ngateway, 1); /* a single address */
	assert_string_equal(addr(&p->atts[0].gateway[0], b), "10.2.0.1/24");

	p = &c.ports[2];
	assert_string_equal(p->ifname, "hz-dc");
	assert_true(p->tagged);
	assert_false(p->backbone);
	assert_int_equal(p->natts, 2);
	a = &p->atts[0];
	assert_string_equal(a->id, "vbr-dc-1");
	assert_int_equal(a->line, 16);
	assert_false(a->vlan_set); /* vlan, gateway, next hop: the model's */
	assert_int_equal(a->vlan, 0);
	assert_int_equal(a->ngateway, 0);
	assert_int_equal(a->next_hop.family, 0);
	a = &p->atts[1];
	assert_string_equal(a->id, "vbr-dc-2");
	assert_int_equal(a->line, 17);
	assert_true(a->vlan_set);
	assert_int_equal(a->vlan, 102);
	assert_int_equal(a->ngateway, 1);
	assert_string_equal(addr(&a->gateway[0], b), "10.10.11.1/30");
	assert_string_equal(addr(&a->next_hop, b), "10.10.11.2/32");

	p = &c.ports[3];
	assert_string_equal(p->ifname, "hz-bb");
	assert_true(p->backbone);
	assert_int_equal(p->natts, 0);
	assert_string_equal(addr(&p->bb_address, b), "192.168.100.1/24");
	assert_int_equal(p->npeers, 2);
	assert_string_equal(p->peers[0].region, "cn-shanghai");
	assert_string_equal(addr(&p->peers[0].address, b), "192.168.100.2/32");
	assert_int_equal(p->peers[0].line, 25);
	assert_string_equal(p->peers[1].region, "cn-beijing");
	assert_string_equal(addr(&p->peers[1].address, b), "192.168.100.3/32");
	assert_int_equal(p->peers[1].line, 26);

	/* lookups by attachment */
	a = fwdconf_find_att(&c, "vbr-dc-2", &p);
	assert_non_null(a);
	assert_ptr_equal(p, &c.ports[2]);
	assert_int_equal(a->vlan, 102);
	assert_null(fwdconf_find_att(&c, "vpc-none", &p));
	assert_null(p);
	assert_non_null(fwdconf_find_att(&c, "vpc-bu-a", NULL));
	fwdconf_free(&c);
	assert_int_equal(c.nports, 0);
	assert_null(c.ports);
}

static void
test_fwdconf_optional_fields_take_their_defaults(void **state)
{
	struct fwdconf c;
	struct cen_err err;

	fwdconf_init(&c);
	if (parse(&c,
		  HEAD "  - interface: eth0\n"
		       "    attachment: vpc-a\n",
		  &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c.ncluster, 1); /* a single endpoint */
	assert_string_equal(c.cluster[0], "127.0.0.1:7101");
	assert_null(c.data_dir);
	assert_string_equal(c.api, "");
	assert_int_equal(c.io, FWDCONF_IO_AFPACKET);
	assert_int_equal(c.ports[0].atts[0].ngateway, 0);
	fwdconf_free(&c);
}

static void
test_fwdconf_parse_replaces_what_the_config_held(void **state)
{
	struct fwdconf c;
	struct cen_err err;

	fwdconf_init(&c);
	assert_int_equal(parse(&c, FULL, &err), 0);
	/* a failed parse leaves nothing of the first file behind */
	assert_int_equal(parse(&c, "id: x\n", &err), -CEN_EINVAL);
	assert_null(fwdconf_find_att(&c, "vpc-bu-a", NULL));
	assert_int_equal(
		parse(&c, HEAD "  - interface: e\n    attachment: a\n", &err),
		0);
	assert_int_equal(c.nports, 1);
	assert_null(c.data_dir);
	fwdconf_free(&c);
}

/* ------------------------------------------------------------------------
 * One mistake each: the message, its line and its field path.
 */

static void
test_fwdconf_vlan_out_of_range_names_field_and_line(void **state)
{
	expect_only(HEAD "  - interface: hz-dc\n"
			 "    vlans:\n"
			 "      - attachment: vbr-1\n"
			 "        vlan: 5000\n",
		    "line 8: ports[0].vlans[0].vlan: expected an integer "
		    "1..4094, got \"5000\"");
	expect_only(HEAD "  - interface: hz-dc\n"
			 "    vlans: [{attachment: vbr-1, vlan: 0}]\n",
		    "line 6: ports[0].vlans[0].vlan: expected an integer "
		    "1..4094, got \"0\"");
	/* a quoted number is a string */
	expect_only(HEAD "  - interface: hz-dc\n"
			 "    vlans: [{attachment: vbr-1, vlan: '7'}]\n",
		    "line 6: ports[0].vlans[0].vlan: expected an integer "
		    "1..4094, got the quoted string \"7\"");
}

static void
test_fwdconf_unknown_field_lists_the_known_ones(void **state)
{
	expect_only(HEAD "  - interface: hz-dc\n"
			 "    vlans:\n"
			 "      - attachment: vbr-1\n"
			 "        vlna: 10\n",
		    "line 8: ports[0].vlans[0]: unknown field 'vlna'; expected "
		    "one of: attachment, vlan, gateway, next_hop");
	expect_only(HEAD "  - interface: e\n"
			 "    attachment: a\n"
			 "colour: blue\n",
		    "line 7: unknown field 'colour'; expected one of: id, "
		    "region, cluster, data_dir, api, io, ports");
	expect_only(HEAD "  - interface: e\n"
			 "    attachment: a\n"
			 "    mtu: 9000\n",
		    "line 7: ports[0]: unknown field 'mtu'; expected one of: "
		    "interface, attachment, gateway, next_hop, vlans, "
		    "backbone");
}

/* An untagged VPC port may name a router in the VPC as its next hop; it
 * must lie on a gateway's subnet, and only untagged ports take one there. */
static void
test_fwdconf_untagged_next_hop(void **state)
{
	struct fwdconf c;
	struct cen_err err;
	char a[PREFIX_STRLEN];

	(void)state;
	fwdconf_init(&c);
	assert_int_equal(parse(&c,
			       HEAD "  - interface: e\n"
				    "    attachment: a\n"
				    "    gateway: 10.1.0.1/24\n"
				    "    next_hop: 10.1.0.254\n",
			       &err),
			 0);
	assert_string_equal(
		prefix_fmt_addr(&c.ports[0].atts[0].next_hop, a, sizeof(a)),
		"10.1.0.254");
	fwdconf_free(&c);
	expect_only(HEAD "  - interface: e\n"
			 "    attachment: a\n"
			 "    gateway: 10.1.0.1/24\n"
			 "    next_hop: 10.2.0.254\n",
		    "line 8: ports[0].next_hop: 10.2.0.254 is on none of the "
		    "gateways' subnets; the next hop is the neighbour on the "
		    "VLAN");
}

static void
test_fwdconf_required_fields_are_named_when_missing(void **state)
{
	expect_only("region: r1\n"
		    "cluster: 127.0.0.1:7101\n"
		    "ports: [{interface: e, attachment: a}]\n",
		    "line 1: missing field 'id'");
	expect_only(
		"id: f\n"
		"region: r1\n"
		"cluster: 127.0.0.1:7101\n"
		"ports: []\n",
		"line 4: ports: expected a list of ports, got an empty one");
	expect_only(HEAD "  - attachment: a\n",
		    "line 5: ports[0]: missing field 'interface'");
	expect_only(HEAD "  - interface: e\n"
			 "    vlans: [{vlan: 10}]\n",
		    "line 6: ports[0].vlans[0]: missing field 'attachment'");
	expect_only(HEAD "  - interface: bb\n"
			 "    backbone: {address: 10.0.0.1/24}\n",
		    "line 6: ports[0].backbone: missing field 'peers'");
	expect_only(HEAD "  - interface: bb\n"
			 "    backbone:\n"
			 "      address: 10.0.0.1/24\n"
			 "      peers: [{region: r2}]\n",
		    "line 8: ports[0].backbone.peers[0]: missing field "
		    "'address'");
}

static void
test_fwdconf_ids_follow_the_models_rules(void **state)
{
	expect_only(
		"id: -fwd\n"
		"region: r1\n"
		"cluster: 127.0.0.1:7101\n"
		"ports: [{interface: e, attachment: a}]\n",
		"line 1: id: expected an ID (1..63 characters of A-Z a-z "
		"0-9 . _ -, starting with a letter or digit), got \"-fwd\"");
	expect_only(HEAD "  - interface: e\n"
			 "    attachment: vpc a\n",
		    "line 6: ports[0].attachment: expected an ID (1..63 "
		    "characters of A-Z a-z 0-9 . _ -, starting with a letter "
		    "or digit), got \"vpc a\"");
	expect_only(HEAD "  - interface: e\n"
			 "    attachment: [a]\n",
		    "line 6: ports[0].attachment: expected an ID (1..63 "
		    "characters of A-Z a-z 0-9 . _ -, starting with a letter "
		    "or digit), got a list");
}

static void
test_fwdconf_interface_names_are_checked(void **state)
{
	expect_only(HEAD "  - interface: a-very-long-ifname\n"
			 "    attachment: a\n",
		    "line 5: ports[0].interface: expected an interface name "
		    "(1..15 characters, no '/', ':' or spaces), got "
		    "\"a-very-long-ifname\"");
	expect_only(HEAD "  - interface: eth0/1\n"
			 "    attachment: a\n",
		    "line 5: ports[0].interface: expected an interface name "
		    "(1..15 characters, no '/', ':' or spaces), got "
		    "\"eth0/1\"");
}

static void
test_fwdconf_addresses_are_checked(void **state)
{
	/* a gateway needs its length, and is not the subnet's address */
	expect_only(HEAD "  - interface: e\n"
			 "    attachment: a\n"
			 "    gateway: 10.1.0.1\n",
		    "line 7: ports[0].gateway: expected an address with its "
		    "length (10.1.0.1/24 or 2001:db8::1/64), got \"10.1.0.1\"");
	expect_only(HEAD "  - interface: e\n"
			 "    attachment: a\n"
			 "    gateway: [10.1.0.1/24, 10.1.1.0/24]\n",
		    "line 7: ports[0].gateway[1]: \"10.1.1.0/24\" is the "
		    "subnet's own address; give this end's address in "
		    "10.1.1.0/24 with the length");
	expect_only(HEAD "  - interface: e\n"
			 "    attachment: a\n"
			 "    gateway: 10.1.0.1/33\n",
		    "line 7: ports[0].gateway: expected an address with its "
		    "length (10.1.0.1/24 or 2001:db8::1/64), got "
		    "\"10.1.0.1/33\"");
	{
		struct fwdconf c;
		struct cen_err err;

		/* a /31 has no subnet address */
		fwdconf_init(&c);
		assert_int_equal(parse(&c,
				       HEAD "  - interface: e\n"
					    "    attachment: a\n"
					    "    gateway: 10.1.0.0/31\n",
				       &err),
				 0);
		/* an IPv4 next hop with only an IPv6 gateway given: the IPv4
		 * one is the model's, not checked here */
		assert_int_equal(parse(&c,
				       HEAD "  - interface: e\n"
					    "    vlans:\n"
					    "      - attachment: vbr-1\n"
					    "        gateway: 2001:db8::1/64\n"
					    "        next_hop: 10.10.11.6\n",
				       &err),
				 0);
		assert_string_equal(err.msg, "");
		fwdconf_free(&c);
	}
	/* a next hop is a host address on the gateway's subnet */
	expect_only(HEAD "  - interface: e\n"
			 "    vlans:\n"
			 "      - attachment: vbr-1\n"
			 "        next_hop: 10.0.0.0/8\n",
		    "line 8: ports[0].vlans[0].next_hop: expected an IP "
		    "address, got \"10.0.0.0/8\"");
	expect_only(HEAD "  - interface: e\n"
			 "    vlans:\n"
			 "      - attachment: vbr-1\n"
			 "        next_hop: 10.10.11.6\n"
			 "        gateway: 10.10.11.1/30\n",
		    "line 8: ports[0].vlans[0].next_hop: 10.10.11.6 is on none "
		    "of the gateways' subnets; the next hop is the neighbour "
		    "on the VLAN");
	expect_only(HEAD "  - interface: e\n"
			 "    vlans:\n"
			 "      - attachment: vbr-1\n"
			 "        gateway: 10.10.11.1/30\n"
			 "        next_hop: 10.10.11.1\n",
		    "line 9: ports[0].vlans[0].next_hop: 10.10.11.1 is this "
		    "end's gateway address");
	expect_only(HEAD "  - interface: e\n"
			 "    attachment: a\n"
			 "    gateway: [1.0.0.1/8, 1.0.0.2/8, 1.0.0.3/8, "
			 "1.0.0.4/8, 1.0.0.5/8, 1.0.0.6/8, 1.0.0.7/8, "
			 "1.0.0.8/8, 1.0.0.9/8, 1.0.0.10/8, 1.0.0.11/8, "
			 "1.0.0.12/8, 1.0.0.13/8, 1.0.0.14/8, 1.0.0.15/8, "
			 "1.0.0.16/8, 1.0.0.17/8]\n",
		    "line 7: ports[0].gateway: 17 items, at most 16");
}

static void
test_fwdconf_endpoints_and_io_are_checked(void **state)
{
	static const char ports[] = "ports: [{interface: e, attachment: a}]\n";
	char yaml[512];

	snprintf(yaml, sizeof(yaml),
		 "id: f\nregion: r\ncluster: [127.0.0.1:7101, "
		 "cend-1:7101]\n%s",
		 ports);
	expect_only(yaml, "line 3: cluster[1]: expected an endpoint "
			  "HOST:PORT, [IPv6]:PORT or unix:/path, got "
			  "\"cend-1:7101\": not an IPv4 address before the "
			  "port (names are not looked up)");
	snprintf(yaml, sizeof(yaml),
		 "id: f\nregion: r\ncluster: 127.0.0.1:70000\n%s", ports);
	expect_only(yaml, "line 3: cluster: expected an endpoint HOST:PORT, "
			  "[IPv6]:PORT or unix:/path, got \"127.0.0.1:70000\": "
			  "port out of range 1..65535");
	snprintf(yaml, sizeof(yaml), "id: f\nregion: r\ncluster: ::1:7101\n%s",
		 ports);
	expect_only(yaml, "line 3: cluster: expected an endpoint HOST:PORT, "
			  "[IPv6]:PORT or unix:/path, got \"::1:7101\": put an "
			  "IPv6 address in brackets ([::1]:7101)");
	snprintf(yaml, sizeof(yaml),
		 "id: f\nregion: r\ncluster: [127.0.0.1:1, 127.0.0.1:1]\n%s",
		 ports);
	expect_only(yaml, "line 3: cluster[1]: 127.0.0.1:1 is listed twice");
	snprintf(yaml, sizeof(yaml), "id: f\nregion: r\ncluster: []\n%s",
		 ports);
	expect_only(yaml,
		    "line 3: cluster: expected a list of endpoints, got an "
		    "empty one");
	snprintf(yaml, sizeof(yaml),
		 "id: f\nregion: r\ncluster: unix:/s\napi: unix:run.sock\n%s",
		 ports);
	expect_only(yaml, "line 4: api: expected an endpoint HOST:PORT, "
			  "[IPv6]:PORT or unix:/path, got \"unix:run.sock\": "
			  "a socket's path is absolute (unix:/run/cend.sock)");
	snprintf(yaml, sizeof(yaml),
		 "id: f\nregion: r\ncluster: unix:/s\nio: dpdk\n%s", ports);
	expect_only(yaml, "line 4: io: expected one of afpacket, xdp, memory, "
			  "got \"dpdk\"");
}

static void
test_fwdconf_attachment_on_two_ports_is_an_error(void **state)
{
	expect_only(
		HEAD "  - interface: hz-vpca\n"
		     "    attachment: vbr-dc-1\n"
		     "  - interface: hz-dc\n"
		     "    vlans:\n"
		     "      - attachment: vbr-dc-2\n"
		     "      - attachment: vbr-dc-1\n",
		"line 10: ports[1].vlans[1].attachment: vbr-dc-1 is already "
		"on ports[0] (line 6); an attachment is on one port only");
	expect_only(HEAD "  - interface: hz-dc\n"
			 "    vlans:\n"
			 "      - attachment: vbr-dc-1\n"
			 "        vlan: 101\n"
			 "      - {vlan: 102, attachment: vbr-dc-1}\n",
		    "line 9: ports[0].vlans[1].attachment: vbr-dc-1 is already "
		    "on ports[0].vlans[0] (line 7); an attachment is on one "
		    "port only");
}

static void
test_fwdconf_interface_and_vlan_given_twice_are_errors(void **state)
{
	expect_only(HEAD "  - interface: hz-dc\n"
			 "    vlans: [{attachment: vbr-1}]\n"
			 "  - interface: hz-dc\n"
			 "    vlans: [{attachment: vbr-2}]\n",
		    "line 7: ports[1].interface: hz-dc is already ports[0] "
		    "(line 5); list an interface once (a tagged one's VLANs "
		    "under one vlans:)");
	expect_only(HEAD "  - interface: hz-dc\n"
			 "    vlans:\n"
			 "      - attachment: vbr-1\n"
			 "        vlan: 101\n"
			 "      - attachment: vbr-2\n"
			 "        vlan: 101\n",
		    "line 10: ports[0].vlans[1].vlan: VLAN 101 is already "
		    "vlans[0] (vbr-1, line 7)");
}

static void
test_fwdconf_port_carries_exactly_one_kind(void **state)
{
	expect_only(
		HEAD "  - interface: e\n"
		     "    attachment: a\n"
		     "    vlans: [{attachment: b}]\n",
		"line 5: ports[0]: give one of attachment (untagged), vlans "
		"(tagged) or backbone; this port has attachment and vlans");
	expect_only(HEAD "  - interface: e\n",
		    "line 5: ports[0]: missing what the port carries: "
		    "attachment (untagged), vlans (tagged) or backbone");
	expect_only(HEAD "  - interface: e\n"
			 "    vlans: [{attachment: b}]\n"
			 "    gateway: 10.0.0.1/24\n",
		    "line 7: ports[0].gateway: only for an untagged port (with "
		    "attachment:); give a tagged port's gateways per VLAN");
	expect_only(HEAD "  - interface: e\n"
			 "    vlans: []\n",
		    "line 6: ports[0].vlans: expected a list of VLANs, got an "
		    "empty one");
}

static void
test_fwdconf_backbone_port_and_peers_are_checked(void **state)
{
	expect_only(HEAD
		    "  - interface: bb1\n"
		    "    backbone:\n"
		    "      address: 192.168.100.1/24\n"
		    "      peers: [{region: r2, address: 192.168.100.2}]\n"
		    "  - interface: bb2\n"
		    "    backbone:\n"
		    "      address: 192.168.101.1/24\n"
		    "      peers: [{region: r3, address: 192.168.101.2}]\n",
		    "line 10: ports[1].backbone: a second backbone port (the "
		    "first is ports[0], line 5); a forwarder has one");
	/* peers are read after the address and the own region, whatever
	 * the order they are written in */
	{
		struct fwdconf c;
		struct cen_err err;
		const char *y = "id: f\n"
				"ports:\n"
				"  - interface: bb\n"
				"    backbone:\n"
				"      peers:\n"
				"        - {region: r1, address: 10.9.0.2}\n"
				"        - {region: r2, address: 2001:db8::2}\n"
				"        - {region: r3, address: 10.9.0.1}\n"
				"        - {region: r2, address: 10.9.0.4}\n"
				"      address: 10.9.0.1/24\n"
				"region: r1\n"
				"cluster: 127.0.0.1:7101\n";

		fwdconf_init(&c);
		assert_int_equal(parse(&c, y, &err), -CEN_EINVAL);
		assert_true(has_line(err.msg,
				     "line 6: ports[0].backbone.peers[0]."
				     "region: r1 is this forwarder's own "
				     "region; backbone peers are other "
				     "regions' forwarders"));
		assert_true(has_line(err.msg,
				     "line 7: ports[0].backbone.peers[1]."
				     "address: 2001:db8::2 is IPv6 but "
				     "backbone.address is IPv4"));
		assert_true(has_line(err.msg,
				     "line 8: ports[0].backbone.peers[2]."
				     "address: 10.9.0.1 is this forwarder's "
				     "own backbone address"));
		assert_true(has_line(err.msg,
				     "line 9: ports[0].backbone.peers[3]."
				     "region: region r2 already has a peer "
				     "(peers[1], line 7)"));
		assert_int_equal(count_lines(err.msg), 4);
		fwdconf_free(&c);
	}
}

static void
test_fwdconf_field_given_twice_is_an_error(void **state)
{
	expect_only("id: f\n"
		    "region: r\n"
		    "cluster: unix:/s\n"
		    "id: g\n"
		    "ports: [{interface: e, attachment: a}]\n",
		    "line 4: field 'id' given twice (first at line 1)");
}

/* ------------------------------------------------------------------------
 * Many mistakes, and files that are no configuration at all.
 */

static void
test_fwdconf_every_error_of_a_file_is_reported(void **state)
{
	static const char yaml[] = "id: fwd 1\n"		    /* 1 */
				   "region: cn-hangzhou\n"	    /* 2 */
				   "cluster: [127.0.0.1:7101, x]\n" /* 3 */
				   "io: dpdk\n"			    /* 4 */
				   "ports:\n"			    /* 5 */
				   "  - interface: hz-dc\n"	    /* 6 */
				   "    vlans:\n"		    /* 7 */
				   "      - attachment: vbr-1\n"    /* 8 */
				   "        vlan: 5000\n"	    /* 9 */
				   "      - attachment: vbr-1\n"    /* 10 */
				   "  - interface: hz-dc\n"	    /* 11 */
				   "    attachment: vpc-a\n"	    /* 12 */
				   "    gateway: 10.0.0.0/24\n"	    /* 13 */
				   "  - interface: hz-vpc\n"	    /* 14 */
				   "    colour: blue\n";	    /* 15 */
	struct fwdconf c;
	struct cen_err err;

	fwdconf_init(&c);
	assert_int_equal(parse(&c, yaml, &err), -CEN_EINVAL);
	assert_int_equal(err.code, -CEN_EINVAL);
	assert_true(has_line(err.msg, "line 1: id: expected an ID (1..63 "
				      "characters of A-Z a-z 0-9 . _ -, "
				      "starting with a letter or digit), got "
				      "\"fwd 1\""));
	assert_true(has_line(err.msg,
			     "line 3: cluster[1]: expected an endpoint "
			     "HOST:PORT, [IPv6]:PORT or unix:/path, got "
			     "\"x\": port missing"));
	assert_true(has_line(err.msg, "line 4: io: expected one of afpacket, "
				      "xdp, memory, got \"dpdk\""));
	assert_true(has_line(err.msg, "line 9: ports[0].vlans[0].vlan: "
				      "expected an integer 1..4094, got "
				      "\"5000\""));
	assert_true(has_line(err.msg,
			     "line 10: ports[0].vlans[1].attachment: vbr-1 is "
			     "already on ports[0].vlans[0] (line 8); an "
			     "attachment is on one port only"));
	assert_true(has_line(err.msg,
			     "line 11: ports[1].interface: hz-dc is already "
			     "ports[0] (line 6); list an interface once (a "
			     "tagged one's VLANs under one vlans:)"));
	assert_true(has_line(err.msg,
			     "line 13: ports[1].gateway: \"10.0.0.0/24\" is "
			     "the subnet's own address; give this end's "
			     "address in 10.0.0.0/24 with the length"));
	assert_true(has_line(err.msg,
			     "line 15: ports[2]: unknown field 'colour'; "
			     "expected one of: interface, attachment, gateway, "
			     "next_hop, vlans, backbone"));
	assert_true(has_line(err.msg,
			     "line 14: ports[2]: missing what the port "
			     "carries: attachment (untagged), vlans (tagged) "
			     "or backbone"));
	assert_int_equal(count_lines(err.msg), 9);
	fwdconf_free(&c);
}

static void
test_fwdconf_empty_and_non_mapping_files_say_so(void **state)
{
	static const char empty[] = "line 1: the file is empty; expected a "
				    "mapping with id, region, cluster and "
				    "ports";

	expect_only("", empty);
	expect_only("# nothing yet\n\n", empty);
	expect_only("---\n", empty);
	expect_only("- id: f\n", "line 1: expected a mapping with id, region, "
				 "cluster and ports, got a list");
	expect_only("fwd-1\n", "line 1: expected a mapping with id, region, "
			       "cluster and ports, got \"fwd-1\"");
	{
		struct fwdconf c;

		/* a NULL buffer is an empty file, a NULL err is allowed */
		fwdconf_init(&c);
		assert_int_equal(fwdconf_parse(&c, NULL, 0, NULL), -CEN_EINVAL);
		fwdconf_free(&c);
	}
}

static void
test_fwdconf_yaml_syntax_error_gives_its_line(void **state)
{
	struct fwdconf c;
	struct cen_err err;

	fwdconf_init(&c);
	assert_int_equal(parse(&c,
			       "id: f\n"
			       "region: r\n"
			       "ports:\n"
			       "  - interface: [e\n"
			       "cluster: x\n",
			       &err),
			 -CEN_EINVAL);
	assert_int_equal(count_lines(err.msg), 1);
	if (strncmp(err.msg, "line 5: column ", 15) != 0 ||
	    strstr(err.msg, "flow sequence") == NULL)
		fail_msg("%s", err.msg);
	fwdconf_free(&c);

	expect_only(HEAD "  - interface: e\n"
			 "    attachment: a\n"
			 "---\n"
			 "id: g\n",
		    "line 7: a second YAML document; the file holds one");
	expect_only("id: &x f\n"
		    "region: *x\n"
		    "cluster: unix:/s\n"
		    "ports: [{interface: e, attachment: a}]\n",
		    "line 1: this node is used again through an alias; aliases "
		    "are not supported");
	/* an alias to its own ancestor is refused, not followed */
	expect_only("&a [*a]\n", "line 1: this node is used again through an "
				 "alias; aliases are not supported");
}

static void
test_fwdconf_load_file_names_the_file(void **state)
{
	char path[] = "/tmp/test_fwdconf_XXXXXX";
	struct fwdconf c;
	struct cen_err err;
	FILE *f;
	int fd;

	fwdconf_init(&c);
	cen_err_clear(&err);
	assert_int_equal(
		fwdconf_load_file(&c, "/nonexistent/cenfwd.yaml", &err),
		-CEN_EIO);
	assert_string_equal(err.msg,
			    "/nonexistent/cenfwd.yaml: No such file or "
			    "directory");

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(FULL, 1, sizeof(FULL) - 1, f),
			 sizeof(FULL) - 1);
	assert_int_equal(fclose(f), 0);
	cen_err_clear(&err);
	if (fwdconf_load_file(&c, path, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c.nports, 4);
	assert_string_equal(c.ports[3].peers[1].region, "cn-beijing");
	unlink(path);
	fwdconf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_fwdconf_every_field_parses_into_its_value),
		cmocka_unit_test(
			test_fwdconf_optional_fields_take_their_defaults),
		cmocka_unit_test(
			test_fwdconf_parse_replaces_what_the_config_held),
		cmocka_unit_test(
			test_fwdconf_vlan_out_of_range_names_field_and_line),
		cmocka_unit_test(
			test_fwdconf_unknown_field_lists_the_known_ones),
		cmocka_unit_test(
			test_fwdconf_required_fields_are_named_when_missing),
		cmocka_unit_test(test_fwdconf_ids_follow_the_models_rules),
		cmocka_unit_test(test_fwdconf_interface_names_are_checked),
		cmocka_unit_test(test_fwdconf_addresses_are_checked),
		cmocka_unit_test(test_fwdconf_endpoints_and_io_are_checked),
		cmocka_unit_test(
			test_fwdconf_attachment_on_two_ports_is_an_error),
		cmocka_unit_test(
			test_fwdconf_interface_and_vlan_given_twice_are_errors),
		cmocka_unit_test(test_fwdconf_port_carries_exactly_one_kind),
		cmocka_unit_test(test_fwdconf_untagged_next_hop),
		cmocka_unit_test(
			test_fwdconf_backbone_port_and_peers_are_checked),
		cmocka_unit_test(test_fwdconf_field_given_twice_is_an_error),
		cmocka_unit_test(
			test_fwdconf_every_error_of_a_file_is_reported),
		cmocka_unit_test(
			test_fwdconf_empty_and_non_mapping_files_say_so),
		cmocka_unit_test(test_fwdconf_yaml_syntax_error_gives_its_line),
		cmocka_unit_test(test_fwdconf_load_file_names_the_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
