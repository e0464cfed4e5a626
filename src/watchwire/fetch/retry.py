"""When to try again: exponential backoff with jitter, and ``Retry-After``."""

from __future__ import annotations

import email.utils
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

__all__ = ["RETRY_AFTER_CEILING", "backoff", "parse_retry_after", "poll_backoff"]

BASE: Final = 0.5
"""Seconds before the first retry (before jitter)."""
CAP: Final = 30.0
RETRY_AFTER_CEILING: Final = 120.0
"""The longest a server's ``Retry-After`` holds its host (and a retry) back; past it the fetch
gives up and reports ``retry_after`` to the caller, who backs the source off."""


def backoff(attempt: int, *, rand: Callable[[], float]) -> float:
    """Delay before retry number ``attempt`` (1, 2, …): ``BASE·2^(attempt-1)``, capped, with
    "equal jitter" (half fixed, half random) so that retries of many fetches spread out."""
    step = min(CAP, BASE * 2.0 ** (attempt - 1))
    return step / 2 + rand() * step / 2


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from ``Retry-After`` (delta-seconds or an HTTP-date); None if absent/invalid."""
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


def poll_backoff(interval: float, failures: int, *, ceiling: float) -> float:
    """Seconds until a source is polled again after ``failures`` polls in a row failed
    transiently: its interval doubled per failure, up to ``ceiling`` (``crawl.max_backoff``).
    One success resets ``failures`` to 0, so a site that comes back is polled normally again."""
    if failures <= 0:
        return interval
    return min(max(interval, ceiling), interval * 2.0 ** min(failures, 32))
