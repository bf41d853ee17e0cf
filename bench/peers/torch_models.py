#!/usr/bin/python3
"""PyTorch twins of the FaceNet.NET architectures, timed the way `facenet bench` times ours.

The layer tables mirror src/FaceNet.Runtime/Models/Architectures.cs. Convolutions have bias and ReLU,
plus batch normalisation (epsilon 1e-5) in nn4-small2. LRN has size 5, alpha 1e-4, beta 0.75 and k 1.
Inception branches run in the order 3x3, 5x5, pool, 1x1. A pool branch that comes out smaller than its
block is zero-padded back to its size, and the top and left get the smaller half.

Timing: untimed warm-up runs, then the median of the timed runs. A training step is forward, semi-hard
triplet loss (margin 0.2, identities of 4 images), backward and an Adagrad update (lr 0.05, eps 1e-10).
FLOPs count 2 per multiply-add of the convolutions and fully connected layers; a training step counts
3 forward passes.

Run with Debian's PyTorch 1.13: /usr/bin/python3 bench/peers/torch_models.py --arch nn4-small2
"""
import argparse
import json
import os
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MARGIN = 0.2
IMAGES_PER_IDENTITY = 4


class ConvBlock(nn.Module):
    def __init__(self, cin, cout, k, stride=1, pad=None, bn=False):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2 if pad is None else pad, bias=True)
        self.bn = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1) if bn else None

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return F.relu(x)


class Pool(nn.Module):
    """Max, average or L2 pooling; L2 is sqrt(sum of squares), with padded cells counted as zero."""

    def __init__(self, kind, k, stride, pad=0):
        super().__init__()
        self.kind, self.k, self.stride, self.pad = kind, k, stride, pad

    def forward(self, x):
        if self.kind == "max":
            return F.max_pool2d(x, self.k, self.stride, self.pad)
        if self.kind == "avg":
            return F.avg_pool2d(x, self.k, self.stride, self.pad)
        # LPPool2d has no padding, so take the mean of squares with zero padding and scale it back to a sum.
        mean = F.avg_pool2d(x * x, self.k, self.stride, self.pad, count_include_pad=True)
        return torch.sqrt(mean * (self.k * self.k))


class Inception(nn.Module):
    def __init__(self, cin, spec, bn):
        super().__init__()
        (out1, red3, out3, red5, out5, pool, proj, stride, pk, ps, pp) = spec
        self.branches = nn.ModuleList()
        if red3 > 0:
            self.branches.append(nn.Sequential(ConvBlock(cin, red3, 1, bn=bn), ConvBlock(red3, out3, 3, stride, bn=bn)))
        if red5 > 0:
            self.branches.append(nn.Sequential(ConvBlock(cin, red5, 1, bn=bn), ConvBlock(red5, out5, 5, stride, bn=bn)))
        layers = [Pool(pool, pk, ps, pp)]
        if proj > 0:
            layers.append(ConvBlock(cin, proj, 1, bn=bn))
        self.branches.append(nn.Sequential(*layers))
        if out1 > 0:
            self.branches.append(ConvBlock(cin, out1, 1, bn=bn))

    def forward(self, x):
        outs = [b(x) for b in self.branches]
        h = max(o.shape[2] for o in outs)
        w = max(o.shape[3] for o in outs)
        padded = []
        for o in outs:
            ph, pw = h - o.shape[2], w - o.shape[3]
            if ph or pw:
                o = F.pad(o, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))
            padded.append(o)
        return torch.cat(padded, 1)


class FullyConnected(nn.Module):
    def __init__(self, fin, fout, maxout=1):
        super().__init__()
        self.linear = nn.Linear(fin, fout * maxout)
        self.fout, self.maxout = fout, maxout

    def forward(self, x):
        y = self.linear(torch.flatten(x, 1))
        if self.maxout > 1:
            y = y.view(y.shape[0], self.fout, self.maxout).max(2)[0]
        return y


class L2Normalize(nn.Module):
    def forward(self, x):
        return F.normalize(x, dim=1)


def spec(out1, red3, out3, red5, out5, pool, proj, stride=1, pk=3, ps=1, pp=1):
    return (out1, red3, out3, red5, out5, pool, proj, stride, pk, ps, pp)


def lrn():
    return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)


def max_pool():
    return Pool("max", 3, 2, 1)


def inception_net(size, d, five, bn=False):
    stem = [ConvBlock(3, 64, 7, 2, 3, bn), max_pool(), lrn(), ConvBlock(64, 64, 1, bn=bn),
            ConvBlock(64, 192, 3, bn=bn), lrn(), max_pool()]
    blocks = [
        spec(64, 96, 128, 16, 32, "max", 32),
        spec(64, 96, 128, 32, 64, "l2", 64),
        spec(0, 128, 256, 32, 64, "max", 0, stride=2, ps=2),
        spec(256, 96, 192, 32, 64, "l2", 128),
        spec(224, 112, 224, 32, 64, "l2", 128),
        spec(192, 128, 256, 32, 64, "l2", 128),
        spec(160, 144, 288, 32, 64, "l2", 128),
        spec(0, 160, 256, 64, 128, "max", 0, stride=2, ps=2),
        spec(384, 192, 384, 48 * five, 128 * five, "l2", 128),
        spec(384, 192, 384, 48 * five, 128 * five, "max", 128),
    ]
    return build(size, size, d, stem, blocks, bn, global_pool=True)


def nn4_small2(d):
    bn = True
    stem = [ConvBlock(3, 64, 7, 2, 3, bn), max_pool(), lrn(), ConvBlock(64, 64, 1, bn=bn),
            ConvBlock(64, 192, 3, 1, 1, bn), lrn(), max_pool()]
    blocks = [
        spec(64, 96, 128, 16, 32, "max", 32, ps=2, pp=0),
        spec(64, 96, 128, 32, 64, "l2", 64, ps=3, pp=0),
        spec(0, 128, 256, 32, 64, "max", 0, stride=2, ps=2, pp=0),
        spec(256, 96, 192, 32, 64, "l2", 128, ps=3, pp=0),
        spec(0, 160, 256, 64, 128, "max", 0, stride=2, ps=2, pp=0),
        spec(256, 96, 384, 0, 0, "l2", 96, ps=3, pp=0),
        spec(256, 96, 384, 0, 0, "max", 96, ps=2, pp=0),
    ]
    return build(96, 96, d, stem, blocks, bn, global_pool=True)


def nns1(d):
    stem = [ConvBlock(3, 48, 7, 2, 3), max_pool(), lrn(), ConvBlock(48, 48, 1), ConvBlock(48, 80, 3), lrn(),
            max_pool()]
    blocks = [
        spec(32, 48, 64, 8, 16, "max", 16),
        spec(0, 64, 128, 16, 32, "max", 0, stride=2, ps=2),
        spec(128, 96, 192, 16, 32, "l2", 64),
        spec(0, 128, 256, 32, 64, "max", 0, stride=2, ps=2),
    ]
    return build(165, 165, d, stem, blocks, False, global_pool=False, fc_hidden=480)


def nns2(d):
    stem = [ConvBlock(3, 16, 5, 2, 2), max_pool(), ConvBlock(16, 24, 3), max_pool()]
    blocks = [
        spec(16, 16, 32, 0, 0, "max", 16),
        spec(0, 32, 64, 0, 0, "max", 0, stride=2, ps=2),
        spec(0, 64, 128, 0, 0, "max", 0, stride=2, ps=2),
        spec(96, 64, 128, 0, 0, "l2", 32),
    ]
    return build(140, 116, d, stem, blocks, False, global_pool=False, fc_hidden=384)


def nn1(d):
    layers = [ConvBlock(3, 64, 7, 2, 3), max_pool(), lrn(), ConvBlock(64, 64, 1), ConvBlock(64, 192, 3), lrn(),
              max_pool(), ConvBlock(192, 192, 1), ConvBlock(192, 384, 3), max_pool(), ConvBlock(384, 384, 1),
              ConvBlock(384, 256, 3), ConvBlock(256, 256, 1), ConvBlock(256, 256, 3), ConvBlock(256, 256, 1),
              ConvBlock(256, 256, 3), max_pool(), FullyConnected(7 * 7 * 256, 32 * 128, 2),
              FullyConnected(32 * 128, 32 * 128, 2), FullyConnected(32 * 128, d), L2Normalize()]
    return nn.Sequential(*layers), (220, 220)


def build(height, width, d, stem, blocks, bn, global_pool, fc_hidden=0):
    layers = list(stem)
    x = torch.zeros(1, 3, height, width)
    with torch.no_grad():
        for m in stem:
            m.eval()
            x = m(x)
        for s in blocks:
            block = Inception(x.shape[1], s, bn)
            block.eval()
            x = block(x)
            layers.append(block)
    if global_pool:
        layers += [Pool("avg", x.shape[2], 1), FullyConnected(x.shape[1], d)]
    else:
        layers += [FullyConnected(x[0].numel(), fc_hidden, 2), FullyConnected(fc_hidden, d)]
    layers.append(L2Normalize())
    return nn.Sequential(*layers), (height, width)


ARCHITECTURES = {
    "nn1": nn1,
    "nn2": lambda d: inception_net(224, d, 1),
    "nn3": lambda d: inception_net(160, d, 1),
    "nn4": lambda d: inception_net(96, d, 0),
    "nns1": nns1,
    "nns2": nns2,
    "nn4-small2": nn4_small2,
}


def count_multiply_adds(model, height, width):
    """Multiply-adds of one image's forward pass: convolution and fully connected weights per output."""
    total = [0]

    def conv_hook(module, _inputs, output):
        k = module.kernel_size[0] * module.kernel_size[1]
        total[0] += output[0].numel() * module.in_channels * k

    def linear_hook(module, _inputs, output):
        total[0] += module.in_features * module.out_features

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, height, width))
    for h in hooks:
        h.remove()
    return total[0]


def semi_hard_triplet_loss(embeddings, labels, margin=MARGIN):
    """Mean of max(d_ap - d_an + margin, 0) over anchor-positive pairs with the closest semi-hard negative."""
    distances = torch.cdist(embeddings, embeddings).pow(2)
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool)
    anchors, positives = torch.nonzero(same & ~eye, as_tuple=True)
    d_ap = distances[anchors, positives]
    d_an = distances[anchors]
    candidate = (~same[anchors]) & (d_an > d_ap[:, None]) & (d_an < d_ap[:, None] + margin)
    masked = torch.where(candidate, d_an, torch.full_like(d_an, float("inf")))
    closest, _ = masked.min(1)
    valid = torch.isfinite(closest)
    if not bool(valid.any()):
        return embeddings.sum() * 0
    return F.relu(d_ap[valid] - closest[valid] + margin).mean()


def median_seconds(run, warmup, runs):
    """Returns the median wall time of the timed runs and the CPU utilisation over them."""
    for _ in range(warmup):
        run()
    times = []
    cpu_before = time.process_time()
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    utilization = (time.process_time() - cpu_before) / (sum(times) * (os.cpu_count() or 1))
    return statistics.median(times), utilization


def load_average():
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def measure(arch, batch, train_batch, mode, warmup, runs, peak_gflops):
    torch.manual_seed(1)
    model, (height, width) = ARCHITECTURES[arch](128)
    macs = count_multiply_adds(model, height, width)
    rows = {}
    if mode in ("inference", "both"):
        model.eval()
        images = torch.rand(batch, 3, height, width) * 2 - 1

        def infer():
            with torch.no_grad():
                model(images)

        seconds, utilization = median_seconds(infer, warmup, runs)
        rows["inference"] = row(arch, batch, seconds, 2.0 * macs * batch, runs, peak_gflops, utilization)
    if mode in ("training", "both"):
        model.train()
        images = torch.rand(train_batch, 3, height, width) * 2 - 1
        labels = torch.arange(train_batch) // IMAGES_PER_IDENTITY
        optimizer = torch.optim.Adagrad(model.parameters(), lr=0.05, eps=1e-10)

        def train():
            optimizer.zero_grad(set_to_none=False)
            loss = semi_hard_triplet_loss(model(images), labels)
            loss.backward()
            optimizer.step()

        seconds, utilization = median_seconds(train, warmup, runs)
        rows["training"] = row(arch, train_batch, seconds, 6.0 * macs * train_batch, runs, peak_gflops,
                               utilization)
    return rows, macs


def row(arch, batch, seconds, flops, runs, peak_gflops, utilization):
    gflops = flops / seconds / 1e9
    return {
        "arch": arch,
        "batch": batch,
        "imagesPerSecond": batch / seconds,
        "gflops": gflops,
        "peakFraction": gflops / peak_gflops if peak_gflops > 0 else float("nan"),
        "medianSeconds": seconds,
        "runs": runs,
        "loadAverage": load_average(),
        "backend": f"pytorch-{torch.__version__}",
        "cpuUtilization": utilization,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="nn4-small2", choices=sorted(ARCHITECTURES))
    parser.add_argument("--batch", type=int, default=64, help="images per inference run")
    parser.add_argument("--train-batch", type=int, help="images per training step (default: --batch)")
    parser.add_argument("--mode", default="both", choices=["inference", "training", "both"])
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs before timing")
    parser.add_argument("--runs", type=int, default=5, help="timed runs; the median is reported")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch.set_num_threads value")
    parser.add_argument("--peak-gflops", type=float, default=0.0, help="CPU peak for peakFraction")
    parser.add_argument("--print-macs", action="store_true", help="print multiply-adds per image and exit")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    if args.print_macs:
        model, (height, width) = ARCHITECTURES[args.arch](128)
        print(count_multiply_adds(model, height, width))
        return
    rows, _ = measure(args.arch, args.batch, args.train_batch or args.batch, args.mode, args.warmup, args.runs,
                      args.peak_gflops)
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
