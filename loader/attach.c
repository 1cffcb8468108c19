// SPDX-License-Identifier: GPL-2.0
/* attach: load the object, pin it, hook it in, in phases that undo on failure. */
#include <net/if.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>

#include "xvtep.skel.h"
#include "loader.h"

/*
 * XDP on a veth turns TSO off on its peer (drivers/net/veth.c,
 * veth_fix_features), so every TCP segment crosses one by one: measured 0.26x
 * the kernel's TCP throughput in hybrid mode against 1.18x with TC decap
 * (bench/results). A veth uplink therefore defaults to TC-only decap; a NIC
 * keeps the XDP fast path, which costs it nothing.
 */
static bool dev_is_veth(const char *name)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = {};
	bool veth = false;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (void *)&info;
	if (!ioctl(fd, SIOCETHTOOL, &ifr))
		veth = !strcmp(info.driver, "veth");
	close(fd);
	return veth;
}
/* The XDP program ids currently on the device, by mode. */
static int query_xdp(int ifindex, struct bpf_xdp_query_opts *q)
{
	memset(q, 0, sizeof(*q));
	q->sz = sizeof(*q);
	if (bpf_xdp_query(ifindex, 0, q))
		return xv_err_errno(errno, "cannot query the XDP programs of %s", cfg.uplink);
	return 0;
}

static __u32 foreign_xdp_id(const struct bpf_xdp_query_opts *q, __u32 ours)
{
	__u32 ids[] = { q->drv_prog_id, q->skb_prog_id, q->hw_prog_id, q->prog_id };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (ids[i] && ids[i] != ours)
			return ids[i];
	return 0;
}

static int join_groups(int vnis_fd, int ifindex)
{
	__u32 key, *prev = NULL;
	struct xvtep_vni v;

	while (!bpf_map_get_next_key(vnis_fd, prev, &key)) {
		bool created, dup = false;
		int err;

		prev = &key;
		if (bpf_map_lookup_elem(vnis_fd, &key, &v) || !v.group || !xv_ipv4_is_mcast(v.group))
			continue;
		for (int i = 0; i < undo.nr_joined; i++)
			dup |= undo.joined[i] == v.group;
		if (dup)
			continue;
		err = xv_mcast_join_ex(ifindex, v.group, &created);
		if (err) {
			char g[16];

			xv_fmt_ipv4(v.group, g);
			return xv_err_errno(err, "cannot join multicast group %s (VNI %u) on %s",
					    g, key, cfg.uplink);
		}
		if (created && undo.nr_joined < XVTEP_MAX_VNIS)
			undo.joined[undo.nr_joined++] = v.group;
	}
	return 0;
}

static int run_gc_start(int prog_fd)
{
	unsigned char pkt[64] = {};
	LIBBPF_OPTS(bpf_test_run_opts, topts,
		    .data_in = pkt,
		    .data_size_in = sizeof(pkt),
		    .repeat = 1);

	/* Arms the ageing timer; it then lives with the pinned xvtep_gc map. */
	if (bpf_prog_test_run_opts(prog_fd, &topts))
		return xv_err_errno(errno, "cannot start the ageing sweep (xvtep_gc_start)");
	return 0;
}
int cmd_attach(void)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct old_link old_xdp = { .fd = -1 }, old_tc = { .fd = -1 };
	struct old_link old_upeg = { .fd = -1 }, old_mirror = { .fd = -1 }, old_xmir = { .fd = -1 };
	struct bpf_xdp_query_opts q;
	struct xvtep *skel = NULL;
	struct xvtep_meta meta = {};
	struct bpf_map *map;
	int ifindex = 0, err, ret = 1;
	int xdp_fd, tc_up_fd, port_fd, gc_fd, port_eg_fd, up_eg_fd, mirror_fd;
	int mirror_ifindex = 0;
	long nr_progs;
	bool xdp_wanted;
	bool committed = false;
	__u32 foreign, key = 0;
	__u16 feat_off;
	__u8 mac[6];

	if (!cfg.uplink) {
		xv_err("attach needs --uplink DEV");
		return 1;
	}
	if (!cfg.local_ip) {
		xv_err("attach needs --local IPV4");
		return 1;
	}
	if (cfg.netns && xv_enter_netns(cfg.netns))
		return 1;
	if (xv_check_bpffs(cfg.pin))
		return 1;
	if (get_uplink(cfg.uplink, &ifindex, mac))
		return 1;
	/* What this kernel offers decides which programs and paths load. */
	if (xv_features_probe(&feat_off))
		return 1;
	use_clsact = feat_off & XVTEP_FEAT_TCX;

	skel = xvtep__open();
	if (!skel) {
		xv_err_errno(errno, "cannot open the BPF object");
		goto cleanup;
	}

	/* Look at the pinned state first: refuse before changing anything. */
	our_btf = bpf_object__btf(skel->obj);
	bpf_object__for_each_map(map, skel->obj) {
		struct map_slot *s;

		if (bpf_map__is_internal(map) || !map_is_pinned(map))
			continue;
		if (undo.nr_maps == MAX_MAPS) {
			xv_err("too many maps in the BPF object");
			goto cleanup;
		}
		s = &undo.maps[undo.nr_maps++];
		s->map = map;
		if (pin_path(s->path, NULL, bpf_map__name(map)))
			goto cleanup;
		if (check_pinned_map(s))
			goto cleanup;
	}
	/* undo_all() restores meta through slot 0. */
	for (int i = 1; i < undo.nr_maps; i++) {
		if (!strcmp(bpf_map__name(undo.maps[i].map), XVTEP_MAP_META)) {
			struct map_slot t = undo.maps[0];

			undo.maps[0] = undo.maps[i];
			undo.maps[i] = t;
		}
	}
	/* Decap mode not given: keep the running instance's, else choose by driver. */
	if (cfg.decap == DECAP_UNSET && undo.meta_existed && undo.old_meta.abi_version &&
	    undo.old_meta.decap_mode <= XVTEP_DECAP_TC)
		cfg.decap = undo.old_meta.decap_mode;
	if (cfg.decap < 0)
		cfg.decap = dev_is_veth(cfg.uplink) ? XVTEP_DECAP_TC : XVTEP_DECAP_HYBRID;
	xdp_wanted = cfg.decap != XVTEP_DECAP_TC;

	/* A pinned FDB of another size was refused above: this one is new. */
	if (cfg.fdb_size && bpf_map__max_entries(skel->maps.xvtep_fdb) != cfg.fdb_size &&
	    bpf_map__set_max_entries(skel->maps.xvtep_fdb, cfg.fdb_size)) {
		xv_err_errno(errno, "cannot size map %s", XVTEP_MAP_FDB);
		goto cleanup;
	}

	/* One pin dir serves one uplink: moving it needs a detach. */
	if (undo.meta_existed && undo.old_meta.abi_version &&
	    undo.old_meta.uplink_ifindex && undo.old_meta.uplink_ifindex != (__u32)ifindex) {
		char other[IF_NAMESIZE];

		if (if_indextoname(undo.old_meta.uplink_ifindex, other)) {
			xv_err("%s is already attached to uplink %s (ifindex %u); run detach "
			       "first to use %s", cfg.pin, other, undo.old_meta.uplink_ifindex,
			       cfg.uplink);
			goto cleanup;
		}
	}

	if (recover_tmp_link(XVTEP_LINK_XDP) || recover_tmp_link(XVTEP_LINK_TC_UPLINK) ||
	    recover_tmp_link(XVTEP_LINK_TC_UPLINK_EG) || recover_tmp_link(XVTEP_LINK_MIRROR) ||
	    recover_tmp_link(XVTEP_LINK_XDP_MIRROR))
		goto cleanup;
	if (open_old_link(&old_xdp, XVTEP_LINK_XDP, XV_LINK_TYPE_XDP, ifindex, true) ||
	    open_old_link(&old_tc, XVTEP_LINK_TC_UPLINK, XV_LINK_TYPE_TCX, ifindex, true) ||
	    open_old_link(&old_upeg, XVTEP_LINK_TC_UPLINK_EG, XV_LINK_TYPE_TCX, ifindex, true) ||
	    check_attach_method(old_tc.fd >= 0 ? &old_tc : &old_upeg, ifindex, feat_off))
		goto cleanup;

	if (query_xdp(ifindex, &q))
		goto cleanup;
	if (old_xdp.fd >= 0 && old_xdp.ifindex) {
		/* A link cannot change mode: keep the attached one unless told otherwise. */
		int cur = q.skb_prog_id == old_xdp.prog_id ? XDP_MODE_GENERIC : XDP_MODE_NATIVE;

		if (cfg.xdp_mode < 0) {
			cfg.xdp_mode = cur;
		} else if (xdp_wanted && cfg.xdp_mode != cur) {
			xv_err("xvtep's XDP program is attached to %s in %s mode; run detach "
			       "first to switch to --xdp-mode %s", cfg.uplink,
			       xdp_mode_names[cur], xdp_mode_names[cfg.xdp_mode]);
			goto cleanup;
		}
	}
	if (cfg.xdp_mode < 0)
		cfg.xdp_mode = XDP_MODE_NATIVE;

	foreign = foreign_xdp_id(&q, old_xdp.ifindex ? old_xdp.prog_id : 0);
	if (foreign) {
		char name[16];

		xv_prog_name(foreign, name);
		if (!cfg.force) {
			xv_err("device %s already has a foreign XDP program (id %u \"%s\"); "
			       "use --force to %s", cfg.uplink, foreign, name,
			       xdp_wanted ? "replace it" : "attach anyway");
			goto cleanup;
		}
		if (!xdp_wanted)
			fprintf(stderr, "Warning: leaving foreign XDP program id %u \"%s\" on %s: "
				"it sees VXLAN traffic before xvtep\n", foreign, name, cfg.uplink);
	}

	/* The mirror device, before the load: its ifindex is compiled in. */
	if (mirror_dev_setup(&mirror_ifindex))
		goto cleanup;
	if (open_old_link(&old_mirror, XVTEP_LINK_MIRROR, XV_LINK_TYPE_TCX, mirror_ifindex, false) ||
	    open_old_link(&old_xmir, XVTEP_LINK_XDP_MIRROR, XV_LINK_TYPE_XDP, mirror_ifindex, false))
		goto cleanup;
	/* One instance per network namespace can own the mirror device. */
	nr_progs = xv_tc_ingress_count(mirror_ifindex);
	if (nr_progs < 0) {
		xv_err_errno(nr_progs, "cannot query the programs of %s", XVTEP_MIRROR_DEV);
		goto cleanup;
	}
	if (nr_progs > (old_mirror.fd >= 0 && old_mirror.ifindex ? 1 : 0) +
		       filter_ours(mirror_ifindex, XV_TC_MIRROR)) {
		xv_err("%s already has a TC ingress program not of the instance at %s (another xvtep "
		       "instance in this network namespace?); only one instance per namespace "
		       "can mirror", XVTEP_MIRROR_DEV, cfg.pin);
		goto cleanup;
	}

	/* Configuration fixed at load time. */
	skel->rodata->cfg_uplink_ifindex = ifindex;
	skel->rodata->cfg_mirror_ifindex = mirror_ifindex;
	skel->rodata->cfg_local_ip = cfg.local_ip;
	skel->rodata->cfg_dstport = cfg.dstport;
	skel->rodata->cfg_sport_min = cfg.sport_min;
	skel->rodata->cfg_sport_max = cfg.sport_max;
	memcpy((void *)skel->rodata->cfg_uplink_mac, mac, 6);
	skel->rodata->cfg_xdp_tcp = cfg.decap == XVTEP_DECAP_XDP;
	skel->rodata->cfg_gc_interval_ns = XVTEP_GC_INTERVAL_NS;
	/* Known at load, so the verifier never sees what this kernel refuses. */
	skel->rodata->cfg_xdp_meta = !(feat_off & XVTEP_FEAT_XDP_META);
	skel->rodata->cfg_decap_l3 = !(feat_off & XVTEP_FEAT_DECAP_L3);

	for (int i = 0; i < undo.nr_maps; i++) {
		if (bpf_map__set_pin_path(undo.maps[i].map, undo.maps[i].path)) {
			xv_err_errno(errno, "cannot set the pin path of %s",
				     bpf_map__name(undo.maps[i].map));
			goto cleanup;
		}
	}

	snprintf(undo.pin_dir, sizeof(undo.pin_dir), "%s", cfg.pin);
	if (pin_path(undo.links_dir, NULL, "links") || pin_path(undo.progs_dir, NULL, "progs"))
		goto cleanup;
	if (make_dir(undo.pin_dir, &undo.made_pin_dir) ||
	    make_dir(undo.links_dir, &undo.made_links_dir) ||
	    make_dir(undo.progs_dir, &undo.made_progs_dir))
		goto cleanup;

	/* Reuses the compatible pinned maps, creates and pins the missing ones. */
	undo.load_tried = true;
	err = xvtep__load(skel);
	if (err) {
		if (err == -EPERM)
			xv_err("cannot load the BPF programs: missing privileges (need "
			       "CAP_BPF/CAP_NET_ADMIN)");
		else
			xv_err("cannot load the BPF programs: %s (libbpf messages above)",
			       strerror(-err));
		goto cleanup;
	}

	xdp_fd = bpf_program__fd(skel->progs.xvtep_xdp_up);
	tc_up_fd = bpf_program__fd(skel->progs.xvtep_tc_up);
	port_fd = bpf_program__fd(skel->progs.xvtep_tc_port);
	gc_fd = bpf_program__fd(skel->progs.xvtep_gc_start);
	port_eg_fd = bpf_program__fd(skel->progs.xvtep_tc_port_eg);
	up_eg_fd = bpf_program__fd(skel->progs.xvtep_tc_up_eg);
	mirror_fd = bpf_program__fd(skel->progs.xvtep_tc_mirror);

	/* Port program: replace the pin in one step so `port add` always finds one. */
	if (pin_path(path, "progs", XVTEP_PROG_PORT) ||
	    pin_path(tmp, "progs", XVTEP_PROG_PORT "_new"))
		goto cleanup;
	undo.old_port_prog_fd = bpf_obj_get(path);
	if (pin_replace(port_fd, path, tmp)) {
		xv_err_errno(errno, "cannot pin %s", path);
		goto cleanup;
	}
	undo.port_pin_done = true;

	if (port_hooks(bpf_map__fd(skel->maps.xvtep_ports), port_fd, PORT_LINK_INGRESS))
		goto cleanup;

	/* Mirroring: the shaping program first, so copies never arrive unhandled;
	 * then the egress sources (port egress links, uplink egress). */
	if (tc_ensure(XV_TC_MIRROR, &old_mirror, mirror_fd, mirror_ifindex, XVTEP_MIRROR_DEV,
		      &undo.new_mirror_fd, &undo.mirror_pinned))
		goto cleanup;
	/* Copies made by XDP arrive here as XDP frames (mirror.h). */
	if (link_ensure(&old_xmir, XVTEP_LINK_XDP_MIRROR,
			bpf_program__fd(skel->progs.xvtep_xdp_mir), mirror_ifindex,
			LINK_HOOK_XDP, XVTEP_MIRROR_DEV, &undo.new_xmir_fd, &undo.xmir_pinned))
		goto cleanup;
	if (prog_pin_swap(XVTEP_PROG_PORT_EGRESS, port_eg_fd, &undo.old_port_eg_prog_fd,
			  &undo.port_eg_pin_done))
		goto cleanup;
	if (port_hooks(bpf_map__fd(skel->maps.xvtep_ports), port_eg_fd, PORT_LINK_EGRESS))
		goto cleanup;
	/* Ports with `encap xdp`: their XDP encap fast path (bpf/xdp_port.c). */
	if (prog_pin_swap(XVTEP_PROG_PORT_XDP, bpf_program__fd(skel->progs.xvtep_xdp_port),
			  &undo.old_port_xdp_prog_fd, &undo.port_xdp_pin_done) ||
	    port_hooks(bpf_map__fd(skel->maps.xvtep_ports),
		       bpf_program__fd(skel->progs.xvtep_xdp_port), PORT_LINK_XDP))
		goto cleanup;
	if (tc_ensure(XV_TC_UPLINK_EG, &old_upeg, up_eg_fd, ifindex, cfg.uplink,
		      &undo.new_upeg_fd, &undo.upeg_pinned))
		goto cleanup;

	/* Uplink ingress: atomic program swap when re-attaching. */
	if (tc_ensure(XV_TC_UPLINK, &old_tc, tc_up_fd, ifindex, cfg.uplink, &undo.new_tc_fd,
		      &undo.tc_pinned))
		goto cleanup;

	if (xdp_wanted) {
		if (old_xdp.fd >= 0 && old_xdp.ifindex) {
			if (update_link(old_xdp.fd, old_xdp.prog_id, xdp_fd, old_xdp.path)) {
				xv_err_errno(errno, "cannot update %s", old_xdp.path);
				goto cleanup;
			}
		} else {
			LIBBPF_OPTS(bpf_link_create_opts, lopts,
				    .flags = cfg.xdp_mode == XDP_MODE_GENERIC ?
					     XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);

			if (foreign) {
				/* --force: drop the foreign program (only possible when it
				 * was attached through netlink, not held by a bpf_link). */
				__u32 mode = q.skb_prog_id == foreign ? XDP_FLAGS_SKB_MODE :
					     q.hw_prog_id == foreign ? XDP_FLAGS_HW_MODE :
					     XDP_FLAGS_DRV_MODE;

				if (bpf_xdp_detach(ifindex, mode, NULL)) {
					xv_err_errno(errno, "cannot remove the foreign XDP program "
						     "id %u from %s (a bpf_link owned by another "
						     "tool must be removed by that tool)",
						     foreign, cfg.uplink);
					goto cleanup;
				}
				fprintf(stderr, "Warning: removed foreign XDP program id %u from %s\n",
					foreign, cfg.uplink);
			}
			err = bpf_link_create(xdp_fd, ifindex, BPF_XDP, &lopts);
			if (err < 0) {
				if (err == -EOPNOTSUPP && cfg.xdp_mode == XDP_MODE_NATIVE)
					xv_err("device %s does not support native XDP; use "
					       "--xdp-mode generic", cfg.uplink);
				else if (err == -ERANGE)
					xv_err("cannot attach the XDP program to %s: MTU too large "
					       "for XDP on this device (lower the MTU, or use "
					       "--decap tc)", cfg.uplink);
				else if (err == -EBUSY || err == -EEXIST)
					xv_err("device %s already has an XDP program attached "
					       "(use --force to replace it)", cfg.uplink);
				else
					xv_err_errno(err, "cannot attach the XDP program to %s "
						     "(%s mode)", cfg.uplink,
						     xdp_mode_names[cfg.xdp_mode]);
				goto cleanup;
			}
			undo.new_xdp_fd = err;
			if (pin_path(tmp, "links", XVTEP_LINK_XDP "_new") ||
			    pin_replace(undo.new_xdp_fd, old_xdp.path, tmp)) {
				xv_err_errno(errno, "cannot pin %s", old_xdp.path);
				goto cleanup;
			}
			undo.xdp_pinned = true;
		}
	}

	meta.abi_version = XVTEP_ABI_VERSION;
	meta.uplink_ifindex = ifindex;
	meta.local_ip = cfg.local_ip;
	meta.dstport = cfg.dstport;
	meta.sport_min = cfg.sport_min;
	meta.sport_max = cfg.sport_max;
	meta.decap_mode = cfg.decap;
	meta.xdp_mode = cfg.xdp_mode;
	meta.feat_off = feat_off;
	memcpy(meta.uplink_mac, mac, 6);
	meta.xdp_prog_id = xdp_wanted ? prog_id_of(xdp_fd) : 0;
	meta.tc_uplink_prog_id = prog_id_of(tc_up_fd);
	meta.port_prog_id = prog_id_of(port_fd);
	meta.attached_at = (__u64)time(NULL);
	snprintf(meta.uplink_name, sizeof(meta.uplink_name), "%s", cfg.uplink);
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xvtep_meta), &key, &meta, BPF_ANY)) {
		xv_err_errno(errno, "cannot write %s", XVTEP_MAP_META);
		goto cleanup;
	}
	undo.meta_written = true;

	/* The devmap is derived from xvtep_ports (maps.h): repair it in case a
	 * CLI was killed between the two updates. */
	{
		struct xv_maps m = {
			.ports = bpf_map__fd(skel->maps.xvtep_ports),
			.devmap = bpf_map__fd(skel->maps.xvtep_devmap),
			.mirror_bcast = bpf_map__fd(skel->maps.xvtep_mirror_bcast),
			.mirror_xmit = bpf_map__fd(skel->maps.xvtep_mirror_xmit),
			.mirrors = bpf_map__fd(skel->maps.xvtep_mirrors),
			.feat_off = feat_off,
		};

		/* The devices that take XDP frames first: the pairs depend on them. */
		err = xv_mirror_xmit_sync(&m);
		if (err)
			fprintf(stderr, "Warning: cannot update %s: %s\n", XVTEP_MAP_MIRROR_XMIT,
				strerror(-err));
		err = xv_devmap_sync_all(&m);
		if (err)
			fprintf(stderr, "Warning: cannot sync %s with %s: %s\n", XVTEP_MAP_DEVMAP,
				XVTEP_MAP_PORTS, strerror(-err));
	}

	if (run_gc_start(gc_fd))
		goto cleanup;

	if (join_groups(bpf_map__fd(skel->maps.xvtep_vnis), ifindex))
		goto cleanup;

	/* Past the point of failure: drop what the new configuration no longer uses. */
	committed = true;
	if (!xdp_wanted && old_xdp.fd >= 0) {
		unlink(old_xdp.path);	/* the link dies with its last reference */
		close(old_xdp.fd);
		old_xdp.fd = -1;
	}

	/* Managed underlay neighbours for the remotes already configured in
	 * the pinned maps (a restart, a re-attach); warnings only. */
	{
		__be32 *remotes = NULL;
		size_t nr = 0;

		if (!xv_config_remotes(bpf_map__fd(skel->maps.xvtep_vnis),
				       bpf_map__fd(skel->maps.xvtep_fdb), &remotes, &nr))
			xv_neigh_managed_all(remotes, nr, cfg.local_ip);
		free(remotes);
	}

	{
		char ip[16];

		xv_fmt_ipv4(cfg.local_ip, ip);
		printf("xvtep attached: uplink %s (ifindex %d) local %s dstport %u decap %s",
		       cfg.uplink, ifindex, ip, cfg.dstport, decap_names[cfg.decap]);
		if (xdp_wanted)
			printf(" xdp %s", xdp_mode_names[cfg.xdp_mode]);
		printf(" fdb-size %u, pinned under %s\n",
		       bpf_map__max_entries(skel->maps.xvtep_fdb), cfg.pin);
	}
	ret = 0;

cleanup:
	if (ret && !committed)
		undo_all(ifindex);
	for (int i = 0; i < undo.nr_updates; i++) {
		/* Port link fds are owned here; uplink ones by old_*. */
		if (undo.updates[i].link_fd != old_tc.fd && undo.updates[i].link_fd != old_xdp.fd &&
		    undo.updates[i].link_fd != old_upeg.fd &&
		    undo.updates[i].link_fd != old_mirror.fd && undo.updates[i].link_fd != old_xmir.fd)
			close(undo.updates[i].link_fd);
		if (undo.updates[i].old_prog_fd >= 0)
			close(undo.updates[i].old_prog_fd);
	}
	if (!ret) {
		/* Pinned now: our references are no longer needed. */
		if (undo.new_tc_fd >= 0)
			close(undo.new_tc_fd);
		if (undo.new_xdp_fd >= 0)
			close(undo.new_xdp_fd);
		if (undo.new_upeg_fd >= 0)
			close(undo.new_upeg_fd);
		if (undo.new_mirror_fd >= 0)
			close(undo.new_mirror_fd);
		if (undo.new_xmir_fd >= 0)
			close(undo.new_xmir_fd);
	}
	for (int i = 0; i < undo.nr_filters; i++)
		if (undo.filters[i].old_prog_fd >= 0)
			close(undo.filters[i].old_prog_fd);
	if (undo.old_port_prog_fd >= 0)
		close(undo.old_port_prog_fd);
	if (undo.old_port_eg_prog_fd >= 0)
		close(undo.old_port_eg_prog_fd);
	if (undo.old_port_xdp_prog_fd >= 0)
		close(undo.old_port_xdp_prog_fd);
	if (old_upeg.fd >= 0)
		close(old_upeg.fd);
	if (old_mirror.fd >= 0)
		close(old_mirror.fd);
	if (old_xmir.fd >= 0)
		close(old_xmir.fd);
	if (old_xdp.fd >= 0)
		close(old_xdp.fd);
	if (old_tc.fd >= 0)
		close(old_tc.fd);
	xvtep__destroy(skel);
	return ret;
}
