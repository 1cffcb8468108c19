#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Port mirroring: SPAN, RSPAN and ERSPAN (Type II and III) sessions.
#
#                       col(ns): c1 c2 c3 c4        SPAN/RSPAN collector (no addresses)
#                                |  |  |  |
#   vm1a(ns)  vm1b(ns)    mcol1 mcol2 mcol3 mcol4   vm2a(ns)
#   .11       .12            (plain veths)          .21          192.0.2.0/24 overlay, MTU 1500
#     |eth0     |eth0          |                      |eth0
#     |vm1a     |vm1b          |                      |vm2a
#   [h1: xvtep ........... xvtep-mir/xvtep-mirp]   [h2: xvtep]
#       ul 198.51.100.1                                ul .2     underlay, MTU 1600
#         \________________ [ul: bridge br0] _________/
#                                  |
#                         erc(ns) eth0 198.51.100.9              ERSPAN collector
#
# Namespaces are prefixed "xvt-m" (xvt-mh1, xvt-mvm1a, xvt-mcol ...), pin dirs
# /sys/fs/bpf/xvt-mh1 ..., so these tests can run next to the other suites.
# VNI 100, head-end replication. The overlay MTU is 1500 (underlay 1600) so
# that 1514-byte frames can be mirrored. Copies are checked from captures only
# (tcpdump -w, decoded by scapy and tshark): the kernel here has no VLAN, GRE
# or ERSPAN netdevs.

ALL_TESTS="
	span_directions
	span_identical
	span_direct
	rspan_vlan
	erspan_types
	erspan_unreachable
	erspan_gso
	xdp_copies
	tc_copies
	mirror_cli
	mirror_reattach
"

XVT_P=${XVT_P:-xvt-m}
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/topology.sh"

UL_MTU=1600
VM_MTU=1500
H1=$(h_ns 1)
H2=$(h_ns 2)
NS_COL=${XVT_P}col
NS_ERC=${XVT_P}erc
ERC_IP=198.51.100.9
UNREACH=203.0.113.99
IP1A=$(vm_ip vm1a)
IP1B=$(vm_ip vm1b)
IP2A=$(vm_ip vm2a)
MPY=$XVT_ROOT/tests/integration/mirror_pcap.py

# ---------------------------------------------------------------- topology

# mirror_topo : the topology above, warmed up (ARP and FDB learned both ways)
mirror_topo()
{
	local i
	topo_pair &&
	xvtep_vm 1 vm1b 100 &&
	topo_ns "$NS_COL" || return 1
	for i in 1 2 3 4; do
		topo_do ip link add "mcol$i" netns "$H1" type veth peer name "c$i" netns "$NS_COL" &&
		topo_do in_ns "$H1" ip link set "mcol$i" up &&
		topo_do in_ns "$NS_COL" ip link set "c$i" up || return 1
	done
	topo_ns "$NS_ERC" &&
	topo_do ip link add eth0 netns "$NS_ERC" mtu $UL_MTU type veth peer name erc netns "$NS_UL" mtu $UL_MTU &&
	topo_do in_ns "$NS_UL" ip link set erc master br0 up &&
	topo_do in_ns "$NS_ERC" ip addr add "$ERC_IP/24" dev eth0 &&
	topo_do in_ns "$NS_ERC" ip link set eth0 up &&
	# The collector has no GRE: without a route back it cannot answer the
	# copies with ICMP errors (which an uplink session would mirror again).
	topo_do in_ns "$NS_ERC" ip route add blackhole "$(ul_ip 1)/32" &&
	topo_do in_ns "$NS_ERC" ip route add blackhole "$(ul_ip 2)/32" &&
	ul_prewarm &&
	erc_neigh_resolve &&
	topo_do in_ns "$(vm_ns vm1a)" ping -q -c 2 -i 0.2 -W 2 "$IP2A" &&
	topo_do in_ns "$(vm_ns vm1a)" ping -q -c 2 -i 0.2 -W 2 "$IP1B"
}

# ---------------------------------------------------------------- helpers

# erc_neigh_resolve : h1 learns the ERSPAN collector's MAC (the ping itself gets
# no answer: the collector has no route back)
erc_neigh_resolve()
{
	in_ns "$H1" ping -q -c 1 -W 1 "$ERC_IP" >/dev/null 2>&1
	if ! in_ns "$H1" ip -j neigh show "$ERC_IP" dev ul | jq -e '.[0].lladdr' >/dev/null; then
		TOPO_ERR="h1 did not resolve the collector $ERC_IP"
		return 1
	fi
}

# mcap_start NS DEV [FILTER] : full-size capture (tcpdump -s 0), see cap_start
mcap_start() { cap_start "$1" "$2" "${3:-}" 0; }

# caps_start NAME:NS:DEV[:FILTER] ... : start several captures; CAPS[NAME]=file
declare -A CAPS CAP_PIDS
caps_start()
{
	local spec name ns dev filter
	for spec in "$@"; do
		IFS=: read -r name ns dev filter <<<"$spec"
		mcap_start "$ns" "$dev" "$filter"
		CAPS[$name]=$CAP_FILE
		CAP_PIDS[$name]=$CAP_PID
	done
}

# caps_stop : stop every capture started by caps_start
caps_stop()
{
	local n
	sleep 0.5
	for n in "${!CAP_PIDS[@]}"; do
		bg_stop "${CAP_PIDS[$n]}" INT
	done
	CAP_PIDS=()
}

# backlog_drops : packets the kernel dropped at full per-CPU backlog queues
# (softnet_stat's second column, every CPU, every namespace; hexadecimal)
backlog_drops()
{
	local d n=0
	for d in $(awk '{print $2}' /proc/net/softnet_stat); do
		n=$((n + 16#$d))
	done
	echo $n
}

# icmp_count FILE : "REQ REP OTHER" (see mirror_pcap.py count)
icmp_count() { "$PY" "$MPY" count "$1" 2>&1; }

# frames FILE : number of frames in a capture
frames() { tcpdump -nn -r "$1" 2>/dev/null | wc -l; }

# ms NS ID FIELD : a field of `mirror show ID -j` (jq path, e.g. .drops.no_route)
ms()
{
	xvc "$1" -j mirror show "$2" 2>/dev/null | jq -r ".[0]$3 // empty"
}

# vping VM DST COUNT [ping args] : ping quietly (10 per second); exit status of ping
vping()
{
	local vm=$1 dst=$2 count=$3
	shift 3
	in_ns "$(vm_ns "$vm")" ping -q -n -c "$count" -i 0.1 -W 2 "$@" "$dst" >/dev/null 2>&1
}

# maps_snapshot NS : every mirror-related map of the instance, for "unchanged" checks
maps_snapshot()
{
	local pin m
	pin=$(pin_dir "$1")
	# not xvtep_mstats: traffic may move the counters meanwhile
	for m in xvtep_mirrors xvtep_upmirror xvtep_ports; do
		bpftool -j map dump pinned "$pin/$m" 2>&1
	done | sha256sum | cut -d' ' -f1
}

# devmap_has NS IFINDEX : is IFINDEX in the instance's XDP devmap (no BTF: raw key bytes)
devmap_has()
{
	bpftool map lookup pinned "$(pin_dir "$1")/xvtep_devmap" \
		key $(($2 & 255)) $(($2 >> 8 & 255)) $(($2 >> 16 & 255)) $(($2 >> 24 & 255)) >/dev/null 2>&1
}

# ifindex_in NS DEV : DEV's ifindex in NS
ifindex_in() { in_ns "$1" ip -j link show "$2" | jq '.[0].ifindex'; }

# map_has NS MAP IFINDEX : is IFINDEX a key of the instance's pinned MAP
map_has()
{
	bpftool map lookup pinned "$(pin_dir "$1")/$2" \
		key $(($3 & 255)) $(($3 >> 8 & 255)) $(($3 >> 16 & 255)) $(($3 >> 24 & 255)) >/dev/null 2>&1
}

# le32 "0x.." x4 : the little-endian 32-bit value of four bpftool JSON bytes
le32() { echo $(($1 | $2 << 8 | $3 << 16 | $4 << 24)); }

# pair_members NS IFINDEX : the ifindexes in IFINDEX's pair map
# (xvtep_mirror_bcast), sorted, space-separated; empty without a pair
pair_members()
{
	local id k
	# shellcheck disable=SC2046
	id=$(le32 $(bpftool -j map lookup pinned "$(pin_dir "$1")/xvtep_mirror_bcast" \
		key $(($2 & 255)) $(($2 >> 8 & 255)) $(($2 >> 16 & 255)) $(($2 >> 24 & 255)) \
		2>/dev/null | jq -r '.value[]')) 2>/dev/null || return 0
	bpftool -j map dump id "$id" | jq -r '.[].key | join(" ")' | while read -r k; do
		# shellcheck disable=SC2086
		le32 $k
	done | sort -n | paste -sd' '
}

# pair_of NS IFINDEX DEV : what pair_members prints for the pair {IFINDEX, DEV}
pair_of() { printf '%s\n' "$2" "$(ifindex_in "$1" "$3")" | sort -n | paste -sd' '; }

# link_runs NS HOOK : run count of the program on HOOK (status -j's
# .programs.HOOK: a link or a clsact filter; counted while
# kernel.bpf_stats_enabled=1)
link_runs()
{
	local id
	id=$(xvl "$1" -j status | jq --arg h "$2" '.programs[$h].prog_id')
	bpftool -j prog show id "$id" | jq '.run_cnt // 0'
}

# port_eg_hook NS IFINDEX : the egress hook of port IFINDEX per status -j (a
# link id, or "filter"), empty if it has none
port_eg_hook()
{
	xvl "$1" -j status | jq -r --argjson i "$2" \
		'.programs.port_eg_links[] | select(.ifindex == $i) | .link_id // "filter"'
}

# mirror_runs NS : "XDP TC" run counts of the mirror device's two programs
mirror_runs() { echo "$(link_runs "$1" xdp_mirror) $(link_runs "$1" tc_mirror)"; }

# runs_delta BEFORE AFTER : "dXDP dTC"
runs_delta()
{
	local a b c d
	read -r a b <<<"$1"
	read -r c d <<<"$2"
	echo "$((c - a)) $((d - b))"
}

# pings_counted SIZE CAPSPEC... : (check) vm1a pings vm2a 10 times with SIZE
# bytes of payload under the captures CAPSPEC (caps_start); MIRROR_RUNS = the
# "dXDP dTC" runs of h1's mirror programs meanwhile
pings_counted()
{
	local size=$1 r0
	shift
	r0=$(mirror_runs "$H1")
	caps_start "$@"
	check "$T: vm1a pings vm2a 10 times" vping vm1a "$IP2A" 10 -s "$size"
	caps_stop
	MIRROR_RUNS=$(runs_delta "$r0" "$(mirror_runs "$H1")")
}

# static_neighbours : (check) vm1a's neighbours and vm1a in vm1b's and vm2a's,
# permanent, so that no ARP request or reply lands in a count
static_neighbours()
{
	check "$T: static neighbours of vm1a in vm1a, vm1b, vm2a" sh -c \
		"ip netns exec $(vm_ns vm1a) ip neigh replace $IP2A lladdr $(vm_mac vm2a) dev eth0 nud permanent &&
		 ip netns exec $(vm_ns vm1a) ip neigh replace $IP1B lladdr $(vm_mac vm1b) dev eth0 nud permanent &&
		 ip netns exec $(vm_ns vm1b) ip neigh replace $IP1A lladdr $(vm_mac vm1a) dev eth0 nud permanent &&
		 ip netns exec $(vm_ns vm2a) ip neigh replace $IP1A lladdr $(vm_mac vm1a) dev eth0 nud permanent"
}

# xdp_to_tc NS : the instance's xdp_to_tc events, all VNIs
xdp_to_tc() { xvc "$1" -j stats | jq '[.. | objects | .events? | objects | .xdp_to_tc // 0] | add // 0'; }

# ---------------------------------------------------------------- tests

# rx only, tx only, both (and the uplink as a source) while vm1a pings 10 times.
span_directions()
{
	local T=span_directions c p1 p3 b3
	mirror_topo
	topo_check $T $? || return
	# Only the pings cross vm1a's port (no ARP), and the session counters are
	# compared over the captures' window: a frame copied before the captures
	# listened (CI once counted 11 and 22 against 10 and 20) is no mismatch.
	static_neighbours

	check "$T: add rx session" xvc "$H1" mirror add 1 src vm1a dir rx span dev mcol1
	check "$T: add tx session" xvc "$H1" mirror add 2 src vm1a dir tx span dev mcol2
	check "$T: add both session" xvc "$H1" mirror add 3 src vm1a span dev mcol3
	check "$T: add uplink session" xvc "$H1" mirror add 4 src ul dir both span dev mcol4
	caps_start "c1:$NS_COL:c1" "c2:$NS_COL:c2" "c3:$NS_COL:c3" "c4:$NS_COL:c4"
	p1=$(ms "$H1" 1 .packets)
	p3=$(ms "$H1" 3 .packets)
	b3=$(ms "$H1" 3 .bytes)
	check "$T: vm1a pings vm2a 10 times, no loss" vping vm1a "$IP2A" 10
	caps_stop

	c=$(icmp_count "${CAPS[c1]}")
	check_eq "$T: rx session: 10 requests, 0 replies" "${c% *}" "10 0"
	c=$(icmp_count "${CAPS[c2]}")
	check_eq "$T: tx session: 0 requests, 10 replies" "${c% *}" "0 10"
	c=$(icmp_count "${CAPS[c3]}")
	check_eq "$T: both session: 10 requests, 10 replies" "${c% *}" "10 10"
	c=$(icmp_count "${CAPS[c4]}")
	check_eq "$T: uplink session: 10 encapsulated requests, 10 replies" "${c% *}" "10 10"

	check_eq "$T: show -j packets = frames at the rx collector" \
		"$(($(ms "$H1" 1 .packets) - p1))" "$(frames "${CAPS[c1]}")"
	check_eq "$T: show -j packets = frames at the both collector" \
		"$(($(ms "$H1" 3 .packets) - p3))" "$(frames "${CAPS[c3]}")"
	local bytes
	bytes=$(tcpdump -nn -e -r "${CAPS[c3]}" 2>/dev/null | sed -n 's/.*, length \([0-9]*\):.*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
	check_eq "$T: show -j bytes = bytes at the both collector" "$(($(ms "$H1" 3 .bytes) - b3))" "$bytes"
	check_eq "$T: show -j no drops" "$(xvc "$H1" -j mirror show 3 | jq '[.[0].drops[]] | add')" 0
	check_eq "$T: show -j fields" \
		"$(xvc "$H1" -j mirror show 1 | jq -c '.[0] | [.id, .sources, .dir, .type, .dev, .vlan, .remote, .truncate]')" \
		'[1,["vm1a"],"rx","span","mcol1",null,null,0]'

	# Two sessions on one source both see everything; deleting one leaves the other.
	check "$T: delete the both session" xvc "$H1" mirror del 3
	caps_start "c1:$NS_COL:c1" "c3:$NS_COL:c3"
	check "$T: vm1a pings again" vping vm1a "$IP2A" 10
	caps_stop
	c=$(icmp_count "${CAPS[c1]}")
	check_eq "$T: rx session still gets the 10 requests" "${c% *}" "10 0"
	check_eq "$T: deleted session's collector gets nothing" "$(frames "${CAPS[c3]}")" 0
	check_not "$T: deleted session is gone from show" xvc "$H1" mirror show 3
	check "$T: text show" sh -c "$CTL --pin $(pin_dir "$H1") -n $H1 mirror show | grep -q '^mirror 1 span src vm1a dir rx dev mcol1'"
}

# SPAN copies are the forwarded frames, byte for byte, at 64, 512 and 1514 bytes;
# truncation cuts them.
span_identical()
{
	local T=span_identical size out
	mirror_topo
	topo_check $T $? || return

	check "$T: add session (both directions)" xvc "$H1" mirror add 5 src vm1a span dev mcol1
	for size in 64 512 1514; do
		caps_start "ref:$(vm_ns vm1a):eth0:icmp" "col:$NS_COL:c1"
		check "$T: $size-byte frames vm1a -> vm2a" vping vm1a "$IP2A" 3 -s $((size - 42)) -M do
		caps_stop
		out=$("$PY" "$MPY" same "${CAPS[ref]}" "${CAPS[col]}" 2>&1)
		check_eq "$T: $size-byte copies byte-identical to the VM's frames" "$out" "ok 6"
		check_eq "$T: $size-byte copies have $size bytes" \
			"$(tcpdump -nn -e -r "${CAPS[col]}" icmp 2>/dev/null | grep -c ", length $size:")" 6
	done

	check "$T: replace with a truncating session" sh -c \
		"$CTL --pin $(pin_dir "$H1") -n $H1 mirror del 5 && $CTL --pin $(pin_dir "$H1") -n $H1 mirror add 5 src vm1a span dev mcol1 truncate 100"
	check_eq "$T: counters start from zero in a reused slot" "$(ms "$H1" 5 .packets)" 0
	# Local switching (vm1a <-> vm1b): frames that were decapsulated here keep
	# skb->encapsulation over this veth-only underlay, and the kernel refuses to
	# trim those (bpf_skb_change_tail: -ENOTSUPP; docs/mirroring.md, "Limits").
	caps_start "ref:$(vm_ns vm1a):eth0:icmp" "col:$NS_COL:c1"
	check "$T: 1514-byte frames vm1a -> vm1b with truncate 100" vping vm1a "$IP1B" 3 -s 1472
	caps_stop
	check_eq "$T: truncated copies have 100 bytes" \
		"$(tcpdump -nn -e -r "${CAPS[col]}" 2>/dev/null | grep -c ', length 100:')" 6
	out=$("$PY" "$MPY" same "${CAPS[ref]}" "${CAPS[col]}" --trunc 100 2>&1)
	check_eq "$T: truncated copies are the frames' first 100 bytes" "$out" "ok 6"
	check_eq "$T: show -j truncated counter" "$(ms "$H1" 5 .truncated)" 6
}

# A SPAN copy with nothing to cut goes from the source's TC program straight to
# its destination; one to be cut passes through the mirror device (its TC
# program's run count tells which way each went).
span_direct()
{
	local T=span_direct out req="icmp[0] == 8" MIRROR_RUNS
	mirror_topo
	topo_check $T $? || return
	static_neighbours
	bpf_stats_hold

	check "$T: add rx SPAN session" xvc "$H1" mirror add 40 src vm1a dir rx span dev mcol1
	pings_counted 472 "ref:$(vm_ns vm1a):eth0:$req" "col:$NS_COL:c1"
	check_eq "$T: 10 copies, none through the mirror device's programs" "$MIRROR_RUNS" "0 0"
	out=$("$PY" "$MPY" same "${CAPS[ref]}" "${CAPS[col]}" 2>&1)
	check_eq "$T: copies byte-identical to the 10 requests" "$out" "ok 10"
	check_eq "$T: show -j counts 10 copies, 5140 bytes, no drops" \
		"$(xvc "$H1" -j mirror show 40 | jq -c '.[0] | [.packets, .bytes, ([.drops[]] | add)]')" "[10,5140,0]"

	check "$T: re-add it with truncate 100" sh -c \
		"$CTL --pin $(pin_dir "$H1") -n $H1 mirror del 40 && $CTL --pin $(pin_dir "$H1") -n $H1 mirror add 40 src vm1a dir rx span dev mcol1 truncate 100"
	pings_counted 472 "ref:$(vm_ns vm1a):eth0:$req" "col:$NS_COL:c1"
	check_eq "$T: truncate: 10 copies cut by the mirror device's TC program" "$MIRROR_RUNS" "0 10"
	out=$("$PY" "$MPY" same "${CAPS[ref]}" "${CAPS[col]}" --trunc 100 2>&1)
	check_eq "$T: truncate: copies are the requests' first 100 bytes" "$out" "ok 10"

	check "$T: re-add it with truncate 514 (the frames fit)" sh -c \
		"$CTL --pin $(pin_dir "$H1") -n $H1 mirror del 40 && $CTL --pin $(pin_dir "$H1") -n $H1 mirror add 40 src vm1a dir rx span dev mcol1 truncate 514"
	pings_counted 472 "ref:$(vm_ns vm1a):eth0:$req" "col:$NS_COL:c1"
	check_eq "$T: frames that fit the cut go straight" "$MIRROR_RUNS" "0 0"
	check_eq "$T: ... whole: 10 copies, none counted truncated" \
		"$(xvc "$H1" -j mirror show 40 | jq -c '.[0] | [.packets, .truncated]')" "[10,0]"
	check "$T: delete the session" xvc "$H1" mirror del 40
	bpf_stats_release
}

# RSPAN: the copies carry the session's VID, the frame inside is untouched.
rspan_vlan()
{
	local T=rspan_vlan out
	mirror_topo
	topo_check $T $? || return

	check "$T: add rspan session vlan 123" xvc "$H1" mirror add 7 src vm1a dir both rspan dev mcol2 vlan 123
	caps_start "ref:$(vm_ns vm1a):eth0:icmp" "col:$NS_COL:c2"
	check "$T: vm1a pings vm2a 10 times" vping vm1a "$IP2A" 10 -s 472
	caps_stop
	out=$(tshark -r "${CAPS[col]}" -Y icmp -T fields -e vlan.id 2>/dev/null | sort | uniq -c | awk '{print $1" "$2}')
	check_eq "$T: tshark: 20 ICMP copies, all tagged VID 123" "$out" "20 123"
	check_eq "$T: tcpdump -e: 802.1Q vlan 123 on every copy" \
		"$(tcpdump -nn -e -r "${CAPS[col]}" 2>/dev/null | grep -c 'ethertype 802.1Q (0x8100), length 518: vlan 123, ')" 20
	out=$("$PY" "$MPY" same "${CAPS[ref]}" "${CAPS[col]}" --strip-vlan 123 2>&1)
	check_eq "$T: untagged copies byte-identical to the VM's frames" "$out" "ok 20"
	check_eq "$T: show -j vlan" "$(ms "$H1" 7 .vlan)" 123
}

erspan_types()
{
	local T=erspan_types out j
	mirror_topo
	topo_check $T $? || return
	static_neighbours	# no ARP probe among the copies counted

	# Type II
	check "$T: add ERSPAN II session" xvc "$H1" mirror add 10 src vm1a erspan remote "$ERC_IP" session 5 index 0x12345
	check_eq "$T: defaults: dir both, version 2" "$(xvc "$H1" -j mirror show 10 | jq -c '.[0] | [.dir, .version, .hwid, .truncate]')" '["both",2,0,0]'
	caps_start "ref:$(vm_ns vm1a):eth0:icmp" "erc:$NS_ERC:eth0:proto gre"
	check "$T: vm1a pings vm2a 10 times" vping vm1a "$IP2A" 10 -s 472
	caps_stop
	out=$(tshark -r "${CAPS[erc]}" -Y icmp -T fields -e erspan.version -e erspan.spanid -e erspan.index -e erspan.truncated 2>/dev/null | sort | uniq -c | awk '{$1=$1; print}')
	check_eq "$T: tshark: 20 Type II copies (ver 1), span id 5, index 0x12345, not truncated" "$out" "20 1 5 74565 0"
	j=$("$PY" "$MPY" erspan "${CAPS[erc]}" "${CAPS[ref]}" 2>&1)
	check_eq "$T: scapy: ERSPAN_II, session 5, index 0x12345" \
		"$(jq -c '[.count, .types, .session, .index, .t]' <<<"$j" 2>&1)" '[20,["II"],[5],[74565],[0]]'
	check_eq "$T: scapy: GRE sequence numbers consecutive" "$(jq -r '.seq_consecutive' <<<"$j" 2>&1)" true
	check_eq "$T: scapy: inner frames byte-identical" "$(jq -r '.inner_match' <<<"$j" 2>&1)" true
	check_eq "$T: show -j counts the copies" "$(ms "$H1" 10 .packets)" 20
	check "$T: delete the Type II session" xvc "$H1" mirror del 10

	# Type III
	check "$T: add ERSPAN III session" xvc "$H1" mirror add 11 src vm1a erspan remote "$ERC_IP" version 3 session 7 hwid 9
	caps_start "ref:$(vm_ns vm1a):eth0:icmp" "erc:$NS_ERC:eth0:proto gre"
	check "$T: vm1a pings vm2a 10 times" vping vm1a "$IP2A" 10 -s 1472
	caps_stop
	out=$(tshark -r "${CAPS[erc]}" -Y icmp -T fields -e erspan.version -e erspan.spanid -e erspan.hw -e erspan.direction -e icmp.type 2>/dev/null | sort | uniq -c | awk '{$1=$1; print}' | paste -sd'|')
	# direction: rx copies (requests, type 8) D=0, tx copies (replies, type 0) D=1
	check_eq "$T: tshark: Type III (ver 2), span id 7, hw id 9, direction by copy" "$out" "10 2 7 9 0 8|10 2 7 9 1 0"
	j=$("$PY" "$MPY" erspan "${CAPS[erc]}" "${CAPS[ref]}" 2>&1)
	check_eq "$T: scapy: ERSPAN_III, session 7, hw id 9, frame type Ethernet" \
		"$(jq -c '[.count, .types, .session, .hwid, .ft, .t]' <<<"$j" 2>&1)" '[20,["III"],[7],[9],[0],[0]]'
	check_eq "$T: scapy: D bit 0 on requests (rx), 1 on replies (tx)" \
		"$(jq -c '.dir_by_icmp' <<<"$j" 2>&1)" '{"0":[1],"8":[0]}'
	check_eq "$T: scapy: GRE sequence numbers consecutive" "$(jq -r '.seq_consecutive' <<<"$j" 2>&1)" true
	check_eq "$T: scapy: 1514-byte inner frames byte-identical" \
		"$(jq -c '[.inner_match, .inner_len]' <<<"$j" 2>&1)" '[true,[1514]]'
	check "$T: delete the Type III session" xvc "$H1" mirror del 11

	# Truncation: length and T bit
	check "$T: add truncating ERSPAN II session" xvc "$H1" mirror add 12 src vm1a dir rx erspan remote "$ERC_IP" truncate 100
	caps_start "ref:$(vm_ns vm1a):eth0:icmp" "erc:$NS_ERC:eth0:proto gre"
	check "$T: vm1a pings vm2a 5 times" vping vm1a "$IP2A" 5 -s 472
	caps_stop
	out=$(tshark -r "${CAPS[erc]}" -Y icmp -T fields -e erspan.truncated -e erspan.spanid 2>/dev/null | sort | uniq -c | awk '{$1=$1; print}')
	check_eq "$T: tshark: T bit set, default session 1" "$out" "5 1 1"
	j=$("$PY" "$MPY" erspan "${CAPS[erc]}" "${CAPS[ref]}" 2>&1)
	check_eq "$T: scapy: 100-byte inner frames, T bit set, prefix of the frames" \
		"$(jq -c '[.count, .inner_len, .t, .inner_match]' <<<"$j" 2>&1)" '[5,[100],[1],true]'
	check_eq "$T: show -j truncated counter" "$(ms "$H1" 12 .truncated)" 5
}

# An unreachable collector costs the copies, never the forwarded traffic.
erspan_unreachable()
{
	local T=erspan_unreachable out lost
	mirror_topo
	topo_check $T $? || return

	check "$T: add session to unreachable $UNREACH" xvc "$H1" mirror add 20 src vm1a erspan remote "$UNREACH"
	out=$(in_ns "$(vm_ns vm1a)" ping -n -c 100 -i 0.01 -W 2 "$IP2A" 2>&1)
	lost=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' <<<"$out" | awk '{print $1 - $2}')
	check_eq "$T: 100 pings, forwarding loss 0" "$lost" 0
	check_cmp "$T: session's no_route drops counted (requests + replies)" "$(ms "$H1" 20 .drops.no_route)" -ge 200
	check_eq "$T: no copy counted as sent" "$(ms "$H1" 20 .packets)" 0

	check "$T: blackhole route to the collector" in_ns "$H1" ip route add blackhole "$UNREACH/32"
	out=$(in_ns "$(vm_ns vm1a)" ping -n -c 50 -i 0.01 -W 2 "$IP2A" 2>&1)
	lost=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' <<<"$out" | awk '{print $1 - $2}')
	check_eq "$T: blackhole: 50 pings, forwarding loss 0" "$lost" 0
	check_cmp "$T: blackhole: drops keep rising" "$(ms "$H1" 20 .drops.no_route)" -ge 300
}

# A VM's TCP leaves it in GSO packets (TSO on the VM's veth). The ERSPAN copy
# of such a packet goes whole, as one GRE packet cut into one copy per wire
# segment wherever it is segmented (a NIC, or the kernel). The collector's
# veth takes GSO packets, so its capture shows a copy as one big frame that
# holds them all: the copies must carry every byte the VM sent, untruncated.
erspan_gso()
{
	local T=erspan_gso capdrop out bytes big segs n backlog0 backlog mb=$XFER_MB
	mirror_topo
	topo_check $T $? || return

	check_eq "$T: vm1a sends with TSO" \
		"$(in_ns "$(vm_ns vm1a)" ethtool -k eth0 | awk '/^tcp-segmentation-offload:/ {print $2}')" on
	check "$T: add ERSPAN II session, rx" xvc "$H1" mirror add 30 src vm1a dir rx erspan remote "$ERC_IP"
	caps_start "erc:$NS_ERC:eth0:proto gre"
	tcp_sha "$T: ${mb} MB file vm1a -> vm2a, sha256 equal" vm1a vm2a "$IP2A"
	caps_stop
	out=$(tshark -r "${CAPS[erc]}" -Y "tcp && ip.src == $IP1A" -T fields \
		-e frame.len -e tcp.len -e erspan.truncated -e gre.sequence_number 2>/dev/null)
	bytes=$(awk '{s += $2} END {print s + 0}' <<<"$out")
	big=$(awk '$1 > 1600 {n++} END {print n + 0}' <<<"$out")
	check_cmp "$T: the copies hold every byte sent ($((mb * 1048576)))" "$bytes" -ge $((mb * 1048576))
	check_cmp "$T: copies left whole as GSO packets (frames over the MTU)" "$big" -ge 1
	check_eq "$T: no copy truncated" "$(awk '$3 != 0' <<<"$out" | wc -l)" 0
	# A GSO copy takes one sequence number per segment (its segments repeat
	# the first): the numbers are unique per copy and span the segments.
	# Capture order may interleave copies made on two CPUs.
	check_eq "$T: no GRE sequence number used twice" "$(awk '{print $4}' <<<"$out" | sort -n | uniq -d | wc -l)" 0
	# (less the numbers the last copy's segments take after its own)
	check_cmp "$T: sequence numbers span one per 1448-byte segment" \
		"$(awk 'NR == 1 || $4 < lo {lo = $4} $4 > hi {hi = $4} END {print hi - lo + 1}' <<<"$out")" \
		-ge $((mb * 1048576 / 1448 - 64))
	n=$(wc -l <<<"$out")
	segs=$(ms "$H1" 30 .packets)
	check_cmp "$T: session counted at least one copy per 1448-byte segment" \
		"$segs" -ge $((mb * 1048576 / 1448))
	check_cmp "$T: more copies counted than frames captured (segments, not GSO packets)" \
		"$segs" -gt "$n"
	check "$T: delete the session" xvc "$H1" mirror del 30

	# Cut by the kernel: with GRE segmentation off on h1's uplink, the
	# copies reach the collector as wire-sized frames, each a whole ERSPAN
	# packet whose inner IPv4 and TCP checksums verify (tx checksum offload
	# off too: veth would pass the segments' checksums on unfinished). Every
	# segment arrives (tcpdump's "received by filter" against the session's
	# count); tcpdump may drop some of a burst before writing them, so the
	# bytes decoded are checked against half the file: one truncated copy
	# per GSO packet would hold 3%.
	check "$T: GRE segmentation off on h1's uplink" in_ns "$H1" ethtool -K ul tx-gre-segmentation off tx off
	check "$T: add ERSPAN III session, rx" xvc "$H1" mirror add 31 src vm1a dir rx erspan remote "$ERC_IP" version 3
	backlog0=$(backlog_drops)
	caps_start "erc:$NS_ERC:eth0:proto gre"
	tcp_sha "$T: ${mb} MB file vm1a -> vm2a, sha256 equal" vm1a vm2a "$IP2A"
	# counted while the capture still runs: a frame copied after it stopped
	# (a late ACK, an ARP probe) would be counted and never captured
	segs=$(ms "$H1" 31 .packets)
	caps_stop
	backlog=$(($(backlog_drops) - backlog0))
	out=$(tshark -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -r "${CAPS[erc]}" \
		-Y "tcp && ip.src == $IP1A" -T fields -e frame.len -e tcp.len -e ip.checksum.status \
		-e tcp.checksum.status -e erspan.version 2>/dev/null)
	check_cmp "$T: session counted at least one copy per 1448-byte segment" \
		"$segs" -ge $((mb * 1048576 / 1448))
	# A burst of segments can overflow a CPU's backlog queue (netdev_max_backlog)
	# on its way into the collector's veth, before tcpdump: such a loss is
	# the kernel's, counted in softnet_stat, and has to stay rare.
	# What tcpdump itself could not keep up with (its ring full: "dropped by
	# kernel") is the capture's loss, not the session's: on a loaded machine
	# it takes a few frames, each at most one 1448-byte segment.
	capdrop=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "${CAPS[erc]}.err")
	check_cmp "$T: each reached the collector as a frame of its own (or was one of the kernel's $backlog backlog drops, or of tcpdump's ${capdrop:-0})" \
		$(($(sed -n 's/^\([0-9]*\) packets\{0,1\} received by filter.*/\1/p' "${CAPS[erc]}.err") + backlog + ${capdrop:-0})) -ge "$segs"
	check_cmp "$T: backlog drops under 1% of the segments" "$backlog" -le $((segs / 100))
	check_cmp "$T: segmented copies hold at least half the bytes sent (tcpdump's ${capdrop:-0} drops counted as full segments)" \
		"$(awk -v d="${capdrop:-0}" '{s += $2} END {print s + d * 1448}' <<<"$out")" -ge $((mb * 1048576 / 2))
	check_eq "$T: every copy fits the uplink (largest <= 1514 + 54)" \
		"$(awk '$1 > m {m = $1} END {print (m > 0 && m <= 1568) ? "yes" : "no " m}' <<<"$out")" yes
	check_eq "$T: outer and inner IPv4, inner TCP checksums verify, all Type III" \
		"$(awk '{print $3, $4, $5}' <<<"$out" | sort | uniq -c | awk '{$1 = ""; print substr($0, 2)}')" "1,1 1 2"
	check "$T: delete the session" xvc "$H1" mirror del 31
	check "$T: GRE segmentation back on" in_ns "$H1" ethtool -K ul tx-gre-segmentation on tx on
}

# Copies on the XDP fast path. A port with one tx session stays on XDP: the
# decap path sends the frame to the port and a copy to the mirror device, where
# xvtep_xdp_mir shapes and sends it if its output takes XDP frames (a veth
# whose peer has GRO on), else hands it to xvtep_tc_mirror. Which program made
# each copy is read from the programs' run counts.
xdp_copies()
{
	local T=xdp_copies c j out idx to_tc0 lost rep="icmp[0] == 0" MIRROR_RUNS
	mirror_topo
	topo_check $T $? || return
	# Tagged XDP copies need bpf_xdp_adjust_meta; without it tc_copies covers TC's.
	if [ "$(xvl "$H1" -j status | jq '.features["xdp-meta"].on')" != true ]; then
		check_eq "$T: kernel refuses bpf_xdp_adjust_meta in XDP: status says so" \
			"$(xvl "$H1" -j status | jq -r '.features["xdp-meta"].reason')" \
			"kernel refuses bpf_xdp_adjust_meta in XDP: tagged mirror copies are made in TC"
		return
	fi
	idx=$(ifindex_in "$H1" vm1a)
	static_neighbours
	bpf_stats_hold

	# SPAN, output takes XDP frames
	check "$T: GRO on c1: mcol1 takes XDP frames" in_ns "$NS_COL" ethtool -K c1 gro on
	check "$T: add tx SPAN session to mcol1" xvc "$H1" mirror add 30 src vm1a dir tx span dev mcol1
	check_not "$T: vm1a out of the devmap" devmap_has "$H1" "$idx"
	check "$T: vm1a has a pair map in xvtep_mirror_bcast" map_has "$H1" xvtep_mirror_bcast "$idx"
	check "$T: mcol1 in xvtep_mirror_xmit" map_has "$H1" xvtep_mirror_xmit "$(ifindex_in "$H1" mcol1)"
	check_not "$T: mcol2 (peer without GRO) not in xvtep_mirror_xmit" \
		map_has "$H1" xvtep_mirror_xmit "$(ifindex_in "$H1" mcol2)"
	check_eq "$T: SPAN, nothing to cut, mcol1 takes XDP frames: vm1a's pair is {vm1a, mcol1}" \
		"$(pair_members "$H1" "$idx")" "$(pair_of "$H1" "$idx" mcol1)"
	to_tc0=$(xdp_to_tc "$H1")
	pings_counted 472 "ref:$(vm_ns vm1a):eth0:$rep" "col:$NS_COL:c1"
	check_eq "$T: SPAN: 10 copies sent straight by the decap path (mirror device's XDP and TC ran 0 times)" \
		"$MIRROR_RUNS" "0 0"
	check_eq "$T: SPAN: the replies took the XDP path (xdp_to_tc unchanged)" \
		"$(xdp_to_tc "$H1")" "$to_tc0"
	out=$("$PY" "$MPY" same "${CAPS[ref]}" "${CAPS[col]}" 2>&1)
	check_eq "$T: SPAN: copies byte-identical to the 10 replies" "$out" "ok 10"
	check_eq "$T: SPAN: show -j counts 10 copies, 5140 bytes" \
		"$(xvc "$H1" -j mirror show 30 | jq -c '.[0] | [.packets, .bytes]')" "[10,5140]"

	# The same session when the output no longer takes XDP frames: TC sends.
	check "$T: GRO off on c1" in_ns "$NS_COL" ethtool -K c1 gro off
	check "$T: re-add the session (xvtep_mirror_xmit refreshed)" sh -c \
		"$CTL --pin $(pin_dir "$H1") -n $H1 mirror del 30 && $CTL --pin $(pin_dir "$H1") -n $H1 mirror add 30 src vm1a dir tx span dev mcol1"
	check_not "$T: mcol1 out of xvtep_mirror_xmit" map_has "$H1" xvtep_mirror_xmit "$(ifindex_in "$H1" mcol1)"
	check_eq "$T: fallback: vm1a's pair is {vm1a, xvtep-mirp}" "$(pair_members "$H1" "$idx")" \
		"$(pair_of "$H1" "$idx" xvtep-mirp)"
	pings_counted 472 "ref:$(vm_ns vm1a):eth0:$rep" "col:$NS_COL:c1"
	check_eq "$T: fallback: 10 copies made by XDP, passed to and sent by TC" "$MIRROR_RUNS" "10 10"
	out=$("$PY" "$MPY" same "${CAPS[ref]}" "${CAPS[col]}" 2>&1)
	check_eq "$T: fallback: copies byte-identical to the 10 replies" "$out" "ok 10"
	# A re-attach rebuilds the pairs, after refreshing xvtep_mirror_xmit.
	check "$T: GRO on c1 again" in_ns "$NS_COL" ethtool -K c1 gro on
	check "$T: re-attach" xvl "$H1" attach --uplink ul --local "$(ul_ip 1)" --decap hybrid
	check_eq "$T: after re-attach: mcol1 takes XDP frames again, vm1a's pair is {vm1a, mcol1}" \
		"$(pair_members "$H1" "$idx")" "$(pair_of "$H1" "$idx" mcol1)"
	check "$T: delete the SPAN session" xvc "$H1" mirror del 30
	check_not "$T: no tx session: vm1a's pair map removed" map_has "$H1" xvtep_mirror_bcast "$idx"
	check "$T: no tx session: vm1a back in the devmap" devmap_has "$H1" "$idx"

	# RSPAN with truncation, in XDP
	check "$T: GRO on c2" in_ns "$NS_COL" ethtool -K c2 gro on
	check "$T: add tx RSPAN session, vlan 77, truncate 100" \
		xvc "$H1" mirror add 31 src vm1a dir tx rspan dev mcol2 vlan 77 truncate 100
	check_eq "$T: RSPAN: vm1a's pair is {vm1a, xvtep-mirp} (the copy is shaped there)" \
		"$(pair_members "$H1" "$idx")" \
		"$(pair_of "$H1" "$idx" xvtep-mirp)"
	pings_counted 472 "ref:$(vm_ns vm1a):eth0:$rep" "col:$NS_COL:c2"
	check_eq "$T: RSPAN: 10 copies by XDP, none by TC" "$MIRROR_RUNS" "10 0"
	out=$(tshark -r "${CAPS[col]}" -T fields -e vlan.id -e frame.len 2>/dev/null | sort | uniq -c | awk '{$1=$1; print}')
	check_eq "$T: RSPAN: tshark: 10 copies, VID 77, 104 bytes" "$out" "10 77 104"
	out=$("$PY" "$MPY" same "${CAPS[ref]}" "${CAPS[col]}" --strip-vlan 77 --trunc 100 2>&1)
	check_eq "$T: RSPAN: untagged copies are the replies' first 100 bytes" "$out" "ok 10"
	check_eq "$T: RSPAN: show -j truncated 10" "$(ms "$H1" 31 .truncated)" 10
	check "$T: delete the RSPAN session" xvc "$H1" mirror del 31

	# ERSPAN III through the uplink, in XDP
	check "$T: GRO on the uplink's peer: ul takes XDP frames" in_ns "$NS_UL" ethtool -K h1 gro on
	check "$T: add tx ERSPAN III session" \
		xvc "$H1" mirror add 32 src vm1a dir tx erspan remote "$ERC_IP" version 3 session 6 hwid 5
	check "$T: ul in xvtep_mirror_xmit" map_has "$H1" xvtep_mirror_xmit "$(ifindex_in "$H1" ul)"
	pings_counted 1472 "ref:$(vm_ns vm1a):eth0:$rep" "erc:$NS_ERC:eth0:proto gre"
	check_eq "$T: ERSPAN: 10 copies by XDP, none by TC" "$MIRROR_RUNS" "10 0"
	out=$(tshark -r "${CAPS[erc]}" -Y icmp -T fields -e erspan.version -e erspan.spanid -e erspan.hw -e erspan.direction -e icmp.type 2>/dev/null | sort | uniq -c | awk '{$1=$1; print}')
	check_eq "$T: ERSPAN: tshark: 10 Type III copies, span id 6, hw id 5, D=1 (tx), replies" "$out" "10 2 6 5 1 0"
	j=$("$PY" "$MPY" erspan "${CAPS[erc]}" "${CAPS[ref]}" 2>&1)
	check_eq "$T: ERSPAN: scapy: III, session 6, 1514-byte inner frames byte-identical, T=0" \
		"$(jq -c '[.count, .types, .session, .inner_len, .inner_match, .t]' <<<"$j" 2>&1)" '[10,["III"],[6],[1514],true,[0]]'
	check_eq "$T: ERSPAN: scapy: GRE sequence numbers consecutive" "$(jq -r '.seq_consecutive' <<<"$j" 2>&1)" true

	# Rate limit on the XDP path: copies cut, forwarding untouched.
	check "$T: rate 1 burst 2 on the ERSPAN session" xvc "$H1" mirror set 32 rate 1 burst 2
	out=$(in_ns "$(vm_ns vm1a)" ping -n -q -c 20 -i 0.02 -W 2 "$IP2A" 2>&1)
	lost=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' <<<"$out" | awk '{print $1 - $2}')
	check_eq "$T: rate limit: 20 pings, forwarding loss 0" "$lost" 0
	check_eq "$T: rate limit: copies + rate_limited = 30 replies" \
		"$(xvc "$H1" -j mirror show 32 | jq '.[0].packets + .[0].drops.rate_limited')" 30
	check_cmp "$T: rate limit: at most burst + 1 of the 20 copied" \
		"$(xvc "$H1" -j mirror show 32 | jq '.[0].packets')" -le 13

	# Two tx sessions on one port: TC makes the copies (the port leaves XDP).
	check "$T: second tx session on vm1a" xvc "$H1" mirror add 33 src vm1a dir tx span dev mcol3
	check_not "$T: two tx sessions: no pair map" map_has "$H1" xvtep_mirror_bcast "$idx"
	check_not "$T: two tx sessions: vm1a not in the devmap" devmap_has "$H1" "$idx"
	caps_start "c3:$NS_COL:c3"
	check "$T: vm1a pings vm2a 10 times" vping vm1a "$IP2A" 10
	caps_stop
	c=$(icmp_count "${CAPS[c3]}")
	check_eq "$T: two tx sessions: 10 replies copied by TC" "${c% *}" "0 10"

	# A SPAN destination deleted under a direct pair: the kernel drops it from
	# the pair map; forwarding goes on, the copies stop, nothing is miscounted.
	check "$T: delete the two tx sessions" sh -c \
		"$CTL --pin $(pin_dir "$H1") -n $H1 mirror del 32 && $CTL --pin $(pin_dir "$H1") -n $H1 mirror del 33"
	check "$T: GRO on c4" in_ns "$NS_COL" ethtool -K c4 gro on
	check "$T: add tx SPAN session to mcol4" xvc "$H1" mirror add 34 src vm1a dir tx span dev mcol4
	check_eq "$T: vm1a's pair is {vm1a, mcol4}" "$(pair_members "$H1" "$idx")" \
		"$(pair_of "$H1" "$idx" mcol4)"
	check "$T: delete mcol4 under the session" in_ns "$H1" ip link del mcol4
	check_eq "$T: mcol4 deleted: vm1a's pair is {vm1a}" "$(pair_members "$H1" "$idx")" "$idx"
	out=$(in_ns "$(vm_ns vm1a)" ping -n -q -c 10 -i 0.02 -W 2 "$IP2A" 2>&1)
	check_eq "$T: mcol4 deleted: 10 pings, forwarding loss 0" \
		"$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' <<<"$out")" "10 10"
	check_eq "$T: mcol4 deleted: the session counts no copies and no drops" \
		"$(xvc "$H1" -j mirror show 34 | jq -c '.[0] | [.packets, ([.drops[]] | add)]')" "[0,0]"
	check "$T: delete the session" xvc "$H1" mirror del 34

	bpf_stats_release
}

# neg NAME ARGS... : `mirror ARGS` must fail with an "argument ... is wrong" error
# and leave every mirror map as it was
# tc_copies: a kernel that refuses bpf_xdp_adjust_meta in XDP (forced with
# XVTEP_FEATURES_OFF=xdp-meta): copies that carry a tag to the mirror device
# are made by TC instead, byte for byte the same; a SPAN copy sent straight
# to a device that takes XDP frames needs no tag and stays in XDP.
tc_copies()
{
	local T=tc_copies idx out j rep="icmp[0] == 0" MIRROR_RUNS to_tc0 forced why
	mirror_topo
	topo_check $T $? || return
	idx=$(ifindex_in "$H1" vm1a)
	static_neighbours
	bpf_stats_hold
	# a kernel that refuses the helper itself (fc-v1300) reports that, not the hand
	if [ "$(xvl "$H1" -j status | jq '.features["xdp-meta"].on')" = true ]; then
		forced=true why='turned off by XVTEP_FEATURES_OFF'
	else
		forced=false why='kernel refuses bpf_xdp_adjust_meta in XDP'
	fi
	check "$T: re-attach h1 with xdp-meta off" env XVTEP_FEATURES_OFF=xdp-meta \
		"$LOADER" --pin "$(pin_dir "$H1")" -n "$H1" attach --uplink ul --local "$(ul_ip 1)" --decap hybrid
	check_eq "$T: status -j: xdp-meta off (forced: $forced)" \
		"$(xvl "$H1" -j status | jq -c '.features["xdp-meta"] | [.on, .forced]')" "[false,$forced]"
	check_eq "$T: status: says why ($why)" "$(xvl "$H1" status | grep -c "xdp-meta off ($why")" 1
	check_eq "$T: the XDP decap program has no call to bpf_xdp_adjust_meta" \
		"$(bpftool prog dump xlated id "$(xvl "$H1" -j status | jq '.programs.xdp_uplink.prog_id')" | grep -c 'call bpf_xdp_adjust_meta')" 0

	# RSPAN needs the tag: no pair, TC copies
	check "$T: GRO on c2" in_ns "$NS_COL" ethtool -K c2 gro on
	check "$T: add tx RSPAN session, vlan 77" xvc "$H1" mirror add 31 src vm1a dir tx rspan dev mcol2 vlan 77
	check_eq "$T: RSPAN: vm1a has no pair map" "$(pair_members "$H1" "$idx")" ""
	to_tc0=$(xdp_to_tc "$H1")
	pings_counted 472 "ref:$(vm_ns vm1a):eth0:$rep" "col:$NS_COL:c2"
	check_eq "$T: RSPAN: 10 copies shaped by TC, none by XDP" "$MIRROR_RUNS" "0 10"
	check_eq "$T: RSPAN: the replies were left to TC" "$(( $(xdp_to_tc "$H1") - to_tc0 ))" 10
	out=$(tshark -r "${CAPS[col]}" -T fields -e vlan.id -e frame.len 2>/dev/null | sort | uniq -c | awk '{$1=$1; print}')
	check_eq "$T: RSPAN: tshark: 10 copies, VID 77, 518 bytes" "$out" "10 77 518"
	out=$("$PY" "$MPY" same "${CAPS[ref]}" "${CAPS[col]}" --strip-vlan 77 2>&1)
	check_eq "$T: RSPAN: untagged copies byte-identical to the replies" "$out" "ok 10"
	check "$T: delete the RSPAN session" xvc "$H1" mirror del 31

	# ERSPAN III: the same
	check "$T: add tx ERSPAN III session" \
		xvc "$H1" mirror add 32 src vm1a dir tx erspan remote "$ERC_IP" version 3 session 6 hwid 5
	check_eq "$T: ERSPAN: vm1a has no pair map" "$(pair_members "$H1" "$idx")" ""
	pings_counted 1472 "ref:$(vm_ns vm1a):eth0:$rep" "erc:$NS_ERC:eth0:proto gre"
	check_eq "$T: ERSPAN: 10 copies by TC" "$MIRROR_RUNS" "0 10"
	j=$("$PY" "$MPY" erspan "${CAPS[erc]}" "${CAPS[ref]}" 2>&1)
	check_eq "$T: ERSPAN: scapy: 10 Type III copies, session 6, hw id 5, frames identical" \
		"$(jq -c '[.count, .types, .session, .hwid, .inner_match]' <<<"$j" 2>&1)" '[10,["III"],[6],[5],true]'
	check "$T: delete the ERSPAN session" xvc "$H1" mirror del 32

	# SPAN straight to a device that takes XDP frames: no tag, XDP copies
	check "$T: GRO on c1: mcol1 takes XDP frames" in_ns "$NS_COL" ethtool -K c1 gro on
	check "$T: add tx SPAN session to mcol1" xvc "$H1" mirror add 30 src vm1a dir tx span dev mcol1
	check_eq "$T: SPAN: vm1a's pair is {vm1a, mcol1}" "$(pair_members "$H1" "$idx")" "$(pair_of "$H1" "$idx" mcol1)"
	to_tc0=$(xdp_to_tc "$H1")
	pings_counted 472 "ref:$(vm_ns vm1a):eth0:$rep" "col:$NS_COL:c1"
	check_eq "$T: SPAN: copies sent straight by XDP (mirror device unused)" "$MIRROR_RUNS" "0 0"
	check_eq "$T: SPAN: the replies took the XDP path" "$(xdp_to_tc "$H1")" "$to_tc0"
	out=$("$PY" "$MPY" same "${CAPS[ref]}" "${CAPS[col]}" 2>&1)
	check_eq "$T: SPAN: copies byte-identical to the 10 replies" "$out" "ok 10"

	# Back to the kernel's features: the pair toward the mirror device returns
	check "$T: delete the SPAN session" xvc "$H1" mirror del 30
	check "$T: add tx RSPAN session again" xvc "$H1" mirror add 31 src vm1a dir tx rspan dev mcol2 vlan 77
	check "$T: re-attach h1 with the kernel's features" xvl "$H1" attach --uplink ul --local "$(ul_ip 1)" --decap hybrid
	if [ "$(xvl "$H1" -j status | jq '.features["xdp-meta"].on')" = true ]; then
		check_eq "$T: xdp-meta on again: vm1a's pair is {vm1a, xvtep-mirp}" \
			"$(pair_members "$H1" "$idx")" "$(pair_of "$H1" "$idx" xvtep-mirp)"
	else
		check_eq "$T: the kernel lacks xdp-meta: still no pair" "$(pair_members "$H1" "$idx")" ""
	fi
	bpf_stats_release
}

neg()
{
	local name=$1 before after out rc
	shift
	before=$(maps_snapshot "$H1")
	out=$(xvc "$H1" mirror "$@" 2>&1)
	rc=$?
	after=$(maps_snapshot "$H1")
	if [ $rc -ne 0 ] && grep -q '^Error: argument ".*" is wrong: ' <<<"$out" && [ "$before" == "$after" ]; then
		check_pass "mirror_cli: refused: $name"
		return 0
	fi
	check_fail "mirror_cli: refused: $name" "rc=$rc maps $([ "$before" == "$after" ] && echo unchanged || echo CHANGED): $out"
	return 1
}

mirror_cli()
{
	local T=mirror_cli i out
	mirror_topo
	topo_check $T $? || return

	check "$T: add a session" xvc "$H1" mirror add 1 src vm1a span dev mcol1
	neg "ID in use" add 1 src vm1b span dev mcol2
	neg "ID 0" add 0 src vm1a span dev mcol2
	neg "ID 65536" add 65536 src vm1a span dev mcol2
	neg "ID not a number" add one src vm1a span dev mcol2
	neg "source not a port" add 2 src mcol3 span dev mcol2
	neg "source does not exist" add 2 src nosuchdev span dev mcol2
	neg "duplicate source" add 2 src vm1a,vm1b,vm1a span dev mcol2
	neg "9 sources" add 2 src a1,a2,a3,a4,a5,a6,a7,a8,a9 span dev mcol2
	neg "destination is a source (loop)" add 2 src vm1a,vm1b span dev vm1b
	neg "destination does not exist" add 2 src vm1a span dev nosuchdev
	neg "mirror device as destination" add 2 src vm1a span dev xvtep-mir
	neg "missing session type" add 2 src vm1a
	neg "missing source" add 2 span dev mcol2
	neg "span without dev" add 2 src vm1a span
	neg "rspan without vlan" add 2 src vm1a rspan dev mcol2
	neg "VID 0" add 2 src vm1a rspan dev mcol2 vlan 0
	neg "VID 4095" add 2 src vm1a rspan dev mcol2 vlan 4095
	neg "vlan on span" add 2 src vm1a span dev mcol2 vlan 10
	neg "erspan without remote" add 2 src vm1a erspan
	neg "remote multicast" add 2 src vm1a erspan remote 239.1.1.1
	neg "remote broadcast" add 2 src vm1a erspan remote 255.255.255.255
	neg "remote 0.0.0.0" add 2 src vm1a erspan remote 0.0.0.0
	neg "remote not an address" add 2 src vm1a erspan remote 198.51.100
	neg "session 1024" add 2 src vm1a erspan remote "$ERC_IP" session 1024
	neg "index 0x100000" add 2 src vm1a erspan remote "$ERC_IP" index 0x100000
	neg "hwid 64" add 2 src vm1a erspan remote "$ERC_IP" version 3 hwid 64
	neg "version 1" add 2 src vm1a erspan remote "$ERC_IP" version 1
	neg "version 4" add 2 src vm1a erspan remote "$ERC_IP" version 4
	neg "truncate 13" add 2 src vm1a span dev mcol2 truncate 13
	neg "dir sideways" add 2 src vm1a dir sideways span dev mcol2
	neg "two session types" add 2 src vm1a span dev mcol2 erspan remote "$ERC_IP"
	neg "unknown keyword" add 2 src vm1a span dev mcol2 colour blue
	neg "del of an unknown session" del 99
	neg "show of an unknown session" show 99

	# The edges of the ranges are accepted.
	check "$T: accepts session 1023, index 0xFFFFF, hwid 63, ID 65535" \
		xvc "$H1" mirror add 65535 src vm1b,ul dir tx erspan remote "$ERC_IP" version 3 session 1023 index 0xFFFFF hwid 63 truncate 14
	check_eq "$T: show -j of the edge session" \
		"$(xvc "$H1" -j mirror show 65535 | jq -c '.[0] | [.sources, .dir, .type, .remote, .version, .session, .index, .hwid, .truncate, .dev]')" \
		"[[\"vm1b\",\"ul\"],\"tx\",\"erspan\",\"$ERC_IP\",3,1023,1048575,63,14,null]"
	check "$T: rspan with VID 4094" xvc "$H1" mirror add 3 src vm1b dir rx rspan dev mcol3 vlan 4094

	# 32 slots: 3 used, 29 more fit, the 33rd session does not.
	out=0
	for ((i = 100; i < 129; i++)); do
		xvc "$H1" mirror add $i src vm1a dir rx span dev mcol4 >/dev/null 2>&1 || out=$((out + 1))
	done
	check_eq "$T: 32 sessions fit" "$out" 0
	neg "no free slot" add 200 src vm1a span dev mcol4
	out=0
	for ((i = 100; i < 129; i++)); do
		xvc "$H1" mirror del $i >/dev/null 2>&1 || out=$((out + 1))
	done
	check_eq "$T: 29 sessions deleted" "$out" 0

	# port del is refused while the port is used by a session.
	out=$(xvc "$H1" port del vm1a 2>&1)
	if [ $? -ne 0 ] && grep -q "mirror session 1" <<<"$out"; then
		check_pass "$T: port del of a source refused, naming session 1"
	else
		check_fail "$T: port del of a source refused, naming session 1" "$out"
	fi
	check "$T: SPAN to an xvtep port" xvc "$H1" mirror add 4 src vm1a dir rx span dev vm1b
	xvc "$H1" mirror del 3 >/dev/null 2>&1
	xvc "$H1" mirror del 65535 >/dev/null 2>&1
	out=$(xvc "$H1" port del vm1b 2>&1)
	if [ $? -ne 0 ] && grep -q "destination of mirror session 4" <<<"$out"; then
		check_pass "$T: port del of a SPAN destination refused, naming session 4"
	else
		check_fail "$T: port del of a SPAN destination refused, naming session 4" "$out"
	fi
	local idx link
	idx=$(in_ns "$H1" ip -j link show vm1b | jq '.[0].ifindex')
	link=$(port_eg_hook "$H1" "$idx")
	check "$T: vm1b has an egress hook" test -n "$link"
	check "$T: port del of vm1b once session 4 is gone" sh -c \
		"$CTL --pin $(pin_dir "$H1") -n $H1 mirror del 4 && $CTL --pin $(pin_dir "$H1") -n $H1 port del vm1b"
	check_eq "$T: port del removed vm1b's egress hook" "$(port_eg_hook "$H1" "$idx")" ""
	if [ "$(tc_attach "$H1")" == tcx ]; then
		check_not "$T: port del removed vm1b's egress link pin" test -e "$(pin_dir "$H1")/links/port_eg_$idx"
		# the kernel frees a released link asynchronously
		wait_for 5 sh -c "! bpftool link show id ${link:-0}"
		check_not "$T: vm1b's egress link is gone from the kernel" bpftool link show id "${link:-0}"
	else
		check_eq "$T: port del removed vm1b's egress filter" \
			"$(in_ns "$H1" tc filter show dev vm1b egress)" ""
	fi
	check "$T: port add attaches the egress program again" sh -c \
		"$CTL --pin $(pin_dir "$H1") -n $H1 port add vm1b vni 100"
	check "$T: vm1b has an egress hook again" test -n "$(port_eg_hook "$H1" "$idx")"
	# XDP delivers only to ports in the devmap, bypassing TC egress: a tx
	# source must leave it while the session lasts, and come back after.
	check "$T: vm1b is an XDP target" devmap_has "$H1" "$idx"
	check "$T: tx session on vm1b" xvc "$H1" mirror add 5 src vm1b dir tx span dev mcol4
	check_not "$T: a tx source is not an XDP target" devmap_has "$H1" "$idx"
	check "$T: mirror set keeps it out" xvc "$H1" mirror set 5 rate 1000
	check_not "$T: still not an XDP target after mirror set" devmap_has "$H1" "$idx"
	check "$T: mirror del 5" xvc "$H1" mirror del 5
	check "$T: vm1b is an XDP target again" devmap_has "$H1" "$idx"
	check "$T: mirror del 1" xvc "$H1" mirror del 1
	check "$T: port del of vm1a once unmirrored" xvc "$H1" port del vm1a
	check_eq "$T: no bits left in the ports map" \
		"$(bpftool -j map dump pinned "$(pin_dir "$H1")/xvtep_ports" | jq '[.[] | .formatted.value | .mirror_rx + .mirror_tx] | add // 0')" 0
	check_eq "$T: no bits left on the uplink" \
		"$(bpftool -j map dump pinned "$(pin_dir "$H1")/xvtep_upmirror" | jq '.[0].formatted.value | .mirror_rx + .mirror_tx')" 0
	check_eq "$T: show -j with no session is an empty array" "$(xvc "$H1" -j mirror show)" "[]"

	local log
	log=$(PY=$PY syslog_of "$CTL" --pin "$(pin_dir "$H1")" -n "$H1" mirror add 9 src vm1b span dev mcol1)
	check "$T: mirror add logged to syslog (authpriv.notice, uid, command line)" \
		grep -q "^<85>.*xvtepctl\[[0-9]*\]: uid $(id -u): .* mirror add 9 src vm1b span dev mcol1: done" <<<"$log"
	log=$(PY=$PY syslog_of "$CTL" --pin "$(pin_dir "$H1")" -n "$H1" mirror add 9 src vm1b span dev mcol1)
	check "$T: refused mirror add logged too" grep -q "uid $(id -u): .* mirror add 9 .*: refused" <<<"$log"
	log=$(PY=$PY syslog_of "$CTL" --pin "$(pin_dir "$H1")" -n "$H1" mirror del 9)
	check "$T: mirror del logged" grep -q "^<85>.* mirror del 9: done" <<<"$log"
}

# Sessions survive a re-attach, and a detach --keep-maps + attach.
mirror_reattach()
{
	local T=mirror_reattach before after c id1 id2
	mirror_topo
	topo_check $T $? || return

	check "$T: add span session" xvc "$H1" mirror add 1 src vm1a dir rx span dev mcol1
	check "$T: add erspan session" xvc "$H1" mirror add 2 src vm1a,ul erspan remote "$ERC_IP" version 3
	check "$T: status shows the mirror device and programs" sh -c \
		"$LOADER --pin $(pin_dir "$H1") -n $H1 -j status | jq -e '.mirror.present and .mirror.up and .mirror.sessions == 2 and .programs.tc_mirror.prog_name == \"xvtep_tc_mirror\" and .programs.xdp_mirror.prog_name == \"xvtep_xdp_mir\" and .programs.tc_uplink_eg.prog_name == \"xvtep_tc_up_eg\" and (.programs.port_eg_links | length) == 2' >/dev/null"
	before=$(xvc "$H1" -j mirror show | jq -c 'map(del(.packets, .bytes, .truncated, .drops))')
	id1=$(xvl "$H1" -j status | jq -c '[.programs.tc_mirror.link_id, .programs.xdp_mirror.link_id, .programs.tc_uplink_eg.link_id, .mirror.ifindex]')

	# As if a CLI had died between the port and devmap updates: vm1a, a tx
	# source, back in the devmap (ifindexes resolve in the caller's netns: in_ns).
	# attach derives the devmap from the ports again.
	local idx b
	idx=$(in_ns "$H1" ip -j link show vm1a | jq '.[0].ifindex')
	b="$((idx & 255)) $((idx >> 8 & 255)) 0 0"
	# shellcheck disable=SC2086
	check "$T: plant vm1a (a tx source) in the devmap" \
		in_ns "$H1" bpftool map update pinned "$(pin_dir "$H1")/xvtep_devmap" key $b value $b
	check "$T: re-attach" xvl "$H1" attach --uplink ul --local "$(ul_ip 1)"
	check_not "$T: re-attach took the tx source out of the devmap" devmap_has "$H1" "$idx"
	after=$(xvc "$H1" -j mirror show | jq -c 'map(del(.packets, .bytes, .truncated, .drops))')
	check_eq "$T: sessions unchanged by the re-attach" "$after" "$before"
	id2=$(xvl "$H1" -j status | jq -c '[.programs.tc_mirror.link_id, .programs.xdp_mirror.link_id, .programs.tc_uplink_eg.link_id, .mirror.ifindex]')
	check_eq "$T: links updated in place, same mirror device" "$id2" "$id1"
	caps_start "c1:$NS_COL:c1" "erc:$NS_ERC:eth0:proto gre"
	check "$T: ping after re-attach" vping vm1a "$IP2A" 10
	caps_stop
	c=$(icmp_count "${CAPS[c1]}")
	check_eq "$T: span copies after re-attach" "${c% *}" "10 0"
	c=$(icmp_count "${CAPS[erc]}")
	# vm1a both ways (10 + 10) and the uplink both ways (10 + 10 encapsulated)
	check_eq "$T: erspan copies after re-attach" "${c% *}" "20 20"

	check "$T: detach --keep-maps" xvl "$H1" detach --keep-maps
	check_not "$T: mirror device gone after detach" in_ns "$H1" ip link show xvtep-mir
	check "$T: attach from the pins" xvl "$H1" attach --uplink ul --local "$(ul_ip 1)"
	after=$(xvc "$H1" -j mirror show | jq -c 'map(del(.packets, .bytes, .truncated, .drops))')
	check_eq "$T: sessions kept across detach --keep-maps" "$after" "$before"
	caps_start "c1:$NS_COL:c1"
	check "$T: ping after attach from the pins" vping vm1a "$IP2A" 10
	caps_stop
	c=$(icmp_count "${CAPS[c1]}")
	check_eq "$T: span copies after attach from the pins" "${c% *}" "10 0"

	check "$T: detach" xvl "$H1" detach
	check_not "$T: mirror device deleted by detach" in_ns "$H1" ip link show xvtep-mir
	check_not "$T: pin dir removed" test -e "$(pin_dir "$H1")"
}

xvt_require_all
require_cmds tshark bpftool
tests_run
