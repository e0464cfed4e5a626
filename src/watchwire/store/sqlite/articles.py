"""Articles and stories: stored once, grouped by exact and near-duplicate text; and search.

Uniqueness is the database's: an article by its canonical URL (``articles.url UNIQUE``), a story
by its key (``stories.key UNIQUE``, the content hash of the article that founded it), an alert by
``(rule, story, channel)``. A story is found by exact text (same content hash), then by near text
(SimHash band keys, then the Hamming distance); a story that is new is created with ``INSERT …
ON CONFLICT (key)``, so two writers storing two copies of one text join one story.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

from watchwire.dedupe import from_signed, hamming, key64, memory_keys, to_signed
from watchwire.exceptions import StoreError
from watchwire.logs import redact_text
from watchwire.models import Article, StoredArticle
from watchwire.payloads import with_identity
from watchwire.rules import SearchQuery
from watchwire.store.ids import new_id
from watchwire.store.sqlite.connection import _CHUNK, Connected, _iso
from watchwire.store.sqlite.fts import to_fts5
from watchwire.store.values import (
    AlertIntent,
    ArticlePreview,
    ArticleRow,
    GivenUp,
    NewArticle,
    SearchKey,
)
from watchwire.timeutil import from_iso, to_iso, utcnow

__all__ = ["ArticlesPart"]


class ArticlesPart(Connected):
    async def known_urls(self, urls: Sequence[str]) -> dict[str, datetime | None]:
        """Which of ``urls`` are stored (with the article's last known publish/edit time) or
        given up (with None)."""
        return await self._read(partial(_known_urls, list(urls)))

    async def give_up(self, url: str, *, source: str, reason: str, now: datetime) -> None:
        await self._write(
            """INSERT INTO given_up (url, source, reason, at) VALUES (?, ?, ?, ?)
               ON CONFLICT(url) DO UPDATE SET source = excluded.source,
                   reason = excluded.reason, at = excluded.at""",
            (url, source, redact_text(reason)[:500], to_iso(now)),
        )

    async def given_up(self, *, source: str | None = None, limit: int = 100) -> list[GivenUp]:
        where, params = ("WHERE source = ?", [source]) if source is not None else ("", [])
        rows = await self._query(
            lambda db: db.execute(
                f"SELECT * FROM given_up {where} ORDER BY at DESC, url LIMIT ?", [*params, limit]
            ).fetchall()
        )
        return [
            GivenUp(url=r["url"], source=r["source"], reason=r["reason"], at=from_iso(r["at"]))
            for r in rows
        ]

    async def save_article(
        self, new: NewArticle, intents: Sequence[AlertIntent], *, now: datetime
    ) -> StoredArticle:
        """Store an article once, join it to its story, and write its alerts: all or nothing."""
        return await self._batched(
            partial(_save_article, new, tuple(intents), now, near_distance=self._near_distance)
        )

    async def preview_article(
        self, new: NewArticle, intents: Sequence[AlertIntent]
    ) -> ArticlePreview:
        """What ``save_article`` would do, read-only: the story, and which alerts are new."""
        return await self._query(
            partial(_preview_article, new, tuple(intents), near_distance=self._near_distance)
        )

    async def story_copies(self, story_id: int) -> list[str]:
        return await self._query(partial(_story_copies, story_id=story_id))

    async def article(self, article_id: int) -> ArticleRow | None:
        row = await self._query(
            lambda db: db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        )
        return _article_row(row) if row else None

    async def search(
        self,
        query: SearchQuery | None,
        *,
        since: datetime | None = None,
        before: SearchKey | None = None,
        limit: int = 100,
    ) -> list[ArticleRow]:
        """Candidates for a query, newest first: FTS5 narrows, the rules engine decides (in
        the caller). Page on with ``before=rows[-1].search_key``."""
        fts = to_fts5(query) if query is not None else None
        params: list[Any] = []
        where = []
        if since is not None:
            where.append(f"{_WHEN} >= ?")
            params.append(to_iso(since))
        if before is not None:
            where.append(f"({_WHEN}, a.id) < (?, ?)")
            params += [to_iso(before[0]), before[1]]

        def run(db: sqlite3.Connection) -> list[sqlite3.Row]:
            table, clauses, values = "articles a", list(where), list(params)
            if fts:
                # Few matches: look each one up and sort them. Many: walk the time index
                # newest first, keeping the rows FTS5 matched, and stop at the page — looking
                # up 50,000 matches (their times lie past their bodies) would take a second.
                found = db.execute(
                    "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? LIMIT ?",
                    (fts, _LOOKUP_MAX + 1),
                ).fetchall()
                if not found:
                    return []
                if len(found) <= _LOOKUP_MAX:
                    clauses.insert(0, "a.id IN (SELECT value FROM json_each(?))")
                    values.insert(0, json.dumps([r[0] for r in found]))
                else:
                    table = "articles a INDEXED BY articles_when"
                    clauses.insert(
                        0, "a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)"
                    )
                    values.insert(0, fts)
            sql = f"SELECT a.* FROM {table}"
            if clauses:
                sql += " WHERE " + " AND ".join(clauses)
            sql += f" ORDER BY {_WHEN} DESC, a.id DESC LIMIT ?"
            return db.execute(sql, [*values, limit]).fetchall()

        try:
            rows = await self._query(run)
        except sqlite3.OperationalError as exc:
            raise StoreError(f"search failed: {exc}") from exc
        return [_article_row(r) for r in rows]

    async def count_articles(self) -> int:
        row = await self._query(lambda db: db.execute("SELECT COUNT(*) FROM articles").fetchone())
        return int(row[0]) if row else 0


_WHEN = "COALESCE(a.published_at, a.first_seen_at)"
_LOOKUP_MAX = 1000
"""Matches up to which search looks each one up; past it, it walks the time index (``search``)."""
"""The time search orders by (indexed as ``articles_when``)."""


# --- on the connection's thread -----------------------------------------------------------------


def _known_urls(urls: list[str], db: sqlite3.Connection) -> dict[str, datetime | None]:
    found: dict[str, datetime | None] = {}
    for i in range(0, len(urls), _CHUNK):
        chunk = urls[i : i + _CHUNK]
        marks = ",".join("?" * len(chunk))
        rows = db.execute(
            f"SELECT url, COALESCE(modified_at, published_at) FROM articles WHERE url IN ({marks})",
            chunk,
        )
        found.update((row[0], from_iso(row[1])) for row in rows)
        rows = db.execute(f"SELECT url FROM given_up WHERE url IN ({marks})", chunk)
        for row in rows:
            found.setdefault(row[0], None)
        # A pruned article's URL is known too: its ghost remembers it (no time: never refetched).
        keys = {key64(url): url for url in chunk if url not in found}
        if keys:
            marks = ",".join("?" * len(keys))
            rows = db.execute(f"SELECT key FROM ghost_urls WHERE key IN ({marks})", list(keys))
            found.update((keys[row[0]], None) for row in rows)
    return found


def _save_article(
    new: NewArticle,
    intents: Sequence[AlertIntent],
    now: datetime,
    db: sqlite3.Connection,
    *,
    near_distance: int,
) -> StoredArticle:
    a = new.article
    stamp = to_iso(now)
    fields = {
        "title": a.title, "lead": a.lead, "body": a.text,
        "published_at": _iso(a.published_at), "modified_at": _iso(a.modified_at),
        "language": a.language, "authors": json.dumps(list(a.authors), ensure_ascii=False),
        "section": a.section, "tags": json.dumps(list(a.tags), ensure_ascii=False),
        "image": a.image, "content_hash": new.content_hash,
        "simhash": None if new.simhash is None else to_signed(new.simhash),
    }  # fmt: skip
    existing = db.execute(
        "SELECT id, story_id, content_hash FROM articles WHERE url = ?", (new.url,)
    ).fetchone()
    created = new_version = False
    duplicate_of: int | None = None
    if existing is not None:
        article_id, story_id = int(existing["id"]), int(existing["story_id"])
        if existing["content_hash"] != new.content_hash:
            new_version = True
            sets = ", ".join(f"{k} = :{k}" for k in fields)
            db.execute(
                f"UPDATE articles SET {sets}, version = version + 1, updated_at = :now "
                "WHERE id = :id",
                {**fields, "now": stamp, "id": article_id},
            )
            db.execute("DELETE FROM simhash_bands WHERE article_id = ?", (article_id,))
            _insert_bands(db, article_id, new)
    else:
        created = True
        duplicate_of, found_story = _find_story(db, new, near_distance)
        if found_story is not None:
            story_id = found_story
        else:
            # Keyed by the founding text: a writer that stored the same text meanwhile made
            # this very story, and this article joins it. A copy of a pruned article founds
            # a closed story: old news, it never alerts.
            closed = int(_is_ghost(db, new, near_distance))
            row = db.execute(
                """INSERT INTO stories (key, created_at, closed) VALUES (?, ?, ?)
                   ON CONFLICT (key) DO UPDATE SET closed = MAX(closed, excluded.closed)
                   RETURNING id""",
                (new.content_hash, stamp, closed),
            ).fetchone()
            story_id = int(row[0])
        cols = ", ".join(fields)
        marks = ", ".join(f":{k}" for k in fields)
        row = db.execute(
            f"INSERT INTO articles (url, story_id, source, first_seen_at, updated_at, "
            f"{cols}) VALUES (:url, :story, :source, :now, :now, {marks}) RETURNING id",
            {**fields, "url": new.url, "story": story_id, "source": new.source, "now": stamp},
        ).fetchone()
        article_id = int(row[0])
        _insert_bands(db, article_id, new)
    written = _write_alerts(db, intents, article_id, story_id, now)
    return StoredArticle(
        alert_channels=tuple(channel for _, channel in written),
        article_id=article_id,
        story_id=story_id,
        created=created,
        new_version=new_version,
        duplicate_of=duplicate_of,
        alerts=tuple(alert_id for alert_id, _ in written),
    )


def _preview_article(
    new: NewArticle,
    intents: Sequence[AlertIntent],
    db: sqlite3.Connection,
    *,
    near_distance: int,
) -> ArticlePreview:
    existing = db.execute("SELECT story_id FROM articles WHERE url = ?", (new.url,)).fetchone()
    story_id = int(existing[0]) if existing else _find_story(db, new, near_distance)[1]
    fresh: list[AlertIntent] = []
    alerted: list[tuple[str, str, str]] = []
    if story_id is None:
        closed = _is_ghost(db, new, near_distance)
    else:
        row = db.execute("SELECT closed FROM stories WHERE id = ?", (story_id,)).fetchone()
        closed = bool(row is not None and row[0])
    if closed:  # a story of pruned articles: it alerted once, as far as anyone can know
        alerted = [(i.rule, i.channel, "") for i in intents]
        intents = ()
    for intent in intents:
        row = None
        if story_id is not None:
            row = db.execute(
                "SELECT id FROM alerts WHERE rule = ? AND story_id = ? AND channel = ?",
                (intent.rule, story_id, intent.channel),
            ).fetchone()
        if row is None:
            fresh.append(intent)
        else:
            alerted.append((intent.rule, intent.channel, str(row[0])))
    return ArticlePreview(
        stored=existing is not None, story_id=story_id, alerts=tuple(fresh), alerted=tuple(alerted)
    )


def _find_story(
    db: sqlite3.Connection, new: NewArticle, near_distance: int
) -> tuple[int | None, int | None]:
    """The story an unseen URL belongs to: same text, then near-same text."""
    row = db.execute(
        "SELECT id, story_id FROM articles WHERE content_hash = ? LIMIT 1", (new.content_hash,)
    ).fetchone()
    if row is not None:
        return int(row["id"]), int(row["story_id"])
    if new.simhash is None or not new.band_keys:
        return None, None
    pairs = ",".join("(?, ?)" for _ in new.band_keys)
    params: list[int] = []
    for band, key in enumerate(new.band_keys):
        params += [band, key]
    candidates = db.execute(
        # A join on VALUES, not `(band, key) IN (VALUES …)`: SQLite 3.40 plans the IN form
        # as a scan of the whole band table (seconds at a million articles).
        f"""SELECT a.id, a.story_id, a.simhash FROM articles a
            WHERE a.id IN (SELECT b.article_id FROM (VALUES {pairs}) AS q
                           JOIN simhash_bands b
                             ON b.band = q.column1 AND b.key = q.column2)""",
        params,
    ).fetchall()
    best: tuple[int, int, int] | None = None
    for c in candidates:
        if c["simhash"] is None:
            continue
        distance = hamming(from_signed(int(c["simhash"])), new.simhash)
        if distance <= near_distance and (best is None or distance < best[0]):
            best = (distance, int(c["id"]), int(c["story_id"]))
    return (best[1], best[2]) if best else (None, None)


def _is_ghost(db: sqlite3.Connection, new: NewArticle, near_distance: int) -> bool:
    """Whether an unseen URL is, or copies, an article pruned by retention."""
    if db.execute("SELECT 1 FROM ghost_urls WHERE key = ?", (key64(new.url),)).fetchone():
        return True
    if db.execute("SELECT 1 FROM ghost_texts WHERE key = ?", (key64(new.content_hash),)).fetchone():
        return True
    if new.simhash is None or not new.band_keys:
        return False
    keys = memory_keys(new.simhash)
    rows = db.execute(
        f"SELECT simhash FROM ghost_bands WHERE key IN ({','.join('?' * len(keys))})", keys
    )
    return any(hamming(from_signed(int(r[0])), new.simhash) <= near_distance for r in rows)


def _insert_bands(db: sqlite3.Connection, article_id: int, new: NewArticle) -> None:
    if new.simhash is None:
        return
    db.executemany(
        "INSERT OR IGNORE INTO simhash_bands (band, key, article_id) VALUES (?, ?, ?)",
        [(band, key, article_id) for band, key in enumerate(new.band_keys)],
    )


def _write_alerts(
    db: sqlite3.Connection,
    intents: Sequence[AlertIntent],
    article_id: int,
    story_id: int,
    now: datetime,
) -> list[tuple[str, str]]:
    """Write the alerts not sent yet for this story; their ids and channels."""
    if not intents:
        return []
    closed = db.execute("SELECT closed FROM stories WHERE id = ?", (story_id,)).fetchone()
    if closed is not None and closed[0]:
        return []  # a story of pruned articles: what alerted once must never alert again
    stamp = to_iso(now)
    copies: tuple[str, ...] | None = None
    written: list[tuple[str, str]] = []
    for intent in intents:
        seen = db.execute(
            "SELECT 1 FROM alerts WHERE rule = ? AND story_id = ? AND channel = ?",
            (intent.rule, story_id, intent.channel),
        ).fetchone()
        if seen is not None:
            continue  # cheap early exit; the UNIQUE constraint is the real guard
        if copies is None:
            copies = tuple(_story_copies(db, story_id))
        alert_id = new_id(now)
        payload = with_identity(intent.payload, alert_id=alert_id, story_id=story_id, copies=copies)
        body = json.dumps(payload, ensure_ascii=False)
        inserted = db.execute(
            """INSERT INTO alerts (id, rule, story_id, channel, article_id, payload, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (rule, story_id, channel) DO NOTHING""",
            (alert_id, intent.rule, story_id, intent.channel, article_id, body, stamp),
        ).rowcount
        if inserted != 1:
            continue
        if not intent.digest:
            db.execute(
                """INSERT INTO outbox (id, channel, kind, payload, next_attempt_at,
                                       created_at, updated_at)
                   VALUES (?, ?, 'alert', ?, ?, ?, ?)""",
                (alert_id, intent.channel, body, stamp, stamp, stamp),
            )
            db.execute("UPDATE alerts SET message_id = ? WHERE id = ?", (alert_id, alert_id))
        written.append((alert_id, intent.channel))
    return written


def _story_copies(db: sqlite3.Connection, story_id: int) -> list[str]:
    rows = db.execute("SELECT url FROM articles WHERE story_id = ? ORDER BY id", (story_id,))
    return [r[0] for r in rows]


def _article_row(row: sqlite3.Row) -> ArticleRow:
    body = row["body"] or ""
    article = Article(
        title=row["title"] or "",
        text=body,
        paragraphs=tuple(p for p in body.split("\n\n") if p),
        lead=row["lead"] or "",
        published_at=from_iso(row["published_at"]),
        modified_at=from_iso(row["modified_at"]),
        authors=tuple(json.loads(row["authors"] or "[]")),
        url=row["url"],
        language=row["language"],
        section=row["section"],
        tags=tuple(json.loads(row["tags"] or "[]")),
        image=row["image"],
    )
    return ArticleRow(
        id=int(row["id"]),
        story_id=int(row["story_id"]),
        source=row["source"],
        url=row["url"],
        version=int(row["version"]),
        first_seen_at=from_iso(row["first_seen_at"]) or utcnow(),
        article=article,
    )
