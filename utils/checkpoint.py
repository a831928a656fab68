"""The checkpoint format: what rebuilds a trained model and resumes its training.

A checkpoint is a dict:
    model, optimizer: state_dicts (the optimizer's: utils/flat_adam.py's)
    config:  the resolved Config as a dict
    epoch:   the number of finished epochs
    history: {"total", "recons", "kld", "beta", "lr", "seconds"}: one value per finished epoch
    scaler:  the data-space <-> model-space map (so generation needs no data)
    background: the picture's background color [r, g, b], what samples.png is painted on (optional)
    rng:     torch's global RNG and the shuffling generator, for a resume that continues the stream
It holds only tensors and plain Python values, so `torch.load(weights_only=True)` reads it.
Two files use the format (commands/run_folder.py): result_path/checkpoint.pt, the last published run, and
result_path/.run/state.pt, the last finished epoch of the run in progress.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from utils.errors import UserError
from utils.io import atomic_write

CHECKPOINT_NAME = "checkpoint.pt"
FORMAT_VERSION = 4  # 4: the sampling prior's and the output noise's buffers of this version; 3 had others
REQUIRED_KEYS = ("model", "optimizer", "config", "epoch", "history", "scaler")


def save_checkpoint(path: str | Path, state: dict[str, Any], durable: bool = True) -> None:
    """Write `state` atomically (utils/io.py's atomic_write; `durable` flushes it to the disk)."""
    missing = [key for key in REQUIRED_KEYS if key not in state]
    assert not missing, f"checkpoint state lacks {missing}"
    buffer = io.BytesIO()  # serialise first: a failing torch.save must not leave a half-written temp file
    torch.save({"format": FORMAT_VERSION, **state}, buffer)
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(buffer.getvalue()), durable)


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
        raise UserError(
            f"'{path}' is not a readable checkpoint ({type(err).__name__}); retrain with `python main.py`."
        ) from None
    if not isinstance(state, dict) or any(key not in state for key in REQUIRED_KEYS):
        raise UserError(f"'{path}' is not a pi-vae checkpoint (it lacks {', '.join(REQUIRED_KEYS)}); retrain.")
    if state.get("format") != FORMAT_VERSION:
        raise UserError(
            f"'{path}' was written by another version of pi-vae (format {state.get('format')}, this one reads "
            f"{FORMAT_VERSION}); retrain with `python main.py`."
        )
    return state
