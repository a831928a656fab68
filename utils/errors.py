"""The exception types the command line turns into a message and an exit code."""

from __future__ import annotations

import signal


class UserError(Exception):
    """A problem in the user's input. `main.py` prints it as one message and exits with code 2.

    The message names what is wrong (key, file or value) and says how to fix it.
    """


class Stopped(KeyboardInterrupt):
    """A stop request by signal: SIGINT (Ctrl-C) or SIGTERM (`timeout`, `docker stop`, schedulers).

    A KeyboardInterrupt, so code that handles Ctrl-C handles both; `exit_code` is 128 + the signal.
    """

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def how(self) -> str:
        return "Ctrl-C" if self.signum == signal.SIGINT else signal.Signals(self.signum).name
