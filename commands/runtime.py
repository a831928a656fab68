"""The device and the thread count a command runs with, on Linux, macOS and Windows alike."""

from __future__ import annotations

import os

import torch

from utils.config import Config
from utils.errors import UserError


def usable_cores() -> int:
    """The CPU cores this process may run on: its affinity where the OS has one (Linux), else all cores."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13+: the affinity on every OS that has one
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):  # Linux (a container or `taskset` may allow fewer than all cores)
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # macOS, Windows


def mps_available() -> bool:
    """Apple-silicon GPU (Metal) that torch can use."""
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def pick_device(wanted: str) -> torch.device:
    """`device`: cpu, cuda, mps, or auto (CUDA, then MPS, then the CPU); a GPU asked for but absent is a user error."""
    if wanted == "cuda" and not torch.cuda.is_available():
        raise UserError("device: cuda was asked for but no CUDA GPU is available; set device=cpu or device=auto.")
    if wanted == "mps" and not mps_available():
        raise UserError("device: mps was asked for but torch sees no Apple GPU (Metal); set device=cpu or device=auto.")
    if wanted == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "mps" if mps_available() else "cpu")
    return torch.device(wanted)


def setup_runtime(cfg: Config) -> torch.device:
    """Pick the device and the thread count."""
    device = pick_device(cfg.device)
    # one thread per core: more threads than cores slow small models down many times over
    torch.set_num_threads(cfg.threads or min(usable_cores(), 4))
    return device
