#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Loader restart: a second `attach` on a running instance keeps forwarding and
# state, and under a 100 pps ping swaps every program in place (same links,
# new programs) losing at most one packet, counters not reset; `detach --keep-maps` stops forwarding but keeps the pinned maps;
# `attach` again from the pins restores the ports and forwarding without
# reconfiguration; a plain `detach` removes everything (pin dir gone).
#
#   vm1a(ns) 192.0.2.11      vm2a(ns) 192.0.2.21      vm3a(ns) 192.0.2.31
#      |eth0                    |eth0                    |eth0
#   [h1: xvtep]              [h2: xvtep]              [h3: kernel vx100 + br100]
#       ul 198.51.100.1          ul .2                    ul .3
#          \_______________ [ul: bridge br0] ______________/

ALL_TESTS="
	reattach_live
	upgrade_under_load
	detach_attach_from_pins
	loader_lock
"

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/topology.sh"

H1=$(h_ns 1)
H2=$(h_ns 2)
MAC2A=$(vm_mac vm2a)
IP2A=$(vm_ip vm2a)
SMAC=02:00:00:00:09:01
ATTACH1="attach --uplink ul --local 198.51.100.1"

# config_state NS : VNI config + static FDB entries + ports (stable across restarts)
config_state()
{
	local v f p
	v=$(xvc "$1" -j vni show | jq -S -c '[.. | objects | select(has("vni") and has("remotes")) | del(.learned)]')
	f=$(xvc "$1" -j fdb show | jq -S -c '[.. | objects | select(has("mac") and .static == true) | del(.age)]')
	p=$(xvc "$1" -j port show | jq -S -c .)
	echo "vni=$v static=$f ports=$p"
}

restart_topo()
{
	topo_std her &&
	topo_do xvc "$H1" fdb add $SMAC vni 100 remote "$(ul_ip 2)"
}

# ping_loss VM DST COUNT INTERVAL : starts a background ping; sets PING_PID/PING_OUT
ping_bg()
{
	PING_OUT=$XVT_TMP/ping.$RANDOM
	bg_ns "$(vm_ns "$1")" ping -n -c "$3" -i "$4" -W 1 "$2" >"$PING_OUT" 2>&1
	PING_PID=$XVT_LAST_PID
}

# ping_lost : wait for the background ping (in this shell, not a subshell:
# only the parent can wait for it) and print how many replies were missing
ping_lost()
{
	wait "$PING_PID"
	sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$PING_OUT" |
		awk '{ print $1 - $2 }'
}

reattach_live()
{
	local T=reattach_live before after lost id0 id1
	restart_topo
	topo_check $T $? || return
	vm_ping "$T: warm-up vm1a -> vm2a" vm1a "$IP2A" 2
	before=$(config_state "$H1")
	check_eq "$T: learned entry present before" "$(fdb_where "$H1" 100 "$MAC2A")" "remote $(ul_ip 2)"
	id0=$(in_ns "$H1" ip -j link show dev ul | jq -r '.[0].xdp.prog.id // empty')

	ping_bg vm1a "$IP2A" 60 0.05
	sleep 1
	# shellcheck disable=SC2086
	check "$T: second attach while forwarding" xvl "$H1" $ATTACH1
	wait "$PING_PID"
	lost=$(ping_lost)
	check_cmp "$T: ping across the re-attach lost at most 2 of 60" "${lost:-60}" -le 2 "lost"
	after=$(config_state "$H1")
	check_eq "$T: VNI config, static FDB and ports unchanged" "$after" "$before"
	check_eq "$T: learned entry survives the re-attach" "$(fdb_where "$H1" 100 "$MAC2A")" "remote $(ul_ip 2)"
	check_eq "$T: static entry survives the re-attach" "$(fdb_where "$H1" 100 $SMAC)" "remote $(ul_ip 2) static"
	id1=$(in_ns "$H1" ip -j link show dev ul | jq -r '.[0].xdp.prog.id // empty')
	check "$T: XDP program still on the uplink" test -n "$id1"
	xvt_log "$T: uplink XDP prog id before $id0, after $id1"
	vm_ping "$T: vm1a -> vm2a after re-attach" vm1a "$IP2A" 3
	vm_ping "$T: vm3a(kernel) -> vm1a after re-attach" vm3a "$(vm_ip vm1a)" 3

	# ageing still runs after the restart (the bpf_timer lives with the pinned map)
	check "$T: vni set ageing 2" xvc "$H1" vni set 100 ageing 2
	vms_quiet vm1a vm2a vm3a
	sleep 5
	check_eq "$T: ageing sweep still runs after re-attach" "$(fdb_where "$H1" 100 "$MAC2A")" absent
}

# links_progs NS : "name=hook/prog_id ..." of the uplink hooks and port hooks;
# a hook is a link (its id) or a clsact filter (ifindex:handle)
links_progs()
{
	xvl "$1" -j status | jq -r 'def hook: .link_id // "\(.ifindex):\(.handle)";
		.programs | [
		(to_entries[] | select(.value | type == "object" and (has("link_id") or has("handle"))) |
			"\(.key)=\(.value | hook)/\(.value.prog_id)"),
		(.port_links[] | "port_\(.ifindex)=\(hook)/\(.prog_id)"),
		(.port_eg_links[] | "port_eg_\(.ifindex)=\(hook)/\(.prog_id)")
	] | sort | join(" ")'
}

# Upgrade in place under load: attach over the running instance while vm1a
# pings vm2a at 100 pps. Each hook keeps its link and gets a new program in
# one bpf_link_update, so at most one packet may be lost; the maps are reused,
# so configuration, FDB and counters carry on. Three rounds (a lossy swap
# would not pass three times by luck); XVT_UPGRADE_ROUNDS sets another number
# (the TCG guest of tests/kernel61 runs one).
upgrade_under_load()
{
	local T=upgrade_under_load round before after lp0 lp1 rx0 rx1 tx0 lost l0 l1 changed
	restart_topo
	topo_check $T $? || return
	vm_ping "$T: warm-up vm1a -> vm2a" vm1a "$IP2A" 2
	for ((round = 1; round <= ${XVT_UPGRADE_ROUNDS:-3}; round++)); do
		before=$(config_state "$H1")
		lp0=$(links_progs "$H1")
		rx0=$(vni_stat "$H1" 100 rx_packets)
		tx0=$(vni_stat "$H1" 100 tx_packets)
		ping_bg vm1a "$IP2A" 300 0.01
		sleep 1
		check "$T #$round: attach over the running instance under a 100 pps ping" \
			xvl "$H1" $ATTACH1
		wait "$PING_PID"
		lost=$(ping_lost)
		xvt_log "$T #$round: $lost of 300 pings lost"
		check_cmp "$T #$round: ping at 100 pps across the upgrade lost at most 1 of 300" \
			"${lost:-300}" -le 1 "lost"
		lp1=$(links_progs "$H1")
		# same link ids, every prog id new: link update, not re-create
		l0=$(tr ' ' '\n' <<<"$lp0" | sed 's|/.*||')
		l1=$(tr ' ' '\n' <<<"$lp1" | sed 's|/.*||')
		check_eq "$T #$round: every link kept (updated in place)" "$l1" "$l0"
		changed=$(join <(tr ' ' '\n' <<<"$lp0" | tr '=' ' ') <(tr ' ' '\n' <<<"$lp1" | tr '=' ' ') |
			awk '$2 == $3' | wc -l)
		check_cmp "$T #$round: every link runs a new program ($lp1)" "$changed" -eq 0 \
			"links still on the old program"
		check_cmp "$T #$round: at least 6 links (xdp, tc, tc_eg, mirror, port in/eg)" \
			"$(wc -w <<<"$lp1")" -ge 6
		after=$(config_state "$H1")
		check_eq "$T #$round: VNI config, static FDB and ports unchanged" "$after" "$before"
		check_eq "$T #$round: learned entry kept" "$(fdb_where "$H1" 100 "$MAC2A")" "remote $(ul_ip 2)"
		check_eq "$T #$round: static entry kept" "$(fdb_where "$H1" 100 $SMAC)" "remote $(ul_ip 2) static"
		# not reset: the 300 pings (~1 s of them before the swap) add on
		rx1=$(vni_stat "$H1" 100 rx_packets)
		check_cmp "$T #$round: rx_packets carried on ($rx0 -> $rx1)" "$rx1" -ge $((rx0 + 299)) "rx_packets"
		check_cmp "$T #$round: tx_packets carried on" "$(vni_stat "$H1" 100 tx_packets)" -ge $((tx0 + 299)) \
			"tx_packets"
	done
}

detach_attach_from_pins()
{
	local T=detach_attach_from_pins before after
	restart_topo
	topo_check $T $? || return
	vm_ping "$T: warm-up vm1a -> vm2a" vm1a "$IP2A" 2
	before=$(config_state "$H1")

	check "$T: detach --keep-maps" xvl "$H1" detach --keep-maps
	check_not "$T: no XDP program on the uplink after detach" sh -c \
		"nsenter --net=/run/netns/$H1 ip -j link show dev ul | jq -e '.[0].xdp != null' >/dev/null"
	check "$T: maps stay pinned after detach" test -e "$(pin_dir "$H1")/xvtep_fdb"
	check_not "$T: no forwarding while detached" in_ns "$(vm_ns vm1a)" ping -n -c 2 -i 0.2 -W 1 "$IP2A"

	# shellcheck disable=SC2086
	check "$T: attach again from the pins" xvl "$H1" $ATTACH1
	after=$(config_state "$H1")
	check_eq "$T: VNI config, static FDB and ports restored" "$after" "$before"
	vm_ping "$T: vm1a -> vm2a after attach from pins (ports re-attached)" vm1a "$IP2A" 3
	vm_ping "$T: vm2a -> vm1a after attach from pins" vm2a "$(vm_ip vm1a)" 3
	check "$T: status after attach from pins" xvl "$H1" status

	# restart h2 as well while h1 keeps state
	check "$T: h2 detach --keep-maps" xvl "$H2" detach --keep-maps
	check "$T: h2 attach" xvl "$H2" attach --uplink ul --local "$(ul_ip 2)"
	vm_ping "$T: vm1a -> vm2a after h2 restart" vm1a "$IP2A" 3

	# a plain detach removes the dataplane and all the state
	check "$T: plain detach" xvl "$H1" detach
	check_not "$T: pin dir removed by a plain detach" test -e "$(pin_dir "$H1")"
	check_not "$T: no XDP program after a plain detach" sh -c \
		"nsenter --net=/run/netns/$H1 ip -j link show dev ul | jq -e '.[0].xdp != null' >/dev/null"
	check_not "$T: no forwarding after a plain detach" in_ns "$(vm_ns vm1a)" ping -n -c 2 -i 0.2 -W 1 "$IP2A"
}

# Two loaders on one pin dir: the second is refused with a reason, the first's
# work is undisturbed, and the lock is gone when its holder exits.
loader_lock()
{
	local T=loader_lock lock out rc
	topo_underlay && xvtep_host 1
	topo_check $T $? || return
	lock=/run/lock/xvtep-loader$(pin_dir "$H1" | tr / _).lock
	flock "$lock" sleep 4 &
	local holder=$!
	wait_for 2 sh -c "! flock -n '$lock' true"
	out=$(timeout 20 "$LOADER" --pin "$(pin_dir "$H1")" -n "$H1" attach --uplink ul --local "$(ul_ip 1)" 2>&1 >/dev/null)
	rc=$?
	check_refused "$T: a second attach is refused while another loader holds the pin dir" $rc "$out" "Error:*another xvtep-loader*"
	out=$(timeout 20 "$LOADER" --pin "$(pin_dir "$H1")" -n "$H1" detach 2>&1 >/dev/null)
	rc=$?
	check_refused "$T: a concurrent detach is refused too" $rc "$out" "Error:*another xvtep-loader*"
	check "$T: the running instance is untouched" xvl "$H1" status
	wait "$holder"
	check "$T: attach works once the other loader is gone" \
		xvl "$H1" attach --uplink ul --local "$(ul_ip 1)"
	rm -f "$lock"
	topo_destroy
}

xvt_require_all
tests_run
