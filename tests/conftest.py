"""Shared fixtures: where the real quiz data is, and a tiny config that trains in seconds."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from data import Scaler
from utils.config import Config

torch.set_num_threads(1)  # tests are small; one thread avoids oversubscribing the 2 cores


def find_quiz_dir() -> Path | None:
    """The real data: $PI_VAE_QUIZ_DIR, ./gen_ml_quiz_content, or ../shared/gen_ml_quiz_content."""
    candidates = [
        os.environ.get("PI_VAE_QUIZ_DIR"),
        ROOT / "gen_ml_quiz_content",
        ROOT.parent / "shared" / "gen_ml_quiz_content",
    ]
    for folder in filter(None, candidates):
        if all((Path(folder) / name).is_file() for name in ("pi_xs.npy", "pi_ys.npy", "sparse_pi_colored.jpg")):
            return Path(folder)
    return None


@pytest.fixture
def quiz_dir() -> Path:
    folder = find_quiz_dir()
    if folder is None:
        pytest.skip("real quiz data not found (put it in gen_ml_quiz_content/ or ../shared/gen_ml_quiz_content/)")
    return folder


@pytest.fixture
def tiny_cfg(tmp_path: Path) -> Config:
    """A config that trains on 2000 points of the synthetic π in a second or two."""
    return Config(
        dataset="synthetic",
        data_dir=str(tmp_path / "no_data"),
        result_path=str(tmp_path / "result"),
        num_points=2000,
        epochs=2,
        batch_size=256,
        hidden_dim=16,
        num_head=2,
        latent_dim=3,
        prior_components=4,
        gen_every_epochs=1,
        num_gen_points=400,
        evaluate=False,
        threads=1,
    )


def with_(cfg: Config, **changes) -> Config:
    return dataclasses.replace(cfg, **changes)


QUIZ_SCALER = Scaler.for_image(300, 300)  # model space of a 300 x 300 picture, as the quiz's


def inside_points(n: int, seed: int = 0) -> torch.Tensor:
    """(n, F) points strictly inside the data's range in model space (no censored values)."""
    low, high = (torch.tensor(b) for b in QUIZ_SCALER.bounds())
    uniform = torch.rand(n, QUIZ_SCALER.n_features, generator=torch.Generator().manual_seed(seed))
    return low + (high - low) * (0.05 + 0.9 * uniform)


def saturated_points(n: int) -> torch.Tensor:
    """(n, F) points inside the range whose red is N(upper - 0.05, 0.1²) clipped at the upper end:
    saturated (censored) in about 31 % of them."""
    low, high = (torch.tensor(b) for b in QUIZ_SCALER.bounds())
    generator = torch.Generator().manual_seed(3)
    x = low + (high - low) * (0.3 + 0.4 * torch.rand(n, QUIZ_SCALER.n_features, generator=generator))
    x[:, 2] = (high[2] - 0.05 + 0.1 * torch.randn(n, generator=generator)).clamp(max=high[2])
    return x
