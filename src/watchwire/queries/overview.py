"""The dashboard's first page: sources by health, what the last days brought, the outbox,
the latest alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from watchwire.config import Config
from watchwire.queries.outbox import alert_json, alerts
from watchwire.queries.sources import SourcePage, source_page, source_page_json
from watchwire.store import (
    DayActivity,
    OutboxRow,
    Store,
)
from watchwire.timeutil import iso_z

__all__ = ["Overview", "day_json", "overview", "overview_json"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Overview:
    """The dashboard's first page: sources by health, what the last days brought, the
    outbox, the latest alerts."""

    sources: SourcePage
    """The first sources in ``STATE_ORDER`` (those that need a person first), and the count of
    every state."""
    activity: tuple[DayActivity, ...]
    """Every day of the window, oldest first (zeros included)."""
    outbox: dict[str, int]
    oldest_pending_at: datetime | None
    latest: tuple[OutboxRow, ...]
    now: datetime


async def overview(
    config: Config,
    store: Store,
    *,
    now: datetime,
    days: int = 14,
    sources: int = 10,
    latest: int = 10,
) -> Overview:
    first = (now - timedelta(days=days - 1)).date()
    known = {d.day: d for d in await store.daily_activity(since=first)}
    activity = tuple(
        known.get(day, DayActivity(day=day, articles=0, alerts=0))
        for day in (first + timedelta(days=i) for i in range(days))
    )
    return Overview(
        sources=await source_page(config, store, now=now, limit=sources),
        activity=activity,
        outbox=await store.outbox_counts(),
        oldest_pending_at=await store.oldest_pending_at(),
        latest=tuple(await alerts(store, limit=latest)),
        now=now,
    )


def day_json(d: DayActivity) -> dict[str, Any]:
    return {"day": d.day.isoformat(), "articles": d.articles, "alerts": d.alerts}


def overview_json(o: Overview) -> dict[str, Any]:
    oldest = o.oldest_pending_at
    return {
        "sources": source_page_json(o.sources),
        "activity": [day_json(d) for d in o.activity],
        "outbox": {
            **o.outbox,
            "oldest_pending_at": iso_z(oldest),
            "oldest_pending_age_seconds": int((o.now - oldest).total_seconds()) if oldest else None,
        },
        "latest_alerts": [alert_json(r) for r in o.latest],
    }
