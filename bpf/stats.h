/* SPDX-License-Identifier: GPL-2.0 */
/* Per-CPU counters: one lookup per packet, then plain increments. */
#ifndef XVTEP_BPF_STATS_H
#define XVTEP_BPF_STATS_H

#include "maps.h"

static __always_inline struct xvtep_stats *stats_get(__u32 vni)
{
	struct xvtep_stats *st = bpf_map_lookup_elem(&xvtep_stats, &vni);

	if (unlikely(!st)) {
		/* VNI entry not (yet) created: account on the global entry. */
		__u32 global = 0;

		st = bpf_map_lookup_elem(&xvtep_stats, &global);
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
