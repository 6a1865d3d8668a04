/*
 * test_fwd.c - the forwarding core (dataplane/fwd*.c) on in-memory ports:
 * FIB entries go in as fibsub would hand them over, frames are pushed
 * through fwd_process_burst with an explicit clock, and what comes out of
 * each port (io_mem_capture) is parsed and checked.
 *
 * Topology: port 0 "pa" carries vpc-a (10.1.0.0/24) untagged, port 1 "pdc"
 * the data centre's two VBRs on VLANs 101 and 102, port 2 "pb" vpc-b.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu.h>

#include "core/model_yaml.h"
#include "dataplane/fwd_int.h"

#include <cmocka.h>

static const char model_yaml[] =
	"cen: {id: cen-t, asn: 45104}\n"
	"regions:\n"
	"  - id: r1\n"
	"    route_tables: [{id: rt-sys, system: true}]\n"
	"  - id: r2\n"
	"    route_tables: [{id: rt-r2, system: true}]\n"
	"physical_connections:\n"
	"  - {id: pc-1, region: r1, access_point: ap, speed_gbps: 10}\n"
	"attachments:\n"
	"  - {id: vpc-a, type: VPC, region: r1, vswitch_cidrs: "
	"[10.1.0.0/24, '2001:db8:1::/64']}\n"
	"  - {id: vpc-b, type: VPC, region: r1, vswitch_cidrs: "
	"[10.2.0.0/24, '2001:db8:2::/64']}\n"
	"  - id: vbr-1\n"
	"    type: VBR\n"
	"    region: r1\n"
	"    physical_connection: pc-1\n"
	"    vlan: 101\n"
	"    bandwidth_mbps: 100\n"
	"    local_ip: 10.10.10.1/30\n"
	"    peer_ip: 10.10.10.2\n"
	"    health_check: {source_ip: 100.96.0.10, target_ip: 10.10.10.2,\n"
	"                   interval_s: 2, threshold: 3}\n"
	"  - id: vbr-2\n"
	"    type: VBR\n"
	"    region: r1\n"
	"    physical_connection: pc-1\n"
	"    vlan: 102\n"
	"    bandwidth_mbps: 1200\n"
	"    local_ip: 10.10.11.1/30\n"
	"    peer_ip: 10.10.11.2\n"
	"  - {id: vpc-r2, type: VPC, region: r2, vswitch_cidrs: "
	"[10.9.0.0/24]}\n"
	"bandwidth_packages:\n"
	"  - id: bwp-1\n"
	"    regions: [r1, r2]\n"
	"    bandwidth_mbps: 100\n"
	"    connections:\n"
	"      - {regions: [r1, r2], bandwidth_mbps: 50}\n";

static const char fwd_yaml[] =
	"id: fwd-t\n"
	"region: r1\n"
	"cluster: [127.0.0.1:1]\n"
	"io: memory\n"
	"ports:\n"
	"  - interface: pa\n"
	"    attachment: vpc-a\n"
	"  - interface: pdc\n"
	"    vlans:\n"
	"      - attachment: vbr-1\n"
	"      - attachment: vbr-2\n"
	"  - interface: pb\n"
	"    attachment: vpc-b\n"
	"  - interface: pbb\n"
	"    backbone:\n"
	"      address: 192.168.100.1/24\n"
	"      peers:\n"
	"        - {region: r2, address: 192.168.100.2}\n";

static const uint8_t mac_ha[6] = { 2, 0, 0, 0, 0, 0x0a };
static const uint8_t mac_hb[6] = { 2, 0, 0, 0, 0, 0x0b };
static const uint8_t mac_ce1[6] = { 2, 0, 0, 0, 0xce, 1 };
static const uint8_t mac_ce2[6] = { 2, 0, 0, 0, 0xce, 2 };

#define P_A  0
#define P_DC 1
#define P_B  2
#define P_BB 3
static const uint8_t mac_peer[6] = { 2, 0, 0, 0, 0xbb, 2 };
#define HEADROOM 64

struct ctx {
	struct fwdconf conf;
	struct fwd *f;
	uint64_t now;
	uint8_t buf[FWD_BURST][HEADROOM + 2048];
	struct io_pkt pkts[FWD_BURST];
	size_t n;
};

static uint32_t
ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return a << 24 | b << 16 | c << 8 | d;
}

/* An IPv4/UDP frame (with an 802.1Q tag when vlan) into out. */
static size_t
udp4(uint8_t *out, const uint8_t src_mac[6], uint16_t vlan, uint32_t src,
     uint32_t dst, uint16_t sport, uint16_t dport, uint8_t ttl, size_t payload)
{
	struct pkt_l2 l2 = { .vlan = vlan };
	size_t l2len, ip_len = 20 + 8 + payload;
	uint8_t *ip;

	memset(l2.dst, 0x0e, 6);
	memcpy(l2.src, src_mac, 6);
	l2len = pkt_l2_write(out, l2.dst, l2.src, vlan, PKT_ETH_P_IP);
	ip = out + l2len;
	memset(ip, 0, ip_len);
	ip[0] = 0x45;
	pkt_put16(ip + 2, (uint16_t)ip_len);
	ip[8] = ttl;
	ip[9] = PKT_IPPROTO_UDP;
	pkt_put32(ip + 12, src);
	pkt_put32(ip + 16, dst);
	pkt_put16(ip + 10, pkt_ip4_csum(ip));
	pkt_put16(ip + 20, sport);
	pkt_put16(ip + 22, dport);
	pkt_put16(ip + 24, (uint16_t)(8 + payload));
	return l2len + ip_len;
}

static void
push(struct ctx *c, const uint8_t *frame, size_t len)
{
	struct io_pkt *pk = &c->pkts[c->n];

	memcpy(c->buf[c->n] + HEADROOM, frame, len);
	pk->data = c->buf[c->n] + HEADROOM;
	pk->len = (uint32_t)len;
	pk->headroom = HEADROOM;
	c->n++;
}

static size_t
run(struct ctx *c, uint16_t port)
{
	size_t sent;

	rcu_read_lock();
	for (size_t i = 0; i < c->n; i++)
		c->pkts[i].port = port;
	sent = fwd_process_burst(c->f, port, c->pkts, c->n, c->now);
	rcu_read_unlock();
	c->n = 0;
	return sent;
}

static size_t
captured(struct ctx *c, uint16_t port)
{
	return io_mem_captured(fwd_port(c->f, port));
}

static void
clear(struct ctx *c)
{
	for (uint16_t p = 0; p < fwd_nports(c->f); p++)
		io_mem_capture_clear(fwd_port(c->f, p));
}

/* Parses captured frame i of port into pi; returns the frame. */
static const uint8_t *
frame_at(struct ctx *c, uint16_t port, size_t i, struct pkt_info *pi,
	 enum pkt_verdict *v)
{
	const uint8_t *fr;
	uint32_t len;

	assert_int_equal(io_mem_capture(fwd_port(c->f, port), i, &fr, &len), 0);
	*v = pkt_parse(fr, len, pi);
	return fr;
}

static void
entry(struct ctx *c, const char *view, const char *pfx, const char *nh1,
      unsigned w1, const char *nh2, unsigned w2)
{
	struct fibmsg_entry e;

	memset(&e, 0, sizeof(e));
	strcpy(e.region, "r1");
	strcpy(e.table, "rt-sys");
	strcpy(e.view, view ? view : "");
	assert_int_equal(prefix_parse(&e.prefix, pfx, true), 0);
	if (nh1 == NULL) {
		e.withdrawn = true;
	} else if (!strcmp(nh1, "no-route")) {
		e.no_route = true;
	} else {
		e.n = 1;
		e.nh[0].kind = !strcmp(nh1, "blackhole") ? ENGINE_NH_BLACKHOLE
			       : !strncmp(nh1, "region:", 7)
				       ? ENGINE_NH_REGION
				       : ENGINE_NH_ATTACHMENT;
		e.nh[0].weight = (uint8_t)w1;
		if (e.nh[0].kind == ENGINE_NH_ATTACHMENT)
			strcpy(e.nh[0].id, nh1);
		else if (e.nh[0].kind == ENGINE_NH_REGION)
			strcpy(e.nh[0].id, nh1 + 7);
		if (nh2 != NULL) {
			e.n = 2;
			e.nh[1].kind = ENGINE_NH_ATTACHMENT;
			e.nh[1].weight = (uint8_t)w2;
			strcpy(e.nh[1].id, nh2);
		}
	}
	fwd_fib_change(c->f, &e);
}

/* Teaches the forwarder a neighbour with an ARP reply on port / vlan. */
static void
arp_reply(struct ctx *c, uint16_t port, uint16_t vlan, const uint8_t mac[6],
	  uint32_t ip, uint32_t gw)
{
	uint8_t fr[128];
	uint8_t us[6];
	int n;

	io_port_mac(fwd_port(c->f, port), us);
	n = pkt_arp_build(fr, sizeof(fr), vlan, 2, mac, ip, us, gw, us);
	assert_true(n > 0);
	push(c, fr, (size_t)n);
	run(c, port);
}

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct cen_err err;
	struct model m;

	assert_non_null(c);
	rcu_register_thread();
	fwdconf_init(&c->conf);
	assert_int_equal(
		fwdconf_parse(&c->conf, fwd_yaml, strlen(fwd_yaml), &err), 0);
	c->conf.mem_capture = 4096;
	assert_int_equal(fwd_new(&c->conf, &c->f, &err), 0);
	model_init(&m);
	assert_int_equal(
		model_yaml_parse(&m, model_yaml, strlen(model_yaml), &err), 0);
	cen_err_clear(&err);
	assert_int_equal(fwd_set_model(c->f, &m, &err), 0);
	assert_string_equal(err.msg, "");
	model_free(&m);
	c->now = 1000000000ull;
	/* routes: the DC over both VBRs, the VPCs' own CIDRs */
	entry(c, NULL, "172.16.0.0/12", "vbr-1", 1, "vbr-2", 1);
	entry(c, NULL, "10.1.0.0/24", "vpc-a", 1, NULL, 0);
	entry(c, NULL, "10.2.0.0/24", "vpc-b", 1, NULL, 0);
	/* neighbours */
	arp_reply(c, P_DC, 101, mac_ce1, ip4(10, 10, 10, 2),
		  ip4(10, 10, 10, 1));
	arp_reply(c, P_DC, 102, mac_ce2, ip4(10, 10, 11, 2),
		  ip4(10, 10, 11, 1));
	arp_reply(c, P_A, 0, mac_ha, ip4(10, 1, 0, 10), ip4(10, 1, 0, 1));
	arp_reply(c, P_B, 0, mac_hb, ip4(10, 2, 0, 10), ip4(10, 2, 0, 1));
	arp_reply(c, P_BB, 0, mac_peer, ip4(192, 168, 100, 2),
		  ip4(192, 168, 100, 1));
	clear(c);
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	fwd_free(c->f);
	fwdconf_free(&c->conf);
	free(c);
	rcu_unregister_thread();
	return 0;
}

/* A VPC's packet to the data centre leaves on a VBR's VLAN towards the
 * CE's MAC, its TTL one less and its header checksum still right. */
static void
test_forward_vpc_to_vbr(void **state)
{
	struct ctx *c = *state;
	uint8_t fr[256];
	struct pkt_info pi;
	enum pkt_verdict v;
	const uint8_t *out;
	uint8_t us[6];

	push(c, fr,
	     udp4(fr, mac_ha, 0, ip4(10, 1, 0, 10), ip4(172, 16, 0, 5), 1000,
		  2000, 64, 18));
	assert_int_equal(run(c, P_A), 1);
	assert_int_equal(captured(c, P_DC), 1);
	out = frame_at(c, P_DC, 0, &pi, &v);
	assert_int_equal(v, PKT_OK);
	assert_true(pi.vlan == 101 || pi.vlan == 102);
	assert_memory_equal(out, pi.vlan == 101 ? mac_ce1 : mac_ce2, 6);
	io_port_mac(fwd_port(c->f, P_DC), us);
	assert_memory_equal(out + 6, us, 6);
	assert_int_equal(pi.ttl, 63);
	assert_int_equal(pkt_ip4_csum(out + pi.l3_off),
			 pkt_get16(out + pi.l3_off + 10));
	assert_int_equal(pi.dst4, ip4(172, 16, 0, 5));
	/* and back: from the VBR to the VPC, untagged, to the host's MAC */
	clear(c);
	push(c, fr,
	     udp4(fr, mac_ce1, 101, ip4(172, 16, 0, 5), ip4(10, 1, 0, 10), 2000,
		  1000, 64, 18));
	assert_int_equal(run(c, P_DC), 1);
	assert_int_equal(captured(c, P_A), 1);
	out = frame_at(c, P_A, 0, &pi, &v);
	assert_int_equal(v, PKT_OK);
	assert_int_equal(pi.vlan, 0);
	assert_int_equal(pi.l2_len, 14);
	assert_memory_equal(out, mac_ha, 6);
}

/* Flows spread over the group by weight: 1:1 about half each, 3:1 about
 * three quarters; one flow always takes one path. */
static void
test_ecmp_weights(void **state)
{
	struct ctx *c = *state;
	unsigned on101 = 0, total = 0;
	struct pkt_info pi;
	enum pkt_verdict v;
	uint8_t fr[256];

	for (int round = 0; round < 2; round++) {
		if (round == 1)
			entry(c, NULL, "172.16.0.0/12", "vbr-1", 3, "vbr-2", 1);
		on101 = total = 0;
		for (unsigned i = 0; i < 4000; i++) {
			push(c, fr,
			     udp4(fr, mac_ha, 0, ip4(10, 1, 0, 10),
				  ip4(172, 16, i >> 8, i & 0xff),
				  (uint16_t)(1024 + i), 53, 64, 0));
			if (c->n == FWD_BURST)
				run(c, P_A);
			c->now += 1000000; /* stay under the meters */
		}
		run(c, P_A);
		for (size_t i = 0; i < captured(c, P_DC); i++) {
			frame_at(c, P_DC, i, &pi, &v);
			on101 += pi.vlan == 101;
			total++;
		}
		assert_int_equal(total, 4000);
		if (round == 0)
			assert_in_range(on101, 1800, 2200);
		else
			assert_in_range(on101, 2800, 3200);
		clear(c);
	}
	/* one flow, one path */
	on101 = 0;
	for (unsigned i = 0; i < 100; i++) {
		push(c, fr,
		     udp4(fr, mac_ha, 0, ip4(10, 1, 0, 10), ip4(172, 16, 9, 9),
			  4242, 80, 64, 0));
		if (c->n == FWD_BURST)
			run(c, P_A);
	}
	run(c, P_A);
	for (size_t i = 0; i < captured(c, P_DC); i++) {
		frame_at(c, P_DC, i, &pi, &v);
		on101 += pi.vlan == 101;
	}
	assert_true(on101 == 0 || on101 == 100);
}

/* An attachment's view: vpc-b has no route to vpc-a (the route map of
 * the hybrid example), so its packets to 10.1.0.0/24 are dropped while
 * the data centre's still go; withdrawing the override restores the
 * table's route for vpc-b. */
static void
test_view_isolation(void **state)
{
	struct ctx *c = *state;
	struct fwd_att_stats *st;
	uint8_t fr[256];
	char nh[80];
	struct prefix a;

	entry(c, "vpc-b", "10.1.0.0/24", "no-route", 0, NULL, 0);
	push(c, fr,
	     udp4(fr, mac_hb, 0, ip4(10, 2, 0, 10), ip4(10, 1, 0, 10), 1, 2, 64,
		  0));
	assert_int_equal(run(c, P_B), 0);
	assert_int_equal(captured(c, P_A), 0);
	st = &c->f->stats[fwd_name_find(c->f, "vpc-b")];
	assert_int_equal(atomic_load(&st->drops[FWD_DROP_NO_ROUTE]), 1);
	/* vpc-b still reaches the data centre (its view is its table's
	 * otherwise) */
	push(c, fr,
	     udp4(fr, mac_hb, 0, ip4(10, 2, 0, 10), ip4(172, 20, 0, 1), 1, 2,
		  64, 0));
	assert_int_equal(run(c, P_B), 1);
	/* the DC still reaches vpc-a */
	push(c, fr,
	     udp4(fr, mac_ce1, 101, ip4(172, 16, 0, 5), ip4(10, 1, 0, 10), 1, 2,
		  64, 0));
	assert_int_equal(run(c, P_DC), 1);
	/* a table change under the view's override does not leak through */
	entry(c, NULL, "10.1.0.0/24", "vpc-a", 2, NULL, 0);
	prefix_parse(&a, "10.1.0.10/32", true);
	assert_int_equal(fwd_route_lookup(c->f, "vpc-b", &a, 0, nh, sizeof(nh)),
			 0);
	assert_string_equal(nh, "");
	/* a new table route appears in the view too */
	entry(c, NULL, "192.168.0.0/16", "vbr-2", 1, NULL, 0);
	prefix_parse(&a, "192.168.1.1/32", true);
	fwd_route_lookup(c->f, "vpc-b", &a, 0, nh, sizeof(nh));
	assert_string_equal(nh, "vbr-2");
	/* the override goes: vpc-b follows its table again */
	entry(c, "vpc-b", "10.1.0.0/24", NULL, 0, NULL, 0);
	prefix_parse(&a, "10.1.0.10/32", true);
	fwd_route_lookup(c->f, "vpc-b", &a, 0, nh, sizeof(nh));
	assert_string_equal(nh, "vpc-a");
	clear(c);
	push(c, fr,
	     udp4(fr, mac_hb, 0, ip4(10, 2, 0, 10), ip4(10, 1, 0, 10), 1, 2, 64,
		  0));
	assert_int_equal(run(c, P_B), 1);
	assert_int_equal(captured(c, P_A), 1);
}

/* TTL 1: dropped, and an ICMP time exceeded goes back to the sender from
 * the gateway; no route: an ICMP unreachable. */
static void
test_ttl_and_no_route(void **state)
{
	struct ctx *c = *state;
	struct pkt_info pi;
	enum pkt_verdict v;
	const uint8_t *out;
	uint8_t fr[256];

	push(c, fr,
	     udp4(fr, mac_ha, 0, ip4(10, 1, 0, 10), ip4(172, 16, 0, 5), 1, 2, 1,
		  10));
	assert_int_equal(run(c, P_A), 0);
	assert_int_equal(captured(c, P_DC), 0);
	assert_int_equal(captured(c, P_A), 1);
	out = frame_at(c, P_A, 0, &pi, &v);
	assert_int_equal(v, PKT_OK);
	assert_int_equal(pi.proto, PKT_IPPROTO_ICMP);
	assert_int_equal(pi.src4, ip4(10, 1, 0, 1));
	assert_int_equal(pi.dst4, ip4(10, 1, 0, 10));
	assert_int_equal(out[pi.l4_off], PKT_ICMP4_TIME_EXCEEDED);
	assert_memory_equal(out, mac_ha, 6);
	clear(c);
	c->now += 10000000; /* past the ICMP rate limit */
	push(c, fr,
	     udp4(fr, mac_ha, 0, ip4(10, 1, 0, 10), ip4(8, 8, 8, 8), 1, 2, 64,
		  10));
	assert_int_equal(run(c, P_A), 0);
	assert_int_equal(captured(c, P_A), 1);
	out = frame_at(c, P_A, 0, &pi, &v);
	assert_int_equal(out[pi.l4_off], PKT_ICMP4_UNREACH);
	assert_int_equal(atomic_load(&c->f->stats[fwd_name_find(c->f, "vpc-a")]
					      .drops[FWD_DROP_NO_ROUTE]),
			 1);
}

/* ARP for the gateway is answered with the port's MAC; an unknown VLAN
 * and malformed frames are counted and dropped. */
static void
test_arp_and_bad_input(void **state)
{
	struct ctx *c = *state;
	struct pkt_info pi;
	struct pkt_arp arp;
	enum pkt_verdict v;
	const uint8_t *out;
	uint8_t fr[256], us[6];
	int n;

	n = pkt_arp_build(fr, sizeof(fr), 0, 1, mac_ha, ip4(10, 1, 0, 10), NULL,
			  ip4(10, 1, 0, 1), NULL);
	push(c, fr, (size_t)n);
	run(c, P_A);
	assert_int_equal(captured(c, P_A), 1);
	out = frame_at(c, P_A, 0, &pi, &v);
	assert_int_equal(v, PKT_ARP);
	assert_int_equal(pkt_arp_parse(out, 60, &pi, &arp), 0);
	assert_int_equal(arp.op, 2);
	io_port_mac(fwd_port(c->f, P_A), us);
	assert_memory_equal(arp.sha, us, 6);
	assert_int_equal(arp.spa, ip4(10, 1, 0, 1));
	/* ARP for someone else: no answer */
	clear(c);
	n = pkt_arp_build(fr, sizeof(fr), 0, 1, mac_ha, ip4(10, 1, 0, 10), NULL,
			  ip4(10, 1, 0, 77), NULL);
	push(c, fr, (size_t)n);
	run(c, P_A);
	assert_int_equal(captured(c, P_A), 0);
	/* VLAN 999 is nobody's */
	push(c, fr,
	     udp4(fr, mac_ce1, 999, ip4(172, 16, 0, 5), ip4(10, 1, 0, 10), 1, 2,
		  64, 0));
	run(c, P_DC);
	assert_int_equal(atomic_load(&c->f->drops[FWD_DROP_NO_ATTACHMENT]), 1);
	/* every truncation of a good frame, and garbage */
	n = (int)udp4(fr, mac_ha, 0, ip4(10, 1, 0, 10), ip4(172, 16, 0, 5), 1,
		      2, 64, 30);
	for (int len = 0; len < n; len++) {
		push(c, fr, (size_t)len);
		run(c, P_A);
	}
	for (int i = 0; i < 2000; i++) {
		uint8_t junk[128];

		for (size_t k = 0; k < sizeof(junk); k++)
			junk[k] = (uint8_t)(rand() >> 7);
		push(c, junk, (size_t)(rand() % (int)sizeof(junk)));
		run(c, (uint16_t)(i % 3));
	}
	/* everything above 0..n-1 except the whole frame was short */
	assert_int_equal(captured(c, P_DC), 0);
}

/* The VBR's 100 Mbit/s: 300 Mbit/s offered from many flows passes at
 * 100 Mbit/s within 2%; one flow towards the 1200 Mbit/s VBR is held to
 * 100 Mbit/s (1/12). */
static void
test_meters(void **state)
{
	struct ctx *c = *state;
	uint64_t start = c->now, bytes_out = 0;
	const uint64_t pkt_ns = 1000000000ull * 1500 * 8 / 300000000ull;
	uint8_t fr[1600];
	struct pkt_info pi;
	enum pkt_verdict v;

	/* only vbr-1 */
	entry(c, NULL, "172.16.0.0/12", "vbr-1", 1, NULL, 0);
	for (unsigned i = 0; c->now - start < 2000000000ull; i++) {
		push(c, fr,
		     udp4(fr, mac_ha, 0, ip4(10, 1, 0, 10),
			  ip4(172, 16, 1, (uint8_t)i), (uint16_t)i, 9, 64,
			  1500 - 28));
		run(c, P_A);
		c->now += pkt_ns;
		if (captured(c, P_DC) > 0) {
			frame_at(c, P_DC, 0, &pi, &v);
			bytes_out += pi.ip_len * captured(c, P_DC);
			clear(c);
		}
	}
	/* bits per second over the 2 s, the first burst aside */
	assert_in_range(bytes_out * 8 / 2, 98000000, 104000000);
	assert_true(atomic_load(&c->f->stats[fwd_name_find(c->f, "vpc-a")]
					 .drops[FWD_DROP_METER]) > 0);

	/* one 5-tuple to vbr-2 (1200 Mbit/s) offered 300 Mbit/s */
	entry(c, NULL, "172.16.0.0/12", "vbr-2", 1, NULL, 0);
	start = c->now;
	bytes_out = 0;
	while (c->now - start < 2000000000ull) {
		push(c, fr,
		     udp4(fr, mac_ha, 0, ip4(10, 1, 0, 10), ip4(172, 16, 1, 1),
			  5001, 5201, 64, 1500 - 28));
		run(c, P_A);
		c->now += pkt_ns;
		if (captured(c, P_DC) > 0) {
			frame_at(c, P_DC, 0, &pi, &v);
			bytes_out += pi.ip_len * captured(c, P_DC);
			clear(c);
		}
	}
	assert_in_range(bytes_out * 8 / 2, 98000000, 104000000);
	assert_true(atomic_load(&c->f->stats[fwd_name_find(c->f, "vpc-a")]
					 .drops[FWD_DROP_FLOW_CAP]) > 0);
}

/* Health check of vbr-1 (every 2 s, threshold 3): probes go out on VLAN
 * 101 from 100.96.0.10 to the CE; unanswered, the VBR is reported down
 * after the third miss; an answer brings it up. */
static void
test_health_check(void **state)
{
	struct ctx *c = *state;
	struct fwd_health_event ev[4];
	struct pkt_info pi;
	enum pkt_verdict v;
	const uint8_t *out;
	struct pkt_echo e;
	uint8_t fr[256], us[6];
	size_t n = 0;
	int len;

	for (int i = 0; i < 4; i++) {
		rcu_read_lock();
		fwd_timers(c->f, c->now);
		rcu_read_unlock();
		c->now += 2000000000ull;
		n += fwd_health_events(c->f, ev + n, 4 - n);
	}
	assert_int_equal(captured(c, P_DC), 4);
	out = frame_at(c, P_DC, 3, &pi, &v);
	assert_int_equal(v, PKT_OK);
	assert_int_equal(pi.vlan, 101);
	assert_int_equal(pi.src4, ip4(100, 96, 0, 10));
	assert_int_equal(pi.dst4, ip4(10, 10, 10, 2));
	assert_memory_equal(out, mac_ce1, 6);
	assert_int_equal(n, 1);
	assert_string_equal(ev[0].attachment, "vbr-1");
	assert_false(ev[0].up);

	/* the CE answers the last probe */
	assert_int_equal(pkt_echo_parse(out, 200, &pi, &e), 0);
	io_port_mac(fwd_port(c->f, P_DC), us);
	{
		struct pkt_l2 l2 = { .vlan = 101 };

		memcpy(l2.dst, us, 6);
		memcpy(l2.src, mac_ce1, 6);
		len = pkt_echo4_build(fr, sizeof(fr), &l2, ip4(10, 10, 10, 2),
				      ip4(100, 96, 0, 10), e.id, e.seq, NULL,
				      8);
		assert_true(len > 0);
		/* make it a reply: type 0, checksum fixed */
		fr[18 + 20] = 0;
		pkt_put16(fr + 18 + 22, 0);
		pkt_put16(fr + 18 + 22,
			  pkt_inet_csum(fr + 18 + 20, (size_t)len - 38));
	}
	push(c, fr, (size_t)len);
	run(c, P_DC);
	n = fwd_health_events(c->f, ev, 4);
	assert_int_equal(n, 1);
	assert_true(ev[0].up);
	assert_int_equal(
		atomic_load(&c->f->health[fwd_name_find(c->f, "vbr-1")].misses),
		0);
}

/* Groups are shared and freed with their last entry. */
static void
test_groups_refcount(void **state)
{
	struct ctx *c = *state;
	size_t groups = c->f->nhg_map.count;

	entry(c, NULL, "192.168.1.0/24", "vbr-1", 7, "vbr-2", 9);
	entry(c, NULL, "192.168.2.0/24", "vbr-1", 7, "vbr-2", 9);
	assert_int_equal(c->f->nhg_map.count, groups + 1);
	entry(c, NULL, "192.168.1.0/24", NULL, 0, NULL, 0);
	assert_int_equal(c->f->nhg_map.count, groups + 1);
	entry(c, NULL, "192.168.2.0/24", NULL, 0, NULL, 0);
	assert_int_equal(c->f->nhg_map.count, groups);
}

/* A VXLAN frame from the peer forwarder carrying inner (an Ethernet
 * frame of n bytes) with vni. */
static size_t
vxlan_from_peer(uint8_t *out, uint32_t vni, const uint8_t *inner, size_t n)
{
	uint8_t *ip = out + 14, *udp = ip + 20, *vx = udp + 8;
	uint8_t us[6];

	memset(out, 0, 14 + 20 + 16);
	memset(us, 0x0e, 6);
	pkt_l2_write(out, us, mac_peer, 0, PKT_ETH_P_IP);
	ip[0] = 0x45;
	pkt_put16(ip + 2, (uint16_t)(20 + 16 + n));
	ip[8] = 64;
	ip[9] = PKT_IPPROTO_UDP;
	pkt_put32(ip + 12, ip4(192, 168, 100, 2));
	pkt_put32(ip + 16, ip4(192, 168, 100, 1));
	pkt_put16(ip + 10, pkt_ip4_csum(ip));
	pkt_put16(udp, 50000);
	pkt_put16(udp + 2, 4789);
	pkt_put16(udp + 4, (uint16_t)(16 + n));
	pkt_put32(vx, 0x08000000u);
	pkt_put32(vx + 4, vni << 8);
	memcpy(vx + 8, inner, n);
	return 14 + 20 + 16 + n;
}

/* Another region's prefix goes over the backbone: VXLAN to the peer
 * forwarder with the VNI of that region's system table; what comes back
 * is decapsulated and forwarded by this region's table; unknown VNIs and
 * peers are dropped, and nothing from the backbone goes back on it. */
static void
test_backbone(void **state)
{
	struct ctx *c = *state;
	struct pkt_info pi, in;
	enum pkt_verdict v;
	const uint8_t *out;
	uint8_t fr[256], vx[512];
	size_t n;

	entry(c, NULL, "10.9.0.0/24", "region:r2", 1, NULL, 0);
	push(c, fr,
	     udp4(fr, mac_ha, 0, ip4(10, 1, 0, 10), ip4(10, 9, 0, 5), 7, 8, 64,
		  20));
	assert_int_equal(run(c, P_A), 1);
	assert_int_equal(captured(c, P_BB), 1);
	out = frame_at(c, P_BB, 0, &pi, &v);
	assert_int_equal(v, PKT_OK);
	assert_memory_equal(out, mac_peer, 6);
	assert_int_equal(pi.proto, PKT_IPPROTO_UDP);
	assert_int_equal(pi.dport, 4789);
	assert_int_equal(pi.src4, ip4(192, 168, 100, 1));
	assert_int_equal(pi.dst4, ip4(192, 168, 100, 2));
	assert_int_equal(pkt_get32(out + pi.l4_off + 12) >> 8,
			 fwd_vni_of("cen-t", "rt-r2"));
	assert_int_equal(
		pkt_parse(out + pi.l4_off + 16, pi.ip_len - 20 - 16, &in),
		PKT_OK);
	assert_int_equal(in.dst4, ip4(10, 9, 0, 5));
	assert_int_equal(in.ttl, 63);

	/* too big for the underlay (1500 less 50): with DF, the sender
	 * learns the MTU */
	clear(c);
	c->now += 10000000;
	{
		static uint8_t big[1600];

		n = udp4(big, mac_ha, 0, ip4(10, 1, 0, 10), ip4(10, 9, 0, 5), 7,
			 8, 64, 1480 - 28);
		big[14 + 6] = 0x40;
		pkt_put16(big + 14 + 10, 0);
		pkt_put16(big + 14 + 10, pkt_ip4_csum(big + 14));
		push(c, big, n);
	}
	assert_int_equal(run(c, P_A), 0);
	assert_int_equal(captured(c, P_BB), 0);
	assert_int_equal(captured(c, P_A), 1);
	out = frame_at(c, P_A, 0, &pi, &v);
	assert_int_equal(out[pi.l4_off], PKT_ICMP4_UNREACH);
	assert_int_equal(out[pi.l4_off + 1], PKT_ICMP4_UNREACH_NEEDFRAG);
	assert_int_equal(pkt_get16(out + pi.l4_off + 6), 1450);

	/* from the peer, for vpc-a, by this region's system table */
	clear(c);
	n = udp4(fr, mac_peer, 0, ip4(10, 9, 0, 5), ip4(10, 1, 0, 10), 8, 7, 63,
		 20);
	push(c, vx, vxlan_from_peer(vx, fwd_vni_of("cen-t", "rt-sys"), fr, n));
	assert_int_equal(run(c, P_BB), 1);
	assert_int_equal(captured(c, P_A), 1);
	out = frame_at(c, P_A, 0, &pi, &v);
	assert_int_equal(v, PKT_OK);
	assert_memory_equal(out, mac_ha, 6);
	assert_int_equal(pi.ttl, 62);
	/* an unknown VNI; a frame from a stranger; back to the backbone */
	push(c, vx, vxlan_from_peer(vx, 12345, fr, n));
	assert_int_equal(run(c, P_BB), 0);
	n = udp4(fr, mac_peer, 0, ip4(10, 9, 0, 5), ip4(10, 9, 0, 6), 8, 7, 63,
		 20);
	push(c, vx, vxlan_from_peer(vx, fwd_vni_of("cen-t", "rt-sys"), fr, n));
	assert_int_equal(run(c, P_BB), 0);
	{
		struct fwd_att_stats *st =
			&c->f->stats[fwd_name_find(c->f, "r2")];

		assert_int_equal(atomic_load(&st->drops[FWD_DROP_UNKNOWN_VNI]),
				 1);
		assert_int_equal(atomic_load(&st->drops[FWD_DROP_BB_LOOP]), 1);
	}
}

/* The connection between the regions (50 Mbit/s) is shaped: 100 Mbit/s
 * offered comes out at 50 within 2%, later rather than dropped as long as
 * the queue holds it, and the excess is dropped once it is full. */
static void
test_backbone_shaping(void **state)
{
	struct ctx *c = *state;
	const uint64_t pkt_ns = 1000000000ull * 1000 * 8 / 100000000ull;
	uint64_t start, bytes = 0;
	struct pkt_info pi;
	enum pkt_verdict v;
	uint8_t fr[1200];

	entry(c, NULL, "10.9.0.0/24", "region:r2", 1, NULL, 0);
	start = c->now;
	for (unsigned i = 0; c->now - start < 4000000000ull; i++) {
		push(c, fr,
		     udp4(fr, mac_ha, 0, ip4(10, 1, 0, 10), ip4(10, 9, 0, 5),
			  (uint16_t)i, 9, 64, 1000 - 28 - 50));
		run(c, P_A);
		c->now += pkt_ns;
		if (i % 16 == 0) {
			rcu_read_lock();
			fwd_timers(c->f, c->now);
			rcu_read_unlock();
		}
		if (captured(c, P_BB) > 0) {
			for (size_t k = 0; k < captured(c, P_BB); k++) {
				frame_at(c, P_BB, k, &pi, &v);
				/* the first second aside (the queue fills) */
				if (c->now - start >= 1000000000ull)
					bytes += pi.ip_len;
			}
			clear(c);
		}
	}
	assert_in_range(bytes * 8 / 3, 49000000, 51500000);
	assert_true(atomic_load(&c->f->stats[fwd_name_find(c->f, "vpc-a")]
					 .drops[FWD_DROP_SHAPER]) > 0);
}

/* An IPv6/UDP frame into out. */
static size_t
udp6(uint8_t *out, const uint8_t src_mac[6], const char *src, const char *dst,
     uint8_t hops, size_t payload)
{
	uint8_t dmac[6], *ip = out + 14;
	struct prefix a, b;

	memset(dmac, 0x0e, 6);
	pkt_l2_write(out, dmac, src_mac, 0, PKT_ETH_P_IPV6);
	assert_int_equal(prefix_parse_addr(&a, src), 0);
	assert_int_equal(prefix_parse_addr(&b, dst), 0);
	memset(ip, 0, 48 + payload);
	ip[0] = 0x60;
	pkt_put16(ip + 4, (uint16_t)(8 + payload));
	ip[6] = PKT_IPPROTO_UDP;
	ip[7] = hops;
	memcpy(ip + 8, a.addr.v6, 16);
	memcpy(ip + 24, b.addr.v6, 16);
	pkt_put16(ip + 40, 4000);
	pkt_put16(ip + 42, 5000);
	pkt_put16(ip + 44, (uint16_t)(8 + payload));
	pkt_put16(ip + 46, pkt_ip6_l4_csum(ip + 8, ip + 24, PKT_IPPROTO_UDP,
					   ip + 40, 8 + payload));
	return 14 + 40 + 8 + payload;
}

/* IPv6: neighbour discovery for the gateway (the default gateway is the
 * first host of the vSwitch CIDR), a solicitation for an unknown next
 * hop, and forwarding once the neighbour is known. */
static void
test_ipv6(void **state)
{
	struct ctx *c = *state;
	struct prefix gw, host_a, host_b;
	struct pkt_info pi;
	struct pkt_nd nd;
	enum pkt_verdict v;
	const uint8_t *out;
	uint8_t fr[256], us[6];
	int n;

	prefix_parse_addr(&gw, "2001:db8:2::1");
	prefix_parse_addr(&host_b, "2001:db8:2::10");
	prefix_parse_addr(&host_a, "2001:db8:1::10");
	entry(c, NULL, "2001:db8:1::/64", "vpc-a", 1, NULL, 0);
	/* vpc-b's host asks for its gateway */
	n = pkt_nd_ns_build(fr, sizeof(fr), 0, mac_hb, host_b.addr.v6,
			    gw.addr.v6, NULL);
	assert_true(n > 0);
	push(c, fr, (size_t)n);
	run(c, P_B);
	assert_int_equal(captured(c, P_B), 1);
	out = frame_at(c, P_B, 0, &pi, &v);
	assert_int_equal(v, PKT_ND);
	assert_int_equal(pkt_nd_parse(out, 200, &pi, &nd), 0);
	assert_int_equal(nd.type, PKT_ICMP6_ND_NA);
	assert_memory_equal(nd.target, gw.addr.v6, 16);
	io_port_mac(fwd_port(c->f, P_B), us);
	assert_memory_equal(nd.lladdr, us, 6);
	assert_memory_equal(out, mac_hb, 6);
	/* to vpc-a's host, not yet known: dropped, and a solicitation for
	 * it goes out on vpc-a's port */
	clear(c);
	push(c, fr,
	     udp6(fr, mac_hb, "2001:db8:2::10", "2001:db8:1::10", 64, 10));
	assert_int_equal(run(c, P_B), 0);
	assert_int_equal(captured(c, P_A), 1);
	out = frame_at(c, P_A, 0, &pi, &v);
	assert_int_equal(v, PKT_ND);
	assert_int_equal(pkt_nd_parse(out, 200, &pi, &nd), 0);
	assert_int_equal(nd.type, PKT_ICMP6_ND_NS);
	assert_memory_equal(nd.target, host_a.addr.v6, 16);
	/* the host answers; the next packet goes through */
	clear(c);
	n = pkt_nd_na_build(fr, sizeof(fr), 0, mac_ha, host_a.addr.v6, us,
			    gw.addr.v6, host_a.addr.v6,
			    PKT_NA_F_SOLICITED | PKT_NA_F_OVERRIDE);
	assert_true(n > 0);
	push(c, fr, (size_t)n);
	run(c, P_A);
	c->now += 2000000000ull;
	push(c, fr,
	     udp6(fr, mac_hb, "2001:db8:2::10", "2001:db8:1::10", 64, 10));
	assert_int_equal(run(c, P_B), 1);
	assert_int_equal(captured(c, P_A), 1);
	out = frame_at(c, P_A, 0, &pi, &v);
	assert_int_equal(v, PKT_OK);
	assert_int_equal(pi.family, 6);
	assert_int_equal(pi.ttl, 63);
	assert_memory_equal(out, mac_ha, 6);
	/* hop limit 1: time exceeded from the gateway */
	clear(c);
	c->now += 10000000;
	push(c, fr,
	     udp6(fr, mac_hb, "2001:db8:2::10", "2001:db8:1::10", 1, 10));
	assert_int_equal(run(c, P_B), 0);
	assert_int_equal(captured(c, P_B), 1);
	out = frame_at(c, P_B, 0, &pi, &v);
	assert_int_equal(v, PKT_OK);
	assert_int_equal(pi.proto, PKT_IPPROTO_ICMPV6);
	assert_int_equal(out[pi.l4_off], PKT_ICMP6_TIME_EXCEEDED);
	assert_memory_equal(pi.src6, gw.addr.v6, 16);
}

/* A pay-by-data-transfer connection is metered, not shaped: everything
 * offered goes (and its bytes are counted) until the cap, then nothing. */
static void
test_backbone_transfer(void **state)
{
	struct ctx *c = *state;
	char *yaml = malloc(strlen(model_yaml) + 64), *at;
	struct fwd_att_meters *m;
	struct meter_totals t;
	struct cen_err err;
	struct model mo;
	uint8_t fr[1200];
	size_t sent = 0;

	/* the same model, the connection paid by transfer, capped */
	strcpy(yaml, model_yaml);
	at = strstr(yaml, "bandwidth_mbps: 50}");
	assert_non_null(at);
	strcpy(at, "bandwidth_mbps: 50, pay_by_data_transfer: true, "
		   "cap_bytes: 100000}\n");
	model_init(&mo);
	assert_int_equal(model_yaml_parse(&mo, yaml, strlen(yaml), &err), 0);
	assert_int_equal(fwd_set_model(c->f, &mo, &err), 0);
	model_free(&mo);
	free(yaml);
	entry(c, NULL, "10.9.0.0/24", "region:r2", 1, NULL, 0);
	/* 200 packets of 1000 bytes within a millisecond: far over 50
	 * Mbit/s, but nothing is shaped; the cap stops them at 100 kB */
	for (unsigned i = 0; i < 200; i++) {
		push(c, fr,
		     udp4(fr, mac_ha, 0, ip4(10, 1, 0, 10), ip4(10, 9, 0, 5),
			  (uint16_t)i, 9, 64, 1000 - 28 - 50));
		sent += run(c, P_A);
		c->now += 5000;
	}
	m = &c->f->meters[fwd_name_find(c->f, "r2")];
	assert_true(atomic_load(&m->bb_ready));
	assert_true(m->bb_transfer);
	meter_stats_get_totals(&m->bb.stats, &t);
	assert_int_equal(t.pass_pkts, sent);
	assert_true(t.pass_bytes <= 100000 && t.pass_bytes > 100000 - 1100);
	assert_int_equal(captured(c, P_BB), sent);
	assert_true(atomic_load(&c->f->stats[fwd_name_find(c->f, "vpc-a")]
					 .drops[FWD_DROP_TRANSFER_CAP]) > 0);
	assert_int_equal(atomic_load(&c->f->stats[fwd_name_find(c->f, "vpc-a")]
					      .drops[FWD_DROP_SHAPER]),
			 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_forward_vpc_to_vbr, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ecmp_weights, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_view_isolation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ttl_and_no_route, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_arp_and_bad_input, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_meters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_health_check, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_groups_refcount, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_backbone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backbone_transfer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_backbone_shaping, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
