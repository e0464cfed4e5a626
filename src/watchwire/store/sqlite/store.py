"""The embedded store: one SQLite file in WAL mode, a writer connection and a reader.

The store's parts live in their own modules (``sources``, ``articles``, ``stories``,
``outbox``, ``coordination``, ``transfer``, ``retention``); this one opens the file,
configures it and migrates the schema.

Opened for a service (``service=True``), it first takes the store's lock (``lock``: one service
per file), then checks the file for damage within ``START_CHECK_BUDGET`` seconds (all of a
small store, the first part of a large one; ``check`` without a budget reads every page), and
remembers which file it opened, so that ``verify`` notices the file deleted or replaced.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
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
from watchwire.store.sqlite.lock import ServiceLock
from watchwire.store.sqlite.outbox import OutboxPart
from watchwire.store.sqlite.retention import RetentionPart
from watchwire.store.sqlite.schema import MIGRATIONS
from watchwire.store.sqlite.sources import SourcesPart
from watchwire.store.sqlite.stories import StoriesPart
from watchwire.store.sqlite.transfer import TransferPart
from watchwire.store.values import AlertIntent, NewArticle, StoreCheck

__all__ = ["SqliteStore"]

log = logging.getLogger(__name__)

_MEMORY = ":memory:"
START_CHECK_BUDGET = 1.0
"""Seconds the damage check at start may take: it reads the file from its start and stops."""
_CHECK_STEP = 10_000
"""SQLite virtual-machine steps between two looks at the clock during a check."""


class SqliteStore(
    SourcesPart,
    ArticlesPart,
    StoriesPart,
    OutboxPart,
    CoordinationPart,
    TransferPart,
    RetentionPart,
):
    """Every store role on one SQLite file. Use ``async with SqliteStore.open(path) as store``."""

    # --- lifecycle ----------------------------------------------------------------------------

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        path: str | Path,
        *,
        near_distance: int = NEAR_DUPLICATE_DISTANCE,
        service: bool = False,
    ) -> AsyncIterator[Self]:
        path = Path(path)
        memory = str(path) == _MEMORY
        if not memory:
            path.parent.mkdir(parents=True, exist_ok=True)
        async with AsyncExitStack() as stack:
            if service and not memory:
                lock = ServiceLock(path)
                lock.acquire()
                stack.callback(lock.release)
            writer = await _connect(stack, str(path), name="store")
            await writer.call(_configure)
            if service and not memory:
                found = await _check(writer, budget=START_CHECK_BUDGET)
                if not found.ok:
                    raise StoreError(_damaged(path, found))
            await writer.call(lambda db: _migrate(db, path))
            # An in-memory database is private to its connection: the writer answers reads too.
            reader = writer
            if not memory:
                uri = _read_only_uri(path)
                reader = await _connect(stack, uri, uri=True, name="reader", label=str(path))
            await reader.call(_configure_reader)
            store = cls(writer, reader, near_distance=near_distance)
            store._path = None if memory else path
            store._identity = None if memory else _identity(path)
            yield store

    _path: Path | None = None
    _identity: tuple[int, int] | None = None

    async def verify(self) -> None:
        """Raise StoreError if the file this store opened was deleted or replaced since."""
        if self._path is None or self._identity is None:
            return
        if _identity(self._path) != self._identity:
            raise StoreError(
                f"the store {self._path} was deleted or replaced while watchwire was using it; "
                "stopping, so that nothing is stored into a file no one can see or alerted "
                "twice: restore the file (or remove what replaced it), then start again"
            )

    async def check(self, *, budget: float | None = None) -> StoreCheck:
        """Look for damage: every page (``budget`` None), or what ``budget`` seconds allow."""
        return await _check(self._reader, budget=budget)

    # --- messages this process is delivering are its own; queuing one wakes the dispatcher ---

    async def claim_due(
        self,
        *,
        now: datetime,
        limit: int,
        lease: timedelta,
        channels: Sequence[str] | None = None,
    ) -> list[OutboxMessage]:
        claimed = await super().claim_due(now=now, limit=limit, lease=lease, channels=channels)
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
    stack: AsyncExitStack, database: str, *, uri: bool = False, name: str, label: str | None = None
) -> SqliteThread:
    try:
        conn = await SqliteThread.open(database, uri=uri, name=name, label=label)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the store {label or database}: {exc}") from exc
    # Shielded: a cancelled service must still leave the file closed cleanly.
    stack.push_async_callback(lambda: asyncio.shield(conn.close()))
    return conn


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


async def _check(conn: SqliteThread, *, budget: float | None) -> StoreCheck:
    started = time.monotonic()

    def run(db: sqlite3.Connection) -> StoreCheck:
        deadline = None if budget is None else time.monotonic() + budget
        if deadline is not None:
            db.set_progress_handler(lambda: time.monotonic() > deadline, _CHECK_STEP)
        try:
            pragma = "quick_check" if budget is not None else "integrity_check"
            rows = [str(r[0]) for r in db.execute(f"PRAGMA {pragma}(20)")]
            complete = True
        except sqlite3.OperationalError as exc:
            if deadline is None or "interrupt" not in str(exc):
                raise
            rows, complete = ["ok"], False
        finally:
            db.set_progress_handler(None, 0)
            # The check read pages into this connection's cache (64 MiB for the writer): a
            # service that starts on a large store would otherwise keep them for good.
            _shrink(db)
        problems = tuple(r for r in rows if r != "ok")
        return StoreCheck(
            ok=not problems, complete=complete, problems=problems,
            seconds=time.monotonic() - started, pages=_pages(db),
        )  # fmt: skip

    return await conn.call(run, interruptible=True)


def _pages(db: sqlite3.Connection) -> int:
    row = db.execute("PRAGMA page_count").fetchone()
    return int(row[0]) if row else 0


def _damaged(path: Path, found: StoreCheck) -> str:
    return (
        f"the store {path} is damaged ({'; '.join(found.problems[:3])}): restore it from a "
        "backup, or move it aside and let watchwire start a new one"
    )


def _read_only_uri(path: Path) -> str:
    return f"file:{quote(str(path.resolve()))}?mode=ro"


def _configure(db: sqlite3.Connection) -> None:
    # Only takes on a new file (before its first table): pruned space can then be handed back
    # to the file system bit by bit (``reclaim_space``) instead of only reused.
    db.execute("PRAGMA auto_vacuum = INCREMENTAL")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; WAL-safe
    db.execute("PRAGMA busy_timeout = 10000")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA cache_size = -65536")  # 64 MiB: band lookups stay in memory
    # The write-ahead log is cut back to this after a checkpoint (a crawl can swell it).
    db.execute("PRAGMA journal_size_limit = 67108864")


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
