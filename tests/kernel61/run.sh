#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/kernel61/run.sh: run part of the test suite on Debian 12's own 6.1
# kernel. Boots it ONCE under qemu (TCG) with this machine's root read-only
# over 9p, runs tests/kernel61/guest-run.sh in it against this work tree's
# build (build/xvtep.bpf.o, xvtep-loader, xvtepctl: `make` first; tests/run.sh
# does), and prints the guest's PASS:/FAIL: lines, all prefixed "k61/".
#
# Steps (K61_STEPS overrides; see guest-run.sh): the verifier verdict of every
# program, the unit tests (BPF_PROG_TEST_RUN on the real object), and the
# integration subset below: about 16 minutes of TCG on 2 idle cores.
# Environment: XVT_K61_LIMIT (wall-clock limit for qemu, s; default 1200: the
# guest's steps get K61_BUDGET = limit - 60 s, and a step that would run past
# it is cut short or not started, each with a FAIL line), XVT_K61_LOGDIR (keep
# guest.log, dmesg.log, console.log, steps/ there), XVT_K61_CACHE (fetch.sh's
# cache, default /var/cache/xvtep-k61), K61_STEP_TIMEOUT (s per step, 600).
# Exit status: 0 when the guest ran and nothing failed.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LIMIT=${XVT_K61_LIMIT:-1200}
# - decap_modes attaches in decap modes xdp and tc (XVT_DECAP_MODES in
#   guest-run.sh; hybrid runs in every other step) and pings both ways with
#   the kernel's vxlan (h3); its TCP transfer is the kernel peer's only
#   (XVT_DECAP_XFERS)
# - flood_learn_unicast: flooding + learning; ageing
# - k61peers: RSPAN into an 802.1Q device, ERSPAN II and III into erspan
#   devices, XDP decap on an 802.3ad bond; with mirror's span_directions,
#   a mirror session of each kind (mirror.sh's rspan_vlan and erspan_types,
#   which check the same sessions with tshark, are left to the host)
# - restart and upgrade under traffic
K61_STEPS=${K61_STEPS:-"verifier unit
	forwarding:flood_learn_unicast,ageing,decap_modes
	k61peers
	mirror:span_directions
	restart:reattach_live,upgrade_under_load"}

fail() { echo "FAIL: k61: $*"; exit 1; }

command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 not installed (scripts/deps.sh)"
[ -r "$ROOT/build/xvtep.bpf.o" ] && [ -x "$ROOT/build/xvtep-loader" ] ||
	fail "no build in $ROOT/build (make)"

W=$(mktemp -d /tmp/xvt-k61.XXXXXX)
BOOT_PID=
cleanup()
{
	# boot.sh's own trap ends its qemu
	[ -n "$BOOT_PID" ] && kill "$BOOT_PID" 2>/dev/null && wait "$BOOT_PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if ! kinfo=$("$HERE/fetch.sh" 2>"$W/fetch.err"); then
	fail "cannot get Debian's linux-image-6.1.0-*-amd64 (no apt mirror?): $(tail -n 2 "$W/fetch.err" | tr '\n' ' ')"
fi
KROOT=$(sed -n 1p <<<"$kinfo")
KVER=$(sed -n 2p <<<"$kinfo")
echo "# k61: kernel $KVER from $KROOT" >&2

"$HERE/mkinitramfs.sh" "$KROOT" "$KVER" "$W/initrd.gz" 2>"$W/mkinitramfs.err" ||
	fail "mkinitramfs.sh: $(tail -n 2 "$W/mkinitramfs.err" | tr '\n' ' ')"
mkdir -p "$W/out"
# shellcheck disable=SC2046
gcc -O2 -Wall -Werror $(pkg-config --cflags libbpf) "$HERE/progload.c" \
	$(pkg-config --libs libbpf) -o "$W/out/progload" 2>"$W/progload.err" ||
	fail "cannot build progload: $(head -n 3 "$W/progload.err" | tr '\n' ' ')"
{
	printf 'XVT_ROOT=%q\n' "$ROOT"
	printf 'K61_STEPS=%q\n' "$(echo $K61_STEPS)"
	printf 'K61_STEP_TIMEOUT=%q\n' "${K61_STEP_TIMEOUT:-600}"
	# boot.sh gives the guest LIMIT - 30 s; boot takes ~15 s, and timeout -k
	# 10 may need its grace
	printf 'K61_BUDGET=%q\n' "$((LIMIT - 60))"
} >"$W/out/env"

# the guest's /tmp and /var are its own: bind the work tree back when it
# lives there (CI clones into /tmp/ci)
BIND=
case $ROOT in /tmp/*|/var/*) BIND=$ROOT ;; esac

start=$(date +%s)
"$HERE/boot.sh" -t "$LIMIT" ${BIND:+-b "$BIND"} "$KROOT" "$KVER" "$W/initrd.gz" "$W/out" \
	"$HERE/guest-run.sh" 2>"$W/boot.err" &
BOOT_PID=$!
wait "$BOOT_PID"
rc=$?
BOOT_PID=
wall=$(($(date +%s) - start))
echo "# k61: guest run took ${wall} s wall (limit ${LIMIT} s), rc $rc" >&2

[ -r "$W/out/results.log" ] && cat "$W/out/results.log"
grep '^# k61' "$W/out/guest.log" 2>/dev/null >&2
if [ -n "${XVT_K61_LOGDIR:-}" ]; then
	mkdir -p "$XVT_K61_LOGDIR" &&
		cp -r "$W/out/." "$XVT_K61_LOGDIR/" && rm -f "$XVT_K61_LOGDIR/progload" "$XVT_K61_LOGDIR/env"
fi
case $rc in
124) fail "the guest hit the ${LIMIT} s limit (results above are partial)" ;;
125) fail "the guest did not report back: $(tail -n 3 "$W/out/console.log" 2>/dev/null | tr '\n' ' ')" ;;
esac
[ -s "$W/out/results.log" ] || fail "the guest reported no result (rc $rc)"
! grep -q '^FAIL: ' "$W/out/results.log"
