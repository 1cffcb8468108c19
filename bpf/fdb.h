/* SPDX-License-Identifier: GPL-2.0 */
/* FDB: (VNI, MAC) -> local port or remote VTEP. Learning and lookups. */
#ifndef XVTEP_BPF_FDB_H
#define XVTEP_BPF_FDB_H

#include "stats.h"
#include "secure.h"

/* Rewriting the timestamp of a hot entry on every packet would bounce its
 * cache line between CPUs; once a second is precise enough for ageing. */
#define FDB_REFRESH_NS	1000000000ULL

static __always_inline void fdb_key_init(struct xvtep_fdb_key *key, __u32 vni, const __u8 *mac)
{
	key->vni = vni;
	__builtin_memcpy(key->mac, mac, ETH_ALEN);
	key->pad = 0;
}

static __always_inline struct xvtep_fdb_entry *fdb_lookup(__u32 vni, const __u8 *mac)
{
	struct xvtep_fdb_key key;

	fdb_key_init(&key, vni, mac);
	return bpf_map_lookup_elem(&xvtep_fdb, &key);
}

static __always_inline bool fdb_same_place(const struct xvtep_fdb_entry *e, __u32 ifindex,
					   __be32 remote)
{
	if (e->flags & XVTEP_FDB_F_REMOTE)
		return remote && e->remote == remote;
	return !remote && e->ifindex == ifindex;
}

/*
 * Learn that MAC lives behind `remote` (decap side) or on port `ifindex`
 * (encap side, remote == 0). Returns a drop reason, or XVTEP_DROP__MAX to
 * go on. A static entry owns its MAC: a frame claiming it from elsewhere is
 * dropped. mac-limit is enforced exactly by reserving a slot in the VNI's
 * learned count before inserting.
 */
static __always_inline int fdb_learn(__u32 vni, const struct xvtep_vni *vcfg, const __u8 *mac,
				     __u32 ifindex, __be32 remote, struct xvtep_stats *st)
{
	struct xvtep_fdb_entry *e, fresh = {};
	struct xvtep_fdb_key key;
	struct xvtep_vstate *vs;
	__u64 now = bpf_ktime_get_ns();
	long err;

	fdb_key_init(&key, vni, mac);
	e = bpf_map_lookup_elem(&xvtep_fdb, &key);
	/* Learning VNIs only: a nolearning VNI learns nothing, and must not pay a
	 * lookup per frame from its (all unknown) sources. */
	if ((vcfg->flags & XVTEP_VNI_F_LEARNING) && (!e || !fdb_same_place(e, ifindex, remote)) &&
	    own_mac(mac))
		return XVTEP_DROP_OWN_MAC;
	if (e) {
		if (fdb_same_place(e, ifindex, remote)) {
			if (!(e->flags & XVTEP_FDB_F_STATIC) && now - e->updated_ns > FDB_REFRESH_NS)
				e->updated_ns = now;
			return XVTEP_DROP__MAX;
		}
		if (e->flags & XVTEP_FDB_F_STATIC)
			return XVTEP_DROP_STATIC_CONFLICT;
		if (!(vcfg->flags & XVTEP_VNI_F_LEARNING))
			return XVTEP_DROP__MAX;
		if (move_refused(&key, e, now, st))
			return XVTEP_DROP_MAC_FROZEN;
		/* A move: replace the element whole so readers never see half of it. */
		fresh.ifindex = remote ? 0 : ifindex;
		fresh.remote = remote;
		fresh.flags = remote ? XVTEP_FDB_F_REMOTE : 0;
		fresh.updated_ns = now;
		if (!bpf_map_update_elem(&xvtep_fdb, &key, &fresh, BPF_EXIST))
			count_event(st, XVTEP_EV_MOVED);
		return XVTEP_DROP__MAX;
	}

	if (!(vcfg->flags & XVTEP_VNI_F_LEARNING))
		return XVTEP_DROP__MAX;

	vs = bpf_map_lookup_elem(&xvtep_vstate, &vni);
	if (vs && vcfg->mac_limit) {
		if (__sync_fetch_and_add(&vs->learned, 1) >= vcfg->mac_limit) {
			__sync_fetch_and_sub(&vs->learned, 1);
			count_event(st, XVTEP_EV_LEARN_LIMIT);
			return XVTEP_DROP__MAX;
		}
	} else if (vs) {
		__sync_fetch_and_add(&vs->learned, 1);
	}

	fresh.ifindex = remote ? 0 : ifindex;
	fresh.remote = remote;
	fresh.flags = remote ? XVTEP_FDB_F_REMOTE : 0;
	fresh.updated_ns = now;
	err = bpf_map_update_elem(&xvtep_fdb, &key, &fresh, BPF_NOEXIST);
	if (err) {
		if (vs)
			__sync_fetch_and_sub(&vs->learned, 1);
		/* -EEXIST: another CPU learned it first, nothing to count. */
		if (err == -E2BIG || err == -ENOMEM)
			count_event(st, XVTEP_EV_FDB_FULL);
		return XVTEP_DROP__MAX;
	}
	count_event(st, XVTEP_EV_LEARNED);
	return XVTEP_DROP__MAX;
}

#endif
