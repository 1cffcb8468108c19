// SPDX-License-Identifier: GPL-2.0
/* xvtepctl: configure a running xvtep through its pinned maps. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "cli.h"

struct ctl ctl = {
	.pin = XVTEP_PIN_DEFAULT,
	.lock_fd = -1,
	.maps = { -1, -1, -1, -1, -1, -1, -1, -1 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: xvtepctl [OPTIONS] OBJECT COMMAND ...\n"
		"OPTIONS: --pin DIR      pinned xvtep state (default " XVTEP_PIN_DEFAULT ")\n"
		"         -n NETNS       run in network namespace /run/netns/NETNS\n"
		"         -j, --json     JSON output\n"
		"         -p, --pretty   pretty-printed JSON output (implies -j)\n"
		"OBJECT := { vni | port | fdb | stats | mirror | peer | help }\n\n");
	usage_vni(f);
	usage_port(f);
	usage_fdb(f);
	usage_stats(f);
	usage_mirror(f);
	usage_peer(f);
}

bool is_kw(const char *arg, const char *kw)
{
	return strcmp(arg, kw) == 0;
}

bool is_help(const char *arg)
{
	return is_kw(arg, "help") || is_kw(arg, "-h") || is_kw(arg, "--help");
}

const char *kw_value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		xv_arg_err(argv[*i], "missing value");
		return NULL;
	}
	return argv[++*i];
}

int dup_kw(const char *kw)
{
	return xv_arg_err(kw, "given more than once");
}

int parse_vni_arg(const char *s, __u32 *vni, bool allow_zero)
{
	if (xv_parse_u32(s, allow_zero ? 0 : 1, XVTEP_VNI_MAX, vni))
		return xv_arg_err(s, "VNI must be a number in %u..%u", allow_zero ? 0 : 1,
				  XVTEP_VNI_MAX);
	return 0;
}

int parse_mac_arg(const char *s, __u8 mac[6])
{
	static const __u8 zero[6];

	if (xv_parse_mac(s, mac))
		return xv_arg_err(s, "not a MAC address (xx:xx:xx:xx:xx:xx)");
	if (mac[0] & 1)
		return xv_arg_err(s, "MAC address must be unicast");
	if (!memcmp(mac, zero, 6))
		return xv_arg_err(s, "MAC address must not be zero");
	return 0;
}

int parse_unicast_arg(const char *s, __be32 *ip)
{
	const unsigned char *b = (const unsigned char *)ip;

	if (xv_parse_ipv4(s, ip))
		return xv_arg_err(s, "not an IPv4 address");
	if (*ip == 0 || *ip == 0xffffffffU)
		return xv_arg_err(s, "not a unicast address");
	if (xv_ipv4_is_mcast(*ip) || b[0] >= 240)
		return xv_arg_err(s, "not a unicast address");
	if (b[0] == 127)
		return xv_arg_err(s, "loopback address cannot be a VTEP");
	return 0;
}

struct jw *json_open(void)
{
	struct jw *jw;

	if (!ctl.json)
		return NULL;
	jw = jw_new(stdout, ctl.pretty);
	if (!jw) {
		xv_err("out of memory");
		exit(1);
	}
	return jw;
}

int ctl_open(bool write)
{
	if (!ctl.maps_open) {
		if (xv_maps_open(ctl.pin, &ctl.maps))
			return -1;
		ctl.maps_open = true;
	}
	if (write && ctl.lock_fd < 0) {
		ctl.lock_fd = open(ctl.pin, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ctl.lock_fd < 0)
			return xv_err_errno(errno, "cannot open %s", ctl.pin);
		/* Serialises concurrent xvtepctl runs; the lock dies with the process. */
		if (flock(ctl.lock_fd, LOCK_EX))
			return xv_err_errno(errno, "cannot lock %s", ctl.pin);
	}
	return 0;
}

/* Global options may also follow OBJECT (`xvtepctl fdb show -j`): pull them out of argv. */
static int parse_globals(int *argcp, char **argv)
{
	int argc = *argcp, out = 1, i;
	bool end = false;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (end || a[0] != '-' || !a[1]) {
			argv[out++] = argv[i];
			continue;
		}
		if (is_kw(a, "--")) {
			end = true;
		} else if (is_kw(a, "-j") || is_kw(a, "--json") || is_kw(a, "-json")) {
			ctl.json = true;
		} else if (is_kw(a, "-p") || is_kw(a, "--pretty") || is_kw(a, "-pretty")) {
			ctl.json = ctl.pretty = true;
		} else if (is_kw(a, "-jp") || is_kw(a, "-pj")) {
			ctl.json = ctl.pretty = true;
		} else if (is_kw(a, "--pin") || is_kw(a, "-P")) {
			if (i + 1 >= argc)
				return xv_arg_err(a, "missing value");
			ctl.pin = argv[++i];
			if (!ctl.pin[0])
				return xv_arg_err(a, "empty pin directory");
		} else if (!strncmp(a, "--pin=", 6)) {
			ctl.pin = a + 6;
			if (!ctl.pin[0])
				return xv_arg_err(a, "empty pin directory");
		} else if (is_kw(a, "-n") || is_kw(a, "--netns") || is_kw(a, "-netns")) {
			if (i + 1 >= argc)
				return xv_arg_err(a, "missing value");
			if (ctl.netns)
				return dup_kw(a);
			ctl.netns = argv[++i];
		} else if (is_kw(a, "-h") || is_kw(a, "--help")) {
			argv[out++] = argv[i];
		} else if (is_kw(a, "-V") || is_kw(a, "--version")) {
			printf("xvtepctl (xvtep ABI %d)\n", XVTEP_ABI_VERSION);
			exit(0);
		} else {
			/* Not a global option: a negative number or such; let the command judge it. */
			argv[out++] = argv[i];
		}
	}
	argv[out] = NULL;
	*argcp = out;
	return 0;
}

/* argv joined by spaces, before parse_globals() reorders it. */
static const char *join_args(int argc, char **argv)
{
	static char buf[1024];
	size_t off = 0;

	for (int i = 0; i < argc && off < sizeof(buf) - 1; i++) {
		int n = snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? " " : "", argv[i]);

		if (n < 0)
			break;
		off += (size_t)n;
	}
	return buf;
}

int main(int argc, char **argv)
{
	const char *obj;
	int ret;

	ctl.cmdline = join_args(argc, argv);
	if (parse_globals(&argc, argv))
		return 1;
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	obj = argv[1];
	if (is_help(obj)) {
		usage(stdout);
		return 0;
	}
	/* Devices are resolved in the target netns, so enter it before anything else. */
	if (ctl.netns && xv_enter_netns(ctl.netns))
		return 1;

	argc -= 2;
	argv += 2;
	if (is_kw(obj, "vni"))
		ret = do_vni(argc, argv);
	else if (is_kw(obj, "port"))
		ret = do_port(argc, argv);
	else if (is_kw(obj, "fdb"))
		ret = do_fdb(argc, argv);
	else if (is_kw(obj, "stats") || is_kw(obj, "statistics"))
		ret = do_stats(argc, argv);
	else if (is_kw(obj, "mirror"))
		ret = do_mirror(argc, argv);
	else if (is_kw(obj, "peer"))
		ret = do_peer(argc, argv);
	else
		ret = xv_arg_err(obj, "unknown object, expected vni, port, fdb, stats, mirror, "
				 "peer or help");

	if (ctl.maps_open)
		xv_maps_close(&ctl.maps);
	if (ctl.lock_fd >= 0)
		close(ctl.lock_fd);
	if (fflush(stdout) || ferror(stdout)) {
		if (!ret)
			xv_err("writing output: %s", strerror(errno));
		return 1;
	}
	return ret ? 1 : 0;
}
