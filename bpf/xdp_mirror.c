/* SPDX-License-Identifier: GPL-2.0 */
/*
 * XDP on the mirror device (xvtep-mir): finishes the copies the decap fast
 * path made (xdp_mirror_redirect in mirror.h; a SPAN copy with nothing to
 * shape goes to its destination straight, never here), so that a port with a tx
 * session keeps the XDP rate. A copy is finished here only if its output
 * device takes XDP frames (xvtep_mirror_xmit) and, for ERSPAN, the collector
 * is IPv4 and the route and neighbour are known; anything else is passed untouched, tag included, to
 * xvtep_tc_mirror, which routes, resolves and counts as for its own clones.
 * Frags-aware: the mirror veth's MTU is far above what plain XDP allows.
 */

/* RSPAN: a 802.1Q tag in front of whatever the frame carries. */
static __always_inline int xdp_rspan_tag(struct xdp_md *ctx, __u16 vid)
{
	void *data, *data_end;
	__be16 *tag;

	if (bpf_xdp_adjust_head(ctx, -4))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + 2 * ETH_ALEN + 8 > data_end)
		return -1;
	__builtin_memmove(data, data + 4, 2 * ETH_ALEN);
	tag = data + 2 * ETH_ALEN;
	tag[0] = bpf_htons(ETH_P_8021Q);
	tag[1] = bpf_htons(vid & 0xfff);
	return 0;
}

SEC("xdp.frags")
int xvtep_xdp_mir(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	void *meta = (void *)(long)ctx->data_meta;
	struct bpf_fib_lookup fib = {};
	const struct xvtep_mirror *m;
	bool truncated = false, had_tag = false;
	__u32 tag, slot, dir, out, len, hlen = 0, mtu = 0, room;
	__u16 tci = 0;
	struct ethhdr *eth = data;

	if (meta + 4 > data)
		return XDP_PASS;	/* not a copy of ours: TC drops it */
	tag = *(__u32 *)meta;
	if ((tag & XVTEP_MIRROR_MARK_MASK) != XVTEP_MIRROR_MARK || tag == XVTEP_MIRROR_MARK_OUT)
		return XDP_PASS;
	slot = tag & (XVTEP_MAX_MIRRORS - 1);
	dir = (tag >> 8) & 3;
	m = bpf_map_lookup_elem(&xvtep_mirrors, &slot);
	if (!m || !m->id) {
		mirror_count_drop(slot, XVTEP_MDROP_NO_SESSION);
		return XDP_DROP;
	}
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	/* The output first: nothing is changed unless XDP can send the copy. */
	if (m->kind == XVTEP_MIRROR_ERSPAN) {
		/* A copy to an IPv6 collector is made by TC (erspan_send): it
		 * is handed on untouched, as are copies without a route. */
		if (erspan_v6(m) || !erspan_routable(m))
			return XDP_PASS;	/* TC sends it, or counts it no_route */
		fib.family = AF_INET_NR;
		fib.l4_protocol = IPPROTO_GRE_NR;
		fib.ipv4_src = cfg_local_ip;
		fib.ipv4_dst = m->remote.w[3];
		fib.ifindex = ctx->ingress_ifindex;
		if (bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) != BPF_FIB_LKUP_RET_SUCCESS)
			return XDP_PASS;	/* no route, no neighbour, too big: TC */
		out = fib.ifindex;
	} else {
		out = m->dest_ifindex;
	}
	if (!bpf_map_lookup_elem(&xvtep_mirror_xmit, &out))
		return XDP_PASS;

	if (eth->h_proto == bpf_htons(ETH_P_8021Q)) {
		__be16 *vtci = (void *)(eth + 1);

		if ((void *)(vtci + 1) > data_end)
			return XDP_PASS;
		had_tag = true;
		tci = bpf_ntohs(*vtci);
	}

	len = bpf_xdp_get_buff_len(ctx);
	if (mirror_cuts(m, len)) {
		if (bpf_xdp_adjust_tail(ctx, (int)m->truncate - (int)len))
			goto encap_failed;
		len = m->truncate;
		truncated = true;
	}

	if (m->kind == XVTEP_MIRROR_ERSPAN) {
		struct erspan_outer h = {};

		hlen = erspan_hlen(m);
		/* Never fragment a copy: cut it to what fits, and say so with T. */
		bpf_check_mtu(ctx, out, &mtu, 0, 0);
		room = mtu > hlen - ETH_HLEN ? mtu - (hlen - ETH_HLEN) : 0;
		if (len > room) {
			if (room < ETH_HLEN || bpf_xdp_adjust_tail(ctx, (int)room - (int)len))
				goto encap_failed;
			len = room;
			truncated = true;
		}
		erspan_build(&h, m, &fib, len, dir, truncated, tci, had_tag, had_tag, 1);
		if (bpf_xdp_adjust_head(ctx, -(int)hlen))
			goto encap_failed;
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
		if (data + sizeof(h) > data_end)
			goto encap_failed;
		/* Type II is 4 bytes shorter: its copy starts at the same place. */
		__builtin_memcpy(data, &h, ERSPAN2_LEN);
		if (hlen == ERSPAN3_LEN)
			*(__be32 *)(data + ERSPAN2_LEN) = h.gre.w2;
	} else if (m->kind == XVTEP_MIRROR_RSPAN) {
		if (xdp_rspan_tag(ctx, m->vlan))
			goto encap_failed;
		hlen = 4;
	}

	mirror_count_sent(slot, len + hlen, truncated, 1);
	return bpf_redirect_map(&xvtep_mirror_xmit, out, 0);

encap_failed:
	mirror_count_drop(slot, XVTEP_MDROP_ENCAP);
	return XDP_DROP;
}
