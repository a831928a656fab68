"""Test pictures the defaults were not tuned on, made by code so that anyone can remake them.

    python benchmarks/pictures.py [FOLDER]      writes every picture below (default: benchmarks/out)

The first three are bright shapes on black; the last four are the other kinds of picture a user
brings. Each differs from the quiz π:
    amp.png     a bold '&' (holes, curves), 240x400 (wide), colored by a hue wheel around the
                centre with noise (std 8): fast color changes, a few saturated values
    shapes.png  360x240 (tall): a ring, a triangle and a bar in flat, unrelated colors with noise
                (std 10): colors that jump at region borders
    word.jpg    'gen', 150x450 (a banner), a rainbow by column with little noise (std 4), saved as
                JPEG (quality 90): a third of the green values are saturated at 255, and JPEG halos
                around the strokes must stay out of the foreground (image_threshold)
    logo.png    a logo with transparency, 300x300 RGBA: a ring, a letter and a bar in flat brand
                colors, anti-aliased edges (partly transparent pixels are foreground too)
    photo.png   a photograph inside a transparent mask: scikit-learn's sample photograph of a
                flower (shipped with the package), 320x214, cut out by an ellipse: texture,
                highlights, colors that are no function of the place
    dots.png    a sparse scatter of colored dots like the quiz: 4000 single pixels of an 'Ω' on black,
                300x300, hue by angle plus noise; too few pixels for a fresh draw (a held-out split)
    sign.jpg    a logo on a white page saved as JPEG (quality 85), 200x360: dark red and blue
                strokes; the background is told from the border (data/picture.py)
    lettering.png  a project's name in thin lettering, "pi-vae", 160x520 RGBA: dark blue letters of
                normal weight on transparency, anti-aliased: can the word be read in generated points?
    icon.png    a 128x128 app icon on transparency: a disk colored by a hue wheel with a white π in it,
                about 11,000 foreground pixels; the small picture benchmarks/versus_mixture.py times
"""

from __future__ import annotations

import colorsys
import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from data.synthetic import glyph_mask

PICTURES = (
    "amp.png",
    "shapes.png",
    "word.jpg",
    "logo.png",
    "photo.png",
    "dots.png",
    "sign.jpg",
    "lettering.png",
    "icon.png",
)


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


def _supersampled(width: int, height: int, draw: Callable[[ImageDraw.ImageDraw, int], None]) -> Image.Image:
    """An RGBA picture drawn at 4x on transparency and scaled down: anti-aliased, partly transparent edges."""
    big = Image.new("RGBA", (4 * width, 4 * height), (0, 0, 0, 0))
    draw(ImageDraw.Draw(big), 4)
    return big.resize((width, height), Image.Resampling.LANCZOS)


def logo(rng: np.random.Generator) -> Image.Image:
    def paint(draw: ImageDraw.ImageDraw, k: int) -> None:
        draw.ellipse((20 * k, 20 * k, 280 * k, 280 * k), fill=(245, 130, 20, 255))
        draw.ellipse((55 * k, 55 * k, 245 * k, 245 * k), fill=(0, 0, 0, 0))  # the ring's hole
        draw.polygon([(105 * k, 80 * k), (205 * k, 150 * k), (105 * k, 220 * k)], fill=(20, 50, 120, 255))
        draw.rectangle((215 * k, 130 * k, 240 * k, 170 * k), fill=(30, 170, 90, 255))

    return _supersampled(300, 300, paint)


def photo(rng: np.random.Generator) -> Image.Image:
    from sklearn.datasets import load_sample_image  # a real photograph that ships with scikit-learn

    picture = Image.fromarray(load_sample_image("flower.jpg")).resize((320, 214), Image.Resampling.LANCZOS)
    rows, cols = np.mgrid[0:214, 0:320]
    inside = ((rows - 107) / 100) ** 2 + ((cols - 160) / 150) ** 2 <= 1
    rgba = np.dstack([np.asarray(picture), np.where(inside, 255, 0).astype(np.uint8)])
    return Image.fromarray(rgba)


def dots(rng: np.random.Generator) -> Image.Image:
    height = width = 300
    mask = glyph_mask("Ω", height, width, fontsize=240)
    rows, cols = np.nonzero(mask)
    keep = rng.permutation(len(rows))[:4000]
    sparse = np.zeros_like(mask)
    sparse[rows[keep], cols[keep]] = True
    grid_rows, grid_cols = np.mgrid[0:height, 0:width]
    hue = (np.arctan2(grid_rows - height / 2, grid_cols - width / 2) / (2 * np.pi)) % 1.0
    return _finish(sparse, _hsv(hue, 0.85, 0.95), 12.0, rng)


def sign(rng: np.random.Generator) -> Image.Image:
    height, width = 200, 360
    rgb = np.full((height, width, 3), 255.0)
    rgb[glyph_mask("π", height, width, fontsize=150)] = (150, 20, 30)
    bar = np.zeros((height, width), dtype=bool)
    bar[165:180, 40:320] = True
    rgb[bar] = (20, 60, 160)
    return Image.fromarray(np.clip(rgb + rng.normal(0, 3, rgb.shape), 0, 255).astype(np.uint8))


def lettering(rng: np.random.Generator) -> Image.Image:
    from matplotlib import font_manager

    def paint(draw: ImageDraw.ImageDraw, k: int) -> None:
        font = ImageFont.truetype(font_manager.findfont("DejaVu Sans"), 110 * k)
        draw.text((260 * k, 80 * k), "pi-vae", fill=(30, 60, 140, 255), font=font, anchor="mm")

    return _supersampled(520, 160, paint)


def icon(rng: np.random.Generator) -> Image.Image:
    size = 128
    rows, cols = np.mgrid[0:size, 0:size]
    disk = (rows - 63.5) ** 2 + (cols - 63.5) ** 2 <= 60**2
    hue = (np.arctan2(rows - 63.5, cols - 63.5) / (2 * np.pi)) % 1.0
    rgb = _hsv(hue, 0.7, 0.9)
    rgb[glyph_mask("π", size, size, fontsize=90)] = 255
    alpha = np.where(disk, 255, 0)
    return Image.fromarray(np.dstack([rgb, alpha]).astype(np.uint8))


def make_pictures(folder: Path) -> list[Path]:
    """Write the test pictures into `folder` (seeded: the same files every time); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(123)
    paths = []
    makers = (ampersand, shapes, word, logo, photo, dots, sign, lettering, icon)
    for name, make in zip(PICTURES, makers, strict=True):
        path = folder / name
        image = make(rng)
        # written beside and renamed: a run reading the picture meanwhile sees the old file or the new one
        tmp = path.with_name(f".{name}.{os.getpid()}.tmp")
        if path.suffix == ".jpg":
            image.save(tmp, format="JPEG", quality=90 if name == "word.jpg" else 85)
        else:
            image.save(tmp, format="PNG")
        os.replace(tmp, path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "benchmarks" / "out"
    for written in make_pictures(out):
        print(written)
