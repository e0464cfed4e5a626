"""RSS and Atom: the fast path, the feedparser fallback, and that they agree."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from watchwire.discover import discover
from watchwire.discover.fallback import parse_feed_fallback
from watchwire.discover.feeds import NotFastPath, parse_feed_fast
from watchwire.models import Link, SourceKind

Read = Callable[[str], bytes]
Parse = Callable[..., tuple[tuple[Link, ...], str | None]]

UNN = "https://unn.ua/rss/news"


def test_rss20_entries_carry_link_title_date_guid_summary_and_content(fixture_bytes: Read) -> None:
    """Every field a feed entry offers reaches the Link."""
    found = discover(fixture_bytes("rss20-unn.xml"), url=UNN)
    assert found.kind is SourceKind.FEED
    assert found.error is None
    first = found.links[0]
    assert first.url == "https://unn.ua/news/ssha-proponuiut-bilorusi-veliku-uhodu"
    assert first.title == "США пропонують Білорусі «велику угоду», яка може зменшити вплив Росії"
    assert first.published_at == datetime(2025, 2, 17, 7, 41, tzinfo=UTC)
    assert first.guid == "unn-1234567"
    assert first.summary is not None and first.summary.startswith("США ведуть переговори")
    assert first.content_html is not None and first.content_html.startswith("<p>США очікують")
    assert first.language == "uk"


def test_rss20_relative_link_is_resolved_against_the_feed_url(fixture_bytes: Read) -> None:
    """A relative ``<link>`` is made absolute against the URL the feed came from."""
    links = discover(fixture_bytes("rss20-unn.xml"), url=UNN).links
    assert links[1].url == "https://unn.ua/news/hrafiky-vidkliuchennia-svitla-zavtra"


def test_rss20_permalink_guid_stands_in_for_a_missing_link(fixture_bytes: Read) -> None:
    """A guid that is a permalink is the entry's URL; one marked not a permalink is not."""
    links = discover(fixture_bytes("rss20-unn.xml"), url=UNN).links
    assert [link.url for link in links][2:] == ["https://unn.ua/news/kurs-valiut-17-liutoho"]


def test_rss20_doubly_escaped_title_is_unescaped(fixture_bytes: Read) -> None:
    """``&amp;quot;`` in a title (a common CMS slip) reads as a quote."""
    links = discover(fixture_bytes("rss20-unn.xml"), url=UNN).links
    assert links[2].title == 'Курс валют на 17 лютого: долар "подешевшав"'


def test_rss10_rdf_items_are_read_with_dc_dates(fixture_bytes: Read) -> None:
    """RSS 1.0 items sit beside the channel; ``rdf:about`` stands in for a missing link."""
    found = discover(fixture_bytes("rss10-rdf.xml"), url="https://news.example.org/rss")
    assert [(link.url, link.published_at) for link in found.links] == [
        (
            "https://news.example.org/world/2025/02/17/potash-exports",
            datetime(2025, 2, 17, 8, 0, tzinfo=UTC),
        ),
        (
            "https://news.example.org/world/2025/02/16/minsk-talks",
            datetime(2025, 2, 16, 18, 30, tzinfo=UTC),
        ),
    ]
    assert found.links[0].language == "en"


def test_rss091_with_netscape_doctype_takes_the_fast_path(fixture_bytes: Read) -> None:
    """An external DTD reference without entity declarations is harmless: parsed fast."""
    links, error = parse_feed_fast(fixture_bytes("rss091.xml"), url="http://oldwire.example.com/")
    assert error is None
    assert [link.title for link in links] == [
        "Café owners protest new tax",
        "Council approves budget",
    ]


def test_atom10_reads_xml_base_xhtml_content_and_languages(fixture_bytes: Read) -> None:
    """Atom 1.0: ``xml:base`` resolves links, xhtml content becomes HTML, ``xml:lang`` is kept."""
    found = discover(fixture_bytes("atom10.xml"), url="https://blog.example.net/atom.xml")
    first, second, third = found.links
    assert first.url == "https://blog.example.net/posts/sanctions-relief-explained"
    assert first.title == "Sanctions relief, explained"
    assert first.content_html == "<p>First <strong>paragraph</strong>.</p><p>Second.</p>"
    assert first.published_at == datetime(2025, 2, 17, 8, 0, tzinfo=UTC)
    assert first.updated_at == datetime(2025, 2, 17, 9, 30, tzinfo=UTC)
    assert first.guid == "tag:blog.example.net,2025:1"
    assert (first.language, second.language) == ("en", "de")
    assert second.content_html == "<p>Ein Absatz.</p>"
    assert third.url == "https://blog.example.net/posts/id-only"
    assert third.content_html == "Plain &lt;text&gt; content"


def test_atom10_entry_without_published_is_dated_by_updated(fixture_bytes: Read) -> None:
    """Atom requires only ``updated``; it stands in for the publication date."""
    second = discover(fixture_bytes("atom10.xml"), url="https://blog.example.net/").links[1]
    assert second.published_at == second.updated_at == datetime(2025, 2, 16, 8, 0, tzinfo=UTC)


def test_atom03_issued_modified_and_escaped_or_base64_content(fixture_bytes: Read) -> None:
    """Atom 0.3 names dates issued/modified and may carry content escaped or base64'd."""
    first, second = discover(fixture_bytes("atom03.xml"), url="http://legacy.example.com/").links
    assert first.published_at == datetime(2004, 5, 2, 12, 0, tzinfo=UTC)
    assert first.updated_at == datetime(2004, 5, 2, 13, 0, tzinfo=UTC)
    assert first.content_html == "<p>Escaped body.</p>"
    assert second.content_html == "<p>Encoded body.</p>"
    assert second.published_at == datetime(2004, 5, 1, 8, 0, tzinfo=UTC)  # no zone: UTC


def test_windows_1251_feed_with_xml_declaration_decodes(fixture_bytes: Read) -> None:
    """The encoding in the XML declaration is honoured on the fast path."""
    content = fixture_bytes("rss-windows-1251.xml")
    links, _ = parse_feed_fast(content, url="https://news.example.by/rss")
    assert links[0].title == "Лукашенко встретился с представителем Госдепартамента"
    assert links[0].language == "ru"


def test_http_charset_is_used_when_the_document_declares_none() -> None:
    """Without an XML declaration the header's charset decodes the bytes."""
    content = "<rss><channel><item><title>Новини</title><link>https://e.ua/a/1</link></item>"
    content += "</channel></rss>"
    found = discover(content.encode("koi8-u"), url="https://e.ua/rss", charset="koi8-u")
    assert found.links[0].title == "Новини"


def test_malformed_feed_falls_back_and_salvages_entries(fixture_bytes: Read) -> None:
    """HTML entities and unclosed tags: feedparser reads what it can, the error says why."""
    found = discover(fixture_bytes("malformed.xml"), url="https://broken.example.org/rss")
    assert found.kind is SourceKind.FEED
    assert found.error is not None and found.error.startswith("malformed feed")
    assert [link.url for link in found.links] == [
        "https://broken.example.org/news/first-story",
        "https://broken.example.org/news/second-story",
    ]
    assert found.links[0].title == "First story — with HTML entities"


def test_malformed_feed_is_declined_by_the_fast_path(fixture_bytes: Read) -> None:
    """The fast path never guesses: a not-well-formed document is handed on."""
    with pytest.raises(NotFastPath):
        parse_feed_fast(fixture_bytes("malformed.xml"), url="https://broken.example.org/rss")


def test_entity_declarations_are_refused_by_the_fast_path() -> None:
    """A DOCTYPE declaring entities (billion laughs) never reaches ElementTree."""
    lol = b'<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">' + b"".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(8)
    )
    content = lol + b"]><rss><channel><item><title>&i;</title><link>https://e.org/x/1</link>"
    content += b"</item></channel></rss>"
    with pytest.raises(NotFastPath, match="entities"):
        parse_feed_fast(content, url="https://e.org/rss")
    found = discover(content, url="https://e.org/rss")  # feedparser drops unsafe entities
    assert all(len(link.title or "") < 1000 for link in found.links)


@pytest.mark.parametrize(
    "name", ["rss20-unn.xml", "rss10-rdf.xml", "rss091.xml", "atom10.xml", "atom03.xml"]
)
def test_fast_path_and_feedparser_agree_on_urls_dates_and_guids(
    fixture_bytes: Read, name: str
) -> None:
    """Whichever path reads a feed, the orchestrator sees the same entries."""
    content = fixture_bytes(name)
    fast, _ = parse_feed_fast(content, url="https://unn.ua/rss/news")
    slow, _ = parse_feed_fallback(content, url="https://unn.ua/rss/news")
    assert [(x.url, x.published_at, x.guid) for x in fast] == [
        (x.url, x.published_at, x.guid) for x in slow
    ]
    assert [x.title for x in fast] == [x.title for x in slow]


def test_fifty_item_feed_reads_fifty_links(fixture_bytes: Read) -> None:
    """The benchmark feed: 50 entries, all with content."""
    found = discover(fixture_bytes("rss20-unn-50.xml"), url=UNN)
    assert len(found.links) == 50
    assert all(link.content_html and link.published_at for link in found.links)


def test_max_links_truncates_and_says_so(fixture_bytes: Read) -> None:
    """Past ``max_links`` the rest is dropped and ``error`` tells."""
    found = discover(fixture_bytes("rss20-unn-50.xml"), url=UNN, max_links=10)
    assert len(found.links) == 10
    assert found.error == "more than 10 links: kept the first 10"


def test_entries_without_any_usable_url_are_reported() -> None:
    """A feed whose items all lack a link says so instead of looking empty."""
    content = b"<rss><channel><item><title>a</title></item><item><guid isPermaLink='false'>x"
    content += b"</guid></item></channel></rss>"
    found = discover(content, url=UNN)
    assert found.links == ()
    assert found.error == "none of 2 entries has a usable URL"


def test_empty_channel_is_no_error() -> None:
    """A feed with no items yet is fine: nothing new."""
    found = discover(b"<rss><channel><title>quiet</title></channel></rss>", url=UNN)
    assert (found.links, found.error) == ((), None)


RSS_WITH_BASES = b"""<?xml version="1.0"?>
<rss version="2.0" xml:base="https://example.org/base/"><channel xml:base="news/">
<title>t</title><link>https://example.org/</link>
<item><title>a</title><link>a.html</link><guid isPermaLink="false">a</guid></item>
<item xml:base="/other/"><title>b</title><link>b.html</link>
<guid isPermaLink="false">b</guid></item>
</channel></rss>"""


@pytest.mark.parametrize("parse", [parse_feed_fast, parse_feed_fallback])
def test_rss_xml_base_on_the_channel_and_items_resolves_links(parse: Parse) -> None:
    """xml:base on <rss>, <channel> and <item> is inherited as in Atom; the feed URL is last."""
    links, _ = parse(RSS_WITH_BASES, url="https://mirror.example.net/feed.xml")
    assert [link.url for link in links] == [
        "https://example.org/base/news/a.html",
        "https://example.org/other/b.html",
    ]


def test_rss10_xml_base_on_the_rdf_root_resolves_items() -> None:
    content = (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns="http://purl.org/rss/1.0/" xml:base="https://example.org/r/">'
        b'<channel rdf:about="https://example.org/"><title>t</title></channel>'
        b'<item rdf:about="x"><title>x</title><link>x.html</link></item></rdf:RDF>'
    )
    links, _ = parse_feed_fast(content, url="https://mirror.example.net/feed.rdf")
    assert [link.url for link in links] == ["https://example.org/r/x.html"]


ATOM = (
    '<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:feed</id>'
    "<updated>2021-03-09T09:00:00Z</updated>"
    '<entry><title>One</title><link href="/news/one"/><id>urn:1</id>'
    "<published>2021-03-09T08:15:00Z</published><updated>2021-03-09T09:00:00Z</updated></entry>"
    "</feed>"
)


@pytest.mark.parametrize(
    "wrapper",
    [
        "<!DOCTYPE html><html><body>{}</body></html>",  # well-formed: the fast path
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>x</title></head>'
        "<body>{}</body></html>",  # not XML: feedparser
    ],
)
def test_an_atom_feed_inside_an_xhtml_page_is_read_as_a_feed(wrapper: str) -> None:
    """``<!DOCTYPE html><html><body><feed …>``: a feed, not "an HTML page"."""
    found = discover(wrapper.format(ATOM).encode(), url="https://example.org/feed")
    assert found.kind is SourceKind.FEED
    assert [(x.url, x.published_at) for x in found.links] == [
        ("https://example.org/news/one", datetime(2021, 3, 9, 8, 15, tzinfo=UTC))
    ]


def test_an_html_page_that_mentions_no_feed_is_still_a_page() -> None:
    html = b"<!DOCTYPE html><html><body><p>Our feed: /rss.xml</p></body></html>"
    assert discover(html, url="https://example.org/").kind is SourceKind.PAGE
