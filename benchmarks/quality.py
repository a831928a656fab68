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

prints, from the finished runs alone, one Markdown table: per picture the model's mean and
lowest..highest over seeds beside the mixture's (the same seeds' training points), and each seed
checked against its own mixture: c2st <= mixture + 0.02, on-shape and coverage >= mixture - 0.015,
SWD <= 1.3x mixture.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pictures import make_pictures
from commands import run_sweep
from commands.sweep_summary import group_table
from utils.config import load_grid

OUT = ROOT / "benchmarks" / "out"


def data_overrides(picture: str) -> list[str]:
    if picture in ("quiz", "synthetic"):
        return [f"dataset={picture}"]
    return ["dataset=image", f"image_path={OUT / picture}"]


def _cell(values: list[float]) -> str:
    return f"{np.mean(values):.3f} ({min(values):.3f}..{max(values):.3f})"


def results_table(tag: str, pictures: list[str]) -> str:
    """The Markdown table of the module docstring, from benchmarks/out/runs/<tag>/<picture>/sweep.json."""
    head = "| data | c2st: model | mixture | on-shape: model | mixture | coverage: model | mixture | SWD ÷ mixture |"
    lines = [head, "|---|---|---|---|---|---|---|---|", ""]
    checks = {"c2st": 0, "on_shape": 0, "coverage": 0, "swd": 0}
    total = 0
    for picture in pictures:
        path = OUT / "runs" / tag / picture / "sweep.json"
        if not path.is_file():
            continue
        rows = [row["evaluation"] for row in json.loads(path.read_text())]
        model = {k: [r["model"][k] for r in rows] for k in ("c2st", "on_shape", "coverage", "swd")}
        base = {k: [r["baseline"][k] for r in rows] for k in ("c2st", "on_shape", "coverage", "swd")}
        ratio = [m / b for m, b in zip(model["swd"], base["swd"], strict=True)]
        cells = [f"{_cell(model[k])} | {_cell(base[k])}" for k in ("c2st", "on_shape", "coverage")]
        lines.insert(-1, f"| {picture} ({len(rows)} seeds) | " + " | ".join(cells) + f" | {_cell(ratio)} |")
        for r in rows:
            m, b = r["model"], r["baseline"]
            checks["c2st"] += m["c2st"] <= b["c2st"] + 0.02
            checks["on_shape"] += m["on_shape"] >= b["on_shape"] - 0.015
            checks["coverage"] += m["coverage"] >= b["coverage"] - 0.015
            checks["swd"] += m["swd"] <= 1.3 * b["swd"]
        total += len(rows)
    goals = {"c2st": "<= mixture + 0.02", "on_shape": ">= mixture - 0.015", "coverage": ">= mixture - 0.015"}
    goals["swd"] = "<= 1.3x mixture"
    met = ", ".join(f"{k} {goals[k]}: {v}/{total}" for k, v in checks.items())
    return "\n".join(lines[:-1]) + f"\n\nruns that meet each target (against their own mixture): {met}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", default="quiz,word.jpg,logo.png,photo.png,dots.png,sign.jpg")
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
