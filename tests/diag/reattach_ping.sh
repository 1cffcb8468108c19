#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Diagnostic, not part of the suite: how often does vm1a reach vm2a within
# 4 s of a re-attach from pins, after an outage during which vm1a pinged
# (the sequence of faults.sh kill_fresh "from pins", without strace)?
#
#   PING=once tests/diag/reattach_ping.sh [ROUNDS]   `ping -c 1 -w 4` (the old check)
#   PING=loop tests/diag/reattach_ping.sh [ROUNDS]   one ping at a time until 4 s
#                                                    (faults.sh forwards, the default)
#   OUTAGE=S: how long vm1a pings while h1 has no dataplane (default 2.3)
#
# The outage ping makes vm1a's ARP entry for vm2a INCOMPLETE: a probe a
# second, 3 in all, then FAILED. With the default the attach ends after the
# third probe went out into the void and before the entry fails: the echo
# request of the ping after the attach is queued on the entry, and when the
# entry fails the kernel reports "host unreachable" for it. `ping -c 1`
# counts that error as its one answer and exits, although the dataplane is
# up; one ping at a time until a deadline tries again and gets through.
# In faults.sh the same came from probes that fell into a slow attach.
# Prints one line per round and "N of M rounds missed" at the end.
# Same topology as faults.sh; everything it creates is removed at exit.

export XVT_P=${XVT_P:-rp-}
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh
source tests/integration/topology.sh

rounds=${1:-80}
mode=${PING:-loop}
outage=${OUTAGE:-2.3}
H1=$(h_ns 1)
VM1=$(vm_ns vm1a)
IP2A=$(vm_ip vm2a)

reaches()
{
	local end=$((SECONDS + 4))

	if [ "$mode" = once ]; then
		in_ns "$VM1" ping -n -c 1 -i 0.2 -W 1 -w 4 "$IP2A" >/dev/null 2>&1
		return
	fi
	while :; do
		in_ns "$VM1" ping -n -c 1 -W 1 "$IP2A" >/dev/null 2>&1 && return 0
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}

topo_pair && ul_prewarm || { echo "topology: $TOPO_ERR"; exit 1; }
missed=0
for ((i = 1; i <= rounds; i++)); do
	xvl "$H1" detach --keep-maps >/dev/null 2>&1
	in_ns "$VM1" timeout "$outage" ping -n -i 0.2 -W 1 "$IP2A" >/dev/null 2>&1
	xvl "$H1" attach --uplink ul --local "$(ul_ip 1)" --decap hybrid >/dev/null 2>&1 ||
		{ echo "round $i: attach failed"; missed=$((missed + 1)); continue; }
	if reaches; then
		echo "round $i: ok"
	else
		missed=$((missed + 1))
		echo "round $i: missed ($(in_ns "$VM1" ip neigh show "$IP2A"))"
	fi
done
echo "$missed of $rounds rounds missed (PING=$mode OUTAGE=$outage)"
