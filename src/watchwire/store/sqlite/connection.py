"""What every part of the SQLite store shares: its connections, their threads, group commit.

Each connection runs on a thread of its own (``bridge``), and a call wakes the event loop once
when it is done. A stored article is a dozen statements, so the store does not talk to SQLite
statement by statement: each operation is one plain function of the ``sqlite3.Connection`` run
on that thread, and writes go through ``_batched``, which commits every write that queued while
the previous batch ran in one transaction (group commit), each in its own savepoint so one
failing write does not take the others with it.

Two connections: the writer (``_read`` and ``_batched``: the pipeline's own lookups, which
must see its writes in order) and a read-only reader (``_query``: search, listings, health —
what people and pages ask), so that a page never waits behind a write batch. In WAL mode the
reader sees every committed transaction and never blocks the writer.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from watchwire.store.sqlite.bridge import SqliteThread
from watchwire.store.sqlite.errors import translate
from watchwire.timeutil import to_iso

__all__ = ["Connected"]

T = TypeVar("T")

_CHUNK = 500  # bound on SQL variables per statement
_MAX_BATCH = 128
"""Writes per transaction: enough to amortise a commit, few enough to keep it short."""


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else to_iso(dt)


@dataclass(eq=False, slots=True)
class _Write:
    job: Callable[[sqlite3.Connection], Any]
    future: asyncio.Future[Any]


@dataclass(frozen=True, slots=True)
class _Failed:
    error: Exception


class Connected:
    """The connection, its thread and its writer; the store's parts are mixins over this."""

    def __init__(self, writer: SqliteThread, reader: SqliteThread, *, near_distance: int) -> None:
        self._writer = writer
        self._reader = reader
        self._near_distance = near_distance
        self._write_lock = asyncio.Lock()
        self._queue: list[_Write] = []
        self._path: Path | None = None
        """The file, when the store is one (not ``:memory:``)."""

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on the writer's thread: reads that must follow this process's writes."""
        return await self._writer.call(fn)

    async def _query(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on the read-only connection: never queued behind a write batch."""
        return await self._reader.call(fn)

    async def _batched(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run the write ``job`` in a transaction shared with the writes queued beside it.

        The first writer to take the lock commits everything queued so far; the others find
        their write done when the lock comes to them. A cancelled caller's write still
        happens if its batch had started: the thread cannot be stopped mid-transaction.
        """
        write = _Write(job, asyncio.get_running_loop().create_future())
        self._queue.append(write)
        try:
            async with self._write_lock:
                while write in self._queue:
                    batch = self._queue[:_MAX_BATCH]
                    del self._queue[:_MAX_BATCH]
                    flush = asyncio.ensure_future(
                        self._read(partial(_run_batch, [w.job for w in batch]))
                    )
                    flush.add_done_callback(partial(_settle, batch, self._writer.label))
                    # Not shielded but waited for: a cancelled leader leaves the batch to
                    # finish and settle on its own, and the lock to the next writer.
                    await asyncio.wait([flush])
        except asyncio.CancelledError:
            if write in self._queue:
                self._queue.remove(write)
            else:
                write.future.add_done_callback(_retrieve)
            raise
        result: T = await write.future
        return result

    async def _write(self, sql: str, params: Sequence[Any]) -> int:
        """One write statement; returns the rows it changed."""
        return await self._batched(lambda conn: conn.execute(sql, params).rowcount)


def _run_batch(
    jobs: list[Callable[[sqlite3.Connection], Any]], conn: sqlite3.Connection
) -> list[Any]:
    """On the connection's thread: every job in one transaction, each in a savepoint."""
    out: list[Any] = []
    if conn.in_transaction:  # a ROLLBACK that failed last time must not strand the store
        conn.execute("ROLLBACK")
    conn.execute("BEGIN IMMEDIATE")
    try:
        for job in jobs:
            conn.execute("SAVEPOINT job")
            try:
                out.append(job(conn))
            except Exception as exc:
                if isinstance(exc, StopIteration):
                    # A future refuses StopIteration (its writer, and every writer after it in
                    # the batch, would wait forever): hand on a RuntimeError instead.
                    exc = RuntimeError(f"write job raised {exc!r}")
                if not conn.in_transaction:
                    raise exc  # SQLite rolled the whole transaction back: every job failed
                conn.execute("ROLLBACK TO job")
                out.append(_Failed(exc))
            conn.execute("RELEASE job")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return out


def _settle(batch: list[_Write], label: str, flush: asyncio.Future[list[Any]]) -> None:
    """On the loop: hand each writer its result, or the error that failed its batch."""
    error = None if flush.cancelled() else flush.exception()
    results = flush.result() if error is None and not flush.cancelled() else None
    for i, write in enumerate(batch):
        if write.future.done():
            continue
        if results is None:
            if error is None:
                write.future.cancel()
            else:
                write.future.set_exception(error)
        elif isinstance(results[i], _Failed):
            write.future.set_exception(translate(results[i].error, label))
        else:
            write.future.set_result(results[i])


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a result nobody waits for any more as seen, so asyncio does not log it."""
    if not future.cancelled():
        future.exception()
