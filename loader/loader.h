/* SPDX-License-Identifier: GPL-2.0 */
/* xvtep-loader internals shared by its files (main, attach, detach, status, ...). */
#ifndef XVTEP_LOADER_H
#define XVTEP_LOADER_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include "xvtep_lib.h"

#define XDP_MODE_NATIVE		0
#define XDP_MODE_GENERIC	1
#define FDB_SIZE_MAX		(1U << 24)
#define MAX_MAPS		32

/* --decap auto: TC on a veth uplink, hybrid elsewhere (dev_is_veth). */
#define DECAP_UNSET	(-1)
#define DECAP_AUTO	(-2)

struct config {
	const char *pin;
	const char *netns;
	bool json, pretty, verbose, force;
	bool keep_maps;		/* detach: stop the dataplane, keep the state pinned */
	const char *uplink;
	__be32 local_ip;	/* IPv4 VTEP address, 0 = none */
	union xvtep_addr local_ip6;	/* IPv6 VTEP address, zero = none */
	__u16 dstport;
	__u16 sport_min, sport_max;
	int xdp_mode;		/* -1: not given (adopt the attached one, else native) */
	int decap;		/* or DECAP_UNSET (keep the running one, else as auto), DECAP_AUTO */
	__u32 fdb_size;		/* 0: not given (adopt the pinned map's, else default) */
};

/* The options (main.c). */
extern struct config cfg;
extern const char *const decap_names[];
extern const char *const xdp_mode_names[];

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

	union xvtep_addr joined[XVTEP_MAX_VNIS];
	int nr_joined;
};

/* The links `xvtepctl port add` makes per port: links/<fmt with its ifindex>. */
enum port_link_kind { PORT_LINK_INGRESS, PORT_LINK_EGRESS, PORT_LINK_XDP, PORT_LINK__MAX };

/* A pinned uplink link as found before the attach. */
struct old_link {
	char path[PATH_MAX];
	int fd;			/* -1: no pin */
	__u32 prog_id;
	__u32 ifindex;		/* 0: the device is gone (defunct link) */
};

/* HOOK: LINK_HOOK_INGRESS or _EGRESS (tcx), or LINK_HOOK_XDP (native). */
enum link_hook { LINK_HOOK_INGRESS, LINK_HOOK_EGRESS, LINK_HOOK_XDP };

/* Names of the per-port links (links.c). */
struct port_link_pin {
	const char *fmt;	/* pin name */
	const char *scan;	/* the same, for sscanf with a trailing %c */
	const char *what;
};
extern const struct port_link_pin port_links[PORT_LINK__MAX];

/* attach's record of what it changed (undo.c). */
extern struct undo undo;
/* The port links of KIND this run created (undo removes them): array and count. */
__u32 *port_links_created(enum port_link_kind kind, int **nr);
void undo_all(int ifindex);

/* util.c */
int pin_path(char *buf, const char *sub, const char *name);
bool path_exists(const char *path);
bool fd_is(int fd, const char *kind);
__u32 prog_id_of(int prog_fd);
int make_dir(const char *path, bool *created);
int get_uplink(const char *dev, int *ifindex, __u8 mac[6]);

/* Pinned map compatibility (compat.c). OUR_BTF: this build's, set before the checks. */
extern const struct btf *our_btf;
bool map_is_pinned(const struct bpf_map *map);
int check_pinned_map(struct map_slot *s);
/* Pinned xvtep_meta of another ABI version: refused with how to move (0 or -1). */
int check_pinned_abi(void);

/* Links, program pins and clsact filters (links.c). */
extern bool use_clsact;
int recover_tmp_link(const char *name);
int open_old_link(struct old_link *l, const char *name, __u32 want_type, int ifindex,
		  bool strict);
int update_link(int link_fd, __u32 old_prog_id, int new_prog_fd, const char *what);
int pin_replace(int fd, const char *path, const char *tmp);
int link_ensure(struct old_link *old, const char *link_name, int prog_fd, int ifindex,
		enum link_hook hook, const char *dev, int *new_fd, bool *pinned);
int prog_pin_swap(const char *name, int prog_fd, int *old_fd, bool *done);
bool filter_ours(int ifindex, enum xv_tc_kind kind);
int tc_ensure(enum xv_tc_kind kind, struct old_link *old, int prog_fd, int ifindex,
	      const char *dev, int *new_fd, bool *pinned);
int port_hooks(int ports_fd, int prog_fd, enum port_link_kind kind);
int check_attach_method(const struct old_link *old_tc, int ifindex, __u16 feat_off);

/* The mirror device (mirror_dev.c). */
int mirror_dev_setup(int *ifindex_out);
bool mirror_dev_owned(int *ifindex);
bool mirror_dev_remove_unused(void);

/* The commands. */
int cmd_attach(void);
int cmd_detach(void);
int cmd_status(void);

#endif
