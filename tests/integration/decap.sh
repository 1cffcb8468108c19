#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Decap input validation with crafted VXLAN frames (scapy), in decap modes
# hybrid (XDP + TC) and tc. Frames are sent from the underlay switch's port
# toward h1 from a fake VTEP 198.51.100.9; each bad kind must be dropped with
# its reason counted (exactly once per frame) and never reach vm1a.
#
#   vm1a(ns) 192.0.2.11
#      |eth0
#   [h1: xvtep]  VNI 100
#       ul 198.51.100.1
#          \___ [ul: bridge br0] port h1 <- craft.py (scapy)

ALL_TESTS="
	decap_validation
"

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/topology.sh"

H1=$(h_ns 1)
CRAFT=$XVT_ROOT/tests/integration/craft.py
FAKE=198.51.100.9
N=5

# drop_total NS REASON : a drop reason summed over every VNI (incl. VNI 0)
drop_total()
{
	xvc "$1" -j stats | jq "[.. | objects | .drops? | objects | .[\"$2\"] // 0] | add // 0"
}

event_total()
{
	xvc "$1" -j stats | jq "[.. | objects | .events? | objects | .[\"$2\"] // 0] | add // 0"
}

# craft KIND [SRC_IP] : send N frames of KIND to h1. From CPU 0: h1 then
# receives them there too (veth), so each frame meets the per-CPU copies
# (bpf/cache.h) the last one left.
craft()
{
	in_ns "$NS_UL" taskset -c 0 "$PY" "$CRAFT" h1 "$UL_MAC" "${2:-$FAKE}" "$(ul_ip 1)" "$1" $N 2>&1
}

# bad KIND REASON [SRC_IP] : one check
bad()
{
	local name="$T: $1 -> $2" d0 d1 r0 r1 out
	d0=$(drop_total "$H1" "$2")
	r0=$(link_stat "$(vm_ns vm1a)" eth0 rx packets)
	out=$(craft "$1" "$3") || { check_fail "$name" "craft.py: $out"; return; }
	sleep 0.3
	d1=$(drop_total "$H1" "$2")
	r1=$(link_stat "$(vm_ns vm1a)" eth0 rx packets)
	if [ "$((d1 - d0))" -eq $N ] && [ "$((r1 - r0))" -eq 0 ]; then
		check_pass "$name"
	else
		check_fail "$name" "sent $N: $2 drops +$((d1 - d0)), delivered to vm1a +$((r1 - r0))"
	fi
}

# vm1a_gets : send N good frames; print how many vm1a received
vm1a_gets()
{
	local r0 r1
	r0=$(link_stat "$(vm_ns vm1a)" eth0 rx packets)
	craft good >/dev/null
	sleep 0.3
	r1=$(link_stat "$(vm_ns vm1a)" eth0 rx packets)
	echo $((r1 - r0))
}

# A CLI change to where vm1a's MAC lives takes effect with the next frame,
# also on the XDP fast path, which forwards from per-CPU copies of the
# entries (bpf/cache.h): every xvtepctl write makes those copies stale.
cli_writes_reach_decap()
{
	local mac=02:00:00:00:01:0a
	xvc "$H1" fdb del $mac vni 100 >/dev/null 2>&1
	xvc "$H1" fdb add $mac vni 100 dev vm1a >/dev/null
	check_eq "$T: static entry vm1a -> frames reach vm1a" "$(vm1a_gets)" $N "vm1a rx packets"
	xvc "$H1" fdb del $mac vni 100 &&
	xvc "$H1" fdb add $mac vni 100 remote 198.51.100.77
	check_eq "$T: entry moved to a remote VTEP by the CLI -> no frame reaches vm1a" \
		"$(vm1a_gets)" 0 "vm1a rx packets"
	xvc "$H1" fdb del $mac vni 100
	check_eq "$T: entry deleted by the CLI -> frames flood to vm1a again" \
		"$(vm1a_gets)" $N "vm1a rx packets"
}

decap_validation()
{
	local mode T
	for mode in hybrid tc; do
		T="decap_validation[$mode]"
		topo_underlay &&
		xvtep_host 1 --decap $mode &&
		xvtep_vni 1 100 her &&
		xvtep_vm 1 vm1a 100
		topo_check "$T" $? || { topo_destroy; continue; }
		UL_MAC=$(in_ns "$H1" ip -j link show dev ul | jq -r '.[0].address')

		local r0 r1 x0 out
		r0=$(link_stat "$(vm_ns vm1a)" eth0 rx packets)
		out=$(craft good)
		sleep 0.3
		r1=$(link_stat "$(vm_ns vm1a)" eth0 rx packets)
		check_eq "$T: good frames delivered to vm1a" "$((r1 - r0))" $N "vm1a rx packets ($out)"
		check_eq "$T: inner source learned behind the fake VTEP" \
			"$(fdb_where "$H1" 100 02:00:00:00:09:09)" "remote $FAKE"

		cli_writes_reach_decap

		bad no_i_flag no_i_flag
		bad unknown_vni unknown_vni
		bad inner_vlan inner_vlan
		bad bad_src_mcast bad_src_mac
		bad bad_src_zero bad_src_mac
		bad short_vxlan malformed
		bad short_inner malformed
		bad good own_source "$(ul_ip 1)"

		x0=$(event_total "$H1" reserved_bits)
		r0=$(link_stat "$(vm_ns vm1a)" eth0 rx packets)
		out=$(craft reserved_bits)
		sleep 0.3
		r1=$(link_stat "$(vm_ns vm1a)" eth0 rx packets)
		check_eq "$T: reserved bits set: still delivered (RFC 7348: ignored)" "$((r1 - r0))" $N "vm1a rx packets"
		check_eq "$T: reserved bits set: reserved_bits event" "$(($(event_total "$H1" reserved_bits) - x0))" $N

		r0=$(link_stat "$(vm_ns vm1a)" eth0 rx packets)
		out=$(craft other_port)
		sleep 0.3
		r1=$(link_stat "$(vm_ns vm1a)" eth0 rx packets)
		check_eq "$T: UDP 4790 is not decapsulated" "$((r1 - r0))" 0 "vm1a rx packets"
		topo_destroy
	done
}

xvt_require_all
tests_run
