// SPDX-License-Identifier: GPL-2.0
/* Error reporting, parsers, namespaces and environment checks. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "xvtep_lib.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define XV_PRIV_MSG "missing privileges (need CAP_BPF/CAP_NET_ADMIN)"

int xv_err_line;

/* "Error: " and, in batch mode, the line the error belongs to. */
static void err_start(void)
{
	fputs("Error: ", stderr);
	if (xv_err_line > 0)
		fprintf(stderr, "line %d: ", xv_err_line);
}

int xv_err(const char *fmt, ...)
{
	va_list ap;

	err_start();
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

int xv_arg_err(const char *arg, const char *fmt, ...)
{
	va_list ap;

	err_start();
	fprintf(stderr, "argument \"%s\" is wrong: ", arg);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

int xv_err_errno(int err, const char *fmt, ...)
{
	va_list ap;

	if (err < 0)
		err = -err;
	err_start();
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err == EPERM)
		fputs(": " XV_PRIV_MSG "\n", stderr);
	else
		fprintf(stderr, ": %s\n", strerror(err));
	return -1;
}

int xv_check_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	bool bpf, net;

	if (syscall(SYS_capget, &hdr, data))
		return 0;	/* cannot tell: let the kernel decide (EPERM is reported later) */
#define HAS(cap) (data[(cap) / 32].effective & (1U << ((cap) % 32)))
	bpf = HAS(CAP_BPF) || HAS(CAP_SYS_ADMIN);
	net = HAS(CAP_NET_ADMIN);
#undef HAS
	if (bpf && net)
		return 0;
	return xv_err(XV_PRIV_MSG);
}

int xv_enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd, err;

	if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return xv_arg_err(name ? name : "", "not a network namespace name");
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return xv_err("network namespace \"%s\" does not exist (%s)", name, path);
		return xv_err_errno(errno, "cannot open %s", path);
	}
	/* Only the network namespace: the mount namespace (and with it
	 * /sys/fs/bpf) stays ours, unlike `ip netns exec`. */
	err = setns(fd, CLONE_NEWNET);
	err = err ? -errno : 0;
	close(fd);
	if (err == -EPERM)
		return xv_err("cannot enter network namespace \"%s\": missing privileges "
			      "(need CAP_SYS_ADMIN)", name);
	if (err)
		return xv_err_errno(err, "cannot enter network namespace \"%s\"", name);
	return 0;
}

int xv_check_bpffs(const char *pin_dir)
{
	char path[PATH_MAX];
	struct statfs sfs;
	size_t len;

	if (!pin_dir || pin_dir[0] != '/')
		return xv_arg_err(pin_dir ? pin_dir : "", "pin directory must be an absolute path");
	len = snprintf(path, sizeof(path), "%s", pin_dir);
	if (len >= sizeof(path))
		return xv_arg_err(pin_dir, "path too long");
	/* Walk up to the deepest existing ancestor: the pin dir itself may
	 * not exist yet, what matters is the filesystem it will be made on. */
	for (;;) {
		if (!statfs(path, &sfs))
			break;
		if (errno != ENOENT)
			return xv_err_errno(errno, "cannot access %s", path);
		char *slash = strrchr(path, '/');
		if (!slash || slash == path) {
			strcpy(path, "/");
			if (statfs(path, &sfs))
				return xv_err_errno(errno, "cannot access /");
			break;
		}
		*slash = '\0';
	}
	if ((unsigned long)sfs.f_type != BPF_FS_MAGIC) {
		xv_err("%s is not a BPF filesystem (bpffs), needed for the pins under %s",
		       path, pin_dir);
		if (!strncmp(pin_dir, "/sys/fs/bpf", 11))
			fprintf(stderr, "Mount it with: mount -t bpf bpf /sys/fs/bpf\n");
		else
			fprintf(stderr, "Use a --pin directory on bpffs, e.g. under /sys/fs/bpf "
				"(mount -t bpf bpf /sys/fs/bpf)\n");
		return -1;
	}
	return 0;
}

int xv_pin_path(char *buf, size_t len, const char *pin, const char *sub, const char *name)
{
	int n;

	if (sub)
		n = snprintf(buf, len, "%s/%s/%s", pin, sub, name);
	else
		n = snprintf(buf, len, "%s/%s", pin, name);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int xv_parse_mac(const char *s, __u8 mac[6])
{
	__u8 out[6];

	/* Exactly six 2-digit hex groups separated by ':' (or '-'). */
	if (!s || strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		const char *p = s + 3 * i;
		int hi = hexval(p[0]), lo = hexval(p[1]);

		if (hi < 0 || lo < 0)
			return -1;
		if (i < 5 && p[2] != ':' && p[2] != '-')
			return -1;
		if (i < 5 && p[2] != s[2])	/* no mixing separators */
			return -1;
		out[i] = hi << 4 | lo;
	}
	memcpy(mac, out, 6);
	return 0;
}

int xv_parse_ipv4(const char *s, __be32 *ip)
{
	struct in_addr a;

	/* inet_pton() only takes the strict dotted quad (no "10.1", no octal). */
	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*ip = a.s_addr;
	return 0;
}

int xv_parse_u32(const char *s, __u32 min, __u32 max, __u32 *out)
{
	unsigned long long v;
	char *end;
	int base = 10;

	/* strtoull() silently accepts "-1", leading blanks and "+": refuse them. */
	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!isxdigit((unsigned char)s[0]))
			return -1;
	}
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (__u32)v;
	return 0;
}

void xv_fmt_mac(const __u8 mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

void xv_fmt_ipv4(__be32 ip, char buf[16])
{
	struct in_addr a = { .s_addr = ip };

	if (!inet_ntop(AF_INET, &a, buf, 16))
		snprintf(buf, 16, "?");
}

int xv_common_opt(int c, char **argv, const struct xv_common_opts *o)
{
	switch (c) {
	case XV_OPT_PIN:
		if (optarg[0] != '/')
			return xv_arg_err(optarg, "--pin needs an absolute path");
		*o->pin = optarg;
		return 1;
	case 'n':
		*o->netns = optarg;
		return 1;
	case 'v':
		*o->verbose = true;
		return 1;
	case 'h':
		o->usage(stdout);
		exit(0);
	case 'V':
		printf("%s\n", o->version);
		exit(0);
	case ':':
		return xv_err("option \"%s\" needs a value", argv[optind - 1]);
	case '?':
		return xv_err("unknown option \"%s\" (try --help)", argv[optind - 1]);
	}
	return 0;
}

int xv_parse_addr(const char *s, union xvtep_addr *a)
{
	struct in6_addr a6;
	__be32 ip;

	if (!s)
		return -1;
	if (!xv_parse_ipv4(s, &ip)) {
		xvtep_addr_set_v4(a, ip);
		return 0;
	}
	/* No scope ("%eth0"), no mapped form: an IPv4 VTEP is written as IPv4. */
	if (inet_pton(AF_INET6, s, &a6) != 1)
		return -1;
	memcpy(a->b, &a6, 16);
	if (xvtep_addr_is_v4(a))
		return -1;
	return 0;
}

int xv_parse_prefix(const char *s, union xvtep_addr *a, __u32 *plen)
{
	char buf[64], *slash;
	__u32 len, max;

	if (!s || strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	if (xv_parse_addr(buf, a))
		return -1;
	/* 0.0.0.0 parses as all zero (no address); as a prefix it is IPv4:
	 * 0.0.0.0/0 is every IPv4 address (::ffff:0.0.0.0/96), not ::/0. */
	if (xvtep_addr_is_zero(a) && !strchr(buf, ':'))
		a->w[2] = XVTEP_ADDR_V4_MARK;
	max = xvtep_addr_is_v4(a) ? 32 : 128;
	len = max;
	if (slash && xv_parse_u32(slash + 1, 0, max, &len))
		return -1;
	*plen = len + 128 - max;
	/* Host bits beyond the prefix are cleared, as `ip route` does. */
	for (__u32 bit = *plen; bit < 128; bit++)
		a->b[bit / 8] &= ~(0x80 >> (bit % 8));
	return 0;
}

const char *xv_addr_not_unicast(const union xvtep_addr *a)
{
	const unsigned char *b = (const unsigned char *)&a->w[3];
	__be32 ip = a->w[3];

	if (!xvtep_addr_is_v4(a)) {
		if (xvtep_addr_is_zero(a) || xvtep_addr_is_mcast(a))
			return "not a unicast address";
		if (!a->w[0] && !a->w[1] && !a->w[2] && a->w[3] == htonl(1))
			return "loopback address cannot be a VTEP";
		if (a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80)
			return "link-local address cannot be a VTEP";
		return NULL;
	}
	if (ip == 0 || ip == 0xffffffffU || xv_ipv4_is_mcast(ip) || b[0] >= 240)
		return "not a unicast address";
	if (b[0] == 127)
		return "loopback address cannot be a VTEP";
	return NULL;
}

const char *xv_fmt_addr(const union xvtep_addr *a, char buf[XV_ADDR_STRLEN])
{
	if (xvtep_addr_is_zero(a))
		snprintf(buf, XV_ADDR_STRLEN, "::");
	else if (xvtep_addr_is_v4(a))
		xv_fmt_ipv4(a->w[3], buf);
	else if (!inet_ntop(AF_INET6, a->b, buf, XV_ADDR_STRLEN))
		snprintf(buf, XV_ADDR_STRLEN, "?");
	return buf;
}

const char *xv_fmt_prefix(const union xvtep_addr *a, __u32 plen, char buf[XV_PREFIX_STRLEN])
{
	char addr[XV_ADDR_STRLEN];
	bool v4 = xvtep_addr_is_v4(a) && plen >= 96;

	snprintf(buf, XV_PREFIX_STRLEN, "%s/%u", xv_fmt_addr(a, addr), v4 ? plen - 96 : plen);
	return buf;
}

__u64 xv_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int xv_pin_lock(const char *name, const char *pin, char *path, size_t len)
{
	char mangled[256];
	size_t i;
	int fd;

	for (i = 0; pin[i] && i < sizeof(mangled) - 1; i++)
		mangled[i] = pin[i] == '/' ? '_' : pin[i];
	mangled[i] = '\0';
	snprintf(path, len, "/run/lock/%s%s.lock", name, mangled);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}
