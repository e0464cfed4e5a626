"""Coordination between workers on PostgreSQL: due sources, pages, hosts, their leases.

Every lease names its owner (a worker's number, ``connection``) and runs out at ``lease_until``
unless renewed (``renew_leases``: one statement for all of this worker's leases). Claims take
what is free, has run out, or is this worker's already; due sources are taken ``FOR UPDATE SKIP
LOCKED``, so workers claiming at once take different ones without waiting for each other. Rows
that several workers write in one statement (plans, page claims) are written in key order, so
that two such statements never wait for each other in a cycle.

A worker that is gone (its presence lock free) has its leases freed by whichever worker sweeps
next (``release_orphans``), so its work is taken over in seconds rather than when the leases
run out; on a clean exit a worker frees them itself (``leave``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from watchwire.logs import redact_url
from watchwire.store.postgres.connection import NOTIFY_CHANNEL, Connected
from watchwire.store.postgres.outbox import LIVE_WORKERS
from watchwire.store.values import ClaimedSources, PageClaim, SourceLease, SourcePlan

__all__ = ["CoordinationPart"]

_PLAN = """
    WITH plan AS (
        SELECT * FROM unnest(%(names)s::text[], %(urls)s::text[], %(first)s::timestamptz[],
                             %(latest)s::timestamptz[]) AS p(name, url, first_due, latest_due)
    )
    INSERT INTO sources AS s (name, url, next_poll_at)
    SELECT name, url, first_due FROM plan ORDER BY name
    ON CONFLICT (name) DO UPDATE SET next_poll_at = CASE
        WHEN s.lease_owner IS NOT NULL AND s.lease_until > %(now)s THEN s.next_poll_at
        WHEN s.next_poll_at IS NULL OR s.next_poll_at < %(now)s THEN excluded.next_poll_at
        WHEN s.consecutive_failures > 0 THEN s.next_poll_at
        ELSE LEAST(s.next_poll_at, (SELECT latest_due FROM plan WHERE plan.name = excluded.name))
    END
"""

_CLAIM = """
    WITH due AS (
        SELECT s.name FROM sources s
        JOIN worker_sources r ON r.worker = %(me)s AND r.source = s.name
        WHERE (s.next_poll_at IS NULL OR s.next_poll_at <= %(now)s)
          AND (s.lease_owner IS NULL OR s.lease_until <= %(now)s)
        ORDER BY s.next_poll_at NULLS FIRST
        LIMIT %(limit)s
        FOR UPDATE OF s SKIP LOCKED
    ), claimed AS (
        UPDATE sources s SET lease_owner = %(me)s, lease_until = %(until)s
        FROM due WHERE s.name = due.name
        RETURNING s.name, s.next_poll_at
    )
    SELECT name, next_poll_at, false AS upcoming FROM claimed
    UNION ALL
    (SELECT s.name, s.next_poll_at, true FROM sources s
     JOIN worker_sources r ON r.worker = %(me)s AND r.source = s.name
     WHERE s.next_poll_at > %(now)s AND s.lease_owner IS NULL
     ORDER BY s.next_poll_at LIMIT 1)
"""

_RENEW = """
    WITH s AS (UPDATE sources SET lease_until = %(until)s WHERE lease_owner = %(me)s RETURNING 1),
         p AS (UPDATE page_claims SET lease_until = %(until)s WHERE owner = %(me)s RETURNING 1),
         h AS (UPDATE hosts SET lease_until = %(until)s WHERE owner = %(me)s RETURNING 1)
    SELECT (SELECT count(*) FROM s) + (SELECT count(*) FROM p) + (SELECT count(*) FROM h) AS n
"""

_ORPHANS = f"""
    WITH live AS ({LIVE_WORKERS}),
    s AS (UPDATE sources SET lease_owner = NULL, lease_until = NULL
          WHERE lease_owner IS NOT NULL AND lease_owner::bigint NOT IN (SELECT id FROM live)
          RETURNING 1),
    p AS (DELETE FROM page_claims WHERE owner::bigint NOT IN (SELECT id FROM live) RETURNING 1),
    h AS (UPDATE hosts SET owner = NULL, lease_until = NULL,
                 free_at = GREATEST(COALESCE(free_at, %(now)s), %(host_free)s)
          WHERE owner IS NOT NULL AND owner::bigint NOT IN (SELECT id FROM live) RETURNING 1),
    o AS (UPDATE outbox SET state = 'pending', lease_until = NULL, lease_owner = NULL,
                 next_attempt_at = %(now)s, updated_at = %(now)s
          WHERE state = 'delivering' AND lease_owner IS NOT NULL
            AND lease_owner::bigint NOT IN (SELECT id FROM live) RETURNING 1),
    r AS (DELETE FROM worker_sources WHERE worker::bigint NOT IN (SELECT id FROM live)
          RETURNING 1),
    w AS (DELETE FROM workers WHERE id::bigint NOT IN (SELECT id FROM live) RETURNING 1)
    SELECT (SELECT count(*) FROM s) + (SELECT count(*) FROM p) + (SELECT count(*) FROM h)
           + (SELECT count(*) FROM o) AS n,
           (SELECT count(*) FROM o) AS messages
"""

ORPHANED_HOST_WAIT = timedelta(seconds=20)
"""How long a host a dead worker held waits before its next request: the dead worker's requests
may still be running at the site (the server does not know its client is gone) until they time
out (``crawl.timeout``, 20 s by default); without it a site saw twice its concurrency."""

_LEAVE = """
    WITH s AS (UPDATE sources SET lease_owner = NULL, lease_until = NULL
               WHERE lease_owner = %(me)s RETURNING 1),
         p AS (DELETE FROM page_claims WHERE owner = %(me)s RETURNING 1),
         h AS (UPDATE hosts SET owner = NULL, lease_until = NULL WHERE owner = %(me)s
               RETURNING 1),
         r AS (DELETE FROM worker_sources WHERE worker = %(me)s RETURNING 1)
    DELETE FROM workers WHERE id = %(me)s
"""


class CoordinationPart(Connected):
    # --- the schedule -------------------------------------------------------------------------

    async def plan_sources(self, plans: Sequence[SourcePlan], *, now: datetime) -> None:
        me = await self._me()
        ordered = sorted(plans, key=lambda p: p.name)
        params: dict[str, Any] = {
            "names": [p.name for p in ordered],
            "urls": [redact_url(p.url) for p in ordered],  # no secret stored
            "first": [p.first_due for p in ordered],
            "latest": [p.latest_due for p in ordered],
            "now": now,
            "me": me,
        }
        async with self._transaction() as conn:
            await conn.execute(_PLAN, params)
            await conn.execute("DELETE FROM worker_sources WHERE worker = %(me)s", params)
            await conn.execute(
                "INSERT INTO worker_sources (worker, source) "
                "SELECT DISTINCT %(me)s, name FROM unnest(%(names)s::text[]) AS n(name)",
                params,
            )

    async def claim_sources(self, *, now: datetime, limit: int, lease: timedelta) -> ClaimedSources:
        me = await self._me()
        found = await self._rows(
            _CLAIM, {"me": me, "now": now, "limit": limit, "until": now + lease}
        )
        leases = tuple(
            SourceLease(name=r["name"], due_at=r["next_poll_at"] or now)
            for r in found
            if not r["upcoming"]
        )
        upcoming = [r["next_poll_at"] for r in found if r["upcoming"]]
        # All the room taken: more may be due already.
        next_due = now if len(leases) >= limit else (upcoming[0] if upcoming else None)
        return ClaimedSources(leases=leases, next_due=next_due)

    async def finish_source(self, name: str, *, due_at: datetime) -> None:
        me = await self._me()
        await self._execute(
            """UPDATE sources SET next_poll_at = GREATEST(COALESCE(next_poll_at, %(due)s), %(due)s),
                      lease_owner = NULL, lease_until = NULL
               WHERE name = %(name)s AND lease_owner = %(me)s""",
            {"due": due_at, "name": name, "me": me},
        )

    # --- pages --------------------------------------------------------------------------------

    async def claim_pages(
        self, urls: Sequence[str], *, now: datetime, lease: timedelta
    ) -> PageClaim:
        if not urls:
            return PageClaim(mine=frozenset(), elsewhere=frozenset(), stored=frozenset())
        me = await self._me()
        found = await self._rows(
            """WITH claimed AS (
                   INSERT INTO page_claims AS c (url, owner, lease_until)
                   SELECT DISTINCT url, %(me)s, %(until)s FROM unnest(%(urls)s::text[]) AS u(url)
                   ORDER BY url
                   ON CONFLICT (url) DO UPDATE SET owner = excluded.owner,
                                                   lease_until = excluded.lease_until
                   WHERE c.owner = excluded.owner OR c.lease_until <= %(now)s
                   RETURNING url)
               SELECT c.url, (EXISTS (SELECT 1 FROM articles a WHERE a.url = c.url)
                              OR EXISTS (SELECT 1 FROM given_up g WHERE g.url = c.url)) AS stored
               FROM claimed c""",
            {"me": me, "until": now + lease, "now": now, "urls": list(urls)},
        )
        mine = frozenset(r["url"] for r in found)
        return PageClaim(
            mine=mine,
            elsewhere=frozenset(urls) - mine,
            stored=frozenset(r["url"] for r in found if r["stored"]),
        )

    async def pages_held(self, urls: Sequence[str], *, now: datetime) -> set[str]:
        if not urls:
            return set()
        me = await self._me()
        found = await self._rows(
            """SELECT url FROM page_claims
               WHERE url = ANY(%(urls)s) AND owner <> %(me)s AND lease_until > %(now)s""",
            {"urls": list(urls), "me": me, "now": now},
        )
        return {r["url"] for r in found}

    async def release_pages(self, urls: Sequence[str]) -> None:
        if not urls:
            return
        me = await self._me()
        await self._execute(
            "DELETE FROM page_claims WHERE url = ANY(%s) AND owner = %s", (list(urls), me)
        )

    # --- hosts --------------------------------------------------------------------------------

    async def hold_host(self, origin: str, *, now: datetime, lease: timedelta) -> datetime | None:
        me = await self._me()
        found = await self._rows(
            """INSERT INTO hosts AS h (origin, owner, lease_until) VALUES (%(origin)s, %(me)s,
                                                                          %(until)s)
               ON CONFLICT (origin) DO UPDATE SET owner = excluded.owner,
                                                  lease_until = excluded.lease_until
               WHERE h.owner IS NULL OR h.owner = excluded.owner OR h.lease_until <= %(now)s
               RETURNING free_at""",
            {"origin": origin, "me": me, "until": now + lease, "now": now},
        )
        if not found:
            return None
        free_at: datetime | None = found[0]["free_at"]
        return now if free_at is None else free_at

    async def release_hosts(self, free_at: Mapping[str, datetime]) -> None:
        if not free_at:
            return
        me = await self._me()
        origins = sorted(free_at)
        await self._execute(
            """UPDATE hosts h SET owner = NULL, lease_until = NULL, free_at = f.free_at
               FROM unnest(%s::text[], %s::timestamptz[]) AS f(origin, free_at)
               WHERE h.origin = f.origin AND h.owner = %s""",
            (origins, [free_at[o] for o in origins], me),
        )

    # --- leases -------------------------------------------------------------------------------

    async def renew_leases(self, *, now: datetime, lease: timedelta) -> None:
        me = await self._me()
        await self._execute(_RENEW, {"me": me, "until": now + lease})

    async def release_orphans(self, *, now: datetime) -> int:
        found = await self._rows(_ORPHANS, {"now": now, "host_free": now + ORPHANED_HOST_WAIT})
        freed, messages = int(found[0]["n"]), int(found[0]["messages"])
        if messages:
            await self._execute("SELECT pg_notify(%s, '')", (NOTIFY_CHANNEL,))
        return freed

    async def outbox_wakeup(self) -> None:
        await self._me()  # listening from now on
        await self._outbox_news.wait()
        self._outbox_news.clear()

    async def leave(self) -> None:
        """Free what this worker holds (it is stopping) and leave: the others take over now."""
        if self._worker is not None:
            try:
                await self._execute(_LEAVE, {"me": self._worker})
            finally:
                await self._leave_presence()
                self._worker = None
