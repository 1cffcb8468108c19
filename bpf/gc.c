/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ageing sweep. A bpf_timer stored in the pinned xvtep_gc map re-arms itself
 * every cfg_gc_interval_ns, so dynamic entries age out with no daemon running;
 * the timer dies with the map (detach). Each pass removes dynamic entries not
 * refreshed within their VNI's ageing time, and entries of deleted VNIs.
 */

struct gc_pass {
	__u64 now;
	__u64 slack;
	__u64 aged;
};

static long gc_visit(struct bpf_map *map, struct xvtep_fdb_key *key, struct xvtep_fdb_entry *e,
		     struct gc_pass *pass)
{
	const struct xvtep_vni *vcfg;
	struct xvtep_vstate *vs;
	union xvtep_addr old_remote = {};
	__u32 vni = key->vni, old_ifindex = 0;

	/* EVPN entries are static too; both live until their owner removes them. */
	if (e->flags & (XVTEP_FDB_F_STATIC | XVTEP_FDB_F_EVPN))
		return 0;
	frozen_thaw(e, pass->now);
	vcfg = bpf_map_lookup_elem(&xvtep_vnis, &vni);
	/* Refreshes are stamped with the start of the previous sweep (fdb.h),
	 * up to one interval early: allow that interval, so an entry ages
	 * between `ageing` and `ageing` + one interval after its last frame. */
	if (vcfg && (__s64)(pass->now - e->updated_ns) <=
		    (__s64)((__u64)vcfg->ageing * 1000000000ULL + pass->slack))
		return 0;
	/* e is not ours once deleted */
	if (e->flags & XVTEP_FDB_F_REMOTE)
		old_remote = e->remote;
	else
		old_ifindex = e->ifindex;
	if (bpf_map_delete_elem(&xvtep_fdb, key))
		return 0;
	gen_bump_fdb();
	vs = bpf_map_lookup_elem(&xvtep_vstate, &vni);
	if (vs && vs->learned)
		__sync_fetch_and_sub(&vs->learned, 1);
	if (vcfg)
		note_event(stats_get(vcfg), XVTEP_EV_AGED, vni, key->mac, 0, NULL, old_ifindex,
			   &old_remote);
	pass->aged++;
	return 0;
}

/* Snooped bindings age like dynamic FDB entries (their VNI's ageing time,
 * the same slack) and go with a deleted VNI; static and EVPN ones stay
 * (`vni del` removes those of its VNI). */
static long gc_neigh_visit(struct bpf_map *map, struct xvtep_neigh_key *key,
			   struct xvtep_neigh_entry *e, struct gc_pass *pass)
{
	const struct xvtep_vni *vcfg;
	__u32 vni = key->vni;

	if (!(e->flags & XVTEP_NEIGH_F_SNOOPED))
		return 0;
	vcfg = bpf_map_lookup_elem(&xvtep_vnis, &vni);
	if (vcfg && (__s64)(pass->now - e->updated_ns) <=
		    (__s64)((__u64)vcfg->ageing * 1000000000ULL + pass->slack))
		return 0;
	bpf_map_delete_elem(&xvtep_neigh, key);
	return 0;
}

static int gc_timer_fired(void *map, int *key, struct xvtep_gc *gc)
{
	struct gc_pass pass = { .now = bpf_ktime_get_ns() };

	pass.slack = gc->interval_ns ? gc->interval_ns : XVTEP_GC_INTERVAL_NS;

	bpf_for_each_map_elem(&xvtep_fdb, gc_visit, &pass, 0);
	bpf_for_each_map_elem(&xvtep_neigh, gc_neigh_visit, &pass, 0);
	gc->runs++;
	gc->aged += pass.aged;
	gc->last_run_ns = pass.now;
	bpf_timer_start(&gc->timer, gc->interval_ns ? gc->interval_ns : XVTEP_GC_INTERVAL_NS, 0);
	return 0;
}

/* Run once by the loader (BPF_PROG_TEST_RUN) to arm or re-point the timer. */
SEC("xdp")
int xvtep_gc_start(struct xdp_md *ctx)
{
	struct xvtep_gc *gc;
	__u32 zero = 0;

	gc = bpf_map_lookup_elem(&xvtep_gc, &zero);
	if (!gc)
		return XDP_ABORTED;
	gc->interval_ns = cfg_gc_interval_ns;
	/* -EBUSY when a previous loader armed it: re-pointing the callback below
	 * moves the running timer onto this program's code. */
	bpf_timer_init(&gc->timer, &xvtep_gc, CLOCK_MONOTONIC_NR);
	if (bpf_timer_set_callback(&gc->timer, gc_timer_fired))
		return XDP_ABORTED;
	if (bpf_timer_start(&gc->timer, gc->interval_ns, 0))
		return XDP_ABORTED;
	return XDP_PASS;
}
