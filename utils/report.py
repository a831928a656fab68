"""result/report.html (and sweep.html): pages that open offline in any browser.

Plain HTML with a little CSS and no scripts; pictures are the PNG and GIF files beside it,
referenced by relative path, so the folder can be copied or zipped as a whole. The verdict, when a
page has one, is its first text.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from utils import tables
from utils.io import write_text
from utils.tables import Cell

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1180px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border: 1px solid #ccc; padding: 3px 9px; }
th { background: #f3f3f3; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.no { color: #b00; font-weight: 600; } td.yes { color: #070; }
figure { display: inline-block; margin: 4px 10px 10px 0; vertical-align: top; }
figcaption { font-size: 12px; color: #555; } img { max-width: 100%; border: 1px solid #ccc; }
img[src^="epoch_"], img[src$="picture.png"], img[src$="real_vs_generated.png"], img[src$=".gif"] {
  image-rendering: pixelated; }
.lead { font-size: 16px; max-width: 900px; background: #f4f8ff; border-left: 6px solid #4a7bd0; padding: 8px 12px; }
.lead { margin-top: 0; } .lead.pass { background: #f1faf1; border-left-color: #2a8a2a; }
.lead.fail { background: #fdf1f0; border-left-color: #c0392b; }
pre { background: #f6f6f6; padding: 10px; font-size: 12px; overflow-x: auto; } .note { color: #555; }
"""


@dataclass
class Report:
    title: str
    info: dict[str, str]  # the run in facts: data, model, epochs, wall time, device, ...
    lead: str = ""  # a sentence or two in words (the verdict), the page's first text
    passed: bool | None = None  # colors the lead: green for a pass, red for a fail, blue for neither
    sections: list[tuple[str, str]] = field(default_factory=list)  # (heading, HTML body)

    def add(self, heading: str, body: str) -> None:
        self.sections.append((heading, body))


def figure(src: str, caption: str, width: int | None = None, link: str | None = None) -> str:
    """An image with its caption; with `link`, the image links there (e.g. a run's own report)."""
    size = f' width="{width}"' if width else ""
    text = html.escape(caption)
    image = f'<img src="{html.escape(src)}"{size} alt="{text}">'
    if link is not None:
        image = f'<a href="{html.escape(link)}">{image}</a>'
    return f"<figure>{image}<figcaption>{text}</figcaption></figure>"


def paragraph(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def preformatted(text: str) -> str:
    return f"<pre>{html.escape(text)}</pre>"


def metrics_table(columns: Mapping[str, Mapping[str, Cell]], targets: list[dict[str, Any]] | None) -> str:
    """Figures as rows, runs (model, mixture, floor, ...) as columns; with `targets`, each check and if it is met."""
    head = "".join(f"<th>{html.escape(name)}</th>" for name in columns)
    checks = "<th>check</th><th>met</th>" if targets is not None else ""
    lines = [f"<tr><th>figure</th>{head}{checks}</tr>"]
    for row in tables.rows(columns, targets):
        cells = "".join(f'<td class="num">{cell}</td>' for cell in row.cells)
        if targets is not None:
            css, goal = "no" if row.failed else "yes", html.escape(row.goal)
            cells += f'<td>{goal}</td><td class="{css}">{row.met}</td>'
        lines.append(f"<tr><th>{html.escape(row.figure)}</th>{cells}</tr>")
    return "<table>" + "".join(lines) + "</table>"


def render_html(report: Report) -> str:
    info = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in report.info.items())
    body = "".join(f"<h2>{html.escape(heading)}</h2>\n{content}\n" for heading, content in report.sections)
    kind = "" if report.passed is None else " pass" if report.passed else " fail"
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(report.title)}</title>'
        f"<style>{STYLE}</style></head><body>\n"
        + (f'<p class="lead{kind}" id="verdict">{html.escape(report.lead)}</p>\n' if report.lead else "")
        + f"<h1>{html.escape(report.title)}</h1>\n<table>{info}</table>\n{body}</body></html>\n"
    )


def write_report(path: Path, report: Report) -> None:
    write_text(path, render_html(report))
