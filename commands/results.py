"""What a run shows in result/: samples for frames, the pictures, and report.html for train, evaluate, compare."""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from commands.evaluation import verdict
from commands.loop import HISTORY_KEYS
from commands.records import FinishedRun
from data import Dataset
from models import sample_points
from models.vae import VAE
from utils import plotting
from utils.config import Config, config_from_dict, config_to_yaml
from utils.io import write_text
from utils.report import Report, figure, metrics_table, paragraph, preformatted, write_report

PREVIEW_EM_STEPS = 5  # a frame fits the latent mixture afresh (k-means++ start) in a few EM steps
PREVIEW_POINTS = 1000  # ... on this many of the training points (a fixed subset)


def draw_samples(model: VAE, dataset: Dataset, n: int, seed: int, preview: bool = False) -> np.ndarray:
    """Calibrate the sampler on the training points, then draw n points (data units) from a fixed seed.

    A preview (a frame during training) fits the latent mixture in a few EM steps on a subset of the
    training points (they are in random order): the frame looks like the full fit's at a small part of
    its cost. Each frame starts afresh: warm-starting from the previous frame's mixture was tried and
    drifted into a poor fit that no later frame escaped (frames at epoch 99 far blurrier than the
    final one on the built-in π: on-shape within 1.5 px 0.641 vs 0.679; fresh: 0.689). The final
    samples and the checkpoint get the full fit (200 steps) on all training points.
    """
    device = model.noise_std.device
    x = torch.from_numpy(dataset.scaled[:PREVIEW_POINTS] if preview else dataset.scaled).to(device)
    model.calibrate(x, torch.Generator().manual_seed(seed), em_iters=PREVIEW_EM_STEPS if preview else 200)
    return sample_points(model, dataset.scaler, n, seed)


def frame_title(cfg: Config, epoch: int, history: dict[str, list[float]]) -> str:
    return f"epoch {epoch}/{cfg.epochs} · β={history['beta'][-1]:.3g} · loss {history['total'][-1]:.3g}"


def publish_pictures(
    out: Path,
    frames: list[Path],
    model: VAE,
    dataset: Dataset,
    samples: np.ndarray,
    histories: dict[str, dict[str, list[float]]],
) -> None:
    """training.gif (from `frames`, in order), loss.png, real_vs_generated.png and latent.png into `out`."""
    if frames:
        plotting.save_gif(out / "training.gif", frames)
    plotting.save_loss_plot(out / "loss.png", histories)
    n = min(len(samples), len(dataset.test))
    panels = {f"real ({dataset.name}, {n} test points)": dataset.test[:n], f"generated ({n} points)": samples[:n]}
    plotting.save_side_by_side(out / "real_vs_generated.png", panels, dataset.canvas)
    save_latent_picture(out / "latent.png", model, dataset)


def save_latent_picture(path: Path, model: VAE, dataset: Dataset) -> None:
    """Posterior means of the training points (2-D or projected), colored by color, with prior samples."""
    device = model.noise_std.device
    latents = model.latents(torch.from_numpy(dataset.scaled).to(device)).cpu().numpy()
    prior = model.prior.sample(2000, torch.Generator().manual_seed(0)).cpu().numpy()
    projection = "" if latents.shape[1] <= 2 else f", first 2 principal components of {latents.shape[1]}"
    title = f"latent space{projection}\nposterior means colored by their point; prior samples in white"
    plotting.save_latent_plot(path, latents, dataset.train[:, 2:5], prior, title)


def _frame_strip(frames: list[str]) -> str:
    """The first, middle and last frame (file names in result_path), large enough to read, and the GIF."""
    if not frames:
        return paragraph("no frames (gen_every_epochs: 0)")
    picks = sorted({round(q * (len(frames) - 1)) for q in (0, 0.5, 1)})
    strip = "".join(figure(frames[i], frames[i].removesuffix(".png").replace("_", " "), 360) for i in picks)
    return strip + "<br>" + figure("training.gif", "training.gif: every frame, same noise each time", 330)


def _metrics_section(report: Report, evaluation: dict[str, Any] | None) -> None:
    if evaluation is None:
        report.add("Metrics", paragraph("not evaluated in this run (evaluate: false, or the run was stopped early)"))
        return
    columns: dict[str, dict[str, float]] = {k: evaluation[k] for k in ("model", "baseline", "floor") if k in evaluation}
    note = (
        f"{evaluation['n']} generated points vs {evaluation['n']} real test points ({evaluation['protocol']}), "
        f"mean of {evaluation['repeats']} draws; floor: {evaluation['n']} real training points vs the same "
        "test points; baseline: a 128-component Gaussian mixture fitted on the same training points. "
        "utils/metrics.py defines each figure."
    )
    body = paragraph(note) + metrics_table(columns, evaluation["targets"])
    if "diagnostic" in evaluation:
        body += "<h3>Where a gap comes from</h3>" + paragraph(
            "prior: the model's samples; posterior: decoded z ~ q(z|x) of training points; posterior_mean: decoded "
            "posterior means (both plus output noise). Posterior near the floor and prior far from it: the sampling "
            "prior is the gap; posterior far from it: the autoencoder is."
        )
        body += metrics_table({**evaluation["diagnostic"], "floor": evaluation["floor"]}, None)
    report.add("Metrics", body)


def _run_facts(cfg: Config, model: VAE, dataset: Dataset, epochs: int, device: str) -> dict[str, str]:
    return {
        "data": f"{dataset.describe()} ({dataset.source})",
        "model": f"{cfg.model}: {sum(p.numel() for p in model.parameters()):,} parameters, latent {cfg.latent_dim}, "
        f"{cfg.num_layers} layer(s) of width {cfg.hidden_dim}, likelihood {cfg.likelihood}, prior {cfg.prior}",
        "epochs": f"{epochs} of {cfg.epochs} (batch {cfg.batch_size}, lr {cfg.lr})",
        "β": f"{cfg.beta_start} → {cfg.beta_end} ({cfg.beta_schedule})",
        "device": f"{device}, {torch.get_num_threads()} threads",
        "software": f"torch {torch.__version__}, Python {platform.python_version()}",
    }


def _common_sections(report: Report) -> None:
    report.add("Real and generated points", figure("real_vs_generated.png", "same picture size and axes", 900))
    report.add(
        "Latent space",
        paragraph(
            "Where the encoder puts the training points, and where the sampling prior draws: prior samples (white) "
            "should cover the colored points and little else."
        )
        + figure("latent.png", "latent space", 420),
    )


def write_losses_csv(path: Path, history: dict[str, list[float]]) -> None:
    """One row per epoch: epoch, total, recons, kld, beta, lr, seconds."""
    lines = ["epoch," + ",".join(HISTORY_KEYS)]
    for epoch, values in enumerate(zip(*(history[key] for key in HISTORY_KEYS), strict=True), start=1):
        lines.append(f"{epoch}," + ",".join(f"{value:.6g}" for value in values))
    write_text(path, "\n".join(lines) + "\n")


def train_report(
    result_dir: Path, run: FinishedRun, evaluation: dict[str, Any] | None, frames: list[str], wall: float
) -> None:
    """report.html of a training run: facts, real beside generated, latent space, frames, metrics, config."""
    cfg, dataset, result = run.cfg, run.dataset, run.result
    facts = _run_facts(cfg, run.model, dataset, result.epoch, run.device.type)
    facts["wall time"] = f"{wall:.1f} s" + (f" ({result.detail})" if result.stopped else "")
    report = Report(f"pi-vae: {cfg.model} on {dataset.name}", facts, verdict(evaluation) if evaluation else "")
    _common_sections(report)
    report.add(
        "Training",
        _frame_strip(frames)
        + "<br>"
        + figure("loss.png", "total, recons, KLD (log) and β per epoch; values in losses.csv"),
    )
    _metrics_section(report, evaluation)
    report.add("Config", preformatted(config_to_yaml(cfg)))
    write_report(result_dir / "report.html", report)


def write_evaluation_report(
    result_dir: Path, state: dict[str, Any], model: VAE, dataset: Dataset, evaluation: dict[str, Any]
) -> None:
    """report.html after `evaluate`: the checkpoint's run, fresh pictures, and the full evaluation."""
    cfg = config_from_dict(state["config"], "the checkpoint's config")
    samples = sample_points(model, dataset.scaler, cfg.num_gen_points, cfg.seed)
    frames = sorted(p.name for p in result_dir.glob("epoch_*.png"))
    publish_pictures(result_dir, [], model, dataset, samples, {cfg.model: state["history"]})
    report = Report(
        f"pi-vae: evaluation of {cfg.model} on {dataset.name}",
        _run_facts(cfg, model, dataset, state["epoch"], "cpu"),
        verdict(evaluation),
    )
    _common_sections(report)
    report.add("Training", _frame_strip(frames) + "<br>" + figure("loss.png", "losses per epoch"))
    _metrics_section(report, evaluation)
    report.add("Config", preformatted(yaml.safe_dump(state["config"], sort_keys=False)))
    write_report(result_dir / "report.html", report)
