"""What people ask of a store, answered once for every surface: the CLI today, pages tomorrow.

Each use case reads the store through its roles and returns frozen values; each value has one
JSON shape (the ``*_json`` functions), which ``--json`` prints and the dashboard will serve, so
that scripts and people see the same thing. Nothing here writes but ``requeue``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from watchwire.config import Config
from watchwire.dedupe import TextFingerprint
from watchwire.health import State
from watchwire.models import Article, Discovery, Match
from watchwire.payloads import render_alert
from watchwire.rules import RuleReport, RuleSet
from watchwire.snapshot import Snapshot
from watchwire.store import (
    AlertIntent,
    ArticleRow,
    ArticleStore,
    DeliveryAttempt,
    NewArticle,
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
    "AlertDetail",
    "HealthOverview",
    "Hit",
    "Requeued",
    "SearchResult",
    "SourceStatus",
    "StoreSummary",
    "Story",
    "Verdict",
    "alert_detail",
    "alert_detail_json",
    "alert_json",
    "alerts",
    "attempt_json",
    "discovery_json",
    "explain",
    "health_json",
    "health_overview",
    "hit_json",
    "judge",
    "outbox",
    "outbox_row_json",
    "report_json",
    "requeue",
    "requeue_failed",
    "search",
    "source_health",
    "source_json",
    "sources",
    "store_summary",
    "story",
    "verdict_json",
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


# --- check: what would happen to an article ----------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """What watchwire would do with one article for one rule (``watchwire check``)."""

    rule: str
    verdict: str
    """``alert`` (would alert ``channels``), ``backlog`` (older than ``backfill``: stored,
    never alerted), ``alerted`` (its story was alerted already), ``disabled``, ``source`` (the
    source is not one of the rule's), ``sources`` (the rule has sources and none was given),
    ``no-channel`` (matches, notifies nobody) or ``no-match``."""
    detail: str
    """The verdict in words, one line."""
    report: RuleReport
    channels: tuple[str, ...] = ()
    """For ``alert``: the channels that would be told."""
    story_id: int | None = None
    """For ``alerted``: the story it was alerted as."""


async def judge(
    snapshot: Snapshot,
    rules: RuleSet,
    article: Article,
    fingerprint: TextFingerprint,
    *,
    source: str | None,
    store: ArticleStore | None,
    now: datetime,
) -> list[Verdict]:
    """Every rule of ``snapshot``'s config (``rules``: all of them compiled, disabled ones
    too), judged as ``once`` would: matched or not, then disabled, source, backlog, channels,
    and (with a ``store``) whether its story was alerted already. Reads, never writes."""
    config = snapshot.config
    reports = {r.rule: r for r in rules.explain(article, source=None)}
    settings = config.settings_for(config.source(source) if source else None)
    backlog = article.published_at is not None and article.published_at < now - settings.backfill
    out: list[Verdict] = []
    for rule in config.rules:
        report = reports[rule.name]
        targets = snapshot.targets.get(rule.name, ())

        def verdict(kind: str, detail: str, **extra: Any) -> Verdict:
            return Verdict(rule=rule.name, verdict=kind, detail=detail, report=report, **extra)  # noqa: B023

        if not report.matched:
            out.append(verdict("no-match", report.reason or "no match"))
        elif not rule.enabled:
            out.append(verdict("disabled", "matches, but the rule is disabled"))
        elif rule.sources is not None and source is None:
            out.append(verdict("sources", f"matches; the rule is only for {', '.join(rule.sources)}"
                               " (--source NAME judges as one of them)"))  # fmt: skip
        elif rule.sources is not None and source not in rule.sources:
            out.append(verdict("source", f"matches, but {source} is not one of the rule's "
                               f"sources ({', '.join(rule.sources)})"))  # fmt: skip
        elif backlog:
            assert article.published_at is not None
            age = _age(now - article.published_at)
            out.append(verdict("backlog", f"matches, but it is backlog: published {age} ago, "
                               f"older than backfill ({_age(settings.backfill)}); stored, "
                               "never alerted"))  # fmt: skip
        elif not targets:
            out.append(verdict("no-channel", "matches, but the rule notifies no channel"))
        else:
            out.append(await _would_alert(rule.name, targets, article, fingerprint, source,
                                          store, now, verdict))  # fmt: skip
    return out


async def _would_alert(
    rule: str,
    targets: Sequence[Any],
    article: Article,
    fingerprint: TextFingerprint,
    source: str | None,
    store: ArticleStore | None,
    now: datetime,
    verdict: Callable[..., Verdict],
) -> Verdict:
    channels = tuple(t.channel for t in targets)
    if store is not None:
        # The body is not stored: a preview only asks which (rule, story, channel) are new.
        match = Match(rule=rule, spans=(), snippet="")
        body = render_alert(
            rule=rule, article=article, source=source or "", matches=match, created_at=now
        )
        intents = [AlertIntent(rule=rule, channel=t.channel, digest=t.digest, payload=body)
                   for t in targets]  # fmt: skip
        new = NewArticle(
            url=article.url or "", source=source or "", article=article,
            content_hash=fingerprint.content_hash, simhash=fingerprint.simhash,
            band_keys=fingerprint.band_keys if fingerprint.near_dup_eligible else (),
        )  # fmt: skip
        preview = await store.preview_article(new, intents)
        if preview.alerted and not preview.alerts:
            return verdict("alerted", f"matches, but its story was alerted already, as story "
                           f"{preview.story_id}", story_id=preview.story_id)  # fmt: skip
        channels = tuple(i.channel for i in preview.alerts)
    return verdict("alert", f"would alert {', '.join(channels)}", channels=channels)


def _age(td: timedelta) -> str:
    seconds = int(td.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def verdict_json(v: Verdict) -> dict[str, Any]:
    return {
        "rule": v.rule,
        "verdict": v.verdict,
        "detail": v.detail,
        "channels": list(v.channels),
        "story_id": v.story_id,
        "explain": report_json(v.report),
    }


# --- discover -----------------------------------------------------------------------------------


def discovery_json(d: Discovery, *, url: str, format: str, title: str | None) -> dict[str, Any]:
    """What a source URL yields (``watchwire discover``)."""
    return {
        "url": url,
        "kind": str(d.kind),
        "format": format,
        "title": title,
        "links": [
            {
                "url": link.url,
                "title": link.title,
                "published_at": iso_z(link.published_at),
                "updated_at": iso_z(link.updated_at),
            }
            for link in d.links
        ],
        "feeds": list(d.feeds),
        "sitemaps": list(d.sitemaps),
        "error": d.error,
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


async def alerts(
    store: OutboxStore,
    *,
    states: Sequence[str] = (),
    rules: Sequence[str] = (),
    since: datetime | None = None,
    limit: int = 100,
) -> list[OutboxRow]:
    """Alerts and digests newest first (``watchwire alerts list``); empty filters: all."""
    return await store.list_outbox(states=states, rules=rules, since=since, limit=limit)


def alert_json(r: OutboxRow) -> dict[str, Any]:
    """One alert or digest as ``alerts list --json`` prints it."""
    return {**outbox_row_json(r), "rule": r.rule, "title": r.title, "url": r.url,
            "requeued_at": iso_z(r.requeued_at), "digest_id": r.digest_id}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertDetail:
    """One alert or digest with every delivery try (``watchwire alerts show``)."""

    row: OutboxRow
    attempts: tuple[DeliveryAttempt, ...]
    """Its tries; for an alert carried by a digest, the digest's."""


async def alert_detail(store: OutboxStore, message_id: str) -> AlertDetail | None:
    row = await store.outbox_message(message_id)
    if row is None:
        return None
    carrier = row.digest_id or row.id
    return AlertDetail(row=row, attempts=tuple(await store.delivery_attempts(carrier)))


def attempt_json(a: DeliveryAttempt) -> dict[str, Any]:
    return {
        "attempt": a.attempt,
        "at": iso_z(a.at),
        "outcome": a.outcome,
        "answer": a.answer,
        "elapsed_ms": round(a.elapsed * 1000),
        "next_attempt_at": iso_z(a.next_attempt_at),
    }


def alert_detail_json(d: AlertDetail) -> dict[str, Any]:
    return {**alert_json(d.row), "payload": dict(d.row.payload),
            "deliveries": [attempt_json(a) for a in d.attempts]}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Requeued:
    requeued: int
    unknown: tuple[str, ...] = ()
    """Ids that name no message."""
    not_failed: tuple[tuple[str, str], ...] = ()
    """``(id, state)`` of named messages that are not failed: nothing to retry."""


async def requeue(store: OutboxStore, *, now: datetime, ids: Sequence[str] = ()) -> Requeued:
    """Requeue failed messages (all, or those of ``ids``), saying what of ``ids`` could not."""
    unknown: list[str] = []
    not_failed: list[tuple[str, str]] = []
    wanted: list[str] = []
    for message_id in dict.fromkeys(ids):
        row = await store.outbox_message(message_id)
        if row is not None and row.digest_id is not None:
            # An alert of a digest is retried with its digest.
            row = await store.outbox_message(row.digest_id)
        if row is None:
            unknown.append(message_id)
        elif row.state != "failed":
            not_failed.append((message_id, row.state))
        else:
            wanted.append(row.id)
    n = 0
    if not ids or wanted:
        n = await store.requeue_failed(now=now, ids=wanted)
    return Requeued(requeued=n, unknown=tuple(unknown), not_failed=tuple(not_failed))


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
