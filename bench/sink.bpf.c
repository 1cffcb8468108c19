/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Receiver-side counting sinks (XDP on the receiving veth). One per-CPU
 * counter, shared by every device a sink is attached to; the bench reads it
 * before and after a fixed window.
 *   xvb_sink_drop  count, XDP_DROP
 *   xvb_sink_pass  count, set the destination MAC to sink_cfg.mac, XDP_PASS
 *                  (unused by run.sh: an skb that reached the veth as an skb
 *                  keeps the PACKET_OTHERHOST it was given before XDP ran,
 *                  so this only works for xdp_frames - not a fair sink)
 *   xvb_sink_stack TC ingress (after eth_type_trans): mark the frame as
 *                  addressed to this host, so frames sent to any FDB MAC
 *                  reach IP and UDP of the namespace; counted there (UDP MIB)
 *   xvb_sink_segs  TC ingress: count the packets a frame is on the wire (a
 *                  GSO packet's segments), drop. Unlike XDP on a veth it
 *                  leaves the sender's GSO on, as a NIC with segmentation
 *                  offload for the packet's type would
 * and the copy floor's forwarders (no VTEP; bench/run.sh copy_floor_point):
 *   xvb_fwd_one    XDP: every frame to xvb_out[0]
 *   xvb_fwd_copy   XDP: every frame broadcast to xvb_out[0] and [1], which
 *                  costs the kernel one xdpf_clone, as any XDP mirror copy does
 *   xvb_tc_one     TC: every frame redirected to xvb_ifx[0]'s egress
 *   xvb_tc_copy    TC: the same, after a bpf_clone_redirect to xvb_ifx[1]
 * and the encap floors' (bench/run.sh encap_floor_point, v6_point):
 *   xvb_tc_push    TC: xvb_tc_one after growing the frame by 50 bytes
 *   xvb_tc_push6   TC: the same by 70 bytes (an IPv6 underlay)
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "xvtep.h"	/* XVTEP_ENCAP_LEN, XVTEP_ENCAP_ADJ_FLAGS */

struct xvb_sink_cfg {
	__u8 mac[6];
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} xvb_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xvb_sink_cfg);
} xvb_cfg SEC(".maps");

static __always_inline void count(void)
{
	__u32 k = 0;
	__u64 *c = bpf_map_lookup_elem(&xvb_cnt, &k);

	if (c)
		(*c)++;
}

SEC("xdp")
int xvb_sink_drop(struct xdp_md *ctx)
{
	count();
	return XDP_DROP;
}

SEC("xdp")
int xvb_sink_pass(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 k = 0;
	struct xvb_sink_cfg *cfg = bpf_map_lookup_elem(&xvb_cfg, &k);

	count();
	if (cfg && data + 6 <= data_end)
		__builtin_memcpy(data, cfg->mac, 6);
	return XDP_PASS;
}

#define TC_ACT_OK	0
#define PACKET_HOST	0

SEC("tc")
int xvb_sink_stack(struct __sk_buff *skb)
{
	bpf_skb_change_type(skb, PACKET_HOST);
	return TC_ACT_OK;
}

#define TC_ACT_SHOT	2

SEC("tc")
int xvb_sink_segs(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *c = bpf_map_lookup_elem(&xvb_cnt, &k);

	if (c)
		*c += skb->gso_segs ? skb->gso_segs : 1;
	return TC_ACT_SHOT;
}

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} xvb_out SEC(".maps");

SEC("xdp")
int xvb_fwd_one(struct xdp_md *ctx)
{
	return bpf_redirect_map(&xvb_out, 0, 0);
}

SEC("xdp")
int xvb_fwd_copy(struct xdp_md *ctx)
{
	return bpf_redirect_map(&xvb_out, 0, BPF_F_BROADCAST);
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} xvb_ifx SEC(".maps");

static __always_inline __u32 ifx(__u32 k)
{
	__u32 *v = bpf_map_lookup_elem(&xvb_ifx, &k);

	return v ? *v : 0;
}

SEC("tc")
int xvb_tc_one(struct __sk_buff *skb)
{
	return bpf_redirect(ifx(0), 0);
}

SEC("tc")
int xvb_tc_copy(struct __sk_buff *skb)
{
	bpf_clone_redirect(skb, ifx(1), 0);
	return bpf_redirect(ifx(0), 0);
}

/* The encap floor's frames grown by a VXLAN encapsulation's 50 bytes the way
 * xvtep's TC encap grows them (the same adjust_room call), the new bytes left
 * unwritten: what the room costs on this path, the receiver's part included. */
SEC("tc")
int xvb_tc_push(struct __sk_buff *skb)
{
	if (bpf_skb_adjust_room(skb, XVTEP_ENCAP_LEN, BPF_ADJ_ROOM_MAC, XVTEP_ENCAP_ADJ_FLAGS))
		return TC_ACT_SHOT;
	return bpf_redirect(ifx(0), 0);
}

/* The same grown by an IPv6 underlay's 70 bytes (XVTEP_ENCAP6_LEN, with the
 * IPv6 encap flags): the IPv6 encap floor (bench/run.sh v6_point encap). */
SEC("tc")
int xvb_tc_push6(struct __sk_buff *skb)
{
	if (bpf_skb_adjust_room(skb, XVTEP_ENCAP6_LEN, BPF_ADJ_ROOM_MAC, XVTEP_ENCAP6_ADJ_FLAGS))
		return TC_ACT_SHOT;
	return bpf_redirect(ifx(0), 0);
}

char LICENSE[] SEC("license") = "GPL";
