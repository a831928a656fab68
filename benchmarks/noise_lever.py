"""The output noise as a lever, on models already trained: diagonal (as trained) vs full or local.

    python benchmarks/noise_lever.py [--kind full|local] FOLDER [FOLDER ...]

Each FOLDER holds the runs of a sweep (e.g. benchmarks/out/runs/latent6/quiz from quality.py).

The noise covariance changes only how a trained model samples (models/vae.py: `calibrate` measures
it on the training points), so each run's checkpoint is loaded into a model with
noise_covariance=KIND, calibrated as the end of a training run is, and scored with the project's
evaluation beside the run's own metrics.json (diagonal noise). Prints a line per run and the
means; asserts nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from commands.evaluation import score
from commands.results import draw_samples
from data import load_dataset
from models import build_model
from utils.checkpoint import CHECKPOINT_NAME, load_checkpoint
from utils.config import config_from_dict

SHOWN = ("c2st", "c2st_mlp", "on_shape", "coverage", "swd", "color_err")


def other_noise(folder: Path, kind: str) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """(diagonal figures, figures with noise `kind`, mixture figures) of the run in `folder`."""
    state = load_checkpoint(folder / CHECKPOINT_NAME)
    cfg = config_from_dict({**state["config"], "noise_covariance": kind}, "the run's config")
    dataset = load_dataset(cfg, announce=False)
    model = build_model(cfg, dataset.scaler)
    model.load_state_dict(state["model"], strict=False)  # all but the noise's structure, which calibrate measures
    draw_samples(model, dataset, cfg.num_gen_points, cfg.seed)  # the end-of-run calibration
    full = score(model, dataset, cfg.seed)["model"]
    diagonal = json.loads((folder / "metrics.json").read_text())
    return diagonal["model"], full, diagonal["baseline"]


def main(argv: list[str]) -> None:
    kind = argv[argv.index("--kind") + 1] if "--kind" in argv else "full"
    folders = [a for k, a in enumerate(argv) if a != "--kind" and (k == 0 or argv[k - 1] != "--kind")]
    for root in map(Path, folders):
        rows = [other_noise(run, kind) for run in sorted(p.parent for p in root.glob("*/metrics.json"))]
        for diagonal, full, base in rows:
            print(f"{root.name}: " + "  ".join(f"{k} {diagonal[k]:.4f}->{full[k]:.4f} ({base[k]:.4f})" for k in SHOWN))
        means = {k: [np.mean([r[i][k] for r in rows]) for i in range(3)] for k in SHOWN}
        worst = {k: [max(r[i][k] for r in rows) for i in range(3)] for k in ("c2st",)}
        print(
            f"{root.name} mean: "
            + "  ".join(f"{k} {d:.3f}->{f:.3f} (mixture {b:.3f})" for k, (d, f, b) in means.items())
            + f"; worst c2st {worst['c2st'][0]:.3f}->{worst['c2st'][1]:.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
