#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ARP / IPv6 ND suppression (vni ... neigh-suppress on, xvtepctl neigh).
#
#   vm1a(ns) 192.0.2.11        vm1b(ns) 192.0.2.12     vm2a(ns) 192.0.2.21
#            2001:db8::11                                       2001:db8::21
#      |eth0                      |eth0                    |eth0
#      |vm1a                      |vm1b                    |vm2a
#   [h1: xvtep, VNI 100 .................]              [h2: xvtep, VNI 100]
#       ul 198.51.100.1                                      ul .2
#          \_____________ [ul: bridge br0] _____________________/
#                          port h1: tcpdump, decoded by
#                          tshark -d udp.port==4789,vxlan
#
# VNI 100, head-end replication; suppression (when on) on h1 only, so what
# vm1a and vm1b ask is answered by h1 or crosses the underlay, where the
# capture tells which.

ALL_TESTS="
	neigh_arp_static
	neigh_arp_snooped
	neigh_arp_off
	neigh_nd
	neigh_cli
"

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/topology.sh"

H1=$(h_ns 1)
IP1A=$(vm_ip vm1a)
IP1B=$(vm_ip vm1b)
IP2A=$(vm_ip vm2a)
MAC1B=$(vm_mac vm1b)
MAC2A=$(vm_mac vm2a)
IP6_1A=2001:db8::11
IP6_2A=2001:db8::21

# vm_ipv6 VM ADDR : IPv6 on the VM (ns_create turns it off), ADDR/64 without DAD
vm_ipv6()
{
	topo_do in_ns "$(vm_ns "$1")" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
		net.ipv6.conf.eth0.disable_ipv6=0 &&
	topo_do in_ns "$(vm_ns "$1")" ip -6 addr add "$2/64" dev eth0 nodad
}

# neigh_topo [vni add args for h1] : h1 (+vm1a, vm1b) and h2 (+vm2a)
neigh_topo()
{
	topo_underlay &&
	xvtep_host 1 &&
	xvtep_host 2 &&
	xvtep_vni 1 100 her "$@" &&
	xvtep_vni 2 100 her &&
	xvtep_vm 1 vm1a 100 &&
	xvtep_vm 1 vm1b 100 &&
	xvtep_vm 2 vm2a 100 &&
	ul_prewarm
}

# ul_cap_start / ul_cap_stop : whole frames on h1's underlay port
ul_cap_start() { cap_start "$NS_UL" h1 "udp dst port $VXPORT" 0; }
ul_cap_stop() { cap_stop "$CAP_PID"; }
A0=0

# ul_count FILTER : frames of the capture matching the tshark display FILTER
ul_count() { tshark -r "$CAP_FILE" -d udp.port==$VXPORT,vxlan -Y "$1" 2>/dev/null | wc -l; }

# arp_asks IP / ns_asks IP6 : requests for IP seen inside VXLAN on the underlay
arp_asks() { ul_count "vxlan && arp.opcode == 1 && arp.dst.proto_ipv4 == $1"; }
ns_asks() { ul_count "vxlan && icmpv6.type == 135 && icmpv6.nd.ns.target_address == $1"; }

answered() { vni_stat "$H1" 100 events.neigh_answered; }

# neigh_json NS [VNI] : `neigh show -j` (of VNI)
neigh_json() { xvc "$1" -j neigh show ${2:+vni "$2"}; }

# ping_vm NAME VM IP [ping args] : one check; the VM's neighbour cache flushed first
ping_vm()
{
	in_ns "$(vm_ns "$2")" ip neigh flush all >/dev/null 2>&1
	vm_ping "$1" "$2" "$3" 3 "${@:4}"
}

# cap_ping NAME VM IP [ping args] : ping_vm under a capture of h1's underlay port
cap_ping()
{
	ul_cap_start
	ping_vm "$@"
	ul_cap_stop
}

# static_ping T : bind vm2a's address statically on h1, note neigh_answered in
# A0, and let vm1a ping vm2a under the capture
static_ping()
{
	check "$1: neigh add $IP2A $MAC2A vni 100" xvc "$H1" neigh add "$IP2A" "$MAC2A" vni 100
	A0=$(answered)
	cap_ping "$1: vm1a pings vm2a" vm1a "$IP2A"
}

# ---------------------------------------------------------------- tests

# A static binding for a remote VM: vm1a's ARP is answered by h1.
neigh_arp_static()
{
	local T=neigh_arp_static
	neigh_topo neigh-suppress on
	topo_check $T $? || return
	static_ping $T
	check_eq "$T: vm1a resolved $IP2A to vm2a's MAC" "$(neigh_mac vm1a "$IP2A")" "$MAC2A"
	check_cmp "$T: neigh_answered counted" "$(($(answered) - A0))" -ge 1
	check_cmp "$T: the capture decodes VXLAN (echo requests inside)" \
		"$(ul_count "vxlan && icmp.type == 8")" -ge 3
	check_eq "$T: no ARP request for $IP2A on the underlay" "$(arp_asks "$IP2A")" 0
}

# A binding snooped from vm1b's own ARP answers vm1a.
neigh_arp_snooped()
{
	local T=neigh_arp_snooped a0 e
	neigh_topo neigh-suppress on
	topo_check $T $? || return
	check "$T: vm1b speaks (ARP for vm1a)" \
		in_ns "$(vm_ns vm1b)" ping -n -q -c 1 -W 2 "$IP1A"
	e=$(neigh_json "$H1" 100 | jq -c --arg ip "$IP1B" '.[] | select(.ip == $ip) | {mac, source, dev}')
	check_eq "$T: vm1b's address snooped on its port" "$e" \
		"{\"mac\":\"$MAC1B\",\"source\":\"snooped\",\"dev\":\"vm1b\"}"
	a0=$(answered)
	cap_ping "$T: vm1a pings vm1b" vm1a "$IP1B"
	check_eq "$T: vm1a resolved $IP1B to vm1b's MAC" "$(neigh_mac vm1a "$IP1B")" "$MAC1B"
	check_cmp "$T: neigh_answered counted" "$(($(answered) - a0))" -ge 1
	check_eq "$T: no ARP request for $IP1B on the underlay" "$(arp_asks "$IP1B")" 0
	# the same question for a remote VM with no binding still crosses (decoded)
	ping_vm "$T: vm1a pings vm2a (no binding)" vm1a "$IP2A"
	check_cmp "$T: neigh_flooded counted" "$(vni_stat "$H1" 100 events.neigh_flooded)" -ge 1
}

# Suppression off: the same static binding answers nothing; ARP floods.
neigh_arp_off()
{
	local T=neigh_arp_off
	neigh_topo
	topo_check $T $? || return
	static_ping $T
	check_cmp "$T: the ARP request for $IP2A is flooded over the underlay" \
		"$(arp_asks "$IP2A")" -ge 1
	check_eq "$T: nothing answered" "$(($(answered) - A0))" 0
	check "$T: vni set 100 neigh-suppress on" xvc "$H1" vni set 100 neigh-suppress on
	cap_ping "$T: on again: vm1a pings vm2a" vm1a "$IP2A"
	check_eq "$T: on again: no ARP request on the underlay" "$(arp_asks "$IP2A")" 0
}

# IPv6: an NS for a bound address is answered with an NA, none on the underlay.
neigh_nd()
{
	local T=neigh_nd a0
	neigh_topo neigh-suppress on && vm_ipv6 vm1a $IP6_1A && vm_ipv6 vm2a $IP6_2A
	topo_check $T $? || return
	check "$T: neigh add $IP6_2A $MAC2A vni 100" xvc "$H1" neigh add $IP6_2A "$MAC2A" vni 100
	a0=$(answered)
	cap_ping "$T: vm1a pings vm2a over IPv6" vm1a $IP6_2A -6
	check_eq "$T: vm1a resolved $IP6_2A to vm2a's MAC" "$(neigh_mac vm1a $IP6_2A)" "$MAC2A"
	check_cmp "$T: neigh_answered counted" "$(($(answered) - a0))" -ge 1
	check_cmp "$T: the capture decodes VXLAN (ICMPv6 echo inside)" \
		"$(ul_count "vxlan && icmpv6.type == 128")" -ge 3
	check_eq "$T: no NS for $IP6_2A on the underlay" "$(ns_asks $IP6_2A)" 0
	check_eq "$T: vm1a's address snooped from its NS" \
		"$(neigh_json "$H1" 100 | jq -r --arg ip $IP6_1A '.[] | select(.ip == $ip) | .source')" \
		snooped
	check "$T: vni set 100 neigh-suppress off" xvc "$H1" vni set 100 neigh-suppress off
	cap_ping "$T: off: vm1a pings vm2a over IPv6" vm1a $IP6_2A -6
	check_cmp "$T: off: the NS crosses the underlay" "$(ns_asks $IP6_2A)" -ge 1
}

# nbad NAME ARGS... : xvtepctl on h1 must fail with an iproute2-style error
nbad()
{
	local name="neigh_cli: bad: $1" out rc
	shift
	out=$(xvc "$H1" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -lt 128 ] && [[ $(head -n1 <<<"$out") == Error:\ * ]]; then
		check_pass "$name"
	else
		check_fail "$name" "rc=$rc: $out"
	fi
}

neigh_cli()
{
	local T=neigh_cli j f=$XVT_TMP/neigh.saved before
	topo_underlay && xvtep_host 1 && topo_do xvc "$H1" vni add 100 neigh-suppress on &&
		topo_do xvc "$H1" vni add 300
	topo_check $T $? || return

	check_eq "$T: vni show -j: neigh_suppress" \
		"$(xvc "$H1" -j vni show | jq -c '[.[] | .neigh_suppress]')" "[true,false]"
	check_match "$T: vni show text" "$(xvc "$H1" vni show 100)" "*neigh-suppress on*"
	check "$T: neigh add IPv4" xvc "$H1" neigh add 192.0.2.50 02:00:00:00:05:00 vni 100
	check "$T: neigh add IPv6" xvc "$H1" neigh add 2001:db8::50 02:00:00:00:05:06 vni 100
	check "$T: neigh add in VNI 300" xvc "$H1" neigh add 192.0.2.50 02:00:00:00:05:03 vni 300
	j=$(neigh_json "$H1" 100 | jq -c '[.[] | {vni, family, ip, mac, source, dev}]')
	check_eq "$T: show -j vni 100" "$j" \
		'[{"vni":100,"family":"inet","ip":"192.0.2.50","mac":"02:00:00:00:05:00","source":"static","dev":null},{"vni":100,"family":"inet6","ip":"2001:db8::50","mac":"02:00:00:00:05:06","source":"static","dev":null}]'
	check_match "$T: show text" "$(xvc "$H1" neigh show vni 300)" \
		"192.0.2.50 lladdr 02:00:00:00:05:03 vni 300 static age *"
	nbad "add over a static entry" neigh add 192.0.2.50 02:00:00:00:05:01 vni 100
	check "$T: replace takes its place" \
		xvc "$H1" neigh replace 192.0.2.50 02:00:00:00:05:01 vni 100
	check_eq "$T: ... with the new MAC" "$(neigh_json "$H1" 100 | jq -r '.[0].mac')" \
		02:00:00:00:05:01

	xvc "$H1" save >"$f"
	check_eq "$T: save: neigh replace lines" "$(grep -c '^neigh replace ' "$f")" 3
	check_eq "$T: save: vni 100 with neigh-suppress on" \
		"$(grep -c '^vni replace 100 .*neigh-suppress on' "$f")" 1
	before=$(neigh_json "$H1" | jq -S -c 'map(del(.age))')
	check "$T: neigh flush" xvc "$H1" neigh flush
	check_eq "$T: flushed" "$(neigh_json "$H1" | jq length)" 0
	check "$T: -batch of the saved file" xvc "$H1" -batch "$f"
	check_eq "$T: save/-batch round trip" "$(neigh_json "$H1" | jq -S -c 'map(del(.age))')" \
		"$before"

	check "$T: neigh del IPv6" xvc "$H1" neigh del 2001:db8::50 vni 100
	nbad "del of an absent entry" neigh del 2001:db8::50 vni 100
	check "$T: vni del 300" xvc "$H1" vni del 300
	check_eq "$T: vni del removes its bindings" \
		"$(neigh_json "$H1" | jq -c '[.[] | .vni]')" "[100]"
	check_cmp "$T: stats -j has neigh_answered" \
		"$(xvc "$H1" -j stats vni 100 | jq '[.. | objects | select(has("neigh_answered"))] | length')" -ge 1
	check_cmp "$T: metrics list neigh_flooded" \
		"$(xvc "$H1" metrics | grep -c 'neigh_flooded')" -ge 1

	nbad "IPv4 not an address" neigh add 192.0.2.300 02:00:00:00:05:00 vni 100
	nbad "IPv4 multicast" neigh add 224.0.0.5 02:00:00:00:05:00 vni 100
	nbad "IPv6 unspecified" neigh add :: 02:00:00:00:05:00 vni 100
	nbad "IPv6 multicast" neigh add ff02::1 02:00:00:00:05:00 vni 100
	nbad "IPv6 garbage" neigh add 2001:db8::g 02:00:00:00:05:00 vni 100
	nbad "broadcast MAC" neigh add 192.0.2.51 ff:ff:ff:ff:ff:ff vni 100
	nbad "bad MAC" neigh add 192.0.2.51 02:00:00:00:05 vni 100
	nbad "MAC missing" neigh add 192.0.2.51
	nbad "vni missing" neigh add 192.0.2.51 02:00:00:00:05:00
	nbad "vni 0" neigh add 192.0.2.51 02:00:00:00:05:00 vni 0
	nbad "vni twice" neigh add 192.0.2.51 02:00:00:00:05:00 vni 100 vni 100
	nbad "unknown VNI" neigh add 192.0.2.51 02:00:00:00:05:00 vni 999
	nbad "unknown keyword" neigh show dev vm1a
	nbad "flush of an unknown VNI" neigh flush vni 999
	nbad "neigh-suppress maybe" vni set 100 neigh-suppress maybe
	nbad "neigh-suppress without a value" vni set 100 neigh-suppress
	nbad "neigh-suppress twice" vni set 100 neigh-suppress on neigh-suppress off
	check_eq "$T: argument errors are iproute2 style" \
		"$(xvc "$H1" neigh add 192.0.2.300 02:00:00:00:05:00 vni 100 2>&1)" \
		'Error: argument "192.0.2.300" is wrong: not an IPv4 or IPv6 address'
	check_eq "$T: the bad commands changed nothing" "$(neigh_json "$H1" | jq -c '[.[] | .ip]')" \
		'["192.0.2.50"]'
}

xvt_require_all
require_cmds tshark
tests_run
