// SPDX-License-Identifier: GPL-2.0
/* detach: take the dataplane down, with or without its pinned state. */
#include <dirent.h>
#include <net/if.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <errno.h>

#include "loader.h"

/* The instance's meta, if its uplink is in this network namespace. ABI 2's
 * is the same but for the missing local_ip6 at the end (read as zero):
 * detaching an ABI 2 instance is the way to move it to this build. */
static bool uplink_meta(struct xvtep_meta *meta)
{
	char path[PATH_MAX], name[IF_NAMESIZE];
	struct bpf_map_info info = {};
	__u32 key = 0, len = sizeof(info);
	int meta_fd;

	if (pin_path(path, NULL, XVTEP_MAP_META))
		return false;
	meta_fd = bpf_obj_get(path);
	if (meta_fd < 0)
		return false;
	memset(meta, 0, sizeof(*meta));
	/* A lookup writes value_size bytes. */
	if (bpf_obj_get_info_by_fd(meta_fd, &info, &len) || info.value_size > sizeof(*meta) ||
	    bpf_map_lookup_elem(meta_fd, &key, meta) ||
	    (meta->abi_version != XVTEP_ABI_VERSION && meta->abi_version != 2) ||
	    !meta->uplink_ifindex) {
		close(meta_fd);
		return false;
	}
	close(meta_fd);
	/* The ifindex only means something in the uplink's own namespace. */
	if (!if_indextoname(meta->uplink_ifindex, name) ||
	    strncmp(name, meta->uplink_name, sizeof(meta->uplink_name))) {
		fprintf(stderr, "Warning: uplink %.16s (ifindex %u) not found in this network "
			"namespace%s; multicast groups not left, uplink filters not removed\n",
			meta->uplink_name, meta->uplink_ifindex, cfg.netns ? "" : " (missing -n NETNS?)");
		return false;
	}
	return true;
}

/* sizeof(struct xvtep_vni) of ABI 2 (an IPv4 __be32 group first): detaching
 * an instance of the previous ABI (the way to move it to this build) still
 * leaves its groups. */
#define VNI_ABI2_SIZE	(24 + 4 * XVTEP_MAX_REMOTES + 4 * XVTEP_MAX_VNI_PORTS)

/* Leave the groups of every VNI; best effort, the pins go anyway. */
static void leave_groups(const struct xvtep_meta *m)
{
	char path[PATH_MAX], name[IF_NAMESIZE] = "";
	__u32 key = 0, *prev = NULL;
	int vnis_fd;
	bool abi2 = false;
	union {
		struct xvtep_vni v;
		__u8 abi2[VNI_ABI2_SIZE];
	} u;
	struct xvtep_vni *vp = &u.v;
	union xvtep_addr group;

	if_indextoname(m->uplink_ifindex, name);
	if (pin_path(path, NULL, XVTEP_MAP_VNIS))
		return;
	vnis_fd = bpf_obj_get(path);
	if (vnis_fd < 0)
		return;
	{
		/* Lookups write value_size bytes: never trust a foreign layout. */
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(vnis_fd, &info, &len) && info.key_size == sizeof(key) &&
		    info.value_size == VNI_ABI2_SIZE)
			abi2 = true;
		else if (bpf_obj_get_info_by_fd(vnis_fd, &info, &len) ||
			 info.key_size != sizeof(key) || info.value_size != sizeof(*vp)) {
			fprintf(stderr, "Warning: %s has an unexpected layout; multicast groups "
				"not left\n", path);
			close(vnis_fd);
			return;
		}
	}
	while (!bpf_map_get_next_key(vnis_fd, prev, &key)) {
		prev = &key;
		if (bpf_map_lookup_elem(vnis_fd, &key, &u))
			continue;
		if (abi2) {
			__be32 g4;

			memcpy(&g4, u.abi2, 4);
			xvtep_addr_set_v4(&group, g4);
		} else {
			group = vp->group;
		}
		if (!xvtep_addr_is_mcast(&group))
			continue;
		int err = xv_mcast_leave(m->uplink_ifindex, &group);

		if (err) {
			char g[XV_ADDR_STRLEN];

			xv_fmt_addr(&group, g);
			fprintf(stderr, "Warning: cannot leave group %s on %s: %s\n", g, name,
				strerror(-err));
		}
	}
	close(vnis_fd);
}

static int unpin(const char *path, int *count)
{
	if (!unlink(path)) {
		(*count)++;
		return 0;
	}
	if (errno == ENOENT)
		return 0;
	fprintf(stderr, "Warning: cannot remove %s: %s\n", path, strerror(errno));
	return -1;
}

int cmd_detach(void)
{
	static const char *const maps[] = {
		XVTEP_MAP_META, XVTEP_MAP_VNIS, XVTEP_MAP_VSTATE, XVTEP_MAP_PORTS,
		XVTEP_MAP_FDB, XVTEP_MAP_STATS, XVTEP_MAP_DEVMAP, XVTEP_MAP_GC,
		XVTEP_MAP_FDB_SEEN, XVTEP_MAP_MIRRORS, XVTEP_MAP_MSTATS, XVTEP_MAP_UPMIRROR,
		XVTEP_MAP_PEERS, XVTEP_MAP_VSEC, XVTEP_MAP_MOVES, XVTEP_MAP_OWNMACS, XVTEP_MAP_MRATE,
		XVTEP_MAP_GEN, XVTEP_MAP_MIRROR_BCAST, XVTEP_MAP_MIRROR_XMIT,
		XVTEP_MAP_EVENTS, XVTEP_MAP_EVRATE, XVTEP_MAP_NEIGH, XVTEP_MAP_VLAN_IN,
		XVTEP_MAP_VLAN_OUT,
	};
	static const char *const progs[] = {
		XVTEP_PROG_PORT, XVTEP_PROG_PORT "_new", XVTEP_PROG_PORT "_old",
		XVTEP_PROG_PORT_EGRESS, XVTEP_PROG_PORT_EGRESS "_new",
		XVTEP_PROG_PORT_EGRESS "_old",
		XVTEP_PROG_PORT_XDP, XVTEP_PROG_PORT_XDP "_new", XVTEP_PROG_PORT_XDP "_old",
	};
	static const char *const links[] = {
		XVTEP_LINK_XDP, XVTEP_LINK_TC_UPLINK, XVTEP_LINK_TC_UPLINK_EG, XVTEP_LINK_MIRROR,
		XVTEP_LINK_XDP "_new", XVTEP_LINK_TC_UPLINK "_new",
		XVTEP_LINK_TC_UPLINK_EG "_new", XVTEP_LINK_MIRROR "_new",
		XVTEP_LINK_XDP_MIRROR, XVTEP_LINK_XDP_MIRROR "_new",
	};
	char path[PATH_MAX], dir[PATH_MAX];
	int removed = 0, failed = 0, mirror_ifindex;
	struct xvtep_meta meta;
	bool mirror_ours, here;
	struct dirent *de;
	DIR *d;

	if (cfg.netns && xv_enter_netns(cfg.netns))
		return 1;
	if (xv_check_bpffs(cfg.pin))
		return 1;
	if (!path_exists(cfg.pin)) {
		if (mirror_dev_remove_unused())
			return 0;
		xv_err("nothing attached at %s (no such directory)", cfg.pin);
		return 1;
	}

	here = uplink_meta(&meta);
	if (here)
		leave_groups(&meta);
	mirror_ours = mirror_dev_owned(&mirror_ifindex);
	/* Before the maps go: they tell our filters from others. */
	removed += xv_clsact_detach_all(cfg.pin, here ? (int)meta.uplink_ifindex : 0, mirror_ifindex);

	/* Links first: removing their pins detaches the programs. Only names
	 * xvtep creates are touched, whatever else lives in the directory. */
	if (pin_path(dir, NULL, "links"))
		return 1;
	d = opendir(dir);
	if (d) {
		while ((de = readdir(d))) {
			bool known = false;
			__u32 ifindex;
			char rest;

			for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
				known |= !strcmp(de->d_name, links[i]);
			for (int k = 0; k < PORT_LINK__MAX && !known; k++)
				known = sscanf(de->d_name, port_links[k].scan, &ifindex, &rest) == 1;
			if (!known)
				continue;
			if (pin_path(path, "links", de->d_name))
				continue;
			failed |= unpin(path, &removed);
		}
		closedir(d);
	}
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		if (!pin_path(path, "progs", progs[i]))
			failed |= unpin(path, &removed);
	if (mirror_ours) {
		int err = xv_link_del(mirror_ifindex);

		if (err && err != -ENODEV)
			fprintf(stderr, "Warning: cannot delete %s: %s\n", XVTEP_MIRROR_DEV,
				strerror(-err));
	} else if (!cfg.keep_maps && mirror_dev_remove_unused()) {
		removed++;
	}
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]) && !cfg.keep_maps; i++)
		if (!pin_path(path, NULL, maps[i]))
			failed |= unpin(path, &removed);

	if (!pin_path(path, NULL, "links") && rmdir(path) && errno != ENOENT)
		fprintf(stderr, "Warning: %s left in place: %s\n", path, strerror(errno));
	if (!pin_path(path, NULL, "progs") && rmdir(path) && errno != ENOENT)
		fprintf(stderr, "Warning: %s left in place: %s\n", path, strerror(errno));

	if (!removed) {
		/* An attach killed right after making the directories: remove them. */
		if (!cfg.keep_maps && !rmdir(cfg.pin)) {
			printf("xvtep detached from %s (nothing was attached; removed the empty "
			       "pin dir left by an interrupted attach)\n", cfg.pin);
			return 0;
		}
		xv_err("nothing attached at %s", cfg.pin);
		return 1;
	}
	if (cfg.keep_maps) {
		printf("xvtep detached from %s (%d pins removed, maps kept: attach again "
		       "to resume)\n", cfg.pin, removed);
		return failed ? 1 : 0;
	}
	if (rmdir(cfg.pin) && errno != ENOENT)
		fprintf(stderr, "Warning: %s left in place: %s\n", cfg.pin, strerror(errno));
	{
		/* The configuration is gone: so are the managed neighbours we made for it. */
		int err = xv_neigh_release(NULL, 0, NULL);

		if (err)
			fprintf(stderr, "Warning: managed underlay neighbours of xvtep may remain: %s\n",
				strerror(-err));
	}
	if (failed) {
		xv_err("detach incomplete: some pins under %s could not be removed", cfg.pin);
		return 1;
	}
	printf("xvtep detached from %s (%d pins removed)\n", cfg.pin, removed);
	return 0;
}

