"""The PostgreSQL store: every role over one database that any number of workers share.

The store's parts live in their own modules (``sources``, ``articles``, ``stories``,
``search``, ``outbox``, ``coordination``, ``transfer``, ``retention``) over ``connection``
(the pool, this worker's presence, errors in words); this one connects, migrates the schema
(once, however many workers start together: ``migrate``), and on the way out frees what this
worker holds, so that the others take over at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final, Self

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from watchwire.dedupe import NEAR_DUPLICATE_DISTANCE
from watchwire.exceptions import StoreError
from watchwire.store.postgres.articles import ArticlesPart
from watchwire.store.postgres.connection import configure, describe
from watchwire.store.postgres.coordination import CoordinationPart
from watchwire.store.postgres.migrate import migrate
from watchwire.store.postgres.outbox import OutboxPart
from watchwire.store.postgres.retention import RetentionPart
from watchwire.store.postgres.schema import MIGRATIONS
from watchwire.store.postgres.search import SearchPart
from watchwire.store.postgres.sources import SourcesPart
from watchwire.store.postgres.stories import StoriesPart
from watchwire.store.postgres.transfer import TransferPart
from watchwire.store.values import StoreCheck

__all__ = ["POOL_SIZE", "PostgresStore"]

log = logging.getLogger(__name__)

POOL_SIZE: Final = 10
"""Connections one worker keeps at most (plus its presence): polls hold one per statement or
transaction, a few milliseconds each."""
CONNECT_TIMEOUT: Final = 10


class PostgresStore(
    SourcesPart,
    ArticlesPart,
    StoriesPart,
    SearchPart,
    OutboxPart,
    CoordinationPart,
    TransferPart,
    RetentionPart,
):
    """Every store role on one PostgreSQL database: ``async with PostgresStore.open(url)``."""

    @classmethod
    @asynccontextmanager
    async def open(
        cls, url: str, *, near_distance: int = NEAR_DUPLICATE_DISTANCE
    ) -> AsyncIterator[Self]:
        try:
            async with await psycopg.AsyncConnection.connect(
                url, autocommit=True, connect_timeout=CONNECT_TIMEOUT
            ) as conn:
                await migrate(conn)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to the database at {describe(url)}: "
                             f"{_said(exc)}") from exc  # fmt: skip
        pool: AsyncConnectionPool[psycopg.AsyncConnection[object]] = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=POOL_SIZE,
            open=False,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT},
            configure=configure,
            name="watchwire",
        )
        try:
            await pool.open(wait=True, timeout=CONNECT_TIMEOUT)
        except PoolTimeout as exc:
            await pool.close()
            raise StoreError(f"cannot connect to the database at {describe(url)}") from exc
        store = cls(pool, url=url, near_distance=near_distance)
        store._identity = await store._database_identity()
        try:
            yield store
        finally:
            # Shielded: a cancelled service must still give its leases back and close.
            await asyncio.shield(_close(store, pool))

    async def release_memory(self) -> None:
        return None  # the server's caches are the server's

    _identity: int | None = None

    async def verify(self) -> None:
        """Raise StoreError if the database this store opened was dropped and made again (an
        empty one would alert every story again). A server that does not answer for now is
        not that: the store's next statement says so, and the service goes on trying."""
        try:
            identity = await self._database_identity()
        except StoreError:
            return
        if identity != self._identity:
            raise StoreError(
                f"the database at {describe(self._url)} was dropped and made again while "
                "watchwire was using it; stopping, so that nothing is alerted twice: restore "
                "it (or point storage at the right one), then start again"
            )

    async def check(self, *, budget: float | None = None) -> StoreCheck:
        """The server checks its own pages (and data checksums, when the cluster has them);
        this says whether it answers with watchwire's schema."""
        began = time.perf_counter()
        problems: list[str] = []
        try:
            found = await self._rows("SELECT version FROM watchwire_schema")
            if not found or int(found[0]["version"]) != len(MIGRATIONS):
                problems.append("the schema is not this watchwire's: run `watchwire run` once")
        except StoreError as exc:
            problems.append(str(exc))
        return StoreCheck(ok=not problems, complete=True, problems=tuple(problems),
                          seconds=time.perf_counter() - began)  # fmt: skip

    async def _database_identity(self) -> int:
        """The database's oid: a database dropped and made again under its name has another."""
        found = await self._rows(
            "SELECT oid::bigint AS oid FROM pg_database WHERE datname = current_database()"
        )
        return int(found[0]["oid"])


async def _close(
    store: PostgresStore, pool: AsyncConnectionPool[psycopg.AsyncConnection[object]]
) -> None:
    try:
        await store.leave()
    except StoreError as exc:
        log.warning("could not give this worker's leases back (they run out): %s", exc)
    finally:
        await pool.close()


def _said(exc: psycopg.Error) -> str:
    text = str(exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__
