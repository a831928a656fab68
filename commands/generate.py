"""`python main.py generate -n N -o FILE` and `retrain: false`: points from a checkpoint, no training."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from commands.records import RunOutputs
from commands.runtime import setup_runtime
from models import load_trained, sample_points, stream_points
from utils import plotting
from utils.checkpoint import CHECKPOINT_NAME
from utils.config import Config
from utils.errors import UserError
from utils.features import FEATURES
from utils.io import save_npy, write_points_stream
from utils.painting import Painting
from utils.plotting import save_png


def generate_from_checkpoint(cfg: Config, result_dir: Path) -> RunOutputs:
    """retrain: false: load result_path/checkpoint.pt and write samples.npy and samples.png."""
    path = result_dir / CHECKPOINT_NAME
    trained = load_trained(path)
    points = sample_points(trained.model, trained.scaler, cfg.num_gen_points, cfg.seed)
    save_npy(result_dir / "samples.npy", points)
    epoch = trained.state["epoch"]
    canvas = plotting.Canvas(trained.scaler.image_shape, _background(trained.state))
    plotting.save_frame(result_dir / "samples.png", points, canvas, f"samples · epoch {epoch}")
    print(f"loaded {path} (epoch {epoch}); wrote samples.npy and samples.png")
    return RunOutputs(trained.state["history"], None)


def run_generate(cfg: Config, n: int, out: str, seed: int | None) -> None:
    """`python main.py generate -n N -o FILE`: N points in data units to .npy or .csv, or painted into a .png
    of the picture's size (utils/painting.py), streamed in chunks: memory stays flat however large N is."""
    path = Path(out)
    if path.suffix not in (".npy", ".csv", ".png"):
        raise UserError(f"output '{out}' must end in .npy or .csv (the points) or .png (a painting of them).")
    if n <= 0:
        raise UserError(f"-n must be a positive number of points, got {n}.")
    if not path.parent.is_dir():
        raise UserError(f"folder '{path.parent}' for the output does not exist; create it first.")
    setup_runtime(cfg)
    trained = load_trained(Path(cfg.result_path) / CHECKPOINT_NAME)
    with tqdm(total=n, unit="pt", unit_scale=True, desc="generate", disable=n < 2_000_000) as bar:

        def counted() -> Iterator[np.ndarray]:
            for chunk in stream_points(trained.model, trained.scaler, n, seed):
                bar.update(len(chunk))
                yield chunk

        if path.suffix == ".png":
            painting = Painting(trained.scaler.image_shape)
            for chunk in counted():
                painting.add(chunk)
            save_png(path, painting.image(_background(trained.state)))
        else:
            write_points_stream(path, n, FEATURES, counted())
    if path.suffix == ".png":
        height, width = trained.scaler.image_shape
        print(f"painted {n} points into {path} ({width}x{height}: each pixel the mean color of the points on it)")
    else:
        print(f"wrote {n} points (x, y in pixels; r, g, b in 0..255) to {path}")


def _background(state: dict[str, Any]) -> tuple[int, int, int]:
    """The picture's background color (commands/run_folder.py keeps it in the checkpoint)."""
    r, g, b = state.get("background", plotting.BLACK)
    return r, g, b
