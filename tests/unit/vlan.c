// SPDX-License-Identifier: GPL-2.0
/*
 * The VLAN gateway (bpf/vlan.h) under BPF_PROG_TEST_RUN: what a trunk's
 * tagged, untagged and 802.1ad frames become at the port program, and the
 * tags of the copies that reach a trunk (flood clones are really sent: the
 * trunk's veth peer receives them, the tag in the packet socket's auxdata,
 * as the kernel hands an offloaded tag to packet sockets).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xvtep.h"
#include "xvtep.skel.h"
#include "xvtep_lib.h"
#include "unit.h"
#include "env.h"

#define VNI_C	300	/* the trunk's native VNI */

static const struct inner_opts IN_TO_FAR = {
	.dst = MAC_FAR, .src = MAC_VM2, .proto = ETH_P_IP, .l4 = IPPROTO_UDP, .payload = 64,
	.fill = 0x42,
};

/* Frame P with an 802.1Q/802.1ad tag (TPID, TCI) inserted after the MACs. */
static void tag(struct pkt *out, const struct pkt *p, uint16_t tpid, uint16_t tci)
{
	memcpy(out->buf, p->buf, 12);
	out->buf[12] = tpid >> 8;
	out->buf[13] = tpid & 0xff;
	out->buf[14] = tci >> 8;
	out->buf[15] = tci & 0xff;
	memcpy(out->buf + 16, p->buf + 12, p->len - 12);
	out->len = p->len + 4;
}

/* What the CLI writes for `port vlan add`: both maps, the flood list, the flag. */
static void trunk_map(struct env *e, uint32_t ifindex, uint32_t vid, uint32_t vni)
{
	struct xvtep_vlan_key in = { ifindex, vid }, out = { ifindex, vni };
	struct xvtep_vni v;

	bpf_map_update_elem(bpf_map__fd(e->skel->maps.xvtep_vlan_out), &out, &vid, BPF_ANY);
	bpf_map_lookup_elem(e->vnis, &vni, &v);
	v.ports[v.nr_ports++] = ifindex;
	v.flags |= XVTEP_VNI_F_TAGGED;
	bpf_map_update_elem(e->vnis, &vni, &v, BPF_ANY);
	bpf_map_update_elem(bpf_map__fd(e->skel->maps.xvtep_vlan_in), &in, &vni, BPF_ANY);
	env_written(e);
}

static void trunk_set(struct env *e, uint32_t ifindex, uint32_t native, uint32_t flags)
{
	struct xvtep_port port = { .vni = native, .flags = XVTEP_PORT_F_TRUNK | flags };

	bpf_map_update_elem(e->ports, &ifindex, &port, BPF_ANY);
}

/* Outer VNI of a VXLAN frame as the encap wrote it (outer IPv4 without options). */
static uint32_t out_vni(const struct run *r)
{
	if (r->out_len < 50 + 14)
		return 0;
	return (uint32_t)r->out[46] << 16 | r->out[47] << 8 | r->out[48];
}

static int cap_open(const char *dev)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = if_nametoindex(dev) };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	int one = 1;
	char junk[PKT_MAX];

	if (fd < 0)
		return -1;
	if (bind(fd, (void *)&sll, sizeof(sll)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one))) {
		close(fd);
		return -1;
	}
	while (recv(fd, junk, sizeof(junk), 0) > 0)
		;
	return fd;
}

struct capd {
	uint8_t buf[PKT_MAX];
	ssize_t len;		/* -1: nothing within the wait */
	int vid;		/* -1: untagged */
	uint16_t tpid;
};

/* The next frame from SRC received on the socket's device (500 ms at most). */
static struct capd cap_next(int fd, const uint8_t *src)
{
	struct capd c = { .len = -1, .vid = -1 };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} ctl;
	struct sockaddr_ll from;
	struct iovec iov = { c.buf, sizeof(c.buf) };
	struct msghdr m = { .msg_name = &from, .msg_iov = &iov, .msg_iovlen = 1 };
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (int waited = 0; waited < 500;) {
		struct cmsghdr *cm;
		ssize_t n;

		m.msg_namelen = sizeof(from);
		m.msg_control = &ctl;
		m.msg_controllen = sizeof(ctl);
		n = recvmsg(fd, &m, 0);
		if (n < 0) {
			if (poll(&pfd, 1, 50) == 0)
				waited += 50;
			continue;
		}
		if (from.sll_pkttype == PACKET_OUTGOING || n < 14 || memcmp(c.buf + 6, src, 6))
			continue;
		c.len = n;
		for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
			struct tpacket_auxdata *a = (void *)CMSG_DATA(cm);

			if (cm->cmsg_level != SOL_PACKET || cm->cmsg_type != PACKET_AUXDATA ||
			    !(a->tp_status & TP_STATUS_VLAN_VALID))
				continue;
			c.vid = a->tp_vlan_tci & 0xfff;
			c.tpid = a->tp_status & TP_STATUS_VLAN_TPID_VALID ? a->tp_vlan_tpid : 0x8100;
		}
		return c;
	}
	return c;
}

/* Trunk ut-p2: VID 10 = VNI A, VID 20 = VNI B, native VNI C (or none).
 * Access port ut-p1 in VNI A. Every VNI has remote PEER; MAC_FAR sits
 * behind PEER in A and B. */
static int env_trunk(struct env *e, uint32_t native)
{
	struct xvtep_vni v = { .flags = XVTEP_VNI_F_LEARNING, .ageing = 300, .nr_remotes = 1 };
	struct env_cfg c = {};

	if (env_load(e, &c))
		return -1;
	v.remotes[0] = a4(IP_PEER);
	vni_add(e, VNI_A, &v);
	vni_add(e, VNI_B, &v);
	vni_add(e, VNI_C, &v);
	port_add(e, e->ifi_p1, VNI_A);
	trunk_set(e, e->ifi_p2, native, 0);
	if (native)
		port_add(e, e->ifi_p2, native);	/* its flood list; port_add resets the entry */
	trunk_set(e, e->ifi_p2, native, 0);
	trunk_map(e, e->ifi_p2, 10, VNI_A);
	trunk_map(e, e->ifi_p2, 20, VNI_B);
	fdb_set(e, VNI_A, MAC_FAR, 0, IP_PEER, XVTEP_FDB_F_STATIC);
	fdb_set(e, VNI_B, MAC_FAR, 0, IP_PEER, XVTEP_FDB_F_STATIC);
	fdb_set(e, VNI_C, MAC_FAR, 0, IP_PEER, XVTEP_FDB_F_STATIC);
	return 0;
}

static void test_vlan_ingress(void)
{
	struct xvtep_fdb_entry fe;
	struct xvtep_stats g0, g;
	struct pkt p, t;
	struct env e;
	struct run r;

	if (env_trunk(&e, 0))
		return (void)CHECK(0, "vlan setup", "load failed");
	p.len = build_inner(p.buf, &IN_TO_FAR);

	tag(&t, &p, ETH_P_8021Q, 20);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p2, &t);
	CHECK(r.retval == TC_ACT_REDIRECT && out_vni(&r) == VNI_B && r.out_len == p.len + 50 &&
	      !memcmp(r.out + 50, p.buf, p.len),
	      "vlan: VID 20 on the trunk: encapsulated in VNI 200, inner frame untagged",
	      "retval %u vni %u len %u", r.retval, out_vni(&r), r.out_len);
	CHECK(!fdb_get(&e, VNI_B, MAC_VM2, &fe) && fe.ifindex == (uint32_t)e.ifi_p2 &&
	      fdb_get(&e, VNI_A, MAC_VM2, &fe),
	      "vlan: the sender is learned on the trunk in VNI 200 only", "ifindex %u", fe.ifindex);

	tag(&t, &p, ETH_P_8021Q, 0x6000 | 10);	/* PCP 3: only the VID maps */
	r = run_tc(&e, TC_PORT(&e), e.ifi_p2, &t);
	CHECK(r.retval == TC_ACT_REDIRECT && out_vni(&r) == VNI_A && !memcmp(r.out + 50, p.buf, p.len),
	      "vlan: VID 10 (PCP 3) on the trunk: encapsulated in VNI 100",
	      "retval %u vni %u", r.retval, out_vni(&r));

	g0 = stats_of(&e, 0);
	tag(&t, &p, ETH_P_8021Q, 30);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p2, &t);
	g = stats_of(&e, 0);
	CHECK(r.retval == TC_ACT_SHOT &&
	      g.drops[XVTEP_DROP_VLAN_UNMAPPED] == g0.drops[XVTEP_DROP_VLAN_UNMAPPED] + 1 &&
	      fdb_count(&e, 0, true) == 2,
	      "vlan: unmapped VID 30: dropped, counted vlan_unmapped, nothing learned",
	      "retval %u drops %llu", r.retval,
	      (unsigned long long)g.drops[XVTEP_DROP_VLAN_UNMAPPED]);

	r = run_tc(&e, TC_PORT(&e), e.ifi_p2, &p);
	g0 = g;
	g = stats_of(&e, 0);
	CHECK(r.retval == TC_ACT_SHOT &&
	      g.drops[XVTEP_DROP_VLAN_UNTAGGED] == g0.drops[XVTEP_DROP_VLAN_UNTAGGED] + 1,
	      "vlan: untagged on a trunk without native VNI: dropped, counted vlan_untagged",
	      "retval %u", r.retval);

	tag(&t, &p, ETH_P_8021AD, 10);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p2, &t);
	g0 = g;
	g = stats_of(&e, 0);
	CHECK(r.retval == TC_ACT_SHOT &&
	      g.drops[XVTEP_DROP_VLAN_QINQ] == g0.drops[XVTEP_DROP_VLAN_QINQ] + 1,
	      "vlan: 802.1ad outer tag (S-VID 10): dropped, counted vlan_qinq", "retval %u",
	      r.retval);

	{
		struct xvtep_stats a0 = stats_of(&e, VNI_A), a;
		struct pkt q;

		tag(&q, &p, ETH_P_8021Q, 5);
		tag(&t, &q, ETH_P_8021Q, 10);
		r = run_tc(&e, TC_PORT(&e), e.ifi_p2, &t);
		a = stats_of(&e, VNI_A);
		CHECK(r.retval == TC_ACT_SHOT &&
		      a.drops[XVTEP_DROP_INNER_VLAN] == a0.drops[XVTEP_DROP_INNER_VLAN] + 1,
		      "vlan: two 802.1Q tags: the outer one maps, the inner one is refused (inner_vlan)",
		      "retval %u", r.retval);
		/* An access port answers tags as before: refused. */
		a0 = a;
		r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &t);
		a = stats_of(&e, VNI_A);
		CHECK(r.retval == TC_ACT_SHOT &&
		      a.drops[XVTEP_DROP_INNER_VLAN] == a0.drops[XVTEP_DROP_INNER_VLAN] + 1,
		      "vlan: a tagged frame on an access port is still inner_vlan", "retval %u",
		      r.retval);
	}
	env_close(&e);

	if (env_trunk(&e, VNI_C))
		return (void)CHECK(0, "vlan setup (native)", "load failed");
	r = run_tc(&e, TC_PORT(&e), e.ifi_p2, &p);
	CHECK(r.retval == TC_ACT_REDIRECT && out_vni(&r) == VNI_C && !memcmp(r.out + 50, p.buf, p.len),
	      "vlan: untagged on a trunk with native VNI 300: encapsulated in VNI 300",
	      "retval %u vni %u", r.retval, out_vni(&r));
	tag(&t, &p, ETH_P_8021Q, 0xa000);	/* priority tag: VID 0 */
	r = run_tc(&e, TC_PORT(&e), e.ifi_p2, &t);
	CHECK(r.retval == TC_ACT_REDIRECT && out_vni(&r) == VNI_C && !memcmp(r.out + 50, p.buf, p.len),
	      "vlan: priority-tagged (VID 0) frame: native VNI, tag removed", "retval %u vni %u",
	      r.retval, out_vni(&r));
	tag(&t, &p, ETH_P_8021Q, 20);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p2, &t);
	CHECK(r.retval == TC_ACT_REDIRECT && out_vni(&r) == VNI_B,
	      "vlan: with a native VNI, VID 20 still enters VNI 200", "vni %u", out_vni(&r));
	env_close(&e);
}

static void test_vlan_egress(void)
{
	struct outer_opts o = { .src = IP_PEER, .dst = IP_LOCAL, .vni = VNI_A };
	struct inner_opts in = { .dst = MAC_BCAST, .src = MAC_FAR2, .proto = ETH_P_IP,
				 .l4 = IPPROTO_UDP, .payload = 64, .fill = 0x17 };
	int c1 = cap_open("ut-p1p"), c2 = cap_open("ut-p2p");
	struct pkt vx, p, t;
	struct capd c;
	struct env e;
	struct run r;

	if (c1 < 0 || c2 < 0 || env_trunk(&e, 0)) {
		CHECK(0, "vlan egress setup", "capture or load failed: %s", strerror(errno));
		goto out;
	}
	/* Decap of a VNI 100 broadcast: VNI 100's ports are ut-p1 (access), ut-p2 (trunk). */
	build_vxlan(&vx, &o, &in);
	r = run_tc(&e, TC_UP(&e), e.ifi_up, &vx);
	c = cap_next(c1, MAC_FAR2);
	CHECK(r.retval == TC_ACT_REDIRECT && c.len == (ssize_t)(vx.len - 50) && c.vid == -1,
	      "vlan: decap flood: the access port's copy is untagged", "retval %u len %zd vid %d",
	      r.retval, c.len, c.vid);
	CHECK(r.out_len == vx.len - 50 && r.out[12] == 0x08 && r.out[13] == 0x00,
	      "vlan: decap flood: the last copy (to the trunk) has no tag in its bytes",
	      "len %u proto %02x%02x", r.out_len, r.out[12], r.out[13]);

	/* VNI 200: the trunk first, then an access port, then one more (the
	 * last copy is only a verdict under BPF_PROG_TEST_RUN, never sent). */
	{
		struct xvtep_vni v;
		uint32_t vni = VNI_B;

		bpf_map_lookup_elem(e.vnis, &vni, &v);
		v.ports[v.nr_ports++] = e.ifi_p1;
		v.ports[v.nr_ports++] = e.ifi_up;
		bpf_map_update_elem(e.vnis, &vni, &v, BPF_ANY);
		env_written(&e);
	}
	o.vni = VNI_B;
	build_vxlan(&vx, &o, &in);
	r = run_tc(&e, TC_UP(&e), e.ifi_up, &vx);
	c = cap_next(c2, MAC_FAR2);
	CHECK(r.retval == TC_ACT_REDIRECT && c.vid == 20 && c.tpid == ETH_P_8021Q &&
	      c.len == (ssize_t)(vx.len - 50) && !memcmp(c.buf, vx.buf + 50, vx.len - 50),
	      "vlan: decap flood of VNI 200: the trunk's copy is tagged 802.1Q VID 20",
	      "retval %u len %zd vid %d tpid %04x", r.retval, c.len, c.vid, c.tpid);
	c = cap_next(c1, MAC_FAR2);
	CHECK(c.len == (ssize_t)(vx.len - 50) && c.vid == -1 && r.out[12] == 0x08,
	      "vlan: ...and the tag is gone again for the next copy (access port, untagged)",
	      "len %zd vid %d", c.len, c.vid);

	/* Local switching: a broadcast from access port ut-p1 (VNI 100) reaches the trunk as VID 10. */
	in.src = MAC_VM1;
	p.len = build_inner(p.buf, &in);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	c = cap_next(c2, MAC_VM1);
	CHECK(r.retval == TC_ACT_REDIRECT && c.vid == 10 && !memcmp(c.buf, p.buf, p.len),
	      "vlan: flood from an access port of VNI 100: the trunk's copy is VID 10",
	      "retval %u len %zd vid %d", r.retval, c.len, c.vid);
	/* And from the trunk (VID 10) to the access port: untagged. */
	in.src = MAC_VM2;
	p.len = build_inner(p.buf, &in);
	tag(&t, &p, ETH_P_8021Q, 10);
	r = run_tc(&e, TC_PORT(&e), e.ifi_p2, &t);
	c = cap_next(c1, MAC_VM2);
	CHECK(r.retval == TC_ACT_REDIRECT && c.vid == -1 && c.len == (ssize_t)p.len &&
	      !memcmp(c.buf, p.buf, p.len) && out_vni(&r) == VNI_A,
	      "vlan: flood from the trunk (VID 10): access copy untagged, overlay copy VNI 100",
	      "retval %u len %zd vid %d vni %u", r.retval, c.len, c.vid, out_vni(&r));
	env_close(&e);
out:
	if (c1 >= 0)
		close(c1);
	if (c2 >= 0)
		close(c2);
}

/* XDP never delivers to a trunk nor encapsulates its frames: it cannot tag per port. */
static void test_vlan_xdp(void)
{
	struct outer_opts o = { .src = IP_PEER, .dst = IP_LOCAL, .vni = VNI_A };
	struct inner_opts in = { .dst = MAC_VM2, .src = MAC_FAR2, .proto = ETH_P_IP,
				 .l4 = IPPROTO_UDP, .payload = 64, .fill = 0x18 };
	struct env e;
	struct xv_maps m;
	struct pkt vx, p;
	struct run r;
	uint32_t ifi, out;

	if (env_trunk(&e, 0))
		return (void)CHECK(0, "vlan xdp setup", "load failed");
	ifi = e.ifi_p2;
	memset(&m, -1, sizeof(m));
	m.ports = e.ports;
	m.devmap = e.devmap;
	m.mirror_bcast = bpf_map__fd(e.skel->maps.xvtep_mirror_bcast);
	bpf_map_update_elem(e.devmap, &ifi, &ifi, BPF_ANY);
	CHECK(xv_devmap_sync(&m, ifi) == 0 && bpf_map_lookup_elem(e.devmap, &ifi, &out) &&
	      errno == ENOENT, "vlan: xv_devmap_sync takes a trunk out of the XDP devmap",
	      "errno %d", errno);
	fdb_set(&e, VNI_A, MAC_VM2, ifi, 0, XVTEP_FDB_F_STATIC);
	build_vxlan(&vx, &o, &in);
	r = run_xdp(&e, &vx);
	CHECK_EQ(r.retval, XDP_PASS, "vlan: xdp decap to a MAC behind a trunk: left to TC");

	trunk_set(&e, ifi, 0, XVTEP_PORT_F_XDP_ENCAP);
	in = (struct inner_opts){ .dst = MAC_FAR, .src = MAC_VM2, .proto = ETH_P_IP,
				  .l4 = IPPROTO_UDP, .payload = 64 };
	p.len = build_inner(p.buf, &in);
	r = run_xdp_meta(bpf_program__fd(e.skel->progs.xvtep_xdp_port), ifi, NULL, 0, &p);
	CHECK(r.retval == XDP_PASS && fdb_count(&e, VNI_A, true) == 0,
	      "vlan: xdp encap on a trunk (flag set anyway): passed untouched, nothing learned",
	      "retval %u", r.retval);
	env_close(&e);
}

void test_vlan(void)
{
	test_vlan_ingress();
	test_vlan_egress();
	test_vlan_xdp();
}
