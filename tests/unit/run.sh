#!/bin/bash
# Unit tests: BPF_PROG_TEST_RUN on the real object inside a throwaway netns,
# so fib lookups, devmap entries and clone redirects see real devices.
#
#   ut-up  (uplink, 198.51.100.1/24, neighbour 198.51.100.2 permanent) <-> ut-upp
#   ut-p1 <-> ut-p1p     ut-p2 <-> ut-p2p     (VM-facing ports)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
ns=xvt-unit-$$
bin=${UNIT_BIN:-$top/build/tests/unit_tests}

cleanup() { ip netns del "$ns" 2>/dev/null; }
trap cleanup EXIT

ip netns add "$ns" || { echo "FAIL: unit: setup: cannot create netns"; exit 1; }
n() { ip -n "$ns" "$@"; }
n link set lo up
n link add ut-up type veth peer name ut-upp
n link add ut-p1 type veth peer name ut-p1p
n link add ut-p2 type veth peer name ut-p2p
for d in ut-up ut-upp ut-p1 ut-p1p ut-p2 ut-p2p; do n link set "$d" up; done
n link set ut-up address 02:00:00:00:00:01
# fib lookups are made from the port as input device (see bpf/tc_port.c)
ip netns exec "$ns" sysctl -qw net.ipv4.conf.ut-p1.forwarding=1 net.ipv4.conf.ut-p2.forwarding=1
n addr add 198.51.100.1/24 dev ut-up
n neigh replace 198.51.100.2 lladdr 02:00:00:00:00:02 dev ut-up nud permanent
nsenter --net=/run/netns/"$ns" "$bin" "$@"
