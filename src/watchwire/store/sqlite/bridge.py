"""One ``sqlite3`` connection on a thread of its own, and the loop's way to run work there.

A ``sqlite3.Connection`` must be used from one thread, and its calls block. So each connection
lives on a single-thread executor: it is opened there, every call runs there as one plain
function of the connection (``call``), and the event loop is woken once per call, however many
statements the function runs. This is the small core of aiosqlite, owned here because the
store needs exactly "run this function on the connection's thread", which aiosqlite offers only
through private names.

A call cannot be stopped once its thread has started it: cancelling the awaiting task leaves
the function to finish (the group-commit writer relies on that and settles such results), except
a call made ``interruptible`` (a long read, the integrity check): cancelling it interrupts
SQLite, which abandons the statement at its next step.

Failures that mean the store itself is in trouble (damaged, read-only, disk full) come out as
``StoreError`` in words (``errors.translate``); others as sqlite3 raised them.
"""

from __future__ import annotations

import asyncio
import sqlite3
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Self, TypeVar

from watchwire.store.sqlite.errors import translate

__all__ = ["SqliteThread"]

T = TypeVar("T")


class SqliteThread:
    """A connection and its thread. Open with ``await SqliteThread.open(...)``; ``close`` it."""

    def __init__(
        self, executor: ThreadPoolExecutor, conn: sqlite3.Connection, *, label: str
    ) -> None:
        self._executor = executor
        self._conn: sqlite3.Connection | None = conn
        self.label = label
        """The store's name in error messages: its path."""

    @classmethod
    async def open(
        cls, database: str, *, uri: bool = False, name: str = "sqlite", label: str | None = None
    ) -> Self:
        """Connect on a new thread (autocommit: transactions are begun explicitly)."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"watchwire-{name}")

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(database, uri=uri, isolation_level=None)
            conn.row_factory = sqlite3.Row
            return conn

        try:
            conn = await asyncio.get_running_loop().run_in_executor(executor, connect)
        except BaseException as exc:
            executor.shutdown(wait=False)
            error = translate(exc, label or database)
            if error is exc:
                raise
            raise error from exc
        return cls(executor, conn, label=label or database)

    async def call(
        self, fn: Callable[[sqlite3.Connection], T], *, interruptible: bool = False
    ) -> T:
        """``fn(connection)``, run on the connection's thread."""
        conn = self._conn
        if conn is None:
            raise sqlite3.ProgrammingError("the store is closed")
        future = asyncio.get_running_loop().run_in_executor(self._executor, fn, conn)
        try:
            return await future
        except asyncio.CancelledError:
            if interruptible and not future.done():
                conn.interrupt()  # thread-safe: the statement stops at its next step
            raise
        except Exception as exc:
            error = translate(exc, self.label)
            if error is exc:
                raise
            raise error from exc

    async def close(self) -> None:
        """Close the connection on its thread, then end the thread. Safe to call twice."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, conn.close)
        finally:
            self._executor.shutdown(wait=False)

    def __del__(self) -> None:
        if self._conn is not None:
            warnings.warn(f"{self!r} was never closed", ResourceWarning, stacklevel=1, source=self)
