#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/kernel61/fetch.sh: make Debian 12's newest 6.1 kernel package usable
# for the guest, without installing it. Prints the extracted tree's directory
# on stdout (KROOT: KROOT/boot/vmlinuz-KVER, KROOT/lib/modules/KVER with a
# modules.dep) and its KVER on a second line.
#
# Cache (outside the work tree, kept between runs, one directory per package
# version): ${XVT_K61_CACHE:-/var/cache/xvtep-k61}/<package>_<version>/
# The package is `apt-get download`ed and `dpkg-deb -x`ed there; nothing goes
# to /boot or /lib/modules. depmod (busybox) runs on that private copy: the
# .deb has no modules.dep (its postinst makes it).
# Environment: XVT_K61_PKG=linux-image-6.1.0-N-amd64 pins a package.
# Exit status: 0, or 1 with the reason on stderr (no mirror, no package).
set -euo pipefail

CACHE=${XVT_K61_CACHE:-/var/cache/xvtep-k61}
BUSYBOX=${BUSYBOX:-/bin/busybox}
PATTERN='^linux-image-6\.1\.0-[0-9]+-amd64$'

die() { echo "fetch.sh: $*" >&2; exit 1; }

# newest package name, and its candidate version, from the apt lists
newest()
{
	apt-cache search --names-only "$PATTERN" 2>/dev/null | awk '{ print $1 }' | sort -V | tail -n 1
}
candidate()
{
	apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }'
}

mkdir -p "$CACHE"
# one fetch at a time (concurrent test runs share the cache)
exec 9>"$CACHE/.lock"
flock -w 900 9 || die "cannot lock $CACHE/.lock"

pkg=${XVT_K61_PKG:-$(newest)}
if [ -z "$pkg" ] || [ -z "$(candidate "$pkg")" ] || [ "$(candidate "$pkg")" == "(none)" ]; then
	# lists missing or stale: refresh once
	apt-get update -qq >&2 || die "apt-get update failed (no apt mirror?)"
	pkg=${XVT_K61_PKG:-$(newest)}
fi
[ -n "$pkg" ] || die "no package matching $PATTERN in the apt lists"
ver=$(candidate "$pkg")
[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "$pkg has no candidate version"
kver=${pkg#linux-image-}
dir=$CACHE/${pkg}_$ver

if [ ! -e "$dir/.complete" ]; then
	tmp=$(mktemp -d "$CACHE/.new.XXXXXX")
	chmod 755 "$tmp"	# apt-get download hands the file to user _apt
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -q "$pkg=$ver" >&2 2>&1) ||
		{ apt-get update -qq >&2 && (cd "$tmp" && apt-get download -q "$pkg=$ver" >&2); } ||
		die "apt-get download $pkg=$ver failed (no apt mirror?)"
	deb=$(ls "$tmp"/*.deb)
	dpkg-deb -x "$deb" "$tmp/root" || die "dpkg-deb -x $deb failed"
	rm -f "$deb"
	# usrmerged or not, the modules are under lib/modules of the tree
	mdir=$tmp/root/lib/modules/$kver
	[ -d "$mdir" ] || { [ -d "$tmp/root/usr/lib/modules/$kver" ] &&
		mkdir -p "$tmp/root/lib/modules" &&
		mv "$tmp/root/usr/lib/modules/$kver" "$mdir"; } ||
		die "$pkg has no lib/modules/$kver"
	[ -s "$tmp/root/boot/vmlinuz-$kver" ] || die "$pkg has no boot/vmlinuz-$kver"
	[ -s "$mdir/modules.dep" ] || "$BUSYBOX" depmod -b "$tmp/root" "$kver" ||
		die "depmod failed"
	rm -rf "$dir"
	mv "$tmp/root" "$dir"
	rmdir "$tmp"
	trap - EXIT
	touch "$dir/.complete"
	echo "# fetch.sh: $pkg $ver extracted in $dir" >&2
fi
echo "$dir"
echo "$kver"
