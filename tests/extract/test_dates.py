"""Date parsing: formats, zones and bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from watchwire.extract.dates import date_from_url, find_visible_date, parse_date

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-11-19T10:00:00Z", datetime(2019, 11, 19, 10, tzinfo=UTC)),
        ("2019-11-19T10:00:00.000+0000", datetime(2019, 11, 19, 10, tzinfo=UTC)),
        (
            "2019-11-19T10:00:00-05:00",
            datetime(2019, 11, 19, 10, tzinfo=timezone(timedelta(hours=-5))),
        ),
        ("2019-11-19 10:00:00", datetime(2019, 11, 19, 10, tzinfo=UTC)),
        ("2019-11-19", datetime(2019, 11, 19, tzinfo=UTC)),
        ("Tue, 19 Nov 2019 10:00:00 GMT", datetime(2019, 11, 19, 10, tzinfo=UTC)),
        ("November 19, 2019 at 10:00", datetime(2019, 11, 19, 10, tzinfo=UTC)),
        ("19 Nov 2019", datetime(2019, 11, 19, tzinfo=UTC)),
        ("15.02.25, 10:46", datetime(2025, 2, 15, 10, 46, tzinfo=UTC)),
    ],
)
def test_formats_pages_use(text: str, expected: datetime) -> None:
    """ISO 8601, RFC 2822 and human forms parse; results are always timezone-aware."""
    parsed = parse_date(text, now=NOW)
    assert parsed == expected
    assert parsed is not None
    assert parsed.tzinfo is not None


@pytest.mark.parametrize(
    "text", ["", "yesterday", "1970-01-01T00:00:00Z", "2031-01-01", "32.13.25", None, 1234]
)
def test_nonsense_and_out_of_bounds_dates_are_none(text: object) -> None:
    """Epoch zero, far futures, impossible days and non-strings give None."""
    assert parse_date(text, now=NOW) is None


def test_visible_date_in_running_text() -> None:
    """The first date in text such as a UNN byline is found."""
    text = "Kyiv • UNN • 15.02.25, 10:46 • 26913 views"
    assert find_visible_date(text, now=NOW) == datetime(2025, 2, 15, 10, 46, tzinfo=UTC)


def test_visible_date_ignores_version_numbers_and_scores() -> None:
    """Dotted numbers that are not dates are not read as dates."""
    assert find_visible_date("Python 3.12.1 released; score 1.2.3.4", now=NOW) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.org/2019/11/19/story/", datetime(2019, 11, 19, tzinfo=UTC)),
        ("https://x.org/news/2019-11-19-story", datetime(2019, 11, 19, tzinfo=UTC)),
        ("https://x.org/a/20191119/story.html", datetime(2019, 11, 19, tzinfo=UTC)),
        ("https://x.org/news/story-12345", None),
        ("https://x.org/2019/13/45/story", None),
        (None, None),
    ],
)
def test_date_from_url(url: str | None, expected: datetime | None) -> None:
    """Dated URL paths give midnight UTC; others give None."""
    assert date_from_url(url, now=NOW) == expected
