#!/usr/bin/python3
"""Turn the raw output of one bench/run.sh run into Markdown tables.

usage: bench/report.py [--cpu] RESULTS_DIR

RESULTS_DIR holds <label>.t<threads>.r<round>.txt files (or, from older runs,
<label>.r<round>.txt) whose lines were printed by bench/edgecnn,
bench/xnnpack/xnnbench and bench/torch/torchbench.py:

    RESULT <engine> <dtype> <case> <batch> <median seconds> <MACs> <samples> [<threads> [<median CPU seconds>]]
    LAYER <engine> <dtype> <case> <batch> <threads> <index> <name> <kind> <median seconds> <MACs>

The label (edgecnn, edgecnn-avx2, xnnpack, xnnpack-avx2, torch, ...) names the
engine and its variant. Every program times a case as the median of many
samples; run.sh runs the programs in alternating rounds, and this report keeps,
per case, the best (lowest) of the round medians: on a shared machine that is
the round least disturbed by other work. A per-layer breakdown is that of the
round whose layers add up to the least. Ratios are edgecnn's time over the
other engine's, so below 1 means edgecnn is faster.

With --cpu the figures are the medians of the process's CPU time (user and
system, all threads) instead of wall time: on a machine shared with other
work, a single-threaded case's CPU time is what it would take alone, less
the cache it loses to the others; a multi-threaded case's is the sum over
its threads, a measure of work, not of latency.
"""

import glob
import json
import os
import re
import statistics
import sys

MOBILE = ("mobilenetv1", "mobilenetv2", "resnet18")
KINDS = ("conv", "pwconv", "dwconv", "fc", "add", "maxpool", "avgpool", "act", "other")
KIND_TEXT = {
    "conv": "convolution k×k (dense)", "pwconv": "pointwise 1×1", "dwconv": "depthwise",
    "fc": "fully connected", "add": "residual add", "maxpool": "max pool", "avgpool": "global average pool",
    "act": "activation (not fused)", "other": "other (quantize, flatten, ...)",
}
ENGINES = (("edgecnn", "edgecnn"), ("xnnpack", "XNNPACK"), ("torch", "PyTorch"))


def load(outdir, cpu=False):
    best, rounds, paths, layers = {}, {}, {}, {}
    for f in sorted(glob.glob(os.path.join(outdir, "*.txt"))):
        m = re.match(r"(.+?)(?:\.t(\d+))?\.r(\d+)\.txt$", os.path.basename(f))
        if not m:
            continue
        label, file_threads, rnd = m.group(1), int(m.group(2) or 1), int(m.group(3))
        for line in open(f):
            parts = line.rstrip("\n").split("\t")
            if parts[0] == "PATH" and len(parts) >= 3:
                paths[label] = parts[2]
            elif parts[0] == "RESULT" and len(parts) >= 8:
                _, _, dtype, case, batch, sec, macs, samples = parts[:8]
                threads = int(parts[8]) if len(parts) >= 9 else file_threads
                if cpu:
                    if len(parts) < 10:
                        continue
                    sec = parts[9]
                key = (label, dtype, case, int(batch), threads)
                rounds.setdefault(key, []).append(float(sec))
                prev = best.get(key)
                if prev is None or float(sec) < prev[0]:
                    best[key] = (float(sec), int(macs), int(samples))
            elif parts[0] == "LAYER" and len(parts) >= 11:
                _, _, dtype, case, _batch, threads, idx, name, kind, sec, macs = parts[:11]
                key = (label, dtype, case, int(threads))
                layers.setdefault(key, {}).setdefault(rnd, []).append(
                    (int(idx), name, kind, float(sec), int(macs)))
    return best, rounds, paths, layers


def fmt_time(sec):
    if sec is None:
        return "–"
    if sec < 1e-3:
        return f"{sec * 1e6:.1f} µs"
    if sec < 1:
        return f"{sec * 1e3:.2f} ms"
    return f"{sec:.2f} s"


def fmt_ms(sec):
    return "–" if sec is None else f"{sec * 1e3:.2f}"


def fmt_ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}"


def gmacs(entry):
    if entry is None or entry[1] == 0:
        return None
    return entry[1] / entry[0] / 1e9


def best_layers(layers, label, dtype, case, threads):
    """The per-layer rows of the round whose layers add up to the least."""
    per_round = layers.get((label, dtype, case, threads))
    if not per_round:
        return None
    return min(per_round.values(), key=lambda rows: sum(r[3] for r in rows))


class Report:
    def __init__(self, outdir, cpu=False):
        self.outdir, self.cpu = outdir, cpu
        self.best, self.rounds, self.paths, self.layers = load(outdir, cpu)
        self.out = []
        keys = self.best.keys()
        self.threads = sorted({k[4] for k in keys if k[2] in MOBILE}) or [1]
        self.has_avx2 = any(k[0] in ("edgecnn-avx2", "xnnpack-avx2") for k in keys)

    def w(self, s=""):
        self.out.append(s)

    def get(self, label, dtype, case, batch=1, threads=1):
        return self.best.get((label, dtype, case, batch, threads))

    def sec(self, label, dtype, case, batch=1, threads=1):
        e = self.get(label, dtype, case, batch, threads)
        return e[0] if e else None

    # ------------------------------------------------------------ header

    def header(self):
        path = os.path.join(self.outdir, "machine.txt")
        machine = open(path).read().strip() if os.path.exists(path) else ""
        nrounds = max((len(v) for v in self.rounds.values()), default=0)
        self.w("# edgecnn vs XNNPACK vs PyTorch\n")
        self.w("```\n" + machine + "\n```\n")
        self.w("Kernel paths that ran: " + ", ".join(f"{k}: `{v}`" for k, v in sorted(self.paths.items())) + "\n")
        self.w(f"Each figure is the best of {nrounds} round(s) of medians (see bench/README.md). "
               "Ratios are edgecnn's time / the other engine's time: < 1 means edgecnn is faster.\n")
        if self.cpu:
            self.w("**Times are process CPU time** (user + system, all threads), not wall time: for one thread, "
                   "the time the case took while it ran; for several, the work of all of them. Per-layer "
                   "breakdowns are wall time.\n")

    # ------------------------------------------------------------ issue 12

    def faster_other(self, dtype, case, batch=1, threads=1, xlabel="xnnpack"):
        """The faster of XNNPACK and PyTorch, as (seconds, name)."""
        c = [(self.sec(xlabel, dtype, case, batch, threads), "XNNPACK"),
             (self.sec("torch", dtype, case, batch, threads), "PyTorch")]
        c = [x for x in c if x[0] is not None]
        return min(c) if c else (None, None)

    def check(self, what, value, ok):
        if value is None:
            self.w(f"| {what} | not measured | – |")
        else:
            self.w(f"| {what} | {value} | {'yes' if ok else 'no'} |")

    def issue12(self):
        if not any(k[2] in MOBILE for k in self.best):
            return
        self.w("## The figures of issue 12 (this run; batch 1, one thread)\n")
        self.w("| target | measured | met |")
        self.w("|---|---|---|")
        e = self.sec("edgecnn", "int8", "mobilenetv2")
        o, who = self.faster_other("int8", "mobilenetv2")
        self.check(f"MobileNet v2 int8, path `{self.paths.get('edgecnn', '?')}`: ≤ 0.8× the faster of XNNPACK "
                   "and PyTorch/oneDNN", f"{fmt_time(e)} / {fmt_time(o)} ({who}) = {e / o:.2f}×" if e and o else None,
                   bool(e and o and e / o <= 0.8))
        ea = self.sec("edgecnn-avx2", "int8", "mobilenetv2") or (
            e if self.paths.get("edgecnn") == "avx2" else None)
        xa = self.sec("xnnpack-avx2", "int8", "mobilenetv2") or (
            self.sec("xnnpack", "int8", "mobilenetv2") if self.paths.get("xnnpack") == "avx2" else None)
        self.check("MobileNet v2 int8, EDGECNN_KERNELS=avx2: ≤ 1.0× XNNPACK restricted to AVX2",
                   f"{fmt_time(ea)} / {fmt_time(xa)} = {ea / xa:.2f}×" if ea and xa else None,
                   bool(ea and xa and ea / xa <= 1))
        e, t = self.sec("edgecnn", "int8", "resnet18"), self.sec("torch", "int8", "resnet18")
        self.check("ResNet-18 int8: ≤ 1.0× PyTorch/oneDNN", f"{fmt_time(e)} / {fmt_time(t)} = {e / t:.2f}×"
                   if e and t else None, bool(e and t and e / t <= 1))
        for case in ("mobilenetv2", "resnet18"):
            e = self.sec("edgecnn", "f32", case)
            o, who = self.faster_other("f32", case)
            self.check(f"{case} float32: ≤ 0.8× the faster of XNNPACK f32 and TorchScript fp32",
                       f"{fmt_time(e)} / {fmt_time(o)} ({who}) = {e / o:.2f}×" if e and o else None,
                       bool(e and o and e / o <= 0.8))
        self.w("")

    # ------------------------------------------------------------ mobile networks

    def mobile(self):
        nets = [n for n in MOBILE if any(k[2] == n for k in self.best)]
        if not nets:
            return
        self.w("## 224×224 networks (time per batch)\n")
        self.w("PyTorch: int8 is FX static quantization on oneDNN, float32 TorchScript (optimize_for_inference). "
               "XNNPACK: qc8 and f32 operators, NHWC.\n")
        avx = " edgecnn avx2 | XNNPACK avx2 | avx2 / avx2 |" if self.has_avx2 else ""
        self.w("| network | dtype | batch | threads | edgecnn | XNNPACK | PyTorch | edgecnn / XNNPACK | "
               "edgecnn / PyTorch | edgecnn / faster |" + avx)
        self.w("|---|---|---|---|---|---|---|---|---|---|" + ("---|---|---|" if self.has_avx2 else ""))
        batches = sorted({k[3] for k in self.best if k[2] in MOBILE})
        for net in nets:
            for dtype in ("int8", "f32"):
                for batch in batches:
                    for t in self.threads:
                        e, x = self.sec("edgecnn", dtype, net, batch, t), self.sec("xnnpack", dtype, net, batch, t)
                        p = self.sec("torch", dtype, net, batch, t)
                        if e is None and x is None and p is None:
                            continue
                        o, _ = self.faster_other(dtype, net, batch, t)
                        row = (f"| {net} | {dtype} | {batch} | {t} | {fmt_time(e)} | {fmt_time(x)} | {fmt_time(p)} | "
                               f"{fmt_ratio(e, x)} | {fmt_ratio(e, p)} | {fmt_ratio(e, o)} |")
                        if self.has_avx2:
                            ea = self.sec("edgecnn-avx2", dtype, net, batch, t)
                            xa = self.sec("xnnpack-avx2", dtype, net, batch, t)
                            row += f" {fmt_time(ea)} | {fmt_time(xa)} | {fmt_ratio(ea, xa)} |"
                        self.w(row)
        self.w("")

    def breakdown(self):
        for net in MOBILE:
            for dtype in ("int8", "f32"):
                for t in self.threads:
                    rows = {lab: best_layers(self.layers, lab, dtype, net, t) for lab, _ in ENGINES}
                    if not any(rows.values()):
                        continue
                    whole = {lab: self.sec(lab, dtype, net, 1, t) for lab, _ in ENGINES}
                    self.w(f"### {net} {dtype}, batch 1, {t} thread(s): time by layer kind (ms, share of the layers' sum)\n")
                    self.w("| layers | MACs | " + " | ".join(n for _, n in ENGINES) + " | edgecnn GMAC/s |")
                    self.w("|---|---|" + "---|" * len(ENGINES) + "---|")
                    sums = {lab: sum(r[3] for r in (rows[lab] or [])) for lab, _ in ENGINES}
                    for kind in KINDS:
                        cells, macs, count = [], 0, 0
                        for lab, _ in ENGINES:
                            sel = [r for r in (rows[lab] or []) if r[2] == kind]
                            s = sum(r[3] for r in sel)
                            if lab == "edgecnn":
                                macs, count = sum(r[4] for r in sel), len(sel)
                            cells.append(f"{s * 1e3:.2f} ({100 * s / sums[lab]:.0f}%)" if sel and sums[lab] else "–")
                        if all(c == "–" for c in cells):
                            continue
                        e = sum(r[3] for r in (rows["edgecnn"] or []) if r[2] == kind)
                        rate = f"{macs / e / 1e9:.1f}" if macs and e else ""
                        label = f"{KIND_TEXT[kind]}" + (f" ({count})" if count else "")
                        self.w(f"| {label} | {macs / 1e6:.1f} M | " + " | ".join(cells) + f" | {rate} |")
                    self.w("| sum of the layers | | " + " | ".join(fmt_ms(sums[lab]) if rows[lab] else "–"
                                                            for lab, _ in ENGINES) + " | |")
                    self.w("| whole network (best round) | | " + " | ".join(fmt_ms(whole[lab]) for lab, _ in ENGINES)
                           + " | |")
                    self.w("")
                    self.slowest(rows)

    def slowest(self, rows, top=8):
        """edgecnn's slowest layers, next to the layer of the same name in the others."""
        e = rows.get("edgecnn")
        if not e:
            return
        by_name = {lab: {r[1]: r for r in (rows[lab] or [])} for lab, _ in ENGINES}
        self.w(f"Slowest {top} edgecnn layers (ms; the same layer in the others where it has the same name):\n")
        self.w("| layer | kind | MACs | " + " | ".join(n for _, n in ENGINES) + " | edgecnn GMAC/s |")
        self.w("|---|---|---|" + "---|" * len(ENGINES) + "---|")
        for r in sorted(e, key=lambda r: -r[3])[:top]:
            cells = [fmt_ms(by_name[lab][r[1]][3]) if r[1] in by_name[lab] else "–" for lab, _ in ENGINES]
            rate = f"{r[4] / r[3] / 1e9:.1f}" if r[4] and r[3] else ""
            self.w(f"| {r[1]} | {r[2]} | {r[4] / 1e6:.1f} M | " + " | ".join(cells) + f" | {rate} |")
        self.w("")

    # ------------------------------------------------------------ LeNet-5 and AlexNet

    def gemm(self):
        if not any(k[2] == "gemm.512" for k in self.best):
            return
        g = lambda label, dtype: gmacs(self.get(label, dtype, "gemm.512"))
        self.w("## Square GEMM 512×512×512, single thread (GMAC/s)\n")
        self.w("XNNPACK int8 is its per-channel qc8 operator (a 1×1 convolution); the qs8 column is its per-tensor "
               "fully connected operator. The ratios use the faster of the two.\n")
        self.w("| dtype | edgecnn | edgecnn avx2 | XNNPACK qc8 | XNNPACK qs8 FC | XNNPACK avx2 qc8 | XNNPACK avx2 qs8 FC "
               "| edgecnn / XNNPACK (throughput) | edgecnn avx2 / XNNPACK avx2 |")
        self.w("|---|---|---|---|---|---|---|---|---|")
        for dtype in ("int8", "f32"):
            e, ea = g("edgecnn", dtype), g("edgecnn-avx2", dtype)
            x, xa = g("xnnpack", dtype), g("xnnpack-avx2", dtype)
            xq = g("xnnpack", "int8-qs8") if dtype == "int8" else None
            xaq = g("xnnpack-avx2", "int8-qs8") if dtype == "int8" else None
            f = lambda v: f"{v:.1f}" if v else "–"
            xb, xab = max(filter(None, [x, xq]), default=None), max(filter(None, [xa, xaq]), default=None)
            self.w(f"| {dtype} | {f(e)} | {f(ea)} | {f(x)} | {f(xq)} | {f(xa)} | {f(xaq)} | "
                   f"{(f'{e / xb:.2f}x' if e and xb else '–')} | {(f'{ea / xab:.2f}x' if ea and xab else '–')} |")
        self.w("")

    def small_nets(self):
        nets = [n for n in ("lenet", "alexnet") if any(k[2] == n for k in self.best)]
        if not nets:
            return
        avx = self.has_avx2
        self.w("## LeNet-5 and the 32×32 AlexNet (time per batch)\n")
        self.w("| network | batch | threads | dtype | edgecnn | XNNPACK | PyTorch | edgecnn / XNNPACK | edgecnn / PyTorch |"
               + (" edgecnn avx2 | XNNPACK avx2 | avx2 / avx2 |" if avx else ""))
        self.w("|---|---|---|---|---|---|---|---|---|" + ("---|---|---|" if avx else ""))
        threads = sorted({k[4] for k in self.best if k[2] in nets})
        for net in nets:
            for batch in (1, 64):
                for t in threads:
                    for dtype in ("int8", "f32"):
                        e, x = self.sec("edgecnn", dtype, net, batch, t), self.sec("xnnpack", dtype, net, batch, t)
                        p = self.sec("torch", dtype, net, batch, t)
                        row = (f"| {net} | {batch} | {t} | {dtype} | {fmt_time(e)} | {fmt_time(x)} | {fmt_time(p)} | "
                               f"{fmt_ratio(e, x)} | {fmt_ratio(e, p)} |")
                        if avx:
                            ea = self.sec("edgecnn-avx2", dtype, net, batch, t)
                            xa = self.sec("xnnpack-avx2", dtype, net, batch, t)
                            row += f" {fmt_time(ea)} | {fmt_time(xa)} | {fmt_ratio(ea, xa)} |"
                        self.w(row)
        other = sorted({k[1] for k in self.best if k[0] == "torch" and k[1].startswith("int8-") and k[2] in nets})
        for dtype in other:
            for net in nets:
                for batch in (1, 64):
                    e, p = self.sec("edgecnn", "int8", net, batch), self.sec("torch", dtype, net, batch)
                    self.w(f"| {net} | {batch} | 1 | int8 vs torch {dtype[5:]} | {fmt_time(e)} | | {fmt_time(p)} | | "
                           f"{fmt_ratio(e, p)} |" + (" | | |" if avx else ""))
        self.w("")

    def single_layers(self):
        names = []
        for k in self.best:
            if k[0] == "edgecnn" and k[3] == 1 and k[2].startswith(("lenet.", "alexnet.")) and "train" not in k[2]:
                if k[2] not in names:
                    names.append(k[2])
        if not names:
            return
        avx = self.has_avx2
        self.w("## Every LeNet-5 and AlexNet layer alone, batch 1, single thread\n")
        self.w("| layer | MACs | edgecnn int8 | XNNPACK int8 | ratio | edgecnn f32 | XNNPACK f32 | ratio |"
               + (" edgecnn avx2 int8 | XNNPACK avx2 int8 | ratio |" if avx else ""))
        self.w("|---|---|---|---|---|---|---|---|" + ("---|---|---|" if avx else ""))
        for name in names:
            ent = self.get("edgecnn", "int8", name)
            macs = ent[1] if ent else 0
            ei, xi = self.sec("edgecnn", "int8", name), self.sec("xnnpack", "int8", name)
            ef, xf = self.sec("edgecnn", "f32", name), self.sec("xnnpack", "f32", name)
            row = (f"| {name} | {macs if macs else 'pool'} | {fmt_time(ei)} | {fmt_time(xi)} | {fmt_ratio(ei, xi)} | "
                   f"{fmt_time(ef)} | {fmt_time(xf)} | {fmt_ratio(ef, xf)} |")
            if avx:
                ea, xa = self.sec("edgecnn-avx2", "int8", name), self.sec("xnnpack-avx2", "int8", name)
                row += f" {fmt_time(ea)} | {fmt_time(xa)} | {fmt_ratio(ea, xa)} |"
            self.w(row)
        self.w("")

    def training(self):
        tr = sorted({(k[2], k[4]) for k in self.best if "train_epoch" in k[2]})
        if not tr:
            return
        self.w("## LeNet-5 training epoch on MNIST (batch 64, Adam)\n")
        self.w("| threads | edgecnn | PyTorch | edgecnn / PyTorch |")
        self.w("|---|---|---|---|")
        for case, t in tr:
            e, p = self.sec("edgecnn-train", "f32", case, 64, t), self.sec("torch-train", "f32", case, 64, t)
            self.w(f"| {t} | {fmt_time(e)} | {fmt_time(p)} | {fmt_ratio(e, p)} |")
        self.w("")

    def issue4(self):
        if not any(k[2] in ("gemm.512", "lenet", "alexnet") or "train_epoch" in k[2] for k in self.best):
            return
        self.w("## The figures of issue 4 (this run)\n")
        self.w("| target | measured | met |")
        self.w("|---|---|---|")

        # XNNPACK's GEMM: the faster of its qc8 (1x1 convolution) and qs8
        # (fully connected) operators.
        def xbest(label):
            v = [g for g in (gmacs(self.get(label, "int8", "gemm.512")), gmacs(self.get(label, "int8-qs8", "gemm.512")))
                 if g]
            return max(v) if v else None

        e, x = gmacs(self.get("edgecnn", "int8", "gemm.512")), xbest("xnnpack")
        self.check(f"int8 GEMM 512³, best path (`{self.paths.get('edgecnn', '?')}`) ≥ 1.5× XNNPACK "
                   "(its faster of qc8/qs8)", f"{e / x:.2f}×" if e and x else None, bool(e and x and e / x >= 1.5))
        ea, xa = gmacs(self.get("edgecnn-avx2", "int8", "gemm.512")), xbest("xnnpack-avx2")
        self.check("int8 GEMM 512³, avx2 path ≥ XNNPACK's AVX2 kernels (faster of qc8/qs8)",
                   f"{ea / xa:.2f}×" if ea and xa else None, bool(ea and xa and ea / xa >= 1))
        for net, limit in (("lenet", 0.5), ("alexnet", 0.7)):
            e, x = self.sec("edgecnn", "int8", net, 1), self.sec("xnnpack", "int8", net, 1)
            self.check(f"{net} int8 batch 1 ≤ {limit}× XNNPACK's time", f"{e / x:.2f}×" if e and x else None,
                       bool(e and x and e / x <= limit))
            e, x = self.sec("edgecnn", "int8", net, 64), self.sec("xnnpack", "int8", net, 64)
            self.check(f"{net} int8 batch 64 throughput ≥ XNNPACK's (time ratio ≤ 1)",
                       f"{e / x:.2f}× time" if e and x else None, bool(e and x and e / x <= 1))
        for case, t in sorted({(k[2], k[4]) for k in self.best if "train_epoch" in k[2]}):
            e, p = self.sec("edgecnn-train", "f32", case, 64, t), self.sec("torch-train", "f32", case, 64, t)
            self.check(f"LeNet-5 epoch on {t} threads ≤ PyTorch's", f"{e / p:.2f}× time" if e and p else None,
                       bool(e and p and e <= p))
        self.w("")

    # ------------------------------------------------------------ the Go tools

    def go_bench(self):
        gt = os.path.join(self.outdir, "go-test-bench.txt")
        if not os.path.exists(gt):
            return
        vals = {}
        for line in open(gt):
            m = re.match(r"^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+.*?([\d.]+) (GMAC/s|GFLOP/s)", line)
            if m:
                vals.setdefault((m.group(1), m.group(3)), []).append(float(m.group(2)))
        if vals:
            self.w("## `go test -bench` (kernels, median of -count runs)\n")
            self.w("| benchmark | median | unit |")
            self.w("|---|---|---|")
            for (name, unit), v in vals.items():
                self.w(f"| {name} | {statistics.median(v):.2f} | {unit} |")
            self.w("")

    def cli(self):
        path = os.path.join(self.outdir, "edgecnn-cli-bench.txt")
        if not os.path.exists(path):
            return
        rows = []
        for line in open(path):
            line = line.strip()
            if line.startswith("{"):
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    pass
        if rows:
            self.w("## `edgecnn bench --json`\n")
            self.w("| model | batch | threads | kernel | ms |")
            self.w("|---|---|---|---|---|")
            for r in rows:
                self.w(f"| {os.path.basename(r.get('model', ''))} | {r.get('batch')} | {r.get('threads')} | "
                       f"{r.get('kernel')} | {r.get('ms'):.3f} |")
            self.w("")

    def render(self):
        self.header()
        self.issue12()
        self.mobile()
        self.breakdown()
        self.gemm()
        self.small_nets()
        self.single_layers()
        self.training()
        self.issue4()
        self.go_bench()
        self.cli()
        return "\n".join(self.out)


def main():
    args = sys.argv[1:]
    cpu = "--cpu" in args
    args = [a for a in args if a != "--cpu"]
    if len(args) != 1:
        sys.exit(__doc__.split("\n\n")[1])
    print(Report(args[0], cpu).render())


if __name__ == "__main__":
    main()
