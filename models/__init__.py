"""Models: the registry, the shared VAE maths, the mixture baseline, and the checkpoint-only generator."""

from models.registry import MODEL_KEYS, MODELS, build_model, check_model_name
from models.trained import Trained, colored_pi_generator, load_trained, restore_model, sample_points, stream_points
from models.vae import VAE, LossTerms

__all__ = [
    "MODELS",
    "MODEL_KEYS",
    "VAE",
    "LossTerms",
    "Trained",
    "build_model",
    "check_model_name",
    "colored_pi_generator",
    "load_trained",
    "restore_model",
    "sample_points",
    "stream_points",
]
