// SPDX-License-Identifier: GPL-2.0
/*
 * The event stream (bpf/events.h) under BPF_PROG_TEST_RUN on the real
 * object: a learn and a drop each put exactly one record in xvtep_events;
 * a burst of one kind beyond the bucket is counted as suppressed, not
 * written. main() pins the test to one CPU: one bucket per kind.
 * Entry point: events_tests().
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xvtep.h"
#include "xvtep.skel.h"
#include "unit.h"
#include "env.h"

static const uint8_t MAC_NEW[6] = { 0x02, 0xcc, 0, 0, 0, 0x01 };

struct seen {
	int n;
	struct xvtep_evq_rec last;
};

static int on_rec(void *ctx, void *data, size_t len)
{
	struct seen *s = ctx;

	if (len == sizeof(s->last))
		memcpy(&s->last, data, len);
	s->n++;
	return 0;
}

/* Records written since the last call. */
static struct seen drain(struct ring_buffer *rb, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	ring_buffer__consume(rb);
	return *s;
}

static struct xvtep_evq_rate rate_of(struct env *e, uint32_t kind)
{
	int fd = bpf_map__fd(e->skel->maps.xvtep_evrate);
	struct xvtep_evq_rate *per = calloc(ncpus, sizeof(*per)), sum = {};

	if (per && !bpf_map_lookup_elem(fd, &kind, per))
		for (int c = 0; c < ncpus; c++) {
			sum.sent += per[c].sent;
			sum.suppressed += per[c].suppressed;
			sum.lost += per[c].lost;
		}
	free(per);
	return sum;
}

/* An unknown VNI from PEER, REPEAT times in one run (one CPU, microseconds). */
static int run_unknown_vni(struct env *e, int repeat)
{
	struct outer_opts o = { .src = IP_PEER, .dst = IP_LOCAL, .vni = 4242 };
	struct inner_opts in = { .dst = MAC_VM1, .src = MAC_FAR, .proto = ETH_P_IP,
				 .l4 = IPPROTO_UDP, .payload = 64, .fill = 0x5a };
	struct pkt p = {};
	uint8_t out[PKT_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_out = out, .data_size_out = sizeof(out),
		    .repeat = repeat);

	build_vxlan(&p, &o, &in);
	opts.data_in = p.buf;
	opts.data_size_in = p.len;
	if (bpf_prog_test_run_opts(bpf_program__fd(e->skel->progs.xvtep_xdp_up), &opts))
		return -1;
	return opts.retval;
}

/* Records name IPv6 VTEPs whole: learned, moved across families, dropped. */
static void events_ipv6(void)
{
	struct xvtep_vni a = { .flags = XVTEP_VNI_F_LEARNING, .ageing = 300 };
	struct env_cfg c = { .local6 = true };
	struct inner_opts in = { .dst = MAC_VM1, .src = MAC_NEW, .proto = ETH_P_IP,
				 .l4 = IPPROTO_UDP, .payload = 64, .fill = 0x44 };
	struct outer6_opts o6 = { .src = IP6_PEER, .dst = IP6_LOCAL, .vni = VNI_A };
	struct outer_opts o4 = { .src = IP_PEER, .dst = IP_LOCAL, .vni = VNI_A };
	struct ring_buffer *rb;
	struct seen s = {}, got;
	struct pkt p = {};
	struct env e;

	if (env_load(&e, &c))
		return (void)CHECK(0, "events ipv6 setup", "load failed");
	rb = ring_buffer__new(bpf_map__fd(e.skel->maps.xvtep_events), on_rec, &s, NULL);
	if (!CHECK(rb, "events ipv6: ring buffer readable", "ring_buffer__new failed")) {
		env_close(&e);
		return;
	}
	vni_add(&e, VNI_A, &a);
	port_add(&e, e.ifi_p1, VNI_A);
	fdb_set(&e, VNI_A, MAC_VM1, e.ifi_p1, 0, XVTEP_FDB_F_STATIC);

	build_vxlan6(&p, &o6, &in);
	run_xdp(&e, &p);
	got = drain(rb, &s);
	CHECK(got.n == 1 && got.last.kind == XVTEP_EV_LEARNED && got.last.vni == VNI_A &&
	      !memcmp(got.last.mac, MAC_NEW, 6) && addr_is6(&got.last.remote, IP6_PEER) &&
	      !got.last.ifindex && xvtep_addr_is_zero(&got.last.old_remote),
	      "events ipv6: a learn behind an IPv6 VTEP names it whole",
	      "%d records, kind %u remote w0 %08x w3 %08x", got.n, got.last.kind,
	      ntohl(got.last.remote.w[0]), ntohl(got.last.remote.w[3]));

	build_vxlan(&p, &o4, &in);
	run_xdp(&e, &p);
	got = drain(rb, &s);
	CHECK(got.n == 1 && got.last.kind == XVTEP_EV_MOVED &&
	      addr_is4(&got.last.remote, IP_PEER) && addr_is6(&got.last.old_remote, IP6_PEER),
	      "events ipv6: a move from an IPv6 VTEP to an IPv4 one names both",
	      "%d records, kind %u remote w3 %08x old w0 %08x", got.n, got.last.kind,
	      ntohl(got.last.remote.w[3]), ntohl(got.last.old_remote.w[0]));

	o6.src = IP6_OTHER;
	o6.vni = 4242;
	build_vxlan6(&p, &o6, &in);
	run_xdp(&e, &p);
	got = drain(rb, &s);
	CHECK(got.n == 1 && got.last.kind == XVTEP_EVQ_DROP_BASE + XVTEP_DROP_UNKNOWN_VNI &&
	      got.last.vni == 4242 && addr_is6(&got.last.remote, IP6_OTHER),
	      "events ipv6: a drop names the IPv6 VTEP it came from",
	      "%d records, kind %u vni %u remote w0 %08x w3 %08x", got.n, got.last.kind,
	      got.last.vni, ntohl(got.last.remote.w[0]), ntohl(got.last.remote.w[3]));
	ring_buffer__free(rb);
	env_close(&e);
}

void events_tests(void)
{
	const uint32_t drop_kind = XVTEP_EVQ_DROP_BASE + XVTEP_DROP_UNKNOWN_VNI;
	struct xvtep_vni a = { .flags = XVTEP_VNI_F_LEARNING, .ageing = 300 };
	struct env_cfg c = { .sport_min = 49152, .sport_max = 65535 };
	struct ring_buffer *rb = NULL;
	struct xvtep_evq_rate r;
	struct seen s = {}, got;
	struct pkt p = {};
	struct inner_opts in = { .dst = MAC_BCAST, .src = MAC_NEW, .proto = ETH_P_IP,
				 .l4 = IPPROTO_UDP, .payload = 64, .fill = 0x33 };
	struct env e;
	int burst = XVTEP_EVQ_BURST + 50, ret;

	if (env_load(&e, &c))
		return (void)CHECK(0, "events setup", "load failed");
	rb = ring_buffer__new(bpf_map__fd(e.skel->maps.xvtep_events), on_rec, &s, NULL);
	if (!CHECK(rb, "events: ring buffer readable", "ring_buffer__new failed"))
		goto cleanup;
	vni_add(&e, VNI_A, &a);
	port_add(&e, e.ifi_p1, VNI_A);
	port_add(&e, e.ifi_p2, VNI_A);

	/* A new source on p1: one learned record naming the MAC and the port. */
	p.len = build_inner(p.buf, &in);
	run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	got = drain(rb, &s);
	CHECK(got.n == 1 && got.last.kind == XVTEP_EV_LEARNED && got.last.vni == VNI_A &&
	      !memcmp(got.last.mac, MAC_NEW, 6) && got.last.ifindex == (uint32_t)e.ifi_p1 &&
	      xvtep_addr_is_zero(&got.last.remote) && !got.last.old_ifindex && got.last.ts_ns,
	      "events: a learn writes exactly one learned record (MAC, VNI, port)",
	      "%d records, kind %u vni %u ifindex %u", got.n, got.last.kind, got.last.vni,
	      got.last.ifindex);
	/* The same source again: known, nothing to report. */
	run_tc(&e, TC_PORT(&e), e.ifi_p1, &p);
	CHECK_EQ(drain(rb, &s).n, 0, "events: a known source writes no record");

	/* A frame of an unknown VNI: one drop record with its VNI and VTEP. */
	ret = run_unknown_vni(&e, 1);
	got = drain(rb, &s);
	CHECK(ret == XDP_DROP && got.n == 1 && got.last.kind == drop_kind &&
	      got.last.vni == 4242 && addr_is4(&got.last.remote, IP_PEER),
	      "events: a drop writes exactly one record (reason, VNI, VTEP)",
	      "retval %d, %d records, kind %u vni %u", ret, got.n, got.last.kind, got.last.vni);

	/* A burst of the same drop: the bucket (BURST deep, 1 left after the
	 * drop above) lets through what it holds, counts the rest. */
	ret = run_unknown_vni(&e, burst);
	got = drain(rb, &s);
	r = rate_of(&e, drop_kind);
	CHECK(got.n >= XVTEP_EVQ_BURST - 1 && got.n <= XVTEP_EVQ_BURST + 1 &&
	      r.sent == (uint64_t)got.n + 1 && r.sent + r.suppressed == (uint64_t)burst + 1 &&
	      !r.lost,
	      "events: a burst beyond the limit: the rest counted as suppressed",
	      "%d records of %d, sent %llu suppressed %llu lost %llu", got.n, burst,
	      (unsigned long long)r.sent, (unsigned long long)r.suppressed,
	      (unsigned long long)r.lost);
	CHECK_EQ(stats_of(&e, 0).drops[XVTEP_DROP_UNKNOWN_VNI], burst + 1,
		 "events: ... while every drop is still counted");
	r = rate_of(&e, XVTEP_EV_LEARNED);
	CHECK(r.sent == 1 && !r.suppressed, "events: the learned kind has its own bucket",
	      "sent %llu suppressed %llu", (unsigned long long)r.sent,
	      (unsigned long long)r.suppressed);
cleanup:
	ring_buffer__free(rb);
	env_close(&e);
	events_ipv6();
}
