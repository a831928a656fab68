"""A sweep's runs as tasks on a Dask distributed cluster (`python main.py sweep ... --scheduler ADDRESS`).

Start a scheduler on one machine and workers on others, each worker in a checkout of pi-vae with
the data (its working directory is where a task finds the code and writes result_path):

    dask scheduler                                         # prints tcp://HOST:8786
    dask worker tcp://HOST:8786 --nworkers 1 --nthreads 1  # in the checkout, on every machine

Each run is one task. Its figures travel back with the task's result, so sweep.csv does not need
a disk shared with the workers; the run folders are written where each worker sees result_path. A
worker that dies mid-run costs its run: Dask gives the task to another worker, which starts the
run afresh, or resumes it from its last finished epoch if the disk is shared.
dask and distributed are an optional install (requirements-dask.txt), imported only here.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from utils.errors import UserError

if TYPE_CHECKING:
    from commands.sweep import Row, SweepRun


def task(values: dict[str, Any], swept: dict[str, Any], name: str) -> dict[str, Any]:
    """One run on a worker: the worker's working directory is its pi-vae checkout (pickled by value, so
    that a worker needs nothing on its import path but the checkout)."""
    import os

    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    from distributed import get_worker

    from commands.sweep import run_one

    worker = get_worker()
    return {**run_one(values, swept, name), "worker": str(worker.name or worker.address)}


def on_cluster(address: str, runs: list[SweepRun]) -> Iterator[Row]:
    """Submit every run to the scheduler at `address`; yield each row as its task finishes."""
    try:
        import cloudpickle
        from distributed import Client, as_completed
    except ImportError:
        raise UserError(
            "--scheduler needs dask and distributed, an optional install: pip install -r requirements-dask.txt"
        ) from None
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers need not import this module
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError) as err:
        raise UserError(
            f"cannot reach a Dask scheduler at '{address}' ({err}); start one with `dask scheduler` "
            "and pass the address it prints, e.g. --scheduler tcp://HOST:8786."
        ) from None
    with client:
        futures = [client.submit(task, run.cfg.to_dict(), run.swept, run.name, key=f"run {run.name}") for run in runs]
        for future in as_completed(futures):
            yield future.result()
