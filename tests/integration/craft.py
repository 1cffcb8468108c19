#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Send crafted VXLAN frames for the decap validation tests (scapy).

  craft.py IFACE DST_MAC SRC_IP DST_IP KIND COUNT [VNI] [INNER_DST_MAC]

KIND: good | no_i_flag | unknown_vni | inner_vlan | bad_src_mcast | bad_src_zero |
      short_vxlan | short_inner | reserved_bits | other_port
"""
import struct
import sys

from scapy.all import Ether, IP, UDP, ICMP, Dot1Q, Raw, sendp  # noqa: E402

INNER_SRC = "02:00:00:00:09:09"


def vxlan_hdr(vni, flags=0x08, r1=0, r4=0):
    return struct.pack("!B3sI", flags, r1.to_bytes(3, "big"), (vni << 8) | r4)


def build(kind, dst_mac, src_ip, dst_ip, vni, inner_dst):
    outer = Ether(dst=dst_mac, src="02:00:00:00:0f:0f") / IP(src=src_ip, dst=dst_ip, ttl=64)
    port = 4790 if kind == "other_port" else 4789
    udp = UDP(sport=54321, dport=port)
    inner_ip = IP(src="192.0.2.99", dst="192.0.2.11") / ICMP(type=0) / Raw(b"x" * 32)
    inner = Ether(dst=inner_dst, src=INNER_SRC) / inner_ip
    hdr = vxlan_hdr(vni)
    if kind == "no_i_flag":
        hdr = vxlan_hdr(vni, flags=0x00)
    elif kind == "unknown_vni":
        hdr = vxlan_hdr(4242)
    elif kind == "inner_vlan":
        inner = Ether(dst=inner_dst, src=INNER_SRC) / Dot1Q(vlan=5) / inner_ip
    elif kind == "bad_src_mcast":
        inner = Ether(dst=inner_dst, src="01:00:5e:00:00:01") / inner_ip
    elif kind == "bad_src_zero":
        inner = Ether(dst=inner_dst, src="00:00:00:00:00:00") / inner_ip
    elif kind == "short_vxlan":
        return outer / udp / Raw(b"\x08\x00\x00")
    elif kind == "short_inner":
        return outer / udp / Raw(hdr + b"\x02\x00\x00\x00\x01")
    elif kind == "reserved_bits":
        hdr = vxlan_hdr(vni, flags=0x08 | 0x40, r1=0x123456, r4=0x7f)
    elif kind not in ("good", "other_port"):
        raise SystemExit(f"unknown kind {kind}")
    return outer / udp / Raw(hdr) / inner


def main():
    if len(sys.argv) < 7:
        print(__doc__, file=sys.stderr)
        return 2
    iface, dst_mac, src_ip, dst_ip, kind, count = sys.argv[1:7]
    vni = int(sys.argv[7]) if len(sys.argv) > 7 else 100
    inner_dst = sys.argv[8] if len(sys.argv) > 8 else "02:00:00:00:01:0a"
    pkt = build(kind, dst_mac, src_ip, dst_ip, vni, inner_dst)
    sendp([pkt] * int(count), iface=iface, verbose=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
