"""The SQLite backend's own promises: migrations, WAL, a reader that never waits on writes."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from tests.store.helpers import T0, intent, new_article
from watchwire.exceptions import StoreError
from watchwire.rules import search_query
from watchwire.store import locate_store, open_store
from watchwire.store.sqlite import SqliteStore
from watchwire.store.sqlite.schema import MIGRATIONS


async def test_fresh_file_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    """A new file gets every migration, WAL mode and foreign keys."""
    async with SqliteStore.open(tmp_path / "w.db") as store:
        assert await store.schema_version() == len(MIGRATIONS)
    con = sqlite3.connect(tmp_path / "w.db")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    con.close()
    assert {"articles", "stories", "alerts", "outbox", "http_cache", "fetches"} <= tables


async def test_file_from_a_newer_watchwire_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    con.close()
    with pytest.raises(StoreError, match="newer than this watchwire"):
        async with SqliteStore.open(path):
            pass


def v1_file(path: Path) -> None:
    """A store as the first schema left it: two stories founded by the same text (an edit
    gave an older article another story's text), and a source's body hash."""
    con = sqlite3.connect(path)
    con.executescript(MIGRATIONS[0])
    con.executescript("""
        INSERT INTO stories (id, created_at) VALUES (1, 't'), (2, 't'), (3, 't');
        INSERT INTO articles (id, url, story_id, source, content_hash, first_seen_at,
                              updated_at)
        VALUES (1, 'https://a/1', 1, 's', 'h:same', 't', 't'),
               (2, 'https://a/2', 2, 's', 'h:same', 't', 't'),
               (3, 'https://a/3', 2, 's', 'h:other', 't', 't'),
               (4, 'https://a/4', 3, 's', 'h:third', 't', 't');
        INSERT INTO sources (name, url, body_hash) VALUES ('s', 'https://a/feed', 'x');
        PRAGMA user_version = 1;
    """)
    con.close()


async def test_a_first_schema_file_gets_story_keys_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    v1_file(path)
    async with SqliteStore.open(path) as store:
        assert await store.schema_version() == len(MIGRATIONS)
        assert await store.count_articles() == 4
        # A new copy of the third story's text joins it through the key, not a new story.
        copy = await store.save_article(new_article("https://b/9", "third"), [], now=T0)
    con = sqlite3.connect(path)
    keys = dict(con.execute("SELECT id, key FROM stories").fetchall())
    columns = {r[1] for r in con.execute("PRAGMA table_info(sources)")}
    con.close()
    assert keys == {1: "h:same", 2: "story:2", 3: "h:third"}
    assert copy.story_id == 3
    assert "body_hash" not in columns


async def test_readers_never_wait_behind_a_write_batch(tmp_path: Path) -> None:
    """While a write transaction is held open on the writer's thread, a search answers."""
    async with SqliteStore.open(tmp_path / "w.db") as store:
        await store.save_article(new_article("https://a/1", "belarus"), [], now=T0)
        entered, release = threading.Event(), threading.Event()

        def long_write(db: sqlite3.Connection) -> None:
            db.execute("INSERT INTO stories (key, created_at) VALUES ('held', 't')")
            entered.set()
            release.wait(timeout=30)

        writing = asyncio.create_task(store._batched(long_write))
        try:
            await asyncio.to_thread(entered.wait, 10)
            async with asyncio.timeout(5):
                rows = await store.search(search_query("belarus", {}))
                counts = await store.outbox_counts()
            assert [r.url for r in rows] == ["https://a/1"] and counts["pending"] == 0
            assert not writing.done()
        finally:
            release.set()
        await writing


async def test_an_in_memory_store_works_on_one_connection() -> None:
    async with open_store(locate_store(":memory:")) as store:
        saved = await store.save_article(new_article("https://a/1", "t"), [intent()], now=T0)
        assert await store.count_articles() == 1
        assert [r.url for r in await store.search(None)] == ["https://a/1"]
        assert len(saved.alerts) == 1


def test_locations_name_their_backend(tmp_path: Path) -> None:
    assert locate_store("w.db", relative_to=tmp_path).path == tmp_path / "w.db"
    assert locate_store("sqlite:w.db", relative_to=tmp_path).path == tmp_path / "w.db"
    assert locate_store("sqlite:///var/lib/w.db", relative_to=tmp_path).path == Path(
        "/var/lib/w.db"
    )
    pg = locate_store("postgresql://u:secret@db.example.org/w")
    assert pg.backend == "postgresql" and "secret" not in str(pg)
    with pytest.raises(StoreError, match="unknown kind of store 'mysql:'"):
        locate_store("mysql://db/w")
