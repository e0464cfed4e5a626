"""The store's one narrow interface, and the values that cross it.

Stages never see SQL. A PostgreSQL store can be added later by implementing ``Store``
(leases with ``FOR UPDATE SKIP LOCKED``, the same unique constraints).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from watchwire.models import Article, FetchResult, OutboxMessage, StoredArticle, Validators

__all__ = [
    "AlertContext",
    "AlertIntent",
    "ArticleRow",
    "CachedValidators",
    "NewArticle",
    "OutboxRow",
    "SourceHealth",
    "SourceState",
    "Store",
]


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
class AlertContext:
    """What only the store knows when an alert is written: its id and its story."""

    alert_id: str
    story_id: int
    copies: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertIntent:
    """A rule matched; alert ``channel`` unless this story already was, for this rule."""

    rule: str
    channel: str
    digest: bool
    render: Callable[[AlertContext], dict[str, Any]]
    """Builds the alert payload once the store has assigned the id and the story."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceState:
    name: str
    kind: str | None
    first_polled_at: datetime | None
    last_ok_at: datetime | None
    consecutive_failures: int
    last_error: str | None
    next_poll_at: datetime | None
    body_hash: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceHealth:
    name: str
    fetches: int
    errors: int
    last_outcome: str | None
    last_error: str | None
    last_at: datetime | None
    consecutive_failures: int
    articles: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedValidators:
    validators: Validators
    body_hash: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleRow:
    id: int
    story_id: int
    source: str
    url: str
    version: int
    first_seen_at: datetime
    article: Article


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxRow:
    """One line of ``watchwire alerts list``."""

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


class Store(Protocol):
    """Everything the stages and the service ask of storage."""

    # sources and fetching
    async def source_state(self, name: str) -> SourceState | None: ...
    async def record_poll(
        self,
        name: str,
        *,
        url: str,
        now: datetime,
        ok: bool,
        error: str | None = None,
        kind: str | None = None,
        body_hash: str | None = None,
        next_poll_at: datetime | None = None,
    ) -> SourceState: ...
    async def record_fetch(self, source: str, result: FetchResult, *, now: datetime) -> None: ...
    async def validators(self, url: str) -> CachedValidators | None: ...
    async def save_validators(
        self, url: str, validators: Validators, *, body_hash: str | None, now: datetime
    ) -> None: ...
    async def source_health(self, *, since: datetime) -> list[SourceHealth]: ...

    # articles and stories
    async def known_urls(self, urls: Sequence[str]) -> dict[str, datetime | None]: ...
    async def save_article(
        self, new: NewArticle, intents: Sequence[AlertIntent], *, now: datetime
    ) -> StoredArticle: ...
    async def article(self, article_id: int) -> ArticleRow | None: ...
    async def story_copies(self, story_id: int) -> list[str]: ...
    async def search(
        self, fts_query: str | None, *, since: datetime | None = None, limit: int = 1000
    ) -> list[ArticleRow]: ...
    async def count_articles(self) -> int: ...
    async def release_memory(self) -> None:
        """Empty caches a burst of work filled (the embedded store's page cache)."""
        ...

    # outbox
    async def claim_due(
        self, *, now: datetime, limit: int, lease: timedelta
    ) -> list[OutboxMessage]: ...
    async def release_leases(self, *, now: datetime) -> int: ...
    async def mark_delivered(self, message_id: str, *, now: datetime) -> None: ...
    async def mark_retry(
        self, message_id: str, *, error: str, next_attempt_at: datetime
    ) -> None: ...
    async def mark_failed(self, message_id: str, *, error: str, now: datetime) -> None: ...
    async def seal_digest(self, channel: str, *, now: datetime) -> OutboxMessage | None: ...
    async def list_outbox(
        self, *, states: Sequence[str] = (), limit: int = 100
    ) -> list[OutboxRow]: ...
    async def requeue_failed(self, *, now: datetime, ids: Sequence[str] = ()) -> int: ...
    async def outbox_counts(self) -> dict[str, int]: ...
    async def next_due(self) -> datetime | None: ...
    async def last_digest_at(self, channel: str) -> datetime | None: ...
    async def oldest_queued_at(self, channel: str) -> datetime | None: ...
