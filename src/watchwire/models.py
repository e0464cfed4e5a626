"""Plain immutable values passed between the pipeline's stages.

Each stage takes and returns these; none of them holds a live resource.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "Article",
    "Discovery",
    "FetchOutcome",
    "FetchResult",
    "Link",
    "Match",
    "OutboxMessage",
    "SourceKind",
    "Span",
    "StoredArticle",
    "Validators",
]


# --- extract ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    """An article as the extractor understood it."""

    title: str = ""
    text: str = ""
    """Body paragraphs joined by blank lines."""
    paragraphs: tuple[str, ...] = ()
    lead: str = ""
    published_at: datetime | None = None
    """Timezone-aware."""
    modified_at: datetime | None = None
    authors: tuple[str, ...] = ()
    url: str | None = None
    """Canonical URL when the page gives one, else the URL it was fetched from."""
    language: str | None = None
    """Lower-case primary subtag, e.g. ``en``, ``uk``."""
    section: str | None = None
    tags: tuple[str, ...] = ()
    image: str | None = None


# --- fetch ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Validators:
    """HTTP cache validators remembered per URL for conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


class FetchOutcome(enum.StrEnum):
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    DISALLOWED = "disallowed"
    """robots.txt forbids it."""
    SKIPPED = "skipped"
    """Not a content type we read (image, PDF, ...)."""
    ERROR = "error"


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchResult:
    """What one fetch produced. Failures are values too (``outcome=ERROR``)."""

    url: str
    """The URL asked for."""
    final_url: str
    """After redirects."""
    outcome: FetchOutcome
    status: int | None = None
    content: bytes = b""
    """The decoded-from-transfer-encoding body, capped at ``max_body``."""
    content_type: str | None = None
    """Media type without parameters, lower case."""
    charset: str | None = None
    """The charset the HTTP header declared, if any."""
    validators: Validators = field(default_factory=Validators)
    elapsed: float = 0.0
    """Seconds, wall clock."""
    error: str | None = None
    """Human-readable reason for ERROR/SKIPPED/DISALLOWED."""
    error_class: str | None = None
    """Machine-readable: ``timeout``, ``connect``, ``reset``, ``http_5xx``, ``too_large``..."""
    transient: bool = False
    """For ERROR: whether trying again later may help."""
    retry_after: float | None = None
    """Seconds the server asked us to wait (429/503)."""

    @property
    def ok(self) -> bool:
        return self.outcome is FetchOutcome.OK


# --- discover ---------------------------------------------------------------------------------


class SourceKind(enum.StrEnum):
    FEED = "feed"
    SITEMAP = "sitemap"
    LISTING = "listing"
    PAGE = "page"
    """A home page: autodiscover its feeds, else treat as a listing."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """A candidate article URL found by discovery, with what the source said of it."""

    url: str
    title: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    summary: str | None = None
    guid: str | None = None
    content_html: str | None = None
    """Full content carried by the feed (``content:encoded``, Atom content), if any."""
    language: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Discovery:
    """What a source document turned out to be and what it points to."""

    kind: SourceKind
    links: tuple[Link, ...] = ()
    sitemaps: tuple[str, ...] = ()
    """Child sitemaps of a sitemap index, newest first."""
    feeds: tuple[str, ...] = ()
    """Feeds autodiscovered from an HTML page."""
    error: str | None = None
    """Set when the document was broken; ``links`` holds what could be salvaged."""


# --- rules ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Span:
    """A matched word or phrase: offsets are into that field's text."""

    field: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    """A rule that matched an article, with the spans that satisfied it."""

    rule: str
    spans: tuple[Span, ...]
    snippet: str
    """A short excerpt with matched words marked «like this»."""


# --- store ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredArticle:
    """What the store did with an article."""

    article_id: int
    story_id: int
    created: bool
    """A new article row (not a copy of a known URL)."""
    new_version: bool
    """An existing article whose text changed."""
    duplicate_of: int | None = None
    """When this article joined an existing story: an article of that story."""
    alerts: tuple[str, ...] = ()
    """Ids of outbox messages / alerts written in the same transaction."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxMessage:
    """One message to deliver on one channel: an alert or a digest of alerts."""

    id: str
    """Stable across retries: the webhook-id / Message-ID seed."""
    channel: str
    kind: str
    """``alert`` or ``digest``."""
    payload: dict[str, Any]
    """The JSON body of DESIGN.md (``watchwire.alert`` or ``watchwire.digest``)."""
    attempts: int = 0
    created_at: datetime | None = None
