"""The points a run draws: a frame every epoch while it trains, and samples.npy at its end.

Every draw is the model's own sampling (models/vae.py): the prior and the output noise are fitted on
training points (`calibrate`), then points are drawn with the run's seed, the same noise every time,
so that the frames show the model changing, not the dice.

A frame comes every epoch, so its fit is a small one: the prior and the noise on a fixed FRAME_POINTS
of the training points (they are in random order), in FRAME_STEPS EM steps that start from the
previous frame's memberships of those same points (k-means for the first). The points carry their
memberships as the encoder moves them, so a component follows its points; warm-starting from the
previous frame's means and covariances instead, which the moved latents no longer fit, drifted into a
poor fit in an earlier version. Frames are as close to the full fit as a fresh k-means start in 3 EM
steps was, at a third of its cost (benchmarks/RESULTS.md, "Speed"). A frame shows FRAME_DRAWN points,
as many as the report's pictures of real and generated points. The end of the run fits afresh on
every training point in up to FINAL_STEPS steps: its points are samples.npy, and the last frame's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from commands.loop import History, frame_epochs
from data import Dataset
from models import sample_points
from models.vae import VAE
from utils import plotting
from utils.config import Config
from utils.timing import Phases

FRAME_POINTS = 1000  # training points a frame's prior and noise are fitted on
FRAME_STEPS = 2  # EM steps of a frame's fit
FRAME_DRAWN = 2500  # points a frame shows (fewer if num_gen_points is smaller)
FINAL_STEPS = 200  # EM steps (at most) of the end of a run's fit


class Frames:
    """The frames of a run, into `folder` (epoch_001.png, ...) at frame_epochs(cfg); `memberships` (FRAME_POINTS, K)
    carry one frame's fit to the next; at the last epoch, `samples` holds samples.npy's points."""

    def __init__(self, cfg: Config, dataset: Dataset, folder: Path, memberships: torch.Tensor | None = None):
        self.cfg, self.dataset, self.folder, self.memberships = cfg, dataset, folder, memberships
        self.epochs = set(frame_epochs(cfg))
        self.samples: np.ndarray | None = None

    def __call__(self, model: VAE, epoch: int, history: History, phases: Phases) -> None:
        """After a finished epoch: the frame's fit, its points, its PNG (if this epoch has a frame)."""
        if epoch not in self.epochs:
            return
        cfg, dataset = self.cfg, self.dataset
        with phases("sampling"):
            if epoch < cfg.epochs:
                x = torch.from_numpy(dataset.scaled[:FRAME_POINTS]).to(model.device)
                rng = torch.Generator().manual_seed(cfg.seed)
                self.memberships = model.calibrate(x, rng, FRAME_STEPS, self.memberships)
            else:  # the last frame: the full fit, samples.npy's
                final_fit(model, dataset, cfg.seed)
                self.samples = sample_points(model, dataset.scaler, cfg.num_gen_points, cfg.seed)
            points = sample_points(model, dataset.scaler, min(cfg.num_gen_points, FRAME_DRAWN), cfg.seed)
        with phases("frames"):
            title = f"epoch {epoch}/{cfg.epochs} · β={history['beta'][-1]:.3g} · loss {history['total'][-1]:.3g}"
            # not flushed to the disk: a frame a power cut loses is drawn again by the resumed run
            plotting.save_frame(self.folder / f"epoch_{epoch:03d}.png", points, dataset.canvas, title, durable=False)


def final_fit(model: VAE, dataset: Dataset, seed: int) -> None:
    """The end of a run's fit: the prior and the noise on every training point, afresh, in up to FINAL_STEPS."""
    model.calibrate(torch.from_numpy(dataset.scaled).to(model.device), torch.Generator().manual_seed(seed), FINAL_STEPS)
