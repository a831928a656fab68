"""A painting of points: every pixel of the picture's frame the mean color of the points that land on it.

Scattered points show a few thousand dots; painted, many points show what a model learned of a
picture: where its points fall (the density of positions) and, at each pixel, the mean color of the
points that land there (the conditional mean E[rgb | position]). A pixel that no point reaches keeps
the background. The painting is streamed, points added chunk by chunk into one running sum of colors
and one count per pixel, so its memory is set by the picture's size, not by the number of points.

    painting = Painting((height, width))
    for chunk in chunks:                    # (n, 5) points in data units: row, column, r, g, b
        painting.add(chunk)
    image = painting.image(background)      # (height, width, 3) uint8

`color_figures` reads a painting at real points that trained nothing: how far its colors are from
theirs, and how many of their pixels it reaches.
"""

from __future__ import annotations

import numpy as np


class Painting:
    """Running per-pixel sums of the colors of the points added, and their counts."""

    def __init__(self, shape: tuple[int, int]):
        self.shape = shape
        pixels = shape[0] * shape[1]
        self.sums = np.zeros((3, pixels))  # (3, H·W): r, g, b summed over the points on each pixel
        self.counts = np.zeros(pixels)  # (H·W,)

    def pixel_index(self, points: np.ndarray) -> np.ndarray:
        """(n,) flat index of the pixel each point (n, ≥2) rounds to, clipped into the frame."""
        height, width = self.shape
        rows = np.clip(np.rint(points[:, 0]), 0, height - 1).astype(np.intp)
        cols = np.clip(np.rint(points[:, 1]), 0, width - 1).astype(np.intp)
        index: np.ndarray = rows * width + cols
        return index

    def add(self, points: np.ndarray) -> Painting:
        """Add (n, 5) points in data units; returns self."""
        index, size = self.pixel_index(points), self.counts.size
        self.counts += np.bincount(index, minlength=size)
        for channel in range(3):
            self.sums[channel] += np.bincount(index, weights=points[:, 2 + channel], minlength=size)
        return self

    def mean_colors(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean color (H·W, 3) in 0..255, 0 where unpainted; painted (H·W,) bool)."""
        painted = self.counts > 0
        mean = np.zeros((self.counts.size, 3))
        mean[painted] = (self.sums[:, painted] / self.counts[painted]).T
        return mean, painted

    def image(self, background: tuple[int, int, int]) -> np.ndarray:
        """(H, W, 3) uint8: each painted pixel its mean color, the others `background`."""
        mean, painted = self.mean_colors()
        image = np.empty_like(mean, dtype=np.uint8)
        image[:] = background
        image[painted] = np.clip(np.rint(mean[painted]), 0, 255).astype(np.uint8)
        return image.reshape(*self.shape, 3)


def paint(points: np.ndarray, shape: tuple[int, int], background: tuple[int, int, int]) -> np.ndarray:
    """(H, W, 3) uint8 painting of one array of points (n, 5) in data units."""
    return Painting(shape).add(points).image(background)


def color_figures(painting: Painting, real: np.ndarray) -> dict[str, float]:
    """How the painting reads at the pixels of real points (n, 5) that trained nothing:

    color_error  mean |painted color - real color| over the points whose pixel is painted and over
                 r, g, b, in color levels (NaN where none is painted)
    painted      the share of the real points whose pixel is painted
    """
    mean, painted = painting.mean_colors()
    index = painting.pixel_index(real)
    reached = painted[index]
    error = np.abs(mean[index[reached]] - real[reached, 2:5]).mean() if reached.any() else float("nan")
    return {"color_error": float(error), "painted": float(reached.mean()) if len(real) else float("nan")}
