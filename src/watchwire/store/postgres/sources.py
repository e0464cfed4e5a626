"""Sources: poll state, fetch history and HTTP validators.

As in the embedded store, no secret of a source URL is written: ``sources`` and ``fetches`` keep
it redacted (``logs.redact_url``), and ``http_cache`` is keyed by the redacted URL plus a digest
of the real one (``cache_key``, the same key as SQLite's, so a copied store finds its cache).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from psycopg.rows import DictRow

from watchwire.logs import redact_text, redact_url
from watchwire.models import FetchResult, Validators
from watchwire.store.postgres.connection import Connected, rows
from watchwire.store.values import CachedValidators, SourceHealth, SourceState

__all__ = ["SourcesPart", "cache_key"]

_FETCH_HISTORY = timedelta(days=7)

_RECORD_POLL = """
    INSERT INTO sources AS s (name, url, kind, first_polled_at, last_polled_at, last_ok_at,
                              consecutive_failures, last_error, next_poll_at)
    VALUES (%(name)s, %(url)s, %(kind)s, %(now)s, %(now)s, CASE WHEN %(ok)s THEN %(now)s END,
            CASE WHEN %(ok)s THEN 0 ELSE 1 END, %(error)s, %(next)s)
    ON CONFLICT (name) DO UPDATE SET
        url = excluded.url,
        kind = COALESCE(excluded.kind, s.kind),
        first_polled_at = COALESCE(s.first_polled_at, excluded.first_polled_at),
        last_polled_at = excluded.last_polled_at,
        last_ok_at = CASE WHEN %(ok)s THEN %(now)s ELSE s.last_ok_at END,
        consecutive_failures = CASE WHEN %(ok)s THEN 0 ELSE s.consecutive_failures + 1 END,
        last_error = %(error)s,
        next_poll_at = %(next)s
    RETURNING *
"""

_HEALTH = """
    SELECT s.name, s.consecutive_failures, s.last_error AS poll_error,
           count(f.id) AS fetches,
           count(*) FILTER (WHERE f.outcome = 'error') AS errors,
           (SELECT outcome FROM fetches WHERE source = s.name ORDER BY id DESC LIMIT 1)
               AS last_outcome,
           (SELECT error FROM fetches WHERE source = s.name ORDER BY id DESC LIMIT 1)
               AS last_fetch_error,
           max(f.at) AS last_at,
           (SELECT count(*) FROM articles WHERE source = s.name) AS articles
    FROM sources s LEFT JOIN fetches f ON f.source = s.name AND f.at >= %s
    GROUP BY s.name ORDER BY s.name
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
    ) -> SourceState:
        params: dict[str, Any] = {
            "name": name, "url": redact_url(url), "kind": kind, "now": now, "ok": ok,
            "error": None if error is None else redact_text(error), "next": next_poll_at,
        }  # fmt: skip
        async with self._transaction() as conn:
            (row,) = await rows(conn, _RECORD_POLL, params)
            await conn.execute(
                "DELETE FROM fetches WHERE source = %s AND at < %s", (name, now - _FETCH_HISTORY)
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

    async def source_health(self, *, since: datetime) -> list[SourceHealth]:
        return [
            SourceHealth(
                name=r["name"],
                fetches=int(r["fetches"] or 0),
                errors=int(r["errors"] or 0),
                last_outcome=r["last_outcome"],
                last_error=r["poll_error"] or r["last_fetch_error"],
                last_at=r["last_at"],
                consecutive_failures=int(r["consecutive_failures"]),
                articles=int(r["articles"]),
            )
            for r in await self._rows(_HEALTH, (since,))
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
    )
