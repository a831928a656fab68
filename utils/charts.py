"""Charts drawn with matplotlib: the loss curves of a run and of a sweep, the latent space.

matplotlib is imported here and in utils/feature_plots.py only, so a command that draws no chart
(`generate`) does not pay for it.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from utils.io import atomic_write


def save_figure(fig: Figure, path: Path) -> None:
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", facecolor=fig.get_facecolor()))
    plt.close(fig)


def save_loss_plot(path: Path, histories: dict[str, dict[str, list[float]]]) -> None:
    """Total, recons, KLD (log scale) and β per epoch; one line per run name.

    Total and recons are on a linear scale: the Gaussian negative log-likelihood is negative once
    the decoder is more precise than one unit of the [0, 1] scale.
    """
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.2), dpi=80)
    for name, history in histories.items():
        epochs = np.arange(1, len(history["total"]) + 1)
        for ax, key in zip(axes, ["total", "recons", "kld", "beta"], strict=True):
            ax.plot(epochs, history[key], label=name)
            ax.set_title(key)
            ax.set_xlabel("epoch")
    axes[2].set_yscale("log")
    if len(histories) > 1:
        axes[0].legend()
    fig.tight_layout()
    save_figure(fig, path)


def save_overlaid_losses(path: Path, histories: dict[str, dict[str, list[float]]]) -> None:
    """Total loss per epoch of many runs in one panel; runs named "group · seed s" share their group's color."""
    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=80)
    colors: dict[str, str] = {}
    for name, history in histories.items():
        group = name.split(" · ")[0]
        color = colors.setdefault(group, f"C{len(colors) % 10}")
        epochs = np.arange(1, len(history["total"]) + 1)
        ax.plot(
            epochs,
            history["total"],
            color=color,
            linewidth=1,
            label=group if group not in ax.get_legend_handles_labels()[1] else None,
        )
    ax.set_xlabel("epoch")
    ax.set_ylabel("total loss")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def project_2d(latents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 2) coordinates of (N, D) latents and the (D, 2) map: the latents themselves for D <= 2,
    else their first two principal components (the map projects prior samples the same way)."""
    d = latents.shape[1]
    if d <= 2:
        basis = np.eye(d, 2)
    else:
        centred = latents - latents.mean(0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        basis = vt[:2].T  # (D, 2)
    return latents @ basis, basis


def save_latent_plot(path: Path, latents: np.ndarray, colors: np.ndarray, prior: np.ndarray, title: str) -> None:
    """Posterior means of the training points in 2-D, colored by each point's color, prior samples over them."""
    xy, basis = project_2d(latents)
    prior_xy = prior @ basis
    fig, ax = plt.subplots(figsize=(5.2, 5.2), dpi=80, facecolor="black")
    ax.set_facecolor("black")
    ax.scatter(xy[:, 0], xy[:, 1], c=np.clip(colors / 255.0, 0, 1), s=3, linewidths=0, label="posterior means")
    ax.scatter(prior_xy[:, 0], prior_xy[:, 1], c="white", s=0.6, alpha=0.45, linewidths=0, label="prior samples")
    ax.set_title(title, color="white", fontsize=8, wrap=True)
    ax.tick_params(colors="grey", labelsize=7)
    legend = ax.legend(loc="lower right", fontsize=7, facecolor="black", markerscale=4)
    for text in legend.get_texts():
        text.set_color("white")
    fig.tight_layout()
    save_figure(fig, path)
