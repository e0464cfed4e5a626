"""Group commit: writes queued together share a transaction, and fail one by one."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from tests.store.helpers import T0, intent, new_article
from watchwire.store import AlertIntent
from watchwire.store.sqlite import SqliteStore


def broken_intent() -> AlertIntent:
    """An alert whose body cannot be written as JSON: its save fails inside the batch."""
    return AlertIntent(
        rule="r1", channel="ops", digest=False, payload={"type": "watchwire.alert", "bad": object()}
    )


async def count_begins(store: SqliteStore) -> list[str]:
    """Statements starting a transaction, as SQLite runs them."""
    begins: list[str] = []
    await store._read(
        lambda db: db.set_trace_callback(
            lambda sql: begins.append(sql) if sql.startswith("BEGIN") else None
        )
    )
    return begins


async def test_concurrent_saves_share_transactions(tmp_path: Path) -> None:
    """Fifty saves at once take far fewer than fifty transactions, and all are stored."""
    async with SqliteStore.open(tmp_path / "w.db") as store:
        begins = await count_begins(store)
        results = await asyncio.gather(
            *(
                store.save_article(new_article(f"https://a/{i}", f"text {i}"), [intent()], now=T0)
                for i in range(50)
            )
        )
        assert [r.created for r in results] == [True] * 50
        assert all(len(r.alerts) == 1 for r in results)
        assert await store.count_articles() == 50
        assert 1 <= len(begins) < 50
        assert (await store.outbox_counts())["pending"] == 50


async def test_a_failing_write_takes_only_itself_down(tmp_path: Path) -> None:
    """An alert that cannot be written fails its article's save; the batch's others land."""
    async with SqliteStore.open(tmp_path / "w.db") as store:
        begins = await count_begins(store)
        saves = [
            store.save_article(
                new_article(f"https://a/{i}", f"text {i}"),
                [broken_intent() if i == 3 else intent()],
                now=T0,
            )
            for i in range(8)
        ]
        results = await asyncio.gather(*saves, return_exceptions=True)
        assert isinstance(results[3], TypeError)
        assert sum(1 for r in results if not isinstance(r, BaseException)) == 7
        assert len(begins) < 8  # they did share a transaction
        con = sqlite3.connect(tmp_path / "w.db")
        urls = {r[0] for r in con.execute("SELECT url FROM articles")}
        alerts = con.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
        con.close()
        # The failed save left nothing behind: no article, no story row's alert.
        assert "https://a/3" not in urls and len(urls) == 7
        assert alerts == 7


async def test_a_failed_commit_fails_every_write_of_its_batch(tmp_path: Path) -> None:
    """When the transaction itself cannot commit, no writer is told its write landed."""
    path = tmp_path / "w.db"
    async with SqliteStore.open(path) as store:
        # Another connection holds the write lock, and our busy wait is short.
        await store._read(lambda db: db.execute("PRAGMA busy_timeout = 50").close())
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            results = await asyncio.gather(
                *(store.save_article(new_article(f"https://a/{i}", "x"), [], now=T0)
                  for i in range(4)),
                return_exceptions=True,
            )  # fmt: skip
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert all(isinstance(r, sqlite3.OperationalError) for r in results)
        assert await store.count_articles() == 0
        # and the store works again once the lock is free
        await store.save_article(new_article("https://a/ok", "ok"), [], now=T0)
        assert await store.count_articles() == 1


async def test_a_cancelled_writer_that_never_started_writes_nothing(tmp_path: Path) -> None:
    """A save cancelled while it waited for the writer is dropped, and the others go on."""
    async with SqliteStore.open(tmp_path / "w.db") as store:
        async with store._write_lock:  # hold the writer so the saves queue up
            first = asyncio.create_task(
                store.save_article(new_article("https://a/1", "one"), [], now=T0)
            )
            second = asyncio.create_task(
                store.save_article(new_article("https://a/2", "two"), [], now=T0)
            )
            await asyncio.sleep(0)  # one turn: both tasks run up to the lock
            assert len(store._queue) == 2
            second.cancel()
            with pytest.raises(asyncio.CancelledError):
                await second
        assert (await first).created
        assert await store.count_articles() == 1
        assert await store.known_urls(["https://a/1", "https://a/2"]) == {"https://a/1": None}


async def test_a_cancelled_leader_still_lands_its_batch(tmp_path: Path) -> None:
    """The caller that runs a batch is cancelled mid-commit: the batch lands for everyone."""
    async with SqliteStore.open(tmp_path / "w.db") as store:
        started = asyncio.Event()
        release = threading.Event()
        loop = asyncio.get_running_loop()

        def slow(db: sqlite3.Connection) -> None:
            # On the store's thread: tell the test the batch is running, then wait for it.
            db.execute("INSERT INTO stories (key, created_at) VALUES ('slow', 't')")
            loop.call_soon_threadsafe(started.set)
            release.wait(timeout=10)

        leader = asyncio.create_task(store._batched(slow))
        await started.wait()
        follower = asyncio.create_task(
            store.save_article(new_article("https://a/1", "one"), [intent()], now=T0)
        )
        leader.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await leader
        assert (await follower).created
        assert await store.count_articles() == 1
        assert (await store.outbox_counts())["pending"] == 1
        slow_rows = await store._read(
            lambda db: db.execute("SELECT COUNT(*) FROM stories WHERE key = 'slow'").fetchone()
        )
        assert slow_rows[0] == 1


async def test_a_job_raising_stop_iteration_fails_alone(tmp_path: Path) -> None:
    """asyncio futures refuse StopIteration; the writer gets an error, the batch goes on."""

    def bad(db: sqlite3.Connection) -> None:
        next(iter(()))

    async with SqliteStore.open(tmp_path / "w.db") as store:
        results = await asyncio.gather(
            store._batched(bad),
            store.save_article(new_article("https://a/1", "one"), [], now=T0),
            return_exceptions=True,
        )
        assert isinstance(results[0], RuntimeError)
        assert not isinstance(results[1], BaseException) and results[1].created
        assert await store.count_articles() == 1


async def test_a_transaction_left_open_does_not_strand_the_writer(tmp_path: Path) -> None:
    """If a ROLLBACK ever failed, the next batch rolls the leftover back and goes on."""
    async with SqliteStore.open(tmp_path / "w.db") as store:
        await store._read(lambda db: db.execute("BEGIN").close())
        saved = await store.save_article(new_article("https://a/1", "one"), [], now=T0)
        assert saved.created and await store.count_articles() == 1
