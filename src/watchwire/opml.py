"""OPML, the outline format feed readers import and export subscriptions in.

``read_opml`` takes the feeds out of a file (nested folders become categories), refusing
what could make an XML parser misbehave: a file that declares a DOCTYPE (where entities, the
"billion laughs", live) is not read; expat never fetches external entities. ``write_opml``
writes sources as a subscription list. Pure: bytes in, values out.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["OpmlError", "OpmlFeed", "read_opml", "source_name", "write_opml"]

MAX_OPML_BYTES = 10_000_000


class OpmlError(ValueError):
    """Not an OPML file we read; the message says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OpmlFeed:
    title: str
    url: str
    """The feed's URL (``xmlUrl``)."""
    site: str | None = None
    """The site's home page (``htmlUrl``)."""
    category: str | None = None
    """The folder it was in, ``a/b`` when nested."""


def read_opml(data: bytes) -> list[OpmlFeed]:
    """The feeds of an OPML file, in document order."""
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError(f"larger than {MAX_OPML_BYTES // 1_000_000} MB")
    head = data[:65536]
    if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
        raise OpmlError("it declares a DOCTYPE, which OPML has no use for (refused for safety)")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise OpmlError(f"not well-formed XML ({exc})") from None
    if root.tag != "opml":
        raise OpmlError(f"its root element is <{root.tag}>, not <opml>")
    body = root.find("body")
    if body is None:
        raise OpmlError("it has no <body>")
    feeds: list[OpmlFeed] = []
    _walk(body, (), feeds)
    return feeds


def _walk(node: ET.Element, folders: tuple[str, ...], out: list[OpmlFeed]) -> None:
    for outline in node.findall("outline"):
        title = (outline.get("title") or outline.get("text") or "").strip()
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url:
            out.append(OpmlFeed(
                title=title or url, url=url, site=(outline.get("htmlUrl") or "").strip() or None,
                category="/".join(folders) or None,
            ))  # fmt: skip
        _walk(outline, (*folders, title) if title and not url else folders, out)


def write_opml(feeds: Iterable[OpmlFeed], *, title: str) -> bytes:
    """A subscription list of ``feeds``, grouped in folders by category."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for feed in feeds:
        parent = body
        if feed.category:
            parent = folders.get(feed.category) or folders.setdefault(
                feed.category, ET.SubElement(body, "outline", text=feed.category)
            )
        attrs = {"type": "rss", "text": feed.title, "title": feed.title, "xmlUrl": feed.url}
        if feed.site:
            attrs["htmlUrl"] = feed.site
        ET.SubElement(parent, "outline", attrs)
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


_NOT_NAME = re.compile(r"[^a-z0-9_.-]+")


def source_name(title: str, url: str, taken: set[str]) -> str:
    """A source name (letters, digits, ``_.-``) from a feed's title (its host when the title
    has no Latin letters or digits), unique among ``taken``, which it joins."""
    base = _slug(title) or _slug(urlsplit(url).hostname or "") or "feed"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def _slug(text: str) -> str:
    return _NOT_NAME.sub("-", text.casefold()).strip("-._")[:40].rstrip("-._")
