"""Dates of an article: reading what pages write, in the forms they write it.

A page writes dates for machines (ISO 8601 and its odd variants, RFC 2822) and for people
(``3. März 2021``, ``lundi 11 mai 2020``, ``21 вересня 2020``, ``Nov. 8, 2023, 10:28 p.m.``,
``17/09/2019``, ``2020. 08. 18.``, ``2020年07月12日``). Each is read into a :class:`Stamp`, which
keeps how much the page said: a time with its own offset, a time in UTC, a wall-clock time with
no zone, or only a day. Which of a page's dates is its publication date is ``published.py``'s
business.

Every date is within sane bounds: not before ``MIN_DATE`` and not more than ``MAX_AHEAD`` after
``now``. Anything else is no date.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Final

from watchwire.extract.months import MONTHS

__all__ = [
    "MAX_AHEAD",
    "MIN_DATE",
    "Found",
    "Kind",
    "Stamp",
    "date_from_url",
    "find_dates",
    "find_visible_date",
    "first_timestamp",
    "parse_date",
    "read_stamp",
]

MIN_DATE: Final = datetime(1995, 1, 1, tzinfo=UTC)
"""Nothing on the news web is older than this; earlier "dates" are misread numbers or history."""
MAX_AHEAD: Final = timedelta(days=1)
"""Tolerance for clocks and time zones: later than ``now`` plus this is not a publication date."""


class Kind(enum.Enum):
    """How much a written date says."""

    OFFSET = "offset"
    """A time with the page's own, non-zero UTC offset: the instant and the page's day."""
    UTC = "utc"
    """A time in UTC (``Z``, ``+00:00``, ``GMT``): the instant, not necessarily the page's day."""
    LOCAL = "local"
    """A wall-clock time with no zone: the page's day, not the instant."""
    DAY = "day"
    """A day with no time."""


@dataclass(frozen=True, slots=True)
class Stamp:
    """A date as a page wrote it. ``at`` is aware; ``LOCAL`` and ``DAY`` carry UTC until a
    zone is known, so that their ``day`` is the day the page wrote."""

    at: datetime
    kind: Kind

    @property
    def day(self) -> date:
        return self.at.date()

    @property
    def timed(self) -> bool:
        return self.kind is not Kind.DAY


@dataclass(frozen=True, slots=True)
class Found:
    """A date found in running text, with where it was."""

    start: int
    end: int
    stamp: Stamp


# --- machine-readable forms -------------------------------------------------------------------

_ISO: Final = re.compile(
    r"(\d{4})-?(\d\d)-?(\d\d)"
    r"(?:(?:[T\s|]+|T?)(\d\d?)[:h]?(\d\d)(?::?(\d\d?)(?:[.,]\d+)?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d\d(?::?\d\d)?)?",
    re.IGNORECASE,
)
"""ISO 8601 and what CMSs make of it: ``20200414T00:38:07Z``, ``2020-08-25|00h23``,
``2020-12-05T23:15:0Z`` (one-digit seconds), ``2023-11-08 17:49:09`` (no zone)."""


def _bounded(value: datetime, now: datetime | None) -> bool:
    upper = (now or datetime.now(UTC)) + MAX_AHEAD
    return MIN_DATE <= value <= upper


def _stamp(value: datetime, kind: Kind, now: datetime | None) -> Stamp | None:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return Stamp(value, kind) if _bounded(value, now) else None


def _zone(text: str | None) -> tuple[timezone | None, Kind]:
    if not text:
        return None, Kind.LOCAL
    if text[0] not in "+-":
        return UTC, Kind.UTC
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
    if minutes > 14 * 60:
        raise ValueError(text)
    if minutes == 0:
        return UTC, Kind.UTC
    sign = -1 if text[0] == "-" else 1
    return timezone(timedelta(minutes=sign * minutes)), Kind.OFFSET


def _iso(match: re.Match[str], now: datetime | None) -> Stamp | None:
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        tz, kind = _zone(zone)
        if hour is None:
            value = datetime(int(year), int(month), int(day), tzinfo=UTC)
            return _stamp(value, Kind.DAY, now)
        value = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=tz
        )
    except ValueError:
        return None
    return _stamp(value, kind, now)


def _rfc2822(text: str, now: datetime | None) -> Stamp | None:
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if value.tzinfo is None:  # no zone, or "-0000" (zone unknown)
        kind = Kind.LOCAL if ":" in text else Kind.DAY
    else:
        kind = Kind.OFFSET if value.utcoffset() else Kind.UTC
    return _stamp(value, kind, now)


def read_stamp(
    value: object, *, month_first: bool = False, now: datetime | None = None
) -> Stamp | None:
    """A date as pages write it in metadata: ISO 8601, RFC 2822, or the forms people read."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 100:
        return None
    if text[:4].isdigit():
        if (iso := _ISO.fullmatch(text)) is not None:
            return _iso(iso, now)  # impossible fields are no date, not another form
    elif (found := _rfc2822(text, now)) is not None:
        return found
    dates = find_dates(text, month_first=month_first, now=now)
    return dates[0].stamp if dates else None


def parse_date(value: object, *, now: datetime | None = None) -> datetime | None:
    """:func:`read_stamp`'s datetime (UTC when the text names no zone)."""
    found = read_stamp(value, now=now)
    return found.at if found is not None else None


# --- forms people read ------------------------------------------------------------------------

_WORD = r"(?P<word>[^\W\d_]{2,})\.?"
_YEAR4 = r"(?P<year>(?:19|20)\d\d)(?!\d)"
_ORDINAL = r"(?:st|nd|rd|th|er|e|\.|º|°)?"

_YMD_NUMERIC: Final = re.compile(
    r"(?<![\d.])(?P<year>(?:19|20)\d\d)(?P<sep>[-/]|\.\s?)(?P<month>\d\d?)(?P=sep)(?P<day>\d\d?)"
    r"(?!\d)\.?"
)
"""``2020-03-04``, ``2020/7/12``, ``2020.04.17``, ``2020. 08. 18.`` (Hungarian)."""
_YMD_CJK: Final = re.compile(
    r"(?P<year>(?:19|20)\d\d)\s*[年년]\s*(?P<month>\d\d?)\s*[月월]\s*(?P<day>\d\d?)\s*[日일]?"
)
_NUMERIC: Final = re.compile(
    r"(?<![\d.,/-])(?P<first>\d\d?)(?P<sep>[-/]|\.\s?)(?P<second>\d\d?)(?P=sep)"
    r"(?P<year>(?:19|20)\d\d|\d\d)(?!\d|\.\d)\.?"
)
"""``17/09/2019``, ``8. 3. 2022.``, ``15.02.25``, ``4/13/2020``: day or month first."""
_DMY_NAMED: Final = re.compile(
    rf"(?<!\d)(?P<day>\d\d?){_ORDINAL}\s*(?:de\s+|del\s+|of\s+|d['’]\s*)?{_WORD}\s*,?\s*"
    rf"(?:de\s+|del\s+)?{_YEAR4}",
    re.IGNORECASE,
)
"""``3. März 2021``, ``lundi 11 mai 2020``, ``5 de junio de 2020``, ``21 вересня 2020``."""
_MDY_NAMED: Final = re.compile(
    rf"{_WORD}\s*(?P<day>\d\d?)(?:st|nd|rd|th)?\s*,?\s*{_YEAR4}", re.IGNORECASE
)
"""``Nov. 8, 2023``, ``January 18, 2020``, ``Juli 12, 2017``."""
_YMD_NAMED: Final = re.compile(rf"{_YEAR4}\.?\s+{_WORD}\s+(?P<day>\d\d?)\.?(?!\d)", re.IGNORECASE)
"""``2020. június 4.`` (Hungarian)."""
_TIME: Final = re.compile(
    r"[\s,.;|/·•–—-]*(?:(?:um|at|à|a las|às|alle|ore|o|в|kl|de|\||-)\.?\s*)?"
    r"(?P<hour>\d\d?)[:h](?P<minute>\d\d)(?::(?P<second>\d\d))?"
    r"(?:\s*(?P<half>[ap])\.?\s?m\b\.?)?",
    re.IGNORECASE,
)
"""A time of day right after a date: ``, 10:46``, ``um 14:48``, ``at 4:38 PM``, ``21h36``."""

_DIGIT: Final = re.compile(r"\d")
_LONGEST_MONTH: Final = max(map(len, MONTHS))
_PATTERNS: Final = (_YMD_NUMERIC, _YMD_CJK, _NUMERIC, _DMY_NAMED, _MDY_NAMED, _YMD_NAMED)
_MAX_TEXT = 2000


def _year(text: str, now: datetime | None) -> int:
    year = int(text)
    if len(text) == 2:
        this = (now or datetime.now(UTC)).year % 100
        year += 2000 if year <= this + 1 else 1900
    return year


def _day_month(match: re.Match[str], month_first: bool) -> tuple[int, int] | None:
    groups = match.groupdict()
    if "word" in groups:
        month = MONTHS.get(groups["word"].casefold())
        return (int(groups["day"]), month) if month else None
    if "first" not in groups:
        return int(groups["day"]), int(groups["month"])
    first, second = int(groups["first"]), int(groups["second"])
    if groups["sep"].startswith("."):
        return first, second  # dotted dates are day first everywhere
    if first > 12 or (second <= 12 and not month_first):
        return first, second
    return second, first


def _time_after(text: str, end: int) -> tuple[int, int, int, int] | None:
    """Hour, minute, second of a time right after a date, and where it ends."""
    match = _TIME.match(text, end, end + 30)
    if match is None:
        return None
    hour, minute = int(match["hour"]), int(match["minute"])
    half = (match["half"] or "").lower()
    if half and not 1 <= hour <= 12:
        return None
    if half == "p" and hour != 12:
        hour += 12
    elif half == "a" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    return hour, minute, int(match["second"] or 0), match.end()


def _read(match: re.Match[str], text: str, month_first: bool, now: datetime | None) -> Found | None:
    parts = _day_month(match, month_first)
    if parts is None:
        return None
    day, month = parts
    time = _time_after(text, match.end())
    try:
        if time is None:
            value = datetime(_year(match["year"], now), month, day, tzinfo=UTC)
        else:
            value = datetime(_year(match["year"], now), month, day, *time[:3], tzinfo=UTC)
    except ValueError:
        return None
    stamp = _stamp(value, Kind.DAY if time is None else Kind.LOCAL, now)
    if stamp is None:
        return None
    return Found(match.start(), time[3] if time else match.end(), stamp)


def find_dates(text: str, *, month_first: bool = False, now: datetime | None = None) -> list[Found]:
    """Every date written in ``text`` for people to read, in order, none overlapping.

    ``month_first`` reads an ambiguous ``4/5/2020`` as April 5 (American pages); otherwise day
    first. A number that cannot be a day or a month decides whatever the preference.
    """
    text = text[:_MAX_TEXT]
    if _DIGIT.search(text) is None:
        return []
    found: list[Found] = []
    for pattern in _PATTERNS:
        pos = 0
        while (match := pattern.search(text, pos)) is not None:
            item = _read(match, text, month_first, now)
            if item is None:
                # Matches overlap ("Datum 12 März 2021", "SmithMarch 5, 2020"); a month name
                # is at most the last _LONGEST_MONTH letters of a word.
                pos = match.start() + 1
                if (word := match.groupdict().get("word")) and match.start("word") == match.start():
                    pos = max(pos, match.start() + len(word) - _LONGEST_MONTH)
                continue
            found.append(item)
            pos = match.end()
    found.sort(key=lambda f: (f.start, -f.end))
    kept: list[Found] = []
    for item in found:
        if not kept or item.start >= kept[-1].end:
            kept.append(item)
    return kept


def find_visible_date(
    text: str, *, month_first: bool = False, now: datetime | None = None
) -> datetime | None:
    """The first date written in running text, such as ``15.02.25, 10:46`` or ``Nov 19, 2019``."""
    found = find_dates(text, month_first=month_first, now=now)
    return found[0].stamp.at if found else None


# --- timestamps anywhere in a page's source ---------------------------------------------------

_TIMESTAMP: Final = re.compile(
    r"(?<![\d.])(?P<year>(?:19|20)\d\d)(?P<sep>[-/.])(?P<month>\d\d)(?P=sep)(?P<day>\d\d)"
    r"[ T](?P<hour>\d\d):(?P<minute>\d\d)"
    r"|(?<![\d.])(?P<first>\d\d)(?P<sep2>[-/.])(?P<second>\d\d)(?P=sep2)(?P<year2>(?:19|20)\d\d)"
    r"[ ,]+(?P<hour2>\d\d):(?P<minute2>\d\d)"
)
"""A date with a time of day, as scripts, comments and templates write them."""
_MAX_TIMESTAMPS: Final = 50


def first_timestamp(
    source: str, *, month_first: bool = False, now: datetime | None = None
) -> Stamp | None:
    """The first date with a time of day in a page's source, scripts and comments included
    (``showDate("2020/04/17 01:43:09")``, ``<!-- cached 2020-04-24 21:36 -->``)."""
    for count, match in enumerate(_TIMESTAMP.finditer(source)):
        if count >= _MAX_TIMESTAMPS:
            break
        if match["year"]:
            year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
            hour, minute = int(match["hour"]), int(match["minute"])
        else:
            first, second = int(match["first"]), int(match["second"])
            day, month = (
                (first, second)
                if first > 12 or (second <= 12 and not month_first) or match["sep2"] == "."
                else (second, first)
            )
            year, hour, minute = int(match["year2"]), int(match["hour2"]), int(match["minute2"])
        try:
            value = datetime(year, month, day, hour, minute, tzinfo=UTC)
        except ValueError:
            continue
        if (stamp := _stamp(value, Kind.LOCAL, now)) is not None:
            return stamp
    return None


# --- URLs -------------------------------------------------------------------------------------

_URL_DATE: Final = re.compile(
    r"/((?:199[5-9]|20\d\d))(?:/|-|_)?(0[1-9]|1[0-2])(?:/|-|_)?(0[1-9]|[12]\d|3[01])(?=[/_.-]|$)"
)


def date_from_url(url: str | None, *, now: datetime | None = None) -> datetime | None:
    """A date in the URL path (``/2019/11/19/``, ``/2019-11-19-``, ``/20191119/``), midnight UTC."""
    if not url:
        return None
    match = _URL_DATE.search(url.split("?", 1)[0])
    if not match:
        return None
    try:
        value = datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=UTC)
    except ValueError:
        return None
    return value if _bounded(value, now) else None
