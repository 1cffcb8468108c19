/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Mirroring. Sources (see mirror.h): port ingress (rx) in xvtep_tc_port,
 * port egress (tx) here, uplink ingress (rx) in xvtep_tc_up and uplink egress
 * (tx) here. Each copy then arrives, marked, at the mirror device's ingress,
 * where xvtep_tc_mirror truncates it and turns it into SPAN, RSPAN or ERSPAN
 * (except a SPAN copy with nothing to cut, sent straight: mirror.h).
 */

SEC("tc")
int xvtep_tc_port_eg(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ifindex;
	struct xvtep_port *port = bpf_map_lookup_elem(&xvtep_ports, &ifindex);

	if (port)
		mirror_copies(skb, port->mirror_tx, XVTEP_MIRROR_DIR_TX);
	return TC_ACT_OK;
}

SEC("tc")
int xvtep_tc_up_eg(struct __sk_buff *skb)
{
	mirror_copies(skb, uplink_mirror_sessions(true), XVTEP_MIRROR_DIR_TX);
	return TC_ACT_OK;
}

/* Length of one segment of GSO packet SKB (headers plus gso_size, from the
 * Ethernet header on), or 0 when its headers are not plain IPv4/IPv6 + TCP/UDP. */
static __always_inline __u32 gso_seg_len(struct __sk_buff *skb)
{
	__u32 l3, l4;
	__u8 b, proto;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN, &b, 1) ||
		    bpf_skb_load_bytes(skb, ETH_HLEN + 9, &proto, 1))
			return 0;
		l3 = (b & 0xf) * 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN + 6, &proto, 1))
			return 0;
		l3 = 40;
	} else {
		return 0;
	}
	if (l3 < 20)
		return 0;
	if (proto == IPPROTO_TCP_NR) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN + l3 + 12, &b, 1))
			return 0;
		l4 = (b >> 4) * 4;
	} else if (proto == IPPROTO_UDP_NR) {
		l4 = 8;
	} else {
		return 0;
	}
	return ETH_HLEN + l3 + l4 + skb->gso_size;
}

/* Wrap a GSO copy whole, as a GRE tunnel packet: the headers go in front of
 * it with the tunnel offsets set, so it is cut into its own segments (by the
 * NIC, or by the kernel when the NIC cannot), each with the ERSPAN headers in
 * front, instead of one truncated copy of the whole. Growing the headroom
 * copies only the clone's linear head; its payload pages stay shared. */
#define ERSPAN_GSO_FLAGS (BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | \
			  BPF_F_ADJ_ROOM_ENCAP_L4_GRE | BPF_F_ADJ_ROOM_ENCAP_L2_ETH | \
			  BPF_ADJ_ROOM_ENCAP_L2(ETH_HLEN))
#define ERSPAN6_GSO_FLAGS (BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 | \
			   BPF_F_ADJ_ROOM_ENCAP_L4_GRE | BPF_F_ADJ_ROOM_ENCAP_L2_ETH | \
			   BPF_ADJ_ROOM_ENCAP_L2(ETH_HLEN))

/* Grow a GSO copy by HLEN behind its Ethernet header, which is kept in
 * INNER: it becomes the inner one, at offset HLEN. False: nothing changed. */
static __always_inline bool erspan_grow_gso(struct __sk_buff *skb, __u32 hlen,
					    struct ethhdr *inner, bool v6)
{
	return !bpf_skb_load_bytes(skb, 0, inner, sizeof(*inner)) &&
	       !bpf_skb_adjust_room(skb, hlen, BPF_ADJ_ROOM_MAC,
				    v6 ? ERSPAN6_GSO_FLAGS : ERSPAN_GSO_FLAGS);
}

/* Route the ERSPAN copy like any packet of this host: FIB for the egress
 * device and MACs (input lookup from the mirror device, which has IPv4 and
 * IPv6 forwarding on and forwards nothing else), neighbour resolution if
 * needed. The collector's family picks the outer IP header. */
static __always_inline int erspan_send(struct __sk_buff *skb, const struct xvtep_mirror *m,
				       __u32 slot, __u32 dir, bool truncated, __u16 tci,
				       bool tagged_in_frame, bool had_tag)
{
	__u32 hlen = erspan_hlen(m);
	bool v6 = erspan_v6(m);
	struct bpf_fib_lookup fib = {};
	union {
		struct erspan_outer v4;
		struct erspan_outer6 v6;
	} h = {};
	struct ethhdr inner;
	__u32 mtu = 0, room, frame_len, segs = 1, ip_extra = v6 ? sizeof(struct ipv6hdr) : 0;
	bool gso = false;
	long rc;

	if (!erspan_routable(m)) {
		mirror_count_drop(slot, XVTEP_MDROP_NO_ROUTE);
		return TC_ACT_SHOT;
	}
	fib.l4_protocol = IPPROTO_GRE_NR;
	fib.ifindex = skb->ingress_ifindex;
	if (v6) {
		fib.family = AF_INET6_NR;
		fib.ipv6_src[0] = cfg_local_ip6[0];
		fib.ipv6_src[1] = cfg_local_ip6[1];
		fib.ipv6_src[2] = cfg_local_ip6[2];
		fib.ipv6_src[3] = cfg_local_ip6[3];
		fib.ipv6_dst[0] = m->remote.w[0];
		fib.ipv6_dst[1] = m->remote.w[1];
		fib.ipv6_dst[2] = m->remote.w[2];
		fib.ipv6_dst[3] = m->remote.w[3];
	} else {
		fib.family = AF_INET_NR;
		fib.ipv4_src = cfg_local_ip;
		fib.ipv4_dst = m->remote.w[3];
	}
	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH &&
	    rc != BPF_FIB_LKUP_RET_FRAG_NEEDED) {
		mirror_count_drop(slot, XVTEP_MDROP_NO_ROUTE);
		return TC_ACT_SHOT;
	}

	/* Never fragment a copy: cut it to what fits, and say so with T. A
	 * GSO copy whose segments fit once wrapped goes whole (erspan_grow_gso). */
	bpf_check_mtu(skb, fib.ifindex, &mtu, 0, 0);
	room = mtu > hlen - ETH_HLEN ? mtu - (hlen - ETH_HLEN) : 0;
	frame_len = skb->len;
	/* The outer IP length (IPv4 total, IPv6 payload) must hold the whole
	 * copy until it is cut. */
	if (skb->gso_size && !truncated && frame_len + hlen - ETH_HLEN - ip_extra <= 0xffff) {
		__u32 seg = gso_seg_len(skb), n = wire_segs(skb);	/* before growing, which resets it */

		gso = seg && seg <= room && erspan_grow_gso(skb, hlen, &inner, v6);
		segs = gso ? n : 1;
	}
	if (!gso && skb->len > room) {
		if (room < ETH_HLEN || bpf_skb_change_tail(skb, room, 0)) {
			mirror_count_drop(slot, XVTEP_MDROP_ENCAP);
			return TC_ACT_SHOT;
		}
		frame_len = room;
		truncated = true;
	}

	if (v6)
		erspan_build6(&h.v6, m, &fib, frame_len, dir, truncated, tci, tagged_in_frame,
			      had_tag, segs);
	else
		erspan_build(&h.v4, m, &fib, frame_len, dir, truncated, tci, tagged_in_frame,
			     had_tag, segs);

	if ((!gso && bpf_skb_change_head(skb, hlen, 0)) ||
	    (gso && bpf_skb_store_bytes(skb, hlen, &inner, sizeof(inner), 0)) ||
	    bpf_skb_store_bytes(skb, 0, &h, hlen, 0)) {
		mirror_count_drop(slot, XVTEP_MDROP_ENCAP);
		return TC_ACT_SHOT;
	}
	mirror_count_sent(slot, skb->len, truncated, segs);
	skb->mark = XVTEP_MIRROR_MARK_OUT;
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH) {
		struct bpf_redir_neigh nh = {};

		/* bpf_redirect_neigh routes by skb->protocol, which is still
		 * the inner frame's: only a copy of a frame of the outer
		 * header's family can go this way. */
		if (skb->protocol != bpf_htons(v6 ? ETH_P_IPV6 : ETH_P_IP)) {
			mirror_count_drop(slot, XVTEP_MDROP_NEIGH);
			return TC_ACT_SHOT;
		}
		if (v6) {
			nh.nh_family = AF_INET6_NR;
			__builtin_memcpy(nh.ipv6_nh, fib.ipv6_dst, 16);
		} else {
			nh.nh_family = AF_INET_NR;
			nh.ipv4_nh = fib.ipv4_dst;
		}
		return bpf_redirect_neigh(fib.ifindex, &nh, sizeof(nh), 0);
	}
	return bpf_redirect(fib.ifindex, 0);
}

/* Put the RSPAN tag outermost; a tag the frame had stays inside it. Written
 * into the frame itself (not the skb's offload field), so the copy is the
 * same on every destination, offloading or not. An offloaded tag is first
 * moved into the frame by bpf_skb_vlan_push, which offloads the new one. */
static __always_inline int rspan_tag(struct __sk_buff *skb, __u16 vid)
{
	struct {
		__u8 macs[2 * ETH_ALEN];
		__be16 tpid;
		__be16 tci;
	} hdr;

	if (skb->vlan_present)
		return bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), vid & 0xfff);
	if (bpf_skb_load_bytes(skb, 0, hdr.macs, sizeof(hdr.macs)) ||
	    bpf_skb_change_head(skb, 4, 0))
		return -1;
	hdr.tpid = bpf_htons(ETH_P_8021Q);
	hdr.tci = bpf_htons(vid & 0xfff);
	return bpf_skb_store_bytes(skb, 0, &hdr, sizeof(hdr), 0);
}

SEC("tc")
int xvtep_tc_mirror(struct __sk_buff *skb)
{
	const struct xvtep_mirror *m;
	__u32 mark = skb->mark, slot, dir;
	bool truncated = false, had_tag = false, tagged_in_frame = false;
	__u16 tci = 0;

	/* A copy made by XDP and passed on by xvtep_xdp_mir has its tag in
	 * the metadata (xvtep.h); a clone made here has it in the mark. */
	if ((mark & XVTEP_MIRROR_MARK_MASK) != XVTEP_MIRROR_MARK) {
		void *meta = (void *)(long)skb->data_meta, *data = (void *)(long)skb->data;

		if (meta + 4 > data)
			return TC_ACT_SHOT;	/* only our copies ever come here */
		mark = *(__u32 *)meta;
		if ((mark & XVTEP_MIRROR_MARK_MASK) != XVTEP_MIRROR_MARK || mark == XVTEP_MIRROR_MARK_OUT)
			return TC_ACT_SHOT;
	}
	slot = mark & (XVTEP_MAX_MIRRORS - 1);
	dir = (mark >> 8) & 3;
	skb->mark = 0;
	m = bpf_map_lookup_elem(&xvtep_mirrors, &slot);
	if (!m || !m->id) {
		mirror_count_drop(slot, XVTEP_MDROP_NO_SESSION);
		return TC_ACT_SHOT;
	}

	if (skb->vlan_present) {
		had_tag = true;
		tci = skb->vlan_tci;
	} else {
		void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
		struct ethhdr *eth = data;
		__be16 *vtci = (void *)(eth + 1);

		if ((void *)(vtci + 1) <= data_end && eth->h_proto == bpf_htons(ETH_P_8021Q)) {
			had_tag = tagged_in_frame = true;
			tci = bpf_ntohs(*vtci);
		}
	}

	if (mirror_cuts(m, skb->len)) {
		if (bpf_skb_change_tail(skb, m->truncate, 0)) {
			mirror_count_drop(slot, XVTEP_MDROP_ENCAP);
			return TC_ACT_SHOT;
		}
		truncated = true;
	}

	if (m->kind == XVTEP_MIRROR_ERSPAN) {
		/* An offloaded tag would be re-inserted as the outer frame's tag. */
		if (had_tag && !tagged_in_frame)
			bpf_skb_vlan_pop(skb);
		return erspan_send(skb, m, slot, dir, truncated, tci, tagged_in_frame, had_tag);
	}

	if (m->kind == XVTEP_MIRROR_RSPAN && rspan_tag(skb, m->vlan)) {
		mirror_count_drop(slot, XVTEP_MDROP_ENCAP);
		return TC_ACT_SHOT;
	}
	mirror_count_sent(slot, skb->len, truncated, wire_segs(skb));
	skb->mark = XVTEP_MIRROR_MARK_OUT;
	return bpf_redirect(m->dest_ifindex, 0);
}
