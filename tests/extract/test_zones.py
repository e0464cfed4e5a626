"""Putting a UTC instant on the page's own day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from watchwire.extract.dates import Kind, Stamp
from watchwire.extract.zones import localise, onto_day, same_instant_offset

INSTANT = datetime(2023, 11, 9, 6, 35, tzinfo=UTC)


def test_onto_the_day_before_in_the_nearest_whole_hour_offset() -> None:
    moved = onto_day(INSTANT, date(2023, 11, 8))
    assert moved == INSTANT
    assert moved is not None
    assert (moved.date(), moved.utcoffset()) == (date(2023, 11, 8), timedelta(hours=-7))


def test_onto_the_day_after() -> None:
    late = datetime(2020, 12, 5, 23, 15, tzinfo=UTC)
    moved = onto_day(late, date(2020, 12, 6))
    assert moved is not None
    assert (moved.date(), moved.utcoffset()) == (date(2020, 12, 6), timedelta(hours=1))


def test_no_real_zone_reaches_a_day_two_days_off() -> None:
    assert onto_day(INSTANT, date(2023, 11, 7)) is None
    assert onto_day(datetime(2023, 11, 9, 1, tzinfo=UTC), date(2023, 11, 10)) is None


def test_same_instant_offsets_are_real_ones() -> None:
    wall = datetime(2023, 11, 8, 22, 35, tzinfo=UTC)  # a wall clock read as UTC
    assert same_instant_offset(INSTANT, wall) == timezone(timedelta(hours=-8))
    assert same_instant_offset(INSTANT, wall.replace(minute=36)) is None  # another time
    assert same_instant_offset(INSTANT, INSTANT) is None


def test_localise_prefers_the_zone_the_page_gives_to_a_shown_day() -> None:
    stamp = Stamp(INSTANT, Kind.UTC)
    offset = Stamp(datetime(2023, 11, 8, 23, 5, tzinfo=timezone(timedelta(hours=-8))), Kind.OFFSET)
    assert localise(stamp, [offset], [date(2023, 11, 9)]).utcoffset() == timedelta(hours=-8)
    assert localise(stamp, [], [date(2023, 11, 9), date(2023, 11, 8)]) == INSTANT
    assert localise(stamp, [], [date(2023, 11, 9), date(2023, 11, 8)]).utcoffset() == timedelta(0)
    assert localise(stamp, [], [date(2023, 11, 8)]).date() == date(2023, 11, 8)


def test_a_wall_clock_time_takes_the_pages_offset_and_keeps_its_day() -> None:
    wall = Stamp(datetime(2020, 6, 4, 11, 27, tzinfo=UTC), Kind.LOCAL)
    offset = Stamp(datetime(2020, 6, 4, 9, 0, tzinfo=timezone(timedelta(hours=2))), Kind.OFFSET)
    found = localise(wall, [offset])
    assert found == datetime(2020, 6, 4, 11, 27, tzinfo=timezone(timedelta(hours=2)))
    assert localise(wall, []) == wall.at
