#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark's receiving application, `xvb udp-rx` (bench/xvb.c): the
# stack points of make bench trust its "read N" against the namespace's UDP
# MIB, so that count must be exact, and a stop must end it promptly. And
# bench/report.py's Method, which must say what bench/run.sh did. And
# `xvb cost`, whose cost_lookup is the floor the cost goal is read against:
# it must time a real lookup in the instance's own FDB. And the traffic
# generators: the live probe, exact frame counts from each generator, the
# forced fallback (clone), and what the report says about them. And the
# report's Fallbacks table: each fallback against its full-feature counterpart
# and the kernel. And the IPv6-underlay points' frames (decap6: IPv6-outer
# VXLAN, as tshark decodes them; the generator sends them as built) and their
# report lines (the IPv4 underlay and the floor beside them). Nothing here is
# timed: the rates are make bench's.
#
#   [bt] lo 127.0.0.1: python3 sends datagrams -> :9 xvb udp-rx (block | poll)
#   [bt] gen (veth) -> sink: XDP counting sink (xvb_sink_drop); xvb send/rate/gen-probe
#   [bt] ul 198.51.100.1 (veth to peer), port vm1 (veth to vm1p): an xvtep
#        instance, VNI 100, FDB 02:d0:00:00:00:00..3f on vm1; xvb cost on it

ALL_TESTS="
	udp_rx_reads
	udp_rx_args
	report_method
	cost_lookup_floor
	report_cost_floor
	report_encap_floor
	report_fallbacks
	encap_floor_programs
	gen_probe
	gen_send
	gen_frames_v6
	gen_send_v6
	report_v6
	report_generator
	report_no_gnuplot
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
	check_eq "$T: xvb_tc_push6: redirected, grown by an IPv6 underlay's 70 bytes" \
		"$(tc_run xvb_tc_push6)" "7 134"
	rm -rf "$SINK_PIN"
}

# bench_refused NAME PATTERN VAR=VALUE... : bench/run.sh with VAR=VALUE is
# refused with an error matching PATTERN, before any namespace exists
bench_refused()
{
	local name=$1 pattern=$2 out rc
	shift 2
	out=$(env BENCH_QUICK=1 "$@" "$XVT_ROOT/bench/run.sh" 2>&1)
	rc=$?
	check_refused "$name" $rc "$out" "$pattern"
	check_eq "$name: no bench namespace made" "$(ip netns list | grep -c '^xvb-')" 0
}

# cost_macs_refused NAME PATTERN VALUE : the same for BENCH_COST_MACS=VALUE
cost_macs_refused() { bench_refused "$1" "$2" BENCH_COST_MACS="$3"; }

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
	bench_refused "$T: an unknown BENCH_GEN refused" '*BENCH_GEN: "fast" is not a generator: use auto, live or clone*' \
		BENCH_GEN=fast
}

# gen_topo : NS with a veth gen -> sink and the XDP counting sink on sink
# (pins under SINK_PIN); fails with TOPO_ERR set
gen_topo()
{
	SINK_PIN=$XVT_BPFFS/${XVT_P}bt-sink
	pin_register "$SINK_PIN"
	rm -rf "$SINK_PIN"
	ns_create "$NS" &&
		topo_do in_ns "$NS" ip link add gen type veth peer name sink &&
		topo_do in_ns "$NS" ip link set gen up &&
		topo_do in_ns "$NS" ip link set sink up &&
		topo_do "$XVB" load-sink "$SINK_PIN" &&
		topo_do in_ns "$NS" ip -force link set dev sink xdpdrv pinned "$SINK_PIN/xvb_sink_drop"
}

gen_topo_destroy()
{
	ns_destroy "$NS"
	rm -rf "$SINK_PIN"
}

# sent GEN N [FRAME OPTIONS...] : frames the sink counted for `xvb send` of N
# frames with generator GEN ("failed: ..." if it failed)
sent()
{
	local gen=$1 n=$2 c0 c1 out
	shift 2
	c0=$("$XVB" count "$SINK_PIN/xvb_cnt")
	out=$("$XVB" send --ns "$NS" --dev gen --gen "$gen" --frames "$n" "$@" 2>&1) ||
		{ echo "failed: $out"; return; }
	c1=$("$XVB" count "$SINK_PIN/xvb_cnt")
	echo $((c1 - c0))
}

# The probe's answer is what a live run does here: live if one live frame
# goes out, else clone with the kernel's reason.
gen_probe()
{
	local T=gen_probe probe live
	if ! gen_topo; then
		check_fail "$T: set-up" "$TOPO_ERR"
		gen_topo_destroy
		return
	fi
	probe=$("$XVB" gen-probe --ns "$NS" --dev gen 2>&1)
	live=$(sent live 1)
	if [ "$probe" = live ]; then
		check_eq "$T: live: one live frame reaches the sink" "$live" 1
	else
		check_match "$T: clone, with the kernel's reason" "$probe" 'clone (live frames refused: ?*)'
		check_match "$T: clone: a live frame is refused" "$live" 'failed: *[(]live, 1 frames[)]: *'
	fi
	check_eq "$T: the probe's frame counted" "$("$XVB" count "$SINK_PIN/xvb_cnt")" \
		$([ "$probe" = live ] && echo 2 || echo 0)
	gen_topo_destroy
}

# Each generator sends exactly what it is asked for, the forced fallback
# (clone) included; a rate window through it is one test run.
gen_send()
{
	local T=gen_send gens=(clone) g out calls
	if ! gen_topo; then
		check_fail "$T: set-up" "$TOPO_ERR"
		gen_topo_destroy
		return
	fi
	[ "$("$XVB" gen-probe --ns "$NS" --dev gen 2>&1)" = live ] && gens+=(live)
	for g in "${gens[@]}"; do
		check_eq "$T: $g: 1000 frames sent, 1000 at the sink" "$(sent "$g" 1000)" 1000
		check_eq "$T: $g: 1000 frames over 100 MACs" "$(sent "$g" 1000 --nmacs 100)" 1000
		check_eq "$T: $g: 1000 1500-byte frames" "$(sent "$g" 1000 --size 1500)" 1000
		out=$("$XVB" rate --ns "$NS" --dev gen --gen "$g" --count "map:$SINK_PIN/xvb_cnt" \
			--secs 0.2 --warmup 0.1 2>&1)
		read -r pps _ _ calls _ <<<"$out"
		check_cmp "$T: $g: xvb rate counts frames at the sink (pps)" "${pps:-0}" -gt 0
		check_eq "$T: $g: xvb rate ran one test run" "${calls:-none}" 1
	done
	out=$("$XVB" send --ns "$NS" --dev gen --gen fast --frames 1 2>&1)
	check_refused "$T: an unknown generator refused" $? "$out" '*--gen fast: use live, clone or auto*'
	gen_topo_destroy
}

# The IPv6-underlay frames bench/run.sh's decap6 points send (rate_args decap6)
V6F=(--frame decap --osmac 02:00:00:00:00:02 --odmac 02:00:00:00:00:01 --osip 2001:db8::2
	--odip 2001:db8::1 --smac 02:00:00:00:09:6a --dmac 02:d0:00:00:00:00 --sip 192.0.2.99
	--dip 192.0.2.11)

# tsh PCAP FIELD... : tshark's FIELDs of each packet of PCAP (VXLAN on 4789,
# checksums verified), one line each, tab-separated: a field's first
# occurrence (the outer headers'; TSH_OCC=l: the last, the inner frame's)
tsh()
{
	local f=$1 a=() x
	shift
	for x; do a+=(-e "$x"); done
	tshark -r "$f" -o udp.check_checksum:TRUE -d udp.port==4789,vxlan -T fields \
		-E occurrence="${TSH_OCC:-f}" "${a[@]}" 2>/dev/null
}

# xvb frame: the IPv6-outer VXLAN frame decodes as such in tshark: the outer
# addresses, UDP to 4789 with a zero checksum (what xvtep sends) or, with
# --ocsum, a valid one; the flow label = the UDP source port; VNI and inner frame
gen_frames_v6()
{
	local T=gen_frames_v6 f=$XVT_TMP/v6.pcap out
	if ! check "$T: 64-byte frame written" "$XVB" frame "${V6F[@]}" --vni 4660 --size 64 --out "$f"; then
		return
	fi
	check_eq "$T: length = 64 + 70 bytes; Ethernet IPv6, next header UDP, payload 80" \
		"$(tsh "$f" frame.len eth.type ipv6.nxt ipv6.plen ipv6.hlim)" "$(printf '134\t0x86dd\t17\t80\t64')"
	check_eq "$T: outer addresses and flow label (= UDP source port 50000)" \
		"$(tsh "$f" ipv6.src ipv6.dst ipv6.flow)" "$(printf '2001:db8::2\t2001:db8::1\t0x00c350')"
	check_eq "$T: outer UDP 50000 -> 4789, zero checksum" \
		"$(tsh "$f" udp.srcport udp.dstport udp.checksum)" "$(printf '50000\t4789\t0x0000')"
	check_eq "$T: VXLAN, I flag, VNI 4660" "$(tsh "$f" vxlan.flags vxlan.vni)" "$(printf '0x0800\t4660')"
	check_eq "$T: the inner frame: MACs and IPv4 addresses" \
		"$(TSH_OCC=l tsh "$f" eth.src eth.dst ip.src ip.dst)" \
		"$(printf '02:00:00:00:09:6a\t02:d0:00:00:00:00\t192.0.2.99\t192.0.2.11')"
	"$XVB" frame "${V6F[@]}" --size 64 --ocsum --out "$f"
	check_eq "$T: --ocsum: the outer UDP checksum is valid (status 1, good)" \
		"$(tsh "$f" udp.checksum.status)" 1
	"$XVB" frame "${V6F[@]}" --size 1500 --out "$f"
	check_eq "$T: 1500-byte inner frame: 1570 bytes, payload 1516" "$(tsh "$f" frame.len ipv6.plen)" \
		"$(printf '1570\t1516')"
	"$XVB" frame --frame decap --osip 198.51.100.2 --odip 198.51.100.1 --size 64 --out "$f"
	check_eq "$T: IPv4 outer addresses: the 50-byte IPv4 outer as before" \
		"$(tsh "$f" frame.len eth.type vxlan.vni)" "$(printf '114\t0x0800\t100')"
	out=$("$XVB" frame --frame decap --osip 2001:db8::2 --odip 198.51.100.1 --out "$f" 2>&1)
	check_refused "$T: mixed outer families refused" $? "$out" '*one IPv4, one IPv6*'
	out=$("$XVB" frame "${V6F[@]}" --ocsum --nmacs 4 --out "$f" 2>&1)
	check_refused "$T: --ocsum with a per-packet MAC refused" $? "$out" '*--ocsum: only with*'
	check "$T: the live generator restores the IPv6 frame's headers (gen-check)" \
		"$XVB" gen-check "${V6F[@]}" --size 64 --nmacs 4
}

# The clone generator sends the IPv6 frames as built, the inner destination
# spread over --nmacs MACs (captured on the generator's veth: its egress tap;
# the live generator's frames pass no tap)
gen_send_v6()
{
	local T=gen_send_v6 f=$XVT_TMP/v6send.pcap pid
	if ! gen_topo; then
		check_fail "$T: set-up" "$TOPO_ERR"
		gen_topo_destroy
		return
	fi
	bg_ns "$NS" timeout 20 tshark -i gen -c 8 -w "$f" -f "udp port 4789" 2>"$f.err"
	pid=$XVT_LAST_PID
	check "$T: tshark capturing on the generator's veth" wait_for 10 grep -q "Capturing on" "$f.err"
	check_eq "$T: 8 IPv6 frames over 4 MACs sent, 8 at the sink" "$(sent clone 8 "${V6F[@]}" --nmacs 4)" 8
	wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"
	bg_stop "$pid"
	check_eq "$T: 8 captured, each IPv6-outer VXLAN with VNI 100 to 2001:db8::1 port 4789" \
		"$(tsh "$f" ipv6.dst udp.dstport vxlan.vni | sort | uniq -c | sed 's/^ *//')" \
		"$(printf '8 2001:db8::1\t4789\t100')"
	check_eq "$T: the inner destinations: 4 MACs, twice each" \
		"$(TSH_OCC=l tsh "$f" eth.dst | sort | uniq -c | awk '{ print $1 }' | paste -sd' ')" "2 2 2 2"
	gen_topo_destroy
}

# decap6/encap6 as bench/run.sh v6_point records them: the IPv6 underlay
# (xvtep 1.5, kernel 0.75, floor 2.25 Mpps; decap: the kernel's default
# device 0.6) and the IPv4 one beside it
v6_points()
{
	local k s6="64B inner, FDB 1 MACs, IPv6 underlay (2001:db8::2 -> 2001:db8::1), zero outer UDP checksum on both systems, into XDP-drop sink; floor: no VTEP"
	local s4="64B inner, FDB 1 MACs, IPv4 underlay, the same runs as the IPv6 underlay's (interleaved), into XDP-drop sink; floor: no VTEP"
	for k in decap encap; do
		point ${k}6 "$s6" xvtep 1500000
		point ${k}6 "$s6" kernel 750000
		point ${k}6 "$s6" floor 2250000
		[ $k = decap ] && point ${k}6 "$s6" kernel-csum 600000
		point ${k}6-v4 "$s4" xvtep 1600000
		point ${k}6-v4 "$s4" kernel 800000
		point ${k}6-v4 "$s4" floor 3200000
	done
}

report_v6()
{
	local T=report_v6 k kc
	for k in decap encap; do
		kc=""
		[ $k = decap ] && kc="; the kernel's default device (UDP checksums on, fed checksummed frames): 0.600 M pps, xvtep 2.50x of it"
		check_eq "$T: $k: the IPv6 ratio, its floor, the IPv4 underlay beside it" \
			"$(v6_points | report_goal "IPv6 underlay (not a goal): $k 64 B, 1 MAC; kernel vxlan with an IPv6 local, zero UDP checksums both ways (udp6zerocsumrx/tx: the bytes xvtep sends)")" \
			"info: 2.00x (xvtep 1.500 M / kernel 0.750 M pps); floor, no VTEP: 2.250 M pps = 3.00x the kernel's, xvtep at 67% of it$kc; IPv4 underlay in the same runs: 2.00x (xvtep 1.600 M / kernel 0.800 M pps), floor 4.00x"
	done
	v6_points | report_run clone
	check_match "$T: the table's row: kernel and floor, the ratio against both" \
		"$(grep '^| [0-9]* | decap6 |' "$XVT_TMP/report/latest.md")" \
		'*| 0.750 M (0.750 M-0.750 M); floor (no VTEP): 2.250 M (2.250 M-2.250 M); kernel with its default UDP checksums: 0.600 M (0.600 M-0.600 M) | 3 | * | 2.00x; floor 3.00x, xvtep 67% of it |'
}

# report_run XVB_GEN : bench/report.py's report ($XVT_TMP/report) of the
# points on standard input, made with XVB_GEN (unset if empty)
report_run()
{
	local dir=$XVT_TMP/report pts=$XVT_TMP/points.jsonl gen=$1
	rm -rf "$dir"
	cat >"$pts"
	if [ -n "$gen" ]; then
		XVB_GEN=$gen XVB_GEN_WHY="forced by BENCH_GEN=$gen" \
			"$PY" "$XVT_ROOT/bench/report.py" "$pts" "$dir" 1 1
	else
		env -u XVB_GEN -u XVB_GEN_WHY "$PY" "$XVT_ROOT/bench/report.py" "$pts" "$dir" 1 1
	fi >/dev/null 2>&1
}

# gen_points XVTEP_PPS : both generators' 64 B ceilings (live 6 Mpps, clone 2
# Mpps) and a decap point, kernel 1 Mpps
gen_points()
{
	local c="64B inner (VXLAN frame), generator %s -> veth -> XDP-drop sink, no VTEP"
	# shellcheck disable=SC2059
	point ceiling "$(printf "$c" live)" harness 6000000
	# shellcheck disable=SC2059
	point ceiling "$(printf "$c" clone)" harness 2000000
	point decap "64B inner, FDB 1 MACs, into XDP-drop sink" xvtep "$1"
	point decap "64B inner, FDB 1 MACs, into XDP-drop sink" kernel 1000000
}

# The report names the generator and how it was chosen, lists each
# generator's ceiling, and flags a rate within 10% of the used one's ceiling.
report_generator()
{
	local T=report_generator dir=$XVT_TMP/report j
	j='.generator.used + " | " + .generator.chosen + " | " +
		([.generator.ceilings[] | .generator + " " + (.pps | tostring)] | join(", "))'
	gen_points 1900000 | report_run clone
	check_eq "$T: generator, how chosen, ceilings" "$(jq -r "$j" "$dir/latest.json")" \
		"clone | forced by BENCH_GEN=clone | clone 2000000, live 6000000"
	check_eq "$T: 1.9 Mpps against clone's 2.0: xvtep generator-bound" \
		"$(jq -c '.points[] | select(.kind == "decap") | [.generator_ceiling, .generator_bound]' \
			"$dir/latest.json")" '[2000000,["xvtep"]]'
	check_eq "$T: the table shows the ceiling and the flag" "$(grep '^| 1 | decap' "$dir/latest.md")" \
		"| 1 | decap | 64B inner, FDB 1 MACs, into XDP-drop sink | pps | 1.900 M (1.900 M-1.900 M) **generator-bound** | 1.000 M (1.000 M-1.000 M) | 3 | clone 2.000 M | 1.90x (xvtep generator-bound) |"
	check_eq "$T: the goal says so" \
		"$(jq -r '.goals[] | select(.goal | startswith("decap 64 B, 1 MAC")) | .measured' "$dir/latest.json")" \
		"1.90x (xvtep 1.900 M / kernel 1.000 M pps); xvtep generator-bound (within 10% of the clone generator's ceiling, 2.000 M pps): the dataplane may be faster"
	check_match "$T: the Markdown names the generator and the ceilings" "$(grep '^Generator' "$dir/latest.md")" \
		'Generator: \*\*clone\*\* (forced by BENCH_GEN=clone). Its ceiling*: clone 64B inner (VXLAN frame) 2.000 M pps; live 64B inner (VXLAN frame) 6.000 M pps.*'
	gen_points 1700000 | report_run clone
	check_eq "$T: 1.7 Mpps (85% of the ceiling): not flagged" \
		"$(jq -c '.points[] | select(.kind == "decap") | .generator_bound' "$dir/latest.json")" '[]'
	gen_points 1900000 | report_run live
	check_eq "$T: the same point with live frames (ceiling 6 Mpps): not flagged" \
		"$(jq -c '.points[] | select(.kind == "decap") | [.generator_ceiling, .generator_bound]' \
			"$dir/latest.json")" '[6000000,[]]'
	check_match "$T: live: the Method describes live frames" \
		"$(jq -r .method.generator "$dir/latest.json")" 'live: *BPF_F_TEST_XDP_LIVE_FRAMES*'
	gen_points 1900000 | report_run ""
	check_eq "$T: no generator recorded: none assumed, nothing flagged" \
		"$(jq -c '[.generator.used, (.points[] | select(.kind == "decap") | .generator_bound)]' \
			"$dir/latest.json")" '["not recorded",null]'
}

# Without gnuplot (tests/run.sh does not install it) the report is complete
# but for the chart, and says so.
report_no_gnuplot()
{
	local T=report_no_gnuplot dir=$XVT_TMP/report
	rm -rf "$dir"
	mkdir -p "$dir"
	: >"$dir/latest.svg"	# an older run's chart
	gen_points 1900000 >"$XVT_TMP/points.jsonl"
	check "$T: report.py succeeds with no gnuplot on PATH" env PATH=/nonexistent \
		"$PY" "$XVT_ROOT/bench/report.py" "$XVT_TMP/points.jsonl" "$dir" 1 1
	check "$T: JSON written" jq -e '.points | length == 3' "$dir/latest.json"
	check_match "$T: the Markdown says the chart was not drawn" "$(grep '^Chart' "$dir/latest.md")" \
		'Chart: not drawn, gnuplot is not installed *'
	check_not "$T: no chart left from an older run" test -e "$dir/latest.svg"
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

# fallback_points : two fallback points as bench/run.sh fallback_point records
# them: clsact (1.5 Mpps) against tcx (2.0) and the kernel (1.0); TC mirror
# copies (0.8) against XDP's (1.6), kernel 1.0, and the copies counted
FB_TC="64B inner, FDB 1 MACs, into XDP-drop sink, TC decap (--decap tc), TC attach method, fallback: clsact + cls_bpf filters (XVTEP_FEATURES_OFF=tcx), full: tcx links"
FB_MIR="64B inner, FDB 1 MACs, into XDP-drop sink, one ERSPAN session on the port, fallback: copies made in TC (XVTEP_FEATURES_OFF=xdp-meta), full: copies made in XDP"
fallback_points()
{
	point fallback "$FB_TC" xvtep 1500000
	point fallback "$FB_TC" full 2000000
	point fallback "$FB_TC" kernel 1000000
	point fallback "$FB_MIR" xvtep 800000
	point fallback "$FB_MIR" full 1600000
	point fallback "$FB_MIR" kernel 1000000
	point fallback-copies "Mirror copies received by the sink during: $FB_MIR" xvtep 800000
	point fallback-copies "Mirror copies received by the sink during: $FB_MIR" full 1600000
}

# The Fallbacks table (latest.md) and block (latest.json): each fallback's
# rate, its full-feature counterpart's, fallback/full, and both against the
# kernel of the same run.
report_fallbacks()
{
	local T=report_fallbacks dir=$XVT_TMP/report j
	j='[.point, .fallback.name, .fallback.median, .full.name, .full.median, .kernel.median,
		((.fallback_vs_full, .fallback_vs_kernel, .full_vs_kernel) * 100 | round)] | join(" / ")'
	fallback_points | report_run clone
	check_eq "$T: JSON: one entry per fallback point (not the copies)" 		"$(jq '.fallbacks | length' "$dir/latest.json" 2>/dev/null)" 2
	check_eq "$T: JSON: clsact: rates, names, ratios (x100)" 		"$(jq -r ".fallbacks[0] | $j" "$dir/latest.json" 2>/dev/null)" \
		"64B inner, FDB 1 MACs, into XDP-drop sink, TC decap (--decap tc), TC attach method / clsact + cls_bpf filters (XVTEP_FEATURES_OFF=tcx) / 1500000 / tcx links / 2000000 / 1000000 / 75 / 150 / 200"
	check_eq "$T: JSON: TC mirror copies: rates, names, ratios (x100)" 		"$(jq -r ".fallbacks[1] | $j" "$dir/latest.json" 2>/dev/null)" \
		"64B inner, FDB 1 MACs, into XDP-drop sink, one ERSPAN session on the port / copies made in TC (XVTEP_FEATURES_OFF=xdp-meta) / 800000 / copies made in XDP / 1600000 / 1000000 / 50 / 80 / 160"
	check_eq "$T: Markdown: the Fallbacks section" "$(grep -c '^## Fallbacks$' "$dir/latest.md")" 1
	check_eq "$T: Markdown: its header" "$(grep '^| point | fallback ' "$dir/latest.md")" \
		"| point | fallback | fallback median | full features | full median | fallback/full | fallback/kernel | full/kernel | kernel median |"
	check_eq "$T: Markdown: the clsact row" \
		"$(grep -F '| 64B inner, FDB 1 MACs, into XDP-drop sink, TC decap (--decap tc), TC attach method | clsact' "$dir/latest.md")" \
		"| 64B inner, FDB 1 MACs, into XDP-drop sink, TC decap (--decap tc), TC attach method | clsact + cls_bpf filters (XVTEP_FEATURES_OFF=tcx) | 1.500 M pps | tcx links | 2.000 M pps | 0.75x | 1.50x | 2.00x | 1.000 M pps |"
	check_eq "$T: Markdown: the mirror row" \
		"$(grep -F '| 64B inner, FDB 1 MACs, into XDP-drop sink, one ERSPAN session on the port | copies' "$dir/latest.md")" \
		"| 64B inner, FDB 1 MACs, into XDP-drop sink, one ERSPAN session on the port | copies made in TC (XVTEP_FEATURES_OFF=xdp-meta) | 0.800 M pps | copies made in XDP | 1.600 M pps | 0.50x | 0.80x | 1.60x | 1.000 M pps |"
	check_match "$T: Markdown: the main table shows both, and fallback/full" \
		"$(grep -F '| fallback | 64B inner, FDB 1 MACs, into XDP-drop sink, TC decap' "$dir/latest.md")" \
		'*| fallback: 1.500 M (1.500 M-1.500 M); full: 2.000 M (2.000 M-2.000 M) | 1.000 M (1.000 M-1.000 M) |*| 1.50x; full 2.00x; fallback/full 0.75x |'
	gen_points 1900000 | report_run clone
	check_eq "$T: no fallback point: JSON block empty" "$(jq -c .fallbacks "$dir/latest.json" 2>/dev/null)" "[]"
	check_eq "$T: no fallback point: the section says so" \
		"$(sed -n '/^## Fallbacks$/,/^Method/p' "$dir/latest.md" | grep -c '^Not measured in this run')" 1
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
require_cmds nsenter ip awk jq bpftool tshark
[ -x "$PY" ] || { check_fail "prerequisites" "$PY missing"; exit 1; }
[ -x "$XVB" ] || { check_fail "prerequisites" "$XVB not built (make bench-tools)"; exit 1; }
tests_run
