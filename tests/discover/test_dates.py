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
