#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark's receiving application, `xvb udp-rx` (bench/xvb.c): the
# stack points of make bench trust its "read N" against the namespace's UDP
# MIB, so that count must be exact, and a stop must end it promptly. And
# bench/report.py's Method, which must say what bench/run.sh did. And
# `xvb cost`, whose cost_lookup is the floor the cost goal is read against:
# it must time a real lookup in the instance's own FDB.
#
#   [bt] lo 127.0.0.1: python3 sends datagrams -> :9 xvb udp-rx (block | poll)
#   [bt] ul 198.51.100.1 (veth to peer), port vm1 (veth to vm1p): an xvtep
#        instance, VNI 100, FDB 02:d0:00:00:00:00..3f on vm1; xvb cost on it

ALL_TESTS="
	udp_rx_reads
	udp_rx_args
	report_method
	cost_lookup_floor
	report_cost_floor
	report_encap_floor
	encap_floor_programs
	bench_setup
"

source "$(dirname "$0")/../lib.sh"
# shellcheck source=topology.sh
source "$(dirname "$0")/topology.sh"	# topo_do

XVB=${XVB:-$XVT_ROOT/build/bench/xvb}
NS=${XVT_P}bt
N=2000

# send NS COUNT : COUNT 18-byte datagrams to 127.0.0.1:9, paced (10 per 0.2 ms)
send()
{
	in_ns "$1" "$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[1])):
    s.sendto(b"x" * 18, ("127.0.0.1", 9))
    if i % 10 == 9:
        time.sleep(0.0002)' "$2"
}

# mib_grew NS "IN0 NP0 ERR0" WANT : InDatagrams + InErrors grew by WANT
mib_grew()
{
	local din dnp derr
	read -r din dnp derr < <(udp_mib_since "$1" "$2")
	[ $((din + derr)) -ge "$3" ]
}

udp_rx_reads()
{
	local T=udp_rx_reads mode out pid mib0 din dnp derr t0 t1 nread
	for mode in block poll; do
		ns_create "$NS"
		out=$XVT_TMP/udp-rx.$mode
		bg_start "$XVB" udp-rx --ns "$NS" --port 9 --cpu 0 --mode $mode >"$out" 2>&1
		pid=$XVT_LAST_PID
		check "$T: $mode: ready once bound" wait_for 5 grep -q '^ready' "$out"
		mib0=$(udp_mib "$NS")
		check "$T: $mode: $N datagrams sent" send "$NS" $N
		check "$T: $mode: all $N reached the socket (read or dropped at its full buffer)" \
			wait_for 5 mib_grew "$NS" "$mib0" $N
		# Idle now: a blocking read must still see the stop (SO_RCVTIMEO).
		sleep 0.3
		t0=$(date +%s%N)
		bg_stop "$pid"
		t1=$(date +%s%N)
		check_cmp "$T: $mode: stopped within 1 s of SIGTERM (ms)" $(((t1 - t0) / 1000000)) -lt 1000
		nread=$(sed -n 's/^read \([0-9]*\)$/\1/p' "$out")
		read -r din dnp derr < <(udp_mib_since "$NS" "$mib0")
		check_cmp "$T: $mode: reports what it read" "${nread:-0}" -gt 0
		check_eq "$T: $mode: read = the namespace's InDatagrams growth" "${nread:-none}" "$din"
		check_eq "$T: $mode: read + socket-buffer drops = sent" $((${nread:-0} + derr)) $N
		check_eq "$T: $mode: no datagram found no socket" "$dnp" 0
		ns_destroy "$NS"
	done
}

# refused NAME PATTERN ARGS... : xvb udp-rx ARGS fails with an error matching PATTERN
refused()
{
	local name=$1 pattern=$2 out rc
	shift 2
	out=$("$XVB" udp-rx "$@" 2>&1)
	rc=$?
	check_refused "$name" $rc "$out" "$pattern"
}

udp_rx_args()
{
	local T=udp_rx_args
	ns_create "$NS"
	refused "$T: unknown mode refused" '*block|poll, not spin*' --ns "$NS" --port 9 --mode spin
	refused "$T: port 0 refused" '*needs --ns NS --port 1..65535*' --ns "$NS" --port 0
	refused "$T: unknown namespace refused" "*${XVT_P}nope*" --ns "${XVT_P}nope" --port 9
	ns_destroy "$NS"
}

# report_tcp_method [PIN] : the Method's tcp entry bench/report.py writes, with
# XVB_IPERF_PIN=PIN (unset without PIN), from no points
report_tcp_method()
{
	local dir=$XVT_TMP/report
	rm -rf "$dir"
	: >"$XVT_TMP/points.jsonl"
	if [ $# -gt 0 ]; then
		XVB_IPERF_PIN=$1 "$PY" "$XVT_ROOT/bench/report.py" "$XVT_TMP/points.jsonl" "$dir" 1 1
	else
		env -u XVB_IPERF_PIN "$PY" "$XVT_ROOT/bench/report.py" "$XVT_TMP/points.jsonl" "$dir" 1 1
	fi >/dev/null 2>&1 || return 1
	jq -r .method.tcp "$dir/latest.json"
}

report_method()
{
	local T=report_method
	check_eq "$T: iperf3 pinning as bench/run.sh reported it" "$(report_tcp_method "client on CPU 0")" \
		"iperf3 between two VM namespaces across two VTEPs; client on CPU 0"
	check_eq "$T: none reported: said so" "$(report_tcp_method)" \
		"iperf3 between two VM namespaces across two VTEPs; pinning not recorded"
}

# point KIND SHAPE SYSTEM VALUE : one point's three runs as bench/run.sh records them
point()
{
	printf '{"kind":"%s","shape":"%s","unit":"%s","system":"%s","runs":[%s,%s,%s]}\n' \
		"$1" "$2" "$([ "${1#cost}" = "$1" ] && echo pps || echo ns)" "$3" "$4" "$4" "$4"
}

# report_goal NAME : "status: measured" of the goal bench/report.py makes from
# the points on standard input, named NAME or "NAME (the shape)"
report_goal()
{
	local dir=$XVT_TMP/report pts=$XVT_TMP/points.jsonl
	rm -rf "$dir"
	cat >"$pts"
	"$PY" "$XVT_ROOT/bench/report.py" "$pts" "$dir" 1 1 >/dev/null 2>&1 || return 1
	jq -r --arg p "$1" '.goals[] | select(.goal == $p or (.goal | startswith($p + " ("))) |
		.status + ": " + .measured' \
		"$dir/latest.json"
}

# cost_points [LOOKUP_NS] : one cost point (decap - control 118 ns, above the
# empty program 138 ns) and, with LOOKUP_NS, its cost-lookup floor
cost_points()
{
	local shape="XDP decap+learn+lookup, 64B inner, FDB 100000 MACs"
	point cost-net "$shape" xvtep 118
	point cost-vs-empty "$shape" xvtep 138
	[ $# -eq 0 ] || point cost-lookup "$shape" xvtep "$1"
}

# tc_run PROG : "retval bytes-out" of the pinned sink program PROG run once
# (BPF_PROG_TEST_RUN) on a 64-byte IPv4 frame
tc_run()
{
	local out
	out=$(bpftool prog run pinned "$SINK_PIN/$1" data_in "$XVT_TMP/frame64" \
		data_out "$XVT_TMP/frame.out" 2>&1) || { echo "$out"; return; }
	echo "$(sed -n 's/^Return value: *\([0-9]*\).*/\1/p' <<<"$out") $(stat -c %s "$XVT_TMP/frame.out")"
}

# The encap floor's programs (bench/sink.bpf.c): the bare redirect leaves the
# frame as it is, the grown one adds exactly an encapsulation's 50 bytes.
encap_floor_programs()
{
	local T=encap_floor_programs
	SINK_PIN=$XVT_BPFFS/${XVT_P}bt-sink
	pin_register "$SINK_PIN"
	rm -rf "$SINK_PIN"
	# Ethernet (IPv4) + a 20-byte IPv4 header + 30 bytes of payload
	printf '\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00\x45\x00\x00\x32%047d' 0 |
		head -c 64 >"$XVT_TMP/frame64"
	if ! check "$T: sink programs loaded and pinned" "$XVB" load-sink "$SINK_PIN"; then
		return
	fi
	check_eq "$T: xvb_tc_one: redirected (TC_ACT_REDIRECT), 64 bytes as they came" \
		"$(tc_run xvb_tc_one)" "7 64"
	check_eq "$T: xvb_tc_push: redirected, grown by 50 bytes" "$(tc_run xvb_tc_push)" "7 114"
	rm -rf "$SINK_PIN"
}

# cost_macs_refused NAME PATTERN VALUE : make bench's BENCH_COST_MACS=VALUE is
# refused with an error matching PATTERN, before any namespace exists
cost_macs_refused()
{
	local out rc
	out=$(BENCH_QUICK=1 BENCH_COST_MACS="$3" "$XVT_ROOT/bench/run.sh" 2>&1)
	rc=$?
	check_refused "$1" $rc "$out" "$2"
	check_eq "$1: no bench namespace made" "$(ip netns list | grep -c '^xvb-')" 0
}

# make bench on a fresh machine: its packages first, then the build, then the
# run; and quick mode's cost sizes checked before anything is built
bench_setup()
{
	local T=bench_setup cmds
	check_eq "$T: deps.sh --bench wants bc and gnuplot-nox" \
		"$("$XVT_ROOT/scripts/deps.sh" --bench --list | grep -xE 'bc|gnuplot-nox' | sort | paste -sd' ')" \
		"bc gnuplot-nox"
	check_eq "$T: deps.sh alone does not" \
		"$("$XVT_ROOT/scripts/deps.sh" --list | grep -cxE 'bc|gnuplot-nox')" 0
	cmds=$(make -s -C "$XVT_ROOT" -n bench 2>/dev/null | grep -E 'deps.sh|bench/run.sh' | paste -sd' ')
	check_eq "$T: make bench installs its packages before it runs" "$cmds" \
		"scripts/deps.sh --bench bench/run.sh"
	cost_macs_refused "$T: BENCH_COST_MACS not ascending refused" \
		'*"10" is not an FDB size from 100 to 100000 (ascending)*' "100 10"
	cost_macs_refused "$T: BENCH_COST_MACS over 100000 refused" '*"200000" is not an FDB size*' \
		"1 200000"
	cost_macs_refused "$T: BENCH_COST_MACS not a number refused" '*"1e5" is not an FDB size*' "1 1e5"
}

COST_GOAL="decap+learn+lookup <= 50 ns/pkt above baseline"
report_cost_floor()
{
	local T=report_cost_floor
	check_eq "$T: the goal names the lookup floor measured at its size" \
		"$(cost_points 95 | report_goal "$COST_GOAL")" \
		"missed: 118.0 ns (decap - control); 138.0 ns above the empty program; one FDB hash lookup alone (cost_lookup - control), the floor at this size: 95.0 ns"
	check_eq "$T: no floor measured: none named" "$(cost_points | report_goal "$COST_GOAL")" \
		"missed: 118.0 ns (decap - control); 138.0 ns above the empty program"
}

# encap_points [GROWN_PPS] : the encap point (1.0 against 0.5 Mpps) and its
# floor without encapsulation (1.5 Mpps), with GROWN_PPS the grown floor too
encap_points()
{
	local s="64B frames from vm1, no encapsulation: a bare TC program on the kernel system's port"
	point encap "64B inner, FDB 1 MACs, into XDP-drop sink" xvtep 1000000
	point encap "64B inner, FDB 1 MACs, into XDP-drop sink" kernel 500000
	point encap-floor "$s" harness 1500000
	point encap-floor "$s" kernel 500000
	[ $# -eq 0 ] && return
	s="64B frames from vm1, grown by 50 bytes as xvtep's TC encap grows them: a bare TC program on the kernel system's port"
	point encap-floor "$s" harness "$1"
	point encap-floor "$s" kernel 500000
}

report_encap_floor()
{
	local T=report_encap_floor
	check_eq "$T: the goal names both floors" "$(encap_points 1250000 | report_goal "encap 64 B >= 3x")" \
		"missed: 2.00x (xvtep 1.000 M / kernel 0.500 M pps); floor, a bare TC redirect with no encapsulation: 3.00x the kernel's encap, the same grown by the encapsulation's 50 bytes (bpf_skb_adjust_room): 2.50x"
	check_eq "$T: no grown floor measured: only the other named" \
		"$(encap_points | report_goal "encap 64 B >= 3x")" \
		"missed: 2.00x (xvtep 1.000 M / kernel 0.500 M pps); floor, a bare TC redirect with no encapsulation: 3.00x the kernel's encap"
}

# cost_fields VNI DMAC_BASE : xvb cost on the instance in $NS, 64 MACs from
# DMAC_BASE spread per frame ("empty control decap retval lookup lookup_retval")
cost_fields()
{
	local ulmac
	ulmac=$(in_ns "$NS" ip -j link show dev ul | jq -r '.[0].address')
	"$XVB" cost --ns "$NS" --pin "$(pin_dir "$NS")" --frame decap --size 64 --nmacs 64 \
		--osmac 02:00:00:00:09:01 --odmac "$ulmac" --osip 198.51.100.2 --odip 198.51.100.1 \
		--vni "$1" --smac 02:00:00:00:09:0a --dmac "$2" --sip 192.0.2.99 --dip 192.0.2.11 \
		--repeat 100000 2>&1
}

# timed X... : every X is a duration in ns as xvb prints it (a decimal > 0)
timed()
{
	local x
	for x; do
		[[ $x =~ ^[0-9]+\.[0-9]+$ ]] && [ "${x%.*}" -gt 0 ] || return 1
	done
}

cost_lookup_floor()
{
	local T=cost_lookup_floor v
	ns_create "$NS"
	if ! topo_do in_ns "$NS" ip link add ul type veth peer name peer ||
		! topo_do in_ns "$NS" ip link add vm1 type veth peer name vm1p ||
		! topo_do in_ns "$NS" ip addr add 198.51.100.1/24 dev ul ||
		! topo_do in_ns "$NS" sh -c 'for d in ul peer vm1 vm1p; do ip link set $d up; done' ||
		! topo_do xvl "$NS" attach --uplink ul --local 198.51.100.1 --decap hybrid ||
		! topo_do xvc "$NS" vni add 100 remote 198.51.100.2 ||
		! topo_do xvc "$NS" port add vm1 vni 100 ||
		! topo_do "$XVB" fdb-fill --pin "$(pin_dir "$NS")" --ns "$NS" --vni 100 \
			--base 02:d0:00:00:00:00 --n 64 --dev vm1; then
		check_fail "$T: set-up" "$TOPO_ERR"
		ns_destroy "$NS"
		pins_destroy "$NS"
		return
	fi
	read -r -a v < <(cost_fields 100 02:d0:00:00:00:00)
	check_eq "$T: MACs in the FDB: the decap forwards (XDP_REDIRECT)" "${v[3]:-none}" 4
	check_eq "$T: MACs in the FDB: the lookup finds them (XDP_REDIRECT)" "${v[5]:-none}" 4
	check "$T: every figure timed (ns)" timed "${v[0]:-}" "${v[1]:-}" "${v[2]:-}" "${v[4]:-}"
	check_cmp "$T: the lookup costs more than the control around it" \
		"${v[4]%.*}" -gt "${v[1]%.*}"
	read -r -a v < <(cost_fields 100 02:c0:00:00:00:00)
	check_eq "$T: MACs not in the FDB: the lookup misses (XDP_ABORTED)" "${v[5]:-none}" 0
	read -r -a v < <(cost_fields 200 02:d0:00:00:00:00)
	check_eq "$T: same MACs in another VNI: the lookup misses (XDP_ABORTED)" "${v[5]:-none}" 0
	ns_destroy "$NS"
	pins_destroy "$NS"
}

require_root
require_cmds nsenter ip awk jq bpftool
[ -x "$PY" ] || { check_fail "prerequisites" "$PY missing"; exit 1; }
[ -x "$XVB" ] || { check_fail "prerequisites" "$XVB not built (make bench-tools)"; exit 1; }
tests_run
