/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xvtep shared ABI: every map key and value, shared by bpf/, lib/, loader/,
 * cli/ and tests/. Layouts are fixed (explicit padding, static asserts).
 * Changing any of them means bumping XVTEP_ABI_VERSION: the loader refuses
 * to reuse pinned maps written by another ABI version.
 */
#ifndef XVTEP_H
#define XVTEP_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#include <linux/bpf.h>	/* struct bpf_timer */
#endif

/* 2: xvtep_stats indexed by xvtep_vni.stats_slot.
 * 3: addresses of VTEPs, groups, peers and collectors are union xvtep_addr
 *    (IPv4 or IPv6 underlay); xvtep_meta.local_ip6. */
#define XVTEP_ABI_VERSION	3

#define XVTEP_PIN_DEFAULT	"/sys/fs/bpf/xvtep"
#define XVTEP_DSTPORT_DEFAULT	4789
#define XVTEP_SPORT_MIN_DEFAULT	49152
#define XVTEP_SPORT_MAX_DEFAULT	65535
#define XVTEP_AGEING_DEFAULT	300	/* seconds */
#define XVTEP_TTL_DEFAULT	64
#define XVTEP_TTL_GROUP_DEFAULT	1
#define XVTEP_VNI_MAX		0xffffffU	/* 24 bits */

/* Map capacities (max_entries). The FDB size can be set at first attach. */
#define XVTEP_FDB_SIZE_DEFAULT	131072
#define XVTEP_MAX_VNIS		4096
#define XVTEP_MAX_PORTS		1024
#define XVTEP_MAX_REMOTES	16	/* head-end replication list per VNI */
#define XVTEP_MAX_VNI_PORTS	32	/* local ports per VNI */

/* Bytes added in front of the inner frame: outer Ethernet + IPv4 + UDP + VXLAN. */
#define XVTEP_ENCAP_LEN		(14 + 20 + 8 + 8)
/* The same over an IPv6 underlay: outer Ethernet + IPv6 + UDP + VXLAN. */
#define XVTEP_ENCAP6_LEN	(14 + 40 + 8 + 8)
/* How the TC encap grows a frame by XVTEP_ENCAP_LEN (bpf_skb_adjust_room, at
 * the MAC layer): GSO packets then segment as VXLAN. Shared with the bench's
 * encap floor (bench/sink.bpf.c), which must grow frames the same way. */
#define XVTEP_ENCAP_ADJ_FLAGS	(BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | \
				 BPF_F_ADJ_ROOM_ENCAP_L4_UDP | BPF_F_ADJ_ROOM_ENCAP_L2_ETH | \
				 (__u64)14 << BPF_ADJ_ROOM_ENCAP_L2_SHIFT)
#define XVTEP_ENCAP6_ADJ_FLAGS	(BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 | \
				 BPF_F_ADJ_ROOM_ENCAP_L4_UDP | BPF_F_ADJ_ROOM_ENCAP_L2_ETH | \
				 (__u64)14 << BPF_ADJ_ROOM_ENCAP_L2_SHIFT)

/*
 * An underlay address (a VTEP, a multicast group, a peer prefix, an ERSPAN
 * collector): IPv6, or IPv4 as an IPv4-mapped IPv6 address (::ffff:a.b.c.d,
 * RFC 4291 2.5.5.2). All zero = none. One form for both families keeps
 * every key and comparison the same size; no VTEP sends from a mapped
 * address on the wire, so the two never alias (the dataplane drops IPv6
 * outer sources in ::ffff:0:0/96).
 */
union xvtep_addr {
	__u8 b[16];
	__be32 w[4];		/* network byte order */
};

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define XVTEP_ADDR_V4_MARK	0x0000ffffU	/* w[2] of a mapped address */
#else
#define XVTEP_ADDR_V4_MARK	0xffff0000U
#endif

static inline __attribute__((always_inline)) bool xvtep_addr_is_v4(const union xvtep_addr *a)
{
	return !a->w[0] && !a->w[1] && a->w[2] == XVTEP_ADDR_V4_MARK;
}

static inline __attribute__((always_inline)) bool xvtep_addr_is_zero(const union xvtep_addr *a)
{
	return !(a->w[0] | a->w[1] | a->w[2] | a->w[3]);
}

static inline __attribute__((always_inline)) bool xvtep_addr_equal(const union xvtep_addr *a,
								  const union xvtep_addr *b)
{
	return !((a->w[0] ^ b->w[0]) | (a->w[1] ^ b->w[1]) | (a->w[2] ^ b->w[2]) |
		 (a->w[3] ^ b->w[3]));
}

/* IPv4 (network order) to its mapped form; 0 stays all zero (none). */
static inline __attribute__((always_inline)) void xvtep_addr_set_v4(union xvtep_addr *a, __be32 ip)
{
	a->w[0] = 0;
	a->w[1] = 0;
	a->w[2] = ip ? XVTEP_ADDR_V4_MARK : 0;
	a->w[3] = ip;
}

/* Multicast: 224.0.0.0/4 (mapped) or ff00::/8. */
static inline __attribute__((always_inline)) bool xvtep_addr_is_mcast(const union xvtep_addr *a)
{
	if (xvtep_addr_is_v4(a))
		return (((const __u8 *)&a->w[3])[0] & 0xf0) == 0xe0;
	return a->b[0] == 0xff;
}

/* Map names: pinned as <pin dir>/<name>. */
#define XVTEP_MAP_META		"xvtep_meta"
#define XVTEP_MAP_VNIS		"xvtep_vnis"
#define XVTEP_MAP_VSTATE	"xvtep_vstate"
#define XVTEP_MAP_PORTS		"xvtep_ports"
#define XVTEP_MAP_FDB		"xvtep_fdb"
#define XVTEP_MAP_STATS		"xvtep_stats"
#define XVTEP_MAP_DEVMAP	"xvtep_devmap"
#define XVTEP_MAP_GC		"xvtep_gc"
#define XVTEP_MAP_FDB_SEEN	"xvtep_fdb_seen"	/* per-CPU learning cache (bpf/fdb.h) */
#define XVTEP_MAP_GEN		"xvtep_gen"	/* config generations (struct xvtep_gen) */
/* Per-CPU caches of the XDP fast path (bpf/cache.h): never pinned. */
#define XVTEP_MAP_VNI_CACHE	"xvtep_vni_cache"
#define XVTEP_MAP_DST_CACHE	"xvtep_dst_cache"
#define XVTEP_MAP_CSUM_SCRATCH	"xvtep_csum_scratch"	/* per-CPU, not pinned */

#ifndef __VMLINUX_H__
#include <stdbool.h>
#include <string.h>
/* Maps that live per load and are never pinned (the XDP caches start empty,
 * the checksum buffer holds nothing between packets): the loader and the
 * bench's cost tool, which reuses the live instance's pins, both skip them. */
static inline bool xvtep_map_per_load(const char *name)
{
	return !strcmp(name, XVTEP_MAP_VNI_CACHE) || !strcmp(name, XVTEP_MAP_DST_CACHE) ||
	       !strcmp(name, XVTEP_MAP_CSUM_SCRATCH);
}
#endif

/* Program pins (<pin>/progs/<name>) and link pins (<pin>/links/<name>). */
#define XVTEP_PROG_PORT		"xvtep_tc_port"
#define XVTEP_LINK_XDP		"xdp_uplink"
#define XVTEP_LINK_TC_UPLINK	"tc_uplink"
#define XVTEP_LINK_PORT_FMT	"port_%u"	/* %u = ifindex */
#define XVTEP_PROG_PORT_XDP	"xvtep_xdp_port"
#define XVTEP_LINK_PORT_XDP_FMT	"port_xdp_%u"	/* %u = ifindex; ports with XDP_ENCAP */

/* Decap modes: which hook decapsulates what (see docs/design.md, "Decap modes"). */
enum xvtep_decap_mode {
	XVTEP_DECAP_HYBRID = 0,	/* XDP fast path for non-TCP unicast, TC for the rest */
	XVTEP_DECAP_XDP = 1,	/* XDP for all known unicast, TC for flooding */
	XVTEP_DECAP_TC = 2,	/* no XDP program: TC does everything */
};

/* xvtep_meta[0]: written by the loader, read by the CLI and status. */
struct xvtep_meta {
	__u32 abi_version;
	__u32 uplink_ifindex;
	__be32 local_ip;	/* IPv4 VTEP address, 0 = none (IPv6 only) */
	__u16 dstport;		/* host byte order */
	__u16 sport_min;
	__u16 sport_max;
	__u8 decap_mode;	/* enum xvtep_decap_mode */
	__u8 xdp_mode;		/* 0 native, 1 generic */
	__u8 uplink_mac[6];
	__u16 feat_off;		/* XVTEP_FEAT_* the running kernel lacks (or turned off) */
	__u32 xdp_prog_id;
	__u32 tc_uplink_prog_id;
	__u32 port_prog_id;
	__u64 attached_at;	/* CLOCK_REALTIME seconds of the last attach */
	char uplink_name[16];
	__u8 local_ip6[16];	/* IPv6 VTEP address, all zero = none (IPv4 only) */
};

/* Optional kernel features (xvtep_meta.feat_off: the ones not in use). A
 * meta written before these bits existed reads 0: every feature in use. */
#define XVTEP_FEAT_TCX		(1U << 0)	/* tcx links (6.6); else clsact + cls_bpf */
#define XVTEP_FEAT_XDP_META	(1U << 1)	/* bpf_xdp_adjust_meta in XDP: tagged XDP mirror copies */
#define XVTEP_FEAT_DECAP_L3	(1U << 2)	/* bpf_skb_adjust_room DECAP_L3 flags (6.3) */
#define XVTEP_FEAT_NETDEV_GENL	(1U << 3)	/* "netdev" genl family (6.3): XDP xmit targets */
#define XVTEP_FEAT__ALL		((1U << 4) - 1)
/* feat_off >> this: the features of feat_off turned off by hand, not by the kernel */
#define XVTEP_FEAT_FORCED_SHIFT	8

#define XVTEP_VNI_F_LEARNING	(1U << 0)
/* Outer sources are checked against xvtep_peers: the VNI's own list when
 * PEER_OWN is set, else the default list (key vni XVTEP_PEER_DEFAULT).
 * Without PEER_FILTER the dataplane does no lookup at all. */
#define XVTEP_VNI_F_PEER_FILTER	(1U << 1)
#define XVTEP_VNI_F_PEER_OWN	(1U << 2)
/* ARP requests and IPv6 Neighbour Solicitations from the VNI's ports are
 * answered from xvtep_neigh when it holds the target; bindings are also
 * snooped from the VMs' ARP and ND (docs/neigh-suppression.md). */
#define XVTEP_VNI_F_NEIGH_SUPPRESS	(1U << 3)
/* Some trunk carries the VNI tagged (an xvtep_vlan_out entry): only then do
 * deliveries look the VID up, access-only VNIs pay nothing. */
#define XVTEP_VNI_F_TAGGED	(1U << 4)
/* Under BGP EVPN control (`vni add VNI evpn`): xvtep owns the kernel devices
 * zebra reads (XVTEP_EVPN_*_FMT), xvtepd fills the remote list and the
 * XVTEP_FDB_F_EVPN entries. The dataplane learns no remote MAC in it. */
#define XVTEP_VNI_F_EVPN	(1U << 5)

/* Kernel devices of an EVPN VNI (%u = VNI, at most 8 digits: within IFNAMSIZ):
 * the bridge, the nolearning vxlan device enslaved to it, and the veth
 * whose end in the bridge stands for xvtep's local ports (its peer stays down). */
#define XVTEP_EVPN_BRIDGE_FMT	"xvb%u"
#define XVTEP_EVPN_VXLAN_FMT	"xvx%u"
#define XVTEP_EVPN_PORT_FMT	"xvp%u"
#define XVTEP_EVPN_PEER_FMT	"xvq%u"

/* xvtep_vnis: key __u32 vni (host order). */
struct xvtep_vni {
	union xvtep_addr group;	/* multicast group (IPv4 mapped or IPv6), 0 = none */
	__u32 flags;		/* XVTEP_VNI_F_* */
	__u32 ageing;		/* seconds a dynamic entry lives unrefreshed */
	__u32 mac_limit;	/* max learned entries, 0 = only the map size */
	__u8 ttl;		/* outer TTL, 0 = default (64, 1 toward the group) */
	__u8 nr_remotes;
	__u8 nr_ports;
	__u8 pad0;
	/* Index of the VNI's counters in xvtep_stats (1..XVTEP_MAX_VNIS, given
	 * by `vni add`; 0 = count on the global slot): an array lookup on the
	 * per-packet path instead of a second hash lookup by VNI. */
	__u32 stats_slot;
	/* Head-end replication list: IPv4 and IPv6 VTEPs may mix. */
	union xvtep_addr remotes[XVTEP_MAX_REMOTES];
	__u32 ports[XVTEP_MAX_VNI_PORTS];	/* local port ifindexes */
};

/* xvtep_vstate: key __u32 vni. Updated atomically by the dataplane. */
struct xvtep_vstate {
	__u64 learned;		/* dynamic FDB entries of the VNI (reserved before insert) */
	__u64 pad;
};

#define XVTEP_PORT_F_NO_XDP	(1U << 0)	/* never take the XDP fast path to it */
/* Encapsulate the VM's frames in XDP on the port (`port add|set ... encap xdp`):
 * xvtep_xdp_port runs on it, linked at links/port_xdp_<ifindex>. */
#define XVTEP_PORT_F_XDP_ENCAP	(1U << 1)
/* A trunk (docs/vlan-gateway.md): 802.1Q VIDs map to VNIs through
 * xvtep_vlan_in/xvtep_vlan_out; the port's vni is its native VNI (untagged
 * frames), 0 = none. Never in the XDP devmap: XDP cannot tag per port. */
#define XVTEP_PORT_F_TRUNK	(1U << 2)

/* xvtep_ports: key __u32 ifindex. */
struct xvtep_port {
	__u32 vni;
	__u32 flags;		/* XVTEP_PORT_F_* */
	__u32 mirror_rx;	/* bitmap of mirror sessions (reserved) */
	__u32 mirror_tx;
};

struct xvtep_fdb_key {
	__u32 vni;
	__u8 mac[6];
	__u16 pad;		/* always 0 */
};

#define XVTEP_FDB_F_STATIC	(1U << 0)
#define XVTEP_FDB_F_REMOTE	(1U << 1)	/* behind a remote VTEP, else a local port */
/* Moved too often (move dampening): stays put until `pad` (seconds). */
#define XVTEP_FDB_F_FROZEN	(1U << 2)
/* Written by xvtepd from what zebra installed (always with STATIC|REMOTE):
 * never aged, never moved by a remote source, taken by a local port's frame
 * (a VM that moved here), removed when zebra withdraws it. */
#define XVTEP_FDB_F_EVPN	(1U << 3)

struct xvtep_fdb_entry {
	__u32 ifindex;		/* local port, when !REMOTE */
	__u32 flags;		/* XVTEP_FDB_F_* */
	/* FROZEN: end of the hold, in bpf_ktime_get_ns() seconds; else unused. */
	__u32 pad;
	union xvtep_addr remote;	/* remote VTEP, when REMOTE */
	__u32 pad1;		/* always 0 */
	__u64 updated_ns;	/* CLOCK_MONOTONIC (bpf_ktime_get_ns) of the last refresh */
};

/* Every drop has a reason, counted per VNI (VNI 0 = before a VNI is known). */
enum xvtep_drop {
	XVTEP_DROP_MALFORMED = 0,	/* truncated or invalid headers */
	XVTEP_DROP_NO_I_FLAG,		/* VXLAN I flag clear */
	XVTEP_DROP_UNKNOWN_VNI,
	XVTEP_DROP_INNER_VLAN,		/* RFC 7348 6.1: no 802.1Q inside */
	XVTEP_DROP_BAD_SRC_MAC,		/* multicast, broadcast or zero source */
	XVTEP_DROP_STATIC_CONFLICT,	/* source MAC owned by a static entry elsewhere */
	XVTEP_DROP_MTU,			/* encapsulated frame exceeds the underlay MTU */
	XVTEP_DROP_NO_ROUTE,		/* no route/neighbour toward the remote VTEP */
	XVTEP_DROP_PORT_UNKNOWN,	/* frame on a port without configuration */
	XVTEP_DROP_NO_DEST,		/* flood with nowhere to go */
	XVTEP_DROP_ENCAP_FAILED,	/* headroom adjustment failed */
	XVTEP_DROP_REDIRECT_FAILED,
	XVTEP_DROP_HAIRPIN,		/* destination is the ingress port */
	XVTEP_DROP_OWN_SOURCE,		/* outer source is our own address */
	XVTEP_DROP_NEIGH_UNRESOLVED,	/* flood copy to a VTEP whose neighbour is unknown */
	XVTEP_DROP_PEER_DENIED,		/* outer source not in the VNI's VTEP allow-list */
	XVTEP_DROP_MAC_FROZEN,		/* source MAC claimed from elsewhere while its entry is frozen */
	XVTEP_DROP_OWN_MAC,		/* source MAC is the uplink's or a port's own */
	XVTEP_DROP_VLAN_UNTAGGED,	/* untagged (or priority-tagged) on a trunk without native VNI */
	XVTEP_DROP_VLAN_UNMAPPED,	/* 802.1Q VID without a VNI on this trunk */
	XVTEP_DROP_VLAN_QINQ,		/* 802.1ad (S-tag) outer tag on a trunk */
	XVTEP_DROP_NEIGH_REPLY,		/* an ARP/ND answer could not be written over the request */
	XVTEP_DROP__MAX,
};

/* Events that are not drops. */
enum xvtep_event {
	XVTEP_EV_LEARNED = 0,		/* new dynamic entry */
	XVTEP_EV_MOVED,			/* dynamic entry moved port/VTEP */
	XVTEP_EV_LEARN_LIMIT,		/* not learned: mac-limit reached */
	XVTEP_EV_FDB_FULL,		/* not learned: FDB map full */
	XVTEP_EV_AGED,			/* removed by ageing */
	XVTEP_EV_FLOODED,		/* BUM frames replicated */
	XVTEP_EV_RESERVED_BITS,		/* VXLAN reserved bits set (ignored) */
	XVTEP_EV_XDP_TO_TC,		/* an XDP fast path handed a frame to TC */
	XVTEP_EV_MOVE_FROZEN,		/* an entry moved too often and was frozen */
	XVTEP_EV_XDP_ENCAP,		/* encapsulated by a port's XDP fast path */
	XVTEP_EV_NEIGH_ANSWERED,	/* ARP request / NS answered from xvtep_neigh */
	XVTEP_EV_NEIGH_FLOODED,		/* ARP request / NS flooded: no binding (suppression on) */
	XVTEP_EV__MAX,
};

#define XVTEP_DROP_SLOTS	24
#define XVTEP_EVENT_SLOTS	16

/*
 * xvtep_stats: per-CPU array, key __u32 slot: 0 = global (frames of no known
 * VNI), else a VNI's xvtep_vni.stats_slot. rx = decapsulated from the overlay
 * and delivered (per copy), tx = encapsulated into the overlay (per copy),
 * local = switched between local ports of the VNI.
 */
struct xvtep_stats {
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 tx_packets;
	__u64 tx_bytes;
	__u64 local_packets;
	__u64 local_bytes;
	__u64 drops[XVTEP_DROP_SLOTS];
	__u64 events[XVTEP_EVENT_SLOTS];
};

/* xvtep_gc[0]: the ageing sweep, a bpf_timer that lives with the pinned map. */
struct xvtep_gc {
	struct bpf_timer timer;
	__u64 interval_ns;
	__u64 runs;
	__u64 last_run_ns;
	__u64 aged;
};

#define XVTEP_GC_INTERVAL_NS	1000000000ULL

/*
 * xvtep_gen[0]: generations of what the XDP fast path copies into per-CPU
 * caches (bpf/cache.h): a cached copy is used only while its generation is
 * current. Every writer bumps the counter (atomic add; the map is mmapable
 * so userspace can) AFTER its write: `vni` for any change to xvtep_vnis,
 * `fdb` for an FDB entry removed or moved to another place. Adding an entry
 * needs no bump: only entries found are cached.
 */
struct xvtep_gen {
	__u64 vni;
	__u64 fdb;
};

_Static_assert(sizeof(union xvtep_addr) == 16, "xvtep_addr layout");
_Static_assert(sizeof(struct xvtep_meta) == 80, "xvtep_meta layout");
_Static_assert(sizeof(struct xvtep_gen) == 16, "xvtep_gen layout");
_Static_assert(sizeof(struct xvtep_vni) == 36 + 16 * XVTEP_MAX_REMOTES + 4 * XVTEP_MAX_VNI_PORTS,
	       "xvtep_vni layout");
_Static_assert(sizeof(struct xvtep_vstate) == 16, "xvtep_vstate layout");
_Static_assert(sizeof(struct xvtep_port) == 16, "xvtep_port layout");
_Static_assert(sizeof(struct xvtep_fdb_key) == 12, "xvtep_fdb_key layout");
_Static_assert(sizeof(struct xvtep_fdb_entry) == 40, "xvtep_fdb_entry layout");
_Static_assert(sizeof(struct xvtep_stats) == 8 * (6 + XVTEP_DROP_SLOTS + XVTEP_EVENT_SLOTS),
	       "xvtep_stats layout");
_Static_assert(sizeof(struct xvtep_gc) == 48, "xvtep_gc layout");
_Static_assert(XVTEP_DROP__MAX <= XVTEP_DROP_SLOTS, "drop slots");
_Static_assert(XVTEP_EV__MAX <= XVTEP_EVENT_SLOTS, "event slots");

#ifndef __VMLINUX_H__
/* Names as the CLI prints them (JSON keys). */
static const char *const xvtep_drop_names[XVTEP_DROP__MAX] = {
	[XVTEP_DROP_MALFORMED] = "malformed",
	[XVTEP_DROP_NO_I_FLAG] = "no_i_flag",
	[XVTEP_DROP_UNKNOWN_VNI] = "unknown_vni",
	[XVTEP_DROP_INNER_VLAN] = "inner_vlan",
	[XVTEP_DROP_BAD_SRC_MAC] = "bad_src_mac",
	[XVTEP_DROP_STATIC_CONFLICT] = "static_conflict",
	[XVTEP_DROP_MTU] = "mtu_exceeded",
	[XVTEP_DROP_NO_ROUTE] = "no_route",
	[XVTEP_DROP_PORT_UNKNOWN] = "port_unknown",
	[XVTEP_DROP_NO_DEST] = "no_destination",
	[XVTEP_DROP_ENCAP_FAILED] = "encap_failed",
	[XVTEP_DROP_REDIRECT_FAILED] = "redirect_failed",
	[XVTEP_DROP_HAIRPIN] = "hairpin",
	[XVTEP_DROP_OWN_SOURCE] = "own_source",
	[XVTEP_DROP_NEIGH_UNRESOLVED] = "neigh_unresolved",
	[XVTEP_DROP_PEER_DENIED] = "peer_denied",
	[XVTEP_DROP_MAC_FROZEN] = "mac_frozen",
	[XVTEP_DROP_OWN_MAC] = "own_mac",
	[XVTEP_DROP_VLAN_UNTAGGED] = "vlan_untagged",
	[XVTEP_DROP_VLAN_UNMAPPED] = "vlan_unmapped",
	[XVTEP_DROP_VLAN_QINQ] = "vlan_qinq",
	[XVTEP_DROP_NEIGH_REPLY] = "neigh_reply_failed",
};

static const char *const xvtep_event_names[XVTEP_EV__MAX] = {
	[XVTEP_EV_LEARNED] = "learned",
	[XVTEP_EV_MOVED] = "moved",
	[XVTEP_EV_LEARN_LIMIT] = "learn_limit",
	[XVTEP_EV_FDB_FULL] = "fdb_full",
	[XVTEP_EV_AGED] = "aged",
	[XVTEP_EV_FLOODED] = "flooded",
	[XVTEP_EV_RESERVED_BITS] = "reserved_bits",
	[XVTEP_EV_XDP_TO_TC] = "xdp_to_tc",
	[XVTEP_EV_MOVE_FROZEN] = "move_frozen",
	[XVTEP_EV_XDP_ENCAP] = "xdp_encap",
	[XVTEP_EV_NEIGH_ANSWERED] = "neigh_answered",
	[XVTEP_EV_NEIGH_FLOODED] = "neigh_flooded",
};
#endif

/* ------------------------------------------------------------ mirroring */

#define XVTEP_MAX_MIRRORS	32	/* sessions; port bitmaps have one bit each */
#define XVTEP_MIRROR_MAX_SRCS	8
#define XVTEP_MAP_MIRRORS	"xvtep_mirrors"
#define XVTEP_MAP_MSTATS	"xvtep_mstats"
#define XVTEP_MAP_UPMIRROR	"xvtep_upmirror"
#define XVTEP_PROG_PORT_EGRESS	"xvtep_tc_port_eg"
#define XVTEP_LINK_PORT_EG_FMT	"port_eg_%u"	/* %u = ifindex */
#define XVTEP_LINK_TC_UPLINK_EG	"tc_uplink_eg"
#define XVTEP_LINK_MIRROR	"tc_mirror"

/* Copies reach the mirror device's ingress carrying this mark:
 * XVTEP_MIRROR_MARK | dir << 8 | slot. */
#define XVTEP_MIRROR_MARK	0x58560000U
#define XVTEP_MIRROR_MARK_MASK	0xffff0000U
#define XVTEP_MIRROR_MARK_OUT	(XVTEP_MIRROR_MARK | 0x8000U)	/* a finished copy: never mirrored again */
#define XVTEP_MIRROR_DEV	"xvtep-mir"	/* veth; its peer is xvtep-mirp */
#define XVTEP_MIRROR_PEER	"xvtep-mirp"

/*
 * Copies made by XDP (docs/internals.md, "Mirroring on the XDP path"). The
 * decap fast path sends a frame for a port with one tx session to that
 * port's pair map in xvtep_mirror_bcast ({port, xvtep-mirp}) with
 * BPF_F_BROADCAST; the copy carries XVTEP_MIRROR_MARK | dir << 8 | slot in
 * its first 4 bytes of XDP metadata and reaches xvtep_xdp_mir on
 * xvtep-mir, which finishes it there if its output device is in
 * xvtep_mirror_xmit, else passes it to xvtep_tc_mirror.
 */
#define XVTEP_MAP_MIRROR_BCAST	"xvtep_mirror_bcast"	/* HASH_OF_MAPS: port ifindex -> pair devmap */
#define XVTEP_MAP_MIRROR_XMIT	"xvtep_mirror_xmit"	/* DEVMAP_HASH: ifindex -> ifindex */
#define XVTEP_MIRROR_XMIT_MAX	256
#define XVTEP_LINK_XDP_MIRROR	"xdp_mirror"

/*
 * Without tcx (Linux < 6.6) the TC programs are cls_bpf filters in
 * direct-action mode on a clsact qdisc, each at a fixed handle and
 * priority of its own: xvtep finds, replaces and deletes exactly its
 * filters there and leaves any other filter on the hook alone. Handle
 * "xv" << 16 | kind; priorities away from the usual choices (1, 0xc000):
 * a filter added later without a priority gets one below the lowest in
 * place (0x7800 and down), never one of these.
 *
 *   hook                  handle       pref
 *   uplink ingress        0x78760001   0x7801 (30721)
 *   uplink egress         0x78760002   0x7802 (30722)
 *   mirror device ingress 0x78760003   0x7803 (30723)
 *   port ingress          0x78760004   0x7804 (30724)
 *   port egress           0x78760005   0x7805 (30725)
 */
#define XVTEP_TC_HANDLE_BASE	0x78760000U
#define XVTEP_TC_PRIO_BASE	0x7800U

enum xvtep_mirror_kind {
	XVTEP_MIRROR_SPAN = 1,
	XVTEP_MIRROR_RSPAN = 2,
	XVTEP_MIRROR_ERSPAN = 3,
};

#define XVTEP_MIRROR_DIR_RX	1
#define XVTEP_MIRROR_DIR_TX	2

/* xvtep_mirrors: ARRAY, key = slot (0..31), id 0 = free slot. */
struct xvtep_mirror {
	__u32 id;		/* operator's session id */
	__u8 kind;		/* enum xvtep_mirror_kind */
	__u8 dir;		/* XVTEP_MIRROR_DIR_* bits */
	__u8 erspan_version;	/* 2 = Type II, 3 = Type III */
	__u8 pad0;
	__u32 dest_ifindex;	/* SPAN/RSPAN destination */
	union xvtep_addr remote;	/* ERSPAN collector */
	__u16 vlan;		/* RSPAN VID */
	__u16 session;		/* ERSPAN session id, 0..1023 */
	__u32 index;		/* ERSPAN Type II index, 20 bits */
	__u32 hwid;		/* ERSPAN Type III hardware id, 6 bits */
	__u32 truncate;		/* bytes kept of each frame, 0 = all */
	__u32 nr_sources;
	__u32 sources[XVTEP_MIRROR_MAX_SRCS];	/* ifindexes (for show) */
	__u64 seq;		/* GRE sequence, + 1 per copy, + N for a GSO copy of N segments (atomic) */
};

/* A SPAN session whose copy is the frame itself at any length (nothing to
 * cut): the one kind the XDP fast path may send straight to its destination,
 * when the control plane made that the pair's other member (lib/maps.c) and
 * the pair still holds it (bpf/mirror.h). */
static inline __attribute__((always_inline)) bool
xvtep_mirror_span_whole(const struct xvtep_mirror *m)
{
	return m->id && m->kind == XVTEP_MIRROR_SPAN && !m->truncate && m->dest_ifindex;
}

/* xvtep_upmirror[0]: sessions fed by the uplink (it is not a port). */
struct xvtep_upmirror {
	__u32 mirror_rx;
	__u32 mirror_tx;
};

enum xvtep_mirror_drop {
	XVTEP_MDROP_NO_SESSION = 0,	/* copy for a deleted session */
	XVTEP_MDROP_CLONE,		/* clone toward the mirror device failed */
	XVTEP_MDROP_NO_ROUTE,		/* collector unreachable */
	XVTEP_MDROP_NEIGH,		/* collector's neighbour unresolved */
	XVTEP_MDROP_ENCAP,		/* header push failed */
	XVTEP_MDROP_REDIRECT,		/* destination refused the copy */
	XVTEP_MDROP_RATE,		/* over the session's rate limit */
	XVTEP_MDROP__MAX,
};

#define XVTEP_MDROP_SLOTS	8

/* xvtep_mstats: per-CPU ARRAY, key = slot. Reset when a slot is reused. */
struct xvtep_mirror_stats {
	__u64 packets;		/* copies on the wire: a GSO copy counts its segments */
	__u64 bytes;		/* as sent (a GSO copy: its whole length, headers once) */
	__u64 truncated;
	__u64 drops[XVTEP_MDROP_SLOTS];
};

_Static_assert(sizeof(struct xvtep_mirror) == 48 + 4 * XVTEP_MIRROR_MAX_SRCS + 8,
	       "xvtep_mirror layout");
_Static_assert(sizeof(struct xvtep_upmirror) == 8, "xvtep_upmirror layout");
_Static_assert(sizeof(struct xvtep_mirror_stats) == 8 * (3 + XVTEP_MDROP_SLOTS),
	       "xvtep_mirror_stats layout");
_Static_assert(XVTEP_MDROP__MAX <= XVTEP_MDROP_SLOTS, "mirror drop slots");

#ifndef __VMLINUX_H__
static const char *const xvtep_mdrop_names[XVTEP_MDROP__MAX] = {
	[XVTEP_MDROP_NO_SESSION] = "no_session",
	[XVTEP_MDROP_CLONE] = "clone_failed",
	[XVTEP_MDROP_NO_ROUTE] = "no_route",
	[XVTEP_MDROP_NEIGH] = "neigh_unresolved",
	[XVTEP_MDROP_ENCAP] = "encap_failed",
	[XVTEP_MDROP_REDIRECT] = "redirect_failed",
	[XVTEP_MDROP_RATE] = "rate_limited",
};
#endif

/* ------------------------------------------------------------ hardening */

#define XVTEP_MAP_PEERS		"xvtep_peers"
#define XVTEP_MAP_VSEC		"xvtep_vsec"
#define XVTEP_MAP_MOVES		"xvtep_moves"
#define XVTEP_MAP_OWNMACS	"xvtep_ownmacs"
#define XVTEP_MAP_MRATE		"xvtep_mrate"

/* xvtep_peers: LPM_TRIE (no prealloc). prefixlen = 32 + the prefix length
 * in addr's 128 bits (an IPv4 /N is 32 + 96 + N, mapped): the VNI part
 * always matches whole. vni XVTEP_PEER_DEFAULT holds the
 * default list. Value: __u32, always 0. */
#define XVTEP_PEER_DEFAULT	0xffffffffU
#define XVTEP_MAX_PEERS		16384

struct xvtep_peer_key {
	__u32 prefixlen;
	__u32 vni;		/* host order, or XVTEP_PEER_DEFAULT */
	union xvtep_addr addr;
};

/* xvtep_vsec: key __u32 vni. A VNI without an entry uses the defaults. */
#define XVTEP_MOVE_LIMIT_DEFAULT	10	/* moves... */
#define XVTEP_MOVE_WINDOW_DEFAULT	10	/* ...within this many seconds freeze the entry */
#define XVTEP_MOVE_HOLD_DEFAULT		30	/* seconds an entry stays frozen */

struct xvtep_vni_sec {
	__u32 move_limit;	/* moves allowed per window, 0 = no dampening */
	__u32 move_window;	/* seconds */
	__u32 move_hold;	/* seconds */
	__u32 pad;
};

/* xvtep_moves: LRU_HASH, key struct xvtep_fdb_key. Written on moves only. */
#define XVTEP_MOVES_SIZE	16384

struct xvtep_move {
	__u64 window_start_ns;
	__u64 moves;		/* moves since window_start_ns (64 bits: atomic fetch-add) */
};

/* xvtep_ownmacs: HASH -> __u32 ifindex of the port owning the MAC. The
 * uplink MAC is rodata (cfg_uplink_mac). These are never learned. */
struct xvtep_mac_key {
	__u8 mac[6];
	__u16 pad;		/* always 0 */
};

/* xvtep_mrate: ARRAY, key = mirror slot. Token bucket of the session, in
 * nanoseconds of credit: a copy costs 1e9 / rate. */
#define XVTEP_MIRROR_BURST_DIV	10	/* default burst: a tenth of a second */

struct xvtep_mirror_rate {
	struct bpf_spin_lock lock;
	__u32 rate;		/* copies per second, 0 = unlimited */
	__u32 burst;		/* bucket depth in copies (0 = 1) */
	__u32 pad;
	__u64 credit_ns;
	__u64 last_ns;
};

_Static_assert(sizeof(struct xvtep_peer_key) == 24, "xvtep_peer_key layout");
_Static_assert(sizeof(struct xvtep_vni_sec) == 16, "xvtep_vni_sec layout");
_Static_assert(sizeof(struct xvtep_move) == 16, "xvtep_move layout");
_Static_assert(sizeof(struct xvtep_mac_key) == 8, "xvtep_mac_key layout");
_Static_assert(sizeof(struct xvtep_mirror_rate) == 32, "xvtep_mirror_rate layout");

/* ------------------------------------------------------------ neighbour suppression */

/*
 * xvtep_neigh: HASH (preallocated), key {vni, family, address} -> the MAC
 * that answers ARP requests / Neighbour Solicitations for the address on
 * VNIs with XVTEP_VNI_F_NEIGH_SUPPRESS. Static entries come from
 * `xvtepctl neigh add`; snooped ones from the VMs' own ARP and ND, aged by
 * the sweep like dynamic FDB entries and never written over a static or
 * EVPN entry. A full map refuses new snooped entries.
 */
#define XVTEP_MAP_NEIGH		"xvtep_neigh"
#define XVTEP_NEIGH_SIZE	65536

#define XVTEP_NEIGH_AF_INET	2	/* AF_INET: addr[0..3], the rest 0 */
#define XVTEP_NEIGH_AF_INET6	10	/* AF_INET6 */

struct xvtep_neigh_key {
	__u32 vni;
	__u8 family;		/* XVTEP_NEIGH_AF_* */
	__u8 pad[3];		/* always 0 */
	__u8 addr[16];		/* network byte order */
};

#define XVTEP_NEIGH_F_STATIC	(1U << 0)	/* xvtepctl neigh add */
#define XVTEP_NEIGH_F_SNOOPED	(1U << 1)	/* learned from a VM's ARP/ND; ages */
#define XVTEP_NEIGH_F_EVPN	(1U << 2)	/* reserved: a BGP EVPN agent's route */

struct xvtep_neigh_entry {
	__u8 mac[6];
	__u16 flags;		/* XVTEP_NEIGH_F_* */
	__u32 ifindex;		/* snooped: the port it came from; else 0 */
	__u32 pad;
	__u64 updated_ns;	/* CLOCK_MONOTONIC of the last refresh (snooped) or write */
};

_Static_assert(sizeof(struct xvtep_neigh_key) == 24, "xvtep_neigh_key layout");
_Static_assert(sizeof(struct xvtep_neigh_entry) == 24, "xvtep_neigh_entry layout");

/* ------------------------------------------------------------ VLAN gateway */

/*
 * Trunk ports (XVTEP_PORT_F_TRUNK) map 802.1Q VIDs to VNIs. Two HASH maps
 * with the same key: xvtep_vlan_in {ifindex, vid} -> __u32 vni (ingress),
 * xvtep_vlan_out {ifindex, vni} -> __u32 vid (delivery). The control plane
 * writes both together (out first on add, last on delete), so FDB entries
 * stay {ifindex} and a trunk is in the ports[] list of every VNI it carries.
 */
#define XVTEP_MAP_VLAN_IN	"xvtep_vlan_in"
#define XVTEP_MAP_VLAN_OUT	"xvtep_vlan_out"
#define XVTEP_MAX_VLAN_MAPS	16384
#define XVTEP_VID_MAX		4094

struct xvtep_vlan_key {
	__u32 ifindex;
	__u32 id;		/* vid (xvtep_vlan_in) or vni (xvtep_vlan_out) */
};

_Static_assert(sizeof(struct xvtep_vlan_key) == 8, "xvtep_vlan_key layout");

/* ------------------------------------------------------------ event stream */

/*
 * `xvtepctl monitor` reads what the dataplane reports in xvtep_events (a
 * RINGBUF) through a per-CPU token bucket per kind in xvtep_evrate: a flood
 * costs one array lookup and a clock read per report refused, never a wait.
 * Kinds: enum xvtep_event (the XVTEP_EVQ_REPORTED ones), then the drop
 * reasons from XVTEP_EVQ_DROP_BASE.
 */
#define XVTEP_MAP_EVENTS	"xvtep_events"
#define XVTEP_MAP_EVRATE	"xvtep_evrate"
#define XVTEP_EVQ_SIZE		(256 * 1024)	/* ring bytes: ~5400 records */
#define XVTEP_EVQ_DROP_BASE	XVTEP_EVENT_SLOTS
#define XVTEP_EVQ_KINDS		(XVTEP_EVENT_SLOTS + XVTEP_DROP_SLOTS)
#define XVTEP_EVQ_RATE		50	/* reports per second, per kind and CPU... */
#define XVTEP_EVQ_BURST		100	/* ...after a burst of this many */
/* Events reported one by one; the others (per-packet ones) are counters only. */
#define XVTEP_EVQ_REPORTED	(1U << XVTEP_EV_LEARNED | 1U << XVTEP_EV_MOVED |	\
				 1U << XVTEP_EV_LEARN_LIMIT | 1U << XVTEP_EV_FDB_FULL |	\
				 1U << XVTEP_EV_AGED | 1U << XVTEP_EV_MOVE_FROZEN)

/* One record in xvtep_events. A place is a local port (ifindex) or a
 * remote VTEP (remote != 0); 0/0 = none. */
struct xvtep_evq_rec {
	__u64 ts_ns;		/* bpf_ktime_get_ns() */
	__u32 vni;		/* 0 = not known (a frame refused before its VNI was) */
	__u16 kind;		/* enum xvtep_event, or XVTEP_EVQ_DROP_BASE + enum xvtep_drop */
	__u8 mac[6];		/* the source MAC concerned, 0 = none */
	__u32 ifindex;		/* new place (learned/moved), or where the frame came from */
	__u32 old_ifindex;	/* previous place (moved, aged, move_frozen: the held one) */
	union xvtep_addr remote;
	union xvtep_addr old_remote;
	__u32 pad;
};

/* xvtep_evrate: per-CPU ARRAY, key = kind. */
struct xvtep_evq_rate {
	__u64 last_ns;
	__u64 credit_ns;	/* bucket in ns of credit: a report costs 1e9 / XVTEP_EVQ_RATE */
	__u64 sent;		/* records submitted */
	__u64 suppressed;	/* refused by the bucket */
	__u64 lost;		/* the ring was full (no reader, or one too slow) */
	__u64 pad;
};

_Static_assert(sizeof(struct xvtep_evq_rec) == 64, "xvtep_evq_rec layout");
_Static_assert(sizeof(struct xvtep_evq_rate) == 48, "xvtep_evq_rate layout");

#endif /* XVTEP_H */
