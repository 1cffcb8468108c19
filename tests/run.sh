#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# xvtep test runner:  tests/run.sh [all|unit|integration|fuzz|kernel61] [FILE...]
#
#   unit         build/tests/unit_tests (through tests/unit/run.sh if present)
#   fuzz         tests/fuzz/run.sh: libFuzzer on the dataplane for FUZZ_TIME s (60)
#   integration  every tests/integration/*.sh that defines ALL_TESTS
#                (or only the FILEs given, e.g. tests/run.sh integration cli);
#                not the guest-only files (XVT_GUEST_ONLY=1, e.g. k61peers)
#   kernel61     tests/kernel61/run.sh: Debian 12's 6.1 kernel under qemu (TCG),
#                booted once, runs the verifier per program, the unit tests and
#                an integration subset on this build; its lines are "k61/..."
#                (in `all` when qemu-system-x86_64 is installed: booted first,
#                on one vCPU beside the host's tests; its lines come last)
#
# Installs missing packages (scripts/deps.sh) and builds (make all
# bench-tools: bench_tools.sh tests the bench's tools) first, counts
# the "PASS: " / "FAIL: " lines of everything it runs and ends with exactly
#   N passed, N failed
# Exit status: 0 only if nothing failed and at least one check ran.
# Environment: TESTS="fn ..." runs only those test functions; XVT_NO_DEPS=1 and
# XVT_NO_BUILD=1 skip the package / build steps; XVT_VERBOSE=1 logs commands.
# Full logs: build/test-logs/.
#
# A full integration run ends with the clsact pass: a few files again with
# XVTEP_FEATURES_OFF=tcx (TC programs as clsact filters, as on Linux < 6.6),
# their checks named "clsact/...". A full run that boots the 6.1 guest (no tcx:
# clsact for real) leaves it out. XVT_CLSACT=0 skips it, XVT_CLSACT=1 runs it
# after the FILEs given too.

set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
MODE=${1:-all}
[ $# -gt 0 ] && shift
LOGDIR_FINAL=$ROOT/build/test-logs
LOGDIR=$(mktemp -d /tmp/xvt-logs.XXXXXX)	# private: concurrent runs don't mix counts
PASSED=0
FAILED=0
START=$(date +%s)
FILE_TIMEOUT=${XVT_FILE_TIMEOUT:-600}

case $MODE in
all|unit|integration|fuzz|kernel61) ;;
*) echo "usage: $0 [all|unit|integration|fuzz|kernel61] [FILE...]" >&2; exit 2 ;;
esac

if [ "$(id -u)" != 0 ]; then
	echo "FAIL: prerequisites: tests/run.sh must run as root (network namespaces, BPF)"
	echo "0 passed, 1 failed"
	exit 1
fi

# count_log NAME LOG RC [counted] : add a log's PASS/FAIL lines to the totals
# (counted: its summary line was printed already); a runner
# that died (non-zero exit, timeout) without reporting a failure counts as one
count_log()
{
	local name=$1 log=$2 rc=$3 p f
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	if [ "$rc" -eq 124 ]; then
		echo "FAIL: $name: timed out after ${FILE_TIMEOUT}s"
		f=$((f + 1))
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name: exited $rc without a FAIL line"
		f=$((f + 1))
	elif [ "$rc" -eq 0 ] && [ "$p" -eq 0 ]; then
		echo "FAIL: $name: ran no check"
		f=$((f + 1))
	fi
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	[ -n "${4:-}" ] && return	# its lane said so when it ended
	echo "# $name: $p passed, $f failed ($(($(date +%s) - START)) s elapsed)" >&2
}

finish()
{
	rm -rf "$LOGDIR_FINAL" && mkdir -p "$(dirname "$LOGDIR_FINAL")" &&
		cp -r "$LOGDIR" "$LOGDIR_FINAL" 2>/dev/null
	rm -rf "$LOGDIR"
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
	exit $?
}

if [ "${XVT_NO_DEPS:-0}" != 1 ]; then
	if ! "$ROOT/scripts/deps.sh" >&2; then
		echo "FAIL: prerequisites: scripts/deps.sh could not install the packages"
		FAILED=$((FAILED + 1))
		finish
	fi
fi
if [ "${XVT_NO_BUILD:-0}" != 1 ]; then
	if ! make -C "$ROOT" -s all bench-tools >"$LOGDIR/build.log" 2>&1; then
		echo "FAIL: build: make failed: $(tail -n 5 "$LOGDIR/build.log" | tr '\n' ' ' | cut -c1-400)"
		FAILED=$((FAILED + 1))
		finish
	fi
fi
# bpffs for the pin dirs
if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" != bpf_fs ]; then
	mount -t bpf bpf /sys/fs/bpf || { echo "FAIL: prerequisites: cannot mount bpffs"; FAILED=$((FAILED + 1)); finish; }
fi

# Run the integration tests on a private copy of the tools (the BPF object is
# embedded in the loader's skeleton), so that a rebuild during a run cannot
# swap binaries under a test. LOADER/CTL from the environment win.
BIN_COPY=$(mktemp -d /tmp/xvt-bin.XXXXXX)
trap 'rm -rf "$BIN_COPY" "$LOGDIR"' EXIT
for t in xvtep-loader xvtepctl; do
	[ -x "build/$t" ] && cp "build/$t" "$BIN_COPY/$t"
done
export LOADER=${LOADER:-$BIN_COPY/xvtep-loader}
export CTL=${CTL:-$BIN_COPY/xvtepctl}

# The 6.1 guest: one qemu boot under TCG (no /dev/kvm needed), its own limit
# (XVT_K61_LIMIT) inside this one. In a full run it boots first and runs beside
# the host's tests on one vCPU (XVT_K61_SMP), so the host keeps a core; the
# whole suite then takes about as long as the longer of the two.
# run_kernel61 SMP LIMIT : the guest with SMP vCPUs and a wall-clock LIMIT (s)
run_kernel61()
{
	local limit=${XVT_K61_LIMIT:-$2}
	XVT_K61_SMP=${XVT_K61_SMP:-$1} XVT_K61_LIMIT=$limit XVT_K61_LOGDIR=$LOGDIR/kernel61 \
		timeout -s TERM -k 30 $((limit + 120)) tests/kernel61/run.sh \
		>"$LOGDIR/kernel61.log" 2>"$LOGDIR/kernel61.err"
}
K61_PID=
if [ "$MODE" == all ] && command -v qemu-system-x86_64 >/dev/null; then
	echo "# kernel61: Debian 12's 6.1 kernel under qemu, beside the host's tests" >&2
	run_kernel61 1 1320 &
	K61_PID=$!
	trap '[ -n "$K61_PID" ] && pkill -TERM -P "$K61_PID"; wait; rm -rf "$BIN_COPY" "$LOGDIR"' EXIT
fi

if [ "$MODE" == all ] || [ "$MODE" == unit ]; then
	log=$LOGDIR/unit.log
	echo "# unit tests" >&2
	if [ -x tests/unit/run.sh ]; then
		timeout "$FILE_TIMEOUT" tests/unit/run.sh 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
	elif [ -x build/tests/unit_tests ]; then
		timeout "$FILE_TIMEOUT" build/tests/unit_tests 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
	else
		echo "FAIL: unit: build/tests/unit_tests not built" | tee "$log"
		rc=1
	fi
	count_log unit "$log" "$rc"
fi

# A short libFuzzer run of the dataplane (FUZZ_TIME, default 60 s); `make fuzz` runs longer.
if [ "$MODE" == all ] || [ "$MODE" == fuzz ]; then
	echo "# fuzz" >&2
	timeout "$FILE_TIMEOUT" tests/fuzz/run.sh 2>&1 | tee "$LOGDIR/fuzz.log"
	count_log fuzz "$LOGDIR/fuzz.log" "${PIPESTATUS[0]}"
fi

# run_integration FILE NAME [CHECK_PREFIX] : one integration file, its log as
# NAME; CHECK_PREFIX goes in front of each check's name
# run_integration FILE NAME [CHECK_PREFIX] [quiet] : one integration file, its
# log as NAME; CHECK_PREFIX goes in front of each check's name; quiet: leave
# the counting to the caller (the exit status in NAME.rc)
run_integration()
{
	local f=$1 name=$2 prefix=${3:-} log=$LOGDIR/integration-$2.log rc
	echo "# integration: $f${prefix:+ (checks $prefix...)}${4:+ (prefix $XVT_P)}" >&2
	XVT_P=${XVT_P:-xvt-} timeout -s TERM -k 30 "$FILE_TIMEOUT" bash "$f" \
		2>"$LOGDIR/integration-$name.err" |
		sed -u "s#^\(PASS\|FAIL\): #\1: $prefix#" | tee "$log"
	rc=${PIPESTATUS[0]}
	if [ -n "${4:-}" ]; then
		echo "$rc" >"$LOGDIR/integration-$name.rc"
		echo "# $name: $(grep -c '^PASS: ' "$log") passed, $(grep -c '^FAIL: ' "$log") failed ($(($(date +%s) - START)) s elapsed)" >&2
		return
	fi
	count_log "$name" "$log" "$rc"
}

# Integration files run in XVT_LANES lanes at once (default 2): most of a
# file's time is spent waiting (pings, timers, daemons), not on a CPU. Each
# lane has its own prefix (XVT_P + lane letter), so namespaces, pins and
# locks never meet, and takes the next file from one queue, the longest
# files first. Lines come as each lane writes them; the counts are added up
# once all lanes are done. XVT_LANES=1: one file after the other.
LONG_FILES="faults evpn_scale cli_badargs forwarding mirror evpn security decap"

# lane_pop QUEUE : the queue's next file (empty when none is left)
lane_pop()
{
	(
		flock 7
		head -n 1 "$1"
		sed -i 1d "$1"
	) 7>"$1.lock"
}

# run_integration_lanes FILE... : every FILE, XVT_LANES at a time
run_integration_lanes()
{
	local lanes=${XVT_LANES:-2} queue=$LOGDIR/queue f l n name pids=() letters=(a b c d e f g h)
	[ "$lanes" -ge 1 ] 2>/dev/null || lanes=1
	[ "$lanes" -le 8 ] || lanes=8
	[ $# -lt "$lanes" ] && lanes=$#
	if [ "$lanes" -le 1 ]; then
		for f in "$@"; do
			run_integration "$f" "$(basename "$f" .sh)"
		done
		return
	fi
	: >"$queue"
	for n in $LONG_FILES; do
		for f in "$@"; do
			[ "$(basename "$f" .sh)" == "$n" ] && echo "$f" >>"$queue"
		done
	done
	for f in "$@"; do
		[[ " $LONG_FILES " == *" $(basename "$f" .sh) "* ]] || echo "$f" >>"$queue"
	done
	for ((l = 0; l < lanes; l++)); do
		(
			prefix=${XVT_P:-xvt-}${letters[l]}-
			while f=$(lane_pop "$queue") && [ -n "$f" ]; do
				name=$(basename "$f" .sh)
				XVT_P=$prefix run_integration "$f" "$name" "" quiet
			done
		) &
		pids+=($!)
	done
	wait "${pids[@]}"
	for f in "$@"; do
		name=$(basename "$f" .sh)
		count_log "$name" "$LOGDIR/integration-$name.log" \
			"$(cat "$LOGDIR/integration-$name.rc" 2>/dev/null || echo 1)" counted
	done
}

if [ "$MODE" == all ] || [ "$MODE" == integration ]; then
	files=()
	if [ $# -gt 0 ]; then
		for f in "$@"; do
			[ -f "$f" ] || f=tests/integration/${f%.sh}.sh
			files+=("$f")
		done
	else
		for f in tests/integration/*.sh; do
			grep -q '^ALL_TESTS=' "$f" && ! grep -q '^XVT_GUEST_ONLY=1' "$f" && files+=("$f")
		done
	fi
	run_integration_lanes "${files[@]}"
	# Where the 6.1 guest runs (no tcx there: clsact for real), the pass is left to it.
	if [ "${XVT_CLSACT:-$([ $# -eq 0 ] && ! { [ "$MODE" == all ] &&
	      command -v qemu-system-x86_64 >/dev/null; } && echo 1)}" == 1 ] &&
	   [[ ! ",${XVTEP_FEATURES_OFF:-}," =~ [,\ ]tcx[,\ ] ]]; then
		# file and the test functions to run (all when empty): about 3 minutes
		for spec in "restart:" "tcattach:clsact_lifecycle clsact_failed_reattach" \
			    "forwarding:ping_xvtep flood_learn_unicast xdp_encap" \
			    "mirror:mirror_cli mirror_reattach"; do
			XVTEP_FEATURES_OFF=tcx TESTS=${spec#*:} run_integration \
				"tests/integration/${spec%%:*}.sh" "clsact-${spec%%:*}" clsact/
		done
	fi
fi

# The guest started beside the host's tests: its lines, counted as one runner
if [ -n "$K61_PID" ]; then
	echo "# kernel61: waiting for the 6.1 guest (started beside the host's tests)" >&2
	wait "$K61_PID"
	rc=$?
	cat "$LOGDIR/kernel61.log"
	grep '^# k61' "$LOGDIR/kernel61.err" >&2
	count_log kernel61 "$LOGDIR/kernel61.log" "$rc"
elif [ "$MODE" == kernel61 ]; then
	run_kernel61 2 1200
	rc=$?
	cat "$LOGDIR/kernel61.log"
	grep '^# k61' "$LOGDIR/kernel61.err" >&2
	count_log kernel61 "$LOGDIR/kernel61.log" "$rc"
elif [ "$MODE" == all ]; then
	echo "# kernel61: skipped: qemu-system-x86_64 is not installed (scripts/deps.sh installs it)" >&2
fi

echo "# total time $(($(date +%s) - START)) s, logs in $LOGDIR_FINAL" >&2
finish
