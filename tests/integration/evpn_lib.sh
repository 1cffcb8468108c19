# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# FRR (zebra + bgpd) and xvtepd helpers for EVPN scale tests and the bench's
# evpn point (sourced after tests/lib.sh and topology.sh; not a test itself).
# Hosts are topology.sh's: namespace $(h_ns N), underlay address $(ul_ip N).
# FRR runs as user frr (as root FRR 8.4 refuses: "root is not part of vty
# group frrvty"), its state under $FRR_DIR/hN. Every bgpd peers iBGP
# l2vpn evpn (advertise-all-vni) with the hosts in FRR_HOSTS.

XVTEPD=${XVTEPD:-$XVT_ROOT/build/xvtepd}
FRR=/usr/lib/frr
FRR_DIR=${FRR_DIR:-/tmp/${XVT_P}frr}
FRR_HOSTS=${FRR_HOSTS:-"1 2 3"}
EVPN_ASN=65000

# evpn_prereq : what FRR under xvtep needs; prints what is missing
evpn_prereq()
{
	local f
	command -v vtysh >/dev/null || { echo "vtysh missing (scripts/deps.sh installs frr)"; return 1; }
	for f in "$FRR/zebra" "$FRR/bgpd" "$XVTEPD"; do
		[ -x "$f" ] || { echo "$f missing (scripts/deps.sh installs frr; make builds xvtepd)"; return 1; }
	done
	id frr >/dev/null 2>&1 || { echo "no user frr (the frr package makes it)"; return 1; }
}

evpn_frr_dir() { echo "$FRR_DIR/h$1"; }

# evpn_frr_conf N : host N's zebra.conf and bgpd.conf (iBGP with FRR_HOSTS)
evpn_frr_conf()
{
	local n=$1 d j
	d=$(evpn_frr_dir "$n")
	mkdir -p "$d" && chown frr:frr "$FRR_DIR" "$d" || return 1
	printf 'hostname %s\n' "$(h_ns "$n")" >"$d/zebra.conf"
	{
		printf 'hostname %s\nrouter bgp %s\n bgp router-id %s\n' "$(h_ns "$n")" $EVPN_ASN "$(ul_ip "$n")"
		printf ' no bgp default ipv4-unicast\n timers bgp 3 9\n neighbor V peer-group\n'
		printf ' neighbor V remote-as internal\n neighbor V timers connect 2\n'
		for j in $FRR_HOSTS; do
			[ "$j" = "$n" ] || echo " neighbor $(ul_ip "$j") peer-group V"
		done
		printf ' address-family l2vpn evpn\n  neighbor V activate\n  advertise-all-vni\n exit-address-family\n'
	} >"$d/bgpd.conf"
}

# evpn_frr_start N zebra|bgpd : one daemon in host N's namespace; zebra is
# up once its API socket is
evpn_frr_start()
{
	local n=$1 dmn=$2 d i
	d=$(evpn_frr_dir "$n")
	ip netns exec "$(h_ns "$n")" "$FRR/$dmn" -d -P 0 -f "$d/$dmn.conf" -i "$d/$dmn.pid" \
		-z "$d/zserv.api" --vty_socket "$d" --log "file:$d/$dmn.log" \
		>>"$d/$dmn.start.log" 2>&1 || return 1
	[ "$dmn" = zebra ] || return 0
	for ((i = 0; i < 100; i++)); do
		[ -S "$d/zserv.api" ] && return 0
		sleep 0.05
	done
	return 1
}

# evpn_frr_stop N zebra|bgpd : end one daemon of host N by its pid file
evpn_frr_stop()
{
	local f p i
	f="$(evpn_frr_dir "$1")/$2.pid"
	[ -s "$f" ] || return 0
	p=$(cat "$f")
	if kill -0 "$p" 2>/dev/null; then
		kill -TERM "$p"
		for ((i = 0; i < 100; i++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.05
		done
		kill -0 "$p" 2>/dev/null && kill -KILL "$p"
	fi
	rm -f "$f"
}

# evpn_frr_up N : configure host N and start zebra, then bgpd
evpn_frr_up()
{
	evpn_frr_conf "$1" && evpn_frr_start "$1" zebra && evpn_frr_start "$1" bgpd
}

# evpn_frr_down : end the daemons of every host of ours, remove their state
evpn_frr_down()
{
	local d
	for d in "$FRR_DIR"/h*; do
		[ -d "$d" ] || continue
		evpn_frr_stop "${d##*/h}" bgpd
		evpn_frr_stop "${d##*/h}" zebra
	done
	case $FRR_DIR in /tmp/?*) rm -rf "$FRR_DIR" ;; esac
}

# evpn_vty N CMD : one vtysh command on host N
evpn_vty() { local n=$1; shift; vtysh --vty_socket "$(evpn_frr_dir "$n")" -c "$@"; }

# evpn_sessions N : host N's established EVPN sessions
evpn_sessions()
{
	evpn_vty "$1" 'show bgp l2vpn evpn summary json' 2>/dev/null |
		jq '[.peers // {} | .[] | select(.state == "Established")] | length'
}

evpn_sessions_are() { [ "$(evpn_sessions "$1")" = "$2" ]; }

# evpn_xvtepd N [OPTION...] : the agent of xvtep host N in the background
# (bg_start: ended by the cleanup), log in $XVT_TMP/xvtepd.hN.log
evpn_xvtepd()
{
	local n=$1
	shift
	bg_start "$XVTEPD" --pin "$(pin_dir "$(h_ns "$n")")" -n "$(h_ns "$n")" "$@" \
		2>>"$XVT_TMP/xvtepd.h$n.log"
}

# evpn_count_x NS VNI : EVPN entries in xvtep's FDB of VNI
evpn_count_x()
{
	xvc "$1" -j fdb show vni "$2" | jq '[.. | objects | select(.source? == "evpn")] | length'
}

# evpn_x_is NS VNI COUNT : NS's VNI has COUNT EVPN entries
evpn_x_is() { [ "$(evpn_count_x "$1" "$2")" = "$3" ]; }

# evpn_count_k NS DEV DST : the kernel vxlan device's remote MACs behind DST
# (the "self" half zebra writes; flood entries not counted)
evpn_count_k()
{
	in_ns "$1" bridge fdb show dev "$2" | grep -v '^00:00:00:00:00:00' | grep -c "dst $3 "
}

# evpn_k_is NS DEV DST COUNT : DEV has COUNT remote MACs behind DST
evpn_k_is() { [ "$(evpn_count_k "$1" "$2" "$3")" = "$4" ]; }

# evpn_macs_batch FILE add|del DEV BASE N : N bridge -batch lines for local
# MACs BASE:xx:xx:xx on bridge port DEV (static: zebra advertises it)
evpn_macs_batch()
{
	awk -v op="$2" -v dev="$3" -v b="$4" -v n="$5" 'BEGIN { for (i = 0; i < n; i++)
		printf "fdb %s %s:%02x:%02x:%02x dev %s master%s\n", op, b,
			int(i / 65536) % 256, int(i / 256) % 256, i % 256, dev, op == "add" ? " static" : "" }' >"$1"
}
