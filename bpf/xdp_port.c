/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VM-port XDP, only on ports added with `encap xdp`: the encap fast path.
 * It finishes known unicast IPv4/IPv6 frames toward a remote VTEP (over an
 * IPv4 or IPv6 underlay, as the remote's address is) whose underlay route
 * and neighbour are resolved and whose output device takes XDP frames.
 * Everything else - ARP, BUM, local switching, unknown destinations,
 * frames over the underlay MTU, IPv6 extension headers, groups, a remote of
 * a family the instance has no address of, ports with rx mirror sessions,
 * an uplink with tx sessions - passes untouched to
 * xvtep_tc_port, which does the full job. Nothing stateful happens before
 * that decision, so a frame is never learned or counted twice.
 *
 * Checksums: a VM's TCP/UDP frame usually arrives with its checksum still
 * to be filled in (CHECKSUM_PARTIAL), which an XDP program cannot see and
 * which the kernel forgets when XDP redirects the frame. So this path fills
 * in every TCP/UDP checksum itself (a correct one is rewritten unchanged).
 * IPv4 fragments carry no pending checksum (the stack resolves it before
 * fragmenting) and are left as they are. IPv6 extension headers go to TC.
 *
 * The price, paid by the VM and documented: XDP on a veth turns TSO off on
 * its other end (the VM's side), so the VM sends MTU-sized TCP segments.
 */

struct inner_flow {
	__u8 *l4;
	__u32 l4_len;
	__u16 *check;		/* the TCP/UDP checksum field */
	__u32 pseudo;		/* pseudo-header sum */
	bool udp;
	bool fill_csum;
};

/* The L4 part after an IP header: TCP/UDP get their checksum field;
 * ICMP/ICMPv6 are checksummed by the stack in
 * software. Anything else may have a pending checksum of its own kind
 * (SCTP's CRC32c, GRE, UDP-Lite; veth offloads them all): TC. */
static __always_inline int inner_l4(struct inner_flow *f, __u8 proto, const void *data_end)
{
	__u32 min_len, check_off;

	if (proto == IPPROTO_TCP_NR) {
		check_off = 16;
		min_len = sizeof(struct tcphdr);
	} else if (proto == IPPROTO_UDP_NR) {
		check_off = 6;
		f->udp = true;
		min_len = sizeof(struct udphdr);
	} else if (proto == IPPROTO_ICMP_NR || proto == IPPROTO_ICMPV6_NR) {
		return 0;
	} else {
		return -1;
	}
	if (f->l4_len < min_len || f->l4_len > L4_CSUM_MAX_LEN ||
	    (void *)(f->l4 + 4) > data_end)
		return -1;
	f->check = (__u16 *)(f->l4 + check_off);
	if ((void *)(f->check + 1) > data_end)
		return -1;
	f->fill_csum = true;
	return 0;
}

/* 0: the frame may take the fast path (F filled in); -1: leave it to TC. */
static __always_inline int parse_inner_flow(struct ethhdr *eth, const void *data_end,
					    struct inner_flow *f)
{
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		struct {
			__be32 saddr, daddr;
			__u8 zero, proto;
			__be16 len;
		} ph;
		__u32 ihl, tot;

		if ((void *)(ip + 1) > data_end)
			return -1;
		ihl = ip->ihl * 4;
		tot = ntohs_bounded(ip->tot_len);
		if (ip->version != 4 || ihl < sizeof(*ip) || tot < ihl ||
		    (void *)ip + tot > data_end)
			return -1;
		f->l4 = (__u8 *)ip + ihl;
		f->l4_len = tot - ihl;
		if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
			return 0;
		ph.saddr = ip->saddr;
		ph.daddr = ip->daddr;
		ph.zero = 0;
		ph.proto = ip->protocol;
		ph.len = bpf_htons(f->l4_len);
		f->pseudo = bpf_csum_diff(NULL, 0, (__be32 *)&ph, sizeof(ph), 0);
		return inner_l4(f, ip->protocol, data_end);
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		struct {
			__be32 len;
			__u8 zero[3];
			__u8 nexthdr;
		} ph;
		__u32 len;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		len = ntohs_bounded(ip6->payload_len);
		f->l4 = (__u8 *)(ip6 + 1);
		f->l4_len = len;
		if ((void *)(f->l4 + len) > data_end)
			return -1;
		__builtin_memset(&ph, 0, sizeof(ph));
		ph.len = bpf_htonl(len);
		ph.nexthdr = ip6->nexthdr;
		f->pseudo = bpf_csum_diff(NULL, 0, (__be32 *)&ip6->saddr, 32, 0);
		f->pseudo = bpf_csum_diff(NULL, 0, (__be32 *)&ph, sizeof(ph), f->pseudo);
		return inner_l4(f, ip6->nexthdr, data_end);
	}
	return -1;	/* ARP and the rest: TC */
}

struct vxlan_encap_hdr {
	struct ethhdr eth;
	struct iphdr ip;
	struct udphdr udp;
	struct vxlan_hdr vx;
} __attribute__((packed));

_Static_assert(sizeof(struct vxlan_encap_hdr) == XVTEP_ENCAP_LEN, "encap header");

struct vxlan_encap6_hdr {
	struct ethhdr eth;
	struct ipv6hdr ip6;
	struct udphdr udp;
	struct vxlan_hdr vx;
} __attribute__((packed));

_Static_assert(sizeof(struct vxlan_encap6_hdr) == XVTEP_ENCAP6_LEN, "encap6 header");

/* The outer headers toward IPv6 REMOTE of a frame of LEN bytes, in front
 * of it (XVTEP_ENCAP6_LEN bytes made room for): as encap_target6() in TC,
 * flow label from HASH, zero UDP checksum. 0, or -1 when out of bounds. */
static __always_inline int xdp_outer6(struct xdp_md *ctx, const struct bpf_fib_lookup *fib,
				      const union xvtep_addr *remote, __u32 len, __u32 hash,
				      __u32 vni, __u8 ttl)
{
	void *data = (void *)(long)ctx->data;
	struct vxlan_encap6_hdr *h = data;
	struct ipv6hdr ip6 = {};
	__be32 w0 = bpf_htonl(6U << 28 | (hash & 0xfffff));

	if ((void *)(h + 1) > (void *)(long)ctx->data_end)
		return -1;
	__builtin_memcpy(&ip6, &w0, sizeof(w0));
	ip6.payload_len = bpf_htons(len + sizeof(struct udphdr) + sizeof(struct vxlan_hdr));
	ip6.nexthdr = IPPROTO_UDP_NR;
	ip6.hop_limit = ttl ? ttl : XVTEP_TTL_DEFAULT;
	ip6.saddr.in6_u.u6_addr32[0] = cfg_local_ip6[0];
	ip6.saddr.in6_u.u6_addr32[1] = cfg_local_ip6[1];
	ip6.saddr.in6_u.u6_addr32[2] = cfg_local_ip6[2];
	ip6.saddr.in6_u.u6_addr32[3] = cfg_local_ip6[3];
	__builtin_memcpy(&ip6.daddr, remote, sizeof(ip6.daddr));
	__builtin_memcpy(h->eth.h_dest, fib->dmac, ETH_ALEN);
	__builtin_memcpy(h->eth.h_source, fib->smac, ETH_ALEN);
	h->eth.h_proto = bpf_htons(ETH_P_IPV6);
	__builtin_memcpy(&h->ip6, &ip6, sizeof(ip6));
	h->udp.source = vxlan_sport(hash);
	h->udp.dest = bpf_htons(cfg_dstport);
	h->udp.len = ip6.payload_len;
	h->udp.check = 0;	/* RFC 6935/6936, as in TC */
	h->vx.flags = VXLAN_I_FLAG;
	h->vx.vni = bpf_htonl(vni << 8);
	return 0;
}

SEC("xdp")
int xvtep_xdp_port(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct xvtep_gen *gen = gen_get();	/* for the per-CPU caches (cache.h) */
	__u32 in_ifindex = ctx->ingress_ifindex;
	const struct xvtep_fdb_entry *dst;
	const struct xvtep_port *port;
	const struct xvtep_vni *vcfg;
	struct vxlan_encap_hdr *h;
	struct iphdr ip = {};
	struct bpf_fib_lookup fib = {};
	struct inner_flow f = {};
	struct xvtep_stats *st;
	struct ethhdr *eth = data;
	__u32 vni, len = data_end - data, hash;
	union xvtep_addr remote;
	int verdict;

	port = bpf_map_lookup_elem(&xvtep_ports, &in_ifindex);
	/* A trunk's tag may be offloaded, invisible here: TC only (vlan.h). */
	if (!port || (port->flags & (XVTEP_PORT_F_XDP_ENCAP | XVTEP_PORT_F_TRUNK)) !=
		     XVTEP_PORT_F_XDP_ENCAP)
		return XDP_PASS;
	vni = port->vni;
	vcfg = vni_lookup_cached(vni, gen);
	if (!vcfg)
		return XDP_PASS;	/* TC counts it */
	st = stats_get(vcfg);
	/* rx copies are made in TC; an XDP redirect would skip the uplink's
	 * egress hook, where its tx copies are made. */
	if (port->mirror_rx || uplink_mirror_sessions(true))
		goto to_tc;
	if ((void *)(eth + 1) > data_end || mac_is_multicast(eth->h_dest) ||
	    mac_is_multicast(eth->h_source) || mac_is_zero(eth->h_source) ||
	    parse_inner_flow(eth, data_end, &f) || inner_flow_hash(eth, data_end, &hash))
		goto to_tc;
	/* NS/NA are answered and snooped by TC (neigh.h); ARP never gets here. */
	if ((vcfg->flags & XVTEP_VNI_F_NEIGH_SUPPRESS) && neigh_is_nd(eth, data_end))
		goto to_tc;
	dst = fdb_lookup_cached(vni, eth->h_dest, gen);
	if (!dst || !(dst->flags & XVTEP_FDB_F_REMOTE))
		goto to_tc;
	remote = dst->remote;

	/* An input lookup from the port, as in TC (`port add` enables IPv4 and
	 * IPv6 forwarding on it); tot_len makes the FIB check the route's MTU.
	 * A remote of a family without a local address (TC drops it as
	 * no_route), or a group, is TC's. */
	if (local4_set() && local6_set()) {
		/* Dual stack: the lookup's fields are chosen without a branch on
		 * the family, and what the family decides is checked after it:
		 * the verifier then walks one path through the lookup, learning
		 * and the checksum loop, not one per family. */
		__u64 v6 = addr_v6_bit(&remote), m = 0 - v6;

		fib.family = AF_INET_NR + (v6 << 3);
		fib.ipv6_src[0] = (cfg_local_ip6[0] & m) | (cfg_local_ip & ~m);
		fib.ipv6_src[1] = cfg_local_ip6[1] & m;
		fib.ipv6_src[2] = cfg_local_ip6[2] & m;
		fib.ipv6_src[3] = cfg_local_ip6[3] & m;
		fib.ipv6_dst[0] = (remote.w[0] & m) | (remote.w[3] & ~m);
		fib.ipv6_dst[1] = remote.w[1] & m;
		fib.ipv6_dst[2] = remote.w[2] & m;
		fib.ipv6_dst[3] = remote.w[3] & m;
		fib.tot_len = len - ETH_HLEN + XVTEP_ENCAP_LEN +
			      ((XVTEP_ENCAP6_LEN - XVTEP_ENCAP_LEN) & m);
	} else if (local6_set()) {
		if (xvtep_addr_is_v4(&remote) || remote.b[0] == 0xff)
			goto to_tc;
		fib.family = AF_INET6_NR;
		fib.ipv6_src[0] = cfg_local_ip6[0];
		fib.ipv6_src[1] = cfg_local_ip6[1];
		fib.ipv6_src[2] = cfg_local_ip6[2];
		fib.ipv6_src[3] = cfg_local_ip6[3];
		__builtin_memcpy(fib.ipv6_dst, &remote, sizeof(fib.ipv6_dst));
		fib.tot_len = len - ETH_HLEN + XVTEP_ENCAP6_LEN;
	} else {
		if (!xvtep_addr_is_v4(&remote) || ipv4_is_multicast(remote.w[3]))
			goto to_tc;
		fib.family = AF_INET_NR;
		fib.ipv4_src = cfg_local_ip;
		fib.ipv4_dst = remote.w[3];
		fib.tot_len = len - ETH_HLEN + XVTEP_ENCAP_LEN;
	}
	fib.l4_protocol = IPPROTO_UDP_NR;
	fib.ifindex = in_ifindex;
	if (bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) != BPF_FIB_LKUP_RET_SUCCESS)
		goto to_tc;	/* no route, unresolved neighbour, too big: TC decides */
	/* Dual stack: a group is TC's (it floods). */
	if (local4_set() && local6_set() &&
	    (fib.family == AF_INET6_NR ? remote.b[0] == 0xff : ipv4_is_multicast(remote.w[3])))
		goto to_tc;
	/* Only to a device that takes XDP frames (maps.h); the helper just
	 * records the target, nothing is sent before XDP_REDIRECT. */
	if (bpf_redirect_map(&xvtep_mirror_xmit, fib.ifindex, XDP_PASS) != XDP_REDIRECT)
		goto to_tc;

	verdict = fdb_learn(vni, vcfg, eth->h_source, in_ifindex, NULL, st);
	if (verdict != XVTEP_DROP__MAX) {
		count_drop_src(st, vni, verdict, evq_mac(eth->h_source), in_ifindex, NULL);
		return XDP_DROP;
	}
	if (f.fill_csum && l4_csum_fill(ctx, f.l4 - (__u8 *)data, f.l4_len, f.check, f.pseudo,
					 f.udp)) {
		/* parse_inner_flow checked the bounds */
		count_drop(st, vni, XVTEP_DROP_MALFORMED);
		return XDP_DROP;
	}

	/* The family again: single stack knows it (rodata), dual stack reads
	 * it back from the lookup's fields (a flag kept since the lookup
	 * would have the verifier walk learning and the checksum loop once
	 * per family). */
	asm volatile("" ::: "memory");
	if (local6_set() && (!local4_set() || fib.family == AF_INET6_NR)) {
		if (bpf_xdp_adjust_head(ctx, -XVTEP_ENCAP6_LEN) ||
		    xdp_outer6(ctx, &fib, &remote, len, hash, vni, vcfg->ttl)) {
			count_drop(st, vni, XVTEP_DROP_ENCAP_FAILED);
			return XDP_DROP;
		}
		count_tx(st, len + XVTEP_ENCAP6_LEN);
		count_event(st, XVTEP_EV_XDP_ENCAP);
		return XDP_REDIRECT;
	}
	if (bpf_xdp_adjust_head(ctx, -XVTEP_ENCAP_LEN)) {
		count_drop(st, vni, XVTEP_DROP_ENCAP_FAILED);
		return XDP_DROP;
	}
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	h = data;
	if ((void *)(h + 1) > data_end) {
		count_drop(st, vni, XVTEP_DROP_ENCAP_FAILED);
		return XDP_DROP;
	}
	__builtin_memcpy(h->eth.h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(h->eth.h_source, fib.smac, ETH_ALEN);
	h->eth.h_proto = bpf_htons(ETH_P_IP);
	ip.version = 4;
	ip.ihl = 5;
	ip.tot_len = bpf_htons(len + XVTEP_ENCAP_LEN - ETH_HLEN);
	ip.frag_off = bpf_htons(IP_DF);
	ip.ttl = vcfg->ttl ? vcfg->ttl : XVTEP_TTL_DEFAULT;
	ip.protocol = IPPROTO_UDP_NR;
	ip.saddr = cfg_local_ip;
	ip.daddr = remote.w[3];
	ip.check = ipv4_csum(&ip);
	__builtin_memcpy(&h->ip, &ip, sizeof(ip));
	h->udp.source = vxlan_sport(hash);
	h->udp.dest = bpf_htons(cfg_dstport);
	h->udp.len = bpf_htons(len + sizeof(struct udphdr) + sizeof(struct vxlan_hdr));
	h->udp.check = 0;	/* RFC 7348: zero is allowed over IPv4 */
	h->vx.flags = VXLAN_I_FLAG;
	h->vx.vni = bpf_htonl(vni << 8);
	count_tx(st, len + XVTEP_ENCAP_LEN);
	count_event(st, XVTEP_EV_XDP_ENCAP);
	return XDP_REDIRECT;

to_tc:
	count_event(st, XVTEP_EV_XDP_TO_TC);
	return XDP_PASS;
}
