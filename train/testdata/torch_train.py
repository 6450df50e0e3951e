"""PyTorch twin of `edgecnn train --arch ARCH --data fashion` with its
defaults (train.Defaults), for the accuracy and seconds-per-epoch
comparison in BENCHMARKS.md.

    /usr/bin/python3 train/testdata/torch_train.py ARCH OUT.csv [--epochs N] [--limit N] [--sharded-bn] [--resume]

The recipe is the trainer's, step for step:
- data: Fashion-MNIST from /usr/share/datasets/fashion-mnist, each 28x28
  image padded with 2 zero pixels to 32x32, normalised with the padded
  training set's mean and standard deviation;
- augmentation: a random translation of up to 2 pixels each way (zero
  fill) and a random horizontal flip, drawn per image, reshuffled every epoch;
- batch 128 (the last batch of an epoch is short), SGD with momentum 0.9,
  weight decay 5e-4 on weights only (convolution, linear and batch-norm
  scales; never biases), learning rate 0.1 on a cosine schedule stepped
  every batch, 20 epochs, 2 threads;
- initialisation: He normal for a layer followed by ReLU or ReLU6 (through
  a batch norm or not), Glorot uniform otherwise, zero biases;
- batch norm: momentum 0.1, eps 1e-5. The trainer is data-parallel over its
  2 threads, so each half of a batch is normalised with its own statistics
  while the running statistics are the whole batch's; --sharded-bn does the
  same here (ShardedBatchNorm). It costs PyTorch about 40% more per step
  (split, concatenation and a second pass for the statistics), so it is off
  by default: the twin then is plain PyTorch, batch norm over the whole batch.

Every epoch appends a row to OUT.csv in the columns of edgecnn's metrics
CSV (epoch, loss, train_top1, test_top1, seconds, images_per_s, lr,
test_loss), plus cpu_seconds; seconds is the wall time of the training
steps only, as edgecnn's. OUT.ckpt holds the state after each epoch, and
--resume continues from it.
"""
import argparse
import gzip
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_step import ARCHS

FASHION = "/usr/share/datasets/fashion-mnist"
THREADS = 2


def load_fashion(train):
    prefix = "train" if train else "t10k"
    with gzip.open(os.path.join(FASHION, prefix + "-images-idx3-ubyte.gz")) as f:
        raw = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(os.path.join(FASHION, prefix + "-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    images = np.zeros((len(raw), 1, 32, 32), np.uint8)
    images[:, 0, 2:30, 2:30] = raw
    return images, labels


def augment(images, rng, shift=2):
    """Translates each image by dx, dy in [-shift, shift] (zero fill) after
    flipping it left to right with probability 1/2."""
    n, _, h, w = images.shape
    flip = rng.integers(0, 2, n).astype(bool)
    src = images.copy()
    src[flip] = src[flip, :, :, ::-1]
    padded = np.pad(src, ((0, 0), (0, 0), (shift, shift), (shift, shift)))
    dy, dx = rng.integers(-shift, shift + 1, n), rng.integers(-shift, shift + 1, n)
    out = np.empty_like(images)
    for i in range(n):
        y0, x0 = shift - dy[i], shift - dx[i]
        out[i] = padded[i, :, y0:y0 + h, x0:x0 + w]
    return out


class ShardedBatchNorm(nn.BatchNorm2d):
    """BatchNorm2d that, in training, normalises each of THREADS contiguous
    shards of the batch with the shard's own statistics (as the trainer's
    workers do) and moves the running statistics with the whole batch's."""

    def forward(self, x):
        if not self.training:
            return super().forward(x)
        shard = -(-x.shape[0] // THREADS)
        parts = [F.batch_norm(p, None, None, self.weight, self.bias, True, 0.0, self.eps) for p in x.split(shard)]
        with torch.no_grad():
            n = x.numel() / x.shape[1]
            mean = x.mean((0, 2, 3))
            var = x.var((0, 2, 3), unbiased=False) * n / max(n - 1, 1)
            self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
            self.running_var.mul_(1 - self.momentum).add_(self.momentum * var)
        return torch.cat(parts)


def shard_batch_norms(module):
    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d):
            setattr(module, name, ShardedBatchNorm(child.num_features))
        else:
            shard_batch_norms(child)


def init(model, gen):
    """edgecnn's train.Init: He normal before ReLU/ReLU6, Glorot uniform
    otherwise, zero biases, identity batch norms."""
    leaves = [m for m in model.modules() if not list(m.children())]
    for i, m in enumerate(leaves):
        if isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
            continue
        if not isinstance(m, (nn.Conv2d, nn.Linear)):
            continue
        j = i + 1
        if j < len(leaves) and isinstance(leaves[j], nn.BatchNorm2d):
            j += 1
        w = m.weight
        fan_in = w[0].numel()
        if j < len(leaves) and isinstance(leaves[j], (nn.ReLU, nn.ReLU6)):
            with torch.no_grad():
                w.normal_(0, math.sqrt(2 / fan_in), generator=gen)
        else:
            fan_out = w.shape[0] * (w[0, 0].numel() if w.dim() == 4 else 1)
            limit = math.sqrt(6 / (fan_in + fan_out))
            with torch.no_grad():
                w.uniform_(-limit, limit, generator=gen)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


def evaluate(model, images, labels, mean, std):
    model.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for lo in range(0, len(images), 500):
            x = (torch.from_numpy(images[lo:lo + 500]).float() / 255 - mean) / std
            y = torch.from_numpy(labels[lo:lo + 500])
            z = model(x)
            loss += F.cross_entropy(z, y, reduction="sum").item()
            correct += (z.argmax(1) == y).sum().item()
    model.train()
    return correct / len(images), loss / len(images)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("arch", choices=sorted(ARCHS))
    ap.add_argument("out", help="metrics CSV; OUT.ckpt beside it holds the checkpoint")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--limit", type=int, default=0, help="train on the first N images only (smoke tests)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sharded-bn", action="store_true", help="normalise each thread's half of a batch apart, as edgecnn")
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(THREADS)
    torch.manual_seed(args.seed)

    train_x, train_y = load_fashion(True)
    test_x, test_y = load_fashion(False)
    if args.limit:
        train_x, train_y = train_x[:args.limit], train_y[:args.limit]
    scaled = train_x.astype(np.float64) / 255
    mean, std = float(scaled.mean()), float(scaled.std())
    del scaled

    model = ARCHS[args.arch](1, 10)
    if args.sharded_bn:
        shard_batch_norms(model)
    init(model, torch.Generator().manual_seed(args.seed))
    decay = [p for n, p in model.named_parameters() if n.endswith("weight")]
    plain = [p for n, p in model.named_parameters() if not n.endswith("weight")]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": 5e-4}, {"params": plain, "weight_decay": 0}],
                          lr=0.1, momentum=0.9)
    batch = 128
    batches = -(-len(train_x) // batch)
    total = args.epochs * batches
    ckpt = os.path.splitext(args.out)[0] + ".ckpt"
    first = 0
    if args.resume:
        state = torch.load(ckpt)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        first = state["epoch"]
    elif os.path.exists(args.out):
        os.remove(args.out)
    if first == 0:
        with open(args.out, "w") as f:
            f.write("epoch,loss,train_top1,test_top1,seconds,images_per_s,lr,test_loss,cpu_seconds\n")
    print("training %s on fashion (%d images, test %d) for %d epochs, batch %d, sgd lr 0.1, %d threads%s"
          % (args.arch, len(train_x), len(test_x), args.epochs, batch, THREADS,
             ", batch norm per thread" if args.sharded_bn else ""), flush=True)

    mean_t, std_t = torch.tensor(mean), torch.tensor(std)
    model.train()
    for epoch in range(first, args.epochs):
        rng = np.random.default_rng([args.seed, epoch])
        order = rng.permutation(len(train_x))
        seconds = cpu = loss_sum = 0.0
        correct = 0
        for b in range(batches):
            wall0, cpu0 = time.perf_counter(), time.process_time()
            idx = order[b * batch:(b + 1) * batch]
            x = (torch.from_numpy(augment(train_x[idx], rng)).float() / 255 - mean_t) / std_t
            y = torch.from_numpy(train_y[idx])
            lr = 0.1 * 0.5 * (1 + math.cos(math.pi * (epoch * batches + b) / total))
            for g in opt.param_groups:
                g["lr"] = lr
            opt.zero_grad()
            z = model(x)
            loss = F.cross_entropy(z, y)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += (z.argmax(1) == y).sum().item()
            seconds += time.perf_counter() - wall0
            cpu += time.process_time() - cpu0
            if (b + 1) % 47 == 0:
                print("epoch %d/%d %d/%d loss %.4f" % (epoch + 1, args.epochs, b + 1, batches, loss.item()), flush=True)
        top1, test_loss = evaluate(model, test_x, test_y, mean_t, std_t)
        end_lr = 0.1 * 0.5 * (1 + math.cos(math.pi * (epoch + 1) * batches / total))
        with open(args.out, "a") as f:
            f.write("%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n" % (
                epoch + 1, loss_sum / len(train_x), correct / len(train_x), top1, seconds,
                len(train_x) / seconds, end_lr, test_loss, cpu))
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": epoch + 1}, ckpt + ".tmp")
        os.replace(ckpt + ".tmp", ckpt)
        print("epoch %d/%d test top-1 %.2f%% %.1f s (cpu %.1f s)" % (epoch + 1, args.epochs, 100 * top1, seconds, cpu), flush=True)


if __name__ == "__main__":
    main()
