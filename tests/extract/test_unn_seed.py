"""The seed page: a UNN article with all its chrome, as watchwire exists to read it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from watchwire.extract import extract_article
from watchwire.models import Article

PAGE = Path(__file__).resolve().parent.parent / "data" / "pages" / "unn-belarus-sanctions.html"

CHROME = [
    "42.18",
    "49.23",
    "Electricity outage schedules",
    "views",
    "63412",
    "26913",
    "Recall",
    "Kuznetsik",  # the "Recall" digest of an older story
    "Zelensky: Russia plans to send troops to Belarus this summer",
    "15.02.25, 10:46",
    "Latest news",
    "Subscribe",
    "cookies",
    "All rights reserved",
    "Facebook",
]


@pytest.fixture(scope="module")
def article() -> Article:
    return extract_article(PAGE.read_bytes(), url="https://unn.ua/en/news/x")


def test_body_is_the_story(article: Article) -> None:
    """The story's paragraphs are there, first to last, quotes included."""
    first = "The United States expects to conclude a deal"
    assert any(p.startswith(first) for p in article.paragraphs[:2])
    assert article.paragraphs[-1].endswith("added Peter Kravchyk.")
    assert "- the NYT article says." in article.paragraphs
    assert any(
        p.startswith("Negotiations with Belarus create additional leverage")
        for p in article.paragraphs
    )
    assert "ease sanctions on Belarusian banks and potash exports" in article.text


@pytest.mark.parametrize("chrome", CHROME)
def test_chrome_is_left_out(article: Article, chrome: str) -> None:
    """Tickers, outage link, view counters, the Recall block and the teaser are not text."""
    assert chrome not in article.text


def test_metadata(article: Article) -> None:
    """Title, canonical URL, time, language, section and tags come from the page's metadata."""
    assert article.title.startswith("The United States offers Belarus a “grand bargain”")
    assert article.url is not None
    assert article.url.startswith("https://unn.ua/en/news/the-united-states-offers-belarus")
    assert article.published_at == datetime(2025, 2, 15, 7, 58, tzinfo=UTC)
    assert article.language == "en"
    assert article.section == "Politics"
    assert article.tags == ("Belarus", "Sanctions", "USA")
    assert article.lead.startswith("The United States is negotiating with Belarus")
