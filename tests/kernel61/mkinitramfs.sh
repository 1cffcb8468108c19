#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/kernel61/mkinitramfs.sh KROOT KVER OUTPUT.cpio.gz
#
# The guest's initramfs: busybox-static, the modules in $MODS and everything
# they depend on (from KROOT's modules.dep, made by fetch.sh), their load
# order, and /init (stage 1, below). Stage 1 loads the modules, mounts this
# machine's / read-only over 9p (tag "hostroot"), puts tmpfs on /tmp /run
# /var, binds back the paths under /tmp or /var named by xvbind= on the kernel
# command line (the work tree when it lives under /tmp, as in CI), mounts the
# writable 9p export (tag "out") at xvout=, and switch_roots into the host's
# root to run stage 2 (xvinit=, tests/kernel61/guest-init.sh).
set -euo pipefail

[ $# -eq 3 ] || { sed -n '4,14p' "$0" >&2; exit 2; }
KROOT=$1 KVER=$2 OUT=$3
BUSYBOX=${BUSYBOX:-/bin/busybox}
# 9p root first; then what the tests build: veth, vxlan (kernel VTEP peer),
# bridge (underlay switch), clsact (sch_ingress) + cls_bpf/act_bpf (tc
# attach without tcx), and the guest-only peers: 802.1Q, bonding, GRE/ERSPAN
MODS=${MODS:-"virtio_pci 9pnet_virtio 9p veth vxlan bridge sch_ingress cls_bpf act_bpf
	8021q bonding gre ip_gre ip6_gre dummy"}

MDIR=$KROOT/lib/modules/$KVER
DEP=$MDIR/modules.dep
[ -s "$DEP" ] || { echo "mkinitramfs.sh: no $DEP (run fetch.sh)" >&2; exit 1; }
case " $("$BUSYBOX" --list 2>/dev/null | tr '\n' ' ') " in *" switch_root "*) ;; *) false ;; esac ||
	{ echo "mkinitramfs.sh: $BUSYBOX is not busybox (apt-get install busybox-static)" >&2; exit 1; }
case $(ldd "$BUSYBOX" 2>&1 || true) in *"not a dynamic"*) ;; *) false ;; esac ||
	{ echo "mkinitramfs.sh: $BUSYBOX is not static (apt-get install busybox-static)" >&2; exit 1; }

# dependency closure, dependencies first. modules.dep lines:
#   kernel/path/name.ko[.xz|.zst]: dep1 dep2 ...
declare -A SEEN=()
ORDER=()
dep_of() { awk -F': *' -v m="$1" '$1 == m { print $2 }' "$DEP"; }
path_of()
{
	awk -F: -v n="${1//-/_}" '{ b = $1; sub(/.*\//, "", b); sub(/\.ko.*/, "", b);
		gsub(/-/, "_", b); if (b == n) { print $1; exit } }' "$DEP"
}
visit()
{
	local p=$1 d
	[ -n "${SEEN[$p]:-}" ] && return
	SEEN[$p]=1
	for d in $(dep_of "$p"); do visit "$d"; done
	ORDER+=("$p")
}
for m in $MODS; do
	p=$(path_of "$m")
	if [ -z "$p" ]; then
		grep -q "/${m//_/[_-]}\.ko" "$MDIR/modules.builtin" ||
			{ echo "mkinitramfs.sh: module $m not found" >&2; exit 1; }
		continue	# built in
	fi
	visit "$p"
done

S=$(mktemp -d "${TMPDIR:-/tmp}/xvt-k61-initrd.XXXXXX")
trap 'rm -rf "$S"' EXIT
mkdir -p "$S"/{bin,dev,proc,sys,host,hosttmp,hostvar,lib/modules}
cp "$BUSYBOX" "$S/bin/busybox"
: >"$S/modules.load"
for p in "${ORDER[@]}"; do
	b=$(basename "$p")
	# busybox insmod and 6.1's loader want plain .ko
	case $b in
	*.ko.xz)  xz -dc "$MDIR/$p" >"$S/lib/modules/${b%.xz}"; b=${b%.xz} ;;
	*.ko.zst) zstd -qdc "$MDIR/$p" >"$S/lib/modules/${b%.zst}"; b=${b%.zst} ;;
	*)        cp "$MDIR/$p" "$S/lib/modules/$b" ;;
	esac
	echo "$b" >>"$S/modules.load"
done

cat >"$S/init" <<'INIT'
#!/bin/busybox sh
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev
XVINIT= XVOUT= XVBIND=
for a in $($B cat /proc/cmdline); do
	case $a in
	xvinit=*) XVINIT=${a#xvinit=} ;;
	xvout=*)  XVOUT=${a#xvout=} ;;
	xvbind=*) XVBIND=$(echo "${a#xvbind=}" | $B tr , ' ') ;;
	esac
done
fail() { echo "stage1: $*"; $B poweroff -f; }
for m in $($B cat /modules.load); do
	$B insmod /lib/modules/$m || echo "stage1: insmod $m failed"
done
# msize 512 KiB and cache=loose: nothing the guest reads changes during a run
$B mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=524288,cache=loose hostroot /host ||
	fail "cannot mount hostroot"
# keep a view of the host's /tmp and /var for xvbind=, then private tmpfs
$B mount --bind /host/tmp /hosttmp
$B mount --bind /host/var /hostvar
$B mount -t tmpfs -o mode=1777,size=512m tmpfs /host/tmp
$B mount -t tmpfs -o mode=755,size=256m tmpfs /host/run
$B mkdir -p /host/run/lock /host/run/netns
$B mount -t tmpfs -o mode=755,size=256m tmpfs /host/var
$B mkdir -p /host/var/tmp /host/var/lock /host/var/log /host/var/lib
$B ln -s /run /host/var/run
for p in $XVBIND; do
	case $p in
	/tmp/*) src=/hosttmp/${p#/tmp/} ;;
	/var/*) src=/hostvar/${p#/var/} ;;
	*) continue ;;
	esac
	[ -d "$src" ] || { echo "stage1: no $p on the host"; continue; }
	$B mkdir -p "/host$p" && $B mount --bind "$src" "/host$p" || fail "cannot bind $p"
done
$B mkdir -p "/host$XVOUT"
$B mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 out "/host$XVOUT" ||
	fail "cannot mount the out export on $XVOUT"
$B mount --move /proc /host/proc
$B mount --move /sys /host/sys
$B mount --move /dev /host/dev
exec $B switch_root /host "$XVINIT"
INIT
chmod 755 "$S/init"

mkdir -p "$(dirname "$OUT")"
(cd "$S" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null) | gzip -1 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "# mkinitramfs.sh: $OUT $(du -h "$OUT" | cut -f1), $(wc -l <"$S/modules.load") modules" >&2
