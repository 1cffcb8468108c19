/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU caches of the XDP decap fast path: a VNI's configuration and an
 * FDB entry's place, copied out of their hash maps and used while the
 * matching generation in xvtep_gen has not moved. Each replaces a hash
 * lookup (~30 ns on the bench VM) with array lookups the JIT inlines.
 *
 * Coherence: writers bump the generation after writing (xvtep.h). A reader
 * samples the generation before reading the map, so a copy stamped with the
 * current generation was read after every write bumped so far; a copy that
 * may predate a write carries an older stamp and is refilled.
 *
 * XDP only. A pointer returned here is valid until the next lookup that
 * maps to the same slot on this CPU. An XDP program runs to its end with
 * nothing of ours in between; a TC program can have another TC program run
 * inside its bpf_clone_redirect(), which could refill the slot under it, so
 * TC looks the maps up directly.
 *
 * Not pinned (the loader leaves them out): each load starts with empty
 * caches, so no stamp can outlive the generation counter it was read from.
 */
#ifndef XVTEP_BPF_CACHE_H
#define XVTEP_BPF_CACHE_H

#include "fdb.h"

#define VNI_CACHE_SLOTS	64	/* direct-mapped by the VNI's low bits */
#define DST_CACHE_SLOTS	256	/* direct-mapped by (VNI, MAC) */

struct vni_cached {
	__u64 gen;
	__u32 vni;
	__u32 valid;
	struct xvtep_vni cfg;
};

struct dst_cached {
	__u64 gen;
	struct xvtep_fdb_key key;
	__u32 valid;
	struct xvtep_fdb_entry entry;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VNI_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct vni_cached);
} xvtep_vni_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DST_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct dst_cached);
} xvtep_dst_cache SEC(".maps");

/* G: xvtep_gen[0], looked up once per frame by the caller (gen_get()). */
static __always_inline const struct xvtep_vni *vni_lookup_cached(__u32 vni,
								 const struct xvtep_gen *g)
{
	__u32 idx = vni & (VNI_CACHE_SLOTS - 1);
	struct vni_cached *c = bpf_map_lookup_elem(&xvtep_vni_cache, &idx);
	const struct xvtep_vni *v;
	__u64 gen;

	if (!c || !g)
		return bpf_map_lookup_elem(&xvtep_vnis, &vni);
	/* x86 keeps this load before the map's: the order coherence needs */
	gen = *(const volatile __u64 *)&g->vni;
	if (c->valid && c->vni == vni && c->gen == gen)
		return &c->cfg;
	v = bpf_map_lookup_elem(&xvtep_vnis, &vni);
	if (!v)
		return NULL;	/* unknown VNIs are not cached: they are dropped */
	__builtin_memcpy(&c->cfg, v, sizeof(*v));
	c->vni = vni;
	c->gen = gen;
	c->valid = 1;
	return &c->cfg;
}

static __always_inline const struct xvtep_fdb_entry *fdb_lookup_cached(__u32 vni, const __u8 *mac,
									const struct xvtep_gen *g)
{
	__u32 idx = (vni ^ mac[3] ^ mac[4] ^ mac[5]) & (DST_CACHE_SLOTS - 1);
	struct dst_cached *c = bpf_map_lookup_elem(&xvtep_dst_cache, &idx);
	struct xvtep_fdb_entry *e;
	struct xvtep_fdb_key key;
	__u64 gen;

	fdb_key_init(&key, vni, mac);
	if (!c || !g)
		return bpf_map_lookup_elem(&xvtep_fdb, &key);
	gen = *(const volatile __u64 *)&g->fdb;
	if (c->valid && c->gen == gen && c->key.vni == vni && mac_equal(c->key.mac, mac))
		return &c->entry;
	e = bpf_map_lookup_elem(&xvtep_fdb, &key);
	if (!e)
		return NULL;	/* misses are not cached: learning may add it */
	c->entry = *e;
	c->key = key;
	c->gen = gen;
	c->valid = 1;
	return &c->entry;
}

#endif
