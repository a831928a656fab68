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

from commands.frames import Frames
from commands.generate import generate_from_checkpoint
from commands.loop import History, train
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
    if resume_from is None:
        if state_path.is_file():
            print(f"note: replacing the unfinished run in {run_dir} (resume=true would have continued it)")
        shutil.rmtree(run_dir, ignore_errors=True)
    (run_dir / "frames").mkdir(parents=True, exist_ok=True)
    frames = Frames(cfg, dataset, run_dir / "frames", resume_from.get("frames") if resume_from else None)

    def on_epoch_end(epoch: int, history: History) -> None:
        frames(model, epoch, history, phases)

    flushed = [time.perf_counter()]  # when the state was last flushed to the disk

    def save_state(state: dict[str, Any]) -> None:
        # written after every epoch (a killed process loses at most the epoch in progress), flushed to the
        # disk at most once a second (a power cut: at most that second): a flush can cost more than an epoch
        durable = time.perf_counter() - flushed[0] >= DURABLE_EVERY or state["epoch"] == cfg.epochs
        with_frames = {**state, "frames": frames.memberships}  # the next frame's fit starts from them
        save_checkpoint(state_path, run_state(with_frames, cfg, dataset), durable)
        if durable:
            flushed[0] = time.perf_counter()

    with phases("training"):
        result = train(cfg, model, dataset.scaled, device, resume_from, on_epoch_end, save_state)
    if result.finished_this_run == 0 and result.stopped:
        raise UserError(
            f"{result.detail} before the first epoch finished; nothing was published, earlier "
            f"results in '{result_dir}' are untouched. Lower lr if the loss diverged."
        )
    run = FinishedRun(cfg, result_dir, model, dataset, result, resume_from is None, device, started, phases)
    evaluation = publish(run, frames.samples if result.stopped is None else None)
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
