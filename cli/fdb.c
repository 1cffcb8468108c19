// SPDX-License-Identifier: GPL-2.0
/* xvtepctl fdb add|del|show|flush */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "cli.h"

void usage_fdb(FILE *f)
{
	fprintf(f,
		"       xvtepctl fdb add MAC vni VNI { dev DEV | remote IPV4 }\n"
		"       xvtepctl fdb del MAC vni VNI\n"
		"       xvtepctl fdb show [vni VNI]\n"
		"       xvtepctl fdb flush [vni VNI] [dynamic]\n");
}

struct fdb_args {
	const char *mac_arg;
	__u8 mac[6];
	const char *vni_arg;
	__u32 vni;
	const char *dev;
	const char *remote_arg;
	__be32 remote;
	bool dynamic;
};

/* Keywords allowed per command: bit set = accepted. */
#define A_VNI		(1U << 0)
#define A_DEV		(1U << 1)
#define A_REMOTE	(1U << 2)
#define A_DYNAMIC	(1U << 3)

static int parse_fdb_args(int argc, char **argv, int i, unsigned int allowed, struct fdb_args *a)
{
	const char *v;

	for (; i < argc; i++) {
		const char *kw = argv[i];

		if ((allowed & A_VNI) && is_kw(kw, "vni")) {
			if (a->vni_arg)
				return dup_kw(kw);
			if (!(v = kw_value(argc, argv, &i)) || parse_vni_arg(v, &a->vni, false))
				return -1;
			a->vni_arg = v;
		} else if ((allowed & A_DEV) && is_kw(kw, "dev")) {
			if (a->dev)
				return dup_kw(kw);
			if (a->remote_arg)
				return xv_arg_err(kw, "conflicts with \"remote\"");
			if (!(v = kw_value(argc, argv, &i)))
				return -1;
			a->dev = v;
		} else if ((allowed & A_REMOTE) && is_kw(kw, "remote")) {
			if (a->remote_arg)
				return dup_kw(kw);
			if (a->dev)
				return xv_arg_err(kw, "conflicts with \"dev\"");
			if (!(v = kw_value(argc, argv, &i)) || parse_unicast_arg(v, &a->remote))
				return -1;
			a->remote_arg = v;
		} else if ((allowed & A_DYNAMIC) && is_kw(kw, "dynamic")) {
			if (a->dynamic)
				return dup_kw(kw);
			a->dynamic = true;
		} else {
			return xv_arg_err(kw, "unknown keyword");
		}
	}
	return 0;
}

static int parse_mac_vni(const char *cmd, int argc, char **argv, unsigned int allowed,
			 struct fdb_args *a)
{
	memset(a, 0, sizeof(*a));
	if (argc < 1)
		return xv_arg_err(cmd, "MAC address is missing");
	a->mac_arg = argv[0];
	if (parse_mac_arg(argv[0], a->mac) || parse_fdb_args(argc, argv, 1, allowed, a))
		return -1;
	if (!a->vni_arg)
		return xv_arg_err(a->mac_arg, "\"vni VNI\" is required");
	return 0;
}

static int fdb_add(int argc, char **argv)
{
	struct xvtep_fdb_key key = {};
	struct xvtep_fdb_entry ent = {}, cur;
	struct xvtep_meta meta;
	struct xvtep_port port;
	struct xvtep_vni v;
	struct fdb_args a;
	__u32 ifindex = 0;
	int tries;

	if (parse_mac_vni("add", argc, argv, A_VNI | A_DEV | A_REMOTE, &a))
		return -1;
	if (!a.dev && !a.remote_arg)
		return xv_arg_err(a.mac_arg, "\"dev DEV\" or \"remote IPV4\" is required");
	if (a.dev && !(ifindex = ifindex_of(a.dev, false)))
		return xv_arg_err(a.dev, "no such device");
	if (ctl_open(true))
		return -1;
	if (vni_get(a.vni, &v))
		return xv_err("VNI %u does not exist", a.vni);
	if (a.dev) {
		if (bpf_map_lookup_elem(ctl.maps.ports, &ifindex, &port) || port.vni != a.vni)
			return xv_arg_err(a.dev, "not a port of VNI %u", a.vni);
		ent.ifindex = ifindex;
		ent.flags = XVTEP_FDB_F_STATIC;
	} else {
		if (!xv_read_meta(&ctl.maps, &meta) && meta.local_ip == a.remote)
			return xv_arg_err(a.remote_arg, "this is the local VTEP address");
		ent.remote = a.remote;
		ent.flags = XVTEP_FDB_F_STATIC | XVTEP_FDB_F_REMOTE;
	}
	key.vni = a.vni;
	memcpy(key.mac, a.mac, 6);

	/* Twice: the dataplane may learn the MAC between our lookup and our insert. */
	for (tries = 0; tries < 2; tries++) {
		bool exists = !bpf_map_lookup_elem(ctl.maps.fdb, &key, &cur);

		if (exists && (cur.flags & XVTEP_FDB_F_STATIC))
			return xv_err("static FDB entry %s vni %u already exists", a.mac_arg, a.vni);
		ent.updated_ns = xv_now_ns();
		if (!bpf_map_update_elem(ctl.maps.fdb, &key, &ent, exists ? BPF_EXIST : BPF_NOEXIST)) {
			/* A static entry took the dynamic one's place: it no longer counts as learned. */
			if (exists)
				learned_sub(a.vni, 1);
			return 0;
		}
		if (errno == E2BIG)
			return xv_err("FDB is full");
		if (errno != EEXIST && errno != ENOENT)
			break;
	}
	return xv_err_errno(errno, "cannot add FDB entry %s vni %u", a.mac_arg, a.vni);
}

static int fdb_del(int argc, char **argv)
{
	struct xvtep_fdb_key key = {};
	struct xvtep_fdb_entry cur;
	struct fdb_args a;

	if (parse_mac_vni("del", argc, argv, A_VNI, &a) || ctl_open(true))
		return -1;
	key.vni = a.vni;
	memcpy(key.mac, a.mac, 6);
	if (bpf_map_lookup_elem(ctl.maps.fdb, &key, &cur))
		return xv_err("FDB entry %s vni %u does not exist", a.mac_arg, a.vni);
	if (bpf_map_delete_elem(ctl.maps.fdb, &key)) {
		if (errno == ENOENT)	/* aged out just now: the sweep accounted for it */
			return 0;
		return xv_err_errno(errno, "cannot delete FDB entry %s vni %u", a.mac_arg, a.vni);
	}
	if (!(cur.flags & XVTEP_FDB_F_STATIC))
		learned_sub(a.vni, 1);
	return 0;
}

static int fdb_flush(int argc, char **argv)
{
	struct fdb_filter f = {};
	struct xvtep_vni v;
	struct fdb_args a = {};

	if (parse_fdb_args(argc, argv, 0, A_VNI | A_DYNAMIC, &a) || ctl_open(true))
		return -1;
	if (a.vni_arg && vni_get(a.vni, &v))
		return xv_err("VNI %u does not exist", a.vni);
	f.by_vni = a.vni_arg != NULL;
	f.vni = a.vni;
	f.dynamic_only = a.dynamic;
	return fdb_remove(&f) < 0 ? -1 : 0;
}

static int fdb_show(int argc, char **argv)
{
	struct fdb_args a = {};
	struct fdb_rec *r;
	struct jw *jw;
	char mac[18], ip[16];
	size_t n, i;
	__u64 now;

	if (parse_fdb_args(argc, argv, 0, A_VNI, &a) || ctl_open(false))
		return -1;
	if (fdb_dump(&r, &n))
		return -1;
	now = xv_now_ns();
	fdb_sort(r, n);

	jw = json_open();
	if (jw)
		jw_start_array(jw);
	else
		printf("%-8s %-17s %-24s %-7s %s\n", "VNI", "MAC", "DESTINATION", "TYPE", "AGE");
	for (i = 0; i < n; i++) {
		const struct xvtep_fdb_entry *e = &r[i].val;
		bool is_static = e->flags & XVTEP_FDB_F_STATIC;
		bool remote = e->flags & XVTEP_FDB_F_REMOTE;
		__u64 age = now > e->updated_ns ? (now - e->updated_ns) / 1000000000ULL : 0;
		/* Move dampening: frozen until frozen_until (monotonic seconds). */
		__u64 hold = (e->flags & XVTEP_FDB_F_FROZEN) && e->frozen_until > now / 1000000000ULL ?
			     e->frozen_until - now / 1000000000ULL : 0;

		if (a.vni_arg && r[i].key.vni != a.vni)
			continue;
		xv_fmt_mac(r[i].key.mac, mac);
		if (remote)
			xv_fmt_ipv4(e->remote, ip);
		if (jw) {
			jw_start_object(jw);
			jw_uint_field(jw, "vni", r[i].key.vni);
			jw_string_field(jw, "mac", mac);
			if (remote)
				jw_string_field(jw, "remote", ip);
			else
				jw_string_field(jw, "dev", ifname(e->ifindex));
			jw_bool_field(jw, "static", is_static);
			jw_uint_field(jw, "age", age);
			jw_bool_field(jw, "frozen", hold > 0);
			jw_uint_field(jw, "frozen_for", hold);
			jw_end_object(jw);
		} else {
			char dest[40];

			snprintf(dest, sizeof(dest), "%s %s", remote ? "remote" : "dev",
				 remote ? ip : ifname(e->ifindex));
			printf("%-8u %-17s %-24s %-7s %llu", r[i].key.vni, mac, dest,
			       is_static ? "static" : "dynamic", (unsigned long long)age);
			if (hold)
				printf(" frozen %llus", (unsigned long long)hold);
			printf("\n");
		}
	}
	if (jw) {
		jw_end_array(jw);
		jw_destroy(&jw);
	}
	free(r);
	return 0;
}

int do_fdb(int argc, char **argv)
{
	if (argc < 1 || is_kw(argv[0], "show") || is_kw(argv[0], "list") || is_kw(argv[0], "ls"))
		return fdb_show(argc ? argc - 1 : 0, argv + (argc ? 1 : 0));
	if (is_help(argv[0])) {
		printf("Usage:\n");
		usage_fdb(stdout);
		return 0;
	}
	if (is_kw(argv[0], "add"))
		return fdb_add(argc - 1, argv + 1);
	if (is_kw(argv[0], "del") || is_kw(argv[0], "delete"))
		return fdb_del(argc - 1, argv + 1);
	if (is_kw(argv[0], "flush"))
		return fdb_flush(argc - 1, argv + 1);
	return xv_arg_err(argv[0], "unknown command, expected add, del, show or flush");
}
