// SPDX-License-Identifier: GPL-2.0
/* xvtepctl vni add|set|del|show */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli.h"

void usage_vni(FILE *f)
{
	fprintf(f,
		"       xvtepctl vni add VNI [group MCAST_ADDR] [remote ADDR]... [evpn] [nolearning]\n"
		"                            [ageing SECS] [mac-limit N] [ttl N]\n"
		"                            [peer ADDR[/PREFIX]]... [move-limit N] [move-window SECS]\n"
		"                            [move-hold SECS] [neigh-suppress on|off]\n"
		"       xvtepctl vni set VNI [group MCAST_ADDR|none] [remote ADDR|none]... [evpn on|off]\n"
		"                            [learning|nolearning] [ageing SECS] [mac-limit N] [ttl N]\n"
		"                            [peer ADDR[/PREFIX]|none]... [move-limit N]\n"
		"                            [move-window SECS] [move-hold SECS]\n"
		"                            [neigh-suppress on|off]\n"
		"       xvtepctl vni replace VNI [vni add options]   (create, or make it exactly so)\n"
		"       xvtepctl vni del VNI\n"
		"       xvtepctl vni show [VNI]\n");
}

#define XVTEP_MAX_VNI_PEERS_ARGS	256	/* prefixes on one command line */

/* What `vni add/set` was asked to change; has_* tell which fields were given. */
struct vni_args {
	__u32 vni;
	bool has_group;
	union xvtep_addr group;	/* zero = none */
	const char *group_arg;
	bool has_remotes;
	bool remote_none;
	__u8 nr_remotes;
	union xvtep_addr remotes[XVTEP_MAX_REMOTES];	/* IPv4 (mapped) or IPv6 */
	const char *remote_args[XVTEP_MAX_REMOTES];
	int learning;		/* -1 unset */
	const char *learning_arg;
	bool has_ageing, has_limit, has_ttl;
	__u32 ageing, mac_limit, ttl;
	/* VTEP allow-list: the VNI's own list replaces the default one. */
	bool has_peers, peer_none;
	int nr_peers;
	struct sec_prefix peers[XVTEP_MAX_VNI_PEERS_ARGS];
	bool has_move_limit, has_move_window, has_move_hold;
	__u32 move_limit, move_window, move_hold;
	int neigh_suppress;	/* -1 unset */
	/* BGP EVPN control: -1 unset. The remote list is then xvtepd's. */
	int evpn;
	const char *evpn_arg;
	bool remotes_given;	/* "remote" on the command line (not by `replace` defaults) */
};

/* Syntax and value checks only; nothing here looks at the maps. */
/*
 * V, the value of KW ("remote" or "peer"), is "none" (clear the list) or one
 * list item (a WHAT). "none" is refused twice, or with items in the same
 * command. Returns 1 for "none" (recorded in *none), 0 for an item, -1 on error.
 */
static int none_or_item(const char *v, const char *kw, const char *what, bool *none, int nr_items)
{
	if (!is_kw(v, "none")) {
		if (*none)
			return xv_arg_err(v, "%s conflicts with \"%s none\"", what, kw);
		return 0;
	}
	if (*none)
		return xv_arg_err(v, "\"%s none\" given more than once", kw);
	if (nr_items)
		return xv_arg_err(v, "\"%s none\" conflicts with a %s", kw, what);
	*none = true;
	return 1;
}

static int parse_vni_args(int argc, char **argv, bool set, struct vni_args *a)
{
	const char *v;
	int i, j, none;

	memset(a, 0, sizeof(*a));
	a->learning = -1;
	a->neigh_suppress = -1;
	a->evpn = -1;
	if (argc < 1)
		return xv_arg_err(set ? "set" : "add", "VNI is missing");
	if (parse_vni_arg(argv[0], &a->vni, false))
		return -1;

	for (i = 1; i < argc; i++) {
		const char *kw = argv[i];

		if (is_kw(kw, "group")) {
			if (a->has_group)
				return dup_kw(kw);
			if (!(v = kw_value(argc, argv, &i)))
				return -1;
			a->has_group = true;
			a->group_arg = v;
			if (is_kw(v, "none")) {
				memset(&a->group, 0, sizeof(a->group));
				continue;
			}
			if (xv_parse_addr(v, &a->group))
				return xv_arg_err(v, "not an IPv4 or IPv6 address");
			if (!xvtep_addr_is_mcast(&a->group))
				return xv_arg_err(v, "group must be a multicast address "
						  "(IPv4 224.0.0.0/4 or IPv6 ff00::/8)");
		} else if (is_kw(kw, "remote")) {
			union xvtep_addr ip;

			if (!(v = kw_value(argc, argv, &i)))
				return -1;
			none = none_or_item(v, "remote", "remote address", &a->remote_none, a->nr_remotes);
			if (none < 0)
				return -1;
			a->has_remotes = true;
			a->remotes_given = true;
			if (none)
				continue;
			if (parse_unicast_arg(v, &ip))
				return -1;
			for (j = 0; j < a->nr_remotes; j++)
				if (xvtep_addr_equal(&a->remotes[j], &ip))
					return xv_arg_err(v, "duplicate remote");
			if (a->nr_remotes >= XVTEP_MAX_REMOTES)
				return xv_arg_err(v, "more than %d remotes", XVTEP_MAX_REMOTES);
			a->remote_args[a->nr_remotes] = v;
			a->remotes[a->nr_remotes++] = ip;
			a->has_remotes = true;
		} else if (is_kw(kw, "learning") || is_kw(kw, "nolearning")) {
			int on = is_kw(kw, "learning");

			if (a->learning == on)
				return dup_kw(kw);
			if (a->learning >= 0)
				return xv_arg_err(kw, "conflicts with \"%s\"", a->learning_arg);
			a->learning = on;
			a->learning_arg = kw;
		} else if (is_kw(kw, "ageing") || is_kw(kw, "aging")) {
			if (a->has_ageing)
				return dup_kw(kw);
			if (!(v = kw_value(argc, argv, &i)))
				return -1;
			if (xv_parse_u32(v, 0, 0xffffffffU, &a->ageing))
				return xv_arg_err(v, "ageing must be a number of seconds");
			a->has_ageing = true;
		} else if (is_kw(kw, "mac-limit") || is_kw(kw, "maxaddress")) {
			if (a->has_limit)
				return dup_kw(kw);
			if (!(v = kw_value(argc, argv, &i)))
				return -1;
			if (xv_parse_u32(v, 0, 0xffffffffU, &a->mac_limit))
				return xv_arg_err(v, "mac-limit must be a number (0 = no limit)");
			a->has_limit = true;
		} else if (is_kw(kw, "ttl")) {
			if (a->has_ttl)
				return dup_kw(kw);
			if (!(v = kw_value(argc, argv, &i)))
				return -1;
			if (is_kw(v, "auto") || is_kw(v, "inherit"))
				a->ttl = 0;
			else if (xv_parse_u32(v, 0, 255, &a->ttl))
				return xv_arg_err(v, "ttl must be a number in 0..255 (0 = default)");
			a->has_ttl = true;
		} else if (is_kw(kw, "peer")) {
			if (!(v = kw_value(argc, argv, &i)))
				return -1;
			none = none_or_item(v, "peer", "peer prefix", &a->peer_none, a->nr_peers);
			if (none < 0)
				return -1;
			a->has_peers = true;
			if (none)
				continue;
			if (a->nr_peers >= XVTEP_MAX_VNI_PEERS_ARGS)
				return xv_arg_err(v, "more than %d peer prefixes",
						  XVTEP_MAX_VNI_PEERS_ARGS);
			if (parse_peer_arg(v, &a->peers[a->nr_peers]))
				return -1;
			for (j = 0; j < a->nr_peers; j++)
				if (xvtep_addr_equal(&a->peers[j].addr, &a->peers[a->nr_peers].addr) &&
				    a->peers[j].plen == a->peers[a->nr_peers].plen)
					return xv_arg_err(v, "duplicate peer prefix");
			a->nr_peers++;
			a->has_peers = true;
		} else if (is_kw(kw, "move-limit")) {
			if (a->has_move_limit)
				return dup_kw(kw);
			if (!(v = kw_value(argc, argv, &i)))
				return -1;
			if (xv_parse_u32(v, 0, 0xffffffffU, &a->move_limit))
				return xv_arg_err(v, "move-limit must be a number (0 = no dampening)");
			a->has_move_limit = true;
		} else if (is_kw(kw, "move-window") || is_kw(kw, "move-hold")) {
			bool win = is_kw(kw, "move-window");

			if (win ? a->has_move_window : a->has_move_hold)
				return dup_kw(kw);
			if (!(v = kw_value(argc, argv, &i)))
				return -1;
			if (xv_parse_u32(v, 1, 86400, win ? &a->move_window : &a->move_hold))
				return xv_arg_err(v, "%s must be a number of seconds in 1..86400", kw);
			*(win ? &a->has_move_window : &a->has_move_hold) = true;
		} else if (is_kw(kw, "neigh-suppress")) {
			if (a->neigh_suppress >= 0)
				return dup_kw(kw);
			if (!(v = kw_value(argc, argv, &i)))
				return -1;
			if (is_kw(v, "on"))
				a->neigh_suppress = 1;
			else if (is_kw(v, "off"))
				a->neigh_suppress = 0;
			else
				return xv_arg_err(v, "neigh-suppress must be \"on\" or \"off\"");
		} else if (is_kw(kw, "evpn")) {
			if (a->evpn >= 0)
				return dup_kw(kw);
			a->evpn = 1;
			a->evpn_arg = kw;
			/* "evpn" alone is "evpn on" (what `vni add` and `save` write). */
			if (i + 1 < argc && (is_kw(argv[i + 1], "on") || is_kw(argv[i + 1], "off")))
				a->evpn = is_kw(argv[++i], "on");
		} else {
			return xv_arg_err(kw, "unknown keyword");
		}
	}
	if (a->evpn == 1 && a->remotes_given && a->nr_remotes)
		return xv_arg_err(a->remote_args[0], "conflicts with \"evpn\": BGP EVPN gives an "
				  "EVPN VNI its remotes");
	if (a->evpn == 1 && a->has_group && !xvtep_addr_is_zero(&a->group))
		return xv_arg_err(a->group_arg, "conflicts with \"evpn\": BGP EVPN floods head-end "
				  "to the VTEPs it learns");
	if (!set && a->peer_none)
		return xv_arg_err("none", "\"peer none\" applies to vni set only");
	return 0;
}

/* Move-dampening settings: those given, the rest as they are (or the defaults). */
static bool vsec_apply(const struct vni_args *a, struct xvtep_vni_sec *s)
{
	vsec_read(a->vni, s);
	if (a->has_move_limit)
		s->move_limit = a->move_limit;
	if (a->has_move_window)
		s->move_window = a->move_window;
	if (a->has_move_hold)
		s->move_hold = a->move_hold;
	return a->has_move_limit || a->has_move_window || a->has_move_hold;
}

/* A remote equal to our own address would make us flood to ourselves; a
 * remote or group of a family without a local address could never be
 * reached; an EVPN VNI's kernel vxlan device (zebra's view) is IPv4. */
static int check_remotes_meta(const struct vni_args *a, const struct xvtep_meta *meta)
{
	int i;

	for (i = 0; i < a->nr_remotes; i++) {
		if (is_local_vtep(&a->remotes[i], meta))
			return xv_arg_err(a->remote_args[i], "this is the local VTEP address");
		if (check_local_family(a->remote_args[i], &a->remotes[i], meta))
			return -1;
	}
	if (a->has_group && !xvtep_addr_is_zero(&a->group) &&
	    check_local_family(a->group_arg, &a->group, meta))
		return -1;
	if (a->evpn == 1 && !meta->local_ip)
		return xv_arg_err(a->evpn_arg ? a->evpn_arg : "evpn", "an EVPN VNI needs an IPv4 "
				  "local address (its kernel vxlan device, which zebra reads, is "
				  "IPv4): attach --local IPV4");
	return 0;
}

/* Is GROUP used by a VNI other than EXCEPT? */
static bool group_in_use(const union xvtep_addr *group, __u32 except)
{
	struct xvtep_vni v;
	__u32 *keys;
	size_t n, i;
	bool used = false;

	if (map_keys_u32(ctl.maps.vnis, &keys, &n))
		return true;	/* unsure: keep the group joined */
	for (i = 0; i < n && !used; i++)
		if (keys[i] != except && !vni_get(keys[i], &v) && xvtep_addr_equal(&v.group, group))
			used = true;
	free(keys);
	return used;
}

/* *created tells a rollback whether the join was ours to undo. */
static int group_join(const struct xvtep_meta *meta, const union xvtep_addr *group,
		      bool *created)
{
	char buf[XV_ADDR_STRLEN];
	int ret;

	*created = false;
	if (xvtep_addr_is_zero(group))
		return 0;
	if (!meta->uplink_ifindex)
		return xv_err("no uplink in %s/%s: is xvtep attached?", ctl.pin, XVTEP_MAP_META);
	ret = xv_mcast_join_ex(meta->uplink_ifindex, group, created);
	if (ret) {
		xv_fmt_addr(group, buf);
		return xv_err_errno(ret, "cannot join group %s on %s", buf,
				    ifname(meta->uplink_ifindex));
	}
	return 0;
}

/* Leave GROUP unless another VNI still floods to it. Failure only warns: the config change stands. */
static void group_leave(const struct xvtep_meta *meta, const union xvtep_addr *group,
			__u32 except)
{
	char buf[XV_ADDR_STRLEN];
	int ret;

	if (xvtep_addr_is_zero(group) || !meta->uplink_ifindex || group_in_use(group, except))
		return;
	ret = xv_mcast_leave(meta->uplink_ifindex, group);
	if (ret) {
		xv_fmt_addr(group, buf);
		fprintf(stderr, "Warning: cannot leave group %s on %s: %s\n", buf,
			ifname(meta->uplink_ifindex), strerror(-ret));
	}
}

/* A counter slot no VNI uses (1..XVTEP_MAX_VNIS); 0 when all are taken. */
static __u32 free_stats_slot(void)
{
	static unsigned char used[XVTEP_MAX_VNIS + 1];
	struct xvtep_vni v;
	__u32 *keys, slot = 0;
	size_t n;

	if (map_keys_u32(ctl.maps.vnis, &keys, &n))
		return 0;
	memset(used, 0, sizeof(used));
	for (size_t i = 0; i < n; i++)
		if (!bpf_map_lookup_elem(ctl.maps.vnis, &keys[i], &v) &&
		    v.stats_slot <= XVTEP_MAX_VNIS)
			used[v.stats_slot] = 1;
	free(keys);
	for (__u32 s = 1; s <= XVTEP_MAX_VNIS && !slot; s++)
		if (!used[s])
			slot = s;
	return slot;
}

/* Fresh learning state and a zeroed counter slot for a new VNI. */
static int zero_state(__u32 vni, __u32 *slot)
{
	struct xvtep_vstate st = {};
	int ncpu = libbpf_num_possible_cpus();
	void *pc;
	int ret = 0;

	if (ncpu <= 0)
		return xv_err("cannot count CPUs: %s", strerror(-ncpu));
	*slot = free_stats_slot();
	if (!*slot)
		return xv_err("cannot add VNI %u: no free counter slot (too many VNIs)", vni);
	pc = calloc(ncpu, sizeof(struct xvtep_stats));
	if (!pc)
		return xv_err("out of memory");
	/* Leftovers from an earlier VNI of the same number (state) or slot
	 * (counters) must not leak into this one. */
	if (bpf_map_update_elem(ctl.maps.vstate, &vni, &st, BPF_NOEXIST) &&
	    (errno != EEXIST || bpf_map_update_elem(ctl.maps.vstate, &vni, &st, BPF_EXIST)))
		ret = xv_err_errno(errno, "cannot create xvtep_vstate entry");
	else if (bpf_map_update_elem(ctl.maps.stats, slot, pc, BPF_ANY)) {
		ret = xv_err_errno(errno, "cannot reset xvtep_stats slot %u", *slot);
		bpf_map_delete_elem(ctl.maps.vstate, &vni);
	}
	free(pc);
	return ret;
}

/* The kernel devices zebra reads for EVPN VNI (lib/netlink.c). */
static int evpn_devs_make(__u32 vni, const struct xvtep_meta *meta)
{
	const char *dev = "?";
	int err;

	if (!meta->local_ip)
		return xv_err("no local address in %s/%s: is xvtep attached?", ctl.pin,
			      XVTEP_MAP_META);
	err = xv_evpn_devs_create(vni, meta->local_ip, meta->dstport, &dev);
	if (err == -EEXIST)
		return xv_err("cannot put VNI %u under EVPN: device %s already exists (not made by "
			      "this VNI: delete it with \"ip link del %s\")", vni, dev, dev);
	if (err)
		return xv_err_errno(err, "cannot create device %s for EVPN VNI %u", dev, vni);
	return 0;
}

static void evpn_devs_remove(__u32 vni)
{
	int err = xv_evpn_devs_delete(vni);

	if (err)
		fprintf(stderr, "Warning: EVPN devices of VNI %u may remain (%s): delete them with "
			"\"ip link del\"\n", vni, strerror(-err));
}

static int vni_create(const struct vni_args *a)
{
	struct xvtep_meta meta;
	struct xvtep_vni v = {};
	bool joined;
	int ret = 0;

	if (ctl_open(true) || sec_maps_open())
		return -1;
	if (xv_read_meta(&ctl.maps, &meta))
		return xv_err("cannot read %s/%s", ctl.pin, XVTEP_MAP_META);
	if (!vni_get(a->vni, &v))
		return xv_err("VNI %u already exists", a->vni);
	if (check_remotes_meta(a, &meta))
		return -1;

	memset(&v, 0, sizeof(v));
	v.group = a->group;
	v.flags = a->learning == 0 ? 0 : XVTEP_VNI_F_LEARNING;
	if (a->neigh_suppress > 0)
		v.flags |= XVTEP_VNI_F_NEIGH_SUPPRESS;
	v.ageing = a->has_ageing ? a->ageing : XVTEP_AGEING_DEFAULT;
	v.mac_limit = a->mac_limit;
	v.ttl = a->ttl;
	v.nr_remotes = a->nr_remotes;
	memcpy(v.remotes, a->remotes, sizeof(v.remotes));
	v.flags = peer_flags(v.flags, a->nr_peers > 0, peer_default_active());
	if (a->evpn == 1)
		v.flags |= XVTEP_VNI_F_EVPN;

	/* State and counters first, the VNI itself last: the dataplane sees it complete. */
	{
		struct xvtep_vni_sec sec;

		/* Leftovers of an earlier VNI with this number must not apply. */
		sec_vni_gone(a->vni);
		if ((vsec_apply(a, &sec) && vsec_write(a->vni, &sec)) ||
		    peers_insert(a->vni, a->peers, a->nr_peers)) {
			sec_vni_gone(a->vni);
			return -1;
		}
	}
	if (zero_state(a->vni, &v.stats_slot))
		return -1;
	if (group_join(&meta, &a->group, &joined))
		goto undo_state;
	/* Devices before the VNI: xvtepd serves a published EVPN VNI at once. */
	if ((v.flags & XVTEP_VNI_F_EVPN) && evpn_devs_make(a->vni, &meta))
		goto undo_state;
	ret = vni_put(a->vni, &v, BPF_NOEXIST);
	if (ret) {
		if (ret == -EEXIST || ret == -E2BIG)
			xv_err("cannot add VNI %u: %s", a->vni,
			       ret == -EEXIST ? "it already exists" : "too many VNIs");
		else
			xv_err_errno(ret, "cannot add VNI %u", a->vni);
		if (joined)
			group_leave(&meta, &a->group, a->vni);
		if ((v.flags & XVTEP_VNI_F_EVPN) && ret != -EEXIST)
			evpn_devs_remove(a->vni);
		goto undo_state;
	}
	neigh_ensure(v.remotes, v.nr_remotes);
	return 0;

undo_state:
	if (ret != -EEXIST) {
		bpf_map_delete_elem(ctl.maps.vstate, &a->vni);
		sec_vni_gone(a->vni);
	}
	return -1;
}

static int vni_add(int argc, char **argv)
{
	static struct vni_args a;

	return parse_vni_args(argc, argv, false, &a) ? -1 : vni_create(&a);
}

static int vni_update(const struct vni_args *a)
{
	struct xvtep_meta meta;
	struct xvtep_vni v, old;
	bool joined = false, evpn_on, evpn_off;
	int ret;

	if (ctl_open(true) || sec_maps_open())
		return -1;
	if (xv_read_meta(&ctl.maps, &meta))
		return xv_err("cannot read %s/%s", ctl.pin, XVTEP_MAP_META);
	if (vni_get(a->vni, &old))
		return xv_err("VNI %u does not exist", a->vni);
	if (check_remotes_meta(a, &meta))
		return -1;

	v = old;	/* ports[] and anything not given stay as they are */
	if (a->evpn >= 0)
		v.flags = a->evpn ? v.flags | XVTEP_VNI_F_EVPN : v.flags & ~XVTEP_VNI_F_EVPN;
	if (v.flags & XVTEP_VNI_F_EVPN) {
		/* BGP EVPN gives the VTEPs: no list or group of the operator's. */
		if (a->remotes_given && a->nr_remotes)
			return xv_arg_err(a->remote_args[0], "VNI %u is under EVPN control: its "
					  "remotes come from BGP (\"evpn off\" first)", a->vni);
		if (!xvtep_addr_is_zero(a->has_group ? &a->group : &old.group))
			return xv_arg_err(a->has_group ? a->group_arg : "evpn", "an EVPN VNI floods "
					  "head-end only: give \"group none\"");
	}
	if (a->has_group)
		v.group = a->group;
	if ((v.flags & XVTEP_VNI_F_EVPN) && (old.flags & XVTEP_VNI_F_EVPN)) {
		/* xvtepd's list stays (a replace gives none) */
	} else if ((v.flags ^ old.flags) & XVTEP_VNI_F_EVPN) {
		/* On: xvtepd fills the list from zebra. Off: nothing is left of it. */
		memset(v.remotes, 0, sizeof(v.remotes));
		v.nr_remotes = 0;
	} else if (a->has_remotes) {
		memset(v.remotes, 0, sizeof(v.remotes));
		memcpy(v.remotes, a->remotes, a->nr_remotes * sizeof(a->remotes[0]));
		v.nr_remotes = a->nr_remotes;
	}
	if (a->learning >= 0)
		v.flags = a->learning ? v.flags | XVTEP_VNI_F_LEARNING : v.flags & ~XVTEP_VNI_F_LEARNING;
	if (a->neigh_suppress >= 0)
		v.flags = a->neigh_suppress ? v.flags | XVTEP_VNI_F_NEIGH_SUPPRESS :
					      v.flags & ~XVTEP_VNI_F_NEIGH_SUPPRESS;
	if (a->has_ageing)
		v.ageing = a->ageing;
	if (a->has_limit)
		v.mac_limit = a->mac_limit;
	if (a->has_ttl)
		v.ttl = a->ttl;
	{
		struct xvtep_vni_sec sec;

		if (vsec_apply(a, &sec) && vsec_write(a->vni, &sec))
			return -1;
	}
	/* New prefixes before the flags that use them; stale ones after. */
	if (a->has_peers) {
		if (peers_insert(a->vni, a->peers, a->nr_peers))
			return -1;
		v.flags = peer_flags(v.flags, a->nr_peers > 0, peer_default_active());
	}

	if (!xvtep_addr_equal(&v.group, &old.group) && group_join(&meta, &v.group, &joined))
		return -1;
	evpn_on = (v.flags & ~old.flags) & XVTEP_VNI_F_EVPN;
	evpn_off = (old.flags & ~v.flags) & XVTEP_VNI_F_EVPN;
	if (evpn_on && evpn_devs_make(a->vni, &meta)) {
		if (joined)
			group_leave(&meta, &v.group, a->vni);
		return -1;
	}
	ret = vni_put(a->vni, &v, BPF_EXIST);
	if (ret) {
		xv_err_errno(ret, "cannot update VNI %u", a->vni);
		if (joined)
			group_leave(&meta, &v.group, a->vni);
		if (evpn_on)
			evpn_devs_remove(a->vni);
		return -1;
	}
	if (evpn_off) {
		struct fdb_filter f = { .by_vni = true, .vni = a->vni, .evpn_only = true };

		/* What zebra wrote goes with the devices it came through. */
		if (fdb_remove(&f) < 0)
			fprintf(stderr, "Warning: EVPN FDB entries of VNI %u may remain\n", a->vni);
		evpn_devs_remove(a->vni);
		neigh_release_unused();
	}
	if (a->has_peers)
		peers_prune(a->vni, a->peers, a->nr_peers);
	if (!xvtep_addr_equal(&v.group, &old.group))
		group_leave(&meta, &old.group, a->vni);
	if (a->has_remotes) {
		neigh_ensure(v.remotes, v.nr_remotes);
		neigh_release_unused();
	}
	return 0;
}

static int vni_set(int argc, char **argv)
{
	static struct vni_args a;

	return parse_vni_args(argc, argv, true, &a) ? -1 : vni_update(&a);
}

/* What `vni add` gives an option left out: replace describes the whole VNI. */
static void vni_args_complete(struct vni_args *a)
{
	if (!a->has_group)
		memset(&a->group, 0, sizeof(a->group));
	a->has_group = a->has_remotes = a->has_peers = true;
	if (a->learning < 0)
		a->learning = 1;
	if (a->neigh_suppress < 0)
		a->neigh_suppress = 0;
	if (a->evpn < 0)
		a->evpn = 0;
	if (!a->has_ageing)
		a->ageing = XVTEP_AGEING_DEFAULT;
	if (!a->has_move_limit)
		a->move_limit = XVTEP_MOVE_LIMIT_DEFAULT;
	if (!a->has_move_window)
		a->move_window = XVTEP_MOVE_WINDOW_DEFAULT;
	if (!a->has_move_hold)
		a->move_hold = XVTEP_MOVE_HOLD_DEFAULT;
	/* zero is the default of mac-limit and ttl */
	a->has_ageing = a->has_limit = a->has_ttl = true;
	a->has_move_limit = a->has_move_window = a->has_move_hold = true;
}

/*
 * Like `ip route replace`: create the VNI, or update it in place to exactly
 * these options. Its ports, counters and learned entries stay, so a replace
 * that changes nothing disturbs nothing.
 */
static int vni_replace(int argc, char **argv)
{
	static struct vni_args a;
	struct xvtep_vni v;

	if (parse_vni_args(argc, argv, true, &a))
		return -1;
	vni_args_complete(&a);
	if (ctl_open(true))
		return -1;
	return vni_get(a.vni, &v) ? vni_create(&a) : vni_update(&a);
}

static int vni_del(int argc, char **argv)
{
	struct fdb_filter f = { .by_vni = true };
	struct xvtep_meta meta;
	struct xvtep_vni v;
	__u32 vni;
	int i;

	if (argc < 1)
		return xv_arg_err("del", "VNI is missing");
	if (parse_vni_arg(argv[0], &vni, false))
		return -1;
	if (argc > 1)
		return xv_arg_err(argv[1], "unknown keyword");
	if (ctl_open(true) || sec_maps_open())
		return -1;
	if (xv_read_meta(&ctl.maps, &meta))
		return xv_err("cannot read %s/%s", ctl.pin, XVTEP_MAP_META);
	if (vni_get(vni, &v))
		return xv_err("VNI %u does not exist", vni);
	if (v.nr_ports) {
		char list[512] = "";
		size_t off = 0;

		for (i = 0; i < v.nr_ports && i < XVTEP_MAX_VNI_PORTS && off < sizeof(list); i++)
			off += snprintf(list + off, sizeof(list) - off, "%s%s", i ? " " : "",
					ifname(v.ports[i]));
		/* Trunks are in the list too (a VID mapped to the VNI): the same
		 * refusal, since the mapping would name a VNI that is gone. */
		return xv_err("VNI %u still has ports (%s): delete them first with \"xvtepctl port del DEV\""
			      " (a trunk: \"xvtepctl port vlan del DEV vid VID\")", vni, list);
	}
	/* Unpublish first so the dataplane stops learning into it, then clear what it owned. */
	ctl.dirty = true;
	if (bpf_map_delete_elem(ctl.maps.vnis, &vni))
		return xv_err_errno(errno, "cannot delete VNI %u", vni);
	f.vni = vni;
	if (fdb_remove(&f) < 0)
		fprintf(stderr, "Warning: FDB entries of VNI %u may remain\n", vni);
	bpf_map_delete_elem(ctl.maps.vstate, &vni);
	/* Its counter slot is zeroed when a new VNI takes it. */
	sec_vni_gone(vni);
	neigh_bindings_vni_gone(vni);
	group_leave(&meta, &v.group, vni);
	if (v.flags & XVTEP_VNI_F_EVPN)
		evpn_devs_remove(vni);
	neigh_release_unused();
	return 0;
}

static void print_vni(struct jw *jw, __u32 vni, const struct xvtep_vni *v)
{
	struct xvtep_vstate st = {};
	char buf[XV_ADDR_STRLEN];
	int i, nr_remotes = v->nr_remotes, nr_ports = v->nr_ports;

	if (nr_remotes > XVTEP_MAX_REMOTES)
		nr_remotes = XVTEP_MAX_REMOTES;
	if (nr_ports > XVTEP_MAX_VNI_PORTS)
		nr_ports = XVTEP_MAX_VNI_PORTS;
	bpf_map_lookup_elem(ctl.maps.vstate, &vni, &st);

	if (jw) {
		jw_start_object(jw);
		jw_uint_field(jw, "vni", vni);
		if (!xvtep_addr_is_zero(&v->group)) {
			xv_fmt_addr(&v->group, buf);
			jw_string_field(jw, "group", buf);
		} else {
			jw_null_field(jw, "group");
		}
		jw_array_field(jw, "remotes");
		for (i = 0; i < nr_remotes; i++) {
			xv_fmt_addr(&v->remotes[i], buf);
			jw_string(jw, buf);
		}
		jw_end_array(jw);
		jw_bool_field(jw, "learning", v->flags & XVTEP_VNI_F_LEARNING);
		jw_bool_field(jw, "evpn", v->flags & XVTEP_VNI_F_EVPN);
		jw_uint_field(jw, "ageing", v->ageing);
		jw_uint_field(jw, "mac_limit", v->mac_limit);
		jw_uint_field(jw, "ttl", v->ttl);
		jw_array_field(jw, "ports");
		for (i = 0; i < nr_ports; i++)
			jw_string(jw, ifname(v->ports[i]));
		jw_end_array(jw);
		jw_uint_field(jw, "learned", st.learned);
		jw_bool_field(jw, "neigh_suppress", v->flags & XVTEP_VNI_F_NEIGH_SUPPRESS);
		sec_show_vni(jw, vni, v);
		jw_end_object(jw);
		return;
	}

	printf("vni %u group ", vni);
	if (!xvtep_addr_is_zero(&v->group)) {
		xv_fmt_addr(&v->group, buf);
		printf("%s", buf);
	} else {
		printf("none");
	}
	printf(" remotes ");
	for (i = 0; i < nr_remotes; i++) {
		xv_fmt_addr(&v->remotes[i], buf);
		printf("%s%s", i ? "," : "", buf);
	}
	if (!nr_remotes)
		printf("none");
	printf(" %s ageing %u mac-limit %u ttl %u ports ",
	       v->flags & XVTEP_VNI_F_LEARNING ? "learning" : "nolearning", v->ageing,
	       v->mac_limit, v->ttl);
	for (i = 0; i < nr_ports; i++)
		printf("%s%s", i ? "," : "", ifname(v->ports[i]));
	if (!nr_ports)
		printf("none");
	printf(" learned %llu", (unsigned long long)st.learned);
	if (v->flags & XVTEP_VNI_F_EVPN)
		printf(" evpn");
	sec_show_vni(NULL, vni, v);
	printf(" neigh-suppress %s\n", v->flags & XVTEP_VNI_F_NEIGH_SUPPRESS ? "on" : "off");
}

static int vni_show(int argc, char **argv)
{
	struct xvtep_vni v;
	struct jw *jw;
	__u32 vni, *keys;
	size_t n, i;

	if (argc > 0 && is_kw(argv[0], "vni")) {	/* `vni show vni 10` reads naturally too */
		argc--;
		argv++;
		if (!argc)
			return xv_arg_err("vni", "missing value");
	}
	if (argc > 0 && parse_vni_arg(argv[0], &vni, false))
		return -1;
	if (argc > 1)
		return xv_arg_err(argv[1], "unknown keyword");
	if (ctl_open(false) || sec_maps_open())
		return -1;

	if (argc > 0) {
		if (vni_get(vni, &v))
			return xv_err("VNI %u does not exist", vni);
		jw = json_open();
		if (jw)
			jw_start_array(jw);
		print_vni(jw, vni, &v);
		if (jw) {
			jw_end_array(jw);
			jw_destroy(&jw);
		}
		return 0;
	}

	if (map_keys_u32(ctl.maps.vnis, &keys, &n))
		return -1;
	jw = json_open();
	if (jw)
		jw_start_array(jw);
	for (i = 0; i < n; i++)
		if (!vni_get(keys[i], &v))
			print_vni(jw, keys[i], &v);
	if (jw) {
		jw_end_array(jw);
		jw_destroy(&jw);
	}
	free(keys);
	return 0;
}

const struct cli_cmd vni_cmds[] = {
	{ "show", vni_show }, { "list", vni_show }, { "ls", vni_show },
	{ "add", vni_add },
	{ "set", vni_set }, { "change", vni_set },
	{ "replace", vni_replace },
	{ "del", vni_del }, { "delete", vni_del },
	{ NULL, NULL },
};
