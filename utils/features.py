"""The features one at a time: how each of x, y, r, g, b is distributed, and how the colors follow the position.

A two-sample test says whether generated points differ from real ones; these say where. Both work
in data units (pixels, color levels), on real (test) points and a set of candidates:

    marginal_distances  per feature: the Kolmogorov-Smirnov statistic (the largest gap between the two
                        cumulative distributions, 0..1) and the 1-D Wasserstein-1 distance (the mean
                        shift of mass, in the feature's own units)
    color_profile       the mean and the spread (std) of r, g and b in BINS bands of rows and of
                        columns: how the colors follow the position
    profile_error       the mean |difference| of two profiles' band means, weighted by the real
                        points in each band, in color levels: 0 when the colors follow the position
                        as the real ones do
"""

from __future__ import annotations

import numpy as np

FEATURES = ("x", "y", "r", "g", "b")  # a point's columns: row, column (pixels), then its color (0..255)
BINS = 24  # bands of rows (and of columns) in a color profile


def marginal_distances(real: np.ndarray, fake: np.ndarray) -> dict[str, dict[str, float]]:
    """{feature: {"ks": ..., "w1": ...}} for (N, 5) and (M, 5) points in data units (scipy.stats)."""
    from scipy import stats  # here, not above: a module that only needs FEATURES (generate) skips its import

    return {
        name: {
            "ks": float(stats.ks_2samp(real[:, k], fake[:, k], method="asymp").statistic),
            "w1": float(stats.wasserstein_distance(real[:, k], fake[:, k])),
        }
        for k, name in enumerate(FEATURES)
    }


def color_profile(points: np.ndarray, shape: tuple[int, int], bins: int = BINS) -> dict[str, np.ndarray]:
    """Per band of rows ("rows") and of columns ("cols"): counts (bins,), mean and std of r, g, b (bins, 3).

    Bands without points have mean and std NaN. `shape` is the picture's (height, width).
    """
    out: dict[str, np.ndarray] = {}
    for axis, name in ((0, "rows"), (1, "cols")):
        band = np.clip((points[:, axis] * bins / shape[axis]).astype(int), 0, bins - 1)
        counts = np.bincount(band, minlength=bins).astype(float)
        colors = points[:, 2:5].astype(float)
        sums = np.stack([np.bincount(band, colors[:, c], minlength=bins) for c in range(3)], axis=1)
        squares = np.stack([np.bincount(band, colors[:, c] ** 2, minlength=bins) for c in range(3)], axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = sums / counts[:, None]
            std = np.sqrt(np.maximum(squares / counts[:, None] - mean**2, 0.0))
        out[f"{name}_count"], out[f"{name}_mean"], out[f"{name}_std"] = counts, mean, std
    return out


def profile_error(real: dict[str, np.ndarray], fake: dict[str, np.ndarray]) -> dict[str, float]:
    """{"rows": ..., "cols": ...}: mean |band mean of fake - of real| over bands and r, g, b, weighted by
    the real points per band, in color levels (a band the fake points leave empty counts its real mean)."""
    errors = {}
    for name in ("rows", "cols"):
        weight = real[f"{name}_count"]
        gap = np.abs(np.nan_to_num(fake[f"{name}_mean"], nan=0.0) - np.nan_to_num(real[f"{name}_mean"], nan=0.0))
        errors[name] = float((gap.mean(axis=1) * weight).sum() / max(weight.sum(), 1.0))
    return errors
