"""'Did you mean ...?': the one place that suggests the closest valid name for a mistyped one."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like `word` (difflib's ratio >= 0.6), or None if none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """ "did you mean 'epochs'? " for a close choice, else ""; a message puts it before the list of choices."""
    match = closest(word, choices)
    return f"did you mean '{match}'? " if match else ""
