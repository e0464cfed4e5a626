"""Sitemaps (https://www.sitemaps.org/protocol.html): ``urlset``, ``sitemapindex``, Google News
sitemaps, gzip'd sitemaps and plain-text URL lists.

A sitemap may hold 50,000 URLs and 50 MB, so it is read as a stream: gzip is undone in bounded
chunks (capped at :data:`MAX_SITEMAP_BYTES`), fed to an incremental parser, and every ``<url>``
is cleared once read. Memory grows with the links returned, not with the document.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from typing import cast

from watchwire.discover.common import (
    LinkList,
    absolute_url,
    clean_text,
    primary_language,
    resolve_url,
)
from watchwire.discover.dates import parse_date
from watchwire.discover.detect import xml_prolog_problem
from watchwire.gzipfile import GzipError, is_gzip, iter_gunzip
from watchwire.models import Link

__all__ = ["MAX_SITEMAP_BYTES", "SitemapResult", "parse_sitemap"]

MAX_SITEMAP_BYTES = 64 * 1024 * 1024
"""Cap on a decompressed sitemap: the protocol allows 50 MB; a gzip bomb gets no further."""

_CHUNK = 256 * 1024
_NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"

SitemapResult = tuple[tuple[Link, ...], tuple[str, ...], str | None]


class _TooLarge(Exception):
    pass


def parse_sitemap(
    content: bytes,
    *,
    url: str,
    max_links: int = 50_000,
    max_bytes: int = MAX_SITEMAP_BYTES,
) -> SitemapResult:
    """Links of a ``urlset``, child sitemaps of a ``sitemapindex`` (newest first), and why the
    document is broken if it is. Whatever was read before a fault is kept."""
    links = LinkList(max_links)
    children: list[tuple[datetime | None, str]] = []
    error: str | None = None
    chunks = _gunzip(content, max_bytes) if is_gzip(content) else _split(content)
    try:
        first = next(chunks, b"")
        if first.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"http://", b"https://")):
            _read_text(first, chunks, links)
        elif problem := xml_prolog_problem(first):
            error = f"refused: {problem}"
        else:
            _read_xml(first, chunks, url, links, children, max_links)
    except ET.ParseError as exc:
        error = f"malformed sitemap: {exc}"
    except _TooLarge:
        error = f"sitemap larger than {max_bytes} bytes decompressed: read the first part"
    except GzipError as exc:
        error = f"broken gzip: {exc}"
    except (LookupError, ValueError) as exc:  # an encoding Python does not know, and kin
        error = f"unreadable sitemap: {exc}"
    if error is None and not links and not children:
        error = "empty sitemap" if not content.strip() else None
    # Newest first; undated children last, in document order (sort is stable).
    children.sort(key=lambda child: (child[0] is not None, child[0]), reverse=True)
    return (
        links.to_tuple(),
        tuple(child_url for _, child_url in children),
        error or links.error(),
    )


def _split(content: bytes) -> Iterator[bytes]:
    for start in range(0, len(content), _CHUNK):
        yield content[start : start + _CHUNK]


def _gunzip(content: bytes, max_bytes: int) -> Iterator[bytes]:
    total = 0
    for chunk in iter_gunzip(content, chunk=_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise _TooLarge
        yield chunk


def _read_text(first: bytes, rest: Iterator[bytes], links: LinkList) -> None:
    tail = b""
    for chunk in _chain(first, rest):
        lines = (tail + chunk).split(b"\n")
        tail = lines.pop()
        for line in lines:
            if not _add_text_line(line, links):
                return
    _add_text_line(tail, links)


def _add_text_line(line: bytes, links: LinkList) -> bool:
    target = absolute_url(line.decode("utf-8", errors="replace"))
    return links.add(Link(url=target)) if target else True


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _read_xml(
    first: bytes,
    rest: Iterator[bytes],
    url: str,
    links: LinkList,
    children: list[tuple[datetime | None, str]],
    max_links: int,
) -> None:
    # End events only: "start" events would double the per-element cost for the one element
    # (the root) we would want them for. A read entry is cleared, leaving an empty shell of
    # ~70 bytes in the root: 3.5 MB for 50,000, against ~30 MB for the tree held whole.
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("end",))
    names: dict[str, str] = {}  # tag -> local name, computed once per distinct tag
    last: ET.Element | None = None
    for chunk in _chain(first, rest):
        parser.feed(chunk)
        # Only end events were asked for: each is ("end", element).
        for _, element in cast("Iterator[tuple[str, ET.Element]]", parser.read_events()):
            last = element
            tag = element.tag
            local = names.get(tag) or names.setdefault(tag, tag[tag.rfind("}") + 1 :])
            if local == "url":
                link = _url_entry(element, url, names)
                element.clear()
                if not links.add_or_skip(link):
                    return
            elif local == "sitemap":
                child = _sitemap_entry(element, url, names)
                element.clear()
                if child is not None:
                    if len(children) >= max_links:
                        links.truncated = True
                        return
                    children.append(child)
    parser.close()
    # The last end event is the root's.
    if last is not None and _local(last.tag) not in ("urlset", "sitemapindex"):
        raise ValueError(f"root element {last.tag!r} is not a sitemap")


def _local(tag: str) -> str:
    return tag[tag.rfind("}") + 1 :]


def _url_entry(element: ET.Element, base: str, names: dict[str, str]) -> Link | None:
    loc = lastmod = None
    title = published = language = None
    for child in element:
        local = names.get(child.tag) or _local(child.tag)
        if local == "loc":
            loc = child.text
        elif local == "lastmod":
            lastmod = child.text
        elif child.tag == f"{_NEWS}news":
            title = child.findtext(f"{_NEWS}title")
            published = child.findtext(f"{_NEWS}publication_date")
            language = child.findtext(f"{_NEWS}publication/{_NEWS}language")
    target = resolve_url(base, loc)
    if target is None:
        return None
    return Link(
        url=target,
        title=clean_text(title),
        published_at=parse_date(published),
        updated_at=parse_date(lastmod),
        language=primary_language(language),
    )


def _sitemap_entry(
    element: ET.Element, base: str, names: dict[str, str]
) -> tuple[datetime | None, str] | None:
    loc = lastmod = None
    for child in element:
        local = names.get(child.tag) or _local(child.tag)
        if local == "loc":
            loc = child.text
        elif local == "lastmod":
            lastmod = child.text
    target = resolve_url(base, loc)
    return (parse_date(lastmod), target) if target else None
