"""What every VAE here shares: reparameterisation, the β-weighted loss, calibration and sampling.

A subclass supplies `encode(x) -> (mu, logvar)` and `decode(z) -> x_mean in [0, 1]`; everything
else (the maths a training loop or a generator needs) lives here.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from models.latent_prior import LatentPrior


@dataclass
class LossTerms:
    """Scalar tensors: total = (1 - β)·recons + β·kld, each averaged over the batch."""

    total: torch.Tensor
    recons: torch.Tensor
    kld: torch.Tensor


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """z = mu + std·eps with std = exp(0.5·logvar) and fresh eps on every call."""
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) summed over latent dims: (B, D) -> (B,)."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)


class VAE(nn.Module):
    """Base class; see the module docstring. Inputs and outputs are (B, F) in model space [0, 1]."""

    def __init__(self, n_features: int, latent_dim: int, prior_components: int, output_noise: float):
        super().__init__()
        self.n_features = n_features
        self.latent_dim = latent_dim
        self.output_noise = output_noise
        self.prior = LatentPrior(latent_dim, prior_components)
        # per-feature std of the residual x - decode(mu), set by `calibrate`; added at sampling time
        self.register_buffer("noise_std", torch.zeros(n_features))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x (B, F) -> reconstruction (B, F), mu (B, D), logvar (B, D)."""
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar)), mu, logvar

    def loss(self, x: torch.Tensor, beta: float) -> LossTerms:
        """(1 - β)·recons + β·KLD; recons is the squared error summed over features."""
        x_hat, mu, logvar = self(x)
        recons = (x_hat - x).pow(2).sum(dim=1).mean()
        kld = kl_to_standard_normal(mu, logvar).mean()
        return LossTerms(total=(1 - beta) * recons + beta * kld, recons=recons, kld=kld)

    @torch.no_grad()
    def calibrate(self, x: torch.Tensor, generator: torch.Generator, em_iters: int = 200) -> None:
        """Fit what sampling needs from the training points x (N, F): the latent prior and output noise.

        `em_iters` bounds the mixture fit; a preview (a frame during training) can use fewer.
        """
        was_training = self.training
        self.eval()
        mu, _ = self.encode(x)
        self.prior.fit(mu, generator, em_iters)
        self.noise_std.copy_((x - self.decode(mu)).std(dim=0))
        self.train(was_training)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, chunk: int = 2048) -> torch.Tensor:
        """Draw n new points (n, F) in [0, 1] without reading any data; fresh noise on every call.

        Decodes `chunk` points at a time: small chunks keep the activations in the CPU cache
        (1M points: 16 s with chunks of 65536, 6 s with 2048, on 2 cores).
        """
        was_training = self.training
        self.eval()
        out = []
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            x = self.decode(self.prior.sample(m, generator))
            if self.output_noise > 0:
                x = x + self.output_noise * self.noise_std * torch.randn(x.shape, generator=generator).to(x.device)
            out.append(x.clamp(0.0, 1.0))
        self.train(was_training)
        return torch.cat(out) if out else torch.empty(0, self.n_features)
