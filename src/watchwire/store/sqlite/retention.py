"""Retention and backups: old articles pruned into ghosts, old alerts deleted, pages freed.

An article past ``storage.retention`` is deleted — its row, its search-index rows, its band
keys — and leaves a *ghost* (``schema._OPERATIONS``): the 64-bit keys of its URL and its text,
and its SimHash under three band keys, so that its URL is still known (``known_urls``) and a
copy of its text founds a closed story (``articles._is_ghost``). Its story is closed too. Work
is done in small batches, each one write job in the group-commit queue, so the pipeline's
writes interleave.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from functools import partial
from pathlib import Path

from watchwire.dedupe import from_signed, key64, memory_keys
from watchwire.exceptions import StoreError
from watchwire.store.sqlite.connection import Connected
from watchwire.store.sqlite.index_merge import merge_index
from watchwire.timeutil import to_iso

__all__ = ["RetentionPart"]


class RetentionPart(Connected):
    async def prune_articles(self, *, before: datetime, limit: int) -> int:
        """Turn up to ``limit`` articles first seen before ``before`` into ghosts, oldest
        first; returns how many (fewer than ``limit``: nothing more is due)."""
        return await self._batched(partial(_prune_articles, to_iso(before), limit))

    async def prune_alerts(self, *, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` delivered or failed alerts and messages created before
        ``before`` (never one still waiting); returns how many rows went."""
        cut = f"{int(before.timestamp() * 1000):012x}"  # ids begin with their creation time
        return await self._batched(partial(_prune_alerts, cut, limit))

    async def reclaim_space(self, *, pages: int) -> int:
        """After pruning: one step of at most ``pages`` leaf pages of merging the search index
        (``index_merge``: what drops pruned articles' words from it), then up to ``pages`` free
        pages given back to the file system (beyond a tenth of the file kept free for the
        writes to come); returns how many were given. Called step by step, paced by the
        pruner: each step is one write in the queue. A store created before retention existed
        reuses its free pages but keeps its size (``docs/deploy.md``: converting it once)."""
        await self._batched(partial(merge_index, pages))
        return await self._read(partial(_incremental_vacuum, pages))

    async def storage_bytes(self) -> int | None:
        """The store's size on disk: the file and its write-ahead log."""
        path = self._path
        if path is None:
            return await self._query(_size)
        sizes = [p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists()]
        return sum(sizes)

    async def backup(self, target: Path) -> None:
        """A consistent copy of the store at ``target`` (a new file), taken while it is in
        use: SQLite's online backup, in one step on the read connection, so that it is one
        snapshot and writers go on meanwhile (WAL). Written beside ``target``, then renamed."""
        partial_file = target.with_name(target.name + ".partial")
        try:
            await self._query(partial(_backup, partial_file))
            partial_file.replace(target)
        except (sqlite3.Error, OSError) as exc:
            partial_file.unlink(missing_ok=True)
            raise StoreError(f"backup to {target} failed: {exc}") from exc


# --- on the connection's thread -----------------------------------------------------------------


def _prune_articles(before: str, limit: int, db: sqlite3.Connection) -> int:
    rows = db.execute(
        """SELECT id, url, story_id, content_hash, simhash FROM articles
           WHERE first_seen_at < ? ORDER BY first_seen_at LIMIT ?""",
        (before, limit),
    ).fetchall()
    if not rows:
        return 0
    db.executemany(
        "INSERT OR IGNORE INTO ghost_urls (key) VALUES (?)", [(key64(r["url"]),) for r in rows]
    )
    db.executemany(
        "INSERT OR IGNORE INTO ghost_texts (key) VALUES (?)",
        [(key64(r["content_hash"]),) for r in rows],
    )
    db.executemany(
        "INSERT OR IGNORE INTO ghost_bands (key, simhash) VALUES (?, ?)",
        [
            (key, r["simhash"])
            for r in rows
            if r["simhash"] is not None
            for key in memory_keys(from_signed(int(r["simhash"])))
        ],
    )
    ids = [(int(r["id"]),) for r in rows]
    stories = sorted({(int(r["story_id"]),) for r in rows})
    db.executemany("UPDATE stories SET closed = 1 WHERE id = ?", stories)
    db.executemany("DELETE FROM simhash_bands WHERE article_id = ?", ids)
    db.executemany("DELETE FROM articles WHERE id = ?", ids)
    _drop_orphan_stories(db, stories)
    return len(rows)


def _prune_alerts(cut: str, limit: int, db: sqlite3.Connection) -> int:
    alerts = db.execute(
        """SELECT a.id, a.story_id FROM alerts a JOIN outbox o ON o.id = a.message_id
           WHERE a.id < ? AND o.state IN ('delivered', 'failed') LIMIT ?""",
        (cut, limit),
    ).fetchall()
    db.executemany("DELETE FROM alerts WHERE id = ?", [(r["id"],) for r in alerts])
    messages = db.execute(
        """DELETE FROM outbox WHERE id IN (
               SELECT o.id FROM outbox o WHERE o.id < ? AND o.state IN ('delivered', 'failed')
               AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.message_id = o.id) LIMIT ?)""",
        (cut, limit),
    ).rowcount
    _drop_orphan_stories(db, sorted({(r["story_id"],) for r in alerts if r["story_id"]}))
    return len(alerts) + messages


def _drop_orphan_stories(db: sqlite3.Connection, stories: list[tuple[int]]) -> None:
    """Stories no article and no alert refers to any more (their texts live on as ghosts)."""
    db.executemany(
        """DELETE FROM stories WHERE id = ?
           AND NOT EXISTS (SELECT 1 FROM articles WHERE story_id = stories.id)
           AND NOT EXISTS (SELECT 1 FROM alerts WHERE story_id = stories.id)""",
        stories,
    )


def _incremental_vacuum(pages: int, db: sqlite3.Connection) -> int:
    mode = db.execute("PRAGMA auto_vacuum").fetchone()[0]
    if int(mode) != 2:  # INCREMENTAL
        return 0
    free = int(db.execute("PRAGMA freelist_count").fetchone()[0])
    total = int(db.execute("PRAGMA page_count").fetchone()[0])
    # A tenth of the file stays free for the writes to come: handing pages back only to grow
    # the file again at the next insert moves pages for nothing.
    excess = min(pages, free - total // 10)
    if excess <= 0:
        return 0
    # Each step of the statement frees one page: executescript steps it to the end.
    db.executescript(f"PRAGMA incremental_vacuum({excess})")
    return free - int(db.execute("PRAGMA freelist_count").fetchone()[0])


def _size(db: sqlite3.Connection) -> int:
    count = int(db.execute("PRAGMA page_count").fetchone()[0])
    size = int(db.execute("PRAGMA page_size").fetchone()[0])
    return count * size


def _backup(target: Path, db: sqlite3.Connection) -> None:
    target.unlink(missing_ok=True)
    copy = sqlite3.connect(target)
    try:
        db.backup(copy)  # every page in one step: one consistent snapshot
    finally:
        copy.close()
