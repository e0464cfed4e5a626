"""The embedded store: one SQLite file in WAL mode, through one aiosqlite connection.

The store's parts live in their own modules (``sources``, ``articles``, ``outbox``); this one
opens the file, configures it and migrates the schema.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Self

import aiosqlite

from watchwire.dedupe import NEAR_DUPLICATE_DISTANCE
from watchwire.exceptions import StoreError
from watchwire.store.articles import ArticlesPart
from watchwire.store.connection import new_id
from watchwire.store.outbox import OutboxPart
from watchwire.store.schema import MIGRATIONS
from watchwire.store.sources import SourcesPart

__all__ = ["SqliteStore", "new_id"]

log = logging.getLogger(__name__)


class SqliteStore(SourcesPart, ArticlesPart, OutboxPart):
    """``Store`` on one SQLite file. Use ``async with SqliteStore.open(path) as store``."""

    # --- lifecycle ----------------------------------------------------------------------------

    @classmethod
    @asynccontextmanager
    async def open(
        cls, path: str | Path, *, near_distance: int = NEAR_DUPLICATE_DISTANCE
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
        await db.execute("PRAGMA cache_size = -65536")  # 64 MiB: band lookups stay in memory

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

    async def release_memory(self) -> None:
        # The page cache (cache_size, 64 MiB) fills during a crawl and is never given back
        # otherwise; it refills from the OS's file cache as lookups need it.
        await self._read(lambda db: db.execute("PRAGMA shrink_memory").close())

    async def schema_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0


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
