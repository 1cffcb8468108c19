#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn bench/run.sh's raw points (JSON lines) into bench/results/latest.{json,md,svg}.

usage: report.py POINTS.jsonl OUTDIR QUICK DURATION_S
"""
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

pts_file, outdir, quick, duration = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4])


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    try:
        others = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        others = [l.split()[0] for l in others.splitlines() if l and not l.startswith("xvb-")]
    except OSError:
        others = []
    try:
        bpf_stats = open("/proc/sys/kernel/bpf_stats_enabled").read().strip() == "1"
    except OSError:
        bpf_stats = False
    return {
        "bpf_stats_enabled": bpf_stats,
        "cpu": model,
        "cpus": os.cpu_count(),
        "memory_gib": round(mem_kb / 1048576, 1),
        "kernel": platform.release(),
        "loadavg": open("/proc/loadavg").read().split()[:3],
        "other_netns_at_end": len(others),
    }


M = machine()
raw = [json.loads(l) for l in open(pts_file) if l.strip()]
points = []
index = {}
for r in raw:
    key = (r["kind"], r["shape"])
    if key not in index:
        index[key] = {"kind": r["kind"], "shape": r["shape"], "unit": r["unit"], "systems": {}}
        points.append(index[key])
    v = r["runs"]
    index[key]["systems"][r["system"]] = {
        "runs": v,
        "median": statistics.median(v),
        "min": min(v),
        "max": max(v),
    }
chart_no = 0
for p in points:
    s = p["systems"]
    p["ratio"] = None
    if "xvtep" in s and "kernel" in s and s["kernel"]["median"]:
        p["ratio"] = s["xvtep"]["median"] / s["kernel"]["median"]
        xs, ks = s["xvtep"]["runs"], s["kernel"]["runs"]
        if len(xs) == len(ks):
            p["ratio_per_run"] = [x / k if k else None for x, k in zip(xs, ks)]
        chart_no += 1
        p["chart"] = chart_no
    # mirror points: the same xvtep point with and without the session (the
    # copy floor: the harness's bare program with and without a copy)
    # encap floor: a bare TC redirect against the kernel's encap, interleaved
    if p["kind"] == "encap-floor" and s.get("kernel", {}).get("median"):
        p["floor_ratio"] = s["harness"]["median"] / s["kernel"]["median"]
    # fallback points: xvtep with a feature turned off (xvtep) against the same
    # instance with it (full), both against the kernel, interleaved
    if "xvtep" in s and "full" in s and s["full"]["median"]:
        p["vs_full"] = s["xvtep"]["median"] / s["full"]["median"]
        if s.get("kernel", {}).get("median"):
            p["full_ratio"] = s["full"]["median"] / s["kernel"]["median"]
    # IPv6-underlay points (decap6, encap6, and the IPv4 beside them): the
    # floor is the same path with no VTEP (bench/run.sh v6_floor)
    if "floor" in s and s.get("kernel", {}).get("median"):
        p["floor_ratio"] = s["floor"]["median"] / s["kernel"]["median"]
        if s["floor"]["median"] and "xvtep" in s:
            p["vs_floor"] = s["xvtep"]["median"] / s["floor"]["median"]
    num = s.get("xvtep") or s.get("harness")
    if num and "baseline" in s and s["baseline"]["median"]:
        p["vs_baseline"] = num["median"] / s["baseline"]["median"]
    p["kernel_version"] = M["kernel"]
    p["machine"] = "%s, %d CPUs, %s GiB" % (M["cpu"], M["cpus"], M["memory_gib"])

# The generator (bench/run.sh gen_choose) and its ceilings: the harness alone
# into a sink, per generator and frame size. A rate within BOUND of the used
# generator's ceiling at its frame size measured the generator, not the
# dataplane: flagged, never read as the dataplane's speed.
GEN = os.environ.get("XVB_GEN", "not recorded")
BOUND = 0.9
GEN_TEXT = {
    "live": "XDP program run with BPF_PROG_TEST_RUN + BPF_F_TEST_XDP_LIVE_FRAMES, "
            "bpf_redirect into a veth (frames arrive as xdp_frames); inner destination MAC "
            "rewritten per packet; one test run per measurement, ended by a signal (each test "
            "run re-registers the program in the kernel's XDP dispatcher, which cost ~80% of "
            "the harness rate at 32768 frames per run)",
    "clone": "TC program run with BPF_PROG_TEST_RUN (no live frames: this kernel refuses "
             "them, or BENCH_GEN=clone), one bpf_clone_redirect of the test run's skb to a "
             "veth's egress per repeat (frames arrive as cloned skbs, which a veth copies "
             "before its XDP runs); inner destination MAC rewritten per packet; one test run "
             "per measurement, ended by a signal",
}
ceilings = {}	# (generator, frame size) -> median pps
for p in points:
    m = re.match(r"(\d+)B .*generator (\w+) ", p["shape"])
    if p["kind"] == "ceiling" and m:
        ceilings[(m.group(2), int(m.group(1)))] = p["systems"]["harness"]["median"]


def gen_ceiling(p):
    """The used generator's ceiling at P's frame size, or None."""
    m = re.match(r"(\d+)B ", p["shape"])
    if p["unit"] != "pps" or p["kind"] in ("ceiling", "mirror-copies", "fallback-copies") or not m:
        return None
    return ceilings.get((GEN, int(m.group(1))))


for p in points:
    c = gen_ceiling(p)
    if c:
        p["generator_ceiling"] = c
        p["generator_bound"] = sorted(n for n, d in p["systems"].items()
                                      if d["median"] >= BOUND * c)


BRNF = "br_netfilter on"
APP = "UDP application"	# stack points with a socket on the frames' port


def find(kind, *words):
    """The first point of KIND whose shape has all WORDS; points taken against
    the as-booted kernel bridge (br_netfilter on) or with an application on
    the receiver's port only when asked for."""
    for p in points:
        if p["kind"] == kind and all(w in p["shape"] for w in words) and \
                all(x not in p["shape"] or x in words for x in (BRNF, APP)):
            return p
    return None


goals = []


def goal(name, p, want, how="ratio", op=">="):
    if p is None:
        goals.append({"goal": name, "status": "not measured", "measured": None})
        return
    if how == "ratio":
        got = p["ratio"]
        ok = got is not None and got >= want
        txt = ratio_text(p)
    else:
        got = how(p)
        ok = got <= want if op == "<=" else got < want
        txt = "%.3g" % got
    if p.get("generator_bound"):
        txt += "; %s generator-bound (within %d%% of the %s generator's ceiling, %s pps): " \
               "the dataplane may be faster" % (" and ".join(p["generator_bound"]),
                                                round(100 * (1 - BOUND)), GEN,
                                                fmt(p["generator_ceiling"], "pps"))
    goals.append({"goal": name, "status": "met" if ok else "missed", "measured": txt,
                  "point": p["kind"] + ": " + p["shape"]})


def fmt(v, unit):
    if unit in ("pps", "datagrams"):
        return "%.3f M" % (v / 1e6)
    return "%.4g" % v


def ratio_text(p):
    return "%.2fx (xvtep %s / kernel %s %s)" % (
        p["ratio"], fmt(p["systems"]["xvtep"]["median"], p["unit"]),
        fmt(p["systems"]["kernel"]["median"], p["unit"]), p["unit"])


def info(name, p):
    """A point shown next to the goals for comparison, not judged."""
    if p and p["ratio"] is not None:
        goals.append({"goal": "for comparison: " + name, "status": "info",
                      "measured": ratio_text(p), "point": p["shape"]})


goal("decap 64 B, 1 MAC >= 5x", find("decap", "64B", "FDB 1 MACs", "XDP-drop"), 5)
goal("decap 100k MACs >= 4x", find("decap", "64B", "FDB 100000 MACs", "XDP-drop"), 4)
goal("decap into stack >= 2x", find("decap", "64B", "FDB 1 MACs", "stack"), 2)
goal("encap 64 B >= 3x", find("encap", "64B", "FDB 1 MACs", "XDP-drop"), 3)
ef = find("encap-floor", "bare TC program", "no encapsulation")
if ef and goals[-1]["measured"]:
    goals[-1]["measured"] += ("; floor, a bare TC redirect with no encapsulation: %.2fx the "
                              "kernel's encap" % ef["floor_ratio"])
    ef = find("encap-floor", "bare TC program", "grown by 50 bytes")
    if ef:
        goals[-1]["measured"] += (", the same grown by the encapsulation's 50 bytes "
                                  "(bpf_skb_adjust_room): %.2fx" % ef["floor_ratio"])
goal("encap 64 B >= 3x with the opt-in port encap xdp (the VM's TSO is off)",
     find("encap-xdp", "64B", "FDB 1 MACs", "XDP-drop"), 3)
tcp1 = find("tcp", "TCP 1 stream")
goal("TCP single stream >= 1.1x", tcp1, 1.1)
if tcp1 and tcp1.get("ratio_per_run"):
    worst = min(tcp1["ratio_per_run"])
    goals.append({"goal": "TCP single stream never below 1.0x (every interleaved run pair)",
                  "status": "met" if worst >= 1.0 else "missed",
                  "measured": "worst run pair %.2fx" % worst, "point": tcp1["shape"]})


def lookup_floor_text(p):
    """The floor under the cost goal: one FDB hash lookup at the same size."""
    if not p:
        return ""
    return "; one FDB hash lookup alone (cost_lookup - control), the floor at this size: %.1f ns" % (
        p["systems"]["xvtep"]["median"])


for p in points:
    if p["kind"] == "cost-net":
        med = p["systems"]["xvtep"]["median"]
        goals.append({"goal": "decap+learn+lookup <= 50 ns/pkt above baseline (%s)" %
                      p["shape"].split(", ")[-1],
                      "status": "met" if med <= 50 else "missed",
                      "measured": "%.1f ns (decap - control); %.1f ns above the empty program%s" %
                      (med, find("cost-vs-empty", p["shape"])["systems"]["xvtep"]["median"],
                       lookup_floor_text(find("cost-lookup", p["shape"]))),
                      "point": p["shape"]})
for p in points:
    if p["kind"] == "mirror-tcp" and "vs_baseline" in p:
        loss = 1 - p["vs_baseline"]
        goals.append({"goal": "mirroring: TCP throughput loss <= 10%% with one ERSPAN session (%s)" %
                      ("collector path takes GSO" if "takes GSO" in p["shape"]
                       else "collector path without GSO: the kernel segments each copy"),
                      "status": "met" if loss <= 0.10 else "missed",
                      "measured": "%.1f%% (%.2f vs %.2f Gbit/s)" % (
                          100 * loss, p["systems"]["xvtep"]["median"],
                          p["systems"]["baseline"]["median"]), "point": p["shape"]})
    if p["kind"] == "mirror-rate" and "vs_baseline" in p:
        loss = 1 - p["vs_baseline"]
        tc = "--decap tc" in p["shape"]
        floor = find("copy-floor", "TC program" if tc else "XDP program")
        goals.append({"goal": "mirroring: 64-byte rate loss <= 50%% per copy (%s, %s)" % (
                      p["shape"].split("one ")[1].split(" session")[0],
                      "TC decap both ways: the copy's own cost" if tc
                      else "XDP fast path both ways: the copy made by XDP"),
                      "status": "met" if loss <= 0.50 else "missed",
                      "measured": "%.1f%% (%s vs %s pps)%s" % (
                          100 * loss, fmt(p["systems"]["xvtep"]["median"], "pps"),
                          fmt(p["systems"]["baseline"]["median"], "pps"),
                          "; floor, a bare %s copy with no VTEP: %.1f%%" % (
                              "TC" if tc else "XDP", 100 * (1 - floor["vs_baseline"]))
                          if floor and "vs_baseline" in floor else ""), "point": p["shape"]})
# Into the stack with an application reading the port: the receiver then
# enqueues to a socket instead of answering ICMP; shown, not judged (the goal's
# point stays the socketless one it has always been).
for how in ("blocking", "busy-polling"):
    info("decap into stack, the receiver running a %s UDP application on the port" % how,
         find("decap", "64B", "FDB 1 MACs", "stack", APP, how))
    info("datagrams that %s application read (what its full socket buffer dropped "
         "excluded)" % how, find("app-read", "64B", APP, how))
# The same goals against the kernel bridge as booted (netfilter hooks on):
# shown for comparison, not judged (the kernel's fastest set-up is the bar).
for name, p in (("decap 64 B, 1 MAC", find("decap", "64B", "FDB 1 MACs", "XDP-drop", BRNF)),
                ("decap into stack", find("decap", "64B", "FDB 1 MACs", "stack", BRNF)),
                ("encap 64 B", find("encap", "64B", "FDB 1 MACs", "XDP-drop", BRNF)),
                ("TCP single stream", find("tcp", "TCP 1 stream", BRNF))):
    info("%s against the kernel bridge as booted (bridge-nf-call-*=1)" % name, p)


def v6_info(kind, what):
    """The IPv6 underlay beside the IPv4 one and the floor: shown, not judged."""
    p, p4 = find(kind, "IPv6 underlay"), find(kind + "-v4", "IPv4 underlay")
    if not p or p["ratio"] is None:
        return
    txt = ratio_text(p)
    if "floor_ratio" in p:
        txt += "; floor, no VTEP: %s pps = %.2fx the kernel's, xvtep at %.0f%% of it" % (
            fmt(p["systems"]["floor"]["median"], "pps"), p["floor_ratio"], 100 * p["vs_floor"])
    kc = p["systems"].get("kernel-csum")
    if kc and kc["median"]:
        txt += "; the kernel's default device (UDP checksums on%s): %s pps, xvtep %.2fx of it" % (
            ", fed checksummed frames" if kind == "decap6" else "", fmt(kc["median"], "pps"),
            p["systems"]["xvtep"]["median"] / kc["median"])
    if p4 and p4["ratio"] is not None:
        txt += "; IPv4 underlay in the same runs: %s" % ratio_text(p4)
        if "floor_ratio" in p4:
            txt += ", floor %.2fx" % p4["floor_ratio"]
    goals.append({"goal": "IPv6 underlay (not a goal): %s; kernel vxlan with an IPv6 local, "
                  "zero UDP checksums both ways (udp6zerocsumrx/tx: the bytes xvtep sends)" % what,
                  "status": "info", "measured": txt, "point": p["shape"]})


v6_info("decap6", "decap 64 B, 1 MAC")
v6_info("encap6", "encap 64 B, 1 MAC")
goal("EVPN: 10,000 MACs from bridge -batch to the last in xvtep's map <= the kernel's + 20%",
     find("evpn", "10000 MACs"), 1.2, how=lambda p: p["ratio"], op="<=")
if goals[-1]["measured"] and goals[-1]["status"] != "not measured":
    goals[-1]["measured"] = ratio_text(find("evpn", "10000 MACs"))
cp = find("cp-add", "xvtepctl")
if cp:
    n = int(cp["shape"].split(", ")[1].split()[0])
    t = cp["systems"]["xvtep"]["median"]
    t100k = t * 100000 / n
    goals.append({"goal": "100,000 FDB entries added in < 1 s (xvtepctl -batch)",
                  "status": "met" if t100k < 1 else "missed",
                  "measured": "%.1f s for %d entries%s (%.2f ms per entry)" % (
                      t100k, 100000, "" if n == 100000 else " (extrapolated from %d)" % n,
                      1000 * t / n),
                  "point": cp["shape"]})



def fallback_entry(p):
    """One row of the Fallbacks table: a fallback's shape is "SITUATION,
    fallback: NAME, full: NAME" (bench/run.sh fallback_point)."""
    rest, full = (p["shape"].rsplit(", full: ", 1) + ["?"])[:2]
    point, fb = (rest.rsplit(", fallback: ", 1) + ["?"])[:2]
    s = p["systems"]

    def rate(name):
        d = s.get(name)
        return None if d is None else {k: d[k] for k in ("median", "min", "max", "runs")}
    return {
        "point": point,
        "unit": p["unit"],
        "fallback": dict(name=fb, **(rate("xvtep") or {})),
        "full": dict(name=full, **(rate("full") or {})),
        "kernel": rate("kernel"),
        "fallback_vs_full": p.get("vs_full"),
        "fallback_vs_kernel": p.get("ratio"),
        "full_vs_kernel": p.get("full_ratio"),
        "generator_bound": p.get("generator_bound", []),
    }


fallbacks = [fallback_entry(p) for p in points if p["kind"] == "fallback"]

result = {
    "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    "quick": quick,
    "duration_s": duration,
    "kernel_version": M["kernel"],
    "machine": M,
    "generator": {
        "used": GEN,
        "chosen": os.environ.get("XVB_GEN_WHY", "not recorded"),
        "ceilings": [{"generator": g, "frame": "%dB inner (VXLAN frame)" % n, "pps": v}
                     for (g, n), v in sorted(ceilings.items())],
        "bound_at": BOUND,
    },
    "method": {
        "generator": "%s: %s" % (GEN, GEN_TEXT[GEN]) if GEN in GEN_TEXT else GEN,
        "generator_bound": "a point whose median is at least %d%% of the used generator's "
                           "ceiling at its frame size (the ceiling point: the harness alone into "
                           "an XDP-drop sink) is flagged generator-bound: it measured the "
                           "generator, the dataplane may be faster" % (100 * BOUND),
        "counting": "at the receiver only: XDP sink per-CPU counter (drop sink), or (stack) the UDP MIB "
                    "InDatagrams+NoPorts+InErrors of the receiving namespace, with a TC ingress "
                    "program there marking frames PACKET_HOST so any FDB MAC reaches IP/UDP; no "
                    "socket on the frames' port (each answered by a rate-limited ICMP port "
                    "unreachable) unless the shape names a UDP application: bench/xvb udp-rx "
                    "reading the port on CPU 0 (datagrams it could not queue count as InErrors)",
        "generator_cpu": "generator pinned to the last CPU; the veth NAPI work it triggers runs on "
                         "the same CPU, so rates are one-core pipeline rates including the generator "
                         "(see the ceiling point)",
        "runs": "interleaved xvtep/kernel, median/min/max over runs",
        "mirror": "mirror-* points: xvtep with one session against xvtep without it, interleaved run by run; "
                  "copy-floor points: the same harness frames forwarded by a bare program with and "
                  "without one copy each (no VTEP), the least a copy costs on this path and machine; "
                  "encap-floor: a bare TC redirect of the encap frames with no encapsulation, "
                  "and the same with the frames grown by 50 bytes as xvtep's TC encap grows "
                  "them (no headers written), interleaved with the kernel's encap: the most a "
                  "TC encap can reach",
        "kernel": "vxlan device enslaved to a bridge with the same FDB contents; the bridges "
                  "call no netfilter hooks (bridge-nf-call-*=0: no bridge firewall), unless a "
                  "point's shape says br_netfilter on (this kernel's default, br_netfilter "
                  "being built in)" + (
                      "; this run: XVB_KERNEL_BRNF=1, every point against bridges with "
                      "br_netfilter on" if os.environ.get("XVB_KERNEL_BRNF") == "1" else ""),
        "ratio": "median(xvtep) / median(kernel)",
        "ipv6": "decap6/encap6 points: the IPv6 underlay (2001:db8::2 <-> 2001:db8::1, "
                "outer UDP checksum zero: RFC 6935, what xvtep sends) against the kernel's "
                "vxlan with an IPv6 local and udp6zerocsumrx/udp6zerocsumtx in the same bridge "
                "(it then takes and sends the same bytes; by default it sends checksums and "
                "refuses zero ones), interleaved with the IPv4 underlay on the same systems "
                "(decap6-v4/encap6-v4) and each one's floor, the same path with no VTEP: "
                "decap, the generator's frames into an XDP-drop sink on the uplink; encap, "
                "a bare TC program growing each frame by 70 (IPv4: 50) bytes and redirecting it",
        "fallback": "fallback points: one xvtep instance re-attached run by run with an "
                    "optional kernel feature turned off (XVTEP_FEATURES_OFF; tcx <-> clsact "
                    "through detach --keep-maps) or a decap mode, and with it (full), "
                    "interleaved with the kernel's vxlan + bridge (full, kernel, fallback; "
                    "the next run reversed); restored to every feature afterwards",
        "cost": "non-live BPF_PROG_TEST_RUN, repeat 1e6, best of 5 per run; cost_decap = "
                "xvtep_xdp_up (its source compiled in as a noinline subprogram, on the live instance's pinned maps) + per-packet MAC rewrite + adjust_head back; "
                "cost_control = same rewrite + adjust_head pair without the decap; "
                "cost_lookup = cost_control + one lookup of the frame's (VNI, MAC) in the same "
                "FDB map, the least any destination lookup in a kernel hash map costs there",
        # how bench/run.sh pinned iperf3 (it decides, from its CPUs)
        "tcp": "iperf3 between two VM namespaces across two VTEPs; " +
               os.environ.get("XVB_IPERF_PIN", "pinning not recorded"),
        "tcp_cpu": "/proc/stat busy jiffies over the iperf3 run, whole machine",
    },
    "points": points,
    "goals": goals,
    "fallbacks": fallbacks,
}
os.makedirs(outdir, exist_ok=True)
with open(os.path.join(outdir, "latest.json"), "w") as f:
    json.dump(result, f, indent=1)

# ---------------------------------------------------------------- markdown
L = []
L.append("# xvtep vs kernel vxlan + bridge%s" % (" (BENCH_QUICK=1)" if quick else ""))
L.append("")
L.append("Kernel %s; %s, %d CPUs, %s GiB; load average at end %s; %d other network "
         "namespaces present at the end (other workloads on this host); run took %d s." % (
             M["kernel"], M["cpu"], M["cpus"], M["memory_gib"], " ".join(M["loadavg"]),
             M["other_netns_at_end"], duration))
if M["bpf_stats_enabled"]:
    L.append("")
    L.append("**kernel.bpf_stats_enabled was 1** (set by another tool): every BPF program "
             "run also paid for run-time accounting, which inflates the absolute cost-* "
             "figures (cost-empty included) and lowers every XDP rate; the cost differences "
             "(cost-net, cost-vs-empty) are affected least.")
L.append("")
L.append("Generator: **%s** (%s). Its ceiling, the harness alone into an XDP-drop sink: %s. "
         "A point whose median is at least %d%% of the used generator's ceiling is marked "
         "**generator-bound**: it measured the generator, not the dataplane." % (
             GEN, result["generator"]["chosen"],
             "; ".join("%s %s %s pps" % (c["generator"], c["frame"], fmt(c["pps"], "pps"))
                       for c in result["generator"]["ceilings"]) or "not measured",
             100 * BOUND))
L.append("")
GNUPLOT = shutil.which("gnuplot")
L.append("Chart: latest.svg, one bar per ratio, numbered as in the # column (* generator-bound)."
         if GNUPLOT else "Chart: not drawn, gnuplot is not installed (scripts/deps.sh --bench "
         "installs it).")
L.append("")
L.append("| # | kind | shape | unit | xvtep median (min-max) | kernel median (min-max) | runs | "
         "generator ceiling | xvtep/kernel |")
L.append("|---|---|---|---|---|---|---|---|---|")
for p in points:
    s = p["systems"]

    def cell(name):
        if name not in s:
            return "-"
        d = s[name]
        return "%s (%s-%s)%s" % (fmt(d["median"], p["unit"]), fmt(d["min"], p["unit"]),
                                 fmt(d["max"], p["unit"]),
                                 " **generator-bound**" if name in p.get("generator_bound", ())
                                 else "")
    runs = max(len(d["runs"]) for d in s.values())
    L.append("| %s | %s | %s | %s | %s | %s | %d | %s | %s |" % (
        p.get("chart", ""), p["kind"], p["shape"], p["unit"],
        ("fallback: %s; full: %s" % (cell("xvtep"), cell("full")) if "full" in s else cell("xvtep"))
        if "harness" not in s else "harness: " + cell("harness"),
        cell("kernel") + ("; floor (no VTEP): " + cell("floor") if "floor" in s else "") +
        ("; kernel with its default UDP checksums: " + cell("kernel-csum") if "kernel-csum" in s else "")
        if "baseline" not in s else
        "kernel, access port: %s; floor, xvtep's access port: %s" % (cell("kernel"), cell("baseline"))
        if p["kind"] == "trunk-encap" else
        ("no copy (harness): " if p["kind"] == "copy-floor" else "no mirror (xvtep): ") +
        cell("baseline"), runs,
        "%s %s" % (GEN, fmt(p["generator_ceiling"], "pps")) if "generator_ceiling" in p else "-",
        "%.2fx%s%s%s" % (p["ratio"], " (%s generator-bound)" % " and ".join(p["generator_bound"])
                       if p.get("generator_bound") else "",
                       "; full %.2fx; fallback/full %.2fx" % (p["full_ratio"], p["vs_full"])
                       if "full_ratio" in p else "",
                       "; %.2fx of the floor (xvtep's access port)" % p["vs_baseline"]
                       if p["kind"] == "trunk-encap" and "vs_baseline" in p else
                       "; floor %.2fx, xvtep %.0f%% of it" % (p["floor_ratio"], 100 * p["vs_floor"])
                       if "vs_floor" in p else "")
        if p["ratio"] is not None else
        "floor %.2fx" % p["floor_ratio"] if "floor_ratio" in p else
        ("%.2fx of no %s" % (p["vs_baseline"], "copy" if p["kind"] == "copy-floor" else "mirror")
         if "vs_baseline" in p else
         "fallback/full %.2fx" % p["vs_full"] if "vs_full" in p else "-")))
L.append("")
L.append("## Goals")
L.append("")
L.append("| goal | status | measured |")
L.append("|---|---|---|")
for g in goals:
    L.append("| %s | **%s** | %s |" % (g["goal"], g["status"], g["measured"] or "-"))
L.append("")
L.append("## Fallbacks")
L.append("")
if fallbacks:
    L.append("Each fallback xvtep takes where a kernel lacks a feature (docs/kernels.md), "
             "forced on this kernel, against the same instance with the feature (full) and "
             "against the kernel's vxlan + bridge, interleaved in the same run; medians of %d "
             "runs." % max(len(f["fallback"].get("runs", [])) for f in fallbacks))
    L.append("")
    L.append("| point | fallback | fallback median | full features | full median | "
             "fallback/full | fallback/kernel | full/kernel | kernel median |")
    L.append("|---|---|---|---|---|---|---|---|---|")

    def med(d, unit):
        return fmt(d["median"], unit) + " " + unit if d and "median" in d else "-"

    def x(v):
        return "%.2fx" % v if v is not None else "-"
    for f in fallbacks:
        gb = " (%s generator-bound)" % " and ".join(f["generator_bound"]) if f["generator_bound"] else ""
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            f["point"], f["fallback"]["name"], med(f["fallback"], f["unit"]), f["full"]["name"],
            med(f["full"], f["unit"]), x(f["fallback_vs_full"]), x(f["fallback_vs_kernel"]),
            x(f["full_vs_kernel"]), med(f["kernel"], f["unit"]) + gb))
else:
    L.append("Not measured in this run (BENCH_ONLY without fallback).")
L.append("")
L.append("Method: %s" % "; ".join("%s: %s" % kv for kv in result["method"].items()))
with open(os.path.join(outdir, "latest.md"), "w") as f:
    f.write("\n".join(L) + "\n")

# ---------------------------------------------------------------- chart
svg = os.path.join(outdir, "latest.svg")
if not GNUPLOT:
    for old in (svg, os.path.join(outdir, "latest.dat")):	# not this run's
        if os.path.exists(old):
            os.remove(old)
    sys.exit(0)
dat = os.path.join(outdir, "latest.dat")
rows = [p for p in points if p["ratio"] is not None]
with open(dat, "w") as f:
    for p in rows:
        label = "%s %s" % (p["kind"], p["shape"].replace("inner, ", "").replace(
            "into XDP-drop sink", "drop").replace("into the receiver's stack", "stack")
            .replace(", a UDP application reading the port (blocking recvmmsg, other CPU)",
                     " + blocking app")
            .replace(", a UDP application busy-polling the port (non-blocking recvmmsg, other CPU)",
                     " + polling app")
            .replace("FDB ", "").split(", iperf3")[0])
        lo = p["systems"]["xvtep"]["min"] / p["systems"]["kernel"]["max"]
        hi = p["systems"]["xvtep"]["max"] / p["systems"]["kernel"]["min"]
        if p["kind"].startswith("cp-"):
            lo, hi = hi, lo
        label = str(p["chart"]) + ("*" if p.get("generator_bound") else "")
        f.write('"%s" %.4f %.4f %.4f\n' % (label.replace('"', "'"), p["ratio"], min(lo, hi),
                                          max(lo, hi)))
gp = """set terminal svg size 1400,800 dynamic font "sans,11"
set output "%s"
set title "xvtep / kernel vxlan+bridge (median ratio; whiskers: worst..best run pairing)%s\\nkernel %s, %d CPUs, generator %s (* generator-bound)"
set style data histograms
set style fill solid 0.7 border -1
set boxwidth 0.7
set ylabel "ratio xvtep / kernel (> 1: xvtep better, except cp-* times)"
set logscale y 2
set yrange [0.1:16]
set grid ytics
set xtics font ",9"
set xlabel "point # (see the # column of latest.md)"
set key off
plot "%s" using 0:2:xtic(1) with boxes lc rgb "#3a7bd5", \\
     "" using 0:2:3:4 with yerrorbars lc rgb "black" pt 0, \\
     "" using 0:2:(sprintf("%%.2f", $2)) with labels offset 0,0.8 font ",9", \\
     1 with lines lc rgb "red" dt 2
""" % (svg, " - QUICK" if quick else "", M["kernel"], M["cpus"], GEN, dat)
subprocess.run([GNUPLOT], input=gp, text=True, check=True)
