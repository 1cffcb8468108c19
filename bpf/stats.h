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

/* A drop of a frame from MAC at PLACE (evq_place; 0 = not known): counted
 * and reported to the event stream. */
static __always_inline void count_drop_src(struct xvtep_stats *st, __u32 vni,
					   enum xvtep_drop reason, __u64 mac, __u64 place)
{
	if (st && reason < XVTEP_DROP_SLOTS) {
		st->drops[reason]++;
		evq_report(XVTEP_EVQ_DROP_BASE + reason, vni, mac, place, 0);
	}
}

static __always_inline void count_drop(struct xvtep_stats *st, __u32 vni, enum xvtep_drop reason)
{
	count_drop_src(st, vni, reason, 0, 0);
}

/* A counter only: the per-packet events (flooded, xdp_to_tc...). */
static __always_inline void count_event(struct xvtep_stats *st, enum xvtep_event ev)
{
	if (st && ev < XVTEP_EVENT_SLOTS)
		st->events[ev]++;
}

/* An XVTEP_EVQ_REPORTED event about MAC of VNI: counted and reported.
 * PLACE, OLD: evq_place() of the new and the previous place, 0 = none. */
static __always_inline void note_event(struct xvtep_stats *st, enum xvtep_event ev, __u32 vni,
				       const __u8 *mac, __u64 place, __u64 old)
{
	if (st && ev < XVTEP_EVENT_SLOTS) {
		st->events[ev]++;
		evq_report(ev, vni, evq_mac(mac), place, old);
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
