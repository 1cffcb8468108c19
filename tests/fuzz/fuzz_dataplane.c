// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the xvtep dataplane: the real skeleton, loaded once,
 * driven with BPF_PROG_TEST_RUN. Each input is
 *
 *   CFG_LEN bytes of map state (VNI learning and mac-limit, port, FDB
 *   entries, which programs run, mirror slot), then the frame
 *
 * and the frame goes through xvtep_xdp_up, xvtep_tc_up, xvtep_tc_port,
 * xvtep_tc_mirror and xvtep_xdp_port in turn, with the oracles checked after
 * every run. An
 * oracle failure calls abort(), so libFuzzer keeps the input.
 *
 * libFuzzer only sees this file's edges, not the BPF program's branches:
 * each run's outcome (program, verdict, which drop counters and events
 * moved) is fed back as extra coverage counters, so new BPF paths count as
 * new features.
 *
 * Needs the devices of tests/fuzz/run.sh (xf- namespace): run through it.
 */
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include "xvtep.h"
#include "xvtep.skel.h"
#include "xvtep_lib.h"

#include "../unit/world.h"

#define NVNIS		2
#define CFG_LEN		16
#define MAX_FRAME	2048	/* well inside what test_run takes for XDP and skbs */
#define NPROGS		5

static const uint32_t vnis[NVNIS] = { VNI_A, VNI_B };

static struct {
	struct xvtep *skel;
	int ncpus;
	int ifi_up, ifi_p1, ifi_p2;
	int fdb, vnis, vstate, ports, stats, devmap, mirrors, gen;
	int prog[NPROGS];
	struct xvtep_stats *per;	/* ncpus entries */
	uint32_t mac_limit[NVNIS];
} F;

static const char *const prog_names[NPROGS] = { "xdp_up", "tc_up", "tc_port", "tc_mirror",
						 "xdp_port" };

/* Outcome features for libFuzzer: [program][slot], see feature(). */
#define FEAT_SLOTS	64
__attribute__((section("__libfuzzer_extra_counters")))
static uint8_t extra_counters[NPROGS][FEAT_SLOTS];

static void feature(int prog, unsigned slot)
{
	if (slot < FEAT_SLOTS && extra_counters[prog][slot] < 255)
		extra_counters[prog][slot]++;
}

#define DIE(fmt, ...)                                                           \
	do {                                                                    \
		fprintf(stderr, "ORACLE FAILED: " fmt "\n", ##__VA_ARGS__);    \
		abort();                                                        \
	} while (0)

static void stats_sum(uint32_t slot, struct xvtep_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(F.stats, &slot, F.per))
		return;
	for (int c = 0; c < F.ncpus; c++) {
		for (int i = 0; i < XVTEP_DROP_SLOTS; i++)
			sum->drops[i] += F.per[c].drops[i];
		for (int i = 0; i < XVTEP_EVENT_SLOTS; i++)
			sum->events[i] += F.per[c].events[i];
	}
}

static void stats_reset(void)
{
	uint32_t keys[NVNIS + 1] = { 0, 1, 2 };	/* stats slots: global, A, B */

	memset(F.per, 0, F.ncpus * sizeof(*F.per));
	for (int i = 0; i <= NVNIS; i++)
		bpf_map_update_elem(F.stats, &keys[i], F.per, BPF_ANY);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct xvtep_mirror m;
	uint16_t feat_off;
	uint32_t slot;

	F.ncpus = libbpf_num_possible_cpus();
	F.ifi_up = if_nametoindex("ut-up");
	F.ifi_p1 = if_nametoindex("ut-p1");
	F.ifi_p2 = if_nametoindex("ut-p2");
	if (F.ncpus <= 0 || !F.ifi_up || !F.ifi_p1 || !F.ifi_p2) {
		fprintf(stderr, "fuzz: devices ut-up/ut-p1/ut-p2 missing: run tests/fuzz/run.sh\n");
		exit(1);
	}
	F.per = calloc(F.ncpus, sizeof(*F.per));
	F.skel = xvtep__open();
	if (!F.per || !F.skel)
		exit(1);
	F.skel->rodata->cfg_uplink_ifindex = F.ifi_up;
	F.skel->rodata->cfg_local_ip = htonl(IP_LOCAL);
	/* dual stack: the IPv6 decap paths are reachable too */
	memcpy((void *)F.skel->rodata->cfg_local_ip6, IP6_LOCAL, 16);
	F.skel->rodata->cfg_dstport = 4789;
	F.skel->rodata->cfg_uplink_mac[0] = 0x02;
	F.skel->rodata->cfg_uplink_mac[5] = 0x01;
	/* the features the loader would use on this kernel */
	if (xv_features_probe(&feat_off)) {
		fprintf(stderr, "fuzz: cannot probe the kernel's features\n");
		exit(1);
	}
	F.skel->rodata->cfg_xdp_meta = !(feat_off & XVTEP_FEAT_XDP_META);
	F.skel->rodata->cfg_decap_l3 = !(feat_off & XVTEP_FEAT_DECAP_L3);
	bpf_map__set_max_entries(F.skel->maps.xvtep_fdb, 256);
	if (xvtep__load(F.skel)) {
		fprintf(stderr, "fuzz: cannot load the skeleton\n");
		exit(1);
	}
	F.fdb = bpf_map__fd(F.skel->maps.xvtep_fdb);
	F.vnis = bpf_map__fd(F.skel->maps.xvtep_vnis);
	F.gen = bpf_map__fd(F.skel->maps.xvtep_gen);
	F.vstate = bpf_map__fd(F.skel->maps.xvtep_vstate);
	F.ports = bpf_map__fd(F.skel->maps.xvtep_ports);
	F.stats = bpf_map__fd(F.skel->maps.xvtep_stats);
	F.devmap = bpf_map__fd(F.skel->maps.xvtep_devmap);
	F.mirrors = bpf_map__fd(F.skel->maps.xvtep_mirrors);
	F.prog[0] = bpf_program__fd(F.skel->progs.xvtep_xdp_up);
	F.prog[1] = bpf_program__fd(F.skel->progs.xvtep_tc_up);
	F.prog[2] = bpf_program__fd(F.skel->progs.xvtep_tc_port);
	F.prog[3] = bpf_program__fd(F.skel->progs.xvtep_tc_mirror);
	F.prog[4] = bpf_program__fd(F.skel->progs.xvtep_xdp_port);
	/* The uplink takes XDP frames: the encap fast path may send there. */
	bpf_map_update_elem(bpf_map__fd(F.skel->maps.xvtep_mirror_xmit), &F.ifi_up, &F.ifi_up,
			    BPF_ANY);

	/* Mirror sessions for slots 0-2 (slot 3 stays free). */
	slot = 0;
	m = (struct xvtep_mirror){ .id = 1, .kind = XVTEP_MIRROR_SPAN, .dir = 3,
				   .dest_ifindex = F.ifi_p2 };
	bpf_map_update_elem(F.mirrors, &slot, &m, BPF_ANY);
	slot = 1;
	m = (struct xvtep_mirror){ .id = 2, .kind = XVTEP_MIRROR_RSPAN, .dir = 3, .vlan = 7,
				   .dest_ifindex = F.ifi_p2, .truncate = 64 };
	bpf_map_update_elem(F.mirrors, &slot, &m, BPF_ANY);
	slot = 2;
	m = (struct xvtep_mirror){ .id = 3, .kind = XVTEP_MIRROR_ERSPAN, .dir = 3,
				   .erspan_version = 3, .remote = a4(IP_PEER), .truncate = 100 };
	bpf_map_update_elem(F.mirrors, &slot, &m, BPF_ANY);
	return 0;
}

/* FDB MACs the config can plant: 02:aa:00:00:00:<sel>, a unicast MAC. */
static void planted_mac(uint8_t *mac, uint8_t sel)
{
	static const uint8_t base[6] = { 0x02, 0xaa, 0, 0, 0, 0 };

	memcpy(mac, base, 6);
	mac[5] = sel & 7;
}

/*
 * Config bytes:
 *  c[0], c[1]  VNI A, VNI B: bit0 learning, bit1 group, bit2 remote PEER,
 *              bit3 no ports (else p1 and p2 in VNI A, none in B), bits 4-5 mac_limit,
 *              bit6 the group and remote are IPv6 (IP6_GROUP, IP6_PEER)
 *  c[2]        port p1: bit0 in VNI B, bit1 NO_XDP, bit2 not a port at all,
 *              bit3 XDP_ENCAP (xvtep_xdp_port works on it)
 *  c[3..11]    3 FDB entries: [mac sel | bit7 present] [bit0 static, bit1 remote,
 *              bit2 VNI B, bit3 port p2,
 *              bit4 remote IP6_PEER] [unused]
 *  c[12]       programs to skip: bit n skips program n
 *  c[13]       mirror slot of the tc_mirror run (& 3), bit7: unmarked
 *  c[14]       bit0: rewrite the outer IPv4/IPv6 and UDP lengths to match the frame
 *              (see fix_lengths())
 */
static void set_state(const uint8_t *c)
{
	uint32_t dyn[NVNIS] = { 0 };
	struct xvtep_fdb_key k;

	while (!bpf_map_get_next_key(F.fdb, NULL, &k))
		bpf_map_delete_elem(F.fdb, &k);

	for (int v = 0; v < NVNIS; v++) {
		struct xvtep_vni cfg = { .ageing = 300, .stats_slot = v + 1 };

		cfg.flags = c[v] & 1 ? XVTEP_VNI_F_LEARNING : 0;
		cfg.group = c[v] & 2 ? (c[v] & 0x40 ? a6(IP6_GROUP) : a4(IP_GROUP)) : a4(0);
		if (c[v] & 4) {
			cfg.remotes[0] = c[v] & 0x40 ? a6(IP6_PEER) : a4(IP_PEER);
			cfg.nr_remotes = 1;
		}
		if (v == 0 && !(c[v] & 8)) {
			cfg.ports[0] = F.ifi_p1;
			cfg.ports[1] = F.ifi_p2;
			cfg.nr_ports = 2;
		}
		cfg.mac_limit = (c[v] >> 4) & 3;
		F.mac_limit[v] = cfg.mac_limit;
		bpf_map_update_elem(F.vnis, &vnis[v], &cfg, BPF_ANY);
	}

	for (int i = 0; i < 2; i++) {
		uint32_t ifi = i ? F.ifi_p2 : F.ifi_p1;
		struct xvtep_port port = { .vni = VNI_A };

		if (i == 0 && (c[2] & 4)) {
			bpf_map_delete_elem(F.ports, &ifi);
			bpf_map_delete_elem(F.devmap, &ifi);
			continue;
		}
		if (i == 0 && (c[2] & 1))
			port.vni = VNI_B;
		if (i == 0 && (c[2] & 2))
			port.flags = XVTEP_PORT_F_NO_XDP;
		if (i == 0 && (c[2] & 8))
			port.flags |= XVTEP_PORT_F_XDP_ENCAP;
		bpf_map_update_elem(F.ports, &ifi, &port, BPF_ANY);
		/* As the control plane keeps it (xv_devmap_sync): NO_XDP = not in the devmap. */
		if (port.flags & XVTEP_PORT_F_NO_XDP)
			bpf_map_delete_elem(F.devmap, &ifi);
		else
			bpf_map_update_elem(F.devmap, &ifi, &ifi, BPF_ANY);
	}

	for (int i = 0; i < 3; i++) {
		const uint8_t *e = c + 3 + 3 * i;
		struct xvtep_fdb_entry ent = {};
		int v = e[1] & 4 ? 1 : 0;

		if (!(e[0] & 0x80))
			continue;
		memset(&k, 0, sizeof(k));
		k.vni = vnis[v];
		planted_mac(k.mac, e[0]);
		ent.flags = e[1] & 1 ? XVTEP_FDB_F_STATIC : 0;
		if (e[1] & 2) {
			ent.flags |= XVTEP_FDB_F_REMOTE;
			ent.remote = e[1] & 0x10 ? a6(IP6_PEER) : a4(IP_PEER);
		} else {
			ent.ifindex = e[1] & 8 ? F.ifi_p2 : F.ifi_p1;
		}
		/* Dynamic entries must respect the limit the dataplane enforces:
		 * past it, plant a static one (counted below from the map). */
		if (!(ent.flags & XVTEP_FDB_F_STATIC) && F.mac_limit[v] && dyn[v] >= F.mac_limit[v])
			ent.flags |= XVTEP_FDB_F_STATIC;
		if (!(ent.flags & XVTEP_FDB_F_STATIC))
			dyn[v]++;
		bpf_map_update_elem(F.fdb, &k, &ent, BPF_ANY);
	}
	/* The learned count the dataplane keeps, from what is in the map (a key
	 * planted twice holds only its last version). */
	for (int v = 0; v < NVNIS; v++) {
		struct xvtep_vstate vs = {};
		struct xvtep_fdb_entry ent;
		void *prev = NULL;
		struct xvtep_fdb_key next;

		while (!bpf_map_get_next_key(F.fdb, prev, &next)) {
			k = next;
			prev = &k;
			if (next.vni == vnis[v] && !bpf_map_lookup_elem(F.fdb, &next, &ent) &&
			    !(ent.flags & XVTEP_FDB_F_STATIC))
				vs.learned++;
		}
		bpf_map_update_elem(F.vstate, &vnis[v], &vs, BPF_ANY);
	}
	/* As the CLI does after writing: the XDP caches refill (bpf/cache.h). */
	xv_gen_bump(F.gen);
	stats_reset();
}

/* FDB and learned-count invariants. */
static void check_fdb(const char *prog)
{
	uint64_t dyn[NVNIS] = { 0 };
	struct xvtep_fdb_key k, next;
	struct xvtep_fdb_entry e;
	void *prev = NULL;

	while (!bpf_map_get_next_key(F.fdb, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(F.fdb, &k, &e))
			continue;
		if ((k.mac[0] & 1) || !(k.mac[0] | k.mac[1] | k.mac[2] | k.mac[3] | k.mac[4] | k.mac[5]))
			DIE("%s: multicast or zero MAC %02x:%02x:%02x:%02x:%02x:%02x in the FDB",
			    prog, k.mac[0], k.mac[1], k.mac[2], k.mac[3], k.mac[4], k.mac[5]);
		if (k.pad)
			DIE("%s: FDB key with non-zero padding", prog);
		if (k.vni != VNI_A && k.vni != VNI_B)
			DIE("%s: FDB entry in unconfigured VNI %u", prog, k.vni);
		if (e.flags & XVTEP_FDB_F_REMOTE) {
			static const union xvtep_addr loop6 = { .b[15] = 1 };
			char buf[XV_ADDR_STRLEN];

			if (xvtep_addr_is_zero(&e.remote) || xvtep_addr_is_mcast(&e.remote) ||
			    addr_is4(&e.remote, IP_LOCAL) || addr_is6(&e.remote, IP6_LOCAL) ||
			    xvtep_addr_equal(&e.remote, &loop6))
				DIE("%s: FDB entry behind impossible VTEP %s", prog,
				    xv_fmt_addr(&e.remote, buf));
		} else if ((int)e.ifindex != F.ifi_p1 && (int)e.ifindex != F.ifi_p2) {
			DIE("%s: FDB entry on non-port ifindex %u", prog, e.ifindex);
		}
		if (!(e.flags & XVTEP_FDB_F_STATIC))
			dyn[k.vni == VNI_B]++;
	}
	for (int v = 0; v < NVNIS; v++) {
		struct xvtep_vstate vs = {};

		bpf_map_lookup_elem(F.vstate, &vnis[v], &vs);
		if (F.mac_limit[v] && vs.learned > F.mac_limit[v])
			DIE("%s: VNI %u learned %llu > mac_limit %u", prog, vnis[v],
			    (unsigned long long)vs.learned, F.mac_limit[v]);
		if (vs.learned != dyn[v])
			DIE("%s: VNI %u learned count %llu but %llu dynamic entries", prog, vnis[v],
			    (unsigned long long)vs.learned, (unsigned long long)dyn[v]);
	}
}

/* Drops that mean "bad frame": nothing may be learned or moved by it. */
static bool bad_frame_drop(int reason)
{
	return reason == XVTEP_DROP_MALFORMED || reason == XVTEP_DROP_NO_I_FLAG ||
	       reason == XVTEP_DROP_UNKNOWN_VNI || reason == XVTEP_DROP_INNER_VLAN ||
	       reason == XVTEP_DROP_BAD_SRC_MAC || reason == XVTEP_DROP_OWN_SOURCE ||
	       reason == XVTEP_DROP_PORT_UNKNOWN || reason == XVTEP_DROP_STATIC_CONFLICT;
}

static void run_one(int p, const uint8_t *frame, size_t len, uint8_t mirror_cfg)
{
	static uint8_t out[MAX_FRAME + 512];
	struct xvtep_stats before[NVNIS + 1], after[NVNIS + 1];
	uint32_t keys[NVNIS + 1] = { 0, 1, 2 };	/* stats slots: global, A, B */
	uint32_t ifi = p == 2 || p == 4 ? F.ifi_p1 : F.ifi_up;
	struct __sk_buff ctx = { .ifindex = ifi, .ingress_ifindex = ifi };
	struct xdp_md xctx = { .data_end = len, .ingress_ifindex = ifi };
	bool xdp = p == 0 || p == 4;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	uint64_t drops = 0, learned = 0, flooded = 0;
	int bad_reason = -1, err;

	if (p == 3 && !(mirror_cfg & 0x80))
		ctx.mark = XVTEP_MIRROR_MARK | XVTEP_MIRROR_DIR_RX << 8 | (mirror_cfg & 3);
	if (p == 4) {
		o.ctx_in = &xctx;
		o.ctx_size_in = sizeof(xctx);
	} else if (p != 0) {
		o.ctx_in = &ctx;
		o.ctx_size_in = sizeof(ctx);
	}
	for (int i = 0; i <= NVNIS; i++)
		stats_sum(keys[i], &before[i]);

	err = bpf_prog_test_run_opts(F.prog[p], &o);
	if (err) {
		err = -errno;
		/* The kernel refuses frames shorter than Ethernet, and skbs whose
		 * ethertype promises an IPv4/IPv6 header they do not hold. */
		if (err == -EINVAL && (len < ETH_HLEN || (!xdp && len < ETH_HLEN + 40))) {
			feature(p, 63);
			return;
		}
		DIE("%s: test_run failed: %d (len %zu)", prog_names[p], err, len);
	}
	if (xdp && o.retval != XDP_PASS && o.retval != XDP_DROP && o.retval != XDP_REDIRECT)
		DIE("%s: verdict %u (ABORTED=0, TX=3 never expected)", prog_names[p], o.retval);
	if (!xdp && o.retval != TC_ACT_OK && o.retval != TC_ACT_SHOT &&
	    o.retval != TC_ACT_REDIRECT)
		DIE("%s: verdict %u", prog_names[p], o.retval);
	feature(p, o.retval & 7);

	for (int i = 0; i <= NVNIS; i++) {
		stats_sum(keys[i], &after[i]);
		for (int r = 0; r < XVTEP_DROP_SLOTS; r++) {
			uint64_t d = after[i].drops[r] - before[i].drops[r];

			if (d) {
				drops += d;
				feature(p, 8 + (r & 31));
				if (bad_frame_drop(r))
					bad_reason = r;
			}
		}
		for (int ev = 0; ev < XVTEP_EVENT_SLOTS; ev++)
			if (after[i].events[ev] != before[i].events[ev])
				feature(p, 40 + (ev & 15));
		learned += after[i].events[XVTEP_EV_LEARNED] - before[i].events[XVTEP_EV_LEARNED];
		learned += after[i].events[XVTEP_EV_MOVED] - before[i].events[XVTEP_EV_MOVED];
		flooded += after[i].events[XVTEP_EV_FLOODED] - before[i].events[XVTEP_EV_FLOODED];
	}
	if (bad_reason >= 0 && learned)
		DIE("%s: learned/moved an FDB entry from a frame dropped as %s", prog_names[p],
		    bad_reason < XVTEP_DROP__MAX ? xvtep_drop_names[bad_reason] : "?");
	/* Every drop has a reason. Exceptions: a port flood whose local copies
	 * were the whole job, and the mirror device (own per-session counters). */
	if (p != 3 && !drops && !flooded &&
	    ((xdp && o.retval == XDP_DROP) || (!xdp && o.retval == TC_ACT_SHOT)))
		DIE("%s: dropped without a drop reason", prog_names[p]);
	/* The encap fast path hands TC the frame as it came, and decides before
	 * learning: a pass learned nothing. */
	if (p == 4 && o.retval == XDP_PASS &&
	    (o.data_size_out != len || memcmp(out, frame, len) || learned))
		DIE("xdp_port: XDP_PASS with the frame changed or a source learned");
	check_fdb(prog_names[p]);
}

/* Blind mutations rarely change a frame's length and both length fields
 * together; with this, every cut or growth of an IPv4 frame stays
 * consistent and reaches the checks behind the length checks. */
static void fix_lengths(uint8_t *f, size_t len)
{
	size_t ihl;

	if (len >= 14 + 40 + 8 && f[12] == 0x86 && f[13] == 0xdd) {
		/* IPv6: payload length, and the UDP length right after it */
		f[18] = (len - 54) >> 8;
		f[19] = (len - 54) & 0xff;
		if (f[20] == 17) {
			f[54 + 4] = (len - 54) >> 8;
			f[54 + 5] = (len - 54) & 0xff;
		}
		return;
	}
	if (len < 14 + 20 + 8 || f[12] != 0x08 || f[13] != 0x00)
		return;
	ihl = (f[14] & 15) * 4;
	f[16] = (len - 14) >> 8;
	f[17] = (len - 14) & 0xff;
	if (ihl >= 20 && len >= 14 + ihl + 8) {
		f[14 + ihl + 4] = (len - 14 - ihl) >> 8;
		f[14 + ihl + 5] = (len - 14 - ihl) & 0xff;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[MAX_FRAME];
	size_t len = size - CFG_LEN;

	if (size < CFG_LEN || size > CFG_LEN + MAX_FRAME)
		return -1;	/* -1: libFuzzer leaves the input out of the corpus */
	memcpy(frame, data + CFG_LEN, len);
	if (data[14] & 1)
		fix_lengths(frame, len);
	set_state(data);
	for (int p = 0; p < NPROGS; p++)
		if (!(data[12] & (1 << p)))
			run_one(p, frame, len, data[13]);
	return 0;
}
