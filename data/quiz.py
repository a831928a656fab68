"""Loader for the quiz files: pi_xs.npy, pi_ys.npy and sparse_pi_colored.jpg."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from utils.errors import UserError

QUIZ_FILES = ("pi_xs.npy", "pi_ys.npy", "sparse_pi_colored.jpg")


def quiz_files_present(data_dir: str | Path) -> bool:
    return all((Path(data_dir) / name).is_file() for name in QUIZ_FILES)


def _load_indices(path: Path) -> np.ndarray:
    try:
        values = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise UserError(
            f"'{path}' is not a readable .npy array ({err}); replace it with the quiz's original file."
        ) from None
    if values.ndim != 1 or not np.issubdtype(values.dtype, np.integer):
        raise UserError(
            f"'{path}' must hold a 1-D integer array of pixel indices, got shape {values.shape} "
            f"and dtype {values.dtype}; replace it with the quiz's original file."
        )
    return np.asarray(values, dtype=np.int64)


def _load_image(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as image:
            mode = image.mode
            pixels = np.asarray(image)
    except (UnidentifiedImageError, OSError) as err:
        raise UserError(
            f"'{path}' is not a readable image ({err}); replace it with the quiz's original file."
        ) from None
    if mode != "RGB":
        raise UserError(
            f"'{path}' is a {mode} image; an RGB image is needed (convert it to RGB, "
            "or use the quiz's sparse_pi_colored.jpg)."
        )
    return pixels


def load_quiz(data_dir: str | Path) -> tuple[np.ndarray, tuple[int, int]]:
    """Return (points, (height, width)); points is (N, 5) float32: x=row, y=column, r, g, b.

    Point i is (xs[i], ys[i], *image[xs[i], ys[i]]): x indexes rows, y columns.
    """
    folder = Path(data_dir)
    if not folder.is_dir():
        raise UserError(
            f"data_dir '{folder}' does not exist; copy {', '.join(QUIZ_FILES)} there, "
            "set data_dir=..., or use dataset=synthetic."
        )
    missing = [name for name in QUIZ_FILES if not (folder / name).is_file()]
    if missing:
        raise UserError(
            f"missing {', '.join(missing)} in data_dir '{folder}'; copy the quiz files there "
            "(see gen_ml_quiz_content/README.md) or use dataset=synthetic."
        )
    xs = _load_indices(folder / "pi_xs.npy")
    ys = _load_indices(folder / "pi_ys.npy")
    if xs.shape != ys.shape:
        raise UserError(f"pi_xs.npy has {len(xs)} values but pi_ys.npy has {len(ys)}; they must pair up one to one.")
    if len(xs) == 0:
        raise UserError(f"pi_xs.npy and pi_ys.npy in '{folder}' are empty; they must list the points' pixels.")
    image = _load_image(folder / "sparse_pi_colored.jpg")
    height, width = image.shape[:2]
    bad = (xs < 0) | (xs >= height) | (ys < 0) | (ys >= width)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise UserError(
            f"{int(bad.sum())} point(s) lie outside the {height}x{width} image (first: x={xs[i]}, y={ys[i]}); "
            "pi_xs.npy must index rows and pi_ys.npy columns of sparse_pi_colored.jpg."
        )
    colors = image[xs, ys].astype(np.float32)  # (N, 3)
    points = np.column_stack([xs, ys, colors]).astype(np.float32)
    return points, (height, width)
