// SPDX-License-Identifier: GPL-2.0
/*
 * xvtepctl neigh add|replace|del|show|flush: the bindings (VNI, IP) -> MAC
 * in xvtep_neigh that answer ARP requests and Neighbour Solicitations on
 * VNIs with neigh-suppress on. Static entries are written here; snooped
 * ones come from the dataplane and age with the FDB sweep.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include "cli.h"

static int neigh_fd = -1;

void usage_neigh(FILE *f)
{
	fprintf(f,
		"       xvtepctl neigh add IP MAC vni VNI\n"
		"       xvtepctl neigh replace IP MAC vni VNI\n"
		"       xvtepctl neigh del IP vni VNI\n"
		"       xvtepctl neigh show [vni VNI]\n"
		"       xvtepctl neigh flush [vni VNI]\n");
}

/* QUIET: an instance attached before xvtep_neigh existed has none, which
 * is no error for the callers that only clean up or save. */
static int neigh_map_open(bool quiet)
{
	char path[4096];

	if (neigh_fd >= 0)
		return 0;
	if (quiet) {
		if (xv_pin_path(path, sizeof(path), ctl.pin, NULL, XVTEP_MAP_NEIGH) ||
		    access(path, F_OK))
			return -1;
	}
	neigh_fd = xv_map_open_checked(ctl.pin, XVTEP_MAP_NEIGH, sizeof(struct xvtep_neigh_key),
				       sizeof(struct xvtep_neigh_entry));
	return neigh_fd < 0 ? -1 : 0;
}

/* IPv4 or IPv6 unicast (a host that can answer ARP/ND) into KEY. */
static int parse_neigh_ip(const char *s, struct xvtep_neigh_key *key)
{
	struct in6_addr a6;
	__be32 a4;

	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, &a6) != 1)
			return xv_arg_err(s, "not an IPv4 or IPv6 address");
		if (IN6_IS_ADDR_UNSPECIFIED(&a6) || IN6_IS_ADDR_MULTICAST(&a6) ||
		    IN6_IS_ADDR_LOOPBACK(&a6))
			return xv_arg_err(s, "not a unicast address");
		key->family = XVTEP_NEIGH_AF_INET6;
		memcpy(key->addr, &a6, 16);
		return 0;
	}
	if (xv_parse_ipv4(s, &a4))
		return xv_arg_err(s, "not an IPv4 or IPv6 address");
	if (!a4 || xv_ipv4_is_mcast(a4) || ((unsigned char *)&a4)[0] >= 240 ||
	    ((unsigned char *)&a4)[0] == 127)
		return xv_arg_err(s, "not a unicast address");
	key->family = XVTEP_NEIGH_AF_INET;
	memcpy(key->addr, &a4, 4);
	return 0;
}

static const char *fmt_neigh_ip(const struct xvtep_neigh_key *k, char buf[INET6_ADDRSTRLEN])
{
	if (!inet_ntop(k->family == XVTEP_NEIGH_AF_INET6 ? AF_INET6 : AF_INET, k->addr, buf,
		       INET6_ADDRSTRLEN))
		snprintf(buf, INET6_ADDRSTRLEN, "?");
	return buf;
}

static const char *neigh_source(__u32 flags)
{
	if (flags & XVTEP_NEIGH_F_STATIC)
		return "static";
	if (flags & XVTEP_NEIGH_F_EVPN)
		return "evpn";
	return flags & XVTEP_NEIGH_F_SNOOPED ? "snooped" : "unknown";
}

struct neigh_args {
	struct xvtep_neigh_key key;
	const char *ip_arg;
	__u8 mac[6];
	bool has_vni;
};

/* [vni VNI] after argv[I]; the only keyword the neigh commands take. */
static int parse_neigh_vni(int argc, char **argv, int i, struct neigh_args *a)
{
	const char *v;

	for (; i < argc; i++) {
		if (!is_kw(argv[i], "vni"))
			return xv_arg_err(argv[i], "unknown keyword");
		if (a->has_vni)
			return dup_kw(argv[i]);
		if (!(v = kw_value(argc, argv, &i)) || parse_vni_arg(v, &a->key.vni, false))
			return -1;
		a->has_vni = true;
	}
	return 0;
}

/* IP [MAC] vni VNI */
static int parse_neigh_args(const char *cmd, int argc, char **argv, bool with_mac,
			    struct neigh_args *a)
{
	int i = 1;

	memset(a, 0, sizeof(*a));
	if (argc < 1)
		return xv_arg_err(cmd, "IP address is missing");
	a->ip_arg = argv[0];
	if (parse_neigh_ip(argv[0], &a->key))
		return -1;
	if (with_mac) {
		if (argc < 2)
			return xv_arg_err(argv[0], "MAC address is missing");
		if (parse_mac_arg(argv[1], a->mac))
			return -1;
		i = 2;
	}
	if (parse_neigh_vni(argc, argv, i, a))
		return -1;
	if (!a->has_vni)
		return xv_arg_err(a->ip_arg, "\"vni VNI\" is required");
	return 0;
}

static int neigh_open_vni(__u32 vni, bool write)
{
	struct xvtep_vni v;

	if (ctl_open(write) || neigh_map_open(false))
		return -1;
	if (vni_get(vni, &v))
		return xv_err("VNI %u does not exist", vni);
	return 0;
}

/* A static binding; REPLACE writes over any entry, add only over a snooped one. */
static int neigh_write(int argc, char **argv, bool replace)
{
	struct xvtep_neigh_entry e = {}, cur;
	struct neigh_args a;

	if (parse_neigh_args(replace ? "replace" : "add", argc, argv, true, &a) ||
	    neigh_open_vni(a.key.vni, true))
		return -1;
	if (!replace && !bpf_map_lookup_elem(neigh_fd, &a.key, &cur) &&
	    !(cur.flags & XVTEP_NEIGH_F_SNOOPED))
		return xv_err("neighbour %s vni %u already exists (%s)", a.ip_arg, a.key.vni,
			      neigh_source(cur.flags));
	memcpy(e.mac, a.mac, 6);
	e.flags = XVTEP_NEIGH_F_STATIC;
	e.updated_ns = xv_now_ns();
	if (bpf_map_update_elem(neigh_fd, &a.key, &e, BPF_ANY)) {
		if (errno == E2BIG || errno == ENOSPC)
			return xv_err("neighbour table is full (%d entries)", XVTEP_NEIGH_SIZE);
		return xv_err_errno(errno, "cannot add neighbour %s vni %u", a.ip_arg, a.key.vni);
	}
	return 0;
}

static int neigh_add(int argc, char **argv)
{
	return neigh_write(argc, argv, false);
}

static int neigh_replace(int argc, char **argv)
{
	return neigh_write(argc, argv, true);
}

static int neigh_del(int argc, char **argv)
{
	struct neigh_args a;

	if (parse_neigh_args("del", argc, argv, false, &a) || ctl_open(true) ||
	    neigh_map_open(false))
		return -1;
	if (bpf_map_delete_elem(neigh_fd, &a.key)) {
		if (errno == ENOENT)
			return xv_err("neighbour %s vni %u does not exist", a.ip_arg, a.key.vni);
		return xv_err_errno(errno, "cannot delete neighbour %s vni %u", a.ip_arg,
				    a.key.vni);
	}
	return 0;
}

struct neigh_rec {
	struct xvtep_neigh_key key;
	struct xvtep_neigh_entry val;
};

static int cmp_neigh(const void *pa, const void *pb)
{
	const struct neigh_rec *a = pa, *b = pb;

	if (a->key.vni != b->key.vni)
		return a->key.vni < b->key.vni ? -1 : 1;
	if (a->key.family != b->key.family)
		return a->key.family < b->key.family ? -1 : 1;
	return memcmp(a->key.addr, b->key.addr, sizeof(a->key.addr));
}

/* Every entry (of VNI only, with BY_VNI), sorted. */
static int neigh_dump(bool by_vni, __u32 vni, struct neigh_rec **out, size_t *n)
{
	struct xvtep_neigh_key k, next;
	struct neigh_rec *r = NULL, *t;
	size_t cnt = 0, cap = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(neigh_fd, prev, &next)) {
		k = next;
		prev = &k;
		if (by_vni && k.vni != vni)
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			t = realloc(r, cap * sizeof(*r));
			if (!t) {
				free(r);
				return xv_err("out of memory");
			}
			r = t;
		}
		r[cnt].key = k;
		if (bpf_map_lookup_elem(neigh_fd, &k, &r[cnt].val))
			continue;	/* aged out meanwhile */
		cnt++;
	}
	if (cnt)
		qsort(r, cnt, sizeof(*r), cmp_neigh);
	*out = r;
	*n = cnt;
	return 0;
}

static int neigh_show(int argc, char **argv)
{
	struct neigh_args a = {};
	char ip[INET6_ADDRSTRLEN], mac[18];
	struct neigh_rec *r;
	struct jw *jw;
	size_t n, i;
	__u64 now;

	if (parse_neigh_vni(argc, argv, 0, &a) || ctl_open(false) || neigh_map_open(false) ||
	    neigh_dump(a.has_vni, a.key.vni, &r, &n))
		return -1;
	now = xv_now_ns();
	jw = json_open();
	if (jw)
		jw_start_array(jw);
	for (i = 0; i < n; i++) {
		const struct xvtep_neigh_entry *e = &r[i].val;
		bool snooped = e->flags & XVTEP_NEIGH_F_SNOOPED;
		__u64 age = now > e->updated_ns ? (now - e->updated_ns) / 1000000000ULL : 0;

		fmt_neigh_ip(&r[i].key, ip);
		xv_fmt_mac(e->mac, mac);
		if (jw) {
			jw_start_object(jw);
			jw_uint_field(jw, "vni", r[i].key.vni);
			jw_string_field(jw, "family",
					r[i].key.family == XVTEP_NEIGH_AF_INET6 ? "inet6" : "inet");
			jw_string_field(jw, "ip", ip);
			jw_string_field(jw, "mac", mac);
			jw_string_field(jw, "source", neigh_source(e->flags));
			if (snooped && e->ifindex)
				jw_string_field(jw, "dev", ifname(e->ifindex));
			else
				jw_null_field(jw, "dev");
			jw_uint_field(jw, "age", age);
			jw_end_object(jw);
			continue;
		}
		printf("%s lladdr %s vni %u %s", ip, mac, r[i].key.vni, neigh_source(e->flags));
		if (snooped && e->ifindex)
			printf(" dev %s", ifname(e->ifindex));
		printf(" age %llu\n", (unsigned long long)age);
	}
	if (jw) {
		jw_end_array(jw);
		jw_destroy(&jw);
	}
	free(r);
	return 0;
}

/* Remove the entries of VNI (every VNI without BY_VNI). */
static int neigh_remove(bool by_vni, __u32 vni)
{
	struct neigh_rec *r;
	size_t n, i;
	int ret = 0;

	if (neigh_dump(by_vni, vni, &r, &n))
		return -1;
	for (i = 0; i < n; i++)
		if (bpf_map_delete_elem(neigh_fd, &r[i].key) && errno != ENOENT)
			ret = xv_err_errno(errno, "cannot delete a neighbour of VNI %u",
					   r[i].key.vni);
	free(r);
	return ret;
}

static int neigh_flush(int argc, char **argv)
{
	struct neigh_args a = {};
	struct xvtep_vni v;

	if (parse_neigh_vni(argc, argv, 0, &a) || ctl_open(true) || neigh_map_open(false))
		return -1;
	if (a.has_vni && vni_get(a.key.vni, &v))
		return xv_err("VNI %u does not exist", a.key.vni);
	return neigh_remove(a.has_vni, a.key.vni);
}

void neigh_bindings_vni_gone(__u32 vni)
{
	if (!neigh_map_open(true) && neigh_remove(true, vni))
		fprintf(stderr, "Warning: neighbour entries of VNI %u may remain\n", vni);
}

int neigh_bindings_save(void)
{
	char ip[INET6_ADDRSTRLEN], mac[18];
	struct neigh_rec *r;
	size_t n, i;

	if (neigh_map_open(true))
		return 0;	/* an instance without the map has no bindings */
	if (neigh_dump(false, 0, &r, &n))
		return -1;
	for (i = 0; i < n; i++) {
		if (!(r[i].val.flags & XVTEP_NEIGH_F_STATIC))
			continue;
		xv_fmt_mac(r[i].val.mac, mac);
		printf("neigh replace %s %s vni %u\n", fmt_neigh_ip(&r[i].key, ip), mac,
		       r[i].key.vni);
	}
	free(r);
	return 0;
}

const struct cli_cmd neigh_cmds[] = {
	{ "show", neigh_show }, { "list", neigh_show }, { "ls", neigh_show },
	{ "add", neigh_add },
	{ "replace", neigh_replace },
	{ "del", neigh_del }, { "delete", neigh_del },
	{ "flush", neigh_flush },
	{ NULL, NULL },
};
