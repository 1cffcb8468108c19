#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Loader faults: SIGKILL of `attach` at every state-changing syscall (fresh and
# over a running instance), a failing call at each of those (the loader's
# undo), incompatible pinned layouts, pin dir permissions,
# devices deleted while attached, pin dir outside bpffs. After each fault the
# old or the new dataplane forwards, a re-run of attach completes, and a detach
# leaves nothing behind (no pins, no XDP/tcx program, no mirror veth).
#
#   vm1a(ns) 192.0.2.11              vm2a(ns) 192.0.2.21
#      |eth0                            |eth0
#      |vm1a (port, VNI 100)            |vm2a (port, VNI 100)
#   [h1: xvtep]  <- faults here      [h2: xvtep]
#       ul 198.51.100.1                  ul 198.51.100.2
#          \______ [ul: bridge br0] ______/
#
# Fault injection: strace -e inject=SYSCALL:signal=KILL:when=N kills the loader
# on entry to its Nth SYSCALL, before the syscall runs. The N are taken from a
# traced successful run: every bpf() that changes state (MAP_UPDATE_ELEM,
# OBJ_PIN, LINK_CREATE, LINK_UPDATE, PROG_TEST_RUN) and the call after it, and
# every rename/unlink/mkdir/sendmsg (pin swaps, pin dirs, netlink).
# FAULT_MAX=N limits the number of kill points per scenario (default: all),
# FAULT_ONLY=REGEX keeps the matching ones ("SYSCALL N WHAT", e.g. "^rename"),
# FAULT_STRIDE=K keeps every Kth of those (default 2, so the suite stays short;
# FAULT_STRIDE=1 kills at every point, about 8 minutes). error_undo makes the
# call fail instead (inject=SYSCALL:error=EPERM:when=N, the state-changing bpf()
# calls and renames only): the loader's own undo must then leave everything as
# it found it. kill_link_held kills the attach before it renames the mirror
# device's new link into place and holds that link open from another process
# while detach runs: a link's release after its unpin is asynchronous, so
# detach must decide what is its own before it unpins anything.

ALL_TESTS="
	kill_reattach
	kill_fresh
	kill_link_held
	error_undo
	layout_refused
	pin_dir_mode
	port_deleted
	uplink_deleted
	not_bpffs
"

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/topology.sh"

H1=$(h_ns 1)
H2=$(h_ns 2)
PIN1=$(pin_dir "$H1")
IP2A=$(vm_ip vm2a)
ATTACH1=(attach --uplink ul --local "$(ul_ip 1)" --decap hybrid)	# every hook, XDP included
FAULT_SYSCALLS=bpf,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat,sendmsg,sendto

faults_topo()
{
	topo_pair && ul_prewarm
}

# forwards : vm1a reaches vm2a across h1's dataplane within 4 s. One ping at a
# time until the deadline: vm1a's ARP entry for vm2a may still be resolving
# with the probes it sent while h1 had no dataplane (the "from pins" kills
# detach first), and when those run out the kernel fails the queued echo
# request at once - which ends a `ping -c 1 -w 4` with an error, not a retry.
forwards()
{
	local end=$((SECONDS + 4))

	while :; do
		in_ns "$(vm_ns vm1a)" ping -n -c 1 -W 1 "$IP2A" >/dev/null 2>&1 && return 0
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}

# stats_nonzero NS : one line per VNI: packet counters, nonzero drops and events
stats_nonzero()
{
	xvc "$1" -j stats 2>&1 | jq -c '.[] | {vni, rx_packets, tx_packets, local_packets,
		drops: (.drops | with_entries(select(.value > 0))),
		events: (.events | with_entries(select(.value > 0)))}' 2>&1
}

# fwd_diag WHAT : why vm1a does not reach vm2a (into the log): counters,
# neighbours, FDBs and hooks of both hosts, and whether it recovers later
fwd_diag()
{
	local h
	{
		echo "==== fwd_diag: $1"
		for h in "$H1" "$H2"; do
			echo "== $h stats"; stats_nonzero "$h"
			echo "== $h fdb"; xvc "$h" fdb show 2>&1
			echo "== $h neigh"; in_ns "$h" ip neigh show 2>&1
			echo "== $h hooks"; bpf_progs "$h" 2>&1 | tr '\n' ' '; echo
			echo "== $h links/"; ls "$(pin_dir "$h")/links" 2>&1 | tr '\n' ' '; echo
		done
		echo "== vm1a neigh"; in_ns "$(vm_ns vm1a)" ip neigh show 2>&1
		echo "== vm2a neigh"; in_ns "$(vm_ns vm2a)" ip neigh show 2>&1
		if wait_for 10 in_ns "$(vm_ns vm1a)" ping -n -c 1 -W 1 "$IP2A"; then
			echo "== forwarding came back later"
		else
			echo "== still no forwarding"
		fi
	} >&2
}

# no_stale T : after a detach, nothing of h1's instance is left
no_stale()
{
	local T=$1 left
	check_not "$T: no pin dir left" test -e "$PIN1"
	left=$(bpf_progs "$H1")
	check_eq "$T: no XDP/tcx program left in h1" "$left" ""
	check_not "$T: no mirror veth left" in_ns "$H1" ip link show xvtep-mir
}

# fault_points NS ARGS... : run the loader under strace once (a successful run)
# and print the kill points "SYSCALL N CMD", one a line
fault_points()
{
	local ns=$1 trace=$XVT_TMP/trace.$RANDOM
	shift
	strace -qq -o "$trace" -e trace=$FAULT_SYSCALLS -e signal=none \
		"$LOADER" --pin "$PIN1" -n "$ns" "$@" >/dev/null 2>&1 || return 1
	# per-syscall counters: strace's when=N counts each syscall separately
	awk '{
		name = $0; sub(/\(.*/, "", name)
		n = ++count[name]
		if (name == "bpf") {
			cmd = $0; sub(/^bpf\(/, "", cmd); sub(/,.*/, "", cmd)
			changes = cmd ~ /^BPF_(MAP_UPDATE_ELEM|OBJ_PIN|LINK_CREATE|LINK_UPDATE|PROG_TEST_RUN)$/
			if (changes)
				print "bpf", n, cmd
			else if (prev_changed)
				print "bpf", n, "after_" prev_cmd
			prev_changed = changes
			prev_cmd = cmd
		} else {
			arg = $0; sub(/^[^(]*\(/, "", arg); sub(/,.*/, "", arg); sub(/\).*/, "", arg)
			print name, n, arg
		}
	}' "$trace" | grep -E -- "${FAULT_ONLY:-.}" | awk -v s="${FAULT_STRIDE:-2}" '(NR - 1) % s == 0'
}

# injected_attach NS SYSCALL N WHAT : attach in NS under strace with WHAT
# (signal=KILL, error=EPERM) injected into the Nth SYSCALL; prints "rc=RC OUTPUT"
injected_attach()
{
	local out
	out=$(timeout 60 strace -qq -o /dev/null -e trace="$2" -e signal=none \
		-e inject="$2":"$4":when="$3" \
		"$LOADER" --pin "$PIN1" -n "$1" "${ATTACH1[@]}" 2>&1)
	echo "rc=$? $out"
}

# killed_attach NS SYSCALL N : attach SIGKILLed on entry to the Nth SYSCALL;
# succeeds if the loader died of SIGKILL (strace re-raises it)
killed_attach()
{
	local out
	out=$(injected_attach "$1" "$2" "$3" signal=KILL)
	[[ "$out" == "rc=137 "* ]] && ! grep -q "xvtep attached" <<<"$out" && return 0
	echo "$out"
	return 1
}

# kill_scenario T MUST_FWD PREP : kill h1's attach at every point of
# `fault_points`, PREP run before the traced run and before each kill;
# MUST_FWD=1: forwarding must survive each kill (re-attach over a running one)
kill_scenario()
{
	local T=$1 must_fwd=$2 prep=$3 sc n what fwd points=() old=0 partial=0
	$prep >/dev/null 2>&1
	mapfile -t points < <(fault_points "$H1" "${ATTACH1[@]}")
	check_cmp "$T: kill points found in a traced attach" "${#points[@]}" -gt 5
	points=("${points[@]:0:${FAULT_MAX:-${#points[@]}}}")
	xvt_log "$T: kill points: $(printf "%s " "${points[@]}" | tr -s " ")"
	for p in "${points[@]}"; do
		read -r sc n what <<<"$p"
		$prep >/dev/null 2>&1 || { check_fail "$T: prepare for $sc#$n" "prep failed"; continue; }
		check "$T: attach killed at $sc#$n ($what)" killed_attach "$H1" "$sc" "$n"
		fwd=no
		forwards && fwd=yes
		if [ "$must_fwd" = 1 ]; then
			check_eq "$T: forwarding after kill at $sc#$n ($what)" $fwd yes
		fi
		[ $fwd = yes ] && old=$((old + 1)) || partial=$((partial + 1))
		xvt_log "$T: killed at $sc#$n ($what): forwarding $fwd"
		check "$T: re-run attach after kill at $sc#$n" xvl "$H1" "${ATTACH1[@]}"
		if forwards; then
			check_pass "$T: forwarding after re-run ($sc#$n)"
		else
			fwd_diag "$T $sc#$n"
			check_fail "$T: forwarding after re-run ($sc#$n)" "no reply within 4 s; state in the log"
		fi
	done
	xvt_log "$T: ${#points[@]} kill points: forwarding right after the kill at $old, not at $partial"
}

kill_reattach()
{
	local T=kill_reattach
	faults_topo
	topo_check $T $? || return
	check "$T: forwarding before" forwards
	kill_scenario $T 1 true
	check "$T: xvtepctl status works" xvc "$H1" vni show
	check "$T: detach" xvl "$H1" detach
	no_stale $T
}

# From the pins kept by detach --keep-maps (the restart case), then plain
# detach and a fresh attach into an empty pin dir.
kill_fresh()
{
	local T=kill_fresh
	faults_topo
	topo_check $T $? || return
	kill_scenario "$T: from pins" 0 "xvl $H1 detach --keep-maps"

	check "$T: plain detach" xvl "$H1" detach
	# Fresh: each kill leaves partial state; detach must remove all of it.
	local p sc n what out rc points=()
	mapfile -t points < <(fault_points "$H1" "${ATTACH1[@]}")
	check "$T: detach after the traced fresh attach" xvl "$H1" detach
	check_cmp "$T: kill points found in a traced fresh attach" "${#points[@]}" -gt 5
	points=("${points[@]:0:${FAULT_MAX:-${#points[@]}}}")
	xvt_log "$T: kill points: $(printf "%s " "${points[@]}" | tr -s " ")"
	for p in "${points[@]}"; do
		read -r sc n what <<<"$p"
		check "$T: fresh attach killed at $sc#$n ($what)" killed_attach "$H1" "$sc" "$n"
		# rc 1 "nothing attached" is right when the kill came before any pin
		out=$(xvl "$H1" detach 2>&1)
		rc=$?
		if [ $rc -eq 0 ] || [[ $rc -eq 1 && "$out" == "Error: nothing attached"* ]]; then
			check_pass "$T: detach after kill at $sc#$n"
		else
			check_fail "$T: detach after kill at $sc#$n" "rc=$rc '$out'"
		fi
		no_stale "$T: after kill at $sc#$n"
	done
	check "$T: fresh attach completes after all that" xvl "$H1" "${ATTACH1[@]}"
	check "$T: vni add" xvc "$H1" vni add 100 remote "$(ul_ip 2)"
	check "$T: port add" xvc "$H1" port add vm1a vni 100
	check "$T: forwarding after the fresh attach" forwards
}

# HOLD_PIN PATH : python that keeps the object pinned at PATH open
# (BPF_OBJ_GET), prints "held" once it is and exits when its stdin closes.
# Stands for whatever else holds a link (bpftool, a slow RCU grace period)
# when detach unpins it.
HOLD_PIN='
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
path = ctypes.create_string_buffer(sys.argv[1].encode())
attr = ctypes.create_string_buffer(struct.pack("=QII", ctypes.addressof(path), 0, 0), 128)
fd = libc.syscall(321, 7, attr, 16)	# bpf(BPF_OBJ_GET)
if fd < 0:
	sys.exit("BPF_OBJ_GET %s: %s" % (sys.argv[1], os.strerror(ctypes.get_errno())))
print("held", flush=True)
sys.stdin.read()
'

# kill_link_held : an attach killed before it renames the mirror device's new
# link into place (links/tc_mirror_new), while something else holds that link:
# detach must still remove the mirror veth. Unpinning does not release a held
# link, so a veth check made after the unpins sees its program still there.
kill_link_held()
{
	local T=kill_link_held p sc n what holder held out rc points=()
	faults_topo
	topo_check $T $? || return
	check "$T: plain detach" xvl "$H1" detach
	mapfile -t points < <(FAULT_ONLY='^rename .*links/tc_mirror_new' FAULT_STRIDE=1 \
		fault_points "$H1" "${ATTACH1[@]}")
	check "$T: detach after the traced fresh attach" xvl "$H1" detach
	check_eq "$T: one rename of links/tc_mirror_new in a traced attach" "${#points[@]}" 1
	[ ${#points[@]} -eq 1 ] || return
	read -r sc n what <<<"${points[0]}"
	check "$T: fresh attach killed at $sc#$n ($what)" killed_attach "$H1" "$sc" "$n"
	check "$T: the kill left links/tc_mirror_new" test -e "$PIN1/links/tc_mirror_new"
	coproc holder { exec /usr/bin/python3 -c "$HOLD_PIN" "$PIN1/links/tc_mirror_new" 2>&1; }
	held=""
	read -r -t 10 held <&"${holder[0]}"
	check_eq "$T: link held open by another process" "$held" held
	out=$(xvl "$H1" detach 2>&1)
	rc=$?
	check_eq "$T: detach succeeds" "$rc" 0 "$out"
	no_stale "$T: link held at detach"
	exec {holder[1]}>&-	# EOF on its stdin: the holder exits
	wait "$holder_PID" 2>/dev/null
	in_ns "$H1" ip link del xvtep-mir 2>/dev/null
	check "$T: fresh attach completes afterwards" xvl "$H1" "${ATTACH1[@]}"
}

# attach_state : what a failed attach must leave as it found it in h1: every
# XDP program and tcx attachment, the pin tree, the pinned programs' and
# links' ids (status -j), the ports and VNIs
attach_state()
{
	bpf_progs "$H1"
	(cd "$PIN1" 2>/dev/null && find . | sort)
	xvl "$H1" -j status 2>/dev/null | jq -c '.programs'
	xvc "$H1" -j port show 2>/dev/null
	xvc "$H1" -j vni show 2>/dev/null
}

# error_scenario T PREP : at every state-changing call of a traced attach
# (PREP before it and before each run), that call fails: the attach must
# fail with an error and leave attach_state unchanged; an error the loader
# tolerates must still leave a complete, forwarding dataplane
error_scenario()
{
	local T=$1 prep=$2 p sc n what out before after points=() failed=0 tolerated=0
	$prep >/dev/null 2>&1
	mapfile -t points < <(FAULT_ONLY='^(bpf [0-9]+ BPF_(MAP_UPDATE_ELEM|OBJ_PIN|LINK_CREATE|LINK_UPDATE)$|rename)' \
		fault_points "$H1" "${ATTACH1[@]}")
	check_cmp "$T: failure points found in a traced attach" "${#points[@]}" -gt 5
	points=("${points[@]:0:${FAULT_MAX:-${#points[@]}}}")
	xvt_log "$T: failure points: $(printf "%s " "${points[@]}" | tr -s " ")"
	$prep >/dev/null 2>&1
	before=$(attach_state)
	for p in "${points[@]}"; do
		read -r sc n what <<<"$p"
		out=$(injected_attach "$H1" "$sc" "$n" error=EPERM)
		xvt_log "$T: $sc#$n ($what) failing: $out"
		if [[ "$out" == "rc=0 "* ]]; then
			tolerated=$((tolerated + 1))
			check "$T: $sc#$n ($what) failing is tolerated: forwarding" forwards
			check_eq "$T: ... and the XDP encap port keeps its program" \
				"$(bpf_progs "$H1" | grep -c '^vm1a:xdp:')" 1
			$prep >/dev/null 2>&1
			before=$(attach_state)
			continue
		fi
		failed=$((failed + 1))
		check_match "$T: $sc#$n ($what) failing: attach fails with an error" "$out" "rc=1 *Error:*"
		after=$(attach_state)
		check_eq "$T: $sc#$n ($what) failing: hooks, pins, programs, ports as before" \
			"$after" "$before"
	done
	xvt_log "$T: ${#points[@]} failure points: $failed undone, $tolerated tolerated"
	check_cmp "$T: most failures abort the attach" "$failed" -gt "$tolerated"
}

# A call that fails (not a kill) makes the loader undo its own work: over a
# running instance whose port vm1a is in `encap xdp` (so the port's XDP link
# is updated and swapped back), and from the pins after `detach --keep-maps`
# (where the attach creates that port's XDP link anew, and undo removes it).
error_undo()
{
	local T=error_undo
	faults_topo
	topo_check $T $? || return
	check "$T: port set vm1a encap xdp" xvc "$H1" port set vm1a encap xdp
	check_eq "$T: vm1a has its XDP program" "$(bpf_progs "$H1" | grep -c '^vm1a:xdp:')" 1
	check "$T: forwarding before" forwards
	error_scenario "$T: over a running instance" true
	check "$T: forwarding after all that" forwards

	check "$T: detach --keep-maps" xvl "$H1" detach --keep-maps
	error_scenario "$T: from pins" "xvl $H1 detach --keep-maps"
	check_eq "$T: from pins: no XDP program left on vm1a" "$(bpf_progs "$H1" | grep -c '^vm1a:')" 0
	check "$T: attach from pins completes after all that" xvl "$H1" "${ATTACH1[@]}"
	check_eq "$T: vm1a's XDP program is back" "$(bpf_progs "$H1" | grep -c '^vm1a:xdp:')" 1
	check "$T: forwarding after the attach" forwards
	check "$T: detach" xvl "$H1" detach
	no_stale $T
}

# xdp_id : id of the XDP program on h1's uplink (empty if none)
xdp_id()
{
	in_ns "$H1" ip -j link show dev ul | jq -r '.[0].xdp.prog.id // empty'
}

# refused T WHAT MUST... : attach on h1 fails with "Error:" naming every MUST
refused()
{
	local name="$1: $2" out rc m ok=1
	shift 2
	out=$(xvl "$H1" "${ATTACH1[@]}" 2>&1 >/dev/null)
	rc=$?
	[ $rc -ne 0 ] && [[ "$out" == Error:* ]] || ok=0
	for m in "$@"; do
		[[ "$out" == *"$m"* ]] || ok=0
	done
	if [ $ok = 1 ]; then
		check_pass "$name"
		xvt_log "$name: $out"
	else
		check_fail "$name" "rc=$rc, want Error naming '$*': '$out'"
	fi
}

# Incompatible pins planted under a running instance (the real pin moved
# aside, the dataplane keeps the map through its programs): attach refuses,
# names the map and what differs, and changes nothing.
layout_refused()
{
	local T=layout_refused saved=$XVT_BPFFS/${XVT_P}saved id0 meta0 meta99 fdb0 m
	faults_topo
	topo_check $T $? || return
	pin_register "$saved"
	mkdir -p "$saved"
	id0=$(xdp_id)
	fdb0=$(fdb_json "$H1" | jq -c 'sort_by(.mac) | map(del(.age))')

	# ABI version in xvtep_meta
	meta0=$(bpftool -j map lookup pinned "$PIN1/xvtep_meta" key 0 0 0 0 | jq -r '.value | join(" ")')
	meta99="0x63 0x00 0x00 0x00 ${meta0#* * * * }"
	# shellcheck disable=SC2086
	check "$T: plant ABI version 99" bpftool map update pinned "$PIN1/xvtep_meta" key 0 0 0 0 value $meta99
	refused $T "other ABI version refused" xvtep_meta "ABI version 99" \
		"uses $(sed -n 's/^#define XVTEP_ABI_VERSION[[:space:]]*\([0-9]*\).*/\1/p' "$XVT_ROOT/include/xvtep.h")"
	check_eq "$T: meta not rewritten" \
		"$(bpftool -j map lookup pinned "$PIN1/xvtep_meta" key 0 0 0 0 | jq -r '.value | join(" ")')" "$meta99"
	# shellcheck disable=SC2086
	bpftool map update pinned "$PIN1/xvtep_meta" key 0 0 0 0 value $meta0

	# key size, then BTF layout (same sizes, a renamed field), each in place
	# of the real pin
	local vsize
	vsize=$(bpftool -j map show pinned "$PIN1/xvtep_ports" | jq -r .bytes_value)
	mv "$PIN1/xvtep_ports" "$saved/"
	if bpftool map create "$PIN1/xvtep_ports" type hash key 8 value "$vsize" entries 1024 \
		name xvtep_ports 2>"$XVT_TMP/mc.err"; then
		refused $T "other key size refused" xvtep_ports "key size 8" "needs 4"
	else
		check_fail "$T: plant xvtep_ports" "$(cat "$XVT_TMP/mc.err")"
	fi
	rm -f "$PIN1/xvtep_ports"
	mv "$saved/xvtep_ports" "$PIN1/"

	cat >"$XVT_TMP/vstate.bpf.c" <<-'EOC'
	#include <linux/bpf.h>
	#define SEC(n) __attribute__((section(n), used))
	struct xvtep_vstate { unsigned long long count; unsigned long long pad; };
	struct {
		int (*type)[BPF_MAP_TYPE_HASH];
		int (*max_entries)[4096];
		unsigned int *key;
		struct xvtep_vstate *value;
	} xvtep_vstate SEC(".maps");
	SEC("xdp") int planted(struct xdp_md *c) { return XDP_PASS; }
	char _license[] SEC("license") = "GPL";
	EOC
	mv "$PIN1/xvtep_vstate" "$saved/"
	if clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c "$XVT_TMP/vstate.bpf.c" \
		-o "$XVT_TMP/vstate.bpf.o" 2>"$XVT_TMP/mc.err" &&
	   bpftool prog loadall "$XVT_TMP/vstate.bpf.o" "$saved/progs" type xdp \
		pinmaps "$saved/maps" 2>>"$XVT_TMP/mc.err" &&
	   mv "$saved/maps/xvtep_vstate" "$PIN1/xvtep_vstate"; then
		refused $T "other BTF layout (same sizes) refused" xvtep_vstate "value layout differs" \
			"count" "learned"
	else
		check_fail "$T: plant xvtep_vstate with another BTF" "$(cat "$XVT_TMP/mc.err")"
	fi
	rm -f "$PIN1/xvtep_vstate"
	mv "$saved/xvtep_vstate" "$PIN1/"

	check_eq "$T: XDP program unchanged by the refusals" "$(xdp_id)" "$id0"
	check_eq "$T: FDB unchanged by the refusals" \
		"$(fdb_json "$H1" | jq -c 'sort_by(.mac) | map(del(.age))')" "$fdb0"
	for m in links/xdp_uplink_new links/tc_uplink_new progs/xvtep_tc_port_new; do
		check_not "$T: no $m left" test -e "$PIN1/$m"
	done
	check "$T: forwarding after the refusals" forwards
	check "$T: attach with the real pins back" xvl "$H1" "${ATTACH1[@]}"
	check "$T: forwarding after that attach" forwards
	rm -rf "$saved"
}

# The pin dir and its subdirectories are mode 0700; a looser existing dir is
# tightened (with a warning), one owned by another user is refused.
pin_dir_mode()
{
	local T=pin_dir_mode d out rc id0
	faults_topo
	topo_check $T $? || return
	for d in "$PIN1" "$PIN1/links" "$PIN1/progs"; do
		check_eq "$T: ${d#"$XVT_BPFFS"/} mode after a fresh attach" "$(stat -c %a "$d")" 700
	done
	chmod 755 "$PIN1"
	chmod 777 "$PIN1/links"
	out=$(xvl "$H1" "${ATTACH1[@]}" 2>&1)
	rc=$?
	check_eq "$T: re-attach over a loose pin dir succeeds" $rc 0 "$out"
	check_match "$T: loosened mode reported" "$out" "*Warning: $PIN1 had mode 0755, tightened to 0700*"
	check_eq "$T: pin dir tightened to 700" "$(stat -c %a "$PIN1")" 700
	check_eq "$T: links dir tightened to 700" "$(stat -c %a "$PIN1/links")" 700

	id0=$(xdp_id)
	chown 65534 "$PIN1"
	out=$(xvl "$H1" "${ATTACH1[@]}" 2>&1 >/dev/null)
	rc=$?
	check_refused "$T: pin dir owned by another user refused" $rc "$out" "Error:*$PIN1 is owned by uid 65534*"
	chown 0 "$PIN1"
	check_eq "$T: running instance untouched by the refusal" "$(xdp_id)" "$id0"
	check "$T: forwarding after the refusal" forwards

	# a fresh pin dir is 0700 whatever the umask (0377 would make it 0400)
	check "$T: detach" xvl "$H1" detach
	out=$( (umask 0377; xvl "$H1" "${ATTACH1[@]}") 2>&1)
	check_eq "$T: fresh attach with umask 0377" $? 0 "$out"
	check_eq "$T: pin dir mode with umask 0377" "$(stat -c %a "$PIN1")" 700
	check_not "$T: no warning for our own fresh dir" grep -q Warning <<<"$out"
}

# A port device deleted while attached.
port_deleted()
{
	local T=port_deleted out rc ifi
	faults_topo
	topo_check $T $? || return
	ifi=$(in_ns "$H1" ip -j link show dev vm1a | jq -r '.[0].ifindex')
	check "$T: delete port vm1a" in_ns "$H1" ip link del vm1a
	out=$(xvl "$H1" -j status)
	check_eq "$T: status -j shows the port link defunct" \
		"$(jq -c --argjson i "$ifi" '[.programs.port_links[] | select(.ifindex == $i) | .defunct]' <<<"$out")" \
		"[true]"
	out=$(xvl "$H1" "${ATTACH1[@]}" 2>&1)
	rc=$?
	check_eq "$T: re-attach with the port gone succeeds" $rc 0 "$out"
	check_match "$T: re-attach warns about the gone port" "$out" "*links/port_$ifi: port device is gone*"
	check_eq "$T: h1's uplink programs still attached" "$(bpf_progs "$H1" | grep -c '^ul:')" 3
	check "$T: detach" xvl "$H1" detach
	no_stale $T
}

# The uplink deleted while attached.
uplink_deleted()
{
	local T=uplink_deleted out rc
	faults_topo
	topo_check $T $? || return
	check "$T: delete uplink ul" in_ns "$H1" ip link del ul
	out=$(xvl "$H1" status 2>&1)
	check_match "$T: status says the uplink is gone" "$out" "*uplink ul*\(not found: device gone\)*"
	check_eq "$T: status -j uplink.present" "$(xvl "$H1" -j status | jq -r .uplink.present)" false
	out=$(xvl "$H1" "${ATTACH1[@]}" 2>&1 >/dev/null)
	rc=$?
	check_refused "$T: attach names the missing uplink" $rc "$out" "Error:*device \"ul\" does not exist*"
	out=$(xvl "$H1" detach 2>&1)
	check_eq "$T: detach with the uplink gone" $? 0 "$out"
	no_stale $T
	check_eq "$T: no xvtep program left on the port" "$(bpf_progs "$H1" | grep -c vm1a)" 0
}

# A pin path not on bpffs: every command says so and creates nothing.
not_bpffs()
{
	local T=not_bpffs pin=$XVT_TMP/notbpf/x out rc c
	faults_topo
	topo_check $T $? || return
	for c in "attach --uplink ul --local $(ul_ip 1)" status detach; do
		# shellcheck disable=SC2086
		out=$(timeout 20 "$LOADER" --pin "$pin" -n "$H1" $c 2>&1 >/dev/null)
		rc=$?
		check_refused "$T: loader ${c%% *} refused" $rc "$out" "Error:*not a BPF filesystem*"
	done
	out=$(timeout 20 "$CTL" --pin "$pin" -n "$H1" vni show 2>&1 >/dev/null)
	rc=$?
	check_refused "$T: xvtepctl refused" $rc "$out" "Error:*not a BPF filesystem*"
	check_not "$T: nothing created outside bpffs" test -e "$XVT_TMP/notbpf"
	check_eq "$T: h1's running instance still has its XDP programs, on ul and xvtep-mir" \
		"$(bpf_progs "$H1" | grep ':xdp:' | cut -d: -f1-2 | sort | tr '\n' ' ')" "ul:xdp xvtep-mir:xdp "
	check_eq "$T: h1's running instance still has its tcx programs on ul" \
		"$(bpf_progs "$H1" | grep '^ul:tcx' | sort | tr '\n' ' ')" "ul:tcx_egress:1 ul:tcx_ingress:1 "
}

xvt_require_all
require_cmds strace bpftool
tests_run
