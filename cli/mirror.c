// SPDX-License-Identifier: GPL-2.0
/*
 * xvtepctl mirror add|del|show: port mirroring sessions (SPAN, RSPAN, ERSPAN).
 *
 * A session lives in one slot of xvtep_mirrors; its sources are bits in
 * xvtep_ports (ports) or xvtep_upmirror (uplink). The dataplane copies a
 * frame as soon as a bit is set, so the session is complete before any bit
 * appears (add), and every bit is gone before the slot is freed (del).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli.h"

#define VLAN_MAX	4094
#define SESSION_MAX	1023
#define INDEX_MAX	0xfffffU
#define HWID_MAX	63
#define TRUNC_MIN	14	/* an Ethernet header */
#define TRUNC_MAX	65535

static const char *const kind_names[] = {
	[XVTEP_MIRROR_SPAN] = "span",
	[XVTEP_MIRROR_RSPAN] = "rspan",
	[XVTEP_MIRROR_ERSPAN] = "erspan",
};

static const char *const dir_names[] = {
	[XVTEP_MIRROR_DIR_RX] = "rx",
	[XVTEP_MIRROR_DIR_TX] = "tx",
	[XVTEP_MIRROR_DIR_RX | XVTEP_MIRROR_DIR_TX] = "both",
};

void usage_mirror(FILE *f)
{
	fprintf(f,
		"       xvtepctl mirror add ID src DEV[,DEV...] [dir rx|tx|both]\n"
		"                ( span dev DEV | rspan dev DEV vlan VID |\n"
		"                  erspan remote ADDR [version 2|3] [session SID] [index N] [hwid N] )\n"
		"                [truncate BYTES] [rate PPS [burst N]]\n"
		"       xvtepctl mirror replace ID [mirror add options]\n"
		"       xvtepctl mirror set ID rate PPS [burst N]\n"
		"       xvtepctl mirror del ID\n"
		"       xvtepctl mirror show [ID]\n");
}

/* ---- maps ---- */

static int mirrors_fd = -1, mstats_fd = -1, upmirror_fd = -1, mrate_fd = -1;

/* The rate limits: opened only by the commands that use them. */
static int mrate_open(void)
{
	if (mrate_fd < 0)
		mrate_fd = xv_map_open_checked(ctl.pin, XVTEP_MAP_MRATE, 4,
					       sizeof(struct xvtep_mirror_rate));
	return mrate_fd < 0 ? -1 : 0;
}

/* A fresh bucket: last_ns 0 makes the first copy find it full. */
static int mrate_write(__u32 slot, __u32 rate, __u32 burst)
{
	struct xvtep_mirror_rate r = { .rate = rate, .burst = burst };

	if (bpf_map_update_elem(mrate_fd, &slot, &r, BPF_ANY))
		return xv_err_errno(errno, "cannot write %s[%u]", XVTEP_MAP_MRATE, slot);
	return 0;
}

static __u32 default_burst(__u32 rate)
{
	__u32 b = rate / XVTEP_MIRROR_BURST_DIV;

	return b ? b : 1;
}

static int mirror_maps_open(void)
{
	if (mirrors_fd >= 0)
		return 0;
	mirrors_fd = xv_map_open_checked(ctl.pin, XVTEP_MAP_MIRRORS, 4, sizeof(struct xvtep_mirror));
	if (mirrors_fd < 0)
		return -1;
	mstats_fd = xv_map_open_checked(ctl.pin, XVTEP_MAP_MSTATS, 4,
					sizeof(struct xvtep_mirror_stats));
	if (mstats_fd < 0)
		return -1;
	upmirror_fd = xv_map_open_checked(ctl.pin, XVTEP_MAP_UPMIRROR, 4,
					  sizeof(struct xvtep_upmirror));
	return upmirror_fd < 0 ? -1 : 0;
}

void mirror_maps_close(void)
{
	int *fds[] = { &mirrors_fd, &mstats_fd, &upmirror_fd, &mrate_fd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* Every slot, as read now (a free slot has id 0). */
static int read_slots(struct xvtep_mirror slots[XVTEP_MAX_MIRRORS])
{
	for (__u32 slot = 0; slot < XVTEP_MAX_MIRRORS; slot++)
		if (bpf_map_lookup_elem(mirrors_fd, &slot, &slots[slot]))
			return xv_err_errno(errno, "cannot read %s[%u]", XVTEP_MAP_MIRRORS, slot);
	return 0;
}

static int slot_of_id(const struct xvtep_mirror slots[XVTEP_MAX_MIRRORS], __u32 id)
{
	for (int slot = 0; slot < XVTEP_MAX_MIRRORS; slot++)
		if (slots[slot].id == id)
			return slot;
	return -1;
}

static int read_mstats(__u32 slot, struct xvtep_mirror_stats *out)
{
	return xv_percpu_sum(mstats_fd, &slot, out, sizeof(*out));
}

/* Counters of a reused slot must start from zero, on every CPU. */
static int zero_mstats(__u32 slot)
{
	int ncpu = libbpf_num_possible_cpus();
	struct xvtep_mirror_stats *zero;
	int err = 0;

	if (ncpu <= 0)
		return -EINVAL;
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(mstats_fd, &slot, zero, BPF_ANY))
		err = -errno;
	free(zero);
	return err;
}

/* Make the bits of SLOT on source IFINDEX say DIR (0: clear them). */
static int source_bits(__u32 ifindex, __u32 uplink, __u32 slot, __u8 dir)
{
	__u32 bit = 1U << slot, key = 0;
	__u32 *rx, *tx;
	struct xvtep_upmirror um;
	struct xvtep_port port;
	bool up = ifindex == uplink;

	if (up ? bpf_map_lookup_elem(upmirror_fd, &key, &um) :
		 bpf_map_lookup_elem(ctl.maps.ports, &ifindex, &port))
		return -errno;
	rx = up ? &um.mirror_rx : &port.mirror_rx;
	tx = up ? &um.mirror_tx : &port.mirror_tx;
	*rx = dir & XVTEP_MIRROR_DIR_RX ? *rx | bit : *rx & ~bit;
	*tx = dir & XVTEP_MIRROR_DIR_TX ? *tx | bit : *tx & ~bit;
	/* Ports: the CLI holds the pin-dir lock and the dataplane never writes this map. */
	if (up ? bpf_map_update_elem(upmirror_fd, &key, &um, BPF_ANY) :
		 bpf_map_update_elem(ctl.maps.ports, &ifindex, &port, BPF_EXIST))
		return -errno;
	/* A tx source must not be reached by XDP, which bypasses TC egress. */
	if (!up)
		return xv_devmap_sync(&ctl.maps, ifindex);
	return 0;
}

/* Clear SLOT's bit everywhere, whatever the session's source list says. */
static int clear_slot_bits(__u32 slot, __u32 uplink)
{
	__u32 *keys;
	size_t n;
	int ret = 0, err;

	if (map_keys_u32(ctl.maps.ports, &keys, &n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		err = source_bits(keys[i], uplink, slot, 0);
		if (err && err != -ENOENT)	/* port deleted meanwhile */
			ret = xv_err_errno(err, "cannot update port %s", ifname(keys[i]));
	}
	free(keys);
	err = source_bits(uplink, uplink, slot, 0);
	if (err)
		ret = xv_err_errno(err, "cannot update %s", XVTEP_MAP_UPMIRROR);
	return ret;
}

/* ---- audit ---- */

static void audit(int ret)
{
	openlog("xvtepctl", LOG_PID, LOG_AUTHPRIV);
	syslog(LOG_AUTHPRIV | LOG_NOTICE, "uid %u: %s: %s", (unsigned)getuid(), ctl.cmdline,
	       ret ? "refused" : "done");
	closelog();
}

/* ---- add ---- */

struct mirror_req {
	const char *id_arg;
	const char *src_arg, *dir_arg, *kind_arg, *dev_arg, *vlan_arg, *remote_arg;
	const char *version_arg, *session_arg, *index_arg, *hwid_arg, *trunc_arg;
	const char *rate_arg, *burst_arg;
	__u32 rate, burst;
	char *src_names[XVTEP_MIRROR_MAX_SRCS + 1];
	int nr_src;
	struct xvtep_mirror m;
};

/* Keyword value once: records it in *slot, refusing a repeat. */
static int kw_once(int argc, char **argv, int *i, const char **slot)
{
	const char *kw = argv[*i];

	if (*slot)
		return dup_kw(kw);
	*slot = kw_value(argc, argv, i);
	return *slot ? 0 : -1;
}

/* rate PPS [burst N]: copies per second per session, 0 = unlimited. */
static int parse_rate(struct mirror_req *r)
{
	r->rate = r->burst = 0;
	if (r->burst_arg && !r->rate_arg)
		return xv_arg_err(r->burst_arg, "\"burst\" needs \"rate PPS\"");
	if (r->rate_arg && xv_parse_u32(r->rate_arg, 0, 1000000000U, &r->rate))
		return xv_arg_err(r->rate_arg, "rate must be a number of copies per second "
				  "in 0..1000000000 (0 = unlimited)");
	if (r->burst_arg && (xv_parse_u32(r->burst_arg, 1, 1000000000U, &r->burst) || !r->rate))
		return xv_arg_err(r->burst_arg, "burst must be a number of copies in "
				  "1..1000000000, with a non-zero rate");
	if (r->rate && !r->burst)
		r->burst = default_burst(r->rate);
	return 0;
}

/* Syntax and ranges: everything that needs no map. */
static int parse_add(int argc, char **argv, struct mirror_req *r, char *srcbuf, size_t srclen)
{
	struct xvtep_mirror *m = &r->m;
	__u32 v;
	int i;

	if (argc < 1)
		return xv_arg_err("add", "session ID is missing");
	r->id_arg = argv[0];
	if (xv_parse_u32(argv[0], 1, 65535, &m->id))
		return xv_arg_err(argv[0], "session ID must be a number in 1..65535");

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int err;

		if (is_kw(a, "src") || is_kw(a, "source"))
			err = kw_once(argc, argv, &i, &r->src_arg);
		else if (is_kw(a, "dir") || is_kw(a, "direction"))
			err = kw_once(argc, argv, &i, &r->dir_arg);
		else if (is_kw(a, "span") || is_kw(a, "rspan") || is_kw(a, "erspan")) {
			if (r->kind_arg)
				return xv_arg_err(a, "session type given twice (already \"%s\")",
						  r->kind_arg);
			r->kind_arg = a;
			err = 0;
		} else if (is_kw(a, "dev"))
			err = kw_once(argc, argv, &i, &r->dev_arg);
		else if (is_kw(a, "vlan") || is_kw(a, "vid"))
			err = kw_once(argc, argv, &i, &r->vlan_arg);
		else if (is_kw(a, "remote"))
			err = kw_once(argc, argv, &i, &r->remote_arg);
		else if (is_kw(a, "version"))
			err = kw_once(argc, argv, &i, &r->version_arg);
		else if (is_kw(a, "session"))
			err = kw_once(argc, argv, &i, &r->session_arg);
		else if (is_kw(a, "index"))
			err = kw_once(argc, argv, &i, &r->index_arg);
		else if (is_kw(a, "hwid"))
			err = kw_once(argc, argv, &i, &r->hwid_arg);
		else if (is_kw(a, "truncate"))
			err = kw_once(argc, argv, &i, &r->trunc_arg);
		else if (is_kw(a, "rate") || is_kw(a, "burst"))
			err = kw_once(argc, argv, &i, is_kw(a, "rate") ? &r->rate_arg : &r->burst_arg);
		else
			return xv_arg_err(a, "unknown keyword");
		if (err)
			return -1;
	}
	if (parse_rate(r))
		return -1;

	if (!r->src_arg)
		return xv_arg_err(r->id_arg, "\"src DEV[,DEV...]\" is required");
	if (!r->kind_arg)
		return xv_arg_err(r->id_arg, "session type missing: span, rspan or erspan");

	/* Sources: a comma-separated list of device names. */
	if (strlen(r->src_arg) >= srclen)
		return xv_arg_err(r->src_arg, "source list too long");
	strcpy(srcbuf, r->src_arg);
	for (char *tok, *save = NULL, *p = srcbuf; (tok = strtok_r(p, ",", &save)); p = NULL) {
		if (r->nr_src == XVTEP_MIRROR_MAX_SRCS)
			return xv_arg_err(r->src_arg, "more than %d sources", XVTEP_MIRROR_MAX_SRCS);
		for (int j = 0; j < r->nr_src; j++)
			if (!strcmp(r->src_names[j], tok))
				return xv_arg_err(tok, "source given twice");
		r->src_names[r->nr_src++] = tok;
	}
	if (!r->nr_src)
		return xv_arg_err(r->src_arg, "no source device");

	m->dir = XVTEP_MIRROR_DIR_RX | XVTEP_MIRROR_DIR_TX;
	if (r->dir_arg) {
		if (is_kw(r->dir_arg, "rx") || is_kw(r->dir_arg, "in") ||
		    is_kw(r->dir_arg, "ingress"))
			m->dir = XVTEP_MIRROR_DIR_RX;
		else if (is_kw(r->dir_arg, "tx") || is_kw(r->dir_arg, "out") ||
			 is_kw(r->dir_arg, "egress"))
			m->dir = XVTEP_MIRROR_DIR_TX;
		else if (!is_kw(r->dir_arg, "both"))
			return xv_arg_err(r->dir_arg, "direction must be rx, tx or both");
	}

	m->kind = is_kw(r->kind_arg, "span") ? XVTEP_MIRROR_SPAN :
		  is_kw(r->kind_arg, "rspan") ? XVTEP_MIRROR_RSPAN : XVTEP_MIRROR_ERSPAN;
	/* Keywords of another session type are mistakes, not options to ignore. */
	if (m->kind == XVTEP_MIRROR_ERSPAN) {
		if (r->dev_arg)
			return xv_arg_err(r->dev_arg, "\"dev\" applies to span and rspan only");
		if (r->vlan_arg)
			return xv_arg_err(r->vlan_arg, "\"vlan\" applies to rspan only");
		if (!r->remote_arg)
			return xv_arg_err(r->kind_arg, "\"remote ADDR\" is required");
	} else {
		const char *bad = r->remote_arg ? r->remote_arg : r->version_arg ? r->version_arg :
				  r->session_arg ? r->session_arg : r->index_arg ? r->index_arg :
				  r->hwid_arg;

		if (bad)
			return xv_arg_err(bad, "remote, version, session, index and hwid apply "
					  "to erspan only");
		if (!r->dev_arg)
			return xv_arg_err(r->kind_arg, "\"dev DEV\" is required");
		if (m->kind == XVTEP_MIRROR_SPAN && r->vlan_arg)
			return xv_arg_err(r->vlan_arg, "\"vlan\" applies to rspan only");
		if (m->kind == XVTEP_MIRROR_RSPAN && !r->vlan_arg)
			return xv_arg_err(r->kind_arg, "\"vlan VID\" is required");
	}

	if (r->vlan_arg) {
		if (xv_parse_u32(r->vlan_arg, 1, VLAN_MAX, &v))
			return xv_arg_err(r->vlan_arg, "VLAN ID must be a number in 1..%d", VLAN_MAX);
		m->vlan = v;
	}
	if (m->kind == XVTEP_MIRROR_ERSPAN) {
		if (xv_parse_addr(r->remote_arg, &m->remote))
			return xv_arg_err(r->remote_arg, "not an IPv4 or IPv6 address");
		if (xv_addr_not_unicast(&m->remote))
			return xv_arg_err(r->remote_arg, xvtep_addr_is_v4(&m->remote) ||
					  xvtep_addr_is_zero(&m->remote) ?
					  "the collector must be a unicast address" :
					  "the collector must be a global or unique-local unicast address");
		m->erspan_version = 2;
		if (r->version_arg) {
			if (xv_parse_u32(r->version_arg, 2, 3, &v))
				return xv_arg_err(r->version_arg, "ERSPAN version must be 2 "
						  "(Type II) or 3 (Type III)");
			m->erspan_version = v;
		}
		m->session = 1;
		if (r->session_arg) {
			if (xv_parse_u32(r->session_arg, 0, SESSION_MAX, &v))
				return xv_arg_err(r->session_arg, "ERSPAN session ID must be a "
						  "number in 0..%d", SESSION_MAX);
			m->session = v;
		}
		if (r->index_arg && xv_parse_u32(r->index_arg, 0, INDEX_MAX, &m->index))
			return xv_arg_err(r->index_arg, "ERSPAN index must be a number in "
					  "0..0x%X (20 bits)", INDEX_MAX);
		if (r->hwid_arg && xv_parse_u32(r->hwid_arg, 0, HWID_MAX, &m->hwid))
			return xv_arg_err(r->hwid_arg, "ERSPAN hardware ID must be a number in "
					  "0..%d (6 bits)", HWID_MAX);
	}
	if (r->trunc_arg && xv_parse_u32(r->trunc_arg, TRUNC_MIN, TRUNC_MAX, &m->truncate))
		return xv_arg_err(r->trunc_arg, "truncate must be a number of bytes in %d..%d "
				  "(at least an Ethernet header)", TRUNC_MIN, TRUNC_MAX);
	return 0;
}

static bool is_mirror_dev(const char *dev)
{
	return !strcmp(dev, XVTEP_MIRROR_DEV) || !strcmp(dev, XVTEP_MIRROR_PEER);
}

/* Sources and destination device of R to ifindexes, checked against the maps. */
static int resolve_devs(struct mirror_req *r, const struct xvtep_meta *meta)
{
	struct xvtep_mirror *m = &r->m;
	struct xvtep_port port;

	for (int i = 0; i < r->nr_src; i++) {
		const char *name = r->src_names[i];
		__u32 ifindex = ifindex_of(name, false);

		if (!ifindex)
			return xv_arg_err(name, "no such device");
		for (int j = 0; j < i; j++)
			if (m->sources[j] == ifindex)
				return xv_arg_err(name, "source given twice (same device as \"%s\")",
						  r->src_names[j]);
		if (ifindex != meta->uplink_ifindex &&
		    bpf_map_lookup_elem(ctl.maps.ports, &ifindex, &port))
			return xv_arg_err(name, "not an xvtep port or the uplink (only those can "
					  "be mirrored)");
		m->sources[m->nr_sources++] = ifindex;
	}

	if (r->dev_arg) {
		m->dest_ifindex = ifindex_of(r->dev_arg, false);
		if (!m->dest_ifindex)
			return xv_arg_err(r->dev_arg, "no such device");
		for (__u32 i = 0; i < m->nr_sources; i++)
			if (m->sources[i] == m->dest_ifindex)
				return xv_arg_err(r->dev_arg, "the destination is also a source of the "
						  "session (it would mirror its own copies)");
		if (is_mirror_dev(r->dev_arg))
			return xv_arg_err(r->dev_arg, "xvtep's own mirror device cannot be a "
					  "destination");
	}
	return 0;
}

static bool has_source(const struct xvtep_mirror *m, __u32 ifindex)
{
	for (__u32 i = 0; i < m->nr_sources && i < XVTEP_MIRROR_MAX_SRCS; i++)
		if (m->sources[i] == ifindex)
			return true;
	return false;
}

/*
 * Session R in place of *OLD in SLOT: the rate only if it changed (a new
 * bucket), the session, then the sources' bits; counters and the GRE
 * sequence stay. Sources that leave may send a last copy to the new
 * destination while their bits are being cleared.
 */
static int mirror_update(const struct mirror_req *r, __u32 slot, const struct xvtep_mirror *old,
			 __u32 uplink)
{
	struct xvtep_mirror m = r->m;
	struct xvtep_mirror_rate rt;
	__u32 i;
	int err;

	if ((bpf_map_lookup_elem(mrate_fd, &slot, &rt) || rt.rate != r->rate ||
	     rt.burst != r->burst) && mrate_write(slot, r->rate, r->burst))
		return -1;
	m.seq = old->seq;
	if (!memcmp(&m, old, offsetof(struct xvtep_mirror, seq)))
		return 0;
	if (bpf_map_update_elem(mirrors_fd, &slot, &m, BPF_EXIST))
		return xv_err_errno(errno, "cannot write %s[%u]", XVTEP_MAP_MIRRORS, slot);
	err = xv_mirror_xmit_sync(&ctl.maps);
	if (err)
		fprintf(stderr, "Warning: cannot update %s: %s (copies made by XDP go "
			"through TC)\n", XVTEP_MAP_MIRROR_XMIT, strerror(-err));
	for (i = 0; i < m.nr_sources; i++) {
		err = source_bits(m.sources[i], uplink, slot, m.dir);
		if (err)
			return xv_err_errno(err, "cannot enable mirroring on %s", r->src_names[i]);
	}
	for (i = 0; i < old->nr_sources && i < XVTEP_MIRROR_MAX_SRCS; i++) {
		if (has_source(&m, old->sources[i]))
			continue;
		err = source_bits(old->sources[i], uplink, slot, 0);
		if (err && err != -ENOENT)
			return xv_err_errno(err, "cannot update %s", ifname(old->sources[i]));
	}
	return 0;
}

/* mirror add, or with REPLACE mirror replace (create, or update in place). */
static int mirror_write(int argc, char **argv, bool replace)
{
	static struct xvtep_mirror slots[XVTEP_MAX_MIRRORS];
	struct mirror_req r = {};
	struct xvtep_mirror *m = &r.m;
	struct xvtep_meta meta;
	char srcbuf[512];
	int slot, done = 0, err;

	if (parse_add(argc, argv, &r, srcbuf, sizeof(srcbuf)))
		return -1;
	if (ctl_open(true) || mirror_maps_open() || mrate_open())
		return -1;
	if (xv_read_meta(&ctl.maps, &meta))
		return xv_err("cannot read %s/%s", ctl.pin, XVTEP_MAP_META);
	/* ERSPAN leaves from the local address of the collector's family. */
	if (m->kind == XVTEP_MIRROR_ERSPAN &&
	    check_local_family(r.remote_arg, &m->remote, &meta))
		return -1;
	if (read_slots(slots))
		return -1;

	slot = slot_of_id(slots, m->id);
	if (slot >= 0 && !replace)
		return xv_arg_err(r.id_arg, "mirror session %u already exists", m->id);
	if (slot >= 0)
		return resolve_devs(&r, &meta) ? -1 :
		       mirror_update(&r, slot, &slots[slot], meta.uplink_ifindex);
	for (int s = 0; s < XVTEP_MAX_MIRRORS && slot < 0; s++)
		if (!slots[s].id)
			slot = s;
	if (slot < 0)
		return xv_arg_err(r.id_arg, "no free mirror slot (all %d sessions in use)",
				  XVTEP_MAX_MIRRORS);
	if (resolve_devs(&r, &meta))
		return -1;

	/* Counters first, then the session, then the bits that make it live. */
	err = zero_mstats(slot);
	if (err)
		return xv_err_errno(err, "cannot reset %s[%d]", XVTEP_MAP_MSTATS, slot);
	if (mrate_write(slot, r.rate, r.burst))
		return -1;
	if (bpf_map_update_elem(mirrors_fd, &(__u32){ slot }, m, BPF_ANY))
		return xv_err_errno(errno, "cannot write %s[%d]", XVTEP_MAP_MIRRORS, slot);
	/* Where XDP may send copies itself (elsewhere TC sends them): before
	 * the sources' bits, whose pair maps depend on it (xv_devmap_sync). */
	err = xv_mirror_xmit_sync(&ctl.maps);
	if (err)
		fprintf(stderr, "Warning: cannot update %s: %s (copies made by XDP go "
			"through TC)\n", XVTEP_MAP_MIRROR_XMIT, strerror(-err));
	for (; done < (int)m->nr_sources; done++) {
		err = source_bits(m->sources[done], meta.uplink_ifindex, slot, m->dir);
		if (err) {
			xv_err_errno(err, "cannot enable mirroring on %s", r.src_names[done]);
			goto undo;
		}
	}
	return 0;

undo:
	while (done-- > 0)
		source_bits(m->sources[done], meta.uplink_ifindex, slot, 0);
	memset(m, 0, sizeof(*m));
	bpf_map_update_elem(mirrors_fd, &(__u32){ slot }, m, BPF_ANY);
	return -1;
}

/* ---- set ---- */

/* Only the rate changes in place: anything else is a new session. */
static int mirror_set(int argc, char **argv)
{
	static struct xvtep_mirror slots[XVTEP_MAX_MIRRORS];
	struct mirror_req r = {};
	int slot, i;

	if (argc < 1)
		return xv_arg_err("set", "session ID is missing");
	if (xv_parse_u32(argv[0], 1, 65535, &r.m.id))
		return xv_arg_err(argv[0], "session ID must be a number in 1..65535");
	for (i = 1; i < argc; i++) {
		if (!is_kw(argv[i], "rate") && !is_kw(argv[i], "burst"))
			return xv_arg_err(argv[i], "unknown keyword (mirror set changes rate and "
					  "burst; delete and re-add the session for the rest)");
		if (kw_once(argc, argv, &i, is_kw(argv[i], "rate") ? &r.rate_arg : &r.burst_arg))
			return -1;
	}
	if (!r.rate_arg)
		return xv_arg_err(argv[0], "\"rate PPS\" is required");
	if (parse_rate(&r))
		return -1;
	if (ctl_open(true) || mirror_maps_open() || mrate_open())
		return -1;
	if (read_slots(slots))
		return -1;
	slot = slot_of_id(slots, r.m.id);
	if (slot < 0)
		return xv_arg_err(argv[0], "no mirror session %u", r.m.id);
	return mrate_write(slot, r.rate, r.burst);
}

/* ---- del ---- */

static int mirror_del(int argc, char **argv)
{
	static struct xvtep_mirror slots[XVTEP_MAX_MIRRORS];
	struct xvtep_mirror free_slot = {};
	struct xvtep_meta meta;
	__u32 id;
	int slot;

	if (argc < 1)
		return xv_arg_err("del", "session ID is missing");
	if (xv_parse_u32(argv[0], 1, 65535, &id))
		return xv_arg_err(argv[0], "session ID must be a number in 1..65535");
	if (argc > 1)
		return xv_arg_err(argv[1], "unknown keyword");
	if (ctl_open(true) || mirror_maps_open())
		return -1;
	if (xv_read_meta(&ctl.maps, &meta))
		return xv_err("cannot read %s/%s", ctl.pin, XVTEP_MAP_META);
	if (read_slots(slots))
		return -1;
	slot = slot_of_id(slots, id);
	if (slot < 0)
		return xv_arg_err(argv[0], "no mirror session %u", id);
	/* No source may point at the slot once it is free (it could be reused). */
	if (clear_slot_bits(slot, meta.uplink_ifindex))
		return xv_err("mirror session %u kept: its sources could not all be cleared", id);
	if (bpf_map_update_elem(mirrors_fd, &(__u32){ slot }, &free_slot, BPF_ANY))
		return xv_err_errno(errno, "cannot free %s[%d]", XVTEP_MAP_MIRRORS, slot);
	if (!mrate_open())
		mrate_write(slot, 0, 0);
	return 0;
}

/* ---- show ---- */

static void print_sources(const struct xvtep_mirror *m)
{
	for (__u32 i = 0; i < m->nr_sources && i < XVTEP_MIRROR_MAX_SRCS; i++)
		printf("%s%s", i ? "," : "", ifname(m->sources[i]));
}

/* The destination, truncate and rate words, as `mirror add` takes them. */
static void print_options(const struct xvtep_mirror *m, const struct xvtep_mirror_rate *rt)
{
	char ip[XV_ADDR_STRLEN];

	if (m->kind == XVTEP_MIRROR_ERSPAN) {
		xv_fmt_addr(&m->remote, ip);
		printf(" remote %s version %u session %u index %u hwid %u", ip, m->erspan_version,
		       m->session, m->index, m->hwid);
	} else {
		printf(" dev %s", ifname(m->dest_ifindex));
	}
	if (m->kind == XVTEP_MIRROR_RSPAN)
		printf(" vlan %u", m->vlan);
	if (m->truncate)
		printf(" truncate %u", m->truncate);
	if (rt->rate)
		printf(" rate %u burst %u", rt->rate, rt->burst);
}

static void show_one(struct jw *jw, const struct xvtep_mirror *m, const struct xvtep_mirror_stats *st,
		     const struct xvtep_mirror_rate *rt)
{
	const char *kind = m->kind < sizeof(kind_names) / sizeof(kind_names[0]) &&
			   kind_names[m->kind] ? kind_names[m->kind] : "?";
	const char *dir = m->dir <= 3 && dir_names[m->dir] ? dir_names[m->dir] : "?";
	__u32 nr = m->nr_sources > XVTEP_MIRROR_MAX_SRCS ? XVTEP_MIRROR_MAX_SRCS : m->nr_sources;
	bool erspan = m->kind == XVTEP_MIRROR_ERSPAN;
	char ip[XV_ADDR_STRLEN];

	xv_fmt_addr(&m->remote, ip);
	if (jw) {
		jw_start_object(jw);
		jw_uint_field(jw, "id", m->id);
		jw_array_field(jw, "sources");
		for (__u32 i = 0; i < nr; i++)
			jw_string(jw, ifname(m->sources[i]));
		jw_end_array(jw);
		jw_string_field(jw, "dir", dir);
		jw_string_field(jw, "type", kind);
		/* Every key always present; null where the type has no such field. */
		if (!erspan)
			jw_string_field(jw, "dev", ifname(m->dest_ifindex));
		else
			jw_null_field(jw, "dev");
		if (m->kind == XVTEP_MIRROR_RSPAN)
			jw_uint_field(jw, "vlan", m->vlan);
		else
			jw_null_field(jw, "vlan");
		if (erspan) {
			jw_string_field(jw, "remote", ip);
			jw_uint_field(jw, "version", m->erspan_version);
			jw_uint_field(jw, "session", m->session);
			jw_uint_field(jw, "index", m->index);
			jw_uint_field(jw, "hwid", m->hwid);
		} else {
			jw_null_field(jw, "remote");
			jw_null_field(jw, "version");
			jw_null_field(jw, "session");
			jw_null_field(jw, "index");
			jw_null_field(jw, "hwid");
		}
		jw_uint_field(jw, "truncate", m->truncate);
		jw_uint_field(jw, "rate", rt->rate);
		jw_uint_field(jw, "burst", rt->rate ? rt->burst : 0);
		jw_uint_field(jw, "packets", st->packets);
		jw_uint_field(jw, "bytes", st->bytes);
		jw_uint_field(jw, "truncated", st->truncated);
		jw_object_field(jw, "drops");
		for (int i = 0; i < XVTEP_MDROP__MAX; i++)
			jw_uint_field(jw, xvtep_mdrop_names[i], st->drops[i]);
		jw_end_object(jw);
		jw_end_object(jw);
		return;
	}

	printf("mirror %u %s src ", m->id, kind);
	print_sources(m);
	printf(" dir %s", dir);
	print_options(m, rt);
	printf("\n  packets %llu bytes %llu truncated %llu\n  drops",
	       (unsigned long long)st->packets, (unsigned long long)st->bytes,
	       (unsigned long long)st->truncated);
	for (int i = 0; i < XVTEP_MDROP__MAX; i++)
		printf(" %s %llu", xvtep_mdrop_names[i], (unsigned long long)st->drops[i]);
	printf("\n");
}

static int cmp_slot_id(const void *a, const void *b)
{
	const struct xvtep_mirror *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int mirror_show(int argc, char **argv)
{
	static struct xvtep_mirror slots[XVTEP_MAX_MIRRORS];
	struct xvtep_mirror_stats st[XVTEP_MAX_MIRRORS];
	struct xvtep_mirror_rate rt[XVTEP_MAX_MIRRORS] = {};
	struct xvtep_mirror *sorted[XVTEP_MAX_MIRRORS];
	struct jw *jw;
	__u32 want = 0;
	int n = 0, err;

	if (argc > 0 && xv_parse_u32(argv[0], 1, 65535, &want))
		return xv_arg_err(argv[0], "session ID must be a number in 1..65535");
	if (argc > 1)
		return xv_arg_err(argv[1], "unknown keyword");
	if (ctl_open(false) || mirror_maps_open() || mrate_open())
		return -1;
	if (read_slots(slots))
		return -1;
	if (want && slot_of_id(slots, want) < 0)
		return xv_arg_err(argv[0], "no mirror session %u", want);

	for (__u32 slot = 0; slot < XVTEP_MAX_MIRRORS; slot++) {
		if (!slots[slot].id || (want && slots[slot].id != want))
			continue;
		err = read_mstats(slot, &st[slot]);
		if (err)
			return xv_err_errno(err, "cannot read %s[%u]", XVTEP_MAP_MSTATS, slot);
		if (bpf_map_lookup_elem(mrate_fd, &slot, &rt[slot]))
			return xv_err_errno(errno, "cannot read %s[%u]", XVTEP_MAP_MRATE, slot);
		sorted[n++] = &slots[slot];
	}
	/* By session id: sort the pointers, the counters follow by slot. */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && cmp_slot_id(sorted[j - 1], sorted[j]) > 0; j--) {
			struct xvtep_mirror *t = sorted[j];

			sorted[j] = sorted[j - 1];
			sorted[j - 1] = t;
		}

	jw = json_open();
	if (jw)
		jw_start_array(jw);
	for (int i = 0; i < n; i++)
		show_one(jw, sorted[i], &st[sorted[i] - slots], &rt[sorted[i] - slots]);
	if (jw) {
		jw_end_array(jw);
		jw_destroy(&jw);
	}
	return 0;
}

/* ---- port del guard ---- */

static int port_users(const char *dev, __u32 ifindex, const struct xvtep_port *port)
{
	static struct xvtep_mirror slots[XVTEP_MAX_MIRRORS];
	__u32 bits = port->mirror_rx | port->mirror_tx;

	if (read_slots(slots))
		return -1;
	for (int s = 0; s < XVTEP_MAX_MIRRORS; s++) {
		const struct xvtep_mirror *m = &slots[s];
		bool src = bits & (1U << s);

		if (!m->id)
			continue;
		for (__u32 i = 0; i < m->nr_sources && i < XVTEP_MIRROR_MAX_SRCS; i++)
			src |= m->sources[i] == ifindex;
		if (src)
			return xv_err("device %s is a source of mirror session %u: delete the "
				      "session first (xvtepctl mirror del %u)", dev, m->id, m->id);
		if (m->kind != XVTEP_MIRROR_ERSPAN && m->dest_ifindex == ifindex)
			return xv_err("device %s is the destination of mirror session %u: delete "
				      "the session first (xvtepctl mirror del %u)", dev, m->id,
				      m->id);
	}
	return 0;
}

int mirror_refuse_port_del(const char *dev, __u32 ifindex, const struct xvtep_port *port)
{
	int ret = mirror_maps_open() ? -1 : port_users(dev, ifindex, port);

	mirror_maps_close();
	return ret;
}

/* The commands that change sessions leave a line in the audit log. */
static int mirror_add_cmd(int argc, char **argv)
{
	int ret = mirror_write(argc, argv, false);

	audit(ret);
	return ret;
}

static int mirror_replace_cmd(int argc, char **argv)
{
	int ret = mirror_write(argc, argv, true);

	audit(ret);
	return ret;
}

static int mirror_set_cmd(int argc, char **argv)
{
	int ret = mirror_set(argc, argv);

	audit(ret);
	return ret;
}

static int mirror_del_cmd(int argc, char **argv)
{
	int ret = mirror_del(argc, argv);

	audit(ret);
	return ret;
}

const struct cli_cmd mirror_cmds[] = {
	{ "show", mirror_show }, { "list", mirror_show }, { "ls", mirror_show },
	{ "add", mirror_add_cmd },
	{ "set", mirror_set_cmd }, { "change", mirror_set_cmd },
	{ "replace", mirror_replace_cmd },
	{ "del", mirror_del_cmd }, { "delete", mirror_del_cmd },
	{ NULL, NULL },
};

/* ---- save ---- */

/* `mirror replace` lines of every session, by id (see save.c). */
int mirror_save(void)
{
	/* the session first: cmp_slot_id() sorts these too */
	static struct saved {
		struct xvtep_mirror m;
		struct xvtep_mirror_rate rt;
	} all[XVTEP_MAX_MIRRORS];
	static struct xvtep_mirror slots[XVTEP_MAX_MIRRORS];
	int ret = -1;

	if (mirror_maps_open() || mrate_open() || read_slots(slots))
		goto out;
	for (__u32 slot = 0; slot < XVTEP_MAX_MIRRORS; slot++) {
		all[slot].m = slots[slot];
		if (bpf_map_lookup_elem(mrate_fd, &slot, &all[slot].rt))
			memset(&all[slot].rt, 0, sizeof(all[slot].rt));
	}
	qsort(all, XVTEP_MAX_MIRRORS, sizeof(all[0]), cmp_slot_id);
	for (int s = 0; s < XVTEP_MAX_MIRRORS; s++) {
		const struct xvtep_mirror *m = &all[s].m;

		if (!m->id)
			continue;
		printf("mirror replace %u src ", m->id);
		print_sources(m);
		printf(" dir %s %s", m->dir <= 3 && dir_names[m->dir] ? dir_names[m->dir] : "both",
		       kind_names[m->kind >= XVTEP_MIRROR_SPAN && m->kind <= XVTEP_MIRROR_ERSPAN ?
				  m->kind : XVTEP_MIRROR_SPAN]);
		print_options(m, &all[s].rt);
		printf("\n");
	}
	ret = 0;
out:
	mirror_maps_close();
	return ret;
}
