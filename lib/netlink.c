// SPDX-License-Identifier: GPL-2.0
/* rtnetlink: multicast membership, the mirror veth pair; tcx attachment and
 * clsact filter counts; generic netlink: devices' XDP features. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/veth.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "xvtep_lib.h"

#ifndef IFA_F_MCAUTOJOIN
#define IFA_F_MCAUTOJOIN 0x400
#endif

/* Not in the Debian 12 uapi header (added in Linux 6.6). */
#define XV_BPF_TCX_INGRESS 46
#define XV_BPF_TCX_EGRESS  47

struct addr_req {
	struct nlmsghdr nh;
	struct ifaddrmsg ifa;
	char attrs[64];
};

static void add_attr(struct nlmsghdr *nh, unsigned short type, const void *data, unsigned short len)
{
	struct rtattr *rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* Send a request and call CB for each reply message until the ack, the end of
 * a dump or an error. Returns the kernel's error (0 or -errno), or CB's
 * negative return. */
static int nl_query_proto(int proto, struct nlmsghdr *nh,
			  int (*cb)(const struct nlmsghdr *h, void *arg), void *arg)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static char buf[32768];
	int fd, err = 0;
	/* NLM_F_DUMP is two bits, one of them shared with NLM_F_EXCL */
	bool dump = (nh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	ssize_t n;

	nh->nlmsg_flags |= NLM_F_REQUEST | (dump ? 0 : NLM_F_ACK);
	nh->nlmsg_seq = 1;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	if (sendto(fd, nh, nh->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		if (n == 0) {
			err = -EIO;
			goto out;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != nh->nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				goto out;
			if (h->nlmsg_type == NLMSG_ERROR) {
				err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
				goto out;
			}
			if (cb && !err)
				err = cb(h, arg);	/* keep reading to the end */
		}
	}
out:
	close(fd);
	return err;
}

static int nl_query(struct nlmsghdr *nh, int (*cb)(const struct nlmsghdr *h, void *arg), void *arg)
{
	return nl_query_proto(NETLINK_ROUTE, nh, cb, arg);
}

/* Send one request and return the kernel's ack (0 or -errno). */
static int nl_transact(struct nlmsghdr *nh)
{
	return nl_query(nh, NULL, NULL);
}

/* Send one RTM_NEWADDR/RTM_DELADDR for GROUP/32 (IPv6: /128) and return the
 * kernel's ack (0 or -errno). */
static int addr_request(int type, int ifindex, const union xvtep_addr *group)
{
	struct addr_req req = {};
	__u32 flags = IFA_F_MCAUTOJOIN;
	bool v4 = xvtep_addr_is_v4(group);
	const void *a = v4 ? (const void *)&group->w[3] : (const void *)group->b;
	unsigned short alen = v4 ? 4 : 16;

	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifa));
	req.nh.nlmsg_type = type;
	if (type == RTM_NEWADDR)
		req.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	req.ifa.ifa_family = v4 ? AF_INET : AF_INET6;
	req.ifa.ifa_prefixlen = v4 ? 32 : 128;
	req.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	req.ifa.ifa_index = ifindex;
	/* IPv6 (like `ip -6 addr add G/128 dev D autojoin`): IFA_ADDRESS alone
	 * is the address; IPv4 keeps IFA_LOCAL as well, as before. */
	if (v4)
		add_attr(&req.nh, IFA_LOCAL, a, alen);
	add_attr(&req.nh, IFA_ADDRESS, a, alen);
	/* IFA_F_MCAUTOJOIN does not fit the 8-bit ifa_flags: it needs IFA_FLAGS.
	 * The kernel then joins the group on the device for as long as the
	 * address exists, without any socket held by us. */
	if (type == RTM_NEWADDR) {
		if (!v4)
			flags |= IFA_F_NODAD;	/* a group: nothing to detect */
		add_attr(&req.nh, IFA_FLAGS, &flags, sizeof(flags));
	}
	return nl_transact(&req.nh);
}

int xv_mcast_join_ex(int ifindex, const union xvtep_addr *group, bool *created)
{
	int err;

	if (created)
		*created = false;
	if (!xvtep_addr_is_mcast(group))
		return -EINVAL;
	err = addr_request(RTM_NEWADDR, ifindex, group);
	if (err == -EEXIST)
		return 0;
	if (!err && created)
		*created = true;
	return err;
}

int xv_mcast_join(int ifindex, const union xvtep_addr *group)
{
	return xv_mcast_join_ex(ifindex, group, NULL);
}

int xv_mcast_leave(int ifindex, const union xvtep_addr *group)
{
	int err;

	if (!xvtep_addr_is_mcast(group))
		return -EINVAL;
	err = addr_request(RTM_DELADDR, ifindex, group);
	/* Absent address (or device): nothing to leave. */
	if (err == -EADDRNOTAVAIL || err == -ENOENT || err == -ENODEV)
		return 0;
	return err;
}

int xv_tcx_attach(int prog_fd, int ifindex, bool ingress)
{
	int fd;

	/* libbpf 1.1 has no bpf_program__attach_tcx(); the kernel only needs
	 * LINK_CREATE with the tcx attach type (NULL opts: append last, no
	 * relative anchor, no expected revision). */
	fd = bpf_link_create(prog_fd, ifindex,
			     (enum bpf_attach_type)(ingress ? XV_BPF_TCX_INGRESS : XV_BPF_TCX_EGRESS),
			     NULL);
	return fd;	/* libbpf 1.x: -errno on failure */
}

/* Filters of a dump: one message per filter, plus one per (priority,
 * protocol) head with handle 0. */
static int filter_count_cb(const struct nlmsghdr *h, void *arg)
{
	const struct tcmsg *t = NLMSG_DATA(h);

	if (h->nlmsg_type == RTM_NEWTFILTER && t->tcm_handle)
		(*(long *)arg)++;
	return 0;
}

long xv_clsact_filter_count(int ifindex, bool ingress)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {};
	long n = 0;
	int err;

	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.tc));
	req.nh.nlmsg_type = RTM_GETTFILTER;
	req.nh.nlmsg_flags = NLM_F_DUMP;
	req.tc.tcm_family = AF_UNSPEC;
	req.tc.tcm_ifindex = ifindex;
	req.tc.tcm_parent = TC_H_MAKE(TC_H_CLSACT, ingress ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS);
	err = nl_query(&req.nh, filter_count_cb, &n);
	return err ? err : n;
}

int xv_xdp_attach(int prog_fd, int ifindex)
{
	/* Native mode only: generic XDP would see the frames after TC. */
	LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = XDP_FLAGS_DRV_MODE);

	return bpf_link_create(prog_fd, ifindex, BPF_XDP, &lopts);
}

/* ---- links: the mirror device ---- */

/* One RTM_*LINK request: header, ifinfomsg, attributes. A plain buffer, so
 * that the attributes written past the headers stay inside one object. */
struct link_req {
	union {
		struct nlmsghdr nh;
		char buf[512];
	};
};

static struct ifinfomsg *link_req_init(struct link_req *r, int type, __u16 flags)
{
	struct ifinfomsg *ifi = NLMSG_DATA(&r->nh);

	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(sizeof(*ifi));
	r->nh.nlmsg_type = type;
	r->nh.nlmsg_flags = flags;
	ifi->ifi_family = AF_UNSPEC;
	return ifi;
}

static struct rtattr *nest_start(struct nlmsghdr *nh, unsigned short type)
{
	struct rtattr *rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	add_attr(nh, type, NULL, 0);
	return rta;
}

static void nest_end(struct nlmsghdr *nh, struct rtattr *nest)
{
	nest->rta_len = (char *)nh + NLMSG_ALIGN(nh->nlmsg_len) - (char *)nest;
}

int xv_veth_create(const char *name, const char *peer, __u32 mtu)
{
	struct rtattr *linkinfo, *data, *peer_attr;
	struct ifinfomsg *peer_ifi;
	struct link_req r;
	struct nlmsghdr *nh = &r.nh;

	if (strlen(name) >= IF_NAMESIZE || strlen(peer) >= IF_NAMESIZE)
		return -ENAMETOOLONG;
	link_req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	add_attr(nh, IFLA_IFNAME, name, strlen(name) + 1);
	add_attr(nh, IFLA_MTU, &mtu, sizeof(mtu));
	linkinfo = nest_start(nh, IFLA_LINKINFO);
	add_attr(nh, IFLA_INFO_KIND, "veth", 4);
	data = nest_start(nh, IFLA_INFO_DATA);
	/* VETH_INFO_PEER holds a whole ifinfomsg, then the peer's own attributes. */
	peer_attr = nest_start(nh, VETH_INFO_PEER);
	peer_ifi = (struct ifinfomsg *)(r.buf + NLMSG_ALIGN(nh->nlmsg_len));
	memset(peer_ifi, 0, sizeof(*peer_ifi));
	peer_ifi->ifi_family = AF_UNSPEC;
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + NLMSG_ALIGN(sizeof(*peer_ifi));
	add_attr(nh, IFLA_IFNAME, peer, strlen(peer) + 1);
	add_attr(nh, IFLA_MTU, &mtu, sizeof(mtu));
	nest_end(nh, peer_attr);
	nest_end(nh, data);
	nest_end(nh, linkinfo);
	return nl_transact(nh);
}

int xv_link_set_up(int ifindex)
{
	struct link_req r;
	struct ifinfomsg *ifi = link_req_init(&r, RTM_NEWLINK, 0);

	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_transact(&r.nh);
}

int xv_link_del(int ifindex)
{
	struct link_req r;
	struct ifinfomsg *ifi = link_req_init(&r, RTM_DELLINK, 0);

	ifi->ifi_index = ifindex;
	return nl_transact(&r.nh);
}

/* ---- underlay next hops: managed neighbours ----
 *
 * The port program routes each VXLAN copy with bpf_fib_lookup(). A copy of
 * an IP frame whose next hop is not resolved yet goes out through
 * bpf_redirect_neigh(), which resolves it; a copy of a non-IP frame (ARP...)
 * cannot (the helper picks v4/v6 from skb->protocol), so it is dropped as
 * neigh_unresolved, and nothing else would ever resolve that neighbour. For
 * every configured remote VTEP we therefore keep a *managed* neighbour
 * (NTF_EXT_MANAGED, Linux 5.16+) for its next hop: the kernel resolves it
 * and keeps re-resolving it (also out of FAILED) for as long as it exists.
 * The entries we create carry NDA_PROTOCOL XV_NEIGH_PROTO, so that we only
 * ever delete our own. */



struct nl_req {
	union {
		struct nlmsghdr nh;
		char buf[256];
	};
};

struct route_res {
	bool found;
	__u8 type;
	int oif;
	union xvtep_addr gw;
};

/* The address bytes of A as the kernel takes them for its family (4 or 16). */
static const void *addr_bytes(const union xvtep_addr *a, unsigned short *len)
{
	if (xvtep_addr_is_v4(a)) {
		*len = 4;
		return &a->w[3];
	}
	*len = 16;
	return a->b;
}

/* A 4- or 16-byte attribute payload as a union xvtep_addr (0 if neither). */
static int addr_from_attr(const struct rtattr *a, union xvtep_addr *out)
{
	if (RTA_PAYLOAD(a) == 4) {
		__be32 ip;

		memcpy(&ip, RTA_DATA(a), 4);
		xvtep_addr_set_v4(out, ip);
		return 0;
	}
	if (RTA_PAYLOAD(a) == 16) {
		memcpy(out->b, RTA_DATA(a), 16);
		return 0;
	}
	return -1;
}

static int route_cb(const struct nlmsghdr *h, void *arg)
{
	struct route_res *r = arg;
	const struct rtmsg *rtm = NLMSG_DATA(h);
	int len = RTM_PAYLOAD(h);

	if (h->nlmsg_type != RTM_NEWROUTE)
		return 0;
	r->found = true;
	r->type = rtm->rtm_type;
	for (struct rtattr *a = RTM_RTA(rtm); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) >= 4)
			memcpy(&r->oif, RTA_DATA(a), 4);
		else if (a->rta_type == RTA_GATEWAY)
			addr_from_attr(a, &r->gw);
	}
	return 0;
}

void xv_locals_from_meta(const struct xvtep_meta *meta, struct xv_locals *loc)
{
	memset(loc, 0, sizeof(*loc));
	xvtep_addr_set_v4(&loc->v4, meta->local_ip);
	memcpy(loc->v6.b, meta->local_ip6, 16);
}

const union xvtep_addr *xv_local_for(const struct xv_locals *loc, const union xvtep_addr *dst)
{
	if (!loc)
		return NULL;
	return xvtep_addr_is_v4(dst) ? &loc->v4 : &loc->v6;
}

int xv_route_nexthop(const union xvtep_addr *dst, const union xvtep_addr *src, int *ifindex,
		     union xvtep_addr *nh)
{
	struct nl_req r = {};
	struct rtmsg *rtm = NLMSG_DATA(&r.nh);
	struct route_res res = {};
	bool v4 = xvtep_addr_is_v4(dst);
	unsigned short alen;
	const void *a = addr_bytes(dst, &alen);
	int err;

	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(*rtm));
	r.nh.nlmsg_type = RTM_GETROUTE;
	rtm->rtm_family = v4 ? AF_INET : AF_INET6;
	rtm->rtm_dst_len = alen * 8;
	add_attr(&r.nh, RTA_DST, a, alen);
	if (src && !xvtep_addr_is_zero(src) && xvtep_addr_is_v4(src) == v4) {
		a = addr_bytes(src, &alen);
		rtm->rtm_src_len = alen * 8;
		add_attr(&r.nh, RTA_SRC, a, alen);
	}
	err = nl_query(&r.nh, route_cb, &res);
	if (err)
		return err;
	if (!res.found)
		return -ENETUNREACH;
	if (res.type == RTN_LOCAL)
		return -EADDRINUSE;	/* one of our own addresses */
	if (res.type != RTN_UNICAST || !res.oif)
		return -EHOSTUNREACH;	/* blackhole, unreachable, prohibit... */
	*ifindex = res.oif;
	/* A gateway of the other family (RFC 5549 style IPv4 via IPv6) is not
	 * a neighbour we could manage in DST's family: take the gateway as is. */
	*nh = !xvtep_addr_is_zero(&res.gw) ? res.gw : *dst;
	return 0;
}

struct neigh_info {
	bool found;
	__u8 state, flags, proto;
	__u32 flags_ext;
};

static void neigh_parse(const struct nlmsghdr *h, struct neigh_info *ni, union xvtep_addr *dst)
{
	const struct ndmsg *ndm = NLMSG_DATA(h);
	int len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*ndm));

	ni->found = true;
	ni->state = ndm->ndm_state;
	ni->flags = ndm->ndm_flags;
	for (struct rtattr *a = (struct rtattr *)((char *)ndm + NLMSG_ALIGN(sizeof(*ndm)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == NDA_PROTOCOL && RTA_PAYLOAD(a) >= 1)
			ni->proto = *(__u8 *)RTA_DATA(a);
		else if (a->rta_type == NDA_FLAGS_EXT && RTA_PAYLOAD(a) >= 4)
			memcpy(&ni->flags_ext, RTA_DATA(a), 4);
		else if (a->rta_type == NDA_DST && dst)
			addr_from_attr(a, dst);
	}
}

static int neigh_get_cb(const struct nlmsghdr *h, void *arg)
{
	if (h->nlmsg_type == RTM_NEWNEIGH)
		neigh_parse(h, arg, NULL);
	return 0;
}

static struct ndmsg *neigh_req_init(struct nl_req *r, int type, __u16 flags, int ifindex,
				    int family)
{
	struct ndmsg *ndm = NLMSG_DATA(&r->nh);

	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(sizeof(*ndm));
	r->nh.nlmsg_type = type;
	r->nh.nlmsg_flags = flags;
	ndm->ndm_family = family;
	ndm->ndm_ifindex = ifindex;
	return ndm;
}

/* A request about the neighbour NH (its family's ndmsg and NDA_DST). */
static void neigh_req_dst(struct nl_req *r, int type, __u16 flags, int ifindex,
			  const union xvtep_addr *nh)
{
	unsigned short alen;
	const void *a = addr_bytes(nh, &alen);

	neigh_req_init(r, type, flags, ifindex, alen == 4 ? AF_INET : AF_INET6);
	add_attr(&r->nh, NDA_DST, a, alen);
}

/* RTM_NEWNEIGH: managed, ours, no address (the kernel resolves it). */
static int neigh_new_managed(int ifindex, const union xvtep_addr *nh, __u16 nlflags)
{
	__u32 ext = NTF_EXT_MANAGED;
	__u8 proto = XV_NEIGH_PROTO;
	struct nl_req r;

	neigh_req_dst(&r, RTM_NEWNEIGH, nlflags, ifindex, nh);
	((struct ndmsg *)NLMSG_DATA(&r.nh))->ndm_state = NUD_NONE;
	add_attr(&r.nh, NDA_PROTOCOL, &proto, sizeof(proto));
	add_attr(&r.nh, NDA_FLAGS_EXT, &ext, sizeof(ext));
	return nl_transact(&r.nh);
}

int xv_neigh_managed(const union xvtep_addr *remote, const struct xv_locals *loc,
		     int *ifindex_out, union xvtep_addr *nh_out)
{
	struct neigh_info ni = {};
	union xvtep_addr nh;
	struct nl_req r;
	int ifindex, err;

	err = xv_route_nexthop(remote, xv_local_for(loc, remote), &ifindex, &nh);
	if (err)
		return err;
	if (ifindex_out)
		*ifindex_out = ifindex;
	if (nh_out)
		*nh_out = nh;
	err = neigh_new_managed(ifindex, &nh, NLM_F_CREATE | NLM_F_EXCL);
	if (err != -EEXIST)
		return err;
	/* There already is one: keep a managed or static entry as it is (the
	 * admin's); turn a plain dynamic one into a managed one of ours (its
	 * address and state are kept). */
	neigh_req_dst(&r, RTM_GETNEIGH, 0, ifindex, &nh);
	err = nl_query(&r.nh, neigh_get_cb, &ni);
	if (err == -ENOENT)	/* gone meanwhile */
		return neigh_new_managed(ifindex, &nh, NLM_F_CREATE | NLM_F_EXCL);
	if (err)
		return err;
	if ((ni.flags_ext & NTF_EXT_MANAGED) || (ni.state & (NUD_PERMANENT | NUD_NOARP)))
		return 0;
	return neigh_new_managed(ifindex, &nh, NLM_F_CREATE | NLM_F_REPLACE);
}

struct neigh_dump {
	struct { int ifindex; union xvtep_addr nh; } *ours;
	size_t n, cap;
	/* Only NTF_EXT_MANAGED ones (the IPv6 dump: the EVPN devices' NOARP
	 * entries carry XV_NEIGH_PROTO too and are not next hops). */
	bool managed_only;
};

static int neigh_dump_cb(const struct nlmsghdr *h, void *arg)
{
	struct neigh_dump *d = arg;
	struct neigh_info ni = {};
	union xvtep_addr dst = {};

	if (h->nlmsg_type != RTM_NEWNEIGH)
		return 0;
	neigh_parse(h, &ni, &dst);
	if (ni.proto != XV_NEIGH_PROTO || xvtep_addr_is_zero(&dst) ||
	    (d->managed_only && !(ni.flags_ext & NTF_EXT_MANAGED)))
		return 0;
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;
		void *p = realloc(d->ours, cap * sizeof(*d->ours));

		if (!p)
			return -ENOMEM;
		d->ours = p;
		d->cap = cap;
	}
	d->ours[d->n].ifindex = ((const struct ndmsg *)NLMSG_DATA(h))->ndm_ifindex;
	d->ours[d->n].nh = dst;
	d->n++;
	return 0;
}

int xv_neigh_release(const union xvtep_addr *keep, size_t nkeep, const struct xv_locals *loc)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct neigh_dump d = {};
	struct nl_req r;
	size_t i, k;
	int err, ret = 0;

	/* Both families' managed entries of ours (IPv6 remotes: AF_INET6 ones). */
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		neigh_req_init(&r, RTM_GETNEIGH, NLM_F_DUMP, 0, families[i]);
		d.managed_only = families[i] == AF_INET6;
		err = nl_query(&r.nh, neigh_dump_cb, &d);
		if (err) {
			free(d.ours);
			return err;
		}
	}
	for (i = 0; i < d.n; i++) {
		bool needed = false;

		for (k = 0; k < nkeep && !needed; k++) {
			union xvtep_addr nh;
			int ifindex;

			needed = !xv_route_nexthop(&keep[k], xv_local_for(loc, &keep[k]), &ifindex,
						   &nh) &&
				 ifindex == d.ours[i].ifindex && xvtep_addr_equal(&nh, &d.ours[i].nh);
		}
		if (needed)
			continue;
		neigh_req_dst(&r, RTM_DELNEIGH, 0, d.ours[i].ifindex, &d.ours[i].nh);
		err = nl_transact(&r.nh);
		if (err && err != -ENOENT && !ret)
			ret = err;
	}
	free(d.ours);
	return ret;
}

int xv_neigh_managed_all(const union xvtep_addr *remotes, size_t n, const struct xv_locals *loc)
{
	int fails = 0;

	for (size_t i = 0; i < n; i++) {
		const union xvtep_addr *src = xv_local_for(loc, &remotes[i]);
		char ip[XV_ADDR_STRLEN];
		int err;

		/* The dataplane drops toward a family without a local address
		 * (no_route): no neighbour to keep for it. */
		if (src && xvtep_addr_is_zero(src))
			continue;
		err = xv_neigh_managed(&remotes[i], loc, NULL, NULL);
		if (!err)
			continue;
		fails++;
		xv_fmt_addr(&remotes[i], ip);
		fprintf(stderr, "Warning: remote %s: no managed underlay neighbour (%s): "
			"non-IP frames (ARP) toward it are dropped while its next hop is unresolved\n",
			ip, err == -ENETUNREACH ? "no route to it" :
			    err == -EHOSTUNREACH ? "its route is not a unicast route" :
			    err == -EADDRINUSE ? "it is a local address" : strerror(-err));
	}
	return fails;
}

/* ---- generic netlink "netdev": which devices take XDP frames ---- */

/* Not in the Debian 12 uapi headers (linux/netdev.h, Linux 6.3). */
#define XV_NETDEV_CMD_DEV_GET		1
#define XV_NETDEV_A_DEV_IFINDEX		1
#define XV_NETDEV_A_DEV_XDP_FEATURES	3
#define XV_NETDEV_XDP_ACT_NDO_XMIT	(1ULL << 2)

struct genl_req {
	struct nlmsghdr nh;
	struct genlmsghdr g;
	char attrs[64];
};

/* The attributes after a generic netlink header: same layout as rtattr, so
 * RTA_OK/RTA_NEXT walk them as the rtnetlink parsers above do. */
static struct rtattr *genl_attrs(const struct nlmsghdr *h, int *len)
{
	*len = (int)h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	return (struct rtattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
}

static int family_id_cb(const struct nlmsghdr *h, void *arg)
{
	int len;

	for (struct rtattr *a = genl_attrs(h, &len); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if ((a->rta_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID && RTA_PAYLOAD(a) >= 2)
			memcpy(arg, RTA_DATA(a), 2);
	return 0;
}

struct xmit_devs {
	__u32 *ifindexes;
	size_t n, max;
};

static int xmit_dev_cb(const struct nlmsghdr *h, void *arg)
{
	struct xmit_devs *d = arg;
	__u64 features = 0;
	__u32 ifindex = 0;
	int len;

	for (struct rtattr *a = genl_attrs(h, &len); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == XV_NETDEV_A_DEV_IFINDEX && RTA_PAYLOAD(a) >= 4)
			memcpy(&ifindex, RTA_DATA(a), 4);
		else if (a->rta_type == XV_NETDEV_A_DEV_XDP_FEATURES && RTA_PAYLOAD(a) >= 8)
			memcpy(&features, RTA_DATA(a), 8);
	}
	if (ifindex && (features & XV_NETDEV_XDP_ACT_NDO_XMIT) && d->n < d->max)
		d->ifindexes[d->n++] = ifindex;
	return 0;
}

int xv_genl_family_id(const char *name)
{
	struct genl_req req = {};
	size_t len = strlen(name) + 1;
	struct nlattr *a;
	__u16 family = 0;
	int err;

	if (len > sizeof(req.attrs) - NLA_HDRLEN)
		return -EINVAL;
	req.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.nh.nlmsg_type = GENL_ID_CTRL;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	a = (struct nlattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
	a->nla_type = CTRL_ATTR_FAMILY_NAME;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, name, len);
	req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
	err = nl_query_proto(NETLINK_GENERIC, &req.nh, family_id_cb, &family);
	if (err)
		return err;
	return family ? family : -ENOENT;
}

int xv_xdp_xmit_devices(__u32 *ifindexes, size_t max)
{
	struct xmit_devs d = { .ifindexes = ifindexes, .max = max };
	struct genl_req req = {};
	int family, err;

	/* The family's id first ("netdev" is registered at boot, id varies). */
	family = xv_genl_family_id("netdev");
	if (family < 0)
		return family;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.nh.nlmsg_type = family;
	req.nh.nlmsg_flags = NLM_F_DUMP;
	req.g.cmd = XV_NETDEV_CMD_DEV_GET;
	req.g.version = 1;
	err = nl_query_proto(NETLINK_GENERIC, &req.nh, xmit_dev_cb, &d);
	return err ? err : (int)d.n;
}

/* ---- BGP EVPN: the kernel devices zebra reads, the bridge FDB it watches ----
 *
 * zebra learns a VNI from a vxlan device enslaved to a bridge, advertises the
 * bridge FDB entries of the bridge's other ports and writes the remote ones
 * on the vxlan device. xvtep's dataplane forwards every frame itself: these
 * devices only carry state. None of them has an IPv6 link-local address
 * (addrgenmode none), so the bridge never sends a frame of its own (DAD, ND,
 * MLD) that the vxlan device would then tunnel beside xvtep. */

/* IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE none } } */
static void no_ipv6_addr(struct nlmsghdr *nh)
{
	struct rtattr *spec = nest_start(nh, IFLA_AF_SPEC), *in6;
	__u8 mode = IN6_ADDR_GEN_MODE_NONE;

	in6 = nest_start(nh, AF_INET6);
	add_attr(nh, IFLA_INET6_ADDR_GEN_MODE, &mode, sizeof(mode));
	nest_end(nh, in6);
	nest_end(nh, spec);
}

static int evpn_bridge_create(const char *name)
{
	struct rtattr *linkinfo;
	struct link_req r;
	struct nlmsghdr *nh = &r.nh;

	link_req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	add_attr(nh, IFLA_IFNAME, name, strlen(name) + 1);
	linkinfo = nest_start(nh, IFLA_LINKINFO);
	add_attr(nh, IFLA_INFO_KIND, "bridge", 6);
	nest_end(nh, linkinfo);
	return nl_transact(nh);
}

/* nolearning: only zebra writes this device's FDB. */
static int evpn_vxlan_create(const char *name, __u32 vni, __be32 local, __u16 dstport, int master)
{
	struct rtattr *linkinfo, *data;
	__be16 port = htons(dstport);
	__u8 off = 0;
	struct link_req r;
	struct nlmsghdr *nh = &r.nh;

	link_req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	add_attr(nh, IFLA_IFNAME, name, strlen(name) + 1);
	add_attr(nh, IFLA_MASTER, &master, sizeof(master));
	linkinfo = nest_start(nh, IFLA_LINKINFO);
	add_attr(nh, IFLA_INFO_KIND, "vxlan", 5);
	data = nest_start(nh, IFLA_INFO_DATA);
	add_attr(nh, IFLA_VXLAN_ID, &vni, sizeof(vni));
	add_attr(nh, IFLA_VXLAN_LOCAL, &local, sizeof(local));
	add_attr(nh, IFLA_VXLAN_PORT, &port, sizeof(port));
	add_attr(nh, IFLA_VXLAN_LEARNING, &off, sizeof(off));
	nest_end(nh, data);
	nest_end(nh, linkinfo);
	return nl_transact(nh);
}

/* Before it goes up: MASTER (0 = none), no IPv6 link-local address. */
static int evpn_link_prepare(int ifindex, int master)
{
	struct link_req r;
	struct ifinfomsg *ifi = link_req_init(&r, RTM_NEWLINK, 0);

	ifi->ifi_index = ifindex;
	if (master)
		add_attr(&r.nh, IFLA_MASTER, &master, sizeof(master));
	no_ipv6_addr(&r.nh);
	return nl_transact(&r.nh);
}

void xv_evpn_names(__u32 vni, struct xv_evpn_names *n)
{
	snprintf(n->bridge, sizeof(n->bridge), XVTEP_EVPN_BRIDGE_FMT, vni);
	snprintf(n->vxlan, sizeof(n->vxlan), XVTEP_EVPN_VXLAN_FMT, vni);
	snprintf(n->port, sizeof(n->port), XVTEP_EVPN_PORT_FMT, vni);
	snprintf(n->peer, sizeof(n->peer), XVTEP_EVPN_PEER_FMT, vni);
}

int xv_evpn_devs_create(__u32 vni, __be32 local, __u16 dstport, const char **failed)
{
	static struct xv_evpn_names n;	/* *failed points into it */
	int br, vx, port, err;

	xv_evpn_names(vni, &n);
	*failed = n.bridge;
	err = evpn_bridge_create(n.bridge);
	if (err)
		return err;
	br = if_nametoindex(n.bridge);
	*failed = n.vxlan;
	err = br ? evpn_vxlan_create(n.vxlan, vni, local, dstport, br) : -ENODEV;
	if (err)
		goto undo;
	*failed = n.port;
	err = xv_veth_create(n.port, n.peer, 1500);
	if (err)
		goto undo;
	vx = if_nametoindex(n.vxlan);
	port = if_nametoindex(n.port);
	if (!vx || !port) {
		err = -ENODEV;
		goto undo;
	}
	/* The peer stays down: no frame ever enters the bridge through the port. */
	*failed = n.bridge;
	err = evpn_link_prepare(br, 0);
	*failed = n.vxlan;
	if (!err)
		err = evpn_link_prepare(vx, 0);
	*failed = n.port;
	if (!err)
		err = evpn_link_prepare(port, br);
	if (!err)
		err = xv_link_set_up(vx);
	if (!err)
		err = xv_link_set_up(port);
	*failed = n.bridge;
	if (!err)
		err = xv_link_set_up(br);
	if (!err)
		return 0;
undo:
	xv_evpn_devs_delete(vni);
	return err;
}

int xv_evpn_devs_delete(__u32 vni)
{
	struct xv_evpn_names n;
	const char *order[3];
	int ret = 0;

	xv_evpn_names(vni, &n);
	/* The vxlan device first: zebra withdraws the VNI as soon as it goes. */
	order[0] = n.vxlan;
	order[1] = n.port;	/* takes its peer along */
	order[2] = n.bridge;
	for (int i = 0; i < 3; i++) {
		int ifindex = if_nametoindex(order[i]), err;

		if (!ifindex)
			continue;
		err = xv_link_del(ifindex);
		if (err && err != -ENODEV && !ret)
			ret = err;
	}
	return ret;
}

int xv_bridge_fdb_extern(int ifindex, const __u8 mac[6], bool add)
{
	struct nl_req r;
	struct ndmsg *ndm;

	ndm = neigh_req_init(&r, add ? RTM_NEWNEIGH : RTM_DELNEIGH,
			     add ? NLM_F_CREATE | NLM_F_REPLACE : 0, ifindex, AF_BRIDGE);
	/* extern_learn: zebra advertises it, and the bridge never ages it. */
	ndm->ndm_flags = NTF_MASTER | (add ? NTF_EXT_LEARNED : 0);
	ndm->ndm_state = NUD_REACHABLE;
	add_attr(&r.nh, NDA_LLADDR, mac, 6);
	return nl_transact(&r.nh);
}

int xv_neigh_dump(int family, int (*cb)(const struct nlmsghdr *h, void *arg), void *arg)
{
	struct nl_req r;

	neigh_req_init(&r, RTM_GETNEIGH, NLM_F_DUMP, 0, family);
	return nl_query(&r.nh, cb, arg);
}

int xv_bridge_fdb_dump(int (*cb)(const struct nlmsghdr *h, void *arg), void *arg)
{
	return xv_neigh_dump(AF_BRIDGE, cb, arg);
}

int xv_bridge_neigh_noarp(int ifindex, int family, const __u8 *addr, const __u8 mac[6], bool add)
{
	__u8 proto = XV_NEIGH_PROTO;
	struct nl_req r;
	struct ndmsg *ndm;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	ndm = neigh_req_init(&r, add ? RTM_NEWNEIGH : RTM_DELNEIGH,
			     add ? NLM_F_CREATE | NLM_F_REPLACE : 0, ifindex, family);
	/* NOARP without extern_learn: zebra advertises it as a local MAC+IP. */
	ndm->ndm_state = NUD_NOARP;
	add_attr(&r.nh, NDA_DST, addr, family == AF_INET ? 4 : 16);
	if (add) {
		add_attr(&r.nh, NDA_LLADDR, mac, 6);
		add_attr(&r.nh, NDA_PROTOCOL, &proto, sizeof(proto));
	}
	return nl_transact(&r.nh);
}
