// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the real xvtep object under BPF_PROG_TEST_RUN. Each case loads
 * a fresh skeleton, writes map state, runs a crafted frame through one
 * program and checks the verdict, the output bytes and the maps.
 * Run through tests/unit/run.sh, which provides the devices they reference.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <sched.h>
#include <string.h>
#include <net/if.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include "xvtep.h"
#include "xvtep.skel.h"
#include "unit.h"
#include "xvtep_lib.h"
#include "env.h"

int unit_failed, unit_passed;
void security_tests(void);	/* tests/unit/security.c */
void test_features(void);	/* tests/unit/features.c */


static uint32_t env_mirror_ifindex;	/* cfg_mirror_ifindex for the next env_open() */

static int env_open(struct env *e, uint16_t sport_min, uint16_t sport_max, uint8_t xdp_tcp)
{
	struct env_cfg c = { .sport_min = sport_min, .sport_max = sport_max, .xdp_tcp = xdp_tcp,
			     .mirror_ifindex = env_mirror_ifindex };

	return env_load(e, &c);
}

/* VNI A: learning, ports p1+p2. VNI B: learning, no ports, remote PEER. */
static int env_std(struct env *e, uint16_t smin, uint16_t smax, uint8_t xdp_tcp)
{
	struct xvtep_vni a = { .flags = XVTEP_VNI_F_LEARNING, .ageing = 300 };
	struct xvtep_vni b = { .flags = XVTEP_VNI_F_LEARNING, .ageing = 300, .nr_remotes = 1 };

	if (env_open(e, smin, smax, xdp_tcp))
		return -1;
	b.remotes[0] = a4(IP_PEER);
	vni_add(e, VNI_A, &a);
	vni_add(e, VNI_B, &b);
	port_add(e, e->ifi_p1, VNI_A);
	port_add(e, e->ifi_p2, VNI_A);
	return 0;
}

static uint64_t drops_total(struct xvtep_stats *s)
{
	uint64_t n = 0;

	for (int i = 0; i < XVTEP_DROP_SLOTS; i++)
		n += s->drops[i];
	return n;
}

static const struct inner_opts IN_UNICAST = {
	.dst = MAC_VM1, .src = MAC_FAR, .proto = ETH_P_IP, .l4 = IPPROTO_UDP, .payload = 64,
	.fill = 0x5a,
};

static struct outer_opts out_std(void)
{
	return (struct outer_opts){ .src = IP_PEER, .dst = IP_LOCAL, .vni = VNI_A };
}

/* ---------------------------------------------------------------- decap, XDP */

static void test_xdp_not_ours(void)
{
	struct env e;
	struct pkt p = {};
	struct inner_opts arp = { .dst = MAC_BCAST, .src = MAC_PEER, .proto = ETH_P_ARP,
				  .payload = 28 };
	struct outer_opts o = out_std();
	struct run r;

	if (env_std(&e, 49152, 65535, 0))
		return (void)CHECK(0, "xdp setup", "load failed");
	p.len = build_inner(p.buf, &arp);
	r = run_xdp(&e, &p);
	CHECK(r.retval == XDP_PASS && r.out_len == p.len && !memcmp(r.out, p.buf, p.len),
	      "xdp passes non-IP frames untouched", "retval %u", r.retval);

	o.dport = 4790;
	build_vxlan(&p, &o, &IN_UNICAST);
	r = run_xdp(&e, &p);
	CHECK(r.retval == XDP_PASS && !memcmp(r.out, p.buf, p.len),
	      "xdp passes UDP to another port untouched", "retval %u", r.retval);

	o = out_std();
	o.dst = 0xc6336463;	/* not our address, unicast */
	build_vxlan(&p, &o, &IN_UNICAST);
	r = run_xdp(&e, &p);
	CHECK_EQ(r.retval, XDP_PASS, "xdp passes VXLAN addressed to another host");

	o = out_std();
	o.frag_off = 0x2000;	/* MF: the stack reassembles, we cannot */
	build_vxlan(&p, &o, &IN_UNICAST);
	r = run_xdp(&e, &p);
	CHECK_EQ(r.retval, XDP_PASS, "xdp passes outer fragments to the stack");

	o = out_std();
	build_vxlan(&p, &o, &IN_UNICAST);
	p.len = 14 + 20 + 4;	/* UDP header cut: cannot even see the port */
	r = run_xdp(&e, &p);
	CHECK_EQ(r.retval, XDP_PASS, "xdp passes frames too short to classify");

	for (size_t len = 0; len < 14; len += 13) {
		p.len = len ? len : 1;
		r = run_xdp(&e, &p);
		CHECK(r.err == 0 ? r.retval == XDP_PASS : 1, "xdp survives runt frames",
		      "len %zu retval %u", p.len, r.retval);
	}
	struct xvtep_stats s0 = stats_of(&e, 0);
	CHECK_EQ(drops_total(&s0), 0, "xdp counts no drop for foreign frames");
	CHECK_EQ(fdb_count(&e, 0, false), 0, "xdp learns nothing from foreign frames");
	env_close(&e);
}

static void test_xdp_drops(void)
{
	struct env e;
	struct pkt p = {};
	struct outer_opts o;
	struct inner_opts in;
	struct xvtep_stats s;
	struct run r;

	if (env_std(&e, 49152, 65535, 0))
		return (void)CHECK(0, "xdp drops setup", "load failed");

	o = out_std();
	o.vni = 4242;
	build_vxlan(&p, &o, &IN_UNICAST);
	r = run_xdp(&e, &p);
	s = stats_of(&e, 0);
	CHECK(r.retval == XDP_DROP && s.drops[XVTEP_DROP_UNKNOWN_VNI] == 1,
	      "xdp drops and counts unknown VNI", "retval %u count %llu", r.retval,
	      (unsigned long long)s.drops[XVTEP_DROP_UNKNOWN_VNI]);

	o = out_std();
	o.no_i_flag = true;
	o.vx_flags = 0x08000000;
	build_vxlan(&p, &o, &IN_UNICAST);
	r = run_xdp(&e, &p);
	s = stats_of(&e, 0);
	CHECK(r.retval == XDP_DROP && s.drops[XVTEP_DROP_NO_I_FLAG] == 1,
	      "xdp drops and counts a clear I flag", "retval %u", r.retval);

	in = IN_UNICAST;
	in.proto = ETH_P_8021Q;
	o = out_std();
	build_vxlan(&p, &o, &in);
	r = run_xdp(&e, &p);
	s = stats_of(&e, 0);
	CHECK(r.retval == XDP_DROP && s.drops[XVTEP_DROP_INNER_VLAN] == 1,
	      "xdp drops inner 802.1Q (RFC 7348 6.1)", "retval %u", r.retval);
	in.proto = ETH_P_8021AD;
	build_vxlan(&p, &o, &in);
	r = run_xdp(&e, &p);
	CHECK_EQ(r.retval, XDP_DROP, "xdp drops inner 802.1ad");

	o = out_std();
	build_vxlan(&p, &o, &IN_UNICAST);
	p.len = 14 + 20 + 8 + 4;	/* VXLAN header cut */
	r = run_xdp(&e, &p);
	s = stats_of(&e, 0);
	CHECK(r.retval == XDP_DROP && s.drops[XVTEP_DROP_MALFORMED] >= 1,
	      "xdp drops a truncated VXLAN header as malformed", "retval %u", r.retval);

	o = out_std();
	o.tot_len_delta = 100;	/* IPv4 length beyond the frame */
	build_vxlan(&p, &o, &IN_UNICAST);
	r = run_xdp(&e, &p);
	CHECK_EQ(r.retval, XDP_DROP, "xdp drops IPv4 total length beyond the frame");

	o = out_std();
	build_vxlan(&p, &o, &IN_UNICAST);
	p.len = 14 + 20 + 16 + 10;	/* inner Ethernet cut */
	((struct iphdr *)(p.buf + 14))->tot_len = htons(20 + 16 + 10);
	((struct udphdr *)(p.buf + 34))->len = htons(16 + 10);
	r = run_xdp(&e, &p);
	CHECK_EQ(r.retval, XDP_DROP, "xdp drops a truncated inner Ethernet header");

	o = out_std();
	o.src = IP_LOCAL;
	build_vxlan(&p, &o, &IN_UNICAST);
	r = run_xdp(&e, &p);
	s = stats_of(&e, 0);
	CHECK(r.retval == XDP_DROP && s.drops[XVTEP_DROP_OWN_SOURCE] == 1,
	      "xdp drops frames from our own address", "retval %u", r.retval);

	const uint8_t *bad[] = { MAC_BCAST, MAC_MCAST, MAC_ZERO };
	for (int i = 0; i < 3; i++) {
		in = IN_UNICAST;
		in.src = bad[i];
		o = out_std();
		build_vxlan(&p, &o, &in);
		r = run_xdp(&e, &p);
		CHECK_EQ(r.retval, XDP_DROP, "xdp drops multicast/broadcast/zero inner source");
	}
	s = stats_of(&e, VNI_A);
	CHECK_EQ(s.drops[XVTEP_DROP_BAD_SRC_MAC], 3, "bad source MAC drops counted per VNI");
	CHECK_EQ(fdb_count(&e, 0, false), 0, "nothing learned from bad frames");

	o = out_std();
	o.dst = IP_GROUP;	/* VNI A has no group */
	build_vxlan(&p, &o, &IN_UNICAST);
	r = run_xdp(&e, &p);
	CHECK_EQ(r.retval, XDP_DROP, "xdp drops a group the VNI does not use");
	env_close(&e);
}

static void test_xdp_fast_path(void)
{
	struct env e;
	struct pkt p = {};
	struct outer_opts o = out_std();
	struct xvtep_fdb_entry fe;
	struct xvtep_vstate vs;
	struct xvtep_stats s;
	struct run r;
	uint32_t vni = VNI_A;
	size_t inner_off = 14 + 20 + 16;

	if (env_std(&e, 49152, 65535, 0))
		return (void)CHECK(0, "xdp fast path setup", "load failed");
	fdb_set(&e, VNI_A, MAC_VM1, e.ifi_p1, 0, XVTEP_FDB_F_STATIC);

	build_vxlan(&p, &o, &IN_UNICAST);
	r = run_xdp(&e, &p);
	CHECK_EQ(r.retval, XDP_REDIRECT, "xdp redirects known unicast to its port");
	CHECK(r.out_len == p.len - inner_off && !memcmp(r.out, p.buf + inner_off, r.out_len),
	      "xdp output is exactly the inner frame", "out_len %u", r.out_len);
	CHECK(fdb_get(&e, VNI_A, MAC_FAR, &fe) == 0 && (fe.flags & XVTEP_FDB_F_REMOTE) &&
	      addr_is4(&fe.remote, IP_PEER) && !(fe.flags & XVTEP_FDB_F_STATIC),
	      "xdp learns inner source -> outer source", "flags %u", fe.flags);
	bpf_map_lookup_elem(e.vstate, &vni, &vs);
	CHECK_EQ(vs.learned, 1, "learned count follows learning");
	s = stats_of(&e, VNI_A);
	CHECK(s.rx_packets == 1 && s.rx_bytes == r.out_len, "xdp counts rx per VNI",
	      "rx %llu/%llu", (unsigned long long)s.rx_packets, (unsigned long long)s.rx_bytes);

	/* IPv4 options in the outer header. */
	o.ihl = 7;
	build_vxlan(&p, &o, &IN_UNICAST);
	r = run_xdp(&e, &p);
	CHECK(r.retval == XDP_REDIRECT && r.out_len == p.len - (inner_off + 8) &&
	      !memcmp(r.out, p.buf + inner_off + 8, r.out_len),
	      "xdp decaps around outer IPv4 options", "retval %u", r.retval);

	/* Reserved bits: ignored, counted. */
	o = out_std();
	o.vx_flags = 0x0f000000;
	o.vni_low = 0x7f;
	build_vxlan(&p, &o, &IN_UNICAST);
	r = run_xdp(&e, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == XDP_REDIRECT && s.events[XVTEP_EV_RESERVED_BITS] == 1,
	      "reserved VXLAN bits are ignored and counted", "retval %u", r.retval);

	/* Hybrid: TCP goes to TC, untouched and unlearned. */
	struct inner_opts tcp = IN_UNICAST;
	tcp.l4 = IPPROTO_TCP;
	tcp.src = MAC_VM2 /* a MAC not yet known */;
	o = out_std();
	build_vxlan(&p, &o, &tcp);
	r = run_xdp(&e, &p);
	CHECK(r.retval == XDP_PASS && !memcmp(r.out, p.buf, p.len) &&
	      fdb_get(&e, VNI_A, MAC_VM2, &fe) != 0,
	      "hybrid: xdp hands inner TCP to TC untouched and unlearned", "retval %u", r.retval);

	/* Unknown destination and broadcast: TC floods. */
	struct inner_opts bc = IN_UNICAST;
	bc.dst = MAC_BCAST;
	build_vxlan(&p, &o, &bc);
	r = run_xdp(&e, &p);
	CHECK_EQ(r.retval, XDP_PASS, "xdp hands broadcast to TC for flooding");
	s = stats_of(&e, VNI_A);
	CHECK_EQ(s.events[XVTEP_EV_XDP_TO_TC], 2, "xdp counts hand-overs to TC");

	/* Static entries own their MAC. */
	fdb_set(&e, VNI_A, MAC_FAR, e.ifi_p2, 0, XVTEP_FDB_F_STATIC);
	build_vxlan(&p, &o, &IN_UNICAST);
	r = run_xdp(&e, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == XDP_DROP && s.drops[XVTEP_DROP_STATIC_CONFLICT] == 1 &&
	      fdb_get(&e, VNI_A, MAC_FAR, &fe) == 0 && fe.ifindex == (uint32_t)e.ifi_p2 &&
	      !(fe.flags & XVTEP_FDB_F_REMOTE),
	      "a static entry is never moved; the claim is dropped", "retval %u", r.retval);
	env_close(&e);

	/* decap mode xdp: TCP stays on the fast path. */
	if (env_std(&e, 49152, 65535, 1))
		return (void)CHECK(0, "xdp mode setup", "load failed");
	fdb_set(&e, VNI_A, MAC_VM1, e.ifi_p1, 0, XVTEP_FDB_F_STATIC);
	build_vxlan(&p, &o, &tcp);
	r = run_xdp(&e, &p);
	CHECK_EQ(r.retval, XDP_REDIRECT, "decap mode xdp: TCP takes the fast path");
	env_close(&e);
}

static void test_learning_rules(void)
{
	struct env e;
	struct pkt p = {};
	struct outer_opts o = out_std();
	struct xvtep_vni cfg;
	struct xvtep_fdb_entry fe;
	struct xvtep_stats s;
	struct xvtep_vstate vs;
	uint32_t vni = VNI_A;
	struct run r;

	if (env_std(&e, 49152, 65535, 0))
		return (void)CHECK(0, "learning setup", "load failed");
	fdb_set(&e, VNI_A, MAC_VM1, e.ifi_p1, 0, XVTEP_FDB_F_STATIC);

	/* A move from one VTEP to another updates the entry and counts it. */
	build_vxlan(&p, &o, &IN_UNICAST);
	run_xdp(&e, &p);
	o.src = IP_OTHER;
	build_vxlan(&p, &o, &IN_UNICAST);
	run_xdp(&e, &p);
	s = stats_of(&e, VNI_A);
	CHECK(fdb_get(&e, VNI_A, MAC_FAR, &fe) == 0 && addr_is4(&fe.remote, IP_OTHER) &&
	      s.events[XVTEP_EV_MOVED] == 1,
	      "a dynamic entry moves and the move is counted", "remote %x", ntohl(fe.remote.w[3]));
	bpf_map_lookup_elem(e.vstate, &vni, &vs);
	CHECK_EQ(vs.learned, 1, "a move does not change the learned count");

	/* nolearning */
	bpf_map_lookup_elem(e.vnis, &vni, &cfg);
	cfg.flags &= ~XVTEP_VNI_F_LEARNING;
	bpf_map_update_elem(e.vnis, &vni, &cfg, BPF_ANY);
	env_written(&e);
	struct inner_opts in = IN_UNICAST;
	in.src = MAC_VM2;
	o = out_std();
	build_vxlan(&p, &o, &in);
	r = run_xdp(&e, &p);
	CHECK(r.retval == XDP_REDIRECT && fdb_get(&e, VNI_A, MAC_VM2, &fe) != 0,
	      "nolearning: forwards but learns nothing", "retval %u", r.retval);

	/* mac-limit: learning stops at the limit, forwarding goes on. */
	cfg.flags |= XVTEP_VNI_F_LEARNING;
	cfg.mac_limit = 3;
	bpf_map_update_elem(e.vnis, &vni, &cfg, BPF_ANY);
	env_written(&e);
	uint8_t mac[6] = { 0x02, 0xcc, 0, 0, 0, 0 };
	int redirected = 0;
	for (int i = 0; i < 10; i++) {
		mac[5] = i;
		in.src = mac;
		build_vxlan(&p, &o, &in);
		r = run_xdp(&e, &p);
		redirected += r.retval == XDP_REDIRECT;
	}
	bpf_map_lookup_elem(e.vstate, &vni, &vs);
	s = stats_of(&e, VNI_A);
	CHECK(vs.learned == 3 && s.events[XVTEP_EV_LEARN_LIMIT] == 8 && redirected == 10,
	      "mac-limit caps learning, forwarding continues",
	      "learned %llu limit events %llu redirected %d", (unsigned long long)vs.learned,
	      (unsigned long long)s.events[XVTEP_EV_LEARN_LIMIT], redirected);
	CHECK_EQ(fdb_count(&e, 0, false), 4, "FDB holds the static entry plus mac-limit learned ones");
	/* Static adds still work at the limit (userspace writes directly). */
	fdb_set(&e, VNI_A, MAC_VM2, e.ifi_p2, 0, XVTEP_FDB_F_STATIC);
	CHECK(fdb_get(&e, VNI_A, MAC_VM2, &fe) == 0, "static add works at the mac-limit", "%s", "");
	env_close(&e);
}

/*
 * Learning within a sweep epoch (bpf/fdb.h): refreshes are stamped with the
 * start of the last sweep (xvtep_gc.last_run_ns), and a source confirmed in
 * place is not looked up again in that epoch. Moves and static conflicts must
 * still be seen: the place is part of the cache match, and a new epoch
 * revalidates against the FDB.
 */
static void gc_set_epoch(struct env *e, uint64_t t)
{
	struct xvtep_gc gc;
	uint32_t zero = 0;

	bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.xvtep_gc), &zero, &gc);
	gc.last_run_ns = t;
	bpf_map_update_elem(bpf_map__fd(e->skel->maps.xvtep_gc), &zero, &gc, BPF_ANY);
}

static void test_learning_epoch(void)
{
	struct outer_opts o = out_std();
	struct xvtep_fdb_entry fe;
	struct xvtep_stats s;
	struct timespec ts;
	struct pkt p = {};
	struct env e;
	struct run r;
	uint64_t t0;

	if (env_std(&e, 49152, 65535, 0))
		return (void)CHECK(0, "learning epoch setup", "load failed");
	fdb_set(&e, VNI_A, MAC_VM1, e.ifi_p1, 0, XVTEP_FDB_F_STATIC);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec * 1000000000ULL + ts.tv_nsec - 5000000000ULL;	/* 5 s ago */
	gc_set_epoch(&e, t0);
	build_vxlan(&p, &o, &IN_UNICAST);
	r = run_xdp(&e, &p);
	CHECK(r.retval == XDP_REDIRECT && fdb_get(&e, VNI_A, MAC_FAR, &fe) == 0 &&
	      fe.updated_ns == t0, "a learned entry is stamped with the sweep clock",
	      "retval %u updated %llu want %llu", r.retval, (unsigned long long)fe.updated_ns,
	      (unsigned long long)t0);

	/* The same source again, same epoch: nothing to change. */
	r = run_xdp(&e, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == XDP_REDIRECT && s.events[XVTEP_EV_LEARNED] == 1 &&
	      s.events[XVTEP_EV_MOVED] == 0, "a known source in place is neither relearned nor moved",
	      "learned %llu moved %llu", (unsigned long long)s.events[XVTEP_EV_LEARNED],
	      (unsigned long long)s.events[XVTEP_EV_MOVED]);

	/* A move within the epoch is seen at once: the place is in the match. */
	o.src = IP_OTHER;
	build_vxlan(&p, &o, &IN_UNICAST);
	run_xdp(&e, &p);
	s = stats_of(&e, VNI_A);
	CHECK(fdb_get(&e, VNI_A, MAC_FAR, &fe) == 0 && addr_is4(&fe.remote, IP_OTHER) &&
	      s.events[XVTEP_EV_MOVED] == 1, "a move within the epoch is applied",
	      "remote %x moved %llu", ntohl(fe.remote.w[3]), (unsigned long long)s.events[XVTEP_EV_MOVED]);

	/* The next epoch refreshes the stamp once. */
	gc_set_epoch(&e, t0 + 2000000000ULL);
	run_xdp(&e, &p);
	CHECK(fdb_get(&e, VNI_A, MAC_FAR, &fe) == 0 && fe.updated_ns == t0 + 2000000000ULL,
	      "a new epoch refreshes the entry", "updated %llu", (unsigned long long)fe.updated_ns);

	/* The operator pins the MAC elsewhere: the next epoch enforces it. */
	fdb_set(&e, VNI_A, MAC_FAR, 0, IP_PEER, XVTEP_FDB_F_STATIC);
	gc_set_epoch(&e, t0 + 3000000000ULL);
	r = run_xdp(&e, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == XDP_DROP && s.drops[XVTEP_DROP_STATIC_CONFLICT] == 1 &&
	      fdb_get(&e, VNI_A, MAC_FAR, &fe) == 0 && addr_is4(&fe.remote, IP_PEER),
	      "a static entry made by the operator is enforced from the next epoch on",
	      "retval %u conflicts %llu", r.retval,
	      (unsigned long long)s.drops[XVTEP_DROP_STATIC_CONFLICT]);
	env_close(&e);
}

/* ---------------------------------------------------------------- decap, TC */

static void test_tc_decap(void)
{
	struct env e;
	struct pkt p = {};
	struct outer_opts o = out_std();
	struct inner_opts in = IN_UNICAST;
	struct xvtep_stats s;
	struct run r;
	size_t inner_off = 14 + 20 + 16;

	if (env_std(&e, 49152, 65535, 0))
		return (void)CHECK(0, "tc decap setup", "load failed");
	fdb_set(&e, VNI_A, MAC_VM1, e.ifi_p1, 0, XVTEP_FDB_F_STATIC);

	in.l4 = IPPROTO_TCP;
	build_vxlan(&p, &o, &in);
	r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	CHECK_EQ(r.retval, TC_ACT_REDIRECT, "tc decap redirects known unicast");
	CHECK(r.out_len == p.len - inner_off && !memcmp(r.out, p.buf + inner_off, r.out_len),
	      "tc decap output is exactly the inner frame", "out_len %u of %zu", r.out_len,
	      p.len - inner_off);

	/* Broadcast floods to both ports of VNI A: two copies counted. */
	in = IN_UNICAST;
	in.dst = MAC_BCAST;
	in.src = MAC_VM2;
	build_vxlan(&p, &o, &in);
	r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_REDIRECT && s.rx_packets == 3 && s.events[XVTEP_EV_FLOODED] == 1,
	      "tc decap floods BUM to every local port of the VNI", "retval %u rx %llu",
	      r.retval, (unsigned long long)s.rx_packets);
	CHECK(r.out_len == p.len - inner_off && !memcmp(r.out, p.buf + inner_off, r.out_len),
	      "flooded copy is the inner frame", "out_len %u", r.out_len);

	/* Destination known behind a VTEP: never back into the overlay. */
	fdb_set(&e, VNI_A, MAC_FAR, 0, IP_OTHER, 0);
	in = IN_UNICAST;
	in.dst = MAC_FAR;
	in.src = MAC_VM2;
	build_vxlan(&p, &o, &in);
	r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_SHOT && s.drops[XVTEP_DROP_HAIRPIN] == 1,
	      "tc decap never sends overlay frames back to the overlay", "retval %u", r.retval);

	/* Non-VXLAN traffic goes on to the stack. */
	o.dport = 53;
	build_vxlan(&p, &o, &in);
	r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	CHECK_EQ(r.retval, TC_ACT_OK, "tc decap passes other UDP to the stack");

	/* VNI with no ports: flood has nowhere to go. */
	o = out_std();
	o.vni = VNI_B;
	in.dst = MAC_BCAST;
	build_vxlan(&p, &o, &in);
	r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	s = stats_of(&e, VNI_B);
	CHECK(r.retval == TC_ACT_SHOT && s.drops[XVTEP_DROP_NO_DEST] == 1,
	      "flood to a VNI without ports is dropped and counted", "retval %u", r.retval);

	/* Group traffic for the VNI's group is accepted. */
	uint32_t vni = VNI_A;
	struct xvtep_vni cfg;
	bpf_map_lookup_elem(e.vnis, &vni, &cfg);
	cfg.group = a4(IP_GROUP);
	bpf_map_update_elem(e.vnis, &vni, &cfg, BPF_ANY);
	env_written(&e);
	o = out_std();
	o.dst = IP_GROUP;
	in = IN_UNICAST;
	in.dst = MAC_BCAST;
	build_vxlan(&p, &o, &in);
	r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
	CHECK_EQ(r.retval, TC_ACT_REDIRECT, "tc decap accepts the VNI's multicast group");
	env_close(&e);
}

/* ---------------------------------------------------------------- encap */

struct outer_view {
	struct ethhdr eth;
	struct iphdr ip;
	struct udphdr udp;
	uint32_t vx_flags, vx_vni;
} __attribute__((packed));

static void test_encap(void)
{
	struct env e;
	struct pkt p = {};
	struct inner_opts in = { .dst = MAC_FAR, .src = MAC_VM1, .proto = ETH_P_IP,
				 .l4 = IPPROTO_UDP, .payload = 100, .fill = 7 };
	struct outer_view *ov;
	struct xvtep_fdb_entry fe;
	struct xvtep_stats s;
	struct run r, r2;
	uint8_t upmac[6];

	if (env_std(&e, 50000, 50015, 0))
		return (void)CHECK(0, "encap setup", "load failed");
	memcpy(upmac, MAC_UPLINK, 6);
	fdb_set(&e, VNI_A, MAC_FAR, 0, IP_PEER, XVTEP_FDB_F_STATIC);

	p.len = build_inner(p.buf, &in);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	ov = (void *)r.out;
	CHECK_EQ(r.retval, TC_ACT_REDIRECT, "encap redirects toward the remote VTEP");
	if (getenv("UNIT_DEBUG")) { s = stats_of(&e, VNI_A); for (int i = 0; i < XVTEP_DROP__MAX; i++) if (s.drops[i]) printf("drop %s=%llu\n", xvtep_drop_names[i], (unsigned long long)s.drops[i]); }
	CHECK_EQ(r.out_len, p.len + XVTEP_ENCAP_LEN, "encap adds exactly 50 bytes");
	CHECK(!memcmp(r.out + XVTEP_ENCAP_LEN, p.buf, p.len), "encap keeps the inner frame intact",
	      "%s", "inner differs");
	CHECK(!memcmp(ov->eth.h_dest, MAC_PEER, 6) && !memcmp(ov->eth.h_source, upmac, 6) &&
	      ov->eth.h_proto == htons(ETH_P_IP),
	      "outer MACs come from the kernel's neighbour table", "%s", "mac mismatch");
	CHECK(ov->ip.version == 4 && ov->ip.ihl == 5 && ov->ip.saddr == htonl(IP_LOCAL) &&
	      ov->ip.daddr == htonl(IP_PEER) && ov->ip.protocol == IPPROTO_UDP &&
	      ov->ip.ttl == 64 && ntohs(ov->ip.tot_len) == r.out_len - 14 &&
	      (ntohs(ov->ip.frag_off) & 0x4000),
	      "outer IPv4: addresses, TTL 64, DF, length", "ttl %u len %u", ov->ip.ttl,
	      ntohs(ov->ip.tot_len));
	CHECK_EQ(pkt_csum(&ov->ip, 20), 0, "outer IPv4 checksum is valid");
	CHECK(ntohs(ov->udp.dest) == 4789 && ov->udp.check == 0 &&
	      ntohs(ov->udp.len) == r.out_len - 34 && ntohs(ov->udp.source) >= 50000 &&
	      ntohs(ov->udp.source) <= 50015,
	      "outer UDP: port 4789, checksum 0, source port in the configured range",
	      "sport %u", ntohs(ov->udp.source));
	CHECK(ntohl(ov->vx_flags) == 0x08000000 && ntohl(ov->vx_vni) == VNI_A << 8,
	      "VXLAN header: I flag and VNI", "flags %x vni %x", ntohl(ov->vx_flags),
	      ntohl(ov->vx_vni));
	CHECK(fdb_get(&e, VNI_A, MAC_VM1, &fe) == 0 && !(fe.flags & XVTEP_FDB_F_REMOTE) &&
	      fe.ifindex == (uint32_t)e.ifi_p1,
	      "encap learns the sender on its port", "flags %u", fe.flags);
	r2 = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	CHECK_EQ(((struct outer_view *)r2.out)->udp.source, ov->udp.source,
		 "source port is stable per flow");
	s = stats_of(&e, VNI_A);
	CHECK(s.tx_packets == 2 && s.tx_bytes == 2 * r.out_len, "encap counts tx per VNI",
	      "tx %llu", (unsigned long long)s.tx_packets);

	/* Local switching to the other port of the VNI, bytes untouched. */
	in.dst = MAC_VM2;
	in.src = MAC_VM1;
	fdb_set(&e, VNI_A, MAC_VM2, e.ifi_p2, 0, 0);
	p.len = build_inner(p.buf, &in);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len && !memcmp(r.out, p.buf, p.len),
	      "local unicast is switched port to port unchanged", "retval %u", r.retval);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p2, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_SHOT && s.drops[XVTEP_DROP_STATIC_CONFLICT] == 0 &&
	      (fdb_get(&e, VNI_A, MAC_VM1, &fe), fe.ifindex == (uint32_t)e.ifi_p2) &&
	      s.events[XVTEP_EV_MOVED] == 1 ,
	      "frame to its own ingress port is not sent back", "retval %u", r.retval);

	/* Inner VLAN from the VM: refused. */
	in.proto = ETH_P_8021Q;
	p.len = build_inner(p.buf, &in);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_SHOT && s.drops[XVTEP_DROP_INNER_VLAN] == 1,
	      "encap refuses 802.1Q frames from the VM", "retval %u", r.retval);

	/* Over the underlay MTU once encapsulated: dropped, never fragmented. */
	in.proto = ETH_P_IP;
	in.dst = MAC_FAR;
	in.payload = 1480;
	p.len = build_inner(p.buf, &in);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_SHOT && s.drops[XVTEP_DROP_MTU] == 1,
	      "encap drops and counts frames over the underlay MTU", "retval %u", r.retval);
	in.payload = 1450;	/* 1450 + 50 = 1500: exactly fits */
	p.len = build_inner(p.buf, &in);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	CHECK_EQ(r.retval, TC_ACT_REDIRECT, "encap passes a frame that exactly fits the MTU");

	/* Frames from a device that is not a port. */
	r = run_tc(&e, TC_PORT(&e), e.ifi_up, &p);
	s = stats_of(&e, 0);
	CHECK(r.retval == TC_ACT_SHOT && s.drops[XVTEP_DROP_PORT_UNKNOWN] == 1,
	      "frames on an unconfigured port are dropped and counted", "retval %u", r.retval);

	/* Bad source MAC from a VM. */
	in.src = MAC_MCAST;
	in.payload = 60;
	p.len = build_inner(p.buf, &in);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	CHECK_EQ(r.retval, TC_ACT_SHOT, "encap drops a multicast source MAC");
	env_close(&e);
}

static void test_encap_flood(void)
{
	struct env e;
	struct pkt p = {};
	struct inner_opts in = { .dst = MAC_BCAST, .src = MAC_VM1, .proto = ETH_P_ARP,
				 .payload = 28, .fill = 1 };
	struct outer_view *ov;
	struct xvtep_vni cfg;
	struct xvtep_stats s;
	uint32_t vni = VNI_A;
	struct run r;

	if (env_std(&e, 49152, 65535, 0))
		return (void)CHECK(0, "flood setup", "load failed");

	/* Group only: the frame itself goes to the group, TTL 1, mapped MAC. */
	bpf_map_lookup_elem(e.vnis, &vni, &cfg);
	cfg.group = a4(IP_GROUP);
	bpf_map_update_elem(e.vnis, &vni, &cfg, BPF_ANY);
	env_written(&e);
	p.len = build_inner(p.buf, &in);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	ov = (void *)r.out;
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_REDIRECT && ov->ip.daddr == htonl(IP_GROUP) && ov->ip.ttl == 1,
	      "BUM goes to the VNI's group with TTL 1", "retval %u ttl %u", r.retval, ov->ip.ttl);
	static const uint8_t gmac[6] = { 0x01, 0x00, 0x5e, 0x01, 0x01, 0x01 };
	CHECK(!memcmp(ov->eth.h_dest, gmac, 6) && !memcmp(ov->eth.h_source, MAC_UPLINK, 6),
	      "group frame uses the RFC 1112 MAC and the uplink's MAC",
	      "dst %02x:%02x:%02x:%02x:%02x:%02x src %02x:%02x:%02x:%02x:%02x:%02x",
	      ov->eth.h_dest[0], ov->eth.h_dest[1], ov->eth.h_dest[2], ov->eth.h_dest[3],
	      ov->eth.h_dest[4], ov->eth.h_dest[5], ov->eth.h_source[0], ov->eth.h_source[1],
	      ov->eth.h_source[2], ov->eth.h_source[3], ov->eth.h_source[4], ov->eth.h_source[5]);
	CHECK(s.local_packets == 1 && s.tx_packets == 1,
	      "BUM copied once to the other local port and once to the group",
	      "local %llu tx %llu", (unsigned long long)s.local_packets,
	      (unsigned long long)s.tx_packets);

	/* Group + two replicas (one resolved, one not); TTL configured. */
	cfg.ttl = 9;
	cfg.nr_remotes = 2;
	cfg.remotes[0] = a4(IP_OTHER);	/* unresolved, a clone: counted */
	cfg.remotes[1] = a4(IP_PEER);
	bpf_map_update_elem(e.vnis, &vni, &cfg, BPF_ANY);
	env_written(&e);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	ov = (void *)r.out;
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_REDIRECT && ov->ip.daddr == htonl(IP_PEER) && ov->ip.ttl == 9,
	      "head-end replication: last replica gets the frame, configured TTL",
	      "retval %u ttl %u", r.retval, ov->ip.ttl);
	CHECK(s.tx_packets == 3 && s.drops[XVTEP_DROP_NEIGH_UNRESOLVED] == 1,
	      "one copy per resolved replica and the group; unresolved counted",
	      "tx %llu unresolved %llu", (unsigned long long)s.tx_packets,
	      (unsigned long long)s.drops[XVTEP_DROP_NEIGH_UNRESOLVED]);
	CHECK_EQ(pkt_csum(&ov->ip, 20), 0, "replica IPv4 checksum is valid");

	/* Unknown unicast floods like broadcast. */
	in.dst = MAC_FAR;
	in.proto = ETH_P_IP;
	in.payload = 64;
	p.len = build_inner(p.buf, &in);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	s = stats_of(&e, VNI_A);
	CHECK(r.retval == TC_ACT_REDIRECT && s.events[XVTEP_EV_FLOODED] == 3,
	      "unknown unicast is flooded", "retval %u", r.retval);
	env_close(&e);
}

/* ------------------------------------------------------ XDP caches */

/*
 * The XDP fast path keeps per-CPU copies of VNI configurations and FDB
 * entries (bpf/cache.h); every writer must make them stale. The process is
 * pinned to one CPU (main), so each run sees the copies the last one made.
 */
static void test_xdp_caches(void)
{
	struct env e_cache;
	struct outer_opts o = out_std();
	struct inner_opts claim = IN_UNICAST;
	struct xvtep_fdb_entry fe;
	struct xvtep_vni cfg;
	struct pkt p = {};
	struct run r;
	uint32_t vni = VNI_A;

	if (env_std(&e_cache, 49152, 65535, 0))
		return (void)CHECK(0, "xdp caches setup", "load failed");
	fdb_set(&e_cache, VNI_A, MAC_VM1, e_cache.ifi_p1, 0, 0);	/* learned on p1 */
	fdb_set(&e_cache, VNI_A, MAC_VM2, e_cache.ifi_p2, 0, XVTEP_FDB_F_STATIC);
	build_vxlan(&p, &o, &IN_UNICAST);
	r = run_xdp(&e_cache, &p);
	CHECK_EQ(r.retval, XDP_REDIRECT, "caches: VM1 behind p1, redirected (copies made)");

	/* A write nobody announces is not seen: the copies are in use, so the
	 * checks below can fail. */
	bpf_map_lookup_elem(e_cache.vnis, &vni, &cfg);
	bpf_map_delete_elem(e_cache.vnis, &vni);
	r = run_xdp(&e_cache, &p);
	CHECK_EQ(r.retval, XDP_REDIRECT, "caches: an unannounced VNI delete is not seen yet");
	env_written(&e_cache);
	r = run_xdp(&e_cache, &p);
	CHECK_EQ(r.retval, XDP_DROP, "caches: after the generation bump the VNI is gone");
	bpf_map_update_elem(e_cache.vnis, &vni, &cfg, BPF_ANY);
	env_written(&e_cache);
	r = run_xdp(&e_cache, &p);
	CHECK_EQ(r.retval, XDP_REDIRECT, "caches: the VNI back, VM1 redirected again");

	/* A move learned by the dataplane: VM1's MAC now arrives from the VTEP. */
	claim.src = MAC_VM1;
	claim.dst = MAC_VM2;
	build_vxlan(&p, &o, &claim);
	r = run_xdp(&e_cache, &p);
	CHECK(r.retval == XDP_REDIRECT && !fdb_get(&e_cache, VNI_A, MAC_VM1, &fe) &&
	      (fe.flags & XVTEP_FDB_F_REMOTE), "caches: XDP learns VM1's move to the VTEP",
	      "retval %u flags %u", r.retval, fe.flags);
	build_vxlan(&p, &o, &IN_UNICAST);
	r = run_xdp(&e_cache, &p);
	CHECK_EQ(r.retval, XDP_PASS, "caches: after the move, frames to VM1 are not sent to p1");
	env_close(&e_cache);
}

/* ---------------------------------------------------------------- ageing */

static void test_ageing(void)
{
	struct env e;
	struct xvtep_vni cfg;
	struct xvtep_vstate vs = { .learned = 1 };
	struct xvtep_fdb_entry fe;
	struct xvtep_gc gc;
	uint32_t vni = VNI_A, zero = 0;
	uint8_t data[64] = {};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data, .data_size_in = sizeof(data),
		    .repeat = 1);

	if (env_std(&e, 49152, 65535, 0))
		return (void)CHECK(0, "ageing setup", "load failed");
	bpf_map_lookup_elem(e.vnis, &vni, &cfg);
	cfg.ageing = 1;
	bpf_map_update_elem(e.vnis, &vni, &cfg, BPF_ANY);
	env_written(&e);
	bpf_map_update_elem(e.vstate, &vni, &vs, BPF_ANY);
	fdb_set(&e, VNI_A, MAC_FAR, 0, IP_PEER, 0);			/* dynamic */
	fdb_set(&e, VNI_A, MAC_VM1, e.ifi_p1, 0, XVTEP_FDB_F_STATIC);	/* static */
	fdb_set(&e, VNI_A, MAC_VM2, e.ifi_p2, 0, 0);			/* dynamic, local */
	vs.learned = 2;
	bpf_map_update_elem(e.vstate, &vni, &vs, BPF_ANY);
	/* Forwarded to before ageing: XDP holds a copy of the entry (cache.h). */
	struct inner_opts to_vm2 = IN_UNICAST;
	struct outer_opts out = out_std();
	struct pkt p = {};
	struct run r;

	to_vm2.dst = MAC_VM2;
	build_vxlan(&p, &out, &to_vm2);
	r = run_xdp(&e, &p);
	CHECK_EQ(r.retval, XDP_REDIRECT, "ageing: a dynamic local entry forwarded before ageing");

	int err = bpf_prog_test_run_opts(bpf_program__fd(e.skel->progs.xvtep_gc_start), &o);
	CHECK(err == 0 && o.retval == XDP_PASS, "ageing timer arms", "err %d retval %u", err,
	      o.retval);
	err = bpf_prog_test_run_opts(bpf_program__fd(e.skel->progs.xvtep_gc_start), &o);
	CHECK(err == 0 && o.retval == XDP_PASS, "re-arming the ageing timer is harmless",
	      "err %d retval %u", err, o.retval);
	CHECK(fdb_get(&e, VNI_A, MAC_FAR, &fe) == 0, "dynamic entry present before ageing",
	      "%s", "missing");
	usleep(3200 * 1000);
	bpf_map_lookup_elem(bpf_map__fd(e.skel->maps.xvtep_gc), &zero, &gc);
	CHECK(gc.runs >= 2, "ageing sweep runs on its own", "runs %llu",
	      (unsigned long long)gc.runs);
	CHECK(fdb_get(&e, VNI_A, MAC_FAR, &fe) != 0, "dynamic entry aged out", "%s", "still there");
	CHECK(fdb_get(&e, VNI_A, MAC_VM1, &fe) == 0, "static entry never ages", "%s", "gone");
	r = run_xdp(&e, &p);
	CHECK(fdb_get(&e, VNI_A, MAC_VM2, &fe) != 0 && r.retval == XDP_PASS,
	      "ageing: an aged entry is no longer forwarded to from XDP's copy",
	      "retval %u", r.retval);
	bpf_map_lookup_elem(e.vstate, &vni, &vs);
	CHECK_EQ(vs.learned, 0, "ageing releases the learned count");
	struct xvtep_stats s = stats_of(&e, VNI_A);
	CHECK_EQ(s.events[XVTEP_EV_AGED], 2, "aged entries are counted");
	env_close(&e);
}

/* With a mirror device configured, every mirror source is live code: the
 * verifier must accept them (an ifindex of 0 lets it prune them all). */
static void test_mirror_load(void)
{
	struct xvtep *skel = xvtep__open();
	int err = -1;

	if (skel) {
		skel->rodata->cfg_uplink_ifindex = if_nametoindex("ut-up");
		skel->rodata->cfg_mirror_ifindex = if_nametoindex("ut-p2");
		/* as the loader does: the XDP metadata path only where the kernel allows it */
		skel->rodata->cfg_xdp_meta = !(unit_feat_off & XVTEP_FEAT_XDP_META);
		skel->rodata->cfg_decap_l3 = !(unit_feat_off & XVTEP_FEAT_DECAP_L3);
		bpf_map__set_max_entries(skel->maps.xvtep_fdb, 1024);
		err = xvtep__load(skel);
		xvtep__destroy(skel);
	}
	CHECK(!err, "loads with mirroring enabled (cfg_mirror_ifindex set)", "load error %d", err);
}


/* ---------------------------------------------------------------- mirroring */

#define TC_MIRROR(e) bpf_program__fd((e)->skel->progs.xvtep_tc_mirror)

static void mirror_set(struct env *e, uint32_t slot, const struct xvtep_mirror *m)
{
	struct xvtep_mirror_stats zero[256] = {};

	bpf_map_update_elem(bpf_map__fd(e->skel->maps.xvtep_mstats), &slot, zero, BPF_ANY);
	bpf_map_update_elem(bpf_map__fd(e->skel->maps.xvtep_mirrors), &slot, m, BPF_ANY);
}

/* Packets DEV has sent (in this network namespace). */
static uint64_t dev_tx_packets(const char *dev)
{
	struct ifaddrs *ifa, *i;
	uint64_t n = 0;

	if (getifaddrs(&ifa))
		return 0;
	for (i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_PACKET && i->ifa_data &&
		    !strcmp(i->ifa_name, dev))
			n = ((struct rtnl_link_stats *)i->ifa_data)->tx_packets;
	freeifaddrs(ifa);
	return n;
}

static struct xvtep_mirror_stats mirror_stats(struct env *e, uint32_t slot)
{
	struct xvtep_mirror_stats per[256], sum = {};

	bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.xvtep_mstats), &slot, per);
	for (int c = 0; c < ncpus; c++) {
		sum.packets += per[c].packets;
		sum.bytes += per[c].bytes;
		sum.truncated += per[c].truncated;
		for (int i = 0; i < XVTEP_MDROP_SLOTS; i++)
			sum.drops[i] += per[c].drops[i];
	}
	return sum;
}

/* A copy as it reaches the mirror device: marked with session slot and
 * direction; a GSO packet of GSO_SEGS segments of GSO_SIZE when GSO_SIZE != 0. */
static struct run run_copy_gso(struct env *e, uint32_t slot, uint32_t dir, const struct pkt *p,
			       uint32_t gso_size, uint32_t gso_segs)
{
	struct __sk_buff ctx = { .ifindex = e->ifi_p1, .ingress_ifindex = e->ifi_p1,
				 .mark = XVTEP_MIRROR_MARK | dir << 8 | slot,
				 .gso_size = gso_size, .gso_segs = gso_segs };
	struct run r = {};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->buf, .data_size_in = p->len,
		    .data_out = r.out, .data_size_out = sizeof(r.out), .repeat = 1,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));

	r.err = bpf_prog_test_run_opts(TC_MIRROR(e), &o);
	r.retval = o.retval;
	r.out_len = o.data_size_out;
	return r;
}

static struct run run_copy(struct env *e, uint32_t slot, uint32_t dir, const struct pkt *p)
{
	return run_copy_gso(e, slot, dir, p, 0, 0);
}

struct erspan_view {
	struct ethhdr eth;
	struct iphdr ip;
	uint16_t gre_flags, gre_proto;
	uint32_t gre_seq, w0, w1, w2;
} __attribute__((packed));

static void test_mirror_shapes(void)
{
	struct inner_opts in = { .dst = MAC_VM2, .src = MAC_VM1, .proto = ETH_P_IP,
				 .l4 = IPPROTO_UDP, .payload = 186, .fill = 0x33 };
	struct xvtep_mirror m = {};
	struct xvtep_mirror_stats ms;
	struct erspan_view *ev;
	struct pkt p = {}, tagged = {};
	struct env e;
	struct run r;

	env_mirror_ifindex = if_nametoindex("ut-p2");
	if (env_std(&e, 49152, 65535, 0))
		return (void)CHECK(0, "mirror setup", "load failed");
	p.len = build_inner(p.buf, &in);	/* 200 bytes */
	/* The same frame with an 802.1Q tag (PCP 3, VID 5) in the frame. */
	memcpy(tagged.buf, p.buf, 12);
	tagged.buf[12] = 0x81;
	tagged.buf[13] = 0x00;
	tagged.buf[14] = 0x60;
	tagged.buf[15] = 0x05;
	memcpy(tagged.buf + 16, p.buf + 12, p.len - 12);
	tagged.len = p.len + 4;

	/* SPAN: the copy is the frame, byte for byte. */
	m = (struct xvtep_mirror){ .id = 1, .kind = XVTEP_MIRROR_SPAN, .dir = 3,
				   .dest_ifindex = e.ifi_p2 };
	mirror_set(&e, 0, &m);
	r = run_copy(&e, 0, XVTEP_MIRROR_DIR_RX, &p);
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len && !memcmp(r.out, p.buf, p.len),
	      "SPAN copy is byte-identical", "retval %u len %u", r.retval, r.out_len);

	/* RSPAN: 802.1Q TPID and the VID right after the MACs, frame intact behind. */
	m = (struct xvtep_mirror){ .id = 2, .kind = XVTEP_MIRROR_RSPAN, .dir = 3,
				   .dest_ifindex = e.ifi_p2, .vlan = 999 };
	mirror_set(&e, 1, &m);
	r = run_copy(&e, 1, XVTEP_MIRROR_DIR_RX, &p);
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len + 4 &&
	      !memcmp(r.out, p.buf, 12) && r.out[12] == 0x81 && r.out[13] == 0x00 &&
	      r.out[14] == 0x03 && r.out[15] == 0xe7 && !memcmp(r.out + 16, p.buf + 12, p.len - 12),
	      "RSPAN tag: TPID 0x8100, PCP 0, VID 999, frame intact", "retval %u len %u",
	      r.retval, r.out_len);
	r = run_copy(&e, 1, XVTEP_MIRROR_DIR_RX, &tagged);
	CHECK(r.out_len == tagged.len + 4 && r.out[14] == 0x03 && r.out[15] == 0xe7 &&
	      !memcmp(r.out + 16, tagged.buf + 12, tagged.len - 12),
	      "RSPAN keeps the frame's own tag inside", "len %u", r.out_len);

	/* ERSPAN Type II. */
	m = (struct xvtep_mirror){ .id = 3, .kind = XVTEP_MIRROR_ERSPAN, .dir = 3,
				   .erspan_version = 2, .remote = a4(IP_PEER), .session = 10,
				   .index = 7, .hwid = 5 };
	mirror_set(&e, 2, &m);
	r = run_copy(&e, 2, XVTEP_MIRROR_DIR_RX, &p);
	ev = (void *)r.out;
	CHECK_EQ(r.retval, TC_ACT_REDIRECT, "ERSPAN II copy is sent");
	CHECK(r.out_len == p.len + 50 && !memcmp(r.out + 50, p.buf, p.len),
	      "ERSPAN II: 50 header bytes, then the frame intact", "len %u", r.out_len);
	CHECK(!memcmp(ev->eth.h_dest, MAC_PEER, 6) && !memcmp(ev->eth.h_source, MAC_UPLINK, 6) &&
	      ev->ip.protocol == 47 && ev->ip.saddr == htonl(IP_LOCAL) &&
	      ev->ip.daddr == htonl(IP_PEER) && ntohs(ev->ip.tot_len) == r.out_len - 14 &&
	      pkt_csum(&ev->ip, 20) == 0,
	      "ERSPAN outer Ethernet/IPv4: routed to the collector, GRE, valid checksum", "%s", "");
	CHECK(ntohs(ev->gre_flags) == 0x1000 && ntohs(ev->gre_proto) == 0x88be &&
	      ntohl(ev->gre_seq) == 0,
	      "ERSPAN II GRE: S bit only, protocol 0x88BE, sequence 0", "flags %04x proto %04x seq %u",
	      ntohs(ev->gre_flags), ntohs(ev->gre_proto), ntohl(ev->gre_seq));
	CHECK(ntohl(ev->w0) == (1u << 28 | 10) && ntohl(ev->w1) == 7,
	      "ERSPAN II header: Ver 1, VLAN 0, COS 0, En 0, T 0, session 10, index 7",
	      "w0 %08x w1 %08x", ntohl(ev->w0), ntohl(ev->w1));
	r = run_copy(&e, 2, XVTEP_MIRROR_DIR_RX, &tagged);
	ev = (void *)r.out;
	CHECK(ntohl(ev->gre_seq) == 1 &&
	      ntohl(ev->w0) == (1u << 28 | 5u << 16 | 3u << 13 | 3u << 11 | 10),
	      "ERSPAN II: next sequence; VLAN 5, COS 3, En 3 from the frame's tag",
	      "seq %u w0 %08x", ntohl(ev->gre_seq), ntohl(ev->w0));

	/* Truncation: length and the T bit. */
	m.truncate = 64;
	mirror_set(&e, 2, &m);
	r = run_copy(&e, 2, XVTEP_MIRROR_DIR_RX, &p);
	ev = (void *)r.out;
	ms = mirror_stats(&e, 2);
	CHECK(r.out_len == 64 + 50 && !memcmp(r.out + 50, p.buf, 64) &&
	      ntohl(ev->w0) == (1u << 28 | 1u << 10 | 10) && ms.truncated == 1,
	      "truncate 64: 64 bytes of the frame, T bit set", "len %u w0 %08x", r.out_len,
	      ntohl(ev->w0));

	/* ERSPAN Type III, a tx copy. */
	m = (struct xvtep_mirror){ .id = 4, .kind = XVTEP_MIRROR_ERSPAN, .dir = 3,
				   .erspan_version = 3, .remote = a4(IP_PEER), .session = 1023,
				   .index = 7, .hwid = 0x2a };
	mirror_set(&e, 3, &m);
	r = run_copy(&e, 3, XVTEP_MIRROR_DIR_TX, &p);
	ev = (void *)r.out;
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len + 54 &&
	      !memcmp(r.out + 54, p.buf, p.len),
	      "ERSPAN III: 54 header bytes, then the frame intact", "len %u", r.out_len);
	CHECK(ntohs(ev->gre_flags) == 0x1000 && ntohs(ev->gre_proto) == 0x22eb,
	      "ERSPAN III GRE protocol 0x22EB with sequence", "proto %04x", ntohs(ev->gre_proto));
	CHECK(ntohl(ev->w0) == (2u << 28 | 1023) && ntohl(ev->w1) != 0 &&
	      ntohl(ev->w2) == (0x2au << 4 | 1u << 3),
	      "ERSPAN III header: Ver 2, session 1023, timestamp, HW ID 42, D=1 (tx), Gra 0, O 0",
	      "w0 %08x w1 %08x w2 %08x", ntohl(ev->w0), ntohl(ev->w1), ntohl(ev->w2));
	r = run_copy(&e, 3, XVTEP_MIRROR_DIR_RX, &p);
	ev = (void *)r.out;
	CHECK_EQ(ntohl(ev->w2), 0x2au << 4, "ERSPAN III: D=0 for an rx copy");

	/* A GSO copy goes whole only when the kernel wraps it as GRE, which it
	 * refuses for a GSO packet of unknown type (test runs set gso_size and
	 * gso_segs, never the type): then it is one truncated copy as before,
	 * with one sequence number, counted once. The whole-copy path itself is
	 * checked with real TSO traffic in mirror.sh (erspan_gso). */
	struct inner_opts gin = { .dst = MAC_VM2, .src = MAC_VM1, .proto = ETH_P_IP,
				  .l4 = IPPROTO_TCP, .payload = 40 + 2 * 1400 + 600, .fill = 0x44 };
	struct pkt big = {};

	big.len = build_inner(big.buf, &gin);
	big.buf[ETH_HLEN + 20 + 12] = 0x50;	/* TCP data offset: 20 bytes */
	m = (struct xvtep_mirror){ .id = 6, .kind = XVTEP_MIRROR_ERSPAN, .dir = 3,
				   .erspan_version = 2, .remote = a4(IP_PEER), .session = 10 };
	mirror_set(&e, 6, &m);
	r = run_copy_gso(&e, 6, XVTEP_MIRROR_DIR_RX, &big, 1400, 3);
	ev = (void *)r.out;
	ms = mirror_stats(&e, 6);
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == 1464 + 50 &&
	      !memcmp(r.out + 50, big.buf, 1464) && (ntohl(ev->w0) & 1u << 10) &&
	      ntohl(ev->gre_seq) == 0 && ms.packets == 1 && ms.truncated == 1,
	      "ERSPAN: a GSO copy the kernel will not wrap whole: cut to 1464 bytes, T bit, one copy",
	      "retval %u len %u seq %u packets %llu", r.retval, r.out_len, ntohl(ev->gre_seq),
	      (unsigned long long)ms.packets);
	r = run_copy(&e, 6, XVTEP_MIRROR_DIR_RX, &big);
	ev = (void *)r.out;
	CHECK_EQ(ntohl(ev->gre_seq), 1, "ERSPAN: after it, the next copy takes the next number");

	/* Unreachable collector: the copy is counted, nothing else happens. */
	m = (struct xvtep_mirror){ .id = 5, .kind = XVTEP_MIRROR_ERSPAN, .dir = 3,
				   .erspan_version = 2, .remote = a4(0xcb007163) };
	mirror_set(&e, 4, &m);
	r = run_copy(&e, 4, XVTEP_MIRROR_DIR_RX, &p);
	ms = mirror_stats(&e, 4);
	CHECK(r.retval == TC_ACT_SHOT && ms.drops[XVTEP_MDROP_NO_ROUTE] == 1,
	      "unreachable collector: copy dropped, counted as no_route", "retval %u", r.retval);

	/* Copies for a freed slot, and frames without our mark, are refused. */
	m = (struct xvtep_mirror){};
	mirror_set(&e, 5, &m);
	r = run_copy(&e, 5, XVTEP_MIRROR_DIR_RX, &p);
	ms = mirror_stats(&e, 5);
	CHECK(r.retval == TC_ACT_SHOT && ms.drops[XVTEP_MDROP_NO_SESSION] == 1,
	      "copy for a deleted session is dropped and counted", "retval %u", r.retval);
	r = run_tc(&e, TC_MIRROR(&e), e.ifi_p1, &p);
	CHECK_EQ(r.retval, TC_ACT_SHOT, "the mirror device takes only marked copies");

	/* Source side: an rx session on a port leaves the forwarded frame alone. */
	struct xvtep_port port = { .vni = VNI_A, .mirror_rx = 1 << 0 };
	uint32_t ifi = e.ifi_p1;
	bpf_map_update_elem(e.ports, &ifi, &port, BPF_ANY);
	fdb_set(&e, VNI_A, MAC_VM2, e.ifi_p2, 0, XVTEP_FDB_F_STATIC);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	ms = mirror_stats(&e, 0);
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len && !memcmp(r.out, p.buf, p.len) &&
	      ms.drops[XVTEP_MDROP_CLONE] == 0,
	      "rx mirroring on a port: frame forwarded unchanged, copy cloned", "retval %u",
	      r.retval);

	/* A SPAN copy with nothing to cut skips the mirror device: the source's
	 * program clones the frame straight to the destination and counts it. */
	uint64_t tx0 = dev_tx_packets("ut-up");

	m = (struct xvtep_mirror){ .id = 1, .kind = XVTEP_MIRROR_SPAN, .dir = 3,
				   .dest_ifindex = e.ifi_up };
	mirror_set(&e, 0, &m);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	ms = mirror_stats(&e, 0);
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len && !memcmp(r.out, p.buf, p.len) &&
	      ms.packets == 1 && ms.bytes == p.len && dev_tx_packets("ut-up") == tx0 + 1,
	      "SPAN, nothing to cut: cloned straight to the destination, counted at the source",
	      "retval %u packets %llu bytes %llu dest tx +%llu", r.retval,
	      (unsigned long long)ms.packets, (unsigned long long)ms.bytes,
	      (unsigned long long)(dev_tx_packets("ut-up") - tx0));
	/* A frame longer than the session's cut goes to the mirror device,
	 * whose program cuts and counts it. */
	m.truncate = 100;
	mirror_set(&e, 0, &m);
	tx0 = dev_tx_packets("ut-up");
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	ms = mirror_stats(&e, 0);
	CHECK(r.retval == TC_ACT_REDIRECT && ms.packets == 0 && dev_tx_packets("ut-up") == tx0 &&
	      ms.drops[XVTEP_MDROP_CLONE] == 0,
	      "SPAN that cuts: left to the mirror device, nothing sent or counted at the source",
	      "retval %u packets %llu dest tx +%llu", r.retval, (unsigned long long)ms.packets,
	      (unsigned long long)(dev_tx_packets("ut-up") - tx0));
	m.truncate = 200;	/* the frame's own length: nothing to cut */
	mirror_set(&e, 0, &m);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	ms = mirror_stats(&e, 0);
	CHECK(ms.packets == 1 && ms.truncated == 0 && dev_tx_packets("ut-up") == tx0 + 1,
	      "SPAN whose cut the frame fits: sent straight, not marked truncated",
	      "packets %llu truncated %llu", (unsigned long long)ms.packets,
	      (unsigned long long)ms.truncated);
	/* A destination that is gone: the copy is counted lost, the frame goes on. */
	m = (struct xvtep_mirror){ .id = 1, .kind = XVTEP_MIRROR_SPAN, .dir = 3,
				   .dest_ifindex = 999999 };
	mirror_set(&e, 0, &m);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	ms = mirror_stats(&e, 0);
	CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len && !memcmp(r.out, p.buf, p.len) &&
	      ms.packets == 0 && ms.drops[XVTEP_MDROP_REDIRECT] == 1,
	      "SPAN to a vanished destination: copy counted redirect_failed, frame forwarded",
	      "retval %u packets %llu redirect_failed %llu", r.retval,
	      (unsigned long long)ms.packets, (unsigned long long)ms.drops[XVTEP_MDROP_REDIRECT]);
	env_close(&e);
	env_mirror_ifindex = 0;
}

/* ---------------------------------------------------------------- mirroring in XDP */

#define XDP_MIRROR(e) bpf_program__fd((e)->skel->progs.xvtep_xdp_mir)

/* A copy made by XDP as it reaches xvtep_xdp_mir: TAG in 4 bytes of
 * metadata before the frame (no metadata when TAG is 0). The output starts
 * at the metadata. */
/* The copy as xvtep_xdp_up hands it over: the session tag (if any) as 4 bytes of metadata. */
static struct run run_xdp_copy(struct env *e, uint32_t tag, const struct pkt *p)
{
	return run_xdp_meta(XDP_MIRROR(e), e->ifi_p1, &tag, tag ? 4 : 0, p);
}

#define MTAG(dir, slot) (XVTEP_MIRROR_MARK | (dir) << 8 | (slot))

static void test_xdp_mirror_shapes(void)
{
	struct inner_opts in = { .dst = MAC_VM2, .src = MAC_VM1, .proto = ETH_P_IP,
				 .l4 = IPPROTO_UDP, .payload = 186, .fill = 0x44 };
	struct xvtep_mirror m = {};
	struct xvtep_mirror_stats ms;
	struct erspan_view *ev;
	struct pkt p = {};
	struct env e;
	struct run r;

	env_mirror_ifindex = if_nametoindex("ut-p2");
	if (env_std(&e, 49152, 65535, 0))
		return (void)CHECK(0, "xdp mirror setup", "load failed");
	p.len = build_inner(p.buf, &in);	/* 200 bytes */

	/* What is not a copy of ours goes on to TC untouched. */
	r = run_xdp_copy(&e, 0, &p);
	CHECK(r.retval == XDP_PASS && r.out_len == p.len && !memcmp(r.out, p.buf, p.len),
	      "xdp mirror: a frame without metadata is passed untouched", "retval %u", r.retval);
	r = run_xdp_copy(&e, 0x12345678, &p);
	CHECK(r.retval == XDP_PASS && r.out_len == p.len + 4 && !memcmp(r.out + 4, p.buf, p.len),
	      "xdp mirror: foreign metadata is passed untouched", "retval %u", r.retval);
	r = run_xdp_copy(&e, MTAG(XVTEP_MIRROR_DIR_TX, 7), &p);
	ms = mirror_stats(&e, 7);
	CHECK(r.retval == XDP_DROP && ms.drops[XVTEP_MDROP_NO_SESSION] == 1,
	      "xdp mirror: a copy for a free slot is dropped, counted no_session", "retval %u",
	      r.retval);

	/* SPAN: sent by XDP only where the output takes XDP frames. */
	m = (struct xvtep_mirror){ .id = 1, .kind = XVTEP_MIRROR_SPAN, .dir = 2,
				   .dest_ifindex = e.ifi_p2 };
	mirror_set(&e, 0, &m);
	xmit_allow(&e, e.ifi_p2, false);
	r = run_xdp_copy(&e, MTAG(XVTEP_MIRROR_DIR_TX, 0), &p);
	ms = mirror_stats(&e, 0);
	CHECK(r.retval == XDP_PASS && r.out_len == p.len + 4 && !memcmp(r.out + 4, p.buf, p.len) &&
	      ms.packets == 0,
	      "xdp mirror: SPAN to an output not in xvtep_mirror_xmit: passed to TC, tag kept",
	      "retval %u len %u packets %llu", r.retval, r.out_len, (unsigned long long)ms.packets);
	xmit_allow(&e, e.ifi_p2, true);
	r = run_xdp_copy(&e, MTAG(XVTEP_MIRROR_DIR_TX, 0), &p);
	ms = mirror_stats(&e, 0);
	CHECK(r.retval == XDP_REDIRECT && r.out_len == p.len + 4 && !memcmp(r.out + 4, p.buf, p.len) &&
	      ms.packets == 1 && ms.bytes == p.len,
	      "xdp mirror: SPAN copy sent by XDP, byte-identical, counted",
	      "retval %u len %u packets %llu bytes %llu", r.retval, r.out_len,
	      (unsigned long long)ms.packets, (unsigned long long)ms.bytes);

	/* RSPAN with truncation: cut first, then tagged. */
	m = (struct xvtep_mirror){ .id = 2, .kind = XVTEP_MIRROR_RSPAN, .dir = 2,
				   .dest_ifindex = e.ifi_p2, .vlan = 999, .truncate = 64 };
	mirror_set(&e, 1, &m);
	r = run_xdp_copy(&e, MTAG(XVTEP_MIRROR_DIR_TX, 1), &p);
	ms = mirror_stats(&e, 1);
	CHECK(r.retval == XDP_REDIRECT && r.out_len == 4 + 68 && !memcmp(r.out + 4, p.buf, 12) &&
	      r.out[16] == 0x81 && r.out[17] == 0x00 && r.out[18] == 0x03 && r.out[19] == 0xe7 &&
	      !memcmp(r.out + 20, p.buf + 12, 64 - 12) && ms.truncated == 1 && ms.bytes == 68,
	      "xdp mirror: RSPAN VID 999 on the frame's first 64 bytes, truncated counted",
	      "retval %u len %u", r.retval, r.out_len);

	/* ERSPAN II through ut-up: only once ut-up takes XDP frames. */
	m = (struct xvtep_mirror){ .id = 3, .kind = XVTEP_MIRROR_ERSPAN, .dir = 2,
				   .erspan_version = 2, .remote = a4(IP_PEER), .session = 10,
				   .index = 7 };
	mirror_set(&e, 2, &m);
	xmit_allow(&e, e.ifi_up, false);
	r = run_xdp_copy(&e, MTAG(XVTEP_MIRROR_DIR_TX, 2), &p);
	CHECK(r.retval == XDP_PASS && r.out_len == p.len + 4,
	      "xdp mirror: ERSPAN via an output not in xvtep_mirror_xmit: passed to TC",
	      "retval %u len %u", r.retval, r.out_len);
	xmit_allow(&e, e.ifi_up, true);
	r = run_xdp_copy(&e, MTAG(XVTEP_MIRROR_DIR_TX, 2), &p);
	ev = (void *)(r.out + 4);
	CHECK(r.retval == XDP_REDIRECT && r.out_len == 4 + 50 + p.len &&
	      !memcmp(r.out + 54, p.buf, p.len),
	      "xdp mirror: ERSPAN II: 50 header bytes, then the frame intact", "retval %u len %u",
	      r.retval, r.out_len);
	CHECK(!memcmp(ev->eth.h_dest, MAC_PEER, 6) && !memcmp(ev->eth.h_source, MAC_UPLINK, 6) &&
	      ev->ip.protocol == 47 && ev->ip.saddr == htonl(IP_LOCAL) &&
	      ev->ip.daddr == htonl(IP_PEER) && ntohs(ev->ip.tot_len) == 50 - 14 + p.len &&
	      pkt_csum(&ev->ip, 20) == 0 && ntohs(ev->gre_proto) == 0x88be &&
	      ntohl(ev->gre_seq) == 0 && ntohl(ev->w0) == (1u << 28 | 10) && ntohl(ev->w1) == 7,
	      "xdp mirror: ERSPAN II headers as TC writes them (route, GRE, session, index)",
	      "w0 %08x w1 %08x", ntohl(ev->w0), ntohl(ev->w1));

	/* Too big for ut-up's MTU 1500 with the 36 outer bytes: cut to fit, T set. */
	struct inner_opts big = in;
	struct pkt pbig = {};

	big.payload = in.payload + 1514 - p.len;	/* a 1514-byte frame */
	pbig.len = build_inner(pbig.buf, &big);
	r = run_xdp_copy(&e, MTAG(XVTEP_MIRROR_DIR_TX, 2), &pbig);
	ev = (void *)(r.out + 4);
	ms = mirror_stats(&e, 2);
	CHECK(r.retval == XDP_REDIRECT && pbig.len == 1514 && r.out_len == 4 + 50 + 1464 &&
	      !memcmp(r.out + 54, pbig.buf, 1464) && ntohs(ev->ip.tot_len) == 1500 &&
	      (ntohl(ev->w0) & 1u << 10) && ms.truncated == 1,
	      "xdp mirror: ERSPAN copy over the route's MTU cut to 1464 bytes, T bit set",
	      "retval %u len %u w0 %08x frame %u", r.retval, r.out_len, ntohl(ev->w0),
	      (unsigned)pbig.len);

	/* ERSPAN III, tx: the D bit. */
	m = (struct xvtep_mirror){ .id = 4, .kind = XVTEP_MIRROR_ERSPAN, .dir = 2,
				   .erspan_version = 3, .remote = a4(IP_PEER), .session = 1023,
				   .hwid = 0x2a };
	mirror_set(&e, 3, &m);
	r = run_xdp_copy(&e, MTAG(XVTEP_MIRROR_DIR_TX, 3), &p);
	ev = (void *)(r.out + 4);
	CHECK(r.retval == XDP_REDIRECT && r.out_len == 4 + 54 + p.len &&
	      !memcmp(r.out + 58, p.buf, p.len) && ntohs(ev->gre_proto) == 0x22eb &&
	      ntohl(ev->w0) == (2u << 28 | 1023) && ntohl(ev->w2) == (0x2au << 4 | 1u << 3),
	      "xdp mirror: ERSPAN III: 54 header bytes, HW ID 42, D=1, frame intact",
	      "retval %u len %u w2 %08x", r.retval, r.out_len, ntohl(ev->w2));

	/* No route: left to TC, which routes, resolves and counts. */
	m = (struct xvtep_mirror){ .id = 5, .kind = XVTEP_MIRROR_ERSPAN, .dir = 2,
				   .erspan_version = 2, .remote = a4(0xcb007163) };
	mirror_set(&e, 4, &m);
	r = run_xdp_copy(&e, MTAG(XVTEP_MIRROR_DIR_TX, 4), &p);
	CHECK(r.retval == XDP_PASS && r.out_len == p.len + 4 && !memcmp(r.out + 4, p.buf, p.len),
	      "xdp mirror: unroutable collector: passed to TC untouched", "retval %u", r.retval);

	/* The source: a port with one tx session gets the frame and a tagged copy. */
	struct xvtep_port port = { .vni = VNI_A, .mirror_tx = 1 << 0 };
	struct outer_opts o = out_std();
	struct pkt vx = {};
	uint32_t ifi = e.ifi_p1;
	int pair, bcast = bpf_map__fd(e.skel->maps.xvtep_mirror_bcast);
	uint32_t tag;

	bpf_map_update_elem(e.ports, &ifi, &port, BPF_ANY);
	bpf_map_delete_elem(e.devmap, &ifi);
	fdb_set(&e, VNI_A, MAC_VM1, e.ifi_p1, 0, XVTEP_FDB_F_STATIC);
	env_written(&e);
	build_vxlan(&vx, &o, &IN_UNICAST);
	r = run_xdp(&e, &vx);
	CHECK_EQ(r.retval, XDP_PASS, "xdp decap: tx source without a pair map: left to TC");
	pair = bpf_map_create(BPF_MAP_TYPE_DEVMAP_HASH, "ut_pair", 4, 4, 2, NULL);
	bpf_map_update_elem(pair, &ifi, &ifi, BPF_ANY);
	bpf_map_update_elem(bcast, &ifi, &pair, BPF_ANY);
	close(pair);
	r = run_xdp(&e, &vx);
	memcpy(&tag, r.out, 4);
	/* Without the helper: tests/unit/features.c */
	if (!(unit_feat_off & XVTEP_FEAT_XDP_META))
		CHECK(r.retval == XDP_REDIRECT && r.out_len == 4 + vx.len - 50 &&
		      tag == MTAG(XVTEP_MIRROR_DIR_TX, 0) &&
		      !memcmp(r.out + 4, vx.buf + 50, vx.len - 50),
		      "xdp decap: tx source with a pair: redirected, tag in metadata, inner frame intact",
		      "retval %u len %u tag %08x", r.retval, r.out_len, tag);
	port.mirror_tx = 3;
	bpf_map_update_elem(e.ports, &ifi, &port, BPF_ANY);
	r = run_xdp(&e, &vx);
	CHECK_EQ(r.retval, XDP_PASS, "xdp decap: two tx sessions: left to TC even with a pair");
	env_close(&e);
	env_mirror_ifindex = 0;
}

void test_malformed(void);	/* malformed.c */
void test_xdp_port(void);	/* xdp_port.c */
void events_tests(void);	/* events.c */
void neigh_tests(void);	/* neigh.c */
void test_vlan(void);		/* vlan.c */
void ipv6_tests(void);		/* ipv6.c */

int main(int argc, char **argv)
{
	cpu_set_t one;

	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0 || ncpus > 256) {
		printf("FAIL: unit: setup: %d CPUs\n", ncpus);
		return 1;
	}
	/* Test runs execute on the caller's CPU: one CPU, one set of per-CPU caches. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	if (sched_setaffinity(0, sizeof(one), &one)) {
		printf("FAIL: unit: setup: sched_setaffinity: %s\n", strerror(errno));
		return 1;
	}
	if (xv_features_probe(&unit_feat_off)) {
		printf("FAIL: unit: setup: cannot probe the kernel's features\n");
		return 1;
	}
	test_features();
	test_xdp_not_ours();
	test_xdp_drops();
	test_xdp_fast_path();
	test_xdp_caches();
	test_learning_rules();
	test_learning_epoch();
	test_tc_decap();
	test_encap();
	test_encap_flood();
	test_ageing();
	test_mirror_load();
	test_mirror_shapes();
	test_xdp_mirror_shapes();
	test_xdp_port();
	test_vlan();
	test_malformed();
	security_tests();
	events_tests();
	neigh_tests();
	ipv6_tests();
	printf("unit: %d passed, %d failed\n", unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}
