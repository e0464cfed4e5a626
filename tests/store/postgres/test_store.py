"""Opening the PostgreSQL store: migrated on the way in; a server it cannot reach, in words."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from tests.store.helpers import T0, intent, new_article
from watchwire.exceptions import StoreError
from watchwire.store import Store, locate_store, open_store
from watchwire.store.postgres.schema import MIGRATIONS
from watchwire.timeutil import utcnow


async def test_opening_migrates_and_closing_leaves_no_worker(postgres_dsn: str) -> None:
    async with open_store(locate_store(postgres_dsn)) as store:
        assert await store.count_articles() == 0
        await store.renew_leases(now=utcnow(), lease=timedelta(seconds=30))  # joins as a worker
        with psycopg.connect(postgres_dsn) as conn:
            assert conn.execute("SELECT count(*) FROM workers").fetchone() == (1,)
    with psycopg.connect(postgres_dsn) as conn:
        assert conn.execute("SELECT version FROM watchwire_schema").fetchone() == (len(MIGRATIONS),)
        assert conn.execute("SELECT count(*) FROM workers").fetchone() == (0,)


async def test_a_server_it_cannot_reach_is_said_in_words_without_the_password() -> None:
    location = locate_store("postgresql://watchwire:s3cret@/watchwire?host=/nonexistent&port=1")
    with pytest.raises(StoreError, match=r"cannot connect to the database at postgresql://") as e:
        async with open_store(location):
            pass
    assert "s3cret" not in str(e.value)


async def test_a_backup_says_to_use_pg_dump_in_words(postgres_dsn: str, tmp_path: Path) -> None:
    async with open_store(locate_store(postgres_dsn)) as store:
        with pytest.raises(StoreError, match=r"pg_dump --format=custom") as e:
            await store.backup(tmp_path / "copy.db")
        assert not (tmp_path / "copy.db").exists()
        assert await store.reclaim_space(pages=100) == 0  # the server reuses freed space
    assert "PostgreSQL's own tools" in str(e.value)


async def test_workers_count_a_day_in_rows_of_their_own_and_readers_sum_them(
    postgres_dsn: str,
) -> None:
    """One row a day would make every worker's save wait on the others' count until commit."""
    location = locate_store(postgres_dsn)
    async with open_store(location) as one, open_store(location) as two:

        async def save(store: Store, prefix: str) -> None:
            for i in range(10):
                await store.save_article(new_article(f"https://{prefix}/{i}", f"{prefix} {i}"),
                                         [intent()], now=T0)  # fmt: skip

        await asyncio.gather(save(one, "a"), save(two, "b"))
        (day,) = await one.daily_activity(since=T0.date())
        assert (day.day, day.articles, day.alerts) == (T0.date(), 20, 20)
    with psycopg.connect(postgres_dsn) as conn:
        shards = conn.execute("SELECT count(*) FROM daily_counts").fetchone()
    assert shards is not None and shards[0] >= 2  # two workers, two sessions at least
