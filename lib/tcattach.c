// SPDX-License-Identifier: GPL-2.0
/*
 * xvtep's TC hooks, attached one of two ways (xvtep_meta.feat_off's
 * XVTEP_FEAT_TCX, decided at attach): tcx links pinned under <pin>/links/,
 * or, on a kernel without tcx, cls_bpf filters in direct-action mode on a
 * clsact qdisc at the fixed handle and priority of each hook kind
 * (include/xvtep.h). A filter needs no pin: it lives until deleted or until
 * its device goes, and BPF_TC_F_REPLACE swaps its program in one netlink
 * request, as bpf_link_update does for a link.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xvtep_lib.h"

#define XV_BPF_TCX_INGRESS 46

#define HOOK(k, l, p, in) { .link = (l), .prog = (p), .ingress = (in), \
			    .handle = XVTEP_TC_HANDLE_BASE | (k), .prio = XVTEP_TC_PRIO_BASE | (k) }
const struct xv_tc_hook xv_tc_hooks[XV_TC__NR] = {
	[XV_TC_UPLINK] = HOOK(1, XVTEP_LINK_TC_UPLINK, "xvtep_tc_up", true),
	[XV_TC_UPLINK_EG] = HOOK(2, XVTEP_LINK_TC_UPLINK_EG, "xvtep_tc_up_eg", false),
	[XV_TC_MIRROR] = HOOK(3, XVTEP_LINK_MIRROR, "xvtep_tc_mirror", true),
	[XV_TC_PORT] = HOOK(4, XVTEP_LINK_PORT_FMT, XVTEP_PROG_PORT, true),
	[XV_TC_PORT_EG] = HOOK(5, XVTEP_LINK_PORT_EG_FMT, XVTEP_PROG_PORT_EGRESS, false),
};

static void tc_hook_init(struct bpf_tc_hook *h, int ifindex, enum xv_tc_kind kind)
{
	memset(h, 0, sizeof(*h));
	h->sz = sizeof(*h);
	h->ifindex = ifindex;
	h->attach_point = xv_tc_hooks[kind].ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS;
}

static void tc_opts_init(struct bpf_tc_opts *o, enum xv_tc_kind kind)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->handle = xv_tc_hooks[kind].handle;
	o->priority = xv_tc_hooks[kind].prio;
}

static const char *dir_name(enum xv_tc_kind kind)
{
	return xv_tc_hooks[kind].ingress ? "ingress" : "egress";
}

static const char *dev_name(int ifindex, char buf[IF_NAMESIZE])
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "ifindex %d", ifindex);
	return buf;
}

/* libbpf prints the kernel's message of every refused request: an absent
 * filter or an existing qdisc is an answer here, not an error. */
static int tc_query_quiet(const struct bpf_tc_hook *h, struct bpf_tc_opts *o)
{
	libbpf_print_fn_t prev = libbpf_set_print(NULL);
	int err = bpf_tc_query(h, o);

	libbpf_set_print(prev);
	return err;
}

static int tc_hook_create_quiet(struct bpf_tc_hook *h)
{
	libbpf_print_fn_t prev = libbpf_set_print(NULL);
	int err = bpf_tc_hook_create(h);

	libbpf_set_print(prev);
	return err;
}

int xv_clsact_query(int ifindex, enum xv_tc_kind kind, __u32 *prog_id)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;
	int err;

	tc_hook_init(&h, ifindex, kind);
	tc_opts_init(&o, kind);
	*prog_id = 0;
	err = tc_query_quiet(&h, &o);
	/* EINVAL: no clsact qdisc (no filter at all), or a filter in the slot
	 * that is no eBPF cls_bpf one (another classifier, classic BPF). */
	if (err == -EINVAL)
		err = xv_clsact_filter_count(ifindex, xv_tc_hooks[kind].ingress) ? -EBUSY : -ENOENT;
	if (!err)
		*prog_id = o.prog_id;
	return err;
}

/* Is map ID the one pinned as <pin>/<its name>? */
static bool map_id_pinned(const char *pin, __u32 id)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	bool ret = false;
	int fd, pfd;

	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return false;
	/* A name of BPF_OBJ_NAME_LEN - 1 characters may be a truncated one. */
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || strlen(info.name) >= BPF_OBJ_NAME_LEN - 1 ||
	    xv_pin_path(path, sizeof(path), pin, NULL, info.name))
		goto out;
	pfd = bpf_obj_get(path);
	if (pfd >= 0) {
		struct bpf_map_info pinfo = {};

		len = sizeof(pinfo);
		ret = !bpf_obj_get_info_by_fd(pfd, &pinfo, &len) && pinfo.id == id;
		close(pfd);
	}
out:
	close(fd);
	return ret;
}

/* Each instance has its own maps: a program that uses one pinned under PIN
 * is this instance's, whatever its name says. */
bool xv_tc_prog_owned(const char *pin, enum xv_tc_kind kind, __u32 prog_id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), ids[64];
	bool owned = false;
	int fd;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return false;
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    strncmp(info.name, xv_tc_hooks[kind].prog, sizeof(info.name) - 1))
		goto out;
	for (__u32 i = 0; i < info.nr_map_ids && i < sizeof(ids) / sizeof(ids[0]) && !owned; i++)
		owned = map_id_pinned(pin, ids[i]);
out:
	close(fd);
	return owned;
}

/* The filter at KIND's slot on IFINDEX: 0 (none, or this instance's, id in
 * *prog_id), or -1 after an error naming what holds the slot. */
static int clsact_slot_check(const char *pin, int ifindex, enum xv_tc_kind kind, __u32 *prog_id)
{
	const struct xv_tc_hook *hk = &xv_tc_hooks[kind];
	char dev[IF_NAMESIZE], name[16];
	int err;

	err = xv_clsact_query(ifindex, kind, prog_id);
	if (err == -ENOENT)
		return 0;
	if (err && err != -EBUSY)
		return xv_err_errno(err, "cannot query the %s filters of %s", dir_name(kind),
				    dev_name(ifindex, dev));
	if (!err && xv_tc_prog_owned(pin, kind, *prog_id))
		return 0;
	name[0] = '\0';
	if (!err)
		xv_prog_name(*prog_id, name);
	dev_name(ifindex, dev);
	return xv_err("%s %s already has a filter at pref %u handle 0x%x (%s%s%s) that is not "
		      "this instance's (another xvtep instance, or one whose pins were removed?); "
		      "detach that instance, or delete the filter: tc filter del dev %s %s pref %u "
		      "handle 0x%x", dev, dir_name(kind), hk->prio, hk->handle,
		      err ? "not an eBPF program" : "program \"", name, err ? "" : "\"",
		      dev, dir_name(kind), hk->prio, hk->handle);
}

int xv_clsact_attach(const char *pin, int ifindex, enum xv_tc_kind kind, int prog_fd,
		     __u32 *old_prog_id)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;
	char dev[IF_NAMESIZE];
	__u32 old = 0;
	int err;

	if (clsact_slot_check(pin, ifindex, kind, &old))
		return -1;
	if (old_prog_id)
		*old_prog_id = old;
	tc_hook_init(&h, ifindex, kind);
	/* clsact has both hooks: any qdisc in place already serves. */
	h.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	err = tc_hook_create_quiet(&h);
	if (err && err != -EEXIST)
		return xv_err_errno(err, "cannot add a clsact qdisc to %s", dev_name(ifindex, dev));
	tc_hook_init(&h, ifindex, kind);
	tc_opts_init(&o, kind);
	o.prog_fd = prog_fd;
	o.flags = BPF_TC_F_REPLACE;	/* one request: the old program runs until the new one does */
	err = bpf_tc_attach(&h, &o);
	if (err)
		return xv_err_errno(err, "cannot attach %s to the clsact %s of %s",
				    xv_tc_hooks[kind].prog, dir_name(kind), dev_name(ifindex, dev));
	return 0;
}

void xv_clsact_release(int ifindex)
{
	struct bpf_tc_hook h = { .sz = sizeof(h), .ifindex = ifindex,
				 .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS };

	/*
	 * The qdisc goes once no filter is left on either hook: xvtep added it
	 * (or another tool emptied it), and an empty clsact does nothing. A
	 * tool adding a filter right now makes its hook non-empty first, or
	 * sees its request fail: nothing of it is removed silently.
	 */
	if (!xv_clsact_filter_count(ifindex, true) && !xv_clsact_filter_count(ifindex, false))
		bpf_tc_hook_destroy(&h);
}

int xv_clsact_detach(const char *pin, int ifindex, enum xv_tc_kind kind)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;
	__u32 prog_id;
	int err;

	err = xv_clsact_query(ifindex, kind, &prog_id);
	if (err)
		return err;
	/* Only this instance's program: never another tool's filter. */
	if (!xv_tc_prog_owned(pin, kind, prog_id))
		return -EBUSY;
	tc_hook_init(&h, ifindex, kind);
	tc_opts_init(&o, kind);
	err = bpf_tc_detach(&h, &o);
	if (err)
		return err;
	xv_clsact_release(ifindex);
	return 0;
}

/* Our filter of KIND off IFINDEX: 1 if removed, else 0 (a warning unless
 * there was none). */
static int filter_remove(const char *pin, int ifindex, enum xv_tc_kind kind)
{
	const struct xv_tc_hook *hk = &xv_tc_hooks[kind];
	char dev[IF_NAMESIZE];
	int err = xv_clsact_detach(pin, ifindex, kind);

	if (!err)
		return 1;
	if (err != -ENOENT && err != -ENODEV)
		fprintf(stderr, "Warning: %s %s: filter at pref %u handle 0x%x left in place: %s\n",
			dev_name(ifindex, dev), dir_name(kind), hk->prio, hk->handle,
			err == -EBUSY ? "its program is not this instance's" : strerror(-err));
	return 0;
}

int xv_clsact_detach_all(const char *pin, int uplink_ifindex, int mirror_ifindex)
{
	__u32 port, *prev = NULL;
	char path[PATH_MAX];
	int fd, n = 0;

	if (uplink_ifindex)
		n += filter_remove(pin, uplink_ifindex, XV_TC_UPLINK) +
		     filter_remove(pin, uplink_ifindex, XV_TC_UPLINK_EG);
	if (mirror_ifindex)
		n += filter_remove(pin, mirror_ifindex, XV_TC_MIRROR);
	if (xv_pin_path(path, sizeof(path), pin, NULL, XVTEP_MAP_PORTS))
		return n;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return n;
	while (!bpf_map_get_next_key(fd, prev, &port)) {
		prev = &port;
		n += filter_remove(pin, port, XV_TC_PORT) + filter_remove(pin, port, XV_TC_PORT_EG);
	}
	close(fd);
	return n;
}

long xv_tc_ingress_count(int ifindex)
{
	__u32 cnt = 0, flags = 0;
	long n;

	/* EINVAL: a kernel without tcx has no tcx programs. */
	if (bpf_prog_query(ifindex, (enum bpf_attach_type)XV_BPF_TCX_INGRESS, 0, &flags, NULL,
			   &cnt) && errno != EINVAL)
		return -errno;
	n = xv_clsact_filter_count(ifindex, true);
	return n < 0 ? n : n + (long)cnt;
}

/* ---- either method, as the instance was attached ---- */

int xv_link_pin(int fd, const char *path)
{
	int err = 0;

	if (bpf_obj_pin(fd, path)) {
		err = errno;
		bpf_link_detach(fd);
	}
	close(fd);
	return err ? xv_err_errno(err, "cannot pin link at %s", path) : 0;
}

int xv_link_unpin(const char *path)
{
	int fd = bpf_obj_get(path);

	if (fd >= 0) {
		bpf_link_detach(fd);	/* fails harmlessly if the device is gone */
		close(fd);
	}
	return unlink(path) ? -errno : 0;
}

static int link_pin_path(char *buf, size_t len, const char *pin, enum xv_tc_kind kind, int ifindex)
{
	char name[32];

	snprintf(name, sizeof(name), xv_tc_hooks[kind].link, ifindex);
	if (xv_pin_path(buf, len, pin, "links", name))
		return xv_err("pin path too long: %s", pin);
	return 0;
}

int xv_tc_attach(const char *pin, __u16 feat_off, enum xv_tc_kind kind, int ifindex, int prog_fd)
{
	char path[PATH_MAX], dir[PATH_MAX], dev[IF_NAMESIZE];
	int fd;

	if (feat_off & XVTEP_FEAT_TCX)
		return xv_clsact_attach(pin, ifindex, kind, prog_fd, NULL);
	if (link_pin_path(path, sizeof(path), pin, kind, ifindex))
		return -1;
	if (!access(path, F_OK))
		return xv_err("%s already exists (stale link of a deleted port?): remove it first",
			      path);
	fd = xv_tcx_attach(prog_fd, ifindex, xv_tc_hooks[kind].ingress);
	if (fd < 0)
		return xv_err_errno(fd, "cannot attach %s to tcx %s of %s", xv_tc_hooks[kind].prog,
				    dir_name(kind), dev_name(ifindex, dev));
	/* The loader normally creates links/; make sure so a fresh pin dir works too. */
	if (!xv_pin_path(dir, sizeof(dir), pin, NULL, "links"))
		mkdir(dir, 0700);
	return xv_link_pin(fd, path);
}

int xv_tc_detach(const char *pin, __u16 feat_off, enum xv_tc_kind kind, int ifindex)
{
	char path[PATH_MAX];

	if (feat_off & XVTEP_FEAT_TCX)
		return xv_clsact_detach(pin, ifindex, kind);
	if (link_pin_path(path, sizeof(path), pin, kind, ifindex))
		return -EINVAL;
	return xv_link_unpin(path);
}
