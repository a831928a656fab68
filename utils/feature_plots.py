"""Pictures of the features one at a time (utils/features.py): what a user reads to answer "are the reds right?".

    features.png       the five marginals, x, y, r, g, b: real (test) points, generated, the mixture
    color_profile.png  how the colors follow the position: the mean of r, g and b, with the real
                       points' spread (± one std) shaded, in bands of rows and of columns

Each set is a line of its own color in every panel, so one look tells which feature or which part
of the picture a model gets wrong.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from utils import features
from utils.charts import save_figure

STYLES = {  # set name -> (color, line style)
    "real": ("black", "-"),
    "generated": ("tab:orange", "-"),
    "mixture": ("tab:blue", "--"),
}
LABELS = {"x": "x (row, px)", "y": "y (column, px)", "r": "red", "g": "green", "b": "blue"}


def _style(name: str) -> tuple[str, str]:
    return STYLES.get(name, ("tab:green", ":"))


def save_marginals(path: Path, sets: dict[str, np.ndarray], shape: tuple[int, int]) -> None:
    """One panel per feature: each set's histogram (density) as a step line. sets: {name: (N, 5) data units}."""
    fig, axes = plt.subplots(1, 5, figsize=(15, 2.9), dpi=80)
    highs = (shape[0] - 1, shape[1] - 1, 255, 255, 255)
    for k, (ax, name) in enumerate(zip(axes, features.FEATURES, strict=True)):
        edges = np.linspace(0, highs[k] + 1, min(highs[k] + 2, 49))
        for label, points in sets.items():
            color, line = _style(label)
            counts, _ = np.histogram(points[:, k], bins=edges, density=True)
            ax.stairs(counts, edges, color=color, linestyle=line, linewidth=1.3, label=label)
        ax.set_title(LABELS[name], fontsize=10)
        ax.set_yticks([])
    axes[0].legend(fontsize=8, loc="upper left")
    fig.suptitle("each feature's distribution", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)


def save_color_profile(path: Path, sets: dict[str, np.ndarray], shape: tuple[int, int]) -> None:
    """2 x 3 panels: along the rows (top row) and the columns (bottom), red, green, blue: each set's mean
    color per band; the real points' mean ± std shaded."""
    profiles = {label: features.color_profile(points, shape) for label, points in sets.items()}
    fig, axes = plt.subplots(2, 3, figsize=(13, 5.2), dpi=80, sharey=True)
    for r, (axis, length, where) in enumerate((("rows", shape[0], "row (top → bottom)"), ("cols", shape[1], "column"))):
        centres = (np.arange(features.BINS) + 0.5) * length / features.BINS
        for c, channel in enumerate(("red", "green", "blue")):
            ax = axes[r][c]
            for label, profile in profiles.items():
                color, line = _style(label)
                mean = profile[f"{axis}_mean"][:, c]
                if label == "real":
                    spread = profile[f"{axis}_std"][:, c]
                    ax.fill_between(centres, mean - spread, mean + spread, color="0.85", linewidth=0)
                ax.plot(centres, mean, color=color, linestyle=line, linewidth=1.4, label=label)
            ax.set_title(f"{channel} along the {where}", fontsize=10)
            ax.set_ylim(0, 255)
    axes[0][0].legend(fontsize=8, loc="best")
    fig.suptitle("how the colors follow the position: mean per band; shaded: the real points' mean ± std", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)
