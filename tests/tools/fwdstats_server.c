/*
 * fwdstats_server.c - a stand-in for a forwarder's API in the tests of
 * `cenctl forwarder stats` (tests/integration/cenctl_fwdstats.sh): it
 * serves ForwarderAdmin/Stats (proto/forwarder.proto) with one fixed
 * answer that has something in every section, so the test can check each
 * column cenctl prints.
 *
 *   fwdstats_server ENDPOINT [--without-stats] [--lifetime S]
 *
 * It listens on ENDPOINT (port 0: any free port), prints the port it got
 * on stdout, and serves until SIGTERM or SIGINT, or for S seconds at most
 * (default 120) so that it cannot outlive a test that died.
 * --without-stats serves no method at all, as a cluster node answers a
 * forwarder's call.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "proto/forwarder.pb-c.h"
#include "proto/rpc.h"

#define STATS_METHOD "cend.v1.ForwarderAdmin/Stats"

static void
stats(struct rpc_call *call, const uint8_t *payload, size_t len, void *arg)
{
	Cend__V1__ForwarderStatsRequest *req;
	Cend__V1__PortStats p0 = CEND__V1__PORT_STATS__INIT,
			    p1 = CEND__V1__PORT_STATS__INIT;
	Cend__V1__PortStats *ports[] = { &p0, &p1 };
	Cend__V1__Counter d0 = CEND__V1__COUNTER__INIT,
			  d1 = CEND__V1__COUNTER__INIT,
			  d2 = CEND__V1__COUNTER__INIT,
			  g0 = CEND__V1__COUNTER__INIT,
			  g1 = CEND__V1__COUNTER__INIT;
	Cend__V1__Counter *adrops[] = { &d0, &d1, &d2 },
			  *gdrops[] = { &g0, &g1 };
	Cend__V1__AttachmentStats a0 = CEND__V1__ATTACHMENT_STATS__INIT,
				  a1 = CEND__V1__ATTACHMENT_STATS__INIT;
	Cend__V1__AttachmentStats *atts[] = { &a0, &a1 };
	Cend__V1__MeterStats m0 = CEND__V1__METER_STATS__INIT,
			     m1 = CEND__V1__METER_STATS__INIT;
	Cend__V1__MeterStats *meters[] = { &m0, &m1 };
	Cend__V1__HealthStats h0 = CEND__V1__HEALTH_STATS__INIT;
	Cend__V1__HealthStats *health[] = { &h0 };
	Cend__V1__NeighborStats n0 = CEND__V1__NEIGHBOR_STATS__INIT,
				n1 = CEND__V1__NEIGHBOR_STATS__INIT;
	Cend__V1__NeighborStats *nbs[] = { &n0, &n1 };
	Cend__V1__ForwarderStatsResponse r =
		CEND__V1__FORWARDER_STATS_RESPONSE__INIT;

	/* the request is empty, but must be one */
	req = cend__v1__forwarder_stats_request__unpack(NULL, len, payload);
	if (req == NULL) {
		rpc_reply_error(call, RPC_INVALID_ARGUMENT,
				"not a ForwarderStatsRequest");
		return;
	}
	cend__v1__forwarder_stats_request__free_unpacked(req, NULL);

	r.id = "fwd-hz-1";
	r.region = "cn-hangzhou";
	r.fib_version = 4242;
	r.fib_entries = 1337;
	r.endpoint = "127.0.0.1:7101";
	r.uptime_ms = 3723000; /* 01:02:03 */

	p0.interface = "hz-vpca";
	p0.link_up = 1;
	p0.rx_packets = 1500;
	p0.rx_bytes = 1500000;
	p0.tx_packets = 700;
	p0.tx_bytes = 70000;
	p0.io = "afpacket";
	p1.interface = "hz-dc";
	p1.link_up = 0;
	p1.rx_ring_drops = 17;
	p1.tx_errors = 3;
	p1.io = "afpacket";
	r.ports = ports;
	r.n_ports = 2;

	d0.name = "no-route";
	d0.value = 5;
	d1.name = "ttl";
	d1.value = 0; /* zero: not shown in the table */
	d2.name = "meter";
	d2.value = 9;
	a0.id = "vpc-bu-a";
	a0.interface = "hz-vpca";
	a0.rx_packets = 1500;
	a0.rx_bytes = 1500000;
	a0.tx_packets = 700;
	a0.tx_bytes = 70000;
	a0.drops = adrops;
	a0.n_drops = 3;
	a0.table = "rt-hz-sys";
	a1.id = "vbr-dc-1";
	a1.interface = "hz-dc";
	a1.vlan = 101;
	a1.table = "vbr-dc-1";
	r.attachments = atts;
	r.n_attachments = 2;

	m0.id = "vbr-dc-1";
	m0.kind = "vbr";
	m0.committed_bps = 100000000;
	m0.rate_bps = 25500000;
	m0.p95_bps = 1260000000;
	m0.passed_packets = 1000;
	m0.passed_bytes = 1200000;
	m0.dropped_packets = 12;
	m0.dropped_bytes = 18000;
	m0.queued_packets = 4;
	m1.id = "vbr-dc-1/flow";
	m1.kind = "flow-cap";
	m1.committed_bps = 8333333;
	m1.rate_bps = 950;
	r.meters = meters;
	r.n_meters = 2;

	h0.attachment = "vbr-dc-1";
	h0.source = "10.10.10.1";
	h0.target = "10.10.10.2";
	h0.interval_s = 2;
	h0.threshold = 8;
	h0.state = "down";
	h0.misses = 8;
	h0.sent = 100;
	h0.received = 92;
	h0.last_change_ms = 90061000; /* 1d01h */
	h0.reported = 1;
	r.health = health;
	r.n_health = 1;

	n0.interface = "hz-dc";
	n0.vlan = 101;
	n0.address = "10.10.10.2";
	n0.mac = "02:00:00:00:01:01";
	n0.age_ms = 12000;
	n1.interface = "hz-vpca";
	n1.address = "10.1.0.7";
	n1.mac = ""; /* unresolved */
	r.neighbors = nbs;
	r.n_neighbors = 2;

	g0.name = "no-attachment";
	g0.value = 21;
	g1.name = "bad-checksum";
	g1.value = 0;
	r.drops = gdrops;
	r.n_drops = 2;

	rpc_reply_msg(call, &r.base);
}

static const struct rpc_method with_stats[] = {
	{ STATS_METHOD, stats, NULL },
	{ NULL, NULL, NULL },
};
static const struct rpc_method without_stats[] = {
	{ NULL, NULL, NULL },
};

struct server {
	struct rpc_server *srv;
	uv_signal_t sigterm, sigint;
	uv_timer_t lifetime;
};

static void
stop(struct server *s)
{
	if (s->srv == NULL)
		return;
	rpc_server_close(s->srv);
	s->srv = NULL;
	uv_close((uv_handle_t *)&s->sigterm, NULL);
	uv_close((uv_handle_t *)&s->sigint, NULL);
	uv_close((uv_handle_t *)&s->lifetime, NULL);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	stop(h->data);
}

static void
on_lifetime(uv_timer_t *t)
{
	fprintf(stderr, "fwdstats_server: lifetime over, exiting\n");
	stop(t->data);
}

int
main(int argc, char **argv)
{
	const struct rpc_method *methods = with_stats;
	const char *endpoint = NULL;
	unsigned long lifetime = 120;
	struct server s = { 0 };
	struct cen_err err = { 0 };
	uv_loop_t loop;
	int port;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--without-stats") == 0)
			methods = without_stats;
		else if (strcmp(argv[i], "--lifetime") == 0 && i + 1 < argc)
			lifetime = strtoul(argv[++i], NULL, 10);
		else if (argv[i][0] != '-' && endpoint == NULL)
			endpoint = argv[i];
		else
			endpoint = NULL, i = argc;
	}
	if (endpoint == NULL || lifetime == 0) {
		fprintf(stderr, "usage: fwdstats_server ENDPOINT "
				"[--without-stats] [--lifetime S]\n");
		return 2;
	}
	uv_loop_init(&loop);
	if (rpc_server_new(&loop, methods, 0, &s.srv) != 0 ||
	    rpc_server_listen(s.srv, endpoint, &err) != 0) {
		fprintf(stderr, "fwdstats_server: %s: %s\n", endpoint,
			err.msg[0] ? err.msg : "cannot listen");
		return 1;
	}
	port = rpc_server_port(s.srv);
	printf("%d\n", port > 0 ? port : 0);
	fflush(stdout);
	signal(SIGPIPE, SIG_IGN);
	uv_signal_init(&loop, &s.sigterm);
	uv_signal_init(&loop, &s.sigint);
	s.sigterm.data = s.sigint.data = &s;
	uv_signal_start(&s.sigterm, on_signal, SIGTERM);
	uv_signal_start(&s.sigint, on_signal, SIGINT);
	uv_timer_init(&loop, &s.lifetime);
	s.lifetime.data = &s;
	uv_timer_start(&s.lifetime, on_lifetime, lifetime * 1000, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return 0;
}
