"""The command line as a user runs it: `python main.py ...` in a subprocess, and a tiny config for it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import torch

from tests.conftest import ROOT

TINY = [
    "dataset=synthetic",
    "num_points=400",  # the built-in π trains on 200 points and is scored against 200 others: seconds a run
    "epochs=2",
    "batch_size=256",
    "hidden_dim=16",
    "num_head=2",
    "latent_dim=3",
    "prior_components=4",
    "gen_every_epochs=1",
    "num_gen_points=400",
    "threads=1",
]


def run(*args: str, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check:
        assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def epoch_on_disk(path: Path) -> int:
    """The epoch of the checkpoint or run state at `path`, 0 while there is none (or it is being replaced)."""
    try:
        return int(torch.load(path, weights_only=True)["epoch"])
    except (FileNotFoundError, RuntimeError, EOFError, KeyError):  # not there yet
        return 0


def wait_for_epoch(path: Path, epoch: int, proc: subprocess.Popen, seconds: float = 300) -> None:
    """Wait until the state at `path` holds `epoch` finished epochs (the state a stop test needs)."""
    deadline = time.time() + seconds
    while epoch_on_disk(path) < epoch:
        assert proc.poll() is None, "the run ended before the state was written"
        assert time.time() < deadline, f"no epoch {epoch} in {path} after {seconds} s"
        time.sleep(0.02)
