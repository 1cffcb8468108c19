# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Topology builder for the xvtep integration tests and the demo (sourced by
# them after tests/lib.sh; not a test itself: it has no ALL_TESTS).
#
#   vm1a(ns) vm1b(ns)        vm2a(ns) vm2b(ns)        vm3a(ns)
#   .11      .12             .21      .22             .31        192.0.2.0/24 (overlay)
#     |eth0    |eth0           |eth0    |eth0           |eth0     MTU 1450
#     |vm1a    |vm1b           |vm2a    |vm2b           |vm3a     (ports: host side of veth)
#   [h1: xvtep]              [h2: xvtep]              [h3: kernel vxlan vxN + bridge brN]
#       ul .1                    ul .2                    ul .3   198.51.100.0/24, MTU 1500
#        \________________________|_______________________/
#              h1            [ul: bridge br0]      h3            (underlay namespace)
#
# Namespaces: ${XVT_P}ul, ${XVT_P}h1..h3, ${XVT_P}vm1a ... ; pin dirs
# /sys/fs/bpf/${XVT_P}h1 ... VNIs 100 and 200; multicast groups 239.1.1.1 (VNI 100)
# and 239.1.1.2 (VNI 200). VM MACs are fixed: vmHX -> 02:00:00:00:0H:0X
# (vm1a -> 02:00:00:00:01:0a), so FDB contents can be asserted.

NS_UL=${XVT_P}ul
GROUP100=239.1.1.1
GROUP200=239.1.1.2
VXPORT=4789
UL_MTU=1500
VM_MTU=1450
TOPO_HOSTS=()		# host numbers present (for the underlay pre-warm)
TOPO_ERR=

h_ns() { echo "${XVT_P}h$1"; }
vm_ns() { echo "${XVT_P}$1"; }
ul_ip() { echo "198.51.100.$1"; }
group_of() { case $1 in 100) echo $GROUP100 ;; 200) echo $GROUP200 ;; *) echo 239.1.1.9 ;; esac; }

# vm_mac vm1a -> 02:00:00:00:01:0a
vm_mac()
{
	local n=$1
	printf '02:00:00:00:%02x:%02x\n' "${n:2:1}" "0x${n:3:1}"
}

# vm_ip vm1a -> 192.0.2.11 (a->1, b->2, ...)
vm_ip()
{
	local n=$1 l
	l=$(printf '%d' "'${n:3:1}")
	echo "192.0.2.${n:2:1}$((l - 96))"
}

# topo_do CMD... : run a set-up step; on failure keep its output in TOPO_ERR
topo_do()
{
	local out
	if ! out=$("$@" 2>&1); then
		TOPO_ERR="'$*': $out"
		return 1
	fi
	[ -n "$out" ] && [ "${XVT_VERBOSE:-0}" = 1 ] && xvt_log "$out"
	return 0
}

# topo_ns NAME : create a namespace (not in a subshell: the cleanup list must see it)
topo_ns()
{
	if ! ns_create "$1" >"$XVT_TMP/ns_create.err" 2>&1; then
		TOPO_ERR="ns_create $1: $(cat "$XVT_TMP/ns_create.err")"
		return 1
	fi
}

# topo_underlay : the underlay switch (a bridge, no IGMP snooping: multicast floods)
topo_underlay()
{
	TOPO_HOSTS=()
	topo_ns "$NS_UL" &&
	topo_do in_ns "$NS_UL" ip link add br0 type bridge mcast_snooping 0 &&
	topo_do in_ns "$NS_UL" ip link set br0 up
}

# topo_host N : namespace hN with uplink "ul" (198.51.100.N/24) to the underlay
topo_host()
{
	local n=$1 ns
	ns=$(h_ns "$n")
	topo_ns "$ns" &&
	topo_do ip link add ul netns "$ns" mtu $UL_MTU type veth peer name "h$n" netns "$NS_UL" mtu $UL_MTU &&
	topo_do in_ns "$NS_UL" ip link set "h$n" master br0 up &&
	topo_do in_ns "$ns" ip addr add "$(ul_ip "$n")/24" dev ul &&
	topo_do in_ns "$ns" ip link set ul up || return 1
	TOPO_HOSTS+=("$n")
}

# xvtep_host N [attach args...] : host N running xvtep on its uplink
xvtep_host()
{
	local n=$1
	shift
	pin_register "$(pin_dir "$(h_ns "$n")")"
	pins_destroy "$(h_ns "$n")"	# stale pins of an earlier run would be reused
	topo_host "$n" &&
	# The tests exercise the XDP fast path on veth uplinks, where the default
	# (auto) would choose TC decap; a --decap in the arguments overrides this.
	topo_do xvl "$(h_ns "$n")" attach --uplink ul --local "$(ul_ip "$n")" --decap hybrid "$@"
}

# vm_add N VM [IP] [MAC] : VM namespace with eth0, and its port "VM" in host N
vm_add()
{
	local n=$1 vm=$2 ip=${3:-$(vm_ip "$2")} mac=${4:-$(vm_mac "$2")} ns hns
	ns=$(vm_ns "$vm")
	hns=$(h_ns "$n")
	topo_ns "$ns" &&
	topo_do ip link add eth0 netns "$ns" mtu $VM_MTU address "$mac" type veth \
		peer name "$vm" netns "$hns" mtu $VM_MTU &&
	topo_do in_ns "$ns" ip addr add "$ip/24" dev eth0 &&
	topo_do in_ns "$ns" ip link set eth0 up &&
	topo_do in_ns "$hns" ip link set "$vm" up &&
	topo_do in_ns "$ns" ethtool -K eth0 gro on
}

# xvtep_vm N VM VNI [IP] [MAC] : VM on xvtep host N, its port added to VNI
xvtep_vm()
{
	local n=$1 vm=$2 vni=$3
	vm_add "$n" "$vm" "$4" "$5" &&
	topo_do xvc "$(h_ns "$n")" port add "$vm" vni "$vni"
}

# xvtep_vni N VNI her|group|both [extra vni add args...] : configure VNI on
# xvtep host N; "her" lists every other host of TOPO_HOSTS as a remote
xvtep_vni()
{
	local n=$1 vni=$2 mode=$3 args=() h
	shift 3
	case $mode in
	group|both) args+=(group "$(group_of "$vni")") ;;
	esac
	case $mode in
	her|both)
		for h in "${TOPO_HOSTS[@]}"; do
			[ "$h" == "$n" ] || args+=(remote "$(ul_ip "$h")")
		done
		;;
	esac
	topo_do xvc "$(h_ns "$n")" vni add "$vni" "${args[@]}" "$@"
}

# (bridge mcast_snooping 0: a snooping bridge joins 224.0.0.106 and sends IGMP
# reports into the overlay, which would pollute the exact copy counts)
# kernel_vni N VNI her|group [nolearning] : the Linux vxlan reference VTEP on
# host N: vxVNI (dev ul) in bridge brVNI; "her" = all-zeros FDB entries
# toward every other host
kernel_vni()
{
	local n=$1 vni=$2 mode=$3 learn=$4 ns h args=()
	ns=$(h_ns "$n")
	[ "$mode" == group ] && args+=(group "$(group_of "$vni")")
	[ -n "$learn" ] && args+=(nolearning)
	topo_do in_ns "$ns" ip link add "vx$vni" type vxlan id "$vni" dstport $VXPORT \
		local "$(ul_ip "$n")" dev ul "${args[@]}" &&
	topo_do in_ns "$ns" ip link add "br$vni" type bridge mcast_snooping 0 &&
	topo_do in_ns "$ns" ip link set "vx$vni" master "br$vni" up &&
	topo_do in_ns "$ns" ip link set "br$vni" up || return 1
	if [ "$mode" == her ]; then
		for h in "${TOPO_HOSTS[@]}"; do
			[ "$h" == "$n" ] && continue
			topo_do in_ns "$ns" bridge fdb append 00:00:00:00:00:00 dev "vx$vni" \
				dst "$(ul_ip "$h")" || return 1
		done
	fi
}

# kernel_vm N VM VNI [IP] [MAC] : VM behind the kernel VTEP's bridge brVNI
kernel_vm()
{
	local n=$1 vm=$2 vni=$3
	vm_add "$n" "$vm" "$4" "$5" &&
	topo_do in_ns "$(h_ns "$n")" ip link set "$vm" master "br$vni"
}

# ul_prewarm : resolve every underlay neighbour (before counting copies)
ul_prewarm()
{
	local a b
	for a in "${TOPO_HOSTS[@]}"; do
		for b in "${TOPO_HOSTS[@]}"; do
			[ "$a" == "$b" ] && continue
			topo_do in_ns "$(h_ns "$a")" ping -q -c 1 -W 2 "$(ul_ip "$b")" || return 1
		done
	done
}

# Forged VTEPs: VXLAN frames that sec_send.py (scapy) sends from the underlay
# switch's port toward h1, from addresses no host has.
FAKE8=198.51.100.8
FAKE9=198.51.100.9

# forged_ready : UL_MAC = h1's uplink MAC, where forged frames go
forged_ready() { UL_MAC=$(in_ns "$(h_ns 1)" ip -j link show dev ul | jq -r '.[0].address'); }

# forged_send COUNT SRC_IP=INNER_SRC... : forged VXLAN frames into VNI 100 toward vm1a
forged_send()
{
	local count=$1
	shift
	in_ns "$NS_UL" "$PY" "$XVT_ROOT/tests/integration/sec_send.py" h1 "$UL_MAC" "$(ul_ip 1)" \
		100 "$(vm_mac vm1a)" "$count" "$@" 2>&1
}

# topo_pair [h1 attach args...] : two xvtep hosts, VNI 100 flooded head-end,
#   h1 xvtep + vm1a, h2 xvtep + vm2a; no pre-warm (callers add to it first)
topo_pair()
{
	topo_underlay &&
	xvtep_host 1 "$@" &&
	xvtep_host 2 &&
	xvtep_vni 1 100 her &&
	xvtep_vni 2 100 her &&
	xvtep_vm 1 vm1a 100 &&
	xvtep_vm 2 vm2a 100
}

# topo_std MODE [attach args...] : the standard three-host topology, VNI 100:
#   h1 xvtep + vm1a, h2 xvtep + vm2a, h3 kernel vxlan + vm3a
# MODE her|group: how BUM traffic is flooded (on all three hosts).
# $TOPO_VNI_ARGS: extra `vni add` arguments for the xvtep hosts (e.g. "ageing 3").
topo_std()
{
	local mode=$1
	shift
	topo_underlay &&
	xvtep_host 1 "$@" &&
	xvtep_host 2 "$@" &&
	topo_host 3 &&
	xvtep_vni 1 100 "$mode" ${TOPO_VNI_ARGS:-} &&
	xvtep_vni 2 100 "$mode" ${TOPO_VNI_ARGS:-} &&
	kernel_vni 3 100 "$mode" &&
	xvtep_vm 1 vm1a 100 &&
	xvtep_vm 2 vm2a 100 &&
	kernel_vm 3 vm3a 100 &&
	ul_prewarm
}

# topo_check NAME RC : one PASS/FAIL line for a whole set-up
topo_check()
{
	if [ "$2" -eq 0 ]; then
		check_pass "$1: topology"
		return 0
	fi
	check_fail "$1: topology" "$TOPO_ERR"
	return 1
}

topo_destroy()
{
	[ "${XVT_KEEP:-0}" = 1 ] && return 0
	xvt_cleanup_all
	TOPO_HOSTS=()
}

# vm_ping NAME FROM_VM DST_IP [COUNT] [extra ping args] : one check
vm_ping()
{
	local name=$1 vm=$2 dst=$3 count=${4:-3} out
	shift 4 2>/dev/null || shift $#
	if out=$(in_ns "$(vm_ns "$vm")" ping -n -c "$count" -i 0.2 -W 2 "$@" "$dst" 2>&1); then
		check_pass "$name"
		return 0
	fi
	check_fail "$name" "$(grep -E 'transmitted|error|unreachable' <<<"$out" | head -n2)"
	return 1
}

# neigh_mac VM IP : the MAC the VM resolved IP to (empty if none)
neigh_mac()
{
	in_ns "$(vm_ns "$1")" ip -j neigh show "$2" dev eth0 | jq -r '.[0].lladdr // empty'
}

XFER_PY=$XVT_ROOT/tests/integration/xfer.py
XFER_MB=${XFER_MB:-8}

# tcp_sha NAME FROM_VM TO_VM TO_IP : send an ${XFER_MB} MB random file over TCP
# (python socket script), compare sha256 of what arrived; one check
tcp_sha()
{
	local name=$1 from=$2 to=$3 ip=$4 port=$((20000 + RANDOM % 10000)) src dst out a b
	src=$XVT_TMP/xfer.src
	dst=$XVT_TMP/xfer.$RANDOM.dst
	[ -s "$src" ] || head -c $((XFER_MB * 1048576)) /dev/urandom >"$src"
	bg_ns "$(vm_ns "$to")" "$PY" "$XFER_PY" recv "$ip" "$port" "$dst" 30 2>"$dst.err"
	local rpid=$XVT_LAST_PID
	wait_for 5 in_ns "$(vm_ns "$to")" sh -c "ss -Htln | grep -q ':$port '"
	out=$(in_ns "$(vm_ns "$from")" timeout 40 "$PY" "$XFER_PY" send "$ip" "$port" "$src" 30 2>&1)
	local src_rc=$?
	wait "$rpid"
	local dst_rc=$?
	a=$(sha256sum <"$src" | cut -d' ' -f1)
	b=$(sha256sum <"$dst" 2>/dev/null | cut -d' ' -f1)
	if [ $src_rc -eq 0 ] && [ $dst_rc -eq 0 ] && [ "$a" == "$b" ]; then
		check_pass "$name"
		rm -f "$dst"
		return 0
	fi
	check_fail "$name" "send rc=$src_rc recv rc=$dst_rc sha256 sent=${a:0:16} got=${b:0:16} ($(stat -c %s "$dst" 2>/dev/null || echo 0) of $(stat -c %s "$src") bytes): send: $(tail -n1 <<<"$out") recv: $(tail -n1 "$dst.err")"
	rm -f "$dst"
	return 1
}

# iperf NAME CLIENT_VM SERVER_VM SERVER_IP [iperf3 client args, e.g. -R] :
# 3 s TCP; PASS when iperf3 succeeds and moved at least 1 MB. The rate is logged
# to stderr, it is not asserted.
iperf()
{
	local name=$1 cl=$2 sv=$3 ip=$4 port=$((5201 + RANDOM % 500)) out bytes rc
	shift 4
	bg_ns "$(vm_ns "$sv")" timeout 30 iperf3 -s -1 -B "$ip" -p "$port" >/dev/null 2>&1
	local spid=$XVT_LAST_PID
	wait_for 5 in_ns "$(vm_ns "$sv")" sh -c "ss -Htln | grep -q ':$port '"
	out=$(in_ns "$(vm_ns "$cl")" timeout 25 iperf3 -c "$ip" -p "$port" -t 3 -J "$@" 2>&1)
	rc=$?
	bg_stop "$spid"
	bytes=$(jq -r '.end.sum_received.bytes // 0' <<<"$out" 2>/dev/null)
	bytes=${bytes%.*}
	if [ $rc -eq 0 ] && [ "${bytes:-0}" -ge 1048576 ]; then
		xvt_log "$name: $(jq -r '"\(.end.sum_received.bits_per_second / 1e6 | floor) Mbit/s, retransmits \(.end.sum_sent.retransmits)"' <<<"$out")"
		check_pass "$name"
		return 0
	fi
	check_fail "$name" "iperf3 rc=$rc received=${bytes:-0} bytes: $(jq -r '.error // empty' <<<"$out" 2>/dev/null || head -c 300 <<<"$out")"
	return 1
}

# vms_quiet VM... : flush the VMs' neighbour caches so that no ARP
# reachability probe refreshes FDB entries while a test waits for ageing
vms_quiet()
{
	local vm
	for vm in "$@"; do
		in_ns "$(vm_ns "$vm")" ip neigh flush all >/dev/null 2>&1
	done
}
