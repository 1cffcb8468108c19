// SPDX-License-Identifier: GPL-2.0
/*
 * xvtep-loader: load the xvtep BPF object, pin its maps and links under a
 * bpffs directory and exit. The pins keep the dataplane running; xvtepctl
 * edits the pinned maps afterwards.
 *
 *   xvtep-loader [--pin DIR] [-n NETNS] attach --uplink DEV --local ADDR [--local ADDR] ...
 *   xvtep-loader [--pin DIR] [-n NETNS] detach
 *   xvtep-loader [--pin DIR] [-n NETNS] [-j] [-p] status
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <errno.h>
#include <stdlib.h>

#include "loader.h"

/* One version for both tools: the Makefile passes the VERSION file's. */
#ifndef XVTEP_VERSION
#error "XVTEP_VERSION is not set (the Makefile sets it from VERSION)"
#endif

const char *const decap_names[] = {
	[XVTEP_DECAP_HYBRID] = "hybrid",
	[XVTEP_DECAP_XDP] = "xdp",
	[XVTEP_DECAP_TC] = "tc",
};
const char *const xdp_mode_names[] = {
	[XDP_MODE_NATIVE] = "native",
	[XDP_MODE_GENERIC] = "generic",
};
struct config cfg = {
	.pin = XVTEP_PIN_DEFAULT,
	.dstport = XVTEP_DSTPORT_DEFAULT,
	.sport_min = XVTEP_SPORT_MIN_DEFAULT,
	.sport_max = XVTEP_SPORT_MAX_DEFAULT,
	.xdp_mode = -1,
	.decap = DECAP_UNSET,
};
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* Warnings carry the verifier log on load failures: always show them. */
	if (level == LIBBPF_DEBUG && !cfg.verbose)
		return 0;
	if (level == LIBBPF_INFO && !cfg.verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}
static void usage(FILE *f)
{
	fprintf(f,
		"Usage: xvtep-loader [--pin DIR] [-n NETNS] [-v] attach --uplink DEV --local ADDR [--local ADDR]\n"
		"                    [--dstport N] [--xdp-mode native|generic] [--decap auto|hybrid|xdp|tc]\n"
		"                    [--sport-range MIN-MAX] [--fdb-size N] [--force]\n"
		"       xvtep-loader [--pin DIR] [-n NETNS] detach [--keep-maps]\n"
		"       xvtep-loader [--pin DIR] [-n NETNS] [-j] [-p] status\n"
		"\n"
		"  --local ADDR the VTEP address: IPv4 and/or IPv6 (give --local twice for both)\n"
		"  --pin DIR    bpffs directory of the pins (default %s)\n"
		"  -n NETNS     work in network namespace /run/netns/NETNS\n"
		"  -j, -p       JSON output, -p pretty-printed (status)\n"
		"  -v           show libbpf debug messages\n"
		"  -V, --version print the version and exit\n"
		"  -h, --help   print this help and exit\n",
		XVTEP_PIN_DEFAULT);
}

/* --local ADDR: one IPv4 and one IPv6 address at most. */
static int parse_local(const char *arg)
{
	union xvtep_addr a;

	if (xv_parse_addr(arg, &a))
		return xv_arg_err(arg, "--local needs an IPv4 or IPv6 address");
	if (xvtep_addr_is_v4(&a)) {
		__be32 ip = a.w[3];

		if (!ip || xv_ipv4_is_mcast(ip) || ip == 0xffffffff)
			return xv_arg_err(arg, "--local must be a unicast address");
		if (cfg.local_ip && cfg.local_ip != ip)
			return xv_arg_err(arg, "--local takes one IPv4 and one IPv6 address at most");
		cfg.local_ip = ip;
		return 0;
	}
	if (xv_addr_not_unicast(&a))
		return xv_arg_err(arg, "--local must be a global unicast address");
	if (!xvtep_addr_is_zero(&cfg.local_ip6) && !xvtep_addr_equal(&cfg.local_ip6, &a))
		return xv_arg_err(arg, "--local takes one IPv4 and one IPv6 address at most");
	cfg.local_ip6 = a;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Arguments                                                                */

enum {
	OPT_UPLINK = 256, OPT_LOCAL, OPT_DSTPORT, OPT_XDP_MODE, OPT_DECAP,
	OPT_SPORT, OPT_FDB_SIZE, OPT_FORCE, OPT_KEEP_MAPS,
};

static int parse_args(int argc, char **argv, const char **cmd)
{
	static const struct option opts[] = {
		XV_COMMON_LONGOPTS,
		{ "json",        no_argument,       NULL, 'j' },
		{ "pretty",      no_argument,       NULL, 'p' },
		{ "uplink",      required_argument, NULL, OPT_UPLINK },
		{ "local",       required_argument, NULL, OPT_LOCAL },
		{ "dstport",     required_argument, NULL, OPT_DSTPORT },
		{ "xdp-mode",    required_argument, NULL, OPT_XDP_MODE },
		{ "decap",       required_argument, NULL, OPT_DECAP },
		{ "sport-range", required_argument, NULL, OPT_SPORT },
		{ "fdb-size",    required_argument, NULL, OPT_FDB_SIZE },
		{ "force",       no_argument,       NULL, OPT_FORCE },
		{ "keep-maps",   no_argument,       NULL, OPT_KEEP_MAPS },
		{}
	};
	char version[64];
	const struct xv_common_opts common = {
		.pin = &cfg.pin, .netns = &cfg.netns, .verbose = &cfg.verbose,
		.usage = usage, .version = version,
	};
	bool attach_opt = false;
	__u32 v, lo, hi;
	int c, r;

	snprintf(version, sizeof(version), "xvtep-loader (xvtep) %s, ABI %d", XVTEP_VERSION,
		 XVTEP_ABI_VERSION);
	opterr = 0;	/* our own "Error:" messages */
	while ((c = getopt_long(argc, argv, XV_COMMON_SHORTOPTS "jp", opts, NULL)) != -1) {
		if (c >= OPT_UPLINK && c <= OPT_FORCE)
			attach_opt = true;
		r = xv_common_opt(c, argv, &common);
		if (r < 0)
			return -1;
		if (r)
			continue;
		switch (c) {
		case 'p':
			cfg.pretty = true;	/* implies JSON */
			cfg.json = true;
			break;
		case 'j':
			cfg.json = true;
			break;
		case OPT_UPLINK:
			cfg.uplink = optarg;
			break;
		case OPT_LOCAL:
			if (parse_local(optarg))
				return -1;
			break;
		case OPT_DSTPORT:
			if (xv_parse_u32(optarg, 1, 65535, &v))
				return xv_arg_err(optarg, "--dstport must be a port number 1-65535");
			cfg.dstport = v;
			break;
		case OPT_XDP_MODE:
			if (!strcmp(optarg, "native"))
				cfg.xdp_mode = XDP_MODE_NATIVE;
			else if (!strcmp(optarg, "generic"))
				cfg.xdp_mode = XDP_MODE_GENERIC;
			else
				return xv_arg_err(optarg, "--xdp-mode must be native or generic");
			break;
		case OPT_DECAP:
			if (!strcmp(optarg, "auto"))
				cfg.decap = DECAP_AUTO;
			else if (!strcmp(optarg, "hybrid"))
				cfg.decap = XVTEP_DECAP_HYBRID;
			else if (!strcmp(optarg, "xdp"))
				cfg.decap = XVTEP_DECAP_XDP;
			else if (!strcmp(optarg, "tc"))
				cfg.decap = XVTEP_DECAP_TC;
			else
				return xv_arg_err(optarg, "--decap must be auto, hybrid, xdp or tc");
			break;
		case OPT_SPORT: {
			char buf[32], *dash;

			if (strlen(optarg) >= sizeof(buf))
				return xv_arg_err(optarg, "--sport-range must be MIN-MAX");
			strcpy(buf, optarg);
			dash = strchr(buf, '-');
			if (!dash)
				return xv_arg_err(optarg, "--sport-range must be MIN-MAX");
			*dash = '\0';
			if (xv_parse_u32(buf, 1, 65535, &lo) || xv_parse_u32(dash + 1, 1, 65535, &hi))
				return xv_arg_err(optarg, "--sport-range ports must be 1-65535");
			if (lo > hi)
				return xv_arg_err(optarg, "--sport-range MIN is above MAX");
			cfg.sport_min = lo;
			cfg.sport_max = hi;
			break;
		}
		case OPT_FDB_SIZE:
			if (xv_parse_u32(optarg, 1, FDB_SIZE_MAX, &v))
				return xv_arg_err(optarg, "--fdb-size must be 1-%u", FDB_SIZE_MAX);
			cfg.fdb_size = v;
			break;
		case OPT_FORCE:
			cfg.force = true;
			break;
		case OPT_KEEP_MAPS:
			cfg.keep_maps = true;
			break;
		default:
			return xv_err("unknown option \"%s\" (try --help)", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return -1;
	}
	if (optind + 1 < argc)
		return xv_err("unexpected argument \"%s\"", argv[optind + 1]);
	*cmd = argv[optind];
	if (attach_opt && strcmp(*cmd, "attach"))
		return xv_err("--uplink, --local, --dstport, --xdp-mode, --decap, --sport-range, "
			      "--fdb-size and --force only apply to attach");
	if (cfg.keep_maps && strcmp(*cmd, "detach"))
		return xv_err("--keep-maps only applies to detach");
	return 0;
}

/*
 * One loader at a time per pin directory: two attaches interleaving their
 * link swaps and pins would leave a mix of both. The lock file lives outside
 * bpffs (which holds no regular files) and dies with the process, even on
 * SIGKILL. The second loader fails at once and says why.
 */
static int loader_lock(void)
{
	char path[PATH_MAX];
	int fd = xv_pin_lock("xvtep-loader", cfg.pin, path, sizeof(path));

	if (fd == -EWOULDBLOCK)
		xv_err("another xvtep-loader is working on %s (lock %s is held); try again when it is done",
		       cfg.pin, path);
	else if (fd < 0)
		xv_err_errno(fd, "cannot lock %s", path);
	return fd;	/* held until exit */
}

int main(int argc, char **argv)
{
	const char *cmd = NULL;

	if (parse_args(argc, argv, &cmd))
		return 1;
	libbpf_set_print(libbpf_print);

	/* Privileges first: without them even the lock file cannot be opened,
	 * and "missing privileges" is the error that explains it. */
	if ((!strcmp(cmd, "attach") || !strcmp(cmd, "detach")) &&
	    (xv_check_privileges() || loader_lock() < 0))
		return 1;
	if (!strcmp(cmd, "attach"))
		return cmd_attach();
	if (!strcmp(cmd, "detach"))
		return cmd_detach();
	if (!strcmp(cmd, "status"))
		return cmd_status();
	xv_err("unknown command \"%s\" (attach, detach or status)", cmd);
	return 1;
}
