"""`python main.py compare`: train every registered model with the same budget; grid, losses, one table."""

from __future__ import annotations

import dataclasses

from commands.evaluation import score
from commands.records import RunOutputs
from commands.results import write_compare_report
from commands.run_folder import prepare_result_dir
from commands.train import run_train
from models import MODELS
from utils import tables
from utils.config import Config
from utils.io import write_text


def run_compare(cfg: Config) -> None:
    """Each model into result_path/compare/<model>/, then compare.md, the grid and report.html."""
    result_dir = prepare_result_dir(cfg.result_path)
    grid_epochs = tuple(sorted({1, *(round(cfg.epochs * q) for q in (0.25, 0.5, 0.75)), cfg.epochs} - {0}))
    outputs: dict[str, RunOutputs] = {}
    for name in MODELS:
        print(f"--- {name}")
        run_cfg = dataclasses.replace(
            cfg, model=name, result_path=str(result_dir / "compare" / name), evaluate=False, retrain=True, resume=False
        )
        outputs[name] = run_train(run_cfg, snapshot_epochs=grid_epochs)
    dataset = next(iter(outputs.values())).dataset
    assert dataset is not None, "run_train returns its dataset"
    reports = {}
    for k, (name, out) in enumerate(outputs.items()):
        assert out.model is not None, "run_train returns its model"
        reports[name] = score(out.model, dataset, cfg.seed, baseline=k == 0)  # the same baseline for every model
    first = next(iter(reports.values()))
    columns = {name: report["model"] for name, report in reports.items()}
    columns |= {"mixture baseline": first["baseline"], "floor (real vs real)": first["floor"]}
    table = tables.markdown(columns)
    write_text(result_dir / "compare.md", f"# models on {dataset.describe()}, {cfg.epochs} epochs each\n\n{table}\n")
    write_compare_report(result_dir, cfg, outputs, dataset, columns, grid_epochs)
    print(table)
    print(f"wrote compare_grid.png, compare_loss.png, compare.md, report.html to {result_dir}")
