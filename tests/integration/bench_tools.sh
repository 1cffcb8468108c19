#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark's receiving application, `xvb udp-rx` (bench/xvb.c): the
# stack points of make bench trust its "read N" against the namespace's UDP
# MIB, so that count must be exact, and a stop must end it promptly. And
# bench/report.py's Method, which must say what bench/run.sh did.
#
#   [bt] lo 127.0.0.1: python3 sends datagrams -> :9 xvb udp-rx (block | poll)

ALL_TESTS="
	udp_rx_reads
	udp_rx_args
	report_method
"

source "$(dirname "$0")/../lib.sh"

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

require_root
require_cmds nsenter ip awk jq
[ -x "$PY" ] || { check_fail "prerequisites" "$PY missing"; exit 1; }
[ -x "$XVB" ] || { check_fail "prerequisites" "$XVB not built (make bench-tools)"; exit 1; }
tests_run
