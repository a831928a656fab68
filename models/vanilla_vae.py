"""The baseline: an MLP VAE with the same interface and widths as the transformer VAE.

encoder:   x (B, F) -> Linear -> ReLU -> Linear -> ReLU -> mu, logvar (B, D)
generator: z (B, D) -> Linear -> ReLU -> Linear -> ReLU -> Linear -> Sigmoid -> (B, F)
"""

from __future__ import annotations

import torch
from torch import nn

from models.vae import VAE


class VanillaVAE(VAE):
    def __init__(
        self,
        n_features: int,
        latent_dim: int,
        hidden_dim: int,
        num_head: int,
        prior_components: int,
        output_noise: float,
    ):
        # num_head is accepted so that every registered model is built from the same config keys
        super().__init__(n_features, latent_dim, prior_components, output_noise)
        h = 4 * hidden_dim  # about as many parameters as the transformer VAE at the same hidden_dim
        self.encoder = nn.Sequential(nn.Linear(n_features, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU())
        self.to_stats = nn.Linear(h, 2 * latent_dim)
        self.generator = nn.Sequential(
            nn.Linear(latent_dim, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, n_features), nn.Sigmoid()
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.to_stats(self.encoder(x)).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z)
