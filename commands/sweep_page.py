"""result_path/sweep.html: a sweep to look at, rewritten after every finished run (as sweep.csv is).

    first line   how many runs pass, and each group's grades (commands/verdict.py)
    grid         every run's generated points drawn as a picture (its samples.npy: the points of its
                 final frame), one row per combination of the settings other than the seed, the seeds
                 side by side; each picture links to the run's own report.html
    tables       per group, every figure's mean (lowest..highest) beside the mixture and the floor
    losses       every run's total loss per epoch, overlaid (a color per group)

It opens offline, as report.html does: sweep_files/ beside it holds its pictures. A run whose folder
is not on this machine (a Dask worker without a shared disk) is in the tables without a picture.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np

from commands.sweep_summary import group_cells, groups, verdicts
from utils import charts, plotting
from utils.report import Report, figure, metrics_table, paragraph, write_report

FILES = "sweep_files"  # beside sweep.html: the thumbnails and the loss plot
Row = dict[str, Any]


def _thumbnail(root: Path, row: Row) -> str:
    """The run's samples drawn as its final frame into sweep_files/<run>.png; "" if its folder is not here."""
    samples = root / row["run"] / "samples.npy"
    if not samples.is_file() or "canvas" not in row:
        return ""
    height, width, *background = row["canvas"]
    canvas = plotting.Canvas((height, width), (background[0], background[1], background[2]))
    verdict = row["evaluation"]["verdict"]
    title = f"c2st {row['evaluation']['model']['c2st']:.3f} · {'PASS' if verdict['passed'] else 'FAIL'}"
    name = f"{FILES}/{row['run']}.png"
    plotting.save_frame(root / name, np.load(samples), canvas, title)
    return name


def _cell(root: Path, row: Row) -> str:
    picture = _thumbnail(root, row)
    caption = f"{row['run']}: {row['evaluation']['verdict']['grade']}"
    if not picture:
        return f"<td>{html.escape(caption)} (no picture: its folder is not on this machine)</td>"
    link = f"{row['run']}/report.html"
    return f"<td>{figure(picture, caption, 240, link=link)}</td>"


def _grid(root: Path, rows: list[Row], swept_keys: list[str]) -> str:
    """A table of pictures: a row per group (settings but the seed), a column per seed (or per run)."""
    lines = []
    for key, members in groups(rows, swept_keys).items():
        cells = "".join(_cell(root, row) for row in members)
        lines.append(f"<tr><th>{html.escape(key)}</th>{cells}</tr>")
    return f'<table class="grid">{"".join(lines)}</table>'


def _losses(root: Path, rows: list[Row], swept_keys: list[str]) -> str:
    histories = {}
    for key, members in groups(rows, swept_keys).items():
        for row in members:
            if "history" in row:
                histories[f"{key} · seed {row['config']['seed']}"] = row["history"]
    if not histories:
        return paragraph("no loss histories in this sweep's records")
    charts.save_overlaid_losses(root / FILES / "loss.png", histories)
    return figure(f"{FILES}/loss.png", "total loss per epoch, every run (a color per group)", 900)


def write_page(root: Path, rows: list[Row], swept_keys: list[str], planned: int) -> None:
    """sweep.html in `root` for the finished `rows` of a sweep of `planned` runs."""
    (root / FILES).mkdir(exist_ok=True)
    first = rows[0]["evaluation"]
    facts = {
        "runs": f"{len(rows)} of {planned} finished",
        "swept": ", ".join(swept_keys) or "nothing (one run)",
        "data": f"{first['data']} ({first['protocol']}), {first['n_train']} training points",
        "evaluation": f"{first['repeats']} draws of {first['n']} points against real points no run trained on",
    }
    passes = {row["evaluation"]["verdict"]["passed"] for row in rows}
    every = passes.pop() if len(passes) == 1 else None  # green when all pass, red when none does
    report = Report(f"pi-vae sweep: {', '.join(swept_keys) or 'one run'}", facts, verdicts(rows), every)
    report.add("Generated points, every run", _grid(root, rows, swept_keys))
    tables = "".join(
        f"<h3>{html.escape(key)}</h3>" + metrics_table(group_cells(members), None)
        for key, members in groups(rows, swept_keys).items()
    )
    note = "mean (lowest..highest) over the group's runs, beside the mixture fitted on each run's training points"
    report.add("Figures per group", paragraph(note + " and the floor (real against real points).") + tables)
    report.add("Loss curves", _losses(root, rows, swept_keys))
    write_report(root / "sweep.html", report)
