/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Uplink XDP: the decap fast path. It finishes only frames it can finish
 * alone: known unicast to a local port, and (hybrid mode) not TCP. Everything
 * else - flooding, TCP that needs GSO/GRO and intact checksum state, ports that
 * must see frames in TC - is passed untouched to xvtep_tc_up, which does
 * the full job. A port with one tx mirror session is finished here too: the
 * frame goes to the port and a copy to the mirror device, or straight to a
 * SPAN destination when there is nothing to shape (mirror.h). Nothing
 * stateful happens before that decision, so a frame is never learned or
 * counted twice.
 */

SEC("xdp")
int xvtep_xdp_up(struct xdp_md *ctx)
{
	void *data, *data_end;
	const struct xvtep_gen *gen = gen_get();	/* for the per-CPU caches (cache.h) */
	const struct xvtep_fdb_entry *dst;
	const struct xvtep_vni *vcfg;
	__u32 out, mslot = XVTEP_MAX_MIRRORS;
	void *pair = NULL;
	struct xvtep_stats *st;
	struct vxlan_rx rx = {};
	struct ethhdr *ieth;
	int verdict;

	/* Frames mirrored as received on the uplink are copied in TC. */
	if (uplink_mirror_sessions(false))
		return XDP_PASS;
	verdict = vxlan_rx_unpack(vxlan_parse_xdp(ctx, &rx), &rx);
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	verdict = vxlan_rx_accept(verdict, data, data_end, &rx, &vcfg, &st, &ieth, gen);
	if (verdict == VXLAN_NOT_OURS)
		return XDP_PASS;
	if (verdict != XVTEP_DROP__MAX)
		return XDP_DROP;

	if (mac_is_multicast(ieth->h_dest) || (rx.inner_tcp && !cfg_xdp_tcp))
		goto to_tc;
	dst = fdb_lookup_cached(rx.vni, ieth->h_dest, gen);
	if (!dst || (dst->flags & XVTEP_FDB_F_REMOTE))
		goto to_tc;
	/* In the devmap = a port XDP may deliver to (maps.h). An entry of this
	 * VNI's FDB names only ports of this VNI: learned on them, or checked
	 * by `fdb add`; `port del` removes the port's entries. The helper only
	 * records the target (one lookup serves as check and redirect): nothing
	 * is sent unless the program returns XDP_REDIRECT. */
	out = dst->ifindex;
	if (bpf_redirect_map(&xvtep_devmap, out, XDP_PASS) != XDP_REDIRECT) {
		/* Not in the devmap: a port whose tx copies XDP may make
		 * (it has a pair, mirror.h), or one that needs TC. */
		mslot = xdp_mirror_slot(out, &pair);
		if (mslot >= XVTEP_MAX_MIRRORS)
			goto to_tc;
	}

	if (rx.reserved_bits)
		count_event(st, XVTEP_EV_RESERVED_BITS);
	verdict = fdb_learn(rx.vni, vcfg, ieth->h_source, 0, &rx.outer_src, st);
	if (verdict != XVTEP_DROP__MAX) {
		count_drop_src(st, rx.vni, verdict, evq_mac(ieth->h_source), 0, &rx.outer_src);
		return XDP_DROP;
	}

	if (bpf_xdp_adjust_head(ctx, rx.inner_off)) {
		count_drop(st, rx.vni, XVTEP_DROP_MALFORMED);
		return XDP_DROP;
	}
	count_rx(st, ctx->data_end - ctx->data);
	if (pair)
		return xdp_mirror_redirect(ctx, pair, out, mslot);
	return XDP_REDIRECT;

to_tc:
	count_event(st, XVTEP_EV_XDP_TO_TC);
	return XDP_PASS;
}
