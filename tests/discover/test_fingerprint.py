"""The unchanged-feed check."""

from __future__ import annotations

from collections.abc import Callable

from watchwire.discover import feed_fingerprint

Read = Callable[[str], bytes]


def test_same_bytes_same_fingerprint(fixture_bytes: Read) -> None:
    """A 32-hex-digit hash, stable for the same body."""
    content = fixture_bytes("rss20-unn-50.xml")
    assert feed_fingerprint(content) == feed_fingerprint(bytes(content))
    assert len(feed_fingerprint(content)) == 32


def test_rebuilt_header_and_trailing_comment_do_not_count(fixture_bytes: Read) -> None:
    """A new lastBuildDate or a cache comment after the root is not a change."""
    content = fixture_bytes("rss20-unn-50.xml")
    rebuilt = content.replace(
        b"<lastBuildDate>Mon, 17 Feb 2025 10:05:00 +0200</lastBuildDate>",
        b"<lastBuildDate>Mon, 17 Feb 2025 10:09:59 +0200</lastBuildDate>",
    )
    rebuilt += b"<!-- served from cache in 0.002s at 10:09:59 -->\n"
    assert rebuilt != content
    assert feed_fingerprint(rebuilt) == feed_fingerprint(content)


def test_a_changed_entry_changes_the_fingerprint(fixture_bytes: Read) -> None:
    """Any change among the entries is a change, dates included."""
    content = fixture_bytes("rss20-unn-50.xml")
    edited = content.replace(b"+0200</pubDate>", b"+0300</pubDate>", 1)
    assert feed_fingerprint(edited) != feed_fingerprint(content)


def test_non_feed_documents_are_hashed_whole() -> None:
    """HTML and sitemaps have no header to forgive."""
    assert feed_fingerprint(b"<html><!-- a --></html>") != feed_fingerprint(b"<html></html>")
