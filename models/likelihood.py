"""The decoder's likelihood: a censored Gaussian, with one variance per feature or one per point.

All tensors are in model space; x, mean, var are (B, F); masks are (B, F) booleans.

"gaussian" (`batch_sigma_nll`): N(x | mean, diag(σ_f²)) whose per-feature variance is the optimal
one for the batch, σ_f² = mean squared error of feature f (the σ-VAE of Rybkin et al. 2021). Its
negative log-likelihood per point is, up to a constant,

    recons = Σ_f ½·log(σ_f² + q_f),   q_f = the training precision floor (`precision_floor`)

"learned" (`learned_sigma_nll`): the decoder also gives each point its own variance σ²(z) (Detlefsen
et al. 2019), so it can be exact where the data is (a logo's flat colors) and loose where it is not
(the logo's anti-aliased edges). One σ_f for all points is set by the worst points: the decoder's
flat colors then stay a level or two off, the weight 1/σ_f² being too small to pull them in, and a
classifier sees it. Per value ½·log σ² + ½·(x - mean)²/σ², each point's term weighted by σ^(2·NLL_BETA)
(gradient stopped), normalised to a mean of 1 per feature over the batch: β-NLL (Seitzer et al.
2022), which keeps the points with a large σ from being ignored by the mean; the normalisation keeps
the term's scale, and so its balance with the KL term, that of the "gaussian" likelihood.

Both floor the variance at `precision_floor`: below it a smaller error is memorised noise.

A color at the end of its range (0 or 255) is censored: a saturated channel says only that the
value is at least there. Its term is -log P(x̃ ≥ upper) = -log Φ((mean - upper)/σ) (a Tobit
likelihood), and σ_f² (gaussian) is the mean squared error of the uncensored values. So the decoder
can put its mean past the end, and clamping its samples makes as many saturated values as the
picture has.
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


def optimal_var(residual: torch.Tensor, inside: torch.Tensor, floor: torch.Tensor) -> torch.Tensor:
    """(F,) σ² = mean squared residual over the uncensored values (`inside`), plus `floor` (F,)."""
    count = inside.sum(dim=0).clamp(min=1)
    return (residual.pow(2) * inside).sum(dim=0) / count + floor


def _censored_terms(
    x_mean: torch.Tensor,
    std: torch.Tensor,
    ends: tuple[torch.Tensor, torch.Tensor],
    lower: torch.Tensor,
    upper: torch.Tensor,
) -> torch.Tensor:
    """(B, F) -log P(x̃ <= lower) where at the lower end, -log P(x̃ >= upper) where at the upper end, else 0."""
    at_low, at_high = ends
    below: torch.Tensor = torch.special.log_ndtr((lower - x_mean) / std)
    above: torch.Tensor = torch.special.log_ndtr((x_mean - upper) / std)
    return -(below * at_low + above * at_high)


def batch_sigma_nll(
    x: torch.Tensor,
    mean: torch.Tensor,
    ends: tuple[torch.Tensor, torch.Tensor],
    bounds: tuple[torch.Tensor, torch.Tensor],
    floor: torch.Tensor,
) -> torch.Tensor:
    """Negative log-likelihood per point (up to a constant) with the batch's optimal σ_f ("gaussian")."""
    inside = ~(ends[0] | ends[1])
    var = optimal_var(x - mean, inside, floor)  # (F,)
    uncensored = 0.5 * inside.sum(dim=0) * var.log()  # Σ_i ½·log σ² over uncensored points (+ const)
    censored = _censored_terms(mean, var.sqrt(), ends, *bounds).sum(dim=0)
    return (uncensored + censored).sum() / len(x)


def learned_sigma_nll(
    x: torch.Tensor,
    mean: torch.Tensor,
    var: torch.Tensor,
    ends: tuple[torch.Tensor, torch.Tensor],
    bounds: tuple[torch.Tensor, torch.Tensor],
) -> torch.Tensor:
    """β-NLL per point (up to a constant) with each point's own variance var (B, F) ("learned")."""
    inside = ~(ends[0] | ends[1])
    uncensored = 0.5 * (var.log() + (x - mean).pow(2) / var) * inside
    terms = uncensored + _censored_terms(mean, var.sqrt(), ends, *bounds)  # (B, F)
    weight = var.detach().pow(NLL_BETA)  # σ^(2β)
    weight = weight / weight.mean(dim=0, keepdim=True)
    return (weight * terms).sum() / len(x)


def precision_floor(x: torch.Tensor, censored: torch.Tensor, quantum: torch.Tensor, points: int = 5000) -> torch.Tensor:
    """(F,) the training precision floor of the points x (N, F): below it an error is memorised noise.

    Positions (uncensored features): (half a data unit)². Colors: (half the pixel noise)², the noise
    estimated robustly from the color differences of spatial nearest neighbours (median |Δ| / 0.6745 / √2,
    on at most `points` points). Never below the rounding variance `quantum`.
    """
    x = x[:points].double()
    difference = (x - x[nearest_other(x[:, :2])]).abs()  # (N, F) to the nearest other point
    noise = difference.median(dim=0).values / 0.6745 / 2**0.5  # (F,) a robust std of one point's noise
    unit = (12 * quantum.double()).sqrt()  # (F,) one data unit in model space
    floor = torch.where(censored, 0.5 * noise, 0.5 * unit) ** 2  # colors are the censored features
    return torch.maximum(floor.float(), quantum)


def nearest_other(x: torch.Tensor, rows: int = 1024) -> torch.Tensor:
    """(N,) index of each row's nearest other row of x (N, D), `rows` rows at a time (not an N x N matrix)."""
    found = []
    for start in range(0, len(x), rows):
        distance = torch.cdist(x[start : start + rows], x)  # (rows, N)
        distance[torch.arange(len(distance)), torch.arange(start, start + len(distance))] = float("inf")
        found.append(distance.argmin(dim=1))
    return torch.cat(found)
