/*
 * fwdconf.h - the configuration file of a forwarder (cenfwd --config
 * FILE.yaml): who it is, where its cluster is, and which of its ports
 * carries which attachment.
 *
 *   id: fwd-hz-1                    # subscriber ID, shown by
 *                                   # `cenctl forwarder list`
 *   region: cn-hangzhou
 *   cluster: [127.0.0.1:7101, 127.0.0.1:7102, unix:/run/cend.sock]
 *   data_dir: /var/lib/cenfwd/fwd-hz-1   # optional: no FIB kept without
 *   api: 127.0.0.1:7301             # optional: `cenctl --endpoints` here
 *                                   # reads counters and meters
 *   io: afpacket                    # afpacket (default) | xdp | memory
 *   ports:
 *     - interface: hz-vpca          # an interface per VPC, untagged
 *       attachment: vpc-bu-a
 *       gateway: [10.1.0.1/24, 10.1.1.1/24]  # optional; default: the first
 *                                   # host of each vSwitch CIDR
 *       next_hop: 10.1.0.254        # optional: a router in the VPC that
 *                                   # takes all its traffic (default: the
 *                                   # destination itself, on the link)
 *     - interface: hz-dc            # a physical connection, a VLAN per VBR
 *       vlans:
 *         - attachment: vbr-dc-1    # vlan, gateway (local_ip) and next hop
 *         - attachment: vbr-dc-2    # (peer_ip) come from the model unless
 *           vlan: 102               # given here
 *           gateway: 10.10.11.1/30
 *           next_hop: 10.10.11.2
 *     - interface: hz-bb            # towards other regions' forwarders
 *       backbone:
 *         address: 192.168.100.1/24
 *         peers:
 *           - { region: cn-shanghai, address: 192.168.100.2 }
 *
 * A port carries exactly one of `attachment:` (untagged, with an
 * optional `gateway:`), `vlans:` (tagged) or `backbone:`.  `cluster:` and
 * `gateway:` take one value or a list.  Gateways and the backbone address
 * are written address/length ("10.1.0.1/24", not the subnet's own
 * address); next hops and peer addresses are bare addresses; endpoints are
 * "HOST:PORT" (a literal address, IPv6 in brackets) or "unix:/path".
 *
 * Parsing checks everything it can without the model (IDs, addresses,
 * VLANs 1..4094, no attachment, interface or (interface, VLAN) twice, at
 * most one backbone port, a next hop on its gateway's subnet, backbone
 * peers in other regions, one per region) and reports every problem with
 * its line, as the model's loader does: "line 12: ports[1].vlans[0].vlan:
 * expected an integer 1..4094, got "5000".  Anchors may be written but
 * aliases are refused; a file holds one YAML document.
 */
#ifndef CEN_FWDCONF_H
#define CEN_FWDCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/prefix.h"

#define FWDCONF_ID_MAX	     64 /* IDs: 1..63 bytes and a NUL */
#define FWDCONF_IFNAME_MAX   16 /* IFNAMSIZ */
#define FWDCONF_ENDPOINT_MAX 108
#define FWDCONF_GATEWAYS_MAX 16
#define FWDCONF_CLUSTER_MAX  16 /* FIBSUB_ENDPOINTS_MAX */
#define FWDCONF_PORTS_MAX    1024

enum fwdconf_io {
	FWDCONF_IO_AFPACKET = 0,
	FWDCONF_IO_XDP,
	FWDCONF_IO_MEMORY,
};

/* One attachment on a port: untagged (vlan 0 and the port's only one) or
 * on a VLAN.  Zero / empty fields are taken from the model. */
struct fwdconf_att {
	char id[FWDCONF_ID_MAX];
	uint16_t vlan; /* 0: untagged, or the model's VBR vlan */
	bool vlan_set; /* vlan given in the file */
	struct prefix gateway[FWDCONF_GATEWAYS_MAX]; /* address/len */
	uint8_t ngateway;
	struct prefix next_hop; /* family 0: not given */
	int line;
};

struct fwdconf_peer {
	char region[FWDCONF_ID_MAX];
	struct prefix address; /* host */
	int line;
};

struct fwdconf_port {
	char ifname[FWDCONF_IFNAME_MAX];
	bool backbone;
	struct fwdconf_att *atts; /* untagged: one, with vlan 0 */
	size_t natts;
	bool tagged; /* written as `vlans:` */
	/* backbone */
	struct prefix bb_address; /* address/len of this end */
	struct fwdconf_peer *peers;
	size_t npeers;
	int line;
};

struct fwdconf {
	char id[FWDCONF_ID_MAX];
	char region[FWDCONF_ID_MAX];
	char (*cluster)[FWDCONF_ENDPOINT_MAX];
	size_t ncluster;		/* 1..16 */
	char *data_dir;			/* NULL: none */
	char api[FWDCONF_ENDPOINT_MAX]; /* "" : none */
	uint8_t io;			/* enum fwdconf_io */
	struct fwdconf_port *ports;
	size_t nports;
	/* not from the file: memory ports keep this many transmitted
	 * frames for io_mem_capture (tests) */
	uint32_t mem_capture;
};

/* fwdconf.c */

void fwdconf_init(struct fwdconf *c);
/* Frees what c holds and leaves it initialised (empty). */
void fwdconf_free(struct fwdconf *c);
/* Parses a YAML document (len bytes, need not be NUL-terminated) into c,
 * which must be initialised; whatever c held is freed first.  Returns 0,
 * or -CEN_EINVAL (-CEN_ENOMEM when memory ran out) with every problem
 * reported through cen_err_add (err may be NULL), each line starting
 * "line N: " and naming the field.  Unknown fields are errors that list
 * the known ones.  Required: id, region, cluster, ports (at least one).
 * The arrays and data_dir belong to c; on error c may hold part of the
 * file, and fwdconf_free frees it either way. */
int fwdconf_parse(struct fwdconf *c, const char *buf, size_t len,
		  struct cen_err *err);
/* Reads and parses the file at path; a file that cannot be read gives
 * -CEN_EIO ("PATH: REASON"). */
int fwdconf_load_file(struct fwdconf *c, const char *path, struct cen_err *err);
/* "afpacket", "xdp", "memory" (the `io:` values); "unknown" else. */
const char *fwdconf_io_str(uint8_t io);
/* The port and attachment of an attachment ID, or NULL. */
const struct fwdconf_att *fwdconf_find_att(const struct fwdconf *c,
					   const char *id,
					   const struct fwdconf_port **port);

#endif
