"""Runs that end badly end well: kill -9 and resume, a locked folder, a stale lock, a failing write, streaming."""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import utils.io
from commands.generate import run_generate
from commands.train import run_train
from models import colored_pi_generator
from tests.cli_helpers import TINY, epoch_on_disk, run, wait_for_epoch
from tests.conftest import ROOT, with_
from utils.config import load_config
from utils.errors import UserError
from utils.lock import LOCK_NAME, RunLock


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_kill_9_then_resume_equals_an_uninterrupted_run(tmp_path: Path):
    args = [*TINY, "epochs=12", "evaluate=false", f"data_dir={tmp_path / 'none'}"]  # 10 epochs of margin for the kill
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), *args, f"result_path={killed}"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    state = killed / ".run" / "state.pt"
    wait_for_epoch(state, 2, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    lost_at = epoch_on_disk(state)
    assert 2 <= lost_at < 12, "the kill must land mid-run"
    assert not (killed / "checkpoint.pt").exists()  # nothing published: no finished run to show
    run(*args, f"result_path={killed}", "resume=true")
    run(*args, f"result_path={whole}")
    a, b = (torch.load(folder / "checkpoint.pt", weights_only=True) for folder in (killed, whole))
    assert a["epoch"] == b["epoch"] == 12
    for key in ("total", "recons", "kld", "beta", "lr"):
        assert a["history"][key] == b["history"][key], key
    for key, value in a["model"].items():
        assert torch.equal(value, b["model"][key]), key
    for name in ["samples.npy", *(f"epoch_{e:03d}.png" for e in range(1, 13))]:
        assert _digest(killed / name) == _digest(whole / name), name  # frames too: same noise, same fits


@pytest.mark.slow
def test_a_second_run_on_a_locked_folder_stops_at_once(tmp_path: Path):
    result = tmp_path / "result"
    result.mkdir()
    with RunLock(result):  # another training run holds the folder
        started = time.time()
        proc = run(*TINY, f"result_path={result}", check=False)
        assert time.time() - started < 30
    assert proc.returncode == 2
    assert f"in use by another training run (pid {os.getpid()}" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (result / "checkpoint.pt").exists()


@pytest.mark.slow
def test_a_stale_lock_is_taken_over(tmp_path: Path):
    """A lock file left by a dead process holds nobody: the next run proceeds."""
    result = tmp_path / "result"
    result.mkdir()
    (result / LOCK_NAME).write_text("pid 999999, started long ago")
    run(*TINY, f"result_path={result}", "evaluate=false")
    assert (result / "checkpoint.pt").is_file()


def test_a_failing_write_keeps_earlier_results(tiny_cfg, monkeypatch, capsys):
    """Disk full while a run publishes: one clear message, the earlier run's files unchanged."""
    cfg = with_(tiny_cfg, epochs=1)
    run_train(cfg)
    result = Path(cfg.result_path)
    before = {p.name: _digest(p) for p in result.iterdir() if p.is_file() and p.name != LOCK_NAME}
    real_replace, calls = os.replace, {"n": 0}

    def replace(src: str, dst: str) -> None:
        calls["n"] += 1
        if str(dst).endswith("samples.npy"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(utils.io.os, "replace", replace)
    with pytest.raises(UserError, match=r"could not write .*samples.npy.*No space left on device.*intact"):
        run_train(with_(cfg, seed=1))
    after = {p.name: _digest(p) for p in result.iterdir() if p.is_file() and p.name in before}
    assert after == before
    assert not list(result.glob(".*.tmp"))  # no temp file left behind


@pytest.mark.slow
def test_generate_streams_the_same_points_as_one_call(tmp_path: Path, monkeypatch):
    """Chunks of the stream equal one colored_pi_generator call; .npy and .csv both complete."""
    monkeypatch.setattr("models.vae.BLOCK", 256)
    monkeypatch.setattr("models.trained.STREAM_CHUNK", 512)  # 1300 points in 3 chunks of 2 blocks
    result = tmp_path / "result"
    run(*TINY, f"result_path={result}", "evaluate=false", "epochs=1")
    cfg = load_config(None, [f"result_path={result}", "threads=1"])
    run_generate(cfg, 1300, str(tmp_path / "p.npy"), seed=4)
    run_generate(cfg, 1300, str(tmp_path / "p.csv"), seed=4)
    expected = colored_pi_generator(1300, result / "checkpoint.pt", seed=4)
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), expected)
    csv = np.loadtxt(tmp_path / "p.csv", delimiter=",", skiprows=1)
    np.testing.assert_allclose(csv, expected, atol=5e-4)
    assert not list(tmp_path.glob(".*.tmp"))
