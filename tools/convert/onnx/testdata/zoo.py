#!/usr/bin/python3
"""Export torchvision's classification zoo to ONNX for edgecnn's import tests.

Run by a developer, not by CI, with Debian's Python and packages
(python3-torch 1.13, python3-torchvision 0.14, python3-onnx):

    cd tools/convert/onnx/testdata && /usr/bin/python3 zoo.py            # the committed small fixtures, into zoo/
    /usr/bin/python3 zoo.py --full --out /tmp/zoo                        # the real networks at 224x224, 1000 classes

and then check them:

    go test ./tools/convert/onnx -run TestZoo -v                          # the small ones (CI runs this)
    go test ./tools/convert/onnx -run TestZoo -v -zoo /tmp/zoo -timeout 2h  # the full-size ones

Every model is built by torchvision itself from random weights seeded by its
name, with random BatchNorm scales and shifts and statistics measured on
seeded images (train mode, then eval; see calibrate_batchnorm), and its
classifier scaled so that the logits spread as a trained network's do. The
small fixtures are the same torchvision graphs with every channel count that
the width divisor divides cut by it (torch.nn's Conv2d, BatchNorm2d and
Linear are narrowed while the model is built), 10 classes and smaller inputs
where the network allows; --full keeps torchvision's widths, 1000 classes and
224x224.

Each model is exported twice, at opset 13:

    NAME.onnx        the usual export: constant folding on, dynamic batch
                     axes, BatchNormalization folded into the convolutions
    NAME.raw.onnx    constant folding off, a fixed batch of 1,
                     BatchNormalization nodes kept (TrainingMode.PRESERVE)

with NAME.logits.npy, PyTorch's logits [4, classes] for the first 4 images
of the model's PARITY stream (see pixels: the Go tests make the same
images). manifest.json lists the models.
"""

import argparse
import contextlib
import json
import math
import os
import warnings
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

OPSET = 13
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]

# name: (width divisor, input size, raw) of the small fixture. The divisor
# must cut every channel count consistently (a concatenation's sum stays the
# sum of its parts; ShuffleNet v2 x1.0's 58-channel halves allow only 2):
# PyTorch refuses the model otherwise. It must also leave the network
# well-conditioned: SqueezeNet, which has no BatchNorm, cut by 16 has
# squeeze layers of 2 channels and turns input noise 40 dB below the
# signal into 27 dB at its logits (43 dB when cut by 8, 62 dB at full size). AlexNet and VGG need 224x224 for
# their 6x6 and 7x7 adaptive pools; odd sizes exercise ceil_mode. MobileNet
# v3 and EfficientNet take 128x128, for 4x4 maps at their global average
# pool as the full size's 7x7 are (at 64x64 the pool averages the int8
# rounding noise of 2x2 maps, 3 dB, where 4x4 gain 8 dB: BENCHMARKS.md's
# zoo section has the figures). raw says
# whether the small fixture also has a .raw.onnx export: the larger ones
# have only the usual one, to keep the repository light (--full writes
# both for every model).
ZOO = {
    "mobilenet_v2": (16, 64, True),
    "mobilenet_v3_small": (8, 128, True),
    "mobilenet_v3_large": (8, 128, False),
    "mnasnet0_5": (16, 64, False),
    "shufflenet_v2_x0_5": (8, 64, True),
    "shufflenet_v2_x1_0": (2, 64, False),
    "squeezenet1_1": (8, 67, True),
    "resnet18": (32, 64, True),
    "resnet50": (32, 64, False),
    "googlenet": (16, 67, False),
    "densenet121": (32, 64, True),
    "vgg11_bn": (64, 224, False),
    "efficientnet_b0": (16, 128, True),
    "regnet_x_400mf": (16, 64, False),
    "regnet_y_400mf": (8, 64, False),
    "alexnet": (64, 224, True),
}

# Further cuts of the small fixtures, where the divisor leaves most of the
# weights: channel counts to replace (squeeze-and-excitation widths, which
# only their own pair of convolutions sees, and ShuffleNet's last
# convolution), and ShuffleNet v2 x1.0 with 2
# blocks per stage instead of 4, 8 and 4 (a stride-2 block and a split one
# in each).
NARROW_ALSO = {"regnet_y_400mf": {110: 14, 52: 7, 26: 4, 12: 2}, "shufflenet_v2_x1_0": {1024: 64}}
SMALL_KWARGS = {"shufflenet_v2_x1_0": {"stages_repeats": [2, 2, 2], "stages_out_channels": [24, 116, 232, 464, 1024]}}


@contextlib.contextmanager
def narrow(k, classes, also=None):
    """While active, torch.nn's Conv2d, BatchNorm2d and Linear take every
    channel or feature count that k divides, except the number of classes,
    divided by k; grouped convolutions keep their depthwise or group
    structure."""
    if k == 1:
        yield
        return
    also = also or {}
    cut = lambda c: also[c] if c in also else c // k if c % k == 0 and c != classes else c
    conv, bn, linear = nn.Conv2d.__init__, nn.BatchNorm2d.__init__, nn.Linear.__init__

    def conv_init(self, cin, cout, *args, groups=1, **kw):
        c, o = cut(cin), cut(cout)
        g = c if groups == cin and groups > 1 else math.gcd(groups, math.gcd(c, o))
        conv(self, c, o, *args, groups=g, **kw)

    nn.Conv2d.__init__ = conv_init
    nn.BatchNorm2d.__init__ = lambda self, n, *a, **kw: bn(self, cut(n), *a, **kw)
    nn.Linear.__init__ = lambda self, in_features, out_features, *a, **kw: linear(self, cut(in_features), cut(out_features), *a, **kw)
    try:
        yield
    finally:
        nn.Conv2d.__init__, nn.BatchNorm2d.__init__, nn.Linear.__init__ = conv, bn, linear


def seed_of(name):
    return zlib.crc32(name.encode())


def mix(z):
    """splitmix64's finaliser on uint64 arrays (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


# Image streams, added to a model's seed: the Go tests calibrate int8 on
# the first 64 images of CALIBRATION and compare int8 with float on the
# first 256 of EVALUATION.
BATCHNORM, PARITY, CALIBRATION, EVALUATION = 1, 2, 3, 4

LOGIT_STD = 3.0

GRID = 6  # the smooth field's control points per side


def pixels(seed, first, n, size):
    """Images first .. first+n-1 of a seeded stream, uint8 [n, 3, size, size]:
    a smooth random colour field (bilinear between GRID x GRID random
    points) with noise on top. Integer arithmetic only, so that the Go
    tests generate the same pixels (zooPixels in zoo_test.go)."""
    with np.errstate(over="ignore"):
        img = np.arange(first, first + n, dtype=np.uint64).reshape(n, 1, 1, 1)
        c = np.arange(3, dtype=np.uint64).reshape(1, 3, 1, 1)
        key = mix(np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + img) * np.uint64(4) + c
        g = np.arange(GRID, dtype=np.uint64)
        grid = mix(key * np.uint64(GRID * GRID) + g.reshape(GRID, 1) * np.uint64(GRID) + g.reshape(1, GRID)) & np.uint64(255)
        s = np.arange(size, dtype=np.uint64)
        noise = mix(~(key * np.uint64(size * size) + s.reshape(size, 1) * np.uint64(size) + s.reshape(1, size))) & np.uint64(255)
    grid, noise = grid.astype(np.int64), noise.astype(np.int64)
    d = size - 1
    t = np.arange(size, dtype=np.int64) * (GRID - 1)
    g0, f = t // d, t % d
    g1 = np.minimum(g0 + 1, GRID - 1)
    rows = grid[:, :, g0, :] * (d - f).reshape(size, 1) + grid[:, :, g1, :] * f.reshape(size, 1)
    smooth = (rows[:, :, :, g0] * (d - f) + rows[:, :, :, g1] * f) // (d * d)
    return ((3 * smooth + noise) // 4).astype(np.uint8)


def normalise(p):
    """pixel/255 normalised with MEAN and STD, computed in float64 and
    rounded to float32 once, as the Go tests compute it."""
    mean = np.array(MEAN).reshape(1, 3, 1, 1)
    std = np.array(STD).reshape(1, 3, 1, 1)
    return torch.from_numpy(((p / 255.0 - mean) / std).astype(np.float32))


def build(name, full):
    k, size, _ = ZOO[name]
    classes = 1000
    if full:
        k, size = 1, 224
    else:
        classes = 10
    torch.manual_seed(seed_of(name))
    kw = {"num_classes": classes}
    if name == "googlenet":
        kw.update(aux_logits=False, init_weights=True)
    if full:
        model = getattr(torchvision.models, name)(**kw)
    elif name in SMALL_KWARGS:
        with narrow(k, classes, NARROW_ALSO.get(name)):
            model = torchvision.models.ShuffleNetV2(**SMALL_KWARGS[name], **kw)
    else:
        with narrow(k, classes, NARROW_ALSO.get(name)):
            model = getattr(torchvision.models, name)(**kw)
    calibrate_batchnorm(model, size, seed_of(name))
    scale_logits(model, size, seed_of(name))
    return model.eval(), size


def calibrate_batchnorm(model, size, seed):
    """Random BatchNorm scales and shifts, and running statistics measured
    on 64 images of stream BATCHNORM, as a trained network would have.

    The shifts are drawn around +1, so that most units of every layer are
    active. With torchvision's initial BatchNorm (the identity), MobileNet
    v2 and MNASNet compute the same logits for every image (their spread
    over images is 1e-8); with measured statistics and shifts around 0, the
    random networks are chaotic: noise at 40 dB below the input leaves
    15 dB at MobileNet v2's logits (35 dB at ResNet-18's), which no 8-bit
    arithmetic could beat. Trained networks are neither; shifts around +1
    keep 40 dB of input noise at 43 dB."""
    gen = torch.Generator().manual_seed(seed)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in bns:
            bn.weight.uniform_(0.5, 1.5, generator=gen)
            bn.bias.normal_(1, 0.2, generator=gen)
            bn.reset_running_stats()
            bn.momentum = None  # a cumulative average over the batches
        model.train()
        for k in range(4):
            model(normalise(pixels(seed + BATCHNORM, 16 * k, 16, size)))
    model.eval()


def scale_logits(model, size, seed):
    """Scale the classifier so that the logits spread like a trained
    network's (standard deviation LOGIT_STD over images and classes):
    torchvision initialises it with tiny weights (N(0, 0.01) in several
    networks), which would leave logits of 0.001 and make any parity bound
    meaningless. The classifier is the last Linear or Conv2d; every network
    here follows it with nothing but ReLU and pooling, which commute with a
    positive scale."""
    last = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))][-1]
    with torch.no_grad():
        logits = model(normalise(pixels(seed + BATCHNORM, 0, 64, size)))
        factor = LOGIT_STD / float(logits.std())
        last.weight.mul_(factor)
        if last.bias is not None:
            last.bias.mul_(factor)


def export(model, path, x, raw):
    kw = dict(opset_version=OPSET, input_names=["input"], output_names=["logits"])
    if raw:
        kw.update(do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
    else:
        kw.update(dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, x, path, **kw)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--full", action="store_true", help="torchvision's full widths, 1000 classes, 224x224")
    ap.add_argument("--out", default="zoo", help="output folder (default zoo)")
    ap.add_argument("models", nargs="*", help="models to export (default: all)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    names = args.models or list(ZOO)
    manifest = read_manifest(args.out)
    for name in names:
        model, size = build(name, args.full)
        x = normalise(pixels(seed_of(name) + PARITY, 0, 4, size))
        with torch.no_grad():
            logits = model(x)
        base = os.path.join(args.out, name)
        np.save(base + ".logits.npy", logits.numpy().astype(np.float32))
        export(model, base + ".onnx", x[:1], raw=False)
        raw = args.full or ZOO[name][2]
        if raw:
            export(model, base + ".raw.onnx", x[:1], raw=True)
        params = sum(p.numel() for p in model.parameters())
        manifest[name] = {"name": name, "size": size, "classes": logits.shape[1], "params": params, "raw": raw}
        print(f"{name}: {size}x{size}, {params} parameters, logits in [{logits.min():.3g}, {logits.max():.3g}]", flush=True)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump({"mean": MEAN, "std": STD, "models": [manifest[n] for n in ZOO if n in manifest]}, f, indent=1)
        f.write("\n")


def read_manifest(folder):
    """The models already in folder's manifest, by name: exporting some
    models replaces their entries and keeps the others'."""
    try:
        with open(os.path.join(folder, "manifest.json")) as f:
            return {m["name"]: m for m in json.load(f)["models"]}
    except FileNotFoundError:
        return {}


if __name__ == "__main__":
    main()
