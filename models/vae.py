"""What every VAE here shares: reparameterisation, the β-weighted loss, calibration and sampling.

A subclass supplies `encode(x) -> (mu, logvar)` and `decode(z) -> x_mean in [0, 1]`; everything
else (the maths a training loop or a generator needs) lives here.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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

    def sampling_decoder(self) -> Callable[[torch.Tensor], torch.Tensor]:
        """What `sample` decodes with: `decode` unless a subclass has a faster inference-only equivalent."""
        return self.decode

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
    def sample(self, n: int, generator: torch.Generator | None = None, chunk: int = 1024) -> torch.Tensor:
        """Draw n new points (n, F) in [0, 1] without reading any data; fresh noise on every call.

        All the randomness is drawn first, in one fixed order, so a seeded generator gives the
        same points however the work is split. Then `chunk` points at a time are decoded, on CPU
        by one worker per torch thread (`map_chunks`): small chunks keep the activations in the
        CPU cache (1M points were 16 s with chunks of 65536 and 6 s with 2048, before the other
        speed-ups; README, "Speed").
        """
        was_training = self.training
        self.eval()
        z = self.prior.sample(n, generator)  # (n, D)
        noise = torch.randn(n, self.n_features, generator=generator).to(z.device)  # (n, F)
        noise.mul_(self.output_noise * self.noise_std)
        out = torch.empty(n, self.n_features, device=z.device)
        decode = self.sampling_decoder()

        def fill(start: int) -> None:
            part = slice(start, start + chunk)
            torch.clamp(decode(z[part]).add_(noise[part]), 0.0, 1.0, out=out[part])

        map_chunks(fill, range(0, n, chunk), parallel=z.device.type == "cpu")
        self.train(was_training)
        return out


def map_chunks(fill: Callable[[int], None], starts: range, parallel: bool) -> None:
    """Call fill(start) for every start; in parallel, one Python worker per torch thread.

    Why: each chunk is ~60 small ops. Letting torch split every op over its threads costs a
    synchronisation per op; giving each thread whole chunks (torch ops release the GIL, and
    each worker runs torch single-threaded) is faster. Gradient mode is per thread, so
    workers turn it off themselves; torch's thread count is per process, so it reads 1 while
    the workers run and is restored after.
    """
    workers = torch.get_num_threads()
    if not parallel or workers == 1 or len(starts) < 2:
        for start in starts:
            fill(start)
        return

    def run(worker: int) -> None:
        with torch.no_grad():
            for start in starts[worker::workers]:
                fill(start)

    torch.set_num_threads(1)
    try:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, range(workers)))  # list(): re-raises a worker's exception here
    finally:
        torch.set_num_threads(workers)
