#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# xvtep benchmark: xvtep against the kernel's vxlan + bridge, side by side.
#
#   make bench                 full run (every point, 5 runs each, < 15 min on 2 cores)
#   BENCH_QUICK=1 make bench   one point of each kind, 3 runs each (< 2 min)
#   with it: BENCH_ONLY="cost mirror fallback ..." only those kinds; BENCH_RUNS=N;
#   BENCH_COST_MACS="1 100000" the cost point at those FDB sizes (default 1)
#   BENCH_ONLY="decap6 encap6" (or ipv6) the IPv6-underlay points alone
#   BENCH_GEN=auto|live|clone  the traffic generator (below; default auto)
#
# Both systems are built at once, in namespaces xvb-x-* (xvtep) and xvb-k-*
# (kernel vxlan + bridge), with the same addresses and the same FDB contents;
# every point runs its repetitions interleaved (xvtep, kernel, xvtep, ...) so
# that load from elsewhere on the machine hits both alike.
#
#   rate topology (per system)                TCP topology (per system)
#
#   vm1..vm4 (ns) eth0 192.0.2.1K MTU 1500     ta (ns) 192.0.2.1   tb (ns) 192.0.2.2
#      |  XDP sinks (count at the receiver)       |eth0 MTU 1450         |eth0
#   [h1] ports vm1..vm4, VNI 100               [t1] port vma          [t2] port vmb
#      ul 198.51.100.1 MTU 1600                  ul .1 ---- veth ---- ul .2   MTU 1500
#      |
#   [ul] peer 198.51.100.2 (+ .3 .4 .5: the remote VTEPs): generator (decap) / sink (encap)
#
#   IPv6 underlay (decap6/encap6 points, v6_up .. v6_down): h1's ul also
#   2001:db8::1/64, the peer 2001:db8::2/64; xvtep attached with both locals,
#   the kernel a second vxlan device vx6 (local 2001:db8::1) in br100.
#
#   ERSPAN collector (xvtep only, mirror points): [h1] and [t1] each have a
#   veth "col" 203.0.113.1/24 to namespace xvb-x-col / xvb-x-tcol, where
#   203.0.113.50 (eth0) runs an XDP counting sink of its own (pins under
#   xvb-bench/col; a TC one that keeps GSO for a TCP point, see
#   mirror_tcp_point): the copies are counted where they arrive, and they
#   neither share the generator's veth pair nor land in a stack that cannot
#   take them (sent via the peer, they were all dropped there as
#   IpInAddrErrors, on the generator's CPU and veth queue).
#
# Traffic: build/bench/xvb (bench/xvb.c) runs bench/gen.bpf.c with
# BPF_PROG_TEST_RUN, sending prebuilt frames into a veth; bench/sink.bpf.c
# counts where they arrive. The generator: live (XDP,
# BPF_F_TEST_XDP_LIVE_FRAMES) where the kernel allows it, else clone (TC,
# one bpf_clone_redirect per run; some kernels refuse live frames with
# EPERM); auto probes with one live frame, BENCH_GEN=clone forces the
# fallback. The ceiling point measures each usable generator alone into a
# sink; the report flags points within 10% of the used one's ceiling as
# generator-bound. Results: bench/results/latest.{json,md,svg} (bench/report.py).
#
# Pins: /sys/fs/bpf/xvb-*; everything is removed at exit (tests/lib.sh trap).

set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
export XVT_P=xvb-
# shellcheck source=../tests/lib.sh
. "$ROOT/tests/lib.sh"
# shellcheck source=../tests/integration/topology.sh
. "$ROOT/tests/integration/topology.sh"	# topo_do, topo_ns
# shellcheck source=../tests/integration/evpn_lib.sh
. "$ROOT/tests/integration/evpn_lib.sh"	# FRR and xvtepd (the evpn point)

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	RUNS=${BENCH_RUNS:-3}
	SECS=${BENCH_SECS:-0.5}
	TCP_SECS=${BENCH_TCP_SECS:-2}
	CP_N=${BENCH_CP_N:-1000}
else
	SECS=${BENCH_SECS:-1}
	TCP_SECS=${BENCH_TCP_SECS:-3}
	CP_N=${BENCH_CP_N:-100000}
	RUNS=${BENCH_RUNS:-5}
fi
WARM=0.2	# s per window before counting (with it, a full run stays under 15 min)
COST_MACS=${BENCH_COST_MACS:-1}	# quick mode's cost point FDB sizes, ascending
prev=1
for n in $COST_MACS; do
	[[ $n =~ ^[1-9][0-9]{0,5}$ ]] && [ "$n" -ge "$prev" ] && [ "$n" -le 100000 ] || {
		echo "ERROR: BENCH_COST_MACS: \"$n\" is not an FDB size from $prev to 100000 (ascending)" >&2
		exit 1
	}
	prev=$n
done
case ${BENCH_GEN:=auto} in
auto | live | clone) ;;
*)
	echo "ERROR: BENCH_GEN: \"$BENCH_GEN\" is not a generator: use auto, live or clone" >&2
	exit 1
	;;
esac
GEN=""		# the generator every rate point uses (gen_choose)
GENS=()		# the generators the ceiling point measures: every one usable here
TCP_DECAP=${XVB_TCP_DECAP:-auto}	# the default: TC decap on these veth uplinks
# The kernel's bridges call no netfilter hooks (bridge-nf-call-*=0), its fastest
# set-up and what a host with no bridge firewall runs; this kernel has
# br_netfilter built in, so each new namespace starts with them on.
# XVB_KERNEL_BRNF=1 measures every point against that as-booted bridge;
# the full run adds a few such points either way (brnf_points).
export XVB_KERNEL_BRNF=${XVB_KERNEL_BRNF:-0}
KERNEL_BRNF=$XVB_KERNEL_BRNF
KSHAPE=""	# shape suffix of points taken against a non-default kernel set-up
XVB=$ROOT/build/bench/xvb
BPIN=$XVT_BPFFS/xvb-bench
CPIN=$BPIN/col			# the collector sink's programs and counter
RES=$ROOT/bench/results
PTS=$XVT_TMP/points.jsonl
NCPU=$(nproc)
GEN_CPU=$((NCPU - 1))
RX_CPU=0		# the stack points' UDP application (sink_on stack-rx|stack-poll)
INNER_DPORT=9		# the generator's inner UDP destination port (bench/xvb.c)
T_START=$(date +%s)

VNI=100
UL_MTU=1600	# VXLAN-ready underlay; veth XDP without frags caps it near 3.5k
VM_MTU=1500
REMOTES=(198.51.100.2 198.51.100.3 198.51.100.4 198.51.100.5)
LOCAL_IP=198.51.100.1
REMOTE_VM_MAC=02:00:00:00:09:0a	# inner source of decap traffic (behind 198.51.100.2)
REMOTE_VM_IP=192.0.2.99
DECAP_BASE=02:d0:00:00:00:00	# local MACs (-> port vm1): decap destinations
ENCAP_BASE=02:e0:00:00:00:00	# remote MACs (-> 198.51.100.2): encap destinations
CP_BASE=02:c0:00		# control-plane test MACs
COLLECTOR=203.0.113.50		# ERSPAN collector: its own veth and namespace (collector_topo)
COL_LOCAL=203.0.113.1
# The IPv6 underlay points (v6_point): both systems' h1 get LOCAL_IP6 on ul
# beside LOCAL_IP for their duration, the remote VTEP REMOTE6 on ul's peer
LOCAL_IP6=2001:db8::1
REMOTE6=2001:db8::2
REMOTE6_VM_MAC=02:00:00:00:09:6a	# inner source of IPv6-underlay decap traffic
ENCAP6_BASE=02:e6:00:00:00:00		# remote MACs (-> REMOTE6): IPv6 encap destinations
X_LOCALS=(--local "$LOCAL_IP")	# xvb-x-h1's attach --local arguments (v6_up adds LOCAL_IP6)

log() { printf '[%4ds] %s\n' $(($(date +%s) - T_START)) "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

vm_mac_n() { printf '02:00:00:00:%02x:0a' "$1"; }
dev_mac() { in_ns "$1" ip -o link show dev "$2" | sed -n "s/.*link\/ether \([0-9a-f:]*\).*/\1/p"; }
mac_idx() { printf '%s:%02x:%02x:%02x' "${1:0:8}" $(($2 >> 16 & 255)) $(($2 >> 8 & 255)) $(($2 & 255)); }

# ------------------------------------------------------------------ setup

deps()
{
	local p missing=()
	for p in gnuplot-nox iperf3 jq ethtool iproute2 python3 frr tshark; do	# tshark: v6_wire_check
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]}"
	apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]}"
}

run() { topo_do "$@" || die "$TOPO_ERR"; }

# veth_pair NS_A DEV_A NS_B DEV_B MTU
veth_pair()
{
	run ip link add "$2" netns "$1" mtu "$5" type veth peer name "$4" netns "$3" mtu "$5"
	run in_ns "$1" ip link set "$2" up
	run in_ns "$3" ip link set "$4" up
	# XDP_REDIRECT into a veth only arrives if the peer runs NAPI: GRO on
	run in_ns "$1" ethtool -K "$2" gro on
	run in_ns "$3" ethtool -K "$4" gro on
}

mkns() { topo_ns "$1" || die "$TOPO_ERR"; }

# collector_topo HOST_NS COL_NS MTU : the ERSPAN collector, on its own veth
# (see the topology comment at the top). MTU: that of the uplink it replaces,
# so copies are truncated as before.
collector_topo()
{
	local h=$1 c=$2 mtu=$3
	mkns "$c"
	run ip link add col netns "$h" mtu "$mtu" type veth peer name eth0 netns "$c" mtu "$mtu"
	run in_ns "$h" ip addr add $COL_LOCAL/24 dev col
	run in_ns "$c" ip addr add $COLLECTOR/24 dev eth0
	run in_ns "$h" ip link set col up
	run in_ns "$c" ip link set eth0 up
	run in_ns "$h" ip neigh replace $COLLECTOR lladdr "$(dev_mac "$c" eth0)" dev col nud permanent
	sink_on "$c" eth0 drop "$CPIN"
}

# rate_topo x|k : the rate-test topology of one system
rate_topo()
{
	local s=$1 P=xvb-$1- i ulmac upmac r
	mkns "${P}ul"
	mkns "${P}h1"
	veth_pair "${P}ul" peer "${P}h1" ul $UL_MTU
	run in_ns "${P}h1" ip addr add $LOCAL_IP/24 dev ul
	run in_ns "${P}ul" ip addr add "${REMOTES[0]}/24" dev peer
	for r in "${REMOTES[@]:1}"; do
		run in_ns "${P}ul" ip addr add "$r/32" dev peer
	done
	ulmac=$(dev_mac "${P}h1" ul)
	upmac=$(dev_mac "${P}ul" peer)
	for r in "${REMOTES[@]}"; do
		run in_ns "${P}h1" ip neigh replace "$r" lladdr "$upmac" dev ul nud permanent
	done
	run in_ns "${P}ul" ip neigh replace $LOCAL_IP lladdr "$ulmac" dev peer nud permanent
	for i in 1 2 3 4; do
		mkns "${P}vm$i"
		run ip link add eth0 netns "${P}vm$i" mtu $VM_MTU address "$(vm_mac_n "$i")" type veth \
			peer name "vm$i" netns "${P}h1" mtu $VM_MTU
		run in_ns "${P}vm$i" ip addr add "192.0.2.1$i/24" dev eth0
		run in_ns "${P}vm$i" ip link set eth0 up
		run in_ns "${P}h1" ip link set "vm$i" up
		run in_ns "${P}vm$i" ethtool -K eth0 gro on
		run in_ns "${P}h1" ethtool -K "vm$i" gro on
	done
	[ "$s" = x ] && collector_topo "${P}h1" "${P}col" $UL_MTU
	# ICMP errors for the stack tests go back to a known neighbour (no ARP floods)
	run in_ns "${P}vm1" ip neigh replace $REMOTE_VM_IP lladdr $REMOTE_VM_MAC dev eth0 nud permanent

	if [ "$s" = x ]; then
		pin_register "$(pin_dir "${P}h1")"
		pins_destroy "${P}h1"
		# The rate points measure the XDP fast path: the default on a NIC; on
		# this veth uplink the default (auto) would pick TC decap, so ask for it.
		run xvl "${P}h1" attach --uplink ul --local $LOCAL_IP --decap hybrid \
			--fdb-size 524288	# 2 x 100k bench entries + the control-plane test's 100k
		local args=()
		for r in "${REMOTES[@]}"; do args+=(remote "$r"); done
		run xvc "${P}h1" vni add $VNI "${args[@]}"
		for i in 1 2 3 4; do
			run xvc "${P}h1" port add "vm$i" vni $VNI
		done
	else
		run in_ns "${P}h1" ip link add vx$VNI type vxlan id $VNI dstport 4789 local $LOCAL_IP dev ul
		run in_ns "${P}h1" ip link add br$VNI type bridge mcast_snooping 0
		kernel_brnf "${P}h1" "$KERNEL_BRNF"
		run in_ns "${P}h1" ip link set vx$VNI master br$VNI up
		for i in 1 2 3 4; do
			run in_ns "${P}h1" ip link set "vm$i" master br$VNI
		done
		run in_ns "${P}h1" ip link set br$VNI up
		for r in "${REMOTES[@]}"; do
			run in_ns "${P}h1" bridge fdb append 00:00:00:00:00:00 dev vx$VNI dst "$r"
		done
	fi
}

# kernel_brnf NS 0|1 : whether NS's bridges hand frames to netfilter
kernel_brnf()
{
	run in_ns "$1" sysctl -qw net.bridge.bridge-nf-call-iptables="$2" \
		net.bridge.bridge-nf-call-ip6tables="$2" net.bridge.bridge-nf-call-arptables="$2"
}

# tcp_topo x|k : two VTEPs back to back, one VM behind each
tcp_topo()
{
	local s=$1 P=xvb-$1- n
	mkns "${P}t1"
	mkns "${P}t2"
	veth_pair "${P}t1" ul "${P}t2" ul 1500
	run in_ns "${P}t1" ip addr add 198.51.100.1/24 dev ul
	run in_ns "${P}t2" ip addr add 198.51.100.2/24 dev ul
	# resolve the underlay neighbours first (a flooded ARP to an unresolved VTEP is dropped)
	run in_ns "${P}t1" ping -q -c 1 -W 2 198.51.100.2
	for n in 1 2; do
		local vm=ta port=vma h=${P}t$n
		[ $n = 2 ] && vm=tb port=vmb
		mkns "${P}$vm"
		run ip link add eth0 netns "${P}$vm" mtu 1450 address "$(vm_mac_n $((n + 4)))" type veth \
			peer name $port netns "$h" mtu 1450
		run in_ns "${P}$vm" ip addr add "192.0.2.$n/24" dev eth0
		run in_ns "${P}$vm" ip link set eth0 up
		run in_ns "$h" ip link set $port up
		# xvtep's XDP fast path redirects into the port: the VM side needs NAPI
		# (without it decapped non-TCP unicast is lost silently; see the report)
		run in_ns "${P}$vm" ethtool -K eth0 gro on
		if [ "$s" = x ]; then
			pin_register "$(pin_dir "$h")"
			pins_destroy "$h"
			run xvl "$h" attach --uplink ul --local "198.51.100.$n" --decap "$TCP_DECAP"
			run xvc "$h" vni add $VNI remote "198.51.100.$((3 - n))"
			run xvc "$h" port add $port vni $VNI
		else
			run in_ns "$h" ip link add vx$VNI type vxlan id $VNI dstport 4789 local "198.51.100.$n" dev ul
			run in_ns "$h" ip link add br$VNI type bridge mcast_snooping 0
			kernel_brnf "$h" "$KERNEL_BRNF"
			run in_ns "$h" ip link set vx$VNI master br$VNI up
			run in_ns "$h" ip link set $port master br$VNI
			run in_ns "$h" ip link set br$VNI up
			run in_ns "$h" bridge fdb append 00:00:00:00:00:00 dev vx$VNI dst "198.51.100.$((3 - n))"
		fi
	done
	[ "$s" = x ] && collector_topo "${P}t1" "${P}tcol" 1500
	run in_ns "${P}ta" ping -q -c 2 -i 0.2 -W 2 192.0.2.2
}

# fdb_grow FROM TO : FDB entries FROM..TO-1 of both kinds, on both systems.
# xvtep: static entries written with bpf_map_update_batch (xvb fdb-fill: the
# same key/value `xvtepctl fdb add` writes; the CLI path is timed separately).
# kernel: bridge -batch (bridge master entries, vxlan self entries).
fdb_grow()
{
	local from=$1 to=$2 P=xvb-x- f t0 t1
	run "$XVB" fdb-fill --pin "$(pin_dir ${P}h1)" --ns ${P}h1 --vni $VNI --base $DECAP_BASE --n "$to" --dev vm1
	run "$XVB" fdb-fill --pin "$(pin_dir ${P}h1)" --ns ${P}h1 --vni $VNI --base $ENCAP_BASE --n "$to" --remote "${REMOTES[0]}"
	f=$XVT_TMP/kfdb.$to
	awk -v a="$from" -v b="$to" -v d="${DECAP_BASE:0:8}" -v e="${ENCAP_BASE:0:8}" -v vx="vx$VNI" -v r="${REMOTES[0]}" 'BEGIN {
		for (i = a; i < b; i++) {
			m = sprintf("%02x:%02x:%02x", int(i / 65536) % 256, int(i / 256) % 256, i % 256)
			printf "fdb add %s:%s dev vm1 master static\n", d, m
			printf "fdb add %s:%s dev %s master static\n", e, m, vx
			printf "fdb add %s:%s dev %s self dst %s\n", e, m, vx, r
		} }' >"$f"
	t0=$(date +%s.%N)
	run in_ns xvb-k-h1 bridge -batch "$f"
	t1=$(date +%s.%N)
	log "FDB now $to MACs of each kind (kernel: $(wc -l <"$f") bridge commands in $(echo "$t1 - $t0" | bc -l | cut -c1-6) s)"
	rm -f "$f"
}

# ------------------------------------------------------------------ points

# record KIND SHAPE UNIT SYS VALUE... : one point's runs for one system
record()
{
	local kind=$1 shape=$2 unit=$3 sys=$4
	shift 4
	printf '{"kind":"%s","shape":"%s","unit":"%s","system":"%s","runs":[%s]}\n' \
		"$kind" "$shape" "$unit" "$sys" "$(printf '%.9g\n' "$@" | paste -sd,)" >>"$PTS"
}

# sink_on NS DEV drop|stack|stack-rx|stack-poll|segs [PINDIR] : drop = XDP
# counting sink; stack = TC ingress program that makes every frame PACKET_HOST
# (frames to any FDB MAC reach IP/UDP), with no socket on the frames' port (the
# stack answers each with an ICMP port unreachable, rate-limited); stack-rx /
# stack-poll = the same plus a UDP application reading that port on the other
# CPU (xvb udp-rx, blocking / busy-polling); segs = TC ingress counting sink
# that keeps the sender's GSO
declare -A RX_PID RX_MIB0 RX_READ	# udp-rx per namespace; udp_mib: tests/lib.sh
sink_on()
{
	local pin=${4:-$BPIN} mode out i
	case $3 in
	stack | stack-rx | stack-poll | segs)
		run in_ns "$1" tc qdisc replace dev "$2" clsact
		run in_ns "$1" tc filter replace dev "$2" ingress bpf direct-action \
			object-pinned "$pin/xvb_sink_${3%%-*}"
		;;
	*)
		run in_ns "$1" ip -force link set dev "$2" xdpdrv pinned "$pin/xvb_sink_$3"
		;;
	esac
	case $3 in stack-rx) mode=block ;; stack-poll) mode=poll ;; *) return 0 ;; esac
	out=$XVT_TMP/udp-rx.$1
	"$XVB" udp-rx --ns "$1" --port $INNER_DPORT --cpu $RX_CPU --mode $mode >"$out" 2>&1 &
	RX_PID[$1]=$!
	for ((i = 0; i < 50; i++)); do
		if grep -q '^ready' "$out"; then
			RX_MIB0[$1]=$(udp_mib "$1")
			return 0
		fi
		kill -0 "${RX_PID[$1]}" 2>/dev/null || break
		sleep 0.1
	done
	die "xvb udp-rx in $1: $(cat "$out")"
}
sink_off()
{
	local nread din dnp derr
	if [ -n "${RX_PID[$1]:-}" ]; then
		kill "${RX_PID[$1]}" 2>/dev/null
		wait "${RX_PID[$1]}" 2>/dev/null
		unset "RX_PID[$1]"
		# The application must have been what the frames reached: each
		# datagram it read is one InDatagrams, and none found no socket.
		nread=$(sed -n 's/^read \([0-9]*\)$/\1/p' "$XVT_TMP/udp-rx.$1")
		read -r din dnp derr < <(udp_mib_since "$1" "${RX_MIB0[$1]}")
		log "udp-rx in $1: read ${nread:-?} datagrams; UDP MIB over its life: InDatagrams +$din, NoPorts +$dnp, InErrors (socket buffer full) +$derr"
		[ -n "$nread" ] && [ "$nread" -gt 0 ] && [ "$nread" = "$din" ] &&
			[ "$dnp" -le $((nread / 100)) ] ||
			die "udp-rx in $1 did not get the point's frames: $(cat "$XVT_TMP/udp-rx.$1")"
		RX_READ[$1]=$nread
	fi
	in_ns "$1" ip link set dev "$2" xdp off 2>/dev/null
	in_ns "$1" tc qdisc del dev "$2" clsact 2>/dev/null
	return 0
}

# xvb_rate ARGS... : one `xvb rate` measurement (generator GEN unless ARGS
# name one, window and warm-up added
# here); prints its output line. Dies if the generator needed more than one
# test run: each extra run re-registers it in the kernel's XDP dispatcher,
# the churn that once held the harness at 1.3 Mpps (bench/xvb.c).
xvb_rate()
{
	local out calls
	out=$("$XVB" rate --gen "$GEN" "$@" --secs "$SECS" --warmup $WARM 2>&1) || die "xvb rate: $out"
	read -r _ _ _ calls _ <<<"$out"
	[ "$calls" = 1 ] || die "xvb rate: the generator made ${calls:-?} test runs, not 1: $out"
	echo "$out"
}

# rate_args SYS KIND SIZE NMACS : xvb rate arguments for one system
rate_args()
{
	local s=$1 kind=$2 size=$3 n=$4 P=xvb-$1-
	case $kind in
	decap | flood-decap | decap6)
		local d=$DECAP_BASE o=("${REMOTES[0]}" "$LOCAL_IP") vm=$REMOTE_VM_MAC
		[ "$kind" = flood-decap ] && d=ff:ff:ff:ff:ff:ff && n=0
		# IPv6 underlay: zero outer UDP checksum, as xvtep sends (RFC 6935)
		[ "$kind" = decap6 ] && o=("$REMOTE6" "$LOCAL_IP6") && vm=$REMOTE6_VM_MAC
		echo --ns "${P}ul" --dev peer --frame decap --size "$size" --nmacs "$n" \
			--osmac "$(dev_mac "${P}ul" peer)" --odmac "$(dev_mac "${P}h1" ul)" \
			--osip "${o[0]}" --odip "${o[1]}" --vni $VNI \
			--smac $vm --dmac $d --sip $REMOTE_VM_IP --dip 192.0.2.11
		;;
	encap | encap-xdp | flood-encap | encap6)
		local d=$ENCAP_BASE
		[ "$kind" = flood-encap ] && d=ff:ff:ff:ff:ff:ff && n=0
		[ "$kind" = encap6 ] && d=$ENCAP6_BASE
		echo --ns "${P}vm1" --dev eth0 --frame encap --size "$size" --nmacs "$n" \
			--smac "$(vm_mac_n 1)" --dmac $d --sip 192.0.2.11 --dip $REMOTE_VM_IP
		;;
	esac
}

# sinks SYS KIND SINK on|off : attach/detach the receivers of a point
sinks()
{
	local s=$1 kind=$2 sink=$3 op=$4 P=xvb-$1- i
	case $kind in
	decap | decap6) set -- "${P}vm1 eth0" ;;
	encap | encap-xdp | encap6) set -- "${P}ul peer" ;;
	flood-decap) set -- "${P}vm1 eth0" "${P}vm2 eth0" "${P}vm3 eth0" "${P}vm4 eth0" ;;
	flood-encap) set -- "${P}vm2 eth0" "${P}vm3 eth0" "${P}vm4 eth0" "${P}ul peer" ;;
	esac
	for i in "$@"; do
		# shellcheck disable=SC2086
		if [ "$op" = on ]; then sink_on $i "$sink"; else sink_off $i; fi
	done
}

# rate_point KIND SIZE NMACS SINK(drop|stack) : one point, RUNS runs per system.
# KIND encap-xdp: encap with xvtep's port vm1 in `encap xdp` (the opt-in XDP
# encap fast path) for the point's duration.
rate_point()
{
	local kind=$1 size=$2 n=$3 sink=$4 shape s r div=1 cnt out
	local -A args vals
	case $kind in
	flood-decap) div=4; shape="${size}B BUM from uplink -> 4 local ports" ;;
	flood-encap) div=7; shape="${size}B BUM from port -> 3 local ports + 4 remote VTEPs" ;;
	*) shape="${size}B inner, FDB ${n} MACs, into ${sink/drop/XDP-drop sink}" ;;
	esac
	shape=${shape/into stack-rx/into the receiver\'s stack, a UDP application reading the port (blocking recvmmsg, other CPU)}
	shape=${shape/into stack-poll/into the receiver\'s stack, a UDP application busy-polling the port (non-blocking recvmmsg, other CPU)}
	shape=${shape/into stack/into the receiver\'s stack}$KSHAPE
	if [ "$kind" = encap-xdp ]; then
		shape+=", xvtep port vm1 encap xdp (opt-in; the VM's TSO is off)"
		run xvc xvb-x-h1 port set vm1 encap xdp
	fi
	for s in x k; do
		args[$s]=$(rate_args $s "$kind" "$size" "$n")
		sinks $s "$kind" "$sink" on
	done
	for ((r = 0; r < RUNS; r++)); do
		for s in x k; do
			if [[ $sink == stack* ]]; then
				[ "$kind" = decap ] && cnt=snmp:xvb-$s-vm1 || cnt=snmp:xvb-$s-ul
			else
				cnt=map:$BPIN/xvb_cnt
			fi
			# shellcheck disable=SC2086
			out=$(xvb_rate ${args[$s]} --count "$cnt" --cpu $GEN_CPU --div $div) || exit 1
			vals[$s]+="${vals[$s]:+ }${out%% *}"
		done
	done
	for s in x k; do
		sinks $s "$kind" "$sink" off
	done
	[ "$kind" = encap-xdp ] && run xvc xvb-x-h1 port set vm1 encap tc
	# shellcheck disable=SC2086
	record "$kind" "$shape" pps xvtep ${vals[x]}
	# shellcheck disable=SC2086
	record "$kind" "$shape" pps kernel ${vals[k]}
	# The stack counts a datagram a full socket buffer dropped as received;
	# what the application itself got, over the same windows for both systems:
	if [[ $sink == stack-* ]]; then
		for s in x k; do
			record app-read "$shape: datagrams the application read, summed over the point's runs and warm-ups" \
				datagrams "$([ $s = x ] && echo xvtep || echo kernel)" "${RX_READ[xvb-$s-vm1]}"
		done
	fi
	log "$kind | $shape | xvtep ${vals[x]} | kernel ${vals[k]}"
}

# gen_choose : the generator (GEN) and the ones the ceiling point measures
# (GENS), from BENCH_GEN and a one-frame live probe into the kernel system's
# uplink; XVB_GEN_WHY tells report.py how GEN was chosen
gen_choose()
{
	local probe
	probe=$("$XVB" gen-probe --ns xvb-k-ul --dev peer 2>&1) || die "xvb gen-probe: $probe"
	if [ "$probe" = live ]; then
		GENS=(live clone)
	else
		GENS=(clone)
		[ "$BENCH_GEN" = live ] && die "BENCH_GEN=live, but $probe: use BENCH_GEN=clone or auto"
	fi
	GEN=${probe%% *}
	export XVB_GEN_WHY="auto: the one-frame live probe gave \"$probe\""
	if [ "$BENCH_GEN" != auto ]; then
		GEN=$BENCH_GEN
		XVB_GEN_WHY="forced by BENCH_GEN=$BENCH_GEN; the one-frame live probe gave \"$probe\""
	fi
	export XVB_GEN=$GEN
	log "generator: $GEN ($XVB_GEN_WHY)"
}

# ceiling_point SIZE : the harness alone (generator -> veth -> XDP drop sink on
# the kernel system's uplink, no VTEP in the path), for every usable generator,
# interleaved: every rate above includes this fixed cost, so it bounds the
# ratios a faster dataplane can show, and a point near it measured the generator
ceiling_point()
{
	local size=$1 r g out args
	local -A v
	args=$(rate_args k decap "$size" 1)
	sink_on xvb-k-h1 ul drop
	for ((r = 0; r < RUNS; r++)); do
		for g in "${GENS[@]}"; do
			# shellcheck disable=SC2086
			out=$(xvb_rate --gen $g $args --count "map:$BPIN/xvb_cnt" --cpu $GEN_CPU) || exit 1
			v[$g]+="${v[$g]:+ }${out%% *}"
		done
	done
	sink_off xvb-k-h1 ul
	for g in "${GENS[@]}"; do
		# shellcheck disable=SC2086
		record ceiling "${size}B inner (VXLAN frame), generator $g -> veth -> XDP-drop sink, no VTEP" \
			pps harness ${v[$g]}
		log "harness ceiling ${size}B, generator $g: ${v[$g]}"
	done
}

# bare_target MAP KEY DEV : the bare forwarders' (bench/sink.bpf.c) output KEY
# is the kernel system's h1 device DEV (MAP xvb_out: devmap, xvb_ifx: array)
bare_target()
{
	local ifi
	ifi=$(in_ns xvb-k-h1 ip -o link show dev "$3" | cut -d: -f1)
	[ -n "$ifi" ] || die "no $3 in xvb-k-h1"
	run in_ns xvb-k-h1 bpftool map update pinned "$BPIN/$1" \
		key "$2" 0 0 0 value $((ifi & 255)) $((ifi >> 8 & 255)) 0 0
}

# copy_floor_point xdp|tc : the least a mirror copy can cost on this machine,
# with no VTEP: the generator's VXLAN frames, on the kernel system's ul, go to
# vm1 alone or to vm1 plus a copy to vm4, by a bare program (bench/sink.bpf.c:
# XDP BPF_F_BROADCAST, one xdpf_clone per copy; TC bpf_clone_redirect), runs
# interleaved; XDP-drop sinks count at vm1 (and the copies at vm4).
copy_floor_point()
{
	local path=$1 r out one=() two=() i shape
	local args
	args=$(rate_args k decap 64 1)
	for i in 0 1; do
		bare_target "xvb_$([ "$path" = xdp ] && echo out || echo ifx)" $i "vm$((i * 3 + 1))"
	done
	sink_on xvb-k-vm1 eth0 drop
	sink_on xvb-k-vm4 eth0 drop "$CPIN"
	[ "$path" = tc ] && run in_ns xvb-k-h1 tc qdisc replace dev ul clsact
	for ((r = 0; r < RUNS; r++)); do
		for i in one copy; do
			if [ "$path" = xdp ]; then
				run in_ns xvb-k-h1 ip -force link set dev ul xdpdrv pinned "$BPIN/xvb_fwd_$i"
			else
				run in_ns xvb-k-h1 tc filter replace dev ul ingress pref 1 handle 1 bpf \
					direct-action object-pinned "$BPIN/xvb_tc_$i"
			fi
			# shellcheck disable=SC2086
			out=$(xvb_rate $args --count "map:$BPIN/xvb_cnt" --count2 "map:$CPIN/xvb_cnt" \
				--cpu $GEN_CPU) || exit 1
			if [ $i = one ]; then one+=("${out%% *}"); else two+=("${out%% *}"); fi
		done
	done
	sink_off xvb-k-h1 ul
	sink_off xvb-k-vm1 eth0
	sink_off xvb-k-vm4 eth0
	if [ "$path" = xdp ]; then
		shape="64B VXLAN frames, no VTEP: a bare XDP program on the uplink redirects each to vm1, or broadcasts it to vm1 and vm4 (BPF_F_BROADCAST: one xdpf_clone per copy)"
	else
		shape="64B VXLAN frames, no VTEP: a bare TC program on the uplink redirects each to vm1's egress, after a bpf_clone_redirect to vm4's or not"
	fi
	record copy-floor "$shape" pps harness "${two[@]}"
	record copy-floor "$shape" pps baseline "${one[@]}"
	log "copy floor ($path): with a copy ${two[*]} | without ${one[*]}"
}

# encap_floor_point : the most any TC encap can reach on this machine. The
# generator's 64 B frames enter the kernel system's port vm1, where a bare TC
# program (bench/sink.bpf.c xvb_tc_one) redirects each, not encapsulated, to
# ul's egress; the XDP-drop sink on ul's peer counts them. Interleaved run by
# run with the kernel's own encap of the same frames (program removed), so
# floor / kernel bounds the encap ratio a TC program can show here: the skb
# the kernel builds for each frame, and its trip through TC, are paid by both.
# A second floor (xvb_tc_push) first grows each frame by the 50 bytes of a
# VXLAN encapsulation, as xvtep's TC encap does (bpf_skb_adjust_room, headers
# not written): the room itself, and what the receiver pays for a frame with
# less headroom, bound any encap that pushes headers in TC.
encap_floor_point()
{
	local r out floor=() push=() kern=() args prog
	local how="a bare TC program on the kernel system's port vm1 redirects each to ul's egress (harness) / the kernel's vxlan + bridge encap (kernel)"
	args=$(rate_args k encap 64 1)
	bare_target xvb_ifx 0 ul
	sinks k encap drop on
	run in_ns xvb-k-h1 tc qdisc replace dev vm1 clsact
	for ((r = 0; r < RUNS; r++)); do
		for prog in xvb_tc_one xvb_tc_push; do
			run in_ns xvb-k-h1 tc filter replace dev vm1 ingress pref 1 handle 1 bpf \
				direct-action object-pinned "$BPIN/$prog"
			# shellcheck disable=SC2086
			out=$(xvb_rate $args --count "map:$BPIN/xvb_cnt" --cpu $GEN_CPU) || exit 1
			if [ $prog = xvb_tc_one ]; then floor+=("${out%% *}"); else push+=("${out%% *}"); fi
		done
		run in_ns xvb-k-h1 tc filter del dev vm1 ingress pref 1 handle 1 bpf
		# shellcheck disable=SC2086
		out=$(xvb_rate $args --count "map:$BPIN/xvb_cnt" --cpu $GEN_CPU) || exit 1
		kern+=("${out%% *}")
	done
	in_ns xvb-k-h1 tc qdisc del dev vm1 clsact 2>/dev/null
	sinks k encap drop off
	record encap-floor "64B frames from vm1, no encapsulation: $how" pps harness "${floor[@]}"
	record encap-floor "64B frames from vm1, no encapsulation: $how" pps kernel "${kern[@]}"
	how="grown by 50 bytes as xvtep's TC encap grows them (bpf_skb_adjust_room, no headers written): $how"
	record encap-floor "64B frames from vm1, $how" pps harness "${push[@]}"
	record encap-floor "64B frames from vm1, $how" pps kernel "${kern[@]}"
	log "encap floor (tc): bare redirect ${floor[*]} | grown by 50 bytes ${push[*]} | kernel encap ${kern[*]}"
}

# brnf_points : the main rate and TCP points again against the kernel's bridges
# as this kernel boots them, calling the (empty) netfilter hooks
brnf_points()
{
	local h
	[ "$KERNEL_BRNF" = 1 ] && return 0	# every point was already taken so
	for h in xvb-k-h1 xvb-k-t1 xvb-k-t2; do kernel_brnf $h 1; done
	KSHAPE=", kernel bridge with br_netfilter on (bridge-nf-call-*=1, this kernel's default)"
	rate_point decap 64 1 drop
	rate_point decap 64 1 stack
	rate_point encap 64 1 drop
	tcp_point 1
	KSHAPE=""
	for h in xvb-k-h1 xvb-k-t1 xvb-k-t2; do kernel_brnf $h 0; done
}

# cpu_busy_jiffies / cpu_total_jiffies from /proc/stat (all CPUs)
cpu_snap() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat; }

# iperf3 is pinned, client and server on different CPUs, the same for both
# systems: left to the scheduler, the pair sometimes shared a CPU or migrated
# mid-run, and one such run moved a 5-run median ratio by 0.1x
# (IPERF_PINNED: what the TCP shapes say; XVB_IPERF_PIN: report.py's Method)
if [ "$NCPU" -ge 2 ]; then
	IPERF_CLIENT_PIN=(-A 0)
	IPERF_SERVER_PIN=(-A $((NCPU - 1)))
	IPERF_PINNED="iperf3 client and server pinned to different CPUs"
	export XVB_IPERF_PIN="client pinned to CPU 0 and server to CPU $((NCPU - 1)) (iperf3 -A) for both systems, in the TCP and mirror TCP points"
else
	IPERF_CLIENT_PIN=()
	IPERF_SERVER_PIN=()
	IPERF_PINNED="iperf3 not pinned (one CPU)"
	export XVB_IPERF_PIN="not pinned (one CPU)"
fi

# iperf_run NS_PREFIX STREAMS : one iperf3 run ta -> tb; sets IPERF_GBPS and
# IPERF_CORES (busy CPUs over the run, from /proc/stat)
iperf_run()
{
	local P=$1 streams=$2 port out spid b0 t0 b1 t1
	port=$((5201 + RANDOM % 500))
	bg_ns "${P}tb" timeout $((TCP_SECS + 20)) iperf3 "${IPERF_SERVER_PIN[@]}" \
		-s -1 -B 192.0.2.2 -p $port >/dev/null 2>&1
	spid=$XVT_LAST_PID
	wait_for 5 in_ns "${P}tb" sh -c "ss -Htln | grep -q ':$port '"
	read -r b0 t0 < <(cpu_snap)
	out=$(in_ns "${P}ta" timeout $((TCP_SECS + 15)) iperf3 "${IPERF_CLIENT_PIN[@]}" \
		-c 192.0.2.2 -p $port -t "$TCP_SECS" -P "$streams" -J 2>&1)
	read -r b1 t1 < <(cpu_snap)
	bg_stop "$spid"
	IPERF_GBPS=$(jq -r '.end.sum_received.bits_per_second / 1e9' <<<"$out" 2>/dev/null)
	[ -n "$IPERF_GBPS" ] && [ "$IPERF_GBPS" != null ] || die "iperf3 ($P): $(head -c 300 <<<"$out")"
	IPERF_CORES=$(echo "($b1 - $b0) / ($t1 - $t0) * $NCPU" | bc -l)
}

# tcp_point STREAMS [KIND SHAPE_SUFFIX] : KIND tcp by default
tcp_point()
{
	local streams=$1 kind=${2:-tcp} suffix=${3:-} r s
	local -A g c
	for ((r = 0; r < RUNS; r++)); do
		for s in x k; do
			iperf_run "xvb-$s-" "$streams"
			g[$s]+="${g[$s]:+ }$(printf '%.3f' "$IPERF_GBPS")"
			c[$s]+="${c[$s]:+ }$(printf '%.3f' "$(echo "$IPERF_GBPS / $IPERF_CORES" | bc -l)")"
		done
	done
	local shape="TCP ${streams} stream(s), iperf3 VM->VM across two VTEPs (xvtep --decap $(tcp_decap_label)), VM MTU 1450, $IPERF_PINNED$suffix$KSHAPE"
	# shellcheck disable=SC2086
	record "$kind" "$shape" Gbit/s xvtep ${g[x]}
	# shellcheck disable=SC2086
	record "$kind" "$shape" Gbit/s kernel ${g[k]}
	# shellcheck disable=SC2086
	record "$kind-per-core" "$shape" "Gbit/s per busy core" xvtep ${c[x]}
	# shellcheck disable=SC2086
	record "$kind-per-core" "$shape" "Gbit/s per busy core" kernel ${c[k]}
	log "tcp $streams: xvtep ${g[x]} Gbit/s (${c[x]} /core) | kernel ${g[k]} (${c[k]} /core)"
}

# tcp_encap_xdp_point : TCP 1 stream with the sender's port in `encap xdp`:
# the price of the opt-in XDP encap (the VM's TSO goes)
tcp_encap_xdp_point()
{
	run xvc xvb-x-t1 port set vma encap xdp
	tcp_point 1 tcp-encap-xdp ", sender's port vma encap xdp (the VM's TSO is off)"
	run xvc xvb-x-t1 port set vma encap tc
}

tcp_decap_label()
{
	[ "$TCP_DECAP" = auto ] && echo "auto = tc on veth" || echo "$TCP_DECAP"
}

# tcp_redecap MODE : re-attach both xvtep TCP hosts in decap MODE (in place)
tcp_redecap()
{
	local n
	TCP_DECAP=$1
	for n in 1 2; do
		run xvl "xvb-x-t$n" attach --uplink ul --local "198.51.100.$n" --decap "$TCP_DECAP"
	done
}

# iperf_gbps NS_PREFIX STREAMS : one iperf3 run ta -> tb, prints Gbit/s
iperf_gbps()
{
	iperf_run "$1" "$2"
	printf '%.3f' "$IPERF_GBPS"
}

# mirror_session NS on|off SPEC... : one mirror session (id 9) on xvtep host NS
mirror_session()
{
	local ns=$1 op=$2
	shift 2
	if [ "$op" = on ]; then
		run xvc "$ns" mirror add 9 "$@"
	else
		run xvc "$ns" mirror del 9
	fi
}

# mirror_rate_point span|erspan [hybrid|tc] : 64 B decap rate into the drop
# sink with one session copying vm1's traffic, against the same point without
# it, interleaved. With hybrid the port keeps the XDP fast path and XDP makes
# the copy (bpf/mirror.h); `tc` re-attaches h1 with --decap tc (the default on
# a veth uplink) for the point, where TC makes it.
mirror_rate_point()
{
	local type=$1 mode=${2:-hybrid} r out with=() without=() copies=() spec args
	case $type in
	span) spec="src vm1 dir tx span dev vm4" ;;
	erspan) spec="src vm1 dir tx erspan remote $COLLECTOR session 10" ;;
	esac
	args=$(rate_args x decap 64 1)
	[ "$mode" = tc ] && run xvl xvb-x-h1 attach --uplink ul "${X_LOCALS[@]}" --decap tc
	sinks x decap drop on
	# SPAN copies are counted where they arrive, like ERSPAN's at the collector.
	[ "$type" = span ] && sink_on xvb-x-vm4 eth0 drop "$CPIN"
	for ((r = 0; r < RUNS; r++)); do
		# shellcheck disable=SC2086
		out=$(xvb_rate $args --count "map:$BPIN/xvb_cnt" --cpu $GEN_CPU) || exit 1
		without+=("${out%% *}")
		# shellcheck disable=SC2086
		mirror_session xvb-x-h1 on $spec
		# shellcheck disable=SC2086
		out=$(xvb_rate $args --count "map:$BPIN/xvb_cnt" --count2 "map:$CPIN/xvb_cnt" \
			--cpu $GEN_CPU) || exit 1
		mirror_session xvb-x-h1 off
		with+=("${out%% *}")
		copies+=("${out##* }")
	done
	sinks x decap drop off
	[ "$type" = span ] && sink_off xvb-x-vm4 eth0
	[ "$mode" = tc ] && run xvl xvb-x-h1 attach --uplink ul "${X_LOCALS[@]}" --decap hybrid
	local shape="64B decap into XDP-drop sink (xvtep --decap $mode), one ${type^^} session on the port (mirror add $spec)"
	record mirror-rate "$shape" pps xvtep "${with[@]}"
	record mirror-rate "$shape" pps baseline "${without[@]}"
	record mirror-copies "${type^^} copies received by the $([ "$type" = span ] && echo "destination's (vm4)" ||
		echo "collector's") XDP sink during: $shape" pps xvtep "${copies[@]}"
	log "mirror $type rate ($mode): with ${with[*]} | without ${without[*]} | copies/s at the collector ${copies[*]}"
}

# mirror_tcp_point gso|seg : TCP 1 stream with one ERSPAN session (both
# directions) on the sender's port, against the same without it, interleaved.
# The copies of the VM's 64 KB GSO packets leave as GSO packets (tc_mirror.c).
# gso: the collector's veth keeps GSO (a TC counting sink), as a NIC with GRE
# segmentation offload would; seg: an XDP sink there turns GSO off on its
# peer, so the kernel cuts every copy into segments on the sending core.
mirror_tcp_point()
{
	local how=$1 r with=() without=() copies=() c0 c1 spec="src vma dir both erspan remote $COLLECTOR session 10"
	local sink=drop where="the collector's veth without GSO (XDP sink): the kernel segments the copies"
	if [ "$how" = gso ]; then
		sink=segs
		where="the collector's veth takes GSO (TC sink), as a NIC with GRE segmentation offload"
	fi
	sink_off xvb-x-tcol eth0
	sink_on xvb-x-tcol eth0 $sink "$CPIN"
	for ((r = 0; r < RUNS; r++)); do
		without+=("$(iperf_gbps xvb-x- 1)")
		# shellcheck disable=SC2086
		mirror_session xvb-x-t1 on $spec
		c0=$("$XVB" count "$CPIN/xvb_cnt") || die "xvb count"
		with+=("$(iperf_gbps xvb-x- 1)")
		c1=$("$XVB" count "$CPIN/xvb_cnt") || die "xvb count"
		mirror_session xvb-x-t1 off
		copies+=("$(((c1 - c0) / ${TCP_SECS%.*}))")
	done
	sink_off xvb-x-tcol eth0
	sink_on xvb-x-tcol eth0 drop "$CPIN"
	local shape="TCP 1 stream (xvtep --decap $(tcp_decap_label)), one ERSPAN session on the sender's port (mirror add $spec), $where, $IPERF_PINNED"
	record mirror-tcp "$shape" Gbit/s xvtep "${with[@]}"
	record mirror-tcp "$shape" Gbit/s baseline "${without[@]}"
	record mirror-copies "ERSPAN copies (wire segments) received by the collector during: $shape (per second of iperf3 -t)" \
		pps xvtep "${copies[@]}"
	log "mirror erspan tcp ($how): with ${with[*]} | without ${without[*]} Gbit/s | copies/s at the collector ${copies[*]}"
}

# ------------------------------------------------------------------ fallbacks
# What xvtep does where the kernel lacks a feature (docs/kernels.md), measured
# on this kernel by turning the feature off (XVTEP_FEATURES_OFF): the rate
# host xvb-x-h1 is re-attached between its fallback and its full-feature
# counterpart run by run, interleaved with the kernel's vxlan + bridge.

X_DECAP=hybrid	# how xvb-x-h1 is attached now (x_attach): --decap and XVTEP_FEATURES_OFF
X_OFF=""

# xdp_to_tc NS : frames the instance's XDP left to TC so far (xvtepctl stats)
xdp_to_tc() { xvc "$1" -j stats | jq '[.. | objects | .events? | objects | .xdp_to_tc // 0] | add // 0'; }

# attach_method OFF : what an attach with XVTEP_FEATURES_OFF=OFF uses here
attach_method() { [[ ",$1," == *,tcx,* ]] && echo clsact || echo "$X_TC_ATTACH"; }

# x_attach DECAP [OFF] : re-attach xvb-x-h1 with --decap DECAP and
# XVTEP_FEATURES_OFF=OFF (empty: every feature this kernel has); a switch
# between tcx links and clsact filters goes through detach --keep-maps, as the
# loader requires of a running instance (the configuration stays pinned)
x_attach()
{
	local decap=$1 off=${2:-}
	[ "$decap" = "$X_DECAP" ] && [ "$off" = "$X_OFF" ] && return 0
	if [ "$(attach_method "$X_OFF")" != "$(attach_method "$off")" ]; then
		run xvl xvb-x-h1 detach --keep-maps
	fi
	XVTEP_FEATURES_OFF=$off run xvl xvb-x-h1 attach --uplink ul "${X_LOCALS[@]}" --decap "$decap"
	X_DECAP=$decap
	X_OFF=$off
}

# x_restored : xvb-x-h1 back as rate_topo left it (the XDP fast path, tcx
# where the kernel has it, no feature turned off by hand, no clsact qdisc
# left by the filters), or die: every later point measures that instance
x_restored()
{
	local st got want
	x_attach hybrid ""
	st=$(xvl xvb-x-h1 -j status) || die "xvtep-loader status in xvb-x-h1"
	got=$(jq -r '[.decap_mode, .tc_attach, ([.features[] | select(.forced)] | length)] | join(" ")' <<<"$st")
	want="hybrid $X_TC_ATTACH 0"
	[ "$got" = "$want" ] || die "xvb-x-h1 not restored after the fallback points: decap, attach, forced off: $got (want $want)"
	in_ns xvb-x-h1 tc qdisc show | grep -q clsact &&
		die "xvb-x-h1: a clsact qdisc was left behind: $(in_ns xvb-x-h1 tc qdisc show | grep clsact)"
	return 0
}

# fallback_point KIND SITUATION FULL_DECAP FULL_OFF FULL_NAME FB_DECAP FB_OFF FB_NAME [MIRROR_SPEC]
# 64 B, FDB 1 MAC, KIND decap|encap into the XDP-drop sink: xvtep attached
# with the fallback (FB_*) and with its full-feature counterpart (FULL_*),
# and the kernel, RUNS runs each, interleaved (full, kernel, fallback; the
# next run the other way round, which also saves a re-attach). MIRROR_SPEC:
# an xvtep mirror session on the port during xvtep's measurements (added
# after each attach, deleted before the next; its copies counted at the
# collector's or destination's sink: none would mean the path was not taken).
fallback_point()
{
	local kind=$1 sit=$2 r m out cnt2=() order t0
	local -A fdec foff fval fcop ftc
	fdec[full]=$3 foff[full]=$4 fdec[fb]=$6 foff[fb]=$7
	local full_name=$5 fb_name=$8 spec=${9:-}
	local xa ka
	xa=$(rate_args x "$kind" 64 1)
	ka=$(rate_args k "$kind" 64 1)
	sinks x "$kind" drop on
	sinks k "$kind" drop on
	if [ -n "$spec" ]; then
		cnt2=(--count2 "map:$CPIN/xvb_cnt")
		[[ $spec == *" span "* ]] && sink_on xvb-x-vm4 eth0 drop "$CPIN"
	fi
	for ((r = 0; r < RUNS; r++)); do
		order="full k fb"
		[ $((r % 2)) = 1 ] && order="fb k full"
		for m in $order; do
			if [ "$m" = k ]; then
				# shellcheck disable=SC2086
				out=$(xvb_rate $ka --count "map:$BPIN/xvb_cnt" --cpu $GEN_CPU) || exit 1
				fval[k]+="${fval[k]:+ }${out%% *}"
				continue
			fi
			x_attach "${fdec[$m]}" "${foff[$m]}"
			# shellcheck disable=SC2086
			[ -n "$spec" ] && mirror_session xvb-x-h1 on $spec
			t0=$(xdp_to_tc xvb-x-h1)
			# shellcheck disable=SC2086
			out=$(xvb_rate $xa --count "map:$BPIN/xvb_cnt" "${cnt2[@]}" --cpu $GEN_CPU) || exit 1
			ftc[$m]=$((${ftc[$m]:-0} + $(xdp_to_tc xvb-x-h1) - t0))
			[ -n "$spec" ] && mirror_session xvb-x-h1 off
			fval[$m]+="${fval[$m]:+ }${out%% *}"
			[ -n "$spec" ] && fcop[$m]+="${fcop[$m]:+ }${out##* }"
		done
	done
	sinks x "$kind" drop off
	sinks k "$kind" drop off
	[[ $spec == *" span "* ]] && sink_off xvb-x-vm4 eth0
	x_restored
	local shape="64B inner, FDB 1 MACs, into XDP-drop sink, $sit, fallback: $fb_name, full: $full_name"
	# shellcheck disable=SC2086
	record fallback "$shape" pps xvtep ${fval[fb]}
	# shellcheck disable=SC2086
	record fallback "$shape" pps full ${fval[full]}
	# shellcheck disable=SC2086
	record fallback "$shape" pps kernel ${fval[k]}
	if [ -n "$spec" ]; then
		# TC makes the copies only if XDP hands it the frames (most of them)
		[ "${ftc[fb]}" -gt 0 ] || die "fallback ($sit): XDP handed no frame to TC: the copies were not made there"
		for m in fb full; do
			awk '{ for (i = 1; i <= NF; i++) if ($i <= 0) exit 1 }' <<<"${fcop[$m]}" ||
				die "fallback ($sit): a run with no mirror copy at the sink (${fcop[$m]}): the copies were not made"
		done
		# shellcheck disable=SC2086
		record fallback-copies "Mirror copies received by the sink during: $shape" pps xvtep ${fcop[fb]}
		# shellcheck disable=SC2086
		record fallback-copies "Mirror copies received by the sink during: $shape" pps full ${fcop[full]}
	fi
	log "fallback | $sit | $fb_name ${fval[fb]} | $full_name ${fval[full]} | kernel ${fval[k]}${spec:+ | copies/s: fallback ${fcop[fb]}, full ${fcop[full]}}; frames XDP left to TC: fallback ${ftc[fb]}, full ${ftc[full]}"
}

# fallback_points : each main fallback against its full-feature counterpart
fallback_points()
{
	if [ -n "${XVTEP_FEATURES_OFF:-}" ]; then
		log "fallback: skipped, XVTEP_FEATURES_OFF=$XVTEP_FEATURES_OFF is set for the whole run (the points turn features off one at a time)"
		return 0
	fi
	local tcx="tcx links" cls="clsact + cls_bpf filters (XVTEP_FEATURES_OFF=tcx)"
	local erspan="src vm1 dir tx erspan remote $COLLECTOR session 10"
	fallback_point decap "decap mode (xvtep --decap)" hybrid "" "XDP decap (--decap hybrid)" \
		tc "" "TC decap (--decap tc)"
	if [ "$X_TC_ATTACH" = tcx ]; then
		fallback_point decap "TC decap (--decap tc), TC attach method" tc "" "$tcx" tc tcx "$cls"
		fallback_point encap "TC encap (port encap tc), TC attach method" hybrid "" "$tcx" hybrid tcx "$cls"
	else
		log "fallback: this kernel has no tcx (xvtep uses clsact already): no clsact-against-tcx point"
	fi
	if [ "$(xvl xvb-x-h1 -j status | jq '.features["xdp-meta"].on')" = true ]; then
		fallback_point decap "one ERSPAN session on the port (mirror add $erspan; xvtep only, the kernel's bridge mirrors nothing), XDP fast path (--decap hybrid)" \
			hybrid "" "copies made in XDP" hybrid xdp-meta "copies made in TC (XVTEP_FEATURES_OFF=xdp-meta)" "$erspan"
	else
		log "fallback: this kernel refuses bpf_xdp_adjust_meta in XDP (xvtep makes tagged copies in TC already): no TC-against-XDP copies point"
	fi
}

# cost_point NMACS : xvtep XDP decap program cost (ns/pkt), BPF_PROG_TEST_RUN
cost_point()
{
	local n=$1 r out e=() c=() d=() net=() raw=() lk=() P=xvb-x-
	for ((r = 0; r < RUNS; r++)); do
		# shellcheck disable=SC2046
		out=$("$XVB" cost $(rate_args x decap 64 "$n" | sed 's/--ns [^ ]* --dev [^ ]*//') \
			--ns ${P}h1 --pin "$(pin_dir ${P}h1)" --repeat 1000000 2>&1) || die "xvb cost: $out"
		read -r -a v <<<"$out"
		[ "${v[3]}" = 4 ] || die "cost: decap returned ${v[3]}, not XDP_REDIRECT (4)"
		[ "${v[5]}" = 4 ] || die "cost: lookup returned ${v[5]}: the MACs are not in the FDB"
		lk+=("$(echo "${v[4]} - ${v[1]}" | bc -l)")
		e+=("${v[0]}")
		c+=("${v[1]}")
		d+=("${v[2]}")
		net+=("$(echo "${v[2]} - ${v[1]}" | bc -l)")
		raw+=("$(echo "${v[2]} - ${v[0]}" | bc -l)")
	done
	local shape="XDP decap+learn+lookup, 64B inner, FDB ${n} MACs"
	record cost-empty "$shape" ns xvtep "${e[@]}"
	record cost-control "$shape" ns xvtep "${c[@]}"
	record cost-decap "$shape" ns xvtep "${d[@]}"
	record cost-net "$shape" ns xvtep "${net[@]}"
	record cost-vs-empty "$shape" ns xvtep "${raw[@]}"
	record cost-lookup "$shape" ns xvtep "${lk[@]}"
	log "cost FDB $n: empty ${e[*]} control ${c[*]} decap ${d[*]} ns; lookup alone ${lk[*]}"
}

# control_plane N : static FDB adds with the CLI (one process per entry: the
# CLI has no batch mode), `fdb show -j`, and the kernel's bridge equivalents
control_plane()
{
	local n=$1 P=xvb-x- i t0 t1 f cnt dt
	local pin
	pin=$(pin_dir ${P}h1)
	f=$XVT_TMP/cp.batch
	# the same N entries the kernel side adds with bridge -batch, one process each side
	awk -v n="$n" -v b="$CP_BASE" -v vni=$VNI 'BEGIN { for (i = 0; i < n; i++)
		printf "fdb add %s:%02x:%02x:%02x vni %d dev vm2\n", b, int(i / 65536) % 256, int(i / 256) % 256, i % 256, vni }' >"$f"
	t0=$(date +%s.%N)
	"$CTL" --pin "$pin" -n ${P}h1 -b "$f" || die "xvtepctl -b: fdb add batch failed"
	t1=$(date +%s.%N)
	dt=$(echo "$t1 - $t0" | bc -l)
	record cp-add "xvtepctl -batch fdb add, ${n} static entries, one process" s xvtep "$dt"
	log "control plane: xvtepctl -b with $n fdb add lines in $dt s"
	t0=$(date +%s.%N)
	cnt=$("$CTL" --pin "$pin" -n ${P}h1 -j fdb show | jq '[.. | objects | select(has("mac"))] | length')
	t1=$(date +%s.%N)
	dt=$(echo "$t1 - $t0" | bc -l)
	record cp-show "xvtepctl -j fdb show (+ jq count), ${cnt} entries" s xvtep "$dt"
	log "control plane: 'xvtepctl -j fdb show' of $cnt entries in $dt s"

	# kernel: the same N entries with one `bridge -batch` (vxlan self + bridge master
	# entry for a MAC behind a port = 1 entry: bridge master on vm2)
	awk -v n="$n" -v b="$CP_BASE" 'BEGIN { for (i = 0; i < n; i++)
		printf "fdb add %s:%02x:%02x:%02x dev vm2 master static\n", b, int(i / 65536) % 256, int(i / 256) % 256, i % 256 }' >"$f"
	t0=$(date +%s.%N)
	run in_ns xvb-k-h1 bridge -batch "$f"
	t1=$(date +%s.%N)
	dt=$(echo "$t1 - $t0" | bc -l)
	record cp-add "bridge -batch fdb add, ${n} static entries, one process" s kernel "$dt"
	t0=$(date +%s.%N)
	cnt=$(in_ns xvb-k-h1 bridge -j fdb show | jq length)
	t1=$(date +%s.%N)
	dt=$(echo "$t1 - $t0" | bc -l)
	record cp-show "bridge -j fdb show (+ jq count), ${cnt} entries" s kernel "$dt"
	log "control plane kernel: bridge -batch $n adds, fdb show of $cnt entries done"
	rm -f "$f"
}

# trunk_point : 64 B frames tagged VID 10 from xvtep's trunk port vm2 (VID 10
# -> VNI 100, the tag removed) encapsulated toward a remote VTEP (xvtep),
# against xvtep's own access-port encap from vm1 (baseline, the path's floor:
# the same encap without the tag) and the kernel's access-port encap from its
# vm1 (kernel: this kernel has neither 8021q nor a vlan_filtering bridge, so it
# has no VLAN-to-VNI equivalent), interleaved, into the uplink's XDP-drop sink.
trunk_point()
{
	local r out t=() b=() kv=() targs bargs kargs
	local shape="64B inner, FDB 1 MACs, 802.1Q VID 10 from a trunk port (xvtep) / untagged from an access port (baseline: xvtep; kernel: vxlan + bridge, no VLAN-to-VNI equivalent on this kernel), into XDP-drop sink"
	run xvc xvb-x-h1 port del vm2
	run xvc xvb-x-h1 port add vm2 trunk
	run xvc xvb-x-h1 port vlan add vm2 vid 10 vni $VNI
	targs="$(rate_args x encap 64 1 | sed 's/--ns xvb-x-vm1 /--ns xvb-x-vm2 /;s/--smac [^ ]*/--smac '"$(vm_mac_n 2)"'/') --vlan 10"
	bargs=$(rate_args x encap 64 1)
	kargs=$(rate_args k encap 64 1)
	sinks x encap drop on
	sinks k encap drop on
	for ((r = 0; r < RUNS; r++)); do
		# shellcheck disable=SC2086
		out=$(xvb_rate $targs --count "map:$BPIN/xvb_cnt" --cpu $GEN_CPU) || exit 1
		t+=("${out%% *}")
		# shellcheck disable=SC2086
		out=$(xvb_rate $bargs --count "map:$BPIN/xvb_cnt" --cpu $GEN_CPU) || exit 1
		b+=("${out%% *}")
		# shellcheck disable=SC2086
		out=$(xvb_rate $kargs --count "map:$BPIN/xvb_cnt" --cpu $GEN_CPU) || exit 1
		kv+=("${out%% *}")
	done
	sinks x encap drop off
	sinks k encap drop off
	run xvc xvb-x-h1 port del vm2
	run xvc xvb-x-h1 port add vm2 vni $VNI
	record trunk-encap "$shape" pps xvtep "${t[@]}"
	record trunk-encap "$shape" pps baseline "${b[@]}"
	record trunk-encap "$shape" pps kernel "${kv[@]}"
	log "trunk encap: xvtep trunk ${t[*]} | xvtep access ${b[*]} | kernel access ${kv[*]}"
}

# v6_kernel_dev zero|csum : (re)make the kernel system's IPv6-underlay vxlan
# device vx6 (VNI 100, local LOCAL_IP6, dev ul) in br100, with the IPv6 encap
# destination's entries. zero: udp6zerocsumrx (accept the zero UDP checksums
# xvtep, and so the generator, send; UDPv6 drops them otherwise) and
# udp6zerocsumtx (send zero, as xvtep does); csum: the kernel's defaults
# (checksums sent, zero ones refused).
v6_kernel_dev()
{
	local h=xvb-k-h1 csum=()
	[ "$1" = zero ] && csum=(udp6zerocsumtx udp6zerocsumrx)
	in_ns $h ip link del vx6 2>/dev/null
	run in_ns $h ip link add vx6 type vxlan id $VNI dstport 4789 local $LOCAL_IP6 dev ul "${csum[@]}"
	run in_ns $h ip link set vx6 master br$VNI up
	run in_ns $h bridge fdb add $ENCAP6_BASE dev vx6 master static
	run in_ns $h bridge fdb add $ENCAP6_BASE dev vx6 self dst $REMOTE6
}

# v6_up : the IPv6 underlay beside the IPv4 one on both rate systems, for the
# v6 points: LOCAL_IP6 on h1's ul, REMOTE6 on ul's peer (permanent neighbours
# both ways); xvtep re-attached with a second --local LOCAL_IP6 and a static
# FDB entry ENCAP6_BASE -> REMOTE6; the kernel a second vxlan device vx6 in
# br100 (v6_kernel_dev zero) with the same entry. v6_down undoes it all, so
# the points after them measure what they measured before.
v6_up()
{
	local s P
	for s in x k; do
		P=xvb-$s-
		# IPv6 is off in every namespace (tests/lib.sh ns_create): on for the
		# two underlay devices only, with no link-local address (no
		# solicitations of its own into the sinks)
		run in_ns "${P}h1" sysctl -qw net.ipv6.conf.ul.addr_gen_mode=1 net.ipv6.conf.ul.disable_ipv6=0
		run in_ns "${P}ul" sysctl -qw net.ipv6.conf.peer.addr_gen_mode=1 net.ipv6.conf.peer.disable_ipv6=0
		run in_ns "${P}h1" ip -6 addr add $LOCAL_IP6/64 dev ul nodad
		run in_ns "${P}ul" ip -6 addr add $REMOTE6/64 dev peer nodad
		run in_ns "${P}h1" ip -6 neigh replace $REMOTE6 lladdr "$(dev_mac "${P}ul" peer)" dev ul nud permanent
		run in_ns "${P}ul" ip -6 neigh replace $LOCAL_IP6 lladdr "$(dev_mac "${P}h1" ul)" dev peer nud permanent
	done
	X_LOCALS=(--local "$LOCAL_IP" --local "$LOCAL_IP6")
	XVTEP_FEATURES_OFF=$X_OFF run xvl xvb-x-h1 attach --uplink ul "${X_LOCALS[@]}" --decap "$X_DECAP"
	[ "$(xvl xvb-x-h1 -j status | jq -r .local6)" = $LOCAL_IP6 ] ||
		die "v6 points: xvb-x-h1 does not show local6 $LOCAL_IP6 after attach --local $LOCAL_IP6"
	run "$XVB" fdb-fill --pin "$(pin_dir xvb-x-h1)" --ns xvb-x-h1 --vni $VNI --base $ENCAP6_BASE \
		--n 1 --remote $REMOTE6
	v6_kernel_dev zero
}

v6_down()
{
	local s P
	run in_ns xvb-k-h1 ip link del vx6
	X_LOCALS=(--local "$LOCAL_IP")
	XVTEP_FEATURES_OFF=$X_OFF run xvl xvb-x-h1 attach --uplink ul "${X_LOCALS[@]}" --decap "$X_DECAP"
	[ "$(xvl xvb-x-h1 -j status | jq -r .local6)" = null ] ||
		log "v6 points: xvb-x-h1 kept its IPv6 local after a re-attach with --local $LOCAL_IP alone: the points after these run dual-stack"
	for s in x k; do
		P=xvb-$s-
		run in_ns "${P}h1" ip -6 neigh del $REMOTE6 dev ul
		run in_ns "${P}ul" ip -6 neigh del $LOCAL_IP6 dev peer
		run in_ns "${P}h1" ip -6 addr del $LOCAL_IP6/64 dev ul
		run in_ns "${P}ul" ip -6 addr del $REMOTE6/64 dev peer
		run in_ns "${P}h1" sysctl -qw net.ipv6.conf.ul.disable_ipv6=1
		run in_ns "${P}ul" sysctl -qw net.ipv6.conf.peer.disable_ipv6=1
	done
}

# v6_wire_check : before the encap6 runs, what each system puts on its
# uplink for the point's frames: 4 of them sent from vm1 and captured on h1's
# ul (tshark; skipped with a log line where it is missing) must be VXLAN over
# IPv6 to REMOTE6, VNI 100, outer UDP checksum zero on both (the baseline's
# udp6zerocsumtx); else the point would not measure the IPv6 encap
v6_wire_check()
{
	local s f got want pid
	want=$(printf '4 %s\t%s\t0x0000' $REMOTE6 $VNI)
	if ! command -v tshark >/dev/null; then
		log "encap6: tshark missing, the frames on the wire not checked"
		return 0
	fi
	for s in x k; do
		f=$XVT_TMP/v6wire.$s.pcap
		rm -f "$f" "$f.err"
		nsenter --net="/run/netns/xvb-$s-h1" timeout 15 tshark -i ul -c 4 -w "$f" \
			-f "udp port 4789" 2>"$f.err" &
		pid=$!
		wait_for 10 grep -q "Capturing on" "$f.err" || die "encap6: tshark on xvb-$s-h1 ul: $(cat "$f.err")"
		# shellcheck disable=SC2046
		run "$XVB" send --gen "$GEN" $(rate_args $s encap6 64 1) --frames 4
		wait "$pid"
		got=$(tshark -r "$f" -d udp.port==4789,vxlan -T fields -E occurrence=f -e ipv6.dst \
			-e vxlan.vni -e udp.checksum 2>/dev/null | sort | uniq -c | sed 's/^ *//')
		[ "$got" = "$want" ] ||
			die "encap6: xvb-$s-h1 sent, for 4 frames toward $ENCAP6_BASE: '${got//$'\n'/; }', not '$want' (count, IPv6 destination, VNI, UDP checksum)"
	done
	log "encap6: both systems send the frames as VXLAN over IPv6 to $REMOTE6, zero UDP checksum (checked on the wire)"
}

# v6_floor KIND 6|4 on|off : the floor of an IPv6 (6) or IPv4 (4) underlay
# point, on the kernel system with no VTEP in the path. decap: the
# generator's frames of that underlay into an XDP-drop sink on h1's uplink
# (the ceiling point's path); encap: a bare TC program on h1's vm1 grows each
# frame by that underlay's encapsulation as xvtep's TC encap grows it (70 / 50
# bytes: xvb_tc_push6 / xvb_tc_push, no headers written) and redirects it to
# ul's egress, into the sink on ul's peer.
v6_floor()
{
	local kind=$1 f=$2 op=$3 prog=xvb_tc_push
	[ "$f" = 6 ] && prog=xvb_tc_push6
	case $kind.$op in
	decap.on) sink_on xvb-k-h1 ul drop ;;
	decap.off) sink_off xvb-k-h1 ul ;;
	encap.on)
		run in_ns xvb-k-h1 tc filter replace dev vm1 ingress pref 1 handle 1 bpf \
			direct-action object-pinned "$BPIN/$prog"
		;;
	encap.off) run in_ns xvb-k-h1 tc filter del dev vm1 ingress pref 1 handle 1 bpf ;;
	esac
}

# v6_point decap|encap SIZE : the IPv6 underlay (kind decap6 / encap6): xvtep
# against the kernel's vxlan with an IPv6 local (v6_up), and beside it the
# IPv4 underlay (decap6-v4 / encap6-v4) on the same systems, each with its
# floor (v6_floor), FDB 1 MAC, into XDP-drop sinks, interleaved run by run
# (xvtep, kernel, floor, kernel-csum over IPv6, then xvtep, kernel, floor
# over IPv4). The baseline: the kernel's vx6 with udp6zerocsumrx and
# udp6zerocsumtx, so both systems receive the same frames (zero outer UDP
# checksum, what xvtep sends: RFC 6935) and send the same bytes. The
# kernel's default (checksums sent: handed to the veth as CHECKSUM_PARTIAL,
# which nobody finishes on this path; zero ones refused) is measured beside
# it, not judged (kernel-csum: vx6 remade with the defaults for that run, the
# decap frames then carrying a valid checksum, which it verifies).
v6_point()
{
	local kind=$1 size=$2 r f s out shape
	local -A args vals
	v6_up
	for f in 6 4; do
		for s in x k; do
			args[$s$f]=$(rate_args $s "$kind${f/4/}" "$size" 1)
		done
	done
	sinks x "$kind" drop on
	sinks k "$kind" drop on
	if [ "$kind" = encap ]; then
		v6_wire_check
		bare_target xvb_ifx 0 ul
		run in_ns xvb-k-h1 tc qdisc replace dev vm1 clsact
	fi
	for ((r = 0; r < RUNS; r++)); do
		for f in 6 4; do
			for s in x k fl kc; do
				[ $s = kc ] && [ $f = 4 ] && continue
				[ $s = fl ] && v6_floor "$kind" $f on
				[ $s = kc ] && v6_kernel_dev csum
				# shellcheck disable=SC2086,SC2046
				out=$(xvb_rate ${args[${s/[fk][lc]/k}$f]} $([ $s$kind = kcdecap ] && echo --ocsum) \
					--count "map:$BPIN/xvb_cnt" --cpu $GEN_CPU) || exit 1
				[ $s = fl ] && v6_floor "$kind" $f off
				[ $s = kc ] && v6_kernel_dev zero
				vals[$s$f]+="${vals[$s$f]:+ }${out%% *}"
			done
		done
	done
	[ "$kind" = encap ] && in_ns xvb-k-h1 tc qdisc del dev vm1 clsact 2>/dev/null
	sinks x "$kind" drop off
	sinks k "$kind" drop off
	v6_down
	local floor6 floor4
	if [ "$kind" = decap ]; then
		floor6="the generator's IPv6-outer frames into an XDP-drop sink on the kernel system's uplink, no VTEP"
		floor4=${floor6/IPv6-outer/IPv4-outer}
	else
		floor6="a bare TC program on the kernel system's vm1 grows each frame by 70 bytes (bpf_skb_adjust_room, the IPv6 encap's flags) and redirects it to ul, no VTEP"
		floor4=${floor6/70 bytes/50 bytes}
		floor4=${floor4/IPv6/IPv4}
	fi
	shape="${size}B inner, FDB 1 MACs, IPv6 underlay ($([ "$kind" = decap ] && echo "$REMOTE6 -> $LOCAL_IP6" || echo "$LOCAL_IP6 -> $REMOTE6")), zero outer UDP checksum on both systems (kernel: vxlan local $LOCAL_IP6 udp6zerocsumrx udp6zerocsumtx in the bridge; its default sends checksums), into XDP-drop sink; floor: $floor6$KSHAPE"
	# shellcheck disable=SC2086
	record "${kind}6" "$shape" pps xvtep ${vals[x6]}
	# shellcheck disable=SC2086
	record "${kind}6" "$shape" pps kernel ${vals[k6]}
	# shellcheck disable=SC2086
	record "${kind}6" "$shape" pps floor ${vals[fl6]}
	# shellcheck disable=SC2086
	record "${kind}6" "$shape" pps kernel-csum ${vals[kc6]}
	shape="${size}B inner, FDB 1 MACs, IPv4 underlay, the same runs as the IPv6 underlay's (interleaved), into XDP-drop sink; floor: $floor4$KSHAPE"
	# shellcheck disable=SC2086
	record "${kind}6-v4" "$shape" pps xvtep ${vals[x4]}
	# shellcheck disable=SC2086
	record "${kind}6-v4" "$shape" pps kernel ${vals[k4]}
	# shellcheck disable=SC2086
	record "${kind}6-v4" "$shape" pps floor ${vals[fl4]}
	log "$kind over IPv6 ${size}B: xvtep ${vals[x6]} | kernel ${vals[k6]} | floor ${vals[fl6]} | kernel with its default checksums ${vals[kc6]}; over IPv4: xvtep ${vals[x4]} | kernel ${vals[k4]} | floor ${vals[fl4]}"
}

# evpn_point N : EVPN convergence. Hosts xvb-h1 (xvtep, VNI 100 evpn,
# xvtepd), xvb-h2 (kernel vx100 nolearning in br100) and xvb-h3 (the source:
# kernel vx100 in br100, port vm3a) on the underlay bridge xvb-ul, each with
# zebra + bgpd (iBGP l2vpn evpn, advertise-all-vni). Per run: one `bridge
# -batch` adds N static MACs on h3's vm3a; then xvb-h1's FDB map (EVPN
# entries, xvtepctl -j fdb show) and xvb-h2's vx100 FDB (bridge fdb show) are
# dumped in turn, in an order that alternates per run, until each holds all N:
# a system's time is when its first complete dump started. Then the MACs are
# withdrawn (bridge -batch fdb del) and both emptied before the next run.
evpn_point()
{
	local n=$1 r f t0 now tx tk s order
	local x=() k=() xs=0 ks=0 why
	local h1 h2 h3 src
	h1=$(h_ns 1) h2=$(h_ns 2) h3=$(h_ns 3) src=$(ul_ip 3)
	why=$(evpn_prereq) || die "evpn point: $why"
	topo_underlay && xvtep_host 1 && topo_host 2 && topo_host 3 &&
		topo_do xvc "$h1" vni add $VNI evpn &&
		kernel_vni 2 $VNI none nolearning && kernel_vni 3 $VNI none nolearning &&
		kernel_vm 3 vm3a $VNI "" "" && ul_prewarm || die "evpn topology: $TOPO_ERR"
	evpn_xvtepd 1
	for r in 1 2 3; do
		evpn_frr_up $r || die "FRR on $(h_ns $r): $(tail -n3 "$(evpn_frr_dir $r)"/*.log 2>/dev/null)"
	done
	for r in 1 2 3; do
		wait_for 30 evpn_sessions_are $r 2 || die "$(h_ns $r): EVPN sessions not established"
	done
	f=$XVT_TMP/evpn.batch
	for ((r = 0; r < RUNS; r++)); do
		evpn_macs_batch "$f" add vm3a 02:a3:00 "$n"
		tx='' tk=''
		order="x k"
		[ $((r % 2)) = 1 ] && order="k x"
		t0=$(date +%s%N)
		run in_ns "$h3" bridge -batch "$f"
		while [ -z "$tx" ] || [ -z "$tk" ]; do
			for s in $order; do
				now=$(date +%s%N)
				[ $((now - t0)) -gt 60000000000 ] && die "evpn point: $n MACs not in both FDBs after 60 s"
				if [ $s = x ] && [ -z "$tx" ] && evpn_x_is "$h1" $VNI "$n"; then
					tx=$((now - t0))
					xs=$((($(date +%s%N) - now) / 1000000))
				elif [ $s = k ] && [ -z "$tk" ] && evpn_k_is "$h2" vx$VNI "$src" "$n"; then
					tk=$((now - t0))
					ks=$((($(date +%s%N) - now) / 1000000))
				fi
			done
		done
		x+=("$(printf '%.4f' "$(echo "$tx / 1000000000" | bc -l)")")
		k+=("$(printf '%.4f' "$(echo "$tk / 1000000000" | bc -l)")")
		evpn_macs_batch "$f" del vm3a 02:a3:00 "$n"
		run in_ns "$h3" bridge -batch "$f"
		wait_for 30 evpn_x_is "$h1" $VNI 0 && wait_for 30 evpn_k_is "$h2" vx$VNI "$src" 0 ||
			die "evpn point: the $n MACs were not withdrawn from both FDBs within 30 s"
	done
	rm -f "$f"
	evpn_frr_down
	local shape="${n} MACs added by one bridge -batch (static, on a bridge port) on a kernel source VTEP, to the last in the FDB (FRR 8.4 zebra+bgpd, iBGP EVPN): xvtep's map via xvtepd / a kernel vxlan host's bridge FDB"
	record evpn "$shape" s xvtep "${x[@]}"
	record evpn "$shape" s kernel "${k[@]}"
	log "evpn $n MACs: xvtep ${x[*]} s | kernel ${k[*]} s (the last complete dump took xvtep ${xs} ms, kernel ${ks} ms: the resolution)"
}

# Leftovers of an earlier run that was killed or kept (XVT_KEEP=1): ours by prefix.
clean_stale()
{
	local ns pin
	for pin in "$XVT_BPFFS"/xvb-*; do
		[ -d "$pin" ] || continue
		ns=${pin##*/}
		[ -e "/run/netns/$ns" ] && timeout 15 "$LOADER" --pin "$pin" -n "$ns" detach >/dev/null 2>&1
	done
	for ns in $(ip netns list | awk '$1 ~ /^xvb-/ { print $1 }'); do
		ns_kill_pids "$ns"
		ip netns del "$ns"
	done
	rm -rf "$XVT_BPFFS"/xvb-*
	[ -d "$FRR_DIR" ] && evpn_frr_down	# the evpn point's FRR (pid files, /tmp/xvb-frr)
}

# ------------------------------------------------------------------ main

require_root
require_bpffs
require_tools
deps
require_cmds ip bridge nsenter ethtool iperf3 jq bc awk gnuplot python3
[ -x "$XVB" ] || die "$XVB not built (make bench-tools)"
: >"$PTS"
clean_stale

log "building topologies (quick=$QUICK, runs=$RUNS, window=${SECS}s)"
pin_register "$BPIN"
rm -rf "$BPIN"
mkdir -p "$BPIN"
run "$XVB" load-sink "$BPIN"
mkdir -p "$CPIN"
run "$XVB" load-sink "$CPIN"
rate_topo x
rate_topo k
X_TC_ATTACH=$(xvl xvb-x-h1 -j status | jq -r .tc_attach)	# tcx where the kernel has it
tcp_topo x
tcp_topo k
gen_choose
# Live frames come back recycled with whatever a receiver wrote into them (an
# ERSPAN copy pushes its header into the page in place): the generator must
# restore its frames, or a rate measures stale copies (see bench/gen.bpf.c).
# Clones share no pages with receivers that write (the kernel copies first).
if [ "$GEN" = live ]; then
	for kind in decap encap; do
		for size in 64 1500; do
			# shellcheck disable=SC2046
			run "$XVB" gen-check $(rate_args k $kind $size 1 | sed 's/--ns [^ ]* --dev [^ ]* //')
		done
	done
fi

# BENCH_ONLY="cost tcp ..." (quick mode): only these kinds of point, for
# development; the published results always come from a full run.
want()
{
	[ -z "${BENCH_ONLY:-}" ] || [[ " $BENCH_ONLY " == *" $1 "* ]]
}

if [ "$QUICK" = 1 ]; then
	PHASES=(1)
	fdb_grow 0 1
	want ceiling && ceiling_point 64
	want floor && copy_floor_point xdp
	want floor && copy_floor_point tc
	want decap && rate_point decap 64 1 drop
	want decap && rate_point decap 64 1 stack
	[ -n "${BENCH_ONLY:-}" ] && want stackapp && rate_point decap 64 1 stack-rx
	[ -n "${BENCH_ONLY:-}" ] && want stackapp && rate_point decap 64 1 stack-poll
	want encap && rate_point encap 64 1 drop
	want floor && encap_floor_point
	want encap && rate_point encap-xdp 64 1 drop
	want flood && rate_point flood-encap 64 0 drop
	want tcp && tcp_point 1
	want tcp && tcp_encap_xdp_point
	[ -n "${BENCH_ONLY:-}" ] && want brnf && brnf_points	# long: asked for only
	want mirror && mirror_rate_point span
	want mirror && mirror_rate_point erspan
	want mirror && mirror_rate_point erspan tc
	want mirror && mirror_tcp_point gso
	want fallback && fallback_points
	# BENCH_COST_MACS="1 100000": the cost point at these FDB sizes
	if want cost; then
		prev=1
		for n in $COST_MACS; do
			[ "$n" -gt "$prev" ] && fdb_grow "$prev" "$n" && prev=$n
			cost_point "$n"
		done
	fi
	want cp && control_plane "$CP_N"
	want trunk && trunk_point
	# the IPv6 underlay: BENCH_ONLY="decap6 encap6" (or ipv6: both)
	{ want decap6 || want ipv6; } && v6_point decap 64
	{ want encap6 || want ipv6; } && v6_point encap 64
	want evpn && evpn_point 10000
else
	prev=0
	for n in 1 100 100000; do
		fdb_grow $prev $n
		prev=$n
		for size in 64 1500; do
			for sink in drop stack; do
				rate_point decap $size $n $sink
				rate_point encap $size $n $sink
			done
			# the opt-in XDP encap: 64 B and 1500 B into the drop sink, 64 B
			# into the stack, and 64 B with 100k MACs
			if [ $n = 1 ] || { [ $n = 100000 ] && [ $size = 64 ]; }; then
				rate_point encap-xdp $size $n drop
			fi
			[ $n = 1 ] && [ $size = 64 ] && rate_point encap-xdp $size $n stack
		done
		cost_point $n
		if [ $n = 1 ]; then
			# into the stack with an application on the port (no ICMP)
			rate_point decap 64 1 stack-rx
			rate_point decap 64 1 stack-poll
			ceiling_point 64
			ceiling_point 1500
			copy_floor_point xdp
			copy_floor_point tc
			encap_floor_point
			trunk_point
			rate_point flood-decap 64 0 drop
			rate_point flood-encap 64 0 drop
			tcp_point 1
			tcp_point 4
			tcp_encap_xdp_point
			mirror_rate_point span
			mirror_rate_point erspan
			mirror_rate_point span tc
			mirror_rate_point erspan tc
			mirror_tcp_point gso
			mirror_tcp_point seg
			fallback_points
			# the trade-off behind auto: XDP on a veth uplink costs TCP
			tcp_redecap hybrid
			tcp_point 1
			tcp_redecap auto
			brnf_points
			# last at FDB 1: each sets up the IPv6 underlay and removes it
			v6_point decap 64
			v6_point encap 64
		fi
	done
	control_plane "$CP_N"
	evpn_point 10000
fi

mkdir -p "$RES"
cp "$PTS" "$RES/latest.raw.jsonl"
python3 "$ROOT/bench/report.py" "$PTS" "$RES" "$QUICK" "$(($(date +%s) - T_START))" || die "report failed"
log "done: $RES/latest.md"
cat "$RES/latest.md"
