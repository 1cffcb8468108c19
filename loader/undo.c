// SPDX-License-Identifier: GPL-2.0
/* What attach changed and how a failed attach puts it back. */
#include <unistd.h>
#include <bpf/bpf.h>
#include <errno.h>

#include "loader.h"

struct undo undo = {
	.old_port_prog_fd = -1, .new_tc_fd = -1, .new_xdp_fd = -1,
	.old_port_eg_prog_fd = -1, .new_mirror_fd = -1, .new_upeg_fd = -1, .new_xmir_fd = -1,
	.old_port_xdp_prog_fd = -1,
};

/* The port links of KIND this run created (undo removes them): array and count. */
__u32 *port_links_created(enum port_link_kind kind, int **nr)
{
	*nr = kind == PORT_LINK_INGRESS ? &undo.nr_new_ports :
	      kind == PORT_LINK_EGRESS ? &undo.nr_new_port_egs : &undo.nr_new_port_xdps;
	return kind == PORT_LINK_INGRESS ? undo.new_ports :
	       kind == PORT_LINK_EGRESS ? undo.new_port_egs : undo.new_port_xdps;
}

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

void undo_all(int ifindex)
{
	char path[PATH_MAX];

	for (int i = 0; i < undo.nr_joined; i++)
		xv_mcast_leave(ifindex, &undo.joined[i]);

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
