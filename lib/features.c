// SPDX-License-Identifier: GPL-2.0
/*
 * Optional kernel features: probed at attach, never assumed. Each probe asks
 * the running kernel the exact question the dataplane depends on (a program
 * that must load, a helper flag that must work at run time, an attach type or
 * a netlink family that must exist). XVTEP_FEATURES_OFF turns features off by
 * hand, so that every fallback path runs on a kernel that has them all.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include "xvtep_lib.h"

/* Not in the Debian 12 uapi headers (Linux 6.3 and 6.6). */
#define XV_BPF_F_ADJ_ROOM_DECAP_L3_IPV4	(1ULL << 7)
#define XV_BPF_TCX_INGRESS		46

static const struct {
	__u16 bit;
	const char *name;
	const char *why_off;	/* what the kernel lacks, and what xvtep does instead */
} features[] = {
	{ XVTEP_FEAT_TCX, "tcx",
	  "no tcx links (Linux < 6.6): programs attached with clsact + cls_bpf" },
	{ XVTEP_FEAT_XDP_META, "xdp-meta",
	  "kernel refuses bpf_xdp_adjust_meta in XDP: tagged mirror copies are made in TC" },
	{ XVTEP_FEAT_DECAP_L3, "decap-l3",
	  "bpf_skb_adjust_room has no DECAP_L3 flags (Linux < 6.3): the receiving device "
	  "sets the inner protocol" },
	{ XVTEP_FEAT_NETDEV_GENL, "netdev-genl",
	  "no \"netdev\" generic netlink family (Linux < 6.3): XDP sends mirror copies and "
	  "encapsulated frames only to xvtep's own ports; TC sends the rest" },
};
#define NR_FEATURES (sizeof(features) / sizeof(features[0]))

const char *xv_feature_name(__u16 bit)
{
	for (size_t i = 0; i < NR_FEATURES; i++)
		if (features[i].bit == bit)
			return features[i].name;
	return "?";
}

const char *xv_feature_why_off(__u16 feat_off, __u16 bit)
{
	if ((feat_off >> XVTEP_FEAT_FORCED_SHIFT) & bit)
		return "turned off by " XV_FEATURES_OFF_ENV;
	for (size_t i = 0; i < NR_FEATURES; i++)
		if (features[i].bit == bit)
			return features[i].why_off;
	return "";
}

/* BPF instructions for the probe programs (the kernel's filter.h macros are
 * not uapi). */
#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
						.off = (o), .imm = (i) })
#define MOV64_IMM(d, i)	INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define CALL(f)		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT()		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int prog_load(enum bpf_prog_type type, const struct bpf_insn *insns, size_t n)
{
	return bpf_prog_load(type, NULL, "GPL", insns, n, NULL);
}

/* Some kernel builds refuse the helper in XDP programs although it exists:
 * only loading a program that calls it tells. */
static bool probe_xdp_meta(void)
{
	const struct bpf_insn insns[] = {
		MOV64_IMM(BPF_REG_2, 0),
		CALL(BPF_FUNC_xdp_adjust_meta),
		MOV64_IMM(BPF_REG_0, XDP_PASS),
		EXIT(),
	};
	int fd = prog_load(BPF_PROG_TYPE_XDP, insns, sizeof(insns) / sizeof(insns[0]));

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* The flags are refused at run time (-EINVAL), not at load: decapsulate one
 * VXLAN frame the way bpf/tc_uplink.c does and read the helper's answer. */
static bool probe_decap_l3(void)
{
	const struct bpf_insn insns[] = {
		MOV64_IMM(BPF_REG_2, -XVTEP_ENCAP_LEN),
		MOV64_IMM(BPF_REG_3, BPF_ADJ_ROOM_MAC),
		MOV64_IMM(BPF_REG_4, BPF_F_ADJ_ROOM_FIXED_GSO | XV_BPF_F_ADJ_ROOM_DECAP_L3_IPV4),
		CALL(BPF_FUNC_skb_adjust_room),
		EXIT(),
	};
	/* outer Ethernet, IPv4, UDP, VXLAN; inner Ethernet, IPv4, 8 bytes */
	unsigned char pkt[14 + 20 + 8 + 8 + 14 + 20 + 8] = {};
	struct iphdr *ip = (void *)(pkt + 14), *iip = (void *)(pkt + 64);
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = 1);
	bool ok = false;
	int fd;

	pkt[12] = 0x08;
	pkt[62] = 0x08;
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons(sizeof(pkt) - 14);
	((struct udphdr *)(pkt + 34))->dest = htons(XVTEP_DSTPORT_DEFAULT);
	((struct udphdr *)(pkt + 34))->len = htons(sizeof(pkt) - 34);
	pkt[42] = 0x08;		/* VXLAN I flag */
	*iip = *ip;
	iip->tot_len = htons(28);
	fd = prog_load(BPF_PROG_TYPE_SCHED_CLS, insns, sizeof(insns) / sizeof(insns[0]));
	if (fd < 0)
		return false;
	ok = !bpf_prog_test_run_opts(fd, &topts) && topts.retval == 0;
	close(fd);
	return ok;
}

/* A kernel without tcx refuses the attach type itself (-EINVAL). lo is
 * ifindex 1 in every network namespace. */
static bool probe_tcx(void)
{
	__u32 cnt = 0, flags = 0;

	return !bpf_prog_query(1, (enum bpf_attach_type)XV_BPF_TCX_INGRESS, 0, &flags, NULL, &cnt);
}

static bool probe_netdev_genl(void)
{
	return xv_genl_family_id("netdev") > 0;
}

/* XVTEP_FEATURES_OFF: names separated by commas or spaces. */
static int parse_forced(const char *s, __u16 *forced)
{
	char buf[256], *save = NULL;

	*forced = 0;
	if (!s || !*s)
		return 0;
	if (strlen(s) >= sizeof(buf))
		return xv_err("%s is too long", XV_FEATURES_OFF_ENV);
	strcpy(buf, s);
	for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		size_t i;

		for (i = 0; i < NR_FEATURES && strcmp(tok, features[i].name); i++)
			;
		if (i == NR_FEATURES)
			return xv_err("%s: unknown feature \"%s\" (known: tcx, xdp-meta, "
				      "decap-l3, netdev-genl)", XV_FEATURES_OFF_ENV, tok);
		*forced |= features[i].bit;
	}
	return 0;
}

int xv_features_probe(__u16 *feat_off)
{
	__u16 forced, off = 0;

	if (parse_forced(getenv(XV_FEATURES_OFF_ENV), &forced))
		return -1;
	if (!probe_tcx())
		off |= XVTEP_FEAT_TCX;
	if (!probe_xdp_meta())
		off |= XVTEP_FEAT_XDP_META;
	if (!probe_decap_l3())
		off |= XVTEP_FEAT_DECAP_L3;
	if (!probe_netdev_genl())
		off |= XVTEP_FEAT_NETDEV_GENL;
	/* Forced marks only what the kernel would otherwise have given. */
	forced &= ~off;
	*feat_off = off | forced | forced << XVTEP_FEAT_FORCED_SHIFT;
	return 0;
}

void xv_features_each(void (*cb)(const char *name, __u16 bit, void *arg), void *arg)
{
	for (size_t i = 0; i < NR_FEATURES; i++)
		cb(features[i].name, features[i].bit, arg);
}
