"""What every part of the PostgreSQL store shares: the pool, this worker's presence, errors.

**The pool.** psycopg 3's ``AsyncConnectionPool``; each connection in autocommit (transactions
are begun explicitly) with its session's ``TimeZone`` set to UTC, so that times come back as
UTC and nothing depends on the server's default. A statement is one round trip; a transaction
holds one connection from its first statement to its commit.

**Presence.** A process that takes leases is a *worker*: on its first lease it takes a number
(``worker_ids``) and, on a connection of its own, the session advisory lock ``(WORKER_LOCK,
number)``, before its row in ``workers`` appears. The server holds the lock for as long as that
session lives and drops it when the session ends, however the process ended (``kill -9``
included): a lease whose owner's lock is free belongs to nobody (``release_orphans``). The same
connection ``LISTEN``s for ``NOTIFY_CHANNEL``, on which a transaction that queues a message
notifies every worker. A worker that loses that connection takes a new number on its next lease
(its old leases are then the others' to free).

**Errors** are translated here, once, into ``StoreError`` in words; a deadlock or a serialization
failure (which only a retry of the whole transaction mends) into ``Retry``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Final

import psycopg
from psycopg import errors
from psycopg import sql as _sql
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from watchwire.exceptions import StoreError
from watchwire.timeutil import utcnow

__all__ = ["NOTIFY_CHANNEL", "WORKER_LOCK", "AsyncConn", "Connected", "Retry", "describe"]

log = logging.getLogger(__name__)

AsyncConn = psycopg.AsyncConnection[Any]
Statement = str | _sql.SQL | _sql.Composed

WORKER_LOCK: Final = 0x77776972
"""The advisory lock class of workers' presence (``wwir``); the worker's number is the key."""
NOTIFY_CHANNEL: Final = "watchwire_outbox"
"""Notified by a transaction that made a message due: deliverers wake at once."""


class Retry(StoreError):
    """A transaction lost a race (deadlock, serialization failure): run it again."""


def describe(url: str) -> str:
    """The store's URL as it may be shown: without its password."""
    return re.sub(r"(//[^/:@]*):[^/@]*@", r"\1:***@", url)


async def configure(conn: AsyncConn) -> None:
    """Every session: times in UTC."""
    await conn.execute("SET TimeZone = 'UTC'")


class Connected:
    """The pool and this worker's presence; the store's parts are mixins over this."""

    def __init__(self, pool: AsyncConnectionPool[Any], *, url: str, near_distance: int) -> None:
        self._pool = pool
        self._url = url
        self._near_distance = near_distance
        self._worker: int | None = None
        self._presence: AsyncConn | None = None
        self._registering = asyncio.Lock()
        self._listener: asyncio.Task[None] | None = None
        self._outbox_news = asyncio.Event()

    # --- statements ---------------------------------------------------------------------------

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[AsyncConn]:
        try:
            async with self._pool.connection() as conn:
                yield conn
        except (errors.DeadlockDetected, errors.SerializationFailure) as exc:
            raise Retry(f"{describe(self._url)}: {_first_line(exc)}") from exc
        except psycopg.Error as exc:
            raise StoreError(f"the database at {describe(self._url)}: {_first_line(exc)}") from exc
        except PoolTimeout as exc:
            raise StoreError(
                f"no connection to the database at {describe(self._url)} within "
                f"{self._pool.timeout:g} s (is the server up and accepting connections?)"
            ) from exc

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncConn]:
        async with self._connection() as conn, conn.transaction():
            yield conn

    async def _rows(
        self,
        sql: Statement,
        params: Sequence[Any] | Mapping[str, Any] = (),
        *,
        prepare: bool | None = None,
    ) -> list[DictRow]:
        async with self._connection() as conn:
            return await rows(conn, sql, params, prepare=prepare)

    async def _execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> int:
        """One statement; the rows it changed."""
        async with self._connection() as conn:
            cur = await conn.execute(sql, params)
            return cur.rowcount

    # --- presence -----------------------------------------------------------------------------

    async def _me(self) -> int:
        """This worker's number, registering it (and holding its lock) on first use."""
        worker, presence = self._worker, self._presence
        if worker is not None and presence is not None and not presence.closed:
            return worker
        async with self._registering:
            if self._worker is None or self._presence is None or self._presence.closed:
                await self._register()
            assert self._worker is not None
            return self._worker

    async def _register(self) -> None:
        if self._worker is not None:
            log.error("worker %d lost its connection to the database: registering again "
                      "(its leases go to the other workers)", self._worker)  # fmt: skip
            await self._leave_presence()
        try:
            conn = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
            try:
                await configure(conn)
                row = await (await conn.execute("SELECT nextval('worker_ids')::int")).fetchone()
                assert row is not None
                worker = int(row[0])
                await conn.execute("SELECT pg_advisory_lock(%s, %s)", (WORKER_LOCK, worker))
                await conn.execute(
                    "INSERT INTO workers (id, host, pid, started_at) VALUES (%s, %s, %s, %s)",
                    (worker, socket.gethostname(), os.getpid(), utcnow()),
                )
                await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            except BaseException:
                await conn.close()
                raise
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot join the database at {describe(self._url)}: {_first_line(exc)}"
            ) from exc
        self._worker, self._presence = worker, conn
        self._listener = asyncio.create_task(self._listen(conn), name=f"worker {worker} listen")
        log.info("worker %d of the database at %s", worker, describe(self._url))

    async def _listen(self, conn: AsyncConn) -> None:
        """Until the connection ends: every notification wakes this worker's deliverer."""
        try:
            async for _ in conn.notifies():
                self._outbox_news.set()
        except psycopg.Error as exc:
            log.warning("this worker's connection to the database ended: %s", _first_line(exc))
        finally:
            self._outbox_news.set()  # a deliverer that waits looks for itself meanwhile

    async def _leave_presence(self) -> None:
        listener, self._listener = self._listener, None
        presence, self._presence = self._presence, None
        if listener is not None:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
        if presence is not None:
            await presence.close()


async def rows(
    conn: AsyncConn,
    sql: Statement,
    params: Sequence[Any] | Mapping[str, Any] = (),
    *,
    prepare: bool | None = None,
) -> list[DictRow]:
    """The rows of one statement, as dicts. ``prepare=False``: planned afresh each time, for a
    statement whose best plan changes as its tables grow (psycopg prepares a statement run
    five times on a connection, and the server may then keep one generic plan for good)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(sql, params, prepare=prepare)
        return await cur.fetchall()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
