// SPDX-License-Identifier: GPL-2.0
/* xvtepctl: configure a running xvtep through its pinned maps. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
		"OBJECT := { vni | port | fdb | neigh | stats | mirror | peer | save | metrics | monitor | help }\n\n");
	usage_vni(f);
	usage_port(f);
	usage_fdb(f);
	usage_neigh(f);
	usage_stats(f);
	usage_mirror(f);
	usage_peer(f);
	usage_save(f);
	usage_metrics(f);
	usage_monitor(f);
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

static int do_help(int argc, char **argv)
{
	usage(stdout);
	return 0;
}

/* The objects, and the commands of those that have them. */
static const struct cli_obj {
	const char *name, *alias;
	const struct cli_cmd *cmds;	/* NULL: RUN takes the arguments */
	int (*run)(int argc, char **argv);
	void (*usage)(FILE *f);		/* of CMDS, for "OBJECT help" */
	const char *expected;		/* the commands, for "unknown command" */
	void (*done)(void);		/* after every command of the object */
	bool batch;			/* allowed in -batch FILE */
} objs[] = {
	{ .name = "vni", .cmds = vni_cmds, .usage = usage_vni,
	  .expected = "add, set, replace, del or show", .batch = true },
	{ .name = "port", .cmds = port_cmds, .usage = usage_port,
	  .expected = "add, set, replace, del, show or vlan", .batch = true },
	{ .name = "fdb", .cmds = fdb_cmds, .usage = usage_fdb,
	  .expected = "add, replace, del, show or flush", .batch = true },
	{ .name = "neigh", .alias = "neighbour", .cmds = neigh_cmds, .usage = usage_neigh,
	  .expected = "add, replace, del, show or flush", .batch = true },
	{ .name = "stats", .alias = "statistics", .run = do_stats, .batch = true },
	{ .name = "mirror", .cmds = mirror_cmds, .usage = usage_mirror,
	  .expected = "add, set, replace, del or show", .done = mirror_maps_close, .batch = true },
	{ .name = "peer", .cmds = peer_cmds, .usage = usage_peer,
	  .expected = "add, replace, del, flush or show", .batch = true },
	{ .name = "save", .run = do_save },
	{ .name = "metrics", .run = do_metrics },
	{ .name = "monitor", .run = do_monitor },
	{ .name = "help", .run = do_help },
};
#define NR_OBJS (int)(sizeof(objs) / sizeof(objs[0]))

/* A name WORD may stand for; entries with the same KEY are aliases of one another. */
struct cand {
	const char *name;
	int key;
};

/*
 * WORD among the N candidates, iproute2 style: an exact name wins, else a
 * prefix of exactly one (aliases count once). The candidate's index; -1
 * when nothing matches; -2 when several do (unless QUIET, an error naming
 * them is printed).
 */
static int lookup(const char *word, const struct cand *c, int n, const char *what, bool quiet)
{
	size_t len = strlen(word);
	char names[256] = "";
	int hit = -1, i;
	bool many = false;

	for (i = 0; i < n; i++)
		if (!strcmp(word, c[i].name))
			return i;
	for (i = 0; len && i < n; i++) {
		if (strncmp(word, c[i].name, len))
			continue;
		if (hit < 0)
			hit = i;
		else if (c[i].key != c[hit].key)
			many = true;
	}
	if (!many)
		return hit;
	if (quiet)
		return -2;
	for (i = 0; i < n; i++) {
		bool seen = false;

		if (strncmp(word, c[i].name, len))
			continue;
		for (int j = 0; j < i; j++)
			seen |= c[j].key == c[i].key && !strncmp(word, c[j].name, len);
		if (!seen)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 names[0] ? ", " : "", c[i].name);
	}
	xv_arg_err(word, "ambiguous %s, could be %s", what, names);
	return -2;
}

/* OBJECT's table entry; NULL with *AMBIGUOUS set when the error is printed. */
static const struct cli_obj *obj_find(const char *word, bool quiet, bool *ambiguous)
{
	struct cand c[2 * NR_OBJS];
	int n = 0, i;

	for (i = 0; i < NR_OBJS; i++) {
		c[n++] = (struct cand){ objs[i].name, i };
		if (objs[i].alias)
			c[n++] = (struct cand){ objs[i].alias, i };
	}
	i = lookup(word, c, n, "object", quiet);
	*ambiguous = i == -2;
	return i < 0 ? NULL : &objs[c[i].key];
}

/* Index of COMMAND in O's commands ("help" is one of them: -3); -1 unknown, -2 ambiguous. */
static int cmd_find(const struct cli_obj *o, const char *word, bool quiet)
{
	struct cand c[32];
	int n = 0, i;

	for (i = 0; o->cmds[i].name && n < 31; i++) {
		int key = i;

		for (int j = 0; j < i; j++)
			if (o->cmds[j].fn == o->cmds[i].fn) {
				key = j;
				break;
			}
		c[n++] = (struct cand){ o->cmds[i].name, key };
	}
	c[n++] = (struct cand){ "help", -3 };
	i = lookup(word, c, n, "command", quiet);
	return i < 0 ? i : c[i].key == -3 ? -3 : i;
}

static int run_obj(const struct cli_obj *o, int argc, char **argv)
{
	int i;

	if (!o->cmds)
		return o->run(argc, argv);
	if (argc < 1)
		return o->cmds[0].fn(0, argv);
	if (is_help(argv[0]))
		i = -3;
	else
		i = cmd_find(o, argv[0], false);
	if (i == -3) {
		printf("Usage:\n");
		o->usage(stdout);
		return 0;
	}
	if (i == -1)
		return xv_arg_err(argv[0], "unknown command, expected %s", o->expected);
	if (i < 0)
		return -1;
	return o->cmds[i].fn(argc - 1, argv + 1);
}

static int dispatch(int argc, char **argv)
{
	const struct cli_obj *o;
	bool ambiguous;
	int ret;

	o = obj_find(argv[0], false, &ambiguous);
	if (!o)
		return ambiguous ? -1 :
		       xv_arg_err(argv[0], "unknown object, expected vni, port, fdb, neigh, stats, "
				  "mirror, peer, save, metrics, monitor or help");
	ret = run_obj(o, argc - 1, argv + 1);
	if (o->done)
		o->done();
	return ret;
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
	const struct cli_obj *o;
	bool ambiguous;
	int i;

	if (bl->argc < 2 || !(o = obj_find(bl->argv[0], true, &ambiguous)) || o->run)
		return false;
	i = cmd_find(o, bl->argv[1], true);
	return o->cmds == fdb_cmds && i >= 0 && !strcmp(o->cmds[i].name, "add");
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
		const struct cli_obj *o;
		bool ambiguous;

		xv_err_line = bl->no;
		o = obj_find(bl->argv[0], false, &ambiguous);
		if (ambiguous)
			goto out;
		if (!o || !o->batch) {
			xv_arg_err(bl->argv[0], "unknown object, expected vni, port, fdb, neigh, stats, mirror or peer");
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
