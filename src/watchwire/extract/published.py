"""When a page was published: which of the dates it writes is the one, and in which zone.

Three kinds of evidence, most trusted first (``DateSource``):

1. **Metadata** — the article's JSON-LD ``datePublished`` (``dateCreated``), publication
   ``<meta>`` tags, ``itemprop="datePublished"`` on any element and ``<time pubdate>`` (by the
   headline first; anywhere but in comments and teaser lists after that), then the page's
   other JSON-LD objects (``WebPage``, ``VideoObject.uploadDate``). Modification dates never.
2. **The visible byline date** (``bylines.py``).
3. **The URL's day** (``/2019/03/14/``), then the day in the path of the page's picture.
4. **A timestamp anywhere in the page's source** — the first date with a time of day, scripts and
   comments included (``showDate("2020/04/17 01:43:09")``): a page that says nothing else
   usually stamps itself or its article there.

The date's *day* is the page's own — what its readers see — so a UTC timestamp is put back in
the page's zone when the page shows it (``zones.py``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from watchwire.extract import selectors as sel
from watchwire.extract.bylines import (
    Traps,
    headline_day,
    visible_dates,
)
from watchwire.extract.dates import Kind, Stamp, date_from_url, first_timestamp, read_stamp
from watchwire.extract.zones import localise

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import date, datetime

    from selectolax.lexbor import LexborHTMLParser, LexborNode

    from watchwire.extract.metadata import JsonLd, MetaTags

__all__ = ["DateSource", "Published", "find_published", "month_first"]

_MAX_MARKUP_CHARS = 200
_MAX_ZONE_TIMES = 20


class DateSource(enum.IntEnum):
    """Where a page's publication date came from; lower is more trusted."""

    METADATA = 1
    VISIBLE = 2
    URL = 3


@dataclass(frozen=True, slots=True)
class Published:
    at: datetime
    """Aware, in the offset the page gave (UTC when it gave none)."""
    source: DateSource
    timed: bool
    """Whether the page gave a time of day, not only a day."""


def month_first(language: str | None) -> bool:
    """Whether ``4/5/2020`` means April 5 on a page in this language (``en``, ``en-US``)."""
    if not language:
        return False
    return language.lower().replace("_", "-") in sel.MONTH_FIRST_LANGUAGES


class _Page:
    """One page's parts, each found once when first needed (most pages need few)."""

    __slots__ = ("_traps", "first", "headline", "ld", "meta", "tree")

    def __init__(
        self,
        tree: LexborHTMLParser,
        ld: JsonLd,
        meta: MetaTags,
        first: bool,
        headline: LexborNode | None,
    ) -> None:
        self.tree, self.ld, self.meta, self.first = tree, ld, meta, first
        self.headline = headline
        self._traps: Traps | None = None

    @property
    def traps(self) -> Traps:
        if self._traps is None:
            self._traps = Traps(self.headline, self.tree.body)
        return self._traps

    def stamp(self, text: str | None) -> Stamp | None:
        return read_stamp(text, month_first=self.first) if text else None

    def near_headline(self) -> LexborNode | None:
        """The container ``HEADLINE_LEVELS`` up from the headline (short of ``<body>``)."""
        scope = self.headline
        for _ in range(sel.HEADLINE_LEVELS):
            parent = scope.parent if scope is not None else None
            if parent is None or parent.tag in ("body", "html"):
                break
            scope = parent
        return scope if scope is not self.headline else None


def _metadata(page: _Page) -> Iterator[Stamp | None]:
    """The page's machine-readable publication dates, most trusted first (lazily)."""
    yield page.stamp(page.ld.published)
    for key in sel.PUBLISHED_META:
        for value in page.meta.values.get(key, ()):
            yield page.stamp(value)
    for key, values in page.meta.values.items():
        if key.rpartition(":")[2].rpartition(".")[2] in sel.PUBLISHED_META_SUFFIXES:
            yield from (page.stamp(value) for value in values)
    # Markup counts by the headline; elsewhere it may be a teaser list's (the byline search
    # still sees it). With no headline, anywhere but in comments and teaser lists.
    scope = page.near_headline()
    if scope is not None:
        nodes = scope.css(sel.PUBLISHED_MARKUP)
    elif page.headline is None:
        nodes = [n for n in page.tree.css(sel.PUBLISHED_MARKUP) if page.traps.level(n) < 2]
    else:
        nodes = []
    for node in nodes:
        yield _markup_stamp(page, node)
    for value in page.ld.other_published:
        yield page.stamp(value)


def _markup_stamp(page: _Page, node: LexborNode) -> Stamp | None:
    attrs = node.attributes
    for key in ("datetime", "content", "title"):
        if found := page.stamp(attrs.get(key)):
            return found
    return page.stamp(node.text(separator=" ")[:_MAX_MARKUP_CHARS])


def _zone_evidence(page: _Page, machine: Iterable[Stamp]) -> Iterator[Stamp]:
    """The page's timestamps, the other machine dates first: their offsets, or their wall-clock
    times, tell its zone (lazily: the ``<time>`` elements are looked for only if needed)."""
    yield from (s for s in machine if s.timed)
    texts: list[str | None] = [*page.ld.other_dates, page.ld.modified]
    texts += [v for key in sel.ZONE_META for v in page.meta.values.get(key, ())]
    yield from (s for t in texts if (s := page.stamp(t)) is not None and s.timed)
    for node in page.tree.css("time[datetime]")[:_MAX_ZONE_TIMES]:
        if (s := page.stamp(node.attributes.get("datetime"))) is not None and s.timed:
            yield s


def _shown_days(page: _Page, url_day: datetime | None) -> Iterator[date]:
    """Days the page shows, most trusted first (lazily: the visible search costs): the URL's,
    the byline's by the headline."""
    if url_day is not None:
        yield url_day.date()
    if (shown := headline_day(page.headline, page.traps, month_first=page.first)) is not None:
        yield shown.day


def find_published(
    tree: LexborHTMLParser,
    ld: JsonLd,
    meta: MetaTags,
    url: str | None,
    *,
    language: str | None = None,
    headline: LexborNode | None = None,
    source: str = "",
) -> Published | None:
    """The page's publication date, or None when it gives none.

    ``language`` is the page's language tag (its region orders numeric dates); ``headline`` the
    article's heading element (``titles.find_title``), where the byline is looked for first;
    ``source`` the page's HTML, searched last.
    """
    page = _Page(tree, ld, meta, month_first(language), headline)
    url_day = date_from_url(url)
    stamps = (s for s in _metadata(page) if s is not None)
    if (best := next(stamps, None)) is not None:
        at = best.at
        if best.kind is not Kind.OFFSET:  # only then does the rest of the page matter
            evidence = _zone_evidence(page, stamps)
            days: Iterable[date] = _shown_days(page, url_day) if best.kind is Kind.UTC else ()
            at = localise(best, evidence, days)
        return Published(at=at, source=DateSource.METADATA, timed=best.timed)
    visible = visible_dates(tree, page.headline, page.traps, month_first=page.first)
    if visible:
        best = visible[0].stamp
        at = best.at
        if best.kind is not Kind.OFFSET:
            shown = [url_day.date()] if url_day is not None else []
            at = localise(best, _zone_evidence(page, ()), shown)
        return Published(at=at, source=DateSource.VISIBLE, timed=best.timed)
    if url_day is not None:
        return Published(at=url_day, source=DateSource.URL, timed=False)
    # Last: the day in the path of the page's picture (``/files/2016/05/04/…``), uploaded for it;
    # then the first timestamp in its source, where pages and their scripts stamp themselves.
    if image_day := date_from_url(meta.first("og:image", "twitter:image")):
        return Published(at=image_day, source=DateSource.URL, timed=False)
    if (stamp := first_timestamp(source, month_first=page.first)) is not None:
        return Published(at=stamp.at, source=DateSource.VISIBLE, timed=True)
    return None
