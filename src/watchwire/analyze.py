"""The CPU-heavy, pure part of handling one article page: decode, extract, fingerprint.

Kept apart, with plain picklable arguments, so that the service can run it in worker
processes and use every core, while fetching, storing and matching stay on the event loop.

Which publication date an article gets, when its feed entry (or sitemap entry) and its page
both give one, is decided here (``docs/crawl.md``, "Which date wins"): the page's own metadata,
then the feed's timestamp, then the day the page shows, then the URL's day.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from watchwire.charset import decode_html
from watchwire.dedupe import TextFingerprint, fingerprint
from watchwire.extract import DateSource, Published, read_article
from watchwire.extract.zones import onto_day
from watchwire.models import Article, Link

__all__ = ["Analysis", "analyze_page", "published_at"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Analysis:
    article: Article
    fingerprint: TextFingerprint


def published_at(page: Published | None, feed: datetime | None) -> datetime | None:
    """The publication date of an article from what its page and its feed entry say.

    The page's metadata is the newsroom's own record of when it published, where a feed's date
    may be when the entry was last edited or syndicated: it wins. A feed's timestamp beats what
    a page shows only as a day (a byline date, the URL's ``/2019/03/14/``): the day can be
    another one than the instant's, and a URL's may be the day of an event. Where the winner
    is a day and the other is an instant on that day, the instant is kept.
    """
    if page is None:
        return feed
    if feed is None:
        return page.at
    if page.source is DateSource.METADATA:
        if not page.timed and onto_day(feed, page.at.date()) is not None:
            return feed  # the page says the day, the feed says when in it
        return page.at
    return feed


def analyze_page(
    content: bytes | None,
    *,
    charset: str | None,
    url: str,
    link: Link,
    language: str | None,
) -> Analysis | None:
    """The article of a fetched page (``content``; None if the fetch failed), with the feed
    entry's data as fallbacks, and its fingerprint. None when there is no article at all."""
    found = None
    if content is not None:
        found = read_article(decode_html(content, charset=charset), url=url)
    if (found is None or not found.article.text) and link.content_html:
        found = read_article(link.content_html, url=link.url)
    if found is None or not (found.article.text or found.article.title):
        return None
    article = found.article
    article = replace(
        article,
        title=article.title or link.title or "",
        published_at=published_at(found.published, link.published_at),
        modified_at=article.modified_at or link.updated_at,
        language=article.language or link.language or language,
        lead=article.lead or (link.summary or "")[:1000],
    )
    return Analysis(article=article, fingerprint=fingerprint(article.text or article.title))
