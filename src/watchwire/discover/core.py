"""``discover``: one source document in, a :class:`~watchwire.models.Discovery` out.

Pure and total: bad input never raises; it sets ``Discovery.error`` and returns whatever could be
salvaged. The orchestration around it (fetching child sitemaps and autodiscovered feeds, deciding
what is new) lives in ``watchwire.pipeline``.

Called with ``inline=True`` (on the event loop), it parses only what the budget allows there
(``watchwire.budget``) and raises ``NeedsSandbox`` for the rest, which the caller parses in a
sandbox: a large or tag-heavy document, a gzip file (its size is known only once inflated), and
any feed for feedparser, whose cost no size bounds (400 KB of attributes cost it 17 s).
"""

from __future__ import annotations

import logging

from watchwire.budget import NeedsSandbox, fits_inline
from watchwire.discover.detect import declares_entities, kind_from_content_type, sniff_kind
from watchwire.discover.feeds import NotFastPath, parse_feed_fast
from watchwire.discover.jsonfeed import parse_json_feed
from watchwire.discover.listing import parse_html
from watchwire.discover.sitemaps import MAX_SITEMAP_BYTES, parse_sitemap
from watchwire.gzipfile import GzipError, gunzip_capped, is_gzip
from watchwire.models import Discovery, SourceKind

__all__ = ["discover"]

log = logging.getLogger(__name__)

_JSON_START = (b"{", b"[")
_BLANK_SCAN = 4096  # longer runs of whitespace are not "empty", just not a document


def discover(
    content: bytes,
    *,
    url: str,
    content_type: str | None = None,
    kind: SourceKind | None = None,
    links_selector: str | None = None,
    max_links: int = 50_000,
    charset: str | None = None,
    inline: bool = False,
) -> Discovery:
    """What ``content`` (fetched from ``url``) is, and the article links, feeds or child
    sitemaps it points to.

    ``kind`` is the configured source kind. The content decides when it is plainly a feed or
    a sitemap; otherwise ``kind`` rules (HTML where a feed or sitemap was expected is an error
    that still carries the page's autodiscovered feeds), then the content, then
    ``content_type``. ``Discovery.kind`` says what the document turned out to be.
    ``links_selector`` is the source's CSS selector for a listing page. ``charset`` is the one
    the HTTP header declared: used only when the document declares none. At most ``max_links``
    links are returned; past that ``error`` says so. ``inline``: raise ``NeedsSandbox`` rather
    than parse what costs more than the event loop may spend.
    """
    try:
        return _discover(
            content,
            url=url,
            content_type=content_type,
            kind=kind,
            links_selector=links_selector,
            max_links=max_links,
            charset=charset,
            inline=inline,
        )
    except NeedsSandbox:
        raise
    except Exception as exc:  # the stage boundary: a bug here must not stop the poll
        log.exception("discovery failed on %d bytes", len(content))
        return Discovery(
            kind=kind or SourceKind.PAGE,
            error=f"discovery failed: {type(exc).__name__}: {exc}",
        )


def _discover(
    content: bytes,
    *,
    url: str,
    content_type: str | None,
    kind: SourceKind | None,
    links_selector: str | None,
    max_links: int,
    charset: str | None,
    inline: bool,
) -> Discovery:
    sniffed = sniff_kind(content)
    declared = kind or kind_from_content_type(content_type)
    if len(content) < _BLANK_SCAN and not content.replace(b"\xef\xbb\xbf", b"").strip():
        return Discovery(kind=declared or SourceKind.PAGE, error="empty document")
    if inline and not (fits_inline(content) and not is_gzip(content)):
        raise NeedsSandbox
    if sniffed is SourceKind.PAGE and (
        declared is SourceKind.FEED or declared is SourceKind.SITEMAP
    ):
        # A feed URL answering with HTML: a login wall, an error page, a moved feed. Its
        # autodiscovered feeds are the one useful thing in it.
        found = parse_html(content, url=url, charset=charset, max_links=0)
        return Discovery(
            kind=declared, feeds=found.feeds, error=f"expected a {declared}, got an HTML page"
        )
    # A feed or sitemap is read as one even when configured otherwise: the bytes are certain.
    certain = sniffed in (SourceKind.FEED, SourceKind.SITEMAP)
    chosen = sniffed if certain else (kind or sniffed or declared)
    if chosen is None:
        return Discovery(kind=SourceKind.PAGE, error="not a feed, a sitemap or an HTML page")
    if is_gzip(content) and chosen is not SourceKind.SITEMAP:
        # A gzip'd feed or page file (HTTP compression is the fetcher's, already undone);
        # sitemaps are inflated as they are parsed instead.
        try:
            content, cut = gunzip_capped(content, MAX_SITEMAP_BYTES)
        except GzipError:
            cut = True
        if cut:
            return Discovery(kind=chosen, error="broken or oversized gzip")
    if chosen is SourceKind.FEED:
        return _feed(content, url=url, charset=charset, max_links=max_links, inline=inline)
    if chosen is SourceKind.SITEMAP:
        links, children, error = parse_sitemap(content, url=url, max_links=max_links)
        return Discovery(kind=chosen, links=links, sitemaps=children, error=error)
    found = parse_html(
        content, url=url, links_selector=links_selector, charset=charset, max_links=max_links
    )
    return Discovery(kind=chosen, links=found.links, feeds=found.feeds, error=found.error)


def _feed(
    content: bytes, *, url: str, charset: str | None, max_links: int, inline: bool
) -> Discovery:
    if declares_entities(content):
        # Refused before any parser sees it: feedparser would expand a billion laughs up to
        # expat's cap, a second and tens of megabytes later.
        return Discovery(kind=SourceKind.FEED, error="the feed declares XML entities; refused")
    if content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(_JSON_START):
        links, error = parse_json_feed(content, url=url, max_links=max_links)
        return Discovery(kind=SourceKind.FEED, links=links, error=error)
    try:
        links, error = parse_feed_fast(content, url=url, charset=charset, max_links=max_links)
    except NotFastPath:
        if inline:
            raise NeedsSandbox from None
        # Imported on first use: a service whose feeds are all well-formed never loads it.
        from watchwire.discover.fallback import parse_feed_fallback

        links, error = parse_feed_fallback(content, url=url, charset=charset, max_links=max_links)
    return Discovery(kind=SourceKind.FEED, links=links, error=error)
