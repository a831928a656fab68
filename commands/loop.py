"""The training loop: epochs of minibatch steps on `model.loss(x, beta)`, read top to bottom.

The loop knows three things about the model: `loss(x, beta)` returns LossTerms, it has
parameters, and it has a state_dict. Everything VAE-specific lives in models/.

A step is short (a few milliseconds on a CPU), so the loop keeps its own cost per step small: the
training points are one tensor indexed by a shuffled permutation (no DataLoader), and the optimizer
updates every parameter at once (utils/flat_adam.py).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from models.vae import VAE
from utils.config import Config
from utils.errors import Stopped
from utils.flat_adam import FlatAdam

HISTORY_KEYS = ("total", "recons", "kld", "beta", "lr", "seconds")
History = dict[str, list[float]]


def beta_at(cfg: Config, epoch: int) -> float:
    """β for 0-based `epoch`: linear from beta_start to beta_end over all epochs, or over each
    of `beta_cycles` cycles (ramping in the first half of a cycle and holding in the second)."""
    if cfg.beta_schedule == "linear":
        progress = epoch / max(cfg.epochs - 1, 1)
    else:
        cycle_len = cfg.epochs / cfg.beta_cycles
        progress = min(1.0, (epoch % cycle_len) / (0.5 * cycle_len))
    return cfg.beta_start + (cfg.beta_end - cfg.beta_start) * progress


def frame_epochs(cfg: Config) -> list[int]:
    """1-based epochs that get a frame: every gen_every_epochs, plus the first and the last."""
    if cfg.gen_every_epochs == 0:
        return []
    every = set(range(cfg.gen_every_epochs, cfg.epochs + 1, cfg.gen_every_epochs))
    return sorted(every | {1, cfg.epochs})


class NonFiniteLoss(Exception):
    """Raised inside the loop; `train` turns it into TrainResult.stopped = "nan"."""


@dataclass
class TrainResult:
    """The state after the last *finished* epoch, and why training stopped early (if it did)."""

    epoch: int
    history: History
    checkpoint: dict[str, Any]  # model, optimizer, epoch, history, rng (Trainer.state)
    stopped: str | None = None  # None, "interrupted" or "nan"
    detail: str = ""
    finished_this_run: int = 0
    signal: Stopped | None = None  # the stop request, if stopped == "interrupted"


def lr_at(cfg: Config, step: int, steps: int) -> float:
    """The learning rate of 0-based `step` of `steps`: constant, or cosine from lr down to 5 % of lr."""
    if cfg.lr_schedule == "constant":
        return cfg.lr
    return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(step / steps, 1.0))))


def steps_per_epoch(n: int, batch_size: int) -> int:
    return -(-n // batch_size)  # the last batch may be smaller


class Progress:
    """A tqdm bar on a terminal; in a log file or CI output, one plain line every tenth of the run."""

    def __init__(self, start: int, total: int):
        self.live = sys.stderr.isatty()
        self.every = max(1, total // 10)
        self.total = total
        self.bar = tqdm(total=total, initial=start, desc="train", unit="epoch", disable=not self.live)

    def update(self, epoch: int, values: dict[str, float]) -> None:
        text = {key: f"{value:.4g}" for key, value in values.items()}
        if self.live:
            self.bar.set_postfix(text)
            self.bar.update(1)
        elif epoch % self.every == 0 or epoch == self.total:
            print(f"epoch {epoch}/{self.total} " + " ".join(f"{k}={v}" for k, v in text.items()), flush=True)

    def close(self) -> None:
        self.bar.close()


class Trainer:
    """The model with its optimizer, schedule, data order and history: one `epoch` at a time."""

    def __init__(self, cfg: Config, model: VAE, data: np.ndarray, device: torch.device):
        torch.manual_seed(cfg.seed)
        self.cfg, self.model, self.device = cfg, model, device
        self.data = torch.from_numpy(data).to(device)  # (N, F): the training points, indexed batch by batch
        self.n = len(data)
        self.shuffle = torch.Generator().manual_seed(cfg.seed)  # the order of the points, epoch by epoch
        model.to(device).train()
        self.optimizer = FlatAdam(model.parameters())  # after .to(device): the buffer lives there
        self.steps = cfg.epochs * steps_per_epoch(self.n, cfg.batch_size)
        self.history: History = {key: [] for key in HISTORY_KEYS}

    def state(self, epoch: int) -> dict[str, Any]:
        """Everything a resume needs after `epoch` finished epochs, copied so later steps cannot change it."""
        return {
            "model": {key: value.clone() for key, value in self.model.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),  # copies already
            "epoch": epoch,
            "history": {key: list(values) for key, values in self.history.items()},
            "rng": {"torch": torch.get_rng_state(), "shuffle": self.shuffle.get_state()},
        }

    def load(self, state: dict[str, Any]) -> int:
        """Continue from a checkpoint dict; returns its number of finished epochs."""
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.history = {key: list(state["history"][key]) for key in HISTORY_KEYS}
        torch.set_rng_state(state["rng"]["torch"])
        self.shuffle.set_state(state["rng"]["shuffle"])
        return int(state["epoch"])

    def epoch(self, epoch: int) -> list[float]:
        """One pass over the data at 0-based `epoch`; appends to the history and returns its means."""
        began = time.perf_counter()
        beta = beta_at(self.cfg, epoch)
        sums = torch.zeros(3, dtype=torch.float64)  # total, recons, kld summed over points
        # one number drawn and left unused, where the DataLoader of earlier versions drew its workers' seed:
        # a seed orders the points as it did there
        torch.empty((), dtype=torch.int64).random_(generator=self.shuffle)
        order = torch.randperm(self.n, generator=self.shuffle).to(self.device)
        shuffled = self.data[order]
        for start in range(0, self.n, self.cfg.batch_size):
            batch = shuffled[start : start + self.cfg.batch_size]
            terms = self.model.loss(batch, beta)
            if not torch.isfinite(terms.total):
                raise NonFiniteLoss(f"loss became {terms.total.item()} at epoch {epoch + 1} (β={beta:.4g})")
            self.optimizer.zero_grad()
            terms.total.backward()  # type: ignore[no-untyped-call]  # Tensor.backward has no annotations in torch 2.13
            if self.cfg.grad_clip > 0:
                self.optimizer.clip_grad_norm(self.cfg.grad_clip)
            lr = lr_at(self.cfg, self.optimizer.steps, self.steps)
            self.optimizer.step(lr)
            # summed in float64 on the CPU (MPS has no float64)
            sums += torch.stack([terms.total, terms.recons, terms.kld]).detach().cpu().double() * len(batch)
        means: list[float] = (sums / self.n).tolist()
        lr = lr_at(self.cfg, self.optimizer.steps, self.steps)  # the rate the next step would take
        for key, value in zip(HISTORY_KEYS, [*means, beta, lr, time.perf_counter() - began], strict=True):
            self.history[key].append(value)
        return means


def train(
    cfg: Config,
    model: VAE,
    data: np.ndarray,
    device: torch.device,
    resume_from: dict[str, Any] | None = None,
    on_epoch_end: Callable[[int, History], None] | None = None,
    save_state: Callable[[dict[str, Any]], None] | None = None,
) -> TrainResult:
    """Train `model` on `data` (N, F) in model space up to cfg.epochs; resume from a checkpoint dict if given.

    After each finished epoch (1-based): `on_epoch_end(epoch, history)` (e.g. draw a frame), then
    `save_state(state)` with everything a resume needs. Ctrl-C, SIGTERM and a non-finite loss do
    not raise: the result then holds the last finished epoch.
    """
    trainer = Trainer(cfg, model, data, device)
    start = trainer.load(resume_from) if resume_from is not None else 0
    result = TrainResult(epoch=start, history=trainer.history, checkpoint=trainer.state(start))
    progress = Progress(start, cfg.epochs)
    try:
        for epoch in range(start, cfg.epochs):
            means = trainer.epoch(epoch)
            if on_epoch_end is not None:  # before the state: a frame's prior fit is part of it
                on_epoch_end(epoch + 1, trainer.history)
            state = trainer.state(epoch + 1)
            result = TrainResult(epoch + 1, state["history"], state, finished_this_run=epoch + 1 - start)
            if save_state is not None:
                save_state(state)
            beta = trainer.history["beta"][-1]
            progress.update(epoch + 1, {"loss": means[0], "recons": means[1], "kld": means[2], "beta": beta})
    except Stopped as stop:
        result.stopped, result.detail, result.signal = "interrupted", f"stopped by {stop.how}", stop
    except KeyboardInterrupt:
        result.stopped, result.detail, result.signal = "interrupted", "stopped by Ctrl-C", Stopped()
    except NonFiniteLoss as err:
        result.stopped, result.detail = "nan", str(err)
    finally:
        progress.close()
    if result.stopped:
        model.load_state_dict(result.checkpoint["model"])  # back to the last finished epoch
    return result
