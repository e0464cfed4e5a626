"""Stories: a story's copies, stories newest first, one with its copies and alerts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from watchwire.store import (
    ArticleStore,
    StoryDetail,
    StorySummary,
)
from watchwire.timeutil import iso_z

__all__ = [
    "Story",
    "StoryList",
    "stories",
    "story",
    "story_detail",
    "story_detail_json",
    "story_list_json",
    "story_summary_json",
]

# --- stories ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Story:
    id: int
    copies: tuple[str, ...]
    """The URLs of its articles, first stored first."""


async def story(store: ArticleStore, story_id: int) -> Story:
    return Story(id=story_id, copies=tuple(await store.story_copies(story_id)))


# --- the dashboard: stories ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryList:
    stories: tuple[StorySummary, ...]
    next: int | None
    """``before=`` for the next page; None after the last."""


async def stories(store: ArticleStore, *, before: int | None = None, limit: int = 50) -> StoryList:
    found = await store.stories(before=before, limit=limit + 1)
    more = len(found) > limit
    found = found[:limit]
    return StoryList(stories=tuple(found), next=found[-1].id if more and found else None)


def story_summary_json(s: StorySummary) -> dict[str, Any]:
    return {
        "id": s.id,
        "created_at": iso_z(s.created_at),
        "title": s.title,
        "copies": s.copies,
        "sources": s.sources,
        "alerts": s.alerts,
        "closed": s.closed,
    }


def story_list_json(s: StoryList) -> dict[str, Any]:
    return {"stories": [story_summary_json(x) for x in s.stories], "next": s.next}


async def story_detail(store: ArticleStore, story_id: int) -> StoryDetail | None:
    return await store.story(story_id)


def story_detail_json(d: StoryDetail) -> dict[str, Any]:
    alerted = {a.article_id for a in d.alerts}
    return {
        "id": d.id,
        "created_at": iso_z(d.created_at),
        "closed": d.closed,
        "copies": [
            {
                "article_id": c.article_id,
                "url": c.url,
                "source": c.source,
                "title": c.title,
                "first_seen_at": iso_z(c.first_seen_at),
                "published_at": iso_z(c.published_at),
                "alerted": c.article_id in alerted,
            }
            for c in d.copies
        ],
        "alerts": [
            {
                "id": a.id,
                "rule": a.rule,
                "channel": a.channel,
                "article_id": a.article_id,
                "created_at": iso_z(a.created_at),
                "state": a.state,
            }
            for a in d.alerts
        ],
    }
