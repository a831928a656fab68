"""Each mechanism of the likelihood and of the sampling path removed, one at a time, on the ten kinds of data.

    python benchmarks/ablation.py train NAME [--pictures ...] [--seeds 0,1,2,3,4]
    python benchmarks/ablation.py sample NAME [--pictures ...]
    python benchmarks/ablation.py table [--pictures ...]

`train NAME` trains every picture x seed with one mechanism of training removed (TRAINED below) into
benchmarks/out/runs/<NAME>/, as benchmarks/quality.py does for the default (`--tag default`): the same
sweep, frames off, one thread. `sample NAME` takes the default's trained runs and changes only how they
sample (SAMPLED below): everything `calibrate` measures is fitted afresh on the run's training points and
the samples are scored by the project's evaluation against the run's own test points, as
benchmarks/calibration_lever.py does. `table` prints, per kind of data, the default's figures and each
ablation's change of the mean over the seeds, beside the seeds' spread (the standard deviation of the
default's c2st over the seeds). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.quality import OUT
from benchmarks.quality import main as quality_main
from commands.evaluation import score
from commands.results import draw_samples
from data import load_dataset
from models import build_model, likelihood, output_noise, vae
from utils.checkpoint import CHECKPOINT_NAME, load_checkpoint
from utils.config import parse_overrides, saved_config

PICTURES = "quiz,synthetic,word.jpg,logo.png,photo.png,dots.png,sign.jpg,amp.png,shapes.png,lettering.png"
FIGURES = ("c2st", "swd", "coverage", "on_shape", "copies")
MEASURED = ("prior.", "local_noise.", "noise_std", "noise_chol")  # what calibrate fits: not loaded


def _no_floor() -> None:
    """The decoder's variance floored at the rounding variance only, not at the precision floor."""
    vae.VAE.fit_floor = lambda self, x: None  # type: ignore[method-assign]


def _plain_nll() -> None:
    """The learned variance's plain likelihood (β-NLL's β = 0): every point weighs the same."""
    likelihood.NLL_BETA = 0.0


def _no_censoring() -> None:
    """Saturated colors are ordinary values: no margin past the ends, no Tobit terms, no imputation."""
    from data import scaling

    scaling.COLOR_MARGIN = 0.0  # Scaler.margin 0 -> VAE.censored all False
    floor = likelihood.precision_floor
    colors = torch.tensor([False, False, True, True, True])
    likelihood.precision_floor = lambda x, censored, quantum, points=5000: floor(x, colors, quantum, points)


# name -> (what it removes, config overrides, a patch applied before training)
TRAINED: dict[str, tuple[str, list[str], Callable[[], None] | None]] = {
    "gaussian": ("one variance per feature (the batch's), not one per point", ["likelihood=gaussian"], None),
    "plain_nll": ("β-NLL's weighting (plain NLL)", [], _plain_nll),
    "no_floor": ("the precision floor (the rounding variance only)", [], _no_floor),
    "no_censoring": ("censored colors (no margin, no Tobit terms)", [], _no_censoring),
    "no_clip": ("gradient clipping", ["grad_clip=0"], None),
}


def _noise_is_sigma() -> None:
    """Samples are mean + σ(z)·ε: the decoder's own variance, no calibrated noise."""
    original = vae.VAE.calibrate

    def calibrate(self: vae.VAE, x: torch.Tensor, generator: torch.Generator, em_iters: int = 200) -> None:
        original(self, x, generator, em_iters)
        self.noise_std.fill_(1.0)

    vae.VAE.calibrate = calibrate  # type: ignore[method-assign]


def _no_imputation() -> None:
    """The output noise fitted once, each censored residual at its bound (no stochastic EM)."""
    output_noise.CENSORED_ROUNDS = 0


def _sklearn_prior() -> None:
    """The latent mixture fitted by scikit-learn's GaussianMixture instead of our EM."""
    from sklearn.mixture import GaussianMixture
    from threadpoolctl import threadpool_limits

    from models import latent_prior

    def fit(z: torch.Tensor, k: int, generator: torch.Generator, iters: int = 200, tol: float = 1e-4) -> Any:
        seed = int(torch.randint(2**31 - 1, (1,), generator=generator))
        gmm = GaussianMixture(k, covariance_type="full", max_iter=iters, reg_covar=1e-6, random_state=seed)
        with threadpool_limits(limits=1):
            gmm.fit(z.double().numpy())
        return tuple(torch.from_numpy(a).float() for a in (gmm.weights_, gmm.means_, gmm.covariances_))

    latent_prior.fit_gaussian_mixture = fit


def _random_init() -> None:
    """The latent mixture's k-means started from random points instead of k-means++."""
    from models import latent_prior

    def init(z: torch.Tensor, k: int, generator: torch.Generator, steps: int = 10) -> torch.Tensor:
        centers = z[torch.randperm(len(z), generator=generator)[:k]]
        for _ in range(steps):
            label = torch.cdist(z, centers).argmin(1)
            counts = torch.bincount(label, minlength=k).to(z.dtype)
            sums = torch.zeros_like(centers).index_add_(0, label, z)
            centers = torch.where(counts[:, None] > 0, sums / counts.clamp(min=1)[:, None], centers)
        return torch.nn.functional.one_hot(torch.cdist(z, centers).argmin(1), k).to(z.dtype)

    latent_prior.kmeans_init = init


# name -> (what it changes, config overrides, a patch applied before calibration)
SAMPLED: dict[str, tuple[str, list[str], Callable[[], None] | None]] = {
    "diagonal": (
        "one noise for all points (σ_f per feature), not one per latent component",
        ["noise_covariance=diagonal"],
        None,
    ),
    "full": ("one noise for all points with its correlations", ["noise_covariance=full"], None),
    "sigma_only": ("no calibrated noise: mean + σ(z)·ε", ["noise_covariance=diagonal"], _noise_is_sigma),
    "no_imputation": ("saturated residuals at their bound, not imputed", [], _no_imputation),
    "standard": ("the sampling prior N(0, I), not the latent mixture", ["prior=standard"], None),
    "no_output_noise": ("no output noise: the decoded mean", ["output_noise=0"], None),
    "sklearn_prior": ("the latent mixture by scikit-learn's EM", [], _sklearn_prior),
    "random_init": ("the latent mixture's k-means from random points, not k-means++", [], _random_init),
}


def _run_folders(tag: str, picture: str) -> list[Path]:
    return sorted(p.parent for p in (OUT / "runs" / tag / picture).glob("*/metrics.json"))


def resample(folder: Path, overrides: dict[str, Any], tag: str) -> None:
    """Recalibrate the trained run in `folder` with the overrides; write its evaluation under `tag`."""
    out = OUT / "runs" / tag / folder.parent.name / folder.name / "metrics.json"
    if out.is_file():
        return
    state = load_checkpoint(folder / CHECKPOINT_NAME)
    cfg = saved_config({**state["config"], **overrides}, "the run's config with the overrides")
    torch.set_num_threads(1)
    dataset = load_dataset(cfg, announce=False)
    model = build_model(cfg, dataset.scaler)
    trained = {k: v for k, v in state["model"].items() if not k.startswith(MEASURED)}
    model.load_state_dict(trained, strict=False)  # the trained weights and the precision floor
    started = time.perf_counter()
    draw_samples(model, dataset, cfg.num_gen_points, cfg.seed)  # the end-of-run calibration
    seconds = time.perf_counter() - started
    evaluation = score(model, dataset, cfg.seed)[0]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"model": evaluation["model"], "calibration_seconds": seconds}))


def _figures(tag: str, picture: str) -> list[dict[str, Any]]:
    """Per seed: the model's figures and the run's seconds (a sampled ablation: the default's seconds)."""
    if tag in SAMPLED:
        rows = []
        for folder in _run_folders("default", picture):
            path = OUT / "runs" / tag / picture / folder.name / "metrics.json"
            if path.is_file():
                rows.append({**json.loads(path.read_text())["model"], "seconds": np.nan, "run": folder.name})
        return rows
    path = OUT / "runs" / tag / picture / "sweep.json"
    records = json.loads(path.read_text()) if path.is_file() else []
    return [{**r["evaluation"]["model"], "seconds": r["seconds"], "run": r["run"]} for r in records]


def table(pictures: list[str]) -> str:
    """Per picture: the default's mean figures, the seeds' spread, and each ablation's change of the means."""
    head = "| data | setting | " + " | ".join(FIGURES) + " | run time |"
    lines = [head, "|---" * (len(FIGURES) + 3) + "|"]
    for picture in pictures:
        default = {r["run"]: r for r in _figures("default", picture)}
        if not default:
            continue
        spread = np.std([r["c2st"] for r in default.values()], ddof=1)
        cells = [f"{np.mean([r[f] for r in default.values()]):.4f}" for f in FIGURES]
        seconds = np.mean([r["seconds"] for r in default.values()])
        lines.append(f"| {picture} | default (c2st sd {spread:.4f}) | " + " | ".join(cells) + f" | {seconds:.0f} s |")
        for tag in (*TRAINED, *SAMPLED):
            rows = [r for r in _figures(tag, picture) if r["run"] in default]
            if not rows:
                continue
            deltas = [np.mean([r[f] - default[r["run"]][f] for r in rows]) for f in FIGURES]
            time_cell = "same" if tag in SAMPLED else f"{np.mean([r['seconds'] for r in rows]):.0f} s"
            cells = [f"{d:+.4f}" for d in deltas]
            if deltas[0] > spread:  # removing it costs more than the seeds' spread: bold
                cells[0] = f"**{cells[0]}**"
            lines.append(f"| | {tag} ({len(rows)} seeds) | " + " | ".join(cells) + f" | {time_cell} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("train", "sample", "table"))
    parser.add_argument("name", nargs="?", default="")
    parser.add_argument("--pictures", default=PICTURES)
    parser.add_argument("--seeds", default="0,1,2,3,4")
    args, extra = parser.parse_known_args()  # extra: key=value overrides for every run (e.g. epochs=3 to try)
    pictures = args.pictures.split(",")
    if args.action == "table":
        print(table(pictures))
    elif args.action == "train":
        _, overrides, patch = TRAINED[args.name]
        if patch is not None:
            patch()
        sys.argv = [sys.argv[0], "--tag", args.name, "--pictures", args.pictures, "--seeds", args.seeds]
        sys.argv += [*overrides, *extra, "threads=1"]
        quality_main()
    else:
        _, overrides, patch = SAMPLED[args.name]
        if patch is not None:
            patch()
        for picture in pictures:
            for folder in _run_folders("default", picture):
                resample(folder, parse_overrides([*overrides, *extra]), args.name)
            print(f"{args.name}: {picture} done", flush=True)


if __name__ == "__main__":
    main()
