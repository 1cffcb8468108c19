/* SPDX-License-Identifier: GPL-2.0 */
/* VXLAN on the wire (RFC 7348): parsing received frames, building outer headers. */
#ifndef XVTEP_BPF_VXLAN_H
#define XVTEP_BPF_VXLAN_H

#include "common.h"
#include "secure.h"
#include "stats.h"
#include "cache.h"

/* What parse_vxlan() learned about a frame it accepted as ours. */
struct vxlan_rx {
	__u32 vni;
	__be32 outer_src;
	__be32 outer_dst;
	__u32 inner_off;	/* offset of the inner Ethernet header */
	bool inner_tcp;		/* inner IPv4/IPv6 carries TCP */
	bool reserved_bits;	/* reserved VXLAN bits were set (ignored per RFC 7348 5) */
};

#define VXLAN_NOT_OURS	(-1)

/*
 * Classify a frame at the uplink. Returns VXLAN_NOT_OURS (pass untouched),
 * a drop reason, or XVTEP_DROP__MAX when rx is filled in.
 *
 * Ours means: IPv4 UDP to cfg_dstport, addressed to our VTEP address or to a
 * multicast group (the group is matched against the VNI later). Anything we
 * cannot tell apart (too short for the UDP port, outer fragments, invalid
 * IHL) is left to the stack: we never drop traffic that is not ours.
 *
 * frame_len is the whole frame: in TC, a GSO or paged skb has only its
 * headers in [data, data_end).
 *
 * Reserved bits: RFC 7348 says ignore on receipt; we do, and count them.
 * The I flag is required.
 */
static __always_inline int parse_vxlan(void *data, void *data_end, __u32 frame_len,
				       struct vxlan_rx *rx)
{
	struct ethhdr *eth = data;
	struct vxlan_hdr *vx;
	struct ethhdr *ieth;
	struct udphdr *udp;
	struct iphdr *ip;
	__u32 ihl, ip_len;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return VXLAN_NOT_OURS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_UDP_NR)
		return VXLAN_NOT_OURS;
	ihl = ip->ihl;
	if (ip->version != 4 || ihl < 5)
		return VXLAN_NOT_OURS;
	if (ip->daddr != cfg_local_ip && !ipv4_is_multicast(ip->daddr))
		return VXLAN_NOT_OURS;
	if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return VXLAN_NOT_OURS;
	udp = (void *)ip + ihl * 4;
	if ((void *)(udp + 1) > data_end || udp->dest != bpf_htons(cfg_dstport))
		return VXLAN_NOT_OURS;

	/* From here on the frame is addressed to our VXLAN port. */
	if (ip->saddr == cfg_local_ip)
		return XVTEP_DROP_OWN_SOURCE;
	/* No VTEP has 0.0.0.0 or a multicast/class E/broadcast address: learning
	 * one would store remote 0 (read back as a local port with ifindex 0) or a
	 * group as a unicast VTEP. */
	if (!ip->saddr || bpf_ntohl(ip->saddr) >= 0xe0000000)
		return XVTEP_DROP_MALFORMED;
	ip_len = bpf_ntohs(ip->tot_len);
	/* The inner frame needs 20 bytes after its Ethernet header: TC decap
	 * (bpf_skb_adjust_room) cannot shrink below that and would drop it only
	 * after learning; no real Ethernet frame is that short (60 bytes min). */
	if (ip_len < ihl * 4 + sizeof(*udp) + sizeof(*vx) + ETH_HLEN + 20 ||
	    ETH_HLEN + ip_len > frame_len ||
	    bpf_ntohs(udp->len) < sizeof(*udp) + sizeof(*vx) + ETH_HLEN + 20 ||
	    bpf_ntohs(udp->len) > ip_len - ihl * 4)
		return XVTEP_DROP_MALFORMED;
	vx = (void *)(udp + 1);
	ieth = (void *)(vx + 1);
	if ((void *)(ieth + 1) > data_end)
		return XVTEP_DROP_MALFORMED;
	if (!(vx->flags & VXLAN_I_FLAG))
		return XVTEP_DROP_NO_I_FLAG;

	rx->reserved_bits = (vx->flags & ~VXLAN_I_FLAG) || (vx->vni & bpf_htonl(0xff));
	rx->vni = bpf_ntohl(vx->vni) >> 8;
	rx->outer_src = ip->saddr;
	rx->outer_dst = ip->daddr;
	rx->inner_off = (void *)ieth - data;

	if (ieth->h_proto == bpf_htons(ETH_P_8021Q) || ieth->h_proto == bpf_htons(ETH_P_8021AD))
		return XVTEP_DROP_INNER_VLAN;

	rx->inner_tcp = false;
	if (ieth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iip = (void *)(ieth + 1);

		if ((void *)(iip + 1) <= data_end)
			rx->inner_tcp = iip->protocol == IPPROTO_TCP_NR;
	} else if (ieth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(ieth + 1);

		if ((void *)(ip6 + 1) <= data_end)
			rx->inner_tcp = ip6->nexthdr == IPPROTO_TCP_NR;
	}
	return XVTEP_DROP__MAX;
}

/* The source-mac and VNI checks both hooks make once the VNI is known. */
static __always_inline int vxlan_rx_check(const struct vxlan_rx *rx, const struct xvtep_vni *vcfg,
					  const struct ethhdr *ieth)
{
	if (!vcfg)
		return XVTEP_DROP_UNKNOWN_VNI;
	/* Multicast to a group this VNI does not use is not ours to take. */
	if (rx->outer_dst != cfg_local_ip && rx->outer_dst != vcfg->group)
		return XVTEP_DROP_UNKNOWN_VNI;
	if (peer_denied(rx->vni, vcfg, rx->outer_src))
		return XVTEP_DROP_PEER_DENIED;
	if (mac_is_multicast(ieth->h_source) || mac_is_zero(ieth->h_source))
		return XVTEP_DROP_BAD_SRC_MAC;
	return XVTEP_DROP__MAX;
}

/*
 * The decap hooks' common front: parse the frame, find its VNI, check it.
 * Returns VXLAN_NOT_OURS (pass it on untouched), a drop reason (already
 * counted), or XVTEP_DROP__MAX with rx, *vcfg, *st and *ieth set.
 * gen: xvtep_gen[0] to look the VNI up in the per-CPU cache (XDP only,
 * cache.h), or NULL for a direct lookup.
 */
static __always_inline int vxlan_rx_accept(void *data, void *data_end, __u32 frame_len,
					   struct vxlan_rx *rx, const struct xvtep_vni **vcfg,
					   struct xvtep_stats **st, struct ethhdr **ieth,
					   const struct xvtep_gen *gen)
{
	int verdict = parse_vxlan(data, data_end, frame_len, rx);

	if (verdict == VXLAN_NOT_OURS)
		return verdict;
	if (verdict != XVTEP_DROP__MAX) {
		count_drop_src(stats_get(NULL), 0, verdict, 0, evq_place(0, rx->outer_src));
		return verdict;
	}
	/* parse_vxlan checked this; the verifier needs to see it again */
	*ieth = data + (rx->inner_off & 0xff);
	if ((void *)(*ieth + 1) > data_end) {
		count_drop_src(stats_get(NULL), 0, XVTEP_DROP_MALFORMED, 0,
			       evq_place(0, rx->outer_src));
		return XVTEP_DROP_MALFORMED;
	}
	*vcfg = gen ? vni_lookup_cached(rx->vni, gen) : bpf_map_lookup_elem(&xvtep_vnis, &rx->vni);
	*st = stats_get(*vcfg);
	/* never XVTEP_DROP__MAX without a VNI configuration */
	verdict = vxlan_rx_check(rx, *vcfg, *ieth);
	if (verdict != XVTEP_DROP__MAX)
		count_drop_src(*st, rx->vni, verdict, evq_mac((*ieth)->h_source),
			       evq_place(0, rx->outer_src));
	return verdict;
}

/* A bijective 32-bit mix: the outer source port takes the high bits. */
static __always_inline __u32 flow_mix(__u32 h)
{
	h ^= h >> 16;
	h *= 0x7feb352d;
	h ^= h >> 15;
	h *= 0x846ca68b;
	h ^= h >> 16;
	return h;
}

/*
 * The inner flow's hash for the outer source port, from the headers alone:
 * both addresses and the protocol, and for TCP/UDP (not a fragment, not
 * behind IPv6 extension headers) both ports. TC and the XDP encap path use
 * it alike, so a flow keeps its outer source port (its underlay ECMP path)
 * whichever path a frame takes. In TC it also saves the flow dissector run
 * that bpf_get_hash_recalc costs on a frame that comes without a hash.
 * Returns -1 for non-IP frames or headers beyond DATA_END (the caller falls
 * back to the skb hash).
 */
static __always_inline int inner_flow_hash(const struct ethhdr *eth, const void *data_end,
					   __u32 *hash)
{
	const __u8 *l4;
	__u32 h = 0;
	__u8 proto;

	if ((void *)(eth + 1) > data_end)
		return -1;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		const struct iphdr *ip = (const void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->ihl < 5)
			return -1;
		proto = ip->protocol;
		h = ip->saddr ^ ip->daddr ^ proto;
		if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
			goto no_ports;
		l4 = (const __u8 *)ip + ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		const struct ipv6hdr *ip6 = (const void *)(eth + 1);
		const __u32 *a;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		a = (const __u32 *)&ip6->saddr;
#pragma unroll
		for (int i = 0; i < 8; i++)	/* both addresses */
			h ^= a[i];
		proto = ip6->nexthdr;
		h ^= proto;
		l4 = (const __u8 *)(ip6 + 1);
	} else {
		return -1;
	}
	if (proto != IPPROTO_TCP_NR && proto != IPPROTO_UDP_NR)
		goto no_ports;
	if ((void *)(l4 + 4) > data_end)
		return -1;
	h ^= *(const __u32 *)l4;	/* both ports */
no_ports:
	*hash = flow_mix(h);
	return 0;
}

/* Outer UDP source port: a hash of the inner flow, so ECMP in the underlay
 * spreads flows while each flow stays on one path (RFC 7348 5). */
static __always_inline __be16 vxlan_sport(__u32 flow_hash)
{
	__u32 range = (__u32)cfg_sport_max - cfg_sport_min + 1;

	return bpf_htons(cfg_sport_min + (__u16)(((__u64)flow_hash * range) >> 32));
}

#endif
