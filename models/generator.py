"""Rebuild a trained model from its checkpoint alone, and draw points from it in data units."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from data.scaling import Scaler
from models import vae
from models.registry import build_model
from models.vae import VAE
from utils.checkpoint import load_checkpoint
from utils.config import saved_config
from utils.errors import UserError


@dataclass(frozen=True)
class Trained:
    """A trained model rebuilt from its checkpoint file alone: every way of drawing points starts here."""

    model: VAE  # on the CPU, in eval mode
    scaler: Scaler  # model space <-> data units
    state: dict[str, Any]  # the checkpoint itself: config, epoch, history, ... (utils/checkpoint.py)


def load_trained(path: str | Path) -> Trained:
    """Load a checkpoint file onto the CPU and rebuild its model; bad files raise UserError."""
    state = load_checkpoint(path)
    model, scaler = restore_model(state)
    return Trained(model, scaler, state)


# Config keys newer than some checkpoints, with the value that reproduces how those checkpoints sampled
# (a key missing from a checkpoint's config would otherwise take today's default)
EARLIER_BEHAVIOUR = {"noise_covariance": "diagonal"}


def restore_model(state: dict[str, Any]) -> tuple[VAE, Scaler]:
    """(model on CPU in eval mode, scaler) from a loaded checkpoint dict."""
    cfg = saved_config({**EARLIER_BEHAVIOUR, **state["config"]}, "the checkpoint's config")
    scaler = Scaler.from_dict(state["scaler"])
    model = build_model(cfg, scaler)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as err:
        raise UserError(
            f"the checkpoint's weights do not fit its config ({str(err).splitlines()[0]}); retrain."
        ) from None
    return model.eval(), scaler


def _generator(seed: int | None) -> torch.Generator:
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return generator


def stream_points(
    model: VAE, scaler: Scaler, n: int, seed: int | None = None, chunk: int | None = None
) -> Iterator[np.ndarray]:
    """n points in data units, `chunk` at a time (float32 (≤chunk, F) arrays), from one random stream.

    chunk is a whole number of the sampler's blocks, so the points equal those of one
    `sample_points(model, scaler, n, seed)` call: streaming changes memory, not the points.
    """
    chunk = chunk or 16 * vae.BLOCK  # 1M points: 20 MB a chunk
    assert chunk % vae.BLOCK == 0, f"chunk must be a multiple of {vae.BLOCK}"
    generator = _generator(seed)
    for start in range(0, n, chunk):
        yield scaler.to_data(model.sample(min(chunk, n - start), generator).cpu().numpy())


def sample_points(model: VAE, scaler: Scaler, n: int, seed: int | None = None) -> np.ndarray:
    """n points (n, F) float32 in data units; a seed makes them reproducible, None draws fresh ones."""
    return scaler.to_data(model.sample(n, _generator(seed)).cpu().numpy())


_CACHE: dict[tuple[str, float], Trained] = {}


def colored_pi_generator(
    n: int, checkpoint: str | Path = "result/checkpoint.pt", seed: int | None = None
) -> np.ndarray:
    """Generate n colored-π points, shape (n, 5): x, y in pixels, r, g, b in 0..255 (float32).

    Reads only the checkpoint (cached until the file changes). Fresh points on every call
    unless `seed` is given, in which case the same seed gives the same points.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    path = Path(checkpoint)
    key = (str(path.resolve()), path.stat().st_mtime if path.exists() else 0.0)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = load_trained(path)
    trained = _CACHE[key]
    return sample_points(trained.model, trained.scaler, n, seed)
