"""The baseline: an MLP VAE with the same interface and widths as the transformer VAE.

encoder:   x (B, F) -> L+1 x (Linear -> ReLU) -> mu, logvar (B, D)
generator: z (B, D) -> L+1 x (Linear -> ReLU) -> Linear -> Sigmoid -> (B, F)
           and from the last hidden layer -> Linear -> the variance of each feature, (B, F)
"""

from __future__ import annotations

import torch
from torch import nn

from data.scaling import Scaler
from models.vae import VAE, variance_head
from utils.config import Config


def _mlp(n_in: int, width: int, num_layers: int) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Linear(n_in, width), nn.ReLU()]
    for _ in range(num_layers):
        layers += [nn.Linear(width, width), nn.ReLU()]
    return layers


class VanillaVAE(VAE):
    def __init__(self, cfg: Config, scaler: Scaler):
        super().__init__(cfg, scaler)  # num_head does not apply: there is no attention
        width = 4 * cfg.hidden_dim  # about as many parameters as the transformer VAE at the same hidden_dim
        self.encoder = nn.Sequential(*_mlp(self.n_features, width, cfg.num_layers))
        self.to_stats = nn.Linear(width, 2 * cfg.latent_dim)
        self.generator = nn.Sequential(
            *_mlp(cfg.latent_dim, width, cfg.num_layers), nn.Linear(width, self.n_features), nn.Sigmoid()
        )
        self.to_var = variance_head(width, self.n_features)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.to_stats(self.encoder(x)).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.generator[:-2](z)  # (B, width): what the mean's Linear -> Sigmoid reads
        return self.generator[-2:](hidden), self.variance(self.to_var(hidden))
