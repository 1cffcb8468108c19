// SPDX-License-Identifier: GPL-2.0
/*
 * xvtep-loader: load the xvtep BPF object, pin its maps and links under a
 * bpffs directory and exit. The pins keep the dataplane running; xvtepctl
 * edits the pinned maps afterwards.
 *
 *   xvtep-loader [--pin DIR] [-n NETNS] attach --uplink DEV --local IPV4 ...
 *   xvtep-loader [--pin DIR] [-n NETNS] detach
 *   xvtep-loader [--pin DIR] [-n NETNS] [-j] [-p] status
 */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "xvtep.skel.h"
#include "xvtep_lib.h"
#include "json.h"

/* One version for both tools: the Makefile passes the VERSION file's. */
#ifndef XVTEP_VERSION
#error "XVTEP_VERSION is not set (the Makefile sets it from VERSION)"
#endif

#define XDP_MODE_NATIVE		0
#define XDP_MODE_GENERIC	1
#define FDB_SIZE_MAX		(1U << 24)
#define MAX_MAPS		32

/* --decap auto: TC on a veth uplink, hybrid elsewhere (dev_is_veth). */
#define DECAP_UNSET	(-1)
#define DECAP_AUTO	(-2)

static const char *const decap_names[] = {
	[XVTEP_DECAP_HYBRID] = "hybrid",
	[XVTEP_DECAP_XDP] = "xdp",
	[XVTEP_DECAP_TC] = "tc",
};
static const char *const xdp_mode_names[] = {
	[XDP_MODE_NATIVE] = "native",
	[XDP_MODE_GENERIC] = "generic",
};

struct config {
	const char *pin;
	const char *netns;
	bool json, pretty, verbose, force;
	bool keep_maps;		/* detach: stop the dataplane, keep the state pinned */
	const char *uplink;
	__be32 local_ip;
	__u16 dstport;
	__u16 sport_min, sport_max;
	int xdp_mode;		/* -1: not given (adopt the attached one, else native) */
	int decap;		/* or DECAP_UNSET (keep the running one, else as auto), DECAP_AUTO */
	__u32 fdb_size;		/* 0: not given (adopt the pinned map's, else default) */
};

static struct config cfg = {
	.pin = XVTEP_PIN_DEFAULT,
	.dstport = XVTEP_DSTPORT_DEFAULT,
	.sport_min = XVTEP_SPORT_MIN_DEFAULT,
	.sport_max = XVTEP_SPORT_MAX_DEFAULT,
	.xdp_mode = -1,
	.decap = DECAP_UNSET,
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* Warnings carry the verifier log on load failures: always show them. */
	if (level == LIBBPF_DEBUG && !cfg.verbose)
		return 0;
	if (level == LIBBPF_INFO && !cfg.verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

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

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: xvtep-loader [--pin DIR] [-n NETNS] [-v] attach --uplink DEV --local IPV4\n"
		"                    [--dstport N] [--xdp-mode native|generic] [--decap auto|hybrid|xdp|tc]\n"
		"                    [--sport-range MIN-MAX] [--fdb-size N] [--force]\n"
		"       xvtep-loader [--pin DIR] [-n NETNS] detach [--keep-maps]\n"
		"       xvtep-loader [--pin DIR] [-n NETNS] [-j] [-p] status\n"
		"\n"
		"  --pin DIR    bpffs directory of the pins (default %s)\n"
		"  -n NETNS     work in network namespace /run/netns/NETNS\n"
		"  -j, -p       JSON output, -p pretty-printed (status)\n"
		"  -v           show libbpf debug messages\n"
		"  -V, --version print the version and exit\n"
		"  -h, --help   print this help and exit\n",
		XVTEP_PIN_DEFAULT);
}

static void print_version(void)
{
	printf("xvtep-loader (xvtep) %s, ABI %d\n", XVTEP_VERSION, XVTEP_ABI_VERSION);
}

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */

static int pin_path(char *buf, const char *sub, const char *name)
{
	if (xv_pin_path(buf, PATH_MAX, cfg.pin, sub, name))
		return xv_err("pin path too long under %s", cfg.pin);
	return 0;
}

static bool path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* True if FD refers to a BPF object of KIND ("map", "prog", "link"):
 * a pin path could hold any object type, and info calls do not say which. */
static bool fd_is(int fd, const char *kind)
{
	char link[64], target[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return true;	/* no /proc: trust the caller */
	target[n] = '\0';
	snprintf(link, sizeof(link), "anon_inode:bpf-%s", kind);
	return strcmp(target, link) == 0;
}

static __u32 prog_id_of(int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (prog_fd < 0 || bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return 0;
	return info.id;
}

/*
 * mkdir mode 0700 that remembers whether this run created the directory (for
 * undo). The pins are the control plane (whoever can write them can add
 * mirror sessions or rewrite the FDB): an existing directory owned by another
 * user is refused, a looser mode is tightened to 0700 with a warning.
 */
static int make_dir(const char *path, bool *created)
{
	struct stat st;

	*created = false;
	if (!mkdir(path, 0700)) {
		*created = true;
	} else if (errno != EEXIST) {
		return xv_err_errno(errno, "cannot create %s", path);
	}
	if (lstat(path, &st))
		return xv_err_errno(errno, "cannot access %s", path);
	if (!S_ISDIR(st.st_mode))
		return xv_err("%s exists but is not a directory", path);
	if (st.st_uid != geteuid())
		return xv_err("%s is owned by uid %u, not by this user (uid %u): anyone owning it "
			      "controls xvtep; remove it or chown it", path, (unsigned)st.st_uid,
			      (unsigned)geteuid());
	if ((st.st_mode & 07777) != 0700) {
		if (chmod(path, 0700))
			return xv_err_errno(errno, "cannot set mode 0700 on %s", path);
		/* The umask may have masked our own mkdir: only warn about others'. */
		if (!*created)
			fprintf(stderr, "Warning: %s had mode %04o, tightened to 0700\n", path,
				(unsigned)(st.st_mode & 07777));
	}
	return 0;
}

static int get_uplink(const char *dev, int *ifindex, __u8 mac[6])
{
	struct ifreq ifr = {};
	int fd, ret = -1;

	if (strlen(dev) >= IFNAMSIZ)
		return xv_arg_err(dev, "device name longer than %d characters", IFNAMSIZ - 1);
	*ifindex = if_nametoindex(dev);
	if (!*ifindex) {
		if (cfg.netns)
			return xv_err("device \"%s\" does not exist in network namespace \"%s\"",
				      dev, cfg.netns);
		return xv_err("device \"%s\" does not exist", dev);
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return xv_err_errno(errno, "socket");
	strcpy(ifr.ifr_name, dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		xv_err_errno(errno, "cannot read the MAC address of %s", dev);
		goto out;
	}
	/* The encapsulation writes an Ethernet header: other link types cannot work. */
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		xv_err("device \"%s\" is not an Ethernet device (link type %u)", dev,
		       ifr.ifr_hwaddr.sa_family);
		goto out;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	ret = 0;
out:
	close(fd);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* attach                                                                   */

struct map_slot {
	struct bpf_map *map;
	char path[PATH_MAX];
	bool existed;		/* pinned before this run: never removed on undo */
};

struct link_update {
	int link_fd;
	int old_prog_fd;	/* to swap back on undo */
};

/* Everything attach changed, so a failure can put it back. */
struct undo {
	char pin_dir[PATH_MAX], links_dir[PATH_MAX], progs_dir[PATH_MAX];
	bool made_pin_dir, made_links_dir, made_progs_dir;

	struct map_slot maps[MAX_MAPS];
	int nr_maps;
	bool load_tried;	/* every map was checked, libbpf may have pinned new ones */

	/* Port program pin: replaced (old fd kept) or created. */
	bool port_pin_done;
	int old_port_prog_fd;

	/* Port egress program pin (mirror tx sources), same scheme. */
	bool port_eg_pin_done;
	int old_port_eg_prog_fd;

	/* Port XDP program pin (encap fast path), same scheme. */
	bool port_xdp_pin_done;
	int old_port_xdp_prog_fd;

	/* Every port ingress, egress and XDP link, the uplink links and the mirror link. */
	struct link_update updates[3 * XVTEP_MAX_PORTS + 4];
	int nr_updates;

	/* Links created by this run and where they were pinned. */
	int new_tc_fd, new_xdp_fd;
	__u32 new_ports[XVTEP_MAX_PORTS];	/* links/port_<ifindex> created */
	int nr_new_ports;
	__u32 new_port_egs[XVTEP_MAX_PORTS];	/* links/port_eg_<ifindex> created */
	int nr_new_port_egs;
	__u32 new_port_xdps[XVTEP_MAX_PORTS];	/* links/port_xdp_<ifindex> created */
	int nr_new_port_xdps;
	bool tc_pinned, xdp_pinned;
	/* tcx links created for the mirror device and the uplink's egress, and
	 * the mirror device's XDP link. */
	int new_mirror_fd, new_upeg_fd, new_xmir_fd;
	bool mirror_pinned, upeg_pinned, xmir_pinned;

	/* clsact filters this run attached, with the program each replaced
	 * (-1: the filter is new), in order. */
	struct {
		int ifindex;
		enum xv_tc_kind kind;
		int old_prog_fd;
	} filters[2 * XVTEP_MAX_PORTS + 3];
	int nr_filters;

	/* The mirror veth pair, when this run created it. */
	int mirror_ifindex;
	bool mirror_created;

	bool meta_written, meta_existed;
	struct xvtep_meta old_meta;

	__be32 joined[XVTEP_MAX_VNIS];
	int nr_joined;
};

static struct undo undo = {
	.old_port_prog_fd = -1, .new_tc_fd = -1, .new_xdp_fd = -1,
	.old_port_eg_prog_fd = -1, .new_mirror_fd = -1, .new_upeg_fd = -1, .new_xmir_fd = -1,
	.old_port_xdp_prog_fd = -1,
};

/* The links `xvtepctl port add` makes per port: links/<fmt with its ifindex>. */
enum port_link_kind { PORT_LINK_INGRESS, PORT_LINK_EGRESS, PORT_LINK_XDP, PORT_LINK__MAX };

static const struct {
	const char *fmt;	/* pin name */
	const char *scan;	/* the same, for sscanf with a trailing %c */
	const char *what;
} port_links[PORT_LINK__MAX] = {
	[PORT_LINK_INGRESS] = { XVTEP_LINK_PORT_FMT, "port_%u%c", "ingress" },
	[PORT_LINK_EGRESS] = { XVTEP_LINK_PORT_EG_FMT, "port_eg_%u%c", "egress" },
	[PORT_LINK_XDP] = { XVTEP_LINK_PORT_XDP_FMT, "port_xdp_%u%c", "XDP" },
};

/* The port links of KIND this run created (undo removes them): array and count. */
static __u32 *port_links_created(enum port_link_kind kind, int **nr)
{
	*nr = kind == PORT_LINK_INGRESS ? &undo.nr_new_ports :
	      kind == PORT_LINK_EGRESS ? &undo.nr_new_port_egs : &undo.nr_new_port_xdps;
	return kind == PORT_LINK_INGRESS ? undo.new_ports :
	       kind == PORT_LINK_EGRESS ? undo.new_port_egs : undo.new_port_xdps;
}

/* A pinned uplink link as found before the attach. */
struct old_link {
	char path[PATH_MAX];
	int fd;			/* -1: no pin */
	__u32 prog_id;
	__u32 ifindex;		/* 0: the device is gone (defunct link) */
};

/* Put back progs/NAME as it was before this run: OLD_FD's program, or nothing. */
static void restore_prog_pin(const char *name, int old_fd)
{
	char path[PATH_MAX], tmp[PATH_MAX], tmpname[64];

	if (pin_path(path, "progs", name))
		return;
	if (old_fd < 0) {
		unlink(path);
		return;
	}
	snprintf(tmpname, sizeof(tmpname), "%s_old", name);
	if (!pin_path(tmp, "progs", tmpname)) {
		unlink(tmp);
		if (!bpf_obj_pin(old_fd, tmp))
			rename(tmp, path);
	}
}

static void undo_all(int ifindex)
{
	char path[PATH_MAX];

	for (int i = 0; i < undo.nr_joined; i++)
		xv_mcast_leave(ifindex, undo.joined[i]);

	if (undo.meta_written && undo.meta_existed) {
		int fd = bpf_obj_get(undo.maps[0].path);	/* slot 0 is the meta map */
		__u32 key = 0;

		if (fd >= 0) {
			bpf_map_update_elem(fd, &key, &undo.old_meta, BPF_ANY);
			close(fd);
		}
	}

	if (undo.xdp_pinned && !pin_path(path, "links", XVTEP_LINK_XDP))
		unlink(path);
	if (undo.new_xdp_fd >= 0)
		close(undo.new_xdp_fd);	/* last reference: detaches */
	if (undo.tc_pinned && !pin_path(path, "links", XVTEP_LINK_TC_UPLINK))
		unlink(path);
	if (undo.new_tc_fd >= 0)
		close(undo.new_tc_fd);

	if (undo.upeg_pinned && !pin_path(path, "links", XVTEP_LINK_TC_UPLINK_EG))
		unlink(path);
	if (undo.new_upeg_fd >= 0)
		close(undo.new_upeg_fd);
	if (undo.mirror_pinned && !pin_path(path, "links", XVTEP_LINK_MIRROR))
		unlink(path);
	if (undo.new_mirror_fd >= 0)
		close(undo.new_mirror_fd);
	if (undo.xmir_pinned && !pin_path(path, "links", XVTEP_LINK_XDP_MIRROR))
		unlink(path);
	if (undo.new_xmir_fd >= 0)
		close(undo.new_xmir_fd);

	for (int k = 0; k < PORT_LINK__MAX; k++) {
		int *n;
		const __u32 *created = port_links_created(k, &n);

		for (int i = 0; i < *n; i++) {
			char name[32];

			snprintf(name, sizeof(name), port_links[k].fmt, created[i]);
			if (!pin_path(path, "links", name))
				unlink(path);
		}
	}

	for (int i = undo.nr_updates - 1; i >= 0; i--) {
		struct link_update *u = &undo.updates[i];

		if (u->old_prog_fd >= 0 && bpf_link_update(u->link_fd, u->old_prog_fd, NULL))
			fprintf(stderr, "Warning: could not restore the previous program of a "
				"link: %s\n", strerror(errno));
	}
	/* Before the maps go: a filter is known as ours by the maps its program uses. */
	for (int i = undo.nr_filters - 1; i >= 0; i--) {
		int fd = undo.filters[i].old_prog_fd;

		if (fd >= 0)
			xv_clsact_attach(cfg.pin, undo.filters[i].ifindex, undo.filters[i].kind, fd,
					 NULL);
		else
			xv_clsact_detach(cfg.pin, undo.filters[i].ifindex, undo.filters[i].kind);
	}

	if (undo.port_pin_done)
		restore_prog_pin(XVTEP_PROG_PORT, undo.old_port_prog_fd);
	if (undo.port_eg_pin_done)
		restore_prog_pin(XVTEP_PROG_PORT_EGRESS, undo.old_port_eg_prog_fd);
	if (undo.port_xdp_pin_done)
		restore_prog_pin(XVTEP_PROG_PORT_XDP, undo.old_port_xdp_prog_fd);

	/* Only maps this run created: pre-existing state always survives
	 * (before the load, maps not yet checked are not known to be new). */
	for (int i = 0; i < undo.nr_maps && undo.load_tried; i++)
		if (!undo.maps[i].existed)
			unlink(undo.maps[i].path);

	/* Links are gone by now; the veth goes last (it takes its peer along). */
	if (undo.mirror_created && undo.mirror_ifindex)
		xv_link_del(undo.mirror_ifindex);

	if (undo.made_progs_dir)
		rmdir(undo.progs_dir);
	if (undo.made_links_dir)
		rmdir(undo.links_dir);
	if (undo.made_pin_dir)
		rmdir(undo.pin_dir);
}

/* ------------------------------------------------------------------------ */
/* Pinned map layouts                                                       */

static __u32 btf_skip_mods(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	return id;
}

static const char *btf_kind_str(const struct btf_type *t)
{
	static const char *const kinds[] = {
		[BTF_KIND_INT] = "int", [BTF_KIND_PTR] = "pointer", [BTF_KIND_ARRAY] = "array",
		[BTF_KIND_STRUCT] = "struct", [BTF_KIND_UNION] = "union", [BTF_KIND_ENUM] = "enum",
	};

	return btf_kind(t) < sizeof(kinds) / sizeof(kinds[0]) && kinds[btf_kind(t)] ?
	       kinds[btf_kind(t)] : "type";
}

/*
 * Same memory layout for type A (pinned map's BTF PA) and B (this build's BTF
 * PB)? Compares kinds, names, sizes, members and offsets: two layouts of one
 * size (a field reordered or renamed) are what the size checks cannot see.
 * Returns 0 if equal, else 1 with WHY saying where they differ.
 */
static int btf_layout_diff(const struct btf *pa, __u32 a, const struct btf *pb, __u32 b,
			   int depth, char *why, size_t len)
{
	const struct btf_type *ta, *tb;
	const char *na, *nb;

	if (depth > 8)
		return 0;	/* deep enough: nothing of ours nests further */
	a = btf_skip_mods(pa, a);
	b = btf_skip_mods(pb, b);
	ta = a ? btf__type_by_id(pa, a) : NULL;
	tb = b ? btf__type_by_id(pb, b) : NULL;
	if (!ta || !tb) {
		if (ta == tb)
			return 0;
		snprintf(why, len, "%s type information", ta ? "this build has no" : "it has no");
		return 1;
	}
	na = btf__name_by_offset(pa, ta->name_off) ?: "";
	nb = btf__name_by_offset(pb, tb->name_off) ?: "";
	if (btf_kind(ta) != btf_kind(tb) || strcmp(na, nb)) {
		snprintf(why, len, "%s %s, this build has %s %s", btf_kind_str(ta), na,
			 btf_kind_str(tb), nb);
		return 1;
	}
	switch (btf_kind(ta)) {
	case BTF_KIND_INT:
		if (ta->size != tb->size || btf_int_encoding(ta) != btf_int_encoding(tb) ||
		    btf_int_bits(ta) != btf_int_bits(tb)) {
			snprintf(why, len, "int %s of %u bytes, this build %u bytes", na, ta->size,
				 tb->size);
			return 1;
		}
		return 0;
	case BTF_KIND_ENUM:
		if (ta->size != tb->size) {
			snprintf(why, len, "enum %s of %u bytes, this build %u bytes", na, ta->size,
				 tb->size);
			return 1;
		}
		return 0;
	case BTF_KIND_ARRAY: {
		const struct btf_array *aa = btf_array(ta), *ab = btf_array(tb);

		if (aa->nelems != ab->nelems) {
			snprintf(why, len, "array of %u elements, this build %u", aa->nelems,
				 ab->nelems);
			return 1;
		}
		return btf_layout_diff(pa, aa->type, pb, ab->type, depth + 1, why, len);
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *ma = btf_members(ta), *mb = btf_members(tb);
		char inner[192];

		if (ta->size != tb->size || btf_vlen(ta) != btf_vlen(tb)) {
			snprintf(why, len, "%s %s has %u bytes and %u members, this build %u and %u",
				 btf_kind_str(ta), na, ta->size, btf_vlen(ta), tb->size, btf_vlen(tb));
			return 1;
		}
		for (int i = 0; i < btf_vlen(ta); i++) {
			const char *fa = btf__name_by_offset(pa, ma[i].name_off) ?: "";
			const char *fb = btf__name_by_offset(pb, mb[i].name_off) ?: "";
			__u32 oa = btf_member_bit_offset(ta, i), ob = btf_member_bit_offset(tb, i);

			if (strcmp(fa, fb) || oa != ob ||
			    btf_member_bitfield_size(ta, i) != btf_member_bitfield_size(tb, i)) {
				snprintf(why, len, "%s %s member %d is %s at bit %u, this build has "
					 "%s at bit %u", btf_kind_str(ta), na, i, fa, oa, fb, ob);
				return 1;
			}
			if (btf_layout_diff(pa, ma[i].type, pb, mb[i].type, depth + 1, inner,
					    sizeof(inner))) {
				snprintf(why, len, "%s %s member %s: %s", btf_kind_str(ta), na, fa,
					 inner);
				return 1;
			}
		}
		return 0;
	}
	default:
		return 0;	/* pointers and the rest: kind and name suffice */
	}
}

/* This build's BTF (the opened object's), set before the pins are checked. */
static const struct btf *our_btf;

/* The pinned map's key and value BTF types must match this build's. */
static int check_map_btf(struct map_slot *s, const struct bpf_map_info *info)
{
	const char *name = bpf_map__name(s->map);
	const struct btf *ours = our_btf;
	__u32 our_key = bpf_map__btf_key_type_id(s->map);
	__u32 our_value = bpf_map__btf_value_type_id(s->map);
	struct btf *theirs = NULL;
	char why[256];
	int ret = -1;

	if (!ours || (!our_key && !our_value))
		return 0;	/* this build has no types for it: sizes were checked */
	if (!info->btf_id) {
		/* libbpf creates device maps and maps of maps without BTF (the
		 * kernel refuses it for them). */
		if (info->type == BPF_MAP_TYPE_DEVMAP || info->type == BPF_MAP_TYPE_DEVMAP_HASH ||
		    info->type == BPF_MAP_TYPE_HASH_OF_MAPS)
			return 0;
		return xv_err("pinned map %s (%s) is incompatible: it has no BTF type information "
			      "(not created by xvtep?); run detach first (drops its state) or use "
			      "another --pin", name, s->path);
	}
	theirs = btf__load_from_kernel_by_id(info->btf_id);
	if (!theirs) {
		xv_err_errno(errno, "cannot read the BTF of pinned map %s", s->path);
		goto cleanup;
	}
	if (btf_layout_diff(theirs, info->btf_key_type_id, ours, our_key, 0, why, sizeof(why))) {
		xv_err("pinned map %s (%s) is incompatible: key layout differs: %s; run detach "
		       "first (drops its state) or use another --pin", name, s->path, why);
		goto cleanup;
	}
	if (btf_layout_diff(theirs, info->btf_value_type_id, ours, our_value, 0, why,
			    sizeof(why))) {
		xv_err("pinned map %s (%s) is incompatible: value layout differs: %s; run detach "
		       "first (drops its state) or use another --pin", name, s->path, why);
		goto cleanup;
	}
	ret = 0;
cleanup:
	btf__free(theirs);
	return ret;
}

/* A pinned XDP cache could hold stamps of a generation counter that no
 * longer exists (bpf/cache.h): those maps are per load. */
static bool map_is_pinned(const struct bpf_map *map)
{
	return !xvtep_map_per_load(bpf_map__name(map));
}

/*
 * Compare a pinned map with the one this build would create, so that an
 * incompatible pin gets a clear error instead of libbpf's generic refusal
 * (and is never silently reused).
 */
static int check_pinned_map(struct map_slot *s)
{
	const char *name = bpf_map__name(s->map);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), map_flags;
	int fd, ret = -1;

	fd = bpf_obj_get(s->path);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return xv_err_errno(errno, "cannot open pinned map %s", s->path);
	}
	s->existed = true;
	if (!fd_is(fd, "map")) {
		xv_err("%s is pinned but is not a map; remove it or use another --pin", s->path);
		goto out;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		xv_err_errno(errno, "cannot read info of pinned map %s", s->path);
		goto out;
	}

#define MISMATCH(what, have, want) do {						\
		xv_err("pinned map %s (%s) is incompatible: %s %u, this build needs %u; " \
		       "run detach first (drops its state) or use another --pin",	\
		       name, s->path, what, (unsigned)(have), (unsigned)(want));	\
		goto out;							\
	} while (0)
	if (info.type != (__u32)bpf_map__type(s->map))
		MISMATCH("map type", info.type, bpf_map__type(s->map));
	if (info.key_size != bpf_map__key_size(s->map))
		MISMATCH("key size", info.key_size, bpf_map__key_size(s->map));
	if (info.value_size != bpf_map__value_size(s->map))
		MISMATCH("value size", info.value_size, bpf_map__value_size(s->map));
	map_flags = info.map_flags;
	if (info.type == BPF_MAP_TYPE_DEVMAP || info.type == BPF_MAP_TYPE_DEVMAP_HASH)
		map_flags &= ~BPF_F_RDONLY_PROG;	/* added by the kernel, see below */
	if (map_flags != bpf_map__map_flags(s->map))
		MISMATCH("map flags", map_flags, bpf_map__map_flags(s->map));
	/* The kernel adds BPF_F_RDONLY_PROG to every devmap but refuses it at
	 * creation, and libbpf 1.1 compares flags verbatim when reusing a pin:
	 * mirror the pinned flags onto this map (reused, so never created). */
	if (map_flags != info.map_flags && bpf_map__set_map_flags(s->map, info.map_flags)) {
		xv_err_errno(errno, "cannot set the flags of map %s", name);
		goto out;
	}
	if (!strcmp(name, XVTEP_MAP_FDB)) {
		/* The FDB size is chosen at the first attach; later attaches keep it. */
		if (cfg.fdb_size && cfg.fdb_size != info.max_entries) {
			xv_err("pinned map %s (%s) has %u entries, not --fdb-size %u: the FDB "
			       "cannot be resized in place; run detach first (drops the FDB) "
			       "or omit --fdb-size", name, s->path, info.max_entries,
			       cfg.fdb_size);
			goto out;
		}
		if (bpf_map__set_max_entries(s->map, info.max_entries)) {
			xv_err_errno(errno, "cannot size map %s", name);
			goto out;
		}
	} else if (info.max_entries != bpf_map__max_entries(s->map)) {
		MISMATCH("max_entries", info.max_entries, bpf_map__max_entries(s->map));
	}
#undef MISMATCH
	if (check_map_btf(s, &info))
		goto out;

	if (!strcmp(name, XVTEP_MAP_META)) {
		struct xvtep_meta meta = {};
		__u32 key = 0;

		if (bpf_map_lookup_elem(fd, &key, &meta)) {
			xv_err_errno(errno, "cannot read pinned map %s", s->path);
			goto out;
		}
		/* 0: created by an attach that failed before writing it. */
		if (meta.abi_version && meta.abi_version != XVTEP_ABI_VERSION) {
			xv_err("pinned map %s (%s) has ABI version %u, this build uses %u; "
			       "run detach first (drops all state) or use another --pin",
			       name, s->path, meta.abi_version, XVTEP_ABI_VERSION);
			goto out;
		}
		undo.meta_existed = true;
		undo.old_meta = meta;
	}
	ret = 0;
out:
	close(fd);
	return ret;
}

/*
 * An attach killed between pinning a new uplink link at links/NAME_new and
 * renaming it over links/NAME leaves the live link under the temporary name:
 * the next attach would take it for a foreign program (XDP) or add a second
 * one (tcx). Finish the swap if NAME is missing or defunct, else drop the
 * temporary pin (NAME is the link in use).
 */
static int recover_tmp_link(const char *name)
{
	char path[PATH_MAX], tmp[PATH_MAX], tmpname[64];
	__u32 tmp_ifindex = 0, cur_ifindex = 0;
	int fd;

	snprintf(tmpname, sizeof(tmpname), "%s_new", name);
	if (pin_path(path, "links", name) || pin_path(tmp, "links", tmpname))
		return -1;
	fd = bpf_obj_get(tmp);
	if (fd < 0)
		return 0;
	if (!fd_is(fd, "link") || xv_link_info(fd, NULL, NULL, NULL, &tmp_ifindex))
		tmp_ifindex = 0;
	close(fd);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		if (!fd_is(fd, "link") || xv_link_info(fd, NULL, NULL, NULL, &cur_ifindex))
			cur_ifindex = 0;
		close(fd);
	}
	if (tmp_ifindex && (fd < 0 || !cur_ifindex)) {
		if (rename(tmp, path))
			return xv_err_errno(errno, "cannot move %s to %s", tmp, path);
		fprintf(stderr, "Warning: %s was left by an interrupted attach; now pinned as %s\n",
			tmp, path);
		return 0;
	}
	if (unlink(tmp) && errno != ENOENT)
		return xv_err_errno(errno, "cannot remove %s", tmp);
	return 0;
}

/* Open a pinned uplink link if there is one and check it is what we expect. */
static int open_old_link(struct old_link *l, const char *name, __u32 want_type, int ifindex,
			 bool strict)
{
	__u32 type;
	int err;

	l->fd = -1;
	l->prog_id = l->ifindex = 0;
	if (pin_path(l->path, "links", name))
		return -1;
	l->fd = bpf_obj_get(l->path);
	if (l->fd < 0) {
		if (errno == ENOENT)
			return 0;
		return xv_err_errno(errno, "cannot open pinned link %s", l->path);
	}
	if (!fd_is(l->fd, "link"))
		return xv_err("%s is pinned but is not a BPF link; detach first", l->path);
	err = xv_link_info(l->fd, &type, NULL, &l->prog_id, &l->ifindex);
	if (err)
		return xv_err_errno(err, "cannot read info of %s", l->path);
	if (type != want_type)
		return xv_err("%s is a link of type %u, expected %u; detach first",
			      l->path, type, want_type);
	if (l->ifindex && l->ifindex != (__u32)ifindex && !strict) {
		/* On a device of ours that was recreated: a new link replaces it. */
		l->ifindex = 0;
		return 0;
	}
	if (l->ifindex && l->ifindex != (__u32)ifindex) {
		char other[IF_NAMESIZE] = "?";

		if_indextoname(l->ifindex, other);
		return xv_err("%s is attached to device %s (ifindex %u), not %s; "
			      "detach first to move xvtep to another uplink",
			      l->path, other, l->ifindex, cfg.uplink);
	}
	return 0;
}

/* Swap the program of an existing link, remembering the old one for undo. */
static int update_link(int link_fd, __u32 old_prog_id, int new_prog_fd, const char *what)
{
	struct link_update *u = &undo.updates[undo.nr_updates];
	int old_fd;

	if (undo.nr_updates == (int)(sizeof(undo.updates) / sizeof(undo.updates[0]))) {
		errno = E2BIG;
		return -1;
	}
	old_fd = old_prog_id ? bpf_prog_get_fd_by_id(old_prog_id) : -1;

	if (bpf_link_update(link_fd, new_prog_fd, NULL)) {
		int err = errno;

		if (old_fd >= 0)
			close(old_fd);
		errno = err;
		return -1;
	}
	u->link_fd = link_fd;
	u->old_prog_fd = old_fd;
	undo.nr_updates++;
	if (cfg.verbose)
		fprintf(stderr, "updated %s to the new program\n", what);
	return 0;
}

/* Pin FD at PATH, replacing whatever is there in one rename(). */
static int pin_replace(int fd, const char *path, const char *tmp)
{
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp))
		return -1;
	if (rename(tmp, path)) {
		int err = errno;

		unlink(tmp);
		errno = err;
		return -1;
	}
	return 0;
}

/* Update every port link of KIND (made by `xvtepctl port add`) to PORT_PROG_FD. */
static int update_port_links(int port_prog_fd, enum port_link_kind kind)
{
	const char *scan = port_links[kind].scan;
	DIR *d = opendir(undo.links_dir);
	struct dirent *de;
	int ret = 0;

	if (!d)
		return errno == ENOENT ? 0 : xv_err_errno(errno, "cannot read %s", undo.links_dir);
	while ((de = readdir(d))) {
		char path[PATH_MAX], rest;
		__u32 port_ifindex, prog_id, type, link_ifindex;
		int fd;

		if (sscanf(de->d_name, scan, &port_ifindex, &rest) != 1)
			continue;
		if (pin_path(path, "links", de->d_name)) {
			ret = -1;
			break;
		}
		fd = bpf_obj_get(path);
		if (fd < 0) {
			ret = xv_err_errno(errno, "cannot open pinned link %s", path);
			break;
		}
		if (!fd_is(fd, "link") || xv_link_info(fd, &type, NULL, &prog_id, &link_ifindex)) {
			close(fd);
			ret = xv_err("%s is not a readable BPF link; detach first", path);
			break;
		}
		if (!link_ifindex) {
			/* The port device is gone; `xvtepctl port del` cleans it up. */
			fprintf(stderr, "Warning: %s: port device is gone, link left as is\n", path);
			close(fd);
			continue;
		}
		if (update_link(fd, prog_id, port_prog_fd, path)) {
			ret = xv_err_errno(errno, "cannot update %s to the new port %s program",
					   path, port_links[kind].what);
			close(fd);
			break;
		}
		/* fd stays open: undo may need it. */
	}
	closedir(d);
	return ret;
}

/*
 * A port configured in xvtep_ports but without its link of KIND (its links
 * were removed, e.g. by a detach that kept the maps): attach it again so
 * that an attach from the pins restores forwarding without the CLI. XDP
 * links only for ports with XVTEP_PORT_F_XDP_ENCAP.
 */
static int link_missing_ports(int ports_fd, int port_prog_fd, enum port_link_kind kind)
{
	__u32 ifindex, *prev = NULL;
	int *nr_created;
	__u32 *created = port_links_created(kind, &nr_created);

	while (!bpf_map_get_next_key(ports_fd, prev, &ifindex)) {
		char path[PATH_MAX], name[32], dev[IF_NAMESIZE];
		struct xvtep_port port;
		int fd;

		prev = &ifindex;
		if (kind == PORT_LINK_XDP &&
		    (bpf_map_lookup_elem(ports_fd, &ifindex, &port) ||
		     !(port.flags & XVTEP_PORT_F_XDP_ENCAP)))
			continue;
		snprintf(name, sizeof(name), port_links[kind].fmt, ifindex);
		if (pin_path(path, "links", name))
			return -1;
		if (path_exists(path))
			continue;	/* updated by update_port_links() */
		if (!if_indextoname(ifindex, dev)) {
			fprintf(stderr, "Warning: port ifindex %u is configured but has no device; "
				"not attached\n", ifindex);
			continue;
		}
		if (*nr_created == XVTEP_MAX_PORTS)
			return xv_err("too many ports");
		fd = kind == PORT_LINK_XDP ? xv_xdp_attach(port_prog_fd, ifindex) :
		     xv_tcx_attach(port_prog_fd, ifindex, kind == PORT_LINK_INGRESS);
		if (fd < 0)
			return xv_err_errno(fd, "cannot attach the port %s program to %s",
					    port_links[kind].what, dev);
		if (bpf_obj_pin(fd, path)) {
			int err = errno;

			close(fd);
			return xv_err_errno(err, "cannot pin %s", path);
		}
		close(fd);	/* the pin holds it */
		created[(*nr_created)++] = ifindex;
		if (cfg.verbose)
			fprintf(stderr, "attached port %s %s (ifindex %u)\n", dev,
				port_links[kind].what, ifindex);
	}
	return 0;
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

/* ------------------------------------------------------------------------ */
/* Mirror device                                                            */

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
 * input device, which needs IPv4 forwarding on it; it forwards nothing
 * (everything arriving there is consumed by the program).
 */
static int mirror_dev_setup(int *ifindex_out)
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
	/* Quiet: no router solicitations or MLD reports from the pair. */
	write_sysctl("/proc/sys/net/ipv6/conf/%s/disable_ipv6", XVTEP_MIRROR_DEV);
	write_sysctl("/proc/sys/net/ipv6/conf/%s/disable_ipv6", XVTEP_MIRROR_PEER);
	*ifindex_out = ifindex;
	return 0;
}

/*
 * Our tcx link LINK_NAME on IFINDEX (ingress or egress) running PROG_FD: swap
 * the program of the live pinned link OLD, else create a link and pin it over
 * whatever OLD was (a link left defunct by a deleted device).
 */
/* HOOK: LINK_HOOK_INGRESS or _EGRESS (tcx), or LINK_HOOK_XDP (native). */
enum link_hook { LINK_HOOK_INGRESS, LINK_HOOK_EGRESS, LINK_HOOK_XDP };

static int link_ensure(struct old_link *old, const char *link_name, int prog_fd,
		       int ifindex, enum link_hook hook, const char *dev, int *new_fd, bool *pinned)
{
	static const char *const hook_names[] = { "tcx ingress", "tcx egress", "XDP" };
	char tmp[PATH_MAX], tmpname[64];
	int fd;

	if (old->fd >= 0 && old->ifindex) {
		if (update_link(old->fd, old->prog_id, prog_fd, old->path))
			return xv_err_errno(errno, "cannot update %s", old->path);
		return 0;
	}
	if (hook == LINK_HOOK_XDP)
		fd = xv_xdp_attach(prog_fd, ifindex);
	else
		fd = xv_tcx_attach(prog_fd, ifindex, hook == LINK_HOOK_INGRESS);
	if (fd < 0)
		return xv_err_errno(fd, "cannot attach a %s program to %s", hook_names[hook], dev);
	*new_fd = fd;
	snprintf(tmpname, sizeof(tmpname), "%s_new", link_name);
	if (pin_path(tmp, "links", tmpname) || pin_replace(fd, old->path, tmp))
		return xv_err_errno(errno, "cannot pin %s", old->path);
	*pinned = true;
	return 0;
}

/* Pin PROG_FD at progs/NAME in one step, keeping the old program for undo. */
static int prog_pin_swap(const char *name, int prog_fd, int *old_fd, bool *done)
{
	char path[PATH_MAX], tmp[PATH_MAX], tmpname[64];

	snprintf(tmpname, sizeof(tmpname), "%s_new", name);
	if (pin_path(path, "progs", name) || pin_path(tmp, "progs", tmpname))
		return -1;
	*old_fd = bpf_obj_get(path);
	if (pin_replace(prog_fd, path, tmp))
		return xv_err_errno(errno, "cannot pin %s", path);
	*done = true;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* clsact filters: the TC hooks on a kernel without tcx                      */

/* attach: TC programs as clsact filters (XVTEP_FEAT_TCX off), not tcx links. */
static bool use_clsact;

/* This instance's filter sits in KIND's slot on IFINDEX. */
static bool filter_ours(int ifindex, enum xv_tc_kind kind)
{
	__u32 id;

	return !xv_clsact_query(ifindex, kind, &id) && xv_tc_prog_owned(cfg.pin, kind, id);
}

/* Our filter of KIND on IFINDEX running PROG_FD: the program replaced in
 * place, or a new filter; undo puts back what was there. */
static int filter_ensure(enum xv_tc_kind kind, int prog_fd, int ifindex)
{
	int n = undo.nr_filters, old_fd = -1;
	__u32 old_id;

	if (n == (int)(sizeof(undo.filters) / sizeof(undo.filters[0])))
		return xv_err("too many TC filters");
	/* The filter holds the only reference to the program it runs. */
	if (!xv_clsact_query(ifindex, kind, &old_id))
		old_fd = bpf_prog_get_fd_by_id(old_id);
	if (xv_clsact_attach(cfg.pin, ifindex, kind, prog_fd, NULL)) {
		if (old_fd >= 0)
			close(old_fd);
		return -1;
	}
	undo.filters[n].ifindex = ifindex;
	undo.filters[n].kind = kind;
	undo.filters[n].old_prog_fd = old_fd;
	undo.nr_filters++;
	return 0;
}

/* KIND's hook on IFINDEX running PROG_FD: the pinned link OLD (see
 * link_ensure()), or our clsact filter. */
static int tc_ensure(enum xv_tc_kind kind, struct old_link *old, int prog_fd, int ifindex,
		     const char *dev, int *new_fd, bool *pinned)
{
	if (use_clsact)
		return filter_ensure(kind, prog_fd, ifindex);
	return link_ensure(old, xv_tc_hooks[kind].link, prog_fd, ifindex,
			   xv_tc_hooks[kind].ingress ? LINK_HOOK_INGRESS : LINK_HOOK_EGRESS, dev,
			   new_fd, pinned);
}

/* Every port's hook of KIND: its link updated or made, or its filter. */
static int port_hooks(int ports_fd, int prog_fd, enum port_link_kind kind)
{
	__u32 ifindex, *prev = NULL;

	if (!use_clsact || kind == PORT_LINK_XDP)
		return update_port_links(prog_fd, kind) || link_missing_ports(ports_fd, prog_fd, kind) ?
		       -1 : 0;
	while (!bpf_map_get_next_key(ports_fd, prev, &ifindex)) {
		char dev[IF_NAMESIZE];

		prev = &ifindex;
		if (!if_indextoname(ifindex, dev))
			fprintf(stderr, "Warning: port ifindex %u is configured but has no device; "
				"not attached\n", ifindex);
		else if (filter_ensure(kind == PORT_LINK_INGRESS ? XV_TC_PORT : XV_TC_PORT_EG,
				       prog_fd, ifindex))
			return -1;
	}
	return 0;
}

/*
 * A running instance keeps its attach method: a link and a filter cannot
 * replace each other atomically (the program would run twice, or not at
 * all, in between). OLD_TC: the pinned uplink tcx link, if any.
 */
static int check_attach_method(const struct old_link *old_tc, int ifindex, __u16 feat_off)
{
	if (use_clsact && old_tc->fd >= 0)
		return xv_err("%s is attached with tcx links, and this attach would use clsact "
			      "filters (%s); run `xvtep-loader detach --keep-maps` first (the "
			      "configuration stays pinned), then attach again", cfg.pin,
			      xv_feature_why_off(feat_off, XVTEP_FEAT_TCX));
	if (!use_clsact && filter_ours(ifindex, XV_TC_UPLINK))
		return xv_err("%s is attached with clsact filters, and this attach would use tcx "
			      "links; run `xvtep-loader detach --keep-maps` first (the configuration "
			      "stays pinned), then attach again", cfg.pin);
	return 0;
}

static int cmd_attach(void)
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

/* ------------------------------------------------------------------------ */
/* detach                                                                   */

/* The instance's meta, if its uplink is in this network namespace. */
static bool uplink_meta(struct xvtep_meta *meta)
{
	char path[PATH_MAX], name[IF_NAMESIZE];
	__u32 key = 0;
	int meta_fd;

	if (pin_path(path, NULL, XVTEP_MAP_META))
		return false;
	meta_fd = bpf_obj_get(path);
	if (meta_fd < 0)
		return false;
	if (bpf_map_lookup_elem(meta_fd, &key, meta) || meta->abi_version != XVTEP_ABI_VERSION ||
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

/* Leave the groups of every VNI; best effort, the pins go anyway. */
static void leave_groups(const struct xvtep_meta *m)
{
	char path[PATH_MAX], name[IF_NAMESIZE] = "";
	__u32 key = 0, *prev = NULL;
	int vnis_fd;
	struct xvtep_vni v;

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

		if (bpf_obj_get_info_by_fd(vnis_fd, &info, &len) || info.key_size != sizeof(key) ||
		    info.value_size != sizeof(v)) {
			fprintf(stderr, "Warning: %s has an unexpected layout; multicast groups "
				"not left\n", path);
			close(vnis_fd);
			return;
		}
	}
	while (!bpf_map_get_next_key(vnis_fd, prev, &key)) {
		prev = &key;
		if (bpf_map_lookup_elem(vnis_fd, &key, &v) || !xv_ipv4_is_mcast(v.group))
			continue;
		int err = xv_mcast_leave(m->uplink_ifindex, v.group);

		if (err) {
			char g[16];

			xv_fmt_ipv4(v.group, g);
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

/*
 * The mirror device, if only this instance uses it: each of its tcx ingress
 * programs is one of our pinned links (links/tc_mirror, or links/tc_mirror_new
 * of an attach killed before its rename). Checked before the pins go: the
 * release of a link after its unpin is asynchronous (RCU, then a workqueue),
 * so a count taken afterwards may still see it.
 */
static bool mirror_dev_owned(int *ifindex)
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
static bool mirror_dev_remove_unused(void)
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

static int cmd_detach(void)
{
	static const char *const maps[] = {
		XVTEP_MAP_META, XVTEP_MAP_VNIS, XVTEP_MAP_VSTATE, XVTEP_MAP_PORTS,
		XVTEP_MAP_FDB, XVTEP_MAP_STATS, XVTEP_MAP_DEVMAP, XVTEP_MAP_GC,
		XVTEP_MAP_FDB_SEEN, XVTEP_MAP_MIRRORS, XVTEP_MAP_MSTATS, XVTEP_MAP_UPMIRROR,
		XVTEP_MAP_PEERS, XVTEP_MAP_VSEC, XVTEP_MAP_MOVES, XVTEP_MAP_OWNMACS, XVTEP_MAP_MRATE,
		XVTEP_MAP_GEN, XVTEP_MAP_MIRROR_BCAST, XVTEP_MAP_MIRROR_XMIT,
		XVTEP_MAP_EVENTS, XVTEP_MAP_EVRATE,
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
		int err = xv_neigh_release(NULL, 0, 0);

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

/* ------------------------------------------------------------------------ */
/* status                                                                   */

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

static int cmd_status(void)
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
	char ip[16], macs[18], devname[IF_NAMESIZE] = "";
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
	xv_fmt_ipv4(meta.local_ip, ip);
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
		jw_string_field(jw, "local_ip", ip);
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
		printf("local %s dstport %u sport %u-%u\n", ip, meta.dstport, meta.sport_min,
		       meta.sport_max);
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

/* ------------------------------------------------------------------------ */
/* Arguments                                                                */

enum {
	OPT_PIN = 256, OPT_UPLINK, OPT_LOCAL, OPT_DSTPORT, OPT_XDP_MODE, OPT_DECAP,
	OPT_SPORT, OPT_FDB_SIZE, OPT_FORCE, OPT_KEEP_MAPS,
};

static int parse_args(int argc, char **argv, const char **cmd)
{
	static const struct option opts[] = {
		{ "pin",         required_argument, NULL, OPT_PIN },
		{ "netns",       required_argument, NULL, 'n' },
		{ "json",        no_argument,       NULL, 'j' },
		{ "pretty",      no_argument,       NULL, 'p' },
		{ "verbose",     no_argument,       NULL, 'v' },
		{ "help",        no_argument,       NULL, 'h' },
		{ "version",     no_argument,       NULL, 'V' },
		{ "uplink",      required_argument, NULL, OPT_UPLINK },
		{ "local",       required_argument, NULL, OPT_LOCAL },
		{ "dstport",     required_argument, NULL, OPT_DSTPORT },
		{ "xdp-mode",    required_argument, NULL, OPT_XDP_MODE },
		{ "decap",       required_argument, NULL, OPT_DECAP },
		{ "sport-range", required_argument, NULL, OPT_SPORT },
		{ "fdb-size",    required_argument, NULL, OPT_FDB_SIZE },
		{ "force",       no_argument,       NULL, OPT_FORCE },
		{ "keep-maps",   no_argument,       NULL, OPT_KEEP_MAPS },
		{}
	};
	bool attach_opt = false;
	__u32 v, lo, hi;
	int c;

	opterr = 0;	/* our own "Error:" messages */
	while ((c = getopt_long(argc, argv, ":n:jpvhV", opts, NULL)) != -1) {
		if (c >= OPT_UPLINK && c <= OPT_FORCE)
			attach_opt = true;
		switch (c) {
		case OPT_PIN:
			if (optarg[0] != '/')
				return xv_arg_err(optarg, "--pin needs an absolute path");
			cfg.pin = optarg;
			break;
		case 'n':
			cfg.netns = optarg;
			break;
		case 'p':
			cfg.pretty = true;	/* implies JSON */
			cfg.json = true;
			break;
		case 'j':
			cfg.json = true;
			break;
		case 'v':
			cfg.verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			print_version();
			exit(0);
		case OPT_UPLINK:
			cfg.uplink = optarg;
			break;
		case OPT_LOCAL:
			if (xv_parse_ipv4(optarg, &cfg.local_ip))
				return xv_arg_err(optarg, "--local needs an IPv4 address");
			if (!cfg.local_ip || xv_ipv4_is_mcast(cfg.local_ip) ||
			    cfg.local_ip == 0xffffffff)
				return xv_arg_err(optarg, "--local must be a unicast address");
			break;
		case OPT_DSTPORT:
			if (xv_parse_u32(optarg, 1, 65535, &v))
				return xv_arg_err(optarg, "--dstport must be a port number 1-65535");
			cfg.dstport = v;
			break;
		case OPT_XDP_MODE:
			if (!strcmp(optarg, "native"))
				cfg.xdp_mode = XDP_MODE_NATIVE;
			else if (!strcmp(optarg, "generic"))
				cfg.xdp_mode = XDP_MODE_GENERIC;
			else
				return xv_arg_err(optarg, "--xdp-mode must be native or generic");
			break;
		case OPT_DECAP:
			if (!strcmp(optarg, "auto"))
				cfg.decap = DECAP_AUTO;
			else if (!strcmp(optarg, "hybrid"))
				cfg.decap = XVTEP_DECAP_HYBRID;
			else if (!strcmp(optarg, "xdp"))
				cfg.decap = XVTEP_DECAP_XDP;
			else if (!strcmp(optarg, "tc"))
				cfg.decap = XVTEP_DECAP_TC;
			else
				return xv_arg_err(optarg, "--decap must be auto, hybrid, xdp or tc");
			break;
		case OPT_SPORT: {
			char buf[32], *dash;

			if (strlen(optarg) >= sizeof(buf))
				return xv_arg_err(optarg, "--sport-range must be MIN-MAX");
			strcpy(buf, optarg);
			dash = strchr(buf, '-');
			if (!dash)
				return xv_arg_err(optarg, "--sport-range must be MIN-MAX");
			*dash = '\0';
			if (xv_parse_u32(buf, 1, 65535, &lo) || xv_parse_u32(dash + 1, 1, 65535, &hi))
				return xv_arg_err(optarg, "--sport-range ports must be 1-65535");
			if (lo > hi)
				return xv_arg_err(optarg, "--sport-range MIN is above MAX");
			cfg.sport_min = lo;
			cfg.sport_max = hi;
			break;
		}
		case OPT_FDB_SIZE:
			if (xv_parse_u32(optarg, 1, FDB_SIZE_MAX, &v))
				return xv_arg_err(optarg, "--fdb-size must be 1-%u", FDB_SIZE_MAX);
			cfg.fdb_size = v;
			break;
		case OPT_FORCE:
			cfg.force = true;
			break;
		case OPT_KEEP_MAPS:
			cfg.keep_maps = true;
			break;
		case ':':
			return xv_err("option \"%s\" needs a value", argv[optind - 1]);
		default:
			xv_err("unknown option \"%s\" (try --help)", argv[optind - 1]);
			return -1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return -1;
	}
	if (optind + 1 < argc)
		return xv_err("unexpected argument \"%s\"", argv[optind + 1]);
	*cmd = argv[optind];
	if (attach_opt && strcmp(*cmd, "attach"))
		return xv_err("--uplink, --local, --dstport, --xdp-mode, --decap, --sport-range, "
			      "--fdb-size and --force only apply to attach");
	if (cfg.keep_maps && strcmp(*cmd, "detach"))
		return xv_err("--keep-maps only applies to detach");
	return 0;
}

/*
 * One loader at a time per pin directory: two attaches interleaving their
 * link swaps and pins would leave a mix of both. The lock file lives outside
 * bpffs (which holds no regular files) and dies with the process, even on
 * SIGKILL. The second loader fails at once and says why.
 */
static int loader_lock(void)
{
	char path[PATH_MAX];
	int fd = xv_pin_lock("xvtep-loader", cfg.pin, path, sizeof(path));

	if (fd == -EWOULDBLOCK)
		xv_err("another xvtep-loader is working on %s (lock %s is held); try again when it is done",
		       cfg.pin, path);
	else if (fd < 0)
		xv_err_errno(fd, "cannot lock %s", path);
	return fd;	/* held until exit */
}

int main(int argc, char **argv)
{
	const char *cmd = NULL;

	if (parse_args(argc, argv, &cmd))
		return 1;
	libbpf_set_print(libbpf_print);

	/* Privileges first: without them even the lock file cannot be opened,
	 * and "missing privileges" is the error that explains it. */
	if ((!strcmp(cmd, "attach") || !strcmp(cmd, "detach")) &&
	    (xv_check_privileges() || loader_lock() < 0))
		return 1;
	if (!strcmp(cmd, "attach"))
		return cmd_attach();
	if (!strcmp(cmd, "detach"))
		return cmd_detach();
	if (!strcmp(cmd, "status"))
		return cmd_status();
	xv_err("unknown command \"%s\" (attach, detach or status)", cmd);
	return 1;
}
