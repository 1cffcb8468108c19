// SPDX-License-Identifier: GPL-2.0
/*
 * xvtepctl save: the configuration of an instance as a -batch file of
 * `replace` commands, in the order they can be applied (default peers, VNIs,
 * ports, static FDB entries, static neighbour bindings, mirror sessions),
 * sorted, so that the same state always saves to the same text and applying
 * it twice changes nothing.
 * Learned entries, counters and timestamps are runtime state: not saved.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include "cli.h"

void usage_save(FILE *f)
{
	fprintf(f, "       xvtepctl save      (the configuration as a -batch file)\n");
}

/* The name of IFINDEX, or NULL (with a warning) when the device is gone. */
static const char *dev_name(__u32 ifindex, const char *what)
{
	char buf[IF_NAMESIZE];

	if (if_indextoname(ifindex, buf))
		return ifname(ifindex);
	fprintf(stderr, "Warning: %s: device %s is gone, not saved\n", what, ifname(ifindex));
	return NULL;
}

static void save_peers(void)
{
	static struct sec_prefix l[XVTEP_MAX_PEERS];
	int n = peers_read(XVTEP_PEER_DEFAULT, l, XVTEP_MAX_PEERS);
	char buf[XV_PREFIX_STRLEN];

	if (!n)
		return;
	printf("peer replace");
	for (int i = 0; i < n; i++) {
		fmt_prefix(&l[i], buf);
		printf(" %s", buf);
	}
	printf("\n");
}

/* Every option, defaults too: `vni replace` makes the VNI exactly this. */
static void save_vni(__u32 vni, const struct xvtep_vni *v)
{
	static struct sec_prefix l[XVTEP_MAX_PEERS];
	struct xvtep_vni_sec sec;
	char buf[XV_PREFIX_STRLEN];
	int i, n = 0;

	printf("vni replace %u", vni);
	if (!xvtep_addr_is_zero(&v->group)) {
		xv_fmt_addr(&v->group, buf);
		printf(" group %s", buf);
	}
	/* An EVPN VNI's remotes are xvtepd's, from zebra. */
	for (i = 0; !(v->flags & XVTEP_VNI_F_EVPN) && i < v->nr_remotes && i < XVTEP_MAX_REMOTES;
	     i++) {
		xv_fmt_addr(&v->remotes[i], buf);
		printf(" remote %s", buf);
	}
	if (v->flags & XVTEP_VNI_F_EVPN)
		printf(" evpn");
	printf(" %s ageing %u mac-limit %u ttl %u neigh-suppress %s",
	       v->flags & XVTEP_VNI_F_LEARNING ? "learning" : "nolearning", v->ageing, v->mac_limit,
	       v->ttl, v->flags & XVTEP_VNI_F_NEIGH_SUPPRESS ? "on" : "off");
	if (v->flags & XVTEP_VNI_F_PEER_OWN)
		n = peers_read(vni, l, XVTEP_MAX_PEERS);
	for (i = 0; i < n; i++) {
		fmt_prefix(&l[i], buf);
		printf(" peer %s", buf);
	}
	vsec_read(vni, &sec);
	printf(" move-limit %u move-window %u move-hold %u\n", sec.move_limit, sec.move_window,
	       sec.move_hold);
}

/* A trunk, then its VID mappings (replace: replaying onto a live instance works). */
static void save_trunk(const char *dev, __u32 ifindex, const struct xvtep_port *port)
{
	struct vlan_map *r;
	size_t n, i;

	printf("port replace %s trunk", dev);
	if (port->vni)
		printf(" native %u", port->vni);
	printf("\n");
	if (vlan_maps_read(ifindex, &r, &n))
		return;
	for (i = 0; i < n; i++)
		printf("port vlan replace %s vid %u vni %u\n", dev, r[i].vid, r[i].vni);
	free(r);
}

static void save_port(__u32 ifindex)
{
	struct xvtep_port port;
	const char *dev;

	if (bpf_map_lookup_elem(ctl.maps.ports, &ifindex, &port) || !(dev = dev_name(ifindex, "port")))
		return;
	if (port.flags & XVTEP_PORT_F_TRUNK)
		save_trunk(dev, ifindex, &port);
	else
		printf("port replace %s vni %u encap %s\n", dev, port.vni,
		       port.flags & XVTEP_PORT_F_XDP_ENCAP ? "xdp" : "tc");
}

/* VNIs by number; then the ports, VNI by VNI in the order of each VNI's
 * port list, which replaying them rebuilds (`vni show` lists it). */
static int save_vnis_ports(void)
{
	struct xvtep_vni v;
	__u32 *vnis, *ports;
	size_t nv, np, i, j;
	int k, ret = -1;

	if (map_keys_u32(ctl.maps.vnis, &vnis, &nv))
		return -1;
	if (map_keys_u32(ctl.maps.ports, &ports, &np))
		goto out_vnis;
	for (i = 0; i < nv; i++)
		if (!vni_get(vnis[i], &v))
			save_vni(vnis[i], &v);
	for (i = 0; i < nv; i++) {
		if (vni_get(vnis[i], &v))
			continue;
		for (k = 0; k < v.nr_ports && k < XVTEP_MAX_VNI_PORTS; k++) {
			for (j = 0; j < np && ports[j] != v.ports[k]; j++)
				;
			if (j == np)
				continue;
			save_port(ports[j]);
			ports[j] = 0;	/* saved */
		}
	}
	/* A port missing from its VNI's list is still a port. */
	for (j = 0; j < np; j++)
		if (ports[j])
			save_port(ports[j]);
	ret = 0;
	free(ports);
out_vnis:
	free(vnis);
	return ret;
}

static int save_fdb(void)
{
	struct fdb_rec *r;
	char mac[18], ip[XV_ADDR_STRLEN];
	const char *dev;
	size_t n, i;

	if (fdb_dump(&r, &n))
		return -1;
	fdb_sort(r, n);
	for (i = 0; i < n; i++) {
		const struct xvtep_fdb_entry *e = &r[i].val;

		/* EVPN entries are zebra's: xvtepd writes them again. */
		if (!(e->flags & XVTEP_FDB_F_STATIC) || (e->flags & XVTEP_FDB_F_EVPN))
			continue;
		xv_fmt_mac(r[i].key.mac, mac);
		if (e->flags & XVTEP_FDB_F_REMOTE) {
			xv_fmt_addr(&e->remote, ip);
			printf("fdb replace %s vni %u remote %s\n", mac, r[i].key.vni, ip);
		} else if ((dev = dev_name(e->ifindex, "fdb"))) {
			printf("fdb replace %s vni %u dev %s\n", mac, r[i].key.vni, dev);
		}
	}
	free(r);
	return 0;
}

int do_save(int argc, char **argv)
{
	if (argc && is_help(argv[0])) {
		printf("Usage:\n");
		usage_save(stdout);
		return 0;
	}
	if (argc)
		return xv_arg_err(argv[0], "unknown keyword");
	/* The lock: no other xvtepctl changes the instance halfway through the dump. */
	if (ctl_open(true) || sec_maps_open())
		return -1;
	printf("# xvtep configuration: xvtepctl save (apply with xvtepctl -batch FILE)\n");
	save_peers();
	if (save_vnis_ports() || save_fdb() || neigh_bindings_save() || mirror_save())
		return -1;
	return 0;
}
