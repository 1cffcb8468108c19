// SPDX-License-Identifier: GPL-2.0
/*
 * Hardening unit tests (BPF_PROG_TEST_RUN on the real object, devices from
 * tests/unit/run.sh): VTEP allow-lists in XDP and TC decap, MAC-move
 * dampening, our own MACs never learned, FDB exhaustion (mac-limit and a
 * full map), the mirror sessions' rate limit. Entry point: security_tests().
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/pkt_cls.h>
#include "xvtep.h"
#include "xvtep.skel.h"
#include "unit.h"
#include "env.h"

#define IP_DOC3		0xcb007101	/* 203.0.113.1 */

static const uint8_t MAC_FAR3[6] = { 0x02, 0xbb, 0, 0, 0, 0x03 };

static int senv_open(struct env *e, uint32_t fdb_size, uint32_t mirror_ifindex)
{
	struct env_cfg c = { .sport_min = 49152, .sport_max = 65535, .fdb_size = fdb_size,
			     .mirror_ifindex = mirror_ifindex };

	return env_load(e, &c);
}

/* VNI A: learning, ports p1+p2, MAC_VM1 static on p1, MAC_VM2 static on p2.
 * VNI B: learning, no ports, remote PEER. */
static int senv_std(struct env *e, uint32_t fdb_size, uint32_t mirror_ifindex)
{
	struct xvtep_vni a = { .flags = XVTEP_VNI_F_LEARNING, .ageing = 300 };
	struct xvtep_vni b = { .flags = XVTEP_VNI_F_LEARNING, .ageing = 300, .nr_remotes = 1 };

	if (senv_open(e, fdb_size, mirror_ifindex))
		return -1;
	b.remotes[0] = a4(IP_PEER);
	vni_add(e, VNI_A, &a);
	vni_add(e, VNI_B, &b);
	port_add(e, e->ifi_p1, VNI_A);
	port_add(e, e->ifi_p2, VNI_A);
	fdb_set(e, VNI_A, MAC_VM1, e->ifi_p1, 0, XVTEP_FDB_F_STATIC);
	fdb_set(e, VNI_A, MAC_VM2, e->ifi_p2, 0, XVTEP_FDB_F_STATIC);
	return 0;
}

static uint64_t s_learned(struct env *e, uint32_t vni)
{
	struct xvtep_vstate vs = {};

	bpf_map_lookup_elem(e->vstate, &vni, &vs);
	return vs.learned;
}


/* VXLAN from outer source SRC into VNI, inner SMAC -> DMAC (UDP, not TCP: XDP fast path). */
static void s_vxlan(struct pkt *p, uint32_t src, uint32_t vni, const uint8_t *smac,
		    const uint8_t *dmac)
{
	struct outer_opts o = { .src = src, .dst = IP_LOCAL, .vni = vni };
	struct inner_opts in = { .dst = dmac, .src = smac, .proto = ETH_P_IP, .l4 = IPPROTO_UDP,
				 .payload = 64, .fill = 0x5a };

	build_vxlan(p, &o, &in);
}

/* A frame as a VM sends it into a port. */
static void s_eth(struct pkt *p, const uint8_t *smac, const uint8_t *dmac)
{
	struct inner_opts in = { .dst = dmac, .src = smac, .proto = ETH_P_IP, .l4 = IPPROTO_UDP,
				 .payload = 64, .fill = 0x33 };

	p->len = build_inner(p->buf, &in);
}

static void peer_put(struct env *e, uint32_t vni, uint32_t addr_host, uint32_t plen)
{
	/* an IPv4 /plen: 32 + 96 + plen over the mapped form (include/xvtep.h) */
	struct xvtep_peer_key k = { .prefixlen = 32 + 96 + plen, .vni = vni, .addr = a4(addr_host) };
	uint32_t zero = 0;

	k.addr.w[2] = XVTEP_ADDR_V4_MARK;	/* 0.0.0.0/N too: ::ffff:0.0.0.0/96+N */

	bpf_map_update_elem(e->peers, &k, &zero, BPF_ANY);
}

static void vni_flags(struct env *e, uint32_t vni, uint32_t set, uint32_t clear)
{
	struct xvtep_vni cfg;

	bpf_map_lookup_elem(e->vnis, &vni, &cfg);
	cfg.flags = (cfg.flags & ~clear) | set;
	bpf_map_update_elem(e->vnis, &vni, &cfg, BPF_ANY);
	env_written(e);
}

/* ------------------------------------------------------------ allow-list */

static void test_peer_allow_list(void)
{
	const uint32_t filt = XVTEP_VNI_F_PEER_FILTER, own = XVTEP_VNI_F_PEER_OWN;
	struct xvtep_fdb_entry fe;
	struct xvtep_stats s;
	struct env e;
	struct pkt p = {};
	struct run r;

	if (senv_std(&e, 1024, 0))
		return (void)CHECK(0, "peer setup", "load failed");

	/* Entries in the map but no flag on the VNI: behaviour as before. */
	peer_put(&e, VNI_A, IP_DOC3, 32);
	s_vxlan(&p, IP_OTHER, VNI_A, MAC_FAR, MAC_VM1);
	r = run_xdp(&e, &p);
	CHECK(r.retval == XDP_REDIRECT && !fdb_get(&e, VNI_A, MAC_FAR, &fe),
	      "peer: VNI without the filter flag accepts any VTEP (no list = as before)",
	      "retval %u", r.retval);

	/* Own list {PEER/32}: OTHER is refused before learning, in XDP and TC. */
	peer_put(&e, VNI_A, IP_PEER, 32);
	vni_flags(&e, VNI_A, filt | own, 0);
	s_vxlan(&p, IP_OTHER, VNI_A, MAC_FAR2, MAC_VM1);
	r = run_xdp(&e, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == XDP_DROP && s.drops[XVTEP_DROP_PEER_DENIED] == 1 &&
	      fdb_get(&e, VNI_A, MAC_FAR2, &fe) != 0,
	      "peer: XDP drops a VTEP outside the VNI's list, counts peer_denied, learns nothing",
	      "retval %u peer_denied %llu", r.retval,
	      (unsigned long long)s.drops[XVTEP_DROP_PEER_DENIED]);
	r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_SHOT && s.drops[XVTEP_DROP_PEER_DENIED] == 2 &&
	      fdb_get(&e, VNI_A, MAC_FAR2, &fe) != 0,
	      "peer: TC decap drops it too, counted once more, learns nothing",
	      "retval %u peer_denied %llu", r.retval,
	      (unsigned long long)s.drops[XVTEP_DROP_PEER_DENIED]);
	/* Flooded (broadcast) frames take the TC path: refused there as well. */
	{
		static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

		s_vxlan(&p, IP_OTHER, VNI_A, MAC_FAR2, bc);
		r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
		s = stats_of(&e, VNI_A);
		CHECK(r.retval == TC_ACT_SHOT && s.drops[XVTEP_DROP_PEER_DENIED] == 3 &&
		      s.events[XVTEP_EV_FLOODED] == 0,
		      "peer: a refused broadcast is not flooded", "retval %u", r.retval);
	}
	s_vxlan(&p, IP_PEER, VNI_A, MAC_FAR2, MAC_VM1);
	r = run_xdp(&e, &p);
	CHECK(r.retval == XDP_REDIRECT && !fdb_get(&e, VNI_A, MAC_FAR2, &fe) &&
	      addr_is4(&fe.remote, IP_PEER),
	      "peer: a listed VTEP is forwarded and learned", "retval %u", r.retval);
	r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	CHECK_EQ(r.retval, TC_ACT_REDIRECT, "peer: a listed VTEP passes TC decap");

	/* Prefixes: 198.51.100.0/30 admits .3. */
	peer_put(&e, VNI_A, 0xc6336400, 30);
	s_vxlan(&p, IP_OTHER, VNI_A, MAC_FAR3, MAC_VM1);
	r = run_xdp(&e, &p);
	CHECK(r.retval == XDP_REDIRECT && !fdb_get(&e, VNI_A, MAC_FAR3, &fe),
	      "peer: a prefix admits every address inside it", "retval %u", r.retval);

	/* Default list: VNI B has no own list, the default holds 203.0.113.0/24. */
	peer_put(&e, XVTEP_PEER_DEFAULT, 0xcb007100, 24);
	vni_flags(&e, VNI_B, filt, own);
	s_vxlan(&p, IP_PEER, VNI_B, MAC_FAR, MAC_VM1);
	r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	s = stats_of(&e, VNI_B);
	CHECK(r.retval == TC_ACT_SHOT && s.drops[XVTEP_DROP_PEER_DENIED] == 1 &&
	      fdb_get(&e, VNI_B, MAC_FAR, &fe) != 0,
	      "peer: the default list applies to a VNI without its own", "retval %u", r.retval);
	peer_put(&e, XVTEP_PEER_DEFAULT, IP_PEER, 32);
	run_tc(&e, TC_UP(&e), e.ifi_up, &p);	/* B has no port: flooded nowhere */
	s = stats_of(&e, VNI_B);
	CHECK(s.drops[XVTEP_DROP_PEER_DENIED] == 1 && s.drops[XVTEP_DROP_NO_DEST] == 1 &&
	      !fdb_get(&e, VNI_B, MAC_FAR, &fe) && addr_is4(&fe.remote, IP_PEER),
	      "peer: an address added to the default list is admitted and learned",
	      "peer_denied %llu no_dest %llu", (unsigned long long)s.drops[XVTEP_DROP_PEER_DENIED],
	      (unsigned long long)s.drops[XVTEP_DROP_NO_DEST]);
	/* VNI A's own list replaces the default one: PEER is in the default... and in
	 * A's; 203.0.113.1 is only in the default, so A refuses it. */
	s_vxlan(&p, IP_DOC3 + 1, VNI_A, MAC_FAR, MAC_VM1);
	r = run_xdp(&e, &p);
	CHECK_EQ(r.retval, XDP_DROP, "peer: a VNI's own list replaces the default list");
	env_close(&e);
}

/* ------------------------------------------------------------ move dampening */

static void test_move_dampening(void)
{
	struct xvtep_vni_sec sec = { .move_limit = 3, .move_window = 60, .move_hold = 60 };
	struct xvtep_fdb_entry fe;
	struct xvtep_stats s;
	struct env e;
	struct pkt p = {};
	struct run r;
	uint32_t vni = VNI_A;
	union xvtep_addr where;
	int ok = 0;

	if (senv_std(&e, 1024, 0))
		return (void)CHECK(0, "move setup", "load failed");
	bpf_map_update_elem(e.vsec, &vni, &sec, BPF_ANY);

	/* Learn FAR behind PEER, then move it 3 times (PEER<->OTHER): allowed. */
	s_vxlan(&p, IP_PEER, VNI_A, MAC_FAR, MAC_VM1);
	run_xdp(&e, &p);
	for (int i = 0; i < 3; i++) {
		s_vxlan(&p, i % 2 ? IP_PEER : IP_OTHER, VNI_A, MAC_FAR, MAC_VM1);
		ok += run_xdp(&e, &p).retval == XDP_REDIRECT;
	}
	s = stats_of(&e, VNI_A);
	CHECK(ok == 3 && s.events[XVTEP_EV_MOVED] == 3 && !fdb_get(&e, VNI_A, MAC_FAR, &fe) &&
	      addr_is4(&fe.remote, IP_OTHER) && !(fe.flags & XVTEP_FDB_F_FROZEN),
	      "move-limit 3: three moves are followed", "ok %d moved %llu flags %u", ok,
	      (unsigned long long)s.events[XVTEP_EV_MOVED], fe.flags);
	where = fe.remote;

	/* The 4th move within the window freezes the entry where it is. */
	s_vxlan(&p, IP_PEER, VNI_A, MAC_FAR, MAC_VM1);
	r = run_xdp(&e, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == XDP_DROP && s.drops[XVTEP_DROP_MAC_FROZEN] == 1 &&
	      s.events[XVTEP_EV_MOVE_FROZEN] == 1 && s.events[XVTEP_EV_MOVED] == 3 &&
	      !fdb_get(&e, VNI_A, MAC_FAR, &fe) && (fe.flags & XVTEP_FDB_F_FROZEN) &&
	      xvtep_addr_equal(&fe.remote, &where),
	      "4th move in the window: dropped (mac_frozen), entry frozen in place",
	      "retval %u frozen drops %llu flags %u", r.retval,
	      (unsigned long long)s.drops[XVTEP_DROP_MAC_FROZEN], fe.flags);

	/* While frozen: claims from elsewhere dropped in TC and on a port too... */
	r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	s_eth(&p, MAC_FAR, MAC_VM2);
	struct run rp = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_SHOT && rp.retval == TC_ACT_SHOT &&
	      s.drops[XVTEP_DROP_MAC_FROZEN] == 3 && !fdb_get(&e, VNI_A, MAC_FAR, &fe) &&
	      xvtep_addr_equal(&fe.remote, &where),
	      "frozen: claims via TC decap and from a local port are dropped too",
	      "tc %u port %u frozen drops %llu", r.retval, rp.retval,
	      (unsigned long long)s.drops[XVTEP_DROP_MAC_FROZEN]);
	/* ...while its owner keeps talking. */
	s_vxlan(&p, ntohl(where.w[3]), VNI_A, MAC_FAR, MAC_VM1);
	r = run_xdp(&e, &p);
	CHECK_EQ(r.retval, XDP_REDIRECT, "frozen: frames from where the entry is still pass");

	/* Hold over (its end in the past): the next claim moves it, unfrozen. */
	fdb_get(&e, VNI_A, MAC_FAR, &fe);
	fe.pad = 1;	/* the hold's end, in the past */
	{
		struct xvtep_fdb_key k = { .vni = VNI_A };

		memcpy(k.mac, MAC_FAR, 6);
		bpf_map_update_elem(e.fdb, &k, &fe, BPF_EXIST);
		env_written(&e);
	}
	s_vxlan(&p, IP_PEER, VNI_A, MAC_FAR, MAC_VM1);
	r = run_xdp(&e, &p);
	CHECK(r.retval == XDP_REDIRECT && !fdb_get(&e, VNI_A, MAC_FAR, &fe) &&
	      addr_is4(&fe.remote, IP_PEER) && !(fe.flags & XVTEP_FDB_F_FROZEN),
	      "after the hold the entry moves again and is no longer frozen", "flags %u",
	      fe.flags);

	/* move-limit 0: no dampening at all. */
	sec.move_limit = 0;
	bpf_map_update_elem(e.vsec, &vni, &sec, BPF_ANY);
	ok = 0;
	for (int i = 0; i < 30; i++) {
		s_vxlan(&p, i % 2 ? IP_PEER : IP_OTHER, VNI_A, MAC_FAR, MAC_VM1);
		ok += run_xdp(&e, &p).retval == XDP_REDIRECT;
	}
	s = stats_of(&e, VNI_A);
	CHECK(ok == 30 && s.events[XVTEP_EV_MOVE_FROZEN] == 1,
	      "move-limit 0: 30 moves, none refused", "ok %d", ok);

	/* No settings for the VNI: the default (XVTEP_MOVE_LIMIT_DEFAULT moves). */
	bpf_map_delete_elem(e.vsec, &vni);
	s_vxlan(&p, IP_PEER, VNI_A, MAC_FAR2, MAC_VM1);
	run_xdp(&e, &p);
	ok = 0;
	for (int i = 0; i < XVTEP_MOVE_LIMIT_DEFAULT + 1; i++) {
		s_vxlan(&p, i % 2 ? IP_PEER : IP_OTHER, VNI_A, MAC_FAR2, MAC_VM1);
		ok += run_xdp(&e, &p).retval == XDP_REDIRECT;
	}
	CHECK(ok == XVTEP_MOVE_LIMIT_DEFAULT && !fdb_get(&e, VNI_A, MAC_FAR2, &fe) &&
	      (fe.flags & XVTEP_FDB_F_FROZEN),
	      "default dampening: the move after the default limit freezes", "ok %d flags %u",
	      ok, fe.flags);
	env_close(&e);
}

/* ------------------------------------------------------------ own MACs */

static int dev_mac(const char *dev, uint8_t mac[6])
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ret = -1;

	strncpy(ifr.ifr_name, dev, IFNAMSIZ - 1);
	if (fd >= 0 && !ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
		ret = 0;
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

static void test_own_macs(void)
{
	struct xvtep_mac_key mk = {};
	struct xvtep_fdb_entry fe;
	struct xvtep_stats s;
	struct env e;
	struct pkt p = {};
	struct run r;
	uint8_t p1mac[6];

	if (senv_std(&e, 1024, 0) || dev_mac("ut-p1", p1mac))
		return (void)CHECK(0, "own mac setup", "load failed");
	memcpy(mk.mac, p1mac, 6);
	bpf_map_update_elem(e.ownmacs, &mk, &(uint32_t){ e.ifi_p1 }, BPF_ANY);

	/* The uplink's MAC (rodata) from a remote VTEP: XDP and TC. */
	s_vxlan(&p, IP_PEER, VNI_A, MAC_UPLINK, MAC_VM1);
	r = run_xdp(&e, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == XDP_DROP && s.drops[XVTEP_DROP_OWN_MAC] == 1 &&
	      fdb_get(&e, VNI_A, MAC_UPLINK, &fe) != 0,
	      "own mac: the uplink MAC from a VTEP is dropped (XDP), counted, not learned",
	      "retval %u own_mac %llu", r.retval, (unsigned long long)s.drops[XVTEP_DROP_OWN_MAC]);
	r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_SHOT && s.drops[XVTEP_DROP_OWN_MAC] == 2 &&
	      fdb_get(&e, VNI_A, MAC_UPLINK, &fe) != 0,
	      "own mac: ... and in TC decap", "retval %u", r.retval);

	/* A port's MAC, from a VTEP and from another port. */
	s_vxlan(&p, IP_PEER, VNI_A, p1mac, MAC_VM1);
	r = run_xdp(&e, &p);
	s_eth(&p, p1mac, MAC_VM1);
	struct run rp = run_tc(&e, TC_PORT(&e), e.ifi_p2, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == XDP_DROP && rp.retval == TC_ACT_SHOT &&
	      s.drops[XVTEP_DROP_OWN_MAC] == 4 && fdb_get(&e, VNI_A, p1mac, &fe) != 0,
	      "own mac: a port's MAC from a VTEP or another port is dropped, not learned",
	      "xdp %u port %u own_mac %llu", r.retval, rp.retval,
	      (unsigned long long)s.drops[XVTEP_DROP_OWN_MAC]);

	/* nolearning VNI: nothing is learned anyway, no lookup is paid, no own_mac. */
	vni_flags(&e, VNI_A, 0, XVTEP_VNI_F_LEARNING);
	s_vxlan(&p, IP_PEER, VNI_A, MAC_UPLINK, MAC_VM1);
	r = run_xdp(&e, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == XDP_REDIRECT && s.drops[XVTEP_DROP_OWN_MAC] == 4 &&
	      fdb_get(&e, VNI_A, MAC_UPLINK, &fe) != 0,
	      "own mac: a nolearning VNI skips the check and still learns nothing",
	      "retval %u", r.retval);
	vni_flags(&e, VNI_A, XVTEP_VNI_F_LEARNING, 0);

	/* Everyone else is learned as before. */
	s_eth(&p, MAC_FAR, MAC_VM1);
	rp = run_tc(&e, TC_PORT(&e), e.ifi_p2, &p);
	CHECK(rp.retval == TC_ACT_REDIRECT && !fdb_get(&e, VNI_A, MAC_FAR, &fe) &&
	      fe.ifindex == (uint32_t)e.ifi_p2,
	      "own mac: other sources are still learned", "retval %u", rp.retval);
	env_close(&e);
}

/* ------------------------------------------------------------ FDB exhaustion */

static void rand_mac(uint8_t mac[6])
{
	for (int i = 0; i < 6; i++)
		mac[i] = rand();
	mac[0] = (mac[0] & 0xfc) | 0x02;	/* unicast, locally administered */
}

/* 100,000 random sources into VNI A (mac-limit 1000), FDB of 4096. */
static void test_fdb_exhaustion(void)
{
	struct xvtep_vni cfg;
	struct xvtep_fdb_entry fe, b1, b2, b1_after, b2_after;
	struct xvtep_stats s;
	struct env e;
	struct pkt p = {};
	struct run r;
	uint32_t vni = VNI_A, ifi;
	uint8_t mac[6];
	int redirected = 0, n = 100000;

	if (senv_std(&e, 4096, 0))
		return (void)CHECK(0, "exhaustion setup", "load failed");
	bpf_map_lookup_elem(e.vnis, &vni, &cfg);
	cfg.mac_limit = 1000;
	bpf_map_update_elem(e.vnis, &vni, &cfg, BPF_ANY);
	env_written(&e);
	/* VNI B: a static entry and a learned one, which the flood must not touch. */
	fdb_set(&e, VNI_B, MAC_FAR, 0, IP_PEER, XVTEP_FDB_F_STATIC);
	s_vxlan(&p, IP_OTHER, VNI_B, MAC_FAR2, MAC_VM1);
	run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	fdb_get(&e, VNI_B, MAC_FAR, &b1);
	fdb_get(&e, VNI_B, MAC_FAR2, &b2);
	/* VNI A: a static entry behind a VTEP, for the encap check. */
	fdb_set(&e, VNI_A, MAC_FAR3, 0, IP_PEER, XVTEP_FDB_F_STATIC);

	srand(4789);
	for (int i = 0; i < n; i++) {
		rand_mac(mac);
		s_vxlan(&p, IP_PEER, VNI_A, mac, MAC_VM1);
		redirected += run_xdp(&e, &p).retval == XDP_REDIRECT;
	}
	s = stats_of(&e, VNI_A);
	CHECK(s_learned(&e, VNI_A) <= 1000 && fdb_count(&e, VNI_A, true) <= 1000 &&
	      (uint64_t)fdb_count(&e, VNI_A, true) == s_learned(&e, VNI_A) &&
	      s.events[XVTEP_EV_LEARNED] == s_learned(&e, VNI_A) &&
	      s.events[XVTEP_EV_LEARN_LIMIT] + s.events[XVTEP_EV_LEARNED] == (uint64_t)n,
	      "flood of 100000 MACs: learned entries stay at or below mac-limit 1000",
	      "learned %llu entries %d learn_limit %llu", (unsigned long long)s_learned(&e, VNI_A),
	      fdb_count(&e, VNI_A, true), (unsigned long long)s.events[XVTEP_EV_LEARN_LIMIT]);
	CHECK_EQ(redirected, n, "flood: every flood frame to a known MAC was still forwarded");
	CHECK(!fdb_get(&e, VNI_A, MAC_VM1, &fe) && (fe.flags & XVTEP_FDB_F_STATIC) &&
	      fe.ifindex == (uint32_t)e.ifi_p1 && !fdb_get(&e, VNI_A, MAC_VM2, &fe) &&
	      fe.ifindex == (uint32_t)e.ifi_p2 && !fdb_get(&e, VNI_A, MAC_FAR3, &fe) &&
	      addr_is4(&fe.remote, IP_PEER),
	      "flood: static entries of the VNI untouched", "%s", "");
	CHECK(!fdb_get(&e, VNI_B, MAC_FAR, &b1_after) && !memcmp(&b1, &b1_after, sizeof(b1)) &&
	      !fdb_get(&e, VNI_B, MAC_FAR2, &b2_after) && !memcmp(&b2, &b2_after, sizeof(b2)) &&
	      fdb_count(&e, VNI_B, false) == 2 && s_learned(&e, VNI_B) == 1,
	      "flood: the other VNI's entries and learned count untouched", "entries %d",
	      fdb_count(&e, VNI_B, false));

	/* Forwarding to known MACs: with only p1 in the devmap, VM1 (p1) is
	 * redirected and VM2 (p2) is not: the target comes from each entry. */
	ifi = e.ifi_p2;
	bpf_map_delete_elem(e.devmap, &ifi);
	rand_mac(mac);
	s_vxlan(&p, IP_PEER, VNI_A, mac, MAC_VM1);
	r = run_xdp(&e, &p);
	CHECK(r.retval == XDP_REDIRECT && r.out_len == p.len - 50 &&
	      !memcmp(r.out, p.buf + 50, r.out_len),
	      "after the flood: XDP redirects to VM1's port (p1), inner frame intact",
	      "retval %u", r.retval);
	s_vxlan(&p, IP_PEER, VNI_A, mac, MAC_VM2);
	r = run_xdp(&e, &p);
	CHECK_EQ(r.retval, XDP_PASS,
		 "after the flood: VM2's frame targets p2 (absent from devmap): left to TC");
	bpf_map_update_elem(e.devmap, &ifi, &ifi, BPF_ANY);
	r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	CHECK_EQ(r.retval, TC_ACT_REDIRECT, "after the flood: TC decap redirects known unicast");
	/* Encap from p1 toward FAR3 (static, behind PEER): outer header to PEER. */
	s_eth(&p, MAC_VM1, MAC_FAR3);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	{
		struct iphdr *ip = (void *)(r.out + 14);

		CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len + 50 &&
		      ip->daddr == htonl(IP_PEER) && !memcmp(r.out, MAC_PEER, 6),
		      "after the flood: encap to a known remote MAC goes to its VTEP",
		      "retval %u len %u", r.retval, r.out_len);
	}
	env_close(&e);
}

/* The FDB map itself full: learning refused (fdb_full), static entries stay. */
static void test_fdb_full(void)
{
	struct xvtep_fdb_entry fe;
	struct xvtep_stats s;
	struct env e;
	struct pkt p = {};
	uint8_t mac[6];
	int redirected = 0, n = 1000, size = 256;

	if (senv_std(&e, size, 0))
		return (void)CHECK(0, "fdb full setup", "load failed");
	srand(1);
	for (int i = 0; i < n; i++) {
		rand_mac(mac);
		s_vxlan(&p, IP_PEER, VNI_A, mac, MAC_VM1);
		redirected += run_xdp(&e, &p).retval == XDP_REDIRECT;
	}
	s = stats_of(&e, VNI_A);
	CHECK(fdb_count(&e, 0, false) == size && s_learned(&e, VNI_A) == (uint64_t)size - 2 &&
	      s.events[XVTEP_EV_FDB_FULL] == (uint64_t)(n - (size - 2)) && redirected == n,
	      "full FDB map: learning refused and counted as fdb_full, forwarding goes on",
	      "entries %d learned %llu fdb_full %llu redirected %d", fdb_count(&e, 0, false),
	      (unsigned long long)s_learned(&e, VNI_A),
	      (unsigned long long)s.events[XVTEP_EV_FDB_FULL], redirected);
	CHECK(!fdb_get(&e, VNI_A, MAC_VM1, &fe) && (fe.flags & XVTEP_FDB_F_STATIC) &&
	      !fdb_get(&e, VNI_A, MAC_VM2, &fe) && (fe.flags & XVTEP_FDB_F_STATIC),
	      "full FDB map: static entries never evicted", "%s", "");
	env_close(&e);
}

/* ------------------------------------------------------------ mirror rate */

static uint64_t mstat_drop(struct env *e, uint32_t slot, int reason)
{
	struct xvtep_mirror_stats per[256];
	uint64_t n = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.xvtep_mstats), &slot, per))
		return ~0ULL;
	for (int c = 0; c < ncpus; c++)
		n += per[c].drops[reason];
	return n;
}

static void test_mirror_rate(void)
{
	struct xvtep_mirror m = { .id = 1, .kind = XVTEP_MIRROR_SPAN, .dir = 3 };
	struct xvtep_mirror_rate rate = { .rate = 1, .burst = 5 };
	struct xvtep_port port = { .vni = VNI_A, .mirror_rx = 1 << 0 };
	struct env e;
	struct pkt p = {};
	struct timespec t0, t1;
	uint32_t slot = 0, ifi;
	uint64_t limited, clones;
	int fwd = 0;

	if (senv_std(&e, 1024, if_nametoindex("ut-p2")))
		return (void)CHECK(0, "mirror rate setup", "load failed");
	m.dest_ifindex = e.ifi_p2;
	bpf_map_update_elem(bpf_map__fd(e.skel->maps.xvtep_mirrors), &slot, &m, BPF_ANY);
	ifi = e.ifi_p1;
	bpf_map_update_elem(e.ports, &ifi, &port, BPF_ANY);
	bpf_map_update_elem(e.mrate, &slot, &rate, BPF_ANY);

	/* rate 1/s, burst 5: of 20 frames in well under a second, 5 (6 if a
	 * second went by) get a copy; the others are counted. */
	s_eth(&p, MAC_FAR, MAC_VM2);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 20; i++)
		fwd += run_tc(&e, TC_PORT(&e), e.ifi_p1, &p).retval == TC_ACT_REDIRECT;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	limited = mstat_drop(&e, slot, XVTEP_MDROP_RATE);
	clones = mstat_drop(&e, slot, XVTEP_MDROP_CLONE);
	CHECK(fwd == 20 && clones == 0 &&
	      (limited == 15 || (limited == 14 && t1.tv_sec - t0.tv_sec >= 1)),
	      "mirror rate 1 burst 5: 15 of 20 copies dropped as rate_limited, all 20 forwarded",
	      "rate_limited %llu clone_failed %llu forwarded %d", (unsigned long long)limited,
	      (unsigned long long)clones, fwd);

	/* rate 0: unlimited again. */
	rate = (struct xvtep_mirror_rate){};
	bpf_map_update_elem(e.mrate, &slot, &rate, BPF_ANY);
	for (int i = 0; i < 20; i++)
		run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	CHECK_EQ(mstat_drop(&e, slot, XVTEP_MDROP_RATE), limited,
		 "mirror rate 0: no copy rate-limited");
	env_close(&e);
}

void security_tests(void)
{
	test_peer_allow_list();
	test_move_dampening();
	test_own_macs();
	test_fdb_exhaustion();
	test_fdb_full();
	test_mirror_rate();
}
