/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Mirror sources. A selected frame is cloned, untouched, into the ingress of
 * the mirror device with the session slot in skb->mark; xvtep_tc_mirror
 * (tc_mirror.c) then shapes that copy alone. A SPAN copy with nothing to cut
 * goes straight to its destination instead. The frame being forwarded is
 * never modified, and a slow or unreachable destination only costs the copy.
 */
#ifndef XVTEP_BPF_MIRROR_H
#define XVTEP_BPF_MIRROR_H

#include "maps.h"
#include "secure.h"
#include "csum.h"

static __always_inline void mirror_count_drop(__u32 slot, enum xvtep_mirror_drop reason)
{
	struct xvtep_mirror_stats *ms = bpf_map_lookup_elem(&xvtep_mstats, &slot);

	if (ms && reason < XVTEP_MDROP_SLOTS)
		ms->drops[reason]++;
}

/* SEGS: the copies this one becomes on the wire (a GSO copy's segments). */
static __always_inline void mirror_count_sent(__u32 slot, __u32 len, bool truncated, __u32 segs)
{
	struct xvtep_mirror_stats *ms = bpf_map_lookup_elem(&xvtep_mstats, &slot);

	if (ms) {
		ms->packets += segs;
		ms->bytes += len;
		ms->truncated += truncated;
	}
}

/* The copies a copy becomes on the wire: a GSO packet's segments. */
static __always_inline __u32 wire_segs(const struct __sk_buff *skb)
{
	return skb->gso_size && skb->gso_segs ? skb->gso_segs : 1;
}

/* Whether session M cuts a frame of LEN bytes (its `truncate`). */
static __always_inline bool mirror_cuts(const struct xvtep_mirror *m, __u32 len)
{
	return m->truncate && len > m->truncate;
}

/* A SPAN copy with nothing to cut is the frame itself: it is cloned straight
 * to the destination's egress, sparing it the pass through the mirror
 * device's backlog and xvtep_tc_mirror (about 130 ns of ~1 us per copy, see
 * docs/performance.md). False: the copy needs xvtep_tc_mirror. */
static __always_inline bool mirror_span_direct(struct __sk_buff *skb, __u32 slot)
{
	const struct xvtep_mirror *m = bpf_map_lookup_elem(&xvtep_mirrors, &slot);

	if (!m || m->kind != XVTEP_MIRROR_SPAN || !m->dest_ifindex || mirror_cuts(m, skb->len))
		return false;
	skb->mark = XVTEP_MIRROR_MARK_OUT;	/* the destination's programs leave it alone */
	if (bpf_clone_redirect(skb, m->dest_ifindex, 0))
		mirror_count_drop(slot, XVTEP_MDROP_REDIRECT);
	else
		mirror_count_sent(slot, skb->len, false, wire_segs(skb));
	return true;
}

/* One copy per session in `sessions`; dir is XVTEP_MIRROR_DIR_RX or _TX. */
static __always_inline void mirror_copies(struct __sk_buff *skb, __u32 sessions, __u32 dir)
{
	__u32 mark;

	if (likely(!sessions))
		return;
	mark = skb->mark;
	if (mark == XVTEP_MIRROR_MARK_OUT)
		return;	/* a copy leaving through a mirrored port: no copies of copies */
	for (__u32 slot = 0; slot < XVTEP_MAX_MIRRORS; slot++) {
		if (!(sessions & (1U << slot)))
			continue;
		if (!mirror_rate_ok(slot)) {
			mirror_count_drop(slot, XVTEP_MDROP_RATE);
			continue;
		}
		if (mirror_span_direct(skb, slot))
			continue;
		skb->mark = XVTEP_MIRROR_MARK | dir << 8 | slot;
		if (!cfg_mirror_ifindex ||
		    bpf_clone_redirect(skb, cfg_mirror_ifindex, BPF_F_INGRESS))
			mirror_count_drop(slot, XVTEP_MDROP_CLONE);
	}
	skb->mark = mark;
}

/* ---- copies' shapes, shared by xvtep_tc_mirror and xvtep_xdp_mir ---- */

#define GRE_S_FLAG		0x1000
#define GRE_PROTO_ERSPAN2	0x88BE
#define GRE_PROTO_ERSPAN3	0x22EB
#define IPPROTO_GRE_NR		47

/* GRE with a sequence number, then the ERSPAN header. */
struct erspan_gre {
	__be16 flags;
	__be16 proto;
	__be32 seq;
	__be32 w0;		/* Ver, VLAN, COS, En/BSO, T, session id */
	__be32 w1;		/* II: index; III: timestamp */
	__be32 w2;		/* III: SGT, P, FT, HW ID, D, Gra, O */
} __attribute__((packed));

/* A copy's headers toward an IPv4 collector... */
struct erspan_outer {
	struct ethhdr eth;
	struct iphdr ip;
	struct erspan_gre gre;
} __attribute__((packed));

/* ...and toward an IPv6 one (as Linux's ip6erspan sends them). */
struct erspan_outer6 {
	struct ethhdr eth;
	struct ipv6hdr ip6;
	struct erspan_gre gre;
} __attribute__((packed));

#define ERSPAN2_LEN	(sizeof(struct erspan_outer) - 4)
#define ERSPAN3_LEN	(sizeof(struct erspan_outer))
#define ERSPAN6_EXTRA	(sizeof(struct ipv6hdr) - sizeof(struct iphdr))

/* Whether session M's collector is IPv6 (not an IPv4-mapped address). */
static __always_inline bool erspan_v6(const struct xvtep_mirror *m)
{
	return !xvtep_addr_is_v4(&m->remote);
}

/* Headers in front of the copy: 50 (Type II) or 54 (III) bytes over IPv4,
 * 20 more over IPv6. */
static __always_inline __u32 erspan_hlen(const struct xvtep_mirror *m)
{
	return (m->erspan_version == 3 ? ERSPAN3_LEN : ERSPAN2_LEN) +
	       (erspan_v6(m) ? ERSPAN6_EXTRA : 0);
}

/* A copy leaves from the local address of its collector's family: without
 * one (or toward the unspecified address), it has no route. */
static __always_inline bool erspan_routable(const struct xvtep_mirror *m)
{
	if (!erspan_v6(m))
		return local4_set();
	return local6_set() && !xvtep_addr_is_zero(&m->remote);
}

/* GRE and ERSPAN headers of a copy; takes the session's next GRE sequence
 * number(s). */
static __always_inline void erspan_gre_build(struct erspan_gre *g, const struct xvtep_mirror *m,
					     __u32 dir, bool truncated, __u16 tci,
					     bool tagged_in_frame, bool had_tag, __u32 segs)
{
	bool v3 = m->erspan_version == 3;
	__u32 w0;

	g->flags = bpf_htons(GRE_S_FLAG);
	g->proto = bpf_htons(v3 ? GRE_PROTO_ERSPAN3 : GRE_PROTO_ERSPAN2);
	/* m points into an array map value: the sequence is per session. A
	 * GSO copy takes one number per segment; its segments all carry the
	 * first (the headers are replicated when it is cut). */
	g->seq = bpf_htonl((__u32)__sync_fetch_and_add((__u64 *)&m->seq, segs));

	w0 = (__u32)(tci & 0xfff) << 16 | (__u32)(tci >> 13) << 13 |
	     (truncated ? 1U << 10 : 0) | (m->session & 0x3ff);
	if (v3) {
		w0 |= 2U << 28;	/* Ver 2 = Type III; BSO 0: a good frame */
		g->w0 = bpf_htonl(w0);
		/* Gra 0: 100 us units of the wall clock (TAI). */
		g->w1 = bpf_htonl((__u32)(bpf_ktime_get_tai_ns() / 100000));
		g->w2 = bpf_htonl((m->hwid & 0x3f) << 4 | (dir == XVTEP_MIRROR_DIR_TX ? 1U << 3 : 0));
	} else {
		/* En: 0 untagged, 3 tag kept in the frame, 2 tag reported here only. */
		w0 |= 1U << 28 | (had_tag ? (tagged_in_frame ? 3U : 2U) << 11 : 0);
		g->w0 = bpf_htonl(w0);
		g->w1 = bpf_htonl(m->index & 0xfffff);
	}
}

/* Outer Ethernet (from the route), IPv4, GRE and ERSPAN headers of a copy
 * of FRAME_LEN bytes to an IPv4 collector. */
static __always_inline void erspan_build(struct erspan_outer *h, const struct xvtep_mirror *m,
					 const struct bpf_fib_lookup *fib, __u32 frame_len,
					 __u32 dir, bool truncated, __u16 tci,
					 bool tagged_in_frame, bool had_tag, __u32 segs)
{
	struct iphdr ip = {};

	__builtin_memcpy(h->eth.h_dest, fib->dmac, ETH_ALEN);
	__builtin_memcpy(h->eth.h_source, fib->smac, ETH_ALEN);
	h->eth.h_proto = bpf_htons(ETH_P_IP);
	ip.version = 4;
	ip.ihl = 5;
	ip.ttl = XVTEP_TTL_DEFAULT;
	ip.protocol = IPPROTO_GRE_NR;
	ip.frag_off = bpf_htons(IP_DF);
	ip.saddr = cfg_local_ip;
	ip.daddr = m->remote.w[3];	/* IPv4 (mapped): the callers checked */
	ip.tot_len = bpf_htons(frame_len + erspan_hlen(m) - ETH_HLEN);
	ip.check = ipv4_csum(&ip);
	h->ip = ip;
	erspan_gre_build(&h->gre, m, dir, truncated, tci, tagged_in_frame, had_tag, segs);
}

/* The same to an IPv6 collector: IPv6 next header GRE, hop limit 64,
 * traffic class and flow label 0, from the instance's IPv6 address. */
static __always_inline void erspan_build6(struct erspan_outer6 *h, const struct xvtep_mirror *m,
					  const struct bpf_fib_lookup *fib, __u32 frame_len,
					  __u32 dir, bool truncated, __u16 tci,
					  bool tagged_in_frame, bool had_tag, __u32 segs)
{
	__be32 w0 = bpf_htonl(6U << 28);

	__builtin_memcpy(h->eth.h_dest, fib->dmac, ETH_ALEN);
	__builtin_memcpy(h->eth.h_source, fib->smac, ETH_ALEN);
	h->eth.h_proto = bpf_htons(ETH_P_IPV6);
	__builtin_memcpy(&h->ip6, &w0, sizeof(w0));
	h->ip6.payload_len = bpf_htons(frame_len + erspan_hlen(m) - ETH_HLEN -
				       sizeof(struct ipv6hdr));
	h->ip6.nexthdr = IPPROTO_GRE_NR;
	h->ip6.hop_limit = XVTEP_TTL_DEFAULT;
	h->ip6.saddr.in6_u.u6_addr32[0] = cfg_local_ip6[0];
	h->ip6.saddr.in6_u.u6_addr32[1] = cfg_local_ip6[1];
	h->ip6.saddr.in6_u.u6_addr32[2] = cfg_local_ip6[2];
	h->ip6.saddr.in6_u.u6_addr32[3] = cfg_local_ip6[3];
	h->ip6.daddr.in6_u.u6_addr32[0] = m->remote.w[0];
	h->ip6.daddr.in6_u.u6_addr32[1] = m->remote.w[1];
	h->ip6.daddr.in6_u.u6_addr32[2] = m->remote.w[2];
	h->ip6.daddr.in6_u.u6_addr32[3] = m->remote.w[3];
	erspan_gre_build(&h->gre, m, dir, truncated, tci, tagged_in_frame, had_tag, segs);
}

/* ---- copies made on the XDP decap path (xvtep.h) ---- */

/* The session slot of a port whose one tx session XDP can copy for, else
 * XVTEP_MAX_MIRRORS. Such a port is out of xvtep_devmap and has a pair. */
static __always_inline __u32 xdp_mirror_slot(__u32 ifindex, void **pair)
{
	const struct xvtep_port *port;
	__u32 tx;

	*pair = bpf_map_lookup_elem(&xvtep_mirror_bcast, &ifindex);
	if (!*pair)
		return XVTEP_MAX_MIRRORS;
	port = bpf_map_lookup_elem(&xvtep_ports, &ifindex);
	if (!port)
		return XVTEP_MAX_MIRRORS;
	tx = port->mirror_tx;
	if (!tx || (tx & (tx - 1)))
		return XVTEP_MAX_MIRRORS;	/* none, or several: TC makes them */
	for (__u32 slot = 0; slot < XVTEP_MAX_MIRRORS; slot++)
		if (tx == 1U << slot)
			return slot;
	return XVTEP_MAX_MIRRORS;
}

/* Send the frame (its data already at the inner Ethernet header) to its port
 * and, unless the session is over its rate, a copy tagged with SLOT to the
 * mirror device. Returns the XDP verdict. */
static __always_inline int xdp_mirror_redirect(struct xdp_md *ctx, void *pair, __u32 ifindex,
					       __u32 slot)
{
	const struct xvtep_mirror *m;
	void *data, *meta;

	if (!mirror_rate_ok(slot)) {
		mirror_count_drop(slot, XVTEP_MDROP_RATE);
		return bpf_redirect_map(pair, ifindex, 0);
	}
	/* A SPAN copy that cuts nothing is the frame itself: when the control
	 * plane made its destination the pair's other member (it takes XDP
	 * frames, lib/maps.c), the copy goes there straight, sparing it the
	 * mirror device and xvtep_xdp_mir (docs/performance.md). */
	m = bpf_map_lookup_elem(&xvtep_mirrors, &slot);
	if (m && xvtep_mirror_span_whole(m) && bpf_map_lookup_elem(pair, &m->dest_ifindex)) {
		mirror_count_sent(slot, ctx->data_end - ctx->data, false, 1);
		return bpf_redirect_map(pair, 0, BPF_F_BROADCAST);
	}
	/* The tag travels in XDP metadata: the frame itself stays untouched
	 * (the port's copy carries the 4 bytes too, as metadata only). Without
	 * the helper the control plane makes no such pair (lib/maps.c). */
	if (!cfg_xdp_meta || bpf_xdp_adjust_meta(ctx, -4))
		goto no_copy;
	data = (void *)(long)ctx->data;
	meta = (void *)(long)ctx->data_meta;
	if (meta + 4 > data)
		goto no_copy;
	*(__u32 *)meta = XVTEP_MIRROR_MARK | XVTEP_MIRROR_DIR_TX << 8 | slot;
	return bpf_redirect_map(pair, 0, BPF_F_BROADCAST);
no_copy:
	mirror_count_drop(slot, XVTEP_MDROP_CLONE);
	return bpf_redirect_map(pair, ifindex, 0);
}

static __always_inline __u32 uplink_mirror_sessions(bool tx)
{
	__u32 zero = 0;
	struct xvtep_upmirror *um = bpf_map_lookup_elem(&xvtep_upmirror, &zero);

	if (!um)
		return 0;
	return tx ? um->mirror_tx : um->mirror_rx;
}

#endif
