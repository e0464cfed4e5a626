"""What every part of the SQLite store shares: the connection, the write lock, helpers.

One connection is one writer. Tasks share it, so every multi-statement transaction holds
``_write_lock``: without it, two tasks' statements would interleave inside one BEGIN.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import aiosqlite

from watchwire.timeutil import to_iso, utcnow

__all__ = ["Connected", "new_id"]

_CHUNK = 500  # bound on SQL variables per statement


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


class Connected:
    """The connection and its write lock; the store's parts are mixins over this."""

    def __init__(self, db: aiosqlite.Connection, *, near_distance: int) -> None:
        self._db = db
        self._near_distance = near_distance
        self._write_lock = asyncio.Lock()

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

    async def _write(self, sql: str, params: Sequence[Any]) -> int:
        """One statement outside a transaction; returns the rows it changed."""
        async with self._write_lock:
            cur = await self._db.execute(sql, params)
            count = cur.rowcount
            await cur.close()
        return count
