"""Datasets: training points and the real points they are scored against, in data units, with their scaler.

Where the points come from (`dataset`):
    quiz       the quiz files: 5000 points, no others exist
    synthetic  the built-in π picture (about 31,700 pixels); it stands in for the quiz, so it trains on
               as many points as the quiz does, (1 - holdout) x num_points (2500 by default)
    image      a user's picture (`image_path`, optional `mask_path`)
    auto       quiz if its files are in data_dir, else synthetic

Which real points the evaluation uses (`Dataset.protocol`):
    fresh draw      a picture has more pixels than the training draw: the test points are other
                    pixels of it, drawn with the seed, as many as the training points (fewer if
                    fewer remain)
    held-out split  no other pixels exist (the quiz; a small picture): a seeded `holdout` share of
                    the points is kept out of training and used only by the evaluation
    in-sample       holdout = 0 and no other pixels: scored against the training points, which
                    flatters a model that memorises (metrics.json says so)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data.picture import BLACK, Population, load_picture
from data.quiz import QUIZ_FILES, load_quiz, quiz_files_present
from data.scaling import Scaler, round_to_grid
from data.synthetic import synthetic_pi
from utils.config import Config
from utils.features import FEATURES
from utils.painting import paint
from utils.plotting import Canvas

__all__ = [
    "DATA_KEYS",
    "FEATURES",
    "Dataset",
    "Population",
    "Scaler",
    "draw_from",
    "held_out_split",
    "load_dataset",
    "round_to_grid",
]

# the config keys that decide the training and test points (`load_dataset` reads these and no others)
DATA_KEYS = ("dataset", "data_dir", "image_path", "mask_path", "image_threshold", "num_points", "holdout", "seed")
MIN_FRESH = 500  # fewer unused pixels than this: a held-out split instead of a fresh draw


@dataclass(frozen=True)
class Dataset:
    train: np.ndarray  # (N, F) float32 in data units: x, y pixels, r, g, b 0..255; what the model learns from
    test: np.ndarray  # (M, F) float32 real points the model never trains on (the training points if in-sample)
    scaler: Scaler
    source: str  # "quiz", "synthetic" or "image"
    name: str  # what a title calls it: "quiz π", "built-in π", the picture's file name
    protocol: str  # "fresh draw", "held-out split" or "in-sample"
    background: tuple[int, int, int] = BLACK  # the picture's background color (data/picture.py)
    # (H, W, 3) uint8: the real picture, every foreground pixel (the quiz: its 5000 points) on the background
    picture: np.ndarray | None = None
    pixels: int = 0  # how many foreground pixels the picture has (the quiz: 5000)

    @property
    def scaled(self) -> np.ndarray:
        """(N, F) float32 training points in model space [0, 1]."""
        return self.scaler.to_model(self.train)

    @property
    def canvas(self) -> Canvas:
        """What pictures of these points are painted on: the picture's size and background."""
        return Canvas(self.scaler.image_shape, self.background)

    def describe(self) -> str:
        return f"{self.name}: {len(self.train)} training points, {len(self.test)} test points ({self.protocol})"


def held_out_split(points: np.ndarray, holdout: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, str]:
    """(train, test, protocol): a random `holdout` share of `points` becomes the test set."""
    if holdout == 0:
        return points, points, "in-sample"
    order = rng.permutation(len(points))
    n_test = max(1, round(holdout * len(points)))
    return points[order[n_test:]], points[order[:n_test]], "held-out split"


def draw_from(
    population: Population, num_points: int, holdout: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, str]:
    """(train, test, protocol): num_points training pixels, and a fresh draw of others if enough remain."""
    order = rng.permutation(len(population.points))
    n_train = min(num_points, len(order))
    fresh = len(order) - n_train
    if fresh >= MIN_FRESH:
        n_test = min(n_train, fresh)
        return population.points[order[:n_train]], population.points[order[n_train : n_train + n_test]], "fresh draw"
    return held_out_split(population.points[order[:n_train]], holdout, rng)


def load_dataset(cfg: Config, announce: bool = True) -> Dataset:
    """Load what `cfg.dataset` names and split it into training and test points (seeded by cfg.seed)."""
    rng = np.random.default_rng(cfg.seed)
    source = cfg.dataset
    if source == "auto":
        source = "quiz" if quiz_files_present(cfg.data_dir) else "synthetic"
    if source == "quiz":
        points, shape = load_quiz(cfg.data_dir)
        train, test, protocol = held_out_split(points, cfg.holdout, rng)
        name, background = "quiz π", BLACK
    else:
        population = (
            synthetic_pi()
            if source == "synthetic"
            else load_picture(cfg.image_path, cfg.mask_path, cfg.image_threshold)
        )
        # the built-in π stands in for the quiz (the module docstring): the quiz's number of training points
        n_train = round((1 - cfg.holdout) * cfg.num_points) if source == "synthetic" else cfg.num_points
        train, test, protocol = draw_from(population, max(n_train, 1), cfg.holdout, rng)
        points, shape, name, background = population.points, population.shape, population.name, population.background
    picture = paint(points, shape, background)
    dataset = Dataset(train, test, Scaler.for_image(*shape), source, name, protocol, background, picture, len(points))
    if announce:
        print(f"data: {dataset.describe()}")
        if cfg.dataset == "auto" and source == "synthetic":
            print(f"      (for the quiz data put {', '.join(QUIZ_FILES)} into {Path(cfg.data_dir)})")
    return dataset
