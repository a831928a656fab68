"""The command line as a user runs it: `python main.py ...` in a subprocess."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import torch
import yaml

from models import colored_pi_generator
from tests.conftest import ROOT

TINY = [
    "dataset=synthetic",
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
        [sys.executable, str(ROOT / "main.py"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    if check:
        assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """One tiny training run through the CLI, shared by the tests below."""
    result = tmp_path_factory.mktemp("run") / "result"
    run(*TINY, f"result_path={result}", "evaluate=true", f"data_dir={result.parent / 'none'}")
    return result


def test_training_writes_every_result_file(trained: Path):
    names = {p.name for p in trained.iterdir()}
    assert {
        "epoch_001.png",
        "epoch_002.png",
        "training.gif",
        "loss.png",
        "samples.npy",
        "config.yaml",
        "checkpoint.pt",
        "metrics.json",
    } <= names
    assert ".staging" not in names
    assert iio.improps(trained / "training.gif", index=None).shape[0] == 2  # one frame per epoch
    samples = np.load(trained / "samples.npy")
    assert samples.shape == (400, 5)
    assert samples.dtype == np.float32
    assert samples[:, :2].min() >= 0
    assert samples[:, :2].max() <= 299
    assert samples[:, 2:].min() >= 0
    assert samples[:, 2:].max() <= 255
    cfg = yaml.safe_load((trained / "config.yaml").read_text())
    assert cfg["epochs"] == 2
    assert cfg["dataset"] == "synthetic"
    state = torch.load(trained / "checkpoint.pt", map_location="cpu", weights_only=True)
    assert {"model", "optimizer", "config", "epoch", "history"} <= set(state)
    assert state["epoch"] == 2
    report = json.loads((trained / "metrics.json").read_text())
    assert set(report["model"]) == set(report["floor"]) >= {"swd", "coverage", "c2st", "on_shape", "copies"}


def test_generate_npy_and_csv(trained: Path, tmp_path: Path):
    for name in ("a.npy", "b.npy"):
        run("generate", "-n", "1000", "-o", str(tmp_path / name), "--seed", "7", f"result_path={trained}")
    a, b = np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy")
    assert a.shape == (1000, 5)
    assert np.array_equal(a, b)
    assert a[:, :2].min() >= 0
    assert a[:, :2].max() <= 299
    assert a[:, 2:].max() <= 255
    run("generate", "-n", "10", "-o", str(tmp_path / "c.csv"), f"result_path={trained}")
    lines = (tmp_path / "c.csv").read_text().splitlines()
    assert lines[0] == "x,y,r,g,b"
    assert len(lines) == 11


def test_colored_pi_generator(trained: Path):
    ckpt = trained / "checkpoint.pt"
    a, b = colored_pi_generator(300, checkpoint=ckpt), colored_pi_generator(300, checkpoint=ckpt)
    assert a.shape == (300, 5)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(colored_pi_generator(50, ckpt, seed=1), colored_pi_generator(50, ckpt, seed=1))


def test_retrain_false_only_generates(trained: Path):
    before = (trained / "checkpoint.pt").stat().st_mtime_ns
    proc = run("retrain=false", "num_gen_points=123", f"result_path={trained}")
    assert "samples.npy" in proc.stdout
    assert np.load(trained / "samples.npy").shape == (123, 5)
    assert (trained / "samples.png").is_file()
    assert (trained / "checkpoint.pt").stat().st_mtime_ns == before


def test_same_seed_is_bit_identical(trained: Path, tmp_path: Path):
    again = tmp_path / "again"
    run(*TINY, f"result_path={again}", "evaluate=true", f"data_dir={tmp_path / 'none'}")
    # metrics.json is computed from freshly generated points: equal files mean equal samples
    assert (again / "metrics.json").read_text() == (trained / "metrics.json").read_text()
    first = torch.load(trained / "checkpoint.pt", weights_only=True)
    second = torch.load(again / "checkpoint.pt", weights_only=True)
    assert first["history"] == second["history"]
    for key in first["model"]:
        assert torch.equal(first["model"][key], second["model"][key]), key


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["epoch=3"], "unknown config key 'epoch'"),
        (["hidden_dim=30", "num_head=4"], "divisible by num_head"),
        (["epochs=-2"], "'epochs' must be > 0"),
        (["dataset=quiz", "data_dir=/nonexistent/quiz"], "data_dir '/nonexistent/quiz' does not exist"),
        (["retrain=false", "result_path={tmp}/empty"], "no checkpoint at"),
        (["result_path={tmp}/file.txt/sub"], "is not writable"),
        (["--config", "{tmp}/nope.yaml"], "config file"),
        (["trian"], "unknown command 'trian'; did you mean 'train'?"),
    ],
)
def test_bad_input_is_one_clear_message(tmp_path: Path, args: list[str], message: str):
    (tmp_path / "file.txt").write_text("a file, not a folder")
    proc = run(*[a.format(tmp=tmp_path) for a in args], check=False)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
def test_cuda_without_gpu_is_a_clear_error():
    proc = run("device=cuda", "dataset=synthetic", check=False)
    assert proc.returncode == 2
    assert "no CUDA GPU" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_failed_run_keeps_earlier_results(trained: Path):
    before = digest(trained)
    proc = run("dataset=quiz", "data_dir=/nonexistent", f"result_path={trained}", check=False)
    assert proc.returncode == 2
    assert digest(trained) == before


def test_ctrl_c_saves_and_resume_finishes(tmp_path: Path):
    result = tmp_path / "result"
    args = [*TINY, "epochs=40", f"result_path={result}", f"data_dir={tmp_path / 'none'}"]
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 120
    while not (result / ".staging" / "epoch_002.png").exists() and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "resume=true" in out
    assert "Traceback" not in err
    epoch = torch.load(result / "checkpoint.pt", weights_only=True)["epoch"]
    assert 2 <= epoch < 40
    run(*args, "resume=true")
    state = torch.load(result / "checkpoint.pt", weights_only=True)
    assert state["epoch"] == 40
    assert len(state["history"]["total"]) == 40
    assert len(list(result.glob("epoch_*.png"))) == 40  # frames before and after the interruption
