"""What people ask of a store, answered once for every surface: the CLI today, pages tomorrow.

Each use case reads the store through its roles and returns frozen values; each value has one
JSON shape (the ``*_json`` functions), which ``--json`` prints and the dashboard will serve, so
that scripts and people see the same thing. Nothing here writes but ``requeue_failed``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from watchwire.models import Article, Match
from watchwire.rules import RuleReport, RuleSet
from watchwire.store import (
    ArticleRow,
    ArticleStore,
    OutboxRow,
    OutboxStore,
    SearchKey,
    SearchStore,
    SourceHealth,
    SourceStore,
    Store,
)
from watchwire.timeutil import iso_z

__all__ = [
    "Hit",
    "SearchResult",
    "StoreSummary",
    "Story",
    "explain",
    "health_json",
    "hit_json",
    "outbox",
    "outbox_row_json",
    "report_json",
    "requeue_failed",
    "search",
    "source_health",
    "store_summary",
    "story",
]

FIRST_PAGE_MARGIN = 10
"""Candidates read beyond the limit on the first page: the index's superset is rarely wider."""
MAX_PAGE = 1000
"""Candidates read at once, at most: pages double up to it while matches are sparse."""


# --- search -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    """A stored article that a rule matches, with what it matched."""

    row: ArticleRow
    match: Match


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchResult:
    hits: tuple[Hit, ...]
    candidates: int
    """Articles the store's index offered, of which the rules engine kept ``hits``."""
    seconds: float
    """Time the search took, the store's and the engine's."""
    next: SearchKey | None
    """Where the next page starts (``search(..., before=next)``); None after the last."""


async def search(
    store: SearchStore,
    rules: RuleSet,
    rule: str,
    *,
    since: datetime | None = None,
    before: SearchKey | None = None,
    limit: int = 50,
    clock: Callable[[], float] = time.perf_counter,
) -> SearchResult:
    """Up to ``limit`` stored articles that ``rule`` (one of ``rules``) matches, newest first.

    The store's index gives candidates page by page; the rules engine decides. Reading stops
    as soon as ``limit`` articles matched, so a common query reads about ``limit`` rows, not
    the whole history.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    started = clock()
    query = rules.search_query(rule)
    hits: list[Hit] = []
    candidates = 0
    page = limit + FIRST_PAGE_MARGIN
    cursor = before
    while True:
        rows = await store.search(query, since=since, before=cursor, limit=page)
        candidates += len(rows)
        for row in rows:
            match = next((m for m in rules.match(row.article, source=row.source)
                          if m.rule == rule), None)  # fmt: skip
            if match is None:
                continue
            hits.append(Hit(row=row, match=match))
            if len(hits) == limit:
                return SearchResult(hits=tuple(hits), candidates=candidates,
                                    seconds=clock() - started, next=row.search_key)  # fmt: skip
        if len(rows) < page:
            return SearchResult(hits=tuple(hits), candidates=candidates,
                                seconds=clock() - started, next=None)  # fmt: skip
        cursor = rows[-1].search_key
        page = min(page * 2, MAX_PAGE)


def hit_json(hit: Hit) -> dict[str, Any]:
    row, a = hit.row, hit.row.article
    return {
        "url": row.url,
        "title": a.title,
        "source": row.source,
        "published_at": iso_z(a.published_at),
        "story_id": row.story_id,
        "matches": [
            {"field": s.field, "text": s.text, "start": s.start, "end": s.end}
            for s in hit.match.spans
        ],
        "snippet": hit.match.snippet,
    }


# --- explain ------------------------------------------------------------------------------------


def explain(rules: RuleSet, article: Article, *, source: str | None = None) -> list[RuleReport]:
    """Every rule of ``rules``, matched or not, and why (``watchwire check``; slow: each rule
    is evaluated in full)."""
    return rules.explain(article, source=source)


def report_json(report: RuleReport) -> dict[str, Any]:
    """Why one rule did or did not match (``watchwire check``'s verdict on one rule)."""
    return {
        "rule": report.rule,
        "matched": report.matched,
        "reason": report.reason,
        "matches": [
            {"field": s.field, "text": s.text, "start": s.start, "end": s.end} for s in report.spans
        ],
        "snippet": report.snippet or None,
        "missing": list(report.missing),
        "excluded": list(report.excluded),
    }


# --- sources ------------------------------------------------------------------------------------


async def source_health(store: SourceStore, *, since: datetime) -> list[SourceHealth]:
    """Every source the store has polled, with its fetches since ``since``."""
    return await store.source_health(since=since)


def health_json(h: SourceHealth) -> dict[str, Any]:
    return {
        "source": h.name,
        "consecutive_failures": h.consecutive_failures,
        "fetches": h.fetches,
        "errors": h.errors,
        "last_outcome": h.last_outcome,
        "last_error": h.last_error,
        "last_at": iso_z(h.last_at),
        "articles": h.articles,
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreSummary:
    articles: int
    outbox: dict[str, int]
    """Messages by state: pending, delivering, delivered, failed, queued (awaiting a digest)."""


async def store_summary(store: Store) -> StoreSummary:
    return StoreSummary(articles=await store.count_articles(), outbox=await store.outbox_counts())


# --- outbox -------------------------------------------------------------------------------------


async def outbox(
    store: OutboxStore, *, states: Sequence[str] = (), limit: int = 100
) -> list[OutboxRow]:
    """Messages newest first, of the given states (every state when none is given)."""
    return await store.list_outbox(states=states, limit=limit)


async def requeue_failed(store: OutboxStore, *, now: datetime, ids: Sequence[str] = ()) -> int:
    """Give failed messages (all, or those of ``ids``) a fresh delivery episode."""
    return await store.requeue_failed(now=now, ids=ids)


def outbox_row_json(r: OutboxRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "channel": r.channel,
        "kind": r.kind,
        "state": r.state,
        "attempts": r.attempts,
        "last_error": r.last_error,
        "next_attempt_at": iso_z(r.next_attempt_at),
        "created_at": iso_z(r.created_at),
        "delivered_at": iso_z(r.delivered_at),
        "summary": r.summary,
    }


# --- stories ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Story:
    id: int
    copies: tuple[str, ...]
    """The URLs of its articles, first stored first."""


async def story(store: ArticleStore, story_id: int) -> Story:
    return Story(id=story_id, copies=tuple(await store.story_copies(story_id)))
