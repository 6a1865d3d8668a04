/*
 * io.c - packet I/O ports (io.h): opening a port of any kind, the calls
 * every kind shares, and what is asked of the interface (index, MAC, MTU,
 * link state) through ioctls.
 */
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dataplane/io.h"
#include "dataplane/io_int.h"

static int
check_config(const struct io_port_config *cfg, struct cen_err *err)
{
	uint32_t fs, hr;

	if (cfg->kind != IO_AFPACKET && cfg->kind != IO_XDP &&
	    cfg->kind != IO_MEM)
		return cen_errf(err, -CEN_EINVAL, "kind %d: not a port kind",
				(int)cfg->kind);
	if ((unsigned)cfg->tx_mode > IO_TX_RING)
		return cen_errf(err, -CEN_EINVAL, "tx_mode %d: not a mode",
				(int)cfg->tx_mode);
	if ((unsigned)cfg->xdp_mode > IO_XDP_NATIVE)
		return cen_errf(err, -CEN_EINVAL, "xdp_mode %d: not a mode",
				(int)cfg->xdp_mode);
	if (cfg->kind != IO_MEM &&
	    (cfg->ifname == NULL || cfg->ifname[0] == '\0'))
		return cen_errf(err, -CEN_EINVAL, "ifname: required");
	if (cfg->ifname != NULL && strlen(cfg->ifname) >= IO_IFNAME_MAX)
		return cen_errf(err, -CEN_EINVAL,
				"ifname \"%s\": longer than %d bytes",
				cfg->ifname, IO_IFNAME_MAX - 1);
	if (cfg->frame_size != 0 &&
	    (cfg->frame_size < 256 || cfg->frame_size > 65536))
		return cen_errf(err, -CEN_EINVAL,
				"frame_size %u out of range 256..65536",
				cfg->frame_size);
	if (cfg->frames > (1u << 20) || cfg->tx_frames > (1u << 20))
		return cen_errf(err, -CEN_EINVAL,
				"frames %u, tx_frames %u: at most %u",
				cfg->frames, cfg->tx_frames, 1u << 20);
	if (cfg->headroom > 1024)
		return cen_errf(err, -CEN_EINVAL,
				"headroom %u out of range 0..1024",
				cfg->headroom);
	fs = cfg->frame_size ? cfg->frame_size : IO_FRAME_SIZE_DEFAULT;
	hr = cfg->headroom ? cfg->headroom : IO_HEADROOM_DEFAULT;
	if (hr + 64 > fs)
		return cen_errf(err, -CEN_EINVAL,
				"headroom %u: leaves less than 64 bytes of "
				"frame_size %u",
				hr, fs);
	if (cfg->mem_capture > IO_MEM_CAPTURE_MAX)
		return cen_errf(err, -CEN_EINVAL,
				"mem_capture %u out of range 0..%u",
				cfg->mem_capture, IO_MEM_CAPTURE_MAX);
	return 0;
}

int
io_port_open(const struct io_port_config *cfg, uint16_t port_index,
	     struct io_port **out, struct cen_err *err)
{
	struct io_port *p = NULL;
	int rc;

	*out = NULL;
	if ((rc = check_config(cfg, err)) != 0)
		return rc;
	switch (cfg->kind) {
	case IO_AFPACKET:
		rc = io_afpacket_open(cfg, &p, err);
		break;
	case IO_XDP:
#ifdef CEND_HAVE_XDP
		rc = io_xdp_open(cfg, &p, err);
#else
		rc = cen_errf(err, -CEN_EINVAL,
			      "%s: AF_XDP is not in this build (libxdp was not "
			      "found when it was built); use AF_PACKET",
			      cfg->ifname);
#endif
		break;
	case IO_MEM:
		rc = io_mem_open(cfg, &p, err);
		break;
	}
	if (rc != 0)
		return rc;
	p->index = port_index;
	if (p->kind == IO_MEM) {
		/* locally administered, unique per port index */
		p->mac[0] = 0x02;
		p->mac[4] = (uint8_t)(port_index >> 8);
		p->mac[5] = (uint8_t)port_index;
	}
	*out = p;
	return 0;
}

void
io_port_close(struct io_port *p)
{
	int ctl;

	if (p == NULL)
		return;
	ctl = p->ctl_fd;
	p->ops->close(p);
	if (ctl >= 0)
		close(ctl);
}

size_t
io_rx_burst(struct io_port *p, struct io_pkt *pkts, size_t max)
{
	return p->ops->rx_burst(p, pkts, max);
}

void
io_rx_done(struct io_port *p)
{
	p->ops->rx_done(p);
}

size_t
io_tx_burst(struct io_port *p, struct io_pkt *pkts, size_t n)
{
	return p->ops->tx_burst(p, pkts, n);
}

void
io_tx_flush(struct io_port *p)
{
	p->ops->tx_flush(p);
}

int
io_port_fd(const struct io_port *p)
{
	return p->ops->fd(p);
}

void
io_port_stats(struct io_port *p, struct io_port_stats *st)
{
	if (p->ops->kstats != NULL)
		p->ops->kstats(p);
	st->rx_packets = __atomic_load_n(&p->st.rx_packets, __ATOMIC_RELAXED);
	st->rx_bytes = __atomic_load_n(&p->st.rx_bytes, __ATOMIC_RELAXED);
	st->tx_packets = __atomic_load_n(&p->st.tx_packets, __ATOMIC_RELAXED);
	st->tx_bytes = __atomic_load_n(&p->st.tx_bytes, __ATOMIC_RELAXED);
	st->rx_drops = __atomic_load_n(&p->st.rx_drops, __ATOMIC_RELAXED);
	st->tx_errors = __atomic_load_n(&p->st.tx_errors, __ATOMIC_RELAXED);
}

void
io_port_mac(const struct io_port *p, uint8_t mac[6])
{
	memcpy(mac, p->mac, 6);
}

uint32_t
io_port_mtu(const struct io_port *p)
{
	return p->mtu;
}

int
io_port_ifindex(const struct io_port *p)
{
	return p->ifindex;
}

const char *
io_port_name(const struct io_port *p)
{
	return p->name;
}

enum io_kind
io_port_kind(const struct io_port *p)
{
	return p->kind;
}

bool
io_port_link_up(const struct io_port *p)
{
	struct ifreq ifr;

	if (p->kind == IO_MEM)
		return __atomic_load_n(&p->mem_up, __ATOMIC_RELAXED);
	/*
	 * By index, then by the name it has now: the interface may have been
	 * renamed, and one that is gone is down.
	 */
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_ifindex = p->ifindex;
	if (ioctl(p->ctl_fd, SIOCGIFNAME, &ifr) != 0)
		return false;
	if (ioctl(p->ctl_fd, SIOCGIFFLAGS, &ifr) != 0)
		return false;
	return (ifr.ifr_flags & IFF_UP) != 0 &&
	       (ifr.ifr_flags & IFF_RUNNING) != 0;
}

bool
io_xdp_available(void)
{
#ifdef CEND_HAVE_XDP
	return true;
#else
	return false;
#endif
}

int
io_if_query(struct io_port *p, const char *ifname, struct cen_err *err)
{
	struct ifreq ifr;
	int e;

	/*
	 * Any socket answers interface ioctls; this one stays open for
	 * io_port_link_up(), and was made in the caller's network namespace,
	 * as the port's sockets are.
	 */
	p->ctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p->ctl_fd < 0)
		return cen_errf(err, -CEN_EIO, "%s: socket: %s", ifname,
				strerror(errno));
	snprintf(p->name, sizeof(p->name), "%s", ifname);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(p->ctl_fd, SIOCGIFINDEX, &ifr) != 0) {
		e = errno;
		close(p->ctl_fd);
		p->ctl_fd = -1;
		if (e == ENODEV)
			return cen_errf(err, -CEN_ENOENT,
					"%s: no such interface", ifname);
		return cen_errf(err, -CEN_EIO, "%s: SIOCGIFINDEX: %s", ifname,
				strerror(e));
	}
	p->ifindex = ifr.ifr_ifindex;
	if (ioctl(p->ctl_fd, SIOCGIFHWADDR, &ifr) != 0)
		goto fail;
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		close(p->ctl_fd);
		p->ctl_fd = -1;
		return cen_errf(err, -CEN_EINVAL,
				"%s: not an Ethernet interface (type %u)",
				ifname, ifr.ifr_hwaddr.sa_family);
	}
	memcpy(p->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(p->ctl_fd, SIOCGIFMTU, &ifr) != 0)
		goto fail;
	p->mtu = (uint32_t)ifr.ifr_mtu;
	return 0;
fail:
	e = errno;
	close(p->ctl_fd);
	p->ctl_fd = -1;
	return cen_errf(err, -CEN_EIO, "%s: interface ioctl: %s", ifname,
			strerror(e));
}
