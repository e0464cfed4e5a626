"""HTML listing and home pages: selector links, the article heuristic, feed autodiscovery."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from watchwire.discover import discover, is_article_url
from watchwire.models import SourceKind

Read = Callable[[str], bytes]

WORLD = "https://news.example.org/world"


def test_heuristic_keeps_article_links_and_drops_chrome(fixture_bytes: Read) -> None:
    """Header/nav/footer/breadcrumb links, tags, authors, archives and other sites are out."""
    found = discover(fixture_bytes("listing.html"), url=WORLD, kind=SourceKind.LISTING)
    assert found.error is None
    assert [link.url for link in found.links] == [
        "https://news.example.org/world/2025/02/17/us-offers-belarus-grand-bargain",
        "https://news.example.org/news/123456",
        "https://news.example.org/europe/lukashenko-meets-state-department-envoy",
        "https://m.news.example.org/world/poland-closes-border-crossing-again.html",
    ]


def test_duplicate_links_keep_first_position_and_best_title(fixture_bytes: Read) -> None:
    """A card linking twice (headline with a fragment, image without text) yields one link,
    titled by the headline; ``<base href>`` resolves the relative hrefs."""
    first = discover(fixture_bytes("listing.html"), url=WORLD, kind=SourceKind.LISTING).links[0]
    assert first.title == "The US offers Belarus a “grand bargain”"


def test_selector_chooses_exactly_the_matched_links(fixture_bytes: Read) -> None:
    """With a CSS selector the heuristic is off: every match counts, in order."""
    found = discover(
        fixture_bytes("listing.html"),
        url=WORLD,
        kind=SourceKind.LISTING,
        links_selector="article h2 a",
    )
    assert [link.title for link in found.links] == [
        "The US offers Belarus a “grand bargain”",
        "Potash exports to resume",
        "Lukashenko meets US envoy",
        "Poland closes border crossing",
    ]


def test_selector_matching_containers_takes_their_first_link(fixture_bytes: Read) -> None:
    """A selector naming the card rather than the anchor still finds the link."""
    found = discover(fixture_bytes("listing.html"), url=WORLD, links_selector="article.card")
    assert len(found.links) == 4
    assert found.links[1].url == "https://news.example.org/news/123456"


def test_selector_matching_nothing_is_reported(fixture_bytes: Read) -> None:
    """A site redesign that breaks the selector shows up as an error, not as silence."""
    found = discover(fixture_bytes("listing.html"), url=WORLD, links_selector=".no-such-class a")
    assert found.links == ()
    assert found.error == "links selector '.no-such-class a' matched no links"


def test_invalid_selector_is_reported(fixture_bytes: Read) -> None:
    """A selector that does not parse is an error value."""
    found = discover(fixture_bytes("listing.html"), url=WORLD, links_selector="a[[[")
    assert found.error is not None and found.error.startswith("bad links selector")


def test_home_page_autodiscovers_feeds_in_order_once(fixture_bytes: Read) -> None:
    """RSS, Atom and JSON Feed alternates, resolved, each once; other alternates ignored."""
    found = discover(fixture_bytes("home.html"), url="https://unn.ua/")
    assert found.kind is SourceKind.PAGE
    assert found.feeds == (
        "https://unn.ua/rss/news",
        "https://unn.ua/atom.xml",
        "https://unn.ua/feed.json",
    )


def test_home_page_also_offers_heuristic_links(fixture_bytes: Read) -> None:
    """The listing heuristic is the fallback when the feeds fail; menus stay out."""
    found = discover(fixture_bytes("home.html"), url="https://unn.ua/")
    assert [link.url for link in found.links] == [
        "https://unn.ua/en/news/the-united-states-offers-belarus-a-grand-bargain",
        "https://unn.ua/en/news/electricity-outage-schedules-for-tomorrow",
    ]


def test_windows_1251_page_titles_decode_from_meta_charset() -> None:
    """Lexbor reads bytes as UTF-8; the page's own ``<meta charset>`` is honoured first."""
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
        '</head><body><a href="/politics/2025/02/17/lukashenko-vstretilsya">Лукашенко '
        "встретился с представителем</a></body></html>"
    ).encode("cp1251")
    found = discover(page, url="https://news.example.by/")
    assert found.links[0].title == "Лукашенко встретился с представителем"


def test_thousands_of_links_are_capped() -> None:
    """A huge listing page is handled and cut at ``max_links``."""
    anchors = "".join(f'<a href="/news/{100000 + i}">Story {i}</a>' for i in range(5_000))
    found = discover(f"<html><body>{anchors}</body></html>".encode(), url=WORLD, max_links=1000)
    assert len(found.links) == 1000
    assert found.error == "more than 1000 links: kept the first 1000"


PAGE = "https://news.example.org/world"


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example.org/world/2025/02/17/belarus-deal",
        "https://news.example.org/2025-02-17-belarus-deal",
        "https://news.example.org/news/123456",
        "https://news.example.org/a/2025/belarus-deal-takes-shape.html",
        "https://www.news.example.org/politics/belarus-deal-takes-shape",
        "https://news.example.org/article.php?id=123456",
        "https://news.example.org/uk/news/%D0%B1%D1%96%D0%BB%D0%BE%D1%80%D1%83%D1%81%D1%8C-%D1%83%D0%B3%D0%BE%D0%B4%D0%B0-%D1%81%D1%88%D0%B0",
    ],
)
def test_article_like_urls(url: str) -> None:
    """Dates, long ids and multi-word slugs (Cyrillic too) look like articles."""
    assert is_article_url(url, page_url=PAGE)


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example.org/world",
        "https://news.example.org/",
        "https://news.example.org/tag/belarus-sanctions-news",
        "https://news.example.org/author/jane-doe-smith",
        "https://news.example.org/category/world-news-today",
        "https://news.example.org/search?q=belarus",
        "https://news.example.org/world/2025/",
        "https://news.example.org/world/2025/02/",
        "https://news.example.org/world/page/2",
        "https://news.example.org/img/belarus-deal-photo-large.jpg",
        "https://other.example.com/2025/02/17/belarus-deal",
        "https://news.example.org/business",
    ],
)
def test_not_article_urls(url: str) -> None:
    """Sections, tags, authors, archives, pagination, files and other sites are not."""
    assert not is_article_url(url, page_url=PAGE)


def test_page_wide_menu_wrapper_does_not_hide_every_article() -> None:
    """A theme wrapping the whole page in a "menu" class: the class rule is relaxed."""
    page = (
        b'<html><body><div class="off-canvas-menu-wrap"><main>'
        b'<a href="/news/2025/02/17/belarus-deal">Belarus deal</a>'
        b"</main></div></body></html>"
    )
    found = discover(page, url=WORLD, kind=SourceKind.LISTING)
    assert [link.url for link in found.links] == [
        "https://news.example.org/news/2025/02/17/belarus-deal"
    ]


def test_rest_api_and_comment_feeds_do_not_come_first() -> None:
    """WordPress's ``application/json`` REST link is no feed; its comments feed goes last."""
    page = (
        b'<html><head><link rel="alternate" type="application/json" href="/wp-json/wp/v2/pages/2">'
        b'<link rel="alternate" type="application/rss+xml" title="Comments" href="/comments/feed/">'
        b'<link rel="alternate" type="application/rss+xml" title="Posts" href="/feed/">'
        b'<link rel="alternate" type="application/json" title="JSON Feed" href="/feed.json">'
        b"</head><body></body></html>"
    )
    assert discover(page, url="https://blog.example.org/").feeds == (
        "https://blog.example.org/feed/",
        "https://blog.example.org/feed.json",
        "https://blog.example.org/comments/feed/",
    )
