// SPDX-License-Identifier: GPL-2.0
/*
 * xvtepctl port vlan add|replace|del|show: a trunk's VID <-> VNI mappings
 * (docs/vlan-gateway.md, include/xvtep.h "VLAN gateway"), and the part of
 * port add|del that concerns trunks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "cli.h"

void usage_port_vlan(FILE *f)
{
	fprintf(f,
		"       xvtepctl port vlan add DEV vid VID vni VNI\n"
		"       xvtepctl port vlan replace DEV vid VID vni VNI\n"
		"       xvtepctl port vlan del DEV vid VID\n"
		"       xvtepctl port vlan show [DEV]\n");
}

static int parse_vid_arg(const char *s, __u32 *vid)
{
	if (xv_parse_u32(s, 1, XVTEP_VID_MAX, vid))
		return xv_arg_err(s, "VID must be a number in 1..%u", XVTEP_VID_MAX);
	return 0;
}

__u32 trunk_vid_of(__u32 ifindex, __u32 vni)
{
	struct xvtep_vlan_key k = { .ifindex = ifindex, .id = vni };
	__u32 vid;

	return bpf_map_lookup_elem(ctl.maps.vlan_out, &k, &vid) ? 0 : vid;
}

/* The VNI that VID on trunk IFINDEX maps to, in *VNI: true if mapped. */
static bool vid_mapped(__u32 ifindex, __u32 vid, __u32 *vni)
{
	struct xvtep_vlan_key k = { .ifindex = ifindex, .id = vid };

	return !bpf_map_lookup_elem(ctl.maps.vlan_in, &k, vni);
}

static int vlan_cmp(const void *a, const void *b)
{
	const struct vlan_map *x = a, *y = b;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return x->vid < y->vid ? -1 : x->vid > y->vid;
}

int vlan_maps_read(__u32 ifindex, struct vlan_map **out, size_t *n)
{
	struct xvtep_vlan_key key, next, *prev = NULL;
	struct vlan_map *r = NULL, *t;
	size_t cap = 0;
	__u32 vni;

	*n = 0;
	while (!bpf_map_get_next_key(ctl.maps.vlan_in, prev, &next)) {
		key = next;
		prev = &key;
		if ((ifindex && key.ifindex != ifindex) ||
		    bpf_map_lookup_elem(ctl.maps.vlan_in, &key, &vni))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			t = realloc(r, cap * sizeof(*r));
			if (!t) {
				free(r);
				return xv_err("out of memory");
			}
			r = t;
		}
		r[(*n)++] = (struct vlan_map){ key.ifindex, key.id, vni };
	}
	if (*n)
		qsort(r, *n, sizeof(*r), vlan_cmp);
	*out = r;
	return 0;
}

/* Some trunk still carries VNI tagged. */
static bool vni_tagged_anywhere(__u32 vni)
{
	struct xvtep_vlan_key key, next, *prev = NULL;

	while (!bpf_map_get_next_key(ctl.maps.vlan_out, prev, &next)) {
		if (next.id == vni)
			return true;
		key = next;
		prev = &key;
	}
	return false;
}

/* Can trunk IFINDEX carry VNI (read into *OLD) under a VID of its own? */
static int trunk_vni_free(const char *dev, __u32 ifindex, const struct xvtep_port *port,
			  __u32 vni, struct xvtep_vni *old)
{
	__u32 cur;

	if (vni_get(vni, old))
		return xv_err("VNI %u does not exist", vni);
	if (port->vni == vni)
		return xv_err("VNI %u is the native VNI of %s: a VNI is carried once per trunk",
			      vni, dev);
	if ((cur = trunk_vid_of(ifindex, vni)))
		return xv_err("VNI %u is already carried by %s as VID %u: a VNI is carried once "
			      "per trunk", vni, dev, cur);
	if (old->nr_ports >= XVTEP_MAX_VNI_PORTS)
		return xv_err("VNI %u already has the maximum of %d ports", vni, XVTEP_MAX_VNI_PORTS);
	return 0;
}

/*
 * Map VID on trunk IFINDEX to VNI. Egress first (the tag is known before
 * the trunk is in the VNI's flood list), ingress last (nothing enters the
 * VNI from the trunk before it can answer).
 */
static int trunk_map_add(const char *dev, __u32 ifindex, const struct xvtep_port *port,
			 __u32 vid, __u32 vni)
{
	struct xvtep_vlan_key in = { .ifindex = ifindex, .id = vid };
	struct xvtep_vlan_key out = { .ifindex = ifindex, .id = vni };
	struct xvtep_vni v, old;
	__u32 cur;
	int err;

	if (vid_mapped(ifindex, vid, &cur))
		return xv_err("VID %u on %s already maps to VNI %u", vid, dev, cur);
	if (trunk_vni_free(dev, ifindex, port, vni, &old))
		return -1;
	if (bpf_map_update_elem(ctl.maps.vlan_out, &out, &vid, BPF_NOEXIST))
		return errno == E2BIG ? xv_err("too many VLAN mappings (%d)", XVTEP_MAX_VLAN_MAPS) :
		       xv_err_errno(errno, "cannot write %s", XVTEP_MAP_VLAN_OUT);
	v = old;
	v.ports[v.nr_ports++] = ifindex;
	v.flags |= XVTEP_VNI_F_TAGGED;
	err = vni_put(vni, &v, BPF_EXIST);
	if (err) {
		xv_err_errno(err, "cannot update VNI %u", vni);
		goto undo_out;
	}
	if (bpf_map_update_elem(ctl.maps.vlan_in, &in, &vni, BPF_NOEXIST)) {
		xv_err_errno(errno, "cannot write %s", XVTEP_MAP_VLAN_IN);
		vni_put(vni, &old, BPF_EXIST);
		goto undo_out;
	}
	return 0;
undo_out:
	bpf_map_delete_elem(ctl.maps.vlan_out, &out);
	return -1;
}

/*
 * Unmap VID (carrying VNI) from trunk IFINDEX, in the reverse order: ingress
 * first; the egress tag goes only after the trunk's FDB entries in the VNI,
 * so no frame of the VNI leaves the trunk untagged (into its native VLAN).
 */
static int trunk_map_del(const char *dev, __u32 ifindex, __u32 vid, __u32 vni)
{
	struct fdb_filter f = { .by_vni = true, .vni = vni, .by_port = true, .ifindex = ifindex };
	struct xvtep_vlan_key in = { .ifindex = ifindex, .id = vid };
	struct xvtep_vlan_key out = { .ifindex = ifindex, .id = vni };
	struct xvtep_vni v;
	int ret = 0;

	if (bpf_map_delete_elem(ctl.maps.vlan_in, &in) && errno != ENOENT)
		return xv_err_errno(errno, "cannot delete VID %u of %s", vid, dev);
	if (!vni_get(vni, &v)) {
		vni_ports_remove(&v, ifindex);
		if (vni_put(vni, &v, BPF_EXIST))
			ret = xv_err("cannot update VNI %u port list", vni);
	}
	if (fdb_remove(&f) < 0)
		fprintf(stderr, "Warning: FDB entries of %s in VNI %u may remain\n", dev, vni);
	if (bpf_map_delete_elem(ctl.maps.vlan_out, &out) && errno != ENOENT)
		ret = xv_err_errno(errno, "cannot delete the VID of VNI %u on %s", vni, dev);
	if (!vni_tagged_anywhere(vni) && !vni_get(vni, &v) && (v.flags & XVTEP_VNI_F_TAGGED)) {
		v.flags &= ~XVTEP_VNI_F_TAGGED;
		vni_put(vni, &v, BPF_EXIST);
	}
	return ret;
}

void trunk_maps_flush(const char *dev, __u32 ifindex)
{
	struct vlan_map *r;
	size_t n, i;

	if (vlan_maps_read(ifindex, &r, &n))
		return;
	for (i = 0; i < n; i++)
		trunk_map_del(dev, ifindex, r[i].vid, r[i].vni);
	free(r);
}

/* DEV vid VID [vni VNI]: the trunk and its arguments. */
struct vlan_args {
	const char *dev;
	__u32 ifindex, vid, vni;
	struct xvtep_port port;
};

static int parse_vlan_args(const char *cmd, int argc, char **argv, bool need_vni,
			   struct vlan_args *a)
{
	const char *vid_arg = NULL, *vni_arg = NULL, *val;
	int i;

	memset(a, 0, sizeof(*a));
	if (argc < 1)
		return xv_arg_err(cmd, "device is missing");
	a->dev = argv[0];
	for (i = 1; i < argc; i++) {
		if (is_kw(argv[i], "vid")) {
			if (vid_arg)
				return dup_kw(argv[i]);
			if (!(val = kw_value(argc, argv, &i)) || parse_vid_arg(val, &a->vid))
				return -1;
			vid_arg = val;
		} else if (need_vni && is_kw(argv[i], "vni")) {
			if (vni_arg)
				return dup_kw(argv[i]);
			if (!(val = kw_value(argc, argv, &i)) || parse_vni_arg(val, &a->vni, false))
				return -1;
			vni_arg = val;
		} else {
			return xv_arg_err(argv[i], "unknown keyword");
		}
	}
	if (!vid_arg)
		return xv_arg_err(a->dev, "\"vid VID\" is required");
	if (need_vni && !vni_arg)
		return xv_arg_err(a->dev, "\"vni VNI\" is required");
	a->ifindex = ifindex_of(a->dev, false);
	if (!a->ifindex)
		return xv_arg_err(a->dev, "no such device");
	if (ctl_open(true))
		return -1;
	if (bpf_map_lookup_elem(ctl.maps.ports, &a->ifindex, &a->port))
		return xv_err("device %s is not a port", a->dev);
	if (!(a->port.flags & XVTEP_PORT_F_TRUNK))
		return xv_err("port %s is not a trunk (xvtepctl port add %s trunk)", a->dev, a->dev);
	return 0;
}

static int vlan_add(int argc, char **argv)
{
	struct vlan_args a;

	if (parse_vlan_args("add", argc, argv, true, &a))
		return -1;
	return trunk_map_add(a.dev, a.ifindex, &a.port, a.vid, a.vni);
}

/* Add, or move the VID to VNI (a VID mapped there already: nothing to do).
 * The new VNI is checked before the old mapping goes. */
static int vlan_replace(int argc, char **argv)
{
	struct xvtep_vni old;
	struct vlan_args a;
	__u32 cur;

	if (parse_vlan_args("replace", argc, argv, true, &a))
		return -1;
	if (vid_mapped(a.ifindex, a.vid, &cur)) {
		if (cur == a.vni)
			return 0;
		if (trunk_vni_free(a.dev, a.ifindex, &a.port, a.vni, &old) ||
		    trunk_map_del(a.dev, a.ifindex, a.vid, cur))
			return -1;
	}
	return trunk_map_add(a.dev, a.ifindex, &a.port, a.vid, a.vni);
}

static int vlan_del(int argc, char **argv)
{
	struct vlan_args a;
	__u32 vni;

	if (parse_vlan_args("del", argc, argv, false, &a))
		return -1;
	if (!vid_mapped(a.ifindex, a.vid, &vni))
		return xv_err("VID %u is not mapped on %s", a.vid, a.dev);
	return trunk_map_del(a.dev, a.ifindex, a.vid, vni);
}

static int vlan_show(int argc, char **argv)
{
	struct xvtep_port port;
	struct vlan_map *r;
	struct jw *jw;
	__u32 want = 0, *keys;
	size_t n, nk, i, k;

	if (argc > 1)
		return xv_arg_err(argv[1], "unknown keyword");
	if (argc && !(want = ifindex_of(argv[0], true)))
		return xv_arg_err(argv[0], "no such device");
	if (ctl_open(false))
		return -1;
	if (want && (bpf_map_lookup_elem(ctl.maps.ports, &want, &port) ||
		     !(port.flags & XVTEP_PORT_F_TRUNK)))
		return xv_err("device %s is not a trunk port", argv[0]);
	if (map_keys_u32(ctl.maps.ports, &keys, &nk))
		return -1;
	if (vlan_maps_read(want, &r, &n)) {
		free(keys);
		return -1;
	}
	jw = json_open();
	if (jw)
		jw_start_array(jw);
	else
		printf("%-16s %-8s %s\n", "DEV", "VID", "VNI");
	/* Trunk by trunk: the native VNI (untagged), then the VIDs. */
	for (k = 0; k < nk; k++) {
		if ((want && keys[k] != want) || bpf_map_lookup_elem(ctl.maps.ports, &keys[k], &port) ||
		    !(port.flags & XVTEP_PORT_F_TRUNK))
			continue;
		if (port.vni && jw) {
			jw_start_object(jw);
			jw_string_field(jw, "dev", ifname(keys[k]));
			jw_bool_field(jw, "native", true);
			jw_uint_field(jw, "vni", port.vni);
			jw_end_object(jw);
		} else if (port.vni) {
			printf("%-16s %-8s %u\n", ifname(keys[k]), "untagged", port.vni);
		}
		for (i = 0; i < n; i++) {
			if (r[i].ifindex != keys[k])
				continue;
			if (jw) {
				jw_start_object(jw);
				jw_string_field(jw, "dev", ifname(r[i].ifindex));
				jw_uint_field(jw, "vid", r[i].vid);
				jw_uint_field(jw, "vni", r[i].vni);
				jw_end_object(jw);
			} else {
				printf("%-16s %-8u %u\n", ifname(r[i].ifindex), r[i].vid, r[i].vni);
			}
		}
	}
	if (jw) {
		jw_end_array(jw);
		jw_destroy(&jw);
	}
	free(r);
	free(keys);
	return 0;
}

static const struct cli_cmd vlan_cmds[] = {
	{ "show", vlan_show }, { "list", vlan_show },
	{ "add", vlan_add },
	{ "replace", vlan_replace },
	{ "del", vlan_del }, { "delete", vlan_del },
	{ NULL, NULL },
};

/* `port vlan COMMAND ...`: an exact name, else a prefix of exactly one. */
int port_vlan(int argc, char **argv)
{
	const struct cli_cmd *hit = NULL;
	size_t len;

	if (!argc)
		return vlan_show(0, argv);
	if (is_help(argv[0])) {
		printf("Usage:\n");
		usage_port_vlan(stdout);
		return 0;
	}
	len = strlen(argv[0]);
	for (const struct cli_cmd *c = vlan_cmds; c->name; c++) {
		if (!strcmp(argv[0], c->name)) {
			hit = c;
			break;
		}
		if (len && !strncmp(argv[0], c->name, len)) {
			if (hit && hit->fn != c->fn)
				return xv_arg_err(argv[0], "ambiguous command");
			hit = c;
		}
	}
	if (!hit)
		return xv_arg_err(argv[0], "unknown command, expected add, replace, del or show");
	return hit->fn(argc - 1, argv + 1);
}
