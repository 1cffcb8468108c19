/* SPDX-License-Identifier: GPL-2.0 */
/* Constants vmlinux.h lacks (macros do not survive into BTF) and settings. */
#ifndef XVTEP_BPF_COMMON_H
#define XVTEP_BPF_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xvtep.h"

#define ETH_ALEN	6
#define ETH_HLEN	14
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#define IPPROTO_TCP_NR	6
#define IPPROTO_UDP_NR	17
#define IPPROTO_ICMP_NR	1
#define IPPROTO_ICMPV6_NR 58
#define IP_MF		0x2000
#define IP_OFFSET	0x1FFF
#define IP_DF		0x4000
#define AF_INET_NR	2
#define AF_INET6_NR	10
#define CLOCK_MONOTONIC_NR 1
#define E2BIG		7
#define ENOMEM		12

#define TC_ACT_OK	0
#define TC_ACT_SHOT	2
#define TC_ACT_REDIRECT	7

#define BPF_ADJ_ROOM_ENCAP_L2(len) (((__u64)(len) & 0xff) << 56)

#define VXLAN_I_FLAG	bpf_htonl(0x08000000)

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

/* Fixed at load time by the loader (rodata): the verifier prunes what they disable. */
const volatile __u32 cfg_uplink_ifindex = 0;
const volatile __be32 cfg_local_ip = 0;	/* IPv4 VTEP address, 0 = none */
/* IPv6 VTEP address, all zero = none. An instance has either or both. */
const volatile __be32 cfg_local_ip6[4] = {};
const volatile __u16 cfg_dstport = XVTEP_DSTPORT_DEFAULT;
const volatile __u16 cfg_sport_min = XVTEP_SPORT_MIN_DEFAULT;
const volatile __u16 cfg_sport_max = XVTEP_SPORT_MAX_DEFAULT;
const volatile __u8 cfg_uplink_mac[ETH_ALEN] = {};
const volatile __u8 cfg_xdp_tcp = 0;
const volatile __u64 cfg_gc_interval_ns = XVTEP_GC_INTERVAL_NS;
/* Ingress of this veth turns marked clones into mirror copies (0 = no mirroring). */
const volatile __u32 cfg_mirror_ifindex = 0;
/* Optional kernel features (lib/features.c probes them): when 0, the code
 * that needs them is dead at load time and the verifier never sees it. */
const volatile __u8 cfg_xdp_meta = 1;	/* bpf_xdp_adjust_meta in XDP */
const volatile __u8 cfg_decap_l3 = 1;	/* bpf_skb_adjust_room DECAP_L3 flags */

struct vxlan_hdr {
	__be32 flags;
	__be32 vni;		/* VNI in the upper 24 bits */
};

/* A 16-bit header field in host order, for use as a packet offset or length.
 * Older verifiers (6.1) learn no bounds from a byte swap (BPF_END leaves an
 * unbounded scalar, which they refuse to add to a packet pointer), so mask
 * the swapped value; the empty asm keeps clang from dropping the mask as
 * redundant. One ALU instruction. */
static __always_inline __u32 ntohs_bounded(__be16 v)
{
	__u32 h = bpf_ntohs(v);

	asm volatile("" : "+r"(h));
	return h & 0xffff;
}

static __always_inline bool mac_is_multicast(const __u8 *mac)
{
	return mac[0] & 1;	/* includes broadcast */
}

static __always_inline bool mac_is_zero(const __u8 *mac)
{
	return !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

/* Two loads per side, not six: MACs sit 2-byte aligned in headers and keys. */
static __always_inline bool mac_equal(const __u8 *a, const __u8 *b)
{
	return *(const __u32 *)a == *(const __u32 *)b &&
	       *(const __u16 *)(a + 4) == *(const __u16 *)(b + 4);
}

static __always_inline bool ipv4_is_multicast(__be32 addr)
{
	return (bpf_ntohl(addr) & 0xf0000000) == 0xe0000000;
}

/* Whether the instance has a local address of each family. Rodata: the
 * verifier knows the answer at load time and never sees the other branch. */
static __always_inline bool local4_set(void)
{
	return cfg_local_ip != 0;
}

static __always_inline bool local6_set(void)
{
	return (cfg_local_ip6[0] | cfg_local_ip6[1] | cfg_local_ip6[2] | cfg_local_ip6[3]) != 0;
}

/* A (packet or stack) IPv6 address as four words is our own address. */
static __always_inline bool ipv6_is_local(const __be32 *a)
{
	return !((a[0] ^ cfg_local_ip6[0]) | (a[1] ^ cfg_local_ip6[1]) |
		 (a[2] ^ cfg_local_ip6[2]) | (a[3] ^ cfg_local_ip6[3]));
}

/*
 * 1 when X is not 0, else 0, computed without a branch (the empty asm keeps
 * clang from turning it back into a compare, and from reusing an earlier
 * result): the verifier sees one unknown bit, not one path per outcome.
 */
static __always_inline __u64 nz_bit(__u64 x)
{
	__u64 neg = 0 - x;

	asm volatile("" : "+r"(neg));
	return (x | neg) >> 63;
}

/* !xvtep_addr_is_v4(A) as nz_bit() computes it: 1 for IPv6 (or zero). */
static __always_inline __u64 addr_v6_bit(const union xvtep_addr *a)
{
	return nz_bit((__u64)(a->w[0] | a->w[1]) | (__u64)(a->w[2] ^ XVTEP_ADDR_V4_MARK));
}

/* Whether the instance can send toward ADDR: it has a local address of
 * ADDR's family. */
static __always_inline bool addr_family_ok(const union xvtep_addr *a)
{
	return xvtep_addr_is_v4(a) ? local4_set() : local6_set();
}

#endif
