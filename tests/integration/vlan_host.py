#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Hosts on VLANs behind a trunk, for tests/integration/vlan.sh.

    vlan_host.py IFACE VID=IP=MAC...

Answers ARP requests and ICMP echo requests for each IP on its VID only,
802.1Q-tagged with that VID, until killed. This kernel has no 8021q module
(no VLAN devices), no VLAN filtering in its bridge and no tc vlan action, so
the 802.1Q peer of the trunk is this script. Tags arrive offloaded (the
packet socket's PACKET_AUXDATA) or in the frame; replies carry theirs in the
frame, which the trunk's receive path takes out again.
"""
import socket
import struct
import sys

ETH_P_ALL = 3
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 1 << 4


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def tag_of(data, anc):
    """(vid, untagged frame), or (None, frame) for an untagged one."""
    for lvl, typ, d in anc:
        if lvl == SOL_PACKET and typ == PACKET_AUXDATA and len(d) >= 20:
            status, _, _, _, _, tci, _ = struct.unpack("IIIHHHH", d[:20])
            if status & TP_STATUS_VLAN_VALID:
                return tci & 0xfff, data
    if data[12:14] == b"\x81\x00":
        return struct.unpack("!H", data[14:16])[0] & 0xfff, data[:12] + data[16:]
    return None, data


def reply(s, vid, dst, src, ethertype, payload):
    s.send(dst + src + struct.pack("!HHH", 0x8100, vid, ethertype) + payload)


def main():
    hosts = {}
    for a in sys.argv[2:]:
        vid, ip, mac = a.split("=")
        hosts[(int(vid), socket.inet_aton(ip))] = bytes.fromhex(mac.replace(":", ""))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((sys.argv[1], ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    print("ready", flush=True)
    while True:
        data, anc, _, addr = s.recvmsg(65536, socket.CMSG_SPACE(64))
        if addr[2] == socket.PACKET_OUTGOING or len(data) < 42:
            continue
        vid, f = tag_of(data, anc)
        if vid is None:
            continue
        proto = struct.unpack("!H", f[12:14])[0]
        if proto == 0x0806 and f[20:22] == b"\0\1":
            mac = hosts.get((vid, f[38:42]))
            if mac:
                sha, spa, tpa = f[22:28], f[28:32], f[38:42]
                arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + mac + tpa + sha + spa
                reply(s, vid, sha, mac, 0x0806, arp)
        elif proto == 0x0800 and f[23] == 1:
            ihl = (f[14] & 15) * 4
            ip = f[14:14 + struct.unpack("!H", f[16:18])[0]]
            mac = hosts.get((vid, ip[16:20]))
            if not mac or f[0:6] != mac or ip[ihl] != 8:
                continue
            icmp = bytearray(ip[ihl:])
            icmp[0] = 0
            icmp[2:4] = b"\0\0"
            icmp[2:4] = struct.pack("!H", csum(bytes(icmp)))
            hdr = bytearray(ip[:ihl])
            hdr[12:16], hdr[16:20] = ip[16:20], ip[12:16]
            reply(s, vid, f[6:12], mac, 0x0800, bytes(hdr) + bytes(icmp))


if __name__ == "__main__":
    main()
