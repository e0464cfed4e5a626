"""Dates of an article: parsing what pages write, in the forms they write it.

Every result is timezone-aware (UTC when the page names no zone) and within sane bounds: not
before ``MIN_DATE`` and not more than a day in the future of ``now``. Anything else is ``None``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Final

__all__ = ["MIN_DATE", "date_from_url", "find_visible_date", "parse_date"]

MIN_DATE: Final = datetime(1995, 1, 1, tzinfo=UTC)
"""Nothing on the news web is older than this; earlier "dates" are misread numbers."""
MAX_AHEAD: Final = timedelta(days=1)
"""Tolerance for clocks and time zones: later than ``now`` plus this is not a publication date."""

_MONTHS: Final = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_NAMES: Final = "|".join(sorted(_MONTHS, key=len, reverse=True))

_TIME = r"(?:(?:,|\s|\s?[-–—•|]\s?|\s+at\s+)+(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
_DMY_NUMERIC: Final = re.compile(
    r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?![\d.]\d)" + _TIME
)
"""``15.02.25, 10:46``, ``15.02.2025 10:46``: the European order, the only one with dots."""
_YMD_NUMERIC: Final = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)" + _TIME)
_MDY_NAMED: Final = re.compile(
    rf"\b({_MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b" + _TIME, re.IGNORECASE
)
_DMY_NAMED: Final = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\.?\s+({_MONTH_NAMES})\.?,?\s+(\d{{4}})\b" + _TIME,
    re.IGNORECASE,
)
_URL_DATE: Final = re.compile(
    r"/((?:199[5-9]|20\d\d))(?:/|-|_)?(0[1-9]|1[0-2])(?:/|-|_)?(0[1-9]|[12]\d|3[01])(?=[/_.-]|$)"
)


def _checked(value: datetime, now: datetime | None) -> datetime | None:
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    upper = (now or datetime.now(UTC)) + MAX_AHEAD
    return value if MIN_DATE <= value <= upper else None


def _build(
    year: int, month: int, day: int, hour: str | None, minute: str | None, second: str | None
) -> datetime | None:
    if year < 100:
        year += 2000
    try:
        return datetime(
            year, month, day, int(hour or 0), int(minute or 0), int(second or 0), tzinfo=UTC
        )
    except ValueError:
        return None


def parse_date(value: object, *, now: datetime | None = None) -> datetime | None:
    """A date as pages write it in metadata: ISO 8601, RFC 2822, or the forms people read."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 100:
        return None
    candidate = text.replace(" ", "T", 1) if re.match(r"\d{4}-\d\d-\d\d \d", text) else text
    try:
        return _checked(datetime.fromisoformat(candidate), now)
    except ValueError:
        pass
    try:
        return _checked(parsedate_to_datetime(text), now)
    except (TypeError, ValueError, IndexError):
        pass
    return find_visible_date(text, now=now)


def find_visible_date(text: str, *, now: datetime | None = None) -> datetime | None:
    """The first date written in running text, such as ``15.02.25, 10:46`` or ``Nov 19, 2019``."""
    text = text[:2000]
    found: list[tuple[int, datetime]] = []
    for pattern, order in (
        (_DMY_NUMERIC, "dmy"),
        (_YMD_NUMERIC, "ymd"),
        (_MDY_NAMED, "mdy"),
        (_DMY_NAMED, "dmy"),
    ):
        for match in pattern.finditer(text):
            parts = dict(zip(order, match.groups()[:3], strict=True))
            month = _MONTHS.get(parts["m"].lower().rstrip(".")) or (
                int(parts["m"]) if parts["m"].isdigit() else 0
            )
            value = _build(int(parts["y"]), month, int(parts["d"]), *match.groups()[3:])
            checked = _checked(value, now) if value else None
            if checked:
                found.append((match.start(), checked))
                break
    return min(found, key=lambda item: item[0])[1] if found else None


def date_from_url(url: str | None, *, now: datetime | None = None) -> datetime | None:
    """A date in the URL path (``/2019/11/19/``, ``/2019-11-19-``, ``/20191119/``), midnight UTC."""
    if not url:
        return None
    match = _URL_DATE.search(url.split("?", 1)[0])
    if not match:
        return None
    value = _build(int(match[1]), int(match[2]), int(match[3]), None, None, None)
    return _checked(value, now) if value else None
