"""Date parsing: formats, zones and bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from watchwire.extract.dates import (
    Kind,
    Stamp,
    date_from_url,
    find_visible_date,
    first_timestamp,
    parse_date,
    read_stamp,
)

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


# --- forms people read, in their languages ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Veröffentlicht am 3. März 2021", datetime(2021, 3, 3, tzinfo=UTC)),
        ("lundi 11 mai 2020", datetime(2020, 5, 11, tzinfo=UTC)),
        ("Опубліковано 21 вересня 2020", datetime(2020, 9, 21, tzinfo=UTC)),
        ("21 сентября 2020 г.", datetime(2020, 9, 21, tzinfo=UTC)),
        ("viernes, 5 de junio de 2020", datetime(2020, 6, 5, tzinfo=UTC)),
        ("22 de novembro de 2020. 18:20", datetime(2020, 11, 22, 18, 20, tzinfo=UTC)),
        ("Domenica 06 Dicembre 2020 | 00:36", datetime(2020, 12, 6, 0, 36, tzinfo=UTC)),
        ("4 czerwca 2020", datetime(2020, 6, 4, tzinfo=UTC)),
        ("duminică, 20 septembrie 2020", datetime(2020, 9, 20, tzinfo=UTC)),
        ("9 oktober 2020 11:12", datetime(2020, 10, 9, 11, 12, tzinfo=UTC)),
        ("1er mai 2020", datetime(2020, 5, 1, tzinfo=UTC)),
        ("5 d’abril de 2020", datetime(2020, 4, 5, tzinfo=UTC)),
        ("Juli 12, 2017", datetime(2017, 7, 12, tzinfo=UTC)),
        ("Nov. 8, 2023, 10:28 p.m. ET", datetime(2023, 11, 8, 22, 28, tzinfo=UTC)),
        ("Apr\xa013,\xa02020\xa0at\xa04:38\xa0PM", datetime(2020, 4, 13, 16, 38, tzinfo=UTC)),
        ("am 14. Dezember 2015 um 14:48 von", datetime(2015, 12, 14, 14, 48, tzinfo=UTC)),
        ("2020. június 4.", datetime(2020, 6, 4, tzinfo=UTC)),
        ("2020. 08. 18. 21:35", datetime(2020, 8, 18, 21, 35, tzinfo=UTC)),
        ("2020年07月12日", datetime(2020, 7, 12, tzinfo=UTC)),
        ("2020년 4월 17일", datetime(2020, 4, 17, tzinfo=UTC)),
        ("17/09/2019", datetime(2019, 9, 17, tzinfo=UTC)),
        ("8. 3. 2022.", datetime(2022, 3, 8, tzinfo=UTC)),
        ("von Klaus, 8.5.12", datetime(2012, 5, 8, tzinfo=UTC)),
        ("07 أكتوبر 2020", datetime(2020, 10, 7, tzinfo=UTC)),
    ],
)
def test_dates_people_read_in_many_languages(text: str, expected: datetime) -> None:
    """Month names in the page's language, day-first numerics, CJK and Hungarian order."""
    assert find_visible_date(text, now=NOW_2025) == expected


NOW_2025 = datetime(2025, 3, 1, tzinfo=UTC)


def test_ambiguous_numeric_dates_follow_the_page_and_never_swap_a_clear_one() -> None:
    """``4/5/2020`` is April 5 on an American page, May 4 elsewhere; ``4/13/2020`` is April 13
    and ``13/4/2020`` is April 13 whatever the page's habit; dotted dates are day first."""
    assert find_visible_date("4/5/2020", month_first=True) == datetime(2020, 4, 5, tzinfo=UTC)
    assert find_visible_date("4/5/2020") == datetime(2020, 5, 4, tzinfo=UTC)
    for text in ("4/13/2020", "13/4/2020"):
        for first in (True, False):
            found = find_visible_date(text, month_first=first)
            assert found == datetime(2020, 4, 13, tzinfo=UTC)
    assert find_visible_date("4.5.2020", month_first=True) == datetime(2020, 5, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    ["Python 3.12.1", "1.2.3.4", "10:46", "score 3-1", "Joined March 2007", "32/13/2020"],
)
def test_numbers_that_are_not_dates(text: str) -> None:
    assert find_visible_date(text, now=NOW_2025) is None


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        (
            "2023-11-08T21:11:03-05:00",
            Kind.OFFSET,
            datetime(2023, 11, 8, 21, 11, 3, tzinfo=timezone(timedelta(hours=-5))),
        ),
        ("2023-11-09T02:11:03Z", Kind.UTC, datetime(2023, 11, 9, 2, 11, 3, tzinfo=UTC)),
        ("2023-11-09T02:11:03+00:00", Kind.UTC, datetime(2023, 11, 9, 2, 11, 3, tzinfo=UTC)),
        ("Sun, 28 Jun 2020 21:16:15 GMT", Kind.UTC, datetime(2020, 6, 28, 21, 16, 15, tzinfo=UTC)),
        ("2023-11-08 17:49:09", Kind.LOCAL, datetime(2023, 11, 8, 17, 49, 9, tzinfo=UTC)),
        ("2023-11-06", Kind.DAY, datetime(2023, 11, 6, tzinfo=UTC)),
        ("20200414T00:38:07Z", Kind.UTC, datetime(2020, 4, 14, 0, 38, 7, tzinfo=UTC)),
        ("2020-08-25|00h23", Kind.LOCAL, datetime(2020, 8, 25, 0, 23, tzinfo=UTC)),
        ("2020-12-05T23:15:0Z", Kind.UTC, datetime(2020, 12, 5, 23, 15, tzinfo=UTC)),
        ("jeudi 27 juin 2019", Kind.DAY, datetime(2019, 6, 27, tzinfo=UTC)),
    ],
)
def test_stamps_keep_how_much_the_page_said(text: str, kind: Kind, expected: datetime) -> None:
    """An offset the page gave, UTC, a wall clock with no zone, or only a day."""
    stamp = read_stamp(text, now=NOW_2025)
    assert stamp is not None
    assert (stamp.kind, stamp.at) == (kind, expected)
    assert stamp.at.utcoffset() == expected.utcoffset()


def test_an_offset_beyond_fourteen_hours_is_no_date() -> None:
    assert read_stamp("2023-11-08T21:11:03+23:00") is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('<script>showDate("2020/04/17 01:43:09 01:43:09")</script>', datetime(2020, 4, 17, 1, 43)),
        ("<!-- brought from cache 2020-04-24 21:36:31 -->", datetime(2020, 4, 24, 21, 36)),
        ('<span class="x">06.10.2017 11:15</span>', datetime(2017, 10, 6, 11, 15)),
        ("Updated: $Date: 2016/11/18 06:31:41 $", datetime(2016, 11, 18, 6, 31)),
    ],
)
def test_the_first_timestamp_in_a_pages_source(source: str, expected: datetime) -> None:
    assert first_timestamp(source, now=NOW_2025) == Stamp(expected.replace(tzinfo=UTC), Kind.LOCAL)


def test_a_day_without_a_time_or_an_impossible_one_is_no_timestamp() -> None:
    """``2016/11/18`` alone is too often something else; ``2020-02-31 10:00`` is nothing."""
    assert first_timestamp("v2016/11/18 and 2020-02-31 10:00", now=NOW_2025) is None
    assert first_timestamp("1970-01-01 00:00 then 2019-05-06 07:08", now=NOW_2025) == Stamp(
        datetime(2019, 5, 6, 7, 8, tzinfo=UTC), Kind.LOCAL
    )
