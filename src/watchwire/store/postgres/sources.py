"""Sources: poll state, health, fetch history and HTTP validators.

As in the embedded store, no secret of a source URL is written: ``sources`` and ``fetches`` keep
it redacted (``logs.redact_url``), and ``http_cache`` is keyed by the redacted URL plus a digest
of the real one (``cache_key``, the same key as SQLite's, so a copied store finds its cache).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from psycopg.rows import DictRow

from watchwire.logs import redact_text, redact_url
from watchwire.models import FetchResult, Validators
from watchwire.store.ids import new_id
from watchwire.store.postgres.connection import NOTIFY_CHANNEL, Connected, rows
from watchwire.store.values import (
    ARTICLES_PER_DAY_WINDOW,
    CachedValidators,
    FetchRecord,
    HealthIntent,
    HealthRecord,
    PollRecord,
    SourceHealth,
    SourceState,
)
from watchwire.timeutil import utcnow

__all__ = ["SourcesPart", "cache_key"]

_FETCH_HISTORY = timedelta(days=7)

_RECORD_POLL = """
    INSERT INTO sources AS s (name, url, kind, first_polled_at, last_polled_at, last_ok_at,
                              consecutive_failures, last_error, next_poll_at, failing_since,
                              last_new_at)
    VALUES (%(name)s, %(url)s, %(kind)s, %(now)s, %(now)s, CASE WHEN %(ok)s THEN %(now)s END,
            CASE WHEN %(ok)s THEN 0 ELSE 1 END, %(error)s, %(next)s,
            CASE WHEN %(ok)s THEN NULL ELSE %(now)s END,
            CASE WHEN %(new)s > 0 THEN %(now)s END)
    ON CONFLICT (name) DO UPDATE SET
        url = excluded.url,
        kind = COALESCE(excluded.kind, s.kind),
        first_polled_at = COALESCE(s.first_polled_at, excluded.first_polled_at),
        last_polled_at = excluded.last_polled_at,
        last_ok_at = CASE WHEN %(ok)s THEN %(now)s ELSE s.last_ok_at END,
        consecutive_failures = CASE WHEN %(ok)s THEN 0 ELSE s.consecutive_failures + 1 END,
        failing_since = CASE WHEN %(ok)s THEN NULL ELSE COALESCE(s.failing_since, %(now)s) END,
        last_error = %(error)s,
        next_poll_at = %(next)s,
        last_new_at = CASE WHEN %(new)s > 0 THEN %(now)s ELSE s.last_new_at END
    RETURNING *
"""

# Counts agree with the state: a fetch that brought nothing usable (an error, a page robots.txt
# forbids, a body of a type not read) is an error (as SQLite's).
_HEALTH = """
    SELECT s.*,
           (SELECT count(*) FROM fetches f WHERE f.source = s.name AND f.at >= %(since)s)
               AS fetches,
           (SELECT count(*) FROM fetches f WHERE f.source = s.name AND f.at >= %(since)s
                AND f.outcome NOT IN ('ok', 'not_modified')) AS errors,
           (SELECT outcome FROM fetches f WHERE f.source = s.name ORDER BY id DESC LIMIT 1)
               AS last_outcome,
           (SELECT error FROM fetches f WHERE f.source = s.name ORDER BY id DESC LIMIT 1)
               AS last_fetch_error,
           (SELECT max(at) FROM fetches f WHERE f.source = s.name AND f.at >= %(since)s)
               AS last_at,
           (SELECT count(*) FROM articles a WHERE a.source = s.name) AS articles,
           (SELECT count(*) FROM articles a
                WHERE a.source = s.name AND a.first_seen_at >= %(recent)s) AS articles_recent,
           (SELECT count(*) FROM given_up g WHERE g.source = s.name) AS given_up
    FROM sources s
"""


class SourcesPart(Connected):
    async def source_state(self, name: str) -> SourceState | None:
        found = await self._rows("SELECT * FROM sources WHERE name = %s", (name,))
        return _source_state(found[0]) if found else None

    async def record_poll(
        self,
        name: str,
        *,
        url: str,
        now: datetime,
        ok: bool,
        error: str | None = None,
        kind: str | None = None,
        next_poll_at: datetime | None = None,
        new_articles: int = 0,
    ) -> SourceState:
        params: dict[str, Any] = {
            "name": name, "url": redact_url(url), "kind": kind, "now": now, "ok": ok,
            "error": None if error is None else redact_text(error), "next": next_poll_at,
            "new": new_articles,
        }  # fmt: skip
        async with self._transaction() as conn:
            (row,) = await rows(conn, _RECORD_POLL, params)
            await conn.execute(
                """INSERT INTO polls (source, at, ok, error, kind, new_articles)
                   VALUES (%(name)s, %(now)s, %(ok)s, %(error)s, %(kind)s, %(new)s)""",
                params,
            )
            history_start = now - _FETCH_HISTORY
            await conn.execute(
                "DELETE FROM fetches WHERE source = %s AND at < %s", (name, history_start)
            )
            await conn.execute(
                "DELETE FROM polls WHERE source = %s AND at < %s", (name, history_start)
            )
        return _source_state(row)

    async def record_fetch(self, source: str, result: FetchResult, *, now: datetime) -> None:
        await self._execute(
            """INSERT INTO fetches (source, url, at, outcome, status, bytes, elapsed_ms,
                                    error_class, error)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (
                source, redact_url(result.url), now, str(result.outcome), result.status,
                len(result.content), int(result.elapsed * 1000), result.error_class,
                None if result.error is None else redact_text(result.error),
            ),
        )  # fmt: skip

    async def validators(self, url: str) -> CachedValidators | None:
        found = await self._rows(
            "SELECT etag, last_modified, body_hash FROM http_cache WHERE url = %s",
            (cache_key(url),),
        )
        if not found:
            return None
        row = found[0]
        return CachedValidators(
            validators=Validators(etag=row["etag"], last_modified=row["last_modified"]),
            body_hash=row["body_hash"],
        )

    async def save_validators(
        self, url: str, validators: Validators, *, body_hash: str | None, now: datetime
    ) -> None:
        await self._execute(
            """INSERT INTO http_cache AS c (url, etag, last_modified, body_hash, updated_at)
               VALUES (%s, %s, %s, %s, %s)
               ON CONFLICT (url) DO UPDATE SET etag = excluded.etag,
                   last_modified = excluded.last_modified,
                   body_hash = COALESCE(excluded.body_hash, c.body_hash),
                   updated_at = excluded.updated_at""",
            (cache_key(url), validators.etag, validators.last_modified, body_hash, now),
        )

    async def record_health(
        self, name: str, record: HealthRecord, intents: Sequence[HealthIntent], *, now: datetime
    ) -> list[str]:
        """Store a source's new health state and its alerts, in one transaction. Only the
        worker holding the source's lease polls it, so states follow each other in order."""
        written: list[str] = []
        async with self._transaction() as conn:
            await conn.execute(
                """UPDATE sources SET state = %s, state_since = %s, state_reason = %s,
                                      moved_to = %s
                   WHERE name = %s""",
                (record.state, record.since, record.reason, record.moved_to, name),
            )
            for intent in intents:
                alert_id = new_id(now)
                payload = {"type": intent.payload["type"], "id": alert_id}
                payload.update((k, v) for k, v in intent.payload.items() if k not in ("type", "id"))
                body = json.dumps(payload, ensure_ascii=False)
                message_id = None if intent.digest else alert_id
                if message_id is not None:
                    await conn.execute(
                        """INSERT INTO outbox (id, channel, kind, payload, next_attempt_at,
                                               created_at, updated_at)
                           VALUES (%s, %s, 'alert', %s::json, %s, %s, %s)""",
                        (alert_id, intent.channel, body, now, now, now),
                    )
                await conn.execute(
                    """INSERT INTO alerts (id, channel, message_id, payload, created_at)
                       VALUES (%s, %s, %s, %s::json, %s)""",
                    (alert_id, intent.channel, message_id, body, now),
                )
                written.append(alert_id)
            if any(not i.digest for i in intents):
                await conn.execute("SELECT pg_notify(%s, '')", (NOTIFY_CHANNEL,))
        return written

    async def source_states(self) -> list[SourceState]:
        return [
            _source_state(r)
            for r in await self._rows('SELECT * FROM sources ORDER BY name COLLATE "C"')
        ]

    async def health_states(self) -> dict[str, tuple[str | None, datetime | None]]:
        found = await self._rows("SELECT name, state, state_since FROM sources")
        return {r["name"]: (r["state"], r["state_since"]) for r in found}

    async def article_times(self, name: str, *, limit: int) -> list[datetime]:
        """When the source's latest articles appeared, newest first: published, else first
        seen (never later than first seen: a date in the future is a site's mistake)."""
        found = await self._rows(
            """SELECT LEAST(COALESCE(published_at, first_seen_at), first_seen_at) AS t
               FROM articles WHERE source = %s ORDER BY first_seen_at DESC LIMIT %s""",
            (name, limit),
        )
        return sorted((r["t"] for r in found if r["t"] is not None), reverse=True)

    async def source_health(
        self, *, since: datetime, names: Sequence[str] | None = None
    ) -> list[SourceHealth]:
        recent = utcnow() - ARTICLES_PER_DAY_WINDOW
        params: dict[str, Any] = {"since": since, "recent": recent}
        sql = _HEALTH
        if names is not None:
            sql += " WHERE s.name = ANY(%(names)s)"
            params["names"] = list(dict.fromkeys(names))
        return [
            SourceHealth(
                name=r["name"],
                fetches=int(r["fetches"] or 0),
                errors=int(r["errors"] or 0),
                last_outcome=r["last_outcome"],
                last_error=r["last_error"] or r["last_fetch_error"],
                last_at=r["last_at"],
                consecutive_failures=int(r["consecutive_failures"]),
                articles=int(r["articles"]),
                state=_source_state(r),
                articles_recent=int(r["articles_recent"]),
                given_up=int(r["given_up"]),
            )
            for r in await self._rows(sql + ' ORDER BY s.name COLLATE "C"', params)
        ]

    async def recent_polls(self, name: str, *, limit: int = 20) -> list[PollRecord]:
        found = await self._rows(
            "SELECT * FROM polls WHERE source = %s ORDER BY at DESC, id DESC LIMIT %s",
            (name, limit),
        )
        return [
            PollRecord(
                at=r["at"],
                ok=bool(r["ok"]),
                error=r["error"],
                kind=r["kind"],
                new_articles=int(r["new_articles"]),
            )
            for r in found
        ]

    async def recent_fetches(self, name: str, *, limit: int = 50) -> list[FetchRecord]:
        found = await self._rows(
            "SELECT * FROM fetches WHERE source = %s ORDER BY at DESC, id DESC LIMIT %s",
            (name, limit),
        )
        return [
            FetchRecord(
                at=r["at"],
                url=r["url"],
                outcome=r["outcome"],
                status=r["status"],
                bytes=int(r["bytes"]),
                elapsed=int(r["elapsed_ms"]) / 1000,
                error=r["error"],
            )
            for r in found
        ]


def cache_key(url: str) -> str:
    """``http_cache``'s key for ``url``: itself when it holds no secret; else its redacted form
    and a digest of the whole, so that URLs differing only in a token keep apart."""
    redacted = redact_url(url)
    if redacted == url:
        return url
    return f"{redacted} {hashlib.sha256(url.encode()).hexdigest()[:32]}"


def _source_state(row: DictRow) -> SourceState:
    return SourceState(
        name=row["name"],
        kind=row["kind"],
        first_polled_at=row["first_polled_at"],
        last_ok_at=row["last_ok_at"],
        consecutive_failures=int(row["consecutive_failures"]),
        last_error=row["last_error"],
        next_poll_at=row["next_poll_at"],
        state=row["state"],
        state_since=row["state_since"],
        state_reason=row["state_reason"],
        moved_to=row["moved_to"],
        failing_since=row["failing_since"],
        last_new_at=row["last_new_at"],
        url=row["url"],
        last_polled_at=row["last_polled_at"],
    )
