/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VM-facing port TC ingress: learn the sender, switch to a local port of the
 * same VNI, or encapsulate toward the remote VTEP; on VNIs with neighbour
 * suppression, answer ARP/NS from xvtep_neigh first (neigh.h). BUM frames go
 * to the other local ports and once to the VNI's group and/or each head-end
 * replica.
 */

/* The part of the outer header that is the same for every copy. */
struct encap_tail {
	struct udphdr udp;
	struct vxlan_hdr vx;
	struct ethhdr inner;
} __attribute__((packed));

/* Grow the frame by XVTEP_ENCAP_LEN in front of the inner Ethernet header and
 * fill in UDP, VXLAN and the inner Ethernet header; IPv4 and outer Ethernet
 * differ per destination and are written by encap_target().
 * IP frames grow with bpf_skb_adjust_room and the ENCAP flags, so GSO
 * packets segment as VXLAN and checksum offload keeps working; the helper
 * refuses other protocols (ARP...), which are never GSO: those get their
 * room from bpf_skb_change_head. */
static __always_inline int encap_push(struct __sk_buff *skb, __u32 vni, const struct ethhdr *inner)
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

	if (skb->protocol == bpf_htons(ETH_P_IP) || skb->protocol == bpf_htons(ETH_P_IPV6))
		err = bpf_skb_adjust_room(skb, XVTEP_ENCAP_LEN, BPF_ADJ_ROOM_MAC,
					  XVTEP_ENCAP_ADJ_FLAGS);
	else if (!skb->gso_size)
		err = bpf_skb_change_head(skb, XVTEP_ENCAP_LEN, 0);
	else
		err = -1;
	if (err)
		return -1;
	/* Both helpers grow the linear head and leave it uncloned: the outer
	 * headers and the inner Ethernet header are there, writable in place. */
	data = (void *)(long)skb->data;
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
 */
static __always_inline int encap_target(struct __sk_buff *skb, __u32 vni, __be32 daddr,
					__u8 ttl_cfg, enum target_how how, struct xvtep_stats *st)
{
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
			count_drop_src(st, vni, XVTEP_DROP_NO_ROUTE, 0, evq_place(0, daddr));
			return how == TARGET_LAST ? TC_ACT_SHOT : XVTEP_DROP_NO_ROUTE;
		}
		ifindex = fib.ifindex;
		if (rc == BPF_FIB_LKUP_RET_NO_NEIGH && (how == TARGET_CLONE || !can_route)) {
			count_drop_src(st, vni, XVTEP_DROP_NEIGH_UNRESOLVED, 0,
				       evq_place(0, daddr));
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
		count_drop_src(st, vni, XVTEP_DROP_ENCAP_FAILED, 0, evq_place(0, daddr));
		return how == TARGET_LAST ? TC_ACT_SHOT : XVTEP_DROP_ENCAP_FAILED;
	}

	count_tx(st, skb->len);
	if (how == TARGET_CLONE) {
		if (bpf_clone_redirect(skb, ifindex, 0)) {
			count_drop_src(st, vni, XVTEP_DROP_REDIRECT_FAILED, 0, evq_place(0, daddr));
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
		count_drop_src(st, vni, XVTEP_DROP_ENCAP_FAILED, 0, evq_place(0, daddr));
		return TC_ACT_SHOT;
	}
	count_tx(st, skb->len);
	return bpf_redirect_neigh(cfg_uplink_ifindex, NULL, 0, 0);

drop_mtu:
	count_drop_src(st, vni, XVTEP_DROP_MTU, 0, evq_place(0, daddr));
	return how == TARGET_LAST ? TC_ACT_SHOT : XVTEP_DROP_MTU;
}

/* BUM: every other local port of the VNI, then the group and the replicas. */
static __always_inline int port_flood(struct __sk_buff *skb, __u32 vni, const struct xvtep_vni *vcfg,
				      const struct ethhdr *inner, __u32 in_ifindex,
				      struct xvtep_stats *st)
{
	__u32 nr_ports = vcfg->nr_ports, nr_remotes = vcfg->nr_remotes;
	__be32 group = vcfg->group;
	__u32 nr_targets, t = 0;

	if (nr_ports > XVTEP_MAX_VNI_PORTS)
		nr_ports = XVTEP_MAX_VNI_PORTS;
	if (nr_remotes > XVTEP_MAX_REMOTES)
		nr_remotes = XVTEP_MAX_REMOTES;
	nr_targets = nr_remotes + (group ? 1 : 0);

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
	if (!nr_targets)
		return TC_ACT_SHOT;	/* the local copies were the whole job */

	if (encap_push(skb, vni, inner)) {
		count_drop(st, vni, XVTEP_DROP_ENCAP_FAILED);
		return TC_ACT_SHOT;
	}
	if (group) {
		if (nr_targets == 1)
			return encap_target(skb, vni, group, vcfg->ttl, TARGET_LAST, st);
		encap_target(skb, vni, group, vcfg->ttl, TARGET_CLONE, st);
		t++;
	}
	for (__u32 i = 0; i < XVTEP_MAX_REMOTES; i++) {
		if (i >= nr_remotes)
			break;
		t++;
		if (t == nr_targets)
			return encap_target(skb, vni, vcfg->remotes[i], vcfg->ttl, TARGET_LAST, st);
		encap_target(skb, vni, vcfg->remotes[i], vcfg->ttl, TARGET_CLONE, st);
	}
	return TC_ACT_SHOT;
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
		count_drop_src(stats_get(NULL), 0, XVTEP_DROP_PORT_UNKNOWN, 0, in_ifindex);
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
		count_drop_src(st, vni, XVTEP_DROP_UNKNOWN_VNI, 0, in_ifindex);
		return TC_ACT_SHOT;
	}
	if ((void *)(eth + 1) > data_end) {
		count_drop_src(st, vni, XVTEP_DROP_MALFORMED, 0, in_ifindex);
		return TC_ACT_SHOT;
	}
	/* A tag the VM put in (in the frame or offloaded) would be dropped by
	 * every RFC 7348 receiver: refuse it here, where it is visible. */
	if (skb->vlan_present || eth->h_proto == bpf_htons(ETH_P_8021Q) ||
	    eth->h_proto == bpf_htons(ETH_P_8021AD)) {
		count_drop_src(st, vni, XVTEP_DROP_INNER_VLAN, 0, in_ifindex);
		return TC_ACT_SHOT;
	}
	if (mac_is_multicast(eth->h_source) || mac_is_zero(eth->h_source)) {
		count_drop_src(st, vni, XVTEP_DROP_BAD_SRC_MAC, evq_mac(eth->h_source), in_ifindex);
		return TC_ACT_SHOT;
	}
	verdict = fdb_learn(vni, vcfg, eth->h_source, in_ifindex, 0, st);
	if (verdict != XVTEP_DROP__MAX) {
		count_drop_src(st, vni, verdict, evq_mac(eth->h_source), in_ifindex);
		return TC_ACT_SHOT;
	}
	__builtin_memcpy(&inner, eth, sizeof(inner));

	if (vcfg->flags & XVTEP_VNI_F_NEIGH_SUPPRESS) {
		verdict = neigh_suppress(skb, vni, in_ifindex, st);
		if (verdict == NEIGH_FAILED) {
			count_drop(st, vni, XVTEP_DROP_ENCAP_FAILED);
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
		__be32 remote = dst->remote;

		if (encap_push(skb, vni, &inner)) {
			count_drop(st, vni, XVTEP_DROP_ENCAP_FAILED);
			return TC_ACT_SHOT;
		}
		return encap_target(skb, vni, remote, vcfg->ttl, TARGET_LAST, st);
	}
}
