// SPDX-License-Identifier: GPL-2.0
/*
 * xvtepctl hardening: VTEP allow-lists (`peer` object, `vni ... peer`),
 * MAC-move dampening settings (`vni ... move-limit`), the own-MAC list
 * kept by `port add/del`.
 *
 * Allow-lists live in the LPM trie xvtep_peers; the dataplane consults it
 * only for VNIs flagged XVTEP_VNI_F_PEER_FILTER. Changes are ordered so a
 * list is never seen half-built: new prefixes go in before the flags that
 * use them, and old ones go out after the flags stop using them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "cli.h"

static int peers_fd = -1, vsec_fd = -1, ownmacs_fd = -1;

int sec_maps_open(void)
{
	if (peers_fd >= 0)
		return 0;
	peers_fd = xv_map_open_checked(ctl.pin, XVTEP_MAP_PEERS, sizeof(struct xvtep_peer_key), 4);
	if (peers_fd < 0)
		return -1;
	vsec_fd = xv_map_open_checked(ctl.pin, XVTEP_MAP_VSEC, 4, sizeof(struct xvtep_vni_sec));
	if (vsec_fd < 0)
		return -1;
	ownmacs_fd = xv_map_open_checked(ctl.pin, XVTEP_MAP_OWNMACS,
					 sizeof(struct xvtep_mac_key), 4);
	return ownmacs_fd < 0 ? -1 : 0;
}

/* ---- prefixes ---- */

int parse_peer_arg(const char *s, struct sec_prefix *p)
{
	char buf[64], *slash;
	union xvtep_addr a;

	if (strlen(s) >= sizeof(buf))
		return xv_arg_err(s, "not an IPv4 or IPv6 address or prefix");
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	if (xv_parse_addr(buf, &a))
		return xv_arg_err(s, "not an IPv4 or IPv6 address or prefix");
	/* Host bits are cleared: `show` prints the prefix that is matched. */
	if (xv_parse_prefix(s, &p->addr, &p->plen))
		return xv_arg_err(s, "prefix length must be a number in 0..%u",
				  xvtep_addr_is_v4(&a) ? 32 : 128);
	return 0;
}

void fmt_prefix(const struct sec_prefix *p, char buf[XV_PREFIX_STRLEN])
{
	xv_fmt_prefix(&p->addr, p->plen, buf);
}

/* Prefixes of list VNI (a VNI or XVTEP_PEER_DEFAULT), sorted by address then length. */
static int cmp_prefix(const void *a, const void *b)
{
	const struct sec_prefix *x = a, *y = b;

	int c = memcmp(x->addr.b, y->addr.b, 16);	/* IPv4 (mapped) first */

	if (c)
		return c < 0 ? -1 : 1;
	return (int)x->plen - (int)y->plen;
}

int peers_read(__u32 vni, struct sec_prefix *out, int max)
{
	struct xvtep_peer_key k, next;
	void *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(peers_fd, prev, &next)) {
		k = next;
		prev = &k;
		if (k.vni != vni || k.prefixlen < 32)
			continue;
		if (n < max) {
			out[n].addr = k.addr;
			out[n].plen = k.prefixlen - 32;
		}
		n++;
	}
	if (n > max)
		n = max;
	qsort(out, n, sizeof(*out), cmp_prefix);
	return n;
}

static struct xvtep_peer_key peer_key(__u32 vni, const struct sec_prefix *p)
{
	return (struct xvtep_peer_key){ .prefixlen = 32 + p->plen, .vni = vni, .addr = p->addr };
}

static bool in_list(const struct sec_prefix *p, const struct sec_prefix *l, int n)
{
	for (int i = 0; i < n; i++)
		if (xvtep_addr_equal(&l[i].addr, &p->addr) && l[i].plen == p->plen)
			return true;
	return false;
}

/* Step 1 of a list change: insert what is new. */
int peers_insert(__u32 vni, const struct sec_prefix *l, int n)
{
	__u32 zero = 0;

	for (int i = 0; i < n; i++) {
		struct xvtep_peer_key k = peer_key(vni, &l[i]);

		if (bpf_map_update_elem(peers_fd, &k, &zero, BPF_ANY))
			return errno == ENOSPC || errno == E2BIG || errno == ENOMEM ?
			       xv_err("cannot add peer prefix: allow-lists are full (%d prefixes)",
				      XVTEP_MAX_PEERS) :
			       xv_err_errno(errno, "cannot write %s", XVTEP_MAP_PEERS);
	}
	return 0;
}

/* Last step: remove what list VNI holds beyond KEEP (NULL/0 = everything). */
void peers_prune(__u32 vni, const struct sec_prefix *keep, int nkeep)
{
	static struct sec_prefix cur[XVTEP_MAX_PEERS];
	int n = peers_read(vni, cur, XVTEP_MAX_PEERS);

	for (int i = 0; i < n; i++) {
		struct xvtep_peer_key k = peer_key(vni, &cur[i]);

		if (!in_list(&cur[i], keep, nkeep) && bpf_map_delete_elem(peers_fd, &k) &&
		    errno != ENOENT)
			fprintf(stderr, "Warning: cannot remove a prefix from %s: %s\n",
				XVTEP_MAP_PEERS, strerror(errno));
	}
}

static bool default_list_used(void)
{
	struct sec_prefix one;

	return peers_read(XVTEP_PEER_DEFAULT, &one, 1) > 0;
}

/* The filter flags VNI flags should carry, given whether it has its own list. */
__u32 peer_flags(__u32 flags, bool own, bool dflt)
{
	flags &= ~(XVTEP_VNI_F_PEER_FILTER | XVTEP_VNI_F_PEER_OWN);
	if (own)
		flags |= XVTEP_VNI_F_PEER_FILTER | XVTEP_VNI_F_PEER_OWN;
	else if (dflt)
		flags |= XVTEP_VNI_F_PEER_FILTER;
	return flags;
}

bool peer_default_active(void)
{
	return default_list_used();
}

/* Re-flag every VNI that follows the default list (dflt: it is non-empty). */
static int default_flags_sync(bool dflt)
{
	struct xvtep_vni v;
	__u32 *keys, f;
	size_t n;
	int ret = 0;

	if (map_keys_u32(ctl.maps.vnis, &keys, &n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (vni_get(keys[i], &v) || (v.flags & XVTEP_VNI_F_PEER_OWN))
			continue;
		f = peer_flags(v.flags, false, dflt);
		if (f == v.flags)
			continue;
		v.flags = f;
		if (vni_put(keys[i], &v, BPF_EXIST))
			ret = xv_err("cannot update VNI %u", keys[i]);
	}
	free(keys);
	return ret;
}

/* ---- move dampening ---- */

void vsec_read(__u32 vni, struct xvtep_vni_sec *s)
{
	if (bpf_map_lookup_elem(vsec_fd, &vni, s)) {
		memset(s, 0, sizeof(*s));
		s->move_limit = XVTEP_MOVE_LIMIT_DEFAULT;
		s->move_window = XVTEP_MOVE_WINDOW_DEFAULT;
		s->move_hold = XVTEP_MOVE_HOLD_DEFAULT;
	}
}

int vsec_write(__u32 vni, const struct xvtep_vni_sec *s)
{
	if (bpf_map_update_elem(vsec_fd, &vni, s, BPF_ANY))
		return xv_err_errno(errno, "cannot write %s", XVTEP_MAP_VSEC);
	return 0;
}

/* vni del: the VNI's list and settings go with it (after it is unpublished). */
void sec_vni_gone(__u32 vni)
{
	peers_prune(vni, NULL, 0);
	bpf_map_delete_elem(vsec_fd, &vni);
}

/* JSON fields / text words of `vni show`. */
void sec_show_vni(struct jw *jw, __u32 vni, const struct xvtep_vni *v)
{
	static struct sec_prefix l[XVTEP_MAX_PEERS];
	struct xvtep_vni_sec s;
	bool own = v->flags & XVTEP_VNI_F_PEER_OWN;
	const char *src = own ? "vni" : (v->flags & XVTEP_VNI_F_PEER_FILTER) ? "default" : "any";
	int n = (v->flags & XVTEP_VNI_F_PEER_FILTER) ?
		peers_read(own ? vni : XVTEP_PEER_DEFAULT, l, XVTEP_MAX_PEERS) : 0;
	char buf[XV_PREFIX_STRLEN];

	vsec_read(vni, &s);
	if (jw) {
		jw_array_field(jw, "peers");
		for (int i = 0; i < n; i++) {
			fmt_prefix(&l[i], buf);
			jw_string(jw, buf);
		}
		jw_end_array(jw);
		jw_string_field(jw, "peer_list", src);
		jw_uint_field(jw, "move_limit", s.move_limit);
		jw_uint_field(jw, "move_window", s.move_window);
		jw_uint_field(jw, "move_hold", s.move_hold);
		return;
	}
	printf(" peers ");
	for (int i = 0; i < n; i++) {
		fmt_prefix(&l[i], buf);
		printf("%s%s", i ? "," : "", buf);
	}
	printf("%s%s", n ? "" : "any", own || !n ? "" : " (default)");
	printf(" move-limit %u move-window %u move-hold %u", s.move_limit, s.move_window,
	       s.move_hold);
}

/* ---- own MACs ---- */

static int dev_mac(__u32 ifindex, __u8 mac[6])
{
	struct ifreq ifr = {};
	int fd, ret = -1;

	if (!if_indextoname(ifindex, ifr.ifr_name))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (!ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
		ret = 0;
	}
	close(fd);
	return ret;
}

/* port add: the port's MAC is never learned from a frame. Failure only warns. */
void ownmac_port_add(__u32 ifindex)
{
	struct xvtep_mac_key k = {};

	if (sec_maps_open() || dev_mac(ifindex, k.mac) ||
	    bpf_map_update_elem(ownmacs_fd, &k, &ifindex, BPF_ANY))
		fprintf(stderr, "Warning: the MAC of %s is not protected from learning\n",
			ifname(ifindex));
}

void ownmac_port_del(__u32 ifindex)
{
	struct xvtep_mac_key k, next;
	void *prev = NULL;
	__u32 owner;

	if (sec_maps_open())
		return;
	while (!bpf_map_get_next_key(ownmacs_fd, prev, &next)) {
		k = next;
		if (!bpf_map_lookup_elem(ownmacs_fd, &k, &owner) && owner == ifindex &&
		    !bpf_map_delete_elem(ownmacs_fd, &k)) {
			prev = NULL;	/* restart: the deleted key cannot anchor the walk */
			continue;
		}
		prev = &k;
	}
}

/* ---- peer object: the default list ---- */

void usage_peer(FILE *f)
{
	fprintf(f,
		"       xvtepctl peer add PREFIX [PREFIX...] | peer del PREFIX [PREFIX...]\n"
		"       xvtepctl peer replace PREFIX [PREFIX...]\n"
		"       xvtepctl peer flush | peer show\n");
}

static int parse_prefixes(int argc, char **argv, struct sec_prefix *l, int *n)
{
	*n = 0;
	if (argc < 1)
		return xv_arg_err(argc ? argv[0] : "peer", "PREFIX is missing");
	for (int i = 0; i < argc; i++) {
		if (*n >= XVTEP_MAX_PEERS)
			return xv_arg_err(argv[i], "too many prefixes");
		if (parse_peer_arg(argv[i], &l[*n]))
			return -1;
		if (in_list(&l[*n], l, *n))
			return xv_arg_err(argv[i], "prefix given twice");
		(*n)++;
	}
	return 0;
}

/* Add PREFIX... to the default list; with REPLACE it becomes exactly them
 * (new ones in before the flags, the others out after). */
static int peer_add(int argc, char **argv, bool replace)
{
	static struct sec_prefix l[XVTEP_MAX_PEERS];
	int n;

	if (parse_prefixes(argc, argv, l, &n) || ctl_open(true) || sec_maps_open())
		return -1;
	if (peers_insert(XVTEP_PEER_DEFAULT, l, n) || default_flags_sync(true))
		return -1;
	if (replace)
		peers_prune(XVTEP_PEER_DEFAULT, l, n);
	return 0;
}

static int peer_del(int argc, char **argv, bool flush)
{
	static struct sec_prefix l[XVTEP_MAX_PEERS], cur[XVTEP_MAX_PEERS], keep[XVTEP_MAX_PEERS];
	int n = 0, nc, nk = 0;

	if (flush && argc)
		return xv_arg_err(argv[0], "unknown keyword");
	if (!flush && parse_prefixes(argc, argv, l, &n))
		return -1;
	if (ctl_open(true) || sec_maps_open())
		return -1;
	nc = peers_read(XVTEP_PEER_DEFAULT, cur, XVTEP_MAX_PEERS);
	for (int i = 0; i < n; i++)
		if (!in_list(&l[i], cur, nc)) {
			char buf[XV_PREFIX_STRLEN];

			fmt_prefix(&l[i], buf);
			return xv_arg_err(argv[i], "%s is not in the default peer list", buf);
		}
	for (int i = 0; i < nc; i++)
		if (!flush && !in_list(&cur[i], l, n))
			keep[nk++] = cur[i];
	/* Emptying the list: VNIs stop consulting it before it goes. */
	if (!nk && default_flags_sync(false))
		return -1;
	peers_prune(XVTEP_PEER_DEFAULT, keep, nk);
	return 0;
}

static int peer_show(int argc, char **argv)
{
	static struct sec_prefix l[XVTEP_MAX_PEERS];
	struct jw *jw;
	char buf[XV_PREFIX_STRLEN];
	int n;

	if (argc)
		return xv_arg_err(argv[0], "unknown keyword");
	if (ctl_open(false) || sec_maps_open())
		return -1;
	n = peers_read(XVTEP_PEER_DEFAULT, l, XVTEP_MAX_PEERS);
	jw = json_open();
	if (jw)
		jw_start_array(jw);
	for (int i = 0; i < n; i++) {
		fmt_prefix(&l[i], buf);
		if (jw)
			jw_string(jw, buf);
		else
			printf("peer %s\n", buf);
	}
	if (jw) {
		jw_end_array(jw);
		jw_destroy(&jw);
	}
	return 0;
}

static int peer_add_cmd(int argc, char **argv)
{
	return peer_add(argc, argv, false);
}

static int peer_replace_cmd(int argc, char **argv)
{
	return peer_add(argc, argv, true);
}

static int peer_del_cmd(int argc, char **argv)
{
	return peer_del(argc, argv, false);
}

static int peer_flush_cmd(int argc, char **argv)
{
	return peer_del(argc, argv, true);
}

const struct cli_cmd peer_cmds[] = {
	{ "show", peer_show }, { "list", peer_show }, { "ls", peer_show },
	{ "add", peer_add_cmd },
	{ "replace", peer_replace_cmd },
	{ "del", peer_del_cmd }, { "delete", peer_del_cmd },
	{ "flush", peer_flush_cmd },
	{ NULL, NULL },
};
