"""Dates as feeds and sitemaps write them, read into timezone-aware UTC datetimes.

RSS uses RFC 822 (``Mon, 02 Jun 2025 10:15:00 +0300``); Atom, sitemaps and JSON Feed use
W3C/ISO 8601 (``2025-06-02T10:15:00+03:00``). Both are tried with the standard library first;
then what real feeds write besides: a truncated offset (``+00:0``), a year-first date with
slashes or dots (``2021/3/9 08:15:00``: the month is always second, never swapped), a named
zone (``EST``, ``MSK``, ``CET``). Only then feedparser's lenient parser, for the odd rest
(Korean, Greek, Hungarian forms) — never for a year-first date, which it can roll over or
misorder. A zone name that could mean two places (``IST``, ``BST``) or none known gives no date
rather than a wrong instant. A date without a zone is taken as UTC.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Final

__all__ = ["ZONES", "parse_date"]

# fmt: off
ZONES: Final[dict[str, int]] = {
    # minutes east of UTC; RFC 822's US names are read by the standard library as RFC 822 says
    "WET": 0, "WEST": 60, "CET": 60, "CEST": 120, "MET": 60, "MEST": 120, "MEZ": 60,
    "MESZ": 120, "EET": 120, "EEST": 180, "MSK": 180, "MSD": 240, "SAMT": 240, "YEKT": 300,
    "IRST": 210, "IRDT": 270, "PKT": 300, "NPT": 345, "ICT": 420, "WIB": 420, "HKT": 480,
    "SGT": 480, "PHT": 480, "AWST": 480, "JST": 540, "KST": 540, "ACST": 570, "ACDT": 630,
    "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780, "HST": -600, "AKST": -540,
    "AKDT": -480, "NST": -210, "NDT": -150, "BRT": -180, "ART": -180, "EAT": 180, "CAT": 120,
    "WAT": 60, "SAST": 120,
}
"""Zone abbreviations with one meaning, in minutes east of UTC."""
# fmt: on
_AMBIGUOUS: Final = frozenset({"IST", "BST", "CST6", "SST", "AMT", "GST", "ECT"})
"""India, Ireland or Israel; British summer time or Bangladesh; …: no instant rather than a
wrong one."""
_RFC822_ZONES: Final = frozenset(
    {"UT", "UTC", "GMT", "Z", "AST", "ADT", "EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT"}
)
_NAMED_ZONE: Final = re.compile(r"(?<=\d)\s*\(?([A-Z]{2,5})\)?\s*$")
"""A zone name after the time (``08:15:00 MSK``, ``08:15 (CET)``)."""
_YEAR_FIRST: Final = re.compile(
    r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})"
    r"(?:[T\s]+(\d{1,2}):(\d\d)(?::(\d\d)(?:[.,]\d+)?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d\d(?::?\d{1,2})?)?",
    re.IGNORECASE,
)
_PARTIAL_ISO: Final = re.compile(r"(\d{4})(?:-(\d{2}))?$")
"""W3C datetime allows a bare year or year-month; fromisoformat does not."""


def parse_date(text: str | None) -> datetime | None:
    """A timezone-aware UTC datetime, or None when the text is not a date we can read."""
    if not text:
        return None
    text = text.strip()
    if not text:
        return None
    if (named := _NAMED_ZONE.search(text)) is not None and named[1] not in _RFC822_ZONES:
        minutes = ZONES.get(named[1])
        if minutes is None:  # ambiguous, or a name we do not know: no date, not a wrong one
            return None
        text = f"{text[: named.start()]} {_offset(minutes)}"
    dt = _year_first(text) if text[:4].isdigit() else (_rfc822(text) or _lenient(text))
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset, and the like
        return None


def _offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _year_first(text: str) -> datetime | None:
    """ISO 8601 and its real-world variants; year, month, day always in that order."""
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
    match = _YEAR_FIRST.fullmatch(text)
    if match is None:
        return None
    year, _sep, month, day, hour, minute, second, zone = match.groups()
    try:
        return datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
            tzinfo=_zone(zone),
        )  # fmt: skip
    except ValueError:  # impossible fields: no date (never rolled over into another month)
        return None


def _zone(text: str | None) -> timezone:
    if not text or text[0] not in "+-":
        return UTC
    digits = text[1:].replace(":", "")
    hours, minutes = digits[:2], digits[2:]
    if len(minutes) == 1:  # a truncated "+05:3" is "+05:30"
        minutes += "0"
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if offset > timedelta(hours=14):
        raise ValueError(text)
    return timezone(-offset if text[0] == "-" else offset)


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
