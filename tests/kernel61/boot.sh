#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/kernel61/boot.sh [-t SECONDS] [-b PATH[,PATH]] KROOT KVER INITRD OUTDIR SCRIPT
#
# Boot Debian's 6.1 kernel (KROOT/boot/vmlinuz-KVER, from fetch.sh) with
# INITRD (mkinitramfs.sh) under qemu, run SCRIPT (bash, a path the guest can
# see) as root in it with OUTDIR as $1, and power off. The guest sees this
# machine's / read-only at the same paths, except /tmp, /run and /var (private
# tmpfs); -b names paths under /tmp or /var to bind back (read-only), OUTDIR
# is writable (9p) at its own path. XVT_K61_SMP vCPUs (default 2), 2 GiB, no
# NIC, TCG: nested KVM hangs on these VMs, and TCG needs no /dev/kvm.
# Results: OUTDIR/guest.log (SCRIPT's output), OUTDIR/rc, OUTDIR/dmesg.log,
# OUTDIR/console.log (serial console: boot and stage 1).
# -t: wall-clock limit (default 600 s; the guest's own limit is 30 s less).
# Exit status: SCRIPT's, 124 when qemu hit the limit, 125 when no rc came back.
# qemu is killed when this script is interrupted.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
LIMIT=600
BIND=
while getopts t:b: o; do
	case $o in
	t) LIMIT=$OPTARG ;;
	b) BIND=$OPTARG ;;
	*) sed -n '4,19p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 5 ] || { sed -n '4,19p' "$0" >&2; exit 2; }
KROOT=$1 KVER=$2 INITRD=$3 OUTD=$4 SCRIPT=$5
KERNEL=$KROOT/boot/vmlinuz-$KVER
for f in "$KERNEL" "$INITRD" "$SCRIPT"; do
	[ -r "$f" ] || { echo "boot.sh: cannot read $f" >&2; exit 2; }
done
mkdir -p "$OUTD"
rm -f "$OUTD/guest.log" "$OUTD/rc" "$OUTD/dmesg.log"

APPEND="console=ttyS0 rdinit=/init panic=-1 loglevel=4 mitigations=off random.trust_cpu=on"
APPEND+=" xvinit=$HERE/guest-init.sh xvout=$OUTD xvcmd=$SCRIPT"
APPEND+=" xvtimeout=$((LIMIT > 60 ? LIMIT - 30 : LIMIT))${BIND:+ xvbind=$BIND}"

QPID=
# timeout(1) passes TERM on to qemu
trap '[ -n "$QPID" ] && kill "$QPID" 2>/dev/null; wait 2>/dev/null; exit 130' INT TERM HUP
# multi-threaded TCG: one host thread per vCPU. hostroot: / read-only
# (multidevs=remap: / spans several filesystems); out: OUTDIR read-write.
timeout -k 10 "$LIMIT" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp "${XVT_K61_SMP:-2}" -m 2048 \
	-machine pc -display none -monitor none -serial "file:$OUTD/console.log" \
	-nic none -no-reboot \
	-kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" \
	-fsdev local,id=r,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=r,mount_tag=hostroot \
	-fsdev local,id=o,path="$OUTD",security_model=none \
	-device virtio-9p-pci,fsdev=o,mount_tag=out \
	</dev/null >"$OUTD/qemu.log" 2>&1 &
QPID=$!
wait "$QPID"
qrc=$?
QPID=
trap - INT TERM HUP
[ -s "$OUTD/rc" ] && exit "$(cat "$OUTD/rc")"
[ $qrc -eq 124 ] || [ $qrc -eq 137 ] && { echo "boot.sh: qemu killed at the ${LIMIT}s limit" >&2; exit 124; }
echo "boot.sh: no rc from the guest (qemu exited $qrc); see $OUTD/console.log" >&2
exit 125
