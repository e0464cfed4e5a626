"""``discover`` as a whole: detection, the public surface, and never raising on bad input."""

from __future__ import annotations

import gzip
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import watchwire.discover
from watchwire.budget import INLINE_MAX_BYTES, INLINE_MAX_TAGS, NeedsSandbox
from watchwire.discover import detect_kind, discover
from watchwire.models import SourceKind

Read = Callable[[str], bytes]

URL = "https://news.example.org/feed"


def test_public_names_are_sorted_and_importable() -> None:
    """``__all__`` is sorted, and every name in it exists."""
    names = watchwire.discover.__all__
    assert names == sorted(names)
    assert all(hasattr(watchwire.discover, name) for name in names)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("rss20-unn.xml", SourceKind.FEED),
        ("rss10-rdf.xml", SourceKind.FEED),
        ("rss091.xml", SourceKind.FEED),
        ("atom10.xml", SourceKind.FEED),
        ("atom03.xml", SourceKind.FEED),
        ("feed.json", SourceKind.FEED),
        ("malformed.xml", SourceKind.FEED),
        ("rss-windows-1251.xml", SourceKind.FEED),
        ("sitemap-index.xml", SourceKind.SITEMAP),
        ("sitemap-news.xml", SourceKind.SITEMAP),
        ("sitemap-2025-02.xml.gz", SourceKind.SITEMAP),
        ("listing.html", SourceKind.PAGE),
        ("home.html", SourceKind.PAGE),
    ],
)
def test_kind_is_detected_from_content(fixture_bytes: Read, name: str, kind: SourceKind) -> None:
    """The bytes decide, whatever the server called them."""
    assert detect_kind(fixture_bytes(name), "text/html") is kind
    assert detect_kind(fixture_bytes(name), None) is kind


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("application/rss+xml; charset=utf-8", SourceKind.FEED),
        ("application/atom+xml", SourceKind.FEED),
        ("application/feed+json", SourceKind.FEED),
        ("text/html", SourceKind.PAGE),
        ("application/xml", None),
        (None, None),
    ],
)
def test_content_type_decides_only_when_content_does_not(
    content_type: str | None, kind: SourceKind | None
) -> None:
    """Undecidable bytes fall back on the media type."""
    assert detect_kind(b"", content_type) is kind


def test_bom_and_comments_before_the_root_are_skipped() -> None:
    """A UTF-8 BOM, an XML declaration and a comment do not hide the root element."""
    content = b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- generated --><rss version="2.0"/>'
    assert detect_kind(content, None) is SourceKind.FEED


def test_html_served_as_a_feed_is_an_error_with_its_feeds(fixture_bytes: Read) -> None:
    """A feed URL answering with HTML: an error, plus the feeds that page announces."""
    found = discover(
        fixture_bytes("html-as-feed.html"), url=URL, content_type="application/rss+xml"
    )
    assert found.kind is SourceKind.FEED
    assert found.links == ()
    assert found.error == "expected a feed, got an HTML page"
    assert found.feeds == ("https://news.example.org/feeds/all.rss",)


def test_html_given_kind_feed_is_an_error_too(fixture_bytes: Read) -> None:
    """The configured kind counts as a declaration."""
    found = discover(fixture_bytes("html-as-feed.html"), url=URL, kind=SourceKind.FEED)
    assert found.error == "expected a feed, got an HTML page"


@pytest.mark.parametrize("content", [b"", b"   \n\t ", b"\xef\xbb\xbf"])
def test_empty_content_is_an_error(content: bytes) -> None:
    """Nothing to read is reported, under the kind the caller expected."""
    found = discover(content, url=URL, content_type="application/rss+xml")
    assert found.kind is SourceKind.FEED
    assert found.links == ()
    assert found.error == "empty document"


def test_binary_junk_is_an_error() -> None:
    """Bytes that are no document at all."""
    found = discover(bytes(range(256)) * 40, url=URL)
    assert found.links == ()
    assert found.error == "not a feed, a sitemap or an HTML page"


def test_binary_junk_as_a_feed_is_an_error() -> None:
    """Junk where a feed was expected goes through the fallback and comes back an error."""
    found = discover(bytes(range(256)) * 40, url=URL, kind=SourceKind.FEED)
    assert found.links == ()
    assert found.error is not None and found.error.startswith("not a feed")


def test_junk_behind_gzip_magic_is_an_error() -> None:
    """A broken gzip stream is a sitemap error, not an exception."""
    found = discover(b"\x1f\x8b" + b"\x00" * 100, url=URL, kind=SourceKind.SITEMAP)
    assert found.error is not None


def test_gzipped_html_is_not_a_sitemap() -> None:
    """Gzip magic alone does not make a sitemap."""
    assert detect_kind(gzip.compress(b"\x00\x01\x02 junk"), None) is None


_XMLISH = st.text(alphabet="<>/?!&;#[]=\"' abcdefghrsuxtlmnpoiCDAT-:\n0123456789", max_size=300)


@settings(max_examples=300, deadline=None)
@given(
    body=st.one_of(st.binary(max_size=300), _XMLISH.map(str.encode)),
    kind=st.sampled_from([None, *SourceKind]),
    wrap=st.sampled_from(["", "<rss><channel><item>", "<urlset><url><loc>", "<feed>", "{"]),
)
def test_discover_never_raises(body: bytes, kind: SourceKind | None, wrap: str) -> None:
    """Any bytes, any kind: a Discovery comes back, never an exception."""
    found = discover(wrap.encode() + body, url=URL, kind=kind)
    assert found.kind in SourceKind
    assert all(link.url.startswith(("http://", "https://")) for link in found.links)


def test_gzipped_feed_file_is_read_as_a_feed(fixture_bytes: Read) -> None:
    """A ``feed.xml.gz`` is unpacked (capped) and parsed like the plain feed."""
    packed = gzip.compress(fixture_bytes("rss20-unn.xml"))
    assert detect_kind(packed, None) is SourceKind.FEED
    found = discover(packed, url="https://unn.ua/rss/news")
    assert found.error is None
    assert len(found.links) == 3


def test_a_gzipped_feed_file_cut_short_is_an_error(fixture_bytes: Read) -> None:
    """A feed file whose gzip stream ends early is broken, not a shorter feed."""
    packed = gzip.compress(fixture_bytes("rss20-unn.xml"))
    found = discover(
        packed[: len(packed) - 20], url="https://unn.ua/rss/news", kind=SourceKind.FEED
    )
    assert found.error == "broken or oversized gzip"
    assert found.links == ()


def test_declared_encoding_beats_the_http_charset(fixture_bytes: Read) -> None:
    """A windows-1251 declaration wins over a wrong ``charset=utf-8``-ish header."""
    found = discover(
        fixture_bytes("rss-windows-1251.xml"), url="https://news.example.by/rss", charset="koi8-r"
    )
    assert found.links[0].title == "Лукашенко встретился с представителем Госдепартамента"


def test_a_feed_configured_as_a_listing_is_read_as_a_feed(fixture_bytes: Read) -> None:
    """Bytes that are plainly a feed are read as one, whatever the configured kind."""
    found = discover(fixture_bytes("rss20-unn.xml"), url=URL, kind=SourceKind.LISTING)
    assert found.kind is SourceKind.FEED
    assert len(found.links) == 3


# --- on the event loop: only what the budget allows -------------------------------------------


@pytest.mark.parametrize(
    "name", ["rss20-unn.xml", "atom10.xml", "feed.json", "sitemap-news.xml", "listing.html"]
)
def test_inline_parses_small_documents_as_anywhere(fixture_bytes: Read, name: str) -> None:
    """A document within the budget reads the same on the loop as in a sandbox."""
    content = fixture_bytes(name)
    assert discover(content, url=URL, inline=True) == discover(content, url=URL)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("malformed.xml", "not well-formed: feedparser, whose cost no size bounds"),
        ("sitemap-2025-02.xml.gz", "gzip: its size is known only once inflated"),
    ],
)
def test_inline_hands_over_what_needs_a_sandbox(fixture_bytes: Read, name: str, why: str) -> None:
    with pytest.raises(NeedsSandbox):
        discover(fixture_bytes(name), url=URL, inline=True)
    assert discover(fixture_bytes(name), url=URL).links, why  # and the sandbox reads it


def test_inline_hands_over_a_document_over_the_budget() -> None:
    items = "".join(
        f"<item><link>https://news.example.org/a/{i}</link></item>" for i in range(3000)
    )
    tag_heavy = f'<rss version="2.0"><channel>{items}</channel></rss>'.encode()
    assert tag_heavy.count(b"<") > INLINE_MAX_TAGS and len(tag_heavy) < INLINE_MAX_BYTES
    with pytest.raises(NeedsSandbox):
        discover(tag_heavy, url=URL, inline=True)
    large = b'<rss version="2.0"><channel><title>' + b"x" * INLINE_MAX_BYTES + b"</title>"
    with pytest.raises(NeedsSandbox):
        discover(large, url=URL, inline=True)


def test_inline_still_refuses_at_once_what_needs_no_parser() -> None:
    """Empty documents are answered on the loop: no sandbox for nothing."""
    assert discover(b"  \n", url=URL, inline=True).error == "empty document"
