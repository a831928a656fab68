"""The decoder's likelihood: a censored Gaussian with a variance of its own for every point and feature.

All tensors are in model space; x, mean, var are (B, F); masks are (B, F) booleans.

The decoder gives each point its mean and variance σ²(z) (Detlefsen et al. 2019): exact where the data
is (a logo's flat colors), loose where it is not (its edges). Per value ½·log σ² + ½·(x - mean)²/σ²,
each point's term weighted by σ^(2·NLL_BETA) (gradient stopped), normalised to a mean of 1 per feature:
β-NLL (Seitzer et al. 2022), so that points with a large σ still pull the mean, at the term's scale.
σ² is never below the variance of rounding to the data's integer grid (VAE.variance). A color at 0 or
255 is censored, only "at least there": its term is -log Φ((mean - upper)/σ) (Tobit), so the mean may
pass the end (data/scaling.py leaves a margin) and clamped samples saturate as often.
docs/DESIGN.md, "The model", gives what each of these buys.
"""

from __future__ import annotations

import torch

NLL_BETA = 0.5  # β of β-NLL: 0 is the plain likelihood, 1 weighs every point as squared error would


def censored_ends(
    x: torch.Tensor, censored: torch.Tensor, lower: torch.Tensor, upper: torch.Tensor, quantum: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Masks of the censored values at the lower and at the upper end of their feature's range."""
    tol = 0.25 * quantum.sqrt()  # well under half a data unit
    return censored & (x <= lower + tol), censored & (x >= upper - tol)


def nll(
    x: torch.Tensor,
    mean: torch.Tensor,
    var: torch.Tensor,
    ends: tuple[torch.Tensor, torch.Tensor],
    bounds: tuple[torch.Tensor, torch.Tensor],
) -> torch.Tensor:
    """β-NLL per point (up to a constant) of x under N(mean, var), censored where `ends` says."""
    at_low, at_high = ends
    lower, upper = bounds
    std = var.sqrt()
    inside = 0.5 * (var.log() + (x - mean).pow(2) / var) * ~(at_low | at_high)
    below: torch.Tensor = torch.special.log_ndtr((lower - mean) / std)  # log P(x̃ <= lower)
    above: torch.Tensor = torch.special.log_ndtr((mean - upper) / std)  # log P(x̃ >= upper)
    terms = inside - below * at_low - above * at_high  # (B, F)
    weight = var.detach().pow(NLL_BETA)  # σ^(2β)
    return (weight / weight.mean(dim=0, keepdim=True) * terms).sum() / len(x)
