"""Models: the registry, the shared VAE maths, the mixture baseline, and the checkpoint-only generator."""

from models.generator import colored_pi_generator, restore_model, sample_points, stream_points
from models.registry import MODELS, build_model, check_model_name
from models.vae import VAE, LossTerms

__all__ = [
    "MODELS",
    "VAE",
    "LossTerms",
    "build_model",
    "check_model_name",
    "colored_pi_generator",
    "restore_model",
    "sample_points",
    "stream_points",
]
