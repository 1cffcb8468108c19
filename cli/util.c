// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the xvtepctl object handlers: arguments, the maps. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <sys/file.h>
#include <bpf/bpf.h>
#include "cli.h"

/* ---- arguments, JSON, opening the instance ---- */

bool is_kw(const char *arg, const char *kw)
{
	return strcmp(arg, kw) == 0;
}

bool is_help(const char *arg)
{
	return is_kw(arg, "help") || is_kw(arg, "-h") || is_kw(arg, "--help");
}

const char *kw_value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		xv_arg_err(argv[*i], "missing value");
		return NULL;
	}
	return argv[++*i];
}

int dup_kw(const char *kw)
{
	return xv_arg_err(kw, "given more than once");
}

int parse_vni_arg(const char *s, __u32 *vni, bool allow_zero)
{
	if (xv_parse_u32(s, allow_zero ? 0 : 1, XVTEP_VNI_MAX, vni))
		return xv_arg_err(s, "VNI must be a number in %u..%u", allow_zero ? 0 : 1,
				  XVTEP_VNI_MAX);
	return 0;
}

int parse_mac_arg(const char *s, __u8 mac[6])
{
	static const __u8 zero[6];

	if (xv_parse_mac(s, mac))
		return xv_arg_err(s, "not a MAC address (xx:xx:xx:xx:xx:xx)");
	if (mac[0] & 1)
		return xv_arg_err(s, "MAC address must be unicast");
	if (!memcmp(mac, zero, 6))
		return xv_arg_err(s, "MAC address must not be zero");
	return 0;
}

int parse_unicast_arg(const char *s, union xvtep_addr *a)
{
	const char *why;

	if (xv_parse_addr(s, a))
		return xv_arg_err(s, "not an IPv4 or IPv6 address");
	why = xv_addr_not_unicast(a);
	return why ? xv_arg_err(s, "%s", why) : 0;
}

int check_local_family(const char *arg, const union xvtep_addr *a, const struct xvtep_meta *meta)
{
	static const __u8 zero[16];

	if (!meta)
		return 0;
	if (xvtep_addr_is_v4(a) && !meta->local_ip)
		return xv_arg_err(arg, "the instance has no IPv4 local address (attach --local IPV4)");
	if (!xvtep_addr_is_v4(a) && !memcmp(meta->local_ip6, zero, 16))
		return xv_arg_err(arg, "the instance has no IPv6 local address (attach --local IPV6)");
	return 0;
}

bool is_local_vtep(const union xvtep_addr *a, const struct xvtep_meta *meta)
{
	if (!meta)
		return false;
	if (xvtep_addr_is_v4(a))
		return meta->local_ip && a->w[3] == meta->local_ip;
	return !xvtep_addr_is_zero(a) && !memcmp(a->b, meta->local_ip6, 16);
}

struct jw *json_open(void)
{
	struct jw *jw;

	if (!ctl.json)
		return NULL;
	jw = jw_new(stdout, ctl.pretty);
	if (!jw) {
		xv_err("out of memory");
		exit(1);
	}
	return jw;
}

int ctl_open(bool write)
{
	if (!ctl.maps_open) {
		if (xv_maps_open(ctl.pin, &ctl.maps))
			return -1;
		ctl.maps_open = true;
	}
	if (write && ctl.lock_fd < 0) {
		ctl.lock_fd = open(ctl.pin, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ctl.lock_fd < 0)
			return xv_err_errno(errno, "cannot open %s", ctl.pin);
		/* Serialises concurrent xvtepctl runs; the lock dies with the process. */
		if (flock(ctl.lock_fd, LOCK_EX))
			return xv_err_errno(errno, "cannot lock %s", ctl.pin);
	}
	return 0;
}

/* ---- interface names ---- */

/* ifindex -> name, so that dumping 100k FDB entries does not cost one ioctl per line. */
struct ifname_ent {
	__u32 ifindex;
	char name[IF_NAMESIZE + 8];
};
static struct ifname_ent *ifcache;
static size_t ifcache_n, ifcache_cap;

const char *ifname(__u32 ifindex)
{
	struct ifname_ent *e;
	size_t i;

	for (i = 0; i < ifcache_n; i++)
		if (ifcache[i].ifindex == ifindex)
			return ifcache[i].name;
	if (ifcache_n == ifcache_cap) {
		size_t cap = ifcache_cap ? ifcache_cap * 2 : 16;
		struct ifname_ent *n = realloc(ifcache, cap * sizeof(*n));

		if (!n) {
			static char buf[IF_NAMESIZE + 8];

			snprintf(buf, sizeof(buf), "if%u", ifindex);
			return buf;
		}
		ifcache = n;
		ifcache_cap = cap;
	}
	e = &ifcache[ifcache_n++];
	e->ifindex = ifindex;
	if (!if_indextoname(ifindex, e->name))
		snprintf(e->name, sizeof(e->name), "if%u", ifindex);
	return e->name;
}

__u32 ifindex_of(const char *dev, bool allow_stale)
{
	unsigned int idx;
	__u32 v;

	if (strlen(dev) < IF_NAMESIZE) {
		idx = if_nametoindex(dev);
		if (idx)
			return idx;
	}
	if (!allow_stale)
		return 0;
	/* A port whose device was deleted is still shown as "ifN"; let it be named so. */
	if (!strncmp(dev, "if", 2) && !xv_parse_u32(dev + 2, 1, 0x7fffffff, &v))
		return v;
	if (!xv_parse_u32(dev, 1, 0x7fffffff, &v))
		return v;
	return 0;
}

/* ---- small maps ---- */

int vni_get(__u32 vni, struct xvtep_vni *v)
{
	return bpf_map_lookup_elem(ctl.maps.vnis, &vni, v) ? -1 : 0;
}

int vni_put(__u32 vni, const struct xvtep_vni *v, __u64 flags)
{
	ctl.dirty = true;
	return bpf_map_update_elem(ctl.maps.vnis, &vni, v, flags) ? -errno : 0;
}

void learned_sub(__u32 vni, __u64 n)
{
	xv_learned_sub(ctl.maps.vstate, vni, n);
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

int map_keys_u32(int fd, __u32 **out, size_t *n)
{
	__u32 key, next, *keys = NULL, *tmp;
	size_t cnt = 0, cap = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			tmp = realloc(keys, cap * sizeof(*keys));
			if (!tmp) {
				free(keys);
				return xv_err("out of memory");
			}
			keys = tmp;
		}
		keys[cnt++] = next;
		key = next;
		prev = &key;
	}
	if (errno != ENOENT) {
		free(keys);
		return xv_err_errno(errno, "reading map keys");
	}
	if (cnt)
		qsort(keys, cnt, sizeof(*keys), cmp_u32);
	*out = keys;
	*n = cnt;
	return 0;
}

/* ---- FDB ---- */

static int fdb_push(struct fdb_rec **r, size_t *n, size_t *cap, const struct xvtep_fdb_key *k,
		    const struct xvtep_fdb_entry *v)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 1024;
		struct fdb_rec *t = realloc(*r, c * sizeof(**r));

		if (!t)
			return -1;
		*r = t;
		*cap = c;
	}
	(*r)[*n].key = *k;
	(*r)[*n].val = *v;
	(*n)++;
	return 0;
}

/* Entry by entry: for kernels or maps without batch support. */
static int fdb_dump_slow(struct fdb_rec **r, size_t *n, size_t *cap)
{
	struct xvtep_fdb_key key, next;
	struct xvtep_fdb_entry val;
	void *prev = NULL;

	while (!bpf_map_get_next_key(ctl.maps.fdb, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(ctl.maps.fdb, &key, &val))
			continue;	/* aged out meanwhile */
		if (fdb_push(r, n, cap, &key, &val))
			return xv_err("out of memory");
	}
	if (errno != ENOENT)
		return xv_err_errno(errno, "reading FDB");
	return 0;
}

int fdb_dump(struct fdb_rec **out, size_t *np)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct xvtep_fdb_key *keys = NULL;
	struct xvtep_fdb_entry *vals = NULL;
	struct fdb_rec *r = NULL;
	size_t n = 0, cap = 0, i;
	__u32 in_batch = 0, out_batch = 0, count, chunk = 4096;
	bool first = true;
	int ret, err;

	keys = malloc(chunk * sizeof(*keys));
	vals = malloc(chunk * sizeof(*vals));
	if (!keys || !vals) {
		ret = xv_err("out of memory");
		goto out;
	}
	for (;;) {
		count = chunk;
		ret = bpf_map_lookup_batch(ctl.maps.fdb, first ? NULL : &in_batch, &out_batch,
					   keys, vals, &count, &opts);
		err = ret < 0 ? errno : 0;
		if (err && err != ENOENT) {
			if (first && err != ENOSPC) {
				/* No batch ops here (old kernel): walk the keys instead. */
				ret = fdb_dump_slow(&r, &n, &cap);
				goto out;
			}
			if (err == ENOSPC && chunk < (1U << 20)) {
				/* A hash bucket larger than the buffer: retry with a bigger one. */
				void *k, *v;

				chunk *= 4;
				k = realloc(keys, chunk * sizeof(*keys));
				if (k)
					keys = k;
				v = realloc(vals, chunk * sizeof(*vals));
				if (v)
					vals = v;
				if (!k || !v) {
					ret = xv_err("out of memory");
					goto out;
				}
				continue;
			}
			ret = xv_err_errno(err, "reading FDB");
			goto out;
		}
		for (i = 0; i < count; i++) {
			if (fdb_push(&r, &n, &cap, &keys[i], &vals[i])) {
				ret = xv_err("out of memory");
				goto out;
			}
		}
		if (err == ENOENT)
			break;
		in_batch = out_batch;
		first = false;
	}
	ret = 0;
out:
	free(keys);
	free(vals);
	if (ret) {
		free(r);
		return -1;
	}
	*out = r;
	*np = n;
	return 0;
}

static int cmp_fdb(const void *a, const void *b)
{
	const struct fdb_rec *x = a, *y = b;

	if (x->key.vni != y->key.vni)
		return x->key.vni < y->key.vni ? -1 : 1;
	return memcmp(x->key.mac, y->key.mac, 6);
}

void fdb_sort(struct fdb_rec *r, size_t n)
{
	if (n)
		qsort(r, n, sizeof(*r), cmp_fdb);
}

long fdb_remove(const struct fdb_filter *f)
{
	struct fdb_rec *r;
	size_t n, i;
	long removed = 0;
	__u64 dyn = 0;
	__u32 cur = 0;

	if (fdb_dump(&r, &n))
		return -1;
	/* Sorted so that learned-count fixes can be applied once per VNI. */
	fdb_sort(r, n);
	for (i = 0; i < n; i++) {
		const struct fdb_rec *e = &r[i];
		bool dynamic = !(e->val.flags & XVTEP_FDB_F_STATIC);

		if (f->by_vni && e->key.vni != f->vni)
			continue;
		if (f->by_port && ((e->val.flags & XVTEP_FDB_F_REMOTE) || e->val.ifindex != f->ifindex))
			continue;
		if (f->dynamic_only && !dynamic)
			continue;
		if (f->evpn_only && !(e->val.flags & XVTEP_FDB_F_EVPN))
			continue;
		if (e->key.vni != cur) {
			learned_sub(cur, dyn);
			cur = e->key.vni;
			dyn = 0;
		}
		ctl.dirty = true;
		if (bpf_map_delete_elem(ctl.maps.fdb, &e->key))
			continue;	/* aged out meanwhile: the sweep accounted for it */
		removed++;
		if (dynamic)
			dyn++;
	}
	learned_sub(cur, dyn);
	free(r);
	return removed;
}

/* Managed underlay neighbours (see lib/netlink.c): one for each configured
 * remote; ours that no configured remote needs any more are deleted. */
static const struct xv_locals *locals(void)
{
	static struct xv_locals loc;
	struct xvtep_meta meta;

	if (xv_read_meta(&ctl.maps, &meta))
		return NULL;
	xv_locals_from_meta(&meta, &loc);
	return &loc;
}

void neigh_ensure(const union xvtep_addr *remotes, size_t n)
{
	if (n)
		xv_neigh_managed_all(remotes, n, locals());
}

void neigh_release_unused(void)
{
	union xvtep_addr *keep = NULL;
	size_t n = 0;
	int err;

	err = xv_config_remotes(ctl.maps.vnis, ctl.maps.fdb, &keep, &n);
	if (!err)
		err = xv_neigh_release(keep, n, locals());
	if (err)
		fprintf(stderr, "Warning: managed underlay neighbours no remote needs any more may remain: %s\n",
			strerror(-err));
	free(keep);
}

bool no_args_done(int argc, char **argv, const char *cmd, void (*usage)(FILE *f), int *ret)
{
	if (argc == 0)
		return false;
	if (is_help(argv[0])) {
		printf("Usage:\n");
		usage(stdout);
		*ret = 0;
	} else {
		*ret = xv_arg_err(argv[0], "unknown keyword (%s takes no arguments)", cmd);
	}
	return true;
}
