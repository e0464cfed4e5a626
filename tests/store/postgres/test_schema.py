"""The PostgreSQL schema: the SQLite one's tables, plus what several writers need."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from watchwire.rules import search_query
from watchwire.store.postgres.fts import search_vector, to_tsquery
from watchwire.store.postgres.migrate import migrate
from watchwire.store.sqlite.schema import MIGRATIONS as SQLITE_MIGRATIONS

AsyncConn = psycopg.AsyncConnection[Any]

ONLY_POSTGRES = {
    ("articles", "search"),
    ("sources", "lease_owner"),
    ("sources", "lease_until"),
    ("outbox", "lease_owner"),
    *((t, c) for t in ("workers",) for c in ("id", "host", "pid", "started_at")),
    ("worker_sources", "worker"),
    ("worker_sources", "source"),
    *((t, c) for t in ("page_claims",) for c in ("url", "owner", "lease_until")),
    *((t, c) for t in ("hosts",) for c in ("origin", "owner", "lease_until", "free_at")),
    ("daily_counts", "shard"),
}
"""The search vector, where SQLite has FTS5's tables; the leases and workers several processes
share (SQLite has one process, which keeps them in memory); the day counts' rows per session
(SQLite has one writer)."""


@pytest.fixture
async def db(postgres_dsn: str) -> AsyncIterator[AsyncConn]:
    """A migrated database."""
    async with await psycopg.AsyncConnection.connect(postgres_dsn, autocommit=True) as conn:
        await migrate(conn)
        yield conn


async def test_every_sqlite_table_and_column_has_its_twin(db: AsyncConn, tmp_path: Path) -> None:
    """The two schemas move together: a column added to one must be added to the other."""
    lite = sqlite3.connect(tmp_path / "twin.db")
    try:
        for migration in SQLITE_MIGRATIONS:
            lite.executescript(migration)
        names = [r[0] for r in lite.execute("SELECT name FROM sqlite_schema WHERE type='table'")]
        sqlite_columns = {
            (t, r[1])
            for t in names
            if not t.startswith("articles_fts")  # FTS5's tables: ``articles.search`` here
            for r in lite.execute(f"PRAGMA table_info({t})")
        }
    finally:
        lite.close()
    cur = await db.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name <> 'watchwire_schema'"
    )
    pg_columns = {(str(t), str(c)) for t, c in await cur.fetchall()}
    assert pg_columns - ONLY_POSTGRES == sqlite_columns


async def _story(conn: AsyncConn, key: str) -> int:
    # As the store will: DO UPDATE, not DO NOTHING, returns the row that won, even one another
    # writer committed after this statement began.
    cur = await conn.execute(
        """INSERT INTO stories (key, created_at) VALUES (%s, now())
           ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING id""",
        (key,),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def test_concurrent_writers_of_one_story_get_one_row(
    db: AsyncConn, postgres_dsn: str
) -> None:
    """Two writers founding the same story at once: the second waits and joins the first's."""
    async with (
        await psycopg.AsyncConnection.connect(postgres_dsn) as first,
        await psycopg.AsyncConnection.connect(postgres_dsn) as second,
    ):
        first_id = await _story(first, "hash-1")  # in its transaction, not committed yet
        pid = second.info.backend_pid
        joining = asyncio.create_task(_story(second, "hash-1"))
        async with asyncio.timeout(20):  # until the second is blocked on the first's row
            while True:
                cur = await db.execute(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)
                )
                if await cur.fetchone() == ("Lock",):
                    break
                await asyncio.sleep(0.02)
        await first.commit()
        async with asyncio.timeout(20):
            second_id = await joining
        await second.commit()
    assert second_id == first_id
    assert await (await db.execute("SELECT count(*) FROM stories")).fetchone() == (1,)


async def _article(db: AsyncConn, url: str, title: str, body: str, *, search: bool = True) -> None:
    story = await _story(db, url)
    await db.execute(
        """INSERT INTO articles (url, story_id, source, title, body, content_hash,
                                 first_seen_at, updated_at, search)
           VALUES (%s, %s, 's', %s, %s, %s, now(), now(), %s::tsvector)""",
        (url, story, title, body, url, search_vector(title, "", body) if search else None),
    )


async def test_articles_are_found_through_their_search_column(db: AsyncConn) -> None:
    """The store's search: the GIN-indexed vector, plus the articles too large to have one."""
    await _article(db, "u1", "Belarus-based", "Lukashenko’s potash exports")
    await _article(db, "u2", "Weather", "Rain in Kyiv")
    await _article(db, "u3", "Huge", "unindexed", search=False)
    tsquery = to_tsquery(search_query('title:belarus "lukashenko s"', {}))
    cur = await db.execute(
        "SELECT url FROM articles WHERE search @@ %s::tsquery OR search IS NULL ORDER BY url",
        (tsquery,),
    )
    assert [r[0] for r in await cur.fetchall()] == ["u1", "u3"]


async def test_a_payload_is_kept_as_written(db: AsyncConn) -> None:
    """``json``, not ``jsonb``: what is delivered has the keys in the order they were written."""
    payload = json.dumps({"type": "watchwire.alert", "id": "a1", "rule": "r", "article": {}})
    await db.execute(
        """INSERT INTO outbox (id, channel, kind, payload, next_attempt_at, created_at, updated_at)
           VALUES ('a1', 'ops', 'alert', %s, now(), now(), now())""",
        (payload,),
    )
    row = await (await db.execute("SELECT payload::text FROM outbox")).fetchone()
    assert row == (payload,)


async def test_one_alert_per_rule_story_and_channel(db: AsyncConn) -> None:
    """The database refuses a second alert for the same story, rule and channel."""
    await _article(db, "u1", "t", "b")
    sql = """INSERT INTO alerts (id, rule, story_id, channel, article_id, payload, created_at)
             SELECT %s, 'r', story_id, 'ops', id, '{}', now() FROM articles
             ON CONFLICT (rule, story_id, channel) DO NOTHING"""
    first = await db.execute(sql, ("a1",))
    second = await db.execute(sql, ("a2",))
    assert (first.rowcount, second.rowcount) == (1, 0)


async def test_each_day_s_articles_and_rule_alerts_are_counted_as_rows_come(db: AsyncConn) -> None:
    """The dashboard's chart reads ``daily_counts``; triggers keep it, as in SQLite."""
    await db.execute("INSERT INTO stories (key, created_at) VALUES ('k', now())")
    story = await (await db.execute("SELECT id FROM stories")).fetchone()
    assert story is not None
    for n in (1, 2):
        await db.execute(
            """INSERT INTO articles (url, story_id, source, content_hash, first_seen_at,
                                     updated_at)
               VALUES (%s, %s, 's', 'h', '2026-11-30T23:59:00Z', now())""",
            (f"https://a/{n}", story[0]),
        )
    for rule in ("r1", None):  # a source-health alert has no rule: not an article alert
        await db.execute(
            """INSERT INTO alerts (id, rule, story_id, channel, payload, created_at)
               VALUES (%s, %s, %s, 'ops', '{}', '2026-12-01T00:00:01Z')""",
            (f"id-{rule}", rule, story[0] if rule else None),
        )
    cur = await db.execute("SELECT day::text, articles, alerts FROM daily_counts ORDER BY day")
    assert await cur.fetchall() == [("2026-11-30", 2, 0), ("2026-12-01", 0, 1)]
