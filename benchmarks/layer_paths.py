"""The hand-written transformer layer against torch's own, in a training step and in sampling.

    python benchmarks/layer_paths.py [--rounds 3] [key=value ...]

models/transformer_layer.py evaluates nn.TransformerEncoderLayer's maths token-major (the same outputs
and gradients: tests/test_fast_paths.py). This times, alternating in one process, the default model's
training step (`Trainer.epoch`, the quiz, two threads) and its sampling (µs a point, 262,144 points)
with that function, and with the nn layers called as they are. Prints each round and the medians;
asserts nothing. Run it with nothing else busy.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from commands.frames import final_fit
from commands.loop import Trainer
from commands.runtime import setup_runtime
from data import load_dataset
from models import build_model, transformer_vae
from models.transformer_layer import encoder_layers
from utils.config import load_config

Layers = Callable[[nn.Sequential, torch.Tensor], torch.Tensor]


def torch_layers(layers: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """x (T, B, H) through the nn layers themselves (batch_first: they take (B, T, H))."""
    return layers(x.transpose(0, 1)).transpose(0, 1)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("overrides", nargs="*", metavar="key=value")
    args = parser.parse_args()
    cfg = load_config(ROOT / "config.yaml", args.overrides)
    setup_runtime(cfg)
    with contextlib.redirect_stdout(io.StringIO()):
        dataset = load_dataset(cfg)
    paths: dict[str, Layers] = {"token-major (ours)": encoder_layers, "nn layer": torch_layers}
    step: dict[str, list[float]] = {name: [] for name in paths}
    sample: dict[str, list[float]] = {name: [] for name in paths}
    model = build_model(cfg, dataset.scaler)
    final_fit(model, dataset, cfg.seed)  # an untrained model samples as fast as a trained one
    for _ in range(args.rounds):
        for name, layers in paths.items():
            transformer_vae.encoder_layers = layers  # type: ignore[attr-defined,assignment]  # what encode, decode call
            trainer = Trainer(cfg, build_model(cfg, dataset.scaler), dataset.scaled, torch.device("cpu"))
            trainer.epoch(0)
            started = time.perf_counter()
            for epoch in range(1, 6):
                trainer.epoch(epoch)
            step[name].append((time.perf_counter() - started) / (5 * trainer.steps / cfg.epochs) * 1e3)
            model.sample(4096, torch.Generator().manual_seed(0))
            started = time.perf_counter()
            model.sample(262_144, torch.Generator().manual_seed(0))
            sample[name].append((time.perf_counter() - started) / 262_144 * 1e6)
        print("  ".join(f"{n}: {step[n][-1]:.2f} ms a step, {sample[n][-1]:.2f} µs a point" for n in paths), flush=True)
    print(f"\n{cfg.model}, batch {cfg.batch_size}, {torch.get_num_threads()} threads, medians of {args.rounds}:")
    print("| layer | a training step | sampling, a point |\n|---|---|---|")
    for name in paths:
        print(f"| {name} | {statistics.median(step[name]):.2f} ms | {statistics.median(sample[name]):.2f} µs |")


if __name__ == "__main__":
    main()
