/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-packet cost of the xvtep XDP decap fast path under BPF_PROG_TEST_RUN.
 * The real xvtep_xdp_up source is compiled in here as an inlined function
 * (SEC() redefined around the #include) and run on the pinned maps of a live
 * instance (bench/xvb.c reuses every map by its pin). With repeat > 1 the
 * kernel reruns on the same buffer, which the decap changed (adjust_head):
 * each wrapper therefore undoes what the decap did before returning, and a
 * control program does the same MAC rewrite and adjust_head pair without
 * the decap, so that  decap cost = t(cost_decap) - t(cost_control).
 * cost_lookup is the floor under the destination lookup: the control's work
 * plus one FDB hash lookup, so  lookup cost = t(cost_lookup) - t(cost_control)
 * (with many MACs, the memory that lookup has to reach).
 */
#include "common.h"
#include "maps.h"
#include "stats.h"
#include "csum.h"
#include "fdb.h"
#include "vxlan.h"
#include "mirror.h"

#pragma push_macro("SEC")
#undef SEC
#define SEC(name) static __attribute__((noinline))	/* a subprogram: one BPF call (~1 ns) */
#include "xdp_uplink.c"
#pragma pop_macro("SEC")

#define OUTER_LEN XVTEP_ENCAP_LEN	/* 50: outer Eth + IPv4 + UDP + VXLAN */

const volatile __u32 nmacs = 0;
__u32 seq = 0;

static __always_inline int spread(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *m = data + OUTER_LEN;
	__u32 i = seq;

	if ((void *)(m + 6) > data_end)
		return -1;
	if (nmacs > 1) {
		seq = i + 1 >= nmacs ? 0 : i + 1;
		m[3] = i >> 16;
		m[4] = i >> 8;
		m[5] = i;
	}
	return 0;
}

/* The decap's adjust_head and the wrapper's undo, without the decap. */
static __always_inline int head_round_trip(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_head(ctx, OUTER_LEN))
		return -1;
	bpf_xdp_adjust_head(ctx, -OUTER_LEN);
	return 0;
}

SEC("xdp")
int cost_empty(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp")
int cost_control(struct xdp_md *ctx)
{
	if (spread(ctx) || head_round_trip(ctx))
		return XDP_ABORTED;
	return XDP_REDIRECT;
}

SEC("xdp")
int cost_decap(struct xdp_md *ctx)
{
	int v;

	if (spread(ctx))
		return XDP_ABORTED;
	v = xvtep_xdp_up(ctx);
	if (v == XDP_REDIRECT)
		bpf_xdp_adjust_head(ctx, -OUTER_LEN);
	return v;
}

/* The least a destination lookup costs at this FDB size: the control's work
 * plus one lookup of the frame's (VNI, inner destination MAC) in xvtep's own
 * FDB, the same map and entries the decap reads. XDP_ABORTED when the
 * entry is missing, so the caller can tell a timed miss from a timed hit. */
SEC("xdp")
int cost_lookup(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct vxlan_hdr *vx = data + OUTER_LEN - sizeof(*vx);
	const struct xvtep_fdb_entry *e;

	if ((void *)(vx + 1) + ETH_ALEN > data_end || spread(ctx))
		return XDP_ABORTED;
	e = fdb_lookup(bpf_ntohl(vx->vni) >> 8, (const __u8 *)(vx + 1));
	if (head_round_trip(ctx))
		return XDP_ABORTED;
	return e ? XDP_REDIRECT : XDP_ABORTED;
}

char LICENSE[] SEC("license") = "GPL";
