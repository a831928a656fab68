"""Pictures of points: per-epoch frames, the GIF, point sets and paintings side by side (Pillow only).

Points are drawn as the picture they came from: each point paints its pixel (row x, column y) with
its own color on a canvas of the picture's size and background color, scaled up by a whole factor. So a frame
keeps the picture's aspect ratio, stands upright (row 0 at the top, as scatter(y, x) with an
inverted y axis would), and costs milliseconds, which matters at one frame per epoch.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from utils.io import atomic_write

MIN_SIDE = 256  # a picture smaller than this on its long side is scaled up by a whole factor until it is not
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


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    """DejaVu Sans, the font matplotlib ships (it has π and β), at `size` pixels, read once per size."""
    import matplotlib  # here, not above: importing it costs a command that draws no title 0.2 s

    return ImageFont.truetype(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf", size)


def _titled(canvas: np.ndarray, title: str, scale: int) -> Image.Image:
    """The canvas scaled up by `scale` (nearest neighbour) under a title bar."""
    body = Image.fromarray(canvas)
    if scale > 1:
        body = body.resize((canvas.shape[1] * scale, canvas.shape[0] * scale), Image.Resampling.NEAREST)
    bar = title_height(body.width)
    framed = Image.new("RGB", (body.width, body.height + bar), "black")
    framed.paste(body, (0, bar))
    draw = ImageDraw.Draw(framed)
    size = title_font_size(body.width)
    font = _font(size)
    while len(title) > 4 and draw.textlength(title, font=font) > body.width - 8:
        title = title[:-2].rstrip(" ·") + "…"  # fit a long title into a narrow picture
    draw.text((4, round(0.25 * size)), title, fill="white", font=font)
    return framed


def _save_png(path: Path, image: Image.Image, durable: bool = True) -> None:
    # compression level 1: a frame is written in half the time of the default 6, 16 % larger
    atomic_write(path, lambda tmp: image.save(tmp, format="PNG", compress_level=1), durable)


def save_png(path: Path, pixels: np.ndarray) -> None:
    """(H, W, 3) uint8 as a PNG of exactly that size, written atomically."""
    _save_png(path, Image.fromarray(pixels))


def save_frame(path: Path, points: np.ndarray, canvas: Canvas, title: str, durable: bool = True) -> None:
    """A PNG of the points as a picture, with a title bar; `durable`: flushed to the disk (utils/io.py)."""
    _save_png(path, _titled(render(points, canvas), title, _scale(canvas.shape)), durable)


def save_side_by_side(path: Path, panels: dict[str, np.ndarray], canvas: Canvas) -> None:
    """Point sets side by side on the same axes (same picture size), each under its title."""
    save_images(path, {title: render(points, canvas) for title, points in panels.items()})


def save_images(path: Path, images: dict[str, np.ndarray]) -> None:
    """(H, W, 3) uint8 pictures of one size side by side, each scaled up as a frame is and under its title."""
    first = next(iter(images.values()))
    scale = _scale(first.shape[:2])
    titled = [_titled(image, title, scale) for title, image in images.items()]
    gap = 6
    joined = Image.new("RGB", (sum(i.width for i in titled) + gap * (len(titled) - 1), titled[0].height), (40, 40, 40))
    for k, image in enumerate(titled):
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
