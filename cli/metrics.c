// SPDX-License-Identifier: GPL-2.0
/*
 * xvtepctl metrics: every counter in the Prometheus text exposition format
 * (0.0.4), for node_exporter's textfile collector. All values are read
 * before anything is printed, so one family's samples stay together.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cli.h"

#ifndef XVTEP_VERSION
#define XVTEP_VERSION "unknown"
#endif

void usage_metrics(FILE *f)
{
	fprintf(f, "       xvtepctl metrics              (Prometheus text format)\n");
}

struct vni_counters {
	__u32 vni;
	bool configured;	/* not the global slot: has a learned count */
	__u64 learned;
	struct xvtep_stats s;
};

struct snapshot {
	struct vni_counters *v;
	size_t nv;
	long fdb_entries;
	__u32 fdb_size;
	struct xvtep_gc gc;
	struct xvtep_mirror mirrors[XVTEP_MAX_MIRRORS];
	struct xvtep_mirror_stats mstats[XVTEP_MAX_MIRRORS];
	struct xvtep_evq_rate evq[XVTEP_EVQ_KINDS];
};

static void family(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample of a per-VNI family, the stats field at OFF. */
static void vni_family(const struct snapshot *sn, const char *name, const char *help, size_t off)
{
	family(name, "counter", help);
	for (size_t i = 0; i < sn->nv; i++)
		printf("%s{vni=\"%u\"} %llu\n", name, sn->v[i].vni,
		       *(const unsigned long long *)((const char *)&sn->v[i].s + off));
}

static void reason_family(const struct snapshot *sn, const char *name, const char *help,
			  bool drops)
{
	int n = drops ? XVTEP_DROP__MAX : XVTEP_EV__MAX;

	family(name, "counter", help);
	for (size_t i = 0; i < sn->nv; i++)
		for (int r = 0; r < n; r++)
			printf("%s{vni=\"%u\",reason=\"%s\"} %llu\n", name, sn->v[i].vni,
			       drops ? xvtep_drop_names[r] : xvtep_event_names[r],
			       (unsigned long long)(drops ? sn->v[i].s.drops[r] :
							    sn->v[i].s.events[r]));
}

static void mirror_family(const struct snapshot *sn, const char *name, const char *help,
			  size_t off)
{
	family(name, "counter", help);
	for (int m = 0; m < XVTEP_MAX_MIRRORS; m++)
		if (sn->mirrors[m].id)
			printf("%s{session=\"%u\"} %llu\n", name, sn->mirrors[m].id,
			       *(const unsigned long long *)((const char *)&sn->mstats[m] + off));
}

static void evq_family(const struct snapshot *sn, const char *name, const char *help,
		       size_t off)
{
	char buf[48];
	const char *kind;

	family(name, "counter", help);
	for (__u32 k = 0; k < XVTEP_EVQ_KINDS; k++)
		if ((kind = evq_kind_name(k, buf, sizeof(buf))))
			printf("%s{kind=\"%s\"} %llu\n", name, kind,
			       *(const unsigned long long *)((const char *)&sn->evq[k] + off));
}

static int read_vnis(struct snapshot *sn)
{
	__u32 *vnis = NULL;
	size_t n = 0;

	if (stats_vnis(&vnis, &n))
		return -1;
	sn->v = calloc(n, sizeof(*sn->v));
	if (!sn->v) {
		free(vnis);
		return xv_err("out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		struct vni_counters *c = &sn->v[sn->nv];
		struct xvtep_vstate vs = {};

		if (vni_stats_read(vnis[i], &c->s, true))
			continue;	/* VNI deleted meanwhile */
		c->vni = vnis[i];
		c->configured = vnis[i] != 0;
		if (c->configured && !bpf_map_lookup_elem(ctl.maps.vstate, &vnis[i], &vs))
			c->learned = vs.learned;
		sn->nv++;
	}
	free(vnis);
	return 0;
}

static int read_mirrors(struct snapshot *sn)
{
	int fd = xv_map_open_checked(ctl.pin, XVTEP_MAP_MSTATS, 4,
				     sizeof(struct xvtep_mirror_stats));
	int ret = -1, err;

	if (fd < 0)
		return -1;
	for (__u32 slot = 0; slot < XVTEP_MAX_MIRRORS; slot++) {
		if (bpf_map_lookup_elem(ctl.maps.mirrors, &slot, &sn->mirrors[slot])) {
			xv_err_errno(errno, "cannot read %s[%u]", XVTEP_MAP_MIRRORS, slot);
			goto cleanup;
		}
		if (!sn->mirrors[slot].id)
			continue;
		err = xv_percpu_sum(fd, &slot, &sn->mstats[slot], sizeof(sn->mstats[slot]));
		if (err) {
			xv_err_errno(err, "cannot read %s[%u]", XVTEP_MAP_MSTATS, slot);
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	close(fd);
	return ret;
}

static int read_snapshot(struct snapshot *sn)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0;
	int fd;

	if (read_vnis(sn) || read_mirrors(sn))
		return -1;
	if (bpf_obj_get_info_by_fd(ctl.maps.fdb, &info, &len))
		return xv_err_errno(errno, "cannot read info of %s", XVTEP_MAP_FDB);
	sn->fdb_size = info.max_entries;
	sn->fdb_entries = xv_map_count(ctl.maps.fdb, sizeof(struct xvtep_fdb_key));
	if (sn->fdb_entries < 0)
		return xv_err_errno(sn->fdb_entries, "cannot count %s", XVTEP_MAP_FDB);
	if (bpf_map_lookup_elem(ctl.maps.gc, &zero, &sn->gc))
		return xv_err_errno(errno, "cannot read %s", XVTEP_MAP_GC);
	fd = xv_map_open_checked(ctl.pin, XVTEP_MAP_EVRATE, 4, sizeof(struct xvtep_evq_rate));
	if (fd < 0)
		return -1;
	if (evrate_read(fd, sn->evq)) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

#define VSTAT(f) offsetof(struct xvtep_stats, f)
#define MSTAT(f) offsetof(struct xvtep_mirror_stats, f)
#define EVQ(f) offsetof(struct xvtep_evq_rate, f)

static void print_snapshot(const struct snapshot *sn)
{
	family("xvtep_build_info", "gauge", "xvtep version (always 1).");
	printf("xvtep_build_info{version=\"%s\"} 1\n", XVTEP_VERSION);

	vni_family(sn, "xvtep_rx_packets_total",
		   "Frames decapsulated from the overlay and delivered (per copy); vni 0: global.",
		   VSTAT(rx_packets));
	vni_family(sn, "xvtep_rx_bytes_total", "Bytes of the rx frames.", VSTAT(rx_bytes));
	vni_family(sn, "xvtep_tx_packets_total",
		   "Frames encapsulated into the overlay (per copy).", VSTAT(tx_packets));
	vni_family(sn, "xvtep_tx_bytes_total", "Bytes of the tx frames.", VSTAT(tx_bytes));
	vni_family(sn, "xvtep_local_packets_total",
		   "Frames switched between local ports of the VNI.", VSTAT(local_packets));
	vni_family(sn, "xvtep_local_bytes_total", "Bytes of the local frames.",
		   VSTAT(local_bytes));
	reason_family(sn, "xvtep_drops_total", "Frames dropped, by reason.", true);
	reason_family(sn, "xvtep_events_total", "Dataplane events, by kind.", false);

	family("xvtep_fdb_learned_entries", "gauge", "Dynamic FDB entries of the VNI.");
	for (size_t i = 0; i < sn->nv; i++)
		if (sn->v[i].configured)
			printf("xvtep_fdb_learned_entries{vni=\"%u\"} %llu\n", sn->v[i].vni,
			       (unsigned long long)sn->v[i].learned);
	family("xvtep_fdb_entries", "gauge", "FDB entries, static and dynamic, of every VNI.");
	printf("xvtep_fdb_entries %ld\n", sn->fdb_entries);
	family("xvtep_fdb_size", "gauge", "FDB capacity (entries).");
	printf("xvtep_fdb_size %u\n", sn->fdb_size);

	mirror_family(sn, "xvtep_mirror_packets_total", "Mirror copies sent, by session id.",
		      MSTAT(packets));
	mirror_family(sn, "xvtep_mirror_bytes_total", "Bytes of the mirror copies sent.",
		      MSTAT(bytes));
	mirror_family(sn, "xvtep_mirror_truncated_total", "Mirror copies truncated.",
		      MSTAT(truncated));
	family("xvtep_mirror_drops_total", "counter", "Mirror copies not sent, by reason.");
	for (int m = 0; m < XVTEP_MAX_MIRRORS; m++)
		for (int r = 0; sn->mirrors[m].id && r < XVTEP_MDROP__MAX; r++)
			printf("xvtep_mirror_drops_total{session=\"%u\",reason=\"%s\"} %llu\n",
			       sn->mirrors[m].id, xvtep_mdrop_names[r],
			       (unsigned long long)sn->mstats[m].drops[r]);

	family("xvtep_ageing_runs_total", "counter", "Ageing sweeps run.");
	printf("xvtep_ageing_runs_total %llu\n", (unsigned long long)sn->gc.runs);
	family("xvtep_ageing_aged_total", "counter", "FDB entries removed by ageing.");
	printf("xvtep_ageing_aged_total %llu\n", (unsigned long long)sn->gc.aged);

	evq_family(sn, "xvtep_monitor_reported_total",
		   "Events written to the event stream (xvtepctl monitor), by kind.", EVQ(sent));
	evq_family(sn, "xvtep_monitor_suppressed_total",
		   "Events not reported: over the per-CPU rate limit of their kind.",
		   EVQ(suppressed));
	evq_family(sn, "xvtep_monitor_lost_total",
		   "Events not reported: the event ring was full (no monitor, or a slow one).",
		   EVQ(lost));
}

int do_metrics(int argc, char **argv)
{
	struct snapshot *sn;
	int ret = -1;

	if (no_args_done(argc, argv, "metrics", usage_metrics, &ret))
		return ret;
	if (ctl.json)
		return xv_err("metrics has no JSON output: use `xvtepctl -j stats` for JSON");
	if (ctl_open(false))
		return -1;
	sn = calloc(1, sizeof(*sn));
	if (!sn)
		return xv_err("out of memory");
	if (!read_snapshot(sn)) {
		print_snapshot(sn);
		ret = 0;
	}
	free(sn->v);
	free(sn);
	return ret;
}
