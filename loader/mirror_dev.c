// SPDX-License-Identifier: GPL-2.0
/* The mirror device: the veth pair mirror copies leave through. */
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <errno.h>

#include "loader.h"

/* Best effort "1" into a /proc/sys file; -errno on failure. */
static int write_sysctl(const char *fmt, const char *dev)
{
	char path[128];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), fmt, dev);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	if (fputs("1", f) < 0)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/* Kernel driver name of DEV ("" if unknown). */
static void dev_driver(const char *dev, char *drv, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	drv[0] = '\0';
	if (fd < 0)
		return;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ifr.ifr_data = (void *)&info;
	if (!ioctl(fd, SIOCETHTOOL, &ifr))
		snprintf(drv, len, "%s", info.driver);
	close(fd);
}

/*
 * The veth whose ingress shapes mirror copies. Its MTU is the largest veth
 * takes: a clone entering it bigger than MTU + headers is dropped by the
 * kernel's forward check. The mirror program looks up routes with it as the
 * input device, which needs IPv4 (and, for IPv6 collectors, IPv6) forwarding
 * on it; it forwards nothing
 * (everything arriving there is consumed by the program).
 */
int mirror_dev_setup(int *ifindex_out)
{
	static const __u32 mtus[] = { 65535, 65000, 16384, 9000, 1500 };
	int ifindex, peer, err = -EINVAL;
	char drv[32];

	ifindex = if_nametoindex(XVTEP_MIRROR_DEV);
	if (ifindex) {
		dev_driver(XVTEP_MIRROR_DEV, drv, sizeof(drv));
		if (strcmp(drv, "veth"))
			return xv_err("device %s exists but is not a veth (driver \"%s\"); "
				      "it is reserved for xvtep's mirror copies", XVTEP_MIRROR_DEV, drv);
	} else {
		for (size_t i = 0; i < sizeof(mtus) / sizeof(mtus[0]); i++) {
			err = xv_veth_create(XVTEP_MIRROR_DEV, XVTEP_MIRROR_PEER, mtus[i]);
			if (err != -EINVAL && err != -ERANGE)
				break;
		}
		if (err)
			return xv_err_errno(err, "cannot create the mirror veth pair %s/%s",
					    XVTEP_MIRROR_DEV, XVTEP_MIRROR_PEER);
		ifindex = if_nametoindex(XVTEP_MIRROR_DEV);
		if (!ifindex)
			return xv_err("mirror device %s vanished after creation", XVTEP_MIRROR_DEV);
		undo.mirror_created = true;
		if (cfg.verbose)
			fprintf(stderr, "created mirror veth pair %s/%s\n", XVTEP_MIRROR_DEV,
				XVTEP_MIRROR_PEER);
	}
	undo.mirror_ifindex = ifindex;
	peer = if_nametoindex(XVTEP_MIRROR_PEER);
	err = xv_link_set_up(ifindex);
	if (!err && peer)
		err = xv_link_set_up(peer);
	if (err)
		return xv_err_errno(err, "cannot set %s up", XVTEP_MIRROR_DEV);
	err = write_sysctl("/proc/sys/net/ipv4/conf/%s/forwarding", XVTEP_MIRROR_DEV);
	if (err)
		return xv_err_errno(err, "cannot enable IPv4 forwarding on %s", XVTEP_MIRROR_DEV);
	/* AF_INET6 lookups (ERSPAN to an IPv6 collector) need IPv6 forwarding;
	 * it stays on with IPv6 disabled below. Required only with --local IPV6. */
	err = write_sysctl("/proc/sys/net/ipv6/conf/%s/forwarding", XVTEP_MIRROR_DEV);
	if (err && !xvtep_addr_is_zero(&cfg.local_ip6))
		return xv_err_errno(err, "cannot enable IPv6 forwarding on %s", XVTEP_MIRROR_DEV);
	/* Quiet: no router solicitations or MLD reports from the pair. */
	write_sysctl("/proc/sys/net/ipv6/conf/%s/disable_ipv6", XVTEP_MIRROR_DEV);
	write_sysctl("/proc/sys/net/ipv6/conf/%s/disable_ipv6", XVTEP_MIRROR_PEER);
	*ifindex_out = ifindex;
	return 0;
}

/*
 * The mirror device, if only this instance uses it: each of its tcx ingress
 * programs is one of our pinned links (links/tc_mirror, or links/tc_mirror_new
 * of an attach killed before its rename). Checked before the pins go: the
 * release of a link after its unpin is asynchronous (RCU, then a workqueue),
 * so a count taken afterwards may still see it.
 */
bool mirror_dev_owned(int *ifindex)
{
	/* _new: an attach killed before renaming a fresh link into place */
	static const char *const names[] = { XVTEP_LINK_MIRROR, XVTEP_LINK_MIRROR "_new" };
	long nr, ours = 0;
	bool pinned = false;
	char path[PATH_MAX];
	int fd;

	*ifindex = if_nametoindex(XVTEP_MIRROR_DEV);
	if (!*ifindex)
		return false;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		__u32 idx = 0;

		if (pin_path(path, "links", names[i]))
			continue;
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		pinned = true;
		if (fd_is(fd, "link") && !xv_link_info(fd, NULL, NULL, NULL, &idx) &&
		    idx == (__u32)*ifindex)
			ours++;
		close(fd);
	}
	if (filter_ours(*ifindex, XV_TC_MIRROR)) {
		pinned = true;
		ours++;
	}
	if (!pinned)
		return false;	/* not ours to delete */
	nr = xv_tc_ingress_count(*ifindex);
	if (nr < 0)
		return false;
	/* nr == 0: our links went defunct when the device was recreated. */
	return nr <= ours;
}

/*
 * An attach killed between creating the mirror veth and pinning its link
 * leaves the veth without any program: nobody uses it, remove it. Returns
 * true if it was removed.
 */
bool mirror_dev_remove_unused(void)
{
	int ifindex = if_nametoindex(XVTEP_MIRROR_DEV);
	char drv[32];

	if (!ifindex || xv_tc_ingress_count(ifindex) != 0)
		return false;
	dev_driver(XVTEP_MIRROR_DEV, drv, sizeof(drv));
	if (strcmp(drv, "veth") || xv_link_del(ifindex))
		return false;
	fprintf(stderr, "Warning: removed %s, left without a program by an interrupted attach\n",
		XVTEP_MIRROR_DEV);
	return true;
}

