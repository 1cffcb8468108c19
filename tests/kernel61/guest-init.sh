#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/kernel61/guest-init.sh: stage 2 of the 6.1 guest, PID 1 after stage 1
# (mkinitramfs.sh) switch_rooted into this machine's root (read-only 9p).
# Not for the host. Mounts what a BPF host needs, runs the command of the
# kernel command line and powers off (qemu runs with -no-reboot):
#   xvcmd=PATH      bash script to run, with the out directory as $1
#   xvout=DIR       the writable 9p export
#   xvtimeout=S     limit for the command
# Its output goes to DIR/guest.log, its exit status to DIR/rc, the kernel log
# to DIR/dmesg.log.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8
XVOUT=/nonexistent XVCMD= XVTIMEOUT=600
for a in $(cat /proc/cmdline); do
	case $a in
	xvcmd=*) XVCMD=${a#xvcmd=} ;;
	xvout=*) XVOUT=${a#xvout=} ;;
	xvtimeout=*) XVTIMEOUT=${a#xvtimeout=} ;;
	esac
done

mount -t bpf bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts && mount -t tmpfs tmpfs /dev/shm
ln -sf /proc/self/fd /dev/fd 2>/dev/null
ip link set lo up
hostname k61guest
ulimit -l unlimited	# libbpf 1.1 still raises RLIMIT_MEMLOCK on kernels it cannot probe

echo "# guest: $(uname -r), $(nproc) CPUs, uptime $(cut -d' ' -f1 /proc/uptime) s at stage 2" \
	>"$XVOUT/guest.log"
if [ -r "$XVCMD" ]; then
	timeout -k 10 "$XVTIMEOUT" bash "$XVCMD" "$XVOUT" >>"$XVOUT/guest.log" 2>&1 </dev/null
	rc=$?
else
	echo "# no command at $XVCMD" >>"$XVOUT/guest.log"
	rc=127
fi
echo "# guest: uptime $(cut -d' ' -f1 /proc/uptime) s at the end, rc $rc" >>"$XVOUT/guest.log"
dmesg >"$XVOUT/dmesg.log" 2>/dev/null
echo "$rc" >"$XVOUT/rc"
sync
exec /bin/busybox poweroff -f
