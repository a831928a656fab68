"""The transformer VAE: each of the F features of a point is one token.

A point is only F numbers, with no natural sequence; each feature as a token (its value times a learned
per-feature vector, plus a per-feature bias: the feature's embedding) lets attention model how position
and color depend on each other. The generator maps the latent to F tokens and reads one value per token.

    encoder:   x (B, F) -> tokens (B, F, H) -> ReLU -> L x TransformerEncoderLayer -> flatten -> mu, logvar (B, D)
    generator: z (B, D) -> Linear -> (B, F, H) -> ReLU -> L x TransformerEncoderLayer -> Linear -> Sigmoid -> (B, F)

A second head beside the mean's reads the generator's tokens: the variance of each feature, (B, F).
The layers are nn.TransformerEncoderLayer modules (parameters, initialisation, state_dict); training and
sampling evaluate them token-major, (F, B, H), with models/transformer_layer.py (RESULTS.md, "Speed").
"""

from __future__ import annotations

import torch
from torch import nn

from data.scaling import Scaler
from models.transformer_layer import encoder_layers
from models.vae import VAE, variance_head
from utils.config import Config


class FeatureTokens(nn.Module):
    """Linear map of each scalar feature to its own H-dim token, token-major: (B, F) -> (F, B, H)."""

    def __init__(self, n_features: int, hidden_dim: int):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_features, hidden_dim) / hidden_dim**0.5)
        self.bias = nn.Parameter(torch.randn(n_features, hidden_dim) * 0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.T[:, :, None] * self.weight[:, None] + self.bias[:, None]


def _attention_layers(hidden_dim: int, num_head: int, num_layers: int) -> nn.Sequential:
    # dim_feedforward is set explicitly: PyTorch's default of 2048 would make each step ~30x slower
    return nn.Sequential(
        *[
            nn.TransformerEncoderLayer(
                d_model=hidden_dim,
                nhead=num_head,
                dim_feedforward=2 * hidden_dim,
                dropout=0.0,
                batch_first=True,
                norm_first=True,
            )
            for _ in range(num_layers)
        ]
    )


class TransformerVAE(VAE):
    def __init__(self, cfg: Config, scaler: Scaler):
        super().__init__(cfg, scaler)
        f, h, heads, layers, latent_dim = self.n_features, cfg.hidden_dim, cfg.num_head, cfg.num_layers, cfg.latent_dim
        assert h % heads == 0, f"hidden_dim {h} not divisible by num_head {heads}"
        self.hidden_dim = h
        # encoder
        self.tokens = FeatureTokens(f, h)
        self.encoder = _attention_layers(h, heads, layers)
        self.to_stats = nn.Linear(f * h, 2 * latent_dim)
        # generator
        self.from_latent = nn.Linear(latent_dim, f * h)
        self.generator = _attention_layers(h, heads, layers)
        self.to_value = nn.Linear(h, 1)
        self.to_var = variance_head(h)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        t = encoder_layers(self.encoder, torch.relu(self.tokens(x)))  # (F, B, H)
        mu, logvar = self.to_stats(t.transpose(0, 1).reshape(len(x), -1)).chunk(2, dim=1)  # (B, D) each
        return mu, logvar

    def decode(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        t = torch.relu(self.from_latent(z)).view(-1, self.n_features, self.hidden_dim)  # (B, F, H)
        t = encoder_layers(self.generator, t.transpose(0, 1).contiguous())  # (F, B, H)
        mean = torch.sigmoid(self.to_value(t).squeeze(-1).T)  # (B, F)
        return mean, self.variance(self.to_var(t).squeeze(-1).T)
