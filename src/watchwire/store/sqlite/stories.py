"""Stories as people look at them, and what each day brought: the dashboard's reads.

Everything here runs on the read-only connection. A listing reads one page of stories by id
(newest first) and counts each one's copies and alerts through their indexes; the day counts
are kept by triggers (``daily_counts``, schema ``_DASHBOARD``), so the overview's chart never
counts articles.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from functools import partial

from watchwire.store.sqlite.connection import Connected
from watchwire.store.values import DayActivity, StoryAlert, StoryCopy, StoryDetail, StorySummary
from watchwire.timeutil import from_iso, utcnow

__all__ = ["StoriesPart"]

_STORIES = """
    SELECT s.id, s.created_at, s.closed,
           (SELECT COUNT(*) FROM articles a WHERE a.story_id = s.id) AS copies,
           (SELECT COUNT(DISTINCT a.source) FROM articles a WHERE a.story_id = s.id) AS sources,
           (SELECT COUNT(*) FROM alerts l WHERE l.story_id = s.id AND l.rule IS NOT NULL)
               AS alerts,
           (SELECT a.title FROM articles a WHERE a.story_id = s.id ORDER BY a.id LIMIT 1)
               AS title
    FROM stories s
"""


class StoriesPart(Connected):
    async def daily_activity(self, *, since: date) -> list[DayActivity]:
        rows = await self._query(
            lambda db: db.execute(
                "SELECT day, articles, alerts FROM daily_counts WHERE day >= ? ORDER BY day",
                (since.isoformat(),),
            ).fetchall()
        )
        return [
            DayActivity(day=date.fromisoformat(r[0]), articles=int(r[1]), alerts=int(r[2]))
            for r in rows
        ]

    async def stories(self, *, before: int | None = None, limit: int = 50) -> list[StorySummary]:
        where, params = ("WHERE s.id < ?", [before]) if before is not None else ("", [])
        rows = await self._query(
            lambda db: db.execute(
                f"{_STORIES} {where} ORDER BY s.id DESC LIMIT ?", [*params, limit]
            ).fetchall()
        )
        return [
            StorySummary(
                id=int(r["id"]),
                created_at=_time(r["created_at"]),
                copies=int(r["copies"]),
                sources=int(r["sources"]),
                alerts=int(r["alerts"]),
                title=r["title"] or "",
                closed=bool(r["closed"]),
            )
            for r in rows
        ]

    async def story(self, story_id: int) -> StoryDetail | None:
        return await self._query(partial(_story, story_id))


def _time(text: str | None) -> datetime:
    return from_iso(text) or utcnow()


def _story(story_id: int, db: sqlite3.Connection) -> StoryDetail | None:
    head = db.execute("SELECT id, created_at, closed FROM stories WHERE id = ?", (story_id,))
    row = head.fetchone()
    if row is None:
        return None
    copies = db.execute(
        """SELECT id, url, source, title, first_seen_at, published_at FROM articles
           WHERE story_id = ? ORDER BY first_seen_at, id""",
        (story_id,),
    ).fetchall()
    alerts = db.execute(
        """SELECT l.id, l.rule, l.channel, l.article_id, l.created_at, o.state
           FROM alerts l LEFT JOIN outbox o ON o.id = l.message_id
           WHERE l.story_id = ? AND l.rule IS NOT NULL ORDER BY l.created_at, l.id""",
        (story_id,),
    ).fetchall()
    return StoryDetail(
        id=int(row["id"]),
        created_at=_time(row["created_at"]),
        closed=bool(row["closed"]),
        copies=tuple(
            StoryCopy(
                article_id=int(c["id"]),
                url=c["url"],
                source=c["source"],
                title=c["title"],
                first_seen_at=_time(c["first_seen_at"]),
                published_at=from_iso(c["published_at"]),
            )
            for c in copies
        ),
        alerts=tuple(
            StoryAlert(
                id=a["id"],
                rule=a["rule"],
                channel=a["channel"],
                article_id=None if a["article_id"] is None else int(a["article_id"]),
                created_at=_time(a["created_at"]),
                state=a["state"] or "queued",
            )
            for a in alerts
        ),
    )
