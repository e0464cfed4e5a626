"""What people ask of a store, answered once for every surface: the CLI today, pages tomorrow.

Each use case reads the store through its roles and returns frozen values; each value has one
JSON shape (the ``*_json`` functions), which ``--json`` prints and the dashboard will serve, so
that scripts and people see the same thing. Nothing here writes but ``requeue``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from watchwire.analyze import analyze_page
from watchwire.config import Config, RuleConfig
from watchwire.dedupe import TextFingerprint, fingerprint
from watchwire.exceptions import WatchwireError
from watchwire.health import State
from watchwire.models import Article, Discovery, Link, Match, Span
from watchwire.payloads import render_alert
from watchwire.rules import RuleReport, RuleSet, compile_rules
from watchwire.snapshot import Snapshot
from watchwire.store import (
    AlertIntent,
    ArticleRow,
    ArticleStore,
    DayActivity,
    DeliveryAttempt,
    FetchRecord,
    GivenUp,
    NewArticle,
    OutboxKey,
    OutboxRow,
    OutboxStore,
    PollRecord,
    SearchKey,
    SearchStore,
    SourceHealth,
    SourceState,
    SourceStore,
    Store,
    StoryDetail,
    StorySummary,
)
from watchwire.timeutil import iso_z

__all__ = [
    "STATE_ORDER",
    "AlertDetail",
    "BadRequest",
    "HealthOverview",
    "Hit",
    "Overview",
    "Poll",
    "Requeued",
    "SearchResult",
    "SourceDetail",
    "SourcePage",
    "SourceStatus",
    "StoreSummary",
    "Story",
    "StoryList",
    "Verdict",
    "Window",
    "alert_detail",
    "alert_detail_json",
    "alert_json",
    "alerts",
    "attempt_json",
    "day_json",
    "discovery_json",
    "explain",
    "fetch_json",
    "health_json",
    "health_overview",
    "hit_json",
    "judge",
    "key_text",
    "looks_like_html",
    "match_windows",
    "outbox",
    "outbox_key_text",
    "outbox_row_json",
    "overview",
    "overview_json",
    "page_article",
    "parse_key",
    "parse_outbox_key",
    "report_json",
    "requeue",
    "requeue_failed",
    "search",
    "search_rules",
    "source_detail",
    "source_detail_json",
    "source_health",
    "source_json",
    "source_page",
    "source_page_json",
    "sources",
    "state_rank",
    "store_summary",
    "stories",
    "story",
    "story_detail",
    "story_detail_json",
    "story_list_json",
    "story_summary_json",
    "text_article",
    "verdict_json",
    "window_json",
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
    config: Config,
    store: SourceStore | None,
    *,
    now: datetime,
    names: Sequence[str] | None = None,
) -> list[SourceStatus]:
    """Every configured source (of ``names`` only, in their order, when given), polled or not,
    with its state (``store`` None: no store yet, so every source is ``never-polled``)."""
    since = now - timedelta(days=1)
    health = {h.name: h for h in await store.source_health(since=since, names=names)} if (
        store is not None
    ) else {}  # fmt: skip
    configured = list(config.sources)
    if names is not None:
        by_name = {s.name: s for s in config.sources}
        configured = [by_name[n] for n in names if n in by_name]
    out: list[SourceStatus] = []
    for source in configured:
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
    channels: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    before: OutboxKey | None = None,
    limit: int = 100,
) -> list[OutboxRow]:
    """Alerts and digests newest first (``watchwire alerts list``, the alerts page); empty
    filters: all. ``before``: the last row's ``key``, for the next page."""
    return await store.list_outbox(states=states, rules=rules, channels=channels, since=since,
                                   until=until, before=before, limit=limit)  # fmt: skip


def alert_json(r: OutboxRow) -> dict[str, Any]:
    """One alert or digest as ``alerts list --json`` prints it."""
    article = r.payload.get("article") or {}
    return {**outbox_row_json(r), "rule": r.rule, "title": r.title, "url": r.url,
            "source": article.get("source") if isinstance(article, dict) else None,
            "requeued_at": iso_z(r.requeued_at), "digest_id": r.digest_id}  # fmt: skip


def outbox_key_text(key: OutboxKey) -> str:
    """An alert's place in a listing as text (the alerts page's ``before=``)."""
    return f"{key[0].astimezone(UTC).strftime(_KEY_TIME)}~{key[1]}"


def parse_outbox_key(text: str) -> OutboxKey:
    """The place ``outbox_key_text`` wrote; BadRequest for anything else."""
    when, _, ident = text.partition("~")
    try:
        at = datetime.strptime(when, _KEY_TIME).replace(tzinfo=UTC)
    except ValueError:
        raise BadRequest(f"'{text}' is not a position in the alerts") from None
    if not ident.isalnum():
        raise BadRequest(f"'{text}' is not a position in the alerts")
    return (at, ident)


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


# --- asking by name -----------------------------------------------------------------------------


class BadRequest(WatchwireError):
    """What was asked names nothing known (a rule, a source) or does not parse; the message
    says which, in words. The CLI says it as a usage error, a page as a 400."""


def search_rules(
    config: Config, *, query: str | None = None, rule: str | None = None
) -> tuple[RuleSet, str]:
    """The rules to search with and the name to search for: ``query`` as a rule of its own
    (the config's ``terms:`` apply), or the configured ``rule`` replayed over history (enabled
    and for every source, as when it is tried before it is switched on). Raises BadRequest,
    or QuerySyntaxError for a query that does not parse."""
    query = (query or "").strip() or None
    if rule and query:
        raise BadRequest("give a query or a rule to replay, not both")
    if rule:
        found = [r for r in config.rules if r.name == rule]
        if not found:
            names = ", ".join(r.name for r in config.rules) or "none"
            raise BadRequest(f"no rule named '{rule}' (rules: {names})")
        spec = found[0].model_copy(update={"enabled": True, "sources": None})
    elif query:
        spec = RuleConfig(name="query", query=query)
    else:
        raise BadRequest("search needs a query or a rule to replay")
    return compile_rules([spec], config.terms), spec.name


_KEY_TIME = "%Y%m%dT%H%M%S.%fZ"


def key_text(key: SearchKey) -> str:
    """A search position as text (a page's ``before=``, JSON's ``next``): URL-safe."""
    return f"{key[0].astimezone(UTC).strftime(_KEY_TIME)}~{key[1]}"


def parse_key(text: str) -> SearchKey:
    """The position ``key_text`` wrote; BadRequest for anything else."""
    when, _, ident = text.partition("~")
    try:
        at = datetime.strptime(when, _KEY_TIME).replace(tzinfo=UTC)
        if not ident.isdigit():
            raise ValueError(text)
    except ValueError:
        raise BadRequest(f"'{text}' is not a position in the results") from None
    return (at, int(ident))


# --- the dashboard: overview --------------------------------------------------------------------

STATE_ORDER: tuple[str, ...] = (
    State.FAILING, State.SILENT, State.GONE, State.ROBOTS_BLOCKED, State.MOVED,
    State.NEVER_POLLED, State.OK,
)  # fmt: skip
"""How sources are listed: those that need a person first."""


def state_rank(state: str) -> int:
    return STATE_ORDER.index(state) if state in STATE_ORDER else len(STATE_ORDER)


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


# --- the dashboard: sources ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SourcePage:
    """One page of the configured sources, those that need a person first."""

    rows: tuple[SourceStatus, ...]
    total: int
    """Sources of the state asked for (every source when none was)."""
    offset: int
    limit: int
    counts: dict[str, int]
    """Every configured source by state (enabled or not)."""


async def source_page(
    config: Config,
    store: SourceStore,
    *,
    now: datetime,
    state: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> SourcePage:
    """Sources in ``STATE_ORDER`` then by name, ``limit`` from ``offset``: only those shown
    are read in full, so a page costs the same with 10 sources or 10,000."""
    if state is not None and state not in STATE_ORDER:
        raise BadRequest(f"'{state}' is not a source state ({', '.join(STATE_ORDER)})")
    stored = await store.health_states()
    states = {s.name: stored.get(s.name, (None, None))[0] or State.NEVER_POLLED
              for s in config.sources}  # fmt: skip
    counts = {str(st): 0 for st in STATE_ORDER}
    for st in states.values():
        counts[st] = counts.get(st, 0) + 1
    order = sorted(
        (s.name for s in config.sources if state is None or states[s.name] == state),
        key=lambda n: (state_rank(states[n]), n),
    )
    shown = order[offset : offset + limit]
    rows = await sources(config, store, now=now, names=shown)
    return SourcePage(rows=tuple(rows), total=len(order), offset=offset, limit=limit,
                      counts=counts)  # fmt: skip


def source_page_json(p: SourcePage) -> dict[str, Any]:
    after = p.offset + len(p.rows)
    return {
        "sources": [source_json(s) for s in p.rows],
        "total": p.total,
        "offset": p.offset,
        "next_offset": after if after < p.total else None,
        "by_state": p.counts,
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class Poll:
    """A poll and the fetches it made (those recorded since the poll before it)."""

    poll: PollRecord
    fetches: tuple[FetchRecord, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceDetail:
    status: SourceStatus
    polls: tuple[Poll, ...]
    """Newest first."""
    given_up: tuple[GivenUp, ...]


async def source_detail(
    config: Config, store: Store, name: str, *, now: datetime, polls: int = 20
) -> SourceDetail:
    """One configured source: its state, its recent polls with their fetches, the article
    links given up on. BadRequest when no source has that name."""
    if name not in {s.name for s in config.sources}:
        raise BadRequest(f"no source named '{name}'")
    (status,) = await sources(config, store, now=now, names=[name])
    recent = await store.recent_polls(name, limit=polls)
    fetches = await store.recent_fetches(name, limit=polls * 10)
    grouped: list[Poll] = []
    for i, poll in enumerate(recent):
        start = recent[i + 1].at if i + 1 < len(recent) else None
        mine = tuple(f for f in fetches if f.at <= poll.at and (start is None or f.at > start))
        grouped.append(Poll(poll=poll, fetches=mine))
    given_up = await store.given_up(source=name, limit=20)
    return SourceDetail(status=status, polls=tuple(grouped), given_up=tuple(given_up))


def fetch_json(f: FetchRecord) -> dict[str, Any]:
    return {
        "at": iso_z(f.at),
        "url": f.url,
        "outcome": f.outcome,
        "status": f.status,
        "bytes": f.bytes,
        "elapsed_ms": round(f.elapsed * 1000),
        "error": f.error,
    }


def source_detail_json(d: SourceDetail) -> dict[str, Any]:
    return {
        **source_json(d.status),
        "polls": [
            {
                "at": iso_z(p.poll.at),
                "ok": p.poll.ok,
                "error": p.poll.error,
                "kind": p.poll.kind,
                "new_articles": p.poll.new_articles,
                "fetches": [fetch_json(f) for f in p.fetches],
            }
            for p in d.polls
        ],
        "given_up": [{"url": g.url, "reason": g.reason, "at": iso_z(g.at)} for g in d.given_up],
    }


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


# --- the dashboard: where a rule matched --------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    """A stretch of one field (whole paragraphs) holding matched spans."""

    field: str
    start: int
    end: int
    spans: tuple[Span, ...]


def match_windows(article: Article, spans: Sequence[Span], *, most: int = 3) -> tuple[Window, ...]:
    """The paragraphs of ``article`` that hold ``spans``, each with its spans, in article
    order (at most ``most``): where a match is seen whole, not as a snippet."""
    texts = {"title": article.title, "lead": article.lead,
             "body": article.text or "\n\n".join(article.paragraphs)}  # fmt: skip
    out: list[Window] = []
    for span in spans:
        text = texts.get(span.field, "")
        if not 0 <= span.start < span.end <= len(text):
            continue
        if out and out[-1].field == span.field and span.start < out[-1].end:
            last = out[-1]
            out[-1] = Window(field=last.field, start=last.start, end=last.end,
                             spans=(*last.spans, span))  # fmt: skip
            continue
        if len(out) == most:
            break
        start = text.rfind("\n\n", 0, span.start)
        start = 0 if start < 0 else start + 2
        end = text.find("\n\n", span.end)
        end = len(text) if end < 0 else end
        out.append(Window(field=span.field, start=start, end=end, spans=(span,)))
    return tuple(out)


def window_json(w: Window) -> dict[str, Any]:
    return {"field": w.field, "start": w.start, "end": w.end}


# --- the dashboard: a page tried against the rules ----------------------------------------------

_TAG = re.compile(rb"<(?:!doctype|html|head|body|article|main|p|div|h1|title)[\s>]", re.IGNORECASE)


def looks_like_html(data: bytes) -> bool:
    """A page (markup), not plain text pasted from one."""
    return _TAG.search(data[:65536]) is not None


def text_article(text: str, *, url: str | None = None) -> Article:
    """Plain text as an article: its first line the title, the rest its paragraphs (a blank
    line between two)."""
    first, _, rest = text.strip().partition("\n")
    paragraphs = tuple(" ".join(p.split()) for p in re.split(r"\n\s*\n", rest) if p.strip())
    return Article(title=" ".join(first.split()), text="\n\n".join(paragraphs),
                   paragraphs=paragraphs, url=url)  # fmt: skip


def page_article(
    content: bytes, *, url: str = "", charset: str | None = None
) -> tuple[Article, TextFingerprint]:
    """The article of a page, or of plain text, as the pipeline would store it; BadRequest,
    in words, when there is none. CPU-bound: a server runs it off its event loop."""
    if not looks_like_html(content):
        article = text_article(content.decode(charset or "utf-8", errors="replace"),
                               url=url or None)  # fmt: skip
        if not (article.title or article.text):
            raise BadRequest("there is no text to try")
        return article, fingerprint(article.text)
    analysis = analyze_page(content, charset=charset, url=url, link=Link(url=url), language=None)
    if analysis is None or not analysis.article.text.strip():
        raise BadRequest(
            "no article text was found in that page: a home page or a listing holds links to "
            "articles, not one (give an article's page)"
        )
    return analysis.article, analysis.fingerprint
