"""JSON Feed 1.1."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from watchwire.discover import discover
from watchwire.models import SourceKind

Read = Callable[[str], bytes]

URL = "https://jsonwire.example.org/feed.json"


def test_json_feed_items_become_links(fixture_bytes: Read) -> None:
    """url, external_url or a URL id; items without any URL are skipped."""
    found = discover(fixture_bytes("feed.json"), url=URL)
    assert found.kind is SourceKind.FEED
    assert found.error is None
    assert [link.url for link in found.links] == [
        "https://jsonwire.example.org/2025/02/17/belarus-deal",
        "https://jsonwire.example.org/2025/02/16/potash",
        "https://elsewhere.example.com/story",
    ]


def test_json_feed_item_fields(fixture_bytes: Read) -> None:
    """Title, dates, summary, id, HTML content and the item's language."""
    first = discover(fixture_bytes("feed.json"), url=URL).links[0]
    assert first.title == "Belarus deal takes shape"
    assert first.published_at == datetime(2025, 2, 17, 7, 41, tzinfo=UTC)
    assert first.updated_at == datetime(2025, 2, 17, 8, 0, tzinfo=UTC)
    assert first.summary == "A deal is near."
    assert first.guid == "2"
    assert first.content_html == "<p>The deal <em>would</em> ease sanctions.</p>"
    assert first.language == "en"


def test_json_feed_text_content_becomes_escaped_paragraphs(fixture_bytes: Read) -> None:
    """``content_text`` is turned into HTML paragraphs, escaped."""
    second = discover(fixture_bytes("feed.json"), url=URL).links[1]
    assert second.content_html == "<p>First paragraph.</p><p>Second &lt;paragraph&gt;.</p>"
    assert second.language == "en"  # the feed's language


def test_json_that_is_not_a_feed_is_an_error() -> None:
    """Plain JSON without a jsonfeed.org version is not read as a feed."""
    found = discover(b'{"items": []}', url=URL, kind=SourceKind.FEED)
    assert found.links == ()
    assert found.error == "not a JSON Feed: no jsonfeed.org version"


def test_broken_json_feed_is_an_error() -> None:
    """Truncated JSON: an error, no exception."""
    found = discover(b'{"version": "https://jsonfeed.org/version/1.1", "items": [', url=URL)
    assert found.kind is SourceKind.FEED
    assert found.error is not None and found.error.startswith("not JSON")
