"""Quality on the quiz, the built-in π and the test pictures: model vs mixture baseline vs floor, per seed.

    python benchmarks/quality.py [--pictures quiz,synthetic,amp,shapes,word] [--seeds 0,1,2,3,4]
                                 [--diagnostic] [--tag NAME] [key=value ...]

For each picture and seed it trains config.yaml (+ the overrides) with that seed, then scores the
model with the project's evaluation (commands/evaluation.py: test points no model trained on, mean of 3
draws), beside the 128-component mixture baseline fitted on the same training points and the floor.
Prints a line per run and a summary per picture (mean, and min..max over seeds) with the
targets; appends every run to benchmarks/out/quality.jsonl. Asserts nothing: it prints figures.
Frames are switched off (gen_every_epochs=0): they do not change the trained model.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pictures import make_pictures
from commands import run_train
from commands.evaluation import score
from utils import tables
from utils.config import load_config

OUT = ROOT / "benchmarks" / "out"
SHOWN = ("c2st", "c2st_mlp", "on_shape", "coverage", "density", "swd", "color_err", "copies")


def data_overrides(picture: str) -> list[str]:
    if picture in ("quiz", "synthetic"):
        return [f"dataset={picture}"]
    return ["dataset=image", f"image_path={OUT / picture}"]


def run_one(picture: str, seed: int, overrides: list[str], diagnostic: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_config(
            ROOT / "config.yaml",
            [
                *overrides,
                *data_overrides(picture),
                f"seed={seed}",
                f"result_path={tmp}",
                "evaluate=false",
                "gen_every_epochs=0",
            ],
        )
        started = time.perf_counter()
        out = run_train(cfg)
        seconds = time.perf_counter() - started
    assert out.model is not None, "run_train returns its model"
    assert out.dataset is not None, "run_train returns its data"
    report = score(out.model, out.dataset, seed, baseline=True, diagnostic=diagnostic)
    report["seconds"] = seconds
    return report


def line(report: dict[str, Any]) -> str:
    model, base, floor = report["model"], report["baseline"], report["floor"]
    met = sum(t["met"] for t in report["targets"])
    return (
        f"  model    {' '.join(f'{k}={model[k]:.3f}' for k in SHOWN)}\n"
        f"  baseline {' '.join(f'{k}={base[k]:.3f}' for k in SHOWN)}\n"
        f"  floor    {' '.join(f'{k}={floor[k]:.3f}' for k in SHOWN)}\n"
        f"  targets met {met}/{len(report['targets'])}: "
        + ", ".join(f"{t['figure']} {'yes' if t['met'] else 'NO'}" for t in report["targets"])
    )


def summary(picture: str, reports: list[dict[str, Any]]) -> str:
    """Markdown rows: per figure, model / baseline / floor as mean (min..max) over seeds."""

    def cell(values: list[float]) -> str:
        return (
            f"{np.mean(values):.3f} ({min(values):.3f}..{max(values):.3f})" if len(values) > 1 else f"{values[0]:.3f}"
        )

    first = reports[0]
    seconds = np.mean([r["seconds"] for r in reports])
    rows = [
        (
            f"\n{picture}: {len(reports)} seed(s), {first['protocol']}, train {first['n_train']} / "
            f"test {first['n_test']} points, training {seconds:.0f} s"
        ),
    ]
    columns = {"model": "model", "mixture baseline": "baseline", "floor": "floor"}
    cells = {title: {name: cell([r[key][name] for r in reports]) for name in SHOWN} for title, key in columns.items()}
    rows.append(tables.markdown(cells))
    every: dict[str, int] = {}
    for report in reports:
        for target in report["targets"]:
            key = f"{target['figure']} {target['goal']}"
            every[key] = every.get(key, 0) + target["met"]
    rows.append("targets met (seeds): " + ", ".join(f"{k}: {v}/{len(reports)}" for k, v in every.items()))
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", default="quiz,synthetic,amp.png,shapes.png,word.jpg")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--diagnostic", action="store_true", help="also score posterior samples (slower)")
    parser.add_argument("--tag", default="", help="a name for this configuration in quality.jsonl")
    parser.add_argument("overrides", nargs="*", metavar="key=value")
    args = parser.parse_args()
    make_pictures(OUT)
    seeds = [int(s) for s in args.seeds.split(",")]
    tables = []
    for picture in args.pictures.split(","):
        reports = []
        for seed in seeds:
            report = run_one(picture, seed, args.overrides, args.diagnostic)
            print(
                f"\n{picture} seed {seed} ({args.tag or ' '.join(args.overrides) or 'defaults'}), "
                f"{report['seconds']:.0f} s\n{line(report)}",
                flush=True,
            )
            if "diagnostic" in report:
                for kind in ("posterior", "posterior_mean"):
                    d = report["diagnostic"][kind]
                    print(f"  {kind:15s} " + " ".join(f"{k}={d[k]:.3f}" for k in SHOWN))
            with (OUT / "quality.jsonl").open("a") as log:
                log.write(
                    json.dumps(
                        {"picture": picture, "seed": seed, "tag": args.tag, "overrides": args.overrides, **report}
                    )
                    + "\n"
                )
            reports.append(report)
        tables.append(summary(picture, reports))
    print("\n".join(tables))


if __name__ == "__main__":
    main()
