// SPDX-License-Identifier: GPL-2.0
/* Links, program pins and clsact filters: the hooks attach makes or swaps. */
#include <dirent.h>
#include <net/if.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <errno.h>

#include "loader.h"

const struct port_link_pin port_links[PORT_LINK__MAX] = {
	[PORT_LINK_INGRESS] = { XVTEP_LINK_PORT_FMT, "port_%u%c", "ingress" },
	[PORT_LINK_EGRESS] = { XVTEP_LINK_PORT_EG_FMT, "port_eg_%u%c", "egress" },
	[PORT_LINK_XDP] = { XVTEP_LINK_PORT_XDP_FMT, "port_xdp_%u%c", "XDP" },
};

/*
 * An attach killed between pinning a new uplink link at links/NAME_new and
 * renaming it over links/NAME leaves the live link under the temporary name:
 * the next attach would take it for a foreign program (XDP) or add a second
 * one (tcx). Finish the swap if NAME is missing or defunct, else drop the
 * temporary pin (NAME is the link in use).
 */
int recover_tmp_link(const char *name)
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
int open_old_link(struct old_link *l, const char *name, __u32 want_type, int ifindex,
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
int update_link(int link_fd, __u32 old_prog_id, int new_prog_fd, const char *what)
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
int pin_replace(int fd, const char *path, const char *tmp)
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

/*
 * Our tcx link LINK_NAME on IFINDEX (ingress or egress) running PROG_FD: swap
 * the program of the live pinned link OLD, else create a link and pin it over
 * whatever OLD was (a link left defunct by a deleted device).
 */

int link_ensure(struct old_link *old, const char *link_name, int prog_fd,
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
int prog_pin_swap(const char *name, int prog_fd, int *old_fd, bool *done)
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
bool use_clsact;

/* This instance's filter sits in KIND's slot on IFINDEX. */
bool filter_ours(int ifindex, enum xv_tc_kind kind)
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
int tc_ensure(enum xv_tc_kind kind, struct old_link *old, int prog_fd, int ifindex,
	      const char *dev, int *new_fd, bool *pinned)
{
	if (use_clsact)
		return filter_ensure(kind, prog_fd, ifindex);
	return link_ensure(old, xv_tc_hooks[kind].link, prog_fd, ifindex,
			   xv_tc_hooks[kind].ingress ? LINK_HOOK_INGRESS : LINK_HOOK_EGRESS, dev,
			   new_fd, pinned);
}

/* Every port's hook of KIND: its link updated or made, or its filter. */
int port_hooks(int ports_fd, int prog_fd, enum port_link_kind kind)
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
int check_attach_method(const struct old_link *old_tc, int ifindex, __u16 feat_off)
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
