"""The output noise: its correlations, a noise per latent component, and the fit with censored values
(the imputation's known answer, a model's saturated samples)."""

from __future__ import annotations

import pytest
import torch

import models.output_noise
from models import build_model
from models.output_noise import SHRINK, LocalNoise, fit_censored
from tests.conftest import QUIZ_SCALER, inside_points, saturated_points, with_

SCALER = QUIZ_SCALER


def _fit_mean_std(residual: torch.Tensor, ends, bounds) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], int]:
    """fit_censored with a noise that is one Gaussian per feature: the (mean, std) of every fit, in order."""
    fits: list[tuple[torch.Tensor, torch.Tensor]] = []

    def fit(r: torch.Tensor) -> None:
        fits.append((r.mean(dim=0), r.std(dim=0)))

    def marginals() -> tuple[torch.Tensor, torch.Tensor]:
        return fits[-1][0].expand_as(residual), fits[-1][1].expand_as(residual)

    fit_censored(fit, marginals, residual, ends, bounds, torch.Generator().manual_seed(0))
    return fits, len(fits)


def test_censored_values_are_imputed_to_the_known_mean_and_std():
    """N(0, 1) residuals; feature 0 censored above 1 (16 % of values), feature 1 below -0.5 (31 %).
    Counted at their bounds they give a std of about 0.87 and 0.82; imputed, 0 and 1 again."""
    n = 20_000
    truth = torch.randn(n, 2, generator=torch.Generator().manual_seed(1))
    high = torch.tensor([1.0, 10.0]).expand(n, 2)
    low = torch.tensor([-10.0, -0.5]).expand(n, 2)
    at_high, at_low = truth > high, truth < low
    residual = truth.clamp(low, high)  # what a censored value tells: its bound
    fits, calls = _fit_mean_std(residual, (at_low, at_high), (low, high))
    assert calls == 1 + models.output_noise.CENSORED_ROUNDS
    at_bound_mean, at_bound_std = fits[0]
    assert (at_bound_std < 0.9).all()  # the bias the rounds remove
    assert (at_bound_mean.abs() > 0.08).all()
    mean, std = fits[-1]
    torch.testing.assert_close(mean, torch.zeros(2), atol=0.03, rtol=0)
    torch.testing.assert_close(std, torch.ones(2), atol=0.02, rtol=0)


def test_without_censored_values_the_noise_is_fitted_once_on_the_residuals():
    residual = torch.randn(100, 3, generator=torch.Generator().manual_seed(2))
    none = torch.zeros(100, 3, dtype=torch.bool)
    seen: list[torch.Tensor] = []
    bounds = (torch.full((100, 3), -9.0), torch.full((100, 3), 9.0))
    fit_censored(seen.append, lambda: (residual, residual), residual, (none, none), bounds, torch.Generator())
    assert len(seen) == 1
    assert torch.equal(seen[0], residual)


CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=CUDA)])
@pytest.mark.parametrize("likelihood", ["gaussian", "learned"])
def test_a_model_saturates_as_often_as_its_training_points(tiny_cfg, likelihood, device):
    """Red ~ N(upper - 0.05, 0.1²) clipped at the upper end: 31 % of the points saturated (censored).
    After `calibrate`, about as many samples are (28 %); fitted on the rows without a censored value, 6 %."""
    model = build_model(with_(tiny_cfg, likelihood=likelihood), SCALER).to(device)
    high = SCALER.bounds()[1][2]
    x = saturated_points(4000)
    real = (x[:, 2] >= high).double().mean().item()
    model.calibrate(x.to(device), torch.Generator().manual_seed(0))
    samples = model.sample(20_000, torch.Generator().manual_seed(5)).cpu()
    share = (samples[:, 2] >= high).double().mean().item()
    assert real == pytest.approx(0.31, abs=0.02)
    assert share == pytest.approx(real, abs=0.04), f"{share:.3f} of the samples saturated, {real:.3f} of the points"


def test_full_noise_covariance_reproduces_the_residuals_correlation(tiny_cfg, monkeypatch):
    """Residuals with a known correlation (0.8 between r and b, -0.5 between x and g): the output noise has it."""
    model = build_model(with_(tiny_cfg, noise_covariance="full"), SCALER)
    x = inside_points(4000)
    gen = torch.Generator().manual_seed(3)
    a, b, c = (torch.randn(4000, generator=gen) for _ in range(3))
    residual = 0.01 * torch.stack([a, c, -0.5 * a + 0.75**0.5 * b, torch.randn(4000, generator=gen), 0.8 * c], 1)
    residual[:, 4] += 0.01 * 0.6 * torch.randn(4000, generator=gen)  # corr(y, b) = 0.8 / sqrt(0.64 + 0.36) = 0.8
    monkeypatch.setattr(model, "decode_stats", lambda z: (x - residual, None))
    model.calibrate(x, torch.Generator().manual_seed(0), em_iters=2)
    noise = model._noise(200_000, torch.Generator().manual_seed(1)).double()
    correlation = torch.corrcoef(noise.T)
    assert correlation[0, 2].item() == pytest.approx(-0.5, abs=0.03)
    assert correlation[1, 4].item() == pytest.approx(0.8, abs=0.03)
    assert correlation[0, 1].item() == pytest.approx(0.0, abs=0.03)
    torch.testing.assert_close(noise.std(0), model.noise_std.double(), rtol=0.01, atol=0)
    assert "noise_chol" in model.state_dict()
    assert "noise_chol" not in build_model(tiny_cfg, SCALER).state_dict()  # diagonal: checkpoints as before


def test_local_noise_is_each_components_own():
    """Two components: residuals N(0.02, 0.001²) on one and N(0, 0.05²) on the other, 400 points each;
    each component's draws have its own mean and spread, shrunk towards the overall ones by SHRINK points."""
    gen = torch.Generator().manual_seed(0)
    residual = torch.cat([0.02 + 0.001 * torch.randn(400, 5, generator=gen), 0.05 * torch.randn(400, 5, generator=gen)])
    resp = torch.zeros(800, 2)
    resp[:400, 0], resp[400:, 1] = 1.0, 1.0
    noise = LocalNoise(2, 5)
    noise.fit(residual, torch.ones(800, dtype=torch.bool), resp, floor=torch.full((5,), 1e-8))
    eps = torch.randn(20_000, 5, generator=gen)
    quiet, loud = (
        noise.draw(eps, torch.zeros(20_000, dtype=torch.long), 1.0),
        noise.draw(eps, torch.ones(20_000, dtype=torch.long), 1.0),
    )
    shrunk = 400 / (400 + SHRINK)
    torch.testing.assert_close(quiet.mean(0), torch.full((5,), 0.02 * shrunk), atol=2e-4, rtol=0)
    overall = residual.var(0, correction=0)  # the shrinkage target
    expected = (shrunk * 0.001**2 + (1 - shrunk) * overall).sqrt()  # far below the overall std (0.037)
    torch.testing.assert_close(quiet.std(0), expected, rtol=0.05, atol=0)
    own = residual[400:].var(0, correction=0)
    torch.testing.assert_close(loud.std(0), (shrunk * own + (1 - shrunk) * overall).sqrt(), rtol=0.03, atol=0)


@pytest.mark.parametrize("likelihood", ["gaussian", "learned"])
def test_local_noise_lives_in_the_checkpoint_of_a_local_model(tiny_cfg, likelihood):
    tiny_cfg = with_(tiny_cfg, likelihood=likelihood)
    model = build_model(with_(tiny_cfg, noise_covariance="local"), SCALER)
    model.calibrate(inside_points(300), torch.Generator().manual_seed(0))
    state = model.state_dict()
    assert {"local_noise.means", "local_noise.chol"} <= set(state)
    again = build_model(with_(tiny_cfg, noise_covariance="local"), SCALER)
    again.load_state_dict(state)
    torch.testing.assert_close(
        again.sample(50, torch.Generator().manual_seed(4)), model.sample(50, torch.Generator().manual_seed(4))
    )
