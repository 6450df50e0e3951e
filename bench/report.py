#!/usr/bin/python3
"""Turn the raw output of one bench/run.sh run into Markdown tables.

usage: bench/report.py RESULTS_DIR

RESULTS_DIR holds <label>.r<round>.txt files whose RESULT lines were printed
by bench/edgecnn, bench/xnnpack/xnnbench and bench/torch/torchbench.py:

    RESULT <engine> <dtype> <case> <batch> <median seconds> <MACs> <samples>

The label (edgecnn, edgecnn-avx2, xnnpack, xnnpack-avx2, torch, ...) names the
engine and its variant. Every program times a case as the median of many
samples; run.sh runs the programs in alternating rounds, and this report keeps,
per case, the best (lowest) of the round medians: on a shared machine that is
the round least disturbed by other work. Ratios are edgecnn's time over the
other engine's, so below 1 means edgecnn is faster.
"""

import glob
import json
import os
import re
import statistics
import sys


def load(outdir):
    best, rounds, paths = {}, {}, {}
    for f in sorted(glob.glob(os.path.join(outdir, "*.r*.txt"))):
        m = re.match(r"(.+)\.r(\d+)\.txt$", os.path.basename(f))
        if not m:
            continue
        label = m.group(1)
        for line in open(f):
            parts = line.rstrip("\n").split("\t")
            if parts[0] == "PATH" and len(parts) >= 3:
                paths[label] = parts[2]
            if parts[0] != "RESULT" or len(parts) < 8:
                continue
            _, _, dtype, case, batch, sec, macs, samples = parts[:8]
            key = (label, dtype, case, int(batch))
            rounds.setdefault(key, []).append(float(sec))
            prev = best.get(key)
            if prev is None or float(sec) < prev[0]:
                best[key] = (float(sec), int(macs), int(samples))
    return best, rounds, paths


def fmt_time(sec):
    if sec is None:
        return "–"
    if sec < 1e-3:
        return f"{sec * 1e6:.1f} µs"
    if sec < 1:
        return f"{sec * 1e3:.2f} ms"
    return f"{sec:.2f} s"


def fmt_ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}"


def gmacs(entry):
    if entry is None or entry[1] == 0:
        return None
    return entry[1] / entry[0] / 1e9


def main():
    outdir = sys.argv[1]
    best, rounds, paths = load(outdir)

    def get(label, dtype, case, batch=1):
        return best.get((label, dtype, case, batch))

    def sec(label, dtype, case, batch=1):
        e = get(label, dtype, case, batch)
        return e[0] if e else None

    nrounds = max((len(v) for v in rounds.values()), default=0)
    out = []
    w = out.append
    machine = open(os.path.join(outdir, "machine.txt")).read().strip() if os.path.exists(
        os.path.join(outdir, "machine.txt")) else ""
    w("# edgecnn vs XNNPACK vs PyTorch\n")
    w("```\n" + machine + "\n```\n")
    w("Kernel paths that ran: " + ", ".join(f"{k}: `{v}`" for k, v in sorted(paths.items())) + "\n")
    w(f"Each figure is the best of {nrounds} round(s) of medians (see bench/README.md). "
      "Ratios are edgecnn's time / the other engine's time: < 1 means edgecnn is faster.\n")

    has_avx2 = any(k[0] == "edgecnn-avx2" for k in best)
    has_xavx2 = any(k[0] == "xnnpack-avx2" for k in best)

    # GEMM.
    w("## Square GEMM 512×512×512, single thread (GMAC/s)\n")
    w("XNNPACK int8 is its per-channel qc8 operator (a 1×1 convolution); the qs8 column is its per-tensor "
      "fully connected operator. The ratios use the faster of the two.\n")
    w("| dtype | edgecnn | edgecnn avx2 | XNNPACK qc8 | XNNPACK qs8 FC | XNNPACK avx2 qc8 | XNNPACK avx2 qs8 FC | edgecnn / XNNPACK (throughput) | edgecnn avx2 / XNNPACK avx2 |")
    w("|---|---|---|---|---|---|---|---|---|")
    for dtype in ("int8", "f32"):
        e, ea = gmacs(get("edgecnn", dtype, "gemm.512")), gmacs(get("edgecnn-avx2", dtype, "gemm.512"))
        x, xa = gmacs(get("xnnpack", dtype, "gemm.512")), gmacs(get("xnnpack-avx2", dtype, "gemm.512"))
        xq = gmacs(get("xnnpack", "int8-qs8", "gemm.512")) if dtype == "int8" else None
        xaq = gmacs(get("xnnpack-avx2", "int8-qs8", "gemm.512")) if dtype == "int8" else None
        f = lambda v: f"{v:.1f}" if v else "–"
        xb, xab = max(filter(None, [x, xq]), default=None), max(filter(None, [xa, xaq]), default=None)
        w(f"| {dtype} | {f(e)} | {f(ea)} | {f(x)} | {f(xq)} | {f(xa)} | {f(xaq)} | "
          f"{(f'{e / xb:.2f}x' if e and xb else '–')} | {(f'{ea / xab:.2f}x' if ea and xab else '–')} |")
    w("")

    # Whole networks.
    w("## Whole networks (time per batch)\n")
    w("| network | batch | dtype | edgecnn | XNNPACK | PyTorch | edgecnn / XNNPACK | edgecnn / PyTorch |"
      + (" edgecnn avx2 | XNNPACK avx2 | avx2 / avx2 |" if has_avx2 or has_xavx2 else ""))
    w("|---|---|---|---|---|---|---|---|" + ("---|---|---|" if has_avx2 or has_xavx2 else ""))
    for net in ("lenet", "alexnet"):
        for batch in (1, 64):
            for dtype in ("int8", "f32"):
                e, x, t = sec("edgecnn", dtype, net, batch), sec("xnnpack", dtype, net, batch), sec("torch", dtype, net, batch)
                row = (f"| {net} | {batch} | {dtype} | {fmt_time(e)} | {fmt_time(x)} | {fmt_time(t)} | "
                       f"{fmt_ratio(e, x)} | {fmt_ratio(e, t)} |")
                if has_avx2 or has_xavx2:
                    ea, xa = sec("edgecnn-avx2", dtype, net, batch), sec("xnnpack-avx2", dtype, net, batch)
                    row += f" {fmt_time(ea)} | {fmt_time(xa)} | {fmt_ratio(ea, xa)} |"
                w(row)
    other = sorted({k[1] for k in best if k[0] == "torch" and k[1].startswith("int8-")})
    for dtype in other:
        for net in ("lenet", "alexnet"):
            for batch in (1, 64):
                e, t = sec("edgecnn", "int8", net, batch), sec("torch", dtype, net, batch)
                w(f"| {net} | {batch} | int8 vs torch {dtype[5:]} | {fmt_time(e)} | | {fmt_time(t)} | | {fmt_ratio(e, t)} |"
                  + (" | | |" if has_avx2 or has_xavx2 else ""))
    w("")

    # Layers.
    layers = []
    for k in best:
        if k[0] == "edgecnn" and k[3] == 1 and "." in k[2] and not k[2].startswith(("gemm", "lenet.train")):
            if k[2] not in layers:
                layers.append(k[2])
    if layers:
        w("## Every layer, batch 1, single thread\n")
        w("| layer | MACs | edgecnn int8 | XNNPACK int8 | ratio | edgecnn f32 | XNNPACK f32 | ratio |"
          + (" edgecnn avx2 int8 | XNNPACK avx2 int8 | ratio |" if has_avx2 or has_xavx2 else ""))
        w("|---|---|---|---|---|---|---|---|" + ("---|---|---|" if has_avx2 or has_xavx2 else ""))
        for name in layers:
            ent = get("edgecnn", "int8", name)
            macs = ent[1] if ent else 0
            ei, xi = sec("edgecnn", "int8", name), sec("xnnpack", "int8", name)
            ef, xf = sec("edgecnn", "f32", name), sec("xnnpack", "f32", name)
            row = (f"| {name} | {macs if macs else 'pool'} | {fmt_time(ei)} | {fmt_time(xi)} | {fmt_ratio(ei, xi)} | "
                   f"{fmt_time(ef)} | {fmt_time(xf)} | {fmt_ratio(ef, xf)} |")
            if has_avx2 or has_xavx2:
                ea, xa = sec("edgecnn-avx2", "int8", name), sec("xnnpack-avx2", "int8", name)
                row += f" {fmt_time(ea)} | {fmt_time(xa)} | {fmt_ratio(ea, xa)} |"
            w(row)
        w("")

    # Training.
    tr = [k for k in best if "train_epoch" in k[2]]
    if tr:
        w("## LeNet-5 training epoch on MNIST (batch 64, Adam)\n")
        w("| threads | edgecnn | PyTorch | edgecnn / PyTorch |")
        w("|---|---|---|---|")
        for case in sorted({k[2] for k in tr}):
            e, t = sec("edgecnn-train", "f32", case, 64), sec("torch-train", "f32", case, 64)
            w(f"| {case.rsplit('.t', 1)[-1]} | {fmt_time(e)} | {fmt_time(t)} | {fmt_ratio(e, t)} |")
        w("")

    # Done-when figures of issue 4.
    w("## The figures of issue 4 (this run)\n")
    w("| target | measured | met |")
    w("|---|---|---|")

    def check(what, value, ok):
        if value is None:
            w(f"| {what} | not measured | – |")
        else:
            w(f"| {what} | {value} | {'yes' if ok else 'no'} |")

    # XNNPACK's GEMM: the faster of its qc8 (1x1 convolution) and qs8
    # (fully connected) operators.
    def xbest(label):
        v = [g for g in (gmacs(get(label, "int8", "gemm.512")), gmacs(get(label, "int8-qs8", "gemm.512"))) if g]
        return max(v) if v else None

    e, x = gmacs(get("edgecnn", "int8", "gemm.512")), xbest("xnnpack")
    check(f"int8 GEMM 512³, best path (`{paths.get('edgecnn', '?')}`) ≥ 1.5× XNNPACK (its faster of qc8/qs8)",
          f"{e / x:.2f}×" if e and x else None, bool(e and x and e / x >= 1.5))
    ea, xa = gmacs(get("edgecnn-avx2", "int8", "gemm.512")), xbest("xnnpack-avx2")
    check("int8 GEMM 512³, avx2 path ≥ XNNPACK's AVX2 kernels (faster of qc8/qs8)",
          f"{ea / xa:.2f}×" if ea and xa else None, bool(ea and xa and ea / xa >= 1))
    for net, limit in (("lenet", 0.5), ("alexnet", 0.7)):
        e, x = sec("edgecnn", "int8", net, 1), sec("xnnpack", "int8", net, 1)
        check(f"{net} int8 batch 1 ≤ {limit}× XNNPACK's time", f"{e / x:.2f}×" if e and x else None,
              bool(e and x and e / x <= limit))
        e, x = sec("edgecnn", "int8", net, 64), sec("xnnpack", "int8", net, 64)
        check(f"{net} int8 batch 64 throughput ≥ XNNPACK's (time ratio ≤ 1)",
              f"{e / x:.2f}× time" if e and x else None, bool(e and x and e / x <= 1))
    for case in sorted({k[2] for k in tr}):
        e, t = sec("edgecnn-train", "f32", case, 64), sec("torch-train", "f32", case, 64)
        check(f"LeNet-5 epoch on {case.rsplit('.t', 1)[-1]} threads ≤ PyTorch's",
              f"{e / t:.2f}× time" if e and t else None, bool(e and t and e <= t))
    w("")

    # go test -bench.
    gt = os.path.join(outdir, "go-test-bench.txt")
    if os.path.exists(gt):
        vals = {}
        for line in open(gt):
            m = re.match(r"^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+.*?([\d.]+) (GMAC/s|GFLOP/s)", line)
            if m:
                vals.setdefault((m.group(1), m.group(3)), []).append(float(m.group(2)))
        if vals:
            w("## `go test -bench` (kernels, median of -count runs)\n")
            w("| benchmark | median | unit |")
            w("|---|---|---|")
            for (name, unit), v in vals.items():
                w(f"| {name} | {statistics.median(v):.2f} | {unit} |")
            w("")

    cli = os.path.join(outdir, "edgecnn-cli-bench.txt")
    if os.path.exists(cli):
        rows = []
        for line in open(cli):
            line = line.strip()
            if line.startswith("{"):
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    pass
        if rows:
            w("## `edgecnn bench --json`\n")
            w("| model | batch | threads | kernel | ms |")
            w("|---|---|---|---|---|")
            for r in rows:
                w(f"| {r.get('model', '')} | {r.get('batch')} | {r.get('threads')} | {r.get('kernel')} | {r.get('ms')} |")
            w("")

    print("\n".join(out))


if __name__ == "__main__":
    main()
