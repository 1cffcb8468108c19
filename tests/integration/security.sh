#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hardening: VTEP allow-lists (per VNI and default, decap modes hybrid and
# tc), MAC-move dampening, own MACs never learned, an FDB flood against
# mac-limit, and the mirror rate limit.
#
#   vm1a(ns) 192.0.2.11                    vm2a(ns) 192.0.2.21     overlay, MTU 1450
#      |eth0                                  |eth0
#      |vm1a          mcol1 -- col(ns) c1     |vm2a
#   [h1: xvtep ......................]     [h2: xvtep]
#       ul 198.51.100.1                        ul .2               underlay
#          \_________ [ul: bridge br0] _________/
#                       port h1 <- sec_send.py (scapy): forged VTEPs
#                                  198.51.100.8 and .9
#
# VNI 100, head-end replication. Forged frames are sent from the underlay
# switch's port toward h1, addressed to h1's VTEP address.

ALL_TESTS="
	peer_allow_list
	peer_default_list
	move_dampening
	own_macs
	fdb_flood
	mirror_rate
"

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/topology.sh"

H1=$(h_ns 1)
H2=$(h_ns 2)
NS_COL=${XVT_P}col
IP1A=$(vm_ip vm1a)
IP2A=$(vm_ip vm2a)
MAC1A=$(vm_mac vm1a)
MAC2A=$(vm_mac vm2a)
MOVER=02:00:00:00:07:07

# sec_topo [attach args] : h1 (+vm1a) and h2 (+vm2a) on VNI 100, warmed up
sec_topo()
{
	topo_pair "$@" &&
	ul_prewarm &&
	topo_do in_ns "$(vm_ns vm1a)" ping -q -c 2 -i 0.2 -W 2 "$IP2A" || return 1
	forged_ready
}

# send COUNT SRC_IP=INNER_SRC... : forged_send, then time to be counted
send()
{
	forged_send "$@"
	sleep 0.3
}

# vm1a_rx : the forged frames vm1a received (sec_send.py sends ICMP echo
# replies to it): its ICMP InEchoReps, blind to the ARP and flood traffic a
# slow run adds to the link's counters
vm1a_rx()
{
	in_ns "$(vm_ns vm1a)" awk '/^Icmp: / { if (!h) { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
		print $c["InEchoReps"]; exit }' /proc/net/snmp
}

# vni_field NS VNI JQ : a field of `vni show -j VNI`
vni_field() { xvc "$1" -j vni show "$2" | jq -c ".[0] | $3"; }

# ping_ok VM IP : exit 0 if 3 pings get through
ping_ok() { in_ns "$(vm_ns "$1")" ping -n -q -c 3 -i 0.2 -W 2 "$2" >/dev/null 2>&1; }

# ---------------------------------------------------------------- tests

# A VNI's own list, in decap modes hybrid (XDP + TC) and tc.
peer_allow_list()
{
	local mode T d0 r0 out
	for mode in hybrid tc; do
		T="peer_allow_list[$mode]"
		sec_topo --decap $mode
		topo_check "$T" $? || { topo_destroy; continue; }

		check "$T: vni set 100 peer $(ul_ip 2)" xvc "$H1" vni set 100 peer "$(ul_ip 2)"
		check_eq "$T: vni show -j lists the VNI's own list" \
			"$(vni_field "$H1" 100 '{peers,peer_list}')" \
			"{\"peers\":[\"$(ul_ip 2)/32\"],\"peer_list\":\"vni\"}"
		check "$T: the listed VTEP (h2) still reaches vm1a" ping_ok vm2a "$IP1A"

		d0=$(vni_stat "$H1" 100 drops.peer_denied)
		r0=$(vm1a_rx)
		out=$(send 5 "$FAKE9=02:00:00:00:09:01")
		check_eq "$T: 5 frames from an unlisted VTEP: peer_denied +5" \
			"$(($(vni_stat "$H1" 100 drops.peer_denied) - d0))" 5 "($out)"
		check_eq "$T: ... none delivered to vm1a" "$(($(vm1a_rx) - r0))" 0
		check_eq "$T: ... and nothing learned from them" \
			"$(fdb_where "$H1" 100 02:00:00:00:09:01)" absent

		d0=$(vni_stat "$H1" 100 drops.peer_denied)
		out=$(send 5 "$FAKE9=ff:ff:ff:ff:ff:ff")
		check_eq "$T: broadcast source is checked after the peer (peer_denied +5)" \
			"$(($(vni_stat "$H1" 100 drops.peer_denied) - d0))" 5 "($out)"

		check "$T: vni set 100 peer 198.51.100.8/29 (has .9, not h2)" \
			xvc "$H1" vni set 100 peer 198.51.100.8/29
		r0=$(vm1a_rx)
		out=$(send 5 "$FAKE9=02:00:00:00:09:02")
		check_eq "$T: the prefix admits .9: 5 delivered" "$(($(vm1a_rx) - r0))" 5 "($out)"
		check_eq "$T: ... and .9 is learned" "$(fdb_where "$H1" 100 02:00:00:00:09:02)" \
			"remote $FAKE9"
		d0=$(vni_stat "$H1" 100 drops.peer_denied)
		check_not "$T: h2 is no longer admitted (ping fails)" ping_ok vm2a "$IP1A"
		check_cmp "$T: ... its frames counted as peer_denied" \
			"$(($(vni_stat "$H1" 100 drops.peer_denied) - d0))" -ge 1
		check_eq "$T: the replaced list holds only the new prefix" \
			"$(vni_field "$H1" 100 .peers)" '["198.51.100.8/29"]'

		check "$T: vni set 100 peer none" xvc "$H1" vni set 100 peer none
		check_eq "$T: no list: peer_list any" "$(vni_field "$H1" 100 '{peers,peer_list}')" \
			'{"peers":[],"peer_list":"any"}'
		check "$T: no list: h2 reaches vm1a again" ping_ok vm2a "$IP1A"
		check_eq "$T: no entry left in xvtep_peers" \
			"$(bpftool -j map dump pinned "$(pin_dir "$H1")/xvtep_peers" | jq length)" 0
		topo_destroy
	done
}

# The default list (xvtepctl peer ...), and a VNI's own list overriding it.
peer_default_list()
{
	local T=peer_default_list d0 r0 out
	sec_topo
	topo_check $T $? || return

	check "$T: peer add 203.0.113.0/24" xvc "$H1" peer add 203.0.113.0/24
	check_eq "$T: peer show -j" "$(xvc "$H1" -j peer show)" '["203.0.113.0/24"]'
	check_eq "$T: VNI 100 follows the default list" "$(vni_field "$H1" 100 '{peers,peer_list}')" \
		'{"peers":["203.0.113.0/24"],"peer_list":"default"}'
	d0=$(vni_stat "$H1" 100 drops.peer_denied)
	check_not "$T: h2 is not in the default list (ping fails)" ping_ok vm2a "$IP1A"
	check_cmp "$T: ... counted as peer_denied" \
		"$(($(vni_stat "$H1" 100 drops.peer_denied) - d0))" -ge 1
	check "$T: a VNI added now follows it too" xvc "$H1" vni add 300 remote "$(ul_ip 2)"
	check_eq "$T: ... vni show -j 300" "$(vni_field "$H1" 300 .peer_list)" '"default"'

	check "$T: peer add $(ul_ip 2)" xvc "$H1" peer add "$(ul_ip 2)"
	check "$T: h2 admitted by the default list" ping_ok vm2a "$IP1A"

	check "$T: VNI 100 gets its own list ($FAKE8)" xvc "$H1" vni set 100 peer "$FAKE8"
	check_not "$T: the own list replaces the default (h2 refused)" ping_ok vm2a "$IP1A"
	r0=$(vm1a_rx)
	out=$(send 3 "$FAKE8=02:00:00:00:08:01")
	check_eq "$T: ... and admits $FAKE8" "$(($(vm1a_rx) - r0))" 3 "($out)"
	check "$T: vni set 100 peer none" xvc "$H1" vni set 100 peer none
	check "$T: back to the default list (h2 admitted)" ping_ok vm2a "$IP1A"

	check "$T: peer del 203.0.113.0/24" xvc "$H1" peer del 203.0.113.0/24
	check_eq "$T: peer show -j after del" "$(xvc "$H1" -j peer show)" "[\"$(ul_ip 2)/32\"]"
	check_not "$T: peer del of an absent prefix fails" xvc "$H1" peer del 192.0.2.0/24
	check "$T: peer flush" xvc "$H1" peer flush
	check_eq "$T: no default list: peer_list any" "$(vni_field "$H1" 100 .peer_list)" '"any"'
	d0=$(vni_stat "$H1" 100 drops.peer_denied)
	r0=$(vm1a_rx)
	out=$(send 3 "$FAKE9=02:00:00:00:09:03")
	check_cmp "$T: no list at all: any VTEP admitted (as before)" "$(($(vm1a_rx) - r0))" -ge 3 "($out)"
	check_eq "$T: ... no peer_denied" "$(($(vni_stat "$H1" 100 drops.peer_denied) - d0))" 0
	check_not "$T: vni add with peer none is refused" xvc "$H1" vni add 301 peer none
	check_not "$T: bad prefix length refused" xvc "$H1" vni set 100 peer 198.51.100.0/33
}

# move-limit 3 in 60 s: the 4th move freezes the entry, claims are dropped.
move_dampening()
{
	local T=move_dampening d0 r0 out e
	sec_topo
	topo_check $T $? || return

	check "$T: vni set 100 move-limit 3 move-window 60 move-hold 60" \
		xvc "$H1" vni set 100 move-limit 3 move-window 60 move-hold 60
	check_eq "$T: vni show -j move settings" "$(vni_field "$H1" 100 '{move_limit,move_window,move_hold}')" \
		'{"move_limit":3,"move_window":60,"move_hold":60}'
	r0=$(vm1a_rx)
	# learn behind .8, then .9 .8 .9 (3 moves), then .8 (4th: frozen), .8 again
	out=$(send 1 "$FAKE8=$MOVER" "$FAKE9=$MOVER" "$FAKE8=$MOVER" "$FAKE9=$MOVER" \
		"$FAKE8=$MOVER" "$FAKE8=$MOVER")
	check_eq "$T: learn + 3 moves delivered, the 2 frozen claims not" "$(($(vm1a_rx) - r0))" 4 "($out)"
	check_eq "$T: moved 3" "$(vni_stat "$H1" 100 events.moved)" 3
	check_eq "$T: move_frozen 1" "$(vni_stat "$H1" 100 events.move_frozen)" 1
	check_eq "$T: mac_frozen drops 2" "$(vni_stat "$H1" 100 drops.mac_frozen)" 2
	e=$(fdb_get "$H1" 100 "$MOVER")
	check_eq "$T: fdb show -j: frozen where it was (.9)" "$(jq -c '{remote,frozen}' <<<"$e")" \
		"{\"remote\":\"$FAKE9\",\"frozen\":true}"
	check_cmp "$T: fdb show -j: frozen_for counts down from 60" "$(jq .frozen_for <<<"$e")" -gt 50
	check "$T: fdb show (text) says frozen" sh -c \
		"$CTL --pin $(pin_dir "$H1") -n $H1 fdb show vni 100 | grep -i '$MOVER' | grep -q frozen"
	r0=$(vm1a_rx)
	out=$(send 2 "$FAKE9=$MOVER")
	check_eq "$T: the frozen entry's own VTEP still gets through" "$(($(vm1a_rx) - r0))" 2 "($out)"

	check "$T: vni set 100 move-limit 0 (off)" xvc "$H1" vni set 100 move-limit 0
	out=$(send 1 "$FAKE8=02:00:00:00:07:08" "$FAKE9=02:00:00:00:07:08" "$FAKE8=02:00:00:00:07:08" \
		"$FAKE9=02:00:00:00:07:08" "$FAKE8=02:00:00:00:07:08" "$FAKE9=02:00:00:00:07:08")
	check_eq "$T: move-limit 0: 5 moves, no new freeze" \
		"$(vni_stat "$H1" 100 events.move_frozen),$(fdb_where "$H1" 100 02:00:00:00:07:08)" \
		"1,remote $FAKE9" "($out)"
	check_not "$T: move-window 0 refused" xvc "$H1" vni set 100 move-window 0
}

# Our own MACs (uplink, ports) are never learned from a frame.
own_macs()
{
	local T=own_macs d0 r0 out pmac
	sec_topo
	topo_check $T $? || return
	pmac=$(in_ns "$H1" ip -j link show dev vm1a | jq -r '.[0].address')

	d0=$(vni_stat "$H1" 100 drops.own_mac)
	r0=$(vm1a_rx)
	out=$(send 3 "$FAKE9=$UL_MAC")
	check_eq "$T: inner source = h1's uplink MAC: own_mac +3" \
		"$(($(vni_stat "$H1" 100 drops.own_mac) - d0))" 3 "($out)"
	check_eq "$T: ... not delivered, not learned" \
		"$(($(vm1a_rx) - r0)),$(fdb_where "$H1" 100 "$UL_MAC")" "0,absent"
	out=$(send 3 "$FAKE9=$pmac")
	check_eq "$T: inner source = port vm1a's MAC: own_mac +3 more" \
		"$(($(vni_stat "$H1" 100 drops.own_mac) - d0))" 6 "($out)"
	check_eq "$T: ... not learned" "$(fdb_where "$H1" 100 "$pmac")" absent
	check "$T: port del removes the port's MAC from xvtep_ownmacs" sh -c \
		"$CTL --pin $(pin_dir "$H1") -n $H1 port del vm1a &&
		 [ \$(bpftool -j map dump pinned $(pin_dir "$H1")/xvtep_ownmacs | jq length) = 0 ]"
}

# 2000 random sources against mac-limit 50: learning stops, forwarding goes on.
fdb_flood()
{
	local T=fdb_flood out
	sec_topo
	topo_check $T $? || return

	check "$T: mac-limit 50, a static entry" sh -c \
		"$CTL --pin $(pin_dir "$H1") -n $H1 vni set 100 mac-limit 50 &&
		 $CTL --pin $(pin_dir "$H1") -n $H1 fdb add 02:00:00:00:05:05 vni 100 remote $(ul_ip 2)"
	out=$(send 2000 "$FAKE9=random")
	check_eq "$T: learned count stops at mac-limit 50" \
		"$(xvc "$H1" -j vni show 100 | jq '.[0].learned')" 50 "($out)"
	check_cmp "$T: dynamic entries of VNI 100 at most 50" \
		"$(fdb_json "$H1" 100 | jq '[.[] | select(.static == false)] | length')" -le 50
	check_cmp "$T: learn_limit counted" "$(vni_stat "$H1" 100 events.learn_limit)" -ge 1900
	check_eq "$T: the static entry survives" "$(fdb_where "$H1" 100 02:00:00:00:05:05)" \
		"remote $(ul_ip 2) static"
	check "$T: vm1a <-> vm2a still forwarded (known MACs)" ping_ok vm1a "$IP2A"
	check_eq "$T: ... vm2a still known behind h2" "$(fdb_where "$H1" 100 "$MAC2A")" "remote $(ul_ip 2)"
}

# rate 2 burst 2 on a SPAN session fed by 60 pings at 20 ms.
mirror_rate()
{
	local T=mirror_rate j r0 r1 pk rl log t0 t1 max
	sec_topo
	topo_check $T $? || return
	topo_ns "$NS_COL" &&
	topo_do ip link add mcol1 netns "$H1" type veth peer name c1 netns "$NS_COL" &&
	topo_do in_ns "$H1" ip link set mcol1 up &&
	topo_do in_ns "$NS_COL" ip link set c1 up
	topo_check "$T: collector" $? || return

	check "$T: mirror add ... rate 5" xvc "$H1" mirror add 1 src vm1a dir rx span dev mcol1 rate 5
	check_eq "$T: mirror show -j: rate 5, default burst 1" \
		"$(xvc "$H1" -j mirror show 1 | jq -c '.[0] | {rate,burst}')" '{"rate":5,"burst":1}'
	check "$T: mirror set 1 rate 2 burst 2" xvc "$H1" mirror set 1 rate 2 burst 2
	r0=$(link_stat "$H1" vm1a rx packets)
	t0=$(date +%s%N)
	in_ns "$(vm_ns vm1a)" ping -n -q -c 60 -i 0.02 -W 1 "$IP2A" >/dev/null 2>&1
	sleep 0.3
	t1=$(date +%s%N)
	r1=$(link_stat "$H1" vm1a rx packets)
	j=$(xvc "$H1" -j mirror show 1)
	pk=$(jq '.[0].packets' <<<"$j")
	rl=$(jq '.[0].drops.rate_limited' <<<"$j")
	# at most the burst plus 2 per second elapsed (rounded up, measured)
	max=$((2 + 2 * ((t1 - t0) / 1000000000 + 1)))
	# (a stray frame of the VM - ARP, IPv6 - may land between two reads)
	check "$T: every frame from vm1a is a copy or rate_limited (60 pings)" \
		test "$((pk + rl))" -ge 60 -a "$((pk + rl))" -ge "$((r1 - r0))" -a "$((pk + rl))" -le "$((r1 - r0 + 3))"
	check_cmp "$T: copies held to burst 2 + 2/s ($max for this run)" "$pk" -le "$max"
	check_cmp "$T: rate_limited counted for the rest" "$rl" -ge $((r1 - r0 - max))
	check_eq "$T: no other copy drop" "$(jq '[.[0].drops | to_entries[] | select(.key != "rate_limited") | .value] | add' <<<"$j")" 0
	log=$(PY=$PY syslog_of "$CTL" --pin "$(pin_dir "$H1")" -n "$H1" mirror set 1 rate 0)
	check "$T: mirror set logged to syslog with the uid" \
		grep -q "uid $(id -u): .* mirror set 1 rate 0: done" <<<"$log"
	check_eq "$T: rate 0 shown as unlimited" "$(xvc "$H1" -j mirror show 1 | jq -c '.[0] | {rate,burst}')" \
		'{"rate":0,"burst":0}'
	in_ns "$(vm_ns vm1a)" ping -n -q -c 20 -i 0.02 -W 1 "$IP2A" >/dev/null 2>&1
	sleep 0.3
	j=$(xvc "$H1" -j mirror show 1)
	check_cmp "$T: unlimited: all 20 new pings copied" "$(($(jq '.[0].packets' <<<"$j") - pk))" -ge 20
	check_eq "$T: unlimited: rate_limited unchanged" "$(jq '.[0].drops.rate_limited' <<<"$j")" "$rl"
	check_not "$T: burst without rate refused" xvc "$H1" mirror set 1 burst 3
}

xvt_require_all
tests_run
