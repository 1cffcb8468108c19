/* SPDX-License-Identifier: GPL-2.0 */
/* FDB: (VNI, MAC) -> local port or remote VTEP. Learning and lookups. */
#ifndef XVTEP_BPF_FDB_H
#define XVTEP_BPF_FDB_H

#include "stats.h"
#include "secure.h"

/* Rewriting the timestamp of a hot entry on every packet would bounce its
 * cache line between CPUs; once a second is precise enough for ageing. */
#define FDB_REFRESH_NS	1000000000ULL

/*
 * The clock of learning: the start of the last ageing sweep (xvtep_gc, an
 * inlined array lookup) instead of bpf_ktime_get_ns(), a helper call that
 * costs ~30 ns per packet on a VM. It lags real time by at most one sweep
 * interval, which the sweep allows for (gc.c). Before the first sweep it is
 * 0 and the real clock is used.
 */
static __always_inline __u64 fdb_clock(__u64 *epoch)
{
	__u32 zero = 0;
	struct xvtep_gc *gc = bpf_map_lookup_elem(&xvtep_gc, &zero);
	__u64 t = gc ? *(volatile __u64 *)&gc->last_run_ns : 0;

	*epoch = t;
	return t ? t : bpf_ktime_get_ns();
}

/*
 * A per-CPU, direct-mapped memory of sources confirmed in place during the
 * current sweep epoch: a source seen again at the same place (the common
 * case, every packet of a flow) skips the FDB lookup altogether. An entry
 * is trusted only within the epoch it was confirmed in, so a change made by
 * the CLI (a static entry elsewhere, a deletion) takes effect at the next
 * sweep at the latest (<= 1 s); moves and new sources always take the full
 * path because the place is part of the match.
 */
#define FDB_SEEN_SLOTS	256

struct fdb_seen {
	__u64 epoch;
	__u32 vni;
	__u32 ifindex;		/* the local port, or 0 for a remote VTEP */
	union xvtep_addr remote;	/* the remote VTEP, or all zero for a port */
	__u8 mac[ETH_ALEN];
	__u8 pad[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FDB_SEEN_SLOTS);
	__type(key, __u32);
	__type(value, struct fdb_seen);
} xvtep_fdb_seen SEC(".maps");

static __always_inline struct fdb_seen *fdb_seen_slot(const __u8 *mac)
{
	__u32 idx = (mac[3] ^ mac[4] ^ mac[5]) & (FDB_SEEN_SLOTS - 1);

	return bpf_map_lookup_elem(&xvtep_fdb_seen, &idx);
}

/* The place is port IFINDEX (REMOTE NULL) or VTEP REMOTE (IFINDEX 0). A
 * slot noted for a port holds a zero address, one noted for a VTEP a zero
 * ifindex, and neither ever is zero for a real place: comparing the one
 * that matters tells the two kinds apart too. */
static __always_inline bool fdb_seen_match(const struct fdb_seen *s, __u64 epoch, __u32 vni,
					   const __u8 *mac, __u32 ifindex,
					   const union xvtep_addr *remote)
{
	if (!s || !epoch || s->epoch != epoch || s->vni != vni || !mac_equal(s->mac, mac))
		return false;
	return remote ? xvtep_addr_equal(&s->remote, remote) : s->ifindex == ifindex;
}

static __always_inline void fdb_seen_note(struct fdb_seen *s, __u64 epoch, __u32 vni,
					  const __u8 *mac, __u32 ifindex,
					  const union xvtep_addr *remote)
{
	if (!s || !epoch)
		return;
	s->epoch = epoch;
	s->vni = vni;
	if (remote) {
		s->ifindex = 0;
		s->remote = *remote;
	} else {
		s->ifindex = ifindex;
		__builtin_memset(&s->remote, 0, sizeof(s->remote));
	}
	__builtin_memcpy(s->mac, mac, ETH_ALEN);
}

static __always_inline struct xvtep_gen *gen_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&xvtep_gen, &zero);
}

/* After a dataplane write that removes an FDB entry or moves it: the XDP
 * caches of entries (cache.h) must not keep the old place. */
static __always_inline void gen_bump_fdb(void)
{
	struct xvtep_gen *g = gen_get();

	if (g)
		__sync_fetch_and_add(&g->fdb, 1);
}

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
					   const union xvtep_addr *remote)
{
	if (e->flags & XVTEP_FDB_F_REMOTE)
		return remote && xvtep_addr_equal(&e->remote, remote);
	return !remote && e->ifindex == ifindex;
}

/* Whether a source seen at this place may be learned or moved there. An
 * EVPN VNI learns remote MACs from BGP only (xvtepd), as a nolearning vxlan
 * device does: its local MACs are learned, and exported. */
static __always_inline bool fdb_learns(const struct xvtep_vni *vcfg,
				       const union xvtep_addr *remote)
{
	if (!(vcfg->flags & XVTEP_VNI_F_LEARNING))
		return false;
	return !remote || !(vcfg->flags & XVTEP_VNI_F_EVPN);
}

/* A dynamic entry for port IFINDEX, or for VTEP REMOTE when not NULL. */
static __always_inline void fdb_entry_fill(struct xvtep_fdb_entry *e, __u32 ifindex,
					   const union xvtep_addr *remote, __u64 now)
{
	if (remote) {
		e->ifindex = 0;
		e->remote = *remote;
		e->flags = XVTEP_FDB_F_REMOTE;
	} else {
		e->ifindex = ifindex;
		e->flags = 0;
	}
	e->updated_ns = now;
}

/*
 * Learn that MAC lives behind `remote` (decap side: the outer source, IPv4
 * mapped or IPv6; ifindex 0) or on port `ifindex` (encap side, remote
 * NULL). Returns a drop reason, or XVTEP_DROP__MAX to
 * go on. A static entry owns its MAC: a frame claiming it from elsewhere is
 * dropped. mac-limit is enforced exactly by reserving a slot in the VNI's
 * learned count before inserting.
 */
static __always_inline int fdb_learn(__u32 vni, const struct xvtep_vni *vcfg, const __u8 *mac,
				     __u32 ifindex, const union xvtep_addr *remote,
				     struct xvtep_stats *st)
{
	struct xvtep_fdb_entry *e, fresh = {};
	union xvtep_addr old_remote = {};
	struct xvtep_fdb_key key;
	struct xvtep_vstate *vs;
	struct fdb_seen *seen;
	__u32 old_ifindex = 0;
	__u64 epoch, now;
	bool evpn;
	/* int, not long: before Linux 6.4 ("bpf: return long from bpf_map_ops
	 * funcs") the map ops returned int and the verifier patches the helper
	 * into a direct call of the op, so r0 holds the errno zero-extended
	 * (-E2BIG reads 0xfffffff9). Only the low 32 bits are meaningful. */
	int err;

	now = fdb_clock(&epoch);
	seen = fdb_seen_slot(mac);
	if (fdb_seen_match(seen, epoch, vni, mac, ifindex, remote))
		return XVTEP_DROP__MAX;

	fdb_key_init(&key, vni, mac);
	e = bpf_map_lookup_elem(&xvtep_fdb, &key);
	/* Learning VNIs only: a nolearning VNI learns nothing, and must not pay a
	 * lookup per frame from its (all unknown) sources. */
	if ((vcfg->flags & XVTEP_VNI_F_LEARNING) && (!e || !fdb_same_place(e, ifindex, remote)) &&
	    own_mac(mac))
		return XVTEP_DROP_OWN_MAC;
	if (e) {
		if (fdb_same_place(e, ifindex, remote)) {
			/* Signed: an entry stamped by the real clock is ahead of ours. */
			if (!(e->flags & (XVTEP_FDB_F_STATIC | XVTEP_FDB_F_EVPN)) &&
			    (__s64)(now - e->updated_ns) > (__s64)FDB_REFRESH_NS)
				e->updated_ns = now;
			fdb_seen_note(seen, epoch, vni, mac, ifindex, remote);
			return XVTEP_DROP__MAX;
		}
		/*
		 * An EVPN entry (STATIC as well) is BGP's: no remote source moves
		 * it, but a frame from a local port is a VM that moved here. It
		 * takes the MAC, as in the kernel's bridge; xvtepd exports it and
		 * BGP's MAC mobility settles where it lives.
		 */
		evpn = e->flags & XVTEP_FDB_F_EVPN;
		if (evpn ? remote != NULL : (e->flags & XVTEP_FDB_F_STATIC) != 0)
			return evpn ? XVTEP_DROP__MAX : XVTEP_DROP_STATIC_CONFLICT;
		if (!fdb_learns(vcfg, remote))
			return XVTEP_DROP__MAX;
		if (move_refused(&key, e, now, st, ifindex, remote))
			return XVTEP_DROP_MAC_FROZEN;
		/* Read before the update: it may reuse the element. */
		if (e->flags & XVTEP_FDB_F_REMOTE)
			old_remote = e->remote;
		else
			old_ifindex = e->ifindex;
		/* A move: replace the element whole so readers never see half of it. */
		fdb_entry_fill(&fresh, ifindex, remote, now);
		if (!bpf_map_update_elem(&xvtep_fdb, &key, &fresh, BPF_EXIST)) {
			gen_bump_fdb();
			note_event(st, XVTEP_EV_MOVED, vni, mac, ifindex, remote, old_ifindex,
				   &old_remote);
			/* Learned now, and aged as such: count it (past mac-limit, as a move). */
			vs = evpn ? bpf_map_lookup_elem(&xvtep_vstate, &vni) : NULL;
			if (vs)
				__sync_fetch_and_add(&vs->learned, 1);
		}
		return XVTEP_DROP__MAX;
	}

	if (!fdb_learns(vcfg, remote))
		return XVTEP_DROP__MAX;

	vs = bpf_map_lookup_elem(&xvtep_vstate, &vni);
	if (vs && vcfg->mac_limit) {
		if (__sync_fetch_and_add(&vs->learned, 1) >= vcfg->mac_limit) {
			__sync_fetch_and_sub(&vs->learned, 1);
			note_event(st, XVTEP_EV_LEARN_LIMIT, vni, mac, ifindex, remote, 0, NULL);
			return XVTEP_DROP__MAX;
		}
	} else if (vs) {
		__sync_fetch_and_add(&vs->learned, 1);
	}

	fdb_entry_fill(&fresh, ifindex, remote, now);
	err = bpf_map_update_elem(&xvtep_fdb, &key, &fresh, BPF_NOEXIST);
	if (err) {
		if (vs)
			__sync_fetch_and_sub(&vs->learned, 1);
		/* -EEXIST: another CPU learned it first, nothing to count. */
		if (err == -E2BIG || err == -ENOMEM)
			note_event(st, XVTEP_EV_FDB_FULL, vni, mac, ifindex, remote, 0, NULL);
		return XVTEP_DROP__MAX;
	}
	note_event(st, XVTEP_EV_LEARNED, vni, mac, ifindex, remote, 0, NULL);
	return XVTEP_DROP__MAX;
}

#endif
