"""Models: the registry, the shared VAE maths, and the checkpoint-only generator."""

from models.generator import colored_pi_generator, restore_model, sample_points
from models.registry import MODELS, build_model
from models.vae import VAE, LossTerms

__all__ = ["MODELS", "VAE", "LossTerms", "build_model", "colored_pi_generator", "restore_model", "sample_points"]
