// SPDX-License-Identifier: GPL-2.0
/*
 * Malformed and tricky frames (issue 5, hardening): one table, one row per
 * frame, run through the real skeleton with BPF_PROG_TEST_RUN. Each row
 * states the verdict and the map state it must leave behind: which drop
 * counter moved in which VNI (every other drop counter of every VNI must
 * stay still), how many FDB entries were learned (the existing ones must be
 * unchanged), and for the mirror device which session counter moved.
 * Rows never depend on the numeric values of the enums, only their names.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/pkt_cls.h>
#include <linux/ipv6.h>
#include "xvtep.h"
#include "xvtep.skel.h"
#include "unit.h"
#include "env.h"

void test_malformed(void);

/*
 * This suite's world (world.h): VNI_A learns, ports p1 + p2; VNI_B learns,
 * one remote, no port; M_VNI_MAX neither learns nor floods. MAC_VM1 and
 * MAC_VM2 are static on p1 and p2, MAC_FAR2 static behind IP_PEER; MAC_VM3
 * and MAC_FAR are unknown. IP_GROUP is used by no VNI here.
 */
#define M_VNI_MAX	0xffffff	/* highest VNI */

static const uint8_t MAC_VM3[6] = { 0x02, 0xaa, 0, 0, 0, 0x03 };

/* ------------------------------------------------------------ builders */

static void vx_build(struct pkt *p, const struct outer_opts *o, const struct inner_opts *in)
{
	memset(p, 0, sizeof(*p));
	build_vxlan(p, o, in);
}

static struct outer_opts m_out(void)
{
	return (struct outer_opts){ .src = IP_PEER, .dst = IP_LOCAL, .vni = VNI_A };
}

static struct inner_opts m_in(void)
{
	return (struct inner_opts){ .dst = MAC_VM1, .src = MAC_FAR, .proto = ETH_P_IP,
				    .l4 = IPPROTO_UDP, .payload = 64, .fill = 0x5a };
}

static struct iphdr *oip(struct pkt *p) { return (struct iphdr *)(p->buf + 14); }
static struct udphdr *oudp(struct pkt *p) { return (struct udphdr *)(p->buf + 14 + oip(p)->ihl * 4); }

/* The standard decap frame: VNI A, inner to VM1 (static on p1) from FAR (unknown). */
static void b_std(struct pkt *p, int arg)
{
	struct outer_opts o = m_out();
	struct inner_opts in = m_in();

	vx_build(p, &o, &in);
}

/* The first n bytes of the standard frame; lengths still claim the whole frame. */
static void b_cut(struct pkt *p, int n)
{
	b_std(p, 0);
	p->len = n;
}

/* The first n bytes, with IPv4 and UDP lengths rewritten to match the cut. */
static void b_cut_fixed(struct pkt *p, int n)
{
	b_std(p, 0);
	p->len = n;
	oip(p)->tot_len = htons(n - 14);
	oudp(p)->len = htons(n - 34);
}

/* Only the IHL field changed (no options written): 0..4 is invalid. */
static void b_ihl_patch(struct pkt *p, int ihl)
{
	b_std(p, 0);
	oip(p)->ihl = ihl;
}

/* IHL 15 in a frame that ends right after the 20-byte IPv4 header + 8. */
static void b_ihl_short(struct pkt *p, int ihl)
{
	b_std(p, 0);
	oip(p)->ihl = ihl;
	p->len = 14 + 20 + 8;
}

/* Real IPv4 options (NOPs) of (ihl - 5) * 4 bytes. */
static void b_options(struct pkt *p, int ihl)
{
	struct outer_opts o = m_out();
	struct inner_opts in = m_in();

	o.ihl = ihl;
	vx_build(p, &o, &in);
}

static void b_totlen_delta(struct pkt *p, int delta)
{
	struct outer_opts o = m_out();
	struct inner_opts in = m_in();

	o.tot_len_delta = delta;
	vx_build(p, &o, &in);
}

static void b_totlen_abs(struct pkt *p, int v)
{
	b_std(p, 0);
	oip(p)->tot_len = htons(v);
}

static void b_udplen(struct pkt *p, int v)
{
	b_std(p, 0);
	oudp(p)->len = htons(v);
}

/* Ethernet padding after the IPv4 datagram (tot_len < frame). */
static void b_trailer(struct pkt *p, int n)
{
	b_std(p, 0);
	memset(p->buf + p->len, 0xee, n);
	p->len += n;
}

static void b_frag(struct pkt *p, int frag_off)
{
	struct outer_opts o = m_out();
	struct inner_opts in = m_in();

	o.frag_off = frag_off;
	vx_build(p, &o, &in);
}

/* arg: VXLAN flags word; bit 31 of arg set = also fill the reserved byte after the VNI. */
static void b_flags(struct pkt *p, int flags)
{
	struct outer_opts o = m_out();
	struct inner_opts in = m_in();

	o.vx_flags = (uint32_t)flags & 0x7fffffff;
	if (!(o.vx_flags & 0x08000000))
		o.no_i_flag = true;	/* pkt.h turns 0 into "I only" otherwise */
	if ((uint32_t)flags >> 31) {
		o.vx_flags |= 0xf7000000;
		o.vni_low = 0xff;
	}
	vx_build(p, &o, &in);
}

static void b_vni(struct pkt *p, int vni)
{
	struct outer_opts o = m_out();
	struct inner_opts in = m_in();

	o.vni = (uint32_t)vni;
	vx_build(p, &o, &in);
}

/* n inner tags: the outermost 802.1ad when n > 1 (QinQ), the rest 802.1Q;
 * n < 0: a single 802.1ad tag. Built by inserting 4-byte tags after the MACs. */
static void insert_tags(uint8_t *eth, size_t *len, int n, size_t room)
{
	int single_ad = n < 0;

	if (single_ad)
		n = 1;
	if (*len + 4 * n > room)
		return;
	memmove(eth + 12 + 4 * n, eth + 12, *len - 12);
	for (int i = 0; i < n; i++) {
		uint16_t tpid = (single_ad || (n > 1 && i == 0)) ? ETH_P_8021AD : ETH_P_8021Q;
		uint16_t tci = 10 + i;

		eth[12 + 4 * i] = tpid >> 8;
		eth[13 + 4 * i] = tpid & 0xff;
		eth[14 + 4 * i] = tci >> 8;
		eth[15 + 4 * i] = tci & 0xff;
	}
	*len += 4 * n;
}

static void b_inner_vlan(struct pkt *p, int n)
{
	struct outer_opts o = m_out();
	struct inner_opts in = m_in();
	uint8_t inner[256];
	size_t len = build_inner(inner, &in);

	insert_tags(inner, &len, n, sizeof(inner));
	/* Rebuild around an opaque inner frame of the right length, then copy it in. */
	in.proto = 0x88b5;	/* local experimental: no IPv4 header written */
	in.payload = len - 14;
	vx_build(p, &o, &in);
	memcpy(p->buf + 50, inner, len);
}

static void b_outer_vlan(struct pkt *p, int n)
{
	b_std(p, 0);
	insert_tags(p->buf, &p->len, n, sizeof(p->buf));
}

/* arg: 0 zero, 1 multicast, 2 broadcast inner source. */
static void b_inner_src(struct pkt *p, int which)
{
	const uint8_t *src[] = { MAC_ZERO, MAC_MCAST, MAC_BCAST };
	struct outer_opts o = m_out();
	struct inner_opts in = m_in();

	in.src = src[which];
	vx_build(p, &o, &in);
}

static void b_inner_bcast_dst(struct pkt *p, int arg)
{
	struct outer_opts o = m_out();
	struct inner_opts in = m_in();

	in.dst = MAC_BCAST;
	vx_build(p, &o, &in);
}

static void b_outer_src(struct pkt *p, int src)
{
	struct outer_opts o = m_out();
	struct inner_opts in = m_in();

	o.src = (uint32_t)src;
	vx_build(p, &o, &in);
}

static void b_outer_dst(struct pkt *p, int dst)
{
	struct outer_opts o = m_out();
	struct inner_opts in = m_in();

	o.dst = (uint32_t)dst;
	vx_build(p, &o, &in);
}

static void b_dport(struct pkt *p, int port)
{
	struct outer_opts o = m_out();
	struct inner_opts in = m_in();

	o.dport = port;
	vx_build(p, &o, &in);
}

static void b_outer_proto(struct pkt *p, int proto)
{
	b_std(p, 0);
	oip(p)->protocol = proto;
}

static void b_ip_version(struct pkt *p, int v)
{
	b_std(p, 0);
	oip(p)->version = v;
}

/* Outer IPv6 (RFC 7348 allows it; xvtep's underlay is IPv4 only) with n
 * 8-byte extension headers (hop-by-hop, then destination options) before UDP. */
static void b_ipv6(struct pkt *p, int n)
{
	struct pkt v4;
	uint8_t *q = p->buf;
	struct ipv6hdr *ip6;
	size_t l4_len;

	b_std(&v4, 0);
	l4_len = v4.len - 34;
	memset(p, 0, sizeof(*p));
	memcpy(q, v4.buf, 12);
	q[12] = 0x86;
	q[13] = 0xdd;
	ip6 = (struct ipv6hdr *)(q + 14);
	ip6->version = 6;
	ip6->hop_limit = 64;
	ip6->payload_len = htons(l4_len + 8 * n);
	ip6->saddr.s6_addr[0] = 0x20;	/* 2001:db8::2 -> 2001:db8::1 */
	ip6->saddr.s6_addr[1] = 0x01;
	ip6->saddr.s6_addr[2] = 0x0d;
	ip6->saddr.s6_addr[3] = 0xb8;
	ip6->daddr = ip6->saddr;
	ip6->saddr.s6_addr[15] = 2;
	ip6->daddr.s6_addr[15] = 1;
	ip6->nexthdr = n ? 0 /* hop-by-hop */ : IPPROTO_UDP;
	for (int i = 0; i < n; i++) {
		uint8_t *ext = q + 54 + 8 * i;

		ext[0] = i == n - 1 ? IPPROTO_UDP : 60;	/* next: dest options */
		ext[1] = 0;				/* 8 bytes */
		ext[2] = 1;				/* PadN, 4 bytes */
		ext[3] = 4;
	}
	memcpy(q + 54 + 8 * n, v4.buf + 34, l4_len);
	p->len = 54 + 8 * n + l4_len;
}

/* Inner IPv6 carrying TCP behind a hop-by-hop header (the XDP fast path
 * only looks at the first next-header). */
static void b_inner_v6_ext(struct pkt *p, int arg)
{
	struct outer_opts o = m_out();
	struct inner_opts in = m_in();
	uint8_t *ip6;

	in.proto = ETH_P_IPV6;
	in.payload = 40 + 8 + 20;
	vx_build(p, &o, &in);
	ip6 = p->buf + 64;
	memset(ip6, 0, in.payload);
	ip6[0] = 0x60;
	ip6[5] = 8 + 20;
	ip6[6] = 0;	/* hop-by-hop */
	ip6[7] = 64;
	ip6[40] = IPPROTO_TCP;
	ip6[42] = 1;
	ip6[43] = 4;
}

/* ---------------------------------------------- frames from a VM (port side) */

/* A VM frame: src VM3 (unknown), dst per arg, `len` bytes in all. */
static void vm_frame(struct pkt *p, const uint8_t *dst, const uint8_t *src, uint16_t proto,
		     size_t len)
{
	struct inner_opts in = { .dst = dst, .src = src, .proto = proto, .l4 = IPPROTO_UDP,
				 .payload = len > 14 ? len - 14 : 0, .fill = 0x33 };

	memset(p, 0, sizeof(*p));
	p->len = build_inner(p->buf, &in);
}

/* arg: total frame length; to VM2 (static, local p2). */
static void v_local(struct pkt *p, int len) { vm_frame(p, MAC_VM2, MAC_VM3, ETH_P_IP, len); }

/* arg: total frame length; to FAR2 (static, behind PEER): encapsulated. */
static void v_remote(struct pkt *p, int len) { vm_frame(p, MAC_FAR2, MAC_VM3, ETH_P_IP, len); }

static void v_local_arp(struct pkt *p, int len) { vm_frame(p, MAC_VM2, MAC_VM3, ETH_P_ARP, len); }

static void v_remote_arp(struct pkt *p, int len) { vm_frame(p, MAC_FAR2, MAC_VM3, ETH_P_ARP, len); }

/* Ethertype IPv4, but the IPv4 header cut to `len - 14` bytes. */
static void v_remote_cut_ip(struct pkt *p, int len)
{
	vm_frame(p, MAC_FAR2, MAC_VM3, ETH_P_IP, 100);
	p->len = len;
}

/* IPv4 total length far beyond the frame. */
static void v_remote_bad_totlen(struct pkt *p, int len)
{
	vm_frame(p, MAC_FAR2, MAC_VM3, ETH_P_IP, len);
	((struct iphdr *)(p->buf + 14))->tot_len = htons(9000);
}

/* IPv6 with two extension headers then UDP, toward a remote. */
static void v_remote_v6_ext(struct pkt *p, int arg)
{
	uint8_t *ip6;

	vm_frame(p, MAC_FAR2, MAC_VM3, ETH_P_IPV6, 14 + 40 + 16 + 8 + 20);
	ip6 = p->buf + 14;
	memset(ip6, 0, 40 + 16 + 8 + 20);
	ip6[0] = 0x60;
	ip6[5] = 16 + 8 + 20;
	ip6[6] = 0;
	ip6[7] = 64;
	ip6[40] = 60;
	ip6[48] = IPPROTO_UDP;
}

/* IPv4 header field patches on a 100-byte frame toward a remote. */
static void v_remote_ihl(struct pkt *p, int ihl)
{
	vm_frame(p, MAC_FAR2, MAC_VM3, ETH_P_IP, 100);
	((struct iphdr *)(p->buf + 14))->ihl = ihl;
}

static void v_remote_ipver(struct pkt *p, int v)
{
	vm_frame(p, MAC_FAR2, MAC_VM3, ETH_P_IP, 100);
	((struct iphdr *)(p->buf + 14))->version = v;
}

/* An IPv4 fragment toward a remote (frag_off as given, host order). */
static void v_remote_frag(struct pkt *p, int frag_off)
{
	struct iphdr *ip;

	vm_frame(p, MAC_FAR2, MAC_VM3, ETH_P_IP, 100);
	ip = (struct iphdr *)(p->buf + 14);
	ip->frag_off = htons(frag_off);
	ip->check = 0;
	ip->check = pkt_csum(ip, sizeof(*ip));
}

/* Frames with N VLAN tags or a bad source MAC (which: zero, multicast,
 * broadcast), to a local VM and, for the XDP port, to a remote. */
static const uint8_t *const BAD_SRC[] = { MAC_ZERO, MAC_MCAST, MAC_BCAST };

static void v_vlan(struct pkt *p, int n)
{
	v_local(p, 64);
	insert_tags(p->buf, &p->len, n, sizeof(p->buf));
}

static void v_remote_vlan(struct pkt *p, int n)
{
	v_remote(p, 64);
	insert_tags(p->buf, &p->len, n, sizeof(p->buf));
}

static void v_src(struct pkt *p, int which) { vm_frame(p, MAC_VM2, BAD_SRC[which], ETH_P_IP, 64); }

static void v_remote_src(struct pkt *p, int which)
{
	vm_frame(p, MAC_FAR2, BAD_SRC[which], ETH_P_IP, 64);
}

static void v_hairpin(struct pkt *p, int arg) { vm_frame(p, MAC_VM1, MAC_VM3, ETH_P_IP, 64); }

static void v_bcast(struct pkt *p, int arg) { vm_frame(p, MAC_BCAST, MAC_VM3, ETH_P_ARP, 42); }

/* Raw bytes: n bytes of 0xa5 (an "Ethernet" header of garbage when n >= 14). */
static void b_garbage(struct pkt *p, int n)
{
	memset(p, 0, sizeof(*p));
	memset(p->buf, 0xa5, n);
	p->len = n;
}

/* A 15-byte copy claiming 802.1Q but with the tag cut. */
static void b_cut_tag(struct pkt *p, int arg)
{
	v_local(p, 64);
	p->buf[12] = 0x81;
	p->buf[13] = 0x00;
	p->len = 15;
}

/* ------------------------------------------------------------ the table */

enum mprog { XDP_UP, TC_UP, TC_PORT, TC_MIRROR, TC_PORT_EG, TC_UP_EG, XDP_PORT, MPROG__MAX };
static const char *const mprog_names[] = { "xdp_up", "tc_up", "tc_port", "tc_mirror",
					   "tc_port_eg", "tc_up_eg", "xdp_port" };

enum mdev { DEV_P1, DEV_UP };	/* ctx ifindex / ingress_ifindex */

struct mrow {
	const char *name;
	void (*build)(struct pkt *p, int arg);
	int arg;
	enum mprog prog;
	enum mdev dev;
	uint32_t mark;		/* skb->mark (mirror copies) */
	int err;		/* expected bpf_prog_test_run error */
	uint32_t verdict;
	int drop;		/* 1 + enum xvtep_drop, 0 = no drop counted anywhere */
	uint32_t drop_vni;
	int ev;			/* 1 + enum xvtep_event that must move (by 1), 0 = not checked */
	uint32_t ev_vni;
	int mdrop;		/* 1 + enum xvtep_mirror_drop, 0 = no mirror drop anywhere */
	uint32_t mslot;
	int learned;		/* FDB entries added (0 = FDB and learned counts unchanged) */
};

#define DROP(r, v)	.drop = (r) + 1, .drop_vni = (v)
#define EV(r, v)	.ev = (r) + 1, .ev_vni = (v)
#define MDROP(r, s)	.mdrop = (r) + 1, .mslot = (s)
#define COPY(slot)	.mark = XVTEP_MIRROR_MARK | XVTEP_MIRROR_DIR_RX << 8 | (slot)
/* XDP port outcomes: passed to TC untouched, or encapsulated (source learned). */
#define TO_TC		.verdict = XDP_PASS, EV(XVTEP_EV_XDP_TO_TC, VNI_A)
#define XDP_ENCAPPED	.verdict = XDP_REDIRECT, EV(XVTEP_EV_XDP_ENCAP, VNI_A), .learned = 1
/* BPF_PROG_TEST_RUN itself refuses frames shorter than an Ethernet header
 * (bpf_test_init: size < ETH_HLEN -> -EINVAL) for XDP and skb programs alike:
 * such a frame can never reach a program on a real device either. */
#define REFUSED		.err = -EINVAL
/* skb programs only: test_run also refuses an skb whose ethertype says IPv4
 * but whose data cannot hold an IPv4 header (the stack would never build it),
 * and a frame that does not fit one page of linear data (no paged frames). */
#define REFUSED_L3	.err = -EINVAL
#define REFUSED_BIG	.err = -EINVAL

/* Mirror sessions of the table env (slot: kind). */
#define MS_SPAN		0
#define MS_RSPAN	1
#define MS_ERSPAN_CUT	2	/* ERSPAN, truncate 10: shorter than Ethernet */
#define MS_FREE		3

static const struct mrow rows[] = {
	/* ---- XDP uplink: too short for anything ---- */
	{ "0-byte frame", b_garbage, 0, XDP_UP, REFUSED },
	{ "1-byte frame", b_garbage, 1, XDP_UP, REFUSED },
	{ "6-byte frame", b_garbage, 6, XDP_UP, REFUSED },
	{ "12-byte frame (MACs, no ethertype)", b_garbage, 12, XDP_UP, REFUSED },
	{ "13-byte frame", b_garbage, 13, XDP_UP, REFUSED },
	{ "14-byte garbage Ethernet header", b_garbage, 14, XDP_UP, .verdict = XDP_PASS },
	/* ---- XDP: truncated headers. Before the UDP port is visible the frame
	 * is not known to be ours: left to the stack, nothing counted. ---- */
	{ "Ethernet only (IPv4 ethertype)", b_cut, 14, XDP_UP, .verdict = XDP_PASS },
	{ "IPv4 header cut at 10 bytes", b_cut, 24, XDP_UP, .verdict = XDP_PASS },
	{ "UDP header cut at 4 bytes", b_cut, 38, XDP_UP, .verdict = XDP_PASS },
	{ "VXLAN header cut at 4 bytes", b_cut, 46, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "VXLAN header cut, lengths consistent", b_cut_fixed, 46, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "inner Ethernet cut at 10 bytes", b_cut, 60, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "inner Ethernet cut, lengths consistent", b_cut_fixed, 60, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_MALFORMED, 0) },
	/* Runts: TC decap cannot shrink an skb below 20 bytes after the inner
	 * Ethernet header, so both hooks refuse them before learning. */
	{ "inner frame of 14 bytes, lengths consistent", b_cut_fixed, 64, XDP_UP,
	  .verdict = XDP_DROP, DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "inner frame of 33 bytes, lengths consistent", b_cut_fixed, 83, XDP_UP,
	  .verdict = XDP_DROP, DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "inner frame of 34 bytes (shortest taken)", b_cut_fixed, 84, XDP_UP,
	  .verdict = XDP_REDIRECT, EV(XVTEP_EV_LEARNED, VNI_A), .learned = 1 },
	/* ---- XDP: IPv4 header fields ---- */
	{ "IHL 0", b_ihl_patch, 0, XDP_UP, .verdict = XDP_PASS },
	{ "IHL 4", b_ihl_patch, 4, XDP_UP, .verdict = XDP_PASS },
	{ "IHL 15, UDP beyond the frame", b_ihl_short, 15, XDP_UP, .verdict = XDP_PASS },
	{ "IPv4 options, IHL 6 (valid)", b_options, 6, XDP_UP, .verdict = XDP_REDIRECT,
	  EV(XVTEP_EV_LEARNED, VNI_A), .learned = 1 },
	{ "IPv4 options, IHL 15 (valid)", b_options, 15, XDP_UP, .verdict = XDP_REDIRECT,
	  EV(XVTEP_EV_LEARNED, VNI_A), .learned = 1 },
	{ "IPv4 total length 100 beyond the frame", b_totlen_delta, 100, XDP_UP,
	  .verdict = XDP_DROP, DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "IPv4 total length 1 beyond the frame", b_totlen_delta, 1, XDP_UP,
	  .verdict = XDP_DROP, DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "IPv4 total length 0", b_totlen_abs, 0, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "IPv4 total length 28 (IPv4+UDP only)", b_totlen_abs, 28, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "UDP length beyond the IPv4 payload", b_udplen, 2000, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "UDP length 8 (no VXLAN)", b_udplen, 8, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "Ethernet padding after the datagram (valid)", b_trailer, 18, XDP_UP,
	  .verdict = XDP_REDIRECT, .learned = 1 },
	{ "IPv4 version 6 in an IPv4 ethertype", b_ip_version, 6, XDP_UP, .verdict = XDP_PASS },
	{ "outer IPv4 protocol TCP to port 4789", b_outer_proto, IPPROTO_TCP, XDP_UP,
	  .verdict = XDP_PASS },
	{ "UDP to another port", b_dport, 4790, XDP_UP, .verdict = XDP_PASS },
	{ "unicast to another address", b_outer_dst, 0xc6336409, XDP_UP, .verdict = XDP_PASS },
	/* Fragments cannot be told apart from someone else's UDP: the stack's. */
	{ "outer IPv4 first fragment (MF)", b_frag, 0x2000, XDP_UP, .verdict = XDP_PASS },
	{ "outer IPv4 later fragment (offset 185)", b_frag, 185, XDP_UP, .verdict = XDP_PASS },
	{ "outer IPv4 DF set (valid)", b_frag, 0x4000, XDP_UP, .verdict = XDP_REDIRECT,
	  .learned = 1 },
	/* ---- XDP: outer addresses ---- */
	{ "outer source is our own address", b_outer_src, IP_LOCAL, XDP_UP,
	  .verdict = XDP_DROP, DROP(XVTEP_DROP_OWN_SOURCE, 0) },
	{ "outer source 0.0.0.0", b_outer_src, 0, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "outer source multicast 224.0.0.1", b_outer_src, (int)0xe0000001, XDP_UP,
	  .verdict = XDP_DROP, DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "outer source 255.255.255.255", b_outer_src, (int)0xffffffff, XDP_UP,
	  .verdict = XDP_DROP, DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "outer destination a group VNI A does not use", b_outer_dst, (int)IP_GROUP, XDP_UP,
	  .verdict = XDP_DROP, DROP(XVTEP_DROP_UNKNOWN_VNI, VNI_A) },
	/* ---- XDP: VXLAN header ---- */
	{ "I flag clear", b_flags, 0x00000000, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_NO_I_FLAG, 0) },
	{ "I flag clear, other flags set", b_flags, 0x77000000, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_NO_I_FLAG, 0) },
	{ "all reserved bits set (ignored, counted)", b_flags, (int)0x88000000, XDP_UP,
	  .verdict = XDP_REDIRECT, EV(XVTEP_EV_RESERVED_BITS, VNI_A), .learned = 1 },
	{ "VNI 0", b_vni, 0, XDP_UP, .verdict = XDP_DROP, DROP(XVTEP_DROP_UNKNOWN_VNI, 0) },
	{ "VNI 0xFFFFFE (not configured)", b_vni, 0xfffffe, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_UNKNOWN_VNI, 0) },
	{ "VNI 0xFFFFFF (configured, unknown dst: to TC)", b_vni, M_VNI_MAX, XDP_UP,
	  .verdict = XDP_PASS, EV(XVTEP_EV_XDP_TO_TC, M_VNI_MAX) },
	/* ---- XDP: VLAN tags. Inside: RFC 7348 6.1 drop (counted before the VNI
	 * is looked up, so on VNI 0). Outside: not an IPv4 frame, not ours. ---- */
	{ "inner 802.1Q tag", b_inner_vlan, 1, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_INNER_VLAN, 0) },
	{ "inner 802.1ad tag", b_inner_vlan, -1, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_INNER_VLAN, 0) },
	{ "inner QinQ (802.1ad + 802.1Q)", b_inner_vlan, 2, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_INNER_VLAN, 0) },
	{ "inner 3 tags", b_inner_vlan, 3, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_INNER_VLAN, 0) },
	{ "inner 4 tags", b_inner_vlan, 4, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_INNER_VLAN, 0) },
	{ "inner 5 tags", b_inner_vlan, 5, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_INNER_VLAN, 0) },
	{ "outer 802.1Q tag", b_outer_vlan, 1, XDP_UP, .verdict = XDP_PASS },
	{ "outer QinQ", b_outer_vlan, 2, XDP_UP, .verdict = XDP_PASS },
	{ "outer 3 tags", b_outer_vlan, 3, XDP_UP, .verdict = XDP_PASS },
	{ "outer 4 tags", b_outer_vlan, 4, XDP_UP, .verdict = XDP_PASS },
	{ "outer 5 tags", b_outer_vlan, 5, XDP_UP, .verdict = XDP_PASS },
	/* ---- XDP: inner addresses ---- */
	{ "inner source zero MAC", b_inner_src, 0, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_BAD_SRC_MAC, VNI_A) },
	{ "inner source multicast MAC", b_inner_src, 1, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_BAD_SRC_MAC, VNI_A) },
	{ "inner source broadcast MAC", b_inner_src, 2, XDP_UP, .verdict = XDP_DROP,
	  DROP(XVTEP_DROP_BAD_SRC_MAC, VNI_A) },
	{ "inner broadcast destination (to TC, nothing learned in XDP)", b_inner_bcast_dst, 0,
	  XDP_UP, .verdict = XDP_PASS, EV(XVTEP_EV_XDP_TO_TC, VNI_A) },
	/* ---- XDP: IPv6 outer (the underlay is IPv4 only: the stack's) ---- */
	{ "outer IPv6, UDP 4789", b_ipv6, 0, XDP_UP, .verdict = XDP_PASS },
	{ "outer IPv6, 2 extension headers", b_ipv6, 2, XDP_UP, .verdict = XDP_PASS },
	{ "inner IPv6 TCP behind a hop-by-hop header", b_inner_v6_ext, 0, XDP_UP,
	  .verdict = XDP_REDIRECT, .learned = 1 },

	/* ---- TC uplink ---- */
	{ "0-byte frame", b_garbage, 0, TC_UP, .dev = DEV_UP, REFUSED },
	{ "13-byte frame", b_garbage, 13, TC_UP, .dev = DEV_UP, REFUSED },
	{ "14-byte garbage Ethernet header", b_garbage, 14, TC_UP, .dev = DEV_UP,
	  .verdict = TC_ACT_OK },
	{ "IPv4 header cut at 10 bytes", b_cut, 24, TC_UP, .dev = DEV_UP, REFUSED_L3 },
	{ "IPv4 header complete, nothing after", b_cut, 34, TC_UP, .dev = DEV_UP,
	  .verdict = TC_ACT_OK },
	{ "UDP header cut at 4 bytes", b_cut, 38, TC_UP, .dev = DEV_UP, .verdict = TC_ACT_OK },
	{ "VXLAN header cut at 4 bytes", b_cut_fixed, 46, TC_UP, .dev = DEV_UP,
	  .verdict = TC_ACT_SHOT, DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "inner Ethernet cut at 10 bytes", b_cut, 60, TC_UP, .dev = DEV_UP,
	  .verdict = TC_ACT_SHOT, DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "inner frame of 14 bytes, lengths consistent", b_cut_fixed, 64, TC_UP, .dev = DEV_UP,
	  .verdict = TC_ACT_SHOT, DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "inner frame of 33 bytes, lengths consistent", b_cut_fixed, 83, TC_UP, .dev = DEV_UP,
	  .verdict = TC_ACT_SHOT, DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "inner frame of 34 bytes (shortest taken)", b_cut_fixed, 84, TC_UP, .dev = DEV_UP,
	  .verdict = TC_ACT_REDIRECT, EV(XVTEP_EV_LEARNED, VNI_A), .learned = 1 },
	{ "IHL 4", b_ihl_patch, 4, TC_UP, .dev = DEV_UP, .verdict = TC_ACT_OK },
	{ "IPv4 options, IHL 15 (valid)", b_options, 15, TC_UP, .dev = DEV_UP,
	  .verdict = TC_ACT_REDIRECT, .learned = 1 },
	{ "IPv4 total length 100 beyond the frame", b_totlen_delta, 100, TC_UP, .dev = DEV_UP,
	  .verdict = TC_ACT_SHOT, DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "UDP length beyond the IPv4 payload", b_udplen, 2000, TC_UP, .dev = DEV_UP,
	  .verdict = TC_ACT_SHOT, DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "outer IPv4 first fragment (MF)", b_frag, 0x2000, TC_UP, .dev = DEV_UP,
	  .verdict = TC_ACT_OK },
	{ "outer source 0.0.0.0", b_outer_src, 0, TC_UP, .dev = DEV_UP, .verdict = TC_ACT_SHOT,
	  DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "outer source multicast 239.1.1.1", b_outer_src, (int)IP_GROUP, TC_UP,
	  .dev = DEV_UP, .verdict = TC_ACT_SHOT, DROP(XVTEP_DROP_MALFORMED, 0) },
	{ "outer source is our own address", b_outer_src, IP_LOCAL, TC_UP, .dev = DEV_UP,
	  .verdict = TC_ACT_SHOT, DROP(XVTEP_DROP_OWN_SOURCE, 0) },
	{ "I flag clear", b_flags, 0x00000000, TC_UP, .dev = DEV_UP, .verdict = TC_ACT_SHOT,
	  DROP(XVTEP_DROP_NO_I_FLAG, 0) },
	{ "all reserved bits set (ignored, counted)", b_flags, (int)0x88000000, TC_UP,
	  .dev = DEV_UP, .verdict = TC_ACT_REDIRECT, EV(XVTEP_EV_RESERVED_BITS, VNI_A),
	  .learned = 1 },
	{ "VNI 0", b_vni, 0, TC_UP, .dev = DEV_UP, .verdict = TC_ACT_SHOT,
	  DROP(XVTEP_DROP_UNKNOWN_VNI, 0) },
	{ "VNI 0xFFFFFF (configured, no port, no learning)", b_vni, M_VNI_MAX, TC_UP,
	  .dev = DEV_UP, .verdict = TC_ACT_SHOT, DROP(XVTEP_DROP_NO_DEST, M_VNI_MAX) },
	{ "inner 802.1Q tag", b_inner_vlan, 1, TC_UP, .dev = DEV_UP, .verdict = TC_ACT_SHOT,
	  DROP(XVTEP_DROP_INNER_VLAN, 0) },
	{ "inner 802.1ad tag", b_inner_vlan, -1, TC_UP, .dev = DEV_UP, .verdict = TC_ACT_SHOT,
	  DROP(XVTEP_DROP_INNER_VLAN, 0) },
	{ "inner 5 tags", b_inner_vlan, 5, TC_UP, .dev = DEV_UP, .verdict = TC_ACT_SHOT,
	  DROP(XVTEP_DROP_INNER_VLAN, 0) },
	{ "outer 802.1Q tag", b_outer_vlan, 1, TC_UP, .dev = DEV_UP, .verdict = TC_ACT_OK },
	{ "outer 5 tags", b_outer_vlan, 5, TC_UP, .dev = DEV_UP, .verdict = TC_ACT_OK },
	{ "inner source zero MAC", b_inner_src, 0, TC_UP, .dev = DEV_UP, .verdict = TC_ACT_SHOT,
	  DROP(XVTEP_DROP_BAD_SRC_MAC, VNI_A) },
	{ "inner source multicast MAC", b_inner_src, 1, TC_UP, .dev = DEV_UP,
	  .verdict = TC_ACT_SHOT, DROP(XVTEP_DROP_BAD_SRC_MAC, VNI_A) },
	{ "inner source broadcast MAC", b_inner_src, 2, TC_UP, .dev = DEV_UP,
	  .verdict = TC_ACT_SHOT, DROP(XVTEP_DROP_BAD_SRC_MAC, VNI_A) },
	{ "inner broadcast destination: flooded to both ports", b_inner_bcast_dst, 0, TC_UP,
	  .dev = DEV_UP, .verdict = TC_ACT_REDIRECT, EV(XVTEP_EV_FLOODED, VNI_A),
	  .learned = 1 },
	{ "outer IPv6, 2 extension headers", b_ipv6, 2, TC_UP, .dev = DEV_UP,
	  .verdict = TC_ACT_OK },

	/* ---- TC port (encap side): frames from a VM on p1 (VNI A) ---- */
	{ "0-byte frame", b_garbage, 0, TC_PORT, REFUSED },
	{ "13-byte frame", b_garbage, 13, TC_PORT, REFUSED },
	{ "on a device that is not a port", v_local, 64, TC_PORT, .dev = DEV_UP,
	  .verdict = TC_ACT_SHOT, DROP(XVTEP_DROP_PORT_UNKNOWN, 0) },
	{ "bare Ethernet header, IPv4 ethertype", v_local, 14, TC_PORT, REFUSED_L3 },
	{ "bare Ethernet header, ARP ethertype, to a local VM", v_local_arp, 14, TC_PORT,
	  .verdict = TC_ACT_REDIRECT, EV(XVTEP_EV_LEARNED, VNI_A), .learned = 1 },
	{ "802.1Q tag", v_vlan, 1, TC_PORT, .verdict = TC_ACT_SHOT,
	  DROP(XVTEP_DROP_INNER_VLAN, VNI_A) },
	{ "802.1ad tag", v_vlan, -1, TC_PORT, .verdict = TC_ACT_SHOT,
	  DROP(XVTEP_DROP_INNER_VLAN, VNI_A) },
	{ "QinQ", v_vlan, 2, TC_PORT, .verdict = TC_ACT_SHOT, DROP(XVTEP_DROP_INNER_VLAN, VNI_A) },
	{ "3 tags", v_vlan, 3, TC_PORT, .verdict = TC_ACT_SHOT,
	  DROP(XVTEP_DROP_INNER_VLAN, VNI_A) },
	{ "5 tags", v_vlan, 5, TC_PORT, .verdict = TC_ACT_SHOT,
	  DROP(XVTEP_DROP_INNER_VLAN, VNI_A) },
	{ "source zero MAC", v_src, 0, TC_PORT, .verdict = TC_ACT_SHOT,
	  DROP(XVTEP_DROP_BAD_SRC_MAC, VNI_A) },
	{ "source multicast MAC", v_src, 1, TC_PORT, .verdict = TC_ACT_SHOT,
	  DROP(XVTEP_DROP_BAD_SRC_MAC, VNI_A) },
	{ "source broadcast MAC", v_src, 2, TC_PORT, .verdict = TC_ACT_SHOT,
	  DROP(XVTEP_DROP_BAD_SRC_MAC, VNI_A) },
	/* The source is a real VM on this port: learning it before a
	 * forwarding drop is what a bridge does too. */
	{ "destination on the ingress port (hairpin)", v_hairpin, 0, TC_PORT,
	  .verdict = TC_ACT_SHOT, DROP(XVTEP_DROP_HAIRPIN, VNI_A), .learned = 1 },
	{ "broadcast ARP: local copies only", v_bcast, 0, TC_PORT, .verdict = TC_ACT_SHOT,
	  EV(XVTEP_EV_FLOODED, VNI_A), .learned = 1 },
	/* ut-up has MTU 1500: 1464 + 36 bytes of outer IPv4/UDP/VXLAN fit, 1465 not. */
	{ "to a remote, largest frame that fits the MTU", v_remote, 1464, TC_PORT,
	  .verdict = TC_ACT_REDIRECT, .learned = 1 },
	{ "to a remote, 1 byte over the MTU", v_remote, 1465, TC_PORT, .verdict = TC_ACT_SHOT,
	  DROP(XVTEP_DROP_MTU, VNI_A), .learned = 1 },
	{ "to a remote, 3000 bytes", v_remote, 3000, TC_PORT, .verdict = TC_ACT_SHOT,
	  DROP(XVTEP_DROP_MTU, VNI_A), .learned = 1 },
	{ "to a remote, 4000 bytes", v_remote, 4000, TC_PORT, REFUSED_BIG },
	{ "to a remote, IPv4 header cut at 10 bytes", v_remote_cut_ip, 24, TC_PORT, REFUSED_L3 },
	{ "to a remote, IPv4 header only", v_remote_cut_ip, 34, TC_PORT,
	  .verdict = TC_ACT_REDIRECT, .learned = 1 },
	{ "to a remote, bare Ethernet header, ARP ethertype", v_remote_arp, 14, TC_PORT,
	  .verdict = TC_ACT_REDIRECT, .learned = 1 },
	{ "to a remote, IPv4 total length beyond the frame", v_remote_bad_totlen, 100, TC_PORT,
	  .verdict = TC_ACT_REDIRECT, .learned = 1 },
	{ "to a remote, ARP (not IP: change_head path)", v_remote_arp, 42, TC_PORT,
	  .verdict = TC_ACT_REDIRECT, .learned = 1 },
	{ "to a remote, IPv6 with 2 extension headers", v_remote_v6_ext, 0, TC_PORT,
	  .verdict = TC_ACT_REDIRECT, .learned = 1 },

	/* ---- XDP port (`encap xdp` on p1): only a well-formed unicast frame
	 * to a remote it can finish is taken; anything else passes untouched
	 * to TC (the rows above), counted as xdp_to_tc, with nothing learned. ---- */
	{ "on a device that is not a port", v_local, 64, XDP_PORT, .dev = DEV_UP,
	  .verdict = XDP_PASS },
	{ "14-byte garbage Ethernet header", b_garbage, 14, XDP_PORT, TO_TC },
	{ "bare Ethernet header, IPv4 ethertype, to a remote", v_remote, 14, XDP_PORT, TO_TC },
	{ "to a remote, IPv4 header cut at 10 bytes", v_remote_cut_ip, 24, XDP_PORT, TO_TC },
	{ "to a remote, IPv4 header only", v_remote_cut_ip, 34, XDP_PORT, TO_TC },
	{ "to a remote, IPv4 total length beyond the frame", v_remote_bad_totlen, 100, XDP_PORT,
	  TO_TC },
	{ "to a remote, IHL 4", v_remote_ihl, 4, XDP_PORT, TO_TC },
	{ "to a remote, IHL 15 (options, valid)", v_remote_ihl, 15, XDP_PORT, XDP_ENCAPPED },
	{ "to a remote, IPv4 version 6 in an IPv4 ethertype", v_remote_ipver, 6, XDP_PORT, TO_TC },
	{ "to a remote, IPv6 with 2 extension headers", v_remote_v6_ext, 0, XDP_PORT, TO_TC },
	{ "to a remote, ARP", v_remote_arp, 42, XDP_PORT, TO_TC },
	{ "to a remote, 802.1Q tag", v_remote_vlan, 1, XDP_PORT, TO_TC },
	{ "to a remote, QinQ", v_remote_vlan, 2, XDP_PORT, TO_TC },
	{ "to a remote, source zero MAC", v_remote_src, 0, XDP_PORT, TO_TC },
	{ "to a remote, source multicast MAC", v_remote_src, 1, XDP_PORT, TO_TC },
	{ "to a remote, source broadcast MAC", v_remote_src, 2, XDP_PORT, TO_TC },
	{ "broadcast ARP", v_bcast, 0, XDP_PORT, TO_TC },
	{ "destination on the ingress port (hairpin)", v_hairpin, 0, XDP_PORT, TO_TC },
	{ "to a local VM", v_local, 64, XDP_PORT, TO_TC },
	{ "to a remote, 1 byte over the MTU", v_remote, 1465, XDP_PORT, TO_TC },
	{ "to a remote, 3000 bytes", v_remote, 3000, XDP_PORT, TO_TC },
	{ "to a remote, largest frame that fits the MTU", v_remote, 1464, XDP_PORT, XDP_ENCAPPED },
	{ "to a remote, IPv4 first fragment (MF)", v_remote_frag, 0x2000, XDP_PORT, XDP_ENCAPPED },
	{ "to a remote, IPv4 later fragment", v_remote_frag, 185, XDP_PORT, XDP_ENCAPPED },

	/* ---- mirror device and mirror sources ---- */
	{ "13-byte copy", b_garbage, 13, TC_MIRROR, COPY(MS_SPAN), REFUSED },
	/* Only our marked copies ever reach it: anything else is not a frame
	 * of any session, so there is no per-session counter to move. */
	{ "unmarked frame", b_garbage, 14, TC_MIRROR, .verdict = TC_ACT_SHOT },
	{ "14-byte garbage copy, SPAN", b_garbage, 14, TC_MIRROR, COPY(MS_SPAN),
	  .verdict = TC_ACT_REDIRECT },
	{ "14-byte copy, RSPAN", b_garbage, 14, TC_MIRROR, COPY(MS_RSPAN),
	  .verdict = TC_ACT_REDIRECT },
	{ "copy with an 802.1Q ethertype and the tag cut, RSPAN", b_cut_tag, 0, TC_MIRROR,
	  COPY(MS_RSPAN), .verdict = TC_ACT_REDIRECT },
	{ "ERSPAN truncating below an Ethernet header", b_std, 0, TC_MIRROR,
	  COPY(MS_ERSPAN_CUT), .verdict = TC_ACT_SHOT, MDROP(XVTEP_MDROP_ENCAP, MS_ERSPAN_CUT) },
	{ "copy for a free slot", b_garbage, 14, TC_MIRROR, COPY(MS_FREE),
	  .verdict = TC_ACT_SHOT, MDROP(XVTEP_MDROP_NO_SESSION, MS_FREE) },
	{ "14-byte garbage on port egress", b_garbage, 14, TC_PORT_EG, .verdict = TC_ACT_OK },
	{ "14-byte garbage on uplink egress", b_garbage, 14, TC_UP_EG, .dev = DEV_UP,
	  .verdict = TC_ACT_OK },
	{ "malformed VXLAN on uplink egress", b_cut, 46, TC_UP_EG, .dev = DEV_UP,
	  .verdict = TC_ACT_OK },
};

/* ------------------------------------------------------------ environment */

static const uint32_t tracked_vnis[] = { 0, VNI_A, VNI_B, M_VNI_MAX };
#define NTRACKED (sizeof(tracked_vnis) / sizeof(tracked_vnis[0]))
#define NSLOTS 4

struct snap {
	struct xvtep_stats st[NTRACKED];
	struct xvtep_mirror_stats ms[NSLOTS];
	uint64_t learned[NTRACKED];
	int fdb_n;
	struct xvtep_fdb_key keys[64];
	struct xvtep_fdb_entry vals[64];
};

static int m_stats_sum(struct env *e, uint32_t vni, struct xvtep_stats *sum)
{
	struct xvtep_stats *per = calloc(ncpus, sizeof(*per));
	uint32_t slot = env_slot(vni);
	int err;

	memset(sum, 0, sizeof(*sum));
	err = per ? bpf_map_lookup_elem(e->stats, &slot, per) : -1;
	for (int c = 0; !err && c < ncpus; c++) {
		for (int i = 0; i < XVTEP_DROP_SLOTS; i++)
			sum->drops[i] += per[c].drops[i];
		for (int i = 0; i < XVTEP_EVENT_SLOTS; i++)
			sum->events[i] += per[c].events[i];
	}
	free(per);
	return err;
}

static void m_mstats_sum(struct env *e, uint32_t slot, struct xvtep_mirror_stats *sum)
{
	struct xvtep_mirror_stats *per = calloc(ncpus, sizeof(*per));

	memset(sum, 0, sizeof(*sum));
	if (per && !bpf_map_lookup_elem(e->mstats, &slot, per))
		for (int c = 0; c < ncpus; c++)
			for (int i = 0; i < XVTEP_MDROP_SLOTS; i++)
				sum->drops[i] += per[c].drops[i];
	free(per);
}

static void m_snap(struct env *e, struct snap *s)
{
	struct xvtep_fdb_key k, next;
	void *prev = NULL;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < NTRACKED; i++) {
		struct xvtep_vstate vs = {};

		m_stats_sum(e, tracked_vnis[i], &s->st[i]);
		bpf_map_lookup_elem(e->vstate, &tracked_vnis[i], &vs);
		s->learned[i] = vs.learned;
	}
	for (uint32_t i = 0; i < NSLOTS; i++)
		m_mstats_sum(e, i, &s->ms[i]);
	while (!bpf_map_get_next_key(e->fdb, prev, &next)) {
		if (s->fdb_n < 64) {
			s->keys[s->fdb_n] = next;
			bpf_map_lookup_elem(e->fdb, &next, &s->vals[s->fdb_n]);
		}
		s->fdb_n++;
		k = next;
		prev = &k;
	}
}

static void m_fdb_static(struct env *e, uint32_t vni, const uint8_t *mac, uint32_t ifindex,
			 uint32_t remote_host)
{
	struct xvtep_fdb_key k = { .vni = vni };
	struct xvtep_fdb_entry v = { .ifindex = ifindex, .flags = XVTEP_FDB_F_STATIC };

	if (remote_host) {
		v.ifindex = 0;
		v.remote = a4(remote_host);
		v.flags |= XVTEP_FDB_F_REMOTE;
	}
	memcpy(k.mac, mac, 6);
	bpf_map_update_elem(e->fdb, &k, &v, BPF_ANY);
}

/* Back to the baseline FDB (three static entries) and zero learned counts. */
static void m_reset(struct env *e)
{
	struct xvtep_fdb_key k;
	struct xvtep_vstate vs = {};

	while (!bpf_map_get_next_key(e->fdb, NULL, &k))
		bpf_map_delete_elem(e->fdb, &k);
	m_fdb_static(e, VNI_A, MAC_VM1, e->ifi_p1, 0);
	m_fdb_static(e, VNI_A, MAC_VM2, e->ifi_p2, 0);
	m_fdb_static(e, VNI_A, MAC_FAR2, 0, IP_PEER);
	for (size_t i = 1; i < NTRACKED; i++)
		bpf_map_update_elem(e->vstate, &tracked_vnis[i], &vs, BPF_ANY);
	env_written(e);
}

static int m_vni_add(struct env *e, uint32_t vni, struct xvtep_vni *cfg)
{
	struct xvtep_stats *zero = calloc(ncpus, sizeof(*zero));
	struct xvtep_vstate vs = {};
	uint32_t slot = env_slot(vni);
	int err;

	cfg->stats_slot = slot;
	err = bpf_map_update_elem(e->vnis, &vni, cfg, BPF_ANY) ||
	      bpf_map_update_elem(e->vstate, &vni, &vs, BPF_ANY) ||
	      !zero || bpf_map_update_elem(e->stats, &slot, zero, BPF_ANY);
	free(zero);
	env_written(e);
	return err;
}

static int m_env_open(struct env *e)
{
	struct xvtep_vni a = { .flags = XVTEP_VNI_F_LEARNING, .ageing = 300, .nr_ports = 2 };
	struct xvtep_vni b = { .flags = XVTEP_VNI_F_LEARNING, .ageing = 300, .nr_remotes = 1 };
	struct xvtep_vni max = { .ageing = 300 };
	struct xvtep_mirror m;
	/* encap xdp on both ports: only xvtep_xdp_port reads the flag. */
	struct xvtep_port port = { .vni = VNI_A, .flags = XVTEP_PORT_F_XDP_ENCAP };
	uint32_t slot;

	if (env_load(e, &(struct env_cfg){}))
		return -1;

	a.ports[0] = e->ifi_p1;
	a.ports[1] = e->ifi_p2;
	b.remotes[0] = a4(IP_PEER);
	if (m_vni_add(e, 0, &(struct xvtep_vni){}) || m_vni_add(e, VNI_A, &a) ||
	    m_vni_add(e, VNI_B, &b) || m_vni_add(e, M_VNI_MAX, &max))
		return -1;
	/* VNI 0 is the global counter slot, never a configured VNI. */
	bpf_map_delete_elem(e->vnis, &(uint32_t){ 0 });
	env_written(e);
	for (int i = 0; i < 2; i++) {
		uint32_t ifi = i ? e->ifi_p2 : e->ifi_p1;

		bpf_map_update_elem(e->ports, &ifi, &port, BPF_ANY);
		bpf_map_update_elem(e->devmap, &ifi, &ifi, BPF_ANY);
	}
	xmit_allow(e, e->ifi_up, true);	/* the XDP port may redirect to ut-up */
	slot = MS_SPAN;
	m = (struct xvtep_mirror){ .id = 1, .kind = XVTEP_MIRROR_SPAN, .dir = 3,
				   .dest_ifindex = e->ifi_p2 };
	bpf_map_update_elem(e->mirrors, &slot, &m, BPF_ANY);
	slot = MS_RSPAN;
	m = (struct xvtep_mirror){ .id = 2, .kind = XVTEP_MIRROR_RSPAN, .dir = 3, .vlan = 7,
				   .dest_ifindex = e->ifi_p2 };
	bpf_map_update_elem(e->mirrors, &slot, &m, BPF_ANY);
	slot = MS_ERSPAN_CUT;
	m = (struct xvtep_mirror){ .id = 3, .kind = XVTEP_MIRROR_ERSPAN, .dir = 3,
				   .erspan_version = 2, .remote = a4(IP_PEER), .truncate = 10 };
	bpf_map_update_elem(e->mirrors, &slot, &m, BPF_ANY);
	m_reset(e);
	return 0;
}

static int m_prog_fd(struct env *e, enum mprog p)
{
	switch (p) {
	case XDP_UP: return bpf_program__fd(e->skel->progs.xvtep_xdp_up);
	case TC_UP: return bpf_program__fd(e->skel->progs.xvtep_tc_up);
	case TC_PORT: return bpf_program__fd(e->skel->progs.xvtep_tc_port);
	case TC_MIRROR: return bpf_program__fd(e->skel->progs.xvtep_tc_mirror);
	case TC_PORT_EG: return bpf_program__fd(e->skel->progs.xvtep_tc_port_eg);
	case TC_UP_EG: return bpf_program__fd(e->skel->progs.xvtep_tc_up_eg);
	case XDP_PORT: return bpf_program__fd(e->skel->progs.xvtep_xdp_port);
	case MPROG__MAX: break;
	}
	return -1;
}

static int m_run(struct env *e, const struct mrow *r, const struct pkt *p, uint32_t *retval)
{
	static uint8_t out[PKT_MAX + 256];
	uint32_t ifi = r->dev == DEV_UP ? e->ifi_up : e->ifi_p1;
	struct __sk_buff ctx = { .ifindex = ifi, .ingress_ifindex = ifi, .mark = r->mark };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->buf, .data_size_in = p->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	int err;

	if (r->prog == XDP_PORT) {
		/* From the port's own rx queue (ingress_ifindex), no metadata. */
		struct run xr = run_xdp_meta(m_prog_fd(e, r->prog), ifi, NULL, 0, p);

		*retval = xr.retval;
		return xr.err;
	}
	if (r->prog != XDP_UP) {
		o.ctx_in = &ctx;
		o.ctx_size_in = sizeof(ctx);
	}
	err = bpf_prog_test_run_opts(m_prog_fd(e, r->prog), &o);
	*retval = o.retval;
	return err < 0 ? -errno : err;
}

/* Compare before/after against the row; describe the first mismatch in why. */
static bool m_check(const struct mrow *r, const struct snap *a, const struct snap *b,
		    char *why, size_t n)
{
	int learned_ev = 0;

	for (size_t v = 0; v < NTRACKED; v++) {
		for (int i = 0; i < XVTEP_DROP_SLOTS; i++) {
			uint64_t d = b->st[v].drops[i] - a->st[v].drops[i];
			uint64_t want = r->drop && r->drop - 1 == i &&
					r->drop_vni == tracked_vnis[v];

			if (d != want) {
				snprintf(why, n, "drop %s on VNI %u moved by %llu, expected %llu",
					 i < XVTEP_DROP__MAX ? xvtep_drop_names[i] : "?",
					 tracked_vnis[v], (unsigned long long)d,
					 (unsigned long long)want);
				return false;
			}
		}
		learned_ev += b->st[v].events[XVTEP_EV_LEARNED] - a->st[v].events[XVTEP_EV_LEARNED];
		if (r->ev && r->ev_vni == tracked_vnis[v] &&
		    b->st[v].events[r->ev - 1] - a->st[v].events[r->ev - 1] != 1) {
			snprintf(why, n, "event %s on VNI %u did not move by 1",
				 xvtep_event_names[r->ev - 1], r->ev_vni);
			return false;
		}
		if (b->learned[v] - a->learned[v] != (uint64_t)(tracked_vnis[v] == VNI_A ?
								r->learned : 0)) {
			snprintf(why, n, "learned count of VNI %u moved by %lld, expected %d",
				 tracked_vnis[v], (long long)(b->learned[v] - a->learned[v]),
				 tracked_vnis[v] == VNI_A ? r->learned : 0);
			return false;
		}
	}
	if (learned_ev != r->learned) {
		snprintf(why, n, "learned events %d, expected %d", learned_ev, r->learned);
		return false;
	}
	for (int s = 0; s < NSLOTS; s++)
		for (int i = 0; i < XVTEP_MDROP_SLOTS; i++) {
			uint64_t d = b->ms[s].drops[i] - a->ms[s].drops[i];
			uint64_t want = r->mdrop && r->mdrop - 1 == i && r->mslot == (uint32_t)s;

			if (d != want) {
				snprintf(why, n, "mirror drop %d of slot %d moved by %llu", i, s,
					 (unsigned long long)d);
				return false;
			}
		}
	if (b->fdb_n != a->fdb_n + r->learned) {
		snprintf(why, n, "FDB has %d entries, expected %d", b->fdb_n,
			 a->fdb_n + r->learned);
		return false;
	}
	/* Every entry present before is still there, unchanged (the statics). */
	for (int i = 0; i < a->fdb_n && i < 64; i++) {
		int j;

		for (j = 0; j < b->fdb_n && j < 64; j++)
			if (!memcmp(&a->keys[i], &b->keys[j], sizeof(a->keys[i])))
				break;
		if (j == b->fdb_n || j == 64 || a->vals[i].ifindex != b->vals[j].ifindex ||
		    !xvtep_addr_equal(&a->vals[i].remote, &b->vals[j].remote) || a->vals[i].flags != b->vals[j].flags) {
			snprintf(why, n, "FDB entry %d changed or vanished", i);
			return false;
		}
	}
	/* Whatever was learned is a unicast, non-zero MAC. */
	for (int j = 0; j < b->fdb_n && j < 64; j++)
		if ((b->keys[j].mac[0] & 1) || !memcmp(b->keys[j].mac, MAC_ZERO, 6)) {
			snprintf(why, n, "multicast or zero MAC in the FDB");
			return false;
		}
	return true;
}

void test_malformed(void)
{
	int per_prog[MPROG__MAX] = { 0 };
	struct env e;

	if (m_env_open(&e)) {
		CHECK(0, "malformed: setup", "cannot load the skeleton or set up the maps");
		if (e.skel)
			env_close(&e);
		return;
	}
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct mrow *r = &rows[i];
		char name[160], why[160] = "";
		struct snap before, after;
		struct pkt p;
		uint32_t retval = 0;
		int err;

		r->build(&p, r->arg);
		snprintf(name, sizeof(name), "malformed: %s: %s", mprog_names[r->prog], r->name);
		m_snap(&e, &before);
		err = m_run(&e, r, &p, &retval);
		m_snap(&e, &after);
		per_prog[r->prog]++;
		if (err != r->err)
			snprintf(why, sizeof(why), "test_run returned %d, expected %d", err, r->err);
		else if (!err && retval != r->verdict)
			snprintf(why, sizeof(why), "verdict %u, expected %u", retval, r->verdict);
		else
			m_check(r, &before, &after, why, sizeof(why));
		CHECK(!why[0], name, "%s (%zu bytes)", why, p.len);
		m_reset(&e);
	}
	printf("# malformed: rows: xdp_up %d, tc_up %d, tc_port %d, xdp_port %d, mirror %d\n",
		per_prog[XDP_UP], per_prog[TC_UP], per_prog[TC_PORT], per_prog[XDP_PORT],
		per_prog[TC_MIRROR] + per_prog[TC_PORT_EG] + per_prog[TC_UP_EG]);
	env_close(&e);
}
