/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace helpers shared by xvtep-loader, xvtepctl and the tests. */
#ifndef XVTEP_LIB_H
#define XVTEP_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "xvtep.h"

/* Print "Error: ..." to stderr (iproute2 style). Returns -1 for `return xv_err(...)`. */
int xv_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Error: argument "ARG" is wrong: WHY */
int xv_arg_err(const char *arg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Enter /run/netns/NAME for networking only (setns CLONE_NEWNET; /sys/fs/bpf stays visible). */
int xv_enter_netns(const char *name);

/* 0 if DIR's parent (or DIR itself) lives on bpffs; else prints a clear error. */
int xv_check_bpffs(const char *pin_dir);

/* snprintf "<pin>/<name>" or "<pin>/<sub>/<name>" (sub may be NULL). */
int xv_pin_path(char *buf, size_t len, const char *pin, const char *sub, const char *name);

/* File descriptors of every pinned map, -1 when not open. */
struct xv_maps {
	int meta, vnis, vstate, ports, fdb, stats, devmap, gc, gen;
	int mirror_bcast, mirror_xmit, mirrors;
	int vlan_in, vlan_out;	/* trunk VID <-> VNI maps */
	__u16 feat_off;		/* xvtep_meta.feat_off, read by xv_maps_open() */
};
/* Open all pinned maps under PIN and check the ABI version in xvtep_meta.
 * Prints "Error: ..." (not attached / incompatible ABI) and returns -1. */
int xv_maps_open(const char *pin, struct xv_maps *m);
void xv_maps_close(struct xv_maps *m);
/* After writing xvtep_vnis or the FDB: bump both generations (struct
 * xvtep_gen) so the dataplane's cached copies are refilled. 0 or -1 (printed). */
int xv_gen_bump(int gen_fd);
int xv_read_meta(const struct xv_maps *m, struct xvtep_meta *meta);

/* Parsers: 0 on success, -1 on bad input (no message printed). */
int xv_parse_mac(const char *s, __u8 mac[6]);
int xv_parse_ipv4(const char *s, __be32 *ip);
int xv_parse_u32(const char *s, __u32 min, __u32 max, __u32 *out);
void xv_fmt_mac(const __u8 mac[6], char buf[18]);
void xv_fmt_ipv4(__be32 ip, char buf[16]);
static inline bool xv_ipv4_is_mcast(__be32 ip) { return (((unsigned char *)&ip)[0] & 0xf0) == 0xe0; }

/*
 * The options xvtep-loader and xvtepd take alike: --pin DIR, -n/--netns NETNS,
 * -v/--verbose, -h/--help, -V/--version. A tool puts XV_COMMON_LONGOPTS in its
 * getopt_long table (opterr = 0, optstring starting with XV_COMMON_SHORTOPTS)
 * and hands every option to xv_common_opt() first.
 */
#define XV_OPT_PIN		255
#define XV_COMMON_SHORTOPTS	":n:vhV"
#define XV_COMMON_LONGOPTS						\
	{ "pin",     required_argument, NULL, XV_OPT_PIN },		\
	{ "netns",   required_argument, NULL, 'n' },			\
	{ "verbose", no_argument,       NULL, 'v' },			\
	{ "help",    no_argument,       NULL, 'h' },			\
	{ "version", no_argument,       NULL, 'V' }

struct xv_common_opts {
	const char **pin;
	const char **netns;
	bool *verbose;
	void (*usage)(FILE *f);
	const char *version;	/* the --version line */
};

/* 1: C was a common option, done (help and version exit 0); 0: not one of
 * them, nor an error (the tool's own); -1: refused, "Error: ..." printed
 * (a bad --pin, a missing value, an unknown option). */
int xv_common_opt(int c, char **argv, const struct xv_common_opts *o);

/* Underlay addresses (union xvtep_addr, include/xvtep.h): IPv4 text is
 * stored mapped, IPv6 as is; "::ffff:a.b.c.d" itself is refused (write the
 * IPv4 address). */
#define XV_ADDR_STRLEN		46	/* INET6_ADDRSTRLEN */
#define XV_PREFIX_STRLEN	(XV_ADDR_STRLEN + 4)
int xv_parse_addr(const char *s, union xvtep_addr *a);
/* "A" or "A/N": PLEN is in the 128 bits of the stored form (IPv4 /N = 96 + N);
 * host bits are cleared. */
int xv_parse_prefix(const char *s, union xvtep_addr *a, __u32 *plen);
/* IPv4 dotted, IPv6 RFC 5952; all zero prints "::". Returns BUF. */
const char *xv_fmt_addr(const union xvtep_addr *a, char buf[XV_ADDR_STRLEN]);
/* Why A cannot be a VTEP or collector address, NULL when it can be one.
 * IPv4: 0.0.0.0, broadcast, multicast, class E and 127/8 cannot; IPv6: ::,
 * multicast, ::1 and link-local (a scope the dataplane has no room for). */
const char *xv_addr_not_unicast(const union xvtep_addr *a);
/* "A/N" with N in the address's own family (PLEN as xv_parse_prefix gives). */
const char *xv_fmt_prefix(const union xvtep_addr *a, __u32 plen, char buf[XV_PREFIX_STRLEN]);
static inline int xv_addr_family(const union xvtep_addr *a)
{
	return xvtep_addr_is_v4(a) ? 2 /* AF_INET */ : 10 /* AF_INET6 */;
}

/* Keep the uplink joined to GROUP (IPv4 224/4 or IPv6 ff00::/8) without a
 * process holding a socket: a /32 (/128) address with IFA_F_MCAUTOJOIN (like
 * `ip addr add G/32 dev D autojoin`). Join is idempotent (EEXIST is
 * success); leave of an absent group is success. -EINVAL: not multicast. */
int xv_mcast_join(int ifindex, const union xvtep_addr *group);
int xv_mcast_leave(int ifindex, const union xvtep_addr *group);

/* tcx link (BPF_TCX_INGRESS/EGRESS through raw bpf_link_create): returns link fd or -errno. */
int xv_tcx_attach(int prog_fd, int ifindex, bool ingress);
/* An XDP link in driver mode. Returns its fd, or -errno. */
int xv_xdp_attach(int prog_fd, int ifindex);

/* Sum of a per-CPU xvtep_stats value into OUT; 0 or -errno (-ENOENT if absent). */
int xv_stats_read(int stats_fd, __u32 vni, struct xvtep_stats *out);
/* Put port IFINDEX in the XDP devmap if XDP may deliver to it (a port, no
 * tx mirror session, no XVTEP_PORT_F_NO_XDP), else take it out. A port
 * without XVTEP_PORT_F_NO_XDP and with exactly one tx session gets a pair
 * map in xvtep_mirror_bcast (XDP makes its copies), any other loses it:
 * {the port, the session's destination} for a SPAN session that cuts
 * nothing toward a device in xvtep_mirror_xmit (sync that first), else
 * {the port, the mirror device's peer}. Uses M's ports, devmap,
 * mirror_bcast, and mirrors and mirror_xmit when open (>= 0). 0 or -errno. */
int xv_devmap_sync(const struct xv_maps *m, __u32 ifindex);
/* xv_devmap_sync() for every port, and drop devmap and pair entries of non-ports. */
int xv_devmap_sync_all(const struct xv_maps *m);
/* Refill M's xvtep_mirror_xmit with the devices that take XDP frames now
 * (xv_xdp_xmit_devices; none when M's feat_off has XVTEP_FEAT_NETDEV_GENL).
 * 0 or -errno. */
int xv_mirror_xmit_sync(const struct xv_maps *m);
/* Ifindexes of the devices of this network namespace whose XDP features
 * include NDO_XMIT (generic netlink "netdev"). Count, or -errno. */
int xv_xdp_xmit_devices(__u32 *ifindexes, size_t max);
/* Sum a per-CPU value made of __u64 counters (SIZE a multiple of 8) into OUT; 0 or -errno. */
int xv_percpu_sum(int map_fd, const void *key, void *out, size_t size);

/* CLOCK_MONOTONIC now in ns (same clock as bpf_ktime_get_ns). */
__u64 xv_now_ns(void);


/* ---- Additions (new helpers; the declarations above are stable). ---- */

/* Like xv_err() with ": strerror(err)" appended (err may be negative);
 * EPERM prints the missing-privileges message instead. Returns -1. */
int xv_err_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 0 when the effective capabilities allow loading and attaching programs
 * (CAP_BPF or CAP_SYS_ADMIN, plus CAP_NET_ADMIN); else prints
 * "Error: missing privileges (need CAP_BPF/CAP_NET_ADMIN)" and returns -1. */
int xv_check_privileges(void);

/* xv_mcast_join() that also tells whether this call added the address
 * (*created = false when it already existed). */
int xv_mcast_join_ex(int ifindex, const union xvtep_addr *group, bool *created);

/* BPF link types missing from older uapi headers. */
#define XV_LINK_TYPE_XDP	6
#define XV_LINK_TYPE_TCX	11
/* Info of a bpf_link fd (any out pointer may be NULL). ifindex is the
 * device of an XDP or tcx link, 0 once the device is gone. 0 or -errno. */
int xv_link_info(int link_fd, __u32 *type, __u32 *link_id, __u32 *prog_id, __u32 *ifindex);
/* Name (BPF_OBJ_NAME_LEN) of program ID; "" when unknown. */
void xv_prog_name(__u32 prog_id, char name[16]);

/* ---- Optional kernel features (lib/features.c) ---- */

/* Comma- or space-separated feature names to treat as missing: runs the
 * fallback paths on a kernel that has every feature (tests). */
#define XV_FEATURES_OFF_ENV	"XVTEP_FEATURES_OFF"
/* Probe the running kernel (and the current network namespace) and apply
 * XV_FEATURES_OFF_ENV: *feat_off as xvtep_meta.feat_off. 0, or -1 after
 * printing an error (a bad XV_FEATURES_OFF_ENV). */
int xv_features_probe(__u16 *feat_off);
/* Name of XVTEP_FEAT_* BIT ("tcx", "xdp-meta", "decap-l3", "netdev-genl"). */
const char *xv_feature_name(__u16 bit);
/* Why BIT is off in FEAT_OFF, and what xvtep does instead. */
const char *xv_feature_why_off(__u16 feat_off, __u16 bit);
/* CB for every feature, in a fixed order. */
void xv_features_each(void (*cb)(const char *name, __u16 bit, void *arg), void *arg);
/* Id of generic netlink family NAME, or -errno (-ENOENT: no such family). */
int xv_genl_family_id(const char *name);

/* ---- TC hooks: tcx links or clsact + cls_bpf (lib/tcattach.c) ---- */

enum xv_tc_kind { XV_TC_UPLINK, XV_TC_UPLINK_EG, XV_TC_MIRROR, XV_TC_PORT, XV_TC_PORT_EG,
		  XV_TC__NR };
struct xv_tc_hook {
	const char *link;	/* tcx: pin name under <pin>/links/ (ports: %u = ifindex) */
	const char *prog;	/* the program's name as the kernel keeps it */
	bool ingress;
	__u32 handle;		/* clsact: the filter's handle and priority (include/xvtep.h) */
	__u16 prio;
};
extern const struct xv_tc_hook xv_tc_hooks[XV_TC__NR];

/* clsact: put PROG_FD in xvtep's filter of KIND on IFINDEX (creating the
 * qdisc and the filter as needed, else replacing the program in place).
 * A filter in that slot that is not this instance's is never touched.
 * *OLD_PROG_ID (may be NULL): the program replaced, 0 if none. 0, or -1
 * after printing "Error: ...". */
int xv_clsact_attach(const char *pin, int ifindex, enum xv_tc_kind kind, int prog_fd,
		     __u32 *old_prog_id);
/* Program of the filter in KIND's slot on IFINDEX: 0, -ENOENT (none),
 * -EBUSY (a filter that is no eBPF program), -errno. */
int xv_clsact_query(int ifindex, enum xv_tc_kind kind, __u32 *prog_id);
/* Delete that filter if it runs this instance's program, then the clsact
 * qdisc if no filter is left. 0, -ENOENT, -EBUSY (not ours: left alone), -errno. */
int xv_clsact_detach(const char *pin, int ifindex, enum xv_tc_kind kind);
/* The instance's filters off its uplink and mirror device (ifindex 0:
 * skipped) and off every port in <pin>/xvtep_ports; the others are left
 * with a warning. Returns how many were removed. Looked for whatever the
 * instance's attach method: finding none costs a few queries. */
int xv_clsact_detach_all(const char *pin, int uplink_ifindex, int mirror_ifindex);
/* Delete IFINDEX's clsact qdisc if neither hook has a filter. */
void xv_clsact_release(int ifindex);
/* Filters on IFINDEX's clsact ingress or egress (0 without clsact); -errno. */
long xv_clsact_filter_count(int ifindex, bool ingress);
/* True if PROG_ID is KIND's program and uses a map pinned under PIN. */
bool xv_tc_prog_owned(const char *pin, enum xv_tc_kind kind, __u32 prog_id);
/* Programs on IFINDEX's ingress: tcx ones and clsact filters. -errno on error. */
long xv_tc_ingress_count(int ifindex);
/* Pin link FD at PATH and close FD; on failure the link is detached and
 * -1 returned after printing. */
int xv_link_pin(int fd, const char *path);
/* Detach the link pinned at PATH and remove the pin: 0 or -errno. */
int xv_link_unpin(const char *path);
/* Attach (tcx: a link pinned at links/<name>) or detach KIND on IFINDEX the
 * way FEAT_OFF (the instance's xvtep_meta.feat_off) says. Attach: 0 or -1
 * after printing; detach: 0 or -errno (-ENOENT: nothing attached). */
int xv_tc_attach(const char *pin, __u16 feat_off, enum xv_tc_kind kind, int ifindex, int prog_fd);
int xv_tc_detach(const char *pin, __u16 feat_off, enum xv_tc_kind kind, int ifindex);

/* Number of entries of a hash/array-like map (iterates the keys); -errno on error. */
long xv_map_count(int map_fd, __u32 key_size);

/* Exclusive, non-blocking flock on /run/lock/<NAME><PIN, "/" as "_">.lock (outside
 * bpffs, which holds no regular files; the lock dies with the process). Its path
 * goes to PATH. The fd, or -errno (-EWOULDBLOCK: another process holds it). */
int xv_pin_lock(const char *name, const char *pin, char *path, size_t len);

/* When > 0, every "Error: " message names this input line (xvtepctl -batch). */
extern int xv_err_line;

/* ---- Mirroring ---- */

/* Create veth pair NAME/PEER, both with MTU (rtnetlink). 0 or -errno (-EEXIST if present). */
int xv_veth_create(const char *name, const char *peer, __u32 mtu);
/* Set a device administratively up; delete a device (a veth takes its peer along). 0 or -errno. */
int xv_link_set_up(int ifindex);
int xv_link_del(int ifindex);

/* Open pinned map <pin>/<name> and check its key/value sizes. Returns the fd, or -1 after
 * printing "Error: ..." (missing: "re-run xvtep-loader attach"). */
int xv_map_open_checked(const char *pin, const char *name, __u32 key_size, __u32 value_size);

/* ---- Underlay next hops (managed neighbours) ---- */

/* NDA_PROTOCOL of the neighbour entries xvtep creates (`proto 88` in ip -d neigh). */
#define XV_NEIGH_PROTO 88
/* The instance's local VTEP addresses (xvtep_meta.local_ip, .local_ip6),
 * both as union xvtep_addr; a zero one = none. */
struct xv_locals {
	union xvtep_addr v4, v6;
};
void xv_locals_from_meta(const struct xvtep_meta *meta, struct xv_locals *loc);
/* The local address of DST's family (NULL when LOC is NULL; zero = none). */
const union xvtep_addr *xv_local_for(const struct xv_locals *loc, const union xvtep_addr *dst);
/* Output device and next hop (gateway, or DST itself; same family as DST)
 * of the route to DST (RTM_GETROUTE AF_INET or AF_INET6; SRC NULL or zero
 * = any). 0, or -ENETUNREACH (no route), -EHOSTUNREACH (blackhole/
 * unreachable/prohibit), -EADDRINUSE (a local address), -errno. */
int xv_route_nexthop(const union xvtep_addr *dst, const union xvtep_addr *src, int *ifindex,
		     union xvtep_addr *nh);
/* Make sure the next hop toward REMOTE has a managed neighbour entry
 * (NTF_EXT_MANAGED, AF_INET or AF_INET6 by REMOTE's family): create one of
 * ours, turn a plain dynamic entry into one of ours, leave an existing
 * managed/permanent entry alone. LOC (may be NULL) gives the route lookup's
 * source. Outputs may be NULL. 0 or -errno (route errors as xv_route_nexthop). */
int xv_neigh_managed(const union xvtep_addr *remote, const struct xv_locals *loc, int *ifindex,
		     union xvtep_addr *nh);
/* Delete our managed entries (NDA_PROTOCOL XV_NEIGH_PROTO, both families)
 * that are not the next hop of any of KEEP. 0 or the first -errno. */
int xv_neigh_release(const union xvtep_addr *keep, size_t nkeep, const struct xv_locals *loc);
/* Every configured remote VTEP (VNI remote lists, static FDB remote entries),
 * deduplicated, in a malloc()ed array (*out, may be NULL when *n == 0). 0 or -errno. */
int xv_config_remotes(int vnis_fd, int fdb_fd, union xvtep_addr **out, size_t *n);
/* xv_neigh_managed() for each of REMOTES; a failure is a "Warning: ..." on
 * stderr naming the remote (the configuration stands). Remotes of a family
 * LOC has no address for are skipped. Returns the number of failures. */
int xv_neigh_managed_all(const union xvtep_addr *remotes, size_t n, const struct xv_locals *loc);


/* ---- BGP EVPN (lib/netlink.c) ---- */

/* Names of an EVPN VNI's kernel devices (XVTEP_EVPN_*_FMT). */
struct xv_evpn_names {
	char bridge[16], vxlan[16], port[16], peer[16];
};
void xv_evpn_names(__u32 vni, struct xv_evpn_names *n);
/* Create the bridge, the nolearning vxlan device (VNI, LOCAL, DSTPORT) in
 * it and the port veth in it, all up but the veth's peer. On failure,
 * whatever was made is deleted again and *FAILED names the device that
 * could not be made. 0 or -errno (-EEXIST: a device of that name exists). */
int xv_evpn_devs_create(__u32 vni, __be32 local, __u16 dstport, const char **failed);
/* Delete them (absent ones are skipped). 0 or the first -errno. */
int xv_evpn_devs_delete(__u32 vni);
/* `bridge fdb add|del MAC dev IFINDEX master extern_learn`. 0 or -errno. */
int xv_bridge_fdb_extern(int ifindex, const __u8 mac[6], bool add);
struct nlmsghdr;
/* RTM_GETNEIGH AF_BRIDGE dump of the current netns: CB for each message. 0 or -errno. */
int xv_bridge_fdb_dump(int (*cb)(const struct nlmsghdr *h, void *arg), void *arg);
/* RTM_GETNEIGH dump of FAMILY (AF_INET, AF_INET6, AF_BRIDGE). 0 or -errno. */
int xv_neigh_dump(int family, int (*cb)(const struct nlmsghdr *h, void *arg), void *arg);
/* `ip neigh replace|del ADDR lladdr MAC dev IFINDEX nud noarp proto XV_NEIGH_PROTO`
 * (ADDR 4 or 16 bytes by FAMILY): a local MAC+IP for zebra. 0 or -errno. */
int xv_bridge_neigh_noarp(int ifindex, int family, const __u8 *addr, const __u8 mac[6], bool add);
/* Room for one more element in the malloc()ed array *ARR (a pointer to the
 * array pointer) holding N of CAP elements of SIZE bytes: doubled when full,
 * FIRST elements the first time. 0 or -ENOMEM (the array is unchanged). */
int xv_array_room(void *arr, size_t *cap, size_t n, size_t size, size_t first);
/* Lower xvtep_vstate[VNI].learned by N, not below 0 (not atomic against the dataplane). */
void xv_learned_sub(int vstate_fd, __u32 vni, __u64 n);

#endif
