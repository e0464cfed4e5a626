"""The dispatcher: claims due outbox messages, delivers them, records what happened.

At least once, never lost: a message is claimed (``delivering``, leased until ``now + lease``,
attempts + 1) before it is sent and marked ``delivered`` only after the receiver accepted it.
A crash in between leaves it ``delivering``; a new service on the store makes it due at once
(``release_leases``: the embedded store's lock says its holder is gone), and otherwise the next
``claim_due`` takes it up when the lease runs out; it goes out again with the same id (the
receiver's dedupe key). So that a slow receiver cannot outlive its own lease, every delivery is
cut off at ``deadline`` (a fraction of the lease) and counted as a transient failure.

One lane per channel: each channel's due messages are claimed and delivered apart from every
other channel's (``drain_once`` runs the lanes side by side; ``serve`` keeps them running), so a
receiver that hangs holds up only its own messages. Within a lane the channel bounds its own
concurrency (``concurrency:`` in the config).

Outcomes:

- delivered → ``mark_delivered``;
- ``TransientDeliveryError`` (or any unexpected exception: a bug must delay an alert, not drop
  it) → ``mark_retry`` at ``next_retry_at(...)``, or ``mark_failed`` once the channel's
  ``give_up`` is past;
- ``PermanentDeliveryError`` → ``mark_failed`` at once (``watchwire alerts retry`` requeues);
- interrupted in this process (the service stops, a lane is closed) → due again at once;
- a channel that is not configured (removed, renamed, or its config failed to load) → its
  messages are not claimed: they stay pending, untouched, and go out as soon as a config with
  that channel is loaded.

Recording an outcome can fail too (a full disk): that failure is logged and the outcome kept
to be recorded on the lane's next pass; it never cancels the deliveries beside it.

Every try is also logged (``record_attempt``) with its outcome and the receiver's answer (what
the channel returned, or the error), for ``watchwire alerts show``; that log sits beside the
outbox and is not part of the guarantee: a try it fails to record is only missing from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

from watchwire.alerts.channel import Channel
from watchwire.alerts.render import one_line, truncate
from watchwire.alerts.retry import next_retry_at
from watchwire.config import RetryPolicy
from watchwire.exceptions import DeliveryError
from watchwire.models import OutboxMessage
from watchwire.observe import NullObserver, Observer
from watchwire.payloads import ALERT_TYPE, alerts_of
from watchwire.store import DeliveryAttempt
from watchwire.timeutil import from_iso

__all__ = ["Dispatcher", "Outbox"]

log = logging.getLogger(__name__)

DEFAULT_BATCH = 100
DEFAULT_LEASE = timedelta(minutes=10)
IDLE_WAKE = 5.0
"""Seconds a served lane waits for a wake-up before it looks at the outbox anyway."""
INTERRUPTED_RECORD_TIMEOUT = 2.0
ERROR_MAX = 500
"""Characters of an error kept in the outbox row."""


class Outbox(Protocol):
    """The part of the store the dispatcher needs (``watchwire.store`` implements it)."""

    async def claim_due(
        self,
        *,
        now: datetime,
        limit: int,
        lease: timedelta,
        channels: Sequence[str] | None = None,
    ) -> list[OutboxMessage]: ...

    async def mark_delivered(self, message_id: str, *, now: datetime) -> None: ...

    async def mark_retry(
        self, message_id: str, *, error: str, next_attempt_at: datetime
    ) -> None: ...

    async def mark_failed(self, message_id: str, *, error: str, now: datetime) -> None: ...

    async def record_attempt(self, attempt: DeliveryAttempt) -> None: ...


_Record = Callable[[], Awaitable[None]]


class Dispatcher:
    """Delivers what the outbox says is due: ``drain_once`` is one pass of every lane, ``serve``
    keeps the lanes running until cancelled, woken by ``wake``."""

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
        idle: float = IDLE_WAKE,
        observer: Observer | None = None,
    ) -> None:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        self._outbox = outbox
        self._channels: Mapping[str, Channel] = dict(channels)
        self._policies: Mapping[str, RetryPolicy] = dict(policies)
        self._clock = clock
        self._rng = rng
        self._batch = batch
        self._lease = lease
        self._idle = idle
        self._observer: Observer = observer or NullObserver()
        self.deadline = lease.total_seconds() * 0.8
        """Seconds one delivery may take, waiting for a channel slot included."""
        self._unrecorded: dict[str, dict[str, _Record]] = {}
        """Outcomes whose recording failed, per channel then message: recorded next pass."""
        self._wakes: dict[str, asyncio.Event] = {}
        self._lanes: dict[str, asyncio.Task[None]] = {}
        self._serving: asyncio.TaskGroup | None = None
        self._closing = asyncio.Event()
        self._passes: dict[int, int] = {}
        self._generation = 0
        self._drained: dict[int, asyncio.Event] = {}

    # --- one pass ----------------------------------------------------------------------------

    async def drain_once(self) -> int:
        """One pass of every channel's lane, side by side; returns the messages handled.

        A lane that handled ``batch`` messages may have more due: call again.
        """
        counts = await asyncio.gather(*(self._pass(name) for name in list(self._channels)))
        return sum(counts)

    async def _pass(self, name: str) -> int:
        """Claim up to ``batch`` of channel ``name``'s due messages and deliver them."""
        channel = self._channels.get(name)
        if channel is None:
            return 0
        generation = self._generation
        self._passes[generation] = self._passes.get(generation, 0) + 1
        try:
            await self._record_pending(name)
            messages = await self._outbox.claim_due(
                now=self._clock(), limit=self._batch, lease=self._lease, channels=(name,)
            )
            # gather, not a TaskGroup: one delivery's failure must not cancel its neighbours
            # (each catches its own; this is for a bug in that catching).
            results = await asyncio.gather(
                *(self._deliver(channel, m) for m in messages), return_exceptions=True
            )
            for result in results:
                if isinstance(result, BaseException) and not isinstance(result, Exception):
                    raise result
                if isinstance(result, Exception):
                    log.error("channel %s: delivery bookkeeping failed: %s", name, result)
            return len(messages)
        finally:
            self._passes[generation] -= 1
            if not self._passes[generation]:
                del self._passes[generation]
                if generation in self._drained:
                    self._drained.pop(generation).set()

    async def _record_pending(self, name: str) -> None:
        waiting = self._unrecorded.get(name)
        while waiting:
            message_id, record = next(iter(waiting.items()))
            try:
                await record()
            except Exception as exc:
                log.warning("channel %s: still cannot record %s: %s", name, message_id, exc)
                return
            del waiting[message_id]

    # --- the lanes, kept running -------------------------------------------------------------

    async def serve(self) -> None:
        """Run every channel's lane until cancelled: a pass whenever woken (``wake``), or
        every ``idle`` seconds, and again at once after a full batch."""
        async with asyncio.TaskGroup() as tg:
            self._serving = tg
            try:
                for name in self._channels:
                    self._start_lane(name)
                await self._closing.wait()
            finally:
                self._serving = None

    async def stop(self, *, grace: float) -> None:
        """End the lanes: passes under way get ``grace`` seconds, then are cancelled (their
        messages are due again at once)."""
        self._closing.set()
        self.wake()
        lanes = list(self._lanes.values())
        if not lanes:
            return
        _, late = await asyncio.wait(lanes, timeout=grace)
        for task in late:
            log.warning("%s did not finish in time; cancelling it", task.get_name())
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=INTERRUPTED_RECORD_TIMEOUT + 1)

    def wake(self) -> None:
        """Ask every lane for a pass now (new alerts, a sealed digest)."""
        for event in self._wakes.values():
            event.set()

    def _start_lane(self, name: str) -> None:
        if self._serving is None or name in self._lanes or self._closing.is_set():
            return
        self._wakes[name] = asyncio.Event()
        self._lanes[name] = self._serving.create_task(self._lane(name), name=f"lane {name}")

    async def _lane(self, name: str) -> None:
        wake = self._wakes[name]
        try:
            while name in self._channels and not self._closing.is_set():
                wake.clear()
                try:
                    handled = await self._pass(name)
                except Exception:  # the lane's one boundary: a store failure, say
                    log.exception("channel %s: delivery pass failed", name)
                    handled = 0
                if handled < self._batch:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self._idle):
                            await wake.wait()
        finally:
            self._lanes.pop(name, None)
            self._wakes.pop(name, None)

    def reconfigure(
        self, channels: Mapping[str, Channel], policies: Mapping[str, RetryPolicy]
    ) -> asyncio.Event:
        """Deliver through ``channels`` from the next pass on; never waits for a delivery.

        Passes under way finish on the channels they started with; the event returned is set
        once they all have, when the old channels may be closed. A new channel's lane starts
        now (its pending messages go out at once); a removed one's ends after its pass.
        """
        old = self._generation
        self._generation += 1
        self._channels, self._policies = dict(channels), dict(policies)
        for name in channels:
            self._start_lane(name)
        for event in self._wakes.values():
            event.set()  # removed lanes see they are gone; the others pick up the new channel
        done = asyncio.Event()
        if self._passes.get(old, 0) == 0:
            done.set()
        else:
            self._drained[old] = done
        return done

    # --- one message -------------------------------------------------------------------------

    async def _deliver(self, channel: Channel, message: OutboxMessage) -> None:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.deadline):
                answer = await channel.send(message)
        except DeliveryError as exc:
            await self._failed(
                message, str(exc), transient=exc.transient, after=exc.retry_after, started=started
            )
        except TimeoutError:
            error = f"delivery took longer than {self.deadline:g} s"
            await self._failed(message, error, transient=True, after=None, started=started)
        except asyncio.CancelledError:
            # Interrupted here, not by a dead process: due again at once, not after the lease.
            await self._interrupted(message)
            raise
        except Exception as exc:  # the one supervisor boundary: a bug delays, never drops
            log.exception("channel %s: unexpected error delivering %s", channel.name, message.id)
            error = f"{type(exc).__name__}: {exc}"
            await self._failed(message, error, transient=True, after=None, started=started)
        else:
            now = self._clock()
            await self._record(message, partial(self._outbox.mark_delivered, message.id, now=now))
            await self._log_attempt(message, "delivered", answer, started)
            self._observer.delivered(message.channel, message.kind, _latencies(message, now))
            log.info(
                "channel %s: delivered %s %s (attempt %d)",
                message.channel, message.kind, message.id, message.attempts,
            )  # fmt: skip

    async def _record(self, message: OutboxMessage, record: _Record) -> None:
        """Record an outcome; if the store fails, keep it for the lane's next pass."""
        try:
            await record()
        except Exception as exc:
            log.error(
                "channel %s: cannot record the outcome of %s (%s); will try again",
                message.channel, message.id, exc,
            )  # fmt: skip
            self._unrecorded.setdefault(message.channel, {})[message.id] = record

    async def _log_attempt(
        self,
        message: OutboxMessage,
        outcome: str,
        answer: str | None,
        started: float,
        next_attempt_at: datetime | None = None,
    ) -> None:
        """Add the try to the log of attempts (``alerts show``); best effort."""
        try:
            await self._outbox.record_attempt(
                DeliveryAttempt(
                    message_id=message.id, attempt=message.attempts, at=self._clock(),
                    outcome=outcome, answer=answer, elapsed=time.perf_counter() - started,
                    next_attempt_at=next_attempt_at,
                )
            )  # fmt: skip
        except Exception as exc:
            log.warning(
                "channel %s: cannot log the try of %s: %s", message.channel, message.id, exc
            )

    async def _interrupted(self, message: OutboxMessage) -> None:
        record = partial(
            self._outbox.mark_retry, message.id, error="delivery interrupted",
            next_attempt_at=self._clock(),
        )  # fmt: skip
        try:
            async with asyncio.timeout(INTERRUPTED_RECORD_TIMEOUT):
                await asyncio.shield(record())
        except (Exception, asyncio.CancelledError):
            # Left 'delivering': the next service on this store makes it due at once.
            log.warning("alert %s: delivery interrupted, left for the next start", message.id)

    async def _failed(
        self,
        message: OutboxMessage,
        error: str,
        *,
        transient: bool,
        after: float | None,
        started: float,
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
            await self._record(
                message, partial(self._outbox.mark_failed, message.id, error=error, now=now)
            )
            await self._log_attempt(message, "failed", error, started)
            log.error(
                "channel %s: failed %s %s after %d attempt(s) (%s): %s",
                message.channel, message.kind, message.id, message.attempts, reason, error,
            )  # fmt: skip
            return
        await self._record(
            message,
            partial(self._outbox.mark_retry, message.id, error=error, next_attempt_at=when),
        )
        await self._log_attempt(message, "retry", error, started, next_attempt_at=when)
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
