"""The SQLite backend's side of retention and health: migration 3, returned pages, backups."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

from tests.store.helpers import T0, intent, new_article
from watchwire.store.sqlite import SqliteStore
from watchwire.store.sqlite.schema import MIGRATIONS


def v2_file(path: Path) -> None:
    """A store as the second schema left it: an article, its story, an alert delivered."""
    con = sqlite3.connect(path)
    con.executescript(MIGRATIONS[0])
    con.executescript(MIGRATIONS[1])
    con.executescript("""
        INSERT INTO stories (id, created_at, key) VALUES (1, '2026-11-01T00:00:00.000000Z', 'h:a');
        INSERT INTO articles (id, url, story_id, source, content_hash, first_seen_at, updated_at)
        VALUES (1, 'https://a/1', 1, 's', 'h:a', '2026-11-01T00:00:00.000000Z', 't');
        INSERT INTO outbox (id, channel, kind, payload, state, next_attempt_at, created_at,
                            updated_at)
        VALUES ('m1', 'ops', 'alert', '{}', 'delivered', 't', 't', 't');
        INSERT INTO alerts (id, rule, story_id, channel, article_id, message_id, payload,
                            created_at)
        VALUES ('m1', 'r1', 1, 'ops', 1, 'm1', '{}', 't');
        INSERT INTO sources (name, url, consecutive_failures, last_polled_at)
        VALUES ('s', 'https://a/feed', 2, '2026-11-02T00:00:00.000000Z');
        PRAGMA user_version = 2;
    """)
    con.close()


async def test_migration_3_keeps_alerts_and_learns_each_source_s_history(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    v2_file(path)
    async with SqliteStore.open(path) as store:
        assert await store.schema_version() == len(MIGRATIONS)
        st = await store.source_state("s")
        assert st is not None and st.state is None
        assert st.last_new_at == T0.replace(month=11, day=1, hour=0)
        assert st.failing_since == T0.replace(month=11, day=2, hour=0)
        # The alert survives; its story still refuses a second one.
        again = await store.save_article(new_article("https://b/1", "a"), [intent()], now=T0)
        assert again.story_id == 1 and not again.alerts
        assert await store.prune_articles(before=T0, limit=10) == 1  # alerts outlive articles
    con = sqlite3.connect(path)
    assert con.execute("SELECT id FROM alerts").fetchall() == [("m1",)]
    con.close()


async def test_a_new_file_returns_pruned_pages_to_the_file_system(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    async with SqliteStore.open(path) as store:
        body = "word " * 4000
        await asyncio.gather(*(
            store.save_article(new_article(f"https://a/{i}", f"{i} {body}"), [], now=T0)
            for i in range(100)
        ))  # fmt: skip
        assert (await store.storage_bytes() or 0) >= path.stat().st_size
    full = path.stat().st_size  # closed: the log is checkpointed into the file
    async with SqliteStore.open(path) as store:
        assert await store.prune_articles(before=T0 + timedelta(days=1), limit=1000) == 100
        returned = await store.reclaim_space(pages=100_000)
    assert returned > 0 and path.stat().st_size < full / 3
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental
    con.close()


async def test_a_backup_taken_under_write_load_is_whole(tmp_path: Path) -> None:
    """Writes go on during the backup; the copy is one consistent snapshot."""
    async with SqliteStore.open(tmp_path / "w.db") as store:
        stop = asyncio.Event()
        under_way = asyncio.Event()

        async def write() -> int:
            n = 0
            while not stop.is_set():
                await store.save_article(new_article(f"https://w/{n}", f"text {n} " * 200),
                                         [intent()], now=T0)  # fmt: skip
                n += 1
                if n == 20:  # the store holds something, and the writer keeps going
                    under_way.set()
            return n

        writer = asyncio.create_task(write())
        await under_way.wait()
        await store.backup(tmp_path / "copy.db")
        stop.set()
        written = await writer
    con = sqlite3.connect(tmp_path / "copy.db")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copied = con.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    outbox = con.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    con.close()
    assert 0 < copied <= written and outbox == copied  # article and alert: all or nothing
    assert not (tmp_path / "copy.db.partial").exists()


async def test_a_backup_is_a_store_with_the_same_contents(tmp_path: Path) -> None:
    async with SqliteStore.open(tmp_path / "w.db") as store:
        await store.save_article(new_article("https://a/1", "t1"), [intent()], now=T0)
        await store.backup(tmp_path / "copy.db")
    async with SqliteStore.open(tmp_path / "copy.db") as copy:
        assert await copy.count_articles() == 1
        assert len(await copy.list_outbox()) == 1
