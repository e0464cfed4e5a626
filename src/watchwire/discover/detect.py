"""What a source document is: a feed, a sitemap or an HTML page, from its bytes and media type.

The content decides; the media type only breaks ties, because servers get it wrong both ways
(RSS served as ``text/html``, HTML error pages served as ``application/rss+xml``).
"""

from __future__ import annotations

import contextlib
import html
import json
import re

from watchwire.gzipfile import GzipError, is_gzip, iter_gunzip
from watchwire.models import SourceKind

__all__ = [
    "declares_encoding",
    "declares_entities",
    "describe_document",
    "detect_kind",
    "kind_from_content_type",
    "sniff_kind",
    "xml_prolog_problem",
]

_HEAD = 4096
_PROLOG_SCAN = 65536

# The first element's name: "<" then a name start character ("<?" and "<!" are skipped).
_FIRST_ELEMENT = re.compile(r"<([A-Za-z_][\w:.-]*)")
_FIRST_ELEMENT_BYTES = re.compile(rb"<[A-Za-z_]")
_HTML_DOCTYPE = re.compile(r"<!doctype\s+html", re.IGNORECASE)
_ENCODING_DECLARED = re.compile(rb"\s*<\?xml[^>]*encoding=", re.ASCII)
_URL_LINE = re.compile(r"https?://\S+$")
_WRAPPED_FEED = re.compile(
    r"<(?:\w+:)?feed\s[^>]*xmlns(?::\w+)?\s*=\s*[\"']http://(?:www\.w3\.org/2005/Atom|purl\.org/atom/ns#)"
    r"|<rss[\s>]"
)

_FEED_ROOTS = frozenset({"rss", "RDF", "feed", "channel"})
_SITEMAP_ROOTS = frozenset({"urlset", "sitemapindex"})
# Elements an HTML document (or a fragment a sloppy server sends) starts with.
_HTML_ROOTS = frozenset(
    {"html", "head", "body", "meta", "title", "link", "script", "style", "div", "p", "a", "table"}
)

_FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/x-rss+xml",
        "application/x-atom+xml",
    }
)
_SITEMAP_TYPES = frozenset({"application/x-gzip", "application/gzip"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def detect_kind(content: bytes, content_type: str | None) -> SourceKind | None:
    """The kind of document ``content`` is, or None when neither content nor type tells."""
    return sniff_kind(content) or kind_from_content_type(content_type)


def kind_from_content_type(content_type: str | None) -> SourceKind | None:
    """What the media type claims; ``text/xml`` and ``application/json`` claim nothing."""
    if not content_type:
        return None
    media = content_type.split(";", 1)[0].strip().lower()
    if media in _FEED_TYPES:
        return SourceKind.FEED
    if media in _SITEMAP_TYPES:
        return SourceKind.SITEMAP
    if media in _HTML_TYPES:
        return SourceKind.PAGE
    return None


def sniff_kind(content: bytes) -> SourceKind | None:
    """The kind from the bytes alone: the root element, a JSON Feed version, a URL list."""
    head = content[:_HEAD]
    if is_gzip(head):
        # A gzip'd file (HTTP compression is undone by the fetcher): mostly sitemaps.
        return _sniff_text(_gunzip_head(content))
    return _sniff_text(head, content)


def _sniff_text(head: bytes, whole: bytes | None = None) -> SourceKind | None:
    text = _decode_head(head).lstrip()
    if not text:
        return None
    if text.startswith(("{", "[")):
        # PHP's json_encode writes "jsonfeed.org\/version", hence no slash in the needle.
        return SourceKind.FEED if b"jsonfeed.org" in (whole or head) else None
    if text.startswith(("http://", "https://")):
        first_line = text.split("\n", 1)[0].strip()
        return SourceKind.SITEMAP if _URL_LINE.match(first_line) else None  # one URL a line
    if _HTML_DOCTYPE.search(text[:1024]):
        # An Atom feed served inside an XHTML page is still a feed.
        return SourceKind.FEED if _WRAPPED_FEED.search(text) else SourceKind.PAGE
    match = _FIRST_ELEMENT.search(text)
    if match is None:
        return None
    name = match.group(1)
    local = name.rpartition(":")[2]
    if local in _FEED_ROOTS:
        return SourceKind.FEED
    if local in _SITEMAP_ROOTS:
        return SourceKind.SITEMAP
    if name.lower() in _HTML_ROOTS:
        return SourceKind.PAGE
    return None


def _decode_head(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    # ASCII-compatible encodings agree on the markup; other bytes do not matter here.
    return head.decode("latin-1").lstrip("\ufeff\xef\xbb\xbf")


def _gunzip_head(content: bytes) -> bytes:
    try:
        return next(iter_gunzip(content[: _HEAD * 4], chunk=_HEAD), b"")
    except GzipError:
        return b""


_FORMATS = {
    "rss": "an RSS feed",
    "RDF": "an RSS 1.0 feed",
    "channel": "an RSS feed",
    "feed": "an Atom feed",
    "urlset": "a sitemap",
    "sitemapindex": "a sitemap index",
}
_TITLE = re.compile(r"<(?:\w+:)?title\b[^>]*>(.*?)</(?:\w+:)?title>", re.DOTALL | re.IGNORECASE)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_JSON_TITLE = re.compile(r'"title"\s*:\s*"((?:[^"\\]|\\.)*)"')


def describe_document(content: bytes) -> tuple[str, str | None]:
    """What a document is, for people (``an Atom feed``, ``a sitemap index``, ``an HTML
    page``), and its title when it has one at its head (a feed's, a page's). For display only:
    the parsers decide what a document holds."""
    head = content[:_HEAD]
    if is_gzip(head):
        head = _gunzip_head(content)
    text = _decode_head(head).lstrip()
    kind = _sniff_text(head, content)
    title_text = _decode_head(content[:_PROLOG_SCAN])
    if kind is SourceKind.FEED and text.startswith(("{", "[")):
        found = _JSON_TITLE.search(title_text)
        title = json.loads(f'"{found[1]}"') if found else None
        return "a JSON Feed", title
    if kind is SourceKind.SITEMAP and text.startswith(("http://", "https://")):
        return "a sitemap (one URL a line)", None
    if kind is None:
        if b"\x00" in content[:1024]:
            return "a binary file", None
        return ("plain text" if text else "an empty document"), None
    match = _FIRST_ELEMENT.search(text) if kind is not SourceKind.PAGE else None
    name = match.group(1).rpartition(":")[2] if match else ""
    what = _FORMATS.get(name, "an HTML page" if kind is SourceKind.PAGE else f"a {kind}")
    found = _TITLE.search(title_text)
    title = None
    if found:
        inner = _CDATA.sub(lambda m: m[1], found[1])
        title = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inner)).split()) or None
        if title is not None and not title.isascii():
            # The head was read as latin-1 to find markup; titles are mostly UTF-8.
            with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
                title = title.encode("latin-1").decode("utf-8")
    return what, title


def declares_encoding(content: bytes) -> bool:
    """Whether the XML declaration names an encoding (which then beats the HTTP header's)."""
    return _ENCODING_DECLARED.match(content) is not None


def xml_prolog_problem(content: bytes) -> str | None:
    """Why ``content`` should not go to ElementTree, or None.

    Expat expands internal entities (2.4+ caps the amplification, but a cap is not a refusal);
    a DOCTYPE that declares entities has no business in a feed or sitemap, so we refuse it.
    UTF-16/32 documents are refused too: the byte-level check below cannot read them.
    """
    if content.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in content[:4]:
        return "UTF-16/32 XML"
    match = _FIRST_ELEMENT_BYTES.search(content, 0, _PROLOG_SCAN)
    prolog = content[: match.start()] if match else content[:_PROLOG_SCAN]
    if b"<!ENTITY" in prolog:
        return "the DOCTYPE declares entities"
    return None


def declares_entities(content: bytes) -> bool:
    """Whether the document's prolog declares XML entities (``<!ENTITY``), in any encoding.

    A feed has no use for them, and every XML parser's defence against entity bombs is a cap
    met only after a second and tens of megabytes of expansion: refused before parsing.
    """
    head = content[:_PROLOG_SCAN]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4]:
        for name in ("utf-16", "utf-16-le", "utf-16-be", "utf-32"):
            try:
                text = head.decode(name, errors="replace")
            except UnicodeError:  # pragma: no cover - "replace" decodes anything
                continue
            end = _FIRST_ELEMENT.search(text)
            if "<!ENTITY" in (text[: end.start()] if end else text).upper():
                return True
        return False
    match = _FIRST_ELEMENT_BYTES.search(head)
    return b"<!ENTITY" in (head[: match.start()] if match else head).upper()
