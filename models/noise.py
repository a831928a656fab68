"""The output noise: what sampling adds to the decoder's mean, one Gaussian per component of the prior.

The residuals (a training point minus its decoded posterior mean, over the decoder's σ(z)) are not
alike everywhere: a level or two on a logo's flat colors, tens at its edges, and JPEG colors vary in
brightness together across r, g, b. So each component k of the prior (models/prior.py) gets the mean
m_k and covariance C_k of the residuals of the points it is responsible for, shrunk towards all the
residuals' by SHRINK points' worth, plus (1 % of σ)² on the diagonal; a latent of component k gets mean + σ·N(m_k, C_k).
One noise for every point cost the logo 0.091 in c2st (docs/DESIGN.md, "The model").

A saturated color says only that its residual is at least (255 - mean)/σ: taken at that bound, the
noise rarely reaches the end (the logo: 0.122 worse). So each censored residual is imputed by a draw
from the fitted noise truncated to beyond its bound, and the noise refitted, CENSORED_ROUNDS times:
stochastic EM for a censored Gaussian (Tobin 1958; Celeux & Diebolt 1985).
"""

from __future__ import annotations

import torch
from torch import nn

SHRINK = 16.0  # points' worth of the overall covariance in each component's estimate
CENSORED_ROUNDS = 3  # imputation rounds: the saturated share settles within 2 to 3

Masks = tuple[torch.Tensor, torch.Tensor]  # (N, F) booleans: censored at the lower end, at the upper end


class OutputNoise(nn.Module):
    """Residual means (K, F) and Cholesky factors of covariances (K, F, F), one per prior component."""

    def __init__(self, components: int, n_features: int):
        super().__init__()
        self.means: torch.Tensor
        self.chol: torch.Tensor
        self.register_buffer("means", torch.zeros(components, n_features))
        self.register_buffer("chol", torch.eye(n_features).repeat(components, 1, 1))

    @torch.no_grad()
    def fit(
        self,
        residual: torch.Tensor,
        resp: torch.Tensor,
        ends: Masks,
        bounds: tuple[torch.Tensor, torch.Tensor],
        rng: torch.Generator,
    ) -> None:
        """Fit to the residuals (N, F) in units of σ, their components' responsibilities resp (N, K), which
        values are censored (`ends`) and where the data's range ends in the same units (`bounds`, (N, F) each).
        The fit runs on the CPU, whatever the model's device; `rng` draws the imputations.
        """
        residual, resp = residual.cpu(), resp.cpu()
        at_low, at_high = (mask.cpu() for mask in ends)
        low, high = (bound.cpu() for bound in bounds)
        censored = at_low | at_high
        at_bound = torch.where(at_high, residual.maximum(high), torch.where(at_low, residual.minimum(low), residual))
        self._fit(at_bound, resp)
        if not bool(censored.any()):
            return
        uniform = torch.rand(residual.shape, generator=rng, dtype=torch.float64)  # one per value, reused each round
        component = resp.argmax(dim=1)
        for _ in range(CENSORED_ROUNDS):
            chol = self.chol.cpu().double()
            std = torch.diagonal(chol @ chol.transpose(1, 2), dim1=1, dim2=2).sqrt()  # (K, F)
            mean, std = self.means.cpu().double()[component], std[component]  # (N, F) each
            below_low = torch.special.ndtr((low - mean) / std)  # P(noise < the lower bound)
            below_high = torch.special.ndtr((high - mean) / std)
            # the inverse CDF of the noise truncated to below the lower bound, or above the upper one
            level = torch.where(at_low, uniform * below_low, below_high + uniform * (1 - below_high))
            drawn = (mean + std * torch.special.ndtri(level.clamp(1e-9, 1 - 1e-9))).to(residual.dtype)
            drawn = torch.where(at_low, drawn.minimum(low), drawn.maximum(high))  # past its bound, even far out
            self._fit(torch.where(censored, drawn, residual), resp)

    def _fit(self, residual: torch.Tensor, resp: torch.Tensor) -> None:
        """Each component's weighted mean and covariance of residual (N, F), shrunk towards the overall one."""
        r, w = residual.double(), resp.double()  # (N, F), (N, K)
        f = r.shape[1]
        overall = torch.cov(r.T, correction=0) if len(r) > f else torch.eye(f, dtype=r.dtype) * r.pow(2).mean()
        count = w.sum(0)  # (K,)
        share = w / count.clamp(min=1e-12)  # (N, K): each component's weights, summing to 1
        mean = share.T @ r  # (K, F)
        second = (share.T @ (r[:, :, None] * r[:, None, :]).flatten(1)).view(-1, f, f)
        own = second - mean[:, :, None] * mean[:, None, :]  # (K, F, F)
        weight = (count / (count + SHRINK))[:, None, None]
        cov = weight * own + (1 - weight) * overall + 1e-4 * torch.eye(f, dtype=r.dtype)  # never singular
        self.means.copy_((weight[:, :, 0] * mean).to(self.means))
        self.chol.copy_(torch.linalg.cholesky(cov).to(self.chol))

    def draw(self, eps: torch.Tensor, component: torch.Tensor, scale: float) -> torch.Tensor:
        """Noise (n, F) in units of σ for standard normal eps (n, F) and the latents' components (n,), on the CPU."""
        means, chol = self.means.cpu(), self.chol.cpu()
        return means[component] + scale * (chol[component] @ eps[:, :, None]).squeeze(-1)
