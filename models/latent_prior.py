"""The prior that `sample` draws latents from: N(0, I), or a Gaussian mixture fitted after training.

A VAE trained with a small KL weight has an aggregate posterior that is not N(0, I): its mass
follows the strokes of the picture with empty space between them, and N(0, I) samples fall into
that space (points off the shape). Fitting a mixture on the posterior means of the training
points and sampling from it keeps latents where the decoder was trained ("ex-post density
estimation", Ghosh et al. 2020). The mixture stores only K weights, means and covariances, never
data points, so generation needs only the checkpoint.
"""

from __future__ import annotations

import math

import torch
from torch import nn

Mixture = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # weights (K,), means (K, D), covariances (K, D, D)


def _component_log_prob(z: torch.Tensor, zz: torch.Tensor, means: torch.Tensor, cov: torch.Tensor) -> torch.Tensor:
    """log N(z_n | means_k, cov_k) -> (N, K), for z (N, D), zz = z z^T flattened (N, D*D).

    Uses (z-m)^T P (z-m) = z^T P z - 2 m^T P z + m^T P m, so every term is one matrix product.
    """
    d = z.shape[1]
    precision = torch.linalg.inv(cov)  # (K, D, D)
    pm = precision @ means[:, :, None]  # (K, D, 1)
    maha = zz @ precision.flatten(1).T - 2 * z @ pm.squeeze(-1).T + (means[:, None, :] @ pm).flatten()
    log_det: torch.Tensor = torch.linalg.slogdet(cov).logabsdet  # (K,)
    log_prob: torch.Tensor = -0.5 * (maha + log_det + d * math.log(2 * math.pi))
    return log_prob


def _m_step(z: torch.Tensor, zz: torch.Tensor, resp: torch.Tensor, reg: torch.Tensor) -> Mixture:
    """Weights, means and covariances from responsibilities resp (N, K): cov_k = E_k[z z^T] - m_k m_k^T."""
    n, d = z.shape
    nk = resp.sum(0) + 1e-10  # (K,)
    means = resp.T @ z / nk[:, None]
    second = (resp.T @ zz / nk[:, None]).view(-1, d, d)
    return nk / n, means, second - means[:, :, None] * means[:, None, :] + reg


def kmeans_init(z: torch.Tensor, k: int, generator: torch.Generator, steps: int = 10) -> torch.Tensor:
    """Hard responsibilities (N, K) from k-means++ seeding and a few Lloyd steps.

    Why: EM started at random points leaves components straddling two strokes; a k-means start
    (as scikit-learn's GaussianMixture uses) put 3 % more points on the shape in the data space.
    """
    n = len(z)
    centers = z[torch.randint(n, (1,), generator=generator)]
    nearest = torch.cdist(z, centers).squeeze(1).pow(2)  # (N,) squared distance to the nearest centre
    for _ in range(1, k):  # k-means++: the next centre with probability proportional to that distance
        pick = torch.multinomial(nearest + 1e-12, 1, generator=generator)
        centers = torch.cat([centers, z[pick]])
        nearest = torch.minimum(nearest, (z - z[pick]).pow(2).sum(1))
    for _ in range(steps):
        label = torch.cdist(z, centers).argmin(1)
        counts = torch.bincount(label, minlength=k).to(z.dtype)
        sums = torch.zeros_like(centers).index_add_(0, label, z)
        centers = torch.where(counts[:, None] > 0, sums / counts.clamp(min=1)[:, None], centers)
    label = torch.cdist(z, centers).argmin(1)
    return torch.nn.functional.one_hot(label, k).to(z.dtype)


def fit_gaussian_mixture(
    z: torch.Tensor,
    k: int,
    generator: torch.Generator,
    iters: int = 200,
    tol: float = 1e-4,
) -> Mixture:
    """Fit a full-covariance mixture to z (N, D) by EM from a k-means++ start.

    Returns weights (K,), means (K, D) and covariances (K, D, D), float32.
    """
    n, d = z.shape
    assert n >= k, f"cannot fit {k} mixture components to {n} points"
    z = z.double()
    zz = (z[:, :, None] * z[:, None, :]).flatten(1)  # (N, D*D) second moments of each point
    reg = 1e-4 * z.var(0).mean() * torch.eye(d, dtype=z.dtype)  # keeps every covariance invertible
    weights, means, cov = _m_step(z, zz, kmeans_init(z, k, generator), reg)
    previous = -float("inf")
    for _ in range(iters):
        log_p = _component_log_prob(z, zz, means, cov) + weights.log()  # E step: (N, K)
        log_norm = torch.logsumexp(log_p, dim=1, keepdim=True)  # (N, 1)
        weights, means, cov = _m_step(z, zz, (log_p - log_norm).exp(), reg)
        mean_log_lik = log_norm.mean().item()
        if mean_log_lik - previous < tol:
            break
        previous = mean_log_lik
    return weights.float(), means.float(), cov.float()


POINTS_PER_COMPONENT = 16  # a full covariance in 4-D has 14 numbers of its own


class LatentPrior(nn.Module):
    """N(0, I) until `fit` is called with posterior means; then a K-component Gaussian mixture.

    K = 0 means the prior stays N(0, I). The mixture lives in buffers, so it is saved and loaded
    with the model's state_dict.
    """

    def __init__(self, latent_dim: int, components: int):
        super().__init__()
        self.latent_dim = latent_dim
        self.components = components
        self.fitted: torch.Tensor
        self.weights: torch.Tensor
        self.means: torch.Tensor
        self.cov: torch.Tensor
        self.register_buffer("fitted", torch.tensor(False))
        self.register_buffer("weights", torch.full((components,), 1.0 / max(components, 1)))
        self.register_buffer("means", torch.zeros(components, latent_dim))
        self.register_buffer("cov", torch.eye(latent_dim).repeat(components, 1, 1))

    @torch.no_grad()
    def fit(self, z: torch.Tensor, generator: torch.Generator, iters: int = 200) -> None:
        """Fit the mixture to latents z (N, D) with at most `iters` EM steps; a no-op for K = 0."""
        if self.components == 0:
            return
        # at least POINTS_PER_COMPONENT latents per component: fewer make narrow components around a
        # handful of points, samples that clump (a frame's 1000-point fit at 128 components did)
        k = max(1, min(self.components, len(z) // POINTS_PER_COMPONENT))
        fitted = fit_gaussian_mixture(z.detach().cpu(), k, generator, iters)
        self.weights.zero_()  # components beyond k keep weight 0 and are never drawn
        for buffer, value in zip((self.weights, self.means, self.cov), fitted, strict=True):
            buffer[:k].copy_(value.to(buffer.device))
        self.fitted.fill_(True)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw n latents (n, D) with fresh noise (from `generator` if given), on the prior's device."""
        return self.sample_with_components(n, generator)[0]

    @torch.no_grad()
    def sample_with_components(
        self, n: int, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(n latents (n, D), the component (n,) each came from; None for N(0, I))."""
        # noise is drawn on the CPU so that one seed gives the same points on every device
        device = self.means.device
        eps = torch.randn(n, self.latent_dim, generator=generator)
        if not bool(self.fitted) or n == 0:  # multinomial refuses to draw 0 samples
            return eps.to(device), None
        comp = torch.multinomial(self.weights.cpu(), n, replacement=True, generator=generator)  # (n,)
        scale_tril: torch.Tensor = torch.linalg.cholesky(self.cov.cpu())  # (K, D, D)
        return (self.means.cpu()[comp] + (scale_tril[comp] @ eps[:, :, None]).squeeze(-1)).to(device), comp

    @torch.no_grad()
    def responsibilities(self, z: torch.Tensor) -> torch.Tensor:
        """(N, K) posterior probability of each component for latents z (N, D), on the CPU."""
        z = z.detach().cpu().double()
        zz = (z[:, :, None] * z[:, None, :]).flatten(1)
        log_p = _component_log_prob(z, zz, self.means.cpu().double(), self.cov.cpu().double())
        return torch.softmax(log_p + self.weights.cpu().double().log(), dim=1).float()
