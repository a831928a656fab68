"""The baseline every figure is read against: a Gaussian mixture fitted directly on the 5-D points.

128 full-covariance components, fitted in model space by scikit-learn's GaussianMixture (k-means
start, EM): a strong density model, fitted in seconds, for low-dimensional data, and what a VAE has to
beat to be worth its training time. It sees the same training points as the model.

The fit runs on one thread: scikit-learn's k-means start depends on its OpenMP thread count (a Dask
worker, which runs one, fitted another mixture than a laptop with two), and on a few thousand points
of 5 features one thread is faster (2.7 s against 4.4 s with two, on 5000 points of the built-in π).
"""

from __future__ import annotations

import numpy as np
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from data.scaling import Scaler

COMPONENTS = 128


class MixtureBaseline:
    """fit(train points) then sample(n, seed), both in data units."""

    def __init__(self, scaler: Scaler, components: int = COMPONENTS):
        self.scaler = scaler
        self.components = components
        self.mixture: GaussianMixture | None = None

    def fit(self, points: np.ndarray, seed: int) -> MixtureBaseline:
        """Fit on (N, F) points in data units: COMPONENTS components, or N // 2 where there are fewer points."""
        self.components = min(self.components, len(points) // 2)
        self.mixture = GaussianMixture(self.components, covariance_type="full", random_state=seed)
        with threadpool_limits(limits=1):
            self.mixture.fit(self.scaler.to_model(points).astype(np.float64))
        return self

    def sample(self, n: int, seed: int) -> np.ndarray:
        """(n, F) float32 points in data units (clipped to the data's range by the scaler)."""
        assert self.mixture is not None, "fit the baseline first"
        self.mixture.random_state = seed
        drawn, _ = self.mixture.sample(n)  # sorted by component: shuffle so that any prefix is a fair sample
        drawn = drawn[np.random.default_rng(seed).permutation(n)]
        return self.scaler.to_data(drawn)
