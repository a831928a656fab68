"""`python main.py` (train, the default command): train or resume a model and publish every result file.

The run folder's protocol (lock, per-epoch state, staged publish) is commands/run_folder.py's; the
loop is commands/loop.py's. This file puts them in order: data, model, loop with a frame per epoch,
publish, and what a stopped run says.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import torch

from commands import results
from commands.generate import generate_from_checkpoint
from commands.loop import History, frame_epochs, train
from commands.records import FinishedRun, RunOutputs
from commands.run_folder import (
    RUN_DIR,
    STATE_NAME,
    prepare_result_dir,
    publish,
    resumable_state,
    run_state,
)
from commands.runtime import setup_runtime
from data import load_dataset
from models import build_model
from utils import plotting
from utils.checkpoint import CHECKPOINT_NAME, save_checkpoint
from utils.config import Config
from utils.errors import UserError
from utils.lock import RunLock
from utils.timing import Phases

DURABLE_EVERY = 1.0  # seconds: the resume state is flushed to the disk at most this often


def run_train(cfg: Config) -> RunOutputs:
    """`python main.py`: train (or resume) and write every result file; or generate only (retrain: false)."""
    device = setup_runtime(cfg)
    result_dir = prepare_result_dir(cfg.result_path)
    if not cfg.retrain:
        return generate_from_checkpoint(cfg, result_dir)
    with RunLock(result_dir):
        return _train(cfg, result_dir, device)


def _train(cfg: Config, result_dir: Path, device: torch.device) -> RunOutputs:
    started, phases = time.perf_counter(), Phases()
    run_dir, state_path = result_dir / RUN_DIR, result_dir / RUN_DIR / STATE_NAME
    resume_from = resumable_state(cfg, result_dir) if cfg.resume else None
    with phases("data loading"):
        dataset = load_dataset(cfg)
    model = build_model(cfg, dataset.scaler)
    model.fit_floor(torch.from_numpy(dataset.scaled))  # the training precision floor (models/vae.py)
    if resume_from is None:
        if state_path.is_file():
            print(f"note: replacing the unfinished run in {run_dir} (resume=true would have continued it)")
        shutil.rmtree(run_dir, ignore_errors=True)
    (run_dir / "frames").mkdir(parents=True, exist_ok=True)
    frames, drawn = set(frame_epochs(cfg)), {}  # drawn: epoch -> the frame's points

    def on_epoch_end(epoch: int, history: History) -> None:
        if epoch not in frames:
            return
        with phases("sampling"):
            points = results.draw_samples(model, dataset, cfg.num_gen_points, cfg.seed, preview=epoch < cfg.epochs)
        drawn[epoch] = points
        with phases("frames"):
            path = run_dir / "frames" / f"epoch_{epoch:03d}.png"
            plotting.save_frame(path, points, dataset.canvas, results.frame_title(cfg, epoch, history))

    flushed = [time.perf_counter()]  # when the state was last flushed to the disk

    def save_state(state: dict[str, Any]) -> None:
        # written after every epoch (a killed process loses at most the epoch in progress), flushed to the
        # disk at most once a second (a power cut: at most that second): a flush can cost more than an epoch
        durable = time.perf_counter() - flushed[0] >= DURABLE_EVERY or state["epoch"] == cfg.epochs
        save_checkpoint(state_path, run_state(state, cfg, dataset), durable)
        if durable:
            flushed[0] = time.perf_counter()

    with phases("training"):
        result = train(cfg, model, dataset.scaled, device, resume_from, on_epoch_end, save_state)
    if result.finished_this_run == 0 and result.stopped:
        raise UserError(
            f"{result.detail} before the first epoch finished; nothing was published, earlier "
            f"results in '{result_dir}' are untouched. Lower lr if the loss diverged."
        )
    # a finished run's last frame was drawn with the full fit and the run's seed: exactly samples.npy
    final = drawn.get(result.epoch) if result.stopped is None and result.epoch == cfg.epochs else None
    run = FinishedRun(cfg, result_dir, model, dataset, result, resume_from is None, device, started, phases)
    evaluation = publish(run, final)
    _explain_stop(run)
    return RunOutputs(result.history, evaluation, dataset, model, phases.seconds)


def _explain_stop(run: FinishedRun) -> None:
    """A run stopped by a signal re-raises it after publishing; one whose loss diverged is a user error."""
    result = run.result
    if result.stopped == "interrupted" and result.signal is not None:
        print(
            f"{result.detail}: saved epoch {result.epoch} to {run.result_dir / CHECKPOINT_NAME}; "
            "continue with `python main.py resume=true`."
        )
        raise result.signal
    if result.stopped == "nan":
        raise UserError(
            f"{result.detail}; kept the checkpoint of epoch {result.epoch} in "
            f"{run.result_dir / CHECKPOINT_NAME}. Lower lr (now {run.cfg.lr}) or beta_end and retrain."
        )
