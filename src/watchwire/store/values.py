"""The values that cross the store's interfaces (``roles``), in watchwire's own terms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from watchwire.models import Article, Validators

__all__ = [
    "ARTICLES_PER_DAY_WINDOW",
    "AlertIntent",
    "ArticlePreview",
    "ArticleRow",
    "CachedValidators",
    "ClaimedSources",
    "DayActivity",
    "DeliveryAttempt",
    "FetchRecord",
    "GivenUp",
    "HealthIntent",
    "HealthRecord",
    "NewArticle",
    "OutboxKey",
    "OutboxRow",
    "PageClaim",
    "PollRecord",
    "SearchKey",
    "SourceHealth",
    "SourceLease",
    "SourcePlan",
    "SourceState",
    "StoreCheck",
    "StoryAlert",
    "StoryCopy",
    "StoryDetail",
    "StorySummary",
]

ARTICLES_PER_DAY_WINDOW: Final = timedelta(days=7)
"""The window ``SourceHealth.articles_recent`` counts articles over (a source's articles a day)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NewArticle:
    """An extracted article ready to store, with its dedupe keys computed by ``dedupe``."""

    url: str
    """Canonical URL: the unique key."""
    source: str
    article: Article
    content_hash: str
    simhash: int | None
    """Unsigned 64-bit; None when the text is too short for near-duplicate matching."""
    band_keys: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertIntent:
    """A rule matched; alert ``channel`` unless this story already was, for this rule."""

    rule: str
    channel: str
    digest: bool
    payload: Mapping[str, Any]
    """The alert body, rendered before the store; the store adds only what it owns: the
    alert's ``id`` and its ``story`` (``payloads.with_identity``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceState:
    name: str
    kind: str | None
    first_polled_at: datetime | None
    last_ok_at: datetime | None
    consecutive_failures: int
    last_error: str | None
    next_poll_at: datetime | None
    state: str | None = None
    """The health state last recorded (``health.State``); None before the first judgement."""
    state_since: datetime | None = None
    state_reason: str | None = None
    moved_to: str | None = None
    failing_since: datetime | None = None
    """The first failed poll of the current run of failures."""
    last_new_at: datetime | None = None
    """The last poll that stored a new article."""
    url: str | None = None
    last_polled_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceHealth:
    name: str
    fetches: int
    """Fetches since the time asked for (documents and article pages)."""
    errors: int
    """Of those, the ones that got nothing usable (error, robots, skipped)."""
    last_outcome: str | None
    last_error: str | None
    last_at: datetime | None
    consecutive_failures: int
    articles: int
    state: SourceState | None = None
    articles_recent: int = 0
    """Articles first seen in the last ``ARTICLES_PER_DAY_WINDOW``."""
    given_up: int = 0
    """Article links given up on (``ArticleStore.given_up``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthRecord:
    """A source's health state as judged now (``health.judge``), to store."""

    state: str
    since: datetime
    reason: str | None = None
    moved_to: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthIntent:
    """Tell ``channel`` that a source's health changed: a ``watchwire.source_health`` body but
    for its ``id``, which the store gives it (one per channel)."""

    channel: str
    digest: bool
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedValidators:
    validators: Validators
    body_hash: str | None


OutboxKey = tuple[datetime, str]
"""Where an outbox row stands in a listing (newest first): when it was made, then its id."""

SearchKey = tuple[datetime, int]
"""Where a row stands in search order (newest first): its time, then its id."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleRow:
    id: int
    story_id: int
    source: str
    url: str
    version: int
    first_seen_at: datetime
    article: Article

    @property
    def search_key(self) -> SearchKey:
        """The key search orders by, descending: published (else first seen) time, then id.
        Pass the last row's as ``before=`` to read the next page."""
        return (self.article.published_at or self.first_seen_at, self.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxRow:
    """One line of ``watchwire alerts list``: a message, or an alert awaiting its digest."""

    id: str
    channel: str
    kind: str
    state: str
    """pending, delivering, delivered, failed; or ``queued`` for an alert awaiting its digest."""
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    summary: str
    rule: str | None = None
    """The alert's rule; None for a digest (its alerts name theirs)."""
    title: str | None = None
    """The article's title; None for a digest."""
    url: str | None = None
    """The article's URL; None for a digest."""
    payload: Mapping[str, Any] = field(default_factory=dict)
    """The body as delivered (``watchwire.alert`` or ``watchwire.digest``)."""
    requeued_at: datetime | None = None
    """When ``alerts retry`` last gave it a new delivery episode."""
    digest_id: str | None = None
    """For an alert of a digest channel: the digest message that carries it, once sealed."""

    @property
    def key(self) -> OutboxKey:
        """Its place in a listing: pass the last row's as ``before=`` for the next page."""
        return (self.created_at, self.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreCheck:
    """What a look for damage found (``Maintenance.check``)."""

    ok: bool
    complete: bool
    """False when the time allowed ran out first: only part of the store was read."""
    problems: tuple[str, ...] = ()
    seconds: float = 0.0
    pages: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class GivenUp:
    """An article link given up on purpose: never fetched again, shown with its source."""

    url: str
    source: str
    reason: str
    at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PollRecord:
    """One poll of a source as it ended (``SourceStore.record_poll``)."""

    at: datetime
    ok: bool
    error: str | None
    kind: str | None
    new_articles: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchRecord:
    """One fetch of a source's poll: its document or an article page."""

    at: datetime
    url: str
    """Redacted as the store keeps source URLs (no user info, no query values)."""
    outcome: str
    """A ``models.FetchOutcome``: ok, not_modified, error, disallowed, skipped…"""
    status: int | None
    bytes: int
    elapsed: float
    """Seconds."""
    error: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DayActivity:
    """What one day (UTC) brought: articles first seen, rule alerts made. History: pruning an
    article or an alert later does not take it back."""

    day: date
    articles: int
    alerts: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StorySummary:
    """A story in a listing: how many copies, from how many sources, and its first title."""

    id: int
    created_at: datetime
    copies: int
    sources: int
    alerts: int
    """Rule alerts made for it (one per rule and channel at most)."""
    title: str
    """The title of its first stored copy; empty when every copy was pruned."""
    closed: bool
    """A copy was pruned: the story never alerts again (``Retention``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryCopy:
    article_id: int
    url: str
    source: str
    title: str
    first_seen_at: datetime
    published_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryAlert:
    """An alert of a story: which rule told which channel, about which copy, and how it went."""

    id: str
    rule: str
    channel: str
    article_id: int | None
    created_at: datetime
    state: str
    """Its delivery's: pending, delivering, delivered, failed; ``queued`` awaiting a digest."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryDetail:
    id: int
    created_at: datetime
    closed: bool
    copies: tuple[StoryCopy, ...]
    """Its stored articles, first seen first."""
    alerts: tuple[StoryAlert, ...]
    """Oldest first."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryAttempt:
    """One try at delivering one message, and what came of it (``alerts show``)."""

    message_id: str
    attempt: int
    """1 for the first try of its delivery episode."""
    at: datetime
    """When the try ended."""
    outcome: str
    """``delivered``, ``retry`` (failed for now; ``next_attempt_at`` says when again) or
    ``failed`` (given up, or refused for good)."""
    answer: str | None
    """What the receiver answered (``HTTP 202 Accepted``, ``250 OK``), or what went wrong."""
    elapsed: float = 0.0
    """Seconds the try took."""
    next_attempt_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticlePreview:
    """What ``save_article`` would do with an article, without doing it (``watchwire check``,
    ``once --dry-run``)."""

    stored: bool
    """The article's URL is stored already."""
    story_id: int | None
    """The story it is, or would join; None: it would found a new one."""
    alerts: tuple[AlertIntent, ...]
    """The intents that would be written: the others were alerted for this story already."""
    alerted: tuple[tuple[str, str, str], ...]
    """``(rule, channel, alert id)`` of the intents this story was alerted for already."""


# --- coordination (``roles.ScheduleStore``, ``PageLeaseStore``) --------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SourcePlan:
    """A source of this worker's config, as the schedule needs it."""

    name: str
    url: str
    first_due: datetime
    """When a source new to the store (or overdue) is first polled: start-up spreads these."""
    latest_due: datetime
    """A known source is polled no later than this (now + its interval: a shorter interval
    applies at once), unless it is backing off after failures."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceLease:
    """A due source, leased to this worker until it hands it back (``finish_source``)."""

    name: str
    due_at: datetime
    """When it fell due: its place on its interval's grid (the next one is a whole number of
    intervals later, so that polls do not drift by however late each started)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimedSources:
    leases: tuple[SourceLease, ...]
    next_due: datetime | None
    """When the next of this worker's sources that nobody holds falls due; None: none."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PageClaim:
    """Article URLs claimed before fetching them: one fetch per page across every worker."""

    mine: frozenset[str]
    """This worker fetches these (and releases them when done)."""
    elsewhere: frozenset[str]
    """Another live worker is fetching these right now."""
    stored: frozenset[str]
    """Of ``mine``: already stored (by another worker a moment ago, or long since)."""
