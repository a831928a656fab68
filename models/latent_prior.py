"""The prior that `sample` draws latents from: N(0, I), or a Gaussian mixture fitted after training.

A VAE trained with a small KL weight has an aggregate posterior that is not N(0, I): its mass
follows the strokes of π with empty space between them, and N(0, I) samples fall into that space
(points off the glyph). Fitting a mixture on the posterior means of the training points and
sampling from it keeps latents where the decoder was trained. The mixture stores only K means
and covariances, never data points, so generation needs only the checkpoint.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def _component_log_prob(z: torch.Tensor, zz: torch.Tensor, means: torch.Tensor, cov: torch.Tensor) -> torch.Tensor:
    """log N(z_n | means_k, cov_k) -> (N, K), for z (N, D), zz = z z^T flattened (N, D*D).

    Uses (z-m)^T P (z-m) = z^T P z - 2 m^T P z + m^T P m, so every term is one matrix product.
    """
    d = z.shape[1]
    precision = torch.linalg.inv(cov)  # (K, D, D)
    pm = precision @ means[:, :, None]  # (K, D, 1)
    maha = zz @ precision.flatten(1).T - 2 * z @ pm.squeeze(-1).T + (means[:, None, :] @ pm).flatten()
    log_det = torch.linalg.slogdet(cov).logabsdet  # (K,)
    return -0.5 * (maha + log_det + d * math.log(2 * math.pi))


def fit_gaussian_mixture(
    z: torch.Tensor, k: int, generator: torch.Generator, iters: int = 200, tol: float = 1e-4
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Fit a full-covariance mixture to z (N, D) by EM; returns weights (K,), means (K, D), scale_tril (K, D, D)."""
    n, d = z.shape
    assert n >= k, f"cannot fit {k} mixture components to {n} points"
    z = z.double()
    zz = (z[:, :, None] * z[:, None, :]).flatten(1)  # (N, D*D) second moments of each point
    reg = 1e-4 * z.var(0).mean() * torch.eye(d, dtype=z.dtype)  # keeps every covariance invertible
    means = z[torch.randperm(n, generator=generator)[:k]]  # (K, D): start at random points
    cov = (torch.cov(z.T) / k + reg).expand(k, d, d).clone()  # (K, D, D)
    weights = torch.full((k,), 1.0 / k, dtype=z.dtype)
    previous = -float("inf")
    for _ in range(iters):
        # E step: responsibilities (N, K)
        log_p = _component_log_prob(z, zz, means, cov) + weights.log()
        log_norm = torch.logsumexp(log_p, dim=1, keepdim=True)  # (N, 1)
        resp = (log_p - log_norm).exp()
        # M step: cov_k = E_k[z z^T] - m_k m_k^T
        nk = resp.sum(0) + 1e-10  # (K,)
        weights = nk / n
        means = resp.T @ z / nk[:, None]
        second = (resp.T @ zz / nk[:, None]).view(k, d, d)
        cov = second - means[:, :, None] * means[:, None, :] + reg
        mean_log_lik = log_norm.mean().item()
        if mean_log_lik - previous < tol:
            break
        previous = mean_log_lik
    return weights.float(), means.float(), torch.linalg.cholesky(cov).float()


class LatentPrior(nn.Module):
    """N(0, I) until `fit` is called with posterior means; then a K-component Gaussian mixture.

    K = 0 means the prior stays N(0, I). The mixture lives in buffers, so it is saved and loaded
    with the model's state_dict.
    """

    def __init__(self, latent_dim: int, components: int):
        super().__init__()
        self.latent_dim = latent_dim
        self.components = components
        self.register_buffer("fitted", torch.tensor(False))
        self.register_buffer("weights", torch.full((components,), 1.0 / max(components, 1)))
        self.register_buffer("means", torch.zeros(components, latent_dim))
        self.register_buffer("scale_tril", torch.eye(latent_dim).repeat(components, 1, 1))

    @torch.no_grad()
    def fit(self, z: torch.Tensor, generator: torch.Generator, iters: int = 200) -> None:
        """Fit the mixture to latents z (N, D) with at most `iters` EM steps; a no-op for K = 0."""
        if self.components == 0:
            return
        weights, means, scale_tril = fit_gaussian_mixture(z.detach().cpu(), self.components, generator, iters)
        device = self.means.device
        self.weights.copy_(weights.to(device))
        self.means.copy_(means.to(device))
        self.scale_tril.copy_(scale_tril.to(device))
        self.fitted.fill_(True)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw n latents (n, D) with fresh noise (from `generator` if given)."""
        # noise is drawn on the CPU so that one seed gives the same points on every device
        device = self.means.device
        eps = torch.randn(n, self.latent_dim, generator=generator).to(device)
        if not bool(self.fitted) or n == 0:  # multinomial refuses to draw 0 samples
            return eps
        comp = torch.multinomial(self.weights.cpu(), n, replacement=True, generator=generator).to(device)  # (n,)
        return self.means[comp] + (self.scale_tril[comp] @ eps[:, :, None]).squeeze(-1)
