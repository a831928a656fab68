"""One training run per result folder: a lock that a second run sees, and that dies with its holder.

The lock is an OS lock on result_path/.lock (`flock` on Linux and macOS, `msvcrt.locking` on
Windows), which the operating system releases when the holding process ends however it ends
(kill -9 and power cuts included), so a lock left behind by a dead process is simply free:
nothing to clean up, nothing to get stuck on. The file holds the holder's pid and start time, for
the message a second run prints. Where the OS offers neither, the run goes on unlocked and says so.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from utils.errors import UserError

LOCK_NAME = ".lock"
LOCKED_BYTE = 4096  # Windows locks a byte range: one past the holder's text, so others can still read that


def _os_lock() -> Callable[[int], bool] | None:
    """try_lock(fd) -> False if another process holds the lock; None where the OS offers no file lock."""
    if sys.platform == "win32":
        import msvcrt

        def try_lock_windows(fd: int) -> bool:
            os.lseek(fd, LOCKED_BYTE, os.SEEK_SET)
            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            except OSError:
                return False
            return True

        return try_lock_windows
    try:
        import fcntl
    except ImportError:
        return None

    def try_lock_posix(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    return try_lock_posix


class RunLock:
    """`with RunLock(folder):` holds the folder for one training run, or raises a UserError at once."""

    def __init__(self, folder: Path):
        self.path = folder / LOCK_NAME
        self.fd: int | None = None

    def __enter__(self) -> RunLock:
        try_lock = _os_lock()
        if try_lock is None:
            print(
                f"note: this system has no file lock: nothing stops a second run from writing into {self.path.parent}"
            )
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if not try_lock(fd):
            os.lseek(fd, 0, os.SEEK_SET)
            holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise UserError(
                f"result_path '{self.path.parent}' is in use by another training run ({holder}); wait for it "
                "to finish, stop it, or train into another folder with result_path=DIR."
            )
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}".encode())
        self.fd = fd
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the lock
            self.fd = None
