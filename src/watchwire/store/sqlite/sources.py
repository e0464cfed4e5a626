"""Sources: poll state, health, fetch history and HTTP validators.

No secret of a source URL is written here: the config holds the URL watchwire fetches, and the
store keeps it redacted (``logs.redact_url``: no user info, no query values) in ``sources`` and
``fetches``, and keys ``http_cache`` by the redacted URL plus a digest of the real one.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from watchwire.logs import redact_text, redact_url
from watchwire.models import FetchResult, Validators
from watchwire.store.ids import new_id
from watchwire.store.sqlite.connection import _CHUNK, Connected, _iso
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
from watchwire.timeutil import from_iso, to_iso, utcnow

__all__ = ["ARTICLES_PER_DAY_WINDOW", "SourcesPart"]

_FETCH_HISTORY = timedelta(days=7)

_RECORD_POLL = """
    INSERT INTO sources (name, url, kind, first_polled_at, last_polled_at, last_ok_at,
                         consecutive_failures, last_error, next_poll_at, failing_since,
                         last_new_at)
    VALUES (:name, :url, :kind, :now, :now, CASE WHEN :ok THEN :now END,
            CASE WHEN :ok THEN 0 ELSE 1 END, :error, :next, CASE WHEN :ok THEN NULL ELSE :now END,
            CASE WHEN :new > 0 THEN :now END)
    ON CONFLICT(name) DO UPDATE SET
        url = excluded.url,
        kind = COALESCE(excluded.kind, kind),
        first_polled_at = COALESCE(first_polled_at, excluded.first_polled_at),
        last_polled_at = excluded.last_polled_at,
        last_ok_at = CASE WHEN :ok THEN :now ELSE last_ok_at END,
        consecutive_failures = CASE WHEN :ok THEN 0 ELSE consecutive_failures + 1 END,
        failing_since = CASE WHEN :ok THEN NULL ELSE COALESCE(failing_since, :now) END,
        last_error = :error,
        next_poll_at = :next,
        last_new_at = CASE WHEN :new > 0 THEN :now ELSE last_new_at END
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
        new_articles: int = 0,
    ) -> SourceState:
        stamp = to_iso(now)
        params = {
            "name": name, "url": redact_url(url), "kind": kind, "now": stamp, "ok": ok,
            "error": None if error is None else redact_text(error), "next": _iso(next_poll_at),
            "new": new_articles,
        }  # fmt: skip
        history_start = to_iso(now - _FETCH_HISTORY)

        def job(db: sqlite3.Connection) -> SourceState:
            db.execute(_RECORD_POLL, params)
            db.execute(
                """INSERT INTO polls (source, at, ok, error, kind, new_articles)
                   VALUES (:name, :now, :ok, :error, :kind, :new)""",
                params,
            )
            db.execute("DELETE FROM fetches WHERE source = ? AND at < ?", (name, history_start))
            db.execute("DELETE FROM polls WHERE source = ? AND at < ?", (name, history_start))
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

    async def record_health(
        self, name: str, record: HealthRecord, intents: Sequence[HealthIntent], *, now: datetime
    ) -> list[str]:
        """Store a source's new health state and its alerts, in one transaction."""
        return await self._batched(partial(_record_health, name, record, tuple(intents), now))

    async def source_states(self) -> list[SourceState]:
        rows = await self._query(
            lambda db: db.execute("SELECT * FROM sources ORDER BY name").fetchall()
        )
        return [_source_state(r) for r in rows]

    async def health_states(self) -> dict[str, tuple[str | None, datetime | None]]:
        rows = await self._query(
            lambda db: db.execute("SELECT name, state, state_since FROM sources").fetchall()
        )
        return {r[0]: (r[1], from_iso(r[2])) for r in rows}

    async def article_times(self, name: str, *, limit: int) -> list[datetime]:
        """When the source's latest articles appeared, newest first: published, else first
        seen (never later than first seen: a date in the future is a site's mistake)."""
        rows = await self._query(
            lambda db: db.execute(
                """SELECT MIN(COALESCE(published_at, first_seen_at), first_seen_at)
                   FROM articles WHERE source = ? ORDER BY first_seen_at DESC LIMIT ?""",
                (name, limit),
            ).fetchall()
        )
        times = [t for r in rows if (t := from_iso(r[0])) is not None]
        return sorted(times, reverse=True)

    async def source_health(
        self, *, since: datetime, names: Sequence[str] | None = None
    ) -> list[SourceHealth]:
        recent = to_iso(utcnow() - ARTICLES_PER_DAY_WINDOW)
        job = partial(_source_health, since=to_iso(since), recent=recent, names=names)
        return await self._query(job)

    async def recent_polls(self, name: str, *, limit: int = 20) -> list[PollRecord]:
        rows = await self._query(
            lambda db: db.execute(
                "SELECT * FROM polls WHERE source = ? ORDER BY at DESC, id DESC LIMIT ?",
                (name, limit),
            ).fetchall()
        )
        return [
            PollRecord(
                at=from_iso(r["at"]) or utcnow(),
                ok=bool(r["ok"]),
                error=r["error"],
                kind=r["kind"],
                new_articles=int(r["new_articles"]),
            )
            for r in rows
        ]

    async def recent_fetches(self, name: str, *, limit: int = 50) -> list[FetchRecord]:
        rows = await self._query(
            lambda db: db.execute(
                "SELECT * FROM fetches WHERE source = ? ORDER BY at DESC, id DESC LIMIT ?",
                (name, limit),
            ).fetchall()
        )
        return [
            FetchRecord(
                at=from_iso(r["at"]) or utcnow(),
                url=r["url"],
                outcome=r["outcome"],
                status=r["status"],
                bytes=int(r["bytes"]),
                elapsed=int(r["elapsed_ms"]) / 1000,
                error=r["error"],
            )
            for r in rows
        ]


# --- on the connection's thread -----------------------------------------------------------------

# Counts agree with the state: a fetch that brought nothing usable (an error, a page robots.txt
# forbids, a body of a type not read) is an error.
_HEALTH = """
    SELECT s.*,
           (SELECT COUNT(*) FROM fetches f WHERE f.source = s.name AND f.at >= :since)
               AS fetches,
           (SELECT COUNT(*) FROM fetches f WHERE f.source = s.name AND f.at >= :since
                AND f.outcome NOT IN ('ok', 'not_modified')) AS errors,
           (SELECT outcome FROM fetches f WHERE f.source = s.name ORDER BY id DESC LIMIT 1)
               AS last_outcome,
           (SELECT error FROM fetches f WHERE f.source = s.name ORDER BY id DESC LIMIT 1)
               AS last_fetch_error,
           (SELECT MAX(at) FROM fetches f WHERE f.source = s.name AND f.at >= :since) AS last_at,
           (SELECT COUNT(*) FROM articles a WHERE a.source = s.name) AS articles,
           (SELECT COUNT(*) FROM articles a WHERE a.source = s.name AND a.first_seen_at >= :recent)
               AS articles_recent,
           (SELECT COUNT(*) FROM given_up g WHERE g.source = s.name) AS given_up
    FROM sources s
"""


def _source_health(
    db: sqlite3.Connection, *, since: str, recent: str, names: Sequence[str] | None
) -> list[SourceHealth]:
    params: dict[str, object] = {"since": since, "recent": recent}
    if names is None:
        rows = db.execute(_HEALTH + " ORDER BY s.name", params).fetchall()
    else:
        wanted = list(dict.fromkeys(names))
        rows = []
        for at in range(0, len(wanted), _CHUNK):
            chunk = wanted[at : at + _CHUNK]
            marks = ",".join(f":n{i}" for i in range(len(chunk)))
            rows += db.execute(
                f"{_HEALTH} WHERE s.name IN ({marks})",
                {**params, **{f"n{i}": n for i, n in enumerate(chunk)}},
            ).fetchall()
        rows.sort(key=lambda r: str(r["name"]))
    return [
        SourceHealth(
            name=r["name"],
            fetches=int(r["fetches"] or 0),
            errors=int(r["errors"] or 0),
            last_outcome=r["last_outcome"],
            last_error=r["last_error"] or r["last_fetch_error"],
            last_at=from_iso(r["last_at"]),
            consecutive_failures=int(r["consecutive_failures"]),
            articles=int(r["articles"]),
            state=_source_state(r),
            articles_recent=int(r["articles_recent"]),
            given_up=int(r["given_up"]),
        )
        for r in rows
    ]


def _record_health(
    name: str,
    record: HealthRecord,
    intents: Sequence[HealthIntent],
    now: datetime,
    db: sqlite3.Connection,
) -> list[str]:
    db.execute(
        """UPDATE sources SET state = ?, state_since = ?, state_reason = ?, moved_to = ?
           WHERE name = ?""",
        (record.state, to_iso(record.since), record.reason, record.moved_to, name),
    )
    stamp = to_iso(now)
    written: list[str] = []
    for intent in intents:
        alert_id = new_id(now)
        payload = {"type": intent.payload["type"], "id": alert_id}
        payload.update((k, v) for k, v in intent.payload.items() if k not in ("type", "id"))
        body = json.dumps(payload, ensure_ascii=False)
        message_id = None if intent.digest else alert_id
        if message_id is not None:
            db.execute(
                """INSERT INTO outbox (id, channel, kind, payload, next_attempt_at,
                                       created_at, updated_at)
                   VALUES (?, ?, 'alert', ?, ?, ?, ?)""",
                (alert_id, intent.channel, body, stamp, stamp, stamp),
            )
        db.execute(
            """INSERT INTO alerts (id, channel, message_id, payload, created_at)
               VALUES (?, ?, ?, ?, ?)""",
            (alert_id, intent.channel, message_id, body, stamp),
        )
        written.append(alert_id)
    return written


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
        state=row["state"],
        state_since=from_iso(row["state_since"]),
        state_reason=row["state_reason"],
        moved_to=row["moved_to"],
        failing_since=from_iso(row["failing_since"]),
        last_new_at=from_iso(row["last_new_at"]),
        url=row["url"],
        last_polled_at=from_iso(row["last_polled_at"]),
    )
