// SPDX-License-Identifier: GPL-2.0
/* Pinned maps against this build: a map is reused only if its type, sizes and
 * BTF layout match, so a changed layout is refused rather than misread. */
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <stdlib.h>

#include "loader.h"

static __u32 btf_skip_mods(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	return id;
}

static const char *btf_kind_str(const struct btf_type *t)
{
	static const char *const kinds[] = {
		[BTF_KIND_INT] = "int", [BTF_KIND_PTR] = "pointer", [BTF_KIND_ARRAY] = "array",
		[BTF_KIND_STRUCT] = "struct", [BTF_KIND_UNION] = "union", [BTF_KIND_ENUM] = "enum",
	};

	return btf_kind(t) < sizeof(kinds) / sizeof(kinds[0]) && kinds[btf_kind(t)] ?
	       kinds[btf_kind(t)] : "type";
}

/*
 * Same memory layout for type A (pinned map's BTF PA) and B (this build's BTF
 * PB)? Compares kinds, names, sizes, members and offsets: two layouts of one
 * size (a field reordered or renamed) are what the size checks cannot see.
 * Returns 0 if equal, else 1 with WHY saying where they differ.
 */
static int btf_layout_diff(const struct btf *pa, __u32 a, const struct btf *pb, __u32 b,
			   int depth, char *why, size_t len)
{
	const struct btf_type *ta, *tb;
	const char *na, *nb;

	if (depth > 8)
		return 0;	/* deep enough: nothing of ours nests further */
	a = btf_skip_mods(pa, a);
	b = btf_skip_mods(pb, b);
	ta = a ? btf__type_by_id(pa, a) : NULL;
	tb = b ? btf__type_by_id(pb, b) : NULL;
	if (!ta || !tb) {
		if (ta == tb)
			return 0;
		snprintf(why, len, "%s type information", ta ? "this build has no" : "it has no");
		return 1;
	}
	na = btf__name_by_offset(pa, ta->name_off) ?: "";
	nb = btf__name_by_offset(pb, tb->name_off) ?: "";
	if (btf_kind(ta) != btf_kind(tb) || strcmp(na, nb)) {
		snprintf(why, len, "%s %s, this build has %s %s", btf_kind_str(ta), na,
			 btf_kind_str(tb), nb);
		return 1;
	}
	switch (btf_kind(ta)) {
	case BTF_KIND_INT:
		if (ta->size != tb->size || btf_int_encoding(ta) != btf_int_encoding(tb) ||
		    btf_int_bits(ta) != btf_int_bits(tb)) {
			snprintf(why, len, "int %s of %u bytes, this build %u bytes", na, ta->size,
				 tb->size);
			return 1;
		}
		return 0;
	case BTF_KIND_ENUM:
		if (ta->size != tb->size) {
			snprintf(why, len, "enum %s of %u bytes, this build %u bytes", na, ta->size,
				 tb->size);
			return 1;
		}
		return 0;
	case BTF_KIND_ARRAY: {
		const struct btf_array *aa = btf_array(ta), *ab = btf_array(tb);

		if (aa->nelems != ab->nelems) {
			snprintf(why, len, "array of %u elements, this build %u", aa->nelems,
				 ab->nelems);
			return 1;
		}
		return btf_layout_diff(pa, aa->type, pb, ab->type, depth + 1, why, len);
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *ma = btf_members(ta), *mb = btf_members(tb);
		char inner[192];

		if (ta->size != tb->size || btf_vlen(ta) != btf_vlen(tb)) {
			snprintf(why, len, "%s %s has %u bytes and %u members, this build %u and %u",
				 btf_kind_str(ta), na, ta->size, btf_vlen(ta), tb->size, btf_vlen(tb));
			return 1;
		}
		for (int i = 0; i < btf_vlen(ta); i++) {
			const char *fa = btf__name_by_offset(pa, ma[i].name_off) ?: "";
			const char *fb = btf__name_by_offset(pb, mb[i].name_off) ?: "";
			__u32 oa = btf_member_bit_offset(ta, i), ob = btf_member_bit_offset(tb, i);

			if (strcmp(fa, fb) || oa != ob ||
			    btf_member_bitfield_size(ta, i) != btf_member_bitfield_size(tb, i)) {
				snprintf(why, len, "%s %s member %d is %s at bit %u, this build has "
					 "%s at bit %u", btf_kind_str(ta), na, i, fa, oa, fb, ob);
				return 1;
			}
			if (btf_layout_diff(pa, ma[i].type, pb, mb[i].type, depth + 1, inner,
					    sizeof(inner))) {
				snprintf(why, len, "%s %s member %s: %s", btf_kind_str(ta), na, fa,
					 inner);
				return 1;
			}
		}
		return 0;
	}
	default:
		return 0;	/* pointers and the rest: kind and name suffice */
	}
}

/* This build's BTF (the opened object's), set before the pins are checked. */
const struct btf *our_btf;

/* The pinned map's key and value BTF types must match this build's. */
static int check_map_btf(struct map_slot *s, const struct bpf_map_info *info)
{
	const char *name = bpf_map__name(s->map);
	const struct btf *ours = our_btf;
	__u32 our_key = bpf_map__btf_key_type_id(s->map);
	__u32 our_value = bpf_map__btf_value_type_id(s->map);
	struct btf *theirs = NULL;
	char why[256];
	int ret = -1;

	if (!ours || (!our_key && !our_value))
		return 0;	/* this build has no types for it: sizes were checked */
	if (!info->btf_id) {
		/* libbpf creates device maps and maps of maps without BTF (the
		 * kernel refuses it for them). */
		if (info->type == BPF_MAP_TYPE_DEVMAP || info->type == BPF_MAP_TYPE_DEVMAP_HASH ||
		    info->type == BPF_MAP_TYPE_HASH_OF_MAPS)
			return 0;
		return xv_err("pinned map %s (%s) is incompatible: it has no BTF type information "
			      "(not created by xvtep?); run detach first (drops its state) or use "
			      "another --pin", name, s->path);
	}
	theirs = btf__load_from_kernel_by_id(info->btf_id);
	if (!theirs) {
		xv_err_errno(errno, "cannot read the BTF of pinned map %s", s->path);
		goto cleanup;
	}
	if (btf_layout_diff(theirs, info->btf_key_type_id, ours, our_key, 0, why, sizeof(why))) {
		xv_err("pinned map %s (%s) is incompatible: key layout differs: %s; run detach "
		       "first (drops its state) or use another --pin", name, s->path, why);
		goto cleanup;
	}
	if (btf_layout_diff(theirs, info->btf_value_type_id, ours, our_value, 0, why,
			    sizeof(why))) {
		xv_err("pinned map %s (%s) is incompatible: value layout differs: %s; run detach "
		       "first (drops its state) or use another --pin", name, s->path, why);
		goto cleanup;
	}
	ret = 0;
cleanup:
	btf__free(theirs);
	return ret;
}

/* A pinned XDP cache could hold stamps of a generation counter that no
 * longer exists (bpf/cache.h): those maps are per load. */
bool map_is_pinned(const struct bpf_map *map)
{
	return !xvtep_map_per_load(bpf_map__name(map));
}

/* Pinned maps of another ABI version: say how to move the instance. */
static int abi_refuse(const char *path, __u32 have)
{
	return xv_err("pinned map %s has ABI version %u, this build uses %u; to move the "
		      "instance to this build: `xvtepctl --pin %s save > FILE` (with the build "
		      "that attached it; learned entries are not saved: they are learned again), "
		      "`xvtep-loader --pin %s detach`, attach with this build, then "
		      "`xvtepctl --pin %s -batch FILE`; or use another --pin",
		      path, have, XVTEP_ABI_VERSION, cfg.pin, cfg.pin, cfg.pin);
}

/* Before any map is compared: every layout of another ABI differs, and the
 * version is what explains it. Reads only the leading abi_version of the
 * pinned xvtep_meta, whatever its size. 0 when absent, unset or ours. */
int check_pinned_abi(void)
{
	char path[PATH_MAX];
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), key = 0, have;
	__u8 *buf;
	int fd, ret = 0;

	if (pin_path(path, NULL, XVTEP_MAP_META))
		return -1;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;	/* absent, or not a map: check_pinned_map() says */
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != BPF_MAP_TYPE_ARRAY ||
	    info.key_size != 4 || info.value_size < 4 || info.value_size > 4096)
		goto out;	/* check_pinned_map() explains */
	buf = calloc(1, info.value_size);
	if (!buf)
		goto out;
	if (!bpf_map_lookup_elem(fd, &key, buf)) {
		memcpy(&have, buf, 4);
		/* 0: created by an attach that failed before writing it. */
		if (have && have != XVTEP_ABI_VERSION)
			ret = abi_refuse(path, have);
	}
	free(buf);
out:
	close(fd);
	return ret;
}

/*
 * Compare a pinned map with the one this build would create, so that an
 * incompatible pin gets a clear error instead of libbpf's generic refusal
 * (and is never silently reused).
 */
int check_pinned_map(struct map_slot *s)
{
	const char *name = bpf_map__name(s->map);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), map_flags;
	int fd, ret = -1;

	fd = bpf_obj_get(s->path);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return xv_err_errno(errno, "cannot open pinned map %s", s->path);
	}
	s->existed = true;
	if (!fd_is(fd, "map")) {
		xv_err("%s is pinned but is not a map; remove it or use another --pin", s->path);
		goto out;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		xv_err_errno(errno, "cannot read info of pinned map %s", s->path);
		goto out;
	}

#define MISMATCH(what, have, want) do {						\
		xv_err("pinned map %s (%s) is incompatible: %s %u, this build needs %u; " \
		       "run detach first (drops its state) or use another --pin",	\
		       name, s->path, what, (unsigned)(have), (unsigned)(want));	\
		goto out;							\
	} while (0)
	if (info.type != (__u32)bpf_map__type(s->map))
		MISMATCH("map type", info.type, bpf_map__type(s->map));
	if (info.key_size != bpf_map__key_size(s->map))
		MISMATCH("key size", info.key_size, bpf_map__key_size(s->map));
	if (info.value_size != bpf_map__value_size(s->map))
		MISMATCH("value size", info.value_size, bpf_map__value_size(s->map));
	map_flags = info.map_flags;
	if (info.type == BPF_MAP_TYPE_DEVMAP || info.type == BPF_MAP_TYPE_DEVMAP_HASH)
		map_flags &= ~BPF_F_RDONLY_PROG;	/* added by the kernel, see below */
	if (map_flags != bpf_map__map_flags(s->map))
		MISMATCH("map flags", map_flags, bpf_map__map_flags(s->map));
	/* The kernel adds BPF_F_RDONLY_PROG to every devmap but refuses it at
	 * creation, and libbpf 1.1 compares flags verbatim when reusing a pin:
	 * mirror the pinned flags onto this map (reused, so never created). */
	if (map_flags != info.map_flags && bpf_map__set_map_flags(s->map, info.map_flags)) {
		xv_err_errno(errno, "cannot set the flags of map %s", name);
		goto out;
	}
	if (!strcmp(name, XVTEP_MAP_FDB)) {
		/* The FDB size is chosen at the first attach; later attaches keep it. */
		if (cfg.fdb_size && cfg.fdb_size != info.max_entries) {
			xv_err("pinned map %s (%s) has %u entries, not --fdb-size %u: the FDB "
			       "cannot be resized in place; run detach first (drops the FDB) "
			       "or omit --fdb-size", name, s->path, info.max_entries,
			       cfg.fdb_size);
			goto out;
		}
		if (bpf_map__set_max_entries(s->map, info.max_entries)) {
			xv_err_errno(errno, "cannot size map %s", name);
			goto out;
		}
	} else if (info.max_entries != bpf_map__max_entries(s->map)) {
		MISMATCH("max_entries", info.max_entries, bpf_map__max_entries(s->map));
	}
#undef MISMATCH
	if (check_map_btf(s, &info))
		goto out;

	if (!strcmp(name, XVTEP_MAP_META)) {
		struct xvtep_meta meta = {};
		__u32 key = 0;

		if (bpf_map_lookup_elem(fd, &key, &meta)) {
			xv_err_errno(errno, "cannot read pinned map %s", s->path);
			goto out;
		}
		/* 0: created by an attach that failed before writing it. */
		if (meta.abi_version && meta.abi_version != XVTEP_ABI_VERSION) {
			abi_refuse(s->path, meta.abi_version);
			goto out;
		}
		undo.meta_existed = true;
		undo.old_meta = meta;
	}
	ret = 0;
out:
	close(fd);
	return ret;
}
