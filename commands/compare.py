"""`python main.py compare`: the sweep `model=<every registered model>`, with the sweep's own page.

Each model is a full run of the sweep (commands/sweep.py) in result_path/model=<name>/, with the
same data, seed and budget; result_path/sweep.html shows them side by side (their generated points,
each linked to its report, their figures beside the mixture and the floor, their loss curves), and
sweep.md holds the same table in Markdown.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from commands.sweep import run_sweep
from models import MODELS
from utils import tables
from utils.config import Config


def run_compare(cfg: Config) -> None:
    """Train every registered model (skipping those a sweep already finished), then print them side by side."""
    rows = run_sweep([({"model": name}, dataclasses.replace(cfg, model=name)) for name in MODELS], cfg.result_path)
    columns = {row["swept"]["model"]: row["evaluation"]["model"] for row in rows}
    columns |= {"mixture": rows[0]["evaluation"]["baseline"], "floor": rows[0]["evaluation"]["floor"]}
    print(tables.markdown(columns))
    for row in rows:
        print(
            f"{row['swept']['model']}: {'PASS' if row['evaluation']['verdict']['passed'] else 'FAIL'}, "
            f"{row['evaluation']['verdict']['grade']}"
        )
    print(f"the models side by side, with their pictures: {Path(cfg.result_path) / 'sweep.html'}")
