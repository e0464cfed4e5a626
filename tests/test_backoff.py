"""Back-off arithmetic and Retry-After: pure, shared by fetch retries, deliveries and polls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from watchwire.backoff import equal_jitter, exponential, parse_retry_after
from watchwire.config import parse_config
from watchwire.pipeline import backoff_delay


def test_exponential_doubles_from_first_up_to_the_ceiling() -> None:
    assert [exponential(0.5, n, ceiling=3.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_exponential_counts_attempts_below_one_as_the_first() -> None:
    assert exponential(30.0, 0, ceiling=3600.0) == 30.0
    assert exponential(30.0, -3, ceiling=3600.0) == 30.0


def test_exponential_survives_any_failure_streak() -> None:
    """A source failing for months must not overflow the arithmetic."""
    assert exponential(600.0, 10**6, ceiling=21600.0) == 21600.0


def test_equal_jitter_spans_half_to_all_of_the_delay() -> None:
    assert equal_jitter(8.0, lambda: 0.0) == 4.0
    assert equal_jitter(8.0, lambda: 0.5) == 6.0
    assert equal_jitter(8.0, lambda: 1.0) == 8.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("Mon, 30 Nov 2026 08:01:00 GMT", 60.0),
        ("Mon, 30 Nov 2026 07:00:00 GMT", 0.0),
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    """Delta-seconds or an HTTP-date (a past date is 0); anything else is no answer."""
    now = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert parse_retry_after(value, now=now) == seconds


def test_parse_retry_after_measures_a_date_from_the_wall_clock_by_default() -> None:
    assert parse_retry_after("Mon, 30 Nov 2026 08:01:00 GMT") is not None
    assert parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT") == 0.0


def test_a_failing_source_backs_off_from_its_interval_to_max_backoff() -> None:
    settings = parse_config("crawl: {interval: 10m, max_backoff: 1h}\n").settings_for(None)
    delays = [backoff_delay(settings, n) for n in range(6)]
    assert delays == [timedelta(minutes=m) for m in (0, 10, 20, 40, 60, 60)]


def test_a_source_failing_for_weeks_stays_at_max_backoff() -> None:
    """At one poll per max_backoff, 40 failures in a row is ten days: still a delay, no crash."""
    settings = parse_config("crawl: {interval: 10m, max_backoff: 6h}\n").settings_for(None)
    assert backoff_delay(settings, 40) == timedelta(hours=6)
    assert backoff_delay(settings, 10**5) == timedelta(hours=6)
