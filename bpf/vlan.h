/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VLAN gateway (docs/vlan-gateway.md): trunk ports carry VNIs as 802.1Q
 * VIDs. In TC the kernel has already taken the tag out of the frame
 * (skb_vlan_untag) into skb->vlan_tci, and a pushed tag stays there too
 * (offloaded, as VLAN devices send it): tagging and untagging cost no
 * packet copy, and a veth peer or a NIC puts it on the wire. XDP sees no
 * offloaded tag and cannot tag per port: trunks are TC-only (lib/maps.c
 * keeps them out of xvtep_devmap, xdp_port.c passes their frames).
 * The noinline functions are global: the verifier checks each once, where
 * inlined into the port program's paths and flood loops they multiplied its
 * states (581k verified instructions instead of 347k).
 */
#ifndef XVTEP_BPF_VLAN_H
#define XVTEP_BPF_VLAN_H

#include "common.h"
#include "stats.h"

#define VLAN_VID_MASK	0x0fff

/* {trunk ifindex, vid} -> vni */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_VLAN_MAPS);
	__type(key, struct xvtep_vlan_key);
	__type(value, __u32);
} xvtep_vlan_in SEC(".maps");

/* {trunk ifindex, vni} -> vid */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_VLAN_MAPS);
	__type(key, struct xvtep_vlan_key);
	__type(value, __u32);
} xvtep_vlan_out SEC(".maps");

/*
 * The VNI of a frame received on trunk IN_IFINDEX, its tag removed: a
 * mapped 802.1Q VID, or NATIVE (0 = none) for an untagged or priority-tagged
 * (VID 0) frame. 0 = dropped here and counted on the global slot: no VNI
 * yet. An 802.1ad outer tag is refused: the gateway maps customer tags
 * only, and a service tag's inner tag would otherwise be taken for the
 * VNI's own frame.
 */
__attribute__((noinline)) __u32 vlan_trunk_rx(struct __sk_buff *skb, __u32 native, __u32 in_ifindex)
{
	struct xvtep_vlan_key k = { .ifindex = in_ifindex };
	__u32 vni, *mapped, proto = 0, tci = 0;
	enum xvtep_drop reason;

	if (!skb)
		return 0;
	if (skb->vlan_present) {
		proto = skb->vlan_proto;
		tci = skb->vlan_tci;
	} else {
		/* A tag still in the frame: one handed to TC without the
		 * receive path's untagging (BPF_PROG_TEST_RUN does that). */
		void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
		struct ethhdr *eth = data;
		__be16 *t = data + ETH_HLEN;

		if ((void *)(t + 1) <= data_end && (eth->h_proto == bpf_htons(ETH_P_8021Q) ||
						     eth->h_proto == bpf_htons(ETH_P_8021AD))) {
			proto = eth->h_proto;
			tci = bpf_ntohs(*t);
		}
	}
	if (proto && proto != bpf_htons(ETH_P_8021Q)) {
		reason = XVTEP_DROP_VLAN_QINQ;
		goto drop;
	}
	k.id = tci & VLAN_VID_MASK;
	if (k.id) {
		mapped = bpf_map_lookup_elem(&xvtep_vlan_in, &k);
		if (!mapped) {
			reason = XVTEP_DROP_VLAN_UNMAPPED;
			goto drop;
		}
		vni = *mapped;
	} else {
		vni = native;
		if (!vni) {
			reason = XVTEP_DROP_VLAN_UNTAGGED;
			goto drop;
		}
	}
	/* A second tag, if any, becomes the offloaded one: the port program
	 * then refuses it as inner_vlan, as on an access port. */
	if (proto && bpf_skb_vlan_pop(skb)) {
		reason = XVTEP_DROP_MALFORMED;
		goto drop;
	}
	return vni;
drop:
	count_drop_src(stats_get(NULL), 0, reason, 0, in_ifindex, NULL);
	return 0;
}

/* Tag the frame for port IFINDEX in VNI (VFLAGS: the VNI's xvtep_vni.flags):
 * 1 tagged, 0 nothing to do (an access port, or the trunk's native VNI), -1
 * failed (the frame must not go out untagged: it would land in the trunk's
 * native VLAN). */
__attribute__((noinline)) int vlan_tx_tag(struct __sk_buff *skb, __u32 vni, __u32 vflags,
					   __u32 ifindex)
{
	struct xvtep_vlan_key k = { .ifindex = ifindex, .id = vni };
	__u32 *vid;

	if (!skb || !(vflags & XVTEP_VNI_F_TAGGED))
		return 0;
	vid = bpf_map_lookup_elem(&xvtep_vlan_out, &k);
	if (!vid)
		return 0;
	return bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), *vid & VLAN_VID_MASK) ? -1 : 1;
}

/* One flood copy to port IFINDEX, tagged as that port carries VNI; the tag
 * comes off again before the next copy. 0 or a drop reason. */
__attribute__((noinline)) int vlan_clone_redirect(struct __sk_buff *skb, __u32 vni, __u32 vflags,
						   __u32 ifindex)
{
	int tagged = vlan_tx_tag(skb, vni, vflags, ifindex);
	long err;

	if (!skb || tagged < 0)
		return XVTEP_DROP_ENCAP_FAILED;
	err = bpf_clone_redirect(skb, ifindex, 0);
	if (tagged)
		bpf_skb_vlan_pop(skb);	/* offloaded tag: only cleared, cannot fail */
	return err ? XVTEP_DROP_REDIRECT_FAILED : 0;
}

/* A flood copy, its failure counted. The reasons are constants here: an
 * index the verifier cannot bound would be refused. */
static __always_inline void vlan_flood_copy(struct __sk_buff *skb, const struct xvtep_vni *vcfg,
					    __u32 vni, __u32 ifindex, struct xvtep_stats *st)
{
	int err = vlan_clone_redirect(skb, vni, vcfg->flags, ifindex);

	if (err == XVTEP_DROP_ENCAP_FAILED)
		count_drop(st, vni, XVTEP_DROP_ENCAP_FAILED);
	else if (err)
		count_drop(st, vni, XVTEP_DROP_REDIRECT_FAILED);
}

/* The frame itself to port IFINDEX (tagged for a trunk): a TC verdict. */
static __always_inline int vlan_redirect(struct __sk_buff *skb, const struct xvtep_vni *vcfg,
					 __u32 vni, __u32 ifindex, struct xvtep_stats *st)
{
	if (vlan_tx_tag(skb, vni, vcfg->flags, ifindex) < 0) {
		count_drop(st, vni, XVTEP_DROP_ENCAP_FAILED);
		return TC_ACT_SHOT;
	}
	return bpf_redirect(ifindex, 0);
}

#endif
