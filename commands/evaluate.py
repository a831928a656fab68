"""`python main.py evaluate`: score a checkpoint beside the mixture baseline and the floor, with the diagnostic
and the second classifier (c2st_mlp)."""

from __future__ import annotations

import dataclasses
from typing import Any

from commands.evaluation import score, too_few_points
from commands.report_page import write_evaluation_report
from commands.run_folder import prepare_result_dir
from commands.runtime import setup_runtime
from commands.verdict import print_evaluation, summary
from data import DATA_KEYS, load_dataset
from models import load_trained
from utils.checkpoint import CHECKPOINT_NAME
from utils.config import Config
from utils.errors import UserError
from utils.io import write_json


def run_evaluate(cfg: Config) -> dict[str, Any]:
    """Writes metrics.json and report.html into result_path; returns the evaluation."""
    setup_runtime(cfg)
    result_dir = prepare_result_dir(cfg.result_path)
    trained = load_trained(result_dir / CHECKPOINT_NAME)
    run_cfg = trained.state["config"]
    # score against the points of the run's own split: its data, seed and holdout
    dataset = load_dataset(dataclasses.replace(cfg, **{key: run_cfg[key] for key in DATA_KEYS}))
    unscored = too_few_points(dataset)
    if unscored is not None:
        raise UserError(f"cannot evaluate: {unscored}.")
    scored = score(trained.model, dataset, run_cfg["seed"], baseline=True, diagnostic=True)
    report = scored.report
    report["verdict"] = summary(report)
    write_json(result_dir / "metrics.json", report)
    print_evaluation(report)
    write_evaluation_report(result_dir, trained.state, scored, trained.model, dataset)
    return report
