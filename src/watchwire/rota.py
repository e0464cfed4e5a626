"""The rota: which sources this worker polls, and when.

Which source is due lives in the store (``ScheduleStore``), not in this process, so that any
number of workers sharing a store poll each source once per interval between them. A worker
*plans* the sources of its config into the store (at start and on reload), *claims* the due
ones it has capacity for (each leased to it, ``SKIP LOCKED`` on a server), polls them, and
*hands each back* due again a whole number of intervals after it fell due: polls keep their
place on their interval's grid however late one started, and a source that failed stays backed
off for as long as its poll said. The leases are short and renewed while the polls run
(``LeaseKeeper``, driven by the service): a worker that dies mid-poll leaves its sources to the
others within seconds.

At start, the sources a store does not know yet (and the overdue ones) are spread: those that
share an interval evenly over half of it, at most ``STARTUP_SPREAD`` and ``STARTUP_GAP`` apart
(``first_runs``), so that steady state has no bursts; a source whose next poll is still ahead
keeps it, so that restarting a worker does not make every source poll at once.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from watchwire.config import Config
from watchwire.store import ScheduleStore, SourceLease, SourcePlan
from watchwire.timeutil import utcnow

__all__ = [
    "LEASE",
    "MAX_POLLS",
    "STARTUP_GAP",
    "STARTUP_SPREAD",
    "Rota",
    "first_runs",
    "next_on_grid",
    "source_plans",
]

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
"""How long a claim holds without renewal: a dead worker's sources wait at most this long
(less where the store can tell the worker is gone)."""
MAX_POLLS = 64
"""Polls one worker runs at once: the rest of the due sources are left to the other workers
(or to this one's next claim). Articles in flight are bounded further down (``pipeline``)."""
STARTUP_SPREAD = timedelta(seconds=60)
"""At most this long, and half their interval, the first polls of the sources that share an
interval are spread over at start: a steady state without bursts."""
STARTUP_GAP = timedelta(seconds=0.25)
"""First polls at start are at most this far apart (4 a second, or more when more sources
must fit in ``STARTUP_SPREAD``)."""


def first_runs(
    intervals: Mapping[str, timedelta], *, now: datetime, spread: timedelta = STARTUP_SPREAD
) -> dict[str, datetime]:
    """When each source is first polled at start: the sources that share an interval evenly
    over half of it, at most ``spread``, and no longer than ``STARTUP_GAP`` per source — so a
    thousand sources never come in one burst, and five do not wait a minute."""
    groups: dict[timedelta, list[str]] = {}
    for name, every in intervals.items():
        groups.setdefault(every, []).append(name)
    out: dict[str, datetime] = {}
    for every, names in groups.items():
        window = min(every / 2, spread, STARTUP_GAP * len(names))
        for i, name in enumerate(names):
            out[name] = now + window * i / len(names)
    return out


def source_plans(
    config: Config, *, now: datetime, spread: timedelta = STARTUP_SPREAD
) -> list[SourcePlan]:
    """The enabled sources of ``config`` as the schedule plans them: a source new to the store
    (or overdue) first due at its place in the spread, a known one due within an interval."""
    sources = [s for s in config.sources if s.enabled]
    intervals = {s.name: config.settings_for(s).interval for s in sources}
    starts = first_runs(intervals, now=now, spread=spread)
    return [
        SourcePlan(
            name=s.name,
            url=s.url,
            first_due=starts[s.name],
            latest_due=max(now + intervals[s.name], starts[s.name]),
        )
        for s in sources
    ]


def next_on_grid(due_at: datetime, interval: timedelta, *, now: datetime) -> datetime:
    """The first point after ``now`` on the grid of ``interval`` through ``due_at``: polls
    missed while a source waited are not made up, and later ones do not drift."""
    if due_at > now:
        return due_at + interval
    steps = math.floor((now - due_at) / interval) + 1
    return due_at + steps * interval


class Rota:
    """This worker's claims on due sources. ``claim`` → poll → ``finish``, one per lease."""

    def __init__(
        self,
        store: ScheduleStore,
        *,
        lease: timedelta = LEASE,
        max_polls: int = MAX_POLLS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._lease = lease
        self._max_polls = max_polls
        self._clock = clock
        self._held: set[str] = set()

    @property
    def held(self) -> frozenset[str]:
        """Sources this worker is polling now."""
        return frozenset(self._held)

    async def plan(self, config: Config) -> None:
        """Tell the store which sources this worker has (its config's enabled ones)."""
        now = self._clock()
        await self._store.plan_sources(source_plans(config, now=now), now=now)

    async def claim(self) -> tuple[list[SourceLease], datetime | None]:
        """Due sources leased to this worker, as many as it has room for; and when the next
        one falls due (None: nothing scheduled, or no room now — a ``finish`` makes room)."""
        room = self._max_polls - len(self._held)
        if room <= 0:
            return [], None
        claimed = await self._store.claim_sources(now=self._clock(), limit=room, lease=self._lease)
        self._held.update(lease.name for lease in claimed.leases)
        return list(claimed.leases), claimed.next_due

    @property
    def full(self) -> bool:
        """Whether this worker runs as many polls as it may (claims wait for a ``finish``)."""
        return len(self._held) >= self._max_polls

    async def finish(self, lease: SourceLease, interval: timedelta | None) -> datetime:
        """Hand ``lease`` back: due again on its grid of ``interval``; None (the source left
        the config meanwhile) leaves it due when it was, for a worker that still has it.
        Returns when it is due next (the store may push it later: a back-off)."""
        try:
            due = lease.due_at
            if interval is not None:
                due = next_on_grid(lease.due_at, interval, now=self._clock())
            await self._store.finish_source(lease.name, due_at=due)
        finally:
            self._held.discard(lease.name)
        return due
