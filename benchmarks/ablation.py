"""Each mechanism of the likelihood and of the sampling path removed, one at a time, on the ten kinds of data.

    python benchmarks/ablation.py train NAME [--pictures ...] [--seeds 0,1,2,3,4]
    python benchmarks/ablation.py sample NAME [--pictures ...]
    python benchmarks/ablation.py rescore TAG [--pictures ...]
    python benchmarks/ablation.py table [--pictures ...]
    python benchmarks/ablation.py matrix [--pictures ...]

`train NAME` trains every picture x seed with one mechanism of training removed (TRAINED below) into
benchmarks/out/runs/<NAME>/, as benchmarks/quality.py does for the default (`--tag default`): the same
sweep, frames off, one thread. `sample NAME` takes the default's trained runs and changes only how they
sample (SAMPLED below): the trained weights are loaded, everything `calibrate` measures is fitted afresh
on the run's training points, and the samples are scored by the project's evaluation against the run's
own test points. `rescore TAG` does the same with nothing changed: this version's sampling and evaluation
of the default's trained weights, into runs/TAG/<picture>/sweep.json (what `quality.py --table --tag TAG`
reads). `table` prints, per kind of data, the default's figures and each ablation's change of the means
over the seeds beside the seeds' spread (the standard deviation of the default's c2st): bold where the
change is larger; `matrix` the change of c2st alone, an ablation a row, a kind of data a column (a
count in brackets: the seeds measured, where fewer than 5). Rows of mechanisms that an earlier version
removed (`no_floor`, `gaussian`, `diagonal`, `sklearn_prior`) are printed from their folders, made with
that version's ablation.py. Asserts nothing.
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
from commands.frames import final_fit
from commands.pictures import save_paintings
from commands.verdict import summary
from data import load_dataset, scaling
from models import build_model, likelihood, noise, prior
from utils.checkpoint import CHECKPOINT_NAME
from utils.config import parse_overrides, saved_config

PICTURES = "quiz,synthetic,word.jpg,logo.png,photo.png,dots.png,sign.jpg,amp.png,shapes.png,lettering.png"
FIGURES = ("c2st", "swd", "coverage", "on_shape", "copies")
Patch = Callable[[], None] | None


def _plain_nll() -> None:
    """The likelihood's plain form (β-NLL's β = 0): every point weighs the same."""
    likelihood.NLL_BETA = 0.0


def _no_censoring() -> None:
    """Saturated colors are ordinary values: no margin past the ends, no Tobit terms, no imputation."""
    scaling.COLOR_MARGIN = 0.0  # Scaler.margin 0 -> VAE.censored all False


TRAINED: dict[str, tuple[str, list[str], Patch]] = {
    "plain_nll": ("β-NLL's weighting (the plain likelihood)", [], _plain_nll),
    "no_censoring": ("censored colors (no margin, no Tobit terms)", [], _no_censoring),
    "no_clip": ("gradient clipping", ["grad_clip=0"], None),
}


def _one_noise() -> None:
    """One noise for every point (its correlations kept), not one per component of the prior."""
    fit = noise.OutputNoise.fit
    noise.OutputNoise.fit = lambda self, residual, resp, *rest: fit(self, residual, torch.ones(len(resp), 1), *rest)  # type: ignore[method-assign]


def _sigma_only() -> None:
    """No measured noise: mean + σ(z)·ε."""

    def fit(self: noise.OutputNoise, *args: Any) -> None:
        self.means.zero_()
        self.chol.copy_(torch.eye(self.chol.shape[1]))

    noise.OutputNoise.fit = fit  # type: ignore[method-assign,assignment]


def _no_imputation() -> None:
    """The output noise fitted once, each censored residual at its bound (no stochastic EM)."""
    noise.CENSORED_ROUNDS = 0


def _random_init() -> None:
    """The latent mixture's k-means started from random points instead of k-means++."""

    def seeds(z: torch.Tensor, k: int, rng: torch.Generator, steps: int = 10) -> torch.Tensor:
        centers = z[torch.randperm(len(z), generator=rng)[:k]]
        for _ in range(steps):
            label = torch.cdist(z, centers).argmin(1)
            counts = torch.bincount(label, minlength=k).to(z.dtype)
            sums = torch.zeros_like(centers).index_add_(0, label, z)
            centers = torch.where(counts[:, None] > 0, sums / counts.clamp(min=1)[:, None], centers)
        return torch.nn.functional.one_hot(torch.cdist(z, centers).argmin(1), k).to(z.dtype)

    prior._kmeans = seeds


SAMPLED: dict[str, tuple[str, list[str], Patch]] = {
    "full": ("one noise for all points (with correlations), not one per component", [], _one_noise),
    "sigma_only": ("no measured noise: mean + σ(z)·ε", [], _sigma_only),
    "no_imputation": ("saturated residuals at their bound, not imputed", [], _no_imputation),
    "standard": ("the sampling prior N(0, I), not the latent mixture", ["prior=standard"], None),
    "no_output_noise": ("no spread of the output noise: the decoded mean (+ σ·m_k)", ["output_noise=0"], None),
    "random_init": ("the latent mixture's k-means from random points, not k-means++", [], _random_init),
}
# measured on the code before this version (commit c99e1f0's ablation.py): rows read from their folders
EARLIER_TRAINED = ("no_floor", "gaussian")  # no_floor: the previous version's smallest variance, gone since
EARLIER_SAMPLED = ("diagonal", "sklearn_prior")


def _run_folders(tag: str, picture: str) -> list[Path]:
    return sorted(p.parent for p in (OUT / "runs" / tag / picture).glob("*/metrics.json"))


def trained_model(folder: Path, overrides: dict[str, Any]) -> tuple[Any, Any, Any]:
    """(model with the run's trained weights and nothing fitted, its dataset, its config) for a run's folder.

    Reads the checkpoint with torch.load itself: the runs may be of the previous checkpoint format, whose
    trained weights are this version's (its other buffers, `floor` among them, are not loaded).
    """
    state = torch.load(folder / CHECKPOINT_NAME, map_location="cpu", weights_only=True)
    cfg = saved_config({**state["config"], **overrides}, "the run's config with the overrides")
    dataset = load_dataset(cfg, announce=False)
    model = build_model(cfg, dataset.scaler)
    keep = {k: v for k, v in state["model"].items() if k in model.state_dict() and not k.startswith(("prior", "noise"))}
    model.load_state_dict(keep, strict=False)
    return model, dataset, cfg


def resample(folder: Path, overrides: dict[str, Any], tag: str) -> dict[str, Any] | None:
    """Fit the run's sampler afresh (with the overrides) and score it; its evaluation into runs/TAG."""
    out = OUT / "runs" / tag / folder.parent.name / folder.name / "metrics.json"
    if out.is_file():
        return None
    torch.set_num_threads(1)
    model, dataset, cfg = trained_model(folder, overrides)
    started = time.perf_counter()
    final_fit(model, dataset, cfg.seed)  # the end of a run's fit
    seconds = time.perf_counter() - started
    scored = score(model, dataset, cfg.seed, baseline=True)
    evaluation = scored.report
    evaluation["verdict"] = summary(evaluation)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_paintings(out.parent / "picture.png", model, dataset, scored)  # the real picture and the two paintings
    out.write_text(json.dumps(evaluation))
    return {"run": folder.name, "evaluation": evaluation, "calibration_seconds": seconds}


def rescore(tag: str, source: str, pictures: list[str]) -> None:
    """This version's sampling and evaluation of the trained runs of `source`, as sweep.json rows under `tag`."""
    for picture in pictures:
        before = {row["run"]: row for row in json.loads((OUT / "runs" / source / picture / "sweep.json").read_text())}
        for folder in _run_folders(source, picture):
            resample(folder, {}, tag)
        rows = []
        for folder in _run_folders(source, picture):
            evaluation = json.loads((OUT / "runs" / tag / picture / folder.name / "metrics.json").read_text())
            rows.append({**before[folder.name], "evaluation": evaluation})
        (OUT / "runs" / tag / picture / "sweep.json").write_text(json.dumps(rows))
        print(f"{tag}: {picture} rescored", flush=True)


def _figures(tag: str, picture: str) -> list[dict[str, Any]]:
    """Per seed: the model's figures and the run's seconds (a sampled ablation: NaN)."""
    if tag in SAMPLED or tag in EARLIER_SAMPLED:
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
    lines = ["| data | setting | " + " | ".join(FIGURES) + " | run time |", "|---" * (len(FIGURES) + 3) + "|"]
    for picture in pictures:
        default = {r["run"]: r for r in _figures("default", picture)}
        if not default:
            continue
        spread = np.std([r["c2st"] for r in default.values()], ddof=1)
        cells = [f"{np.mean([r[f] for r in default.values()]):.4f}" for f in FIGURES]
        seconds = np.mean([r["seconds"] for r in default.values()])
        lines.append(f"| {picture} | default (c2st sd {spread:.4f}) | " + " | ".join(cells) + f" | {seconds:.0f} s |")
        for tag in (*EARLIER_TRAINED, *TRAINED, *SAMPLED, *EARLIER_SAMPLED):
            rows = [r for r in _figures(tag, picture) if r["run"] in default]
            if not rows:
                continue
            deltas = [np.mean([r[f] - default[r["run"]][f] for r in rows]) for f in FIGURES]
            cells = [f"{d:+.4f}" for d in deltas]
            if deltas[0] > spread:  # removing it costs more than the seeds' spread
                cells[0] = f"**{cells[0]}**"
            run_time = "same" if np.isnan(rows[0]["seconds"]) else f"{np.mean([r['seconds'] for r in rows]):.0f} s"
            lines.append(f"| | {tag} ({len(rows)} seeds) | " + " | ".join(cells) + f" | {run_time} |")
    return "\n".join(lines)


def matrix(pictures: list[str]) -> str:
    """The change of the mean c2st only: a row per ablation, a column per kind of data (bold: past the spread)."""
    names = [p.split(".")[0] for p in pictures]
    lines = ["| removed | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    default = {p: {r["run"]: r["c2st"] for r in _figures("default", p)} for p in pictures}
    spread = {p: np.std(list(default[p].values()), ddof=1) for p in pictures}
    cells = [f"{np.mean(list(default[p].values())):.3f} ± {spread[p]:.3f}" for p in pictures]
    lines.append("| nothing (c2st ± the seeds' sd) | " + " | ".join(cells) + " |")
    for tag in (*EARLIER_TRAINED, *TRAINED, *SAMPLED, *EARLIER_SAMPLED):
        cells = []
        for p in pictures:
            rows = [r for r in _figures(tag, p) if r["run"] in default[p]]
            delta = np.mean([r["c2st"] - default[p][r["run"]] for r in rows]) if rows else np.nan
            seeds = "" if len(rows) in (0, 5) else f" ({len(rows)})"
            cell = "" if np.isnan(delta) else f"{delta:+.3f}{seeds}"
            cells.append(f"**{cell}**" if delta > spread[p] else cell)
        lines.append(f"| {tag} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("train", "sample", "rescore", "table", "matrix"))
    parser.add_argument("name", nargs="?", default="")
    parser.add_argument("--pictures", default=PICTURES)
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--source", default="default", help="rescore: the tag whose trained runs are scored")
    args, extra = parser.parse_known_args()  # extra: key=value overrides for every run (e.g. epochs=3 to try)
    pictures = args.pictures.split(",")
    if args.action in ("table", "matrix"):
        print(table(pictures) if args.action == "table" else matrix(pictures))
    elif args.action == "rescore":
        rescore(args.name, args.source, pictures)
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
