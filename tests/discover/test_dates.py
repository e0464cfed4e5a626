"""Feed and sitemap dates, read into timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watchwire.discover.dates import parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon, 17 Feb 2025 09:41:00 +0200", datetime(2025, 2, 17, 7, 41, tzinfo=UTC)),
        ("Mon, 17 Feb 2025 09:41:00 GMT", datetime(2025, 2, 17, 9, 41, tzinfo=UTC)),
        ("17 Feb 2025 09:41 EST", datetime(2025, 2, 17, 14, 41, tzinfo=UTC)),
        ("2025-02-17T09:41:00Z", datetime(2025, 2, 17, 9, 41, tzinfo=UTC)),
        ("2025-02-17T09:41:00.250+02:00", datetime(2025, 2, 17, 7, 41, 0, 250000, tzinfo=UTC)),
        ("  2025-02-17 09:41:00\n", datetime(2025, 2, 17, 9, 41, tzinfo=UTC)),
        ("2025-02-17", datetime(2025, 2, 17, tzinfo=UTC)),
        ("2025-02", datetime(2025, 2, 1, tzinfo=UTC)),
        ("2025", datetime(2025, 1, 1, tzinfo=UTC)),
        ("20250217T094100Z", datetime(2025, 2, 17, 9, 41, tzinfo=UTC)),
    ],
)
def test_dates_read_as_utc(text: str, expected: datetime) -> None:
    """RFC 822 and ISO 8601 forms; no zone means UTC."""
    parsed = parse_date(text)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [None, "", "   ", "yesterday", "2025-13-45", "Mon, 99 Foo 2025", "0001-01-01T00:00+01:00"],
)
def test_unreadable_dates_are_none(text: str | None) -> None:
    """Not a date, or not representable: None, never an exception."""
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-03-09T08:15:00+00:0", datetime(2021, 3, 9, 8, 15, tzinfo=UTC)),
        ("2021-03-09T08:15:00+05:3", datetime(2021, 3, 9, 2, 45, tzinfo=UTC)),
        ("2021/3/9 08:15:00", datetime(2021, 3, 9, 8, 15, tzinfo=UTC)),
        ("2021/03/12 08:15", datetime(2021, 3, 12, 8, 15, tzinfo=UTC)),
        ("2021.3.9", datetime(2021, 3, 9, tzinfo=UTC)),
        ("2021/3/9 08:15:00 +01:00", datetime(2021, 3, 9, 7, 15, tzinfo=UTC)),
        ("Tue, 09 Mar 2021 08:15:00 EST", datetime(2021, 3, 9, 13, 15, tzinfo=UTC)),
        ("Tue, 09 Mar 2021 08:15:00 MSK", datetime(2021, 3, 9, 5, 15, tzinfo=UTC)),
        ("Tue, 09 Mar 2021 08:15:00 CET", datetime(2021, 3, 9, 7, 15, tzinfo=UTC)),
        ("Tue, 09 Jun 2021 08:15:00 CEST", datetime(2021, 6, 9, 6, 15, tzinfo=UTC)),
        ("2021-03-09 08:15:00 MSK", datetime(2021, 3, 9, 5, 15, tzinfo=UTC)),
        ("Tue, 09 Mar 2021 08:15:00 +0300 (MSK)", datetime(2021, 3, 9, 5, 15, tzinfo=UTC)),
    ],
)
def test_lenient_timestamps_real_feeds_write(text: str, expected: datetime) -> None:
    """A truncated offset, a year-first date with slashes or dots (the month is second, never
    swapped with the day), a named zone: the instant they mean."""
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Tue, 09 Mar 2021 08:15:00 IST",  # India, Ireland or Israel
        "Tue, 09 Mar 2021 08:15:00 BST",  # British summer time or Bangladesh
        "Tue, 09 Mar 2021 08:15:00 XYZ",
        "2021/13/09 08:15:00",  # no 13th month: not rolled over into the next year
        "2021/2/30",
    ],
)
def test_a_timestamp_that_cannot_be_placed_is_no_date(text: str) -> None:
    """An ambiguous or unknown zone, impossible fields: no date rather than a wrong one."""
    assert parse_date(text) is None
