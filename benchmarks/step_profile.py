"""Where a training step's time goes: its FLOPs, its time, the rate it reaches, the machine's matmul rate,
and the operators that take the time.

    python benchmarks/step_profile.py [--root CHECKOUT] [--epochs 20] [--profile] [key=value ...]

Builds the default model (config.yaml + the overrides) on the run's training points and times
`Trainer.epoch` of commands/loop.py, the loop a run uses, after two warm-up epochs. `--root` times
another checkout of pi-vae with the same script (an earlier version, `git worktree add ../old REV`),
so that two versions are timed in one session. Prints figures and asserts nothing; run it with
nothing else busy on the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to time (default: this one)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="also print torch.profiler's top operators")
    parser.add_argument("overrides", nargs="*", metavar="key=value")
    args = parser.parse_args()
    sys.path.insert(0, str(args.root.resolve()))

    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from commands.loop import Trainer
    from commands.runtime import setup_runtime
    from data import load_dataset
    from models import build_model
    from utils.config import load_config

    cfg = load_config(args.root / "config.yaml", args.overrides)
    setup_runtime(cfg)
    with contextlib.redirect_stdout(io.StringIO()):
        dataset = load_dataset(cfg)
    model = build_model(cfg, dataset.scaler)
    trainer = Trainer(cfg, model, dataset.scaled, torch.device("cpu"))
    steps = -(-len(dataset.train) // cfg.batch_size)

    batch = torch.from_numpy(dataset.scaled[: cfg.batch_size])
    with FlopCounterMode(display=False) as counter:
        model.loss(batch, 0.05).total.backward()  # type: ignore[no-untyped-call]  # no annotations in torch 2.13
    flops = counter.get_total_flops()
    model.zero_grad()

    for epoch in range(2):
        trainer.epoch(epoch)
    began = time.perf_counter()
    for epoch in range(2, 2 + args.epochs):
        trainer.epoch(epoch)
    per_step = (time.perf_counter() - began) / (args.epochs * steps)

    a = torch.randn(1024, 1024)
    a @ a
    began = time.perf_counter()
    for _ in range(20):
        a @ a
    matmul = 20 * 2 * 1024**3 / (time.perf_counter() - began)

    threads = torch.get_num_threads()
    print(f"{args.root.name}: {cfg.model}, batch {cfg.batch_size}, {threads} threads, torch {torch.__version__}")
    print(f"  a step (forward and backward of the loss): {flops / 1e6:.1f} MFLOP")
    rate = flops / per_step / 1e9
    print(f"  {per_step * 1e3:.2f} ms a step, {cfg.batch_size / per_step:,.0f} points/s, {rate:.1f} GFLOP/s")
    print(f"  1024 x 1024 matmul on this machine: {matmul / 1e9:.0f} GFLOP/s")
    if args.profile:
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU]) as prof:
            trainer.epoch(2 + args.epochs)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))


if __name__ == "__main__":
    main()
