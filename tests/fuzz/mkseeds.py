#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the seed corpus of fuzz_dataplane (tests/fuzz/corpus/): a few valid
frames with the map state that takes them down the deep paths (XDP fast
path, TC decap and flood, port switching, encap, learning at mac-limit).
Layout: 16 config bytes (see set_state() in fuzz_dataplane.c), then the frame."""
import os
import struct
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return struct.pack("!H", ~s & 0xFFFF)


def ipv4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBB2s4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto,
                    b"\0\0", bytes(src), bytes(dst))
    return h[:10] + csum(h) + h[12:] + payload


def inner(dst, src, l4=17, n=46):
    """Ethernet + IPv4 (192.0.2.1 -> .2) + n bytes of L4."""
    body = bytes(n)
    if l4 == 6:
        body = struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, 0x50, 0x18, 1000, 0, 0) + bytes(n - 20)
    return mac(dst) + mac(src) + b"\x08\x00" + ipv4([192, 0, 2, 1], [192, 0, 2, 2], l4, body)


def vxlan(vni, frame, dst=(198, 51, 100, 1)):
    udp = struct.pack("!HHHH", 50000, 4789, 16 + len(frame), 0)
    vx = struct.pack("!II", 0x08000000, vni << 8)
    return (mac("02:00:00:00:00:01") + mac("02:00:00:00:00:02") + b"\x08\x00" +
            ipv4([198, 51, 100, 2], list(dst), 17, udp + vx + frame))


def ipv6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, 64, src, dst) + payload


IP6_LOCAL = bytes.fromhex("20010db8000000000000000000000001")
IP6_PEER = bytes.fromhex("20010db8000000000000000000000002")
IP6_GROUP = bytes.fromhex("ff05000000000000000000000db80001")


def vxlan6(vni, frame, dst=IP6_LOCAL):
    """Outer IPv6 2001:db8::2 -> DST, UDP checksum 0 (RFC 6935)."""
    udp = struct.pack("!HHHH", 50000, 4789, 16 + len(frame), 0)
    vx = struct.pack("!II", 0x08000000, vni << 8)
    return (mac("02:00:00:00:00:01") + mac("02:00:00:00:00:02") + b"\x86\xdd" +
            ipv6(IP6_PEER, dst, 17, udp + vx + frame))


def cfg(a=0x05, b=0x01, port=0, fdb=(), skip=0, mirror=0):
    """a/b: VNI config bytes; fdb: up to 3 (sel, flags) pairs (flags: 1 static,
    2 remote, 4 VNI B, 8 on p2)."""
    c = bytearray(16)
    c[0], c[1], c[2] = a, b, port
    for i, (sel, fl) in enumerate(fdb):
        c[3 + 3 * i] = 0x80 | sel
        c[4 + 3 * i] = fl
    c[12], c[13] = skip, mirror
    c[14] = 1   # keep outer lengths consistent with the frame
    return bytes(c)


VM = "02:aa:00:00:00:0%d"
FAR = "02:bb:00:00:00:01"
SEEDS = {
    # decap, XDP fast path: inner dst VM1 static on p1
    "decap_fastpath": cfg(fdb=[(1, 1)]) + vxlan(100, inner(VM % 1, FAR)),
    # decap, TCP (to TC in hybrid mode), dst learned dynamically on p2
    "decap_tcp": cfg(fdb=[(2, 8)]) + vxlan(100, inner(VM % 2, FAR, l4=6)),
    # decap, broadcast: flooded to both ports
    "decap_flood": cfg() + vxlan(100, inner("ff:ff:ff:ff:ff:ff", FAR)),
    # decap to the VNI's group
    "decap_group": cfg(a=0x07) + vxlan(100, inner(VM % 1, FAR), dst=(239, 1, 1, 1)),
    # decap, dst known behind a VTEP: hairpin
    "decap_hairpin": cfg(fdb=[(4, 3)]) + vxlan(100, inner(VM % 4, FAR)),
    # port: local switching p1 -> p2, source VM3 learned
    "port_local": cfg(fdb=[(2, 9)], skip=3) + inner(VM % 2, VM % 3),
    # port: encap toward PEER
    "port_encap": cfg(fdb=[(4, 3)], skip=3) + inner(VM % 4, VM % 3),
    # port: broadcast, flooded locally and to group + remote
    "port_flood": cfg(a=0x07, skip=3) + inner("ff:ff:ff:ff:ff:ff", VM % 3),
    # learning at mac-limit 1 with one dynamic entry already there
    "learn_limit": cfg(a=0x15, fdb=[(5, 0)]) + vxlan(100, inner(VM % 1, FAR)),
    # mirror copies: SPAN / RSPAN / ERSPAN
    "mirror_erspan": cfg(skip=7, mirror=2) + inner(VM % 2, VM % 3),
    # IPv6 underlay: decap on the XDP fast path, to the VNI's IPv6 group, encap
    # toward an IPv6 remote, flood to an IPv6 group + remote
    "decap6_fastpath": cfg(fdb=[(1, 1)]) + vxlan6(100, inner(VM % 1, FAR)),
    "decap6_group": cfg(a=0x47) + vxlan6(100, inner("ff:ff:ff:ff:ff:ff", FAR), dst=IP6_GROUP),
    "port_encap6": cfg(fdb=[(4, 0x13)], skip=3) + inner(VM % 4, VM % 3),
    "port_flood6": cfg(a=0x47, skip=3) + inner("ff:ff:ff:ff:ff:ff", VM % 3),
}

os.makedirs(OUT, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print("wrote %d seeds to %s" % (len(SEEDS), OUT), file=sys.stderr)
