/* SPDX-License-Identifier: GPL-2.0 */
#ifndef XVTEP_BPF_CSUM_H
#define XVTEP_BPF_CSUM_H

#include "common.h"

static __always_inline __u16 csum_fold32(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Header checksum of an option-less IPv4 header (check field zero on entry). */
static __always_inline __u16 ipv4_csum(const struct iphdr *ip)
{
	const __u16 *w = (const __u16 *)ip;
	__u32 sum = 0;

#pragma unroll
	for (int i = 0; i < (int)(sizeof(*ip) / 2); i++)
		sum += w[i];
	return csum_fold32(sum);
}

/*
 * XDP: fill in the TCP/UDP checksum of the L4_LEN bytes at packet offset
 * L4_OFF, seeded with the pseudo-header sum PSEUDO; CHECK points at the
 * checksum field (bounds checked by the caller). For frames whose pending
 * checksum (CHECKSUM_PARTIAL) the kernel dropped when XDP took them.
 * bpf_csum_diff sums at most 512 bytes, a multiple of 4, from memory the
 * verifier can bound: each chunk is copied into a per-CPU scratch buffer
 * with bpf_xdp_load_bytes (offset and length checked at run time), the odd
 * tail zero-padded. The iterations look alike, so the verifier's cost stays
 * linear where packet pointers with a different offset on every path did
 * not (it gave up at 1M instructions). Up to L4_CSUM_MAX_LEN bytes.
 */
#define L4_CSUM_MAX_LEN	4096
#define CSUM_CHUNK	512

struct csum_scratch {
	__u8 buf[CSUM_CHUNK + 4];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct csum_scratch);
} xvtep_csum_scratch SEC(".maps");

static __always_inline int l4_csum_fill(struct xdp_md *ctx, __u32 l4_off, __u32 l4_len,
					__u16 *check, __u32 pseudo, bool udp)
{
	struct csum_scratch *s;
	__u32 zero = 0, sum = pseudo;
	__u64 done = 0;	/* 64-bit: no zero-extended copies for the verifier to lose */

	if (l4_len > L4_CSUM_MAX_LEN)
		return -1;
	s = bpf_map_lookup_elem(&xvtep_csum_scratch, &zero);
	if (!s)
		return -1;
	*check = 0;
	for (int i = 0; i < L4_CSUM_MAX_LEN / CSUM_CHUNK; i++) {
		__u64 n = (__u64)l4_len - done, padded;

		/* Signed, not `!n`: before 6.8 the verifier learns nothing from
		 * n != 0, and bpf_xdp_load_bytes wants n >= 1 proven. */
		if ((__s64)n <= 0)
			break;
		if (n > CSUM_CHUNK)
			n = CSUM_CHUNK;
		/* Keep the clamped value for the verifier: clang would reuse the
		 * unclamped register on one path. */
		asm volatile("" : "+r"(n));
		/* Zero the last word first: the bytes rounding up to 4 add stay 0. */
		*(__u32 *)&s->buf[n & ~3ULL] = 0;
		if (bpf_xdp_load_bytes(ctx, l4_off + done, s->buf, n))
			return -1;
		padded = (n + 3) & ~3ULL;
		sum = bpf_csum_diff(NULL, 0, (__be32 *)s->buf, padded, sum);
		done += n;
	}
	*check = csum_fold32(sum);
	if (udp && !*check)
		*check = 0xffff;	/* 0 would mean "no checksum" (RFC 768) */
	return 0;
}

#endif
