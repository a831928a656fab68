"""The output noise's structure beyond one std per feature: correlations, and a noise per latent component.

`residual_correlation_chol`: the residuals' correlation across features ("full", models/vae.py).

`LocalNoise` ("local"): where the decoder is precise, its samples are too.
A decoder's residuals (training point minus decoded posterior mean) are not alike everywhere: on a
logo's flat colors they are a level or two, at its anti-aliased edges tens of levels. One noise for
all points (models/vae.py's "diagonal" and "full") spreads the flat colors by the edges' error, and a
classifier sees at once that the real flat colors are exact. Here each component k of the sampling
prior (models/latent_prior.py) gets the mean and covariance of the residuals of the training points
it is responsible for, shrunk towards the residuals' overall covariance by SHRINK points' worth (a
component of few points borrows from all of them), plus the rounding variance. A latent drawn from
component k is decoded and given noise N(mean_k, cov_k): an output noise σ(z) that depends on the
latent, piecewise constant over the prior's components (a per-point σ(z), cf. Detlefsen et al. 2019,
here measured after training rather than learned).

`fit_censored`: a saturated color (censored at 0 or 255) says only that its residual is at least
(upper - mean) / σ. Leaving such values out, or counting them at their bound, fits a noise that
rarely reaches the end (word.jpg: green at 255 in 8.9 % of the samples against 15.6 % of the
picture's points; with the imputation 15.1 %). So each censored residual is imputed by a draw from
the fitted noise truncated to beyond its bound, and the noise refitted, a few rounds: stochastic EM
for a censored Gaussian (Tobin 1958; Celeux & Diebolt 1985). Data with no censored value is fitted
once, as before.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

SHRINK = 16.0  # points' worth of the overall covariance in each component's estimate
CENSORED_ROUNDS = 3  # imputation rounds of `fit_censored`: the saturated share settles within 2-3

Masks = tuple[torch.Tensor, torch.Tensor]  # (N, F) booleans: censored at the lower end, at the upper end


def residual_correlation_chol(residual: torch.Tensor, inside: torch.Tensor) -> torch.Tensor:
    """(F, F) Cholesky factor of the correlation of residual (N, F) over the rows with every value inside."""
    rows = residual[inside.all(dim=1)].double()
    f = residual.shape[1]
    if len(rows) <= f:  # too few points to estimate it: no correlation
        return torch.eye(f, dtype=residual.dtype, device=residual.device)
    correlation = torch.corrcoef(rows.T) + 1e-6 * torch.eye(f, dtype=rows.dtype, device=rows.device)
    factor: torch.Tensor = torch.linalg.cholesky(correlation)
    return factor.to(residual.dtype)


class LocalNoise(nn.Module):
    """Residual means (K, F) and Cholesky factors of covariances (K, F, F), one per prior component."""

    def __init__(self, components: int, n_features: int):
        super().__init__()
        self.means: torch.Tensor
        self.chol: torch.Tensor
        self.register_buffer("means", torch.zeros(components, n_features))
        self.register_buffer("chol", torch.eye(n_features).repeat(components, 1, 1))

    @torch.no_grad()
    def fit(self, residual: torch.Tensor, complete: torch.Tensor, resp: torch.Tensor, floor: torch.Tensor) -> None:
        """residual (N, F), complete (N,) rows without censored values, resp (N, K) responsibilities,
        floor (F,) a variance added to every covariance (the rounding variance)."""
        keep = complete.cpu()  # the fit runs on the CPU, whatever the model's device
        r, w = residual.cpu()[keep].double(), resp.cpu()[keep].double()  # (M, F), (M, K)
        f = r.shape[1]
        overall = torch.cov(r.T, correction=0) if len(r) > f else torch.eye(f, dtype=r.dtype) * r.pow(2).mean()
        count = w.sum(0)  # (K,)
        share = w / count.clamp(min=1e-12)  # (M, K): each component's weights, summing to 1
        mean = share.T @ r  # (K, F)
        second = (share.T @ (r[:, :, None] * r[:, None, :]).flatten(1)).view(-1, f, f)  # (K, F, F)
        own = second - mean[:, :, None] * mean[:, None, :]  # (K, F, F)
        weight = (count / (count + SHRINK))[:, None, None]
        cov = weight * own + (1 - weight) * overall + torch.diag(floor.double().cpu())
        self.means.copy_((weight[:, :, 0] * mean).to(self.means))
        self.chol.copy_(torch.linalg.cholesky(cov + 1e-9 * torch.eye(f, dtype=cov.dtype)).to(self.chol))

    def draw(self, eps: torch.Tensor, comp: torch.Tensor, scale: float) -> torch.Tensor:
        """Noise (n, F) for standard normal eps (n, F) of latents drawn from components comp (n,): on the CPU."""
        means, chol = self.means.cpu(), self.chol.cpu()
        return means[comp] + scale * (chol[comp] @ eps[:, :, None]).squeeze(-1)

    def marginals(self, comp: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and std (n, F) of the noise of components comp (n,), per feature."""
        std = torch.diagonal(self.chol @ self.chol.transpose(1, 2), dim1=1, dim2=2).sqrt()  # (K, F)
        return self.means[comp], std[comp]


def fit_censored(
    fit: Callable[[torch.Tensor], None],
    marginals: Callable[[], tuple[torch.Tensor, torch.Tensor]],
    residual: torch.Tensor,
    ends: Masks,
    bounds: tuple[torch.Tensor, torch.Tensor],
    generator: torch.Generator,
) -> None:
    """fit(residual) with its censored values imputed (module docstring).

    residual, bounds: (N, F), the residuals and where the data's range ends, in the noise's units;
    ends: which values are censored at the lower / upper end; marginals(): the fitted noise's mean
    and std (N, F) at each point. A censored value is drawn from its feature's noise alone: drawing it
    given the point's other values (a Gibbs sweep) made the logo's samples worse (c2st +0.007 on average
    over 5 seeds) and the others no better (benchmarks/RESULTS.md, "What each lever did").
    """
    at_low, at_high = ends
    censored = at_low | at_high
    low, high = bounds
    fit(torch.where(at_high, residual.maximum(high), torch.where(at_low, residual.minimum(low), residual)))
    if not bool(censored.any()):
        return
    # one uniform per value, reused every round; drawn on the CPU (the same numbers on every device)
    uniform = torch.rand(residual.shape, generator=generator, dtype=torch.float64).to(residual.device)
    for _ in range(CENSORED_ROUNDS):
        mean, std = (t.double() for t in marginals())
        below_low = torch.special.ndtr((low - mean) / std)  # P(noise < lower bound), (N, F)
        below_high = torch.special.ndtr((high - mean) / std)
        # the inverse CDF of the noise truncated to below the lower bound, or above the upper one
        level = torch.where(at_low, uniform * below_low, below_high + uniform * (1 - below_high))
        drawn = (mean + std * torch.special.ndtri(level.clamp(1e-9, 1 - 1e-9))).to(residual.dtype)
        drawn = torch.where(at_low, drawn.minimum(low), drawn.maximum(high))  # past its bound, even far out
        fit(torch.where(censored, drawn, residual))
