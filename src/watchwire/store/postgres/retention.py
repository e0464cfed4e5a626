"""Retention on PostgreSQL: old articles pruned into ghosts, old alerts deleted; the store's size.

The same ghosts as SQLite's (``store/sqlite/retention.py``, ``schema._OPERATIONS``): a pruned
article's URL and text keys and its SimHash under three band keys, so that its URL stays known
and a copy of its text founds a closed story. What several workers add:

- every worker runs the retention job; a pruning batch holds ``PRUNE_LOCK`` to its commit, so
  batches go one after the other across the deployment instead of fighting over the same rows;
- a batch takes the advisory locks of its articles' texts (``articles.text_locks``, in the one
  global order) before it deletes them: a worker storing a copy of one of those texts at that
  moment either finds the article still there, or — after the batch — its ghost, never a story
  deleted under it.

Space: a deleted row's space is reused by the server (autovacuum), not handed back to the file
system; ``reclaim_space`` has nothing to do (``VACUUM FULL`` would lock the tables: the
operator's to run). Backups are the server's tools' (``pg_dump``): ``backup`` says so.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Final

from watchwire.dedupe import band_keys, from_signed, key64, memory_keys
from watchwire.exceptions import StoreError
from watchwire.store.factory import locate_store
from watchwire.store.postgres.articles import lock_texts
from watchwire.store.postgres.connection import AsyncConn, Connected, rows

__all__ = ["PRUNE_LOCK", "RetentionPart"]

PRUNE_LOCK: Final = (0x77777001, 1)
"""Advisory lock (class, key) held by a pruning batch to its commit."""


class RetentionPart(Connected):
    async def prune_articles(self, *, before: datetime, limit: int) -> int:
        """Turn up to ``limit`` articles first seen before ``before`` into ghosts, oldest first;
        returns how many (fewer than ``limit``: nothing more is due)."""
        async with self._transaction() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", PRUNE_LOCK)
            due = await rows(
                conn,
                """SELECT id, content_hash, simhash FROM articles
                   WHERE first_seen_at < %s ORDER BY first_seen_at LIMIT %s""",
                (before, limit),
            )
            if not due:
                return 0
            await lock_texts(
                conn,
                [
                    (r["content_hash"], band_keys(from_signed(int(r["simhash"]))))
                    if r["simhash"] is not None
                    else (r["content_hash"], ())
                    for r in due
                ],
            )
            # Locked now, and read again: a writer may have changed one meanwhile.
            found = await rows(
                conn,
                """SELECT id, url, story_id, content_hash, simhash FROM articles
                   WHERE id = ANY(%s) AND first_seen_at < %s FOR UPDATE""",
                ([int(r["id"]) for r in due], before),
            )
            if not found:
                return 0
            bands = [
                (key, int(r["simhash"]))
                for r in found
                if r["simhash"] is not None
                for key in memory_keys(from_signed(int(r["simhash"])))
            ]
            await conn.execute(
                """INSERT INTO ghost_urls (key) SELECT unnest(%s::bigint[])
                   ON CONFLICT DO NOTHING""",
                ([key64(r["url"]) for r in found],),
            )
            await conn.execute(
                """INSERT INTO ghost_texts (key) SELECT unnest(%s::bigint[])
                   ON CONFLICT DO NOTHING""",
                ([key64(r["content_hash"]) for r in found],),
            )
            if bands:
                await conn.execute(
                    """INSERT INTO ghost_bands (key, simhash)
                       SELECT * FROM unnest(%s::bigint[], %s::bigint[])
                       ON CONFLICT DO NOTHING""",
                    ([k for k, _ in bands], [s for _, s in bands]),
                )
            ids = [int(r["id"]) for r in found]
            stories = sorted({int(r["story_id"]) for r in found})
            await conn.execute("UPDATE stories SET closed = true WHERE id = ANY(%s)", (stories,))
            # Its band keys go with it (ON DELETE CASCADE).
            await conn.execute("DELETE FROM articles WHERE id = ANY(%s)", (ids,))
            await _drop_orphan_stories(conn, stories)
            return len(found)

    async def prune_alerts(self, *, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` delivered or failed alerts and messages created before
        ``before`` (never one still waiting); returns how many rows went."""
        cut = f"{int(before.timestamp() * 1000):012x}"  # ids begin with their creation time
        async with self._transaction() as conn:
            alerts = await rows(
                conn,
                """SELECT a.id, a.story_id FROM alerts a JOIN outbox o ON o.id = a.message_id
                   WHERE a.id < %s AND o.state IN ('delivered', 'failed')
                   LIMIT %s FOR UPDATE OF a SKIP LOCKED""",
                (cut, limit),
            )
            await conn.execute(
                "DELETE FROM alerts WHERE id = ANY(%s)", ([r["id"] for r in alerts],)
            )
            messages = await conn.execute(
                """DELETE FROM outbox WHERE id IN (
                       SELECT o.id FROM outbox o
                       WHERE o.id < %s AND o.state IN ('delivered', 'failed')
                       AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.message_id = o.id)
                       LIMIT %s FOR UPDATE SKIP LOCKED)""",
                (cut, limit),
            )
            stories = sorted({int(r["story_id"]) for r in alerts if r["story_id"] is not None})
            await _drop_orphan_stories(conn, stories)
            return len(alerts) + max(messages.rowcount, 0)

    async def reclaim_space(self, *, pages: int) -> int:
        """Nothing to hand back: the server reuses freed space (autovacuum)."""
        return 0

    async def storage_bytes(self) -> int | None:
        """The database's size on the server (tables, indexes, TOAST)."""
        found = await self._rows("SELECT pg_database_size(current_database()) AS n")
        return int(found[0]["n"])

    async def backup(self, target: Path) -> None:
        """Not this store's to do: a server is backed up with its own tools (``pg_dump``)."""
        raise StoreError(locate_store(self._url).backup_instead() or "no backup here")


async def _drop_orphan_stories(conn: AsyncConn, stories: list[int]) -> None:
    """Stories no article and no alert refers to any more (their texts live on as ghosts)."""
    if not stories:
        return
    await conn.execute(
        """DELETE FROM stories s WHERE s.id = ANY(%s)
           AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.story_id = s.id)
           AND NOT EXISTS (SELECT 1 FROM alerts l WHERE l.story_id = s.id)""",
        (stories,),
    )
