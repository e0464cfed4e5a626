"""Stories as people look at them, and what each day brought: the dashboard's reads.

The same answers as SQLite's (``store/sqlite/stories.py``): a listing reads one page of stories
by id (newest first) and counts each one's copies and alerts through their indexes; the day
counts are kept by triggers (``daily_counts``, schema ``_DASHBOARD``), so the overview's chart
never counts articles. Several workers insert at once: each session counts into a row of its
own for the day (``shard``, schema ``_WORKERS``), so saves never wait on one another's count,
and a day is the sum of its rows.
"""

from __future__ import annotations

from datetime import date

from watchwire.store.postgres.connection import Connected, rows
from watchwire.store.values import DayActivity, StoryAlert, StoryCopy, StoryDetail, StorySummary

__all__ = ["StoriesPart"]

_STORIES = """
    SELECT s.id, s.created_at, s.closed,
           (SELECT count(*) FROM articles a WHERE a.story_id = s.id) AS copies,
           (SELECT count(DISTINCT a.source) FROM articles a WHERE a.story_id = s.id) AS sources,
           (SELECT count(*) FROM alerts l WHERE l.story_id = s.id AND l.rule IS NOT NULL)
               AS alerts,
           (SELECT a.title FROM articles a WHERE a.story_id = s.id ORDER BY a.id LIMIT 1)
               AS title
    FROM stories s
"""


class StoriesPart(Connected):
    async def daily_activity(self, *, since: date) -> list[DayActivity]:
        found = await self._rows(
            """SELECT day, sum(articles) AS articles, sum(alerts) AS alerts FROM daily_counts
               WHERE day >= %s GROUP BY day ORDER BY day""",
            (since,),
        )
        return [
            DayActivity(day=r["day"], articles=int(r["articles"]), alerts=int(r["alerts"]))
            for r in found
        ]

    async def stories(self, *, before: int | None = None, limit: int = 50) -> list[StorySummary]:
        where, params = ("WHERE s.id < %s", [before]) if before is not None else ("", [])
        found = await self._rows(
            f"{_STORIES} {where} ORDER BY s.id DESC LIMIT %s", [*params, limit]
        )
        return [
            StorySummary(
                id=int(r["id"]),
                created_at=r["created_at"],
                copies=int(r["copies"]),
                sources=int(r["sources"]),
                alerts=int(r["alerts"]),
                title=r["title"] or "",
                closed=bool(r["closed"]),
            )
            for r in found
        ]

    async def story(self, story_id: int) -> StoryDetail | None:
        async with self._connection() as conn:
            head = await rows(
                conn, "SELECT id, created_at, closed FROM stories WHERE id = %s", (story_id,)
            )
            if not head:
                return None
            copies = await rows(
                conn,
                """SELECT id, url, source, title, first_seen_at, published_at FROM articles
                   WHERE story_id = %s ORDER BY first_seen_at, id""",
                (story_id,),
            )
            alerts = await rows(
                conn,
                """SELECT l.id, l.rule, l.channel, l.article_id, l.created_at, o.state
                   FROM alerts l LEFT JOIN outbox o ON o.id = l.message_id
                   WHERE l.story_id = %s AND l.rule IS NOT NULL
                   ORDER BY l.created_at, l.id""",
                (story_id,),
            )
        row = head[0]
        return StoryDetail(
            id=int(row["id"]),
            created_at=row["created_at"],
            closed=bool(row["closed"]),
            copies=tuple(
                StoryCopy(
                    article_id=int(c["id"]),
                    url=c["url"],
                    source=c["source"],
                    title=c["title"],
                    first_seen_at=c["first_seen_at"],
                    published_at=c["published_at"],
                )
                for c in copies
            ),
            alerts=tuple(
                StoryAlert(
                    id=a["id"],
                    rule=a["rule"],
                    channel=a["channel"],
                    article_id=None if a["article_id"] is None else int(a["article_id"]),
                    created_at=a["created_at"],
                    state=a["state"] or "queued",
                )
                for a in alerts
            ),
        )
