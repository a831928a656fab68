"""Tables of figures: one row per figure, one column per run (model, baseline, floor, ...), targets last.

`rows` lays a table out once; `markdown` prints it (console, compare.md, benchmarks) and
utils/report.py renders the same rows as HTML, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Cell = float | str  # a float is printed with 4 decimals; text (e.g. "0.55 (0.54..0.60)") as it is


@dataclass(frozen=True)
class Row:
    figure: str
    cells: list[str]
    goal: str  # the targets on this figure, "; "-joined ("" if none)
    met: str  # "yes" / "NO" per target, "; "-joined
    failed: bool  # some target on this figure is not met


def _text(cell: Cell) -> str:
    return cell if isinstance(cell, str) else f"{cell:.4f}"


def rows(columns: Mapping[str, Mapping[str, Cell]], targets: list[dict[str, Any]] | None = None) -> list[Row]:
    """The rows of a table whose columns are {run name: {figure: value}}; figures in the first column's order."""
    names = list(next(iter(columns.values())))
    table = []
    for name in names:
        goals = [t for t in targets or [] if t["figure"] == name]
        table.append(
            Row(
                figure=name,
                cells=[_text(column.get(name, "")) for column in columns.values()],  # "": a figure a run lacks
                goal="; ".join(t["goal"] for t in goals),
                met="; ".join("yes" if t["met"] else "NO" for t in goals),
                failed=any(not t["met"] for t in goals),
            )
        )
    return table


def markdown(columns: Mapping[str, Mapping[str, Cell]], targets: list[dict[str, Any]] | None = None) -> str:
    """The table as Markdown; with `targets`, two more columns: the target and whether it is met."""
    extra = targets is not None
    head = "| figure | " + " | ".join(columns) + (" | target | met |" if extra else " |")
    lines = [head, "|" + "---|" * (len(columns) + 1 + (2 if extra else 0))]
    for row in rows(columns, targets):
        line = f"| {row.figure} | " + " | ".join(row.cells)
        lines.append(line + (f" | {row.goal} | {row.met} |" if extra else " |"))
    return "\n".join(lines)
