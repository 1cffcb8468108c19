// SPDX-License-Identifier: GPL-2.0
/* Small helpers: pin paths, object kinds, the pin directory, the uplink. */
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <errno.h>

#include "loader.h"

int pin_path(char *buf, const char *sub, const char *name)
{
	if (xv_pin_path(buf, PATH_MAX, cfg.pin, sub, name))
		return xv_err("pin path too long under %s", cfg.pin);
	return 0;
}

bool path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* True if FD refers to a BPF object of KIND ("map", "prog", "link"):
 * a pin path could hold any object type, and info calls do not say which. */
bool fd_is(int fd, const char *kind)
{
	char link[64], target[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return true;	/* no /proc: trust the caller */
	target[n] = '\0';
	snprintf(link, sizeof(link), "anon_inode:bpf-%s", kind);
	return strcmp(target, link) == 0;
}

__u32 prog_id_of(int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (prog_fd < 0 || bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return 0;
	return info.id;
}

/*
 * mkdir mode 0700 that remembers whether this run created the directory (for
 * undo). The pins are the control plane (whoever can write them can add
 * mirror sessions or rewrite the FDB): an existing directory owned by another
 * user is refused, a looser mode is tightened to 0700 with a warning.
 */
int make_dir(const char *path, bool *created)
{
	struct stat st;

	*created = false;
	if (!mkdir(path, 0700)) {
		*created = true;
	} else if (errno != EEXIST) {
		return xv_err_errno(errno, "cannot create %s", path);
	}
	if (lstat(path, &st))
		return xv_err_errno(errno, "cannot access %s", path);
	if (!S_ISDIR(st.st_mode))
		return xv_err("%s exists but is not a directory", path);
	if (st.st_uid != geteuid())
		return xv_err("%s is owned by uid %u, not by this user (uid %u): anyone owning it "
			      "controls xvtep; remove it or chown it", path, (unsigned)st.st_uid,
			      (unsigned)geteuid());
	if ((st.st_mode & 07777) != 0700) {
		if (chmod(path, 0700))
			return xv_err_errno(errno, "cannot set mode 0700 on %s", path);
		/* The umask may have masked our own mkdir: only warn about others'. */
		if (!*created)
			fprintf(stderr, "Warning: %s had mode %04o, tightened to 0700\n", path,
				(unsigned)(st.st_mode & 07777));
	}
	return 0;
}

int get_uplink(const char *dev, int *ifindex, __u8 mac[6])
{
	struct ifreq ifr = {};
	int fd, ret = -1;

	if (strlen(dev) >= IFNAMSIZ)
		return xv_arg_err(dev, "device name longer than %d characters", IFNAMSIZ - 1);
	*ifindex = if_nametoindex(dev);
	if (!*ifindex) {
		if (cfg.netns)
			return xv_err("device \"%s\" does not exist in network namespace \"%s\"",
				      dev, cfg.netns);
		return xv_err("device \"%s\" does not exist", dev);
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return xv_err_errno(errno, "socket");
	strcpy(ifr.ifr_name, dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		xv_err_errno(errno, "cannot read the MAC address of %s", dev);
		goto out;
	}
	/* The encapsulation writes an Ethernet header: other link types cannot work. */
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		xv_err("device \"%s\" is not an Ethernet device (link type %u)", dev,
		       ifr.ifr_hwaddr.sa_family);
		goto out;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	ret = 0;
out:
	close(fd);
	return ret;
}
