"""The GPU path (skipped without a CUDA GPU): a run on the GPU publishes a checkpoint that loads on the CPU."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from commands import run_train
from models import colored_pi_generator, load_trained

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")


def test_a_run_on_the_gpu_loads_and_samples_on_the_cpu(tiny_cfg):
    cfg = dataclasses.replace(tiny_cfg, device="cuda", epochs=3, evaluate=True)
    outputs = run_train(cfg)
    assert outputs.model is not None
    assert next(outputs.model.parameters()).device.type == "cuda"
    assert outputs.history["recons"][-1] < outputs.history["recons"][0]
    result = Path(cfg.result_path)
    trained = load_trained(result / "checkpoint.pt")  # onto the CPU
    assert next(trained.model.parameters()).device.type == "cpu"
    points = colored_pi_generator(500, result / "checkpoint.pt", seed=0)
    assert points.shape == (500, 5)
    # samples.npy was drawn on the GPU; the same checkpoint and seed on the CPU: the same points, up to rounding
    on_cpu = colored_pi_generator(cfg.num_gen_points, result / "checkpoint.pt", seed=cfg.seed)
    np.testing.assert_allclose(np.load(result / "samples.npy"), on_cpu, atol=0.05)
    assert set(json.loads((result / "metrics.json").read_text())) >= {"model", "baseline", "floor"}
