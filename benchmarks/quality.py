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
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", default="quiz,word.jpg,logo.png,photo.png,dots.png,sign.jpg")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--tag", default="defaults", help="a name for this configuration (its folder, its rows)")
    parser.add_argument("overrides", nargs="*", metavar="key=value")
    args = parser.parse_args()
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
