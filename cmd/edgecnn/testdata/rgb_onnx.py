#!/usr/bin/python3
"""Writes rgb.onnx: a tiny 3x32x32 CNN with random weights (seed 0), the
3-channel model of cmd/edgecnn's import tests.

Usage: /usr/bin/python3 rgb_onnx.py (Debian's python3-torch, python3-onnx)
"""
import torch

torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Conv2d(3, 4, 3, stride=2), torch.nn.ReLU(),
    torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(4, 10),
).eval()
torch.onnx.export(model, torch.zeros(1, 3, 32, 32), "rgb.onnx", opset_version=13,
                  input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
