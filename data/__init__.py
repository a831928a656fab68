"""Datasets: the quiz's colored π or the built-in synthetic one, in data units, with their scaler."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data.quiz import QUIZ_FILES, load_quiz, quiz_files_present
from data.scaling import FEATURES, Scaler, round_to_grid
from data.synthetic import synthetic_pi
from utils.config import Config

__all__ = ["FEATURES", "Dataset", "Scaler", "load_dataset", "round_to_grid"]


@dataclass(frozen=True)
class Dataset:
    points: np.ndarray  # (N, F) float32 in data units: x, y pixels, r, g, b 0..255
    scaler: Scaler
    source: str  # "quiz" or "synthetic"

    @property
    def scaled(self) -> np.ndarray:
        """(N, F) float32 in model space [0, 1]."""
        return self.scaler.to_model(self.points)


def load_dataset(cfg: Config, announce: bool = True) -> Dataset:
    """Load what `cfg.dataset` names; "auto" takes the quiz files if all are in data_dir."""
    use_quiz = cfg.dataset == "quiz" or (cfg.dataset == "auto" and quiz_files_present(cfg.data_dir))
    if use_quiz:
        points, (height, width) = load_quiz(cfg.data_dir)
        message = f"data: quiz files from {Path(cfg.data_dir)} ({len(points)} points)"
    else:
        points, (height, width) = synthetic_pi(seed=cfg.seed)
        message = (
            f"data: built-in synthetic π ({len(points)} points); for the real data put "
            f"{', '.join(QUIZ_FILES)} into {Path(cfg.data_dir)}"
        )
    if announce:
        print(message)
    return Dataset(points=points, scaler=Scaler.for_image(height, width), source="quiz" if use_quiz else "synthetic")
