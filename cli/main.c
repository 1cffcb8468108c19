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

/* One version for both tools: the Makefile passes the VERSION file's. */
#ifndef XVTEP_VERSION
#error "XVTEP_VERSION is not set (the Makefile sets it from VERSION)"
#endif

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
		"         -b, -batch FILE  run the commands of FILE (\"-\" = stdin), one per line\n"
		"         -V, --version  print the version and exit\n"
		"OBJECT := { vni | port | fdb | stats | mirror | peer | save | metrics | monitor | help }\n\n");
	usage_vni(f);
	usage_port(f);
	usage_fdb(f);
	usage_stats(f);
	usage_mirror(f);
	usage_peer(f);
	usage_save(f);
	usage_metrics(f);
	usage_monitor(f);
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

/*
 * After a command that wrote to xvtep_vnis or the FDB (ctl.dirty): make the
 * dataplane refill its cached copies of them (bpf/cache.h), even if the
 * command failed halfway. Refused commands wrote nothing and bump nothing.
 */
static int ctl_written(int ret)
{
	if (!ctl.dirty)
		return ret;
	ctl.dirty = false;
	return xv_gen_bump(ctl.maps.gen) ? -1 : ret;
}

static const char *batch_file;
static bool pin_given;

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
			if (pin_given)
				return dup_kw(a);
			pin_given = true;
			ctl.pin = argv[++i];
			if (!ctl.pin[0])
				return xv_arg_err(a, "empty pin directory");
		} else if (!strncmp(a, "--pin=", 6)) {
			if (pin_given)
				return dup_kw(a);
			pin_given = true;
			ctl.pin = a + 6;
			if (!ctl.pin[0])
				return xv_arg_err(a, "empty pin directory");
		} else if (is_kw(a, "-b") || is_kw(a, "-batch") || is_kw(a, "--batch")) {
			if (i + 1 >= argc)
				return xv_arg_err(a, "missing value");
			if (batch_file)
				return dup_kw(a);
			batch_file = argv[++i];
			if (!batch_file[0])
				return xv_arg_err(a, "empty file name");
		} else if (is_kw(a, "-n") || is_kw(a, "--netns") || is_kw(a, "-netns")) {
			if (i + 1 >= argc)
				return xv_arg_err(a, "missing value");
			if (ctl.netns)
				return dup_kw(a);
			ctl.netns = argv[++i];
		} else if (is_kw(a, "-h") || is_kw(a, "--help")) {
			argv[out++] = argv[i];
		} else if (is_kw(a, "-V") || is_kw(a, "--version")) {
			printf("xvtepctl (xvtep) %s, ABI %d\n", XVTEP_VERSION, XVTEP_ABI_VERSION);
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

static int dispatch(int argc, char **argv)
{
	const char *obj = argv[0];

	argc--;
	argv++;
	if (is_kw(obj, "vni"))
		return do_vni(argc, argv);
	if (is_kw(obj, "port"))
		return do_port(argc, argv);
	if (is_kw(obj, "fdb"))
		return do_fdb(argc, argv);
	if (is_kw(obj, "stats") || is_kw(obj, "statistics"))
		return do_stats(argc, argv);
	if (is_kw(obj, "mirror"))
		return do_mirror(argc, argv);
	if (is_kw(obj, "peer"))
		return do_peer(argc, argv);
	if (is_kw(obj, "save"))
		return do_save(argc, argv);
	if (is_kw(obj, "metrics"))
		return do_metrics(argc, argv);
	if (is_kw(obj, "monitor"))
		return do_monitor(argc, argv);
	return xv_arg_err(obj, "unknown object, expected vni, port, fdb, stats, mirror, peer, save, "
			  "metrics, monitor or help");
}

/* ---- batch ---- */

struct bline {
	int no;			/* line number in the file */
	int argc;
	char **argv;		/* into the line's own buffer */
	char *buf;
};

/* Split LINE in place: blanks separate words, "..." and '...' quote, # starts a comment. */
static int split_line(char *line, struct bline *bl)
{
	size_t cap = 8;
	char *p = line, *out;

	bl->argc = 0;
	bl->argv = malloc(cap * sizeof(*bl->argv));
	if (!bl->argv)
		return xv_err("out of memory");
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p || *p == '#')
			break;
		if ((size_t)bl->argc + 1 >= cap) {
			char **t = realloc(bl->argv, (cap *= 2) * sizeof(*t));

			if (!t)
				return xv_err("out of memory");
			bl->argv = t;
		}
		bl->argv[bl->argc++] = out = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
			if (*p == '"' || *p == '\'') {
				char q = *p++;

				while (*p && *p != q)
					*out++ = *p++;
				if (!*p)
					return xv_err("unterminated quote");
				p++;
			} else {
				*out++ = *p++;
			}
		}
		if (*p)
			p++;
		*out = '\0';
	}
	bl->argv[bl->argc] = NULL;
	return 0;
}

static bool is_fdb_add(const struct bline *bl)
{
	return bl->argc >= 2 && is_kw(bl->argv[0], "fdb") && is_kw(bl->argv[1], "add");
}

/*
 * Semantics (also in xvtepctl(8), BATCH):
 *  1. The whole file is read and every `fdb add` line parsed before anything
 *     runs: a syntax error anywhere writes nothing.
 *  2. Lines run in order; the first failing line stops the run (exit 1) and
 *     the lines before it stay applied, as with `ip -batch`.
 *  3. A run of consecutive `fdb add` lines is one all-or-nothing step: all of
 *     it is checked against the maps, then written with batch updates; if any
 *     line of the run is refused, none of the run is written.
 * Every error names its line: "Error: line N: ...".
 */
static int run_batch(const char *file)
{
	struct bline *lines = NULL;
	struct fdb_add_req *reqs = NULL;
	size_t nl = 0, capl = 0, nreq = 0, i, j, k;
	FILE *f = stdin;
	char *buf = NULL;
	size_t bufsz = 0;
	ssize_t len;
	int no = 0, ret = -1;

	if (strcmp(file, "-")) {
		f = fopen(file, "r");
		if (!f)
			return xv_err_errno(errno, "cannot open batch file %s", file);
	}
	while ((len = getline(&buf, &bufsz, f)) >= 0) {
		struct bline bl = { .no = ++no };

		if ((size_t)len != strlen(buf)) {
			xv_err_line = no;
			xv_err("NUL byte in the line");
			goto out;
		}
		bl.buf = buf;
		buf = NULL;
		bufsz = 0;
		xv_err_line = no;
		if (split_line(bl.buf, &bl)) {
			free(bl.argv);
			free(bl.buf);
			goto out;
		}
		if (!bl.argc) {
			free(bl.argv);
			free(bl.buf);
			continue;
		}
		if (nl == capl) {
			struct bline *t = realloc(lines, (capl = capl ? capl * 2 : 256) * sizeof(*t));

			if (!t) {
				free(bl.argv);
				free(bl.buf);
				xv_err("out of memory");
				goto out;
			}
			lines = t;
		}
		lines[nl++] = bl;
	}
	xv_err_line = 0;
	if (ferror(f)) {
		xv_err_errno(errno, "reading batch file %s", file);
		goto out;
	}

	/* Pass 1: every fdb add parsed up front; objects known. */
	for (i = 0; i < nl; i++)
		nreq += is_fdb_add(&lines[i]);
	if (nreq && !(reqs = calloc(nreq, sizeof(*reqs)))) {
		xv_err("out of memory");
		goto out;
	}
	for (i = 0, k = 0; i < nl; i++) {
		struct bline *bl = &lines[i];
		const char *o = bl->argv[0];

		xv_err_line = bl->no;
		if (!is_kw(o, "vni") && !is_kw(o, "port") && !is_kw(o, "fdb") && !is_kw(o, "stats") &&
		    !is_kw(o, "statistics") && !is_kw(o, "mirror") && !is_kw(o, "peer")) {
			xv_arg_err(o, "unknown object, expected vni, port, fdb, stats, mirror or peer");
			goto out;
		}
		if (is_fdb_add(bl)) {
			if (fdb_add_parse(bl->argc - 2, bl->argv + 2, &reqs[k]))
				goto out;
			reqs[k++].line = bl->no;
		}
	}

	/* Pass 2: run. */
	for (i = 0, k = 0; i < nl; i = j) {
		struct bline *bl = &lines[i];

		xv_err_line = bl->no;
		if (is_fdb_add(bl)) {
			for (j = i; j < nl && is_fdb_add(&lines[j]); j++)
				;
			if (ctl_written(fdb_add_many(reqs + k, j - i)))
				goto out;
			k += j - i;
			continue;
		}
		j = i + 1;
		ctl.cmdline = bl->buf;
		if (ctl_written(dispatch(bl->argc, bl->argv)))
			goto out;
	}
	ret = 0;
out:
	xv_err_line = 0;
	for (i = 0; i < nl; i++) {
		free(lines[i].argv);
		free(lines[i].buf);
	}
	free(lines);
	free(reqs);
	free(buf);
	if (f != stdin)
		fclose(f);
	return ret;
}

int main(int argc, char **argv)
{
	const char *obj;
	int ret;

	ctl.cmdline = join_args(argc, argv);
	if (parse_globals(&argc, argv))
		return 1;
	if (batch_file && argc > 1) {
		xv_arg_err(argv[1], "no command allowed with -batch FILE");
		return 1;
	}
	if (argc < 2 && !batch_file) {
		xv_err("OBJECT is missing");
		usage(stderr);
		return 1;
	}
	obj = argv[1];
	if (!batch_file && is_help(obj)) {
		usage(stdout);
		return 0;
	}
	/* Devices are resolved in the target netns, so enter it before anything else. */
	if (ctl.netns && xv_enter_netns(ctl.netns))
		return 1;

	ret = batch_file ? run_batch(batch_file) : ctl_written(dispatch(argc - 1, argv + 1));

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
