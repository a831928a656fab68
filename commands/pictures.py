"""The pictures of a run in result/: the GIF, real beside generated points, the paintings, the features,
the loss curves, the latent space; and losses.csv."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from commands.evaluation import PAINT_SEED, PAINT_SHARE, Scored, model_sampler, paint_samples
from commands.loop import HISTORY_KEYS
from data import Dataset
from models.vae import VAE
from utils import charts, feature_plots, plotting
from utils.io import write_text


def publish_pictures(
    out: Path,
    frames: list[Path],
    model: VAE,
    dataset: Dataset,
    samples: np.ndarray,
    histories: dict[str, dict[str, list[float]]],
    scored: Scored | None = None,
) -> None:
    """training.gif (from `frames`, in order), loss.png, real_vs_generated.png, picture.png, latent.png,
    features.png and color_profile.png into `out`. `scored`: the evaluation, whose first draw (test points,
    the model's, the mixture's) and paintings are shown where there is one; else the test points beside
    `samples`, and the model's painting alone."""
    if frames:
        plotting.save_gif(out / "training.gif", frames)
    charts.save_loss_plot(out / "loss.png", histories)
    sets = _compared_sets(dataset, samples, scored)
    n = len(sets["real"])
    panels = {f"real ({dataset.name}, {n} test points)": sets["real"], f"generated ({n} points)": sets["generated"]}
    if "mixture" in sets:
        panels[f"the mixture ({n} points)"] = sets["mixture"]
    plotting.save_side_by_side(out / "real_vs_generated.png", panels, dataset.canvas)
    save_paintings(out / "picture.png", model, dataset, scored)
    feature_plots.save_marginals(out / "features.png", sets, dataset.scaler.image_shape)
    feature_plots.save_color_profile(out / "color_profile.png", sets, dataset.scaler.image_shape)
    save_latent_picture(out / "latent.png", model, dataset)


def save_paintings(path: Path, model: VAE, dataset: Dataset, scored: Scored | None) -> None:
    """picture.png: the real picture, the model's painting and the mixture's (utils/painting.py), same size."""
    if scored is not None:
        paintings = scored.paintings
    else:
        sampler = model_sampler(model, dataset.scaler)
        paintings = {"model": paint_samples(sampler, dataset, PAINT_SEED).image(dataset.background)}
    painted = PAINT_SHARE * dataset.pixels
    images = {} if dataset.picture is None else {f"real: {dataset.pixels:,} pixels": dataset.picture}
    images[f"model: {painted:,} points painted"] = paintings["model"]
    if "mixture" in paintings:
        images[f"the mixture: {painted:,} points painted"] = paintings["mixture"]
    plotting.save_images(path, images)


def _compared_sets(dataset: Dataset, samples: np.ndarray, scored: Scored | None) -> dict[str, np.ndarray]:
    """{"real", "generated"[, "mixture"]}: equally many points of each, in data units."""
    if scored is not None:
        points = scored.points
        sets = {"real": points["test"], "generated": points["model"]}
        return sets | ({"mixture": points["baseline"]} if "baseline" in points else {})
    n = min(len(samples), len(dataset.test))
    return {"real": dataset.test[:n], "generated": samples[:n]}


def save_latent_picture(path: Path, model: VAE, dataset: Dataset) -> None:
    """Posterior means of the training points (2-D or projected), colored by color, with prior samples."""
    latents = model.latents(torch.from_numpy(dataset.scaled).to(model.device)).cpu().numpy()
    prior = model.prior.sample(2000, torch.Generator().manual_seed(0))[0].numpy()
    projection = "" if latents.shape[1] <= 2 else f", first 2 principal components of {latents.shape[1]}"
    title = f"latent space{projection}\nposterior means colored by their point; prior samples in white"
    charts.save_latent_plot(path, latents, dataset.train[:, 2:5], prior, title)


def write_losses_csv(path: Path, history: dict[str, list[float]]) -> None:
    """One row per epoch: epoch, total, recons, kld, beta, lr, seconds."""
    lines = ["epoch," + ",".join(HISTORY_KEYS)]
    for epoch, values in enumerate(zip(*(history[key] for key in HISTORY_KEYS), strict=True), start=1):
        lines.append(f"{epoch}," + ",".join(f"{value:.6g}" for value in values))
    write_text(path, "\n".join(lines) + "\n")
