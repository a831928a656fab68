"""Our own code against the library that has the part: the latent mixture's EM, and the optimizer.

    python benchmarks/libraries.py [--rounds 3]

1. The latent mixture (models/prior.py) against scikit-learn's GaussianMixture (its defaults, one thread),
   on the posterior means of a default model trained 40 epochs on the quiz: a frame's fit (1000 latents,
   62 components, 3 EM steps from k-means; ours also 2 steps from the last fit's memberships, as a run's
   frames do) and the end of a run's (2500 latents, 128 components, to convergence).
2. The optimizer (utils/flat_adam.py) against torch.optim.Adam with `fused` and with `foreach`: a training
   step of the default model, and what building a torch.optim.Adam costs a fresh process (its imports).

Prints medians of `--rounds`, alternating; asserts nothing. Run it with nothing else busy.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from commands.loop import Trainer
from data import load_dataset
from models import build_model, prior
from utils.config import load_config

IMPORT_ADAM = "import torch; torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))])"


def _ms(work: Callable[[], Any], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return 1e3 * statistics.median(times)


def _sklearn(z: torch.Tensor, k: int, steps: int) -> None:
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore")  # a frame's few steps do not converge, on purpose
        GaussianMixture(k, covariance_type="full", max_iter=steps, random_state=0).fit(z.double().numpy())


class TorchAdam:
    """torch.optim.Adam behind utils/flat_adam.py's interface, for the loop."""

    def __init__(self, params: Any, fused: bool):
        self.params = list(params)
        self.adam = torch.optim.Adam(self.params, lr=1e-3, fused=fused, foreach=not fused)
        self.steps = 0

    def zero_grad(self) -> None:
        self.adam.zero_grad()

    def clip_grad_norm(self, limit: float) -> None:
        torch.nn.utils.clip_grad_norm_(self.params, limit, foreach=True)

    def step(self, lr: float) -> None:
        for group in self.adam.param_groups:
            group["lr"] = lr
        self.adam.step()
        self.steps += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    cfg = load_config(ROOT / "config.yaml", ["epochs=40"])
    torch.set_num_threads(2)
    with contextlib.redirect_stdout(io.StringIO()):
        dataset = load_dataset(cfg)
    model = build_model(cfg, dataset.scaler)
    trainer = Trainer(cfg, model, dataset.scaled, torch.device("cpu"))
    for epoch in range(40):
        trainer.epoch(epoch)
    z = model.latents(torch.from_numpy(dataset.scaled)).double()
    rng = torch.Generator().manual_seed(0)
    _, memberships = prior.fit_mixture(z[:1000], 62, rng, 3)
    fits = {
        "frame: ours, 3 EM steps from k-means": lambda: prior.fit_mixture(z[:1000], 62, rng, 3),
        "frame: ours, 2 steps from the last memberships": lambda: prior.fit_mixture(z[:1000], 62, rng, 2, memberships),
        "frame: scikit-learn, 3 EM steps from k-means": lambda: _sklearn(z[:1000], 62, 3),
        "end of a run: ours (2500 latents, 128 components)": lambda: prior.fit_mixture(z, 128, rng, 200),
        "end of a run: scikit-learn": lambda: _sklearn(z, 128, 100),
    }
    print("| latent mixture fit | ms (median) |\n|---|---|")
    for name, fit in fits.items():
        print(f"| {name} | {_ms(fit, rounds):.1f} |", flush=True)
    steps: dict[str, list[float]] = {"flat Adam (ours)": [], "torch Adam, fused": [], "torch Adam, foreach": []}
    for _ in range(rounds):
        for name in steps:
            fresh = build_model(cfg, dataset.scaler)
            trainer = Trainer(cfg, fresh, dataset.scaled, torch.device("cpu"))
            if name != "flat Adam (ours)":
                trainer.optimizer = TorchAdam(fresh.parameters(), fused=name.endswith("fused"))  # type: ignore[assignment]
            trainer.epoch(0)
            started = time.perf_counter()
            for epoch in range(1, 9):
                trainer.epoch(epoch)
            steps[name].append((time.perf_counter() - started) / (8 * trainer.steps / cfg.epochs) * 1e3)
    print("\n| optimizer | a training step, ms (median) |\n|---|---|")
    for name, values in steps.items():
        print(f"| {name} | {statistics.median(values):.2f} ({', '.join(f'{v:.2f}' for v in values)}) |")
    bare = _ms(lambda: subprocess.run([sys.executable, "-c", "import torch"], check=True), rounds)
    adam = _ms(lambda: subprocess.run([sys.executable, "-c", IMPORT_ADAM], check=True), rounds)
    print(f"\na fresh process: import torch {bare / 1e3:.2f} s; and build a torch.optim.Adam {adam / 1e3:.2f} s")


if __name__ == "__main__":
    main()
