"""Where a run's wall time goes: named phases, each timed without the phases nested inside it.

    phases = Phases()
    with phases("training"):
        ...
        with phases("frames"):   # counted under "frames" only, not also under "training"
            ...

`seconds` then holds each phase's own time, so the phases add up to the time they cover. A run
returns its Phases (commands/train.py): benchmarks read them instead of wrapping functions.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class Phases:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._nested: list[float] = []  # per open phase: seconds spent in the phases inside it

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        self._nested.append(0.0)
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            inner = self._nested.pop()
            self.seconds[name] = self.seconds.get(name, 0.0) + elapsed - inner
            if self._nested:
                self._nested[-1] += elapsed
