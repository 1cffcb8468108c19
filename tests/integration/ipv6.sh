#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The IPv6 underlay (docs/ipv6-underlay.md): xvtep against xvtep and against
# the kernel's vxlan device with an IPv6 local, in the XDP and TC decap
# modes; a multicast group ff05::db8:c8; a dual-stack host whose VNI floods
# to an IPv4 and an IPv6 VTEP at once; the VTEP allow-list, the monitor and
# the CLI with IPv6 addresses.
#
#   vm1a(ns) .11        vm2a(ns) .21         vm3a(ns) .31       192.0.2.0/24 (overlay)
#     |eth0               |eth0                |eth0            MTU 1430 (70 B of outer)
#   [h1: xvtep]         [h2: xvtep]          [h3: kernel vxlan vx100 + br100,
#                                              local 2001:db8:100::3, udp6zerocsumrx]
#   ul 2001:db8:100::1  ul 2001:db8:100::2   ul 2001:db8:100::3  (and 198.51.100.N)
#        \____________________|____________________/
#                     [ul: bridge br0, no snooping]
#
# The outer UDP checksum xvtep sends over IPv6 is zero (RFC 6935), so the
# kernel peer takes zero checksums (udp6zerocsumrx); it sends checksummed
# frames itself (udp6zerocsumtx off), which xvtep accepts.

ALL_TESTS="
	v6_unicast
	v6_group
	v6_dual_stack
	v6_security
	v6_mirror
	v6_erspan
	v6_cli
"

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/topology.sh"

require_cmds tshark tcpdump

VM_MTU=1430
GROUP6=ff05::db8:c8
GROUP6_MAC=33:33:0d:b8:00:c8	# RFC 2464: 33:33 and the low 32 bits

ul_ip6() { echo "2001:db8:100::$1"; }

# topo_host6 N : host N with its uplink on both underlay families. IPv6 on
# the uplink only (ns_create turns it off: the VMs and the overlay stay free
# of ND and MLD noise), with its link-local address, from which the kernel
# sends the probes of the managed neighbours xvtep keeps (no DAD: usable
# at once).
topo_host6()
{
	local n=$1
	topo_host "$n" &&
	topo_do in_ns "$(h_ns "$n")" sysctl -qw net.ipv6.conf.ul.accept_dad=0 \
		net.ipv6.conf.ul.disable_ipv6=0 &&
	topo_do in_ns "$(h_ns "$n")" ip -6 addr add "$(ul_ip6 "$n")/64" dev ul nodad
}

# xvtep_host6 N v6|dual [attach args...] : xvtep on host N with an IPv6 local
# (v6) or an IPv4 and an IPv6 one (dual)
xvtep_host6()
{
	local n=$1 fam=$2 locals
	shift 2
	locals=(--local "$(ul_ip6 "$n")")
	[ "$fam" == dual ] && locals+=(--local "$(ul_ip "$n")")
	pin_register "$(pin_dir "$(h_ns "$n")")"
	pins_destroy "$(h_ns "$n")"
	topo_host6 "$n" &&
	topo_do xvl "$(h_ns "$n")" attach --uplink ul "${locals[@]}" --decap hybrid "$@"
}

# kernel_vni6 N VNI her|group REMOTE_HOSTS... : the kernel's vxlan device with an
# IPv6 local on host N, in bridge brVNI; "her": all-zeros entries toward the
# hosts' IPv6 addresses
kernel_vni6()
{
	local n=$1 vni=$2 mode=$3 ns h args=()
	shift 3
	ns=$(h_ns "$n")
	[ "$mode" == group ] && args+=(group "$GROUP6")
	topo_do in_ns "$ns" ip link add "vx$vni" type vxlan id "$vni" dstport $VXPORT \
		local "$(ul_ip6 "$n")" dev ul udp6zerocsumrx "${args[@]}" &&
	topo_do in_ns "$ns" ip link add "br$vni" type bridge mcast_snooping 0 &&
	topo_do in_ns "$ns" ip link set "vx$vni" master "br$vni" up &&
	topo_do in_ns "$ns" ip link set "br$vni" up || return 1
	if [ "$mode" == her ]; then
		for h in "$@"; do
			topo_do in_ns "$ns" bridge fdb append 00:00:00:00:00:00 dev "vx$vni" \
				dst "$(ul_ip6 "$h")" || return 1
		done
	fi
}

# ul_prewarm6 HOSTS... : resolve the IPv6 underlay neighbours between HOSTS
ul_prewarm6()
{
	local a b
	for a in "$@"; do
		for b in "$@"; do
			[ "$a" == "$b" ] && continue
			topo_do in_ns "$(h_ns "$a")" ping -6 -q -c 1 -W 2 "$(ul_ip6 "$b")" || return 1
		done
	done
}

# kernel_fdb_dst NS DEV MAC : where the kernel vxlan device sends MAC (its dst)
kernel_fdb_dst()
{
	in_ns "$1" bridge -j fdb show dev "$2" |
		jq -r --arg m "$3" '[.[] | select(.mac == $m and .dst != null)][0].dst // "absent"'
}

# topo_v6 MODE [attach args...] : h1, h2 xvtep (IPv6 only), h3 kernel vxlan
# (IPv6 local); VNI 100 flooded head-end (her) or to GROUP6 (group)
topo_v6()
{
	local mode=$1 vargs1 vargs2
	shift
	if [ "$mode" == group ]; then
		vargs1=(group "$GROUP6")
		vargs2=(group "$GROUP6")
	else
		vargs1=(remote "$(ul_ip6 2)" remote "$(ul_ip6 3)")
		vargs2=(remote "$(ul_ip6 1)" remote "$(ul_ip6 3)")
	fi
	topo_underlay &&
	xvtep_host6 1 v6 "$@" &&
	xvtep_host6 2 v6 "$@" &&
	topo_host6 3 &&
	topo_do xvc "$(h_ns 1)" vni add 100 "${vargs1[@]}" &&
	topo_do xvc "$(h_ns 2)" vni add 100 "${vargs2[@]}" &&
	kernel_vni6 3 100 "$mode" 1 2 &&
	xvtep_vm 1 vm1a 100 &&
	xvtep_vm 2 vm2a 100 &&
	kernel_vm 3 vm3a 100 &&
	ul_prewarm6 1 2 3
}

# outer_fields PCAP FILTER FIELD... : tshark fields of the outer IPv6 header
# and the VXLAN header of the frames FILTER selects, one line per frame
outer_fields()
{
	local pcap=$1 filter=$2
	shift 2
	local args=() f
	for f in "$@"; do args+=(-e "$f"); done
	tshark -r "$pcap" -d udp.port==$VXPORT,vxlan -Y "$filter" -T fields -E occurrence=f \
		"${args[@]}" 2>/dev/null
}

v6_unicast()
{
	local mode T h1 h3 out n
	h1=$(h_ns 1)
	h3=$(h_ns 3)
	# hybrid: XDP decapsulates known unicast but TCP, which it hands to TC
	# (mode xdp would take TCP too, whose CHECKSUM_PARTIAL a veth uplink
	# loses on the XDP path: docs/design.md, "Decap modes")
	for mode in hybrid tc; do
		T="v6_unicast[$mode]"
		topo_v6 her --decap "$mode"
		topo_check "$T" $? || { topo_destroy; continue; }
		check_match "$T: status shows the IPv6 local" \
			"$(xvl "$h1" -j status | jq -r '.local6 // empty')" "$(ul_ip6 1)"
		check_eq "$T: status: no IPv4 local" "$(xvl "$h1" -j status | jq -r '.local')" null

		cap_start "$NS_UL" h1 "ip6 and udp port $VXPORT" 0 ||
			check_fail "$T: capture" "tcpdump did not start"
		vm_ping "$T: vm1a -> vm3a (kernel vxlan, IPv6 local)" vm1a "$(vm_ip vm3a)" 5
		vm_ping "$T: vm1a -> vm2a (xvtep)" vm1a "$(vm_ip vm2a)" 3
		vm_ping "$T: vm3a -> vm1a" vm3a "$(vm_ip vm1a)" 3
		cap_stop "$CAP_PID"

		check_eq "$T: h1 learned vm3a behind 2001:db8:100::3" \
			"$(fdb_where "$h1" 100 "$(vm_mac vm3a)")" "remote $(ul_ip6 3)"
		check_eq "$T: h1 learned vm2a behind 2001:db8:100::2" \
			"$(fdb_where "$h1" 100 "$(vm_mac vm2a)")" "remote $(ul_ip6 2)"
		check_eq "$T: the kernel peer learned vm1a behind 2001:db8:100::1" \
			"$(kernel_fdb_dst "$h3" vx100 "$(vm_mac vm1a)")" "$(ul_ip6 1)"

		# The echo requests vm1a sent to vm3a, as h1 encapsulated them
		out=$(outer_fields "$CAP_FILE" \
			"ipv6.src == $(ul_ip6 1) && ipv6.dst == $(ul_ip6 3) && icmp.type == 8" \
			ipv6.hlim udp.checksum udp.dstport vxlan.vni | sort | uniq -c | awk '{$1=$1; print}')
		check_eq "$T: tshark: 5 echo requests to ::3, hop limit 64, UDP checksum 0, dport 4789, VNI 100" \
			"$out" "5 64 0x0000 4789 100"
		out=$(outer_fields "$CAP_FILE" \
			"ipv6.src == $(ul_ip6 1) && ipv6.dst == $(ul_ip6 3) && icmp.type == 8" \
			ipv6.flow | sort -u)
		check_eq "$T: one flow, one flow label" "$(wc -l <<<"$out")" 1 "flow labels '$out'"
		check_cmp "$T: the flow label is set (inner flow hash)" "$((out))" -gt 0
		out=$(outer_fields "$CAP_FILE" "ipv6.src == $(ul_ip6 1) && icmp" udp.length ipv6.plen |
			awk '$1 != $2 { print }' | head -n1)
		check_eq "$T: UDP length = IPv6 payload length in every frame" "$out" ""

		if [ "$mode" == hybrid ]; then
			local x0 r0
			x0=$(vni_stat "$h1" 100 events.xdp_to_tc)
			r0=$(vni_stat "$h1" 100 rx_packets)
			vm_ping "$T: vm3a -> vm1a, 5 more" vm3a "$(vm_ip vm1a)" 5
			check_eq "$T: ... decapsulated in XDP: none handed to TC" \
				"$(($(vni_stat "$h1" 100 events.xdp_to_tc) - x0))" 0 "xdp_to_tc"
			check_cmp "$T: ... 5 echo requests counted rx" \
				"$(($(vni_stat "$h1" 100 rx_packets) - r0))" -ge 5 "rx_packets"
		fi
		XFER_MB=4 tcp_sha "$T: TCP 4 MB vm1a -> vm3a (GSO over IPv6)" vm1a vm3a "$(vm_ip vm3a)"
		XFER_MB=4 tcp_sha "$T: TCP 4 MB vm3a -> vm1a" vm3a vm1a "$(vm_ip vm1a)"
		XFER_MB=4 tcp_sha "$T: TCP 4 MB vm2a -> vm1a (xvtep both ends)" vm2a vm1a "$(vm_ip vm1a)"

		n=$(vni_stat "$h1" 100 rx_packets)
		check_cmp "$T: h1 counted decapsulated frames" "$n" -gt 10 "rx_packets"
		n=$(vni_stat "$h1" 100 tx_packets)
		check_cmp "$T: h1 counted encapsulated frames" "$n" -gt 10 "tx_packets"
		n=$(vni_stat "$h1" 100 drops.malformed)
		check_eq "$T: no malformed drops" "$n" 0
		topo_destroy
	done
}

v6_group()
{
	local T=v6_group h1 out
	h1=$(h_ns 1)
	topo_v6 group
	topo_check "$T" $? || return
	check_match "$T: h1's uplink joined $GROUP6" \
		"$(in_ns "$h1" ip -6 maddr show dev ul)" "*$GROUP6*"
	check_eq "$T: vni show: the group" "$(xvc "$h1" -j vni show 100 | jq -r '.. | objects | select(.vni? == 100) | .group' | head -n1)" "$GROUP6"

	cap_start "$NS_UL" h1 "ip6 and udp port $VXPORT" 0 ||
		check_fail "$T: capture" "tcpdump did not start"
	in_ns "$(vm_ns vm1a)" ip neigh flush all
	vm_ping "$T: vm1a -> vm3a (ARP through the group)" vm1a "$(vm_ip vm3a)" 3
	vm_ping "$T: vm1a -> vm2a" vm1a "$(vm_ip vm2a)" 3
	cap_stop "$CAP_PID"
	out=$(outer_fields "$CAP_FILE" "ipv6.src == $(ul_ip6 1) && arp.opcode == 1" \
		eth.dst ipv6.dst ipv6.hlim udp.checksum vxlan.vni | sort -u | head -n1)
	check_eq "$T: tshark: ARP request to the group: MAC $GROUP6_MAC, hop limit 1, checksum 0, VNI 100" \
		"$out" "$GROUP6_MAC	$GROUP6	1	0x0000	100"
	check_eq "$T: h1 learned vm3a behind ::3" \
		"$(fdb_where "$h1" 100 "$(vm_mac vm3a)")" "remote $(ul_ip6 3)"

	topo_do xvc "$h1" vni set 100 group none
	check_not "$T: group removed: h1's uplink left it" \
		grep -q "$GROUP6" <<<"$(in_ns "$h1" ip -6 maddr show dev ul)"
}

# h1 dual stack: VNI 100 floods to h2 over IPv4 (xvtep, IPv4 only) and to h3
# over IPv6 (kernel vxlan), one list.
v6_dual_stack()
{
	local T=v6_dual_stack h1 h2 r2 r3 out
	h1=$(h_ns 1)
	h2=$(h_ns 2)
	topo_underlay &&
	xvtep_host6 1 dual &&
	xvtep_host 2 &&
	topo_host6 3 &&
	topo_do xvc "$h1" vni add 100 remote "$(ul_ip 2)" remote "$(ul_ip6 3)" &&
	topo_do xvc "$h2" vni add 100 remote "$(ul_ip 1)" &&
	kernel_vni6 3 100 her 1 &&
	xvtep_vm 1 vm1a 100 &&
	xvtep_vm 2 vm2a 100 &&
	kernel_vm 3 vm3a 100 &&
	ul_prewarm6 1 3 &&
	topo_do in_ns "$h1" ping -q -c 1 -W 2 "$(ul_ip 2)"
	topo_check "$T" $? || return
	check_eq "$T: status: both locals" \
		"$(xvl "$h1" -j status | jq -r '"\(.local) \(.local6)"')" "$(ul_ip 1) $(ul_ip6 1)"

	# One broadcast from vm1a: one copy to each VTEP, whatever its family
	r2=$(link_stat "$(vm_ns vm2a)" eth0 rx packets)
	r3=$(link_stat "$(vm_ns vm3a)" eth0 rx packets)
	in_ns "$(vm_ns vm1a)" "$PY" -c '
import sys
from scapy.all import Ether, ARP, sendp
sendp(Ether(src=sys.argv[1], dst="ff:ff:ff:ff:ff:ff") /
      ARP(op=1, hwsrc=sys.argv[1], psrc="192.0.2.11", pdst="192.0.2.99"),
      iface="eth0", count=5, inter=0.05, verbose=False)' "$(vm_mac vm1a)"
	sleep 0.5
	check_eq "$T: 5 broadcasts reached vm2a (IPv4 VTEP)" \
		"$(($(link_stat "$(vm_ns vm2a)" eth0 rx packets) - r2))" 5
	check_eq "$T: 5 broadcasts reached vm3a (IPv6 VTEP)" \
		"$(($(link_stat "$(vm_ns vm3a)" eth0 rx packets) - r3))" 5

	vm_ping "$T: vm1a -> vm2a over IPv4" vm1a "$(vm_ip vm2a)" 3
	vm_ping "$T: vm1a -> vm3a over IPv6" vm1a "$(vm_ip vm3a)" 3
	vm_ping "$T: vm2a -> vm1a over IPv4" vm2a "$(vm_ip vm1a)" 2
	check_eq "$T: one VNI, vm2a behind an IPv4 VTEP" \
		"$(fdb_where "$h1" 100 "$(vm_mac vm2a)")" "remote $(ul_ip 2)"
	check_eq "$T: one VNI, vm3a behind an IPv6 VTEP" \
		"$(fdb_where "$h1" 100 "$(vm_mac vm3a)")" "remote $(ul_ip6 3)"
	XFER_MB=4 tcp_sha "$T: TCP 4 MB vm3a -> vm1a" vm3a vm1a "$(vm_ip vm1a)"
	XFER_MB=4 tcp_sha "$T: TCP 4 MB vm1a -> vm2a" vm1a vm2a "$(vm_ip vm2a)"

	out=$(xvc "$h1" -j vni show 100 | jq -r '[.. | objects | select(.vni? == 100)][0].remotes | join(" ")')
	check_eq "$T: vni show -j: both remotes, each in its own form" "$out" "$(ul_ip 2) $(ul_ip6 3)"
	out=$(xvc "$h1" save | grep '^vni replace 100')
	check_match "$T: save keeps both remotes" "$out" "*remote $(ul_ip 2)*remote $(ul_ip6 3)*"
}

v6_security()
{
	local T=v6_security h1 d0 d1 out
	h1=$(h_ns 1)
	topo_v6 her
	topo_check "$T" $? || return

	topo_do xvc "$h1" vni set 100 peer "$(ul_ip6 2)/128"
	check_eq "$T: vni show: the IPv6 peer prefix" \
		"$(xvc "$h1" -j vni show 100 | jq -r '[.. | objects | select(.vni? == 100)][0].peers | join(" ")')" \
		"$(ul_ip6 2)/128"
	local mon_file=$XVT_TMP/mon6.out
	bg_start "$CTL" --pin "$(pin_dir "$h1")" -n "$h1" monitor >"$mon_file" 2>&1
	local mpid=$XVT_LAST_PID
	wait_for 5 sh -c "! flock -n /run/lock/xvtep-monitor$(pin_dir "$h1" | tr / _).lock true"
	d0=$(vni_stat "$h1" 100 drops.peer_denied)
	out=$(in_ns "$(vm_ns vm3a)" ping -c 5 -i 0.2 -W 1 "$(vm_ip vm1a)" 2>&1)
	check_not "$T: ::3 outside the allow-list: vm3a cannot reach vm1a" grep -q " 0% packet loss" <<<"$out"
	d1=$(vni_stat "$h1" 100 drops.peer_denied)
	check_cmp "$T: peer_denied counted (ARP from vm3a, the pings never leave it)" "$((d1 - d0))" -ge 1
	check "$T: monitor: drop peer_denied ... remote 2001:db8:100::3" wait_for 3 \
		grep -q "^drop peer_denied $(vm_mac vm3a) vni 100 remote $(ul_ip6 3)\$" "$mon_file"
	kill -INT "$mpid" 2>/dev/null
	vm_ping "$T: ::2 inside: vm2a reaches vm1a" vm2a "$(vm_ip vm1a)" 3

	topo_do xvc "$h1" vni set 100 peer 2001:db8:100::/64
	vms_quiet vm3a	# its failed ARP entry for vm1a
	vm_ping "$T: allow-list 2001:db8:100::/64: vm3a reaches vm1a" vm3a "$(vm_ip vm1a)" 3
	topo_do xvc "$h1" vni set 100 peer 198.51.100.0/24
	out=$(in_ns "$(vm_ns vm2a)" ping -c 3 -i 0.2 -W 1 "$(vm_ip vm1a)" 2>&1)
	check_not "$T: an IPv4 allow-list admits no IPv6 VTEP" grep -q " 0% packet loss" <<<"$out"
	topo_do xvc "$h1" vni set 100 peer none

	topo_do xvc "$h1" vni set 100 mac-limit 2
	topo_do xvc "$h1" fdb flush vni 100
	vm_ping "$T: mac-limit 2: vm1a -> vm2a" vm1a "$(vm_ip vm2a)" 2
	out=$(in_ns "$(vm_ns vm3a)" ping -c 2 -i 0.2 -W 1 "$(vm_ip vm1a)" 2>&1)
	check_cmp "$T: mac-limit 2: a third MAC behind an IPv6 VTEP is not learned" \
		"$(vni_stat "$h1" 100 events.learn_limit)" -ge 1 "learn_limit"
	check_eq "$T: ... vm3a's MAC absent" "$(fdb_where "$h1" 100 "$(vm_mac vm3a)")" absent
}

# SPAN of a port and of the uplink in an IPv6 VNI: the port's copies are
# the VM's frames, the uplink's the VXLAN-over-IPv6 frames as on the wire.
v6_mirror()
{
	local T=v6_mirror h1 col=${XVT_P}col out
	h1=$(h_ns 1)
	topo_v6 her &&
	topo_ns "$col" &&
	topo_do ip link add mcol1 netns "$h1" type veth peer name c1 netns "$col" &&
	topo_do in_ns "$h1" ip link set mcol1 up &&
	topo_do in_ns "$col" ip link set c1 up
	topo_check "$T" $? || return
	vm_ping "$T: warm-up vm1a -> vm3a" vm1a "$(vm_ip vm3a)" 1
	check "$T: SPAN session on vm1a and the uplink" \
		xvc "$h1" mirror add 7 src vm1a,ul span dev mcol1
	cap_start "$col" c1 "" 0 || check_fail "$T: capture" "tcpdump did not start"
	vm_ping "$T: vm1a -> vm3a" vm1a "$(vm_ip vm3a)" 5
	cap_stop "$CAP_PID"
	out=$(tshark -r "$CAP_FILE" -d udp.port==$VXPORT,vxlan -T fields -E occurrence=f \
		-e ipv6.src -e ipv6.dst -e vxlan.vni -e icmp.type -Y icmp 2>/dev/null |
		sort | uniq -c | awk '{$1=$1; print}' | paste -sd'|')
	check_eq "$T: copies: 5 requests and 5 replies as the port saw them, 5 and 5 as the uplink did (IPv6, VNI 100)" \
		"$out" "5 0|5 8|5 $(ul_ip6 1) $(ul_ip6 3) 100 8|5 $(ul_ip6 3) $(ul_ip6 1) 100 0"
	check "$T: delete the session" xvc "$h1" mirror del 7
}

# v6_erspan : ERSPAN II and III copies of vm1a's pings to an IPv6 collector
# (host 4 on the underlay bridge, a static neighbour on h1): outer IPv6
# from h1's address, next header GRE. The tx session keeps vm1a on the
# XDP fast path, whose mirror program leaves IPv6-collector copies to TC.
v6_erspan()
{
	local T=v6_erspan h1 h4 col6 mac out
	h1=$(h_ns 1)
	h4=$(h_ns 4)
	col6=$(ul_ip6 4)
	topo_v6 her &&
	topo_host6 4 &&
	mac=$(in_ns "$h4" ip -j link show ul | jq -r ".[0].address") &&
	topo_do in_ns "$h1" ip -6 neigh replace "$col6" lladdr "$mac" dev ul nud permanent
	topo_check "$T" $? || return
	vm_ping "$T: warm-up vm1a -> vm3a" vm1a "$(vm_ip vm3a)" 1
	check "$T: ERSPAN II session on vm1a (rx) to $col6" \
		xvc "$h1" mirror add 8 src vm1a dir rx erspan remote "$col6" session 5 index 7
	check "$T: ERSPAN III session on vm1a (tx) to $col6" \
		xvc "$h1" mirror add 9 src vm1a dir tx erspan remote "$col6" version 3 session 6 hwid 3
	cap_start "$h4" ul "ip6 proto 47" 256 || check_fail "$T: capture" "tcpdump did not start"
	vm_ping "$T: vm1a -> vm3a" vm1a "$(vm_ip vm3a)" 5
	cap_stop "$CAP_PID"
	out=$(tshark -r "$CAP_FILE" -T fields -E occurrence=f -e ipv6.nxt -e ipv6.src -e ipv6.dst \
		-e erspan.version -e erspan.spanid -e icmp.type -Y 'ipv6.nxt == 47 && icmp' 2>/dev/null |
		sort | uniq -c | awk '{$1=$1; print}' | paste -sd'|')
	check_eq "$T: copies: 5 requests (Type II, session 5) and 5 replies (Type III, session 6), IPv6 next header 47 from h1 to the collector" \
		"$out" "5 47 $(ul_ip6 1) $col6 1 5 8|5 47 $(ul_ip6 1) $col6 2 6 0"
	out=$(xvc "$h1" -j mirror show 8 | jq -r '.[0] | "\(.remote) \(.packets) \(.drops.no_route)"')
	check_eq "$T: mirror show: the IPv6 collector, its copies, no drops" "$out" "$col6 5 0"
	check "$T: delete the Type II session" xvc "$h1" mirror del 8
	check "$T: delete the Type III session" xvc "$h1" mirror del 9
}

v6_cli()
{
	local T=v6_cli h1 h2 out rc
	h1=$(h_ns 1)
	h2=$(h_ns 2)
	topo_underlay &&
	xvtep_host 1 &&
	xvtep_host6 2 v6 &&
	topo_host6 3
	topo_check "$T" $? || return

	out=$(xvc "$h1" vni add 300 remote 2001:db8:100::2 2>&1)
	check_refused "$T: IPv6 remote on an IPv4-only instance" $? "$out" \
		'Error: argument "2001:db8:100::2" is wrong: *IPv6 local*'
	out=$(xvc "$h2" vni add 300 remote 198.51.100.1 2>&1)
	check_refused "$T: IPv4 remote on an IPv6-only instance" $? "$out" \
		'Error: argument "198.51.100.1" is wrong: *IPv4 local*'
	out=$(xvc "$h1" mirror add 9 src vm1a erspan remote 2001:db8:100::9 2>&1)
	check_refused "$T: IPv6 ERSPAN collector on an IPv4-only instance" $? "$out" \
		'Error: argument "2001:db8:100::9" is wrong: *IPv6 local*'
	out=$(xvc "$h2" mirror add 9 src vm1a erspan remote 198.51.100.9 2>&1)
	check_refused "$T: IPv4 ERSPAN collector on an IPv6-only instance" $? "$out" \
		'Error: argument "198.51.100.9" is wrong: *IPv4 local*'
	out=$(xvc "$h2" mirror add 9 src vm1a erspan remote fe80::9 2>&1)
	check_refused "$T: a link-local ERSPAN collector" $? "$out" 'Error: argument "fe80::9" is wrong:*'
	out=$(xvc "$h2" vni add 300 group 2001:db8:100::9 2>&1)
	check_refused "$T: a unicast IPv6 group" $? "$out" 'Error: argument "2001:db8:100::9" is wrong:*'
	out=$(xvc "$h2" vni add 300 remote ::ffff:198.51.100.1 2>&1)
	check_refused "$T: an IPv4-mapped remote" $? "$out" 'Error: argument "::ffff:198.51.100.1" is wrong:*'
	out=$(xvc "$h2" vni add 300 remote ff05::1 2>&1)
	check_refused "$T: a multicast remote" $? "$out" 'Error: argument "ff05::1" is wrong:*'
	out=$(xvc "$h2" vni add 300 remote 2001:db8:100::2 2>&1)
	check_refused "$T: the instance's own address as remote" $? "$out" 'Error: argument "2001:db8:100::2" is wrong:*'
	out=$(xvc "$h2" fdb add 02:00:00:00:09:09 vni 300 remote 2001:db8:100::1 2>&1)
	check_refused "$T: fdb add in an unknown VNI" $? "$out" 'Error:*'

	check "$T: vni add with IPv6 remotes" xvc "$h2" vni add 300 remote 2001:db8:100::1 remote 2001:db8:100::7
	check "$T: fdb add behind an IPv6 VTEP" xvc "$h2" fdb add 02:00:00:00:09:09 vni 300 remote 2001:db8:100::7
	check_eq "$T: fdb show -j: remote in RFC 5952 form" \
		"$(fdb_where "$h2" 300 02:00:00:00:09:09)" "remote 2001:db8:100::7 static"
	out=$(xvc "$h2" fdb show vni 300)
	check_match "$T: fdb show: text" "$out" "*02:00:00:00:09:09*2001:db8:100::7*"
	check_match "$T: metrics on an IPv6-only instance" "$(xvc "$h2" metrics)" "*xvtep_build_info*"

	# save, flush everything, apply the saved commands: the same state
	local saved
	saved=$(xvc "$h2" save)
	check_match "$T: save: the static entry" "$saved" "*fdb replace 02:00:00:00:09:09 vni 300 remote 2001:db8:100::7*"
	xvc "$h2" vni del 300 >/dev/null 2>&1
	out=$(xvc "$h2" -batch - <<<"$saved" 2>&1)
	check "$T: -batch of the saved commands" test $? -eq 0
	check_eq "$T: restored: the static entry" \
		"$(fdb_where "$h2" 300 02:00:00:00:09:09)" "remote 2001:db8:100::7 static"

	out=$(xvl "$(h_ns 3)" attach --uplink ul --local 2001:db8:100::3 --local 2001:db8:100::4 2>&1)
	check_refused "$T: attach: two IPv6 locals" $? "$out" "*--local*"
	out=$(xvl "$(h_ns 3)" attach --uplink ul --local ff05::1 2>&1)
	check_refused "$T: attach: a multicast local" $? "$out" "*--local*"
	out=$(xvl "$(h_ns 3)" attach --uplink ul --local ::ffff:198.51.100.3 2>&1)
	check_refused "$T: attach: an IPv4-mapped local" $? "$out" "*--local*"

	# Maps pinned by ABI 2 (its 64-byte xvtep_meta): refused, with the way to move
	local pin value
	pin=$(pin_dir "$(h_ns 3)")
	pin_register "$pin"
	mkdir -p "$pin"
	value="02 $(printf '00 %.0s' $(seq 63))"
	# shellcheck disable=SC2086
	topo_do bpftool map create "$pin/xvtep_meta" type array key 4 value 64 entries 1 name xvtep_meta &&
	topo_do bpftool map update pinned "$pin/xvtep_meta" key 0 0 0 0 value $value
	out=$(xvl "$(h_ns 3)" attach --uplink ul --local 2001:db8:100::3 2>&1)
	check_refused "$T: attach over ABI 2 pins refused, saying how to move" $? "$out" \
		"*ABI version 2*save*detach*-batch*"
	out=$(xvc "$(h_ns 3)" vni show 2>&1)
	check_refused "$T: xvtepctl on ABI 2 pins refused, saying how to move" $? "$out" \
		"*ABI version 2*save*detach*-batch*"
	check "$T: ... the ABI 2 pin left as it was" \
		sh -c "bpftool -j map dump pinned $pin/xvtep_meta | jq -e '.[0].value[0] == \"0x02\"'"
	rm -rf "$pin"
}

xvt_require_all
tests_run
