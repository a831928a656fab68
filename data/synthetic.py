"""A built-in colored π picture, so that a fresh clone without the quiz files still trains and tests."""

from __future__ import annotations

import numpy as np

from data.picture import Population

COLOR_NOISE = 12.0  # std of the per-pixel color noise, 0..255 units


def glyph_mask(text: str, height: int, width: int, fontsize: float, y: float = 0.5) -> np.ndarray:
    """(height, width) bool mask of `text` in bold DejaVu Sans (bundled with matplotlib), centred."""
    # imported here: only the built-in π and the test pictures draw a glyph (`generate` does not)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width / 100, height / 100), dpi=100, facecolor="black")
    canvas = FigureCanvasAgg(fig)
    # fontsize is in points: 1 point is 100/72 pixels at dpi 100
    fig.text(
        0.5,
        y,
        text,
        color="white",
        fontsize=fontsize,
        fontweight="bold",
        ha="center",
        va="center",
        family="DejaVu Sans",
    )
    canvas.draw()  # type: ignore[no-untyped-call]  # matplotlib's Agg canvas has no annotations
    grey = np.asarray(canvas.buffer_rgba())[:, :, 0]  # type: ignore[no-untyped-call]  # (same)
    assert grey.shape == (height, width), f"rendered glyph has shape {grey.shape}, expected {(height, width)}"
    return grey > 127


def synthetic_pi(size: int = 300) -> Population:
    """Every pixel of a bold π (about 32,000 at size 300), colored like the quiz image.

    Colors follow a smooth purple-to-cyan gradient over the picture, plus per-pixel noise that is
    drawn once (seed 0): the picture is fixed, and a run's seed only chooses which pixels it draws.
    """
    mask = glyph_mask("π", size, size, fontsize=260 * size / 300, y=0.49)
    rows, cols = np.nonzero(mask)
    u, v = rows / (size - 1), cols / (size - 1)  # row, column in [0, 1]
    r = 120 + 80 * u - 70 * v
    g = 60 + 150 * (1 - u) * v + 40 * (1 - u)
    b = 200 + 40 * v - 30 * u
    noise = np.random.default_rng(0).normal(0, COLOR_NOISE, size=(len(rows), 3))
    colors = np.clip(np.rint(np.column_stack([r, g, b]) + noise), 0, 255)
    points = np.column_stack([rows, cols, colors]).astype(np.float32)
    return Population(points=points, shape=(size, size), name="built-in π")
