/* SPDX-License-Identifier: GPL-2.0 */
/* Per-CPU counters: one lookup per packet, then plain increments. */
#ifndef XVTEP_BPF_STATS_H
#define XVTEP_BPF_STATS_H

#include "maps.h"
#include "events.h"

/* The counters of VCFG's VNI, or the global ones (no VNI, or no slot). */
static __always_inline struct xvtep_stats *stats_get(const struct xvtep_vni *vcfg)
{
	__u32 slot = vcfg ? vcfg->stats_slot : 0;
	struct xvtep_stats *st = bpf_map_lookup_elem(&xvtep_stats, &slot);

	if (unlikely(!st)) {
		/* A slot out of range (a foreign writer): account globally. */
		slot = 0;
		st = bpf_map_lookup_elem(&xvtep_stats, &slot);
	}
	return st;
}

/* A drop of a frame from MAC at port IFINDEX or VTEP REMOTE (NULL = none;
 * 0 and NULL = not known): counted and reported to the event stream. */
static __always_inline void count_drop_src(struct xvtep_stats *st, __u32 vni,
					   enum xvtep_drop reason, __u64 mac, __u32 ifindex,
					   const union xvtep_addr *remote)
{
	if (st && reason < XVTEP_DROP_SLOTS) {
		st->drops[reason]++;
		evq_send(XVTEP_EVQ_DROP_BASE + reason, vni, mac, ifindex, remote, 0, NULL);
	}
}

static __always_inline void count_drop(struct xvtep_stats *st, __u32 vni, enum xvtep_drop reason)
{
	count_drop_src(st, vni, reason, 0, 0, NULL);
}

/* A counter only: the per-packet events (flooded, xdp_to_tc...). */
static __always_inline void count_event(struct xvtep_stats *st, enum xvtep_event ev)
{
	if (st && ev < XVTEP_EVENT_SLOTS)
		st->events[ev]++;
}

/* An XVTEP_EVQ_REPORTED event about MAC of VNI: counted and reported.
 * IFINDEX/REMOTE: the new place, OLD_IFINDEX/OLD_REMOTE the previous one
 * (a port's ifindex, or a VTEP's address; 0/NULL = none). */
static __always_inline void note_event(struct xvtep_stats *st, enum xvtep_event ev, __u32 vni,
				       const __u8 *mac, __u32 ifindex,
				       const union xvtep_addr *remote, __u32 old_ifindex,
				       const union xvtep_addr *old_remote)
{
	if (st && ev < XVTEP_EVENT_SLOTS) {
		st->events[ev]++;
		evq_send(ev, vni, evq_mac(mac), ifindex, remote, old_ifindex, old_remote);
	}
}

static __always_inline void count_rx(struct xvtep_stats *st, __u32 bytes)
{
	if (st) {
		st->rx_packets++;
		st->rx_bytes += bytes;
	}
}

static __always_inline void count_tx(struct xvtep_stats *st, __u32 bytes)
{
	if (st) {
		st->tx_packets++;
		st->tx_bytes += bytes;
	}
}

static __always_inline void count_local(struct xvtep_stats *st, __u32 bytes)
{
	if (st) {
		st->local_packets++;
		st->local_bytes += bytes;
	}
}

#endif
