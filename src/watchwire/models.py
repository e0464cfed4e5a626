"""Plain immutable values passed between the pipeline's stages.

Each stage takes and returns these; none of them holds a live resource.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import FrozenInstanceError, dataclass, field
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
    moved_to: str | None = None
    """Where the URL asked for has moved: set when every redirect on the way was permanent
    (301, 308), so the URL to use from now on (source health's ``moved``)."""

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


_set = object.__setattr__


class Match:
    """A rule that matched an article, with the spans that satisfied it.

    Immutable and compared by value, like the dataclasses here. ``spans`` and ``snippet`` may
    be built on first use (:meth:`deferred`): the rules engine defers them because most
    matches of a large rule set are never rendered (no channel, or the story already alerted).
    They are then exactly what an eager match would hold; until then the match keeps the
    article's words alive.
    """

    __slots__ = ("_make_snippet", "_make_spans", "_snippet", "_spans", "rule")

    rule: str
    _spans: tuple[Span, ...] | None
    _snippet: str | None
    _make_spans: Callable[[], tuple[Span, ...]] | None
    _make_snippet: Callable[[tuple[Span, ...]], str] | None

    def __init__(self, *, rule: str, spans: tuple[Span, ...], snippet: str) -> None:
        _set(self, "rule", rule)
        _set(self, "_spans", spans)
        _set(self, "_snippet", snippet)
        _set(self, "_make_spans", None)
        _set(self, "_make_snippet", None)

    @classmethod
    def deferred(
        cls,
        rule: str,
        spans: Callable[[], tuple[Span, ...]],
        snippet: Callable[[tuple[Span, ...]], str],
    ) -> Match:
        """A match whose spans are ``spans()`` and snippet ``snippet(spans)``, built when read."""
        self = cls.__new__(cls)
        _set(self, "rule", rule)
        _set(self, "_spans", None)
        _set(self, "_snippet", None)
        _set(self, "_make_spans", spans)
        _set(self, "_make_snippet", snippet)
        return self

    @property
    def spans(self) -> tuple[Span, ...]:
        """The matched words and phrases, in article order."""
        spans = self._spans
        if spans is None:
            make = self._make_spans
            assert make is not None
            spans = make()
            _set(self, "_spans", spans)
            _set(self, "_make_spans", None)
        return spans

    @property
    def snippet(self) -> str:
        """A short excerpt with matched words marked «like this»."""
        snippet = self._snippet
        if snippet is None:
            make = self._make_snippet
            assert make is not None
            snippet = make(self.spans)
            _set(self, "_snippet", snippet)
            _set(self, "_make_snippet", None)
        return snippet

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Match)
        return (self.rule, self.spans, self.snippet) == (other.rule, other.spans, other.snippet)

    def __hash__(self) -> int:
        return hash((self.rule, self.spans, self.snippet))

    def __repr__(self) -> str:
        return f"Match(rule={self.rule!r}, spans={self.spans!r}, snippet={self.snippet!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_match, (self.rule, self.spans, self.snippet))


def _match(rule: str, spans: tuple[Span, ...], snippet: str) -> Match:
    return Match(rule=rule, spans=spans, snippet=snippet)


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
    alert_channels: tuple[str, ...] = ()
    """The channel of each of ``alerts``, in the same order."""


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
    """When its delivery episode began: when it was made, or requeued by ``alerts retry``;
    the channel's ``give_up`` counts from it."""
