/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test world's addresses, shared by the unit, security, malformed-frame
 * and fuzz suites: the devices of tests/unit/netns.sh and the MACs and VNIs
 * the suites configure on them.
 */
#ifndef XVTEP_UNIT_WORLD_H
#define XVTEP_UNIT_WORLD_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include "xvtep.h"

#define IP_LOCAL	0xc6336401	/* 198.51.100.1: cfg_local_ip, on ut-up */
#define IP_PEER		0xc6336402	/* 198.51.100.2: permanent neighbour on ut-up */
#define IP_OTHER	0xc6336403	/* 198.51.100.3: no neighbour */
#define IP_GROUP	0xef010101	/* 239.1.1.1 */
/* IPv6 underlay (tests/unit/netns.sh puts IP6_LOCAL on ut-up, IP6_PEER as
 * a permanent neighbour there; IP6_OTHER has none). Host-independent bytes. */
#define IP6_LOCAL	"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"	/* 2001:db8::1 */
#define IP6_PEER	"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02"	/* 2001:db8::2 */
#define IP6_OTHER	"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x03"	/* 2001:db8::3 */
#define IP6_GROUP	"\xff\x05\0\0\0\0\0\0\0\0\0\0\x0d\xb8\0\x01"	/* ff05::db8:1 */
#define IP6_GROUP2	"\xff\x05\0\0\0\0\0\0\0\0\0\0\x0d\xb8\0\x02"	/* ff05::db8:2 */
#define VNI_A		100
#define VNI_B		200

static const uint8_t MAC_VM1[6] = { 0x02, 0xaa, 0, 0, 0, 0x01 };
static const uint8_t MAC_VM2[6] = { 0x02, 0xaa, 0, 0, 0, 0x02 };
static const uint8_t MAC_FAR[6] = { 0x02, 0xbb, 0, 0, 0, 0x01 };
static const uint8_t MAC_FAR2[6] = { 0x02, 0xbb, 0, 0, 0, 0x02 };
static const uint8_t MAC_BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MAC_MCAST[6] = { 0x01, 0x00, 0x5e, 0, 0, 0x01 };
static const uint8_t MAC_ZERO[6] = { 0 };

/* An IPv4 address (host order) in its ABI form: mapped, 0 = none. */
static inline union xvtep_addr a4(uint32_t host)
{
	union xvtep_addr a;

	xvtep_addr_set_v4(&a, htonl(host));
	return a;
}

/* An IPv6 address from its 16 bytes (one of the IP6_* strings). */
static inline union xvtep_addr a6(const char *bytes)
{
	union xvtep_addr a;

	memcpy(a.b, bytes, 16);
	return a;
}

/* a holds the IPv4 address host (host order). */
static inline bool addr_is4(const union xvtep_addr *a, uint32_t host)
{
	union xvtep_addr b = a4(host);

	return xvtep_addr_equal(a, &b);
}

static inline bool addr_is6(const union xvtep_addr *a, const char *bytes)
{
	return !memcmp(a->b, bytes, 16);
}

#endif
