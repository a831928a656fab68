"""The baseline: an MLP VAE with the same interface and widths as the transformer VAE.

encoder:   x (B, F) -> L+1 x (Linear -> ReLU) -> mu, logvar (B, D)
generator: z (B, D) -> L+1 x (Linear -> ReLU) -> Linear -> Sigmoid -> (B, F)
           (with the learned likelihood, also -> Linear -> the variance of each feature, (B, F))
"""

from __future__ import annotations

import torch
from torch import nn

from data.scaling import Scaler
from models.vae import VAE, Decoded, variance_head


def _mlp(n_in: int, width: int, num_layers: int) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Linear(n_in, width), nn.ReLU()]
    for _ in range(num_layers):
        layers += [nn.Linear(width, width), nn.ReLU()]
    return layers


class VanillaVAE(VAE):
    def __init__(
        self,
        scaler: Scaler,
        latent_dim: int,
        hidden_dim: int,
        num_head: int,
        num_layers: int,
        prior_components: int,
        likelihood: str,
        output_noise: float,
        noise_covariance: str,
    ):
        # num_head is accepted so that every registered model is built from the same config keys
        super().__init__(scaler, latent_dim, prior_components, likelihood, output_noise, noise_covariance)
        width = 4 * hidden_dim  # about as many parameters as the transformer VAE at the same hidden_dim
        self.encoder = nn.Sequential(*_mlp(self.n_features, width, num_layers))
        self.to_stats = nn.Linear(width, 2 * latent_dim)
        self.generator = nn.Sequential(
            *_mlp(latent_dim, width, num_layers), nn.Linear(width, self.n_features), nn.Sigmoid()
        )
        self.to_var = variance_head(width, self.n_features) if likelihood == "learned" else None

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.to_stats(self.encoder(x)).chunk(2, dim=1)
        return mu, logvar

    def decode_stats(self, z: torch.Tensor) -> Decoded:
        if self.to_var is None:
            return self.generator(z), None
        hidden = self.generator[:-2](z)  # (B, width): what the mean's Linear -> Sigmoid reads
        return self.generator[-2:](hidden), self.variance(self.to_var(hidden))
