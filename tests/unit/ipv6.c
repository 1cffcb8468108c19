// SPDX-License-Identifier: GPL-2.0
/*
 * The IPv6 underlay (docs: /work/notes/ipv6-spec.md, ABI 3) on the real
 * object under BPF_PROG_TEST_RUN: decap of VXLAN in IPv6 in XDP and TC,
 * what the uplink refuses or leaves alone, the peers allow-list and
 * learning across both families, encap toward IPv6 remotes and groups
 * (tests/unit/netns.sh gives ut-up 2001:db8::1 and a permanent neighbour
 * 2001:db8::2, so bpf_fib_lookup AF_INET6 finds a route), a remote of a
 * family the instance has no local address for, and IPv4 encap bytes as
 * they were before ABI 3 (recorded from the ABI 2 object, commit 906d8bc).
 */
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include "xvtep.h"
#include "xvtep.skel.h"
#include "unit.h"
#include "env.h"
#include "xvtep_lib.h"

#define IP6_FOREIGN	"\x20\x01\x0d\xb8\0\x01\0\0\0\0\0\0\0\0\0\x05"	/* 2001:db8:1::5 */
#define IP6_NOTOURS	"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x99"	/* 2001:db8::99 */
#define IP6_MAPPED	"\0\0\0\0\0\0\0\0\0\0\xff\xff\xc6\x33\x64\x02"	/* ::ffff:198.51.100.2 */
#define IP6_ANY		"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"			/* :: */
#define IP6_TWIN	"\x20\x01\x0d\xb8\0\x01\0\0\0\0\0\0\0\0\0\x02"	/* 2001:db8:1::2 */
#define IP6_LOOP	"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01"			/* ::1 */

/* Outer Ethernet + IPv6 + UDP + VXLAN: XVTEP_ENCAP6_LEN bytes. */
struct outer6_view {
	struct ethhdr eth;
	uint8_t vtc[4];		/* version, traffic class, flow label */
	uint16_t payload_len;
	uint8_t nexthdr, hop_limit;
	uint8_t saddr[16], daddr[16];
	struct udphdr udp;
	uint32_t vx_flags, vx_vni;
} __attribute__((packed));

/* Outer Ethernet + IPv4 + UDP + VXLAN: XVTEP_ENCAP_LEN bytes. */
struct outer4_view {
	struct ethhdr eth;
	struct iphdr ip;
	struct udphdr udp;
	uint32_t vx_flags, vx_vni;
} __attribute__((packed));

_Static_assert(sizeof(struct outer6_view) == XVTEP_ENCAP6_LEN, "outer6_view");
_Static_assert(sizeof(struct outer4_view) == XVTEP_ENCAP_LEN, "outer4_view");

static inline uint32_t flow_label(const struct outer6_view *v)
{
	return (uint32_t)(v->vtc[1] & 0x0f) << 16 | (uint32_t)v->vtc[2] << 8 | v->vtc[3];
}

static const struct inner_opts IN6_UNICAST = {
	.dst = MAC_VM1, .src = MAC_FAR, .proto = ETH_P_IP, .l4 = IPPROTO_UDP, .payload = 64,
	.fill = 0x66,
};

static struct outer6_opts out6_std(void)
{
	return (struct outer6_opts){ .src = IP6_PEER, .dst = IP6_LOCAL, .vni = VNI_A };
}

/* A drop reason over every slot the suite uses (global, VNI A, VNI B). */
static uint64_t drops_of(struct env *e, int reason)
{
	struct xvtep_stats g = stats_of(e, 0), a = stats_of(e, VNI_A), b = stats_of(e, VNI_B);

	return g.drops[reason] + a.drops[reason] + b.drops[reason];
}

static uint64_t drops_all(struct env *e)
{
	uint64_t n = 0;

	for (int i = 0; i < XVTEP_DROP__MAX; i++)
		n += drops_of(e, i);
	return n;
}

/*
 * The IPv6 world: cfg_local_ip6 = 2001:db8::1 (and cfg_local_ip =
 * 198.51.100.1 unless no_local4). VNI A: learning, ports p1+p2, MAC_VM1
 * static on p1. VNI B: learning, no ports, remote IP6_PEER.
 */
static int env6(struct env *e, bool local6, bool local4, uint16_t smin, uint16_t smax)
{
	struct env_cfg c = { .local6 = local6, .no_local4 = !local4, .sport_min = smin,
			     .sport_max = smax };
	struct xvtep_vni a = { .flags = XVTEP_VNI_F_LEARNING, .ageing = 300 };
	struct xvtep_vni b = { .flags = XVTEP_VNI_F_LEARNING, .ageing = 300, .nr_remotes = 1 };

	if (env_load(e, &c))
		return -1;
	b.remotes[0] = a6(IP6_PEER);
	vni_add(e, VNI_A, &a);
	vni_add(e, VNI_B, &b);
	port_add(e, e->ifi_p1, VNI_A);
	port_add(e, e->ifi_p2, VNI_A);
	fdb_set(e, VNI_A, MAC_VM1, e->ifi_p1, 0, XVTEP_FDB_F_STATIC);
	return 0;
}

static void vni_update(struct env *e, uint32_t vni, void (*fn)(struct xvtep_vni *, void *),
		       void *arg)
{
	struct xvtep_vni cfg;

	bpf_map_lookup_elem(e->vnis, &vni, &cfg);
	fn(&cfg, arg);
	bpf_map_update_elem(e->vnis, &vni, &cfg, BPF_ANY);
	env_written(e);
}

static void set_group(struct xvtep_vni *v, void *arg)
{
	v->group = *(union xvtep_addr *)arg;
}

static void set_ttl(struct xvtep_vni *v, void *arg)
{
	v->ttl = *(uint8_t *)arg;
}

/* arg: a zero-terminated array of addresses (all-zero ends it). */
static void set_remotes(struct xvtep_vni *v, void *arg)
{
	const union xvtep_addr *r = arg;

	v->nr_remotes = 0;
	memset(v->remotes, 0, sizeof(v->remotes));
	for (int i = 0; i < XVTEP_MAX_REMOTES && !xvtep_addr_is_zero(&r[i]); i++)
		v->remotes[v->nr_remotes++] = r[i];
}

static void set_flags(struct xvtep_vni *v, void *arg)
{
	v->flags |= *(uint32_t *)arg;
}

/* ---------------------------------------------------------------- decap */

static void test_decap6(void)
{
	size_t inner_off = XVTEP_ENCAP6_LEN;
	struct outer6_opts o = out6_std();
	struct inner_opts in = IN6_UNICAST;
	struct xvtep_fdb_entry fe;
	struct xvtep_vstate vs;
	struct xvtep_stats s;
	uint32_t vni = VNI_A;
	struct pkt p = {};
	struct env e;
	struct run r;

	if (env6(&e, true, true, 0, 0))
		return (void)CHECK(0, "ipv6 decap setup", "load failed");

	/* XDP: known unicast, non-TCP: the fast path. */
	build_vxlan6(&p, &o, &in);
	r = run_xdp(&e, &p);
	CHECK_EQ(r.retval, XDP_REDIRECT, "ipv6 xdp decap: known unicast redirected to its port");
	CHECK(r.out_len == p.len - inner_off && !memcmp(r.out, p.buf + inner_off, r.out_len),
	      "ipv6 xdp decap: output is exactly the inner frame (70 bytes off)",
	      "out_len %u, expected %zu", r.out_len, p.len - inner_off);
	CHECK(!fdb_get(&e, VNI_A, MAC_FAR, &fe) && (fe.flags & XVTEP_FDB_F_REMOTE) &&
	      !(fe.flags & XVTEP_FDB_F_STATIC) && addr_is6(&fe.remote, IP6_PEER),
	      "ipv6 xdp decap: learns the inner source behind the IPv6 outer source",
	      "flags %u remote w %08x %08x %08x %08x", fe.flags, ntohl(fe.remote.w[0]),
	      ntohl(fe.remote.w[1]), ntohl(fe.remote.w[2]), ntohl(fe.remote.w[3]));
	bpf_map_lookup_elem(e.vstate, &vni, &vs);
	CHECK_EQ(vs.learned, 1, "ipv6 xdp decap: learned count 1");
	s = stats_of(&e, VNI_A);
	CHECK(s.rx_packets == 1 && s.rx_bytes == r.out_len && s.events[XVTEP_EV_LEARNED] == 1,
	      "ipv6 xdp decap: rx counted per VNI", "rx %llu/%llu learned %llu",
	      (unsigned long long)s.rx_packets, (unsigned long long)s.rx_bytes,
	      (unsigned long long)s.events[XVTEP_EV_LEARNED]);

	/* The outer UDP checksum is not verified (RFC 6935): any value goes. */
	o.udp_csum = htons(0x1234);
	build_vxlan6(&p, &o, &in);
	r = run_xdp(&e, &p);
	CHECK_EQ(r.retval, XDP_REDIRECT, "ipv6 xdp decap: outer UDP checksum not verified");
	o = out6_std();

	/* TC: inner TCP (hybrid mode leaves it to TC). */
	in.l4 = IPPROTO_TCP;
	build_vxlan6(&p, &o, &in);
	r = run_xdp(&e, &p);
	CHECK(r.retval == XDP_PASS && r.out_len == p.len && !memcmp(r.out, p.buf, p.len),
	      "ipv6 xdp decap: inner TCP handed to TC untouched (hybrid)", "retval %u",
	      r.retval);
	r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	CHECK_EQ(r.retval, TC_ACT_REDIRECT, "ipv6 tc decap: known unicast redirected");
	CHECK(r.out_len == p.len - inner_off && !memcmp(r.out, p.buf + inner_off, r.out_len),
	      "ipv6 tc decap: output is exactly the inner frame", "out_len %u, expected %zu",
	      r.out_len, p.len - inner_off);
	s = stats_of(&e, VNI_A);
	CHECK(s.rx_packets == 3 && s.rx_bytes == 3ULL * r.out_len,
	      "ipv6 tc decap: rx counted per VNI", "rx %llu/%llu",
	      (unsigned long long)s.rx_packets, (unsigned long long)s.rx_bytes);

	/* TC learns too: a new source from IPv6 OTHER. */
	in = IN6_UNICAST;
	in.l4 = IPPROTO_TCP;
	in.src = MAC_FAR2;
	o.src = IP6_OTHER;
	build_vxlan6(&p, &o, &in);
	r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	CHECK(r.retval == TC_ACT_REDIRECT && !fdb_get(&e, VNI_A, MAC_FAR2, &fe) &&
	      (fe.flags & XVTEP_FDB_F_REMOTE) && addr_is6(&fe.remote, IP6_OTHER),
	      "ipv6 tc decap: learns the inner source behind the IPv6 outer source",
	      "retval %u flags %u remote w3 %08x", r.retval, fe.flags, ntohl(fe.remote.w[3]));

	/* TC flood of broadcast to both ports. */
	in = IN6_UNICAST;
	in.dst = MAC_BCAST;
	o = out6_std();
	build_vxlan6(&p, &o, &in);
	r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_REDIRECT && s.rx_packets == 6 &&
	      s.events[XVTEP_EV_FLOODED] == 1 && r.out_len == p.len - inner_off &&
	      !memcmp(r.out, p.buf + inner_off, r.out_len),
	      "ipv6 tc decap: broadcast flooded to both ports, inner frame intact",
	      "retval %u rx %llu flooded %llu", r.retval, (unsigned long long)s.rx_packets,
	      (unsigned long long)s.events[XVTEP_EV_FLOODED]);
	CHECK_EQ(drops_all(&e), 0, "ipv6 decap: no drop counted on the way");
	env_close(&e);
}

/* TC decap of IPv4 and IPv6 inner frames from an IPv6 outer header, with
 * the DECAP_L3 flags (6.3) or without (features.c does the same over IPv4). */
static void test_decap6_l3(void)
{
	for (int off = 0; off < 2; off++) {
		struct env_cfg c = { .local6 = true, .feat_off = off ? XVTEP_FEAT_DECAP_L3 : 0 };
		struct xvtep_vni a = { .flags = XVTEP_VNI_F_LEARNING, .ageing = 300 };
		struct outer6_opts o = out6_std();
		struct inner_opts in = IN6_UNICAST;
		struct pkt p = {};
		struct env e;
		struct run r;

		if (env_load(&e, &c))
			return (void)CHECK(0, "ipv6 decap-l3 setup", "load failed");
		vni_add(&e, VNI_A, &a);
		port_add(&e, e.ifi_p1, VNI_A);
		fdb_set(&e, VNI_A, MAC_VM1, e.ifi_p1, 0, XVTEP_FDB_F_STATIC);
		in.l4 = IPPROTO_TCP;
		for (int i = 0; i < 3; i++) {
			static const uint16_t protos[] = { ETH_P_IP, ETH_P_IPV6, ETH_P_ARP };
			char name[160];

			in.proto = protos[i];
			in.payload = i == 1 ? 80 : 64;
			build_vxlan6(&p, &o, &in);
			r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
			snprintf(name, sizeof(name),
				 "ipv6 tc decap (decap-l3 %s): inner %s decapsulated exactly",
				 off ? "off" : "as probed", i == 0 ? "IPv4" : i == 1 ? "IPv6" : "ARP");
			CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len - XVTEP_ENCAP6_LEN &&
			      !memcmp(r.out, p.buf + XVTEP_ENCAP6_LEN, r.out_len), name,
			      "retval %u len %u of %zu", r.retval, r.out_len,
			      p.len - XVTEP_ENCAP6_LEN);
		}
		/* An unpadded ARP frame (28 bytes after its Ethernet header, as a
		 * veth sends it): bpf_skb_adjust_room keeps 40 bytes behind an
		 * IPv6 header, so TC pads it to Ethernet's 60-byte minimum. */
		{
			static const uint8_t zero[18];
			char name[160];

			in.proto = ETH_P_ARP;
			in.payload = 28;
			build_vxlan6(&p, &o, &in);
			r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
			snprintf(name, sizeof(name), "ipv6 tc decap (decap-l3 %s): unpadded 42-byte ARP "
				 "frame delivered padded to 60 bytes", off ? "off" : "as probed");
			CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == 60 &&
			      p.len - XVTEP_ENCAP6_LEN == 42 &&
			      !memcmp(r.out, p.buf + XVTEP_ENCAP6_LEN, 42) &&
			      !memcmp(r.out + 42, zero, 18), name, "retval %u len %u (sent %zu)",
			      r.retval, r.out_len, p.len - XVTEP_ENCAP6_LEN);
		}
		env_close(&e);
	}
}

/* What the uplink leaves alone and what it drops. */
static void test_decap6_refused(void)
{
	struct outer6_opts o = out6_std();
	struct inner_opts in = IN6_UNICAST;
	struct pkt p = {};
	struct env e;
	struct run r, t;

	if (env6(&e, true, true, 0, 0))
		return (void)CHECK(0, "ipv6 refused setup", "load failed");

	/* An extension header before UDP: not ours, both hooks pass it untouched. */
	static const uint8_t ext_types[] = { 0 /* hop-by-hop */, 60 /* destination options */ };
	for (int i = 0; i < 2; i++) {
		char name[96];

		o = out6_std();
		o.ext = true;
		o.ext_type = ext_types[i];
		build_vxlan6(&p, &o, &in);
		r = run_xdp(&e, &p);
		t = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
		snprintf(name, sizeof(name),
			 "ipv6: extension header %u before UDP: XDP and TC pass it untouched",
			 ext_types[i]);
		CHECK(r.retval == XDP_PASS && r.out_len == p.len && !memcmp(r.out, p.buf, p.len) &&
		      t.retval == TC_ACT_OK && t.out_len == p.len && !memcmp(t.out, p.buf, p.len),
		      name, "xdp %u (len %u) tc %u (len %u)", r.retval, r.out_len, t.retval,
		      t.out_len);
	}
	CHECK(drops_all(&e) == 0 && fdb_count(&e, VNI_A, true) == 0,
	      "ipv6: extension headers: nothing counted, nothing learned", "drops %llu learned %d",
	      (unsigned long long)drops_all(&e), fdb_count(&e, VNI_A, true));

	/* Not our address, not multicast: not ours. */
	o = out6_std();
	o.dst = IP6_NOTOURS;
	build_vxlan6(&p, &o, &in);
	r = run_xdp(&e, &p);
	t = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	CHECK(r.retval == XDP_PASS && !memcmp(r.out, p.buf, p.len) && t.retval == TC_ACT_OK,
	      "ipv6: VXLAN to another IPv6 host passed untouched", "xdp %u tc %u", r.retval,
	      t.retval);
	o = out6_std();
	o.dport = 4790;
	build_vxlan6(&p, &o, &in);
	r = run_xdp(&e, &p);
	t = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	CHECK(r.retval == XDP_PASS && !memcmp(r.out, p.buf, p.len) && t.retval == TC_ACT_OK,
	      "ipv6: UDP to another port passed untouched", "xdp %u tc %u", r.retval, t.retval);
	CHECK_EQ(drops_all(&e), 0, "ipv6: foreign frames count no drop");

	/* Impossible outer sources: malformed, in both hooks, nothing learned. */
	static const struct { const char *addr, *name; } bad[] = {
		{ IP6_MAPPED, "IPv4-mapped ::ffff:198.51.100.2" },
		{ IP6_ANY, "::" },
		{ IP6_GROUP, "multicast ff05::db8:1" },
		{ IP6_LOOP, "::1" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t before = drops_of(&e, XVTEP_DROP_MALFORMED), mid, after;
		char name[128];

		o = out6_std();
		o.src = bad[i].addr;
		build_vxlan6(&p, &o, &in);
		r = run_xdp(&e, &p);
		mid = drops_of(&e, XVTEP_DROP_MALFORMED);
		t = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
		after = drops_of(&e, XVTEP_DROP_MALFORMED);
		snprintf(name, sizeof(name), "ipv6: outer source %s: dropped malformed (XDP and TC)",
			 bad[i].name);
		CHECK(r.retval == XDP_DROP && t.retval == TC_ACT_SHOT && mid == before + 1 &&
		      after == before + 2, name, "xdp %u tc %u malformed %llu -> %llu -> %llu",
		      r.retval, t.retval, (unsigned long long)before, (unsigned long long)mid,
		      (unsigned long long)after);
	}
	CHECK_EQ(fdb_count(&e, VNI_A, true), 0, "ipv6: nothing learned from impossible sources");

	/* Our own IPv6 address as the source. */
	o = out6_std();
	o.src = IP6_LOCAL;
	build_vxlan6(&p, &o, &in);
	r = run_xdp(&e, &p);
	t = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	CHECK(r.retval == XDP_DROP && t.retval == TC_ACT_SHOT &&
	      drops_of(&e, XVTEP_DROP_OWN_SOURCE) == 2,
	      "ipv6: our own IPv6 source: dropped own_source (XDP and TC)",
	      "xdp %u tc %u own_source %llu", r.retval, t.retval,
	      (unsigned long long)drops_of(&e, XVTEP_DROP_OWN_SOURCE));

	/* Lengths: payload length or UDP length beyond the frame. */
	uint64_t m0 = drops_of(&e, XVTEP_DROP_MALFORMED);
	o = out6_std();
	o.plen_delta = 100;
	build_vxlan6(&p, &o, &in);
	r = run_xdp(&e, &p);
	o = out6_std();
	o.udp_len_delta = 100;
	build_vxlan6(&p, &o, &in);
	t = run_xdp(&e, &p);
	CHECK(r.retval == XDP_DROP && t.retval == XDP_DROP &&
	      drops_of(&e, XVTEP_DROP_MALFORMED) == m0 + 2,
	      "ipv6: payload length / UDP length beyond the frame: dropped malformed",
	      "plen %u udp len %u malformed +%llu", r.retval, t.retval,
	      (unsigned long long)(drops_of(&e, XVTEP_DROP_MALFORMED) - m0));
	/* VXLAN header cut short. */
	o = out6_std();
	build_vxlan6(&p, &o, &in);
	p.len = 14 + 40 + 8 + 4;
	((struct ipv6hdr *)(p.buf + 14))->payload_len = htons(12);
	((struct udphdr *)(p.buf + 54))->len = htons(12);
	r = run_xdp(&e, &p);
	CHECK_EQ(r.retval, XDP_DROP, "ipv6: truncated VXLAN header dropped");
	CHECK_EQ(fdb_count(&e, VNI_A, true), 0, "ipv6: nothing learned from refused frames");
	env_close(&e);

	/* An instance without an IPv6 local takes no IPv6 VXLAN at all. */
	if (env6(&e, false, true, 0, 0))
		return (void)CHECK(0, "ipv6 refused setup (IPv4 only)", "load failed");
	o = out6_std();
	build_vxlan6(&p, &o, &in);
	r = run_xdp(&e, &p);
	t = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	CHECK(r.retval == XDP_PASS && !memcmp(r.out, p.buf, p.len) && t.retval == TC_ACT_OK &&
	      drops_all(&e) == 0 && fdb_count(&e, VNI_A, true) == 0,
	      "ipv6: an IPv4-only instance passes IPv6 VXLAN untouched",
	      "xdp %u tc %u drops %llu", r.retval, t.retval, (unsigned long long)drops_all(&e));
	env_close(&e);
}

/* IPv6 groups: the VNI's own taken, another VNI's group refused. */
static void test_decap6_groups(void)
{
	union xvtep_addr g1 = a6(IP6_GROUP), g2 = a6(IP6_GROUP2);
	struct outer6_opts o = out6_std();
	struct inner_opts in = IN6_UNICAST;
	struct pkt p = {};
	struct env e;
	struct run r, t;

	if (env6(&e, true, true, 0, 0))
		return (void)CHECK(0, "ipv6 groups setup", "load failed");
	vni_update(&e, VNI_A, set_group, &g1);
	vni_update(&e, VNI_B, set_group, &g2);

	in.dst = MAC_BCAST;
	o.dst = IP6_GROUP;
	build_vxlan6(&p, &o, &in);
	t = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	CHECK(t.retval == TC_ACT_REDIRECT && stats_of(&e, VNI_A).rx_packets == 2 &&
	      fdb_count(&e, VNI_A, true) == 1,
	      "ipv6: VXLAN to the VNI's own IPv6 group is taken, flooded and learned from",
	      "tc %u rx %llu learned %d", t.retval,
	      (unsigned long long)stats_of(&e, VNI_A).rx_packets, fdb_count(&e, VNI_A, true));

	/* VNI A's frame sent to VNI B's group. */
	in = IN6_UNICAST;
	o.dst = IP6_GROUP2;
	build_vxlan6(&p, &o, &in);
	r = run_xdp(&e, &p);
	t = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	CHECK(r.retval == XDP_DROP && t.retval == TC_ACT_SHOT &&
	      drops_of(&e, XVTEP_DROP_UNKNOWN_VNI) == 2,
	      "ipv6: a frame to another VNI's IPv6 group: dropped unknown_vni (XDP and TC)",
	      "xdp %u tc %u unknown_vni %llu", r.retval, t.retval,
	      (unsigned long long)drops_of(&e, XVTEP_DROP_UNKNOWN_VNI));

	/* The IPv4 group of the same number space is another address. */
	union xvtep_addr g4 = a4(IP_GROUP);
	vni_update(&e, VNI_A, set_group, &g4);
	o.dst = IP6_GROUP;
	build_vxlan6(&p, &o, &in);
	r = run_xdp(&e, &p);
	CHECK(r.retval == XDP_DROP && drops_of(&e, XVTEP_DROP_UNKNOWN_VNI) == 3,
	      "ipv6: a VNI with an IPv4 group refuses an IPv6 group", "xdp %u unknown_vni %llu",
	      r.retval, (unsigned long long)drops_of(&e, XVTEP_DROP_UNKNOWN_VNI));
	CHECK_EQ(fdb_count(&e, VNI_A, true), 1, "ipv6 groups: nothing learned from refused frames");
	env_close(&e);
}

/* ---------------------------------------------------------------- peers, learning */

static void peer_put6(struct env *e, uint32_t vni, const char *addr, uint32_t plen)
{
	struct xvtep_peer_key k = { .prefixlen = 32 + plen, .vni = vni, .addr = a6(addr) };
	uint32_t zero = 0;

	bpf_map_update_elem(e->peers, &k, &zero, BPF_ANY);
}

static void peer_put4(struct env *e, uint32_t vni, uint32_t host, uint32_t plen)
{
	struct xvtep_peer_key k = { .prefixlen = 32 + 96 + plen, .vni = vni, .addr = a4(host) };
	uint32_t zero = 0;

	k.addr.w[2] = XVTEP_ADDR_V4_MARK;	/* 0.0.0.0/N too: ::ffff:0.0.0.0/96+N */

	bpf_map_update_elem(e->peers, &k, &zero, BPF_ANY);
}

static void test_peers6(void)
{
	uint32_t flags = XVTEP_VNI_F_PEER_FILTER | XVTEP_VNI_F_PEER_OWN;
	struct outer6_opts o = out6_std();
	struct outer_opts o4 = { .src = IP_PEER, .dst = IP_LOCAL, .vni = VNI_A };
	struct inner_opts in = IN6_UNICAST;
	struct xvtep_fdb_entry fe;
	struct pkt p = {};
	struct env e;
	struct run r, t;

	if (env6(&e, true, true, 0, 0))
		return (void)CHECK(0, "ipv6 peers setup", "load failed");
	vni_update(&e, VNI_A, set_flags, &flags);
	peer_put6(&e, VNI_A, IP6_LOCAL /* 2001:db8::/64 */, 64);

	build_vxlan6(&p, &o, &in);
	r = run_xdp(&e, &p);
	CHECK(r.retval == XDP_REDIRECT && !fdb_get(&e, VNI_A, MAC_FAR, &fe) &&
	      addr_is6(&fe.remote, IP6_PEER) && drops_of(&e, XVTEP_DROP_PEER_DENIED) == 0,
	      "ipv6 peers: a source within 2001:db8::/64 is allowed and learned", "xdp %u",
	      r.retval);

	in.src = MAC_FAR2;
	o.src = IP6_FOREIGN;
	build_vxlan6(&p, &o, &in);
	r = run_xdp(&e, &p);
	t = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	CHECK(r.retval == XDP_DROP && t.retval == TC_ACT_SHOT &&
	      drops_of(&e, XVTEP_DROP_PEER_DENIED) == 2 && fdb_get(&e, VNI_A, MAC_FAR2, &fe),
	      "ipv6 peers: 2001:db8:1::5 outside the list is denied (XDP and TC), not learned",
	      "xdp %u tc %u peer_denied %llu", r.retval, t.retval,
	      (unsigned long long)drops_of(&e, XVTEP_DROP_PEER_DENIED));

	/* An IPv6 list does not let IPv4 in; an IPv4 prefix does. */
	build_vxlan(&p, &o4, &in);
	r = run_xdp(&e, &p);
	CHECK(r.retval == XDP_DROP && drops_of(&e, XVTEP_DROP_PEER_DENIED) == 3,
	      "ipv6 peers: an IPv4 source is denied by a list of IPv6 prefixes", "xdp %u",
	      r.retval);
	peer_put4(&e, VNI_A, IP_PEER & 0xffffff00, 24);
	r = run_xdp(&e, &p);
	CHECK(r.retval == XDP_REDIRECT && !fdb_get(&e, VNI_A, MAC_FAR2, &fe) &&
	      addr_is4(&fe.remote, IP_PEER),
	      "ipv6 peers: with 198.51.100.0/24 added, the IPv4 source is allowed", "xdp %u",
	      r.retval);
	/* ...and the IPv4 prefix does not cover an IPv6 source. */
	in.src = MAC_FAR;
	build_vxlan6(&p, &o, &in);	/* from IP6_FOREIGN */
	r = run_xdp(&e, &p);
	CHECK(r.retval == XDP_DROP && drops_of(&e, XVTEP_DROP_PEER_DENIED) == 4,
	      "ipv6 peers: an IPv4 prefix does not admit an IPv6 source", "xdp %u", r.retval);
	/* A /128 host entry. */
	peer_put6(&e, VNI_A, IP6_FOREIGN, 128);
	r = run_xdp(&e, &p);
	CHECK(r.retval == XDP_REDIRECT && !fdb_get(&e, VNI_A, MAC_FAR, &fe) &&
	      addr_is6(&fe.remote, IP6_FOREIGN),
	      "ipv6 peers: a /128 entry admits that one source", "xdp %u", r.retval);

	/* Only 0.0.0.0/0: every IPv4 VTEP, no IPv6 one. */
	{
		struct xvtep_peer_key k, next;
		uint64_t d0;

		while (!bpf_map_get_next_key(e.peers, NULL, &next)) {
			k = next;
			bpf_map_delete_elem(e.peers, &k);
		}
		peer_put4(&e, VNI_A, 0, 0);
		o4.src = IP_OTHER;
		in.src = MAC_FAR2;
		build_vxlan(&p, &o4, &in);
		r = run_xdp(&e, &p);
		d0 = drops_of(&e, XVTEP_DROP_PEER_DENIED);
		o.src = IP6_PEER;
		build_vxlan6(&p, &o, &in);
		t = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
		CHECK(r.retval == XDP_REDIRECT && t.retval == TC_ACT_SHOT &&
		      drops_of(&e, XVTEP_DROP_PEER_DENIED) == d0 + 1,
		      "ipv6 peers: 0.0.0.0/0 admits any IPv4 VTEP and no IPv6 one",
		      "ipv4 xdp %u, ipv6 tc %u", r.retval, t.retval);
	}
	env_close(&e);
}

static void test_mixed_learning(void)
{
	struct outer_opts o4 = { .src = IP_PEER, .dst = IP_LOCAL, .vni = VNI_A };
	struct outer6_opts o = out6_std();
	struct inner_opts in = IN6_UNICAST;
	struct xvtep_fdb_entry fe, fe2;
	struct xvtep_vstate vs;
	struct xvtep_stats s;
	uint32_t vni = VNI_A;
	struct pkt p = {};
	struct env e;
	struct run r;

	if (env6(&e, true, true, 0, 0))
		return (void)CHECK(0, "mixed learning setup", "load failed");

	/* MAC_FAR behind IPv4 PEER, MAC_FAR2 behind IPv6 PEER, one VNI. */
	build_vxlan(&p, &o4, &in);
	r = run_xdp(&e, &p);
	in.src = MAC_FAR2;
	build_vxlan6(&p, &o, &in);
	run_xdp(&e, &p);
	bpf_map_lookup_elem(e.vstate, &vni, &vs);
	CHECK(r.retval == XDP_REDIRECT && !fdb_get(&e, VNI_A, MAC_FAR, &fe) &&
	      addr_is4(&fe.remote, IP_PEER) && !fdb_get(&e, VNI_A, MAC_FAR2, &fe2) &&
	      addr_is6(&fe2.remote, IP6_PEER) && vs.learned == 2,
	      "mixed learning: one VNI learns an IPv4 and an IPv6 VTEP",
	      "xdp %u far w3 %08x far2 w0 %08x learned %llu", r.retval, ntohl(fe.remote.w[3]),
	      ntohl(fe2.remote.w[0]), (unsigned long long)vs.learned);

	/* MAC_FAR moves from the IPv4 VTEP to the IPv6 one, then back. */
	in.src = MAC_FAR;
	build_vxlan6(&p, &o, &in);
	run_xdp(&e, &p);
	s = stats_of(&e, VNI_A);
	bpf_map_lookup_elem(e.vstate, &vni, &vs);
	CHECK(!fdb_get(&e, VNI_A, MAC_FAR, &fe) && addr_is6(&fe.remote, IP6_PEER) &&
	      s.events[XVTEP_EV_MOVED] == 1 && vs.learned == 2,
	      "mixed learning: IPv4 VTEP -> IPv6 VTEP is a move", "moved %llu learned %llu",
	      (unsigned long long)s.events[XVTEP_EV_MOVED], (unsigned long long)vs.learned);
	in.l4 = IPPROTO_TCP;	/* through TC this time */
	build_vxlan(&p, &o4, &in);
	r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_REDIRECT && !fdb_get(&e, VNI_A, MAC_FAR, &fe) &&
	      addr_is4(&fe.remote, IP_PEER) && s.events[XVTEP_EV_MOVED] == 2,
	      "mixed learning: IPv6 VTEP -> IPv4 VTEP is a move (TC)", "tc %u moved %llu",
	      r.retval, (unsigned long long)s.events[XVTEP_EV_MOVED]);

	/* The IPv4-mapped form of an IPv4 VTEP is the same VTEP: no move. A
	 * frame from IPv4 198.51.100.2 again is a refresh. */
	in.l4 = IPPROTO_UDP;
	build_vxlan(&p, &o4, &in);
	run_xdp(&e, &p);
	s = stats_of(&e, VNI_A);
	CHECK_EQ(s.events[XVTEP_EV_MOVED], 2, "mixed learning: the same IPv4 VTEP again: no move");

	/* Encap back to both: the learned entries route per family. */
	struct inner_opts out = { .dst = MAC_FAR2, .src = MAC_VM1, .proto = ETH_P_IP,
				  .l4 = IPPROTO_UDP, .payload = 80, .fill = 3 };
	p.len = build_inner(p.buf, &out);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len + XVTEP_ENCAP6_LEN &&
	      ((struct outer6_view *)r.out)->eth.h_proto == htons(ETH_P_IPV6) &&
	      !memcmp(((struct outer6_view *)r.out)->daddr, IP6_PEER, 16),
	      "mixed learning: encap to the MAC learned behind IPv6 goes out in IPv6",
	      "tc %u len %u", r.retval, r.out_len);
	out.dst = MAC_FAR;
	p.len = build_inner(p.buf, &out);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len + XVTEP_ENCAP_LEN &&
	      ((struct outer4_view *)r.out)->eth.h_proto == htons(ETH_P_IP) &&
	      ((struct outer4_view *)r.out)->ip.daddr == htonl(IP_PEER),
	      "mixed learning: encap to the MAC learned behind IPv4 goes out in IPv4",
	      "tc %u len %u", r.retval, r.out_len);
	env_close(&e);
}

/* ---------------------------------------------------------------- encap */

static void test_encap6(void)
{
	struct inner_opts in = { .dst = MAC_FAR, .src = MAC_VM1, .proto = ETH_P_IP,
				 .l4 = IPPROTO_UDP, .payload = 100, .fill = 7 };
	const struct outer6_view *v;
	struct outer6_view first;
	struct xvtep_stats s;
	struct pkt p = {};
	struct env e;
	struct run r;
	uint8_t ttl = 9;

	if (env6(&e, true, true, 50000, 50015))
		return (void)CHECK(0, "ipv6 encap setup", "load failed");
	fdb_set_addr(&e, VNI_A, MAC_FAR, 0, a6(IP6_PEER), XVTEP_FDB_F_STATIC);

	p.len = build_inner(p.buf, &in);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	v = (const void *)r.out;
	if (getenv("UNIT_DEBUG")) {
		s = stats_of(&e, VNI_A);
		for (int i = 0; i < XVTEP_DROP__MAX; i++)
			if (s.drops[i])
				printf("drop %s=%llu\n", xvtep_drop_names[i],
				       (unsigned long long)s.drops[i]);
	}
	if (!CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len + XVTEP_ENCAP6_LEN,
		   "ipv6 encap: redirected toward the IPv6 VTEP, 70 bytes added",
		   "retval %u len %u, expected %zu", r.retval, r.out_len, p.len + XVTEP_ENCAP6_LEN)) {
		env_close(&e);
		return;
	}
	first = *v;
	CHECK(!memcmp(r.out + XVTEP_ENCAP6_LEN, p.buf, p.len), "ipv6 encap: inner frame intact",
	      "%s", "inner differs");
	CHECK(!memcmp(v->eth.h_dest, MAC_PEER, 6) && !memcmp(v->eth.h_source, MAC_UPLINK, 6) &&
	      v->eth.h_proto == htons(ETH_P_IPV6),
	      "ipv6 encap: outer MACs from the IPv6 neighbour table, ethertype 0x86dd",
	      "proto %04x dst %02x:..:%02x", ntohs(v->eth.h_proto), v->eth.h_dest[0],
	      v->eth.h_dest[5]);
	CHECK(v->vtc[0] >> 4 == 6 && ((v->vtc[0] & 0x0f) << 4 | v->vtc[1] >> 4) == 0,
	      "ipv6 encap: version 6, traffic class 0", "bytes %02x %02x", v->vtc[0], v->vtc[1]);
	CHECK(flow_label(v) != 0, "ipv6 encap: flow label set (non-zero)", "label %05x",
	      flow_label(v));
	CHECK(ntohs(v->payload_len) == r.out_len - 54 && v->nexthdr == IPPROTO_UDP &&
	      v->hop_limit == 64,
	      "ipv6 encap: payload length, next header 17, hop limit 64 by default",
	      "payload_len %u (want %u) nexthdr %u hop %u", ntohs(v->payload_len),
	      r.out_len - 54, v->nexthdr, v->hop_limit);
	CHECK(!memcmp(v->saddr, IP6_LOCAL, 16) && !memcmp(v->daddr, IP6_PEER, 16),
	      "ipv6 encap: source cfg_local_ip6, destination the remote", "%s",
	      "addresses differ");
	CHECK(ntohs(v->udp.dest) == 4789 && ntohs(v->udp.len) == r.out_len - 54 &&
	      v->udp.check == 0 && ntohs(v->udp.source) >= 50000 && ntohs(v->udp.source) <= 50015,
	      "ipv6 encap: UDP port 4789, length, checksum 0, source port in range",
	      "dport %u len %u (want %u) check %04x sport %u", ntohs(v->udp.dest),
	      ntohs(v->udp.len), r.out_len - 54, ntohs(v->udp.check), ntohs(v->udp.source));
	CHECK(ntohl(v->vx_flags) == 0x08000000 && ntohl(v->vx_vni) == VNI_A << 8,
	      "ipv6 encap: VXLAN I flag and VNI", "flags %08x vni %08x", ntohl(v->vx_flags),
	      ntohl(v->vx_vni));
	s = stats_of(&e, VNI_A);
	CHECK(s.tx_packets == 1 && s.tx_bytes == r.out_len, "ipv6 encap: tx counted per VNI",
	      "tx %llu/%llu", (unsigned long long)s.tx_packets, (unsigned long long)s.tx_bytes);

	/* One flow: the same label and port; other flows: other labels. */
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	CHECK(r.retval == TC_ACT_REDIRECT && !memcmp(r.out, &first, sizeof(first)),
	      "ipv6 encap: a second frame of the flow gets the same outer headers (label, port)",
	      "retval %u label %05x then %05x", r.retval, flow_label(&first), flow_label(v));
	{
		int other = 0;

		for (int i = 1; i <= 8; i++) {
			struct pkt q = p;

			q.buf[14 + 20 + 1] ^= (uint8_t)i;	/* inner UDP source port */
			r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &q);
			other += r.retval == TC_ACT_REDIRECT && flow_label(v) != flow_label(&first);
		}
		CHECK(other > 0, "ipv6 encap: other flows get other flow labels", "%d of 8",
		      other);
	}

	/* The VNI's ttl is the hop limit. */
	vni_update(&e, VNI_A, set_ttl, &ttl);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	CHECK(r.retval == TC_ACT_REDIRECT && v->hop_limit == 9,
	      "ipv6 encap: hop limit = the VNI's ttl (9)", "retval %u hop %u", r.retval,
	      v->hop_limit);

	/* MTU: 70 bytes count. An inner frame of 1500 + 14 - 70 = 1444 bytes fits. */
	in.payload = 1444 - 14;
	p.len = build_inner(p.buf, &in);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	CHECK_EQ(r.retval, TC_ACT_REDIRECT, "ipv6 encap: a frame that exactly fits the MTU passes");
	in.payload++;
	p.len = build_inner(p.buf, &in);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_SHOT && s.drops[XVTEP_DROP_MTU] == 1,
	      "ipv6 encap: one byte over the MTU (70-byte headers) dropped mtu_exceeded",
	      "retval %u mtu %llu", r.retval, (unsigned long long)s.drops[XVTEP_DROP_MTU]);

	/* IPv6 remote without a neighbour (the frame itself may be routed by
	 * bpf_redirect_neigh) and an unroutable one. */
	fdb_set_addr(&e, VNI_A, MAC_FAR2, 0, a6(IP6_FOREIGN), XVTEP_FDB_F_STATIC);
	in.dst = MAC_FAR2;
	in.payload = 100;
	p.len = build_inner(p.buf, &in);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_SHOT && s.drops[XVTEP_DROP_NO_ROUTE] == 1,
	      "ipv6 encap: an IPv6 remote without a route: dropped no_route",
	      "retval %u no_route %llu", r.retval, (unsigned long long)s.drops[XVTEP_DROP_NO_ROUTE]);
	env_close(&e);
}

/* BUM over IPv6: to a group (RFC 2464 MAC, hop limit 1), and a flood list
 * that mixes families (IPv6 copies first, the frame itself to IPv4 last). */
static void test_encap6_flood(void)
{
	struct inner_opts in = { .dst = MAC_BCAST, .src = MAC_VM1, .proto = ETH_P_ARP,
				 .payload = 28, .fill = 1 };
	static const uint8_t gmac[6] = { 0x33, 0x33, 0x0d, 0xb8, 0x00, 0x01 };
	union xvtep_addr g = a6(IP6_GROUP), none = {};
	union xvtep_addr mixed[3] = { a6(IP6_PEER), a4(IP_PEER), {} };
	const struct outer6_view *v;
	const struct outer4_view *v4;
	struct xvtep_stats s;
	struct pkt p = {};
	struct env e;
	struct run r;

	if (env6(&e, true, true, 0, 0))
		return (void)CHECK(0, "ipv6 flood setup", "load failed");
	vni_update(&e, VNI_A, set_group, &g);
	p.len = build_inner(p.buf, &in);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	v = (const void *)r.out;
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len + XVTEP_ENCAP6_LEN &&
	      !memcmp(v->daddr, IP6_GROUP, 16) && !memcmp(v->saddr, IP6_LOCAL, 16) &&
	      v->hop_limit == 1 && v->nexthdr == IPPROTO_UDP && v->udp.check == 0,
	      "ipv6 flood: BUM to the VNI's IPv6 group, hop limit 1", "retval %u len %u hop %u",
	      r.retval, r.out_len, v->hop_limit);
	CHECK(!memcmp(v->eth.h_dest, gmac, 6) && !memcmp(v->eth.h_source, MAC_UPLINK, 6) &&
	      v->eth.h_proto == htons(ETH_P_IPV6),
	      "ipv6 flood: group MAC 33:33:0d:b8:00:01 (RFC 2464), the uplink's source",
	      "dst %02x:%02x:%02x:%02x:%02x:%02x", v->eth.h_dest[0], v->eth.h_dest[1],
	      v->eth.h_dest[2], v->eth.h_dest[3], v->eth.h_dest[4], v->eth.h_dest[5]);
	CHECK(s.local_packets == 1 && s.tx_packets == 1 && !memcmp(r.out + 70, p.buf, p.len),
	      "ipv6 flood: one local copy, one to the group, inner frame intact",
	      "local %llu tx %llu", (unsigned long long)s.local_packets,
	      (unsigned long long)s.tx_packets);

	/* Mixed list, no group. An IP frame (unknown unicast): the IPv6 copy
	 * (a clone) from the 70-byte push first, then shrunk by 20 bytes, the
	 * frame itself to the IPv4 VTEP last. */
	struct inner_opts ip_in = { .dst = MAC_FAR2, .src = MAC_VM1, .proto = ETH_P_IP,
				    .l4 = IPPROTO_UDP, .payload = 64, .fill = 9 };
	struct pkt q = {};

	q.len = build_inner(q.buf, &ip_in);
	vni_update(&e, VNI_A, set_group, &none);
	vni_update(&e, VNI_A, set_remotes, mixed);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &q);
	v4 = (const void *)r.out;
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == q.len + XVTEP_ENCAP_LEN &&
	      v4->eth.h_proto == htons(ETH_P_IP) && v4->ip.daddr == htonl(IP_PEER) &&
	      v4->ip.saddr == htonl(IP_LOCAL) && pkt_csum(&v4->ip, 20) == 0 &&
	      ntohs(v4->ip.tot_len) == r.out_len - 14 && ntohs(v4->udp.len) == r.out_len - 34 &&
	      ntohs(v4->udp.dest) == 4789 && ntohl(v4->vx_vni) == VNI_A << 8 &&
	      !memcmp(r.out + XVTEP_ENCAP_LEN, q.buf, q.len),
	      "ipv6 flood: mixed list, IP frame: IPv6 copy first, the last one IPv4 (shrunk by 20), "
	      "headers and inner intact",
	      "retval %u len %u (want %zu) proto %04x", r.retval, r.out_len,
	      q.len + XVTEP_ENCAP_LEN, ntohs(v4->eth.h_proto));
	CHECK(s.tx_packets == 3 && drops_of(&e, XVTEP_DROP_ENCAP_FAILED) == 0 &&
	      drops_of(&e, XVTEP_DROP_NO_ROUTE) == 0 && drops_of(&e, XVTEP_DROP_NEIGH_UNRESOLVED) == 0,
	      "ipv6 flood: mixed list, IP frame: one copy per family sent, no drop",
	      "tx %llu (want 3) encap_failed %llu no_route %llu", (unsigned long long)s.tx_packets,
	      (unsigned long long)drops_of(&e, XVTEP_DROP_ENCAP_FAILED),
	      (unsigned long long)drops_of(&e, XVTEP_DROP_NO_ROUTE));

	/* A frame that is not IP (ARP; bpf_skb_adjust_room refuses it): the
	 * IPv4 copy first, then 20 bytes more in front, the IPv6 one last
	 * (bpf/tc_port.c, encap_flood). */
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	v = (const void *)r.out;
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len + XVTEP_ENCAP6_LEN &&
	      v->eth.h_proto == htons(ETH_P_IPV6) && v->vtc[0] >> 4 == 6 &&
	      !memcmp(v->daddr, IP6_PEER, 16) && !memcmp(v->saddr, IP6_LOCAL, 16) &&
	      ntohs(v->payload_len) == r.out_len - 54 && v->nexthdr == IPPROTO_UDP &&
	      v->hop_limit == 64 && ntohs(v->udp.len) == r.out_len - 54 && v->udp.check == 0 &&
	      ntohs(v->udp.dest) == 4789 && ntohl(v->vx_vni) == VNI_A << 8 &&
	      !memcmp(r.out + XVTEP_ENCAP6_LEN, p.buf, p.len) && s.tx_packets == 5,
	      "ipv6 flood: mixed list, ARP: IPv4 copy first, the last one IPv6 (grown by 20), "
	      "headers and inner intact",
	      "retval %u len %u proto %04x tx %llu", r.retval, r.out_len,
	      ntohs(v->eth.h_proto), (unsigned long long)s.tx_packets);

	/* Mixed with an IPv6 group: three copies, the IP frame's last IPv4. */
	vni_update(&e, VNI_A, set_group, &g);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &q);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == q.len + XVTEP_ENCAP_LEN &&
	      s.tx_packets == 8 && drops_all(&e) == 0,
	      "ipv6 flood: IPv6 group + mixed list: three copies, IPv4 last",
	      "retval %u len %u tx %llu drops %llu", r.retval, r.out_len,
	      (unsigned long long)s.tx_packets, (unsigned long long)drops_all(&e));

	/* IPv6 only, the group and two replicas, one without a neighbour (a
	 * clone toward it is counted neigh_unresolved); the VNI's ttl 9 is
	 * every copy's hop limit, the group's included. */
	union xvtep_addr six[3] = { a6(IP6_OTHER), a6(IP6_PEER), {} };
	uint8_t ttl = 9;
	uint64_t tx0 = s.tx_packets;

	vni_update(&e, VNI_A, set_remotes, six);
	vni_update(&e, VNI_A, set_ttl, &ttl);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	v = (const void *)r.out;
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len + XVTEP_ENCAP6_LEN &&
	      !memcmp(v->daddr, IP6_PEER, 16) && v->hop_limit == 9 &&
	      !memcmp(v->eth.h_dest, MAC_PEER, 6),
	      "ipv6 flood: head-end replication: the last replica gets the frame, hop limit 9",
	      "retval %u len %u hop %u", r.retval, r.out_len, v->hop_limit);
	CHECK(s.tx_packets == tx0 + 2 && s.drops[XVTEP_DROP_NEIGH_UNRESOLVED] == 1,
	      "ipv6 flood: one copy to the group and one per resolved replica; unresolved counted",
	      "tx +%llu unresolved %llu", (unsigned long long)(s.tx_packets - tx0),
	      (unsigned long long)s.drops[XVTEP_DROP_NEIGH_UNRESOLVED]);
	vni_update(&e, VNI_A, set_remotes, &none);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	CHECK(r.retval == TC_ACT_REDIRECT && !memcmp(v->daddr, IP6_GROUP, 16) &&
	      v->hop_limit == 9,
	      "ipv6 flood: the VNI's ttl is the group copy's hop limit too", "retval %u hop %u",
	      r.retval, v->hop_limit);
	env_close(&e);
}

/* A remote of a family the instance has no local address for: no_route. */
static void test_family_no_local(void)
{
	struct inner_opts in = { .dst = MAC_FAR, .src = MAC_VM1, .proto = ETH_P_IP,
				 .l4 = IPPROTO_UDP, .payload = 100, .fill = 7 };
	union xvtep_addr mixed[3] = { a6(IP6_PEER), a4(IP_PEER), {} };
	struct xvtep_stats s;
	struct pkt p = {};
	struct env e;
	struct run r;

	/* IPv4 only, unicast to an IPv6 remote. */
	if (env6(&e, false, true, 0, 0))
		return (void)CHECK(0, "no local setup", "load failed");
	fdb_set_addr(&e, VNI_A, MAC_FAR, 0, a6(IP6_PEER), XVTEP_FDB_F_STATIC);
	p.len = build_inner(p.buf, &in);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_SHOT && s.drops[XVTEP_DROP_NO_ROUTE] == 1 && s.tx_packets == 0,
	      "no IPv6 local: unicast to an IPv6 remote dropped no_route",
	      "retval %u no_route %llu tx %llu", r.retval,
	      (unsigned long long)s.drops[XVTEP_DROP_NO_ROUTE], (unsigned long long)s.tx_packets);

	/* Flood with a mixed list: the IPv6 copy no_route, the IPv4 one sent. */
	in.dst = MAC_BCAST;
	in.proto = ETH_P_ARP;
	in.payload = 28;
	vni_update(&e, VNI_A, set_remotes, mixed);
	p.len = build_inner(p.buf, &in);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len + XVTEP_ENCAP_LEN &&
	      ((struct outer4_view *)r.out)->ip.daddr == htonl(IP_PEER) &&
	      s.drops[XVTEP_DROP_NO_ROUTE] == 2 && s.tx_packets == 1,
	      "no IPv6 local: flood to a mixed list: IPv6 copy no_route, IPv4 copy sent",
	      "retval %u len %u no_route %llu tx %llu", r.retval, r.out_len,
	      (unsigned long long)s.drops[XVTEP_DROP_NO_ROUTE], (unsigned long long)s.tx_packets);
	env_close(&e);

	/* IPv6 only, unicast to an IPv4 remote. */
	if (env6(&e, true, false, 0, 0))
		return (void)CHECK(0, "no local setup (IPv6 only)", "load failed");
	fdb_set(&e, VNI_A, MAC_FAR, 0, IP_PEER, XVTEP_FDB_F_STATIC);
	in = (struct inner_opts){ .dst = MAC_FAR, .src = MAC_VM1, .proto = ETH_P_IP,
				  .l4 = IPPROTO_UDP, .payload = 100, .fill = 7 };
	p.len = build_inner(p.buf, &in);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_SHOT && s.drops[XVTEP_DROP_NO_ROUTE] == 1 && s.tx_packets == 0,
	      "no IPv4 local: unicast to an IPv4 remote dropped no_route",
	      "retval %u no_route %llu tx %llu", r.retval,
	      (unsigned long long)s.drops[XVTEP_DROP_NO_ROUTE], (unsigned long long)s.tx_packets);
	/* ...and IPv6 still works there. */
	fdb_set_addr(&e, VNI_A, MAC_FAR2, 0, a6(IP6_PEER), XVTEP_FDB_F_STATIC);
	in.dst = MAC_FAR2;
	p.len = build_inner(p.buf, &in);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len + XVTEP_ENCAP6_LEN,
	      "no IPv4 local: an IPv6-only instance encapsulates toward IPv6",
	      "retval %u len %u", r.retval, r.out_len);
	/* An IPv4 frame to this IPv6-only VTEP's (absent) IPv4 address: not ours. */
	struct outer_opts o4 = { .src = IP_PEER, .dst = IP_LOCAL, .vni = VNI_A };
	build_vxlan(&p, &o4, &IN6_UNICAST);
	r = run_xdp(&e, &p);
	CHECK(r.retval == XDP_PASS && !memcmp(r.out, p.buf, p.len),
	      "no IPv4 local: IPv4 VXLAN passed untouched", "xdp %u", r.retval);
	env_close(&e);
}

/* XDP port encap toward an IPv6 remote: finished as TC would, or left to TC. */
static void test_xdp_port6(void)
{
	struct inner_opts in = { .dst = MAC_FAR, .src = MAC_VM1, .proto = ETH_P_IP,
				 .l4 = IPPROTO_UDP, .payload = 100, .fill = 7 };
	struct xvtep_port pt = { .vni = VNI_A, .flags = XVTEP_PORT_F_XDP_ENCAP };
	struct xvtep_stats before, after;
	struct pkt p = {};
	struct env e;
	struct run r, t;
	bool xdp_does6;
	uint32_t ifi;

	if (env6(&e, true, true, 50000, 50015))
		return (void)CHECK(0, "ipv6 xdp port setup", "load failed");
	ifi = e.ifi_p1;
	bpf_map_update_elem(e.ports, &ifi, &pt, BPF_ANY);
	xmit_allow(&e, e.ifi_up, true);
	fdb_set_addr(&e, VNI_A, MAC_FAR, 0, a6(IP6_PEER), XVTEP_FDB_F_STATIC);
	p.len = build_inner(p.buf, &in);
	before = stats_of(&e, VNI_A);
	r = run_xdp_meta(bpf_program__fd(e.skel->progs.xvtep_xdp_port), ifi, NULL, 0, &p);
	after = stats_of(&e, VNI_A);
	t = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	xdp_does6 = r.retval != XDP_PASS;
	if (r.retval == XDP_PASS)
		CHECK(r.out_len == p.len && !memcmp(r.out, p.buf, p.len) &&
		      after.events[XVTEP_EV_XDP_TO_TC] == before.events[XVTEP_EV_XDP_TO_TC] + 1 &&
		      after.tx_packets == before.tx_packets,
		      "ipv6 xdp port encap: an IPv6 remote is left to TC untouched, xdp_to_tc counted",
		      "len %u to_tc %llu", r.out_len,
		      (unsigned long long)after.events[XVTEP_EV_XDP_TO_TC]);
	else {
		uint8_t want[PKT_MAX];
		uint32_t d = 0;
		size_t coff = 14 + 20 + 6;	/* XDP completes the inner UDP checksum */

		while (d < XVTEP_ENCAP6_LEN && r.out[d] == t.out[d])
			d++;
		memcpy(want, p.buf, p.len);
		memcpy(want + coff, r.out + XVTEP_ENCAP6_LEN + coff, 2);
		CHECK(r.retval == XDP_REDIRECT && t.retval == TC_ACT_REDIRECT &&
		      r.out_len == p.len + XVTEP_ENCAP6_LEN && t.out_len == r.out_len &&
		      d == XVTEP_ENCAP6_LEN && !memcmp(r.out + XVTEP_ENCAP6_LEN, want, p.len),
		      "ipv6 xdp port encap: finished in XDP, outer headers = TC's, inner intact",
		      "xdp %u len %u tc %u len %u, outer equal up to byte %u (xdp %02x tc %02x)",
		      r.retval, r.out_len, t.retval, t.out_len, d,
		      d < XVTEP_ENCAP6_LEN ? r.out[d] : 0, d < XVTEP_ENCAP6_LEN ? t.out[d] : 0);
		after = stats_of(&e, VNI_A);
		CHECK(after.events[XVTEP_EV_XDP_ENCAP] == before.events[XVTEP_EV_XDP_ENCAP] + 1 &&
		      after.tx_packets == before.tx_packets + 2 &&
		      after.tx_bytes == before.tx_bytes + 2ULL * r.out_len,
		      "ipv6 xdp port encap: counts xdp_encap and tx",
		      "xdp_encap %llu tx %llu", (unsigned long long)after.events[XVTEP_EV_XDP_ENCAP],
		      (unsigned long long)after.tx_packets);
	}
	CHECK(t.retval == TC_ACT_REDIRECT && t.out_len == p.len + XVTEP_ENCAP6_LEN,
	      "ipv6 xdp port encap: TC finishes what XDP leaves", "tc %u len %u", t.retval,
	      t.out_len);

	/* MTU with 70 bytes of headers: 1444 bytes of inner frame fit, 1445 not
	 * (XDP leaves that one to TC, which counts the drop). */
	for (int over = 0; over < 2; over++) {
		char name[128];

		in.payload = 1444 - 14 + over;
		p.len = build_inner(p.buf, &in);
		before = stats_of(&e, VNI_A);
		r = run_xdp_meta(bpf_program__fd(e.skel->progs.xvtep_xdp_port), ifi, NULL, 0, &p);
		t = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
		after = stats_of(&e, VNI_A);
		snprintf(name, sizeof(name), "ipv6 xdp port encap: %s the MTU: %s", over ?
			 "1 byte over" : "a frame that exactly fits", over ?
			 "XDP leaves it to TC, TC drops mtu_exceeded" : "XDP and TC send it");
		if (over)
			CHECK(r.retval == XDP_PASS && t.retval == TC_ACT_SHOT &&
			      after.drops[XVTEP_DROP_MTU] == before.drops[XVTEP_DROP_MTU] + 1, name,
			      "xdp %u tc %u", r.retval, t.retval);
		else
			CHECK(r.retval == (xdp_does6 ? XDP_REDIRECT : XDP_PASS) &&
			      t.retval == TC_ACT_REDIRECT, name, "xdp %u tc %u", r.retval, t.retval);
	}
	env_close(&e);

	/* An IPv4-only instance: the IPv6 remote is never encapsulated in XDP. */
	if (env6(&e, false, true, 0, 0))
		return (void)CHECK(0, "ipv6 xdp port setup (IPv4 only)", "load failed");
	ifi = e.ifi_p1;
	bpf_map_update_elem(e.ports, &ifi, &pt, BPF_ANY);
	xmit_allow(&e, e.ifi_up, true);
	fdb_set_addr(&e, VNI_A, MAC_FAR, 0, a6(IP6_PEER), XVTEP_FDB_F_STATIC);
	in.payload = 100;
	p.len = build_inner(p.buf, &in);
	r = run_xdp_meta(bpf_program__fd(e.skel->progs.xvtep_xdp_port), ifi, NULL, 0, &p);
	after = stats_of(&e, VNI_A);
	CHECK((r.retval == XDP_PASS && !memcmp(r.out, p.buf, p.len)) ||
	      (r.retval == XDP_DROP && after.drops[XVTEP_DROP_NO_ROUTE] == 1),
	      "ipv6 xdp port encap: no IPv6 local: left to TC or dropped no_route, never sent",
	      "xdp %u no_route %llu", r.retval,
	      (unsigned long long)after.drops[XVTEP_DROP_NO_ROUTE]);
	env_close(&e);
}

/*
 * Two IPv6 VTEPs that differ only in their high bits (2001:db8::2 and
 * 2001:db8:1::2, the same last 32 bits): every cache, comparison and
 * record must take all 128 bits. IPv4 VTEPs fit in one word; these do not.
 */
static void test_high_bits(void)
{
	struct inner_opts in = IN6_UNICAST;
	struct outer6_opts o = out6_std();
	struct xvtep_port pt = { .vni = VNI_A, .flags = XVTEP_PORT_F_XDP_ENCAP };
	struct xvtep_fdb_entry fe;
	struct xvtep_stats s;
	struct pkt p = {};
	struct env e;
	struct run r;
	uint32_t ifi;

	if (env6(&e, true, true, 0, 0))
		return (void)CHECK(0, "ipv6 high bits setup", "load failed");

	/* Learning: XDP (with its per-CPU learning cache), then TC. */
	build_vxlan6(&p, &o, &in);
	run_xdp(&e, &p);
	run_xdp(&e, &p);	/* confirmed in place: cached */
	o.src = IP6_TWIN;
	build_vxlan6(&p, &o, &in);
	r = run_xdp(&e, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == XDP_REDIRECT && !fdb_get(&e, VNI_A, MAC_FAR, &fe) &&
	      addr_is6(&fe.remote, IP6_TWIN) && s.events[XVTEP_EV_MOVED] == 1,
	      "ipv6 high bits: XDP sees a move between VTEPs with the same last 32 bits",
	      "xdp %u remote w1 %08x moved %llu", r.retval, ntohl(fe.remote.w[1]),
	      (unsigned long long)s.events[XVTEP_EV_MOVED]);
	in.l4 = IPPROTO_TCP;
	o.src = IP6_PEER;
	build_vxlan6(&p, &o, &in);
	r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_REDIRECT && !fdb_get(&e, VNI_A, MAC_FAR, &fe) &&
	      addr_is6(&fe.remote, IP6_PEER) && s.events[XVTEP_EV_MOVED] == 2,
	      "ipv6 high bits: TC sees the move back", "tc %u moved %llu", r.retval,
	      (unsigned long long)s.events[XVTEP_EV_MOVED]);
	/* Back in XDP from the twin again: the cached place must not match. */
	in.l4 = IPPROTO_UDP;
	o.src = IP6_TWIN;
	build_vxlan6(&p, &o, &in);
	run_xdp(&e, &p);
	s = stats_of(&e, VNI_A);
	CHECK(!fdb_get(&e, VNI_A, MAC_FAR, &fe) && addr_is6(&fe.remote, IP6_TWIN) &&
	      s.events[XVTEP_EV_MOVED] == 3,
	      "ipv6 high bits: XDP after TC: the move is seen again", "moved %llu",
	      (unsigned long long)s.events[XVTEP_EV_MOVED]);

	/* Encap: MAC_FAR behind the twin (no route), MAC_FAR2 behind PEER. */
	fdb_set_addr(&e, VNI_A, MAC_FAR, 0, a6(IP6_TWIN), XVTEP_FDB_F_STATIC);
	fdb_set_addr(&e, VNI_A, MAC_FAR2, 0, a6(IP6_PEER), XVTEP_FDB_F_STATIC);
	ifi = e.ifi_p1;
	bpf_map_update_elem(e.ports, &ifi, &pt, BPF_ANY);
	xmit_allow(&e, e.ifi_up, true);
	struct inner_opts out = { .dst = MAC_FAR2, .src = MAC_VM1, .proto = ETH_P_IP,
				  .l4 = IPPROTO_UDP, .payload = 80, .fill = 5 };
	p.len = build_inner(p.buf, &out);
	r = run_xdp_meta(bpf_program__fd(e.skel->progs.xvtep_xdp_port), ifi, NULL, 0, &p);
	CHECK(r.retval == XDP_PASS ||
	      (r.retval == XDP_REDIRECT &&
	       !memcmp(((struct outer6_view *)r.out)->daddr, IP6_PEER, 16)),
	      "ipv6 high bits: XDP port encap to PEER (fills its caches)", "xdp %u", r.retval);
	out.dst = MAC_FAR;
	p.len = build_inner(p.buf, &out);
	r = run_xdp_meta(bpf_program__fd(e.skel->progs.xvtep_xdp_port), ifi, NULL, 0, &p);
	CHECK(r.retval == XDP_PASS && r.out_len == p.len && !memcmp(r.out, p.buf, p.len),
	      "ipv6 high bits: XDP port encap to the unroutable twin is left to TC",
	      "xdp %u len %u daddr w1 %08x", r.retval, r.out_len,
	      r.out_len >= 70 ? ntohl(*(uint32_t *)(r.out + 14 + 24 + 4)) : 0);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_SHOT && s.drops[XVTEP_DROP_NO_ROUTE] == 1,
	      "ipv6 high bits: TC drops the twin's frame no_route (never sent to PEER)",
	      "tc %u no_route %llu", r.retval, (unsigned long long)s.drops[XVTEP_DROP_NO_ROUTE]);
	env_close(&e);
}

/* Outer Ethernet + IPv6 + GRE + ERSPAN (Type III: 74 bytes, II: 70). */
struct erspan6_view {
	struct ethhdr eth;
	uint8_t vtc[4];		/* version, traffic class, flow label */
	uint16_t payload_len;
	uint8_t nexthdr, hop_limit;
	uint8_t saddr[16], daddr[16];
	uint16_t gre_flags, gre_proto;
	uint32_t gre_seq, w0, w1, w2;
} __attribute__((packed));

/* One copy of P for session SLOT through xvtep_tc_mirror, as it reaches the
 * mirror device. */
static struct run erspan6_copy(struct env *e, uint32_t slot, uint32_t dir, const struct pkt *p)
{
	struct __sk_buff ctx = { .ifindex = e->ifi_p1, .ingress_ifindex = e->ifi_p1,
				 .mark = XVTEP_MIRROR_MARK | dir << 8 | slot };
	struct run r = {};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->buf, .data_size_in = p->len,
		    .data_out = r.out, .data_size_out = sizeof(r.out), .repeat = 1,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));

	r.err = bpf_prog_test_run_opts(bpf_program__fd(e->skel->progs.xvtep_tc_mirror), &o);
	r.retval = r.err ? 0xdead : o.retval;
	r.out_len = o.data_size_out;
	return r;
}

static struct xvtep_mirror_stats erspan6_stats(struct env *e, uint32_t slot)
{
	struct xvtep_mirror_stats ms = {};

	xv_percpu_sum(e->mstats, &slot, &ms, sizeof(ms));
	return ms;
}

static void erspan6_session(struct env *e, uint32_t slot, const struct xvtep_mirror *m)
{
	struct xvtep_mirror_stats zero[256] = {};

	bpf_map_update_elem(e->mstats, &slot, zero, BPF_ANY);
	bpf_map_update_elem(e->mirrors, &slot, m, BPF_ANY);
}

/* ERSPAN to an IPv6 collector: the outer header is IPv6 (next header GRE)
 * from cfg_local_ip6, routed by an AF_INET6 FIB lookup (IP6_PEER is a
 * permanent neighbour on ut-up); GRE and ERSPAN as over IPv4. A collector
 * of a family the instance has no local address for is a no_route copy. */
static void test_erspan6(void)
{
	struct env_cfg c = { .local6 = true, .mirror_ifindex = if_nametoindex("ut-p2") };
	struct xvtep_mirror m2 = { .id = 1, .kind = XVTEP_MIRROR_ERSPAN, .dir = 3,
				   .erspan_version = 2, .remote = a6(IP6_PEER), .session = 10,
				   .index = 7 };
	struct xvtep_mirror m3 = { .id = 2, .kind = XVTEP_MIRROR_ERSPAN, .dir = 3,
				   .erspan_version = 3, .remote = a6(IP6_PEER), .session = 1023,
				   .hwid = 0x2a };
	struct inner_opts in = { .dst = MAC_VM2, .src = MAC_VM1, .proto = ETH_P_IP,
				 .l4 = IPPROTO_UDP, .payload = 100, .fill = 0x33 };
	struct xvtep_mirror_stats ms;
	struct erspan6_view *ev;
	struct pkt p = {};
	struct env e;
	struct run r;

	if (env_load(&e, &c))
		return (void)CHECK(0, "ipv6 erspan setup", "load failed");
	p.len = build_inner(p.buf, &in);

	/* Type II, an rx copy. */
	erspan6_session(&e, 0, &m2);
	r = erspan6_copy(&e, 0, XVTEP_MIRROR_DIR_RX, &p);
	ev = (void *)r.out;
	ms = erspan6_stats(&e, 0);
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len + 70 &&
	      !memcmp(r.out + 70, p.buf, p.len) && ms.packets == 1 &&
	      ms.bytes == p.len + 70,
	      "ipv6 erspan II: sent, 70 header bytes, then the frame intact",
	      "retval %u len %u (want %u) packets %llu", r.retval, r.out_len,
	      (unsigned)(p.len + 70),
	      (unsigned long long)ms.packets);
	CHECK(!memcmp(ev->eth.h_dest, MAC_PEER, 6) && !memcmp(ev->eth.h_source, MAC_UPLINK, 6) &&
	      ntohs(ev->eth.h_proto) == ETH_P_IPV6 && ev->vtc[0] == 0x60 && !ev->vtc[1] &&
	      !ev->vtc[2] && !ev->vtc[3] && ev->nexthdr == 47 && ev->hop_limit == 64 &&
	      ntohs(ev->payload_len) == r.out_len - 54 &&
	      !memcmp(ev->saddr, IP6_LOCAL, 16) && !memcmp(ev->daddr, IP6_PEER, 16),
	      "ipv6 erspan II: outer Ethernet/IPv6 routed to the collector, next header 47, "
	      "hop limit 64, payload length, local6 -> collector",
	      "proto %04x vtc %02x%02x nxt %u hop %u plen %u", ntohs(ev->eth.h_proto),
	      ev->vtc[0], ev->vtc[1], ev->nexthdr, ev->hop_limit, ntohs(ev->payload_len));
	CHECK(ntohs(ev->gre_flags) == 0x1000 && ntohs(ev->gre_proto) == 0x88be &&
	      ntohl(ev->gre_seq) == 0 && ntohl(ev->w0) == (1u << 28 | 10) && ntohl(ev->w1) == 7,
	      "ipv6 erspan II: GRE S bit, protocol 0x88BE, seq 0; Ver 1, session 10, index 7",
	      "flags %04x proto %04x seq %u w0 %08x w1 %08x", ntohs(ev->gre_flags),
	      ntohs(ev->gre_proto), ntohl(ev->gre_seq), ntohl(ev->w0), ntohl(ev->w1));
	r = erspan6_copy(&e, 0, XVTEP_MIRROR_DIR_RX, &p);
	ev = (void *)r.out;
	CHECK_EQ(ntohl(ev->gre_seq), 1, "ipv6 erspan II: the next copy takes the next number");

	/* Truncation: the IPv6 payload length follows the cut. */
	m2.truncate = 64;
	erspan6_session(&e, 0, &m2);
	r = erspan6_copy(&e, 0, XVTEP_MIRROR_DIR_RX, &p);
	ev = (void *)r.out;
	CHECK(r.out_len == 64 + 70 && ntohs(ev->payload_len) == 64 + 70 - 54 &&
	      !memcmp(r.out + 70, p.buf, 64) && ntohl(ev->w0) == (1u << 28 | 1u << 10 | 10),
	      "ipv6 erspan II: truncate 64: payload length 80, T bit set",
	      "len %u plen %u w0 %08x", r.out_len, ntohs(ev->payload_len), ntohl(ev->w0));

	/* Type III, a tx copy. */
	erspan6_session(&e, 1, &m3);
	r = erspan6_copy(&e, 1, XVTEP_MIRROR_DIR_TX, &p);
	ev = (void *)r.out;
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len + 74 &&
	      !memcmp(r.out + 74, p.buf, p.len) && ev->nexthdr == 47 &&
	      ntohs(ev->payload_len) == r.out_len - 54 && !memcmp(ev->saddr, IP6_LOCAL, 16) &&
	      !memcmp(ev->daddr, IP6_PEER, 16),
	      "ipv6 erspan III: sent, 74 header bytes (IPv6 next header 47, payload length, "
	      "local6 -> collector), then the frame intact",
	      "retval %u len %u nxt %u plen %u", r.retval, r.out_len, ev->nexthdr,
	      ntohs(ev->payload_len));
	CHECK(ntohs(ev->gre_flags) == 0x1000 && ntohs(ev->gre_proto) == 0x22eb &&
	      ntohl(ev->w0) == (2u << 28 | 1023) && ntohl(ev->w1) != 0 &&
	      ntohl(ev->w2) == (0x2au << 4 | 1u << 3),
	      "ipv6 erspan III: GRE protocol 0x22EB; Ver 2, session 1023, HW ID 42, D=1 (tx)",
	      "proto %04x w0 %08x w2 %08x", ntohs(ev->gre_proto), ntohl(ev->w0), ntohl(ev->w2));

	/* An IPv6 collector without a route: no_route, nothing sent. */
	m2 = (struct xvtep_mirror){ .id = 3, .kind = XVTEP_MIRROR_ERSPAN, .dir = 3,
				    .erspan_version = 2, .remote = a6(IP6_FOREIGN) };
	erspan6_session(&e, 2, &m2);
	r = erspan6_copy(&e, 2, XVTEP_MIRROR_DIR_RX, &p);
	ms = erspan6_stats(&e, 2);
	CHECK(r.retval == TC_ACT_SHOT && ms.drops[XVTEP_MDROP_NO_ROUTE] == 1 && !ms.packets,
	      "ipv6 erspan: an unreachable IPv6 collector: no_route",
	      "retval %u no_route %llu", r.retval,
	      (unsigned long long)ms.drops[XVTEP_MDROP_NO_ROUTE]);

	/* The XDP mirror program leaves IPv6-collector copies to TC. */
	{
		uint8_t buf[PKT_MAX + 4];
		uint32_t tag = XVTEP_MIRROR_MARK | XVTEP_MIRROR_DIR_TX << 8 | 1;
		struct xdp_md xctx = { .data = 4, .data_meta = 0, .data_end = 4 + p.len,
				       .ingress_ifindex = e.ifi_p1 };
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf, .data_size_in = 4 + p.len,
			    .ctx_in = &xctx, .ctx_size_in = sizeof(xctx), .repeat = 1);

		memcpy(buf, &tag, 4);
		memcpy(buf + 4, p.buf, p.len);
		r.err = bpf_prog_test_run_opts(bpf_program__fd(e.skel->progs.xvtep_xdp_mir), &o);
		r.retval = r.err ? 0xdead : o.retval;
		CHECK(r.retval == XDP_PASS,
		      "ipv6 erspan: xvtep_xdp_mir passes an IPv6-collector copy to TC",
		      "retval %u err %d", r.retval, r.err);
	}
	env_close(&e);

	/* No IPv6 local address: an IPv6 collector has no route. */
	c.local6 = false;
	if (env_load(&e, &c))
		return (void)CHECK(0, "ipv6 erspan setup (no local6)", "load failed");
	m2 = (struct xvtep_mirror){ .id = 1, .kind = XVTEP_MIRROR_ERSPAN, .dir = 3,
				    .erspan_version = 2, .remote = a6(IP6_PEER) };
	erspan6_session(&e, 0, &m2);
	r = erspan6_copy(&e, 0, XVTEP_MIRROR_DIR_RX, &p);
	ms = erspan6_stats(&e, 0);
	CHECK(r.retval == TC_ACT_SHOT && ms.drops[XVTEP_MDROP_NO_ROUTE] == 1 && !ms.packets,
	      "ipv6 erspan: no IPv6 local address: an IPv6 collector's copy is no_route",
	      "retval %u no_route %llu packets %llu", r.retval,
	      (unsigned long long)ms.drops[XVTEP_MDROP_NO_ROUTE], (unsigned long long)ms.packets);
	env_close(&e);

	/* No IPv4 local address: an IPv4 collector has no route. */
	c.local6 = true;
	c.no_local4 = true;
	if (env_load(&e, &c))
		return (void)CHECK(0, "ipv6 erspan setup (no local4)", "load failed");
	m2 = (struct xvtep_mirror){ .id = 1, .kind = XVTEP_MIRROR_ERSPAN, .dir = 3,
				    .erspan_version = 2, .remote = a4(IP_PEER) };
	erspan6_session(&e, 0, &m2);
	r = erspan6_copy(&e, 0, XVTEP_MIRROR_DIR_RX, &p);
	ms = erspan6_stats(&e, 0);
	CHECK(r.retval == TC_ACT_SHOT && ms.drops[XVTEP_MDROP_NO_ROUTE] == 1 && !ms.packets,
	      "ipv6 erspan: no IPv4 local address: an IPv4 collector's copy is no_route",
	      "retval %u no_route %llu packets %llu", r.retval,
	      (unsigned long long)ms.drops[XVTEP_MDROP_NO_ROUTE], (unsigned long long)ms.packets);
	env_close(&e);
}

/* ---------------------------------------------------------------- IPv4 as before */

/*
 * The outer headers and first inner bytes the ABI 2 object (906d8bc) wrote
 * for these frames, on this test world: IPv4 encap must not change by a byte,
 * on an IPv4-only instance or a dual-stack one (but for the UDP source port
 * of a non-IP frame: an skb hash, seeded at random per boot).
 */
static const uint8_t gold_tc_unicast[64] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x96, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
	0xe5, 0xec, 0xc6, 0x33, 0x64, 0x01, 0xc6, 0x33, 0x64, 0x02, 0xc3, 0x52,
	0x12, 0xb5, 0x00, 0x82, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x64, 0x00, 0x02, 0xbb, 0x00, 0x00, 0x00, 0x01, 0x02, 0xaa, 0x00, 0x00,
	0x00, 0x01, 0x08, 0x00,
};
static const uint8_t gold_tc_unicast_ttl9[64] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x96, 0x00, 0x00, 0x40, 0x00, 0x09, 0x11,
	0x1c, 0xed, 0xc6, 0x33, 0x64, 0x01, 0xc6, 0x33, 0x64, 0x02, 0xc3, 0x52,
	0x12, 0xb5, 0x00, 0x82, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x64, 0x00, 0x02, 0xbb, 0x00, 0x00, 0x00, 0x01, 0x02, 0xaa, 0x00, 0x00,
	0x00, 0x01, 0x08, 0x00,
};
static const uint8_t gold_tc_group[64] = {
	0x01, 0x00, 0x5e, 0x01, 0x01, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x4e, 0x00, 0x00, 0x40, 0x00, 0x09, 0x11,
	0x57, 0x68, 0xc6, 0x33, 0x64, 0x01, 0xef, 0x01, 0x01, 0x01, 0xc3, 0x5e,
	0x12, 0xb5, 0x00, 0x3a, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x64, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0xaa, 0x00, 0x00,
	0x00, 0x01, 0x08, 0x06,
};
static const uint8_t gold_tc_flood_remote[64] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x4e, 0x00, 0x00, 0x40, 0x00, 0x09, 0x11,
	0x1d, 0x35, 0xc6, 0x33, 0x64, 0x01, 0xc6, 0x33, 0x64, 0x02, 0xc3, 0x5e,
	0x12, 0xb5, 0x00, 0x3a, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x64, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0xaa, 0x00, 0x00,
	0x00, 0x01, 0x08, 0x06,
};

/* XDP_CSUM: the XDP port path completes the inner UDP checksum (xdp_port.c):
 * those two bytes of the inner frame are not compared. NON_IP: the frame is
 * not IP (ARP), so its outer UDP source port comes from the skb hash, whose
 * seed is random per boot: only its range is checked. */
static void gold_check(const struct run *r, const struct pkt *p, const uint8_t *gold_in,
		       unsigned int want_retval, const char *what, bool dual, bool xdp_csum,
		       bool non_ip)
{
	uint8_t want[PKT_MAX], gold[64];
	char name[160];
	uint32_t diff = 0;
	size_t coff = 14 + 20 + 6;
	uint16_t sport = r->out_len >= 36 ? (uint16_t)(r->out[34] << 8 | r->out[35]) : 0;

	memcpy(gold, gold_in, sizeof(gold));
	if (non_ip && r->out_len >= 36 && sport >= 50000 && sport <= 50015) {
		gold[34] = r->out[34];
		gold[35] = r->out[35];
	}

	while (diff < XVTEP_ENCAP_LEN && diff < r->out_len && r->out[diff] == gold[diff])
		diff++;
	memcpy(want, p->buf, p->len);
	if (xdp_csum && r->out_len >= XVTEP_ENCAP_LEN + coff + 2)
		memcpy(want + coff, r->out + XVTEP_ENCAP_LEN + coff, 2);
	snprintf(name, sizeof(name), "ipv4 encap as before ABI 3 (%s): %s",
		 dual ? "dual stack" : "IPv4 only", what);
	CHECK(r->retval == want_retval && r->out_len == p->len + XVTEP_ENCAP_LEN &&
	      diff == XVTEP_ENCAP_LEN && !memcmp(r->out + XVTEP_ENCAP_LEN, want, p->len), name,
	      "retval %u len %u (want %zu), outer bytes equal up to %u%s", r->retval, r->out_len,
	      p->len + XVTEP_ENCAP_LEN, diff,
	      diff == XVTEP_ENCAP_LEN ? " (all), inner differs" : "");
}

static void test_ipv4_unchanged(void)
{
	for (int dual = 0; dual < 2; dual++) {
		struct xvtep_vni a = { .flags = XVTEP_VNI_F_LEARNING, .ageing = 300 };
		struct env_cfg c = { .sport_min = 50000, .sport_max = 50015, .local6 = dual };
		struct inner_opts in = { .dst = MAC_FAR, .src = MAC_VM1, .proto = ETH_P_IP,
					 .l4 = IPPROTO_UDP, .payload = 100, .fill = 7 };
		union xvtep_addr g = a4(IP_GROUP), none = {};
		union xvtep_addr peer[2] = { a4(IP_PEER), {} };
		uint8_t ttl = 9;
		struct env e;
		struct pkt p = {};
		struct run r;
		uint32_t ifi;

		if (env_load(&e, &c))
			return (void)CHECK(0, "ipv4 unchanged setup", "load failed");
		vni_add(&e, VNI_A, &a);
		port_add(&e, e.ifi_p1, VNI_A);
		port_add(&e, e.ifi_p2, VNI_A);
		fdb_set(&e, VNI_A, MAC_FAR, 0, IP_PEER, XVTEP_FDB_F_STATIC);
		p.len = build_inner(p.buf, &in);
		r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
		gold_check(&r, &p, gold_tc_unicast, TC_ACT_REDIRECT, "TC unicast", dual, false, false);

		struct xvtep_port pt = { .vni = VNI_A, .flags = XVTEP_PORT_F_XDP_ENCAP };
		ifi = e.ifi_p1;
		bpf_map_update_elem(e.ports, &ifi, &pt, BPF_ANY);
		xmit_allow(&e, e.ifi_up, true);
		r = run_xdp_meta(bpf_program__fd(e.skel->progs.xvtep_xdp_port), ifi, NULL, 0, &p);
		gold_check(&r, &p, gold_tc_unicast, XDP_REDIRECT, "XDP port unicast", dual, true,
			   false);
		pt.flags = 0;
		bpf_map_update_elem(e.ports, &ifi, &pt, BPF_ANY);

		vni_update(&e, VNI_A, set_ttl, &ttl);
		vni_update(&e, VNI_A, set_group, &g);
		r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
		gold_check(&r, &p, gold_tc_unicast_ttl9, TC_ACT_REDIRECT, "TC unicast, ttl 9", dual,
			   false, false);

		in.dst = MAC_BCAST;
		in.proto = ETH_P_ARP;
		in.payload = 28;
		p.len = build_inner(p.buf, &in);
		r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
		gold_check(&r, &p, gold_tc_group, TC_ACT_REDIRECT, "TC flood to the group", dual,
			   false, true);

		vni_update(&e, VNI_A, set_group, &none);
		vni_update(&e, VNI_A, set_remotes, peer);
		r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
		gold_check(&r, &p, gold_tc_flood_remote, TC_ACT_REDIRECT, "TC flood to a remote",
			   dual, false, true);
		env_close(&e);
	}
}

void ipv6_tests(void)
{
	test_ipv4_unchanged();
	test_decap6();
	test_decap6_l3();
	test_decap6_refused();
	test_decap6_groups();
	test_peers6();
	test_mixed_learning();
	test_encap6();
	test_encap6_flood();
	test_family_no_local();
	test_xdp_port6();
	test_high_bits();
	test_erspan6();
}
