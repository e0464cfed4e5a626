"""The dates quality gate: every page of the dates dev set, with a floor on accuracy."""

from __future__ import annotations

import pytest

from watchwire.extract import extract_article

from .datemetric import DatePage, day_of, load_pages

DATES_FLOOR = 0.925
"""Reached 0.934 on these 347 pages (htmldate, the reference, 0.911): a small margin below."""


@pytest.fixture(scope="module")
def results() -> list[tuple[DatePage, str | None]]:
    return [(p, day_of(extract_article(p.html, p.url).published_at)) for p in load_pages()]


def test_whole_set_is_scored(results: list[tuple[DatePage, str | None]]) -> None:
    """All 347 pages are there (the data was copied completely); 5 have no true date."""
    assert len(results) == 347
    assert sum(p.truth is None for p, _ in results) == 5


def test_accuracy_stays_above_the_floor(results: list[tuple[DatePage, str | None]]) -> None:
    """The share of pages whose publication day is the true one; the misses if it is not."""
    misses = [(p.page_id, p.truth, got) for p, got in results if p.truth is None or got != p.truth]
    accuracy = 1 - len(misses) / len(results)
    assert accuracy >= DATES_FLOOR, misses


def test_no_date_is_in_the_future_or_before_the_web(
    results: list[tuple[DatePage, str | None]],
) -> None:
    """Plausibility holds on every page: 1995 at the earliest, 2024 at the latest (the set's)."""
    days = [got for _, got in results if got is not None]
    assert days
    assert all("1995-01-01" <= day <= "2024-12-31" for day in days)
