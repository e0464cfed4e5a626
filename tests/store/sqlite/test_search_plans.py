"""The embedded store's two ways to a search's candidates give the same rows: few matches are
looked up one by one and sorted; many are kept while the time index is walked newest first."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.store.helpers import T0, new_article
from watchwire.rules import search_query
from watchwire.store import locate_store, open_store
from watchwire.store.sqlite import articles


@pytest.mark.parametrize("lookup_max", [1000, 3])
async def test_looked_up_or_walked_the_rows_are_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lookup_max: int
) -> None:
    monkeypatch.setattr(articles, "_LOOKUP_MAX", lookup_max)
    async with open_store(locate_store(tmp_path / "w.db")) as store:
        for i in range(12):
            text = f"Belarus sanctions story {i}" if i % 3 else f"potash exports {i}"
            # Publication times out of insertion order: the time, not the id, decides.
            published = T0 + timedelta(hours=(i * 5) % 12)
            await store.save_article(new_article(f"https://a/{i}", text, published_at=published),
                                     [], now=T0)  # fmt: skip
        query = search_query("belarus sanction*", {})
        rows = await store.search(query, limit=100)
        hours = [(r.article.published_at - T0) // timedelta(hours=1) for r in rows
                 if r.article.published_at]  # fmt: skip
        assert len(rows) == 8 and hours == sorted(hours, reverse=True)
        first = await store.search(query, limit=3)
        rest = await store.search(query, limit=100, before=first[-1].search_key)
        assert [r.url for r in first + rest] == [r.url for r in rows]
        recent = await store.search(query, since=T0 + timedelta(hours=6))
        assert [r.url for r in recent] == [
            r.url for r in rows if r.search_key[0] >= T0 + timedelta(hours=6)
        ]
        assert await store.search(search_query("nothing", {})) == []
