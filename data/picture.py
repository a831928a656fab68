"""A user's picture as a point population: its foreground pixels as (row, column, r, g, b).

Which pixels are foreground, in this order of precedence:
    mask_path given        the mask's bright pixels (grey value > 127), as sparse_pi.jpg marks the quiz points
    the picture has alpha  pixels with alpha > 0 (RGBA, LA, or a palette with transparency)
    a dark background      pixels brighter than `threshold` on their brightest channel
    a light or colored one pixels that differ from the background color by more than `threshold`
                           on some channel

The background is read from the picture's border (its outermost row and column of pixels on each
side): its median color, if at least half of the border lies within BACKGROUND_SPREAD levels of it
(a plain page, a logo's white). A median no brighter than `threshold` is a dark background, and
the rule for it is the brightness rule (the same as a difference from black). A border with no
dominant color (a photograph that fills the frame) has no background to tell apart: one message
asks for a mask or transparency.

The default threshold (64, a quarter of the range) keeps JPEG halos around strokes out: on
benchmarks/pictures.py's word.jpg (JPEG quality 90, saturated colors, on black) 48 of 17,260
foreground pixels are halo at 64, 159 at 48. A foreground close to its background needs a lower one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from utils.errors import UserError

MAX_PIXELS = 40_000_000  # 40 MP: ~1 GB of working memory while loading; larger pictures are refused
MIN_POINTS = 200  # fewer foreground pixels than this are too few to learn a distribution from
BACKGROUND_SPREAD = 32  # levels (0..255) a border pixel may differ from the border's median and count as background
BLACK = (0, 0, 0)
WHITE = (255, 255, 255)
DARK = 80  # a foreground whose median luminance (0..255) is below this is drawn on white


@dataclass(frozen=True)
class Population:
    """Every point a picture holds; training and test points are drawn from it."""

    points: np.ndarray  # (P, 5) float32: row, column, r, g, b of every foreground pixel
    shape: tuple[int, int]  # (height, width) of the picture
    name: str
    background: tuple[int, int, int] = BLACK  # the color around the foreground: what frames are drawn on


def _open(path: Path, what: str) -> Image.Image:
    """Open an image file lazily (header only), with one clear error for each way it can fail."""
    if not path.is_file():
        raise UserError(f"{what} '{path}' does not exist; check the path (it is relative to where you run main.py).")
    try:
        image = Image.open(path)
    except (UnidentifiedImageError, OSError) as err:
        raise UserError(f"{what} '{path}' is not a readable PNG or JPEG ({err}); convert it to PNG.") from None
    height, width = image.height, image.width
    if height * width > MAX_PIXELS:
        image.close()
        raise UserError(
            f"{what} '{path}' is {width}x{height} = {height * width / 1e6:.0f} MP, too large to hold in memory "
            f"(at most {MAX_PIXELS // 1_000_000} MP); downscale it, e.g. to 1000 pixels on the long side."
        )
    return image


def _pixels(image: Image.Image, path: Path, what: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(H, W, 3) uint8 RGB and (H, W) uint8 alpha or None; grey and palette pictures become RGB."""
    try:
        image = ImageOps.exif_transpose(image)  # a phone photo stands as it is shown
        has_alpha = "A" in image.getbands() or "transparency" in image.info
        rgba = np.asarray(image.convert("RGBA" if has_alpha else "RGB"))
    except (OSError, ValueError) as err:  # truncated or damaged data shows only when decoding
        raise UserError(f"{what} '{path}' cannot be decoded ({err}); re-save it as PNG.") from None
    return rgba[:, :, :3], (rgba[:, :, 3] if has_alpha else None)


def border_background(rgb: np.ndarray) -> tuple[tuple[int, int, int], float]:
    """(median color of the border of rgb (H, W, 3), share of border pixels within BACKGROUND_SPREAD of it)."""
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.int16)  # (2W + 2H, 3)
    median = np.median(border, axis=0).round().astype(np.int16)
    share = float((np.abs(border - median).max(axis=1) <= BACKGROUND_SPREAD).mean())
    r, g, b = (int(c) for c in median)
    return (r, g, b), share


def _foreground_without_mask(
    rgb: np.ndarray, path: Path, threshold: int
) -> tuple[np.ndarray, str, tuple[int, int, int]]:
    """(foreground (H, W) bool, the rule in words, background color) from the picture's own colors."""
    color, share = border_background(rgb)
    if max(color) <= threshold:  # a dark background: the brightness rule
        return rgb.max(axis=2) > threshold, f"pixels brighter than image_threshold={threshold}", BLACK
    if share < 0.5:
        raise UserError(
            f"cannot tell the background of '{path}': its border has no dominant color (the most common one, "
            f"{color}, covers {share:.0%} of it); give a mask_path, a PNG with transparency, or a picture "
            "on a plain background."
        )
    difference = np.abs(rgb.astype(np.int16) - np.array(color, dtype=np.int16)).max(axis=2)
    rule = f"pixels that differ from the background {color} by more than image_threshold={threshold}"
    return difference > threshold, rule, color


def canvas_for(colors: np.ndarray) -> tuple[int, int, int]:
    """A background for points of these colors (N, 3) where the picture has none of its own (a mask, transparency):
    black, or white for a dark foreground (dark letters on black could not be read)."""
    luminance = colors.astype(float) @ np.array([0.299, 0.587, 0.114]) if len(colors) else np.zeros(1)
    return WHITE if float(np.median(luminance)) < DARK else BLACK


def load_picture(image_path: str, mask_path: str = "", threshold: int = 64) -> Population:
    """Read a picture (PNG or JPEG, any size and aspect ratio; RGB, RGBA or grey) as its foreground points."""
    path = Path(image_path)
    with _open(path, "image_path") as image:
        rgb, alpha = _pixels(image, path, "image_path")
    height, width = rgb.shape[:2]
    if mask_path:
        mpath = Path(mask_path)
        with _open(mpath, "mask_path") as mask_image:
            mask_rgb, _ = _pixels(mask_image, mpath, "mask_path")
        if mask_rgb.shape[:2] != (height, width):
            raise UserError(
                f"mask_path '{mpath}' is {mask_rgb.shape[1]}x{mask_rgb.shape[0]} but image_path '{path}' is "
                f"{width}x{height}; the mask must have the picture's size."
            )
        foreground, rule = mask_rgb.max(axis=2) > 127, f"bright pixels of mask_path '{mpath}'"
        background = canvas_for(rgb[foreground])
    elif alpha is not None:
        foreground, rule = alpha > 0, "pixels with alpha > 0"
        background = canvas_for(rgb[foreground])
    else:
        foreground, rule, background = _foreground_without_mask(rgb, path, threshold)
    count = int(foreground.sum())
    if count == 0:
        brightest = int(rgb.max())
        raise UserError(
            f"'{path}' has no foreground pixels ({rule}; its brightest value is {brightest}); "
            "lower image_threshold, or give a picture whose shape stands out from its background."
        )
    if count < MIN_POINTS:
        raise UserError(
            f"'{path}' has only {count} foreground pixels ({rule}); at least {MIN_POINTS} are needed to learn "
            "from. Use a larger picture or lower image_threshold."
        )
    if count > 0.9 * height * width and mask_path == "" and alpha is None:
        print(f"note: {count / (height * width):.0%} of '{path}' is foreground ({rule}); a mask_path can tell it.")
    rows, cols = np.nonzero(foreground)
    points = np.column_stack([rows, cols, rgb[rows, cols]]).astype(np.float32)
    return Population(points=points, shape=(height, width), name=path.name, background=background)
