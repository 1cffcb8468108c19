#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TC attach without tcx (XVTEP_FEATURES_OFF=tcx, as on Linux < 6.6): every TC
# program is a cls_bpf filter on a clsact qdisc at xvtep's fixed handle and
# priority (include/xvtep.h), no tcx link exists; forwarding works; a
# re-attach under a 100 pps ping replaces the programs in place (at most one
# packet lost); a re-attach that fails puts the previous programs back; port
# add/del add and remove the port's filters; detach removes exactly xvtep's
# filters, and a foreign filter on the uplink survives attach and detach. A
# running instance keeps its attach method: re-attaching it the other way is
# refused until a detach --keep-maps.
#
#   vm1a(ns) vm1b(ns)          vm2a(ns)
#      |eth0  |eth0               |eth0
#   [h1: xvtep, clsact]        [h2: xvtep]
#       ul 198.51.100.1            ul .2
#          \______ [ul: bridge br0] ______/

ALL_TESTS="
	clsact_lifecycle
	clsact_failed_reattach
	method_switch
"

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/topology.sh"

H1=$(h_ns 1)
IP2A=$(vm_ip vm2a)
ATTACH1="attach --uplink ul --local 198.51.100.1 --decap hybrid"
# A classic BPF filter that matches nothing: traffic goes on to the next filter.
FOREIGN=(pref 100 bpf bytecode "1,6 0 0 0")

# xvtep's slots (include/xvtep.h): "DIR PREF HANDLE PROG" per hook kind
SLOT_UP="ingress 30721 0x78760001 xvtep_tc_up"
SLOT_UP_EG="egress 30722 0x78760002 xvtep_tc_up_eg"
SLOT_MIR="ingress 30723 0x78760003 xvtep_tc_mirror"
SLOT_PORT="ingress 30724 0x78760004 xvtep_tc_port"
SLOT_PORT_EG="egress 30725 0x78760005 xvtep_tc_port_e"

# filter_prog NS DEV DIR PREF HANDLE : "NAME:ID" of the BPF program of the
# filter at PREF/HANDLE on DEV's clsact DIR, empty if there is none
filter_prog()
{
	in_ns "$1" tc filter show dev "$2" "$3" 2>/dev/null |
		sed -n "s/.* pref $4 bpf .*handle $5 .* id \([0-9]*\) name \([^ ]*\) .*/\2:\1/p"
}

# check_slot NAME NS DEV SLOT : (check) xvtep's filter of SLOT on DEV runs its program
check_slot()
{
	local dir pref handle prog got
	read -r dir pref handle prog <<<"$4"
	got=$(filter_prog "$2" "$3" "$dir" "$pref" "$handle")
	check_match "$1" "$got" "$prog:[0-9]*"
}

# xvtep_filters NS DEV : xvtep's filters on DEV (both hooks), one per line
xvtep_filters()
{
	in_ns "$1" tc filter show dev "$2" ingress 2>/dev/null | grep 'handle 0x7876000'
	in_ns "$1" tc filter show dev "$2" egress 2>/dev/null | grep 'handle 0x7876000'
}

# h1 with a foreign filter on its uplink before xvtep attaches without tcx;
# h2 attaches the default way
tc_topo()
{
	topo_underlay &&
	topo_host 1 &&
	topo_do in_ns "$H1" tc qdisc add dev ul clsact &&
	topo_do in_ns "$H1" tc filter add dev ul ingress "${FOREIGN[@]}" &&
	pin_register "$(pin_dir "$H1")" &&
	pins_destroy "$H1" &&
	XVTEP_FEATURES_OFF=tcx topo_do xvl "$H1" $ATTACH1 &&
	xvtep_host 2 &&
	xvtep_vni 1 100 her &&
	xvtep_vni 2 100 her &&
	xvtep_vm 1 vm1a 100 &&
	xvtep_vm 2 vm2a 100 &&
	ul_prewarm
}

# ping_bg VM DST COUNT INTERVAL : a background ping; PING_PID, PING_OUT
ping_bg()
{
	PING_OUT=$XVT_TMP/ping.$RANDOM
	bg_ns "$(vm_ns "$1")" ping -n -c "$3" -i "$4" -W 1 "$2" >"$PING_OUT" 2>&1
	PING_PID=$XVT_LAST_PID
}

# ping_lost : the replies missing (after wait "$PING_PID" in this shell: a
# command substitution cannot wait for it)
ping_lost()
{
	sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$PING_OUT" |
		awk '{ print $1 - $2 }'
}

clsact_lifecycle()
{
	local T=clsact_lifecycle st p0 p1 lost links
	local -x XVTEP_FEATURES_OFF=tcx
	tc_topo
	topo_check $T $? || return

	st=$(xvl "$H1" -j status)
	check_eq "$T: status -j says tc_attach clsact" "$(jq -r .tc_attach <<<"$st")" clsact
	check_slot "$T: ul ingress: xvtep_tc_up at pref 30721 handle 0x78760001" "$H1" ul "$SLOT_UP"
	check_slot "$T: ul egress: xvtep_tc_up_eg at pref 30722 handle 0x78760002" "$H1" ul "$SLOT_UP_EG"
	check_slot "$T: xvtep-mir ingress: xvtep_tc_mirror at pref 30723" "$H1" xvtep-mir "$SLOT_MIR"
	check_slot "$T: vm1a ingress: xvtep_tc_port at pref 30724" "$H1" vm1a "$SLOT_PORT"
	check_slot "$T: vm1a egress: xvtep_tc_port_eg at pref 30725" "$H1" vm1a "$SLOT_PORT_EG"
	check_eq "$T: status -j names the filters' programs, handles and priorities" \
		"$(jq -c '.programs | [.tc_uplink.prog_name, .tc_uplink.handle, .tc_uplink.priority,
			.tc_uplink_eg.priority, .tc_mirror.priority]' <<<"$st")" \
		'["xvtep_tc_up",2020999169,30721,30722,30723]'
	check_eq "$T: status -j lists vm1a's port filters" \
		"$(jq -c '.programs | [.port_links[].dev, .port_eg_links[].dev, .port_links[0].priority,
			.port_links[0].prog_id == .xvtep_tc_port.prog_id]' <<<"$st")" '["vm1a","vm1a",30724,true]'
	check_match "$T: status text shows the uplink filter" "$(xvl "$H1" status)" \
		"*tc_uplink*filter ul ingress pref 30721 handle 0x78760001 prog*xvtep_tc_up*"
	check_eq "$T: no tcx program in h1" "$(bpf_progs "$H1" | grep tcx)" ""
	check_match "$T: bpftool net show lists the uplink filter" \
		"$(in_ns "$H1" bpftool net show dev ul)" "*ul(*) clsact/ingress xvtep_tc_up:\[*"
	links=$(ls "$(pin_dir "$H1")/links")
	check_eq "$T: links/ holds XDP links only" "$(grep -v '^xdp_\|^port_xdp_' <<<"$links")" ""
	check_eq "$T: the foreign filter survives the attach" \
		"$(in_ns "$H1" tc filter show dev ul ingress | grep -c 'pref 100 bpf .*bytecode')" 1
	vm_ping "$T: vm1a -> vm2a" vm1a "$IP2A" 3

	# Re-attach under a 100 pps ping: each filter's program replaced in place.
	p0=$(filter_prog "$H1" ul ingress 30721 0x78760001)
	ping_bg vm1a "$IP2A" 300 0.01
	sleep 1
	# shellcheck disable=SC2086
	check "$T: re-attach under a 100 pps ping" xvl "$H1" $ATTACH1
	wait "$PING_PID"
	lost=$(ping_lost)
	check_cmp "$T: the re-attach lost at most 1 of 300 pings" "${lost:-300}" -le 1 "lost"
	p1=$(filter_prog "$H1" ul ingress 30721 0x78760001)
	check_match "$T: the uplink filter runs a new program ($p0 -> $p1)" "$p1" "xvtep_tc_up:*"
	check_cmp "$T: one filter per slot after the re-attach" \
		"$(xvtep_filters "$H1" ul | wc -l)" -eq 2 "xvtep filters on ul"
	[ "$p0" != "$p1" ] && check_pass "$T: program ids differ" || check_fail "$T: program ids differ" "$p0 $p1"

	# Ports: add and remove their two filters.
	vm_add 1 vm1b
	check "$T: port add vm1b" xvc "$H1" port add vm1b vni 100
	check_slot "$T: vm1b ingress filter" "$H1" vm1b "$SLOT_PORT"
	check_slot "$T: vm1b egress filter" "$H1" vm1b "$SLOT_PORT_EG"
	vm_ping "$T: vm1b -> vm2a" vm1b "$IP2A" 3
	check "$T: port del vm1b" xvc "$H1" port del vm1b
	check_eq "$T: no xvtep filter left on vm1b" "$(xvtep_filters "$H1" vm1b)" ""
	check_not "$T: vm1b's clsact qdisc (xvtep's, now empty) removed" sh -c \
		"nsenter --net=/run/netns/$H1 tc qdisc show dev vm1b | grep -q clsact"

	check "$T: detach" xvl "$H1" detach
	check_eq "$T: no xvtep filter left on ul" "$(xvtep_filters "$H1" ul)" ""
	check_eq "$T: no xvtep filter left on vm1a" "$(xvtep_filters "$H1" vm1a)" ""
	check_eq "$T: the foreign filter survives the detach" \
		"$(in_ns "$H1" tc filter show dev ul ingress | grep -c 'pref 100 bpf .*bytecode')" 1
	check "$T: ul keeps its clsact qdisc (a foreign filter is on it)" sh -c \
		"nsenter --net=/run/netns/$H1 tc qdisc show dev ul | grep -q clsact"
	check_not "$T: pin dir removed" test -e "$(pin_dir "$H1")"
}

# A re-attach that fails after replacing some filters (a foreign filter sits
# in vm1b's egress slot) puts their previous programs back.
clsact_failed_reattach()
{
	local T=clsact_failed_reattach before after out rc
	local -x XVTEP_FEATURES_OFF=tcx
	tc_topo && vm_add 1 vm1b && topo_do xvc "$H1" port add vm1b vni 100
	topo_check $T $? || return

	check "$T: replace vm1b's egress filter by a foreign one in its slot" sh -c \
		"nsenter --net=/run/netns/$H1 tc filter del dev vm1b egress pref 30725 handle 0x78760005 bpf &&
		 nsenter --net=/run/netns/$H1 tc filter add dev vm1b egress pref 30725 handle 0x78760005 bpf bytecode '1,6 0 0 0'"
	before=$(for d in ul vm1a vm1b xvtep-mir; do xvtep_filters "$H1" $d; done)
	# shellcheck disable=SC2086
	out=$(xvl "$H1" $ATTACH1 2>&1)
	rc=$?
	check_refused "$T: re-attach refused, naming the filter to delete" $rc "$out" \
		"Error: vm1b egress already has a filter at pref 30725 handle 0x78760005*tc filter del dev vm1b egress pref 30725 handle 0x78760005"
	after=$(for d in ul vm1a vm1b xvtep-mir; do xvtep_filters "$H1" $d; done)
	check_eq "$T: every filter runs its previous program again" "$after" "$before"
	vm_ping "$T: vm1a -> vm2a after the failed re-attach" vm1a "$IP2A" 3
}

# tcx instance re-attached without tcx, and the reverse: refused until a
# detach --keep-maps; the configuration carries over.
method_switch()
{
	local T=method_switch out rc
	XVTEP_FEATURES_OFF= topo_std her
	topo_check $T $? || return
	if [ "$(tc_attach "$H1")" != tcx ]; then
		xvt_log "$T: this kernel has no tcx: nothing to switch from"
		return
	fi
	out=$(XVTEP_FEATURES_OFF=tcx xvl "$H1" $ATTACH1 2>&1)
	rc=$?
	check_refused "$T: a tcx instance is not re-attached with clsact" $rc "$out" \
		"Error: * is attached with tcx links, and this attach would use clsact filters*detach --keep-maps*"
	check_eq "$T: still tcx" "$(tc_attach "$H1")" tcx
	check_eq "$T: no filter added to ul" "$(xvtep_filters "$H1" ul)" ""
	vm_ping "$T: vm1a -> vm2a after the refusal" vm1a "$IP2A" 3

	check "$T: detach --keep-maps" xvl "$H1" detach --keep-maps
	# shellcheck disable=SC2086
	check "$T: attach with clsact from the pins" env XVTEP_FEATURES_OFF=tcx \
		"$LOADER" --pin "$(pin_dir "$H1")" -n "$H1" $ATTACH1
	check_eq "$T: now clsact" "$(tc_attach "$H1")" clsact
	check_eq "$T: no tcx program left in h1" "$(bpf_progs "$H1" | grep tcx)" ""
	vm_ping "$T: vm1a -> vm2a with clsact" vm1a "$IP2A" 3

	out=$(XVTEP_FEATURES_OFF= xvl "$H1" $ATTACH1 2>&1)
	rc=$?
	check_refused "$T: a clsact instance is not re-attached with tcx" $rc "$out" \
		"Error: * is attached with clsact filters, and this attach would use tcx links*detach --keep-maps*"
	check_eq "$T: no tcx program added" "$(bpf_progs "$H1" | grep tcx)" ""
	check "$T: xvtepctl port del follows the instance (clsact)" env XVTEP_FEATURES_OFF= \
		"$CTL" --pin "$(pin_dir "$H1")" -n "$H1" port del vm1a
	check_eq "$T: vm1a's filters gone" "$(xvtep_filters "$H1" vm1a)" ""
}

xvt_require_all
require_cmds bpftool tc
tests_run
