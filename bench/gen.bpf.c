/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Traffic generators, run by bench/xvb.c with BPF_PROG_TEST_RUN.
 *
 * xvb_gen (live): XDP with BPF_F_TEST_XDP_LIVE_FRAMES: every run is one real
 * frame redirected into a veth. The frame is built once in user space; per packet one MAC (at
 * mac_off: the inner destination) is written whole: dmac_hi + a 24-bit index,
 * so the traffic spreads over nmacs FDB entries. Live frames are recycled
 * with whatever the previous run or a receiver left in them (the pass sink
 * rewrites destination MACs in place, and xdp_frame-backed skbs return their
 * pages to the test run's page pool), so the MAC is written on every run,
 * also when nmacs <= 1.
 *
 * The same holds for every header byte: a receiver that owns the skb alone
 * may write into the page in place. An ERSPAN mirror copy does: once the
 * forwarded original is freed, the clone is the page's only user, so
 * bpf_skb_change_head pushes the ERSPAN/GRE/IP/Ethernet header into the
 * page's headroom without a copy - right over the outer VXLAN headers the
 * frame came with. Recycled, such a page went out again as that stale ERSPAN
 * copy (to the peer's MAC, not the uplink's), and the decap rate "collapsed"
 * to one batch of fresh pages per test run. So the first hdr_len bytes (the
 * frame's headers) are rewritten from the template on every run too.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

const volatile __u32 out_ifindex = 0;
const volatile __u32 nmacs = 0;		/* 0/1: no rewrite */
const volatile __u32 mac_off = 0;	/* 0 (encap: plain frame), 50 or 70 (decap: inner, IPv4 or IPv6 outer) */
const volatile __u8 dmac[6] = {};	/* base; the last 3 bytes are the index */
#define XVB_HDR_MAX	128
const volatile __u32 hdr_len = 0;	/* template bytes rewritten per run (multiple of 8) */
const volatile __u64 hdr[XVB_HDR_MAX / 8] = {};	/* the frame's first XVB_HDR_MAX bytes */

#define TC_ACT_SHOT	2

__u32 seq = 0;				/* one generator thread: no atomics needed */

SEC("xdp")
int xvb_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *m = data + mac_off;
	__u64 *w = data;
	__u32 i = seq;

#pragma unroll
	for (int k = 0; k < XVB_HDR_MAX / 8; k++) {
		if ((__u32)(k + 1) * 8 > hdr_len || (void *)(w + k + 1) > data_end)
			break;
		w[k] = hdr[k];
	}
	if ((void *)(m + 6) > data_end)
		return XDP_DROP;
	if (nmacs > 1) {
		seq = i + 1 >= nmacs ? 0 : i + 1;
	} else {
		i = (__u32)dmac[3] << 16 | (__u32)dmac[4] << 8 | dmac[5];
	}
	m[0] = dmac[0];
	m[1] = dmac[1];
	m[2] = dmac[2];
	m[3] = i >> 16;
	m[4] = i >> 8;
	m[5] = i;
	return bpf_redirect(out_ifindex, 0);
}

/*
 * xvb_gen_clone (clone): TC, for kernels that refuse live frames. Every run
 * transmits one clone of the test run's skb on out_ifindex's egress. Clones
 * share the frame's data, and the kernel copies before anyone writes into a
 * cloned skb, so only the per-packet MAC is written here (bpf_skb_store_bytes
 * makes the skb writable first, unsharing it from a clone still in flight).
 */
SEC("tc")
int xvb_gen_clone(struct __sk_buff *skb)
{
	__u32 i = seq;
	__u8 m[3];

	if (nmacs > 1) {
		seq = i + 1 >= nmacs ? 0 : i + 1;
		m[0] = i >> 16;
		m[1] = i >> 8;
		m[2] = i;
		if (bpf_skb_store_bytes(skb, mac_off + 3, m, sizeof(m), 0))
			return TC_ACT_SHOT;
	}
	bpf_clone_redirect(skb, out_ifindex, 0);
	return TC_ACT_SHOT;	/* the test run's own skb goes nowhere */
}

char LICENSE[] SEC("license") = "GPL";
