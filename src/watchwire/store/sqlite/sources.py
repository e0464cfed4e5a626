"""Sources: poll state, fetch history and HTTP validators.

No secret of a source URL is written here: the config holds the URL watchwire fetches, and the
store keeps it redacted (``logs.redact_url``: no user info, no query values) in ``sources`` and
``fetches``, and keys ``http_cache`` by the redacted URL plus a digest of the real one.
"""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime, timedelta

from watchwire.logs import redact_text, redact_url
from watchwire.models import FetchResult, Validators
from watchwire.store.sqlite.connection import Connected, _iso
from watchwire.store.values import CachedValidators, SourceHealth, SourceState
from watchwire.timeutil import from_iso, to_iso

__all__ = ["SourcesPart"]

_FETCH_HISTORY = timedelta(days=7)

_RECORD_POLL = """
    INSERT INTO sources (name, url, kind, first_polled_at, last_polled_at, last_ok_at,
                         consecutive_failures, last_error, next_poll_at)
    VALUES (:name, :url, :kind, :now, :now, CASE WHEN :ok THEN :now END,
            CASE WHEN :ok THEN 0 ELSE 1 END, :error, :next)
    ON CONFLICT(name) DO UPDATE SET
        url = excluded.url,
        kind = COALESCE(excluded.kind, kind),
        first_polled_at = COALESCE(first_polled_at, excluded.first_polled_at),
        last_polled_at = excluded.last_polled_at,
        last_ok_at = CASE WHEN :ok THEN :now ELSE last_ok_at END,
        consecutive_failures = CASE WHEN :ok THEN 0 ELSE consecutive_failures + 1 END,
        last_error = :error,
        next_poll_at = :next
"""


class SourcesPart(Connected):
    async def source_state(self, name: str) -> SourceState | None:
        row = await self._read(
            lambda db: db.execute("SELECT * FROM sources WHERE name = ?", (name,)).fetchone()
        )
        return _source_state(row) if row else None

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
        stamp = to_iso(now)
        params = {
            "name": name, "url": redact_url(url), "kind": kind, "now": stamp, "ok": ok,
            "error": None if error is None else redact_text(error), "next": _iso(next_poll_at),
        }  # fmt: skip
        history_start = to_iso(now - _FETCH_HISTORY)

        def job(db: sqlite3.Connection) -> SourceState:
            db.execute(_RECORD_POLL, params)
            db.execute("DELETE FROM fetches WHERE source = ? AND at < ?", (name, history_start))
            row = db.execute("SELECT * FROM sources WHERE name = ?", (name,)).fetchone()
            return _source_state(row)

        return await self._batched(job)

    async def record_fetch(self, source: str, result: FetchResult, *, now: datetime) -> None:
        await self._write(
                """INSERT INTO fetches (source, url, at, outcome, status, bytes, elapsed_ms,
                                        error_class, error)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    source, redact_url(result.url), to_iso(now), str(result.outcome),
                    result.status, len(result.content), int(result.elapsed * 1000),
                    result.error_class, None if result.error is None else redact_text(result.error),
                ),
            )  # fmt: skip

    async def validators(self, url: str) -> CachedValidators | None:
        row = await self._read(
            lambda db: db.execute(
                "SELECT etag, last_modified, body_hash FROM http_cache WHERE url = ?",
                (_cache_key(url),),
            ).fetchone()
        )
        if row is None:
            return None
        return CachedValidators(
            validators=Validators(etag=row["etag"], last_modified=row["last_modified"]),
            body_hash=row["body_hash"],
        )

    async def save_validators(
        self, url: str, validators: Validators, *, body_hash: str | None, now: datetime
    ) -> None:
        await self._write(
            """INSERT INTO http_cache (url, etag, last_modified, body_hash, updated_at)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT(url) DO UPDATE SET etag = excluded.etag,
                       last_modified = excluded.last_modified,
                       body_hash = COALESCE(excluded.body_hash, body_hash),
                       updated_at = excluded.updated_at""",
            (_cache_key(url), validators.etag, validators.last_modified, body_hash, to_iso(now)),
        )

    async def source_health(self, *, since: datetime) -> list[SourceHealth]:
        sql = """
            SELECT s.name, s.consecutive_failures, s.last_error AS poll_error,
                   COUNT(f.id) AS fetches,
                   SUM(CASE WHEN f.outcome = 'error' THEN 1 ELSE 0 END) AS errors,
                   (SELECT outcome FROM fetches WHERE source = s.name ORDER BY id DESC LIMIT 1)
                       AS last_outcome,
                   (SELECT error FROM fetches WHERE source = s.name ORDER BY id DESC LIMIT 1)
                       AS last_fetch_error,
                   MAX(f.at) AS last_at,
                   (SELECT COUNT(*) FROM articles WHERE source = s.name) AS articles
            FROM sources s LEFT JOIN fetches f ON f.source = s.name AND f.at >= ?
            GROUP BY s.name ORDER BY s.name
        """
        rows = await self._query(lambda db: db.execute(sql, (to_iso(since),)).fetchall())
        return [
            SourceHealth(
                name=r["name"],
                fetches=int(r["fetches"] or 0),
                errors=int(r["errors"] or 0),
                last_outcome=r["last_outcome"],
                last_error=r["poll_error"] or r["last_fetch_error"],
                last_at=from_iso(r["last_at"]),
                consecutive_failures=int(r["consecutive_failures"]),
                articles=int(r["articles"]),
            )
            for r in rows
        ]


def _cache_key(url: str) -> str:
    """``http_cache``'s key for ``url``: itself when it holds no secret; else its redacted form
    and a digest of the whole, so that URLs differing only in a token keep apart."""
    redacted = redact_url(url)
    if redacted == url:
        return url
    return f"{redacted} {hashlib.sha256(url.encode()).hexdigest()[:32]}"


def _source_state(row: sqlite3.Row) -> SourceState:
    return SourceState(
        name=row["name"],
        kind=row["kind"],
        first_polled_at=from_iso(row["first_polled_at"]),
        last_ok_at=from_iso(row["last_ok_at"]),
        consecutive_failures=int(row["consecutive_failures"]),
        last_error=row["last_error"],
        next_poll_at=from_iso(row["next_poll_at"]),
    )
