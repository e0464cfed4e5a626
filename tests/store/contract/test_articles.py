"""The store contract, articles and stories: stored once, grouped into stories, alerted once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.store.conftest import StoreOpener
from tests.store.helpers import T0, intent, new_article
from watchwire.store import Store


async def test_same_url_twice_is_one_article(store: Store) -> None:
    first = await store.save_article(new_article("https://a/1", "one"), [], now=T0)
    again = await store.save_article(new_article("https://a/1", "one"), [], now=T0)
    assert first.created and not again.created and not again.new_version
    assert again.article_id == first.article_id
    assert await store.count_articles() == 1


async def test_edit_is_a_new_version_of_the_same_article(store: Store) -> None:
    first = await store.save_article(new_article("https://a/1", "one"), [], now=T0)
    edit = await store.save_article(new_article("https://a/1", "one, edited"), [], now=T0)
    assert edit.new_version and edit.story_id == first.story_id
    row = await store.article(first.article_id)
    assert row is not None and row.version == 2 and row.article.text == "one, edited"


async def test_known_urls_gives_the_stored_time(store: Store) -> None:
    """Known URLs map to their article's last known publish/edit time; unknown ones are absent."""
    await store.save_article(new_article("https://a/1", "one", published_at=T0), [], now=T0)
    await store.save_article(new_article("https://a/2", "two"), [], now=T0)
    known = await store.known_urls(["https://a/1", "https://a/2", "https://a/3"])
    assert known == {"https://a/1": T0, "https://a/2": None}


async def test_same_text_elsewhere_joins_the_story(store: Store) -> None:
    a = await store.save_article(new_article("https://a/1", "wire text"), [], now=T0)
    b = await store.save_article(new_article("https://b/9", "wire text", source="s2"), [], now=T0)
    assert b.created and b.story_id == a.story_id and b.duplicate_of == a.article_id
    assert await store.story_copies(a.story_id) == ["https://a/1", "https://b/9"]


async def test_near_duplicate_by_simhash_joins_the_story(open_backend: StoreOpener) -> None:
    """Candidates come from shared band keys; the Hamming distance decides."""
    fp = 0xF0F0_0000_1234_ABCD
    near = fp ^ 0b101  # distance 2
    far = fp ^ 0xFFFF_0000_0000_0000 ^ 0xFF  # shares bands 1, 2 but distance 24

    def bands(x: int) -> tuple[int, ...]:
        return tuple((x >> (16 * i)) & 0xFFFF for i in range(4))

    async with open_backend(near_distance=3) as store:
        a = await store.save_article(
            new_article("https://a/1", "x", simhash=fp, band_keys=bands(fp)), [], now=T0
        )
        b = await store.save_article(
            new_article("https://b/1", "y", simhash=near, band_keys=bands(near)), [], now=T0
        )
        c = await store.save_article(
            new_article("https://c/1", "z", simhash=far, band_keys=bands(far)), [], now=T0
        )
    assert b.story_id == a.story_id and b.duplicate_of == a.article_id
    assert c.story_id != a.story_id


async def test_one_alert_per_rule_story_and_channel(store: Store) -> None:
    a = await store.save_article(new_article("https://a/1", "t"), [intent()], now=T0)
    copy = await store.save_article(
        new_article("https://b/1", "t", source="s2"), [intent(), intent("r2")], now=T0
    )
    assert len(a.alerts) == 1
    assert len(copy.alerts) == 1  # only r2 is new for this story
    assert (await store.outbox_counts())["pending"] == 2


async def test_concurrent_saves_of_one_story_make_one_story_and_one_alert(store: Store) -> None:
    """Eight sources finding the same text at once: one story, one alert, eight articles."""
    results = await asyncio.gather(
        *(
            store.save_article(
                new_article(f"https://s{i}/x", "same", source=f"s{i}"), [intent()], now=T0
            )
            for i in range(8)
        )
    )
    assert len({r.story_id for r in results}) == 1
    assert sum(len(r.alerts) for r in results) == 1
    assert await store.count_articles() == 8


async def test_the_store_adds_the_alert_id_and_its_story(store: Store) -> None:
    """An alert's payload is the rendered body plus what only the store knows."""
    first = await store.save_article(new_article("https://a/1", "t"), [], now=T0)
    saved = await store.save_article(
        new_article("https://b/1", "t", source="s2"), [intent()], now=T0
    )
    (message,) = await store.claim_due(now=T0, limit=10, lease=timedelta(minutes=1))
    assert message.id == saved.alerts[0]
    assert message.payload["id"] == message.id
    assert message.payload["story"] == {
        "id": str(first.story_id),
        "copies": ["https://a/1", "https://b/1"],
    }
    assert message.payload["rule"] == "r1" and message.payload["article"] == {"title": "t"}
    assert list(message.payload)[:2] == ["type", "id"]


async def test_data_survives_a_restart(open_backend: StoreOpener) -> None:
    async with open_backend() as store:
        saved = await store.save_article(new_article("https://a/1", "one"), [intent()], now=T0)
    async with open_backend() as store:
        assert await store.count_articles() == 1
        assert (await store.outbox_counts())["pending"] == 1
        row = await store.article(saved.article_id)
        assert row is not None and row.url == "https://a/1" and row.source == "s1"


async def test_a_link_given_up_is_known_and_listed_with_its_source(store: Store) -> None:
    """Given up on purpose: counted by known_urls (never fetched again) and listed."""
    url = "https://a.example/dead"
    assert await store.known_urls([url]) == {}
    await store.give_up(url, source="s1", reason="HTTP 404", now=T0)
    await store.give_up("https://b.example/x", source="s2", reason="worker died", now=T0)
    assert await store.known_urls([url, "https://a.example/other"]) == {url: None}
    (listed,) = await store.given_up(source="s1")
    assert (listed.url, listed.source, listed.reason, listed.at) == (url, "s1", "HTTP 404", T0)
    assert {g.source for g in await store.given_up()} == {"s1", "s2"}


async def test_a_preview_says_what_saving_would_do_and_writes_nothing(store: Store) -> None:
    """`check` and `once --dry-run`: the story an article would join, the alerts it would get."""
    first = new_article("https://a/1", "same text")
    saved = await store.save_article(first, [intent("r1")], now=T0)
    copy = new_article("https://b/1", "same text")
    preview = await store.preview_article(copy, [intent("r1"), intent("r2")])
    assert preview.story_id == saved.story_id and not preview.stored
    assert [i.rule for i in preview.alerts] == ["r2"]
    assert preview.alerted == (("r1", "ops", saved.alerts[0]),)
    fresh = await store.preview_article(new_article("https://c/1", "other"), [intent("r1")])
    assert (fresh.story_id, fresh.stored, len(fresh.alerts)) == (None, False, 1)
    again = await store.preview_article(first, [])
    assert again.stored and again.story_id == saved.story_id
    assert await store.count_articles() == 1
