"""Time the default run and generation on this machine; prints figures, asserts nothing.

    python benchmarks/benchmark.py [key=value ...]      (same overrides as main.py)

Runs `commands.run_train` itself, with timers wrapped around its phases, so what is timed is
exactly what `python main.py` does (less the interpreter's start and the imports: `time python
main.py` adds those). Then times 1,000,000 points from the checkpoint. Run it with nothing else
busy on the machine: two torch processes on 2 cores slow each other many times over.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch

import commands
from models import restore_model, sample_points
from utils import plotting
from utils.checkpoint import CHECKPOINT_NAME, load_checkpoint
from utils.config import load_config

SECONDS: dict[str, float] = defaultdict(float)


def timed(owner: Any, name: str, phase: str) -> None:
    """Replace owner.name by a wrapper that adds its wall time to SECONDS[phase]."""
    inner: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
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
        timed(commands, "draw_samples", "frame and final sampling")
        timed(plotting, "save_frame", "frames (drawing)")
        timed(commands, "publish_pictures", "GIF, loss plot, side-by-side, latent plot")
        timed(commands, "score", "evaluation")
        timed(commands, "train_report", "report.html")
        start = time.perf_counter()
        outputs = commands.run_train(cfg)
        total = time.perf_counter() - start

        steps = sum(1 for _ in range(0, len(outputs.dataset.train), cfg.batch_size)) * cfg.epochs
        sampling, drawing = SECONDS["frame and final sampling"], SECONDS["frames (drawing)"]
        training = SECONDS["training loop (with frames)"] - sampling - drawing
        model, scaler = restore_model(load_checkpoint(Path(tmp) / CHECKPOINT_NAME))
        sample_points(model, scaler, 10_000, seed=0)  # warm up
        times = []
        for repeat in range(3):
            start = time.perf_counter()
            million = sample_points(model, scaler, 1_000_000, seed=repeat)
            times.append(time.perf_counter() - start)
        assert million.shape == (1_000_000, scaler.n_features)

    print(
        f"\nbenchmark: {cfg.model}, {cfg.epochs} epochs, batch {cfg.batch_size}, {outputs.dataset.describe()}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    print("| phase | seconds | share |\n|---|---|---|")
    rows = {
        "data loading": SECONDS["data loading"],
        f"training steps ({steps} steps, {steps / training:.0f} steps/s)": training,
        f"sampling: {len(outputs.snapshots)} frames and samples.npy": sampling,
        "drawing the frames": drawing,
        "GIF, loss plot, side-by-side, latent plot": SECONDS["GIF, loss plot, side-by-side, latent plot"],
        "evaluation": SECONDS["evaluation"],
        "report.html": SECONDS["report.html"],
    }
    rows["other (checkpoints every epoch, files)"] = total - sum(rows.values())
    for name, seconds in rows.items():
        print(f"| {name} | {seconds:.1f} | {seconds / total:.0%} |")
    print(f"| **whole run, in-process** | **{total:.1f}** | |")
    pictures = sampling + drawing + SECONDS["GIF, loss plot, side-by-side, latent plot"] + SECONDS["report.html"]
    print(f"\npictures and frame sampling: {pictures:.1f} s, {pictures / total:.0%} of the run")
    print(f"generate 1,000,000 points: {', '.join(f'{t:.2f}' for t in times)} s (median {sorted(times)[1]:.2f} s)")
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main(sys.argv[1:])
