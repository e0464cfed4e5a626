"""The dispatcher: claims due outbox messages, delivers them, records what happened.

At least once, never lost: a message is claimed (``delivering``, leased until ``now + lease``,
attempts + 1) before it is sent and marked ``delivered`` only after the receiver accepted it.
A crash in between leaves it ``delivering``; once the lease runs out the next ``claim_due``
takes it up again, and it goes out again with the same id (the receiver's dedupe key). So that a
slow receiver cannot outlive its own lease, every delivery is cut off at ``deadline`` (a fraction
of the lease) and counted as a transient failure.

Outcomes:

- delivered → ``mark_delivered``;
- ``TransientDeliveryError`` (or any unexpected exception: a bug must delay an alert, not drop
  it) → ``mark_retry`` at ``next_retry_at(...)``, or ``mark_failed`` once the channel's
  ``give_up`` is past;
- ``PermanentDeliveryError`` → ``mark_failed`` at once (``watchwire alerts retry`` requeues);
- a channel that is not configured (removed, renamed, or its config failed to load) → the
  message stays pending and is looked at again later; it is never dropped.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Protocol

from watchwire.alerts.channel import Channel
from watchwire.alerts.render import one_line, truncate
from watchwire.alerts.retry import next_retry_at
from watchwire.config import RetryPolicy
from watchwire.exceptions import DeliveryError
from watchwire.models import OutboxMessage
from watchwire.observe import NullObserver, Observer
from watchwire.payloads import ALERT_TYPE, alerts_of
from watchwire.timeutil import from_iso

__all__ = ["Dispatcher", "Outbox"]

log = logging.getLogger(__name__)

DEFAULT_BATCH = 100
DEFAULT_LEASE = timedelta(minutes=10)
UNKNOWN_CHANNEL_DELAY = timedelta(minutes=5)
ERROR_MAX = 500
"""Characters of an error kept in the outbox row."""


class Outbox(Protocol):
    """The part of the store the dispatcher needs (``watchwire.store`` implements it)."""

    async def claim_due(
        self, *, now: datetime, limit: int, lease: timedelta
    ) -> list[OutboxMessage]: ...

    async def mark_delivered(self, message_id: str, *, now: datetime) -> None: ...

    async def mark_retry(
        self, message_id: str, *, error: str, next_attempt_at: datetime
    ) -> None: ...

    async def mark_failed(self, message_id: str, *, error: str, now: datetime) -> None: ...


class Dispatcher:
    """Delivers what the outbox says is due; ``drain_once`` is one pass."""

    def __init__(
        self,
        outbox: Outbox,
        channels: Mapping[str, Channel],
        policies: Mapping[str, RetryPolicy],
        *,
        clock: Callable[[], datetime],
        rng: random.Random,
        batch: int = DEFAULT_BATCH,
        lease: timedelta = DEFAULT_LEASE,
        observer: Observer | None = None,
    ) -> None:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        self._outbox = outbox
        self._channels = channels
        self._policies = policies
        self._clock = clock
        self._rng = rng
        self._batch = batch
        self._lease = lease
        self._observer: Observer = observer or NullObserver()
        self.deadline = lease.total_seconds() * 0.8
        """Seconds one delivery may take, waiting for a channel slot included."""

    async def drain_once(self) -> int:
        """Claim up to ``batch`` due messages, deliver them concurrently; return how many.

        A result equal to ``batch`` means more may be due: the caller can call again.
        """
        messages = await self._outbox.claim_due(
            now=self._clock(), limit=self._batch, lease=self._lease
        )
        if not messages:
            return 0
        # Channels bound their own concurrency (``concurrency:`` in the config), so one slow
        # receiver holds up only its own messages.
        async with asyncio.TaskGroup() as tasks:
            for message in messages:
                tasks.create_task(self._deliver(message), name=f"deliver {message.id}")
        return len(messages)

    async def _deliver(self, message: OutboxMessage) -> None:
        channel = self._channels.get(message.channel)
        if channel is None:
            error = f"channel {message.channel!r} is not configured; kept pending"
            log.warning("alert %s: %s", message.id, error)
            await self._outbox.mark_retry(
                message.id, error=error, next_attempt_at=self._clock() + UNKNOWN_CHANNEL_DELAY
            )
            return
        try:
            async with asyncio.timeout(self.deadline):
                await channel.send(message)
        except DeliveryError as exc:
            await self._failed(message, str(exc), transient=exc.transient, after=exc.retry_after)
        except TimeoutError:
            error = f"delivery took longer than {self.deadline:g} s"
            await self._failed(message, error, transient=True, after=None)
        except Exception as exc:  # the one supervisor boundary: a bug delays, never drops
            log.exception("channel %s: unexpected error delivering %s", channel.name, message.id)
            await self._failed(message, f"{type(exc).__name__}: {exc}", transient=True, after=None)
        else:
            now = self._clock()
            await self._outbox.mark_delivered(message.id, now=now)
            self._observer.delivered(message.channel, message.kind, _latencies(message, now))
            log.info(
                "channel %s: delivered %s %s (attempt %d)",
                message.channel, message.kind, message.id, message.attempts,
            )  # fmt: skip

    async def _failed(
        self, message: OutboxMessage, error: str, *, transient: bool, after: float | None
    ) -> None:
        error = truncate(one_line(error), ERROR_MAX) or "unknown error"
        now = self._clock()
        when = None
        if transient:
            policy = self._policies.get(message.channel, RetryPolicy())
            when = next_retry_at(
                policy,
                attempts=max(message.attempts, 1),
                first_created=message.created_at or now,
                now=now,
                retry_after=after,
                rng=self._rng,
            )
        self._observer.delivery_failed(message.channel, final=when is None)
        if when is None:
            reason = "gave up" if transient else "permanent failure"
            await self._outbox.mark_failed(message.id, error=error, now=now)
            log.error(
                "channel %s: failed %s %s after %d attempt(s) (%s): %s",
                message.channel, message.kind, message.id, message.attempts, reason, error,
            )  # fmt: skip
            return
        await self._outbox.mark_retry(message.id, error=error, next_attempt_at=when)
        log.warning(
            "channel %s: retry %s %s at %s (attempt %d): %s",
            message.channel, message.kind, message.id, when.isoformat(), message.attempts, error,
        )  # fmt: skip


def _latencies(message: OutboxMessage, now: datetime) -> list[float]:
    """Seconds from each carried article alert's creation (its article's first sight) to now."""
    out: list[float] = []
    for alert in alerts_of(message.payload):
        created = (
            from_iso(str(alert.get("created_at") or ""))
            if alert.get("type") == ALERT_TYPE
            else None
        )
        if created is not None:
            out.append((now - created).total_seconds())
    return out
