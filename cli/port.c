// SPDX-License-Identifier: GPL-2.0
/* xvtepctl port add|set|del|show */
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cli.h"

void usage_port(FILE *f)
{
	fprintf(f,
		"       xvtepctl port add DEV { vni VNI [encap { tc | xdp }] | trunk [native VNI] }\n"
		"       xvtepctl port set DEV encap { tc | xdp }\n"
		"       xvtepctl port replace DEV { vni VNI [encap { tc | xdp }] | trunk [native VNI] }\n"
		"       xvtepctl port del DEV\n"
		"       xvtepctl port show [DEV]\n");
	usage_port_vlan(f);
}

static int link_name_path(char *buf, size_t len, const char *fmt, __u32 ifindex)
{
	char name[32];

	snprintf(name, sizeof(name), fmt, ifindex);
	if (xv_pin_path(buf, len, ctl.pin, "links", name) < 0)
		return xv_err("pin path too long");
	return 0;
}

/* The `encap tc|xdp` keyword at argv[*i] (once only): *xdp true for xdp. */
static int parse_encap_kw(int argc, char **argv, int *i, const char **seen, bool *xdp)
{
	const char *val;

	if (*seen)
		return dup_kw(argv[*i]);
	if (!(val = kw_value(argc, argv, i)))
		return -1;
	if (!strcmp(val, "xdp"))
		*xdp = true;
	else if (!strcmp(val, "tc"))
		*xdp = false;
	else
		return xv_arg_err(val, "encap is tc or xdp");
	*seen = val;
	return 0;
}

/* The XDP encap path sends only to devices known to take XDP frames, which
 * the kernel tells through the "netdev" genl family: without it, refuse. */
static int xdp_encap_possible(const char *arg)
{
	if (!(ctl.maps.feat_off & XVTEP_FEAT_NETDEV_GENL))
		return 0;
	return xv_arg_err(arg, "encap xdp needs the kernel's \"netdev\" generic netlink family "
			  "(Linux 6.3) to find devices that take XDP frames; this instance runs "
			  "without it (xvtep-loader status: netdev-genl off): use encap tc");
}

/* Remove links/port_xdp_<ifindex>: the pin's link is detached with it. */
static void port_xdp_unlink(__u32 ifindex)
{
	char path[512];
	int err;

	if (link_name_path(path, sizeof(path), XVTEP_LINK_PORT_XDP_FMT, ifindex))
		return;
	err = xv_link_unpin(path);
	if (err && err != -ENOENT)
		fprintf(stderr, "Warning: cannot remove %s: %s\n", path, strerror(-err));
}

/*
 * Attach xvtep_xdp_port to DEV and pin it at links/port_xdp_<ifindex>. The
 * program does nothing for a port until its XDP_ENCAP flag is set, so the
 * order against the port entry does not matter. Also refreshes the list of
 * devices that take XDP frames (the fast path sends only to those).
 */
static int port_xdp_link(const char *dev, __u32 ifindex)
{
	char prog_path[512], path[512];
	int prog_fd, fd, err;

	if (link_name_path(path, sizeof(path), XVTEP_LINK_PORT_XDP_FMT, ifindex))
		return -1;
	if (!access(path, F_OK))
		return 0;	/* already linked (links are updated by attach) */
	if (xv_pin_path(prog_path, sizeof(prog_path), ctl.pin, "progs", XVTEP_PROG_PORT_XDP) < 0)
		return xv_err("pin path too long");
	prog_fd = bpf_obj_get(prog_path);
	if (prog_fd < 0)
		return errno == ENOENT ?
		       xv_err("port XDP program %s is missing (attached by an older loader? "
			      "re-run xvtep-loader attach)", prog_path) :
		       xv_err_errno(errno, "cannot open port XDP program %s", prog_path);
	err = xv_mirror_xmit_sync(&ctl.maps);
	if (err)
		fprintf(stderr, "Warning: cannot list the devices that take XDP frames: %s\n",
			strerror(-err));
	fd = xv_xdp_attach(prog_fd, ifindex);
	close(prog_fd);
	if (fd < 0) {
		/* veth refuses XDP without frags when its peer's MTU exceeds a page */
		return xv_err_errno(fd, "cannot attach %s to XDP of %s%s", XVTEP_PROG_PORT_XDP, dev,
				    fd == -ERANGE ? " (the VM side's MTU is too large for XDP)" :
				    fd == -EBUSY || fd == -EEXIST ?
				    " (another XDP program is attached)" : "");
	}
	return xv_link_pin(fd, path);
}

void vni_ports_remove(struct xvtep_vni *v, __u32 ifindex)
{
	int i, j, n = v->nr_ports > XVTEP_MAX_VNI_PORTS ? XVTEP_MAX_VNI_PORTS : v->nr_ports;

	for (i = 0, j = 0; i < n; i++)
		if (v->ports[i] != ifindex)
			v->ports[j++] = v->ports[i];
	for (i = j; i < XVTEP_MAX_VNI_PORTS; i++)
		v->ports[i] = 0;
	v->nr_ports = j;
}

/* Loopback cannot carry a VM's traffic; it would only loop frames back at us. */
static bool is_loopback(const char *dev)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool lo = false;

	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr))
		lo = ifr.ifr_flags & IFF_LOOPBACK;
	close(fd);
	return lo;
}

/* The mirror veth pair carries mirror copies; as a port it would switch them back into the overlay. */
static bool is_mirror_pair(__u32 ifindex)
{
	__u32 mir = if_nametoindex(XVTEP_MIRROR_DEV), peer = if_nametoindex(XVTEP_MIRROR_PEER);

	return (mir && ifindex == mir) || (peer && ifindex == peer);
}

/* DEV, optionally written as `dev DEV`. Returns the index after it, or -1. */
static int parse_dev(const char *cmd, int argc, char **argv, const char **dev)
{
	int i = 0;

	if (argc > 0 && is_kw(argv[0], "dev")) {
		if (!(*dev = kw_value(argc, argv, &i)))
			return -1;
		return i + 1;
	}
	if (argc < 1) {
		xv_arg_err(cmd, "device is missing");
		return -1;
	}
	*dev = argv[0];
	return 1;
}

/*
 * The encap path asks the kernel's FIB for the route to remote VTEPs with the
 * port as input device, and bpf_fib_lookup() insists on IPv4 forwarding there
 * (AF_INET6 lookups: on IPv6 forwarding, net.ipv6.conf.DEV.forwarding). It
 * forwards nothing in practice: the port program consumes every frame.
 * IPv6 forwarding is turned on for every port; failing to is an error only
 * for an instance with an IPv6 local address (V6_NEEDED).
 */
static int write_forwarding(const char *dev, const char *fam, char *path, size_t len)
{
	int fd, ok;

	snprintf(path, len, "/proc/sys/net/%s/conf/%s/forwarding", fam, dev);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ok = write(fd, "1", 1) == 1;
	if (!ok)
		ok = -errno;
	close(fd);
	return ok == 1 ? 0 : ok ? ok : -EIO;
}

static int port_enable_forwarding(const char *dev, bool v6_needed)
{
	char path[128];
	int err;

	err = write_forwarding(dev, "ipv4", path, sizeof(path));
	if (err)
		return xv_err_errno(err, "cannot enable IPv4 forwarding on %s (%s)", dev, path);
	err = write_forwarding(dev, "ipv6", path, sizeof(path));
	if (err && v6_needed)
		return xv_err_errno(err, "cannot enable IPv6 forwarding on %s (%s)", dev, path);
	return 0;
}

/* `port add|replace DEV vni VNI [encap tc|xdp]` or `... DEV trunk [native
 * VNI]`: the arguments, checked. vni is a trunk's native VNI, 0 = none. */
struct port_args {
	const char *dev, *encap_arg;
	__u32 vni;
	bool xdp_encap, trunk;
};

static int parse_port_args(const char *cmd, int argc, char **argv, struct port_args *a)
{
	const char *vni_arg = NULL, *native_arg = NULL, *trunk_arg = NULL, *val;
	int i;

	memset(a, 0, sizeof(*a));
	i = parse_dev(cmd, argc, argv, &a->dev);
	if (i < 0)
		return -1;
	for (; i < argc; i++) {
		if (is_kw(argv[i], "vni")) {
			if (vni_arg)
				return dup_kw(argv[i]);
			if (!(val = kw_value(argc, argv, &i)) || parse_vni_arg(val, &a->vni, false))
				return -1;
			vni_arg = val;
		} else if (is_kw(argv[i], "encap")) {
			if (parse_encap_kw(argc, argv, &i, &a->encap_arg, &a->xdp_encap))
				return -1;
		} else if (is_kw(argv[i], "trunk")) {
			if (trunk_arg)
				return dup_kw(argv[i]);
			trunk_arg = argv[i];
		} else if (is_kw(argv[i], "native")) {
			if (native_arg)
				return dup_kw(argv[i]);
			if (!(val = kw_value(argc, argv, &i)) || parse_vni_arg(val, &a->vni, false))
				return -1;
			native_arg = val;
		} else {
			return xv_arg_err(argv[i], "unknown keyword");
		}
	}
	a->trunk = trunk_arg;
	if (trunk_arg && vni_arg)
		return xv_arg_err(vni_arg, "a trunk has no access VNI: map VIDs with "
				  "\"port vlan add\", untagged frames with \"native VNI\"");
	if (native_arg && !trunk_arg)
		return xv_arg_err(native_arg, "\"native\" is for trunks (\"trunk native VNI\")");
	/* XDP sees no offloaded tag and cannot tag per port (bpf/vlan.h). */
	if (trunk_arg && a->xdp_encap)
		return xv_arg_err(a->encap_arg, "a trunk port encapsulates in TC only");
	if (!vni_arg && !trunk_arg)
		return xv_arg_err(a->dev, "\"vni VNI\" or \"trunk\" is required");
	return 0;
}

static int port_add(int argc, char **argv)
{
	struct xvtep_port port = {};
	struct xvtep_vni v, old;
	struct xvtep_meta meta;
	struct port_args pa;
	struct stat sb;
	char prog_path[512], xdp_path[512];
	const char *dev, *encap_arg;
	__u32 ifindex, vni;
	int prog_fd = -1, eg_prog_fd = -1, ret = -1;
	bool xdp_encap;

	if (parse_port_args("add", argc, argv, &pa))
		return -1;
	dev = pa.dev;
	encap_arg = pa.encap_arg;
	vni = pa.vni;
	xdp_encap = pa.xdp_encap;
	ifindex = ifindex_of(dev, false);
	if (!ifindex)
		return xv_arg_err(dev, "no such device");

	if (ctl_open(true))
		return -1;
	if (xdp_encap && xdp_encap_possible(encap_arg))
		return -1;
	if (xv_read_meta(&ctl.maps, &meta))
		return xv_err("cannot read %s/%s", ctl.pin, XVTEP_MAP_META);
	if (ifindex == meta.uplink_ifindex)
		return xv_arg_err(dev, "this is the uplink");
	if (is_loopback(dev))
		return xv_arg_err(dev, "a loopback device cannot be a port");
	if (is_mirror_pair(ifindex))
		return xv_arg_err(dev, "xvtep's mirror device cannot be a port");
	if (!bpf_map_lookup_elem(ctl.maps.ports, &ifindex, &port))
		return port.flags & XVTEP_PORT_F_TRUNK ?
		       xv_err("device %s is already a trunk port", dev) :
		       xv_err("device %s is already a port of VNI %u", dev, port.vni);
	if (vni && vni_get(vni, &old))
		return xv_err("VNI %u does not exist", vni);
	if (vni && old.nr_ports >= XVTEP_MAX_VNI_PORTS)
		return xv_err("VNI %u already has the maximum of %d ports", vni, XVTEP_MAX_VNI_PORTS);
	if (link_name_path(xdp_path, sizeof(xdp_path), XVTEP_LINK_PORT_XDP_FMT, ifindex))
		return -1;
	if (!stat(xdp_path, &sb))
		return xv_err("%s already exists (stale link of a deleted port?): remove it first",
			      xdp_path);
	/* Egress: the port's tx mirror source. Needed before anything is written. */
	if (xv_pin_path(prog_path, sizeof(prog_path), ctl.pin, "progs", XVTEP_PROG_PORT_EGRESS) < 0)
		return xv_err("pin path too long");
	eg_prog_fd = bpf_obj_get(prog_path);
	if (eg_prog_fd < 0)
		return errno == ENOENT ?
		       xv_err("port egress program %s is missing (attached by an older loader? "
			      "re-run xvtep-loader attach)", prog_path) :
		       xv_err_errno(errno, "cannot open port egress program %s", prog_path);
	if (xv_pin_path(prog_path, sizeof(prog_path), ctl.pin, "progs", XVTEP_PROG_PORT) < 0)
		return xv_err("pin path too long");
	prog_fd = bpf_obj_get(prog_path);
	if (prog_fd < 0) {
		ret = errno == ENOENT ?
		      xv_err("port program %s is missing (is xvtep attached?)", prog_path) :
		      xv_err_errno(errno, "cannot open port program %s", prog_path);
		close(eg_prog_fd);
		return ret;
	}

	/* Configuration first, then the hook: the program finds its port from its first packet. */
	memset(&port, 0, sizeof(port));
	port.vni = vni;
	port.flags = xdp_encap ? XVTEP_PORT_F_XDP_ENCAP : 0;
	if (pa.trunk)
		port.flags |= XVTEP_PORT_F_TRUNK;
	if (bpf_map_update_elem(ctl.maps.ports, &ifindex, &port, BPF_NOEXIST)) {
		if (errno == E2BIG)
			xv_err("cannot add port %s: too many ports", dev);
		else
			xv_err_errno(errno, "cannot add port %s", dev);
		goto out;
	}
	ret = xv_devmap_sync(&ctl.maps, ifindex);
	if (ret) {
		xv_err_errno(ret, "cannot add %s to %s", dev, XVTEP_MAP_DEVMAP);
		ret = -1;
		goto undo_port;
	}
	/* A trunk without native VNI joins VNIs with its VID mappings only. */
	if (vni) {
		v = old;
		v.ports[v.nr_ports++] = ifindex;
		ret = vni_put(vni, &v, BPF_EXIST);
		if (ret) {
			xv_err_errno(ret, "cannot update VNI %u", vni);
			ret = -1;
			goto undo_devmap;
		}
	}
	ret = -1;
	if (port_enable_forwarding(dev, !xvtep_addr_is_zero((const union xvtep_addr *)meta.local_ip6)))
		goto undo_vni;
	/* The instance's attach method: tcx links or clsact filters. */
	if (xv_tc_attach(ctl.pin, ctl.maps.feat_off, XV_TC_PORT, ifindex, prog_fd))
		goto undo_vni;
	if (xv_tc_attach(ctl.pin, ctl.maps.feat_off, XV_TC_PORT_EG, ifindex, eg_prog_fd))
		goto undo_link;
	if (xdp_encap && port_xdp_link(dev, ifindex))
		goto undo_eg_link;
	ownmac_port_add(ifindex);
	ret = 0;
	goto out;

undo_eg_link:
	xv_tc_detach(ctl.pin, ctl.maps.feat_off, XV_TC_PORT_EG, ifindex);
undo_link:
	xv_tc_detach(ctl.pin, ctl.maps.feat_off, XV_TC_PORT, ifindex);
undo_vni:
	if (vni)
		vni_put(vni, &old, BPF_EXIST);
undo_devmap:
	bpf_map_delete_elem(ctl.maps.devmap, &ifindex);
undo_port:
	bpf_map_delete_elem(ctl.maps.ports, &ifindex);
out:
	close(prog_fd);
	close(eg_prog_fd);
	return ret;
}

static int port_del(int argc, char **argv)
{
	struct fdb_filter f = { .by_port = true };
	struct xvtep_port port;
	struct xvtep_vni v;
	const char *dev;
	__u32 ifindex;
	int i;

	i = parse_dev("del", argc, argv, &dev);
	if (i < 0)
		return -1;
	if (i < argc)
		return xv_arg_err(argv[i], "unknown keyword");
	/* The device may be gone already; its port is then still known by ifindex. */
	ifindex = ifindex_of(dev, true);
	if (!ifindex)
		return xv_arg_err(dev, "no such device");
	if (ctl_open(true))
		return -1;
	if (bpf_map_lookup_elem(ctl.maps.ports, &ifindex, &port))
		return xv_err("device %s is not a port", dev);
	/* A session would keep the port's ifindex (and bits) after it is gone. */
	if (mirror_refuse_port_del(dev, ifindex, &port))
		return -1;

	/* Unhook first so nothing is learned on the port while it is being removed. */
	port_xdp_unlink(ifindex);
	for (i = 0; i < 2; i++) {
		enum xv_tc_kind kind = i ? XV_TC_PORT_EG : XV_TC_PORT;
		int err = xv_tc_detach(ctl.pin, ctl.maps.feat_off, kind, ifindex);

		/* ENOENT: not attached, or the device (and its filters) is gone */
		if (err && err != -ENOENT && err != -ENODEV)
			fprintf(stderr, "Warning: cannot remove the %s hook of port %s: %s\n",
				xv_tc_hooks[kind].ingress ? "ingress" : "egress", dev,
				err == -EBUSY ? "held by a program not of this instance" :
				strerror(-err));
	}

	if (port.vni && !vni_get(port.vni, &v)) {
		vni_ports_remove(&v, ifindex);
		if (vni_put(port.vni, &v, BPF_EXIST))
			fprintf(stderr, "Warning: cannot update VNI %u port list\n", port.vni);
	}
	if (port.flags & XVTEP_PORT_F_TRUNK)
		trunk_maps_flush(dev, ifindex);
	bpf_map_delete_elem(ctl.maps.devmap, &ifindex);
	ownmac_port_del(ifindex);
	if (bpf_map_delete_elem(ctl.maps.ports, &ifindex) && errno != ENOENT)
		return xv_err_errno(errno, "cannot delete port %s", dev);
	f.ifindex = ifindex;
	if (fdb_remove(&f) < 0)
		fprintf(stderr, "Warning: FDB entries of port %s may remain\n", dev);
	return 0;
}

/* Port IFINDEX (entry *PP) to encap xdp or tc: the flag and the XDP link together. */
static int port_encap_apply(const char *dev, __u32 ifindex, struct xvtep_port *pp, bool xdp)
{
	struct xvtep_port port = *pp;
	bool was_xdp = port.flags & XVTEP_PORT_F_XDP_ENCAP;

	if (xdp) {
		/* Link first: the program ignores the port until the flag is set. */
		if (port_xdp_link(dev, ifindex))
			return -1;
		port.flags |= XVTEP_PORT_F_XDP_ENCAP;
	} else {
		port.flags &= ~XVTEP_PORT_F_XDP_ENCAP;
	}
	if (bpf_map_update_elem(ctl.maps.ports, &ifindex, &port, BPF_EXIST)) {
		int err = errno;

		if (xdp && !was_xdp)
			port_xdp_unlink(ifindex);
		return xv_err_errno(err, "cannot update port %s", dev);
	}
	if (!xdp)
		port_xdp_unlink(ifindex);
	return 0;
}

/* port set DEV encap tc|xdp: the flag and the XDP link change together. */
static int port_set(int argc, char **argv)
{
	const char *dev, *encap_arg = NULL;
	struct xvtep_port port;
	__u32 ifindex;
	bool xdp = false;
	int i;

	i = parse_dev("set", argc, argv, &dev);
	if (i < 0)
		return -1;
	for (; i < argc; i++) {
		if (is_kw(argv[i], "encap")) {
			if (parse_encap_kw(argc, argv, &i, &encap_arg, &xdp))
				return -1;
		} else {
			return xv_arg_err(argv[i], "unknown keyword");
		}
	}
	if (!encap_arg)
		return xv_arg_err(dev, "nothing to set (expected encap tc|xdp)");
	ifindex = ifindex_of(dev, false);
	if (!ifindex)
		return xv_arg_err(dev, "no such device");
	if (ctl_open(true))
		return -1;
	if (xdp && xdp_encap_possible(encap_arg))
		return -1;
	if (bpf_map_lookup_elem(ctl.maps.ports, &ifindex, &port))
		return xv_err("device %s is not a port", dev);
	if (xdp && (port.flags & XVTEP_PORT_F_TRUNK))
		return xv_arg_err(encap_arg, "a trunk port encapsulates in TC only");
	return port_encap_apply(dev, ifindex, &port, xdp);
}


/* Move port IFINDEX (entry *PP) from its VNI to VNI: the port stays hooked
 * and in a VNI's flood list throughout; its entries in the old VNI go. */
static int port_move(const char *dev, __u32 ifindex, struct xvtep_port *pp, __u32 vni)
{
	struct fdb_filter f = { .by_vni = true, .vni = pp->vni, .by_port = true, .ifindex = ifindex };
	struct xvtep_port port = *pp;
	struct xvtep_vni v, old;
	int ret;

	/* A trunk's native VNI (0 = none): never one it carries tagged. */
	if (vni && (ret = trunk_vid_of(ifindex, vni)))
		return xv_err("VNI %u is already carried by %s as VID %u: a VNI is carried once "
			      "per trunk", vni, dev, ret);
	if (vni && vni_get(vni, &v))
		return xv_err("VNI %u does not exist", vni);
	if (vni && v.nr_ports >= XVTEP_MAX_VNI_PORTS)
		return xv_err("VNI %u already has the maximum of %d ports", vni, XVTEP_MAX_VNI_PORTS);
	if (vni) {
		v.ports[v.nr_ports++] = ifindex;
		ret = vni_put(vni, &v, BPF_EXIST);
		if (ret)
			return xv_err_errno(ret, "cannot update VNI %u", vni);
	}
	port.vni = vni;
	if (bpf_map_update_elem(ctl.maps.ports, &ifindex, &port, BPF_EXIST)) {
		ret = xv_err_errno(errno, "cannot update port %s", dev);
		if (vni) {
			vni_ports_remove(&v, ifindex);
			vni_put(vni, &v, BPF_EXIST);
		}
		return ret;
	}
	*pp = port;
	if (f.vni && !vni_get(f.vni, &old)) {
		vni_ports_remove(&old, ifindex);
		if (vni_put(f.vni, &old, BPF_EXIST))
			fprintf(stderr, "Warning: cannot update VNI %u port list\n", f.vni);
	}
	if (f.vni && fdb_remove(&f) < 0)
		fprintf(stderr, "Warning: FDB entries of port %s in VNI %u may remain\n", dev, f.vni);
	return 0;
}

/*
 * Like `bridge fdb replace`: add the port, or bring an existing one to
 * exactly this VNI and encap in place (its links stay, so forwarding goes on).
 */
static int port_replace(int argc, char **argv)
{
	struct xvtep_port port;
	struct port_args pa;
	__u32 ifindex;

	if (parse_port_args("replace", argc, argv, &pa))
		return -1;
	ifindex = ifindex_of(pa.dev, false);
	if (!ifindex)
		return xv_arg_err(pa.dev, "no such device");
	if (ctl_open(true))
		return -1;
	if (bpf_map_lookup_elem(ctl.maps.ports, &ifindex, &port))
		return port_add(argc, argv);
	if (pa.xdp_encap && xdp_encap_possible(pa.encap_arg))
		return -1;
	/* An access port and a trunk are not one another's replacement:
	 * the mappings and FDB entries would have to change meaning. */
	if (pa.trunk != !!(port.flags & XVTEP_PORT_F_TRUNK))
		return xv_err("device %s is %s port: delete it first", pa.dev,
			      pa.trunk ? "an access" : "a trunk");
	if (port.vni != pa.vni && port_move(pa.dev, ifindex, &port, pa.vni))
		return -1;
	return port_encap_apply(pa.dev, ifindex, &port, pa.xdp_encap);
}

static const char *encap_name(const struct xvtep_port *port)
{
	return port->flags & XVTEP_PORT_F_XDP_ENCAP ? "xdp" : "tc";
}

static const char *mode_name(const struct xvtep_port *port)
{
	return port->flags & XVTEP_PORT_F_TRUNK ? "trunk" : "access";
}

static int port_show(int argc, char **argv)
{
	struct xvtep_port port;
	struct jw *jw;
	const char *dev = NULL;
	__u32 *keys, want = 0;
	size_t n, i;

	if (argc > 0 && parse_dev("show", argc, argv, &dev) < 0)
		return -1;
	if (dev && argc > (is_kw(argv[0], "dev") ? 2 : 1))
		return xv_arg_err(argv[is_kw(argv[0], "dev") ? 2 : 1], "unknown keyword");
	if (dev && !(want = ifindex_of(dev, true)))
		return xv_arg_err(dev, "no such device");
	if (ctl_open(false))
		return -1;
	if (dev && bpf_map_lookup_elem(ctl.maps.ports, &want, &port))
		return xv_err("device %s is not a port", dev);
	if (map_keys_u32(ctl.maps.ports, &keys, &n))
		return -1;

	jw = json_open();
	if (jw)
		jw_start_array(jw);
	else
		printf("%-16s %-8s %-8s %-6s %s\n", "DEV", "IFINDEX", "VNI", "ENCAP", "MODE");
	for (i = 0; i < n; i++) {
		if (dev && keys[i] != want)
			continue;
		if (bpf_map_lookup_elem(ctl.maps.ports, &keys[i], &port))
			continue;
		if (jw) {
			jw_start_object(jw);
			jw_string_field(jw, "dev", ifname(keys[i]));
			jw_uint_field(jw, "ifindex", keys[i]);
			jw_uint_field(jw, "vni", port.vni);
			jw_string_field(jw, "encap", encap_name(&port));
			jw_string_field(jw, "mode", mode_name(&port));
			jw_end_object(jw);
		} else {
			/* A trunk's VNI is its native one: "-" without. */
			char vni[12] = "-";

			if (port.vni)
				snprintf(vni, sizeof(vni), "%u", port.vni);
			printf("%-16s %-8u %-8s %-6s %s\n", ifname(keys[i]), keys[i], vni,
			       encap_name(&port), mode_name(&port));
		}
	}
	if (jw) {
		jw_end_array(jw);
		jw_destroy(&jw);
	}
	free(keys);
	return 0;
}

const struct cli_cmd port_cmds[] = {
	{ "show", port_show }, { "list", port_show }, { "ls", port_show },
	{ "add", port_add },
	{ "set", port_set },
	{ "replace", port_replace },
	{ "del", port_del }, { "delete", port_del },
	{ "vlan", port_vlan },
	{ NULL, NULL },
};
