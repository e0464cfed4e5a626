"""Per-host politeness: how many requests may be in flight to one host, and how often they may
start.

One ``HostSlot`` per origin (``scheme://host:port``), in the manner of scrapy's downloader slots:
a FIFO of waiters under a concurrency limit, a minimum delay between request *starts*, and a pause
a server can ask for (``Retry-After``). Idle slots are dropped so that a long-running service
watching thousands of hosts does not keep one object per host it ever saw.

When several workers share a store, a slot is this process's only while it holds the host's
lease: a ``gate`` (``shared.SharedHosts``) is passed through before a request starts on a
slot that does not, so that the limits hold for the whole deployment.
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
Gate = Callable[["HostSlot"], Awaitable[None]]
"""Makes the deployment's lease on the slot's host this process's (``held``) before a request."""

_IDLE: Final = 300.0
"""Seconds an unused slot is kept (so the delay still holds for a host polled again soon)."""
_SWEEP_EVERY: Final = 60.0


class HostSlot:
    """Concurrency limit + start spacing for one host. Not thread-safe (one event loop)."""

    __slots__ = (
        "_active",
        "_clock",
        "_gate",
        "_next_start",
        "_sleep",
        "_waiters",
        "held",
        "last_used",
        "origin",
        "paused_until",
    )

    def __init__(
        self, *, clock: Clock, sleep: Sleep, origin: str = "", gate: Gate | None = None
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._gate = gate
        self._active = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._next_start = 0.0
        self.origin = origin
        self.held = gate is None
        """Whether requests may start: always without a gate, with one while it holds."""
        self.paused_until = 0.0
        self.last_used = clock()

    @property
    def next_start(self) -> float:
        """When (on ``clock``) the next request may start."""
        return max(self._next_start, self.paused_until)

    def hold(self, *, wait: float) -> None:
        """The host's lease is this process's now; its last holder's next request was due in
        ``wait`` seconds (its ``per_host_delay`` goes on holding)."""
        self.held = True
        self._next_start = max(self._next_start, self._clock() + wait)

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
            if not self.held and self._gate is not None:
                await self._gate(self)
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
            elif fut in self._waiters:  # a release may have dropped it already, as done
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

    def __init__(self, *, clock: Clock, sleep: Sleep, gate: Gate | None = None) -> None:
        self._clock = clock
        self._sleep = sleep
        self._gate = gate
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
            slot = HostSlot(clock=self._clock, sleep=self._sleep, origin=origin, gate=self._gate)
            self._slots[origin] = slot
        return slot

    def _sweep(self, now: float) -> None:
        self._swept = now
        for origin, slot in list(self._slots.items()):
            if (
                not slot.busy
                and now - slot.last_used > _IDLE
                and slot.paused_until < now
                and not (slot.held and self._gate is not None)  # its lease given back first
            ):
                del self._slots[origin]
