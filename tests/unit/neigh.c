// SPDX-License-Identifier: GPL-2.0
/*
 * ARP / ND suppression unit tests (BPF_PROG_TEST_RUN of xvtep_tc_port on the
 * real object, devices from tests/unit/run.sh): answers built in place from
 * xvtep_neigh, the cases that must go on and flood, snooping, truncated
 * frames. Entry point: neigh_tests().
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/ipv6.h>
#include "xvtep.h"
#include "xvtep.skel.h"
#include "unit.h"
#include "env.h"

#define IP_VM1		0xc000020b	/* 192.0.2.11 */
#define IP_VM2		0xc000020c	/* 192.0.2.12 */
#define IP_TGT		0xc0000215	/* 192.0.2.21: bound to MAC_FAR */
#define IP_UNKNOWN	0xc0000263	/* 192.0.2.99: no binding */

static const uint8_t IP6_VM1[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x11 };
static const uint8_t IP6_TGT[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x21 };
static const uint8_t IP6_UNKNOWN[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x99 };
static const uint8_t IP6_ANY[16];

struct arp_frame {
	struct ethhdr eth;
	uint16_t htype, ptype;
	uint8_t hlen, plen;
	uint16_t op;
	uint8_t sha[6];
	uint32_t spa;
	uint8_t tha[6];
	uint32_t tpa;
} __attribute__((packed));

struct nd_frame {
	struct ethhdr eth;
	struct ipv6hdr ip6;
	uint8_t type, code;
	uint16_t csum;
	uint32_t flags;
	uint8_t target[16];
	uint8_t opt_type, opt_len;
	uint8_t opt_mac[6];
} __attribute__((packed));

static int neigh_fd(struct env *e)
{
	return bpf_map__fd(e->skel->maps.xvtep_neigh);
}

static void neigh_key(struct xvtep_neigh_key *k, uint32_t vni, const void *addr, bool v6)
{
	memset(k, 0, sizeof(*k));
	k->vni = vni;
	k->family = v6 ? XVTEP_NEIGH_AF_INET6 : XVTEP_NEIGH_AF_INET;
	memcpy(k->addr, addr, v6 ? 16 : 4);
}

static void bind_static(struct env *e, const void *addr, bool v6, const uint8_t *mac)
{
	struct xvtep_neigh_key k;
	struct xvtep_neigh_entry v = { .flags = XVTEP_NEIGH_F_STATIC };

	neigh_key(&k, VNI_A, addr, v6);
	memcpy(v.mac, mac, 6);
	bpf_map_update_elem(neigh_fd(e), &k, &v, BPF_ANY);
}

static int binding(struct env *e, const void *addr, bool v6, struct xvtep_neigh_entry *v)
{
	struct xvtep_neigh_key k;

	neigh_key(&k, VNI_A, addr, v6);
	return bpf_map_lookup_elem(neigh_fd(e), &k, v);
}

static void suppress(struct env *e, bool on)
{
	struct xvtep_vni v;
	uint32_t vni = VNI_A;

	bpf_map_lookup_elem(e->vnis, &vni, &v);
	v.flags = on ? v.flags | XVTEP_VNI_F_NEIGH_SUPPRESS : v.flags & ~XVTEP_VNI_F_NEIGH_SUPPRESS;
	bpf_map_update_elem(e->vnis, &vni, &v, BPF_EXIST);
	env_written(e);
}

/* VNI A: learning, suppression on, ports p1+p2, remote PEER (floods are
 * encapsulated: a flooded request comes out 50 bytes longer). */
static int nenv_std(struct env *e)
{
	struct env_cfg c = {};
	struct xvtep_vni a = { .flags = XVTEP_VNI_F_LEARNING | XVTEP_VNI_F_NEIGH_SUPPRESS,
			       .ageing = 300, .nr_remotes = 1 };
	uint32_t ip = htonl(IP_TGT);

	if (env_load(e, &c))
		return -1;
	a.remotes[0] = a4(IP_PEER);
	vni_add(e, VNI_A, &a);
	port_add(e, e->ifi_p1, VNI_A);
	port_add(e, e->ifi_p2, VNI_A);
	bind_static(e, &ip, false, MAC_FAR);
	bind_static(e, IP6_TGT, true, MAC_FAR);
	return 0;
}

static void build_arp(struct pkt *p, uint16_t op, const uint8_t *dst, const uint8_t *src,
		      uint32_t spa, uint32_t tpa)
{
	struct arp_frame *a = (void *)p->buf;

	memset(p->buf, 0, sizeof(*a));
	memcpy(a->eth.h_dest, dst, 6);
	memcpy(a->eth.h_source, src, 6);
	a->eth.h_proto = htons(ETH_P_ARP);
	a->htype = htons(1);
	a->ptype = htons(ETH_P_IP);
	a->hlen = 6;
	a->plen = 4;
	a->op = htons(op);
	memcpy(a->sha, src, 6);
	a->spa = htonl(spa);
	a->tpa = htonl(tpa);
	p->len = sizeof(*a);
}

/* The ICMPv6 checksum over the pseudo-header and LEN bytes at ICMP:
 * 0 when the frame's checksum is right. */
static uint16_t icmp6_csum(const void *ip6, const void *icmp, size_t len)
{
	uint8_t buf[40 + 256];
	uint32_t l = htonl(len);

	memcpy(buf, (const uint8_t *)ip6 + offsetof(struct ipv6hdr, saddr), 32);
	memcpy(buf + 32, &l, 4);
	memset(buf + 36, 0, 3);
	buf[39] = IPPROTO_ICMPV6;
	memcpy(buf + 40, icmp, len);
	return pkt_csum(buf, 40 + len);
}

/* An NS from SRC_MAC/SRC for TARGET, to its solicited-node group; with the
 * source link-layer option when SLLA. */
static void build_ns(struct pkt *p, const uint8_t *src_mac, const uint8_t *src,
		     const uint8_t *target, bool slla)
{
	struct nd_frame *n = (void *)p->buf;
	size_t icmp_len = slla ? 32 : 24;

	memset(p->buf, 0, sizeof(*n));
	memcpy(n->eth.h_dest, (uint8_t[]){ 0x33, 0x33, 0xff, target[13], target[14], target[15] },
	       6);
	memcpy(n->eth.h_source, src_mac, 6);
	n->eth.h_proto = htons(ETH_P_IPV6);
	n->ip6.version = 6;
	n->ip6.payload_len = htons(icmp_len);
	n->ip6.nexthdr = IPPROTO_ICMPV6;
	n->ip6.hop_limit = 255;
	memcpy(&n->ip6.saddr, src, 16);
	memcpy(&n->ip6.daddr, (uint8_t[]){ 0xff, 0x02, [11] = 1, [12] = 0xff, [13] = target[13],
					   [14] = target[14], [15] = target[15] }, 16);
	n->type = 135;
	memcpy(n->target, target, 16);
	if (slla) {
		n->opt_type = 1;
		n->opt_len = 1;
		memcpy(n->opt_mac, src_mac, 6);
	}
	n->csum = icmp6_csum(&n->ip6, &n->type, icmp_len);
	p->len = sizeof(struct ethhdr) + sizeof(struct ipv6hdr) + icmp_len;
}

static uint64_t ev(struct env *e, enum xvtep_event which)
{
	return stats_of(e, VNI_A).events[which];
}

/* Flooded: the request itself, encapsulated toward the remote. */
static bool flooded_as_is(const struct run *r, const struct pkt *p)
{
	return r->retval == TC_ACT_REDIRECT && r->out_len == p->len + XVTEP_ENCAP_LEN &&
	       !memcmp(r->out + XVTEP_ENCAP_LEN, p->buf, p->len);
}

static void test_arp_answer(void)
{
	struct env e;
	struct pkt p = {};
	const struct arp_frame *a;
	struct run r;

	if (nenv_std(&e))
		return (void)CHECK(0, "neigh: arp setup", "load failed");

	build_arp(&p, 1, MAC_BCAST, MAC_VM1, IP_VM1, IP_TGT);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	a = (const void *)r.out;
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len,
	      "neigh: ARP request for a bound address is answered in place",
	      "retval %u len %u", r.retval, r.out_len);
	CHECK(!memcmp(a->eth.h_dest, MAC_VM1, 6) && !memcmp(a->eth.h_source, MAC_FAR, 6) &&
	      a->eth.h_proto == htons(ETH_P_ARP),
	      "neigh: ARP reply: Ethernet from the binding's MAC to the asker", "%s", "macs");
	CHECK(a->htype == htons(1) && a->ptype == htons(ETH_P_IP) && a->hlen == 6 &&
	      a->plen == 4 && a->op == htons(2),
	      "neigh: ARP reply: Ethernet/IPv4, opcode 2", "op %u", ntohs(a->op));
	CHECK(!memcmp(a->sha, MAC_FAR, 6) && a->spa == htonl(IP_TGT) &&
	      !memcmp(a->tha, MAC_VM1, 6) && a->tpa == htonl(IP_VM1),
	      "neigh: ARP reply: sender = binding, target = asker", "spa %x tpa %x",
	      ntohl(a->spa), ntohl(a->tpa));
	CHECK_EQ(ev(&e, XVTEP_EV_NEIGH_ANSWERED), 1, "neigh: neigh_answered counted");
	CHECK_EQ(ev(&e, XVTEP_EV_FLOODED), 0, "neigh: an answered request is not flooded");

	/* A unicast request (ARP refresh) is answered as well. */
	build_arp(&p, 1, MAC_FAR, MAC_VM1, IP_VM1, IP_TGT);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	a = (const void *)r.out;
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len && a->op == htons(2) &&
	      !memcmp(a->eth.h_dest, MAC_VM1, 6),
	      "neigh: unicast ARP request answered", "retval %u len %u", r.retval, r.out_len);

	/* No binding: flooded exactly as without suppression, and counted. */
	build_arp(&p, 1, MAC_BCAST, MAC_VM1, IP_VM1, IP_UNKNOWN);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	CHECK(flooded_as_is(&r, &p), "neigh: ARP for an unknown target is flooded unchanged",
	      "retval %u len %u", r.retval, r.out_len);
	CHECK_EQ(ev(&e, XVTEP_EV_NEIGH_FLOODED), 1, "neigh: neigh_flooded counted");

	/* The asker claims the bound MAC itself: not answered. */
	build_arp(&p, 1, MAC_BCAST, MAC_FAR, IP_VM1, IP_TGT);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	CHECK(flooded_as_is(&r, &p), "neigh: request from the binding's own MAC is not answered",
	      "retval %u len %u", r.retval, r.out_len);

	/* Gratuitous ARP, as request and as reply, for a bound address. */
	build_arp(&p, 1, MAC_BCAST, MAC_VM2, IP_TGT, IP_TGT);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p2, &p);
	CHECK(flooded_as_is(&r, &p), "neigh: gratuitous ARP request is not answered",
	      "retval %u len %u", r.retval, r.out_len);
	build_arp(&p, 2, MAC_BCAST, MAC_VM2, IP_TGT, IP_TGT);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p2, &p);
	CHECK(flooded_as_is(&r, &p), "neigh: gratuitous ARP reply is not answered",
	      "retval %u len %u", r.retval, r.out_len);
	/* ARP probe (sender 0.0.0.0). */
	build_arp(&p, 1, MAC_BCAST, MAC_VM2, 0, IP_TGT);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p2, &p);
	CHECK(flooded_as_is(&r, &p), "neigh: ARP probe is not answered", "retval %u len %u",
	      r.retval, r.out_len);
	CHECK_EQ(ev(&e, XVTEP_EV_NEIGH_ANSWERED), 2, "neigh: only the two requests were answered");

	/* Suppression off: the same request floods, and nothing is counted. */
	suppress(&e, false);
	build_arp(&p, 1, MAC_BCAST, MAC_VM1, IP_VM1, IP_TGT);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	CHECK(flooded_as_is(&r, &p), "neigh: suppression off: request for a bound address floods",
	      "retval %u len %u", r.retval, r.out_len);
	CHECK(ev(&e, XVTEP_EV_NEIGH_ANSWERED) == 2 && ev(&e, XVTEP_EV_NEIGH_FLOODED) == 1,
	      "neigh: suppression off: neigh counters untouched", "answered %llu",
	      (unsigned long long)ev(&e, XVTEP_EV_NEIGH_ANSWERED));
	env_close(&e);
}

static void test_arp_snoop(void)
{
	struct xvtep_neigh_entry v;
	uint32_t ip;
	struct env e;
	struct pkt p = {};
	struct run r;

	if (nenv_std(&e))
		return (void)CHECK(0, "neigh: snoop setup", "load failed");

	/* VM2 asks for someone: its own address is snooped. */
	build_arp(&p, 1, MAC_BCAST, MAC_VM2, IP_VM2, IP_UNKNOWN);
	run_tc(&e, TC_PORT(&e), e.ifi_p2, &p);
	ip = htonl(IP_VM2);
	CHECK(!binding(&e, &ip, false, &v) && !memcmp(v.mac, MAC_VM2, 6) &&
	      v.flags == XVTEP_NEIGH_F_SNOOPED && v.ifindex == (uint32_t)e.ifi_p2 && v.updated_ns,
	      "neigh: ARP request snoops the sender's binding", "flags %u", v.flags);
	/* ...and answers for VM2 from then on. */
	build_arp(&p, 1, MAC_BCAST, MAC_VM1, IP_VM1, IP_VM2);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len &&
	      !memcmp(((struct arp_frame *)r.out)->sha, MAC_VM2, 6),
	      "neigh: a snooped binding answers", "retval %u", r.retval);
	/* VM1's own address came with that request. */
	ip = htonl(IP_VM1);
	CHECK(!binding(&e, &ip, false, &v) && !memcmp(v.mac, MAC_VM1, 6),
	      "neigh: the asker is snooped too", "%s", "no entry");

	/* A reply snoops as well; a claim on a static address changes nothing. */
	build_arp(&p, 2, MAC_VM1, MAC_VM2, IP_TGT, IP_VM1);
	run_tc(&e, TC_PORT(&e), e.ifi_p2, &p);
	ip = htonl(IP_TGT);
	CHECK(!binding(&e, &ip, false, &v) && !memcmp(v.mac, MAC_FAR, 6) &&
	      v.flags == XVTEP_NEIGH_F_STATIC,
	      "neigh: a snooped address never overrides a static binding", "flags %u", v.flags);
	/* A sender MAC that is not the frame's source is not trusted. */
	build_arp(&p, 1, MAC_BCAST, MAC_VM2, 0xc000020d, IP_UNKNOWN);
	memcpy(((struct arp_frame *)p.buf)->sha, MAC_FAR2, 6);
	run_tc(&e, TC_PORT(&e), e.ifi_p2, &p);
	ip = htonl(0xc000020d);
	CHECK(binding(&e, &ip, false, &v), "neigh: sender MAC != source MAC is not snooped",
	      "flags %u", v.flags);
	/* A probe binds nothing. */
	build_arp(&p, 1, MAC_BCAST, MAC_VM2, 0, IP_UNKNOWN);
	run_tc(&e, TC_PORT(&e), e.ifi_p2, &p);
	ip = 0;
	CHECK(binding(&e, &ip, false, &v), "neigh: ARP probe snoops nothing", "%s", "0.0.0.0 bound");
	/* Suppression off: no snooping. */
	suppress(&e, false);
	build_arp(&p, 1, MAC_BCAST, MAC_VM2, 0xc000020e, IP_UNKNOWN);
	run_tc(&e, TC_PORT(&e), e.ifi_p2, &p);
	ip = htonl(0xc000020e);
	CHECK(binding(&e, &ip, false, &v), "neigh: no snooping with suppression off", "%s",
	      "bound");
	env_close(&e);
}

static void check_na(const struct run *r, const char *name)
{
	const struct nd_frame *n = (const void *)r->out;
	static const uint8_t opt[8] = { 2, 1, 0x02, 0xbb, 0, 0, 0, 0x01 };	/* TLLA MAC_FAR */
	char buf[160];

	snprintf(buf, sizeof(buf), "neigh: %s: NA from the binding's MAC to the asker", name);
	CHECK(r->retval == TC_ACT_REDIRECT && r->out_len == sizeof(*n) &&
	      !memcmp(n->eth.h_dest, MAC_VM1, 6) && !memcmp(n->eth.h_source, MAC_FAR, 6) &&
	      n->eth.h_proto == htons(ETH_P_IPV6),
	      buf, "retval %u len %u", r->retval, r->out_len);
	snprintf(buf, sizeof(buf), "neigh: %s: IPv6 header target -> asker, hop limit 255", name);
	CHECK(n->ip6.version == 6 && n->ip6.nexthdr == IPPROTO_ICMPV6 && n->ip6.hop_limit == 255 &&
	      ntohs(n->ip6.payload_len) == 32 && !memcmp(&n->ip6.saddr, IP6_TGT, 16) &&
	      !memcmp(&n->ip6.daddr, IP6_VM1, 16),
	      buf, "plen %u", ntohs(n->ip6.payload_len));
	snprintf(buf, sizeof(buf), "neigh: %s: type 136, S and O set, R clear, target, TLLA", name);
	CHECK(n->type == 136 && n->code == 0 && ntohl(n->flags) == 0x60000000 &&
	      !memcmp(n->target, IP6_TGT, 16) && !memcmp(&n->opt_type, opt, 8),
	      buf, "type %u flags %08x", n->type, ntohl(n->flags));
	snprintf(buf, sizeof(buf), "neigh: %s: ICMPv6 checksum valid", name);
	CHECK(r->out_len >= sizeof(*n) && icmp6_csum(&n->ip6, &n->type, 32) == 0, buf,
	      "csum %04x", ntohs(n->csum));
}

static void test_nd(void)
{
	struct xvtep_neigh_entry v;
	struct env e;
	struct pkt p = {};
	struct run r;
	uint64_t answered;

	if (nenv_std(&e))
		return (void)CHECK(0, "neigh: nd setup", "load failed");

	build_ns(&p, MAC_VM1, IP6_VM1, IP6_TGT, true);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	check_na(&r, "NS with SLLA");
	CHECK(!binding(&e, IP6_VM1, true, &v) && !memcmp(v.mac, MAC_VM1, 6) &&
	      v.flags == XVTEP_NEIGH_F_SNOOPED,
	      "neigh: NS snoops the asker's address from its SLLA", "%s", "no entry");

	/* Without the option (78 bytes): the answer grows to 86. */
	build_ns(&p, MAC_VM1, IP6_VM1, IP6_TGT, false);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	check_na(&r, "NS without SLLA");
	CHECK_EQ(ev(&e, XVTEP_EV_NEIGH_ANSWERED), 2, "neigh: both NS counted as answered");

	/* Unknown target: flooded, counted. */
	build_ns(&p, MAC_VM1, IP6_VM1, IP6_UNKNOWN, true);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	CHECK(flooded_as_is(&r, &p) && ev(&e, XVTEP_EV_NEIGH_FLOODED) == 1,
	      "neigh: NS for an unknown target is flooded and counted", "retval %u len %u",
	      r.retval, r.out_len);
	/* DAD (unspecified source): never answered, snoops nothing. */
	build_ns(&p, MAC_VM2, IP6_ANY, IP6_TGT, false);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p2, &p);
	CHECK(flooded_as_is(&r, &p) && binding(&e, IP6_ANY, true, &v),
	      "neigh: DAD NS is not answered", "retval %u len %u", r.retval, r.out_len);
	/* From the binding's own MAC. */
	build_ns(&p, MAC_FAR, IP6_VM1, IP6_TGT, true);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	CHECK(flooded_as_is(&r, &p), "neigh: NS from the binding's own MAC is not answered",
	      "retval %u len %u", r.retval, r.out_len);
	/* An NA snoops its target. */
	build_ns(&p, MAC_VM2, IP6_UNKNOWN, IP6_UNKNOWN, true);
	((struct nd_frame *)p.buf)->type = 136;
	((struct nd_frame *)p.buf)->opt_type = 2;
	run_tc(&e, TC_PORT(&e), e.ifi_p2, &p);
	CHECK(!binding(&e, IP6_UNKNOWN, true, &v) && !memcmp(v.mac, MAC_VM2, 6) &&
	      v.ifindex == (uint32_t)e.ifi_p2,
	      "neigh: NA snoops its target from the TLLA option", "%s", "no entry");

	/* Suppression off. */
	suppress(&e, false);
	answered = ev(&e, XVTEP_EV_NEIGH_ANSWERED);
	build_ns(&p, MAC_VM1, IP6_VM1, IP6_TGT, true);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	CHECK(flooded_as_is(&r, &p) && ev(&e, XVTEP_EV_NEIGH_ANSWERED) == answered,
	      "neigh: suppression off: NS floods", "retval %u len %u", r.retval, r.out_len);
	env_close(&e);
}

static void test_truncated(void)
{
	struct env e;
	struct pkt p = {};
	struct run r;
	bool ok = true;

	if (nenv_std(&e))
		return (void)CHECK(0, "neigh: truncated setup", "load failed");
	/* ARP cut anywhere from its first byte to its last. */
	for (size_t len = 15; len < sizeof(struct arp_frame); len++) {
		build_arp(&p, 1, MAC_BCAST, MAC_VM1, IP_VM1, IP_TGT);
		p.len = len;
		r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
		ok &= r.retval != 0xdead && (r.retval == TC_ACT_SHOT || flooded_as_is(&r, &p));
	}
	CHECK(ok && ev(&e, XVTEP_EV_NEIGH_ANSWERED) == 0,
	      "neigh: truncated ARP requests go on unanswered", "retval %u", r.retval);
	/* NS cut after the ICMPv6 type byte, and one whose length lies. */
	for (size_t len = 55; len < sizeof(struct nd_frame) - 8; len++) {
		build_ns(&p, MAC_VM1, IP6_VM1, IP6_TGT, false);
		p.len = len;
		r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
		ok &= r.retval != 0xdead && (r.retval == TC_ACT_SHOT || flooded_as_is(&r, &p));
	}
	build_ns(&p, MAC_VM1, IP6_VM1, IP6_TGT, true);
	((struct nd_frame *)p.buf)->ip6.payload_len = htons(200);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	ok &= flooded_as_is(&r, &p);
	CHECK(ok && ev(&e, XVTEP_EV_NEIGH_ANSWERED) == 0,
	      "neigh: truncated NS go on unanswered", "retval %u", r.retval);
	env_close(&e);
}

/* A port with `encap xdp`: its XDP fast path leaves NS/NA of a suppressing
 * VNI to TC untouched, even unicast toward a known remote MAC it would
 * otherwise encapsulate itself. */
static void test_xdp_port(void)
{
	struct xvtep_port pt = { .vni = VNI_A, .flags = XVTEP_PORT_F_XDP_ENCAP };
	int prog;
	struct env e;
	struct pkt p = {};
	struct run r;

	if (nenv_std(&e))
		return (void)CHECK(0, "neigh: xdp port setup", "load failed");
	prog = bpf_program__fd(e.skel->progs.xvtep_xdp_port);
	bpf_map_update_elem(e.ports, &e.ifi_p1, &pt, BPF_ANY);
	fdb_set(&e, VNI_A, MAC_FAR, 0, IP_PEER, XVTEP_FDB_F_STATIC);
	xmit_allow(&e, e.ifi_up, true);

	build_ns(&p, MAC_VM1, IP6_VM1, IP6_TGT, true);
	memcpy(p.buf, MAC_FAR, 6);	/* a unicast NS (NUD) to a known remote MAC */
	r = run_xdp_meta(prog, e.ifi_p1, NULL, 0, &p);
	CHECK(r.retval == XDP_PASS && r.out_len == p.len && !memcmp(r.out, p.buf, p.len),
	      "neigh: xdp port: unicast NS passed to TC untouched", "retval %u", r.retval);
	((struct nd_frame *)p.buf)->type = 136;
	r = run_xdp_meta(prog, e.ifi_p1, NULL, 0, &p);
	CHECK(r.retval == XDP_PASS && !memcmp(r.out, p.buf, p.len),
	      "neigh: xdp port: unicast NA passed to TC untouched", "retval %u", r.retval);
	suppress(&e, false);
	r = run_xdp_meta(prog, e.ifi_p1, NULL, 0, &p);
	CHECK_EQ(r.retval, XDP_REDIRECT, "neigh: xdp port: suppression off: the fast path takes it");
	env_close(&e);
}

/* The FDB's sweep ages snooped bindings (the VNI's ageing) and those of a
 * VNI that is gone; static ones stay. */
static void test_ageing(void)
{
	struct xvtep_neigh_entry v = { .flags = XVTEP_NEIGH_F_SNOOPED };
	struct xvtep_neigh_key k;
	struct xvtep_vni cfg;
	uint32_t vni = VNI_A, ip;
	uint8_t data[64] = {};
	struct env e;
	struct pkt p = {};
	int err;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data, .data_size_in = sizeof(data),
		    .repeat = 1);

	if (nenv_std(&e))
		return (void)CHECK(0, "neigh: ageing setup", "load failed");
	bpf_map_lookup_elem(e.vnis, &vni, &cfg);
	cfg.ageing = 1;
	bpf_map_update_elem(e.vnis, &vni, &cfg, BPF_EXIST);
	env_written(&e);
	build_arp(&p, 1, MAC_BCAST, MAC_VM2, IP_VM2, IP_UNKNOWN);
	run_tc(&e, TC_PORT(&e), e.ifi_p2, &p);
	ip = htonl(IP_VM2);
	neigh_key(&k, 999, &ip, false);		/* a VNI that is not configured */
	bpf_map_update_elem(neigh_fd(&e), &k, &v, BPF_ANY);
	CHECK(!binding(&e, &ip, false, &v), "neigh: ageing: snooped binding there before the sweep",
	      "%s", "missing");
	err = bpf_prog_test_run_opts(bpf_program__fd(e.skel->progs.xvtep_gc_start), &o);
	usleep(3200 * 1000);
	CHECK(!err && binding(&e, &ip, false, &v),
	      "neigh: ageing: the sweep ages a snooped binding", "err %d", err);
	CHECK(bpf_map_lookup_elem(neigh_fd(&e), &k, &v),
	      "neigh: ageing: a binding of a VNI that is gone is swept", "%s", "still there");
	ip = htonl(IP_TGT);
	CHECK(!binding(&e, &ip, false, &v) && v.flags == XVTEP_NEIGH_F_STATIC,
	      "neigh: ageing: a static binding stays", "%s", "gone");
	env_close(&e);
}

void neigh_tests(void)
{
	test_arp_answer();
	test_arp_snoop();
	test_nd();
	test_truncated();
	test_xdp_port();
	test_ageing();
}
