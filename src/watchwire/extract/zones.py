"""A page's time zone, from what the page shows: putting an instant on the page's own day.

Many CMSs write their timestamps in UTC (``2023-11-09T06:35:29Z``) for an article its readers
saw dated November 8, in California. The page usually says so somewhere else: another
timestamp with its offset (``2023-11-08T22:35:29-08:00``), a wall-clock time of the same
instant with no zone (``2023-11-08 22:35:29``), or a day it shows (``November 8, 2023``, or
``/2023/11/08/`` in its URL) that the instant falls on in some real zone.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Final

from watchwire.extract.dates import Kind, Stamp

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["localise", "onto_day", "page_zone"]

EARLIEST_OFFSET: Final = timedelta(hours=-12)
LATEST_OFFSET: Final = timedelta(hours=14)


def _real(offset: timedelta) -> bool:
    return EARLIEST_OFFSET <= offset <= LATEST_OFFSET


def same_instant_offset(utc: datetime, local: datetime) -> timezone | None:
    """The offset that makes wall-clock ``local`` the instant ``utc``, if it is a real one
    (a whole quarter of an hour, within what the world uses, not zero)."""
    offset = local.replace(tzinfo=None) - utc.astimezone(UTC).replace(tzinfo=None)
    if not offset or (offset.total_seconds() / 60) % 15 or not _real(offset):
        return None
    return timezone(offset)


def page_zone(evidence: Iterable[Stamp], instant: datetime | None = None) -> timezone | None:
    """The zone the page writes in: the first non-zero offset it gives, else the offset that
    makes one of its wall-clock times the same instant as ``instant``."""
    locals_: list[Stamp] = []
    for stamp in evidence:
        if stamp.kind is Kind.OFFSET:
            zone = stamp.at.tzinfo
            return zone if isinstance(zone, timezone) else None
        if stamp.kind is Kind.LOCAL:
            locals_.append(stamp)
    if instant is not None:
        for stamp in locals_:
            if (zone := same_instant_offset(instant, stamp.at)) is not None:
                return zone
    return None


def onto_day(at: datetime, day: date) -> datetime | None:
    """``at`` in the whole-hour offset nearest UTC that puts it on ``day``, if a real one does."""
    utc = at.astimezone(UTC)
    if utc.date() == day:
        return utc
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    if day < utc.date():  # behind UTC: at least this far back
        hours = math.floor(((midnight + timedelta(days=1)) - utc).total_seconds() / 3600 - 1e-9)
    else:
        hours = math.ceil((midnight - utc).total_seconds() / 3600)
    offset = timedelta(hours=hours)
    if not _real(offset):
        return None
    local = utc.astimezone(timezone(offset))
    return local if local.date() == day else None


def localise(stamp: Stamp, evidence: Iterable[Stamp], days: Iterable[date] = ()) -> datetime:
    """``stamp`` as the page's readers see it: in the page's zone, on the page's day.

    An offset the stamp has is the page's own. A wall-clock time or a day gets the page's zone
    when another timestamp gives it (else UTC, which keeps its day). A UTC instant is put in
    the page's zone, or else on the first of ``days`` (days the page shows, most trusted
    first) that it can fall on — unless one of them already agrees with UTC.
    """
    if stamp.kind is Kind.OFFSET:
        return stamp.at
    if stamp.kind is not Kind.UTC:
        zone = page_zone(evidence)
        return stamp.at.replace(tzinfo=zone) if zone is not None else stamp.at
    if (zone := page_zone(evidence, stamp.at)) is not None:
        return stamp.at.astimezone(zone)
    utc_day = stamp.at.astimezone(UTC).date()
    shown: list[date] = []
    for day in days:  # lazily: a later day may cost a search of the page
        if day == utc_day:
            return stamp.at
        shown.append(day)
    for day in shown:
        if (moved := onto_day(stamp.at, day)) is not None:
            return moved
    return stamp.at
