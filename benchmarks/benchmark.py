"""Time the default run and generation on this machine; prints figures, asserts nothing.

    python benchmarks/benchmark.py [key=value ...]      (same overrides as main.py)

Runs `commands.run_train` itself, with timers wrapped around its phases, so what is timed is
exactly what `python main.py` does. Run it with nothing else busy on the machine.
"""

from __future__ import annotations

import math
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch

import commands
from models import restore_model, sample_points
from utils import plotting
from utils.checkpoint import CHECKPOINT_NAME, load_checkpoint
from utils.config import load_config

SECONDS: dict[str, float] = defaultdict(float)


def timed(owner, name: str, phase: str) -> None:
    """Replace owner.name by a wrapper that adds its wall time to SECONDS[phase]."""
    inner = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            SECONDS[phase] += time.perf_counter() - start

    setattr(owner, name, wrapper)


def main(overrides: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_config(ROOT / "config.yaml", [f"result_path={tmp}", *overrides])
        timed(commands, "load_dataset", "data loading")
        timed(commands, "train", "training loop (with frames)")
        timed(commands, "draw_samples", "sampling for frames and samples.npy")
        timed(plotting, "save_frame", "plotting frames")
        timed(plotting, "save_gif", "GIF")
        timed(plotting, "save_loss_plot", "loss plot")
        timed(commands, "write_evaluation", "evaluation")
        start = time.perf_counter()
        outputs = commands.run_train(cfg)
        total = time.perf_counter() - start

        frame_sampling = SECONDS["sampling for frames and samples.npy"]
        training = SECONDS["training loop (with frames)"] - SECONDS["plotting frames"] - frame_sampling
        steps = len(outputs.history["total"]) * math.ceil(5000 / cfg.batch_size)
        pictures = SECONDS["plotting frames"] + SECONDS["GIF"] + SECONDS["loss plot"]

        model, scaler = restore_model(load_checkpoint(Path(tmp) / CHECKPOINT_NAME))
        sample_points(model, scaler, 10_000, seed=0)  # warm up
        start = time.perf_counter()
        million = sample_points(model, scaler, 1_000_000, seed=0)
        generate = time.perf_counter() - start
        assert million.shape == (1_000_000, scaler.n_features)

    print(
        f"\nbenchmark: {cfg.model}, {cfg.epochs} epochs, batch {cfg.batch_size}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads"
    )
    print("| phase | seconds | share |\n|---|---|---|")
    rows = {
        "data loading": SECONDS["data loading"],
        "training steps": training,
        "sampling (frames, samples.npy)": frame_sampling,
        "plotting frames + GIF + loss plot": pictures,
        "evaluation": SECONDS["evaluation"],
    }
    rows["other (startup, checkpoint, files)"] = total - sum(rows.values())
    for name, seconds in rows.items():
        print(f"| {name} | {seconds:.1f} | {seconds / total:.0%} |")
    print(f"| **whole run** | **{total:.1f}** | |")
    print(f"\ntraining steps per second: {steps / training:.0f} ({steps} steps)")
    print(f"generate 1,000,000 points: {generate:.2f} s")
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main(sys.argv[1:])
