"""A sweep's tables: sweep.json (every finished run), sweep.csv (a row per run), sweep.md (seeds grouped).

sweep.md groups the runs that differ only in `seed`: for each figure, the mean and the lowest and
highest run, for the model, the mixture baseline fitted on the same training points, and the floor
(real points against real points), then how many runs met each target.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from utils import tables
from utils.io import write_text

FIGURES = ("c2st", "c2st_mlp", "on_shape", "coverage", "density", "swd", "color_err", "copies")
Row = dict[str, Any]


def csv_text(rows: list[Row], swept_keys: list[str]) -> str:
    """One line per run: its settings, its figures, the mixture's and the floor's c2st, targets, time, worker."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["run", *swept_keys, *FIGURES, "mixture_c2st", "floor_c2st", "targets_met", "seconds", "worker"])
    for row in rows:
        evaluation = row["evaluation"]
        model, targets = evaluation["model"], evaluation["targets"]
        writer.writerow(
            [
                row["run"],
                *(row["swept"][key] for key in swept_keys),
                *(f"{model[name]:.4f}" for name in FIGURES),
                f"{evaluation['baseline']['c2st']:.4f}",
                f"{evaluation['floor']['c2st']:.4f}",
                f"{sum(t['met'] for t in targets)}/{len(targets)}",
                f"{row['seconds']:.1f}",
                row["worker"],
            ]
        )
    return out.getvalue()


def _spread(values: list[float]) -> str:
    """mean (lowest..highest), or the value alone."""
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{np.mean(values):.3f} ({min(values):.3f}..{max(values):.3f})"


def group_table(rows: list[Row]) -> str:
    """Markdown: per figure, model / mixture / floor as mean (lowest..highest) over the rows, then the targets."""
    columns = {"model": "model", "mixture baseline": "baseline", "floor": "floor"}
    cells = {
        title: {name: _spread([row["evaluation"][key][name] for row in rows]) for name in FIGURES}
        for title, key in columns.items()
    }
    met: dict[str, int] = {}
    for row in rows:
        for target in row["evaluation"]["targets"]:
            key = f"{target['figure']} {target['goal']}"
            met[key] = met.get(key, 0) + target["met"]
    return tables.markdown(cells) + "\n\ntargets met: " + ", ".join(f"{k}: {v}/{len(rows)}" for k, v in met.items())


def markdown_text(rows: list[Row], swept_keys: list[str]) -> str:
    """sweep.md: a section per group of runs that differ only in seed."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        key = ", ".join(f"{k}={row['swept'][k]}" for k in swept_keys if k != "seed") or "all runs"
        groups.setdefault(key, []).append(row)
    first = rows[0]["evaluation"]
    parts = [
        f"# sweep: {len(rows)} runs over {', '.join(swept_keys) or 'one setting'}",
        (
            f"Data: {first['data']} ({first['protocol']}); each figure is a mean of {first['repeats']} evaluation "
            f"draws of {first['n']} points; below, the mean over the runs and (lowest..highest)."
        ),
    ]
    for key, members in groups.items():
        seeds = ", ".join(str(row["config"]["seed"]) for row in members)
        seconds = np.mean([row["seconds"] for row in members])
        parts.append(f"## {key}: seeds {seeds}, {seconds:.0f} s a run\n\n{group_table(members)}")
    return "\n\n".join(parts) + "\n"


def write_summary(root: Path, rows: list[Row], swept_keys: list[str]) -> None:
    """sweep.json, sweep.csv and sweep.md in `root` (each written atomically)."""
    write_text(root / "sweep.json", json.dumps(rows, indent=1) + "\n")
    write_text(root / "sweep.csv", csv_text(rows, swept_keys))
    write_text(root / "sweep.md", markdown_text(rows, swept_keys))
