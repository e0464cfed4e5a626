"""Sitemaps: url sets, indexes, Google News, gzip, size and count limits."""

from __future__ import annotations

import gzip
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime

from watchwire.discover import discover
from watchwire.discover.sitemaps import parse_sitemap
from watchwire.models import SourceKind

Read = Callable[[str], bytes]

SITE = "https://news.example.org/sitemap.xml"


def _urlset(count: int) -> bytes:
    rows = "".join(
        f"<url><loc>https://news.example.org/a/{i}-story-about-something</loc>"
        f"<lastmod>2025-02-17T10:{i % 60:02d}:00Z</lastmod></url>\n"
        for i in range(count)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{rows}</urlset>\n'
    ).encode()


def test_sitemap_index_lists_children_newest_first(fixture_bytes: Read) -> None:
    """Children sorted by lastmod, newest first; undated ones last; relative locs resolved."""
    found = discover(fixture_bytes("sitemap-index.xml"), url=SITE)
    assert found.kind is SourceKind.SITEMAP
    assert found.links == ()
    assert found.sitemaps == (
        "https://news.example.org/sitemap-2025-02.xml.gz",
        "https://news.example.org/sitemap-news.xml",
        "https://news.example.org/sitemap-2025-01.xml.gz",
        "https://news.example.org/sitemap-static.xml",
    )


def test_gzipped_child_sitemap_is_read(fixture_bytes: Read) -> None:
    """Gzip magic is recognised and undone; each URL once, with its lastmod."""
    found = discover(fixture_bytes("sitemap-2025-02.xml.gz"), url=SITE)
    assert found.error is None
    assert [(link.url, link.updated_at) for link in found.links] == [
        (
            "https://news.example.org/world/2025/02/17/potash-exports",
            datetime(2025, 2, 17, 8, 0, tzinfo=UTC),
        ),
        (
            "https://news.example.org/world/2025/02/16/minsk-talks",
            datetime(2025, 2, 16, tzinfo=UTC),
        ),
        ("https://news.example.org/about", None),
    ]


def test_google_news_sitemap_gives_title_date_and_language(fixture_bytes: Read) -> None:
    """``news:title``, ``news:publication_date`` and the publication language are kept."""
    first, second = discover(fixture_bytes("sitemap-news.xml"), url=SITE).links
    assert first.title is not None and first.title.startswith("The United States offers Belarus")
    assert first.published_at == datetime(2025, 2, 17, 7, 41, tzinfo=UTC)
    assert first.language == "en"
    assert second.title == "Графіки відключення світла: що чекає на киян завтра"
    assert second.updated_at == datetime(2025, 2, 17, 6, 15, tzinfo=UTC)


def test_fifty_thousand_urls_parse_quickly() -> None:
    """The protocol's maximum sitemap, gzip'd: every URL, well under a second here."""
    content = gzip.compress(_urlset(50_000))
    started = time.perf_counter()
    found = discover(content, url=SITE)
    elapsed = time.perf_counter() - started
    assert found.error is None
    assert len(found.links) == 50_000
    assert found.links[-1].url == "https://news.example.org/a/49999-story-about-something"
    assert elapsed < 5  # ~0.3-0.6 s here; generous for a loaded CI machine


def test_memory_grows_with_links_not_with_the_document() -> None:
    """A 10 MB sitemap of bulky entries is streamed: the peak stays far below its size."""
    caption = "x" * 2_000
    rows = "".join(
        f"<url><loc>https://news.example.org/a/{i}</loc><image:image><image:caption>{caption}"
        "</image:caption></image:image></url>"
        for i in range(5_000)
    )
    content = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">{rows}</urlset>'
    ).encode()
    tracemalloc.start()
    found = discover(content, url=SITE)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(found.links) == 5_000
    assert len(content) > 10_000_000
    assert peak < 4_000_000


def test_more_urls_than_max_links_are_cut_with_an_error() -> None:
    """The count cap holds and is reported."""
    found = discover(_urlset(100), url=SITE, max_links=30)
    assert len(found.links) == 30
    assert found.error == "more than 30 links: kept the first 30"


def test_gzip_bomb_stops_at_the_size_cap() -> None:
    """Decompression stops at the cap; what was read before it is kept."""
    bomb = gzip.compress(_urlset(2_000) + b" " * 5_000_000)
    links, _, error = parse_sitemap(bomb, url=SITE, max_bytes=1_000_000)
    assert error is not None and "larger than 1000000 bytes" in error
    assert len(links) == 2_000


def test_truncated_gzip_keeps_what_was_read() -> None:
    """A cut-off download yields the URLs before the cut and an error."""
    packed = gzip.compress(_urlset(5_000))
    found = discover(packed[: len(packed) // 2], url=SITE)
    assert found.error is not None
    assert 0 < len(found.links) < 5_000


def test_malformed_sitemap_salvages_the_urls_before_the_fault() -> None:
    """A sitemap broken midway keeps its first entries."""
    content = _urlset(3).replace(b"</urlset>", b"<url><loc>https://news.example.org/x</url>")
    found = discover(content, url=SITE)
    assert found.error is not None and found.error.startswith("malformed sitemap")
    assert len(found.links) == 3


def test_entity_declarations_in_a_sitemap_are_refused() -> None:
    """No DOCTYPE entity expansion in sitemaps either."""
    content = b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x "y">]><urlset><url><loc>&x;'
    content += b"</loc></url></urlset>"
    found = discover(content, url=SITE)
    assert found.links == ()
    assert found.error == "refused: the DOCTYPE declares entities"


def test_text_sitemap_is_one_url_a_line() -> None:
    """The protocol's plain-text form."""
    content = b"https://news.example.org/a/1\r\nhttps://news.example.org/a/2\n\nnot a url\n"
    found = discover(content, url=SITE, content_type="text/plain")
    assert found.kind is SourceKind.SITEMAP
    assert [link.url for link in found.links] == [
        "https://news.example.org/a/1",
        "https://news.example.org/a/2",
    ]
