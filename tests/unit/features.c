// SPDX-License-Identifier: GPL-2.0
/*
 * Optional kernel features (lib/features.c): the probes agree with what the
 * kernel then does to the real object, XVTEP_FEATURES_OFF is honoured, and
 * each fallback forwards as the full path does.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <net/if.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xvtep_lib.h"
#include "unit.h"
#include "env.h"

static const struct inner_opts IN_V4 = {
	.dst = MAC_VM1, .src = MAC_FAR, .proto = ETH_P_IP, .l4 = IPPROTO_UDP, .payload = 64,
};

/* VNI A with ports p1 and p2, MAC_VM1 static on p1. */
static int env_feat(struct env *e, const struct env_cfg *c)
{
	struct xvtep_vni a = { .flags = XVTEP_VNI_F_LEARNING, .ageing = 300 };

	if (env_load(e, c))
		return -1;
	vni_add(e, VNI_A, &a);
	port_add(e, e->ifi_p1, VNI_A);
	port_add(e, e->ifi_p2, VNI_A);
	fdb_set(e, VNI_A, MAC_VM1, e->ifi_p1, 0, XVTEP_FDB_F_STATIC);
	return 0;
}

/* What the kernel lacks, without what XVTEP_FEATURES_OFF turned off. */
static __u16 kernel_lacks(void)
{
	return unit_feat_off & XVTEP_FEAT__ALL & ~(unit_feat_off >> XVTEP_FEAT_FORCED_SHIFT);
}

static void test_features_env(void)
{
	const char *saved = getenv(XV_FEATURES_OFF_ENV);
	char *keep = saved ? strdup(saved) : NULL;
	__u16 off = 0, kernel_off;
	int err;

	kernel_off = kernel_lacks();
	setenv(XV_FEATURES_OFF_ENV, "decap-l3, tcx", 1);
	err = xv_features_probe(&off);
	CHECK(!err && (off & XVTEP_FEAT_DECAP_L3) && (off & XVTEP_FEAT_TCX) &&
	      !(off & (XVTEP_FEAT_XDP_META << XVTEP_FEAT_FORCED_SHIFT)),
	      "features: XVTEP_FEATURES_OFF turns the named features off, no others",
	      "err %d feat_off %#x", err, off);
	CHECK(!strcmp(xv_feature_why_off(off, XVTEP_FEAT_DECAP_L3),
		      "turned off by " XV_FEATURES_OFF_ENV) ||
	      (kernel_off & XVTEP_FEAT_DECAP_L3),
	      "features: a feature turned off by hand says so", "why \"%s\"",
	      xv_feature_why_off(off, XVTEP_FEAT_DECAP_L3));
	setenv(XV_FEATURES_OFF_ENV, "decap-l3,bogus", 1);
	CHECK(xv_features_probe(&off) == -1, "features: an unknown name in XVTEP_FEATURES_OFF is refused",
	      "accepted");
	unsetenv(XV_FEATURES_OFF_ENV);
	err = xv_features_probe(&off);
	CHECK(!err && off == kernel_off, "features: without XVTEP_FEATURES_OFF only the kernel decides",
	      "feat_off %#x, kernel lacks %#x", off, kernel_off);
	if (keep)
		setenv(XV_FEATURES_OFF_ENV, keep, 1);
	free(keep);
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

/* The object with every mirror source live (cfg_mirror_ifindex set) and the
 * XDP metadata path on loads exactly where the probe says the helper is allowed. */
static void test_xdp_meta_probe(void)
{
	struct xvtep *skel = xvtep__open();
	libbpf_print_fn_t old;
	int err = -1;

	if (skel) {
		skel->rodata->cfg_uplink_ifindex = if_nametoindex("ut-up");
		skel->rodata->cfg_mirror_ifindex = if_nametoindex("ut-p2");
		skel->rodata->cfg_xdp_meta = 1;
		bpf_map__set_max_entries(skel->maps.xvtep_fdb, 1024);
		old = libbpf_set_print(silent);	/* a refusal is an expected outcome here */
		err = xvtep__load(skel);
		libbpf_set_print(old);
		xvtep__destroy(skel);
	}
	CHECK(!err == !(kernel_lacks() & XVTEP_FEAT_XDP_META),
	      "features: xdp-meta probe agrees with the verifier on the XDP mirror path",
	      "probe says %s, load returned %d",
	      kernel_lacks() & XVTEP_FEAT_XDP_META ? "off" : "on", err);
}

/* Without XDP metadata the control plane makes no tagged pair (lib/maps.c);
 * should one be left from before, the frame still reaches its port and the
 * copy is a counted drop, never a malformed frame. */
static void test_xdp_meta_off(void)
{
	struct env_cfg c = { .feat_off = XVTEP_FEAT_XDP_META,
			     .mirror_ifindex = if_nametoindex("ut-p2") };
	struct xvtep_port port = { .vni = VNI_A, .mirror_tx = 1 << 0 };
	struct xvtep_mirror m = { .id = 1, .kind = XVTEP_MIRROR_ERSPAN, .dir = 2,
				  .erspan_version = 1, .remote = a4(IP_PEER) };
	struct xvtep_mirror_stats ms = {};
	struct outer_opts o = { .src = IP_PEER, .dst = IP_LOCAL, .vni = VNI_A };
	struct pkt vx = {};
	struct env e;
	struct run r;
	__u32 ifi, slot = 0;
	int pair;

	if (env_feat(&e, &c))
		return (void)CHECK(0, "features: xdp-meta off setup", "load failed");
	ifi = e.ifi_p1;
	bpf_map_update_elem(e.mirrors, &slot, &m, BPF_ANY);
	bpf_map_update_elem(e.ports, &ifi, &port, BPF_ANY);
	bpf_map_delete_elem(e.devmap, &ifi);
	pair = bpf_map_create(BPF_MAP_TYPE_DEVMAP_HASH, "ut_pair", 4, 4, 2, NULL);
	bpf_map_update_elem(pair, &ifi, &ifi, BPF_ANY);
	bpf_map_update_elem(bpf_map__fd(e.skel->maps.xvtep_mirror_bcast), &ifi, &pair, BPF_ANY);
	close(pair);
	env_written(&e);
	build_vxlan(&vx, &o, &IN_V4);
	r = run_xdp(&e, &vx);
	xv_percpu_sum(e.mstats, &slot, &ms, sizeof(ms));
	CHECK(r.retval == XDP_REDIRECT && r.out_len == vx.len - XVTEP_ENCAP_LEN &&
	      !memcmp(r.out, vx.buf + XVTEP_ENCAP_LEN, r.out_len) &&
	      ms.drops[XVTEP_MDROP_CLONE] == 1,
	      "features: xdp-meta off: frame delivered untagged, the copy a counted drop",
	      "retval %u len %u clone drops %llu", r.retval, r.out_len,
	      (unsigned long long)ms.drops[XVTEP_MDROP_CLONE]);
	env_close(&e);
}

/* TC decap of IPv4 and IPv6 inner frames, with the DECAP_L3 flags or without. */
static void tc_decap_both(const struct env_cfg *c, const char *what, bool expect_ok)
{
	struct outer_opts o = { .src = IP_PEER, .dst = IP_LOCAL, .vni = VNI_A };
	struct inner_opts in6 = IN_V4;
	char name[160];
	struct pkt p = {};
	struct env e;
	struct run r;

	snprintf(name, sizeof(name), "features: %s setup", what);
	if (env_feat(&e, c))
		return (void)CHECK(0, name, "load failed");
	in6.proto = ETH_P_IPV6;
	in6.payload = 80;
	for (int i = 0; i < 2; i++) {
		build_vxlan(&p, &o, i ? &in6 : &IN_V4);
		r = run_tc(&e, TC_UP(&e), e.ifi_up, &p);
		snprintf(name, sizeof(name), "features: %s: IPv%d inner frame %s", what, i ? 6 : 4,
			 expect_ok ? "decapsulated exactly" : "dropped as the kernel refuses the flags");
		if (expect_ok)
			CHECK(r.retval == TC_ACT_REDIRECT && r.out_len == p.len - XVTEP_ENCAP_LEN &&
			      !memcmp(r.out, p.buf + XVTEP_ENCAP_LEN, r.out_len), name,
			      "retval %u len %u of %zu", r.retval, r.out_len,
			      p.len - XVTEP_ENCAP_LEN);
		else
			CHECK(r.retval == TC_ACT_SHOT, name, "retval %u", r.retval);
	}
	env_close(&e);
}

void test_features(void)
{
	struct env_cfg l3_off = { .feat_off = XVTEP_FEAT_DECAP_L3 };
	struct env_cfg probed = {};

	test_features_env();
	test_xdp_meta_probe();
	test_xdp_meta_off();
	/* The fallback works on every kernel; the flags exactly where probed. */
	tc_decap_both(&l3_off, "decap-l3 off", true);
	tc_decap_both(&probed, "decap-l3 as probed", true);
	if (!(kernel_lacks() & XVTEP_FEAT_DECAP_L3)) {
		/* Nothing to compare against here: the kernel has the flags. */
		return;
	}
	{
		struct env_cfg forced_on = { .feat_on = XVTEP_FEAT_DECAP_L3 };

		tc_decap_both(&forced_on, "decap-l3 probe (forced on)", false);
	}
}
