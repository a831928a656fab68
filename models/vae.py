"""What every VAE here shares: the loss, and the way from the prior to a point.

A subclass supplies `encode(x) -> (mu, logvar)` and `decode(z) -> (mean in [0, 1], variance)`; the
rest lives here. Points are (B, F) in model space. Training: loss = (1 - β)·recons + β·KLD, recons the
decoder's censored-Gaussian likelihood (models/likelihood.py), z = mu + exp(½·logvar)·ε, fresh ε.

Sampling (`sample`), read top to bottom, never reading data:

    z, k  ~ the latent prior                      models/prior.py: the mixture fitted after training
    mean, var = decode(z)                         the decoder's mean and its own variance σ²(z)
    x = mean + σ(z) · (m_k + s·L_k·ε)             models/noise.py: component k's noise in units of σ, s = output_noise
    x clamped to the data's range                 a mean past a color's end gives its saturated value

`calibrate` fits what sampling needs from the training points: the prior on their posterior means,
then the noise on their residuals divided by σ.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from data.scaling import Scaler
from models import likelihood
from models.noise import OutputNoise
from models.prior import LatentPrior
from utils.config import Config

BLOCK = 65536  # points whose randomness is drawn together: any split of n into blocks gives the same points
CHUNK = 1024  # points decoded at a time: the activations stay in the CPU's cache (8192: 2.5x as slow)


@dataclass
class LossTerms:
    """Scalar tensors: total = (1 - β)·recons + β·kld, each a mean per point."""

    total: torch.Tensor
    recons: torch.Tensor
    kld: torch.Tensor


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, rng: torch.Generator | None = None) -> torch.Tensor:
    """z = mu + std·eps with std = exp(0.5·logvar) and fresh eps on every call (from `rng`, on the CPU, if given)."""
    eps = torch.randn(mu.shape, generator=rng).to(mu.device) if rng else torch.randn_like(mu)
    return mu + torch.exp(0.5 * logvar) * eps


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) summed over latent dims: (B, D) -> (B,)."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)


def variance_head(width: int, n_out: int = 1) -> nn.Linear:
    """Linear(width, n_out) giving the variance's raw value (VAE.variance), at first about 0.01 (std 0.1)."""
    head = nn.Linear(width, n_out)
    with torch.no_grad():
        head.weight.mul_(0.1)
        head.bias.fill_(-4.6)  # log 0.01
    return head


class VAE(nn.Module):
    """Base class; see the module docstring."""

    def __init__(self, cfg: Config, scaler: Scaler):
        super().__init__()
        self.n_features, self.latent_dim, self.output_noise = scaler.n_features, cfg.latent_dim, cfg.output_noise
        self.prior = LatentPrior(cfg.latent_dim, cfg.prior_components if cfg.prior == "gmm" else 0)  # 0: N(0, I)
        self.noise = OutputNoise(self.prior.components, self.n_features)
        lower, upper = scaler.bounds()
        self.quantum: torch.Tensor
        self.lower: torch.Tensor
        self.upper: torch.Tensor
        self.censored: torch.Tensor
        # (F,) the variance of rounding to the data's integer grid, in model space: the smallest σ² the decoder gives
        self.register_buffer("quantum", torch.tensor(scaler.quantum()))
        # (F,) where the data's range ends in model space; values there are censored where `censored`
        self.register_buffer("lower", torch.tensor(lower))
        self.register_buffer("upper", torch.tensor(upper))
        self.register_buffer("censored", torch.tensor([m > 0 for m in scaler.margin]))

    @property
    def device(self) -> torch.device:
        return self.lower.device

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, F) -> mu, logvar (B, D)."""
        raise NotImplementedError

    def decode(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """z (B, D) -> the decoder's mean (B, F) in [0, 1] and its variance (B, F)."""
        raise NotImplementedError

    def variance(self, raw: torch.Tensor) -> torch.Tensor:
        """The variance from a decoder head's raw output: the rounding variance plus at most 1."""
        return self.quantum + raw.clamp(max=0.0).exp()

    def loss(self, x: torch.Tensor, beta: float) -> LossTerms:
        """(1 - β)·recons + β·KLD per point (module docstring)."""
        mu, logvar = self.encode(x)
        mean, var = self.decode(reparameterize(mu, logvar))
        recons = likelihood.nll(x, mean, var, self._ends(x), (self.lower, self.upper))
        kld = kl_to_standard_normal(mu, logvar).mean()
        return LossTerms(total=(1 - beta) * recons + beta * kld, recons=recons, kld=kld)

    def _ends(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, F) masks of censored values at the lower and at the upper end of their range."""
        return likelihood.censored_ends(x, self.censored, self.lower, self.upper, self.quantum)

    @torch.no_grad()
    def calibrate(
        self, x: torch.Tensor, rng: torch.Generator, steps: int = 200, start: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Fit the prior (at most `steps` EM steps, from k-means or the memberships `start` (N, K) of an earlier
        fit) and the output noise on the training points x (N, F); returns their memberships (N, K)."""
        was_training = self.training
        self.eval()
        mu, _ = self.encode(x)
        resp = self.prior.fit(mu, rng, steps, start)  # (N, K): which component each training point belongs to
        mean, var = self.decode(mu)
        std = var.sqrt()
        bounds = ((self.lower - mean) / std, (self.upper - mean) / std)  # where the range ends, in units of σ
        self.noise.fit((x - mean) / std, resp, self._ends(x), bounds, rng)
        self.train(was_training)
        return resp

    @torch.no_grad()
    def sample(self, n: int, rng: torch.Generator | None = None) -> torch.Tensor:
        """n new points (n, F) in model space (module docstring); fresh noise on every call unless `rng` is seeded.

        The randomness is drawn BLOCK points at a time on the CPU (latents, then noise), so a seeded `rng`
        gives the same points on any device, and however n is split into calls of whole blocks (`generate`
        streams them). Each block is decoded CHUNK points at a time.
        """
        was_training = self.training
        self.eval()
        device = self.device
        out = torch.empty(n, self.n_features, device=device)
        for start in range(0, n, BLOCK):
            size = min(BLOCK, n - start)
            z, component = self.prior.sample(size, rng)  # (size, D), (size,)
            eps = torch.randn(size, self.n_features, generator=rng)
            noise = self.noise.draw(eps, component, self.output_noise).to(device)  # (size, F), in units of σ
            z = z.to(device)
            for first in range(start, start + size, CHUNK):
                part = slice(first - start, min(first + CHUNK, start + size) - start)
                mean, var = self.decode(z[part])
                x = mean.addcmul_(var.sqrt_(), noise[part])  # mean + σ(z)·noise
                torch.clamp(x, self.lower, self.upper, out=out[first : first + len(x)])
        self.train(was_training)
        return out

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, rng: torch.Generator, use_mean: bool) -> torch.Tensor:
        """Decode the posterior of each point of x (N, F), plus the output noise -> (N, F) in model space.

        use_mean=False draws z ~ q(z|x) (the aggregate posterior); True decodes the posterior mean.
        Compared with prior samples, these tell whether a gap comes from the autoencoder or the prior.
        """
        was_training = self.training
        self.eval()
        mu, logvar = self.encode(x)
        z = mu if use_mean else reparameterize(mu, logvar, rng)
        component = self.prior.responsibilities(z).argmax(dim=1)
        noise = self.noise.draw(torch.randn(len(x), self.n_features, generator=rng), component, self.output_noise)
        mean, var = self.decode(z)
        out = torch.clamp(mean + var.sqrt() * noise.to(z.device), self.lower, self.upper)
        self.train(was_training)
        return out

    @torch.no_grad()
    def latents(self, x: torch.Tensor, batch: int = 8192) -> torch.Tensor:
        """Posterior means (N, D) of x (N, F), in batches."""
        return torch.cat([self.encode(x[s : s + batch])[0] for s in range(0, len(x), batch)]) if len(x) else x[:, :0]
