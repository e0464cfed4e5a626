"""The slow, forgiving path: feedparser, for feeds the fast path declines.

feedparser reads what ElementTree will not: HTML entities in XML, unclosed tags, odd encodings,
DOCTYPEs with entity declarations (it keeps only harmless ones), exotic dialects. It costs about
forty times the fast path, so it only sees broken or unusual feeds.

It is called with no base URL on purpose: given one, it also "resolves" non-URL guids
(``x1`` → ``https://site/x1``), and guids must read the same whichever path parsed the feed.
Links are resolved here instead. HTML sanitising is off: the extractor owns the HTML.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import feedparser

from watchwire.discover.common import (
    LinkList,
    absolute_url,
    clean_text,
    primary_language,
    resolve_url,
    strip_or_none,
)
from watchwire.discover.dates import parse_date
from watchwire.discover.detect import declares_encoding
from watchwire.models import Link

__all__ = ["FallbackResult", "parse_feed_fallback"]

FallbackResult = tuple[tuple[Link, ...], str | None]


def parse_feed_fallback(
    content: bytes, *, url: str, charset: str | None = None, max_links: int = 50_000
) -> FallbackResult:
    """The entries feedparser could read, and why the feed is broken if it is."""
    # As on the fast path, the document's own declaration beats the HTTP header.
    use_header = charset and not declares_encoding(content)
    headers = {"content-type": f"application/xml; charset={charset}"} if use_header else {}
    try:
        parsed = feedparser.parse(
            content,
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser on hostile bytes: the document is broken, not us
        return (), f"feed parser failed: {type(exc).__name__}: {exc}"
    feed: Mapping[str, Any] = parsed.get("feed", {})
    language = primary_language(feed.get("language"))
    links = LinkList(max_links)
    for entry in parsed.get("entries", ()):
        # A plain dict: FeedParserDict maps missing keys to others (updated → published) and
        # warns about it; we want what the feed said.
        link = _link(dict(entry), url, language)
        if not links.add_or_skip(link):
            break
    return links.to_tuple(), _error(parsed, len(links)) or links.error()


def _link(entry: Mapping[str, Any], base: str, language: str | None) -> Link | None:
    target = resolve_url(base, entry.get("link")) or absolute_url(entry.get("id"))
    if target is None:
        return None
    content = entry.get("content") or ()
    return Link(
        url=target,
        title=clean_text(entry.get("title")),
        published_at=_date(entry, "published") or _date(entry, "updated"),
        updated_at=_date(entry, "updated"),
        summary=strip_or_none(entry.get("summary")),
        guid=strip_or_none(entry.get("id")),
        content_html=strip_or_none(content[0].get("value")) if content else None,
        language=primary_language(_detail_language(entry)) or language,
    )


def _date(entry: Mapping[str, Any], key: str) -> datetime | None:
    text = entry.get(key)
    if isinstance(text, str) and text.strip():
        # parse_date already asks feedparser's own parser where it reads nothing itself, and
        # refuses on purpose what feedparser would misread (a swapped month, IST taken as UTC).
        return parse_date(text)
    parsed: time.struct_time | None = entry.get(f"{key}_parsed")
    if parsed is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _detail_language(entry: Mapping[str, Any]) -> str | None:
    detail = entry.get("title_detail") or {}
    language: str | None = detail.get("language")
    return language


def _error(parsed: Mapping[str, Any], found: int) -> str | None:
    version = parsed.get("version") or ""
    if not parsed.get("bozo"):
        return None if version or found else "not a feed"
    reason = parsed.get("bozo_exception")
    text = f"{type(reason).__name__}: {reason}" if reason is not None else "malformed"
    return f"malformed feed ({text})" if version or found else f"not a feed ({text})"
