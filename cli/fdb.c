// SPDX-License-Identifier: GPL-2.0
/* xvtepctl fdb add|del|show|flush */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include "cli.h"

void usage_fdb(FILE *f)
{
	fprintf(f,
		"       xvtepctl fdb add MAC vni VNI { dev DEV | remote ADDR }\n"
		"       xvtepctl fdb replace MAC vni VNI { dev DEV | remote ADDR }\n"
		"       xvtepctl fdb del MAC vni VNI\n"
		"       xvtepctl fdb show [vni VNI]\n"
		"       xvtepctl fdb flush [vni VNI] [dynamic]\n");
}

struct fdb_args {
	const char *mac_arg;
	__u8 mac[6];
	const char *vni_arg;
	__u32 vni;
	const char *dev;
	const char *remote_arg;
	union xvtep_addr remote;	/* IPv4 (mapped) or IPv6 */
	bool dynamic;
};

/* Keywords allowed per command: bit set = accepted. */
#define A_VNI		(1U << 0)
#define A_DEV		(1U << 1)
#define A_REMOTE	(1U << 2)
#define A_DYNAMIC	(1U << 3)

static int parse_fdb_args(int argc, char **argv, int i, unsigned int allowed, struct fdb_args *a)
{
	const char *v;

	for (; i < argc; i++) {
		const char *kw = argv[i];

		if ((allowed & A_VNI) && is_kw(kw, "vni")) {
			if (a->vni_arg)
				return dup_kw(kw);
			if (!(v = kw_value(argc, argv, &i)) || parse_vni_arg(v, &a->vni, false))
				return -1;
			a->vni_arg = v;
		} else if ((allowed & A_DEV) && is_kw(kw, "dev")) {
			if (a->dev)
				return dup_kw(kw);
			if (a->remote_arg)
				return xv_arg_err(kw, "conflicts with \"remote\"");
			if (!(v = kw_value(argc, argv, &i)))
				return -1;
			a->dev = v;
		} else if ((allowed & A_REMOTE) && is_kw(kw, "remote")) {
			if (a->remote_arg)
				return dup_kw(kw);
			if (a->dev)
				return xv_arg_err(kw, "conflicts with \"dev\"");
			if (!(v = kw_value(argc, argv, &i)) || parse_unicast_arg(v, &a->remote))
				return -1;
			a->remote_arg = v;
		} else if ((allowed & A_DYNAMIC) && is_kw(kw, "dynamic")) {
			if (a->dynamic)
				return dup_kw(kw);
			a->dynamic = true;
		} else {
			return xv_arg_err(kw, "unknown keyword");
		}
	}
	return 0;
}

static int parse_mac_vni(const char *cmd, int argc, char **argv, unsigned int allowed,
			 struct fdb_args *a)
{
	memset(a, 0, sizeof(*a));
	if (argc < 1)
		return xv_arg_err(cmd, "MAC address is missing");
	a->mac_arg = argv[0];
	if (parse_mac_arg(argv[0], a->mac) || parse_fdb_args(argc, argv, 1, allowed, a))
		return -1;
	if (!a->vni_arg)
		return xv_arg_err(a->mac_arg, "\"vni VNI\" is required");
	return 0;
}

/* max_entries of the FDB map, for "FDB is full (N entries)"; 0 if unknown. */
static __u32 fdb_capacity(void)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(ctl.maps.fdb, &info, &len))
		return 0;
	return info.max_entries;
}

static int fdb_full_err(void)
{
	__u32 cap = fdb_capacity();

	if (cap)
		return xv_err("FDB is full (%u entries)", cap);
	return xv_err("FDB is full");
}

/*
 * Device names of a batch repeat; resolving each once keeps 100k lines from
 * costing 100k ioctls. A name is only ever looked up in the current netns.
 */
static __u32 dev_index_cached(const char *dev)
{
	static char names[8][IF_NAMESIZE];
	static __u32 idx[8];
	static unsigned int next;
	unsigned int i;

	if (strlen(dev) >= IF_NAMESIZE)
		return 0;
	for (i = 0; i < 8; i++)
		if (idx[i] && !strcmp(names[i], dev))
			return idx[i];
	i = next++ % 8;
	idx[i] = ifindex_of(dev, false);
	strcpy(names[i], dev);
	return idx[i];
}

int fdb_add_parse(int argc, char **argv, struct fdb_add_req *r)
{
	struct fdb_args a;

	memset(r, 0, sizeof(*r));
	if (parse_mac_vni("add", argc, argv, A_VNI | A_DEV | A_REMOTE, &a))
		return -1;
	if (!a.dev && !a.remote_arg)
		return xv_arg_err(a.mac_arg, "\"dev DEV\" or \"remote ADDR\" is required");
	r->key.vni = a.vni;
	memcpy(r->key.mac, a.mac, 6);
	r->dev = a.dev;
	r->remote_arg = a.remote_arg;
	if (a.dev) {
		r->ent.ifindex = dev_index_cached(a.dev);
		if (!r->ent.ifindex)
			return xv_arg_err(a.dev, "no such device");
		r->ent.flags = XVTEP_FDB_F_STATIC;
	} else {
		r->ent.remote = a.remote;
		r->ent.flags = XVTEP_FDB_F_STATIC | XVTEP_FDB_F_REMOTE;
	}
	return 0;
}

/*
 * What one check run already looked up: a batch names few VNIs and ports but
 * checks them 100k times. Zeroed per run (0 is never a VNI or an ifindex), as
 * commands between two runs of a batch may delete VNIs or ports.
 */
struct add_cache {
	__u32 vni_ok[64];
	__u32 port_key[64], port_vni[64];
};

/* Map-dependent checks of one parsed add: VNI, port membership, local address. */
static int fdb_add_check(const struct fdb_add_req *r, const struct xvtep_meta *meta,
			 struct add_cache *c)
{
	struct xvtep_port port;
	struct xvtep_vni v;
	__u32 vni = r->key.vni, ifx = r->ent.ifindex;

	if (c->vni_ok[vni % 64] != vni) {
		if (vni_get(vni, &v))
			return xv_err("VNI %u does not exist", vni);
		c->vni_ok[vni % 64] = vni;
	}
	if (r->dev) {
		if (c->port_key[ifx % 64] != ifx) {
			if (bpf_map_lookup_elem(ctl.maps.ports, &ifx, &port))
				return xv_arg_err(r->dev, "not a port of VNI %u", vni);
			c->port_key[ifx % 64] = ifx;
			c->port_vni[ifx % 64] = port.vni;
		}
		if (c->port_vni[ifx % 64] != vni)
			return xv_arg_err(r->dev, "not a port of VNI %u", vni);
	} else if (is_local_vtep(&r->ent.remote, meta)) {
		return xv_arg_err(r->remote_arg, "this is the local VTEP address");
	} else if (check_local_family(r->remote_arg, &r->ent.remote, meta)) {
		return -1;
	}
	return 0;
}

/* The same static entry: a replace with nothing to change writes nothing. */
static bool fdb_same(const struct xvtep_fdb_entry *a, const struct xvtep_fdb_entry *b)
{
	return a->flags == b->flags && a->ifindex == b->ifindex &&
	       xvtep_addr_equal(&a->remote, &b->remote);
}

/* fdb add, or with REPLACE fdb replace: a static entry takes the place of any other. */
static int fdb_write(int argc, char **argv, bool replace)
{
	struct xvtep_fdb_entry cur;
	struct add_cache cache = {};
	struct xvtep_meta meta;
	struct fdb_add_req r;
	char mac[18];
	int tries;

	if (fdb_add_parse(argc, argv, &r) || ctl_open(true))
		return -1;
	if (fdb_add_check(&r, xv_read_meta(&ctl.maps, &meta) ? NULL : &meta, &cache))
		return -1;
	xv_fmt_mac(r.key.mac, mac);

	/* Twice: the dataplane may learn the MAC between our lookup and our insert. */
	for (tries = 0; tries < 2; tries++) {
		bool exists = !bpf_map_lookup_elem(ctl.maps.fdb, &r.key, &cur);

		if (exists && (cur.flags & XVTEP_FDB_F_STATIC)) {
			if (!replace)
				return xv_err("static FDB entry %s vni %u already exists", mac,
					      r.key.vni);
			if (fdb_same(&cur, &r.ent))
				return 0;
		}
		r.ent.updated_ns = xv_now_ns();
		ctl.dirty = true;
		if (!bpf_map_update_elem(ctl.maps.fdb, &r.key, &r.ent,
					 exists ? BPF_EXIST : BPF_NOEXIST)) {
			/* A static entry took the dynamic one's place: it no longer counts as learned. */
			if (exists && !(cur.flags & XVTEP_FDB_F_STATIC))
				learned_sub(r.key.vni, 1);
			if (r.ent.flags & XVTEP_FDB_F_REMOTE)
				neigh_ensure(&r.ent.remote, 1);
			if (exists && (cur.flags & XVTEP_FDB_F_REMOTE))
				neigh_release_unused();
			return 0;
		}
		if (errno == E2BIG)
			return fdb_full_err();
		if (errno != EEXIST && errno != ENOENT)
			break;
	}
	return xv_err_errno(errno, "cannot add FDB entry %s vni %u", mac, r.key.vni);
}

/* ---- batch add ---- */

static struct fdb_add_req *sort_base;

/* By key, then by line: a repeated key is found next to its first occurrence. */
static int cmp_req_idx(const void *a, const void *b)
{
	const struct fdb_add_req *x = &sort_base[*(const size_t *)a];
	const struct fdb_add_req *y = &sort_base[*(const size_t *)b];
	int c;

	if (x->key.vni != y->key.vni)
		return x->key.vni < y->key.vni ? -1 : 1;
	c = memcmp(x->key.mac, y->key.mac, 6);
	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Undo a failed batch: delete the new keys, put back the learned entries replaced so far
 * (or delete them where they had aged out and were inserted afresh). */
static void batch_rollback(const struct xvtep_fdb_key *keys, __u32 nkeys,
			   const struct fdb_add_req *r, const size_t *ow, const bool *fresh,
			   size_t ow_done, const struct xvtep_fdb_entry *old)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 cnt = nkeys, i;

	ctl.dirty = true;
	if (nkeys && bpf_map_delete_batch(ctl.maps.fdb, keys, &cnt, &opts))
		for (i = cnt; i < nkeys; i++)	/* the rest one by one */
			bpf_map_delete_elem(ctl.maps.fdb, &keys[i]);
	for (i = 0; i < ow_done; i++) {
		if (fresh[i])
			bpf_map_delete_elem(ctl.maps.fdb, &r[ow[i]].key);
		else
			bpf_map_update_elem(ctl.maps.fdb, &r[ow[i]].key, &old[i], BPF_EXIST);
	}
}

/*
 * Add N static entries all-or-nothing: everything is checked before the first
 * write (VNIs, ports, duplicates, existing static entries, room in the map),
 * new keys go in with bpf_map_update_batch, and a write failure removes what
 * was written. Entries that replace learned ones are written one by one
 * (BPF_EXIST) so that the learned count is lowered exactly for them.
 */
int fdb_add_many(struct fdb_add_req *r, size_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct xvtep_fdb_key *keys = NULL;
	struct xvtep_fdb_entry *vals = NULL, *old = NULL, cur;
	struct xvtep_meta meta;
	const struct xvtep_meta *mp;
	struct fdb_rec *all = NULL;
	struct add_cache *cache = NULL;
	size_t *idx = NULL, *ow = NULL, nall, i, now = 0, ow_done = 0;
	bool *fresh = NULL;
	__u32 nnew = 0, cnt, done, cap;
	__u64 ts;
	char mac[18];
	int ret = -1, line = xv_err_line;

	if (!n)
		return 0;
	if (ctl_open(true))
		return -1;
	mp = xv_read_meta(&ctl.maps, &meta) ? NULL : &meta;
	idx = malloc(n * sizeof(*idx));
	ow = malloc(n * sizeof(*ow));
	old = malloc(n * sizeof(*old));
	keys = malloc(n * sizeof(*keys));
	vals = malloc(n * sizeof(*vals));
	fresh = calloc(n, sizeof(*fresh));
	cache = calloc(1, sizeof(*cache));
	if (!idx || !ow || !old || !keys || !vals || !fresh || !cache) {
		xv_err("out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		xv_err_line = r[i].line;
		if (fdb_add_check(&r[i], mp, cache))
			goto out;
		idx[i] = i;
	}
	sort_base = r;
	qsort(idx, n, sizeof(*idx), cmp_req_idx);
	for (i = 1; i < n; i++) {
		const struct fdb_add_req *a = &r[idx[i - 1]], *b = &r[idx[i]];

		if (a->key.vni == b->key.vni && !memcmp(a->key.mac, b->key.mac, 6)) {
			xv_err_line = b->line;
			xv_fmt_mac(b->key.mac, mac);
			xv_err("FDB entry %s vni %u given twice (first on line %d)", mac,
			       b->key.vni, a->line);
			goto out;
		}
	}
	/* In input order, so that the first offending line is the one reported. */
	for (i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(ctl.maps.fdb, &r[i].key, &cur)) {
			keys[nnew] = r[i].key;
			vals[nnew++] = r[i].ent;
			continue;
		}
		if (cur.flags & XVTEP_FDB_F_STATIC) {
			xv_err_line = r[i].line;
			xv_fmt_mac(r[i].key.mac, mac);
			xv_err("static FDB entry %s vni %u already exists", mac, r[i].key.vni);
			goto out;
		}
		old[now] = cur;
		ow[now++] = i;
	}
	/* Room for the new keys; learning may still take some meanwhile (E2BIG below). */
	cap = fdb_capacity();
	if (fdb_dump(&all, &nall))
		goto out;
	free(all);
	if (cap && nall + nnew > cap) {
		/* Name the first line that does not fit. */
		for (i = 0, cnt = 0; i < n; i++) {
			if (cnt < nnew && !memcmp(&keys[cnt], &r[i].key, sizeof(keys[cnt])) &&
			    nall + ++cnt > cap)
				break;
		}
		xv_err_line = i < n ? r[i].line : line;
		xv_err("FDB is full (%u entries): %u new entries, %u free", cap, nnew,
		       cap > nall ? cap - (__u32)nall : 0);
		goto out;
	}
	xv_err_line = line;

	ts = xv_now_ns();
	for (i = 0; i < nnew; i++)
		vals[i].updated_ns = ts;
	ctl.dirty = true;
	for (done = 0; done < nnew; done += cnt) {
		cnt = nnew - done;
		if (bpf_map_update_batch(ctl.maps.fdb, keys + done, vals + done, &cnt, &opts)) {
			int err = errno;

			done += cnt;	/* cnt = how many of this call went in */
			batch_rollback(keys, done, r, ow, fresh, 0, old);
			if (err == E2BIG)
				fdb_full_err();
			else
				xv_err_errno(err, "cannot add FDB entries");
			goto out;
		}
	}
	for (ow_done = 0; ow_done < now; ow_done++) {
		const struct fdb_add_req *q = &r[ow[ow_done]];
		struct xvtep_fdb_entry e = q->ent;

		e.updated_ns = ts;
		if (!bpf_map_update_elem(ctl.maps.fdb, &q->key, &e, BPF_EXIST))
			continue;
		if (errno == ENOENT &&	/* aged out meanwhile: now a plain insert */
		    !bpf_map_update_elem(ctl.maps.fdb, &q->key, &e, BPF_NOEXIST)) {
			fresh[ow_done] = true;	/* nothing replaced: learned stays */
			continue;
		}
		xv_err_line = q->line;
		xv_fmt_mac(q->key.mac, mac);
		if (errno == E2BIG)
			fdb_full_err();
		else
			xv_err_errno(errno, "cannot add FDB entry %s vni %u", mac, q->key.vni);
		xv_err_line = line;
		batch_rollback(keys, nnew, r, ow, fresh, ow_done, old);
		goto out;
	}
	for (i = 0; i < now; i++)
		if (!fresh[i])
			learned_sub(r[ow[i]].key.vni, 1);
	ret = 0;
	{
		/* The distinct remotes of the batch: few, however long it is. */
		union xvtep_addr rem[64];
		size_t nr = 0, k;

		for (i = 0; i < n; i++) {
			if (!(r[i].ent.flags & XVTEP_FDB_F_REMOTE))
				continue;
			for (k = 0; k < nr && !xvtep_addr_equal(&rem[k], &r[i].ent.remote); k++)
				;
			if (k < nr)
				continue;
			if (nr == sizeof(rem) / sizeof(rem[0])) {
				neigh_ensure(rem, nr);
				nr = 0;
			}
			rem[nr++] = r[i].ent.remote;
		}
		neigh_ensure(rem, nr);
	}
out:
	if (ret)
		xv_err_line = line;
	free(idx);
	free(ow);
	free(old);
	free(keys);
	free(vals);
	free(fresh);
	free(cache);
	return ret;
}

static int fdb_del(int argc, char **argv)
{
	struct xvtep_fdb_key key = {};
	struct xvtep_fdb_entry cur;
	struct fdb_args a;

	if (parse_mac_vni("del", argc, argv, A_VNI, &a) || ctl_open(true))
		return -1;
	key.vni = a.vni;
	memcpy(key.mac, a.mac, 6);
	if (bpf_map_lookup_elem(ctl.maps.fdb, &key, &cur))
		return xv_err("FDB entry %s vni %u does not exist", a.mac_arg, a.vni);
	ctl.dirty = true;
	if (bpf_map_delete_elem(ctl.maps.fdb, &key)) {
		if (errno == ENOENT)	/* aged out just now: the sweep accounted for it */
			return 0;
		return xv_err_errno(errno, "cannot delete FDB entry %s vni %u", a.mac_arg, a.vni);
	}
	if (!(cur.flags & XVTEP_FDB_F_STATIC))
		learned_sub(a.vni, 1);
	else if (cur.flags & XVTEP_FDB_F_REMOTE)
		neigh_release_unused();
	return 0;
}

static int fdb_flush(int argc, char **argv)
{
	struct fdb_filter f = {};
	struct xvtep_vni v;
	struct fdb_args a = {};

	if (parse_fdb_args(argc, argv, 0, A_VNI | A_DYNAMIC, &a) || ctl_open(true))
		return -1;
	if (a.vni_arg && vni_get(a.vni, &v))
		return xv_err("VNI %u does not exist", a.vni);
	f.by_vni = a.vni_arg != NULL;
	f.vni = a.vni;
	f.dynamic_only = a.dynamic;
	if (fdb_remove(&f) < 0)
		return -1;
	if (!f.dynamic_only)
		neigh_release_unused();
	return 0;
}

static int fdb_show(int argc, char **argv)
{
	struct fdb_args a = {};
	struct fdb_rec *r;
	struct jw *jw;
	char mac[18], ip[XV_ADDR_STRLEN];
	size_t n, i;
	__u64 now;

	if (parse_fdb_args(argc, argv, 0, A_VNI, &a) || ctl_open(false))
		return -1;
	if (fdb_dump(&r, &n))
		return -1;
	now = xv_now_ns();
	fdb_sort(r, n);

	jw = json_open();
	if (jw)
		jw_start_array(jw);
	else
		printf("%-8s %-17s %-24s %-7s %s\n", "VNI", "MAC", "DESTINATION", "TYPE", "AGE");
	for (i = 0; i < n; i++) {
		const struct xvtep_fdb_entry *e = &r[i].val;
		bool is_static = e->flags & XVTEP_FDB_F_STATIC;
		/* Where it came from: zebra (through xvtepd), the operator, learning. */
		const char *source = (e->flags & XVTEP_FDB_F_EVPN) ? "evpn" :
				     is_static ? "static" : "learned";
		bool remote = e->flags & XVTEP_FDB_F_REMOTE;
		__u64 age = now > e->updated_ns ? (now - e->updated_ns) / 1000000000ULL : 0;
		/* Move dampening: frozen until `pad` (monotonic seconds). */
		__u64 hold = (e->flags & XVTEP_FDB_F_FROZEN) && e->pad > now / 1000000000ULL ?
			     e->pad - now / 1000000000ULL : 0;

		if (a.vni_arg && r[i].key.vni != a.vni)
			continue;
		xv_fmt_mac(r[i].key.mac, mac);
		if (remote)
			xv_fmt_addr(&e->remote, ip);
		if (jw) {
			jw_start_object(jw);
			jw_uint_field(jw, "vni", r[i].key.vni);
			jw_string_field(jw, "mac", mac);
			if (remote)
				jw_string_field(jw, "remote", ip);
			else
				jw_string_field(jw, "dev", ifname(e->ifindex));
			jw_bool_field(jw, "static", is_static);
			jw_string_field(jw, "source", source);
			jw_uint_field(jw, "age", age);
			jw_bool_field(jw, "frozen", hold > 0);
			jw_uint_field(jw, "frozen_for", hold);
			jw_end_object(jw);
		} else {
			char dest[64];

			snprintf(dest, sizeof(dest), "%s %s", remote ? "remote" : "dev",
				 remote ? ip : ifname(e->ifindex));
			printf("%-8u %-17s %-24s %-7s %llu", r[i].key.vni, mac, dest,
			       (e->flags & XVTEP_FDB_F_EVPN) ? "evpn" : is_static ? "static" : "dynamic",
			       (unsigned long long)age);
			if (hold)
				printf(" frozen %llus", (unsigned long long)hold);
			printf("\n");
		}
	}
	if (jw) {
		jw_end_array(jw);
		jw_destroy(&jw);
	}
	free(r);
	return 0;
}

static int fdb_add(int argc, char **argv)
{
	return fdb_write(argc, argv, false);
}

static int fdb_replace(int argc, char **argv)
{
	return fdb_write(argc, argv, true);
}

const struct cli_cmd fdb_cmds[] = {
	{ "show", fdb_show }, { "list", fdb_show }, { "ls", fdb_show },
	{ "add", fdb_add },
	{ "replace", fdb_replace },
	{ "del", fdb_del }, { "delete", fdb_del },
	{ "flush", fdb_flush },
	{ NULL, NULL },
};
