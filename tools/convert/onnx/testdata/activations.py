#!/usr/bin/python3
"""Export activations.onnx and activations.raw.onnx, the fixtures of
TestActivationExports: a small classifier written as users write their
own, with the activations and output that torchvision's zoo does not use
(leaky_relu, a one-slope PReLU, ELU, GELU, log_softmax as in PyTorch's
MNIST example) and the input normalisation inside the model.

Run by a developer, not by CI, with Debian's python3-torch 1.13:

    cd tools/convert/onnx/testdata && /usr/bin/python3 activations.py

    activations.onnx         constant folding on, a dynamic batch
    activations.raw.onnx     constant folding off, a fixed batch of 1
    activations_input.npy    8 seeded inputs, pixel/255 values, float32 [8, 3, 16, 16]
    activations_logits.npy   PyTorch's outputs for them (log-probabilities), float32 [8, 5]
"""

import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Activations(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.prelu = nn.PReLU()
        self.c3 = nn.Conv2d(16, 16, 3, padding=1)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        x = (x - self.mean) / self.std
        x = F.leaky_relu(self.bn(self.c1(x)), 0.1)
        x = F.elu(self.prelu(self.c2(x)))
        x = F.gelu(self.c3(x))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return F.log_softmax(self.fc(x), dim=1)


def main():
    torch.manual_seed(15)
    model = Activations()
    with torch.no_grad():
        model.bn.running_mean.uniform_(-0.5, 0.5)
        model.bn.running_var.uniform_(0.5, 2)
        model.prelu.weight.fill_(0.2)
    model.eval()
    x = torch.randint(0, 256, (8, 3, 16, 16)).float() / 255
    with torch.no_grad():
        y = model(x)
    np.save("activations_input.npy", x.numpy())
    np.save("activations_logits.npy", y.numpy())
    kw = dict(opset_version=13, input_names=["input"], output_names=["log_probabilities"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, x[:1], "activations.onnx",
                          dynamic_axes={"input": {0: "batch"}, "log_probabilities": {0: "batch"}}, **kw)
        torch.onnx.export(model, x[:1], "activations.raw.onnx", do_constant_folding=False, **kw)


if __name__ == "__main__":
    main()
