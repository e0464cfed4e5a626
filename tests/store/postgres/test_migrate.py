"""Migrations on a real PostgreSQL: applied once, safely when several workers start together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest

from watchwire.exceptions import StoreError
from watchwire.store.postgres.migrate import SCHEMA_LOCK, migrate
from watchwire.store.postgres.schema import MIGRATIONS

TABLES = {
    "sources",
    "http_cache",
    "fetches",
    "stories",
    "articles",
    "simhash_bands",
    "outbox",
    "given_up",
}
TABLES |= {"alerts", "deliveries", "watchwire_schema", "ghost_urls", "ghost_texts", "ghost_bands"}
TABLES |= {"daily_counts", "polls"}  # the dashboard's
TABLES |= {"workers", "worker_sources", "page_claims", "hosts", "store_copies"}

AsyncConn = psycopg.AsyncConnection[Any]


@pytest.fixture
async def conn(postgres_dsn: str) -> AsyncIterator[AsyncConn]:
    async with await psycopg.AsyncConnection.connect(postgres_dsn, autocommit=True) as c:
        yield c


async def tables(conn: AsyncConn) -> set[str]:
    cur = await conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {str(r[0]) for r in await cur.fetchall()}


async def version(conn: AsyncConn) -> int:
    row = await (await conn.execute("SELECT version FROM watchwire_schema")).fetchone()
    assert row is not None
    return int(row[0])


async def test_migrate_creates_the_schema_once(conn: AsyncConn) -> None:
    """A fresh database gets every table and the version; a second run does nothing."""
    assert await migrate(conn) == len(MIGRATIONS)
    assert await tables(conn) == TABLES
    assert await version(conn) == len(MIGRATIONS)
    assert await migrate(conn) == 0
    assert await version(conn) == len(MIGRATIONS)


async def _waiting_for_the_lock(conn: AsyncConn, count: int) -> None:
    """Until ``count`` sessions wait for the schema lock (no event to await: ask the server)."""
    # An advisory lock's key is split across classid (high half) and objid (low half).
    sql = """SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
             AND classid = %s AND objid = %s"""
    key = (SCHEMA_LOCK >> 32, SCHEMA_LOCK & 0xFFFFFFFF)
    async with asyncio.timeout(20):
        while True:
            row = await (await conn.execute(sql, key)).fetchone()
            if row == (count,):
                return
            await asyncio.sleep(0.02)


async def test_three_workers_starting_at_once_migrate_once(
    conn: AsyncConn, postgres_dsn: str
) -> None:
    """Three callers queued on the lock together: one migrates, two find it done."""

    async def worker() -> int:
        async with await psycopg.AsyncConnection.connect(postgres_dsn) as own:
            return await migrate(own)

    await conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))  # hold them at the gate
    try:
        tasks = [asyncio.create_task(worker()) for _ in range(3)]
        await _waiting_for_the_lock(conn, 3)
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))
    async with asyncio.timeout(30):
        applied = await asyncio.gather(*tasks)
    assert sorted(applied) == [0, 0, len(MIGRATIONS)]
    assert await tables(conn) == TABLES
    assert await version(conn) == len(MIGRATIONS)


async def test_three_workers_racing_without_a_gate_all_succeed(postgres_dsn: str) -> None:
    """Started together with nothing to order them, all three finish and one migrated."""

    async def worker() -> int:
        async with await psycopg.AsyncConnection.connect(postgres_dsn) as own:
            return await migrate(own)

    async with asyncio.timeout(30):
        applied = await asyncio.gather(*(worker() for _ in range(3)))
    assert sorted(applied) == [0, 0, len(MIGRATIONS)]


async def test_the_wait_for_another_migration_is_bounded(
    conn: AsyncConn, postgres_dsn: str
) -> None:
    """A worker that cannot get the lock in time says so, in words, and changes nothing."""
    async with await psycopg.AsyncConnection.connect(postgres_dsn, autocommit=True) as holder:
        await holder.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        with pytest.raises(StoreError, match=r"waited over 0.2 s for a lock to migrate"):
            await migrate(conn, lock_timeout=0.2)
    assert await tables(conn) == set()


async def test_a_newer_schema_is_refused(conn: AsyncConn) -> None:
    """A database migrated by a newer watchwire is not touched: upgrade watchwire."""
    await migrate(conn)
    await conn.execute("UPDATE watchwire_schema SET version = %s", (len(MIGRATIONS) + 1,))
    with pytest.raises(StoreError, match=r"newer than this watchwire .*: upgrade watchwire"):
        await migrate(conn)
    assert await version(conn) == len(MIGRATIONS) + 1


async def test_a_failed_migration_leaves_the_database_as_it_was(conn: AsyncConn) -> None:
    """Migrations run in one transaction: a broken one undoes the ones before it."""
    broken = (*MIGRATIONS, "CREATE TABLE half (x int); CREATE TABLE oops (")
    with pytest.raises(StoreError, match=r"cannot migrate the database: syntax error"):
        await migrate(conn, migrations=broken)
    assert await tables(conn) == set()
    assert await migrate(conn) == len(MIGRATIONS)  # and the lock was let go
