"""Per-host politeness: how many requests may be in flight to one host, and how often they may
start.

One ``HostSlot`` per origin (``scheme://host:port``), in the manner of scrapy's downloader slots:
a FIFO of waiters under a concurrency limit, a minimum delay between request *starts*, and a pause
a server can ask for (``Retry-After``). Idle slots are dropped so that a long-running service
watching thousands of hosts does not keep one object per host it ever saw.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Final

__all__ = ["Clock", "HostSlot", "HostSlots", "Sleep"]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

_IDLE: Final = 300.0
"""Seconds an unused slot is kept (so the delay still holds for a host polled again soon)."""
_SWEEP_EVERY: Final = 60.0


class HostSlot:
    """Concurrency limit + start spacing for one host. Not thread-safe (one event loop)."""

    __slots__ = (
        "_active",
        "_clock",
        "_next_start",
        "_sleep",
        "_waiters",
        "last_used",
        "paused_until",
    )

    def __init__(self, *, clock: Clock, sleep: Sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._active = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._next_start = 0.0
        self.paused_until = 0.0
        self.last_used = clock()

    @property
    def busy(self) -> bool:
        return self._active > 0 or bool(self._waiters)

    @property
    def active(self) -> int:
        return self._active

    def pause(self, seconds: float) -> None:
        """Start nothing on this host for ``seconds`` (the server asked us to wait)."""
        self.paused_until = max(self.paused_until, self._clock() + seconds)

    @asynccontextmanager
    async def request(self, *, limit: int, delay: float) -> AsyncIterator[None]:
        """Hold one of ``limit`` places, starting at least ``delay`` s after the last start."""
        await self._acquire(limit)
        try:
            now = self._clock()
            start = max(now, self._next_start, self.paused_until)
            self._next_start = start + delay  # reserved before sleeping: waiters queue in order
            if start > now:
                await self._sleep(start - now)
            yield
        finally:
            self.last_used = self._clock()
            self._release(limit)

    async def _acquire(self, limit: int) -> None:
        if self._active < limit and not self._waiters:
            self._active += 1
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut  # _release hands its place over: _active is unchanged
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._release(limit)  # handed a place just as we were cancelled: pass it on
            else:
                self._waiters.remove(fut)
            raise

    def _release(self, limit: int) -> None:
        if self._active <= limit:
            while self._waiters:
                fut = self._waiters.popleft()
                if not fut.done():
                    fut.set_result(None)
                    return
        self._active -= 1


class HostSlots:
    """The slots of every host, created on first use and swept when idle."""

    def __init__(self, *, clock: Clock, sleep: Sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._slots: dict[str, HostSlot] = {}
        self._swept = clock()

    def __len__(self) -> int:
        return len(self._slots)

    def get(self, origin: str) -> HostSlot:
        now = self._clock()
        if now - self._swept > _SWEEP_EVERY:
            self._sweep(now)
        slot = self._slots.get(origin)
        if slot is None:
            slot = self._slots[origin] = HostSlot(clock=self._clock, sleep=self._sleep)
        return slot

    def _sweep(self, now: float) -> None:
        self._swept = now
        for origin, slot in list(self._slots.items()):
            if not slot.busy and now - slot.last_used > _IDLE and slot.paused_until < now:
                del self._slots[origin]
