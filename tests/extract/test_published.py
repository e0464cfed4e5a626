"""The publication date of a page: every source, the traps, the page's own zone and day."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from watchwire.extract import article_to_json, extract_article, read_article
from watchwire.extract.published import DateSource

from .pages import STORY, page, paragraphs

PACIFIC = timezone(timedelta(hours=-8))
BERLIN = timezone(timedelta(hours=2))  # summer time


def ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def story(before: str = "", after: str = "", *, h1: str = "Tram line extended") -> str:
    """A headline, what sits right under it (``before`` the text), the text, then ``after``."""
    return f"<article><h1>{h1}</h1>{before}{paragraphs(*STORY)}{after}</article>"


def published(html: str, url: str | None = None) -> datetime | None:
    return extract_article(html, url=url).published_at


def day(html: str, url: str | None = None) -> date | None:
    found = published(html, url)
    return found.date() if found else None


# --- structured data beyond the article object ------------------------------------------------


def test_a_web_page_objects_date_when_no_article_object_has_one() -> None:
    head = ld({"@type": "WebPage", "name": "x", "datePublished": "2020-08-18T21:35:33+02:00"})
    assert published(page(story(), head)) == datetime(2020, 8, 18, 21, 35, 33, tzinfo=BERLIN)


def test_a_videos_upload_date() -> None:
    head = ld({"@type": "VideoObject", "uploadDate": "2023-11-08T23:10:44-08:00"})
    assert published(page(story(), head)) == datetime(2023, 11, 8, 23, 10, 44, tzinfo=PACIFIC)


def test_json_ld_that_does_not_parse_still_gives_its_date() -> None:
    """A trailing comma, or two objects one after the other, as CMSs write them."""
    broken = '{"@type": "NewsArticle", "datePublished": "2020-10-26T18:10:00+01:00",}'
    two = '{"@type": "NewsArticle", "datePublished": "2020-10-26T18:10:00+01:00"} {"a": 1}'
    for raw in (broken, two):
        head = f'<script type="application/ld+json">{raw}</script>'
        assert day(page(story(), head)) == date(2020, 10, 26)


@pytest.mark.parametrize(
    "meta",
    [
        '<meta name="DC.date" content="2021-04-12">',
        '<meta name="publication_date" content="2021-04-12">',
        '<meta name="pubdate" content="2021-04-12T08:00:00+02:00">',
        '<meta property="five_hundred_pixels:uploaded" content="2021-04-12T04:36:36-05:00">',
    ],
)
def test_meta_names_beyond_opengraph(meta: str) -> None:
    assert day(page(story(), meta)) == date(2021, 4, 12)


@pytest.mark.parametrize(
    "markup",
    [
        '<meta itemprop="datePublished" content="2021-04-12">',
        '<abbr itemprop="datePublished" title="2021-04-12T10:21:40Z">12 April</abbr>',
        '<div itemprop="datePublished" datetime="2021-04-12">Monday</div>',
        '<span itemprop="datePublished">12.04.2021</span>',
        '<time pubdate datetime="2021-04-12T10:00:00Z">today</time>',
    ],
)
def test_item_prop_date_published_on_any_element(markup: str) -> None:
    """By the headline, ``itemprop="datePublished"`` is believed wherever it sits."""
    assert day(page(story(before=markup))) == date(2021, 4, 12)


# --- the visible byline -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "byline",
    [
        '<div class="postmeta">Posted by Anna on 12.04.2021</div>',
        '<p class="submitted">Submitted by admin on Mon, 12/04/2021 - 10:15</p>',
        '<span class="datum">12.04.2021</span>',
        '<div class="fecha">12 de abril de 2021</div>',
        '<div class="subline">Anna Roe · 12. April 2021</div>',
        '<div class="info">Opublikowano: 12 kwietnia 2021</div>',
        "<small>12 avril 2021</small>",
        "<p>Datum: 12.04.2021 · Autor: Anna Roe</p>",
        "<p>12/04/2021 - 10:16 - Fonte: Agência</p>",
    ],
)
def test_byline_dates_where_pages_put_them(byline: str) -> None:
    """Classes that say date or byline, small print, and a bare dateline under the headline."""
    assert day(page(story(before=byline), lang="de")) == date(2021, 4, 12)


def test_a_cms_wrapper_class_is_not_a_date_and_the_first_date_in_the_body_is_not_the_date() -> None:
    """WordPress's ``status-publish`` on the wrapper matches "publish"; its text is the story."""
    body = (
        '<div class="post status-publish format-standard">'
        + story(
            before='<span class="posted-on">14 March 2021</span>',
            after="<p>The line was first proposed on 3 May 1998 and again on 2 June 2009.</p>",
        )
        + "</div>"
    )
    assert day(page(body)) == date(2021, 3, 14)


def test_comment_teaser_and_most_read_dates_are_not_the_articles() -> None:
    """The byline wins over dates of readers' comments and of other stories around it."""
    teasers = (
        '<aside><ul><li><span class="date">1 June 2021</span> Other story</li></ul></aside>'
        '<div class="most-read"><time datetime="2021-06-02">2 June 2021</time> Popular</div>'
    )
    comments = (
        '<section id="comments"><div class="comment-meta">'
        '<span class="comment-date">3 June 2021</span></div></section>'
    )
    body = teasers + story(before='<span class="date">12 April 2021</span>', after=comments)
    assert day(page(body)) == date(2021, 4, 12)


def test_a_sidebars_time_before_the_article_is_not_its_date() -> None:
    """The first ``<time>`` on the page belongs to a sidebar item; the byline is by the h1."""
    sidebar = '<div class="sidebar"><time datetime="2021-06-01T08:00:00Z">1 June</time></div>'
    body = sidebar + story(before='<p class="byline">By Anna Roe, 12 April 2021</p>')
    assert day(page(body)) == date(2021, 4, 12)


def test_an_update_is_not_the_publication() -> None:
    """ "Updated" before a date, and ``dateModified``, never make the publication date."""
    line = '<p class="meta">Updated 20 April 2021 · Published 12 April 2021</p>'
    assert day(page(story(before=line))) == date(2021, 4, 12)
    head = ld({"@type": "NewsArticle", "dateModified": "2021-04-20T10:00:00Z"})
    assert day(page(story(before='<span class="date">12 April 2021</span>'), head)) == date(
        2021, 4, 12
    )


def test_dates_of_quoted_posts_and_captions_are_not_the_articles() -> None:
    embed = (
        '<blockquote class="instagram-media"><p>A post</p>'
        '<time datetime="2018-03-12T19:30:12+00:00">Mar 12, 2018</time></blockquote>'
    )
    caption = "<figure><img src=x><figcaption>Paris, January 16, 2020.</figcaption></figure>"
    body = story(before=caption + '<p class="x">January 18, 2020</p>', after=embed)
    assert day(page(body)) == date(2020, 1, 18)


def test_a_logo_h1_is_not_the_headline() -> None:
    """The byline by the real headline is found when the first ``<h1>`` is the site's logo."""
    head = '<meta property="og:title" content="Tram line extended">'
    body = (
        '<header><h1><a href="/">City News</a></h1>'
        '<div class="date">Today: 1 June 2021</div></header>'
        + story(before='<div class="date">12 April 2021</div>')
    )
    assert day(page(body, head)) == date(2021, 4, 12)


# --- the page's zone and day ------------------------------------------------------------------


def test_published_at_keeps_the_offset_the_page_gave() -> None:
    head = '<meta property="article:published_time" content="2023-11-08T22:35:29-08:00">'
    article = extract_article(page(story(), head))
    assert article.published_at == datetime(2023, 11, 8, 22, 35, 29, tzinfo=PACIFIC)
    assert article.published_at is not None
    assert article.published_at.utcoffset() == timedelta(hours=-8)
    assert article_to_json(article)["published_at"] == "2023-11-08T22:35:29-08:00"


def test_a_utc_timestamp_is_put_in_the_zone_another_timestamp_gives() -> None:
    """``article:published_time`` in UTC, a ``<time>`` with the page's offset: the page's day."""
    head = '<meta property="article:published_time" content="2023-11-09T06:35:29+00:00">'
    body = story(before='<time datetime="2023-11-08T22:35:29-08:00">Nov 8, 2023</time>')
    found = published(page(body, head))
    assert found == datetime(2023, 11, 8, 22, 35, 29, tzinfo=PACIFIC)
    assert found is not None
    assert found.utcoffset() == timedelta(hours=-8)


def test_a_utc_timestamp_and_a_wall_clock_time_of_the_same_instant_give_the_zone() -> None:
    head = ld({"@type": "NewsArticle", "datePublished": "2023-11-09T01:49:09Z"}) + (
        '<meta name="sailthru.date" content="2023-11-08 17:49:09">'
    )
    found = published(page(story(), head))
    assert found == datetime(2023, 11, 8, 17, 49, 9, tzinfo=PACIFIC)


def test_a_utc_timestamp_goes_on_the_day_the_byline_shows() -> None:
    """Near midnight, the day a reader sees beside the headline decides; the instant stays."""
    head = '<meta property="article:published_time" content="2020-12-05T23:15:00Z">'
    body = story(before='<p class="data">06 Dicembre 2020</p>')
    found = published(page(body, head, lang="it"))
    assert found is not None
    assert found.date() == date(2020, 12, 6)
    assert found == datetime(2020, 12, 5, 23, 15, tzinfo=UTC)


def test_a_utc_timestamp_stays_in_utc_when_the_page_shows_that_day() -> None:
    head = '<meta property="article:published_time" content="2020-07-09T10:04:04Z">'
    body = story(before='<div class="display-date">July 9, 2020 at 6:40 p.m. EDT</div>')
    url = "https://news.example/politics/2020/07/08/story/"
    assert published(page(body, head), url) == datetime(2020, 7, 9, 10, 4, 4, tzinfo=UTC)


def test_plausible_dates_only() -> None:
    """Before the web, or days ahead of now, is no publication date; the next source is."""
    future = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    head = f'<meta property="article:published_time" content="{future}">'
    body = story(before='<span class="date">12 April 2021</span>')
    assert day(page(body, head)) == date(2021, 4, 12)
    head = '<meta property="article:published_time" content="1970-01-01T00:00:00Z">'
    assert day(page(body, head)) == date(2021, 4, 12)


# --- where the date came from -----------------------------------------------------------------


def test_the_source_of_the_date_is_reported() -> None:
    """Metadata, a visible date, or the URL: what analyze weighs against a feed's date."""
    head = '<meta property="article:published_time" content="2021-04-12T08:00:00Z">'
    url = "https://news.example/2021/04/11/tram/"
    meta = read_article(page(story(), head), url).published
    visible = read_article(page(story(before='<span class="date">12.04.2021</span>')), url)
    from_url = read_article(page(story()), url).published
    assert meta is not None and (meta.source, meta.timed) == (DateSource.METADATA, True)
    assert visible.published is not None
    assert (visible.published.source, visible.published.timed) == (DateSource.VISIBLE, False)
    assert from_url is not None and from_url.source is DateSource.URL
    assert from_url.at == datetime(2021, 4, 11, tzinfo=UTC)


def test_a_page_that_says_nothing_else_is_dated_by_a_timestamp_in_its_source() -> None:
    """No metadata, no byline, no dated URL: a script's or a comment's timestamp (last)."""
    body = story(after='<script>showDate("2020/04/17 01:43:09")</script>')
    assert published(page(body), "https://news.example/story/1") == datetime(
        2020, 4, 17, 1, 43, tzinfo=UTC
    )
    assert published(page(story()), "https://news.example/story/1") is None


def test_a_most_read_list_after_the_story_is_no_dateline() -> None:
    """Under the headline's wider container, an aside's teaser date is not the story's."""
    body = (
        "<main>" + story() + '<aside class="most-read"><h3>Most read</h3><ul><li>'
        '<a href="/x">Other story</a> <span class="d">1 June 2021</span></li></ul></aside></main>'
    )
    assert published(page(body), "https://news.example/story/1") is None
