#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# xvtep forwarding tests: xvtep <-> xvtep and xvtep <-> Linux kernel vxlan.
#
#   vm1a(ns) [vm1b(ns)]      vm2a(ns) [vm2b(ns)]      vm3a(ns)
#   192.0.2.11 [.12]         192.0.2.21 [.22]         192.0.2.31     overlay, MTU 1450
#      |eth0                    |eth0                    |eth0
#   [h1: xvtep]              [h2: xvtep]              [h3: kernel vx100 + br100]
#       ul 198.51.100.1          ul .2                    ul .3      underlay, MTU 1500
#          \_______________ [ul: bridge br0] ______________/
#
# VNI 100 (and 200 in vni_isolation). Flooding per test: head-end replication
# (remote list, kernel: all-zeros FDB entries) or multicast group 239.1.1.1.
# Each test builds the topology, checks, and tears it down.

ALL_TESTS="
	ping_xvtep
	ping_kernel
	flood_learn_unicast
	ageing
	static_entries
	vni_isolation
	mcast_group
	head_end_replication
	learning_knobs
	tcp_transfer
	decap_modes
	inner_ipv6
	underlay_unresolved
	xdp_encap
"

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/topology.sh"

H1=$(h_ns 1)
H2=$(h_ns 2)
H3=$(h_ns 3)
MAC1A=$(vm_mac vm1a)
MAC1B=$(vm_mac vm1b)
MAC2A=$(vm_mac vm2a)
MAC2B=$(vm_mac vm2b)
MAC3A=$(vm_mac vm3a)
IP1A=$(vm_ip vm1a)
IP2A=$(vm_ip vm2a)
IP3A=$(vm_ip vm3a)

# xdp_prog_on NS DEV : exit 0 if an XDP program is attached to DEV
xdp_prog_on()
{
	in_ns "$1" ip -j link show dev "$2" | jq -e '.[0].xdp != null' >/dev/null
}

ping_xvtep()
{
	local T=ping_xvtep
	topo_std her
	topo_check $T $? || return

	vm_ping "$T: vm1a(h1) -> vm2a(h2)" vm1a "$IP2A" 3
	vm_ping "$T: vm2a(h2) -> vm1a(h1)" vm2a "$IP1A" 3
	vm_ping "$T: full-size 1450 B frame, DF set" vm1a "$IP2A" 2 -s 1422 -M "do"
	check_eq "$T: h1 learned vm1a on its port" "$(fdb_where "$H1" 100 "$MAC1A")" "dev vm1a"
	check_eq "$T: h1 learned vm2a behind h2" "$(fdb_where "$H1" 100 "$MAC2A")" "remote $(ul_ip 2)"
	check_eq "$T: h2 learned vm1a behind h1" "$(fdb_where "$H2" 100 "$MAC1A")" "remote $(ul_ip 1)"
	check_eq "$T: h2 learned vm2a on its port" "$(fdb_where "$H2" 100 "$MAC2A")" "dev vm2a"
	check_cmp "$T: h1 stats count tx" "$(vni_stat "$H1" 100 tx_packets)" -ge 6
	check_cmp "$T: h1 stats count rx" "$(vni_stat "$H1" 100 rx_packets)" -ge 6
	check "$T: XDP program on h1 uplink (decap hybrid)" xdp_prog_on "$H1" ul
}

ping_kernel()
{
	local T=ping_kernel
	topo_std her
	topo_check $T $? || return

	vm_ping "$T: vm1a(xvtep h1) -> vm3a(kernel h3)" vm1a "$IP3A" 3
	vm_ping "$T: vm3a(kernel h3) -> vm1a(xvtep h1)" vm3a "$IP1A" 3
	vm_ping "$T: vm3a(kernel h3) -> vm2a(xvtep h2)" vm3a "$IP2A" 3
	vm_ping "$T: vm2a(xvtep h2) -> vm3a(kernel h3)" vm2a "$IP3A" 3
	vm_ping "$T: full-size 1450 B frame to kernel, DF set" vm1a "$IP3A" 2 -s 1422 -M "do"
	vm_ping "$T: full-size 1450 B frame from kernel, DF set" vm3a "$IP1A" 2 -s 1422 -M "do"
	check_eq "$T: h1 learned vm3a behind h3" "$(fdb_where "$H1" 100 "$MAC3A")" "remote $(ul_ip 3)"
	local kdst
	kdst=$(in_ns "$H3" bridge -j fdb show dev vx100 | jq -r --arg m "$MAC1A" '.[] | select(.mac == $m) | .dst // empty' | head -n1)
	check_eq "$T: kernel vxlan on h3 learned vm1a behind h1" "$kdst" "$(ul_ip 1)"
}

# flood_counters : "K R T F" = kernel h3's vx100 rx packets, h2's VNI 100
# rx_packets, h1's VNI 100 tx_packets and events.flooded
flood_counters()
{
	echo "$(link_stat "$H3" vx100 rx packets) $(vni_stat "$H2" 100 rx_packets)" \
		"$(vni_stat "$H1" 100 tx_packets) $(vni_stat "$H1" 100 events.flooded)"
}

# The first ARP is flooded (one copy to each remote), the answer is learned,
# every later frame goes to exactly one VTEP.
flood_learn_unicast()
{
	local T=flood_learn_unicast
	topo_std her
	topo_check $T $? || return

	check_eq "$T: h1 FDB of VNI 100 empty before traffic" "$(fdb_json "$H1" 100 | jq length)" 0
	local k0 r0 t0 f0 k1 r1 t1 f1
	read -r k0 r0 t0 f0 < <(flood_counters)
	vm_ping "$T: first ping vm1a -> vm2a (ARP + echo)" vm1a "$IP2A" 1
	sleep 0.3
	read -r k1 r1 t1 f1 < <(flood_counters)
	check_eq "$T: ARP flood reached kernel host h3 once" "$((k1 - k0))" 1 "h3 vx100 rx packets"
	check_eq "$T: h2 delivered ARP + echo request" "$((r1 - r0))" 2 "h2 rx_packets"
	check_eq "$T: h1 sent 2 ARP copies + 1 echo request" "$((t1 - t0))" 3 "h1 tx_packets"
	check_eq "$T: h1 flooded one frame" "$((f1 - f0))" 1 "h1 events.flooded"
	check_eq "$T: h1 learned vm2a behind h2" "$(fdb_where "$H1" 100 "$MAC2A")" "remote $(ul_ip 2)"
	check_eq "$T: h1 learned vm1a on port vm1a" "$(fdb_where "$H1" 100 "$MAC1A")" "dev vm1a"
	check_eq "$T: h2 learned vm1a from the flooded ARP" "$(fdb_where "$H2" 100 "$MAC1A")" "remote $(ul_ip 1)"
	check_eq "$T: h1 knows nothing of silent vm3a" "$(fdb_where "$H1" 100 "$MAC3A")" absent

	# Only the echo requests may cross now: vm2a's entry for vm1a, learned
	# from the ARP, would otherwise be probed by unicast ARP 5 s after its
	# first use, and the reply counted (CI once saw 21).
	check "$T: vm1a and vm2a keep each other as permanent neighbours" sh -c \
		"ip netns exec $(vm_ns vm2a) ip neigh replace $IP1A lladdr $MAC1A dev eth0 nud permanent &&
		 ip netns exec $(vm_ns vm1a) ip neigh replace $IP2A lladdr $MAC2A dev eth0 nud permanent"
	read -r k1 r1 t1 f1 < <(flood_counters)
	k0=$k1 r0=$r1 t0=$t1 f0=$f1
	vm_ping "$T: 20 more pings vm1a -> vm2a" vm1a "$IP2A" 20
	sleep 0.3
	read -r k1 r1 t1 f1 < <(flood_counters)
	check_eq "$T: unicast: kernel host h3 got no copy" "$((k1 - k0))" 0 "h3 vx100 rx packets"
	check_eq "$T: unicast: h2 got exactly 20" "$((r1 - r0))" 20 "h2 rx_packets"
	check_eq "$T: unicast: h1 sent exactly 20" "$((t1 - t0))" 20 "h1 tx_packets"
	check_eq "$T: unicast: h1 flooded nothing" "$((f1 - f0))" 0 "h1 events.flooded"
}

# Ageing time A = XVT_AGEING_S (default 3; the TCG guest of tests/kernel61
# sets more, its CLI calls being slow): a learned entry is gone between 5A/6
# and 5A/3 s (2.5-5 s for A=3; 1 s sweep) after the last frame; an entry
# refreshed by traffic for 2A s stays. Everything is timed from the last
# frame, and the checks that need the entries present come first.
AGEING_S=${XVT_AGEING_S:-3}

ageing()
{
	local T=ageing A=$AGEING_S
	TOPO_VNI_ARGS="ageing $A" topo_std her
	topo_check $T $? || return

	check_eq "$T: vni show reports ageing $A" \
		"$(xvc "$H1" -j vni show 100 | jq '[.. | objects | select(.vni? == 100)][0].ageing')" "$A"
	local a0 start now fj vs gone=
	a0=$(vni_stat "$H1" 100 events.aged)
	# refreshed: 2A s of pings (one each 0.5 s) keep both entries alive
	vm_ping "$T: pings for $((2 * A)) s" vm1a "$IP2A" $((4 * A)) -i 0.5
	start=$(date +%s%N)
	vms_quiet vm1a vm2a vm3a
	# the state right after the last frame, checked afterwards
	fj=$(fdb_json "$H1" 100)
	vs=$(xvc "$H1" -j vni show 100)
	xvt_log "$T: FDB read $((($(date +%s%N) - start) / 1000000)) ms after the last frame"
	check_cmp "$T: learned count is 2" "$(jq '[.. | objects | select(.vni? == 100)][0].learned' <<<"$vs")" -eq 2
	check_eq "$T: refreshed remote entry outlives the ageing time" \
		"$(fdb_where_in "$fj" 100 "$MAC2A")" "remote $(ul_ip 2)"
	check_eq "$T: refreshed local entry outlives the ageing time" \
		"$(fdb_where_in "$fj" 100 "$MAC1A")" "dev vm1a"
	# poll until 10A/3 s (10 s for A=3) after the last frame
	while now=$(date +%s%N); [ $((now - start)) -lt $((A * 10000000000 / 3)) ]; do
		fj=$(fdb_json "$H1" 100)
		now=$(date +%s%N)
		if [ "$(fdb_where_in "$fj" 100 "$MAC2A")" == absent ] &&
		   [ "$(fdb_where_in "$fj" 100 "$MAC1A")" == absent ]; then
			gone=$(((now - start) / 1000000))
			break
		fi
		sleep 0.25
	done
	if [ -z "$gone" ]; then
		check_fail "$T: idle entries aged out" "still present $((A * 10 / 3)) s after the last frame: $(fdb_json "$H1" 100)"
	else
		check_cmp "$T: idle entries aged out within $((A * 5000 / 3)) ms" "$gone" -le $((A * 5000 / 3)) "ms after last frame"
		check_cmp "$T: idle entries not removed before $((A * 2500 / 3)) ms" "$gone" -ge $((A * 2500 / 3)) "ms after last frame"
	fi
	check_cmp "$T: aged event counted" "$(($(vni_stat "$H1" 100 events.aged) - a0))" -ge 2
	check_eq "$T: learned count back to 0" \
		"$(xvc "$H1" -j vni show 100 | jq '[.. | objects | select(.vni? == 100)][0].learned')" 0
	vm_ping "$T: forwarding works again after ageing (re-flood, re-learn)" vm1a "$IP2A" 2
}

static_entries()
{
	local T=static_entries
	TOPO_VNI_ARGS="ageing $AGEING_S" topo_std her
	topo_check $T $? || return

	check "$T: fdb add static local" xvc "$H1" fdb add "$MAC1A" vni 100 dev vm1a
	check "$T: fdb add static remote" xvc "$H1" fdb add "$MAC2A" vni 100 remote "$(ul_ip 2)"
	check_eq "$T: static local entry shown" "$(fdb_where "$H1" 100 "$MAC1A")" "dev vm1a static"
	check_eq "$T: static remote entry shown" "$(fdb_where "$H1" 100 "$MAC2A")" "remote $(ul_ip 2) static"
	vm_ping "$T: vm1a -> vm2a over static entries" vm1a "$IP2A" 3
	sleep $((AGEING_S * 5 / 3))
	check_eq "$T: static entry survives ageing (local)" "$(fdb_where "$H1" 100 "$MAC1A")" "dev vm1a static"
	check_eq "$T: static entry survives ageing (remote)" "$(fdb_where "$H1" 100 "$MAC2A")" "remote $(ul_ip 2) static"
	check "$T: fdb flush vni 100 dynamic" xvc "$H1" fdb flush vni 100 dynamic
	check_eq "$T: static entries survive a dynamic flush" \
		"$(fdb_json "$H1" 100 | jq -c '[.[] | select(.static == true)] | length')" 2

	# vm2b on h2 claims vm1a's MAC: its broadcast reaches h1 from the
	# overlay, where the MAC is static on port vm1a -> static_conflict
	local c0 c1
	c0=$(vni_stat "$H1" 100 drops.static_conflict)
	if vm_add 2 vm2b "" "$MAC1A" && topo_do xvc "$H2" port add vm2b vni 100; then
		in_ns "$(vm_ns vm2b)" ping -q -c 2 -i 0.3 -W 1 192.0.2.99 >/dev/null 2>&1
		sleep 0.5
		c1=$(vni_stat "$H1" 100 drops.static_conflict)
		check_cmp "$T: frame from the overlay with a static local MAC: static_conflict" "$((c1 - c0))" -ge 1
		check_eq "$T: static local entry not moved by overlay traffic" "$(fdb_where "$H1" 100 "$MAC1A")" "dev vm1a static"
	else
		check_fail "$T: vm2b with a duplicate MAC" "$TOPO_ERR"
	fi

	# vm1b on h1 claims vm2a's MAC (static behind h2) on a local port
	c0=$(vni_stat "$H1" 100 drops.static_conflict)
	if xvtep_vm 1 vm1b 100 "" "$MAC2A"; then
		in_ns "$(vm_ns vm1b)" ping -q -c 2 -i 0.3 -W 1 192.0.2.99 >/dev/null 2>&1
		sleep 0.5
		c1=$(vni_stat "$H1" 100 drops.static_conflict)
		check_cmp "$T: frame from a port with a static remote MAC: static_conflict" "$((c1 - c0))" -ge 1
		check_eq "$T: static remote entry not moved by local traffic" "$(fdb_where "$H1" 100 "$MAC2A")" "remote $(ul_ip 2) static"
	else
		check_fail "$T: vm1b with a duplicate MAC" "$TOPO_ERR"
	fi

	# vm1b's ARP retries for .99 go on for seconds: silence it, or it re-learns the MAC
	check "$T: vm1b silent (link down)" in_ns "$(vm_ns vm1b)" ip link set eth0 down
	check "$T: fdb del static" xvc "$H1" fdb del "$MAC2A" vni 100
	check_eq "$T: deleted static entry gone" "$(fdb_where "$H1" 100 "$MAC2A")" absent
}

# Same inner IP addresses in VNI 100 and 200: each VM reaches its own VNI's peer only.
vni_isolation()
{
	local T=vni_isolation
	topo_underlay &&
	xvtep_host 1 && xvtep_host 2 &&
	xvtep_vni 1 100 her && xvtep_vni 1 200 her &&
	xvtep_vni 2 100 her && xvtep_vni 2 200 her &&
	xvtep_vm 1 vm1a 100 192.0.2.11 && xvtep_vm 1 vm1b 200 192.0.2.11 &&
	xvtep_vm 2 vm2a 100 192.0.2.21 && xvtep_vm 2 vm2b 200 192.0.2.21 &&
	ul_prewarm
	topo_check $T $? || return

	local a0 b0
	b0=$(link_stat "$(vm_ns vm2b)" eth0 rx packets)
	vm_ping "$T: VNI 100: vm1a -> 192.0.2.21" vm1a 192.0.2.21 3
	check_eq "$T: VNI 100 resolved 192.0.2.21 to vm2a" "$(neigh_mac vm1a 192.0.2.21)" "$MAC2A"
	check_eq "$T: VNI 200 VM vm2b saw none of it" "$(($(link_stat "$(vm_ns vm2b)" eth0 rx packets) - b0))" 0 "vm2b rx packets"
	a0=$(link_stat "$(vm_ns vm2a)" eth0 rx packets)
	vm_ping "$T: VNI 200: vm1b -> 192.0.2.21" vm1b 192.0.2.21 3
	check_eq "$T: VNI 200 resolved 192.0.2.21 to vm2b" "$(neigh_mac vm1b 192.0.2.21)" "$MAC2B"
	check_eq "$T: VNI 100 VM vm2a saw none of it" "$(($(link_stat "$(vm_ns vm2a)" eth0 rx packets) - a0))" 0 "vm2a rx packets"
	vm_ping "$T: VNI 200: vm2b -> 192.0.2.11" vm2b 192.0.2.11 2
	check_eq "$T: VNI 200 resolved 192.0.2.11 to vm1b" "$(neigh_mac vm2b 192.0.2.11)" "$MAC1B"
	check_eq "$T: h1 VNI 100 FDB: vm2a behind h2" "$(fdb_where "$H1" 100 "$MAC2A")" "remote $(ul_ip 2)"
	check_eq "$T: h1 VNI 100 FDB: no vm2b" "$(fdb_where "$H1" 100 "$MAC2B")" absent
	check_eq "$T: h1 VNI 200 FDB: vm2b behind h2" "$(fdb_where "$H1" 200 "$MAC2B")" "remote $(ul_ip 2)"
	check_eq "$T: h1 VNI 200 FDB: no vm2a" "$(fdb_where "$H1" 200 "$MAC2A")" absent
	check_cmp "$T: h2 VNI 200 rx counted" "$(vni_stat "$H2" 200 rx_packets)" -ge 3
}

# BUM to the multicast group only (no remote list); kernel VTEP in the same group.
mcast_group()
{
	local T=mcast_group
	topo_std group
	topo_check $T $? || return

	check "$T: h1 uplink joined 239.1.1.1" sh -c "nsenter --net=/run/netns/$H1 ip maddr show dev ul | grep -q 239.1.1.1"
	check "$T: h2 uplink joined 239.1.1.1" sh -c "nsenter --net=/run/netns/$H2 ip maddr show dev ul | grep -q 239.1.1.1"
	cap_start "$NS_UL" h1 "udp dst port $VXPORT"
	vm_ping "$T: vm1a(h1) -> vm2a(h2)" vm1a "$IP2A" 1
	cap_stop "$CAP_PID"
	check_eq "$T: the ARP went once to the group" "$(cap_count "$CAP_FILE" "dst host $GROUP100")" 1
	check_eq "$T: no unicast flood copies" "$(cap_count "$CAP_FILE" "dst host $(ul_ip 3)")" 0
	check "$T: group copy sent with TTL 1" sh -c "tcpdump -nn -v -r '$CAP_FILE' 'dst host $GROUP100' 2>/dev/null | grep -q 'ttl 1,'"
	check_eq "$T: h2 learned vm1a from the group copy" "$(fdb_where "$H2" 100 "$MAC1A")" "remote $(ul_ip 1)"
	vm_ping "$T: vm2a(h2) -> vm1a(h1)" vm2a "$IP1A" 2
	vm_ping "$T: vm1a(h1) -> vm3a(kernel h3)" vm1a "$IP3A" 2
	vm_ping "$T: vm3a(kernel h3) -> vm2a(h2)" vm3a "$IP2A" 2
	check_eq "$T: h2 learned vm3a behind h3" "$(fdb_where "$H2" 100 "$MAC3A")" "remote $(ul_ip 3)"
	# leaving the group when the VNI goes away
	xvc "$H1" port del vm1a >/dev/null 2>&1
	check "$T: vni del 100" xvc "$H1" vni del 100
	check_not "$T: h1 uplink left 239.1.1.1" sh -c "nsenter --net=/run/netns/$H1 ip maddr show dev ul | grep -q 239.1.1.1"
}

# BUM to the remote list only: one unicast copy per remote, nothing to a group.
head_end_replication()
{
	local T=head_end_replication
	topo_std her
	topo_check $T $? || return

	check_eq "$T: vni show lists 2 remotes" \
		"$(xvc "$H1" -j vni show 100 | jq -c '[.. | objects | select(.vni? == 100)][0].remotes | sort')" \
		"[\"$(ul_ip 2)\",\"$(ul_ip 3)\"]"
	cap_start "$NS_UL" h1 "udp dst port $VXPORT"
	vm_ping "$T: vm1a -> vm2a" vm1a "$IP2A" 1
	cap_stop "$CAP_PID"
	check_eq "$T: copies to h2 (ARP + echo)" "$(cap_count "$CAP_FILE" "dst host $(ul_ip 2)")" 2
	check_eq "$T: copies to h3 (ARP only)" "$(cap_count "$CAP_FILE" "dst host $(ul_ip 3)")" 1
	check_eq "$T: nothing to a multicast group" "$(cap_count "$CAP_FILE" "dst net 224.0.0.0/4")" 0
	vm_ping "$T: vm3a(kernel) -> vm1a" vm3a "$IP1A" 2

	# shrink the list: only h2 gets the next broadcast
	check "$T: vni set 100 remote h2 only" xvc "$H1" vni set 100 remote "$(ul_ip 2)"
	check_eq "$T: vni show lists 1 remote" \
		"$(xvc "$H1" -j vni show 100 | jq -c '[.. | objects | select(.vni? == 100)][0].remotes')" \
		"[\"$(ul_ip 2)\"]"
	cap_start "$NS_UL" h1 "udp dst port $VXPORT"
	in_ns "$(vm_ns vm1a)" ping -q -c 1 -W 1 192.0.2.99 >/dev/null 2>&1
	cap_stop "$CAP_PID"
	check_cmp "$T: after vni set: broadcast copies to h2" "$(cap_count "$CAP_FILE" "dst host $(ul_ip 2)")" -ge 1
	check_eq "$T: after vni set: no copy to h3" "$(cap_count "$CAP_FILE" "dst host $(ul_ip 3)")" 0
}

learning_knobs()
{
	local T=learning_knobs
	topo_underlay &&
	xvtep_host 1 && xvtep_host 2 &&
	xvtep_vni 1 100 her nolearning && xvtep_vni 2 100 her &&
	xvtep_vm 1 vm1a 100 && xvtep_vm 1 vm1b 100 && xvtep_vm 2 vm2a 100 &&
	ul_prewarm
	topo_check $T $? || return

	check_eq "$T: vni show: learning false" \
		"$(xvc "$H1" -j vni show 100 | jq '[.. | objects | select(.vni? == 100)][0].learning')" false
	vm_ping "$T: nolearning: vm1a -> vm2a by flooding" vm1a "$IP2A" 3
	check_eq "$T: nolearning: h1 learned nothing" "$(fdb_json "$H1" 100 | jq length)" 0
	check_eq "$T: h2 (learning) learned vm1a" "$(fdb_where "$H2" 100 "$MAC1A")" "remote $(ul_ip 1)"

	check "$T: vni set mac-limit 2 on h2" xvc "$H2" vni set 100 mac-limit 2
	local l0
	l0=$(vni_stat "$H2" 100 events.learn_limit)
	vm_ping "$T: mac-limit: vm1b -> vm2a still works" vm1b "$IP2A" 3
	check_cmp "$T: mac-limit: learn_limit event counted" "$(($(vni_stat "$H2" 100 events.learn_limit) - l0))" -ge 1
	check_eq "$T: mac-limit: vm1b not learned" "$(fdb_where "$H2" 100 "$MAC1B")" absent
	check_eq "$T: mac-limit: learned count is 2" \
		"$(xvc "$H2" -j vni show 100 | jq '[.. | objects | select(.vni? == 100)][0].learned')" 2
}

tcp_transfer()
{
	local T=tcp_transfer
	topo_std her
	topo_check $T $? || return

	iperf "$T: iperf3 vm1a -> vm2a (xvtep both ends)" vm1a vm2a "$IP2A"
	iperf "$T: iperf3 vm2a -> vm1a (reverse)" vm1a vm2a "$IP2A" -R
	iperf "$T: iperf3 vm1a -> vm3a (xvtep -> kernel)" vm1a vm3a "$IP3A"
	iperf "$T: iperf3 vm3a -> vm1a (kernel -> xvtep)" vm1a vm3a "$IP3A" -R
	tcp_sha "$T: ${XFER_MB} MB file vm1a -> vm2a, sha256 equal" vm1a vm2a "$IP2A"
	tcp_sha "$T: ${XFER_MB} MB file vm2a -> vm1a, sha256 equal" vm2a vm1a "$IP1A"
	tcp_sha "$T: ${XFER_MB} MB file vm3a(kernel) -> vm2a, sha256 equal" vm3a vm2a "$IP2A"
	check_eq "$T: no mtu_exceeded drops on h1" "$(vni_stat "$H1" 100 drops.mtu_exceeded)" 0
}

# inner_ipv6: IPv6 in the overlay (over the IPv4 underlay), TCP with GSO
# across the veths, through TC decap with bpf_skb_adjust_room's DECAP_L3
# flags where the kernel has them, and without (XVTEP_FEATURES_OFF=decap-l3,
# as on Linux < 6.3), where the port's receiving device sets the protocol.
inner_ipv6()
{
	local T off vm n ip6a=2001:db8:100::11 ip6b=2001:db8:100::21
	for off in "" decap-l3; do
		T="inner_ipv6[${off:-probed}]"
		XVTEP_FEATURES_OFF=$off topo_std her --decap tc
		topo_check "$T" $? || { topo_destroy; continue; }
		check_eq "$T: status -j: decap-l3 as asked" \
			"$(xvl "$H1" -j status | jq '.features["decap-l3"].on and .features["decap-l3"].forced != true')" \
			"$([ -z "$off" ] && xvl "$H1" -j status | jq '.features["decap-l3"].on' || echo false)"
		n=0
		for vm in vm1a vm2a; do
			n=$((n + 1))
			in_ns "$(vm_ns $vm)" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
				net.ipv6.conf.eth0.disable_ipv6=0
			in_ns "$(vm_ns $vm)" ip addr add "2001:db8:100::${n}1/64" dev eth0 nodad
		done
		check "$T: ping6 vm1a -> vm2a (neighbour discovery flooded, then unicast)" \
			in_ns "$(vm_ns vm1a)" ping -6 -n -c 3 -i 0.2 -W 2 "$ip6b"
		tcp_sha "$T: ${XFER_MB} MB over TCP/IPv6 vm1a -> vm2a, sha256 equal" vm1a vm2a "$ip6b"
		tcp_sha "$T: ${XFER_MB} MB over TCP/IPv6 vm2a -> vm1a, sha256 equal" vm2a vm1a "$ip6a"
		check_eq "$T: h1 dropped nothing as malformed" "$(vni_stat "$H1" 100 drops.malformed)" 0
		topo_destroy
	done
}

# decap xdp / tc and generic XDP: attach, hooks as documented, forwarding,
# TCP (except in mode xdp, see below)
# XVT_DECAP_XFERS: decap_modes' TCP transfers, "xvtep" (vm1a -> vm2a) and/or
# "kernel" (vm3a, behind the kernel's vxlan, -> vm1a); default both
DECAP_XFERS=${XVT_DECAP_XFERS-xvtep kernel}

decap_modes()
{
	local T mode
	local modes=("xdp" "tc" "hybrid --xdp-mode generic" "auto")
	# XVT_DECAP_MODES: a subset, one mode a word ("generic" for hybrid
	# --xdp-mode generic), e.g. in the 6.1 guest, where each attach costs
	# seconds
	[ -n "${XVT_DECAP_MODES:-}" ] && mapfile -t modes < <(tr ' ' '\n' <<<"$XVT_DECAP_MODES" |
		sed 's/^generic$/hybrid --xdp-mode generic/' | grep .)
	for mode in "${modes[@]}"; do
		T="decap_modes[${mode// /}]"
		# shellcheck disable=SC2086
		topo_std her --decap $mode
		topo_check "$T" $? || { topo_destroy; continue; }
		if [ "$mode" == tc ] || [ "$mode" == auto ]; then
			check_not "$T: no XDP program on the uplink" xdp_prog_on "$H1" ul
		else
			check "$T: XDP program on the uplink" xdp_prog_on "$H1" ul
		fi
		# auto on a veth uplink: TC decap (TSO on the peer survives), recorded in status
		[ "$mode" == auto ] && check_eq "$T: auto chose tc for a veth uplink" \
			"$(xvl "$H1" -j status | jq -r .decap_mode)" tc
		vm_ping "$T: vm1a -> vm2a" vm1a "$IP2A" 3
		vm_ping "$T: vm3a(kernel) -> vm1a" vm3a "$IP1A" 3
		vm_ping "$T: full-size 1450 B frames vm1a -> vm2a, DF set" vm1a "$IP2A" 2 -s 1422 -M "do"
		if [ "$mode" == xdp ]; then
			# Known limitation (docs/design.md, "Decap modes"): on a veth uplink the
			# XDP path loses CHECKSUM_PARTIAL, so TCP from a local socket
			# arrives with a bad checksum (TcpInCsumErrors). Mode xdp is for
			# physical NICs; TCP is not asserted here.
			xvt_log "$T: TCP not tested in decap mode xdp on veth (CHECKSUM_PARTIAL limitation)"
		else
			[[ " $DECAP_XFERS " == *" xvtep "* ]] &&
				tcp_sha "$T: ${XFER_MB} MB file vm1a -> vm2a, sha256 equal" vm1a vm2a "$IP2A"
			[[ " $DECAP_XFERS " == *" kernel "* ]] &&
				tcp_sha "$T: ${XFER_MB} MB file vm3a(kernel) -> vm1a, sha256 equal" vm3a vm1a "$IP1A"
		fi
		topo_destroy
	done
}

# nstat_val NS COUNTER : a kernel SNMP counter (absolute) in NS
nstat_val()
{
	in_ns "$1" nstat -az "$2" 2>/dev/null | awk -v c="$2" '$1 == c { print $2; f = 1 } END { if (!f) print 0 }'
}

# tso_of VM : the VM side's tcp-segmentation-offload (on/off)
tso_of()
{
	in_ns "$(vm_ns "$1")" ethtool -k eth0 | awk '/^tcp-segmentation-offload:/ { print $2 }'
}

# xdp_id NS DEV : id of the XDP program on DEV (empty if none)
xdp_id()
{
	in_ns "$1" ip -j link show dev "$2" | jq -r '.[0].xdp.prog.id // empty'
}

# port encap xdp on vm1a: the XDP encap fast path (bpf/xdp_port.c) toward
# xvtep and kernel VTEPs; checksums the kernel's receivers verify (TCP, UDP);
# the VM's TSO off while it is on, back after `encap tc`; kept by a re-attach
# and restored by an attach from the pins.
xdp_encap()
{
	local T=xdp_encap e0 e1 id0 id1 p3 stale out
	topo_std her &&
	# XDP frames into the uplink veth need its other end to run NAPI
	topo_do in_ns "$NS_UL" ethtool -K h1 gro on
	topo_check $T $? || return
	p3=$(vm_ns vm3a)

	check_eq "$T: the VM's TSO is on before" "$(tso_of vm1a)" on
	check "$T: port set vm1a encap xdp" xvc "$H1" port set vm1a encap xdp
	check "$T: XDP program on port vm1a" xdp_prog_on "$H1" vm1a
	check_eq "$T: port show says encap xdp" \
		"$(xvc "$H1" -j port show vm1a | jq -r '.[0].encap')" xdp
	check_eq "$T: ... in the text table too (ENCAP column)" \
		"$(xvc "$H1" port show vm1a | awk 'NR == 1 {print $4} NR == 2 {print $1, $3, $4}' | paste -sd'|')" \
		"ENCAP|vm1a 100 xdp"
	check_eq "$T: the VM's TSO is off (XDP on its veth's other end)" "$(tso_of vm1a)" off
	check "$T: links/port_xdp_<ifindex> pinned" \
		test -e "$(pin_dir "$H1")/links/port_xdp_$(in_ns "$H1" ip -j link show dev vm1a | jq -r '.[0].ifindex')"
	check_eq "$T: status lists the port's XDP link, running the port XDP program" \
		"$(xvl "$H1" -j status | jq -r '.programs | [(.port_xdp_links | length),
			(.port_xdp_links[0].prog_id == .xvtep_xdp_port.prog_id)] | @tsv')" "$(printf '1\ttrue')"

	e0=$(vni_stat "$H1" 100 events.xdp_encap)
	vm_ping "$T: vm1a -> vm2a (xvtep)" vm1a "$IP2A" 3
	vm_ping "$T: vm1a -> vm3a (kernel vxlan)" vm1a "$IP3A" 3
	vm_ping "$T: full-size 1450 B frames vm1a -> vm3a, DF set" vm1a "$IP3A" 2 -s 1422 -M "do"
	e1=$(vni_stat "$H1" 100 events.xdp_encap)
	check_cmp "$T: XDP encapsulated the echo requests (xdp_encap $e0 -> $e1)" \
		"$((e1 - e0))" -ge 8

	local tcp_err0 udp_err0 udp_in0
	tcp_err0=$(nstat_val "$p3" TcpInCsumErrors)
	udp_err0=$(nstat_val "$p3" UdpInCsumErrors)
	udp_in0=$(nstat_val "$p3" UdpInDatagrams)
	e0=$(vni_stat "$H1" 100 events.xdp_encap)
	tcp_sha "$T: ${XFER_MB} MB file vm1a -> vm3a (kernel), sha256 equal" vm1a vm3a "$IP3A"
	tcp_sha "$T: ${XFER_MB} MB file vm1a -> vm2a (xvtep), sha256 equal" vm1a vm2a "$IP2A"
	e1=$(vni_stat "$H1" 100 events.xdp_encap)
	check_cmp "$T: the TCP segments took the XDP path (xdp_encap +$((e1 - e0)))" \
		"$((e1 - e0))" -ge 5000
	in_ns "$(vm_ns vm1a)" "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(200):
    s.sendto(bytes(range(256)) * 4 + bytes(i % 7), ("'"$IP3A"'", 9))
'
	sleep 0.3
	check_cmp "$T: vm3a (kernel) received the 200 UDP datagrams" \
		"$(($(nstat_val "$p3" UdpInDatagrams) + $(nstat_val "$p3" UdpNoPorts) - udp_in0))" -ge 200
	check_eq "$T: vm3a saw no TCP checksum errors" "$(nstat_val "$p3" TcpInCsumErrors)" "$tcp_err0"
	check_eq "$T: vm3a saw no UDP checksum errors" "$(nstat_val "$p3" UdpInCsumErrors)" "$udp_err0"

	# Re-attach: the link keeps its place and runs the new program.
	id0=$(xdp_id "$H1" vm1a)
	check "$T: re-attach" xvl "$H1" attach --uplink ul --local "$(ul_ip 1)" --decap hybrid
	id1=$(xdp_id "$H1" vm1a)
	check "$T: re-attach replaced the port's XDP program ($id0 -> $id1)" \
		test -n "$id1" -a "$id0" != "$id1"
	vm_ping "$T: vm1a -> vm3a after the re-attach" vm1a "$IP3A" 2
	# Detach keeping the maps, attach from the pins: the XDP link comes back.
	check "$T: detach --keep-maps" xvl "$H1" detach --keep-maps
	check_not "$T: no XDP program on vm1a after the detach" xdp_prog_on "$H1" vm1a
	check "$T: attach from the pins" xvl "$H1" attach --uplink ul --local "$(ul_ip 1)" --decap hybrid
	check "$T: XDP program on vm1a again" xdp_prog_on "$H1" vm1a
	e0=$(vni_stat "$H1" 100 events.xdp_encap)
	vm_ping "$T: vm1a -> vm3a after the attach from the pins" vm1a "$IP3A" 2
	check_cmp "$T: ... through XDP" "$(($(vni_stat "$H1" 100 events.xdp_encap) - e0))" -ge 2

	check "$T: port set vm1a encap tc" xvc "$H1" port set vm1a encap tc
	check_not "$T: no XDP program on vm1a" xdp_prog_on "$H1" vm1a
	check_eq "$T: the VM's TSO is back on" "$(tso_of vm1a)" on
	e0=$(vni_stat "$H1" 100 events.xdp_encap)
	vm_ping "$T: vm1a -> vm3a in TC again" vm1a "$IP3A" 2
	check_eq "$T: ... and not through XDP" "$(vni_stat "$H1" 100 events.xdp_encap)" "$e0"
	check "$T: port set vm1a encap xdp again" xvc "$H1" port set vm1a encap xdp
	check "$T: port del of an encap xdp port" xvc "$H1" port del vm1a
	check_not "$T: port del removed the XDP program" xdp_prog_on "$H1" vm1a
	# A leftover pin at the port's XDP link path (any pinned object will do:
	# here the FDB map) makes port add refuse, naming it, and change nothing.
	stale=$(pin_dir "$H1")/links/port_xdp_$(in_ns "$H1" ip -j link show vm1a | jq '.[0].ifindex')
	check "$T: a stale pin at $(basename "$stale")" bpftool map pin pinned "$(pin_dir "$H1")/xvtep_fdb" "$stale"
	out=$(xvc "$H1" port add vm1a vni 100 encap xdp 2>&1) && out="exit 0: $out"
	check_eq "$T: port add refused, the pin named" "$(grep -c "^Error: $stale already exists" <<<"$out")" 1
	check_eq "$T: ... vm1a not a port" "$(xvc "$H1" -j port show | jq '[.[] | select(.dev == "vm1a")] | length')" 0
	check_not "$T: ... no XDP program on vm1a" xdp_prog_on "$H1" vm1a
	rm -f "$stale"
	check "$T: port add vm1a vni 100 encap xdp" xvc "$H1" port add vm1a vni 100 encap xdp
	check "$T: ... XDP program on vm1a" xdp_prog_on "$H1" vm1a
	e0=$(vni_stat "$H1" 100 events.xdp_encap)
	vm_ping "$T: ... vm1a -> vm3a" vm1a "$IP3A" 2
	check_cmp "$T: ... through XDP" "$(($(vni_stat "$H1" 100 events.xdp_encap) - e0))" -ge 2
	# Without the "netdev" genl family the XDP path cannot tell its targets.
	check "$T: port set vm1a encap tc, again" xvc "$H1" port set vm1a encap tc
	check "$T: re-attach with netdev-genl off" env XVTEP_FEATURES_OFF=netdev-genl \
		"$LOADER" --pin "$(pin_dir "$H1")" -n "$H1" attach --uplink ul --local "$(ul_ip 1)" --decap hybrid
	out=$(xvc "$H1" port set vm1a encap xdp 2>&1)
	check_eq "$T: netdev-genl off: encap xdp refused, naming the feature" "$?:$(grep -c 'netdev-genl off' <<<"$out")" "1:1"
	check_not "$T: netdev-genl off: no XDP program on vm1a" xdp_prog_on "$H1" vm1a
	check_eq "$T: netdev-genl off: XDP sends to no device (xvtep_mirror_xmit empty)" \
		"$(bpftool -j map dump pinned "$(pin_dir "$H1")/xvtep_mirror_xmit" | jq length)" 0
	vm_ping "$T: netdev-genl off: vm1a -> vm3a" vm1a "$IP3A" 2
}

xvt_require_all
# managed NS IP : the underlay neighbour entry for IP on ul is managed and ours
managed_neigh()
{
	in_ns "$1" ip -j -d neigh show "$2" dev ul |
		jq -e '.[0] | has("managed") and (.protocol == "88")' >/dev/null
}

# neigh_state NS IP : the state of the underlay neighbour entry for IP ("none" if absent)
neigh_state()
{
	local s
	s=$(in_ns "$1" ip -j neigh show "$2" dev ul | jq -r '.[0].state[0] // empty')
	echo "${s:-none}"
}

# ul_port_state STATE : bridge port state of h1's and h2's underlay ports
# (0 disabled, 3 forwarding): cuts them off without a carrier change
ul_port_state()
{
	in_ns "$NS_UL" bridge link set dev h1 state "$1" &&
	in_ns "$NS_UL" bridge link set dev h2 state "$1"
}

# The first frame a VM sends is ARP: its copy to a remote VTEP cannot go
# through bpf_redirect_neigh (non-IP skb), so it needs a resolved underlay
# neighbour. `vni add ... remote` keeps a managed one for each remote; here
# the underlay neighbours are missing (flushed before the VNI exists) and
# then FAILED (the underlay cut off for a while), and the first ping must
# still get through within a few seconds.
underlay_unresolved()
{
	local T=underlay_unresolved d0 d1
	topo_underlay &&
	xvtep_host 1 &&
	xvtep_host 2 &&
	# entries age fast here, so that "failed" is reached within seconds
	in_ns "$H1" sysctl -qw net.ipv4.neigh.ul.base_reachable_time_ms=1000 \
		net.ipv4.neigh.ul.delay_first_probe_time=1 &&
	in_ns "$H1" ip neigh flush dev ul &&
	in_ns "$H2" ip neigh flush dev ul &&
	xvtep_vni 1 100 her &&
	xvtep_vni 2 100 her &&
	xvtep_vm 1 vm1a 100 &&
	xvtep_vm 2 vm2a 100
	topo_check $T $? || return

	check "$T: h1 keeps a managed neighbour for remote $(ul_ip 2)" managed_neigh "$H1" "$(ul_ip 2)"
	check "$T: h2 keeps a managed neighbour for remote $(ul_ip 1)" managed_neigh "$H2" "$(ul_ip 1)"

	# Cut the underlay until h1's entry has failed (a managed one is
	# re-probed until it does; without one there is no entry at all).
	ul_port_state 0
	local i st
	for ((i = 0; i < 75; i++)); do
		st=$(neigh_state "$H1" "$(ul_ip 2)")
		[[ $st == FAILED || $st == none ]] && break
		sleep 0.2
	done
	check_eq "$T: h1's neighbour for $(ul_ip 2) unresolved while the underlay is cut" \
		"$([[ $st == FAILED || $st == none ]] && echo yes || echo "no ($st)")" yes
	ul_port_state 3
	vms_quiet vm1a vm2a
	d0=$(vni_stat "$H1" 100 drops.neigh_unresolved)
	# (ping gives up after a few ARP failures: retry it for 10 s)
	check "$T: vm1a reaches vm2a (ARP first) within 10 s" \
		wait_for 10 in_ns "$(vm_ns vm1a)" ping -n -c 1 -W 1 "$IP2A"
	d1=$(vni_stat "$H1" 100 drops.neigh_unresolved)
	xvt_log "$T: h1 neigh_unresolved drops during the ping: $((d1 - d0))"
	st=$(neigh_state "$H1" "$(ul_ip 2)")
	check_eq "$T: h1 neighbour for $(ul_ip 2) resolved again" \
		"$([[ $st =~ ^(REACHABLE|STALE|DELAY|PROBE)$ ]] && echo yes || echo "no ($st)")" yes

	# Removing the last remote removes the entry we made; detach removes the rest.
	check "$T: vni set 100 remote none" xvc "$H1" vni set 100 remote none
	check_not "$T: h1's managed neighbour gone with its remote" managed_neigh "$H1" "$(ul_ip 2)"
	check "$T: detach h2" xvl "$H2" detach
	check_not "$T: h2's managed neighbour gone with the detach" managed_neigh "$H2" "$(ul_ip 1)"

	# A remote with no route: a warning, the configuration stands.
	local out rc
	out=$(xvc "$H1" vni set 100 remote 203.0.113.7 2>&1)
	rc=$?
	check_eq "$T: remote without a route: accepted (rc)" "$rc" 0
	check "$T: remote without a route: a Warning naming it" grep -q "^Warning: remote 203.0.113.7: .*no route" <<<"$out"
	check_eq "$T: remote without a route: in the VNI" \
		"$(xvc "$H1" -j vni show 100 | jq -r '[.. | objects | select(.vni? == 100)][0].remotes | join(",")')" 203.0.113.7
}

tests_run
