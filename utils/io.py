"""Safe file writing: every file the project writes appears whole or not at all.

`atomic_write` writes to a temporary file in the target's folder, flushes it to disk, then renames
it over the target (`os.replace` is atomic on POSIX and Windows): a reader, or a run killed at any
moment, sees the old file or the whole new one. A failed write (disk full, permission lost) leaves
the old file in place and raises one UserError that says so.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

import numpy as np

from utils.errors import UserError


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (a power cut after it keeps the new name); not possible on every OS."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path: str | Path, write: Callable[[str], Any], durable: bool = True) -> None:
    """Call write(tmp_path), then rename tmp onto `path`: readers see the old file or the whole new one.

    durable: flush the file and the rename to the disk first (fsync), so that a power cut keeps one or
    the other too; without it a killed process still does (the OS holds the written data), and the write
    costs a fraction of the time.
    """
    path = Path(path)
    tmp = ""
    try:
        # a name of our own, created with the default permissions (mkstemp's are owner-only: 0600)
        tmp = str(path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
        open(tmp, "xb").close()
        write(tmp)
        if durable:
            with open(tmp, "rb+") as file:
                os.fsync(file.fileno())
        os.replace(tmp, path)
        if durable:
            _fsync_dir(path.parent)
    except OSError as err:
        raise UserError(
            f"could not write '{path}' ({err.strerror or err}); the earlier file, if any, is intact. "
            "Free disk space or fix the folder's permissions and run again."
        ) from None
    finally:
        if tmp and os.path.exists(tmp):
            os.remove(tmp)


def write_text(path: str | Path, text: str) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_json(path: str | Path, value: Any) -> None:
    write_text(path, json.dumps(value, indent=2) + "\n")


def save_npy(path: str | Path, array: np.ndarray) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "wb") as file:
            np.save(file, array)

    atomic_write(path, write)


def _write_npy_stream(file: IO[bytes], n: int, n_features: int, chunks: Iterable[np.ndarray]) -> int:
    """An .npy header for (n, n_features) float32, then the chunks' bytes in order; returns rows written."""
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype("<f4")), "fortran_order": False, "shape": (n, n_features)}
    np.lib.format.write_array_header_1_0(file, header)
    rows = 0
    for chunk in chunks:
        file.write(np.ascontiguousarray(chunk, dtype="<f4").tobytes())
        rows += len(chunk)
    return rows


def _write_csv_stream(file: IO[bytes], header: str, chunks: Iterable[np.ndarray]) -> int:
    file.write((header + "\n").encode())
    rows = 0
    for chunk in chunks:
        np.savetxt(file, chunk, delimiter=",", fmt="%.3f")
        rows += len(chunk)
    return rows


def write_points_stream(path: str | Path, n: int, columns: tuple[str, ...], chunks: Iterable[np.ndarray]) -> None:
    """Write n points arriving as (k, len(columns)) chunks to .npy or .csv without holding them all.

    Memory stays that of one chunk whatever n is. The file appears (atomically) only once complete;
    an interrupted or failed write leaves no partial file behind.
    """
    path = Path(path)

    def write(tmp: str) -> None:
        with open(tmp, "wb") as file:
            if path.suffix == ".npy":
                rows = _write_npy_stream(file, n, len(columns), chunks)
            else:
                rows = _write_csv_stream(file, ",".join(columns), chunks)
        assert rows == n, f"expected {n} points, the sampler gave {rows}"

    atomic_write(path, write)
