"""Assembling an ``Article`` from a page: metadata first, then the DOM, then guesses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urljoin, urlsplit

from watchwire.charset import decode_html
from watchwire.extract import dates
from watchwire.extract.charset import parse_html
from watchwire.extract.content import extract_paragraphs
from watchwire.extract.metadata import JsonLd, MetaTags, read_json_ld, read_meta
from watchwire.extract.published import Published, find_published
from watchwire.extract.selectors import AUTHOR_META, AUTHOR_PREFIX, DATELINE, MODIFIED_META
from watchwire.extract.titles import find_title
from watchwire.models import Article

if TYPE_CHECKING:
    from datetime import datetime

    from selectolax.lexbor import LexborHTMLParser

__all__ = ["Extracted", "article_to_json", "extract_article", "read_article"]

MAX_TAGS: Final = 50
LANGUAGE: Final = re.compile(r"[a-z]{2,3}")
LEAD_CHARS: Final = 600
MAX_AUTHOR_CHARS: Final = 100


def _clean(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _absolute(link: str, base: str | None) -> str | None:
    link = link.strip()
    if not link:
        return None
    try:
        joined = urljoin(base or "", link)
        scheme = urlsplit(joined).scheme
    except ValueError:
        return None
    return joined if scheme in ("http", "https") else None


def _modified(tree: LexborHTMLParser, ld: JsonLd, meta: MetaTags) -> datetime | None:
    found = dates.parse_date(ld.modified) or meta.date(*MODIFIED_META)
    if found:
        return found
    node = tree.css_first('[itemprop="dateModified" i]')
    if node is None:
        return None
    attrs = node.attributes
    return dates.parse_date(attrs.get("datetime") or attrs.get("content") or node.text())


def _authors(tree: LexborHTMLParser, ld: JsonLd, meta: MetaTags) -> tuple[str, ...]:
    names = ld.authors or [
        value for key in AUTHOR_META for value in meta.all(key) if "://" not in value
    ]
    if not names:
        names = [_clean(a.text()) for a in tree.css('a[rel="author"], [itemprop="author"]')]
    return tuple(dict.fromkeys(n for n in map(_author_name, names) if n))


def _author_name(text: str) -> str:
    """``By Jane Roe | November 18, 2019 12:01 PM`` to ``Jane Roe``; URLs are not names."""
    name = AUTHOR_PREFIX.sub("", text.split(" | ", 1)[0]).strip()
    if (date := DATELINE.search(name)) is not None:
        name = name[: date.start()].rstrip(" ,-–—|")
    return "" if "://" in name or len(name) > MAX_AUTHOR_CHARS else name


def _language(tree: LexborHTMLParser, ld: JsonLd, meta: MetaTags) -> str | None:
    html = tree.css_first("html")
    for value in (
        html.attributes.get("lang") if html is not None else None,
        ld.language,
        meta.first("og:locale", "content-language", "language", "dc.language"),
    ):
        if value and (match := LANGUAGE.match(value.strip().lower().replace("_", "-"))):
            primary = match.group()
            if len(value.strip()) == len(primary) or value.strip()[len(primary)] in "-_":
                return primary
    return None


def _locale(tree: LexborHTMLParser, ld: JsonLd, meta: MetaTags) -> str | None:
    """The page's language tag as written (``en-US``): its region orders numeric dates."""
    html = tree.css_first("html")
    value = (html.attributes.get("lang") if html is not None else None) or ld.language
    return (value or meta.first("og:locale", "content-language", "language")).strip() or None


def _canonical(tree: LexborHTMLParser, ld: JsonLd, meta: MetaTags, url: str | None) -> str | None:
    link = tree.css_first('link[rel="canonical"]')
    for candidate in (
        link.attributes.get("href") if link is not None else None,
        meta.first("og:url"),
        ld.url,
    ):
        if candidate and (absolute := _absolute(candidate, url)):
            return absolute
    return url


def _section(ld: JsonLd, meta: MetaTags) -> str | None:
    section = ld.section or meta.first("article:section", "section", "parsely-section")
    return section.split(",", 1)[0].strip() or None


def _tags(ld: JsonLd, meta: MetaTags) -> tuple[str, ...]:
    tags = meta.all("article:tag") or ld.keywords
    if not tags:
        tags = [meta.first("news_keywords", "keywords")]
    split = (_clean(part) for tag in tags for part in tag.split(","))
    return tuple(dict.fromkeys(t for t in split if t))[:MAX_TAGS]


@dataclass(frozen=True, slots=True)
class Extracted:
    """An article, and what its publication date rests on (for weighing it against a feed's)."""

    article: Article
    published: Published | None


def extract_article(html: str | bytes, url: str | None = None) -> Article:
    """The article in a page: metadata and body text, with the page chrome left out.

    Never raises on odd input; a page with nothing recognisable gives a mostly empty article.
    """
    return read_article(html, url).article


def read_article(html: str | bytes, url: str | None = None) -> Extracted:
    """:func:`extract_article`, with where its ``published_at`` came from."""
    source = decode_html(html) if isinstance(html, bytes) else html
    tree = parse_html(source)
    ld = read_json_ld(tree) or JsonLd()
    meta = read_meta(tree)
    headline = find_title(tree, ld, meta, url)
    title = headline.title
    paragraphs = tuple(extract_paragraphs(tree.body or tree.root, title))
    if len(ld.body) > 2 * sum(map(len, paragraphs)) + 200:
        paragraphs = tuple(p for p in (_clean(line) for line in ld.body.splitlines()) if p)
    lead = ld.description or meta.first("og:description", "twitter:description", "description")
    if not lead and paragraphs:
        lead = paragraphs[0]
    image = ld.image or meta.first("og:image", "og:image:url", "twitter:image")
    language = _language(tree, ld, meta)
    published = find_published(
        tree,
        ld,
        meta,
        url,
        language=_locale(tree, ld, meta),
        headline=headline.node,
        source=source,
    )
    article = Article(
        title=title,
        text="\n\n".join(paragraphs),
        paragraphs=paragraphs,
        lead=_clean(lead)[:LEAD_CHARS],
        published_at=published.at if published else None,
        modified_at=_modified(tree, ld, meta),
        authors=_authors(tree, ld, meta),
        url=_canonical(tree, ld, meta, url),
        language=language,
        section=_section(ld, meta),
        tags=_tags(ld, meta),
        image=_absolute(image, url) if image else None,
    )
    return Extracted(article=article, published=published)


def article_to_json(article: Article) -> dict[str, Any]:
    """A JSON-ready dict of an article: dates as ISO 8601, tuples as lists."""
    return {
        "url": article.url,
        "title": article.title,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "modified_at": article.modified_at.isoformat() if article.modified_at else None,
        "authors": list(article.authors),
        "language": article.language,
        "section": article.section,
        "tags": list(article.tags),
        "image": article.image,
        "lead": article.lead,
        "text": article.text,
        "paragraphs": list(article.paragraphs),
    }
