"""Which publication date an article gets when its feed entry and its page both give one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from watchwire.analyze import analyze_page, published_at
from watchwire.extract import DateSource, Published
from watchwire.models import Link

FEED = datetime(2019, 3, 15, 1, 20, tzinfo=UTC)
STORY = "<p>" + "The council voted to extend the tram line to the northern districts. " * 6 + "</p>"


def page(head: str = "", before: str = "") -> bytes:
    return (
        f"<html><head><title>Tram line extended</title>{head}</head><body><article>"
        f"<h1>Tram line extended</h1>{before}{STORY}</article></body></html>"
    ).encode()


def analysed(html: bytes, url: str, feed: datetime | None = FEED) -> datetime | None:
    link = Link(url=url, published_at=feed)
    found = analyze_page(html, charset="utf-8", url=url, link=link, language=None)
    assert found is not None
    return found.article.published_at


def test_the_feeds_timestamp_beats_the_urls_day() -> None:
    """The bug this was written for: /2019/03/14/ at midnight over the feed's exact instant."""
    url = "https://news.example/2019/03/14/tram-line/"
    assert analysed(page(), url) == FEED


def test_the_feeds_timestamp_beats_a_visible_day() -> None:
    before = '<span class="date">14 March 2019</span>'
    assert analysed(page(before=before), "https://news.example/tram") == FEED


def test_the_pages_metadata_beats_the_feed() -> None:
    """A page's datePublished is the newsroom's own; a feed's date may be its last edit."""
    head = '<meta property="article:published_time" content="2019-03-14T18:00:00-07:00">'
    found = analysed(page(head), "https://news.example/tram")
    assert found == datetime(2019, 3, 14, 18, tzinfo=timezone(timedelta(hours=-7)))


def test_a_metadata_day_takes_the_feeds_time_when_the_feed_is_on_that_day() -> None:
    head = '<meta name="DC.date" content="2019-03-14">'
    assert analysed(page(head), "https://news.example/tram") == FEED  # on the 14th west of UTC
    head = '<meta name="DC.date" content="2019-03-10">'
    assert analysed(page(head), "https://news.example/tram") == datetime(2019, 3, 10, tzinfo=UTC)


def test_without_a_feed_date_the_page_decides_and_without_either_none() -> None:
    url = "https://news.example/2019/03/14/tram-line/"
    assert analysed(page(), url, feed=None) == datetime(2019, 3, 14, tzinfo=UTC)
    assert analysed(page(), "https://news.example/tram", feed=None) is None


def test_published_at_rules() -> None:
    day = datetime(2019, 3, 14, tzinfo=UTC)
    meta = Published(at=day, source=DateSource.METADATA, timed=True)
    visible = Published(at=day, source=DateSource.VISIBLE, timed=False)
    assert published_at(None, FEED) == FEED
    assert published_at(meta, None) == day
    assert published_at(meta, FEED) == day
    assert published_at(visible, FEED) == FEED
