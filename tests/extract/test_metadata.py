"""Metadata: every structured source, and the order in which they are trusted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from watchwire.extract import article_to_json, extract_article

from .pages import STORY, article_page, page, paragraphs

KYIV = timezone(timedelta(hours=2))


def ld_script(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


NEWS_ARTICLE = {
    "@context": "https://schema.org",
    "@type": "NewsArticle",
    "headline": "Council extends the tram line",
    "datePublished": "2025-02-15T09:58:00+02:00",
    "dateModified": "2025-02-15T10:12:00+02:00",
    "author": [{"@type": "Person", "name": "Olga Sheremet"}, {"name": "Ivan Petrenko"}],
    "articleSection": "City",
    "keywords": "transport, council",
    "image": {"@type": "ImageObject", "url": "https://example.org/tram.jpg"},
    "inLanguage": "uk-UA",
    "description": "The council voted for the extension.",
    "mainEntityOfPage": {"@id": "https://example.org/news/tram"},
}


def test_json_ld_news_article_fills_every_field() -> None:
    """A NewsArticle object gives title, dates, authors, section, tags, image, language, lead.

    (The page has no heading of its own: that would be the title.)"""
    article = extract_article(page(paragraphs(*STORY), ld_script(NEWS_ARTICLE)))
    assert article.title == "Council extends the tram line"
    assert article.published_at == datetime(2025, 2, 15, 9, 58, tzinfo=KYIV)
    assert article.modified_at == datetime(2025, 2, 15, 10, 12, tzinfo=KYIV)
    assert article.authors == ("Olga Sheremet", "Ivan Petrenko")
    assert article.section == "City"
    assert article.tags == ("transport", "council")
    assert article.image == "https://example.org/tram.jpg"
    assert article.lead == "The council voted for the extension."
    assert article.url == "https://example.org/news/tram"


def test_json_ld_graph_and_type_lists_are_searched() -> None:
    """The article may sit in an @graph, next to other objects, with a list of types."""
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "City News"},
            {"@type": ["Article", "NewsArticle"], "headline": "From the graph"},
        ],
    }
    assert extract_article(page(paragraphs(*STORY), ld_script(graph))).title == "From the graph"


def test_json_ld_article_body_is_used_when_the_dom_has_no_story() -> None:
    """A page that renders its text by script still yields articleBody."""
    data = {"@type": "Article", "headline": "T", "articleBody": "\n".join(STORY)}
    article = extract_article(page('<div id="app"></div>', ld_script(data)))
    assert article.paragraphs == STORY


def test_broken_json_ld_is_skipped() -> None:
    """Unparseable JSON-LD falls through to the next source."""
    head = '<script type="application/ld+json">{"@type": "NewsArticle", </script>'
    head += '<meta property="og:title" content="From OpenGraph">'
    assert extract_article(page(paragraphs(*STORY), head)).title == "From OpenGraph"


def test_opengraph_and_article_meta() -> None:
    """og:* and article:* meta fill the fields when there is no JSON-LD."""
    head = (
        '<meta property="og:title" content="OG title">'
        '<meta property="og:url" content="https://example.org/og">'
        '<meta property="og:image" content="/img/og.jpg">'
        '<meta property="og:locale" content="de_DE">'
        '<meta property="article:published_time" content="2024-03-01T08:00:00Z">'
        '<meta property="article:modified_time" content="2024-03-01T09:30:00Z">'
        '<meta property="article:section" content="Politics">'
        '<meta property="article:tag" content="Belarus">'
        '<meta property="article:tag" content="Sanctions">'
        '<meta property="og:description" content="What happened.">'
    )
    html = page(f"<article>{paragraphs(*STORY)}</article>", head, lang="")
    article = extract_article(html, url="https://example.org/fetched")
    assert article.title == "OG title"
    assert article.url == "https://example.org/og"
    assert article.image == "https://example.org/img/og.jpg"
    assert article.language == "de"
    assert article.published_at == datetime(2024, 3, 1, 8, tzinfo=UTC)
    assert article.modified_at == datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    assert article.section == "Politics"
    assert article.tags == ("Belarus", "Sanctions")
    assert article.lead == "What happened."


def test_meta_name_date_and_author() -> None:
    """<meta name="date"> without a zone is read as UTC; <meta name="author"> gives the author."""
    head = (
        '<meta name="date" content="2023-07-04 12:30:00"><meta name="author" content="By Jane Roe">'
    )
    article = extract_article(article_page(head=head))
    assert article.published_at == datetime(2023, 7, 4, 12, 30, tzinfo=UTC)
    assert article.authors == ("Jane Roe",)


def test_time_element_datetime() -> None:
    """<time datetime> gives the date when no meta does."""
    html = article_page(before='<time datetime="2022-10-05T14:00:00+03:00">5 Oct</time>')
    published = extract_article(html).published_at
    assert published == datetime(2022, 10, 5, 11, tzinfo=UTC)


def test_visible_date_pattern() -> None:
    """A date written as ``15.02.25, 10:46`` in a date-like element is read (as UTC)."""
    html = article_page(before='<div class="news-date">Kyiv • 15.02.25, 10:46</div>')
    assert extract_article(html).published_at == datetime(2025, 2, 15, 10, 46, tzinfo=UTC)


def test_date_from_url_is_the_last_resort() -> None:
    """A dated URL path gives the date at midnight UTC."""
    article = extract_article(article_page(), url="https://example.org/2019/11/19/tram/")
    assert article.published_at == datetime(2019, 11, 19, tzinfo=UTC)


def test_structured_date_beats_visible_and_url_dates() -> None:
    """Metadata wins over what the page shows and what the URL says."""
    head = '<meta property="article:published_time" content="2021-01-02T03:04:05Z">'
    html = article_page(head=head, before='<div class="date">15.02.25, 10:46</div>')
    article = extract_article(html, url="https://example.org/2019/11/19/x")
    assert article.published_at == datetime(2021, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_canonical_link_is_resolved_against_the_page_url() -> None:
    """A relative rel=canonical is made absolute; without any, the fetched URL is kept."""
    head = '<link rel="canonical" href="/news/tram?x=1">'
    url = "https://example.org/news/tram?utm_source=feed"
    assert (
        extract_article(article_page(head=head), url=url).url == "https://example.org/news/tram?x=1"
    )
    assert extract_article(article_page(), url=url).url == url


def test_title_falls_back_to_h1_then_title_without_site_name() -> None:
    """Without metadata the <h1> is the title; without <h1>, <title> minus the site's name."""
    assert extract_article(article_page()).title == "Tram line extended"
    assert extract_article(page(paragraphs(*STORY))).title == "Tram line extended"


@pytest.mark.parametrize(("lang", "expected"), [("uk-UA", "uk"), ("EN", "en"), ("", None)])
def test_language_is_the_lower_case_primary_subtag(lang: str, expected: str | None) -> None:
    """<html lang> is normalised to its primary subtag."""
    assert extract_article(page(paragraphs(*STORY), lang=lang)).language == expected


def test_lead_falls_back_to_first_paragraph() -> None:
    """Without a description the lead is the first body paragraph."""
    assert extract_article(article_page()).lead == STORY[0]


def test_article_to_json_is_json_serialisable() -> None:
    """The JSON form has ISO dates and lists, and round-trips through json."""
    data = article_to_json(extract_article(article_page(head=ld_script(NEWS_ARTICLE))))
    assert json.loads(json.dumps(data)) == data
    assert data["published_at"] == "2025-02-15T09:58:00+02:00"
    assert data["authors"] == ["Olga Sheremet", "Ivan Petrenko"]
    assert data["paragraphs"] == list(STORY)


def test_double_escaped_entities_are_decoded() -> None:
    """Metadata escaped twice by the CMS reads as text."""
    head = '<meta property="og:title" content="Trump&amp;#8217;s &amp;quot;deal&amp;quot;">'
    assert extract_article(page(paragraphs(*STORY), head)).title == 'Trump’s "deal"'


def test_json_ld_author_references_are_not_names() -> None:
    """An author given only as an @id URL is skipped; one with a name is kept."""
    data = {
        "@type": "NewsArticle",
        "author": [{"@id": "https://x.org/#/schema/person/1"}, {"@id": "p2", "name": "Jane Roe"}],
    }
    assert extract_article(article_page(head=ld_script(data))).authors == ("Jane Roe",)


def test_bylines_are_cut_to_the_name() -> None:
    """A byline carrying a date and page furniture gives the name alone."""
    head = '<meta name="author" content="Madeline Fry | November 18, 2019 12:01 PM Print">'
    assert extract_article(article_page(head=head)).authors == ("Madeline Fry",)


def test_comma_separated_tags_are_split() -> None:
    """One tag value listing several keywords gives several tags."""
    head = '<meta property="article:tag" content="trams, city council,transport">'
    assert extract_article(article_page(head=head)).tags == ("trams", "city council", "transport")


def test_site_name_is_not_a_title() -> None:
    """An og:title that is only the site's name gives way to the headline."""
    head = (
        '<meta property="og:site_name" content="City News">'
        '<meta property="og:title" content="City News">'
    )
    assert extract_article(article_page(head=head)).title == "Tram line extended"
