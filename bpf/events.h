/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event stream of `xvtepctl monitor` (xvtep.h, "event stream"). Only
 * the uncommon paths report: a new MAC, a move, ageing, a refusal, a drop.
 * The bucket is per CPU and per kind, so a flood of one kind neither takes
 * a lock nor silences the others; what it refuses is counted, as is what
 * the full ring refused.
 */
#ifndef XVTEP_BPF_EVENTS_H
#define XVTEP_BPF_EVENTS_H

#include "common.h"

#define EVQ_COST_NS	(1000000000ULL / XVTEP_EVQ_RATE)
#define EVQ_DEPTH_NS	(EVQ_COST_NS * XVTEP_EVQ_BURST)
/* A place as one scalar (subprogram arguments are scalars): bit 32 = remote. */
#define EVQ_REMOTE	(1ULL << 32)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XVTEP_EVQ_SIZE);
} xvtep_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XVTEP_EVQ_KINDS);
	__type(key, __u32);
	__type(value, struct xvtep_evq_rate);
} xvtep_evrate SEC(".maps");

static __always_inline __u64 evq_place(__u32 ifindex, __be32 remote)
{
	return remote ? EVQ_REMOTE | (__u32)remote : ifindex;
}

static __always_inline __u64 evq_entry_place(const struct xvtep_fdb_entry *e)
{
	return e->flags & XVTEP_FDB_F_REMOTE ? EVQ_REMOTE | (__u32)e->remote : e->ifindex;
}

static __always_inline __u64 evq_mac(const __u8 *mac)
{
	__u64 m = 0;

	__builtin_memcpy(&m, mac, ETH_ALEN);
	return m;
}

/* A global function: the verifier checks it once, on its own, instead of
 * again at every call site (the callers' states would multiply). */
__attribute__((noinline)) int evq_report(__u32 kind, __u32 vni, __u64 mac, __u64 place, __u64 old)
{
	struct xvtep_evq_rate *r = bpf_map_lookup_elem(&xvtep_evrate, &kind);
	struct xvtep_evq_rec *rec;
	__u64 now, credit;

	if (!r)
		return 0;
	now = bpf_ktime_get_ns();
	credit = r->credit_ns + (now - r->last_ns);
	if (credit > EVQ_DEPTH_NS)
		credit = EVQ_DEPTH_NS;
	r->last_ns = now;
	if (credit < EVQ_COST_NS) {
		r->credit_ns = credit;
		r->suppressed++;
		return 0;
	}
	r->credit_ns = credit - EVQ_COST_NS;
	rec = bpf_ringbuf_reserve(&xvtep_events, sizeof(*rec), 0);
	if (!rec) {
		r->lost++;
		return 0;
	}
	rec->ts_ns = now;
	rec->vni = vni;
	rec->kind = kind;
	__builtin_memcpy(rec->mac, &mac, ETH_ALEN);
	rec->ifindex = place & EVQ_REMOTE ? 0 : (__u32)place;
	rec->remote = place & EVQ_REMOTE ? (__u32)place : 0;
	rec->old_ifindex = old & EVQ_REMOTE ? 0 : (__u32)old;
	rec->old_remote = old & EVQ_REMOTE ? (__u32)old : 0;
	bpf_ringbuf_submit(rec, 0);
	r->sent++;
	return 0;
}

#endif
