"""The sampling prior as a lever, on models already trained: the latent mixture against a latent diffusion
model and a latent flow, and the same diffusion model on the 5-D points with no VAE.

    python benchmarks/prior_lever.py [--priors gmm,edm,realnvp,data_edm] FOLDER [FOLDER ...]

Each FOLDER holds the runs of a sweep (e.g. benchmarks/out/runs/default/logo.png from quality.py), or
is one run's folder.
For every run: the checkpoint's model and the run's own training points; each prior is fitted on
the posterior means of the training points (benchmarks/latent_priors.py), its latents are decoded
with the run's own output noise (`local`: the noise of the latent mixture's component that claims
each latent), and the points are scored with the project's evaluation (3 draws of up to 2500
points against the run's test points). `data_edm` fits the diffusion model on the training points
themselves in model space and skips the VAE. `gmm` is the run's own sampler, as the run scored it.

Beside the evaluation's copy rate, a distance-to-closest-record check (`dcr`): the share of
generated points at least twice as near (model space) their nearest training point as their
nearest test point. A generator that copies its training points sits near them and far from the
test points; one that generalises is as near the one as the other. Read against the same share of
the data-space mixture's points (it cannot copy) and of real points that trained nothing (a third
draw of the picture's pixels, where it has pixels to spare: the floor; none on a held-out split).
`--dcr-only` prints those two references alone, fitting no prior.

Prints a line per run and prior and the means per folder; asserts nothing. The fits are slow (the
diffusion model about 40 s a run on 2 cores): a folder of 5 runs takes minutes.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.latent_priors import EDMPrior, RealNVPPrior
from commands.evaluation import evaluate
from data import Dataset, load_dataset, round_to_grid
from data.picture import load_picture
from data.synthetic import synthetic_pi
from models import load_trained
from models.baseline import MixtureBaseline
from models.vae import VAE, with_noise
from utils.config import Config, saved_config

SHOWN = ("c2st", "coverage", "on_shape", "swd", "color_err", "copies")
Draw = Callable[[int, torch.Generator], torch.Tensor]  # (n, generator) -> latents (n, D) or points in model space


def decoded(model: VAE, draw: Draw) -> Callable[[int, torch.Generator], torch.Tensor]:
    """Latents from `draw`, decoded with the model's own output noise (that of the mixture component claiming each)."""

    def sample(n: int, generator: torch.Generator) -> torch.Tensor:
        z = draw(n, generator)
        comp = model.prior.responsibilities(z).argmax(dim=1) if model.local_noise is not None else None
        noise = model._noise(n, generator, comp)
        return torch.clamp(with_noise(*model.decode_stats(z), noise), model.lower, model.upper)

    return sample


Sample = Callable[[int, torch.Generator], torch.Tensor]  # (n, generator) -> (n, F) points in model space


def samplers(model: VAE, dataset: Dataset, names: list[str]) -> dict[str, tuple[Sample, float]]:
    """{prior name: (sample(n, generator) -> (n, F) model space, seconds its fit took)}."""
    x = torch.from_numpy(dataset.scaled)
    with torch.no_grad():
        means = model.latents(x)
    out: dict[str, tuple[Sample, float]] = {}
    for name in names:
        generator = torch.Generator().manual_seed(0)
        torch.manual_seed(0)  # the networks' initial weights
        began = time.perf_counter()
        if name == "gmm":
            out[name] = (lambda n, g: model.sample(n, g), 0.0)  # noqa: PLW0108  # its other arguments stay default
            continue
        if name == "edm":
            edm = EDMPrior(means).fit(means, generator)
            out[name] = (decoded(model, edm.sample), time.perf_counter() - began)
        elif name == "realnvp":
            flow = RealNVPPrior(means).fit(means, generator)
            out[name] = (decoded(model, flow.sample), time.perf_counter() - began)
        elif name == "data_edm":
            direct = EDMPrior(x).fit(x, generator)

            def in_range(n: int, g: torch.Generator, d: EDMPrior = direct) -> torch.Tensor:
                return torch.clamp(d.sample(n, g), model.lower, model.upper)

            out[name] = (in_range, time.perf_counter() - began)
        else:
            raise SystemExit(f"unknown prior {name!r}; choose from gmm, edm, realnvp, data_edm")
    return out


def closest_record(dataset: Dataset, points: np.ndarray) -> float:
    """Share of `points` (data units) at least twice as near their nearest training point as their nearest
    test point."""
    to_model = dataset.scaler.to_model
    train, test = torch.from_numpy(to_model(dataset.train)).double(), torch.from_numpy(to_model(dataset.test)).double()
    cand = torch.from_numpy(to_model(points)).double()
    chunks = [cand[start : start + 256] for start in range(0, len(cand), 256)]
    near_train = torch.cat([torch.cdist(c, train).amin(1) for c in chunks])
    near_test = torch.cat([torch.cdist(c, test).amin(1) for c in chunks])
    return float((near_train < 0.5 * near_test).double().mean())


def third_draw(cfg: Config, dataset: Dataset, n: int) -> np.ndarray | None:
    """Up to n real pixels that are neither training nor test points; None on a held-out split."""
    if dataset.protocol != "fresh draw":
        return None
    population = (
        synthetic_pi()
        if dataset.source == "synthetic"
        else load_picture(cfg.image_path, cfg.mask_path, cfg.image_threshold)
    )
    used = {(int(r), int(c)) for r, c in np.concatenate([dataset.train, dataset.test])[:, :2]}
    spare = population.points[[(int(r), int(c)) not in used for r, c in population.points[:, :2]]]
    return spare[np.random.default_rng(cfg.seed).permutation(len(spare))[:n]] if len(spare) else None


def references(folder: Path) -> dict[str, float]:
    """The distance-to-closest-record share of the run's data-space mixture and of a third draw (the floor)."""
    cfg = saved_config(load_trained(folder / "checkpoint.pt").state["config"], f"{folder}'s checkpoint")
    dataset = load_dataset(cfg, announce=False)
    n = min(len(dataset.train), len(dataset.test), 2500)
    mixture = MixtureBaseline(dataset.scaler).fit(dataset.train, cfg.seed).sample(n, 99)
    real = third_draw(cfg, dataset, n)
    return {
        "mixture": closest_record(dataset, round_to_grid(mixture, dataset.scaler)),
        "floor": float("nan") if real is None else closest_record(dataset, real),
    }


def lever(folder: Path, names: list[str]) -> dict[str, dict[str, float]]:
    """Every prior's figures on the run in `folder` (and the floor's distance-to-closest-record share)."""
    trained = load_trained(folder / "checkpoint.pt")
    cfg = saved_config(trained.state["config"], f"{folder}'s checkpoint")
    dataset = load_dataset(cfg, announce=False)
    model, scaler = trained.model, trained.scaler
    n = min(len(dataset.train), len(dataset.test), 2500)
    rows = {}
    for name, (sample, seconds) in samplers(model, dataset, names).items():

        def points(
            count: int, seed: int, sample: Callable[[int, torch.Generator], torch.Tensor] = sample
        ) -> np.ndarray:
            with torch.no_grad():
                return scaler.to_data(sample(count, torch.Generator().manual_seed(seed + 1)).numpy())

        figures, _ = evaluate(dataset, points, cfg.seed, baseline="mixture" not in rows)
        rows[name] = {
            **figures["model"],
            "fit_s": seconds,
            "dcr": closest_record(dataset, round_to_grid(points(n, 99), scaler)),
        }
        if "mixture" not in rows:  # the mixture and the floor do not depend on the prior: scored once
            shares = references(folder)
            rows["mixture"] = {**figures["baseline"], "fit_s": 0.0, "dcr": shares["mixture"]}
            rows["floor"] = {**figures["floor"], "fit_s": 0.0, "dcr": shares["floor"]}
        print(
            f"{folder}: {name:9s} "
            + "  ".join(f"{k} {rows[name][k]:.4f}" for k in (*SHOWN, "dcr"))
            + f"  fit {seconds:.0f} s",
            flush=True,
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--priors", default="gmm,edm,realnvp,data_edm")
    parser.add_argument("--dcr-only", action="store_true", help="only the mixture's and the floor's DCR share")
    parser.add_argument("folders", nargs="+", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)  # two benchmarks side by side on 2 cores
    for root in args.folders:  # a sweep's folder (its runs), or one run's
        runs = [root] if (root / "checkpoint.pt").is_file() else sorted(p.parent for p in root.glob("*/checkpoint.pt"))
        if args.dcr_only:
            for run in runs:
                print(f"{run}: dcr " + "  ".join(f"{k} {v:.4f}" for k, v in references(run).items()), flush=True)
            continue
        table = [lever(run, args.priors.split(",")) for run in runs]
        for name in [*args.priors.split(","), "mixture", "floor"]:
            means = {k: np.mean([row[name][k] for row in table]) for k in (*SHOWN, "dcr")}
            worst = max(row[name]["c2st"] for row in table)
            print(
                f"{root.name} mean {name:9s} "
                + "  ".join(f"{k} {v:.4f}" for k, v in means.items())
                + f"  worst c2st {worst:.4f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
