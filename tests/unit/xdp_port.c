// SPDX-License-Identifier: GPL-2.0
/*
 * xvtep_xdp_port (the encap fast path of ports with `encap xdp`) under
 * BPF_PROG_TEST_RUN: what it finishes (bytes as TC would write them, every
 * TCP/UDP checksum filled in, learning and counters) and what it passes to
 * TC untouched (nothing learned, nothing counted but xdp_to_tc).
 */
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include "xvtep.h"
#include "xvtep.skel.h"
#include "unit.h"
#include "env.h"

#define IP6_A	"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"	/* 2001:db8::1 */
#define IP6_B	"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02"

struct encap_view {
	struct ethhdr eth;
	struct iphdr ip;
	struct udphdr udp;
	uint32_t vx_flags, vx_vni;
} __attribute__((packed));

static uint32_t sum16(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *b = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] | b[i + 1] << 8);
	if (len & 1)
		sum += b[len - 1];
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Pseudo-header sum of the L4 part of the IPv4/IPv6 packet at l3. */
static uint32_t pseudo_sum(const uint8_t *l3, bool v6, uint8_t proto, size_t l4_len)
{
	uint8_t ph[40] = {};

	if (v6) {
		memcpy(ph, l3 + 8, 32);
		ph[34] = l4_len >> 8;
		ph[35] = l4_len & 0xff;
		ph[39] = proto;
		return sum16(ph, 40, 0);
	}
	memcpy(ph, l3 + 12, 8);
	ph[9] = proto;
	ph[10] = l4_len >> 8;
	ph[11] = l4_len & 0xff;
	return sum16(ph, 12, 0);
}

/* 0 when the L4 checksum of the IP packet at l3 verifies. */
static uint16_t l4_verify(const uint8_t *l3, bool v6, uint8_t proto, size_t l4_len)
{
	const uint8_t *l4 = l3 + (v6 ? 40 : (l3[0] & 15) * 4);

	return fold(sum16(l4, l4_len, pseudo_sum(l3, v6, proto, l4_len)));
}

struct l4_opts {
	const uint8_t *dst;
	bool v6;
	uint8_t proto;		/* TCP, UDP, ICMP, SCTP... */
	size_t l4_len;		/* L4 header + payload */
	bool partial;		/* checksum field = pseudo-header sum, as CHECKSUM_PARTIAL leaves it */
	bool v6_hopopts;	/* an IPv6 hop-by-hop header before L4 */
	uint16_t frag_off;	/* IPv4, host order */
};

/* An Ethernet/IP/L4 frame from MAC_VM1 with a valid (or pending) checksum. */
static void build_l4(struct pkt *p, const struct l4_opts *o)
{
	struct ethhdr *eth = (void *)p->buf;
	uint8_t *l3 = p->buf + 14, *l4;
	size_t l3_len = o->v6 ? 40 + (o->v6_hopopts ? 8 : 0) : 20;
	size_t coff = o->proto == IPPROTO_TCP ? 16 : 6;
	uint32_t ps;

	memset(p->buf, 0, sizeof(p->buf));
	memcpy(eth->h_dest, o->dst, 6);
	memcpy(eth->h_source, MAC_VM1, 6);
	eth->h_proto = htons(o->v6 ? ETH_P_IPV6 : ETH_P_IP);
	l4 = l3 + l3_len;
	for (size_t i = 0; i < o->l4_len; i++)
		l4[i] = (uint8_t)(i * 7 + 3);
	l4[0] = 0xc3;	/* source port 50000 */
	l4[1] = 0x50;
	l4[2] = 0x13;	/* destination port 5001 */
	l4[3] = 0x89;
	if (o->proto == IPPROTO_UDP) {
		l4[4] = o->l4_len >> 8;
		l4[5] = o->l4_len & 0xff;
	} else if (o->proto == IPPROTO_TCP) {
		l4[12] = 5 << 4;	/* data offset */
	}
	if (o->v6) {
		struct ipv6hdr *ip6 = (void *)l3;

		ip6->version = 6;
		ip6->payload_len = htons(o->l4_len + (o->v6_hopopts ? 8 : 0));
		ip6->nexthdr = o->v6_hopopts ? 0 : o->proto;
		ip6->hop_limit = 64;
		memcpy(&ip6->saddr, IP6_A, 16);
		memcpy(&ip6->daddr, IP6_B, 16);
		if (o->v6_hopopts) {
			memset(l3 + 40, 0, 8);
			l3[40] = o->proto;	/* next header; length 0; PadN */
			l3[42] = 1;
			l3[43] = 4;
		}
	} else {
		struct iphdr *ip = (void *)l3;

		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = o->proto;
		ip->tot_len = htons(20 + o->l4_len);
		ip->frag_off = htons(o->frag_off);
		ip->saddr = htonl(0xc0000201);
		ip->daddr = htonl(0xc0000202);
		ip->check = pkt_csum(ip, 20);
	}
	if (o->proto == IPPROTO_TCP || o->proto == IPPROTO_UDP) {
		l4[coff] = l4[coff + 1] = 0;
		ps = o->v6_hopopts ? 0 : pseudo_sum(l3, o->v6, o->proto, o->l4_len);
		if (o->partial) {
			uint16_t f = (uint16_t)~fold(ps);	/* folded, not complemented */

			memcpy(l4 + coff, &f, 2);
		} else {
			uint16_t c = fold(sum16(l4, o->l4_len, ps));

			memcpy(l4 + coff, &c, 2);
		}
	}
	p->len = 14 + l3_len + o->l4_len;
	if (p->len < 60)
		p->len = 60;	/* Ethernet padding after the IP packet */
}

static struct run run_port_xdp(struct env *e, uint32_t ifindex, const struct pkt *p)
{
	return run_xdp_meta(bpf_program__fd(e->skel->progs.xvtep_xdp_port), ifindex, NULL, 0, p);
}

static void port_flags(struct env *e, uint32_t ifindex, uint32_t flags, uint32_t mirror_rx)
{
	struct xvtep_port pt = { .vni = VNI_A, .flags = flags, .mirror_rx = mirror_rx };

	bpf_map_update_elem(e->ports, &ifindex, &pt, BPF_ANY);
}

/* A frame XDP must leave to TC: passed byte for byte, nothing learned or counted
 * but xdp_to_tc. */
static void check_passed(struct env *e, const struct pkt *p, const char *name)
{
	struct xvtep_stats before = stats_of(e, VNI_A), after;
	int learned = fdb_count(e, VNI_A, true);
	struct run r = run_port_xdp(e, e->ifi_p1, p);
	char what[160];

	after = stats_of(e, VNI_A);
	snprintf(what, sizeof(what), "xdp encap leaves to TC untouched: %s", name);
	CHECK(r.retval == XDP_PASS && r.out_len == p->len && !memcmp(r.out, p->buf, p->len) &&
	      fdb_count(e, VNI_A, true) == learned && after.tx_packets == before.tx_packets &&
	      after.events[XVTEP_EV_XDP_TO_TC] == before.events[XVTEP_EV_XDP_TO_TC] + 1,
	      what, "retval %u len %u learned %d->%d to_tc %llu->%llu", r.retval, r.out_len, learned,
	      fdb_count(e, VNI_A, true), (unsigned long long)before.events[XVTEP_EV_XDP_TO_TC],
	      (unsigned long long)after.events[XVTEP_EV_XDP_TO_TC]);
}

/* Encapsulated by XDP: outer headers as TC writes them,
 * inner frame identical but for a checksum that must now verify. */
static void check_encap(struct env *e, const struct pkt *p, const struct l4_opts *o,
			const char *name)
{
	struct run r = run_port_xdp(e, e->ifi_p1, p), t;
	const struct encap_view *v = (const void *)r.out;
	const uint8_t *l3 = r.out + XVTEP_ENCAP_LEN + 14;
	bool l4_csum = o->proto == IPPROTO_TCP || o->proto == IPPROTO_UDP;
	size_t coff = (o->v6 ? 40 : 20) + (o->proto == IPPROTO_TCP ? 16 : 6);
	uint8_t want[PKT_MAX];
	char what[160];

	snprintf(what, sizeof(what), "xdp encap: %s: redirected, 50 bytes added", name);
	if (!CHECK(r.retval == XDP_REDIRECT && r.out_len == p->len + XVTEP_ENCAP_LEN, what,
		   "retval %u len %u", r.retval, r.out_len))
		return;
	/* Everything but the L4 checksum is the VM's frame as sent. */
	memcpy(want, p->buf, p->len);
	if (l4_csum && !o->frag_off)
		memcpy(want + 14 + coff, r.out + XVTEP_ENCAP_LEN + 14 + coff, 2);
	snprintf(what, sizeof(what), "xdp encap: %s: inner frame intact", name);
	CHECK(!memcmp(r.out + XVTEP_ENCAP_LEN, want, p->len), what, "%s", "inner bytes differ");
	if (l4_csum && !o->frag_off) {
		snprintf(what, sizeof(what), "xdp encap: %s: L4 checksum verifies", name);
		CHECK_EQ(l4_verify(l3, o->v6, o->proto, o->l4_len), 0, what);
	}

	/* The same frame through TC: identical outer headers, the source port
	 * included (both hash the inner flow: a flow keeps its ECMP path). */
	t = run_tc(e, TC_PORT(e), e->ifi_p1, p);
	if (t.retval == TC_ACT_REDIRECT && t.out_len == r.out_len) {
		const struct encap_view *tv = (const void *)t.out;

		snprintf(what, sizeof(what), "xdp encap: %s: outer headers = TC's", name);
		CHECK(!memcmp(tv, v, sizeof(*tv)), what, "source port TC %u XDP %u%s",
		      ntohs(tv->udp.source), ntohs(v->udp.source),
		      tv->udp.source == v->udp.source ? ", other bytes differ" : "");
	} else {
		snprintf(what, sizeof(what), "xdp encap: %s: TC reference run", name);
		CHECK(0, what, "retval %u len %u", t.retval, t.out_len);
	}
}

void test_xdp_port(void)
{
	struct xvtep_vni a = { .flags = XVTEP_VNI_F_LEARNING, .ageing = 300 };
	struct env_cfg c = { .sport_min = 50000, .sport_max = 50015 };
	struct l4_opts o = { .dst = MAC_FAR, .proto = IPPROTO_UDP, .l4_len = 100, .partial = true };
	struct xvtep_fdb_entry fe;
	struct xvtep_stats s;
	struct env e;
	struct pkt p, arp;
	struct run r;
	uint16_t sport;

	if (env_load(&e, &c))
		return (void)CHECK(0, "xdp encap setup", "load failed");
	vni_add(&e, VNI_A, &a);
	port_add(&e, e.ifi_p1, VNI_A);
	port_add(&e, e.ifi_p2, VNI_A);
	fdb_set(&e, VNI_A, MAC_FAR, 0, IP_PEER, XVTEP_FDB_F_STATIC);
	fdb_set(&e, VNI_A, MAC_FAR2, 0, IP_OTHER, XVTEP_FDB_F_STATIC);	/* no neighbour */
	fdb_set(&e, VNI_A, MAC_VM2, e.ifi_p2, 0, XVTEP_FDB_F_STATIC);
	xmit_allow(&e, e.ifi_up, true);
	build_l4(&p, &o);

	/* A port without `encap xdp` is TC's alone: not even counted. */
	r = run_port_xdp(&e, e.ifi_p1, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == XDP_PASS && !memcmp(r.out, p.buf, p.len) &&
	      s.events[XVTEP_EV_XDP_TO_TC] == 0 && fdb_count(&e, VNI_A, true) == 0,
	      "xdp encap: a port without the flag passes everything", "retval %u", r.retval);

	port_flags(&e, e.ifi_p1, XVTEP_PORT_F_XDP_ENCAP, 0);
	check_encap(&e, &p, &o, "UDP/IPv4 with a pending checksum");
	r = run_port_xdp(&e, e.ifi_p1, &p);
	sport = ((struct encap_view *)r.out)->udp.source;
	CHECK(ntohs(sport) >= 50000 && ntohs(sport) <= 50015,
	      "xdp encap: source port in the configured range", "sport %u", ntohs(sport));
	CHECK(fdb_get(&e, VNI_A, MAC_VM1, &fe) == 0 && fe.ifindex == (uint32_t)e.ifi_p1 &&
	      !(fe.flags & XVTEP_FDB_F_REMOTE),
	      "xdp encap: learns the sender on its port", "ifindex %u", fe.ifindex);
	s = stats_of(&e, VNI_A);
	/* check_encap ran XDP once and TC once; then one more XDP run */
	CHECK(s.events[XVTEP_EV_XDP_ENCAP] == 2 && s.tx_packets == 3 &&
	      s.tx_bytes == 3 * (p.len + XVTEP_ENCAP_LEN),
	      "xdp encap: counts tx and xdp_encap per VNI", "xdp_encap %llu tx %llu",
	      (unsigned long long)s.events[XVTEP_EV_XDP_ENCAP], (unsigned long long)s.tx_packets);
	r = run_port_xdp(&e, e.ifi_p1, &p);
	CHECK(r.retval == XDP_REDIRECT && ((struct encap_view *)r.out)->udp.source == sport,
	      "xdp encap: the source port is stable per flow", "sport %u then %u", ntohs(sport),
	      ntohs(((struct encap_view *)r.out)->udp.source));
	{
		/* 8 flows (inner source ports) over 16 outer ports: all on one
		 * would mean the hash ignores the flow (chance 16^-7 otherwise). */
		int other = 0, tc_other = 0;

		for (int i = 1; i <= 8; i++) {
			struct pkt q = p;

			q.buf[14 + 20 + 1] ^= (uint8_t)i;	/* inner UDP source port */
			r = run_port_xdp(&e, e.ifi_p1, &q);
			other += r.retval == XDP_REDIRECT &&
				 ((struct encap_view *)r.out)->udp.source != sport;
			r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &q);
			tc_other += r.retval == TC_ACT_REDIRECT &&
				    ((struct encap_view *)r.out)->udp.source != sport;
		}
		CHECK(other > 0, "xdp encap: other flows get other source ports", "%d of 8", other);
		CHECK(tc_other > 0, "tc encap: other flows get other source ports", "%d of 8",
		      tc_other);
	}

	/* A UDP checksum that computes to 0 goes out as 0xffff (0 = none). The
	 * last two payload bytes are chosen to make the sum come out so. */
	o.partial = false;
	o.l4_len = 100;
	build_l4(&p, &o);
	{
		uint8_t *l4 = p.buf + 14 + 20;
		uint16_t c;

		memcpy(&c, l4 + 6, 2);	/* the checksum with the last word 0 */
		l4[98] = l4[99] = 0;
		memset(l4 + 6, 0, 2);
		c = fold(sum16(l4, 100, pseudo_sum(p.buf + 14, false, IPPROTO_UDP, 100)));
		memcpy(l4 + 98, &c, 2);	/* now the sum folds to 0xffff */
		memset(l4 + 6, 0xab, 2);	/* and the field holds something stale */
		r = run_port_xdp(&e, e.ifi_p1, &p);
		memcpy(&c, r.out + XVTEP_ENCAP_LEN + 14 + 20 + 6, 2);
		CHECK(r.retval == XDP_REDIRECT && c == 0xffff,
		      "xdp encap: a UDP checksum computing to 0 is sent as 0xffff", "check %04x", c);
	}
	o.partial = true;

	/* Checksums over every tail length and across 512-byte chunks. */
	o.partial = false;
	check_encap(&e, (build_l4(&p, &o), &p), &o, "UDP/IPv4, odd length, checksum already valid");
	o.proto = IPPROTO_TCP;
	o.partial = true;
	for (size_t len = 1021; len <= 1024; len++) {
		char name[64];

		o.l4_len = len;
		build_l4(&p, &o);
		snprintf(name, sizeof(name), "TCP/IPv4 %zu bytes, pending checksum", len);
		check_encap(&e, &p, &o, name);
	}
	o.l4_len = 1430;	/* 1430 + 20 + 14 + 50 = 1514: a full-MTU frame */
	build_l4(&p, &o);
	check_encap(&e, &p, &o, "TCP/IPv4 full MTU");
	o.v6 = true;
	o.l4_len = 1410;
	build_l4(&p, &o);
	check_encap(&e, &p, &o, "TCP/IPv6 full MTU");
	o.proto = IPPROTO_UDP;
	o.l4_len = 8;
	build_l4(&p, &o);
	check_encap(&e, &p, &o, "UDP/IPv6, header only");
	o.v6 = false;
	o.proto = IPPROTO_ICMP;
	o.l4_len = 64;
	build_l4(&p, &o);
	check_encap(&e, &p, &o, "ICMP, left as sent");
	o.proto = IPPROTO_UDP;
	o.frag_off = 0x2000;	/* MF: the stack filled the checksum before fragmenting */
	build_l4(&p, &o);
	check_encap(&e, &p, &o, "IPv4 first fragment, checksum not touched");
	o.frag_off = 0;

	/* What TC must finish. */
	o.l4_len = 100;
	o.partial = true;
	o.dst = MAC_BCAST;
	check_passed(&e, (build_l4(&p, &o), &p), "broadcast");
	o.dst = (const uint8_t *)"\x02\xcc\0\0\0\x09";
	check_passed(&e, (build_l4(&p, &o), &p), "unknown destination");
	o.dst = MAC_VM2;
	check_passed(&e, (build_l4(&p, &o), &p), "local destination");
	o.dst = MAC_FAR2;
	check_passed(&e, (build_l4(&p, &o), &p), "remote VTEP without a resolved neighbour");
	o.dst = MAC_FAR;
	o.proto = IPPROTO_SCTP;
	check_passed(&e, (build_l4(&p, &o), &p), "SCTP (a CRC32c the kernel may owe)");
	o.proto = IPPROTO_UDP;
	o.v6 = true;
	o.v6_hopopts = true;
	check_passed(&e, (build_l4(&p, &o), &p), "IPv6 extension header");
	o.v6 = o.v6_hopopts = false;
	o.l4_len = 1451;	/* 1451 + 20 + 14 + 50 = 1535 > 1500 + 14 */
	check_passed(&e, (build_l4(&p, &o), &p), "over the underlay MTU");
	o.l4_len = 100;
	memset(&arp, 0, sizeof(arp));
	memcpy(arp.buf, MAC_FAR, 6);
	memcpy(arp.buf + 6, MAC_VM1, 6);
	arp.buf[12] = 0x08;
	arp.buf[13] = 0x06;
	arp.len = 60;
	check_passed(&e, &arp, "ARP");
	build_l4(&p, &o);
	xmit_allow(&e, e.ifi_up, false);
	check_passed(&e, &p, "output device that takes no XDP frames");
	xmit_allow(&e, e.ifi_up, true);
	port_flags(&e, e.ifi_p1, XVTEP_PORT_F_XDP_ENCAP, 1);
	check_passed(&e, &p, "port with an rx mirror session");
	port_flags(&e, e.ifi_p1, XVTEP_PORT_F_XDP_ENCAP, 0);
	p.len = 14 + 20 + 50;	/* IPv4 total length runs past the frame */
	check_passed(&e, &p, "truncated IPv4 packet");

	/* A learning refusal is a counted drop, as in TC. */
	build_l4(&p, &o);
	fdb_set(&e, VNI_A, MAC_VM1, e.ifi_p2, 0, XVTEP_FDB_F_STATIC);
	r = run_port_xdp(&e, e.ifi_p1, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == XDP_DROP && s.drops[XVTEP_DROP_STATIC_CONFLICT] == 1,
	      "xdp encap: a source owned by a static entry elsewhere is dropped and counted",
	      "retval %u", r.retval);
	env_close(&e);
}
