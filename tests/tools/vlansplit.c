/*
 * vlansplit.c - an 802.1Q trunk split into access interfaces, in user space
 * (tests only): for kernels built without VLAN support, where a test's
 * customer edge cannot have eth1.101.  Each mapping TRUNK/VLAN=ACCESS
 * sends the trunk's frames tagged VLAN to ACCESS without the tag, and
 * ACCESS's frames to the trunk with it.  Frames of other VLANs, and
 * untagged ones, are dropped.
 *
 *   vlansplit TRUNK/VLAN=ACCESS [TRUNK/VLAN=ACCESS ...]
 *
 * Runs until killed; prints one line when its ports are open.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/io.h"
#include "dataplane/pkt.h"

#define PORTS_MAX 32
#define MAPS_MAX  16
#define BURST	  64

struct map {
	int trunk, access; /* port indexes */
	uint16_t vlan;
};

static struct io_port *ports[PORTS_MAX];
static char names[PORTS_MAX][IO_IFNAME_MAX];
static int nports;
static struct map maps[MAPS_MAX];
static int nmaps;

static int
port_get(const char *name)
{
	struct io_port_config cfg = { .ifname = name, .kind = IO_AFPACKET };
	struct cen_err err;

	for (int i = 0; i < nports; i++)
		if (!strcmp(names[i], name))
			return i;
	if (nports == PORTS_MAX ||
	    io_port_open(&cfg, (uint16_t)nports, &ports[nports], &err)) {
		fprintf(stderr, "vlansplit: %s: %s\n", name,
			nports == PORTS_MAX ? "too many ports" : err.msg);
		exit(1);
	}
	snprintf(names[nports], sizeof(names[0]), "%s", name);
	return nports++;
}

/* Frames waiting for their output port, sent once per burst. */
static struct io_pkt outq[PORTS_MAX][BURST];
static size_t noutq[PORTS_MAX];

static void
out(int port, const struct io_pkt *p)
{
	if (noutq[port] == BURST) {
		io_tx_burst(ports[port], outq[port], noutq[port]);
		noutq[port] = 0;
	}
	outq[port][noutq[port]++] = *p;
}

static void
flush_all(void)
{
	for (int i = 0; i < nports; i++) {
		if (noutq[i] > 0)
			io_tx_burst(ports[i], outq[i], noutq[i]);
		noutq[i] = 0;
		io_tx_flush(ports[i]);
	}
}

static void
forward(int in, struct io_pkt *p)
{
	uint16_t vlan = 0;

	if (p->len >= 18 && pkt_get16(p->data + 12) == PKT_ETH_P_8021Q)
		vlan = pkt_get16(p->data + 14) & PKT_VID_MASK;
	for (int m = 0; m < nmaps; m++) {
		struct map *mp = &maps[m];

		if (mp->trunk == in && vlan == mp->vlan) {
			/* pop: the MACs move 4 bytes on */
			memmove(p->data + 4, p->data, 12);
			p->data += 4;
			p->len -= 4;
			p->headroom += 4;
			out(mp->access, p);
			return;
		}
		if (mp->access == in && p->headroom >= 4) {
			p->data -= 4;
			p->headroom -= 4;
			p->len += 4;
			memmove(p->data, p->data + 4, 12);
			pkt_put16(p->data + 12, PKT_ETH_P_8021Q);
			pkt_put16(p->data + 14, mp->vlan);
			out(mp->trunk, p);
			return;
		}
	}
}

int
main(int argc, char **argv)
{
	struct pollfd pfd[PORTS_MAX];
	struct io_pkt pkts[BURST];

	if (argc < 2 || argc - 1 > MAPS_MAX) {
		fprintf(stderr,
			"usage: vlansplit TRUNK/VLAN=ACCESS [TRUNK/VLAN=ACCESS "
			"...]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	for (int i = 1; i < argc; i++) {
		char trunk[IO_IFNAME_MAX], access[IO_IFNAME_MAX];
		unsigned vlan;

		if (sscanf(argv[i], "%15[^/]/%u=%15s", trunk, &vlan, access) !=
			    3 ||
		    vlan < 1 || vlan > 4094) {
			fprintf(stderr, "vlansplit: bad mapping \"%s\"\n",
				argv[i]);
			return 2;
		}
		maps[nmaps].trunk = port_get(trunk);
		maps[nmaps].access = port_get(access);
		maps[nmaps].vlan = (uint16_t)vlan;
		nmaps++;
	}
	for (int i = 0; i < nports; i++) {
		pfd[i].fd = io_port_fd(ports[i]);
		pfd[i].events = POLLIN;
	}
	printf("vlansplit: %d mappings ready\n", nmaps);
	fflush(stdout);
	for (;;) {
		size_t got = 0;

		for (int i = 0; i < nports; i++) {
			size_t n = io_rx_burst(ports[i], pkts, BURST);

			for (size_t k = 0; k < n; k++)
				forward(i, &pkts[k]);
			got += n;
			/* out before the ring takes its frames back */
			flush_all();
			io_rx_done(ports[i]);
		}
		if (got == 0)
			poll(pfd, (nfds_t)nports, 10);
	}
}
