"""PyTorch twins of edgecnn's resnet20, mobilenetv2, vgg11, googlenet and
densenet (nn/archs.go), for the parameter counts of nn.TestArchCounts (the
first line printed, for 3 input channels) and for timing a training step
against `go test ./train -bench Step` on the same machine.

    /usr/bin/python3 train/testdata/torch_step.py ARCH STEPS [BATCH]   # prints params, then ms per step

Same work as BenchmarkStep: batch 128 (or BATCH, as its -step.batch) of
1x32x32 images, SGD with momentum 0.9 and weight decay 5e-4, 2 threads.
"""
import sys
import time

import torch
import torch.nn as nn


def cbr(cin, cout, k, stride=1, groups=1, act=nn.ReLU):
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act is not None:
        layers.append(act(inplace=True))
    return nn.Sequential(*layers)


class Basic(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(cbr(cin, cout, 3, stride), cbr(cout, cout, 3, act=None))
        self.short = cbr(cin, cout, 1, stride, act=None) if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        return torch.relu(self.body(x) + self.short(x))


def resnet20(cin, classes):
    layers, c = [cbr(cin, 16, 3)], 16
    for s, w in enumerate([16, 32, 64]):
        for b in range(3):
            layers.append(Basic(c, w, 2 if s > 0 and b == 0 else 1))
            c = w
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, classes))


class Inverted(nn.Module):
    def __init__(self, cin, cout, t, stride):
        super().__init__()
        hidden = cin * t
        layers = [cbr(cin, hidden, 1, act=nn.ReLU6)] if t != 1 else []
        layers += [cbr(hidden, hidden, 3, stride, hidden, nn.ReLU6), cbr(hidden, cout, 1, act=None)]
        self.body = nn.Sequential(*layers)
        self.res = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.res else self.body(x)


def mobilenetv2(cin, classes):
    layers, c = [cbr(cin, 32, 3, act=nn.ReLU6)], 32
    for t, out, n, s in [(1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for i in range(n):
            layers.append(Inverted(c, out, t, s if i == 0 else 1))
            c = out
    layers += [cbr(c, 1280, 1, act=nn.ReLU6), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1280, classes)]
    return nn.Sequential(*layers)


def vgg11(cin, classes):
    layers, c = [], cin
    for w in [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0]:
        if w == 0:
            layers.append(nn.MaxPool2d(2))
            continue
        layers.append(cbr(c, w, 3))
        c = w
    head = [nn.Dropout(0.5), nn.Linear(512, 512), nn.ReLU(inplace=True),
            nn.Dropout(0.5), nn.Linear(512, 512), nn.ReLU(inplace=True), nn.Linear(512, classes)]
    return nn.Sequential(*layers, nn.Flatten(), *head)


class Inception(nn.Module):
    """An Inception v1 block at half the paper's widths, as nn/archs.go's."""

    def __init__(self, cin, c1, r3, c3, r5, c5, pool):
        super().__init__()
        self.b1 = cbr(cin, c1 // 2, 1)
        self.b2 = nn.Sequential(cbr(cin, r3 // 2, 1), cbr(r3 // 2, c3 // 2, 3))
        self.b3 = nn.Sequential(cbr(cin, r5 // 2, 1), cbr(r5 // 2, c5 // 2, 5))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), cbr(cin, pool // 2, 1))
        self.out = (c1 + c3 + c5 + pool) // 2

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)


def googlenet(cin, classes):
    layers, c = [cbr(cin, 96, 3)], 96
    for widths, down in [((64, 96, 128, 16, 32, 32), False), ((128, 128, 192, 32, 96, 64), True),
                         ((192, 96, 208, 16, 48, 64), False), ((160, 112, 224, 24, 64, 64), False),
                         ((128, 128, 256, 24, 64, 64), False), ((112, 144, 288, 32, 64, 64), False),
                         ((256, 160, 320, 32, 128, 128), True),
                         ((256, 160, 320, 32, 128, 128), False), ((384, 192, 384, 48, 128, 128), False)]:
        block = Inception(c, *widths)
        layers.append(block)
        c = block.out
        if down:
            layers.append(nn.MaxPool2d(3, 2, 1))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes))


class Dense(nn.Module):
    """A DenseNet-BC layer in nn/archs.go's conv-BN-ReLU order."""

    def __init__(self, cin, growth):
        super().__init__()
        self.body = nn.Sequential(cbr(cin, 4 * growth, 1), cbr(4 * growth, growth, 3))

    def forward(self, x):
        return torch.cat([x, self.body(x)], 1)


def densenet(cin, classes, growth=12, depth=16):
    layers, c = [cbr(cin, 2 * growth, 3)], 2 * growth
    for b in range(3):
        for _ in range(depth):
            layers.append(Dense(c, growth))
            c += growth
        if b < 2:
            layers += [cbr(c, c // 2, 1), nn.AvgPool2d(2)]
            c //= 2
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes))


ARCHS = {"resnet20": resnet20, "mobilenetv2": mobilenetv2, "vgg11": vgg11, "googlenet": googlenet, "densenet": densenet}


def main():
    arch, steps = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(2)
    torch.manual_seed(1)
    print("params", sum(p.numel() for p in ARCHS[arch](3, 10).parameters()))
    model = ARCHS[arch](1, 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 128
    x, y = torch.rand(batch, 1, 32, 32), torch.randint(0, 10, (batch,))
    loss_fn = nn.CrossEntropyLoss()
    wall, cpu = [], []
    for i in range(steps + 1):
        start, cpu0 = time.perf_counter(), time.process_time()
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
        if i > 0:  # the first step warms up
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - cpu0)
    # Medians; CPU time (both threads) is what other jobs on a shared
    # machine do not inflate.
    print("ms/step %.1f cpu-ms/step %.1f" % (1000 * sorted(wall)[len(wall) // 2], 1000 * sorted(cpu)[len(cpu) // 2]))


if __name__ == "__main__":
    main()
