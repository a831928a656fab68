"""The training loop: epochs of minibatch steps on `model.loss(x, beta)`, read top to bottom.

The loop knows three things about the model: `loss(x, beta)` returns LossTerms, it has
parameters, and it has a state_dict. Everything VAE-specific lives in models/.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset
from tqdm import tqdm

from models.vae import VAE
from utils.config import Config

HISTORY_KEYS = ("total", "recons", "kld", "beta", "lr")


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
    history: dict[str, list[float]]
    checkpoint: dict  # model, optimizer, scheduler, epoch, history, rng: ready for save_checkpoint
    stopped: str | None = None  # None, "interrupted" or "nan"
    detail: str = ""
    finished_this_run: int = 0


def _scheduler(cfg: Config, optimizer: torch.optim.Optimizer, steps: int) -> torch.optim.lr_scheduler.LRScheduler:
    if cfg.lr_schedule == "constant":
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    # cosine from lr down to 5% of lr over the whole run
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(step / steps, 1.0)))
    )


def train(
    cfg: Config,
    model: VAE,
    data: np.ndarray,
    device: torch.device,
    resume_from: dict | None = None,
    on_epoch_end: Callable[[int, dict[str, list[float]]], None] | None = None,
) -> TrainResult:
    """Train `model` on `data` (N, F) in model space up to cfg.epochs; resume from a checkpoint dict if given.

    Ctrl-C and a non-finite loss do not raise: the result then holds the last finished epoch.
    `on_epoch_end(epoch, history)` runs after each finished epoch (1-based), e.g. to draw a frame.
    """
    torch.manual_seed(cfg.seed)
    shuffle = torch.Generator().manual_seed(cfg.seed)
    loader = DataLoader(
        TensorDataset(torch.from_numpy(data)),
        batch_size=cfg.batch_size,
        shuffle=True,
        generator=shuffle,
        num_workers=cfg.num_workers,
        persistent_workers=cfg.num_workers > 0,
    )
    model.to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    scheduler = _scheduler(cfg, optimizer, cfg.epochs * len(loader))
    history: dict[str, list[float]] = {key: [] for key in HISTORY_KEYS}
    start = 0
    if resume_from is not None:
        model.load_state_dict(resume_from["model"])
        optimizer.load_state_dict(resume_from["optimizer"])
        scheduler.load_state_dict(resume_from["scheduler"])
        history = {key: list(resume_from["history"][key]) for key in HISTORY_KEYS}
        start = resume_from["epoch"]
        torch.set_rng_state(resume_from["rng"]["torch"])
        shuffle.set_state(resume_from["rng"]["shuffle"])

    def snapshot(epoch: int) -> dict:
        """Everything a checkpoint needs, copied so later steps cannot change it."""
        return copy.deepcopy(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "epoch": epoch,
                "history": history,
                "rng": {"torch": torch.get_rng_state(), "shuffle": shuffle.get_state()},
            }
        )

    last_good = snapshot(start)
    result = TrainResult(epoch=start, history=history, checkpoint=last_good)
    bar = tqdm(range(start, cfg.epochs), desc="train", unit="epoch", initial=start, total=cfg.epochs)
    try:
        for epoch in bar:
            beta = beta_at(cfg, epoch)
            sums = torch.zeros(3, dtype=torch.float64)  # total, recons, kld summed over points
            for (batch,) in loader:
                batch = batch.to(device, non_blocking=True)
                terms = model.loss(batch, beta)
                if not torch.isfinite(terms.total):
                    raise NonFiniteLoss(f"loss became {terms.total.item()} at epoch {epoch + 1} (β={beta:.4g})")
                optimizer.zero_grad(set_to_none=True)
                terms.total.backward()
                optimizer.step()
                scheduler.step()
                sums += torch.stack([terms.total, terms.recons, terms.kld]).detach().double().cpu() * len(batch)
            means = (sums / len(data)).tolist()
            for key, value in zip(HISTORY_KEYS, [*means, beta, optimizer.param_groups[0]["lr"]], strict=False):
                history[key].append(value)
            bar.set_postfix(loss=f"{means[0]:.4g}", recons=f"{means[1]:.4g}", kld=f"{means[2]:.3g}", beta=f"{beta:.3g}")
            last_good = snapshot(epoch + 1)
            result = TrainResult(
                epoch=epoch + 1, history=last_good["history"], checkpoint=last_good, finished_this_run=epoch + 1 - start
            )
            if on_epoch_end is not None:
                on_epoch_end(epoch + 1, history)
    except KeyboardInterrupt:
        result.stopped, result.detail = "interrupted", "interrupted by Ctrl-C"
    except NonFiniteLoss as err:
        result.stopped, result.detail = "nan", str(err)
    finally:
        bar.close()
    if result.stopped:
        model.load_state_dict(result.checkpoint["model"])  # back to the last finished epoch
    return result
