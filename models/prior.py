"""The latent prior that sampling draws from: a Gaussian mixture fitted after training, or N(0, I).

With a small KL weight the aggregate posterior follows the picture's strokes with empty space between
them, where N(0, I) samples fall. So a K-component full-covariance mixture is fitted on the posterior
means of the training points and sampling draws from it ("ex-post density estimation", Ghosh et al.
2020). It lives in buffers (weights, means, covariances; never data points), so generation needs only
the checkpoint. The EM is ours, every component at once, from k-means++ and Lloyd steps as
scikit-learn's starts: its mixtures sample better than scikit-learn's, and a frame's fit is 3 to 4
times as fast (docs/DESIGN.md, "The model").
"""

from __future__ import annotations

import math

import torch
from torch import nn

Mixture = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # weights (K,), means (K, D), covariances (K, D, D)
POINTS_PER_COMPONENT = 16  # at least this many latents for each component fitted


def _log_prob(z: torch.Tensor, zz: torch.Tensor, means: torch.Tensor, cov: torch.Tensor) -> torch.Tensor:
    """log N(z_n | means_k, cov_k) -> (N, K), for z (N, D) and zz, each z z^T flattened (N, D·D).

    (z-m)^T P (z-m) = z^T P z - 2 m^T P z + m^T P m: every term is one matrix product over all components.
    """
    precision = torch.linalg.inv(cov)  # (K, D, D)
    pm = precision @ means[:, :, None]  # (K, D, 1)
    maha = zz @ precision.flatten(1).T - 2 * z @ pm.squeeze(-1).T + (means[:, None, :] @ pm).flatten()
    log_det = torch.linalg.slogdet(cov).logabsdet  # (K,)
    out: torch.Tensor = -0.5 * (maha + log_det + z.shape[1] * math.log(2 * math.pi))
    return out


def _m_step(z: torch.Tensor, zz: torch.Tensor, resp: torch.Tensor, reg: torch.Tensor) -> Mixture:
    """Weights, means and covariances from responsibilities resp (N, K): cov_k = E_k[z z^T] - m_k m_k^T + reg."""
    n, d = z.shape
    count = resp.sum(0) + 1e-10  # (K,)
    means = resp.T @ z / count[:, None]
    second = (resp.T @ zz / count[:, None]).view(-1, d, d)
    return count / n, means, second - means[:, :, None] * means[:, None, :] + reg


def _kmeans(z: torch.Tensor, k: int, rng: torch.Generator, steps: int = 10) -> torch.Tensor:
    """Hard responsibilities (N, K): k-means++ seeding, then a few Lloyd steps (EM from random points left
    components straddling two strokes)."""
    picks = [int(torch.randint(len(z), (1,), generator=rng))]
    nearest = (z - z[picks[0]]).pow(2).sum(1)  # (N,) squared distance to the nearest centre so far
    for u in torch.rand(k - 1, generator=rng, dtype=z.dtype):  # the next centre with probability ∝ that distance
        cumulative = torch.cumsum(nearest, 0)  # inverse-CDF sampling: a tenth of torch.multinomial's overhead
        picks.append(min(int(torch.searchsorted(cumulative, u * cumulative[-1])), len(z) - 1))
        nearest = torch.minimum(nearest, (z - z[picks[-1]]).pow(2).sum(1))
    centers = z[picks]
    for _ in range(steps):
        label = torch.cdist(z, centers).argmin(1)
        counts = torch.bincount(label, minlength=k).to(z.dtype)
        sums = torch.zeros_like(centers).index_add_(0, label, z)
        centers = torch.where(counts[:, None] > 0, sums / counts.clamp(min=1)[:, None], centers)
    return nn.functional.one_hot(torch.cdist(z, centers).argmin(1), k).to(z.dtype)


def fit_mixture(
    z: torch.Tensor, k: int, rng: torch.Generator, steps: int, start: torch.Tensor | None = None, tol: float = 1e-4
) -> tuple[Mixture, torch.Tensor]:
    """A k-component full-covariance mixture fitted to z (N, D) in at most `steps` EM steps from k-means, or
    from the responsibilities `start` (N, k): ((weights, means, covariances) in float32, the last E step's
    responsibilities (N, k): those of the mixture before its last M step, the same once EM has converged)."""
    z = z.double()
    zz = (z[:, :, None] * z[:, None, :]).flatten(1)  # (N, D·D)
    reg = 1e-4 * z.var(0).mean() * torch.eye(z.shape[1], dtype=z.dtype)  # keeps every covariance invertible
    resp = _kmeans(z, k, rng) if start is None else start.double()
    weights, means, cov = _m_step(z, zz, resp, reg)
    previous = -math.inf
    for _ in range(steps):
        log_p = _log_prob(z, zz, means, cov) + weights.log()  # E step: (N, K)
        log_norm = torch.logsumexp(log_p, dim=1, keepdim=True)
        resp = (log_p - log_norm).exp()
        weights, means, cov = _m_step(z, zz, resp, reg)
        mean_log_lik = log_norm.mean().item()
        if mean_log_lik - previous < tol:
            break
        previous = mean_log_lik
    return (weights.float(), means.float(), cov.float()), resp.float()


class LatentPrior(nn.Module):
    """A mixture of up to `components` Gaussians once fitted, or N(0, I) (components=0: `prior: standard`):
    one component, never fitted. Each latent drawn comes with its component (models/noise.py's)."""

    def __init__(self, latent_dim: int, components: int):
        super().__init__()
        self.fixed = components == 0  # N(0, I): never fitted
        k = max(components, 1)
        self.weights: torch.Tensor
        self.means: torch.Tensor
        self.cov: torch.Tensor
        self.register_buffer("weights", torch.zeros(k).index_fill_(0, torch.tensor([0]), 1.0))
        self.register_buffer("means", torch.zeros(k, latent_dim))
        self.register_buffer("cov", torch.eye(latent_dim).repeat(k, 1, 1))

    @property
    def components(self) -> int:
        return len(self.weights)

    @torch.no_grad()
    def fit(self, z: torch.Tensor, rng: torch.Generator, steps: int, start: torch.Tensor | None = None) -> torch.Tensor:
        """Fit to latents z (N, D) (`fit_mixture`); returns their responsibilities (N, K). At least
        POINTS_PER_COMPONENT latents a component (fewer make narrow components, samples that clump); the
        components beyond those fitted keep weight 0."""
        if self.fixed:
            return torch.ones(len(z), 1)
        k = max(1, min(self.components, len(z) // POINTS_PER_COMPONENT))
        fitted, resp = fit_mixture(z.detach().cpu(), k, rng, steps, None if start is None else start[:, :k])
        self.weights.zero_()
        for buffer, value in zip((self.weights, self.means, self.cov), fitted, strict=True):
            buffer[:k].copy_(value)
        return nn.functional.pad(resp, (0, self.components - k))

    @torch.no_grad()
    def responsibilities(self, z: torch.Tensor) -> torch.Tensor:
        """(N, K) the probability of each component for latents z (N, D), on the CPU."""
        z = z.detach().cpu().double()
        zz = (z[:, :, None] * z[:, None, :]).flatten(1)
        log_p = _log_prob(z, zz, self.means.cpu().double(), self.cov.cpu().double())
        return torch.softmax(log_p + self.weights.cpu().double().log(), dim=1).float()

    @torch.no_grad()
    def sample(self, n: int, rng: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(n latents (n, D), the component (n,) each came from), drawn on the CPU (one seed, one result)."""
        eps = torch.randn(n, self.means.shape[1], generator=rng)
        if n == 0:  # multinomial refuses to draw nothing
            return eps, torch.zeros(0, dtype=torch.long)
        component = torch.multinomial(self.weights.cpu(), n, replacement=True, generator=rng)  # (n,)
        scale_tril = torch.linalg.cholesky(self.cov.cpu())  # (K, D, D)
        z = self.means.cpu()[component] + (scale_tril[component] @ eps[:, :, None]).squeeze(-1)
        return z, component
