"""CIFAR ResNet-20 / ResNet-56 training benchmark (rows 7 and 8 of descent's speed suite).

  --depth 20|56  : He et al. 2016's CIFAR ResNets as Li et al. 2018 use them
                   (tomgoldstein/loss-landscape's ResNet_cifar, projection shortcuts);
                   the definition is crates/descent-models/scripts/torch_reference.py's ResNet
  --mode train   : zero_grad + forward (train mode) + cross-entropy + backward + SGD(momentum 0.9)

Input 3x32x32 float32 NCHW, synthetic data, fixed seed. Follows shared/bench/torch/bench_vgg.py
and imports its helpers (common.py) from TORCH_BENCH_DIR (default: ../shared/bench/torch next to
the repository), as bench/compare.sh runs it.
"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.environ.get("TORCH_BENCH_DIR", os.path.join(ROOT, "..", "shared", "bench", "torch")))
sys.path.insert(0, os.path.join(ROOT, "crates", "descent-models", "scripts"))

from common import CpuMonitor, add_common_args, count_flops, emit, setup, stats  # noqa: E402
from torch_reference import ResNet  # noqa: E402


def main():
    p = add_common_args(argparse.ArgumentParser(description=__doc__))
    p.add_argument("--depth", type=int, choices=[20, 32, 44, 56, 110], default=20)
    p.add_argument("--mode", choices=["train"], default="train")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--warmup", type=int, default=None)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--pool", type=int, default=4, help="number of distinct synthetic batches")
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--momentum", type=float, default=0.9)
    args = p.parse_args()
    # descent's suite: 5 + 30 steps for ResNet-20, 3 + 15 for ResNet-56.
    warmup = args.warmup if args.warmup is not None else (5 if args.depth <= 20 else 3)
    steps = args.steps if args.steps is not None else (30 if args.depth <= 20 else 15)
    setup(args)

    model = ResNet(args.depth)
    n_params = sum(p.numel() for p in model.parameters())
    xs = [torch.randn(args.batch, 3, 32, 32) for _ in range(args.pool)]
    ys = [torch.randint(0, 10, (args.batch,)) for _ in range(args.pool)]

    model.train()
    train_flops_img = count_flops(lambda: F.cross_entropy(model(xs[0]), ys[0]).backward()) / args.batch
    model.zero_grad(set_to_none=True)
    setup(args)
    model = ResNet(args.depth)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)

    def step(i):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xs[i % args.pool]), ys[i % args.pool])
        loss.backward()
        opt.step()
        return loss

    for i in range(warmup):
        step(i)
    times = []
    with CpuMonitor() as mon:
        for i in range(steps):
            t0 = time.perf_counter()
            out = step(i)
            times.append(time.perf_counter() - t0)
    s = stats(times)
    emit(
        f"resnet{args.depth}_{args.mode}",
        run=args.run,
        batch=args.batch,
        steps=steps,
        warmup=warmup,
        params=n_params,
        step_s=s,
        images_per_s=args.batch / s["median"],
        images_per_s_best=args.batch / s["min"],
        train_flops_per_image=train_flops_img,
        gflops_per_s=train_flops_img * args.batch / s["median"] / 1e9,
        last=float(out.detach().float().mean()),
        foreign_cpu_frac=round(mon.foreign_cpu_frac, 4),
    )


if __name__ == "__main__":
    main()
