"""The CPU-heavy, pure part of handling one article page: decode, extract, fingerprint.

Kept apart, with plain picklable arguments, so that the service can run it in worker
processes and use every core, while fetching, storing and matching stay on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from watchwire.charset import decode_html
from watchwire.dedupe import TextFingerprint, fingerprint
from watchwire.extract import extract_article
from watchwire.models import Article, Link

__all__ = ["Analysis", "analyze_page"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Analysis:
    article: Article
    fingerprint: TextFingerprint


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
    article: Article | None = None
    if content is not None:
        article = extract_article(decode_html(content, charset=charset), url=url)
    if (article is None or not article.text) and link.content_html:
        article = extract_article(link.content_html, url=link.url)
    if article is None or not (article.text or article.title):
        return None
    article = replace(
        article,
        title=article.title or link.title or "",
        published_at=article.published_at or link.published_at,
        modified_at=article.modified_at or link.updated_at,
        language=article.language or link.language or language,
        lead=article.lead or (link.summary or "")[:1000],
    )
    return Analysis(article=article, fingerprint=fingerprint(article.text or article.title))
