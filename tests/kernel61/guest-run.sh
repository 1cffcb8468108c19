#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/kernel61/guest-run.sh OUTDIR: the test run INSIDE the 6.1 guest
# (boot.sh runs it; not for the host). OUTDIR/env (written by run.sh) sets
#   XVT_ROOT     the work tree (read-only here), built on the host
#   K61_STEPS    what to run, one step a word:
#                  verifier         OUTDIR/progload on build/xvtep.bpf.o
#                  unit             tests/unit/run.sh
#                  FILE[:fn,fn]     tests/integration/FILE.sh (TESTS=fn ...)
#   K61_STEP_TIMEOUT  seconds per step at most
#   K61_BUDGET   seconds for all steps (from the start of this script): a
#                step's limit is cut to what is left, and a step with less
#                than 20 s left is not started but reported as a FAIL line
# Every PASS:/FAIL: line goes to stdout and OUTDIR/results.log prefixed with
# k61/STEP/ ("PASS: k61/forwarding/ping_xvtep: ..."); a step that exits
# non-zero without a FAIL line, or times out, gets one. Full step output:
# OUTDIR/steps/STEP.log.
set -u
OUTD=$1
# shellcheck disable=SC1091
. "$OUTD/env"
cd "$XVT_ROOT" || exit 1
# TCG: a loader attach verifies the whole object (about 9 s here), and TCP
# moves slowly; 2 MB files keep decap_modes' sha256 checks within budget
export XVT_ROOT XVT_P=k61- XVT_TOOL_TIMEOUT=${XVT_TOOL_TIMEOUT:-180} XFER_MB=${XFER_MB:-2}
# ageing 6 s instead of 3: the CLI calls that read the entries before they
# age out take seconds here (forwarding.sh ageing)
export XVT_AGEING_S=${XVT_AGEING_S:-6}
# decap_modes: one TCP transfer per mode, from the kernel's vxlan peer; the
# modes whose paths differ on 6.1 (XDP decap, TC decap without decap-l3):
# generic XDP and auto's choice are left to the host
export XVT_DECAP_XFERS=${XVT_DECAP_XFERS-kernel} XVT_DECAP_MODES=${XVT_DECAP_MODES-"xdp tc"}
# restart.sh upgrade_under_load: one attach over the running instance, not 3
export XVT_UPGRADE_ROUNDS=${XVT_UPGRADE_ROUNDS:-1}
RES=$OUTD/results.log
mkdir -p "$OUTD/steps" "$OUTD/verifier"
: >"$RES"
T0=$(cut -d' ' -f1 /proc/uptime)

emit() { echo "$1" | tee -a "$RES"; }

# step NAME CMD... : run CMD, prefix its PASS/FAIL lines with k61/NAME/
# (k61/ alone when a line already starts with "NAME:" or "NAME/")
step()
{
	local name=$1 log=$OUTD/steps/$1.log rc p f t0 lim left
	shift
	t0=$(cut -d' ' -f1 /proc/uptime)
	lim=${K61_STEP_TIMEOUT:-600}
	if [ -n "${K61_BUDGET:-}" ]; then
		left=$(awk -v b="$K61_BUDGET" -v t="$t0" -v s="$T0" 'BEGIN { printf "%d", b - (t - s) }')
		if [ "$left" -lt 20 ]; then
			emit "FAIL: k61/$name: not run: ${K61_BUDGET} s budget of the guest steps used up"
			return
		fi
		[ "$left" -lt "$lim" ] && lim=$left
	fi
	timeout -k 10 "$lim" "$@" >"$log" 2>&1 </dev/null
	rc=$?
	awk -v n="$name" '/^(PASS|FAIL): / {
		r = substr($0, 7)
		if (index(r, n ":") == 1 || index(r, n "/") == 1)
			print substr($0, 1, 6) "k61/" r
		else
			print substr($0, 1, 6) "k61/" n "/" r
	}' "$log" | tee -a "$RES"
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	if [ $rc -eq 124 ]; then
		emit "FAIL: k61/$name: timed out after $lim s"
	elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		emit "FAIL: k61/$name: exited $rc without a FAIL line: $(tail -n 3 "$log" | tr '\n' ' ' | cut -c1-300)"
	elif [ $rc -eq 0 ] && [ "$p" -eq 0 ]; then
		emit "FAIL: k61/$name: ran no check"
	fi
	echo "# k61 $name: $p passed, $f failed, rc $rc, $(echo "$(cut -d' ' -f1 /proc/uptime) - $t0" | bc) s"
}

emit "PASS: k61/boot: $(uname -r) ($(nproc) CPUs)"
for s in $K61_STEPS; do
	case $s in
	verifier)
		step verifier "$OUTD/progload" "$XVT_ROOT/build/xvtep.bpf.o" "$OUTD/verifier" ;;
	unit)
		step unit tests/unit/run.sh ;;
	*)
		f=${s%%:*}
		fns=
		[ "$s" != "$f" ] && fns=${s#*:}
		if [ ! -r "tests/integration/$f.sh" ]; then
			emit "FAIL: k61/$f: no tests/integration/$f.sh"
			continue
		fi
		step "$f" env TESTS="${fns//,/ }" bash "tests/integration/$f.sh" ;;
	esac
done
echo "# k61: guest steps took $(echo "$(cut -d' ' -f1 /proc/uptime) - $T0" | bc) s"
