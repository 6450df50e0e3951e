#!/usr/bin/python3
"""Export the 224x224 networks of package randmodel from PyTorch to ONNX.

Run by a developer, not by CI, with Debian's packages
(apt-get install -y python3-torch python3-torchvision):

    /usr/bin/python3 internal/randmodel/testdata/export.py DIR
    go test ./internal/randmodel -run TorchVision -onnx DIR            # compare
    go test ./internal/randmodel -run TorchVision -onnx DIR -update    # rewrite the fixtures

It writes DIR/mobilenetv1.onnx, DIR/mobilenetv2.onnx and DIR/resnet18.onnx
(14 to 47 MB each, not committed): torchvision's mobilenet_v2 and resnet18
and bench/torch/mobilenetv1.py's MobileNet v1, with their default random initialisation, in
eval mode, at 1x3x224x224, opset 13, as a user would export them. The
exporter folds each batch norm into its convolution.

The test imports each file with edgecnn's ONNX importer, reduces the graph
to a table of layers (operator, window, inputs, shapes, parameter count,
MACs: names aside) and compares it with the table of randmodel's Go
builder; -update writes the imported tables to testdata/*.layers.json,
which the test checks the builder against when no -onnx is given.
"""

import os
import sys

import torch
import torchvision

# MobileNet v1 is bench/torch's (torchvision has none).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "bench", "torch"))
from mobilenetv1 import MobileNetV1  # noqa: E402

OPSET = 13


def networks():
    return {
        "mobilenetv1": MobileNetV1(),
        "mobilenetv2": torchvision.models.mobilenet_v2(),
        "resnet18": torchvision.models.resnet18(),
    }


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: export.py DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(1)
    x = torch.zeros(1, 3, 224, 224)
    for name, model in networks().items():
        model.eval()
        path = os.path.join(out, name + ".onnx")
        torch.onnx.export(model, x, path, opset_version=OPSET, input_names=["input"], output_names=["logits"])
        params = sum(p.numel() for p in model.parameters())
        print(f"{path}: {params} PyTorch parameters (batch norms included), torchvision {torchvision.__version__}")


if __name__ == "__main__":
    main()
