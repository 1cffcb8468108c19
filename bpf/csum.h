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

#endif
