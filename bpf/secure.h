/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hardening: VTEP allow-lists, MAC-move dampening, never learning our own
 * MACs, and the mirror sessions' rate limit. The hooks are called from the
 * decap check (vxlan.h), learning (fdb.h), the ageing sweep (gc.c) and the
 * mirror sources (mirror.h). Each one costs a flag test or nothing on the
 * per-packet path; lookups happen only when a VNI has a list, on a new
 * learn or a move, or on a mirrored frame of a rate-limited session.
 */
#ifndef XVTEP_BPF_SECURE_H
#define XVTEP_BPF_SECURE_H

#include "stats.h"

#define NSEC_PER_SEC	1000000000ULL

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XVTEP_MAX_PEERS);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* required for LPM tries */
	__type(key, struct xvtep_peer_key);
	__type(value, __u32);
} xvtep_peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_VNIS);
	__type(key, __u32);
	__type(value, struct xvtep_vni_sec);
} xvtep_vsec SEC(".maps");

/* LRU: a flood of moving MACs recycles history instead of failing. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XVTEP_MOVES_SIZE);
	__type(key, struct xvtep_fdb_key);
	__type(value, struct xvtep_move);
} xvtep_moves SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_PORTS);
	__type(key, struct xvtep_mac_key);
	__type(value, __u32);
} xvtep_ownmacs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XVTEP_MAX_MIRRORS);
	__type(key, __u32);
	__type(value, struct xvtep_mirror_rate);
} xvtep_mrate SEC(".maps");

/* Decap: is this outer source (IPv4 mapped or IPv6) refused by the VNI's
 * allow-list? Runs before anything is learned from the frame. */
static __always_inline bool peer_denied(__u32 vni, const struct xvtep_vni *vcfg,
					const union xvtep_addr *src)
{
	struct xvtep_peer_key key;
	__u32 flags = vcfg->flags;

	if (likely(!(flags & XVTEP_VNI_F_PEER_FILTER)))
		return false;
	key.prefixlen = 32 + 128;	/* the VNI, then the whole address */
	key.vni = flags & XVTEP_VNI_F_PEER_OWN ? vni : XVTEP_PEER_DEFAULT;
	key.addr = *src;
	return !bpf_map_lookup_elem(&xvtep_peers, &key);
}

/* The uplink's MAC or a port's: claimed by a frame, it is a spoof or a loop. */
static __always_inline bool own_mac(const __u8 *mac)
{
	struct xvtep_mac_key k = {};
	__u8 diff = 0;

	/* Volatile rodata reads, one by one (see encap_target). */
#pragma unroll
	for (int i = 0; i < ETH_ALEN; i++)
		diff |= mac[i] ^ cfg_uplink_mac[i];
	if (!diff)
		return true;
	__builtin_memcpy(k.mac, mac, ETH_ALEN);
	return bpf_map_lookup_elem(&xvtep_ownmacs, &k) != NULL;
}

/*
 * Learning wants to move dynamic entry e (key) elsewhere. True = refuse:
 * the entry is frozen, or this move is one too many within the VNI's
 * window and freezes it now (IFINDEX/REMOTE: where it claims to be now).
 * Only moves reach this, so the history map
 * stays off the per-packet path.
 */
static __always_inline bool move_refused(const struct xvtep_fdb_key *key,
					 struct xvtep_fdb_entry *e, __u64 now,
					 struct xvtep_stats *st, __u32 ifindex,
					 const union xvtep_addr *remote)
{
	__u32 limit = XVTEP_MOVE_LIMIT_DEFAULT, window = XVTEP_MOVE_WINDOW_DEFAULT;
	__u32 hold = XVTEP_MOVE_HOLD_DEFAULT, vni = key->vni;
	__u32 now_s = now / NSEC_PER_SEC;
	struct xvtep_move *mv, fresh = {};
	struct xvtep_vni_sec *sec;

	if ((e->flags & XVTEP_FDB_F_FROZEN) && now_s < e->pad)
		return true;
	sec = bpf_map_lookup_elem(&xvtep_vsec, &vni);
	if (sec) {
		limit = sec->move_limit;
		window = sec->move_window;
		hold = sec->move_hold;
	}
	if (!limit)
		return false;
	mv = bpf_map_lookup_elem(&xvtep_moves, key);
	if (!mv || now - mv->window_start_ns > (__u64)window * NSEC_PER_SEC) {
		fresh.window_start_ns = now;
		fresh.moves = 1;
		bpf_map_update_elem(&xvtep_moves, key, &fresh, BPF_ANY);
		return false;
	}
	if (__sync_add_and_fetch(&mv->moves, 1) <= limit)
		return false;
	e->pad = now_s + (hold ? hold : 1);
	e->flags |= XVTEP_FDB_F_FROZEN;
	mv->moves = 0;
	mv->window_start_ns = now;
	if (e->flags & XVTEP_FDB_F_REMOTE)
		note_event(st, XVTEP_EV_MOVE_FROZEN, vni, key->mac, ifindex, remote, 0, &e->remote);
	else
		note_event(st, XVTEP_EV_MOVE_FROZEN, vni, key->mac, ifindex, remote, e->ifindex,
			   NULL);
	return true;
}

/* Ageing sweep: an expired hold ends even if nobody claims the MAC again. */
static __always_inline void frozen_thaw(struct xvtep_fdb_entry *e, __u64 now)
{
	if ((e->flags & XVTEP_FDB_F_FROZEN) && now / NSEC_PER_SEC >= e->pad)
		e->flags &= ~XVTEP_FDB_F_FROZEN;
}

/* Mirror source: may session SLOT take one more copy? Token bucket shared by
 * all CPUs (spin lock), so the rate holds whatever CPU the frames come on. */
static __always_inline bool mirror_rate_ok(__u32 slot)
{
	struct xvtep_mirror_rate *r = bpf_map_lookup_elem(&xvtep_mrate, &slot);
	__u64 now, cost, depth, credit;
	__u32 rate, burst;
	bool ok;

	if (!r)
		return true;
	rate = r->rate;
	if (likely(!rate))
		return true;
	burst = r->burst ? r->burst : 1;
	now = bpf_ktime_get_ns();
	cost = NSEC_PER_SEC / rate;
	depth = cost * burst;
	bpf_spin_lock(&r->lock);
	credit = r->credit_ns;
	/* Another CPU may have stamped a later time since we read the clock. */
	if (now > r->last_ns) {
		credit += now - r->last_ns;
		r->last_ns = now;
	}
	if (credit > depth)
		credit = depth;
	ok = credit >= cost;
	if (ok)
		credit -= cost;
	r->credit_ns = credit;
	bpf_spin_unlock(&r->lock);
	return ok;
}

#endif
