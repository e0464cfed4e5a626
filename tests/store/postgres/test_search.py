"""Search on PostgreSQL reads the same candidates whichever way it takes: all of the index's
matches sorted (few), or ``articles_when`` walked newest first (many)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from tests.store.helpers import T0, new_article
from watchwire.rules import search_query
from watchwire.store import Store, locate_store, open_store
from watchwire.store.postgres import search as pg_search


@pytest.fixture
async def store(postgres_dsn: str) -> AsyncIterator[Store]:
    async with open_store(locate_store(postgres_dsn)) as opened:
        for i in range(12):
            text = "Belarus sanctions" if i % 3 else "potash exports"
            await opened.save_article(
                new_article(f"https://a/{i}", f"{text} {i}", published_at=T0 + timedelta(
                    hours=i % 5)), [], now=T0,
            )  # fmt: skip
        yield opened


async def pages(store: Store, query: str, size: int) -> list[list[str]]:
    out: list[list[str]] = []
    before = None
    while True:
        rows = await store.search(search_query(query, {}), before=before, limit=size)
        out.append([r.url for r in rows])
        if len(rows) < size:
            return out
        before = rows[-1].search_key


async def test_the_walk_and_the_sorted_matches_give_the_same_pages(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    for query in ("belarus", "potash", "absent", "belarus OR potash"):
        sorted_matches = await pages(store, query, 3)
        monkeypatch.setattr(pg_search, "PROBE", 2)  # every query counts as common: walked
        walked = await pages(store, query, 3)
        monkeypatch.setattr(pg_search, "PROBE", 20_000)
        assert walked == sorted_matches, query
    assert sum(map(len, await pages(store, "belarus", 3))) == 8
