/*
 * fuzz_fwd.c - libFuzzer target for the forwarder's whole packet path
 * (dataplane/fwd_worker.c, fwd_neigh.c): frames from anywhere, on any
 * port, through fwd_process_burst of a forwarder with a FIB, views,
 * neighbours, meters, health checks and a backbone — on in-memory ports.
 *
 * An input is a list of frames: a byte picks the port (its low two bits)
 * and whether the clock moves on or the timers run (high bits), two bytes
 * give the length, then the frame.  With a byte's bit 6 set, the frame is
 * a good one (a UDP packet from that port's host, an ARP, a VXLAN packet
 * from the backbone peer) with the input's bytes XORed over it, so the
 * fuzzer starts deep without a corpus.  Whatever comes in, the forwarder
 * must neither crash nor read or write outside its buffers, and every
 * frame it sends must parse.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <urcu.h>

#include "core/model_yaml.h"
#include "dataplane/fwd_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char model_yaml[] =
	"cen: {id: cen-f, asn: 45104}\n"
	"regions:\n"
	"  - id: r1\n"
	"    route_tables: [{id: rt-sys, system: true}]\n"
	"  - id: r2\n"
	"    route_tables: [{id: rt-r2, system: true}]\n"
	"physical_connections:\n"
	"  - {id: pc-1, region: r1, access_point: ap, speed_gbps: 10}\n"
	"attachments:\n"
	"  - {id: vpc-a, type: VPC, region: r1, vswitch_cidrs: [10.1.0.0/24, "
	"'2001:db8:1::/64']}\n"
	"  - {id: vbr-1, type: VBR, region: r1, physical_connection: pc-1,\n"
	"     vlan: 101, bandwidth_mbps: 2, local_ip: 10.10.10.1/30,\n"
	"     peer_ip: 10.10.10.2,\n"
	"     health_check: {source_ip: 100.96.0.10, target_ip: 10.10.10.2,\n"
	"                    interval_s: 2, threshold: 3}}\n"
	"bandwidth_packages:\n"
	"  - id: bwp-1\n"
	"    regions: [r1, r2]\n"
	"    bandwidth_mbps: 10\n"
	"    connections:\n"
	"      - {regions: [r1, r2], bandwidth_mbps: 1}\n";

static const char fwd_yaml[] =
	"id: fwd-f\n"
	"region: r1\n"
	"cluster: [127.0.0.1:1]\n"
	"io: memory\n"
	"ports:\n"
	"  - interface: pa\n"
	"    attachment: vpc-a\n"
	"  - interface: pdc\n"
	"    vlans:\n"
	"      - attachment: vbr-1\n"
	"  - interface: pbb\n"
	"    backbone:\n"
	"      address: 192.168.100.1/24\n"
	"      peers:\n"
	"        - {region: r2, address: 192.168.100.2}\n";

static struct fwdconf conf;
static struct fwd *fwd;
static uint64_t now = 1000000000ull;

static void
route(const char *view, const char *pfx, uint8_t kind, const char *id)
{
	struct fibmsg_entry e;

	memset(&e, 0, sizeof(e));
	strcpy(e.region, "r1");
	strcpy(e.table, "rt-sys");
	strcpy(e.view, view);
	prefix_parse(&e.prefix, pfx, true);
	if (kind == 0) {
		e.no_route = true;
	} else {
		e.n = 1;
		e.nh[0].kind = kind;
		e.nh[0].weight = 1;
		if (id != NULL)
			strcpy(e.nh[0].id, id);
	}
	fwd_fib_change(fwd, &e);
}

static void
setup(void)
{
	struct cen_err err;
	struct model m;
	struct prefix p;
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };

	rcu_register_thread();
	fwdconf_init(&conf);
	if (fwdconf_parse(&conf, fwd_yaml, strlen(fwd_yaml), &err))
		abort();
	conf.mem_capture = 256;
	if (fwd_new(&conf, &fwd, &err))
		abort();
	model_init(&m);
	if (model_yaml_parse(&m, model_yaml, strlen(model_yaml), &err) ||
	    fwd_set_model(fwd, &m, &err))
		abort();
	model_free(&m);
	route("", "0.0.0.0/0", ENGINE_NH_ATTACHMENT, "vbr-1");
	route("", "10.1.0.0/24", ENGINE_NH_ATTACHMENT, "vpc-a");
	route("", "10.9.0.0/16", ENGINE_NH_REGION, "r2");
	route("", "10.66.0.0/16", ENGINE_NH_BLACKHOLE, NULL);
	route("", "::/0", ENGINE_NH_ATTACHMENT, "vbr-1");
	route("", "2001:db8:1::/64", ENGINE_NH_ATTACHMENT, "vpc-a");
	route("vpc-a", "10.9.0.0/16", 0, NULL);
	prefix_parse_addr(&p, "10.10.10.2");
	fwd_neigh_learn(fwd, 1, 101, &p, mac, now);
	prefix_parse_addr(&p, "192.168.100.2");
	fwd_neigh_learn(fwd, 2, 0, &p, mac, now);
	prefix_parse_addr(&p, "10.1.0.10");
	fwd_neigh_learn(fwd, 0, 0, &p, mac, now);
}

/* A good frame of kind k into out; returns its length. */
static size_t
good(uint8_t *out, unsigned k)
{
	static const uint8_t src[6] = { 2, 0, 0, 0, 0, 9 };
	static const uint8_t dst[6] = { 2, 0, 0, 0, 0, 1 };
	uint16_t vlan = k == 1 ? 101 : 0;
	size_t l2 = pkt_l2_write(out, dst, src, vlan, PKT_ETH_P_IP);
	uint8_t *ip = out + l2;
	size_t inner = 0;

	if (k == 3)
		return (size_t)pkt_arp_build(
			out, 128, 0, 1, src, (10u << 24) | (1u << 16) | 10,
			NULL, (10u << 24) | (1u << 16) | 1, NULL);
	memset(ip, 0, 200);
	ip[0] = 0x45;
	ip[8] = 64;
	ip[9] = PKT_IPPROTO_UDP;
	if (k == 2) {
		/* VXLAN from the backbone peer around a UDP packet */
		inner = 14 + 28 + 16;
		pkt_put32(ip + 12,
			  (192u << 24) | (168u << 16) | (100u << 8) | 2);
		pkt_put32(ip + 16,
			  (192u << 24) | (168u << 16) | (100u << 8) | 1);
		pkt_put16(ip + 20, 40000);
		pkt_put16(ip + 22, FWD_VXLAN_PORT);
		pkt_put16(ip + 24, (uint16_t)(8 + 8 + inner));
		pkt_put32(ip + 28, 0x08000000u);
		pkt_put32(ip + 32, fwd_vni_of("cen-f", "rt-sys") << 8);
		good(ip + 36, 0);
		pkt_put16(ip + 2, (uint16_t)(20 + 16 + inner));
		pkt_put16(ip + 10, pkt_ip4_csum(ip));
		return l2 + 20 + 16 + inner;
	}
	pkt_put16(ip + 2, 28 + 16);
	pkt_put32(ip + 12, (10u << 24) | (1u << 16) | 10);
	pkt_put32(ip + 16, (10u << 24) | (9u << 16) | 5);
	pkt_put16(ip + 10, pkt_ip4_csum(ip));
	pkt_put16(ip + 20, 1234);
	pkt_put16(ip + 22, 80);
	pkt_put16(ip + 24, 8 + 16);
	return l2 + 28 + 16;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[FWD_BURST][64 + 2048];
	struct io_pkt pkts[FWD_BURST];
	size_t n = 0;
	uint8_t port = 0;

	if (fwd == NULL)
		setup();
	while (size >= 3 && n < FWD_BURST) {
		uint8_t ctl = data[0];
		size_t len = (size_t)data[1] << 8 | data[2];
		uint8_t *fr = buf[n] + 64;

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		if (len > 2048)
			len = 2048;
		port = ctl & 3;
		if (port > 2)
			port = 2;
		if (ctl & 0x40) {
			size_t g = good(fr, (ctl >> 2) & 3);

			for (size_t i = 0; i < len && i < g; i++)
				fr[i] ^= data[i];
			len = g;
		} else {
			memcpy(fr, data, len);
		}
		data += len < size ? len : size;
		size -= len < size ? len : size;
		pkts[n].data = fr;
		pkts[n].len = (uint32_t)len;
		pkts[n].port = port;
		pkts[n].headroom = 64;
		rcu_read_lock();
		fwd_process_burst(fwd, port, &pkts[n], 1, now);
		if (ctl & 0x80) {
			now += 700000000ull;
			fwd_timers(fwd, now);
		}
		rcu_read_unlock();
		n++;
	}
	/* everything sent parses */
	for (uint16_t p = 0; p < fwd_nports(fwd); p++) {
		struct io_port *io = fwd_port(fwd, p);

		for (size_t i = 0; i < io_mem_captured(io); i++) {
			const uint8_t *fr;
			struct pkt_info pi;
			uint32_t len;
			enum pkt_verdict v;

			if (io_mem_capture(io, i, &fr, &len))
				abort();
			v = pkt_parse(fr, len, &pi);
			if (v != PKT_OK && v != PKT_ARP && v != PKT_ND)
				abort();
		}
		io_mem_capture_clear(io);
	}
	return 0;
}
