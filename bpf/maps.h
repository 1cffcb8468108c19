/* SPDX-License-Identifier: GPL-2.0 */
/* Map definitions. No `pinning` attribute: the loader sets each pin path
 * (<pin dir>/<name>) so instances in different pin dirs never collide. */
#ifndef XVTEP_BPF_MAPS_H
#define XVTEP_BPF_MAPS_H

#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xvtep_meta);
} xvtep_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_VNIS);
	__type(key, __u32);
	__type(value, struct xvtep_vni);
} xvtep_vnis SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_VNIS);
	__type(key, __u32);
	__type(value, struct xvtep_vstate);
} xvtep_vstate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_PORTS);
	__type(key, __u32);
	__type(value, struct xvtep_port);
} xvtep_ports SEC(".maps");

/* Preallocated: learning on the fast path never allocates; a full map
 * refuses new entries (counted as fdb_full) and never evicts static ones. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_FDB_SIZE_DEFAULT);
	__type(key, struct xvtep_fdb_key);
	__type(value, struct xvtep_fdb_entry);
} xvtep_fdb SEC(".maps");

/* Slot 0 global, then one slot per VNI (xvtep_vni.stats_slot): the JIT
 * inlines per-CPU array lookups, ~20 ns less per packet than a hash. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XVTEP_MAX_VNIS + 1);
	__type(key, __u32);
	__type(value, struct xvtep_stats);
} xvtep_stats SEC(".maps");

/* The ports the XDP fast path may redirect to (with devmap bulking): every
 * port except those whose frames must pass TC egress (a tx mirror source,
 * XVTEP_PORT_F_NO_XDP; a tx source may have a pair in xvtep_mirror_bcast). The control plane keeps it in step with
 * xvtep_ports (xv_devmap_sync), so XDP needs no port lookup of its own. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, XVTEP_MAX_PORTS);
	__type(key, __u32);
	__type(value, __u32);
} xvtep_devmap SEC(".maps");

/* A port's pair for mirror copies made by XDP: {the port, xvtep-mirp}
 * (xvtep.h). Created and replaced by the control plane (xv_devmap_sync). */
struct xvtep_mirror_pair {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, XVTEP_MAX_PORTS);
	__type(key, __u32);
	__array(values, struct xvtep_mirror_pair);
} xvtep_mirror_bcast SEC(".maps");

/* Devices that took XDP frames when the control plane last looked
 * (NETDEV_XDP_ACT_NDO_XMIT): where xvtep_xdp_mir may send a copy, and
 * xvtep_xdp_port an encapsulated frame. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, XVTEP_MIRROR_XMIT_MAX);
	__type(key, __u32);
	__type(value, __u32);
} xvtep_mirror_xmit SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xvtep_gc);
} xvtep_gc SEC(".maps");

/* Mmapable: userspace writers bump the generations with an atomic add. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xvtep_gen);
} xvtep_gen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XVTEP_MAX_MIRRORS);
	__type(key, __u32);
	__type(value, struct xvtep_mirror);
} xvtep_mirrors SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XVTEP_MAX_MIRRORS);
	__type(key, __u32);
	__type(value, struct xvtep_mirror_stats);
} xvtep_mstats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xvtep_upmirror);
} xvtep_upmirror SEC(".maps");

#endif
