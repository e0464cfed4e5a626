"""What a page says about itself: JSON-LD, OpenGraph and ``article:*`` meta, ``<time>``, links.

Structured data comes first and the DOM fills the gaps. Every reader tolerates garbage: JSON-LD
that does not parse, is nested absurdly deep, or has the wrong types is skipped, not fatal.
"""

from __future__ import annotations

import html
import json
import re
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from watchwire.extract import dates

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from selectolax.lexbor import LexborHTMLParser

__all__ = ["JsonLd", "MetaTags", "read_json_ld", "read_meta", "unescape"]

ARTICLE_TYPES: Final = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "backgroundnewsarticle",
        "askpublicnewsarticle",
        "blogposting",
        "liveblogposting",
        "socialmediaposting",
        "scholarlyarticle",
        "techarticle",
        "report",
        "medicalscholarlyarticle",
        "satiricalarticle",
        "advertisercontentarticle",
        "posting",
    }
)
"""schema.org types (lower case) whose object describes the article itself."""
MAX_JSON_NODES: Final = 5_000
"""JSON-LD objects visited per page at most: hostile pages can nest or repeat without end."""
MAX_JSON_CHARS: Final = 2_000_000


@dataclass(slots=True)
class JsonLd:
    """The article object of a page's JSON-LD, flattened to what we read."""

    headline: str = ""
    description: str = ""
    body: str = ""
    url: str = ""
    published: str = ""
    modified: str = ""
    authors: list[str] = field(default_factory=list)
    section: str = ""
    keywords: list[str] = field(default_factory=list)
    image: str = ""
    language: str = ""
    other_published: list[str] = field(default_factory=list)
    """``datePublished``/``dateCreated``/``uploadDate`` of the page's other objects (``WebPage``,
    ``VideoObject``, ...), in document order: the page's date when no article object says it."""
    other_dates: list[str] = field(default_factory=list)
    """Every other date-like value (``dateModified`` included): evidence of the page's zone."""


_PUBLISHED_KEYS: Final = ("datePublished", "dateCreated", "uploadDate")
_OTHER_DATE_KEYS: Final = ("dateModified", "datePublished", "dateCreated", "uploadDate")
MAX_DATES: Final = 20
_DECODER: Final = json.JSONDecoder(strict=False)
_PUBLISHED_IN_TEXT: Final = re.compile(
    r'"(?:datePublished|dateCreated|uploadDate)"\s*:\s*"([^"]{6,40})"'
)


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    names = kind if isinstance(kind, list) else [kind]
    return {n.rsplit("/", 1)[-1].lower() for n in names if isinstance(n, str)}


def _objects(data: Any) -> Iterator[dict[str, Any]]:
    """Every dict in a JSON-LD document, breadth first, within ``MAX_JSON_NODES``."""
    queue = deque([data])
    seen = 0
    while queue and seen < MAX_JSON_NODES:
        item = queue.popleft()
        seen += 1
        if isinstance(item, dict):
            yield item
            queue.extend(v for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            queue.extend(v for v in item if isinstance(v, dict | list))


def unescape(text: str) -> str:
    """Whitespace collapsed and entities decoded: many CMSs escape metadata twice."""
    if "&" in text:
        text = html.unescape(text)
    return " ".join(text.split())


def _text(value: Any) -> str:
    """A plain string from a JSON-LD value that may be a string, an object or a list."""
    if isinstance(value, list):
        value = next((v for v in value if v), "")
    if isinstance(value, dict):
        value = value.get("name") or value.get("url") or value.get("@id") or ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return unescape(value) if isinstance(value, str) else ""


def _names(value: Any) -> list[str]:
    """People's names: a string, an object's ``name``, or a list of those (never an ``@id``)."""
    items = value if isinstance(value, list) else [value]
    names = (item.get("name") if isinstance(item, dict) else item for item in items)
    return [unescape(n) for n in names if isinstance(n, str) and n.strip() and "://" not in n]


def _keywords(value: Any) -> list[str]:
    if isinstance(value, str):
        return [k.strip() for k in unescape(value).split(",") if k.strip()]
    items = value if isinstance(value, list) else [value]
    return [text for item in items if (text := _text(item))]


def _article(obj: dict[str, Any]) -> JsonLd:
    image = obj.get("image") or obj.get("thumbnailUrl")
    if isinstance(image, dict):
        image = image.get("url") or image.get("contentUrl")
    body = obj.get("articleBody")
    return JsonLd(
        headline=_text(obj.get("headline") or obj.get("name")),
        description=_text(obj.get("description")),
        body=body.strip() if isinstance(body, str) else "",
        url=_text(obj.get("url") or obj.get("mainEntityOfPage")),
        published=_text(obj.get("datePublished") or obj.get("dateCreated")),
        modified=_text(obj.get("dateModified")),
        authors=_names(obj.get("author") or obj.get("creator")),
        section=_text(obj.get("articleSection")),
        keywords=_keywords(obj.get("keywords")),
        image=_text(image),
        language=_text(obj.get("inLanguage")),
    )


def _loads(raw: str) -> Any:
    """A JSON-LD script's value; only the first when a CMS wrote two one after the other."""
    try:
        return json.loads(raw, strict=False)
    except json.JSONDecodeError as exc:
        if not exc.msg.startswith("Extra data"):
            raise
        return _DECODER.raw_decode(raw.lstrip())[0]


def read_json_ld(tree: LexborHTMLParser) -> JsonLd | None:
    """The first article-typed object in the page's JSON-LD scripts (``@graph`` included),
    with the dates of the other objects; None when the page has no JSON-LD object at all."""
    found: JsonLd | None = None
    other_published: list[str] = []
    other_dates: list[str] = []
    for script in tree.css("script"):
        kind = (script.attributes.get("type") or "").lower()
        if "ld+json" not in kind:
            continue
        raw = script.text(deep=True)
        if len(raw) > MAX_JSON_CHARS:
            continue
        if found is not None and "date" not in raw and "Date" not in raw:
            continue  # the article is read; a breadcrumb or a logo has no dates to give
        try:
            data = _loads(raw)
        except (ValueError, RecursionError):
            # Broken JSON (a trailing comma, a raw newline): its dates can still be read.
            other_published.extend(m[1] for m in _PUBLISHED_IN_TEXT.finditer(raw, 0, 100_000))
            continue
        for obj in _objects(data):
            if found is None and _types(obj) & ARTICLE_TYPES:
                found = _article(obj)
                continue
            if len(other_dates) >= MAX_DATES:
                continue
            published = next((v for k in _PUBLISHED_KEYS if (v := obj.get(k))), None)
            if isinstance(published, str):
                other_published.append(published)
            other_dates.extend(v for k in _OTHER_DATE_KEYS if isinstance(v := obj.get(k), str))
    if found is None and not other_dates and not other_published:
        return None
    found = found or JsonLd()
    found.other_published = other_published
    found.other_dates = other_dates
    return found


@dataclass(slots=True)
class MetaTags:
    """``<meta>`` contents by lower-cased ``property``/``name``/``itemprop``, in page order."""

    values: dict[str, list[str]] = field(default_factory=dict)

    def first(self, *keys: str) -> str:
        for key in keys:
            for value in self.values.get(key, ()):
                if value:
                    return value
        return ""

    def all(self, key: str) -> list[str]:
        return [v for v in self.values.get(key, ()) if v]

    def date(self, *keys: str) -> datetime | None:
        for key in keys:
            for value in self.values.get(key, ()):
                if found := dates.parse_date(value):
                    return found
        return None


def read_meta(tree: LexborHTMLParser) -> MetaTags:
    """Every ``<meta>`` with content, keyed as pages key them."""
    meta = MetaTags()
    for node in tree.css("meta"):
        attrs = node.attributes
        content = attrs.get("content")
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = attrs.get(attr)
            if key:
                meta.values.setdefault(key.strip().lower(), []).append(unescape(content))
    return meta
