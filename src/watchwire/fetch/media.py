"""Which content types the fetcher reads, for what, and what it asks for.

Article pages are read only as HTML, XHTML or XML; feeds and sitemaps also as RSS, Atom, RDF,
JSON Feed, JSON, plain text (sitemap.txt) and gzip files (sitemap.xml.gz). HTML is accepted for
feeds because a source URL may be a home page whose feeds are autodiscovered. A response with no
``Content-Type`` is read: the parser judges the bytes.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = ["ACCEPT", "AnyPurpose", "Purpose", "accepts", "parse_content_type"]

Purpose = Literal["page", "feed"]
AnyPurpose = Literal["page", "feed", "robots"]

_HTML_TYPES: Final = frozenset({"text/html", "application/xhtml+xml"})
_XML_TYPES: Final = frozenset({"application/xml", "text/xml"})
_FEED_TYPES: Final = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
        "text/json",
        "text/plain",  # sitemap.txt, and feeds served carelessly
        "application/x-rss+xml",
    }
)
_GZIP_TYPES: Final = frozenset(
    {
        "application/gzip",
        "application/x-gzip",
        "application/gzip-compressed",
        "application/x-gunzip",
    }
)
ACCEPT: Final = {
    "page": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.5",
    "feed": (
        "application/rss+xml,application/atom+xml,application/feed+json,"
        "application/xml;q=0.9,text/xml;q=0.9,application/json;q=0.8,text/html;q=0.7,*/*;q=0.5"
    ),
    "robots": "text/plain,*/*;q=0.5",
}


def accepts(purpose: AnyPurpose, media_type: str | None, url: str) -> bool:
    if media_type is None or purpose == "robots":
        return True  # no Content-Type: let the parser judge the bytes
    if media_type in _HTML_TYPES or media_type in _XML_TYPES:
        return True
    if purpose == "page":
        return False
    return (
        media_type in _FEED_TYPES
        or media_type in _GZIP_TYPES
        or media_type.endswith(("+xml", "+json"))
        or (media_type == "application/octet-stream" and url.split("?", 1)[0].endswith(".gz"))
    )


def parse_content_type(header: str | None) -> tuple[str | None, str | None]:
    """``text/html; charset=UTF-8`` → (``text/html``, ``UTF-8``)."""
    if not header:
        return None, None
    media, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return media.strip().lower() or None, charset
