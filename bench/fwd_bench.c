/*
 * fwd_bench.c - the forwarder's packet path on one core, in memory: 64-byte
 * IPv4/UDP frames from a VPC's port through fwd_process_burst (parse,
 * ingress attachment, LPM in a table of 1,000,000 routes, weighted ECMP
 * on the 5-tuple hash, meters, TTL and checksum, neighbour, VLAN rewrite)
 * to in-memory ports that count what they are given.
 *
 * Two runs: "vpc-to-vpc" (one next hop, no meters) and "vpc-to-vbr"
 * (2-way ECMP over two 10 Gbit/s VBRs, each packet through the per-flow
 * cap and the VBR's policer, VLAN tag added).  The templates are 4096
 * frames to random addresses of the table (random flows, so the LPM is
 * not cache-hot by accident); receiving copies a template into the port's
 * buffer, as a NIC's DMA would have written it.
 *
 * Usage: fwd_bench [--routes N] [--seconds S] [--json]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu.h>

#include "core/model_yaml.h"
#include "dataplane/fwd_int.h"

#define TEMPLATES 4096

static const char model_yaml[] =
	"cen: {id: cen-b, asn: 45104}\n"
	"regions:\n"
	"  - id: r1\n"
	"    route_tables: [{id: rt-sys, system: true}]\n"
	"physical_connections:\n"
	"  - {id: pc-1, region: r1, access_point: ap, speed_gbps: 100}\n"
	"attachments:\n"
	"  - {id: vpc-a, type: VPC, region: r1, vswitch_cidrs: "
	"[10.1.0.0/24]}\n"
	"  - {id: vpc-b, type: VPC, region: r1, vswitch_cidrs: "
	"[10.2.0.0/24]}\n"
	"  - {id: vbr-1, type: VBR, region: r1, physical_connection: pc-1,\n"
	"     vlan: 101, bandwidth_mbps: 100000, local_ip: 10.10.10.1/30,\n"
	"     peer_ip: 10.10.10.2}\n"
	"  - {id: vbr-2, type: VBR, region: r1, physical_connection: pc-1,\n"
	"     vlan: 102, bandwidth_mbps: 100000, local_ip: 10.10.11.1/30,\n"
	"     peer_ip: 10.10.11.2}\n";

static const char fwd_yaml[] = "id: fwd-b\n"
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
			       "    vlans:\n"
			       "      - attachment: vpc-b\n"
			       "        vlan: 200\n"
			       "        gateway: 10.2.0.1/24\n"
			       "        next_hop: 10.2.0.254\n";

static uint64_t rng = 88172645463325252ull;

static uint64_t
xr(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, const struct cen_err *err)
{
	fprintf(stderr, "fwd_bench: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static void
route(struct fwd *f, uint32_t addr, unsigned len, bool vbr)
{
	struct fibmsg_entry e;

	memset(&e, 0, sizeof(e));
	strcpy(e.region, "r1");
	strcpy(e.table, "rt-sys");
	prefix_from_v4(&e.prefix, addr, (uint8_t)len);
	e.nh[0].kind = ENGINE_NH_ATTACHMENT;
	e.nh[0].weight = 1;
	if (vbr) {
		e.n = 2;
		strcpy(e.nh[0].id, "vbr-1");
		e.nh[1] = e.nh[0];
		strcpy(e.nh[1].id, "vbr-2");
	} else {
		e.n = 1;
		strcpy(e.nh[0].id, "vpc-b");
	}
	fwd_fib_change(f, &e);
}

static size_t
frame(uint8_t *out, const uint8_t dst_mac[6], uint32_t dst, uint16_t sport)
{
	static const uint8_t src_mac[6] = { 2, 0, 0, 0, 0, 0x0a };
	uint8_t *ip = out + 14;

	memset(out, 0, 64);
	memcpy(out, dst_mac, 6);
	memcpy(out + 6, src_mac, 6);
	pkt_put16(out + 12, PKT_ETH_P_IP);
	ip[0] = 0x45;
	pkt_put16(ip + 2, 46);
	ip[8] = 64;
	ip[9] = PKT_IPPROTO_UDP;
	pkt_put32(ip + 12, (10u << 24) | (1u << 16) | 10);
	pkt_put32(ip + 16, dst);
	pkt_put16(ip + 10, pkt_ip4_csum(ip));
	pkt_put16(ip + 20, sport);
	pkt_put16(ip + 22, 4789);
	pkt_put16(ip + 24, 26);
	return 64; /* 60 bytes of frame + the FCS a NIC would not hand us */
}

int
main(int argc, char **argv)
{
	uint32_t nroutes = 1000000;
	double seconds = 3;
	bool json = false;
	struct fwdconf conf;
	struct cen_err err;
	struct model m;
	struct fwd *f;
	static uint32_t addrs[2][TEMPLATES];
	const char *names[2] = { "vpc-to-vpc", "vpc-to-vbr" };
	double mpps[2];
	uint8_t mac_pa[6];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--routes") && i + 1 < argc)
			nroutes = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else {
			fprintf(stderr, "usage: fwd_bench [--routes N] "
					"[--seconds S] [--json]\n");
			return 2;
		}
	}
	rcu_register_thread();
	fwdconf_init(&conf);
	if (fwdconf_parse(&conf, fwd_yaml, strlen(fwd_yaml), &err))
		die("config", &err);
	if (fwd_new(&conf, &f, &err))
		die("forwarder", &err);
	model_init(&m);
	if (model_yaml_parse(&m, model_yaml, strlen(model_yaml), &err))
		die("model", &err);
	cen_err_clear(&err);
	fwd_set_model(f, &m, &err);
	model_free(&m);

	/* the table: random /16../24 prefixes outside 10/8; half to vpc-b,
	 * half to the two VBRs; the templates' destinations are in them */
	double t0 = now_s();
	for (uint32_t i = 0; i < nroutes; i++) {
		unsigned len = 16 + (unsigned)(xr() % 9);
		uint32_t a = (uint32_t)(xr() % (0xdf000000u - 0x0b000000u)) +
			     0x0b000000u;
		bool vbr = i & 1;

		a &= ~0u << (32 - len);
		route(f, a, len, vbr);
		if (i < 2 * TEMPLATES)
			addrs[vbr][i / 2] =
				a | (uint32_t)(xr() & ~(~0u << (32 - len)));
	}
	double load = now_s() - t0;
	/* neighbours: the CEs and vpc-b's next hop */
	{
		static const uint8_t mac[6] = { 2, 0, 0, 0, 0xce, 1 };
		struct prefix p;

		prefix_from_v4(&p, (10u << 24) | (10u << 16) | (10u << 8) | 2,
			       32);
		fwd_neigh_learn(f, 1, 101, &p, mac, fwd_now_ns());
		prefix_from_v4(&p, (10u << 24) | (10u << 16) | (11u << 8) | 2,
			       32);
		fwd_neigh_learn(f, 1, 102, &p, mac, fwd_now_ns());
		prefix_from_v4(&p, (10u << 24) | (2u << 16) | 254, 32);
		fwd_neigh_learn(f, 2, 200, &p, mac, fwd_now_ns());
	}
	io_port_mac(fwd_port(f, 0), mac_pa);

	for (int run = 0; run < 2; run++) {
		static uint8_t buf[TEMPLATES][64];
		const uint8_t *frames[TEMPLATES];
		uint32_t lens[TEMPLATES];
		struct io_port *in = fwd_port(f, 0);
		struct io_pkt pkts[FWD_BURST];
		struct io_port_stats before[3], after[3];
		uint64_t n = 0, sent = 0;
		double t;

		for (int i = 0; i < TEMPLATES; i++) {
			lens[i] = (uint32_t)frame(buf[i], mac_pa, addrs[run][i],
						  (uint16_t)(1024 + i));
			lens[i] = 60;
			frames[i] = buf[i];
		}
		if (io_mem_load(in, frames, lens, TEMPLATES))
			die("templates", NULL);
		for (int p = 0; p < 3; p++)
			io_port_stats(fwd_port(f, (uint16_t)p), &before[p]);
		t0 = now_s();
		do {
			for (int k = 0; k < 256; k++) {
				uint64_t ns = fwd_now_ns();
				size_t got;

				rcu_read_lock();
				got = io_rx_burst(in, pkts, FWD_BURST);
				sent += fwd_process_burst(f, 0, pkts, got, ns);
				rcu_read_unlock();
				io_rx_done(in);
				n += got;
			}
			t = now_s() - t0;
		} while (t < seconds);
		for (int p = 0; p < 3; p++)
			io_port_stats(fwd_port(f, (uint16_t)p), &after[p]);
		mpps[run] = (double)sent / t / 1e6;
		if (!json)
			printf("%-11s %10" PRIu64 " packets in %.2f s: "
			       "%.2f Mpps forwarded (%.1f ns/packet), "
			       "%.1f%% of those offered\n",
			       names[run], sent, t, mpps[run],
			       t * 1e9 / (double)n,
			       100.0 * (double)sent / (double)n);
	}
	if (json)
		printf("{\"routes\": %u, \"load_s\": %.3f, "
		       "\"vpc_to_vpc_mpps\": %.2f, \"vpc_to_vbr_mpps\": "
		       "%.2f}\n",
		       nroutes, load, mpps[0], mpps[1]);
	else
		printf("table of %u routes loaded in %.2f s (%.2f M/s)\n",
		       nroutes, load, nroutes / load / 1e6);
	fwd_free(f);
	fwdconf_free(&conf);
	rcu_unregister_thread();
	return 0;
}
