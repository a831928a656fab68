"""The sampler's settings as levers, on models already trained: the output noise (diagonal, full, local),
the latent mixture's size (prior_components), the noise's scale (output_noise).

    python benchmarks/calibration_lever.py key=value [key=value ...] FOLDER [FOLDER ...]
    e.g. noise_covariance=local, or prior_components=256

Each FOLDER holds the runs of a sweep (e.g. benchmarks/out/runs/censored/logo.png from quality.py).

These settings change only how a trained model samples (models/vae.py: `calibrate` fits the latent
mixture and the output noise on the training points after training), so each run's trained weights
are loaded into a model built with the run's config and the overrides, everything `calibrate`
measures is fitted afresh as the end of a training run does, and the samples are scored with the
project's evaluation beside the run's own metrics.json. With no override, a run's own figures come
back to the bit. Prints a line per run and the means; asserts nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from commands.evaluation import score
from commands.results import draw_samples
from data import load_dataset
from models import build_model
from utils.checkpoint import CHECKPOINT_NAME, load_checkpoint
from utils.config import parse_overrides, saved_config

SHOWN = ("c2st", "c2st_mlp", "on_shape", "coverage", "swd", "color_err", "copies")
MEASURED = ("prior.", "local_noise.", "noise_std", "noise_chol")  # what calibrate fits: not loaded


def recalibrated(folder: Path, overrides: dict[str, Any]) -> tuple[dict[str, float], ...]:
    """(the run's own figures, figures with the overrides, mixture figures) of the run in `folder`."""
    state = load_checkpoint(folder / CHECKPOINT_NAME)
    cfg = saved_config({**state["config"], **overrides}, "the run's config with the overrides")
    dataset = load_dataset(cfg, announce=False)
    model = build_model(cfg, dataset.scaler)
    trained = {k: v for k, v in state["model"].items() if not k.startswith(MEASURED)}
    model.load_state_dict(trained, strict=False)  # the trained weights and the precision floor
    draw_samples(model, dataset, cfg.num_gen_points, cfg.seed)  # the end-of-run calibration
    own = json.loads((folder / "metrics.json").read_text())
    return own["model"], score(model, dataset, cfg.seed)[0]["model"], own["baseline"]


def main(argv: list[str]) -> None:
    overrides = parse_overrides([a for a in argv if "=" in a])
    for root in (Path(a) for a in argv if "=" not in a):
        rows = [recalibrated(run, overrides) for run in sorted(p.parent for p in root.glob("*/metrics.json"))]
        for own, new, base in rows:
            print(f"{root.name}: " + "  ".join(f"{k} {own[k]:.4f}->{new[k]:.4f} ({base[k]:.4f})" for k in SHOWN))
        means = {k: [np.mean([r[i][k] for r in rows]) for i in range(3)] for k in SHOWN}
        worst = [max(r[i]["c2st"] for r in rows) for i in range(2)]
        print(
            f"{root.name} mean: "
            + "  ".join(f"{k} {d:.3f}->{f:.3f} (mixture {b:.3f})" for k, (d, f, b) in means.items())
            + f"; worst c2st {worst[0]:.3f}->{worst[1]:.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
