// SPDX-License-Identifier: GPL-2.0
/* status: what is attached and pinned, as text or JSON. */
#include <dirent.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <errno.h>

#include "json.h"
#include "loader.h"

struct link_status {
	bool present, defunct;
	__u32 link_id, prog_id, ifindex;
	char prog_name[16];
	const struct xv_tc_hook *filter;	/* a clsact filter, not a link */
};

static void read_link(const char *name, struct link_status *ls)
{
	char path[PATH_MAX];
	int fd;

	memset(ls, 0, sizeof(*ls));
	if (pin_path(path, "links", name))
		return;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	if (fd_is(fd, "link") && !xv_link_info(fd, NULL, &ls->link_id, &ls->prog_id, &ls->ifindex)) {
		ls->present = true;
		ls->defunct = ls->ifindex == 0;
		xv_prog_name(ls->prog_id, ls->prog_name);
	}
	close(fd);
}

struct port_link {
	__u32 ifindex;
	struct link_status ls;
};

static int read_port_links(struct port_link *out, int max, enum port_link_kind kind)
{
	const char *scan = port_links[kind].scan;
	char dir[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *d;

	if (pin_path(dir, NULL, "links"))
		return 0;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		__u32 ifindex;
		char rest;

		if (sscanf(de->d_name, scan, &ifindex, &rest) != 1)
			continue;
		out[n].ifindex = ifindex;
		read_link(de->d_name, &out[n].ls);
		n++;
	}
	closedir(d);
	return n;
}

/* clsact: our filter of KIND on IFINDEX, in a link's terms. */
static void read_filter(int ifindex, enum xv_tc_kind kind, struct link_status *ls)
{
	memset(ls, 0, sizeof(*ls));
	ls->filter = &xv_tc_hooks[kind];
	ls->ifindex = ifindex;
	if (ifindex && !xv_clsact_query(ifindex, kind, &ls->prog_id)) {
		ls->present = true;
		xv_prog_name(ls->prog_id, ls->prog_name);
	}
}

/* KIND's hook on IFINDEX as META's instance attached it. */
static void read_hook(const struct xvtep_meta *meta, enum xv_tc_kind kind, int ifindex,
		      struct link_status *ls)
{
	if (meta->feat_off & XVTEP_FEAT_TCX)
		read_filter(ifindex, kind, ls);
	else
		read_link(xv_tc_hooks[kind].link, ls);
}

/* The ports' hooks of KIND. clsact: every configured port with our filter,
 * or without a device (defunct). */
static int read_port_hooks(const struct xvtep_meta *meta, int ports_fd, struct port_link *out,
			   int max, enum port_link_kind kind)
{
	__u32 ifindex, *prev = NULL;
	char dev[IF_NAMESIZE];
	int n = 0;

	if (!(meta->feat_off & XVTEP_FEAT_TCX) || kind == PORT_LINK_XDP)
		return read_port_links(out, max, kind);
	while (n < max && !bpf_map_get_next_key(ports_fd, prev, &ifindex)) {
		prev = &ifindex;
		out[n].ifindex = ifindex;
		read_filter(ifindex, kind == PORT_LINK_INGRESS ? XV_TC_PORT : XV_TC_PORT_EG,
			    &out[n].ls);
		out[n].ls.defunct = !if_indextoname(ifindex, dev);
		n += out[n].ls.present || out[n].ls.defunct;
	}
	return n;
}

/* What holds the program: "link_id", or the filter's "handle" and "priority". */
static void json_hook_id(struct jw *jw, const struct link_status *ls)
{
	if (!ls->filter) {
		jw_uint_field(jw, "link_id", ls->link_id);
		return;
	}
	jw_uint_field(jw, "handle", ls->filter->handle);
	jw_uint_field(jw, "priority", ls->filter->prio);
}

static void json_link(struct jw *jw, const char *name, const struct link_status *ls)
{
	if (!ls->present) {
		jw_null_field(jw, name);
		return;
	}
	jw_object_field(jw, name);
	json_hook_id(jw, ls);
	jw_uint_field(jw, "prog_id", ls->prog_id);
	jw_string_field(jw, "prog_name", ls->prog_name);
	jw_uint_field(jw, "ifindex", ls->ifindex);
	jw_bool_field(jw, "defunct", ls->defunct);
	jw_end_object(jw);
}

static void json_prog(struct jw *jw, const char *name, const struct link_status *ls)
{
	if (!ls->present) {
		jw_null_field(jw, name);
		return;
	}
	jw_object_field(jw, name);
	jw_uint_field(jw, "prog_id", ls->prog_id);
	jw_string_field(jw, "prog_name", ls->prog_name);
	jw_end_object(jw);
}

static void json_port_links(struct jw *jw, const char *name, const struct port_link *pl, int n)
{
	jw_array_field(jw, name);
	for (int i = 0; i < n; i++) {
		char dev[IF_NAMESIZE];

		jw_start_object(jw);
		jw_uint_field(jw, "ifindex", pl[i].ifindex);
		if (if_indextoname(pl[i].ifindex, dev))
			jw_string_field(jw, "dev", dev);
		else
			jw_null_field(jw, "dev");
		json_hook_id(jw, &pl[i].ls);
		jw_uint_field(jw, "prog_id", pl[i].ls.prog_id);
		jw_bool_field(jw, "defunct", pl[i].ls.defunct);
		jw_end_object(jw);
	}
	jw_end_array(jw);
}

/* A pinned port program and the ports whose hooks run it (PL, N). */
static void text_prog(const char *name, const struct link_status *ls, const struct port_link *pl,
		      int n)
{
	if (!ls->present) {
		printf("  %-16s -\n", name);
		return;
	}
	printf("  %-16s prog %u %s, %d port %s%s", name, ls->prog_id, ls->prog_name, n,
	       n && pl[0].ls.filter ? "filter" : "link", n == 1 ? "" : "s");
	for (int i = 0; i < n; i++) {
		char dev[IF_NAMESIZE];

		printf("%s%s", i ? " " : ": ", if_indextoname(pl[i].ifindex, dev) ? dev : "(gone)");
	}
	printf("\n");
}

static void text_link(const char *name, const struct link_status *ls)
{
	char dev[IF_NAMESIZE] = "?";

	if (!ls->present) {
		printf("  %-16s -\n", name);
		return;
	}
	if (ls->filter) {
		if_indextoname(ls->ifindex, dev);
		printf("  %-16s filter %s %s pref %u handle 0x%x prog %u %s\n", name, dev,
		       ls->filter->ingress ? "ingress" : "egress", ls->filter->prio,
		       ls->filter->handle, ls->prog_id, ls->prog_name);
		return;
	}
	printf("  %-16s link %u prog %u %s%s\n", name, ls->link_id, ls->prog_id, ls->prog_name,
	       ls->defunct ? " (defunct: device gone)" : "");
}

/* A pinned program under progs/ (id and name). */
static void read_prog(const char *name, struct link_status *ls)
{
	char path[PATH_MAX];
	int fd;

	memset(ls, 0, sizeof(*ls));
	if (pin_path(path, "progs", name))
		return;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	ls->present = true;
	ls->prog_id = prog_id_of(fd);
	xv_prog_name(ls->prog_id, ls->prog_name);
	close(fd);
}

struct mirror_status {
	int ifindex;		/* 0: device absent */
	int mtu;
	bool up;
	long sessions;		/* -1: map not readable */
};

static void read_mirror(struct mirror_status *ms)
{
	struct ifreq ifr = {};
	struct xvtep_mirror m;
	char path[PATH_MAX];
	int fd;

	memset(ms, 0, sizeof(*ms));
	ms->sessions = -1;
	ms->ifindex = if_nametoindex(XVTEP_MIRROR_DEV);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ms->ifindex && fd >= 0) {
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", XVTEP_MIRROR_DEV);
		if (!ioctl(fd, SIOCGIFMTU, &ifr))
			ms->mtu = ifr.ifr_mtu;
		if (!ioctl(fd, SIOCGIFFLAGS, &ifr))
			ms->up = ifr.ifr_flags & IFF_UP;
	}
	if (fd >= 0)
		close(fd);
	if (pin_path(path, NULL, XVTEP_MAP_MIRRORS))
		return;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	ms->sessions = 0;
	for (__u32 slot = 0; slot < XVTEP_MAX_MIRRORS; slot++)
		if (!bpf_map_lookup_elem(fd, &slot, &m) && m.id)
			ms->sessions++;
	close(fd);
}

/* One feature per line: "  NAME on", or "  NAME off (why)"; tcx reads as
 * the attach method in use. */
static void text_feature(const char *name, __u16 bit, void *arg)
{
	__u16 off = *(const __u16 *)arg;

	if (bit == XVTEP_FEAT_TCX)
		printf("  tc-attach %s", off & bit ? "clsact" : "tcx");
	else
		printf("  %s %s", name, off & bit ? "off" : "on");
	if (off & bit)
		printf(" (%s)", xv_feature_why_off(off, bit));
	printf("\n");
}

static void json_feature(const char *name, __u16 bit, void *arg)
{
	struct { struct jw *jw; __u16 off; } *a = arg;

	jw_object_field(a->jw, name);
	jw_bool_field(a->jw, "on", !(a->off & bit));
	if (a->off & bit) {
		jw_string_field(a->jw, "reason", xv_feature_why_off(a->off, bit));
		jw_bool_field(a->jw, "forced", (a->off >> XVTEP_FEAT_FORCED_SHIFT) & bit);
	}
	jw_end_object(a->jw);
}

int cmd_status(void)
{
	static struct port_link ports[XVTEP_MAX_PORTS], port_egs[XVTEP_MAX_PORTS],
		port_xdps[XVTEP_MAX_PORTS];
	struct link_status xdp, tc, port_prog = {}, upeg, mirror_link, xmir_link, port_eg_prog;
	struct link_status port_xdp_prog;
	struct mirror_status ms;
	int nr_port_egs, nr_port_xdps;
	struct bpf_map_info fdb_info = {};
	__u32 info_len = sizeof(fdb_info);
	struct xvtep_fdb_key fk, *prev = NULL;
	struct xvtep_fdb_entry fe;
	struct xvtep_gc gc = {};
	struct xvtep_meta meta;
	struct xv_maps m;
	__u64 fdb_static = 0, fdb_dynamic = 0, fdb_remote = 0;
	char ip[XV_ADDR_STRLEN], ip6[XV_ADDR_STRLEN], macs[18], devname[IF_NAMESIZE] = "";
	struct xv_locals loc;
	long nr_vnis, nr_ports;
	int nr_port_links, ret = 1;
	bool uplink_ok;
	__u32 key = 0;

	if (cfg.netns && xv_enter_netns(cfg.netns))
		return 1;
	if (xv_check_bpffs(cfg.pin))
		return 1;
	if (xv_maps_open(cfg.pin, &m))
		return 1;
	if (xv_read_meta(&m, &meta)) {
		xv_err_errno(errno, "cannot read %s", XVTEP_MAP_META);
		goto cleanup;
	}

	read_link(XVTEP_LINK_XDP, &xdp);
	read_hook(&meta, XV_TC_UPLINK, meta.uplink_ifindex, &tc);
	read_hook(&meta, XV_TC_UPLINK_EG, meta.uplink_ifindex, &upeg);
	read_hook(&meta, XV_TC_MIRROR, if_nametoindex(XVTEP_MIRROR_DEV), &mirror_link);
	read_link(XVTEP_LINK_XDP_MIRROR, &xmir_link);
	read_prog(XVTEP_PROG_PORT, &port_prog);
	read_prog(XVTEP_PROG_PORT_EGRESS, &port_eg_prog);
	read_prog(XVTEP_PROG_PORT_XDP, &port_xdp_prog);
	nr_port_links = read_port_hooks(&meta, m.ports, ports, XVTEP_MAX_PORTS, PORT_LINK_INGRESS);
	nr_port_egs = read_port_hooks(&meta, m.ports, port_egs, XVTEP_MAX_PORTS, PORT_LINK_EGRESS);
	nr_port_xdps = read_port_links(port_xdps, XVTEP_MAX_PORTS, PORT_LINK_XDP);
	read_mirror(&ms);

	nr_vnis = xv_map_count(m.vnis, sizeof(__u32));
	nr_ports = xv_map_count(m.ports, sizeof(__u32));
	bpf_obj_get_info_by_fd(m.fdb, &fdb_info, &info_len);
	while (!bpf_map_get_next_key(m.fdb, prev, &fk)) {
		prev = &fk;
		if (bpf_map_lookup_elem(m.fdb, &fk, &fe))
			continue;	/* aged out meanwhile */
		if (fe.flags & XVTEP_FDB_F_STATIC)
			fdb_static++;
		else
			fdb_dynamic++;
		if (fe.flags & XVTEP_FDB_F_REMOTE)
			fdb_remote++;
	}
	bpf_map_lookup_elem(m.gc, &key, &gc);
	__u64 now = xv_now_ns();
	double last_run_s = gc.last_run_ns && now >= gc.last_run_ns ?
			    (now - gc.last_run_ns) / 1e9 : -1;

	/* The uplink may have been renamed or removed since the attach. */
	uplink_ok = if_indextoname(meta.uplink_ifindex, devname) != NULL;
	xv_locals_from_meta(&meta, &loc);
	xv_fmt_addr(&loc.v4, ip);
	xv_fmt_addr(&loc.v6, ip6);
	xv_fmt_mac(meta.uplink_mac, macs);
	const char *decap = meta.decap_mode <= XVTEP_DECAP_TC ? decap_names[meta.decap_mode] : "?";
	const char *xmode = meta.decap_mode == XVTEP_DECAP_TC ? "none" :
			    meta.xdp_mode <= XDP_MODE_GENERIC ? xdp_mode_names[meta.xdp_mode] : "?";

	if (cfg.json) {
		struct jw *jw = jw_new(stdout, cfg.pretty);

		if (!jw) {
			xv_err("out of memory");
			goto cleanup;
		}
		jw_start_object(jw);
		jw_string_field(jw, "pin", cfg.pin);
		jw_uint_field(jw, "abi_version", meta.abi_version);
		jw_object_field(jw, "uplink");
		jw_string_field(jw, "name", meta.uplink_name);
		jw_uint_field(jw, "ifindex", meta.uplink_ifindex);
		jw_string_field(jw, "mac", macs);
		jw_bool_field(jw, "present", uplink_ok);
		jw_end_object(jw);
		/* local: the IPv4 VTEP address, local6: the IPv6 one (null: none);
		 * local_ip: the same as local, the key of ABI 2. */
		if (meta.local_ip) {
			jw_string_field(jw, "local", ip);
			jw_string_field(jw, "local_ip", ip);
		} else {
			jw_null_field(jw, "local");
			jw_null_field(jw, "local_ip");
		}
		if (!xvtep_addr_is_zero(&loc.v6))
			jw_string_field(jw, "local6", ip6);
		else
			jw_null_field(jw, "local6");
		jw_uint_field(jw, "dstport", meta.dstport);
		jw_object_field(jw, "sport_range");
		jw_uint_field(jw, "min", meta.sport_min);
		jw_uint_field(jw, "max", meta.sport_max);
		jw_end_object(jw);
		jw_string_field(jw, "decap_mode", decap);
		jw_string_field(jw, "xdp_mode", xmode);
		jw_uint_field(jw, "attached_at", meta.attached_at);
		jw_string_field(jw, "tc_attach", meta.feat_off & XVTEP_FEAT_TCX ? "clsact" : "tcx");
		{
			struct { struct jw *jw; __u16 off; } a = { jw, meta.feat_off };

			jw_object_field(jw, "features");
			xv_features_each(json_feature, &a);
			jw_end_object(jw);
		}
		jw_object_field(jw, "programs");
		json_link(jw, XVTEP_LINK_XDP, &xdp);
		json_link(jw, XVTEP_LINK_TC_UPLINK, &tc);
		json_link(jw, XVTEP_LINK_TC_UPLINK_EG, &upeg);
		json_link(jw, XVTEP_LINK_MIRROR, &mirror_link);
		json_link(jw, XVTEP_LINK_XDP_MIRROR, &xmir_link);
		json_prog(jw, XVTEP_PROG_PORT, &port_prog);
		json_prog(jw, XVTEP_PROG_PORT_EGRESS, &port_eg_prog);
		json_prog(jw, XVTEP_PROG_PORT_XDP, &port_xdp_prog);
		json_port_links(jw, "port_links", ports, nr_port_links);
		json_port_links(jw, "port_eg_links", port_egs, nr_port_egs);
		json_port_links(jw, "port_xdp_links", port_xdps, nr_port_xdps);
		jw_end_object(jw);
		jw_object_field(jw, "mirror");
		jw_string_field(jw, "dev", XVTEP_MIRROR_DEV);
		jw_string_field(jw, "peer", XVTEP_MIRROR_PEER);
		jw_bool_field(jw, "present", ms.ifindex != 0);
		jw_uint_field(jw, "ifindex", ms.ifindex);
		jw_uint_field(jw, "mtu", ms.mtu);
		jw_bool_field(jw, "up", ms.up);
		if (ms.sessions >= 0)
			jw_int_field(jw, "sessions", ms.sessions);
		else
			jw_null_field(jw, "sessions");
		jw_end_object(jw);
		jw_object_field(jw, "counts");
		jw_int_field(jw, "vnis", nr_vnis);
		jw_int_field(jw, "ports", nr_ports);
		jw_uint_field(jw, "fdb_static", fdb_static);
		jw_uint_field(jw, "fdb_dynamic", fdb_dynamic);
		jw_uint_field(jw, "fdb_remote", fdb_remote);
		jw_uint_field(jw, "fdb_total", fdb_static + fdb_dynamic);
		jw_uint_field(jw, "fdb_size", fdb_info.max_entries);
		jw_end_object(jw);
		jw_object_field(jw, "ageing");
		jw_uint_field(jw, "runs", gc.runs);
		jw_uint_field(jw, "aged", gc.aged);
		jw_uint_field(jw, "interval_ns", gc.interval_ns);
		if (last_run_s >= 0)
			jw_float_field(jw, "last_run_s_ago", last_run_s);
		else
			jw_null_field(jw, "last_run_s_ago");
		jw_end_object(jw);
		jw_end_object(jw);
		jw_destroy(&jw);
	} else {
		printf("pin %s (ABI %u)\n", cfg.pin, meta.abi_version);
		printf("uplink %.16s ifindex %u mac %s", meta.uplink_name, meta.uplink_ifindex, macs);
		/* Without -n the ifindex is looked up in the wrong namespace. */
		if (!uplink_ok)
			printf(" (not found: device gone%s)", cfg.netns ? "" : ", or use -n NETNS");
		else if (strncmp(devname, meta.uplink_name, sizeof(meta.uplink_name)))
			printf(" (ifindex %u is now %s: renamed%s)", meta.uplink_ifindex, devname,
			       cfg.netns ? "" : ", or use -n NETNS");
		printf("\n");
		if (meta.local_ip)
			printf("local %s ", ip);
		if (!xvtep_addr_is_zero(&loc.v6))
			printf("local6 %s ", ip6);
		printf("dstport %u sport %u-%u\n", meta.dstport, meta.sport_min, meta.sport_max);
		printf("decap %s xdp %s\n", decap, xmode);
		printf("features:\n");
		xv_features_each(text_feature, &meta.feat_off);
		printf("programs:\n");
		text_link(XVTEP_LINK_XDP, &xdp);
		text_link(XVTEP_LINK_TC_UPLINK, &tc);
		text_link(XVTEP_LINK_TC_UPLINK_EG, &upeg);
		text_link(XVTEP_LINK_MIRROR, &mirror_link);
		text_link(XVTEP_LINK_XDP_MIRROR, &xmir_link);
		text_prog(XVTEP_PROG_PORT, &port_prog, ports, nr_port_links);
		text_prog(XVTEP_PROG_PORT_EGRESS, &port_eg_prog, port_egs, nr_port_egs);
		text_prog(XVTEP_PROG_PORT_XDP, &port_xdp_prog, port_xdps, nr_port_xdps);
		if (ms.ifindex)
			printf("mirror dev %s ifindex %d mtu %d %s, sessions %ld\n", XVTEP_MIRROR_DEV,
			       ms.ifindex, ms.mtu, ms.up ? "up" : "DOWN", ms.sessions);
		else
			printf("mirror dev %s missing (re-run attach), sessions %ld\n",
			       XVTEP_MIRROR_DEV, ms.sessions);
		printf("vnis %ld ports %ld\n", nr_vnis, nr_ports);
		printf("fdb %llu/%u entries: static %llu dynamic %llu (remote %llu)\n",
		       (unsigned long long)(fdb_static + fdb_dynamic), fdb_info.max_entries,
		       (unsigned long long)fdb_static, (unsigned long long)fdb_dynamic,
		       (unsigned long long)fdb_remote);
		printf("ageing runs %llu aged %llu", (unsigned long long)gc.runs,
		       (unsigned long long)gc.aged);
		if (last_run_s >= 0)
			printf(" last %.1fs ago", last_run_s);
		if (gc.interval_ns)
			printf(" every %.1fs", gc.interval_ns / 1e9);
		printf("\n");
	}
	ret = 0;
cleanup:
	xv_maps_close(&m);
	return ret;
}
