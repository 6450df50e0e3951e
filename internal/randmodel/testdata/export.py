#!/usr/bin/python3
"""Export the 224x224 networks of package randmodel from PyTorch to ONNX.

Run by a developer, not by CI, with Debian's packages
(apt-get install -y python3-torch python3-torchvision):

    /usr/bin/python3 internal/randmodel/testdata/export.py DIR
    go test ./internal/randmodel -run TorchVision -onnx DIR            # compare
    go test ./internal/randmodel -run TorchVision -onnx DIR -update    # rewrite the fixtures

It writes DIR/mobilenetv1.onnx, DIR/mobilenetv2.onnx and DIR/resnet18.onnx
(14 to 47 MB each, not committed): torchvision's mobilenet_v2 and resnet18
and the MobileNet v1 below, with their default random initialisation, in
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
import torch.nn as nn
import torchvision

OPSET = 13


def conv_bn_relu6(cin, cout, k, stride, groups=1):
    """torchvision's Conv2dNormActivation with ReLU6: modules 0, 1, 2."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU6(inplace=True),
    )


class MobileNetV1(nn.Module):
    """MobileNet v1 1.0 (Howard et al. 2017, Table 1): a 3x3 stride-2
    convolution and 13 depthwise-separable blocks, batch norm and ReLU6
    after every convolution, global average pooling, a linear classifier.
    Module names match randmodel's layer names."""

    BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
              (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]

    def __init__(self, classes=1000):
        super().__init__()
        layers, cin = [conv_bn_relu6(3, 32, 3, 2)], 32
        for cout, stride in self.BLOCKS:
            layers.append(nn.Sequential(conv_bn_relu6(cin, cin, 3, stride, groups=cin),
                                        conv_bn_relu6(cin, cout, 1, 1)))
            cin = cout
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


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
