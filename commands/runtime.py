"""The device and the thread count a command runs with."""

from __future__ import annotations

import os

import torch

from utils.config import Config
from utils.errors import UserError


def setup_runtime(cfg: Config) -> torch.device:
    """Pick the device and thread count; a requested but missing GPU is a user error."""
    if cfg.device == "cuda" and not torch.cuda.is_available():
        raise UserError("device: cuda was asked for but no CUDA GPU is available; set device=cpu or device=auto.")
    device = torch.device("cuda" if cfg.device != "cpu" and torch.cuda.is_available() else "cpu")
    # one thread per core: more threads than cores slow small models down many times over
    threads = cfg.threads or min(len(os.sched_getaffinity(0)), 4)
    torch.set_num_threads(threads)
    return device
