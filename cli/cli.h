/* SPDX-License-Identifier: GPL-2.0 */
/* xvtepctl internals shared by the object handlers (vni, port, fdb, stats). */
#ifndef XVTEPCTL_H
#define XVTEPCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "xvtep.h"
#include "xvtep_lib.h"
#include "json.h"

/* Global options (before OBJECT). */
struct ctl {
	const char *pin;
	const char *netns;
	bool json;
	bool pretty;
	struct xv_maps maps;
	bool maps_open;
	int lock_fd;
	/* A write to xvtep_vnis or the FDB was attempted: bump the generations
	 * after the command (main.c ctl_written). */
	bool dirty;
	const char *cmdline;	/* the whole command line as typed (audit log) */
};

extern struct ctl ctl;

/*
 * The commands of an object, for main.c's object table: a handler gets the
 * arguments after the COMMAND and returns 0 or -1 (error already printed).
 * Names with the same handler are aliases. The first entry runs when no
 * COMMAND is given. Ends with { NULL, NULL }.
 */
struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
};

extern const struct cli_cmd vni_cmds[], port_cmds[], fdb_cmds[], mirror_cmds[], peer_cmds[],
	neigh_cmds[];
/* After every mirror command: the session maps it opened. */
void mirror_maps_close(void);

/* Objects without commands: argv holds the arguments after OBJECT. */
int do_stats(int argc, char **argv);

void usage_vni(FILE *f);
void usage_port(FILE *f);
void usage_port_vlan(FILE *f);
void usage_fdb(FILE *f);
void usage_stats(FILE *f);
void usage_mirror(FILE *f);
void usage_neigh(FILE *f);

/* port del: refuse (printing why, naming the session) while DEV is a mirror
 * source or a SPAN/RSPAN destination. 0 = free to delete, -1 = refused/error. */
int mirror_refuse_port_del(const char *dev, __u32 ifindex, const struct xvtep_port *port);

/*
 * Enter the netns (if any), open the pinned maps and, for commands that
 * change state, take an exclusive flock on the pin dir so that two xvtepctl
 * runs cannot interleave their read-modify-write of a VNI's port list.
 * Called only after the arguments passed their syntax checks.
 */
int ctl_open(bool write);

/* Managed underlay neighbours for configured remote VTEPs (warnings only:
 * the configuration stands). neigh_ensure: one for each of REMOTES;
 * neigh_release_unused: delete ours that no configured remote needs. */
void neigh_ensure(const union xvtep_addr *remotes, size_t n);
void neigh_release_unused(void);

/* Argument helpers. */
bool is_kw(const char *arg, const char *kw);
bool is_help(const char *arg);
/* The value after keyword argv[*i] (advances *i); prints a "missing value" error if absent. */
const char *kw_value(int argc, char **argv, int *i);
/* For a command without arguments (metrics, monitor): true when the
 * arguments settle it, with *ret set: 0 after USAGE for "help", -1 after
 * the error for any other argument. */
bool no_args_done(int argc, char **argv, const char *cmd, void (*usage)(FILE *f), int *ret);
/* Reports a keyword given twice. */
int dup_kw(const char *kw);
int parse_vni_arg(const char *s, __u32 *vni, bool allow_zero);
int parse_mac_arg(const char *s, __u8 mac[6]);
/* IPv4 or IPv6 unicast usable as a VTEP address (IPv4: not 0, not broadcast,
 * not multicast, not loopback; IPv6: not ::, ::1, multicast or link-local). */
int parse_unicast_arg(const char *s, union xvtep_addr *a);
/* A VTEP or group address ARG of a family META (NULL: unknown, passes) has
 * no local address for: "the instance has no IPv6 local address (attach
 * --local IPV6)". 0 or -1 (printed). */
int check_local_family(const char *arg, const union xvtep_addr *a, const struct xvtep_meta *meta);
/* A is one of META's local VTEP addresses. */
bool is_local_vtep(const union xvtep_addr *a, const struct xvtep_meta *meta);

/* Interface name of IFINDEX (cached; "ifN" if it no longer exists). */
const char *ifname(__u32 ifindex);
/* Resolve DEV: a name, or for devices that are gone, "ifN" / a bare ifindex. 0 if unknown. */
__u32 ifindex_of(const char *dev, bool allow_stale);

/* Map helpers. */
int vni_get(__u32 vni, struct xvtep_vni *v);	/* 0, or -1 if absent */
int vni_put(__u32 vni, const struct xvtep_vni *v, __u64 flags);
/* Lower xvtep_vstate[vni].learned by N (not below 0). */
void learned_sub(__u32 vni, __u64 n);

/* Every FDB entry, read with batch lookups (fallback: get_next_key). */
struct fdb_rec {
	struct xvtep_fdb_key key;
	struct xvtep_fdb_entry val;
};
int fdb_dump(struct fdb_rec **out, size_t *n);
/* Sort by vni, then mac. */
void fdb_sort(struct fdb_rec *r, size_t n);

/* Sorted u32 keys of a map (vnis/ports/stats). */
int map_keys_u32(int fd, __u32 **out, size_t *n);

/* ---- trunk ports (vlan.c) ---- */
/* Drop IFINDEX from the VNI's dense ports[] list (port.c). */
void vni_ports_remove(struct xvtep_vni *v, __u32 ifindex);
/* `port vlan ...` (argv after "vlan"). */
int port_vlan(int argc, char **argv);
/* The VID trunk IFINDEX carries VNI as; 0 = none (untagged or not at all). */
__u32 trunk_vid_of(__u32 ifindex, __u32 vni);
/* Remove every VID mapping of trunk IFINDEX (port del): warnings only. */
void trunk_maps_flush(const char *dev, __u32 ifindex);
struct vlan_map {
	__u32 ifindex, vid, vni;
};
/* The mappings of trunk IFINDEX (0: of every trunk), by ifindex and VID. */
int vlan_maps_read(__u32 ifindex, struct vlan_map **out, size_t *n);
/* Called by port del and vni del: remove FDB entries matching the filter,
 * fixing up learned counts. Returns the number removed or -1. */
struct fdb_filter {
	bool by_vni;
	__u32 vni;
	bool by_port;
	__u32 ifindex;
	bool dynamic_only;
	bool evpn_only;		/* only XVTEP_FDB_F_EVPN entries */
};
long fdb_remove(const struct fdb_filter *f);

/* One `fdb add` (static entry), parsed without looking at the maps. */
struct fdb_add_req {
	struct xvtep_fdb_key key;
	struct xvtep_fdb_entry ent;	/* updated_ns set when written */
	const char *dev;		/* the "dev" argument, or NULL for a remote */
	const char *remote_arg;
	int line;			/* batch input line, for errors */
};
/* Parse `fdb add` arguments (argv[0] = MAC). 0, or -1 after printing the error. */
int fdb_add_parse(int argc, char **argv, struct fdb_add_req *r);
/* Check all N against the maps, then write all of them, or none (see fdb.c). */
int fdb_add_many(struct fdb_add_req *r, size_t n);

/* Counters of VNI (0: the global slot), found through the VNI's stats slot;
 * zero for a VNI counted on the global slot. 0, or -1 (printed unless QUIET). */
int vni_stats_read(__u32 vni, struct xvtep_stats *s, bool quiet);
/* Configured VNIs and the global 0 first, sorted: malloc()ed *out. 0 or -1. */
int stats_vnis(__u32 **out, size_t *n);

/* JSON writer for -j/-p; NULL in text mode. */
struct jw *json_open(void);

/* ---- observability (metrics.c, monitor.c) ---- */
int do_metrics(int argc, char **argv);
int do_monitor(int argc, char **argv);
void usage_metrics(FILE *f);
void usage_monitor(FILE *f);
/* Sums of xvtep_evrate over every CPU, one per kind. 0 or -1 (printed). */
int evrate_read(int fd, struct xvtep_evq_rate out[XVTEP_EVQ_KINDS]);
/* Name of an event-stream kind ("learned", "drop_malformed"), NULL if never reported. */
const char *evq_kind_name(__u32 kind, char *buf, size_t len);

/* ---- hardening (secure.c) ---- */
void usage_peer(FILE *f);
struct sec_prefix {
	union xvtep_addr addr;	/* IPv4 (mapped) or IPv6, host bits clear */
	__u32 plen;		/* within the 128-bit form: IPv4 /N is 96 + N */
};
/* Open xvtep_peers, xvtep_vsec, xvtep_ownmacs (idempotent). */
int sec_maps_open(void);
/* ADDR[/PREFIX], IPv4 or IPv6 (host bits cleared). */
int parse_peer_arg(const char *s, struct sec_prefix *p);
/* "A/N", N in the address's own family. */
void fmt_prefix(const struct sec_prefix *p, char buf[XV_PREFIX_STRLEN]);
/* Prefixes of list VNI (or XVTEP_PEER_DEFAULT), sorted; at most MAX. */
int peers_read(__u32 vni, struct sec_prefix *out, int max);
int peers_insert(__u32 vni, const struct sec_prefix *l, int n);
/* Remove every prefix of list VNI that is not in KEEP. */
void peers_prune(__u32 vni, const struct sec_prefix *keep, int nkeep);
/* FLAGS with the peer-filter bits for a VNI with (own) or without its own list. */
__u32 peer_flags(__u32 flags, bool own, bool dflt);
bool peer_default_active(void);
void vsec_read(__u32 vni, struct xvtep_vni_sec *s);	/* defaults when absent */
int vsec_write(__u32 vni, const struct xvtep_vni_sec *s);
void sec_vni_gone(__u32 vni);
void sec_show_vni(struct jw *jw, __u32 vni, const struct xvtep_vni *v);
void ownmac_port_add(__u32 ifindex);
void ownmac_port_del(__u32 ifindex);

/* ---- neighbour bindings (neigh.c) ---- */
/* vni del: the VNI's bindings go with it (warns on failure). */
void neigh_bindings_vni_gone(__u32 vni);
/* `neigh replace` lines of every static binding. 0 or -1 (printed). */
int neigh_bindings_save(void);

/* ---- save (save.c) ---- */
int do_save(int argc, char **argv);
void usage_save(FILE *f);
/* `mirror replace` lines of every session (mirror.c). 0 or -1 (printed). */
int mirror_save(void);

#endif
