"""Two learned densities for the latent prior lever (benchmarks/prior_lever.py): a score-based diffusion
model and a normalizing flow, each fitted on points (N, D) and sampled with a seeded generator.

    EDMPrior     a denoiser trained with the EDM loss and preconditioning and sampled with its
                 deterministic 2nd-order Heun sampler (Karras et al. 2022, "Elucidating the Design Space
                 of Diffusion-Based Generative Models"), as TabSyn does in its VAE's latent space
                 (Zhang et al. 2024); the denoiser an MLP of residual blocks, as tiny-diffusion's
    RealNVPPrior affine coupling layers with alternating halves (Dinh et al. 2017, "Density estimation
                 using Real NVP"), trained by maximum likelihood; one pass to sample

Both standardise the points per dimension first. They are benchmark code: neither won its place in the
package (benchmarks/RESULTS.md, "A learned latent prior"), so models/ does not carry them.
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

from utils.flat_adam import FlatAdam


class _Standardised(nn.Module):
    """Per-dimension mean and std of the training points; the models work in the standardised space."""

    def __init__(self, points: torch.Tensor):
        super().__init__()
        self.mean: torch.Tensor
        self.std: torch.Tensor
        self.register_buffer("mean", points.mean(0))
        self.register_buffer("std", points.std(0).clamp(min=1e-6))


class _Block(nn.Module):
    """h + W2·SiLU(W1·SiLU(LayerNorm(h) + embedding)): a residual MLP block told the noise level."""

    def __init__(self, width: int):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.inner, self.outer = nn.Linear(width, width), nn.Linear(width, width)

    def forward(self, h: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = h + self.outer(F.silu(self.inner(F.silu(self.norm(h) + embedding))))
        return out


class Denoiser(nn.Module):
    """F(x, c_noise): (B, D), (B,) -> (B, D); c_noise enters as sinusoidal features through a small MLP."""

    def __init__(self, dim: int, width: int, blocks: int):
        super().__init__()
        self.freqs: torch.Tensor
        self.register_buffer("freqs", 10 * torch.exp(-math.log(100.0) * torch.arange(8) / 8))
        self.embed = nn.Sequential(nn.Linear(16, width), nn.SiLU(), nn.Linear(width, width))
        self.inp = nn.Linear(dim, width)
        self.blocks = nn.ModuleList([_Block(width) for _ in range(blocks)])
        self.out = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, dim))

    def forward(self, x: torch.Tensor, c_noise: torch.Tensor) -> torch.Tensor:
        angles = c_noise[:, None] * self.freqs
        embedding = self.embed(torch.cat([angles.sin(), angles.cos()], dim=1))
        h: torch.Tensor = self.inp(x)
        for block in self.blocks:
            h = block(h, embedding)
        out: torch.Tensor = self.out(h)
        return out


class EDMPrior(_Standardised):
    """EDM on standardised points (σ_data = 1): D(x; σ) = c_skip·x + c_out·F(c_in·x, ln σ / 4)."""

    P_MEAN, P_STD = -1.2, 1.2  # ln σ of training ~ N(P_MEAN, P_STD²), EDM's choice
    SIGMA_MIN, SIGMA_MAX, RHO = 0.002, 80.0, 7.0  # the sampler's noise levels, EDM's

    def __init__(self, points: torch.Tensor, width: int = 128, blocks: int = 3):
        super().__init__(points)
        self.net = Denoiser(points.shape[1], width, blocks)

    def denoise(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        """D(x; σ) for x (B, D), σ (B,)."""
        s2 = sigma[:, None] ** 2
        c_skip, c_out, c_in = 1 / (s2 + 1), sigma[:, None] / (s2 + 1).sqrt(), 1 / (s2 + 1).sqrt()
        out: torch.Tensor = c_skip * x + c_out * self.net(c_in * x, sigma.log() / 4)
        return out

    def fit(self, points: torch.Tensor, generator: torch.Generator, steps: int = 4000, batch: int = 512) -> EDMPrior:
        """The EDM loss, λ(σ)·|D(x + n; σ) - x|², λ = (σ² + 1)/σ²; Adam 2e-3 with a cosine decay."""
        x0 = (points - self.mean) / self.std
        optimizer = FlatAdam(self.net.parameters())
        for step in range(steps):
            x = x0[torch.randint(len(x0), (batch,), generator=generator)]
            sigma = (torch.randn(batch, generator=generator) * self.P_STD + self.P_MEAN).exp()
            noisy = x + torch.randn(x.shape, generator=generator) * sigma[:, None]
            weight = (sigma**2 + 1) / sigma**2
            loss = (weight[:, None] * (self.denoise(noisy, sigma) - x) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]  # Tensor.backward has no annotations in torch 2.13
            optimizer.step(2e-3 * 0.5 * (1 + math.cos(math.pi * step / steps)))
        return self

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator, steps: int = 32) -> torch.Tensor:
        """n points (n, D): Heun's method on the probability-flow ODE from σ_max down to 0."""
        i = torch.arange(steps, dtype=torch.float64) / (steps - 1)
        high, low = self.SIGMA_MAX ** (1 / self.RHO), self.SIGMA_MIN ** (1 / self.RHO)
        sigmas = torch.cat([(high + i * (low - high)) ** self.RHO, torch.zeros(1, dtype=torch.float64)]).float()
        x = torch.randn(n, len(self.mean), generator=generator) * sigmas[0]
        for now, after in itertools.pairwise(sigmas):
            slope = (x - self.denoise(x, now.expand(n))) / now
            ahead = x + (after - now) * slope
            if after > 0:  # Heun's correction, except on the last step to σ = 0
                ahead = x + (after - now) * 0.5 * (slope + (ahead - self.denoise(ahead, after.expand(n))) / after)
            x = ahead
        return x * self.std + self.mean


class _Coupling(nn.Module):
    """x_b ← x_b·exp(s(x_a)) + t(x_a) on one half b of the dimensions, given the other half a."""

    def __init__(self, dim: int, mask: torch.Tensor, width: int):
        super().__init__()
        self.mask: torch.Tensor
        self.register_buffer("mask", mask)
        last = nn.Linear(width, 2 * dim)
        nn.init.zeros_(last.weight)  # the coupling starts as the identity
        nn.init.zeros_(last.bias)
        self.net = nn.Sequential(nn.Linear(dim, width), nn.SiLU(), nn.Linear(width, width), nn.SiLU(), last)

    def _scale_shift(self, kept: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out: torch.Tensor = self.net(kept)
        log_scale, shift = out.chunk(2, dim=1)
        return torch.tanh(log_scale) * (1 - self.mask), shift * (1 - self.mask)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """data -> latent direction: (y, log|det|) with y = (x - t)·exp(-s) on the changed half."""
        log_scale, shift = self._scale_shift(x * self.mask)
        return (x - shift) * torch.exp(-log_scale), -log_scale.sum(1)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        log_scale, shift = self._scale_shift(y * self.mask)
        return y * torch.exp(log_scale) + shift


class RealNVPPrior(_Standardised):
    """`layers` affine couplings, each changing the half of the dimensions the last one kept."""

    def __init__(self, points: torch.Tensor, layers: int = 8, width: int = 128):
        super().__init__(points)
        dim = points.shape[1]
        first = (torch.arange(dim) % 2).float()
        self.couplings = nn.ModuleList([_Coupling(dim, first if k % 2 else 1 - first, width) for k in range(layers)])

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log density of standardised points x (B, D), up to the constant of the standardisation."""
        log_det = torch.zeros(len(x))
        for coupling in self.couplings:
            assert isinstance(coupling, _Coupling)
            x, step = coupling(x)
            log_det = log_det + step
        return -0.5 * (x**2).sum(1) - 0.5 * x.shape[1] * math.log(2 * math.pi) + log_det

    def fit(
        self, points: torch.Tensor, generator: torch.Generator, steps: int = 4000, batch: int = 512
    ) -> RealNVPPrior:
        x0 = (points - self.mean) / self.std
        optimizer = FlatAdam(self.couplings.parameters())
        for step in range(steps):
            loss = -self.log_prob(x0[torch.randint(len(x0), (batch,), generator=generator)]).mean()
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]  # Tensor.backward has no annotations in torch 2.13
            optimizer.clip_grad_norm(10.0)
            optimizer.step(1e-3 * 0.5 * (1 + math.cos(math.pi * step / steps)))
        return self

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        x = torch.randn(n, len(self.mean), generator=generator)
        for coupling in reversed(self.couplings):
            assert isinstance(coupling, _Coupling)
            x = coupling.inverse(x)
        return x * self.std + self.mean
