#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Observability: `xvtepctl metrics` (promtool accepts it, its values are
# those of `stats -j`) and `xvtepctl monitor` (learns, moves, move
# dampening, the allow-list, mac-limit, and a flood of new MACs reported at
# most at the rate limit, the rest counted as suppressed).
#
#   vm1a(ns) .11   vm1b(ns) .12            vm2a(ns) .21        overlay, MTU 1450
#      |eth0          |eth0                   |eth0
#      |vm1a          |vm1b     mdst(veth)    |vm2a
#   [h1: xvtep, monitor/metrics .....]     [h2: xvtep]
#       ul 198.51.100.1                        ul .2             underlay
#          \_________ [ul: bridge br0] _________/
#                       port h1 <- sec_send.py (scapy): forged VTEPs
#                                  198.51.100.8 and .9
#
# VNI 100, head-end replication.

ALL_TESTS="
	metrics_format
	monitor_learn
	monitor_move
	monitor_mac_limit
	monitor_flood
"

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/topology.sh"

H1=$(h_ns 1)
IP2A=$(vm_ip vm2a)
MAC1A=$(vm_mac vm1a)
MAC2A=$(vm_mac vm2a)
MOVER=02:00:00:00:07:07
MON=$XVT_TMP/monitor.out
# xvtep.h: XVTEP_EVQ_BURST, XVTEP_EVQ_RATE (per kind and CPU)
EVQ_BURST=100
EVQ_RATE=50

# obs_topo : h1 (+vm1a, vm1b) and h2 (+vm2a) on VNI 100, underlay resolved
obs_topo()
{
	topo_pair &&
	xvtep_vm 1 vm1b 100 &&
	ul_prewarm &&
	forged_ready
}

# vm_send VM SRC_MAC : one broadcast frame from VM's eth0 with source SRC_MAC
vm_send()
{
	in_ns "$(vm_ns "$1")" "$PY" -c "from scapy.all import Ether, ARP, sendp
sendp(Ether(src='$2', dst='ff:ff:ff:ff:ff:ff') / ARP(hwsrc='$2'), iface='eth0', verbose=False)"
}

# mon_start [-j] : xvtepctl monitor on h1 in the background, output in $MON
mon_start()
{
	: >"$MON"
	bg_start "$CTL" --pin "$(pin_dir "$H1")" -n "$H1" "$@" monitor >"$MON" 2>&1
	MON_PID=$XVT_LAST_PID
	# reading once it holds its lock (cli/monitor.c)
	wait_for 5 sh -c "! flock -n /run/lock/xvtep-monitor$(pin_dir "$H1" | tr / _).lock true"
}

# mon_stop : SIGINT; the monitor's exit status
mon_stop()
{
	kill -INT "$MON_PID" 2>/dev/null
	wait "$MON_PID" 2>/dev/null
}

# mon_has JQ_FILTER : a JSON line of $MON matches
mon_has() { jq -e -s "[.[] | select($1)] | length > 0" "$MON" >/dev/null 2>&1; }
# mon_count JQ_FILTER : JSON lines of $MON that match
mon_count() { jq -s "[.[] | select($1)] | length" "$MON" 2>/dev/null || echo -1; }

# ---------------------------------------------------------------- tests

metrics_format()
{
	local T=metrics_format m s want missing out
	obs_topo &&
	topo_do in_ns "$H1" ip link add mdst type veth peer name mdstp &&
	topo_do in_ns "$H1" ip link set mdst up &&
	topo_do xvc "$H1" mirror add 1 src vm1a dir rx span dev mdst
	topo_check $T $? || return

	check "$T: 5 pings vm1a -> vm2a" in_ns "$(vm_ns vm1a)" ping -q -c 5 -i 0.1 -W 2 "$IP2A"
	sleep 0.5
	s=$(xvc "$H1" -j stats)
	m=$(xvc "$H1" metrics)
	check "$T: promtool check metrics accepts it" sh -c 'promtool check metrics >&2' <<<"$m"
	check_eq "$T: HELP and TYPE for every family" \
		"$(grep -c '^# HELP ' <<<"$m")" "$(grep -c '^# TYPE ' <<<"$m")"
	check_eq "$T: build_info version from VERSION" \
		"$(grep '^xvtep_build_info' <<<"$m")" "xvtep_build_info{version=\"$(cat "$XVT_ROOT/VERSION")\"} 1"
	# every counter of `stats -j` as the sample it must be
	want=$(jq -r '.[] | .vni as $v |
		(to_entries[] | select(.value | type == "number") | select(.key != "vni") |
			"xvtep_\(.key)_total{vni=\"\($v)\"} \(.value)"),
		(.drops | to_entries[] | "xvtep_drops_total{vni=\"\($v)\",reason=\"\(.key)\"} \(.value)"),
		(.events | to_entries[] | "xvtep_events_total{vni=\"\($v)\",reason=\"\(.key)\"} \(.value)")' \
		<<<"$s")
	missing=$(grep -vxF -f <(printf '%s\n' "$m") <<<"$want")
	check_eq "$T: every stats -j counter, same value ($(wc -l <<<"$want") samples)" "$missing" ""
	check_cmp "$T: rx_packets of VNI 100 counts the replies" \
		"$(grep '^xvtep_rx_packets_total{vni="100"}' <<<"$m" | cut -d' ' -f2)" -ge 5
	check_eq "$T: fdb_learned_entries = vni show learned" \
		"$(grep '^xvtep_fdb_learned_entries{vni="100"}' <<<"$m" | cut -d' ' -f2)" \
		"$(xvc "$H1" -j vni show 100 | jq '.[0].learned')"
	check_eq "$T: fdb_entries = fdb show" "$(grep '^xvtep_fdb_entries ' <<<"$m" | cut -d' ' -f2)" \
		"$(fdb_json "$H1" | jq length)"
	check_eq "$T: mirror session 1 packets = mirror show -j" \
		"$(grep '^xvtep_mirror_packets_total{session="1"}' <<<"$m" | cut -d' ' -f2)" \
		"$(xvc "$H1" -j mirror show 1 | jq '.[0].packets')"
	check_match "$T: ageing runs counted" "$(grep '^xvtep_ageing_runs_total ' <<<"$m")" \
		'xvtep_ageing_runs_total [1-9]*'
	check_match "$T: monitor counters by kind" \
		"$(grep '^xvtep_monitor_suppressed_total{kind="drop_peer_denied"}' <<<"$m")" '* [0-9]*'
	out=$(xvc "$H1" -j metrics 2>&1)
	check_refused "$T: metrics -j refused, pointing to stats -j" $? "$out" '*stats*'
}

monitor_learn()
{
	local T=monitor_learn rc out
	obs_topo
	topo_check $T $? || return

	mon_start -j
	check "$T: monitor running" kill -0 "$MON_PID"
	out=$(xvc "$H1" monitor 2>&1)
	check_refused "$T: a second monitor is refused" $? "$out" "*another xvtepctl monitor is reading*"
	topo_do xvc "$H1" fdb flush vni 100
	check "$T: vm1a pings vm2a" in_ns "$(vm_ns vm1a)" ping -q -c 2 -i 0.2 -W 2 "$IP2A"
	check "$T: learned vm1a on port vm1a" wait_for 3 mon_has \
		".event == \"learned\" and .vni == 100 and .mac == \"$MAC1A\" and .dev == \"vm1a\""
	check "$T: learned vm2a behind h2" wait_for 3 mon_has \
		".event == \"learned\" and .mac == \"$MAC2A\" and .remote == \"$(ul_ip 2)\""
	mon_stop
	rc=$?
	check_eq "$T: SIGINT: exit status 0" "$rc" 0
	check "$T: ... after a summary line" mon_has '.event == "summary" and .shown >= 2'
}

monitor_move()
{
	local T=monitor_move out
	obs_topo
	topo_check $T $? || return

	topo_do xvc "$H1" vni set 100 move-limit 1 move-window 60 move-hold 60
	mon_start
	vm_send vm1a "$MOVER"
	vm_send vm1b "$MOVER"
	check "$T: moved, old and new port" wait_for 3 \
		grep -qx "moved $MOVER vni 100 dev vm1b from dev vm1a" "$MON"
	vm_send vm1a "$MOVER"
	check "$T: second move within the window: frozen where it is" wait_for 3 \
		grep -qx "move_frozen $MOVER vni 100 dev vm1a held at dev vm1b" "$MON"
	check "$T: ... and the claim dropped" wait_for 3 \
		grep -qx "drop mac_frozen $MOVER vni 100 dev vm1a" "$MON"

	topo_do xvc "$H1" vni set 100 peer "$(ul_ip 2)"
	out=$(forged_send 1 "$FAKE9=02:00:00:00:09:01")
	check "$T: refused by the allow-list: drop peer_denied from the VTEP" wait_for 3 \
		grep -qx "drop peer_denied 02:00:00:00:09:01 vni 100 remote $FAKE9" "$MON"
	mon_stop
	check_match "$T: text summary at exit" "$(tail -n1 "$MON")" \
		'summary: * events shown, 0 suppressed by the rate limit, 0 lost*'
}

monitor_mac_limit()
{
	local T=monitor_mac_limit out l0 n learned0
	obs_topo
	topo_check $T $? || return

	topo_do xvc "$H1" vni set 100 mac-limit 5
	l0=$(vni_stat "$H1" 100 events.learn_limit)
	learned0=$(xvc "$H1" -j vni show 100 | jq '.[0].learned')
	mon_start -j
	out=$(forged_send 20 "$FAKE9=random")
	sleep 0.5
	mon_stop
	n=$(($(vni_stat "$H1" 100 events.learn_limit) - l0))
	check_cmp "$T: 20 new MACs at mac-limit 5: learn_limit counted" "$n" -ge 15 "($out)"
	check_eq "$T: one learn_limit event per refused MAC (within the burst)" \
		"$(mon_count ".event == \"learn_limit\" and .vni == 100 and .remote == \"$FAKE9\"")" "$n"
	check_eq "$T: learned events stop at the limit" \
		"$(mon_count '.event == "learned" and .vni == 100')" \
		"$(($(xvc "$H1" -j vni show 100 | jq '.[0].learned') - learned0))"
}

monitor_flood()
{
	local T=monitor_flood out l0 s0 t0 n shown sup lost bound
	obs_topo
	topo_check $T $? || return

	l0=$(vni_stat "$H1" 100 events.learned)
	s0=$(xvc "$H1" metrics | awk -F' ' '/^xvtep_monitor_suppressed_total\{kind="learned"\}/ { print $2 }')
	mon_start -j
	t0=$(date +%s%N)
	out=$(forged_send 2000 "$FAKE9=random")
	sleep 0.3
	mon_stop
	bound=$(($(nproc) * (EVQ_BURST + EVQ_RATE * (($(date +%s%N) - t0) / 1000000000 + 1))))
	n=$(($(vni_stat "$H1" 100 events.learned) - l0))
	shown=$(mon_count '.event == "learned"')
	sup=$(jq -s '[.[] | select(.event == "summary")][0].suppressed' "$MON")
	lost=$(jq -s '[.[] | select(.event == "summary")][0].lost' "$MON")
	check_cmp "$T: 2000 new MACs learned" "$n" -ge 1950 "($out)"
	check_cmp "$T: learned events shown at most the limit ($bound)" "$shown" -le "$bound"
	check_cmp "$T: ... and some shown" "$shown" -ge 1
	check_eq "$T: shown + suppressed + lost = learned" "$((shown + sup + lost))" "$n"
	check_eq "$T: metrics: suppressed learned events grew by the summary's" \
		"$(($(xvc "$H1" metrics | awk -F' ' '/^xvtep_monitor_suppressed_total\{kind="learned"\}/ { print $2 }') - s0))" \
		"$sup"
}

xvt_require_all
require_cmds promtool
tests_run
