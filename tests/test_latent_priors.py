"""The learned latent priors the benchmark measured (benchmarks/latent_priors.py) learn what they are fitted on.

Their loss to the latent mixture (benchmarks/RESULTS.md, "A learned latent prior") is a finding only if
they are right: each is fitted here on points with a known answer that its standardisation alone cannot
give (a correlation, two separate modes) and must give it back. Small networks and few steps, so that
the test is quick; the benchmark's own are larger.
"""

from __future__ import annotations

import pytest
import torch

from benchmarks.latent_priors import EDMPrior, RealNVPPrior


def correlated_pairs(n: int, generator: torch.Generator) -> torch.Tensor:
    """(n, 2) Gaussian points, mean (3, -1), std (1.4, 0.7), correlation 0.8."""
    a, b = torch.randn(2, n, generator=generator)
    return torch.stack([3 + 1.4 * a, -1 + 0.7 * (0.8 * a + 0.6 * b)], dim=1)


def two_modes(n: int, generator: torch.Generator) -> torch.Tensor:
    """(n, 2) points: half around (-3, 0), half around (3, 0), std 0.5, nothing in between."""
    side = torch.where(torch.rand(n, generator=generator) < 0.5, -3.0, 3.0)
    return torch.stack([side, torch.zeros(n)], dim=1) + 0.5 * torch.randn(n, 2, generator=generator)


PRIORS = {
    "edm": lambda points: EDMPrior(points, width=64, blocks=2),
    "realnvp": lambda points: RealNVPPrior(points, layers=6, width=64),
}


def fitted(name: str, points: torch.Tensor, steps: int) -> EDMPrior | RealNVPPrior:
    torch.manual_seed(0)
    prior = PRIORS[name](points)
    return prior.fit(points, torch.Generator().manual_seed(1), steps=steps, batch=256)


@pytest.mark.parametrize("name", PRIORS)
def test_a_prior_fitted_on_a_gaussian_recovers_its_mean_and_covariance(name: str):
    points = correlated_pairs(4000, torch.Generator().manual_seed(0))
    drawn = fitted(name, points, steps=600).sample(4000, torch.Generator().manual_seed(2))
    assert drawn.shape == (4000, 2)
    assert torch.allclose(drawn.mean(0), points.mean(0), atol=0.1)
    assert torch.allclose(drawn.std(0), points.std(0), rtol=0.1)
    correlation = torch.corrcoef(drawn.T)[0, 1].item()
    assert abs(correlation - 0.8) < 0.08, f"{name}: correlation {correlation:.3f}, the points' 0.8"


@pytest.mark.parametrize("name", PRIORS)
def test_a_prior_fitted_on_two_modes_puts_half_in_each_and_few_between(name: str):
    points = two_modes(4000, torch.Generator().manual_seed(0))
    drawn = fitted(name, points, steps=800).sample(4000, torch.Generator().manual_seed(2))
    left = (drawn[:, 0] < 0).float().mean().item()
    between = (drawn[:, 0].abs() < 1.5).float().mean().item()  # 3 std from either mode: 0.3 % of real points
    assert abs(left - 0.5) < 0.06, f"{name}: {left:.3f} of the points in the left mode"
    assert between < 0.08, f"{name}: {between:.3f} of the points between the modes"


@pytest.mark.parametrize("name", PRIORS)
def test_the_same_seed_draws_the_same_points(name: str):
    prior = fitted(name, correlated_pairs(500, torch.Generator().manual_seed(0)), steps=20)
    first, again = (prior.sample(300, torch.Generator().manual_seed(5)) for _ in range(2))
    assert torch.equal(first, again)
    assert not torch.equal(first, prior.sample(300, torch.Generator().manual_seed(6)))
