"""A trained model rebuilt from its checkpoint alone, and its points in data units."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from data.scaling import Scaler
from models.registry import build_model
from models.vae import BLOCK, VAE
from utils.checkpoint import load_checkpoint
from utils.config import saved_config
from utils.errors import UserError

STREAM_CHUNK = 16 * BLOCK  # points `stream_points` yields at a time (about a million: 20 MB)


@dataclass(frozen=True)
class Trained:
    model: VAE  # on the CPU, in eval mode
    scaler: Scaler  # model space <-> data units
    state: dict[str, Any]  # the checkpoint itself: config, epoch, history, ... (utils/checkpoint.py)


def load_trained(path: str | Path) -> Trained:
    """Load a checkpoint file onto the CPU and rebuild its model; bad files raise UserError."""
    state = load_checkpoint(path)
    return Trained(*restore_model(state), state)


def restore_model(state: dict[str, Any]) -> tuple[VAE, Scaler]:
    """(model on the CPU in eval mode, scaler) from a loaded checkpoint dict."""
    scaler = Scaler.from_dict(state["scaler"])
    model = build_model(saved_config(state["config"], "the checkpoint's config"), scaler)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as err:
        raise UserError(
            f"the checkpoint's weights do not fit its config ({str(err).splitlines()[0]}); retrain."
        ) from None
    return model.eval(), scaler


def _rng(seed: int | None) -> torch.Generator:
    """A generator seeded with `seed`, or from the OS's randomness for None."""
    rng = torch.Generator()
    if seed is None:
        rng.seed()
    else:
        rng.manual_seed(seed)
    return rng


def sample_points(model: VAE, scaler: Scaler, n: int, seed: int | None = None) -> np.ndarray:
    """n points (n, F) float32 in data units; a seed makes them reproducible, None draws fresh ones."""
    return scaler.to_data(model.sample(n, _rng(seed)).cpu().numpy())


def stream_points(model: VAE, scaler: Scaler, n: int, seed: int | None = None) -> Iterator[np.ndarray]:
    """The points of `sample_points(model, scaler, n, seed)`, STREAM_CHUNK at a time (a whole number of the
    sampler's blocks: the same points, in flat memory)."""
    rng = _rng(seed)
    for start in range(0, n, STREAM_CHUNK):
        yield scaler.to_data(model.sample(min(STREAM_CHUNK, n - start), rng).cpu().numpy())


_CACHE: dict[tuple[str, float], Trained] = {}


def colored_pi_generator(
    n: int, checkpoint: str | Path = "result/checkpoint.pt", seed: int | None = None
) -> np.ndarray:
    """n colored-π points (n, 5) float32: x, y in pixels, r, g, b in 0..255, from the checkpoint alone (cached
    until the file changes); fresh points on every call unless `seed` is given."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    path = Path(checkpoint)
    key = (str(path.resolve()), path.stat().st_mtime if path.exists() else 0.0)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = load_trained(path)
    return sample_points(_CACHE[key].model, _CACHE[key].scaler, n, seed)
