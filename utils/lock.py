"""One training run per result folder: a lock that a second run sees, and that dies with its holder.

The lock is an advisory `flock` on result_path/.lock, which the operating system releases when the
holding process ends however it ends (kill -9 and power cuts included), so a lock left behind by a
dead process is simply free: nothing to clean up, nothing to get stuck on. The file holds the
holder's pid and start time, for the message a second run prints.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from types import TracebackType

from utils.errors import UserError

if sys.platform != "win32":  # Windows has no flock: runs are not locked there (README, "When things go wrong")
    import fcntl

LOCK_NAME = ".lock"


class RunLock:
    """`with RunLock(folder):` holds the folder for one training run, or raises a UserError at once."""

    def __init__(self, folder: Path):
        self.path = folder / LOCK_NAME
        self.fd: int | None = None

    def __enter__(self) -> RunLock:
        if sys.platform == "win32":
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise UserError(
                f"result_path '{self.path.parent}' is in use by another training run ({holder}); wait for it "
                "to finish, stop it, or train into another folder with result_path=DIR."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}".encode())
        self.fd = fd
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the flock
            self.fd = None
