#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Real kernel peers the development host's kernel lacks: Linux 802.1Q,
# ERSPAN and bonding devices against xvtep. Run inside the 6.1 guest
# (tests/kernel61), whose kernel has 8021q, ip_gre and bonding; on a kernel
# without them the file says so and skips. Not run by the host's
# integration loop (XVT_GUEST_ONLY).
#
#   col(ns): c1 ─ c1.123 (vlan 123), c1.124 (vlan 124)       RSPAN collector
#              |
#   vm1a(ns) mcol1                            vm2a(ns)
#   .11        |                              .21              192.0.2.0/24 overlay
#     |eth0    |                                |eth0
#   [h1: xvtep, uplink "ul"]                  [h2: xvtep]
#      ul .1  (bond_xdp: "ul" is an 802.3ad bond of ul0 + ul1,
#        \      facing bond b1 of h1a + h1b in the underlay)
#         \________ [ul: bridge br0] ________/
#                          |
#               erc(ns) eth0 198.51.100.9 ─ ers5 (erspan_ver 1, key 5)
#                                          ─ ers7 (erspan_ver 2, key 7)   ERSPAN collector
#
# VNI 100, head-end replication. Copies are counted by the receiving Linux
# devices and compared byte for byte with the VM's frames.

XVT_GUEST_ONLY=1
XVT_P=${XVT_P:-xvt-k}
ALL_TESTS="
	rspan_8021q
	erspan_netdev
	bond_xdp_decap
"
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/topology.sh"

H1=$(h_ns 1)
H2=$(h_ns 2)
NS_COL=${XVT_P}col
NS_ERC=${XVT_P}erc
ERC_IP=198.51.100.9
IP1A=$(vm_ip vm1a)
IP2A=$(vm_ip vm2a)
MPY=$XVT_ROOT/tests/integration/mirror_pcap.py

# ---------------------------------------------------------------- helpers

# kernel_has TYPE... : exit 0 if this kernel can create every link TYPE
kernel_has()
{
	local ns=${XVT_P}probe t ok=0
	ip netns add "$ns" 2>/dev/null || return 1
	for t in "$@"; do
		case $t in
		vlan) ip -n "$ns" link add d0 type dummy && ip -n "$ns" link add link d0 name d0.5 type vlan id 5 ;;
		bond) ip -n "$ns" link add b0 type bond mode 802.3ad ;;
		erspan) ip -n "$ns" link add e0 type erspan local 192.0.2.1 remote 192.0.2.2 key 1 seq erspan_ver 1 erspan 1 ;;
		esac >/dev/null 2>&1 || ok=1
	done
	ip netns del "$ns"
	return $ok
}

# vping VM DST COUNT [ping args] : quiet pings, 10 per second
vping()
{
	local vm=$1 dst=$2 count=$3
	shift 3
	in_ns "$(vm_ns "$vm")" ping -q -n -c "$count" -i 0.1 -W 2 "$@" "$dst" >/dev/null 2>&1
}

# static_pair : vm1a and vm2a know each other for good (no ARP in the counts)
static_pair()
{
	check "$T: static neighbours vm1a <-> vm2a" sh -c \
		"ip netns exec $(vm_ns vm1a) ip neigh replace $IP2A lladdr $(vm_mac vm2a) dev eth0 nud permanent &&
		 ip netns exec $(vm_ns vm2a) ip neigh replace $IP1A lladdr $(vm_mac vm1a) dev eth0 nud permanent"
}

# capture NS DEV [FILTER] : full-size capture; CAP_FILE, CAP_PID
capture() { cap_start "$1" "$2" "${3:-}" 0; }

# prog_runs ID : run count of BPF program ID (kernel.bpf_stats_enabled=1)
prog_runs() { bpftool -j prog show id "$1" 2>/dev/null | jq '.run_cnt // 0'; }

# peers_topo : topo_pair plus the RSPAN collector (col) and the ERSPAN
# collector (erc), warmed up
peers_topo()
{
	topo_pair &&
	topo_ns "$NS_COL" &&
	topo_do ip link add mcol1 netns "$H1" type veth peer name c1 netns "$NS_COL" &&
	topo_do in_ns "$H1" ip link set mcol1 up &&
	topo_do in_ns "$NS_COL" ip link set c1 up &&
	topo_ns "$NS_ERC" &&
	topo_do ip link add eth0 netns "$NS_ERC" type veth peer name erc netns "$NS_UL" &&
	topo_do in_ns "$NS_UL" ip link set erc master br0 up &&
	topo_do in_ns "$NS_ERC" ip addr add "$ERC_IP/24" dev eth0 &&
	topo_do in_ns "$NS_ERC" ip link set eth0 up &&
	ul_prewarm &&
	topo_do in_ns "$H1" ping -q -c 1 -W 2 "$ERC_IP" &&
	topo_do in_ns "$(vm_ns vm1a)" ping -q -c 2 -i 0.2 -W 2 "$IP2A"
}

# ---------------------------------------------------------------- tests

# RSPAN VID 123 into a collector port whose Linux 802.1Q device for VID 123
# takes every copy, untagged and byte-identical; VID 124's device none.
rspan_8021q()
{
	local T=rspan_8021q r0 o0 ref col out
	peers_topo &&
	topo_do in_ns "$NS_COL" ip link add link c1 name c1.123 type vlan id 123 &&
	topo_do in_ns "$NS_COL" ip link add link c1 name c1.124 type vlan id 124 &&
	topo_do in_ns "$NS_COL" ip link set c1.123 up &&
	topo_do in_ns "$NS_COL" ip link set c1.124 up
	topo_check $T $? || return

	static_pair
	check "$T: add rspan session vlan 123 to mcol1" \
		xvc "$H1" mirror add 7 src vm1a dir both rspan dev mcol1 vlan 123
	r0=$(link_stat "$NS_COL" c1.123 rx packets)
	o0=$(link_stat "$NS_COL" c1.124 rx packets)
	capture "$(vm_ns vm1a)" eth0 icmp; ref=$CAP_FILE; local p1=$CAP_PID
	capture "$NS_COL" c1.123; col=$CAP_FILE; local p2=$CAP_PID
	check "$T: vm1a pings vm2a 10 times" vping vm1a "$IP2A" 10 -s 472
	cap_stop "$p1"; cap_stop "$p2"
	check_eq "$T: c1.123 (802.1Q VID 123) received the 20 copies" \
		"$(($(link_stat "$NS_COL" c1.123 rx packets) - r0))" 20
	check_eq "$T: c1.124 (VID 124) received none" "$(($(link_stat "$NS_COL" c1.124 rx packets) - o0))" 0
	check_eq "$T: c1.123 delivers them untagged" \
		"$(tcpdump -nn -e -r "$col" 2>/dev/null | grep -c '802\.1Q')" 0
	out=$("$PY" "$MPY" same "$ref" "$col" 2>&1)
	check_eq "$T: copies from c1.123 byte-identical to vm1a's frames" "$out" "ok 20"
}

# erspan_one TYPE SESSION DEV VERARGS MIRRORARGS : one ERSPAN session received
# by a Linux erspan device in erc (key = session ID; seq: the kernel drops
# copies without a GRE sequence number or out of order, counted as rx_errors)
erspan_one()
{
	local ty=$1 sess=$2 dev=$3 ver=$4 margs=$5 r0 e0 ref col out
	# shellcheck disable=SC2086
	check "$T: Linux $dev: erspan $ver, key $sess" in_ns "$NS_ERC" ip link add "$dev" type erspan \
		local "$ERC_IP" remote "$(ul_ip 1)" key "$sess" seq $ver &&
	check "$T: $dev up" in_ns "$NS_ERC" ip link set "$dev" up || return
	# shellcheck disable=SC2086
	check "$T: add ERSPAN $ty session $sess" xvc "$H1" mirror add "$sess" src vm1a $margs
	r0=$(link_stat "$NS_ERC" "$dev" rx packets)
	e0=$(link_stat "$NS_ERC" "$dev" rx errors)
	capture "$(vm_ns vm1a)" eth0 icmp; ref=$CAP_FILE; local p1=$CAP_PID
	capture "$NS_ERC" "$dev"; col=$CAP_FILE; local p2=$CAP_PID
	check "$T: vm1a pings vm2a 10 times" vping vm1a "$IP2A" 10 -s 472
	cap_stop "$p1"; cap_stop "$p2"
	check_eq "$T: ERSPAN $ty: $dev received the 20 copies" \
		"$(($(link_stat "$NS_ERC" "$dev" rx packets) - r0))" 20
	check_eq "$T: ERSPAN $ty: $dev counted no error (sequence, key)" \
		"$(($(link_stat "$NS_ERC" "$dev" rx errors) - e0))" 0
	out=$("$PY" "$MPY" same "$ref" "$col" 2>&1)
	check_eq "$T: ERSPAN $ty: decapsulated frames byte-identical to vm1a's" "$out" "ok 20"
	check_eq "$T: ERSPAN $ty: session counted 20" \
		"$(xvc "$H1" -j mirror show "$sess" | jq -r '.[0].packets // empty')" 20
	check "$T: delete session $sess" xvc "$H1" mirror del "$sess"
}

erspan_netdev()
{
	local T=erspan_netdev
	peers_topo &&
	topo_do in_ns "$NS_ERC" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0
	topo_check $T $? || return

	static_pair
	erspan_one II 5 ers5 "erspan_ver 1 erspan 0x12345" \
		"erspan remote $ERC_IP session 5 index 0x12345"
	erspan_one III 7 ers7 "erspan_ver 2 erspan_dir ingress erspan_hwid 9" \
		"erspan remote $ERC_IP version 3 session 7 hwid 9"
}

# h1's uplink "ul" is an 802.3ad bond (ul0 + ul1) facing bond b1 (h1a +
# h1b) in the underlay; xvtep decaps in XDP on the bond (--decap xdp).
bond_host1()
{
	local s
	pin_register "$(pin_dir "$H1")"
	pins_destroy "$H1"
	topo_ns "$H1" &&
	topo_do in_ns "$H1" ip link add ul type bond mode 802.3ad lacp_rate fast miimon 100 &&
	topo_do in_ns "$NS_UL" ip link add b1 type bond mode 802.3ad lacp_rate fast miimon 100 || return 1
	for s in 0 1; do
		topo_do ip link add "ul$s" netns "$H1" type veth peer name "h1$s" netns "$NS_UL" &&
		topo_do in_ns "$H1" ip link set "ul$s" master ul &&
		topo_do in_ns "$NS_UL" ip link set "h1$s" master b1 || return 1
	done
	topo_do in_ns "$NS_UL" ip link set b1 master br0 up &&
	topo_do in_ns "$H1" ip addr add "$(ul_ip 1)/24" dev ul &&
	topo_do in_ns "$H1" ip link set ul up || return 1
	TOPO_HOSTS+=(1)
	topo_do xvl "$H1" attach --uplink ul --local "$(ul_ip 1)" --decap xdp
}

# bond_aggregated : both members of h1's bond in one LACP aggregator (<= 10 s)
bond_aggregated()
{
	local i
	for ((i = 0; i < 40; i++)); do
		in_ns "$H1" cat /proc/net/bonding/ul 2>/dev/null |
			awk '/^Active Aggregator Info/ { a = 1 } a && /Number of ports: 2/ { f = 1 } END { exit !f }' &&
			return 0
		sleep 0.25
	done
	return 1
}

bond_xdp_decap()
{
	local T=bond_xdp_decap xid tid x0 t0
	topo_underlay &&
	bond_host1 &&
	xvtep_host 2 &&
	xvtep_vni 1 100 her &&
	xvtep_vni 2 100 her &&
	xvtep_vm 1 vm1a 100 &&
	xvtep_vm 2 vm2a 100
	topo_check $T $? || return

	check "$T: LACP: both members in the active aggregator" bond_aggregated
	check "$T: underlay h1 (bond) <-> h2" ul_prewarm
	xid=$(in_ns "$H1" ip -j link show dev ul | jq -r '.[0].xdp.prog.id // empty')
	check_cmp "$T: XDP program on the bond" "${xid:-none}" -gt 0 "program id"
	vm_ping "$T: vm1a(h1, bond) -> vm2a(h2)" vm1a "$IP2A" 3
	vm_ping "$T: vm2a(h2) -> vm1a(h1, bond)" vm2a "$IP1A" 3
	static_pair
	# the uplink's TC ingress program, for "decap did not need TC"
	tid=$(in_ns "$H1" bpftool -j net show dev ul 2>/dev/null |
		jq -r '[.. | objects | select(.kind? == "clsact/ingress" or .kind? == "tcx/ingress") | .prog_id // .id][0] // empty')
	bpf_stats_hold
	x0=$(prog_runs "$xid")
	[ -n "$tid" ] && t0=$(prog_runs "$tid")
	check "$T: 20 pings vm2a -> vm1a" vping vm2a "$IP1A" 20
	check_cmp "$T: the bond's XDP program ran for every request" "$(($(prog_runs "$xid") - x0))" -ge 20
	if [ -n "$tid" ]; then
		check_cmp "$T: TC decap on the bond did not see them" "$(($(prog_runs "$tid") - t0))" -lt 20
	else
		xvt_log "$T: no TC ingress program found on ul (bpftool net): TC run count not checked"
	fi
	bpf_stats_release
	# one member down: LACP carries on over the other, still decapsulated in XDP
	check "$T: member h11 down in the underlay" in_ns "$NS_UL" ip link set h11 down
	vm_ping "$T: vm2a -> vm1a with one bond member down" vm2a "$IP1A" 5
	vm_ping "$T: vm1a -> vm2a with one bond member down" vm1a "$IP2A" 5
}

# ---------------------------------------------------------------- main

xvt_require_all
require_cmds tshark bpftool
if ! kernel_has vlan bond erspan; then
	echo "# SKIP: k61peers: this kernel ($(uname -r)) cannot create 802.1Q, bonding or" \
		"ERSPAN devices; these tests run in the 6.1 guest (tests/run.sh kernel61)"
	exit 0
fi
tests_run
