#!/usr/bin/python3
"""Fixtures for preprocess's ImageNet parity test (TestImageNetParity).

Makes 50 test images of mixed sizes, aspect ratios and encodings (baseline
JPEG 4:4:4, 4:2:2 and 4:2:0 at several qualities, progressive JPEG, gray
JPEG, PNG) from the photographs in photos/, then records what torchvision
does with each: PIL decoding, Resize(256) (antialiased bilinear) and
CenterCrop(224), as uint8 (ToTensor's input, before Normalize). It also
exports a MobileNet v2 with random weights (seed 0; batch-norm statistics
from these images) to ONNX and records its top-1 class on each image,
normalised with the ImageNet mean and std.

Usage: /usr/bin/python3 imagenet_fixtures.py OUTDIR
Writes OUTDIR/NN.jpg|png, OUTDIR/expected.npy (50x3x224x224, the uint8
pixels as float32), OUTDIR/mobilenet_v2.onnx and OUTDIR/top1.npy (50
classes as float32): float32 arrays, which edgecnn's .npy reader reads. Needs Debian's
python3-torchvision (1.13/0.14), python3-pil, python3-numpy, python3-onnx.
"""

import os
import random
import sys

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms

N = 50


def make_images(src_dir, out):
    rng = random.Random(13)
    sources = sorted(f for f in os.listdir(src_dir) if f.endswith(".jpg"))
    photos = [Image.open(os.path.join(src_dir, f)).convert("RGB") for f in sources]
    files = []
    for i in range(N):
        im = photos[i % len(photos)]
        w, h = im.size
        # A crop of random aspect ratio and size, then a random size: from
        # smaller than the crop (to 160 px) to larger than the photo.
        cw = rng.randint(w // 3, w)
        ch = max(16, min(h, int(cw * rng.uniform(0.5, 2.0))))
        x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
        crop = im.crop((x, y, x + cw, y + ch))
        short = rng.choice([160, 200, 224, 256, 300, 360, 480, 600, 720])
        scale = short / min(cw, ch)
        size = (max(1, round(cw * scale)), max(1, round(ch * scale)))
        crop = crop.resize(size, Image.LANCZOS)
        kind = i % 10
        if kind == 9:
            name = "%02d.png" % i
            crop.save(os.path.join(out, name))
        else:
            name = "%02d.jpg" % i
            opts = {"quality": rng.choice([60, 75, 85, 95])}
            if kind in (0, 1, 2):
                opts["subsampling"] = 2  # 4:2:0
            elif kind in (3, 4):
                opts["subsampling"] = 1  # 4:2:2
            elif kind in (5, 6):
                opts["subsampling"] = 0  # 4:4:4
            elif kind == 7:
                opts["progressive"] = True
            else:
                crop = crop.convert("L")
            crop.save(os.path.join(out, name), **opts)
        files.append(name)
    return files


def main():
    out = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    files = make_images(os.path.join(here, "photos"), out)
    pre = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224)])
    expected = np.zeros((N, 3, 224, 224), dtype=np.uint8)
    for i, f in enumerate(files):
        img = pre(Image.open(os.path.join(out, f)).convert("RGB"))
        expected[i] = np.asarray(img).transpose(2, 0, 1)
    np.save(os.path.join(out, "expected.npy"), expected.astype(np.float32))

    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v2(weights=None)
    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    x = norm(torch.from_numpy(expected).float() / 255)
    # Random weights alone give every image the same class: set the batch
    # norms' statistics from these images (as training would), so that
    # the top-1 depends on the image and tells preprocessing errors apart.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    model.train()
    with torch.no_grad():
        model(x)
    model.eval()
    with torch.no_grad():
        logits = model(x)
    np.save(os.path.join(out, "top1.npy"), logits.argmax(1).numpy().astype(np.float32))
    torch.onnx.export(model, x[:1], os.path.join(out, "mobilenet_v2.onnx"), opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})


if __name__ == "__main__":
    main()
