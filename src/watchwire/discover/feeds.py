"""The fast path for RSS 0.9x/1.0/2.0 and Atom 0.3/1.0: one ElementTree parse, one walk.

Well-formed feeds are the common case and are read here in about a millisecond. Anything else
(not well-formed, HTML entities, a DOCTYPE with entity declarations, UTF-16, an unknown root)
raises :class:`NotFastPath`, and the caller hands the bytes to feedparser (``fallback.py``).
"""

from __future__ import annotations

import base64
import binascii
import html
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from watchwire.charset import normalize_charset
from watchwire.discover.common import (
    LinkList,
    absolute_url,
    clean_text,
    primary_language,
    resolve_url,
    strip_or_none,
)
from watchwire.discover.dates import parse_date
from watchwire.discover.detect import declares_encoding, xml_prolog_problem
from watchwire.models import Link

__all__ = ["NotFastPath", "parse_feed_fast"]


class NotFastPath(Exception):
    """The fast parser declines this document; use the fallback."""


# --- namespaces and tags (data, not logic) -----------------------------------------------------

_RSS10 = "{http://purl.org/rss/1.0/}"
_RSS090 = "{http://my.netscape.com/rdf/simple/0.9/}"
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_ATOM10 = "{http://www.w3.org/2005/Atom}"
_ATOM03 = "{http://purl.org/atom/ns#}"
_XML = "{http://www.w3.org/XML/1998/namespace}"
_XHTML = "{http://www.w3.org/1999/xhtml}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_DCTERMS = "{http://purl.org/dc/terms/}"
_CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
_FEEDBURNER_ORIGLINK = "{http://rssnamespace.org/feedburner/ext/1.0}origLink"

# RSS item child tag -> field, for plain RSS and both RDF flavours.
_RSS_FIELDS: dict[str, str] = {}
for _ns in ("", _RSS10, _RSS090):
    _RSS_FIELDS.update(
        {
            f"{_ns}title": "title",
            f"{_ns}link": "link",
            f"{_ns}description": "summary",
            f"{_ns}pubDate": "published",
            f"{_ns}guid": "guid",
            f"{_ns}language": "language",
        }
    )
_RSS_FIELDS.update(
    {
        _CONTENT_ENCODED: "content",
        _FEEDBURNER_ORIGLINK: "origlink",
        f"{_DC}date": "dc_date",
        f"{_DC}language": "language",
        f"{_DCTERMS}modified": "updated",
        f"{_ATOM10}updated": "updated",
        f"{_DCTERMS}issued": "dc_date",
    }
)


@dataclass(frozen=True, slots=True)
class _AtomTags:
    entry: str
    link: str
    title: str
    id: str
    published: str
    updated: str
    summary: str
    content: str


def _atom_tags(ns: str, published: str, updated: str) -> _AtomTags:
    return _AtomTags(
        entry=f"{ns}entry",
        link=f"{ns}link",
        title=f"{ns}title",
        id=f"{ns}id",
        published=f"{ns}{published}",
        updated=f"{ns}{updated}",
        summary=f"{ns}summary",
        content=f"{ns}content",
    )


# Atom 0.3 called them issued and modified.
_ATOM_TAGS = {
    f"{_ATOM10}feed": _atom_tags(_ATOM10, "published", "updated"),
    f"{_ATOM03}feed": _atom_tags(_ATOM03, "issued", "modified"),
}


def parse_feed_fast(
    content: bytes, *, url: str, charset: str | None = None, max_links: int = 50_000
) -> tuple[tuple[Link, ...], str | None]:
    """The entries of a well-formed RSS or Atom feed as links, and a truncation note if any.

    Raises :class:`NotFastPath` when the document is not for this parser.
    """
    if problem := xml_prolog_problem(content):
        raise NotFastPath(problem)
    charset = normalize_charset(charset)  # only WHATWG encodings (never utf-7)
    if charset and charset != "utf-8" and not declares_encoding(content):
        # No declaration: the HTTP header is all we know of the encoding.
        try:
            content = content.decode(charset).encode("utf-8")
        except (LookupError, UnicodeDecodeError) as exc:
            raise NotFastPath(f"cannot decode as {charset}") from exc
    try:
        root = ET.fromstring(content)
    except (ET.ParseError, ValueError, LookupError) as exc:
        raise NotFastPath(str(exc)) from exc
    links = LinkList(max_links)
    if root.tag in _XHTML_ROOTS:
        # An Atom feed (or RSS) served inside an XHTML page: the feed element is the document.
        # (xml:base set on the wrapper is not carried over; feeds so served do not set one.)
        root = _wrapped_feed(root)
    tag = root.tag
    if tag == "rss" or tag == f"{_RDF}RDF":
        _read_rss(root, url, links)
    elif atom := _ATOM_TAGS.get(tag):
        _read_atom(root, atom, url, links)
    else:
        raise NotFastPath(f"root element {tag!r} is not RSS or Atom")
    return links.to_tuple(), links.error()


_XHTML_ROOTS = frozenset({"html", f"{_XHTML}html"})


def _wrapped_feed(root: ET.Element) -> ET.Element:
    for tag in (f"{_ATOM10}feed", f"{_ATOM03}feed", "rss", f"{_RDF}RDF"):
        if (found := root.find(f".//{tag}")) is not None:
            return found
    raise NotFastPath("an HTML page with no feed in it")


# --- RSS ---------------------------------------------------------------------------------------


def _read_rss(root: ET.Element, url: str, links: LinkList) -> None:
    base = _xml_base(root, url)
    channel = root.find("channel")
    if channel is None:
        channel = root.find(f"{_RSS10}channel")
    language = None
    # xml:base is inherited by descendants: RSS 2.0 items sit in the channel, RSS 1.0 items
    # beside it.
    item_base = base
    if channel is not None:
        lang_el = channel.find("language")
        if lang_el is None:
            lang_el = channel.find(f"{_DC}language")
        language = primary_language(lang_el.text if lang_el is not None else None)
        if root.tag == "rss":
            item_base = _xml_base(channel, base)
    for item in _rss_items(root):
        link = _rss_link(item, _xml_base(item, item_base), language)
        if not links.add_or_skip(link):
            return


def _rss_items(root: ET.Element) -> Iterable[ET.Element]:
    if root.tag == "rss":
        return root.iter("item")
    items = list(root.iter(f"{_RSS10}item"))
    return items or list(root.iter(f"{_RSS090}item"))


def _rss_link(item: ET.Element, base: str, language: str | None) -> Link | None:
    fields: dict[str, str | None] = {}
    permalink = True
    for child in item:
        name = _RSS_FIELDS.get(child.tag)
        if name is None:
            if child.tag == f"{_ATOM10}link" and child.get("rel", "alternate") == "alternate":
                fields.setdefault("atom_link", child.get("href"))
            continue
        if name == "guid":
            permalink = child.get("isPermaLink", "true").strip().lower() != "false"
        fields.setdefault(name, child.text)
    about = item.get(f"{_RDF}about")  # RSS 1.0: the item's identity, usually its URL
    guid = strip_or_none(fields.get("guid")) or strip_or_none(about)
    href = fields.get("origlink") or fields.get("link") or fields.get("atom_link")
    target = resolve_url(base, href)
    if target is None:
        target = resolve_url(base, about) or (absolute_url(guid) if permalink else None)
    if target is None:
        return None
    return Link(
        url=target,
        title=clean_text(fields.get("title")),
        published_at=parse_date(fields.get("published") or fields.get("dc_date")),
        updated_at=parse_date(fields.get("updated")),
        summary=strip_or_none(fields.get("summary")),
        guid=guid,
        content_html=strip_or_none(fields.get("content")),
        language=primary_language(fields.get("language")) or language,
    )


# --- Atom --------------------------------------------------------------------------------------


def _read_atom(root: ET.Element, tags: _AtomTags, url: str, links: LinkList) -> None:
    base = _xml_base(root, url)
    language = primary_language(root.get(f"{_XML}lang"))
    for entry in root.iter(tags.entry):
        link = _atom_link(entry, tags, base, language)
        if not links.add_or_skip(link):
            return


def _atom_link(entry: ET.Element, tags: _AtomTags, base: str, language: str | None) -> Link | None:
    base = _xml_base(entry, base)
    href: str | None = None
    title = guid = summary = content = None
    published: datetime | None = None
    updated: datetime | None = None
    for child in entry:
        tag = child.tag
        if tag == tags.link:
            if child.get("rel", "alternate") == "alternate" and (
                href is None or child.get("type", "text/html") == "text/html"
            ):
                href = resolve_url(_xml_base(child, base), child.get("href"))
        elif tag == tags.title:
            title = clean_text(_atom_text(child))
        elif tag == tags.id:
            guid = strip_or_none(child.text)
        elif tag == tags.published:
            published = parse_date(child.text)
        elif tag == tags.updated:
            updated = parse_date(child.text)
        elif tag == tags.summary:
            summary = strip_or_none(_atom_text(child))
        elif tag == tags.content:
            content = strip_or_none(_atom_content(child))
    if href is None:
        href = absolute_url(guid)  # an id that is a URL is the best we have
    if href is None:
        return None
    return Link(
        url=href,
        title=title,
        published_at=published or updated,
        updated_at=updated,
        summary=summary,
        guid=guid,
        content_html=content,
        language=primary_language(entry.get(f"{_XML}lang")) or language,
    )


def _xml_base(element: ET.Element, base: str) -> str:
    xml_base = element.get(f"{_XML}base")
    return (resolve_url(base, xml_base) or base) if xml_base else base


def _atom_text(element: ET.Element) -> str | None:
    """An Atom text construct as HTML (``type="xhtml"``) or as text/escaped HTML."""
    kind = element.get("type", "text")
    if kind in ("xhtml", "application/xhtml+xml"):
        return _inner_xhtml(element)
    return element.text


def _atom_content(element: ET.Element) -> str | None:
    """Atom content as HTML, whatever way the feed carried it."""
    kind = element.get("type", "text")
    mode = element.get("mode", "xml" if "xhtml" in kind else "escaped")  # Atom 0.3
    if element.get("src"):
        return None  # out-of-line content: the page is the content
    if mode == "base64":
        try:
            return base64.b64decode(element.text or "").decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            return None
    if "xhtml" in kind or mode == "xml":
        return _inner_xhtml(element)
    if kind in ("text", "text/plain"):
        return html.escape(element.text or "", quote=False)
    return element.text


def _inner_xhtml(element: ET.Element) -> str:
    container = element.find(f"{_XHTML}div")
    if container is None:
        container = element
    for node in container.iter():
        if isinstance(node.tag, str) and node.tag.startswith(_XHTML):
            node.tag = node.tag[len(_XHTML) :]
    parts = [html.escape(container.text or "", quote=False)]
    parts.extend(ET.tostring(child, encoding="unicode", method="html") for child in container)
    return "".join(parts)
