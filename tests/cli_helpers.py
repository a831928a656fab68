"""The command line as a user runs it: `python main.py ...` in a subprocess, and a tiny config for it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

TINY = [
    "dataset=synthetic",
    "num_points=2000",
    "epochs=2",
    "batch_size=256",
    "hidden_dim=16",
    "num_head=2",
    "latent_dim=3",
    "prior_components=4",
    "gen_every_epochs=1",
    "num_gen_points=400",
    "threads=1",
]


def run(*args: str, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check:
        assert proc.returncode == 0, proc.stderr[-2000:]
    return proc
