#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# xvtep as the dataplane of FRR's BGP EVPN (xvtepd), beside a kernel vxlan VTEP.
#
#   vm1a(ns) 192.0.2.11     vm2a(ns) 192.0.2.21     vm3a(ns) 192.0.2.31     overlay
#      |vm1a (port)            |vm2a (port)            |vm3a
#   [h1: xvtep, VNI 100     [h2: xvtep, VNI 100     [h3: kernel vx100 nolearning
#    evpn, xvtepd,           evpn, xvtepd,           in br100,
#    zebra + bgpd]           zebra + bgpd]           zebra + bgpd]
#       ul .1                   ul .2                   ul .3           198.51.100.0/24
#        \______________________|______________________/
#                        [ul: bridge br0]
#
# iBGP l2vpn evpn (AS 65000, advertise-all-vni) between all three; no remote
# and no static FDB entry anywhere: the flood lists and every remote MAC come
# from BGP. FRR runs as user frr, state under /tmp/${XVT_P}frr/hN.

ALL_TESTS="
	evpn_devices
	evpn_fabric
	evpn_join_move
	evpn_arp_restart
"

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/topology.sh"
source "$(dirname "$0")/evpn_lib.sh"

H1=$(h_ns 1)
H2=$(h_ns 2)
H3=$(h_ns 3)

xvt_require_all
require_cmds tshark
out=$(evpn_prereq) || { check_fail "prerequisites" "$out"; exit 1; }

# ---------------------------------------------------------------- state

XVTEPD_PID=()

# xvtepd_start N : the agent of xvtep host N, log in $XVT_TMP/xvtepd.hN.log
xvtepd_start()
{
	evpn_xvtepd "$1"
	XVTEPD_PID[$1]=$XVT_LAST_PID
}

# xvtepd_stop N : SIGTERM; its exit status in XVTEPD_RC
xvtepd_stop()
{
	local p=${XVTEPD_PID[$1]}
	kill -TERM "$p" 2>/dev/null
	wait "$p"
	XVTEPD_RC=$?
	XVTEPD_PID[$1]=
}

# maps_state NS : what xvtep holds from EVPN, one line each, sorted:
# "MAC DST" per EVPN FDB entry of VNI 100, "flood DST" per head-end remote
maps_state()
{
	{
		fdb_json "$1" 100 | jq -r '.[] | select(.source == "evpn") | "\(.mac) \(.remote)"'
		xvc "$1" -j vni show 100 | jq -r '.[0].remotes[] | "flood \(.)"'
	} | sort
}

# zebra_state NS : the same from the vxlan device's FDB (what zebra installed):
# flood entries, and remote MACs whose bridge entry is on the vxlan device too
# (a remote MAC that became local leaves the vxlan device's half behind)
zebra_state()
{
	in_ns "$1" bridge -j fdb show dev xvx100 | jq -r '
		[.[] | select(.master != null and .dst == null) | .mac] as $br | .[] |
		select(.dst != null) | .mac as $m |
		if $m == "00:00:00:00:00:00" then "flood \(.dst)"
		elif ($br | index([$m])) != null then "\(.mac) \(.dst)" else empty end' | sort
}

# evpn_where NS MAC : "REMOTE SOURCE" of MAC in VNI 100, or "absent"
evpn_where()
{
	local e
	e=$(fdb_get "$1" 100 "$2" | jq -r '"\(.remote // .dev) \(.source)"')
	echo "${e:-absent}"
}

flood_list() { xvc "$1" -j vni show 100 | jq -c '.[0].remotes | sort'; }

# kernel_dst NS MAC : the VTEP the kernel host's vx100 sends MAC to
kernel_dst()
{
	in_ns "$1" bridge -j fdb show dev vx100 | jq -r --arg m "$2" \
		'[.[] | select(.mac == $m and .dst != null)][0].dst // "absent"'
}

# h3_gone NS [N] : neither host N's (3) MACs nor its flood entry left in NS's maps
h3_gone()
{
	! maps_state "$1" | grep -q "$(ul_ip "${2:-3}")"
}

# maps_lack NS TEXT : neither NS's VNI 100 FDB nor its flood list mention TEXT (fast: no jq)
maps_lack()
{
	! { xvc "$1" -j fdb show vni 100; xvc "$1" -j vni show 100; } | grep -qF "$2"
}

# has_evpn NS MAC DST : MAC is an EVPN entry behind DST in NS's VNI 100
has_evpn() { [ "$(evpn_where "$1" "$2")" = "$3 evpn" ]; }

# flood_is NS N : NS's VNI 100 floods to N VTEPs
flood_is() { [ "$(xvc "$1" -j vni show 100 | jq '.[0].remotes | length')" = "$2" ]; }

# vx_has NS REGEX / vx_lacks NS REGEX : a line of xvx100's FDB matches (does not)
vx_has() { in_ns "$1" bridge fdb show dev xvx100 | grep -q "$2"; }
vx_lacks() { ! vx_has "$@"; }

not_in_fdb() { [ "$(evpn_where "$1" "$2")" = absent ]; }
bridge_lacks() { ! in_ns "$1" bridge fdb show dev xvp100 | grep -q "^$2 "; }

# resyncs_are N COUNT : host N's xvtepd log has COUNT resynchronisations
resyncs_are() { [ "$(grep -c resynchronised "$XVT_TMP/xvtepd.h$1.log")" = "$2" ]; }

# ping_quiet VM IP : one ping, for convergence waits
ping_quiet() { in_ns "$(vm_ns "$1")" ping -n -c 1 -W 1 "$2" >/dev/null 2>&1; }

topo_destroy()
{
	evpn_frr_down
	[ "${XVT_KEEP:-0}" = 1 ] && return 0
	xvt_cleanup_all
	TOPO_HOSTS=()
	case $FRR_DIR in /tmp/?*) rm -rf "$FRR_DIR" ;; esac
}

# ---------------------------------------------------------------- tests

# The devices an EVPN VNI owns, made and removed by the CLI; a static VNI
# beside it is untouched.
evpn_devices()
{
	local T=evpn_devices
	topo_underlay && xvtep_host 1 && topo_do xvc "$H1" vni add 200 remote "$(ul_ip 2)"
	topo_check $T $? || return

	check "$T: vni add 100 evpn" xvc "$H1" vni add 100 evpn
	check_eq "$T: vxlan device id, local, dstport, nolearning" \
		"$(in_ns "$H1" ip -j -d link show dev xvx100 | jq -c '.[0].linkinfo.info_data | {id,local,port,learning}')" \
		"{\"id\":100,\"local\":\"$(ul_ip 1)\",\"port\":$VXPORT,\"learning\":false}"
	check_eq "$T: vxlan and port device in bridge xvb100" \
		"$(in_ns "$H1" ip -j link show master xvb100 | jq -c '[.[].ifname] | sort')" '["xvp100","xvx100"]'
	check_eq "$T: bridge, vxlan, port up; the port's peer down" \
		"$(in_ns "$H1" ip -j link show | jq -c '[.[] | select(.ifname | test("^xv[bxpq]100$")) | "\(.ifname):\(.flags | index("UP") != null)"] | sort')" \
		'["xvb100:true","xvp100:true","xvq100:false","xvx100:true"]'
	check_eq "$T: no IPv6 link-local on the bridge" \
		"$(in_ns "$H1" ip -j -d link show dev xvb100 | jq -r '.[0].inet6_addr_gen_mode')" none
	check_eq "$T: vni show -j says evpn" "$(xvc "$H1" -j vni show | jq -c '[.[] | {vni,evpn}]')" \
		'[{"vni":100,"evpn":true},{"vni":200,"evpn":false}]'
	check_match "$T: vni show text says evpn" "$(xvc "$H1" vni show 100)" '* evpn *'
	local out rc
	out=$(xvc "$H1" vni set 100 remote "$(ul_ip 2)" 2>&1)
	rc=$?
	check_refused "$T: remote on an EVPN VNI refused" $rc "$out" '*under EVPN control*'
	out=$(xvc "$H1" vni add 300 evpn remote "$(ul_ip 2)" 2>&1)
	rc=$?
	check_refused "$T: vni add evpn with a remote refused" $rc "$out" '*conflicts with "evpn"*'
	check_match "$T: save writes evpn, no remote" "$(xvc "$H1" save | grep 'vni replace 100 ')" 'vni replace 100 evpn *'
	check "$T: vni set 100 evpn off" xvc "$H1" vni set 100 evpn off
	check_eq "$T: devices gone with evpn off" "$(in_ns "$H1" ip -br link | grep -c 'xv[bxpq]100')" 0
	check "$T: vni set 100 evpn on" xvc "$H1" vni set 100 evpn on
	check_eq "$T: devices back with evpn on" "$(in_ns "$H1" ip -br link | grep -c 'xv[bxpq]100')" 4
	check "$T: vni del 100" xvc "$H1" vni del 100
	check_eq "$T: devices gone with the VNI" "$(in_ns "$H1" ip -br link | grep -c 'xv[bxpq]100')" 0
	check_eq "$T: static VNI 200 unchanged" \
		"$(xvc "$H1" -j vni show 200 | jq -c '.[0] | {remotes,evpn}')" "{\"remotes\":[\"$(ul_ip 2)\"],\"evpn\":false}"
	# xvtepd's own arguments: refused before it touches anything
	local a
	for a in "--rcvbuf 12" "--rcvbuf x" "--interval 0" "--pin relative" "--bogus" "extra"; do
		# shellcheck disable=SC2086
		out=$("$XVTEPD" $a 2>&1)
		rc=$?
		check_refused "$T: xvtepd $a refused" $rc "$out" 'Error: *'
	done
}

evpn_fabric()
{
	local T=evpn_fabric n t0
	FRR_HOSTS="1 2 3"
	topo_underlay &&
	xvtep_host 1 && xvtep_host 2 && topo_host 3 &&
	topo_do xvc "$H1" vni add 100 evpn &&
	topo_do xvc "$H2" vni add 100 evpn &&
	kernel_vni 3 100 none nolearning &&
	xvtep_vm 1 vm1a 100 && xvtep_vm 2 vm2a 100 && kernel_vm 3 vm3a 100 &&
	ul_prewarm &&
	evpn_frr_conf 1 && evpn_frr_conf 2 && evpn_frr_conf 3
	topo_check $T $? || return

	xvtepd_start 1
	xvtepd_start 2
	for n in 1 2 3; do
		evpn_frr_start "$n" zebra && evpn_frr_start "$n" bgpd ||
			{ check_fail "$T: FRR on h$n" "zebra/bgpd did not start: $(tail -n3 "$(evpn_frr_dir "$n")"/*.log 2>/dev/null)"; return; }
	done
	check "$T: xvtepd running on h1 and h2" kill -0 "${XVTEPD_PID[1]}" "${XVTEPD_PID[2]}"
	for n in 1 2 3; do
		wait_for 30 evpn_sessions_are "$n" 2
		check "$T: h$n has 2 established EVPN sessions" evpn_sessions_are "$n" 2
	done
	check "$T: h1 flood list from BGP (type-3 routes)" wait_for 15 flood_is "$H1" 2
	# Each VM talks (its MAC is learned, exported, advertised), then all pairs ping.
	wait_for 20 ping_quiet vm1a "$(vm_ip vm2a)"
	wait_for 20 ping_quiet vm1a "$(vm_ip vm3a)"
	wait_for 20 ping_quiet vm2a "$(vm_ip vm3a)"
	local a b out
	for a in vm1a vm2a vm3a; do
		for b in vm1a vm2a vm3a; do
			[ "$a" = "$b" ] && continue
			out=$(in_ns "$(vm_ns "$a")" ping -n -c 3 -i 0.2 -W 2 "$(vm_ip "$b")" 2>&1)
			if [ $? -eq 0 ] && ! grep -q DUP <<<"$out"; then
				check_pass "$T: ping $a -> $b (no duplicates)"
			else
				check_fail "$T: ping $a -> $b (no duplicates)" "$(grep -E 'transmitted|DUP' <<<"$out" | head -n2)"
			fi
		done
	done

	local i j
	for i in 1 2; do
		for j in 1 2 3; do
			[ "$i" = "$j" ] && continue
			check "$T: h$i FDB has vm${j}a as an EVPN entry behind h$j" wait_for 5 \
				has_evpn "$(h_ns "$i")" "$(vm_mac vm${j}a)" "$(ul_ip "$j")"
		done
	done
	check_eq "$T: h1 local vm1a learned, not evpn" "$(evpn_where "$H1" "$(vm_mac vm1a)")" "vm1a learned"
	check_eq "$T: h1 flood list = h2, h3" "$(flood_list "$H1")" "[\"$(ul_ip 2)\",\"$(ul_ip 3)\"]"
	check_eq "$T: h2 flood list = h1, h3" "$(flood_list "$H2")" "[\"$(ul_ip 1)\",\"$(ul_ip 3)\"]"
	check_eq "$T: kernel h3 reaches vm1a through h1 (exported, advertised)" \
		"$(kernel_dst "$H3" "$(vm_mac vm1a)")" "$(ul_ip 1)"
	check_eq "$T: kernel h3 reaches vm2a through h2" "$(kernel_dst "$H3" "$(vm_mac vm2a)")" "$(ul_ip 2)"
	check_eq "$T: h1 vm1a on xvb100 as extern_learn" \
		"$(in_ns "$H1" bridge -j fdb show dev xvp100 | jq -r --arg m "$(vm_mac vm1a)" '[.[] | select(.mac == $m) | .flags | index("extern_learn") != null][0]')" true
	check_eq "$T: h1 maps = zebra's state" "$(maps_state "$H1")" "$(zebra_state "$H1")"
	# The vxlan device carries state only: xvtep took every tunnel frame.
	check_eq "$T: h1 xvx100 received and sent nothing" \
		"$(link_stat "$H1" xvx100 rx packets)/$(link_stat "$H1" xvx100 tx packets)" 0/0
	check_eq "$T: no static or remote config on h1" \
		"$(fdb_json "$H1" 100 | jq '[.[] | select(.source == "static")] | length')" 0

	# bgpd stops on the kernel host: its routes are withdrawn (TCP close),
	# zebra on h1 deletes them from xvx100, xvtepd from the maps.
	local bgpd3 tk= tm= now
	bgpd3=$(cat "$(evpn_frr_dir 3)/bgpd.pid")
	t0=$(date +%s%N)
	kill -TERM "$bgpd3"
	for ((i = 0; i < 100; i++)); do
		now=$(($(date +%s%N) - t0))
		[ -z "$tk" ] && vx_lacks "$H1" "dst $(ul_ip 3)" && tk=$now
		[ -z "$tm" ] && maps_lack "$H1" "\"$(ul_ip 3)\"" && maps_lack "$H2" "\"$(ul_ip 3)\"" && tm=$now
		[ -n "$tk" ] && [ -n "$tm" ] && break
		sleep 0.02
	done
	evpn_frr_stop 3 bgpd
	xvt_log "$T: h3's entries left h1's xvx100 after $((tk / 1000000)) ms, h1's and h2's maps after $((tm / 1000000)) ms"
	check "$T: h1 dropped h3's MACs and flood entry" h3_gone "$H1"
	check "$T: h2 dropped h3's MACs and flood entry" h3_gone "$H2"
	check_cmp "$T: maps follow zebra within 1 s (ms)" "$(((${tm:-99000000000} - ${tk:-0}) / 1000000))" -le 1000

	# A local MAC reaches the other xvtep host through BGP, and leaves it
	# when xvtep forgets it.
	local smac=02:00:00:00:01:0f
	check "$T: static local entry on h1" xvc "$H1" fdb add $smac vni 100 dev vm1a
	check "$T: h2 has it as an EVPN entry behind h1" wait_for 5 has_evpn "$H2" $smac "$(ul_ip 1)"
	check "$T: fdb del on h1" xvc "$H1" fdb del $smac vni 100
	check "$T: h2 lost it (withdrawn)" wait_for 5 not_in_fdb "$H2" $smac

	# While xvtepd is down the maps stand; what zebra changes meanwhile is
	# caught up at start (nothing missed).
	xvtepd_stop 1
	check_eq "$T: xvtepd exits 0 on SIGTERM" "$XVTEPD_RC" 0
	vm_ping "$T: vm1a -> vm2a with xvtepd down" vm1a "$(vm_ip vm2a)" 3
	evpn_frr_start 3 bgpd
	wait_for 20 vx_has "$H1" "dst $(ul_ip 3)"
	in_ns "$(vm_ns vm3a)" ping -n -c 1 -W 1 "$(vm_ip vm2a)" >/dev/null 2>&1	# vm3a speaks: advertised again
	wait_for 10 vx_has "$H1" "^$(vm_mac vm3a) .*dst $(ul_ip 3)"
	check "$T: h1 maps lack h3 while xvtepd is down" h3_gone "$H1"
	xvtepd_start 1
	wait_for 5 resyncs_are 1 2
	check_eq "$T: after restart h1 maps = zebra's state (nothing missed)" "$(maps_state "$H1")" "$(zebra_state "$H1")"
	check_match "$T: h1 has vm3a again after the resync" "$(maps_state "$H1")" "*$(vm_mac vm3a) $(ul_ip 3)*"

	xvtepd_stop 1
	evpn_frr_stop 3 bgpd
	xvc "$H1" fdb add $smac vni 100 dev vm1a >/dev/null	# exported only after the restart
	wait_for 5 vx_lacks "$H1" "dst $(ul_ip 3)"
	xvtepd_start 1
	wait_for 5 resyncs_are 1 3
	check_eq "$T: after restart h1 maps = zebra's state (nothing stale)" "$(maps_state "$H1")" "$(zebra_state "$H1")"
	check "$T: h1 kept nothing of h3" h3_gone "$H1"
	check "$T: a local MAC added while xvtepd was down reaches h2" wait_for 5 has_evpn "$H2" $smac "$(ul_ip 1)"
	xvtepd_stop 1
	xvc "$H1" fdb del $smac vni 100 >/dev/null
	xvtepd_start 1
	check "$T: a local MAC deleted while xvtepd was down leaves h1's bridge" wait_for 5 \
		bridge_lacks "$H1" $smac
	check "$T: ... and h2" wait_for 5 not_in_fdb "$H2" $smac
	vm_ping "$T: vm1a -> vm2a after the resyncs" vm1a "$(vm_ip vm2a)" 3
	check_eq "$T: xvtepd logged no warning on h1" "$(grep Warning "$XVT_TMP/xvtepd.h1.log" | head -n3)" ""
	check_eq "$T: xvtepd logged no warning on h2" "$(grep Warning "$XVT_TMP/xvtepd.h2.log" | head -n3)" ""

	# Entries zebra would not write: ignored, with the reason in the log.
	local before
	before=$(maps_state "$H1")
	in_ns "$H1" bridge fdb add 02:00:00:00:0e:01 dev xvx100 dst "$(ul_ip 9)" self
	in_ns "$H1" bridge fdb add 02:00:00:00:0e:02 dev xvx100 dst 239.1.1.1 self extern_learn
	in_ns "$H1" bridge fdb add 02:00:00:00:0e:03 dev xvx100 dst "$(ul_ip 1)" self extern_learn
	sleep 0.5
	check_eq "$T: entries zebra would not write change nothing" "$(maps_state "$H1")" "$before"
	check "$T: xvtepd still runs" kill -0 "${XVTEPD_PID[1]}"
	check_match "$T: ignored: not extern_learn" "$(cat "$XVT_TMP/xvtepd.h1.log")" "*ignored*remote MAC not extern_learn*"
	check_match "$T: ignored: bad destinations" "$(cat "$XVT_TMP/xvtepd.h1.log")" "*ignored*NDA_DST not a remote unicast address (2 so far)*"
}

# kernel_vtep N : host N as a kernel vxlan VTEP of VNI 100 under FRR, with VM vmNa
kernel_vtep()
{
	topo_host "$1" && kernel_vni "$1" 100 none nolearning && kernel_vm "$1" "vm${1}a" 100 &&
	evpn_frr_conf "$1" && evpn_frr_start "$1" zebra && evpn_frr_start "$1" bgpd
}

# A fourth VTEP joins and leaves with no command on the others; a VM moves
# between the xvtep hosts.
evpn_join_move()
{
	local T=evpn_join_move n t0 tk= tm= now i bgpd4 vm2mac
	FRR_HOSTS="1 2 3 4"
	vm2mac=$(vm_mac vm2a)
	topo_underlay &&
	xvtep_host 1 && xvtep_host 2 &&
	topo_do xvc "$H1" vni add 100 evpn &&
	topo_do xvc "$H2" vni add 100 evpn &&
	xvtep_vm 1 vm1a 100 && xvtep_vm 2 vm2a 100 &&
	evpn_frr_conf 1 && evpn_frr_conf 2
	topo_check $T $? || return
	xvtepd_start 1
	xvtepd_start 2
	kernel_vtep 3 && evpn_frr_start 1 zebra && evpn_frr_start 1 bgpd && evpn_frr_start 2 zebra && evpn_frr_start 2 bgpd
	check "$T: h1, h2, h3 up, FRR started" test $? -eq 0 || return
	check "$T: h1 floods to h2 and h3" wait_for 30 flood_is "$H1" 2
	wait_for 20 ping_quiet vm1a "$(vm_ip vm2a)"
	wait_for 20 ping_quiet vm1a "$(vm_ip vm3a)"
	wait_for 20 ping_quiet vm2a "$(vm_ip vm3a)"

	# h4 joins: nothing is done on h1, h2 or h3.
	# not under check: its namespaces must be recorded in this shell for the cleanup
	kernel_vtep 4
	check "$T: h4 (kernel vxlan) joins" test $? -eq 0
	check "$T: h1 floods to h4 too" wait_for 30 flood_is "$H1" 3
	check "$T: h2 floods to h4 too" wait_for 10 flood_is "$H2" 3
	vm_ping "$T: vm4a -> vm1a" vm4a "$(vm_ip vm1a)" 3
	vm_ping "$T: vm2a -> vm4a" vm2a "$(vm_ip vm4a)" 3
	check "$T: h1 has vm4a as an EVPN entry behind h4" wait_for 5 has_evpn "$H1" "$(vm_mac vm4a)" "$(ul_ip 4)"
	check "$T: h2 has vm4a as an EVPN entry behind h4" wait_for 5 has_evpn "$H2" "$(vm_mac vm4a)" "$(ul_ip 4)"

	# h4 leaves: its bgpd stops, then its underlay is cut.
	bgpd4=$(cat "$(evpn_frr_dir 4)/bgpd.pid")
	t0=$(date +%s%N)
	kill -TERM "$bgpd4"
	for ((i = 0; i < 150; i++)); do
		now=$(($(date +%s%N) - t0))
		[ -z "$tk" ] && ! in_ns "$H3" bridge fdb show dev vx100 | grep -q "dst $(ul_ip 4)" && tk=$now
		[ -z "$tm" ] && maps_lack "$H1" "\"$(ul_ip 4)\"" && maps_lack "$H2" "\"$(ul_ip 4)\"" && tm=$now
		[ -n "$tk" ] && [ -n "$tm" ] && break
		sleep 0.02
	done
	evpn_frr_stop 4 bgpd
	in_ns "$NS_UL" ip link set h4 down
	xvt_log "$T: h4's entries left the kernel host h3 after $((${tk:-0} / 1000000)) ms, h1's and h2's maps after $((${tm:-0} / 1000000)) ms"
	check "$T: h1 kept nothing of h4" h3_gone "$H1" 4
	check "$T: h2 kept nothing of h4" h3_gone "$H2" 4
	check_cmp "$T: within 1 s of the kernel peer losing them (ms)" \
		"$(((${tm:-99000000000} - ${tk:-0}) / 1000000))" -le 1000
	check_eq "$T: flood lists back to two VTEPs" "$(flood_list "$H1") $(flood_list "$H2")" \
		"[\"$(ul_ip 2)\",\"$(ul_ip 3)\"] [\"$(ul_ip 1)\",\"$(ul_ip 3)\"]"

	# vm2a moves from h2 to h1: a new veth in h1 with its MAC and address;
	# h2's port device is gone, its entry for vm2a left to BGP to correct.
	xvtep_vm 1 vm2a 100
	check "$T: vm2a moves to h1" test $? -eq 0
	t0=$SECONDS
	vm_ping "$T: vm2a (on h1) -> vm3a" vm2a "$(vm_ip vm3a)" 3
	check "$T: h3 (kernel) sends to vm2a through h1" wait_for 10 sh -c \
		"nsenter --net=/run/netns/$H3 -- bridge fdb show dev vx100 | grep -q '^$vm2mac .*dst $(ul_ip 1) '"
	check "$T: h2 has vm2a as an EVPN entry behind h1" wait_for 10 has_evpn "$H2" "$vm2mac" "$(ul_ip 1)"
	xvt_log "$T: the move settled within $((SECONDS - t0)) s"
	check_eq "$T: h1 has vm2a on its new port" "$(evpn_where "$H1" "$vm2mac")" "vm2a learned"
	check "$T: h2 exports vm2a no more" wait_for 5 bridge_lacks "$H2" "$vm2mac"
	vm_ping "$T: vm3a -> vm2a (on h1)" vm3a "$(vm_ip vm2a)" 3
	vm_ping "$T: vm1a -> vm2a (same host now)" vm1a "$(vm_ip vm2a)" 3
	check_eq "$T: h1 maps = zebra's state" "$(maps_state "$H1")" "$(zebra_state "$H1")"
	check_eq "$T: h2 maps = zebra's state" "$(maps_state "$H2")" "$(zebra_state "$H2")"
	# A resync keeps the moved VM where it is (the vxlan device's stale half is no route).
	xvtepd_stop 1
	xvtepd_start 1
	wait_for 5 resyncs_are 1 2
	check_eq "$T: after an xvtepd restart h1 still has vm2a on its port" \
		"$(evpn_where "$H1" "$vm2mac")" "vm2a learned"
	check_eq "$T: ... and its maps = zebra's state" "$(maps_state "$H1")" "$(zebra_state "$H1")"
	vm_ping "$T: vm3a -> vm2a after the restart" vm3a "$(vm_ip vm2a)" 3
}

# neigh_src NS IP : the source of NS's VNI 100 binding for IP, or "absent"
neigh_src()
{
	local s
	s=$(xvc "$1" -j neigh show vni 100 | jq -r --arg ip "$2" '[.[] | select(.ip == $ip)][0].source // empty')
	echo "${s:-absent}"
}

# neigh_src_is NS IP SOURCE
neigh_src_is() { [ "$(neigh_src "$1" "$2")" = "$3" ]; }

# maps_eq_zebra NS : xvtep's EVPN state = zebra's
maps_eq_zebra() { [ "$(maps_state "$1")" = "$(zebra_state "$1")" ]; }

# noarp_has NS IP MAC : IP -> MAC is a NOARP neighbour on NS's xvb100
noarp_has() { in_ns "$1" ip neigh show "$2" dev xvb100 nud noarp | grep -q "$3"; }

# ping_gap NAME VM IP COUNT : ping every 50 ms in the background; ping_gap_end
# sets GAP_MS, the longest time without a reply (from the replies' icmp_seq)
PING_PID=
PING_OUT=
ping_gap()
{
	PING_OUT=$XVT_TMP/ping.$1
	PING_COUNT=$4
	PING_NAME=$1
	bg_ns "$(vm_ns "$2")" ping -n -i 0.05 -c "$4" -W 1 "$3" >"$PING_OUT" 2>&1
	PING_PID=$XVT_LAST_PID
}
ping_gap_end()
{
	wait "$PING_PID" 2>/dev/null
	# from seq 0 (before the first) to COUNT+1 (after the last): lost ends count
	GAP_MS=$(awk -F'icmp_seq=' -v c="$PING_COUNT" '/icmp_seq=/ { split($2, a, " "); s = a[1] + 0;
		if (s - p > g) g = s - p; p = s } END { if (c + 1 - p > g) g = c + 1 - p; print g * 50 }' \
		"$PING_OUT")
	xvt_log "$PING_NAME restart: longest time without a reply ${GAP_MS} ms ($(grep -o '[0-9]* received' "$PING_OUT"))"
}

# MAC+IP through EVPN with ARP suppression, then restarts of xvtepd, bgpd,
# zebra(+bgpd) under a running ping.
evpn_arp_restart()
{
	local T=evpn_arp_restart n ip2 ip1 mac2
	FRR_HOSTS="1 2"
	topo_underlay &&
	xvtep_host 1 && xvtep_host 2 &&
	topo_do xvc "$H1" vni add 100 evpn neigh-suppress on &&
	topo_do xvc "$H2" vni add 100 evpn neigh-suppress on &&
	xvtep_vm 1 vm1a 100 && xvtep_vm 2 vm2a 100 &&
	ul_prewarm && evpn_frr_conf 1 && evpn_frr_conf 2
	topo_check $T $? || return
	ip1=$(vm_ip vm1a) ip2=$(vm_ip vm2a) mac2=$(vm_mac vm2a)

	xvtepd_start 1
	xvtepd_start 2
	for n in 1 2; do
		evpn_frr_start "$n" zebra && evpn_frr_start "$n" bgpd ||
			{ check_fail "$T: FRR on h$n" "zebra/bgpd did not start"; return; }
	done
	wait_for 30 evpn_sessions_are 1 1
	check "$T: h1 and h2 peer" evpn_sessions_are 1 1
	wait_for 20 ping_quiet vm2a "$ip1"
	check "$T: h2 snooped vm2a" wait_for 5 neigh_src_is "$H2" "$ip2" snooped
	check "$T: h2 exports vm2a as a NOARP neighbour on xvb100" wait_for 5 noarp_has "$H2" "$ip2" "$mac2"
	wait_for 10 neigh_src_is "$H1" "$ip2" evpn
	check_eq "$T: h1 imported vm2a's MAC+IP as an evpn binding" "$(neigh_src "$H1" "$ip2")" evpn
	check_eq "$T: ... with vm2a's MAC" \
		"$(xvc "$H1" -j neigh show vni 100 | jq -r --arg ip "$ip2" '[.[] | select(.ip == $ip)][0].mac')" "$mac2"

	in_ns "$(vm_ns vm1a)" ip neigh flush all >/dev/null 2>&1
	cap_start "$NS_UL" h1 "udp dst port $VXPORT" 0
	vm_ping "$T: vm1a pings vm2a (ARP answered by h1)" vm1a "$ip2" 3
	cap_stop "$CAP_PID"
	check_cmp "$T: the capture decodes VXLAN (echo requests inside)" \
		"$(tshark -r "$CAP_FILE" -d udp.port==$VXPORT,vxlan -Y 'vxlan && icmp.type == 8' 2>/dev/null | wc -l)" -ge 3
	check_eq "$T: no ARP request for vm2a inside VXLAN on the underlay" \
		"$(tshark -r "$CAP_FILE" -d udp.port==$VXPORT,vxlan \
			-Y "vxlan && arp.opcode == 1 && arp.dst.proto_ipv4 == $ip2" 2>/dev/null | wc -l)" 0

	check "$T: h2 neigh del vm2a" xvc "$H2" neigh del "$ip2" vni 100
	wait_for 10 neigh_src_is "$H1" "$ip2" absent
	check_eq "$T: h1's evpn binding left with h2's" "$(neigh_src "$H1" "$ip2")" absent

	# Restarts under a ping every 50 ms. xvtepd: the maps stay, so no reply is
	# missed beyond scheduling jitter (bound 500 ms).
	ping_gap xvtepd vm1a "$ip2" 60
	sleep 0.5
	xvtepd_stop 1
	xvtepd_start 1
	ping_gap_end
	check_cmp "$T: xvtepd restart: longest gap (ms, bound 500)" "$GAP_MS" -le 500
	# bgpd: zebra deletes the remote entries and xvtep mirrors that (a remote
	# MAC zebra does not hold is not forwarded to); back after the session is
	# up again plus zebra's 2.2 s: bound 10 s (connect timer 2 s).
	ping_gap bgpd vm1a "$ip2" 160
	sleep 0.5
	evpn_frr_stop 1 bgpd
	evpn_frr_start 1 bgpd
	ping_gap_end
	check_cmp "$T: bgpd restart: longest gap (ms, bound 10000)" "$GAP_MS" -le 10000
	check "$T: after bgpd: h1 maps = zebra's state" wait_for 5 maps_eq_zebra "$H1"
	# zebra: a new zebra under a running bgpd gets no routes, so bgpd restarts too.
	ping_gap zebra vm1a "$ip2" 160
	sleep 0.5
	evpn_frr_stop 1 bgpd
	evpn_frr_stop 1 zebra
	evpn_frr_start 1 zebra && evpn_frr_start 1 bgpd
	ping_gap_end
	check_cmp "$T: zebra+bgpd restart: longest gap (ms, bound 10000)" "$GAP_MS" -le 10000
	check "$T: after zebra: h1 maps = zebra's state" wait_for 5 maps_eq_zebra "$H1"
	check_cmp "$T: h1 has h2's flood entry and vm2a" "$(maps_state "$H1" | wc -l)" -ge 2
}

tests_run
