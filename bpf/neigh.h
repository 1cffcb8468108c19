/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ARP / IPv6 ND suppression on VM ports (VNIs with XVTEP_VNI_F_NEIGH_SUPPRESS).
 * An ARP request or Neighbour Solicitation for an address bound in
 * xvtep_neigh is answered on the port it came from, so it never floods the
 * overlay; the VMs' own ARP and ND keep the snooped bindings current.
 *
 * Frames are read and written whole through bpf_skb_load_bytes /
 * bpf_skb_store_bytes on a stack copy: no packet pointer arithmetic for the
 * verifier to follow, and a frame too short for its header simply fails
 * the load and goes on as any other frame would (flooded, as before).
 */
#ifndef XVTEP_BPF_NEIGH_H
#define XVTEP_BPF_NEIGH_H

#include "fdb.h"

#define ETH_P_ARP		0x0806
#define ARPHRD_ETHER_NR		1
#define ARPOP_REQUEST_NR	1
#define ARPOP_REPLY_NR		2
#define ND_NS			135
#define ND_NA			136
#define ND_OPT_SLLA		1
#define ND_OPT_TLLA		2
#define ND_HOP_LIMIT		255
#define ND_NA_F_SOLICITED	0x40000000U
#define ND_NA_F_OVERRIDE	0x20000000U

/* Verdicts of neigh_suppress() besides TC ones: the frame goes on (switched
 * or flooded), or its answer could not be written (the caller counts the
 * drop: a report to the event stream from here would need a third stack
 * frame, more than the 512 bytes the verifier allows in all). */
#define NEIGH_GO_ON		(-1)
#define NEIGH_FAILED		(-2)

/* Preallocated: snooping on the fast path never allocates, and a full map
 * refuses new snooped entries instead of evicting static ones. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_NEIGH_SIZE);
	__type(key, struct xvtep_neigh_key);
	__type(value, struct xvtep_neigh_entry);
} xvtep_neigh SEC(".maps");

/*
 * The frames, two bytes in: the headers after Ethernet then sit 4-byte
 * aligned on the stack, where the verifier insists on aligned accesses.
 */
struct neigh_arp {
	__u8 lead[2];
	struct ethhdr eth;
	__be16 htype;
	__be16 ptype;
	__u8 hlen;
	__u8 plen;
	__be16 op;
	__u8 sha[ETH_ALEN];
	__u8 spa[4];
	__u8 tha[ETH_ALEN];
	__u8 tpa[4];
} __attribute__((packed, aligned(8)));

/* Lengths from the frame's start (not sizeof: aligned(8) pads the tail). */
#define NEIGH_ARP_LEN	(__builtin_offsetof(struct neigh_arp, tpa) + 4 - 2)	/* 42 */
_Static_assert(NEIGH_ARP_LEN == 42, "ARP frame");

struct neigh_nd {
	__u8 lead[2];
	struct ethhdr eth;
	struct ipv6hdr ip6;
	__u8 type;
	__u8 code;
	__sum16 csum;
	__be32 flags;		/* NA: R, S, O; NS: reserved */
	__u8 target[16];
	__u8 opt_type;		/* the first option: a link-layer address, or none */
	__u8 opt_len;		/* in units of 8 bytes */
	__u8 opt_mac[ETH_ALEN];
} __attribute__((packed, aligned(8)));

#define NEIGH_NS_MIN	(__builtin_offsetof(struct neigh_nd, opt_type) - 2)	/* 78: no option */
#define NEIGH_NA_LEN	(NEIGH_NS_MIN + 8)					/* 86: with TLLA */
_Static_assert(NEIGH_NS_MIN == 78, "NS frame");

/* Byte by byte: these MACs sit at odd stack offsets, where mac_equal's
 * word loads would be refused. */
static __always_inline bool neigh_mac_same(const __u8 *a, const __u8 *b)
{
	return !((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) |
		 (a[4] ^ b[4]) | (a[5] ^ b[5]));
}

static __always_inline bool neigh_mac_usable(const __u8 *mac)
{
	return !(mac[0] & 1) && (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

/* An ICMPv6 NS or NA (XDP and TC packet pointers): the XDP encap path
 * leaves those to TC on suppressing VNIs. */
static __always_inline bool neigh_is_nd(const struct ethhdr *eth, const void *data_end)
{
	const struct ipv6hdr *ip6 = (const void *)(eth + 1);
	const __u8 *icmp = (const void *)(ip6 + 1);

	if (eth->h_proto != bpf_htons(ETH_P_IPV6) || (const void *)(icmp + 1) > data_end)
		return false;
	return ip6->nexthdr == IPPROTO_ICMPV6_NR && (icmp[0] == ND_NS || icmp[0] == ND_NA);
}

/*
 * VNI's binding of ADDR (4 or 16 bytes) to MAC as seen on port IFINDEX. A
 * static or EVPN entry owns its address: never overwritten. The timestamp
 * of an unchanged binding is rewritten at most once a second (as fdb.h).
 */
static __always_inline void neigh_snoop(__u32 vni, __u8 family, const __u8 *addr,
					const __u8 *mac, __u32 ifindex)
{
	struct xvtep_neigh_key key = { .vni = vni, .family = family };
	struct xvtep_neigh_entry fresh = {}, *e;
	__u64 epoch, now = fdb_clock(&epoch);

	if (family == XVTEP_NEIGH_AF_INET)
		__builtin_memcpy(key.addr, addr, 4);
	else
		__builtin_memcpy(key.addr, addr, 16);
	e = bpf_map_lookup_elem(&xvtep_neigh, &key);
	if (e) {
		if (!(e->flags & XVTEP_NEIGH_F_SNOOPED))
			return;
		if (neigh_mac_same(e->mac, mac) && e->ifindex == ifindex) {
			if ((__s64)(now - e->updated_ns) > (__s64)FDB_REFRESH_NS)
				e->updated_ns = now;
			return;
		}
	}
	/* New, or the address moved to another MAC or port: the whole entry,
	 * so a reader never sees half of it. */
	__builtin_memcpy(fresh.mac, mac, ETH_ALEN);
	fresh.flags = XVTEP_NEIGH_F_SNOOPED;
	fresh.ifindex = ifindex;
	fresh.updated_ns = now;
	/* BPF_EXIST for a move: a static entry written meanwhile is not
	 * replaced by a new snooped one (NOEXIST), only a snooped one. */
	bpf_map_update_elem(&xvtep_neigh, &key, &fresh, e ? BPF_EXIST : BPF_NOEXIST);
}

/* The binding's MAC for KEY into MAC; false when there is none. */
static __always_inline bool neigh_binding(const struct xvtep_neigh_key *key, __u8 *mac)
{
	const struct xvtep_neigh_entry *b = bpf_map_lookup_elem(&xvtep_neigh, key);

	if (!b)
		return false;
	__builtin_memcpy(mac, b->mac, ETH_ALEN);
	return true;
}

/* Write the answer (LEN bytes from FRAME) over the request and send it back
 * out of the port it came in on. */
static __always_inline int neigh_reply(struct __sk_buff *skb, const void *frame, __u32 len,
				       __u32 in_ifindex, struct xvtep_stats *st)
{
	if (bpf_skb_store_bytes(skb, 0, frame, len, BPF_F_RECOMPUTE_CSUM))
		return NEIGH_FAILED;
	count_event(st, XVTEP_EV_NEIGH_ANSWERED);
	return bpf_redirect(in_ifindex, 0);
}

static __always_inline int neigh_arp(struct __sk_buff *skb, __u32 vni, __u32 in_ifindex,
				     struct xvtep_stats *st)
{
	struct xvtep_neigh_key key = { .vni = vni, .family = XVTEP_NEIGH_AF_INET };
	struct neigh_arp a;
	__u8 mac[ETH_ALEN];
	__u32 spa, tpa;

	if (bpf_skb_load_bytes(skb, 0, &a.eth, NEIGH_ARP_LEN))
		return NEIGH_GO_ON;	/* truncated: as any other frame */
	if (a.htype != bpf_htons(ARPHRD_ETHER_NR) || a.ptype != bpf_htons(ETH_P_IP) ||
	    a.hlen != ETH_ALEN || a.plen != 4)
		return NEIGH_GO_ON;
	__builtin_memcpy(&spa, a.spa, 4);
	__builtin_memcpy(&tpa, a.tpa, 4);
	if (a.op != bpf_htons(ARPOP_REQUEST_NR) && a.op != bpf_htons(ARPOP_REPLY_NR))
		return NEIGH_GO_ON;

	/* Snoop requests and replies alike, from a sender speaking for itself
	 * (sender MAC = frame source); an ARP probe (sender 0.0.0.0) binds nothing. */
	if (spa && !ipv4_is_multicast(spa) && spa != 0xffffffff &&
	    neigh_mac_same(a.sha, a.eth.h_source) && neigh_mac_usable(a.sha))
		neigh_snoop(vni, XVTEP_NEIGH_AF_INET, a.spa, a.sha, in_ifindex);

	/* Replies, probes and gratuitous ARP (sender = target) are never answered. */
	if (a.op != bpf_htons(ARPOP_REQUEST_NR) || !spa || spa == tpa || !tpa ||
	    ipv4_is_multicast(tpa))
		return NEIGH_GO_ON;
	__builtin_memcpy(key.addr, a.tpa, 4);
	if (!neigh_binding(&key, mac)) {
		count_event(st, XVTEP_EV_NEIGH_FLOODED);
		return NEIGH_GO_ON;
	}
	/* The asker claims the address itself: let the owner answer, if any. */
	if (neigh_mac_same(mac, a.sha) || neigh_mac_same(mac, a.eth.h_source))
		return NEIGH_GO_ON;

	__builtin_memcpy(a.eth.h_dest, a.sha, ETH_ALEN);
	__builtin_memcpy(a.eth.h_source, mac, ETH_ALEN);
	a.op = bpf_htons(ARPOP_REPLY_NR);
	__builtin_memcpy(a.tha, a.sha, ETH_ALEN);
	__builtin_memcpy(a.sha, mac, ETH_ALEN);
	__builtin_memcpy(a.tpa, &spa, 4);
	__builtin_memcpy(a.spa, &tpa, 4);
	return neigh_reply(skb, &a.eth, NEIGH_ARP_LEN, in_ifindex, st);
}

/* ICMPv6 checksum of the NA in N (csum zero on entry): pseudo-header + 32 bytes. */
static __always_inline __sum16 neigh_na_csum(struct neigh_nd *n)
{
	struct {
		__be32 len;
		__u8 zero[3];
		__u8 nexthdr;
	} ph = { .len = bpf_htonl(NEIGH_NA_LEN - ETH_HLEN - sizeof(struct ipv6hdr)),
		 .nexthdr = IPPROTO_ICMPV6_NR };
	__u32 sum;

	sum = bpf_csum_diff(NULL, 0, (__be32 *)&n->ip6.saddr, 32, 0);
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&ph, sizeof(ph), sum);
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&n->type, 32, sum);
	return csum_fold32(sum);
}

static __always_inline int neigh_nd(struct __sk_buff *skb, __u32 vni, __u32 in_ifindex,
				    struct xvtep_stats *st)
{
	struct xvtep_neigh_key key = { .vni = vni, .family = XVTEP_NEIGH_AF_INET6 };
	struct neigh_nd n;
	__u8 mac[ETH_ALEN];
	bool lladdr;
	__u32 plen;

	if (bpf_skb_load_bytes(skb, 0, &n.eth, NEIGH_NS_MIN))
		return NEIGH_GO_ON;
	/* RFC 4861 7.1.1/7.1.2: hop limit 255, code 0, at least 24 bytes. */
	plen = bpf_ntohs(n.ip6.payload_len);
	if (n.ip6.nexthdr != IPPROTO_ICMPV6_NR || n.ip6.hop_limit != ND_HOP_LIMIT || n.code ||
	    (n.type != ND_NS && n.type != ND_NA) || plen < 24 ||
	    skb->len < ETH_HLEN + sizeof(struct ipv6hdr) + plen || n.target[0] == 0xff)
		return NEIGH_GO_ON;
	/* The link-layer option, when it comes first (as Linux and most stacks
	 * send it): source for an NS, target for an NA. */
	lladdr = plen >= 32 && !bpf_skb_load_bytes(skb, NEIGH_NS_MIN, &n.opt_type, 8) &&
		 n.opt_len == 1 && n.opt_type == (n.type == ND_NS ? ND_OPT_SLLA : ND_OPT_TLLA) &&
		 neigh_mac_same(n.opt_mac, n.eth.h_source) && neigh_mac_usable(n.opt_mac);

	if (n.type == ND_NA) {
		if (lladdr)
			neigh_snoop(vni, XVTEP_NEIGH_AF_INET6, n.target, n.opt_mac, in_ifindex);
		return NEIGH_GO_ON;
	}
	/* DAD (unspecified source): neither a binding nor a question to answer;
	 * the owner must see it to defend its address. */
	if (!(n.ip6.saddr.in6_u.u6_addr32[0] | n.ip6.saddr.in6_u.u6_addr32[1] |
	      n.ip6.saddr.in6_u.u6_addr32[2] | n.ip6.saddr.in6_u.u6_addr32[3]) ||
	    n.ip6.saddr.in6_u.u6_addr8[0] == 0xff)
		return NEIGH_GO_ON;
	if (lladdr)
		neigh_snoop(vni, XVTEP_NEIGH_AF_INET6, (__u8 *)&n.ip6.saddr, n.opt_mac, in_ifindex);

	__builtin_memcpy(key.addr, n.target, 16);
	if (!neigh_binding(&key, mac)) {
		count_event(st, XVTEP_EV_NEIGH_FLOODED);
		return NEIGH_GO_ON;
	}
	if (neigh_mac_same(mac, n.eth.h_source))
		return NEIGH_GO_ON;

	/* The answer is exactly NEIGH_NA_LEN bytes: whatever options the NS had. */
	if (skb->len != NEIGH_NA_LEN && bpf_skb_change_tail(skb, NEIGH_NA_LEN, 0))
		return NEIGH_FAILED;
	__builtin_memcpy(n.eth.h_dest, n.eth.h_source, ETH_ALEN);
	__builtin_memcpy(n.eth.h_source, mac, ETH_ALEN);
	n.ip6.priority = 0;
	n.ip6.version = 6;
	__builtin_memset(n.ip6.flow_lbl, 0, sizeof(n.ip6.flow_lbl));
	n.ip6.payload_len = bpf_htons(NEIGH_NA_LEN - ETH_HLEN - sizeof(struct ipv6hdr));
	n.ip6.daddr = n.ip6.saddr;
	__builtin_memcpy(&n.ip6.saddr, n.target, 16);
	n.type = ND_NA;
	n.csum = 0;
	/* Solicited (RFC 4861 7.2.4). Override set, as for the owner's own NA:
	 * the MAC given is the owner's, not ours (7.2.8's proxy case is one
	 * answering with its own address). Router unknown: clear. */
	n.flags = bpf_htonl(ND_NA_F_SOLICITED | ND_NA_F_OVERRIDE);
	n.opt_type = ND_OPT_TLLA;
	n.opt_len = 1;
	__builtin_memcpy(n.opt_mac, mac, ETH_ALEN);
	n.csum = neigh_na_csum(&n);
	return neigh_reply(skb, &n.eth, NEIGH_NA_LEN, in_ifindex, st);
}

/*
 * A frame from a port of VNI, whose config has XVTEP_VNI_F_NEIGH_SUPPRESS:
 * snoop it, and answer it if it asks for a bound address. Returns a TC
 * verdict, NEIGH_GO_ON or NEIGH_FAILED.
 * A subprogram, not inlined: its many ways of going on would otherwise
 * each carry their own stack into the flooding loops that follow, and the
 * verifier would walk those loops once per way (past its 1M limit).
 */
static __attribute__((noinline)) int neigh_suppress(struct __sk_buff *skb, __u32 vni,
						    __u32 in_ifindex, struct xvtep_stats *st)
{
	const struct ethhdr *eth = (void *)(long)skb->data;
	const void *data_end = (void *)(long)skb->data_end;

	if ((const void *)(eth + 1) > data_end)
		return NEIGH_GO_ON;
	if (eth->h_proto == bpf_htons(ETH_P_ARP))
		return neigh_arp(skb, vni, in_ifindex, st);
	if (neigh_is_nd(eth, data_end))
		return neigh_nd(skb, vni, in_ifindex, st);
	return NEIGH_GO_ON;
}

#endif
