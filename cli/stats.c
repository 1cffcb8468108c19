// SPDX-License-Identifier: GPL-2.0
/* xvtepctl stats [vni VNI] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

void usage_stats(FILE *f)
{
	fprintf(f, "       xvtepctl stats [vni VNI]      (VNI 0 = global counters)\n");
}

static void print_counters(const char *title, const char *const *names, const __u64 *vals, int n)
{
	int i, on_line = 0;

	printf("  %-7s", title);
	for (i = 0; i < n; i++) {
		if (on_line == 5) {	/* wrap so the lines stay readable */
			printf("\n  %-7s", "");
			on_line = 0;
		}
		printf(" %s %llu", names[i], (unsigned long long)vals[i]);
		on_line++;
	}
	printf("\n");
}

static void print_stats(struct jw *jw, __u32 vni, const struct xvtep_stats *s)
{
	int i;

	if (jw) {
		jw_start_object(jw);
		jw_uint_field(jw, "vni", vni);
		jw_uint_field(jw, "rx_packets", s->rx_packets);
		jw_uint_field(jw, "rx_bytes", s->rx_bytes);
		jw_uint_field(jw, "tx_packets", s->tx_packets);
		jw_uint_field(jw, "tx_bytes", s->tx_bytes);
		jw_uint_field(jw, "local_packets", s->local_packets);
		jw_uint_field(jw, "local_bytes", s->local_bytes);
		jw_object_field(jw, "drops");
		for (i = 0; i < XVTEP_DROP__MAX; i++)
			jw_uint_field(jw, xvtep_drop_names[i], s->drops[i]);
		jw_end_object(jw);
		jw_object_field(jw, "events");
		for (i = 0; i < XVTEP_EV__MAX; i++)
			jw_uint_field(jw, xvtep_event_names[i], s->events[i]);
		jw_end_object(jw);
		jw_end_object(jw);
		return;
	}
	printf("vni %u%s\n", vni, vni ? "" : " (global)");
	printf("  %-7s packets %llu bytes %llu\n", "rx", (unsigned long long)s->rx_packets,
	       (unsigned long long)s->rx_bytes);
	printf("  %-7s packets %llu bytes %llu\n", "tx", (unsigned long long)s->tx_packets,
	       (unsigned long long)s->tx_bytes);
	printf("  %-7s packets %llu bytes %llu\n", "local", (unsigned long long)s->local_packets,
	       (unsigned long long)s->local_bytes);
	print_counters("drops", xvtep_drop_names, s->drops, XVTEP_DROP__MAX);
	print_counters("events", xvtep_event_names, s->events, XVTEP_EV__MAX);
}

int vni_stats_read(__u32 vni, struct xvtep_stats *s, bool quiet)
{
	struct xvtep_vni v = {};
	int ret;

	if (vni && vni_get(vni, &v))
		return quiet ? -1 : xv_err("VNI %u does not exist", vni);
	if (vni && !v.stats_slot) {
		/* Counted on the global slot (see xvtep_vni.stats_slot). */
		memset(s, 0, sizeof(*s));
		return 0;
	}
	ret = xv_stats_read(ctl.maps.stats, v.stats_slot, s);
	if (!ret)
		return 0;
	return quiet ? -1 : xv_err_errno(ret, "cannot read statistics of VNI %u", vni);
}

int stats_vnis(__u32 **out, size_t *n)
{
	__u32 *vkeys = NULL, *all;
	size_t nv = 0, i;

	if (map_keys_u32(ctl.maps.vnis, &vkeys, &nv))
		return -1;
	all = malloc((nv + 1) * sizeof(*all));
	if (!all) {
		free(vkeys);
		return xv_err("out of memory");
	}
	*n = 0;
	all[(*n)++] = 0;
	for (i = 0; i < nv; i++)
		if (vkeys[i])
			all[(*n)++] = vkeys[i];
	free(vkeys);
	*out = all;
	return 0;
}

int do_stats(int argc, char **argv)
{
	struct xvtep_stats s;
	struct jw *jw;
	const char *vni_arg = NULL, *v;
	__u32 vni = 0, *all;
	size_t n = 0, i;
	int i_arg;

	if (argc > 0 && (is_kw(argv[0], "show") || is_kw(argv[0], "list"))) {
		argc--;
		argv++;
	}
	if (argc > 0 && is_help(argv[0])) {
		printf("Usage:\n");
		usage_stats(stdout);
		return 0;
	}
	for (i_arg = 0; i_arg < argc; i_arg++) {
		if (is_kw(argv[i_arg], "vni")) {
			if (vni_arg)
				return dup_kw(argv[i_arg]);
			if (!(v = kw_value(argc, argv, &i_arg)) || parse_vni_arg(v, &vni, true))
				return -1;
			vni_arg = v;
		} else {
			return xv_arg_err(argv[i_arg], "unknown keyword");
		}
	}
	if (ctl_open(false))
		return -1;

	if (vni_arg) {
		if (vni_stats_read(vni, &s, false))
			return -1;
		jw = json_open();
		if (jw)
			jw_start_array(jw);
		print_stats(jw, vni, &s);
		if (jw) {
			jw_end_array(jw);
			jw_destroy(&jw);
		}
		return 0;
	}

	if (stats_vnis(&all, &n))
		return -1;
	jw = json_open();
	if (jw)
		jw_start_array(jw);
	for (i = 0; i < n; i++) {
		if (vni_stats_read(all[i], &s, true))
			continue;	/* VNI deleted meanwhile */
		if (!jw && i)
			printf("\n");
		print_stats(jw, all[i], &s);
	}
	if (jw) {
		jw_end_array(jw);
		jw_destroy(&jw);
	}
	free(all);
	return 0;
}
