"""Quality on the quiz and the test pictures: model vs mixture baseline vs floor, over seeds, with the sweep.

    python benchmarks/quality.py [--pictures quiz,word.jpg,logo.png,...] [--seeds 0,1,2,3,4]
                                 [--tag NAME] [key=value ...]

For each picture it runs `python main.py sweep seed=...` with config.yaml (+ the overrides) into
benchmarks/out/runs/<tag>/<picture>/ (commands/sweep.py: each run trained, then scored with the
project's evaluation: test points no model trained on, mean of 3 draws, beside the 128-component
mixture fitted on the same training points and the floor). Prints each picture's sweep.md table and
appends every run to benchmarks/out/quality.jsonl. Run again, it skips the runs already finished.
Frames are switched off (gen_every_epochs=0): they do not change the trained model. Asserts
nothing: it prints figures. `python main.py evaluate result_path=<a run's folder>` adds the diagnostic.

    python benchmarks/quality.py --table [--tag NAME] [--pictures ...]

prints, from the finished runs alone, three Markdown tables: per picture the model's c2st, mean and
lowest..highest over seeds, beside the mixture's (the same seeds' training points) and the floor's,
the model's distance to the floor as a share of the mixture's, how many runs pass the verdict
(commands/verdict.py) and their grades, and SWD over the mixture's; then each seed against its own
mixture: the largest c2st excess, the largest SWD ratio, and how many runs have coverage and on-shape
at least, and copies at most, the mixture's; then the paintings' figures, the model's and the
mixture's (utils/painting.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pictures import make_pictures
from commands.sweep import run_sweep
from commands.sweep_summary import group_table
from commands.verdict import check_targets, summary
from utils.config import load_grid

OUT = ROOT / "benchmarks" / "out"


def data_overrides(picture: str) -> list[str]:
    if picture in ("quiz", "synthetic"):
        return [f"dataset={picture}"]
    return ["dataset=image", f"image_path={OUT / picture}"]


def _cell(values: list[float]) -> str:
    return f"{np.mean(values):.3f} ({min(values):.3f}..{max(values):.3f})"


def _runs(tag: str, picture: str) -> list[dict[str, Any]]:
    """The runs' evaluations, their checks and verdicts read again by this version's rules (commands/verdict.py)."""
    path = OUT / "runs" / tag / picture / "sweep.json"
    runs = [row["evaluation"] for row in json.loads(path.read_text())] if path.is_file() else []
    for run in runs:
        run["targets"] = check_targets(run)
        run["verdict"] = summary(run)
    return runs


def results_table(tag: str, pictures: list[str]) -> str:
    """The Markdown tables of the module docstring, from benchmarks/out/runs/<tag>/<picture>/sweep.json."""
    head = "| data | c2st: model | mixture | floor | gap to the floor ÷ the mixture's | pass | SWD ÷ mixture |"
    lines = [head, "|---|---|---|---|---|---|---|"]
    checks = ["| data | worst c2st - mixture | worst SWD ÷ mixture | coverage ≥ mixture | on-shape ≥ mixture |"]
    checks += ["|---|---|---|---|---|"]
    checks[0] += " copies ≤ mixture |"
    checks[1] += "---|"
    for picture in pictures:
        rows = _runs(tag, picture)
        if not rows:
            continue
        model, base, floor = ([r[k]["c2st"] for r in rows] for k in ("model", "baseline", "floor"))
        ratio = (np.mean(model) - np.mean(floor)) / (np.mean(base) - np.mean(floor))
        swd = [r["model"]["swd"] / r["baseline"]["swd"] for r in rows]
        passes = sum(r["verdict"]["passed"] for r in rows)
        grades = ", ".join(sorted({r["verdict"]["grade"].split(" ")[0] for r in rows}))
        cells = [
            _cell(model),
            _cell(base),
            f"{np.mean(floor):.3f}",
            f"{ratio:.2f}",
            f"{passes} of {len(rows)} ({grades})",
        ]
        lines.append(f"| {picture} | " + " | ".join(cells) + f" | {_cell(swd)} |")

        def count(figure: str, sense: int, rows: list[dict[str, Any]] = rows) -> str:
            return f"{sum(sense * (r['model'][figure] - r['baseline'][figure]) >= 0 for r in rows)} of {len(rows)}"

        worst = max(m - b for m, b in zip(model, base, strict=True))
        checks.append(
            f"| {picture} | {worst:+.3f} | {max(swd):.2f} | {count('coverage', 1)} | {count('on_shape', 1)} "
            f"| {count('copies', -1)} |"
        )
    return "\n".join(lines) + "\n\n" + "\n".join(checks) + "\n\n" + paintings_table(tag, pictures)


def paintings_table(tag: str, pictures: list[str]) -> str:
    """Per picture, the paintings' figures (metrics.json `picture`) of the model and of the mixture over the seeds."""
    lines = ["| data | color_error: model | mixture | painted: model | mixture | model's color_error ≤ mixture's |"]
    lines.append("|---|---|---|---|---|---|")
    for picture in pictures:
        rows = [r for r in _runs(tag, picture) if "picture" in r]
        if not rows:
            continue
        figures = {(who, f): [r["picture"][who][f] for r in rows] for who in ("model", "mixture") for f in FIGURES}
        better = sum(
            m <= b for m, b in zip(*(figures[who, "color_error"] for who in ("model", "mixture")), strict=True)
        )
        cells = [_cell(figures[who, f]) for f in FIGURES for who in ("model", "mixture")]
        lines.append(f"| {picture} | " + " | ".join(cells) + f" | {better} of {len(rows)} |")
    return "\n".join(lines)


FIGURES = ("color_error", "painted")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pictures", default="quiz,synthetic,word.jpg,logo.png,photo.png,dots.png,sign.jpg,amp.png,shapes.png"
    )
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--tag", default="defaults", help="a name for this configuration (its folder, its rows)")
    parser.add_argument("--table", action="store_true", help="only print the table of the finished runs")
    parser.add_argument("overrides", nargs="*", metavar="key=value")
    args = parser.parse_args()
    if args.table:
        print(results_table(args.tag, args.pictures.split(",")))
        return
    make_pictures(OUT)
    tables = []
    for picture in args.pictures.split(","):
        settings = [*args.overrides, *data_overrides(picture), f"seed={args.seeds}", "gen_every_epochs=0"]
        grid = load_grid(ROOT / "config.yaml", [*settings, "evaluate=true"])
        rows = run_sweep(grid, str(OUT / "runs" / args.tag / picture))
        with (OUT / "quality.jsonl").open("a") as log:
            for row in rows:
                log.write(json.dumps({"picture": picture, "tag": args.tag, "overrides": args.overrides, **row}) + "\n")
        tables.append(f"\n{picture} ({args.tag}):\n{group_table(rows)}")
    print("\n".join(tables))


if __name__ == "__main__":
    main()
