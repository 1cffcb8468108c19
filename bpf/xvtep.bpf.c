/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xvtep dataplane: one object, one skeleton; each hook lives in its own file:
 *   xdp_uplink.c  XDP on the uplink: decap fast path
 *   tc_uplink.c   TC ingress on the uplink: full decap, flooding
 *   tc_port.c     TC ingress on VM-facing ports: learning, switching, encap
 *   xdp_port.c    XDP on ports with `encap xdp`: encap fast path
 *   gc.c          ageing sweep (bpf_timer)
 *   neigh.h       ARP/ND suppression, used by tc_port.c
 *   tc_mirror.c   mirror sources on egress, and the copies' shaping (SPAN/RSPAN/ERSPAN)
 *   xdp_mirror.c  the copies XDP made: shaped and sent by XDP where it can
 */
#include "common.h"
#include "maps.h"
#include "stats.h"
#include "csum.h"
#include "fdb.h"
#include "neigh.h"
#include "vxlan.h"
#include "mirror.h"
#include "vlan.h"

#include "xdp_uplink.c"
#include "tc_uplink.c"
#include "tc_port.c"
#include "xdp_port.c"
#include "gc.c"
#include "tc_mirror.c"
#include "xdp_mirror.c"

char LICENSE[] SEC("license") = "GPL";
