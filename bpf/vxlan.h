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
	__u32 inner_off;	/* offset of the inner Ethernet header */
	union xvtep_addr outer_src;	/* IPv4 mapped, or IPv6 */
	union xvtep_addr outer_dst;	/* meaningful when to_group */
	bool to_group;		/* to a multicast group, not to our address */
	bool outer6;		/* the outer header is IPv6 */
	bool inner_tcp;		/* inner IPv4/IPv6 carries TCP */
	bool reserved_bits;	/* reserved VXLAN bits were set (ignored per RFC 7348 5) */
};

#define VXLAN_NOT_OURS	(-1)

/* The IPv4 outer header: XVTEP_DROP__MAX with *udp, *l3_len (header) and
 * *ip_len (header and payload) set, VXLAN_NOT_OURS, or a drop reason. */
static __always_inline int parse_outer4(struct ethhdr *eth, void *data_end, struct vxlan_rx *rx,
					struct udphdr **udp, __u32 *l3_len, __u32 *ip_len)
{
	struct iphdr *ip = (void *)(eth + 1);
	__u32 ihl;

	if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_UDP_NR)
		return VXLAN_NOT_OURS;
	ihl = ip->ihl;
	if (ip->version != 4 || ihl < 5)
		return VXLAN_NOT_OURS;
	if (ip->daddr != cfg_local_ip && !ipv4_is_multicast(ip->daddr))
		return VXLAN_NOT_OURS;
	if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return VXLAN_NOT_OURS;
	*udp = (void *)ip + ihl * 4;
	if ((void *)(*udp + 1) > data_end || (*udp)->dest != bpf_htons(cfg_dstport))
		return VXLAN_NOT_OURS;

	/* From here on the frame is addressed to our VXLAN port. */
	xvtep_addr_set_v4(&rx->outer_src, ip->saddr);
	if (ip->saddr == cfg_local_ip)
		return XVTEP_DROP_OWN_SOURCE;
	/* No VTEP has 0.0.0.0 or a multicast/class E/broadcast address: learning
	 * one would store remote 0 (read back as a local port with ifindex 0) or a
	 * group as a unicast VTEP. */
	if (!ip->saddr || bpf_ntohl(ip->saddr) >= 0xe0000000)
		return XVTEP_DROP_MALFORMED;
	rx->to_group = ip->daddr != cfg_local_ip;
	xvtep_addr_set_v4(&rx->outer_dst, ip->daddr);
	*l3_len = ihl * 4;
	*ip_len = bpf_ntohs(ip->tot_len);
	return XVTEP_DROP__MAX;
}

/* The same for an IPv6 outer header. Extension headers are not ours: only
 * UDP directly after the fixed header is. */
static __always_inline int parse_outer6(struct ethhdr *eth, void *data_end, struct vxlan_rx *rx,
					struct udphdr **udp, __u32 *l3_len, __u32 *ip_len)
{
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	union xvtep_addr *src = &rx->outer_src;
	const __be32 *sa, *da;
	bool to_us;

	if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != IPPROTO_UDP_NR || ip6->version != 6)
		return VXLAN_NOT_OURS;
	da = ip6->daddr.in6_u.u6_addr32;
	to_us = ipv6_is_local(da);
	if (!to_us && ip6->daddr.in6_u.u6_addr8[0] != 0xff)
		return VXLAN_NOT_OURS;
	*udp = (void *)(ip6 + 1);
	if ((void *)(*udp + 1) > data_end || (*udp)->dest != bpf_htons(cfg_dstport))
		return VXLAN_NOT_OURS;

	/* From here on the frame is addressed to our VXLAN port. */
	sa = ip6->saddr.in6_u.u6_addr32;
	src->w[0] = sa[0];
	src->w[1] = sa[1];
	src->w[2] = sa[2];
	src->w[3] = sa[3];
	if (ipv6_is_local(src->w))
		return XVTEP_DROP_OWN_SOURCE;
	/* No VTEP sends from :: , ::1 or a multicast address, and none from
	 * an IPv4-mapped one: learned, that would alias an IPv4 VTEP. */
	if (src->b[0] == 0xff || (!src->w[0] && !src->w[1] &&
				   (src->w[2] == XVTEP_ADDR_V4_MARK ||
				    (!src->w[2] && !(src->w[3] & ~bpf_htonl(1))))))
		return XVTEP_DROP_MALFORMED;
	rx->to_group = !to_us;
	rx->outer_dst.w[0] = da[0];
	rx->outer_dst.w[1] = da[1];
	rx->outer_dst.w[2] = da[2];
	rx->outer_dst.w[3] = da[3];
	rx->outer6 = true;
	*l3_len = sizeof(*ip6);
	*ip_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	return XVTEP_DROP__MAX;
}

/*
 * Classify a frame at the uplink. Returns VXLAN_NOT_OURS (pass untouched),
 * a drop reason, or XVTEP_DROP__MAX when rx is filled in.
 *
 * Ours means: IPv4 or IPv6 UDP to cfg_dstport, addressed to our VTEP
 * address of that family (an instance without one takes none of that
 * family) or to a multicast group (the group is matched against the VNI
 * later). Anything we cannot tell apart (too short for the UDP port, outer
 * fragments, invalid IHL, IPv6 extension headers) is left to the stack: we
 * never drop traffic that is not ours. The outer UDP checksum is not
 * verified (zero or not: RFC 6935, the inner checksums protect the payload).
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
	struct udphdr *udp = NULL;
	struct vxlan_hdr *vx;
	struct ethhdr *ieth;
	__u32 l3_len = 0, ip_len = 0;
	int verdict;

	if ((void *)(eth + 1) > data_end)
		return VXLAN_NOT_OURS;
	if (eth->h_proto == bpf_htons(ETH_P_IP) && local4_set())
		verdict = parse_outer4(eth, data_end, rx, &udp, &l3_len, &ip_len);
	else if (eth->h_proto == bpf_htons(ETH_P_IPV6) && local6_set())
		verdict = parse_outer6(eth, data_end, rx, &udp, &l3_len, &ip_len);
	else
		return VXLAN_NOT_OURS;
	if (verdict != XVTEP_DROP__MAX)
		return verdict;
	if (!udp || (void *)(udp + 1) > data_end)
		return XVTEP_DROP_MALFORMED;	/* the parsers checked; the verifier needs it */

	/* The inner frame needs 20 bytes after its Ethernet header: TC decap
	 * (bpf_skb_adjust_room) cannot shrink below that and would drop it only
	 * after learning; no real Ethernet frame is that short (60 bytes min). */
	if (ip_len < l3_len + sizeof(*udp) + sizeof(*vx) + ETH_HLEN + 20 ||
	    ETH_HLEN + ip_len > frame_len ||
	    bpf_ntohs(udp->len) < sizeof(*udp) + sizeof(*vx) + ETH_HLEN + 20 ||
	    bpf_ntohs(udp->len) > ip_len - l3_len)
		return XVTEP_DROP_MALFORMED;
	vx = (void *)(udp + 1);
	ieth = (void *)(vx + 1);
	if ((void *)(ieth + 1) > data_end)
		return XVTEP_DROP_MALFORMED;
	if (!(vx->flags & VXLAN_I_FLAG))
		return XVTEP_DROP_NO_I_FLAG;

	rx->reserved_bits = (vx->flags & ~VXLAN_I_FLAG) || (vx->vni & bpf_htonl(0xff));
	rx->vni = bpf_ntohl(vx->vni) >> 8;
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

/*
 * parse_vxlan() as a global function per hook type: the verifier checks the
 * parse once, on its own, and the hook sees one state after it whatever the
 * outer family, instead of walking the rest of the program once per way
 * through the parse (IPv4 and IPv6 headers leave different packet ranges
 * and offsets behind: the two would not prune each other, and the whole
 * decap path would be verified twice). The price is one BPF-to-BPF call
 * per frame. RX is the caller's (zeroed); the hook takes the inner frame's
 * offset from it and checks its bounds again. A drop is counted here,
 * where the verifier knows the reason (an index into the counters).
 *
 * Everything the hook branches on comes back in the return value
 * (vxlan_rx_unpack): the verifier makes no assumption about a scalar
 * returned, while what a global function wrote through a pointer into the
 * caller's stack is not tracked alike by every kernel (older ones may
 * keep believing the caller's zeroes). Only the addresses, which nothing
 * branches on by value, travel in RX.
 */
#define VXLAN_RX_TO_GROUP	(1ULL << 16)
#define VXLAN_RX_OUTER6		(1ULL << 17)
#define VXLAN_RX_INNER_TCP	(1ULL << 18)
#define VXLAN_RX_RESERVED	(1ULL << 19)

static __always_inline __u64 parse_vxlan_packed(void *data, void *data_end, __u32 frame_len,
						 struct vxlan_rx *rx)
{
	int verdict = parse_vxlan(data, data_end, frame_len, rx);

	if (verdict != VXLAN_NOT_OURS && verdict != XVTEP_DROP__MAX)
		count_drop_src(stats_get(NULL), 0, verdict, 0, 0, &rx->outer_src);
	return (__u64)((verdict + 1) & 0xff) | (__u64)(rx->inner_off & 0xff) << 8 |
	       (rx->to_group ? VXLAN_RX_TO_GROUP : 0) | (rx->outer6 ? VXLAN_RX_OUTER6 : 0) |
	       (rx->inner_tcp ? VXLAN_RX_INNER_TCP : 0) |
	       (rx->reserved_bits ? VXLAN_RX_RESERVED : 0) |
	       (__u64)(rx->vni & XVTEP_VNI_MAX) << 32;
}

/* The verdict parse_vxlan() returned, and RX's scalars, from R. */
static __always_inline int vxlan_rx_unpack(__u64 r, struct vxlan_rx *rx)
{
	rx->inner_off = (r >> 8) & 0xff;
	rx->to_group = !!(r & VXLAN_RX_TO_GROUP);
	rx->outer6 = !!(r & VXLAN_RX_OUTER6);
	rx->inner_tcp = !!(r & VXLAN_RX_INNER_TCP);
	rx->reserved_bits = !!(r & VXLAN_RX_RESERVED);
	rx->vni = (r >> 32) & XVTEP_VNI_MAX;
	return (int)(r & 0xff) - 1;
}

__attribute__((noinline)) __u64 vxlan_parse_xdp(struct xdp_md *ctx, struct vxlan_rx *rx)
{
	void *data, *data_end;

	if (!ctx || !rx)
		return 0;	/* VXLAN_NOT_OURS */
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	return parse_vxlan_packed(data, data_end, data_end - data, rx);
}

__attribute__((noinline)) __u64 vxlan_parse_tc(struct __sk_buff *skb, struct vxlan_rx *rx)
{
	if (!skb || !rx)
		return 0;	/* VXLAN_NOT_OURS */
	return parse_vxlan_packed((void *)(long)skb->data, (void *)(long)skb->data_end, skb->len,
				  rx);
}

/* The source-mac and VNI checks both hooks make once the VNI is known. */
static __always_inline int vxlan_rx_check(const struct vxlan_rx *rx, const struct xvtep_vni *vcfg,
					  const struct ethhdr *ieth)
{
	if (!vcfg)
		return XVTEP_DROP_UNKNOWN_VNI;
	/* Multicast to a group this VNI does not use is not ours to take. */
	if (rx->to_group && !xvtep_addr_equal(&rx->outer_dst, &vcfg->group))
		return XVTEP_DROP_UNKNOWN_VNI;
	if (peer_denied(rx->vni, vcfg, &rx->outer_src))
		return XVTEP_DROP_PEER_DENIED;
	if (mac_is_multicast(ieth->h_source) || mac_is_zero(ieth->h_source))
		return XVTEP_DROP_BAD_SRC_MAC;
	return XVTEP_DROP__MAX;
}

/*
 * The decap hooks' common front: parse the frame, find its VNI, check it.
 * Returns VXLAN_NOT_OURS (pass it on untouched), a drop reason (already
 * counted; a drop of the parse's reads as malformed), or XVTEP_DROP__MAX
 * with rx, *vcfg, *st and *ieth set.
 * verdict: what vxlan_parse_xdp/_tc() said (a drop: counted there);
 * data, data_end: read from the
 * context after it. gen: xvtep_gen[0] to look the VNI up in the per-CPU
 * cache (XDP only, cache.h), or NULL for a direct lookup.
 */
static __always_inline int vxlan_rx_accept(int verdict, void *data, void *data_end,
					   struct vxlan_rx *rx, const struct xvtep_vni **vcfg,
					   struct xvtep_stats **st, struct ethhdr **ieth,
					   const struct xvtep_gen *gen)
{
	/* Constants from here: a verdict the verifier knows on each path. */
	if (verdict == VXLAN_NOT_OURS)
		return VXLAN_NOT_OURS;
	if (verdict != XVTEP_DROP__MAX)
		return XVTEP_DROP_MALFORMED;	/* a drop the parse counted (any reason) */
	/* parse_vxlan checked this; the verifier needs to see it again */
	*ieth = data + (rx->inner_off & 0xff);
	if ((void *)(*ieth + 1) > data_end) {
		count_drop_src(stats_get(NULL), 0, XVTEP_DROP_MALFORMED, 0, 0, &rx->outer_src);
		return XVTEP_DROP_MALFORMED;
	}
	*vcfg = gen ? vni_lookup_cached(rx->vni, gen) : bpf_map_lookup_elem(&xvtep_vnis, &rx->vni);
	*st = stats_get(*vcfg);
	/* never XVTEP_DROP__MAX without a VNI configuration */
	verdict = vxlan_rx_check(rx, *vcfg, *ieth);
	if (verdict != XVTEP_DROP__MAX)
		count_drop_src(*st, rx->vni, verdict, evq_mac((*ieth)->h_source), 0,
			       &rx->outer_src);
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
