"""A painting: every pixel the mean color of the points on it, the rest background; its figures at real points."""

from __future__ import annotations

import numpy as np
import pytest

from utils.painting import Painting, color_figures, paint


def test_points_paint_their_pixels_with_their_mean_color():
    """Three points on one pixel (their mean color), one on another, points rounded to the nearest pixel and
    clipped into the frame; every other pixel is the background."""
    points = np.array(
        [
            [1.0, 2.0, 10, 20, 30],
            [1.2, 1.9, 20, 40, 60],  # rounds to (1, 2) as well
            [0.8, 2.4, 30, 60, 90],
            [3.0, 0.0, 255, 0, 0],
            [9.0, -4.0, 0, 255, 0],  # outside the 4 x 5 frame: clipped onto its corner (3, 0)
        ],
        dtype=np.float32,
    )
    image = paint(points, (4, 5), (7, 8, 9))
    assert image.shape == (4, 5, 3)
    assert image.dtype == np.uint8
    assert image[1, 2].tolist() == [20, 40, 60]
    assert image[3, 0].tolist() == [128, 128, 0]  # (255, 0, 0) and (0, 255, 0), rounded half to even
    painted = np.zeros((4, 5), dtype=bool)
    painted[1, 2] = painted[3, 0] = True
    assert (image[~painted] == (7, 8, 9)).all()


def test_a_painting_streamed_in_chunks_is_the_same_painting():
    rng = np.random.default_rng(0)
    points = np.column_stack([rng.uniform(0, 29, 5000), rng.uniform(0, 39, 5000), rng.uniform(0, 255, (5000, 3))])
    whole = Painting((30, 40)).add(points)
    chunked = Painting((30, 40))
    for part in np.array_split(points, 7):
        chunked.add(part)
    np.testing.assert_allclose(chunked.sums, whole.sums)
    np.testing.assert_array_equal(chunked.image((0, 0, 0)), whole.image((0, 0, 0)))
    assert chunked.sums.nbytes + chunked.counts.nbytes == 30 * 40 * 4 * 8  # set by the picture, not the points


def test_color_figures_read_the_painting_at_real_points():
    painting = Painting((10, 10)).add(np.array([[2, 3, 100, 100, 100], [5, 5, 0, 0, 0]], dtype=float))
    real = np.array([[2, 3, 110, 90, 100], [5, 5, 30, 0, 0], [8, 8, 50, 50, 50], [0, 0, 1, 2, 3]], dtype=float)
    figures = color_figures(painting, real)
    assert figures["painted"] == pytest.approx(0.5)  # two of the four real pixels are painted
    assert figures["color_error"] == pytest.approx((10 + 10 + 0 + 30 + 0 + 0) / 6)
