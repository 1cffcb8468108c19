#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Decode mirror captures for tests/integration/mirror.sh (scapy).

  mirror_pcap.py count FILE
      "REQ REP OTHER": ICMP echo requests / replies among the frames of FILE,
      looking through an 802.1Q tag, VXLAN and ERSPAN; OTHER = everything else.
  mirror_pcap.py same REF COPIES [--strip-vlan VID] [--trunc N]
      Every ICMP copy in COPIES (inner frame for ERSPAN, untagged for RSPAN)
      equals, byte for byte, a frame of REF (or its first N bytes); the copies
      are as many as the ICMP frames of REF. Prints "ok N" or the first mismatch.
  mirror_pcap.py erspan FILE [REF]
      JSON summary of the ERSPAN copies of ICMP frames: types, fields, GRE
      sequence, inner frames (matched against REF when given).
"""
import json
import sys

from scapy.all import load_contrib, rdpcap, Ether, Dot1Q, ICMP, GRE, Raw
from scapy.layers.vxlan import VXLAN

load_contrib("erspan")
from scapy.contrib.erspan import ERSPAN_II, ERSPAN_III  # noqa: E402


def inner_frame(pkt):
    """The mirrored frame carried by PKT: ERSPAN payload, else PKT itself."""
    for layer in (ERSPAN_III, ERSPAN_II):
        if pkt.haslayer(layer):
            return bytes(pkt[layer].payload)
    return bytes(pkt)


def icmp_type(frame):
    """8 / 0 for echo request / reply anywhere in FRAME (VLAN, VXLAN), else None."""
    p = Ether(frame)
    if p.haslayer(VXLAN):
        p = p[VXLAN].payload
    if p.haslayer(ICMP):
        return p[ICMP].type
    return None


def count(path):
    req = rep = other = 0
    for pkt in rdpcap(path):
        t = icmp_type(inner_frame(pkt))
        if t == 8:
            req += 1
        elif t == 0:
            rep += 1
        else:
            other += 1
    print(req, rep, other)


def strip_vlan(frame, vid):
    """FRAME without its outer 802.1Q tag, which must carry VID."""
    if frame[12:14] != b"\x81\x00":
        raise ValueError("copy without an 802.1Q tag")
    got = int.from_bytes(frame[14:16], "big") & 0xfff
    if got != vid:
        raise ValueError("VLAN %d, want %d" % (got, vid))
    return frame[:12] + frame[16:]


def same(ref_path, copies_path, vid=None, trunc=None):
    refs = [bytes(p) for p in rdpcap(ref_path) if icmp_type(bytes(p)) is not None]
    pool = list(refs)
    n = 0
    for pkt in rdpcap(copies_path):
        frame = inner_frame(pkt)
        try:
            if vid is not None:
                frame = strip_vlan(frame, vid)
        except ValueError as e:
            print("copy %d: %s" % (n + 1, e))
            return 1
        if icmp_type(frame) is None:
            continue  # ARP and such: not compared
        want = [r for r in pool if (r[:trunc] if trunc else r) == frame]
        if not want:
            print("copy %d (%d bytes) matches no reference frame (%d refs, first %s)"
                  % (n + 1, len(frame), len(refs), frame[:42].hex()))
            return 1
        pool.remove(want[0])
        n += 1
    if n != len(refs):
        print("%d copies for %d reference frames" % (n, len(refs)))
        return 1
    print("ok", n)
    return 0


def erspan(path, ref_path=None):
    refs = [bytes(p) for p in rdpcap(ref_path)] if ref_path else None
    out = {"count": 0, "types": [], "session": [], "index": [], "hwid": [], "t": [],
           "gre_seq": [], "inner_len": [], "dir_by_icmp": {}, "inner_match": None,
           "en": [], "ft": [], "other": 0}
    matched = 0
    for pkt in rdpcap(path):
        if not pkt.haslayer(GRE) or not (pkt.haslayer(ERSPAN_II) or pkt.haslayer(ERSPAN_III)):
            continue
        gre = pkt[GRE]
        # Every copy takes a sequence number, whatever it carries.
        out["gre_seq"].append(gre.sequence_number if gre.seqnum_present else None)
        # The rest: only the pings' copies (an ARP refresh may be mirrored meanwhile).
        if icmp_type(inner_frame(pkt)) is None:
            out["other"] += 1
            continue
        if pkt.haslayer(ERSPAN_III):
            e = pkt[ERSPAN_III]
            kind = "III"
            out["hwid"].append(e.hw)
            out["ft"].append(e.ft)
            t = icmp_type(bytes(e.payload))
            if t is not None:
                out["dir_by_icmp"].setdefault(str(t), [])
                if e.d not in out["dir_by_icmp"][str(t)]:
                    out["dir_by_icmp"][str(t)].append(e.d)
        else:
            e = pkt[ERSPAN_II]
            kind = "II"
            out["index"].append(e.index)
            out["en"].append(e.en)
        out["count"] += 1
        out["types"].append(kind)
        out["session"].append(e.session_id)
        out["t"].append(e.t)
        inner = bytes(e.payload)
        out["inner_len"].append(len(inner))
        if refs is not None and any(r == inner or (e.t and r[:len(inner)] == inner)
                                    for r in refs):
            matched += 1
    for k in ("types", "session", "index", "hwid", "t", "inner_len", "en", "ft"):
        out[k] = sorted(set(out[k]))
    # No gap, no repeat (sorted: copies from two CPUs may swap places on the wire).
    seq = sorted(out["gre_seq"]) if None not in out["gre_seq"] else out["gre_seq"]
    out["seq_consecutive"] = bool(seq) and None not in seq and \
        all(b == (a + 1) & 0xffffffff for a, b in zip(seq, seq[1:]))
    out["seq_first"] = seq[0] if seq else None
    del out["gre_seq"]
    if refs is not None:
        out["inner_match"] = matched == out["count"]
        out["inner_matched"] = matched
    print(json.dumps(out, sort_keys=True))


def main(argv):
    if len(argv) >= 2 and argv[0] == "count":
        count(argv[1])
        return 0
    if len(argv) >= 3 and argv[0] == "same":
        vid = trunc = None
        rest = argv[3:]
        while rest:
            if rest[0] == "--strip-vlan":
                vid = int(rest[1])
            elif rest[0] == "--trunc":
                trunc = int(rest[1])
            else:
                break
            rest = rest[2:]
        return same(argv[1], argv[2], vid, trunc)
    if len(argv) >= 2 and argv[0] == "erspan":
        erspan(argv[1], argv[2] if len(argv) > 2 else None)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
