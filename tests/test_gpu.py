"""The GPU path (skipped without a CUDA GPU): every model trains, calibrates and samples on the GPU as on the
CPU, and a run on the GPU publishes a checkpoint that loads on the CPU."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from commands.train import run_train
from models import MODELS, build_model, colored_pi_generator, load_trained
from tests.conftest import QUIZ_SCALER, saturated_points, with_

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")


@pytest.mark.parametrize("prior", ["gmm", "standard"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_works_on_the_gpu_as_on_the_cpu(tiny_cfg, name, prior):
    cpu = build_model(with_(tiny_cfg, model=name, prior=prior), QUIZ_SCALER)
    gpu = copy.deepcopy(cpu).to("cuda")
    x = saturated_points(2000)
    gpu.loss(x[:256].cuda(), beta=0.5).total.backward()
    assert all(p.grad is not None and bool(p.grad.isfinite().all()) for p in gpu.parameters())
    gpu.calibrate(x.cuda(), torch.Generator().manual_seed(0))  # the censored colors' imputation included
    points = gpu.sample(3000, torch.Generator().manual_seed(1))
    assert points.device.type == "cuda"
    assert bool(points.isfinite().all())
    assert gpu.reconstruct(x[:50].cuda(), torch.Generator().manual_seed(2), use_mean=False).device.type == "cuda"
    # the same fitted model on either device: the same points, up to float rounding
    cpu.load_state_dict({k: v.cpu() for k, v in gpu.state_dict().items()})
    on_cpu = cpu.sample(3000, torch.Generator().manual_seed(1))
    torch.testing.assert_close(points.cpu(), on_cpu, atol=1e-4, rtol=0)


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
