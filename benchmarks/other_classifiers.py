"""Two-sample tests by classifiers the project's evaluation does not use, on runs already trained.

    python benchmarks/other_classifiers.py FOLDER [FOLDER ...]
    e.g. benchmarks/out/runs/latent8/logo.png benchmarks/out/runs/censored/logo.png

Each FOLDER holds the runs of a sweep (quality.py writes them). The project's c2st uses
gradient-boosted trees and a small MLP (utils/metrics.py); a model can be tuned until those two
cannot tell, so this script asks two others: a random forest (200 trees, leaves of 5 or more
points) and 15 nearest neighbours. Each run's samples.npy (rounded to the data's grid, as the
evaluation does) and a fresh draw of the 128-component mixture, fitted on the run's own training
points, are each scored against as many of the run's test points (at most 2500): 5-fold
cross-validated accuracy in model space, 0.5 where the classifier cannot tell. One draw per run:
read the means over seeds. Prints a line per folder; asserts nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from data import load_dataset
from data.scaling import Scaler, round_to_grid
from models.baseline import MixtureBaseline
from utils.checkpoint import CHECKPOINT_NAME, load_checkpoint
from utils.config import saved_config

POINTS = 2500


def accuracies(real: np.ndarray, fake: np.ndarray, scaler: Scaler) -> tuple[float, float]:
    """(random forest, 15-NN) 5-fold accuracy of telling `real` (n, F) from `fake` (n, F), data units."""
    x = np.concatenate([scaler.to_model(real), scaler.to_model(fake)])
    y = np.r_[np.zeros(len(real)), np.ones(len(fake))]
    forest = RandomForestClassifier(n_estimators=200, min_samples_leaf=5, n_jobs=1, random_state=0)
    return (
        float(cross_val_score(forest, x, y, cv=5).mean()),
        float(cross_val_score(KNeighborsClassifier(n_neighbors=15), x, y, cv=5).mean()),
    )


def run_scores(folder: Path) -> dict[str, tuple[float, float]]:
    """{"model": (forest, 15-NN), "mixture": (...)} for the run in `folder`."""
    cfg = saved_config(load_checkpoint(folder / CHECKPOINT_NAME)["config"], f"{folder}'s checkpoint")
    dataset = load_dataset(cfg, announce=False)
    rng = np.random.default_rng(cfg.seed)
    samples = np.load(folder / "samples.npy")
    n = min(POINTS, len(dataset.test), len(samples))
    real = dataset.test[rng.choice(len(dataset.test), n, replace=False)]
    mixture = MixtureBaseline(dataset.scaler).fit(dataset.train, cfg.seed).sample(n, cfg.seed)
    candidates = {"model": samples[rng.choice(len(samples), n, replace=False)], "mixture": mixture}
    return {k: accuracies(real, round_to_grid(v, dataset.scaler), dataset.scaler) for k, v in candidates.items()}


def main(folders: list[str]) -> None:
    torch.set_num_threads(1)  # the mixture's fit, as in a run's evaluation
    for root in (Path(f) for f in folders):
        runs = sorted(p.parent for p in root.glob("*/samples.npy"))
        scores = [run_scores(run) for run in runs]
        cells = []
        for who in ("model", "mixture"):
            forest, knn = ([s[who][i] for s in scores] for i in (0, 1))
            cells.append(
                f"{who}: forest {np.mean(forest):.3f} (worst {max(forest):.3f}), 15-NN {np.mean(knn):.3f} "
                f"(worst {max(knn):.3f})"
            )
        print(f"{root.parent.name}/{root.name} ({len(runs)} runs): " + "; ".join(cells), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
