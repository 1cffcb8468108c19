// SPDX-License-Identifier: GPL-2.0
/* Pinned map access shared by the loader, the CLI and the tests. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xvtep_lib.h"

struct map_desc {
	const char *name;
	size_t off;		/* field in struct xv_maps */
	__u32 key_size, value_size;
};

/* Sizes are checked so that a CLI never misreads a map of another layout
 * (the ABI version only guards what the loader wrote). */
static const struct map_desc map_descs[] = {
	{ XVTEP_MAP_META,   offsetof(struct xv_maps, meta),   4, sizeof(struct xvtep_meta) },
	{ XVTEP_MAP_VNIS,   offsetof(struct xv_maps, vnis),   4, sizeof(struct xvtep_vni) },
	{ XVTEP_MAP_VSTATE, offsetof(struct xv_maps, vstate), 4, sizeof(struct xvtep_vstate) },
	{ XVTEP_MAP_PORTS,  offsetof(struct xv_maps, ports),  4, sizeof(struct xvtep_port) },
	{ XVTEP_MAP_FDB,    offsetof(struct xv_maps, fdb),
	  sizeof(struct xvtep_fdb_key), sizeof(struct xvtep_fdb_entry) },
	{ XVTEP_MAP_STATS,  offsetof(struct xv_maps, stats),  4, sizeof(struct xvtep_stats) },
	{ XVTEP_MAP_DEVMAP, offsetof(struct xv_maps, devmap), 4, 4 },
	{ XVTEP_MAP_GC,     offsetof(struct xv_maps, gc),     4, sizeof(struct xvtep_gc) },
	{ XVTEP_MAP_GEN,    offsetof(struct xv_maps, gen),    4, sizeof(struct xvtep_gen) },
	{ XVTEP_MAP_MIRROR_BCAST, offsetof(struct xv_maps, mirror_bcast), 4, 4 },
	{ XVTEP_MAP_MIRROR_XMIT,  offsetof(struct xv_maps, mirror_xmit),  4, 4 },
	{ XVTEP_MAP_MIRRORS, offsetof(struct xv_maps, mirrors), 4, sizeof(struct xvtep_mirror) },
	{ XVTEP_MAP_VLAN_IN,  offsetof(struct xv_maps, vlan_in),
	  sizeof(struct xvtep_vlan_key), 4 },
	{ XVTEP_MAP_VLAN_OUT, offsetof(struct xv_maps, vlan_out),
	  sizeof(struct xvtep_vlan_key), 4 },
};

#define MAP_FD(m, d) (*(int *)((char *)(m) + (d)->off))

int xv_gen_bump(int gen_fd)
{
	long page = sysconf(_SC_PAGESIZE);
	struct xvtep_gen *g;

	g = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, gen_fd, 0);
	if (g == MAP_FAILED)
		return xv_err_errno(errno, "cannot map %s", XVTEP_MAP_GEN);
	/* Atomic: the dataplane bumps the same counters (moves, ageing). */
	__atomic_add_fetch(&g->vni, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&g->fdb, 1, __ATOMIC_SEQ_CST);
	munmap(g, page);
	return 0;
}

void xv_maps_close(struct xv_maps *m)
{
	for (size_t i = 0; i < sizeof(map_descs) / sizeof(map_descs[0]); i++) {
		int *fd = &MAP_FD(m, &map_descs[i]);

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
}

/* Pins of another ABI version: what to run to move the instance. */
static void abi_err(const char *pin, __u32 have)
{
	xv_err("pinned maps under %s have ABI version %u, this build uses %u (to move the "
	       "instance: `xvtepctl save > FILE` with the build that attached it, "
	       "`xvtep-loader detach`, attach with this build, `xvtepctl -batch FILE`)", pin,
	       have, XVTEP_ABI_VERSION);
}

int xv_maps_open(const char *pin, struct xv_maps *m)
{
	char path[PATH_MAX];
	struct xvtep_meta meta;

	for (size_t i = 0; i < sizeof(map_descs) / sizeof(map_descs[0]); i++)
		MAP_FD(m, &map_descs[i]) = -1;
	/* "not a BPF filesystem" says more than "no xvtep_meta" for a wrong --pin. */
	if (xv_check_bpffs(pin))
		return -1;

	for (size_t i = 0; i < sizeof(map_descs) / sizeof(map_descs[0]); i++) {
		const struct map_desc *d = &map_descs[i];
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (xv_pin_path(path, sizeof(path), pin, NULL, d->name)) {
			xv_err("pin path too long: %s", pin);
			goto err;
		}
		fd = bpf_obj_get(path);
		if (fd < 0) {
			if (errno == ENOENT) {
				if (i == 0)
					xv_err("xvtep is not attached (no %s; run xvtep-loader attach)",
					       path);
				else
					xv_err("pinned map %s is missing (partial install; "
					       "re-run xvtep-loader attach)", path);
			} else {
				xv_err_errno(errno, "cannot open %s", path);
			}
			goto err;
		}
		MAP_FD(m, d) = fd;
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			xv_err_errno(errno, "cannot read info of %s", path);
			goto err;
		}
		if (i == 0 && info.key_size == 4 && info.value_size >= 4 &&
		    info.value_size <= 4096 && info.value_size != d->value_size) {
			/* Another ABI's meta: its leading abi_version says which. */
			__u8 *buf = calloc(1, info.value_size);
			__u32 key = 0, have = 0;

			if (buf && !bpf_map_lookup_elem(fd, &key, buf))
				memcpy(&have, buf, 4);
			free(buf);
			if (have && have != XVTEP_ABI_VERSION) {
				abi_err(pin, have);
				goto err;
			}
		}
		if (info.key_size != d->key_size || info.value_size != d->value_size) {
			xv_err("map %s has key/value size %u/%u, this build expects %u/%u "
			       "(incompatible xvtep version)", path, info.key_size,
			       info.value_size, d->key_size, d->value_size);
			goto err;
		}
	}
	if (xv_read_meta(m, &meta)) {
		xv_err_errno(errno, "cannot read %s[0]", XVTEP_MAP_META);
		goto err;
	}
	if (meta.abi_version != XVTEP_ABI_VERSION) {
		if (meta.abi_version == 0)
			xv_err("xvtep at %s is not fully attached (%s not written); "
			       "re-run xvtep-loader attach", pin, XVTEP_MAP_META);
		else
			abi_err(pin, meta.abi_version);
		goto err;
	}
	m->feat_off = meta.feat_off;
	return 0;
err:
	xv_maps_close(m);
	return -1;
}

void xv_learned_sub(int vstate_fd, __u32 vni, __u64 n)
{
	struct xvtep_vstate st;

	if (!n || bpf_map_lookup_elem(vstate_fd, &vni, &st))
		return;
	/*
	 * Not atomic against the dataplane's increments: a learn racing with
	 * this write is lost from the count, so mac-limit can be exceeded by
	 * that many entries. Nothing recounts it (docs/design.md, "Ageing").
	 */
	st.learned = st.learned > n ? st.learned - n : 0;
	bpf_map_update_elem(vstate_fd, &vni, &st, BPF_EXIST);
}

int xv_read_meta(const struct xv_maps *m, struct xvtep_meta *meta)
{
	__u32 key = 0;

	if (m->meta < 0) {
		errno = EBADF;
		return -1;
	}
	return bpf_map_lookup_elem(m->meta, &key, meta) ? -1 : 0;
}

int xv_percpu_sum(int map_fd, const void *key, void *out, size_t size)
{
	int ncpu = libbpf_num_possible_cpus();
	size_t stride = (size + 7) & ~(size_t)7;
	__u8 *vals;
	int err = 0;

	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	/* Per-CPU lookups return one value per possible CPU, each rounded up to 8 bytes. */
	vals = calloc(ncpu, stride);
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, key, vals)) {
		err = -errno;
		goto out;
	}
	memset(out, 0, size);
	for (int c = 0; c < ncpu; c++) {
		const __u64 *src = (const __u64 *)(vals + c * stride);
		__u64 *dst = out;

		for (size_t i = 0; i < size / sizeof(__u64); i++)
			dst[i] += src[i];
	}
out:
	free(vals);
	return err;
}

int xv_stats_read(int stats_fd, __u32 vni, struct xvtep_stats *out)
{
	return xv_percpu_sum(stats_fd, &vni, out, sizeof(*out));
}

/* Where XDP's copies for the tx session in SLOT go: a SPAN copy with nothing
 * to cut is the frame itself, sent straight to a destination that takes XDP
 * frames (mirror.h: one hop through the mirror device and xvtep_xdp_mir
 * fewer); any other copy goes to the mirror device's peer, to be shaped
 * there. 0 when there is no such peer. */
static __u32 mirror_pair_second(const struct xv_maps *m, __u32 slot)
{
	struct xvtep_mirror s;
	__u32 v;

	if (m->mirrors >= 0 && m->mirror_xmit >= 0 &&
	    !bpf_map_lookup_elem(m->mirrors, &slot, &s) && xvtep_mirror_span_whole(&s) &&
	    !bpf_map_lookup_elem(m->mirror_xmit, &s.dest_ifindex, &v))
		return s.dest_ifindex;
	return if_nametoindex(XVTEP_MIRROR_PEER);
}

static int map_del(int fd, __u32 key)
{
	if (bpf_map_delete_elem(fd, &key) && errno != ENOENT)
		return -errno;
	return 0;
}

/* The pair map of a port whose tx copies XDP makes (its one session in
 * SLOT): {the port, mirror_pair_second()}. A new map each time: the swap in
 * the outer map is atomic. */
static int mirror_pair_put(const struct xv_maps *m, __u32 ifindex, __u32 slot)
{
	__u32 second = mirror_pair_second(m, slot);
	int fd, err = 0;

	if (!second)
		return -ENODEV;
	/* Copies toward the mirror device carry their tag in XDP metadata: a
	 * kernel that refuses bpf_xdp_adjust_meta in XDP leaves them to TC. */
	if ((m->feat_off & XVTEP_FEAT_XDP_META) && second == if_nametoindex(XVTEP_MIRROR_PEER))
		return map_del(m->mirror_bcast, ifindex);
	fd = bpf_map_create(BPF_MAP_TYPE_DEVMAP_HASH, "xvtep_mpair", 4, 4, 2, NULL);
	if (fd < 0)
		return -errno;
	if (bpf_map_update_elem(fd, &ifindex, &ifindex, BPF_ANY) ||
	    bpf_map_update_elem(fd, &second, &second, BPF_ANY) ||
	    bpf_map_update_elem(m->mirror_bcast, &ifindex, &fd, BPF_ANY))
		err = -errno;
	close(fd);	/* the outer map holds it */
	return err;
}

int xv_devmap_sync(const struct xv_maps *m, __u32 ifindex)
{
	struct xvtep_port port;
	bool no_xdp;
	__u32 tx;
	int err;

	if (bpf_map_lookup_elem(m->ports, &ifindex, &port)) {
		err = map_del(m->devmap, ifindex);
		return err ? err : map_del(m->mirror_bcast, ifindex);
	}
	tx = port.mirror_tx;
	/* A trunk needs TC: XDP cannot tag per port (bpf/vlan.h). */
	no_xdp = port.flags & (XVTEP_PORT_F_NO_XDP | XVTEP_PORT_F_TRUNK);
	if (no_xdp || tx) {
		err = map_del(m->devmap, ifindex);
		if (err)
			return err;
		/* One tx session: XDP delivers and copies (mirror.h); several: TC. */
		if (!no_xdp && tx && !(tx & (tx - 1)))
			return mirror_pair_put(m, ifindex, __builtin_ctz(tx));
		return map_del(m->mirror_bcast, ifindex);
	}
	/* Into the devmap first: a frame never finds the port in neither. */
	if (bpf_map_update_elem(m->devmap, &ifindex, &ifindex, BPF_ANY))
		return -errno;
	return map_del(m->mirror_bcast, ifindex);
}

int xv_devmap_sync_all(const struct xv_maps *m)
{
	const int outer[] = { m->devmap, m->mirror_bcast };
	__u32 key, next;
	void *prev;
	int err, ret = 0;

	/* Devmap and pair entries first: drop those that are not ports. */
	for (size_t i = 0; i < sizeof(outer) / sizeof(outer[0]); i++) {
		prev = NULL;
		while (!bpf_map_get_next_key(outer[i], prev, &next)) {
			key = next;
			prev = &key;
			err = xv_devmap_sync(m, key);
			if (err && err != -ENODEV && !ret)
				ret = err;
		}
	}
	prev = NULL;
	while (!bpf_map_get_next_key(m->ports, prev, &next)) {
		key = next;
		prev = &key;
		err = xv_devmap_sync(m, key);
		/* A port whose device is gone cannot be a redirect target. */
		if (err && err != -ENODEV && !ret)
			ret = err;
	}
	return ret;
}

int xv_mirror_xmit_sync(const struct xv_maps *m)
{
	__u32 devs[XVTEP_MIRROR_XMIT_MAX], old[XVTEP_MIRROR_XMIT_MAX], next;
	int n = 0, nr_old = 0, ret = 0, mirror_xmit_fd = m->mirror_xmit;
	void *prev = NULL;

	if (!(m->feat_off & XVTEP_FEAT_NETDEV_GENL))
		n = xv_xdp_xmit_devices(devs, XVTEP_MIRROR_XMIT_MAX);
	if (n < 0)
		n = 0;	/* no "netdev" family (kernel < 6.3): XDP sends no copies */
	while (nr_old < XVTEP_MIRROR_XMIT_MAX && !bpf_map_get_next_key(mirror_xmit_fd, prev, &next)) {
		old[nr_old] = next;
		prev = &old[nr_old++];
	}
	/* Stale entries out first, then the current set. */
	for (int j = 0; j < nr_old; j++) {
		bool keep = false;

		for (int i = 0; i < n && !keep; i++)
			keep = devs[i] == old[j];
		if (!keep && bpf_map_delete_elem(mirror_xmit_fd, &old[j]) && errno != ENOENT && !ret)
			ret = -errno;
	}
	for (int i = 0; i < n; i++)
		if (bpf_map_update_elem(mirror_xmit_fd, &devs[i], &devs[i], BPF_ANY) &&
		    errno != ENODEV && !ret)
			ret = -errno;
	return ret;
}

int xv_link_info(int link_fd, __u32 *type, __u32 *link_id, __u32 *prog_id, __u32 *ifindex)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(link_fd, &info, &len))
		return -errno;
	if (type)
		*type = info.type;
	if (link_id)
		*link_id = info.id;
	if (prog_id)
		*prog_id = info.prog_id;
	if (ifindex) {
		/* xdp.ifindex and tcx.ifindex are both the first word of the
		 * union; older headers only know the xdp one. */
		*ifindex = (info.type == XV_LINK_TYPE_XDP || info.type == XV_LINK_TYPE_TCX) ?
			   info.xdp.ifindex : 0;
	}
	return 0;
}

void xv_prog_name(__u32 prog_id, char name[16])
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd;

	name[0] = '\0';
	if (!prog_id)
		return;
	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		snprintf(name, 16, "%s", info.name);
	close(fd);
}

long xv_map_count(int map_fd, __u32 key_size)
{
	unsigned char kbuf[2][64];
	void *prev = NULL, *key = kbuf[0];
	long n = 0;

	if (key_size > sizeof(kbuf[0]))
		return -EINVAL;
	/* A NULL previous key returns the first key. */
	while (!bpf_map_get_next_key(map_fd, prev, key)) {
		n++;
		prev = key;
		key = (key == kbuf[0]) ? kbuf[1] : kbuf[0];
	}
	if (errno != ENOENT)
		return -errno;
	return n;
}

int xv_map_open_checked(const char *pin, const char *name, __u32 key_size, __u32 value_size)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	if (xv_pin_path(path, sizeof(path), pin, NULL, name))
		return xv_err("pin path too long: %s", pin);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		if (errno == ENOENT)
			return xv_err("pinned map %s is missing (xvtep attached by an older "
				      "loader? re-run xvtep-loader attach)", path);
		return xv_err_errno(errno, "cannot open %s", path);
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		xv_err_errno(errno, "cannot read info of %s", path);
		close(fd);
		return -1;
	}
	if (info.key_size != key_size || info.value_size != value_size) {
		xv_err("map %s has key/value size %u/%u, this build expects %u/%u "
		       "(incompatible xvtep version)", path, info.key_size, info.value_size,
		       key_size, value_size);
		close(fd);
		return -1;
	}
	return fd;
}

int xv_array_room(void *arr, size_t *cap, size_t n, size_t size, size_t first)
{
	void **v = arr;
	size_t c;
	void *p;

	if (n < *cap)
		return 0;
	c = *cap ? 2 * *cap : first;
	p = realloc(*v, c * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

static int remotes_push(union xvtep_addr **v, size_t *n, size_t *cap, const union xvtep_addr *ip)
{
	if (xvtep_addr_is_zero(ip))
		return 0;
	for (size_t i = 0; i < *n; i++)
		if (xvtep_addr_equal(&(*v)[i], ip))
			return 0;
	if (xv_array_room(v, cap, *n, sizeof(**v), 16))
		return -ENOMEM;
	(*v)[(*n)++] = *ip;
	return 0;
}

int xv_config_remotes(int vnis_fd, int fdb_fd, union xvtep_addr **out, size_t *n)
{
	struct xvtep_fdb_key fk, *fprev = NULL;
	struct xvtep_fdb_entry fe;
	struct xvtep_vni v;
	__u32 vk, *vprev = NULL;
	size_t cap = 0;
	union xvtep_addr *r = NULL;
	int err = 0;

	*n = 0;
	while (vnis_fd >= 0 && !bpf_map_get_next_key(vnis_fd, vprev, &vk)) {
		vprev = &vk;
		if (bpf_map_lookup_elem(vnis_fd, &vk, &v))
			continue;	/* deleted meanwhile */
		for (__u32 i = 0; i < v.nr_remotes && i < XVTEP_MAX_REMOTES && !err; i++)
			err = remotes_push(&r, n, &cap, &v.remotes[i]);
		if (err)
			goto fail;
	}
	while (fdb_fd >= 0 && !bpf_map_get_next_key(fdb_fd, fprev, &fk)) {
		fprev = &fk;
		if (bpf_map_lookup_elem(fdb_fd, &fk, &fe))
			continue;
		if ((fe.flags & XVTEP_FDB_F_STATIC) && (fe.flags & XVTEP_FDB_F_REMOTE) &&
		    (err = remotes_push(&r, n, &cap, &fe.remote)))
			goto fail;
	}
	*out = r;
	return 0;
fail:
	free(r);
	*n = 0;
	return err;
}
