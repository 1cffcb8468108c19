#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# xvtepctl / xvtep-loader command line: JSON output and negative cases.
#
#   vm1a(ns) 192.0.2.11
#      |eth0
#   [h1: xvtep]  VNI 100 (port vm1a, remote 198.51.100.2), static fdb 02:00:00:00:09:01
#       ul 198.51.100.1
#          \___ [ul: bridge br0]
#
# Every negative case must: exit non-zero, print "Error: ..." on stderr, and
# leave `fdb show -j`, `vni show -j` and `port show -j` unchanged.

ALL_TESTS="
	cli_json
	bpftool_dump
	stats_slots
	cli_negative
	cli_prefix
	loader_negative
	loader_faults
"

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/topology.sh"

H1=$(h_ns 1)
SMAC=02:00:00:00:09:01
DROP_NAMES="malformed no_i_flag unknown_vni inner_vlan bad_src_mac static_conflict mtu_exceeded
	no_route port_unknown no_destination encap_failed redirect_failed hairpin own_source neigh_unresolved
	vlan_untagged vlan_unmapped vlan_qinq neigh_reply_failed"
EVENT_NAMES="learned moved learn_limit fdb_full aged flooded reserved_bits xdp_to_tc"

cli_topo()
{
	topo_underlay &&
	xvtep_host 1 &&
	topo_do xvc "$H1" vni add 100 remote "$(ul_ip 2)" &&
	xvtep_vm 1 vm1a 100 &&
	topo_do xvc "$H1" fdb add $SMAC vni 100 dev vm1a
}

# The maps carry BTF: bpftool prints named, decoded fields for every pinned map.
bpftool_dump()
{
	local T=bpftool_dump pin m out
	cli_topo
	topo_check $T $? || return
	pin=$(pin_dir "$H1")
	out=$(bpftool -j map dump pinned "$pin/xvtep_fdb" 2>&1)
	check_eq "$T: xvtep_fdb key fields are named (vni, mac)" \
		"$(jq -c '[.[] | .formatted.key | select(.vni == 100) | .mac | map(. | tonumber)]' <<<"$out")" \
		"[[2,0,0,0,9,1]]"
	check_eq "$T: xvtep_fdb value fields are named (ifindex, flags)" \
		"$(jq -c '[.[] | .formatted.value | has("ifindex") and has("remote") and has("flags") and has("updated_ns")] | unique' <<<"$out")" \
		"[true]"
	check_eq "$T: xvtep_vnis decodes remotes and ageing" \
		"$(bpftool -j map dump pinned "$pin/xvtep_vnis" | jq -c '[.[] | .formatted | select(.key == 100) | .value | {ageing, nr_remotes}]')" \
		'[{"ageing":300,"nr_remotes":1}]'
	for m in xvtep_meta xvtep_vstate xvtep_ports xvtep_stats xvtep_gc; do
		out=$(bpftool -j map dump pinned "$pin/$m" 2>&1)
		if jq -e '.[0].formatted' <<<"$out" >/dev/null 2>&1; then
			check_pass "$T: $m dumps with BTF field names"
		else
			check_fail "$T: $m dumps with BTF field names" "$out"
		fi
	done
	topo_destroy
}

# vni_obj VNI : the JSON object of VNI from `vni show -j`
vni_obj()
{
	xvc "$H1" -j vni show "$1" | jq -c "[.. | objects | select(.vni? == $1)][0]"
}

cli_json()
{
	local T=cli_json out
	cli_topo
	topo_check $T $? || return

	check "$T: vni add 200 with every option" xvc "$H1" vni add 200 group 239.1.1.2 \
		remote "$(ul_ip 2)" remote "$(ul_ip 3)" nolearning ageing 60 mac-limit 10 ttl 5
	check_eq "$T: vni show -j 200 fields" \
		"$(vni_obj 200 | jq -c '{vni,group,remotes:(.remotes|sort),learning,ageing,mac_limit,ttl,nports:(.ports|length),learned}')" \
		"{\"vni\":200,\"group\":\"239.1.1.2\",\"remotes\":[\"198.51.100.2\",\"198.51.100.3\"],\"learning\":false,\"ageing\":60,\"mac_limit\":10,\"ttl\":5,\"nports\":0,\"learned\":0}"
	check_eq "$T: vni show -j 100 defaults" \
		"$(vni_obj 100 | jq -c '{vni,remotes,learning,ageing,mac_limit,nports:(.ports|length),learned}')" \
		"{\"vni\":100,\"remotes\":[\"198.51.100.2\"],\"learning\":true,\"ageing\":300,\"mac_limit\":0,\"nports\":1,\"learned\":0}"
	check "$T: vni set 200 ageing 30" xvc "$H1" vni set 200 ageing 30
	check_eq "$T: vni set changed only ageing" \
		"$(vni_obj 200 | jq -c '{ageing,mac_limit,ttl,group,learning}')" \
		'{"ageing":30,"mac_limit":10,"ttl":5,"group":"239.1.1.2","learning":false}'
	check_eq "$T: vni show -j lists both VNIs" \
		"$(xvc "$H1" -j vni show | jq -c '[.. | objects | .vni? // empty] | unique')" "[100,200]"

	out=$(xvc "$H1" -j fdb show vni 100)
	check_eq "$T: fdb show -j static entry" \
		"$(jq -c --arg m $SMAC '[.. | objects | select(.mac? == $m)][0] | {vni,mac,dev,static,has_age:has("age")}' <<<"$out")" \
		"{\"vni\":100,\"mac\":\"$SMAC\",\"dev\":\"vm1a\",\"static\":true,\"has_age\":true}"
	check "$T: fdb add static remote" xvc "$H1" fdb add 02:00:00:00:09:02 vni 100 remote "$(ul_ip 2)"
	check_eq "$T: fdb show -j remote entry" \
		"$(fdb_get "$H1" 100 02:00:00:00:09:02 | jq -c '{vni,mac,remote,static}')" \
		"{\"vni\":100,\"mac\":\"02:00:00:00:09:02\",\"remote\":\"$(ul_ip 2)\",\"static\":true}"

	out=$(xvc "$H1" -j stats vni 100)
	check_eq "$T: stats -j counters" \
		"$(jq -c '[.. | objects | select(.vni? == 100)][0] | [has("rx_packets"),has("rx_bytes"),has("tx_packets"),has("tx_bytes"),has("local_packets"),has("local_bytes")] | all' <<<"$out")" true
	local n missing=
	for n in $DROP_NAMES; do
		jq -e "[.. | objects | select(.vni? == 100)][0].drops | has(\"$n\")" <<<"$out" >/dev/null 2>&1 || missing+=" drops.$n"
	done
	for n in $EVENT_NAMES; do
		jq -e "[.. | objects | select(.vni? == 100)][0].events | has(\"$n\")" <<<"$out" >/dev/null 2>&1 || missing+=" events.$n"
	done
	check_eq "$T: stats -j has every drop reason and event" "${missing:-none}" none "missing keys"
	check "$T: stats -j (all VNIs) is JSON" sh -c "$CTL --pin $(pin_dir "$H1") -n $H1 -j stats | jq -e . >/dev/null"
	check "$T: port show -j lists vm1a" sh -c "$CTL --pin $(pin_dir "$H1") -n $H1 -j port show | jq -e 'tostring | contains(\"vm1a\")' >/dev/null"
	check "$T: status -j is JSON" sh -c "$LOADER --pin $(pin_dir "$H1") -n $H1 -j status | jq -e . >/dev/null"
	check "$T: -j -p pretty JSON spans lines" sh -c "$CTL --pin $(pin_dir "$H1") -n $H1 -j -p vni show | jq -e . >/dev/null && [ \$($CTL --pin $(pin_dir "$H1") -n $H1 -j -p vni show | wc -l) -gt 3 ]"
	local obj cmd
	for cmd in "vni show" "port show" "fdb show" "stats"; do
		# shellcheck disable=SC2086
		obj=$(xvc "$H1" $cmd 2>&1)
		if [ $? -eq 0 ] && [ -n "$obj" ]; then
			check_pass "$T: text output of '$cmd'"
		else
			check_fail "$T: text output of '$cmd'" "empty or failed: $obj"
		fi
	done
	check "$T: text status" xvl "$H1" status
	check "$T: fdb del" xvc "$H1" fdb del 02:00:00:00:09:02 vni 100
	check "$T: vni del 200 (no ports)" xvc "$H1" vni del 200
	check_eq "$T: VNI 200 gone" "$(xvc "$H1" -j vni show | jq -c '[.. | objects | select(.vni? == 200)] | length')" 0
	check "$T: port del vm1a" xvc "$H1" port del vm1a
	check "$T: vni del 100 after its port is gone" xvc "$H1" vni del 100
}

# snapshot of the configuration (age fields removed: they tick)
# Per-VNI counters live in slots of a per-CPU array (xvtep_vni.stats_slot):
# every VNI has its own, and a slot taken over by a new VNI starts at zero.
stats_slots()
{
	local T=stats_slots s100 s200 s400 out
	cli_topo
	topo_check $T $? || return
	check "$T: vni add 200" xvc "$H1" vni add 200
	s100=$(bpftool -j map dump pinned "$(pin_dir "$H1")/xvtep_vnis" | jq '.[] | .formatted | select(.key == 100) | .value.stats_slot')
	s200=$(bpftool -j map dump pinned "$(pin_dir "$H1")/xvtep_vnis" | jq '.[] | .formatted | select(.key == 200) | .value.stats_slot')
	check "$T: VNIs 100 and 200 have distinct nonzero slots ($s100, $s200)" \
		test "${s100:-0}" -gt 0 -a "${s200:-0}" -gt 0 -a "${s100:-0}" != "${s200:-0}"
	# ARP for an absent host: flooded by VNI 100 (copies to its remote)
	in_ns "$(vm_ns vm1a)" ping -c 2 -i 0.2 -W 1 192.0.2.77 >/dev/null 2>&1
	out=$(xvc "$H1" -j stats vni 100 | jq '.[0].events.flooded')
	check "$T: VNI 100 counted its floods ($out)" test "${out:-0}" -gt 0
	check_eq "$T: VNI 200 counted nothing" \
		"$(xvc "$H1" -j stats vni 200 | jq '[.[0] | .rx_packets, .tx_packets, .local_packets, (.drops[]), (.events[])] | add')" 0
	check "$T: port del vm1a, vni del 100 (frees slot $s100)" \
		sh -c "$CTL --pin $(pin_dir "$H1") -n $H1 port del vm1a && $CTL --pin $(pin_dir "$H1") -n $H1 vni del 100"
	check "$T: vni add 400" xvc "$H1" vni add 400
	s400=$(bpftool -j map dump pinned "$(pin_dir "$H1")/xvtep_vnis" | jq '.[] | .formatted | select(.key == 400) | .value.stats_slot')
	check_eq "$T: VNI 400 reuses the freed slot" "$s400" "$s100"
	check_eq "$T: VNI 400 starts from zero" \
		"$(xvc "$H1" -j stats vni 400 | jq '[.[0] | .rx_packets, .tx_packets, .local_packets, (.drops[]), (.events[])] | add')" 0
	check_eq "$T: stats -j lists the global VNI 0, 200 and 400" \
		"$(xvc "$H1" -j stats | jq -c '[.[].vni]')" "[0,200,400]"
}

cli_state()
{
	local f v p
	f=$(xvc "$H1" -j fdb show 2>&1 | jq -S -c 'walk(if type == "object" then del(.age) else . end)' 2>&1)
	v=$(xvc "$H1" -j vni show 2>&1 | jq -S -c . 2>&1)
	p=$(xvc "$H1" -j port show 2>&1 | jq -S -c . 2>&1)
	echo "fdb=$f vni=$v port=$p"
}

# neg NAME ARGS... : xvtepctl ARGS must fail cleanly without changing state
neg()
{
	local name="cli_negative: $1" before after rc why=
	shift
	before=$(cli_state)
	xvc "$H1" "$@" >"$XVT_TMP/neg.out" 2>"$XVT_TMP/neg.err"
	rc=$?
	after=$(cli_state)
	[ $rc -ne 0 ] || why+="exited 0; "
	[ $rc -ne 124 ] || why+="timed out; "
	head -n1 "$XVT_TMP/neg.err" | grep -q '^Error: ' ||
		why+="stderr is not 'Error: ...': '$(head -c 200 "$XVT_TMP/neg.err")'; "
	[ "$before" == "$after" ] || why+="state changed: before $before after $after; "
	if [ -z "$why" ]; then
		check_pass "$name"
	else
		check_fail "$name" "xvtepctl $*: $why"
	fi
}

cli_negative()
{
	local T=cli_negative i many=()
	cli_topo
	topo_check $T $? || return
	for ((i = 1; i <= 17; i++)); do
		many+=(remote "198.51.100.$((100 + i))")
	done

	neg "vni 0" vni add 0
	neg "vni 16777216" vni add 16777216
	neg "vni abc" vni add abc
	neg "vni -1" vni add -1
	neg "unicast group" vni add 300 group 198.51.100.9
	neg "malformed group" vni add 300 group 239.1.1.256
	neg "multicast remote" vni add 300 remote 239.1.1.5
	neg "17 remotes" vni add 300 "${many[@]}"
	neg "bad ageing" vni add 300 ageing abc
	neg "ttl 256" vni add 300 ttl 256
	neg "unknown vni keyword" vni add 300 bogus
	neg "duplicate vni add" vni add 100
	neg "vni set absent" vni set 300 ageing 5
	neg "vni del absent" vni del 300
	neg "vni del with ports" vni del 100
	neg "port add missing device" port add nosuchdev vni 100
	neg "port add duplicate" port add vm1a vni 100
	neg "port add to absent vni" port add lo vni 300
	neg "port add the uplink" port add ul vni 100
	neg "port del missing device" port del nosuchdev
	neg "port del not a port" port del lo
	neg "fdb bad mac" fdb add 02:00:00:00:00:zz vni 100 dev vm1a
	neg "fdb short mac" fdb add 02:00:00:00:00 vni 100 dev vm1a
	neg "fdb multicast mac" fdb add 01:00:5e:00:00:01 vni 100 dev vm1a
	neg "fdb absent vni" fdb add 02:00:00:00:09:03 vni 300 dev vm1a
	neg "fdb missing device" fdb add 02:00:00:00:09:03 vni 100 dev nosuchdev
	neg "fdb device not a port" fdb add 02:00:00:00:09:03 vni 100 dev lo
	neg "fdb multicast remote" fdb add 02:00:00:00:09:03 vni 100 remote 239.1.1.1
	neg "fdb no destination" fdb add 02:00:00:00:09:03 vni 100
	neg "fdb duplicate add" fdb add $SMAC vni 100 dev vm1a
	neg "fdb del absent" fdb del 02:00:00:00:09:99 vni 100
	neg "fdb show bad vni" fdb show vni abc
	neg "unknown object" bogus show
	neg "unknown command" vni frobnicate

	local out rc
	out=$(timeout 10 "$CTL" --pin "$XVT_BPFFS/${XVT_P}none" vni show 2>&1 >/dev/null)
	rc=$?
	check_refused "$T: not attached (pin dir absent)" $rc "$out" "Error:*"
	out=$(timeout 10 "$CTL" -n "${XVT_P}nosuchns" --pin "$(pin_dir "$H1")" vni show 2>&1 >/dev/null)
	rc=$?
	check_refused "$T: missing netns" $rc "$out" "Error:*"
}

# Objects and commands may be abbreviated (iproute2 style): a unique prefix
# stands for its word, an exact word wins, an ambiguous prefix is refused.
cli_prefix()
{
	local T=cli_prefix out rc
	cli_topo
	topo_check $T $? || return
	check_eq "$T: v sh -j = vni show -j" "$(xvc "$H1" -j v sh | jq -c .)" \
		"$(xvc "$H1" -j vni show | jq -c .)"
	check "$T: vni a 300 (add)" xvc "$H1" vni a 300
	check_eq "$T: VNI 300 added" "$(xvc "$H1" -j vni show | jq '[.. | objects | select(.vni? == 300)] | length')" 1
	check "$T: vni de 300 (del and delete are one command)" xvc "$H1" vni de 300
	check_eq "$T: VNI 300 deleted" "$(xvc "$H1" -j vni show | jq '[.. | objects | select(.vni? == 300)] | length')" 0
	check_eq "$T: fdb sh = fdb show" "$(xvc "$H1" fdb sh)" "$(xvc "$H1" fdb show)"
	check "$T: stat (stats)" xvc "$H1" stat
	neg "prefix: ambiguous object" p show
	neg "prefix: ambiguous command" vni s 100
	out=$(xvc "$H1" m 2>&1 >/dev/null)
	rc=$?
	check_refused "$T: m names mirror, metrics and monitor" $rc "$out" \
		"Error:*ambiguous object*mirror, metrics, monitor*"
	out=$(xvc "$H1" vni s 2>&1 >/dev/null)
	rc=$?
	check_refused "$T: vni s names show and set" $rc "$out" "Error:*ambiguous command*show, set*"
}

# lneg NAME ARGS... : xvtep-loader attach with bad arguments (separate pin dir)
lneg()
{
	local name="loader_negative: $1" pin="$XVT_BPFFS/${XVT_P}neg" rc out
	shift
	pin_register "$pin"
	out=$(timeout 20 "$LOADER" --pin "$pin" -n "$H1" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [[ "$(head -n1 <<<"$out")" == Error:* ]]; then
		check_pass "$name"
	else
		check_fail "$name" "xvtep-loader $*: rc=$rc stderr '$(head -c 200 <<<"$out")'"
	fi
}

loader_negative()
{
	local T=loader_negative
	cli_topo
	topo_check $T $? || return
	local L
	L="attach --uplink ul --local $(ul_ip 1)"

	# shellcheck disable=SC2086
	{
	lneg "missing uplink" attach --uplink nosuchdev --local "$(ul_ip 1)"
	lneg "multicast local" attach --uplink ul --local 239.1.1.1
	lneg "malformed local" attach --uplink ul --local 198.51.100
	lneg "dstport 0" $L --dstport 0
	lneg "dstport 65536" $L --dstport 65536
	lneg "sport range reversed" $L --sport-range 60000-50000
	lneg "sport range junk" $L --sport-range abc
	lneg "decap bogus" $L --decap bogus
	lneg "xdp-mode bogus" $L --xdp-mode bogus
	lneg "fdb-size 0" $L --fdb-size 0
	lneg "no --local" attach --uplink ul
	lneg "unknown command" frobnicate
	}
	local out rc
	out=$(timeout 10 "$LOADER" --pin "$XVT_BPFFS/${XVT_P}none" status 2>&1 >/dev/null)
	rc=$?
	check_refused "$T: status when not attached" $rc "$out" "Error:*"
	out=$(timeout 10 "$LOADER" --pin "$XVT_BPFFS/${XVT_P}none" -n "$H1" detach 2>&1 >/dev/null)
	rc=$?
	check_refused "$T: detach when not attached" $rc "$out" "Error:*"
	# the running instance was not disturbed
	check "$T: h1 instance still attached" xvl "$H1" status
	check_eq "$T: h1 config intact" "$(vni_obj 100 | jq -c '{vni,remotes}')" '{"vni":100,"remotes":["198.51.100.2"]}'
}

# Environment faults: each is refused with a clear error, nothing half-attached.
loader_faults()
{
	local T=loader_faults H2 pin2 out rc fobj fpin
	topo_underlay && topo_host 2
	topo_check $T $? || return
	H2=$(h_ns 2)
	pin2=$(pin_dir "$H2")
	pin_register "$pin2"

	# A foreign XDP program on the uplink: refused, untouched; --force replaces it.
	fobj=$XVT_TMP/foreign.bpf.o
	fpin=$XVT_BPFFS/${XVT_P}foreign
	pin_register "$fpin"
	printf '%s\n' '#include <linux/bpf.h>' '__attribute__((section("xdp"), used)) int foreign(struct xdp_md *c) { return XDP_PASS; }' \
		'char _license[] __attribute__((section("license"), used)) = "GPL";' >"$XVT_TMP/foreign.bpf.c"
	if ! clang -O2 -target bpf -I/usr/include/x86_64-linux-gnu -c "$XVT_TMP/foreign.bpf.c" -o "$fobj" 2>"$XVT_TMP/foreign.err" ||
	   ! bpftool prog load "$fobj" "$fpin" type xdp 2>>"$XVT_TMP/foreign.err" ||
	   ! in_ns "$H2" ip link set dev ul xdpgeneric pinned "$fpin" 2>>"$XVT_TMP/foreign.err"; then
		check_fail "$T: foreign XDP program set up" "$(cat "$XVT_TMP/foreign.err")"
	else
		out=$(timeout 20 "$LOADER" --pin "$pin2" -n "$H2" attach --uplink ul --local "$(ul_ip 2)" 2>&1 >/dev/null)
		rc=$?
		if [ $rc -ne 0 ] && [[ "$out" == Error:*foreign* || "$out" == Error:*XDP* ]]; then
			check_pass "$T: foreign XDP program refused without --force"
		else
			check_fail "$T: foreign XDP program refused without --force" "rc=$rc '$out'"
		fi
		check_eq "$T: foreign program still attached" \
			"$(in_ns "$H2" ip -j link show dev ul | jq -r '.[0].xdp.prog.name // empty')" foreign
		check_not "$T: nothing pinned by the refused attach" test -e "$pin2/xvtep_fdb"
		check "$T: --force replaces the foreign program" \
			"$LOADER" --pin "$pin2" -n "$H2" attach --uplink ul --local "$(ul_ip 2)" --force \
			--decap hybrid
		check_eq "$T: xvtep's XDP program now on the uplink" \
			"$(in_ns "$H2" ip -j link show dev ul | jq -r '.[0].xdp.prog.name // empty')" xvtep_xdp_up
		check "$T: detach after --force" "$LOADER" --pin "$pin2" -n "$H2" detach
	fi

	# Pin directory outside bpffs.
	out=$(timeout 20 "$LOADER" --pin "$XVT_TMP/notbpf/x" -n "$H2" attach --uplink ul --local "$(ul_ip 2)" 2>&1 >/dev/null)
	rc=$?
	check_refused "$T: pin dir outside bpffs refused" $rc "$out" "Error:*bpf*"

	# Missing privileges.
	out=$(timeout 20 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$LOADER" --pin "$pin2" attach --uplink lo --local 198.51.100.2 2>&1 >/dev/null)
	rc=$?
	check_refused "$T: unprivileged attach refused with a privileges error" $rc "$out" "Error:*privilege*"
	check_not "$T: nothing pinned by the unprivileged attach" test -e "$pin2/xvtep_fdb"

	# An incompatible pinned map (other value size) is never reused silently.
	mkdir -p "$pin2"
	if bpftool map create "$pin2/xvtep_vnis" type hash key 4 value 8 entries 16 name xvtep_vnis 2>"$XVT_TMP/mc.err"; then
		out=$(timeout 20 "$LOADER" --pin "$pin2" -n "$H2" attach --uplink ul --local "$(ul_ip 2)" 2>&1 >/dev/null)
		rc=$?
		check_refused "$T: incompatible pinned map refused, named" $rc "$out" "Error:*xvtep_vnis*"
		check_eq "$T: the incompatible map is left alone" \
			"$(bpftool -j map show pinned "$pin2/xvtep_vnis" | jq -r .bytes_value)" 8
		check_not "$T: no program attached after the refusal" \
			sh -c "nsenter --net=/run/netns/$H2 ip -j link show dev ul | jq -e '.[0].xdp'"
	else
		check_fail "$T: incompatible pinned map set up" "$(cat "$XVT_TMP/mc.err")"
	fi
	rm -rf "$pin2"
	topo_destroy
}

xvt_require_all
tests_run
