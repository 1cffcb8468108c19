// SPDX-License-Identifier: GPL-2.0
/*
 * progload OBJ [LOGDIR]: load every program of a BPF object alone, then the
 * whole object, into the running kernel, and print one PASS:/FAIL: line each
 * ("verifier/PROG", "verifier/all"). The loader's own load also runs the
 * verifier, but stops at the first program rejected; this names every one.
 * On failure the verifier's log goes to LOGDIR/PROG.log and its end to the
 * FAIL line. Nothing is pinned or attached; the programs go away at exit.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_SIZE (64u << 20)	/* a rejected program's level-1 log can be long */

static char *log_buf;

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

/* the last lines of the log, on one line, for the FAIL line */
static void log_tail(const char *log, char *out, size_t n)
{
	size_t len = strlen(log), i, o = 0;
	const char *p = log + len;
	int lines = 0;

	while (p > log && lines < 4)
		if (*--p == '\n' && p[1])
			lines++;
	for (i = 0; p[i] && o + 1 < n; i++)
		out[o++] = p[i] == '\n' ? ' ' : p[i];
	out[o] = 0;
}

/* load ONLY (a program name), or all when NULL; 0 or -errno */
static int load(const char *path, const char *only, __u32 level, char *buf, size_t size,
		__u32 *insns)
{
	struct bpf_object *obj;
	struct bpf_program *p;
	int err;

	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		return -errno;
	bpf_object__for_each_program(p, obj) {
		bool mine = !only || !strcmp(bpf_program__name(p), only);

		bpf_program__set_autoload(p, mine);
		if (mine && buf) {
			buf[0] = 0;
			bpf_program__set_log_buf(p, buf, size);
			bpf_program__set_log_level(p, level);
		}
	}
	err = bpf_object__load(obj);
	if (!err && only && insns) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		p = bpf_object__find_program_by_name(obj, only);
		if (p && !bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
			*insns = info.xlated_prog_len / 8;
	}
	bpf_object__close(obj);
	return err;
}

int main(int argc, char **argv)
{
	const char *path, *dir;
	struct bpf_object *obj;
	struct bpf_program *p;
	char names[64][64];
	int n = 0, failed = 0, i, err;

	if (argc < 2) {
		fprintf(stderr, "usage: %s OBJ [LOGDIR]\n", argv[0]);
		return 2;
	}
	path = argv[1];
	dir = argc > 2 ? argv[2] : NULL;
	libbpf_set_print(quiet);
	log_buf = malloc(LOG_SIZE);
	if (!log_buf)
		return 1;
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		printf("FAIL: verifier/open: %s: %s\n", path, strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(p, obj)
		if (n < 64)
			snprintf(names[n++], sizeof(names[0]), "%s", bpf_program__name(p));
	bpf_object__close(obj);

	for (i = 0; i < n; i++) {
		char stats[256] = "", tail[600], *s;
		__u32 insns = 0;

		/* BPF_LOG_STATS (4): only the totals, for the PASS line */
		err = load(path, names[i], 4, log_buf, LOG_SIZE, &insns);
		if (!err) {
			s = strstr(log_buf, "processed ");
			if (s)
				snprintf(stats, sizeof(stats), "%.*s", (int)strcspn(s, "\n"), s);
			printf("PASS: verifier/%s (%u insns; %s)\n", names[i], insns, stats);
			continue;
		}
		failed++;
		/* again with the full (level 1) log */
		load(path, names[i], 1, log_buf, LOG_SIZE, NULL);
		log_tail(log_buf, tail, sizeof(tail));
		printf("FAIL: verifier/%s: %s: %s\n", names[i], strerror(-err), tail);
		if (dir) {
			char f[4200];
			FILE *fp;

			snprintf(f, sizeof(f), "%s/%s.log", dir, names[i]);
			fp = fopen(f, "w");
			if (fp) {
				fputs(log_buf, fp);
				fclose(fp);
			}
		}
	}
	err = load(path, NULL, 0, NULL, 0, NULL);
	if (err) {
		failed++;
		printf("FAIL: verifier/all: the whole object: %s\n", strerror(-err));
	} else {
		printf("PASS: verifier/all (%d programs in one object)\n", n);
	}
	fflush(stdout);
	return failed ? 1 : 0;
}
