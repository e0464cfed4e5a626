"""When to try a failed delivery again, and when to give up.

Pure: the clock and the random source are arguments, so tests step through hours of back-off
without sleeping. The schedule, per channel (``retry: {first, max, give_up}``):

- attempt *n* failed → wait a random time in ``[cap/2, cap]`` where ``cap = min(max, first·2ⁿ⁻¹)``
  ("equal jitter": receivers that come back after an outage are not hit by every alert at
  once, and no retry comes sooner than half the nominal delay);
- a ``Retry-After`` from the receiver replaces that delay (never more than ``max``);
- the last attempt is made at ``first_created + give_up`` at the latest; a failure at or past
  that moment gives up (``None`` → the message becomes ``failed``).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from watchwire.backoff import equal_jitter, exponential
from watchwire.config import RetryPolicy

__all__ = ["backoff_delay", "next_retry_at"]


def backoff_delay(policy: RetryPolicy, attempts: int, rng: random.Random) -> timedelta:
    """The jittered delay after ``attempts`` failed attempts (1 = the first failure)."""
    cap = exponential(policy.first.total_seconds(), attempts, ceiling=policy.max.total_seconds())
    return timedelta(seconds=equal_jitter(cap, rng.random))


def next_retry_at(
    policy: RetryPolicy,
    *,
    attempts: int,
    first_created: datetime,
    now: datetime,
    retry_after: float | None,
    rng: random.Random,
) -> datetime | None:
    """When to try again after ``attempts`` failed attempts, or ``None`` to give up."""
    deadline = first_created + policy.give_up
    if now >= deadline:
        return None
    if retry_after is not None:
        delay = timedelta(seconds=min(max(retry_after, 0.0), policy.max.total_seconds()))
    else:
        delay = backoff_delay(policy, attempts, rng)
    return min(now + delay, deadline)
