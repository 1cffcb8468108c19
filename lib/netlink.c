// SPDX-License-Identifier: GPL-2.0
/* rtnetlink: multicast membership, the mirror veth pair; tcx attachment. */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/veth.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
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

/* Send one request and return the kernel's ack (0 or -errno). */
static int nl_transact(struct nlmsghdr *nh)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	/* Room for an error echoing the request plus extended ack text: a
	 * truncated datagram would leave us waiting for a reply already eaten. */
	char buf[8192];
	int fd, err;
	ssize_t n;

	nh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nh->nlmsg_seq = 1;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
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
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != nh->nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				err = e->error;	/* 0 = ack */
				goto out;
			}
		}
	}
out:
	close(fd);
	return err;
}

/* Send one RTM_NEWADDR/RTM_DELADDR for GROUP/32 and return the kernel's ack (0 or -errno). */
static int addr_request(int type, int ifindex, __be32 group)
{
	struct addr_req req = {};
	__u32 flags = IFA_F_MCAUTOJOIN;

	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifa));
	req.nh.nlmsg_type = type;
	if (type == RTM_NEWADDR)
		req.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	req.ifa.ifa_family = AF_INET;
	req.ifa.ifa_prefixlen = 32;
	req.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	req.ifa.ifa_index = ifindex;
	add_attr(&req.nh, IFA_LOCAL, &group, sizeof(group));
	add_attr(&req.nh, IFA_ADDRESS, &group, sizeof(group));
	/* IFA_F_MCAUTOJOIN does not fit the 8-bit ifa_flags: it needs IFA_FLAGS.
	 * The kernel then joins the group on the device for as long as the
	 * address exists, without any socket held by us. */
	if (type == RTM_NEWADDR)
		add_attr(&req.nh, IFA_FLAGS, &flags, sizeof(flags));
	return nl_transact(&req.nh);
}

int xv_mcast_join_ex(int ifindex, __be32 group, bool *created)
{
	int err;

	if (created)
		*created = false;
	if (!xv_ipv4_is_mcast(group))
		return -EINVAL;
	err = addr_request(RTM_NEWADDR, ifindex, group);
	if (err == -EEXIST)
		return 0;
	if (!err && created)
		*created = true;
	return err;
}

int xv_mcast_join(int ifindex, __be32 group)
{
	return xv_mcast_join_ex(ifindex, group, NULL);
}

int xv_mcast_leave(int ifindex, __be32 group)
{
	int err;

	if (!xv_ipv4_is_mcast(group))
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
