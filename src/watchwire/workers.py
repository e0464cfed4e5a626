"""Where a parse of untrusted bytes runs: on the event loop, or in a bounded sandbox process.

A cold crawl analyses hundreds of pages a second, and one event loop cannot: the pages go to
worker processes, which use the other cores. A service watching feeds that change now and then
analyses a page every few seconds, ~2 ms each on the loop, and workers would only cost memory
(35 MB each). So pages are analysed in this process until the rate of recent analyses says a
burst is on; the workers start then, and stop once idle again.

Whatever the rate, a document the caller says does not fit on the loop (``fits_here``: too
large or too tag-heavy, ``watchwire.budget``) is parsed in a worker, started for it if none
runs. Every worker is a ``watchwire.sandbox.Sandbox``: each call in it is bound in CPU time,
memory and wall-clock time, and one over its bound raises ``OverBound`` and costs only its own
process (the next call starts another). ``size`` workers run during a burst; one when the
service has none for bursts (``size`` 0), for the documents that must not be parsed here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Self, TypeVar

from watchwire.sandbox import CannotStart, Limits, NotStarted, OverBound, Sandbox

__all__ = ["CannotStart", "Limits", "OverBound", "WorkerPool"]

log = logging.getLogger(__name__)

T = TypeVar("T")

BURST_RATE = 20
"""Analyses within ``BURST_WINDOW`` that start the workers: ~4 % of a core spent inline."""
BURST_WINDOW = 1.0
IDLE_AFTER = 60.0
"""Seconds without work after which the workers are stopped."""


class WorkerPool:
    """Up to ``max(size, 1)`` sandboxed workers, started on demand. An async context manager.

    A call goes to an idle worker, else to a new one while there are fewer than that, else
    it queues in a worker behind the call running there (``Sandbox.DEPTH``), else it waits.
    """

    def __init__(
        self,
        size: int,
        *,
        burst_rate: int = BURST_RATE,
        idle_after: float = IDLE_AFTER,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._size = size
        self._burst_rate = burst_rate
        self._idle_after = idle_after
        self._limits = limits or Limits()
        self._clock = clock
        self._recent: deque[float] = deque(maxlen=max(burst_rate, 1))
        self._capacity = max(size, 1)
        self._boxes: set[Sandbox] = set()
        """Every sandbox not yet reaped: idle, busy, or spent (over a bound, cancelled)."""
        self._starting = 0
        self._changed = asyncio.Condition()
        """Notified when a call ends or a worker has started, once per call it has room for
        (not all: sixty calls waiting would each look again, for one place)."""
        self._burst = False
        self._last_used = 0.0
        self._in_flight = 0

    @property
    def running(self) -> bool:
        return any(box.usable for box in self._boxes)

    @property
    def processes(self) -> int:
        """Worker processes running now (``/metrics``)."""
        return sum(box.usable for box in self._boxes)

    @property
    def limits(self) -> Limits:
        return self._limits

    async def run(
        self,
        call: Callable[[], T],
        *,
        fits_here: Callable[[], bool] = lambda: True,
        extra: Mapping[str, object] | None = None,
    ) -> T:
        """``call()``'s result: computed here when no burst is on and ``fits_here()`` (asked only
        then: counting a page's tags is wasted on a burst), in a worker otherwise. Raises
        ``OverBound`` when the worker's bound stopped it."""
        now = self._clock()
        self._recent.append(now)
        if not self._burst and self._size > 0 and self._bursting(now):
            log.debug("a burst of analyses: %d worker(s) take them", self._size)
            self._burst = True
        if not self._burst and fits_here():
            return call()
        return await self.isolated(call, extra=extra)

    async def isolated(
        self, call: Callable[[], T], *, extra: Mapping[str, object] | None = None
    ) -> T:
        """``call()``'s result, computed in a worker under the pool's limits. Raises
        ``OverBound`` when the worker's bound stopped it, ``CannotStart`` when no worker could
        be started for it."""
        self._in_flight += 1
        try:
            while True:
                box = await self._worker()
                try:
                    return await box.call(call, self._limits, extra=extra)
                except NotStarted:
                    continue  # its worker ended under the call before it: never ran
                finally:
                    if box.exited:  # over a bound, or stopped: reaped already
                        self._boxes.discard(box)
                    async with self._changed:  # one call's room is free: one waiter
                        self._changed.notify()
        finally:
            self._in_flight -= 1
            self._last_used = self._clock()

    async def _worker(self) -> Sandbox:
        """A worker with room for one more call (the call must be sent before any await)."""
        async with self._changed:
            while True:
                open_ = [b for b in self._boxes if b.usable and b.queued < Sandbox.DEPTH]
                idle = [b for b in open_ if not b.queued]
                live = sum(b.usable for b in self._boxes) + self._starting
                if idle:
                    return idle[0]
                if live < self._capacity:
                    self._starting += 1
                    break
                if open_:
                    return min(open_, key=lambda b: b.queued)
                await self._changed.wait()
        try:
            log.debug("starting a sandbox")
            box = await Sandbox.start()
        except BaseException:
            self._starting -= 1
            async with self._changed:  # its room is free again: a waiter may try to start one
                self._changed.notify()
            raise
        self._boxes.add(box)
        self._starting -= 1
        async with self._changed:  # without yielding: the caller's call is sent first
            self._changed.notify(Sandbox.DEPTH - 1)
        return box

    def _bursting(self, now: float) -> bool:
        recent = self._recent
        return len(recent) >= self._burst_rate and now - recent[0] <= BURST_WINDOW

    async def stop_if_idle(self) -> bool:
        """Stop the workers once none has had work for ``idle_after``. True if stopped.

        Idle counts from the last result, and never while work is queued or running: a
        shutdown would cancel it, and its article with it.
        """
        if not self._boxes or self._in_flight or self._clock() - self._last_used < self._idle_after:
            return False
        await self._stop()
        return True

    async def _stop(self) -> None:
        boxes, self._boxes = self._boxes, set()
        self._burst = False
        await asyncio.gather(*(box.close() for box in boxes))

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stop()
