/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VM-facing port TC ingress: learn the sender, switch to a local port of the
 * same VNI, or encapsulate toward the remote VTEP; on VNIs with neighbour
 * suppression, answer ARP/NS from xvtep_neigh first (neigh.h). BUM frames go
 * to the other local ports and once to the VNI's group and/or each head-end
 * replica.
 *
 * The underlay is IPv4 or IPv6 per destination (a VTEP's or group's
 * address family). The IPv4 outer header is built inline here, as ever;
 * the IPv6 one by encap_target6(), a global function the verifier checks
 * once, and so is a flood's IPv6 part (encap_flood6()).
 */

/* The part of the outer header that is the same for every copy. */
struct encap_tail {
	struct udphdr udp;
	struct vxlan_hdr vx;
	struct ethhdr inner;
} __attribute__((packed));

/* Grow the frame by XVTEP_ENCAP_LEN (XVTEP_ENCAP6_LEN when V6: an IPv6
 * outer header) in front of the inner Ethernet header and fill in UDP,
 * VXLAN and the inner Ethernet header; IP and outer Ethernet differ per
 * destination and are written by encap_target() / encap_target6().
 * IP frames grow with bpf_skb_adjust_room and the ENCAP flags, so GSO
 * packets segment as VXLAN and checksum offload keeps working; the helper
 * refuses other protocols (ARP...), which are never GSO: those get their
 * room from bpf_skb_change_head. *HASH: the inner flow's hash (the UDP
 * source port, and the IPv6 flow label). */
static __always_inline int encap_push(struct __sk_buff *skb, __u32 vni, const struct ethhdr *inner,
				      bool v6, __u32 *hash_out)
{
	struct encap_tail tail;
	__u32 inner_len = skb->len, hash;
	void *data;
	long err;

	if (inner_flow_hash((void *)(long)skb->data, (void *)(long)skb->data_end, &hash))
		hash = bpf_get_hash_recalc(skb);
	tail.udp.source = vxlan_sport(hash);
	tail.udp.dest = bpf_htons(cfg_dstport);
	tail.udp.len = bpf_htons(inner_len + sizeof(struct udphdr) + sizeof(struct vxlan_hdr));
	tail.udp.check = 0;	/* RFC 7348: zero is allowed over IPv4, and GSO-friendly */
	tail.vx.flags = VXLAN_I_FLAG;
	tail.vx.vni = bpf_htonl(vni << 8);
	__builtin_memcpy(&tail.inner, inner, sizeof(tail.inner));

	*hash_out = hash;

	if (skb->protocol == bpf_htons(ETH_P_IP) || skb->protocol == bpf_htons(ETH_P_IPV6))
		err = v6 ? bpf_skb_adjust_room(skb, XVTEP_ENCAP6_LEN, BPF_ADJ_ROOM_MAC,
					       XVTEP_ENCAP6_ADJ_FLAGS) :
			   bpf_skb_adjust_room(skb, XVTEP_ENCAP_LEN, BPF_ADJ_ROOM_MAC,
					       XVTEP_ENCAP_ADJ_FLAGS);
	else if (!skb->gso_size)
		err = bpf_skb_change_head(skb, v6 ? XVTEP_ENCAP6_LEN : XVTEP_ENCAP_LEN, 0);
	else
		err = -1;
	if (err)
		return -1;
	/* Both helpers grow the linear head and leave it uncloned: the outer
	 * headers and the inner Ethernet header are there, writable in place. */
	data = (void *)(long)skb->data;
	if (v6) {
		if (data + ETH_HLEN + sizeof(struct ipv6hdr) + sizeof(tail) >
		    (void *)(long)skb->data_end)
			return -1;
		__builtin_memcpy(data + ETH_HLEN + sizeof(struct ipv6hdr), &tail, sizeof(tail));
		return 0;
	}
	if (data + ETH_HLEN + sizeof(struct iphdr) + sizeof(tail) > (void *)(long)skb->data_end)
		return -1;
	__builtin_memcpy(data + ETH_HLEN + sizeof(struct iphdr), &tail, sizeof(tail));
	return 0;
}

/* The outer Ethernet and IPv4 headers, written in place (see encap_push;
 * bpf_clone_redirect, too, leaves the frame it clones writable). */
static __always_inline int outer_write(struct __sk_buff *skb, const struct ethhdr *eth,
				       const struct iphdr *ip)
{
	void *data = (void *)(long)skb->data;

	if (data + ETH_HLEN + sizeof(*ip) > (void *)(long)skb->data_end)
		return -1;
	__builtin_memcpy(data, eth, ETH_HLEN);
	__builtin_memcpy(data + ETH_HLEN, ip, sizeof(*ip));
	return 0;
}

/* Frame too big for the egress device once encapsulated (never fragmented). */
static __always_inline bool encap_too_big(struct __sk_buff *skb, __u32 ifindex)
{
	__u32 mtu = 0;
	long rc;

	rc = bpf_check_mtu(skb, ifindex, &mtu, 0, skb->gso_size ? BPF_MTU_CHK_SEGS : 0);
	return rc == BPF_MTU_CHK_RET_FRAG_NEEDED || rc == BPF_MTU_CHK_RET_SEGS_TOOBIG;
}

enum target_how { TARGET_CLONE, TARGET_LAST };

/*
 * Address the (already grown) frame to one VTEP or group and send it: a
 * clone, or the frame itself for the last copy. Routes and neighbours come
 * from the kernel: bpf_fib_lookup, and bpf_redirect_neigh when the neighbour
 * is not resolved yet (only possible for the frame itself, not a clone).
 * Returns a TC verdict for TARGET_LAST, 0 or a drop reason for clones.
 * Clones and non-IP frames (ARP) need a resolved neighbour: userspace keeps
 * a managed neighbour entry for every configured remote (lib/netlink.c);
 * toward a learned remote whose neighbour is unresolved they are counted
 * neigh_unresolved drops.
 * DST: an IPv4 (mapped) address; the frame grew by XVTEP_ENCAP_LEN.
 */
static __always_inline int encap_target(struct __sk_buff *skb, __u32 vni,
					const union xvtep_addr *dst, __u8 ttl_cfg,
					enum target_how how, struct xvtep_stats *st)
{
	__be32 daddr = dst->w[3];
	struct bpf_fib_lookup fib = {};
	struct ethhdr eth;
	struct iphdr ip = {};
	__u32 ifindex;
	long rc = 0;
	/* bpf_redirect_neigh routes by skb->protocol: only IP-typed skbs. */
	bool can_route = skb->protocol == bpf_htons(ETH_P_IP);

	ip.version = 4;
	ip.ihl = 5;
	ip.tot_len = bpf_htons(skb->len - ETH_HLEN);
	ip.frag_off = bpf_htons(IP_DF);
	ip.protocol = IPPROTO_UDP_NR;
	ip.saddr = cfg_local_ip;
	ip.daddr = daddr;

	if (ipv4_is_multicast(daddr)) {
		__u32 g = bpf_ntohl(daddr);

		ip.ttl = ttl_cfg ? ttl_cfg : XVTEP_TTL_GROUP_DEFAULT;
		/* RFC 1112 mapping: the MAC follows from the group, not typed in. */
		eth.h_dest[0] = 0x01;
		eth.h_dest[1] = 0x00;
		eth.h_dest[2] = 0x5e;
		eth.h_dest[3] = (g >> 16) & 0x7f;
		eth.h_dest[4] = (g >> 8) & 0xff;
		eth.h_dest[5] = g & 0xff;
		/* Volatile reads: a plain memcpy lets clang fold in the zero initializer. */
#pragma unroll
		for (int i = 0; i < ETH_ALEN; i++)
			eth.h_source[i] = cfg_uplink_mac[i];
		ifindex = cfg_uplink_ifindex;
	} else {
		ip.ttl = ttl_cfg ? ttl_cfg : XVTEP_TTL_DEFAULT;
		fib.family = AF_INET_NR;
		fib.l4_protocol = IPPROTO_UDP_NR;
		fib.ipv4_src = cfg_local_ip;
		fib.ipv4_dst = daddr;
		fib.ifindex = skb->ingress_ifindex;
		/* An input lookup from the VM port: the kernel insists on IPv4
		 * forwarding on the lookup's device (`port add` turns it on; the
		 * port program consumes every frame, so the stack never forwards
		 * anything for it). Without it, the frame itself can still be
		 * routed by bpf_redirect_neigh; clones cannot. */
		rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
		if (rc == BPF_FIB_LKUP_RET_FWD_DISABLED && how == TARGET_LAST && can_route)
			goto store_and_route;
		if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED)
			goto drop_mtu;
		if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH) {
			count_drop_src(st, vni, XVTEP_DROP_NO_ROUTE, 0, 0, dst);
			return how == TARGET_LAST ? TC_ACT_SHOT : XVTEP_DROP_NO_ROUTE;
		}
		ifindex = fib.ifindex;
		if (rc == BPF_FIB_LKUP_RET_NO_NEIGH && (how == TARGET_CLONE || !can_route)) {
			count_drop_src(st, vni, XVTEP_DROP_NEIGH_UNRESOLVED, 0, 0,
				       dst);
			return how == TARGET_LAST ? TC_ACT_SHOT : XVTEP_DROP_NEIGH_UNRESOLVED;
		}
		__builtin_memcpy(eth.h_dest, fib.dmac, ETH_ALEN);
		__builtin_memcpy(eth.h_source, fib.smac, ETH_ALEN);
	}
	eth.h_proto = bpf_htons(ETH_P_IP);
	ip.check = ipv4_csum(&ip);

	if (encap_too_big(skb, ifindex))
		goto drop_mtu;
	if (outer_write(skb, &eth, &ip)) {
		count_drop_src(st, vni, XVTEP_DROP_ENCAP_FAILED, 0, 0, dst);
		return how == TARGET_LAST ? TC_ACT_SHOT : XVTEP_DROP_ENCAP_FAILED;
	}

	count_tx(st, skb->len);
	if (how == TARGET_CLONE) {
		if (bpf_clone_redirect(skb, ifindex, 0)) {
			count_drop_src(st, vni, XVTEP_DROP_REDIRECT_FAILED, 0, 0, dst);
			return XVTEP_DROP_REDIRECT_FAILED;
		}
		return 0;
	}
	if (!ipv4_is_multicast(daddr) && fib.dmac[0] == 0 && rc == BPF_FIB_LKUP_RET_NO_NEIGH) {
		struct bpf_redir_neigh nh = {
			.nh_family = AF_INET_NR,
			.ipv4_nh = fib.ipv4_dst,
		};

		return bpf_redirect_neigh(ifindex, &nh, sizeof(nh), 0);
	}
	return bpf_redirect(ifindex, 0);

store_and_route:
	/* bpf_redirect_neigh fills in both MACs but refuses a multicast
	 * destination: clear what the inner header left there. */
	__builtin_memset(&eth, 0, sizeof(eth));
	eth.h_proto = bpf_htons(ETH_P_IP);
	ip.check = ipv4_csum(&ip);
	if (encap_too_big(skb, cfg_uplink_ifindex))
		goto drop_mtu;
	if (outer_write(skb, &eth, &ip)) {
		count_drop_src(st, vni, XVTEP_DROP_ENCAP_FAILED, 0, 0, dst);
		return TC_ACT_SHOT;
	}
	count_tx(st, skb->len);
	return bpf_redirect_neigh(cfg_uplink_ifindex, NULL, 0, 0);

drop_mtu:
	count_drop_src(st, vni, XVTEP_DROP_MTU, 0, 0, dst);
	return how == TARGET_LAST ? TC_ACT_SHOT : XVTEP_DROP_MTU;
}

/* The IPv6 outer Ethernet and IPv6 headers, two bytes in: the IPv6 header
 * then sits 4-byte aligned on the stack, where the verifier wants aligned
 * accesses; eth and ip6 are contiguous (OUTER6_LEN bytes from eth). */
struct outer6_hdr {
	__u8 lead[2];
	struct ethhdr eth;
	struct ipv6hdr ip6;
} __attribute__((aligned(8)));

#define OUTER6_LEN	(ETH_HLEN + sizeof(struct ipv6hdr))
_Static_assert(__builtin_offsetof(struct outer6_hdr, ip6) == 2 + ETH_HLEN, "outer6 layout");

/* encap_target6's ARGS: the VNI, the VNI's ttl setting and how. */
#define TARGET6_ARGS(vni, ttl, how)	((__u64)(vni) | (__u64)(ttl) << 32 | (__u64)(how) << 40)

/*
 * encap_target() for an IPv6 destination DST (a VTEP or an ff00::/8 group)
 * of a frame grown by XVTEP_ENCAP6_LEN: the outer IPv6 header has traffic
 * class 0, the flow label HASH's low 20 bits (the inner flow's, as the UDP
 * source port), hop limit the VNI's ttl (64, 1 toward a group), and the UDP
 * checksum stays zero (RFC 6935/6936; a kernel vxlan peer needs
 * udp6zerocsumrx). A group's MAC is 33:33 and its low 32 bits (RFC 2464).
 * ARGS: TARGET6_ARGS(). Returns as encap_target().
 * Global: the verifier checks it once, not at every call site.
 */
__attribute__((noinline)) int encap_target6(struct __sk_buff *skb, __u64 args,
					    const union xvtep_addr *dst, __u32 hash,
					    struct xvtep_stats *st)
{
	__u32 vni = args & XVTEP_VNI_MAX, ifindex;
	__u8 ttl_cfg = args >> 32;
	bool last = (args >> 40) & 1;
	struct bpf_fib_lookup fib = {};
	struct outer6_hdr h;
	__be32 w0;
	bool can_route;
	long rc = 0;

	if (!skb || !dst)
		return last ? TC_ACT_SHOT : XVTEP_DROP_NO_ROUTE;
	/* bpf_redirect_neigh routes by skb->protocol: only IP-typed skbs. */
	can_route = skb->protocol == bpf_htons(ETH_P_IPV6);

	w0 = bpf_htonl(6U << 28 | (hash & 0xfffff));
	__builtin_memcpy(&h.ip6, &w0, sizeof(w0));
	h.ip6.payload_len = bpf_htons(skb->len - OUTER6_LEN);
	h.ip6.nexthdr = IPPROTO_UDP_NR;
	h.ip6.saddr.in6_u.u6_addr32[0] = cfg_local_ip6[0];
	h.ip6.saddr.in6_u.u6_addr32[1] = cfg_local_ip6[1];
	h.ip6.saddr.in6_u.u6_addr32[2] = cfg_local_ip6[2];
	h.ip6.saddr.in6_u.u6_addr32[3] = cfg_local_ip6[3];
	h.ip6.daddr.in6_u.u6_addr32[0] = dst->w[0];
	h.ip6.daddr.in6_u.u6_addr32[1] = dst->w[1];
	h.ip6.daddr.in6_u.u6_addr32[2] = dst->w[2];
	h.ip6.daddr.in6_u.u6_addr32[3] = dst->w[3];

	if (dst->b[0] == 0xff) {
		h.ip6.hop_limit = ttl_cfg ? ttl_cfg : XVTEP_TTL_GROUP_DEFAULT;
		/* RFC 2464 7: 33:33 and the group's low 32 bits. */
		h.eth.h_dest[0] = 0x33;
		h.eth.h_dest[1] = 0x33;
		h.eth.h_dest[2] = dst->b[12];
		h.eth.h_dest[3] = dst->b[13];
		h.eth.h_dest[4] = dst->b[14];
		h.eth.h_dest[5] = dst->b[15];
		/* Volatile reads: a plain memcpy lets clang fold in the zero initializer. */
#pragma unroll
		for (int i = 0; i < ETH_ALEN; i++)
			h.eth.h_source[i] = cfg_uplink_mac[i];
		ifindex = cfg_uplink_ifindex;
	} else {
		h.ip6.hop_limit = ttl_cfg ? ttl_cfg : XVTEP_TTL_DEFAULT;
		fib.family = AF_INET6_NR;
		fib.l4_protocol = IPPROTO_UDP_NR;
		__builtin_memcpy(fib.ipv6_src, &h.ip6.saddr, 16);
		__builtin_memcpy(fib.ipv6_dst, &h.ip6.daddr, 16);
		fib.ifindex = skb->ingress_ifindex;
		/* As for IPv4: an input lookup from the VM port, which needs IPv6
		 * forwarding on it (`port add` turns it on). */
		rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
		if (rc == BPF_FIB_LKUP_RET_FWD_DISABLED && last && can_route)
			goto store_and_route;
		if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED)
			goto drop_mtu;
		if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH) {
			count_drop_src(st, vni, XVTEP_DROP_NO_ROUTE, 0, 0, dst);
			return last ? TC_ACT_SHOT : XVTEP_DROP_NO_ROUTE;
		}
		ifindex = fib.ifindex;
		if (rc == BPF_FIB_LKUP_RET_NO_NEIGH && (!last || !can_route)) {
			count_drop_src(st, vni, XVTEP_DROP_NEIGH_UNRESOLVED, 0, 0, dst);
			return last ? TC_ACT_SHOT : XVTEP_DROP_NEIGH_UNRESOLVED;
		}
		__builtin_memcpy(h.eth.h_dest, fib.dmac, ETH_ALEN);
		__builtin_memcpy(h.eth.h_source, fib.smac, ETH_ALEN);
	}
	h.eth.h_proto = bpf_htons(ETH_P_IPV6);

	/* The frame already holds its 70 bytes of outer headers. */
	if (encap_too_big(skb, ifindex))
		goto drop_mtu;
	if (bpf_skb_store_bytes(skb, 0, &h.eth, OUTER6_LEN, 0)) {
		count_drop_src(st, vni, XVTEP_DROP_ENCAP_FAILED, 0, 0, dst);
		return last ? TC_ACT_SHOT : XVTEP_DROP_ENCAP_FAILED;
	}

	count_tx(st, skb->len);
	if (!last) {
		if (bpf_clone_redirect(skb, ifindex, 0)) {
			count_drop_src(st, vni, XVTEP_DROP_REDIRECT_FAILED, 0, 0, dst);
			return XVTEP_DROP_REDIRECT_FAILED;
		}
		return 0;
	}
	if (dst->b[0] != 0xff && rc == BPF_FIB_LKUP_RET_NO_NEIGH) {
		struct bpf_redir_neigh nh = { .nh_family = AF_INET6_NR };

		__builtin_memcpy(nh.ipv6_nh, fib.ipv6_dst, 16);
		return bpf_redirect_neigh(ifindex, &nh, sizeof(nh), 0);
	}
	return bpf_redirect(ifindex, 0);

store_and_route:
	/* bpf_redirect_neigh fills in both MACs but refuses a multicast
	 * destination: clear what the inner header left there. */
	__builtin_memset(&h.eth, 0, sizeof(h.eth));
	h.eth.h_proto = bpf_htons(ETH_P_IPV6);
	if (encap_too_big(skb, cfg_uplink_ifindex))
		goto drop_mtu;
	if (bpf_skb_store_bytes(skb, 0, &h.eth, OUTER6_LEN, 0)) {
		count_drop_src(st, vni, XVTEP_DROP_ENCAP_FAILED, 0, 0, dst);
		return TC_ACT_SHOT;
	}
	count_tx(st, skb->len);
	return bpf_redirect_neigh(cfg_uplink_ifindex, NULL, 0, 0);

drop_mtu:
	count_drop_src(st, vni, XVTEP_DROP_MTU, 0, 0, dst);
	return last ? TC_ACT_SHOT : XVTEP_DROP_MTU;
}

/* encap_target() as a global function, for the flood's IPv4 copies: the
 * verifier checks it once instead of once per copy and path. ARGS:
 * TARGET6_ARGS(). */
__attribute__((noinline)) int encap_target4(struct __sk_buff *skb, __u64 args,
					    const union xvtep_addr *dst, struct xvtep_stats *st)
{
	bool last = (args >> 40) & 1;

	if (!skb || !dst)
		return last ? TC_ACT_SHOT : XVTEP_DROP_NO_ROUTE;
	return encap_target(skb, args & XVTEP_VNI_MAX, dst, args >> 32,
			    last ? TARGET_LAST : TARGET_CLONE, st);
}

/* encap_flood_pass's ARGS: TARGET6_ARGS() and these. */
#define FLOOD_V6		(1ULL << 41)	/* the IPv6 targets, else the IPv4 ones */
#define FLOOD_NO_ROUTE		(1ULL << 42)	/* send none: each a no_route drop */
#define FLOOD_ENCAP_FAILED	(1ULL << 43)	/* send none: each an encap_failed drop */

/* 1 for a set address of the family WANT6 (1 IPv6, 0 IPv4 mapped), without
 * a branch (nz_bit): branches on what every target is would leave the
 * verifier a state per combination of the list's families. */
static __always_inline __u64 addr_fam_bit(const union xvtep_addr *a, __u64 want6)
{
	__u64 set = nz_bit((__u64)(a->w[0] | a->w[1] | a->w[2] | a->w[3]));

	return set & ~(addr_v6_bit(a) ^ want6) & 1;
}

/* Targets of VCFG's flood of the family WANT6: bit 0 the group, bit 1 + i
 * remotes[i]. */
static __always_inline __u64 flood_mask(const struct xvtep_vni *vcfg, __u64 want6)
{
	__u32 nr_remotes = vcfg->nr_remotes;
	__u64 m = addr_fam_bit(&vcfg->group, want6);

	if (nr_remotes > XVTEP_MAX_REMOTES)
		nr_remotes = XVTEP_MAX_REMOTES;
	for (__u32 i = 0; i < XVTEP_MAX_REMOTES; i++) {
		if (i >= nr_remotes)
			break;
		m |= addr_fam_bit(&vcfg->remotes[i], want6) << (i + 1);
	}
	return m;
}

/* The highest bit set in M (17 bits), without a branch. */
static __always_inline __u64 mask_highest(__u64 m)
{
	m |= m >> 1;
	m |= m >> 2;
	m |= m >> 4;
	m |= m >> 8;
	m |= m >> 16;
	return m ^ (m >> 1);
}

/*
 * One family's targets of VCFG's flood (FLOOD_V6 or not), in list order
 * (group first), from a frame grown for that family: clones, and the frame
 * itself for the last one when ARGS says TARGET_LAST. With FLOOD_NO_ROUTE
 * or FLOOD_ENCAP_FAILED each is counted as that drop instead. Returns the
 * TC verdict of the frame itself, or TC_ACT_SHOT when it stays here.
 * Inline: the stack of the main program, a target's and the event
 * report's must stay within 512 bytes together.
 */
static __always_inline int encap_flood_pass(struct __sk_buff *skb, __u64 args,
					       const struct xvtep_vni *vcfg, __u32 hash,
					       struct xvtep_stats *st)
{
	__u64 clone = args & ~((__u64)1 << 40), fam, last;
	__u32 vni = args & XVTEP_VNI_MAX;
	const union xvtep_addr *a;

	if (!skb || !vcfg)
		return TC_ACT_SHOT;
	fam = flood_mask(vcfg, (args >> 41) & 1);
	/* the frame itself goes to the last one, if at all */
	last = (args >> 40) & 1 ? mask_highest(fam) : 0;

	for (__u32 k = 0; k <= XVTEP_MAX_REMOTES; k++) {
		if (!((fam >> k) & 1))
			continue;
		a = k ? &vcfg->remotes[(k - 1) & (XVTEP_MAX_REMOTES - 1)] : &vcfg->group;
		if (args & FLOOD_NO_ROUTE) {
			count_drop_src(st, vni, XVTEP_DROP_NO_ROUTE, 0, 0, a);
			continue;
		}
		if (args & FLOOD_ENCAP_FAILED) {
			count_drop_src(st, vni, XVTEP_DROP_ENCAP_FAILED, 0, 0, a);
			continue;
		}
		if ((last >> k) & 1)
			return args & FLOOD_V6 ? encap_target6(skb, args, a, hash, st) :
						 encap_target4(skb, args, a, st);
		if (args & FLOOD_V6)
			encap_target6(skb, clone, a, hash, st);
		else
			encap_target4(skb, clone, a, st);
	}
	return TC_ACT_SHOT;
}

/*
 * An IP frame whose IPv6 copies are gone becomes the IPv4 one: its outer
 * header shrinks by 20 bytes behind the Ethernet header, and skb->protocol
 * (which GSO follows) turns IPv4. Kernels without DECAP_L3 (< 6.3) have
 * bpf_skb_change_proto for that, which takes the same 20 bytes, but also
 * rewrites a TCPv6 GSO type as TCPv4: a GSO frame cannot go there.
 */
static __always_inline int encap_6to4(struct __sk_buff *skb)
{
	if (cfg_decap_l3)
		return bpf_skb_adjust_room(skb, -20, BPF_ADJ_ROOM_MAC,
					   BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_DECAP_L3_IPV4);
	if (skb->gso_size)
		return -1;
	return bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0);
}

/*
 * The overlay part of a flood: the VNI's group and head-end list (INNER:
 * the frame's Ethernet header). The list may mix families, the group too.
 * An IP frame serves the IPv6 ones first from a 70-byte push, then shrinks
 * to the IPv4 header (encap_6to4) for the IPv4 ones; a frame that is not
 * IP (ARP...), which bpf_skb_adjust_room refuses, serves the IPv4 ones
 * first and then grows 20 bytes in front (bpf_skb_change_head). Targets of
 * a family the instance has no address of are no_route drops. Returns the
 * TC verdict. The targets are global functions; the rest adds few states:
 * no branch depends on a target's family (flood_mask).
 */
static __always_inline int encap_flood(struct __sk_buff *skb, __u32 vni,
					  const struct xvtep_vni *vcfg, const struct ethhdr *inner,
					  struct xvtep_stats *st)
{
	__u32 hash = 0;
	bool has4, has6, six_first;
	__u64 args;
	int rc;

	if (!skb || !vcfg || !inner)
		return TC_ACT_SHOT;
	vni &= XVTEP_VNI_MAX;
	args = TARGET6_ARGS(vni, vcfg->ttl, TARGET_CLONE);
	has4 = flood_mask(vcfg, 0) != 0;
	has6 = flood_mask(vcfg, 1) != 0;
	if (has4 && !local4_set()) {
		encap_flood_pass(skb, args | FLOOD_NO_ROUTE, vcfg, 0, st);
		has4 = false;
	}
	if (has6 && !local6_set()) {
		encap_flood_pass(skb, args | FLOOD_V6 | FLOOD_NO_ROUTE, vcfg, 0, st);
		has6 = false;
	}
	if (!has4 && !has6)
		return TC_ACT_SHOT;	/* the local copies were the whole job */

	six_first = has6 && (!has4 || skb->protocol == bpf_htons(ETH_P_IP) ||
			     skb->protocol == bpf_htons(ETH_P_IPV6));
	if (encap_push(skb, vni, inner, six_first, &hash)) {
		count_drop(st, vni, XVTEP_DROP_ENCAP_FAILED);
		return TC_ACT_SHOT;
	}
	if (six_first) {
		if (!has4)
			return encap_flood_pass(skb, args | FLOOD_V6 | (__u64)TARGET_LAST << 40,
						vcfg, hash, st);
		encap_flood_pass(skb, args | FLOOD_V6, vcfg, hash, st);
		if (encap_6to4(skb)) {
			encap_flood_pass(skb, args | FLOOD_ENCAP_FAILED, vcfg, hash, st);
			return TC_ACT_SHOT;
		}
		has6 = false;
	}
	if (!has6)
		return encap_flood_pass(skb, args | (__u64)TARGET_LAST << 40, vcfg, hash, st);
	/* Not IP: the IPv4 ones first, then the IPv6 ones 20 bytes more in front. */
	encap_flood_pass(skb, args, vcfg, hash, st);
	if (bpf_skb_change_head(skb, XVTEP_ENCAP6_LEN - XVTEP_ENCAP_LEN, 0)) {
		encap_flood_pass(skb, args | FLOOD_V6 | FLOOD_ENCAP_FAILED, vcfg, hash, st);
		return TC_ACT_SHOT;
	}
	rc = encap_flood_pass(skb, args | FLOOD_V6 | (__u64)TARGET_LAST << 40, vcfg, hash, st);
	return rc;
}

/* BUM: every other local port of the VNI, then the group and the replicas. */
static __always_inline int port_flood(struct __sk_buff *skb, __u32 vni, const struct xvtep_vni *vcfg,
				      const struct ethhdr *inner, __u32 in_ifindex,
				      struct xvtep_stats *st)
{
	__u32 nr_ports = vcfg->nr_ports;

	if (nr_ports > XVTEP_MAX_VNI_PORTS)
		nr_ports = XVTEP_MAX_VNI_PORTS;

	count_event(st, XVTEP_EV_FLOODED);
	for (__u32 i = 0; i < XVTEP_MAX_VNI_PORTS; i++) {
		__u32 ifindex;

		if (i >= nr_ports)
			break;
		ifindex = vcfg->ports[i];
		if (ifindex == in_ifindex)
			continue;
		count_local(st, skb->len);
		vlan_flood_copy(skb, vcfg, vni, ifindex, st);
	}
	if (xvtep_addr_is_zero(&vcfg->group) && !vcfg->nr_remotes)
		return TC_ACT_SHOT;	/* the local copies were the whole job */
	return encap_flood(skb, vni, vcfg, inner, st);
}

SEC("tc")
int xvtep_tc_port(struct __sk_buff *skb)
{
	__u32 in_ifindex = skb->ingress_ifindex;
	const struct xvtep_port *port;
	const struct xvtep_vni *vcfg;
	struct xvtep_fdb_entry *dst;
	struct xvtep_stats *st;
	void *data, *data_end;
	struct ethhdr *eth;
	struct ethhdr inner;
	__u32 vni;
	int verdict;

	port = bpf_map_lookup_elem(&xvtep_ports, &in_ifindex);
	if (!port) {
		count_drop_src(stats_get(NULL), 0, XVTEP_DROP_PORT_UNKNOWN, 0, in_ifindex, NULL);
		return TC_ACT_SHOT;
	}
	/* Copies show the frame as on the wire, a trunk's tag included. */
	mirror_copies(skb, port->mirror_rx, XVTEP_MIRROR_DIR_RX);
	vni = port->vni;
	if (port->flags & XVTEP_PORT_F_TRUNK) {
		vni = vlan_trunk_rx(skb, port->vni, in_ifindex);
		if (!vni)
			return TC_ACT_SHOT;	/* refused, counted */
	}
	/* Only now: a clone_redirect or a tag's removal invalidates earlier
	 * packet pointers. */
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	eth = data;
	vcfg = bpf_map_lookup_elem(&xvtep_vnis, &vni);
	st = stats_get(vcfg);
	if (!vcfg) {
		count_drop_src(st, vni, XVTEP_DROP_UNKNOWN_VNI, 0, in_ifindex, NULL);
		return TC_ACT_SHOT;
	}
	if ((void *)(eth + 1) > data_end) {
		count_drop_src(st, vni, XVTEP_DROP_MALFORMED, 0, in_ifindex, NULL);
		return TC_ACT_SHOT;
	}
	/* A tag the VM put in (in the frame or offloaded) would be dropped by
	 * every RFC 7348 receiver: refuse it here, where it is visible. */
	if (skb->vlan_present || eth->h_proto == bpf_htons(ETH_P_8021Q) ||
	    eth->h_proto == bpf_htons(ETH_P_8021AD)) {
		count_drop_src(st, vni, XVTEP_DROP_INNER_VLAN, 0, in_ifindex, NULL);
		return TC_ACT_SHOT;
	}
	if (mac_is_multicast(eth->h_source) || mac_is_zero(eth->h_source)) {
		count_drop_src(st, vni, XVTEP_DROP_BAD_SRC_MAC, evq_mac(eth->h_source), in_ifindex, NULL);
		return TC_ACT_SHOT;
	}
	verdict = fdb_learn(vni, vcfg, eth->h_source, in_ifindex, NULL, st);
	if (verdict != XVTEP_DROP__MAX) {
		count_drop_src(st, vni, verdict, evq_mac(eth->h_source), in_ifindex, NULL);
		return TC_ACT_SHOT;
	}
	__builtin_memcpy(&inner, eth, sizeof(inner));

	if (vcfg->flags & XVTEP_VNI_F_NEIGH_SUPPRESS) {
		verdict = neigh_suppress(skb, vni, in_ifindex, st);
		if (verdict == NEIGH_FAILED) {
			count_drop(st, vni, XVTEP_DROP_NEIGH_REPLY);
			return TC_ACT_SHOT;
		}
		if (verdict != NEIGH_GO_ON)
			return verdict;
	}
	if (mac_is_multicast(inner.h_dest))
		return port_flood(skb, vni, vcfg, &inner, in_ifindex, st);
	dst = fdb_lookup(vni, inner.h_dest);
	if (!dst)
		return port_flood(skb, vni, vcfg, &inner, in_ifindex, st);

	if (!(dst->flags & XVTEP_FDB_F_REMOTE)) {
		if (dst->ifindex == in_ifindex) {
			count_drop(st, vni, XVTEP_DROP_HAIRPIN);
			return TC_ACT_SHOT;
		}
		count_local(st, skb->len);
		return vlan_redirect(skb, vcfg, vni, dst->ifindex, st);
	}

	{
		union xvtep_addr remote = dst->remote;
		bool v6 = !xvtep_addr_is_v4(&remote);
		__u32 hash;

		if (!addr_family_ok(&remote)) {
			count_drop_src(st, vni, XVTEP_DROP_NO_ROUTE, 0, 0, &remote);
			return TC_ACT_SHOT;
		}
		if (encap_push(skb, vni, &inner, v6, &hash)) {
			count_drop(st, vni, XVTEP_DROP_ENCAP_FAILED);
			return TC_ACT_SHOT;
		}
		if (v6)
			return encap_target6(skb, TARGET6_ARGS(vni, vcfg->ttl, TARGET_LAST), &remote,
					     hash, st);
		return encap_target(skb, vni, &remote, vcfg->ttl, TARGET_LAST, st);
	}
}
