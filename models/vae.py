"""What every VAE here shares: reparameterisation, the β-weighted loss, calibration, sampling.

A subclass supplies `encode(x) -> (mu, logvar)` and `decode_stats(z) -> (mean in [0, 1], variance or
None)`; everything else (the maths a training loop or a generator needs) lives here. The likelihood
(models/likelihood.py) is "gaussian" (one σ per feature, the batch's optimal one), "learned" (the
decoder's own σ(z) per point and feature) or "mse" (the seed's squared error). With the Gaussian
likelihoods, q_f, the variance of rounding to integers, makes (1 - β)·recons + β·KLD at β = ½ half
the negative ELBO; training raises it to a precision floor (`fit_floor`): without it, a feature that
became precise early got ever more of the gradient (weight 1/σ_f²) and the others starved; on some
seeds a position axis stayed 9 px off while the latent memorised a color channel's noise
(benchmarks/RESULTS.md, "levers").

Sampling adds noise to the decoded mean and clamps to the data's range (data/scaling.py leaves a
margin past the ends for censored colors). The noise is measured on the training points by
`calibrate`, on the residuals divided by the decoder's σ(z) ("learned") or as they are: N(0, σ_f²)
per feature ("diagonal"), with the residuals' correlations ("full"), or per component of the
sampling prior ("local"; models/output_noise.py says why); "learned" then multiplies it by σ(z).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import torch
from torch import nn

from data.scaling import Scaler
from models import likelihood as lik
from models.latent_prior import LatentPrior
from models.output_noise import LocalNoise, fit_censored, residual_correlation_chol

Decoded = tuple[torch.Tensor, torch.Tensor | None]  # (mean (B, F), variance (B, F) or None): decode_stats
BLOCK = 65536  # points whose randomness is drawn together: any split of n into blocks gives the same points
PARALLEL_CHUNKS = 32  # chunks of a block decoded by one worker per thread from this many on (map_chunks)


@dataclass
class LossTerms:
    """Scalar tensors: total = (1 - β)·recons + β·kld, each a mean per point."""

    total: torch.Tensor
    recons: torch.Tensor
    kld: torch.Tensor


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """z = mu + std·eps with std = exp(0.5·logvar) and fresh eps on every call."""
    # a generator draws on the CPU (the same numbers on every device); training uses torch's global stream
    eps = torch.randn(mu.shape, generator=generator).to(mu.device) if generator else torch.randn_like(mu)
    return mu + torch.exp(0.5 * logvar) * eps


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) summed over latent dims: (B, D) -> (B,)."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)


def variance_head(width: int, n_out: int = 1) -> nn.Linear:
    """Linear(width, n_out) giving the learned variance's raw value (VAE.variance), at first about 0.01 (std 0.1)."""
    head = nn.Linear(width, n_out)
    with torch.no_grad():
        head.weight.mul_(0.1)
        head.bias.fill_(-4.6)  # log 0.01
    return head


class VAE(nn.Module):
    """Base class; see the module docstring. Inputs and outputs are (B, F) in model space [0, 1]."""

    def __init__(
        self,
        scaler: Scaler,
        latent_dim: int,
        prior_components: int,
        likelihood: str,
        output_noise: float,
        noise_covariance: str,
    ):
        super().__init__()
        assert likelihood in ("gaussian", "learned", "mse"), f"unknown likelihood {likelihood!r}"
        assert noise_covariance in ("diagonal", "full", "local"), f"unknown noise_covariance {noise_covariance!r}"
        self.n_features = scaler.n_features
        self.latent_dim = latent_dim
        self.likelihood = likelihood
        self.output_noise = output_noise
        self.prior = LatentPrior(latent_dim, prior_components)
        lower, upper = scaler.bounds()
        self.quantum: torch.Tensor
        self.lower: torch.Tensor
        self.upper: torch.Tensor
        self.censored: torch.Tensor
        self.noise_std: torch.Tensor
        # (F,) variance of rounding to the data's integer grid, in model space: the floor of σ²
        self.register_buffer("quantum", torch.tensor(scaler.quantum()))
        # (F,) the precision floor of training (fit_floor); the rounding variance until it is fitted
        self.floor: torch.Tensor
        self.register_buffer("floor", torch.tensor(scaler.quantum()))
        # (F,) where the data's range ends in model space; values there are censored where `censored`
        self.register_buffer("lower", torch.tensor(lower))
        self.register_buffer("upper", torch.tensor(upper))
        self.register_buffer("censored", torch.tensor([m > 0 for m in scaler.margin]))
        # (F,) the decoder's std per feature, measured on the training points by `calibrate`
        self.register_buffer("noise_std", torch.zeros(self.n_features))
        # (F, F) Cholesky factor of the residuals' correlation (module docstring); only for "full"
        self.noise_chol: torch.Tensor | None  # a None buffer is not in the state_dict
        self.register_buffer("noise_chol", torch.eye(self.n_features) if noise_covariance == "full" else None)
        # per prior component (models/output_noise.py); only for "local" with a mixture prior
        local = noise_covariance == "local" and prior_components > 0
        self.local_noise = LocalNoise(prior_components, self.n_features) if local else None

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def decode_stats(self, z: torch.Tensor) -> Decoded:
        """z (B, D) -> the decoder's mean (B, F) in [0, 1], and its variance (B, F) with the learned likelihood."""
        raise NotImplementedError

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, D) -> the decoder's mean (B, F)."""
        return self.decode_stats(z)[0]

    def variance(self, raw: torch.Tensor) -> torch.Tensor:
        """The learned variance from a decoder head's raw output: the precision floor plus at most 1."""
        return self.floor + raw.clamp(max=0.0).exp()

    def sampling_decoder(self) -> Callable[[torch.Tensor], Decoded]:
        """What `sample` decodes with: `decode_stats` unless a subclass has a faster inference-only equivalent."""
        return self.decode_stats

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x (B, F) -> reconstruction (B, F), mu (B, D), logvar (B, D)."""
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar)), mu, logvar

    def loss(self, x: torch.Tensor, beta: float) -> LossTerms:
        """(1 - β)·recons + β·KLD per point; recons is the likelihood's term (module docstring)."""
        mu, logvar = self.encode(x)
        x_hat, var = self.decode_stats(reparameterize(mu, logvar))
        if self.likelihood == "mse":
            recons = (x_hat - x).pow(2).sum(dim=1).mean()
        else:  # models/likelihood.py: the decoder's own variance ("learned") or the batch's per feature
            ends, bounds = self._ends(x), (self.lower, self.upper)
            if var is None:
                recons = lik.batch_sigma_nll(x, x_hat, ends, bounds, self.floor)
            else:
                recons = lik.learned_sigma_nll(x, x_hat, var, ends, bounds)
        kld = kl_to_standard_normal(mu, logvar).mean()
        return LossTerms(total=(1 - beta) * recons + beta * kld, recons=recons, kld=kld)

    def _ends(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, F) masks of censored values at the lower and the upper end of their range."""
        return lik.censored_ends(x, self.censored, self.lower, self.upper, self.quantum)

    @torch.no_grad()
    def fit_floor(self, x: torch.Tensor) -> None:
        """Set the training precision floor (models/likelihood.py) from the training points x (N, F)."""
        self.floor.copy_(lik.precision_floor(x, self.censored, self.quantum))

    @torch.no_grad()
    def calibrate(self, x: torch.Tensor, generator: torch.Generator, em_iters: int = 200) -> None:
        """Fit what sampling needs from the training points x (N, F): the latent prior and the output noise
        (with saturated colors imputed: models/output_noise.py, `fit_censored`).

        `em_iters` bounds the mixture fit (a frame during training fits in a few steps).
        """
        was_training = self.training
        self.eval()
        mu, _ = self.encode(x)
        self.prior.fit(mu, generator, em_iters)
        x_hat, var = self.decode_stats(mu)
        if var is None:
            unit, floor = torch.ones_like(x_hat), self.quantum
        else:  # the learned σ(z) scales the noise at sampling: measure the rest in its units, floor (1% of σ)²
            unit, floor = var.sqrt(), torch.full_like(self.quantum, 1e-4)
        resp = self.prior.responsibilities(mu) if self.local_noise is not None else None
        every = torch.ones_like(x, dtype=torch.bool)

        def fit(residual: torch.Tensor) -> None:
            self.noise_std.copy_(lik.optimal_var(residual, every, floor).sqrt())
            if self.noise_chol is not None:
                self.noise_chol.copy_(residual_correlation_chol(residual, every))
            if self.local_noise is not None and resp is not None:
                self.local_noise.fit(residual, every[:, 0], resp, floor)

        def marginals() -> tuple[torch.Tensor, torch.Tensor]:  # the noise's mean and std (N, F) at each point
            if self.local_noise is not None and resp is not None:
                return self.local_noise.marginals(resp.argmax(dim=1))
            return torch.zeros_like(x), self.noise_std.expand_as(x)

        bounds = ((self.lower - x_hat) / unit, (self.upper - x_hat) / unit)
        fit_censored(fit, marginals, (x - x_hat) / unit, self._ends(x), bounds, generator)
        self.train(was_training)

    def _noise(self, n: int, generator: torch.Generator | None, comp: torch.Tensor | None = None) -> torch.Tensor:
        """(n, F) output noise N(0, output_noise² D R D), D = diag(σ_f), R = I or the residuals' correlation;
        with local noise and the prior components comp (n,) of the latents, each component's own."""
        eps = torch.randn(n, self.n_features, generator=generator)
        if self.local_noise is not None and comp is not None:
            return self.local_noise.draw(eps, comp, self.output_noise)
        if self.noise_chol is not None:
            eps = eps @ self.noise_chol.cpu().T
        return eps.mul_(self.output_noise * self.noise_std.cpu())

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, chunk: int = 1024) -> torch.Tensor:
        """Draw n new points (n, F) in model space without reading any data; fresh noise on every call.

        Randomness is drawn BLOCK points at a time (latents, then output noise), so a seeded
        generator gives the same points however n is split into calls of whole blocks (streaming
        `generate`) or the work into threads. Then `chunk` points at a time are decoded, on CPU by
        one worker per torch thread (`map_chunks`): small chunks keep the activations in cache.
        """
        was_training = self.training
        self.eval()
        device = self.noise_std.device
        out = torch.empty(n, self.n_features, device=device)
        decode = self.sampling_decoder()
        for start in range(0, n, BLOCK):
            size = min(BLOCK, n - start)
            z, comp = self.prior.sample_with_components(size, generator)  # (size, D), (size,)
            noise = self._noise(size, generator, comp).to(device)  # (size, F)
            block = out[start : start + size]

            def fill(first: int, z: torch.Tensor = z, noise: torch.Tensor = noise, block: torch.Tensor = block) -> None:
                part = slice(first, first + chunk)
                torch.clamp(with_noise(*decode(z[part]), noise[part]), self.lower, self.upper, out=block[part])

            map_chunks(fill, range(0, size, chunk), parallel=device.type == "cpu")
        self.train(was_training)
        return out

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, generator: torch.Generator, use_mean: bool) -> torch.Tensor:
        """Decode the posterior of each point of x (N, F), plus output noise -> (N, F) in model space.

        use_mean=False draws z ~ q(z|x) (the aggregate posterior); True decodes the posterior mean.
        Compared with prior samples, these tell whether a gap comes from the autoencoder or the prior.
        """
        was_training = self.training
        self.eval()
        mu, logvar = self.encode(x)
        z = mu if use_mean else reparameterize(mu, logvar, generator)
        comp = self.prior.responsibilities(z).argmax(dim=1) if self.local_noise is not None else None
        noise = self._noise(len(x), generator, comp).to(z.device)
        out = torch.clamp(with_noise(*self.decode_stats(z), noise), self.lower, self.upper)
        self.train(was_training)
        return out

    @torch.no_grad()
    def latents(self, x: torch.Tensor, batch: int = 8192) -> torch.Tensor:
        """Posterior means (N, D) of x (N, F), in batches."""
        return torch.cat([self.encode(part)[0] for part in _batches(x, batch)]) if len(x) else x[:, :0]


def with_noise(mean: torch.Tensor, var: torch.Tensor | None, noise: torch.Tensor) -> torch.Tensor:
    """A decoded mean (B, F) plus output noise (B, F), scaled by the decoder's own σ(z) where it has one."""
    return mean.add_(noise if var is None else noise * var.sqrt())


def _batches(x: torch.Tensor, size: int) -> Iterator[torch.Tensor]:
    for start in range(0, len(x), size):
        yield x[start : start + size]


def map_chunks(fill: Callable[[int], None], starts: range, parallel: bool) -> None:
    """Call fill(start) for every start; in parallel, one Python worker per torch thread.

    Why: each chunk is ~60 small ops. Letting torch split every op over its threads costs a
    synchronisation per op; giving each thread whole chunks (torch ops release the GIL, and
    each worker runs torch single-threaded) is faster, from PARALLEL_CHUNKS chunks on: below that,
    starting the workers costs more than they save (5000 points: 22 ms in workers, 15 ms without;
    the crossover was 20,000 to 40,000 points on a 2-core CPU). Gradient mode is per thread, so
    workers turn it off themselves; torch's thread count is per process, so it reads 1 while
    the workers run and is restored after.
    """
    workers = torch.get_num_threads()
    if not parallel or workers == 1 or len(starts) < PARALLEL_CHUNKS:
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
