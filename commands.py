"""The four commands behind `main.py`: train (default), generate, evaluate, compare, and where their files go.

A training run never leaves result_path worse off. It holds result_path/.lock (utils/lock.py), so a
second run on the same folder stops at once. After every finished epoch it writes its state to
result_path/.run/state.pt and the epoch's frame to .run/frames/ (each file atomically), so `kill -9`
loses at most the epoch in progress and `resume=true` continues from there. The published results
(checkpoint.pt, frames, GIF, samples, report, ...) are replaced only when the run has a finished epoch
to show: at its end, or when Ctrl-C or SIGTERM stops it.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from data import Dataset, load_dataset
from models import MODELS, build_model, restore_model, sample_points, stream_points
from models.vae import VAE
from utils import plotting
from utils.checkpoint import CHECKPOINT_NAME, load_checkpoint, save_checkpoint
from utils.config import Config, config_to_yaml
from utils.errors import UserError
from utils.evaluation import evaluate, format_table
from utils.io import save_npy, write_json, write_points_stream, write_text
from utils.lock import RunLock
from utils.results import (
    draw_samples,
    frame_title,
    publish_pictures,
    train_report,
    write_compare_report,
    write_evaluation_report,
)
from utils.training import HISTORY_KEYS, TrainResult, frame_epochs, train

RUN_DIR = ".run"  # result_path/.run: the state of the run in progress (state.pt, frames/)
STATE_NAME = "state.pt"
# config keys that must match to resume a checkpoint (they shape the weights or the data)
SHAPE_KEYS = (
    "dataset",
    "image_path",
    "mask_path",
    "image_threshold",
    "num_points",
    "holdout",
    "model",
    "hidden_dim",
    "num_head",
    "num_layers",
    "latent_dim",
    "likelihood",
    "prior",
    "prior_components",
    "seed",
)


@dataclass
class RunOutputs:
    history: dict[str, list[float]]
    snapshots: dict[int, np.ndarray]  # epoch -> generated points (data units) drawn at that epoch
    evaluation: dict[str, Any] | None
    dataset: Dataset | None = None
    model: VAE | None = None


def setup_runtime(cfg: Config) -> torch.device:
    """Pick the device and thread count; a requested but missing GPU is a user error."""
    if cfg.device == "cuda" and not torch.cuda.is_available():
        raise UserError("device: cuda was asked for but no CUDA GPU is available; set device=cpu or device=auto.")
    device = torch.device("cuda" if cfg.device != "cpu" and torch.cuda.is_available() else "cpu")
    # one thread per core: more threads than cores slow small models down many times over
    threads = cfg.threads or min(len(os.sched_getaffinity(0)), 4)
    torch.set_num_threads(threads)
    return device


def prepare_result_dir(path: str) -> Path:
    """Create result_path if needed and prove it is writable; returns it."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise UserError(
            f"result_path '{folder}' is not writable ({err.strerror}); choose another with result_path=DIR."
        ) from None
    return folder


def run_train(cfg: Config, snapshot_epochs: tuple[int, ...] = ()) -> RunOutputs:
    """`python main.py`: train (or resume) and write every result file; or generate only (retrain: false)."""
    device = setup_runtime(cfg)
    result_dir = prepare_result_dir(cfg.result_path)
    if not cfg.retrain:
        return generate_from_checkpoint(cfg, result_dir)
    with RunLock(result_dir):
        return _train(cfg, result_dir, device, snapshot_epochs)


def _train(cfg: Config, result_dir: Path, device: torch.device, snapshot_epochs: tuple[int, ...]) -> RunOutputs:
    started = time.perf_counter()
    run_dir, state_path = result_dir / RUN_DIR, result_dir / RUN_DIR / STATE_NAME
    resume_from = _resumable_state(cfg, result_dir) if cfg.resume else None
    dataset = load_dataset(cfg)
    model = build_model(cfg, dataset.scaler)
    model.fit_floor(torch.from_numpy(dataset.scaled))  # the training precision floor (models/vae.py)
    if resume_from is None:
        if state_path.is_file():
            print(f"note: replacing the unfinished run in {run_dir} (resume=true would have continued it)")
        shutil.rmtree(run_dir, ignore_errors=True)
    (run_dir / "frames").mkdir(parents=True, exist_ok=True)
    frames, snapshots = set(frame_epochs(cfg)), {}

    def on_epoch_end(epoch: int, history: dict[str, list[float]]) -> None:
        if epoch not in frames and epoch not in snapshot_epochs:
            return
        points = draw_samples(model, dataset, cfg.num_gen_points, cfg.seed, preview=epoch < cfg.epochs)
        snapshots[epoch] = points
        if epoch in frames:
            path = run_dir / "frames" / f"epoch_{epoch:03d}.png"
            plotting.save_frame(path, points, dataset.scaler.image_shape, frame_title(cfg, epoch, history))

    def save_state(state: dict[str, Any]) -> None:
        save_checkpoint(state_path, {**state, "config": cfg.to_dict(), "scaler": dataset.scaler.to_dict()})

    result = train(cfg, model, dataset.scaled, device, resume_from, on_epoch_end, save_state)
    if result.finished_this_run == 0 and result.stopped:
        raise UserError(
            f"{result.detail} before the first epoch finished; nothing was published, earlier "
            f"results in '{result_dir}' are untouched. Lower lr if the loss diverged."
        )
    # a finished run's last frame was drawn with the full fit and the run's seed: exactly samples.npy
    final = snapshots.get(result.epoch) if result.stopped is None and result.epoch == cfg.epochs else None
    evaluation = publish(
        cfg,
        result_dir,
        model,
        dataset,
        result,
        fresh=resume_from is None,
        samples=final,
        device=device,
        started=started,
    )
    if result.stopped == "interrupted" and result.signal is not None:
        print(
            f"{result.detail}: saved epoch {result.epoch} to {result_dir / CHECKPOINT_NAME}; "
            "continue with `python main.py resume=true`."
        )
        raise result.signal
    if result.stopped == "nan":
        raise UserError(
            f"{result.detail}; kept the checkpoint of epoch {result.epoch} in "
            f"{result_dir / CHECKPOINT_NAME}. Lower lr (now {cfg.lr}) or beta_end and retrain."
        )
    return RunOutputs(result.history, snapshots, evaluation, dataset, model)


def _resumable_state(cfg: Config, result_dir: Path) -> dict[str, Any]:
    """The in-progress state of a killed run if there is one, else the published checkpoint."""
    in_progress = result_dir / RUN_DIR / STATE_NAME
    path = in_progress if in_progress.is_file() else result_dir / CHECKPOINT_NAME
    state = load_checkpoint(path)
    old = state["config"]
    changed = [key for key in SHAPE_KEYS if old.get(key) != getattr(cfg, key)]
    if changed:
        raise UserError(
            f"cannot resume: {', '.join(f'{k} was {old.get(k)!r}' for k in changed)} in {path}; "
            "set them back, or retrain with resume=false."
        )
    if state["epoch"] >= cfg.epochs:
        raise UserError(f"{path} already has {state['epoch']} epochs; raise epochs above that to resume.")
    print(f"resuming from {path} (epoch {state['epoch']})")
    return state


def publish(
    cfg: Config,
    result_dir: Path,
    model: VAE,
    dataset: Dataset,
    result: TrainResult,
    fresh: bool,
    samples: np.ndarray | None,
    device: torch.device,
    started: float,
) -> dict[str, Any] | None:
    """Write every result file into .run/publish/, then rename them all into result_dir.

    Writing first and renaming after means a failed write (disk full) leaves the earlier results
    as they were: renames within one folder need no space. `samples`: points already drawn from
    the final model with the full calibration, if any.
    """
    run_dir = result_dir / RUN_DIR
    out = run_dir / "publish"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    new_frames = [f for f in sorted((run_dir / "frames").glob("epoch_*.png")) if _epoch_of(f) <= result.epoch]
    names = {f.name for f in new_frames}
    kept = [] if fresh else [f for f in result_dir.glob("epoch_*.png") if _epoch_of(f) <= result.epoch]
    frames = sorted([*new_frames, *(f for f in kept if f.name not in names)], key=_epoch_of)
    if samples is None:
        samples = draw_samples(model, dataset, cfg.num_gen_points, cfg.seed)
    save_npy(out / "samples.npy", samples)
    write_losses_csv(out / "losses.csv", result.history)
    write_text(out / "config.yaml", config_to_yaml(cfg))
    publish_pictures(out, frames, model, dataset, samples, {cfg.model: result.history})
    state = {
        **result.checkpoint,
        "model": model.state_dict(),
        "config": cfg.to_dict(),
        "scaler": dataset.scaler.to_dict(),
    }
    save_checkpoint(out / CHECKPOINT_NAME, state)
    evaluation = None
    if cfg.evaluate and not result.stopped:
        evaluation = score(model, dataset, cfg.seed)
        write_json(out / "metrics.json", evaluation)
        print_evaluation(evaluation)
    wall = time.perf_counter() - started
    train_report(out, cfg, model, dataset, result, evaluation, [f.name for f in frames], device, wall)
    # every file is written: from here on only renames and removals
    stale = ["metrics.json", "samples.png"] if evaluation is None else ["samples.png"]
    for old in [*(result_dir.glob("epoch_*.png") if fresh else []), *(result_dir / name for name in stale)]:
        old.unlink(missing_ok=True)  # an earlier run's frames or figures would not match this run
    for path in [*new_frames, *out.iterdir()]:
        os.replace(path, result_dir / path.name)
    shutil.rmtree(run_dir, ignore_errors=True)
    print(
        f"wrote {len(frames)} frames, training.gif, report.html, samples.npy, losses.csv, {CHECKPOINT_NAME} "
        f"and more to {result_dir} ({wall:.0f} s in all)"
    )
    return evaluation


def _epoch_of(frame: Path) -> int:
    return int(frame.stem.split("_")[1])


def write_losses_csv(path: Path, history: dict[str, list[float]]) -> None:
    """One row per epoch: epoch, total, recons, kld, beta, lr, seconds."""
    lines = ["epoch," + ",".join(HISTORY_KEYS)]
    for epoch, values in enumerate(zip(*(history[key] for key in HISTORY_KEYS), strict=True), start=1):
        lines.append(f"{epoch}," + ",".join(f"{value:.6g}" for value in values))
    write_text(path, "\n".join(lines) + "\n")


def score(model: VAE, dataset: Dataset, seed: int, baseline: bool = False, diagnostic: bool = False) -> dict[str, Any]:
    """The evaluation of utils/evaluation.py for this model: its samples (and diagnostic) vs the test points."""
    scaler = dataset.scaler

    def reconstruct(points: np.ndarray, s: int, use_mean: bool) -> np.ndarray:
        x = torch.from_numpy(scaler.to_model(points)).to(model.noise_std.device)
        return scaler.to_data(model.reconstruct(x, torch.Generator().manual_seed(s), use_mean).cpu().numpy())

    return evaluate(
        dataset,
        lambda n, s: sample_points(model, scaler, n, seed=s + 1),
        seed,
        baseline=baseline,
        reconstruct=reconstruct if diagnostic else None,
    )


def print_evaluation(report: dict[str, Any]) -> None:
    print(
        f"evaluation on {report['data']} ({report['protocol']}): {report['n']} generated vs {report['n']} real "
        f"points the model never trained on, mean of {report['repeats']} draws (floor: a real sample)"
    )
    columns: dict[str, dict[str, float]] = {k: report[k] for k in ("model", "baseline", "floor") if k in report}
    print(format_table(columns, report["targets"]))
    if "diagnostic" in report:
        print("\ndiagnostic (prior: the model's samples; posterior: decoded q(z|x) of training points):")
        print(format_table({**report["diagnostic"], "floor": report["floor"]}))


def generate_from_checkpoint(cfg: Config, result_dir: Path) -> RunOutputs:
    """retrain: false: load result_path/checkpoint.pt and write samples.npy and samples.png."""
    state = load_checkpoint(result_dir / CHECKPOINT_NAME)
    model, scaler = restore_model(state)
    points = sample_points(model, scaler, cfg.num_gen_points, cfg.seed)
    save_npy(result_dir / "samples.npy", points)
    plotting.save_frame(result_dir / "samples.png", points, scaler.image_shape, f"samples · epoch {state['epoch']}")
    print(f"loaded {result_dir / CHECKPOINT_NAME} (epoch {state['epoch']}); wrote samples.npy and samples.png")
    return RunOutputs(state["history"], {}, None)


def run_generate(cfg: Config, n: int, out: str, seed: int | None) -> None:
    """`python main.py generate -n N -o FILE`: N points in data units to .npy or .csv, streamed in chunks."""
    path = Path(out)
    if path.suffix not in (".npy", ".csv"):
        raise UserError(f"output '{out}' must end in .npy or .csv.")
    if n <= 0:
        raise UserError(f"-n must be a positive number of points, got {n}.")
    if not path.parent.is_dir():
        raise UserError(f"folder '{path.parent}' for the output does not exist; create it first.")
    setup_runtime(cfg)
    model, scaler = restore_model(load_checkpoint(Path(cfg.result_path) / CHECKPOINT_NAME))
    with tqdm(total=n, unit="pt", unit_scale=True, desc="generate", disable=n < 2_000_000) as bar:

        def counted() -> Iterator[np.ndarray]:
            for chunk in stream_points(model, scaler, n, seed):
                bar.update(len(chunk))
                yield chunk

        write_points_stream(path, n, ("x", "y", "r", "g", "b"), counted())
    print(f"wrote {n} points (x, y in pixels; r, g, b in 0..255) to {path}")


def run_evaluate(cfg: Config) -> dict[str, Any]:
    """`python main.py evaluate`: the checkpoint, the mixture baseline and the floor, with the diagnostic."""
    setup_runtime(cfg)
    result_dir = prepare_result_dir(cfg.result_path)
    state = load_checkpoint(result_dir / CHECKPOINT_NAME)
    model, _ = restore_model(state)
    trained = state["config"]
    # score against the points of the run's own split: its data, seed and holdout
    data_keys = ("dataset", "data_dir", "image_path", "mask_path", "image_threshold", "num_points", "holdout", "seed")
    dataset = load_dataset(dataclasses.replace(cfg, **{key: trained[key] for key in data_keys}))
    report = score(model, dataset, trained["seed"], baseline=True, diagnostic=True)
    write_json(result_dir / "metrics.json", report)
    print_evaluation(report)
    write_evaluation_report(result_dir, state, model, dataset, report)
    return report


def run_compare(cfg: Config) -> None:
    """`python main.py compare`: train every registered model with the same budget; grid, losses, one table."""
    result_dir = prepare_result_dir(cfg.result_path)
    grid_epochs = tuple(sorted({1, *(round(cfg.epochs * q) for q in (0.25, 0.5, 0.75)), cfg.epochs} - {0}))
    outputs = {}
    for name in MODELS:
        print(f"--- {name}")
        run_cfg = dataclasses.replace(
            cfg, model=name, result_path=str(result_dir / "compare" / name), evaluate=False, retrain=True, resume=False
        )
        outputs[name] = run_train(run_cfg, snapshot_epochs=grid_epochs)
    dataset = next(iter(outputs.values())).dataset
    assert dataset is not None, "run_train returns its dataset"
    reports = {}
    for k, (name, out) in enumerate(outputs.items()):
        assert out.model is not None, "run_train returns its model"
        reports[name] = score(out.model, dataset, cfg.seed, baseline=k == 0)  # the same baseline for every model
    first = next(iter(reports.values()))
    columns = {name: report["model"] for name, report in reports.items()}
    columns |= {"mixture baseline": first["baseline"], "floor (real vs real)": first["floor"]}
    table = format_table(columns)
    write_text(result_dir / "compare.md", f"# models on {dataset.describe()}, {cfg.epochs} epochs each\n\n{table}\n")
    write_compare_report(result_dir, cfg, outputs, dataset, columns, grid_epochs)
    print(table)
    print(f"wrote compare_grid.png, compare_loss.png, compare.md, report.html to {result_dir}")
