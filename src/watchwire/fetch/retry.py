"""When a fetch tries again within one poll: exponential backoff with jitter, and how long a
server's ``Retry-After`` may hold it back (the arithmetic is ``watchwire.backoff``'s)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from watchwire.backoff import equal_jitter, exponential

__all__ = ["RETRY_AFTER_CEILING", "backoff"]

BASE: Final = 0.5
"""Seconds before the first retry (before jitter)."""
CAP: Final = 30.0
RETRY_AFTER_CEILING: Final = 120.0
"""The longest a server's ``Retry-After`` holds its host (and a retry) back; past it the fetch
gives up and reports ``retry_after`` to the caller, who backs the source off."""


def backoff(attempt: int, *, rand: Callable[[], float]) -> float:
    """Delay before retry number ``attempt`` (1, 2, …): ``BASE·2^(attempt-1)``, capped, with
    "equal jitter" (half fixed, half random) so that retries of many fetches spread out."""
    return equal_jitter(exponential(BASE, attempt, ceiling=CAP), rand)
