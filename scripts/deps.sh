#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages xvtep needs to build, test and demo, only those
# missing (no apt-get at all when everything is there). Debian 12; run as root.
#   scripts/deps.sh          build + tests + demo
#   scripts/deps.sh --bench  the same and what `make bench` needs (bc, gnuplot)
#   scripts/deps.sh --check  only report what is missing (exit 1 if anything;
#                            with --bench first, the bench's packages too)
#   scripts/deps.sh --list   the packages it wants, one a line (--bench first: and the bench's)

set -euo pipefail

PKGS=(
	# build
	clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool pkg-config make gcc
	# tests and demo
	iproute2 iputils-ping ethtool iperf3 tcpdump tshark jq python3 python3-scapy
	util-linux procps coreutils strace
	# the 6.1 kernel guest (tests/kernel61): qemu TCG, busybox for its initramfs
	qemu-system-x86 busybox-static
	# fuzzing: libFuzzer runtime for clang 14 (tests/fuzz)
	libclang-rt-14-dev
	# packaging tests: the .deb build, systemd-analyze, man pages, completion
	build-essential debhelper dpkg-dev systemd man-db groff-base bsdextrautils
	bash-completion
	# metrics test: promtool checks `xvtepctl metrics` (tests/integration/observe.sh)
	prometheus
	# EVPN test: zebra + bgpd drive xvtepd (tests/integration/evpn.sh)
	frr
)
if [ "${1:-}" == --bench ]; then
	shift
	# bench/run.sh: figures (bc) and the chart (gnuplot, no X)
	PKGS+=(bc gnuplot-nox)
fi
if [ "${1:-}" == --list ]; then
	printf '%s\n' "${PKGS[@]}"
	exit 0
fi

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "${1:-}" == --check ]; then
	echo "missing packages: ${missing[*]}"
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "Error: missing packages (${missing[*]}); run $0 as root" >&2
	exit 1
fi
echo "# installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
