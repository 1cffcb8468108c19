# SPDX-License-Identifier: GPL-2.0
# Sourced by tests/unit/run.sh and tests/fuzz/run.sh: the throwaway namespace
# whose devices the programs under BPF_PROG_TEST_RUN reference (fib lookups,
# devmap entries and clone redirects need real devices).
#
#   ut-up  (uplink, 198.51.100.1/24, neighbour 198.51.100.2 permanent;
#           2001:db8::1/64, neighbour 2001:db8::2 permanent) <-> ut-upp
#   ut-p1 <-> ut-p1p     ut-p2 <-> ut-p2p     (VM-facing ports)

# unit_netns NS : create NS with that layout; removed at exit (also on INT/TERM)
unit_netns()
{
	local ns=$1 d

	trap "ip netns del '$ns' 2>/dev/null" EXIT
	trap 'exit 1' INT TERM	# so that the EXIT trap runs
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up &&
	ip -n "$ns" link add ut-up type veth peer name ut-upp &&
	ip -n "$ns" link add ut-p1 type veth peer name ut-p1p &&
	ip -n "$ns" link add ut-p2 type veth peer name ut-p2p || return 1
	for d in ut-up ut-upp ut-p1 ut-p1p ut-p2 ut-p2p; do
		ip -n "$ns" link set "$d" up || return 1
	done
	ip -n "$ns" link set ut-up address 02:00:00:00:00:01 &&
	# fib lookups are made from the port as input device (see bpf/tc_port.c)
	nsenter --net=/run/netns/"$ns" sysctl -qw net.ipv4.conf.ut-p1.forwarding=1 \
		net.ipv4.conf.ut-p2.forwarding=1 net.ipv6.conf.ut-p1.forwarding=1 \
		net.ipv6.conf.ut-p2.forwarding=1 &&
	ip -n "$ns" addr add 198.51.100.1/24 dev ut-up &&
	ip -n "$ns" neigh replace 198.51.100.2 lladdr 02:00:00:00:00:02 dev ut-up nud permanent &&
	# the IPv6 underlay (tests/unit/ipv6.c): nodad, usable at once
	ip -n "$ns" addr add 2001:db8::1/64 dev ut-up nodad &&
	ip -n "$ns" neigh replace 2001:db8::2 lladdr 02:00:00:00:00:02 dev ut-up nud permanent
}
