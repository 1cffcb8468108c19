// SPDX-License-Identifier: GPL-2.0
/* The unit suites' shared environment (env.h). */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "env.h"
#include "xvtep_lib.h"

int ncpus;
uint16_t unit_feat_off;

int env_load(struct env *e, const struct env_cfg *c)
{
	struct xvtep_stats *zero;
	uint32_t k = 0;
	uint16_t off;
	int err;

	memset(e, 0, sizeof(*e));
	e->ifi_up = if_nametoindex("ut-up");
	e->ifi_p1 = if_nametoindex("ut-p1");
	e->ifi_p2 = if_nametoindex("ut-p2");
	if (!e->ifi_up || !e->ifi_p1 || !e->ifi_p2) {
		fprintf(stderr, "unit: devices missing: run through tests/unit/run.sh\n");
		return -1;
	}
	e->skel = xvtep__open();
	if (!e->skel)
		return -1;
	e->skel->rodata->cfg_uplink_ifindex = e->ifi_up;
	e->skel->rodata->cfg_local_ip = c->no_local4 ? 0 : htonl(IP_LOCAL);
	if (c->local6)
		memcpy((void *)e->skel->rodata->cfg_local_ip6, IP6_LOCAL, 16);
	e->skel->rodata->cfg_dstport = 4789;
	if (c->sport_min)
		e->skel->rodata->cfg_sport_min = c->sport_min;
	if (c->sport_max)
		e->skel->rodata->cfg_sport_max = c->sport_max;
	e->skel->rodata->cfg_xdp_tcp = c->xdp_tcp;
	e->skel->rodata->cfg_mirror_ifindex = c->mirror_ifindex;
	memcpy((void *)e->skel->rodata->cfg_uplink_mac, MAC_UPLINK, 6);
	off = (unit_feat_off | c->feat_off) & ~c->feat_on;
	e->skel->rodata->cfg_xdp_meta = !(off & XVTEP_FEAT_XDP_META);
	e->skel->rodata->cfg_decap_l3 = !(off & XVTEP_FEAT_DECAP_L3);
	bpf_map__set_max_entries(e->skel->maps.xvtep_fdb, c->fdb_size ? c->fdb_size : 1024);
	if (xvtep__load(e->skel)) {
		xvtep__destroy(e->skel);
		e->skel = NULL;
		return -1;
	}
	e->fdb = bpf_map__fd(e->skel->maps.xvtep_fdb);
	e->vnis = bpf_map__fd(e->skel->maps.xvtep_vnis);
	e->vstate = bpf_map__fd(e->skel->maps.xvtep_vstate);
	e->ports = bpf_map__fd(e->skel->maps.xvtep_ports);
	e->stats = bpf_map__fd(e->skel->maps.xvtep_stats);
	e->devmap = bpf_map__fd(e->skel->maps.xvtep_devmap);
	e->mirrors = bpf_map__fd(e->skel->maps.xvtep_mirrors);
	e->mstats = bpf_map__fd(e->skel->maps.xvtep_mstats);
	e->peers = bpf_map__fd(e->skel->maps.xvtep_peers);
	e->vsec = bpf_map__fd(e->skel->maps.xvtep_vsec);
	e->ownmacs = bpf_map__fd(e->skel->maps.xvtep_ownmacs);
	e->mrate = bpf_map__fd(e->skel->maps.xvtep_mrate);
	e->gen = bpf_map__fd(e->skel->maps.xvtep_gen);

	zero = calloc(ncpus, sizeof(*zero));
	err = !zero || bpf_map_update_elem(e->stats, &k, zero, BPF_ANY);
	free(zero);
	if (err) {
		env_close(e);
		return -1;
	}
	return 0;
}

void env_close(struct env *e)
{
	xvtep__destroy(e->skel);
	e->skel = NULL;
}

void vni_add(struct env *e, uint32_t vni, const struct xvtep_vni *cfg)
{
	struct xvtep_stats *zero = calloc(ncpus, sizeof(*zero));
	struct xvtep_vstate vs = {};
	struct xvtep_vni v = *cfg;
	uint32_t slot = env_slot(vni);

	v.stats_slot = slot;
	bpf_map_update_elem(e->vnis, &vni, &v, BPF_ANY);
	bpf_map_update_elem(e->vstate, &vni, &vs, BPF_ANY);
	if (zero)
		bpf_map_update_elem(e->stats, &slot, zero, BPF_ANY);
	free(zero);
	env_written(e);
}

void env_written(struct env *e)
{
	xv_gen_bump(e->gen);
}

void port_add(struct env *e, uint32_t ifindex, uint32_t vni)
{
	struct xvtep_port port = { .vni = vni };
	struct xvtep_vni cfg;

	bpf_map_update_elem(e->ports, &ifindex, &port, BPF_ANY);
	bpf_map_update_elem(e->devmap, &ifindex, &ifindex, BPF_ANY);
	bpf_map_lookup_elem(e->vnis, &vni, &cfg);
	cfg.ports[cfg.nr_ports++] = ifindex;
	bpf_map_update_elem(e->vnis, &vni, &cfg, BPF_ANY);
	env_written(e);
}

void fdb_set(struct env *e, uint32_t vni, const uint8_t *mac, uint32_t ifindex,
	     uint32_t remote_host, uint32_t flags)
{
	fdb_set_addr(e, vni, mac, ifindex, a4(remote_host), flags);
}

void fdb_set_addr(struct env *e, uint32_t vni, const uint8_t *mac, uint32_t ifindex,
		  union xvtep_addr remote, uint32_t flags)
{
	struct xvtep_fdb_key k = { .vni = vni };
	struct xvtep_fdb_entry v = { .ifindex = ifindex, .flags = flags };
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	v.updated_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	if (!xvtep_addr_is_zero(&remote)) {
		v.remote = remote;
		v.flags |= XVTEP_FDB_F_REMOTE;
	}
	memcpy(k.mac, mac, 6);
	bpf_map_update_elem(e->fdb, &k, &v, BPF_ANY);
	env_written(e);
}

int fdb_get(struct env *e, uint32_t vni, const uint8_t *mac, struct xvtep_fdb_entry *v)
{
	struct xvtep_fdb_key k = { .vni = vni };

	memcpy(k.mac, mac, 6);
	return bpf_map_lookup_elem(e->fdb, &k, v);
}

int fdb_count(struct env *e, uint32_t vni, bool dyn)
{
	struct xvtep_fdb_key k, next;
	struct xvtep_fdb_entry v;
	void *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(e->fdb, prev, &next)) {
		k = next;
		prev = &k;
		if (vni && k.vni != vni)
			continue;
		if (dyn && (bpf_map_lookup_elem(e->fdb, &k, &v) || (v.flags & XVTEP_FDB_F_STATIC)))
			continue;
		n++;
	}
	return n;
}

struct xvtep_stats stats_of(struct env *e, uint32_t vni)
{
	struct xvtep_stats *per = calloc(ncpus, sizeof(*per)), sum = {};
	uint32_t slot = env_slot(vni);

	if (!per || bpf_map_lookup_elem(e->stats, &slot, per)) {
		free(per);
		return sum;
	}
	for (int c = 0; c < ncpus; c++) {
		sum.rx_packets += per[c].rx_packets;
		sum.rx_bytes += per[c].rx_bytes;
		sum.tx_packets += per[c].tx_packets;
		sum.tx_bytes += per[c].tx_bytes;
		sum.local_packets += per[c].local_packets;
		sum.local_bytes += per[c].local_bytes;
		for (int i = 0; i < XVTEP_DROP_SLOTS; i++)
			sum.drops[i] += per[c].drops[i];
		for (int i = 0; i < XVTEP_EVENT_SLOTS; i++)
			sum.events[i] += per[c].events[i];
	}
	free(per);
	return sum;
}

static struct run run_prog(int prog_fd, const struct pkt *p, struct __sk_buff *ctx)
{
	struct run r = {};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->buf, .data_size_in = p->len,
		    .data_out = r.out, .data_size_out = sizeof(r.out), .repeat = 1,
		    .ctx_in = ctx, .ctx_size_in = ctx ? sizeof(*ctx) : 0);

	r.err = bpf_prog_test_run_opts(prog_fd, &o);
	/* a refused run must never pass for a verdict (TC_ACT_OK is 0) */
	r.retval = r.err ? 0xdead : o.retval;
	r.out_len = o.data_size_out;
	return r;
}

struct run run_xdp_meta(int prog_fd, uint32_t ifindex, const void *meta, uint32_t meta_len,
			const struct pkt *p)
{
	uint8_t in[PKT_MAX + 32];
	struct xdp_md ctx = { .data = meta_len, .data_end = meta_len + p->len,
			      .ingress_ifindex = ifindex };
	struct run r = {};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = meta_len + p->len,
		    .data_out = r.out, .data_size_out = sizeof(r.out), .repeat = 1,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));

	if (meta_len > 32)
		return (struct run){ .retval = 0xdead, .err = -EINVAL };
	if (meta_len)
		memcpy(in, meta, meta_len);
	memcpy(in + meta_len, p->buf, p->len);
	r.err = bpf_prog_test_run_opts(prog_fd, &o);
	r.retval = r.err ? 0xdead : o.retval;
	r.out_len = o.data_size_out;
	return r;
}

void xmit_allow(struct env *e, uint32_t ifindex, bool on)
{
	int fd = bpf_map__fd(e->skel->maps.xvtep_mirror_xmit);

	if (on)
		bpf_map_update_elem(fd, &ifindex, &ifindex, BPF_ANY);
	else
		bpf_map_delete_elem(fd, &ifindex);
}

struct run run_xdp(struct env *e, const struct pkt *p)
{
	return run_prog(bpf_program__fd(e->skel->progs.xvtep_xdp_up), p, NULL);
}

struct run run_tc(struct env *e, int prog_fd, uint32_t ifindex, const struct pkt *p)
{
	struct __sk_buff ctx = { .ifindex = ifindex, .ingress_ifindex = ifindex };

	return run_prog(prog_fd, p, &ctx);
}
