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

static __always_inline __u64 evq_mac(const __u8 *mac)
{
	__u64 m = 0;

	__builtin_memcpy(&m, mac, ETH_ALEN);
	return m;
}

/*
 * A global function: the verifier checks it once, on its own, instead of
 * again at every call site (the callers' states would multiply).
 * A place is a local port (ifindex) or a remote VTEP (an address, IPv4
 * mapped or IPv6): too wide for one scalar, so the addresses come by
 * pointer (NULL = none; the verifier lets a global function take pointers
 * to memory of a known size, checked at each call) and the rest is packed
 * in scalars, within the five arguments a call has:
 *   KIND_VNI  kind | vni << 32
 *   IFS       ifindex | old_ifindex << 32
 */
__attribute__((noinline)) int evq_report(__u64 kind_vni, __u64 mac, __u64 ifs,
					 const union xvtep_addr *remote,
					 const union xvtep_addr *old_remote)
{
	__u32 kind = (__u32)kind_vni;
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
	rec->vni = kind_vni >> 32;
	rec->kind = kind;
	__builtin_memcpy(rec->mac, &mac, ETH_ALEN);
	rec->ifindex = (__u32)ifs;
	rec->old_ifindex = ifs >> 32;
	if (remote)
		rec->remote = *remote;
	else
		__builtin_memset(&rec->remote, 0, sizeof(rec->remote));
	if (old_remote)
		rec->old_remote = *old_remote;
	else
		__builtin_memset(&rec->old_remote, 0, sizeof(rec->old_remote));
	rec->pad = 0;
	bpf_ringbuf_submit(rec, 0);
	r->sent++;
	return 0;
}

/* One record: KIND about MAC of VNI, at IFINDEX/REMOTE (the new place, or
 * where the frame came from), before at OLD_IFINDEX/OLD_REMOTE. */
static __always_inline void evq_send(__u32 kind, __u32 vni, __u64 mac, __u32 ifindex,
				     const union xvtep_addr *remote, __u32 old_ifindex,
				     const union xvtep_addr *old_remote)
{
	evq_report(kind | (__u64)vni << 32, mac, ifindex | (__u64)old_ifindex << 32, remote,
		   old_remote);
}

#endif
