"""The embedded store: one SQLite file in WAL mode, a writer connection and a reader.

The store's parts live in their own modules (``sources``, ``articles``, ``outbox``,
``retention``); this one
opens the file, configures it and migrates the schema.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Self
from urllib.parse import quote

from watchwire.dedupe import NEAR_DUPLICATE_DISTANCE
from watchwire.exceptions import StoreError
from watchwire.store.sqlite.articles import ArticlesPart
from watchwire.store.sqlite.bridge import SqliteThread
from watchwire.store.sqlite.outbox import OutboxPart
from watchwire.store.sqlite.retention import RetentionPart
from watchwire.store.sqlite.schema import MIGRATIONS
from watchwire.store.sqlite.sources import SourcesPart

__all__ = ["SqliteStore"]

log = logging.getLogger(__name__)

_MEMORY = ":memory:"


class SqliteStore(SourcesPart, ArticlesPart, OutboxPart, RetentionPart):
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
            store = cls(writer, reader, near_distance=near_distance)
            store._path = None if memory else path
            yield store

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
