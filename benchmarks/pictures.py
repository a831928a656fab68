"""Test pictures the defaults were not tuned on, made by code so that anyone can remake them.

    python benchmarks/pictures.py [FOLDER]      writes amp.png, shapes.png, word.jpg (default: benchmarks/out)

Each is a bright shape on black, as a user's picture would be, and each differs from the quiz π:
    amp.png     a bold '&' (holes, curves), 240x400 (wide), colored by a hue wheel around the
                centre with noise (std 8): fast color changes, a few saturated values
    shapes.png  360x240 (tall): a ring, a triangle and a bar in flat, unrelated colors with noise
                (std 10): colors that jump at region borders
    word.jpg    'gen', 150x450 (a banner), a rainbow by column with little noise (std 4), saved as
                JPEG (quality 90): a third of the green values are saturated at 255, and JPEG halos
                around the strokes must stay out of the foreground (image_threshold)
"""

from __future__ import annotations

import colorsys
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from data.synthetic import glyph_mask

PICTURES = ("amp.png", "shapes.png", "word.jpg")


def _hsv(hue: np.ndarray, saturation: float, value: float) -> np.ndarray:
    """(H, W) hues in [0, 1) -> (H, W, 3) RGB in 0..255."""
    flat = np.array([colorsys.hsv_to_rgb(h, saturation, value) for h in hue.ravel()])
    return flat.reshape(*hue.shape, 3) * 255


def _finish(mask: np.ndarray, rgb: np.ndarray, noise: float, rng: np.random.Generator) -> Image.Image:
    """Noisy colors on the mask, black elsewhere."""
    colors = np.clip(np.rint(rgb + rng.normal(0, noise, rgb.shape)), 0, 255)
    colors[~mask] = 0
    return Image.fromarray(colors.astype(np.uint8))


def ampersand(rng: np.random.Generator) -> Image.Image:
    height, width = 240, 400
    mask = glyph_mask("&", height, width, fontsize=200)
    rows, cols = np.mgrid[0:height, 0:width]
    hue = (np.arctan2(rows - height / 2, cols - width / 2) / (2 * np.pi)) % 1.0
    return _finish(mask, _hsv(hue, 0.8, 0.95), 8.0, rng)


def shapes(rng: np.random.Generator) -> Image.Image:
    height, width = 360, 240
    canvas = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(canvas)
    draw.ellipse((20, 20, 220, 220), fill=(230, 80, 40))
    draw.ellipse((70, 70, 170, 170), fill=(0, 0, 0))  # the ring's hole
    draw.polygon([(120, 200), (30, 340), (210, 340)], fill=(40, 200, 90))
    draw.rectangle((100, 110, 140, 130), fill=(60, 90, 230))
    rgb = np.asarray(canvas).astype(float)
    return _finish(rgb.max(axis=2) > 0, rgb, 10.0, rng)


def word(rng: np.random.Generator) -> Image.Image:
    height, width = 150, 450
    mask = glyph_mask("gen", height, width, fontsize=110)
    hue = np.broadcast_to(np.linspace(0.0, 0.8, width), (height, width))
    return _finish(mask, _hsv(hue, 0.9, 1.0), 4.0, rng)


def make_pictures(folder: Path) -> list[Path]:
    """Write the test pictures into `folder` (seeded: the same files every time); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(123)
    paths = []
    for name, make in zip(PICTURES, (ampersand, shapes, word), strict=True):
        path = folder / name
        image = make(rng)
        if path.suffix == ".jpg":
            image.save(path, quality=90)
        else:
            image.save(path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "benchmarks" / "out"
    for written in make_pictures(out):
        print(written)
