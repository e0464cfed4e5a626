"""JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1): items to links."""

from __future__ import annotations

import html
import json
from typing import Any

from watchwire.discover.common import (
    LinkList,
    absolute_url,
    clean_text,
    primary_language,
    resolve_url,
    strip_or_none,
)
from watchwire.discover.dates import parse_date
from watchwire.models import Link

__all__ = ["parse_json_feed"]


def parse_json_feed(
    content: bytes, *, url: str, max_links: int = 50_000
) -> tuple[tuple[Link, ...], str | None]:
    """The items of a JSON Feed as links, and why the document is broken if it is."""
    try:
        document = json.loads(content)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        return (), f"not JSON: {exc}"
    if not isinstance(document, dict):
        return (), "not a JSON Feed: the top level is not an object"
    version = document.get("version")
    if not (isinstance(version, str) and "jsonfeed.org/version/" in version):
        return (), "not a JSON Feed: no jsonfeed.org version"
    items = document.get("items")
    if not isinstance(items, list):
        return (), "not a JSON Feed: no items list"
    language = primary_language(_str(document.get("language")))
    links = LinkList(max_links)
    for item in items:
        if not links.add_or_skip(_link(item, url, language) if isinstance(item, dict) else None):
            break
    return links.to_tuple(), links.error()


def _link(item: dict[str, Any], base: str, language: str | None) -> Link | None:
    guid = item.get("id")
    guid = str(guid) if isinstance(guid, str | int) and not isinstance(guid, bool) else None
    target = (
        resolve_url(base, _str(item.get("url")))
        or resolve_url(base, _str(item.get("external_url")))
        or absolute_url(guid)
    )
    if target is None:
        return None
    content = _str(item.get("content_html"))
    if content is None and (text := _str(item.get("content_text"))):
        content = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n") if p.strip())
    return Link(
        url=target,
        title=clean_text(_str(item.get("title"))),
        published_at=parse_date(_str(item.get("date_published"))),
        updated_at=parse_date(_str(item.get("date_modified"))),
        summary=strip_or_none(_str(item.get("summary"))),
        guid=strip_or_none(guid),
        content_html=strip_or_none(content),
        language=primary_language(_str(item.get("language"))) or language,
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
