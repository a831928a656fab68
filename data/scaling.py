"""The one place that maps points between data units and model space.

Data units: x (image row) and y (column) in pixels 0..H-1 / 0..W-1, r, g, b in 0..255.
Model space: every feature in [0, 1], which matches the generator's final Sigmoid. Colors map to
[m, 1 - m] with a margin m: a saturated channel (pure white text, a clipped highlight) sits at the
end of its range, and the decoder's mean must be able to reach and pass it, which a Sigmoid
cannot do at 0 or 1 (models/vae.py treats values at the ends as censored).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COLOR_MARGIN = 0.05  # of model space at each end of a color channel: 14 levels of 0..255 beyond the data


@dataclass(frozen=True)
class Scaler:
    """Affine map per feature: data [low, high] -> model [margin, 1 - margin]."""

    low: tuple[float, ...]
    high: tuple[float, ...]
    margin: tuple[float, ...]

    @classmethod
    def for_image(cls, height: int, width: int) -> Scaler:
        m = COLOR_MARGIN
        return cls(low=(0.0,) * 5, high=(height - 1.0, width - 1.0, 255.0, 255.0, 255.0), margin=(0.0, 0.0, m, m, m))

    @property
    def n_features(self) -> int:
        return len(self.low)

    @property
    def image_shape(self) -> tuple[int, int]:
        """(height, width) of the image the points live on."""
        return int(self.high[0]) + 1, int(self.high[1]) + 1

    def _affine(self) -> tuple[np.ndarray, np.ndarray]:
        """(scale, offset) with model = data * scale + offset."""
        low, high, margin = np.asarray(self.low), np.asarray(self.high), np.asarray(self.margin)
        scale = (1 - 2 * margin) / (high - low)
        return scale, margin - low * scale

    def bounds(self) -> tuple[list[float], list[float]]:
        """Model-space images of the data's ends, per feature: ([margin], [1 - margin])."""
        return list(self.margin), [1 - m for m in self.margin]

    def quantum(self) -> list[float]:
        """Per feature, the variance of rounding to the integer grid (1/12 of a data unit squared), in model space."""
        scale, _ = self._affine()
        return [float(s) ** 2 / 12.0 for s in scale]

    def to_model(self, points: np.ndarray) -> np.ndarray:
        """(N, F) data units -> (N, F) float32 in model space."""
        assert points.shape[-1] == self.n_features, f"expected {self.n_features} features, got {points.shape}"
        scale, offset = self._affine()
        return np.asarray(points * scale + offset, dtype=np.float32)

    def to_data(self, points: np.ndarray) -> np.ndarray:
        """(N, F) model space -> (N, F) float32 data units (the inverse of `to_model`), clipped to the data's range."""
        assert points.shape[-1] == self.n_features, f"expected {self.n_features} features, got {points.shape}"
        scale, offset = self._affine()
        return np.asarray(np.clip((points - offset) / scale, self.low, self.high), dtype=np.float32)

    def to_dict(self) -> dict[str, list[float]]:
        return {"low": list(self.low), "high": list(self.high), "margin": list(self.margin)}

    @classmethod
    def from_dict(cls, values: dict[str, list[float]]) -> Scaler:
        return cls(low=tuple(values["low"]), high=tuple(values["high"]), margin=tuple(values["margin"]))


def round_to_grid(points: np.ndarray, scaler: Scaler) -> np.ndarray:
    """Snap data-unit points onto the pixel grid and 8-bit colors, as an image of them would be."""
    return np.asarray(np.clip(np.rint(points), scaler.low, scaler.high), dtype=np.float32)
