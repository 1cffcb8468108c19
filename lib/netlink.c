// SPDX-License-Identifier: GPL-2.0
/* rtnetlink multicast membership and tcx attachment. */
#include <errno.h>
#include <linux/if_addr.h>
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
	memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* Send one RTM_NEWADDR/RTM_DELADDR for GROUP/32 and return the kernel's ack (0 or -errno). */
static int addr_request(int type, int ifindex, __be32 group)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct addr_req req = {};
	__u32 flags = IFA_F_MCAUTOJOIN;
	char buf[512];
	int fd, err;
	ssize_t n;

	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifa));
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (type == RTM_NEWADDR)
		req.nh.nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	req.nh.nlmsg_seq = 1;
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

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
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
			if (h->nlmsg_seq != req.nh.nlmsg_seq)
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
