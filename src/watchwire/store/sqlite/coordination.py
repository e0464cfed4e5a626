"""Coordination on the embedded store: one process holds everything, so leases are its own.

An SQLite store has one service at a time, so every lease is this process's: due sources are
read from ``sources.next_poll_at`` (the schedule lives in the file, as on a server) and held in
memory while polled; pages and hosts need no lease beyond the process's own (``inflight``, the
fetcher's host slots); nothing is ever orphaned while the store is open. The outbox wakes the
dispatcher from here when this process queues a message.

The worker's roster (the sources its config has) is a temporary table on the writer's
connection: a source the config dropped stays in the file with its history, and is not claimed.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from watchwire.logs import redact_url
from watchwire.store.sqlite.articles import _known_urls
from watchwire.store.sqlite.connection import Connected
from watchwire.store.values import (
    ClaimedSources,
    PageClaim,
    SourceLease,
    SourcePlan,
)
from watchwire.timeutil import from_iso, to_iso, utcnow

__all__ = ["CoordinationPart"]

_PLAN = """
    INSERT INTO sources (name, url, next_poll_at) VALUES (:name, :url, :first)
    ON CONFLICT (name) DO UPDATE SET next_poll_at = CASE
        WHEN :leased THEN next_poll_at
        WHEN next_poll_at IS NULL OR next_poll_at < :now THEN :first
        WHEN consecutive_failures > 0 THEN next_poll_at
        ELSE MIN(next_poll_at, :latest) END
"""


class CoordinationPart(Connected):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._leased: set[str] = set()
        self._claimed: set[str] = set()
        """Messages this process claimed for delivery and has not settled yet."""
        self._outbox_news = asyncio.Event()

    # --- the schedule -------------------------------------------------------------------------

    async def plan_sources(self, plans: Sequence[SourcePlan], *, now: datetime) -> None:
        stamp = to_iso(now)
        rows = [
            {"name": p.name, "url": redact_url(p.url), "first": to_iso(p.first_due),
             "latest": to_iso(p.latest_due), "now": stamp, "leased": p.name in self._leased}
            for p in plans
        ]  # fmt: skip
        await self._batched(partial(_plan, rows))

    async def claim_sources(self, *, now: datetime, limit: int, lease: timedelta) -> ClaimedSources:
        busy = frozenset(self._leased)
        due, next_due = await self._read(partial(_due, to_iso(now), limit, busy))
        for lease_ in due:
            self._leased.add(lease_.name)
        return ClaimedSources(leases=tuple(due), next_due=next_due)

    async def finish_source(self, name: str, *, due_at: datetime) -> None:
        try:
            await self._write(
                "UPDATE sources SET next_poll_at = MAX(COALESCE(next_poll_at, ''), ?) "
                "WHERE name = ?",
                (to_iso(due_at), name),
            )
        finally:
            self._leased.discard(name)

    # --- pages and hosts: this process's own claims cover them ---------------------------------

    async def claim_pages(
        self, urls: Sequence[str], *, now: datetime, lease: timedelta
    ) -> PageClaim:
        if not urls:
            return PageClaim(mine=frozenset(), elsewhere=frozenset(), stored=frozenset())
        stored = await self._read(partial(_known_urls, list(urls)))
        return PageClaim(mine=frozenset(urls), elsewhere=frozenset(), stored=frozenset(stored))

    async def pages_held(self, urls: Sequence[str], *, now: datetime) -> set[str]:
        return set()

    async def release_pages(self, urls: Sequence[str]) -> None:
        return None

    async def hold_host(self, origin: str, *, now: datetime, lease: timedelta) -> datetime | None:
        return now

    async def release_hosts(self, free_at: Mapping[str, datetime]) -> None:
        return None

    # --- leases and wake-ups ------------------------------------------------------------------

    async def renew_leases(self, *, now: datetime, lease: timedelta) -> None:
        return None

    async def release_orphans(self, *, now: datetime) -> int:
        return 0

    async def outbox_wakeup(self) -> None:
        await self._outbox_news.wait()
        self._outbox_news.clear()

    def _outbox_queued(self) -> None:
        self._outbox_news.set()


def _plan(rows: list[dict[str, Any]], db: sqlite3.Connection) -> None:
    db.execute("CREATE TEMP TABLE IF NOT EXISTS roster (name TEXT PRIMARY KEY) WITHOUT ROWID")
    db.execute("DELETE FROM temp.roster")
    db.executemany("INSERT OR IGNORE INTO temp.roster (name) VALUES (?)",
                   [(r["name"],) for r in rows])  # fmt: skip
    db.executemany(_PLAN, rows)


def _due(
    stamp: str, limit: int, busy: frozenset[str], db: sqlite3.Connection
) -> tuple[list[SourceLease], datetime | None]:
    try:
        rows = db.execute(
            """SELECT s.name, s.next_poll_at FROM sources s JOIN temp.roster r ON r.name = s.name
               WHERE s.next_poll_at IS NULL OR s.next_poll_at <= ?
               ORDER BY s.next_poll_at LIMIT ?""",
            (stamp, limit + len(busy) + 1),
        ).fetchall()
    except sqlite3.OperationalError:  # no roster: nothing planned yet
        return [], None
    now = from_iso(stamp) or utcnow()
    due = [
        SourceLease(name=name, due_at=from_iso(when) or now)
        for name, when in rows
        if name not in busy
    ]
    if len(due) > limit:
        return due[:limit], now  # more are due already
    row = db.execute(
        """SELECT MIN(s.next_poll_at) FROM sources s JOIN temp.roster r ON r.name = s.name
           WHERE s.next_poll_at > ?""",
        (stamp,),
    ).fetchone()
    return due, from_iso(row[0]) if row else None
