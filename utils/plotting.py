"""Pictures: per-epoch frames, the GIF, loss curves and the comparison grid.

Points are drawn as the data is: scatter(y, x) with the y axis inverted, on black, so π stands
upright and each point has its own color.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import imageio.v3 as iio
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from utils.checkpoint import atomic_write


def draw_points(ax: Axes, points: np.ndarray, image_shape: tuple[int, int], title: str = "") -> None:
    """Scatter (N, F) data-unit points on `ax`: column right, row down, colored by their r, g, b."""
    height, width = image_shape
    colors = np.clip(points[:, 2:5] / 255.0, 0.0, 1.0)
    ax.set_facecolor("black")
    ax.scatter(points[:, 1], points[:, 0], c=colors, s=1.0, marker="s", linewidths=0)
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(height - 0.5, -0.5)  # inverted: row 0 at the top, like the image
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, color="white", fontsize=9)


def _save(fig: plt.Figure, path: Path) -> None:
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", facecolor=fig.get_facecolor()))
    plt.close(fig)


def save_frame(path: Path, points: np.ndarray, image_shape: tuple[int, int], title: str) -> None:
    fig, ax = plt.subplots(figsize=(4, 4.25), dpi=80, facecolor="black")
    draw_points(ax, points, image_shape, title)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.93)
    _save(fig, path)


def save_gif(path: Path, frames: Sequence[Path], seconds_per_frame: float = 0.25) -> None:
    """Assemble PNG frames (all the same size) into a looping GIF."""
    images = [iio.imread(frame)[:, :, :3] for frame in frames]
    assert images, "no frames to put into the GIF"
    atomic_write(
        path,
        lambda tmp: iio.imwrite(
            tmp, np.stack(images), extension=".gif", duration=int(seconds_per_frame * 1000), loop=0
        ),
    )


def save_loss_plot(path: Path, histories: dict[str, dict[str, list[float]]]) -> None:
    """Total, recons and KLD (log scale) and β per epoch; one line per run name."""
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.2), dpi=80)
    for name, history in histories.items():
        epochs = np.arange(1, len(history["total"]) + 1)
        for ax, key in zip(axes, ["total", "recons", "kld", "beta"], strict=False):
            ax.plot(epochs, history[key], label=name)
            ax.set_title(key)
            ax.set_xlabel("epoch")
    for ax in axes[:3]:
        ax.set_yscale("log")
    if len(histories) > 1:
        axes[0].legend()
    fig.tight_layout()
    _save(fig, path)


def save_grid(path: Path, rows: dict[str, dict[int, np.ndarray]], image_shape: tuple[int, int]) -> None:
    """One row per model, one column per epoch: rows[name][epoch] = points."""
    columns = sorted({epoch for snaps in rows.values() for epoch in snaps})
    fig, axes = plt.subplots(
        len(rows), len(columns), figsize=(2.4 * len(columns), 2.6 * len(rows)), dpi=80, facecolor="black", squeeze=False
    )
    for r, (name, snaps) in enumerate(rows.items()):
        for c, epoch in enumerate(columns):
            ax = axes[r][c]
            if epoch in snaps:
                draw_points(ax, snaps[epoch], image_shape, f"{name} · epoch {epoch}")
            else:
                ax.set_axis_off()
    fig.tight_layout()
    _save(fig, path)
