"""Runs on Linux, macOS and Windows: no Linux-only call without a fallback, any path, any device choice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from commands.runtime import pick_device, usable_cores
from tests.cli_helpers import TINY
from tests.conftest import ROOT
from utils.errors import UserError
from utils.lock import LOCK_NAME, RunLock

# Runs main.py as on macOS or Windows: no os.sched_getaffinity (Linux only), no fcntl (POSIX only).
AS_ON_WINDOWS = """
import os, runpy, sys
for name in ("sched_getaffinity", "process_cpu_count"):
    if hasattr(os, name):
        delattr(os, name)
sys.modules["fcntl"] = None  # `import fcntl` now raises ImportError
sys.argv = ["main.py", *sys.argv[1:]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_cores_without_an_affinity_call(monkeypatch):
    for name in ("sched_getaffinity", "process_cpu_count"):
        monkeypatch.delattr(os, name, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert usable_cores() == 3
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # "undeterminable", as the docs allow
    assert usable_cores() == 1


def test_device_choice(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("commands.runtime.mps_available", lambda: False)
    assert pick_device("auto").type == "cpu"
    with pytest.raises(UserError, match=r"device: cuda was asked for but no CUDA GPU"):
        pick_device("cuda")
    with pytest.raises(UserError, match=r"device: mps was asked for but torch sees no Apple GPU"):
        pick_device("mps")
    monkeypatch.setattr("commands.runtime.mps_available", lambda: True)
    assert pick_device("auto").type == "mps"  # no CUDA: an Apple GPU comes next
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device("auto").type == "cuda"


def test_without_an_os_lock_the_run_says_it_is_unlocked(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "fcntl", None)
    if sys.platform == "win32":
        monkeypatch.setattr(sys, "platform", "unknown")
    with RunLock(tmp_path), RunLock(tmp_path):  # nothing to hold: the second one goes on as well
        pass
    assert capsys.readouterr().out.count("no file lock") == 2
    assert not (tmp_path / LOCK_NAME).exists()


@pytest.mark.slow
def test_the_cli_without_linux_calls_and_with_spaces_and_non_ascii_in_paths(tmp_path: Path):
    folder = tmp_path / "my pictures ü π"
    folder.mkdir()
    rgb = np.zeros((60, 80, 3), dtype=np.uint8)
    rgb[10:50, 10:70] = (230, 120, 30)
    Image.fromarray(rgb).save(folder / "mon logo é.png")
    result = tmp_path / "résultats 1"
    args = [*TINY, "dataset=image", f"image_path={folder / 'mon logo é.png'}", "num_points=1000"]
    proc = subprocess.run(
        [sys.executable, "-c", AS_ON_WINDOWS, *args, f"result_path={result}", "evaluate=false"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
        check=False,
        env={**os.environ, "PYTHONUTF8": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "no file lock" in proc.stdout
    assert {"checkpoint.pt", "samples.npy", "training.gif", "report.html"} <= {p.name for p in result.iterdir()}
    assert "mon logo é.png" in (result / "report.html").read_text(encoding="utf-8")
