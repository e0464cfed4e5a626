"""The store contract, search: a superset of the matches, newest first, paged by key."""

from __future__ import annotations

from datetime import timedelta

from tests.store.helpers import T0, new_article
from watchwire.rules import search_query
from watchwire.store import Store


async def save_numbered(store: Store, n: int) -> None:
    for i in range(n):
        text = f"Belarus sanctions number {i}" if i % 2 == 0 else f"potash exports {i}"
        await store.save_article(
            new_article(f"https://a/{i}", text, published_at=T0 + timedelta(hours=i)),
            [], now=T0,
        )  # fmt: skip


async def test_search_finds_the_query_s_candidates_newest_first(store: Store) -> None:
    await save_numbered(store, 6)
    rows = await store.search(search_query("belarus sanction*", {}))
    assert [r.url for r in rows] == ["https://a/4", "https://a/2", "https://a/0"]


async def test_search_pages_on_by_key(store: Store) -> None:
    await save_numbered(store, 10)
    everything = await store.search(None, limit=100)
    assert [r.url for r in everything] == [f"https://a/{i}" for i in range(9, -1, -1)]
    first = await store.search(None, limit=4)
    second = await store.search(None, limit=4, before=first[-1].search_key)
    third = await store.search(None, limit=4, before=second[-1].search_key)
    assert [r.url for r in first + second + third] == [r.url for r in everything]


async def test_search_keeps_to_since_and_to_fields(store: Store) -> None:
    await save_numbered(store, 6)
    recent = await store.search(None, since=T0 + timedelta(hours=3))
    assert [r.url for r in recent] == ["https://a/5", "https://a/4", "https://a/3"]
    in_titles = await store.search(search_query("belarus", {}, fields=("title",)))
    assert in_titles == []


async def test_search_expands_term_sets_and_finds_an_edit(store: Store) -> None:
    await store.save_article(new_article("https://a/1", "Білорусь і санкції"), [], now=T0)
    query = search_query("@by AND санкці*", {"by": ["Belarus", "Білорус*"]})
    assert [r.url for r in await store.search(query)] == ["https://a/1"]
    await store.save_article(new_article("https://a/1", "now about potash"), [], now=T0)
    assert await store.search(query) == []
    assert [r.url for r in await store.search(search_query("potash", {}))] == ["https://a/1"]
