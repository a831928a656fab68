"""Models by name. `build_model` is the only place that turns a Config into a model."""

from __future__ import annotations

import torch

from models.transformer_vae import TransformerVAE
from models.vae import VAE
from models.vanilla_vae import VanillaVAE
from utils.config import Config

MODELS: dict[str, type[VAE]] = {
    "transformer_vae": TransformerVAE,
    "vanilla_vae": VanillaVAE,
}


def build_model(cfg: Config, n_features: int) -> VAE:
    """A fresh model whose initial weights depend only on the config (seeded from cfg.seed)."""
    torch.manual_seed(cfg.seed)
    return MODELS[cfg.model](
        n_features=n_features,
        latent_dim=cfg.latent_dim,
        hidden_dim=cfg.hidden_dim,
        num_head=cfg.num_head,
        prior_components=cfg.prior_components if cfg.prior == "gmm" else 0,
        output_noise=cfg.output_noise,
    )
