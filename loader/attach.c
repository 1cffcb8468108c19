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
		if (bpf_map_lookup_elem(vnis_fd, &key, &v) || !xvtep_addr_is_mcast(&v.group))
			continue;
		for (int i = 0; i < undo.nr_joined; i++)
			dup |= xvtep_addr_equal(&undo.joined[i], &v.group);
		if (dup)
			continue;
		err = xv_mcast_join_ex(ifindex, &v.group, &created);
		if (err) {
			char g[XV_ADDR_STRLEN];

			xv_fmt_addr(&v.group, g);
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
/* What the phases of one attach share. */
struct attach {
	struct xvtep *skel;
	/* The pinned links as found before this run (fd -1: none). */
	struct old_link old_xdp, old_tc, old_upeg, old_mirror, old_xmir;
	struct bpf_xdp_query_opts q;	/* the XDP programs on the uplink */
	int ifindex, mirror_ifindex;
	__u8 mac[6];
	__u16 feat_off;
	__u32 foreign;			/* a foreign XDP program on the uplink, or 0 */
	bool xdp_wanted;
};

/* The arguments, the namespace, bpffs, the uplink and what this kernel offers. */
static int attach_check_env(struct attach *a)
{
	if (!cfg.uplink)
		return xv_err("attach needs --uplink DEV");
	if (!cfg.local_ip && xvtep_addr_is_zero(&cfg.local_ip6))
		return xv_err("attach needs --local ADDR (IPv4 and/or IPv6)");
	if (cfg.netns && xv_enter_netns(cfg.netns))
		return -1;
	if (xv_check_bpffs(cfg.pin))
		return -1;
	if (get_uplink(cfg.uplink, &a->ifindex, a->mac))
		return -1;
	/* What this kernel offers decides which programs and paths load. */
	if (xv_features_probe(&a->feat_off))
		return -1;
	use_clsact = a->feat_off & XVTEP_FEAT_TCX;
	return 0;
}

/* Look at the pinned state first: refuse before changing anything. */
static int check_pinned_state(struct attach *a)
{
	struct bpf_map *map;

	our_btf = bpf_object__btf(a->skel->obj);
	if (check_pinned_abi())
		return -1;
	bpf_object__for_each_map(map, a->skel->obj) {
		struct map_slot *s;

		if (bpf_map__is_internal(map) || !map_is_pinned(map))
			continue;
		if (undo.nr_maps == MAX_MAPS)
			return xv_err("too many maps in the BPF object");
		s = &undo.maps[undo.nr_maps++];
		s->map = map;
		if (pin_path(s->path, NULL, bpf_map__name(map)))
			return -1;
		if (check_pinned_map(s))
			return -1;
	}
	/* undo_all() restores meta through slot 0. */
	for (int i = 1; i < undo.nr_maps; i++) {
		if (!strcmp(bpf_map__name(undo.maps[i].map), XVTEP_MAP_META)) {
			struct map_slot t = undo.maps[0];

			undo.maps[0] = undo.maps[i];
			undo.maps[i] = t;
		}
	}
	return 0;
}

/* Decap mode and FDB size, and whether the pin dir is free for this uplink. */
static int choose_config(struct attach *a)
{
	/* Decap mode not given: keep the running instance's, else choose by driver. */
	if (cfg.decap == DECAP_UNSET && undo.meta_existed && undo.old_meta.abi_version &&
	    undo.old_meta.decap_mode <= XVTEP_DECAP_TC)
		cfg.decap = undo.old_meta.decap_mode;
	if (cfg.decap < 0)
		cfg.decap = dev_is_veth(cfg.uplink) ? XVTEP_DECAP_TC : XVTEP_DECAP_HYBRID;
	a->xdp_wanted = cfg.decap != XVTEP_DECAP_TC;

	/* A pinned FDB of another size was refused above: this one is new. */
	if (cfg.fdb_size && bpf_map__max_entries(a->skel->maps.xvtep_fdb) != cfg.fdb_size &&
	    bpf_map__set_max_entries(a->skel->maps.xvtep_fdb, cfg.fdb_size))
		return xv_err_errno(errno, "cannot size map %s", XVTEP_MAP_FDB);

	/* One pin dir serves one uplink: moving it needs a detach. */
	if (undo.meta_existed && undo.old_meta.abi_version &&
	    undo.old_meta.uplink_ifindex && undo.old_meta.uplink_ifindex != (__u32)a->ifindex) {
		char other[IF_NAMESIZE];

		if (if_indextoname(undo.old_meta.uplink_ifindex, other))
			return xv_err("%s is already attached to uplink %s (ifindex %u); run detach "
				      "first to use %s", cfg.pin, other, undo.old_meta.uplink_ifindex,
				      cfg.uplink);
	}
	return 0;
}

/* The uplink's pinned links and XDP programs: the mode to keep, a foreign program. */
static int check_uplink_hooks(struct attach *a)
{
	if (recover_tmp_link(XVTEP_LINK_XDP) || recover_tmp_link(XVTEP_LINK_TC_UPLINK) ||
	    recover_tmp_link(XVTEP_LINK_TC_UPLINK_EG) || recover_tmp_link(XVTEP_LINK_MIRROR) ||
	    recover_tmp_link(XVTEP_LINK_XDP_MIRROR))
		return -1;
	if (open_old_link(&a->old_xdp, XVTEP_LINK_XDP, XV_LINK_TYPE_XDP, a->ifindex, true) ||
	    open_old_link(&a->old_tc, XVTEP_LINK_TC_UPLINK, XV_LINK_TYPE_TCX, a->ifindex, true) ||
	    open_old_link(&a->old_upeg, XVTEP_LINK_TC_UPLINK_EG, XV_LINK_TYPE_TCX, a->ifindex, true) ||
	    check_attach_method(a->old_tc.fd >= 0 ? &a->old_tc : &a->old_upeg, a->ifindex,
				a->feat_off))
		return -1;

	if (query_xdp(a->ifindex, &a->q))
		return -1;
	if (a->old_xdp.fd >= 0 && a->old_xdp.ifindex) {
		/* A link cannot change mode: keep the attached one unless told otherwise. */
		int cur = a->q.skb_prog_id == a->old_xdp.prog_id ? XDP_MODE_GENERIC : XDP_MODE_NATIVE;

		if (cfg.xdp_mode < 0) {
			cfg.xdp_mode = cur;
		} else if (a->xdp_wanted && cfg.xdp_mode != cur) {
			return xv_err("xvtep's XDP program is attached to %s in %s mode; run detach "
				      "first to switch to --xdp-mode %s", cfg.uplink,
				      xdp_mode_names[cur], xdp_mode_names[cfg.xdp_mode]);
		}
	}
	if (cfg.xdp_mode < 0)
		cfg.xdp_mode = XDP_MODE_NATIVE;

	a->foreign = foreign_xdp_id(&a->q, a->old_xdp.ifindex ? a->old_xdp.prog_id : 0);
	if (a->foreign) {
		char name[16];

		xv_prog_name(a->foreign, name);
		if (!cfg.force)
			return xv_err("device %s already has a foreign XDP program (id %u \"%s\"); "
				      "use --force to %s", cfg.uplink, a->foreign, name,
				      a->xdp_wanted ? "replace it" : "attach anyway");
		if (!a->xdp_wanted)
			fprintf(stderr, "Warning: leaving foreign XDP program id %u \"%s\" on %s: "
				"it sees VXLAN traffic before xvtep\n", a->foreign, name, cfg.uplink);
	}
	return 0;
}

/* The mirror device, before the load: its ifindex is compiled in. */
static int prepare_mirror(struct attach *a)
{
	long nr_progs;

	if (mirror_dev_setup(&a->mirror_ifindex))
		return -1;
	if (open_old_link(&a->old_mirror, XVTEP_LINK_MIRROR, XV_LINK_TYPE_TCX, a->mirror_ifindex,
			  false) ||
	    open_old_link(&a->old_xmir, XVTEP_LINK_XDP_MIRROR, XV_LINK_TYPE_XDP, a->mirror_ifindex,
			  false))
		return -1;
	/* One instance per network namespace can own the mirror device. */
	nr_progs = xv_tc_ingress_count(a->mirror_ifindex);
	if (nr_progs < 0)
		return xv_err_errno(nr_progs, "cannot query the programs of %s", XVTEP_MIRROR_DEV);
	if (nr_progs > (a->old_mirror.fd >= 0 && a->old_mirror.ifindex ? 1 : 0) +
		       filter_ours(a->mirror_ifindex, XV_TC_MIRROR))
		return xv_err("%s already has a TC ingress program not of the instance at %s "
			      "(another xvtep instance in this network namespace?); only one "
			      "instance per namespace can mirror", XVTEP_MIRROR_DEV, cfg.pin);
	return 0;
}

/* Configuration fixed at load time, the pin directories, the load itself. */
static int load_object(struct attach *a)
{
	struct xvtep *skel = a->skel;
	int err;

	skel->rodata->cfg_uplink_ifindex = a->ifindex;
	skel->rodata->cfg_mirror_ifindex = a->mirror_ifindex;
	skel->rodata->cfg_local_ip = cfg.local_ip;
	memcpy((void *)skel->rodata->cfg_local_ip6, cfg.local_ip6.w, 16);
	skel->rodata->cfg_dstport = cfg.dstport;
	skel->rodata->cfg_sport_min = cfg.sport_min;
	skel->rodata->cfg_sport_max = cfg.sport_max;
	memcpy((void *)skel->rodata->cfg_uplink_mac, a->mac, 6);
	skel->rodata->cfg_xdp_tcp = cfg.decap == XVTEP_DECAP_XDP;
	skel->rodata->cfg_gc_interval_ns = XVTEP_GC_INTERVAL_NS;
	/* Known at load, so the verifier never sees what this kernel refuses. */
	skel->rodata->cfg_xdp_meta = !(a->feat_off & XVTEP_FEAT_XDP_META);
	skel->rodata->cfg_decap_l3 = !(a->feat_off & XVTEP_FEAT_DECAP_L3);

	for (int i = 0; i < undo.nr_maps; i++) {
		if (bpf_map__set_pin_path(undo.maps[i].map, undo.maps[i].path))
			return xv_err_errno(errno, "cannot set the pin path of %s",
					    bpf_map__name(undo.maps[i].map));
	}

	snprintf(undo.pin_dir, sizeof(undo.pin_dir), "%s", cfg.pin);
	if (pin_path(undo.links_dir, NULL, "links") || pin_path(undo.progs_dir, NULL, "progs"))
		return -1;
	if (make_dir(undo.pin_dir, &undo.made_pin_dir) ||
	    make_dir(undo.links_dir, &undo.made_links_dir) ||
	    make_dir(undo.progs_dir, &undo.made_progs_dir))
		return -1;

	/* Reuses the compatible pinned maps, creates and pins the missing ones. */
	undo.load_tried = true;
	err = xvtep__load(skel);
	if (err) {
		if (err == -EPERM)
			return xv_err("cannot load the BPF programs: missing privileges (need "
				      "CAP_BPF/CAP_NET_ADMIN)");
		return xv_err("cannot load the BPF programs: %s (libbpf messages above)",
			      strerror(-err));
	}
	return 0;
}

/* Port program: replace the pin in one step so `port add` always finds one;
 * then every port's ingress hook. */
static int hook_ports_ingress(struct attach *a)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int port_fd = bpf_program__fd(a->skel->progs.xvtep_tc_port);

	if (pin_path(path, "progs", XVTEP_PROG_PORT) ||
	    pin_path(tmp, "progs", XVTEP_PROG_PORT "_new"))
		return -1;
	undo.old_port_prog_fd = bpf_obj_get(path);
	if (pin_replace(port_fd, path, tmp))
		return xv_err_errno(errno, "cannot pin %s", path);
	undo.port_pin_done = true;

	return port_hooks(bpf_map__fd(a->skel->maps.xvtep_ports), port_fd, PORT_LINK_INGRESS);
}

/* Mirroring: the shaping program first, so copies never arrive unhandled;
 * then the egress sources (port egress links, uplink egress). */
static int hook_mirror_and_egress(struct attach *a)
{
	struct xvtep *skel = a->skel;
	int ports_fd = bpf_map__fd(skel->maps.xvtep_ports);
	int port_eg_fd = bpf_program__fd(skel->progs.xvtep_tc_port_eg);

	if (tc_ensure(XV_TC_MIRROR, &a->old_mirror, bpf_program__fd(skel->progs.xvtep_tc_mirror),
		      a->mirror_ifindex, XVTEP_MIRROR_DEV, &undo.new_mirror_fd,
		      &undo.mirror_pinned))
		return -1;
	/* Copies made by XDP arrive here as XDP frames (mirror.h). */
	if (link_ensure(&a->old_xmir, XVTEP_LINK_XDP_MIRROR,
			bpf_program__fd(skel->progs.xvtep_xdp_mir), a->mirror_ifindex,
			LINK_HOOK_XDP, XVTEP_MIRROR_DEV, &undo.new_xmir_fd, &undo.xmir_pinned))
		return -1;
	if (prog_pin_swap(XVTEP_PROG_PORT_EGRESS, port_eg_fd, &undo.old_port_eg_prog_fd,
			  &undo.port_eg_pin_done))
		return -1;
	if (port_hooks(ports_fd, port_eg_fd, PORT_LINK_EGRESS))
		return -1;
	/* Ports with `encap xdp`: their XDP encap fast path (bpf/xdp_port.c). */
	if (prog_pin_swap(XVTEP_PROG_PORT_XDP, bpf_program__fd(skel->progs.xvtep_xdp_port),
			  &undo.old_port_xdp_prog_fd, &undo.port_xdp_pin_done) ||
	    port_hooks(ports_fd, bpf_program__fd(skel->progs.xvtep_xdp_port), PORT_LINK_XDP))
		return -1;
	return tc_ensure(XV_TC_UPLINK_EG, &a->old_upeg,
			 bpf_program__fd(skel->progs.xvtep_tc_up_eg), a->ifindex, cfg.uplink,
			 &undo.new_upeg_fd, &undo.upeg_pinned);
}

/* A new XDP link on the uplink (none of ours is attached), pinned. */
static int attach_xdp_new(struct attach *a, int xdp_fd)
{
	LIBBPF_OPTS(bpf_link_create_opts, lopts,
		    .flags = cfg.xdp_mode == XDP_MODE_GENERIC ?
			     XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
	char tmp[PATH_MAX];
	int err;

	if (a->foreign) {
		/* --force: drop the foreign program (only possible when it
		 * was attached through netlink, not held by a bpf_link). */
		__u32 mode = a->q.skb_prog_id == a->foreign ? XDP_FLAGS_SKB_MODE :
			     a->q.hw_prog_id == a->foreign ? XDP_FLAGS_HW_MODE :
			     XDP_FLAGS_DRV_MODE;

		if (bpf_xdp_detach(a->ifindex, mode, NULL))
			return xv_err_errno(errno, "cannot remove the foreign XDP program "
					    "id %u from %s (a bpf_link owned by another "
					    "tool must be removed by that tool)",
					    a->foreign, cfg.uplink);
		fprintf(stderr, "Warning: removed foreign XDP program id %u from %s\n",
			a->foreign, cfg.uplink);
	}
	err = bpf_link_create(xdp_fd, a->ifindex, BPF_XDP, &lopts);
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
		return -1;
	}
	undo.new_xdp_fd = err;
	if (pin_path(tmp, "links", XVTEP_LINK_XDP "_new") ||
	    pin_replace(undo.new_xdp_fd, a->old_xdp.path, tmp))
		return xv_err_errno(errno, "cannot pin %s", a->old_xdp.path);
	undo.xdp_pinned = true;
	return 0;
}

/* Uplink ingress: atomic program swap when re-attaching; then XDP. */
static int hook_uplink(struct attach *a)
{
	int xdp_fd = bpf_program__fd(a->skel->progs.xvtep_xdp_up);

	if (tc_ensure(XV_TC_UPLINK, &a->old_tc, bpf_program__fd(a->skel->progs.xvtep_tc_up),
		      a->ifindex, cfg.uplink, &undo.new_tc_fd, &undo.tc_pinned))
		return -1;
	if (!a->xdp_wanted)
		return 0;
	if (!(a->old_xdp.fd >= 0 && a->old_xdp.ifindex))
		return attach_xdp_new(a, xdp_fd);
	if (update_link(a->old_xdp.fd, a->old_xdp.prog_id, xdp_fd, a->old_xdp.path))
		return xv_err_errno(errno, "cannot update %s", a->old_xdp.path);
	return 0;
}

/* The instance's meta: what status and xvtepctl read of this attach. */
static int write_meta(struct attach *a)
{
	struct xvtep *skel = a->skel;
	struct xvtep_meta meta = {};
	__u32 key = 0;

	meta.abi_version = XVTEP_ABI_VERSION;
	meta.uplink_ifindex = a->ifindex;
	meta.local_ip = cfg.local_ip;
	memcpy(meta.local_ip6, cfg.local_ip6.b, 16);
	meta.dstport = cfg.dstport;
	meta.sport_min = cfg.sport_min;
	meta.sport_max = cfg.sport_max;
	meta.decap_mode = cfg.decap;
	meta.xdp_mode = cfg.xdp_mode;
	meta.feat_off = a->feat_off;
	memcpy(meta.uplink_mac, a->mac, 6);
	meta.xdp_prog_id = a->xdp_wanted ? prog_id_of(bpf_program__fd(skel->progs.xvtep_xdp_up)) : 0;
	meta.tc_uplink_prog_id = prog_id_of(bpf_program__fd(skel->progs.xvtep_tc_up));
	meta.port_prog_id = prog_id_of(bpf_program__fd(skel->progs.xvtep_tc_port));
	meta.attached_at = (__u64)time(NULL);
	snprintf(meta.uplink_name, sizeof(meta.uplink_name), "%s", cfg.uplink);
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xvtep_meta), &key, &meta, BPF_ANY))
		return xv_err_errno(errno, "cannot write %s", XVTEP_MAP_META);
	undo.meta_written = true;
	return 0;
}

/* The devmap is derived from xvtep_ports (maps.h): repair it in case a CLI
 * was killed between the two updates. Warnings only. */
static int sync_derived_maps(struct attach *a)
{
	struct xvtep *skel = a->skel;
	struct xv_maps m = {
		.ports = bpf_map__fd(skel->maps.xvtep_ports),
		.devmap = bpf_map__fd(skel->maps.xvtep_devmap),
		.mirror_bcast = bpf_map__fd(skel->maps.xvtep_mirror_bcast),
		.mirror_xmit = bpf_map__fd(skel->maps.xvtep_mirror_xmit),
		.mirrors = bpf_map__fd(skel->maps.xvtep_mirrors),
		.feat_off = a->feat_off,
	};
	int err;

	/* The devices that take XDP frames first: the pairs depend on them. */
	err = xv_mirror_xmit_sync(&m);
	if (err)
		fprintf(stderr, "Warning: cannot update %s: %s\n", XVTEP_MAP_MIRROR_XMIT,
			strerror(-err));
	err = xv_devmap_sync_all(&m);
	if (err)
		fprintf(stderr, "Warning: cannot sync %s with %s: %s\n", XVTEP_MAP_DEVMAP,
			XVTEP_MAP_PORTS, strerror(-err));
	return 0;
}

/* Past the point of failure: drop what the new configuration no longer
 * uses, set up the neighbours, say what was done. */
static void commit(struct attach *a)
{
	struct xvtep *skel = a->skel;
	union xvtep_addr *remotes = NULL;
	struct xv_locals loc = {};
	size_t nr = 0;
	char ip[XV_ADDR_STRLEN];

	if (!a->xdp_wanted && a->old_xdp.fd >= 0) {
		unlink(a->old_xdp.path);	/* the link dies with its last reference */
		close(a->old_xdp.fd);
		a->old_xdp.fd = -1;
	}

	xvtep_addr_set_v4(&loc.v4, cfg.local_ip);
	loc.v6 = cfg.local_ip6;
	/* Managed underlay neighbours for the remotes already configured in
	 * the pinned maps (a restart, a re-attach); warnings only. */
	if (!xv_config_remotes(bpf_map__fd(skel->maps.xvtep_vnis),
			       bpf_map__fd(skel->maps.xvtep_fdb), &remotes, &nr))
		xv_neigh_managed_all(remotes, nr, &loc);
	free(remotes);

	printf("xvtep attached: uplink %s (ifindex %d)", cfg.uplink, a->ifindex);
	if (cfg.local_ip)
		printf(" local %s", xv_fmt_addr(&loc.v4, ip));
	if (!xvtep_addr_is_zero(&loc.v6))
		printf(" local6 %s", xv_fmt_addr(&loc.v6, ip));
	printf(" dstport %u decap %s", cfg.dstport, decap_names[cfg.decap]);
	if (a->xdp_wanted)
		printf(" xdp %s", xdp_mode_names[cfg.xdp_mode]);
	printf(" fdb-size %u, pinned under %s\n",
	       bpf_map__max_entries(skel->maps.xvtep_fdb), cfg.pin);
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* The references this run holds; on success the pins keep what they pin. */
static void release(struct attach *a, bool ok)
{
	for (int i = 0; i < undo.nr_updates; i++) {
		/* Port link fds are owned here; uplink ones by old_*. */
		int fd = undo.updates[i].link_fd;

		if (fd != a->old_tc.fd && fd != a->old_xdp.fd && fd != a->old_upeg.fd &&
		    fd != a->old_mirror.fd && fd != a->old_xmir.fd)
			close(fd);
		close_fd(undo.updates[i].old_prog_fd);
	}
	if (ok) {
		/* Pinned now: our references are no longer needed. */
		close_fd(undo.new_tc_fd);
		close_fd(undo.new_xdp_fd);
		close_fd(undo.new_upeg_fd);
		close_fd(undo.new_mirror_fd);
		close_fd(undo.new_xmir_fd);
	}
	for (int i = 0; i < undo.nr_filters; i++)
		close_fd(undo.filters[i].old_prog_fd);
	close_fd(undo.old_port_prog_fd);
	close_fd(undo.old_port_eg_prog_fd);
	close_fd(undo.old_port_xdp_prog_fd);
	close_fd(a->old_upeg.fd);
	close_fd(a->old_mirror.fd);
	close_fd(a->old_xmir.fd);
	close_fd(a->old_xdp.fd);
	close_fd(a->old_tc.fd);
	xvtep__destroy(a->skel);
}

/*
 * The phases in order: every check before the first change, then the load,
 * the pins and hooks, meta; a failure in any of them makes cmd_attach put
 * back all that this run changed (undo_all).
 */
static int attach_phases(struct attach *a)
{
	return check_pinned_state(a) || choose_config(a) || check_uplink_hooks(a) ||
	       prepare_mirror(a) || load_object(a) || hook_ports_ingress(a) ||
	       hook_mirror_and_egress(a) || hook_uplink(a) || write_meta(a) ||
	       sync_derived_maps(a) || run_gc_start(bpf_program__fd(a->skel->progs.xvtep_gc_start)) ||
	       join_groups(bpf_map__fd(a->skel->maps.xvtep_vnis), a->ifindex) ? -1 : 0;
}

int cmd_attach(void)
{
	struct attach a = {
		.old_xdp.fd = -1, .old_tc.fd = -1, .old_upeg.fd = -1,
		.old_mirror.fd = -1, .old_xmir.fd = -1,
	};
	int ret = 1;

	if (attach_check_env(&a))
		return 1;
	a.skel = xvtep__open();
	if (!a.skel) {
		xv_err_errno(errno, "cannot open the BPF object");
	} else if (!attach_phases(&a)) {
		commit(&a);
		ret = 0;
	}
	if (ret)
		undo_all(a.ifindex);
	release(&a, !ret);
	return ret;
}
