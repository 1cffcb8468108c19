// SPDX-License-Identifier: GPL-2.0
/*
 * xvtepd: xvtep as the dataplane of FRR's BGP EVPN. For every VNI with
 * XVTEP_VNI_F_EVPN it mirrors what zebra writes on the VNI's vxlan device
 * (remote MACs, flood entries) and its remote MAC+IP neighbours on the VNI's
 * bridge into xvtep's maps, and exports xvtep's local MACs to the bridge as
 * extern_learn entries and its local MAC+IP bindings as NOARP neighbours, for
 * zebra to advertise.
 *
 *   xvtepd [--pin DIR] [-n NETNS] [-v] [--interval MS]
 *
 * Runs in the foreground, logs to stderr, exits on SIGTERM/SIGINT leaving
 * maps and bridge as they are: the dataplane forwards with the last known
 * state, and the next xvtepd starts with a full resynchronisation.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include "xvtep_lib.h"

#ifndef XVTEP_VERSION
#error "XVTEP_VERSION is not set (the Makefile sets it from VERSION)"
#endif

#define INTERVAL_MS_DEFAULT	250
#define RCVBUF_BYTES		(8 << 20)
#define RCVBUF_MIN		4096

static struct {
	const char *pin;
	const char *netns;
	bool verbose;
	unsigned int interval_ms;
	int rcvbuf;		/* bytes of the notification socket's receive buffer */
} cfg = { .pin = XVTEP_PIN_DEFAULT, .interval_ms = INTERVAL_MS_DEFAULT, .rcvbuf = RCVBUF_BYTES };

static volatile sig_atomic_t stop;
static struct xv_maps maps;
/* The instance's IPv4 VTEP address: zebra's EVPN VTEPs are IPv4 (FRR 8.4
 * vxlan devices), kept here as __be32 and stored in the maps mapped. */
static __be32 local_ip;
static struct xv_locals locals;
static int neigh_fd = -1;	/* xvtep_neigh; -1: an instance without it, no MAC+IP */

/* An EVPN VNI as last seen: its devices (0 = missing). */
struct evni {
	__u32 vni;
	int vx_ifindex, port_ifindex, br_ifindex;
};
static struct evni *evnis;
static size_t nr_evnis;

/* Local MACs exported to the bridges: sorted keys vni << 48 | mac. */
static __u64 *exported;
static size_t nr_exported;

/* A MAC+IP binding: the xvtep_neigh key and its MAC; sorted by key. */
struct nrec {
	struct xvtep_neigh_key key;
	__u8 mac[6];
	__u8 pad[2];
};

/* Local MAC+IP bindings exported to the bridges as NOARP neighbours. */
static struct nrec *nexported;
static size_t nr_nexported;

/* Messages ignored, by reason: logged the first time and at powers of two. */
enum ign { IGN_FAMILY, IGN_DEVICE, IGN_NO_LLADDR, IGN_NO_DST, IGN_NOT_EXTERN, IGN_STATIC,
	   IGN_FLOOD_FULL, IGN_SHORT, IGN_BAD_DST, IGN_BAD_ADDR, IGN_NEIGH_STATIC, IGN__MAX };
static const char *const ign_names[IGN__MAX] = {
	[IGN_FAMILY] = "not AF_BRIDGE, AF_INET or AF_INET6",
	[IGN_DEVICE] = "not on an EVPN vxlan device",
	[IGN_NO_LLADDR] = "no 6-byte NDA_LLADDR",
	[IGN_NO_DST] = "no IPv4 NDA_DST",
	[IGN_NOT_EXTERN] = "remote MAC not extern_learn",
	[IGN_STATIC] = "MAC has a static entry of the operator's",
	[IGN_FLOOD_FULL] = "flood list full (XVTEP_MAX_REMOTES VTEPs)",
	[IGN_SHORT] = "truncated message",
	[IGN_BAD_DST] = "NDA_DST not a remote unicast address",
	[IGN_BAD_ADDR] = "neighbour NDA_DST missing or not of the message's family",
	[IGN_NEIGH_STATIC] = "IP has a static binding of the operator's",
};
static unsigned long ign_count[IGN__MAX];

static void logf_(const char *lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void logf_(const char *lvl, const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	char when[32];
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld xvtepd: %s", when, ts.tv_nsec / 1000000, lvl);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
#define log_info(...)	logf_("", __VA_ARGS__)
#define log_warn(...)	logf_("Warning: ", __VA_ARGS__)
#define log_dbg(...)	do { if (cfg.verbose) logf_("", __VA_ARGS__); } while (0)

static void ignored(enum ign why, const struct ndmsg *ndm)
{
	unsigned long n = ++ign_count[why];

	/* Other families and devices share the group: normal, counted only. */
	if (why == IGN_FAMILY || why == IGN_DEVICE)
		return;
	if (!(n & (n - 1)))
		log_warn("ignored a neighbour message (family %u, ifindex %d): %s (%lu so far)",
			 ndm ? ndm->ndm_family : 0, ndm ? ndm->ndm_ifindex : 0, ign_names[why], n);
}

static __u64 mac_key(__u32 vni, const __u8 mac[6])
{
	__u64 k = (__u64)vni << 48;

	for (int i = 0; i < 6; i++)
		k |= (__u64)mac[i] << (40 - 8 * i);
	return k;
}

static void key_mac(__u64 k, __u8 mac[6])
{
	for (int i = 0; i < 6; i++)
		mac[i] = k >> (40 - 8 * i);
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static int push_u64(__u64 **v, size_t *n, size_t *cap, __u64 x)
{
	if (xv_array_room(v, cap, *n, sizeof(**v), 1024))
		return -ENOMEM;
	(*v)[(*n)++] = x;
	return 0;
}

static struct evni *evni_by_vni(__u32 vni)
{
	for (size_t i = 0; i < nr_evnis; i++)
		if (evnis[i].vni == vni)
			return &evnis[i];
	return NULL;
}

static struct evni *evni_by_vx(int ifindex)
{
	for (size_t i = 0; i < nr_evnis; i++)
		if (evnis[i].vx_ifindex == ifindex)
			return &evnis[i];
	return NULL;
}

static struct evni *evni_by_br(int ifindex)
{
	for (size_t i = 0; i < nr_evnis; i++)
		if (evnis[i].br_ifindex == ifindex)
			return &evnis[i];
	return NULL;
}

static bool is_port_dev(int ifindex)
{
	for (size_t i = 0; i < nr_evnis; i++)
		if (evnis[i].port_ifindex == ifindex)
			return true;
	return false;
}

/*
 * Read the EVPN VNIs and their devices again. Returns true when the set
 * changed (a VNI came or went, a device was re-created): the caller then
 * resynchronises, since nothing was mirrored for a VNI we did not know.
 */
static bool evnis_refresh(void)
{
	struct evni *nv = NULL;
	size_t n = 0, cap = 0;
	__u32 key, *prev = NULL;
	struct xvtep_vni v;
	bool changed;

	while (!bpf_map_get_next_key(maps.vnis, prev, &key)) {
		struct xv_evpn_names names;

		prev = &key;
		if (bpf_map_lookup_elem(maps.vnis, &key, &v) || !(v.flags & XVTEP_VNI_F_EVPN))
			continue;
		if (xv_array_room(&nv, &cap, n, sizeof(*nv), 16)) {
			free(nv);
			return false;	/* keep the old table; try again next tick */
		}
		xv_evpn_names(key, &names);
		nv[n].vni = key;
		nv[n].vx_ifindex = if_nametoindex(names.vxlan);
		nv[n].port_ifindex = if_nametoindex(names.port);
		nv[n].br_ifindex = if_nametoindex(names.bridge);
		n++;
	}
	changed = n != nr_evnis || (n && memcmp(nv, evnis, n * sizeof(*nv)));
	if (changed) {
		for (size_t i = 0; i < n; i++)
			if (!evni_by_vni(nv[i].vni) || !nv[i].vx_ifindex || !nv[i].port_ifindex)
				log_info("VNI %u: EVPN, vxlan device %s, port device %s", nv[i].vni,
					 nv[i].vx_ifindex ? "present" : "MISSING (re-add the VNI)",
					 nv[i].port_ifindex ? "present" : "MISSING");
	}
	free(evnis);
	evnis = nv;
	nr_evnis = n;
	return changed;
}

/* ---- zebra -> xvtep ---- */

/* One bridge FDB message, the fields we use. */
struct nd {
	const struct ndmsg *ndm;
	bool has_mac, has_dst;
	bool master;		/* NDA_MASTER: the bridge's entry, not the port's own */
	__u8 mac[6];
	__be32 dst;
	__u8 addr[16];		/* NDA_DST of 4 or 16 bytes (AF_INET/AF_INET6 neighbours) */
	__u8 addr_len;
	__u8 proto;		/* NDA_PROTOCOL, 0 when absent */
};

static bool nd_parse(const struct nlmsghdr *h, struct nd *o)
{
	int len = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof(struct ndmsg));

	memset(o, 0, sizeof(*o));
	if (len < 0) {
		ignored(IGN_SHORT, NULL);
		return false;
	}
	o->ndm = NLMSG_DATA(h);
	for (struct rtattr *a = (struct rtattr *)((char *)o->ndm + NLMSG_ALIGN(sizeof(*o->ndm)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6) {
			memcpy(o->mac, RTA_DATA(a), 6);
			o->has_mac = true;
		} else if (a->rta_type == NDA_DST && RTA_PAYLOAD(a) == 4) {
			memcpy(&o->dst, RTA_DATA(a), 4);
			memcpy(o->addr, RTA_DATA(a), 4);
			o->addr_len = 4;
			o->has_dst = true;
		} else if (a->rta_type == NDA_DST && RTA_PAYLOAD(a) == 16) {
			memcpy(o->addr, RTA_DATA(a), 16);
			o->addr_len = 16;
		} else if (a->rta_type == NDA_PROTOCOL && RTA_PAYLOAD(a) == 1) {
			o->proto = *(__u8 *)RTA_DATA(a);
		} else if (a->rta_type == NDA_MASTER) {
			o->master = true;
		}
	}
	return true;
}

/* A VTEP we can send to: unicast, not ours. */
static bool dst_ok(__be32 dst)
{
	return dst && dst != 0xffffffff && !xv_ipv4_is_mcast(dst) && dst != local_ip;
}

/* The map form of an IPv4 VTEP (ABI 3: IPv4-mapped union xvtep_addr). */
static union xvtep_addr vtep_addr(__be32 ip)
{
	union xvtep_addr a;

	xvtep_addr_set_v4(&a, ip);
	return a;
}

/* A map address is the IPv4 VTEP IP (0: the address is none). */
static bool vtep_is(const union xvtep_addr *a, __be32 ip)
{
	union xvtep_addr b = vtep_addr(ip);

	return xvtep_addr_equal(a, &b);
}

static bool mac_zero(const __u8 mac[6])
{
	return !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

/* A managed underlay neighbour for each VTEP: ARP copies need a resolved next hop. */
static void vtep_neigh(__be32 dst)
{
	static __be32 done[256];
	static size_t nr;
	char ip[16];
	int err;

	for (size_t i = 0; i < nr; i++)
		if (done[i] == dst)
			return;
	union xvtep_addr a = vtep_addr(dst);

	err = xv_neigh_managed(&a, &locals, NULL, NULL);
	if (err) {
		xv_fmt_ipv4(dst, ip);
		log_warn("VTEP %s: no managed underlay neighbour (%s): ARP toward it waits for "
			 "its next hop to be resolved", ip, strerror(-err));
		return;
	}
	if (nr < sizeof(done) / sizeof(done[0]))
		done[nr++] = dst;
}

/* Add or remove DST in VNI's head-end list. true when the list changed. */
static bool flood_set(__u32 vni, __be32 dst, bool add, const struct ndmsg *ndm)
{
	struct xvtep_vni v;
	int i, n;

	if (bpf_map_lookup_elem(maps.vnis, &vni, &v))
		return false;
	n = v.nr_remotes < XVTEP_MAX_REMOTES ? v.nr_remotes : XVTEP_MAX_REMOTES;
	for (i = 0; i < n && !vtep_is(&v.remotes[i], dst); i++)
		;
	if (add == (i < n))
		return false;
	if (add) {
		if (n == XVTEP_MAX_REMOTES) {
			ignored(IGN_FLOOD_FULL, ndm);
			return false;
		}
		v.remotes[n++] = vtep_addr(dst);
		vtep_neigh(dst);
	} else {
		/* Dense: the last one takes the hole. */
		v.remotes[i] = v.remotes[n - 1];
		n--;
		memset(&v.remotes[n], 0, sizeof(v.remotes[n]));
	}
	v.nr_remotes = n;
	if (bpf_map_update_elem(maps.vnis, &vni, &v, BPF_EXIST)) {
		log_warn("cannot update VNI %u's flood list: %s", vni, strerror(errno));
		return false;
	}
	return true;
}

/* VNI's remote MAC behind DST, as zebra installed it. true when written. */
static bool remote_put(__u32 vni, const __u8 mac[6], __be32 dst, const struct ndmsg *ndm)
{
	struct xvtep_fdb_key key = { .vni = vni };
	struct xvtep_fdb_entry cur, e = {
		.remote = vtep_addr(dst),
		.flags = XVTEP_FDB_F_STATIC | XVTEP_FDB_F_REMOTE | XVTEP_FDB_F_EVPN,
	};
	bool exists;

	memcpy(key.mac, mac, 6);
	exists = !bpf_map_lookup_elem(maps.fdb, &key, &cur);
	if (exists && (cur.flags & XVTEP_FDB_F_EVPN) && vtep_is(&cur.remote, dst))
		return false;
	if (exists && (cur.flags & XVTEP_FDB_F_STATIC) && !(cur.flags & XVTEP_FDB_F_EVPN)) {
		ignored(IGN_STATIC, ndm);
		return false;
	}
	e.updated_ns = xv_now_ns();
	if (bpf_map_update_elem(maps.fdb, &key, &e, BPF_ANY)) {
		char m[18];

		xv_fmt_mac(mac, m);
		log_warn("cannot write FDB entry %s vni %u: %s", m, vni, strerror(errno));
		return false;
	}
	/* It took a learned entry's place: that one no longer counts. */
	if (exists && !(cur.flags & XVTEP_FDB_F_STATIC))
		xv_learned_sub(maps.vstate, vni, 1);
	vtep_neigh(dst);
	return true;
}

/* Remove VNI's EVPN entry for MAC (behind DST, or anywhere when DST is 0). */
static bool remote_del(__u32 vni, const __u8 mac[6], __be32 dst)
{
	struct xvtep_fdb_key key = { .vni = vni };
	struct xvtep_fdb_entry cur;

	memcpy(key.mac, mac, 6);
	if (bpf_map_lookup_elem(maps.fdb, &key, &cur) || !(cur.flags & XVTEP_FDB_F_EVPN) ||
	    (dst && !vtep_is(&cur.remote, dst)))
		return false;
	return !bpf_map_delete_elem(maps.fdb, &key);
}

/* ---- MAC+IP: zebra's remote neighbours on the bridges <-> xvtep_neigh ---- */

/* ND's address as an xvtep_neigh key of EV's VNI. false when it is not one. */
static bool nd_key(const struct nd *nd, const struct evni *ev, struct xvtep_neigh_key *key)
{
	int fam = nd->ndm->ndm_family;

	if (nd->addr_len != (fam == AF_INET ? 4 : 16))
		return false;
	memset(key, 0, sizeof(*key));
	key->vni = ev->vni;
	key->family = fam == AF_INET ? XVTEP_NEIGH_AF_INET : XVTEP_NEIGH_AF_INET6;
	memcpy(key->addr, nd->addr, nd->addr_len);
	return true;
}

static int cmp_nrec(const void *a, const void *b)
{
	return memcmp(&((const struct nrec *)a)->key, &((const struct nrec *)b)->key,
		      sizeof(struct xvtep_neigh_key));
}

static int push_nrec(struct nrec **v, size_t *n, size_t *cap, const struct nrec *r)
{
	if (xv_array_room(v, cap, *n, sizeof(**v), 256))
		return -ENOMEM;
	(*v)[(*n)++] = *r;
	return 0;
}

/* zebra's remote MAC+IP as an EVPN binding. true when written. */
static bool evpn_neigh_put(const struct xvtep_neigh_key *key, const __u8 mac[6],
			   const struct ndmsg *ndm)
{
	struct xvtep_neigh_entry cur, e = { .flags = XVTEP_NEIGH_F_EVPN };
	bool exists = !bpf_map_lookup_elem(neigh_fd, key, &cur);

	if (exists && (cur.flags & XVTEP_NEIGH_F_EVPN) && !memcmp(cur.mac, mac, 6))
		return false;
	if (exists && (cur.flags & XVTEP_NEIGH_F_STATIC)) {
		ignored(IGN_NEIGH_STATIC, ndm);
		return false;
	}
	memcpy(e.mac, mac, 6);
	e.updated_ns = xv_now_ns();
	if (bpf_map_update_elem(neigh_fd, key, &e, BPF_ANY)) {
		log_warn("cannot write a MAC+IP binding of VNI %u: %s", key->vni, strerror(errno));
		return false;
	}
	return true;
}

/* Remove KEY's EVPN binding (never a static or snooped one). */
static bool evpn_neigh_del(const struct xvtep_neigh_key *key)
{
	struct xvtep_neigh_entry cur;

	if (bpf_map_lookup_elem(neigh_fd, key, &cur) || !(cur.flags & XVTEP_NEIGH_F_EVPN))
		return false;
	return !bpf_map_delete_elem(neigh_fd, key);
}

/* An AF_INET/AF_INET6 neighbour message: zebra's remote MAC+IP when it is an
 * extern_learn entry on an EVPN bridge. true when a map was written. */
static bool ip_event(const struct nd *nd, bool add)
{
	struct xvtep_neigh_key key;
	struct evni *ev;

	ev = evni_by_br(nd->ndm->ndm_ifindex);
	if (!ev || neigh_fd < 0) {
		ignored(IGN_DEVICE, nd->ndm);
		return false;
	}
	if (!nd_key(nd, ev, &key)) {
		ignored(IGN_BAD_ADDR, nd->ndm);
		return false;
	}
	if (!add)
		return evpn_neigh_del(&key);
	/* Not zebra's: our own exports coming back, or the host's own. */
	if (!(nd->ndm->ndm_flags & NTF_EXT_LEARNED))
		return false;
	if (!nd->has_mac) {
		ignored(IGN_NO_LLADDR, nd->ndm);
		return false;
	}
	log_dbg("VNI %u: add remote MAC+IP (family %u)", ev->vni, nd->ndm->ndm_family);
	return evpn_neigh_put(&key, nd->mac, nd->ndm);
}

/* One RTM_NEWNEIGH/RTM_DELNEIGH. Returns true when a map was written. */
static bool neigh_event(const struct nlmsghdr *h)
{
	bool add = h->nlmsg_type == RTM_NEWNEIGH;
	struct evni *ev;
	char m[18], ip[16];
	struct nd nd;

	if (!nd_parse(h, &nd))
		return false;
	if (nd.ndm->ndm_family == AF_INET || nd.ndm->ndm_family == AF_INET6)
		return ip_event(&nd, add);
	if (nd.ndm->ndm_family != AF_BRIDGE) {
		ignored(IGN_FAMILY, nd.ndm);
		return false;
	}
	ev = evni_by_vx(nd.ndm->ndm_ifindex);
	if (!ev) {
		/* Our own exports come back on the port devices: expected. */
		if (!is_port_dev(nd.ndm->ndm_ifindex))
			ignored(IGN_DEVICE, nd.ndm);
		return false;
	}
	if (!nd.has_mac) {
		ignored(IGN_NO_LLADDR, nd.ndm);
		return false;
	}
	/* The bridge's half of a remote MAC (NDA_MASTER, no destination): the
	 * vxlan device's half says where it is. */
	if (!nd.has_dst) {
		if (!nd.master)
			ignored(IGN_NO_DST, nd.ndm);
		return false;
	}
	if (!dst_ok(nd.dst)) {
		/* A withdrawal of it has nothing to remove either. */
		ignored(IGN_BAD_DST, nd.ndm);
		return false;
	}
	xv_fmt_mac(nd.mac, m);
	xv_fmt_ipv4(nd.dst, ip);
	if (mac_zero(nd.mac)) {
		log_dbg("VNI %u: %s flood VTEP %s", ev->vni, add ? "add" : "del", ip);
		return flood_set(ev->vni, nd.dst, add, nd.ndm);
	}
	if (!add) {
		log_dbg("VNI %u: del %s behind %s", ev->vni, m, ip);
		return remote_del(ev->vni, nd.mac, nd.dst);
	}
	if (!(nd.ndm->ndm_flags & NTF_EXT_LEARNED)) {
		ignored(IGN_NOT_EXTERN, nd.ndm);
		return false;
	}
	log_dbg("VNI %u: add %s behind %s", ev->vni, m, ip);
	return remote_put(ev->vni, nd.mac, nd.dst, nd.ndm);
}

/* ---- resynchronisation from a full dump ---- */

struct dump {
	__u64 *remotes;		/* vni << 48 | mac, with dst[] beside (same index) */
	__be32 *dst;
	size_t nr, cap, dcap;
	__u64 *flood;		/* vni << 32 | dst */
	size_t nr_flood, cap_flood;
	__u64 *local;		/* extern_learn entries on the port devices */
	size_t nr_local, cap_local;
	__u64 *bridged;		/* the bridges' entries on the vxlan devices */
	size_t nr_bridged, cap_bridged;
	int err;
};

static int dump_cb(const struct nlmsghdr *h, void *arg)
{
	struct dump *d = arg;
	struct evni *ev;
	struct nd nd;

	if (h->nlmsg_type != RTM_NEWNEIGH || !nd_parse(h, &nd) ||
	    nd.ndm->ndm_family != AF_BRIDGE || !nd.has_mac)
		return 0;
	for (size_t i = 0; i < nr_evnis; i++) {
		if (evnis[i].port_ifindex == nd.ndm->ndm_ifindex &&
		    (nd.ndm->ndm_flags & NTF_EXT_LEARNED) && nd.master)
			d->err = d->err ?: push_u64(&d->local, &d->nr_local, &d->cap_local,
						    mac_key(evnis[i].vni, nd.mac));
	}
	ev = evni_by_vx(nd.ndm->ndm_ifindex);
	if (ev && nd.master && !nd.has_dst)
		d->err = d->err ?: push_u64(&d->bridged, &d->nr_bridged, &d->cap_bridged,
					    mac_key(ev->vni, nd.mac));
	if (!ev || !nd.has_dst || !dst_ok(nd.dst))
		return 0;
	if (mac_zero(nd.mac))
		return d->err = d->err ?: push_u64(&d->flood, &d->nr_flood, &d->cap_flood,
						   (__u64)ev->vni << 32 | nd.dst), 0;
	if (!(nd.ndm->ndm_flags & NTF_EXT_LEARNED))
		return 0;
	if (xv_array_room(&d->dst, &d->dcap, d->nr, sizeof(*d->dst), 1024))
		return d->err = -ENOMEM, 0;
	d->dst[d->nr] = nd.dst;
	d->err = d->err ?: push_u64(&d->remotes, &d->nr, &d->cap, mac_key(ev->vni, nd.mac));
	return 0;
}

static bool sorted_has(const __u64 *v, size_t n, __u64 key)
{
	return n && bsearch(&key, v, n, sizeof(*v), cmp_u64);
}

/* The dump's remote MAC KEY: its VTEP, or 0 when zebra has none. */
static __be32 dump_dst(const struct dump *d, __u64 key)
{
	for (size_t lo = 0, hi = d->nr; lo < hi;) {
		size_t mid = (lo + hi) / 2;

		if (d->remotes[mid] == key)
			return d->dst[mid];
		if (d->remotes[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Sort remotes[] and dst[] together (by key). */
static void dump_sort(struct dump *d)
{
	__u64 *pairs = malloc(d->nr * 2 * sizeof(*pairs));

	if (!pairs)
		return;
	/* key and dst interleaved: qsort on 16-byte records by their first word */
	for (size_t i = 0; i < d->nr; i++) {
		pairs[2 * i] = d->remotes[i];
		pairs[2 * i + 1] = d->dst[i];
	}
	qsort(pairs, d->nr, 2 * sizeof(*pairs), cmp_u64);
	for (size_t i = 0; i < d->nr; i++) {
		d->remotes[i] = pairs[2 * i];
		d->dst[i] = pairs[2 * i + 1];
	}
	free(pairs);
}

static void dump_free(struct dump *d)
{
	free(d->remotes);
	free(d->dst);
	free(d->flood);
	free(d->local);
	free(d->bridged);
}

/* MAC+IP neighbours of the EVPN bridges: zebra's and our exports. */
struct ndump {
	struct nrec *remote;	/* extern_learn: zebra's remote MAC+IP */
	size_t nr_remote, cap_remote;
	struct nrec *ours;	/* NOARP, proto XV_NEIGH_PROTO: what we exported */
	size_t nr_ours, cap_ours;
	int err;
};

static int ndump_cb(const struct nlmsghdr *h, void *arg)
{
	struct ndump *d = arg;
	struct nrec r = {};
	struct evni *ev;
	struct nd nd;

	if (h->nlmsg_type != RTM_NEWNEIGH || !nd_parse(h, &nd) || !nd.has_mac ||
	    (nd.ndm->ndm_family != AF_INET && nd.ndm->ndm_family != AF_INET6))
		return 0;
	ev = evni_by_br(nd.ndm->ndm_ifindex);
	if (!ev || !nd_key(&nd, ev, &r.key))
		return 0;
	memcpy(r.mac, nd.mac, 6);
	if (nd.ndm->ndm_flags & NTF_EXT_LEARNED)
		d->err = d->err ?: push_nrec(&d->remote, &d->nr_remote, &d->cap_remote, &r);
	else if (nd.proto == XV_NEIGH_PROTO && (nd.ndm->ndm_state & NUD_NOARP))
		d->err = d->err ?: push_nrec(&d->ours, &d->nr_ours, &d->cap_ours, &r);
	return 0;
}

/*
 * The EVPN bindings of xvtep_neigh made equal to zebra's remote MAC+IP
 * neighbours, and our NOARP neighbours on the bridges taken as what was
 * exported. 0 or -errno.
 */
static int neigh_resync(void)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	struct xvtep_neigh_key key, *prev = NULL;
	struct xvtep_neigh_entry e;
	size_t nr_del = 0, nr_put = 0;
	struct ndump d = {};
	int err = 0;

	if (neigh_fd < 0)
		return 0;
	for (size_t i = 0; i < 2 && !err; i++)
		err = xv_neigh_dump(fams[i], ndump_cb, &d) ?: d.err;
	if (err) {
		log_warn("cannot dump the bridges' neighbours: %s; retrying", strerror(-err));
		free(d.remote);
		free(d.ours);
		return err;
	}
	qsort(d.remote, d.nr_remote, sizeof(*d.remote), cmp_nrec);
	qsort(d.ours, d.nr_ours, sizeof(*d.ours), cmp_nrec);
	while (!bpf_map_get_next_key(neigh_fd, prev, &key)) {
		struct xvtep_neigh_key k = key;
		struct nrec *r;

		prev = &key;
		if (bpf_map_lookup_elem(neigh_fd, &k, &e) || !(e.flags & XVTEP_NEIGH_F_EVPN))
			continue;
		r = d.nr_remote ? bsearch(&k, d.remote, d.nr_remote, sizeof(*r), cmp_nrec) : NULL;
		if (evni_by_vni(k.vni) && r && !memcmp(r->mac, e.mac, 6))
			continue;
		if (!bpf_map_delete_elem(neigh_fd, &k))
			nr_del++;
	}
	for (size_t i = 0; i < d.nr_remote; i++)
		nr_put += evpn_neigh_put(&d.remote[i].key, d.remote[i].mac, NULL);
	free(nexported);
	nexported = d.ours;
	nr_nexported = d.nr_ours;
	log_info("resynchronised MAC+IP: %zu remote (%zu written, %zu stale removed), "
		 "%zu local on the bridges", d.nr_remote, nr_put, nr_del, nr_nexported);
	free(d.remote);
	return 0;
}

/*
 * Make the maps equal to what zebra holds (remote MACs, flood lists) and
 * take the bridges' extern_learn entries as what was exported: after a
 * start or a lost notification, nothing stale stays and nothing is missed.
 * 0, or -errno (the caller retries).
 */
static int resync(void)
{
	struct dump d = {};
	struct xvtep_fdb_key key, *prev = NULL;
	struct xvtep_fdb_entry e;
	size_t nr_del = 0, nr_put = 0;
	int err;

	err = xv_bridge_fdb_dump(dump_cb, &d);
	if (!err)
		err = d.err;
	if (err) {
		log_warn("cannot dump the bridge FDB: %s; retrying", strerror(-err));
		dump_free(&d);
		return err;
	}
	dump_sort(&d);
	qsort(d.bridged, d.nr_bridged, sizeof(*d.bridged), cmp_u64);
	/*
	 * A remote MAC is one whose bridge entry is on the vxlan device. The
	 * vxlan device's own half can outlive it: when a VM moved here, the
	 * bridge entry moved to the port device and zebra's delete of the
	 * remote MAC fails there, leaving that half behind (its dst is stale).
	 */
	for (size_t i = 0; i < d.nr; i++)
		if (!sorted_has(d.bridged, d.nr_bridged, d.remotes[i]))
			d.dst[i] = 0;
	/* EVPN entries zebra no longer has, or has elsewhere: out first. */
	while (!bpf_map_get_next_key(maps.fdb, prev, &key)) {
		struct xvtep_fdb_key k = key;

		prev = &key;
		if (bpf_map_lookup_elem(maps.fdb, &k, &e) || !(e.flags & XVTEP_FDB_F_EVPN))
			continue;
		if (evni_by_vni(k.vni) && vtep_is(&e.remote, dump_dst(&d, mac_key(k.vni, k.mac))))
			continue;
		if (!bpf_map_delete_elem(maps.fdb, &k))
			nr_del++;
	}
	for (size_t i = 0; i < d.nr; i++) {
		__u8 mac[6];

		if (!d.dst[i])
			continue;
		key_mac(d.remotes[i], mac);
		nr_put += remote_put(d.remotes[i] >> 48, mac, d.dst[i], NULL);
	}
	/* Flood lists: exactly the dump's. */
	for (size_t i = 0; i < nr_evnis; i++) {
		union xvtep_addr want[XVTEP_MAX_REMOTES] = {};
		struct xvtep_vni v;
		__u8 n = 0;

		if (bpf_map_lookup_elem(maps.vnis, &evnis[i].vni, &v))
			continue;

		for (size_t j = 0; j < d.nr_flood; j++) {
			if (d.flood[j] >> 32 != evnis[i].vni)
				continue;
			if (n == XVTEP_MAX_REMOTES) {
				ignored(IGN_FLOOD_FULL, NULL);
				break;
			}
			want[n++] = vtep_addr((__be32)d.flood[j]);
			vtep_neigh((__be32)d.flood[j]);
		}
		if (v.nr_remotes == n && !memcmp(v.remotes, want, sizeof(want)))
			continue;
		memcpy(v.remotes, want, sizeof(want));
		v.nr_remotes = n;
		if (bpf_map_update_elem(maps.vnis, &evnis[i].vni, &v, BPF_EXIST))
			log_warn("cannot update VNI %u's flood list: %s", evnis[i].vni,
				 strerror(errno));
	}
	xv_gen_bump(maps.gen);
	qsort(d.local, d.nr_local, sizeof(*d.local), cmp_u64);
	free(exported);
	exported = d.local;
	nr_exported = d.nr_local;
	d.local = NULL;
	log_info("resynchronised: %zu EVPN VNIs, %zu remote MACs (%zu written, %zu stale removed), "
		 "%zu flood entries, %zu local MACs on the bridges", nr_evnis, d.nr, nr_put, nr_del,
		 d.nr_flood, nr_exported);
	dump_free(&d);
	return neigh_resync();
}

/* ---- xvtep -> zebra ---- */

/*
 * What is exported to the bridges is kept as a sorted array of records; each
 * round builds the array wanted now, sorted the same way, and export_merge()
 * applies the difference. A record only wanted is added, one only exported is
 * removed, one in both whose SAME says it changed is added again (a replace).
 * A failed add leaves the record out (the old one stays for a replace: the
 * bridge still has it); a failed remove keeps it, to be tried again.
 */
struct export_ops {
	size_t size;					/* bytes of a record */
	int (*cmp)(const void *a, const void *b);	/* the order of both arrays */
	bool (*same)(const void *a, const void *b);	/* NULL: equal keys suffice */
	int (*apply)(const void *rec, bool add);	/* 0 or -errno */
};

static int rec_push(void **v, size_t *n, size_t *cap, const void *r, size_t size)
{
	if (xv_array_room(v, cap, *n, size, 256))
		return -ENOMEM;
	memcpy((char *)*v + *n * size, r, size);
	(*n)++;
	return 0;
}

/* Merge WANT into *HAVE (*NH records), which becomes what is exported now. */
static int export_merge(const struct export_ops *o, const void *want, size_t nw, void **have,
			size_t *nh)
{
	const char *w = want, *h = *have;
	size_t i = 0, j = 0, nn = 0, cn = 0;
	void *next = NULL;

	while (i < nw || j < *nh) {
		const void *wi = w + i * o->size, *hj = h + j * o->size, *keep = NULL;
		int c = i >= nw ? 1 : j >= *nh ? -1 : o->cmp(wi, hj);

		if (c < 0 || (c == 0 && o->same && !o->same(wi, hj)))
			keep = !o->apply(wi, true) ? wi : c ? NULL : hj;
		else if (c == 0)
			keep = wi;
		else if (o->apply(hj, false))
			keep = hj;	/* try again next time */
		if (keep && rec_push(&next, &nn, &cn, keep, o->size)) {
			free(next);
			return -ENOMEM;
		}
		i += c <= 0;
		j += c >= 0;
	}
	free(*have);
	*have = next;
	*nh = nn;
	return 0;
}


static int export_one(const void *rec, bool add)
{
	__u64 k = *(const __u64 *)rec;
	struct evni *ev = evni_by_vni(k >> 48);
	char m[18];
	__u8 mac[6];
	int err;

	if (!ev || !ev->port_ifindex)
		return add ? -ENODEV : 0;	/* VNI gone: so is its bridge */
	key_mac(k, mac);
	err = xv_bridge_fdb_extern(ev->port_ifindex, mac, add);
	if (!add && err == -ENOENT)
		err = 0;
	xv_fmt_mac(mac, m);
	if (err)
		log_warn("cannot %s %s on VNI %u's bridge: %s", add ? "add" : "remove", m, ev->vni,
			 strerror(-err));
	else
		log_dbg("VNI %u: %s local %s", ev->vni, add ? "export" : "withdraw", m);
	return err;
}

/*
 * The local MACs of EVPN VNIs (entries on ports, learned or static) onto the
 * bridges, and those gone (aged, deleted, moved to a remote) off them: a diff
 * against what was exported.
 */
static const struct export_ops mac_export = {
	.size = sizeof(__u64), .cmp = cmp_u64, .apply = export_one,
};

static void export_sync(void)
{
	struct xvtep_fdb_key key, *prev = NULL;
	struct xvtep_fdb_entry e;
	__u64 *want = NULL;
	size_t nw = 0, cw = 0;

	while (!bpf_map_get_next_key(maps.fdb, prev, &key)) {
		struct xvtep_fdb_key k = key;

		prev = &key;
		if (bpf_map_lookup_elem(maps.fdb, &k, &e) || (e.flags & XVTEP_FDB_F_REMOTE) ||
		    !evni_by_vni(k.vni))
			continue;
		if (push_u64(&want, &nw, &cw, mac_key(k.vni, k.mac)))
			goto out;
	}
	qsort(want, nw, sizeof(*want), cmp_u64);
	export_merge(&mac_export, want, nw, (void **)&exported, &nr_exported);
out:
	free(want);
}

static int neigh_export_one(const void *rec, bool add)
{
	const struct nrec *r = rec;
	struct evni *ev = evni_by_vni(r->key.vni);
	int fam = r->key.family == XVTEP_NEIGH_AF_INET ? AF_INET : AF_INET6;
	struct xvtep_neigh_entry cur;
	int err;

	if (!ev || !ev->br_ifindex)
		return add ? -ENODEV : 0;	/* VNI gone: so is its bridge */
	/* zebra's remote entry took the address: that one is not ours to remove. */
	if (!add && !bpf_map_lookup_elem(neigh_fd, &r->key, &cur) &&
	    (cur.flags & XVTEP_NEIGH_F_EVPN))
		return 0;
	err = xv_bridge_neigh_noarp(ev->br_ifindex, fam, r->key.addr, r->mac, add);
	if (!add && err == -ENOENT)
		err = 0;
	if (err)
		log_warn("cannot %s a MAC+IP on VNI %u's bridge: %s", add ? "add" : "remove",
			 ev->vni, strerror(-err));
	else
		log_dbg("VNI %u: %s local MAC+IP (family %d)", ev->vni,
			add ? "export" : "withdraw", fam);
	return err;
}

/*
 * The static and snooped bindings of EVPN VNIs whose MAC is a local MAC on the
 * bridge (zebra advertises no MAC+IP without it) onto the bridges as NOARP
 * neighbours, and those gone off them: a diff against what was exported.
 */
static bool nrec_same(const void *a, const void *b)
{
	return !memcmp(((const struct nrec *)a)->mac, ((const struct nrec *)b)->mac, 6);
}

static const struct export_ops neigh_export = {
	.size = sizeof(struct nrec), .cmp = cmp_nrec, .same = nrec_same,
	.apply = neigh_export_one,
};

static void neigh_export_sync(void)
{
	struct xvtep_neigh_key key, *prev = NULL;
	struct xvtep_neigh_entry e;
	struct nrec *want = NULL;
	size_t nw = 0, cw = 0;

	if (neigh_fd < 0)
		return;
	while (!bpf_map_get_next_key(neigh_fd, prev, &key)) {
		struct nrec r = { .key = key };

		prev = &key;
		if (bpf_map_lookup_elem(neigh_fd, &r.key, &e) ||
		    !(e.flags & (XVTEP_NEIGH_F_STATIC | XVTEP_NEIGH_F_SNOOPED)) ||
		    (e.flags & XVTEP_NEIGH_F_EVPN) || !evni_by_vni(r.key.vni) ||
		    !sorted_has(exported, nr_exported, mac_key(r.key.vni, e.mac)))
			continue;
		memcpy(r.mac, e.mac, 6);
		if (push_nrec(&want, &nw, &cw, &r))
			goto out;
	}
	qsort(want, nw, sizeof(*want), cmp_nrec);
	export_merge(&neigh_export, want, nw, (void **)&nexported, &nr_nexported);
out:
	free(want);
}

/* ---- main loop ---- */

static int nl_monitor_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1U << (RTNLGRP_NEIGH - 1) };
	int fd, sz = cfg.rcvbuf;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	/* FORCE needs CAP_NET_ADMIN, which we have; the plain one is capped by rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * After an overrun, what is still queued is older than what was lost: applied
 * after the resync's dump, it would bring back entries the dump had seen go.
 * Read it away unapplied, so that everything queued from here on is newer
 * than the dump that follows and converges on top of it.
 */
static void nl_discard(int fd, char *buf, size_t size)
{
	while (recv(fd, buf, size, 0) >= 0 || errno == EINTR || errno == ENOBUFS)
		;
}

/* Read what is queued. Returns 1 when a map was written, 0, or -ENOBUFS (lost messages). */
static int nl_drain(int fd)
{
	static char buf[65536];
	int wrote = 0;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return wrote;
			if (errno == ENOBUFS) {
				nl_discard(fd, buf, sizeof(buf));
				return -ENOBUFS;
			}
			log_warn("netlink receive: %s", strerror(errno));
			return wrote;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == RTM_NEWNEIGH || h->nlmsg_type == RTM_DELNEIGH)
				wrote |= neigh_event(h);
	}
}

/* xvtep_neigh, or -1 (logged) on an instance attached without it. */
static int neigh_map_open(void)
{
	char path[PATH_MAX];

	if (xv_pin_path(path, sizeof(path), cfg.pin, NULL, XVTEP_MAP_NEIGH) || access(path, F_OK)) {
		log_warn("%s has no %s: MAC+IP bindings are neither imported nor exported",
			 cfg.pin, XVTEP_MAP_NEIGH);
		return -1;
	}
	return xv_map_open_checked(cfg.pin, XVTEP_MAP_NEIGH, sizeof(struct xvtep_neigh_key),
				   sizeof(struct xvtep_neigh_entry));
}

static void on_signal(int sig)
{
	stop = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: xvtepd [--pin DIR] [-n NETNS] [-v] [--interval MS] [--rcvbuf BYTES]\n"
		"\n"
		"  --pin DIR       bpffs directory of the pins (default %s)\n"
		"  -n NETNS        work in network namespace /run/netns/NETNS\n"
		"  --interval MS   how often local MACs are exported (default %d)\n"
		"  --rcvbuf BYTES  receive buffer for zebra's notifications (default %d); an\n"
		"                  overrun costs a full resynchronisation\n"
		"  -v              log every entry written\n"
		"  -V, --version   print the version and exit\n"
		"  -h, --help      print this help and exit\n",
		XVTEP_PIN_DEFAULT, INTERVAL_MS_DEFAULT, RCVBUF_BYTES);
}

static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		XV_COMMON_LONGOPTS,
		{ "interval", required_argument, NULL, 'i' },
		{ "rcvbuf",   required_argument, NULL, 'r' },
		{}
	};
	char version[64];
	const struct xv_common_opts common = {
		.pin = &cfg.pin, .netns = &cfg.netns, .verbose = &cfg.verbose,
		.usage = usage, .version = version,
	};
	__u32 v;
	int c, r;

	snprintf(version, sizeof(version), "xvtepd (xvtep) %s, ABI %d", XVTEP_VERSION,
		 XVTEP_ABI_VERSION);
	opterr = 0;	/* our own "Error:" messages */
	while ((c = getopt_long(argc, argv, XV_COMMON_SHORTOPTS, opts, NULL)) != -1) {
		r = xv_common_opt(c, argv, &common);
		if (r < 0)
			return -1;
		if (r)
			continue;
		switch (c) {
		case 'i':
			if (xv_parse_u32(optarg, 10, 10000, &v))
				return xv_arg_err(optarg, "--interval must be 10-10000 ms");
			cfg.interval_ms = v;
			break;
		case 'r':
			if (xv_parse_u32(optarg, RCVBUF_MIN, 1U << 30, &v))
				return xv_arg_err(optarg, "--rcvbuf must be %d-%u bytes", RCVBUF_MIN,
						  1U << 30);
			cfg.rcvbuf = (int)v;
			break;
		default:
			return xv_err("unknown option \"%s\" (try --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return xv_err("unexpected argument \"%s\"", argv[optind]);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct xvtep_meta meta;
	char lock_path[PATH_MAX];
	int fd = -1, lock, ret = 1;
	bool need_resync = true;

	if (parse_args(argc, argv) || xv_check_privileges())
		return 1;
	if (cfg.netns && xv_enter_netns(cfg.netns))
		return 1;
	lock = xv_pin_lock("xvtepd", cfg.pin, lock_path, sizeof(lock_path));
	if (lock == -EWOULDBLOCK) {
		xv_err("another xvtepd serves %s (lock %s is held)", cfg.pin, lock_path);
		return 1;
	}
	if (lock < 0) {
		xv_err_errno(lock, "cannot lock %s", lock_path);
		return 1;
	}
	if (xv_maps_open(cfg.pin, &maps))
		return 1;
	if (xv_read_meta(&maps, &meta)) {
		xv_err_errno(errno, "cannot read %s/%s", cfg.pin, XVTEP_MAP_META);
		goto out;
	}
	local_ip = meta.local_ip;
	if (!local_ip) {
		/* FRR 8.4's EVPN devices (zebra's vxlan, xvx<VNI>) are IPv4 here. */
		xv_err("the instance at %s has no IPv4 local address: EVPN (xvtepd) needs one, "
		       "zebra's VTEPs are IPv4 (attach with --local IPV4, beside an IPv6 one if "
		       "wanted)", cfg.pin);
		goto out;
	}
	xv_locals_from_meta(&meta, &locals);
	neigh_fd = neigh_map_open();
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Subscribe before the first dump: nothing falls between the two. */
	fd = nl_monitor_open();
	if (fd < 0) {
		xv_err_errno(fd, "cannot listen to neighbour notifications");
		goto out;
	}
	log_info("serving %s%s%s, exporting every %u ms", cfg.pin, cfg.netns ? " in netns " : "",
		 cfg.netns ? cfg.netns : "", cfg.interval_ms);

	while (!stop) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r;

		if (evnis_refresh())
			need_resync = true;
		if (need_resync)
			need_resync = resync() != 0;
		export_sync();
		neigh_export_sync();
		if (poll(&p, 1, cfg.interval_ms) < 0 && errno != EINTR) {
			xv_err_errno(errno, "poll");
			goto out;
		}
		r = nl_drain(fd);
		if (r == -ENOBUFS) {
			log_warn("neighbour notifications were lost (receive buffer overrun): "
				 "resynchronising");
			need_resync = true;
		} else if (r > 0) {
			/* Entries moved or removed, remotes changed: XDP's caches refill. */
			xv_gen_bump(maps.gen);
		}
	}
	log_info("stopping on signal %d; the maps and bridges keep their entries", (int)stop);
	for (int i = 0; i < IGN__MAX; i++)
		if (ign_count[i])
			log_info("ignored %lu neighbour messages: %s", ign_count[i], ign_names[i]);
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (neigh_fd >= 0)
		close(neigh_fd);
	xv_maps_close(&maps);
	return ret;
}
