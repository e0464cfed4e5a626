"""When to try again: the back-off arithmetic every room that retries shares, and ``Retry-After``.

Three things back off, each with its own policy over the same arithmetic:

- a fetch retrying a transient failure within one poll (``fetch/retry.py``): 0.5 s doubling
  up to 30 s, jittered;
- an alert delivery (``alerts/retry.py``): the channel's ``retry.first`` doubling up to
  ``retry.max``, jittered;
- a failing source's next poll (``pipeline.backoff_delay``): its ``interval`` doubling up to
  ``crawl.max_backoff``, not jittered (the scheduler already spreads the sources).

Pure, and the standard library only, so that any room may import it: randomness and the
current time are arguments.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

__all__ = ["equal_jitter", "exponential", "parse_retry_after"]

_MAX_EXPONENT: Final = 62
"""2**62 steps is past any ceiling a human configures; keeps a long failure streak finite."""


def exponential(first: float, attempt: int, *, ceiling: float) -> float:
    """``first·2^(attempt-1)`` for attempt 1, 2, …, at most ``ceiling`` and never below zero.

    An attempt below 1 counts as the first.
    """
    exponent = min(max(attempt, 1) - 1, _MAX_EXPONENT)
    return max(min(ceiling, first * 2.0**exponent), 0.0)


def equal_jitter(delay: float, rand: Callable[[], float]) -> float:
    """A random point in ``[delay/2, delay]`` ("equal jitter"): retries of many failures spread
    out, so a receiver that comes back is not hit by all of them at once, and none comes sooner
    than half the nominal delay. ``rand`` returns a float in ``[0, 1)``."""
    return delay / 2 + rand() * delay / 2


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP-date; a date already
    past is 0); None if absent or invalid. ``now`` (default: the wall clock) is what an
    HTTP-date is measured from."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
