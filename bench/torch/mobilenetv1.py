"""MobileNet v1 1.0 in PyTorch, as internal/randmodel builds it.

Howard et al. 2017, Table 1: a 3x3 stride-2 convolution and 13
depthwise-separable blocks (3x3 depthwise, 1x1 pointwise), batch norm and
ReLU6 after every convolution (as in the TensorFlow model most deployments
start from), global average pooling, a linear classifier. torchvision has no
MobileNet v1; the blocks are torchvision's Conv2dNormActivation (modules 0
conv, 1 batch norm, 2 activation), so module names match randmodel's layer
names. bench/torch/torchbench.py times it; internal/randmodel/testdata/
export.py exports it.
"""

import torch
import torch.nn as nn

BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
          (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]


def conv_bn_relu6(cin, cout, k, stride, groups=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU6(inplace=True),
    )


class MobileNetV1(nn.Module):
    def __init__(self, classes=1000):
        super().__init__()
        layers, cin = [conv_bn_relu6(3, 32, 3, 2)], 32
        for cout, stride in BLOCKS:
            layers.append(nn.Sequential(conv_bn_relu6(cin, cin, 3, stride, groups=cin),
                                        conv_bn_relu6(cin, cout, 1, 1)))
            cin = cout
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))
