#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Send VXLAN frames from forged VTEPs for the hardening tests (scapy).

  sec_send.py IFACE DST_MAC DST_IP VNI INNER_DST COUNT SRC_IP=INNER_SRC...

Each SRC_IP=INNER_SRC pair is sent COUNT times, in the order given (frames
claiming one MAC from alternating VTEPs make moves). INNER_SRC "random" gives
every frame its own random unicast, locally administered source MAC.
"""
import random
import struct
import sys

from scapy.all import Ether, IP, UDP, ICMP, Raw, sendp  # noqa: E402


def frame(dst_mac, src_ip, dst_ip, vni, inner_src, inner_dst):
    outer = Ether(dst=dst_mac, src="02:00:00:00:0f:0f") / IP(src=src_ip, dst=dst_ip, ttl=64)
    hdr = struct.pack("!I I", 0x08000000, vni << 8)
    inner = (Ether(dst=inner_dst, src=inner_src) /
             IP(src="192.0.2.99", dst="192.0.2.11") / ICMP(type=0) / Raw(b"x" * 32))
    return outer / UDP(sport=54321, dport=4789) / Raw(hdr) / inner


def rand_mac(rng):
    b = [rng.randrange(256) for _ in range(6)]
    b[0] = (b[0] & 0xFC) | 0x02
    return ":".join(f"{x:02x}" for x in b)


def main():
    if len(sys.argv) < 8:
        print(__doc__, file=sys.stderr)
        return 2
    iface, dst_mac, dst_ip, vni, inner_dst, count = sys.argv[1:7]
    rng = random.Random(4789)
    pkts = []
    for spec in sys.argv[7:]:
        src_ip, inner_src = spec.split("=", 1)
        for _ in range(int(count)):
            mac = rand_mac(rng) if inner_src == "random" else inner_src
            pkts.append(frame(dst_mac, src_ip, dst_ip, int(vni), mac, inner_dst))
    sendp(pkts, iface=iface, verbose=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
