/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Mirror sources. A selected frame is cloned, untouched, into the ingress of
 * the mirror device with the session slot in skb->mark; xvtep_tc_mirror
 * (tc_mirror.c) then shapes that copy alone. The frame being forwarded is
 * never modified, and a slow or unreachable destination only costs the copy.
 */
#ifndef XVTEP_BPF_MIRROR_H
#define XVTEP_BPF_MIRROR_H

#include "maps.h"
#include "secure.h"

static __always_inline void mirror_count_drop(__u32 slot, enum xvtep_mirror_drop reason)
{
	struct xvtep_mirror_stats *ms = bpf_map_lookup_elem(&xvtep_mstats, &slot);

	if (ms && reason < XVTEP_MDROP_SLOTS)
		ms->drops[reason]++;
}

/* One clone per session in `sessions`; dir is XVTEP_MIRROR_DIR_RX or _TX. */
static __always_inline void mirror_copies(struct __sk_buff *skb, __u32 sessions, __u32 dir)
{
	__u32 mark;

	if (likely(!sessions))
		return;
	mark = skb->mark;
	if (mark == XVTEP_MIRROR_MARK_OUT)
		return;	/* a copy leaving through a mirrored port: no copies of copies */
	for (__u32 slot = 0; slot < XVTEP_MAX_MIRRORS; slot++) {
		if (!(sessions & (1U << slot)))
			continue;
		if (!mirror_rate_ok(slot)) {
			mirror_count_drop(slot, XVTEP_MDROP_RATE);
			continue;
		}
		skb->mark = XVTEP_MIRROR_MARK | dir << 8 | slot;
		if (!cfg_mirror_ifindex ||
		    bpf_clone_redirect(skb, cfg_mirror_ifindex, BPF_F_INGRESS))
			mirror_count_drop(slot, XVTEP_MDROP_CLONE);
	}
	skb->mark = mark;
}

static __always_inline __u32 uplink_mirror_sessions(bool tx)
{
	__u32 zero = 0;
	struct xvtep_upmirror *um = bpf_map_lookup_elem(&xvtep_upmirror, &zero);

	if (!um)
		return 0;
	return tx ? um->mirror_tx : um->mirror_rx;
}

#endif
