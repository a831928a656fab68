"""A built-in colored π, so that a fresh clone without the quiz files still trains and tests."""

from __future__ import annotations

import numpy as np


def _glyph_mask(size: int) -> np.ndarray:
    """(size, size) bool mask of a bold π rendered with matplotlib's bundled DejaVu font."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1, 1), dpi=size, facecolor="black")
    canvas = FigureCanvasAgg(fig)
    fig.text(
        0.5,
        0.47,
        "π",
        color="white",
        fontsize=110,  # points; the figure is 1 inch = size pixels fontweight="bold",
        ha="center",
        va="center",
        family="DejaVu Sans",
    )
    canvas.draw()
    grey = np.asarray(canvas.buffer_rgba())[:, :, 0]
    assert grey.shape == (size, size), f"rendered glyph has shape {grey.shape}, expected ({size}, {size})"
    return grey > 127


def synthetic_pi(n_points: int = 5000, size: int = 300, seed: int = 0) -> tuple[np.ndarray, tuple[int, int]]:
    """Return (points, (size, size)) like `load_quiz`: n_points distinct pixels of a π glyph.

    Colors follow a smooth purple-to-cyan gradient over the image, plus per-pixel noise,
    as in the quiz image.
    """
    rng = np.random.default_rng(seed)
    rows, cols = np.nonzero(_glyph_mask(size))
    assert len(rows) >= n_points, f"the glyph has {len(rows)} pixels, fewer than n_points={n_points}"
    pick = rng.choice(len(rows), size=n_points, replace=False)
    xs, ys = rows[pick], cols[pick]
    u, v = xs / (size - 1), ys / (size - 1)  # row, column in [0, 1]
    r = 120 + 80 * u - 70 * v
    g = 60 + 150 * (1 - u) * v + 40 * (1 - u)
    b = 200 + 40 * v - 30 * u
    colors = np.column_stack([r, g, b]) + rng.normal(0, 12, size=(n_points, 3))
    colors = np.clip(np.rint(colors), 0, 255)
    points = np.column_stack([xs, ys, colors]).astype(np.float32)
    return points, (size, size)
