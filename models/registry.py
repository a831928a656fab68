"""Models by name. `build_model` is the only place that turns a Config into a model."""

from __future__ import annotations

import torch

from data.scaling import Scaler
from models.transformer_vae import TransformerVAE
from models.vae import VAE
from models.vanilla_vae import VanillaVAE
from utils.config import Config
from utils.errors import UserError
from utils.suggest import did_you_mean

MODELS: dict[str, type[TransformerVAE] | type[VanillaVAE]] = {
    "transformer_vae": TransformerVAE,
    "vanilla_vae": VanillaVAE,
}
# the config keys that shape a model's weights and its sampling prior: a checkpoint resumes only with the same
MODEL_KEYS = ("model", "hidden_dim", "num_head", "num_layers", "latent_dim", "prior", "prior_components")


def check_model_name(name: str) -> None:
    """Raise a UserError naming the choices if `name` is not a registered model."""
    if name not in MODELS:
        hint = did_you_mean(name, MODELS)
        raise UserError(f"config key 'model' is {name!r}; {hint}choose one of {', '.join(MODELS)}.")


def build_model(cfg: Config, scaler: Scaler) -> VAE:
    """A fresh model for points scaled by `scaler`; initial weights depend only on the config (cfg.seed)."""
    check_model_name(cfg.model)
    torch.manual_seed(cfg.seed)
    return MODELS[cfg.model](cfg, scaler)
