"""The records the commands hand each other: a finished training run, and what `run_train` returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from commands.loop import TrainResult
from data import Dataset
from models.vae import VAE
from utils.config import Config
from utils.timing import Phases


@dataclass
class FinishedRun:
    """What a training run hands to publishing: its config and folder, the model and data, how it ended."""

    cfg: Config
    result_dir: Path
    model: VAE
    dataset: Dataset
    result: TrainResult
    fresh: bool  # a new run (False: resumed, so the earlier run's frames stay)
    device: torch.device
    started: float  # time.perf_counter() at its start
    phases: Phases


@dataclass
class RunOutputs:
    """What `run_train` returns to its callers (compare, benchmarks, tests)."""

    history: dict[str, list[float]]
    evaluation: dict[str, Any] | None
    dataset: Dataset | None = None
    model: VAE | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per phase (utils/timing.py)
