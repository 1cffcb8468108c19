/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unit suites' shared environment: the real xvtep skeleton loaded with
 * test settings on the devices tests/unit/run.sh creates (ut-up, ut-p1,
 * ut-p2), direct map writes standing in for the CLI, and one-frame runs of
 * the programs under BPF_PROG_TEST_RUN.
 */
#ifndef XVTEP_UNIT_ENV_H
#define XVTEP_UNIT_ENV_H

#include <stdbool.h>
#include <stdint.h>
#include "xvtep.h"
#include "xvtep.skel.h"
#include "pkt.h"

#include "world.h"	/* IP_LOCAL is cfg_local_ip of every suite */

struct env {
	struct xvtep *skel;
	int ifi_up, ifi_p1, ifi_p2;
	int fdb, vnis, vstate, ports, stats, devmap, mirrors, mstats;
	int peers, vsec, ownmacs, mrate, gen;
};

/* Load-time settings; zero fields keep the object's defaults. */
struct env_cfg {
	uint16_t sport_min, sport_max;
	uint8_t xdp_tcp;
	uint32_t mirror_ifindex;
	uint32_t fdb_size;		/* 0: 1024 */
	uint16_t feat_off;		/* XVTEP_FEAT_* to turn off beyond unit_feat_off */
	uint16_t feat_on;		/* XVTEP_FEAT_* to use even where the probe says no */
	bool local6;			/* cfg_local_ip6 = IP6_LOCAL (dual stack) */
	bool no_local4;			/* cfg_local_ip = 0 (with local6: IPv6 only) */
};

struct run {
	uint32_t retval;	/* 0xdead when the kernel refused the run (err) */
	uint8_t out[PKT_MAX];
	uint32_t out_len;
	int err;
};

extern int ncpus;
/* What the running kernel lacks (lib/features.c), probed once by main():
 * every suite loads the object the way the loader would on this kernel. */
extern uint16_t unit_feat_off;

/* 0, or -1 with nothing left loaded. Creates the global stats entry (VNI 0). */
int env_load(struct env *e, const struct env_cfg *c);
void env_close(struct env *e);
void vni_add(struct env *e, uint32_t vni, const struct xvtep_vni *cfg);
void port_add(struct env *e, uint32_t ifindex, uint32_t vni);
void fdb_set(struct env *e, uint32_t vni, const uint8_t *mac, uint32_t ifindex,
	     uint32_t remote_host, uint32_t flags);
/* The same behind a remote VTEP of either family (REMOTE set unless zero). */
void fdb_set_addr(struct env *e, uint32_t vni, const uint8_t *mac, uint32_t ifindex,
		  union xvtep_addr remote, uint32_t flags);
/* After the suites write xvtep_vnis or the FDB as the CLI would: bump the
 * generations, as the CLI does, so the XDP caches refill (bpf/cache.h). */
void env_written(struct env *e);
int fdb_get(struct env *e, uint32_t vni, const uint8_t *mac, struct xvtep_fdb_entry *v);
/* Entries of VNI (of every VNI when vni == 0), dynamic ones only if dyn. */
int fdb_count(struct env *e, uint32_t vni, bool dyn);
/* The counter slot the suites give VNI (xvtep_vni.stats_slot; 0 = global). */
static inline uint32_t env_slot(uint32_t vni)
{
	return vni ? (vni & (XVTEP_MAX_VNIS - 1)) + 1 : 0;
}
/* Counters of VNI (0: the global slot), summed over CPUs. */
struct xvtep_stats stats_of(struct env *e, uint32_t vni);
struct run run_xdp(struct env *e, const struct pkt *p);
struct run run_tc(struct env *e, int prog_fd, uint32_t ifindex, const struct pkt *p);
/* An XDP program on P received on IFINDEX, with META_LEN (<= 32) bytes of metadata. */
struct run run_xdp_meta(int prog_fd, uint32_t ifindex, const void *meta, uint32_t meta_len,
			const struct pkt *p);
/* IFINDEX in or out of xvtep_mirror_xmit (the devices XDP may send to). */
void xmit_allow(struct env *e, uint32_t ifindex, bool on);

#define TC_UP(e)   bpf_program__fd((e)->skel->progs.xvtep_tc_up)
#define TC_PORT(e) bpf_program__fd((e)->skel->progs.xvtep_tc_port)

#endif
