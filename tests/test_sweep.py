"""Sweeps: every combination a run, one table, resumed after a kill, and the same figures on a Dask cluster."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from commands.sweep import run_sweep
from tests.cli_helpers import TINY, wait_for_epoch
from tests.conftest import ROOT
from utils.config import load_grid

# tiny runs: 2 epochs, no frames; evaluation on (a sweep's table needs it)
SMALL = [*TINY, "num_gen_points=300", "gen_every_epochs=0"]


@pytest.mark.slow  # four whole training runs, each evaluated
def test_a_2x2_sweep_is_four_runs_and_one_table(tmp_path: Path):
    grid = load_grid(None, [*SMALL, "seed=0,1", "latent_dim=2,3", f"data_dir={tmp_path / 'none'}"])
    rows = run_sweep(grid, str(tmp_path / "sweep"))
    names = ["seed=0,latent_dim=2", "seed=0,latent_dim=3", "seed=1,latent_dim=2", "seed=1,latent_dim=3"]
    assert [row["run"] for row in rows] == names
    for row in rows:  # each run is a whole run with its own files, and its row holds its figures
        folder = tmp_path / "sweep" / row["run"]
        metrics = json.loads((folder / "metrics.json").read_text())
        assert row["evaluation"]["model"] == metrics["model"]
        assert {"checkpoint.pt", "samples.npy", "report.html"} <= {p.name for p in folder.iterdir()}
    lines = (tmp_path / "sweep" / "sweep.csv").read_text().splitlines()
    assert lines[0].startswith("run,seed,latent_dim,c2st,")
    assert lines[0].endswith(
        ",painting_color_error,painting_painted,mixture_c2st,floor_c2st,grade,passed,checks_met,seconds,worker"
    )
    assert [line.split(",")[0:3] for line in lines[1:]] == [
        ['"seed=0', 'latent_dim=2"', "0"],
        ['"seed=0', 'latent_dim=3"', "0"],
        ['"seed=1', 'latent_dim=2"', "1"],
        ['"seed=1', 'latent_dim=3"', "1"],
    ]
    summary = (tmp_path / "sweep" / "sweep.md").read_text()
    assert "## latent_dim=2: seeds 0, 1" in summary  # runs that differ only in seed, grouped
    assert "## latent_dim=3: seeds 0, 1" in summary
    c2st = [row["evaluation"]["model"]["c2st"] for row in rows if row["swept"]["latent_dim"] == 2]
    assert f"| c2st | {sum(c2st) / 2:.3f} ({min(c2st):.3f}..{max(c2st):.3f}) |" in summary
    page = (tmp_path / "sweep" / "sweep.html").read_text()
    passes = sum(row["evaluation"]["verdict"]["passed"] for row in rows)
    assert f'id="verdict">{passes} of 4 pass; seed=0,latent_dim=2: ' in page  # the page opens with the verdicts
    for name in names:  # every run's picture, linked to its own report
        assert f'<a href="{name}/report.html"><img src="sweep_files/{name}.png"' in page
        assert (tmp_path / "sweep" / "sweep_files" / f"{name}.png").is_file()
    assert (
        page.index("seed=0,latent_dim=2.png")
        < page.index("seed=1,latent_dim=2.png")
        < page.index("seed=0,latent_dim=3.png")
    )  # a row per latent_dim, the seeds side by side
    assert (tmp_path / "sweep" / "sweep_files" / "loss.png").is_file()


@pytest.mark.slow
def test_a_killed_sweep_resumes_with_the_same_command(tmp_path: Path):
    result = tmp_path / "sweep"
    # 200 epochs of one step each (about a second): the kill lands while seed=1 still trains, however
    # late after its epoch 2 the poll below sees it
    command = [sys.executable, str(ROOT / "main.py"), "sweep", *SMALL, "seed=0,1", "epochs=200"]
    command += [f"result_path={result}", f"data_dir={tmp_path / 'none'}"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_epoch(result / "seed=1" / ".run" / "state.pt", 2, proc)  # seed=0 is finished, seed=1 half-way
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    first = (result / "seed=0" / "checkpoint.pt").stat().st_mtime_ns
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "2 runs into" in again.stdout
    assert "1 finished before, 1 to go" in again.stdout
    assert f"resuming from {result / 'seed=1' / '.run' / 'state.pt'}" in again.stdout
    assert (result / "seed=0" / "checkpoint.pt").stat().st_mtime_ns == first  # the finished run is kept
    rows = json.loads((result / "sweep.json").read_text())
    assert [row["run"] for row in rows] == ["seed=0", "seed=1"]


def test_bad_values_stop_a_sweep_before_its_first_run(tmp_path: Path):
    from utils.errors import UserError

    with pytest.raises(UserError, match=r"'latent_dim' must be > 0"):
        load_grid(None, ["seed=0,1", "latent_dim=4,0"])
    with pytest.raises(UserError, match=r"cannot sweep 'result_path'"):
        load_grid(None, ["result_path=a,b"])
    with pytest.raises(UserError, match=r"'seed=0,,1' has an empty value"):
        load_grid(None, ["seed=0,,1"])
    with pytest.raises(UserError, match=r"unknown config key 'seeds'"):
        load_grid(None, ["seeds=0,1"])


def _start(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dask", *args], cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


@pytest.mark.slow
def test_a_sweep_on_a_local_dask_cluster_gives_the_same_figures(tmp_path: Path):
    distributed = pytest.importorskip("distributed")
    address_file = tmp_path / "scheduler.json"
    where = ["--scheduler-file", str(address_file)]
    processes = [
        _start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", *where], tmp_path / "s.log")
    ]
    try:
        deadline = time.time() + 60
        while not address_file.is_file() and time.time() < deadline:
            time.sleep(0.1)
        for k in range(2):
            worker = ["worker", *where, "--nworkers", "1", "--nthreads", "1", "--no-dashboard", "--name", f"w{k}"]
            processes.append(_start(worker, tmp_path / f"w{k}.log"))
        with distributed.Client(scheduler_file=str(address_file), timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
            address = client.scheduler.address
        grid = load_grid(None, [*SMALL, "seed=0,1", f"data_dir={tmp_path / 'none'}"])
        on_cluster = run_sweep(grid, str(tmp_path / "cluster"), scheduler=address)
        local = run_sweep(grid, str(tmp_path / "local"))
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT if os.name != "nt" else signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    assert {row["worker"] for row in on_cluster} <= {"w0", "w1"}
    assert [row["evaluation"] for row in on_cluster] == [row["evaluation"] for row in local]  # runs are seeded
    assert (tmp_path / "cluster" / "seed=1" / "checkpoint.pt").is_file()  # the workers share this disk here
