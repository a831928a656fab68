"""What a frame costs and how close it comes to what the run's final samples would look like at that epoch.

    python benchmarks/frame_cost.py [--pictures quiz,logo.png,dots.png] [--at 5,30,75,120,149] [--seed 0]

Trains the default model on each picture (frames off) and, at the chosen epochs, draws a frame's points
(commands/frames.py: the prior and noise fitted on FRAME_POINTS training points in FRAME_STEPS EM steps)
with each variant below, and the full fit's (every training point, up to 200 steps: what samples.npy
would be if the run ended there). Fidelity is the c2st of gradient-boosted trees telling a frame's
points from the full fit's (0.5: the frame looks like the final samples at that epoch). `warm` starts
each frame's EM from the memberships of the previous frame's (every epoch), the alternative to a fresh
fit that this benchmark weighs. Prints the fidelity per epoch and the milliseconds a frame's fit and
draw take (medians); asserts nothing. Run it with nothing else busy for the times.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pictures import make_pictures
from benchmarks.quality import OUT, data_overrides
from commands import frames
from commands.loop import History, train
from data import Dataset, load_dataset
from models import build_model, sample_points
from models.vae import VAE
from utils.config import load_config
from utils.metrics import c2st_trees

POINTS = 2500  # points a frame draws (frames.FRAME_DRAWN)
FRESH = {"fresh: k-means, 3 EM steps": 3, "fresh: k-means, 5 EM steps": 5}
WARM = {"warm: 2 EM steps (the default)": 2, "warm: 1 EM step": 1}


def _subset(model: VAE, dataset: Dataset) -> torch.Tensor:
    return torch.from_numpy(dataset.scaled[: frames.FRAME_POINTS]).to(model.device)


def measure(picture: str, at: set[int], seed: int) -> None:
    cfg = load_config(ROOT / "config.yaml", [*data_overrides(picture), f"seed={seed}", "gen_every_epochs=0"])
    with contextlib.redirect_stdout(io.StringIO()):
        dataset = load_dataset(cfg)
    model = build_model(cfg, dataset.scaler)
    memberships: dict[str, torch.Tensor | None] = dict.fromkeys(WARM)
    seconds: dict[str, list[float]] = {name: [] for name in [*FRESH, *WARM, "full"]}
    fidelity: dict[str, list[float]] = {name: [] for name in [*FRESH, *WARM]}
    to_model = dataset.scaler.to_model

    def frame(name: str, fit: Callable[[], object], on: VAE) -> np.ndarray:
        """Time the fit and the draw of a frame's points."""
        started = time.perf_counter()
        fit()
        points = sample_points(on, dataset.scaler, POINTS, seed)
        seconds[name].append(time.perf_counter() - started)
        return points

    def on_epoch_end(epoch: int, history: History) -> None:
        drawn = {}
        for name, steps in WARM.items():  # every epoch: a warm fit starts from the last one's memberships

            def warm(name: str = name, steps: int = steps) -> None:
                memberships[name] = model.calibrate(_subset(model, dataset), rng(), steps, memberships[name])

            drawn[name] = frame(name, warm, model)
        if epoch not in at:
            return
        full = copy.deepcopy(model)
        final = frame("full", lambda: frames.final_fit(full, dataset, seed), full)
        for name, steps in FRESH.items():
            fresh = copy.deepcopy(model)

            def fit(fresh: VAE = fresh, steps: int = steps) -> None:
                fresh.calibrate(_subset(fresh, dataset), rng(), steps)

            drawn[name] = frame(name, fit, fresh)
        for name, points in drawn.items():
            fidelity[name].append(c2st_trees(to_model(final), to_model(points), seed))

    def rng() -> torch.Generator:
        return torch.Generator().manual_seed(seed)

    with contextlib.redirect_stdout(io.StringIO()):
        train(cfg, model, dataset.scaled, torch.device("cpu"), None, on_epoch_end)
    print(f"\n{picture}, seed {seed}: c2st of a frame's points against the full fit's, epochs {sorted(at)}")
    print("| frame | " + " | ".join(f"epoch {e}" for e in sorted(at)) + " | mean | ms a frame |")
    print("|---" * (len(at) + 3) + "|")
    for name, values in fidelity.items():
        cells = " | ".join(f"{v:.3f}" for v in values)
        ms = 1e3 * statistics.median(seconds[name])
        print(f"| {name} | {cells} | {np.mean(values):.3f} | {ms:.1f} |")
    print(f"| full fit (every training point) | {' | ' * len(at)} | {1e3 * statistics.median(seconds['full']):.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", default="quiz,logo.png,dots.png")
    parser.add_argument("--at", default="5,30,75,120,149")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(2)
    make_pictures(OUT)
    for picture in args.pictures.split(","):
        measure(picture, {int(e) for e in args.at.split(",")}, args.seed)


if __name__ == "__main__":
    main()
