"""The output noise: each prior component's own, and its fit where colors are censored (the imputation's known
answer, a model's saturated samples)."""

from __future__ import annotations

import pytest
import torch

from models import build_model
from models.noise import CENSORED_ROUNDS, SHRINK, OutputNoise
from tests.conftest import QUIZ_SCALER, inside_points, saturated_points

SCALER = QUIZ_SCALER


def test_each_component_gets_its_own_noise():
    """Two components: residuals N(0.02, 0.001²) on one and N(0, 0.05²) on the other, 400 points each;
    each component's draws have its own mean and spread, shrunk towards the overall ones by SHRINK points."""
    gen = torch.Generator().manual_seed(0)
    residual = torch.cat([0.02 + 0.001 * torch.randn(400, 5, generator=gen), 0.05 * torch.randn(400, 5, generator=gen)])
    resp = torch.zeros(800, 2)
    resp[:400, 0], resp[400:, 1] = 1.0, 1.0
    noise = OutputNoise(2, 5)
    none = torch.zeros(800, 5, dtype=torch.bool)
    noise.fit(residual, resp, (none, none), (torch.full((800, 5), -9.0), torch.full((800, 5), 9.0)), gen)
    eps = torch.randn(20_000, 5, generator=gen)
    quiet = noise.draw(eps, torch.zeros(20_000, dtype=torch.long), 1.0)
    loud = noise.draw(eps, torch.ones(20_000, dtype=torch.long), 1.0)
    shrunk = 400 / (400 + SHRINK)
    torch.testing.assert_close(quiet.mean(0), torch.full((5,), 0.02 * shrunk), atol=2e-4, rtol=0)
    overall = residual.var(0, correction=0)  # the shrinkage target
    floor = 1e-4  # (1 % of σ)²
    expected = (shrunk * 0.001**2 + (1 - shrunk) * overall + floor).sqrt()  # far below the overall std (0.037)
    torch.testing.assert_close(quiet.std(0), expected, rtol=0.05, atol=0)
    own = residual[400:].var(0, correction=0)
    torch.testing.assert_close(loud.std(0), (shrunk * own + (1 - shrunk) * overall + floor).sqrt(), rtol=0.03, atol=0)


def test_the_noise_keeps_the_residuals_correlation():
    """One component; residuals with correlation 0.8 between r and b and -0.5 between x and g: the noise has them."""
    gen = torch.Generator().manual_seed(3)
    a, b, c, d = (torch.randn(4000, generator=gen) for _ in range(4))
    residual = torch.stack([a, c, -0.5 * a + 0.75**0.5 * b, d, 0.8 * c + 0.6 * torch.randn(4000, generator=gen)], 1)
    noise = OutputNoise(1, 5)
    none = torch.zeros(4000, 5, dtype=torch.bool)
    noise.fit(
        residual, torch.ones(4000, 1), (none, none), (torch.full((4000, 5), -9.0), torch.full((4000, 5), 9.0)), gen
    )
    drawn = noise.draw(torch.randn(100_000, 5, generator=gen), torch.zeros(100_000, dtype=torch.long), 1.0).double()
    correlation = torch.corrcoef(drawn.T)
    assert correlation[0, 2].item() == pytest.approx(-0.5, abs=0.03)
    assert correlation[1, 4].item() == pytest.approx(0.8, abs=0.03)
    assert correlation[0, 1].item() == pytest.approx(0.0, abs=0.03)


def test_censored_values_are_imputed_to_the_known_mean_and_std():
    """N(0, 1) residuals; feature 0 censored above 1 (16 % of values), feature 1 below -0.5 (31 %).
    Counted at their bounds they give a std of about 0.87 and 0.82; imputed, 0 and 1 again."""
    n = 20_000
    truth = torch.randn(n, 2, generator=torch.Generator().manual_seed(1))
    high = torch.tensor([1.0, 10.0]).expand(n, 2)
    low = torch.tensor([-10.0, -0.5]).expand(n, 2)
    at_high, at_low = truth > high, truth < low
    residual = truth.clamp(low, high)  # what a censored value tells: its bound
    at_bound, imputed = OutputNoise(1, 2), OutputNoise(1, 2)
    resp = torch.ones(n, 1)
    at_bound._fit(residual, resp)
    imputed.fit(residual, resp, (at_low, at_high), (low, high), torch.Generator().manual_seed(0))
    assert CENSORED_ROUNDS >= 2
    for noise, biased in ((at_bound, True), (imputed, False)):
        std = (noise.chol[0] @ noise.chol[0].T).diagonal().sqrt()
        if biased:
            assert (std < 0.9).all()  # the bias the rounds remove
            assert (noise.means[0].abs() > 0.08).all()
        else:
            torch.testing.assert_close(noise.means[0], torch.zeros(2), atol=0.03, rtol=0)
            torch.testing.assert_close(std, torch.ones(2), atol=0.02, rtol=0)


def test_a_model_saturates_as_often_as_its_training_points(tiny_cfg):
    """Red ~ N(upper - 0.05, 0.1²) clipped at the upper end: 31 % of the points saturated (censored).
    After `calibrate`, about as many samples are."""
    model = build_model(tiny_cfg, SCALER)
    high = SCALER.bounds()[1][2]
    x = saturated_points(4000)
    real = (x[:, 2] >= high).double().mean().item()
    model.calibrate(x, torch.Generator().manual_seed(0))
    samples = model.sample(20_000, torch.Generator().manual_seed(5))
    share = (samples[:, 2] >= high).double().mean().item()
    assert real == pytest.approx(0.31, abs=0.02)
    assert share == pytest.approx(real, abs=0.04), f"{share:.3f} of the samples saturated, {real:.3f} of the points"


def test_the_noise_lives_in_the_checkpoint(tiny_cfg):
    model = build_model(tiny_cfg, SCALER)
    model.calibrate(inside_points(300), torch.Generator().manual_seed(0))
    state = model.state_dict()
    assert {"noise.means", "noise.chol", "prior.weights", "prior.means", "prior.cov"} <= set(state)
    again = build_model(tiny_cfg, SCALER)
    again.load_state_dict(state)
    torch.testing.assert_close(
        again.sample(50, torch.Generator().manual_seed(4)), model.sample(50, torch.Generator().manual_seed(4))
    )
