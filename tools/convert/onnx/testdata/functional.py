#!/usr/bin/python3
"""Export functional.onnx and functional.raw.onnx, the fixtures of
TestFunctionalExports: a small network written with torch's functional
calls rather than torchvision's modules, as a user's own code would be.

Run by a developer, not by CI, with Debian's python3-torch 1.13:

    cd tools/convert/onnx/testdata && /usr/bin/python3 functional.py

It exports the same network at opset 13 both ways, the opposite of zoo.py's
pairs, so that together they cover constant folding on and off, each with
and without a dynamic batch:

    functional.onnx        constant folding on, a fixed batch of 1
    functional.raw.onnx    constant folding off, a dynamic batch: torch.clamp's
                           bounds arrive as DOUBLE Constant nodes through
                           Cast, x.shape as Shape/Gather arithmetic on INT64
    functional_input.npy   4 seeded inputs, float32 [4, 3, 13, 13]
    functional_logits.npy  PyTorch's outputs for them, float32 [4, 10]
"""

import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Functional(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(4, 4, 3, padding=1, groups=4)
        self.se1 = nn.Conv2d(8, 4, 1)
        self.se2 = nn.Conv2d(4, 8, 1)
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):
        x = torch.clamp(self.bn(self.c1(x)), 0.0, 6.0)
        a, b = x.chunk(2, dim=1)
        b = self.dw(b)
        x = torch.cat([a * F.hardsigmoid(a), F.hardswish(b)], 1)
        n, c, h, w = x.shape  # a channel shuffle of 2 groups
        x = x.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, c, h, w)
        gate = torch.sigmoid(self.se2(F.silu(self.se1(x.mean((2, 3), keepdim=True)))))
        x = x * gate
        x = F.max_pool2d(x, 3, 2, ceil_mode=True)
        x = F.avg_pool2d(x, 2, 2, padding=1, count_include_pad=False)
        x = x.reshape(x.size(0), -1)
        return F.softmax(self.fc(x), dim=1)


def main():
    torch.manual_seed(14)
    model = Functional()
    with torch.no_grad():
        model.bn.running_mean.uniform_(-1, 1)
        model.bn.running_var.uniform_(0.5, 2)
        model.bn.bias.uniform_(0, 1)
    model.eval()
    x = torch.randn(4, 3, 13, 13)
    with torch.no_grad():
        y = model(x)
    np.save("functional_input.npy", x.numpy())
    np.save("functional_logits.npy", y.numpy())
    kw = dict(opset_version=13, input_names=["input"], output_names=["probabilities"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, x[:1], "functional.onnx", **kw)
        torch.onnx.export(model, x[:1], "functional.raw.onnx", do_constant_folding=False,
                          dynamic_axes={"input": {0: "batch"}, "probabilities": {0: "batch"}}, **kw)


if __name__ == "__main__":
    main()
