"""The result folder of a training run: what a run in progress keeps, and how its results are published.

A training run never leaves result_path worse off. It holds result_path/.lock (utils/lock.py), so a
second run on the same folder stops at once. After every finished epoch it writes its state to
result_path/.run/state.pt and the epoch's frame to .run/frames/ (each file atomically), so `kill -9`
loses at most the epoch in progress and `resume=true` continues from there. The published results
(checkpoint.pt, frames, GIF, samples, report, ...) are replaced only when the run has a finished epoch
to show: at its end, or when Ctrl-C or SIGTERM stops it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from commands.evaluation import score, too_few_points
from commands.frames import final_fit
from commands.pictures import publish_pictures, write_losses_csv
from commands.records import FinishedRun
from commands.report_page import train_report
from commands.verdict import print_evaluation, summary
from data import DATA_KEYS, Dataset
from models import MODEL_KEYS, sample_points
from utils.checkpoint import CHECKPOINT_NAME, load_checkpoint, save_checkpoint
from utils.config import Config, config_to_yaml
from utils.errors import UserError
from utils.io import save_npy, write_json, write_text

RUN_DIR = ".run"  # result_path/.run: the state of the run in progress (state.pt, frames/)
STATE_NAME = "state.pt"
RESUME_KEYS = (*DATA_KEYS, *MODEL_KEYS)  # config keys that must match to resume: they shape the data or weights


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


def run_state(state: dict[str, Any], cfg: Config, dataset: Dataset) -> dict[str, Any]:
    """The checkpoint dict (utils/checkpoint.py) of a training state (commands/loop.py) and its run."""
    return {
        **state,
        "config": cfg.to_dict(),
        "scaler": dataset.scaler.to_dict(),
        "background": list(dataset.background),
    }


def _resume_problem(state: dict[str, Any], cfg: Config, path: Path) -> str | None:
    """Why `state` (read from `path`) cannot be continued up to cfg.epochs, or None if it can."""
    old = state["config"]
    changed = [key for key in RESUME_KEYS if old.get(key) != getattr(cfg, key)]
    if changed:
        return (
            f"cannot resume: {', '.join(f'{k} was {old.get(k)!r}' for k in changed)} in {path}; "
            "set them back, or retrain with resume=false."
        )
    if state["epoch"] >= cfg.epochs:
        return f"{path} already has {state['epoch']} epochs; raise epochs above that to resume."
    return None


def _state_path(result_dir: Path) -> Path:
    """The in-progress state of a killed run if there is one, else the published checkpoint."""
    in_progress = result_dir / RUN_DIR / STATE_NAME
    return in_progress if in_progress.is_file() else result_dir / CHECKPOINT_NAME


def resumable_state(cfg: Config, result_dir: Path) -> dict[str, Any]:
    """The state `resume=true` continues from; a UserError if there is none or it does not fit cfg."""
    path = _state_path(result_dir)
    state = load_checkpoint(path)
    problem = _resume_problem(state, cfg, path)
    if problem:
        raise UserError(problem)
    print(f"resuming from {path} (epoch {state['epoch']})")
    return state


def can_resume(cfg: Config, result_dir: Path) -> bool:
    """Whether result_dir holds a run of this config cut short (what a sweep continues rather than restarts)."""
    path = _state_path(result_dir)
    if not path.is_file():
        return False
    try:
        return _resume_problem(load_checkpoint(path), cfg, path) is None
    except UserError:  # a damaged or old file: a fresh run replaces it
        return False


def epoch_of(frame: Path) -> int:
    return int(frame.stem.split("_")[1])


def _frames(run: FinishedRun) -> tuple[list[Path], list[Path]]:
    """(this run's new frames, every frame to show): a resumed run keeps the earlier run's frames."""
    run_dir, epoch = run.result_dir / RUN_DIR, run.result.epoch
    new = [f for f in sorted((run_dir / "frames").glob("epoch_*.png")) if epoch_of(f) <= epoch]
    names = {f.name for f in new}
    kept = [] if run.fresh else [f for f in run.result_dir.glob("epoch_*.png") if epoch_of(f) <= epoch]
    return new, sorted([*new, *(f for f in kept if f.name not in names)], key=epoch_of)


def publish(run: FinishedRun, samples: np.ndarray | None) -> dict[str, Any] | None:
    """Write every result file into .run/publish/, then rename them all into result_dir.

    Writing first and renaming after means a failed write (disk full) leaves the earlier results
    as they were: renames within one folder need no space. `samples`: points already drawn from
    the final model with the full calibration, if any. Returns the evaluation, if one was made.
    """
    cfg, model, dataset, result, phases = run.cfg, run.model, run.dataset, run.result, run.phases
    out = run.result_dir / RUN_DIR / "publish"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    new_frames, frames = _frames(run)
    if samples is None:  # no last frame drew them: a stopped run, or frames off
        with phases("sampling"):
            final_fit(model, dataset, cfg.seed)
            samples = sample_points(model, dataset.scaler, cfg.num_gen_points, cfg.seed)
    save_npy(out / "samples.npy", samples)
    write_losses_csv(out / "losses.csv", result.history)
    write_text(out / "config.yaml", config_to_yaml(cfg))
    save_checkpoint(out / CHECKPOINT_NAME, run_state({**result.checkpoint, "model": model.state_dict()}, cfg, dataset))
    scored, unscored = None, too_few_points(dataset)
    if cfg.evaluate and not result.stopped and unscored is None:
        with phases("evaluation"):
            scored = score(model, dataset, cfg.seed, baseline=True)
        scored.report["verdict"] = summary(scored.report)
        write_json(out / "metrics.json", scored.report)
        print_evaluation(scored.report)
    elif cfg.evaluate and unscored is not None:
        print(f"note: not evaluated: {unscored}.")
    with phases("pictures"):
        publish_pictures(out, frames, model, dataset, samples, {cfg.model: result.history}, scored)
    wall = time.perf_counter() - run.started
    evaluation = None if scored is None else scored.report
    with phases("report"):
        train_report(out, run, evaluation, [f.name for f in frames], wall)
    _replace_results(run, new_frames, out, stale=["samples.png"] + (["metrics.json"] if evaluation is None else []))
    print(
        f"wrote {len(frames)} frames, training.gif, report.html, samples.npy, losses.csv, {CHECKPOINT_NAME} "
        f"and more to {run.result_dir} ({wall:.0f} s in all)"
    )
    return evaluation


def _replace_results(run: FinishedRun, new_frames: list[Path], out: Path, stale: list[str]) -> None:
    """Every file is written: from here on only renames and removals."""
    result_dir = run.result_dir
    for old in [*(result_dir.glob("epoch_*.png") if run.fresh else []), *(result_dir / name for name in stale)]:
        old.unlink(missing_ok=True)  # an earlier run's frames or figures would not match this run
    for path in [*new_frames, *out.iterdir()]:
        os.replace(path, result_dir / path.name)
    shutil.rmtree(result_dir / RUN_DIR, ignore_errors=True)
