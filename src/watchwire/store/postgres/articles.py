"""Articles and stories on PostgreSQL: stored once, grouped into stories by several writers at once.

As in SQLite, uniqueness is the database's: ``articles.url``, ``stories.key`` and ``alerts (rule,
story, channel)`` are unique, and every insert says what to do ``ON CONFLICT``. What SQLite gets
from having one writer, several workers get here from locks held to the end of the transaction:

- the same text: a writer founding a story upserts its key (``ON CONFLICT (key) DO UPDATE …
  RETURNING id``), so a second writer waits for the first's row and joins its story;
- near-same text: a writer takes the advisory locks of its SimHash band keys (and its content
  hash) before it looks for a story, in one sorted order: two copies that could find each other
  through a band are stored one after the other, and the second finds the first's story;
- the same URL: ``INSERT … ON CONFLICT (url) DO NOTHING``; the loser runs its transaction again
  and finds the article there.

The search vector (``fts.search_vector``) is computed before the transaction, from the rules
engine's own words. An article pruned by retention leaves a ghost (``retention``): its URL stays
known, and a copy of its text founds a closed story, which never alerts.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from psycopg.rows import DictRow

from watchwire.dedupe import from_signed, hamming, key64, memory_keys, to_signed
from watchwire.exceptions import StoreError
from watchwire.logs import redact_text
from watchwire.models import Article, StoredArticle
from watchwire.payloads import with_identity
from watchwire.store.ids import new_id
from watchwire.store.postgres.connection import NOTIFY_CHANNEL, AsyncConn, Connected, Retry, rows
from watchwire.store.postgres.fts import search_vector
from watchwire.store.values import (
    AlertIntent,
    ArticlePreview,
    ArticleRow,
    GivenUp,
    NewArticle,
)

__all__ = ["ARTICLE_COLUMNS", "ArticlesPart", "article_row", "lock_texts"]

BAND_LOCK: Final = 0x77776201
"""Advisory lock class of SimHash band keys (``wwb`` + 1)."""
TEXT_LOCK: Final = 0x77777401
"""Advisory lock class of content hashes."""
_ATTEMPTS: Final = 5

ARTICLE_COLUMNS: Final = (
    "id, url, story_id, source, title, lead, body, published_at, modified_at, language, "
    "authors, section, tags, image, content_hash, simhash, version, first_seen_at, updated_at"
)
"""Every column but the search vector (which nobody reads back)."""


class _Again(Exception):
    """Another writer stored this URL meanwhile: run the transaction again."""


class ArticlesPart(Connected):
    async def known_urls(self, urls: Sequence[str]) -> dict[str, datetime | None]:
        """Which of ``urls`` are stored (with the article's last known publish/edit time), given
        up or pruned (with None: a ghost has no time, its page is never fetched again)."""
        if not urls:
            return {}
        keys = {key64(url): url for url in urls}
        async with self._connection() as conn:
            found = await rows(
                conn,
                """SELECT url, COALESCE(modified_at, published_at) AS at FROM articles
                   WHERE url = ANY(%(urls)s)
                   UNION ALL
                   SELECT url, NULL FROM given_up WHERE url = ANY(%(urls)s)""",
                {"urls": list(urls)},
            )
            known: dict[str, datetime | None] = {}
            for r in found:
                known.setdefault(r["url"], r["at"])  # an article's time over a give-up
            unknown = [k for k, url in keys.items() if url not in known]
            if unknown:
                ghosts = await rows(
                    conn, "SELECT key FROM ghost_urls WHERE key = ANY(%s)", (unknown,)
                )
                known.update((keys[int(r["key"])], None) for r in ghosts)
        return known

    async def give_up(self, url: str, *, source: str, reason: str, now: datetime) -> None:
        await self._execute(
            """INSERT INTO given_up (url, source, reason, at) VALUES (%s, %s, %s, %s)
               ON CONFLICT (url) DO UPDATE SET source = excluded.source,
                   reason = excluded.reason, at = excluded.at""",
            (url, source, redact_text(reason)[:500], now),
        )

    async def given_up(self, *, source: str | None = None, limit: int = 100) -> list[GivenUp]:
        where, params = ("WHERE source = %s", [source]) if source is not None else ("", [])
        found = await self._rows(
            f"SELECT * FROM given_up {where} ORDER BY at DESC, url LIMIT %s", [*params, limit]
        )
        return [
            GivenUp(url=r["url"], source=r["source"], reason=r["reason"], at=r["at"]) for r in found
        ]

    async def preview_article(
        self, new: NewArticle, intents: Sequence[AlertIntent]
    ) -> ArticlePreview:
        """What ``save_article`` would do, read-only: the story, and which alerts are new."""
        async with self._connection() as conn:
            existing = await rows(conn, "SELECT story_id FROM articles WHERE url = %s", (new.url,))
            story_id: int | None = (
                int(existing[0]["story_id"])
                if existing
                else (await _find_story(conn, new, self._near_distance))[1]
            )
            fresh: list[AlertIntent] = []
            alerted: list[tuple[str, str, str]] = []
            if await _closed(conn, new, story_id, self._near_distance):
                # A story of pruned articles: it alerted once, as far as anyone can know.
                alerted = [(i.rule, i.channel, "") for i in intents]
                intents = ()
            for intent in intents:
                found = []
                if story_id is not None:
                    found = await rows(
                        conn,
                        "SELECT id FROM alerts WHERE rule = %s AND story_id = %s AND channel = %s",
                        (intent.rule, story_id, intent.channel),
                    )
                if found:
                    alerted.append((intent.rule, intent.channel, str(found[0]["id"])))
                else:
                    fresh.append(intent)
        return ArticlePreview(stored=bool(existing), story_id=story_id, alerts=tuple(fresh),
                              alerted=tuple(alerted))  # fmt: skip

    async def save_article(
        self, new: NewArticle, intents: Sequence[AlertIntent], *, now: datetime
    ) -> StoredArticle:
        a = new.article
        vector = search_vector(a.title, a.lead, a.text)
        for _ in range(_ATTEMPTS):
            try:
                async with self._transaction() as conn:
                    saved, queued = await _save(conn, new, vector, intents, now,
                                                near_distance=self._near_distance)  # fmt: skip
                    if queued:
                        await conn.execute("SELECT pg_notify(%s, '')", (NOTIFY_CHANNEL,))
                    return saved
            except (_Again, Retry):
                continue
        raise StoreError(f"could not store {new.url}: {_ATTEMPTS} writers raced for it")

    async def story_copies(self, story_id: int) -> list[str]:
        async with self._connection() as conn:
            return await _story_copies(conn, story_id)

    async def article(self, article_id: int) -> ArticleRow | None:
        found = await self._rows(
            f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = %s", (article_id,)
        )
        return article_row(found[0]) if found else None

    async def count_articles(self) -> int:
        found = await self._rows("SELECT count(*) AS n FROM articles")
        return int(found[0]["n"])


# --- in one transaction -------------------------------------------------------------------------


async def _save(
    conn: AsyncConn,
    new: NewArticle,
    vector: str | None,
    intents: Sequence[AlertIntent],
    now: datetime,
    *,
    near_distance: int,
) -> tuple[StoredArticle, bool]:
    """Store one article with its story and alerts; and whether a message was queued."""
    await lock_texts(conn, [(new.content_hash, new.band_keys if new.simhash is not None else ())])
    a = new.article
    fields: dict[str, Any] = {
        "title": a.title, "lead": a.lead, "body": a.text, "published_at": a.published_at,
        "modified_at": a.modified_at, "language": a.language, "authors": list(a.authors),
        "section": a.section, "tags": list(a.tags), "image": a.image,
        "content_hash": new.content_hash,
        "simhash": None if new.simhash is None else to_signed(new.simhash),
    }  # fmt: skip
    existing = await rows(
        conn, "SELECT id, story_id, content_hash FROM articles WHERE url = %s FOR UPDATE",
        (new.url,),
    )  # fmt: skip
    created = new_version = False
    duplicate_of: int | None = None
    if existing:
        article_id, story_id = int(existing[0]["id"]), int(existing[0]["story_id"])
        if existing[0]["content_hash"] != new.content_hash:
            new_version = True
            sets = ", ".join(f"{k} = %({k})s" for k in fields)
            await conn.execute(
                f"UPDATE articles SET {sets}, search = %(search)s::tsvector, "
                "version = version + 1, updated_at = %(now)s WHERE id = %(id)s",
                {**fields, "search": vector, "now": now, "id": article_id},
            )
            await conn.execute("DELETE FROM simhash_bands WHERE article_id = %s", (article_id,))
            await _insert_bands(conn, article_id, new)
    else:
        created = True
        duplicate_of, found_story = await _find_story(conn, new, near_distance)
        if found_story is not None:
            story_id = found_story
        else:
            # Keyed by the founding text: a writer that stored the same text meanwhile made
            # this very story, and this article joins it. A copy of a pruned article founds
            # a closed story: old news, it never alerts.
            closed = await _is_ghost(conn, new, near_distance)
            (row,) = await rows(
                conn,
                """INSERT INTO stories AS s (key, created_at, closed) VALUES (%s, %s, %s)
                   ON CONFLICT (key) DO UPDATE SET closed = s.closed OR excluded.closed
                   RETURNING id""",
                (new.content_hash, now, closed),
            )
            story_id = int(row["id"])
        cols = ", ".join(fields)
        marks = ", ".join(f"%({k})s" for k in fields)
        inserted = await rows(
            conn,
            f"INSERT INTO articles (url, story_id, source, first_seen_at, updated_at, search, "
            f"{cols}) VALUES (%(url)s, %(story)s, %(source)s, %(now)s, %(now)s, "
            f"%(search)s::tsvector, {marks}) ON CONFLICT (url) DO NOTHING RETURNING id",
            {**fields, "url": new.url, "story": story_id, "source": new.source, "now": now,
             "search": vector},
        )  # fmt: skip
        if not inserted:
            raise _Again  # stored by another writer since we looked: look again
        article_id = int(inserted[0]["id"])
        await _insert_bands(conn, article_id, new)
    written, queued = await _write_alerts(conn, intents, article_id, story_id, now)
    stored = StoredArticle(
        alert_channels=tuple(channel for _, channel in written),
        article_id=article_id,
        story_id=story_id,
        created=created,
        new_version=new_version,
        duplicate_of=duplicate_of,
        alerts=tuple(alert_id for alert_id, _ in written),
    )
    return stored, queued


async def lock_texts(conn: AsyncConn, texts: Sequence[tuple[str, Sequence[int]]]) -> None:
    """Hold the locks of these texts' hashes and band keys (``(content_hash, band_keys)``), in
    one global order: writers of copies that could find each other's story (and a pruning
    batch deleting one) go one after the other."""
    keys: set[tuple[int, int]] = set()
    for content_hash, bands in texts:
        keys.add((TEXT_LOCK, zlib.crc32(content_hash.encode()) & 0x7FFFFFFF))
        keys |= {
            (BAND_LOCK, (band * 1_000_003 ^ key) & 0x7FFFFFFF) for band, key in enumerate(bands)
        }
    ordered = sorted(keys)
    await conn.execute(
        """SELECT pg_advisory_xact_lock(c, k)
           FROM unnest(%s::int[], %s::int[]) WITH ORDINALITY AS t(c, k, n) ORDER BY n""",
        ([c for c, _ in ordered], [k for _, k in ordered]),
    )


async def _find_story(
    conn: AsyncConn, new: NewArticle, near_distance: int
) -> tuple[int | None, int | None]:
    """The story an unseen URL belongs to: same text, then near-same text."""
    same = await rows(
        conn,
        "SELECT id, story_id FROM articles WHERE content_hash = %s ORDER BY id LIMIT 1",
        (new.content_hash,),
    )
    if same:
        return int(same[0]["id"]), int(same[0]["story_id"])
    if new.simhash is None or not new.band_keys:
        return None, None
    candidates = await rows(
        conn,
        """SELECT a.id, a.story_id, a.simhash FROM articles a
           WHERE a.id IN (SELECT b.article_id
                          FROM unnest(%s::smallint[], %s::bigint[]) AS q(band, key)
                          JOIN simhash_bands b ON b.band = q.band AND b.key = q.key)""",
        (list(range(len(new.band_keys))), list(new.band_keys)),
        # A plan kept from when the band table was small scans it whole: 2 ms at 30,000 rows
        # and growing, against 0.1 ms through its index (measured in bench_postgres).
        prepare=False,
    )
    best: tuple[int, int, int] | None = None
    for c in candidates:
        if c["simhash"] is None:
            continue
        distance = hamming(from_signed(int(c["simhash"])), new.simhash)
        if distance <= near_distance and (best is None or distance < best[0]):
            best = (distance, int(c["id"]), int(c["story_id"]))
    return (best[1], best[2]) if best else (None, None)


async def _closed(
    conn: AsyncConn, new: NewArticle, story_id: int | None, near_distance: int
) -> bool:
    """Whether ``new`` would join (or found) a closed story."""
    if story_id is None:
        return await _is_ghost(conn, new, near_distance)
    found = await rows(conn, "SELECT closed FROM stories WHERE id = %s", (story_id,))
    return bool(found and found[0]["closed"])


async def _is_ghost(conn: AsyncConn, new: NewArticle, near_distance: int) -> bool:
    """Whether an unseen URL is, or copies, an article pruned by retention."""
    found = await rows(
        conn,
        """SELECT EXISTS (SELECT 1 FROM ghost_urls WHERE key = %s)
               OR EXISTS (SELECT 1 FROM ghost_texts WHERE key = %s) AS hit""",
        (key64(new.url), key64(new.content_hash)),
    )
    if found[0]["hit"]:
        return True
    if new.simhash is None or not new.band_keys:
        return False
    near = await rows(
        conn,
        "SELECT simhash FROM ghost_bands WHERE key = ANY(%s)",
        (list(memory_keys(new.simhash)),),
    )
    return any(hamming(from_signed(int(r["simhash"])), new.simhash) <= near_distance for r in near)


async def _insert_bands(conn: AsyncConn, article_id: int, new: NewArticle) -> None:
    if new.simhash is None or not new.band_keys:
        return
    await conn.execute(
        """INSERT INTO simhash_bands (band, key, article_id)
           SELECT band, key, %s FROM unnest(%s::smallint[], %s::bigint[]) AS q(band, key)
           ON CONFLICT DO NOTHING""",
        (article_id, list(range(len(new.band_keys))), list(new.band_keys)),
    )


async def _write_alerts(
    conn: AsyncConn,
    intents: Sequence[AlertIntent],
    article_id: int,
    story_id: int,
    now: datetime,
) -> tuple[list[tuple[str, str]], bool]:
    """Write the alerts not sent yet for this story: their ids and channels; and whether a
    message was queued."""
    if not intents:
        return [], False
    closed = await rows(conn, "SELECT closed FROM stories WHERE id = %s", (story_id,))
    if closed and closed[0]["closed"]:
        return [], False  # a story of pruned articles: what alerted once must never alert again
    copies: tuple[str, ...] | None = None
    written: list[tuple[str, str]] = []
    queued = False
    for intent in intents:
        seen = await rows(
            conn,
            "SELECT 1 FROM alerts WHERE rule = %s AND story_id = %s AND channel = %s",
            (intent.rule, story_id, intent.channel),
        )
        if seen:
            continue  # cheap early exit; the unique constraint is the real guard
        if copies is None:
            copies = tuple(await _story_copies(conn, story_id))
        alert_id = new_id(now)
        payload = with_identity(intent.payload, alert_id=alert_id, story_id=story_id, copies=copies)
        body = json.dumps(payload, ensure_ascii=False)
        inserted = await conn.execute(
            """INSERT INTO alerts (id, rule, story_id, channel, article_id, payload, created_at)
               VALUES (%s, %s, %s, %s, %s, %s::json, %s)
               ON CONFLICT (rule, story_id, channel) DO NOTHING""",
            (alert_id, intent.rule, story_id, intent.channel, article_id, body, now),
        )
        if inserted.rowcount != 1:
            continue
        if not intent.digest:
            await conn.execute(
                """INSERT INTO outbox (id, channel, kind, payload, next_attempt_at, created_at,
                                       updated_at)
                   VALUES (%s, %s, 'alert', %s::json, %s, %s, %s)""",
                (alert_id, intent.channel, body, now, now, now),
            )
            await conn.execute("UPDATE alerts SET message_id = id WHERE id = %s", (alert_id,))
            queued = True
        written.append((alert_id, intent.channel))
    return written, queued


async def _story_copies(conn: AsyncConn, story_id: int) -> list[str]:
    found = await rows(conn, "SELECT url FROM articles WHERE story_id = %s ORDER BY id",
                       (story_id,))  # fmt: skip
    return [r["url"] for r in found]


def article_row(row: DictRow) -> ArticleRow:
    body = row["body"] or ""
    article = Article(
        title=row["title"] or "",
        text=body,
        paragraphs=tuple(p for p in body.split("\n\n") if p),
        lead=row["lead"] or "",
        published_at=row["published_at"],
        modified_at=row["modified_at"],
        authors=tuple(row["authors"] or ()),
        url=row["url"],
        language=row["language"],
        section=row["section"],
        tags=tuple(row["tags"] or ()),
        image=row["image"],
    )
    return ArticleRow(
        id=int(row["id"]),
        story_id=int(row["story_id"]),
        source=row["source"],
        url=row["url"],
        version=int(row["version"]),
        first_seen_at=row["first_seen_at"],
        article=article,
    )
