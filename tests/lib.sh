# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared helpers for xvtep's integration tests and demo (sourced, not run),
# in the style of the kernel's tools/testing/selftests/net/forwarding/lib.sh.
#
#  * every check prints exactly one line: "PASS: <name>" or "FAIL: <name>: <why>"
#  * a trap removes every namespace and bpffs pin dir this shell created,
#    and ends the background processes it started, even on failure or ^C
#  * the xvtep tools are always called as  TOOL -n NETNS --pin /sys/fs/bpf/<ns>
#    (they setns() the network namespace only). Never run them under
#    `ip netns exec`: it remounts /sys and hides /sys/fs/bpf.
#  * other commands run in a namespace with  nsenter --net=/run/netns/NAME
#
# Knobs (environment):
#   XVT_P        namespace / pin-dir prefix (default "xvt-"; the demo uses "xvt-demo-")
#   XVT_KEEP=1   leave namespaces and pins in place at exit (debugging, demo --keep)
#   XVT_VERBOSE=1  echo every tool command to stderr
#   TESTS="a b"  run only these test functions (tests_run)

XVT_ROOT=${XVT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
LOADER=${LOADER:-$XVT_ROOT/build/xvtep-loader}
CTL=${CTL:-$XVT_ROOT/build/xvtepctl}
PY=${PY:-/usr/bin/python3}
XVT_P=${XVT_P:-xvt-}
XVT_BPFFS=/sys/fs/bpf
XVT_TOOL_TIMEOUT=${XVT_TOOL_TIMEOUT:-30}

XVT_NS_CREATED=()
XVT_PINS_CREATED=()
XVT_PIDS=()
XVT_CHECKS_PASSED=0
XVT_CHECKS_FAILED=0
XVT_TMP=$(mktemp -d /tmp/xvt.XXXXXX)

# ---------------------------------------------------------------- checks

# check_pass NAME
check_pass()
{
	echo "PASS: $1"
	XVT_CHECKS_PASSED=$((XVT_CHECKS_PASSED + 1))
}

# check_fail NAME WHY  (WHY is folded onto one line; past 500 chars only its
# start and end are kept)
check_fail()
{
	local why
	why=$(printf '%s' "${2:-failed}" | tr '\n\t' '  ' | tr -s ' ')
	# long output (a verifier log): keep its start and its end
	[ ${#why} -gt 500 ] && why="${why:0:200} [...] ${why: -280}"
	echo "FAIL: $1: $why"
	XVT_CHECKS_FAILED=$((XVT_CHECKS_FAILED + 1))
}

# check NAME CMD... : PASS if CMD exits 0; else FAIL with the exit code and output
check()
{
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		check_pass "$name"
	else
		check_fail "$name" "'$*' exited $rc: $out"
	fi
	return $rc
}

# check_not NAME CMD... : PASS if CMD exits non-zero
check_not()
{
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		check_pass "$name"
		return 0
	fi
	check_fail "$name" "'$*' unexpectedly succeeded: $out"
	return 1
}

# check_eq NAME GOT WANT [WHAT]
check_eq()
{
	if [ "$2" == "$3" ]; then
		check_pass "$1"
		return 0
	fi
	check_fail "$1" "${4:+$4: }got '$2', want '$3'"
	return 1
}

# check_match NAME TEXT PATTERN : PASS if TEXT matches the glob PATTERN
check_match()
{
	# shellcheck disable=SC2053
	if [[ "$2" == $3 ]]; then
		check_pass "$1"
		return 0
	fi
	check_fail "$1" "'$2' does not match '$3'"
	return 1
}

# check_refused NAME RC TEXT PATTERN : PASS if RC is non-zero and TEXT (the
# command's error output) matches the glob PATTERN
check_refused()
{
	# shellcheck disable=SC2053
	if [ "$2" -ne 0 ] && [[ "$3" == $4 ]]; then
		check_pass "$1"
		return 0
	fi
	check_fail "$1" "rc=$2 '$3', want a failure matching '$4'"
	return 1
}

# check_cmp NAME GOT OP WANT [WHAT]  (OP: -eq -ne -lt -le -gt -ge; integers)
check_cmp()
{
	local name=$1 got=$2 op=$3 want=$4 what=$5
	if [[ "$got" =~ ^-?[0-9]+$ ]] && test "$got" "$op" "$want"; then
		check_pass "$name"
		return 0
	fi
	check_fail "$name" "${what:+$what: }got '$got', want $op $want"
	return 1
}

# ---------------------------------------------------------------- cleanup

xvt_log() { echo "# $*" >&2; }

# bg CMD... : start CMD in the background, remember its pid for the cleanup
bg_start()
{
	"$@" &
	XVT_LAST_PID=$!
	XVT_PIDS+=("$XVT_LAST_PID")
}

# bg_ns NS CMD... : bg_start CMD inside namespace NS (nsenter execs CMD, so
# XVT_LAST_PID is CMD's own pid)
bg_ns()
{
	local ns=$1
	shift
	bg_start nsenter --net="/run/netns/$ns" -- "$@"
}

# bg_stop PID [SIGNAL] : end one process we started, wait for it
bg_stop()
{
	local pid=$1 sig=${2:-TERM}
	kill -"$sig" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# Detach the loader, end processes left in our namespaces, delete the
# namespaces and the pin dirs this shell created.
xvt_cleanup_all()
{
	local pid ns pin

	for pid in "${XVT_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${XVT_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	XVT_PIDS=()
	# a pin dir named after one of our namespaces is ours too (xvl may have
	# run in a subshell, where pin_register could not record it)
	for ns in "${XVT_NS_CREATED[@]}"; do
		[ -d "$(pin_dir "$ns")" ] && pin_register "$(pin_dir "$ns")"
	done
	for pin in "${XVT_PINS_CREATED[@]}"; do
		[ -d "$pin" ] || continue
		ns=${pin##*/}
		if [ -e "/run/netns/$ns" ] && [ -x "$LOADER" ]; then
			timeout 15 "$LOADER" --pin "$pin" -n "$ns" detach >/dev/null 2>&1
		fi
	done
	for ns in "${XVT_NS_CREATED[@]}"; do
		ns_kill_pids "$ns"
		ip netns del "$ns" 2>/dev/null
	done
	XVT_NS_CREATED=()
	for pin in "${XVT_PINS_CREATED[@]}"; do
		case $pin in
		"$XVT_BPFFS/$XVT_P"*) rm -rf "$pin" ;;
		esac
	done
	XVT_PINS_CREATED=()
}

# ---------------------------------------------------------------- BPF run counts

# kernel.bpf_stats_enabled is one switch for the whole machine, and test files
# may run at once (separate prefixes, the bench): each holder is recorded by
# PID in XVT_BPF_STATS under a lock. The first holder saves the value it
# found; the last one out restores it. A holder that died is dropped.
XVT_BPF_STATS=/run/lock/xvtep-bpf-stats
XVT_BPF_STATS_HELD=0

# bpf_stats_update +|- : add or remove this shell as a holder
bpf_stats_update()
{
	(
		flock 8 || exit 1
		local saved="" pids=() p line first=1
		if [ -f "$XVT_BPF_STATS" ]; then
			while read -r line; do
				if [ $first = 1 ]; then
					saved=$line
					first=0
				elif [ "$line" != "$$" ] && kill -0 "$line" 2>/dev/null; then
					pids+=("$line")
				fi
			done <"$XVT_BPF_STATS"
		fi
		[ ${#pids[@]} -eq 0 ] && [ "$1" == + ] && saved=$(sysctl -n kernel.bpf_stats_enabled)
		[ "$1" == + ] && pids+=("$$")
		if [ ${#pids[@]} -gt 0 ]; then
			printf '%s\n' "$saved" "${pids[@]}" >"$XVT_BPF_STATS"
			sysctl -qw kernel.bpf_stats_enabled=1
		else
			rm -f "$XVT_BPF_STATS"
			[ -n "$saved" ] && sysctl -qw kernel.bpf_stats_enabled="$saved"
		fi
	) 8>"$XVT_BPF_STATS.lock"
}

# bpf_stats_hold : programs' run counts on (bpftool prog show: run_cnt)
bpf_stats_hold()
{
	[ "$XVT_BPF_STATS_HELD" = 1 ] && return 0
	bpf_stats_update + && XVT_BPF_STATS_HELD=1
}

# bpf_stats_release : back to what it was, once no other test holds it
# (also done at exit)
bpf_stats_release()
{
	[ "$XVT_BPF_STATS_HELD" = 1 ] || return 0
	bpf_stats_update - && XVT_BPF_STATS_HELD=0
}

xvt_exit_trap()
{
	local rc=$?
	trap - EXIT INT TERM
	bpf_stats_release
	if [ "${XVT_KEEP:-0}" = 1 ]; then
		xvt_log "XVT_KEEP=1: leaving namespaces ${XVT_NS_CREATED[*]} and pins ${XVT_PINS_CREATED[*]}"
	else
		xvt_cleanup_all
	fi
	rm -rf "$XVT_TMP"
	exit $rc
}
trap xvt_exit_trap EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One test (or demo) at a time per prefix: two runs would delete each other's
# namespaces (ns_create replaces a namespace of the same name). A run that
# uses another XVT_P runs in parallel. Waits up to 20 minutes.
xvt_lock()
{
	local lock=/run/lock/xvtep-tests.${XVT_P%-}.lock
	mkdir -p /run/lock
	exec 9>"$lock" || return 0
	if ! flock -n 9; then
		echo "# waiting for another run holding $lock" >&2
		flock -w 1200 9 || { echo "FAIL: prerequisites: $lock still held after 20 min"; exit 1; }
	fi
}
xvt_lock

# Kill processes still running inside namespace NS (only ever ours: the
# namespace was created by this shell).
ns_kill_pids()
{
	local ns=$1 p
	[ -e "/run/netns/$ns" ] || return 0
	for p in $(ip netns pids "$ns" 2>/dev/null); do
		kill "$p" 2>/dev/null
	done
	sleep 0.1
	for p in $(ip netns pids "$ns" 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null
	done
}

# ---------------------------------------------------------------- prerequisites

require_root()
{
	if [ "$(id -u)" != 0 ]; then
		check_fail "prerequisites" "must run as root"
		exit 1
	fi
}

# Mount bpffs on /sys/fs/bpf if it is not there.
require_bpffs()
{
	if [ "$(stat -f -c %T $XVT_BPFFS 2>/dev/null)" != bpf_fs ]; then
		mkdir -p $XVT_BPFFS
		if ! mount -t bpf bpf $XVT_BPFFS; then
			check_fail "prerequisites" "cannot mount bpffs on $XVT_BPFFS"
			exit 1
		fi
	fi
}

# require_cmds CMD... : FAIL and exit if a command is missing
require_cmds()
{
	local c missing=()
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || missing+=("$c")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		check_fail "prerequisites" "missing commands: ${missing[*]} (run scripts/deps.sh)"
		exit 1
	fi
}

require_tools()
{
	local t
	for t in "$LOADER" "$CTL"; do
		if [ ! -x "$t" ]; then
			check_fail "prerequisites" "$t not built (run make)"
			exit 1
		fi
	done
}

xvt_require_all()
{
	require_root
	require_cmds ip bridge nsenter ethtool ping tcpdump jq timeout sha256sum iperf3
	[ -x "$PY" ] || { check_fail "prerequisites" "$PY missing"; exit 1; }
	require_bpffs
	require_tools
}

# ---------------------------------------------------------------- namespaces

# ns_create NAME : fresh namespace (deleted first if left over), lo up, no IPv6
# (no RS/MLD/DAD chatter to pollute packet counts)
ns_create()
{
	local ns=$1
	if [ -e "/run/netns/$ns" ]; then
		ns_kill_pids "$ns"
		ip netns del "$ns"
	fi
	ip netns add "$ns" || return 1
	XVT_NS_CREATED+=("$ns")
	in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	in_ns "$ns" ip link set lo up
}

# ns_destroy NAME
ns_destroy()
{
	local ns=$1 i keep=()
	ns_kill_pids "$ns"
	ip netns del "$ns" 2>/dev/null
	for i in "${XVT_NS_CREATED[@]}"; do
		[ "$i" == "$ns" ] || keep+=("$i")
	done
	XVT_NS_CREATED=("${keep[@]}")
}

# in_ns NS CMD... : run CMD in network namespace NS (nsenter keeps /sys/fs/bpf)
in_ns()
{
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" -- "$@"
}

# pin_dir NS : the pin dir used for the xvtep instance in namespace NS
pin_dir() { echo "$XVT_BPFFS/$1"; }

pin_register()
{
	local pin=$1 i
	for i in "${XVT_PINS_CREATED[@]}"; do
		[ "$i" == "$pin" ] && return 0
	done
	XVT_PINS_CREATED+=("$pin")
}

# xvl NS ARGS... : xvtep-loader for the instance in namespace NS
xvl()
{
	local ns=$1
	shift
	pin_register "$(pin_dir "$ns")"
	[ "${XVT_VERBOSE:-0}" = 1 ] && xvt_log "xvtep-loader -n $ns --pin $(pin_dir "$ns") $*"
	timeout "$XVT_TOOL_TIMEOUT" "$LOADER" --pin "$(pin_dir "$ns")" -n "$ns" "$@"
}

# xvc NS ARGS... : xvtepctl for the instance in namespace NS
xvc()
{
	local ns=$1
	shift
	[ "${XVT_VERBOSE:-0}" = 1 ] && xvt_log "xvtepctl -n $ns --pin $(pin_dir "$ns") $*"
	timeout "$XVT_TOOL_TIMEOUT" "$CTL" --pin "$(pin_dir "$ns")" -n "$ns" "$@"
}

# pins_destroy NS : remove the pin dir of NS (after its namespace is gone)
pins_destroy()
{
	local pin
	pin=$(pin_dir "$1")
	case $pin in
	"$XVT_BPFFS/$XVT_P"*) rm -rf "$pin" ;;
	esac
}

# ---------------------------------------------------------------- counters / json

# bpf_progs NS : "DEV:xdp:ID" and "DEV:tcx_ingress|tcx_egress:COUNT" for every
# XDP program and tcx attachment in NS (bpftool 7.1 does not list tcx: the
# counts come from BPF_PROG_QUERY)
bpf_progs()
{
	in_ns "$1" ip -j link show | jq -r '.[] | select(.xdp != null) | "\(.ifname):xdp:\(.xdp.prog.id // .xdp.attached // "?")"'
	in_ns "$1" "$PY" -c '
import ctypes, json, socket, struct, subprocess, sys
libc = ctypes.CDLL(None, use_errno=True)
for dev in socket.if_nameindex():
    for atype, kind in ((46, "tcx_ingress"), (47, "tcx_egress")):
        # union bpf_attr for BPF_PROG_QUERY: target_ifindex, attach_type,
        # query_flags, attach_flags, prog_ids, prog_cnt (at offset 24)
        attr = ctypes.create_string_buffer(struct.pack("IIIIQI", dev[0], atype, 0, 0, 0, 0), 64)
        if libc.syscall(321, 16, attr, 64) == 0:
            cnt = struct.unpack_from("I", attr.raw, 24)[0]
            if cnt:
                print("%s:%s:%d" % (dev[1], kind, cnt))
'
}

# tc_attach NS : how the instance in NS attached its TC programs: tcx or clsact
tc_attach() { xvl "$1" -j status | jq -r .tc_attach; }

# link_stat NS DEV rx|tx packets|bytes|dropped
link_stat()
{
	in_ns "$1" ip -j -s link show dev "$2" 2>/dev/null |
		jq -r ".[0].stats64.$3.$4 // empty"
}

# vni_stat NS VNI FIELD : a field of `xvtepctl -j stats vni VNI`, e.g. rx_packets,
# drops.static_conflict, events.learned (0 when absent)
vni_stat()
{
	xvc "$1" -j stats vni "$2" 2>/dev/null |
		jq -r "[.. | objects | select(.vni? == $2)][0].$3 // 0" 2>/dev/null
}

# fdb_json NS [VNI] : the FDB as a JSON array of entries
fdb_json()
{
	if [ -n "$2" ]; then
		xvc "$1" -j fdb show vni "$2"
	else
		xvc "$1" -j fdb show
	fi | jq -c '[.. | objects | select(has("mac"))]'
}

# fdb_get NS VNI MAC : the FDB entry (compact JSON) or nothing
fdb_get()
{
	fdb_json "$1" "$2" 2>/dev/null |
		jq -c --arg m "${3,,}" --argjson v "$2" \
			'.[] | select((.mac | ascii_downcase) == $m and .vni == $v)'
}

# fdb_where NS VNI MAC : "dev NAME", "remote IP" or "absent", plus " static" if static
fdb_where()
{
	fdb_where_in "$(fdb_json "$1" "$2" 2>/dev/null)" "$2" "$3"
}

# fdb_where_in JSON VNI MAC : fdb_where on JSON, an earlier fdb_json's output
fdb_where_in()
{
	local e
	e=$(jq -c --arg m "${3,,}" --argjson v "$2" \
		'.[] | select((.mac | ascii_downcase) == $m and .vni == $v)' <<<"$1" 2>/dev/null)
	if [ -z "$e" ]; then
		echo absent
		return
	fi
	jq -r 'if has("remote") and .remote != null then "remote \(.remote)" else "dev \(.dev)" end
	       + (if .static == true then " static" else "" end)' <<<"$e" | head -n1
}

# wait_for TIMEOUT_S CMD... : poll CMD every 0.2 s until it succeeds
wait_for()
{
	local t=$1 i n
	shift
	n=$((t * 5))
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	"$@" >/dev/null 2>&1
}

# udp_mib NS : "InDatagrams NoPorts InErrors" of NS's UDP MIB (InDatagrams
# counts the datagrams applications read; InErrors those a full socket
# buffer dropped)
udp_mib()
{
	in_ns "$1" awk '/^Udp: / { if (!h) { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
		print $c["InDatagrams"], $c["NoPorts"], $c["InErrors"]; exit }' /proc/net/snmp
}

# udp_mib_since NS "IN NP ERR" : how much each grew since udp_mib NS printed them
udp_mib_since()
{
	local in0 np0 err0 in1 np1 err1
	read -r in0 np0 err0 <<<"$2"
	read -r in1 np1 err1 < <(udp_mib "$1")
	echo $((in1 - in0)) $((np1 - np0)) $((err1 - err0))
}

# syslog_of CMD... : run CMD with a private /dev/log (own mount namespace, a
# tmpfs on /dev) and print what it sent to syslog, one message a line
syslog_of()
{
	local out=$XVT_TMP/syslog.$RANDOM
	unshare -m bash -c '
		out=$1; shift
		mount -t tmpfs tmpfs /dev || exit 1
		"$PY" -c "
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(\"/dev/log\")
s.settimeout(3)
open(sys.argv[1] + \".ready\", \"w\").close()
with open(sys.argv[1], \"w\") as f:
    try:
        while True:
            f.write(s.recv(4096).decode(errors=\"replace\") + \"\\n\")
            f.flush()
    except socket.timeout:
        pass
" "$out" &
		for i in $(seq 50); do [ -e "$out.ready" ] && break; sleep 0.1; done
		"$@"
		wait
	' syslog_of "$out" "$@" >"$out.cmd" 2>&1
	cat "$out" 2>/dev/null
}

# ---------------------------------------------------------------- capture

# cap_start NS DEV [FILTER] [SNAPLEN] : tcpdump to a pcap file in the background
# (SNAPLEN 128 by default, 0 = whole frames); sets CAP_PID and CAP_FILE;
# returns once tcpdump listens
cap_start()
{
	local ns=$1 dev=$2 filter=$3 snaplen=${4:-128} i
	CAP_FILE=$XVT_TMP/cap.$ns.$dev.$RANDOM.pcap
	# A 16 MB buffer: bursts of segmented copies overflowed the default 2 MB.
	bg_ns "$ns" tcpdump -i "$dev" -nn -U --immediate-mode -B 16384 -s "$snaplen" -w "$CAP_FILE" \
		${filter:+"$filter"} 2>"$CAP_FILE.err"
	CAP_PID=$XVT_LAST_PID
	for ((i = 0; i < 50; i++)); do
		grep -q "listening on" "$CAP_FILE.err" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# cap_stop PID
cap_stop()
{
	sleep 0.3
	bg_stop "$1" INT
}

# cap_count FILE [FILTER] : packets in FILE matching FILTER
cap_count()
{
	# one line per packet starts with the timestamp (decoded inner frames don't)
	tcpdump -nn -tt -r "$1" ${2:+"$2"} 2>/dev/null | grep -c '^[0-9]'

}

# ---------------------------------------------------------------- runner

# tests_run : run each function in $TESTS (default $ALL_TESTS); each test
# builds and destroys its own topology; topo_destroy is called after each
# test again in case the test bailed out early.
tests_run()
{
	local t t0
	for t in ${TESTS:-$ALL_TESTS}; do
		xvt_log "=== $t"
		t0=$SECONDS
		"$t"
		if declare -F topo_destroy >/dev/null; then
			topo_destroy
		fi
		xvt_log "=== $t: $((SECONDS - t0)) s"
	done
	xvt_log "$XVT_CHECKS_PASSED checks passed, $XVT_CHECKS_FAILED failed in $(basename "$0")"
	[ "$XVT_CHECKS_FAILED" -eq 0 ] && [ "$XVT_CHECKS_PASSED" -gt 0 ]
}
