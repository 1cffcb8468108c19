/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Uplink TC ingress: the complete decap path. It keeps the skb (GSO state,
 * CHECKSUM_PARTIAL, GRO aggregates), so TCP through the overlay runs at
 * kernel speed, and it can clone for flooding, which XDP cannot.
 */

/* Enough linear data for outer Eth + IPv4 with options (or IPv6) + UDP + VXLAN
 * + inner Eth. */
/* The inner frame at its Ethernet minimum (without FCS). */
#define DECAP6_MIN_INNER	60
#define DECAP_PULL_LEN	(ETH_HLEN + 60 + 8 + 8 + ETH_HLEN)

static __always_inline int tc_flood_local(struct __sk_buff *skb, __u32 vni,
					  const struct xvtep_vni *vcfg, struct xvtep_stats *st)
{
	__u32 nr = vcfg->nr_ports;
	__u32 len = skb->len;

	if (nr == 0 || nr > XVTEP_MAX_VNI_PORTS) {
		count_drop(st, vni, XVTEP_DROP_NO_DEST);
		return TC_ACT_SHOT;
	}
	count_event(st, XVTEP_EV_FLOODED);
	for (__u32 i = 0; i < XVTEP_MAX_VNI_PORTS; i++) {
		__u32 ifindex;

		if (i >= nr)
			break;
		ifindex = vcfg->ports[i];
		count_rx(st, len);
		/* The last copy is the original: no clone, and no "drop" for it. */
		if (i == nr - 1)
			return vlan_redirect(skb, vcfg, vni, ifindex, st);
		vlan_flood_copy(skb, vcfg, vni, ifindex, st);
	}
	return TC_ACT_SHOT;
}

SEC("tc")
int xvtep_tc_up(struct __sk_buff *skb)
{
	void *data, *data_end;
	struct xvtep_fdb_entry *dst;
	const struct xvtep_vni *vcfg;
	struct xvtep_stats *st;
	struct vxlan_rx rx = {};
	struct ethhdr inner;
	struct ethhdr *ieth;
	__u64 adj_flags;
	__u32 ifindex, strip;
	bool v4_in_v6;
	int verdict;

	mirror_copies(skb, uplink_mirror_sessions(false), XVTEP_MIRROR_DIR_RX);

	if (skb->len > ETH_HLEN + 20 + 8 &&
	    (long)skb->data + DECAP_PULL_LEN > (long)skb->data_end)
		bpf_skb_pull_data(skb, skb->len < DECAP_PULL_LEN ? skb->len : DECAP_PULL_LEN);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	verdict = vxlan_parse_tc_any(skb, data, data_end, &rx);
	verdict = vxlan_rx_accept(verdict, data, data_end, &rx, &vcfg, &st, &ieth, NULL);
	if (verdict == VXLAN_NOT_OURS)
		return TC_ACT_OK;
	if (verdict != XVTEP_DROP__MAX)
		return TC_ACT_SHOT;
	if (rx.reserved_bits)
		count_event(st, XVTEP_EV_RESERVED_BITS);

	verdict = fdb_learn(rx.vni, vcfg, ieth->h_source, 0, &rx.outer_src, st);
	if (verdict != XVTEP_DROP__MAX) {
		count_drop_src(st, rx.vni, verdict, evq_mac(ieth->h_source), 0, &rx.outer_src);
		return TC_ACT_SHOT;
	}

	ifindex = 0;
	if (!mac_is_multicast(ieth->h_dest)) {
		dst = fdb_lookup(rx.vni, ieth->h_dest);
		if (dst && (dst->flags & XVTEP_FDB_F_REMOTE)) {
			/* Known to live behind a VTEP: never send back into the overlay. */
			count_drop(st, rx.vni, XVTEP_DROP_HAIRPIN);
			return TC_ACT_SHOT;
		}
		if (dst)
			ifindex = dst->ifindex;
	}

	/* Strip outer IPv4/IPv6+UDP+VXLAN and the inner Ethernet header from
	 * behind the outer one, then write the inner Ethernet header in its place. */
	__builtin_memcpy(&inner, ieth, sizeof(inner));
	/* DECAP_L3 sets skb->protocol to the inner one, which GSO follows.
	 * Kernels before 6.3 refuse the flags (-EINVAL): there the outer
	 * protocol stays, right for IPv4 in IPv4 and IPv6 in IPv6 (and for
	 * frames that are not IP, which never carry GSO); the other two are
	 * set with bpf_skb_change_proto below. */
	adj_flags = BPF_F_ADJ_ROOM_FIXED_GSO;
	if (cfg_decap_l3 && inner.h_proto == bpf_htons(ETH_P_IP))
		adj_flags |= BPF_F_ADJ_ROOM_DECAP_L3_IPV4;
	else if (cfg_decap_l3 && inner.h_proto == bpf_htons(ETH_P_IPV6))
		adj_flags |= BPF_F_ADJ_ROOM_DECAP_L3_IPV6;
	/* No DECAP_L3, IPv4 inside IPv6: bpf_skb_change_proto to IPv4 sets
	 * skb->protocol (and GSO's type) by taking 20 bytes off the front of
	 * the network header, as for IPv6 -> IPv4. Leave it 20 bytes of the
	 * outer headers to take, instead of growing the frame again. */
	v4_in_v6 = !cfg_decap_l3 && rx.outer6 && inner.h_proto == bpf_htons(ETH_P_IP);
	strip = rx.inner_off & 0xff;
	/* bpf_skb_adjust_room leaves at least the outer network header's
	 * base length behind what it strips: 40 bytes under IPv6. Frames sent
	 * from a veth come unpadded (an ARP frame has 28 bytes after its
	 * Ethernet header): pad such a frame at its end to Ethernet's
	 * 60-byte minimum, as a NIC would have. Short frames are never GSO. */
	if (rx.outer6 && skb->len < strip + DECAP6_MIN_INNER &&
	    bpf_skb_change_tail(skb, strip + DECAP6_MIN_INNER, 0)) {
		count_drop(st, rx.vni, XVTEP_DROP_MALFORMED);
		return TC_ACT_SHOT;
	}
	if (v4_in_v6)
		strip -= 20;
	if (bpf_skb_adjust_room(skb, -(__s32)strip, BPF_ADJ_ROOM_MAC, adj_flags) ||
	    bpf_skb_store_bytes(skb, 0, &inner, sizeof(inner), 0) ||
	    (v4_in_v6 && bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0))) {
		count_drop(st, rx.vni, XVTEP_DROP_MALFORMED);
		return TC_ACT_SHOT;
	}
	/* No DECAP_L3 and IPv6 inside IPv4: bpf_skb_change_proto is the one
	 * helper that sets skb->protocol to IPv6 (and GSO's type with it), by
	 * growing the network header 20 bytes as for IPv4 -> IPv6; take them
	 * off again. */
	if (!cfg_decap_l3 && !rx.outer6 && inner.h_proto == bpf_htons(ETH_P_IPV6) &&
	    (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0) ||
	     bpf_skb_adjust_room(skb, -20, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_FIXED_GSO))) {
		count_drop(st, rx.vni, XVTEP_DROP_MALFORMED);
		return TC_ACT_SHOT;
	}

	if (ifindex) {
		count_rx(st, skb->len);
		return vlan_redirect(skb, vcfg, rx.vni, ifindex, st);
	}
	return tc_flood_local(skb, rx.vni, vcfg, st);
}
