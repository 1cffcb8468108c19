/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test world's addresses, shared by the unit, security, malformed-frame
 * and fuzz suites: the devices of tests/unit/netns.sh and the MACs and VNIs
 * the suites configure on them.
 */
#ifndef XVTEP_UNIT_WORLD_H
#define XVTEP_UNIT_WORLD_H

#include <stdint.h>

#define IP_LOCAL	0xc6336401	/* 198.51.100.1: cfg_local_ip, on ut-up */
#define IP_PEER		0xc6336402	/* 198.51.100.2: permanent neighbour on ut-up */
#define IP_OTHER	0xc6336403	/* 198.51.100.3: no neighbour */
#define IP_GROUP	0xef010101	/* 239.1.1.1 */
#define VNI_A		100
#define VNI_B		200

static const uint8_t MAC_VM1[6] = { 0x02, 0xaa, 0, 0, 0, 0x01 };
static const uint8_t MAC_VM2[6] = { 0x02, 0xaa, 0, 0, 0, 0x02 };
static const uint8_t MAC_FAR[6] = { 0x02, 0xbb, 0, 0, 0, 0x01 };
static const uint8_t MAC_FAR2[6] = { 0x02, 0xbb, 0, 0, 0, 0x02 };
static const uint8_t MAC_BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MAC_MCAST[6] = { 0x01, 0x00, 0x5e, 0, 0, 0x01 };
static const uint8_t MAC_ZERO[6] = { 0 };

#endif
