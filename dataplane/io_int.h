/*
 * io_int.h - what the packet I/O kinds share (io.c); not for other
 * modules, which use io.h.
 *
 * Every kind's port begins with a struct io_port, and io.c calls the kind
 * through its table of operations.
 */
#ifndef CEN_IO_INT_H
#define CEN_IO_INT_H

#include "dataplane/io.h"

struct io_ops {
	size_t (*rx_burst)(struct io_port *p, struct io_pkt *pkts, size_t max);
	void (*rx_done)(struct io_port *p);
	size_t (*tx_burst)(struct io_port *p, struct io_pkt *pkts, size_t n);
	void (*tx_flush)(struct io_port *p);
	int (*fd)(const struct io_port *p);
	/* Adds what the kernel counted (ring drops) to p->st. */
	void (*kstats)(struct io_port *p);
	void (*close)(struct io_port *p);
};

struct io_port {
	const struct io_ops *ops;
	enum io_kind kind;
	uint16_t index;
	int ifindex;
	uint32_t mtu;
	uint8_t mac[6];
	char name[IO_IFNAME_MAX];
	int ctl_fd;  /* for interface ioctls; -1 for IO_MEM */
	bool mem_up; /* IO_MEM: io_mem_set_link() */
	/* Written by the port's thread only, read by any (io_port_stats). */
	struct io_port_stats st;
};

/* One writer: a relaxed load and store, no locked instruction. */
#define IO_COUNT(field, n)                                                     \
	__atomic_store_n(&(field),                                             \
			 __atomic_load_n(&(field), __ATOMIC_RELAXED) + (n),    \
			 __ATOMIC_RELAXED)

/* io.c */
/* Fills p's name, ifindex, MAC and MTU from the interface cfg->ifname and
 * opens p->ctl_fd. */
int io_if_query(struct io_port *p, const char *ifname, struct cen_err *err);

/* io_afpacket.c, io_xdp.c, io_mem.c: allocate the port (base zeroed but
 * for ops, kind and what io_if_query fills; io.c sets the index). */
int io_afpacket_open(const struct io_port_config *cfg, struct io_port **out,
		     struct cen_err *err);
int io_xdp_open(const struct io_port_config *cfg, struct io_port **out,
		struct cen_err *err);
int io_mem_open(const struct io_port_config *cfg, struct io_port **out,
		struct cen_err *err);

#endif
