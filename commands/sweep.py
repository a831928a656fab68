"""`python main.py sweep KEY=V1,V2 [...]`: every combination of settings, each a full training run.

    python main.py sweep seed=0,1,2,3,4 latent_dim=4,6 epochs=50

Each run is `python main.py` with its settings, into a folder of its own under result_path named
by them (`latent_dim=6,seed=2/`), with all its usual files. After each finished run the sweep
rewrites result_path/sweep.json (every finished run: settings, config, evaluation, seconds,
worker, total loss per epoch), sweep.csv (a row per run), sweep.md (runs that differ only in `seed`
grouped: mean and lowest..highest of each figure, beside the mixture and the floor) and sweep.html
(the same, with every run's generated points and loss curve; commands/sweep_page.py).

Interrupted or killed, the same command resumes: runs recorded in sweep.json with the same config
are skipped, and the unfinished one continues from its last finished epoch (commands/run_folder.py).
With --scheduler ADDRESS the runs are tasks on a Dask cluster (commands/sweep_cluster.py); their
figures come back to this process with the task, so sweep.csv needs no disk shared with the workers.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from commands.run_folder import can_resume, prepare_result_dir
from commands.sweep_page import write_page
from commands.sweep_summary import write_summary
from commands.train import run_train
from utils.config import Config, config_from_dict
from utils.errors import UserError

RECORD = "sweep.json"
Row = dict[str, Any]  # run, swept, config, evaluation, seconds, worker


@dataclass(frozen=True)
class SweepRun:
    name: str  # its folder under result_path: the swept settings
    swept: dict[str, Any]
    cfg: Config  # result_path is the run's own folder


def run_name(swept: dict[str, Any]) -> str:
    """A folder name from the swept settings: latent_dim=6,seed=2 (a path's file name; only safe characters)."""

    def text(value: Any) -> str:
        shown = Path(value).name if isinstance(value, str) and re.search(r"[/\\]", value) else str(value)
        return re.sub(r"[^A-Za-z0-9._+-]", "-", shown)

    return ",".join(f"{key}={text(value)}" for key, value in swept.items()) or "run"


def plan(grid: list[tuple[dict[str, Any], Config]], root: Path) -> list[SweepRun]:
    """The runs of a grid (utils/config.py's load_grid), each into its folder under `root`."""
    runs = []
    for swept, cfg in grid:
        name = run_name(swept)
        folder = str(root / name)
        runs.append(SweepRun(name, swept, dataclasses.replace(cfg, result_path=folder, retrain=True, resume=False)))
    names = [run.name for run in runs]
    if len(set(names)) < len(names):
        raise UserError("two runs of the sweep would share a folder (e.g. two pictures of the same name); rename one.")
    return runs


def run_one(values: dict[str, Any], swept: dict[str, Any], name: str) -> Row:
    """Train one run of the sweep (resuming it if it was cut short) and return its row; runs on any worker."""
    cfg = config_from_dict(values, f"the sweep's run {name}")
    cfg = dataclasses.replace(cfg, resume=can_resume(cfg, Path(cfg.result_path)))
    started = time.perf_counter()
    outputs = run_train(cfg)
    seconds = time.perf_counter() - started
    if outputs.evaluation is None or outputs.dataset is None:
        raise UserError(f"the sweep's run {name} has no evaluation (evaluate: false); sweeps need evaluate: true.")
    canvas = [*outputs.dataset.canvas.shape, *outputs.dataset.canvas.background]  # what sweep.html draws on
    history = {"total": outputs.history["total"]}
    row = {"run": name, "swept": swept, "config": values, "evaluation": outputs.evaluation, "seconds": seconds}
    return row | {"canvas": canvas, "history": history}


def _local(runs: list[SweepRun]) -> Iterator[Row]:
    for run in runs:
        yield {**run_one(run.cfg.to_dict(), run.swept, run.name), "worker": "local"}


def _finished(root: Path, runs: list[SweepRun]) -> dict[str, Row]:
    """Rows of sweep.json whose run is planned again with the same config (what a resumed sweep skips)."""
    path = root / RECORD
    if not path.is_file():
        return {}
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise UserError(f"'{path}' is damaged; delete it to run the whole sweep again.") from None
    planned = {run.name: run.cfg.to_dict() for run in runs}
    return {row["run"]: row for row in rows if planned.get(row["run"]) == row["config"]}


def run_sweep(grid: list[tuple[dict[str, Any], Config]], result_path: str, scheduler: str | None = None) -> list[Row]:
    """Run every planned run that is not finished yet, locally or on a Dask cluster; returns every row."""
    root = prepare_result_dir(result_path)
    runs = plan(grid, root)
    rows = _finished(root, runs)
    todo = [run for run in runs if run.name not in rows]
    where = "this machine" if scheduler is None else f"the Dask cluster at {scheduler}"
    print(f"sweep: {len(runs)} runs into {root}, {len(runs) - len(todo)} finished before, {len(todo)} to go on {where}")
    if scheduler is None:
        finished = _local(todo)
    else:
        from commands.sweep_cluster import on_cluster  # dask is an optional install

        finished = on_cluster(scheduler, todo)
    order = {run.name: k for k, run in enumerate(runs)}
    for row in finished:
        rows[row["run"]] = row
        ordered = sorted(rows.values(), key=lambda r: order[r["run"]])
        write_summary(root, ordered, list(grid[0][0]))
        write_page(root, ordered, list(grid[0][0]), len(runs))
        model, base, floor = (row["evaluation"][k]["c2st"] for k in ("model", "baseline", "floor"))
        print(
            f"sweep {len(rows)}/{len(runs)} {row['run']}: c2st {model:.3f} (mixture {base:.3f}, floor {floor:.3f}), "
            f"{row['seconds']:.0f} s on {row['worker']}",
            flush=True,
        )
    ordered = sorted(rows.values(), key=lambda r: order[r["run"]])
    write_summary(root, ordered, list(grid[0][0]))
    write_page(root, ordered, list(grid[0][0]), len(runs))
    print(f"wrote sweep.html, sweep.csv, sweep.md and {RECORD} to {root}")
    return ordered
