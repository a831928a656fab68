"""Time the default run and generation on this machine; prints figures, asserts nothing.

    python benchmarks/benchmark.py [key=value ...]      (same overrides as main.py)

Runs `commands.run_train` itself and reads the wall time of each phase that the run records
(utils/timing.py), so what is timed is exactly what `python main.py` does (less the interpreter's
start and the imports: `time python main.py` adds those). Then times 1,000,000 points from the
checkpoint. Run it with nothing else busy on the machine: two torch processes on 2 cores slow each
other many times over.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch

from commands.train import run_train
from models import load_trained, sample_points
from utils.checkpoint import CHECKPOINT_NAME
from utils.config import load_config


def peak_rss_mib() -> str:
    """This process's peak resident memory; the `resource` module exists on Linux and macOS only."""
    try:
        import resource
    except ImportError:  # Windows: the Task Manager's peak working set is the figure to read there
        return "not measured on this system"
    per_mib = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / per_mib:.0f} MiB"


PHASES = {  # utils/timing.py's phase names in a run (commands/train.py) -> what this table calls them
    "data loading": "data loading",
    "training": "training steps",
    "sampling": "sampling: frames and samples.npy",
    "frames": "drawing the frames",
    "pictures": "GIF, loss plot, side-by-side, latent plot",
    "evaluation": "evaluation",
    "report": "report.html",
}


def main(overrides: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_config(ROOT / "config.yaml", [f"result_path={tmp}", *overrides])
        start = time.perf_counter()
        outputs = run_train(cfg)
        total = time.perf_counter() - start
        assert outputs.dataset is not None, "run_train returns its data"
        steps = sum(1 for _ in range(0, len(outputs.dataset.train), cfg.batch_size)) * cfg.epochs
        trained = load_trained(Path(tmp) / CHECKPOINT_NAME)
        sample_points(trained.model, trained.scaler, 10_000, seed=0)  # warm up
        times = []
        for repeat in range(3):
            start = time.perf_counter()
            million = sample_points(trained.model, trained.scaler, 1_000_000, seed=repeat)
            times.append(time.perf_counter() - start)
        assert million.shape == (1_000_000, trained.scaler.n_features)

    print(
        f"\nbenchmark: {cfg.model}, {cfg.epochs} epochs, batch {cfg.batch_size}, {outputs.dataset.describe()}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    print("| phase | seconds | share |\n|---|---|---|")
    seconds = outputs.seconds
    rows = {label: seconds.get(name, 0.0) for name, label in PHASES.items()}
    training = seconds.get("training", 0.0)
    rows[f"training steps ({steps} steps, {steps / training:.0f} steps/s)"] = rows.pop("training steps")
    rows["other (checkpoints every epoch, files)"] = total - sum(rows.values())
    for name, value in rows.items():
        print(f"| {name} | {value:.1f} | {value / total:.0%} |")
    print(f"| **whole run, in-process** | **{total:.1f}** | |")
    pictures = sum(seconds.get(name, 0.0) for name in ("sampling", "frames", "pictures", "report"))
    print(f"\npictures and frame sampling: {pictures:.1f} s, {pictures / total:.0%} of the run")
    print(f"generate 1,000,000 points: {', '.join(f'{t:.2f}' for t in times)} s (median {sorted(times)[1]:.2f} s)")
    print(f"peak memory (max RSS): {peak_rss_mib()}")


if __name__ == "__main__":
    main(sys.argv[1:])
