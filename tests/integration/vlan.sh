#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# VXLAN <-> VLAN gateway: a trunk port maps 802.1Q VIDs to VNIs.
#
#   [sw(ns): vlan_host.py on "trkp": v10 192.0.2.110 on VID 10,   vm2a(ns) .21  vm2b(ns) .22
#                                  v11 192.0.2.111 on VID 11]      |eth0        |eth0
#        |trkp                                                      |vm2a (100)  |vm2b (200)
#        |trk: trunk, VID 10 -> VNI 100, VID 11 -> VNI 200       [h2: xvtep]
#   [h1: xvtep] -- vm1a(ns) .11 (access port, VNI 100)               ul .2
#       ul .1                   mcol -- c1 [col(ns)] (SPAN, RSPAN)    |
#         \__________________ [ul: bridge br0] ______________________/
#
# 192.0.2.0/24 everywhere; VNIs 100 and 200 are isolated as VLANs 10 and 11
# are. This kernel has no 8021q module, no VLAN filtering in its bridge and
# no tc vlan action: the hosts on the VLANs are tests/integration/vlan_host.py
# (a packet socket answering ARP and ping with 802.1Q-tagged frames), and
# scapy sends the frames no host would (unmapped VID, 802.1ad, untagged).
# Captures are decoded by tshark (-d udp.port==4789,vxlan on the underlay).

ALL_TESTS="
	vlan_gateway
	vlan_config
"

XVT_P=${XVT_P:-xvt-v}
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/topology.sh"

H1=$(h_ns 1)
H2=$(h_ns 2)
NS_SW=${XVT_P}sw
NS_COL=${XVT_P}col
IP10=192.0.2.110
IP11=192.0.2.111

VH_PY=$XVT_ROOT/tests/integration/vlan_host.py
MAC10=02:00:00:00:0c:10
MAC11=02:00:00:00:0c:11

# trunk_sw : h1's port trk; its peer "trkp" in "sw", where vlan_host.py
# answers for v10 (VLAN 10) and v11 (VLAN 11)
trunk_sw()
{
	local i
	topo_ns "$NS_SW" &&
	topo_do ip link add trk netns "$H1" mtu $VM_MTU type veth peer name trkp netns "$NS_SW" mtu $VM_MTU &&
	topo_do in_ns "$H1" ip link set trk up &&
	topo_do in_ns "$NS_SW" ip link set trkp up || return 1
	bg_ns "$NS_SW" "$PY" "$VH_PY" trkp "10=$IP10=$MAC10" "11=$IP11=$MAC11" >"$XVT_TMP/vh.out" 2>&1
	for ((i = 0; i < 50; i++)); do
		grep -q ready "$XVT_TMP/vh.out" && return 0
		sleep 0.1
	done
	TOPO_ERR="vlan_host.py: $(cat "$XVT_TMP/vh.out")"
	return 1
}

vlan_topo()
{
	topo_underlay &&
	xvtep_host 1 &&
	xvtep_host 2 &&
	xvtep_vni 1 100 her && xvtep_vni 2 100 her &&
	xvtep_vni 1 200 her && xvtep_vni 2 200 her &&
	xvtep_vm 1 vm1a 100 &&
	xvtep_vm 2 vm2a 100 &&
	xvtep_vm 2 vm2b 200 &&
	trunk_sw &&
	topo_do xvc "$H1" port add trk trunk &&
	topo_do xvc "$H1" port vlan add trk vid 10 vni 100 &&
	topo_do xvc "$H1" port vlan add trk vid 11 vni 200 &&
	ul_prewarm
}

# tsh FILE FILTER FIELD... : tshark lines "COUNT FIELD..." (VXLAN decoded), sorted, joined by |
tsh()
{
	local f=$1 y=$2
	shift 2
	tshark -r "$f" -d udp.port==4789,vxlan -Y "$y" -T fields "${@/#/-e}" 2>/dev/null |
		sort | uniq -c | awk '{$1=$1; print}' | paste -sd'|'
}

vlan_gateway()
{
	local T=vlan_gateway ctrk cul ccol s0 out
	vlan_topo
	topo_check $T $? || return

	check_eq "$T: port show: trk is a trunk without native VNI" \
		"$(xvc "$H1" -j port show trk | jq -c '.[0] | [.mode, .vni]')" '["trunk",0]'
	check_eq "$T: port vlan show -j" \
		"$(xvc "$H1" -j port vlan show trk | jq -c 'map([.vid, .vni])')" '[[10,100],[11,200]]'

	# A VM on the overlay (h2) and a host on VLAN 10, through the gateway and back.
	cap_start "$H1" trk "" 0 && ctrk=$CAP_FILE
	cap_start "$H1" ul "udp port 4789" 0 && cul=$CAP_FILE
	vm_ping "$T: vm2a (VNI 100, h2) pings v10 (VLAN 10) through the gateway" vm2a "$IP10" 3
	cap_stop "$ctrk"
	cap_stop "$cul"
	check_eq "$T: tshark on the trunk: requests leave tagged VID 10, replies arrive tagged VID 10" \
		"$(tsh "$ctrk" "icmp" vlan.id icmp.type)" "3 10 0|3 10 8"
	check_eq "$T: tshark on the underlay: the same frames as VNI 100, no tag inside" \
		"$(tsh "$cul" "icmp" vxlan.vni vlan.id icmp.type)" "3 100 0|3 100 8"
	check_eq "$T: v10's MAC learned on trk in VNI 100" "$(fdb_where "$H1" 100 $MAC10)" "dev trk"

	vm_ping "$T: vm2b (VNI 200) pings v11 (VLAN 11): a second mapping on the trunk" vm2b "$IP11" 3
	vm_ping "$T: vm1a (access port of VNI 100 on the gateway) pings v10" vm1a "$IP10" 3

	# VID 11 never reaches VNI 100, nor VID 10 VNI 200.
	cap_start "$H1" ul "udp port 4789" 0 && cul=$CAP_FILE
	cap_start "$H1" trk "" 0 && ctrk=$CAP_FILE
	check_not "$T: vm2a (VNI 100) cannot reach v11 (VLAN 11)" in_ns "$(vm_ns vm2a)" ping -n -c 2 -i 0.2 -W 1 "$IP11"
	check_not "$T: vm2b (VNI 200) cannot reach v10 (VLAN 10)" in_ns "$(vm_ns vm2b)" ping -n -c 2 -i 0.2 -W 1 "$IP10"
	vm_ping "$T: vm2b pings v11 again" vm2b "$IP11" 2
	cap_stop "$ctrk"
	cap_stop "$cul"
	check_eq "$T: tshark on the trunk: vm2a's ARP for v11 leaves as VID 10 only" \
		"$(tsh "$ctrk" "eth.src == $(vm_mac vm2a)" vlan.id | sed 's/^[0-9]* //')" 10
	check_eq "$T: tshark on the trunk: vm2b's frames leave as VID 11 only" \
		"$(tsh "$ctrk" "eth.src == $(vm_mac vm2b)" vlan.id | sed 's/^[0-9]* //')" 11
	check_eq "$T: tshark on the underlay: v11's frames are all VNI 200" \
		"$(tsh "$cul" "eth.src == $MAC11" vxlan.vni | sed 's/^[0-9]* //')" 200

	# Frames no host here would send: scapy on the trunk's wire.
	s0=$(xvc "$H1" -j stats vni 0 | jq -c '.[0].drops | [.vlan_unmapped, .vlan_qinq, .vlan_untagged]')
	cap_start "$H1" ul "udp port 4789" 0 && cul=$CAP_FILE
	out=$(in_ns "$NS_SW" "$PY" - <<'PYEOF' 2>&1
from scapy.all import Ether, Dot1Q, Dot1AD, ARP, sendp
def f(src, *tags):
    p = Ether(src=src, dst="ff:ff:ff:ff:ff:ff")
    for t in tags:
        p = p / t
    return p / ARP(hwsrc=src, psrc="192.0.2.200", pdst="192.0.2.201")
frames = [f("02:00:00:00:0d:10", Dot1Q(vlan=10, prio=5)), f("02:00:00:00:0d:11", Dot1Q(vlan=11)),
          f("02:00:00:00:0d:12", Dot1Q(vlan=12)), f("02:00:00:00:0d:ad", Dot1AD(vlan=10), Dot1Q(vlan=10)),
          f("02:00:00:00:0d:00")]
sendp(frames * 5, iface="trkp", verbose=False)
print("sent")
PYEOF
)
	cap_stop "$cul"
	check_eq "$T: scapy sent tagged frames on the trunk's wire" "$out" sent
	check_eq "$T: tshark: VID 10 (PCP 5) entered VNI 100, VID 11 VNI 200, untagged inside" \
		"$(tsh "$cul" "arp.src.hw_mac[0:5] == 02:00:00:00:0d" arp.src.hw_mac vxlan.vni vlan.id)" \
		"5 02:00:00:00:0d:10 100|5 02:00:00:00:0d:11 200"
	check_eq "$T: unmapped VID 12, 802.1ad and untagged frames: dropped and counted" \
		"$(xvc "$H1" -j stats vni 0 | jq -c --argjson s "$s0" '.[0].drops | [.vlan_unmapped - $s[0], .vlan_qinq - $s[1], .vlan_untagged - $s[2]]')" \
		"[5,5,5]"

	# SPAN of the trunk: copies show the tag as on the wire.
	topo_ns "$NS_COL" &&
	topo_do ip link add mcol netns "$H1" type veth peer name c1 netns "$NS_COL" &&
	topo_do in_ns "$H1" ip link set mcol up &&
	topo_do in_ns "$NS_COL" ip link set c1 up
	check "$T: SPAN session on the trunk" xvc "$H1" mirror add 1 src trk span dev mcol
	cap_start "$NS_COL" c1 "" 0 && ccol=$CAP_FILE
	vm_ping "$T: vm2a pings v10 while mirrored" vm2a "$IP10" 3
	cap_stop "$ccol"
	check_eq "$T: tshark: the SPAN copies carry VID 10 both ways" \
		"$(tsh "$ccol" "icmp" vlan.id icmp.type)" "3 10 0|3 10 8"
	check "$T: delete the session" xvc "$H1" mirror del 1
	check "$T: RSPAN session VID 999 on the trunk" xvc "$H1" mirror add 2 src trk rspan dev mcol vlan 999
	cap_start "$NS_COL" c1 "" 0 && ccol=$CAP_FILE
	vm_ping "$T: vm2a pings v10 while mirrored by RSPAN" vm2a "$IP10" 3
	cap_stop "$ccol"
	check_eq "$T: tshark: RSPAN copies carry VID 999 outside the trunk's VID 10" \
		"$(tsh "$ccol" "icmp" vlan.id icmp.type)" "3 999,10 0|3 999,10 8"
	check "$T: delete the RSPAN session" xvc "$H1" mirror del 2
}

# xr NS ARGS... : rc and stderr of an xvtepctl command that should fail
xr() { local out; out=$(xvc "$@" 2>&1); echo "$?:$out"; }

vlan_config()
{
	local T=vlan_config f out before
	vlan_topo
	topo_check $T $? || return

	out=$(xr "$H1" port vlan add trk vid 4095 vni 100)
	check_refused "$T: VID 4095 refused" "${out%%:*}" "${out#*:}" 'Error: argument "4095" is wrong: VID must be*'
	out=$(xr "$H1" port vlan add trk vid 12 vni 100)
	check_refused "$T: VNI 100 is already carried as VID 10: refused" "${out%%:*}" "${out#*:}" '*already carried by trk as VID 10*'
	out=$(xr "$H1" port vlan add trk vid 10 vni 200)
	check_refused "$T: VID 10 already mapped: refused" "${out%%:*}" "${out#*:}" '*VID 10 on trk already maps to VNI 100*'
	out=$(xr "$H1" port vlan add vm1a vid 12 vni 100)
	check_refused "$T: VID on an access port: refused" "${out%%:*}" "${out#*:}" '*not a trunk*'
	out=$(xr "$H1" port replace trk trunk native 100)
	check_refused "$T: native VNI carried tagged: refused" "${out%%:*}" "${out#*:}" '*already carried*'
	out=$(xr "$H1" port set trk encap xdp)
	check_refused "$T: encap xdp on a trunk: refused" "${out%%:*}" "${out#*:}" '*trunk port encapsulates in TC only*'
	out=$(xr "$H1" vni del 200)
	check_refused "$T: vni del of a VNI a trunk carries: refused" "${out%%:*}" "${out#*:}" '*still has ports (trk)*'

	check "$T: native VNI 300 (new VNI)" sh -c "$CTL --pin $(pin_dir "$H1") -n $H1 vni add 300 && $CTL --pin $(pin_dir "$H1") -n $H1 port replace trk trunk native 300"
	check_eq "$T: port vlan show (text) lists native and VIDs" \
		"$(xvc "$H1" port vlan show trk | awk 'NR > 1 {print $2 "=" $3}' | paste -sd,)" "untagged=300,10=100,11=200"

	f=$XVT_TMP/vlan.batch
	xvc "$H1" save >"$f"
	check_eq "$T: save writes the trunk and its mappings" \
		"$(grep -E '^port (replace trk|vlan)' "$f" | paste -sd'|')" \
		"port replace trk trunk native 300|port vlan replace trk vid 10 vni 100|port vlan replace trk vid 11 vni 200"
	before=$(xvc "$H1" -j port vlan show; xvc "$H1" -j vni show | jq -c 'map([.vni, .ports])')
	check "$T: port del trk" xvc "$H1" port del trk
	check_eq "$T: ... no mapping left, trk in no VNI" \
		"$(xvc "$H1" -j port vlan show | jq length) $(xvc "$H1" -j vni show | jq -c '[.[].ports[] | select(. == "trk")] | length')" "0 0"
	check "$T: -batch of the saved file" xvc "$H1" -batch "$f"
	check_eq "$T: ... restores trunk, mappings and VNI port lists" \
		"$(xvc "$H1" -j port vlan show; xvc "$H1" -j vni show | jq -c 'map([.vni, .ports])')" "$before"
	vm_ping "$T: vm2a pings v10 after the replay" vm2a "$IP10" 2

	check "$T: port vlan del trk vid 11" xvc "$H1" port vlan del trk vid 11
	check "$T: ... then vni del 200 is allowed" xvc "$H1" vni del 200
	check_not "$T: ... and VLAN 11 is no longer reached from VNI 200" \
		in_ns "$(vm_ns vm2b)" ping -n -c 2 -i 0.2 -W 1 "$IP11"
}

xvt_require_all
require_cmds tshark
tests_run
