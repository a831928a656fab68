"""The transformer VAE: each of the F features of a point is one token.

Why features as tokens: a point is only F numbers, so there is no natural sequence; making each
feature a token (its value times a learned per-feature vector, plus a per-feature bias that acts
as the feature's embedding) lets self-attention model how position and color depend on each
other, which is the structure of a colored picture. The generator mirrors this: the latent is
mapped to F tokens, attention mixes them, and a shared head reads one value per token.

    encoder:   x (B, F) -> tokens (B, F, H) -> ReLU -> L x TransformerEncoderLayer -> flatten -> mu, logvar (B, D)
    generator: z (B, D) -> Linear -> (B, F, H) -> ReLU -> L x TransformerEncoderLayer -> Linear -> Sigmoid -> (B, F)

With the learned likelihood (models/likelihood.py) a second head reads the generator's tokens beside
the first: Linear -> the variance of each feature, (B, F).

The layers are nn.TransformerEncoderLayer modules (their parameters, their initialisation, their
state_dict); they are evaluated token-major, (F, B, H), by models/attention.py's `encoder_layer`, the
same maths in about half the time for F = 5 tokens.
"""

from __future__ import annotations

import torch
from torch import nn

from data.scaling import Scaler
from models.attention import encoder_layers
from models.batch_last import BatchLastDecoder
from models.vae import VAE, Decoded, variance_head


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
        super().__init__(scaler, latent_dim, prior_components, likelihood, output_noise, noise_covariance)
        assert hidden_dim % num_head == 0, f"hidden_dim {hidden_dim} not divisible by num_head {num_head}"
        f, h = self.n_features, hidden_dim
        self.hidden_dim = h
        # encoder
        self.tokens = FeatureTokens(f, h)
        self.encoder = _attention_layers(h, num_head, num_layers)
        self.to_stats = nn.Linear(f * h, 2 * latent_dim)
        # generator
        self.from_latent = nn.Linear(latent_dim, f * h)
        self.generator = _attention_layers(h, num_head, num_layers)
        self.to_value = nn.Linear(h, 1)
        self.to_var = variance_head(h) if likelihood == "learned" else None

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        t = encoder_layers(self.encoder, torch.relu(self.tokens(x)))  # (F, B, H)
        mu, logvar = self.to_stats(t.transpose(0, 1).reshape(len(x), -1)).chunk(2, dim=1)  # (B, D) each
        return mu, logvar

    def decode_stats(self, z: torch.Tensor) -> Decoded:
        t = torch.relu(self.from_latent(z)).view(-1, self.n_features, self.hidden_dim)  # (B, F, H)
        t = encoder_layers(self.generator, t.transpose(0, 1).contiguous())  # (F, B, H)
        mean = torch.sigmoid(self.to_value(t).squeeze(-1).T)  # (B, F)
        return mean, None if self.to_var is None else self.variance(self.to_var(t).squeeze(-1).T)

    def sampling_decoder(self) -> BatchLastDecoder:
        """`decode_stats` for drawing many points: the same maths laid out batch-last (models/batch_last.py)."""
        heads = (self.to_value, self.to_var)
        return BatchLastDecoder(self.from_latent, list(self.generator), heads, self.n_features, self.variance)
