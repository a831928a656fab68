"""The one place that maps points between data units and model space.

Data units: x (image row) and y (column) in pixels 0..H-1 / 0..W-1, r, g, b in 0..255.
Model space: every feature in [0, 1], which matches the generator's final Sigmoid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FEATURES = ("x", "y", "r", "g", "b")


@dataclass(frozen=True)
class Scaler:
    """Affine map feature -> (feature - low) / (high - low); `high` and `low` are per feature."""

    low: tuple[float, ...]
    high: tuple[float, ...]

    @classmethod
    def for_image(cls, height: int, width: int) -> Scaler:
        return cls(low=(0.0,) * len(FEATURES), high=(height - 1.0, width - 1.0, 255.0, 255.0, 255.0))

    @property
    def n_features(self) -> int:
        return len(self.low)

    @property
    def image_shape(self) -> tuple[int, int]:
        """(height, width) of the image the points live on."""
        return int(self.high[0]) + 1, int(self.high[1]) + 1

    def to_model(self, points: np.ndarray) -> np.ndarray:
        """(N, F) data units -> (N, F) float32 in [0, 1]."""
        assert points.shape[-1] == self.n_features, f"expected {self.n_features} features, got {points.shape}"
        low, high = np.asarray(self.low), np.asarray(self.high)
        return ((points - low) / (high - low)).astype(np.float32)

    def to_data(self, points: np.ndarray) -> np.ndarray:
        """(N, F) model space -> (N, F) float32 data units (the inverse of `to_model`)."""
        assert points.shape[-1] == self.n_features, f"expected {self.n_features} features, got {points.shape}"
        low, high = np.asarray(self.low), np.asarray(self.high)
        return (points * (high - low) + low).astype(np.float32)

    def to_dict(self) -> dict[str, list[float]]:
        return {"low": list(self.low), "high": list(self.high)}

    @classmethod
    def from_dict(cls, values: dict[str, list[float]]) -> Scaler:
        return cls(low=tuple(values["low"]), high=tuple(values["high"]))


def round_to_grid(points: np.ndarray, scaler: Scaler) -> np.ndarray:
    """Snap data-unit points onto the pixel grid and 8-bit colors, as an image of them would be."""
    high = np.asarray(scaler.high)
    return np.clip(np.rint(points), 0, high).astype(np.float32)
