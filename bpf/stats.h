/* SPDX-License-Identifier: GPL-2.0 */
/* Per-CPU counters: one lookup per packet, then plain increments. */
#ifndef XVTEP_BPF_STATS_H
#define XVTEP_BPF_STATS_H

#include "maps.h"

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

static __always_inline void count_drop(struct xvtep_stats *st, enum xvtep_drop reason)
{
	if (st && reason < XVTEP_DROP_SLOTS)
		st->drops[reason]++;
}

static __always_inline void count_event(struct xvtep_stats *st, enum xvtep_event ev)
{
	if (st && ev < XVTEP_EVENT_SLOTS)
		st->events[ev]++;
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
