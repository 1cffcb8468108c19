/* SPDX-License-Identifier: GPL-2.0 */
/* Crafted frames for the unit tests: plain Ethernet, and VXLAN around it. */
#ifndef XVTEP_UNIT_PKT_H
#define XVTEP_UNIT_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#define PKT_MAX 4096

struct pkt {
	uint8_t buf[PKT_MAX];
	size_t len;
};

struct inner_opts {
	const uint8_t *dst, *src;
	uint16_t proto;		/* ethertype; ETH_P_IP gets an IPv4 header */
	uint8_t l4;		/* IPv4 protocol when proto == ETH_P_IP */
	size_t payload;		/* bytes after the Ethernet header */
	uint8_t fill;		/* payload byte (varies frames) */
};

struct outer_opts {
	uint32_t src, dst;	/* host order */
	uint16_t dport;		/* 0 = 4789 */
	uint32_t vx_flags;	/* host order; 0 = 0x08000000 */
	uint32_t vni;
	uint8_t vni_low;	/* reserved byte after the VNI */
	int ihl;		/* 0 = 5 */
	uint16_t frag_off;	/* host order */
	int tot_len_delta;	/* corrupt the IPv4 total length */
	bool no_i_flag;
};

static inline uint16_t pkt_csum(const void *data, size_t len)
{
	const uint16_t *w = data;
	uint32_t sum = 0;

	for (size_t i = 0; i < len / 2; i++)
		sum += w[i];
	if (len & 1)
		sum += ((const uint8_t *)data)[len - 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Ethernet frame (optionally IPv4 inside) at p. Returns its length. */
static inline size_t build_inner(uint8_t *p, const struct inner_opts *o)
{
	struct ethhdr *eth = (void *)p;
	size_t len = sizeof(*eth) + o->payload;

	memcpy(eth->h_dest, o->dst, 6);
	memcpy(eth->h_source, o->src, 6);
	eth->h_proto = htons(o->proto);
	memset(p + sizeof(*eth), o->fill, o->payload);
	if (o->proto == ETH_P_IP && o->payload >= sizeof(struct iphdr)) {
		struct iphdr *ip = (void *)(eth + 1);

		memset(ip, 0, sizeof(*ip));
		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = o->l4 ? o->l4 : IPPROTO_UDP;
		ip->tot_len = htons(o->payload);
		ip->saddr = htonl(0xc0000201);	/* 192.0.2.1 */
		ip->daddr = htonl(0xc0000202);
		ip->check = pkt_csum(ip, sizeof(*ip));
	}
	return len;
}

static const uint8_t MAC_UPLINK[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t MAC_PEER[6] = { 0x02, 0, 0, 0, 0, 0x02 };

/* Outer Ethernet/IPv4/UDP/VXLAN + inner frame. */
static inline void build_vxlan(struct pkt *pk, const struct outer_opts *o, const struct inner_opts *in)
{
	int ihl = o->ihl ? o->ihl : 5;
	uint8_t *p = pk->buf;
	struct ethhdr *eth = (void *)p;
	struct iphdr *ip = (void *)(p + 14);
	struct udphdr *udp = (void *)(p + 14 + ihl * 4);
	uint8_t *vx = (uint8_t *)(udp + 1);
	size_t inner_len, l4_len;
	uint32_t flags = o->vx_flags ? o->vx_flags : 0x08000000;

	memset(p, 0, 14 + ihl * 4 + 16);
	memcpy(eth->h_dest, MAC_UPLINK, 6);
	memcpy(eth->h_source, MAC_PEER, 6);
	eth->h_proto = htons(ETH_P_IP);
	inner_len = build_inner(vx + 8, in);
	l4_len = 8 + 8 + inner_len;

	ip->version = 4;
	ip->ihl = ihl;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = htonl(o->src);
	ip->daddr = htonl(o->dst);
	ip->frag_off = htons(o->frag_off);
	ip->tot_len = htons(ihl * 4 + l4_len + o->tot_len_delta);
	memset(ip + 1, 1, (ihl - 5) * 4);	/* NOP options */
	ip->check = pkt_csum(ip, ihl * 4);

	udp->source = htons(50000);
	udp->dest = htons(o->dport ? o->dport : 4789);
	udp->len = htons(l4_len);
	if (o->no_i_flag)
		flags &= ~0x08000000u;
	*(uint32_t *)vx = htonl(flags);
	*(uint32_t *)(vx + 4) = htonl(o->vni << 8 | o->vni_low);
	pk->len = 14 + ihl * 4 + l4_len;
}

/* The same over IPv6 (tests/unit/ipv6.c). */
struct outer6_opts {
	const char *src, *dst;	/* 16 bytes each (IP6_* in world.h) */
	uint16_t dport;		/* 0 = 4789 */
	uint32_t vni;
	bool ext;		/* an 8-byte extension header of type ext_type before UDP */
	uint8_t ext_type;	/* 0 hop-by-hop, 60 destination options... */
	int plen_delta;		/* corrupt the payload length */
	int udp_len_delta;	/* corrupt the UDP length */
	uint16_t udp_csum;	/* as written (network order); 0 = none */
};

static inline void build_vxlan6(struct pkt *pk, const struct outer6_opts *o,
				const struct inner_opts *in)
{
	uint8_t *p = pk->buf;
	struct ethhdr *eth = (void *)p;
	struct ipv6hdr *ip6 = (void *)(p + 14);
	size_t ext = o->ext ? 8 : 0;
	struct udphdr *udp = (void *)(p + 14 + 40 + ext);
	uint8_t *vx = (uint8_t *)(udp + 1);
	size_t inner_len, l4_len;

	memset(p, 0, 14 + 40 + ext + 16);
	memcpy(eth->h_dest, MAC_UPLINK, 6);
	memcpy(eth->h_source, MAC_PEER, 6);
	eth->h_proto = htons(ETH_P_IPV6);
	inner_len = build_inner(vx + 8, in);
	l4_len = 8 + 8 + inner_len;

	ip6->version = 6;
	ip6->hop_limit = 64;
	ip6->nexthdr = o->ext ? o->ext_type : IPPROTO_UDP;
	ip6->payload_len = htons(ext + l4_len + o->plen_delta);
	memcpy(&ip6->saddr, o->src, 16);
	memcpy(&ip6->daddr, o->dst, 16);
	if (o->ext) {
		uint8_t *x = p + 14 + 40;

		x[0] = IPPROTO_UDP;	/* next header; length 0 (8 bytes) */
		x[2] = 1;		/* PadN, 4 bytes of padding */
		x[3] = 4;
	}
	udp->source = htons(50000);
	udp->dest = htons(o->dport ? o->dport : 4789);
	udp->len = htons(l4_len + o->udp_len_delta);
	udp->check = o->udp_csum;
	*(uint32_t *)vx = htonl(0x08000000);
	*(uint32_t *)(vx + 4) = htonl(o->vni << 8);
	pk->len = 14 + 40 + ext + l4_len;
}

#endif
