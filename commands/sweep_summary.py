"""A sweep's tables: sweep.json (every finished run), sweep.csv (a row per run), sweep.md (seeds grouped).

sweep.md groups the runs that differ only in `seed`: for each figure, the mean and the lowest and
highest run, for the model, the mixture baseline fitted on the same training points, and the floor
(real points against real points), then each run's verdict and how many runs met each check.
sweep.html (commands/sweep_page.py) shows the same groups with the runs' pictures.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from commands.verdict import table_columns
from utils import tables
from utils.io import write_text

FIGURES = ("c2st", "on_shape", "coverage", "density", "swd", "color_err", "copies")
Row = dict[str, Any]


def csv_text(rows: list[Row], swept_keys: list[str]) -> str:
    """One line per run: its settings, its figures, the mixture's and the floor's c2st, verdict, time, worker."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    head = ["run", *swept_keys, *FIGURES, "painting_color_error", "painting_painted", "mixture_c2st", "floor_c2st"]
    head += ["grade", "passed", "checks_met"]
    writer.writerow([*head, "seconds", "worker"])
    for row in rows:
        evaluation = row["evaluation"]
        model, targets = evaluation["model"], evaluation["targets"]
        painting = evaluation.get("picture", {}).get("model", {})
        writer.writerow(
            [
                row["run"],
                *(row["swept"][key] for key in swept_keys),
                *(f"{model[name]:.4f}" for name in FIGURES),
                *(f"{painting.get(name, float('nan')):.4f}" for name in ("color_error", "painted")),
                f"{evaluation['baseline']['c2st']:.4f}",
                f"{evaluation['floor']['c2st']:.4f}",
                evaluation["verdict"]["grade"],
                evaluation["verdict"]["passed"],
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


def group_cells(rows: list[Row]) -> dict[str, dict[str, str | float]]:
    """{model, mixture, floor: {figure: mean (lowest..highest) over the rows}}, the paintings' figures last."""
    runs = [table_columns(row["evaluation"]) for row in rows]
    painted = [
        name for name in runs[0]["model"] if name.startswith("painting ") and all(name in r["model"] for r in runs)
    ]
    columns = {"model": "model", "mixture": "baseline", "floor": "floor"}
    return {
        title: {
            name: _spread([run[key][name] for run in runs]) for name in (*FIGURES, *painted) if name in runs[0][key]
        }
        for title, key in columns.items()
    }


def verdicts(rows: list[Row]) -> str:
    """'2 of 3 pass; seed=0: PASS, as close to real points as the mixture; ...' (commands/verdict.py)."""
    said = [row["evaluation"]["verdict"] for row in rows]
    each = "; ".join(
        f"{row['run']}: {'PASS' if v['passed'] else 'FAIL'}, {v['grade']}" for row, v in zip(rows, said, strict=True)
    )
    passes = sum(v["passed"] for v in said)
    return f"{passes} of {len(rows)} pass; {each}"


def group_table(rows: list[Row]) -> str:
    """Markdown: per figure, model / mixture / floor as mean (lowest..highest) over the rows, then the verdicts
    and how many runs met each check."""
    met: dict[str, int] = {}
    for row in rows:
        for target in row["evaluation"]["targets"]:
            met[target["figure"]] = met.get(target["figure"], 0) + target["met"]
    checks = ", ".join(f"{k}: {v}/{len(rows)}" for k, v in met.items())
    return f"{tables.markdown(group_cells(rows))}\n\nverdicts: {verdicts(rows)}\n\nchecks met: {checks}"


def markdown_text(rows: list[Row], swept_keys: list[str]) -> str:
    """sweep.md: a section per group of runs that differ only in seed."""
    first = rows[0]["evaluation"]
    parts = [
        f"# sweep: {len(rows)} runs over {', '.join(swept_keys) or 'one setting'}",
        (
            f"Data: {first['data']} ({first['protocol']}); each figure is a mean of {first['repeats']} evaluation "
            f"draws of {first['n']} points; below, the mean over the runs and (lowest..highest)."
        ),
    ]
    for key, members in groups(rows, swept_keys).items():
        seeds = ", ".join(str(row["config"]["seed"]) for row in members)
        seconds = np.mean([row["seconds"] for row in members])
        parts.append(f"## {key}: seeds {seeds}, {seconds:.0f} s a run\n\n{group_table(members)}")
    return "\n\n".join(parts) + "\n"


def groups(rows: list[Row], swept_keys: list[str]) -> dict[str, list[Row]]:
    """The rows by their settings other than the seed: {"latent_dim=6": [rows], ...}."""
    out: dict[str, list[Row]] = {}
    for row in rows:
        key = ", ".join(f"{k}={row['swept'][k]}" for k in swept_keys if k != "seed") or "all runs"
        out.setdefault(key, []).append(row)
    return out


def write_summary(root: Path, rows: list[Row], swept_keys: list[str]) -> None:
    """sweep.json, sweep.csv and sweep.md in `root` (each written atomically)."""
    write_text(root / "sweep.json", json.dumps(rows, indent=1) + "\n")
    write_text(root / "sweep.csv", csv_text(rows, swept_keys))
    write_text(root / "sweep.md", markdown_text(rows, swept_keys))
