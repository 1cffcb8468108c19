#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# EVPN at scale: 10,000 MACs advertised and withdrawn through FRR between
# two xvtep hosts (xvtepd) and a kernel vxlan host.
#
#   [h1: xvtep, VNI 100      [h2: xvtep, VNI 100      [h3: kernel vx100 nolearning
#    evpn, xvtepd,            evpn, xvtepd,            in br100, zebra + bgpd]
#    zebra + bgpd]            zebra + bgpd]              |vm3a: bridge port where
#      |vm1a: port where                                 10k static FDB entries
#      10k static FDB entries                            are added (bridge -batch)
#      are added (xvtepctl -b)
#       ul .1                    ul .2                    ul .3     198.51.100.0/24
#        \________________________|________________________/
#                         [ul: bridge br0]
#
# iBGP l2vpn evpn (advertise-all-vni) between the three; no remote and no
# static FDB entry for a remote MAC anywhere. h2's xvtepd runs with a tiny
# receive buffer (--rcvbuf 4096): its counts are exact only if the resync
# after each overrun works. FRR state: /tmp/${XVT_P}frr.

ALL_TESTS="
	evpn_scale
"

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/topology.sh"
source "$(dirname "$0")/evpn_lib.sh"

N=${EVPN_SCALE_N:-10000}
K_BASE=02:a3:00	# behind the kernel host h3
X_BASE=02:a1:00	# behind xvtep host h1
H1=$(h_ns 1)
H2=$(h_ns 2)
H3=$(h_ns 3)

xvt_require_all
require_cmds vtysh
why=$(evpn_prereq) || { check_fail "prerequisites" "$why"; exit 1; }

topo_destroy()
{
	evpn_frr_down
	[ "${XVT_KEEP:-0}" = 1 ] && return 0
	xvt_cleanup_all
	TOPO_HOSTS=()
}

x_is() { evpn_x_is "$1" 100 "$2"; }
# k_is COUNT : the kernel host's vx100 has COUNT MACs behind h1
k_is() { evpn_k_is "$H3" vx100 "$(ul_ip 1)" "$1"; }

evpn_scale()
{
	local T=evpn_scale n f t0
	topo_underlay &&
	xvtep_host 1 && xvtep_host 2 && topo_host 3 &&
	topo_do xvc "$H1" vni add 100 evpn &&
	topo_do xvc "$H2" vni add 100 evpn &&
	kernel_vni 3 100 none nolearning &&
	xvtep_vm 1 vm1a 100 && kernel_vm 3 vm3a 100 &&
	ul_prewarm
	topo_check $T $? || return
	evpn_xvtepd 1
	# h2's notification buffer holds a handful of messages: the 10k burst
	# overruns it, and only the resync from a dump can make its FDB whole
	evpn_xvtepd 2 --rcvbuf 4096
	for n in 1 2 3; do
		evpn_frr_up "$n" ||
			{ check_fail "$T: FRR on h$n" "$(tail -n3 "$(evpn_frr_dir "$n")"/*.log 2>/dev/null)"; return; }
	done
	for n in 1 2 3; do
		check "$T: h$n has 2 established EVPN sessions" wait_for 30 evpn_sessions_are "$n" 2
	done
	check_eq "$T: no EVPN entries before (h1 h2)" "$(evpn_count_x "$H1" 100) $(evpn_count_x "$H2" 100)" "0 0"

	# 10k local MACs on the kernel host: reach both xvtep hosts as EVPN entries
	f=$XVT_TMP/k.batch
	evpn_macs_batch "$f" add vm3a $K_BASE "$N"
	t0=$(date +%s%N)
	check "$T: bridge -batch adds $N static MACs on h3's vm3a" in_ns "$H3" bridge -batch "$f"
	check "$T: h1 has $N EVPN entries" wait_for 30 x_is "$H1" "$N"
	check "$T: h2 has $N EVPN entries" wait_for 30 x_is "$H2" "$N"
	xvt_log "$T: $N MACs from h3 in h1's and h2's maps after $((($(date +%s%N) - t0) / 1000000)) ms"
	check_eq "$T: all of them behind h3, with h3's MAC range (h1)" \
		"$(xvc "$H1" -j fdb show vni 100 | jq -r --arg r "$(ul_ip 3)" --arg b "$K_BASE" \
			'[.. | objects | select(.source? == "evpn" and .remote == $r and (.mac | startswith($b)))] | length')" "$N"
	evpn_macs_batch "$f" del vm3a $K_BASE "$N"
	check "$T: bridge -batch deletes them on h3" in_ns "$H3" bridge -batch "$f"
	check "$T: h1 has 0 EVPN entries (withdrawn)" wait_for 30 x_is "$H1" 0
	check "$T: h2 has 0 EVPN entries (withdrawn)" wait_for 30 x_is "$H2" 0

	# 10k static MACs on xvtep host h1's port: exported by xvtepd, reach h2 and h3
	awk -v n="$N" -v b="$X_BASE" 'BEGIN { for (i = 0; i < n; i++)
		printf "fdb add %s:%02x:%02x:%02x vni 100 dev vm1a\n", b, int(i / 65536) % 256, int(i / 256) % 256, i % 256 }' >"$f"
	t0=$(date +%s%N)
	check "$T: xvtepctl -b adds $N static MACs on h1's vm1a" xvc "$H1" -b "$f"
	check "$T: h2 has $N EVPN entries" wait_for 30 x_is "$H2" "$N"
	check "$T: h3 (kernel) has $N MACs behind h1" wait_for 30 k_is "$N"
	xvt_log "$T: $N MACs from h1 in h2's map and h3's FDB after $((($(date +%s%N) - t0) / 1000000)) ms"
	check_eq "$T: h1 exported all to its bridge port" \
		"$(in_ns "$H1" bridge fdb show dev xvp100 | grep -c "^$X_BASE.* extern_learn")" "$N"
	check_eq "$T: h1 itself has no EVPN entry" "$(evpn_count_x "$H1" 100)" 0
	sed -i 's/^fdb add \([^ ]*\) vni 100 dev vm1a$/fdb del \1 vni 100/' "$f"
	check "$T: xvtepctl -b deletes them on h1" xvc "$H1" -b "$f"
	check "$T: h2 has 0 EVPN entries (withdrawn)" wait_for 30 x_is "$H2" 0
	check "$T: h3 has 0 MACs behind h1 (withdrawn)" wait_for 30 k_is 0
	check_eq "$T: h1's bridge port empty of them" \
		"$(in_ns "$H1" bridge fdb show dev xvp100 | grep -c "^$X_BASE")" 0
	check_eq "$T: xvtepd logged no warning (h1, default buffer)" \
		"$(grep -c Warning "$XVT_TMP/xvtepd.h1.log")" 0
	check "$T: h2 (--rcvbuf 4096) lost notifications and resynchronised" \
		grep -q 'receive buffer overrun.*resynchronising' "$XVT_TMP/xvtepd.h2.log"
	check_eq "$T: h2 logged no other warning" \
		"$(grep Warning "$XVT_TMP/xvtepd.h2.log" | grep -vc 'receive buffer overrun')" 0
	rm -f "$f"
}

tests_run
