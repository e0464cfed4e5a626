"""The PostgreSQL store: every role over one database that any number of workers share.

The store's parts live in their own modules (``sources``, ``articles``, ``outbox``,
``coordination``, ``transfer``) over ``connection`` (the pool, this worker's presence, errors in
words); this one connects, migrates the schema (once, however many workers start together:
``migrate``), and on the way out frees what this worker holds, so that the others take over at
once.
"""

from __future__ import annotations

import asyncio
import logging
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
from watchwire.store.postgres.sources import SourcesPart
from watchwire.store.postgres.transfer import TransferPart

__all__ = ["POOL_SIZE", "PostgresStore"]

log = logging.getLogger(__name__)

POOL_SIZE: Final = 10
"""Connections one worker keeps at most (plus its presence): polls hold one per statement or
transaction, a few milliseconds each."""
CONNECT_TIMEOUT: Final = 10


class PostgresStore(SourcesPart, ArticlesPart, OutboxPart, CoordinationPart, TransferPart):
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
        try:
            yield store
        finally:
            # Shielded: a cancelled service must still give its leases back and close.
            await asyncio.shield(_close(store, pool))

    async def release_memory(self) -> None:
        return None  # the server's caches are the server's


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
