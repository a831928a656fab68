"""Atomic file writes and the checkpoint format.

A checkpoint is a dict that rebuilds and resumes a run on its own:
    model, optimizer, scheduler: state_dicts
    config:  the resolved Config as a dict
    epoch:   the number of finished epochs
    history: {"total": [...], "recons": [...], "kld": [...], "beta": [...], "lr": [...]} per epoch
    scaler:  the data-space <-> model-space map (so generation needs no data)
    rng:     torch's global RNG and the shuffling generator, for a resume that continues the stream
It holds only tensors and plain Python values, so `torch.load(weights_only=True)` reads it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from utils.errors import UserError

CHECKPOINT_NAME = "checkpoint.pt"
FORMAT_VERSION = 1
REQUIRED_KEYS = ("model", "optimizer", "config", "epoch", "history", "scaler")


def atomic_write(path: str | Path, write: Callable[[str], None]) -> None:
    """Call write(tmp_path), then rename tmp onto `path`: readers see the old file or the whole new one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> None:
    missing = [key for key in REQUIRED_KEYS if key not in state]
    assert not missing, f"checkpoint state lacks {missing}"
    atomic_write(path, lambda tmp: torch.save({"format": FORMAT_VERSION, **state}, tmp))


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint onto the CPU (also one written on a GPU); bad files raise UserError."""
    path = Path(path)
    if not path.is_file():
        raise UserError(
            f"no checkpoint at '{path}'; train one first with `python main.py` (retrain: true), "
            "or point result_path at the folder that holds checkpoint.pt."
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for a damaged file
        raise UserError(f"'{path}' is not a readable checkpoint ({type(err).__name__}); retrain with `python main.py`.")
    if not isinstance(state, dict) or any(key not in state for key in REQUIRED_KEYS):
        raise UserError(f"'{path}' is not a pi-vae checkpoint (it lacks {', '.join(REQUIRED_KEYS)}); retrain.")
    return state
