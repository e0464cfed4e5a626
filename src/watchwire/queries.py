"""What people ask of a store, answered once for every surface: the CLI today, pages tomorrow.

Each use case reads the store through its roles and returns frozen values; each value has one
JSON shape (the ``*_json`` functions), which ``--json`` prints and the dashboard will serve, so
that scripts and people see the same thing. Nothing here writes but ``requeue_failed``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from watchwire.config import Config
from watchwire.health import State
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
    SourceState,
    SourceStore,
    Store,
)
from watchwire.timeutil import iso_z

__all__ = [
    "HealthOverview",
    "Hit",
    "SearchResult",
    "SourceStatus",
    "StoreSummary",
    "Story",
    "explain",
    "health_json",
    "health_overview",
    "hit_json",
    "outbox",
    "outbox_row_json",
    "report_json",
    "requeue_failed",
    "search",
    "source_health",
    "source_json",
    "sources",
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


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceStatus:
    """One configured source as ``watchwire sources`` shows it: its health and its pace."""

    name: str
    url: str
    enabled: bool
    state: str
    """One of ``health.State`` (the list in ``docs/alerts.md``)."""
    since: datetime | None
    reason: str | None
    moved_to: str | None
    last_ok_at: datetime | None
    last_new_at: datetime | None
    articles_per_day: float | None
    """Over the last 7 days; None before the first poll."""
    next_poll_at: datetime | None
    given_up: int
    failed_polls: int
    """Failed polls in a row, now."""
    fetches: int
    errors: int
    """Fetches in the last 24 hours, and those that brought nothing usable."""


def _state_of(stored: SourceState | None) -> str:
    return stored.state if stored is not None and stored.state else str(State.NEVER_POLLED)


async def sources(
    config: Config, store: SourceStore | None, *, now: datetime
) -> list[SourceStatus]:
    """Every configured source, polled or not, with its state (``store`` None: no store yet,
    so every source is ``never-polled``)."""
    health = {h.name: h for h in await store.source_health(since=now - timedelta(days=1))} if (
        store is not None
    ) else {}  # fmt: skip
    out: list[SourceStatus] = []
    for source in config.sources:
        h = health.get(source.name)
        st = h.state if h is not None else None
        interval = config.settings_for(source).interval
        next_poll = None
        if st is not None:
            next_poll = st.next_poll_at or (
                st.last_polled_at + interval if st.last_polled_at else None
            )
        out.append(
            SourceStatus(
                name=source.name,
                url=source.url,
                enabled=source.enabled,
                state=_state_of(st),
                since=st.state_since if st else None,
                reason=st.state_reason if st else None,
                moved_to=st.moved_to if st else None,
                last_ok_at=st.last_ok_at if st else None,
                last_new_at=st.last_new_at if st else None,
                articles_per_day=round(h.articles_recent / 7, 1) if h is not None else None,
                next_poll_at=next_poll,
                given_up=h.given_up if h is not None else 0,
                failed_polls=st.consecutive_failures if st else 0,
                fetches=h.fetches if h is not None else 0,
                errors=h.errors if h is not None else 0,
            )
        )
    return out


def source_json(s: SourceStatus) -> dict[str, Any]:
    return {
        "source": s.name,
        "url": s.url,
        "enabled": s.enabled,
        "state": s.state,
        "since": iso_z(s.since),
        "reason": s.reason,
        "moved_to": s.moved_to,
        "last_success": iso_z(s.last_ok_at),
        "last_new_article": iso_z(s.last_new_at),
        "articles_per_day": s.articles_per_day,
        "next_poll": iso_z(s.next_poll_at),
        "articles_given_up": s.given_up,
        "failed_polls": s.failed_polls,
        "fetches_24h": s.fetches,
        "errors_24h": s.errors,
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthOverview:
    counts: dict[str, int]
    """Enabled sources by state (every state, zeros included)."""
    unhealthy: tuple[tuple[str, str, datetime | None], ...]
    """(source, state, since) of every enabled source neither ok nor never polled."""


async def health_overview(config: Config, store: SourceStore) -> HealthOverview:
    """Sources by state, cheaply (each ``/metrics`` scrape, the start-up warnings)."""
    stored = await store.health_states()
    counts = {str(state): 0 for state in State}
    unhealthy: list[tuple[str, str, datetime | None]] = []
    never = (None, None)
    for source in config.sources:
        if not source.enabled:
            continue
        state, since = stored.get(source.name, never)
        state = state or State.NEVER_POLLED
        counts[state] += 1
        if state not in (State.OK, State.NEVER_POLLED):
            unhealthy.append((source.name, state, since))
    return HealthOverview(counts=counts, unhealthy=tuple(unhealthy))


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
