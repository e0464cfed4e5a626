"""Hosts shared by several workers: a host is requested by one worker at a time.

``per_host_concurrency`` and ``per_host_delay`` are promises to a site, not to a process. When
workers share a store, the fetcher's per-host slots (``hosts``) hold for the deployment by
holding the host's lease in the store (``HostLeaseStore``) while they are in use: a slot about
to start a request on a host it does not hold takes the lease first (waiting, a little longer
each time, while another worker holds it), and a host left idle for ``LINGER`` seconds is given
back with when its next request may start, so that the next holder keeps the delay. The service
renews the leases of busy hosts with the others (``LeaseKeeper.renew_leases``).

The cost is one store round trip when a worker starts on a host and one (batched) when it lets
go, not one per request. A store with one worker (SQLite) grants every host at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from watchwire.fetch.hosts import Clock, HostSlot, Sleep
from watchwire.store import HostLeaseStore
from watchwire.timeutil import utcnow

__all__ = ["LINGER", "SharedHosts"]

log = logging.getLogger("watchwire.fetch")

LINGER: Final = 1.0
"""Seconds a host stays this worker's after its last request: a poll's next request to it, a
moment later, does not pay for the lease again."""
LEASE: Final = timedelta(seconds=30)
_FIRST_WAIT: Final = 0.05
_MAX_WAIT: Final = 1.0


class SharedHosts:
    """This worker's leases on hosts; ``hold`` is the slots' gate."""

    def __init__(
        self,
        store: HostLeaseStore,
        *,
        clock: Clock,
        sleep: Sleep,
        wall: Callable[[], datetime] = utcnow,
        lease: timedelta = LEASE,
        linger: float = LINGER,
    ) -> None:
        self._store = store
        self._clock = clock
        self._sleep = sleep
        self._wall = wall
        self._lease = lease
        self._linger = linger
        self._held: dict[str, HostSlot] = {}
        self._taking: dict[str, asyncio.Future[None]] = {}
        # One store call at a time: a host given back and taken again must reach the store in
        # that order.
        self._lock = asyncio.Lock()

    @property
    def held(self) -> frozenset[str]:
        return frozenset(self._held)

    async def hold(self, slot: HostSlot) -> None:
        """Until this worker holds ``slot``'s host (one attempt at a time per host)."""
        while not slot.held:
            taking = self._taking.get(slot.origin)
            if taking is not None:
                await asyncio.wait([taking])
                continue
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._taking[slot.origin] = done
            try:
                await self._take(slot)
            finally:
                del self._taking[slot.origin]
                done.set_result(None)

    async def _take(self, slot: HostSlot) -> None:
        wait = _FIRST_WAIT
        while True:
            async with self._lock:
                free_at = await self._store.hold_host(slot.origin, now=self._wall(),
                                                      lease=self._lease)  # fmt: skip
            if free_at is not None:
                slot.hold(wait=max(0.0, (free_at - self._wall()).total_seconds()))
                self._held[slot.origin] = slot
                return
            log.debug("host %s is another worker's; waiting %.2fs", slot.origin, wait)
            await self._sleep(wait)
            wait = min(wait * 2, _MAX_WAIT)

    async def release_idle(self, *, everything: bool = False) -> int:
        """Give back the hosts idle for ``LINGER`` seconds (all of them: ``everything``)."""
        now = self._clock()
        idle = [
            slot
            for slot in self._held.values()
            if everything or (not slot.busy and now - slot.last_used >= self._linger)
        ]
        if not idle:
            return 0
        wall = self._wall()
        free_at = {}
        for slot in idle:
            slot.held = False  # before the await: a request from now on takes the lease again
            del self._held[slot.origin]
            free_at[slot.origin] = wall + timedelta(seconds=max(0.0, slot.next_start - now))
        try:
            async with self._lock:
                await self._store.release_hosts(free_at)
        except Exception:
            # Still leased in the store: keep them, and give them back on a later tick.
            for slot in idle:
                if slot.origin not in self._held and not slot.held:
                    slot.held = True
                    self._held[slot.origin] = slot
            raise
        return len(free_at)
