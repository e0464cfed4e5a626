"""The embedded store: one SQLite file in WAL mode, a writer connection and a reader.

The store's parts live in their own modules (``sources``, ``articles``, ``outbox``,
``coordination``, ``transfer``); this one opens the file, configures it and migrates the schema.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Self
from urllib.parse import quote

from watchwire.dedupe import NEAR_DUPLICATE_DISTANCE
from watchwire.exceptions import StoreError
from watchwire.models import OutboxMessage, StoredArticle
from watchwire.store.sqlite.articles import ArticlesPart
from watchwire.store.sqlite.bridge import SqliteThread
from watchwire.store.sqlite.coordination import CoordinationPart
from watchwire.store.sqlite.outbox import OutboxPart
from watchwire.store.sqlite.schema import MIGRATIONS
from watchwire.store.sqlite.sources import SourcesPart
from watchwire.store.sqlite.transfer import TransferPart
from watchwire.store.values import AlertIntent, NewArticle

__all__ = ["SqliteStore"]

log = logging.getLogger(__name__)

_MEMORY = ":memory:"


class SqliteStore(SourcesPart, ArticlesPart, OutboxPart, CoordinationPart, TransferPart):
    """Every store role on one SQLite file. Use ``async with SqliteStore.open(path) as store``."""

    # --- lifecycle ----------------------------------------------------------------------------

    @classmethod
    @asynccontextmanager
    async def open(
        cls, path: str | Path, *, near_distance: int = NEAR_DUPLICATE_DISTANCE
    ) -> AsyncIterator[Self]:
        path = Path(path)
        memory = str(path) == _MEMORY
        if not memory:
            path.parent.mkdir(parents=True, exist_ok=True)
        async with AsyncExitStack() as stack:
            writer = await _connect(stack, str(path), name="store")
            await writer.call(_configure)
            await writer.call(lambda db: _migrate(db, path))
            # An in-memory database is private to its connection: the writer answers reads too.
            reader = writer if memory else await _connect(stack, _read_only_uri(path), uri=True,
                                                          name="reader")  # fmt: skip
            await reader.call(_configure_reader)
            yield cls(writer, reader, near_distance=near_distance)

    # --- messages this process is delivering are its own; queuing one wakes the dispatcher ---

    async def claim_due(
        self, *, now: datetime, limit: int, lease: timedelta
    ) -> list[OutboxMessage]:
        claimed = await super().claim_due(now=now, limit=limit, lease=lease)
        self._claimed.update(m.id for m in claimed)
        return claimed

    async def mark_delivered(self, message_id: str, *, now: datetime) -> None:
        self._claimed.discard(message_id)
        await super().mark_delivered(message_id, now=now)

    async def mark_retry(self, message_id: str, *, error: str, next_attempt_at: datetime) -> None:
        self._claimed.discard(message_id)
        await super().mark_retry(message_id, error=error, next_attempt_at=next_attempt_at)

    async def mark_failed(self, message_id: str, *, error: str, now: datetime) -> None:
        self._claimed.discard(message_id)
        await super().mark_failed(message_id, error=error, now=now)

    async def save_article(
        self, new: NewArticle, intents: Sequence[AlertIntent], *, now: datetime
    ) -> StoredArticle:
        saved = await super().save_article(new, intents, now=now)
        if saved.alerts:
            self._outbox_queued()
        return saved

    async def seal_digest(
        self, channel: str, *, now: datetime, unless_since: datetime | None = None
    ) -> OutboxMessage | None:
        sealed = await super().seal_digest(channel, now=now, unless_since=unless_since)
        if sealed is not None:
            self._outbox_queued()
        return sealed

    async def requeue_failed(self, *, now: datetime, ids: Sequence[str] = ()) -> int:
        requeued = await super().requeue_failed(now=now, ids=ids)
        if requeued:
            self._outbox_queued()
        return requeued

    async def release_memory(self) -> None:
        # The page caches (cache_size) fill during a crawl and are never given back otherwise;
        # they refill from the OS's file cache as lookups need them.
        await self._read(_shrink)
        await self._query(_shrink)

    async def schema_version(self) -> int:
        return await self._read(_user_version)


async def _connect(
    stack: AsyncExitStack, database: str, *, uri: bool = False, name: str
) -> SqliteThread:
    try:
        conn = await SqliteThread.open(database, uri=uri, name=name)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open {database}: {exc}") from exc
    # Shielded: a cancelled service must still leave the file closed cleanly.
    stack.push_async_callback(lambda: asyncio.shield(conn.close()))
    return conn


def _read_only_uri(path: Path) -> str:
    return f"file:{quote(str(path.resolve()))}?mode=ro"


def _configure(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; WAL-safe
    db.execute("PRAGMA busy_timeout = 10000")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA cache_size = -65536")  # 64 MiB: band lookups stay in memory


def _configure_reader(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA busy_timeout = 10000")
    db.execute("PRAGMA cache_size = -16384")  # 16 MiB: a search's index pages, not the bodies


def _shrink(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA shrink_memory")


def _user_version(db: sqlite3.Connection) -> int:
    row = db.execute("PRAGMA user_version").fetchone()
    return int(row[0]) if row else 0


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    version = _user_version(db)
    if version > len(MIGRATIONS):
        raise StoreError(
            f"{path} has schema version {version}, newer than this watchwire "
            f"({len(MIGRATIONS)}): upgrade watchwire"
        )
    for number in range(version, len(MIGRATIONS)):
        log.info("migrating %s to schema version %d", path, number + 1)
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _split_sql(MIGRATIONS[number]):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


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
