#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# State that survives a reboot: `xvtepctl save` prints an instance's whole
# configuration as a -batch file of `replace` commands; applying it onto a
# fresh instance reproduces every object's `-j show` output, applying it
# again changes nothing (no lost ping, learned entries kept), and the unit's
# boot step (build/dist/xvtep-boot start) brings a wiped instance back.
#
#   vm1a(ns) .11  vm1b(ns) .12     vm2a(ns) .21             vm3a(ns) .31
#      |eth0        |eth0             |eth0                    |eth0
#   [h1: xvtep]  VNI 100: vm1a (tc)  [h2: xvtep] VNI 100   [h3: kernel vx100 + br100]
#                VNI 200: vm1b (xdp)
#                mcol1, mcol2 (veth, mirror destinations)
#       ul 198.51.100.1              ul .2                     ul .3
#          \___________________ [ul: bridge br0] __________________/
#
# h1 carries every option with a non-default value: default and per-VNI
# peers, move dampening, ageing, mac-limit, ttl, group, remotes, nolearning,
# both encap modes, static entries (dev and remote), SPAN/RSPAN/ERSPAN
# sessions with dir, truncate, rate and burst.

ALL_TESTS="
	persist_roundtrip
	persist_reapply
	persist_boot
	persist_errors
"

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/topology.sh"

H1=$(h_ns 1)
ATTACH1="attach --uplink ul --local 198.51.100.1 --decap hybrid"

persist_topo()
{
	topo_std her &&
	vm_add 1 vm1b &&
	topo_do in_ns "$H1" ip link add mcol1 type veth peer name mcol1p &&
	topo_do in_ns "$H1" ip link add mcol2 type veth peer name mcol2p &&
	topo_do in_ns "$H1" ip link set mcol1 up &&
	topo_do in_ns "$H1" ip link set mcol2 up &&
	topo_do xvc "$H1" peer add 198.51.100.0/24 10.9.0.0/16 &&
	topo_do xvc "$H1" vni set 100 ageing 120 mac-limit 500 ttl 32 \
		peer 198.51.100.0/25 peer 203.0.113.0/24 move-limit 4 move-window 20 move-hold 60 &&
	topo_do xvc "$H1" vni add 200 group 239.1.1.2 remote 198.51.100.7 nolearning \
		ageing 60 mac-limit 10 ttl 5 &&
	topo_do xvc "$H1" port add vm1b vni 200 encap xdp &&
	topo_do xvc "$H1" fdb add 02:00:00:00:09:01 vni 100 remote 198.51.100.2 &&
	topo_do xvc "$H1" fdb add 02:00:00:00:09:02 vni 200 dev vm1b &&
	topo_do xvc "$H1" mirror add 1 src vm1a,ul dir tx span dev mcol1 truncate 128 \
		rate 1000 burst 50 &&
	topo_do xvc "$H1" mirror add 2 src vm1b dir rx rspan dev mcol2 vlan 42 &&
	topo_do xvc "$H1" mirror add 3 src vm1a erspan remote 198.51.100.9 version 3 \
		session 7 index 5 hwid 3 truncate 200 rate 10
}

# state NS [runtime] : every object's `-j show`, one line each; counters,
# ages and learned counts masked unless "runtime" (then only ages and counters
# that traffic moves are masked, learned entries and counts are kept)
state()
{
	local ns=$1 rt=${2:-} vdel='del(.learned)' fsel='map(select(.static))'
	[ "$rt" == runtime ] && vdel=. && fsel=.
	echo "vni $(xvc "$ns" -j vni show | jq -S -c "map($vdel)")"
	echo "port $(xvc "$ns" -j port show | jq -S -c .)"
	echo "fdb $(xvc "$ns" -j fdb show | jq -S -c "$fsel | map(del(.age, .frozen_for))")"
	echo "mirror $(xvc "$ns" -j mirror show |
		jq -S -c 'map(del(.packets, .bytes, .truncated, .drops))')"
	echo "peer $(xvc "$ns" -j peer show | jq -S -c .)"
	echo "stats $(xvc "$ns" -j stats | jq -S -c 'map(.vni)')"
}

# check_state NAME WANT GOT : equal, or the differing lines
check_state()
{
	if [ "$2" == "$3" ]; then
		check_pass "$1"
		return 0
	fi
	check_fail "$1" "$(diff <(echo "$2") <(echo "$3") | grep '^[<>]' | head -c 600)"
}

# wipe : what a reboot leaves of h1: no programs, no pins
wipe()
{
	xvl "$H1" detach >/dev/null 2>&1
	rm -rf "$(pin_dir "$H1")"
}

persist_roundtrip()
{
	local T=persist_roundtrip f=$XVT_TMP/saved f2=$XVT_TMP/saved2 before after
	persist_topo
	topo_check $T $? || return
	xvc "$H1" save >"$f" 2>"$f.err"
	check_eq "$T: save" "$? $(cat "$f.err")" "0 "
	xvc "$H1" save >"$f2" 2>&1
	check_eq "$T: save is deterministic" "$(sha256sum <"$f2")" "$(sha256sum <"$f")"
	check_eq "$T: only replace commands" \
		"$(grep -v '^#' "$f" | awk '{ print $1, $2 }' | sort -u | tr '\n' ' ')" \
		"fdb replace mirror replace peer replace port replace vni replace "
	check_eq "$T: no learned entry saved" "$(grep -c 02:00:00:00:02:0a "$f")" 0
	before=$(state "$H1")
	wipe
	check "$T: fresh instance" xvl "$H1" $ATTACH1
	check_eq "$T: fresh instance is empty" "$(xvc "$H1" save | grep -vc '^#')" 0
	check "$T: -batch of the saved file" xvc "$H1" -batch "$f"
	after=$(state "$H1")
	check_state "$T: every object's -j show identical" "$before" "$after"
	xvc "$H1" save >"$f2" 2>&1
	check_eq "$T: save of the copy is the same text" "$(sha256sum <"$f2")" "$(sha256sum <"$f")"
	vm_ping "$T: vm1a -> vm2a (xvtep) after the round trip" vm1a "$(vm_ip vm2a)" 3
	vm_ping "$T: vm1a -> vm3a (kernel vxlan)" vm1a "$(vm_ip vm3a)" 3
	topo_destroy
}

# ping_bg VM DST COUNT INTERVAL : background ping; sets PING_PID, PING_OUT
ping_bg()
{
	PING_OUT=$XVT_TMP/ping.$RANDOM
	bg_ns "$(vm_ns "$1")" ping -n -c "$3" -i "$4" -W 1 "$2" >"$PING_OUT" 2>&1
	PING_PID=$XVT_LAST_PID
}

# ping_lost : wait for the background ping; how many replies were missing
ping_lost()
{
	local tx rx
	wait "$PING_PID"
	tx=$(grep -oE '[0-9]+ packets transmitted' "$PING_OUT" | grep -oE '^[0-9]+')
	rx=$(grep -oE '[0-9]+ (packets )?received' "$PING_OUT" | grep -oE '^[0-9]+')
	echo $((${tx:-0} - ${rx:-0}))
}

persist_reapply()
{
	local T=persist_reapply f=$XVT_TMP/saved base before after i rc=0 out
	persist_topo
	topo_check $T $? || return
	xvc "$H1" save >"$f"
	base=$(state "$H1")
	vm_ping "$T: traffic to learn from" vm1a "$(vm_ip vm2a)" 3
	before=$(state "$H1" runtime)
	check_match "$T: h1 learned vm2a" "$before" "*02:00:00:00:02:0a*"
	# applied three times while vm1a pings vm2a every 10 ms
	ping_bg vm1a "$(vm_ip vm2a)" 200 0.01
	sleep 0.3
	for i in 1 2 3; do
		out=$(xvc "$H1" -batch "$f" 2>&1) || rc=1
	done
	check_eq "$T: the saved file applies onto itself" "$rc $out" "0 "
	check_cmp "$T: no ping lost while it was applied" "$(ping_lost)" -eq 0
	after=$(state "$H1" runtime)
	check_state "$T: nothing changed, learned entries and counts kept" "$before" "$after"
	check_eq "$T: save unchanged" "$(xvc "$H1" save | sha256sum)" "$(sha256sum <"$f")"

	# replace describes the whole object, unlike set
	check "$T: vni replace with a remote only" xvc "$H1" vni replace 100 remote 198.51.100.2
	check_eq "$T: ... options not given are back to the defaults" \
		"$(xvc "$H1" -j vni show 100 | jq -c '.[0] | [.remotes, .ageing, .mac_limit, .ttl, .peer_list, .move_limit, .learning, .ports]')" \
		'[["198.51.100.2"],300,0,0,"default",10,true,["vm1a"]]'
	check_match "$T: ... learned entries kept" "$(fdb_where "$H1" 100 02:00:00:00:02:0a)" "remote 198.51.100.2"
	check "$T: port replace moves vm1a to VNI 200" xvc "$H1" port replace vm1a vni 200 encap xdp
	check_eq "$T: ... ports, encap and port lists" \
		"$(xvc "$H1" -j port show | jq -c 'map([.dev, .vni, .encap])') $(xvc "$H1" -j vni show | jq -c 'map(.ports)')" \
		'[["vm1a",200,"xdp"],["vm1b",200,"xdp"]] [[],["vm1b","vm1a"]]'
	check_eq "$T: ... its learned entries in VNI 100 are gone" "$(fdb_where "$H1" 100 "$(vm_mac vm1a)")" absent
	check "$T: fdb replace over a static entry" \
		xvc "$H1" fdb replace 02:00:00:00:09:01 vni 100 remote 198.51.100.3
	check_eq "$T: ... takes its place" "$(fdb_where "$H1" 100 02:00:00:00:09:01)" "remote 198.51.100.3 static"
	check "$T: mirror replace changes a session in place" \
		xvc "$H1" mirror replace 2 src vm1a,vm1b dir both rspan dev mcol1 vlan 43
	check_eq "$T: ... to exactly that" \
		"$(xvc "$H1" -j mirror show 2 | jq -c '.[0] | [.sources, .dir, .dev, .vlan, .rate]')" \
		'[["vm1a","vm1b"],"both","mcol1",43,0]'
	check "$T: peer replace" xvc "$H1" peer replace 10.0.0.0/8
	check_eq "$T: ... the default list is exactly that" "$(xvc "$H1" -j peer show | jq -c .)" '["10.0.0.0/8"]'
	# and the saved file puts everything back
	check "$T: -batch of the saved file restores" xvc "$H1" -batch "$f"
	check_state "$T: ... every object as saved" "$base" "$(state "$H1")"
	topo_destroy
}

persist_boot()
{
	local T=persist_boot d=$XVT_TMP/boot before after out
	persist_topo
	topo_check $T $? || return
	make -C "$XVT_ROOT" -s build/dist/xvtep-boot >/dev/null 2>&1
	mkdir -p "$d"
	xvc "$H1" save >"$d/xvtep.batch"
	cat >"$d/xvtep.conf" <<-EOF
		XVTEP_UPLINK=ul
		XVTEP_LOCAL=198.51.100.1
		XVTEP_DECAP=hybrid
		XVTEP_PIN=$(pin_dir "$H1")
		XVTEP_NETNS=$H1
		XVTEP_BATCH=$d/xvtep.batch
	EOF
	boot() { XVTEP_CONF=$d/xvtep.conf XVTEP_LOADER=$LOADER XVTEP_CTL=$CTL \
		timeout 60 bash "$XVT_ROOT/build/dist/xvtep-boot" "$@"; }
	vm_ping "$T: vm1a -> vm2a before" vm1a "$(vm_ip vm2a)" 2
	before=$(state "$H1")
	wipe
	check_not "$T: the reboot took the pins" test -e "$(pin_dir "$H1")"
	check_not "$T: ... and forwarding" in_ns "$(vm_ns vm1a)" ping -n -c 1 -W 1 "$(vm_ip vm2a)"
	out=$(boot start 2>&1)
	check_eq "$T: xvtep-boot start" "$?" 0 "$out"
	after=$(state "$H1")
	check_state "$T: every object's -j show as before" "$before" "$after"
	vm_ping "$T: vm1a -> vm2a (xvtep host) after boot" vm1a "$(vm_ip vm2a)" 3
	vm_ping "$T: vm1a -> vm3a (kernel vxlan) after boot" vm1a "$(vm_ip vm3a)" 3
	out=$(boot start 2>&1)
	check_match "$T: a second start keeps the state" "$? $out" "0 *kept its state*not applied*"
	check_state "$T: ... unchanged" "$before" "$(state "$H1")"
	topo_destroy
}

persist_errors()
{
	local T=persist_errors f=$XVT_TMP/bad out rc
	topo_underlay && xvtep_host 1
	topo_check $T $? || return
	out=$("$CTL" --pin "/sys/fs/bpf/${XVT_P}none" save 2>&1)
	check_refused "$T: save on a missing instance" $? "$out" "Error: *${XVT_P}none*"
	check_eq "$T: ... prints no configuration" "$(grep -vc '^Error' <<<"$out")" 0
	check_refused "$T: save takes no argument" 1 "$(xvc "$H1" save vni 2>&1)" 'Error: argument "vni" is wrong: *'
	printf 'vni replace 300 ageing 30\nport replace nosuchdev vni 300\nvni replace 301\n' >"$f"
	out=$(xvc "$H1" -batch "$f" 2>&1)
	check_refused "$T: a bad line stops the batch" $? "$out" 'Error: line 2: argument "nosuchdev" is wrong: no such device'
	check_eq "$T: ... lines before it applied, none after" \
		"$(xvc "$H1" -j vni show | jq -c 'map([.vni, .ageing])')" '[[300,30]]'
	printf 'vni replace 300 ageing 30\nvni replace 302 ageing lots\n' >"$f"
	out=$(xvc "$H1" -batch "$f" 2>&1)
	check_refused "$T: a bad value names its line" $? "$out" 'Error: line 2: argument "lots" is wrong: *'
	out=$(xvc "$H1" mirror replace 9 src vm9 span dev mcol1 2>&1)
	check_refused "$T: mirror replace checks like add" $? "$out" 'Error: argument "vm9" is wrong: no such device'
	topo_destroy
}

xvt_require_all
tests_run
