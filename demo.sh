#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# xvtep demo: two xvtep hosts and one Linux kernel vxlan host in network
# namespaces, VNI 100 with head-end replication, pings across the overlay,
# then the learned FDB and the counters.
#
#   ./demo.sh           install missing packages, build, run, clean up
#   ./demo.sh --keep    leave the topology running to poke at (see the end)
#   ./demo.sh --clean   remove a topology left by --keep
#
#   vm1a(ns) 192.0.2.11      vm2a(ns) 192.0.2.21      vm3a(ns) 192.0.2.31
#      |eth0                    |eth0                    |eth0
#   [h1: xvtep]              [h2: xvtep]              [h3: kernel vx100 + br100]
#       ul 198.51.100.1          ul .2                    ul .3
#          \_______________ [ul: bridge br0] ______________/
#
# Namespaces are xvt-demo-*, pin dirs /sys/fs/bpf/xvt-demo-h1 and -h2.


ROOT=$(cd "$(dirname "$0")" && pwd)
cd "$ROOT" || exit 1
export XVT_P=xvt-demo-
KEEP=0

usage()
{
	sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-0}"
}

demo_clean()
{
	local ns pin
	for pin in /sys/fs/bpf/${XVT_P}*; do
		[ -d "$pin" ] || continue
		ns=${pin##*/}
		[ -e "/run/netns/$ns" ] && [ -x build/xvtep-loader ] &&
			build/xvtep-loader --pin "$pin" -n "$ns" detach >/dev/null 2>&1
	done
	for ns in $(ip netns list | awk '{print $1}' | grep "^${XVT_P}"); do
		for p in $(ip netns pids "$ns"); do kill "$p" 2>/dev/null; done
		ip netns del "$ns"
	done
	for pin in /sys/fs/bpf/${XVT_P}*; do
		[ -d "$pin" ] && rm -rf "$pin"
	done
	echo "removed the demo namespaces (${XVT_P}*) and pin dirs"
}

case "${1:-}" in
"") ;;
--keep) KEEP=1 ;;
--clean) demo_clean; exit 0 ;;
-h|--help) usage 0 ;;
*) usage 2 ;;
esac

if [ "$(id -u)" != 0 ]; then
	echo "Error: the demo needs root (network namespaces, BPF)" >&2
	exit 1
fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "packages and build"
scripts/deps.sh || exit 1
make -s || { echo "Error: build failed" >&2; exit 1; }

# shellcheck source=tests/lib.sh
source "$ROOT/tests/lib.sh"
# shellcheck source=tests/integration/topology.sh
source "$ROOT/tests/integration/topology.sh"
[ $KEEP = 1 ] && XVT_KEEP=1
xvt_require_all

H1=$(h_ns 1)
H2=$(h_ns 2)
H3=$(h_ns 3)
ctl() { printf '$ xvtepctl -n %s --pin %s %s\n' "$1" "$(pin_dir "$1")" "${*:2}"; xvc "$@"; }

step "topology: underlay bridge, h1 + h2 running xvtep, h3 kernel vxlan"
if ! topo_std her; then
	echo "Error: setting up the topology failed: $TOPO_ERR" >&2
	exit 1
fi
for h in 1 2; do
	printf '$ xvtep-loader -n %s --pin %s attach --uplink ul --local %s\n' \
		"$(h_ns $h)" "$(pin_dir "$(h_ns $h)")" "$(ul_ip $h)"
	printf '$ xvtepctl ... vni add 100 remote ...; xvtepctl ... port add vm%sa vni 100\n' $h
done
echo "h3: ip link add vx100 type vxlan id 100 dstport 4789 local $(ul_ip 3) dev ul + bridge fdb append 00:00:00:00:00:00 dst ..."
printf '$ xvtep-loader -n %s --pin %s status\n' "$H1" "$(pin_dir "$H1")"
xvl "$H1" status

step "ping across the overlay"
vm_ping "vm1a(h1, xvtep) -> vm2a(h2, xvtep)" vm1a "$(vm_ip vm2a)" 3
vm_ping "vm2a(h2, xvtep) -> vm1a(h1, xvtep)" vm2a "$(vm_ip vm1a)" 3
vm_ping "vm1a(h1, xvtep) -> vm3a(h3, kernel vxlan)" vm1a "$(vm_ip vm3a)" 3
vm_ping "vm3a(h3, kernel vxlan) -> vm2a(h2, xvtep)" vm3a "$(vm_ip vm2a)" 3

step "learned FDB"
ctl "$H1" fdb show
ctl "$H2" fdb show
echo "\$ bridge fdb show dev vx100   (h3, kernel)"
in_ns "$H3" bridge fdb show dev vx100 | grep -v permanent

step "VNI config and counters"
ctl "$H1" vni show
ctl "$H1" stats vni 100
echo "\$ bpftool map dump pinned $(pin_dir "$H1")/xvtep_fdb"
bpftool map dump pinned "$(pin_dir "$H1")/xvtep_fdb" 2>&1 | head -n 60

step "result"
echo "$XVT_CHECKS_PASSED passed, $XVT_CHECKS_FAILED failed"
if [ $KEEP = 1 ]; then
	cat <<EOF

The topology is left running (--keep). Try:
  nsenter --net=/run/netns/${XVT_P}vm1a ping 192.0.2.31
  build/xvtepctl -n $H1 --pin $(pin_dir "$H1") fdb show
  build/xvtepctl -n $H1 --pin $(pin_dir "$H1") -j -p stats vni 100
  bpftool map dump pinned $(pin_dir "$H1")/xvtep_fdb
Remove it with: ./demo.sh --clean
EOF
fi
[ "$XVT_CHECKS_FAILED" -eq 0 ]
