"""The embedded store: one SQLite file in WAL mode, through one aiosqlite connection.

One connection is one writer. Tasks share it, so every multi-statement transaction holds
``_write_lock``: without it, two tasks' statements would interleave inside one BEGIN.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Self

import aiosqlite

from watchwire.exceptions import StoreError
from watchwire.models import Article, FetchResult, OutboxMessage, StoredArticle, Validators
from watchwire.store.base import (
    AlertContext,
    AlertIntent,
    ArticleRow,
    CachedValidators,
    NewArticle,
    OutboxRow,
    SourceHealth,
    SourceState,
)
from watchwire.store.schema import MIGRATIONS
from watchwire.timeutil import from_iso, to_iso, utcnow

__all__ = ["DEFAULT_NEAR_DISTANCE", "SqliteStore", "new_id"]

log = logging.getLogger(__name__)

DEFAULT_NEAR_DISTANCE = 3
_CHUNK = 500  # bound on SQL variables per statement
_FETCH_HISTORY = timedelta(days=7)


def new_id(now: datetime | None = None) -> str:
    """A time-ordered, unguessable id: 12 hex digits of milliseconds, 20 of randomness."""
    ms = int((now or utcnow()).timestamp() * 1000)
    return f"{ms:012x}{secrets.token_hex(10)}"


def _signed(x: int) -> int:
    return x - (1 << 64) if x >= (1 << 63) else x


def _unsigned(x: int) -> int:
    return x + (1 << 64) if x < 0 else x


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else to_iso(dt)


class SqliteStore:
    """``Store`` on one SQLite file. Use ``async with SqliteStore.open(path) as store``."""

    def __init__(self, db: aiosqlite.Connection, *, near_distance: int) -> None:
        self._db = db
        self._near_distance = near_distance
        self._write_lock = asyncio.Lock()

    # --- lifecycle ----------------------------------------------------------------------------

    @classmethod
    @asynccontextmanager
    async def open(
        cls, path: str | Path, *, near_distance: int = DEFAULT_NEAR_DISTANCE
    ) -> AsyncIterator[Self]:
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = await aiosqlite.connect(str(path), isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {path}: {exc}") from exc
        try:
            db.row_factory = sqlite3.Row
            await cls._configure(db)
            await cls._migrate(db, path)
            yield cls(db, near_distance=near_distance)
        finally:
            # Shielded: a cancelled service must still leave the file closed cleanly.
            await asyncio.shield(db.close())

    @staticmethod
    async def _configure(db: aiosqlite.Connection) -> None:
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; WAL-safe
        await db.execute("PRAGMA busy_timeout = 10000")
        await db.execute("PRAGMA foreign_keys = ON")

    @staticmethod
    async def _migrate(db: aiosqlite.Connection, path: Path) -> None:
        async with db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        version = int(row[0]) if row else 0
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{path} has schema version {version}, newer than this watchwire "
                f"({len(MIGRATIONS)}): upgrade watchwire"
            )
        for number in range(version, len(MIGRATIONS)):
            log.info("migrating %s to schema version %d", path, number + 1)
            await db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _split_sql(MIGRATIONS[number]):
                    await db.execute(statement)
                await db.execute(f"PRAGMA user_version = {number + 1}")
                await db.execute("COMMIT")
            except BaseException:
                await db.execute("ROLLBACK")
                raise

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await asyncio.shield(self._db.execute("ROLLBACK"))
                raise
            await self._db.execute("COMMIT")

    async def schema_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    # --- sources ------------------------------------------------------------------------------

    async def source_state(self, name: str) -> SourceState | None:
        async with self._db.execute("SELECT * FROM sources WHERE name = ?", (name,)) as cur:
            row = await cur.fetchone()
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
        body_hash: str | None = None,
        next_poll_at: datetime | None = None,
    ) -> SourceState:
        stamp = to_iso(now)
        async with self._transaction() as db:
            await db.execute(
                """
                INSERT INTO sources (name, url, kind, first_polled_at, last_polled_at, last_ok_at,
                                     consecutive_failures, last_error, next_poll_at, body_hash)
                VALUES (:name, :url, :kind, :now, :now, CASE WHEN :ok THEN :now END,
                        CASE WHEN :ok THEN 0 ELSE 1 END, :error, :next, :hash)
                ON CONFLICT(name) DO UPDATE SET
                    url = excluded.url,
                    kind = COALESCE(excluded.kind, kind),
                    last_polled_at = excluded.last_polled_at,
                    last_ok_at = CASE WHEN :ok THEN :now ELSE last_ok_at END,
                    consecutive_failures = CASE WHEN :ok THEN 0 ELSE consecutive_failures + 1 END,
                    last_error = :error,
                    next_poll_at = :next,
                    body_hash = COALESCE(:hash, body_hash)
                """,
                {
                    "name": name, "url": url, "kind": kind, "now": stamp, "ok": ok,
                    "error": error, "next": _iso(next_poll_at), "hash": body_hash,
                },
            )  # fmt: skip
            await db.execute(
                "DELETE FROM fetches WHERE source = ? AND at < ?",
                (name, to_iso(now - _FETCH_HISTORY)),
            )
            async with db.execute("SELECT * FROM sources WHERE name = ?", (name,)) as cur:
                row = await cur.fetchone()
        assert row is not None
        return _source_state(row)

    async def record_fetch(self, source: str, result: FetchResult, *, now: datetime) -> None:
        async with self._write_lock:
            await self._db.execute(
                """INSERT INTO fetches (source, url, at, outcome, status, bytes, elapsed_ms,
                                        error_class, error)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    source, result.url, to_iso(now), str(result.outcome), result.status,
                    len(result.content), int(result.elapsed * 1000), result.error_class,
                    result.error,
                ),
            )  # fmt: skip

    async def validators(self, url: str) -> CachedValidators | None:
        async with self._db.execute(
            "SELECT etag, last_modified, body_hash FROM http_cache WHERE url = ?", (url,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return CachedValidators(
            validators=Validators(etag=row["etag"], last_modified=row["last_modified"]),
            body_hash=row["body_hash"],
        )

    async def save_validators(
        self, url: str, validators: Validators, *, body_hash: str | None, now: datetime
    ) -> None:
        async with self._write_lock:
            await self._db.execute(
                """INSERT INTO http_cache (url, etag, last_modified, body_hash, updated_at)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT(url) DO UPDATE SET etag = excluded.etag,
                       last_modified = excluded.last_modified,
                       body_hash = COALESCE(excluded.body_hash, body_hash),
                       updated_at = excluded.updated_at""",
                (url, validators.etag, validators.last_modified, body_hash, to_iso(now)),
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
        async with self._db.execute(sql, (to_iso(since),)) as cur:
            rows = await cur.fetchall()
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

    # --- articles and stories -----------------------------------------------------------------

    async def known_urls(self, urls: Sequence[str]) -> dict[str, datetime | None]:
        """Which of ``urls`` are stored, with the article's last known publish/edit time."""
        found: dict[str, datetime | None] = {}
        for i in range(0, len(urls), _CHUNK):
            chunk = list(urls[i : i + _CHUNK])
            marks = ",".join("?" * len(chunk))
            async with self._db.execute(
                f"SELECT url, COALESCE(modified_at, published_at) FROM articles "
                f"WHERE url IN ({marks})",
                chunk,
            ) as cur:
                found.update((row[0], from_iso(row[1])) for row in await cur.fetchall())
        return found

    async def save_article(
        self, new: NewArticle, intents: Sequence[AlertIntent], *, now: datetime
    ) -> StoredArticle:
        """Store an article once, join it to its story, and write its alerts: one transaction."""
        a = new.article
        stamp = to_iso(now)
        fields = {
            "title": a.title, "lead": a.lead, "body": a.text,
            "published_at": _iso(a.published_at), "modified_at": _iso(a.modified_at),
            "language": a.language, "authors": json.dumps(list(a.authors), ensure_ascii=False),
            "section": a.section, "tags": json.dumps(list(a.tags), ensure_ascii=False),
            "image": a.image, "content_hash": new.content_hash,
            "simhash": None if new.simhash is None else _signed(new.simhash),
        }  # fmt: skip
        async with self._transaction() as db:
            async with db.execute(
                "SELECT id, story_id, content_hash FROM articles WHERE url = ?", (new.url,)
            ) as cur:
                existing = await cur.fetchone()
            created = new_version = False
            duplicate_of: int | None = None
            if existing is not None:
                article_id, story_id = int(existing["id"]), int(existing["story_id"])
                if existing["content_hash"] != new.content_hash:
                    new_version = True
                    sets = ", ".join(f"{k} = :{k}" for k in fields)
                    await db.execute(
                        f"UPDATE articles SET {sets}, version = version + 1, updated_at = :now "
                        "WHERE id = :id",
                        {**fields, "now": stamp, "id": article_id},
                    )
                    await db.execute(
                        "DELETE FROM simhash_bands WHERE article_id = ?", (article_id,)
                    )
                    await self._insert_bands(db, article_id, new)
            else:
                created = True
                duplicate_of, found_story = await self._find_story(db, new)
                if found_story is not None:
                    story_id = found_story
                else:
                    async with db.execute(
                        "INSERT INTO stories (created_at) VALUES (?) RETURNING id", (stamp,)
                    ) as cur:
                        row = await cur.fetchone()
                    assert row is not None
                    story_id = int(row[0])
                cols = ", ".join(fields)
                marks = ", ".join(f":{k}" for k in fields)
                async with db.execute(
                    f"INSERT INTO articles (url, story_id, source, first_seen_at, updated_at, "
                    f"{cols}) VALUES (:url, :story, :source, :now, :now, {marks}) RETURNING id",
                    {**fields, "url": new.url, "story": story_id, "source": new.source,
                     "now": stamp},
                ) as cur:  # fmt: skip
                    row = await cur.fetchone()
                assert row is not None
                article_id = int(row[0])
                await self._insert_bands(db, article_id, new)
            written = await self._write_alerts(db, intents, article_id, story_id, now)
        return StoredArticle(
            article_id=article_id,
            story_id=story_id,
            created=created,
            new_version=new_version,
            duplicate_of=duplicate_of,
            alerts=tuple(written),
        )

    async def _find_story(
        self, db: aiosqlite.Connection, new: NewArticle
    ) -> tuple[int | None, int | None]:
        """The story an unseen URL belongs to: same text, then near-same text."""
        async with db.execute(
            "SELECT id, story_id FROM articles WHERE content_hash = ? LIMIT 1",
            (new.content_hash,),
        ) as cur:
            row = await cur.fetchone()
        if row is not None:
            return int(row["id"]), int(row["story_id"])
        if new.simhash is None or not new.band_keys:
            return None, None
        pairs = ",".join("(?, ?)" for _ in new.band_keys)
        params: list[int] = []
        for band, key in enumerate(new.band_keys):
            params += [band, key]
        async with db.execute(
            f"""SELECT a.id, a.story_id, a.simhash FROM articles a
                WHERE a.id IN (SELECT article_id FROM simhash_bands
                               WHERE (band, key) IN (VALUES {pairs}))""",
            params,
        ) as cur:
            candidates = await cur.fetchall()
        best: tuple[int, int, int] | None = None
        for c in candidates:
            if c["simhash"] is None:
                continue
            distance = (_unsigned(int(c["simhash"])) ^ new.simhash).bit_count()
            if distance <= self._near_distance and (best is None or distance < best[0]):
                best = (distance, int(c["id"]), int(c["story_id"]))
        return (best[1], best[2]) if best else (None, None)

    @staticmethod
    async def _insert_bands(db: aiosqlite.Connection, article_id: int, new: NewArticle) -> None:
        if new.simhash is None:
            return
        await db.executemany(
            "INSERT OR IGNORE INTO simhash_bands (band, key, article_id) VALUES (?, ?, ?)",
            [(band, key, article_id) for band, key in enumerate(new.band_keys)],
        )

    async def _write_alerts(
        self,
        db: aiosqlite.Connection,
        intents: Sequence[AlertIntent],
        article_id: int,
        story_id: int,
        now: datetime,
    ) -> list[str]:
        if not intents:
            return []
        stamp = to_iso(now)
        copies = tuple(await self._story_copies(db, story_id))
        written: list[str] = []
        for intent in intents:
            alert_id = new_id(now)
            async with db.execute(
                "SELECT 1 FROM alerts WHERE rule = ? AND story_id = ? AND channel = ?",
                (intent.rule, story_id, intent.channel),
            ) as cur:
                if await cur.fetchone() is not None:
                    continue  # cheap early exit; the UNIQUE constraint is the real guard
            payload = intent.render(
                AlertContext(alert_id=alert_id, story_id=story_id, copies=copies, created_at=now)
            )
            body = json.dumps(payload, ensure_ascii=False)
            cur = await db.execute(
                """INSERT INTO alerts (id, rule, story_id, channel, article_id, payload, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (rule, story_id, channel) DO NOTHING""",
                (alert_id, intent.rule, story_id, intent.channel, article_id, body, stamp),
            )
            inserted = cur.rowcount == 1
            await cur.close()
            if not inserted:
                continue
            if not intent.digest:
                await db.execute(
                    """INSERT INTO outbox (id, channel, kind, payload, next_attempt_at,
                                           created_at, updated_at)
                       VALUES (?, ?, 'alert', ?, ?, ?, ?)""",
                    (alert_id, intent.channel, body, stamp, stamp, stamp),
                )
                await db.execute(
                    "UPDATE alerts SET message_id = ? WHERE id = ?", (alert_id, alert_id)
                )
            written.append(alert_id)
        return written

    @staticmethod
    async def _story_copies(db: aiosqlite.Connection, story_id: int) -> list[str]:
        async with db.execute(
            "SELECT url FROM articles WHERE story_id = ? ORDER BY id", (story_id,)
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    async def story_copies(self, story_id: int) -> list[str]:
        return await self._story_copies(self._db, story_id)

    async def article(self, article_id: int) -> ArticleRow | None:
        async with self._db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)) as cur:
            row = await cur.fetchone()
        return _article_row(row) if row else None

    async def search(
        self, fts_query: str | None, *, since: datetime | None = None, limit: int = 1000
    ) -> list[ArticleRow]:
        """Candidates for a query: FTS5 narrows, the rules engine decides (in the caller)."""
        params: list[Any] = []
        where = []
        if fts_query:
            where.append("a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
            params.append(fts_query)
        if since is not None:
            where.append("COALESCE(a.published_at, a.first_seen_at) >= ?")
            params.append(to_iso(since))
        sql = "SELECT a.* FROM articles a"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY COALESCE(a.published_at, a.first_seen_at) DESC LIMIT ?"
        params.append(limit)
        try:
            async with self._db.execute(sql, params) as cur:
                rows = await cur.fetchall()
        except sqlite3.OperationalError as exc:
            raise StoreError(f"search failed: {exc}") from exc
        return [_article_row(r) for r in rows]

    async def count_articles(self) -> int:
        async with self._db.execute("SELECT COUNT(*) FROM articles") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    # --- outbox -------------------------------------------------------------------------------

    async def claim_due(
        self, *, now: datetime, limit: int, lease: timedelta
    ) -> list[OutboxMessage]:
        """Take due messages, and ones whose holder died mid-delivery (lease expired)."""
        stamp = to_iso(now)
        async with (
            self._transaction() as db,
            db.execute(
                """UPDATE outbox SET state = 'delivering', lease_until = ?,
                          attempts = attempts + 1, updated_at = ?
                   WHERE id IN (
                       SELECT id FROM outbox
                       WHERE (state = 'pending' AND next_attempt_at <= ?)
                          OR (state = 'delivering' AND lease_until <= ?)
                       ORDER BY next_attempt_at LIMIT ?)
                   RETURNING id, channel, kind, payload, attempts, created_at""",
                (to_iso(now + lease), stamp, stamp, stamp, limit),
            ) as cur,
        ):
            rows = await cur.fetchall()
        return sorted(
            (
                OutboxMessage(
                    id=r["id"],
                    channel=r["channel"],
                    kind=r["kind"],
                    payload=json.loads(r["payload"]),
                    attempts=int(r["attempts"]),
                    created_at=from_iso(r["created_at"]),
                )
                for r in rows
            ),
            key=lambda m: m.id,
        )

    async def _finish(self, sql: str, params: Sequence[Any]) -> None:
        async with self._write_lock:
            await self._db.execute(sql, params)

    async def mark_delivered(self, message_id: str, *, now: datetime) -> None:
        stamp = to_iso(now)
        await self._finish(
            """UPDATE outbox SET state = 'delivered', delivered_at = ?, updated_at = ?,
                      lease_until = NULL, last_error = NULL WHERE id = ?""",
            (stamp, stamp, message_id),
        )

    async def mark_retry(self, message_id: str, *, error: str, next_attempt_at: datetime) -> None:
        await self._finish(
            """UPDATE outbox SET state = 'pending', last_error = ?, next_attempt_at = ?,
                      lease_until = NULL, updated_at = ? WHERE id = ? AND state != 'delivered'""",
            (error[:2000], to_iso(next_attempt_at), to_iso(utcnow()), message_id),
        )

    async def mark_failed(self, message_id: str, *, error: str, now: datetime) -> None:
        await self._finish(
            """UPDATE outbox SET state = 'failed', last_error = ?, lease_until = NULL,
                      updated_at = ? WHERE id = ? AND state != 'delivered'""",
            (error[:2000], to_iso(now), message_id),
        )

    async def seal_digest(self, channel: str, *, now: datetime) -> OutboxMessage | None:
        """Gather a channel's waiting alerts into one digest message (one transaction)."""
        stamp = to_iso(now)
        digest_id = new_id(now)
        async with self._transaction() as db:
            async with db.execute(
                "SELECT id, payload FROM alerts WHERE channel = ? AND message_id IS NULL "
                "ORDER BY created_at, id",
                (channel,),
            ) as cur:
                rows = await cur.fetchall()
            if not rows:
                return None
            payload = {
                "type": "watchwire.digest",
                "id": digest_id,
                "created_at": stamp[:19] + "Z",
                "alerts": [json.loads(r["payload"]) for r in rows],
            }
            await db.execute(
                """INSERT INTO outbox (id, channel, kind, payload, next_attempt_at, created_at,
                                       updated_at) VALUES (?, ?, 'digest', ?, ?, ?, ?)""",
                (digest_id, channel, json.dumps(payload, ensure_ascii=False), stamp, stamp, stamp),
            )
            await db.executemany(
                "UPDATE alerts SET message_id = ? WHERE id = ?",
                [(digest_id, r["id"]) for r in rows],
            )
        return OutboxMessage(
            id=digest_id, channel=channel, kind="digest", payload=payload, created_at=now
        )

    async def list_outbox(self, *, states: Sequence[str] = (), limit: int = 100) -> list[OutboxRow]:
        wanted = set(states)
        out: list[OutboxRow] = []
        real = sorted(wanted - {"queued"})
        if not wanted or real:
            where = f"WHERE state IN ({','.join('?' * len(real))})" if real else ""
            async with self._db.execute(
                f"SELECT * FROM outbox {where} ORDER BY created_at DESC, id DESC LIMIT ?",
                [*real, limit],
            ) as cur:
                out += [
                    _outbox_row(r, kind=r["kind"], state=r["state"]) for r in await cur.fetchall()
                ]
        if not wanted or "queued" in wanted:
            async with self._db.execute(
                "SELECT * FROM alerts WHERE message_id IS NULL ORDER BY created_at DESC LIMIT ?",
                (limit,),
            ) as cur:
                out += [_outbox_row(r, kind="alert", state="queued") for r in await cur.fetchall()]
        return out

    async def requeue_failed(self, *, now: datetime, ids: Sequence[str] = ()) -> int:
        """Give failed messages a fresh delivery episode (``created_at`` restarts give_up)."""
        stamp = to_iso(now)
        sql = """UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?,
                        created_at = ?, updated_at = ? WHERE state = 'failed'"""
        params: list[Any] = [stamp, stamp, stamp]
        if ids:
            sql += f" AND id IN ({','.join('?' * len(ids))})"
            params += list(ids)
        async with self._write_lock:
            cur = await self._db.execute(sql, params)
            count = cur.rowcount
            await cur.close()
        return count

    async def outbox_counts(self) -> dict[str, int]:
        counts = {"pending": 0, "delivering": 0, "delivered": 0, "failed": 0, "queued": 0}
        async with self._db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state") as cur:
            for state, n in await cur.fetchall():
                counts[state] = int(n)
        async with self._db.execute("SELECT COUNT(*) FROM alerts WHERE message_id IS NULL") as cur:
            row = await cur.fetchone()
        counts["queued"] = int(row[0]) if row else 0
        return counts

    async def next_due(self) -> datetime | None:
        async with self._db.execute(
            "SELECT MIN(CASE state WHEN 'pending' THEN next_attempt_at ELSE lease_until END) "
            "FROM outbox WHERE state IN ('pending', 'delivering')"
        ) as cur:
            row = await cur.fetchone()
        return from_iso(row[0]) if row else None

    async def last_digest_at(self, channel: str) -> datetime | None:
        async with self._db.execute(
            "SELECT MAX(created_at) FROM outbox WHERE channel = ? AND kind = 'digest'", (channel,)
        ) as cur:
            row = await cur.fetchone()
        return from_iso(row[0]) if row else None

    async def oldest_queued_at(self, channel: str) -> datetime | None:
        async with self._db.execute(
            "SELECT MIN(created_at) FROM alerts WHERE channel = ? AND message_id IS NULL",
            (channel,),
        ) as cur:
            row = await cur.fetchone()
        return from_iso(row[0]) if row else None


# --- row mapping ------------------------------------------------------------------------------


def _split_sql(script: str) -> list[str]:
    """Statements of a migration; trigger bodies keep their inner semicolons."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def _source_state(row: sqlite3.Row) -> SourceState:
    return SourceState(
        name=row["name"],
        kind=row["kind"],
        first_polled_at=from_iso(row["first_polled_at"]),
        last_ok_at=from_iso(row["last_ok_at"]),
        consecutive_failures=int(row["consecutive_failures"]),
        last_error=row["last_error"],
        next_poll_at=from_iso(row["next_poll_at"]),
        body_hash=row["body_hash"],
    )


def _article_row(row: sqlite3.Row) -> ArticleRow:
    body = row["body"] or ""
    article = Article(
        title=row["title"] or "",
        text=body,
        paragraphs=tuple(p for p in body.split("\n\n") if p),
        lead=row["lead"] or "",
        published_at=from_iso(row["published_at"]),
        modified_at=from_iso(row["modified_at"]),
        authors=tuple(json.loads(row["authors"] or "[]")),
        url=row["url"],
        language=row["language"],
        section=row["section"],
        tags=tuple(json.loads(row["tags"] or "[]")),
        image=row["image"],
    )
    return ArticleRow(
        id=int(row["id"]),
        story_id=int(row["story_id"]),
        source=row["source"],
        url=row["url"],
        version=int(row["version"]),
        first_seen_at=from_iso(row["first_seen_at"]) or utcnow(),
        article=article,
    )


def _outbox_row(row: sqlite3.Row, *, kind: str, state: str) -> OutboxRow:
    keys = row.keys()
    return OutboxRow(
        id=row["id"],
        channel=row["channel"],
        kind=kind,
        state=state,
        attempts=int(row["attempts"]) if "attempts" in keys else 0,
        last_error=row["last_error"] if "last_error" in keys else None,
        next_attempt_at=from_iso(row["next_attempt_at"]) if "next_attempt_at" in keys else None,
        created_at=from_iso(row["created_at"]) or utcnow(),
        delivered_at=from_iso(row["delivered_at"]) if "delivered_at" in keys else None,
        summary=_summary(json.loads(row["payload"])),
    )


def _summary(payload: dict[str, Any]) -> str:
    if payload.get("type") == "watchwire.digest":
        return f"digest of {len(payload.get('alerts', []))} alerts"
    article = payload.get("article") or {}
    return f"{payload.get('rule', '?')}: {article.get('title') or article.get('url') or '?'}"
