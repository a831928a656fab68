"""`python main.py generate -n N -o FILE` and `retrain: false`: points from a checkpoint, no training."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from tqdm import tqdm

from commands.records import RunOutputs
from commands.runtime import setup_runtime
from models import load_trained, sample_points, stream_points
from utils import plotting
from utils.checkpoint import CHECKPOINT_NAME
from utils.config import Config
from utils.errors import UserError
from utils.io import save_npy, write_points_stream


def generate_from_checkpoint(cfg: Config, result_dir: Path) -> RunOutputs:
    """retrain: false: load result_path/checkpoint.pt and write samples.npy and samples.png."""
    path = result_dir / CHECKPOINT_NAME
    trained = load_trained(path)
    points = sample_points(trained.model, trained.scaler, cfg.num_gen_points, cfg.seed)
    save_npy(result_dir / "samples.npy", points)
    epoch = trained.state["epoch"]
    r, g, b = trained.state.get("background", plotting.BLACK)  # the picture's background (commands/run_folder.py)
    canvas = plotting.Canvas(trained.scaler.image_shape, (r, g, b))
    plotting.save_frame(result_dir / "samples.png", points, canvas, f"samples · epoch {epoch}")
    print(f"loaded {path} (epoch {epoch}); wrote samples.npy and samples.png")
    return RunOutputs(trained.state["history"], None)


def run_generate(cfg: Config, n: int, out: str, seed: int | None) -> None:
    """`python main.py generate -n N -o FILE`: N points in data units to .npy or .csv, streamed in chunks."""
    path = Path(out)
    if path.suffix not in (".npy", ".csv"):
        raise UserError(f"output '{out}' must end in .npy or .csv.")
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

        write_points_stream(path, n, ("x", "y", "r", "g", "b"), counted())
    print(f"wrote {n} points (x, y in pixels; r, g, b in 0..255) to {path}")
