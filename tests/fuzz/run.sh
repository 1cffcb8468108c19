#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fuzz the dataplane (tests/fuzz/fuzz_dataplane.c) for FUZZ_TIME seconds
# (default 60) inside a throwaway xf- namespace holding the devices the
# programs reference (tests/unit/netns.sh). Prints PASS:/FAIL:
# lines for tests/run.sh; libFuzzer's own output goes to build/fuzz/fuzz.log.
#
#   FUZZ_TIME=600 tests/fuzz/run.sh [extra libFuzzer args]
#
# The seeds (tests/fuzz/corpus/) are read only; what the fuzzer finds goes to
# build/fuzz/corpus/ (kept between runs), crashes to build/fuzz/crash-*.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
time=${FUZZ_TIME:-60}
out=$top/build/fuzz
bin=$top/build/tests/fuzz_dataplane
ns=xf-fuzz-$$
log=$out/fuzz.log

[ "$(id -u)" == 0 ] || { echo "FAIL: fuzz: must run as root"; exit 1; }
mkdir -p "$out/corpus"
if ! make -C "$top" -s fuzz-build >"$out/build.log" 2>&1; then
	echo "FAIL: fuzz: build: $(tail -n 3 "$out/build.log" | tr '\n' ' ' | cut -c1-300)"
	exit 1
fi

source "$top/tests/unit/netns.sh"
unit_netns "$ns" || { echo "FAIL: fuzz: setup: cannot create netns $ns"; exit 1; }

# Seeds first, alone: every seed must pass the oracles.
if nsenter --net=/run/netns/"$ns" "$bin" -runs=0 -artifact_prefix="$out/" "$top/tests/fuzz/corpus" >"$log.seeds" 2>&1; then
	echo "PASS: fuzz: $(ls "$top/tests/fuzz/corpus" | wc -l) seed inputs pass every oracle"
else
	echo "FAIL: fuzz: a seed input fails: $(grep -m1 'ORACLE FAILED' "$log.seeds")"
fi

# -max_len: config + a frame test_run takes for XDP as well as for skbs.
nsenter --net=/run/netns/"$ns" "$bin" -max_total_time="$time" -max_len=2064 \
	-timeout=20 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$out/" \
	"$@" "$out/corpus" "$top/tests/fuzz/corpus" >"$log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
if [ "$rc" -eq 0 ] && [ -n "$runs" ] && [ "$runs" -gt 0 ]; then
	echo "PASS: fuzz: ${time}s, $runs inputs ($rate exec/s), cov $cov ft $ft corpus $corp, no oracle failure"
else
	why=$(grep -m1 -E 'ORACLE FAILED|ERROR: (AddressSanitizer|libFuzzer)' "$log")
	art=$(grep -m1 -o "$out/[a-z-]*-[0-9a-f]*" "$log")
	echo "FAIL: fuzz: exit $rc after ${runs:-0} inputs: ${why:-see $log} ${art:+(input: $art)}"
	exit 1
fi
