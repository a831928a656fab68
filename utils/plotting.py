"""Pictures: per-epoch frames, the GIF, real beside generated, loss curves, the latent space, the grid.

Points are drawn as the picture they came from: each point paints its pixel (row x, column y) with
its own color on a canvas of the picture's size and background color, scaled up by a whole factor. So a frame
keeps the picture's aspect ratio, stands upright (row 0 at the top, as scatter(y, x) with an
inverted y axis would), and costs milliseconds, which matters at one frame per epoch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager
from matplotlib.figure import Figure
from PIL import Image, ImageDraw, ImageFont

from utils.io import atomic_write

MIN_SIDE = 320  # frames are scaled up until their long side reaches this many pixels
BLACK = (0, 0, 0)


@dataclass(frozen=True)
class Canvas:
    """What points are painted on: the picture's (height, width) and its background color."""

    shape: tuple[int, int]
    background: tuple[int, int, int] = BLACK


def title_font_size(width: int) -> int:
    """Title text in pixels for a frame `width` pixels wide: 1/28 of it (at least 13), so that it
    stays readable where the report shows a 600-pixel frame 360 pixels wide."""
    return max(13, width // 28)


def title_height(width: int) -> int:
    """Pixels of the title bar above a frame `width` pixels wide."""
    return round(1.7 * title_font_size(width))


def render(points: np.ndarray, canvas: Canvas) -> np.ndarray:
    """(H, W, 3) uint8 picture of (N, F) data-unit points: each paints its (rounded) pixel with its color."""
    height, width = canvas.shape
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = canvas.background
    rows = np.clip(np.rint(points[:, 0]), 0, height - 1).astype(np.intp)
    cols = np.clip(np.rint(points[:, 1]), 0, width - 1).astype(np.intp)
    image[rows, cols] = np.clip(np.rint(points[:, 2:5]), 0, 255).astype(np.uint8)
    return image


def _scale(image_shape: tuple[int, int]) -> int:
    return max(1, -(-MIN_SIDE // max(image_shape)))  # ceil(MIN_SIDE / long side)


def _titled(canvas: np.ndarray, title: str, scale: int) -> Image.Image:
    """The canvas scaled up by `scale` (nearest neighbour) under a title bar."""
    body = Image.fromarray(canvas).resize((canvas.shape[1] * scale, canvas.shape[0] * scale), Image.Resampling.NEAREST)
    bar = title_height(body.width)
    framed = Image.new("RGB", (body.width, body.height + bar), "black")
    framed.paste(body, (0, bar))
    draw = ImageDraw.Draw(framed)
    size = title_font_size(body.width)
    font = ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)  # matplotlib's own font: has π and β
    while len(title) > 4 and draw.textlength(title, font=font) > body.width - 8:
        title = title[:-2].rstrip(" ·") + "…"  # fit a long title into a narrow picture
    draw.text((4, round(0.25 * size)), title, fill="white", font=font)
    return framed


def _save_png(path: Path, image: Image.Image) -> None:
    # compression level 1: a frame is written in half the time of the default 6, 16 % larger
    atomic_write(path, lambda tmp: image.save(tmp, format="PNG", compress_level=1))


def save_frame(path: Path, points: np.ndarray, canvas: Canvas, title: str) -> None:
    """A PNG of the points as a picture, with a title bar."""
    _save_png(path, _titled(render(points, canvas), title, _scale(canvas.shape)))


def save_side_by_side(path: Path, panels: dict[str, np.ndarray], canvas: Canvas) -> None:
    """Point sets side by side on the same axes (same picture size), each under its title."""
    scale = _scale(canvas.shape)
    images = [_titled(render(points, canvas), title, scale) for title, points in panels.items()]
    gap = 6
    joined = Image.new("RGB", (sum(i.width for i in images) + gap * (len(images) - 1), images[0].height), (40, 40, 40))
    for k, image in enumerate(images):
        joined.paste(image, (k * (image.width + gap), 0))
    _save_png(path, joined)


def save_gif(path: Path, frames: Sequence[Path], seconds_per_frame: float = 0.15) -> None:
    """Assemble PNG frames (all the same size) into a looping GIF; the last frame is held 2 s.

    All frames share one 255-color palette (from the first, middle and last frame): quantising
    each frame on its own took 1.3 s for 60 frames, a shared palette 0.1 s, with no visible change.
    Frames are read and quantised one at a time as the GIF is written: 100 frames of 600x622 held
    as RGB at once took 110 MB.
    """
    assert frames, "no frames to put into the GIF"
    picks = [_rgb(frames[0]), _rgb(frames[len(frames) // 2]), _rgb(frames[-1])]
    sample = Image.new("RGB", (picks[0].width, picks[0].height * len(picks)))
    for k, image in enumerate(picks):
        sample.paste(image, (0, k * image.height))
    palette = sample.quantize(colors=255, method=Image.Quantize.MEDIANCUT)

    def indexed(frame: Path) -> Image.Image:
        return _rgb(frame).quantize(palette=palette, dither=Image.Dither.NONE)

    durations = [int(seconds_per_frame * 1000)] * (len(frames) - 1) + [2000]

    def write(tmp: str) -> None:
        rest = (indexed(frame) for frame in frames[1:])
        indexed(frames[0]).save(tmp, format="GIF", save_all=True, append_images=rest, duration=durations, loop=0)

    atomic_write(path, write)


def _rgb(frame: Path) -> Image.Image:
    with Image.open(frame) as image:
        return image.convert("RGB")


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


def save_frame_grid(path: Path, rows: dict[str, dict[int, Path]]) -> None:
    """Frames (PNG files) in a grid: one row per run name, one column per epoch; rows[name][epoch] = frame."""
    columns = sorted({epoch for frames in rows.values() for epoch in frames})
    first = Image.open(next(iter(next(iter(rows.values())).values())))
    aspect = first.height / first.width
    fig, axes = plt.subplots(
        len(rows),
        len(columns),
        figsize=(2.6 * len(columns), 2.6 * len(rows) * aspect + 0.3),
        dpi=100,
        facecolor="black",
        squeeze=False,
    )
    for r, (name, frames) in enumerate(rows.items()):
        for c, epoch in enumerate(columns):
            ax = axes[r][c]
            ax.set_axis_off()
            if epoch in frames:
                ax.imshow(np.asarray(Image.open(frames[epoch]).convert("RGB")), interpolation="lanczos")
                ax.set_title(f"{name} · epoch {epoch}", color="white", fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)
