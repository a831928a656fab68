"""The command line as a user runs it: `python main.py ...` in a subprocess."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from models import colored_pi_generator
from tests.cli_helpers import TINY, run, wait_for_epoch
from tests.conftest import ROOT
from utils.plotting import title_height

pytestmark = pytest.mark.slow  # every test here runs `python main.py` in a fresh process

# main.py as a terminal runs it: a shell's background job (a CI script, `cmd &`) inherits SIGINT ignored,
# and Python then ignores Ctrl-C too; this restores Python's own handler first
WITH_CTRL_C = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


def digest(folder: Path) -> dict[str, str]:
    """Hashes of the results in `folder` (not .lock, which only names the last run that held the folder)."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != ".lock"
    }


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """One tiny training run through the CLI, shared by the tests below."""
    result = tmp_path_factory.mktemp("run") / "result"
    run(*TINY, f"result_path={result}", "evaluate=true", f"data_dir={result.parent / 'none'}")
    return result


def test_training_writes_every_result_file(trained: Path):
    names = {p.name for p in trained.iterdir()}
    expected = {
        "epoch_001.png",
        "epoch_002.png",
        "training.gif",
        "loss.png",
        "losses.csv",
        "samples.npy",
        "config.yaml",
        "checkpoint.pt",
        "metrics.json",
        "report.html",
        "real_vs_generated.png",
        "picture.png",
        "latent.png",
        "features.png",
        "color_profile.png",
    }
    assert expected <= names
    assert ".run" not in names  # the run's in-progress state is gone once it is published
    assert iio.improps(trained / "training.gif", index=None).shape[0] == 2  # one frame per epoch
    samples = np.load(trained / "samples.npy")
    assert samples.shape == (400, 5)
    assert samples.dtype == np.float32
    cfg = yaml.safe_load((trained / "config.yaml").read_text())
    assert cfg["epochs"] == 2
    assert cfg["dataset"] == "synthetic"
    state = torch.load(trained / "checkpoint.pt", map_location="cpu", weights_only=True)
    assert {"model", "optimizer", "config", "epoch", "history", "rng"} <= set(state)
    assert state["epoch"] == 2
    report = json.loads((trained / "metrics.json").read_text())
    assert set(report["model"]) == set(report["floor"]) >= {"swd", "coverage", "c2st", "on_shape", "copies"}
    assert "c2st_mlp" not in report["model"]  # the second classifier is `evaluate`'s
    assert report["protocol"] == "fresh draw"
    assert set(report["verdict"]) == {"grade", "passed", "c2st_gap", "noise"}
    assert set(report["spread"]["model"]) == set(report["model"])
    assert set(report["features"]["model"]["marginals"]) == {"x", "y", "r", "g", "b"}
    lines = (trained / "losses.csv").read_text().splitlines()
    assert lines[0] == "epoch,total,recons,kld,beta,lr,seconds"
    assert [line.split(",")[0] for line in lines[1:]] == ["1", "2"]


def test_report_references_only_existing_files_and_every_figure(trained: Path):
    page = (trained / "report.html").read_text()
    references = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert {"real_vs_generated.png", "latent.png", "loss.png", "training.gif", "epoch_001.png"} <= set(references)
    for name in references:
        assert (trained / name).is_file(), name
    for figure in json.loads((trained / "metrics.json").read_text())["model"]:
        assert f"<th>{figure}</th>" in page, figure
    for fact in ("built-in π", "parameters", "torch", "wall time", "epochs"):
        assert fact in page, fact
    body = page[page.index("<body>") :]
    assert re.match(r'<body>\s*<p class="lead (pass|fail)" id="verdict">(PASS|FAIL): ', body)  # the verdict first


def test_frames_keep_the_pictures_aspect_ratio(tmp_path: Path):
    """A wide picture gives wide frames: each point paints its own pixel, upright."""
    rgb = np.zeros((60, 180, 3), dtype=np.uint8)
    rgb[10:50, 20:160] = (200, 120, 40)
    Image.fromarray(rgb).save(tmp_path / "wide.png")
    result = tmp_path / "result"
    run(
        *TINY,
        "dataset=image",
        f"image_path={tmp_path / 'wide.png'}",
        "num_points=1000",
        f"result_path={result}",
        "evaluate=false",
    )
    frame = iio.imread(result / "epoch_002.png")
    height, width = frame.shape[:2]
    assert width == 180 * 2  # scaled up by 2 to reach 320 pixels on the long side
    bar = title_height(width)
    assert height == 60 * 2 + bar
    painted = frame[bar:, :, :3].max(axis=2)[::2, ::2] > 0  # back to picture pixels: (60, 180)
    inside, outside = (
        painted[10:50, 20:160].mean(),
        np.concatenate([painted[:, :15].ravel(), painted[:, 165:].ravel()]).mean(),
    )
    assert inside > 3 * outside  # points land on the block (upright, not transposed), a few strays aside


def test_generate_npy_and_csv(trained: Path, tmp_path: Path):
    for name in ("a.npy", "b.npy"):
        run("generate", "-n", "1000", "-o", str(tmp_path / name), "--seed", "7", f"result_path={trained}")
    a, b = np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy")
    assert a.shape == (1000, 5)
    assert np.array_equal(a, b)
    run("generate", "-n", "10", "-o", str(tmp_path / "c.csv"), f"result_path={trained}")
    lines = (tmp_path / "c.csv").read_text().splitlines()
    assert lines[0] == "x,y,r,g,b"
    assert len(lines) == 11


def test_generate_paints_a_png_of_the_pictures_size(trained: Path, tmp_path: Path):
    """generate -o FILE.png: the picture's size (the built-in π: 300 x 300), its background (black) where no point
    lands, and each painted pixel the mean color of the points on it."""
    proc = run("generate", "-n", "30000", "-o", str(tmp_path / "p.png"), "--seed", "1", f"result_path={trained}")
    assert "painted 30000 points" in proc.stdout
    image = iio.imread(tmp_path / "p.png")
    assert image.shape == (300, 300, 3)
    painted = image.max(axis=2) > 0
    assert 0.05 < painted.mean() < 0.6  # points on and around the π, the rest background
    run("generate", "-n", "30000", "-o", str(tmp_path / "p.npy"), "--seed", "1", f"result_path={trained}")
    same = np.load(tmp_path / "p.npy")  # the same seed: the same points, painted by hand
    rows, cols = np.clip(np.rint(same[:, 0]), 0, 299).astype(int), np.clip(np.rint(same[:, 1]), 0, 299).astype(int)
    on_pixel = (rows == rows[0]) & (cols == cols[0])
    np.testing.assert_array_equal(image[rows[0], cols[0]], np.rint(same[on_pixel, 2:5].mean(axis=0)))


def test_a_handful_of_points_trains_and_says_what_it_could_not_score(tmp_path: Path):
    """num_points=3: the run trains and publishes, and says it has too few points to score; no traceback."""
    rgb = np.zeros((40, 40, 3), dtype=np.uint8)
    rgb[5:35, 5:35] = (200, 120, 40)
    Image.fromarray(rgb).save(tmp_path / "block.png")
    result = tmp_path / "result"
    proc = run(*TINY, "dataset=image", f"image_path={tmp_path / 'block.png'}", "num_points=3", f"result_path={result}")
    assert "not evaluated: 3 training and 3 test points are too few to score" in proc.stdout
    assert "Traceback" not in proc.stderr
    assert (result / "checkpoint.pt").is_file()
    assert (result / "picture.png").is_file()
    assert not (result / "metrics.json").exists()
    assert "too few to score" in (result / "report.html").read_text()


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
    proc = run(*TINY, f"result_path={again}", "evaluate=true", f"data_dir={tmp_path / 'none'}")
    # not a terminal: plain progress lines instead of tqdm's carriage-return updates
    assert "epoch 2/2 loss=" in proc.stdout
    assert "\r" not in proc.stderr
    # metrics.json is computed from freshly generated points: equal files mean equal samples
    assert (again / "metrics.json").read_text() == (trained / "metrics.json").read_text()
    first = torch.load(trained / "checkpoint.pt", weights_only=True)
    second = torch.load(again / "checkpoint.pt", weights_only=True)
    for key in ("total", "recons", "kld", "beta", "lr"):  # "seconds" is wall time
        assert first["history"][key] == second["history"][key], key
    for key in first["model"]:
        assert torch.equal(first["model"][key], second["model"][key]), key


def test_bad_input_in_a_fresh_process_is_one_line_and_exit_2(tmp_path: Path):
    """As a user meets it: no traceback, one `error:` line (every other case is tested in-process)."""
    proc = run("epoch=3", check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == "error: unknown config key 'epoch' in the command line. Did you mean 'epochs'?"


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


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stop_signal_saves_and_resume_finishes(tmp_path: Path, signum: int, code: int):
    result = tmp_path / "result"
    args = [*TINY, "epochs=40", "evaluate=false", f"result_path={result}", f"data_dir={tmp_path / 'none'}"]
    proc = subprocess.Popen(
        [sys.executable, "-c", WITH_CTRL_C, str(ROOT / "main.py"), *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    # the state of epoch 2 is on disk once epoch 2 is the run's last finished epoch (its frame comes earlier)
    wait_for_epoch(result / ".run" / "state.pt", 2, proc)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err[-2000:]
    assert "resume=true" in out
    assert "Traceback" not in err
    epoch = torch.load(result / "checkpoint.pt", weights_only=True)["epoch"]
    assert 2 <= epoch < 40
    run(*args, "resume=true", "epochs=6" if epoch < 6 else f"epochs={epoch + 1}")
    state = torch.load(result / "checkpoint.pt", weights_only=True)
    assert state["epoch"] == max(6, epoch + 1)
    assert len(state["history"]["total"]) == state["epoch"]
    assert len(list(result.glob("epoch_*.png"))) == state["epoch"]  # frames before and after the stop


def test_evaluate_puts_model_baseline_and_floor_side_by_side(trained: Path, tmp_path: Path):
    trained = Path(shutil.copytree(trained, tmp_path / "copy"))  # evaluate rewrites metrics.json and the report
    proc = run("evaluate", f"result_path={trained}")
    assert "| figure | model | baseline | floor | target | met |" in proc.stdout
    assert "diagnostic" in proc.stdout
    report = json.loads((trained / "metrics.json").read_text())
    assert set(report["baseline"]) == set(report["model"]) == set(report["floor"])
    assert "c2st_mlp" in report["model"]  # the second classifier
    assert set(report["diagnostic"]) == {"prior", "posterior", "posterior_mean"}
    assert report["protocol"] == "fresh draw"
    assert any("mixture" in target["goal"] for target in report["targets"])
    page = (trained / "report.html").read_text()
    assert "<th>mixture</th>" in page
    assert "Where a gap comes from" in page


def test_compare_is_the_sweep_over_the_models(tmp_path: Path):
    result = tmp_path / "result"
    proc = run("compare", *TINY, "epochs=1", f"result_path={result}", f"data_dir={tmp_path / 'none'}")
    assert "| figure | transformer_vae | vanilla_vae | mixture | floor |" in proc.stdout
    page = (result / "sweep.html").read_text()
    for name in ("model=transformer_vae", "model=vanilla_vae"):
        assert f'<a href="{name}/report.html"><img src="sweep_files/{name}.png"' in page
        assert (result / name / "report.html").is_file()
    assert f"{result / 'sweep.html'}" in proc.stdout
