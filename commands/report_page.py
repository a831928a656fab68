"""report.html of a run (`python main.py`) and of `python main.py evaluate`: the verdict first, then the
points, the paintings, the features, the figures, the frames, the latent space and the config."""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

import torch
import yaml

from commands.evaluation import Scored, too_few_points
from commands.pictures import publish_pictures
from commands.records import FinishedRun
from commands.verdict import passed, table_columns, verdict
from data import Dataset
from models import sample_points
from models.vae import VAE
from utils.config import Config, config_to_yaml, saved_config
from utils.report import Report, figure, metrics_table, paragraph, preformatted, write_report


def _frame_strip(frames: list[str]) -> str:
    """The first, middle and last frame (file names in result_path), large enough to read, and the GIF."""
    if not frames:
        return paragraph("no frames (gen_every_epochs: 0)")
    picks = sorted({round(q * (len(frames) - 1)) for q in (0, 0.5, 1)})
    strip = "".join(figure(frames[i], frames[i].removesuffix(".png").replace("_", " "), 360) for i in picks)
    return strip + "<br>" + figure("training.gif", "training.gif: every frame, same noise each time", 330)


def _metrics_section(report: Report, evaluation: dict[str, Any] | None, why_not: str) -> None:
    if evaluation is None:
        report.add("Metrics", paragraph(f"not evaluated: {why_not}"))
        return
    note = (
        f"{evaluation['n']} generated points vs {evaluation['n']} real test points ({evaluation['protocol']}), "
        f"mean ± standard error of {evaluation['repeats']} draws (the floor: one draw of {evaluation['n']} real "
        "training points against the test points); mixture: a Gaussian mixture "
        f"({evaluation.get('mixture_components', 128)} components) fitted on "
        "the same training points. Each check holds within 2 standard errors of the difference; the painting's "
        "figures read picture.png at the test points' pixels. utils/metrics.py defines each figure, "
        "commands/verdict.py the checks and the grade."
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
        error = spread[name].get(figure, 0.0)  # the painting's figures are one painting's
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
        f"{cfg.num_layers} layer(s) of width {cfg.hidden_dim}, prior {cfg.prior}",
        "epochs": f"{epochs} of {cfg.epochs} (batch {cfg.batch_size}, lr {cfg.lr})",
        "β": f"{cfg.beta_start} → {cfg.beta_end} ({cfg.beta_schedule})",
        "device": f"{device}, {torch.get_num_threads()} threads",
        "software": f"torch {torch.__version__}, Python {platform.python_version()}",
    }


def _common_sections(report: Report, evaluation: dict[str, Any] | None, why_not: str) -> None:
    points = figure(
        "real_vs_generated.png", "real test points, generated points and the mixture's: same picture size", 1100
    )
    painted = paragraph(
        "Painted: many generated points, each pixel the mean color of the points that land on it (a pixel no point "
        "reaches stays background), beside the real picture: where the model puts its points and which colors."
    ) + figure("picture.png", "the real picture, the model's painting and the mixture's", 1100)
    report.add("Real and generated points", points + "<br>" + painted)
    _features_section(report, evaluation)
    _metrics_section(report, evaluation, why_not)


def _latent_section(report: Report) -> None:
    report.add(
        "Latent space",
        paragraph(
            "Where the encoder puts the training points, and where the sampling prior draws: prior samples (white) "
            "should cover the colored points and little else."
        )
        + figure("latent.png", "latent space", 420),
    )


def _report(title: str, facts: dict[str, str], evaluation: dict[str, Any] | None, why_not: str) -> Report:
    """A page that opens with the verdict (commands/verdict.py), or says why there is none."""
    if evaluation is None:
        return Report(title, facts, f"No verdict: this run was not evaluated: {why_not}.")
    return Report(title, facts, verdict(evaluation), passed(evaluation))


def _why_not_evaluated(run: FinishedRun) -> str:
    if run.result.stopped:
        return "the run was stopped before its last epoch"
    return too_few_points(run.dataset) or "evaluate: false"


def train_report(
    result_dir: Path, run: FinishedRun, evaluation: dict[str, Any] | None, frames: list[str], wall: float
) -> None:
    """report.html of a training run: verdict, facts, real beside generated, the features, metrics, training, config."""
    cfg, dataset, result = run.cfg, run.dataset, run.result
    facts = _run_facts(cfg, run.model, dataset, result.epoch, run.device.type)
    facts["wall time"] = f"{wall:.1f} s" + (f" ({result.detail})" if result.stopped else "")
    why_not = _why_not_evaluated(run)
    report = _report(f"pi-vae: {cfg.model} on {dataset.name}", facts, evaluation, why_not)
    _common_sections(report, evaluation, why_not)
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
    result_dir: Path, state: dict[str, Any], scored: Scored, model: VAE, dataset: Dataset
) -> None:
    """report.html after `evaluate`: the checkpoint's run, fresh pictures, and the full evaluation."""
    evaluation = scored.report
    cfg = saved_config(state["config"], "the checkpoint's config")
    samples = sample_points(model, dataset.scaler, cfg.num_gen_points, cfg.seed)
    frames = sorted(p.name for p in result_dir.glob("epoch_*.png"))
    publish_pictures(result_dir, [], model, dataset, samples, {cfg.model: state["history"]}, scored)
    facts = _run_facts(cfg, model, dataset, state["epoch"], "cpu")
    report = _report(f"pi-vae: evaluation of {cfg.model} on {dataset.name}", facts, evaluation, "")
    _common_sections(report, evaluation, "")
    report.add("Training", _frame_strip(frames) + "<br>" + figure("loss.png", "losses per epoch"))
    _latent_section(report)
    report.add("Config", preformatted(yaml.safe_dump(state["config"], sort_keys=False)))
    write_report(result_dir / "report.html", report)
