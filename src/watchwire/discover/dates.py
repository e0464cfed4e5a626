"""Dates as feeds and sitemaps write them, read into timezone-aware UTC datetimes.

RSS uses RFC 822 (``Mon, 02 Jun 2025 10:15:00 +0300``); Atom, sitemaps and JSON Feed use
W3C/ISO 8601 (``2025-06-02T10:15:00+03:00``). Both are tried with the standard library first,
then feedparser's lenient parser for the odd ones. A date without a zone is taken as UTC.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["parse_date"]

# W3C datetime allows a bare year or year-month; fromisoformat does not.
_ISO_DATE = re.compile(r"\d{4}-\d\d?-\d")
_PARTIAL_ISO = re.compile(r"(\d{4})(?:-(\d{2}))?$")


def parse_date(text: str | None) -> datetime | None:
    """A timezone-aware UTC datetime, or None when the text is not a date we can read."""
    if not text:
        return None
    text = text.strip()
    if not text:
        return None
    dt = _iso(text)
    if dt is None:
        dt = _rfc822(text)
    if dt is None and not _ISO_DATE.match(text):
        # (An ISO date fromisoformat rejected has impossible fields; feedparser would roll
        # 2025-13-45 over into 2026 rather than refuse it.)
        dt = _lenient(text)
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset, and the like
        return None


def _iso(text: str) -> datetime | None:
    if not (len(text) >= 4 and text[0].isdigit()):
        return None
    try:
        # 3.11's fromisoformat reads "Z", offsets, fractions and a space separator.
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    if partial := _PARTIAL_ISO.match(text):
        year, month = partial.groups()
        try:
            return datetime(int(year), int(month or 1), 1, tzinfo=UTC)
        except ValueError:
            return None
    return None


def _rfc822(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _lenient(text: str) -> datetime | None:
    # feedparser knows a zoo of real-world formats (Korean, Greek, Hungarian, W3DTF variants).
    # Imported here: the fast path should not pay for importing it.
    from feedparser.datetimes import _parse_date

    try:
        parsed = _parse_date(text)
    except Exception:  # a third-party parser on hostile input: "not a date" is the answer
        return None
    if parsed is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError, OSError):
        return None
