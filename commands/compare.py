"""`python main.py compare`: the sweep `model=<every registered model>`, then one page that compares them.

Each model is a full run of the sweep (commands/sweep.py) in result_path/model=<name>/, with the
same data, seed and budget; compare adds compare.md (each model beside the mixture baseline and the
floor), compare_grid.png (their frames at a few epochs), compare_loss.png and report.html.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch

from commands.sweep import run_sweep
from data import Dataset, load_dataset
from models import MODELS
from utils import plotting, tables
from utils.checkpoint import CHECKPOINT_NAME, load_checkpoint
from utils.config import Config, config_to_yaml
from utils.io import write_text
from utils.report import Report, figure, metrics_table, paragraph, preformatted, write_report


def run_compare(cfg: Config) -> None:
    """Train every registered model (skipping those a sweep already finished), then compare them."""
    rows = run_sweep([({"model": name}, dataclasses.replace(cfg, model=name)) for name in MODELS], cfg.result_path)
    root = Path(cfg.result_path)
    folders = {row["swept"]["model"]: root / row["run"] for row in rows}
    first = rows[0]["evaluation"]
    columns = {row["swept"]["model"]: row["evaluation"]["model"] for row in rows}
    columns |= {"mixture baseline": first["baseline"], "floor (real vs real)": first["floor"]}
    dataset = load_dataset(cfg, announce=False)
    table = tables.markdown(columns)
    write_text(root / "compare.md", f"# models on {dataset.describe()}, {cfg.epochs} epochs each\n\n{table}\n")
    _pictures(root, cfg, folders, dataset)
    _report(root, cfg, folders, dataset, columns)
    print(table)
    print(f"wrote compare_grid.png, compare_loss.png, compare.md, report.html to {root}")


def _grid_epochs(cfg: Config) -> list[int]:
    return sorted({1, *(round(cfg.epochs * q) for q in (0.25, 0.5, 0.75)), cfg.epochs} - {0})


def _pictures(root: Path, cfg: Config, folders: dict[str, Path], dataset: Dataset) -> None:
    """compare_grid.png (from the runs' frames), compare_loss.png and real_vs_generated.png."""
    frames = {
        name: {e: folder / f"epoch_{e:03d}.png" for e in _grid_epochs(cfg) if (folder / f"epoch_{e:03d}.png").is_file()}
        for name, folder in folders.items()
    }
    if all(frames.values()):
        plotting.save_frame_grid(root / "compare_grid.png", frames)
    histories = {name: load_checkpoint(folder / CHECKPOINT_NAME)["history"] for name, folder in folders.items()}
    plotting.save_loss_plot(root / "compare_loss.png", histories)
    n = min(cfg.num_gen_points, len(dataset.test))
    panels = {f"real ({n} test points)": dataset.test[:n]}
    panels |= {name: np.load(folder / "samples.npy")[:n] for name, folder in folders.items()}
    plotting.save_side_by_side(root / "real_vs_generated.png", panels, dataset.canvas)


def _report(
    root: Path, cfg: Config, folders: dict[str, Path], dataset: Dataset, columns: dict[str, dict[str, Any]]
) -> None:
    facts = {
        "data": f"{dataset.describe()} ({dataset.source})",
        "models": ", ".join(folders),
        "epochs": f"{cfg.epochs} each, batch {cfg.batch_size}, lr {cfg.lr}",
        "device": f"{torch.get_num_threads()} threads; torch {torch.__version__}",
    }
    report = Report(f"pi-vae: models compared on {dataset.name}", facts)
    report.add("Real and generated points", figure("real_vs_generated.png", "real, then each model's samples"))
    grid = (
        figure("compare_grid.png", "samples during training") + "<br>" if (root / "compare_grid.png").is_file() else ""
    )
    report.add("Training", grid + figure("compare_loss.png", "losses per epoch"))
    own = ", ".join(f"{folder.name}/report.html" for folder in folders.values())
    note = f"each model's samples and the mixture baseline vs the same real test points; each model's own report: {own}"
    report.add("Metrics", paragraph(note) + metrics_table(columns, None))
    report.add("Config", preformatted(config_to_yaml(cfg)))
    write_report(root / "report.html", report)
