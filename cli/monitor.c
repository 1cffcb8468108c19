// SPDX-License-Identifier: GPL-2.0
/*
 * xvtepctl monitor: the dataplane's events as they happen, one line each
 * (like `bridge monitor fdb`), read from the xvtep_events ring buffer.
 *
 * A BPF ring buffer has one consumer position: two readers would both read,
 * and free, the same records. So one monitor per pin directory reads it,
 * holding a lock file; a second one is refused with a message that says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli.h"

#define MONITOR_NOTE_MS	1000	/* how often new suppressed/lost counts are shown */

void usage_monitor(FILE *f)
{
	fprintf(f, "       xvtepctl monitor              (events until SIGINT/SIGTERM; -j: JSON lines)\n");
}

static volatile sig_atomic_t monitor_stop;

static void on_signal(int sig)
{
	monitor_stop = 1;
}

struct monitor {
	__u64 start_ns;		/* records older than this are a backlog nobody read */
	__u64 shown;
	__u64 suppressed0, lost0;	/* the dataplane's counts when we started */
	__u64 suppressed, lost;		/* ... and the last ones shown */
	int evrate_fd;
};

const char *evq_kind_name(__u32 kind, char *buf, size_t len)
{
	if (kind < XVTEP_EV__MAX && (XVTEP_EVQ_REPORTED & (1U << kind)))
		return xvtep_event_names[kind];
	if (kind >= XVTEP_EVQ_DROP_BASE && kind - XVTEP_EVQ_DROP_BASE < XVTEP_DROP__MAX) {
		snprintf(buf, len, "drop_%s", xvtep_drop_names[kind - XVTEP_EVQ_DROP_BASE]);
		return buf;
	}
	return NULL;
}

int evrate_read(int fd, struct xvtep_evq_rate out[XVTEP_EVQ_KINDS])
{
	for (__u32 k = 0; k < XVTEP_EVQ_KINDS; k++) {
		int err = xv_percpu_sum(fd, &k, &out[k], sizeof(out[k]));

		if (err)
			return xv_err_errno(err, "cannot read %s[%u]", XVTEP_MAP_EVRATE, k);
	}
	return 0;
}

static int evrate_totals(int fd, __u64 *suppressed, __u64 *lost)
{
	struct xvtep_evq_rate r[XVTEP_EVQ_KINDS];

	if (evrate_read(fd, r))
		return -1;
	*suppressed = *lost = 0;
	for (int k = 0; k < XVTEP_EVQ_KINDS; k++) {
		*suppressed += r[k].suppressed;
		*lost += r[k].lost;
	}
	return 0;
}

/* Text: " [WORDS ]dev NAME" or " [WORDS ]remote IP" (IPv4 or IPv6); JSON:
 * KEY_dev or KEY_remote ("dev", "remote" when KEY is ""). Nothing for no place. */
static void print_place(struct jw *jw, const char *words, const char *key, __u32 ifindex,
			const union xvtep_addr *remote)
{
	char ip[XV_ADDR_STRLEN], name[24];
	bool is_remote = !xvtep_addr_is_zero(remote);
	const char *what = is_remote ? "remote" : "dev", *val;

	if (!is_remote && !ifindex)
		return;
	if (is_remote)
		xv_fmt_addr(remote, ip);
	val = is_remote ? ip : ifname(ifindex);
	if (!jw) {
		printf(" %s%s %s", words, what, val);
		return;
	}
	snprintf(name, sizeof(name), "%s%s%s", key, *key ? "_" : "", what);
	jw_string_field(jw, name, val);
}

static void print_record(const struct xvtep_evq_rec *r)
{
	static const __u8 no_mac[6];
	bool drop = r->kind >= XVTEP_EVQ_DROP_BASE;
	__u32 idx = drop ? r->kind - XVTEP_EVQ_DROP_BASE : r->kind;
	const char *name = NULL;
	bool has_mac = memcmp(r->mac, no_mac, sizeof(no_mac));
	char mac[18];
	struct jw *jw;

	if (drop && idx < XVTEP_DROP__MAX)
		name = xvtep_drop_names[idx];
	else if (!drop && idx < XVTEP_EV__MAX)
		name = xvtep_event_names[idx];
	if (!name)
		return;		/* a kind of a newer dataplane */
	xv_fmt_mac(r->mac, mac);
	jw = json_open();
	if (jw) {
		jw_start_object(jw);
		jw_uint_field(jw, "ts_ns", r->ts_ns);
		jw_string_field(jw, "event", drop ? "drop" : name);
		if (drop)
			jw_string_field(jw, "reason", name);
		jw_uint_field(jw, "vni", r->vni);
		if (has_mac)
			jw_string_field(jw, "mac", mac);
	} else {
		printf(drop ? "drop %s" : "%s", name);
		if (has_mac)
			printf(" %s", mac);
		printf(" vni %u", r->vni);
	}
	print_place(jw, "", "", r->ifindex, &r->remote);
	/* The entry's previous place: where it moved from, or where it is held. */
	if (r->kind == XVTEP_EV_MOVE_FROZEN)
		print_place(jw, "held at ", "held", r->old_ifindex, &r->old_remote);
	else
		print_place(jw, "from ", "from", r->old_ifindex, &r->old_remote);
	if (jw) {
		jw_end_object(jw);
		jw_destroy(&jw);
	} else {
		printf("\n");
	}
	fflush(stdout);
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct monitor *m = ctx;
	const struct xvtep_evq_rec *r = data;

	if (len < sizeof(*r) || r->ts_ns < m->start_ns)
		return 0;
	print_record(r);
	m->shown++;
	return 0;
}

/* What the dataplane did not report since the start, when it changed (or at the end). */
static void print_note(struct monitor *m, bool end)
{
	__u64 s, l;
	struct jw *jw;

	if (evrate_totals(m->evrate_fd, &s, &l))
		return;
	s -= m->suppressed0;
	l -= m->lost0;
	if (!end && s == m->suppressed && l == m->lost)
		return;
	m->suppressed = s;
	m->lost = l;
	jw = json_open();
	if (jw) {
		jw_start_object(jw);
		jw_string_field(jw, "event", end ? "summary" : "not_reported");
		if (end)
			jw_uint_field(jw, "shown", m->shown);
		jw_uint_field(jw, "suppressed", s);
		jw_uint_field(jw, "lost", l);
		jw_end_object(jw);
		jw_destroy(&jw);
	} else if (end) {
		printf("summary: %llu events shown, %llu suppressed by the rate limit, "
		       "%llu lost (ring full)\n", (unsigned long long)m->shown,
		       (unsigned long long)s, (unsigned long long)l);
	} else {
		printf("not reported so far: %llu suppressed by the rate limit, %llu lost "
		       "(ring full)\n", (unsigned long long)s, (unsigned long long)l);
	}
	fflush(stdout);
}

/* One reader per pin directory (see the top of this file). */
static int monitor_lock(void)
{
	char path[PATH_MAX];
	int fd = xv_pin_lock("xvtep-monitor", ctl.pin, path, sizeof(path));

	if (fd == -EWOULDBLOCK)
		xv_err("another xvtepctl monitor is reading the events of %s (lock %s is held): "
		       "each event goes to one reader only; stop that monitor first", ctl.pin, path);
	else if (fd < 0)
		xv_err_errno(fd, "cannot lock %s", path);
	return fd;	/* held until exit */
}

static int monitor_run(int events_fd, struct monitor *m)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct ring_buffer *rb;
	__u64 next_note;
	int err = 0;

	rb = ring_buffer__new(events_fd, on_record, m, NULL);
	if (!rb)
		return xv_err_errno(errno, "cannot read the ring buffer %s", XVTEP_MAP_EVENTS);
	/* No SA_RESTART: the signal ends the wait in ring_buffer__poll(). */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	next_note = xv_now_ns() + MONITOR_NOTE_MS * 1000000ULL;
	while (!monitor_stop) {
		err = ring_buffer__poll(rb, MONITOR_NOTE_MS / 4);
		if (err < 0 && err != -EINTR) {
			xv_err_errno(err, "cannot read the ring buffer %s", XVTEP_MAP_EVENTS);
			break;
		}
		err = 0;
		if (xv_now_ns() >= next_note) {
			print_note(m, false);
			next_note = xv_now_ns() + MONITOR_NOTE_MS * 1000000ULL;
		}
	}
	ring_buffer__consume(rb);	/* what arrived before the signal */
	print_note(m, true);
	ring_buffer__free(rb);
	return err ? -1 : 0;
}

int do_monitor(int argc, char **argv)
{
	struct monitor m = { .evrate_fd = -1 };
	int events_fd = -1, lock_fd = -1, ret = -1;

	if (no_args_done(argc, argv, "monitor", usage_monitor, &ret))
		return ret;
	if (ctl_open(false))
		return -1;
	events_fd = xv_map_open_checked(ctl.pin, XVTEP_MAP_EVENTS, 0, 0);
	if (events_fd < 0)
		goto cleanup;
	m.evrate_fd = xv_map_open_checked(ctl.pin, XVTEP_MAP_EVRATE, 4,
					  sizeof(struct xvtep_evq_rate));
	if (m.evrate_fd < 0)
		goto cleanup;
	lock_fd = monitor_lock();
	if (lock_fd < 0)
		goto cleanup;
	m.start_ns = xv_now_ns();
	if (evrate_totals(m.evrate_fd, &m.suppressed0, &m.lost0))
		goto cleanup;
	ret = monitor_run(events_fd, &m);
cleanup:
	if (lock_fd >= 0)
		close(lock_fd);
	if (m.evrate_fd >= 0)
		close(m.evrate_fd);
	if (events_fd >= 0)
		close(events_fd);
	return ret;
}
