"""What a run shows in result/: samples for frames, the pictures, and report.html for train, evaluate, compare."""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from commands.evaluation import Points
from commands.loop import HISTORY_KEYS
from commands.records import FinishedRun
from commands.verdict import passed, table_columns, verdict
from data import Dataset
from models import sample_points
from models.vae import VAE
from utils import feature_plots, plotting
from utils.config import Config, config_to_yaml, saved_config
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
    scored: Points | None = None,
) -> None:
    """training.gif (from `frames`, in order), loss.png, real_vs_generated.png, latent.png, features.png and
    color_profile.png into `out`. `scored`: the evaluation's first draw (test points, the model's, the
    mixture's), shown where there is one; else the test points beside `samples`."""
    if frames:
        plotting.save_gif(out / "training.gif", frames)
    plotting.save_loss_plot(out / "loss.png", histories)
    sets = _compared_sets(dataset, samples, scored)
    n = len(sets["real"])
    panels = {f"real ({dataset.name}, {n} test points)": sets["real"], f"generated ({n} points)": sets["generated"]}
    if "mixture" in sets:
        panels[f"128-component mixture ({n} points)"] = sets["mixture"]
    plotting.save_side_by_side(out / "real_vs_generated.png", panels, dataset.canvas)
    feature_plots.save_marginals(out / "features.png", sets, dataset.scaler.image_shape)
    feature_plots.save_color_profile(out / "color_profile.png", sets, dataset.scaler.image_shape)
    save_latent_picture(out / "latent.png", model, dataset)


def _compared_sets(dataset: Dataset, samples: np.ndarray, scored: Points | None) -> dict[str, np.ndarray]:
    """{"real", "generated"[, "mixture"]}: equally many points of each, in data units."""
    if scored is not None:
        sets = {"real": scored["test"], "generated": scored["model"]}
        return sets | ({"mixture": scored["baseline"]} if "baseline" in scored else {})
    n = min(len(samples), len(dataset.test))
    return {"real": dataset.test[:n], "generated": samples[:n]}


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
    note = (
        f"{evaluation['n']} generated points vs {evaluation['n']} real test points ({evaluation['protocol']}), "
        f"mean ± standard error of {evaluation['repeats']} draws (the floor: one draw of {evaluation['n']} real "
        "training points against the test points); mixture: a 128-component Gaussian mixture fitted on the same "
        "training points. Each check holds within 2 standard errors of the difference. utils/metrics.py defines "
        "each figure, commands/verdict.py the checks and the grade."
    )
    body = paragraph(note) + metrics_table(_with_errors(evaluation), evaluation["targets"])
    if "diagnostic" in evaluation:
        body += "<h3>Where a gap comes from</h3>" + paragraph(
            "prior: the model's samples; posterior: decoded z ~ q(z|x) of training points; posterior_mean: decoded "
            "posterior means (both plus output noise). Posterior near the floor and prior far from it: the sampling "
            "prior is the gap; posterior far from it: the autoencoder is."
        )
        body += metrics_table({**evaluation["diagnostic"], "floor": evaluation["floor"]}, None)
    report.add("Metrics", body)


def _with_errors(evaluation: dict[str, Any]) -> dict[str, dict[str, str | float]]:
    """The table's columns, each figure as "mean ± standard error" (the floor's one draw has none but a share's)."""
    spread = evaluation["spread"]

    def cell(name: str, figure: str, value: float) -> str:
        error = spread[name][figure]
        return f"{value:.4f} ± {error:.4f}" if error > 0 else f"{value:.4f}"

    return {
        ("mixture" if name == "baseline" else name): {k: cell(name, k, v) for k, v in column.items()}
        for name, column in table_columns(evaluation).items()
    }


def _features_section(report: Report, evaluation: dict[str, Any] | None) -> None:
    """The marginals, the color profile and, with an evaluation, their distances per feature."""
    body = paragraph(
        "Each feature on its own (real test points in black, generated in orange, the mixture dashed blue), and how "
        "the colors follow the position: the mean color in bands of rows and of columns, the real points' spread "
        "shaded. A line away from the black one shows where generated points differ from real ones."
    )
    body += figure("features.png", "the five features' distributions", 1100)
    body += "<br>" + figure("color_profile.png", "the mean color along the rows and the columns", 1000)
    if evaluation is not None:
        body += _feature_table(evaluation["features"])
    report.add("The features one at a time", body)


def _feature_table(distances: dict[str, Any]) -> str:
    """Rows: x, y, r, g, b (KS statistic / Wasserstein-1 in the feature's units) and the color profiles' errors."""
    names = {"model": "generated", "baseline": "mixture", "floor": "floor (real)"}
    columns: dict[str, dict[str, str | float]] = {}
    for key, title in names.items():
        if key not in distances:
            continue
        marginals, profile = distances[key]["marginals"], distances[key]["color_profile_error"]
        column: dict[str, str | float] = {
            f"{f}: KS / W1": f"{d['ks']:.3f} / {d['w1']:.2f}" for f, d in marginals.items()
        }
        column |= {f"color along the {axis}: mean error": f"{value:.2f}" for axis, value in profile.items()}
        columns[title] = column
    return paragraph(
        "Per feature, the first draw: the Kolmogorov-Smirnov statistic (0..1) and the Wasserstein-1 distance "
        "(pixels or color levels) from the real test points; the color profile's mean error in color levels."
    ) + metrics_table(columns, None)


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


def _common_sections(report: Report, evaluation: dict[str, Any] | None) -> None:
    report.add(
        "Real and generated points",
        figure(
            "real_vs_generated.png", "real test points, generated points and the mixture's: same picture size", 1100
        ),
    )
    _features_section(report, evaluation)
    _metrics_section(report, evaluation)


def _latent_section(report: Report) -> None:
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


def _report(title: str, facts: dict[str, str], evaluation: dict[str, Any] | None) -> Report:
    """A page that opens with the verdict (commands/verdict.py), or says there is none."""
    if evaluation is None:
        return Report(title, facts, "No verdict: this run was not evaluated (evaluate: false, or it was stopped).")
    return Report(title, facts, verdict(evaluation), passed(evaluation))


def train_report(
    result_dir: Path, run: FinishedRun, evaluation: dict[str, Any] | None, frames: list[str], wall: float
) -> None:
    """report.html of a training run: verdict, facts, real beside generated, the features, metrics, training, config."""
    cfg, dataset, result = run.cfg, run.dataset, run.result
    facts = _run_facts(cfg, run.model, dataset, result.epoch, run.device.type)
    facts["wall time"] = f"{wall:.1f} s" + (f" ({result.detail})" if result.stopped else "")
    report = _report(f"pi-vae: {cfg.model} on {dataset.name}", facts, evaluation)
    _common_sections(report, evaluation)
    report.add(
        "Training",
        _frame_strip(frames)
        + "<br>"
        + figure("loss.png", "total, recons, KLD (log) and β per epoch; values in losses.csv"),
    )
    _latent_section(report)
    report.add("Config", preformatted(config_to_yaml(cfg)))
    write_report(result_dir / "report.html", report)


def write_evaluation_report(
    result_dir: Path, state: dict[str, Any], scored: tuple[dict[str, Any], Points], model: VAE, dataset: Dataset
) -> None:
    """report.html after `evaluate`: the checkpoint's run, fresh pictures, and the full evaluation."""
    evaluation, points = scored
    cfg = saved_config(state["config"], "the checkpoint's config")
    samples = sample_points(model, dataset.scaler, cfg.num_gen_points, cfg.seed)
    frames = sorted(p.name for p in result_dir.glob("epoch_*.png"))
    publish_pictures(result_dir, [], model, dataset, samples, {cfg.model: state["history"]}, points)
    facts = _run_facts(cfg, model, dataset, state["epoch"], "cpu")
    report = _report(f"pi-vae: evaluation of {cfg.model} on {dataset.name}", facts, evaluation)
    _common_sections(report, evaluation)
    report.add("Training", _frame_strip(frames) + "<br>" + figure("loss.png", "losses per epoch"))
    _latent_section(report)
    report.add("Config", preformatted(yaml.safe_dump(state["config"], sort_keys=False)))
    write_report(result_dir / "report.html", report)
